//! The people list and a person's page: who sees which accounts, search, status filters and
//! keyset pages; and a person's own sessions.

use crate::common::{client, TestApp, PASSWORD};
use roster::domain::OrgRole;

/// Inserts `n` accounts `p000@bulk.example`… named "Bulk 000"… into `workspace_id`, straight
/// into the database (hashing 60 passwords would only slow the test down).
async fn bulk_people(app: &TestApp, workspace_id: &str, n: usize) {
    for i in 0..n {
        let (id, email, name) = (
            format!("bulk-{i:03}"),
            format!("p{i:03}@bulk.example"),
            format!("Bulk {i:03}"),
        );
        app.exec(
            "INSERT INTO users (id, email, name, created_at) VALUES ($1, $2, $3, 0)",
            &[&id, &email, &name],
        )
        .await;
        app.exec(
            "INSERT INTO workspace_members (workspace_id, user_id, email, role, role_source, joined_at) \
             VALUES ($1, $2, $3, 'workspace_viewer', 'manual', 0)",
            &[workspace_id, &id, &email],
        )
        .await;
    }
}

async fn people(app: &TestApp, c: &reqwest::Client, q: &str, status: &str) -> Vec<String> {
    let mut emails = Vec::new();
    let mut after = String::new();
    loop {
        let r = app
            .post(
                c,
                "/api/users/list",
                &[("q", q), ("status", status), ("after", &after)],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let page = r.body["people"].as_array().unwrap();
        assert!(page.len() <= 50);
        emails.extend(
            page.iter()
                .map(|p| p["email"].as_str().unwrap().to_string()),
        );
        match r.body["next"].as_str() {
            Some(next) => after = next.to_string(),
            None => return emails,
        }
    }
}

both_backends!(
    people_are_listed_a_page_at_a_time_searched_and_filtered,
    people_are_listed_a_page_at_a_time_searched_and_filtered
);
async fn people_are_listed_a_page_at_a_time_searched_and_filtered(app: TestApp) {
    let boot = app.seed_admin("root@example.com").await;
    let platform = app.signed_in("root@example.com").await;
    bulk_people(&app, &boot.workspace_id, 60).await;
    let gone = app
        .add_user(
            &platform,
            "gone@example.com",
            &boot.workspace_id,
            "workspace_viewer",
        )
        .await;
    let r = app
        .post(&platform, "/api/users/deactivate", &[("user_id", &gone)])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let forced = app
        .post(
            &platform,
            "/api/admin/users",
            &[
                ("workspace_id", boot.workspace_id.as_str()),
                ("email", "forced@example.com"),
                ("name", "Zed Forced"),
                ("password", PASSWORD),
                ("role", "workspace_viewer"),
                ("must_change_password", "true"),
            ],
        )
        .await;
    assert_eq!(forced.status, 201, "{}", forced.text);

    // Everyone, in email order, over two pages with no row twice.
    let all = people(&app, &platform, "", "all").await;
    assert_eq!(all.len(), 63);
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(all, sorted);
    // Search by the start of the email, and of the name (any case).
    let by_email = people(&app, &platform, "p05", "all").await;
    assert_eq!(by_email.len(), 10);
    assert!(by_email.iter().all(|e| e.starts_with("p05")));
    assert_eq!(
        people(&app, &platform, "zed", "all").await,
        ["forced@example.com"]
    );
    assert_eq!(people(&app, &platform, "BULK 01", "all").await.len(), 10);
    assert!(people(&app, &platform, "nobody-by-that-name", "all")
        .await
        .is_empty());
    // Status filters.
    assert_eq!(
        people(&app, &platform, "", "deactivated").await,
        ["gone@example.com"]
    );
    assert_eq!(
        people(&app, &platform, "", "must_change_password").await,
        ["forced@example.com"]
    );
    assert!(people(&app, &platform, "", "temporary_password_expired")
        .await
        .is_empty());
    app.exec(
        "UPDATE users SET temp_password_expires_at = 1 WHERE email = 'forced@example.com'",
        &[],
    )
    .await;
    assert_eq!(
        people(&app, &platform, "", "temporary_password_expired").await,
        ["forced@example.com"]
    );
    assert_eq!(people(&app, &platform, "", "active").await.len(), 62);
    // The facts of a row.
    let r = app
        .post(&platform, "/api/users/list", &[("q", "gone@")])
        .await;
    let row = &r.body["people"][0];
    assert_eq!(row["deactivated"], true);
    assert_eq!(row["has_password"], true);
    assert_eq!(row["membership_count"], 1);
    assert!(row["last_sign_in_at"].is_null(), "{row}");
    assert!(!r.text.contains("argon2"), "no hash in a response");

    // Bad input: 400 with the field named.
    let r = app
        .post(&platform, "/api/users/list", &[("status", "sleeping")])
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let r = app
        .post(&platform, "/api/users/list", &[("q", &"x".repeat(500))])
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
}

both_backends!(
    organization_admins_see_only_their_organizations_people,
    organization_admins_see_only_their_organizations_people
);
async fn organization_admins_see_only_their_organizations_people(app: TestApp) {
    let boot = app.seed_admin("root@example.com").await;
    let platform = app.signed_in("root@example.com").await;
    let org = app.create_org(&platform, "Acme").await;
    let acme_ws = app.create_workspace(&platform, &org, "Acme HQ").await;
    let admin = app
        .add_user(
            &platform,
            "orgadmin@acme.example",
            &acme_ws,
            "workspace_viewer",
        )
        .await;
    app.set_org_role(&org, &admin, OrgRole::OrgAdmin).await;
    app.add_user(
        &platform,
        "worker@acme.example",
        &acme_ws,
        "workspace_viewer",
    )
    .await;
    let elsewhere = app
        .add_user(
            &platform,
            "else@other.example",
            &boot.workspace_id,
            "workspace_admin",
        )
        .await;
    let org_admin = app.signed_in("orgadmin@acme.example").await;
    let seen = people(&app, &org_admin, "", "all").await;
    assert!(
        seen.contains(&"worker@acme.example".to_string()),
        "{seen:?}"
    );
    assert!(seen.contains(&"orgadmin@acme.example".to_string()));
    assert!(
        !seen.contains(&"else@other.example".to_string()),
        "{seen:?}"
    );
    let r = app.post(&org_admin, "/api/users/list", &[]).await;
    assert_eq!(r.body["everyone"], false);

    // A workspace admin is no organization admin: no people list.
    let ws_admin = app.signed_in("else@other.example").await;
    let r = app.post(&ws_admin, "/api/users/list", &[]).await;
    assert_eq!(r.status, 403, "{}", r.text);

    // Nor a person's page of someone they share nothing with: 404, as for nobody at all.
    let r = app
        .post(&org_admin, "/api/users/get", &[("user_id", &elsewhere)])
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = app
        .post(&org_admin, "/api/users/get", &[("user_id", "no-such-user")])
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
}

both_backends!(
    a_persons_page_shows_what_the_viewer_may_see_and_do,
    a_persons_page_shows_what_the_viewer_may_see_and_do
);
async fn a_persons_page_shows_what_the_viewer_may_see_and_do(app: TestApp) {
    let boot = app.seed_admin("root@example.com").await;
    let platform = app.signed_in("root@example.com").await;
    let org = app.create_org(&platform, "Other org").await;
    let other_ws = app.create_workspace(&platform, &org, "Elsewhere").await;
    app.add_user(
        &platform,
        "admin@a.example",
        &boot.workspace_id,
        "workspace_admin",
    )
    .await;
    let shared = app
        .add_user(
            &platform,
            "shared@a.example",
            &boot.workspace_id,
            "workspace_viewer",
        )
        .await;
    app.exec(
        "INSERT INTO workspace_members (workspace_id, user_id, email, role, role_source, joined_at) \
         VALUES ($1, $2, 'shared@a.example', 'workspace_editor', 'manual', 0)",
        &[&other_ws, &shared],
    )
    .await;
    let only_here = app
        .add_user(
            &platform,
            "here@a.example",
            &boot.workspace_id,
            "workspace_viewer",
        )
        .await;
    app.signed_in("shared@a.example").await;
    let r = app
        .post(
            &platform,
            "/api/users/deactivate",
            &[("user_id", &only_here)],
        )
        .await;
    assert_eq!(r.status, 200);

    let admin = app.signed_in("admin@a.example").await;
    // Someone also in another organization: one membership seen, one hidden; not managed.
    let r = app
        .post(&admin, "/api/users/get", &[("user_id", &shared)])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["account"]["email"], "shared@a.example");
    assert_eq!(r.body["memberships"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["memberships"][0]["may_change_role"], true);
    assert_eq!(r.body["hidden_memberships"], 1);
    assert_eq!(r.body["may_manage"], false);
    assert_eq!(r.body["may_erase"], false);
    assert!(r.body["account"]["last_sign_in_at"].is_i64(), "{}", r.text);
    assert!(!r.text.contains("Elsewhere"), "{}", r.text);

    // Someone only in the admin's workspace: managed; the audit shows the deactivation.
    let r = app
        .post(&admin, "/api/users/get", &[("user_id", &only_here)])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["may_manage"], true);
    assert_eq!(r.body["account"]["deactivated"], true);
    let actions: Vec<&str> = r.body["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"user_deactivated"), "{actions:?}");

    // The platform admin sees everything and may erase.
    let r = app
        .post(&platform, "/api/users/get", &[("user_id", &shared)])
        .await;
    assert_eq!(r.body["memberships"].as_array().unwrap().len(), 2);
    assert_eq!(r.body["hidden_memberships"], 0);
    assert_eq!(r.body["may_manage"], true);
    assert_eq!(r.body["may_erase"], true);
}

fn with_agent(agent: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .user_agent(agent)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
}

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const SAFARI: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";

both_backends!(
    people_see_and_end_their_own_sessions_and_nobody_elses,
    people_see_and_end_their_own_sessions_and_nobody_elses
);
async fn people_see_and_end_their_own_sessions_and_nobody_elses(app: TestApp) {
    let boot = app.seed_admin("root@example.com").await;
    let platform = app.signed_in("root@example.com").await;
    let user = app
        .add_user(
            &platform,
            "me@a.example",
            &boot.workspace_id,
            "workspace_viewer",
        )
        .await;
    let laptop = with_agent(FIREFOX);
    assert_eq!(
        app.login(&laptop, "me@a.example", PASSWORD).await.status,
        200
    );
    let phone = with_agent(SAFARI);
    assert_eq!(
        app.login(&phone, "me@a.example", PASSWORD).await.status,
        200
    );
    let tablet = with_agent(SAFARI);
    assert_eq!(
        app.login(&tablet, "me@a.example", PASSWORD).await.status,
        200
    );

    let r = app.post(&laptop, "/api/auth/sessions", &[]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let sessions = r.body.as_array().unwrap().clone();
    assert_eq!(sessions.len(), 3, "{}", r.text);
    let current: Vec<_> = sessions.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["browser"], "Firefox on Linux");
    assert_eq!(current[0]["ip"], "127.0.0.1");
    assert_eq!(current[0]["method"], "password");
    // The ids shown are not the sessions' secrets: no token hash is in the answer.
    let hashes: Vec<String> = {
        let n = app
            .scalar("SELECT COUNT(*) FROM sessions WHERE user_id = $1", &[&user])
            .await;
        assert_eq!(n, 3);
        let mut v = Vec::new();
        for s in &sessions {
            v.push(
                app.scalar_text(
                    "SELECT token_hash FROM sessions WHERE public_id = $1",
                    &[s["id"].as_str().unwrap()],
                )
                .await,
            );
        }
        v
    };
    for h in &hashes {
        assert!(!r.text.contains(h.as_str()));
    }

    // Someone else cannot end my session, even knowing its id.
    let phone_id = sessions.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .post(
            &platform,
            "/api/auth/end_session",
            &[("session_id", &phone_id)],
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM sessions WHERE user_id = $1", &[&user])
            .await,
        3
    );

    // I end one other session: that browser is signed out, the others are not.
    let r = app
        .post(
            &laptop,
            "/api/auth/end_session",
            &[("session_id", &phone_id)],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let signed_in = |c: reqwest::Client| {
        let app = &app;
        async move { app.post(&c, "/api/auth/me", &[]).await.body["email"].is_string() }
    };
    let (phone_in, tablet_in) = (
        signed_in(phone.clone()).await,
        signed_in(tablet.clone()).await,
    );
    // Which of the two Safari sessions was ended depends on the order; exactly one is.
    assert!(phone_in ^ tablet_in, "phone {phone_in}, tablet {tablet_in}");
    assert!(signed_in(laptop.clone()).await);
    let r = app
        .post(
            &laptop,
            "/api/auth/end_session",
            &[("session_id", &phone_id)],
        )
        .await;
    assert_eq!(r.status, 404, "ending it twice: {}", r.text);

    // Everywhere else: only this session is left; the platform admin's stays too.
    let r = app.post(&laptop, "/api/auth/end_other_sessions", &[]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body, 1);
    assert!(!signed_in(phone).await && !signed_in(tablet).await);
    assert!(signed_in(laptop.clone()).await);
    assert!(signed_in(platform.clone()).await);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM sessions WHERE user_id = $1", &[&user])
            .await,
        1
    );
    let audit = app.audit_text().await;
    assert!(audit.contains("session_ended"), "{audit}");
    for h in &hashes {
        assert!(
            !audit.contains(h.as_str()),
            "no token hash in the audit log"
        );
    }

    // Ending this session signs me out.
    let r = app.post(&laptop, "/api/auth/sessions", &[]).await;
    let mine = r.body[0]["id"].as_str().unwrap().to_string();
    let r = app
        .post(&laptop, "/api/auth/end_session", &[("session_id", &mine)])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(!signed_in(laptop).await);
    let r = app.post(&client(), "/api/auth/sessions", &[]).await;
    assert_eq!(r.status, 401);
}
