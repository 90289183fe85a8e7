//! Workspace memberships: the paginated list, role changes and removal.

use super::audit::{audit_query, AuditEvent};
use super::workspaces::{access_columns, WorkspaceAccess};
use super::BeginWrite;
use super::{with_pool, Db, DbResult};
pub use crate::domain::requests::StatusFilter;
use crate::domain::requests::{MemberFilter, MemberSort, SortField};
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
    pub sort_key: SortKey,
    pub kind: i64,
    /// 1 for an invitation whose email already belongs to an account (and for members).
    pub has_account: i64,
    /// Members: when their account was deactivated.
    pub disabled_at: Option<i64>,
    /// Members: when they last signed in.
    pub last_sign_in_at: Option<i64>,
}

/// The value a row sorts by: text (email, name, role) or a number (status rank, times).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(untagged)]
pub enum SortKey {
    Number(i64),
    Text(String),
}

/// Where a page of the members list starts: just after the row with this sort key, in the
/// order `sort`. Rows are ordered by `(key, email, kind)`: `key` is the sorted column (in a
/// search by email, the lowercased name for people found by their name); `kind` puts a
/// member before an invitation for the same email.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cursor {
    pub sort: MemberSort,
    pub key: SortKey,
    pub email: String,
    pub kind: i64,
    /// The clock of the walk's first page: every later page tells pending from expired by it,
    /// so that an invitation expiring mid-walk neither moves behind the cursor (skipped) nor
    /// ahead of it (listed twice).
    pub at: i64,
}

impl Cursor {
    /// The opaque `after` value handed to clients: URL-safe base64 of a JSON array.
    pub fn encode(&self) -> String {
        use base64::Engine;
        let json = serde_json::to_vec(&(
            &self.key,
            &self.email,
            self.kind,
            self.sort.as_string(),
            self.at,
        ))
        .unwrap_or_default();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    /// `None` for anything [`Cursor::encode`] did not make for a page in the order `sort`.
    pub fn decode(s: &str, sort: MemberSort) -> Option<Cursor> {
        use base64::Engine;
        // Two emails (at most 254 bytes each) or a name key and an email, encoded: anything
        // longer was not made here, and would only make pages of the read cache heavy.
        if s.len() > 2_048 {
            return None;
        }
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .ok()?;
        let (key, email, kind, made_for, at): (SortKey, String, i64, String, i64) =
            serde_json::from_slice(&json).ok()?;
        // No stored email or name holds a control character (PostgreSQL refuses some outright).
        let text_key = match &key {
            SortKey::Text(t) => t.as_str(),
            SortKey::Number(_) => "",
        };
        if email.chars().chain(text_key.chars()).any(char::is_control) {
            return None;
        }
        let numeric = matches!(
            sort.field,
            SortField::Status | SortField::Joined | SortField::LastSignIn
        );
        let key_fits = matches!(key, SortKey::Number(_)) == numeric;
        (matches!(kind, MEMBER | INVITATION) && made_for == sort.as_string() && key_fits).then_some(
            Cursor {
                sort,
                key,
                email,
                kind,
                at,
            },
        )
    }
}

const MEMBER: i64 = 0;
const INVITATION: i64 = 1;

/// Sorts after every string that starts with a given prefix (both backends compare bytewise).
const PREFIX_END: char = '\u{10FFFF}';

/// One page of a workspace's members and invitations in the filter's order, the cursor of the
/// next page, and the workspace's counts per status.
///
/// Every part of the query is an index range read in order — members by `(workspace_id,
/// <sorted column>, email)`, invitations by `(workspace_id, email)` or `(workspace_id,
/// workspace_role, email)` — for at most one page, and the parts are merged, so a page costs
/// about the same at the start or deep in a workspace of 20 or of 20,000 members, in any
/// order. A search matches the start of an email address or of a name, whatever its case; a
/// member found by both is listed once. A filter the sort's index does not lead with (a role
/// in an order by joined) skips the rows it excludes as it reads.
///
/// The same query reads the workspace and `viewer_id`'s roles in it ([`WorkspaceAccess`]), so
/// that a page costs one round trip: the caller must authorize with them before using the rows.
/// `None` when the workspace does not exist.
///
/// A page is served from the [`ReadCache`] while the database has not changed since it was
/// read and no invitation of the workspace has expired since (the pending and expired
/// filters and counts depend on the clock).
///
/// [`ReadCache`]: super::read_cache::ReadCache
pub async fn list(
    db: &Db,
    workspace_id: &WorkspaceId,
    viewer_id: &str,
    filter: &MemberFilter,
    after: Option<&Cursor>,
    limit: i64,
) -> DbResult<Option<Page>> {
    let query = PageQuery::new(workspace_id, viewer_id, filter, after, limit);
    let now = super::now();
    let reading = &query;
    let page = db
        .read_through_fresh(
            &query,
            |page: &Arc<Page>| page.valid_until > now,
            |db| async move { Ok(list_uncached(&db, reading, now).await?.map(Arc::new)) },
        )
        .await?;
    Ok(page.map(|page| Page::clone(&page)))
}

/// A batch of the list for an export: the same query as [`list`], never through the read
/// cache (an export's batches would push out the pages people are reading).
pub async fn list_batch(
    db: &Db,
    workspace_id: &WorkspaceId,
    viewer_id: &str,
    filter: &MemberFilter,
    after: Option<&Cursor>,
    limit: i64,
) -> DbResult<Option<Page>> {
    list_uncached(
        db,
        &PageQuery::new(workspace_id, viewer_id, filter, after, limit),
        super::now(),
    )
    .await
}

/// A page of the members list, with the workspace and the viewer's roles read with it.
#[derive(Debug, Clone)]
pub struct Page {
    pub access: WorkspaceAccess,
    pub rows: Vec<MemberRow>,
    pub next: Option<Cursor>,
    /// The workspace's deactivated members and expired invitations (the rest of the counts
    /// per status follow from the workspace's member and invitation counts).
    pub deactivated: i64,
    pub expired: i64,
    /// The page holds until this time (the workspace's next invitation expiry), or the next
    /// write.
    valid_until: i64,
}

/// Everything a page is read by, except the clock: also its key in the read cache.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PageQuery {
    workspace_id: String,
    viewer_id: String,
    filter: MemberFilter,
    after: Option<Cursor>,
    limit: i64,
}

impl PageQuery {
    fn new(
        workspace_id: &WorkspaceId,
        viewer_id: &str,
        filter: &MemberFilter,
        after: Option<&Cursor>,
        limit: i64,
    ) -> PageQuery {
        PageQuery {
            workspace_id: workspace_id.as_str().to_string(),
            viewer_id: viewer_id.to_string(),
            filter: filter.clone(),
            after: after.cloned(),
            limit,
        }
    }
}

impl super::read_cache::CachedRead for PageQuery {
    type Answer = Arc<Page>;
    const CAPACITY: usize = 512;
}

/// One part of a page's query: rows of one table read in the order of one index.
struct Part {
    /// `FROM … WHERE …` with the workspace, search and filter conditions.
    from_where: String,
    columns: &'static str,
    /// What the rows sort by: a column of the index, or a constant for the whole part.
    key: String,
    email: &'static str,
    kind: i64,
}

/// The columns of a member row and of an invitation row, in [`MemberRow`]'s order but for the
/// sort key and kind, which each part adds.
const MEMBER_COLUMNS: &str = "m.user_id AS user_id, m.email AS email, u.name AS name, m.role AS role, \
     m.role_source AS role_source, m.joined_at AS at, CAST(NULL AS TEXT) AS invited_by, \
     CAST(NULL AS BIGINT) AS expires_at, CAST(1 AS BIGINT) AS has_account, u.disabled_at AS disabled_at, \
     u.last_sign_in_at AS last_sign_in_at";

async fn list_uncached(db: &Db, query: &PageQuery, now: i64) -> DbResult<Option<Page>> {
    let PageQuery {
        workspace_id,
        viewer_id,
        filter,
        after,
        limit,
    } = query;
    let (after, limit) = (after.as_ref(), *limit);
    let MemberFilter {
        search,
        status,
        role,
        sort,
    } = filter;
    let (status, sort) = (*status, *sort);
    // Placeholders: $1 workspace, $2 search, $3 the character after every prefix,
    // $4..$6 cursor, $7 the walk's clock (see [`Cursor::at`]), $8 the viewer, $9 the role
    // filter, $10 now (for the counts).
    let clock = after.map_or(now, |c| c.at);
    let searching = !search.is_empty();
    let prefix = |col: &str| format!("{col} >= lower($2) AND {col} < lower($2) || $3");
    let numeric = matches!(
        sort.field,
        SortField::Status | SortField::Joined | SortField::LastSignIn
    );
    let member_base =
        format!(
        "FROM workspace_members m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1{}{}",
        match status {
            StatusFilter::Active => " AND m.deactivated = 0",
            StatusFilter::Deactivated => " AND m.deactivated = 1",
            _ => "",
        },
        if role.is_some() { " AND m.role = $9" } else { "" },
    );
    let invitation_columns: &'static str = match db {
        Db::Sqlite(..) => INVITATION_COLUMNS_SQLITE,
        Db::Postgres(..) => INVITATION_COLUMNS_POSTGRES,
    };
    let invitation_base = |expiry: &str| {
        format!(
            "FROM pending_invite_workspaces iw \
             LEFT JOIN users inviter ON inviter.id = iw.invited_by_user_id \
             WHERE iw.workspace_id = $1{expiry}{}{}",
            if role.is_some() {
                " AND iw.workspace_role = $9"
            } else {
                ""
            },
            if searching {
                format!(" AND {}", prefix("iw.email"))
            } else {
                String::new()
            },
        )
    };
    let pending = " AND iw.expires_at > $7";
    let expired = " AND iw.expires_at <= $7";
    let invitation_expiry = match status {
        StatusFilter::Pending => pending,
        StatusFilter::Expired => expired,
        _ => "",
    };
    let member = |key: &str, condition: String| Part {
        from_where: format!("{member_base}{condition}"),
        columns: MEMBER_COLUMNS,
        key: key.to_string(),
        email: "m.email",
        kind: MEMBER,
    };
    let invitation = |key: &str, expiry: &str| Part {
        from_where: invitation_base(expiry),
        columns: invitation_columns,
        key: key.to_string(),
        email: "iw.email",
        kind: INVITATION,
    };
    let members_searched = if searching {
        format!(" AND ({} OR {})", prefix("m.email"), prefix("m.name_key"))
    } else {
        String::new()
    };
    let mut parts = Vec::new();
    if status.shows_members() {
        match sort.field {
            // In email order a search reads two ranges, of emails and of names (each an index
            // range), and a member found by both is listed by email.
            SortField::Email if searching => {
                parts.push(member("m.email", format!(" AND {}", prefix("m.email"))));
                parts.push(member(
                    "m.name_key",
                    format!(
                        " AND {} AND NOT ({})",
                        prefix("m.name_key"),
                        prefix("m.email")
                    ),
                ));
            }
            SortField::Email => parts.push(member("m.email", String::new())),
            SortField::Name => parts.push(member("m.name_key", members_searched)),
            SortField::Role => parts.push(member("m.role", members_searched)),
            SortField::Status => parts.push(member("m.deactivated", members_searched)),
            SortField::Joined => parts.push(member("m.joined_at", members_searched)),
            SortField::LastSignIn => parts.push(member("m.last_sign_in_at", members_searched)),
        }
    }
    if status.shows_invitations() {
        match sort.field {
            SortField::Email | SortField::Name => {
                parts.push(invitation("iw.email", invitation_expiry))
            }
            SortField::Role => parts.push(invitation("iw.workspace_role", invitation_expiry)),
            // Pending before expired, after every member (ranks 0 and 1).
            SortField::Status => {
                if status != StatusFilter::Expired {
                    parts.push(invitation("CAST(2 AS BIGINT)", pending));
                }
                if status != StatusFilter::Pending {
                    parts.push(invitation("CAST(3 AS BIGINT)", expired));
                }
            }
            // Not joined yet: after every member who did.
            SortField::Joined => parts.push(invitation(
                &format!("CAST({} AS BIGINT)", i64::MAX),
                invitation_expiry,
            )),
            // Never signed in.
            SortField::LastSignIn => parts.push(invitation("CAST(0 AS BIGINT)", invitation_expiry)),
        }
    }
    let (direction, past) = if sort.descending {
        ("DESC", "<")
    } else {
        ("ASC", ">")
    };
    let key_type = if numeric { "BIGINT" } else { "TEXT" };
    // Each part starts at the cursor: `key >= $4` is the index range, and the row comparison
    // skips the few rows whose key equals the cursor's.
    let mut sql_parts: Vec<String> = parts
        .iter()
        .map(|p| {
            let after = if after.is_some() {
                format!(
                    " AND {key} {past}= $4 AND ({key}, {email}, CAST({kind} AS BIGINT)) {past} ($4, $5, $6)",
                    key = p.key,
                    email = p.email,
                    kind = p.kind
                )
            } else {
                String::new()
            };
            format!(
                "SELECT {}, {} AS sort_key, CAST({} AS BIGINT) AS kind {}{after}",
                p.columns, p.key, p.kind, p.from_where
            )
        })
        .collect();
    // A filter that matches no kind of row at all is not possible (every status shows members
    // or invitations), but an empty query would not be valid SQL.
    if sql_parts.is_empty() {
        sql_parts.push(format!(
            "SELECT {MEMBER_COLUMNS}, m.email AS sort_key, CAST(0 AS BIGINT) AS kind {member_base} AND 1 = 0"
        ));
    }
    // Every placeholder is bound on both backends, so each gets a typed mention in the first
    // part (PostgreSQL takes a parameter's type from its first use).
    sql_parts[0].push_str(&format!(
        " AND CAST($2 AS TEXT) = CAST($2 AS TEXT) AND CAST($3 AS TEXT) = CAST($3 AS TEXT) \
         AND CAST($4 AS {key_type}) = CAST($4 AS {key_type}) AND CAST($5 AS TEXT) = CAST($5 AS TEXT) \
         AND CAST($6 AS BIGINT) = CAST($6 AS BIGINT) AND CAST($7 AS BIGINT) = CAST($7 AS BIGINT) \
         AND CAST($9 AS TEXT) = CAST($9 AS TEXT)"
    ));
    // Each part reads at most one page, in the order of its own index, and the parts' rows are
    // merged: the work is bounded by the page size whatever a planner estimates. (The limit is
    // a literal so that PostgreSQL plans for it: with a parameter, a generic plan may hash-join
    // the whole workspace instead.)
    let take = limit + 1;
    let order = format!("sort_key {direction}, email {direction}");
    let parts: Vec<String> = sql_parts
        .iter()
        .enumerate()
        .map(|(i, part)| format!("SELECT * FROM ({part} ORDER BY {order} LIMIT {take}) AS part{i}"))
        .collect();
    let page = format!(
        "{} ORDER BY {order}, kind {direction} LIMIT {take}",
        parts.join(" UNION ALL ")
    );
    // The page comes back as one JSON array in one row: the SQLite driver hands rows over one
    // by one between threads, which cost more than the query itself.
    const COLUMNS: &str = "user_id, email, name, role, role_source, at, invited_by, expires_at, \
         sort_key, kind, has_account, disabled_at, last_sign_in_at";
    let page = match db {
        Db::Sqlite(..) => super::sqlite::json_rows(COLUMNS, &page),
        Db::Postgres(..) => super::postgres::json_rows(COLUMNS, &page),
    };
    // The counts per status and the next expiry are index ranges of the workspace's
    // invitations by expiry (expired invitations are few: they are what is left to clean up).
    let sql = format!(
        "SELECT {}, w.deactivated_count, \
         (SELECT COUNT(*) FROM pending_invite_workspaces x WHERE x.workspace_id = $1 AND x.expires_at <= $10) AS expired_count, \
         (SELECT MIN(x.expires_at) FROM pending_invite_workspaces x WHERE x.workspace_id = $1 AND x.expires_at > $10) AS next_expiry, \
         ({page}) AS page FROM workspaces w JOIN organizations o ON o.id = w.org_id \
         WHERE w.id = $1",
        access_columns("$8")
    );
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        access: WorkspaceAccess,
        deactivated_count: i64,
        expired_count: i64,
        next_expiry: Option<i64>,
        page: Option<String>,
    }
    let prefix_end = PREFIX_END.to_string();
    let (c_email, c_kind) = match after {
        Some(c) => (c.email.as_str(), c.kind),
        None => ("", 0),
    };
    let role = role.map(WorkspaceRole::as_str).unwrap_or("");
    let row: Option<Row> = with_pool!(db, p => {
        let q = sqlx::query_as(&sql).bind(workspace_id).bind(search).bind(&prefix_end);
        let q = match after.map(|c| &c.key) {
            Some(SortKey::Number(n)) => q.bind(*n),
            Some(SortKey::Text(t)) => q.bind(t.clone()),
            None if numeric => q.bind(0i64),
            None => q.bind(String::new()),
        };
        q.bind(c_email)
            .bind(c_kind)
            .bind(clock)
            .bind(viewer_id)
            .bind(role)
            .bind(now)
            .fetch_optional(p)
            .await?
    });
    let Some(row) = row else {
        return Ok(None);
    };
    let mut rows: Vec<MemberRow> = match row.page {
        Some(json) => serde_json::from_str(&json).map_err(|e| sqlx::Error::Decode(e.into()))?,
        None => Vec::new(),
    };
    // Both backends compare these bytewise, as `str` does; sorting here makes the order not
    // depend on an aggregate keeping its input's order.
    rows.sort_by(|a, b| {
        let order = (&a.sort_key, &a.email, a.kind).cmp(&(&b.sort_key, &b.email, b.kind));
        if sort.descending {
            order.reverse()
        } else {
            order
        }
    });
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| Cursor {
            sort,
            key: r.sort_key.clone(),
            email: r.email.clone(),
            kind: r.kind,
            at: clock,
        })
    } else {
        None
    };
    Ok(Some(Page {
        access: row.access,
        rows,
        next,
        deactivated: row.deactivated_count,
        expired: row.expired_count,
        valid_until: row.next_expiry.unwrap_or(i64::MAX),
    }))
}

/// The columns of an invitation row (see [`MEMBER_COLUMNS`]).
///
/// `users.email` has the database's default collation and the invitation tables compare
/// bytewise ("C" on PostgreSQL): the account lookup names the users index's collation, or
/// PostgreSQL cannot use that index and scans every user for each row (measured: page 1 of
/// the bench's largest workspace fell from 1,617 to 20 req/s). It is a scalar subquery, not
/// EXISTS, which PostgreSQL would turn into a hash of every user's email (35 req/s): this
/// way it probes the index once per row of the page. The invitation's date comes from its
/// parent `pending_invites` row by the same kind of lookup (every row has one: a foreign
/// key): joined instead, PostgreSQL read a page in descending email order as a merge join
/// scanning `pending_invites` backwards through every other workspace's invitations.
macro_rules! invitation_columns {
    ($collation:literal) => {
        concat!(
            "CAST(NULL AS TEXT) AS user_id, iw.email AS email, '' AS name, iw.workspace_role AS role, \
             iw.role_source AS role_source, \
             (SELECT i.invited_at FROM pending_invites i WHERE i.email = iw.email) AS at, inviter.email AS invited_by, \
             iw.expires_at AS expires_at, \
             CAST(COALESCE((SELECT 1 FROM users x WHERE x.email = (iw.email COLLATE ",
            $collation,
            ") LIMIT 1), 0) AS BIGINT) AS has_account, \
             CAST(NULL AS BIGINT) AS disabled_at, CAST(NULL AS BIGINT) AS last_sign_in_at"
        )
    };
}
const INVITATION_COLUMNS_SQLITE: &str = invitation_columns!("BINARY");
const INVITATION_COLUMNS_POSTGRES: &str = invitation_columns!("\"default\"");

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
    use super::{Cursor, SortKey};
    use crate::domain::requests::MemberSort;

    fn sort(s: &str) -> MemberSort {
        s.parse().unwrap()
    }

    #[test]
    fn cursors_round_trip_for_their_own_order_only_and_garbage_is_refused() {
        let c = Cursor {
            sort: sort("name"),
            key: SortKey::Text("ada lovelace".into()),
            email: "ada@example.com".into(),
            kind: 1,
            at: 1_700_000_000,
        };
        assert_eq!(Cursor::decode(&c.encode(), sort("name")), Some(c.clone()));
        // A page link of one order means nothing in another.
        assert_eq!(Cursor::decode(&c.encode(), sort("-name")), None);
        assert_eq!(Cursor::decode(&c.encode(), sort("email")), None);
        let joined = Cursor {
            sort: sort("-joined"),
            key: SortKey::Number(1_700_000_000),
            email: "ada@example.com".into(),
            kind: 0,
            at: 1_700_000_000,
        };
        assert_eq!(
            Cursor::decode(&joined.encode(), sort("-joined")),
            Some(joined.clone())
        );
        // A text key where the order sorts numbers (or the reverse) was not made here.
        let forged = Cursor {
            key: SortKey::Text("x".into()),
            ..joined.clone()
        };
        assert_eq!(Cursor::decode(&forged.encode(), sort("-joined")), None);
        assert_eq!(Cursor::decode("not a cursor", sort("email")), None);
        assert_eq!(Cursor::decode("", sort("email")), None);
        let bad_kind = Cursor {
            kind: 7,
            ..c.clone()
        };
        assert_eq!(Cursor::decode(&bad_kind.encode(), sort("name")), None);

        // The longest a real row gives: a 200-character name (4 bytes each) and a 254-byte email.
        let longest = Cursor {
            sort: sort("-name"),
            key: SortKey::Text("\u{1F600}".repeat(200)),
            email: format!("{}@example.com", "a".repeat(242)),
            kind: 0,
            at: i64::MAX,
        };
        assert_eq!(
            Cursor::decode(&longest.encode(), sort("-name")),
            Some(longest)
        );
        let oversized = Cursor {
            key: SortKey::Text("a".repeat(2_000)),
            ..c
        };
        assert_eq!(Cursor::decode(&oversized.encode(), sort("name")), None);
        // A control character is in no stored email or name: a forged one is refused here,
        // not by the database.
        let forged = Cursor {
            email: "a\u{0}@example.com".into(),
            ..longest_ok()
        };
        assert_eq!(Cursor::decode(&forged.encode(), sort("name")), None);
        let forged = Cursor {
            key: SortKey::Text("a\u{1b}".into()),
            ..longest_ok()
        };
        assert_eq!(Cursor::decode(&forged.encode(), sort("name")), None);
    }

    fn longest_ok() -> Cursor {
        Cursor {
            sort: sort("name"),
            key: SortKey::Text("ada".into()),
            email: "ada@example.com".into(),
            kind: 0,
            at: 0,
        }
    }

    #[test]
    fn sort_keys_compare_as_the_database_orders_them() {
        assert!(SortKey::Number(2) < SortKey::Number(10));
        assert!(SortKey::Text("b".into()) < SortKey::Text("ba".into()));
        let n: SortKey = serde_json::from_str("42").unwrap();
        let t: SortKey = serde_json::from_str("\"42\"").unwrap();
        assert_eq!((n, t), (SortKey::Number(42), SortKey::Text("42".into())));
    }
}
