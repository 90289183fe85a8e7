//! Hostile input: every endpoint gets a corpus of malformed and malicious values, signed out
//! and signed in as a platform admin (whose calls reach deepest), and must answer each with a
//! client error or success — never a 5xx — and keep serving.

use crate::common::{client, TestApp};

const ENDPOINTS: &[&str] = &[
    "/api/auth/login",
    "/api/auth/me",
    "/api/auth/change_password",
    "/api/auth/identities",
    "/api/auth/unlink",
    "/api/auth/set_name",
    "/api/admin/users",
    "/api/users/deactivate",
    "/api/users/reactivate",
    "/api/users/reset_password",
    "/api/users/erase",
    "/api/members/list",
    "/api/members/set_role",
    "/api/members/remove",
    "/api/invites/create",
    "/api/invites/resend",
    "/api/invites/cancel",
    "/api/invites/link",
    "/api/invites/lookup",
    "/api/invites/accept",
    "/api/invites/decline",
    "/api/invites/mine",
    "/api/orgs/list",
    "/api/orgs/create",
    "/api/workspaces/create",
    "/api/audit/list",
    "/api/orgs/members",
    "/api/orgs/set_role",
    "/api/orgs/remove",
    "/api/workspaces/rename",
    "/api/users/list",
    "/api/users/get",
    "/api/auth/sessions",
    "/api/auth/end_session",
    "/api/auth/end_other_sessions",
];

/// Every field name any endpoint takes.
const FIELDS: &[&str] = &[
    "email",
    "emails",
    "password",
    "name",
    "role",
    "workspace_id",
    "workspace_ids",
    "platform_role",
    "user_id",
    "must_change_password",
    "token",
    "q",
    "status",
    "after",
    "current_password",
    "new_password",
    "issuer",
    "subject",
    "org_id",
    "org_role",
    "session_id",
];

fn corpus() -> Vec<(&'static str, String)> {
    vec![
        ("nul", "a\0b".into()),
        ("controls", "a\u{1}\u{7}\u{1b}[31mb".into()),
        ("crlf", "a\r\nSet-Cookie: x=y".into()),
        ("long", "x".repeat(10_000)),
        ("sql", "' OR '1'='1'; DROP TABLE users; --".into()),
        ("html", "<script>alert(1)</script>&amp;\"'".into()),
        ("unicode", "\u{202e}ÿ\u{fffd}\u{1F600}\u{200b}".into()),
        ("number", "-9223372036854775808".into()),
        ("empty", String::new()),
        ("spaces", "   ".into()),
        ("percent", "%00%ff%".into()),
    ]
}

async fn assert_no_5xx(
    app: &TestApp,
    c: &reqwest::Client,
    who: &str,
    endpoint: &str,
    body: Vec<u8>,
    what: &str,
) {
    let r = c
        .post(app.url(endpoint))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{endpoint} as {who} with {what}: no answer ({e})"));
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    assert!(
        status < 500,
        "{endpoint} as {who} with {what}: {status} {}",
        text.chars().take(300).collect::<String>()
    );
}

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
        .into_bytes()
}

both_backends!(no_input_makes_a_5xx, no_input_makes_a_5xx);
async fn no_input_makes_a_5xx(app: TestApp) {
    let boot = app.seed_admin("admin@example.com").await;
    // A fresh connection per request: thousands of requests through one kept-alive
    // connection would also test the client's reuse of a connection the server is closing.
    let fresh = || {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(0)
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .unwrap()
    };
    let admin = fresh();
    let login = app
        .login(&admin, "admin@example.com", crate::common::PASSWORD)
        .await;
    assert_eq!(login.status, 200, "{}", login.text);
    let anonymous = fresh();
    let ws = boot.workspace_id.clone();
    for (who, c) in [("anonymous", &anonymous), ("platform admin", &admin)] {
        for endpoint in ENDPOINTS {
            // (Logging out is left out: it would end the admin's session mid-corpus; the
            // current password is never sent, so the password is never changed.)
            for (name, value) in corpus() {
                // Every field set to the hostile value...
                let all: Vec<(&str, &str)> = FIELDS.iter().map(|f| (*f, value.as_str())).collect();
                assert_no_5xx(
                    &app,
                    c,
                    who,
                    endpoint,
                    form(&all),
                    &format!("{name} in every field"),
                )
                .await;
                // ...and one field at a time, the others valid, so each value reaches the
                // code behind the field's parser.
                for field in FIELDS {
                    let mut one: Vec<(&str, &str)> = vec![
                        ("workspace_id", ws.as_str()),
                        ("email", "someone@example.com"),
                        ("emails", "someone@example.com"),
                        ("role", "workspace_viewer"),
                        ("name", "Some One"),
                        ("password", "a fine long password"),
                    ];
                    one.retain(|(k, _)| k != field);
                    one.push((field, value.as_str()));
                    assert_no_5xx(
                        &app,
                        c,
                        who,
                        endpoint,
                        form(&one),
                        &format!("{name} in {field}"),
                    )
                    .await;
                }
            }
            // Missing fields, repeated fields, wrong types, invalid UTF-8, not a form at all.
            for (what, body) in [
                ("no fields", Vec::new()),
                (
                    "repeated fields",
                    b"workspace_id=a&workspace_id=b&email=x&email=y&role=a&role=b".to_vec(),
                ),
                (
                    "wrong types",
                    b"must_change_password=maybe&workspace_ids=1&after=%zz".to_vec(),
                ),
                (
                    "invalid UTF-8",
                    b"email=%FF%FE&name=\xff\xfe&workspace_id=\xc3\x28".to_vec(),
                ),
                ("JSON", br#"{"email": "x"}"#.to_vec()),
            ] {
                assert_no_5xx(&app, c, who, endpoint, body, what).await;
            }
        }
    }
    // The check does not depend on the declared type: the server functions decode any body.
    for content_type in [
        "text/plain",
        "application/octet-stream",
        "Application/X-WWW-Form-Urlencoded",
    ] {
        let r = admin
            .post(app.url("/api/auth/unlink"))
            .header("content-type", content_type)
            .body("issuer=a%00b&subject=x")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{content_type}");
    }
    // Still serving, and the admin still signed in (no hostile call ended their session).
    let me = app.post(&admin, "/api/auth/me", &[]).await;
    assert_eq!(me.body["email"], "admin@example.com", "{}", me.text);
    // No hostile value became an account: the only one created is the valid someone@ (by the
    // calls whose other fields were valid).
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM users WHERE email NOT IN ('admin@example.com', 'someone@example.com')", &[]).await,
        0
    );
}

both_backends!(
    control_characters_are_refused_naming_the_field,
    control_characters_are_refused_naming_the_field
);
async fn control_characters_are_refused_naming_the_field(app: TestApp) {
    let boot = app.seed_admin("admin@example.com").await;
    let admin = app.signed_in("admin@example.com").await;
    let ws = boot.workspace_id.as_str();
    let users = app.scalar("SELECT COUNT(*) FROM users", &[]).await;
    for name in ["Ada\0Lovelace", "Ada\r\nLovelace", "Ada\u{1b}[2J"] {
        let r = app
            .post(
                &admin,
                "/api/admin/users",
                &[
                    ("workspace_id", ws),
                    ("email", "ada@example.com"),
                    ("name", name),
                    ("password", "a fine long password"),
                    ("role", "workspace_viewer"),
                ],
            )
            .await;
        assert_eq!(r.status, 400, "{name:?}: {}", r.text);
        assert!(r.body["fields"]["name"].is_string(), "{}", r.text);
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM users", &[]).await, users);
    let r = app
        .post(
            &client(),
            "/api/auth/login",
            &[("email", "admin@example.com"), ("password", "x\0y")],
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.body["fields"]["password"].is_string());
    // A pasted list keeps its line breaks and tabs.
    let r = app
        .post(
            &admin,
            "/api/invites/create",
            &[
                ("workspace_id", ws),
                ("emails", "a@example.com\r\nb@example.com\tc@example.com"),
                ("role", "workspace_viewer"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["results"].as_array().unwrap().len(), 3);
}
