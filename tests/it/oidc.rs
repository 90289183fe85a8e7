//! Google sign-in against an in-process provider whose tokens can be broken on purpose.

use crate::common::{client, spawn_app_with, Backend, TestApp, PASSWORD};
use crate::fake_idp::{FakeIdp, Signing, CLIENT_ID, CLIENT_SECRET};
use serde_json::Value;

/// Runs `$body(app, idp)` on SQLite and PostgreSQL with OIDC pointed at a fresh fake provider.
macro_rules! with_idp {
    ($name:ident, $body:ident) => {
        with_idp!($name, $body, &[]);
    };
    ($name:ident, $body:ident, $extra:expr) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some((app, idp)) = super::spawn(crate::common::Backend::Sqlite, $extra).await
                {
                    super::$body(app, idp).await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some((app, idp)) =
                    super::spawn(crate::common::Backend::Postgres, $extra).await
                {
                    super::$body(app, idp).await;
                }
            }
        }
    };
}

pub async fn spawn(backend: Backend, extra: &[(&str, &str)]) -> Option<(TestApp, FakeIdp)> {
    let idp = FakeIdp::start().await;
    let mut vars = vec![
        ("OIDC_ISSUER", idp.issuer.as_str()),
        ("OIDC_CLIENT_ID", CLIENT_ID),
        ("OIDC_CLIENT_SECRET", CLIENT_SECRET),
    ];
    vars.extend_from_slice(extra);
    let app = spawn_app_with(backend, &vars).await?;
    Some((app, idp))
}

pub struct Attempt {
    pub state: String,
    pub nonce: String,
    pub challenge: String,
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).to_string()
}

/// Starts a sign-in in `c`'s browser session; returns what the app sent to the provider.
pub async fn begin(app: &TestApp, c: &reqwest::Client, path: &str) -> Attempt {
    attempt_of(c.get(app.url(path)).send().await.unwrap(), path)
}

/// Starts linking Google from the profile (a POST, as the profile's form sends it).
pub async fn begin_link(app: &TestApp, c: &reqwest::Client) -> Attempt {
    let r = c
        .post(app.url("/auth/oidc/link"))
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    attempt_of(r, "/auth/oidc/link")
}

fn attempt_of(r: reqwest::Response, path: &str) -> Attempt {
    assert_eq!(r.status(), 303, "{path}");
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.contains("/authorize?"), "sent to the provider: {to}");
    assert_eq!(
        query_param(&to, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_eq!(query_param(&to, "client_id").as_deref(), Some(CLIENT_ID));
    assert_eq!(
        query_param(&to, "redirect_uri"),
        Some(format!(
            "{}/auth/oidc/callback",
            r.url().origin().ascii_serialization()
        ))
    );
    Attempt {
        state: query_param(&to, "state").unwrap(),
        nonce: query_param(&to, "nonce").unwrap(),
        challenge: query_param(&to, "code_challenge").unwrap(),
    }
}

/// Where the callback sends the browser.
pub async fn callback(app: &TestApp, c: &reqwest::Client, code: &str, state: &str) -> String {
    let r = c
        .get(app.url(&format!("/auth/oidc/callback?code={code}&state={state}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    r.headers()["location"].to_str().unwrap().to_string()
}

/// A whole sign-in whose ID token claims are `tweak`ed and signed as `signing`.
pub async fn sign_in(
    app: &TestApp,
    idp: &FakeIdp,
    c: &reqwest::Client,
    sub: &str,
    email: &str,
    tweak: impl FnOnce(&mut Value),
    signing: Signing,
) -> String {
    let attempt = begin(app, c, "/auth/oidc/login").await;
    let mut claims = idp.claims(sub, email, &attempt.nonce);
    tweak(&mut claims);
    let code = format!("code-{}", uuid::Uuid::new_v4().simple());
    idp.issue(&code, claims, signing, &attempt.challenge);
    callback(app, c, &code, &attempt.state).await
}

fn ok(_: &mut Value) {}

async fn invite(app: &TestApp, admin: &reqwest::Client, ws: &str, email: &str, role: &str) {
    let r = app
        .post(
            admin,
            "/api/invites/create",
            &[("workspace_id", ws), ("emails", email), ("role", role)],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

async fn users(app: &TestApp) -> i64 {
    app.scalar("SELECT COUNT(*) FROM users", &[]).await
}

with_idp!(
    invited_person_signs_up_with_google,
    invited_person_signs_up_with_google
);
async fn invited_person_signs_up_with_google(app: TestApp, idp: FakeIdp) {
    let boot = app.seed_admin("admin@example.com").await;
    let admin = app.signed_in("admin@example.com").await;
    let org = app.org_of(&boot.workspace_id).await;
    let second = app.create_workspace(&admin, &org, "Second").await;
    app.post(
        &admin,
        "/api/invites/create",
        &[
            ("workspace_id", &boot.workspace_id),
            ("emails", "ada@example.com"),
            ("role", "workspace_editor"),
            ("workspace_ids", &second),
        ],
    )
    .await;
    let before = users(&app).await;

    let c = client();
    let to = sign_in(
        &app,
        &idp,
        &c,
        "google-sub-ada",
        "Ada@Example.com",
        ok,
        Signing::Good,
    )
    .await;
    assert_eq!(to, "/members");
    assert_eq!(users(&app).await, before + 1);
    let me = app.post(&c, "/api/auth/me", &[]).await;
    assert_eq!(me.body["email"], "ada@example.com");
    assert_eq!(me.body["name"], "Ada Lovelace");
    let uid = me.body["user_id"].as_str().unwrap().to_string();
    assert_eq!(app.scalar("SELECT COUNT(*) FROM identities WHERE user_id = $1 AND issuer = $2 AND subject = 'google-sub-ada'", &[&uid, &idp.issuer]).await, 1);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM workspace_members WHERE user_id = $1 AND role = 'workspace_editor' AND role_source = 'invite'", &[&uid]).await, 2);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM pending_invites", &[])
            .await,
        0,
        "invitation consumed"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM pending_invite_workspaces", &[])
            .await,
        0
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'invite_accepted'",
            &[]
        )
        .await,
        2
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'authn_login_success' AND detail LIKE 'method=oidc%'", &[]).await, 1);

    // Signing out and in again: the same user, found by (issuer, sub), even with a new email.
    app.post(&c, "/api/auth/logout", &[]).await;
    let again = client();
    assert_eq!(
        sign_in(
            &app,
            &idp,
            &again,
            "google-sub-ada",
            "ada.l@example.com",
            ok,
            Signing::Good
        )
        .await,
        "/members"
    );
    assert_eq!(
        app.post(&again, "/api/auth/me", &[]).await.body["user_id"],
        uid.as_str()
    );
    assert_eq!(users(&app).await, before + 1);
}

with_idp!(
    a_password_account_is_never_linked_by_email,
    a_password_account_is_never_linked_by_email
);
async fn a_password_account_is_never_linked_by_email(app: TestApp, idp: FakeIdp) {
    let boot = app.seed_admin("admin@example.com").await;
    let admin = app.signed_in("admin@example.com").await;
    app.add_user(
        &admin,
        "grace@example.com",
        &boot.workspace_id,
        "workspace_viewer",
    )
    .await;
    let to = sign_in(
        &app,
        &idp,
        &client(),
        "google-sub-grace",
        "grace@example.com",
        ok,
        Signing::Good,
    )
    .await;
    assert_eq!(to, "/auth/error?reason=account_exists");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM identities", &[]).await, 0);
    let page = client()
        .get(app.url(&to))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Account already exists") && page.contains("link Google from your profile"),
        "{page}"
    );

    // The owner links it from their profile after signing in with the password.
    let grace = app.signed_in("grace@example.com").await;
    // Linking is a POST with the cross-site check: a link or a form on another site cannot
    // start it, and the old GET parameter links nothing.
    let cross_site = grace
        .post(app.url("/auth/oidc/link"))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    let old_way = begin(&app, &grace, "/auth/oidc/login?link=1").await;
    idp.issue(
        "old-way-code",
        idp.claims("google-sub-grace", "grace@example.com", &old_way.nonce),
        Signing::Good,
        &old_way.challenge,
    );
    assert_eq!(
        callback(&app, &grace, "old-way-code", &old_way.state).await,
        "/auth/error?reason=account_exists"
    );
    let grace = app.signed_in("grace@example.com").await;
    let attempt = begin_link(&app, &grace).await;
    idp.issue(
        "link-code",
        idp.claims("google-sub-grace", "grace@example.com", &attempt.nonce),
        Signing::Good,
        &attempt.challenge,
    );
    assert_eq!(
        callback(&app, &grace, "link-code", &attempt.state).await,
        "/profile"
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM identities WHERE subject = 'google-sub-grace'",
            &[]
        )
        .await,
        1
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'identity_linked'",
            &[]
        )
        .await,
        1
    );
    assert_eq!(
        sign_in(
            &app,
            &idp,
            &client(),
            "google-sub-grace",
            "grace@example.com",
            ok,
            Signing::Good
        )
        .await,
        "/members"
    );
    // Unlinking is allowed while the password remains.
    let r = app
        .post(
            &grace,
            "/api/auth/unlink",
            &[("issuer", &idp.issuer), ("subject", "google-sub-grace")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        app.login(&client(), "grace@example.com", PASSWORD)
            .await
            .status,
        200
    );
}

with_idp!(not_invited_is_refused, not_invited_is_refused);
async fn not_invited_is_refused(app: TestApp, idp: FakeIdp) {
    let before = users(&app).await;
    let to = sign_in(
        &app,
        &idp,
        &client(),
        "s1",
        "stranger@example.com",
        ok,
        Signing::Good,
    )
    .await;
    assert_eq!(to, "/auth/error?reason=not_invited");
    assert_eq!(users(&app).await, before);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'authn_login_fail' AND detail LIKE '%reason=not_invited%'", &[]).await, 1);
}

/// Each broken answer is refused with its page, no user is created, and an audit row says why.
async fn refused_case(
    app: &TestApp,
    idp: &FakeIdp,
    tweak: impl FnOnce(&mut Value),
    signing: Signing,
    reason: &str,
) {
    let boot = app.seed_admin("admin@example.com").await;
    let admin = app.signed_in("admin@example.com").await;
    invite(
        app,
        &admin,
        &boot.workspace_id,
        "ada@example.com",
        "workspace_viewer",
    )
    .await;
    let before = users(app).await;
    let to = sign_in(
        app,
        idp,
        &client(),
        "sub-ada",
        "ada@example.com",
        tweak,
        signing,
    )
    .await;
    assert_eq!(to, format!("/auth/error?reason={reason}"));
    assert_eq!(users(app).await, before, "no user created");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM pending_invites", &[])
            .await,
        1,
        "the invitation is untouched"
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'authn_login_fail' AND detail LIKE $1",
            &[&format!("%reason={reason}%")]
        )
        .await,
        1
    );
}

macro_rules! refused {
    ($name:ident, $tweak:expr, $signing:expr, $reason:literal) => {
        refused!($name, $tweak, $signing, $reason, &[]);
    };
    ($name:ident, $tweak:expr, $signing:expr, $reason:literal, $extra:expr) => {
        mod $name {
            use super::*;
            async fn case(app: TestApp, idp: FakeIdp) {
                refused_case(&app, &idp, $tweak, $signing, $reason).await;
            }
            with_idp!(refused, case, $extra);
        }
    };
}

refused!(
    wrong_issuer,
    |c: &mut Value| c["iss"] = "https://evil.example".into(),
    Signing::Good,
    "invalid_token"
);
refused!(
    wrong_audience,
    |c: &mut Value| c["aud"] = "someone-else".into(),
    Signing::Good,
    "invalid_token"
);
refused!(
    untrusted_extra_audience,
    |c: &mut Value| {
        c["aud"] = serde_json::json!([CLIENT_ID, "someone-else"]);
        c["azp"] = CLIENT_ID.into();
    },
    Signing::Good,
    "invalid_token"
);
refused!(alg_none, ok, Signing::AlgNone, "invalid_token");
refused!(bad_signature, ok, Signing::ForgedSignature, "invalid_token");
refused!(unknown_key, ok, Signing::UnknownKey, "invalid_token");
refused!(
    expired_token,
    |c: &mut Value| c["exp"] = (roster::server::db::now() - 60).into(),
    Signing::Good,
    "invalid_token"
);
refused!(
    issued_in_the_future,
    |c: &mut Value| c["iat"] = (roster::server::db::now() + 3600).into(),
    Signing::Good,
    "invalid_token"
);
refused!(
    missing_sub,
    |c: &mut Value| {
        c.as_object_mut().unwrap().remove("sub");
    },
    Signing::Good,
    "invalid_token"
);
refused!(
    nonce_mismatch,
    |c: &mut Value| c["nonce"] = "not-the-nonce".into(),
    Signing::Good,
    "invalid_token"
);
refused!(
    email_not_verified,
    |c: &mut Value| c["email_verified"] = false.into(),
    Signing::Good,
    "email_not_verified"
);
refused!(
    hosted_domain_not_allowed,
    |c: &mut Value| c["hd"] = "gmail.com".into(),
    Signing::Good,
    "domain_not_allowed",
    &[("OIDC_ALLOWED_DOMAINS", "example.com")]
);
with_idp!(expired_invitation_is_refused, expired_invitation_is_refused);
async fn expired_invitation_is_refused(app: TestApp, idp: FakeIdp) {
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
    app.exec("UPDATE pending_invites SET expires_at = 1", &[])
        .await;
    let to = sign_in(
        &app,
        &idp,
        &client(),
        "sub-ada",
        "ada@example.com",
        ok,
        Signing::Good,
    )
    .await;
    assert_eq!(to, "/auth/error?reason=invitation_expired");
    assert_eq!(users(&app).await, 1);
    let page = client()
        .get(app.url(&to))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Ask the person who invited you to send it again"),
        "{page}"
    );
    // Nothing from the address but the reason code reaches the page.
    let forged = client()
        .get(app.url("/auth/error?reason=invitation_expired&who=Mallory%20at%20evil.example"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!forged.contains("Mallory"), "{forged}");
    let unknown = client()
        .get(app.url("/auth/error?reason=Call%20evil.example%20now"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!unknown.contains("evil.example"), "{unknown}");
}

with_idp!(state_mismatch_is_refused, state_mismatch_is_refused);
async fn state_mismatch_is_refused(app: TestApp, idp: FakeIdp) {
    let c = client();
    let attempt = begin(&app, &c, "/auth/oidc/login").await;
    idp.issue(
        "code-1",
        idp.claims("s", "ada@example.com", &attempt.nonce),
        Signing::Good,
        &attempt.challenge,
    );
    assert_eq!(
        callback(&app, &c, "code-1", "forged-state").await,
        "/auth/error?reason=stale"
    );
    // The attempt is gone after one callback, right or wrong.
    assert_eq!(
        callback(&app, &c, "code-1", &attempt.state).await,
        "/auth/error?reason=stale"
    );
    // A callback in another browser (no attempt in its session) is stale too.
    assert_eq!(
        callback(&app, &client(), "code-1", &attempt.state).await,
        "/auth/error?reason=stale"
    );
    assert_eq!(users(&app).await, 0);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%reason=stale%'",
            &[]
        )
        .await,
        3
    );
}

with_idp!(replayed_code_is_refused, replayed_code_is_refused);
async fn replayed_code_is_refused(app: TestApp, idp: FakeIdp) {
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
    app.post(
        &admin,
        "/api/invites/cancel",
        &[
            ("workspace_id", &boot.workspace_id),
            ("email", "ada@example.com"),
        ],
    )
    .await;
    let c = client();
    let first = begin(&app, &c, "/auth/oidc/login").await;
    idp.issue(
        "code-1",
        idp.claims("s", "ada@example.com", &first.nonce),
        Signing::Good,
        &first.challenge,
    );
    assert_eq!(
        callback(&app, &c, "code-1", &first.state).await,
        "/auth/error?reason=not_invited",
        "cancelled invitation"
    );
    // The same code again, in a fresh attempt: the provider refuses it.
    let second = begin(&app, &c, "/auth/oidc/login").await;
    assert_eq!(
        callback(&app, &c, "code-1", &second.state).await,
        "/auth/error?reason=provider_refused"
    );
    assert_eq!(users(&app).await, 1, "only the admin");
}

with_idp!(
    provider_cancel_is_a_clear_page,
    provider_cancel_is_a_clear_page
);
async fn provider_cancel_is_a_clear_page(app: TestApp, _idp: FakeIdp) {
    let c = client();
    let attempt = begin(&app, &c, "/auth/oidc/login").await;
    let r = c
        .get(app.url(&format!(
            "/auth/oidc/callback?error=access_denied&state={}",
            attempt.state
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["location"],
        "/auth/error?reason=provider_refused"
    );
}

with_idp!(
    invitation_link_must_belong_to_the_verified_email,
    invitation_link_must_belong_to_the_verified_email
);
async fn invitation_link_must_belong_to_the_verified_email(app: TestApp, idp: FakeIdp) {
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
    invite(
        &app,
        &admin,
        &boot.workspace_id,
        "bob@example.com",
        "workspace_viewer",
    )
    .await;
    let link = app
        .post(
            &admin,
            "/api/invites/link",
            &[
                ("workspace_id", &boot.workspace_id),
                ("email", "ada@example.com"),
            ],
        )
        .await
        .body
        .as_str()
        .unwrap()
        .to_string();
    let token = link.rsplit('/').next().unwrap().to_string();
    // Bob opens Ada's link and signs in as Bob.
    let c = client();
    let attempt = begin(&app, &c, &format!("/auth/oidc/login?invite={token}")).await;
    idp.issue(
        "c",
        idp.claims("sub-bob", "bob@example.com", &attempt.nonce),
        Signing::Good,
        &attempt.challenge,
    );
    assert_eq!(
        callback(&app, &c, "c", &attempt.state).await,
        "/auth/error?reason=invitation_other_email"
    );
    // Ada, from her link: accepted.
    let ada = client();
    let attempt = begin(&app, &ada, &format!("/auth/oidc/login?invite={token}")).await;
    idp.issue(
        "d",
        idp.claims("sub-ada", "ada@example.com", &attempt.nonce),
        Signing::Good,
        &attempt.challenge,
    );
    assert_eq!(callback(&app, &ada, "d", &attempt.state).await, "/members");
    // A dead link does not even start.
    let r = client()
        .get(app.url(&format!("/auth/oidc/login?invite={}", "0".repeat(64))))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["location"],
        "/auth/error?reason=invitation_invalid"
    );
}

with_idp!(
    inviter_who_lost_the_right_grants_nothing,
    inviter_who_lost_the_right_grants_nothing
);
async fn inviter_who_lost_the_right_grants_nothing(app: TestApp, idp: FakeIdp) {
    let boot = app.seed_admin("admin@example.com").await;
    let admin = app.signed_in("admin@example.com").await;
    let wsadmin_id = app
        .add_user(
            &admin,
            "wsadmin@example.com",
            &boot.workspace_id,
            "workspace_admin",
        )
        .await;
    let wsadmin = app.signed_in("wsadmin@example.com").await;
    invite(
        &app,
        &wsadmin,
        &boot.workspace_id,
        "ada@example.com",
        "workspace_admin",
    )
    .await;
    // The inviter is demoted before Ada accepts.
    app.post(
        &admin,
        "/api/members/set_role",
        &[
            ("workspace_id", &boot.workspace_id),
            ("user_id", &wsadmin_id),
            ("role", "workspace_viewer"),
        ],
    )
    .await;
    assert_eq!(
        sign_in(
            &app,
            &idp,
            &client(),
            "sub-ada",
            "ada@example.com",
            ok,
            Signing::Good
        )
        .await,
        "/members"
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM workspace_members m JOIN users u ON u.id = m.user_id WHERE u.email = 'ada@example.com'", &[]).await, 0);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'invite_row_skipped'",
            &[]
        )
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_racing_first_sign_ins_make_one_user() {
    let Some((app, idp)) = spawn(Backend::Postgres, &[]).await else {
        return;
    };
    let boot = app.seed_admin("admin@example.com").await;
    let admin = app.signed_in("admin@example.com").await;
    let org = app.org_of(&boot.workspace_id).await;
    let second = app.create_workspace(&admin, &org, "Second").await;
    app.post(
        &admin,
        "/api/invites/create",
        &[
            ("workspace_id", &boot.workspace_id),
            ("emails", "ada@example.com"),
            ("role", "workspace_editor"),
            ("workspace_ids", &second),
        ],
    )
    .await;

    let mut ready = Vec::new();
    for i in 0..20 {
        let c = client();
        let attempt = begin(&app, &c, "/auth/oidc/login").await;
        let code = format!("race-{i}");
        idp.issue(
            &code,
            idp.claims("sub-ada", "ada@example.com", &attempt.nonce),
            Signing::Good,
            &attempt.challenge,
        );
        ready.push((c, code, attempt.state));
    }
    let app = std::sync::Arc::new(app);
    let handles: Vec<_> = ready
        .into_iter()
        .map(|(c, code, state)| {
            let app = app.clone();
            tokio::spawn(async move { callback(&app, &c, &code, &state).await })
        })
        .collect();
    for h in handles {
        assert_eq!(
            h.await.unwrap(),
            "/members",
            "every racer ends signed in as the one new user"
        );
    }
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM users WHERE email = 'ada@example.com'",
            &[]
        )
        .await,
        1
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM identities", &[]).await, 1);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM workspace_members m JOIN users u ON u.id = m.user_id WHERE u.email = 'ada@example.com'", &[]).await, 2);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM pending_invites", &[])
            .await,
        0
    );
}

with_idp!(first_admin_by_google, first_admin_by_google);
async fn first_admin_by_google(app: TestApp, idp: FakeIdp) {
    let hash = roster::server::tokens::new_token().1;
    roster::server::db::invites::bootstrap_invitation(
        &app.db,
        "root@example.com",
        roster::server::db::now() + 3600,
        &hash,
    )
    .await
    .unwrap();
    let c = client();
    assert_eq!(
        sign_in(
            &app,
            &idp,
            &c,
            "sub-root",
            "root@example.com",
            ok,
            Signing::Good
        )
        .await,
        "/members"
    );
    let me = app.post(&c, "/api/auth/me", &[]).await;
    assert_eq!(me.body["platform_role"], "platform_admin");
    assert_eq!(me.body["workspaces"][0]["my_role"], "workspace_admin");
}

with_idp!(
    a_platform_role_offer_belongs_to_its_granter,
    a_platform_role_offer_belongs_to_its_granter
);
async fn a_platform_role_offer_belongs_to_its_granter(app: TestApp, idp: FakeIdp) {
    let boot = app.seed_admin("admin@example.com").await;
    let ws = boot.workspace_id.as_str();
    let admin = app.signed_in("admin@example.com").await;
    app.add_user(&admin, "wsadmin@example.com", ws, "workspace_admin")
        .await;
    let wsadmin = app.signed_in("wsadmin@example.com").await;
    let offer = |email: &'static str| {
        let admin = admin.clone();
        let app = &app;
        async move {
            let r = app
                .post(
                    &admin,
                    "/api/invites/create",
                    &[
                        ("workspace_id", ws),
                        ("emails", email),
                        ("role", "workspace_viewer"),
                        ("platform_role", "platform_operator"),
                    ],
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.text);
        }
    };
    // A workspace admin re-invites after the platform admin: the offer stays, and holds.
    offer("bob@example.com").await;
    invite(&app, &wsadmin, ws, "bob@example.com", "workspace_editor").await;
    let to = sign_in(
        &app,
        &idp,
        &client(),
        "sub-bob",
        "bob@example.com",
        ok,
        Signing::Good,
    )
    .await;
    assert_eq!(to, "/members");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM users WHERE email = 'bob@example.com' AND platform_role = 'platform_operator'", &[]).await,
        1
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM workspace_members WHERE email = 'bob@example.com' AND role = 'workspace_editor'", &[]).await,
        1
    );

    // The offer holds until its own expiry, which a workspace admin's Resend does not renew.
    offer("ada@example.com").await;
    app.exec(
        "UPDATE pending_invites SET platform_role_expires_at = 1 WHERE email = 'ada@example.com'",
        &[],
    )
    .await;
    let resent = app
        .post(
            &wsadmin,
            "/api/invites/resend",
            &[("workspace_id", ws), ("email", "ada@example.com")],
        )
        .await;
    assert_eq!(resent.status, 200, "{}", resent.text);
    let to = sign_in(
        &app,
        &idp,
        &client(),
        "sub-ada",
        "ada@example.com",
        ok,
        Signing::Good,
    )
    .await;
    assert_eq!(to, "/members");
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM users WHERE email = 'ada@example.com' AND platform_role IS NULL",
            &[]
        )
        .await,
        1,
        "the expired platform-role offer is not granted"
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM workspace_members WHERE email = 'ada@example.com'",
            &[]
        )
        .await,
        1,
        "the renewed workspace row is"
    );
}

with_idp!(
    unfinished_starts_are_counted_per_address,
    unfinished_starts_are_counted_per_address,
    &[("OIDC_STARTS_PER_IP", "3")]
);
async fn unfinished_starts_are_counted_per_address(app: TestApp, idp: FakeIdp) {
    let _ = &idp;
    let mut places = Vec::new();
    for _ in 0..5 {
        let r = client()
            .get(app.url("/auth/oidc/login"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        places.push(r.headers()["location"].to_str().unwrap().to_string());
    }
    assert!(
        places[..3].iter().all(|p| p.contains("/authorize?")),
        "{places:?}"
    );
    assert!(
        places[3..]
            .iter()
            .all(|p| p == "/auth/error?reason=rate_limited"),
        "{places:?}"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM sessions", &[]).await,
        3,
        "a refused start writes no session row"
    );
    let page = client()
        .get(app.url("/auth/error?reason=rate_limited"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Too many sign-in attempts"), "{page}");
}

with_idp!(
    unlinking_ends_the_sessions_it_opened_and_never_the_last_way_in,
    unlinking_ends_the_sessions_it_opened_and_never_the_last_way_in
);
async fn unlinking_ends_the_sessions_it_opened_and_never_the_last_way_in(
    app: TestApp,
    idp: FakeIdp,
) {
    let boot = app.seed_admin("admin@example.com").await;
    let admin = app.signed_in("admin@example.com").await;
    let ada = app
        .add_user(
            &admin,
            "ada@example.com",
            &boot.workspace_id,
            "workspace_viewer",
        )
        .await;
    let link = |sub: &str| {
        format!(
            "INSERT INTO identities (issuer, subject, user_id, email_at_link, created_at) \
             VALUES ('{}', '{sub}', '{ada}', 'ada@example.com', 0)",
            idp.issuer
        )
    };
    app.exec(&link("sub-ada"), &[]).await;
    // One session with the password, one through Google.
    let by_password = app.signed_in("ada@example.com").await;
    let by_google = client();
    let to = sign_in(
        &app,
        &idp,
        &by_google,
        "sub-ada",
        "ada@example.com",
        ok,
        Signing::Good,
    )
    .await;
    assert_eq!(to, "/members");
    let me = |c: &reqwest::Client| {
        let c = c.clone();
        let app = &app;
        async move { app.post(&c, "/api/auth/me", &[]).await.body["email"].clone() }
    };
    assert_eq!(me(&by_google).await, "ada@example.com");
    let r = app
        .post(
            &by_password,
            "/api/auth/unlink",
            &[("issuer", idp.issuer.as_str()), ("subject", "sub-ada")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        me(&by_google).await,
        Value::Null,
        "the Google session ended with its identity"
    );
    assert_eq!(
        me(&by_password).await,
        "ada@example.com",
        "the password session goes on"
    );

    // Without a password and with two identities, two concurrent unlinks leave one.
    app.exec(
        "UPDATE users SET password_hash = NULL WHERE id = $1",
        &[&ada],
    )
    .await;
    app.exec(&link("sub-1"), &[]).await;
    app.exec(&link("sub-2"), &[]).await;
    let app = std::sync::Arc::new(app);
    let unlinks: Vec<_> = ["sub-1", "sub-2"]
        .into_iter()
        .map(|sub| {
            let (app, c, issuer) = (app.clone(), by_password.clone(), idp.issuer.clone());
            tokio::spawn(async move {
                app.post(
                    &c,
                    "/api/auth/unlink",
                    &[("issuer", issuer.as_str()), ("subject", sub)],
                )
                .await
                .status
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for u in unlinks {
        statuses.push(u.await.unwrap());
    }
    statuses.sort();
    assert_eq!(statuses, vec![200, 409]);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM identities WHERE user_id = $1",
            &[&ada]
        )
        .await,
        1
    );
}

with_idp!(
    a_hostile_return_path_never_leaves_the_origin,
    a_hostile_return_path_never_leaves_the_origin
);
async fn a_hostile_return_path_never_leaves_the_origin(app: TestApp, idp: FakeIdp) {
    let boot = app.seed_admin("admin@example.com").await;
    let _ = boot;
    app.exec(
        &format!(
            "INSERT INTO identities (issuer, subject, user_id, email_at_link, created_at) \
             SELECT '{}', 'sub-admin', id, email, 0 FROM users WHERE email = 'admin@example.com'",
            idp.issuer
        ),
        &[],
    )
    .await;
    let hostile = [
        "//evil.example",
        "/\t/evil.example",
        "/\r\n/evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "/ /evil.example",
        "/\u{a0}/evil.example",
        "evil.example",
        "",
    ];
    for (i, value) in hostile.iter().enumerate() {
        let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
        let c = client();
        let attempt = begin(&app, &c, &format!("/auth/oidc/login?return_to={encoded}")).await;
        let code = format!("hostile-{i}");
        idp.issue(
            &code,
            idp.claims("sub-admin", "admin@example.com", &attempt.nonce),
            Signing::Good,
            &attempt.challenge,
        );
        assert_eq!(
            callback(&app, &c, &code, &attempt.state).await,
            "/members",
            "return_to {value:?}"
        );
    }
    // A percent-encoded line break is only text in a path on this origin (the browser does
    // not decode it into one), so it is kept as it is.
    let c = client();
    let attempt = begin(
        &app,
        &c,
        "/auth/oidc/login?return_to=%2F%250A%2Fevil.example",
    )
    .await;
    idp.issue(
        "encoded",
        idp.claims("sub-admin", "admin@example.com", &attempt.nonce),
        Signing::Good,
        &attempt.challenge,
    );
    assert_eq!(
        callback(&app, &c, "encoded", &attempt.state).await,
        "/%0A/evil.example"
    );
    // A path on this origin is kept.
    let c = client();
    let attempt = begin(&app, &c, "/auth/oidc/login?return_to=%2Faudit%3Fpage%3D2").await;
    idp.issue(
        "fine",
        idp.claims("sub-admin", "admin@example.com", &attempt.nonce),
        Signing::Good,
        &attempt.challenge,
    );
    assert_eq!(
        callback(&app, &c, "fine", &attempt.state).await,
        "/audit?page=2"
    );
}
