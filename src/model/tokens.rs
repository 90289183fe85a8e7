//! API tokens as their owners see them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenDto {
    pub id: String,
    pub name: String,
    /// `members:read`, `members:write`, `invites:write`, `audit:read`, `scim`.
    pub scopes: Vec<String>,
    /// Set for an organization token.
    pub org_id: Option<String>,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_used_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub token: TokenDto,
    /// The secret (`roster_pat_…` or `roster_org_…`), shown this once: Roster keeps only its
    /// SHA-256.
    pub secret: String,
}
