//! The members page: list, change a role, remove.

use super::ApiError;
use crate::domain::{RoleSource, WorkspaceRole};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub const PAGE_SIZE: i64 = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    Active,
    Pending,
    Expired,
}

/// A row of the members list: an active member, or an invitation (pending or expired).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberDto {
    pub status: MemberStatus,
    /// Set for active members.
    pub user_id: Option<String>,
    pub email: String,
    pub name: String,
    pub role: WorkspaceRole,
    pub role_source: RoleSource,
    /// When they joined, or when they were invited (Unix seconds, UTC).
    pub at: i64,
    /// Invitations: who invited, and when the invitation expires.
    pub invited_by: Option<String>,
    pub expires_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembersPage {
    pub members: Vec<MemberDto>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<String>,
    /// The workspace's active members and invitations (pending or expired), whatever the filter.
    pub member_count: i64,
    pub invite_count: i64,
}

/// The longest search accepted.
pub const MAX_SEARCH_CHARS: usize = 200;

/// One page (50 rows) of a workspace's members and invitations in email order, filtered by
/// `status` (`all`, `active`, `pending`, `expired`) and searched by the start of an email
/// address or of a name. `after` is the `next` of the previous page.
#[server(prefix = "/api", endpoint = "members/list", output = super::JsonResponse)]
pub async fn list_members(
    workspace_id: String,
    q: Option<String>,
    status: Option<String>,
    after: Option<String>,
) -> Result<MembersPage, ApiError> {
    use crate::domain::Action;
    use crate::server::auth::caller;
    use crate::server::db::members::{self, StatusFilter};
    use crate::server::AppError;
    let caller = caller().await?;
    let q = q.unwrap_or_default();
    let q = q.trim();
    if q.chars().count() > MAX_SEARCH_CHARS {
        return Err(AppError::invalid_field(
            "q",
            format!("search with at most {MAX_SEARCH_CHARS} characters"),
        )
        .into());
    }
    let filter = match status.as_deref().unwrap_or("all") {
        "all" | "" => StatusFilter::All,
        "active" => StatusFilter::Active,
        "pending" => StatusFilter::Pending,
        "expired" => StatusFilter::Expired,
        _ => {
            return Err(
                AppError::invalid_field("status", "choose all, active, pending or expired").into(),
            )
        }
    };
    let after = match after.as_deref().filter(|a| !a.is_empty()) {
        None => None,
        Some(a) => Some(members::Cursor::decode(a).ok_or_else(|| {
            AppError::invalid_field(
                "after",
                "this page link is not valid; go back to the first page",
            )
        })?),
    };
    // One query reads the workspace, the caller's roles in it and the page; nothing of the page
    // is used unless the caller may view the members.
    let found = members::list(
        &caller.state.db,
        &workspace_id,
        &caller.user.id,
        q,
        filter,
        after.as_ref(),
        PAGE_SIZE,
    )
    .await
    .map_err(AppError::from)?;
    let (access, rows, next) = match found {
        Some((access, rows, next)) => (Some(access), rows, next),
        None => (None, Vec::new(), None),
    };
    let ws = caller.authorize_workspace(access, Action::ViewMembers)?;
    let now = crate::server::db::now();
    let members = rows
        .into_iter()
        .filter_map(|r| {
            let status = match (&r.user_id, r.expires_at) {
                (Some(_), _) => MemberStatus::Active,
                (None, Some(exp)) if exp > now => MemberStatus::Pending,
                (None, _) => MemberStatus::Expired,
            };
            Some(MemberDto {
                status,
                role: r.role.parse().ok()?,
                role_source: r.role_source.parse().ok()?,
                user_id: r.user_id,
                email: r.email,
                name: r.name,
                at: r.at,
                invited_by: r.invited_by,
                expires_at: r.expires_at,
            })
        })
        .collect();
    Ok(MembersPage {
        members,
        next: next.as_ref().map(members::Cursor::encode),
        member_count: ws.member_count,
        invite_count: ws.invite_count,
    })
}

/// Changes a member's workspace role. 409 when it would leave the workspace without an admin.
#[server(prefix = "/api", endpoint = "members/set_role", output = super::JsonResponse)]
pub async fn set_member_role(
    workspace_id: String,
    user_id: String,
    role: String,
) -> Result<(), ApiError> {
    use crate::domain::{Action, RoleSource};
    use crate::server::auth::caller;
    use crate::server::db::members::{self, MembershipChange};
    use crate::server::AppError;
    let caller = caller().await?;
    let ws = caller.workspace(&workspace_id, Action::ChangeRole).await?;
    let role: WorkspaceRole = role
        .parse()
        .map_err(|e: crate::domain::roles::UnknownRole| {
            AppError::invalid_field("role", e.to_string())
        })?;
    let mut ev = caller.audit("authz_change");
    ev.workspace_id = Some(ws.id.clone());
    ev.target = Some(format!("user {user_id}"));
    match members::set_role(
        &caller.state.db,
        &ws.id,
        &user_id,
        role,
        RoleSource::Manual,
        &ev,
    )
    .await
    .map_err(AppError::from)?
    {
        MembershipChange::NotAMember => {
            Err(AppError::NotFound("this person is not a member of the workspace").into())
        }
        MembershipChange::LastAdmin => Err(AppError::Conflict {
            code: "last_admin",
            message: "A workspace needs at least one admin: make someone else admin first".into(),
        }
        .into()),
        _ => Ok(()),
    }
}

/// Removes a member from the workspace (never the last admin).
#[server(prefix = "/api", endpoint = "members/remove", output = super::JsonResponse)]
pub async fn remove_member(workspace_id: String, user_id: String) -> Result<(), ApiError> {
    use crate::domain::Action;
    use crate::server::auth::caller;
    use crate::server::db::members::{self, MembershipChange};
    use crate::server::AppError;
    let caller = caller().await?;
    let ws = caller
        .workspace(&workspace_id, Action::RemoveMember)
        .await?;
    let mut ev = caller.audit("membership_removed");
    ev.workspace_id = Some(ws.id.clone());
    ev.target = Some(format!("user {user_id}"));
    match members::remove(&caller.state.db, &ws.id, &user_id, &ev)
        .await
        .map_err(AppError::from)?
    {
        MembershipChange::NotAMember => {
            Err(AppError::NotFound("this person is not a member of the workspace").into())
        }
        MembershipChange::LastAdmin => Err(AppError::Conflict {
            code: "last_admin",
            message: "The last admin of a workspace cannot be removed".into(),
        }
        .into()),
        _ => Ok(()),
    }
}
