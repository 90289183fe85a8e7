//! The people list and a person's page.

use super::audit::AuditEntry;
use crate::domain::{OrgRole, PlatformRole, RoleSource, WorkspaceRole};
use serde::{Deserialize, Serialize};

pub const PEOPLE_PAGE_SIZE: i64 = 50;

/// How a person signs in and whether they can.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountFacts {
    pub id: String,
    pub email: String,
    pub name: String,
    pub platform_role: Option<PlatformRole>,
    pub deactivated: bool,
    pub must_change_password: bool,
    pub temporary_password_expired: bool,
    pub has_password: bool,
    /// Linked Google (OpenID Connect) identities.
    pub linked_identities: i64,
    pub last_sign_in_at: Option<i64>,
    pub membership_count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeoplePage {
    pub people: Vec<AccountFacts>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<String>,
    /// Every account (platform admins and operators), or only those with a place in the
    /// caller's organizations.
    pub everyone: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonMembership {
    pub workspace_id: String,
    pub workspace_name: String,
    pub org_id: String,
    pub org_name: String,
    pub role: WorkspaceRole,
    pub role_source: RoleSource,
    pub joined_at: i64,
    pub may_change_role: bool,
    pub may_remove: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonOrgRole {
    pub org_id: String,
    pub org_name: String,
    pub role: OrgRole,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonPage {
    pub account: AccountFacts,
    pub email_proven: bool,
    pub created_at: i64,
    /// The memberships the viewer may see, and how many more there are.
    pub memberships: Vec<PersonMembership>,
    pub hidden_memberships: usize,
    pub org_roles: Vec<PersonOrgRole>,
    /// Recent audit entries about this person that the viewer may see, newest first.
    pub audit: Vec<AuditEntry>,
    /// The viewer manages the account: may deactivate it and reset its password.
    pub may_manage: bool,
    pub may_erase: bool,
    pub is_self: bool,
}
