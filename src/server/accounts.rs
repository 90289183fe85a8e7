//! Accounts as admins handle them: Add User (for instances without outbound email),
//! deactivation and reactivation, and password resets. Every action on an existing account
//! needs the caller to **manage** it (`domain::manages`), checked inside its transaction.

use crate::domain::requests::{AddUser, Parsed, PasswordChoice};
use crate::domain::{
    can_grant, AccountScope, Action, AuditAction, Grant, NewPassword, Target, WorkspaceId,
};
use crate::model::admin::{AccountStatus, CreatedUser, PasswordReset};
use crate::server::auth::{password::generate_password, Caller};
use crate::server::db::now;
use crate::server::db::users::{
    self, AccountChange, CreateUserError, EmailUse, NewPasswordUser, UserRow,
};
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

/// The account named by a request, refused early when it is the caller's own (`what` says what
/// they tried) or does not exist. Whether the caller manages it is decided in the transaction.
async fn other_account(caller: &Caller, user_id: &str, what: &str) -> Result<UserRow, AppError> {
    if user_id == caller.user.id {
        return Err(AppError::Conflict {
            code: "own_account",
            message: format!("You cannot {what} your own account"),
        });
    }
    users::find_by_id(&caller.state.db, user_id)
        .await?
        .ok_or(AppError::NotFound("no such user"))
}

fn not_managed() -> AppError {
    AppError::Forbidden(
        "you do not manage this account: it belongs to workspaces or organizations you do not administer",
    )
}

/// Deactivates (`true`) or reactivates an account the caller manages.
pub async fn set_deactivated(
    caller: &Caller,
    user_id: &str,
    deactivate: bool,
) -> Result<AccountStatus, AppError> {
    let what = if deactivate {
        "deactivate"
    } else {
        "reactivate"
    };
    let target = other_account(caller, user_id, what).await?;
    let actor = caller.actor().await?.clone();
    let manages = move |account: &AccountScope| crate::domain::manages(&actor, account);
    let mut ev = caller.audit(if deactivate {
        AuditAction::UserDeactivated
    } else {
        AuditAction::UserReactivated
    });
    ev.target = Some(target.email.clone());
    ev.detail = Some(format!("user_id={}", target.id));
    match users::set_deactivated(&caller.state.db, &target.id, deactivate, &manages, &ev).await? {
        AccountChange::Done { .. } | AccountChange::Unchanged => Ok(AccountStatus {
            user_id: target.id,
            email: target.email,
            deactivated: deactivate,
        }),
        AccountChange::NotFound => Err(AppError::NotFound("no such user")),
        AccountChange::NotManaged => Err(not_managed()),
        AccountChange::LastPlatformAdmin => Err(AppError::Conflict {
            code: "last_platform_admin",
            message:
                "This is the last active platform admin; make someone else a platform admin first"
                    .into(),
        }),
    }
}

/// A new temporary password for an account the caller manages: `password` as given, or when
/// empty 20 generated characters, returned once. The user must change it at the next sign-in,
/// before `TEMP_PASSWORD_DAYS` run out; every session of theirs ends now.
pub async fn reset_password(
    caller: &Caller,
    user_id: &str,
    password: &str,
) -> Result<PasswordReset, AppError> {
    let target = other_account(caller, user_id, "reset the password of").await?;
    if users::is_service_account(&caller.state.db, &target.id).await? {
        // It would let whoever set the password sign in as the token, and keep its rights
        // after losing their own.
        return Err(AppError::Conflict {
            code: "service_account",
            message:
                "This account belongs to an API token and never signs in; revoke the token instead"
                    .into(),
        });
    }
    let actor = caller.actor().await?.clone();
    // Checked before hashing too, so a refused caller costs no Argon2 work.
    let scope = users::account_scope(&caller.state.db, &target.id, &target.email).await?;
    if !crate::domain::manages(&actor, &scope) {
        return Err(not_managed());
    }
    let (password, generated) = match password {
        "" => (
            NewPassword::parse(&generate_password())
                .map_err(|e| AppError::Internal(format!("generated password: {e}")))?,
            true,
        ),
        given => (
            NewPassword::parse(given)
                .map_err(|e| AppError::invalid_field("password", e.to_string()))?,
            false,
        ),
    };
    let hash = caller
        .state
        .hasher
        .hash(password.expose().to_string())
        .await?;
    let expires_at = now() + caller.state.config.temp_password_lifetime.as_secs() as i64;
    let manages = move |account: &AccountScope| crate::domain::manages(&actor, account);
    let mut ev = caller.audit(AuditAction::PasswordReset);
    ev.target = Some(target.email.clone());
    ev.detail = Some(format!(
        "user_id={} generated_password={generated}",
        target.id
    ));
    match users::reset_password(
        &caller.state.db,
        &target.id,
        &hash,
        expires_at,
        &manages,
        &ev,
    )
    .await?
    {
        AccountChange::Done { had_password } => Ok(PasswordReset {
            user_id: target.id,
            email: target.email,
            generated_password: generated.then(|| password.expose().to_string()),
            added_password_sign_in: !had_password,
            expires_at,
        }),
        AccountChange::NotFound => Err(AppError::NotFound("no such user")),
        AccountChange::NotManaged => Err(not_managed()),
        AccountChange::LastPlatformAdmin | AccountChange::Unchanged => Err(AppError::Internal(
            "reset_password: unexpected outcome".into(),
        )),
    }
}

/// Erases an account (platform admins only): see [`users::erase`]. Audited under the
/// tombstone, never the email.
pub async fn erase(caller: &Caller, user_id: &str) -> Result<(), AppError> {
    if !crate::domain::can(
        caller.actor().await?,
        Action::EraseAccount,
        Target::Platform,
    ) {
        return Err(AppError::Forbidden("only platform admins erase accounts"));
    }
    let target = other_account(caller, user_id, "erase").await?;
    let mut ev = caller.audit(AuditAction::UserErased);
    ev.target = Some(users::tombstone(&target.id));
    ev.detail = Some(format!("user_id={}", target.id));
    match users::erase(&caller.state.db, &target.id, &ev).await? {
        AccountChange::Done { .. } => Ok(()),
        AccountChange::NotFound => Err(AppError::NotFound("no such user")),
        AccountChange::LastPlatformAdmin => Err(AppError::Conflict {
            code: "last_platform_admin",
            message:
                "This is the last active platform admin; make someone else a platform admin first"
                    .into(),
        }),
        AccountChange::NotManaged | AccountChange::Unchanged => {
            Err(AppError::Internal("erase: unexpected outcome".into()))
        }
    }
}

/// The caller renames themselves.
pub async fn set_own_name(caller: &Caller, name: &str) -> Result<String, AppError> {
    let name = crate::domain::requests::display_name(name)
        .map_err(|e| AppError::invalid_field("name", e))?;
    users::set_name(&caller.state.db, &caller.user.id, &name).await?;
    Ok(name)
}
