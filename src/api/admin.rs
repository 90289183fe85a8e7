//! Add User (for instances without outbound email), and admins' actions on existing accounts.

use super::ApiError;
use crate::model::admin::{AccountStatus, CreatedUser, PasswordReset};
use leptos::prelude::*;

/// Creates a user with a password in one workspace. An empty `password` means "generate one".
/// 404 unknown workspace, 403 not an admin of it, 400 per field, 409 email already used.
#[server(prefix = "/api", endpoint = "admin/users", output = super::JsonResponse)]
pub async fn add_user(
    email: String,
    name: Option<String>,
    password: Option<String>,
    workspace_id: String,
    role: String,
    must_change_password: Option<bool>,
) -> Result<CreatedUser, ApiError> {
    use crate::model::admin::AddUserForm;
    use crate::server::auth::caller;
    let caller = caller().await?;
    let form = AddUserForm {
        email,
        name,
        password,
        role,
        must_change_password,
    };
    let created =
        crate::server::accounts::add_user(&caller, &workspace_id.into(), form.try_into()).await?;
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::CREATED);
    }
    Ok(created)
}

/// Deactivates an account the caller manages: it cannot sign in, and every session ends now.
/// 409 for one's own account and the last platform admin.
#[server(prefix = "/api", endpoint = "users/deactivate", output = super::JsonResponse)]
pub async fn deactivate_user(user_id: String) -> Result<AccountStatus, ApiError> {
    use crate::server::auth::caller;
    let caller = caller().await?;
    Ok(crate::server::accounts::set_deactivated(&caller, &user_id, true).await?)
}

/// Lets a deactivated account the caller manages sign in again.
#[server(prefix = "/api", endpoint = "users/reactivate", output = super::JsonResponse)]
pub async fn reactivate_user(user_id: String) -> Result<AccountStatus, ApiError> {
    use crate::server::auth::caller;
    let caller = caller().await?;
    Ok(crate::server::accounts::set_deactivated(&caller, &user_id, false).await?)
}

/// A new temporary password for an account the caller manages (empty `password`: 20 generated
/// characters, returned once); the user must change it at the next sign-in.
#[server(prefix = "/api", endpoint = "users/reset_password", output = super::JsonResponse)]
pub async fn reset_password(
    user_id: String,
    password: Option<String>,
) -> Result<PasswordReset, ApiError> {
    use crate::server::auth::caller;
    let caller = caller().await?;
    let password = password.unwrap_or_default();
    Ok(crate::server::accounts::reset_password(&caller, &user_id, &password).await?)
}

/// Erases an account and every personal trace of it (platform admins); the audit trail keeps
/// the events under a tombstone. 409 for one's own account and the last platform admin.
#[server(prefix = "/api", endpoint = "users/erase", output = super::JsonResponse)]
pub async fn erase_user(user_id: String) -> Result<(), ApiError> {
    use crate::server::auth::caller;
    let caller = caller().await?;
    Ok(crate::server::accounts::erase(&caller, &user_id).await?)
}
