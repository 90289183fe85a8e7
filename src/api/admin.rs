//! Add User: for instances without outbound email.

use super::ApiError;
use crate::model::admin::CreatedUser;
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
