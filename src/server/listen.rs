//! Accepting connections. What `axum::serve` does, plus the limits it does not offer: a
//! header-read timeout (a client that sends its request a byte at a time cannot hold a
//! connection for ever), and a cap on open connections (past it, new ones wait in the listen
//! backlog instead of each taking memory and a task). The request timeout is a layer of the
//! router (`server::http::router`).

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::Service;

/// How long and how many: from `HEADER_READ_TIMEOUT_SECS` and `MAX_CONNECTIONS`.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_read_timeout: Duration,
    pub max_connections: usize,
    /// How long a request may take (`REQUEST_TIMEOUT_SECS`): at shutdown, requests in flight
    /// get this long to finish.
    pub request_timeout: Duration,
}

/// Serves `router` on `listener` (HTTP/1.1: an HTTP/2 connection with no request would have no
/// read deadline) until `shutdown` completes, then lets the requests in flight finish (for at
/// most the request timeout and a second).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let drain = limits.request_timeout + Duration::from_secs(1);
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // A free place first, then a connection: past the cap, clients wait in the backlog.
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!(error = %e, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // A response written in several pieces (streamed pages) must not wait for the
        // client's delayed ACK between them (Nagle's algorithm): up to 40 ms per page otherwise.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
        let router = router.clone();
        let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            let mut req = req.map(axum::body::Body::new);
            req.extensions_mut().insert(ConnectInfo(peer));
            router.clone().call(req)
        });
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            // A client that connects and sends nothing is cut off as one that sends half a
            // request is (hyper's header timer starts with the first request).
            let mut first = [0u8; 1];
            match tokio::time::timeout(limits.header_read_timeout, stream.peek(&mut first)).await {
                Ok(Ok(n)) if n > 0 => {}
                _ => return,
            }
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout);
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            if let Err(e) = watcher.watch(conn).await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after {drain:?}; stopping anyway");
    }
}
