//! API tokens: scopes intersected with the owner's rights now, refused at once when revoked,
//! expired or their owner loses the right, usable from anywhere without a cookie, rate-limited,
//! and never shown again after creation.

use crate::common::{client, spawn_app_with, Backend, Reply, TestApp};
use roster::domain::OrgRole;
use sha2::{Digest, Sha256};

async fn create(app: &TestApp, c: &reqwest::Client, form: &[(&str, &str)]) -> Reply {
    app.post(c, "/api/tokens/create", form).await
}

async fn secret_of(
    app: &TestApp,
    c: &reqwest::Client,
    name: &str,
    scopes: &str,
    org: &str,
) -> String {
    let r = create(
        app,
        c,
        &[("name", name), ("scopes", scopes), ("org_id", org)],
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["secret"].as_str().unwrap().to_string()
}

/// A POST with only the bearer token: no cookie jar at all.
async fn bearer(app: &TestApp, secret: &str, path: &str, form: &[(&str, &str)]) -> Reply {
    let res = reqwest::Client::new()
        .post(app.url(path))
        .bearer_auth(secret)
        .form(form)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap();
    Reply {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or_default(),
        text,
    }
}

async fn role_in(app: &TestApp, ws: &str, user: &str) -> String {
    app.scalar_text(
        "SELECT role FROM workspace_members WHERE workspace_id = $1 AND user_id = $2",
        &[ws, user],
    )
    .await
}

both_backends!(
    a_personal_token_reaches_what_its_scopes_and_its_owner_allow,
    a_personal_token_reaches_what_its_scopes_and_its_owner_allow
);
async fn a_personal_token_reaches_what_its_scopes_and_its_owner_allow(app: TestApp) {
    let boot = app.seed_admin("root@example.com").await;
    let platform = app.signed_in("root@example.com").await;
    let ws = boot.workspace_id.clone();
    let admin_id = app
        .add_user(&platform, "admin@a.example", &ws, "workspace_admin")
        .await;
    let viewer = app
        .add_user(&platform, "viewer@a.example", &ws, "workspace_viewer")
        .await;
    let admin = app.signed_in("admin@a.example").await;

    let r = create(
        &app,
        &admin,
        &[("name", "CI"), ("scopes", "members:read,members:write")],
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let secret = r.body["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("roster_pat_"), "{secret}");
    assert_eq!(
        r.body["token"]["scopes"],
        serde_json::json!(["members:read", "members:write"])
    );
    let expires = r.body["token"]["expires_at"].as_i64().unwrap();
    let created = r.body["token"]["created_at"].as_i64().unwrap();
    assert_eq!(expires - created, 90 * 86_400, "90 days by default");
    // Only the SHA-256 is stored.
    let hash = hex::encode(Sha256::digest(secret.as_bytes()));
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM api_tokens WHERE token_hash = $1",
            &[&hash]
        )
        .await,
        1
    );

    // Without any cookie, and from another site: a bearer call carries no ambient credential.
    let r = reqwest::Client::new()
        .post(app.url("/api/members/list"))
        .bearer_auth(&secret)
        .header("origin", "https://elsewhere.example")
        .header("sec-fetch-site", "cross-site")
        .form(&[("workspace_id", ws.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Its owner's rights: an admin of the workspace changes a role.
    let r = bearer(
        &app,
        &secret,
        "/api/members/set_role",
        &[
            ("workspace_id", &ws),
            ("user_id", &viewer),
            ("role", "workspace_editor"),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(role_in(&app, &ws, &viewer).await, "workspace_editor");
    let audit = app.audit_text().await;
    let actor_token: String = app
        .scalar_text(
            "SELECT actor_token FROM audit_log WHERE action = 'authz_change' ORDER BY id DESC LIMIT 1",
            &[],
        )
        .await;
    assert!(actor_token.starts_with("CI ("), "{actor_token}");

    // Outside its scopes, and on what only a person may do: 403, nothing changed.
    let r = bearer(
        &app,
        &secret,
        "/api/invites/create",
        &[
            ("workspace_id", &ws),
            ("emails", "new@a.example"),
            ("role", "workspace_viewer"),
        ],
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(r.body["code"], "insufficient_scope");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM pending_invites", &[])
            .await,
        0
    );
    for path in [
        "/api/tokens/create",
        "/api/auth/sessions",
        "/api/auth/change_password",
        "/api/users/erase",
    ] {
        let r = bearer(
            &app,
            &secret,
            path,
            &[("name", "x"), ("scopes", "members:read")],
        )
        .await;
        assert_eq!(r.status, 403, "{path}: {}", r.text);
        assert_eq!(r.body["code"], "not_for_tokens", "{path}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM api_tokens", &[]).await, 1);

    // The owner is demoted: the token loses the right at once.
    let r = app
        .post(
            &platform,
            "/api/members/set_role",
            &[
                ("workspace_id", &ws),
                ("user_id", &admin_id),
                ("role", "workspace_viewer"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = bearer(
        &app,
        &secret,
        "/api/members/set_role",
        &[
            ("workspace_id", &ws),
            ("user_id", &viewer),
            ("role", "workspace_admin"),
        ],
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(role_in(&app, &ws, &viewer).await, "workspace_editor");
    // Deactivated: refused as a credential.
    let r = app
        .post(
            &platform,
            "/api/users/deactivate",
            &[("user_id", &admin_id)],
        )
        .await;
    assert_eq!(r.status, 200);
    let r = bearer(&app, &secret, "/api/members/list", &[("workspace_id", &ws)]).await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(r.body["code"], "invalid_token");

    // The secret appears nowhere but in the creation answer: not in the audit log, the logs,
    // or the database.
    assert!(!audit.contains(&secret) && !app.audit_text().await.contains(&secret));
    assert!(!crate::common::captured_logs().contains(&secret));
    assert!(!crate::common::captured_logs().contains(&hash));
    let stored: i64 = app
        .scalar(
            "SELECT COUNT(*) FROM api_tokens WHERE token_hash = $1 OR name = $1 OR scopes = $1",
            &[&secret],
        )
        .await;
    assert_eq!(stored, 0);
}

both_backends!(
    revoked_expired_and_malformed_tokens_are_refused,
    revoked_expired_and_malformed_tokens_are_refused
);
async fn revoked_expired_and_malformed_tokens_are_refused(app: TestApp) {
    let boot = app.seed_admin("root@example.com").await;
    let platform = app.signed_in("root@example.com").await;
    let ws = boot.workspace_id.clone();
    app.add_user(&platform, "me@a.example", &ws, "workspace_viewer")
        .await;
    let other = app.signed_in("me@a.example").await;
    let list = [("workspace_id", ws.as_str())];

    let kept = secret_of(&app, &platform, "kept", "members:read", "").await;
    let revoked = secret_of(&app, &platform, "revoked", "members:read", "").await;
    let expiring = secret_of(&app, &platform, "expiring", "members:read", "").await;
    for s in [&kept, &revoked, &expiring] {
        assert_eq!(
            bearer(&app, s, "/api/members/list", &list).await.status,
            200
        );
    }

    // The list shows the caller's own tokens, without secrets or hashes.
    let r = app.post(&platform, "/api/tokens/list", &[]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body.as_array().unwrap().len(), 3);
    assert!(r.body[0]["last_used_at"].is_i64(), "{}", r.text);
    for s in [&kept, &revoked, &expiring] {
        assert!(!r.text.contains(s.as_str()));
        let hash = hex::encode(Sha256::digest(s.as_bytes()));
        assert!(!r.text.contains(&hash));
    }
    let id_of = |name: &str| {
        r.body
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (revoked_id, expiring_id) = (id_of("revoked"), id_of("expiring"));
    // Someone else cannot revoke it (404, as for no token at all).
    let r = app
        .post(&other, "/api/tokens/revoke", &[("token_id", &revoked_id)])
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(
        bearer(&app, &revoked, "/api/members/list", &list)
            .await
            .status,
        200
    );
    let r = app
        .post(
            &platform,
            "/api/tokens/revoke",
            &[("token_id", &revoked_id)],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        bearer(&app, &revoked, "/api/members/list", &list)
            .await
            .status,
        401
    );
    app.exec(
        "UPDATE api_tokens SET expires_at = 1 WHERE id = $1",
        &[&expiring_id],
    )
    .await;
    assert_eq!(
        bearer(&app, &expiring, "/api/members/list", &list)
            .await
            .status,
        401
    );
    assert_eq!(
        bearer(&app, &kept, "/api/members/list", &list).await.status,
        200
    );

    for junk in [
        "roster_pat_",
        "roster_pat_nothex",
        "something-else",
        &kept[..kept.len() - 1],
    ] {
        let r = bearer(&app, junk, "/api/members/list", &list).await;
        assert_eq!(r.status, 401, "{junk}: {}", r.text);
        assert_eq!(r.body["code"], "invalid_token");
    }
    let r = reqwest::Client::new()
        .post(app.url("/api/members/list"))
        .header("authorization", format!("Basic {kept}"))
        .form(&list)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // Bad creation input: 400 per field, nothing written.
    let before = app.scalar("SELECT COUNT(*) FROM api_tokens", &[]).await;
    for form in [
        vec![("name", ""), ("scopes", "members:read")],
        vec![("name", "x"), ("scopes", "")],
        vec![("name", "x"), ("scopes", "members:read,root")],
        vec![
            ("name", "x"),
            ("scopes", "members:read"),
            ("expires_in_days", "366"),
        ],
        vec![
            ("name", "x"),
            ("scopes", "members:read"),
            ("expires_in_days", "0"),
        ],
        vec![("name", "x"), ("scopes", "scim")],
    ] {
        let r = create(&app, &platform, &form).await;
        assert_eq!(r.status, 400, "{form:?}: {}", r.text);
    }
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM api_tokens", &[]).await,
        before
    );
    assert_eq!(
        create(
            &app,
            &client(),
            &[("name", "x"), ("scopes", "members:read")]
        )
        .await
        .status,
        401
    );
}

both_backends!(
    an_organization_token_acts_as_an_org_admin_and_outlives_its_maker,
    an_organization_token_acts_as_an_org_admin_and_outlives_its_maker
);
async fn an_organization_token_acts_as_an_org_admin_and_outlives_its_maker(app: TestApp) {
    let boot = app.seed_admin("root@example.com").await;
    let platform = app.signed_in("root@example.com").await;
    let org = app.create_org(&platform, "Acme").await;
    let acme_ws = app.create_workspace(&platform, &org, "Acme HQ").await;
    let maker = app
        .add_user(
            &platform,
            "maker@acme.example",
            &acme_ws,
            "workspace_viewer",
        )
        .await;
    app.set_org_role(&org, &maker, OrgRole::OrgAdmin).await;
    app.add_user(
        &platform,
        "wsadmin@acme.example",
        &acme_ws,
        "workspace_admin",
    )
    .await;
    let maker_client = app.signed_in("maker@acme.example").await;
    let ws_admin = app.signed_in("wsadmin@acme.example").await;

    // A workspace admin is no organization admin: no organization token.
    let r = create(
        &app,
        &ws_admin,
        &[
            ("name", "sync"),
            ("scopes", "members:read"),
            ("org_id", &org),
        ],
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let secret = secret_of(&app, &maker_client, "HR sync", "members:read,scim", &org).await;
    assert!(secret.starts_with("roster_org_"));
    let r = app
        .post(&maker_client, "/api/tokens/list", &[("org_id", &org)])
        .await;
    assert_eq!(r.body[0]["created_by"], "maker@acme.example", "{}", r.text);

    // It reads the organization's workspaces, not another organization's.
    let r = bearer(
        &app,
        &secret,
        "/api/members/list",
        &[("workspace_id", &acme_ws)],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = bearer(
        &app,
        &secret,
        "/api/members/list",
        &[("workspace_id", &boot.workspace_id)],
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.text);

    // Its maker leaves the organization: the token keeps working.
    app.exec(
        "DELETE FROM org_members WHERE org_id = $1 AND user_id = $2",
        &[&org, &maker],
    )
    .await;
    let r = bearer(
        &app,
        &secret,
        "/api/members/list",
        &[("workspace_id", &acme_ws)],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);

    // Its account never signs in: no password can be given to it.
    let service: String = app
        .scalar_text("SELECT user_id FROM api_tokens WHERE org_id = $1", &[&org])
        .await;
    let r = app
        .post(
            &platform,
            "/api/users/reset_password",
            &[("user_id", &service)],
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM users WHERE id = $1 AND password_hash IS NULL",
            &[&service]
        )
        .await,
        1
    );
    // Another admin of the organization revokes it: refused at once.
    let token_id: String = app
        .scalar_text("SELECT id FROM api_tokens WHERE org_id = $1", &[&org])
        .await;
    let r = app
        .post(&ws_admin, "/api/tokens/revoke", &[("token_id", &token_id)])
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = app
        .post(&platform, "/api/tokens/revoke", &[("token_id", &token_id)])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = bearer(
        &app,
        &secret,
        "/api/members/list",
        &[("workspace_id", &acme_ws)],
    )
    .await;
    assert_eq!(r.status, 401, "{}", r.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_is_rate_limited_per_minute_across_its_requests() {
    let app = spawn_app_with(Backend::Sqlite, &[("TOKEN_REQUESTS_PER_MINUTE", "3")])
        .await
        .expect("app");
    let boot = app.seed_admin("root@example.com").await;
    let platform = app.signed_in("root@example.com").await;
    let secret = secret_of(&app, &platform, "busy", "members:read", "").await;
    let other = secret_of(&app, &platform, "quiet", "members:read", "").await;
    let list = [("workspace_id", boot.workspace_id.as_str())];
    for _ in 0..3 {
        assert_eq!(
            bearer(&app, &secret, "/api/members/list", &list)
                .await
                .status,
            200
        );
    }
    let r = bearer(&app, &secret, "/api/members/list", &list).await;
    assert_eq!(r.status, 429, "{}", r.text);
    assert!(r.headers.get("retry-after").is_some());
    // Another token has its own allowance; the browser session is not limited by it.
    assert_eq!(
        bearer(&app, &other, "/api/members/list", &list)
            .await
            .status,
        200
    );
    assert_eq!(
        app.post(&platform, "/api/members/list", &list).await.status,
        200
    );
}
