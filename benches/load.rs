//! `make bench`: a data set of 100,000 users, Roster (release build) on 127.0.0.1, and a load
//! generator; prints a table, writes `benches/results.json`, and checks the budgets.
//!
//! Data set: 1 organization, 50 workspaces, 100,000 users, 10,000 pending invitations; the
//! largest workspace has 20,000 members and 2,000 invitations. Runs on SQLite, and on PostgreSQL
//! when `BENCH_DATABASE_URL` (or `TEST_DATABASE_URL`) names a server where it may create a database.
//!
//! The load generator is built in (tokio + reqwest, one task per connection, a fixed duration),
//! so that scenarios can carry a session cookie and fresh form bodies per request. The read
//! scenarios run a second time through `wrk`, an external load generator process (lines marked
//! "(wrk)"): the built-in one shares the server's process-free cores with a Rust HTTP client,
//! wrk measures what a C client sees.
//!
//! Before any load, the bench checks that the release binary and the release site agree: the
//! page's hydration scripts and bundle must be served (a binary relinked without cargo-leptos's
//! settings names `roster_bg.wasm`, which the site does not hold, and nothing hydrates).

use roster::server::auth::password::hash_blocking;
use roster::server::db::{users, Db};
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PASSWORD: &str = "bench password 1";
const USERS: usize = 100_000;
const WORKSPACES: usize = 50;
const BIG_MEMBERS: usize = 20_000;
const INVITES: usize = 10_000;
const BIG_INVITES: usize = 2_000;
const CONNECTIONS: usize = 16;
const DURATION: Duration = Duration::from_secs(4);

#[derive(Clone, Debug, serde::Serialize)]
struct Line {
    backend: String,
    scenario: String,
    connections: usize,
    requests: usize,
    errors: usize,
    /// Requests per second (an export: rows per second).
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    vs_healthz: f64,
    /// What the columns do not say (an export's memory growth).
    #[serde(skip_serializing_if = "String::is_empty")]
    note: String,
    /// An export: the server's resident memory growth while it ran, MB.
    #[serde(skip_serializing_if = "Option::is_none")]
    memory_growth_mb: Option<f64>,
}

const EXPORT_RUNS: usize = 3;

/// Samples `pid`'s resident memory every `every` into `peak` (the largest seen) until aborted.
fn track_peak_rss(pid: u32, peak: Arc<Mutex<f64>>, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let r = rss_mb(pid);
            {
                let mut p = peak.lock().unwrap();
                *p = p.max(r);
            }
            tokio::time::sleep(every).await;
        }
    })
}

/// Downloads the members CSV of the largest workspace `EXPORT_RUNS` times, one after the other,
/// sampling the server's resident memory every 5 ms: rows per second, the median and slowest
/// download, and the largest growth over the memory before the download.
async fn export_largest(base: &str, cookie: &str, ws: &str, pid: u32) -> Line {
    let c = reqwest::Client::new();
    let url = format!("{base}/api/members/export.csv?workspace_id={ws}");
    let (mut times, mut rows, mut growths) = (Vec::new(), 0, Vec::new());
    for _ in 0..EXPORT_RUNS {
        let before = rss_mb(pid);
        let peak = Arc::new(Mutex::new(before));
        let sampler = track_peak_rss(pid, peak.clone(), Duration::from_millis(5));
        let t = Instant::now();
        let r = c.get(&url).header("cookie", cookie).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let body = r.text().await.unwrap();
        times.push(t.elapsed().as_secs_f64());
        sampler.abort();
        // The header line, then one line per row (no cell of the data set holds a new line).
        rows = body.lines().count() - 1;
        assert!(
            rows >= BIG_MEMBERS + BIG_INVITES,
            "every row exported: {rows}"
        );
        growths.push(*peak.lock().unwrap() - before);
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let median = times[times.len() / 2];
    let growth = growths.iter().copied().fold(0.0, f64::max);
    let each: Vec<String> = growths.iter().map(|g| format!("+{g:.1}")).collect();
    Line {
        backend: String::new(),
        scenario: format!("members export CSV ({rows} rows)"),
        connections: 1,
        requests: EXPORT_RUNS,
        errors: 0,
        rps: rows as f64 / median,
        p50_ms: median * 1000.0,
        p99_ms: times[times.len() - 1] * 1000.0,
        vs_healthz: 0.0,
        note: format!("memory {} MB (run by run)", each.join(" / ")),
        memory_growth_mb: Some(growth),
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Runs `make` on `connections` tasks for `DURATION`; returns (requests, errors, rps, p50, p99).
async fn load<F>(connections: usize, make: F) -> (usize, usize, f64, f64, f64)
where
    F: Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    run_load(connections, None, make).await
}

/// As [`load`], but `make(n)` for each n below `total` exactly once instead of for a duration.
async fn push_all<F>(connections: usize, total: usize, make: F) -> (usize, usize, f64, f64, f64)
where
    F: Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    run_load(connections, Some(total), make).await
}

async fn run_load<F>(
    connections: usize,
    total: Option<usize>,
    make: F,
) -> (usize, usize, f64, f64, f64)
where
    F: Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let counter = Arc::new(AtomicUsize::new(0));
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let errors = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let deadline = start + DURATION;
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (make, counter, latencies, errors) = (
            make.clone(),
            counter.clone(),
            latencies.clone(),
            errors.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let mut mine = Vec::new();
            while total.is_some() || Instant::now() < deadline {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                if total.is_some_and(|t| n >= t) {
                    break;
                }
                let t = Instant::now();
                match make(&client, n).send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                    }
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
                mine.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            latencies.lock().unwrap().extend(mine);
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let mut l = latencies.lock().unwrap().clone();
    l.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (
        l.len(),
        errors.load(Ordering::Relaxed),
        l.len() as f64 / elapsed,
        percentile(&l, 0.5),
        percentile(&l, 0.99),
    )
}

macro_rules! seed_with {
    ($p:expr, $ws:expr, $hash:expr) => {{
        let p = $p;
        let now = roster::server::db::now();
        let mut tx = p.begin().await.unwrap();
        for chunk in (0..USERS).collect::<Vec<_>>().chunks(1000) {
            let mut q = sqlx::QueryBuilder::new("INSERT INTO users (id, email, name, password_hash, created_at, last_sign_in_at) ");
            q.push_values(chunk, |mut b, i| {
                // One in ten never signed in; the others spread over the last year.
                let signed_in = (i % 10 != 0).then(|| now - ((*i as i64 * 7_919) % 31_536_000));
                b.push_bind(format!("00000000-0000-4000-8000-{i:012}"))
                    .push_bind(format!("user{i:06}@bench.example"))
                    .push_bind(format!("User {i:06}"))
                    .push_bind($hash.clone())
                    .push_bind(now)
                    .push_bind(signed_in);
            });
            q.build().execute(&mut *tx).await.unwrap();
            let mut m = sqlx::QueryBuilder::new("INSERT INTO workspace_members (workspace_id, user_id, email, role, role_source, joined_at) ");
            m.push_values(chunk, |mut b, i| {
                let ws = if *i < BIG_MEMBERS { 0 } else { 1 + (i % (WORKSPACES - 1)) };
                // One in ten an editor, one in a hundred an admin; joined over three years.
                let role = match i % 100 {
                    1 => "workspace_admin",
                    r if r % 10 == 0 => "workspace_editor",
                    _ => "workspace_viewer",
                };
                b.push_bind($ws[ws].clone())
                    .push_bind(format!("00000000-0000-4000-8000-{i:012}"))
                    .push_bind(format!("user{i:06}@bench.example"))
                    .push_bind(role)
                    .push_bind("manual")
                    .push_bind(now - ((*i as i64 * 104_729) % 94_608_000));
            });
            m.build().execute(&mut *tx).await.unwrap();
        }
        for chunk in (0..INVITES).collect::<Vec<_>>().chunks(1000) {
            let mut q = sqlx::QueryBuilder::new("INSERT INTO pending_invites (email, invited_at, expires_at, token_hash, send_count) ");
            q.push_values(chunk, |mut b, i| {
                b.push_bind(format!("invitee{i:06}@bench.example"))
                    .push_bind(now)
                    .push_bind(now + 7 * 86_400)
                    .push_bind(format!("{i:064}"))
                    .push_bind(0_i32);
            });
            q.build().execute(&mut *tx).await.unwrap();
            let mut w = sqlx::QueryBuilder::new("INSERT INTO pending_invite_workspaces (email, workspace_id, workspace_role, expires_at) ");
            w.push_values(chunk, |mut b, i| {
                let ws = if *i < BIG_INVITES { 0 } else { 1 + (i % (WORKSPACES - 1)) };
                b.push_bind(format!("invitee{i:06}@bench.example"))
                    .push_bind($ws[ws].clone())
                    .push_bind("workspace_viewer")
                    .push_bind(now + 7 * 86_400);
            });
            w.build().execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
    }};
}

const INSERT_WORKSPACE: &str =
    "INSERT INTO workspaces (id, org_id, name, created_at) VALUES ($1, $2, $3, 0)";

async fn seed(db: &Db) -> String {
    let hash = tokio::task::spawn_blocking(|| hash_blocking(PASSWORD))
        .await
        .unwrap()
        .unwrap();
    let boot = users::bootstrap_admin(
        db,
        &users::BootstrapAdmin {
            email: "admin@bench.example",
            name: "Admin",
            password_hash: Some(&hash),
            must_change_password: false,
            temp_password_expires_at: None,
        },
    )
    .await
    .unwrap();
    let org = roster::server::db::workspaces::get(db, &boot.workspace_id)
        .await
        .unwrap()
        .unwrap()
        .org_id;
    let mut ws = vec![boot.workspace_id.clone()];
    for i in 1..WORKSPACES {
        let id = format!("10000000-0000-4000-8000-{i:012}");
        match db {
            Db::Sqlite(p, _) => sqlx::query(INSERT_WORKSPACE)
                .bind(&id)
                .bind(&org)
                .bind(format!("Workspace {i}"))
                .execute(p)
                .await
                .map(|_| ()),
            Db::Postgres(p, _) => sqlx::query(INSERT_WORKSPACE)
                .bind(&id)
                .bind(&org)
                .bind(format!("Workspace {i}"))
                .execute(p)
                .await
                .map(|_| ()),
        }
        .unwrap();
        ws.push(id);
    }
    match db {
        Db::Sqlite(p, _) => seed_with!(p, ws, hash),
        Db::Postgres(p, _) => {
            seed_with!(p, ws, hash);
            // What autovacuum does on a live database after a bulk load: statistics (without
            // them the planner guesses row counts; SQLite plans these queries from its indexes
            // alone), and the dead row versions left by the member-count trigger, which ran
            // 20,000 times on the largest workspace's row (unvacuumed, reading that one row
            // cost more than the page of members).
            sqlx::query("VACUUM ANALYZE").execute(p).await.unwrap();
        }
    }
    boot.workspace_id
}

struct Server {
    child: Child,
    base: String,
    pid: u32,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Fails the bench unless every `/pkg/` asset a server-rendered page names (the hydration
/// script, the wasm bundle, the stylesheet) is served: the release binary and site must match.
async fn check_release_site(base: &str) {
    let c = reqwest::Client::new();
    let html = c
        .get(format!("{base}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let assets: Vec<&str> = html.split('"').filter(|s| s.starts_with("/pkg/")).collect();
    for needed in [".js", ".wasm", ".css"] {
        assert!(
            assets.iter().any(|a| a.ends_with(needed)),
            "the rendered page names no {needed} asset: {assets:?}"
        );
    }
    // The split bundle's loader and later parts (lazy pages and dialogs), which the page's
    // script fetches by the names in the manifest (each entry lists its own part last).
    let manifest = c
        .get(format!("{base}/pkg/__wasm_split_manifest.json"))
        .send()
        .await
        .unwrap();
    assert!(
        manifest.status().is_success(),
        "the release site has no split manifest ({}): rebuild with `make release`",
        manifest.status()
    );
    let manifest: std::collections::BTreeMap<String, Vec<String>> = manifest.json().await.unwrap();
    let mut parts: Vec<String> = manifest
        .into_values()
        .flatten()
        .map(|part| format!("/pkg/{part}.wasm"))
        .collect();
    parts.sort();
    parts.dedup();
    assert!(!parts.is_empty(), "the split manifest names no part");
    parts.push("/pkg/__wasm_split.______________________.js".to_string());
    for asset in assets.into_iter().map(str::to_string).chain(parts) {
        let r = c.get(format!("{base}{asset}")).send().await.unwrap();
        assert!(
            r.status().is_success(),
            "the release binary names {asset}, which the release site does not serve ({}): \
             rebuild with `make release`",
            r.status()
        );
    }
}

/// Runs `wrk` (16 connections, 2 threads, [`DURATION`]) with a Lua script setting the request;
/// returns (requests, errors, rps, p50, p99) as [`load`] does.
fn wrk(url: &str, lua: &str) -> (usize, usize, f64, f64, f64) {
    // The script holds the session cookie: a new file only its owner can read.
    let script = std::env::temp_dir().join(format!(
        "roster-bench-{}-{}.lua",
        std::process::id(),
        SCRIPTS.fetch_add(1, Ordering::Relaxed)
    ));
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&script)
            .and_then(|mut f| f.write_all(lua.as_bytes()))
            .expect("the wrk script");
    }
    let out = Command::new("wrk")
        .args(["-t2", &format!("-c{CONNECTIONS}")])
        .arg(format!("-d{}s", DURATION.as_secs()))
        .arg("--latency")
        .arg("-s")
        .arg(&script)
        .arg(url)
        .output()
        .expect("wrk (scripts/setup.sh --release installs it)");
    let _ = std::fs::remove_file(&script);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "wrk failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ms = |v: &str| -> f64 {
        let (n, unit) = v.split_at(v.find(|c: char| c.is_alphabetic()).unwrap_or(v.len()));
        let n: f64 = n.parse().unwrap_or(f64::NAN);
        match unit {
            "us" => n / 1000.0,
            "ms" => n,
            "s" => n * 1000.0,
            "m" => n * 60_000.0,
            _ => f64::NAN,
        }
    };
    let mut r = (0, 0, 0.0, f64::NAN, f64::NAN);
    for line in text.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["50%", v] => r.3 = ms(v),
            ["99%", v] => r.4 = ms(v),
            [n, "requests", "in", ..] => r.0 = n.parse().unwrap_or(0),
            ["Requests/sec:", v] => r.2 = v.parse().unwrap_or(0.0),
            ["Non-2xx", "or", "3xx", "responses:", n] => r.1 += n.parse::<usize>().unwrap_or(0),
            ["Socket", "errors:", rest @ ..] => {
                r.1 += rest
                    .iter()
                    .filter_map(|w| w.trim_end_matches(',').parse::<usize>().ok())
                    .sum::<usize>()
            }
            _ => {}
        }
    }
    r
}

/// Numbers the wrk scripts of one bench run (each a new file).
static SCRIPTS: AtomicUsize = AtomicUsize::new(0);

/// A wrk script for one request: `method`, the session cookie, and a form body if any.
fn wrk_script(method: &str, cookie: &str, form: &[(&str, &str)]) -> String {
    let lua = |s: &str| format!("{s:?}");
    let mut script = format!(
        "wrk.method = {}\nwrk.headers[\"Cookie\"] = {}\n",
        lua(method),
        lua(cookie)
    );
    if !form.is_empty() {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        script.push_str(&format!(
            "wrk.body = {}\nwrk.headers[\"Content-Type\"] = \"application/x-www-form-urlencoded\"\n",
            lua(&body)
        ));
    }
    script
}

async fn start(url: &str) -> (Server, Duration) {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let t = Instant::now();
    let child = Command::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/target/release/roster"
    ))
    .arg("serve")
    .env("DATABASE_URL", url)
    .env("BIND_ADDR", format!("127.0.0.1:{port}"))
    .env("PUBLIC_URL", &base)
    .env(
        "SITE_ROOT",
        concat!(env!("CARGO_MANIFEST_DIR"), "/target/site"),
    )
    .env("INVITES_PER_DAY", "100000")
    .env("LOGIN_MAX_FAILURES_PER_IP", "100000")
    .env("TOKEN_REQUESTS_PER_MINUTE", "1000000")
    .env("RUST_LOG", "error")
    .stdout(Stdio::null())
    .spawn()
    .expect("target/release/roster (run `cargo leptos build --release` first)");
    let pid = child.id();
    let server = Server {
        child,
        base: base.clone(),
        pid,
    };
    let c = reqwest::Client::new();
    loop {
        if let Ok(r) = c.get(format!("{base}/readyz")).send().await {
            if r.status() == 200 {
                break;
            }
        }
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "roster did not start"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    (server, t.elapsed())
}

fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse::<f64>()
                    .unwrap_or(0.0)
            })
        })
        .unwrap_or(0.0)
        / 1024.0
}

async fn run_backend(name: &str, url: &str, db: Db) -> (Vec<Line>, f64, Duration) {
    let t = Instant::now();
    let ws = seed(&db).await;
    eprintln!("[{name}] seeded in {:.1}s", t.elapsed().as_secs_f64());
    db.close().await;
    let (server, startup) = start(url).await;
    let base = server.base.clone();
    check_release_site(&base).await;
    let login = reqwest::Client::new()
        .post(format!("{base}/api/auth/login"))
        .form(&[("email", "admin@bench.example"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let cookie = login.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let peak_rss = Arc::new(Mutex::new(0.0_f64));
    let sampler = track_peak_rss(server.pid, peak_rss.clone(), Duration::from_millis(100));

    let mut lines = Vec::new();
    // Lines measured otherwise than by `load` (appended after the others).
    let mut exports = Vec::new();
    let (server_pid, peak_so_far) = (server.pid, peak_rss.clone());
    let mut record = |scenario: &str,
                      conns: usize,
                      r: (usize, usize, f64, f64, f64),
                      base_rps: f64| {
        let line = Line {
            backend: name.into(),
            scenario: scenario.into(),
            connections: conns,
            requests: r.0,
            errors: r.1,
            rps: r.2,
            p50_ms: r.3,
            p99_ms: r.4,
            vs_healthz: if base_rps > 0.0 { r.2 / base_rps } else { 1.0 },
            note: String::new(),
            memory_growth_mb: None,
        };
        eprintln!(
                "[{name}] {scenario}: {:.0} rps, p50 {:.1} ms, p99 {:.1} ms, {} errors; resident {:.0} MB (peak so far {:.0} MB)",
                line.rps,
                line.p50_ms,
                line.p99_ms,
                line.errors,
                rss_mb(server_pid),
                *peak_so_far.lock().unwrap()
            );
        lines.push(line);
    };
    let url_of = |p: &str| format!("{base}{p}");
    // `BENCH_ONLY=list,server-rendered` runs the scenarios whose names contain one of these
    // (while tuning); budgets of scenarios not run are reported as not run.
    let only: Option<Vec<String>> = std::env::var("BENCH_ONLY")
        .ok()
        .map(|v| v.split(',').map(str::to_string).collect());
    let wanted = |scenario: &str| {
        only.as_ref()
            .is_none_or(|o| o.iter().any(|x| scenario.contains(x.as_str())))
    };

    let u = url_of("/healthz");
    let health = load(CONNECTIONS, move |c, _| c.get(&u)).await;
    let base_rps = health.2;
    record("healthz (baseline)", CONNECTIONS, health, base_rps);

    // A cursor 10,000 rows into the largest workspace, as the `next` of page 200 would be.
    let deep = roster::server::db::members::Cursor {
        sort: Default::default(),
        key: roster::server::db::members::SortKey::Text("user009999@bench.example".into()),
        email: "user009999@bench.example".into(),
        kind: 0,
        at: roster::server::db::now(),
    }
    .encode();
    let list_by =
        |after: String, q: &'static str, extra: &'static [(&'static str, &'static str)]| {
            let (u, cookie, ws) = (url_of("/api/members/list"), cookie.clone(), ws.clone());
            move |c: &reqwest::Client, _| {
                let mut form = vec![
                    ("workspace_id", ws.as_str()),
                    ("after", after.as_str()),
                    ("q", q),
                ];
                form.extend_from_slice(extra);
                c.post(&u).header("cookie", &cookie).form(&form)
            }
        };
    let list = |after: String, q: &'static str| list_by(after, q, NO_FILTER);
    const NO_FILTER: &[(&str, &str)] = &[];
    const BY_SIGN_IN: &[(&str, &str)] = &[("sort", "-last_sign_in")];
    const EDITORS: &[(&str, &str)] = &[("role", "workspace_editor"), ("status", "active")];
    // Each list scenario must return a full page, or its numbers would mean nothing.
    for (after, q, extra) in [
        (String::new(), "", NO_FILTER),
        (deep.clone(), "", NO_FILTER),
        (String::new(), "User 0123", NO_FILTER),
        (String::new(), "", BY_SIGN_IN),
        (String::new(), "", EDITORS),
    ] {
        let c = reqwest::Client::new();
        let page: Value = list_by(after, q, extra)(&c, 0)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            page["members"].as_array().map(|m| m.len()),
            Some(50),
            "{q}: {page}"
        );
    }
    if wanted("members list, page 1") {
        record(
            "members list, page 1",
            CONNECTIONS,
            load(CONNECTIONS, list(String::new(), "")).await,
            base_rps,
        );
    }
    if wanted("members list, deep page (row 10,000)") {
        record(
            "members list, deep page (row 10,000)",
            CONNECTIONS,
            load(CONNECTIONS, list(deep.clone(), "")).await,
            base_rps,
        );
    }
    if wanted("members list, search by name") {
        record(
            "members list, search by name",
            CONNECTIONS,
            load(CONNECTIONS, list(String::new(), "User 0123")).await,
            base_rps,
        );
    }
    if wanted("members list, sorted by last sign-in") {
        record(
            "members list, sorted by last sign-in",
            CONNECTIONS,
            load(CONNECTIONS, list_by(String::new(), "", BY_SIGN_IN)).await,
            base_rps,
        );
    }
    if wanted("members list, filtered (active editors)") {
        record(
            "members list, filtered (active editors)",
            CONNECTIONS,
            load(CONNECTIONS, list_by(String::new(), "", EDITORS)).await,
            base_rps,
        );
    }
    if wanted("members export") {
        let line = export_largest(&base, &cookie, &ws, server.pid).await;
        eprintln!(
            "[{name}] {}: {:.0} rows/s, {}",
            line.scenario, line.rps, line.note
        );
        exports.push(Line {
            backend: name.into(),
            ..line
        });
    }
    let (u, ck, w) = (url_of("/members"), cookie.clone(), ws.clone());
    if wanted("/members server-rendered") {
        record(
            "/members server-rendered",
            CONNECTIONS,
            load(CONNECTIONS, move |c, _| {
                c.get(format!("{u}?workspace={w}")).header("cookie", &ck)
            })
            .await,
            base_rps,
        );
    }
    // The read scenarios again, through wrk.
    let page1: &[(&str, &str)] = &[("workspace_id", ws.as_str())];
    let deep_page: &[(&str, &str)] = &[("workspace_id", ws.as_str()), ("after", deep.as_str())];
    let search_page: &[(&str, &str)] = &[("workspace_id", ws.as_str()), ("q", "User 0123")];
    let members_page = url_of(&format!("/members?workspace={ws}"));
    let list_url = url_of("/api/members/list");
    let mut wrk_base = 0.0;
    let no_form: &[(&str, &str)] = &[];
    for (scenario, url, method, form) in [
        (
            "healthz (baseline) (wrk)",
            url_of("/healthz"),
            "GET",
            no_form,
        ),
        (
            "members list, page 1 (wrk)",
            list_url.clone(),
            "POST",
            page1,
        ),
        (
            "members list, deep page (row 10,000) (wrk)",
            list_url.clone(),
            "POST",
            deep_page,
        ),
        (
            "members list, search by name (wrk)",
            list_url.clone(),
            "POST",
            search_page,
        ),
        (
            "/members server-rendered (wrk)",
            members_page,
            "GET",
            no_form,
        ),
    ] {
        if wanted(scenario) {
            let cookie = if scenario.starts_with("healthz") {
                ""
            } else {
                cookie.as_str()
            };
            // wrk counts a redirect (to the sign-in page, say) as an answer: the request must
            // answer 200 first, as the built-in generator requires of every request.
            let c = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let once = if method == "POST" {
                c.post(&url).form(form)
            } else {
                c.get(&url)
            };
            let status = once.header("cookie", cookie).send().await.unwrap().status();
            assert_eq!(status, 200, "{scenario}: {url} answered {status}");
            let script = wrk_script(method, cookie, form);
            let r = tokio::task::spawn_blocking(move || wrk(&url, &script))
                .await
                .unwrap();
            // The wrk lines compare with wrk's own /healthz (when `BENCH_ONLY` left it out,
            // their ratio reads 1.000, as for the lines that have no baseline).
            if scenario.starts_with("healthz") {
                wrk_base = r.2;
            }
            record(scenario, CONNECTIONS, r, wrk_base);
        }
    }
    // Reads while invitations and role changes are written at 10 per second: on SQLite every
    // write empties the read cache, so this is the cache's worst steady state.
    let mut mixed_writes = None;
    if wanted("members list, 10 writes/s") {
        let (ck, w, base) = (cookie.clone(), ws.clone(), base.clone());
        let writer = tokio::spawn(async move {
            let c = reqwest::Client::new();
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            let end = Instant::now() + DURATION + Duration::from_millis(200);
            let (mut writes, mut failed) = (0_usize, 0_usize);
            while Instant::now() < end {
                tick.tick().await;
                let n = writes;
                let request = if n % 2 == 0 {
                    c.post(format!("{base}/api/invites/create")).form(&[
                        ("workspace_id", w.as_str()),
                        ("emails", &format!("mixed{n}@bench.example")),
                        ("role", "workspace_viewer"),
                    ])
                } else {
                    // Viewers of the largest workspace made editors and back, one at a time.
                    let k = n / 2;
                    let user = 2_000 + (k % 50) * 100 + 2;
                    let role = if (k / 50) % 2 == 0 {
                        "workspace_editor"
                    } else {
                        "workspace_viewer"
                    };
                    c.post(format!("{base}/api/members/set_role")).form(&[
                        ("workspace_id", w.as_str()),
                        ("user_id", &format!("00000000-0000-4000-8000-{user:012}")),
                        ("role", role),
                    ])
                };
                match request.header("cookie", &ck).send().await {
                    Ok(r) if r.status().is_success() => {}
                    _ => failed += 1,
                }
                writes += 1;
            }
            (writes, failed)
        });
        tokio::time::sleep(Duration::from_millis(150)).await;
        record(
            "members list, 10 writes/s (invites, role changes)",
            CONNECTIONS,
            load(CONNECTIONS, list(String::new(), "")).await,
            base_rps,
        );
        let (writes, failed) = writer.await.unwrap();
        assert_eq!(
            failed, 0,
            "{failed} of {writes} writes of the mixed scenario failed"
        );
        mixed_writes = Some(writes);
    }
    let (u, ck, w) = (url_of("/api/invites/create"), cookie.clone(), ws.clone());
    if wanted("invite") {
        record(
            "invite",
            CONNECTIONS,
            load(CONNECTIONS, move |c, n| {
                c.post(&u).header("cookie", &ck).form(&[
                    ("workspace_id", w.as_str()),
                    ("emails", &format!("new{n}@bench.example")),
                    ("role", "workspace_viewer"),
                ])
            })
            .await,
            base_rps,
        );
    }
    let (u, ck, w) = (url_of("/api/admin/users"), cookie.clone(), ws.clone());
    if wanted("add user") {
        record(
            "add user",
            CONNECTIONS,
            load(CONNECTIONS, move |c, n| {
                c.post(&u).header("cookie", &ck).form(&[
                    ("workspace_id", w.as_str()),
                    ("email", &format!("added{n}@bench.example")),
                    ("password", "a fine bench password"),
                    ("role", "workspace_viewer"),
                ])
            })
            .await,
            base_rps,
        );
    }
    // A password sign-in as one of the seeded users, a different one per request.
    let sign_in = |u: String| {
        move |c: &reqwest::Client, n: usize| {
            c.post(&u).form(&[
                ("email", format!("user{:06}@bench.example", n % USERS)),
                ("password", PASSWORD.to_string()),
            ])
        }
    };
    if wanted("password sign-in") {
        record(
            "password sign-in",
            CONNECTIONS,
            load(CONNECTIONS, sign_in(url_of("/api/auth/login"))).await,
            base_rps,
        );
    }
    if wanted("members list, 50 sign-ins hashing") {
        let hashing = tokio::spawn(load(50, sign_in(url_of("/api/auth/login"))));
        tokio::time::sleep(Duration::from_millis(200)).await;
        record(
            "members list, 50 sign-ins hashing",
            CONNECTIONS,
            load(CONNECTIONS, list(String::new(), "")).await,
            base_rps,
        );
        let _ = hashing.await;
    }
    if wanted("bulk") {
        // 500 members of the largest workspace, their role changed back and forth: every
        // request changes every row (each through the single action and its audit row).
        let rows: String = (1_000..1_500)
            .map(|i| format!("00000000-0000-4000-8000-{i:012}"))
            .collect::<Vec<_>>()
            .join(",");
        let (u, ck, w) = (url_of("/api/members/bulk"), cookie.clone(), ws.clone());
        record(
            "bulk change role, 500 rows",
            1,
            load(1, move |c, n| {
                let role = if n % 2 == 0 {
                    "workspace_editor"
                } else {
                    "workspace_viewer"
                };
                c.post(&u).header("cookie", &ck).form(&[
                    ("workspace_id", w.as_str()),
                    ("action", "set_role"),
                    ("role", role),
                    ("rows", rows.as_str()),
                ])
            })
            .await,
            base_rps,
        );
    }
    if wanted("SCIM") {
        provision(&base, &cookie, url, &mut record).await;
    }
    sampler.abort();
    let peak = *peak_rss.lock().unwrap();
    drop(server);
    if let (Some(writes), Some(line)) = (
        mixed_writes,
        lines
            .iter_mut()
            .find(|l| l.scenario.starts_with("members list, 10 writes/s")),
    ) {
        line.note = format!("{writes} writes during the run");
    }
    lines.extend(exports);
    (lines, peak, startup)
}

const SCIM_USERS: usize = 10_000;
const SCIM_GROUPS: usize = 200;

/// A deep provisioning through the SCIM API: 200 groups mapped to workspace roles, 10,000
/// people pushed one by one, then the 200 groups with 50 members each; afterwards the database
/// must hold exactly one SCIM invitation row per person, in the workspace of their group.
async fn provision(
    base: &str,
    cookie: &str,
    url: &str,
    record: &mut impl FnMut(&str, usize, (usize, usize, f64, f64, f64), f64),
) {
    let c = reqwest::Client::new();
    let post = |path: &str, form: Vec<(&str, String)>| {
        c.post(format!("{base}{path}"))
            .header("cookie", cookie)
            .form(&form)
            .send()
    };
    let orgs: Value = post("/api/orgs/list", vec![])
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let org = orgs[0]["id"].as_str().unwrap().to_string();
    let page: Value = post("/api/orgs/members", vec![("org_id", org.clone())])
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let workspaces: Vec<String> = page["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_str().unwrap().to_string())
        .collect();
    for g in 0..SCIM_GROUPS {
        let r = post(
            "/api/scim/map",
            vec![
                ("org_id", org.clone()),
                ("group", format!("group-{g:03}")),
                ("workspace_id", workspaces[g % workspaces.len()].clone()),
                (
                    "role",
                    ["workspace_viewer", "workspace_editor", "workspace_admin"][g % 3].to_string(),
                ),
            ],
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }
    let token: Value = post(
        "/api/tokens/create",
        vec![
            ("name", "bench idp".to_string()),
            ("scopes", "scim".to_string()),
            ("org_id", org.clone()),
        ],
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let secret = token["secret"].as_str().unwrap().to_string();
    let t = Instant::now();
    let users_url = format!("{base}/scim/v2/Users");
    let s = secret.clone();
    record(
        "SCIM create user (10,000)",
        CONNECTIONS,
        push_all(CONNECTIONS, SCIM_USERS, move |c, n| {
            c.post(&users_url)
                .bearer_auth(&s)
                .header("content-type", "application/scim+json")
                .body(
                    json!({
                        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                        "userName": format!("scim{n:05}@bench.example"),
                        "externalId": format!("ext-{n}"),
                        "emails": [{"value": format!("scim{n:05}@bench.example"), "primary": true}],
                        "active": true,
                    })
                    .to_string(),
                )
        })
        .await,
        0.0,
    );
    // The ids, in creation order (a filter per page: the API's own listing).
    let mut ids = Vec::with_capacity(SCIM_USERS);
    let mut start = 1;
    while ids.len() < SCIM_USERS {
        let page: Value = c
            .get(format!("{base}/scim/v2/Users?startIndex={start}&count=200"))
            .bearer_auth(&secret)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let got = page["Resources"].as_array().unwrap();
        assert!(!got.is_empty(), "listing ended early: {page}");
        ids.extend(got.iter().map(|u| u["id"].as_str().unwrap().to_string()));
        start += got.len();
    }
    let ids = Arc::new(ids);
    let groups_url = format!("{base}/scim/v2/Groups");
    let per_group = SCIM_USERS / SCIM_GROUPS;
    record(
        "SCIM create group (50 members, 200)",
        CONNECTIONS,
        push_all(CONNECTIONS, SCIM_GROUPS, move |c, g| {
            let members: Vec<Value> = ids[g * per_group..(g + 1) * per_group]
                .iter()
                .map(|id| json!({"value": id}))
                .collect();
            c.post(&groups_url)
                .bearer_auth(&secret)
                .header("content-type", "application/scim+json")
                .body(
                    json!({"displayName": format!("group-{g:03}"), "members": members}).to_string(),
                )
        })
        .await,
        0.0,
    );
    eprintln!("[scim] provisioned in {:.1}s", t.elapsed().as_secs_f64());
    let db = Db::connect(url, None).await.unwrap();
    let count = |sql: &'static str| {
        let db = db.clone();
        async move {
            match &db {
                Db::Sqlite(p, _) => sqlx::query_scalar::<_, i64>(sql)
                    .fetch_one(p)
                    .await
                    .unwrap(),
                Db::Postgres(p, _) => sqlx::query_scalar::<_, i64>(sql)
                    .fetch_one(p)
                    .await
                    .unwrap(),
            }
        }
    };
    assert_eq!(
        count("SELECT COUNT(*) FROM pending_invite_workspaces WHERE role_source = 'scim'").await,
        SCIM_USERS as i64,
        "one SCIM invitation row per person"
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM scim_group_members").await,
        SCIM_USERS as i64
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM users WHERE email LIKE 'scim%@bench.example'").await,
        0,
        "no account before a sign-in"
    );
    db.close().await;
}

fn try_find(lines: &[Line], backend: &str, scenario: &str) -> Option<Line> {
    lines
        .iter()
        .find(|l| l.backend == backend && l.scenario == scenario)
        .cloned()
}

fn find(lines: &[Line], backend: &str, scenario: &str) -> Line {
    try_find(lines, backend, scenario).expect("scenario")
}

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("roster-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sqlite_url = format!("sqlite://{}/bench.db", dir.display());
    let db = Db::connect(&sqlite_url, None).await.unwrap();
    db.migrate().await.unwrap();
    let (mut lines, sqlite_rss, sqlite_start) = run_backend("sqlite", &sqlite_url, db).await;
    // `BENCH_KEEP=1` keeps the seeded databases, to profile or EXPLAIN against them afterwards.
    let keep = std::env::var("BENCH_KEEP").is_ok_and(|v| v == "1");
    if keep {
        eprintln!("kept: {sqlite_url}");
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }

    let mut pg = None;
    if let Some(admin_url) = std::env::var("BENCH_DATABASE_URL")
        .ok()
        .or_else(|| std::env::var("TEST_DATABASE_URL").ok())
        .filter(|u| !u.is_empty())
    {
        let name = format!("roster_bench_{}", std::process::id());
        let admin = sqlx::PgPool::connect(&admin_url).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .unwrap();
        let url = format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0);
        let db = Db::connect(&url, None).await.unwrap();
        db.migrate().await.unwrap();
        let (pg_lines, rss, startup) = run_backend("postgres", &url, db).await;
        lines.extend(pg_lines);
        if keep {
            // The database's name only: the URL may carry a password.
            eprintln!(
                "kept: database {name} on the server of BENCH_DATABASE_URL / TEST_DATABASE_URL"
            );
        } else {
            sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
                .execute(&admin)
                .await
                .unwrap();
        }
        pg = Some((rss, startup));
    } else {
        eprintln!("PostgreSQL scenarios skipped: set BENCH_DATABASE_URL or TEST_DATABASE_URL");
    }

    // The bundle's main module: all the members page (and hydration of any page) needs before
    // it is interactive. The later parts load with the pages and dialogs that use them.
    let pkg = concat!(env!("CARGO_MANIFEST_DIR"), "/target/site/pkg");
    let wasm_br = std::fs::metadata(format!("{pkg}/roster.wasm.br"))
        .map(|m| m.len())
        .unwrap_or(0);
    let later_parts_br: u64 = std::fs::read_dir(pkg)
        .map(|dir| {
            dir.flatten()
                .filter(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    name.ends_with(".wasm.br") && name != "roster.wasm.br"
                })
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0);

    println!(
        "\n{:<10} {:<38} {:>9} {:>9} {:>9} {:>8} {:>7}",
        "backend", "scenario", "req/s", "p50 ms", "p99 ms", "×healthz", "errors"
    );
    for l in &lines {
        println!(
            "{:<10} {:<38} {:>9.0} {:>9.2} {:>9.2} {:>8.3} {:>7} {}",
            l.backend, l.scenario, l.rps, l.p50_ms, l.p99_ms, l.vs_healthz, l.errors, l.note
        );
    }

    if std::env::var("BENCH_ONLY").is_ok() {
        println!("\nBENCH_ONLY is set: budgets not checked, benches/results.json not written");
        return;
    }
    let p1 = find(&lines, "sqlite", "members list, page 1");
    let deep = find(&lines, "sqlite", "members list, deep page (row 10,000)");
    let search = find(&lines, "sqlite", "members list, search by name");
    let ssr = find(&lines, "sqlite", "/members server-rendered");
    let busy = find(&lines, "sqlite", "members list, 50 sign-ins hashing");
    let sorted = find(&lines, "sqlite", "members list, sorted by last sign-in");
    let filtered = find(&lines, "sqlite", "members list, filtered (active editors)");
    let exports: Vec<Line> = lines
        .iter()
        .filter(|l| l.scenario.starts_with("members export"))
        .cloned()
        .collect();
    let slowest_export = exports.iter().map(|l| l.p99_ms).fold(0.0, f64::max);
    let export_growth = exports
        .iter()
        .filter_map(|l| l.memory_growth_mb)
        .fold(0.0, f64::max);
    let peak_rss = pg.map(|(r, _)| r.max(sqlite_rss)).unwrap_or(sqlite_rss);
    let mixed = find(
        &lines,
        "sqlite",
        "members list, 10 writes/s (invites, role changes)",
    );
    let pg_p1 = try_find(&lines, "postgres", "members list, page 1");
    let pg_ssr = try_find(&lines, "postgres", "/members server-rendered");
    // A PostgreSQL budget when PostgreSQL ran: (pass, value); else it fails as not run.
    let on_pg =
        |line: &Option<Line>, pass: &dyn Fn(&Line) -> bool, value: &dyn Fn(&Line) -> String| {
            line.as_ref().map_or(
                (false, "not run (no BENCH_DATABASE_URL)".to_string()),
                |l| (pass(l), value(l)),
            )
        };
    let pg_ssr_share = on_pg(
        &pg_ssr,
        &|l| pg_p1.as_ref().is_some_and(|p| l.rps >= 0.25 * p.rps),
        &|l| {
            format!(
                "{:.1}%",
                l.rps / pg_p1.as_ref().map_or(f64::NAN, |p| p.rps) * 100.0
            )
        },
    );
    let pg_ssr_p99 = on_pg(&pg_ssr, &|l| l.p99_ms < 30.0, &|l| {
        format!("{:.1} ms", l.p99_ms)
    });
    let pg_p1_share = on_pg(&pg_p1, &|l| l.vs_healthz >= 0.1, &|l| {
        format!("{:.1}%", l.vs_healthz * 100.0)
    });
    let pg_p1_p99 = on_pg(&pg_p1, &|l| l.p99_ms < 20.0, &|l| {
        format!("{:.1} ms", l.p99_ms)
    });
    let budgets = vec![
        (
            "members list page 1 ≥ 20% of /healthz throughput (SQLite, 16 connections)",
            p1.vs_healthz >= 0.2,
            format!("{:.1}%", p1.vs_healthz * 100.0),
        ),
        (
            "members list page 1 p99 < 20 ms (SQLite)",
            p1.p99_ms < 20.0,
            format!("{:.1} ms", p1.p99_ms),
        ),
        (
            "deep page within 30% of page 1 (SQLite)",
            deep.rps >= 0.7 * p1.rps,
            format!("{:.0}%", deep.rps / p1.rps * 100.0),
        ),
        (
            "search within 30% of page 1 (SQLite)",
            search.rps >= 0.7 * p1.rps,
            format!("{:.0}%", search.rps / p1.rps * 100.0),
        ),
        (
            "sorted page (by last sign-in) within 30% of page 1 (SQLite)",
            sorted.rps >= 0.7 * p1.rps,
            format!("{:.0}%", sorted.rps / p1.rps * 100.0),
        ),
        (
            "filtered page (active editors) within 30% of page 1 (SQLite)",
            filtered.rps >= 0.7 * p1.rps,
            format!("{:.0}%", filtered.rps / p1.rps * 100.0),
        ),
        (
            "members export of the largest workspace (22,000 rows) < 2 s (each backend, slowest run)",
            !exports.is_empty() && slowest_export < 2_000.0,
            format!("{:.0} ms", slowest_export),
        ),
        (
            "server memory grows < 20 MB during that export (each backend)",
            !exports.is_empty() && export_growth < 20.0,
            format!("+{export_growth:.1} MB"),
        ),
        (
            "/members server-rendered p99 < 30 ms (SQLite)",
            ssr.p99_ms < 30.0,
            format!("{:.1} ms", ssr.p99_ms),
        ),
        (
            "/members server-rendered ≥ 25% of the members list's throughput (SQLite)",
            ssr.rps >= 0.25 * p1.rps,
            format!("{:.1}%", ssr.rps / p1.rps * 100.0),
        ),
        (
            "/members server-rendered ≥ 25% of the members list's throughput (PostgreSQL)",
            pg_ssr_share.0,
            pg_ssr_share.1,
        ),
        (
            "/members server-rendered p99 < 30 ms (PostgreSQL)",
            pg_ssr_p99.0,
            pg_ssr_p99.1,
        ),
        (
            "members list page 1 ≥ 10% of /healthz throughput (PostgreSQL)",
            pg_p1_share.0,
            pg_p1_share.1,
        ),
        (
            "members list page 1 p99 < 20 ms (PostgreSQL)",
            pg_p1_p99.0,
            pg_p1_p99.1,
        ),
        (
            "members list p99 < 20 ms while 10 writes/s (SQLite)",
            mixed.p99_ms < 20.0,
            format!("{:.1} ms", mixed.p99_ms),
        ),
        (
            "members list p99 < 50 ms while 50 sign-ins hash (SQLite)",
            busy.p99_ms < 50.0,
            format!("{:.1} ms", busy.p99_ms),
        ),
        (
            "release wasm ≤ 250 KB brotli (main module; the members page loads no other)",
            wasm_br > 0 && wasm_br <= 250 * 1024,
            format!(
                "{:.0} KB (later parts {:.0} KB in all)",
                wasm_br as f64 / 1024.0,
                later_parts_br as f64 / 1024.0
            ),
        ),
        (
            "server memory < 100 MB resident under load",
            peak_rss < 100.0,
            format!("{peak_rss:.0} MB"),
        ),
        (
            "start to /readyz < 1 s on the data set",
            sqlite_start < Duration::from_secs(1),
            format!("{:.0} ms", sqlite_start.as_secs_f64() * 1000.0),
        ),
    ];
    println!("\nbudgets");
    for (name, ok, value) in &budgets {
        println!("  [{}] {name}: {value}", if *ok { "pass" } else { "FAIL" });
    }
    let results = json!({
        "machine": { "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0) },
        "lines": lines,
        "budgets": budgets.iter().map(|(n, ok, v)| json!({"budget": n, "pass": ok, "value": v})).collect::<Vec<Value>>(),
        "startup_ms": { "sqlite": sqlite_start.as_millis() as u64, "postgres": pg.map(|(_, s)| s.as_millis() as u64) },
        "peak_rss_mb": peak_rss,
        "wasm_brotli_bytes": wasm_br,
        "wasm_later_parts_brotli_bytes": later_parts_br,
    });
    std::fs::write(
        concat!(env!("CARGO_MANIFEST_DIR"), "/benches/results.json"),
        serde_json::to_string_pretty(&results).unwrap(),
    )
    .unwrap();
    println!("\nwritten: benches/results.json");
}
