//! The audit log page.

use super::ApiError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub const AUDIT_PAGE_SIZE: i64 = 50;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub actor: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub workspace: Option<String>,
    pub ip: Option<String>,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next_before: Option<i64>,
}

/// Newest first, limited to what the caller may see: everything for platform admins and
/// operators; the workspaces they administer (and their own actions) for everybody else.
#[server(prefix = "/api", endpoint = "audit/list", output = super::JsonResponse)]
pub async fn list_audit(before: Option<i64>) -> Result<AuditPage, ApiError> {
    use crate::domain::{can, Action, Target};
    use crate::server::auth::caller;
    use crate::server::db::{audit, workspaces};
    use crate::server::AppError;
    let caller = caller().await?;
    let db = &caller.state.db;
    let actor = caller.actor().await?;
    let rows = if can(actor, Action::ViewAudit, Target::Platform) {
        audit::list(db, audit::AuditScope::Everything, before, AUDIT_PAGE_SIZE).await
    } else {
        let visible: Vec<String> = workspaces::list_for_user(db, &caller.user.id)
            .await
            .map_err(AppError::from)?
            .into_iter()
            .filter(|w| {
                can(
                    actor,
                    Action::ViewAudit,
                    Target::Workspace {
                        workspace_id: &w.id,
                        org_id: &w.org_id,
                    },
                )
            })
            .map(|w| w.id)
            .collect();
        if visible.is_empty() {
            return Err(AppError::Forbidden("only admins see the audit log").into());
        }
        audit::list(
            db,
            audit::AuditScope::Workspaces {
                ids: &visible,
                viewer_id: &caller.user.id,
            },
            before,
            AUDIT_PAGE_SIZE,
        )
        .await
    }
    .map_err(AppError::from)?;
    let next_before = (rows.len() as i64 == AUDIT_PAGE_SIZE)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    let entries = rows
        .into_iter()
        .map(|r| AuditEntry {
            id: r.id,
            at: r.at,
            actor: r.actor_email,
            action: r.action,
            target: r.target,
            workspace: r.workspace_name.or(r.workspace_id),
            ip: r.ip,
            detail: r.detail,
        })
        .collect();
    Ok(AuditPage {
        entries,
        next_before,
    })
}
