//! Sign-in, sign-out, who am I, change password, and the caller's ways to sign in.

use super::ApiError;
use crate::model::auth::{SessionUser, SignInMethods};
use leptos::prelude::*;

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
    use crate::server::auth::{login, request};
    let (state, ctx) = request().await?;
    Ok(login::sign_out(&state, &ctx).await?)
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
    use crate::server::auth::{caller, login};
    let caller = caller().await?;
    Ok(login::change_password(&caller, &current_password, &new_password).await?)
}

/// The caller's ways to sign in.
#[server(prefix = "/api", endpoint = "auth/identities", output = super::JsonResponse)]
pub async fn my_identities() -> Result<SignInMethods, ApiError> {
    use crate::server::auth::caller;
    let caller = caller().await?;
    Ok(crate::server::identities::sign_in_methods(&caller).await?)
}

/// Unlinks one of the caller's identities while another way to sign in remains (409 otherwise).
#[server(prefix = "/api", endpoint = "auth/unlink", output = super::JsonResponse)]
pub async fn unlink_identity(issuer: String, subject: String) -> Result<(), ApiError> {
    use crate::server::auth::caller;
    let caller = caller().await?;
    Ok(crate::server::identities::unlink(&caller, &issuer, &subject).await?)
}

/// Changes the caller's display name (one line, at most 200 characters). Returns it as stored.
#[server(prefix = "/api", endpoint = "auth/set_name", output = super::JsonResponse)]
pub async fn set_my_name(name: String) -> Result<String, ApiError> {
    use crate::server::auth::caller;
    let caller = caller().await?;
    Ok(crate::server::accounts::set_own_name(&caller, &name).await?)
}

/// The caller's signed-in sessions, most recently active first (at most 100).
#[server(prefix = "/api", endpoint = "auth/sessions", output = super::JsonResponse)]
pub async fn my_sessions() -> Result<Vec<crate::model::auth::SessionDto>, ApiError> {
    use crate::server::auth::caller;
    let caller = caller().await?;
    Ok(crate::server::own_sessions::list(&caller).await?)
}

/// Ends one of the caller's sessions, named by the `id` of `auth/sessions`.
#[server(prefix = "/api", endpoint = "auth/end_session", output = super::JsonResponse)]
pub async fn end_session(session_id: String) -> Result<(), ApiError> {
    use crate::server::auth::caller;
    let caller = caller().await?;
    Ok(crate::server::own_sessions::end(&caller, &session_id).await?)
}

/// Ends every session of the caller but this one; returns how many ended.
#[server(prefix = "/api", endpoint = "auth/end_other_sessions", output = super::JsonResponse)]
pub async fn end_other_sessions() -> Result<u64, ApiError> {
    use crate::server::auth::caller;
    let caller = caller().await?;
    Ok(crate::server::own_sessions::end_others(&caller).await?)
}
