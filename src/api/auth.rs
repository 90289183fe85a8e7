//! Sign-in, sign-out, who am I, change password.

use super::ApiError;
use crate::domain::{Actor, PlatformRole, WorkspaceRole};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceDto {
    pub id: String,
    pub name: String,
    pub org_id: String,
    pub org_name: String,
    /// The caller's own role in it, when they are a member.
    pub my_role: Option<WorkspaceRole>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub platform_role: Option<PlatformRole>,
    pub must_change_password: bool,
    pub workspaces: Vec<WorkspaceDto>,
    /// What permission checks in the browser need (the server re-checks everything).
    pub actor: Actor,
    /// Whether this instance sends email (otherwise invitation links are copied by hand).
    pub email_enabled: bool,
}

/// Signs in with email and password. 401 "Email or password is incorrect" for an unknown
/// email or a wrong password alike; 429 with `Retry-After` when throttled.
#[server(prefix = "/api", endpoint = "auth/login", output = super::JsonResponse)]
pub async fn login(email: String, password: String) -> Result<SessionUser, ApiError> {
    use crate::server::auth::{login, request};
    let (state, ctx) = request().await?;
    let user = login::with_password(&state, &ctx.session, &email, &password, &ctx.ip).await?;
    Ok(login::me(&state, &user).await?)
}

/// Ends this session on the server.
#[server(prefix = "/api", endpoint = "auth/logout", output = super::JsonResponse)]
pub async fn logout() -> Result<(), ApiError> {
    use crate::server::auth::request;
    use crate::server::db::audit::{record, AuditEvent};
    let (state, ctx) = request().await?;
    ctx.session
        .sign_out()
        .await
        .map_err(crate::server::AppError::from)?;
    if let Some(user) = ctx.user {
        let ev = AuditEvent {
            actor_user_id: Some(user.id),
            action: "authn_logout",
            ip: Some(ctx.ip),
            ..Default::default()
        };
        record(&state.db, &ev)
            .await
            .map_err(crate::server::AppError::from)?;
    }
    Ok(())
}

/// The signed-in user, or `null` when nobody is signed in.
#[server(prefix = "/api", endpoint = "auth/me", output = super::JsonResponse)]
pub async fn me() -> Result<Option<SessionUser>, ApiError> {
    use crate::server::auth::{login, request};
    let (state, ctx) = request().await?;
    match ctx.user {
        Some(user) => Ok(Some(login::me(&state, &user).await?)),
        None => Ok(None),
    }
}

/// Replaces the caller's password. Clears a forced change, renews the session id and ends
/// every other session of the user.
#[server(prefix = "/api", endpoint = "auth/change_password", output = super::JsonResponse)]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), ApiError> {
    use crate::server::auth::{login, request};
    use crate::server::AppError;
    let (state, ctx) = request().await?;
    let user = ctx.user.as_ref().ok_or(AppError::Unauthenticated)?;
    login::change_password(
        &state,
        &ctx.session,
        user,
        &current_password,
        &new_password,
        &ctx.ip,
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityDto {
    pub provider: String,
    pub issuer: String,
    pub subject: String,
    pub email_at_link: String,
    pub linked_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInMethods {
    pub identities: Vec<IdentityDto>,
    pub has_password: bool,
    pub google_enabled: bool,
}

/// The caller's ways to sign in.
#[server(prefix = "/api", endpoint = "auth/identities", output = super::JsonResponse)]
pub async fn my_identities() -> Result<SignInMethods, ApiError> {
    use crate::server::auth::caller;
    use crate::server::db::{identities, users};
    use crate::server::AppError;
    let caller = caller().await?;
    let db = &caller.state.db;
    let rows = identities::list_for_user(db, &caller.user.id)
        .await
        .map_err(AppError::from)?;
    let has_password = users::find_credentials_by_id(db, &caller.user.id)
        .await
        .map_err(AppError::from)?
        .is_some_and(|c| c.password_hash.is_some());
    Ok(SignInMethods {
        identities: rows
            .into_iter()
            .map(|r| IdentityDto {
                provider: if r.issuer == "https://accounts.google.com" {
                    "Google".into()
                } else {
                    r.issuer.clone()
                },
                issuer: r.issuer,
                subject: r.subject,
                email_at_link: r.email_at_link,
                linked_at: r.created_at,
            })
            .collect(),
        has_password,
        google_enabled: caller.state.oidc.is_some(),
    })
}

/// Unlinks one of the caller's identities while another way to sign in remains (409 otherwise).
#[server(prefix = "/api", endpoint = "auth/unlink", output = super::JsonResponse)]
pub async fn unlink_identity(issuer: String, subject: String) -> Result<(), ApiError> {
    use crate::server::auth::caller;
    use crate::server::db::identities::{self, UnlinkOutcome};
    use crate::server::AppError;
    let caller = caller().await?;
    let mut ev = caller.audit("identity_unlinked");
    ev.target = Some(caller.user.email.clone());
    ev.detail = Some(format!("issuer={issuer}"));
    match identities::unlink(&caller.state.db, &caller.user.id, &issuer, &subject, &ev)
        .await
        .map_err(AppError::from)?
    {
        UnlinkOutcome::Unlinked => Ok(()),
        UnlinkOutcome::NotLinked => {
            Err(AppError::NotFound("this sign-in method is not linked to you").into())
        }
        UnlinkOutcome::LastWayIn => Err(AppError::Conflict {
            code: "last_sign_in_method",
            message:
                "This is your only way to sign in; set a password or link another account first"
                    .into(),
        }
        .into()),
    }
}
