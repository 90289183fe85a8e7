//! Add User, and what admins do to existing accounts.

use crate::domain::WorkspaceRole;
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

/// An account after deactivation or reactivation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountStatus {
    pub user_id: String,
    pub email: String,
    pub deactivated: bool,
}

/// A password reset by an admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordReset {
    pub user_id: String,
    pub email: String,
    /// Only when Roster generated the password; shown once, never stored in clear.
    pub generated_password: Option<String>,
    /// The account had no password (Google only): it can now also sign in with one.
    pub added_password_sign_in: bool,
    /// Until when the temporary password can be used (Unix seconds).
    pub expires_at: i64,
}

/// The Add User form as submitted, but for its target (`workspace_id`).
#[derive(Debug, Clone, Default)]
pub struct AddUserForm {
    pub email: String,
    pub name: Option<String>,
    pub password: Option<String>,
    pub role: String,
    pub must_change_password: Option<bool>,
}

impl TryFrom<AddUserForm> for crate::domain::requests::AddUser {
    type Error = crate::domain::requests::FieldErrors;

    fn try_from(form: AddUserForm) -> Result<Self, Self::Error> {
        use crate::domain::requests::{display_name, workspace_role, FieldErrors, PasswordChoice};
        use crate::domain::{Email, NewPassword};
        let mut errors = FieldErrors::default();
        let email = errors.check("email", Email::parse(&form.email));
        let name = errors.check("name", display_name(form.name.as_deref().unwrap_or("")));
        let role = errors.check("role", workspace_role(&form.role));
        let password = match form.password.as_deref().unwrap_or("") {
            "" => Some(PasswordChoice::Generate),
            given => errors
                .check("password", NewPassword::parse(given))
                .map(PasswordChoice::Given),
        };
        match (email, name, role, password) {
            (Some(email), Some(name), Some(role), Some(password)) if errors.is_empty() => {
                Ok(crate::domain::requests::AddUser {
                    email,
                    name,
                    password,
                    role,
                    must_change_password: form.must_change_password.unwrap_or(true),
                })
            }
            _ => Err(errors),
        }
    }
}
