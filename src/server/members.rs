//! The members page: one page of members and invitations, a role change, a removal.

use crate::domain::requests::{FieldErrors, ListMembers, Membership, Parsed};
use crate::domain::{Action, AuditAction, MemberStatus, RoleSource, WorkspaceRole};
use crate::model::members::{Delivery, MemberDto, MembersPage, StatusCounts, PAGE_SIZE};
use crate::server::auth::Caller;
use crate::server::db::members::{self, Cursor, MembershipChange};
use crate::server::db::now;
use crate::server::export::{self, Exported, Format};
use crate::server::AppError;

/// One page of a workspace's members and invitations. One query reads the workspace, the
/// caller's roles in it and the page; nothing of the page is used unless the caller may view
/// the members.
pub async fn list(caller: &Caller, request: ListMembers) -> Result<MembersPage, AppError> {
    let after = match request.after.as_deref() {
        None => None,
        Some(a) => Some(Cursor::decode(a, request.filter.sort).ok_or_else(|| {
            AppError::from(FieldErrors::one(
                "after",
                "this page link is not valid; go back to the first page",
            ))
        })?),
    };
    let found = members::list(
        &caller.state.db,
        &request.workspace_id,
        &caller.user.id,
        &request.filter,
        after.as_ref(),
        PAGE_SIZE,
    )
    .await?;
    let (access, page) = match found {
        Some(page) => (Some(page.access.clone()), Some(page)),
        None => (None, None),
    };
    let ws = caller.authorize_workspace(access, Action::ViewMembers)?;
    let sees_sign_ins = sees_sign_ins(caller, page.as_ref().map(|p| &p.access), &request)?;
    let Some(members::Page {
        rows,
        next,
        deactivated,
        expired,
        ..
    }) = page
    else {
        return Err(AppError::NotFound("no such workspace"));
    };
    let now = now();
    let members = rows
        .into_iter()
        .map(|r| MemberDto {
            status: MemberStatus::derive(
                r.user_id.is_some(),
                r.disabled_at.is_some(),
                r.expires_at,
                now,
            ),
            role: r.role,
            role_source: r.role_source,
            user_id: r.user_id,
            email: r.email,
            name: r.name,
            at: r.at,
            invited_by: r.invited_by,
            expires_at: r.expires_at,
            has_account: r.has_account != 0,
            last_sign_in_at: r.last_sign_in_at.filter(|_| sees_sign_ins),
            delivery: None,
        })
        .collect();
    let members = with_deliveries(&caller.state.db, members).await?;
    Ok(MembersPage {
        members,
        next: next.as_ref().map(Cursor::encode),
        member_count: ws.member_count,
        invite_count: ws.invite_count,
        counts: StatusCounts {
            active: ws.member_count - deactivated,
            deactivated,
            pending: ws.invite_count - expired,
            expired,
        },
    })
}

/// Whether the caller sees when members last signed in: those who may read the workspace's
/// audit log (its admins, the organization's, platform operators), which records every
/// sign-in anyway. Ordering by it is refused to the others (403), as the order would tell.
fn sees_sign_ins(
    caller: &Caller,
    access: Option<&crate::server::db::workspaces::WorkspaceAccess>,
    request: &ListMembers,
) -> Result<bool, AppError> {
    use crate::domain::requests::SortField;
    let sees = access.is_some_and(|a| caller.may_in_workspace(a, Action::ViewAudit));
    if !sees && request.filter.sort.field == SortField::LastSignIn {
        return Err(AppError::Forbidden(
            "only those who may read this workspace's audit log order it by last sign-in",
        ));
    }
    Ok(sees)
}

/// Sets each invitation row's [`Delivery`] from its latest email (one query for the page,
/// none when the page holds no invitation).
async fn with_deliveries(
    db: &crate::server::db::Db,
    mut rows: Vec<MemberDto>,
) -> Result<Vec<MemberDto>, AppError> {
    use crate::server::db::outbox;
    let invited: Vec<&str> = rows
        .iter()
        .filter(|m| m.user_id.is_none())
        .map(|m| m.email.as_str())
        .collect();
    if invited.is_empty() {
        return Ok(rows);
    }
    let mails = outbox::latest_invitation_mails(db, &invited).await?;
    for row in rows.iter_mut().filter(|m| m.user_id.is_none()) {
        // A mail older than the invitation belongs to an earlier one (cancelled, or sent
        // before email was turned off): it says nothing of this one.
        row.delivery = mails
            .iter()
            .find(|mail| mail.invite_email == row.email && mail.created_at >= row.at)
            .map(delivery);
    }
    Ok(rows)
}

fn delivery(mail: &crate::server::db::outbox::InvitationMail) -> Delivery {
    match (mail.sent_at, &mail.last_error) {
        (Some(at), None) => Delivery::Sent { at },
        (Some(_), Some(reason)) => Delivery::NotSent {
            reason: reason.clone(),
        },
        (None, Some(error)) if mail.attempts > 0 => Delivery::Failed {
            error: error.clone(),
            attempts: mail.attempts,
            next_attempt_at: mail.next_attempt_at,
        },
        (None, _) => Delivery::Queued {
            since: mail.created_at,
        },
    }
}

/// One exported row of the members list; the CSV's columns are these fields, in this order.
#[derive(serde::Serialize)]
struct MemberExport {
    email: String,
    name: String,
    status: MemberStatus,
    role: &'static str,
    role_source: &'static str,
    /// Joined (members) or invited (invitations).
    since: String,
    last_sign_in: Option<String>,
    invited_by: Option<String>,
    invitation_expires: Option<String>,
    has_account: bool,
}

impl MemberExport {
    fn new(r: members::MemberRow, now: i64, sees_sign_ins: bool) -> MemberExport {
        use crate::domain::time::format_rfc3339;
        MemberExport {
            status: MemberStatus::derive(
                r.user_id.is_some(),
                r.disabled_at.is_some(),
                r.expires_at,
                now,
            ),
            role: r.role.as_str(),
            role_source: r.role_source.as_str(),
            since: format_rfc3339(r.at),
            last_sign_in: r
                .last_sign_in_at
                .filter(|_| sees_sign_ins)
                .map(format_rfc3339),
            invited_by: r.invited_by,
            invitation_expires: r.expires_at.map(format_rfc3339),
            has_account: r.has_account != 0,
            email: r.email,
            name: r.name,
        }
    }
}

impl Exported for MemberExport {
    const COLUMNS: &'static [&'static str] = &[
        "email",
        "name",
        "status",
        "role",
        "role_source",
        "since",
        "last_sign_in",
        "invited_by",
        "invitation_expires",
        "has_account",
    ];
    fn text_cells(&mut self) -> Vec<&mut String> {
        [&mut self.email, &mut self.name]
            .into_iter()
            .chain(self.invited_by.as_mut())
            .collect()
    }
}

/// The whole filtered list (members and invitations, searched and filtered as the page is)
/// as CSV, in the page's order, streamed a batch at a time. The first batch is read before
/// anything is sent, with the caller's rights in the workspace: 404 and 403 are answers.
pub async fn export(
    caller: Caller,
    request: ListMembers,
    format: Format,
) -> Result<axum::response::Response, AppError> {
    let db = caller.state.db.clone();
    let read = {
        let (db, workspace_id, viewer_id) = (
            db.clone(),
            request.workspace_id.clone(),
            caller.user.id.clone(),
        );
        let filter = request.filter.clone();
        move |after: Option<Cursor>| {
            let (db, workspace_id, viewer_id, filter) = (
                db.clone(),
                workspace_id.clone(),
                viewer_id.clone(),
                filter.clone(),
            );
            async move {
                let page = members::list_batch(
                    &db,
                    &workspace_id,
                    &viewer_id,
                    &filter,
                    after.as_ref(),
                    export::BATCH,
                )
                .await?;
                Ok::<_, AppError>(page)
            }
        }
    };
    let (access, rows, next) = match read(None).await? {
        Some(page) => (Some(page.access), page.rows, page.next),
        None => (None, Vec::new(), None),
    };
    let ws = caller.authorize_workspace(access.clone(), Action::ViewMembers)?;
    let sees_sign_ins = sees_sign_ins(&caller, access.as_ref(), &request)?;
    let mut ev = caller.audit(AuditAction::DataExported);
    ev.workspace_id = Some(ws.id.clone());
    let filter = &request.filter;
    ev.detail = Some(format!(
        "members.{} q={:?} status={:?} role={} sort={}",
        format.extension(),
        filter.search,
        filter.status,
        filter.role.map_or("all", |r| r.as_str()),
        filter.sort.as_string()
    ));
    crate::server::db::audit::record(&caller.state.db, &ev).await?;
    let now = now();
    let caller = std::sync::Arc::new(caller);
    // (rows read but not yet sent, where the next batch starts, whether the header is out)
    let start = (Some(rows), next, true);
    let request = std::sync::Arc::new(request);
    let batches = futures::stream::try_unfold(start, move |(rows, next, first)| {
        let (read, caller, request) = (read.clone(), caller.clone(), request.clone());
        async move {
            let (rows, next, sees_sign_ins) = match (rows, next) {
                (Some(rows), next) => (rows, next, sees_sign_ins),
                (None, None) => return Ok(None),
                // Each batch comes with the caller's roles as they are now: one who lost the
                // right to view the members mid-export gets no further row, and one who lost
                // the right to see sign-ins no further sign-in time.
                (None, Some(after)) => match read(Some(after)).await? {
                    Some(page) => {
                        let sees = self::sees_sign_ins(&caller, Some(&page.access), &request)?;
                        caller.authorize_workspace(Some(page.access), Action::ViewMembers)?;
                        (page.rows, page.next, sees)
                    }
                    None => return Ok(None),
                },
            };
            let rows = rows
                .into_iter()
                .map(|r| MemberExport::new(r, now, sees_sign_ins))
                .collect();
            Ok(Some((
                export::encode(format, rows, first)?,
                (None, next, false),
            )))
        }
    });
    Ok(export::response(format, "members", batches))
}

fn outcome(change: MembershipChange, last_admin_message: &str) -> Result<(), AppError> {
    match change {
        MembershipChange::NotAMember => Err(AppError::NotFound(
            "this person is not a member of the workspace",
        )),
        MembershipChange::LastAdmin => Err(AppError::Conflict {
            code: "last_admin",
            message: last_admin_message.into(),
        }),
        _ => Ok(()),
    }
}

/// Changes a member's workspace role. 409 when it would leave the workspace without an admin.
pub async fn set_role(
    caller: &Caller,
    membership: &Membership,
    role: Parsed<WorkspaceRole>,
) -> Result<(), AppError> {
    let ws = caller
        .workspace(membership.workspace_id.as_str(), Action::ChangeRole)
        .await?;
    let role = role?;
    let mut ev = caller.audit(AuditAction::AuthzChange);
    ev.workspace_id = Some(ws.id.clone());
    ev.target = Some(format!("user {}", membership.user_id));
    let change = members::set_role(
        &caller.state.db,
        &membership.workspace_id,
        &membership.user_id,
        role,
        RoleSource::Manual,
        &ev,
    )
    .await?;
    outcome(
        change,
        "A workspace needs at least one admin: make someone else admin first",
    )
}

/// Removes a member from the workspace (never the last admin).
pub async fn remove(caller: &Caller, membership: &Membership) -> Result<(), AppError> {
    let ws = caller
        .workspace(membership.workspace_id.as_str(), Action::RemoveMember)
        .await?;
    let mut ev = caller.audit(AuditAction::MembershipRemoved);
    ev.workspace_id = Some(ws.id.clone());
    ev.target = Some(format!("user {}", membership.user_id));
    let change = members::remove(
        &caller.state.db,
        &membership.workspace_id,
        &membership.user_id,
        &ev,
    )
    .await?;
    outcome(change, "The last admin of a workspace cannot be removed")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::db::outbox::InvitationMail;

    fn mail(attempts: i64, sent_at: Option<i64>, last_error: Option<&str>) -> InvitationMail {
        InvitationMail {
            invite_email: "ada@example.com".into(),
            created_at: 100,
            attempts,
            next_attempt_at: 160,
            sent_at,
            last_error: last_error.map(Into::into),
        }
    }

    #[test]
    fn an_invitations_email_is_queued_sent_failed_or_not_sent() {
        assert_eq!(
            delivery(&mail(0, None, None)),
            Delivery::Queued { since: 100 }
        );
        // Claimed by a sender that has not answered yet: still queued.
        assert_eq!(
            delivery(&mail(1, None, None)),
            Delivery::Queued { since: 100 }
        );
        assert_eq!(
            delivery(&mail(1, Some(130), None)),
            Delivery::Sent { at: 130 }
        );
        assert_eq!(
            delivery(&mail(3, None, Some("550 no such user"))),
            Delivery::Failed {
                error: "550 no such user".into(),
                attempts: 3,
                next_attempt_at: 160
            }
        );
        assert_eq!(
            delivery(&mail(1, Some(130), Some("invitation no longer pending"))),
            Delivery::NotSent {
                reason: "invitation no longer pending".into()
            }
        );
    }
}
