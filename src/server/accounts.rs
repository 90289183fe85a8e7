//! Accounts created by an admin (Add User), for instances without outbound email.

use crate::domain::requests::{AddUser, Parsed, PasswordChoice};
use crate::domain::{can_grant, Action, AuditAction, Grant, NewPassword, Target, WorkspaceId};
use crate::model::admin::CreatedUser;
use crate::server::auth::{password::generate_password, Caller};
use crate::server::db::now;
use crate::server::db::users::{self, CreateUserError, EmailUse, NewPasswordUser};
use crate::server::AppError;

fn email_taken() -> AppError {
    AppError::Conflict {
        code: "email_taken",
        message: "This email already belongs to a user or has a pending invitation".into(),
    }
}

/// Creates a user with a password and one membership in `workspace_id`, in one transaction
/// with its audit row. 404 unknown workspace, 403 not an admin of it (checked before the form
/// is looked at), 400 per field, 409 when the email is already used (nothing is overwritten).
pub async fn add_user(
    caller: &Caller,
    workspace_id: &WorkspaceId,
    request: Parsed<AddUser>,
) -> Result<CreatedUser, AppError> {
    let ws = caller
        .workspace(workspace_id.as_str(), Action::AddUser)
        .await?;
    let request = request?;
    let target = Target::Workspace {
        workspace_id: &ws.id,
        org_id: &ws.org_id,
    };
    if !can_grant(
        caller.actor().await?,
        Grant::Workspace(request.role),
        target,
    ) {
        return Err(AppError::Forbidden("you may not grant this role"));
    }
    let email = request.email.as_str();
    if users::email_in_use(&caller.state.db, email).await? != EmailUse::Free {
        return Err(email_taken());
    }
    let (password, generated) = match request.password {
        PasswordChoice::Given(p) => (p, false),
        PasswordChoice::Generate => (
            NewPassword::parse(&generate_password())
                .map_err(|e| AppError::Internal(format!("generated password: {e}")))?,
            true,
        ),
    };
    let hash = caller
        .state
        .hasher
        .hash(password.expose().to_string())
        .await?;
    let must_change_password = request.must_change_password;
    let temp_expiry = must_change_password
        .then(|| now() + caller.state.config.temp_password_lifetime.as_secs() as i64);
    let mut ev = caller.audit(AuditAction::AdminCreateUser);
    ev.target = Some(email.to_string());
    ev.workspace_id = Some(ws.id.clone());
    ev.detail = Some(format!(
        "role={} must_change_password={must_change_password} generated_password={generated}",
        request.role
    ));
    let new = NewPasswordUser {
        email,
        name: &request.name,
        password_hash: &hash,
        must_change_password,
        temp_password_expires_at: temp_expiry,
        workspace_id: &ws.id,
        role: request.role,
        invited_by: &caller.user.id,
    };
    let user = match users::create_with_membership(&caller.state.db, &new, &ev).await {
        Ok(user) => user,
        Err(CreateUserError::EmailTaken) => return Err(email_taken()),
        Err(CreateUserError::Db(e)) => return Err(e.into()),
    };
    Ok(CreatedUser {
        user_id: user.id,
        email: user.email,
        name: user.name,
        workspace_id: ws.id,
        role: request.role,
        must_change_password,
        generated_password: generated.then(|| password.expose().to_string()),
    })
}
