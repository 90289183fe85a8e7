//! The audit log page.

use crate::domain::AuditAction;
use serde::{Deserialize, Serialize};

pub const AUDIT_PAGE_SIZE: i64 = 50;

/// What the audit log is narrowed to, as the page's address, `POST /api/audit/list` and the
/// exports carry it; every field may be left out (or empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    /// One action's stored name (`invite_created`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// The email of whoever acted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// The target exactly as the log shows it (an email, `user <id>`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
    /// A person's user id: what was done to them (by id or email) and what they did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
    /// The first day included, `YYYY-MM-DD` (UTC), or a Unix second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The last day included, `YYYY-MM-DD` (UTC), or a Unix second (excluded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

impl AuditFilter {
    /// The same filter with blank fields left out, so that an address never carries `action=`.
    pub fn normalized(self) -> AuditFilter {
        let keep = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        AuditFilter {
            action: keep(self.action),
            actor: keep(self.actor),
            target: keep(self.target),
            workspace_id: keep(self.workspace_id),
            person: keep(self.person),
            from: keep(self.from),
            to: keep(self.to),
        }
    }

    pub fn is_empty(&self) -> bool {
        self == &AuditFilter::default()
    }

    /// `action=…&actor=…` (URL-encoded), empty for no filter.
    pub fn to_query(&self) -> String {
        serde_urlencoded::to_string(self.clone().normalized()).unwrap_or_default()
    }
}
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
