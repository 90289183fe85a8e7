//! `/auth/oidc/login` and `/auth/oidc/callback`: the browser side of OpenID Connect sign-in.
//! Every refusal ends on a clear page (`/auth/error?reason=…`) and an audit row, never a raw error.

use super::oidc::{same_secret, Flow, VerifiedIdentity, FLOW_TTL_SECS};
use crate::components::safe_return_to;
use crate::domain::{can, Action, PlatformRole, Target, WorkspaceRole};
use crate::server::db::audit::{record, AuditEvent};
use crate::server::db::identities::{self, LinkOutcome};
use crate::server::db::invites::{self, AcceptOutcome, Acceptance, Grant};
use crate::server::db::now;
use crate::server::db::users::{self, UserRow};
use crate::server::invites::token_hash;
use crate::server::{AppError, AppState, RequestContext};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct LoginParams {
    return_to: Option<String>,
    invite: Option<String>,
    link: Option<String>,
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
    InvitationExpired { invited_by: Option<String> },
    InvitationInvalid,
    InvitationForAnotherEmail,
    AccountExists,
    Disabled,
    LinkEmailMismatch,
    LinkedToSomeoneElse,
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
            Refusal::InvitationExpired { .. } => "invitation_expired",
            Refusal::InvitationInvalid => "invitation_invalid",
            Refusal::InvitationForAnotherEmail => "invitation_other_email",
            Refusal::AccountExists => "account_exists",
            Refusal::Disabled => "disabled",
            Refusal::LinkEmailMismatch => "link_email_mismatch",
            Refusal::LinkedToSomeoneElse => "linked_elsewhere",
        }
    }

    fn page(&self) -> Response {
        let mut url = format!("/auth/error?reason={}", self.code());
        if let Refusal::InvitationExpired {
            invited_by: Some(who),
        } = self
        {
            url.push_str("&who=");
            url.push_str(&form_encode(who));
        }
        Redirect::to(&url).into_response()
    }
}

fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'@' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn refuse(
    state: &AppState,
    refusal: Refusal,
    detail: String,
    email: Option<&str>,
    ip: &str,
) -> Response {
    let ev = AuditEvent {
        action: "authn_login_fail",
        target: email.map(str::to_string),
        ip: Some(ip.to_string()),
        detail: Some(
            format!("method=oidc reason={} {detail}", refusal.code())
                .trim_end()
                .to_string(),
        ),
        ..Default::default()
    };
    if let Err(e) = record(&state.db, &ev).await {
        tracing::error!(error = %e, "could not audit a refused sign-in");
    }
    tracing::info!(reason = refusal.code(), "oidc sign-in refused");
    refusal.page()
}

pub async fn login(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestContext>,
    Query(params): Query<LoginParams>,
) -> Response {
    let Some(oidc) = &state.oidc else {
        return Refusal::NotConfigured.page();
    };
    let return_to = safe_return_to(params.return_to);
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
    let link_user_id = match (params.link.is_some(), &ctx.user) {
        (true, Some(user)) => Some(user.id.clone()),
        (true, None) => return Redirect::to("/login?return_to=/profile").into_response(),
        (false, _) => None,
    };
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
                &state,
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
    let decision = match complete(&state, &identity, &flow, ip).await {
        // Roles follow the identity provider at every sign-in (not when merely linking).
        Ok(Ok(user)) if flow.link_user_id.is_none() => match oidc.role_sync() {
            Some(cfg) => crate::server::role_sync::sync(&state.db, cfg, user, &identity.claims, ip)
                .await
                .map(Ok),
            None => Ok(Ok(user)),
        },
        other => other,
    };
    match decision {
        Ok(Ok(user)) => match ctx
            .session
            .sign_in(&user.id, user.session_version, "oidc")
            .await
        {
            Ok(()) => {
                let ev = AuditEvent {
                    actor_user_id: Some(user.id.clone()),
                    action: "authn_login_success",
                    target: Some(user.email.clone()),
                    ip: Some(ip.to_string()),
                    detail: Some(format!("method=oidc issuer={}", identity.issuer)),
                    ..Default::default()
                };
                if let Err(e) = record(&state.db, &ev).await {
                    return AppError::from(e).into_response();
                }
                let target = if flow.link_user_id.is_some() {
                    "/profile".to_string()
                } else {
                    flow.return_to.clone()
                };
                Redirect::to(&target).into_response()
            }
            Err(e) => AppError::from(e).into_response(),
        },
        Ok(Err((refusal, detail))) => {
            refuse(&state, refusal, detail, identity.email.as_deref(), ip).await
        }
        Err(e) => e.into_response(),
    }
}

type Decision = Result<Result<UserRow, (Refusal, String)>, AppError>;

/// Decides who this verified identity is: a known identity, a link requested by a signed-in
/// user, or the acceptance of a pending invitation. Nothing else creates an account.
async fn complete(state: &AppState, id: &VerifiedIdentity, flow: &Flow, ip: &str) -> Decision {
    let db = &state.db;
    let refused = |r: Refusal, d: &str| Ok(Err((r, d.to_string())));

    if let Some(user_id) = &flow.link_user_id {
        let Some(user) = users::find_by_id(db, user_id).await? else {
            return refused(Refusal::Stale, "user gone");
        };
        if !id.email_verified || id.email.as_deref() != Some(user.email.as_str()) {
            return refused(Refusal::LinkEmailMismatch, "");
        }
        let ev = AuditEvent {
            actor_user_id: Some(user.id.clone()),
            action: "identity_linked",
            target: Some(user.email.clone()),
            ip: Some(ip.to_string()),
            detail: Some(format!("issuer={}", id.issuer)),
            ..Default::default()
        };
        return match identities::link(db, &user.id, &id.issuer, &id.subject, &user.email, &ev)
            .await?
        {
            LinkOutcome::LinkedToSomeoneElse => refused(Refusal::LinkedToSomeoneElse, ""),
            _ => Ok(Ok(user)),
        };
    }

    if let Some(user) = identities::find_user(db, &id.issuer, &id.subject).await? {
        if user.disabled_at.is_some() {
            return refused(Refusal::Disabled, "");
        }
        return Ok(Ok(user));
    }

    // First sign-in with this identity.
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
        // A concurrent callback of this same person may have just created the account.
        if let Some(user) = identities::find_user(db, &id.issuer, &id.subject).await? {
            return Ok(Ok(user));
        }
        // Never linked by email: the owner signs in with their password and links from their profile.
        return refused(Refusal::AccountExists, "");
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
        // A concurrent callback of this same person may have just accepted it.
        if let Some(user) = identities::find_user(db, &id.issuer, &id.subject).await? {
            return Ok(Ok(user));
        }
        return refused(Refusal::NotInvited, "");
    };
    if invitation.expires_at <= now() {
        let invited_by = invitation
            .inviter_name
            .clone()
            .filter(|n| !n.is_empty())
            .or(invitation.inviter_email.clone());
        return refused(Refusal::InvitationExpired { invited_by }, "");
    }

    // Re-check that each inviter may still grant what they offered.
    let mut grants = Vec::new();
    let mut skipped = Vec::new();
    for row in invites::workspaces_of(db, &email).await? {
        let Ok(role) = row.workspace_role.parse::<WorkspaceRole>() else {
            continue;
        };
        if inviter_may(state, row.invited_by_user_id.as_deref(), |actor| {
            can(
                actor,
                Action::Invite,
                Target::Workspace {
                    workspace_id: &row.workspace_id,
                    org_id: &row.org_id,
                },
            )
        })
        .await?
        {
            grants.push(Grant {
                workspace_id: row.workspace_id,
                role,
                invited_by: row.invited_by_user_id,
            });
        } else {
            skipped.push(row.workspace_id);
        }
    }
    let platform_role = match invitation
        .platform_role
        .as_deref()
        .and_then(|r| r.parse::<PlatformRole>().ok())
    {
        Some(r) => {
            let inviter = invites::inviter_of(db, &email).await?;
            inviter_may(state, inviter.as_deref(), |actor| actor.is_platform_admin())
                .await?
                .then_some(r)
        }
        None => None,
    };
    let acceptance = Acceptance {
        email: &email,
        name: &id.name,
        issuer: &id.issuer,
        subject: &id.subject,
        grants: &grants,
        platform_role,
        skipped: &skipped,
        ip,
    };
    match invites::accept(db, &acceptance).await {
        Ok(AcceptOutcome::Accepted(user)) => Ok(Ok(user)),
        // Lost a race with another callback for the same person: they are signed up now.
        Ok(AcceptOutcome::Gone) => {
            match identities::find_user(db, &id.issuer, &id.subject).await? {
                Some(user) => Ok(Ok(user)),
                None => refused(Refusal::NotInvited, "invitation gone"),
            }
        }
        Err(e) if crate::server::db::is_unique_violation(&e) => {
            match identities::find_user(db, &id.issuer, &id.subject).await? {
                Some(user) => Ok(Ok(user)),
                None => refused(Refusal::AccountExists, "email taken meanwhile"),
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Does the inviter (still) pass `check`? An invitation without an inviter was created from
/// the command line (`bootstrap-admin`) by the operator of the instance.
async fn inviter_may(
    state: &AppState,
    inviter_id: Option<&str>,
    check: impl Fn(&crate::domain::Actor) -> bool,
) -> Result<bool, AppError> {
    let Some(inviter_id) = inviter_id else {
        return Ok(true);
    };
    match users::find_by_id(&state.db, inviter_id).await? {
        Some(inviter) if inviter.disabled_at.is_none() => {
            Ok(check(&users::load_actor(&state.db, &inviter).await?))
        }
        _ => Ok(false),
    }
}
