//! Password sign-in (with throttling and audit) and password change.

use super::session::SessionHandle;
use super::Caller;
use crate::domain::{AuditAction, Email, NewPassword};
use crate::model::auth::{SessionUser, WorkspaceDto, WorkspaceList};
use crate::server::db::audit::{record, AuditEvent};
use crate::server::db::read_cache::CachedRead;
use crate::server::db::throttle::{self, Reservation};
use crate::server::db::users::{self, UserRow};
use crate::server::db::{now, workspaces};
use crate::server::{AppError, AppState, RequestContext};
use std::sync::Arc;

const INCORRECT: &str = "Email or password is incorrect";

fn account_key(email: &str) -> String {
    format!("account:{email}")
}
fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

async fn audit_login(
    state: &AppState,
    user_id: Option<&str>,
    email: &str,
    ip: &str,
    action: AuditAction,
    detail: String,
) -> Result<(), AppError> {
    let ev = AuditEvent {
        actor_user_id: user_id.map(str::to_string),
        actor_token: None,
        action,
        target: Some(email.to_string()),
        ip: Some(ip.to_string()),
        detail: Some(detail),
        workspace_id: None,
    };
    Ok(record(&state.db, &ev).await?)
}

pub async fn with_password(
    state: &AppState,
    session: &SessionHandle,
    email: &str,
    password: &str,
    ip: &str,
) -> Result<UserRow, AppError> {
    let email = Email::parse(email).map_err(|e| AppError::invalid_field("email", e.to_string()))?;
    let email = email.as_str();
    let cfg = &state.config;
    let window = cfg.login_lockout.as_secs() as i64;

    // Each attempt is counted before its password is checked, so a burst of concurrent guesses
    // gets at most the limit checked.
    let limits = [
        (account_key(email), cfg.login_max_failures_per_account),
        (ip_key(ip), cfg.login_max_failures_per_ip),
    ];
    for (i, (key, max)) in limits.iter().enumerate() {
        if let Reservation::Refused { retry_after_secs } =
            throttle::reserve(&state.db, key, *max, window).await?
        {
            // The address's reservation is handed back when only the account is locked.
            if i == 1 {
                throttle::release(&state.db, &limits[0].0, limits[0].1).await?;
            }
            audit_login(
                state,
                None,
                email,
                ip,
                AuditAction::AuthnLoginFail,
                "reason=throttled method=password".into(),
            )
            .await?;
            return Err(AppError::TooManyRequests {
                retry_after_secs,
                message: format!(
                    "Too many failed sign-ins; try again in {} minutes",
                    (retry_after_secs + 59) / 60
                ),
            });
        }
    }

    let creds = users::find_credentials_by_email(&state.db, email).await?;
    let hash = creds.as_ref().and_then(|c| c.password_hash.clone());
    let has_hash = hash.is_some();
    let ok = match state.hasher.verify(password.to_string(), hash).await {
        Ok(ok) => ok,
        Err(busy) => {
            // Not checked, so not counted: both reservations are handed back.
            for (key, max) in &limits {
                throttle::release(&state.db, key, *max).await?;
            }
            return Err(busy.into());
        }
    };
    let reason = match (&creds, has_hash) {
        (None, _) => "unknown_email",
        (Some(_), false) => "no_password",
        (Some(_), true) => "wrong_password",
    };

    let Some(creds) = creds.filter(|_| ok) else {
        // Both reservations stay: this attempt counts as a failure.
        audit_login(
            state,
            None,
            email,
            ip,
            AuditAction::AuthnLoginFail,
            format!("reason={reason} method=password"),
        )
        .await?;
        return Err(AppError::Unauthorized(INCORRECT.into()));
    };
    let user = creds.user;
    if user.disabled_at.is_some() {
        audit_login(
            state,
            Some(&user.id),
            email,
            ip,
            AuditAction::AuthnLoginFail,
            "reason=disabled method=password".into(),
        )
        .await?;
        return Err(AppError::ForbiddenBecause {
            code: "account_deactivated",
            message: "This account is deactivated; ask your admin to reactivate it".into(),
        });
    }
    if user.must_change_password && user.temp_password_expires_at.is_some_and(|t| t <= now()) {
        audit_login(
            state,
            Some(&user.id),
            email,
            ip,
            AuditAction::AuthnLoginFail,
            "reason=temporary_password_expired method=password".into(),
        )
        .await?;
        return Err(AppError::Unauthorized(
            "Your temporary password has expired; ask your admin for a new password".into(),
        ));
    }
    throttle::clear(&state.db, &limits[0].0).await?;
    throttle::release(&state.db, &limits[1].0, limits[1].1).await?;
    session
        .sign_in(&user.id, user.session_version, "password")
        .await?;
    users::record_sign_in(&state.db, &user.id, now()).await?;
    audit_login(
        state,
        Some(&user.id),
        email,
        ip,
        AuditAction::AuthnLoginSuccess,
        "method=password".into(),
    )
    .await?;
    Ok(user)
}

pub async fn me(state: &AppState, user: &UserRow) -> Result<SessionUser, AppError> {
    let actor = users::load_actor(&state.db, user).await?;
    let rows = if actor.platform_role.is_some() {
        workspaces::list_all(&state.db).await?
    } else {
        workspaces::list_for_user(&state.db, &user.id).await?
    };
    let shown = || -> crate::server::db::DbResult<WorkspaceList> {
        let list: Arc<[WorkspaceDto]> = rows
            .iter()
            .map(|w| WorkspaceDto {
                my_role: actor.workspace_role(&w.id),
                id: w.id.clone(),
                name: w.name.clone(),
                org_id: w.org_id.clone(),
                org_name: w.org_name.clone(),
            })
            .collect();
        // Its JSON is written here, once per cache entry, not by every page that shows it.
        WorkspaceList::with_json(list).map_err(|e| sqlx::Error::Encode(Box::new(e)))
    };
    // Kept at the request's version only while the request still reads at one: the roles and
    // the list above were then read at that version too, so the answer is exactly theirs.
    let workspaces = match state.db.snapshot() {
        Some(version) => state
            .db
            .read_through_at(version, &WorkspacesShownTo(user.id.clone()), |_| async {
                shown().map(Some)
            })
            .await?
            .unwrap_or_default(),
        None => shown()?,
    };
    Ok(SessionUser {
        user_id: user.id.clone(),
        email: user.email.clone(),
        name: user.name.clone(),
        platform_role: user.platform_role(),
        must_change_password: user.must_change_password,
        workspaces,
        actor,
        email_enabled: state.config.smtp_url.is_some(),
    })
}

/// The workspaces a user is shown, with their own role in each (`me`): a kind of read the
/// cache keeps, built from two others (the user's roles and the workspace list), so that a
/// page view does not build again, and copy, a platform admin's every workspace.
#[derive(Clone, PartialEq, Eq, Hash)]
struct WorkspacesShownTo(String);

impl CachedRead for WorkspacesShownTo {
    type Answer = WorkspaceList;
    // As many as the workspace lists they are built from (`db::workspaces`).
    const CAPACITY: usize = 1_000;
}

/// Ends this session on the server (and audits it when someone was signed in).
pub async fn sign_out(state: &AppState, ctx: &RequestContext) -> Result<(), AppError> {
    ctx.session.sign_out().await?;
    if let Some(user) = &ctx.user {
        let ev = AuditEvent {
            actor_user_id: Some(user.id.clone()),
            actor_token: None,
            action: AuditAction::AuthnLogout,
            target: None,
            workspace_id: None,
            ip: Some(ctx.ip.clone()),
            detail: None,
        };
        record(&state.db, &ev).await?;
    }
    Ok(())
}

/// Replaces the caller's password (the current one proves it is them): clears a forced
/// change, ends every other session and renews this one's id.
pub async fn change_password(caller: &Caller, current: &str, new: &str) -> Result<(), AppError> {
    let (state, user, session) = (&caller.state, &caller.user, &caller.session);
    // A session opened with a temporary password does not outlive that password's validity.
    if user.must_change_password && user.temp_password_expires_at.is_some_and(|t| t <= now()) {
        return Err(AppError::Unauthorized(
            "Your temporary password has expired; ask your admin for a new password".into(),
        ));
    }
    let key = account_key(&user.email);
    let (max, window) = (
        state.config.login_max_failures_per_account,
        state.config.login_lockout.as_secs() as i64,
    );
    if let Reservation::Refused { retry_after_secs } =
        throttle::reserve(&state.db, &key, max, window).await?
    {
        return Err(AppError::TooManyRequests {
            retry_after_secs,
            message: "Too many wrong passwords; try again later".into(),
        });
    }
    let new_password = match NewPassword::parse(new) {
        Ok(p) => p,
        Err(e) => {
            throttle::release(&state.db, &key, max).await?;
            return Err(AppError::invalid_field("new_password", e.to_string()));
        }
    };
    if new == current {
        throttle::release(&state.db, &key, max).await?;
        return Err(AppError::invalid_field(
            "new_password",
            "choose a password different from the current one",
        ));
    }
    let creds = users::find_credentials_by_id(&state.db, &user.id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let verified = match state
        .hasher
        .verify(current.to_string(), creds.password_hash)
        .await
    {
        Ok(ok) => ok,
        Err(busy) => {
            throttle::release(&state.db, &key, max).await?;
            return Err(busy.into());
        }
    };
    if !verified {
        // The reservation stays: a wrong current password counts as a failure.
        return Err(AppError::invalid_field(
            "current_password",
            "this is not your current password",
        ));
    }
    throttle::release(&state.db, &key, max).await?;
    let hash = state.hasher.hash(new_password.expose().to_string()).await?;
    let ev = AuditEvent {
        actor_user_id: Some(user.id.clone()),
        actor_token: None,
        action: AuditAction::AuthnPasswordChange,
        target: Some(user.email.clone()),
        workspace_id: None,
        ip: Some(caller.ip.clone()),
        detail: Some(
            if user.must_change_password {
                "forced=true"
            } else {
                "forced=false"
            }
            .into(),
        ),
    };
    let version = users::set_own_password(&state.db, &user.id, &hash, &ev).await?;
    // The bumped version ends every other session; this one continues under a new id.
    session.sign_in(&user.id, version, "password").await?;
    Ok(())
}
