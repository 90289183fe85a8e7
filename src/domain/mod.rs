//! Pure types and rules shared with the browser: no I/O, no server dependencies.

pub mod audit_action;
pub mod bulk;
pub mod email;
pub mod ids;
pub mod password;
pub mod permissions;
pub mod requests;
pub mod return_to;
pub mod roles;
pub mod scim;
pub mod scopes;
pub mod status;
pub mod time;
pub mod user_agent;
pub mod webhook_events;

pub use audit_action::AuditAction;
pub use email::Email;
pub use ids::{OrgId, UserId, WorkspaceId};
pub use password::NewPassword;
pub use permissions::{
    can, can_change_org_role, can_grant, manages, AccountScope, Action, Actor, Grant, Target,
};
pub use return_to::safe_return_to;
pub use roles::{OrgRole, PlatformRole, RoleSource, WorkspaceRole};
pub use status::MemberStatus;
