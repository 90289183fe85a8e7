//! Users, their memberships as an [`Actor`], and admin-created accounts.

use super::audit::{audit_query, AuditEvent};
use super::BeginWrite;
use super::{is_unique_violation, new_id, now, with_pool, Db, DbResult};
use crate::domain::{AccountScope, Actor, OrgRole, PlatformRole, RoleSource, WorkspaceRole};

/// A user as every request sees them (also carried, read-only, in a loaded session's record).
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub platform_role: Option<PlatformRole>,
    pub must_change_password: bool,
    pub temp_password_expires_at: Option<i64>,
    pub session_version: i64,
    pub disabled_at: Option<i64>,
}

impl UserRow {
    pub fn platform_role(&self) -> Option<PlatformRole> {
        self.platform_role
    }

    pub fn is_platform_admin(&self) -> bool {
        self.platform_role == Some(PlatformRole::PlatformAdmin)
    }
}

/// A user with their password hash, only for verifying a sign-in. `Debug` hides the hash.
#[derive(Clone, sqlx::FromRow)]
pub struct Credentials {
    #[sqlx(flatten)]
    pub user: UserRow,
    pub password_hash: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

pub(super) const USER_COLUMNS: &str =
    "id, email, name, platform_role, must_change_password, temp_password_expires_at, session_version, disabled_at";

pub async fn find_by_id(db: &Db, id: &str) -> DbResult<Option<UserRow>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
    with_pool!(db, p => sqlx::query_as::<_, UserRow>(&sql).bind(id).fetch_optional(p).await)
}

/// The id of the account with this (normalized) email, if any.
pub async fn id_by_email(db: &Db, email: &str) -> DbResult<Option<String>> {
    with_pool!(db, p => sqlx::query_scalar::<_, String>("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(p)
        .await)
}

pub async fn find_credentials_by_email(db: &Db, email: &str) -> DbResult<Option<Credentials>> {
    let sql = format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = $1");
    with_pool!(db, p => sqlx::query_as::<_, Credentials>(&sql).bind(email).fetch_optional(p).await)
}

pub async fn find_credentials_by_id(db: &Db, id: &str) -> DbResult<Option<Credentials>> {
    let sql = format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE id = $1");
    with_pool!(db, p => sqlx::query_as::<_, Credentials>(&sql).bind(id).fetch_optional(p).await)
}

pub async fn email_in_use(db: &Db, email: &str) -> DbResult<EmailUse> {
    let sql = "SELECT (SELECT COUNT(*) FROM users WHERE email = $1) AS users, \
               (SELECT COUNT(*) FROM pending_invites WHERE email = $1) AS invites";
    let (users, invites): (i64, i64) =
        with_pool!(db, p => sqlx::query_as(sql).bind(email).fetch_one(p).await)?;
    Ok(if users > 0 {
        EmailUse::User
    } else if invites > 0 {
        EmailUse::PendingInvite
    } else {
        EmailUse::Free
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailUse {
    Free,
    User,
    PendingInvite,
}

/// A user's organization and workspace roles, by user id: a kind of read the cache
/// keeps (every page view and most API calls load the caller's roles).
#[derive(Clone, PartialEq, Eq, Hash)]
struct RolesOf(String);

/// The organization roles and the workspace roles of one user.
type Roles = (Vec<(String, OrgRole)>, Vec<(String, WorkspaceRole)>);

impl super::read_cache::CachedRead for RolesOf {
    type Answer = Roles;
    const CAPACITY: usize = 10_000;
}

/// The user's roles in every organization and workspace they belong to, served from the read
/// cache until the database next changes (nothing here depends on the clock).
pub async fn load_actor(db: &Db, user: &UserRow) -> DbResult<Actor> {
    let key = RolesOf(user.id.clone());
    let (org_roles, workspace_roles) = db
        .read_through(&key, |db| async move {
            load_roles(&db, &user.id).await.map(Some)
        })
        .await?
        .unwrap_or_default();
    Ok(Actor {
        user_id: user.id.clone(),
        platform_role: user.platform_role(),
        org_roles,
        workspace_roles,
    })
}

async fn load_roles(db: &Db, user_id: &str) -> DbResult<Roles> {
    // Organization and workspace roles in one query: `is_org` tells them apart.
    let sql = "SELECT CAST(1 AS BIGINT) AS is_org, org_id AS id, role FROM org_members WHERE user_id = $1 \
         UNION ALL SELECT CAST(0 AS BIGINT), workspace_id, role FROM workspace_members WHERE user_id = $1";
    let rows: Vec<(i64, String, String)> =
        with_pool!(db, p => sqlx::query_as(sql).bind(user_id).fetch_all(p).await)?;
    let mut roles = Roles::default();
    // A role Roster does not know fails the request: dropping it could hide the membership
    // that makes someone the last admin.
    let unknown = |e: crate::domain::roles::UnknownRole| sqlx::Error::Decode(Box::new(e));
    for (is_org, id, role) in rows {
        if is_org == 1 {
            roles
                .0
                .push((id, role.parse::<OrgRole>().map_err(unknown)?));
        } else {
            roles
                .1
                .push((id, role.parse::<WorkspaceRole>().map_err(unknown)?));
        }
    }
    Ok(roles)
}

/// Every role of an account (`$1`, whose email is `$2`), one row per role: `kind` is
/// `p`latform, `o`rganization (id, role) or `w`orkspace (id, its organization). The grants of a
/// pending invitation addressed to the account count as its own: otherwise the admin of its
/// only workspace could reset its password, sign in as it and accept an invitation from
/// another organization. Also run inside write transactions, which is why it is a statement
/// rather than a function.
pub(super) const ACCOUNT_SCOPE_SQL: &str =
    "SELECT 'p' AS kind, platform_role AS a, CAST(NULL AS TEXT) AS b FROM users WHERE id = $1 AND platform_role IS NOT NULL \
     UNION ALL SELECT 'p', platform_role, NULL FROM pending_invites WHERE email = $2 AND platform_role IS NOT NULL \
     UNION ALL SELECT 'o', org_id, role FROM org_members WHERE user_id = $1 \
     UNION ALL SELECT 'o', w.org_id, iw.org_role FROM pending_invite_workspaces iw \
     JOIN workspaces w ON w.id = iw.workspace_id WHERE iw.email = $2 AND iw.org_role IS NOT NULL \
     UNION ALL SELECT 'w', m.workspace_id, w.org_id FROM workspace_members m JOIN workspaces w ON w.id = m.workspace_id \
     WHERE m.user_id = $1 \
     UNION ALL SELECT 'w', iw.workspace_id, w.org_id FROM pending_invite_workspaces iw \
     JOIN workspaces w ON w.id = iw.workspace_id WHERE iw.email = $2";

pub(super) type ScopeRow = (String, Option<String>, Option<String>);

/// The [`AccountScope`] from the rows of [`ACCOUNT_SCOPE_SQL`]; a role Roster does not know is
/// a decode error (a dropped role could make an account look manageable).
pub(super) fn scope_from_rows(rows: Vec<ScopeRow>) -> DbResult<AccountScope> {
    let unknown = |e: crate::domain::roles::UnknownRole| sqlx::Error::Decode(Box::new(e));
    let missing = || sqlx::Error::Decode("account scope: a NULL where a value belongs".into());
    let mut scope = AccountScope::default();
    for (kind, a, b) in rows {
        let a = a.ok_or_else(missing)?;
        match kind.as_str() {
            "p" => scope.platform_role = Some(a.parse::<PlatformRole>().map_err(unknown)?),
            "o" => scope.org_roles.push((
                a,
                b.ok_or_else(missing)?.parse::<OrgRole>().map_err(unknown)?,
            )),
            _ => scope.workspaces.push((a, b.ok_or_else(missing)?)),
        }
    }
    Ok(scope)
}

/// Every role `user_id` (whose email is `email`) holds or is offered, for
/// [`crate::domain::manages`].
pub async fn account_scope(db: &Db, user_id: &str, email: &str) -> DbResult<AccountScope> {
    let rows: Vec<ScopeRow> = with_pool!(db, p => sqlx::query_as(ACCOUNT_SCOPE_SQL)
        .bind(user_id)
        .bind(email)
        .fetch_all(p)
        .await)?;
    scope_from_rows(rows)
}

/// Is this the service account of an organization's API token (see migration 0006)?
pub async fn is_service_account(db: &Db, user_id: &str) -> DbResult<bool> {
    let n: i64 = with_pool!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE id = $1 AND service_token_id IS NOT NULL",
    )
    .bind(user_id)
    .fetch_one(p)
    .await)?;
    Ok(n > 0)
}

/// Has the account proven that its email is its own (see migration 0003)?
pub async fn email_proven(db: &Db, user_id: &str) -> DbResult<bool> {
    let at: Option<Option<i64>> = with_pool!(db, p => sqlx::query_scalar(
        "SELECT email_verified_at FROM users WHERE id = $1",
    )
    .bind(user_id)
    .fetch_optional(p)
    .await)?;
    Ok(at.flatten().is_some())
}

/// A new password-holding user and their first workspace membership, written at once.
pub struct NewPasswordUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub must_change_password: bool,
    pub temp_password_expires_at: Option<i64>,
    pub workspace_id: &'a str,
    pub role: WorkspaceRole,
    pub invited_by: &'a str,
}

#[derive(Debug)]
pub enum CreateUserError {
    EmailTaken,
    Db(sqlx::Error),
}

impl From<sqlx::Error> for CreateUserError {
    fn from(e: sqlx::Error) -> Self {
        if is_unique_violation(&e) {
            CreateUserError::EmailTaken
        } else {
            CreateUserError::Db(e)
        }
    }
}

/// One transaction: the user, the membership (`admin_create`) and the audit row. Refuses an
/// email that is already a user or has a pending invitation; never overwrites.
pub async fn create_with_membership(
    db: &Db,
    new: &NewPasswordUser<'_>,
    audit: &AuditEvent,
) -> Result<UserRow, CreateUserError> {
    let id = new_id();
    let at = now();
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        let invited: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pending_invites WHERE email = $1")
            .bind(new.email)
            .fetch_one(&mut *tx)
            .await?;
        if invited > 0 {
            return Err(CreateUserError::EmailTaken);
        }
        sqlx::query(
            "INSERT INTO users (id, email, name, password_hash, must_change_password, temp_password_expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(new.email)
        .bind(new.name)
        .bind(new.password_hash)
        .bind(new.must_change_password)
        .bind(new.temp_password_expires_at)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO workspace_members (workspace_id, user_id, email, role, role_source, invited_by, joined_at) \
             VALUES ($1, $2, (SELECT email FROM users WHERE id = $2), $3, $4, $5, $6)",
        )
        .bind(new.workspace_id)
        .bind(&id)
        .bind(new.role.as_str())
        .bind(RoleSource::AdminCreate.as_str())
        .bind(new.invited_by)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        audit_query!(audit).execute(&mut *tx).await?;
        tx.commit().await?;
    });
    Ok(UserRow {
        id,
        email: new.email.to_string(),
        name: new.name.to_string(),
        platform_role: None,
        must_change_password: new.must_change_password,
        temp_password_expires_at: new.temp_password_expires_at,
        session_version: 1,
        disabled_at: None,
    })
}

/// Sets a new password chosen by the user: clears the forced-change flag and bumps
/// `session_version`, which ends every other session. Returns the new version.
pub async fn set_own_password(
    db: &Db,
    user_id: &str,
    password_hash: &str,
    audit: &AuditEvent,
) -> DbResult<i64> {
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        let version: i64 = sqlx::query_scalar(
            "UPDATE users SET password_hash = $1, must_change_password = FALSE, temp_password_expires_at = NULL, \
             session_version = session_version + 1 WHERE id = $2 RETURNING session_version",
        )
        .bind(password_hash)
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?;
        audit_query!(audit).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(version)
    })
}

/// Ends every session of a user at once.
pub async fn bump_session_version(db: &Db, user_id: &str) -> DbResult<i64> {
    with_pool!(db, p => sqlx::query_scalar(
        "UPDATE users SET session_version = session_version + 1 WHERE id = $1 RETURNING session_version",
    )
    .bind(user_id)
    .fetch_one(p)
    .await)
}

pub async fn count_platform_admins(db: &Db) -> DbResult<i64> {
    with_pool!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE platform_role = 'platform_admin'")
        .fetch_one(p)
        .await)
}

pub struct BootstrapAdmin<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: Option<&'a str>,
    pub must_change_password: bool,
    pub temp_password_expires_at: Option<i64>,
}

#[derive(Debug)]
pub struct Bootstrapped {
    pub user_id: String,
    pub workspace_id: String,
    pub created_user: bool,
}

/// Creates (or, when forced, promotes) the first platform admin with a default organization and
/// workspace where they are `org_owner` and `workspace_admin`. One transaction.
pub async fn bootstrap_admin(db: &Db, admin: &BootstrapAdmin<'_>) -> DbResult<Bootstrapped> {
    let at = now();
    let (org_id, workspace_id) = super::workspaces::ensure_default(db).await?;
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        let existing: Option<String> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(admin.email)
            .fetch_optional(&mut *tx)
            .await?;
        let created_user = existing.is_none();
        let user_id = match existing {
            Some(id) => {
                sqlx::query(
                    "UPDATE users SET platform_role = 'platform_admin', disabled_at = NULL, \
                     password_hash = COALESCE($1, password_hash), must_change_password = $2, \
                     temp_password_expires_at = $3, session_version = session_version + 1 WHERE id = $4",
                )
                .bind(admin.password_hash)
                .bind(admin.must_change_password && admin.password_hash.is_some())
                .bind(admin.temp_password_expires_at)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
                id
            }
            None => {
                let id = new_id();
                sqlx::query(
                    "INSERT INTO users (id, email, name, password_hash, platform_role, must_change_password, temp_password_expires_at, created_at) \
                     VALUES ($1, $2, $3, $4, 'platform_admin', $5, $6, $7)",
                )
                .bind(&id)
                .bind(admin.email)
                .bind(admin.name)
                .bind(admin.password_hash)
                .bind(admin.must_change_password && admin.password_hash.is_some())
                .bind(admin.temp_password_expires_at)
                .bind(at)
                .execute(&mut *tx)
                .await?;
                id
            }
        };
        sqlx::query(
            "INSERT INTO org_members (org_id, user_id, role) VALUES ($1, $2, 'org_owner') \
             ON CONFLICT (org_id, user_id) DO UPDATE SET role = 'org_owner'",
        )
        .bind(&org_id)
        .bind(&user_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO workspace_members (workspace_id, user_id, email, role, role_source, joined_at) \
             VALUES ($1, $2, (SELECT email FROM users WHERE id = $2), 'workspace_admin', 'manual', $3) \
             ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = 'workspace_admin', role_source = 'manual'",
        )
        .bind(&workspace_id)
        .bind(&user_id)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        let ev = AuditEvent {
            action: crate::domain::AuditAction::BootstrapAdmin,
            target: Some(admin.email.to_string()),
            workspace_id: Some(workspace_id.clone()),
            detail: Some("platform_admin created from the command line".into()),
            actor_user_id: None,
            actor_token: None,
            ip: None,
        };
        audit_query!(&ev).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(Bootstrapped { user_id, workspace_id, created_user })
    })
}

/// Sets or clears a user's platform role and ends their sessions (a privilege change).
pub async fn set_platform_role(
    db: &Db,
    user_id: &str,
    role: Option<PlatformRole>,
    audit: &AuditEvent,
) -> DbResult<()> {
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        sqlx::query("UPDATE users SET platform_role = $1, session_version = session_version + 1 WHERE id = $2")
            .bind(role)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let mut ev = audit.clone();
        ev.target = Some(format!("user {user_id}"));
        ev.detail = Some(format!("platform_role={}", role.map(|r| r.as_str()).unwrap_or("none")));
        audit_query!(&ev).execute(&mut *tx).await?;
        tx.commit().await
    })
}

/// What an action on an account did, decided inside its transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountChange {
    Done {
        /// Whether the account had a password before (a reset of a Google-only account adds
        /// password sign-in).
        had_password: bool,
    },
    NotFound,
    /// The caller does not manage the account (as its roles stand inside the transaction).
    NotManaged,
    /// Refused: it would leave the instance without an active platform admin.
    LastPlatformAdmin,
    /// Already in the state asked for: nothing written.
    Unchanged,
}

/// Locks every active platform admin's row for the rest of the transaction (an UPDATE takes row
/// locks on PostgreSQL; SQLite's write lock is already held), so that two admins deactivating
/// each other cannot both pass the last-admin check.
const LOCK_PLATFORM_ADMINS: &str = "UPDATE users SET session_version = session_version \
     WHERE platform_role = 'platform_admin' AND disabled_at IS NULL";
const ACTIVE_PLATFORM_ADMINS: &str =
    "SELECT COUNT(*) FROM users WHERE platform_role = 'platform_admin' AND disabled_at IS NULL";

/// Reads the account inside the transaction `$tx` and returns early from the enclosing function
/// unless it exists and `$manages` holds on its roles. Evaluates to
/// `(platform_role, disabled_at, has_password)`.
macro_rules! managed_account {
    ($tx:ident, $lock:expr, $user_id:expr, $manages:expr) => {{
        let row: Option<(Option<PlatformRole>, Option<i64>, bool, String)> = sqlx::query_as(&format!(
            "SELECT platform_role, disabled_at, password_hash IS NOT NULL, email FROM users WHERE id = $1{}",
            $lock
        ))
        .bind($user_id)
        .fetch_optional(&mut *$tx)
        .await?;
        let Some((platform_role, disabled_at, had_password, email)) = row else {
            return Ok(AccountChange::NotFound);
        };
        let rows: Vec<ScopeRow> = sqlx::query_as(ACCOUNT_SCOPE_SQL)
            .bind($user_id)
            .bind(&email)
            .fetch_all(&mut *$tx)
            .await?;
        if !($manages)(&scope_from_rows(rows)?) {
            return Ok(AccountChange::NotManaged);
        }
        (platform_role, disabled_at, had_password)
    }};
}

/// Deactivates (`true`) or reactivates an account the caller manages, with its audit row.
/// Deactivation stamps `disabled_at`, bumps `session_version` and deletes the account's
/// sessions, so every session ends at once on every instance; the last active platform admin
/// is refused.
pub async fn set_deactivated(
    db: &Db,
    user_id: &str,
    deactivate: bool,
    manages: &(dyn Fn(&AccountScope) -> bool + Send + Sync),
    audit: &AuditEvent,
) -> DbResult<AccountChange> {
    let lock = db.row_lock();
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        // The platform admins' rows before the target's: locked always in this order, two
        // admins deactivating each other wait for one another instead of deadlocking.
        if deactivate {
            sqlx::query(LOCK_PLATFORM_ADMINS).execute(&mut *tx).await?;
        }
        let (platform_role, disabled_at, had_password) = managed_account!(tx, lock, user_id, manages);
        if deactivate == disabled_at.is_some() {
            return Ok(AccountChange::Unchanged);
        }
        if deactivate {
            if platform_role == Some(PlatformRole::PlatformAdmin) {
                let admins: i64 = sqlx::query_scalar(ACTIVE_PLATFORM_ADMINS).fetch_one(&mut *tx).await?;
                if admins <= 1 {
                    return Ok(AccountChange::LastPlatformAdmin);
                }
            }
            sqlx::query("UPDATE users SET disabled_at = $1, session_version = session_version + 1 WHERE id = $2")
                .bind(now())
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        } else {
            sqlx::query("UPDATE users SET disabled_at = NULL WHERE id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        audit_query!(audit).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(AccountChange::Done { had_password })
    })
}

/// Gives an account the caller manages a new temporary password (`must_change_password`, valid
/// until `temp_password_expires_at`) and ends every session of it, with its audit row.
pub async fn reset_password(
    db: &Db,
    user_id: &str,
    password_hash: &str,
    temp_password_expires_at: i64,
    manages: &(dyn Fn(&AccountScope) -> bool + Send + Sync),
    audit: &AuditEvent,
) -> DbResult<AccountChange> {
    let lock = db.row_lock();
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        let (_, _, had_password) = managed_account!(tx, lock, user_id, manages);
        sqlx::query(
            "UPDATE users SET password_hash = $1, must_change_password = TRUE, temp_password_expires_at = $2, \
             session_version = session_version + 1 WHERE id = $3",
        )
        .bind(password_hash)
        .bind(temp_password_expires_at)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        audit_query!(audit).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(AccountChange::Done { had_password })
    })
}

/// Records a sign-in (once per sign-in, never per request).
pub async fn record_sign_in(db: &Db, user_id: &str, at: i64) -> DbResult<()> {
    with_pool!(db, p => sqlx::query("UPDATE users SET last_sign_in_at = $1 WHERE id = $2")
        .bind(at)
        .bind(user_id)
        .execute(p)
        .await
        .map(|_| ()))
}

/// What stands in for an erased account's email and name wherever the history keeps them.
pub fn tombstone(user_id: &str) -> String {
    format!("erased-user-{user_id}")
}

/// Erases an account in one transaction: the user row (and through it identities,
/// memberships, organization roles and sessions), invitations addressed to it, the grants it
/// made on pending invitations (a grant without a granter would read as the command line's),
/// its sign-in counters and queued email to it; the audit trail keeps every event with the
/// email replaced by [`tombstone`]. The last active platform admin is refused.
pub async fn erase(db: &Db, user_id: &str, audit: &AuditEvent) -> DbResult<AccountChange> {
    let stone = tombstone(user_id);
    // Locked first: an invitation the user is sending at this moment (its insert takes a key
    // lock on this row) either commits before, and its rows are deleted below, or waits and
    // then fails on the deleted user; no row is left whose inviter reads as the command line.
    let sql = format!(
        "SELECT email, platform_role, disabled_at FROM users WHERE id = $1{}",
        db.row_lock()
    );
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        // The platform admins' rows first, as deactivation does (one lock order, no deadlock).
        sqlx::query(LOCK_PLATFORM_ADMINS).execute(&mut *tx).await?;
        let row: Option<(String, Option<PlatformRole>, Option<i64>)> = sqlx::query_as(
            &sql,
        )
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((email, platform_role, disabled_at)) = row else {
            return Ok(AccountChange::NotFound);
        };
        if platform_role == Some(PlatformRole::PlatformAdmin) && disabled_at.is_none() {
            let admins: i64 = sqlx::query_scalar(ACTIVE_PLATFORM_ADMINS).fetch_one(&mut *tx).await?;
            if admins <= 1 {
                return Ok(AccountChange::LastPlatformAdmin);
            }
        }
        for sql in [
            "DELETE FROM pending_invite_workspaces WHERE invited_by_user_id = $1",
            "UPDATE pending_invites SET platform_role = NULL, platform_role_granted_by = NULL, \
             platform_role_expires_at = NULL WHERE platform_role_granted_by = $1",
        ] {
            sqlx::query(sql).bind(user_id).execute(&mut *tx).await?;
        }
        for sql in [
            "DELETE FROM pending_invites WHERE email = $1",
            "DELETE FROM mail_outbox WHERE to_address = $1 OR invite_email = $1",
            "DELETE FROM auth_throttle WHERE key = 'account:' || $1",
            // The identity provider's record of the person (it pushes it again if it must).
            "DELETE FROM scim_users WHERE email = $1",
        ] {
            sqlx::query(sql).bind(&email).execute(&mut *tx).await?;
        }
        // Invitations left with nothing to grant.
        sqlx::query(
            "DELETE FROM pending_invites WHERE platform_role IS NULL \
             AND NOT EXISTS (SELECT 1 FROM pending_invite_workspaces w WHERE w.email = pending_invites.email)",
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE audit_log SET target = $1 WHERE target = $2")
            .bind(&stone)
            .bind(&email)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE audit_log SET detail = REPLACE(detail, $2, $1) WHERE detail LIKE '%' || $2 || '%'")
            .bind(&stone)
            .bind(&email)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE scim_errors SET detail = REPLACE(detail, $2, $1) WHERE detail LIKE '%' || $2 || '%'")
            .bind(&stone)
            .bind(&email)
            .execute(&mut *tx)
            .await?;
        // Webhook payloads, sent or waiting, name the account as the audit rows did.
        sqlx::query("UPDATE webhook_deliveries SET payload = REPLACE(payload, $2, $1) WHERE payload LIKE '%' || $2 || '%'")
            .bind(&stone)
            .bind(&email)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        audit_query!(audit).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(AccountChange::Done { had_password: false })
    })
}

/// A new display name (the members list's name key follows, through a trigger).
pub async fn set_name(db: &Db, user_id: &str, name: &str) -> DbResult<()> {
    with_pool!(db, p => sqlx::query("UPDATE users SET name = $1 WHERE id = $2")
        .bind(name)
        .bind(user_id)
        .execute(p)
        .await
        .map(|_| ()))
}
