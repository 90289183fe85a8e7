//! Identity-provider role sync at every sign-in, with the in-process provider.

use crate::common::{client, TestApp};
use crate::fake_idp::{FakeIdp, Signing};
use crate::oidc::{sign_in, spawn};
use serde_json::{json, Value};

const MAP: &str =
    "root=platform_admin,admin=workspace_admin,dev=workspace_editor,staff=workspace_viewer";

/// An app whose sign-ins sync roles for the default workspace (and `extra` settings); Ada is
/// invited there as a viewer.
async fn setup(app: &TestApp, extra: &[(&str, &str)]) -> (TestApp, String) {
    let boot = app.seed_admin("admin@example.com").await;
    let admin = app.signed_in("admin@example.com").await;
    app.post(
        &admin,
        "/api/invites/create",
        &[
            ("workspace_id", &boot.workspace_id),
            ("emails", "ada@example.com"),
            ("role", "workspace_viewer"),
        ],
    )
    .await;
    let mut vars: Vec<(&str, &str)> = app
        .extra_vars
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    vars.extend_from_slice(&[
        ("OIDC_ROLE_CLAIM", "roles"),
        ("OIDC_ROLE_MAP", MAP),
        ("OIDC_ROLE_WORKSPACES", &boot.workspace_id),
    ]);
    vars.extend_from_slice(extra);
    (app.sibling(&vars).await, boot.workspace_id)
}

async fn as_ada(app: &TestApp, idp: &FakeIdp, c: &reqwest::Client, roles: Option<Value>) -> String {
    sign_in(
        app,
        idp,
        c,
        "sub-ada",
        "ada@example.com",
        |claims| match roles {
            Some(r) => claims["roles"] = r,
            None => {
                claims.as_object_mut().unwrap().remove("roles");
            }
        },
        Signing::Good,
    )
    .await
}

async fn role(app: &TestApp, ws: &str) -> (String, String) {
    let sql = "SELECT m.role || ' ' || m.role_source FROM workspace_members m JOIN users u ON u.id = m.user_id WHERE u.email = 'ada@example.com' AND m.workspace_id = $1";
    let v: String = match &app.db {
        roster::server::db::Db::Sqlite(p, _) => {
            sqlx::query_scalar(sql).bind(ws).fetch_one(p).await.unwrap()
        }
        roster::server::db::Db::Postgres(p, _) => {
            sqlx::query_scalar(sql).bind(ws).fetch_one(p).await.unwrap()
        }
    };
    let (r, s) = v.split_once(' ').unwrap();
    (r.to_string(), s.to_string())
}

with_idp!(mapped_up_down_and_kept, mapped_up_down_and_kept);
async fn mapped_up_down_and_kept(app: TestApp, idp: FakeIdp) {
    let (app, ws) = setup(&app, &[]).await;
    // First sign-in accepts the invitation (viewer), then the claim maps it up.
    assert_eq!(
        as_ada(&app, &idp, &client(), Some(json!(["admin"]))).await,
        "/members"
    );
    assert_eq!(
        role(&app, &ws).await,
        ("workspace_admin".into(), "idp".into())
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'authz_change' AND detail = 'from=workspace_viewer to=workspace_admin source=idp'", &[]).await,
        1
    );
    // Mapped down.
    as_ada(&app, &idp, &client(), Some(json!("staff"))).await;
    assert_eq!(role(&app, &ws).await.0, "workspace_viewer");
    // Several values: the first in the mapping's order wins.
    as_ada(&app, &idp, &client(), Some(json!(["staff", "dev"]))).await;
    assert_eq!(role(&app, &ws).await.0, "workspace_editor");
    let changes = app
        .scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'authz_change'",
            &[],
        )
        .await;
    // Unknown value, missing claim, empty claim: kept, nothing written.
    for roles in [
        Some(json!(["intern"])),
        None,
        Some(json!([])),
        Some(json!("")),
    ] {
        assert_eq!(as_ada(&app, &idp, &client(), roles).await, "/members");
        assert_eq!(role(&app, &ws).await.0, "workspace_editor");
    }
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'authz_change'",
            &[]
        )
        .await,
        changes
    );
}

with_idp!(
    platform_role_only_when_allowed,
    platform_role_only_when_allowed
);
async fn platform_role_only_when_allowed(app: TestApp, idp: FakeIdp) {
    let (strict, _) = setup(&app, &[]).await;
    let c = client();
    as_ada(&strict, &idp, &c, Some(json!(["root", "staff"]))).await;
    assert!(strict.post(&c, "/api/auth/me", &[]).await.body["platform_role"].is_null());
    drop(strict);
    let mut vars: Vec<(&str, &str)> = app
        .extra_vars
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let ws_id: String = roster::server::db::workspaces::ensure_default(&app.db)
        .await
        .unwrap()
        .1;
    vars.extend_from_slice(&[
        ("OIDC_ROLE_CLAIM", "roles"),
        ("OIDC_ROLE_MAP", MAP),
        ("OIDC_ROLE_WORKSPACES", &ws_id),
        ("OIDC_ROLE_ALLOW_PLATFORM_ADMIN", "true"),
    ]);
    let allowed = app.sibling(&vars).await;
    let c = client();
    as_ada(&allowed, &idp, &c, Some(json!(["root", "staff"]))).await;
    assert_eq!(
        allowed.post(&c, "/api/auth/me", &[]).await.body["platform_role"],
        "platform_admin"
    );
}

with_idp!(
    auto_join_adds_missing_memberships_only_when_on,
    auto_join_adds_missing_memberships_only_when_on
);
async fn auto_join_adds_missing_memberships_only_when_on(app: TestApp, idp: FakeIdp) {
    let boot = app.seed_admin("admin@example.com").await;
    let admin = app.signed_in("admin@example.com").await;
    let org = app.org_of(&boot.workspace_id).await;
    let other = app.create_workspace(&admin, &org, "Other").await;
    app.post(
        &admin,
        "/api/invites/create",
        &[
            ("workspace_id", &boot.workspace_id),
            ("emails", "ada@example.com"),
            ("role", "workspace_viewer"),
        ],
    )
    .await;
    let mut vars: Vec<(&str, &str)> = app
        .extra_vars
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let governed = format!("org:{org}");
    vars.extend_from_slice(&[
        ("OIDC_ROLE_CLAIM", "roles"),
        ("OIDC_ROLE_MAP", MAP),
        ("OIDC_ROLE_WORKSPACES", &governed),
    ]);
    let off = app.sibling(&vars).await;
    as_ada(&off, &idp, &client(), Some(json!(["dev"]))).await;
    assert_eq!(role(&off, &boot.workspace_id).await.0, "workspace_editor");
    assert_eq!(off.scalar("SELECT COUNT(*) FROM workspace_members m JOIN users u ON u.id = m.user_id WHERE u.email = 'ada@example.com' AND m.workspace_id = $1", &[&other]).await, 0);
    drop(off);
    vars.push(("OIDC_ROLE_AUTO_JOIN", "true"));
    let on = app.sibling(&vars).await;
    as_ada(&on, &idp, &client(), Some(json!(["dev"]))).await;
    assert_eq!(
        role(&on, &other).await,
        ("workspace_editor".into(), "idp".into())
    );
}

with_idp!(
    a_downgrade_ends_other_sessions,
    a_downgrade_ends_other_sessions
);
async fn a_downgrade_ends_other_sessions(app: TestApp, idp: FakeIdp) {
    let (app, _ws) = setup(&app, &[]).await;
    let laptop = client();
    as_ada(&app, &idp, &laptop, Some(json!(["admin"]))).await;
    assert!(app
        .post(&laptop, "/api/auth/me", &[])
        .await
        .body
        .is_object());
    let phone = client();
    as_ada(&app, &idp, &phone, Some(json!(["admin"]))).await;
    assert!(
        app.post(&laptop, "/api/auth/me", &[])
            .await
            .body
            .is_object(),
        "no change: sessions kept"
    );
    as_ada(&app, &idp, &phone, Some(json!(["staff"]))).await;
    assert!(
        app.post(&laptop, "/api/auth/me", &[]).await.body.is_null(),
        "the downgrade ended the other session"
    );
    assert!(
        app.post(&phone, "/api/auth/me", &[]).await.body.is_object(),
        "this sign-in continues"
    );
}

#[tokio::test]
async fn unknown_governed_workspace_stops_the_start() {
    let Some((app, _idp)) = spawn(crate::common::Backend::Sqlite, &[]).await else {
        return;
    };
    let mut vars: Vec<(&str, &str)> = app
        .extra_vars
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    vars.extend_from_slice(&[
        ("OIDC_ROLE_CLAIM", "roles"),
        ("OIDC_ROLE_MAP", MAP),
        ("OIDC_ROLE_WORKSPACES", "no-such-workspace"),
    ]);
    let config =
        crate::common::test_config(&app.database_url, "127.0.0.1:0".parse().unwrap(), &vars);
    let err = roster::server::http::build_state(config)
        .await
        .err()
        .expect("refused");
    assert!(
        err.to_string().contains("no workspace `no-such-workspace`"),
        "{err}"
    );
}

with_idp!(roles_from_userinfo, roles_from_userinfo);
/// `OIDC_ROLE_SOURCE=userinfo`: the role claim is read from userinfo (fetched with the access
/// token) instead of the ID token, and userinfo about another subject refuses the sign-in. (The
/// in-process provider is needed for the second case: a real one cannot answer so.)
async fn roles_from_userinfo(app: TestApp, idp: FakeIdp) {
    let (app, ws) = setup(&app, &[("OIDC_ROLE_SOURCE", "userinfo")]).await;
    idp.set_userinfo(json!({ "sub": "sub-ada", "roles": ["admin"] }));
    // The ID token's own claim is ignored.
    assert_eq!(
        as_ada(&app, &idp, &client(), Some(json!(["staff"]))).await,
        "/members"
    );
    assert_eq!(
        role(&app, &ws).await,
        ("workspace_admin".into(), "idp".into())
    );
    idp.set_userinfo(json!({ "sub": "sub-ada", "roles": ["dev"] }));
    as_ada(&app, &idp, &client(), None).await;
    assert_eq!(role(&app, &ws).await.0, "workspace_editor");
    // Userinfo about someone else: refused, and the role stays.
    idp.set_userinfo(json!({ "sub": "sub-mallory", "roles": ["admin"] }));
    let refused = as_ada(&app, &idp, &client(), None).await;
    assert!(refused.starts_with("/auth/error"), "{refused}");
    assert_eq!(role(&app, &ws).await.0, "workspace_editor");
}
