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
    // More members than several batches of the export (250 rows each), written straight to
    // the database.
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
            "last_sign_in",
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
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'data_exported' AND workspace_id = $1",
            &[ws]
        )
        .await,
        1,
        "the export is audited"
    );
    let m7 = rows.iter().find(|r| &r[0] == "m0007@bulk.example").unwrap();
    assert_eq!(&m7[1], "'=HYPERLINK(\"http://x\")");
    assert_eq!(&m7[2], "active");
    let zed = rows.iter().find(|r| &r[0] == "zed@example.com").unwrap();
    assert_eq!(
        (&zed[2], &zed[3], &zed[6], &zed[9]),
        ("pending", "workspace_editor", "", "false")
    );
    assert!(!zed[8].is_empty(), "an invitation's expiry");

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

/// `POST /api/members/bulk`, asserted to answer `status`.
async fn bulk(
    app: &TestApp,
    c: &reqwest::Client,
    form: &[(&str, &str)],
    status: u16,
) -> serde_json::Value {
    let r = app.post(c, "/api/members/bulk", form).await;
    assert_eq!(r.status, status, "{form:?}: {}", r.text);
    r.body
}

/// (row, result, code) of each row of a bulk answer.
fn outcomes(body: &serde_json::Value) -> Vec<(String, String, String)> {
    body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["row"].as_str().unwrap().to_string(),
                r["result"].as_str().unwrap().to_string(),
                r["code"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

both_backends!(
    bulk_actions_apply_each_row_through_the_single_action_and_say_what_they_skip,
    bulk_actions_apply_each_row_through_the_single_action_and_say_what_they_skip
);
async fn bulk_actions_apply_each_row_through_the_single_action_and_say_what_they_skip(
    app: TestApp,
) {
    let boot = app.seed_admin("admin@example.com").await;
    let ws = boot.workspace_id.as_str();
    let admin = app.signed_in("admin@example.com").await;
    let org = app.org_of(ws).await;
    let other = app.create_workspace(&admin, &org, "Other").await;
    let a1 = app
        .add_user(&admin, "a1@example.com", ws, "workspace_admin")
        .await;
    let a2 = app
        .add_user(&admin, "a2@example.com", ws, "workspace_admin")
        .await;
    let v1 = app
        .add_user(&admin, "v1@example.com", ws, "workspace_viewer")
        .await;
    app.add_user(&admin, "v2@example.com", ws, "workspace_viewer")
        .await;
    app.add_user(&admin, "v3@example.com", ws, "workspace_viewer")
        .await;
    let outsider = app
        .add_user(&admin, "out@example.com", &other, "workspace_viewer")
        .await;
    let memberships = || app.scalar("SELECT COUNT(*) FROM workspace_members", &[]);
    let removals = || {
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'membership_removed'",
            &[],
        )
    };

    // Removing every admin but in one request: the row that would leave none is skipped.
    let rows = [
        a1.as_str(),
        a2.as_str(),
        boot.user_id.as_str(),
        v1.as_str(),
        outsider.as_str(),
    ]
    .join(",");
    let form = [
        ("workspace_id", ws),
        ("action", "remove"),
        ("rows", rows.as_str()),
    ];
    let (members_before, removals_before) = (memberships().await, removals().await);
    let preview = bulk(
        &app,
        &admin,
        &[&form[..], &[("dry_run", "true")]].concat(),
        200,
    )
    .await;
    let expected = vec![
        (a1.clone(), "done".to_string(), String::new()),
        (a2.clone(), "done".into(), String::new()),
        (boot.user_id.clone(), "skipped".into(), "last_admin".into()),
        (v1.clone(), "done".into(), String::new()),
        (outsider.clone(), "skipped".into(), "not_a_member".into()),
    ];
    assert_eq!(outcomes(&preview), expected);
    assert_eq!(
        (preview["done"].as_i64(), preview["skipped"].as_i64()),
        (Some(3), Some(2))
    );
    assert_eq!(preview["rows"][0]["email"], "a1@example.com");
    assert_eq!(
        memberships().await,
        members_before,
        "a dry run changes nothing"
    );
    assert_eq!(removals().await, removals_before);
    // The real run does what the preview said, each row audited as a single removal.
    let done = bulk(&app, &admin, &form, 200).await;
    assert_eq!(done["dry_run"], false);
    assert_eq!(outcomes(&done), expected);
    assert_eq!(memberships().await, members_before - 3);
    assert_eq!(removals().await, removals_before + 3);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM workspace_members WHERE workspace_id = $1 AND role = 'workspace_admin'", &[ws]).await,
        1
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM workspace_members WHERE user_id = $1",
            &[&outsider]
        )
        .await,
        1,
        "the other workspace's member is untouched"
    );

    // Every row matching the list's search: v2 and v3 (v1 is gone), as editors.
    let changed = bulk(
        &app,
        &admin,
        &[
            ("workspace_id", ws),
            ("action", "set_role"),
            ("role", "workspace_editor"),
            ("all_matching", "true"),
            ("q", "v"),
        ],
        200,
    )
    .await;
    assert_eq!(changed["done"], 2, "{changed}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM workspace_members WHERE workspace_id = $1 AND role = 'workspace_editor'", &[ws]).await,
        2
    );

    // Invitations, named by email: the unknown and the malformed are skipped.
    let r = app
        .post(
            &admin,
            "/api/invites/create",
            &[
                ("workspace_id", ws),
                ("emails", "i1@example.com, i2@example.com, i3@example.com"),
                ("role", "workspace_viewer"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let cancelled = bulk(
        &app,
        &admin,
        &[
            ("workspace_id", ws),
            ("action", "cancel"),
            (
                "rows",
                "I1@example.com\ni2@example.com\nnobody@example.com\nnot an email",
            ),
        ],
        200,
    )
    .await;
    let codes: Vec<String> = outcomes(&cancelled)
        .into_iter()
        .map(|(_, r, c)| format!("{r}:{c}"))
        .collect();
    assert_eq!(
        codes,
        ["done:", "done:", "skipped:not_found", "skipped:not_found"]
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM pending_invite_workspaces WHERE workspace_id = $1",
            &[ws]
        )
        .await,
        1,
        "only i3 is still invited"
    );
    let resent = bulk(
        &app,
        &admin,
        &[
            ("workspace_id", ws),
            ("action", "resend"),
            ("all_matching", "true"),
            ("status", "pending"),
        ],
        200,
    )
    .await;
    assert_eq!(
        outcomes(&resent),
        [(
            "i3@example.com".to_string(),
            "done".to_string(),
            String::new()
        )]
    );

    // Refusals change nothing.
    let before = memberships().await;
    let viewer = app.signed_in("v2@example.com").await;
    let refused = bulk(
        &app,
        &viewer,
        &[
            ("workspace_id", ws),
            ("action", "remove"),
            ("rows", &boot.user_id),
        ],
        403,
    )
    .await;
    assert_eq!(refused["code"], "forbidden");
    for (form, field) in [
        (
            vec![
                ("workspace_id", ws),
                ("action", "delete_all"),
                ("rows", "x"),
            ],
            "action",
        ),
        (
            vec![("workspace_id", ws), ("action", "set_role"), ("rows", "x")],
            "role",
        ),
        (
            vec![("workspace_id", ws), ("action", "remove"), ("rows", " , ")],
            "rows",
        ),
        (
            vec![
                ("workspace_id", ws),
                ("action", "remove"),
                ("all_matching", "true"),
                ("status", "everyone"),
            ],
            "status",
        ),
    ] {
        let body = bulk(&app, &admin, &form, 400).await;
        assert!(body["fields"][field].is_string(), "{form:?}: {body}");
    }
    let many: Vec<String> = (0..1_001).map(|i| format!("u{i}")).collect();
    let many = many.join(",");
    let body = bulk(
        &app,
        &admin,
        &[("workspace_id", ws), ("action", "remove"), ("rows", &many)],
        400,
    )
    .await;
    assert!(body["fields"]["rows"].as_str().unwrap().contains("1000"));
    assert_eq!(memberships().await, before);

    // A token with members:write alone cannot resend or cancel through a bulk call.
    let r = app
        .post(
            &admin,
            "/api/tokens/create",
            &[("name", "bulk"), ("scopes", "members:write")],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let secret = r.body["secret"].as_str().unwrap().to_string();
    let r = reqwest::Client::new()
        .post(app.url("/api/members/bulk"))
        .bearer_auth(&secret)
        .form(&[
            ("workspace_id", ws),
            ("action", "cancel"),
            ("rows", "i3@example.com"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["code"],
        "insufficient_scope"
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM pending_invite_workspaces WHERE workspace_id = $1",
            &[ws]
        )
        .await,
        1
    );
}

both_backends!(
    concurrent_bulk_removals_never_leave_a_workspace_without_an_admin,
    concurrent_bulk_removals_never_leave_a_workspace_without_an_admin
);
async fn concurrent_bulk_removals_never_leave_a_workspace_without_an_admin(app: TestApp) {
    let boot = app.seed_admin("admin@example.com").await;
    let root = app.signed_in("admin@example.com").await;
    let org = app.org_of(&boot.workspace_id).await;
    let ws = app.create_workspace(&root, &org, "Pair").await;
    // The creator is its first admin; four more.
    let mut admins = vec![boot.user_id.clone()];
    for i in 0..4 {
        admins.push(
            app.add_user(
                &root,
                &format!("pair{i}@example.com"),
                &ws,
                "workspace_admin",
            )
            .await,
        );
    }
    // Each admin's own request removes everyone else, all at once.
    let mut clients = vec![root.clone()];
    for i in 0..4 {
        clients.push(app.signed_in(&format!("pair{i}@example.com")).await);
    }
    let calls = clients.iter().enumerate().map(|(i, c)| {
        let others: Vec<&str> = admins
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, a)| a.as_str())
            .collect();
        let rows = others.join(",");
        let (app, ws) = (&app, ws.clone());
        async move {
            app.post(
                c,
                "/api/members/bulk",
                &[("workspace_id", &ws), ("action", "remove"), ("rows", &rows)],
            )
            .await
        }
    });
    for r in futures::future::join_all(calls).await {
        // A caller removed before its own request ran is refused as a whole; the others answer.
        assert!(
            r.status == 200 || r.status == 403 || r.status == 404,
            "{}",
            r.text
        );
    }
    assert!(
        app.scalar("SELECT COUNT(*) FROM workspace_members WHERE workspace_id = $1 AND role = 'workspace_admin'", &[&ws]).await >= 1,
        "an admin is left"
    );
}

both_backends!(
    a_pending_row_shows_only_its_own_invitations_email,
    a_pending_row_shows_only_its_own_invitations_email
);
async fn a_pending_row_shows_only_its_own_invitations_email(app: TestApp) {
    let boot = app.seed_admin("admin@example.com").await;
    let ws = boot.workspace_id.as_str();
    let admin = app.signed_in("admin@example.com").await;
    let r = app
        .post(
            &admin,
            "/api/invites/create",
            &[
                ("workspace_id", ws),
                ("emails", "zoe@example.com"),
                ("role", "workspace_viewer"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let delivery = || async {
        let r = app
            .post(&admin, "/api/members/list", &[("workspace_id", ws)])
            .await;
        r.body["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["email"] == "zoe@example.com")
            .unwrap()["delivery"]
            .clone()
    };
    // Email is off here: no mail, no delivery state.
    assert!(delivery().await.is_null());
    // A mail of an earlier invitation to the same address says nothing of this one.
    let now = roster::server::db::now();
    let insert = |id: &'static str, at: i64| {
        let app = &app;
        async move {
            app.exec(
                &format!(
                    "INSERT INTO mail_outbox (id, to_address, subject, body_text, body_html, invite_email, created_at, next_attempt_at, sent_at) \
                     VALUES ($1, 'zoe@example.com', 's', 't', 'h', 'zoe@example.com', {at}, {at}, {at})"
                ),
                &[id],
            )
            .await
        }
    };
    insert("earlier", now - 86_400).await;
    assert!(delivery().await.is_null());
    insert("this-one", now + 5).await;
    let shown = delivery().await;
    assert_eq!(shown["state"], "sent", "{shown}");
    assert_eq!(shown["at"], now + 5);
}

/// Every row of the list in the order `sort` (with the filter fields `extra`), walked page by
/// page through the `next` cursors, and the counts of the first page.
async fn walk(
    app: &TestApp,
    c: &reqwest::Client,
    ws: &str,
    sort: &str,
    extra: &[(&str, &str)],
) -> (Vec<String>, serde_json::Value) {
    let mut emails = Vec::new();
    let mut after = String::new();
    let mut counts = serde_json::Value::Null;
    loop {
        let mut form = vec![("workspace_id", ws), ("sort", sort), ("after", &after)];
        form.extend_from_slice(extra);
        let r = app.post(c, "/api/members/list", &form).await;
        assert_eq!(r.status, 200, "{sort}: {}", r.text);
        if counts.is_null() {
            counts = r.body["counts"].clone();
        }
        let page = r.body["members"].as_array().unwrap();
        assert!(page.len() <= 50);
        emails.extend(
            page.iter()
                .map(|m| m["email"].as_str().unwrap().to_string()),
        );
        match r.body["next"].as_str() {
            Some(next) => after = next.to_string(),
            None => break,
        }
    }
    (emails, counts)
}

both_backends!(
    the_members_list_sorts_by_every_column_and_filters_by_role_and_status,
    the_members_list_sorts_by_every_column_and_filters_by_role_and_status
);
async fn the_members_list_sorts_by_every_column_and_filters_by_role_and_status(app: TestApp) {
    let boot = app.seed_admin("admin@example.com").await;
    let ws = boot.workspace_id.as_str();
    // 130 members (more than two pages) written straight to the database, with roles, join
    // times and sign-ins that repeat, so that ties are broken by email; the facts the list
    // sorts by are copied onto the memberships by the database's triggers.
    let roles = ["workspace_viewer", "workspace_editor", "workspace_admin"];
    struct Seeded {
        email: String,
        name: String,
        role: &'static str,
        joined: i64,
        signed_in: i64,
        deactivated: bool,
    }
    let mut seeded = Vec::new();
    for i in 0..130_i64 {
        let id = format!("s{i:04}");
        let email = format!("p{:03}@sort.example", (i * 37) % 130);
        let name = format!("Person {:03}", (i * 53) % 130);
        let role = roles[(i % 7 % 3) as usize];
        let joined = 1_000 + (i % 11) * 10;
        let signed_in = if i % 5 == 0 { 0 } else { 5_000 + (i % 13) };
        let deactivated = i % 9 == 4;
        app.exec(
            "INSERT INTO users (id, email, name, created_at) VALUES ($1, $2, $3, 0)",
            &[&id, &email, &name],
        )
        .await;
        app.exec(
            &format!("INSERT INTO workspace_members (workspace_id, user_id, email, role, role_source, joined_at) VALUES ($1, $2, $3, $4, 'manual', {joined})"),
            &[ws, &id, &email, role],
        )
        .await;
        if signed_in > 0 {
            app.exec(
                &format!("UPDATE users SET last_sign_in_at = {signed_in} WHERE id = $1"),
                &[&id],
            )
            .await;
        }
        if deactivated {
            app.exec("UPDATE users SET disabled_at = 1 WHERE id = $1", &[&id])
                .await;
        }
        seeded.push(Seeded {
            email,
            name,
            role,
            joined,
            signed_in,
            deactivated,
        });
    }
    let admin = app.signed_in("admin@example.com").await;
    let admin_signed_in = app
        .scalar(
            "SELECT last_sign_in_at FROM users WHERE id = $1",
            &[&boot.user_id],
        )
        .await;
    let admin_joined = app
        .scalar(
            "SELECT joined_at FROM workspace_members WHERE user_id = $1",
            &[&boot.user_id],
        )
        .await;
    seeded.push(Seeded {
        email: "admin@example.com".into(),
        name: app
            .scalar_text("SELECT name FROM users WHERE id = $1", &[&boot.user_id])
            .await,
        role: "workspace_admin",
        joined: admin_joined,
        signed_in: admin_signed_in,
        deactivated: false,
    });
    // Three invitations: two pending (an editor, a viewer), one expired.
    let r = app
        .post(
            &admin,
            "/api/invites/create",
            &[
                ("workspace_id", ws),
                ("emails", "inv-b@sort.example, inv-c@sort.example"),
                ("role", "workspace_editor"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = app
        .post(
            &admin,
            "/api/invites/create",
            &[
                ("workspace_id", ws),
                ("emails", "inv-a@sort.example"),
                ("role", "workspace_viewer"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    app.exec(
        "UPDATE pending_invite_workspaces SET expires_at = 10 WHERE email = 'inv-c@sort.example'",
        &[],
    )
    .await;
    // (email, role, status rank, pending?) of the invitations.
    let invitations = [
        ("inv-a@sort.example", "workspace_viewer", 2),
        ("inv-b@sort.example", "workspace_editor", 2),
        ("inv-c@sort.example", "workspace_editor", 3),
    ];

    // The expected order of each sort, from what was seeded: the sorted value, then the email,
    // then members before invitations.
    #[derive(PartialEq, Eq, PartialOrd, Ord, Clone)]
    enum Key {
        N(i64),
        T(String),
    }
    let expect = |sort: &str| -> Vec<String> {
        let field = sort.trim_start_matches('-');
        let mut rows: Vec<(Key, String, i64)> = seeded
            .iter()
            .map(|m| {
                let key = match field {
                    "email" => Key::T(m.email.clone()),
                    "name" => Key::T(m.name.to_lowercase()),
                    "role" => Key::T(m.role.into()),
                    "status" => Key::N(m.deactivated as i64),
                    "joined" => Key::N(m.joined),
                    _ => Key::N(m.signed_in),
                };
                (key, m.email.clone(), 0)
            })
            .chain(invitations.iter().map(|(email, role, rank)| {
                let key = match field {
                    "email" | "name" => Key::T(email.to_string()),
                    "role" => Key::T(role.to_string()),
                    "status" => Key::N(*rank),
                    "joined" => Key::N(i64::MAX),
                    _ => Key::N(0),
                };
                (key, email.to_string(), 1)
            }))
            .collect();
        rows.sort();
        if sort.starts_with('-') {
            rows.reverse();
        }
        rows.into_iter().map(|r| r.1).collect()
    };
    for sort in [
        "email",
        "-email",
        "name",
        "-name",
        "role",
        "-role",
        "status",
        "-status",
        "joined",
        "-joined",
        "last_sign_in",
        "-last_sign_in",
    ] {
        let (rows, _) = walk(&app, &admin, ws, sort, &[]).await;
        assert_eq!(rows.len(), 134, "{sort}: every row once");
        assert_eq!(rows, expect(sort), "{sort}");
    }

    // Filters, in any order: by role, by status, both, and with a search.
    let editors = |sort: &str| -> Vec<String> {
        let mut e: Vec<String> = expect(sort)
            .into_iter()
            .filter(|email| {
                seeded
                    .iter()
                    .any(|m| &m.email == email && m.role == "workspace_editor")
                    || invitations
                        .iter()
                        .any(|i| i.0 == email && i.1 == "workspace_editor")
            })
            .collect();
        e.dedup();
        e
    };
    let off = seeded.iter().filter(|m| m.deactivated).count() as i64;
    for sort in ["email", "-joined", "status"] {
        let (rows, counts) = walk(&app, &admin, ws, sort, &[("role", "workspace_editor")]).await;
        assert_eq!(rows, editors(sort), "editors by {sort}");
        // The counts are the workspace's, whatever the filter.
        assert_eq!(
            counts,
            serde_json::json!({"active": 131 - off, "deactivated": off, "pending": 2, "expired": 1})
        );
    }
    let deactivated: Vec<String> = seeded
        .iter()
        .filter(|m| m.deactivated)
        .map(|m| m.email.clone())
        .collect();
    let (rows, _) = walk(&app, &admin, ws, "email", &[("status", "deactivated")]).await;
    let mut expected = deactivated.clone();
    expected.sort();
    assert_eq!(rows, expected);
    let (rows, _) = walk(&app, &admin, ws, "-last_sign_in", &[("status", "active")]).await;
    assert_eq!(rows.len() as i64, 131 - off);
    assert!(rows.iter().all(|e| !deactivated.contains(e)));
    let (rows, _) = walk(&app, &admin, ws, "status", &[("status", "pending")]).await;
    assert_eq!(rows, ["inv-a@sort.example", "inv-b@sort.example"]);
    let (rows, _) = walk(
        &app,
        &admin,
        ws,
        "-role",
        &[("status", "expired"), ("role", "workspace_editor")],
    )
    .await;
    assert_eq!(rows, ["inv-c@sort.example"]);
    let (rows, _) = walk(&app, &admin, ws, "-joined", &[("q", "inv-")]).await;
    assert_eq!(
        rows,
        [
            "inv-c@sort.example",
            "inv-b@sort.example",
            "inv-a@sort.example"
        ]
    );
    let (rows, _) = walk(&app, &admin, ws, "name", &[("q", "person 00")]).await;
    let mut expected: Vec<(String, String)> = seeded
        .iter()
        .filter(|m| m.name.starts_with("Person 00"))
        .map(|m| (m.name.to_lowercase(), m.email.clone()))
        .collect();
    expected.sort();
    assert_eq!(
        rows,
        expected.into_iter().map(|e| e.1).collect::<Vec<_>>(),
        "a search by name, in name order"
    );

    // Deactivating and signing in move a person in the counts and the orders at once.
    let last = &seeded[129];
    assert!(!last.deactivated);
    let r = app
        .post(&admin, "/api/users/deactivate", &[("user_id", "s0129")])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let (rows, counts) = walk(&app, &admin, ws, "email", &[("status", "deactivated")]).await;
    assert!(rows.contains(&last.email));
    assert_eq!(counts["deactivated"], off + 1);
    assert_eq!(counts["active"], 131 - off - 1);
    let r = app
        .post(&admin, "/api/users/reactivate", &[("user_id", "s0129")])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // The admin's password, so that this person can sign in.
    app.exec(
        "UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE id = $1) WHERE id = 's0129'",
        &[&boot.user_id],
    )
    .await;
    let _s129 = app.signed_in(&last.email).await;
    let (rows, counts) = walk(&app, &admin, ws, "-last_sign_in", &[]).await;
    assert_eq!(rows[0], last.email, "the latest sign-in first");
    assert_eq!(counts["deactivated"], off);
    // Removing a deactivated member takes them out of the count.
    let gone = seeded.iter().position(|m| m.deactivated).unwrap();
    let r = app
        .post(
            &admin,
            "/api/members/remove",
            &[("workspace_id", ws), ("user_id", &format!("s{gone:04}"))],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let (_, counts) = walk(&app, &admin, ws, "email", &[("status", "expired")]).await;
    assert_eq!(
        counts,
        serde_json::json!({"active": 131 - off, "deactivated": off - 1, "pending": 2, "expired": 1})
    );

    // When people last signed in is for those who may read the workspace's audit log (which
    // records every sign-in): a viewer sees no time, and may not order by it.
    app.add_user(&admin, "viewer@sort.example", ws, "workspace_viewer")
        .await;
    let viewer = app.signed_in("viewer@sort.example").await;
    let r = app
        .post(&viewer, "/api/members/list", &[("workspace_id", ws)])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["last_sign_in_at"].is_null()));
    let r = app
        .post(&admin, "/api/members/list", &[("workspace_id", ws)])
        .await;
    assert!(r.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["last_sign_in_at"].is_i64()));
    for sort in ["last_sign_in", "-last_sign_in"] {
        let r = app
            .post(
                &viewer,
                "/api/members/list",
                &[("workspace_id", ws), ("sort", sort)],
            )
            .await;
        assert_eq!(r.status, 403, "{}", r.text);
        let r = viewer
            .get(app.url(&format!(
                "/api/members/export.csv?workspace_id={ws}&sort={sort}"
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
    }
    let (rows, _) = walk(&app, &viewer, ws, "-joined", &[]).await;
    assert_eq!(rows.len(), 134, "other orders are the viewer's too");

    // Bad input: an unknown order or role, and a page link made for another order.
    for (field, value) in [
        ("sort", "salary"),
        ("sort", "-"),
        ("role", "owner"),
        ("status", "gone"),
    ] {
        let r = app
            .post(
                &admin,
                "/api/members/list",
                &[("workspace_id", ws), (field, value)],
            )
            .await;
        assert_eq!(r.status, 400, "{field}={value}: {}", r.text);
        assert!(r.text.contains(field), "{}", r.text);
    }
    // The export's query string is not a form: a NUL there is refused by the filter itself.
    let r = admin
        .get(app.url(&format!(
            "/api/members/export.csv?workspace_id={ws}&q=a%00b"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // Nor does a forged page link with one reach the database (PostgreSQL would refuse it).
    let forged = roster::server::db::members::Cursor {
        sort: Default::default(),
        key: roster::server::db::members::SortKey::Text("a\u{0}".into()),
        email: "a\u{0}@sort.example".into(),
        kind: 0,
        at: 0,
    }
    .encode();
    let r = app
        .post(
            &admin,
            "/api/members/list",
            &[("workspace_id", ws), ("after", &forged)],
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let p1 = app
        .post(
            &admin,
            "/api/members/list",
            &[("workspace_id", ws), ("sort", "-joined")],
        )
        .await;
    let next = p1.body["next"].as_str().unwrap();
    let r = app
        .post(
            &admin,
            "/api/members/list",
            &[("workspace_id", ws), ("sort", "name"), ("after", next)],
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("after"), "{}", r.text);
}

both_backends!(
    an_invitation_expiring_mid_walk_is_listed_once,
    an_invitation_expiring_mid_walk_is_listed_once
);
async fn an_invitation_expiring_mid_walk_is_listed_once(app: TestApp) {
    let boot = app.seed_admin("admin@example.com").await;
    let ws = boot.workspace_id.as_str();
    // 55 pending invitations, and one more that expires in two seconds: in the order expired
    // first, then pending (emails descending), it is on the second page, and it would jump
    // behind the cursor (into the expired, already walked) if the second page read the clock.
    let now = roster::server::db::now();
    for i in 0..56 {
        let (email, expires) = if i == 55 {
            ("a-soon@walk.example".to_string(), now + 2)
        } else {
            (format!("p{i:02}@walk.example"), now + 86_400)
        };
        app.exec(
            &format!("INSERT INTO pending_invites (email, invited_at, expires_at, token_hash, send_count) VALUES ($1, 0, {expires}, $1, 0)"),
            &[&email],
        )
        .await;
        app.exec(
            &format!("INSERT INTO pending_invite_workspaces (email, workspace_id, workspace_role, expires_at) VALUES ($1, $2, 'workspace_viewer', {expires})"),
            &[&email, ws],
        )
        .await;
    }
    let admin = app.signed_in("admin@example.com").await;
    let p1 = app
        .post(
            &admin,
            "/api/members/list",
            &[("workspace_id", ws), ("sort", "-status")],
        )
        .await;
    assert_eq!(p1.status, 200, "{}", p1.text);
    let first: Vec<&str> = p1.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap())
        .collect();
    assert_eq!(first.len(), 50);
    assert!(!first.contains(&"a-soon@walk.example"));
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    let p2 = app
        .post(
            &admin,
            "/api/members/list",
            &[
                ("workspace_id", ws),
                ("sort", "-status"),
                ("after", p1.body["next"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(p2.status, 200, "{}", p2.text);
    let second: Vec<&str> = p2.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap())
        .collect();
    assert!(
        second.contains(&"a-soon@walk.example"),
        "listed in the walk's order: {second:?}"
    );
    assert_eq!(
        first.len() + second.len(),
        57,
        "every row once, the admin last"
    );
    // Its status is today's, and the counts are the clock's.
    let soon = p2.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == "a-soon@walk.example")
        .unwrap();
    assert_eq!(soon["status"], "expired");
    assert_eq!(p2.body["counts"]["expired"], 1);
    assert_eq!(p2.body["counts"]["pending"], 55);
    // A new walk puts it among the expired, first.
    let again = app
        .post(
            &admin,
            "/api/members/list",
            &[("workspace_id", ws), ("sort", "-status")],
        )
        .await;
    assert_eq!(again.body["members"][0]["email"], "a-soon@walk.example");
}

both_backends!(
    the_members_page_writes_its_rows_once,
    the_members_page_writes_its_rows_once
);
/// The server-rendered members page holds each row once, as HTML (escaped), and not again in
/// the data written for hydration; the page's resources are each written once.
async fn the_members_page_writes_its_rows_once(app: TestApp) {
    let boot = app.seed_admin("admin@example.com").await;
    let ws = boot.workspace_id.as_str();
    let bob = "00000000-0000-0000-0000-00000000b0b0";
    app.exec(
        "INSERT INTO users (id, email, name, created_at) VALUES ($1, 'bob@example.com', $2, 0)",
        &[bob, r#"<b>Bob & "Co"</b>"#],
    )
    .await;
    app.exec("INSERT INTO workspace_members (workspace_id, user_id, email, role, role_source, joined_at) VALUES ($1, $2, 'bob@example.com', 'workspace_editor', 'manual', 0)", &[ws, bob]).await;
    let admin = app.signed_in("admin@example.com").await;
    let invited = app
        .post(
            &admin,
            "/api/invites/create",
            &[
                ("workspace_id", ws),
                ("emails", "carol@example.com"),
                ("role", "workspace_viewer"),
            ],
        )
        .await;
    assert_eq!(invited.status, 200, "{}", invited.text);

    let res = admin
        .get(app.url(&format!("/members?workspace={ws}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    let data_at = html
        .find("__RESOLVED_RESOURCES[")
        .expect("the page's hydration data");
    let (page, data) = html.split_at(data_at);
    for key in [
        format!(r#"data-key="u:{bob}""#),
        r#"data-key="i:carol@example.com""#.into(),
    ] {
        assert_eq!(page.matches(&key).count(), 1, "{key} once in: {page}");
    }
    assert!(
        page.contains("&lt;b&gt;Bob &amp; \"Co\"&lt;/b&gt;") && !page.contains("<b>Bob"),
        "the name is escaped: {page}"
    );
    // A member's row is not in it at all; an invitation only as the key its box is ticked by.
    assert!(
        !data.contains("bob@example.com") && !data.contains("Bob"),
        "a member's row in the hydration data: {data}"
    );
    assert_eq!(
        data.matches("carol@example.com").count(),
        1,
        "an invitation's row in the hydration data: {data}"
    );
    assert_eq!(
        data.matches("member_count").count(),
        1,
        "the list's resource is written once: {data}"
    );
}
