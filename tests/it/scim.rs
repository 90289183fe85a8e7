//! SCIM 2.0 provisioning: the request sequences Okta and Microsoft Entra ID send (from their
//! integration guides), each followed by what it did to memberships, invitations, accounts
//! and sessions in the database; the trust rules (no account before its owner signs in, no
//! account of another organization bound without acceptance); and every refusal changing
//! nothing.

use crate::common::{client, Reply, TestApp, PASSWORD};
use crate::fake_idp::{FakeIdp, Signing};
use serde_json::{json, Value};

const SCIM_JSON: &str = "application/scim+json";

/// An identity provider's client: the organization token and the base URL.
struct Idp<'a> {
    app: &'a TestApp,
    token: String,
}

impl Idp<'_> {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        if_match: Option<&str>,
    ) -> Reply {
        let mut req = reqwest::Client::new()
            .request(method, self.app.url(&format!("/scim/v2{path}")))
            .bearer_auth(&self.token)
            .header("accept", SCIM_JSON);
        if let Some(b) = body {
            req = req.header("content-type", SCIM_JSON).body(b.to_string());
        }
        if let Some(m) = if_match {
            req = req.header("if-match", m);
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
    async fn get(&self, path: &str) -> Reply {
        self.send(reqwest::Method::GET, path, None, None).await
    }
    async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(reqwest::Method::POST, path, Some(body), None)
            .await
    }
    async fn put(&self, path: &str, body: Value) -> Reply {
        self.send(reqwest::Method::PUT, path, Some(body), None)
            .await
    }
    async fn patch(&self, path: &str, ops: Value) -> Reply {
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops});
        self.send(reqwest::Method::PATCH, path, Some(body), None)
            .await
    }
    async fn delete(&self, path: &str) -> Reply {
        self.send(reqwest::Method::DELETE, path, None, None).await
    }
}

struct World {
    admin: reqwest::Client,
    org: String,
    /// Engineering → editor, Leads → admin.
    ws_eng: String,
    /// Design → viewer.
    ws_design: String,
    token: String,
}

async fn token_for(app: &TestApp, admin: &reqwest::Client, org: &str, scopes: &str) -> String {
    let r = app
        .post(
            admin,
            "/api/tokens/create",
            &[
                ("name", "identity provider"),
                ("scopes", scopes),
                ("org_id", org),
            ],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["secret"].as_str().unwrap().to_string()
}

async fn map(
    app: &TestApp,
    admin: &reqwest::Client,
    org: &str,
    group: &str,
    ws: &str,
    role: &str,
) -> Reply {
    app.post(
        admin,
        "/api/scim/map",
        &[
            ("org_id", org),
            ("group", group),
            ("workspace_id", ws),
            ("role", role),
        ],
    )
    .await
}

async fn world(app: &TestApp) -> World {
    let boot = app.seed_admin("padmin@example.com").await;
    let admin = app.signed_in("padmin@example.com").await;
    let org = app.org_of(&boot.workspace_id).await;
    let ws_eng = boot.workspace_id.clone();
    let ws_design = app.create_workspace(&admin, &org, "Design").await;
    for (group, ws, role) in [
        ("Engineering", &ws_eng, "workspace_editor"),
        ("Leads", &ws_eng, "workspace_admin"),
        ("Design", &ws_design, "workspace_viewer"),
    ] {
        let r = map(app, &admin, &org, group, ws, role).await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let token = token_for(app, &admin, &org, "scim").await;
    World {
        admin,
        org,
        ws_eng,
        ws_design,
        token,
    }
}

async fn membership(app: &TestApp, ws: &str, email: &str) -> String {
    app.scalar_text(
        "SELECT COALESCE((SELECT role || '/' || role_source FROM workspace_members WHERE workspace_id = $1 AND email = $2), 'none')",
        &[ws, email],
    )
    .await
}

async fn offered(app: &TestApp, ws: &str, email: &str) -> String {
    app.scalar_text(
        "SELECT COALESCE((SELECT workspace_role || '/' || role_source FROM pending_invite_workspaces WHERE workspace_id = $1 AND email = $2), 'none')",
        &[ws, email],
    )
    .await
}

async fn users(app: &TestApp) -> i64 {
    app.scalar("SELECT COUNT(*) FROM users", &[]).await
}

fn okta_user(email: &str, external: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": email,
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"primary": true, "value": email, "type": "work"}],
        "displayName": "Ada Lovelace",
        "locale": "en-US",
        "externalId": external,
        "groups": [],
        "password": "ignored-by-roster",
        "active": true
    })
}

mod okta_provisions_a_joiner_who_exists_only_after_signing_in {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        if let Some((app, idp)) = crate::oidc::spawn(crate::common::Backend::Sqlite, &[]).await {
            super::okta_sequence(app, idp).await;
        }
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        if let Some((app, idp)) = crate::oidc::spawn(crate::common::Backend::Postgres, &[]).await {
            super::okta_sequence(app, idp).await;
        }
    }
}
async fn okta_sequence(app: TestApp, google: FakeIdp) {
    let w = world(&app).await;
    let okta = Idp {
        app: &app,
        token: w.token.clone(),
    };
    let before = users(&app).await;

    // Okta looks the person up by userName first.
    let r = okta
        .get("/Users?filter=userName%20eq%20%22ada%40example.com%22&startIndex=1&count=100")
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["totalResults"], 0);
    assert_eq!(r.headers["content-type"], SCIM_JSON);

    let r = okta
        .post("/Users", okta_user("Ada@Example.com", "00u1"))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let ada = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["active"], true);
    assert!(r.headers["location"]
        .to_str()
        .unwrap()
        .ends_with(&format!("/scim/v2/Users/{ada}")));
    assert_eq!(
        r.headers["etag"].to_str().unwrap(),
        r.body["meta"]["version"].as_str().unwrap()
    );
    assert!(
        r.body.get("password").is_none(),
        "a password is never kept or answered"
    );
    assert_eq!(
        users(&app).await,
        before,
        "no account before its owner signs in"
    );
    assert_eq!(
        offered(&app, &w.ws_eng, "ada@example.com").await,
        "none",
        "no group yet: no access offered"
    );

    // The group push: create, then add the member.
    let r = okta.post("/Groups", json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Engineering", "members": []})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let eng = r.body["id"].as_str().unwrap().to_string();
    let r = okta.patch(&format!("/Groups/{eng}"), json!([{"op": "add", "path": "members", "value": [{"value": ada, "display": "ada@example.com"}]}])).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["members"][0]["value"], ada.as_str());
    assert_eq!(
        offered(&app, &w.ws_eng, "ada@example.com").await,
        "workspace_editor/scim"
    );
    assert_eq!(
        offered(&app, &w.ws_design, "ada@example.com").await,
        "none",
        "an unmapped workspace is untouched"
    );
    assert_eq!(users(&app).await, before);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM mail_outbox", &[]).await,
        0,
        "no email unless the organization sends one"
    );
    let list = app.list_members(&w.admin, &w.ws_eng, "all", "").await;
    let row = list
        .iter()
        .find(|m| m["email"] == "ada@example.com")
        .unwrap()
        .clone();
    assert_eq!(
        (row["status"].as_str(), row["role_source"].as_str()),
        (Some("pending"), Some("scim"))
    );

    let r = okta.get(&format!("/Users/{ada}")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["groups"][0]["display"], "Engineering");

    // Her first Google sign-in accepts what SCIM offered, as an invitation.
    let c = client();
    let to = crate::oidc::sign_in(
        &app,
        &google,
        &c,
        "google-ada",
        "ada@example.com",
        |_| {},
        Signing::Good,
    )
    .await;
    assert_eq!(to, "/members");
    assert_eq!(users(&app).await, before + 1);
    assert_eq!(
        membership(&app, &w.ws_eng, "ada@example.com").await,
        "workspace_editor/scim"
    );
    let account = app
        .scalar_text("SELECT id FROM users WHERE email = 'ada@example.com'", &[])
        .await;
    assert_eq!(
        app.scalar_text("SELECT user_id FROM scim_users WHERE id = $1", &[&ada])
            .await,
        account,
        "the record is bound to the account"
    );

    // A mover: into Leads (admin wins over editor), then out again.
    let r = okta
        .post(
            "/Groups",
            json!({"displayName": "Leads", "members": [{"value": ada}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let leads = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        membership(&app, &w.ws_eng, "ada@example.com").await,
        "workspace_admin/scim"
    );
    let r = okta
        .patch(
            &format!("/Groups/{leads}"),
            json!([{"op": "remove", "path": format!("members[value eq \"{ada}\"]")}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        membership(&app, &w.ws_eng, "ada@example.com").await,
        "workspace_editor/scim"
    );

    // A leaver: Okta deactivates with a path-less replace.
    let r = okta
        .patch(
            &format!("/Users/{ada}"),
            json!([{"op": "replace", "value": {"active": false}}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["active"], false);
    assert_eq!(membership(&app, &w.ws_eng, "ada@example.com").await, "none");
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM users WHERE id = $1 AND disabled_at IS NOT NULL",
            &[&account]
        )
        .await,
        1,
        "the organization managed the account: deactivated"
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM sessions WHERE user_id = $1",
            &[&account]
        )
        .await,
        0
    );
    let me = app.post(&c, "/api/auth/me", &[]).await;
    assert!(me.body.is_null(), "her session ended: {}", me.text);

    // Back: the account SCIM deactivated is restored, with what the groups give.
    let r = okta
        .patch(
            &format!("/Users/{ada}"),
            json!([{"op": "replace", "value": {"active": true}}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM users WHERE id = $1 AND disabled_at IS NULL",
            &[&account]
        )
        .await,
        1
    );
    assert_eq!(
        membership(&app, &w.ws_eng, "ada@example.com").await,
        "workspace_editor/scim"
    );

    // An admin may change a SCIM role by hand (the page asks first): from then on it is the
    // admin's, and SCIM leaves it as it is (a leaver still loses it).
    let r = app
        .post(
            &w.admin,
            "/api/members/set_role",
            &[
                ("workspace_id", &w.ws_eng),
                ("user_id", &account),
                ("role", "workspace_viewer"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        membership(&app, &w.ws_eng, "ada@example.com").await,
        "workspace_viewer/manual"
    );
    let r = okta
        .put(
            &format!("/Users/{ada}"),
            okta_user("ada@example.com", "00u1"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        membership(&app, &w.ws_eng, "ada@example.com").await,
        "workspace_viewer/manual"
    );

    // Delete: access ends, the record goes; the account stays, deactivated.
    let r = okta.delete(&format!("/Users/{ada}")).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(membership(&app, &w.ws_eng, "ada@example.com").await, "none");
    let r = okta.get(&format!("/Users/{ada}")).await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    assert_eq!(r.body["status"], "404");
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM users WHERE id = $1 AND disabled_at IS NOT NULL",
            &[&account]
        )
        .await,
        1
    );

    // Every request was audited with the token as actor, and the page shows the last one.
    let requests = app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'scim_request' AND actor_token LIKE 'identity provider (%'", &[]).await;
    assert_eq!(requests, 12, "{}", app.audit_text().await);
    let s = app
        .post(&w.admin, "/api/scim/settings", &[("org_id", &w.org)])
        .await;
    assert_eq!(s.status, 200, "{}", s.text);
    assert_eq!(s.body["last_request"], format!("GET /scim/v2/Users/{ada}"));
    assert_eq!(s.body["last_status"], 404);
    assert_eq!(s.body["errors_last_day"], 1);
    assert!(s.body["base_url"].as_str().unwrap().ends_with("/scim/v2"));
    assert!(
        !app.audit_text().await.contains(&w.token),
        "the token is never in the audit log"
    );
}

fn entra_user(email: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "externalId": "e-grace",
        "userName": email,
        "active": true,
        "displayName": "Grace Hopper",
        "emails": [{"primary": true, "type": "work", "value": email}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Grace Hopper", "familyName": "Hopper", "givenName": "Grace"},
        "roles": []
    })
}

both_backends!(
    entra_provisions_moves_and_removes_an_existing_account,
    entra_sequence
);
async fn entra_sequence(app: TestApp) {
    let w = world(&app).await;
    let entra = Idp {
        app: &app,
        token: w.token.clone(),
    };
    // An account the organization manages (its only membership is here).
    let grace = app
        .add_user(
            &w.admin,
            "grace@example.com",
            &w.ws_design,
            "workspace_viewer",
        )
        .await;
    let elsewhere = app.sibling(&[]).await;
    let session_elsewhere = elsewhere.signed_in("grace@example.com").await;

    let r = entra
        .get("/Users?filter=userName+eq+%22grace%40example.com%22")
        .await;
    assert_eq!(
        (r.status, r.body["totalResults"].as_i64()),
        (200, Some(0)),
        "{}",
        r.text
    );
    let r = entra.post("/Users", entra_user("grace@example.com")).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.scalar_text("SELECT user_id FROM scim_users WHERE id = $1", &[&id])
            .await,
        grace,
        "a managed account is bound at once"
    );
    assert_eq!(
        membership(&app, &w.ws_design, "grace@example.com").await,
        "workspace_viewer/admin_create",
        "a membership by hand stays while no group maps it"
    );

    // Entra creates groups empty, then adds members; string booleans and capitalised ops.
    let r = entra.post("/Groups", json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "externalId": "g-leads", "displayName": "Team leads"})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let group = r.body["id"].as_str().unwrap().to_string();
    // Mapped by external id, after the group exists: applied at once to its members (none).
    let r = map(
        &app,
        &w.admin,
        &w.org,
        "g-leads",
        &w.ws_design,
        "workspace_editor",
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = map(
        &app,
        &w.admin,
        &w.org,
        "g-leads",
        &w.ws_eng,
        "workspace_editor",
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = entra
        .patch(
            &format!("/Groups/{group}"),
            json!([{"op": "Add", "path": "members", "value": [{"value": id}]}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        membership(&app, &w.ws_eng, "grace@example.com").await,
        "workspace_editor/scim"
    );
    assert_eq!(
        membership(&app, &w.ws_design, "grace@example.com").await,
        "workspace_viewer/admin_create",
        "a membership an admin made stays theirs, though a group maps the workspace"
    );
    let r = entra
        .get("/Groups?filter=displayName+eq+%22team+leads%22&excludedAttributes=members")
        .await;
    assert_eq!(r.body["totalResults"], 1, "{}", r.text);
    assert!(
        r.body["Resources"][0].get("members").is_none(),
        "members excluded as asked"
    );
    let r = entra.get("/Users?filter=externalId+eq+%22e-grace%22").await;
    assert_eq!(r.body["Resources"][0]["id"], id.as_str(), "{}", r.text);

    let r = entra.patch(&format!("/Users/{id}"), json!([
        {"op": "Replace", "path": "displayName", "value": "Rear Admiral Hopper"},
        {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "grace@example.com"},
        {"op": "Replace", "path": "name.givenName", "value": "Grace B."}
    ])).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["displayName"], "Rear Admiral Hopper");
    assert_eq!(r.body["name"]["givenName"], "Grace B.");

    // The leaver, as Entra sends it: a string boolean.
    assert!(!app
        .post(&session_elsewhere, "/api/auth/me", &[])
        .await
        .body
        .is_null());
    let r = entra
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["active"], false);
    assert_eq!(
        membership(&app, &w.ws_design, "grace@example.com").await,
        "none",
        "every membership in the organization ends, the hand-made one too"
    );
    assert_eq!(
        membership(&app, &w.ws_eng, "grace@example.com").await,
        "none"
    );
    assert!(
        app.post(&session_elsewhere, "/api/auth/me", &[])
            .await
            .body
            .is_null(),
        "her session on the other instance ended"
    );
    let again = elsewhere
        .login(&client(), "grace@example.com", PASSWORD)
        .await;
    assert_eq!(
        (again.status, again.body["code"].as_str()),
        (403, Some("account_deactivated"))
    );

    // Group membership removed the way Entra does it, then the user deleted.
    let r = entra
        .patch(
            &format!("/Groups/{group}"),
            json!([{"op": "Remove", "path": "members", "value": [{"value": id}]}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM scim_group_members", &[])
            .await,
        0
    );
    let r = entra.delete(&format!("/Users/{id}")).await;
    assert_eq!(r.status, 204);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM scim_users", &[]).await, 0);
    let r = entra.delete(&format!("/Groups/{group}")).await;
    assert_eq!(r.status, 204);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'user_deactivated' AND detail = 'source=scim'", &[]).await, 1);
}

both_backends!(
    an_account_of_another_organization_is_invited_never_bound,
    another_organization
);
async fn another_organization(app: TestApp) {
    let w = world(&app).await;
    let idp = Idp {
        app: &app,
        token: w.token.clone(),
    };
    let other_org = app.create_org(&w.admin, "Other").await;
    let ws_other = app.create_workspace(&w.admin, &other_org, "Theirs").await;
    let bob = app
        .add_user(&w.admin, "bob@example.com", &ws_other, "workspace_editor")
        .await;

    let r = idp
        .post("/Users", okta_user("bob@example.com", "00u-bob"))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_string();
    let r = idp
        .post(
            "/Groups",
            json!({"displayName": "Engineering", "members": [{"value": id}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM scim_users WHERE user_id IS NOT NULL",
            &[]
        )
        .await,
        0,
        "not bound: the organization does not manage Bob"
    );
    assert_eq!(
        membership(&app, &w.ws_eng, "bob@example.com").await,
        "none",
        "never added without his consent"
    );
    assert_eq!(
        offered(&app, &w.ws_eng, "bob@example.com").await,
        "workspace_editor/scim",
        "an invitation he must accept"
    );

    // An account that belongs nowhere is managed by platform admins alone: SCIM's own offer
    // to it must not make it look like this organization's at the next change.
    let loner = app
        .add_user(
            &w.admin,
            "loner@example.com",
            &w.ws_design,
            "workspace_viewer",
        )
        .await;
    let r = app
        .post(
            &w.admin,
            "/api/members/remove",
            &[("workspace_id", &w.ws_design), ("user_id", &loner)],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = idp
        .post("/Users", okta_user("loner@example.com", "00u-loner"))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let loner_id = r.body["id"].as_str().unwrap().to_string();
    let r = idp
        .get("/Groups?filter=displayName%20eq%20%22Engineering%22")
        .await;
    let eng = r.body["Resources"][0]["id"].as_str().unwrap().to_string();
    let r = idp
        .patch(
            &format!("/Groups/{eng}"),
            json!([{"op": "add", "path": "members", "value": [{"value": loner_id}]}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = idp
        .patch(
            &format!("/Users/{loner_id}"),
            json!([{"op": "replace", "path": "displayName", "value": "Lone"}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = idp
        .patch(
            &format!("/Users/{loner_id}"),
            json!([{"op": "replace", "path": "active", "value": false}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM scim_users WHERE id = $1 AND user_id IS NULL",
            &[&loner_id]
        )
        .await,
        1,
        "never bound"
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM users WHERE id = $1 AND disabled_at IS NULL",
            &[&loner]
        )
        .await,
        1,
        "never deactivated"
    );
    assert_eq!(
        membership(&app, &w.ws_eng, "loner@example.com").await,
        "none"
    );

    // Deactivating him in this organization's directory touches nothing of his.
    let r = idp
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "replace", "path": "active", "value": false}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        offered(&app, &w.ws_eng, "bob@example.com").await,
        "none",
        "the offer is withdrawn"
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM users WHERE id = $1 AND disabled_at IS NULL",
            &[&bob]
        )
        .await,
        1
    );
    assert_eq!(
        membership(&app, &ws_other, "bob@example.com").await,
        "workspace_editor/admin_create"
    );

    // Active again: offered again; he accepts with the link an admin hands him.
    let r = idp
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "replace", "path": "active", "value": true}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let link = app
        .post(
            &w.admin,
            "/api/invites/link",
            &[("workspace_id", &w.ws_eng), ("email", "bob@example.com")],
        )
        .await;
    assert_eq!(link.status, 200, "{}", link.text);
    let token = crate::common::token_of(link.body.as_str().unwrap());
    let bob_client = app.signed_in("bob@example.com").await;
    let r = app
        .post(&bob_client, "/api/invites/accept", &[("token", &token)])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        membership(&app, &w.ws_eng, "bob@example.com").await,
        "workspace_editor/scim"
    );
    assert_eq!(
        app.scalar_text("SELECT user_id FROM scim_users WHERE id = $1", &[&id])
            .await,
        bob,
        "bound once he accepted"
    );

    // Now a leaver here: this organization's access ends, his account and other access stay.
    let r = idp.delete(&format!("/Users/{id}")).await;
    assert_eq!(r.status, 204);
    assert_eq!(membership(&app, &w.ws_eng, "bob@example.com").await, "none");
    assert_eq!(
        membership(&app, &ws_other, "bob@example.com").await,
        "workspace_editor/admin_create"
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM users WHERE id = $1 AND disabled_at IS NULL",
            &[&bob]
        )
        .await,
        1
    );
    assert!(
        !app.post(&bob_client, "/api/auth/me", &[])
            .await
            .body
            .is_null(),
        "his session stays: the organization does not manage him"
    );
}

both_backends!(what_scim_refuses_changes_nothing, refusals);
async fn refusals(app: TestApp) {
    let w = world(&app).await;
    let idp = Idp {
        app: &app,
        token: w.token.clone(),
    };
    let r = idp
        .post("/Users", okta_user("ada@example.com", "00u1"))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let ada = r.body["id"].as_str().unwrap().to_string();
    let version = r.headers["etag"].to_str().unwrap().to_string();
    let snapshot = || async {
        (
            app.scalar("SELECT COUNT(*) FROM scim_users", &[]).await,
            app.scalar("SELECT COUNT(*) FROM scim_groups", &[]).await,
            app.scalar("SELECT COUNT(*) FROM pending_invite_workspaces", &[])
                .await,
            app.scalar_text(
                "SELECT user_name || display_name || CAST(version AS TEXT) FROM scim_users",
                &[],
            )
            .await,
        )
    };
    let before = snapshot().await;

    let anonymous = Idp {
        app: &app,
        token: "nope".into(),
    };
    let r = anonymous.get("/Users").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.headers["www-authenticate"], "Bearer realm=\"roster\"");
    let read_only = Idp {
        app: &app,
        token: token_for(&app, &w.admin, &w.org, "members:read").await,
    };
    assert_eq!(
        read_only
            .post("/Users", okta_user("x@example.com", "x"))
            .await
            .status,
        403
    );
    let personal = app
        .post(
            &w.admin,
            "/api/tokens/create",
            &[("name", "mine"), ("scopes", "members:read")],
        )
        .await;
    let personal = Idp {
        app: &app,
        token: personal.body["secret"].as_str().unwrap().into(),
    };
    assert_eq!(personal.get("/Users").await.status, 403);

    let r = idp.send(reqwest::Method::POST, "/Users", None, None).await;
    assert_eq!(
        (r.status, r.body["scimType"].as_str()),
        (400, Some("invalidSyntax")),
        "{}",
        r.text
    );
    let r = idp.get("/Users?filter=userName%20zz%20%22a%22").await;
    assert_eq!(
        (r.status, r.body["scimType"].as_str()),
        (400, Some("invalidFilter")),
        "{}",
        r.text
    );
    let r = idp.get("/Users?filter=title%20eq%20%22a%22").await;
    assert_eq!(r.body["scimType"], "invalidFilter");
    let r = idp
        .post("/Users", okta_user("ADA@example.com", "other"))
        .await;
    assert_eq!(
        (r.status, r.body["scimType"].as_str()),
        (409, Some("uniqueness")),
        "{}",
        r.text
    );
    let r = idp.post("/Users", json!({"userName": "no address"})).await;
    assert_eq!(
        (r.status, r.body["scimType"].as_str()),
        (400, Some("invalidValue")),
        "{}",
        r.text
    );
    let r = idp
        .send(
            reqwest::Method::PUT,
            &format!("/Users/{ada}"),
            Some(okta_user("ada@example.com", "changed")),
            Some("W/\"99\""),
        )
        .await;
    assert_eq!(r.status, 412, "{}", r.text);
    let r = idp
        .patch(
            &format!("/Users/{ada}"),
            json!([{"op": "replace", "path": "id", "value": "mine"}]),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let r = idp.post("/Groups", json!({"displayName": "Engineering", "members": [{"value": ada}, {"value": "no-such-user"}]})).await;
    assert_eq!(
        (r.status, r.body["scimType"].as_str()),
        (400, Some("invalidValue")),
        "{}",
        r.text
    );
    assert_eq!(
        snapshot().await,
        before,
        "nothing of the refused requests was written"
    );

    // With the right version it goes through.
    let r = idp
        .send(
            reqwest::Method::PUT,
            &format!("/Users/{ada}"),
            Some(okta_user("ada@example.com", "changed")),
            Some(&version),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_ne!(r.headers["etag"].to_str().unwrap(), version);

    // Another organization's token sees none of this one's records.
    let other_org = app.create_org(&w.admin, "Other").await;
    let other = Idp {
        app: &app,
        token: token_for(&app, &w.admin, &other_org, "scim").await,
    };
    assert_eq!(other.get(&format!("/Users/{ada}")).await.status, 404);
    assert_eq!(other.delete(&format!("/Users/{ada}")).await.status, 404);
    assert_eq!(other.get("/Users").await.body["totalResults"], 0);

    // A token whose service account was demoted may no longer provision.
    let service = app
        .scalar_text(
            "SELECT user_id FROM api_tokens WHERE org_id = $1 AND scopes = 'scim'",
            &[&w.org],
        )
        .await;
    let r = app
        .post(
            &w.admin,
            "/api/orgs/set_role",
            &[
                ("org_id", &w.org),
                ("user_id", &service),
                ("role", "org_member"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(idp.delete(&format!("/Users/{ada}")).await.status, 403);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM scim_users", &[]).await, 1);

    // Discovery and paging.
    let r = other.get("/ServiceProviderConfig").await;
    assert_eq!(
        (r.status, r.body["patch"]["supported"].as_bool()),
        (200, Some(true))
    );
    assert_eq!(other.get("/ResourceTypes").await.body["totalResults"], 2);
    assert_eq!(
        other.get("/Schemas").await.body["Resources"][0]["id"],
        "urn:ietf:params:scim:schemas:core:2.0:User"
    );
    for i in 0..5 {
        let r = other
            .post(
                "/Users",
                okta_user(&format!("p{i}@example.com"), &format!("e{i}")),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let page = other.get("/Users?startIndex=3&count=2").await;
    assert_eq!(
        (
            page.body["totalResults"].as_i64(),
            page.body["startIndex"].as_i64(),
            page.body["itemsPerPage"].as_i64()
        ),
        (Some(5), Some(3), Some(2))
    );
    assert_eq!(page.body["Resources"][0]["userName"], "p2@example.com");
    let page = other.get("/Users?filter=userName%20sw%20%22p%22%20and%20not%20(externalId%20eq%20%22e1%22)&count=0").await;
    assert_eq!(page.body["totalResults"], 4, "{}", page.text);
    assert_eq!(other.get("/Nothing").await.status, 404);
}

both_backends!(
    a_scim_client_library_provisions_through_the_api,
    with_a_client_library
);
async fn with_a_client_library(app: TestApp) {
    let w = world(&app).await;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = root.join("end2end/.venv-scim/bin/python");
    let unavailable = root.join("end2end/.venv-scim-unavailable");
    if !python.exists() && std::env::var_os("REQUIRE_SCIM_CLIENT").is_none() {
        if let Ok(why) = std::fs::read_to_string(&unavailable) {
            eprintln!(
                "skipped: set-up could not install scim2-client (set REQUIRE_SCIM_CLIENT=1 \
                 to fail instead): {}",
                why.trim().lines().last().unwrap_or("no reason recorded")
            );
            return;
        }
    }
    assert!(
        python.exists(),
        "{} is missing: `bash scripts/setup.sh --e2e` installs scim2-client there for this test",
        python.display()
    );
    let out = tokio::process::Command::new(&python)
        .arg(root.join("tests/scim/scim2_client_check.py"))
        .arg(app.url("/scim/v2"))
        .arg(&w.token)
        .kill_on_drop(true)
        .output()
        .await
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "scim2-client refused an answer:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let made: Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    let user = made["user"].as_str().unwrap();
    // What the library did is what Roster holds: renamed, then deactivated by a PUT.
    assert_eq!(
        app.scalar_text(
            "SELECT display_name FROM scim_users WHERE id = $1 AND active = FALSE",
            &[user]
        )
        .await,
        "Lin L."
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM scim_group_members WHERE group_id = $1 AND scim_user_id = $2",
            &[made["group"].as_str().unwrap(), user]
        )
        .await,
        1
    );
    assert_eq!(
        offered(&app, &w.ws_eng, "lin@example.com").await,
        "none",
        "inactive: nothing offered"
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM users WHERE email = 'lin@example.com'",
            &[]
        )
        .await,
        0,
        "no account for a provisioned person who never signed in"
    );
}
