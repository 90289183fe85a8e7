//! The audit log as its viewers may see it.

use crate::domain::{can, Action, Target};
use crate::model::audit::{AuditEntry, AuditPage, AUDIT_PAGE_SIZE};
use crate::server::auth::Caller;
use crate::server::db::{audit, workspaces};
use crate::server::AppError;

/// Newest first: everything for platform admins and operators; the workspaces they administer
/// (and their own actions) for everybody else; 403 for whoever administers nothing.
pub async fn list(caller: &Caller, before: Option<i64>) -> Result<AuditPage, AppError> {
    let db = &caller.state.db;
    let actor = caller.actor().await?;
    let rows = if can(actor, Action::ViewAudit, Target::Platform) {
        audit::list(db, audit::AuditScope::Everything, before, AUDIT_PAGE_SIZE).await?
    } else {
        let visible: Vec<String> = workspaces::list_for_user(db, &caller.user.id)
            .await?
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
            return Err(AppError::Forbidden("only admins see the audit log"));
        }
        let scope = audit::AuditScope::Workspaces {
            ids: &visible,
            viewer_id: &caller.user.id,
        };
        audit::list(db, scope, before, AUDIT_PAGE_SIZE).await?
    };
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
