//! The members page: list, change a role, remove.

use super::ApiError;
use crate::model::members::MembersPage;
use leptos::prelude::*;

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
    use crate::model::members::ListMembersForm;
    use crate::server::auth::caller;
    use crate::server::AppError;
    let caller = caller().await?;
    let form = ListMembersForm {
        workspace_id,
        q,
        status,
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
