//! Organizations and workspaces.

use super::audit::{audit_query, AuditEvent};
use super::BeginWrite;
use super::{new_id, now, with_pool, Db, DbResult};
use std::sync::Arc;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WorkspaceRow {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub org_name: String,
    /// Active members and invitations (pending or expired), kept by triggers.
    pub member_count: i64,
    pub invite_count: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrgRow {
    pub id: String,
    pub name: String,
}

const WORKSPACE_SELECT: &str =
    "SELECT w.id, w.org_id, w.name, o.name AS org_name, w.member_count, w.invite_count FROM workspaces w JOIN organizations o ON o.id = w.org_id";

/// How many workspaces a switcher lists at most.
pub const LIST_LIMIT: i64 = 500;

pub async fn get(db: &Db, id: &str) -> DbResult<Option<WorkspaceRow>> {
    let sql = format!("{WORKSPACE_SELECT} WHERE w.id = $1");
    with_pool!(db, p => sqlx::query_as::<_, WorkspaceRow>(&sql).bind(id).fetch_optional(p).await)
}

/// A workspace with the roles a user holds in it and in its organization: all that deciding an
/// action on it needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WorkspaceAccess {
    #[sqlx(flatten)]
    pub workspace: WorkspaceRow,
    pub org_role: Option<crate::domain::OrgRole>,
    pub workspace_role: Option<crate::domain::WorkspaceRole>,
}

/// The columns of a [`WorkspaceAccess`] for the user bound at `user_param` (e.g. `$2`), to
/// select `FROM workspaces w JOIN organizations o ON o.id = w.org_id`.
pub fn access_columns(user_param: &str) -> String {
    format!(
        "w.id, w.org_id, w.name, o.name AS org_name, w.member_count, w.invite_count, \
         (SELECT role FROM org_members WHERE org_id = w.org_id AND user_id = {user_param}) AS org_role, \
         (SELECT role FROM workspace_members WHERE workspace_id = w.id AND user_id = {user_param}) AS workspace_role"
    )
}

/// The workspace and `user_id`'s roles, in one query.
pub async fn get_with_roles(db: &Db, id: &str, user_id: &str) -> DbResult<Option<WorkspaceAccess>> {
    let sql = format!(
        "SELECT {} FROM workspaces w JOIN organizations o ON o.id = w.org_id WHERE w.id = $1",
        access_columns("$2")
    );
    with_pool!(db, p => sqlx::query_as::<_, WorkspaceAccess>(&sql).bind(id).bind(user_id).fetch_optional(p).await)
}

pub async fn get_org(db: &Db, id: &str) -> DbResult<Option<OrgRow>> {
    with_pool!(db, p => sqlx::query_as::<_, OrgRow>("SELECT id, name FROM organizations WHERE id = $1")
        .bind(id)
        .fetch_optional(p)
        .await)
}

/// Every workspace (platform admins and operators).
pub async fn list_all(db: &Db) -> DbResult<Arc<[WorkspaceRow]>> {
    listed(db, WorkspacesOf(None), |db| async move {
        let sql = format!("{WORKSPACE_SELECT} ORDER BY o.name, w.name LIMIT $1");
        with_pool!(&db, p => sqlx::query_as::<_, WorkspaceRow>(&sql).bind(LIST_LIMIT).fetch_all(p).await)
    })
    .await
}

/// The workspaces a user belongs to or administers through their organization.
pub async fn list_for_user(db: &Db, user_id: &str) -> DbResult<Arc<[WorkspaceRow]>> {
    listed(db, WorkspacesOf(Some(user_id.to_string())), |db| async move {
        let sql = format!(
            "{WORKSPACE_SELECT} WHERE w.id IN (SELECT workspace_id FROM workspace_members WHERE user_id = $1) \
             OR w.org_id IN (SELECT org_id FROM org_members WHERE user_id = $1 AND role IN ('org_owner', 'org_admin')) \
             ORDER BY o.name, w.name LIMIT $2"
        );
        with_pool!(&db, p => sqlx::query_as::<_, WorkspaceRow>(&sql).bind(user_id).bind(LIST_LIMIT).fetch_all(p).await)
    })
    .await
}

/// The workspace list of one user (`None`: every workspace, for platform admins): a kind of
/// read the cache keeps, since every page view lists the caller's workspaces.
#[derive(Clone, PartialEq, Eq, Hash)]
struct WorkspacesOf(Option<String>);

impl super::read_cache::CachedRead for WorkspacesOf {
    /// Shared: served from the cache without copying every row.
    type Answer = Arc<[WorkspaceRow]>;
    // An answer holds up to `LIST_LIMIT` rows: fewer entries than for the small answers keeps
    // the map's worst case in tens of megabytes.
    const CAPACITY: usize = 1_000;
}

async fn listed<Fut>(
    db: &Db,
    key: WorkspacesOf,
    load: impl FnOnce(Db) -> Fut,
) -> DbResult<Arc<[WorkspaceRow]>>
where
    Fut: std::future::Future<Output = DbResult<Vec<WorkspaceRow>>>,
{
    Ok(db
        .read_through(&key, |db| async move {
            load(db).await.map(|rows| Some(rows.into()))
        })
        .await?
        .unwrap_or_default())
}

pub async fn list_orgs_all(db: &Db) -> DbResult<Vec<OrgRow>> {
    with_pool!(db, p => sqlx::query_as::<_, OrgRow>("SELECT id, name FROM organizations ORDER BY name LIMIT $1")
        .bind(LIST_LIMIT)
        .fetch_all(p)
        .await)
}

pub async fn list_orgs_administered(db: &Db, user_id: &str) -> DbResult<Vec<OrgRow>> {
    with_pool!(db, p => sqlx::query_as::<_, OrgRow>(
        "SELECT o.id, o.name FROM organizations o JOIN org_members m ON m.org_id = o.id \
         WHERE m.user_id = $1 AND m.role IN ('org_owner', 'org_admin') ORDER BY o.name LIMIT $2",
    )
    .bind(user_id)
    .bind(LIST_LIMIT)
    .fetch_all(p)
    .await)
}

/// A new organization; its creator becomes `org_owner`.
pub async fn create_org(
    db: &Db,
    name: &str,
    creator_id: &str,
    audit: &AuditEvent,
) -> DbResult<OrgRow> {
    let id = new_id();
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        sqlx::query("INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(&id)
            .bind(name)
            .bind(now())
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO org_members (org_id, user_id, role) VALUES ($1, $2, 'org_owner')")
            .bind(&id)
            .bind(creator_id)
            .execute(&mut *tx)
            .await?;
        let mut ev = audit.clone();
        ev.target = Some(format!("organization {id}"));
        audit_query!(&ev).execute(&mut *tx).await?;
        tx.commit().await?;
    });
    Ok(OrgRow {
        id,
        name: name.to_string(),
    })
}

/// A new workspace in `org`; its creator becomes its `workspace_admin`.
pub async fn create_workspace(
    db: &Db,
    org: &OrgRow,
    name: &str,
    creator_id: &str,
    audit: &AuditEvent,
) -> DbResult<WorkspaceRow> {
    let id = new_id();
    let at = now();
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        sqlx::query("INSERT INTO workspaces (id, org_id, name, created_at) VALUES ($1, $2, $3, $4)")
            .bind(&id)
            .bind(&org.id)
            .bind(name)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO workspace_members (workspace_id, user_id, email, role, role_source, joined_at) \
             VALUES ($1, $2, (SELECT email FROM users WHERE id = $2), 'workspace_admin', 'manual', $3)",
        )
        .bind(&id)
        .bind(creator_id)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        let mut ev = audit.clone();
        ev.workspace_id = Some(id.clone());
        ev.target = Some(format!("workspace {name}"));
        audit_query!(&ev).execute(&mut *tx).await?;
        tx.commit().await?;
    });
    Ok(WorkspaceRow {
        id,
        org_id: org.id.clone(),
        name: name.to_string(),
        org_name: org.name.clone(),
        member_count: 1,
        invite_count: 0,
    })
}

/// Makes `user_id` a member of `org_id` with `role` (or changes their role).
pub async fn set_org_role(
    db: &Db,
    org_id: &str,
    user_id: &str,
    role: crate::domain::OrgRole,
    audit: &AuditEvent,
) -> DbResult<()> {
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        sqlx::query(
            "INSERT INTO org_members (org_id, user_id, role) VALUES ($1, $2, $3) \
             ON CONFLICT (org_id, user_id) DO UPDATE SET role = $3",
        )
        .bind(org_id)
        .bind(user_id)
        .bind(role.as_str())
        .execute(&mut *tx)
        .await?;
        let mut ev = audit.clone();
        ev.target = Some(format!("user {user_id}"));
        ev.detail = Some(format!("organization={org_id} role={role}"));
        audit_query!(&ev).execute(&mut *tx).await?;
        tx.commit().await
    })
}

/// The first workspace of the instance (and its organization), created as "Default
/// organization" / "Default workspace" when there is none. Returns (org id, workspace id).
pub async fn ensure_default(db: &Db) -> DbResult<(String, String)> {
    let at = now();
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        let existing: Option<(String, String)> =
            sqlx::query_as("SELECT org_id, id FROM workspaces ORDER BY created_at, id LIMIT 1")
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(ids) = existing {
            return Ok(ids);
        }
        let (org, ws) = (new_id(), new_id());
        sqlx::query("INSERT INTO organizations (id, name, created_at) VALUES ($1, 'Default organization', $2)")
            .bind(&org)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO workspaces (id, org_id, name, created_at) VALUES ($1, $2, 'Default workspace', $3)")
            .bind(&ws)
            .bind(&org)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((org, ws))
    })
}

/// The (id, org id) of every workspace of an organization.
pub async fn ids_of_org(db: &Db, org_id: &str) -> DbResult<Vec<(String, String)>> {
    with_pool!(db, p => sqlx::query_as("SELECT id, org_id FROM workspaces WHERE org_id = $1 ORDER BY id")
        .bind(org_id)
        .fetch_all(p)
        .await)
}

/// The workspaces of one organization, by name.
pub async fn list_of_org(db: &Db, org_id: &str) -> DbResult<Vec<WorkspaceRow>> {
    let sql = format!("{WORKSPACE_SELECT} WHERE w.org_id = $1 ORDER BY w.name, w.id LIMIT $2");
    with_pool!(db, p => sqlx::query_as::<_, WorkspaceRow>(&sql).bind(org_id).bind(LIST_LIMIT).fetch_all(p).await)
}
