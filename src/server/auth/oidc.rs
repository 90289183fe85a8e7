//! OpenID Connect sign-in (Google by default): authorization code flow with PKCE S256, `state`
//! and `nonce` per attempt, kept in the browser's session, single use, 10 minutes.
//!
//! Identities are keyed on (issuer, `sub`). A first sign-in creates the account only from a
//! pending invitation for the **verified** email; an existing account with that email is never
//! linked automatically.

use crate::server::config::OidcConfig;
use base64::Engine;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, SignatureVerificationError,
    TokenResponse,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

/// How long a sign-in attempt may take between leaving and coming back.
pub const FLOW_TTL_SECS: i64 = 600;
/// Discovery and keys are refetched at least this often (and at once for an unknown key).
const METADATA_TTL: Duration = Duration::from_secs(3600);

/// One sign-in attempt, stored in the browser's session until the callback consumes it.
#[derive(Clone, Serialize, Deserialize)]
pub struct Flow {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub started_at: i64,
    pub return_to: String,
    /// SHA-256 of the invitation token the attempt started from, if any.
    pub invite_token_hash: Option<String>,
    /// Set when a signed-in user links this provider to their account.
    pub link_user_id: Option<String>,
}

/// What a verified ID token says about the person.
#[derive(Debug, Clone)]
pub struct VerifiedIdentity {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: String,
    pub hosted_domain: Option<String>,
    /// Every claim of the ID token, for the role claim of identity-provider role sync.
    pub claims: serde_json::Value,
}

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the identity provider is unreachable or misconfigured: {0}")]
    Provider(String),
    #[error("the identity provider refused the sign-in: {0}")]
    Refused(String),
    #[error("the ID token failed verification: {0}")]
    InvalidToken(String),
}

type Client = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

#[derive(Clone)]
pub struct Oidc {
    config: OidcConfig,
    redirect_url: String,
    http: openidconnect::reqwest::Client,
    cache: Arc<RwLock<Option<(CoreProviderMetadata, Instant)>>>,
}

impl Oidc {
    pub fn new(config: OidcConfig, public_url: &str) -> Result<Oidc, String> {
        let http = openidconnect::reqwest::ClientBuilder::new()
            // Following redirects would let a provider bounce us elsewhere (SSRF).
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Oidc {
            config,
            redirect_url: format!("{public_url}/auth/oidc/callback"),
            http,
            cache: Arc::new(RwLock::new(None)),
        })
    }

    pub fn issuer(&self) -> &str {
        &self.config.issuer
    }

    pub fn role_sync(&self) -> Option<&crate::server::config::RoleSyncConfig> {
        self.config.role_sync.as_ref()
    }

    pub fn allowed_domains(&self) -> &[String] {
        &self.config.allowed_domains
    }

    async fn metadata(&self, refresh: bool) -> Result<CoreProviderMetadata, OidcError> {
        if !refresh {
            if let Some((meta, at)) = self.cache.read().await.as_ref() {
                if at.elapsed() < METADATA_TTL {
                    return Ok(meta.clone());
                }
            }
        }
        let issuer = IssuerUrl::new(self.config.issuer.clone())
            .map_err(|e| OidcError::Provider(e.to_string()))?;
        let meta = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| OidcError::Provider(format!("discovery: {e}")))?;
        *self.cache.write().await = Some((meta.clone(), Instant::now()));
        Ok(meta)
    }

    fn client(&self, meta: CoreProviderMetadata) -> Result<Client, OidcError> {
        let redirect = RedirectUrl::new(self.redirect_url.clone())
            .map_err(|e| OidcError::Provider(e.to_string()))?;
        Ok(CoreClient::from_provider_metadata(
            meta,
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(self.config.client_secret.clone())),
        )
        .set_redirect_uri(redirect))
    }

    /// The provider URL to send the browser to, and the attempt to remember.
    pub async fn start(
        &self,
        return_to: String,
        invite_token_hash: Option<String>,
        link_user_id: Option<String>,
    ) -> Result<(String, Flow), OidcError> {
        let client = self.client(self.metadata(false).await?)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        let flow = Flow {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            started_at: crate::server::db::now(),
            return_to,
            invite_token_hash,
            link_user_id,
        };
        Ok((url.to_string(), flow))
    }

    /// Exchanges the code (with the PKCE verifier) and verifies the ID token: exact issuer, our
    /// client id in the audience and no untrusted extra audience (`azp`), RS256 only, `exp`,
    /// `iat` within a window, `nonce`. An unknown signing key refetches the keys once.
    pub async fn finish(&self, flow: &Flow, code: String) -> Result<VerifiedIdentity, OidcError> {
        let metadata = self.metadata(false).await?;
        let userinfo_endpoint = metadata.userinfo_endpoint().map(|u| u.url().to_string());
        let client = self.client(metadata)?;
        let response = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| OidcError::Provider(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(flow.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                // The provider answered, but its ID token does not even parse (no `sub`…).
                openidconnect::RequestTokenError::Parse(..) => {
                    OidcError::InvalidToken(token_error(&e))
                }
                _ => OidcError::Refused(token_error(&e)),
            })?;
        let id_token = response
            .id_token()
            .ok_or_else(|| OidcError::InvalidToken("no ID token".into()))?
            .clone();
        let nonce = Nonce::new(flow.nonce.clone());
        let verify = |client: &Client| {
            let verifier = client
                .id_token_verifier()
                .set_issue_time_verifier_fn(|iat| {
                    let now = crate::server::db::now();
                    let iat = iat.timestamp();
                    if iat > now + 120 {
                        Err("issued in the future".to_string())
                    } else if iat < now - FLOW_TTL_SECS {
                        Err("issued too long ago".to_string())
                    } else {
                        Ok(())
                    }
                });
            id_token.claims(&verifier, &nonce).cloned()
        };
        let claims = match verify(&client) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                // The provider may have rotated its keys since we cached them.
                let fresh = self.client(self.metadata(true).await?)?;
                verify(&fresh)
            }
            other => other,
        }
        .map_err(|e| OidcError::InvalidToken(e.to_string()))?;
        let raw = id_token.to_string();
        let payload = raw.split('.').nth(1).unwrap_or_default();
        let claims_json: serde_json::Value = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or(serde_json::Value::Null);
        let mut claims_json = claims_json;
        if let Some(sync) = self.config.role_sync.as_ref().filter(|r| r.from_userinfo) {
            // The role claim comes from userinfo: fetched with the access token, and only
            // trusted when it is about the same subject as the verified ID token.
            let endpoint = userinfo_endpoint
                .ok_or_else(|| OidcError::Provider("no userinfo endpoint".into()))?;
            let info: serde_json::Value = self
                .http
                .get(endpoint)
                .bearer_auth(openidconnect::OAuth2TokenResponse::access_token(&response).secret())
                .send()
                .await
                .map_err(|e| OidcError::Provider(format!("userinfo: {e}")))?
                .json()
                .await
                .map_err(|e| OidcError::Provider(format!("userinfo: {e}")))?;
            if info.get("sub").and_then(|v| v.as_str()) != Some(claims.subject().as_str()) {
                return Err(OidcError::InvalidToken(
                    "userinfo is about another subject".into(),
                ));
            }
            if let Some(obj) = claims_json.as_object_mut() {
                match info.get(&sync.claim) {
                    Some(v) => obj.insert(sync.claim.clone(), v.clone()),
                    None => obj.remove(&sync.claim),
                };
            }
        }
        Ok(VerifiedIdentity {
            issuer: claims.issuer().as_str().to_string(),
            subject: claims.subject().as_str().to_string(),
            email: claims.email().map(|e| e.as_str().trim().to_lowercase()),
            email_verified: claims.email_verified() == Some(true),
            name: claims
                .name()
                .and_then(|n| n.get(None))
                // One line of at most 200 characters, as a name typed into Add User.
                .map(|n| crate::domain::requests::name_from_provider(n.as_str()))
                .unwrap_or_default(),
            hosted_domain: claims_json
                .get("hd")
                .and_then(|v| v.as_str())
                .map(str::to_lowercase),
            claims: claims_json,
        })
    }
}

fn token_error<E: std::error::Error>(e: &E) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

/// Constant-time comparison for the `state` parameter.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}
