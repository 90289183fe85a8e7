//! The audit log: filters (action, actor, target, workspace, dates, a person) narrowing only what
//! the viewer may see, CSV and NDJSON exports streamed in batches with the same filter and
//! rights, and the retention sweep that trims the log and says so.

use crate::common::{client, Reply, TestApp};
use roster::server::sweep::{sweep_once, Retention};

/// A page of `POST /api/audit/list`, asserted to be a 200.
async fn page(app: &TestApp, c: &reqwest::Client, form: &[(&str, &str)]) -> serde_json::Value {
    let r = app.post(c, "/api/audit/list", form).await;
    assert_eq!(r.status, 200, "{form:?}: {}", r.text);
    r.body
}

/// Every entry of the filtered log, following `next_before` to the end.
async fn all_entries(
    app: &TestApp,
    c: &reqwest::Client,
    form: &[(&str, &str)],
) -> Vec<serde_json::Value> {
    let mut entries = Vec::new();
    let mut before = String::new();
    loop {
        let mut f = form.to_vec();
        if !before.is_empty() {
            f.push(("before", &before));
        }
        let body = page(app, c, &f).await;
        let rows = body["entries"].as_array().unwrap();
        assert!(rows.len() <= 50);
        entries.extend(rows.iter().cloned());
        match body["next_before"].as_i64() {
            Some(next) => before = next.to_string(),
            None => return entries,
        }
    }
}

/// Writes an audit row directly (the log is append-only through the app; tests need rows
/// at chosen times).
async fn insert_row(app: &TestApp, at: i64, action: &str, workspace_id: &str, detail: &str) {
    app.exec(
        &format!(
            "INSERT INTO audit_log (at, action, target, workspace_id, detail) VALUES ({at}, $1, 'inserted', $2, $3)"
        ),
        &[action, workspace_id, detail],
    )
    .await;
}

/// 2020-01-01 00:00 UTC.
const JAN_1_2020: i64 = 1_577_836_800;
const DAY: i64 = 86_400;

both_backends!(
    the_log_is_narrowed_by_action_actor_target_workspace_and_days,
    the_log_is_narrowed_by_action_actor_target_workspace_and_days
);
async fn the_log_is_narrowed_by_action_actor_target_workspace_and_days(app: TestApp) {
    let boot = app.seed_admin("root@example.com").await;
    let root = app.signed_in("root@example.com").await;
    let ws1 = boot.workspace_id.clone();
    let org = app.org_of(&ws1).await;
    let ws2 = app.create_workspace(&root, &org, "Ops").await;
    app.add_user(&root, "ann@example.com", &ws1, "workspace_admin")
        .await;
    app.add_user(&root, "bob@example.com", &ws2, "workspace_viewer")
        .await;
    let ann = app.signed_in("ann@example.com").await;
    app.add_user(&ann, "cid@example.com", &ws1, "workspace_viewer")
        .await;
    // Three renames on chosen days: the last minute of Jan 2 is in "to Jan 2", Jan 3 is not.
    for (at, detail) in [
        (JAN_1_2020 + 36_000, "jan 1"),
        (JAN_1_2020 + 2 * DAY - 60, "jan 2"),
        (JAN_1_2020 + 2 * DAY, "jan 3"),
    ] {
        insert_row(&app, at, "workspace_renamed", &ws2, detail).await;
    }

    // By action: exactly the rows of that action.
    let created = all_entries(&app, &root, &[("action", "admin_create_user")]).await;
    assert_eq!(created.len(), 3);
    assert!(created.iter().all(|e| e["action"] == "admin_create_user"));
    // By actor (an email, in any case): what ann did, and nothing else.
    let by_ann = all_entries(&app, &root, &[("actor", "ANN@example.com")]).await;
    let ann_id = app
        .scalar_text("SELECT id FROM users WHERE email = 'ann@example.com'", &[])
        .await;
    let in_db = app
        .scalar(
            "SELECT COUNT(*) FROM audit_log WHERE actor_user_id = $1",
            &[&ann_id],
        )
        .await;
    assert!(in_db >= 2, "ann signed in and added cid");
    assert_eq!(by_ann.len() as i64, in_db);
    assert!(by_ann.iter().all(|e| e["actor"] == "ann@example.com"));
    // By target, exactly as shown.
    let about_cid = all_entries(&app, &root, &[("target", "cid@example.com")]).await;
    assert_eq!(
        about_cid.len() as i64,
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE target = 'cid@example.com'",
            &[]
        )
        .await
    );
    assert!(about_cid.iter().all(|e| e["target"] == "cid@example.com"));
    assert!(about_cid.iter().any(|e| e["action"] == "admin_create_user"));
    // By workspace, combined with the action.
    let ops_created = all_entries(
        &app,
        &root,
        &[("workspace_id", &ws2), ("action", "admin_create_user")],
    )
    .await;
    assert_eq!(ops_created.len(), 1);
    assert_eq!(ops_created[0]["target"], "bob@example.com");
    // By days, both ends included; or by Unix seconds, the end excluded.
    let details = |entries: &[serde_json::Value]| -> Vec<String> {
        entries
            .iter()
            .map(|e| e["detail"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let jan_1_to_2 = all_entries(
        &app,
        &root,
        &[
            ("action", "workspace_renamed"),
            ("from", "2020-01-01"),
            ("to", "2020-01-02"),
        ],
    )
    .await;
    assert_eq!(details(&jan_1_to_2), ["jan 2", "jan 1"]);
    let (from, to) = (
        (JAN_1_2020 + DAY).to_string(),
        (JAN_1_2020 + 2 * DAY + 1).to_string(),
    );
    let secs = all_entries(
        &app,
        &root,
        &[
            ("action", "workspace_renamed"),
            ("from", &from),
            ("to", &to),
        ],
    )
    .await;
    assert_eq!(details(&secs), ["jan 3", "jan 2"]);
    // A filter naming nobody matches nothing (not an error: the log does not say who exists).
    let nobody = page(&app, &root, &[("actor", "nobody@example.com")]).await;
    assert_eq!(nobody["entries"].as_array().unwrap().len(), 0);
    let no_person = page(&app, &root, &[("person", "no-such-user")]).await;
    assert_eq!(no_person["entries"].as_array().unwrap().len(), 0);

    // A filter only narrows what the viewer may see: ann administers ws1, not Ops, so Ops's
    // renames stay hidden from her however she asks.
    let ann_ops = all_entries(&app, &ann, &[("workspace_id", &ws2)]).await;
    assert!(ann_ops.is_empty(), "{ann_ops:?}");
    let ann_renames = all_entries(&app, &ann, &[("action", "workspace_renamed")]).await;
    assert!(ann_renames.is_empty());
    let ann_ws1 = all_entries(&app, &ann, &[("workspace_id", &ws1)]).await;
    assert_eq!(
        ann_ws1.len() as i64,
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE workspace_id = $1",
            &[&ws1]
        )
        .await
    );

    // Bad filters are 400s naming the field, and nothing is listed.
    for (form, field) in [
        (vec![("action", "made_up")], "action"),
        (vec![("from", "2020-13-01")], "from"),
        (vec![("to", "yesterday")], "to"),
        (vec![("from", "2020-01-03"), ("to", "2020-01-02")], "to"),
    ] {
        let r = app.post(&root, "/api/audit/list", &form).await;
        assert_eq!(r.status, 400, "{form:?}: {}", r.text);
        assert!(r.body["fields"][field].is_string(), "{form:?}: {}", r.text);
    }
    let long = "x".repeat(201);
    let r = app
        .post(&root, "/api/audit/list", &[("target", &long)])
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
}

both_backends!(
    a_filtered_log_is_paged_newest_first_without_gaps,
    a_filtered_log_is_paged_newest_first_without_gaps
);
async fn a_filtered_log_is_paged_newest_first_without_gaps(app: TestApp) {
    let boot = app.seed_admin("root@example.com").await;
    let root = app.signed_in("root@example.com").await;
    for i in 0..120 {
        insert_row(
            &app,
            JAN_1_2020 + i,
            "workspace_renamed",
            &boot.workspace_id,
            &format!("{i}"),
        )
        .await;
        // Rows of another action in between, which the filter must step over.
        insert_row(
            &app,
            JAN_1_2020 + i,
            "invite_created",
            &boot.workspace_id,
            "other",
        )
        .await;
    }
    let first = page(&app, &root, &[("action", "workspace_renamed")]).await;
    assert_eq!(first["entries"].as_array().unwrap().len(), 50);
    let entries = all_entries(&app, &root, &[("action", "workspace_renamed")]).await;
    let got: Vec<i64> = entries
        .iter()
        .map(|e| e["detail"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(got, (0..120).rev().collect::<Vec<i64>>());
}

both_backends!(
    a_persons_history_is_what_was_done_to_them_and_what_they_did,
    a_persons_history_is_what_was_done_to_them_and_what_they_did
);
async fn a_persons_history_is_what_was_done_to_them_and_what_they_did(app: TestApp) {
    let boot = app.seed_admin("root@example.com").await;
    let root = app.signed_in("root@example.com").await;
    let ws = boot.workspace_id.clone();
    let dee = app
        .add_user(&root, "dee@example.com", &ws, "workspace_viewer")
        .await;
    let eve = app
        .add_user(&root, "eve@example.com", &ws, "workspace_admin")
        .await;
    app.signed_in("dee@example.com").await;
    app.signed_in("eve@example.com").await;
    let r = app
        .post(
            &root,
            "/api/members/set_role",
            &[
                ("workspace_id", ws.as_str()),
                ("user_id", dee.as_str()),
                ("role", "workspace_editor"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = app
        .post(
            &root,
            "/api/users/reset_password",
            &[("user_id", dee.as_str())],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    let history = all_entries(&app, &root, &[("person", &dee)]).await;
    let target = format!("user {dee}");
    assert!(!history.is_empty());
    for e in &history {
        assert!(
            e["target"] == "dee@example.com"
                || e["target"] == target.as_str()
                || e["actor"] == "dee@example.com",
            "not about dee: {e}"
        );
    }
    let actions: Vec<&str> = history
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for expected in ["admin_create_user", "authz_change", "password_reset"] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
    // Every row about dee is there, and nothing about eve.
    let in_db = app
        .scalar(
            "SELECT COUNT(*) FROM audit_log WHERE target IN ($1, $2) OR actor_user_id = $3",
            &[&target, "dee@example.com", &dee],
        )
        .await;
    assert_eq!(history.len() as i64, in_db);
    assert!(history.iter().all(|e| e["target"] != "eve@example.com"));
    let _ = eve;
}

/// A GET of an export with `c`'s session (or a bearer token), its status, headers and body.
async fn export(
    app: &TestApp,
    c: &reqwest::Client,
    path_and_query: &str,
    token: Option<&str>,
) -> Reply {
    let mut req = c.get(app.url(path_and_query));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.unwrap();
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

both_backends!(
    the_log_exports_as_csv_and_ndjson_with_the_filter_and_the_viewers_rights,
    the_log_exports_as_csv_and_ndjson_with_the_filter_and_the_viewers_rights
);
async fn the_log_exports_as_csv_and_ndjson_with_the_filter_and_the_viewers_rights(app: TestApp) {
    let boot = app.seed_admin("root@example.com").await;
    let root = app.signed_in("root@example.com").await;
    let ws1 = boot.workspace_id.clone();
    let org = app.org_of(&ws1).await;
    let ws2 = app.create_workspace(&root, &org, "Ops").await;
    app.add_user(&root, "ann@example.com", &ws1, "workspace_admin")
        .await;
    app.add_user(&root, "vic@example.com", &ws1, "workspace_viewer")
        .await;
    // More rows than one batch of the export (250), so that batches must join up exactly.
    let n = 2_345;
    for i in 0..n {
        let ws = if i % 5 == 0 { &ws2 } else { &ws1 };
        insert_row(
            &app,
            JAN_1_2020 + i,
            "workspace_renamed",
            ws,
            &format!("row {i}"),
        )
        .await;
    }
    // A detail a spreadsheet would run, with a comma, quotes and a line break.
    insert_row(
        &app,
        JAN_1_2020 + n,
        "workspace_renamed",
        &ws1,
        "=HYPERLINK(\"http://x\",\"a, b\")\nsecond line",
    )
    .await;

    let csv = export(
        &app,
        &root,
        "/api/audit/export.csv?action=workspace_renamed",
        None,
    )
    .await;
    assert_eq!(csv.status, 200, "{}", csv.text);
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    let disposition = csv.headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"roster-audit-")
            && disposition.ends_with(".csv\"")
    );
    let mut reader = csv::Reader::from_reader(csv.text.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "id",
            "time",
            "actor",
            "actor_token",
            "action",
            "target",
            "workspace_id",
            "workspace",
            "ip",
            "detail"
        ]
    );
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len() as i64, n + 1);
    let ids: Vec<i64> = records.iter().map(|r| r[0].parse().unwrap()).collect();
    assert!(
        ids.windows(2).all(|w| w[0] > w[1]),
        "newest first, each once"
    );
    assert!(records.iter().all(|r| &r[4] == "workspace_renamed"));
    assert_eq!(
        &records[0][9],
        "'=HYPERLINK(\"http://x\",\"a, b\")\nsecond line"
    );
    assert_eq!(&records[0][1], "2020-01-01T00:39:05Z");
    assert_eq!(&records[1][9], format!("row {}", n - 1));
    // The export itself is on the record, with its filter.
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'data_exported' AND detail = 'audit.csv action=workspace_renamed'",
            &[]
        )
        .await,
        1
    );

    let ndjson = export(
        &app,
        &root,
        "/api/audit/export.ndjson?action=workspace_renamed&workspace_id=",
        None,
    )
    .await;
    assert_eq!(ndjson.status, 200, "{}", ndjson.text);
    assert_eq!(ndjson.headers["content-type"], "application/x-ndjson");
    let lines: Vec<serde_json::Value> = ndjson
        .text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len() as i64, n + 1);
    assert_eq!(
        lines[0]["detail"],
        "=HYPERLINK(\"http://x\",\"a, b\")\nsecond line"
    );
    assert_eq!(
        lines
            .iter()
            .map(|l| l["id"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        ids
    );

    // Ann administers ws1 only: her export of the same filter leaves out Ops's rows.
    let ann = app.signed_in("ann@example.com").await;
    let hers = export(
        &app,
        &ann,
        "/api/audit/export.ndjson?action=workspace_renamed",
        None,
    )
    .await;
    assert_eq!(hers.status, 200);
    let in_ws1 = app
        .scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'workspace_renamed' AND workspace_id = $1",
            &[&ws1],
        )
        .await;
    assert_eq!(hers.text.lines().count() as i64, in_ws1);
    assert!(hers
        .text
        .lines()
        .all(|l| l.contains(&format!("\"workspace_id\":\"{ws1}\""))));

    // A filter matching nothing: the header alone.
    let empty = export(
        &app,
        &root,
        "/api/audit/export.csv?actor=nobody%40example.com",
        None,
    )
    .await;
    assert_eq!(empty.status, 200);
    assert_eq!(empty.text.lines().count(), 1);

    // Refusals are answers, not a cut-off file.
    let vic = app.signed_in("vic@example.com").await;
    let refused = export(&app, &vic, "/api/audit/export.csv", None).await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert_eq!(refused.body["code"], "forbidden");
    let anonymous = export(&app, &client(), "/api/audit/export.csv", None).await;
    assert_eq!(anonymous.status, 401);
    let bad = export(&app, &root, "/api/audit/export.csv?from=2020-02-30", None).await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    assert!(bad.body["fields"]["from"].is_string());

    // With a token: audit:read reaches it, another scope does not.
    let mut secrets = Vec::new();
    for scopes in ["audit:read", "members:read"] {
        let r = app
            .post(
                &root,
                "/api/tokens/create",
                &[("name", scopes), ("scopes", scopes)],
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        secrets.push(r.body["secret"].as_str().unwrap().to_string());
    }
    let bare = reqwest::Client::new();
    let by_token = export(
        &app,
        &bare,
        "/api/audit/export.csv?action=workspace_renamed",
        Some(&secrets[0]),
    )
    .await;
    assert_eq!(by_token.status, 200, "{}", by_token.text);
    assert_eq!(by_token.text, csv.text);
    let wrong_scope = export(&app, &bare, "/api/audit/export.csv", Some(&secrets[1])).await;
    assert_eq!(wrong_scope.status, 403);
    assert_eq!(wrong_scope.body["code"], "insufficient_scope");
}

both_backends!(
    the_sweep_deletes_entries_past_the_retention_and_records_it,
    the_sweep_deletes_entries_past_the_retention_and_records_it
);
async fn the_sweep_deletes_entries_past_the_retention_and_records_it(app: TestApp) {
    let boot = app.seed_admin("root@example.com").await;
    let ws = boot.workspace_id.clone();
    let now = roster::server::db::now();
    for days in [400, 380, 366] {
        insert_row(&app, now - days * DAY, "workspace_renamed", &ws, "expired").await;
    }
    insert_row(&app, now - 364 * DAY, "workspace_renamed", &ws, "kept").await;
    let count = |detail: &'static str| {
        let app = &app;
        async move {
            app.scalar(
                "SELECT COUNT(*) FROM audit_log WHERE detail = $1",
                &[detail],
            )
            .await
        }
    };
    let before = app.scalar("SELECT COUNT(*) FROM audit_log", &[]).await;

    // Kept for ever: nothing goes.
    sweep_once(&app.db, now, Retention { audit_days: None }).await;
    assert_eq!(count("expired").await, 3);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'audit_purged'",
            &[]
        )
        .await,
        0
    );

    sweep_once(
        &app.db,
        now,
        Retention {
            audit_days: Some(365),
        },
    )
    .await;
    assert_eq!(count("expired").await, 0);
    assert_eq!(count("kept").await, 1);
    let purge = app
        .scalar_text(
            "SELECT detail FROM audit_log WHERE action = 'audit_purged'",
            &[],
        )
        .await;
    assert_eq!(
        purge,
        format!("deleted=3 written_before={}", now - 365 * DAY)
    );
    // Everything else stayed; the purge row was added.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log", &[]).await,
        before - 3 + 1
    );
    // A pass with nothing to delete writes nothing.
    sweep_once(
        &app.db,
        now,
        Retention {
            audit_days: Some(365),
        },
    )
    .await;
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'audit_purged'",
            &[]
        )
        .await,
        1
    );
}
