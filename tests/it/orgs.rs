//! Organization administration: organization roles granted only up to one's own, never an
//! organization without an owner, organization roles by invitation for newcomers, and renaming
//! workspaces (DESIGN §2).

use crate::common::{token_of, TestApp};
use roster::domain::OrgRole;

/// An organization owned by `owner@o.example` with workspaces "North" and "South";
/// `colleague@o.example` is a viewer of North; `outsider@x.example` belongs to another
/// organization only.
struct Org {
    org: String,
    north: String,
    south: String,
    platform: reqwest::Client,
    owner: reqwest::Client,
    owner_id: String,
    colleague_id: String,
    outsider_id: String,
}

async fn org(app: &TestApp) -> Org {
    let boot = app.seed_admin("root@example.com").await;
    let platform = app.signed_in("root@example.com").await;
    let org = app.create_org(&platform, "Acme").await;
    let north = app.create_workspace(&platform, &org, "North").await;
    let south = app.create_workspace(&platform, &org, "South").await;
    let owner_id = app
        .add_user(&platform, "owner@o.example", &north, "workspace_viewer")
        .await;
    app.set_org_role(&org, &owner_id, OrgRole::OrgOwner).await;
    // The platform admin created the organization and is its owner too; take that away so that
    // owner@ is the only owner.
    let root_id = app
        .scalar_text("SELECT id FROM users WHERE email = 'root@example.com'", &[])
        .await;
    app.exec(
        "DELETE FROM org_members WHERE org_id = $1 AND user_id = $2",
        &[&org, &root_id],
    )
    .await;
    let colleague_id = app
        .add_user(&platform, "colleague@o.example", &north, "workspace_viewer")
        .await;
    let outsider_id = app
        .add_user(
            &platform,
            "outsider@x.example",
            &boot.workspace_id,
            "workspace_viewer",
        )
        .await;
    let owner = app.signed_in("owner@o.example").await;
    Org {
        org,
        north,
        south,
        platform,
        owner,
        owner_id,
        colleague_id,
        outsider_id,
    }
}

async fn role_of(app: &TestApp, org: &str, user: &str) -> String {
    let n = app
        .scalar(
            "SELECT COUNT(*) FROM org_members WHERE org_id = $1 AND user_id = $2",
            &[org, user],
        )
        .await;
    if n == 0 {
        return "none".into();
    }
    app.scalar_text(
        "SELECT role FROM org_members WHERE org_id = $1 AND user_id = $2",
        &[org, user],
    )
    .await
}

/// Accepts the invitation of `email` to `ws` through a fresh link, signed in as its recipient.
async fn accept(
    app: &TestApp,
    linker: &reqwest::Client,
    ws: &str,
    recipient: &reqwest::Client,
    email: &str,
) {
    let r = app
        .post(
            linker,
            "/api/invites/link",
            &[("workspace_id", ws), ("email", email)],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let token = token_of(r.body.as_str().unwrap());
    let r = app
        .post(recipient, "/api/invites/accept", &[("token", &token)])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

async fn set_role(app: &TestApp, c: &reqwest::Client, org: &str, user: &str, role: &str) -> u16 {
    let r = app
        .post(
            c,
            "/api/orgs/set_role",
            &[("org_id", org), ("user_id", user), ("role", role)],
        )
        .await;
    if r.status >= 400 {
        assert!(r.body["code"].is_string(), "JSON error body: {}", r.text);
    }
    r.status
}

both_backends!(
    an_owner_makes_a_colleague_org_admin_who_then_administers_every_workspace,
    an_owner_makes_a_colleague_org_admin_who_then_administers_every_workspace
);
async fn an_owner_makes_a_colleague_org_admin_who_then_administers_every_workspace(app: TestApp) {
    let o = org(&app).await;
    let colleague = app.signed_in("colleague@o.example").await;
    // Before: a viewer of North cannot see South's members.
    let r = app
        .post(
            &colleague,
            "/api/members/list",
            &[("workspace_id", &o.south)],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);

    assert_eq!(
        set_role(&app, &o.owner, &o.org, &o.colleague_id, "org_admin").await,
        200
    );
    assert_eq!(role_of(&app, &o.org, &o.colleague_id).await, "org_admin");
    let audit = app.audit_text().await;
    assert!(audit.contains("org_role_changed"), "{audit}");
    assert!(audit.contains("from=none to=org_admin"), "{audit}");

    // The change holds on the colleague's very next request.
    let r = app
        .post(
            &colleague,
            "/api/members/list",
            &[("workspace_id", &o.south)],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    // The organization page lists them with their role.
    let r = app
        .post(&colleague, "/api/orgs/members", &[("org_id", &o.org)])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["name"], "Acme");
    let people = r.body["people"].as_array().unwrap();
    assert_eq!(people[0]["email"], "owner@o.example", "owners first");
    assert_eq!(people[0]["role"], "org_owner");
    let colleague_row = people
        .iter()
        .find(|p| p["email"] == "colleague@o.example")
        .unwrap();
    assert_eq!(colleague_row["role"], "org_admin");
    assert_eq!(colleague_row["workspace_count"], 1);
    assert!(
        people.iter().all(|p| p["email"] != "outsider@x.example"),
        "someone of another organization is not listed"
    );
    let names: Vec<&str> = r.body["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["North", "South"]);
}

both_backends!(
    an_org_admin_grants_no_more_than_their_own_role,
    an_org_admin_grants_no_more_than_their_own_role
);
async fn an_org_admin_grants_no_more_than_their_own_role(app: TestApp) {
    let o = org(&app).await;
    set_role(&app, &o.owner, &o.org, &o.colleague_id, "org_admin").await;
    let admin = app.signed_in("colleague@o.example").await;
    let third = app
        .add_user(&o.platform, "third@o.example", &o.south, "workspace_viewer")
        .await;

    // Makes a member and an admin.
    assert_eq!(
        set_role(&app, &admin, &o.org, &third, "org_member").await,
        200
    );
    assert_eq!(
        set_role(&app, &admin, &o.org, &third, "org_admin").await,
        200
    );
    assert_eq!(role_of(&app, &o.org, &third).await, "org_admin");
    // Makes no owner, demotes no owner, removes no owner: 403 and nothing changes.
    assert_eq!(
        set_role(&app, &admin, &o.org, &third, "org_owner").await,
        403
    );
    assert_eq!(role_of(&app, &o.org, &third).await, "org_admin");
    assert_eq!(
        set_role(&app, &admin, &o.org, &o.owner_id, "org_member").await,
        403
    );
    let r = app
        .post(
            &admin,
            "/api/orgs/remove",
            &[("org_id", &o.org), ("user_id", &o.owner_id)],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(role_of(&app, &o.org, &o.owner_id).await, "org_owner");

    // Someone with no place in the organization gets an organization role only by invitation.
    assert_eq!(
        set_role(&app, &o.owner, &o.org, &o.outsider_id, "org_member").await,
        409
    );
    assert_eq!(role_of(&app, &o.org, &o.outsider_id).await, "none");
    // Unknown roles and people.
    assert_eq!(
        set_role(&app, &o.owner, &o.org, &third, "org_god").await,
        400
    );
    assert_eq!(
        set_role(&app, &o.owner, &o.org, "no-such-user", "org_member").await,
        404
    );
    assert_eq!(
        set_role(&app, &o.owner, "no-such-org", &third, "org_member").await,
        404
    );
    // A workspace admin of North is not an organization admin.
    app.add_user(
        &o.platform,
        "wsadmin@o.example",
        &o.north,
        "workspace_admin",
    )
    .await;
    let ws_admin = app.signed_in("wsadmin@o.example").await;
    assert_eq!(
        set_role(&app, &ws_admin, &o.org, &third, "org_member").await,
        403
    );
    assert_eq!(role_of(&app, &o.org, &third).await, "org_admin");

    // Removing the role keeps the workspace membership.
    let r = app
        .post(
            &admin,
            "/api/orgs/remove",
            &[("org_id", &o.org), ("user_id", &third)],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(role_of(&app, &o.org, &third).await, "none");
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM workspace_members WHERE user_id = $1 AND workspace_id = $2",
            &[&third, &o.south]
        )
        .await,
        1
    );
}

both_backends!(
    an_organization_always_keeps_an_owner_even_under_a_burst,
    an_organization_always_keeps_an_owner_even_under_a_burst
);
async fn an_organization_always_keeps_an_owner_even_under_a_burst(app: TestApp) {
    let o = org(&app).await;
    // The only owner can neither step down nor be removed.
    assert_eq!(
        set_role(&app, &o.owner, &o.org, &o.owner_id, "org_admin").await,
        409
    );
    let r = app
        .post(
            &o.platform,
            "/api/orgs/remove",
            &[("org_id", &o.org), ("user_id", &o.owner_id)],
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.body["code"], "last_owner");
    assert_eq!(role_of(&app, &o.org, &o.owner_id).await, "org_owner");

    // Two owners each demote the other at the same moment: exactly one demotion happens.
    set_role(&app, &o.owner, &o.org, &o.colleague_id, "org_owner").await;
    let second = app.signed_in("colleague@o.example").await;
    for _round in 0..3 {
        let (a, b) = tokio::join!(
            set_role(&app, &o.owner, &o.org, &o.colleague_id, "org_member"),
            set_role(&app, &second, &o.org, &o.owner_id, "org_member"),
        );
        let owners = app
            .scalar(
                "SELECT COUNT(*) FROM org_members WHERE org_id = $1 AND role = 'org_owner'",
                &[&o.org],
            )
            .await;
        assert_eq!(owners, 1, "statuses {a} and {b}");
        let mut statuses = [a, b];
        statuses.sort();
        // One went through; the other was refused: as the last owner's (409), or because its
        // sender is no longer an owner (403).
        assert_eq!(statuses[0], 200, "{a} {b}");
        assert!(matches!(statuses[1], 403 | 409), "{a} {b}");
        // Restore two owners for the next round (by the platform admin).
        for id in [&o.owner_id, &o.colleague_id] {
            assert_eq!(
                set_role(&app, &o.platform, &o.org, id, "org_owner").await,
                200
            );
        }
    }
    // A burst of removals of every owner by the platform admin: one owner stays.
    let app = std::sync::Arc::new(app);
    let removals: Vec<_> = (0..6)
        .map(|i| {
            let id = if i % 2 == 0 {
                o.owner_id.clone()
            } else {
                o.colleague_id.clone()
            };
            let (app, c, org) = (app.clone(), o.platform.clone(), o.org.clone());
            tokio::spawn(async move {
                app.post(
                    &c,
                    "/api/orgs/remove",
                    &[("org_id", &org), ("user_id", &id)],
                )
                .await
            })
        })
        .collect();
    let mut replies = Vec::new();
    for r in removals {
        replies.push(r.await.unwrap());
    }
    assert_eq!(
        replies.iter().filter(|r| r.status == 200).count(),
        1,
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(replies.iter().all(|r| matches!(r.status, 200 | 404 | 409)));
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM org_members WHERE org_id = $1 AND role = 'org_owner'",
            &[&o.org],
        )
        .await,
        1
    );
}

both_backends!(
    an_invitation_carries_an_organization_role_under_the_same_trust_rules,
    an_invitation_carries_an_organization_role_under_the_same_trust_rules
);
async fn an_invitation_carries_an_organization_role_under_the_same_trust_rules(app: TestApp) {
    let o = org(&app).await;
    // A workspace admin who is no organization admin offers no organization role.
    app.add_user(
        &o.platform,
        "wsadmin@o.example",
        &o.north,
        "workspace_admin",
    )
    .await;
    let ws_admin = app.signed_in("wsadmin@o.example").await;
    let invite = |c: &reqwest::Client, email: &str, org_role: &str| {
        let (c, email, org_role) = (c.clone(), email.to_string(), org_role.to_string());
        let north = o.north.clone();
        let app = &app;
        async move {
            app.post(
                &c,
                "/api/invites/create",
                &[
                    ("workspace_id", north.as_str()),
                    ("emails", email.as_str()),
                    ("role", "workspace_viewer"),
                    ("org_role", org_role.as_str()),
                ],
            )
            .await
        }
    };
    let r = invite(&ws_admin, "newcomer@n.example", "org_admin").await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM pending_invites WHERE email = 'newcomer@n.example'",
            &[]
        )
        .await,
        0
    );
    // An org admin offers org_admin, never org_owner.
    set_role(&app, &o.owner, &o.org, &o.colleague_id, "org_admin").await;
    let org_admin = app.signed_in("colleague@o.example").await;
    let r = invite(&org_admin, "newcomer@n.example", "org_owner").await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = invite(&org_admin, "newcomer@n.example", "org_admin").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        app.scalar_text(
            "SELECT org_role FROM pending_invite_workspaces WHERE email = 'newcomer@n.example'",
            &[]
        )
        .await,
        "org_admin"
    );

    // The outsider has an account elsewhere: the owner's invitation waits for their answer,
    // and accepting it grants the membership and the organization role.
    let r = invite(&o.owner, "outsider@x.example", "org_member").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(role_of(&app, &o.org, &o.outsider_id).await, "none");
    let outsider = app.signed_in("outsider@x.example").await;
    accept(&app, &o.owner, &o.north, &outsider, "outsider@x.example").await;
    assert_eq!(role_of(&app, &o.org, &o.outsider_id).await, "org_member");
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM workspace_members WHERE user_id = $1 AND workspace_id = $2",
            &[&o.outsider_id, &o.north]
        )
        .await,
        1
    );

    // An inviter who lost the right to grant the organization role before the acceptance:
    // the membership still comes (they still administer North), the organization role not.
    let inviter = app
        .add_user(
            &o.platform,
            "inviter@o.example",
            &o.north,
            "workspace_admin",
        )
        .await;
    set_role(&app, &o.owner, &o.org, &inviter, "org_admin").await;
    let inviter_client = app.signed_in("inviter@o.example").await;
    let late = app
        .add_user(&o.platform, "late@x.example", &o.south, "workspace_viewer")
        .await;
    // late@ is in South (this organization) too, but also elsewhere: not managed, so invited.
    app.exec(
        "INSERT INTO workspace_members (workspace_id, user_id, email, role, role_source, joined_at) \
         SELECT id, $1, 'late@x.example', 'workspace_viewer', 'manual', 0 FROM workspaces WHERE name = 'Default workspace'",
        &[&late],
    )
    .await;
    let r = invite(&inviter_client, "late@x.example", "org_admin").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = app
        .post(
            &o.owner,
            "/api/orgs/remove",
            &[("org_id", &o.org), ("user_id", &inviter)],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let late_client = app.signed_in("late@x.example").await;
    accept(&app, &o.owner, &o.north, &late_client, "late@x.example").await;
    assert_eq!(role_of(&app, &o.org, &late).await, "none");
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM workspace_members WHERE user_id = $1 AND workspace_id = $2",
            &[&late, &o.north]
        )
        .await,
        1
    );
}

both_backends!(
    org_admins_rename_workspaces_and_workspace_admins_do_not,
    org_admins_rename_workspaces_and_workspace_admins_do_not
);
async fn org_admins_rename_workspaces_and_workspace_admins_do_not(app: TestApp) {
    let o = org(&app).await;
    app.add_user(
        &o.platform,
        "wsadmin@o.example",
        &o.north,
        "workspace_admin",
    )
    .await;
    let ws_admin = app.signed_in("wsadmin@o.example").await;
    let rename = |c: reqwest::Client, name: &'static str| {
        let north = o.north.clone();
        let app = &app;
        async move {
            app.post(
                &c,
                "/api/workspaces/rename",
                &[("workspace_id", north.as_str()), ("name", name)],
            )
            .await
            .status
        }
    };
    let name = || async {
        app.scalar_text("SELECT name FROM workspaces WHERE id = $1", &[&o.north])
            .await
    };
    assert_eq!(rename(ws_admin, "Mine now").await, 403);
    assert_eq!(name().await, "North");
    assert_eq!(rename(o.owner.clone(), "   ").await, 400);
    assert_eq!(rename(o.owner.clone(), "North\nEast").await, 400);
    assert_eq!(name().await, "North");
    assert_eq!(rename(o.owner.clone(), "Northeast").await, 200);
    assert_eq!(name().await, "Northeast");
    let audit = app.audit_text().await;
    assert!(audit.contains("workspace_renamed"), "{audit}");
    assert!(audit.contains("from=North"), "{audit}");
}

both_backends!(
    a_deactivated_owner_does_not_keep_an_organization_owned,
    a_deactivated_owner_does_not_keep_an_organization_owned
);
async fn a_deactivated_owner_does_not_keep_an_organization_owned(app: TestApp) {
    let o = org(&app).await;
    set_role(&app, &o.owner, &o.org, &o.colleague_id, "org_owner").await;
    let r = app
        .post(
            &o.platform,
            "/api/users/deactivate",
            &[("user_id", &o.colleague_id)],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // The only owner who can still act cannot step down.
    assert_eq!(
        set_role(&app, &o.owner, &o.org, &o.owner_id, "org_admin").await,
        409
    );
    assert_eq!(role_of(&app, &o.org, &o.owner_id).await, "org_owner");
}
