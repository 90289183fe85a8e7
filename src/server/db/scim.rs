//! SCIM provisioning's storage (migration 0008): the identity provider's users and groups of
//! each organization, the organization's group → role mappings, and the one step that turns
//! them into access, [`reconcile!`], run in the transaction of every change that can move a
//! person's access.
//!
//! Roster's rules hold here as everywhere: no account is created for a SCIM user (a person
//! without an account gets a pending invitation, accepted by signing in), and an existing
//! account is bound only when the organization manages it; any other account gets an
//! invitation its owner must accept.

use super::audit::{audit_query, AuditEvent};
use super::users::{scope_from_rows, ScopeRow};
use super::BeginWrite;
use super::{new_id, new_ordered_id, now, with_pool, Db, DbResult};
use crate::domain::scim::{desired_roles, GroupNames, RoleMapping};
use crate::domain::{AccountScope, AuditAction, WorkspaceRole};

/// How long a pending invitation SCIM made holds; renewed at every change of the person.
const PROVISIONING_DAYS: i64 = 365;

/// Who provisions: the organization token's service account, and how it is audited.
pub struct Provisioner<'a> {
    pub org_id: &'a str,
    pub actor_user_id: &'a str,
    pub actor_token: Option<String>,
    pub ip: &'a str,
    /// Whether the service account manages an account with these roles (decided by
    /// [`crate::domain::manages`] on roles read inside the transaction).
    pub manages: &'a (dyn Fn(&AccountScope) -> bool + Send + Sync),
    /// The organization's mappings, read once per request by the first reconcile (a group of
    /// 50 members is 50 reconciles).
    pub mappings: std::sync::OnceLock<Vec<RoleMapping>>,
}

impl Provisioner<'_> {
    fn audit(
        &self,
        action: AuditAction,
        target: &str,
        ws: Option<&str>,
        detail: String,
    ) -> AuditEvent {
        AuditEvent {
            actor_user_id: Some(self.actor_user_id.to_string()),
            actor_token: self.actor_token.clone(),
            action,
            target: Some(target.to_string()),
            workspace_id: ws.map(str::to_string),
            ip: Some(self.ip.to_string()),
            detail: Some(detail),
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScimUserRow {
    pub id: String,
    pub user_name: String,
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub email: String,
    pub active: bool,
    pub user_id: Option<String>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

pub const USER_COLUMNS: &str =
    "id, user_name, external_id, display_name, given_name, family_name, email, \
     active, user_id, version, created_at, updated_at";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScimGroupRow {
    pub id: String,
    pub display_name: String,
    pub external_id: Option<String>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

pub const GROUP_COLUMNS: &str = "id, display_name, external_id, version, created_at, updated_at";

/// A SCIM user's attributes as Roster keeps them (parsed and checked by `server::scim`).
#[derive(Debug, Clone, PartialEq)]
pub struct UserFields {
    pub user_name: String,
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    /// Lower-cased and valid.
    pub email: String,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GroupFields {
    pub display_name: String,
    pub external_id: Option<String>,
}

/// How a change of a group moves its members.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MembersChange {
    /// Replace every member with these (SCIM user ids).
    pub replace: Option<Vec<String>>,
    pub add: Vec<String>,
    pub remove: Vec<String>,
}

/// The outcome of a write.
#[derive(Debug)]
pub enum Write<T> {
    Done(T),
    NotFound,
    /// Another resource of the organization already has this value (`attribute`).
    Taken(&'static str),
    /// `If-Match` named another version.
    VersionMismatch,
    /// A member that is no user of this organization.
    UnknownMember(String),
}

/// Binds of a filter translated to SQL by `server::scim::filter`.
#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    Text(String),
    Bool(bool),
}

/// A translated filter: a condition with `$n` placeholders (from `$2`: `$1` is the
/// organization) and its values.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Condition {
    pub sql: String,
    pub binds: Vec<Bind>,
}

fn unique_violation_on(err: &sqlx::Error) -> Option<&'static str> {
    if !super::is_unique_violation(err) {
        return None;
    }
    let text = err.to_string();
    Some(if text.contains("email") {
        "emails"
    } else if text.contains("display_name") {
        "displayName"
    } else {
        "userName"
    })
}

/// Brings one SCIM user's access in line with its record, its groups and the organization's
/// mappings, inside the write transaction `$tx`:
/// - a bound account (or one the organization manages, which is bound now) gets exactly the
///   mapped memberships in the organization's workspaces, set with `role_source = 'scim'`;
///   SCIM memberships no mapped group gives any more end; memberships set by hand stay;
/// - an inactive (or deleted) user loses every membership and the organization role in the
///   organization, and an account the organization manages is deactivated (every session
///   ends); `active: true` restores an account SCIM deactivated, never another;
/// - anyone else (no account, or an account the organization does not manage) gets the mapped
///   workspaces as a pending invitation marked `scim`, accepted by signing in.
macro_rules! reconcile {
    ($tx:ident, $prov:expr, $scim_user_id:expr, $lock:expr) => {{
        let prov: &Provisioner<'_> = $prov;
        let scim_user_id: &str = $scim_user_id;
        let at = now();
        let record: Option<(String, bool, Option<String>, Option<i64>)> = sqlx::query_as(
            "SELECT email, active, user_id, deactivated_at FROM scim_users WHERE id = $1 AND org_id = $2",
        )
        .bind(scim_user_id)
        .bind(prov.org_id)
        .fetch_optional(&mut *$tx)
        .await?;
        if let Some((email, active, bound_to, deactivated_by_scim)) = record {
            let desired = if active {
                let groups: Vec<(String, Option<String>)> = sqlx::query_as(
                    "SELECT g.display_name, g.external_id FROM scim_group_members gm \
                     JOIN scim_groups g ON g.id = gm.group_id WHERE gm.scim_user_id = $1",
                )
                .bind(scim_user_id)
                .fetch_all(&mut *$tx)
                .await?;
                if prov.mappings.get().is_none() {
                    let rows: Vec<(String, String, WorkspaceRole)> = sqlx::query_as(
                        "SELECT group_key, workspace_id, role FROM scim_role_mappings WHERE org_id = $1 ORDER BY position",
                    )
                    .bind(prov.org_id)
                    .fetch_all(&mut *$tx)
                    .await?;
                    let _ = prov.mappings.set(
                        rows.into_iter()
                            .map(|(group_key, workspace_id, role)| RoleMapping { group_key, workspace_id, role })
                            .collect(),
                    );
                }
                let mappings: &[RoleMapping] = prov.mappings.get().map(Vec::as_slice).unwrap_or_default();
                let groups: Vec<GroupNames> = groups
                    .into_iter()
                    .map(|(display_name, external_id)| GroupNames { display_name, external_id })
                    .collect();
                desired_roles(mappings, &groups)
            } else {
                Default::default()
            };
            let account: Option<String> = match &bound_to {
                Some(id) => Some(id.clone()),
                None => sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
                    .bind(&email)
                    .fetch_optional(&mut *$tx)
                    .await?,
            };
            let mut bound = None;
            if let Some(account) = account {
                // Locked (PostgreSQL) before its roles are read: a membership another
                // organization adds meanwhile waits, so "managed" stays true until commit.
                sqlx::query(&format!("SELECT id FROM users WHERE id = $1{}", $lock))
                    .bind(&account)
                    .fetch_optional(&mut *$tx)
                    .await?;
                let rows: Vec<ScopeRow> = sqlx::query_as(HOLDINGS_SQL)
                    .bind(&account)
                    .bind(&email)
                    .fetch_all(&mut *$tx)
                    .await?;
                let managed = (prov.manages)(&scope_from_rows(rows)?);
                if bound_to.is_some() || managed {
                    bound = Some((account, managed));
                }
            }
            match bound {
                Some((account, managed)) => {
                    if bound_to.is_none() {
                        sqlx::query("UPDATE scim_users SET user_id = $1 WHERE id = $2")
                            .bind(&account)
                            .bind(scim_user_id)
                            .execute(&mut *$tx)
                            .await?;
                    }
                    let disabled_at: Option<i64> = sqlx::query_scalar("SELECT disabled_at FROM users WHERE id = $1")
                        .bind(&account)
                        .fetch_one(&mut *$tx)
                        .await?;
                    // Deactivated first, while the memberships still tie the account to the
                    // organization (its webhooks find the event through them).
                    if !active && managed && disabled_at.is_none() {
                        sqlx::query("UPDATE users SET disabled_at = $1, session_version = session_version + 1 WHERE id = $2")
                            .bind(at)
                            .bind(&account)
                            .execute(&mut *$tx)
                            .await?;
                        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                            .bind(&account)
                            .execute(&mut *$tx)
                            .await?;
                        sqlx::query("UPDATE scim_users SET deactivated_at = $1 WHERE id = $2")
                            .bind(at)
                            .bind(scim_user_id)
                            .execute(&mut *$tx)
                            .await?;
                        audit_query!(&prov.audit(AuditAction::UserDeactivated, &email, None, "source=scim".into()))
                            .execute(&mut *$tx)
                            .await?;
                    }
                    if let (true, Some(stamp)) = (active, deactivated_by_scim) {
                        // Only SCIM's own deactivation is undone, never one made since.
                        let restored = sqlx::query("UPDATE users SET disabled_at = NULL WHERE id = $1 AND disabled_at = $2")
                            .bind(&account)
                            .bind(stamp)
                            .execute(&mut *$tx)
                            .await?
                            .rows_affected();
                        sqlx::query("UPDATE scim_users SET deactivated_at = NULL WHERE id = $1")
                            .bind(scim_user_id)
                            .execute(&mut *$tx)
                            .await?;
                        if restored > 0 {
                            audit_query!(&prov.audit(AuditAction::UserReactivated, &email, None, "source=scim".into()))
                                .execute(&mut *$tx)
                                .await?;
                        }
                    }
                    let current: Vec<(String, WorkspaceRole, String)> = sqlx::query_as(
                        "SELECT m.workspace_id, m.role, m.role_source FROM workspace_members m \
                         JOIN workspaces w ON w.id = m.workspace_id WHERE m.user_id = $1 AND w.org_id = $2",
                    )
                    .bind(&account)
                    .bind(prov.org_id)
                    .fetch_all(&mut *$tx)
                    .await?;
                    for (ws, role) in &desired {
                        match current.iter().find(|(w, _, _)| w == ws) {
                            // A membership set by hand (or by invitation) is the admin's:
                            // SCIM leaves it as it is (a leaver still loses it, below).
                            Some((_, _, source)) if source != "scim" => {}
                            Some((_, r, _)) if r == role => {}
                            Some((_, r, _)) => {
                                sqlx::query("UPDATE workspace_members SET role = $1, role_source = 'scim' WHERE workspace_id = $2 AND user_id = $3")
                                    .bind(role.as_str())
                                    .bind(ws)
                                    .bind(&account)
                                    .execute(&mut *$tx)
                                    .await?;
                                if r != role {
                                    audit_query!(&prov.audit(AuditAction::AuthzChange, &email, Some(ws.as_str()), format!("from={r} to={role} source=scim")))
                                        .execute(&mut *$tx)
                                        .await?;
                                }
                            }
                            None => {
                                sqlx::query(
                                    "INSERT INTO workspace_members (workspace_id, user_id, email, role, role_source, joined_at) \
                                     VALUES ($1, $2, (SELECT email FROM users WHERE id = $2), $3, 'scim', $4) \
                                     ON CONFLICT (workspace_id, user_id) DO NOTHING",
                                )
                                .bind(ws)
                                .bind(&account)
                                .bind(role.as_str())
                                .bind(at)
                                .execute(&mut *$tx)
                                .await?;
                                audit_query!(&prov.audit(AuditAction::MembershipAdded, &email, Some(ws.as_str()), format!("role={role} source=scim")))
                                    .execute(&mut *$tx)
                                    .await?;
                            }
                        }
                    }
                    for (ws, _, source) in &current {
                        if desired.contains_key(ws) || (active && source != "scim") {
                            continue;
                        }
                        sqlx::query("DELETE FROM workspace_members WHERE workspace_id = $1 AND user_id = $2")
                            .bind(ws)
                            .bind(&account)
                            .execute(&mut *$tx)
                            .await?;
                        audit_query!(&prov.audit(AuditAction::MembershipRemoved, &email, Some(ws.as_str()), "source=scim".into()))
                            .execute(&mut *$tx)
                            .await?;
                    }
                    if !active {
                        // The organization role ends too, except an owner's: SCIM acts as an
                        // organization admin, who never takes an owner's role away.
                        let removed = sqlx::query(
                            "DELETE FROM org_members WHERE org_id = $1 AND user_id = $2 AND role <> 'org_owner'",
                        )
                        .bind(prov.org_id)
                        .bind(&account)
                        .execute(&mut *$tx)
                        .await?
                        .rows_affected();
                        if removed > 0 {
                            audit_query!(&prov.audit(AuditAction::OrgMemberRemoved, &email, None, format!("organization={} source=scim", prov.org_id)))
                                .execute(&mut *$tx)
                                .await?;
                        }
                    }
                    // What SCIM had offered before the account was bound is now a membership.
                    sqlx::query(
                        "DELETE FROM pending_invite_workspaces WHERE email = $1 AND role_source = 'scim' \
                         AND workspace_id IN (SELECT id FROM workspaces WHERE org_id = $2)",
                    )
                    .bind(&email)
                    .bind(prov.org_id)
                    .execute(&mut *$tx)
                    .await?;
                    drop_empty_invitation!($tx, &email);
                }
                None => {
                    let offered: Vec<(String, WorkspaceRole, String)> = sqlx::query_as(
                        "SELECT iw.workspace_id, iw.workspace_role, iw.role_source FROM pending_invite_workspaces iw \
                         JOIN workspaces w ON w.id = iw.workspace_id WHERE iw.email = $1 AND w.org_id = $2",
                    )
                    .bind(&email)
                    .bind(prov.org_id)
                    .fetch_all(&mut *$tx)
                    .await?;
                    let expires_at = at + PROVISIONING_DAYS * 86_400;
                    if !desired.is_empty() {
                        // Nobody holds a link to it: the person accepts by signing in with the
                        // address, or (with an account) on their members page.
                        let (_, unheld_hash) = crate::server::tokens::new_token();
                        sqlx::query(
                            "INSERT INTO pending_invites (email, invited_by_user_id, invited_at, expires_at, token_hash, send_count) \
                             VALUES ($1, $2, $3, $4, $5, 0) \
                             ON CONFLICT (email) DO UPDATE SET expires_at = CASE WHEN excluded.expires_at > pending_invites.expires_at \
                               THEN excluded.expires_at ELSE pending_invites.expires_at END",
                        )
                        .bind(&email)
                        .bind(prov.actor_user_id)
                        .bind(at)
                        .bind(expires_at)
                        .bind(&unheld_hash)
                        .execute(&mut *$tx)
                        .await?;
                    }
                    for (ws, role) in &desired {
                        if offered.iter().any(|(w, _, s)| w == ws && s != "scim") {
                            // Someone's own invitation to this workspace stays as they made it.
                            continue;
                        }
                        sqlx::query(
                            "INSERT INTO pending_invite_workspaces (email, workspace_id, workspace_role, invited_by_user_id, expires_at, role_source) \
                             VALUES ($1, $2, $3, $4, $5, 'scim') \
                             ON CONFLICT (email, workspace_id) DO UPDATE SET workspace_role = excluded.workspace_role, \
                             invited_by_user_id = excluded.invited_by_user_id, expires_at = excluded.expires_at \
                             WHERE pending_invite_workspaces.role_source = 'scim'",
                        )
                        .bind(&email)
                        .bind(ws)
                        .bind(role.as_str())
                        .bind(prov.actor_user_id)
                        .bind(expires_at)
                        .execute(&mut *$tx)
                        .await?;
                        let unchanged = offered.iter().any(|(w, r, s)| w == ws && r == role && s == "scim");
                        if !unchanged {
                            audit_query!(&prov.audit(AuditAction::InviteCreated, &email, Some(ws.as_str()), format!("role={role} source=scim")))
                                .execute(&mut *$tx)
                                .await?;
                        }
                    }
                    for (ws, _, source) in &offered {
                        if desired.contains_key(ws) || source != "scim" {
                            continue;
                        }
                        sqlx::query("DELETE FROM pending_invite_workspaces WHERE email = $1 AND workspace_id = $2")
                            .bind(&email)
                            .bind(ws)
                            .execute(&mut *$tx)
                            .await?;
                        audit_query!(&prov.audit(AuditAction::InviteCancelled, &email, Some(ws.as_str()), "source=scim".into()))
                            .execute(&mut *$tx)
                            .await?;
                    }
                    drop_empty_invitation!($tx, &email);
                }
            }
        }
    }};
}

/// Takes the organization's lock first in every SCIM write, so that two requests that touch
/// the same people run one after the other on PostgreSQL too (SQLite's write lock already
/// does), always in the same order as the other changes of the organization's roles.
macro_rules! lock_org {
    ($tx:ident, $org_id:expr) => {{
        sqlx::query(super::orgs::LOCK_ORG)
            .bind($org_id)
            .execute(&mut *$tx)
            .await?;
    }};
}

/// Deletes the invitation of `$email` when it grants nothing any more.
macro_rules! drop_empty_invitation {
    ($tx:ident, $email:expr) => {{
        sqlx::query(
            "DELETE FROM pending_invites WHERE email = $1 AND platform_role IS NULL \
             AND NOT EXISTS (SELECT 1 FROM pending_invite_workspaces WHERE email = $1)",
        )
        .bind($email)
        .execute(&mut *$tx)
        .await?;
    }};
}

/// What an account holds now: its platform role (or one offered to it), its organization
/// roles and its memberships, but not the workspaces pending invitations offer. (An offer is
/// not access: SCIM's own offer must not make an account look like the organization's.)
const HOLDINGS_SQL: &str =
    "SELECT 'p' AS kind, platform_role AS a, CAST(NULL AS TEXT) AS b FROM users WHERE id = $1 AND platform_role IS NOT NULL \
     UNION ALL SELECT 'p', platform_role, NULL FROM pending_invites WHERE email = $2 AND platform_role IS NOT NULL \
     UNION ALL SELECT 'o', org_id, role FROM org_members WHERE user_id = $1 \
     UNION ALL SELECT 'w', m.workspace_id, w.org_id FROM workspace_members m JOIN workspaces w ON w.id = m.workspace_id \
     WHERE m.user_id = $1";

/// [`reconcile!`] compiled once per backend, for the transactions of either.
pub trait Reconcile {
    fn reconcile<'a>(
        &'a mut self,
        prov: &'a Provisioner<'a>,
        scim_user_id: &'a str,
    ) -> impl std::future::Future<Output = DbResult<()>> + Send + 'a;
}

macro_rules! impl_reconcile {
    ($conn:ty, $lock:expr) => {
        impl Reconcile for $conn {
            fn reconcile<'a>(
                &'a mut self,
                prov: &'a Provisioner<'a>,
                scim_user_id: &'a str,
            ) -> impl std::future::Future<Output = DbResult<()>> + Send + 'a {
                async move {
                    let tx = self;
                    reconcile!(tx, prov, scim_user_id, $lock);
                    Ok(())
                }
            }
        }
    };
}
// The row lock of each backend (SQLite's write transaction already holds the database).
impl_reconcile!(sqlx::SqliteConnection, "");
impl_reconcile!(sqlx::PgConnection, " FOR UPDATE");

/// Binds a filter's values after the organization (`$1`) and any `extra` binds.
macro_rules! bind_condition {
    ($query:expr, $cond:expr) => {{
        let mut q = $query;
        for b in &$cond.binds {
            q = match b {
                Bind::Text(t) => q.bind(t.clone()),
                Bind::Bool(v) => q.bind(*v),
            };
        }
        q
    }};
}

/// Reads the version of `$table`'s row `$id` of the organization for an `If-Match`, returning
/// early with `NotFound` or `VersionMismatch`.
macro_rules! check_version {
    ($tx:ident, $table:literal, $org:expr, $id:expr, $if_match:expr) => {{
        let version: Option<i64> = sqlx::query_scalar(concat!(
            "SELECT version FROM ",
            $table,
            " WHERE id = $1 AND org_id = $2"
        ))
        .bind($id)
        .bind($org)
        .fetch_optional(&mut *$tx)
        .await?;
        match version {
            None => return Ok(Write::NotFound),
            Some(v) if $if_match.is_some_and(|m| m != v) => return Ok(Write::VersionMismatch),
            Some(_) => {}
        }
    }};
}

/// Applies `$change` to group `$group_id`'s members and reconciles everyone whose groups
/// changed (everyone in it, when `$renamed`). Evaluates to `Some(id)` for a member id that is
/// no user of the organization (nothing is then committed by the caller).
macro_rules! change_members {
    ($tx:ident, $prov:expr, $group_id:expr, $change:expr) => {
        change_members!($tx, $prov, $group_id, $change, false)
    };
    ($tx:ident, $prov:expr, $group_id:expr, $change:expr, $renamed:expr) => {{
        let prov: &Provisioner<'_> = $prov;
        let change: &MembersChange = $change;
        let group_id: &str = $group_id;
        let before: Vec<String> = sqlx::query_scalar("SELECT scim_user_id FROM scim_group_members WHERE group_id = $1")
            .bind(group_id)
            .fetch_all(&mut *$tx)
            .await?;
        let mut after: std::collections::BTreeSet<String> = match &change.replace {
            Some(list) => list.iter().cloned().collect(),
            None => before.iter().cloned().collect(),
        };
        after.extend(change.add.iter().cloned());
        for r in &change.remove {
            after.remove(r);
        }
        let before_set: std::collections::BTreeSet<String> = before.iter().cloned().collect();
        let mut unknown = None;
        for added in after.difference(&before_set) {
            let inserted = sqlx::query(
                "INSERT INTO scim_group_members (group_id, scim_user_id) SELECT $1, id FROM scim_users WHERE id = $2 AND org_id = $3",
            )
            .bind(group_id)
            .bind(added)
            .bind(prov.org_id)
            .execute(&mut *$tx)
            .await?
            .rows_affected();
            if inserted == 0 {
                unknown = Some(added.clone());
                break;
            }
        }
        if unknown.is_none() {
            for removed in before_set.difference(&after) {
                sqlx::query("DELETE FROM scim_group_members WHERE group_id = $1 AND scim_user_id = $2")
                    .bind(group_id)
                    .bind(removed)
                    .execute(&mut *$tx)
                    .await?;
            }
            let touched: Vec<&String> = if $renamed {
                before_set.union(&after).collect()
            } else {
                before_set.symmetric_difference(&after).collect()
            };
            for user in touched {
                Reconcile::reconcile(&mut *$tx, prov, user).await?;
            }
        }
        unknown
    }};
}

pub async fn get_user(db: &Db, org_id: &str, id: &str) -> DbResult<Option<ScimUserRow>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM scim_users WHERE id = $1 AND org_id = $2");
    with_pool!(db, p => sqlx::query_as::<_, ScimUserRow>(&sql).bind(id).bind(org_id).fetch_optional(p).await)
}

pub async fn get_group(db: &Db, org_id: &str, id: &str) -> DbResult<Option<ScimGroupRow>> {
    let sql = format!("SELECT {GROUP_COLUMNS} FROM scim_groups WHERE id = $1 AND org_id = $2");
    with_pool!(db, p => sqlx::query_as::<_, ScimGroupRow>(&sql).bind(id).bind(org_id).fetch_optional(p).await)
}

/// One page of the organization's records in `table` (`scim_users` or `scim_groups`, read as
/// `columns`) matching `cond`, in creation order, and how many match.
async fn list_page<T>(
    db: &Db,
    table: &str,
    columns: &str,
    org_id: &str,
    cond: &Condition,
    offset: i64,
    limit: i64,
) -> DbResult<(i64, Vec<T>)>
where
    T: Send
        + Unpin
        + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
{
    let filter = if cond.sql.is_empty() {
        String::new()
    } else {
        format!(" AND ({})", cond.sql)
    };
    let n = cond.binds.len();
    let count_sql = format!("SELECT COUNT(*) FROM {table} WHERE org_id = $1{filter}");
    let page_sql = format!(
        "SELECT {columns} FROM {table} WHERE org_id = $1{filter} ORDER BY created_at, id LIMIT ${} OFFSET ${}",
        n + 2,
        n + 3
    );
    with_pool!(db, p => {
        let total: i64 = bind_condition!(sqlx::query_scalar(&count_sql).bind(org_id), cond).fetch_one(p).await?;
        let rows = if limit == 0 {
            Vec::new()
        } else {
            bind_condition!(sqlx::query_as::<_, T>(&page_sql).bind(org_id), cond)
                .bind(limit)
                .bind(offset)
                .fetch_all(p)
                .await?
        };
        Ok((total, rows))
    })
}

pub async fn list_users(
    db: &Db,
    org_id: &str,
    cond: &Condition,
    offset: i64,
    limit: i64,
) -> DbResult<(i64, Vec<ScimUserRow>)> {
    list_page(db, "scim_users", USER_COLUMNS, org_id, cond, offset, limit).await
}

pub async fn list_groups(
    db: &Db,
    org_id: &str,
    cond: &Condition,
    offset: i64,
    limit: i64,
) -> DbResult<(i64, Vec<ScimGroupRow>)> {
    list_page(
        db,
        "scim_groups",
        GROUP_COLUMNS,
        org_id,
        cond,
        offset,
        limit,
    )
    .await
}

/// The groups of a SCIM user: (id, display name).
pub async fn groups_of_user(db: &Db, scim_user_id: &str) -> DbResult<Vec<(String, String)>> {
    with_pool!(db, p => sqlx::query_as(
        "SELECT g.id, g.display_name FROM scim_group_members gm JOIN scim_groups g ON g.id = gm.group_id \
         WHERE gm.scim_user_id = $1 ORDER BY g.display_name_key",
    )
    .bind(scim_user_id)
    .fetch_all(p)
    .await)
}

/// The groups of each of `ids` (one page of users), in one query.
pub async fn groups_of_users(
    db: &Db,
    ids: &[String],
) -> DbResult<std::collections::HashMap<String, Vec<(String, String)>>> {
    let mut by_user: std::collections::HashMap<String, Vec<(String, String)>> = Default::default();
    if ids.is_empty() {
        return Ok(by_user);
    }
    let placeholders = (1..=ids.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT gm.scim_user_id, g.id, g.display_name FROM scim_group_members gm JOIN scim_groups g ON g.id = gm.group_id \
         WHERE gm.scim_user_id IN ({placeholders}) ORDER BY g.display_name_key"
    );
    let rows: Vec<(String, String, String)> = with_pool!(db, p => {
        let mut q = sqlx::query_as(&sql);
        for id in ids {
            q = q.bind(id);
        }
        q.fetch_all(p).await?
    });
    for (user, group, name) in rows {
        by_user.entry(user).or_default().push((group, name));
    }
    Ok(by_user)
}

/// The members of a group: (SCIM user id, userName).
pub async fn members_of_group(db: &Db, group_id: &str) -> DbResult<Vec<(String, String)>> {
    with_pool!(db, p => sqlx::query_as(
        "SELECT u.id, u.user_name FROM scim_group_members gm JOIN scim_users u ON u.id = gm.scim_user_id \
         WHERE gm.group_id = $1 ORDER BY u.created_at, u.id",
    )
    .bind(group_id)
    .fetch_all(p)
    .await)
}

pub async fn create_user(
    db: &Db,
    prov: &Provisioner<'_>,
    f: &UserFields,
) -> DbResult<Write<String>> {
    let id = new_ordered_id();
    let at = now();
    let result: DbResult<()> = with_pool!(db, p => async {
        let mut tx = p.begin_write().await?;
        lock_org!(tx, prov.org_id);
        sqlx::query(
            "INSERT INTO scim_users (id, org_id, user_name, user_name_key, external_id, display_name, given_name, \
               family_name, email, active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
        )
        .bind(&id)
        .bind(prov.org_id)
        .bind(&f.user_name)
        .bind(f.user_name.to_lowercase())
        .bind(&f.external_id)
        .bind(&f.display_name)
        .bind(&f.given_name)
        .bind(&f.family_name)
        .bind(&f.email)
        .bind(f.active)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        Reconcile::reconcile(&mut *tx, prov, &id).await?;
        tx.commit().await?;
        Ok(())
    }.await);
    match result {
        Ok(()) => Ok(Write::Done(id)),
        Err(e) => match unique_violation_on(&e) {
            Some(attribute) => Ok(Write::Taken(attribute)),
            None => Err(e),
        },
    }
}

/// Replaces a user's attributes (PUT, and PATCH once applied), then reconciles.
pub async fn replace_user(
    db: &Db,
    prov: &Provisioner<'_>,
    id: &str,
    f: &UserFields,
    if_match: Option<i64>,
) -> DbResult<Write<()>> {
    let result: DbResult<Write<()>> = with_pool!(db, p => async {
        let mut tx = p.begin_write().await?;
        lock_org!(tx, prov.org_id);
        check_version!(tx, "scim_users", prov.org_id, id, if_match);
        let old_email: String = sqlx::query_scalar("SELECT email FROM scim_users WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        if old_email != f.email {
            // A new address is another person as far as accounts go: the old one leaves first.
            sqlx::query("UPDATE scim_users SET active = FALSE WHERE id = $1").bind(id).execute(&mut *tx).await?;
            Reconcile::reconcile(&mut *tx, prov, id).await?;
            sqlx::query("UPDATE scim_users SET user_id = NULL, deactivated_at = NULL WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "UPDATE scim_users SET user_name = $1, user_name_key = $2, external_id = $3, display_name = $4, \
             given_name = $5, family_name = $6, email = $7, active = $8, version = version + 1, updated_at = $9 WHERE id = $10",
        )
        .bind(&f.user_name)
        .bind(f.user_name.to_lowercase())
        .bind(&f.external_id)
        .bind(&f.display_name)
        .bind(&f.given_name)
        .bind(&f.family_name)
        .bind(&f.email)
        .bind(f.active)
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        Reconcile::reconcile(&mut *tx, prov, id).await?;
        tx.commit().await?;
        Ok(Write::Done(()))
    }.await);
    match result {
        Err(e) => match unique_violation_on(&e) {
            Some(attribute) => Ok(Write::Taken(attribute)),
            None => Err(e),
        },
        ok => ok,
    }
}

/// Deletes a user: first everything it gave ends (as for `active: false`), then the record.
pub async fn delete_user(
    db: &Db,
    prov: &Provisioner<'_>,
    id: &str,
    if_match: Option<i64>,
) -> DbResult<Write<()>> {
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        lock_org!(tx, prov.org_id);
        check_version!(tx, "scim_users", prov.org_id, id, if_match);
        sqlx::query("UPDATE scim_users SET active = FALSE WHERE id = $1").bind(id).execute(&mut *tx).await?;
        Reconcile::reconcile(&mut *tx, prov, id).await?;
        sqlx::query("DELETE FROM scim_users WHERE id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(Write::Done(()))
    })
}

/// Creates a group with its members and reconciles them.
pub async fn create_group(
    db: &Db,
    prov: &Provisioner<'_>,
    f: &GroupFields,
    members: &[String],
) -> DbResult<Write<String>> {
    let id = new_ordered_id();
    let change = MembersChange {
        replace: Some(members.to_vec()),
        ..Default::default()
    };
    let result: DbResult<Write<String>> = with_pool!(db, p => async {
        let mut tx = p.begin_write().await?;
        lock_org!(tx, prov.org_id);
        sqlx::query(
            "INSERT INTO scim_groups (id, org_id, display_name, display_name_key, external_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(&id)
        .bind(prov.org_id)
        .bind(&f.display_name)
        .bind(f.display_name.to_lowercase())
        .bind(&f.external_id)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        if let Some(unknown) = change_members!(tx, prov, &id, &change) {
            return Ok(Write::UnknownMember(unknown));
        }
        tx.commit().await?;
        Ok(Write::Done(id.clone()))
    }.await);
    match result {
        Err(e) => match unique_violation_on(&e) {
            Some(attribute) => Ok(Write::Taken(attribute)),
            None => Err(e),
        },
        ok => ok,
    }
}

/// Changes a group: its names (`fields`), its members, or both; reconciles whom it moved.
pub async fn update_group(
    db: &Db,
    prov: &Provisioner<'_>,
    id: &str,
    fields: Option<&GroupFields>,
    members: &MembersChange,
    if_match: Option<i64>,
) -> DbResult<Write<()>> {
    let result: DbResult<Write<()>> = with_pool!(db, p => async {
        let mut tx = p.begin_write().await?;
        lock_org!(tx, prov.org_id);
        check_version!(tx, "scim_groups", prov.org_id, id, if_match);
        let mut renamed = false;
        if let Some(f) = fields {
            let old: (String, Option<String>) = sqlx::query_as("SELECT display_name, external_id FROM scim_groups WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            renamed = old.0.to_lowercase() != f.display_name.to_lowercase() || old.1 != f.external_id;
            sqlx::query("UPDATE scim_groups SET display_name = $1, display_name_key = $2, external_id = $3 WHERE id = $4")
                .bind(&f.display_name)
                .bind(f.display_name.to_lowercase())
                .bind(&f.external_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE scim_groups SET version = version + 1, updated_at = $1 WHERE id = $2")
            .bind(now())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if let Some(unknown) = change_members!(tx, prov, id, members, renamed) {
            return Ok(Write::UnknownMember(unknown));
        }
        tx.commit().await?;
        Ok(Write::Done(()))
    }.await);
    match result {
        Err(e) => match unique_violation_on(&e) {
            Some(attribute) => Ok(Write::Taken(attribute)),
            None => Err(e),
        },
        ok => ok,
    }
}

/// Deletes a group; its former members lose what it gave them.
pub async fn delete_group(
    db: &Db,
    prov: &Provisioner<'_>,
    id: &str,
    if_match: Option<i64>,
) -> DbResult<Write<()>> {
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        lock_org!(tx, prov.org_id);
        check_version!(tx, "scim_groups", prov.org_id, id, if_match);
        let members: Vec<String> = sqlx::query_scalar("SELECT scim_user_id FROM scim_group_members WHERE group_id = $1")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM scim_groups WHERE id = $1").bind(id).execute(&mut *tx).await?;
        for user in &members {
            Reconcile::reconcile(&mut *tx, prov, user).await?;
        }
        tx.commit().await?;
        Ok(Write::Done(()))
    })
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MappingRow {
    pub id: String,
    pub group_key: String,
    pub workspace_id: String,
    pub workspace_name: String,
    pub role: WorkspaceRole,
    pub position: i64,
}

pub async fn mappings(db: &Db, org_id: &str) -> DbResult<Vec<MappingRow>> {
    with_pool!(db, p => sqlx::query_as(
        "SELECT m.id, m.group_key, m.workspace_id, w.name AS workspace_name, m.role, m.position \
         FROM scim_role_mappings m JOIN workspaces w ON w.id = m.workspace_id WHERE m.org_id = $1 ORDER BY m.position, m.id",
    )
    .bind(org_id)
    .fetch_all(p)
    .await)
}

pub async fn mapping(db: &Db, id: &str) -> DbResult<Option<(String, String)>> {
    with_pool!(db, p => sqlx::query_as("SELECT id, org_id FROM scim_role_mappings WHERE id = $1")
        .bind(id)
        .fetch_optional(p)
        .await)
}

/// Reconciles every member of the organization's groups that `$key` names.
macro_rules! reconcile_group_key {
    ($tx:ident, $prov:expr, $key:expr) => {{
        let users: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT gm.scim_user_id FROM scim_group_members gm JOIN scim_groups g ON g.id = gm.group_id \
             WHERE g.org_id = $1 AND (g.display_name_key = $2 OR g.external_id = $3)",
        )
        .bind($prov.org_id)
        .bind($key.to_lowercase())
        .bind($key)
        .fetch_all(&mut *$tx)
        .await?;
        for user in &users {
            Reconcile::reconcile(&mut *$tx, $prov, user).await?;
        }
    }};
}

/// Adds a mapping (last in order) and applies it to the members of the groups it names.
/// `None` when the same group already maps to that workspace.
pub async fn add_mapping(
    db: &Db,
    prov: &Provisioner<'_>,
    group_key: &str,
    workspace_id: &str,
    role: WorkspaceRole,
    audit: &AuditEvent,
) -> DbResult<Option<String>> {
    let id = new_id();
    let result: DbResult<()> = with_pool!(db, p => async {
        let mut tx = p.begin_write().await?;
        lock_org!(tx, prov.org_id);
        sqlx::query(
            "INSERT INTO scim_role_mappings (id, org_id, group_key, workspace_id, role, position, created_at) \
             VALUES ($1, $2, $3, $4, $5, (SELECT COALESCE(MAX(position), 0) + 1 FROM scim_role_mappings WHERE org_id = $2), $6)",
        )
        .bind(&id)
        .bind(prov.org_id)
        .bind(group_key)
        .bind(workspace_id)
        .bind(role.as_str())
        .bind(now())
        .execute(&mut *tx)
        .await?;
        audit_query!(audit).execute(&mut *tx).await?;
        reconcile_group_key!(tx, prov, group_key);
        tx.commit().await?;
        Ok(())
    }.await);
    match result {
        Ok(()) => Ok(Some(id)),
        Err(e) if super::is_unique_violation(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Removes a mapping and takes back what it gave. False when it was gone already.
pub async fn remove_mapping(
    db: &Db,
    prov: &Provisioner<'_>,
    id: &str,
    audit: &AuditEvent,
) -> DbResult<bool> {
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        lock_org!(tx, prov.org_id);
        let key: Option<String> = sqlx::query_scalar("DELETE FROM scim_role_mappings WHERE id = $1 AND org_id = $2 RETURNING group_key")
            .bind(id)
            .bind(prov.org_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(key) = key else {
            return Ok(false);
        };
        audit_query!(audit).execute(&mut *tx).await?;
        reconcile_group_key!(tx, prov, &key);
        tx.commit().await?;
        Ok(true)
    })
}

/// The organization's groups by name, for the mapping form (at most 500).
pub async fn group_names(db: &Db, org_id: &str) -> DbResult<Vec<String>> {
    with_pool!(db, p => sqlx::query_scalar(
        "SELECT display_name FROM scim_groups WHERE org_id = $1 ORDER BY display_name_key LIMIT 500",
    )
    .bind(org_id)
    .fetch_all(p)
    .await)
}

/// Records a SCIM request's outcome: the organization's last request, and failures.
pub async fn record_request(
    db: &Db,
    org_id: &str,
    request: &str,
    status: u16,
    error: Option<&str>,
    audit: &AuditEvent,
) -> DbResult<()> {
    let at = now();
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        sqlx::query(
            "INSERT INTO scim_status (org_id, last_request_at, last_request, last_status) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (org_id) DO UPDATE SET last_request_at = excluded.last_request_at, \
             last_request = excluded.last_request, last_status = excluded.last_status",
        )
        .bind(org_id)
        .bind(at)
        .bind(request)
        .bind(i64::from(status))
        .execute(&mut *tx)
        .await?;
        if let Some(detail) = error {
            sqlx::query("INSERT INTO scim_errors (org_id, at, request, status, detail) VALUES ($1, $2, $3, $4, $5)")
                .bind(org_id)
                .bind(at)
                .bind(request)
                .bind(i64::from(status))
                .bind(detail)
                .execute(&mut *tx)
                .await?;
        }
        audit_query!(audit).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    })
}

#[derive(Debug, Clone, Default)]
pub struct Status {
    pub last_request_at: Option<i64>,
    pub last_request: Option<String>,
    pub last_status: Option<i64>,
    pub errors_last_day: i64,
    pub last_error: Option<(i64, String, i64, String)>,
}

pub async fn status(db: &Db, org_id: &str) -> DbResult<Status> {
    let since = now() - 86_400;
    with_pool!(db, p => {
        let last: Option<(i64, String, i64)> =
            sqlx::query_as("SELECT last_request_at, last_request, last_status FROM scim_status WHERE org_id = $1")
                .bind(org_id)
                .fetch_optional(p)
                .await?;
        let errors_last_day: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM scim_errors WHERE org_id = $1 AND at > $2")
            .bind(org_id)
            .bind(since)
            .fetch_one(p)
            .await?;
        let last_error: Option<(i64, String, i64, String)> = sqlx::query_as(
            "SELECT at, request, status, detail FROM scim_errors WHERE org_id = $1 ORDER BY at DESC, id DESC LIMIT 1",
        )
        .bind(org_id)
        .fetch_optional(p)
        .await?;
        Ok(Status {
            last_request_at: last.as_ref().map(|l| l.0),
            last_request: last.as_ref().map(|l| l.1.clone()),
            last_status: last.map(|l| l.2),
            errors_last_day,
            last_error,
        })
    })
}

/// Forgets failures older than two days (the page counts the last one); run by the sweep.
pub async fn purge_errors(db: &Db, now: i64) -> DbResult<u64> {
    with_pool!(db, p => sqlx::query("DELETE FROM scim_errors WHERE at < $1")
        .bind(now - 2 * 86_400)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))
}
