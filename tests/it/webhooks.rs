//! Webhooks against a real HTTP receiver process on 127.0.0.1: signed deliveries of the events
//! an endpoint asked for, retried through an outage, delivered after a crash by the next
//! instance, and once per endpoint however many instances run.

use crate::common::{
    spawn_app_with, Backend, RosterProcess, TestApp, WebhookReceiver, KEEP_AUDIT_A_YEAR,
};
use hmac::{Hmac, Mac};
use roster::domain::OrgRole;
use serde_json::Value;
use sha2::Sha256;

/// Quick retries, and the loopback receiver allowed (it is refused by default, below).
const FAST: &[(&str, &str)] = &[
    ("WEBHOOK_POLL_MILLISECONDS", "100"),
    ("WEBHOOK_RETRY_BASE_SECONDS", "1"),
    ("WEBHOOK_ALLOW_PRIVATE_TARGETS", "true"),
];

/// An organization "Acme" with a workspace, administered by `orgadmin@acme.example`.
struct Acme {
    ws: String,
    org: String,
    platform: reqwest::Client,
    admin: reqwest::Client,
}

async fn acme(app: &TestApp) -> Acme {
    app.seed_admin("root@example.com").await;
    let platform = app.signed_in("root@example.com").await;
    let org = app.create_org(&platform, "Acme").await;
    let ws = app.create_workspace(&platform, &org, "Acme HQ").await;
    let admin_id = app
        .add_user(&platform, "orgadmin@acme.example", &ws, "workspace_viewer")
        .await;
    app.set_org_role(&org, &admin_id, OrgRole::OrgAdmin).await;
    let admin = app.signed_in("orgadmin@acme.example").await;
    Acme {
        ws,
        org,
        platform,
        admin,
    }
}

async fn subscribe(
    app: &TestApp,
    c: &reqwest::Client,
    org: &str,
    url: &str,
    events: &str,
) -> (String, String) {
    let r = app
        .post(
            c,
            "/api/webhooks/create",
            &[("org_id", org), ("url", url), ("events", events)],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    (
        r.body["webhook"]["id"].as_str().unwrap().to_string(),
        r.body["secret"].as_str().unwrap().to_string(),
    )
}

/// Recomputes the signature as a receiver would, from the secret, the header and the body.
fn signature_holds(secret: &str, request: &Value) -> bool {
    let header = request["headers"]["roster-signature"]
        .as_str()
        .unwrap_or_default();
    let Some((t, v1)) = header
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(",v1="))
    else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{}", request["body"].as_str().unwrap()).as_bytes());
    mac.verify_slice(&hex::decode(v1).unwrap_or_default())
        .is_ok()
}

async fn signed_retried_and_scoped(backend: Backend) {
    let Some(app) = spawn_app_with(backend, FAST).await else {
        return;
    };
    let a = acme(&app).await;
    // Down for the first two attempts.
    let receiver = WebhookReceiver::start(0, &[503, 503]);

    // Only the organization's admins subscribe, to known events, at an https or loopback URL.
    let viewer = app
        .add_user(
            &a.platform,
            "viewer@acme.example",
            &a.ws,
            "workspace_viewer",
        )
        .await;
    let viewer_client = app.signed_in("viewer@acme.example").await;
    let form = |url: &str, events: &str| {
        vec![
            ("org_id", a.org.clone()),
            ("url", url.to_string()),
            ("events", events.to_string()),
        ]
    };
    for (c, url, events, status) in [
        (&viewer_client, receiver.url(), "member.added", 403),
        (
            &a.admin,
            "http://hooks.example.com/x".to_string(),
            "member.added",
            400,
        ),
        (&a.admin, receiver.url(), "member.exploded", 400),
    ] {
        let f = form(&url, events);
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = app.post(c, "/api/webhooks/create", &f).await;
        assert_eq!(r.status, status, "{}", r.text);
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM webhooks", &[]).await, 0);
    let (hook, secret) = subscribe(
        &app,
        &a.admin,
        &a.org,
        &receiver.url(),
        "member.added,member.role_changed",
    )
    .await;
    let r = app
        .post(&a.admin, "/api/webhooks/list", &[("org_id", &a.org)])
        .await;
    assert!(!r.text.contains(&secret), "the secret is shown once");

    // A role change in the organization's workspace: announced, signed, retried until delivered.
    let r = app
        .post(
            &a.admin,
            "/api/members/set_role",
            &[
                ("workspace_id", &a.ws),
                ("user_id", &viewer),
                ("role", "workspace_editor"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let delivered = receiver.wait_for_delivered(1).await;
    let d = &delivered[0];
    assert_eq!(d["headers"]["roster-event"], "member.role_changed");
    assert!(signature_holds(&secret, d), "{d}");
    assert!(!signature_holds("whsec_someone-else", d));
    let body: Value = serde_json::from_str(d["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["type"], "member.role_changed");
    assert_eq!(body["workspace_id"], a.ws.as_str());
    assert_eq!(body["organization_id"], a.org.as_str());
    assert_eq!(body["target"], format!("user {viewer}"));
    let all = receiver.requests();
    let same: Vec<&Value> = all
        .iter()
        .filter(|r| r["headers"]["roster-delivery"] == d["headers"]["roster-delivery"])
        .collect();
    assert_eq!(same.len(), 3, "two refusals, then the delivery: {all:?}");
    let r = app
        .post(&a.admin, "/api/webhooks/list", &[("org_id", &a.org)])
        .await;
    let shown = &r.body[0]["deliveries"][0];
    assert_eq!(shown["state"], "delivered", "{}", r.text);
    assert_eq!(shown["attempts"], 3);
    assert_eq!(shown["last_status"], 200);

    // Events it did not ask for, and changes in another organization, are not sent.
    let other_org = app.create_org(&a.platform, "Other").await;
    let other_ws = app
        .create_workspace(&a.platform, &other_org, "Elsewhere")
        .await;
    app.add_user(
        &a.platform,
        "x@other.example",
        &other_ws,
        "workspace_viewer",
    )
    .await;
    let r = app
        .post(
            &a.admin,
            "/api/invites/create",
            &[
                ("workspace_id", &a.ws),
                ("emails", "new@acme.example"),
                ("role", "workspace_viewer"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // …but a new member here is.
    app.add_user(&a.platform, "hire@acme.example", &a.ws, "workspace_viewer")
        .await;
    let delivered = receiver.wait_for_delivered(2).await;
    assert_eq!(
        delivered[1]["headers"]["roster-event"], "member.added",
        "{delivered:?}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(receiver.wait_for_delivered(2).await.len(), 2);

    // Test and redeliver.
    let r = app
        .post(&a.admin, "/api/webhooks/test", &[("webhook_id", &hook)])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let delivered = receiver.wait_for_delivered(3).await;
    assert_eq!(delivered[2]["headers"]["roster-event"], "ping");
    let first = d["headers"]["roster-delivery"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .post(
            &a.admin,
            "/api/webhooks/redeliver",
            &[("webhook_id", &hook), ("delivery_id", &first)],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let delivered = receiver.wait_for_delivered(4).await;
    assert_eq!(delivered[3]["headers"]["roster-delivery"], first.as_str());

    // Deleted: nothing more is sent, and a viewer cannot delete (404 for them as for nobody).
    let r = app
        .post(
            &viewer_client,
            "/api/webhooks/delete",
            &[("webhook_id", &hook)],
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = app
        .post(&a.admin, "/api/webhooks/delete", &[("webhook_id", &hook)])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM webhook_deliveries", &[])
            .await,
        0
    );
    let audit = app.audit_text().await;
    assert!(audit.contains("webhook_created") && audit.contains("webhook_deleted"));
    assert!(!audit.contains(&secret));
    assert!(!crate::common::captured_logs().contains(&secret));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_are_signed_retried_and_scoped_sqlite() {
    signed_retried_and_scoped(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_are_signed_retried_and_scoped_postgres() {
    signed_retried_and_scoped(Backend::Postgres).await;
}

async fn survives_a_crash(backend: Backend) {
    let Some(mut app) = spawn_app_with(backend, FAST).await else {
        return;
    };
    // Only the real processes below deliver.
    app.stop_webhook_sender();
    let a = acme(&app).await;
    // Refuses the first attempt, so that the first process is killed with the event undelivered.
    let receiver = WebhookReceiver::start(0, &[503]);
    subscribe(&app, &a.admin, &a.org, &receiver.url(), "member.added").await;
    app.add_user(&a.platform, "hire@acme.example", &a.ws, "workspace_viewer")
        .await;
    assert_eq!(receiver.requests().len(), 0);

    let vars: Vec<(&str, &str)> = FAST.to_vec();
    let first = RosterProcess::start(&app.database_url, &vars).await;
    for _ in 0..200 {
        if !receiver.requests().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Killed once it has recorded the refusal: killed between the send and the record, its
    // claim would hold the delivery for the whole lease (60 s) before another instance may
    // send it — correct, but longer than this test waits.
    for _ in 0..200 {
        if app
            .scalar(
                "SELECT COUNT(*) FROM webhook_deliveries WHERE last_status = 503",
                &[],
            )
            .await
            > 0
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    first.kill();
    assert_eq!(receiver.requests()[0]["status"], 503);

    let second = RosterProcess::start(&app.database_url, &vars).await;
    let delivered = receiver.wait_for_delivered(1).await;
    assert_eq!(delivered[0]["headers"]["roster-event"], "member.added");
    drop(second);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_committed_before_a_crash_is_delivered_after_restart_sqlite() {
    survives_a_crash(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_committed_before_a_crash_is_delivered_after_restart_postgres() {
    survives_a_crash(Backend::Postgres).await;
}

/// Two instances share the PostgreSQL database (the multi-instance backend): each event is
/// delivered once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_deliver_each_event_once() {
    let Some(app) = spawn_app_with(Backend::Postgres, FAST).await else {
        return;
    };
    let sibling = app.sibling(FAST).await;
    let a = acme(&app).await;
    let receiver = WebhookReceiver::start(0, &[]);
    subscribe(&app, &a.admin, &a.org, &receiver.url(), "member.added").await;
    // Thirty membership events at once, written as their changes write them (audited).
    for i in 0..30 {
        app.exec(
            "INSERT INTO audit_log (at, action, workspace_id, target) VALUES (1, 'membership_added', $1, $2)",
            &[&a.ws, &format!("user bulk-{i}")],
        )
        .await;
    }
    let delivered = receiver.wait_for_delivered(30).await;
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let all = receiver.requests();
    assert_eq!(all.len(), 30, "no event twice");
    let ids: std::collections::BTreeSet<&str> = delivered
        .iter()
        .map(|r| r["headers"]["roster-delivery"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 30);
    drop(sibling);
}

both_backends!(
    addresses_inside_the_network_are_refused_by_default,
    addresses_inside_the_network_are_refused_by_default
);
async fn addresses_inside_the_network_are_refused_by_default(app: TestApp) {
    let a = acme(&app).await;
    for url in [
        "http://127.0.0.1:9/hook",
        "https://127.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://10.1.2.3/",
        "https://[::1]/",
    ] {
        let r = app
            .post(
                &a.admin,
                "/api/webhooks/create",
                &[("org_id", &a.org), ("url", url), ("events", "member.added")],
            )
            .await;
        assert_eq!(r.status, 400, "{url}: {}", r.text);
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM webhooks", &[]).await, 0);
    // A public https endpoint is accepted (nothing is sent here: no event happens).
    let (_, secret) = subscribe(
        &app,
        &a.admin,
        &a.org,
        "https://hooks.example.com/roster?key=theirs",
        "member.added",
    )
    .await;
    assert!(secret.starts_with("whsec_"));
    let audit = app.audit_text().await;
    assert!(
        audit.contains("url=https://hooks.example.com/roster"),
        "{audit}"
    );
    assert!(
        !audit.contains("key=theirs"),
        "the URL's query stays out of the audit log"
    );
    let _ = &a.platform;
    let _ = &a.ws;
}

both_backends!(
    the_sweep_deletes_deliveries_finished_more_than_30_days_ago,
    the_sweep_deletes_deliveries_finished_more_than_30_days_ago
);
async fn the_sweep_deletes_deliveries_finished_more_than_30_days_ago(app: TestApp) {
    let a = acme(&app).await;
    let (hook, _) = subscribe(
        &app,
        &a.admin,
        &a.org,
        "https://hooks.example.com/roster",
        "member.added",
    )
    .await;
    let now = roster::server::db::now();
    let day = 86_400;
    // (event, created, delivered, gave up): the two that finished over 30 days ago go; one
    // finished 29 days ago stays, and so does one still being retried however old it is.
    let rows = [
        ("old.delivered", now - 40 * day, Some(now - 31 * day), None),
        ("old.failed", now - 40 * day, None, Some(now - 31 * day)),
        (
            "recent.delivered",
            now - 30 * day,
            Some(now - 29 * day),
            None,
        ),
        ("old.retrying", now - 40 * day, None, None),
    ];
    for (event, created, delivered, gave_up) in rows {
        let null = |v: Option<i64>| v.map_or("NULL".to_string(), |t| t.to_string());
        app.exec(
            &format!(
                "INSERT INTO webhook_deliveries (webhook_id, event, payload, created_at, \
                 next_attempt_at, delivered_at, gave_up_at) VALUES ($1, $2, '{{}}', {created}, {}, {}, {})",
                now + day,
                null(delivered),
                null(gave_up)
            ),
            &[&hook, event],
        )
        .await;
    }
    roster::server::sweep::sweep_once(&app.db, now, KEEP_AUDIT_A_YEAR).await;
    for (event, kept) in [
        ("old.delivered", 0),
        ("old.failed", 0),
        ("recent.delivered", 1),
        ("old.retrying", 1),
    ] {
        let n = app
            .scalar(
                "SELECT COUNT(*) FROM webhook_deliveries WHERE event = $1",
                &[event],
            )
            .await;
        assert_eq!(n, kept, "{event}");
    }
    let _ = (&a.platform, &a.ws);
}
