//! The audit log page.

use crate::domain::AuditAction;
use serde::{Deserialize, Serialize};

pub const AUDIT_PAGE_SIZE: i64 = 50;
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub actor: Option<String>,
    pub action: AuditAction,
    pub target: Option<String>,
    pub workspace: Option<String>,
    pub ip: Option<String>,
    pub detail: Option<String>,
    /// The API token the actor used ("name (id)"), if any.
    pub actor_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next_before: Option<i64>,
}
