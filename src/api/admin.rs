//! Add User: for instances without outbound email.

use super::ApiError;
use crate::domain::WorkspaceRole;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedUser {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub workspace_id: String,
    pub role: WorkspaceRole,
    pub must_change_password: bool,
    /// Only when Roster generated the password; shown once, never stored in clear.
    pub generated_password: Option<String>,
}

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
    use crate::domain::{can_grant, Action, Email, Grant, NewPassword, Target};
    use crate::server::auth::{caller, password::generate_password};
    use crate::server::db::now;
    use crate::server::db::users::{self, CreateUserError, EmailUse, NewPasswordUser};
    use crate::server::AppError;
    use std::collections::BTreeMap;

    let caller = caller().await?;
    let ws = caller.workspace(&workspace_id, Action::AddUser).await?;

    let mut fields = BTreeMap::new();
    let email = Email::parse(&email)
        .map_err(|e| fields.insert("email".to_string(), e.to_string()))
        .ok();
    let name = name.unwrap_or_default().trim().to_string();
    if name.chars().count() > 200 {
        fields.insert("name".into(), "use at most 200 characters".into());
    }
    let role = role
        .parse::<WorkspaceRole>()
        .map_err(|_| {
            fields.insert(
                "role".into(),
                "choose workspace_admin, workspace_editor or workspace_viewer".into(),
            )
        })
        .ok();
    let password = password.unwrap_or_default();
    let generated = password.is_empty();
    let password = if generated {
        generate_password()
    } else {
        password
    };
    let password = NewPassword::parse(&password)
        .map_err(|e| fields.insert("password".into(), e.to_string()))
        .ok();
    let (Some(email), Some(role), Some(password)) = (email, role, password) else {
        return Err(AppError::Invalid {
            message: "Some fields need attention".into(),
            fields,
        }
        .into());
    };
    if !fields.is_empty() {
        return Err(AppError::Invalid {
            message: "Some fields need attention".into(),
            fields,
        }
        .into());
    }
    if !can_grant(
        caller.actor().await?,
        Grant::Workspace(role),
        Target::Workspace {
            workspace_id: &ws.id,
            org_id: &ws.org_id,
        },
    ) {
        return Err(AppError::Forbidden("you may not grant this role").into());
    }
    let taken = || AppError::Conflict {
        code: "email_taken",
        message: "This email already belongs to a user or has a pending invitation".into(),
    };
    if users::email_in_use(&caller.state.db, email.as_str())
        .await
        .map_err(AppError::from)?
        != EmailUse::Free
    {
        return Err(taken().into());
    }

    let must_change_password = must_change_password.unwrap_or(true);
    let hash = caller
        .state
        .hasher
        .hash(password.expose().to_string())
        .await
        .map_err(AppError::from)?;
    let temp_expiry = must_change_password
        .then(|| now() + caller.state.config.temp_password_lifetime.as_secs() as i64);
    let mut ev = caller.audit("admin_create_user");
    ev.target = Some(email.to_string());
    ev.workspace_id = Some(ws.id.clone());
    ev.detail = Some(format!(
        "role={role} must_change_password={must_change_password} generated_password={generated}"
    ));
    let new = NewPasswordUser {
        email: email.as_str(),
        name: &name,
        password_hash: &hash,
        must_change_password,
        temp_password_expires_at: temp_expiry,
        workspace_id: &ws.id,
        role,
        invited_by: &caller.user.id,
    };
    let user = match users::create_with_membership(&caller.state.db, &new, &ev).await {
        Ok(user) => user,
        Err(CreateUserError::EmailTaken) => return Err(taken().into()),
        Err(CreateUserError::Db(e)) => return Err(AppError::from(e).into()),
    };
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::CREATED);
    }
    Ok(CreatedUser {
        user_id: user.id,
        email: user.email,
        name: user.name,
        workspace_id: ws.id,
        role,
        must_change_password,
        generated_password: generated.then(|| password.expose().to_string()),
    })
}
