use crate::common::TestApp;

both_backends!(
    last_admin_cannot_be_demoted_or_removed,
    last_admin_cannot_be_demoted_or_removed
);
async fn last_admin_cannot_be_demoted_or_removed(app: TestApp) {
    let boot = app.seed_admin("admin@example.com").await;
    let ws = boot.workspace_id.as_str();
    let admin = app.signed_in("admin@example.com").await;
    let demote = app
        .post(
            &admin,
            "/api/members/set_role",
            &[
                ("workspace_id", ws),
                ("user_id", &boot.user_id),
                ("role", "workspace_viewer"),
            ],
        )
        .await;
    assert_eq!(demote.status, 409, "{}", demote.text);
    assert_eq!(demote.body["code"], "last_admin");
    let remove = app
        .post(
            &admin,
            "/api/members/remove",
            &[("workspace_id", ws), ("user_id", &boot.user_id)],
        )
        .await;
    assert_eq!(remove.status, 409);

    // With a second admin, the first may step down.
    let second = app
        .add_user(&admin, "second@example.com", ws, "workspace_admin")
        .await;
    let demote = app
        .post(
            &admin,
            "/api/members/set_role",
            &[
                ("workspace_id", ws),
                ("user_id", &boot.user_id),
                ("role", "workspace_viewer"),
            ],
        )
        .await;
    assert_eq!(demote.status, 200, "{}", demote.text);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'authz_change' AND detail LIKE 'from=workspace_admin to=workspace_viewer%'", &[]).await, 1);
    let second_client = app.signed_in("second@example.com").await;
    let remove_second = app
        .post(
            &second_client,
            "/api/members/remove",
            &[("workspace_id", ws), ("user_id", &second)],
        )
        .await;
    assert_eq!(
        remove_second.status, 409,
        "now the second is the last admin"
    );
    let bad_role = app
        .post(
            &second_client,
            "/api/members/set_role",
            &[
                ("workspace_id", ws),
                ("user_id", &boot.user_id),
                ("role", "platform_admin"),
            ],
        )
        .await;
    assert_eq!(bad_role.status, 400);
}

both_backends!(
    members_list_is_searched_and_paginated_on_the_server,
    members_list_is_searched_and_paginated_on_the_server
);
async fn members_list_is_searched_and_paginated_on_the_server(app: TestApp) {
    let boot = app.seed_admin("admin@example.com").await;
    let ws = boot.workspace_id.as_str();
    // 120 members written directly (Add User would hash 120 passwords).
    for i in 0..120 {
        let id = format!("00000000-0000-0000-0000-{i:012}");
        app.exec(
            "INSERT INTO users (id, email, name, created_at) VALUES ($1, $2, $3, 0)",
            &[
                &id,
                &format!("member{i:03}@example.com"),
                &format!("Member {i:03}"),
            ],
        )
        .await;
        app.exec("INSERT INTO workspace_members (workspace_id, user_id, email, role, role_source, joined_at) VALUES ($1, $2, (SELECT email FROM users WHERE id = $2), 'workspace_viewer', 'manual', 0)", &[ws, &id]).await;
    }
    let admin = app.signed_in("admin@example.com").await;
    let p1 = app
        .post(&admin, "/api/members/list", &[("workspace_id", ws)])
        .await;
    assert_eq!(p1.status, 200, "{}", p1.text);
    assert_eq!(p1.body["total"], 121);
    assert_eq!(p1.body["members"].as_array().unwrap().len(), 50);
    assert_eq!(p1.body["members"][0]["email"], "admin@example.com");
    let p3 = app
        .post(
            &admin,
            "/api/members/list",
            &[("workspace_id", ws), ("page", "3")],
        )
        .await;
    assert_eq!(p3.body["members"].as_array().unwrap().len(), 21);
    assert_eq!(p3.body["members"][20]["email"], "member119@example.com");

    let search = app
        .post(
            &admin,
            "/api/members/list",
            &[("workspace_id", ws), ("q", "MEMBER 10")],
        )
        .await;
    assert_eq!(
        search.body["total"], 10,
        "names Member 100..109: {}",
        search.text
    );
    let by_email = app
        .post(
            &admin,
            "/api/members/list",
            &[("workspace_id", ws), ("q", "member007@")],
        )
        .await;
    assert_eq!(by_email.body["total"], 1);
    // LIKE wildcards are literal.
    let wildcard = app
        .post(
            &admin,
            "/api/members/list",
            &[("workspace_id", ws), ("q", "%")],
        )
        .await;
    assert_eq!(wildcard.body["total"], 0);
}

both_backends!(workspace_and_org_creation, workspace_and_org_creation);
async fn workspace_and_org_creation(app: TestApp) {
    app.seed_admin("admin@example.com").await;
    let admin = app.signed_in("admin@example.com").await;
    let org = app.create_org(&admin, "Acme").await;
    let ws = app.create_workspace(&admin, &org, "Research").await;
    let me = app.post(&admin, "/api/auth/me", &[]).await;
    assert!(me.body["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w["id"] == ws.as_str() && w["org_name"] == "Acme"));
    let empty = app
        .post(
            &admin,
            "/api/workspaces/create",
            &[("org_id", &org), ("name", "  ")],
        )
        .await;
    assert_eq!(empty.status, 400);
    let missing = app
        .post(
            &admin,
            "/api/workspaces/create",
            &[("org_id", "nope"), ("name", "X")],
        )
        .await;
    assert_eq!(missing.status, 404);
}
