//! The audit log: who did what to whom, never a password, hash, token or session id.

use super::{with_pool, Db, DbResult};
use crate::domain::AuditAction;

/// One audit row to write. `detail` is free text built by the caller from non-secret fields.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub actor_user_id: Option<String>,
    pub action: AuditAction,
    pub target: Option<String>,
    pub workspace_id: Option<String>,
    pub ip: Option<String>,
    pub detail: Option<String>,
}

impl AuditEvent {
    /// An event with nothing but its action; the other fields are filled in by the caller.
    pub fn new(action: AuditAction) -> AuditEvent {
        AuditEvent {
            actor_user_id: None,
            action,
            target: None,
            workspace_id: None,
            ip: None,
            detail: None,
        }
    }
}

pub const INSERT_SQL: &str =
    "INSERT INTO audit_log (at, actor_user_id, action, target, workspace_id, ip, detail) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";

/// Binds an [`AuditEvent`] to [`INSERT_SQL`]; used inside the transactions of other modules.
macro_rules! audit_query {
    ($ev:expr) => {{
        let ev: &$crate::server::db::audit::AuditEvent = $ev;
        sqlx::query($crate::server::db::audit::INSERT_SQL)
            .bind($crate::server::db::now())
            .bind(ev.actor_user_id.clone())
            .bind(ev.action.as_str())
            .bind(ev.target.clone())
            .bind(ev.workspace_id.clone())
            .bind(ev.ip.clone())
            .bind(ev.detail.clone())
    }};
}
pub(crate) use audit_query;

pub async fn record(db: &Db, ev: &AuditEvent) -> DbResult<()> {
    with_pool!(db, p => audit_query!(ev).execute(p).await.map(|_| ()))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub actor_email: Option<String>,
    pub action: AuditAction,
    pub target: Option<String>,
    pub workspace_id: Option<String>,
    pub workspace_name: Option<String>,
    pub ip: Option<String>,
    pub detail: Option<String>,
}

/// Which rows a viewer may see.
pub enum AuditScope<'a> {
    Everything,
    /// Rows about these workspaces, plus the viewer's own rows.
    Workspaces {
        ids: &'a [String],
        viewer_id: &'a str,
    },
}

/// Newest first; `before` is the id of the last row of the previous page (keyset pagination).
pub async fn list(
    db: &Db,
    scope: AuditScope<'_>,
    before: Option<i64>,
    limit: i64,
) -> DbResult<Vec<AuditRow>> {
    let before = before.unwrap_or(i64::MAX);
    let select = "SELECT a.id, a.at, u.email AS actor_email, a.action, a.target, a.workspace_id, w.name AS workspace_name, a.ip, a.detail \
                  FROM audit_log a LEFT JOIN users u ON u.id = a.actor_user_id LEFT JOIN workspaces w ON w.id = a.workspace_id";
    match scope {
        AuditScope::Everything => {
            let sql = format!("{select} WHERE a.id < $1 ORDER BY a.id DESC LIMIT $2");
            with_pool!(db, p => sqlx::query_as::<_, AuditRow>(&sql).bind(before).bind(limit).fetch_all(p).await)
        }
        AuditScope::Workspaces { ids, viewer_id } => {
            // The ids come from the viewer's own memberships; placeholders keep them bound.
            let placeholders: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 4)).collect();
            let in_list = if ids.is_empty() {
                "NULL".to_string()
            } else {
                placeholders.join(", ")
            };
            let sql = format!(
                "{select} WHERE a.id < $1 AND (a.workspace_id IN ({in_list}) OR a.actor_user_id = $3) ORDER BY a.id DESC LIMIT $2"
            );
            with_pool!(db, p => {
                let mut q = sqlx::query_as::<_, AuditRow>(&sql).bind(before).bind(limit).bind(viewer_id);
                for id in ids {
                    q = q.bind(id);
                }
                q.fetch_all(p).await
            })
        }
    }
}
