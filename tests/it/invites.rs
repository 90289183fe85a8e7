use crate::common::{
    client, free_port, invite_link_in, spawn_app_with, token_of, Backend, RosterProcess, SmtpSink,
    TestApp,
};

async fn invite(
    app: &TestApp,
    c: &reqwest::Client,
    ws: &str,
    emails: &str,
    role: &str,
) -> crate::common::Reply {
    app.post(
        c,
        "/api/invites/create",
        &[("workspace_id", ws), ("emails", emails), ("role", role)],
    )
    .await
}

fn results(r: &crate::common::Reply) -> Vec<(String, String)> {
    r.body["results"]
        .as_array()
        .unwrap_or_else(|| panic!("results in {}", r.text))
        .iter()
        .map(|x| {
            (
                x["email"].as_str().unwrap().to_string(),
                x["result"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

both_backends!(
    invitation_writes_pending_rows_and_no_user,
    invitation_writes_pending_rows_and_no_user
);
async fn invitation_writes_pending_rows_and_no_user(app: TestApp) {
    let boot = app.seed_admin("admin@example.com").await;
    let admin = app.signed_in("admin@example.com").await;
    let users = app.scalar("SELECT COUNT(*) FROM users", &[]).await;
    let r = invite(
        &app,
        &admin,
        &boot.workspace_id,
        "Ada@Example.com\ngrace@example.com",
        "workspace_editor",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        results(&r),
        vec![
            ("ada@example.com".into(), "invited".into()),
            ("grace@example.com".into(), "invited".into())
        ]
    );
    assert_eq!(r.body["email_enabled"], false);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM users", &[]).await,
        users,
        "no users row before sign-in"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM pending_invites", &[])
            .await,
        2
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM pending_invite_workspaces WHERE workspace_id = $1 AND workspace_role = 'workspace_editor'", &[&boot.workspace_id]).await,
        2
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'invite_created'",
            &[]
        )
        .await,
        2
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM mail_outbox", &[]).await,
        0,
        "email is off: nothing queued"
    );
    // Only a hash of the token is stored.
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM pending_invites WHERE length(token_hash) = 64",
            &[]
        )
        .await,
        2
    );
}

both_backends!(
    bulk_invite_reports_every_kind_of_result,
    bulk_invite_reports_every_kind_of_result
);
async fn bulk_invite_reports_every_kind_of_result(app: TestApp) {
    let boot = app.seed_admin("admin@example.com").await;
    let ws = boot.workspace_id.as_str();
    let admin = app.signed_in("admin@example.com").await;
    let org = app.org_of(ws).await;
    let other_ws = app.create_workspace(&admin, &org, "Other").await;
    app.add_user(&admin, "member@example.com", ws, "workspace_viewer")
        .await;
    app.add_user(
        &admin,
        "elsewhere@example.com",
        &other_ws,
        "workspace_viewer",
    )
    .await;
    invite(&app, &admin, ws, "again@example.com", "workspace_viewer").await;

    let r = invite(
        &app,
        &admin,
        ws,
        "new@example.com, NEW@example.com; member@example.com elsewhere@example.com\nagain@example.com,not-an-email",
        "workspace_editor",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        results(&r),
        vec![
            ("new@example.com".into(), "invited".into()),
            ("member@example.com".into(), "already_member".into()),
            ("elsewhere@example.com".into(), "added".into()),
            ("again@example.com".into(), "updated".into()),
            ("not-an-email".into(), "invalid".into()),
        ]
    );
    assert!(r.body["results"][4]["reason"].is_string());
    // The existing user got the membership directly, audited; no invitation for them.
    assert_eq!(app.scalar("SELECT COUNT(*) FROM workspace_members m JOIN users u ON u.id = m.user_id WHERE u.email = 'elsewhere@example.com' AND m.workspace_id = $1 AND m.role_source = 'invite'", &[ws]).await, 1);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'membership_added' AND target = 'elsewhere@example.com'", &[]).await, 1);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM pending_invites WHERE email IN ('member@example.com', 'elsewhere@example.com')", &[]).await, 0);
    // The repeated invitation was merged: one invitation, its role updated.
    assert_eq!(app.scalar("SELECT COUNT(*) FROM pending_invite_workspaces WHERE email = 'again@example.com' AND workspace_role = 'workspace_editor'", &[]).await, 1);
}

both_backends!(
    granting_is_capped_and_nothing_is_written,
    granting_is_capped_and_nothing_is_written
);
async fn granting_is_capped_and_nothing_is_written(app: TestApp) {
    let boot = app.seed_admin("admin@example.com").await;
    let ws = boot.workspace_id.as_str();
    let padmin = app.signed_in("admin@example.com").await;
    let org = app.org_of(ws).await;
    let other_ws = app.create_workspace(&padmin, &org, "Other").await;
    app.add_user(&padmin, "wsadmin@example.com", ws, "workspace_admin")
        .await;
    let wsadmin = app.signed_in("wsadmin@example.com").await;

    let platform = app
        .post(
            &wsadmin,
            "/api/invites/create",
            &[
                ("workspace_id", ws),
                ("emails", "x@example.com"),
                ("role", "workspace_viewer"),
                ("platform_role", "platform_admin"),
            ],
        )
        .await;
    assert_eq!(platform.status, 403, "{}", platform.text);
    let other = app
        .post(
            &wsadmin,
            "/api/invites/create",
            &[
                ("workspace_id", ws),
                ("emails", "x@example.com"),
                ("role", "workspace_viewer"),
                ("workspace_ids", &other_ws),
            ],
        )
        .await;
    assert_eq!(other.status, 403, "{}", other.text);
    let bad_role = invite(&app, &wsadmin, ws, "x@example.com", "platform_admin").await;
    assert_eq!(bad_role.status, 400);
    let many: Vec<String> = (0..101).map(|i| format!("p{i}@example.com")).collect();
    let too_many = invite(&app, &wsadmin, ws, &many.join(","), "workspace_viewer").await;
    assert_eq!(too_many.status, 400);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM pending_invites", &[])
            .await,
        0,
        "nothing written"
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'invite_created'",
            &[]
        )
        .await,
        0
    );

    // A platform admin may do both.
    let ok = app
        .post(
            &padmin,
            "/api/invites/create",
            &[
                ("workspace_id", ws),
                ("emails", "x@example.com"),
                ("role", "workspace_viewer"),
                ("workspace_ids", &other_ws),
                ("platform_role", "platform_operator"),
            ],
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM pending_invite_workspaces WHERE email = 'x@example.com'",
            &[]
        )
        .await,
        2
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM pending_invites WHERE platform_role = 'platform_operator'",
            &[]
        )
        .await,
        1
    );
}

both_backends!(copy_link_and_lookup, copy_link_and_lookup);
async fn copy_link_and_lookup(app: TestApp) {
    let boot = app.seed_admin("admin@example.com").await;
    let ws = boot.workspace_id.as_str();
    let admin = app.signed_in("admin@example.com").await;
    invite(&app, &admin, ws, "ada@example.com", "workspace_viewer").await;
    let link = app
        .post(
            &admin,
            "/api/invites/link",
            &[("workspace_id", ws), ("email", "ada@example.com")],
        )
        .await;
    assert_eq!(link.status, 200, "{}", link.text);
    let link = link.body.as_str().unwrap().to_string();
    assert!(link.starts_with(&format!("{}/invite/", app.base)), "{link}");
    let anon = client();
    let view = app
        .post(&anon, "/api/invites/lookup", &[("token", &token_of(&link))])
        .await;
    assert_eq!(view.status, 200, "{}", view.text);
    assert_eq!(view.body["email"], "ada@example.com");
    assert_eq!(view.body["workspaces"][0], "Default workspace");
    assert_eq!(view.body["invited_by"], "Admin");
    assert_eq!(view.body["expired"], false);
    // The page renders it on the server.
    let html = anon.get(&link).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains("Default workspace") && html.contains("Continue with Google"),
        "{html}"
    );
    let unknown = app
        .post(&anon, "/api/invites/lookup", &[("token", &"0".repeat(64))])
        .await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.body["error"]
        .as_str()
        .unwrap()
        .contains("Ask the person who invited you"));
    // The token never reaches the audit log or the logs.
    assert!(!app.audit_text().await.contains(&token_of(&link)));
    assert!(!crate::common::captured_logs().contains(&token_of(&link)));
}

both_backends!(
    resend_rotates_the_token_and_is_rate_limited,
    resend_rotates_the_token_and_is_rate_limited
);
async fn resend_rotates_the_token_and_is_rate_limited(app: TestApp) {
    let boot = app.seed_admin("admin@example.com").await;
    let ws = boot.workspace_id.as_str();
    let admin = app.signed_in("admin@example.com").await;
    invite(&app, &admin, ws, "ada@example.com", "workspace_viewer").await;
    let form = [("workspace_id", ws), ("email", "ada@example.com")];
    let old = app
        .post(&admin, "/api/invites/link", &form)
        .await
        .body
        .as_str()
        .unwrap()
        .to_string();
    // Works on an expired invitation too, and renews it.
    for table in ["pending_invites", "pending_invite_workspaces"] {
        app.exec(
            &format!("UPDATE {table} SET expires_at = 1 WHERE email = $1"),
            &["ada@example.com"],
        )
        .await;
    }
    let expired = app
        .post(
            &client(),
            "/api/invites/lookup",
            &[("token", &token_of(&old))],
        )
        .await;
    assert_eq!(expired.body["expired"], true);

    let r = app.post(&admin, "/api/invites/resend", &form).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.body.as_i64().unwrap() > 1_700_000_000);
    let dead = app
        .post(
            &client(),
            "/api/invites/lookup",
            &[("token", &token_of(&old))],
        )
        .await;
    assert_eq!(dead.status, 404, "the old link stops working");
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM pending_invites WHERE expires_at > 1000",
            &[]
        )
        .await,
        1
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'invite_resent'",
            &[]
        )
        .await,
        1
    );

    assert_eq!(
        app.post(&admin, "/api/invites/resend", &form).await.status,
        200
    );
    assert_eq!(
        app.post(&admin, "/api/invites/resend", &form).await.status,
        200
    );
    let limited = app.post(&admin, "/api/invites/resend", &form).await;
    assert_eq!(limited.status, 429, "{}", limited.text);
    assert!(limited.headers.get("retry-after").is_some());

    let missing = app
        .post(
            &admin,
            "/api/invites/resend",
            &[("workspace_id", ws), ("email", "nobody@example.com")],
        )
        .await;
    assert_eq!(missing.status, 404);
}

both_backends!(
    cancel_removes_the_workspace_row_then_the_invitation,
    cancel_removes_the_workspace_row_then_the_invitation
);
async fn cancel_removes_the_workspace_row_then_the_invitation(app: TestApp) {
    let boot = app.seed_admin("admin@example.com").await;
    let ws = boot.workspace_id.as_str();
    let admin = app.signed_in("admin@example.com").await;
    let org = app.org_of(ws).await;
    let other = app.create_workspace(&admin, &org, "Other").await;
    app.post(
        &admin,
        "/api/invites/create",
        &[
            ("workspace_id", ws),
            ("emails", "ada@example.com"),
            ("role", "workspace_viewer"),
            ("workspace_ids", &other),
        ],
    )
    .await;
    let link = app
        .post(
            &admin,
            "/api/invites/link",
            &[("workspace_id", ws), ("email", "ada@example.com")],
        )
        .await
        .body
        .as_str()
        .unwrap()
        .to_string();

    let r = app
        .post(
            &admin,
            "/api/invites/cancel",
            &[("workspace_id", ws), ("email", "ada@example.com")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let view = app
        .post(
            &client(),
            "/api/invites/lookup",
            &[("token", &token_of(&link))],
        )
        .await;
    assert_eq!(
        view.body["workspaces"],
        serde_json::json!(["Other"]),
        "only the other workspace is left"
    );
    let again = app
        .post(
            &admin,
            "/api/invites/cancel",
            &[("workspace_id", ws), ("email", "ada@example.com")],
        )
        .await;
    assert_eq!(again.status, 404);

    app.post(
        &admin,
        "/api/invites/cancel",
        &[("workspace_id", &other), ("email", "ada@example.com")],
    )
    .await;
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM pending_invites", &[])
            .await,
        0,
        "no workspace left: invitation gone"
    );
    assert_eq!(
        app.post(
            &client(),
            "/api/invites/lookup",
            &[("token", &token_of(&link))]
        )
        .await
        .status,
        404
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'invite_cancelled'",
            &[]
        )
        .await,
        2
    );
}

both_backends!(
    members_list_unites_members_and_invitations,
    members_list_unites_members_and_invitations
);
async fn members_list_unites_members_and_invitations(app: TestApp) {
    let boot = app.seed_admin("admin@example.com").await;
    let ws = boot.workspace_id.as_str();
    let admin = app.signed_in("admin@example.com").await;
    let emails: Vec<String> = (0..60)
        .map(|i| format!("invitee{i:02}@example.com"))
        .collect();
    invite(&app, &admin, ws, &emails.join(" "), "workspace_viewer").await;
    for table in ["pending_invites", "pending_invite_workspaces"] {
        app.exec(&format!("UPDATE {table} SET expires_at = 1 WHERE email IN ('invitee00@example.com', 'invitee01@example.com')"), &[]).await;
    }
    let all = app
        .post(&admin, "/api/members/list", &[("workspace_id", ws)])
        .await;
    assert_eq!(all.status, 200, "{}", all.text);
    assert_eq!(all.body["member_count"], 1);
    assert_eq!(all.body["invite_count"], 60);
    assert_eq!(all.body["members"].as_array().unwrap().len(), 50);
    assert_eq!(all.body["members"][0]["status"], "active");
    assert_eq!(all.body["members"][1]["status"], "expired");
    assert_eq!(all.body["members"][1]["invited_by"], "admin@example.com");
    assert!(all.body["members"][3]["expires_at"].as_i64().unwrap() > 1_700_000_000);
    assert_eq!(all.body["members"][3]["status"], "pending");
    let everyone = app.list_members(&admin, ws, "all", "").await;
    assert_eq!(everyone.len(), 61);
    let count = |rows: &[serde_json::Value], status: &str| {
        rows.iter().filter(|r| r["status"] == status).count()
    };
    assert_eq!(
        (
            count(&everyone, "active"),
            count(&everyone, "pending"),
            count(&everyone, "expired")
        ),
        (1, 58, 2)
    );
    let active = app.list_members(&admin, ws, "active", "").await;
    assert_eq!(active.len(), 1);
    assert_eq!(active[0]["email"], "admin@example.com");
    let pending = app.list_members(&admin, ws, "pending", "").await;
    assert_eq!(pending.len(), 58);
    assert_eq!(count(&pending, "pending"), 58);
    let expired = app.list_members(&admin, ws, "expired", "").await;
    assert_eq!(expired.len(), 2);
    assert_eq!(expired[0]["email"], "invitee00@example.com");
    assert_eq!(
        app.list_members(&admin, ws, "pending", "INVITEE0")
            .await
            .len(),
        8,
        "invitee02..09"
    );
    let bogus = app
        .post(
            &admin,
            "/api/members/list",
            &[("workspace_id", ws), ("status", "bogus")],
        )
        .await;
    assert_eq!(bogus.status, 400);
    assert_eq!(
        bogus.body["fields"]["status"],
        "choose all, active, deactivated, pending or expired"
    );

    // Cancelling an invitation updates the workspace's count.
    let cancel = app
        .post(
            &admin,
            "/api/invites/cancel",
            &[("workspace_id", ws), ("email", "invitee05@example.com")],
        )
        .await;
    assert_eq!(cancel.status, 200, "{}", cancel.text);
    let after = app
        .post(&admin, "/api/members/list", &[("workspace_id", ws)])
        .await;
    assert_eq!(after.body["invite_count"], 59);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daily_invitation_limit() {
    let app = spawn_app_with(Backend::Sqlite, &[("INVITES_PER_DAY", "3")])
        .await
        .unwrap();
    let boot = app.seed_admin("admin@example.com").await;
    let admin = app.signed_in("admin@example.com").await;
    let ok = invite(
        &app,
        &admin,
        &boot.workspace_id,
        "a@example.com b@example.com c@example.com",
        "workspace_viewer",
    )
    .await;
    assert_eq!(ok.status, 200);
    let over = invite(
        &app,
        &admin,
        &boot.workspace_id,
        "d@example.com",
        "workspace_viewer",
    )
    .await;
    assert_eq!(over.status, 429, "{}", over.text);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM pending_invites", &[])
            .await,
        3
    );
}

/// Eight concurrent requests of three invitations each against a limit of ten: at most three
/// requests (nine invitations) get through, on both backends, and invalid addresses in a
/// request do not use up the allowance.
mod the_daily_limit_holds_under_concurrent_requests {
    use crate::common::{spawn_app_with, Backend, TestApp};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        body(
            spawn_app_with(Backend::Sqlite, &[("INVITES_PER_DAY", "10")])
                .await
                .unwrap(),
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        if let Some(app) = spawn_app_with(Backend::Postgres, &[("INVITES_PER_DAY", "10")]).await {
            body(app).await;
        }
    }

    async fn body(app: TestApp) {
        let boot = app.seed_admin("admin@example.com").await;
        let admin = app.signed_in("admin@example.com").await;
        let app = std::sync::Arc::new(app);
        let requests: Vec<_> = (0..8)
            .map(|i| {
                let (app, admin, ws) = (app.clone(), admin.clone(), boot.workspace_id.clone());
                tokio::spawn(async move {
                    let emails = format!("a{i}@example.com b{i}@example.com c{i}@example.com");
                    app.post(
                        &admin,
                        "/api/invites/create",
                        &[
                            ("workspace_id", ws.as_str()),
                            ("emails", emails.as_str()),
                            ("role", "workspace_viewer"),
                        ],
                    )
                    .await
                    .status
                })
            })
            .collect();
        let mut statuses = Vec::new();
        for r in requests {
            statuses.push(r.await.unwrap());
        }
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            3,
            "{statuses:?}"
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == 429).count(),
            5,
            "{statuses:?}"
        );
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM pending_invites", &[])
                .await,
            9
        );
        // One left: an invalid address next to a valid one costs nothing.
        let r = app
            .post(
                &admin,
                "/api/invites/create",
                &[
                    ("workspace_id", boot.workspace_id.as_str()),
                    ("emails", "x@example.com not-an-email"),
                    ("role", "workspace_viewer"),
                ],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["results"][1]["result"], "invalid");
        let r = app
            .post(
                &admin,
                "/api/invites/create",
                &[
                    ("workspace_id", boot.workspace_id.as_str()),
                    ("emails", "y@example.com"),
                    ("role", "workspace_viewer"),
                ],
            )
            .await;
        assert_eq!(r.status, 429, "{}", r.text);
        assert!(
            r.body["error"].as_str().unwrap().contains("0 left"),
            "{}",
            r.text
        );
    }
}

// ---- Email, against a real SMTP server process on 127.0.0.1 ----

both_backends!(
    invitation_email_arrives_with_a_working_link,
    invitation_email_arrives_with_a_working_link
);
async fn invitation_email_arrives_with_a_working_link(app: TestApp) {
    // This body needs its own app with SMTP on: the one given is replaced.
    let backend = app.backend;
    drop(app);
    let sink = SmtpSink::start(0);
    let url = sink.url();
    let Some(app) = spawn_app_with(
        backend,
        &[
            ("SMTP_URL", &url),
            ("MAIL_POLL_SECONDS", "1"),
            ("MAIL_FROM", "Roster <roster@example.com>"),
        ],
    )
    .await
    else {
        return;
    };
    let boot = app.seed_admin("admin@example.com").await;
    let admin = app.signed_in("admin@example.com").await;
    let r = invite(
        &app,
        &admin,
        &boot.workspace_id,
        "ada@example.com",
        "workspace_editor",
    )
    .await;
    assert_eq!(r.body["email_enabled"], true);
    let messages = sink.wait_for(1).await;
    assert_eq!(messages[0]["to"], serde_json::json!(["ada@example.com"]));
    let raw = messages[0]["raw"].as_str().unwrap();
    assert!(
        raw.contains("Subject: Admin invited you to Default workspace on Roster"),
        "{raw}"
    );
    assert!(raw.contains("text/plain") && raw.contains("text/html"));
    let link = invite_link_in(raw);
    assert!(link.starts_with(&app.base));
    let view = app
        .post(
            &client(),
            "/api/invites/lookup",
            &[("token", &token_of(&link))],
        )
        .await;
    assert_eq!(view.status, 200, "the emailed link works: {}", view.text);
    assert_eq!(view.body["email"], "ada@example.com");
    // Delivered once, recorded, and the stored row holds no usable link.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(sink.messages().len(), 1, "nothing is sent twice");
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NOT NULL",
            &[]
        )
        .await,
        1
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM mail_outbox WHERE body_text LIKE $1",
            &[&format!("%{}%", token_of(&link))]
        )
        .await,
        0
    );
}

both_backends!(
    queued_email_survives_an_smtp_outage,
    queued_email_survives_an_smtp_outage
);
async fn queued_email_survives_an_smtp_outage(app: TestApp) {
    let backend = app.backend;
    drop(app);
    let port = free_port();
    let url = format!("smtp://127.0.0.1:{port}");
    let Some(app) = spawn_app_with(
        backend,
        &[
            ("SMTP_URL", &url),
            ("MAIL_POLL_SECONDS", "1"),
            ("MAIL_RETRY_BASE_SECONDS", "1"),
        ],
    )
    .await
    else {
        return;
    };
    let boot = app.seed_admin("admin@example.com").await;
    let admin = app.signed_in("admin@example.com").await;
    invite(
        &app,
        &admin,
        &boot.workspace_id,
        "ada@example.com",
        "workspace_viewer",
    )
    .await;
    // The SMTP server is down: the row stays queued with its error.
    let mut recorded = false;
    for _ in 0..50 {
        if app.scalar("SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NULL AND attempts >= 1 AND last_error IS NOT NULL", &[]).await == 1 {
            recorded = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(recorded, "the failed attempt and its error are recorded");
    // The members page says so beside the pending row: the SMTP error and the next try.
    let delivery_of_ada = || async {
        let r = app
            .post(
                &admin,
                "/api/members/list",
                &[("workspace_id", boot.workspace_id.as_str())],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["email"] == "ada@example.com")
            .unwrap()["delivery"]
            .clone()
    };
    let failed = delivery_of_ada().await;
    assert_eq!(failed["state"], "failed", "{failed}");
    let error = app
        .scalar_text(
            "SELECT last_error FROM mail_outbox WHERE invite_email = 'ada@example.com'",
            &[],
        )
        .await;
    assert_eq!(failed["error"], error.as_str());
    assert!(failed["attempts"].as_i64().unwrap() >= 1);
    assert!(failed["next_attempt_at"].as_i64().unwrap() >= roster::server::db::now() - 5);
    // Back up: delivered once.
    let sink = SmtpSink::start(port);
    let messages = sink.wait_for(1).await;
    assert_eq!(messages[0]["to"], serde_json::json!(["ada@example.com"]));
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(sink.messages().len(), 1);
    let sent = delivery_of_ada().await;
    assert_eq!(sent["state"], "sent", "{sent}");
    assert!(sent["at"].as_i64().unwrap() >= roster::server::db::now() - 60);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NOT NULL",
            &[]
        )
        .await,
        1
    );
}

both_backends!(
    email_committed_before_a_crash_is_delivered_after_restart,
    email_committed_before_a_crash_is_delivered_after_restart
);
async fn email_committed_before_a_crash_is_delivered_after_restart(app: TestApp) {
    let boot = app.seed_admin("admin@example.com").await;
    // The first process cannot deliver (its SMTP server is not up) and is killed with SIGKILL.
    let dead_smtp = format!("smtp://127.0.0.1:{}", free_port());
    let first = RosterProcess::start(
        &app.database_url,
        &[
            ("SMTP_URL", &dead_smtp),
            ("MAIL_POLL_SECONDS", "3600"),
            ("MAIL_RETRY_BASE_SECONDS", "1"),
        ],
    )
    .await;
    let c = client();
    let login = c
        .post(format!("{}/api/auth/login", first.base))
        .form(&[
            ("email", "admin@example.com"),
            ("password", crate::common::PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let r = c
        .post(format!("{}/api/invites/create", first.base))
        .form(&[
            ("workspace_id", boot.workspace_id.as_str()),
            ("emails", "ada@example.com"),
            ("role", "workspace_viewer"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Its one attempt has failed and released the row (no lease held) when it dies.
    let mut released = false;
    for _ in 0..100 {
        if app
            .scalar(
                "SELECT COUNT(*) FROM mail_outbox WHERE attempts >= 1 AND locked_until IS NULL",
                &[],
            )
            .await
            == 1
        {
            released = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(released, "the first attempt was recorded");
    first.kill();
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NULL",
            &[]
        )
        .await,
        1,
        "committed, not delivered"
    );

    // A new process with a working SMTP server delivers it, once.
    let sink = SmtpSink::start(0);
    let second = RosterProcess::start(
        &app.database_url,
        &[("SMTP_URL", &sink.url()), ("MAIL_POLL_SECONDS", "1")],
    )
    .await;
    let messages = sink.wait_for(1).await;
    let link = invite_link_in(messages[0]["raw"].as_str().unwrap());
    assert!(link.starts_with(&second.base));
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(sink.messages().len(), 1, "nothing is sent twice");
    drop(second);
}

both_backends!(
    concurrent_resends_stay_within_the_limit,
    concurrent_resends_stay_within_the_limit
);
async fn concurrent_resends_stay_within_the_limit(app: TestApp) {
    let boot = app.seed_admin("admin@example.com").await;
    let ws = boot.workspace_id.clone();
    let admin = app.signed_in("admin@example.com").await;
    invite(&app, &admin, &ws, "ada@example.com", "workspace_viewer").await;
    let app = std::sync::Arc::new(app);
    let resends = (0..12).map(|_| {
        let (app, admin, ws) = (app.clone(), admin.clone(), ws.clone());
        tokio::spawn(async move {
            let form = [("workspace_id", ws.as_str()), ("email", "ada@example.com")];
            app.post(&admin, "/api/invites/resend", &form).await.status
        })
    });
    let mut statuses = Vec::new();
    for r in resends {
        statuses.push(r.await.expect("join"));
    }
    let sent = statuses.iter().filter(|s| **s == 200).count();
    assert_eq!(
        sent, 3,
        "3 resends per 10 minutes, however concurrent: {statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 9);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'invite_resent'",
            &[]
        )
        .await,
        3
    );
    // The limit is per invitation and workspace: the same invitation's row in another
    // workspace can still be resent by that workspace's admins.
    let org = app.org_of(&ws).await;
    let other = app.create_workspace(&admin, &org, "Other").await;
    invite(&app, &admin, &other, "ada@example.com", "workspace_viewer").await;
    let form = [
        ("workspace_id", other.as_str()),
        ("email", "ada@example.com"),
    ];
    let r = app.post(&admin, "/api/invites/resend", &form).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

both_backends!(
    each_grant_is_changed_renewed_and_removed_only_by_who_could_make_it,
    each_grant_is_changed_renewed_and_removed_only_by_who_could_make_it
);
async fn each_grant_is_changed_renewed_and_removed_only_by_who_could_make_it(app: TestApp) {
    let boot = app.seed_admin("admin@example.com").await;
    let ws = boot.workspace_id.clone();
    let platform = app.signed_in("admin@example.com").await;
    let org = app.org_of(&ws).await;
    let other = app.create_workspace(&platform, &org, "Other").await;
    app.add_user(&platform, "wsadmin@example.com", &ws, "workspace_admin")
        .await;
    let wsadmin = app.signed_in("wsadmin@example.com").await;
    let platform_id = app
        .scalar_text(
            "SELECT id FROM users WHERE email = 'admin@example.com'",
            &[],
        )
        .await;
    let create = |c: &reqwest::Client, ws: &str, email: &str, platform_role: &str| {
        let (c, ws, email, platform_role) = (
            c.clone(),
            ws.to_string(),
            email.to_string(),
            platform_role.to_string(),
        );
        let app = &app;
        async move {
            app.post(
                &c,
                "/api/invites/create",
                &[
                    ("workspace_id", ws.as_str()),
                    ("emails", email.as_str()),
                    ("role", "workspace_viewer"),
                    ("platform_role", platform_role.as_str()),
                ],
            )
            .await
        }
    };
    let offered = "SELECT COUNT(*) FROM pending_invites WHERE email = 'x@example.com' \
                   AND platform_role = 'platform_operator' AND platform_role_granted_by = $1";

    // The platform admin offers a platform role with a row in Other.
    assert_eq!(
        create(&platform, &other, "x@example.com", "platform_operator")
            .await
            .status,
        200
    );
    // A workspace admin's re-invitation keeps the offer as its granter made it...
    let r = create(&wsadmin, &ws, "x@example.com", "").await;
    assert_eq!(r.body["results"][0]["result"], "updated", "{}", r.text);
    assert_eq!(app.scalar(offered, &[&platform_id]).await, 1);
    // ...and may neither take it back nor make one.
    assert_eq!(
        create(&wsadmin, &ws, "x@example.com", "none").await.status,
        403
    );
    assert_eq!(
        create(&wsadmin, &ws, "x@example.com", "platform_admin")
            .await
            .status,
        403
    );
    assert_eq!(app.scalar(offered, &[&platform_id]).await, 1);

    // A workspace admin's Resend renews only the row they could grant.
    app.exec(
        "UPDATE pending_invites SET platform_role_expires_at = 5000 WHERE email = 'x@example.com'",
        &[],
    )
    .await;
    app.exec(
        "UPDATE pending_invite_workspaces SET expires_at = 5000 WHERE email = 'x@example.com'",
        &[],
    )
    .await;
    let form = [("workspace_id", ws.as_str()), ("email", "x@example.com")];
    assert_eq!(
        app.post(&wsadmin, "/api/invites/resend", &form)
            .await
            .status,
        200
    );
    let row_expiry = "SELECT COUNT(*) FROM pending_invite_workspaces WHERE email = 'x@example.com' AND workspace_id = $1 AND expires_at > 1000000";
    assert_eq!(
        app.scalar(row_expiry, &[&ws]).await,
        1,
        "their own row is renewed"
    );
    assert_eq!(
        app.scalar(row_expiry, &[&other]).await,
        0,
        "the other workspace's row is not"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM pending_invites WHERE email = 'x@example.com' AND platform_role_expires_at = 5000", &[]).await,
        1,
        "nor is the platform role"
    );
    // The platform admin's Resend renews everything.
    assert_eq!(
        app.post(&platform, "/api/invites/resend", &form)
            .await
            .status,
        200
    );
    assert_eq!(app.scalar(row_expiry, &[&other]).await, 1);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM pending_invites WHERE email = 'x@example.com' AND platform_role_expires_at > 1000000", &[]).await,
        1
    );
    // The platform admin takes the offer back with `none`; the rows stay.
    assert_eq!(
        create(&platform, &ws, "x@example.com", "none").await.status,
        200
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM pending_invites WHERE email = 'x@example.com' AND platform_role IS NULL AND platform_role_granted_by IS NULL", &[]).await,
        1
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM pending_invite_workspaces WHERE email = 'x@example.com'",
            &[]
        )
        .await,
        2
    );

    // Cancelling the last workspace row does not remove a platform role its canceller could
    // not have offered; the platform admin's cancel of a plain invitation removes it all.
    assert_eq!(
        create(&platform, &ws, "y@example.com", "platform_operator")
            .await
            .status,
        200
    );
    let form = [("workspace_id", ws.as_str()), ("email", "y@example.com")];
    assert_eq!(
        app.post(&wsadmin, "/api/invites/cancel", &form)
            .await
            .status,
        200
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM pending_invites WHERE email = 'y@example.com' AND platform_role = 'platform_operator'", &[]).await,
        1
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM pending_invite_workspaces WHERE email = 'y@example.com'",
            &[]
        )
        .await,
        0
    );
}
