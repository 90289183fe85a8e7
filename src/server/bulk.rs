//! Bulk actions on the members page: Resend, Cancel, Change role or Remove over the selected
//! rows (or every row matching the list's filter), each row through the single action (the same
//! permission check, caps, locks and audit row), with a result per row. A dry run answers what
//! would happen, from the current state, and changes nothing: the confirmation shows it.

use crate::domain::bulk::{plan_invitations, plan_members, BulkAction, RowOutcome, MAX_BULK_ROWS};
use crate::domain::requests::{MemberFilter, Membership};
use crate::domain::scopes::Scope;
use crate::domain::{Action, Email, WorkspaceId};
use crate::model::members::{BulkResult, BulkRowResult};
use crate::server::auth::Caller;
use crate::server::db::{invites, members};
use crate::server::export;
use crate::server::AppError;

/// Which rows: those named, or every one the list shows for a search and status filter.
pub enum Selection {
    Rows(Vec<String>),
    AllMatching(MemberFilter),
}

pub struct BulkRequest {
    pub workspace_id: WorkspaceId,
    pub action: BulkAction,
    pub selection: Selection,
    pub dry_run: bool,
}

pub async fn run(caller: &Caller, request: BulkRequest) -> Result<BulkResult, AppError> {
    let action = request.action;
    let needed = match action {
        BulkAction::Resend | BulkAction::Cancel => Action::ManageInvitation,
        BulkAction::SetRole(_) => Action::ChangeRole,
        BulkAction::Remove => Action::RemoveMember,
    };
    let ws = caller
        .workspace(request.workspace_id.as_str(), needed)
        .await?;
    // The endpoint's scope is members:write; invitations need their own scope too, so that a
    // token cannot reach through a bulk call what it could not do one row at a time.
    if let Some(token) = &caller.token {
        if action.on_invitations() && !token.scopes.contains(&Scope::InvitesWrite) {
            return Err(AppError::ForbiddenBecause {
                code: "insufficient_scope",
                message: "resending and cancelling invitations needs the invites:write scope"
                    .into(),
            });
        }
    }
    let workspace_id = WorkspaceId::from(ws.id.clone());
    let rows = selected_rows(caller, &workspace_id, action, request.selection).await?;
    let db = &caller.state.db;
    // (row, email, what the current state says of it)
    let planned: Vec<(String, Option<String>, RowOutcome)> = if action.on_invitations() {
        let emails: Vec<Option<String>> = rows
            .iter()
            .map(|r| Email::parse(r).ok().map(Email::into_string))
            .collect();
        let valid: Vec<String> = emails.iter().flatten().cloned().collect();
        let invited = invites::invited_to(db, &ws.id, &valid).await?;
        let pending: Vec<bool> = emails
            .iter()
            .map(|e| e.as_ref().is_some_and(|e| invited.contains(e)))
            .collect();
        rows.into_iter()
            .zip(emails)
            .zip(plan_invitations(&pending))
            .map(|((row, email), outcome)| (row, email, outcome))
            .collect()
    } else {
        let (found, admins) = members::roles_of(db, &workspace_id, &rows).await?;
        let of = |row: &String| found.iter().find(|(id, ..)| id == row);
        let roles: Vec<_> = rows.iter().map(|r| of(r).map(|(.., role)| *role)).collect();
        let plan = plan_members(action, &roles, admins);
        rows.iter()
            .zip(plan)
            .map(|(row, outcome)| {
                (
                    row.clone(),
                    of(row).map(|(_, email, _)| email.clone()),
                    outcome,
                )
            })
            .collect()
    };
    let mut results = Vec::with_capacity(planned.len());
    for (row, email, outcome) in planned {
        let outcome = match outcome {
            RowOutcome::Done if !request.dry_run => {
                apply(caller, &workspace_id, action, &row, email.as_deref()).await?
            }
            other => other,
        };
        results.push(row_result(row, email, outcome));
    }
    let done = results.iter().filter(|r| r.result == "done").count();
    Ok(BulkResult {
        dry_run: request.dry_run,
        skipped: results.len() - done,
        done,
        rows: results,
    })
}

/// The rows named (deduplicated, in order), or every row of the action's kind the list shows
/// for the filter; 400 for none, or for more than [`MAX_BULK_ROWS`].
async fn selected_rows(
    caller: &Caller,
    workspace_id: &WorkspaceId,
    action: BulkAction,
    selection: Selection,
) -> Result<Vec<String>, AppError> {
    let too_many = || {
        AppError::invalid_field(
            "rows",
            format!("at most {MAX_BULK_ROWS} rows at once: narrow the search or the filter"),
        )
    };
    let rows = match selection {
        Selection::Rows(rows) => {
            let mut unique: Vec<String> = Vec::with_capacity(rows.len());
            for row in rows {
                if !unique.contains(&row) {
                    unique.push(row);
                }
                if unique.len() > MAX_BULK_ROWS {
                    return Err(too_many());
                }
            }
            unique
        }
        Selection::AllMatching(filter) => {
            let mut rows = Vec::new();
            let mut after = None;
            loop {
                let Some(members::Page {
                    rows: batch, next, ..
                }) = members::list_batch(
                    &caller.state.db,
                    workspace_id,
                    &caller.user.id,
                    &filter,
                    after.as_ref(),
                    export::BATCH,
                )
                .await?
                else {
                    break;
                };
                rows.extend(batch.into_iter().filter_map(|r| {
                    match (&r.user_id, action.on_invitations()) {
                        (None, true) => Some(r.email),
                        (Some(id), false) => Some(id.clone()),
                        _ => None,
                    }
                }));
                if rows.len() > MAX_BULK_ROWS {
                    return Err(too_many());
                }
                match next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
            rows
        }
    };
    if rows.is_empty() {
        return Err(AppError::invalid_field("rows", "choose at least one row"));
    }
    Ok(rows)
}

/// One row through the single action; what it refuses is that row's skip, not the request's
/// failure (only a broken database stops the run).
async fn apply(
    caller: &Caller,
    workspace_id: &WorkspaceId,
    action: BulkAction,
    row: &str,
    email: Option<&str>,
) -> Result<RowOutcome, AppError> {
    let membership = || Membership {
        workspace_id: workspace_id.clone(),
        user_id: row.to_string().into(),
    };
    let email = email.unwrap_or(row);
    let done = match action {
        BulkAction::Resend => crate::server::invites::resend(caller, workspace_id.as_str(), email)
            .await
            .map(|_| ()),
        BulkAction::Cancel => {
            crate::server::invites::cancel(caller, workspace_id.as_str(), email).await
        }
        BulkAction::SetRole(role) => {
            crate::server::members::set_role(caller, &membership(), Ok(role)).await
        }
        BulkAction::Remove => crate::server::members::remove(caller, &membership()).await,
    };
    match done {
        Ok(()) => Ok(RowOutcome::Done),
        Err(e @ AppError::Internal(_)) => Err(e),
        Err(e) => Ok(RowOutcome::Skipped {
            code: e.code(),
            reason: e.to_string(),
        }),
    }
}

fn row_result(row: String, email: Option<String>, outcome: RowOutcome) -> BulkRowResult {
    let (result, code, reason) = match outcome {
        RowOutcome::Done => ("done", None, None),
        RowOutcome::Skipped { code, reason } => ("skipped", Some(code.to_string()), Some(reason)),
    };
    BulkRowResult {
        row,
        email,
        result: result.to_string(),
        code,
        reason,
    }
}
