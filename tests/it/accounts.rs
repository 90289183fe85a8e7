//! The life of an account after its first day: deactivation, reactivation and password resets,
//! each only by someone who manages the account (DESIGN §2).

use crate::common::{client, TestApp, PASSWORD};

/// The default organization's workspace with its admin (`admin@a.example`, who administers
/// nothing else) and a member who is only there (`member@a.example`); a second organization
/// whose workspace also has `shared@a.example`, who is in both.
struct World {
    ws: String,
    ws_other: String,
    platform: reqwest::Client,
    admin: reqwest::Client,
    member_id: String,
    shared_id: String,
}

async fn world(app: &TestApp) -> World {
    let boot = app.seed_admin("root@example.com").await;
    let platform = app.signed_in("root@example.com").await;
    let ws = boot.workspace_id.clone();
    let org_other = app.create_org(&platform, "Other org").await;
    let ws_other = app
        .create_workspace(&platform, &org_other, "Elsewhere")
        .await;
    app.add_user(&platform, "admin@a.example", &ws, "workspace_admin")
        .await;
    let member_id = app
        .add_user(&platform, "member@a.example", &ws, "workspace_viewer")
        .await;
    let shared_id = app
        .add_user(&platform, "shared@a.example", &ws, "workspace_viewer")
        .await;
    app.exec(
        "INSERT INTO workspace_members (workspace_id, user_id, email, role, role_source, joined_at) \
         VALUES ($1, $2, 'shared@a.example', 'workspace_viewer', 'manual', 0)",
        &[&ws_other, &shared_id],
    )
    .await;
    let admin = app.signed_in("admin@a.example").await;
    World {
        ws,
        ws_other,
        platform,
        admin,
        member_id,
        shared_id,
    }
}

async fn me_email(app: &TestApp, c: &reqwest::Client) -> Option<String> {
    let r = app.post(c, "/api/auth/me", &[]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["email"].as_str().map(str::to_string)
}

async fn disabled(app: &TestApp, user_id: &str) -> i64 {
    app.scalar(
        "SELECT COUNT(*) FROM users WHERE id = $1 AND disabled_at IS NOT NULL",
        &[user_id],
    )
    .await
}

both_backends!(
    a_deactivated_account_is_signed_out_everywhere_and_refused,
    a_deactivated_account_is_signed_out_everywhere_and_refused
);
async fn a_deactivated_account_is_signed_out_everywhere_and_refused(app: TestApp) {
    let w = world(&app).await;
    let here = app.signed_in("member@a.example").await;
    // A session on another instance of the same database.
    let sibling = app.sibling(&[]).await;
    let there = client();
    assert_eq!(
        sibling
            .login(&there, "member@a.example", PASSWORD)
            .await
            .status,
        200
    );
    assert_eq!(
        me_email(&sibling, &there).await.as_deref(),
        Some("member@a.example")
    );

    let r = app
        .post(
            &w.admin,
            "/api/users/deactivate",
            &[("user_id", &w.member_id)],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["deactivated"], true);
    assert_eq!(disabled(&app, &w.member_id).await, 1);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM sessions WHERE user_id = $1",
            &[&w.member_id]
        )
        .await,
        0
    );
    // Both sessions ended, on both instances.
    assert_eq!(me_email(&app, &here).await, None);
    assert_eq!(me_email(&sibling, &there).await, None);
    // Refused at sign-in with a clear message, audited.
    let login = app.login(&client(), "member@a.example", PASSWORD).await;
    assert_eq!(login.status, 403, "{}", login.text);
    assert_eq!(login.body["code"], "account_deactivated");
    assert!(login.body["error"]
        .as_str()
        .unwrap()
        .contains("deactivated"));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'authn_login_fail' AND target = 'member@a.example' AND detail LIKE '%reason=disabled%'", &[]).await,
        1
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'user_deactivated' AND target = 'member@a.example'", &[]).await,
        1
    );
    // The members list says so.
    let rows = app.list_members(&w.admin, &w.ws, "all", "member@").await;
    assert_eq!(rows[0]["status"], "deactivated", "{rows:?}");

    // Reactivated: signs in again.
    let r = app
        .post(
            &w.admin,
            "/api/users/reactivate",
            &[("user_id", &w.member_id)],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(disabled(&app, &w.member_id).await, 0);
    assert_eq!(
        app.login(&client(), "member@a.example", PASSWORD)
            .await
            .status,
        200
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'user_reactivated'",
            &[]
        )
        .await,
        1
    );
    drop(sibling);
}

both_backends!(
    only_someone_who_manages_an_account_acts_on_it,
    only_someone_who_manages_an_account_acts_on_it
);
async fn only_someone_who_manages_an_account_acts_on_it(app: TestApp) {
    let w = world(&app).await;
    let root_id = app
        .scalar_text("SELECT id FROM users WHERE email = 'root@example.com'", &[])
        .await;
    let admin_id = app
        .scalar_text("SELECT id FROM users WHERE email = 'admin@a.example'", &[])
        .await;
    let viewer = app.signed_in("member@a.example").await;
    let operator_id = app
        .add_user(
            &w.platform,
            "operator@example.com",
            &w.ws_other,
            "workspace_viewer",
        )
        .await;
    app.set_platform_role(&operator_id, roster::domain::PlatformRole::PlatformOperator)
        .await;
    let operator = app.signed_in("operator@example.com").await;
    let sessions_before = app.scalar("SELECT COUNT(*) FROM sessions", &[]).await;

    // (caller, target, expected status) for every endpoint; none of these may change anything.
    let anonymous = client();
    let refused: Vec<(&reqwest::Client, &str, u16)> = vec![
        (&anonymous, w.member_id.as_str(), 401),
        // Also in a workspace of another organization: not the workspace admin's to manage.
        (&w.admin, w.shared_id.as_str(), 403),
        // A platform admin: nobody but platform admins manages one.
        (&w.admin, root_id.as_str(), 403),
        // Editors and viewers manage nobody; operators see everything and change nothing.
        (&viewer, admin_id.as_str(), 403),
        (&operator, w.member_id.as_str(), 403),
        // Nobody acts on their own account this way.
        (&w.admin, admin_id.as_str(), 409),
        (&w.admin, "no-such-user", 404),
    ];
    for endpoint in [
        "/api/users/deactivate",
        "/api/users/reactivate",
        "/api/users/reset_password",
    ] {
        for (caller, target, status) in &refused {
            let r = app.post(caller, endpoint, &[("user_id", target)]).await;
            assert_eq!(r.status, *status, "{endpoint} on {target}: {}", r.text);
            assert!(r.body["code"].is_string(), "{}", r.text);
        }
    }
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM users WHERE disabled_at IS NOT NULL OR must_change_password",
            &[]
        )
        .await,
        0,
        "nothing refused changed an account"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM sessions", &[]).await,
        sessions_before
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action IN ('user_deactivated', 'user_reactivated', 'password_reset')", &[]).await,
        0
    );

    // A platform admin manages the account that is in two organizations.
    let r = app
        .post(
            &w.platform,
            "/api/users/deactivate",
            &[("user_id", &w.shared_id)],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(disabled(&app, &w.shared_id).await, 1);
    // Exactly what was asked: nobody else changed.
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM users WHERE disabled_at IS NOT NULL",
            &[]
        )
        .await,
        1
    );
    let _ = w.ws_other;
}

both_backends!(
    a_reset_password_signs_in_once_then_must_be_changed,
    a_reset_password_signs_in_once_then_must_be_changed
);
async fn a_reset_password_signs_in_once_then_must_be_changed(app: TestApp) {
    let w = world(&app).await;
    let old_session = app.signed_in("member@a.example").await;
    let r = app
        .post(
            &w.admin,
            "/api/users/reset_password",
            &[("user_id", &w.member_id), ("password", "")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let temporary = r.body["generated_password"].as_str().unwrap().to_string();
    assert_eq!(temporary.chars().count(), 20);
    assert_eq!(r.body["added_password_sign_in"], false);
    // Every session ended; the old password is gone; the new one signs in, forced to change.
    assert_eq!(me_email(&app, &old_session).await, None);
    assert_eq!(
        app.login(&client(), "member@a.example", PASSWORD)
            .await
            .status,
        401
    );
    let user = client();
    let login = app.login(&user, "member@a.example", &temporary).await;
    assert_eq!(login.status, 200, "{}", login.text);
    assert_eq!(login.body["must_change_password"], true);
    let blocked = app
        .post(&user, "/api/members/list", &[("workspace_id", &w.ws)])
        .await;
    assert_eq!(blocked.status, 403, "{}", blocked.text);
    let changed = app
        .post(
            &user,
            "/api/auth/change_password",
            &[
                ("current_password", &temporary),
                ("new_password", "my very own passphrase"),
            ],
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(
        app.post(&user, "/api/members/list", &[("workspace_id", &w.ws)])
            .await
            .status,
        200
    );
    // The password never reaches the audit log or the logs.
    assert!(!app.audit_text().await.contains(&temporary));
    assert!(!crate::common::captured_logs().contains(&temporary));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'password_reset' AND target = 'member@a.example'", &[]).await,
        1
    );

    // A chosen password that is too short: 400, nothing changed.
    let r = app
        .post(
            &w.admin,
            "/api/users/reset_password",
            &[("user_id", &w.member_id), ("password", "short")],
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(
        app.login(&client(), "member@a.example", "my very own passphrase")
            .await
            .status,
        200
    );

    // An account that signs in only with Google gains password sign-in.
    let google_only = "google-only@a.example";
    app.exec(
        "INSERT INTO users (id, email, name, created_at) VALUES ('g-1', $1, 'G', 0)",
        &[google_only],
    )
    .await;
    app.exec(
        "INSERT INTO workspace_members (workspace_id, user_id, email, role, role_source, joined_at) \
         VALUES ($1, 'g-1', $2, 'workspace_viewer', 'invite', 0)",
        &[&w.ws, google_only],
    )
    .await;
    let r = app
        .post(
            &w.admin,
            "/api/users/reset_password",
            &[("user_id", "g-1"), ("password", "a chosen temporary one")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["added_password_sign_in"], true);
    assert!(r.body["generated_password"].is_null());
    assert_eq!(
        app.login(&client(), google_only, "a chosen temporary one")
            .await
            .status,
        200
    );
}

both_backends!(
    two_platform_admins_cannot_deactivate_each_other_at_once,
    two_platform_admins_cannot_deactivate_each_other_at_once
);
async fn two_platform_admins_cannot_deactivate_each_other_at_once(app: TestApp) {
    let w = world(&app).await;
    let second = app
        .add_user(&w.platform, "root2@example.com", &w.ws, "workspace_viewer")
        .await;
    app.set_platform_role(&second, roster::domain::PlatformRole::PlatformAdmin)
        .await;
    let root_id = app
        .scalar_text("SELECT id FROM users WHERE email = 'root@example.com'", &[])
        .await;
    let root2 = app.signed_in("root2@example.com").await;
    let app = std::sync::Arc::new(app);
    let a = {
        let (app, c, target) = (app.clone(), w.platform.clone(), second.clone());
        tokio::spawn(async move {
            app.post(&c, "/api/users/deactivate", &[("user_id", &target)])
                .await
        })
    };
    let b = {
        let (app, c, target) = (app.clone(), root2.clone(), root_id.clone());
        tokio::spawn(async move {
            app.post(&c, "/api/users/deactivate", &[("user_id", &target)])
                .await
        })
    };
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    let statuses = [a.status, b.status];
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{} / {}",
        a.text,
        b.text
    );
    // The other was refused as the last admin, or its session had ended before it ran.
    assert!(
        statuses.iter().all(|s| [200, 401, 409].contains(s)),
        "{statuses:?}"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM users WHERE platform_role = 'platform_admin' AND disabled_at IS NULL", &[]).await,
        1
    );
}

both_backends!(
    an_erased_account_leaves_no_row_with_its_email,
    an_erased_account_leaves_no_row_with_its_email
);
async fn an_erased_account_leaves_no_row_with_its_email(app: TestApp) {
    let w = world(&app).await;
    let gone = "admin@a.example";
    let gone_id = app
        .scalar_text("SELECT id FROM users WHERE email = $1", &[gone])
        .await;
    // A history: an invitation they sent, a failed sign-in, audit rows about them.
    let r = app
        .post(
            &w.admin,
            "/api/invites/create",
            &[
                ("workspace_id", &w.ws),
                ("emails", "newcomer@example.com"),
                ("role", "workspace_viewer"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        app.login(&client(), gone, "not the password").await.status,
        401
    );
    assert!(app.audit_text().await.contains(gone));

    // Refused for anyone but a platform admin, and for oneself; nothing changes.
    let root_id = app
        .scalar_text("SELECT id FROM users WHERE email = 'root@example.com'", &[])
        .await;
    let anonymous = client();
    for (c, target, status) in [
        (&anonymous, gone_id.as_str(), 401),
        (&w.admin, w.member_id.as_str(), 403),
        (&w.platform, root_id.as_str(), 409),
    ] {
        let r = app
            .post(c, "/api/users/erase", &[("user_id", target)])
            .await;
        assert_eq!(r.status, status, "{}", r.text);
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM users", &[]).await, 4);

    let r = app
        .post(&w.platform, "/api/users/erase", &[("user_id", &gone_id)])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let like = format!("%{gone}%");
    for sql in [
        "SELECT COUNT(*) FROM users WHERE email LIKE $1 OR name LIKE $1",
        "SELECT COUNT(*) FROM workspace_members WHERE email LIKE $1",
        "SELECT COUNT(*) FROM identities WHERE email_at_link LIKE $1",
        "SELECT COUNT(*) FROM pending_invites WHERE email LIKE $1",
        "SELECT COUNT(*) FROM mail_outbox WHERE to_address LIKE $1 OR body_text LIKE $1",
        "SELECT COUNT(*) FROM auth_throttle WHERE key LIKE $1",
        "SELECT COUNT(*) FROM audit_log WHERE target LIKE $1 OR detail LIKE $1",
    ] {
        assert_eq!(app.scalar(sql, &[&like]).await, 0, "{sql}");
    }
    for sql in [
        "SELECT COUNT(*) FROM sessions WHERE user_id = $1",
        "SELECT COUNT(*) FROM workspace_members WHERE user_id = $1",
        "SELECT COUNT(*) FROM pending_invite_workspaces WHERE invited_by_user_id = $1",
    ] {
        assert_eq!(app.scalar(sql, &[&gone_id]).await, 0, "{sql}");
    }
    // The invitation they sent went with them; the history stays, under the tombstone.
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM pending_invites WHERE email = 'newcomer@example.com'",
            &[]
        )
        .await,
        0
    );
    let stone = format!("erased-user-{gone_id}");
    assert!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE target = $1",
            &[&stone]
        )
        .await
            >= 3
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'user_erased' AND target = $1",
            &[&stone]
        )
        .await,
        1
    );
    // Everyone else is untouched.
    assert_eq!(app.scalar("SELECT COUNT(*) FROM users", &[]).await, 3);
    assert_eq!(
        app.login(&client(), "member@a.example", PASSWORD)
            .await
            .status,
        200
    );
}

both_backends!(anyone_renames_themselves, anyone_renames_themselves);
async fn anyone_renames_themselves(app: TestApp) {
    let w = world(&app).await;
    let member = app.signed_in("member@a.example").await;
    let r = app
        .post(&member, "/api/auth/set_name", &[("name", "  Mia Member ")])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body, "Mia Member");
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM users WHERE id = $1 AND name = 'Mia Member'",
            &[&w.member_id]
        )
        .await,
        1
    );
    // The members list finds them by the new name.
    let rows = app.list_members(&w.admin, &w.ws, "all", "mia").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    for bad in ["x".repeat(201), "two\nlines".to_string()] {
        let r = app
            .post(&member, "/api/auth/set_name", &[("name", bad.as_str())])
            .await;
        assert_eq!(r.status, 400, "{}", r.text);
    }
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM users WHERE id = $1 AND name = 'Mia Member'",
            &[&w.member_id]
        )
        .await,
        1
    );
    assert_eq!(
        app.post(&client(), "/api/auth/set_name", &[("name", "x")])
            .await
            .status,
        401
    );
}

both_backends!(
    a_pending_invitation_from_elsewhere_puts_an_account_out_of_reach,
    a_pending_invitation_from_elsewhere_puts_an_account_out_of_reach
);
async fn a_pending_invitation_from_elsewhere_puts_an_account_out_of_reach(app: TestApp) {
    let w = world(&app).await;
    // The other organization's admin invites the member: a pending invitation (they do not
    // manage the member).
    app.add_user(
        &w.platform,
        "other-admin@b.example",
        &w.ws_other,
        "workspace_admin",
    )
    .await;
    let other_admin = app.signed_in("other-admin@b.example").await;
    let r = app
        .post(
            &other_admin,
            "/api/invites/create",
            &[
                ("workspace_id", &w.ws_other),
                ("emails", "member@a.example"),
                ("role", "workspace_admin"),
            ],
        )
        .await;
    assert_eq!(r.body["results"][0]["result"], "invited", "{}", r.text);
    // Now the member's own workspace admin no longer manages the account: resetting its
    // password (and signing in as it to accept that invitation) is refused.
    for endpoint in ["/api/users/reset_password", "/api/users/deactivate"] {
        let r = app
            .post(&w.admin, endpoint, &[("user_id", &w.member_id)])
            .await;
        assert_eq!(r.status, 403, "{endpoint}: {}", r.text);
    }
    assert_eq!(
        app.login(&client(), "member@a.example", PASSWORD)
            .await
            .status,
        200
    );
    assert_eq!(disabled(&app, &w.member_id).await, 0);
}
