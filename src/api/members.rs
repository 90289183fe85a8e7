//! The members page: list, change a role, remove, bulk actions.

// `members/bulk` takes its selection as flat form fields (as documented), which the server
// macro turns into as many function arguments, on the server and in the browser.
#![allow(clippy::too_many_arguments)]

use super::ApiError;
use crate::model::members::MembersPage;
use leptos::prelude::*;

/// One page (50 rows) of a workspace's members and invitations, filtered by `status` (`all`,
/// `active`, `deactivated`, `pending`, `expired`) and `role`, searched by the start of an
/// email address or of a name, in the order `sort` (`email`, `name`, `role`, `status`,
/// `joined`, `last_sign_in`; `-` first for descending). `after` is the `next` of the previous
/// page in the same order.
#[server(prefix = "/api", endpoint = "members/list", output = super::JsonResponse)]
pub async fn list_members(
    workspace_id: String,
    q: Option<String>,
    status: Option<String>,
    role: Option<String>,
    sort: Option<String>,
    after: Option<String>,
) -> Result<MembersPage, ApiError> {
    use crate::model::members::ListMembersForm;
    use crate::server::auth::caller;
    use crate::server::AppError;
    let caller = caller().await?;
    let form = ListMembersForm {
        workspace_id,
        q,
        status,
        role,
        sort,
        after,
    };
    let request = form.try_into().map_err(AppError::from)?;
    Ok(crate::server::members::list(&caller, request).await?)
}

/// Changes a member's workspace role. 409 when it would leave the workspace without an admin.
#[server(prefix = "/api", endpoint = "members/set_role", output = super::JsonResponse)]
pub async fn set_member_role(
    workspace_id: String,
    user_id: String,
    role: String,
) -> Result<(), ApiError> {
    use crate::domain::requests::{workspace_role, FieldErrors, Membership};
    use crate::server::auth::caller;
    let caller = caller().await?;
    let membership = Membership {
        workspace_id: workspace_id.into(),
        user_id: user_id.into(),
    };
    let role = workspace_role(&role).map_err(|e| FieldErrors::one("role", e));
    Ok(crate::server::members::set_role(&caller, &membership, role).await?)
}

/// Removes a member from the workspace (never the last admin).
#[server(prefix = "/api", endpoint = "members/remove", output = super::JsonResponse)]
pub async fn remove_member(workspace_id: String, user_id: String) -> Result<(), ApiError> {
    use crate::domain::requests::Membership;
    use crate::server::auth::caller;
    let caller = caller().await?;
    let membership = Membership {
        workspace_id: workspace_id.into(),
        user_id: user_id.into(),
    };
    Ok(crate::server::members::remove(&caller, &membership).await?)
}

/// Resend, Cancel, Change role or Remove over many rows in one request, each row through the
/// single action (its permission check, caps and audit), answering a result per row. `rows`:
/// user ids (set_role, remove) or emails (resend, cancel), separated by commas or new lines; or
/// `all_matching` with the list's `q`, `status` and role filter (`filter_role`: `role` names
/// the new role of set_role). At most 1,000 rows. `dry_run` answers what would happen and
/// changes nothing.
#[server(prefix = "/api", endpoint = "members/bulk", output = super::JsonResponse)]
pub async fn bulk_members(
    workspace_id: String,
    action: String,
    role: Option<String>,
    rows: Option<String>,
    all_matching: Option<bool>,
    q: Option<String>,
    status: Option<String>,
    filter_role: Option<String>,
    dry_run: Option<bool>,
) -> Result<crate::model::members::BulkResult, ApiError> {
    use crate::domain::bulk::BulkAction;
    use crate::domain::requests::{FieldErrors, MemberFilter};
    use crate::server::auth::caller;
    use crate::server::bulk::{BulkRequest, Selection};
    use crate::server::AppError;
    let caller = caller().await?;
    let mut errors = FieldErrors::default();
    let action = match BulkAction::parse(&action, role.as_deref()) {
        Ok(action) => Some(action),
        Err((field, message)) => {
            errors.add(field, message);
            None
        }
    };
    let selection = if all_matching.unwrap_or(false) {
        let filter = MemberFilter::parse(
            &mut errors,
            q.as_deref(),
            status.as_deref(),
            filter_role.as_deref(),
            None,
        );
        Some(Selection::AllMatching(filter))
    } else {
        Some(Selection::Rows(
            rows.unwrap_or_default()
                .split([',', '\n'])
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_string)
                .collect(),
        ))
    };
    let (Some(action), Some(selection), true) = (action, selection, errors.is_empty()) else {
        return Err(AppError::from(errors).into());
    };
    let request = BulkRequest {
        workspace_id: workspace_id.into(),
        action,
        selection,
        dry_run: dry_run.unwrap_or(false),
    };
    Ok(crate::server::bulk::run(&caller, request).await?)
}
