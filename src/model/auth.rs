//! Who is signed in, and how they can sign in.

use crate::domain::{Actor, PlatformRole, WorkspaceRole};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

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
    /// Shared rather than copied: a platform admin's list holds every workspace, and the
    /// pages hand it around (each copy was some 200 allocations).
    pub workspaces: Arc<[WorkspaceDto]>,
    /// What permission checks in the browser need (the server re-checks everything).
    pub actor: Actor,
    /// Whether this instance sends email (otherwise invitation links are copied by hand).
    pub email_enabled: bool,
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

/// One of the caller's signed-in sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionDto {
    /// Pass to `end_session`. Not the cookie's id: knowing it signs nobody in.
    pub id: String,
    /// "Firefox on Linux"
    pub browser: String,
    pub ip: String,
    pub signed_in_at: i64,
    pub last_seen_at: i64,
    /// `password` or `oidc`.
    pub method: String,
    /// The session this request came with.
    pub current: bool,
}
