//! Pending invitations: `pending_invites` (one per email) and `pending_invite_workspaces` (one
//! row per workspace it grants). No `users` row exists until the invitee signs in.

use super::audit::{audit_query, AuditEvent};
use super::outbox::{outbox_query, OutboxMail};
use super::BeginWrite;
use super::{now, with_pool, Db, DbResult};
use crate::domain::{AuditAction, OrgRole, PlatformRole, RoleSource, WorkspaceRole};

/// Gives `$2` the organization role `$3` in organization `$1`, or raises the role they have to
/// it; never lowers one (an invitation adds, it does not take away).
pub(super) const RAISE_ORG_ROLE: &str =
    "INSERT INTO org_members (org_id, user_id, role) VALUES ($1, $2, $3) \
     ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role \
     WHERE (CASE excluded.role WHEN 'org_owner' THEN 3 WHEN 'org_admin' THEN 2 ELSE 1 END) \
         > (CASE org_members.role WHEN 'org_owner' THEN 3 WHEN 'org_admin' THEN 2 ELSE 1 END)";

/// Applies an organization role an invitation grants (see [`RAISE_ORG_ROLE`]) inside `$tx`
/// and audits it when it changed anything.
macro_rules! raise_org_role {
    ($tx:ident, $org_id:expr, $user_id:expr, $role:expr, $audit:expr) => {{
        // Under the lock every change of the organization's roles takes (`db::orgs`).
        sqlx::query(super::orgs::LOCK_ORG)
            .bind($org_id)
            .execute(&mut *$tx)
            .await?;
        let raised = sqlx::query(RAISE_ORG_ROLE)
            .bind($org_id)
            .bind($user_id)
            .bind($role.as_str())
            .execute(&mut *$tx)
            .await?
            .rows_affected();
        if raised > 0 {
            audit_query!(&$audit).execute(&mut *$tx).await?;
        }
    }};
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteOutcome {
    /// A new invitation.
    Invited,
    /// Already invited: workspace rows merged, expiry renewed.
    Updated,
    /// The email belongs to a user who already is a member of every requested workspace.
    AlreadyMember,
    /// The email belongs to an account the inviter manages: the membership was added directly.
    Added,
    /// The email belongs to an account the inviter does not manage: a pending invitation that
    /// its owner accepts (or declines) while signed in.
    AccountInvited,
}

/// What an invitation request does to the invitation's platform role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlatformGrant {
    /// Leave it as it is (whoever granted it keeps it).
    Keep,
    /// Offer this role (the caller is a platform admin).
    Set(PlatformRole),
    /// Take the offer back (the caller is a platform admin).
    Clear,
}

impl PlatformGrant {
    fn describe(&self) -> &'static str {
        match self {
            PlatformGrant::Keep => "kept",
            PlatformGrant::Set(r) => r.as_str(),
            PlatformGrant::Clear => "cleared",
        }
    }
}

/// Who granted the platform role of an invitation made from the command line.
pub const CLI_GRANTER: &str = "cli";

pub struct NewInvite<'a> {
    pub email: &'a str,
    pub workspace_ids: &'a [String],
    pub role: WorkspaceRole,
    /// Also granted in each workspace's organization (the caller checked they may grant it).
    pub org_role: Option<OrgRole>,
    pub platform_role: PlatformGrant,
    pub inviter_id: &'a str,
    /// The API token the inviter used, for the audit rows.
    pub actor_token: Option<String>,
    pub expires_at: i64,
    /// SHA-256 of a fresh token nobody holds: the link is minted when the email is sent.
    pub token_hash: &'a str,
    /// `None` when email is off.
    pub mail: Option<&'a OutboxMail>,
    pub ip: &'a str,
    /// Whether the inviter manages an account that already has this email, decided by
    /// [`crate::domain::manages`] on its roles as read inside the invitation's transaction.
    pub manages: &'a (dyn Fn(&crate::domain::AccountScope) -> bool + Send + Sync),
}

/// Invites one email in one transaction (invitation, workspace rows, outbox row, audit), or adds
/// the memberships directly when the email belongs to an account the inviter manages.
pub async fn invite_one(db: &Db, new: &NewInvite<'_>) -> DbResult<InviteOutcome> {
    let at = now();
    let audit = |action: AuditAction, ws: Option<&String>, detail: String| AuditEvent {
        actor_user_id: Some(new.inviter_id.to_string()),
        actor_token: new.actor_token.clone(),
        action,
        target: Some(new.email.to_string()),
        workspace_id: ws.cloned(),
        ip: Some(new.ip.to_string()),
        detail: Some(detail),
    };
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        let user_id: Option<String> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(new.email)
            .fetch_optional(&mut *tx)
            .await?;
        // The workspaces the invitation is about: those the account is not in yet.
        let mut workspace_ids: Vec<&String> = new.workspace_ids.iter().collect();
        let mut account_invited = false;
        if let Some(user_id) = user_id {
            let rows: Vec<super::users::ScopeRow> = sqlx::query_as(super::users::ACCOUNT_SCOPE_SQL)
                .bind(&user_id)
                .bind(new.email)
                .fetch_all(&mut *tx)
                .await?;
            let scope = super::users::scope_from_rows(rows)?;
            // (The scope also counts the grants of invitations pending for this email: the
            // memberships are read on their own.)
            let member_of: Vec<String> =
                sqlx::query_scalar("SELECT workspace_id FROM workspace_members WHERE user_id = $1")
                    .bind(&user_id)
                    .fetch_all(&mut *tx)
                    .await?;
            workspace_ids.retain(|ws| !member_of.contains(ws));
            if workspace_ids.is_empty() {
                return Ok(InviteOutcome::AlreadyMember);
            }
            if !(new.manages)(&scope) {
                // Not the inviter's to add: the account's owner accepts or declines.
                account_invited = true;
            } else {
                for ws in &workspace_ids {
                    let inserted = sqlx::query(
                        "INSERT INTO workspace_members (workspace_id, user_id, email, role, role_source, invited_by, joined_at) \
                         VALUES ($1, $2, (SELECT email FROM users WHERE id = $2), $3, $4, $5, $6) \
                         ON CONFLICT (workspace_id, user_id) DO NOTHING",
                    )
                    .bind(*ws)
                    .bind(&user_id)
                    .bind(new.role.as_str())
                    .bind(RoleSource::Invite.as_str())
                    .bind(new.inviter_id)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if inserted == 0 {
                        continue;
                    }
                    audit_query!(&audit(AuditAction::MembershipAdded, Some(ws), format!("role={} source=invite", new.role)))
                        .execute(&mut *tx)
                        .await?;
                    if let Some(org_role) = new.org_role {
                        let org_id: String = sqlx::query_scalar("SELECT org_id FROM workspaces WHERE id = $1")
                            .bind(*ws)
                            .fetch_one(&mut *tx)
                            .await?;
                        let ev = audit(AuditAction::OrgRoleChanged, None, format!("organization={org_id} to={org_role} source=invite"));
                        raise_org_role!(tx, &org_id, &user_id, org_role, ev);
                    }
                }
                if let PlatformGrant::Set(role) = new.platform_role {
                    // Only a platform admin offers a platform role; it never lowers one.
                    let raised = sqlx::query(
                        "UPDATE users SET platform_role = $1 WHERE id = $2 \
                         AND (platform_role IS NULL OR ($1 = 'platform_admin' AND platform_role <> 'platform_admin'))",
                    )
                    .bind(role.as_str())
                    .bind(&user_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if raised > 0 {
                        audit_query!(&audit(AuditAction::AuthzChange, None, format!("platform_role={role} source=invite")))
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                tx.commit().await?;
                return Ok(InviteOutcome::Added);
            }
        }
        let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pending_invites WHERE email = $1")
            .bind(new.email)
            .fetch_one(&mut *tx)
            .await?;
        let sent_at = new.mail.map(|_| at);
        // The platform grant changes only when this request sets or clears it (only platform
        // admins may); any other re-invitation keeps it as its granter made it. The
        // invitation's expiry is the latest of its grants'.
        let (sets_platform, platform_role, granted_by, platform_expiry) = match new.platform_role {
            PlatformGrant::Keep => (false, None, None, None),
            PlatformGrant::Clear => (true, None, None, None),
            PlatformGrant::Set(r) => (true, Some(r.as_str()), Some(new.inviter_id), Some(new.expires_at)),
        };
        sqlx::query(
            "INSERT INTO pending_invites (email, platform_role, platform_role_granted_by, platform_role_expires_at, \
               invited_by_user_id, invited_at, expires_at, token_hash, last_sent_at, send_count) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (email) DO UPDATE SET \
               platform_role = CASE WHEN $11 THEN excluded.platform_role ELSE pending_invites.platform_role END, \
               platform_role_granted_by = CASE WHEN $11 THEN excluded.platform_role_granted_by ELSE pending_invites.platform_role_granted_by END, \
               platform_role_expires_at = CASE WHEN $11 THEN excluded.platform_role_expires_at ELSE pending_invites.platform_role_expires_at END, \
               invited_by_user_id = excluded.invited_by_user_id, \
               expires_at = CASE WHEN excluded.expires_at > pending_invites.expires_at THEN excluded.expires_at ELSE pending_invites.expires_at END, \
               token_hash = excluded.token_hash, last_sent_at = COALESCE(excluded.last_sent_at, pending_invites.last_sent_at), \
               send_count = pending_invites.send_count + excluded.send_count",
        )
        .bind(new.email)
        .bind(platform_role)
        .bind(granted_by)
        .bind(platform_expiry)
        .bind(new.inviter_id)
        .bind(at)
        .bind(new.expires_at)
        .bind(new.token_hash)
        .bind(sent_at)
        .bind(if new.mail.is_some() { 1_i32 } else { 0_i32 })
        .bind(sets_platform)
        .execute(&mut *tx)
        .await?;
        for ws in workspace_ids {
            sqlx::query(
                "INSERT INTO pending_invite_workspaces (email, workspace_id, workspace_role, invited_by_user_id, expires_at, org_role) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (email, workspace_id) DO UPDATE SET workspace_role = excluded.workspace_role, \
                 invited_by_user_id = excluded.invited_by_user_id, expires_at = excluded.expires_at, org_role = excluded.org_role",
            )
            .bind(new.email)
            .bind(ws)
            .bind(new.role.as_str())
            .bind(new.inviter_id)
            .bind(new.expires_at)
            .bind(new.org_role.map(|r| r.as_str()))
            .execute(&mut *tx)
            .await?;
            let detail = format!(
                "role={} org_role={} platform_role={} updated={}",
                new.role,
                new.org_role.map_or("none", |r| r.as_str()),
                new.platform_role.describe(),
                existing > 0
            );
            audit_query!(&audit(crate::domain::AuditAction::InviteCreated, Some(ws), detail)).execute(&mut *tx).await?;
        }
        if let Some(mail) = new.mail {
            outbox_query!(mail).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(match (account_invited, existing > 0) {
            (true, _) => InviteOutcome::AccountInvited,
            (false, true) => InviteOutcome::Updated,
            (false, false) => InviteOutcome::Invited,
        })
    })
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InvitationRow {
    pub email: String,
    pub platform_role: Option<PlatformRole>,
    pub platform_role_granted_by: Option<String>,
    pub platform_role_expires_at: Option<i64>,
    pub invited_at: i64,
    pub expires_at: i64,
    pub inviter_name: Option<String>,
    pub inviter_email: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InvitationWorkspace {
    pub workspace_id: String,
    pub workspace_name: String,
    pub org_id: String,
    pub workspace_role: WorkspaceRole,
    /// The organization role this row also grants, in `org_id`.
    pub org_role: Option<OrgRole>,
    pub invited_by_user_id: Option<String>,
    /// Until when this row's grant holds.
    pub expires_at: i64,
}

const INVITATION_SELECT: &str = "SELECT i.email, i.platform_role, i.platform_role_granted_by, \
     i.platform_role_expires_at, i.invited_at, i.expires_at, \
     u.name AS inviter_name, u.email AS inviter_email \
     FROM pending_invites i LEFT JOIN users u ON u.id = i.invited_by_user_id";

pub async fn find_by_token_hash(
    db: &Db,
    token_hash: &str,
) -> DbResult<Option<(InvitationRow, Vec<InvitationWorkspace>)>> {
    let sql = format!("{INVITATION_SELECT} WHERE i.token_hash = $1");
    let row: Option<InvitationRow> =
        with_pool!(db, p => sqlx::query_as(&sql).bind(token_hash).fetch_optional(p).await)?;
    match row {
        Some(row) => {
            let workspaces = workspaces_of(db, &row.email).await?;
            Ok(Some((row, workspaces)))
        }
        None => Ok(None),
    }
}

pub async fn find_by_email(db: &Db, email: &str) -> DbResult<Option<InvitationRow>> {
    let sql = format!("{INVITATION_SELECT} WHERE i.email = $1");
    with_pool!(db, p => sqlx::query_as(&sql).bind(email).fetch_optional(p).await)
}

/// The pending invitation addressed to a signed-in user (`user_id`, whose email is `email`),
/// if their email is proven (else none is theirs to see): the banner of every page asks.
/// Served from the read cache until the database next changes (`read_cache` says which
/// requests read through it); the caller derives
/// what depends on the clock (expired or not) from the row.
pub async fn addressed_to_user(
    db: &Db,
    user_id: &str,
    email: &str,
) -> DbResult<Option<InvitationRow>> {
    let key = AddressedTo(user_id.to_string(), email.to_string());
    let found = db
        .read_through(&key, |db| async move {
            if !super::users::email_proven(&db, user_id).await? {
                return Ok(Some(None));
            }
            find_by_email(&db, email).await.map(Some)
        })
        .await?;
    Ok(found.flatten())
}

/// (user id, email) of a signed-in user, for [`addressed_to_user`]: a kind of read the read
/// cache keeps. The answer is `Some(None)` for "no invitation", so that it is kept too.
#[derive(Clone, PartialEq, Eq, Hash)]
struct AddressedTo(String, String);

impl super::read_cache::CachedRead for AddressedTo {
    type Answer = Option<InvitationRow>;
    const CAPACITY: usize = 10_000;
}

pub async fn workspaces_of(db: &Db, email: &str) -> DbResult<Vec<InvitationWorkspace>> {
    with_pool!(db, p => sqlx::query_as(
        "SELECT w.id AS workspace_id, w.name AS workspace_name, w.org_id, iw.workspace_role, iw.org_role, iw.invited_by_user_id, \
         COALESCE(iw.expires_at, i.expires_at) AS expires_at \
         FROM pending_invite_workspaces iw JOIN workspaces w ON w.id = iw.workspace_id \
         JOIN pending_invites i ON i.email = iw.email WHERE iw.email = $1 ORDER BY w.name",
    )
    .bind(email)
    .fetch_all(p)
    .await)
}

/// Does the invitation of `email` grant something in `workspace_id`?
/// Which of these emails have an invitation to the workspace (one query).
pub async fn invited_to(db: &Db, workspace_id: &str, emails: &[String]) -> DbResult<Vec<String>> {
    if emails.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (2..emails.len() + 2).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT email FROM pending_invite_workspaces WHERE workspace_id = $1 AND email IN ({})",
        placeholders.join(", ")
    );
    with_pool!(db, p => {
        let mut q = sqlx::query_scalar::<_, String>(&sql).bind(workspace_id);
        for email in emails {
            q = q.bind(email);
        }
        q.fetch_all(p).await
    })
}

pub async fn includes_workspace(db: &Db, email: &str, workspace_id: &str) -> DbResult<bool> {
    let n: i64 = with_pool!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM pending_invite_workspaces WHERE email = $1 AND workspace_id = $2",
    )
    .bind(email)
    .bind(workspace_id)
    .fetch_one(p)
    .await)?;
    Ok(n > 0)
}

/// What a Resend renews: the rows the caller could grant, and the platform role only when the
/// caller is a platform admin.
pub struct Renewal<'a> {
    pub expires_at: i64,
    pub workspace_ids: &'a [String],
    pub platform_role: bool,
}

/// Replaces the token (the old link stops working) and, when given, renews what `renewal`
/// names; enqueues `mail` and writes `audit`, all in one transaction.
pub async fn rotate(
    db: &Db,
    email: &str,
    token_hash: &str,
    renewal: Option<&Renewal<'_>>,
    mail: Option<&OutboxMail>,
    audit: &AuditEvent,
) -> DbResult<bool> {
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        let updated = sqlx::query(
            "UPDATE pending_invites SET token_hash = $1, \
             expires_at = CASE WHEN $2 > expires_at THEN $2 ELSE expires_at END, \
             platform_role_expires_at = CASE WHEN $6 AND platform_role IS NOT NULL THEN $2 ELSE platform_role_expires_at END, \
             last_sent_at = CASE WHEN $3 THEN $4 ELSE last_sent_at END, \
             send_count = send_count + CASE WHEN $3 THEN 1 ELSE 0 END WHERE email = $5",
        )
        .bind(token_hash)
        .bind(renewal.map(|r| r.expires_at).unwrap_or(0))
        .bind(mail.is_some())
        .bind(now())
        .bind(email)
        .bind(renewal.is_some_and(|r| r.platform_role))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            return Ok(false);
        }
        if let Some(renewal) = renewal {
            for ws in renewal.workspace_ids {
                sqlx::query("UPDATE pending_invite_workspaces SET expires_at = $1 WHERE email = $2 AND workspace_id = $3")
                    .bind(renewal.expires_at)
                    .bind(email)
                    .bind(ws)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        if let Some(mail) = mail {
            outbox_query!(mail).execute(&mut *tx).await?;
        }
        audit_query!(audit).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(true)
    })
}

/// Removes the invitation's row for `workspace_id`, and the invitation itself when no row is
/// left (see below for its platform role). Returns false when there was nothing to cancel.
pub async fn cancel(
    db: &Db,
    email: &str,
    workspace_id: &str,
    may_remove_platform_grant: bool,
    audit: &AuditEvent,
) -> DbResult<bool> {
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        let deleted = sqlx::query("DELETE FROM pending_invite_workspaces WHERE email = $1 AND workspace_id = $2")
            .bind(email)
            .bind(workspace_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if deleted == 0 {
            return Ok(false);
        }
        // With no workspace row left the invitation goes too, unless it still offers a platform
        // role that this caller could not have granted (its granter takes it back).
        sqlx::query(
            "DELETE FROM pending_invites WHERE email = $1 \
             AND NOT EXISTS (SELECT 1 FROM pending_invite_workspaces WHERE email = $1) \
             AND (platform_role IS NULL OR $2)",
        )
        .bind(email)
        .bind(may_remove_platform_grant)
        .execute(&mut *tx)
        .await?;
        audit_query!(audit).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(true)
    })
}

/// Mints the token of an invitation email being sent now: stores its hash (the previous link
/// stops working) unless the invitation is gone. Returns whether it still exists.
pub async fn set_token_for_delivery(db: &Db, email: &str, token_hash: &str) -> DbResult<bool> {
    let done = with_pool!(db, p => sqlx::query("UPDATE pending_invites SET token_hash = $1 WHERE email = $2")
        .bind(token_hash)
        .bind(email)
        .execute(p)
        .await
        .map(|r| r.rows_affected() > 0))?;
    Ok(done)
}

/// A membership granted by an invitation, decided by the caller (the inviter re-checked).
pub struct Grant {
    pub workspace_id: String,
    pub role: WorkspaceRole,
    /// (organization id, role): the organization role the row grants, if its inviter still may.
    pub org_role: Option<(String, OrgRole)>,
    pub invited_by: Option<String>,
}

pub struct Acceptance<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub issuer: &'a str,
    pub subject: &'a str,
    pub grants: &'a [Grant],
    pub platform_role: Option<PlatformRole>,
    /// Rows not applied because the inviter may no longer grant them (audited).
    pub skipped: &'a [String],
    pub ip: &'a str,
}

#[derive(Debug)]
pub enum AcceptOutcome {
    Accepted(super::users::UserRow),
    /// Another callback accepted it first, or it expired meanwhile.
    Gone,
}

/// A row of an invitation as it stands when the invitation is claimed.
#[derive(sqlx::FromRow)]
struct ClaimedRow {
    workspace_id: String,
    workspace_role: WorkspaceRole,
    org_role: Option<OrgRole>,
    invited_by_user_id: Option<String>,
    /// `invite`, or `scim` for a row SCIM provisioning made.
    role_source: String,
}

/// What a claimed row grants: the organization role beside it, and whether SCIM made it.
struct Holding {
    org_role: Option<(String, OrgRole)>,
    from_scim: bool,
}

impl Grant {
    /// Is this grant, as its inviter was checked for, still what the invitation says? A row
    /// cancelled, or re-made by someone else or with other roles since then, grants nothing; an
    /// organization role that changed is dropped while the membership beside it stands.
    fn still_holds(&self, claimed: &[ClaimedRow]) -> Option<Holding> {
        let row = claimed.iter().find(|r| {
            r.workspace_id == self.workspace_id
                && r.workspace_role == self.role
                && r.invited_by_user_id == self.invited_by
        })?;
        Some(Holding {
            org_role: self
                .org_role
                .clone()
                .filter(|(_, role)| row.org_role == Some(*role)),
            from_scim: row.role_source == "scim",
        })
    }
}

/// Claims the unexpired invitation of `$email` inside the write transaction `$tx`, for either
/// way of accepting it: reads its rows as they stand (see [`Grant::still_holds`]), then deletes
/// it, so that of racing acceptances exactly one proceeds. Evaluates to `Some(rows)`, or `None`
/// when it is gone (accepted, declined, cancelled or expired).
macro_rules! claim_invitation {
    ($tx:ident, $email:expr, $at:expr) => {{
        let still_invited: Vec<ClaimedRow> = sqlx::query_as(
            "SELECT workspace_id, workspace_role, org_role, invited_by_user_id, role_source FROM pending_invite_workspaces WHERE email = $1",
        )
        .bind($email)
        .fetch_all(&mut *$tx)
        .await?;
        let deleted =
            sqlx::query("DELETE FROM pending_invites WHERE email = $1 AND expires_at > $2")
                .bind($email)
                .bind($at)
                .execute(&mut *$tx)
                .await?
                .rows_affected();
        (deleted > 0).then_some(still_invited)
    }};
}

/// Binds the SCIM record of `$email` in the organization of workspace `$ws` to the account that
/// just accepted what SCIM offered it: from now on SCIM governs that account's access there.
macro_rules! bind_scim_record {
    ($tx:ident, $user_id:expr, $email:expr, $ws:expr) => {{
        sqlx::query(
            "UPDATE scim_users SET user_id = $1 WHERE email = $2 AND user_id IS NULL \
             AND org_id = (SELECT org_id FROM workspaces WHERE id = $3)",
        )
        .bind($user_id)
        .bind($email)
        .bind($ws)
        .execute(&mut *$tx)
        .await?;
    }};
}

/// Accepts an invitation in one transaction: deletes it first (so that of two racing callbacks
/// exactly one proceeds), then creates the user, the identity, the memberships and the audit rows.
pub async fn accept(db: &Db, a: &Acceptance<'_>) -> DbResult<AcceptOutcome> {
    let at = now();
    let user_id = super::new_id();
    let ev = |action: AuditAction, ws: Option<&String>, detail: String| AuditEvent {
        actor_user_id: Some(user_id.clone()),
        actor_token: None,
        action,
        target: Some(a.email.to_string()),
        workspace_id: ws.cloned(),
        ip: Some(a.ip.to_string()),
        detail: Some(detail),
    };
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        let Some(still_invited) = claim_invitation!(tx, a.email, at) else {
            return Ok(AcceptOutcome::Gone);
        };
        // The identity provider verified the email, and it is the invitation's: proven.
        sqlx::query(
            "INSERT INTO users (id, email, name, platform_role, created_at, email_verified_at, last_sign_in_at) \
             VALUES ($1, $2, $3, $4, $5, $5, $5)",
        )
            .bind(&user_id)
            .bind(a.email)
            .bind(a.name)
            .bind(a.platform_role.map(|r| r.as_str()))
            .bind(at)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO identities (issuer, subject, user_id, email_at_link, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(a.issuer)
            .bind(a.subject)
            .bind(&user_id)
            .bind(a.email)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        for (g, holding) in a.grants.iter().filter_map(|g| Some((g, g.still_holds(&still_invited)?))) {
            sqlx::query(
                "INSERT INTO workspace_members (workspace_id, user_id, email, role, role_source, invited_by, joined_at) \
                 VALUES ($1, $2, (SELECT email FROM users WHERE id = $2), $3, $6, $4, $5)",
            )
            .bind(&g.workspace_id)
            .bind(&user_id)
            .bind(g.role.as_str())
            .bind(g.invited_by.as_deref())
            .bind(at)
            .bind(if holding.from_scim { "scim" } else { "invite" })
            .execute(&mut *tx)
            .await?;
            if holding.from_scim {
                bind_scim_record!(tx, &user_id, a.email, &g.workspace_id);
            }
            let org_grant = holding.org_role;
            audit_query!(&ev(crate::domain::AuditAction::InviteAccepted, Some(&g.workspace_id), format!("role={} method=oidc", g.role)))
                .execute(&mut *tx)
                .await?;
            if let Some((org_id, org_role)) = &org_grant {
                let audit = ev(AuditAction::OrgRoleChanged, None, format!("organization={org_id} to={org_role} source=invite"));
                raise_org_role!(tx, org_id, &user_id, org_role, audit);
            }
        }
        for ws in a.skipped {
            audit_query!(&ev(crate::domain::AuditAction::InviteRowSkipped, Some(ws), "not granted: the inviter may no longer grant it, or this part of the invitation expired".into()))
                .execute(&mut *tx)
                .await?;
        }
        if let Some(r) = a.platform_role {
            audit_query!(&ev(crate::domain::AuditAction::InviteAccepted, None, format!("platform_role={r}"))).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(AcceptOutcome::Accepted(super::users::UserRow {
            id: user_id.clone(),
            email: a.email.to_string(),
            name: a.name.to_string(),
            platform_role: a.platform_role,
            must_change_password: false,
            temp_password_expires_at: None,
            session_version: 1,
            disabled_at: None,
        }))
    })
}

/// An existing account accepting the invitation addressed to its email, signed in.
pub struct AccountAcceptance<'a> {
    pub user_id: &'a str,
    pub email: &'a str,
    pub grants: &'a [Grant],
    pub platform_role: Option<PlatformRole>,
    pub skipped: &'a [String],
    pub ip: &'a str,
}

/// Accepts an invitation for an existing account in one transaction: deletes it first (so that
/// of two racing acceptances exactly one proceeds), then adds the memberships (a membership the
/// account already has keeps its role), raises the platform role when one is offered (never
/// lowers it), marks the email proven, and audits. Returns the workspaces joined, or `None`
/// when the invitation is gone (accepted, declined or cancelled meanwhile, or expired).
pub async fn accept_for_account(
    db: &Db,
    a: &AccountAcceptance<'_>,
) -> DbResult<Option<Vec<String>>> {
    let at = now();
    let ev = |action: AuditAction, ws: Option<&String>, detail: String| AuditEvent {
        actor_user_id: Some(a.user_id.to_string()),
        actor_token: None,
        action,
        target: Some(a.email.to_string()),
        workspace_id: ws.cloned(),
        ip: Some(a.ip.to_string()),
        detail: Some(detail),
    };
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        let Some(still_invited) = claim_invitation!(tx, a.email, at) else {
            return Ok(None);
        };
        let mut joined = Vec::new();
        for (g, holding) in a.grants.iter().filter_map(|g| Some((g, g.still_holds(&still_invited)?))) {
            let source = if holding.from_scim { "scim" } else { "invite" };
            let inserted = sqlx::query(
                "INSERT INTO workspace_members (workspace_id, user_id, email, role, role_source, invited_by, joined_at) \
                 VALUES ($1, $2, (SELECT email FROM users WHERE id = $2), $3, $6, $4, $5) \
                 ON CONFLICT (workspace_id, user_id) DO NOTHING",
            )
            .bind(&g.workspace_id)
            .bind(a.user_id)
            .bind(g.role.as_str())
            .bind(g.invited_by.as_deref())
            .bind(at)
            .bind(source)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if holding.from_scim {
                bind_scim_record!(tx, a.user_id, a.email, &g.workspace_id);
            }
            let org_grant = holding.org_role;
            if inserted > 0 {
                joined.push(g.workspace_id.clone());
                audit_query!(&ev(AuditAction::InviteAccepted, Some(&g.workspace_id), format!("role={} method=signed_in", g.role)))
                    .execute(&mut *tx)
                    .await?;
            }
            if let Some((org_id, org_role)) = &org_grant {
                let audit = ev(AuditAction::OrgRoleChanged, None, format!("organization={org_id} to={org_role} source=invite"));
                raise_org_role!(tx, org_id, a.user_id, org_role, audit);
            }
        }
        for ws in a.skipped {
            audit_query!(&ev(AuditAction::InviteRowSkipped, Some(ws), "not granted: the inviter may no longer grant it, or this part of the invitation expired".into()))
                .execute(&mut *tx)
                .await?;
        }
        if let Some(role) = a.platform_role {
            let raised = sqlx::query(
                "UPDATE users SET platform_role = $1 WHERE id = $2 \
                 AND (platform_role IS NULL OR ($1 = 'platform_admin' AND platform_role <> 'platform_admin'))",
            )
            .bind(role.as_str())
            .bind(a.user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if raised > 0 {
                audit_query!(&ev(AuditAction::InviteAccepted, None, format!("platform_role={role}"))).execute(&mut *tx).await?;
            }
        }
        sqlx::query("UPDATE users SET email_verified_at = COALESCE(email_verified_at, $1) WHERE id = $2")
            .bind(at)
            .bind(a.user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(joined))
    })
}

/// Removes the invitation addressed to `email` (every workspace row), as its recipient's
/// answer. Returns false when there was none.
pub async fn decline(db: &Db, email: &str, audit: &AuditEvent) -> DbResult<bool> {
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        let deleted = sqlx::query("DELETE FROM pending_invites WHERE email = $1")
            .bind(email)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if deleted == 0 {
            return Ok(false);
        }
        audit_query!(audit).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(true)
    })
}

/// The first admin by Google: a pending invitation with the platform-admin role and
/// `workspace_admin` of the default workspace, created from the command line (no inviter).
/// Unexpired invitations that offer the platform-admin role (the first admin's, from the CLI).
pub async fn pending_platform_admin_invitations(db: &Db, now: i64) -> DbResult<i64> {
    with_pool!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM pending_invites WHERE platform_role = 'platform_admin' \
         AND COALESCE(platform_role_expires_at, expires_at) > $1",
    )
    .bind(now)
    .fetch_one(p)
    .await)
}

pub async fn bootstrap_invitation(
    db: &Db,
    email: &str,
    expires_at: i64,
    token_hash: &str,
) -> DbResult<String> {
    let (_org, workspace_id) = super::workspaces::ensure_default(db).await?;
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        sqlx::query(
            "INSERT INTO pending_invites (email, platform_role, platform_role_granted_by, platform_role_expires_at, \
               invited_by_user_id, invited_at, expires_at, token_hash, send_count) \
             VALUES ($1, 'platform_admin', 'cli', $3, NULL, $2, $3, $4, 0) \
             ON CONFLICT (email) DO UPDATE SET platform_role = 'platform_admin', platform_role_granted_by = 'cli', \
             platform_role_expires_at = excluded.expires_at, invited_by_user_id = NULL, \
             expires_at = excluded.expires_at, token_hash = excluded.token_hash",
        )
        .bind(email)
        .bind(now())
        .bind(expires_at)
        .bind(token_hash)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO pending_invite_workspaces (email, workspace_id, workspace_role, invited_by_user_id, expires_at) \
             VALUES ($1, $2, 'workspace_admin', NULL, $3) \
             ON CONFLICT (email, workspace_id) DO UPDATE SET workspace_role = 'workspace_admin', invited_by_user_id = NULL, \
             expires_at = excluded.expires_at",
        )
        .bind(email)
        .bind(&workspace_id)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        let ev = AuditEvent {
            actor_user_id: None,
            actor_token: None,
            action: crate::domain::AuditAction::InviteCreated,
            ip: None,
            target: Some(email.to_string()),
            workspace_id: Some(workspace_id.clone()),
            detail: Some("platform_role=platform_admin role=workspace_admin source=bootstrap-admin".into()),
        };
        audit_query!(&ev).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(workspace_id)
    })
}
