//! Test harness: the real router on 127.0.0.1:0 with a fresh database per test — a temporary
//! SQLite file, or a freshly created PostgreSQL database (dropped afterwards) when
//! `TEST_DATABASE_URL` is set. The server is stopped and the database removed on drop.
#![allow(dead_code)]

use roster::domain::{AuditAction, OrgRole, PlatformRole};
use roster::server::auth::password::hash_blocking;
use roster::server::config::Config;
use roster::server::db::audit::AuditEvent;
use roster::server::db::{users, workspaces, Db};
use roster::server::http::{build_state, router};
use serde_json::Value;
use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Declares `mod $name { sqlite(), postgres() }` running the same async test body on each backend.
macro_rules! both_backends {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = crate::common::spawn_app(crate::common::Backend::Sqlite)
                    .await
                    .expect("sqlite app");
                super::$body(app).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(app) = crate::common::spawn_app(crate::common::Backend::Postgres).await
                else {
                    return;
                };
                super::$body(app).await;
            }
        }
    };
}

pub const PASSWORD: &str = "a perfectly fine passphrase";
/// The sweep's retention with the configuration's default (`AUDIT_RETENTION_DAYS=365`).
pub const KEEP_AUDIT_A_YEAR: roster::server::sweep::Retention = roster::server::sweep::Retention {
    audit_days: Some(365),
};

pub struct TestApp {
    pub addr: SocketAddr,
    pub base: String,
    pub db: Db,
    pub backend: Backend,
    pub database_url: String,
    /// The configuration given on top of the test defaults.
    pub extra_vars: Vec<(String, String)>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    mail_sender: Option<tokio::task::JoinHandle<()>>,
    webhook_sender: Option<tokio::task::JoinHandle<()>>,
    cleanup: Cleanup,
}

pub enum Cleanup {
    /// Another TestApp owns the database.
    Shared,
    SqliteDir(std::path::PathBuf),
    PostgresDb {
        admin_url: String,
        name: String,
    },
}

/// Where to create test databases, or `None` (with a visible note) when PostgreSQL tests are off.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
                panic!("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set");
            }
            eprintln!("SKIPPED (PostgreSQL): set TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres to run it");
            None
        }
    }
}

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let prefix = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

pub async fn create_database(backend: Backend) -> Option<(String, Cleanup)> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(format!("roster-test-{id}"));
            std::fs::create_dir_all(&dir).expect("temp dir");
            Some((
                format!("sqlite://{}/roster.db", dir.display()),
                Cleanup::SqliteDir(dir),
            ))
        }
        Backend::Postgres => {
            let admin_url = postgres_admin_url()?;
            let name = format!("roster_test_{id}");
            let admin = sqlx::PgPool::connect(&admin_url)
                .await
                .expect("connect to TEST_DATABASE_URL");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&admin)
                .await
                .expect("create test database");
            admin.close().await;
            Some((
                with_database(&admin_url, &name),
                Cleanup::PostgresDb { admin_url, name },
            ))
        }
    }
}

/// The pool a 2-core machine gives each instance: on a machine with many cores, as many tests
/// at once with pools sized from its cores would pass PostgreSQL's `max_connections`.
fn pool_size(database_url: &str) -> &'static str {
    if database_url.starts_with("sqlite:") {
        "4"
    } else {
        "10"
    }
}

pub fn test_config(database_url: &str, addr: SocketAddr, extra: &[(&str, &str)]) -> Config {
    let mut vars: HashMap<String, String> = HashMap::from([
        ("DATABASE_URL".into(), database_url.to_string()),
        ("BIND_ADDR".into(), addr.to_string()),
        ("PUBLIC_URL".into(), format!("http://{addr}")),
        ("DATABASE_POOL_SIZE".into(), pool_size(database_url).into()),
    ]);
    for (k, v) in extra {
        vars.insert(k.to_string(), v.to_string());
    }
    Config::from_lookup(&move |k| vars.get(k).cloned()).expect("test config")
}

pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, &[]).await
}

pub async fn spawn_app_with(backend: Backend, extra: &[(&str, &str)]) -> Option<TestApp> {
    init_log_capture();
    let (url, cleanup) = create_database(backend).await?;
    Some(serve_on(backend, url, cleanup, extra).await)
}

impl TestApp {
    /// Another instance of the app on the same database, with its own configuration.
    /// Stops this instance's webhook sender (its deliveries wait for another instance).
    pub fn stop_webhook_sender(&mut self) {
        if let Some(sender) = self.webhook_sender.take() {
            sender.abort();
        }
    }

    pub async fn sibling(&self, extra: &[(&str, &str)]) -> TestApp {
        serve_on(
            self.backend,
            self.database_url.clone(),
            Cleanup::Shared,
            extra,
        )
        .await
    }
}

async fn serve_on(
    backend: Backend,
    url: String,
    cleanup: Cleanup,
    extra: &[(&str, &str)],
) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let state = build_state(test_config(&url, addr, extra))
        .await
        .expect("app state");
    let mail_sender = roster::server::http::start_mail_sender(&state).expect("mail sender");
    let webhook_sender = roster::server::http::start_webhook_sender(&state);
    let db = state.db.clone();
    // Served as `roster serve` serves: the same accept loop and connection limits.
    let limits = roster::server::http::listen_limits(&state.config);
    let app = router(state);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        roster::server::listen::serve(listener, app, limits, async {
            let _ = rx.await;
        })
        .await;
    });
    TestApp {
        database_url: url.clone(),
        extra_vars: extra
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        addr,
        base: format!("http://{addr}"),
        db,
        backend,
        shutdown: Some(tx),
        server: Some(server),
        mail_sender,
        webhook_sender: Some(webhook_sender),
        cleanup,
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
        if let Some(sender) = self.webhook_sender.take() {
            sender.abort();
        }
        if let Some(sender) = self.mail_sender.take() {
            sender.abort();
        }
        match &self.cleanup {
            Cleanup::Shared => {}
            Cleanup::SqliteDir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::PostgresDb { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs inside the test's runtime: do the async cleanup on a thread of its own.
                // No pool.close() here: it would wait for connections held by tasks of the
                // (blocked) test runtime; FORCE ends them on the server instead.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("runtime");
                    rt.block_on(async move {
                        if let Ok(admin) = sqlx::PgPool::connect(&admin_url).await {
                            let _ = sqlx::query(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .execute(&admin)
                            .await;
                            admin.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// A browser-like client with its own cookie jar (one "browser" per client).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        // A request that never ends fails its test instead of stalling the whole run.
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("client")
}

pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// POSTs a form to a server function.
    pub async fn post(&self, client: &reqwest::Client, path: &str, form: &[(&str, &str)]) -> Reply {
        let res = client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    /// Every row of a workspace's members list for a status and search, following `next` from
    /// page to page; each page must succeed.
    pub async fn list_members(
        &self,
        client: &reqwest::Client,
        ws: &str,
        status: &str,
        q: &str,
    ) -> Vec<Value> {
        let mut rows = Vec::new();
        let mut after = String::new();
        loop {
            let page = self
                .post(
                    client,
                    "/api/members/list",
                    &[
                        ("workspace_id", ws),
                        ("status", status),
                        ("q", q),
                        ("after", &after),
                    ],
                )
                .await;
            assert_eq!(page.status, 200, "{}", page.text);
            rows.extend(
                page.body["members"]
                    .as_array()
                    .expect("members")
                    .iter()
                    .cloned(),
            );
            match page.body["next"].as_str() {
                Some(next) => after = next.to_string(),
                None => return rows,
            }
        }
    }

    pub async fn login(&self, client: &reqwest::Client, email: &str, password: &str) -> Reply {
        self.post(
            client,
            "/api/auth/login",
            &[("email", email), ("password", password)],
        )
        .await
    }

    /// A new client already signed in as `email`.
    pub async fn signed_in(&self, email: &str) -> reqwest::Client {
        let c = client();
        let r = self.login(&c, email, PASSWORD).await;
        assert_eq!(r.status, 200, "sign-in of {email}: {}", r.text);
        c
    }

    /// The session cookie (`name=token`) of a fresh sign-in of `email` with PASSWORD.
    pub async fn session_cookie_of(&self, email: &str) -> String {
        session_cookie(&self.login(&client(), email, PASSWORD).await)
            .unwrap_or_else(|| panic!("a session cookie for {email}"))
    }

    /// A platform admin with PASSWORD (no forced change) and the default org and workspace.
    pub async fn seed_admin(&self, email: &str) -> users::Bootstrapped {
        let hash = hash(PASSWORD).await;
        users::bootstrap_admin(
            &self.db,
            &users::BootstrapAdmin {
                email,
                name: "Admin",
                password_hash: Some(&hash),
                must_change_password: false,
                temp_password_expires_at: None,
            },
        )
        .await
        .expect("bootstrap admin")
    }

    /// Creates a user with PASSWORD through Add User as `admin` (no forced change).
    pub async fn add_user(
        &self,
        admin: &reqwest::Client,
        email: &str,
        workspace_id: &str,
        role: &str,
    ) -> String {
        let r = self
            .post(
                admin,
                "/api/admin/users",
                &[
                    ("email", email),
                    ("name", email),
                    ("password", PASSWORD),
                    ("workspace_id", workspace_id),
                    ("role", role),
                    ("must_change_password", "false"),
                ],
            )
            .await;
        assert_eq!(r.status, 201, "add user {email}: {}", r.text);
        r.body["user_id"].as_str().expect("user_id").to_string()
    }

    pub async fn set_platform_role(&self, user_id: &str, role: PlatformRole) {
        users::set_platform_role(
            &self.db,
            user_id,
            Some(role),
            &AuditEvent::new(AuditAction::AuthzChange),
        )
        .await
        .expect("platform role");
    }

    pub async fn set_org_role(&self, org_id: &str, user_id: &str, role: OrgRole) {
        workspaces::set_org_role(
            &self.db,
            org_id,
            user_id,
            role,
            &AuditEvent::new(AuditAction::AuthzChange),
        )
        .await
        .expect("org role");
    }

    /// Runs a `SELECT COUNT(*) ...` (or any single i64) with string arguments.
    pub async fn scalar(&self, sql: &str, args: &[&str]) -> i64 {
        match &self.db {
            Db::Sqlite(p, _) => {
                let mut q = sqlx::query_scalar::<_, i64>(sql);
                for a in args {
                    q = q.bind(*a);
                }
                q.fetch_one(p).await.expect("scalar")
            }
            Db::Postgres(p, _) => {
                let mut q = sqlx::query_scalar::<_, i64>(sql);
                for a in args {
                    q = q.bind(*a);
                }
                q.fetch_one(p).await.expect("scalar")
            }
        }
    }

    /// Runs a query returning a single text value (an id) with string arguments.
    pub async fn scalar_text(&self, sql: &str, args: &[&str]) -> String {
        match &self.db {
            Db::Sqlite(p, _) => {
                let mut q = sqlx::query_scalar::<_, String>(sql);
                for a in args {
                    q = q.bind(*a);
                }
                q.fetch_one(p).await.expect("scalar_text")
            }
            Db::Postgres(p, _) => {
                let mut q = sqlx::query_scalar::<_, String>(sql);
                for a in args {
                    q = q.bind(*a);
                }
                q.fetch_one(p).await.expect("scalar_text")
            }
        }
    }

    /// Runs a statement with string arguments.
    pub async fn exec(&self, sql: &str, args: &[&str]) {
        match &self.db {
            Db::Sqlite(p, _) => {
                let mut q = sqlx::query(sql);
                for a in args {
                    q = q.bind(*a);
                }
                q.execute(p).await.expect("exec");
            }
            Db::Postgres(p, _) => {
                let mut q = sqlx::query(sql);
                for a in args {
                    q = q.bind(*a);
                }
                q.execute(p).await.expect("exec");
            }
        }
    }

    /// Every audit row as text, to search for secrets.
    pub async fn audit_text(&self) -> String {
        let sql = "SELECT COALESCE(action, '') || ' ' || COALESCE(target, '') || ' ' || COALESCE(detail, '') || ' ' || COALESCE(ip, '') FROM audit_log";
        let rows: Vec<String> = match &self.db {
            Db::Sqlite(p, _) => sqlx::query_scalar(sql).fetch_all(p).await.expect("audit"),
            Db::Postgres(p, _) => sqlx::query_scalar(sql).fetch_all(p).await.expect("audit"),
        };
        rows.join("\n")
    }

    pub async fn create_workspace(
        &self,
        admin: &reqwest::Client,
        org_id: &str,
        name: &str,
    ) -> String {
        let r = self
            .post(
                admin,
                "/api/workspaces/create",
                &[("org_id", org_id), ("name", name)],
            )
            .await;
        assert_eq!(r.status, 200, "create workspace: {}", r.text);
        r.body["id"].as_str().expect("id").to_string()
    }

    pub async fn create_org(&self, admin: &reqwest::Client, name: &str) -> String {
        let r = self
            .post(admin, "/api/orgs/create", &[("name", name)])
            .await;
        assert_eq!(r.status, 200, "create org: {}", r.text);
        r.body["id"].as_str().expect("id").to_string()
    }

    pub async fn org_of(&self, workspace_id: &str) -> String {
        workspaces::get(&self.db, workspace_id)
            .await
            .expect("ws")
            .expect("exists")
            .org_id
    }
}

pub async fn hash(password: &str) -> String {
    let p = password.to_string();
    tokio::task::spawn_blocking(move || hash_blocking(&p))
        .await
        .expect("join")
        .expect("hash")
}

/// The session cookie (name=value) a client holds for `app`.
pub fn session_cookie(reply: &Reply) -> Option<String> {
    reply
        .headers
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("roster_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
}

/// A client without a jar that sends exactly this cookie.
pub async fn with_cookie(app: &TestApp, cookie: &str, path: &str) -> Reply {
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(app.url(path))
        .header(reqwest::header::COOKIE, cookie)
        .form(&[("x", "")])
        .send()
        .await
        .expect("request");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.expect("body");
    Reply {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    }
}

static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut logs) = self.0.lock() {
            logs.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Captures every log line of this test process at debug level, to look for secrets.
pub fn init_log_capture() {
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = Capture(buf.clone());
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .try_init();
        buf
    });
}

pub fn captured_logs() -> String {
    LOGS.get()
        .map(|b| String::from_utf8_lossy(&b.lock().expect("logs")).to_string())
        .unwrap_or_default()
}

/// A real HTTP receiver process for webhooks (`end2end/tools/webhook-receiver.mjs`, Node) on
/// 127.0.0.1, answering with `statuses` in turn and then 200; killed on drop.
pub struct WebhookReceiver {
    pub port: u16,
    child: std::process::Child,
    requests: Arc<Mutex<Vec<Value>>>,
}

impl WebhookReceiver {
    pub fn start(port: u16, statuses: &[u16]) -> WebhookReceiver {
        use std::io::BufRead;
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/end2end/tools/webhook-receiver.mjs"
        );
        let mut child = std::process::Command::new("node")
            .arg(script)
            .arg(port.to_string())
            .args(statuses.iter().map(|s| s.to_string()))
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start the webhook receiver (needs node)");
        let stdout = child.stdout.take().expect("stdout");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = requests.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                let Ok(v) = serde_json::from_str::<Value>(&line) else {
                    continue;
                };
                if let Some(p) = v.get("listening").and_then(Value::as_u64) {
                    let _ = tx.send(p as u16);
                } else if let Ok(mut r) = sink.lock() {
                    r.push(v);
                }
            }
        });
        let port = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("webhook receiver did not start");
        WebhookReceiver {
            port,
            child,
            requests,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Value> {
        self.requests.lock().unwrap().clone()
    }

    /// Waits (up to 30 s) until `n` requests were answered with a 2xx, and returns them.
    pub async fn wait_for_delivered(&self, n: usize) -> Vec<Value> {
        for _ in 0..300 {
            let ok: Vec<Value> = self
                .requests()
                .into_iter()
                .filter(|r| r["status"].as_u64().is_some_and(|s| s < 300))
                .collect();
            if ok.len() >= n {
                return ok;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!(
            "webhook receiver: fewer than {n} deliveries: {:?}",
            self.requests()
        );
    }
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A real SMTP server process (`end2end/tools/smtp-sink.mjs`, Node) on 127.0.0.1, killed on drop.
pub struct SmtpSink {
    pub port: u16,
    child: std::process::Child,
    messages: Arc<Mutex<Vec<Value>>>,
}

impl SmtpSink {
    /// Starts on `port` (0: any free port).
    pub fn start(port: u16) -> SmtpSink {
        use std::io::BufRead;
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/end2end/tools/smtp-sink.mjs");
        let mut child = std::process::Command::new("node")
            .arg(script)
            .arg(port.to_string())
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/end2end"))
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start the SMTP test server (needs node and end2end/node_modules: run `make test` once)");
        let stdout = child.stdout.take().expect("stdout");
        let messages = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = messages.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                let Ok(v) = serde_json::from_str::<Value>(&line) else {
                    continue;
                };
                if let Some(p) = v.get("listening").and_then(Value::as_u64) {
                    let _ = tx.send(p as u16);
                } else if let Ok(mut m) = sink.lock() {
                    m.push(v);
                }
            }
        });
        let port = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("SMTP test server did not start");
        SmtpSink {
            port,
            child,
            messages,
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn messages(&self) -> Vec<Value> {
        self.messages.lock().expect("messages").clone()
    }

    /// Waits for at least `n` messages (up to 20 s).
    pub async fn wait_for(&self, n: usize) -> Vec<Value> {
        for _ in 0..200 {
            let m = self.messages();
            if m.len() >= n {
                return m;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("expected {n} email(s), got {}", self.messages().len());
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on (yet).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// The invitation link in a raw message (quoted-printable soft line breaks undone).
pub fn invite_link_in(raw: &str) -> String {
    let text = raw
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let start = text.find("http://127.0.0.1:").expect("a link");
    let rest = &text[start..];
    let path_start = rest.find("/invite/").expect("an invitation link") + "/invite/".len();
    let token: String = rest[path_start..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    assert_eq!(token.len(), 64, "a 256-bit token in {rest}");
    rest[..path_start].to_string() + &token
}

/// The token at the end of an invitation link.
pub fn token_of(link: &str) -> String {
    link.rsplit('/').next().expect("token").to_string()
}

/// The real `roster serve` binary as a child process on a free port, killed on drop.
pub struct RosterProcess {
    pub base: String,
    child: std::process::Child,
}

impl RosterProcess {
    pub async fn start(database_url: &str, extra: &[(&str, &str)]) -> RosterProcess {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_roster"));
        cmd.arg("serve")
            .env("DATABASE_URL", database_url)
            .env("DATABASE_POOL_SIZE", pool_size(database_url))
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("PUBLIC_URL", &base)
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null());
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("start roster");
        let process = RosterProcess { base, child };
        let c = reqwest::Client::new();
        for _ in 0..200 {
            if let Ok(r) = c.get(format!("{}/readyz", process.base)).send().await {
                if r.status() == 200 {
                    return process;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("roster did not become ready");
    }

    /// SIGKILL: no graceful shutdown, nothing flushed.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RosterProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
