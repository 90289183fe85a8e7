//! The audit log as its viewers may see it.

use crate::domain::{can, Action, Target};
use crate::model::audit::{AuditEntry, AuditPage, AUDIT_PAGE_SIZE};
use crate::server::auth::Caller;
use crate::server::db::{audit, workspaces};
use crate::server::AppError;

/// Newest first: everything for platform admins and operators; the workspaces they administer
/// (and their own actions) for everybody else; 403 for whoever administers nothing.
pub async fn list(caller: &Caller, before: Option<i64>) -> Result<AuditPage, AppError> {
    let rows = visible_rows(caller, None, before, AUDIT_PAGE_SIZE)
        .await?
        .ok_or(AppError::Forbidden("only admins see the audit log"))?;
    let next_before = (rows.len() as i64 == AUDIT_PAGE_SIZE)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    Ok(AuditPage {
        entries: rows.into_iter().map(entry).collect(),
        next_before,
    })
}

/// The audit rows the caller may see (optionally only those about one person), newest first;
/// `None` when the caller may see none at all.
pub async fn visible_rows(
    caller: &Caller,
    about: Option<audit::AboutPerson<'_>>,
    before: Option<i64>,
    limit: i64,
) -> Result<Option<Vec<audit::AuditRow>>, AppError> {
    let db = &caller.state.db;
    let actor = caller.actor().await?;
    let rows = if can(actor, Action::ViewAudit, Target::Platform) {
        audit::list(db, audit::AuditScope::Everything, about, before, limit).await?
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
            return Ok(None);
        }
        let scope = audit::AuditScope::Workspaces {
            ids: &visible,
            viewer_id: &caller.user.id,
        };
        audit::list(db, scope, about, before, limit).await?
    };
    Ok(Some(rows))
}

pub fn entry(r: audit::AuditRow) -> AuditEntry {
    AuditEntry {
        id: r.id,
        at: r.at,
        actor: r.actor_email,
        action: r.action,
        target: r.target,
        workspace: r.workspace_name.or(r.workspace_id),
        ip: r.ip,
        detail: r.detail,
        actor_token: r.actor_token,
    }
}
