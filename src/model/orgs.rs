//! An organization's page: its workspaces and its people with organization roles.

use crate::domain::OrgRole;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgWorkspaceDto {
    pub id: String,
    pub name: String,
    pub member_count: i64,
    pub invite_count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgPersonDto {
    pub user_id: String,
    pub email: String,
    pub name: String,
    /// `None`: memberships in the organization's workspaces only.
    pub role: Option<OrgRole>,
    pub deactivated: bool,
    pub workspace_count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgPage {
    pub id: String,
    pub name: String,
    pub workspaces: Vec<OrgWorkspaceDto>,
    pub people: Vec<OrgPersonDto>,
    /// The list stops at this many people (owners and admins first).
    pub people_limit: i64,
}
