//! Workspace memberships: the paginated list, role changes and removal.

use super::audit::{audit_query, AuditEvent};
use super::{with_pool, Db, DbResult};
use crate::domain::{RoleSource, WorkspaceRole};

/// One row of the members list: an active member (`user_id` set) or an invitation.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberRow {
    pub user_id: Option<String>,
    pub email: String,
    pub name: String,
    pub role: String,
    pub role_source: String,
    /// Joined (members) or invited (invitations), Unix seconds.
    pub at: i64,
    pub invited_by: Option<String>,
    pub expires_at: Option<i64>,
}

/// Which rows the members list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    All,
    Active,
    Pending,
    Expired,
}

/// `%text%` for LIKE, with LIKE's own wildcards escaped.
pub fn like_pattern(q: &str) -> String {
    let escaped = q
        .trim()
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Active members and invitations of a workspace in one list ordered by email: one page, and the
/// number of matches. Both sides are read in email order from their `(workspace_id, email)`
/// indexes and merged, so a page costs the same in a workspace of 20 or of 20,000 members, and
/// nothing is proportional to the whole table.
pub async fn list(
    db: &Db,
    workspace_id: &str,
    q: &str,
    status: StatusFilter,
    limit: i64,
    offset: i64,
) -> DbResult<(Vec<MemberRow>, i64)> {
    let q = q.trim();
    // Placeholders: $1 workspace, $2 search pattern, $3 now, $4 limit, $5 offset.
    let searching = !q.is_empty();
    let member_search = if searching {
        " AND (m.email LIKE $2 ESCAPE '\\' OR lower(u.name) LIKE $2 ESCAPE '\\')"
    } else {
        ""
    };
    let invite_search = if searching {
        " AND iw.email LIKE $2 ESCAPE '\\'"
    } else {
        ""
    };
    let (pending, expired) = (" AND i.expires_at > $3", " AND i.expires_at <= $3");
    let members = format!(
        "SELECT m.user_id AS user_id, m.email AS email, u.name AS name, m.role AS role, m.role_source AS role_source, \
         m.joined_at AS at, NULL AS invited_by, NULL AS expires_at \
         FROM workspace_members m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1{member_search}"
    );
    let invites = |expiry: &str| {
        format!(
            "SELECT NULL AS user_id, iw.email AS email, '' AS name, iw.workspace_role AS role, 'invite' AS role_source, \
             i.invited_at AS at, inviter.email AS invited_by, i.expires_at AS expires_at \
             FROM pending_invite_workspaces iw JOIN pending_invites i ON i.email = iw.email \
             LEFT JOIN users inviter ON inviter.id = iw.invited_by_user_id \
             WHERE iw.workspace_id = $1{invite_search}{expiry}"
        )
    };
    let count_members = format!(
        "SELECT COUNT(*) FROM workspace_members m{} WHERE m.workspace_id = $1{member_search}",
        if searching {
            " JOIN users u ON u.id = m.user_id"
        } else {
            ""
        }
    );
    let count_invites = |expiry: &str| {
        format!(
            "SELECT COUNT(*) FROM pending_invite_workspaces iw{} WHERE iw.workspace_id = $1{invite_search}{expiry}",
            if expiry.is_empty() { "" } else { " JOIN pending_invites i ON i.email = iw.email" }
        )
    };
    // Unused placeholders get a harmless mention, so that every statement binds all it is given.
    let unused_search = if searching { "" } else { " AND $2 = $2" };
    let (rows_sql, count_sql) = match status {
        StatusFilter::All => (
            format!(
                "{members}{unused_search} AND $3 = $3 UNION ALL {}",
                invites("")
            ),
            format!(
                "SELECT ({count_members}) + ({}) WHERE 1 = 1{unused_search} AND $3 = $3",
                count_invites("")
            ),
        ),
        StatusFilter::Active => (
            format!("{members}{unused_search} AND $3 = $3"),
            format!("SELECT ({count_members}) WHERE 1 = 1{unused_search} AND $3 = $3"),
        ),
        StatusFilter::Pending => (
            format!("{}{unused_search}", invites(pending)),
            format!(
                "SELECT ({}) WHERE 1 = 1{unused_search}",
                count_invites(pending)
            ),
        ),
        StatusFilter::Expired => (
            format!("{}{unused_search}", invites(expired)),
            format!(
                "SELECT ({}) WHERE 1 = 1{unused_search}",
                count_invites(expired)
            ),
        ),
    };
    // A compound SELECT ordered as a whole: each side comes in index order and they are merged.
    let rows_sql = format!("{rows_sql} ORDER BY email LIMIT $4 OFFSET $5");
    let pattern = like_pattern(q);
    let now = super::now();
    with_pool!(db, p => {
        let rows = sqlx::query_as::<_, MemberRow>(&rows_sql)
            .bind(workspace_id)
            .bind(&pattern)
            .bind(now)
            .bind(limit)
            .bind(offset)
            .fetch_all(p)
            .await?;
        let total: i64 = sqlx::query_scalar(&count_sql)
            .bind(workspace_id)
            .bind(&pattern)
            .bind(now)
            .fetch_one(p)
            .await?;
        Ok((rows, total))
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MembershipChange {
    NotAMember,
    /// Refused: it would leave the workspace without a `workspace_admin`.
    LastAdmin,
    Unchanged,
    Changed {
        from: String,
    },
    Removed {
        role: String,
    },
}

/// Locks the workspace row for the rest of the transaction, so that two concurrent changes
/// cannot both remove "the other" admin. Portable: an UPDATE takes the row lock on PostgreSQL
/// and the (already held) write lock on SQLite.
const LOCK_WORKSPACE: &str = "UPDATE workspaces SET name = name WHERE id = $1";
const ROLE_OF: &str = "SELECT role FROM workspace_members WHERE workspace_id = $1 AND user_id = $2";
const ADMIN_COUNT: &str =
    "SELECT COUNT(*) FROM workspace_members WHERE workspace_id = $1 AND role = 'workspace_admin'";

pub async fn set_role(
    db: &Db,
    workspace_id: &str,
    user_id: &str,
    role: WorkspaceRole,
    source: RoleSource,
    audit: &AuditEvent,
) -> DbResult<MembershipChange> {
    with_pool!(db, p => {
        let mut tx = p.begin_with(BEGIN_WRITE).await?;
        sqlx::query(LOCK_WORKSPACE).bind(workspace_id).execute(&mut *tx).await?;
        let current: Option<String> =
            sqlx::query_scalar(ROLE_OF).bind(workspace_id).bind(user_id).fetch_optional(&mut *tx).await?;
        let Some(current) = current else { return Ok(MembershipChange::NotAMember) };
        if current == role.as_str() {
            return Ok(MembershipChange::Unchanged);
        }
        if current == WorkspaceRole::WorkspaceAdmin.as_str() {
            let admins: i64 = sqlx::query_scalar(ADMIN_COUNT).bind(workspace_id).fetch_one(&mut *tx).await?;
            if admins <= 1 {
                return Ok(MembershipChange::LastAdmin);
            }
        }
        sqlx::query("UPDATE workspace_members SET role = $1, role_source = $2 WHERE workspace_id = $3 AND user_id = $4")
            .bind(role.as_str())
            .bind(source.as_str())
            .bind(workspace_id)
            .bind(user_id)
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
    workspace_id: &str,
    user_id: &str,
    audit: &AuditEvent,
) -> DbResult<MembershipChange> {
    with_pool!(db, p => {
        let mut tx = p.begin_with(BEGIN_WRITE).await?;
        sqlx::query(LOCK_WORKSPACE).bind(workspace_id).execute(&mut *tx).await?;
        let current: Option<String> =
            sqlx::query_scalar(ROLE_OF).bind(workspace_id).bind(user_id).fetch_optional(&mut *tx).await?;
        let Some(current) = current else { return Ok(MembershipChange::NotAMember) };
        if current == WorkspaceRole::WorkspaceAdmin.as_str() {
            let admins: i64 = sqlx::query_scalar(ADMIN_COUNT).bind(workspace_id).fetch_one(&mut *tx).await?;
            if admins <= 1 {
                return Ok(MembershipChange::LastAdmin);
            }
        }
        sqlx::query("DELETE FROM workspace_members WHERE workspace_id = $1 AND user_id = $2")
            .bind(workspace_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let mut ev = audit.clone();
        ev.detail = Some(format!("role={current}"));
        audit_query!(&ev).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(MembershipChange::Removed { role: current })
    })
}

/// The user's role in the workspace, if they are a member.
pub async fn role_of(
    db: &Db,
    workspace_id: &str,
    user_id: &str,
) -> DbResult<Option<(String, String)>> {
    with_pool!(db, p => sqlx::query_as(
        "SELECT role, role_source FROM workspace_members WHERE workspace_id = $1 AND user_id = $2",
    )
    .bind(workspace_id)
    .bind(user_id)
    .fetch_optional(p)
    .await)
}

/// Adds a membership (nothing when it exists already) and its audit row, in one transaction.
pub async fn add(
    db: &Db,
    workspace_id: &str,
    user_id: &str,
    role: WorkspaceRole,
    source: RoleSource,
    audit: &AuditEvent,
) -> DbResult<bool> {
    with_pool!(db, p => {
        let mut tx = p.begin_with(BEGIN_WRITE).await?;
        let n = sqlx::query(
            "INSERT INTO workspace_members (workspace_id, user_id, email, role, role_source, joined_at) VALUES ($1, $2, (SELECT email FROM users WHERE id = $2), $3, $4, $5) \
             ON CONFLICT (workspace_id, user_id) DO NOTHING",
        )
        .bind(workspace_id)
        .bind(user_id)
        .bind(role.as_str())
        .bind(source.as_str())
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
    #[test]
    fn like_pattern_escapes_wildcards() {
        assert_eq!(super::like_pattern(" Ada_% "), "%ada\\_\\%%");
    }
}
