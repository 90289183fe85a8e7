//! Invitations: create (one or many emails), resend, cancel, copy a link, look up a link.
//! Tokens are 256 random bits; only their SHA-256 is stored.

use crate::domain::{
    can, can_grant, AccountScope, Action, Actor, AuditAction, Email, Grant, OrgRole, PlatformRole,
    Target, WorkspaceRole,
};
use crate::model::invites::{Accepted, InvitationView, InviteResult, InviteResultKind, Invited};
use crate::server::auth::Caller;
use crate::server::db::invites::{
    self, AccountAcceptance, InvitationRow, InviteOutcome, NewInvite, PlatformGrant, Renewal,
};
use crate::server::db::users;
use crate::server::db::{now, throttle, workspaces, Db};
use crate::server::mail::invitation_mail;
use crate::server::{AppError, AppState};

pub const MAX_EMAILS: usize = 100;
const RESENDS_PER_WINDOW: i64 = 3;
const RESEND_WINDOW_SECS: i64 = 600;

use crate::server::mail::invite_link;
use crate::server::tokens::{new_token, token_hash};

/// Splits a pasted list on commas, semicolons and whitespace; drops duplicates, keeps order.
pub fn split_emails(raw: &str) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    raw.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .filter(|s| seen.insert(s.to_lowercase()))
        .map(str::to_string)
        .collect()
}

fn inviter_name(caller: &Caller) -> String {
    if caller.user.name.trim().is_empty() {
        caller.user.email.clone()
    } else {
        caller.user.name.clone()
    }
}

pub struct CreateRequest {
    pub workspace_id: String,
    pub emails: String,
    pub role: String,
    pub extra_workspace_ids: String,
    pub platform_role: String,
    /// Empty: none; otherwise also granted in each workspace's organization.
    pub org_role: String,
}

pub async fn create(caller: &Caller, req: CreateRequest) -> Result<Invited, AppError> {
    let db = &caller.state.db;
    let main = caller.workspace(&req.workspace_id, Action::Invite).await?;
    let role: WorkspaceRole = req.role.parse().map_err(|_| {
        AppError::invalid_field(
            "role",
            "choose workspace_admin, workspace_editor or workspace_viewer",
        )
    })?;

    let org_role: Option<OrgRole> = match req.org_role.trim() {
        "" | "none" => None,
        raw => Some(raw.parse().map_err(|_| {
            AppError::invalid_field(
                "org_role",
                "choose org_owner, org_admin, org_member or none",
            )
        })?),
    };
    let may_grant_org_role = |actor: &Actor, org_id: &str| {
        org_role.is_none_or(|r| {
            can_grant(
                actor,
                Grant::Organization(r),
                Target::Organization { org_id },
            )
        })
    };
    if !may_grant_org_role(caller.actor().await?, &main.org_id) {
        return Err(AppError::Forbidden(
            "you may not grant this organization role",
        ));
    }

    // Every check happens before anything is written.
    let mut workspace_ids = vec![main.id.clone()];
    let mut names = vec![main.name.clone()];
    for id in split_emails(&req.extra_workspace_ids) {
        if workspace_ids.contains(&id) {
            continue;
        }
        let ws = workspaces::get(db, &id)
            .await?
            .ok_or(AppError::NotFound("no such workspace"))?;
        let target = Target::Workspace {
            workspace_id: &ws.id,
            org_id: &ws.org_id,
        };
        if !can(caller.actor().await?, Action::Invite, target)
            || !can_grant(caller.actor().await?, Grant::Workspace(role), target)
            || !may_grant_org_role(caller.actor().await?, &ws.org_id)
        {
            return Err(AppError::Forbidden(
                "you may not invite people to one of these workspaces",
            ));
        }
        workspace_ids.push(ws.id);
        names.push(ws.name);
    }
    // Empty keeps an invitation's platform role as its granter made it; `none` takes it back.
    let platform_role = match req.platform_role.trim() {
        "" => PlatformGrant::Keep,
        raw => {
            let grant = match raw {
                "none" => PlatformGrant::Clear,
                raw => PlatformGrant::Set(raw.parse().map_err(|_| {
                    AppError::invalid_field(
                        "platform_role",
                        "choose platform_admin, platform_operator or none",
                    )
                })?),
            };
            let any = PlatformRole::PlatformOperator;
            let role = match grant {
                PlatformGrant::Set(r) => r,
                _ => any,
            };
            if !can_grant(
                caller.actor().await?,
                Grant::Platform(role),
                Target::Platform,
            ) {
                return Err(AppError::Forbidden(
                    "only platform admins grant platform roles",
                ));
            }
            grant
        }
    };
    let emails = split_emails(&req.emails);
    if emails.is_empty() {
        return Err(AppError::invalid_field(
            "emails",
            "enter at least one email address",
        ));
    }
    if emails.len() > MAX_EMAILS {
        return Err(AppError::invalid_field(
            "emails",
            format!("at most {MAX_EMAILS} addresses at once"),
        ));
    }
    // Reserved before anything is written, in one statement, so that concurrent requests
    // cannot together pass the daily limit; what goes unused is handed back below.
    let limit = caller.state.config.invites_per_day;
    let quota_key = format!("invites_per_day:{}", caller.user.id);
    let valid = emails.iter().filter(|e| Email::parse(e).is_ok()).count();
    let reserved = (valid * workspace_ids.len()) as i64;
    if let Err(short) = throttle::reserve_many(db, &quota_key, reserved, limit, 86_400).await? {
        return Err(AppError::TooManyRequests {
            retry_after_secs: short.retry_after_secs,
            message: format!(
                "You can send {limit} invitations a day; {} left today",
                short.left
            ),
        });
    }
    let config = &caller.state.config;
    let expires_at = now() + config.invite_lifetime.as_secs() as i64;
    let inviter = inviter_name(caller);
    let actor = caller.actor().await?.clone();
    let manages = move |account: &AccountScope| crate::domain::manages(&actor, account);
    let mut results = Vec::with_capacity(emails.len());
    for raw in emails {
        let email = match Email::parse(&raw) {
            Ok(e) => e,
            Err(e) => {
                results.push(InviteResult {
                    email: raw,
                    result: InviteResultKind::Invalid,
                    reason: Some(e.to_string()),
                });
                continue;
            }
        };
        let (_unsent_token, hash) = new_token();
        let mail = config
            .smtp_url
            .as_ref()
            .map(|_| invitation_mail(email.as_str(), &inviter, &names, expires_at));
        let outcome = invites::invite_one(
            db,
            &NewInvite {
                email: email.as_str(),
                workspace_ids: &workspace_ids,
                role,
                org_role,
                platform_role,
                inviter_id: &caller.user.id,
                actor_token: caller.token.as_ref().map(|t| t.audit_name()),
                expires_at,
                token_hash: &hash,
                mail: mail.as_ref(),
                ip: &caller.ip,
                manages: &manages,
            },
        )
        .await?;
        let (result, reason) = match outcome {
            InviteOutcome::Invited => (InviteResultKind::Invited, None),
            InviteOutcome::Updated => (InviteResultKind::Updated, None),
            InviteOutcome::AlreadyMember => (InviteResultKind::AlreadyMember, None),
            InviteOutcome::Added => (InviteResultKind::Added, None),
            InviteOutcome::AccountInvited => (
                InviteResultKind::Invited,
                Some("has an account: they accept the invitation while signed in".to_string()),
            ),
        };
        results.push(InviteResult {
            email: email.into_string(),
            result,
            reason,
        });
    }
    let used: i64 = results
        .iter()
        .filter(|r| {
            matches!(
                r.result,
                InviteResultKind::Invited | InviteResultKind::Updated
            )
        })
        .count() as i64
        * workspace_ids.len() as i64;
    throttle::release_many(db, &quota_key, reserved - used).await?;
    caller.state.mail_wakeup.notify_one();
    Ok(Invited {
        results,
        email_enabled: config.smtp_url.is_some(),
    })
}

/// The invitation of `email`, checked to include `workspace_id` where the caller may manage it.
async fn managed(
    caller: &Caller,
    workspace_id: &str,
    email: &str,
) -> Result<(String, String), AppError> {
    let ws = caller
        .workspace(workspace_id, Action::ManageInvitation)
        .await?;
    let email = Email::parse(email).map_err(|e| AppError::invalid_field("email", e.to_string()))?;
    if !invites::includes_workspace(&caller.state.db, email.as_str(), &ws.id).await? {
        return Err(AppError::NotFound(
            "no pending invitation for this email in this workspace",
        ));
    }
    Ok((ws.id, email.into_string()))
}

pub async fn resend(caller: &Caller, workspace_id: &str, email: &str) -> Result<i64, AppError> {
    let (ws_id, email) = managed(caller, workspace_id, email).await?;
    let db = &caller.state.db;
    // Per invitation and workspace: an admin of one workspace cannot use up another's resends.
    let key = format!("resend:{email}:{ws_id}");
    // Counted before anything is done, so concurrent resends cannot pass the limit together.
    if let throttle::Reservation::Refused { retry_after_secs } =
        throttle::reserve(db, &key, RESENDS_PER_WINDOW, RESEND_WINDOW_SECS).await?
    {
        return Err(AppError::TooManyRequests {
            retry_after_secs,
            message: format!(
                "This invitation was resent {RESENDS_PER_WINDOW} times in 10 minutes; try again later"
            ),
        });
    }
    let config = &caller.state.config;
    let expires_at = now() + config.invite_lifetime.as_secs() as i64;
    let names: Vec<String> = invites::workspaces_of(db, &email)
        .await?
        .into_iter()
        .map(|w| w.workspace_name)
        .collect();
    let mail = config
        .smtp_url
        .as_ref()
        .map(|_| invitation_mail(&email, &inviter_name(caller), &names, expires_at));
    // Renewed: only what this caller could grant. A row another admin made in a workspace
    // this caller does not administer, or a platform role, keeps its own expiry.
    let actor = caller.actor().await?;
    let renewable: Vec<String> = invites::workspaces_of(db, &email)
        .await?
        .into_iter()
        .filter(|row| {
            let target = Target::Workspace {
                workspace_id: &row.workspace_id,
                org_id: &row.org_id,
            };
            can(actor, Action::Invite, target)
                && can_grant(actor, Grant::Workspace(row.workspace_role), target)
                && row
                    .org_role
                    .is_none_or(|r| can_grant(actor, Grant::Organization(r), target))
        })
        .map(|row| row.workspace_id)
        .collect();
    let renewal = Renewal {
        expires_at,
        workspace_ids: &renewable,
        platform_role: actor.is_platform_admin(),
    };
    let (_unsent_token, hash) = new_token();
    let mut ev = caller.audit(AuditAction::InviteResent);
    ev.target = Some(email.clone());
    ev.workspace_id = Some(ws_id);
    ev.detail = Some(format!(
        "renewed_workspaces={} renewed_platform_role={}",
        renewable.len(),
        renewal.platform_role
    ));
    rotate_or_404(db, &email, &hash, Some(&renewal), mail.as_ref(), &ev).await?;
    caller.state.mail_wakeup.notify_one();
    Ok(expires_at)
}

async fn rotate_or_404(
    db: &Db,
    email: &str,
    hash: &str,
    renewal: Option<&Renewal<'_>>,
    mail: Option<&crate::server::db::outbox::OutboxMail>,
    ev: &crate::server::db::audit::AuditEvent,
) -> Result<(), AppError> {
    if invites::rotate(db, email, hash, renewal, mail, ev).await? {
        Ok(())
    } else {
        Err(AppError::NotFound("no pending invitation for this email"))
    }
}

pub async fn cancel(caller: &Caller, workspace_id: &str, email: &str) -> Result<(), AppError> {
    let (ws_id, email) = managed(caller, workspace_id, email).await?;
    let mut ev = caller.audit(AuditAction::InviteCancelled);
    ev.target = Some(email.clone());
    ev.workspace_id = Some(ws_id.clone());
    let may_remove_platform_grant = caller.actor().await?.is_platform_admin();
    if !invites::cancel(
        &caller.state.db,
        &email,
        &ws_id,
        may_remove_platform_grant,
        &ev,
    )
    .await?
    {
        return Err(AppError::NotFound(
            "no pending invitation for this email in this workspace",
        ));
    }
    Ok(())
}

/// A new link for an invitation, to hand over by other means than email. Earlier links stop
/// working. This answer is the one place a usable token leaves the server.
pub async fn copy_link(
    caller: &Caller,
    workspace_id: &str,
    email: &str,
) -> Result<String, AppError> {
    let (ws_id, email) = managed(caller, workspace_id, email).await?;
    let (token, hash) = new_token();
    let mut ev = caller.audit(AuditAction::InviteLinkCreated);
    ev.target = Some(email.clone());
    ev.workspace_id = Some(ws_id);
    rotate_or_404(&caller.state.db, &email, &hash, None, None, &ev).await?;
    Ok(invite_link(&caller.state.config.public_url, &token))
}

const LINK_NOT_VALID: AppError = AppError::NotFound(
    "This invitation link is not valid: it was replaced by a newer link, cancelled, or already used. \
     Ask the person who invited you to send a new one.",
);

/// The invitation a link's token stands for.
async fn by_token(db: &Db, token: &str) -> Result<InvitationRow, AppError> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(LINK_NOT_VALID);
    }
    match invites::find_by_token_hash(db, &token_hash(token)).await? {
        Some((row, _)) => Ok(row),
        None => Err(LINK_NOT_VALID),
    }
}

async fn view(db: &Db, row: InvitationRow) -> Result<InvitationView, AppError> {
    let workspaces = invites::workspaces_of(db, &row.email).await?;
    let has_account = users::find_credentials_by_email(db, &row.email)
        .await?
        .is_some();
    Ok(InvitationView {
        workspaces: workspaces.into_iter().map(|w| w.workspace_name).collect(),
        invited_by: row
            .inviter_name
            .filter(|n| !n.is_empty())
            .or(row.inviter_email.clone()),
        invited_by_email: row.inviter_email,
        expires_at: row.expires_at,
        expired: row.expires_at <= now(),
        has_account,
        email: row.email,
    })
}

pub async fn lookup(state: &AppState, token: &str) -> Result<InvitationView, AppError> {
    let row = by_token(&state.db, token).await?;
    view(&state.db, row).await
}

/// The invitation addressed to the caller: the one a link stands for (`token`), or, without a
/// link, the one addressed to the caller's email once the account has proven that email.
async fn addressed_to_caller(
    caller: &Caller,
    token: Option<&str>,
) -> Result<InvitationRow, AppError> {
    let db = &caller.state.db;
    let row = match token {
        Some(token) => by_token(db, token).await?,
        None => {
            if !users::email_proven(db, &caller.user.id).await? {
                return Err(AppError::ForbiddenBecause {
                    code: "email_not_proven",
                    message: "Open the invitation link from your email to accept it".into(),
                });
            }
            invites::find_by_email(db, &caller.user.email)
                .await?
                .ok_or(AppError::NotFound("no pending invitation for your email"))?
        }
    };
    if row.email != caller.user.email {
        return Err(AppError::ForbiddenBecause {
            code: "invitation_for_another_account",
            message: format!(
                "This invitation is for {}; you are signed in as {}",
                row.email, caller.user.email
            ),
        });
    }
    Ok(row)
}

/// The invitation addressed to the caller's proven email, if any (shown on the members page).
pub async fn mine(caller: &Caller) -> Result<Option<InvitationView>, AppError> {
    let db = &caller.state.db;
    match invites::addressed_to_user(db, &caller.user.id, &caller.user.email).await? {
        Some(row) => Ok(Some(view(db, row).await?)),
        None => Ok(None),
    }
}

/// The signed-in recipient accepts: expiry and each inviter's rights are checked again, and of
/// concurrent acceptances exactly one adds the memberships.
pub async fn accept(caller: &Caller, token: Option<&str>) -> Result<Accepted, AppError> {
    let row = addressed_to_caller(caller, token).await?;
    if row.expires_at <= now() {
        return Err(AppError::Conflict {
            code: "invitation_expired",
            message: "This invitation has expired; ask the person who invited you to send it again"
                .into(),
        });
    }
    let db = &caller.state.db;
    let checked = still_grantable(&caller.state, &row).await?;
    let workspace_names: std::collections::HashMap<String, String> = checked
        .rows
        .iter()
        .map(|w| (w.workspace_id.clone(), w.workspace_name.clone()))
        .collect();
    let acceptance = AccountAcceptance {
        user_id: &caller.user.id,
        email: &row.email,
        grants: &checked.grants,
        platform_role: checked.platform_role,
        skipped: &checked.skipped,
        ip: &caller.ip,
    };
    let joined = invites::accept_for_account(db, &acceptance)
        .await?
        .ok_or(AppError::NotFound(
            "This invitation was already answered, cancelled, or has expired",
        ))?;
    Ok(Accepted {
        workspaces: joined
            .into_iter()
            .filter_map(|id| workspace_names.get(&id).cloned())
            .collect(),
        skipped: checked.skipped.len(),
    })
}

/// The signed-in recipient declines: the invitation is gone for every workspace it named.
pub async fn decline(caller: &Caller, token: Option<&str>) -> Result<(), AppError> {
    let row = addressed_to_caller(caller, token).await?;
    let mut ev = caller.audit(AuditAction::InviteDeclined);
    ev.target = Some(row.email.clone());
    if !invites::decline(&caller.state.db, &row.email, &ev).await? {
        return Err(AppError::NotFound(
            "This invitation was already answered or cancelled",
        ));
    }
    Ok(())
}

/// What an invitation still grants when it is accepted: each row whose inviter may still
/// grant it, the rows skipped because they may not, and the platform role if its inviter is
/// still a platform admin.
pub struct StillGrantable {
    pub grants: Vec<invites::Grant>,
    pub skipped: Vec<String>,
    pub platform_role: Option<PlatformRole>,
    pub rows: Vec<invites::InvitationWorkspace>,
}

pub async fn still_grantable(
    state: &AppState,
    invitation: &InvitationRow,
) -> Result<StillGrantable, AppError> {
    let db = &state.db;
    let rows = invites::workspaces_of(db, &invitation.email).await?;
    let at = now();
    let mut grants = Vec::new();
    let mut skipped = Vec::new();
    for row in &rows {
        // Each row holds until its own expiry (a Resend renews only what its sender could grant).
        if row.expires_at <= at {
            skipped.push(row.workspace_id.clone());
            continue;
        }
        let target = Target::Workspace {
            workspace_id: &row.workspace_id,
            org_id: &row.org_id,
        };
        let role = row.workspace_role;
        // The organization role is re-checked on its own: an inviter who may no longer grant
        // it may still grant the membership beside it.
        // (A row without an inviter came from the command line, which grants what it names.)
        let mut org_role_holds = row.invited_by_user_id.is_none() && row.org_role.is_some();
        if inviter_may(state, row.invited_by_user_id.as_deref(), |actor| {
            org_role_holds = row
                .org_role
                .is_some_and(|r| can_grant(actor, Grant::Organization(r), target));
            can(actor, Action::Invite, target) && can_grant(actor, Grant::Workspace(role), target)
        })
        .await?
        {
            grants.push(invites::Grant {
                workspace_id: row.workspace_id.clone(),
                role,
                org_role: row
                    .org_role
                    .filter(|_| org_role_holds)
                    .map(|r| (row.org_id.clone(), r)),
                invited_by: row.invited_by_user_id.clone(),
            });
        } else {
            skipped.push(row.workspace_id.clone());
        }
    }
    // The platform role holds until its own expiry, and only while whoever granted it is still
    // a platform admin (or it came from the command line).
    let platform_role = match (
        invitation.platform_role,
        &invitation.platform_role_granted_by,
    ) {
        (Some(r), Some(granter))
            if invitation
                .platform_role_expires_at
                .unwrap_or(invitation.expires_at)
                > at =>
        {
            let granter = (granter != invites::CLI_GRANTER).then_some(granter.as_str());
            inviter_may(state, granter, |actor| actor.is_platform_admin())
                .await?
                .then_some(r)
        }
        _ => None,
    };
    Ok(StillGrantable {
        grants,
        skipped,
        platform_role,
        rows,
    })
}

/// Does the inviter (still) pass `check`? `None`: the grant was made from the command line
/// (`bootstrap-admin`) by the operator of the instance.
async fn inviter_may(
    state: &AppState,
    inviter_id: Option<&str>,
    check: impl FnOnce(&Actor) -> bool,
) -> Result<bool, AppError> {
    let Some(inviter_id) = inviter_id else {
        return Ok(true);
    };
    match users::find_by_id(&state.db, inviter_id).await? {
        Some(inviter) if inviter.disabled_at.is_none() => {
            Ok(check(&users::load_actor(&state.db, &inviter).await?))
        }
        _ => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_lists_split_and_dedupe() {
        assert_eq!(
            split_emails("a@x.com, b@x.com\nc@x.com;A@X.com\t d@x.com"),
            vec!["a@x.com", "b@x.com", "c@x.com", "d@x.com"]
        );
        assert!(split_emails(" ,\n ").is_empty());
    }

    #[test]
    fn tokens_are_256_bits_and_hashed() {
        let (token, hash) = new_token();
        assert_eq!(token.len(), 64);
        assert_eq!(hash, token_hash(&token));
        assert_ne!(token, hash);
        assert_ne!(new_token().0, token);
    }
}
