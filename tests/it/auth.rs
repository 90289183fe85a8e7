use crate::common::{client, session_cookie, with_cookie, TestApp, KEEP_AUDIT_A_YEAR, PASSWORD};

both_backends!(password_sign_in_and_me, password_sign_in_and_me);
async fn password_sign_in_and_me(app: TestApp) {
    let boot = app.seed_admin("admin@example.com").await;
    let c = client();
    let anon = app.post(&c, "/api/auth/me", &[]).await;
    assert_eq!(
        (anon.status, anon.body.clone()),
        (200, serde_json::Value::Null)
    );

    let r = app.login(&c, "  Admin@Example.com ", PASSWORD).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let me = app.post(&c, "/api/auth/me", &[]).await;
    assert_eq!(me.body["email"], "admin@example.com");
    assert_eq!(me.body["platform_role"], "platform_admin");
    assert_eq!(me.body["must_change_password"], false);
    assert_eq!(me.body["workspaces"][0]["id"], boot.workspace_id.as_str());
    assert_eq!(me.body["workspaces"][0]["my_role"], "workspace_admin");
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'authn_login_success'",
            &[]
        )
        .await,
        1
    );
}

both_backends!(
    wrong_password_and_unknown_email_look_the_same,
    wrong_password_and_unknown_email_look_the_same
);
async fn wrong_password_and_unknown_email_look_the_same(app: TestApp) {
    app.seed_admin("admin@example.com").await;
    let wrong = app
        .login(&client(), "admin@example.com", "not the password")
        .await;
    let unknown = app
        .login(&client(), "nobody@example.com", "not the password")
        .await;
    assert_eq!((wrong.status, unknown.status), (401, 401));
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(wrong.body["error"], "Email or password is incorrect");
    let fails = app
        .scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'authn_login_fail'",
            &[],
        )
        .await;
    assert_eq!(fails, 2);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%reason=wrong_password%'",
            &[]
        )
        .await,
        1
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%reason=unknown_email%'",
            &[]
        )
        .await,
        1
    );
    assert!(!app.audit_text().await.contains("not the password"));
}

both_backends!(session_id_changes_at_sign_in, session_id_changes_at_sign_in);
async fn session_id_changes_at_sign_in(app: TestApp) {
    app.seed_admin("admin@example.com").await;
    let c = client();
    let first =
        session_cookie(&app.login(&c, "admin@example.com", PASSWORD).await).expect("cookie");
    let second =
        session_cookie(&app.login(&c, "admin@example.com", PASSWORD).await).expect("cookie");
    assert_ne!(first, second, "a sign-in must issue a new session id");
    let old = with_cookie(&app, &first, "/api/auth/me").await;
    assert_eq!(
        old.body,
        serde_json::Value::Null,
        "the old session id is dead"
    );
    let new = with_cookie(&app, &second, "/api/auth/me").await;
    assert_eq!(new.body["email"], "admin@example.com");
}

both_backends!(cookie_flags, cookie_flags);
async fn cookie_flags(app: TestApp) {
    app.seed_admin("admin@example.com").await;
    let r = app.login(&client(), "admin@example.com", PASSWORD).await;
    let raw = r
        .headers
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(raw.contains("HttpOnly"), "{raw}");
    assert!(raw.contains("SameSite=Lax"), "{raw}");
    assert!(raw.contains("Path=/"), "{raw}");
}

both_backends!(
    logout_kills_the_session_on_the_server,
    logout_kills_the_session_on_the_server
);
async fn logout_kills_the_session_on_the_server(app: TestApp) {
    app.seed_admin("admin@example.com").await;
    let c = client();
    let cookie = session_cookie(&app.login(&c, "admin@example.com", PASSWORD).await).unwrap();
    assert_eq!(app.post(&c, "/api/auth/logout", &[]).await.status, 200);
    // Replaying the old cookie from another client finds nothing on the server.
    let replay = with_cookie(&app, &cookie, "/api/auth/me").await;
    assert_eq!(replay.body, serde_json::Value::Null);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM sessions", &[]).await, 0);
}

both_backends!(cross_site_posts_are_refused, cross_site_posts_are_refused);
async fn cross_site_posts_are_refused(app: TestApp) {
    app.seed_admin("admin@example.com").await;
    let form = [("email", "admin@example.com"), ("password", PASSWORD)];
    let c = client();
    // Refusals are audited once per address and minute: start well inside a minute.
    while roster::server::db::now() % 60 > 50 {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let by_fetch_site = c
        .post(app.url("/api/auth/login"))
        .header("sec-fetch-site", "cross-site")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(by_fetch_site.status(), 403);
    let by_origin = c
        .post(app.url("/api/auth/login"))
        .header("origin", "https://evil.example")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(by_origin.status(), 403);
    let same_origin = c
        .post(app.url("/api/auth/login"))
        .header("origin", app.base.as_str())
        .header("sec-fetch-site", "same-origin")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(same_origin.status(), 200);
    // A flood of refusals writes one audit row now and one count when its minute is over.
    for _ in 0..8 {
        let r = c
            .post(app.url("/api/members/list"))
            .header("sec-fetch-site", "cross-site")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
    }
    let refused = "SELECT COUNT(*) FROM audit_log WHERE action = 'csrf_refused'";
    assert_eq!(app.scalar(refused, &[]).await, 1);
    roster::server::sweep::sweep_once(&app.db, roster::server::db::now() + 60, KEEP_AUDIT_A_YEAR)
        .await;
    assert_eq!(app.scalar(refused, &[]).await, 2);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'csrf_refused' AND detail LIKE 'count=10 %' AND ip = '127.0.0.1'",
            &[]
        )
        .await,
        1,
        "{}",
        app.audit_text().await
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM auth_throttle WHERE key LIKE 'csrf:%'",
            &[]
        )
        .await,
        0
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'authn_login_success'",
            &[]
        )
        .await,
        1
    );
}

both_backends!(
    repeated_failures_are_throttled,
    repeated_failures_are_throttled
);
async fn repeated_failures_are_throttled(app: TestApp) {
    app.seed_admin("admin@example.com").await;
    for _ in 0..5 {
        assert_eq!(
            app.login(&client(), "admin@example.com", "wrong password!")
                .await
                .status,
            401
        );
    }
    // Locked now, even with the right password.
    let locked = app.login(&client(), "admin@example.com", PASSWORD).await;
    assert_eq!(locked.status, 429, "{}", locked.text);
    assert_eq!(locked.body["code"], "rate_limited");
    let retry: i64 = locked.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 15 * 60);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%reason=throttled%'",
            &[]
        )
        .await,
        1
    );
}

both_backends!(forced_password_change, forced_password_change);
async fn forced_password_change(app: TestApp) {
    let boot = app.seed_admin("admin@example.com").await;
    let admin = app.signed_in("admin@example.com").await;
    let r = app
        .post(
            &admin,
            "/api/admin/users",
            &[
                ("email", "new@example.com"),
                ("name", "New"),
                ("password", "temporary pass 1"),
                ("workspace_id", &boot.workspace_id),
                ("role", "workspace_editor"),
            ],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);

    // Two browsers sign in with the temporary password.
    let browser = client();
    let other = client();
    for c in [&browser, &other] {
        let r = app.login(c, "new@example.com", "temporary pass 1").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body["must_change_password"], true);
    }

    // Restricted: pages redirect, other server functions refuse.
    let page = browser.get(app.url("/members")).send().await.unwrap();
    assert_eq!(page.status(), 303);
    assert_eq!(page.headers()["location"], "/change-password");
    assert_eq!(
        browser
            .get(app.url("/change-password"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let list = app
        .post(
            &browser,
            "/api/members/list",
            &[("workspace_id", &boot.workspace_id)],
        )
        .await;
    assert_eq!(list.status, 403);
    assert_eq!(list.body["code"], "password_change_required");
    assert_eq!(app.post(&browser, "/api/auth/me", &[]).await.status, 200);

    // The new password must differ and meet the policy.
    let same = app
        .post(
            &browser,
            "/api/auth/change_password",
            &[
                ("current_password", "temporary pass 1"),
                ("new_password", "temporary pass 1"),
            ],
        )
        .await;
    assert_eq!(same.status, 400);
    let weak = app
        .post(
            &browser,
            "/api/auth/change_password",
            &[
                ("current_password", "temporary pass 1"),
                ("new_password", "password123"),
            ],
        )
        .await;
    assert_eq!(weak.status, 400);
    assert!(weak.body["fields"]["new_password"].is_string());
    let wrong = app
        .post(
            &browser,
            "/api/auth/change_password",
            &[
                ("current_password", "nope nope nope"),
                ("new_password", "my own secret 42"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 400);

    let ok = app
        .post(
            &browser,
            "/api/auth/change_password",
            &[
                ("current_password", "temporary pass 1"),
                ("new_password", "my own secret 42"),
            ],
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(
        browser
            .get(app.url("/members"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        app.post(
            &browser,
            "/api/members/list",
            &[("workspace_id", &boot.workspace_id)]
        )
        .await
        .status,
        200
    );
    // The other browser's session is gone.
    assert_eq!(
        app.post(&other, "/api/auth/me", &[]).await.body,
        serde_json::Value::Null
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'authn_password_change'",
            &[]
        )
        .await,
        1
    );
    // The old password no longer works; the new one does.
    assert_eq!(
        app.login(&client(), "new@example.com", "temporary pass 1")
            .await
            .status,
        401
    );
    assert_eq!(
        app.login(&client(), "new@example.com", "my own secret 42")
            .await
            .body["must_change_password"],
        false
    );
}

both_backends!(
    expired_temporary_password_is_refused,
    expired_temporary_password_is_refused
);
async fn expired_temporary_password_is_refused(app: TestApp) {
    let boot = app.seed_admin("admin@example.com").await;
    let admin = app.signed_in("admin@example.com").await;
    app.post(
        &admin,
        "/api/admin/users",
        &[
            ("email", "late@example.com"),
            ("password", "temporary pass 1"),
            ("workspace_id", &boot.workspace_id),
            ("role", "workspace_viewer"),
        ],
    )
    .await;
    app.exec(
        "UPDATE users SET temp_password_expires_at = 1 WHERE email = $1",
        &["late@example.com"],
    )
    .await;
    let r = app
        .login(&client(), "late@example.com", "temporary pass 1")
        .await;
    assert_eq!(r.status, 401);
    assert!(
        r.body["error"]
            .as_str()
            .unwrap()
            .contains("ask your admin for a new password"),
        "{}",
        r.text
    );
}

both_backends!(
    signed_in_user_visiting_login_goes_to_members,
    signed_in_user_visiting_login_goes_to_members
);
async fn signed_in_user_visiting_login_goes_to_members(app: TestApp) {
    app.seed_admin("admin@example.com").await;
    let c = app.signed_in("admin@example.com").await;
    let r = c.get(app.url("/login")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/members");
    let page = c
        .get(app.url("/members"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("admin@example.com"),
        "members page is rendered for the user on the server"
    );
}

both_backends!(
    activity_extends_the_idle_expiry,
    activity_extends_the_idle_expiry
);
async fn activity_extends_the_idle_expiry(app: TestApp) {
    app.seed_admin("admin@example.com").await;
    let c = app.signed_in("admin@example.com").await;
    let expiry = "SELECT expires_at FROM sessions";
    let at_sign_in = app.scalar(expiry, &[]).await;
    // Requests within 5 minutes of the last extension do not write...
    app.post(&c, "/api/auth/me", &[]).await;
    assert_eq!(app.scalar(expiry, &[]).await, at_sign_in);
    // ...the first request after that pushes the server-side expiry forward (idle timeout).
    app.exec(
        "UPDATE sessions SET seen_at = seen_at - 301, expires_at = expires_at - 301",
        &[],
    )
    .await;
    assert_eq!(
        app.post(&c, "/api/auth/me", &[]).await.body["email"],
        "admin@example.com"
    );
    let extended = app.scalar(expiry, &[]).await;
    assert!(extended >= at_sign_in, "{extended} >= {at_sign_in}");
    assert!(extended > at_sign_in - 301, "{extended} moved forward");
}

both_backends!(
    sessions_end_when_idle_or_too_old_and_store_no_token,
    sessions_end_when_idle_or_too_old_and_store_no_token
);
async fn sessions_end_when_idle_or_too_old_and_store_no_token(app: TestApp) {
    app.seed_admin("admin@example.com").await;
    let cookie =
        session_cookie(&app.login(&client(), "admin@example.com", PASSWORD).await).expect("cookie");
    let token = cookie.split_once('=').unwrap().1;
    assert_eq!(app.scalar("SELECT COUNT(*) FROM sessions", &[]).await, 1);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM sessions WHERE token_hash = $1 OR flow = $1",
            &[token]
        )
        .await,
        0,
        "the database keeps only a hash of the cookie's token"
    );

    // Idle past SESSION_IDLE_HOURS: the session is gone and the browser is told to drop it.
    app.exec(
        "UPDATE sessions SET expires_at = expires_at - 13 * 3600",
        &[],
    )
    .await;
    let idle = with_cookie(&app, &cookie, "/api/auth/me").await;
    assert_eq!(idle.body, serde_json::Value::Null);
    let cleared = idle
        .headers
        .get(reqwest::header::SET_COOKIE)
        .expect("the dead cookie is cleared")
        .to_str()
        .unwrap();
    assert!(cleared.starts_with("roster_session=;") && cleared.contains("Max-Age=0"));

    // Active, but signed in longer ago than SESSION_LIFETIME_DAYS: ended and deleted.
    let cookie =
        session_cookie(&app.login(&client(), "admin@example.com", PASSWORD).await).expect("cookie");
    app.exec(
        "UPDATE sessions SET signed_in_at = signed_in_at - 8 * 86400",
        &[],
    )
    .await;
    let old = with_cookie(&app, &cookie, "/api/auth/me").await;
    assert_eq!(old.body, serde_json::Value::Null);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM sessions", &[]).await,
        1,
        "the too-old session is deleted (the idle one is left to the sweep)"
    );
}

both_backends!(
    a_burst_of_guesses_is_checked_at_most_the_limit,
    a_burst_of_guesses_is_checked_at_most_the_limit
);
async fn a_burst_of_guesses_is_checked_at_most_the_limit(app: TestApp) {
    app.seed_admin("admin@example.com").await;
    let app = std::sync::Arc::new(app);
    let guesses = (0..40).map(|i| {
        let app = app.clone();
        tokio::spawn(async move {
            app.login(&client(), "admin@example.com", &format!("wrong guess {i}"))
                .await
                .status
        })
    });
    let mut statuses = Vec::new();
    for g in guesses {
        statuses.push(g.await.expect("join"));
    }
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(checked + refused, 40, "{statuses:?}");
    assert!(
        checked <= 5,
        "at most LOGIN_MAX_FAILURES_PER_ACCOUNT (5) guesses reach the password check: {checked}"
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%reason=wrong_password%'",
            &[]
        )
        .await,
        checked as i64,
        "each checked guess is audited as one, and only those"
    );
    // The right password is refused too until the lockout ends.
    assert_eq!(
        app.login(&client(), "admin@example.com", PASSWORD)
            .await
            .status,
        429
    );
}

/// With room for one hash at a time, a burst of sign-ins gets `503` and `Retry-After` for what
/// does not fit, at once; nothing it refused was counted against anyone, and the server serves
/// the next sign-in normally.
mod a_full_hashing_queue_answers_503 {
    use crate::common::{client, spawn_app_with, Backend, TestApp, PASSWORD};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let app = spawn_app_with(Backend::Sqlite, &[("HASH_QUEUE_MAX", "1")]).await;
        body(app.expect("sqlite app")).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        if let Some(app) = spawn_app_with(Backend::Postgres, &[("HASH_QUEUE_MAX", "1")]).await {
            body(app).await;
        }
    }

    async fn body(app: TestApp) {
        app.seed_admin("admin@example.com").await;
        let app = std::sync::Arc::new(app);
        let burst: Vec<_> = (0..16)
            .map(|i| {
                let app = app.clone();
                tokio::spawn(async move {
                    let email = format!("nobody{i}@example.com");
                    let r = app.login(&client(), &email, "some password").await;
                    (r.status, r.headers.get("retry-after").cloned())
                })
            })
            .collect();
        let mut replies = Vec::new();
        for b in burst {
            replies.push(b.await.expect("join"));
        }
        let busy: Vec<_> = replies.iter().filter(|(s, _)| *s == 503).collect();
        let checked = replies.iter().filter(|(s, _)| *s == 401).count();
        assert_eq!(busy.len() + checked, 16, "{replies:?}");
        assert!(
            !busy.is_empty(),
            "a queue of one cannot take 16 at once: {replies:?}"
        );
        assert!(busy
            .iter()
            .all(|(_, h)| h.as_ref().is_some_and(|v| v == "1")));
        // Only the checked attempts count against the address.
        assert_eq!(
            app.scalar(
                "SELECT CAST(COALESCE(SUM(failures), 0) AS BIGINT) FROM auth_throttle WHERE key = 'ip:127.0.0.1'",
                &[]
            )
            .await,
            checked as i64
        );
        assert_eq!(
            app.login(&client(), "admin@example.com", PASSWORD)
                .await
                .status,
            200
        );
    }
}

both_backends!(
    the_sweep_forgets_counters_past_every_window,
    the_sweep_forgets_counters_past_every_window
);
async fn the_sweep_forgets_counters_past_every_window(app: TestApp) {
    let now = roster::server::db::now();
    for (key, started, locked) in [
        ("account:old@example.com", now - 2 * 86_400, "NULL"),
        ("ip:10.0.0.1", now - 2 * 86_400, "NULL"),
        ("account:locked@example.com", now - 2 * 86_400, "9999999999"),
        ("account:recent@example.com", now - 60, "NULL"),
    ] {
        app.exec(
            &format!("INSERT INTO auth_throttle (key, failures, window_started_at, locked_until) VALUES ($1, 3, {started}, {locked})"),
            &[key],
        )
        .await;
    }
    roster::server::sweep::sweep_once(&app.db, now, KEEP_AUDIT_A_YEAR).await;
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM auth_throttle WHERE key IN ('account:locked@example.com', 'account:recent@example.com')", &[]).await,
        2
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM auth_throttle", &[]).await,
        2
    );
}
