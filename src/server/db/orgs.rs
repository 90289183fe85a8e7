//! An organization's people: the organization roles in `org_members`, changed under the
//! last-owner guard.

use super::audit::{audit_query, AuditEvent};
use super::BeginWrite;
use super::{with_pool, Db, DbResult};
use crate::domain::OrgRole;

/// How many people an organization page lists at most (owners and admins first).
pub const PEOPLE_LIMIT: i64 = 500;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrgPersonRow {
    pub user_id: String,
    pub email: String,
    pub name: String,
    /// `None`: no organization role, only memberships in its workspaces.
    pub role: Option<OrgRole>,
    pub disabled_at: Option<i64>,
    /// Memberships in the organization's workspaces.
    pub workspace_count: i64,
}

/// Everyone with a place in the organization: an organization role, a membership in one of its
/// workspaces, or both. Owners first, then admins, members, and people with workspace
/// memberships only; in email order within each.
pub async fn people(db: &Db, org_id: &str) -> DbResult<Vec<OrgPersonRow>> {
    let sql = "SELECT u.id AS user_id, u.email, u.name, \
         (SELECT role FROM org_members WHERE org_id = $1 AND user_id = u.id) AS role, u.disabled_at, \
         (SELECT COUNT(*) FROM workspace_members m JOIN workspaces w ON w.id = m.workspace_id \
            WHERE m.user_id = u.id AND w.org_id = $1) AS workspace_count \
         FROM users u WHERE u.id IN (SELECT user_id FROM org_members WHERE org_id = $1 \
            UNION SELECT m.user_id FROM workspace_members m JOIN workspaces w ON w.id = m.workspace_id WHERE w.org_id = $1) \
         ORDER BY CASE (SELECT role FROM org_members WHERE org_id = $1 AND user_id = u.id) \
            WHEN 'org_owner' THEN 0 WHEN 'org_admin' THEN 1 WHEN 'org_member' THEN 2 ELSE 3 END, u.email \
         LIMIT $2";
    with_pool!(db, p => sqlx::query_as::<_, OrgPersonRow>(sql)
        .bind(org_id)
        .bind(PEOPLE_LIMIT)
        .fetch_all(p)
        .await)
}

/// What a change of organization role did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgRoleChange {
    Changed {
        from: Option<OrgRole>,
    },
    Unchanged,
    Removed {
        role: OrgRole,
    },
    /// The person has no role to remove.
    NoRole,
    /// The person has no place in the organization: an organization role reaches them through
    /// an invitation.
    NotInOrganization,
    /// The caller may not touch the role the person holds now (an org admin and an owner).
    Forbidden,
    LastOwner,
}

/// Whether a change may go ahead, given (the caller's own organization role, the person's),
/// both as read under the organization's lock.
pub type MayChange = dyn Fn(Option<OrgRole>, Option<OrgRole>) -> bool + Send + Sync;

/// Serializes every change of the organization's roles (PostgreSQL takes the row lock; on
/// SQLite the write transaction already holds the database).
pub(super) const LOCK_ORG: &str = "UPDATE organizations SET name = name WHERE id = $1";
const ROLE_OF: &str = "SELECT role FROM org_members WHERE org_id = $1 AND user_id = $2";
/// Owners who can still act: a deactivated owner does not keep an organization owned.
const OWNER_COUNT: &str = "SELECT COUNT(*) FROM org_members m JOIN users u ON u.id = m.user_id \
     WHERE m.org_id = $1 AND m.role = 'org_owner' AND u.disabled_at IS NULL";
const IN_ORG_WORKSPACE: &str = "SELECT COUNT(*) FROM workspace_members m \
     JOIN workspaces w ON w.id = m.workspace_id WHERE w.org_id = $1 AND m.user_id = $2";

/// Reads, under the organization's lock, the caller's own organization role and the person's,
/// and returns early unless the change may go ahead: `$may` is asked about both (so a caller
/// demoted a moment ago acts with the role they have now), and an owner who is the last one
/// stays. Evaluates to the person's current role.
macro_rules! guarded_current_role {
    ($tx:ident, $org_id:expr, $caller_id:expr, $user_id:expr, $may:expr, $stays_owner:expr) => {{
        sqlx::query(LOCK_ORG)
            .bind($org_id)
            .execute(&mut *$tx)
            .await?;
        let own: Option<OrgRole> = sqlx::query_scalar(ROLE_OF)
            .bind($org_id)
            .bind($caller_id)
            .fetch_optional(&mut *$tx)
            .await?;
        let current: Option<OrgRole> = sqlx::query_scalar(ROLE_OF)
            .bind($org_id)
            .bind($user_id)
            .fetch_optional(&mut *$tx)
            .await?;
        if !($may)(own, current) {
            return Ok(OrgRoleChange::Forbidden);
        }
        if current == Some(OrgRole::OrgOwner) && !$stays_owner {
            let owners: i64 = sqlx::query_scalar(OWNER_COUNT)
                .bind($org_id)
                .fetch_one(&mut *$tx)
                .await?;
            if owners <= 1 {
                return Ok(OrgRoleChange::LastOwner);
            }
        }
        current
    }};
}

/// Gives `user_id` the organization role `role`, for someone who already has a place in the
/// organization (a role, or a membership in one of its workspaces). `may` decides, on the
/// caller's own role and the person's as read under the lock, whether the caller may change it.
pub async fn set_role(
    db: &Db,
    org_id: &str,
    caller_id: &str,
    user_id: &str,
    role: OrgRole,
    may: &MayChange,
    audit: &AuditEvent,
) -> DbResult<OrgRoleChange> {
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        let current = guarded_current_role!(tx, org_id, caller_id, user_id, may, role == OrgRole::OrgOwner);
        if current == Some(role) {
            return Ok(OrgRoleChange::Unchanged);
        }
        if current.is_none() {
            let memberships: i64 = sqlx::query_scalar(IN_ORG_WORKSPACE)
                .bind(org_id)
                .bind(user_id)
                .fetch_one(&mut *tx)
                .await?;
            if memberships == 0 {
                return Ok(OrgRoleChange::NotInOrganization);
            }
        }
        sqlx::query(
            "INSERT INTO org_members (org_id, user_id, role) VALUES ($1, $2, $3) \
             ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role",
        )
        .bind(org_id)
        .bind(user_id)
        .bind(role.as_str())
        .execute(&mut *tx)
        .await?;
        let mut ev = audit.clone();
        ev.detail = Some(format!(
            "organization={org_id} from={} to={role}",
            current.map_or("none", |r| r.as_str())
        ));
        audit_query!(&ev).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(OrgRoleChange::Changed { from: current })
    })
}

/// Takes away `user_id`'s organization role (their workspace memberships stay: each is its
/// workspace's to remove). Never the last owner.
pub async fn remove(
    db: &Db,
    org_id: &str,
    caller_id: &str,
    user_id: &str,
    may: &MayChange,
    audit: &AuditEvent,
) -> DbResult<OrgRoleChange> {
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        let current = guarded_current_role!(tx, org_id, caller_id, user_id, may, false);
        let Some(current) = current else {
            return Ok(OrgRoleChange::NoRole);
        };
        sqlx::query("DELETE FROM org_members WHERE org_id = $1 AND user_id = $2")
            .bind(org_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let mut ev = audit.clone();
        ev.detail = Some(format!("organization={org_id} role={current}"));
        audit_query!(&ev).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(OrgRoleChange::Removed { role: current })
    })
}

/// Renames a workspace and audits it in one transaction; `false` when it does not exist.
pub async fn rename_workspace(
    db: &Db,
    workspace_id: &str,
    name: &str,
    audit: &AuditEvent,
) -> DbResult<bool> {
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        let n = sqlx::query("UPDATE workspaces SET name = $1 WHERE id = $2")
            .bind(name)
            .bind(workspace_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        audit_query!(audit).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(true)
    })
}
