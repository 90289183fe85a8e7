//! Several stateless instances on one PostgreSQL: two real `roster serve` processes.

use crate::common::{client, spawn_app, Backend, RosterProcess, SmtpSink, PASSWORD};
use crate::fake_idp::{FakeIdp, Signing, CLIENT_ID, CLIENT_SECRET};

async fn post(
    c: &reqwest::Client,
    base: &str,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    c.post(format!("{base}{path}"))
        .form(form)
        .send()
        .await
        .expect("request")
}

fn cookie_of(res: &reqwest::Response) -> String {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("roster_session="))
        .and_then(|v| v.split(';').next())
        .expect("session cookie")
        .to_string()
}

async fn me_with(base: &str, cookie: &str) -> serde_json::Value {
    reqwest::Client::new()
        .post(format!("{base}/api/auth/me"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_share_sessions_throttling_mail_and_invitations() {
    let Some(app) = spawn_app(Backend::Postgres).await else {
        return;
    };
    let boot = app.seed_admin("admin@example.com").await;
    let sink = SmtpSink::start(0);
    let idp = FakeIdp::start().await;
    let vars = [
        ("SMTP_URL", sink.url()),
        ("MAIL_POLL_SECONDS", "1".to_string()),
        ("OIDC_ISSUER", idp.issuer.clone()),
        ("OIDC_CLIENT_ID", CLIENT_ID.to_string()),
        ("OIDC_CLIENT_SECRET", CLIENT_SECRET.to_string()),
    ];
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let a = RosterProcess::start(&app.database_url, &vars).await;
    let b = RosterProcess::start(&app.database_url, &vars).await;

    // A session made on A works on B; logging out on B ends it on A too.
    let login = post(
        &client(),
        &a.base,
        "/api/auth/login",
        &[("email", "admin@example.com"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(login.status(), 200);
    let cookie = cookie_of(&login);
    assert_eq!(
        me_with(&b.base, &cookie).await["email"],
        "admin@example.com"
    );
    let admin = reqwest::Client::new();
    let logout = admin
        .post(format!("{}/api/auth/logout", b.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 200);
    assert!(me_with(&a.base, &cookie).await.is_null());

    // Throttling counters are shared: failures on A and B add up.
    for (i, base) in [&a.base, &b.base, &a.base, &b.base, &a.base]
        .into_iter()
        .enumerate()
    {
        let r = post(
            &client(),
            base,
            "/api/auth/login",
            &[
                ("email", "admin@example.com"),
                ("password", "wrong password!"),
            ],
        )
        .await;
        assert_eq!(r.status(), 401, "failure {i}");
    }
    let locked = post(
        &client(),
        &b.base,
        "/api/auth/login",
        &[("email", "admin@example.com"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(locked.status(), 429);
    app.exec("DELETE FROM auth_throttle", &[]).await;

    // Invitations created on both instances: each email is delivered exactly once.
    let signed = client();
    assert_eq!(
        post(
            &signed,
            &a.base,
            "/api/auth/login",
            &[("email", "admin@example.com"), ("password", PASSWORD)]
        )
        .await
        .status(),
        200
    );
    let emails: Vec<String> = (0..10).map(|i| format!("p{i}@example.com")).collect();
    for (i, email) in emails.iter().enumerate() {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        let r = post(
            &signed,
            base,
            "/api/invites/create",
            &[
                ("workspace_id", &boot.workspace_id),
                ("emails", email),
                ("role", "workspace_viewer"),
            ],
        )
        .await;
        assert_eq!(r.status(), 200);
    }
    sink.wait_for(10).await;
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let mut delivered: Vec<String> = sink
        .messages()
        .iter()
        .map(|m| m["to"][0].as_str().unwrap().to_string())
        .collect();
    delivered.sort();
    let mut expected = emails.clone();
    expected.sort();
    assert_eq!(delivered, expected, "every email once, none twice");

    // Both instances cache what they read; what one writes, the other's next request reads.
    let listed_on = |base: String| {
        let signed = signed.clone();
        let ws = boot.workspace_id.to_string();
        async move {
            let page: serde_json::Value = post(
                &signed,
                &base,
                "/api/members/list",
                &[("workspace_id", &ws)],
            )
            .await
            .json()
            .await
            .unwrap();
            page["members"]
                .as_array()
                .expect("members")
                .iter()
                .filter_map(|m| m["email"].as_str().map(str::to_string))
                .collect::<Vec<_>>()
        }
    };
    for base in [&a.base, &b.base, &a.base, &b.base] {
        assert!(listed_on(base.clone())
            .await
            .contains(&"p9@example.com".to_string()));
    }
    let cancelled = post(
        &signed,
        &a.base,
        "/api/invites/cancel",
        &[
            ("workspace_id", &boot.workspace_id),
            ("email", "p9@example.com"),
        ],
    )
    .await;
    assert_eq!(cancelled.status(), 200);
    for base in [&b.base, &a.base] {
        assert!(
            !listed_on(base.clone())
                .await
                .contains(&"p9@example.com".to_string()),
            "cancelled on A, gone on {base}"
        );
    }

    // 20 concurrent first sign-ins for one invitation, spread over both instances.
    let mut ready = Vec::new();
    for i in 0..20 {
        let c = client();
        let base = if i % 2 == 0 {
            a.base.clone()
        } else {
            b.base.clone()
        };
        let r = c
            .get(format!("{base}/auth/oidc/login"))
            .send()
            .await
            .unwrap();
        let to = r.headers()["location"].to_str().unwrap().to_string();
        let param = |name: &str| {
            to.split_once('?')
                .unwrap()
                .1
                .split('&')
                .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                .unwrap()
                .to_string()
        };
        let code = format!("race-{i}");
        idp.issue(
            &code,
            idp.claims("sub-p0", "p0@example.com", &param("nonce")),
            Signing::Good,
            &param("code_challenge"),
        );
        // The callback lands on the other instance: the attempt lives in the shared session store.
        let other = if i % 2 == 0 {
            b.base.clone()
        } else {
            a.base.clone()
        };
        ready.push((c, other, code, param("state")));
    }
    let racers: Vec<_> = ready
        .into_iter()
        .map(|(c, base, code, state)| {
            tokio::spawn(async move {
                let r = c
                    .get(format!(
                        "{base}/auth/oidc/callback?code={code}&state={state}"
                    ))
                    .send()
                    .await
                    .unwrap();
                r.headers()["location"].to_str().unwrap().to_string()
            })
        })
        .collect();
    for r in racers {
        assert_eq!(r.await.unwrap(), "/members");
    }
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM users WHERE email = 'p0@example.com'",
            &[]
        )
        .await,
        1
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM pending_invites WHERE email = 'p0@example.com'",
            &[]
        )
        .await,
        0
    );
    drop((a, b));
}
