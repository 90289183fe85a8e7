//! On SQLite the session and members pages are served from a cache until the database changes
//! (`server::db::read_cache`). Whatever wrote, the next request must see it; and what the clock
//! decides (a session's expiry, an invitation's) must not wait for a write.

use crate::common::{with_cookie, TestApp};
use roster::server::db::{now, sessions, Db};
use roster::server::tokens::token_hash;
use serde_json::Value;

fn emails(rows: &[Value]) -> Vec<&str> {
    rows.iter().filter_map(|r| r["email"].as_str()).collect()
}

both_backends!(
    a_write_the_app_did_not_make_is_seen_by_the_next_request,
    a_write_the_app_did_not_make_is_seen_by_the_next_request
);
async fn a_write_the_app_did_not_make_is_seen_by_the_next_request(app: TestApp) {
    if let Db::Sqlite(_, snapshots) = &app.db {
        assert!(
            snapshots.cache().version().is_some(),
            "on SQLite the cache watches the database (else these tests prove nothing)"
        );
    }
    let boot = app.seed_admin("admin@example.com").await;
    let ws = boot.workspace_id.as_str();
    let admin = app.signed_in("admin@example.com").await;
    let bob = app
        .add_user(&admin, "bob@example.com", ws, "workspace_viewer")
        .await;
    // Read twice: the second may come from the cache.
    for _ in 0..2 {
        let rows = app.list_members(&admin, ws, "all", "").await;
        assert!(emails(&rows).contains(&"bob@example.com"));
    }

    // Another connection removes Bob behind the app's back.
    app.exec("DELETE FROM workspace_members WHERE user_id = $1", &[&bob])
        .await;
    let rows = app.list_members(&admin, ws, "all", "").await;
    assert_eq!(emails(&rows), vec!["admin@example.com"]);
    let page = app
        .post(&admin, "/api/members/list", &[("workspace_id", ws)])
        .await;
    assert_eq!(page.body["member_count"], 1);

    // A signed-in session, read (and cached) twice, then its user is disabled directly.
    let cookie = app.session_cookie_of("bob@example.com").await;
    for _ in 0..2 {
        let me = with_cookie(&app, &cookie, "/api/auth/me").await;
        assert_eq!(me.body["email"], "bob@example.com", "{}", me.text);
    }
    // Bob's roles and workspaces (read, and cached, with `me`) changed directly.
    let workspaces_with_roles = |me: &Value| {
        me["workspaces"]
            .as_array()
            .map(|ws| {
                ws.iter()
                    .map(|w| {
                        format!(
                            "{} {}",
                            w["name"].as_str().unwrap_or(""),
                            w["my_role"].as_str().unwrap_or("")
                        )
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    app.exec(
        "INSERT INTO workspace_members (workspace_id, user_id, email, role, role_source, joined_at) \
         VALUES ($1, $2, 'bob@example.com', 'workspace_editor', 'manual', 0)",
        &[ws, &bob],
    )
    .await;
    for _ in 0..2 {
        let me = with_cookie(&app, &cookie, "/api/auth/me").await;
        assert_eq!(
            workspaces_with_roles(&me.body),
            vec!["Default workspace workspace_editor"],
            "{}",
            me.text
        );
    }
    app.exec(
        "UPDATE workspace_members SET role = 'workspace_admin' WHERE user_id = $1",
        &[&bob],
    )
    .await;
    app.exec(
        "UPDATE workspaces SET name = 'Renamed' WHERE id = $1",
        &[ws],
    )
    .await;
    let me = with_cookie(&app, &cookie, "/api/auth/me").await;
    assert_eq!(
        workspaces_with_roles(&me.body),
        vec!["Renamed workspace_admin"],
        "{}",
        me.text
    );
    assert!(
        me.body["actor"]["workspace_roles"]
            .to_string()
            .contains("workspace_admin"),
        "the roles the page decides with are the new ones: {}",
        me.text
    );

    app.exec("UPDATE users SET disabled_at = 1 WHERE id = $1", &[&bob])
        .await;
    let me = with_cookie(&app, &cookie, "/api/auth/me").await;
    assert_eq!(
        me.body,
        Value::Null,
        "a disabled user is signed out at once"
    );
}

both_backends!(
    a_cached_session_still_ends_on_the_clock,
    a_cached_session_still_ends_on_the_clock
);
async fn a_cached_session_still_ends_on_the_clock(app: TestApp) {
    app.seed_admin("admin@example.com").await;
    let cookie = app.session_cookie_of("admin@example.com").await;
    let hash = token_hash(cookie.split_once('=').expect("name=token").1);
    let row = sessions::load(&app.db, &hash, now())
        .await
        .expect("load")
        .expect("a live session");
    let expires_at = row.expires_at;
    assert!(expires_at > now());
    assert!(sessions::load(&app.db, &hash, expires_at - 1)
        .await
        .expect("load")
        .is_some());
    assert!(
        sessions::load(&app.db, &hash, expires_at)
            .await
            .expect("load")
            .is_none(),
        "no write happened, but the session's time is up"
    );
}

both_backends!(
    an_invitation_expires_on_the_clock_in_every_view,
    an_invitation_expires_on_the_clock_in_every_view
);
async fn an_invitation_expires_on_the_clock_in_every_view(app: TestApp) {
    let boot = app.seed_admin("admin@example.com").await;
    let ws = boot.workspace_id.as_str();
    let admin = app.signed_in("admin@example.com").await;
    let invited = app
        .post(
            &admin,
            "/api/invites/create",
            &[
                ("workspace_id", ws),
                ("emails", "soon@example.com"),
                ("role", "workspace_viewer"),
            ],
        )
        .await;
    assert_eq!(invited.status, 200, "{}", invited.text);
    // Two seconds left; then no write at all until it has expired.
    let deadline = now() + 2;
    for table in ["pending_invites", "pending_invite_workspaces"] {
        app.exec(
            &format!("UPDATE {table} SET expires_at = {deadline} WHERE email = $1"),
            &["soon@example.com"],
        )
        .await;
    }
    let status_of_soon = |rows: Vec<Value>| {
        rows.iter()
            .find(|r| r["email"] == "soon@example.com")
            .map(|r| r["status"].as_str().unwrap_or_default().to_string())
    };
    for _ in 0..2 {
        assert_eq!(
            status_of_soon(app.list_members(&admin, ws, "all", "").await).as_deref(),
            Some("pending")
        );
        assert!(status_of_soon(app.list_members(&admin, ws, "pending", "").await).is_some());
        assert!(status_of_soon(app.list_members(&admin, ws, "expired", "").await).is_none());
    }
    while now() <= deadline {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(
        status_of_soon(app.list_members(&admin, ws, "all", "").await).as_deref(),
        Some("expired")
    );
    assert!(status_of_soon(app.list_members(&admin, ws, "pending", "").await).is_none());
    assert_eq!(
        status_of_soon(app.list_members(&admin, ws, "expired", "").await).as_deref(),
        Some("expired")
    );
}

both_backends!(
    a_write_by_another_process_is_seen_by_the_next_request,
    a_write_by_another_process_is_seen_by_the_next_request
);
async fn a_write_by_another_process_is_seen_by_the_next_request(app: TestApp) {
    let boot = app.seed_admin("admin@example.com").await;
    let ws = boot.workspace_id.as_str();
    let admin = app.signed_in("admin@example.com").await;
    for _ in 0..2 {
        let rows = app.list_members(&admin, ws, "all", "").await;
        assert_eq!(emails(&rows), vec!["admin@example.com"]);
    }
    // The CLI, a separate process on the same database, adds a second platform admin to the
    // default workspace.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_roster"))
        .args([
            "bootstrap-admin",
            "--force",
            "--email",
            "second@example.com",
            "--generate-password",
        ])
        .env("DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run roster bootstrap-admin");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = app.list_members(&admin, ws, "all", "").await;
    assert_eq!(
        emails(&rows),
        vec!["admin@example.com", "second@example.com"]
    );
}

both_backends!(
    a_request_reads_at_its_snapshot_and_sees_its_own_writes,
    a_request_reads_at_its_snapshot_and_sees_its_own_writes
);
/// A request reads the cache at the version (PostgreSQL: snapshot; SQLite: `data_version`) its
/// session was loaded at, until it runs a statement of its own.
async fn a_request_reads_at_its_snapshot_and_sees_its_own_writes(app: TestApp) {
    use roster::domain::{AuditAction, RoleSource, UserId, WorkspaceId, WorkspaceRole};
    use roster::server::db::{audit::AuditEvent, members, users};

    let boot = app.seed_admin("admin@example.com").await;
    let ws = boot.workspace_id.as_str();
    let admin = app.signed_in("admin@example.com").await;
    let bob = app
        .add_user(&admin, "bob@example.com", ws, "workspace_viewer")
        .await;
    let cookie = app.session_cookie_of("bob@example.com").await;
    let hash = token_hash(cookie.split_once('=').expect("name=token").1);
    // A request's handle on the database, as the request middleware makes it.
    let begin_request = || async {
        let row = sessions::load(&app.db, &hash, now())
            .await
            .expect("load")
            .expect("a live session");
        let user = row.user.clone().expect("signed in");
        (app.db.at_snapshot(row.read_at), row.read_at, user)
    };
    // The session is read twice: a miss (on SQLite, cached after the sign-in's writes) is
    // read at a version only if nothing committed meanwhile.
    let (_, read_at, _) = begin_request().await;
    let (first, read_at_again, bob_row) = begin_request().await;
    assert!(
        read_at.is_some() || read_at_again.is_some(),
        "a session is read with the database's version"
    );
    let role_of_bob = |db: Db| {
        let bob_row = bob_row.clone();
        async move {
            let actor = users::load_actor(&db, &bob_row).await.expect("roles");
            actor
                .workspace_roles
                .iter()
                .find(|(id, _)| id == ws)
                .map(|(_, role)| role.to_string())
        }
    };
    let viewer = Some("workspace_viewer".to_string());
    let set_role_behind_the_back = |role: &'static str| {
        let bob = bob.clone();
        let app = &app;
        async move {
            app.exec(
                &format!("UPDATE workspace_members SET role = '{role}' WHERE user_id = $1"),
                &[&bob],
            )
            .await
        }
    };
    // A request reads Bob's role, then another instance (here: another connection) changes
    // it: the request still reads at its snapshot, from the cache. A miss is kept only if no
    // transaction anywhere on the server (the other tests' included) completed while it was
    // read, so this may take a few requests.
    let mut read_at_its_snapshot = false;
    let mut first = first;
    for _ in 0..50 {
        assert_eq!(role_of_bob(first.clone()).await, viewer);
        set_role_behind_the_back("workspace_editor").await;
        let again = role_of_bob(first.clone()).await;
        set_role_behind_the_back("workspace_viewer").await;
        if again == viewer {
            read_at_its_snapshot = true;
            break;
        }
        assert_eq!(
            again,
            Some("workspace_editor".to_string()),
            "not kept: read afresh"
        );
        first = begin_request().await.0;
    }
    assert!(
        read_at_its_snapshot,
        "the request that began before the change reads at its snapshot (from the cache)"
    );
    set_role_behind_the_back("workspace_editor").await;
    let (second, _, _) = begin_request().await;
    let editor = Some("workspace_editor".to_string());
    for _ in 0..2 {
        assert_eq!(
            role_of_bob(second.clone()).await,
            editor,
            "a request that begins after the change reads afresh"
        );
    }

    // The request writes through its own handle, then reads: it sees its write.
    let mut audit = AuditEvent::new(AuditAction::AuthzChange);
    audit.workspace_id = Some(ws.to_string());
    members::set_role(
        &second,
        &WorkspaceId::new(ws),
        &UserId::new(bob.as_str()),
        WorkspaceRole::WorkspaceAdmin,
        RoleSource::Manual,
        &audit,
    )
    .await
    .expect("set role");
    assert_eq!(
        role_of_bob(second.clone()).await,
        Some("workspace_admin".to_string()),
        "a request sees its own write"
    );
    // From its first statement on, the request reads afresh whatever changes.
    app.exec(
        "UPDATE workspace_members SET role = 'workspace_viewer' WHERE user_id = $1",
        &[&bob],
    )
    .await;
    assert_eq!(role_of_bob(second).await, viewer);
}
