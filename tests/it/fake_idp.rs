//! An in-process OpenID provider whose tokens can be broken on purpose (a forged signature, a
//! wrong audience…): the cases a real provider cannot produce. Serves discovery, keys and a
//! token endpoint and userinfo on 127.0.0.1; stopped on drop.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const CLIENT_ID: &str = "roster-test-client";
pub const CLIENT_SECRET: &str = "roster-test-secret";

const KEY_A: &str = include_str!("keys/a.pem");
const KEY_B: &str = include_str!("keys/b.pem");
const JWK_A: &str = include_str!("keys/a.jwk.json");

/// How the next ID token is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signing {
    /// RS256 with the published key.
    Good,
    /// `alg: none`, no signature.
    AlgNone,
    /// Claims to be the published key, signed with another one.
    ForgedSignature,
    /// Signed with a key the provider never published.
    UnknownKey,
}

struct Issued {
    claims: Value,
    signing: Signing,
    code_challenge: String,
    used: bool,
}

#[derive(Clone, Default)]
struct Shared {
    codes: Arc<Mutex<HashMap<String, Issued>>>,
    base: Arc<Mutex<String>>,
    /// What `/userinfo` answers, to the bearer of an access token this provider issued.
    userinfo: Arc<Mutex<Value>>,
    access_tokens: Arc<Mutex<Vec<String>>>,
}

pub struct FakeIdp {
    pub issuer: String,
    shared: Shared,
    server: tokio::task::JoinHandle<()>,
}

impl FakeIdp {
    pub async fn start() -> FakeIdp {
        let shared = Shared::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let issuer = format!("http://{}", listener.local_addr().expect("addr"));
        *shared.base.lock().unwrap() = issuer.clone();
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route(
                "/jwks",
                get(|| async {
                    Json(json!({ "keys": [serde_json::from_str::<Value>(JWK_A).unwrap()] }))
                }),
            )
            .route("/token", post(token))
            .route("/userinfo", get(userinfo))
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeIdp {
            issuer,
            shared,
            server,
        }
    }

    /// Registers what the token endpoint answers for `code`.
    pub fn issue(&self, code: &str, claims: Value, signing: Signing, code_challenge: &str) {
        self.shared.codes.lock().unwrap().insert(
            code.to_string(),
            Issued {
                claims,
                signing,
                code_challenge: code_challenge.to_string(),
                used: false,
            },
        );
    }

    /// Sets what the userinfo endpoint answers from now on.
    pub fn set_userinfo(&self, info: Value) {
        *self.shared.userinfo.lock().unwrap() = info;
    }

    /// Google-like claims for a fresh sign-in.
    pub fn claims(&self, sub: &str, email: &str, nonce: &str) -> Value {
        let now = roster::server::db::now();
        json!({
            "iss": self.issuer, "aud": CLIENT_ID, "sub": sub, "email": email, "email_verified": true,
            "name": "Ada Lovelace", "hd": email.split('@').nth(1).unwrap_or(""),
            "iat": now, "exp": now + 300, "nonce": nonce,
        })
    }
}

impl Drop for FakeIdp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn discovery(State(s): State<Shared>) -> Json<Value> {
    let base = s.base.lock().unwrap().clone();
    Json(json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "jwks_uri": format!("{base}/jwks"),
        "userinfo_endpoint": format!("{base}/userinfo"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
}

async fn token(
    State(s): State<Shared>,
    Form(form): Form<HashMap<String, String>>,
) -> (axum::http::StatusCode, Json<Value>) {
    let bad = |e: &str| {
        (
            axum::http::StatusCode::BAD_REQUEST,
            Json(json!({ "error": e })),
        )
    };
    let code = form.get("code").cloned().unwrap_or_default();
    let mut codes = s.codes.lock().unwrap();
    let Some(issued) = codes.get_mut(&code) else {
        return bad("invalid_grant");
    };
    if issued.used {
        return bad("invalid_grant");
    }
    issued.used = true;
    // PKCE S256: the verifier must hash to the challenge sent at authorization.
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(verifier.as_bytes()));
    if challenge != issued.code_challenge {
        return bad("invalid_grant");
    }
    let id_token = sign(&issued.claims, issued.signing);
    let access_token = format!("at-{code}");
    s.access_tokens.lock().unwrap().push(access_token.clone());
    (
        axum::http::StatusCode::OK,
        Json(
            json!({ "access_token": access_token, "token_type": "Bearer", "expires_in": 300, "id_token": id_token }),
        ),
    )
}

async fn userinfo(
    State(s): State<Shared>,
    headers: axum::http::HeaderMap,
) -> (axum::http::StatusCode, Json<Value>) {
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_string();
    if !s.access_tokens.lock().unwrap().contains(&bearer) {
        return (
            axum::http::StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "invalid_token" })),
        );
    }
    (
        axum::http::StatusCode::OK,
        Json(s.userinfo.lock().unwrap().clone()),
    )
}

fn sign(claims: &Value, signing: Signing) -> String {
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let rs256 = |pem: &str, kid: &str| {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.to_string());
        encode(
            &header,
            claims,
            &EncodingKey::from_rsa_pem(pem.as_bytes()).expect("key"),
        )
        .expect("sign")
    };
    match signing {
        Signing::Good => rs256(KEY_A, "key-a"),
        Signing::AlgNone => format!(
            "{}.{}.",
            b64(&json!({"alg": "none", "typ": "JWT"})),
            b64(claims)
        ),
        Signing::ForgedSignature => rs256(KEY_B, "key-a"),
        Signing::UnknownKey => rs256(KEY_B, "key-b"),
    }
}
