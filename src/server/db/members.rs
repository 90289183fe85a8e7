//! Workspace memberships: the paginated list, role changes and removal.

use super::audit::{audit_query, AuditEvent};
use super::workspaces::{access_columns, WorkspaceAccess};
use super::BeginWrite;
use super::{with_pool, Db, DbResult};
pub use crate::domain::requests::StatusFilter;
use crate::domain::{RoleSource, UserId, WorkspaceId, WorkspaceRole};
use std::sync::Arc;

/// One row of the members list: an active member (`user_id` set) or an invitation. Read from
/// the page's JSON array of arrays, so the fields are in the query's column order.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct MemberRow {
    pub user_id: Option<String>,
    pub email: String,
    pub name: String,
    pub role: WorkspaceRole,
    pub role_source: RoleSource,
    /// Joined (members) or invited (invitations), Unix seconds.
    pub at: i64,
    pub invited_by: Option<String>,
    pub expires_at: Option<i64>,
    /// Where the row sorts: see [`Cursor`].
    pub sort_key: String,
    pub kind: i64,
    /// 1 for an invitation whose email already belongs to an account (and for members).
    pub has_account: i64,
    /// Members: when their account was deactivated.
    pub disabled_at: Option<i64>,
}

/// Where a page of the members list starts: just after the row with this sort key. Rows are
/// ordered by `(key, email, kind)`: `key` is the email, or in a search the lowercased name for
/// people found by their name; `kind` puts a member before an invitation for the same email.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Cursor {
    pub key: String,
    pub email: String,
    pub kind: i64,
}

impl Cursor {
    /// The opaque `after` value handed to clients: URL-safe base64 of a JSON triple.
    pub fn encode(&self) -> String {
        use base64::Engine;
        let json = serde_json::to_vec(&(&self.key, &self.email, self.kind)).unwrap_or_default();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    /// `None` for anything [`Cursor::encode`] did not make.
    pub fn decode(s: &str) -> Option<Cursor> {
        use base64::Engine;
        // Two emails (at most 254 bytes each) or a name key and an email, encoded: anything
        // longer was not made here, and would only make pages of the read cache heavy.
        if s.len() > 2_048 {
            return None;
        }
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .ok()?;
        let (key, email, kind): (String, String, i64) = serde_json::from_slice(&json).ok()?;
        matches!(kind, MEMBER | INVITATION).then_some(Cursor { key, email, kind })
    }
}

const MEMBER: i64 = 0;
const INVITATION: i64 = 1;

/// Sorts after every string that starts with a given prefix (both backends compare bytewise).
const PREFIX_END: char = '\u{10FFFF}';

/// One page of a workspace's active members and invitations, and the cursor of the next page.
///
/// Every part of the query is an index range read in order — members by `(workspace_id,
/// email)` or `(workspace_id, name_key, email)`, invitations by `(workspace_id, email)` — for
/// at most one page, and the parts are merged, so a page costs the same at the start or deep in
/// a workspace of 20 or of 20,000 members, searched or not. A search matches the start of an email address or of a
/// name, whatever its case; a member found by both is listed once, by email.
///
/// The same query reads the workspace and `viewer_id`'s roles in it ([`WorkspaceAccess`]), so
/// that a page costs one round trip: the caller must authorize with them before using the rows.
/// `None` when the workspace does not exist.
///
/// On SQLite a page is served from the [`ReadCache`] while the database has not changed since
/// it was read, except under the pending and expired filters, which depend on the clock.
///
/// [`ReadCache`]: super::read_cache::ReadCache
pub async fn list(
    db: &Db,
    workspace_id: &WorkspaceId,
    viewer_id: &str,
    search: &str,
    status: StatusFilter,
    after: Option<&Cursor>,
    limit: i64,
) -> DbResult<Option<Page>> {
    let query = PageQuery::new(workspace_id, viewer_id, search, status, after, limit);
    // The pending and expired filters depend on the clock, which a cached page would not see.
    if !matches!(status, StatusFilter::All | StatusFilter::Active) {
        return list_uncached(db, &query).await;
    }
    let page = db
        .read_through(&query, || async {
            Ok(list_uncached(db, &query).await?.map(Arc::new))
        })
        .await?;
    Ok(page.map(|page| Page::clone(&page)))
}

/// A batch of the list for an export: the same query as [`list`], never through the read
/// cache (an export's batches would push out the pages people are reading).
pub async fn list_batch(
    db: &Db,
    workspace_id: &WorkspaceId,
    viewer_id: &str,
    search: &str,
    status: StatusFilter,
    after: Option<&Cursor>,
    limit: i64,
) -> DbResult<Option<Page>> {
    list_uncached(
        db,
        &PageQuery::new(workspace_id, viewer_id, search, status, after, limit),
    )
    .await
}

/// A page of the members list, with the workspace and the viewer's roles read with it.
pub type Page = (WorkspaceAccess, Vec<MemberRow>, Option<Cursor>);

/// Everything a page is read by, except the clock: also its key in the read cache.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PageQuery {
    workspace_id: String,
    viewer_id: String,
    search: String,
    status: StatusFilter,
    after: Option<Cursor>,
    limit: i64,
}

impl PageQuery {
    fn new(
        workspace_id: &WorkspaceId,
        viewer_id: &str,
        search: &str,
        status: StatusFilter,
        after: Option<&Cursor>,
        limit: i64,
    ) -> PageQuery {
        PageQuery {
            workspace_id: workspace_id.as_str().to_string(),
            viewer_id: viewer_id.to_string(),
            search: search.to_string(),
            status,
            after: after.cloned(),
            limit,
        }
    }
}

impl super::read_cache::CachedRead for PageQuery {
    type Answer = Arc<Page>;
    const CAPACITY: usize = 512;
}

async fn list_uncached(db: &Db, query: &PageQuery) -> DbResult<Option<Page>> {
    let PageQuery {
        workspace_id,
        viewer_id,
        search,
        status,
        after,
        limit,
    } = query;
    let (status, after, limit) = (*status, after.as_ref(), *limit);
    // Placeholders: $1 workspace, $2 search, $3 the character after every prefix,
    // $4..$6 cursor, $7 now, $8 the viewer.
    let searching = !search.is_empty();
    let range = |col: &str| {
        if searching {
            format!(" AND {col} >= lower($2) AND {col} < lower($2) || $3")
        } else {
            String::new()
        }
    };
    // Each part starts at the cursor: `key >= $4` is the index range, and the row comparison
    // skips the few rows whose key equals the cursor's.
    let after_cursor = |key: &str, email: &str, kind: i64| {
        if after.is_some() {
            format!(" AND {key} >= $4 AND ({key}, {email}, CAST({kind} AS BIGINT)) > ($4, $5, $6)")
        } else {
            String::new()
        }
    };
    let member_cols = "m.user_id AS user_id, m.email AS email, u.name AS name, m.role AS role, \
         m.role_source AS role_source, m.joined_at AS at, CAST(NULL AS TEXT) AS invited_by, \
         CAST(NULL AS BIGINT) AS expires_at, CAST(1 AS BIGINT) AS has_account, u.disabled_at AS disabled_at";
    let members_by_email = format!(
        "SELECT {member_cols}, m.email AS sort_key, CAST({MEMBER} AS BIGINT) AS kind \
         FROM workspace_members m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1{}{}",
        range("m.email"),
        after_cursor("m.email", "m.email", MEMBER)
    );
    let members_by_name = format!(
        "SELECT {member_cols}, m.name_key AS sort_key, CAST({MEMBER} AS BIGINT) AS kind \
         FROM workspace_members m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1{} \
         AND NOT (m.email >= lower($2) AND m.email < lower($2) || $3){}",
        range("m.name_key"),
        after_cursor("m.name_key", "m.email", MEMBER)
    );
    let expiry = match status {
        StatusFilter::Pending => " AND COALESCE(iw.expires_at, i.expires_at) > $7",
        StatusFilter::Expired => " AND COALESCE(iw.expires_at, i.expires_at) <= $7",
        _ => "",
    };
    // `users.email` has the database's default collation and the invitation tables compare
    // bytewise ("C" on PostgreSQL): the lookup names the users index's collation, or
    // PostgreSQL cannot use that index and scans every user for each row (measured: page 1 of
    // the bench's largest workspace fell from 1,617 to 20 req/s). It is a scalar subquery, not
    // EXISTS, which PostgreSQL would turn into a hash of every user's email (35 req/s): this
    // way it probes the index once per row of the page.
    let users_collation = match db {
        Db::Sqlite(..) => "BINARY",
        Db::Postgres(_) => "\"default\"",
    };
    let invitations = format!(
        "SELECT CAST(NULL AS TEXT) AS user_id, iw.email AS email, '' AS name, iw.workspace_role AS role, \
         iw.role_source AS role_source, i.invited_at AS at, inviter.email AS invited_by, \
         COALESCE(iw.expires_at, i.expires_at) AS expires_at, \
         CAST(COALESCE((SELECT 1 FROM users x WHERE x.email = (iw.email COLLATE {users_collation}) LIMIT 1), 0) \
           AS BIGINT) AS has_account, \
         CAST(NULL AS BIGINT) AS disabled_at, \
         iw.email AS sort_key, CAST({INVITATION} AS BIGINT) AS kind \
         FROM pending_invite_workspaces iw JOIN pending_invites i ON i.email = iw.email \
         LEFT JOIN users inviter ON inviter.id = iw.invited_by_user_id \
         WHERE iw.workspace_id = $1{}{expiry}{}",
        range("iw.email"),
        after_cursor("iw.email", "iw.email", INVITATION)
    );
    let mut parts = Vec::new();
    if matches!(status, StatusFilter::All | StatusFilter::Active) {
        parts.push(members_by_email);
        if searching {
            parts.push(members_by_name);
        }
    }
    if status != StatusFilter::Active {
        parts.push(invitations);
    }
    // Every placeholder is bound on both backends, so each gets a typed mention in the first
    // part (PostgreSQL takes a parameter's type from its first use).
    let mentions =
        " AND CAST($2 AS TEXT) = CAST($2 AS TEXT) AND CAST($3 AS TEXT) = CAST($3 AS TEXT) \
         AND CAST($4 AS TEXT) = CAST($4 AS TEXT) AND CAST($5 AS TEXT) = CAST($5 AS TEXT) \
         AND CAST($6 AS BIGINT) = CAST($6 AS BIGINT) AND CAST($7 AS BIGINT) = CAST($7 AS BIGINT)";
    parts[0].push_str(mentions);
    // Each part reads at most one page, in the order of its own index, and the parts' rows are
    // merged: the work is bounded by the page size whatever a planner estimates. (The limit is
    // a literal so that PostgreSQL plans for it: with a parameter, a generic plan may hash-join
    // the whole workspace instead.)
    let take = limit + 1;
    let parts: Vec<String> = parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            format!("SELECT * FROM ({part} ORDER BY sort_key, email LIMIT {take}) AS part{i}")
        })
        .collect();
    let page = format!(
        "{} ORDER BY sort_key, email, kind LIMIT {take}",
        parts.join(" UNION ALL ")
    );
    // The page comes back as one JSON array in one row: the SQLite driver hands rows over one
    // by one between threads, which cost more than the query itself.
    const COLUMNS: &str =
        "user_id, email, name, role, role_source, at, invited_by, expires_at, sort_key, kind, has_account, disabled_at";
    let page = match db {
        Db::Sqlite(..) => super::sqlite::json_rows(COLUMNS, &page),
        Db::Postgres(_) => super::postgres::json_rows(COLUMNS, &page),
    };
    let sql = format!(
        "SELECT {}, ({page}) AS page FROM workspaces w JOIN organizations o ON o.id = w.org_id \
         WHERE w.id = $1",
        access_columns("$8")
    );
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        access: WorkspaceAccess,
        page: Option<String>,
    }
    let prefix_end = PREFIX_END.to_string();
    let (c_key, c_email, c_kind) = match after {
        Some(c) => (c.key.as_str(), c.email.as_str(), c.kind),
        None => ("", "", 0),
    };
    let row: Option<Row> = with_pool!(db, p => {
        sqlx::query_as(&sql)
            .bind(workspace_id)
            .bind(search)
            .bind(&prefix_end)
            .bind(c_key)
            .bind(c_email)
            .bind(c_kind)
            .bind(super::now())
            .bind(viewer_id)
            .fetch_optional(p)
            .await?
    });
    let Some(Row { access, page }) = row else {
        return Ok(None);
    };
    let mut rows: Vec<MemberRow> = match page {
        Some(json) => serde_json::from_str(&json).map_err(|e| sqlx::Error::Decode(e.into()))?,
        None => Vec::new(),
    };
    // Both backends compare these bytewise, as `str` does; sorting here makes the order not
    // depend on an aggregate keeping its input's order.
    rows.sort_by(|a, b| (&a.sort_key, &a.email, a.kind).cmp(&(&b.sort_key, &b.email, b.kind)));
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| Cursor {
            key: r.sort_key.clone(),
            email: r.email.clone(),
            kind: r.kind,
        })
    } else {
        None
    };
    Ok(Some((access, rows, next)))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MembershipChange {
    NotAMember,
    /// Refused: it would leave the workspace without a `workspace_admin`.
    LastAdmin,
    Unchanged,
    Changed {
        from: WorkspaceRole,
    },
    Removed {
        role: WorkspaceRole,
    },
}

/// Locks the workspace row for the rest of the transaction, so that two concurrent changes
/// cannot both remove "the other" admin. Portable: an UPDATE takes the row lock on PostgreSQL
/// and the (already held) write lock on SQLite.
const LOCK_WORKSPACE: &str = "UPDATE workspaces SET name = name WHERE id = $1";
const ROLE_OF: &str = "SELECT role FROM workspace_members WHERE workspace_id = $1 AND user_id = $2";
const ADMIN_COUNT: &str =
    "SELECT COUNT(*) FROM workspace_members WHERE workspace_id = $1 AND role = 'workspace_admin'";

/// The last-admin guard of every change that can take a membership away from
/// `workspace_admin` (a role change, a removal): inside the write transaction `$tx`, locks the
/// workspace, reads the member's role, and returns early from the enclosing function with
/// [`MembershipChange::NotAMember`], or [`MembershipChange::Unchanged`] when `$keeps` says the
/// change leaves the role as it is, or [`MembershipChange::LastAdmin`] when the member is the
/// workspace's only admin. Evaluates to the member's current role.
macro_rules! guard_last_admin {
    ($tx:ident, $workspace_id:expr, $user_id:expr, $keeps:expr) => {{
        sqlx::query(LOCK_WORKSPACE)
            .bind($workspace_id)
            .execute(&mut *$tx)
            .await?;
        let current: Option<WorkspaceRole> = sqlx::query_scalar(ROLE_OF)
            .bind($workspace_id)
            .bind($user_id)
            .fetch_optional(&mut *$tx)
            .await?;
        let Some(current) = current else {
            return Ok(MembershipChange::NotAMember);
        };
        let keeps: &dyn Fn(WorkspaceRole) -> bool = &$keeps;
        if keeps(current) {
            return Ok(MembershipChange::Unchanged);
        }
        if current == WorkspaceRole::WorkspaceAdmin {
            let admins: i64 = sqlx::query_scalar(ADMIN_COUNT)
                .bind($workspace_id)
                .fetch_one(&mut *$tx)
                .await?;
            if admins <= 1 {
                return Ok(MembershipChange::LastAdmin);
            }
        }
        current
    }};
}

pub async fn set_role(
    db: &Db,
    workspace_id: &WorkspaceId,
    user_id: &UserId,
    role: WorkspaceRole,
    source: RoleSource,
    audit: &AuditEvent,
) -> DbResult<MembershipChange> {
    let (ws, user) = (workspace_id.as_str(), user_id.as_str());
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        let current = guard_last_admin!(tx, ws, user, |current| current == role);
        sqlx::query("UPDATE workspace_members SET role = $1, role_source = $2 WHERE workspace_id = $3 AND user_id = $4")
            .bind(role)
            .bind(source)
            .bind(ws)
            .bind(user)
            .execute(&mut *tx)
            .await?;
        let mut ev = audit.clone();
        ev.detail = Some(format!("from={current} to={role} source={source}"));
        audit_query!(&ev).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(MembershipChange::Changed { from: current })
    })
}

pub async fn remove(
    db: &Db,
    workspace_id: &WorkspaceId,
    user_id: &UserId,
    audit: &AuditEvent,
) -> DbResult<MembershipChange> {
    let (ws, user) = (workspace_id.as_str(), user_id.as_str());
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        let current = guard_last_admin!(tx, ws, user, |_| false);
        sqlx::query("DELETE FROM workspace_members WHERE workspace_id = $1 AND user_id = $2")
            .bind(ws)
            .bind(user)
            .execute(&mut *tx)
            .await?;
        let mut ev = audit.clone();
        ev.detail = Some(format!("role={current}"));
        audit_query!(&ev).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(MembershipChange::Removed { role: current })
    })
}

/// The user's role in the workspace and where it came from, if they are a member.
/// The emails and roles of these users in the workspace (those who are members), and how many
/// admins it has: two queries, however many rows.
pub async fn roles_of(
    db: &Db,
    workspace_id: &WorkspaceId,
    user_ids: &[String],
) -> DbResult<(Vec<(String, String, WorkspaceRole)>, i64)> {
    let admins: i64 = with_pool!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM workspace_members WHERE workspace_id = $1 AND role = 'workspace_admin'",
    )
    .bind(workspace_id.as_str())
    .fetch_one(p)
    .await)?;
    if user_ids.is_empty() {
        return Ok((Vec::new(), admins));
    }
    let placeholders: Vec<String> = (2..user_ids.len() + 2).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT user_id, email, role FROM workspace_members WHERE workspace_id = $1 AND user_id IN ({})",
        placeholders.join(", ")
    );
    let roles = with_pool!(db, p => {
        let mut q = sqlx::query_as::<_, (String, String, WorkspaceRole)>(&sql).bind(workspace_id.as_str());
        for id in user_ids {
            q = q.bind(id);
        }
        q.fetch_all(p).await
    })?;
    Ok((roles, admins))
}

pub async fn role_of(
    db: &Db,
    workspace_id: &WorkspaceId,
    user_id: &UserId,
) -> DbResult<Option<(WorkspaceRole, RoleSource)>> {
    with_pool!(db, p => sqlx::query_as(
        "SELECT role, role_source FROM workspace_members WHERE workspace_id = $1 AND user_id = $2",
    )
    .bind(workspace_id.as_str())
    .bind(user_id.as_str())
    .fetch_optional(p)
    .await)
}

/// Adds a membership (nothing when it exists already) and its audit row, in one transaction.
pub async fn add(
    db: &Db,
    workspace_id: &WorkspaceId,
    user_id: &UserId,
    role: WorkspaceRole,
    source: RoleSource,
    audit: &AuditEvent,
) -> DbResult<bool> {
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        let n = sqlx::query(
            "INSERT INTO workspace_members (workspace_id, user_id, email, role, role_source, joined_at) VALUES ($1, $2, (SELECT email FROM users WHERE id = $2), $3, $4, $5) \
             ON CONFLICT (workspace_id, user_id) DO NOTHING",
        )
        .bind(workspace_id.as_str())
        .bind(user_id.as_str())
        .bind(role)
        .bind(source)
        .bind(super::now())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n > 0 {
            audit_query!(audit).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(n > 0)
    })
}

#[cfg(test)]
mod tests {
    use super::Cursor;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let c = Cursor {
            key: "ada lovelace".into(),
            email: "ada@example.com".into(),
            kind: 1,
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("not a cursor"), None);
        assert_eq!(Cursor::decode(""), None);
        let bad_kind = Cursor {
            kind: 7,
            ..Cursor::decode(
                &Cursor {
                    key: "a".into(),
                    email: "a".into(),
                    kind: 0,
                }
                .encode(),
            )
            .unwrap()
        };
        assert_eq!(Cursor::decode(&bad_kind.encode()), None);

        // The longest a real row gives: a 200-character name (4 bytes each) and a 254-byte email.
        let longest = Cursor {
            key: "\u{1F600}".repeat(200),
            email: format!("{}@example.com", "a".repeat(242)),
            kind: 0,
        };
        assert_eq!(Cursor::decode(&longest.encode()), Some(longest));
        let oversized = Cursor {
            key: "a".repeat(2_000),
            email: "a@example.com".into(),
            kind: 0,
        };
        assert_eq!(Cursor::decode(&oversized.encode()), None);
    }
}
