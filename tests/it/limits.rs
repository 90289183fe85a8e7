//! Connection limits (`HEADER_READ_TIMEOUT_SECS`, `MAX_CONNECTIONS`): a slow client cannot
//! hold a connection, and past the cap new connections wait until one closes.

use crate::common::{spawn_app_with, Backend};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Opens a connection that sends half a request and then nothing.
async fn slow_client(addr: std::net::SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_client_is_cut_off_and_the_cap_holds() {
    let app = spawn_app_with(
        Backend::Sqlite,
        &[("HEADER_READ_TIMEOUT_SECS", "1"), ("MAX_CONNECTIONS", "2")],
    )
    .await
    .unwrap();
    // Two slow clients take both places: a third client gets no answer meanwhile.
    let mut first = slow_client(app.addr).await;
    let _second = slow_client(app.addr).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let quick = reqwest::Client::builder()
        .timeout(Duration::from_millis(400))
        .build()
        .unwrap();
    assert!(
        quick.get(app.url("/healthz")).send().await.is_err(),
        "past MAX_CONNECTIONS a new connection waits"
    );
    // The slow clients are cut off once the header-read timeout passes...
    let started = Instant::now();
    let mut rest = Vec::new();
    // Reading to the end returns once the server has closed the connection (an error counts:
    // a reset is a close too).
    let _ = tokio::time::timeout(Duration::from_secs(5), first.read_to_end(&mut rest))
        .await
        .expect("the server closes the slow connection");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    // ...which frees their places.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_sends_nothing_is_cut_off_too() {
    let app = spawn_app_with(Backend::Sqlite, &[("HEADER_READ_TIMEOUT_SECS", "1")])
        .await
        .unwrap();
    let mut silent = TcpStream::connect(app.addr).await.unwrap();
    let started = Instant::now();
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), silent.read_to_end(&mut rest))
        .await
        .expect("the server closes a connection that sends nothing");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}
