//! SCIM provisioning as an organization's page shows it: where to point the identity
//! provider, what it did lately, and which groups give which roles.

use crate::domain::WorkspaceRole;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScimMappingDto {
    pub id: String,
    /// A group's display name (compared without case) or its external id.
    pub group: String,
    pub workspace_id: String,
    pub workspace_name: String,
    pub role: WorkspaceRole,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScimSettings {
    /// The SCIM base URL to give the identity provider.
    pub base_url: String,
    pub mappings: Vec<ScimMappingDto>,
    /// The groups the identity provider pushed (by name, at most 500), for the mapping form.
    pub groups: Vec<String>,
    /// The organization's workspaces (id, name), for the mapping form.
    pub workspaces: Vec<(String, String)>,
    pub last_request_at: Option<i64>,
    pub last_request: Option<String>,
    pub last_status: Option<i64>,
    pub errors_last_day: i64,
    pub last_error_at: Option<i64>,
    pub last_error: Option<String>,
}
