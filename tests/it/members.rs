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
    // Found by the start of both her email and her name, and listed once.
    let ada = "00000000-0000-0000-0000-100000000000";
    app.exec(
        "INSERT INTO users (id, email, name, created_at) VALUES ($1, 'ada@example.com', 'Ada Lovelace', 0)",
        &[ada],
    )
    .await;
    app.exec("INSERT INTO workspace_members (workspace_id, user_id, email, role, role_source, joined_at) VALUES ($1, $2, 'ada@example.com', 'workspace_viewer', 'manual', 0)", &[ws, ada]).await;
    let admin = app.signed_in("admin@example.com").await;
    let p1 = app
        .post(&admin, "/api/members/list", &[("workspace_id", ws)])
        .await;
    assert_eq!(p1.status, 200, "{}", p1.text);
    assert_eq!(p1.body["member_count"], 122);
    assert_eq!(p1.body["invite_count"], 0);
    assert_eq!(p1.body["members"].as_array().unwrap().len(), 50);
    assert_eq!(p1.body["members"][0]["email"], "ada@example.com");
    assert_eq!(p1.body["members"][1]["email"], "admin@example.com");
    let missing = app
        .post(&admin, "/api/members/list", &[("workspace_id", "nope")])
        .await;
    assert_eq!(missing.status, 404, "{}", missing.text);
    let p2 = app
        .post(
            &admin,
            "/api/members/list",
            &[
                ("workspace_id", ws),
                ("after", p1.body["next"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(p2.body["members"][0]["email"], "member048@example.com");

    // Following `next` visits every row once, in email order.
    let all = app.list_members(&admin, ws, "all", "").await;
    let emails: Vec<&str> = all.iter().map(|m| m["email"].as_str().unwrap()).collect();
    assert_eq!(emails.len(), 122);
    let mut sorted = emails.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(emails, sorted);
    assert_eq!(emails[121], "member119@example.com");

    let by_name = app.list_members(&admin, ws, "all", "MEMBER 10").await;
    let names: Vec<&str> = by_name
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        (100..110)
            .map(|i| format!("Member {i}"))
            .collect::<Vec<_>>(),
        "by the start of the name"
    );
    assert_eq!(
        app.list_members(&admin, ws, "all", "member007@")
            .await
            .len(),
        1
    );
    assert_eq!(
        app.list_members(&admin, ws, "all", "  Member1  ")
            .await
            .len(),
        20,
        "member100..119 by email"
    );
    let ada_rows = app.list_members(&admin, ws, "all", "ada").await;
    assert_eq!(ada_rows.len(), 1, "{ada_rows:?}");
    assert_eq!(ada_rows[0]["name"], "Ada Lovelace");
    assert_eq!(
        app.list_members(&admin, ws, "all", "lovelace").await.len(),
        0,
        "only the start of a name"
    );
    // A search of 70 rows still pages: 50, then 20.
    let many = app
        .post(
            &admin,
            "/api/members/list",
            &[("workspace_id", ws), ("q", "member0")],
        )
        .await;
    assert_eq!(many.body["members"].as_array().unwrap().len(), 50);
    assert_eq!(
        app.list_members(&admin, ws, "all", "member0").await.len(),
        100
    );
    // Wildcards are plain characters.
    assert_eq!(app.list_members(&admin, ws, "all", "%").await.len(), 0);
    assert_eq!(app.list_members(&admin, ws, "all", "_").await.len(), 0);

    // Bad input: a forged cursor, an overlong search.
    let forged = app
        .post(
            &admin,
            "/api/members/list",
            &[("workspace_id", ws), ("after", "bm90IGEgY3Vyc29y")],
        )
        .await;
    assert_eq!(forged.status, 400, "{}", forged.text);
    assert!(forged.body["fields"]["after"].is_string());
    let long = "x".repeat(201);
    let overlong = app
        .post(
            &admin,
            "/api/members/list",
            &[("workspace_id", ws), ("q", &long)],
        )
        .await;
    assert_eq!(overlong.status, 400);
    assert!(overlong.body["fields"]["q"].is_string());

    // Removing a member updates the count.
    let removed = app
        .post(
            &admin,
            "/api/members/remove",
            &[("workspace_id", ws), ("user_id", ada)],
        )
        .await;
    assert_eq!(removed.status, 200, "{}", removed.text);
    let after = app
        .post(&admin, "/api/members/list", &[("workspace_id", ws)])
        .await;
    assert_eq!(after.body["member_count"], 121);
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

both_backends!(
    the_members_list_exports_whole_as_csv_in_its_order_with_its_filter,
    the_members_list_exports_whole_as_csv_in_its_order_with_its_filter
);
async fn the_members_list_exports_whole_as_csv_in_its_order_with_its_filter(app: TestApp) {
    let boot = app.seed_admin("admin@example.com").await;
    let ws = boot.workspace_id.as_str();
    let admin = app.signed_in("admin@example.com").await;
    // More members than one batch of the export (1,000), written straight to the database.
    for i in 0..1_234 {
        let id = format!("m{i:04}");
        app.exec(
            "INSERT INTO users (id, email, name, created_at) VALUES ($1, $2, $3, 0)",
            &[
                &id,
                &format!("m{i:04}@bulk.example"),
                &format!("Member {i:04}"),
            ],
        )
        .await;
        app.exec("INSERT INTO workspace_members (workspace_id, user_id, email, role, role_source, joined_at) VALUES ($1, $2, (SELECT email FROM users WHERE id = $2), 'workspace_viewer', 'manual', 0)", &[ws, &id]).await;
    }
    // A name a spreadsheet would run, and two invitations.
    app.exec(
        "UPDATE users SET name = '=HYPERLINK(\"http://x\")' WHERE id = 'm0007'",
        &[],
    )
    .await;
    let r = app
        .post(
            &admin,
            "/api/invites/create",
            &[
                ("workspace_id", ws),
                ("emails", "zed@example.com, m0001x@bulk.example"),
                ("role", "workspace_editor"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    let get = |query: String| {
        let admin = admin.clone();
        let url = app.url(&format!("/api/members/export.csv?{query}"));
        async move {
            let r = admin.get(url).send().await.unwrap();
            let status = r.status().as_u16();
            let text = r.text().await.unwrap();
            (status, text)
        }
    };
    let (status, all) = get(format!("workspace_id={ws}")).await;
    assert_eq!(status, 200, "{all}");
    let mut reader = csv::Reader::from_reader(all.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "email",
            "name",
            "status",
            "role",
            "role_source",
            "since",
            "invited_by",
            "invitation_expires",
            "has_account"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    // The admin, the bulk members and the two invitations, each once, in the page's order.
    assert_eq!(rows.len(), 1 + 1_234 + 2);
    let emails: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
    let mut sorted = emails.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), emails.len(), "no row twice");
    // The same order as the paged list.
    let mut paged = Vec::new();
    let mut after = String::new();
    loop {
        let r = app
            .post(
                &admin,
                "/api/members/list",
                &[("workspace_id", ws), ("after", &after)],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        paged.extend(
            r.body["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["email"].as_str().unwrap().to_string()),
        );
        match r.body["next"].as_str() {
            Some(next) => after = next.to_string(),
            None => break,
        }
    }
    assert_eq!(emails, paged);
    let m7 = rows.iter().find(|r| &r[0] == "m0007@bulk.example").unwrap();
    assert_eq!(&m7[1], "'=HYPERLINK(\"http://x\")");
    assert_eq!(&m7[2], "active");
    let zed = rows.iter().find(|r| &r[0] == "zed@example.com").unwrap();
    assert_eq!(
        (&zed[2], &zed[3], &zed[8]),
        ("pending", "workspace_editor", "false")
    );
    assert!(!zed[7].is_empty(), "an invitation's expiry");

    // The page's filters: pending only; a search.
    let (_, pending) = get(format!("workspace_id={ws}&status=pending")).await;
    let pending: Vec<String> = pending
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    assert_eq!(pending, ["m0001x@bulk.example", "zed@example.com"]);
    let (_, found) = get(format!("workspace_id={ws}&q=m000")).await;
    assert_eq!(
        found.lines().count(),
        1 + 10 + 1,
        "m0000..m0009 and the invitation m0001x: {found}"
    );

    // Refusals are answers: a viewer of another workspace, a workspace that does not exist, a
    // bad filter.
    let org = app.org_of(ws).await;
    let other = app.create_workspace(&admin, &org, "Other").await;
    app.add_user(&admin, "outsider@example.com", &other, "workspace_admin")
        .await;
    let outsider = app.signed_in("outsider@example.com").await;
    let r = outsider
        .get(app.url(&format!("/api/members/export.csv?workspace_id={ws}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let (status, _) = get("workspace_id=nope".into()).await;
    assert_eq!(status, 404);
    let (status, text) = get(format!("workspace_id={ws}&status=everyone")).await;
    assert_eq!(status, 400, "{text}");
    let (status, _) = get(String::new()).await;
    assert_eq!(status, 400);
}
