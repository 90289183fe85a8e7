//! The audit log: who did what to whom, never a password, hash, token or session id.

use super::{with_pool, Db, DbResult};
use crate::domain::AuditAction;

/// One audit row to write. `detail` is free text built by the caller from non-secret fields.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub actor_user_id: Option<String>,
    /// The API token that acted ("name (id)"), when the actor used one.
    pub actor_token: Option<String>,
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
            actor_token: None,
            action,
            target: None,
            workspace_id: None,
            ip: None,
            detail: None,
        }
    }
}

pub const INSERT_SQL: &str =
    "INSERT INTO audit_log (at, actor_user_id, action, target, workspace_id, ip, detail, actor_token) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

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
            .bind(ev.actor_token.clone())
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
    pub actor_token: Option<String>,
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

/// Only the rows about one person: those naming them as target (by id or by email) and
/// those they did.
#[derive(Clone, Copy)]
pub struct AboutPerson<'a> {
    pub user_id: &'a str,
    pub email: &'a str,
    /// Also the rows about the account itself (no workspace: deactivation, password resets),
    /// for a viewer who manages it, whatever the scope.
    pub with_account_events: bool,
}

/// Newest first; `before` is the id of the last row of the previous page (keyset pagination).
pub async fn list(
    db: &Db,
    scope: AuditScope<'_>,
    about: Option<AboutPerson<'_>>,
    before: Option<i64>,
    limit: i64,
) -> DbResult<Vec<AuditRow>> {
    let before = before.unwrap_or(i64::MAX);
    let select = "SELECT a.id, a.at, u.email AS actor_email, a.action, a.target, a.workspace_id, w.name AS workspace_name, a.ip, a.detail, a.actor_token \
                  FROM audit_log a LEFT JOIN users u ON u.id = a.actor_user_id LEFT JOIN workspaces w ON w.id = a.workspace_id";
    // Placeholders: $1 before, $2 limit, then the scope's, then the person's three.
    let (scope_ids, viewer_id) = match scope {
        AuditScope::Everything => (&[][..], None),
        AuditScope::Workspaces { ids, viewer_id } => (ids, Some(viewer_id)),
    };
    let first_about = 3 + usize::from(viewer_id.is_some()) + scope_ids.len();
    let (target, email, actor) = (first_about, first_about + 1, first_about + 2);
    let scope_sql = match viewer_id {
        None => String::new(),
        Some(_) => {
            // The ids come from the viewer's own memberships; placeholders keep them bound.
            let placeholders: Vec<String> = (0..scope_ids.len())
                .map(|i| format!("${}", i + 4))
                .collect();
            let in_list = if scope_ids.is_empty() {
                "NULL".to_string()
            } else {
                placeholders.join(", ")
            };
            // A manager of the account also sees what was done *to* it outside any workspace
            // (never what the person did elsewhere).
            let account_events = if about.is_some_and(|p| p.with_account_events) {
                format!(" OR (a.workspace_id IS NULL AND a.target IN (${target}, ${email}))")
            } else {
                String::new()
            };
            format!(" AND (a.workspace_id IN ({in_list}) OR a.actor_user_id = $3{account_events})")
        }
    };
    // Three index ranges (by target twice, by actor), not an OR that PostgreSQL would answer
    // by walking the whole log backwards in id order.
    let about_sql = match about {
        None => String::new(),
        Some(_) => format!(
            " AND a.id IN (SELECT id FROM audit_log WHERE target = ${target} \
             UNION ALL SELECT id FROM audit_log WHERE target = ${email} \
             UNION ALL SELECT id FROM audit_log WHERE actor_user_id = ${actor})"
        ),
    };
    let sql = format!("{select} WHERE a.id < $1{scope_sql}{about_sql} ORDER BY a.id DESC LIMIT $2");
    let person_target = about.map(|p| format!("user {}", p.user_id));
    with_pool!(db, p => {
        let mut q = sqlx::query_as::<_, AuditRow>(&sql).bind(before).bind(limit);
        if let Some(viewer_id) = viewer_id {
            q = q.bind(viewer_id);
        }
        for id in scope_ids {
            q = q.bind(id);
        }
        if let (Some(person), Some(target)) = (about, &person_target) {
            q = q.bind(target).bind(person.email).bind(person.user_id);
        }
        q.fetch_all(p).await
    })
}
