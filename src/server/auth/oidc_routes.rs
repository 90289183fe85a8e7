//! `/auth/oidc/login` and `/auth/oidc/callback`: the browser side of OpenID Connect sign-in.
//! Every refusal ends on a clear page (`/auth/error?reason=…`) and an audit row, never a raw error.

use super::oidc::{same_secret, Flow, VerifiedIdentity, FLOW_TTL_SECS};
use crate::domain::{safe_return_to, AuditAction};
use crate::server::db::audit::{record, AuditEvent};
use crate::server::db::identities::{self, LinkOutcome};
use crate::server::db::invites::{self, AcceptOutcome, Acceptance};
use crate::server::db::now;
use crate::server::db::throttle::{self, Reservation};
use crate::server::db::users::{self, UserRow};
use crate::server::tokens::token_hash;
use crate::server::{AppError, AppState, RequestContext};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use serde::Deserialize;

const START_WINDOW_SECS: i64 = 600;

fn start_key(ip: &str) -> String {
    format!("oidc_start:{ip}")
}

#[derive(Deserialize)]
pub struct LoginParams {
    return_to: Option<String>,
    invite: Option<String>,
}

#[derive(Deserialize)]
pub struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// Why a sign-in was refused: the code of the page that explains it, and the audit reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NotConfigured,
    ProviderUnavailable,
    ProviderRefused,
    Stale,
    InvalidToken,
    EmailNotVerified,
    DomainNotAllowed,
    NotInvited,
    InvitationExpired,
    InvitationInvalid,
    InvitationForAnotherEmail,
    AccountExists,
    Disabled,
    LinkEmailMismatch,
    LinkedToSomeoneElse,
    /// Too many unfinished sign-ins started from this address.
    RateLimited,
}

impl Refusal {
    fn code(&self) -> &'static str {
        match self {
            Refusal::NotConfigured => "not_configured",
            Refusal::ProviderUnavailable => "provider_unavailable",
            Refusal::ProviderRefused => "provider_refused",
            Refusal::Stale => "stale",
            Refusal::InvalidToken => "invalid_token",
            Refusal::EmailNotVerified => "email_not_verified",
            Refusal::DomainNotAllowed => "domain_not_allowed",
            Refusal::NotInvited => "not_invited",
            Refusal::InvitationExpired => "invitation_expired",
            Refusal::InvitationInvalid => "invitation_invalid",
            Refusal::InvitationForAnotherEmail => "invitation_other_email",
            Refusal::AccountExists => "account_exists",
            Refusal::Disabled => "disabled",
            Refusal::LinkEmailMismatch => "link_email_mismatch",
            Refusal::LinkedToSomeoneElse => "linked_elsewhere",
            Refusal::RateLimited => "rate_limited",
        }
    }

    /// The page that explains it: its address carries the reason code and nothing else, so
    /// that nobody can make the page show a text of their choosing.
    fn page(&self) -> Response {
        Redirect::to(&format!("/auth/error?reason={}", self.code())).into_response()
    }
}

async fn refuse(
    state: &AppState,
    refusal: Refusal,
    detail: String,
    email: Option<&str>,
    ip: &str,
) -> Response {
    let ev = AuditEvent {
        action: crate::domain::AuditAction::AuthnLoginFail,
        target: email.map(str::to_string),
        ip: Some(ip.to_string()),
        detail: Some(
            format!("method=oidc reason={} {detail}", refusal.code())
                .trim_end()
                .to_string(),
        ),
        actor_user_id: None,
        actor_token: None,
        workspace_id: None,
    };
    if let Err(e) = record(&state.db, &ev).await {
        tracing::error!(error = %e, "could not audit a refused sign-in");
    }
    tracing::info!(reason = refusal.code(), "oidc sign-in refused");
    refusal.page()
}

/// `GET /auth/oidc/login`: starts a sign-in (optionally through an invitation link).
pub async fn login(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestContext>,
    Query(params): Query<LoginParams>,
) -> Response {
    let invite_token_hash = match params.invite.as_deref() {
        Some(token) => {
            let hash = token_hash(token);
            match invites::find_by_token_hash(&state.db, &hash).await {
                Ok(Some(_)) => Some(hash),
                Ok(None) => return Refusal::InvitationInvalid.page(),
                Err(e) => return AppError::from(e).into_response(),
            }
        }
        None => None,
    };
    start(
        &state,
        &ctx,
        safe_return_to(params.return_to),
        invite_token_hash,
        None,
    )
    .await
}

/// `POST /auth/oidc/link`: a signed-in user links their Google account from the profile. A
/// POST, so that it passes the cross-site check: a link on another site cannot start it.
pub async fn link(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestContext>,
) -> Response {
    let Some(user) = &ctx.user else {
        return Redirect::to("/login?return_to=/profile").into_response();
    };
    let user_id = user.id.clone();
    start(&state, &ctx, "/profile".into(), None, Some(user_id)).await
}

/// Sends the browser to the provider with a new flow kept in the session.
async fn start(
    state: &AppState,
    ctx: &RequestContext,
    return_to: String,
    invite_token_hash: Option<String>,
    link_user_id: Option<String>,
) -> Response {
    let Some(oidc) = &state.oidc else {
        return Refusal::NotConfigured.page();
    };
    // Each start writes a session row for its flow: counted per address, and handed back when
    // the sign-in completes, so that only abandoned starts add up.
    let starts = (start_key(&ctx.ip), state.config.oidc_starts_per_ip);
    match throttle::reserve(&state.db, &starts.0, starts.1, START_WINDOW_SECS).await {
        Ok(Reservation::Granted) => {}
        Ok(Reservation::Refused { .. }) => return Refusal::RateLimited.page(),
        Err(e) => return AppError::from(e).into_response(),
    }
    match oidc.start(return_to, invite_token_hash, link_user_id).await {
        Ok((url, flow)) => {
            let stored = match serde_json::to_string(&flow) {
                Ok(json) => ctx.session.start_flow(&json).await.map_err(AppError::from),
                Err(e) => Err(AppError::Internal(format!("sign-in attempt: {e}"))),
            };
            match stored {
                Ok(()) => Redirect::to(&url).into_response(),
                Err(e) => e.into_response(),
            }
        }
        Err(e) => {
            refuse(
                state,
                Refusal::ProviderUnavailable,
                e.to_string(),
                None,
                &ctx.ip,
            )
            .await
        }
    }
}

pub async fn callback(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestContext>,
    Query(params): Query<CallbackParams>,
) -> Response {
    let ip = ctx.ip.as_str();
    let Some(oidc) = state.oidc.clone() else {
        return Refusal::NotConfigured.page();
    };
    // Single use: the attempt leaves the session whatever happens next.
    let flow: Option<Flow> = match ctx.session.take_flow().await {
        Ok(flow) => flow.and_then(|json| serde_json::from_str(&json).ok()),
        Err(e) => return AppError::from(e).into_response(),
    };
    let Some(flow) = flow else {
        return refuse(
            &state,
            Refusal::Stale,
            "no sign-in in progress".into(),
            None,
            ip,
        )
        .await;
    };
    if !same_secret(params.state.as_deref().unwrap_or(""), &flow.state) {
        return refuse(&state, Refusal::Stale, "state mismatch".into(), None, ip).await;
    }
    if now() - flow.started_at > FLOW_TTL_SECS {
        return refuse(&state, Refusal::Stale, "attempt expired".into(), None, ip).await;
    }
    if let Some(error) = params.error {
        let error: String = error
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(64)
            .collect();
        return refuse(
            &state,
            Refusal::ProviderRefused,
            format!("error={error}"),
            None,
            ip,
        )
        .await;
    }
    let Some(code) = params.code else {
        return refuse(&state, Refusal::ProviderRefused, "no code".into(), None, ip).await;
    };
    let identity = match oidc.finish(&flow, code).await {
        Ok(identity) => identity,
        Err(e @ super::oidc::OidcError::InvalidToken(_)) => {
            return refuse(&state, Refusal::InvalidToken, e.to_string(), None, ip).await;
        }
        Err(e) => return refuse(&state, Refusal::ProviderRefused, e.to_string(), None, ip).await,
    };
    let user = match decide(&state, &identity, &flow, ip).await {
        Ok(SignIn::User(user)) => user,
        Ok(SignIn::Refused(refusal, detail)) => {
            return refuse(&state, refusal, detail, identity.email.as_deref(), ip).await
        }
        Err(e) => return e.into_response(),
    };
    // Roles follow the identity provider at every sign-in (not when merely linking).
    let user = match oidc.role_sync() {
        Some(cfg) if flow.link_user_id.is_none() => {
            match crate::server::role_sync::sync(&state.db, cfg, user, &identity.claims, ip).await {
                Ok(user) => user,
                Err(e) => return e.into_response(),
            }
        }
        _ => user,
    };
    if let Err(e) = ctx
        .session
        .sign_in(&user.id, user.session_version, "oidc")
        .await
    {
        return AppError::from(e).into_response();
    }
    if let Err(e) = users::record_sign_in(&state.db, &user.id, now()).await {
        return AppError::from(e).into_response();
    }
    let ev = AuditEvent {
        actor_user_id: Some(user.id.clone()),
        actor_token: None,
        action: AuditAction::AuthnLoginSuccess,
        target: Some(user.email.clone()),
        ip: Some(ip.to_string()),
        detail: Some(format!("method=oidc issuer={}", identity.issuer)),
        workspace_id: None,
    };
    if let Err(e) = record(&state.db, &ev).await {
        return AppError::from(e).into_response();
    }
    if let Err(e) =
        throttle::release(&state.db, &start_key(ip), state.config.oidc_starts_per_ip).await
    {
        return AppError::from(e).into_response();
    }
    let target = if flow.link_user_id.is_some() {
        "/profile".to_string()
    } else {
        flow.return_to.clone()
    };
    Redirect::to(&target).into_response()
}

/// Who a verified identity signs in as, or why it may not.
enum SignIn {
    User(UserRow),
    /// The page to show and the audit detail.
    Refused(Refusal, String),
}

fn refused(refusal: Refusal, detail: &str) -> Result<SignIn, AppError> {
    Ok(SignIn::Refused(refusal, detail.to_string()))
}

/// Decides who this verified identity is, in this order: a link requested by a signed-in user
/// (from their profile), a known identity, or a first sign-in through an invitation. Nothing
/// else creates an account.
async fn decide(
    state: &AppState,
    id: &VerifiedIdentity,
    flow: &Flow,
    ip: &str,
) -> Result<SignIn, AppError> {
    if let Some(user_id) = &flow.link_user_id {
        return link_from_profile(state, id, user_id, ip).await;
    }
    if let Some(user) = identities::find_user(&state.db, &id.issuer, &id.subject).await? {
        if user.disabled_at.is_some() {
            return refused(Refusal::Disabled, "");
        }
        return Ok(SignIn::User(user));
    }
    first_sign_in(state, id, flow, ip).await
}

/// A signed-in user links this identity from their profile: its verified email must be theirs.
async fn link_from_profile(
    state: &AppState,
    id: &VerifiedIdentity,
    user_id: &str,
    ip: &str,
) -> Result<SignIn, AppError> {
    let db = &state.db;
    let Some(user) = users::find_by_id(db, user_id).await? else {
        return refused(Refusal::Stale, "user gone");
    };
    if !id.email_verified || id.email.as_deref() != Some(user.email.as_str()) {
        return refused(Refusal::LinkEmailMismatch, "");
    }
    let ev = AuditEvent {
        actor_user_id: Some(user.id.clone()),
        actor_token: None,
        action: AuditAction::IdentityLinked,
        target: Some(user.email.clone()),
        ip: Some(ip.to_string()),
        detail: Some(format!("issuer={}", id.issuer)),
        workspace_id: None,
    };
    match identities::link(db, &user.id, &id.issuer, &id.subject, &user.email, &ev).await? {
        LinkOutcome::LinkedToSomeoneElse => refused(Refusal::LinkedToSomeoneElse, ""),
        _ => Ok(SignIn::User(user)),
    }
}

/// After losing a race with a concurrent callback of the same person (two tabs, a double
/// click), the account that callback made; otherwise the refusal given.
async fn signed_up_meanwhile(
    state: &AppState,
    id: &VerifiedIdentity,
    otherwise: Refusal,
    detail: &str,
) -> Result<SignIn, AppError> {
    match identities::find_user(&state.db, &id.issuer, &id.subject).await? {
        Some(user) => Ok(SignIn::User(user)),
        None => refused(otherwise, detail),
    }
}

/// The first sign-in of an identity: a verified email (in an allowed domain) with a pending,
/// unexpired invitation, which one transaction turns into the account.
async fn first_sign_in(
    state: &AppState,
    id: &VerifiedIdentity,
    flow: &Flow,
    ip: &str,
) -> Result<SignIn, AppError> {
    let db = &state.db;
    let Some(email) = id.email.clone().filter(|_| id.email_verified) else {
        return refused(Refusal::EmailNotVerified, "");
    };
    let domains = state
        .oidc
        .as_ref()
        .map(|o| o.allowed_domains())
        .unwrap_or_default();
    if !domains.is_empty()
        && !id
            .hosted_domain
            .as_ref()
            .is_some_and(|hd| domains.contains(hd))
    {
        return refused(
            Refusal::DomainNotAllowed,
            &format!("hd={}", id.hosted_domain.as_deref().unwrap_or("none")),
        );
    }
    if users::find_credentials_by_email(db, &email)
        .await?
        .is_some()
    {
        // Never linked by email: the owner signs in with their password and links from their
        // profile.
        return signed_up_meanwhile(state, id, Refusal::AccountExists, "").await;
    }
    if let Some(hash) = &flow.invite_token_hash {
        match invites::find_by_token_hash(db, hash).await? {
            Some((row, _)) if row.email != email => {
                return refused(Refusal::InvitationForAnotherEmail, "")
            }
            Some(_) => {}
            None => {
                return refused(
                    Refusal::InvitationInvalid,
                    "the link was replaced, cancelled or used",
                )
            }
        }
    }
    let Some(invitation) = invites::find_by_email(db, &email).await? else {
        return signed_up_meanwhile(state, id, Refusal::NotInvited, "").await;
    };
    if invitation.expires_at <= now() {
        return refused(Refusal::InvitationExpired, "");
    }

    // Each inviter must still be allowed to grant what they offered.
    let checked = crate::server::invites::still_grantable(state, &invitation).await?;
    let acceptance = Acceptance {
        email: &email,
        name: &id.name,
        issuer: &id.issuer,
        subject: &id.subject,
        grants: &checked.grants,
        platform_role: checked.platform_role,
        skipped: &checked.skipped,
        ip,
    };
    match invites::accept(db, &acceptance).await {
        Ok(AcceptOutcome::Accepted(user)) => Ok(SignIn::User(user)),
        Ok(AcceptOutcome::Gone) => {
            signed_up_meanwhile(state, id, Refusal::NotInvited, "invitation gone").await
        }
        Err(e) if crate::server::db::is_unique_violation(&e) => {
            signed_up_meanwhile(state, id, Refusal::AccountExists, "email taken meanwhile").await
        }
        Err(e) => Err(e.into()),
    }
}
