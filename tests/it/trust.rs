//! Trust between organizations (DESIGN §2): an invitation never adds an account its inviter
//! does not manage; the account's owner accepts or declines it while signed in.

use crate::common::{client, token_of, TestApp};

/// Two organizations: A (the default one, with `ws_a`) and B (with `ws_b`), each with a
/// workspace admin who administers nothing else, and `cfo@victim.example`, created by A's admin
/// with Add User (so A's admin knows its password).
struct TwoOrgs {
    ws_a: String,
    ws_b: String,
    org_b: String,
    admin_a: reqwest::Client,
    admin_b: reqwest::Client,
    platform: reqwest::Client,
}

const VICTIM: &str = "cfo@victim.example";

async fn two_orgs(app: &TestApp) -> TwoOrgs {
    let boot = app.seed_admin("root@example.com").await;
    let platform = app.signed_in("root@example.com").await;
    let org_b = app.create_org(&platform, "Org B").await;
    let ws_b = app.create_workspace(&platform, &org_b, "B workspace").await;
    let ws_a = boot.workspace_id.clone();
    app.add_user(&platform, "admin-a@a.example", &ws_a, "workspace_admin")
        .await;
    app.add_user(&platform, "admin-b@b.example", &ws_b, "workspace_admin")
        .await;
    let admin_a = app.signed_in("admin-a@a.example").await;
    let admin_b = app.signed_in("admin-b@b.example").await;
    app.add_user(&admin_a, VICTIM, &ws_a, "workspace_viewer")
        .await;
    TwoOrgs {
        ws_a,
        ws_b,
        org_b,
        admin_a,
        admin_b,
        platform,
    }
}

async fn invite(
    app: &TestApp,
    c: &reqwest::Client,
    ws: &str,
    email: &str,
    role: &str,
) -> crate::common::Reply {
    app.post(
        c,
        "/api/invites/create",
        &[("workspace_id", ws), ("emails", email), ("role", role)],
    )
    .await
}

async fn link(app: &TestApp, c: &reqwest::Client, ws: &str, email: &str) -> String {
    let r = app
        .post(
            c,
            "/api/invites/link",
            &[("workspace_id", ws), ("email", email)],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    token_of(r.body.as_str().unwrap())
}

async fn membership(app: &TestApp, email: &str, ws: &str) -> i64 {
    app.scalar(
        "SELECT COUNT(*) FROM workspace_members m JOIN users u ON u.id = m.user_id WHERE u.email = $1 AND m.workspace_id = $2",
        &[email, ws],
    )
    .await
}

both_backends!(
    an_account_of_another_organization_is_invited_not_added,
    an_account_of_another_organization_is_invited_not_added
);
async fn an_account_of_another_organization_is_invited_not_added(app: TestApp) {
    let t = two_orgs(&app).await;
    // B's admin invites the account A's admin controls: a pending invitation, no membership.
    let r = invite(&app, &t.admin_b, &t.ws_b, VICTIM, "workspace_admin").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["results"][0]["result"], "invited");
    assert!(r.body["results"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("has an account"));
    assert_eq!(membership(&app, VICTIM, &t.ws_b).await, 0);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM pending_invite_workspaces WHERE email = $1 AND workspace_id = $2",
            &[VICTIM, &t.ws_b]
        )
        .await,
        1
    );
    // Listed as pending, with the badge.
    let rows = app.list_members(&t.admin_b, &t.ws_b, "pending", "").await;
    let row = rows
        .iter()
        .find(|m| m["email"] == VICTIM)
        .expect("pending row");
    assert_eq!(row["status"], "pending");
    assert_eq!(row["has_account"], true);

    // A's admin manages an account that is only in A's workspace: added directly.
    app.add_user(&t.platform, "only-b@b.example", &t.ws_b, "workspace_viewer")
        .await;
    let direct = invite(
        &app,
        &t.admin_b,
        &t.ws_b,
        "only-b@b.example",
        "workspace_viewer",
    )
    .await;
    assert_eq!(direct.body["results"][0]["result"], "already_member");
    let ws_b2 = app.create_workspace(&t.platform, &t.org_b, "B two").await;
    app.exec(
        "INSERT INTO workspace_members (workspace_id, user_id, email, role, role_source, joined_at) \
         SELECT $1, id, email, 'workspace_admin', 'admin_create', 0 FROM users WHERE email = 'admin-b@b.example'",
        &[&ws_b2],
    )
    .await;
    let added = invite(
        &app,
        &t.admin_b,
        &ws_b2,
        "only-b@b.example",
        "workspace_viewer",
    )
    .await;
    assert_eq!(
        added.body["results"][0]["result"], "added",
        "{}",
        added.text
    );
    assert_eq!(membership(&app, "only-b@b.example", &ws_b2).await, 1);

    // The other way round: A's admin cannot pull B's admin into A either.
    let r = invite(
        &app,
        &t.admin_a,
        &t.ws_a,
        "admin-b@b.example",
        "workspace_viewer",
    )
    .await;
    assert_eq!(r.body["results"][0]["result"], "invited");
    assert_eq!(membership(&app, "admin-b@b.example", &t.ws_a).await, 0);
}

both_backends!(
    the_signed_in_recipient_accepts_exactly_once,
    the_signed_in_recipient_accepts_exactly_once
);
async fn the_signed_in_recipient_accepts_exactly_once(app: TestApp) {
    let t = two_orgs(&app).await;
    invite(&app, &t.admin_b, &t.ws_b, VICTIM, "workspace_editor").await;
    let token = link(&app, &t.admin_b, &t.ws_b, VICTIM).await;

    // The link says it is for an existing account.
    let view = app
        .post(&client(), "/api/invites/lookup", &[("token", &token)])
        .await;
    assert_eq!(view.body["has_account"], true, "{}", view.text);

    // Anonymous: 401. Another account: 403 naming both, and the invitation stays valid.
    let anon = app
        .post(&client(), "/api/invites/accept", &[("token", &token)])
        .await;
    assert_eq!(anon.status, 401);
    let wrong = app
        .post(&t.admin_a, "/api/invites/accept", &[("token", &token)])
        .await;
    assert_eq!(wrong.status, 403, "{}", wrong.text);
    assert_eq!(wrong.body["code"], "invitation_for_another_account");
    assert!(wrong.body["error"].as_str().unwrap().contains(VICTIM));
    let wrong = app
        .post(&t.admin_a, "/api/invites/decline", &[("token", &token)])
        .await;
    assert_eq!(wrong.status, 403);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM pending_invites WHERE email = $1",
            &[VICTIM]
        )
        .await,
        1
    );
    assert_eq!(membership(&app, "admin-a@a.example", &t.ws_b).await, 0);

    // The recipient, signed in, accepts; eight concurrent clicks add the membership once.
    let victim = app.signed_in(VICTIM).await;
    let app = std::sync::Arc::new(app);
    let attempts: Vec<_> = (0..8)
        .map(|_| {
            let (app, victim, token) = (app.clone(), victim.clone(), token.clone());
            tokio::spawn(async move {
                app.post(&victim, "/api/invites/accept", &[("token", &token)])
                    .await
            })
        })
        .collect();
    let mut replies = Vec::new();
    for a in attempts {
        replies.push(a.await.expect("join"));
    }
    let ok: Vec<_> = replies.iter().filter(|r| r.status == 200).collect();
    assert_eq!(
        ok.len(),
        1,
        "{:?}",
        replies
            .iter()
            .map(|r| (r.status, r.text.clone()))
            .collect::<Vec<_>>()
    );
    assert!(replies.iter().all(|r| r.status == 200 || r.status == 404));
    assert_eq!(ok[0].body["workspaces"][0], "B workspace");
    assert_eq!(membership(&app, VICTIM, &t.ws_b).await, 1);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM workspace_members m JOIN users u ON u.id = m.user_id WHERE u.email = $1 AND m.workspace_id = $2 AND m.role = 'workspace_editor'", &[VICTIM, &t.ws_b]).await,
        1
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM pending_invites WHERE email = $1",
            &[VICTIM]
        )
        .await,
        0
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'invite_accepted' AND target = $1",
            &[VICTIM]
        )
        .await,
        1
    );
    // Accepting a link marks the email proven.
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM users WHERE email = $1 AND email_verified_at IS NOT NULL",
            &[VICTIM]
        )
        .await,
        1
    );
    // The membership in A is untouched.
    assert_eq!(membership(&app, VICTIM, &t.ws_a).await, 1);
}

both_backends!(
    declining_expiry_and_lost_rights_change_nothing_they_should_not,
    declining_expiry_and_lost_rights_change_nothing_they_should_not
);
async fn declining_expiry_and_lost_rights_change_nothing_they_should_not(app: TestApp) {
    let t = two_orgs(&app).await;
    let victim = app.signed_in(VICTIM).await;

    // Declined: the invitation is gone, audited, no membership.
    invite(&app, &t.admin_b, &t.ws_b, VICTIM, "workspace_viewer").await;
    let token = link(&app, &t.admin_b, &t.ws_b, VICTIM).await;
    let r = app
        .post(&victim, "/api/invites/decline", &[("token", &token)])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM pending_invites WHERE email = $1",
            &[VICTIM]
        )
        .await,
        0
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'invite_declined' AND target = $1",
            &[VICTIM]
        )
        .await,
        1
    );
    assert_eq!(membership(&app, VICTIM, &t.ws_b).await, 0);
    let again = app
        .post(&victim, "/api/invites/accept", &[("token", &token)])
        .await;
    assert_eq!(again.status, 404, "{}", again.text);

    // Expired: 409, nothing changes.
    invite(&app, &t.admin_b, &t.ws_b, VICTIM, "workspace_viewer").await;
    let token = link(&app, &t.admin_b, &t.ws_b, VICTIM).await;
    app.exec(
        "UPDATE pending_invites SET expires_at = 1 WHERE email = $1",
        &[VICTIM],
    )
    .await;
    let r = app
        .post(&victim, "/api/invites/accept", &[("token", &token)])
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.body["code"], "invitation_expired");
    assert_eq!(membership(&app, VICTIM, &t.ws_b).await, 0);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM pending_invites WHERE email = $1",
            &[VICTIM]
        )
        .await,
        1
    );

    // The inviter lost the right to grant it: accepted, but that workspace is skipped.
    app.exec(
        "UPDATE pending_invites SET expires_at = 99999999999 WHERE email = $1",
        &[VICTIM],
    )
    .await;
    app.exec(
        "UPDATE workspace_members SET role = 'workspace_viewer' WHERE email = 'admin-b@b.example'",
        &[],
    )
    .await;
    let r = app
        .post(&victim, "/api/invites/accept", &[("token", &token)])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["skipped"], 1);
    assert_eq!(membership(&app, VICTIM, &t.ws_b).await, 0);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'invite_row_skipped' AND target = $1",
            &[VICTIM]
        )
        .await,
        1
    );
}

both_backends!(
    a_proven_email_sees_its_invitations_without_the_link,
    a_proven_email_sees_its_invitations_without_the_link
);
async fn a_proven_email_sees_its_invitations_without_the_link(app: TestApp) {
    let t = two_orgs(&app).await;
    let victim = app.signed_in(VICTIM).await;
    invite(&app, &t.admin_b, &t.ws_b, VICTIM, "workspace_viewer").await;

    // Created by Add User: the email is not proven, so no invitation shows and none is
    // accepted without the link.
    let mine = app.post(&victim, "/api/invites/mine", &[]).await;
    assert_eq!(mine.status, 200, "{}", mine.text);
    assert!(mine.body.is_null(), "{}", mine.text);
    let r = app.post(&victim, "/api/invites/accept", &[]).await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(r.body["code"], "email_not_proven");
    assert_eq!(membership(&app, VICTIM, &t.ws_b).await, 0);

    // Proven (as linking Google with this verified email does): shown and accepted.
    app.exec(
        "UPDATE users SET email_verified_at = 1 WHERE email = $1",
        &[VICTIM],
    )
    .await;
    let mine = app.post(&victim, "/api/invites/mine", &[]).await;
    assert_eq!(mine.body["workspaces"][0], "B workspace", "{}", mine.text);
    assert_eq!(mine.body["email"], VICTIM);
    let r = app.post(&victim, "/api/invites/accept", &[]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(membership(&app, VICTIM, &t.ws_b).await, 1);
    let mine = app.post(&victim, "/api/invites/mine", &[]).await;
    assert!(mine.body.is_null());
}

both_backends!(
    add_user_refuses_an_email_invited_by_another_organization,
    add_user_refuses_an_email_invited_by_another_organization
);
async fn add_user_refuses_an_email_invited_by_another_organization(app: TestApp) {
    let t = two_orgs(&app).await;
    invite(
        &app,
        &t.admin_b,
        &t.ws_b,
        "newcomer@example.com",
        "workspace_viewer",
    )
    .await;
    let users = app.scalar("SELECT COUNT(*) FROM users", &[]).await;
    let r = app
        .post(
            &t.admin_a,
            "/api/admin/users",
            &[
                ("email", "newcomer@example.com"),
                ("name", "Newcomer"),
                ("password", "a long enough password"),
                ("workspace_id", &t.ws_a),
                ("role", "workspace_viewer"),
            ],
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM users", &[]).await, users);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM pending_invite_workspaces WHERE email = 'newcomer@example.com'",
            &[]
        )
        .await,
        1
    );
}
