//! Pure types shared with the browser: no I/O, no server dependencies.

pub mod email;
pub mod password;
pub mod permissions;
pub mod roles;
pub mod time;

pub use email::Email;
pub use password::NewPassword;
pub use permissions::{can, can_grant, Action, Actor, Grant, Target};
pub use roles::{OrgRole, PlatformRole, RoleSource, WorkspaceRole};
