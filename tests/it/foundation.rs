use crate::common::{client, TestApp};
use std::process::Command;

both_backends!(health_and_readiness, health_and_readiness);
async fn health_and_readiness(app: TestApp) {
    let c = client();
    assert_eq!(
        c.get(app.url("/healthz")).send().await.unwrap().status(),
        200
    );
    assert_eq!(
        c.get(app.url("/readyz")).send().await.unwrap().status(),
        200
    );
    app.db.close().await;
    assert_eq!(
        c.get(app.url("/readyz")).send().await.unwrap().status(),
        503,
        "readyz must fail without a database"
    );
    assert_eq!(
        c.get(app.url("/healthz")).send().await.unwrap().status(),
        200
    );
}

both_backends!(login_page_is_server_rendered, login_page_is_server_rendered);
async fn login_page_is_server_rendered(app: TestApp) {
    let res = client().get(app.url("/login")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("<h1>Sign in</h1>"), "{html}");
    assert!(
        html.contains("/pkg/roster.js"),
        "hydration script is linked"
    );
    // The bundle under the name cargo-leptos gives it (`output-name`): a server built without
    // LEPTOS_OUTPUT_NAME (.cargo/config.toml) names `roster_bg.wasm`, which no site holds.
    assert!(
        html.contains("\"/pkg/roster.wasm\"") && !html.contains("roster_bg"),
        "the page must name /pkg/roster.wasm: {html}"
    );
    let missing = client().get(app.url("/no-such-page")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
}

both_backends!(
    the_navigation_marks_the_page_shown,
    the_navigation_marks_the_page_shown
);
/// The server-rendered navigation marks the link of the page shown, or of the section it is
/// in, with `aria-current="page"`, and no other link; every page has the title and stylesheet
/// in its head.
async fn the_navigation_marks_the_page_shown(app: TestApp) {
    let boot = app.seed_admin("admin@example.com").await;
    let admin = app.signed_in("admin@example.com").await;
    let person = format!("/people/{}", boot.user_id);
    for (path, current) in [
        ("/members", "/members"),
        ("/people", "/people"),
        (person.as_str(), "/people"),
        ("/profile", "/profile"),
    ] {
        let res = admin.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let html = res.text().await.unwrap();
        let marked = html.matches(r#"aria-current="page""#).count();
        assert_eq!(marked, 1, "{path}: one link marked: {html}");
        assert!(
            html.contains(&format!(r#"<a href="{current}" aria-current="page">"#)),
            "{path}: {current} marked: {html}"
        );
        let head = &html[..html.find("</head>").expect("a head")];
        assert!(
            head.contains("<title>Roster</title>")
                && head.contains(r#"<link rel="stylesheet" id="leptos" href="/pkg/roster.css">"#),
            "{path}: {head}"
        );
    }
}

both_backends!(
    private_pages_send_anonymous_visitors_to_login,
    private_pages_send_anonymous_visitors_to_login
);
async fn private_pages_send_anonymous_visitors_to_login(app: TestApp) {
    let res = client()
        .get(app.url("/members?workspace=x"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        "/login?return_to=/members%3Fworkspace%3Dx"
    );
}

both_backends!(unknown_api_is_a_json_404, unknown_api_is_a_json_404);
async fn unknown_api_is_a_json_404(app: TestApp) {
    let r = app.post(&client(), "/api/nope", &[]).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["code"], "not_found");
}

both_backends!(
    malformed_input_is_400_not_500,
    malformed_input_is_400_not_500
);
async fn malformed_input_is_400_not_500(app: TestApp) {
    // `password` missing altogether.
    let r = app
        .post(&client(), "/api/auth/login", &[("email", "a@example.com")])
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.body["code"], "bad_request");
}

both_backends!(
    request_bodies_are_size_limited,
    request_bodies_are_size_limited
);
async fn request_bodies_are_size_limited(app: TestApp) {
    let big = "x".repeat(200 * 1024);
    let r = app
        .post(
            &client(),
            "/api/auth/login",
            &[("email", &big), ("password", "x")],
        )
        .await;
    assert_eq!(r.status, 413);
}

fn roster(database_url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_roster"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run roster")
}

#[test]
fn bootstrap_admin_twice_refuses_the_second_time() {
    let dir = std::env::temp_dir().join(format!("roster-cli-{}", uuid::Uuid::new_v4().simple()));
    let url = format!("sqlite://{}/cli.db", dir.display());
    let first = roster(
        &url,
        &[
            "bootstrap-admin",
            "--email",
            "a@example.com",
            "--generate-password",
        ],
    );
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let stdout = String::from_utf8_lossy(&first.stdout);
    let password_line = stdout
        .lines()
        .find(|l| l.starts_with("password: "))
        .expect("password line");
    assert_eq!(password_line.len(), "password: ".len() + 20);

    let second = roster(&url, &["bootstrap-admin", "--email", "b@example.com"]);
    assert!(!second.status.success());
    assert!(String::from_utf8_lossy(&second.stderr).contains("already exists"));

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&pool)
            .await
            .unwrap();
        let orgs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM organizations")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!((users, orgs), (1, 1), "the refused run changed nothing");
        pool.close().await;
    });

    let forced = roster(
        &url,
        &["bootstrap-admin", "--email", "b@example.com", "--force"],
    );
    assert!(
        forced.status.success(),
        "{}",
        String::from_utf8_lossy(&forced.stderr)
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_pending_first_admin_invitation_is_minted_once() {
    let dir = std::env::temp_dir().join(format!("roster-cli-{}", uuid::Uuid::new_v4().simple()));
    let url = format!("sqlite://{}/cli.db", dir.display());
    let first = roster(&url, &["bootstrap-admin", "--email", "a@example.com"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let again = roster(&url, &["bootstrap-admin", "--email", "b@example.com"]);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already pending"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let invitations = rt.block_on(async {
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        let n: Vec<String> = sqlx::query_scalar("SELECT email FROM pending_invites")
            .fetch_all(&pool)
            .await
            .unwrap();
        pool.close().await;
        n
    });
    assert_eq!(
        invitations,
        ["a@example.com"],
        "the refused run minted nothing"
    );
    let forced = roster(
        &url,
        &["bootstrap-admin", "--email", "b@example.com", "--force"],
    );
    assert!(
        forced.status.success(),
        "{}",
        String::from_utf8_lossy(&forced.stderr)
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn unsupported_database_url_stops_the_start() {
    let out = roster("mysql://root:hunter2@x/db", &["migrate"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("DATABASE_URL") && err.contains("sqlite://") && err.contains("postgres://"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "the password leaked: {err}");
}

#[test]
fn bad_variable_is_named() {
    let out = Command::new(env!("CARGO_BIN_EXE_roster"))
        .arg("migrate")
        .env("DATABASE_URL", "sqlite::memory:")
        .env("SESSION_IDLE_HOURS", "forever")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("SESSION_IDLE_HOURS"));
}

/// The bundle's parts keep their names from one release to the next and work only with the main
/// module they were built with: a browser must revalidate each before reusing it.
#[tokio::test]
async fn built_assets_are_revalidated_before_reuse() {
    let site = std::env::temp_dir().join(format!(
        "roster-site-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    // Removed however the test ends.
    struct RemoveOnDrop(std::path::PathBuf);
    impl Drop for RemoveOnDrop {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let _site_dir = RemoveOnDrop(site.clone());
    std::fs::write(site.join("pkg/chunk_1.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let app = crate::common::spawn_app_with(
        crate::common::Backend::Sqlite,
        &[("SITE_ROOT", site.to_str().unwrap())],
    )
    .await
    .expect("SQLite is always available");

    let first = client()
        .get(app.url("/pkg/chunk_1.wasm"))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["cache-control"], "no-cache");
    let modified = first.headers()["last-modified"].clone();
    assert_eq!(first.bytes().await.unwrap().as_ref(), b"\0asm\x01\0\0\0");

    // Unchanged since: 304, no body.
    let again = client()
        .get(app.url("/pkg/chunk_1.wasm"))
        .header("if-modified-since", modified)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["cache-control"], "no-cache");

    let missing = client()
        .get(app.url("/pkg/chunk_2.wasm"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}
