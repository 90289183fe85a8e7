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

/// Deletes up to `limit` of the oldest entries written before `cutoff` (an index range on
/// `at`) and, when any went, records how many in the same transaction: the log says when it
/// was trimmed. Returns how many went.
pub async fn purge_older_than(db: &Db, cutoff: i64, limit: i64) -> DbResult<u64> {
    use super::BeginWrite;
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        let deleted = sqlx::query(
            "DELETE FROM audit_log WHERE id IN \
             (SELECT id FROM audit_log WHERE at < $1 ORDER BY at LIMIT $2)",
        )
        .bind(cutoff)
        .bind(limit)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if deleted > 0 {
            let mut ev = AuditEvent::new(AuditAction::AuditPurged);
            ev.detail = Some(format!("deleted={deleted} written_before={cutoff}"));
            audit_query!(&ev).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(deleted)
    })
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

/// What the viewer narrowed the log to (each field already checked).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub action: Option<AuditAction>,
    pub actor_user_id: Option<String>,
    pub target: Option<String>,
    pub workspace_id: Option<String>,
    /// Entries written at or after this second.
    pub from: Option<i64>,
    /// Entries written before this second.
    pub to: Option<i64>,
}

/// The values of a query's placeholders, numbered in the order they are added.
#[derive(Default)]
struct Args(Vec<Arg>);

enum Arg {
    Int(i64),
    Text(String),
}

impl Args {
    /// Adds a value and returns its placeholder (`$n`).
    fn add(&mut self, arg: Arg) -> String {
        self.0.push(arg);
        format!("${}", self.0.len())
    }
    fn text(&mut self, s: &str) -> String {
        self.add(Arg::Text(s.to_string()))
    }
}

/// Newest first; `before` is the id of the last row of the previous page (keyset pagination).
pub async fn list(
    db: &Db,
    scope: AuditScope<'_>,
    about: Option<AboutPerson<'_>>,
    filter: &Filter,
    before: Option<i64>,
    limit: i64,
) -> DbResult<Vec<AuditRow>> {
    let mut args = Args::default();
    let mut sql = format!(
        "SELECT a.id, a.at, u.email AS actor_email, a.action, a.target, a.workspace_id, w.name AS workspace_name, a.ip, a.detail, a.actor_token \
         FROM audit_log a LEFT JOIN users u ON u.id = a.actor_user_id LEFT JOIN workspaces w ON w.id = a.workspace_id \
         WHERE a.id < {}",
        args.add(Arg::Int(before.unwrap_or(i64::MAX)))
    );
    let person = about.map(|p| {
        (
            args.add(Arg::Text(format!("user {}", p.user_id))),
            args.text(p.email),
            args.text(p.user_id),
        )
    });
    if let AuditScope::Workspaces { ids, viewer_id } = scope {
        // The ids come from the viewer's own memberships; placeholders keep them bound.
        let in_list = if ids.is_empty() {
            "NULL".to_string()
        } else {
            ids.iter()
                .map(|id| args.text(id))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let viewer = args.text(viewer_id);
        // A manager of the account also sees what was done *to* it outside any workspace
        // (never what the person did elsewhere).
        let account_events = match (&person, about) {
            (Some((by_id, by_email, _)), Some(p)) if p.with_account_events => {
                format!(" OR (a.workspace_id IS NULL AND a.target IN ({by_id}, {by_email}))")
            }
            _ => String::new(),
        };
        sql += &format!(
            " AND (a.workspace_id IN ({in_list}) OR a.actor_user_id = {viewer}{account_events})"
        );
    }
    // Three index ranges (by target twice, by actor), not an OR that PostgreSQL would answer
    // by walking the whole log backwards in id order.
    if let Some((by_id, by_email, actor)) = &person {
        sql += &format!(
            " AND a.id IN (SELECT id FROM audit_log WHERE target = {by_id} \
             UNION ALL SELECT id FROM audit_log WHERE target = {by_email} \
             UNION ALL SELECT id FROM audit_log WHERE actor_user_id = {actor})"
        );
    }
    if let Some(action) = filter.action {
        sql += &format!(" AND a.action = {}", args.text(action.as_str()));
    }
    if let Some(actor) = &filter.actor_user_id {
        sql += &format!(" AND a.actor_user_id = {}", args.text(actor));
    }
    if let Some(target) = &filter.target {
        sql += &format!(" AND a.target = {}", args.text(target));
    }
    if let Some(workspace_id) = &filter.workspace_id {
        sql += &format!(" AND a.workspace_id = {}", args.text(workspace_id));
    }
    if let Some(from) = filter.from {
        sql += &format!(" AND a.at >= {}", args.add(Arg::Int(from)));
    }
    if let Some(to) = filter.to {
        sql += &format!(" AND a.at < {}", args.add(Arg::Int(to)));
    }
    sql += &format!(" ORDER BY a.id DESC LIMIT {}", args.add(Arg::Int(limit)));
    with_pool!(db, p => {
        let mut q = sqlx::query_as::<_, AuditRow>(&sql);
        for arg in &args.0 {
            q = match arg {
                Arg::Int(n) => q.bind(*n),
                Arg::Text(t) => q.bind(t.as_str()),
            };
        }
        q.fetch_all(p).await
    })
}
