//! Organizations and workspaces.

pub use super::auth::WorkspaceDto;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgDto {
    pub id: String,
    pub name: String,
}
