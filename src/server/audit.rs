//! The audit log as its viewers may see it: one page at a time, narrowed by a filter, or the
//! whole filtered log exported as CSV or NDJSON (streamed a batch at a time).

use crate::domain::requests::MAX_SEARCH_CHARS;
use crate::domain::time::{format_rfc3339, parse_date};
use crate::domain::{can, manages, Action, AuditAction, Target};
use crate::model::audit::{AuditEntry, AuditFilter, AuditPage, AUDIT_PAGE_SIZE};
use crate::server::auth::Caller;
use crate::server::db::{audit, users, workspaces, Db};
use crate::server::export::{self, Exported, Format};
use crate::server::AppError;

/// Newest first: everything for platform admins and operators; the workspaces they administer
/// (and their own actions) for everybody else; 403 for whoever administers nothing; 400 for a
/// filter that does not parse.
pub async fn list(
    caller: &Caller,
    filter: AuditFilter,
    before: Option<i64>,
) -> Result<AuditPage, AppError> {
    let scope = visible_scope(caller).await?;
    let Some(filter) = resolve(caller, filter).await? else {
        return Ok(AuditPage {
            entries: Vec::new(),
            next_before: None,
        });
    };
    let rows = scope
        .rows(&caller.state.db, &filter, before, AUDIT_PAGE_SIZE)
        .await?;
    let next_before = (rows.len() as i64 == AUDIT_PAGE_SIZE)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    Ok(AuditPage {
        entries: rows.into_iter().map(entry).collect(),
        next_before,
    })
}

/// The audit rows about one person the caller may see, newest first (a person's page); none
/// when the caller may see no audit rows at all.
pub async fn about_person(
    caller: &Caller,
    about: audit::AboutPerson<'_>,
    limit: i64,
) -> Result<Vec<audit::AuditRow>, AppError> {
    let scope = match visible_scope(caller).await {
        Ok(scope) => scope,
        Err(AppError::Forbidden(_)) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let db = &caller.state.db;
    Ok(audit::list(
        db,
        scope.as_scope(),
        Some(about),
        &audit::Filter::default(),
        None,
        limit,
    )
    .await?)
}

/// Which rows a caller may see, owned (an export outlives the request handler's borrows).
enum VisibleScope {
    Everything,
    Workspaces { ids: Vec<String>, viewer_id: String },
}

impl VisibleScope {
    fn as_scope(&self) -> audit::AuditScope<'_> {
        match self {
            VisibleScope::Everything => audit::AuditScope::Everything,
            VisibleScope::Workspaces { ids, viewer_id } => {
                audit::AuditScope::Workspaces { ids, viewer_id }
            }
        }
    }

    async fn rows(
        &self,
        db: &Db,
        filter: &ResolvedFilter,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<audit::AuditRow>, AppError> {
        let about = filter.person.as_ref().map(|p| audit::AboutPerson {
            user_id: &p.user_id,
            email: &p.email,
            with_account_events: p.with_account_events,
        });
        Ok(audit::list(db, self.as_scope(), about, &filter.rows, before, limit).await?)
    }
}

/// Everything for platform admins and operators; the workspaces they administer (and their own
/// actions) for everybody else; 403 for whoever administers nothing.
async fn visible_scope(caller: &Caller) -> Result<VisibleScope, AppError> {
    let db = &caller.state.db;
    let actor = caller.actor().await?;
    if can(actor, Action::ViewAudit, Target::Platform) {
        return Ok(VisibleScope::Everything);
    }
    let ids: Vec<String> = workspaces::list_for_user(db, &caller.user.id)
        .await?
        .iter()
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
        .map(|w| w.id.clone())
        .collect();
    if ids.is_empty() {
        return Err(AppError::Forbidden("only admins see the audit log"));
    }
    Ok(VisibleScope::Workspaces {
        ids,
        viewer_id: caller.user.id.clone(),
    })
}

/// A filter checked against the database: the actor's email became a user id, the person
/// their id, email and whether the caller manages them.
struct ResolvedFilter {
    rows: audit::Filter,
    person: Option<PersonFilter>,
}

struct PersonFilter {
    user_id: String,
    email: String,
    with_account_events: bool,
}

/// Checks every field (400 naming each bad one); `None` when the filter names an actor or a
/// person that does not exist, so that nothing can match.
async fn resolve(caller: &Caller, filter: AuditFilter) -> Result<Option<ResolvedFilter>, AppError> {
    use crate::domain::requests::FieldErrors;
    let filter = filter.normalized();
    let mut errors = FieldErrors::default();
    for (field, value) in [
        ("action", &filter.action),
        ("actor", &filter.actor),
        ("target", &filter.target),
        ("workspace_id", &filter.workspace_id),
        ("person", &filter.person),
        ("from", &filter.from),
        ("to", &filter.to),
    ] {
        if value
            .as_ref()
            .is_some_and(|v| v.chars().count() > MAX_SEARCH_CHARS)
        {
            errors.add(field, format!("at most {MAX_SEARCH_CHARS} characters"));
        }
    }
    let action = match filter.action.as_deref().map(str::parse::<AuditAction>) {
        Some(Err(_)) => {
            errors.add("action", "no such action");
            None
        }
        Some(Ok(action)) => Some(action),
        None => None,
    };
    let from = instant(&mut errors, "from", filter.from.as_deref(), false);
    let to = instant(&mut errors, "to", filter.to.as_deref(), true);
    if let (Some(from), Some(to)) = (from, to) {
        if from >= to {
            errors.add("to", "the range ends before it starts");
        }
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let db = &caller.state.db;
    let actor_user_id = match filter.actor.as_deref() {
        None => None,
        Some(email) => match users::id_by_email(db, &email.to_lowercase()).await? {
            Some(id) => Some(id),
            None => return Ok(None),
        },
    };
    let person = match filter.person.as_deref() {
        None => None,
        Some(id) => {
            let Some(person) = users::find_by_id(db, id).await? else {
                return Ok(None);
            };
            let is_self = person.id == caller.user.id;
            let account = users::account_scope(db, &person.id, &person.email).await?;
            let with_account_events = !is_self && manages(caller.actor().await?, &account);
            Some(PersonFilter {
                user_id: person.id,
                email: person.email,
                with_account_events,
            })
        }
    };
    Ok(Some(ResolvedFilter {
        rows: audit::Filter {
            action,
            actor_user_id,
            target: filter.target,
            workspace_id: filter.workspace_id,
            from,
            to,
        },
        person,
    }))
}

/// A day (`YYYY-MM-DD`, UTC) or a Unix second. A day given as the end of a range includes the
/// whole day.
fn instant(
    errors: &mut crate::domain::requests::FieldErrors,
    field: &str,
    raw: Option<&str>,
    end: bool,
) -> Option<i64> {
    let raw = raw?;
    if let Some(day) = parse_date(raw) {
        return Some(if end { day + 86_400 } else { day });
    }
    match raw.parse::<i64>() {
        Ok(secs) if (0..=253_402_300_799).contains(&secs) => Some(secs),
        _ => {
            errors.add(field, "a date (YYYY-MM-DD) or a Unix time in seconds");
            None
        }
    }
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

/// One exported entry; the CSV's columns are these fields, in this order.
#[derive(serde::Serialize)]
struct ExportRow {
    id: i64,
    time: String,
    actor: Option<String>,
    actor_token: Option<String>,
    action: &'static str,
    target: Option<String>,
    workspace_id: Option<String>,
    workspace: Option<String>,
    ip: Option<String>,
    detail: Option<String>,
}

impl ExportRow {
    fn new(r: audit::AuditRow) -> ExportRow {
        ExportRow {
            id: r.id,
            time: format_rfc3339(r.at),
            actor: r.actor_email,
            actor_token: r.actor_token,
            action: r.action.as_str(),
            target: r.target,
            workspace_id: r.workspace_id,
            workspace: r.workspace_name,
            ip: r.ip,
            detail: r.detail,
        }
    }
}

impl Exported for ExportRow {
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "time",
        "actor",
        "actor_token",
        "action",
        "target",
        "workspace_id",
        "workspace",
        "ip",
        "detail",
    ];
    fn text_cells(&mut self) -> Vec<&mut String> {
        [
            &mut self.actor,
            &mut self.actor_token,
            &mut self.target,
            &mut self.workspace,
            &mut self.ip,
            &mut self.detail,
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

/// The filtered log the caller may see, newest first, as a download streamed a batch at a
/// time. The filter and the caller's rights are checked before anything is sent (400 and 403
/// are answers, not a cut-off file).
pub async fn export(
    caller: Caller,
    filter: AuditFilter,
    format: Format,
) -> Result<axum::response::Response, AppError> {
    let scope = visible_scope(&caller).await?;
    let query = filter.to_query();
    let filter = resolve(&caller, filter).await?;
    // An export is a bulk read of what people did: it is itself on the record.
    let mut ev = caller.audit(AuditAction::DataExported);
    ev.detail = Some(
        format!("audit.{} {query}", format.extension())
            .trim_end()
            .to_string(),
    );
    audit::record(&caller.state.db, &ev).await?;
    struct Cursor {
        before: Option<i64>,
        first: bool,
        done: bool,
    }
    let start = Cursor {
        before: None,
        first: true,
        done: false,
    };
    let shared = std::sync::Arc::new((caller.state.db.clone(), scope, filter));
    let batches = futures::stream::try_unfold(start, move |cursor| {
        let shared = shared.clone();
        async move {
            let (db, scope, filter) = &*shared;
            if cursor.done {
                return Ok(None);
            }
            let rows = match filter {
                Some(filter) => scope.rows(db, filter, cursor.before, export::BATCH).await?,
                None => Vec::new(),
            };
            if rows.is_empty() && !cursor.first {
                return Ok(None);
            }
            let next = Cursor {
                before: rows.last().map(|r| r.id),
                first: false,
                done: (rows.len() as i64) < export::BATCH,
            };
            let rows = rows.into_iter().map(ExportRow::new).collect();
            Ok(Some((export::encode(format, rows, cursor.first)?, next)))
        }
    });
    Ok(export::response(format, "audit", batches))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csv_header_names_the_columns_in_order() {
        let row = audit::AuditRow {
            id: 7,
            at: 1_795_000_007,
            actor_email: Some("ann@example.com".into()),
            action: AuditAction::InviteCreated,
            target: Some("bob@example.com".into()),
            workspace_id: Some("w1".into()),
            workspace_name: Some("Design".into()),
            ip: Some("127.0.0.1".into()),
            detail: Some("role=workspace_viewer".into()),
            actor_token: None,
        };
        let mut out = csv::Writer::from_writer(Vec::new());
        out.serialize(ExportRow::new(row)).unwrap();
        let written = String::from_utf8(out.into_inner().unwrap()).unwrap();
        let mut lines = written.lines();
        assert_eq!(lines.next().unwrap(), ExportRow::COLUMNS.join(","));
        assert_eq!(
            lines.next().unwrap(),
            "7,2026-11-18T11:06:47Z,ann@example.com,,invite_created,bob@example.com,w1,Design,127.0.0.1,role=workspace_viewer"
        );
    }
}
