use crate::common::{captured_logs, client, TestApp, PASSWORD};
use roster::domain::PlatformRole;

fn form<'a>(
    email: &'a str,
    password: &'a str,
    ws: &'a str,
    role: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("email", email),
        ("name", "Someone"),
        ("password", password),
        ("workspace_id", ws),
        ("role", role),
    ]
}

both_backends!(add_user_statuses, add_user_statuses);
async fn add_user_statuses(app: TestApp) {
    let boot = app.seed_admin("admin@example.com").await;
    let ws = boot.workspace_id.as_str();
    let admin = app.signed_in("admin@example.com").await;
    app.add_user(&admin, "viewer@example.com", ws, "workspace_viewer")
        .await;
    let op_id = app
        .add_user(&admin, "operator@example.com", ws, "workspace_viewer")
        .await;
    app.set_platform_role(&op_id, PlatformRole::PlatformOperator)
        .await;
    let viewer = app.signed_in("viewer@example.com").await;
    let operator = app.signed_in("operator@example.com").await;
    let users_before = app.scalar("SELECT COUNT(*) FROM users", &[]).await;

    let anon = app
        .post(
            &client(),
            "/api/admin/users",
            &form("x@example.com", "good password 1", ws, "workspace_viewer"),
        )
        .await;
    assert_eq!(anon.status, 401);
    let unknown_ws = app
        .post(
            &admin,
            "/api/admin/users",
            &form(
                "x@example.com",
                "good password 1",
                "00000000-0000-0000-0000-000000000000",
                "workspace_viewer",
            ),
        )
        .await;
    assert_eq!(unknown_ws.status, 404);
    for c in [&viewer, &operator] {
        let r = app
            .post(
                c,
                "/api/admin/users",
                &form("x@example.com", "good password 1", ws, "workspace_viewer"),
            )
            .await;
        assert_eq!(r.status, 403, "{}", r.text);
    }
    for (field, f) in [
        (
            "email",
            form("not-an-email", "good password 1", ws, "workspace_viewer"),
        ),
        (
            "role",
            form("x@example.com", "good password 1", ws, "platform_admin"),
        ),
        (
            "role",
            form("x@example.com", "good password 1", ws, "org_owner"),
        ),
        (
            "password",
            form("x@example.com", "short", ws, "workspace_viewer"),
        ),
        (
            "password",
            form("x@example.com", "password123", ws, "workspace_viewer"),
        ),
    ] {
        let r = app.post(&admin, "/api/admin/users", &f).await;
        assert_eq!(r.status, 400, "{field}: {}", r.text);
        assert!(
            r.body["fields"][field].is_string(),
            "a message for {field}: {}",
            r.text
        );
    }
    let long = "y".repeat(129);
    assert_eq!(
        app.post(
            &admin,
            "/api/admin/users",
            &form("x@example.com", &long, ws, "workspace_viewer")
        )
        .await
        .status,
        400
    );
    // Already a user (any case): 409, and the existing account is untouched.
    let taken = app
        .post(
            &admin,
            "/api/admin/users",
            &form(
                "Viewer@Example.com",
                "good password 1",
                ws,
                "workspace_admin",
            ),
        )
        .await;
    assert_eq!(taken.status, 409);
    assert_eq!(taken.body["code"], "email_taken");
    assert_eq!(
        app.login(&client(), "viewer@example.com", PASSWORD)
            .await
            .status,
        200,
        "password not overwritten"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM users", &[]).await,
        users_before,
        "nothing half-written"
    );
}

both_backends!(
    add_user_writes_user_membership_and_audit_without_secrets,
    add_user_writes_user_membership_and_audit_without_secrets
);
async fn add_user_writes_user_membership_and_audit_without_secrets(app: TestApp) {
    let boot = app.seed_admin("admin@example.com").await;
    let admin = app.signed_in("admin@example.com").await;
    let chosen = "chosen secret 4711";
    let r = app
        .post(
            &admin,
            "/api/admin/users",
            &form(
                "Chosen@Example.com",
                chosen,
                &boot.workspace_id,
                "workspace_editor",
            ),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["email"], "chosen@example.com");
    assert_eq!(r.body["must_change_password"], true);
    assert!(r.body["generated_password"].is_null());
    assert!(!r.text.contains(chosen) && !r.text.contains("argon2"));

    let generated = app
        .post(
            &admin,
            "/api/admin/users",
            &form(
                "gen@example.com",
                "",
                &boot.workspace_id,
                "workspace_viewer",
            ),
        )
        .await;
    assert_eq!(generated.status, 201, "{}", generated.text);
    let pw = generated.body["generated_password"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(pw.chars().count(), 20);
    assert!(!generated.text.contains("argon2"));
    assert_eq!(
        app.login(&client(), "gen@example.com", &pw).await.status,
        200
    );

    let uid = r.body["user_id"].as_str().unwrap();
    let membership = app
        .scalar("SELECT COUNT(*) FROM workspace_members WHERE user_id = $1 AND workspace_id = $2 AND role = 'workspace_editor' AND role_source = 'admin_create'", &[uid, &boot.workspace_id])
        .await;
    assert_eq!(membership, 1);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'admin_create_user' AND target = 'chosen@example.com'", &[]).await, 1);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM mail_outbox", &[]).await,
        0,
        "no email is sent"
    );

    let hashes: Vec<String> = match &app.db {
        roster::server::db::Db::Sqlite(p, _) => {
            sqlx::query_scalar("SELECT password_hash FROM users WHERE password_hash IS NOT NULL")
                .fetch_all(p)
                .await
                .unwrap()
        }
        roster::server::db::Db::Postgres(p, _) => {
            sqlx::query_scalar("SELECT password_hash FROM users WHERE password_hash IS NOT NULL")
                .fetch_all(p)
                .await
                .unwrap()
        }
    };
    let audit = app.audit_text().await;
    let logs = captured_logs();
    assert!(!logs.is_empty(), "logs were captured");
    for secret in [chosen.to_string(), pw].into_iter().chain(hashes) {
        assert!(!audit.contains(&secret), "a secret reached the audit log");
        assert!(!logs.contains(&secret), "a secret reached the logs");
    }
}

both_backends!(
    email_with_pending_invitation_is_taken,
    email_with_pending_invitation_is_taken
);
async fn email_with_pending_invitation_is_taken(app: TestApp) {
    let boot = app.seed_admin("admin@example.com").await;
    let admin = app.signed_in("admin@example.com").await;
    app.exec(
        "INSERT INTO pending_invites (email, invited_at, expires_at, token_hash, send_count) VALUES ($1, 0, 4000000000, 'h', 1)",
        &["invited@example.com"],
    )
    .await;
    let r = app
        .post(
            &admin,
            "/api/admin/users",
            &form(
                "invited@example.com",
                "good password 1",
                &boot.workspace_id,
                "workspace_viewer",
            ),
        )
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM users WHERE email = 'invited@example.com'",
            &[]
        )
        .await,
        0
    );
}
