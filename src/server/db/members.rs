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
/// number of matches. Work is bounded by the workspace, never by the whole table.
pub async fn list(
    db: &Db,
    workspace_id: &str,
    q: &str,
    status: StatusFilter,
    limit: i64,
    offset: i64,
) -> DbResult<(Vec<MemberRow>, i64)> {
    let pattern = like_pattern(q);
    let q = q.trim();
    let search = "($2 = '' OR email LIKE $3 ESCAPE '\\' OR lower(name) LIKE $3 ESCAPE '\\')";
    let members = "SELECT m.user_id AS user_id, u.email AS email, u.name AS name, m.role AS role, m.role_source AS role_source, \
                   m.joined_at AS at, NULL AS invited_by, NULL AS expires_at \
                   FROM workspace_members m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1";
    let invites = "SELECT NULL AS user_id, iw.email AS email, '' AS name, iw.workspace_role AS role, 'invite' AS role_source, \
                   i.invited_at AS at, inviter.email AS invited_by, i.expires_at AS expires_at \
                   FROM pending_invite_workspaces iw JOIN pending_invites i ON i.email = iw.email \
                   LEFT JOIN users inviter ON inviter.id = iw.invited_by_user_id WHERE iw.workspace_id = $1";
    let filter = "($4 = 'all' OR ($4 = 'active' AND user_id IS NOT NULL) \
                  OR ($4 = 'pending' AND user_id IS NULL AND expires_at > $5) \
                  OR ($4 = 'expired' AND user_id IS NULL AND expires_at <= $5))";
    let union =
        format!("SELECT * FROM ({members} UNION ALL {invites}) x WHERE {search} AND {filter}");
    let rows_sql = format!("{union} ORDER BY email LIMIT $6 OFFSET $7");
    let count_sql = format!("SELECT COUNT(*) FROM ({union}) y");
    let status = match status {
        StatusFilter::All => "all",
        StatusFilter::Active => "active",
        StatusFilter::Pending => "pending",
        StatusFilter::Expired => "expired",
    };
    let now = super::now();
    with_pool!(db, p => {
        let rows = sqlx::query_as::<_, MemberRow>(&rows_sql)
            .bind(workspace_id)
            .bind(q)
            .bind(&pattern)
            .bind(status)
            .bind(now)
            .bind(limit)
            .bind(offset)
            .fetch_all(p)
            .await?;
        let total: i64 = sqlx::query_scalar(&count_sql)
            .bind(workspace_id)
            .bind(q)
            .bind(&pattern)
            .bind(status)
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

#[cfg(test)]
mod tests {
    #[test]
    fn like_pattern_escapes_wildcards() {
        assert_eq!(super::like_pattern(" Ada_% "), "%ada\\_\\%%");
    }
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
            "INSERT INTO workspace_members (workspace_id, user_id, role, role_source, joined_at) VALUES ($1, $2, $3, $4, $5) \
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
