//! The authorization matrix, kept as data: every server function × every kind of actor (the
//! forced-password and deactivated users included) → the
//! expected status. Requests are shaped so that permitted calls change nothing (a role set to
//! its current value, a removal of a non-member, invalid input) and cells stay independent.

use crate::common::{client, TestApp};
use roster::domain::{OrgRole, PlatformRole};

const ACTORS: [&str; 13] = [
    "anonymous",
    "viewer",
    "editor",
    "admin",
    "admin of another workspace",
    "org admin",
    "org admin of another org",
    "platform operator",
    "platform admin",
    "org owner",
    "org member",
    "a user who must change their password",
    "a deactivated user",
];

struct Ids {
    ws_a: String,
    org_1: String,
    viewer_a: String,
    admin_b: String,
    org_member: String,
}

/// One row: endpoint, form, expected status per actor in `ACTORS` order.
type Row = (&'static str, Vec<(&'static str, String)>, [u16; 13]);

fn matrix(ids: &Ids) -> Vec<Row> {
    let ws = || ("workspace_id", ids.ws_a.clone());
    vec![
        (
            "/api/auth/me",
            vec![],
            [
                200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200,
            ],
        ),
        (
            "/api/members/list",
            vec![ws()],
            [
                401, 200, 200, 200, 403, 200, 403, 200, 200, 200, 403, 403, 401,
            ],
        ),
        (
            "/api/members/set_role",
            vec![
                ws(),
                ("user_id", ids.viewer_a.clone()),
                ("role", "workspace_viewer".into()),
            ],
            [
                401, 403, 403, 200, 403, 200, 403, 403, 200, 200, 403, 403, 401,
            ],
        ),
        // The admin of workspace B is not a member of A: removing them "from A" is a 404 for
        // those allowed, and never touches their membership of B.
        (
            "/api/members/remove",
            vec![ws(), ("user_id", ids.admin_b.clone())],
            [
                401, 403, 403, 404, 403, 404, 403, 403, 404, 404, 403, 403, 401,
            ],
        ),
        // A bulk removal of someone who is not a member of A: a 200 with that row skipped for
        // those allowed, 403 for the others, and nobody's membership changes.
        (
            "/api/members/bulk",
            vec![
                ws(),
                ("action", "remove".into()),
                ("rows", ids.admin_b.clone()),
            ],
            [
                401, 403, 403, 200, 403, 200, 403, 403, 200, 200, 403, 403, 401,
            ],
        ),
        (
            "/api/admin/users",
            vec![
                ws(),
                ("email", "not an email".into()),
                ("password", "".into()),
                ("role", "workspace_viewer".into()),
            ],
            [
                401, 403, 403, 400, 403, 400, 403, 403, 400, 400, 403, 403, 401,
            ],
        ),
        (
            "/api/orgs/list",
            vec![],
            [
                401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 403, 401,
            ],
        ),
        (
            "/api/orgs/create",
            vec![("name", "".into())],
            [
                401, 403, 403, 403, 403, 403, 403, 403, 400, 403, 403, 403, 401,
            ],
        ),
        (
            "/api/workspaces/create",
            vec![("org_id", ids.org_1.clone()), ("name", "".into())],
            [
                401, 403, 403, 403, 403, 400, 403, 403, 400, 400, 403, 403, 401,
            ],
        ),
        (
            "/api/audit/list",
            vec![],
            [
                401, 403, 403, 200, 200, 200, 200, 200, 200, 200, 403, 403, 401,
            ],
        ),
        (
            "/api/auth/change_password",
            vec![
                ("current_password", "not my password".into()),
                ("new_password", "a brand new secret".into()),
            ],
            [
                401, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 401,
            ],
        ),
        (
            "/api/invites/create",
            vec![
                ws(),
                ("emails", "".into()),
                ("role", "workspace_viewer".into()),
            ],
            [
                401, 403, 403, 400, 403, 400, 403, 403, 400, 400, 403, 403, 401,
            ],
        ),
        // Nobody is invited: those allowed get 404, the others 403 before anything is looked up.
        (
            "/api/invites/resend",
            vec![ws(), ("email", "nobody@example.com".into())],
            [
                401, 403, 403, 404, 403, 404, 403, 403, 404, 404, 403, 403, 401,
            ],
        ),
        (
            "/api/invites/cancel",
            vec![ws(), ("email", "nobody@example.com".into())],
            [
                401, 403, 403, 404, 403, 404, 403, 403, 404, 404, 403, 403, 401,
            ],
        ),
        (
            "/api/invites/link",
            vec![ws(), ("email", "nobody@example.com".into())],
            [
                401, 403, 403, 404, 403, 404, 403, 403, 404, 404, 403, 403, 401,
            ],
        ),
        (
            "/api/invites/lookup",
            vec![("token", "0".repeat(64))],
            [
                404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 403, 404,
            ],
        ),
        // Without a link, only an account with a proven email answers its invitation; these
        // accounts were made by Add User and the command line, so none is proven.
        (
            "/api/invites/accept",
            vec![],
            [
                401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 401,
            ],
        ),
        (
            "/api/invites/decline",
            vec![],
            [
                401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 401,
            ],
        ),
        (
            "/api/invites/mine",
            vec![],
            [
                401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 403, 401,
            ],
        ),
        (
            "/api/auth/identities",
            vec![],
            [
                401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 403, 401,
            ],
        ),
        (
            "/api/auth/unlink",
            vec![
                ("issuer", "https://idp.example".into()),
                ("subject", "nobody".into()),
            ],
            [
                401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 403, 401,
            ],
        ),
        // Account actions: the viewer is only in A, so managed by A's admin, the org admin
        // and platform admins; the viewer themselves gets 409 (not on one's own account).
        // Reactivating an active account and a too-short password change nothing.
        (
            "/api/users/reactivate",
            vec![("user_id", ids.viewer_a.clone())],
            [
                401, 409, 403, 200, 403, 200, 403, 403, 200, 200, 403, 403, 401,
            ],
        ),
        (
            "/api/users/reset_password",
            vec![
                ("user_id", ids.viewer_a.clone()),
                ("password", "short".into()),
            ],
            [
                401, 409, 403, 400, 403, 400, 403, 403, 400, 400, 403, 403, 401,
            ],
        ),
        (
            "/api/users/deactivate",
            vec![("user_id", "no-such-user".into())],
            [
                401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 403, 401,
            ],
        ),
        (
            "/api/users/erase",
            vec![("user_id", "no-such-user".into())],
            [
                401, 403, 403, 403, 403, 403, 403, 403, 404, 403, 403, 403, 401,
            ],
        ),
        // Organization administration: the page, a role set to its current value, removing
        // the role of someone who has none (404), a rename with a name that is too long.
        (
            "/api/orgs/members",
            vec![("org_id", ids.org_1.clone())],
            [
                401, 403, 403, 403, 403, 200, 403, 200, 200, 200, 403, 403, 401,
            ],
        ),
        (
            "/api/orgs/set_role",
            vec![
                ("org_id", ids.org_1.clone()),
                ("user_id", ids.org_member.clone()),
                ("role", "org_member".into()),
            ],
            [
                401, 403, 403, 403, 403, 200, 403, 403, 200, 200, 403, 403, 401,
            ],
        ),
        (
            "/api/orgs/remove",
            vec![
                ("org_id", ids.org_1.clone()),
                ("user_id", ids.admin_b.clone()),
            ],
            [
                401, 403, 403, 403, 403, 404, 403, 403, 404, 404, 403, 403, 401,
            ],
        ),
        (
            "/api/workspaces/rename",
            vec![ws(), ("name", "x".repeat(101))],
            [
                401, 403, 403, 403, 403, 400, 403, 403, 400, 400, 403, 403, 401,
            ],
        ),
        // People: the list (platform admins and operators, organization owners and admins),
        // and a person's page (the person, and whoever administers a workspace or an
        // organization of theirs; an editor of the same workspace only sees the members list).
        (
            "/api/users/list",
            vec![("q", "nobody-matches".into())],
            [
                401, 403, 403, 403, 403, 200, 200, 200, 200, 200, 403, 403, 401,
            ],
        ),
        (
            "/api/users/get",
            vec![("user_id", ids.viewer_a.clone())],
            [
                401, 200, 404, 200, 404, 200, 404, 200, 200, 200, 404, 403, 401,
            ],
        ),
        // One's own sessions: listing, ending one that is not one's own (404).
        (
            "/api/auth/sessions",
            vec![],
            [
                401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 403, 401,
            ],
        ),
        (
            "/api/auth/end_session",
            vec![("session_id", "no-such-session".into())],
            [
                401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 403, 401,
            ],
        ),
        // Renaming oneself with a name that is too long changes nothing.
        (
            "/api/auth/set_name",
            vec![("name", "x".repeat(201))],
            [
                401, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 403, 401,
            ],
        ),
        // A failed sign-in for an unknown account: refused alike for everyone (and after five
        // attempts at one account, throttled), except that a session held on the
        // change-password screen may do nothing else.
        (
            "/api/auth/login",
            vec![
                ("email", "nobody@example.com".into()),
                ("password", "not it".into()),
            ],
            [
                401, 401, 401, 401, 401, 429, 429, 429, 429, 429, 429, 403, 429,
            ],
        ),
        // SCIM settings: the organization's owners and admins and platform admins (a
        // mapping without a group is a 400 for them, nothing written); an unknown mapping is
        // a 404 for everyone, as another organization's would be.
        (
            "/api/scim/settings",
            vec![("org_id", ids.org_1.clone())],
            [
                401, 403, 403, 403, 403, 200, 403, 403, 200, 200, 403, 403, 401,
            ],
        ),
        (
            "/api/scim/map",
            vec![
                ("org_id", ids.org_1.clone()),
                ("group", "".into()),
                ws(),
                ("role", "workspace_viewer".into()),
            ],
            [
                401, 403, 403, 403, 403, 400, 403, 403, 400, 400, 403, 403, 401,
            ],
        ),
        (
            "/api/scim/unmap",
            vec![("mapping_id", "no-such-mapping".into())],
            [
                401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 403, 401,
            ],
        ),
        // Last: it ends each actor's session.
        (
            "/api/auth/logout",
            vec![],
            [
                200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200,
            ],
        ),
    ]
}

both_backends!(authorization_matrix, authorization_matrix);
async fn authorization_matrix(app: TestApp) {
    let boot = app.seed_admin("padmin@example.com").await;
    let padmin = app.signed_in("padmin@example.com").await;
    let ws_a = boot.workspace_id.clone();
    let org_1 = app.org_of(&ws_a).await;
    let ws_b = app.create_workspace(&padmin, &org_1, "B").await;
    let org_2 = app.create_org(&padmin, "Other org").await;
    let ws_c = app.create_workspace(&padmin, &org_2, "C").await;

    let viewer_a = app
        .add_user(&padmin, "viewer@example.com", &ws_a, "workspace_viewer")
        .await;
    app.add_user(&padmin, "editor@example.com", &ws_a, "workspace_editor")
        .await;
    app.add_user(&padmin, "admin@example.com", &ws_a, "workspace_admin")
        .await;
    let admin_b = app
        .add_user(&padmin, "admin-b@example.com", &ws_b, "workspace_admin")
        .await;
    let org_admin = app
        .add_user(&padmin, "orgadmin@example.com", &ws_c, "workspace_viewer")
        .await;
    app.set_org_role(&org_1, &org_admin, OrgRole::OrgAdmin)
        .await;
    let other_org_admin = app
        .add_user(&padmin, "orgadmin2@example.com", &ws_c, "workspace_viewer")
        .await;
    app.set_org_role(&org_2, &other_org_admin, OrgRole::OrgAdmin)
        .await;
    let operator = app
        .add_user(&padmin, "operator@example.com", &ws_c, "workspace_viewer")
        .await;
    app.set_platform_role(&operator, PlatformRole::PlatformOperator)
        .await;

    let owner = app
        .add_user(&padmin, "orgowner@example.com", &ws_c, "workspace_viewer")
        .await;
    app.set_org_role(&org_1, &owner, OrgRole::OrgOwner).await;
    let member = app
        .add_user(&padmin, "orgmember@example.com", &ws_c, "workspace_viewer")
        .await;
    app.set_org_role(&org_1, &member, OrgRole::OrgMember).await;
    let forced = app
        .post(
            &padmin,
            "/api/admin/users",
            &[
                ("workspace_id", ws_a.as_str()),
                ("email", "forced@example.com"),
                ("password", crate::common::PASSWORD),
                ("role", "workspace_viewer"),
                ("must_change_password", "true"),
            ],
        )
        .await;
    assert_eq!(forced.status, 201, "{}", forced.text);
    let deactivated = app
        .add_user(&padmin, "gone@example.com", &ws_a, "workspace_viewer")
        .await;
    let deactivated_client = app.signed_in("gone@example.com").await;
    let r = app
        .post(
            &padmin,
            "/api/users/deactivate",
            &[("user_id", deactivated.as_str())],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    let clients = [
        client(),
        app.signed_in("viewer@example.com").await,
        app.signed_in("editor@example.com").await,
        app.signed_in("admin@example.com").await,
        app.signed_in("admin-b@example.com").await,
        app.signed_in("orgadmin@example.com").await,
        app.signed_in("orgadmin2@example.com").await,
        app.signed_in("operator@example.com").await,
        padmin,
        app.signed_in("orgowner@example.com").await,
        app.signed_in("orgmember@example.com").await,
        app.signed_in("forced@example.com").await,
        deactivated_client,
    ];
    let ids = Ids {
        ws_a,
        org_1,
        viewer_a,
        admin_b: admin_b.clone(),
        org_member: member.clone(),
    };
    let mut failures = Vec::new();
    // The Google link start is a POST outside /api: signed out it asks for a sign-in; signed
    // in it would go to the provider (not configured here, so the page that says so).
    for (i, c) in clients.iter().enumerate() {
        let r = c
            .post(app.url("/auth/oidc/link"))
            .header("sec-fetch-site", "same-origin")
            .send()
            .await
            .unwrap();
        let to = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let expected = match ACTORS[i] {
            "anonymous" | "a deactivated user" => "/login?return_to=/profile",
            "a user who must change their password" => "/change-password",
            _ => "/auth/error?reason=not_configured",
        };
        if to != expected {
            failures.push(format!(
                "/auth/oidc/link as {}: expected {expected}, got {} {to}",
                ACTORS[i],
                r.status()
            ));
        }
    }
    // Token actors: tokens of the workspace admin and of the platform admin, with every scope
    // and with `members:read` only. Each reaches exactly what its scopes allow, and there gets
    // what its owner's session gets; everything else is 403 (the scope is checked first).
    let all_scopes = "members:read,members:write,invites:write,audit:read";
    let mut tokens = Vec::new();
    for owner in [3_usize, 8] {
        for scopes in [all_scopes, "members:read"] {
            let r = app
                .post(
                    &clients[owner],
                    "/api/tokens/create",
                    &[("name", "matrix"), ("scopes", scopes)],
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.text);
            let secret = r.body["secret"].as_str().unwrap().to_string();
            tokens.push((owner, scopes, secret));
        }
    }
    // The exports are GETs with the rights of the list they export, for people and tokens
    // (before the matrix below, whose rows sign some of these sessions out).
    let rights_of = |endpoint: &str| {
        matrix(&ids)
            .into_iter()
            .find(|(e, ..)| *e == endpoint)
            .unwrap()
            .2
    };
    let members_query = format!("/api/members/export.csv?workspace_id={}", ids.ws_a);
    for (export, list) in [
        ("/api/audit/export.csv", "/api/audit/list"),
        ("/api/audit/export.ndjson", "/api/audit/list"),
        (members_query.as_str(), "/api/members/list"),
    ] {
        let expected = rights_of(list);
        for (i, c) in clients.iter().enumerate() {
            let status = c.get(app.url(export)).send().await.unwrap().status();
            if status.as_u16() != expected[i] {
                failures.push(format!(
                    "GET {export} as {}: expected {}, got {status}",
                    ACTORS[i], expected[i]
                ));
            }
        }
        let scope = roster::domain::scopes::required_scope(export.split('?').next().unwrap())
            .expect("an export takes a token");
        for (owner, scopes, secret) in &tokens {
            let want = if scopes.split(',').any(|s| s == scope.as_str()) {
                expected[*owner]
            } else {
                403
            };
            let status = reqwest::Client::new()
                .get(app.url(export))
                .bearer_auth(secret)
                .send()
                .await
                .unwrap()
                .status();
            if status.as_u16() != want {
                failures.push(format!(
                    "GET {export} with a token of {} ({scopes}): expected {want}, got {status}",
                    ACTORS[*owner]
                ));
            }
        }
    }
    for (endpoint, form, expected) in matrix(&ids) {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        for (owner, scopes, secret) in &tokens {
            let want = match roster::domain::scopes::required_scope(endpoint) {
                Some(scope) if scopes.split(',').any(|s| s == scope.as_str()) => expected[*owner],
                _ => 403,
            };
            let r = reqwest::Client::new()
                .post(app.url(endpoint))
                .bearer_auth(secret)
                .form(&form)
                .send()
                .await
                .unwrap();
            if r.status().as_u16() != want {
                failures.push(format!(
                    "{endpoint} with a token of {} ({scopes}): expected {want}, got {}",
                    ACTORS[*owner],
                    r.status()
                ));
            }
        }
    }
    for (endpoint, form, expected) in matrix(&ids) {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        for (i, c) in clients.iter().enumerate() {
            let r = app.post(c, endpoint, &form).await;
            if r.status != expected[i] {
                failures.push(format!(
                    "{endpoint} as {}: expected {}, got {} {}",
                    ACTORS[i], expected[i], r.status, r.text
                ));
            }
            if r.status >= 400 {
                assert!(
                    r.body["code"].is_string() && r.body["error"].is_string(),
                    "{endpoint}: JSON error body, got {}",
                    r.text
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "authorization matrix:\n{}",
        failures.join("\n")
    );

    // Nothing the refused or no-op calls did changed a membership.
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM workspace_members WHERE user_id = $1 AND workspace_id = $2",
            &[&admin_b, &ws_b]
        )
        .await,
        1
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM workspace_members WHERE role <> 'workspace_viewer' AND user_id = $1", &[&ids.viewer_a]).await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM workspaces", &[]).await, 3);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM pending_invites", &[])
            .await,
        0,
        "no invitation was created by a refused or empty call"
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM identities", &[]).await, 0);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM scim_role_mappings", &[])
            .await,
        0
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM users WHERE (disabled_at IS NOT NULL OR must_change_password) \
             AND email NOT IN ('forced@example.com', 'gone@example.com')",
            &[]
        )
        .await,
        0,
        "no account but the two set up so was deactivated or given a temporary password"
    );
}
