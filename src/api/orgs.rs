//! Organization administration: its page, organization roles, renaming workspaces.

use super::ApiError;
use crate::model::orgs::OrgPage;
use leptos::prelude::*;

/// The organization, its workspaces and its people with their organization roles.
#[server(prefix = "/api", endpoint = "orgs/members", output = super::JsonResponse)]
pub async fn org_members(org_id: String) -> Result<OrgPage, ApiError> {
    use crate::server::auth::caller;
    let caller = caller().await?;
    Ok(crate::server::orgs::page(&caller, &org_id).await?)
}

/// Gives someone with a place in the organization the organization role `role`.
/// 409 `last_owner`, 409 `not_in_organization` (invite them instead).
#[server(prefix = "/api", endpoint = "orgs/set_role", output = super::JsonResponse)]
pub async fn set_org_role(org_id: String, user_id: String, role: String) -> Result<(), ApiError> {
    use crate::domain::requests::FieldErrors;
    use crate::server::auth::caller;
    let caller = caller().await?;
    let role = role
        .parse::<crate::domain::OrgRole>()
        .map_err(|_| FieldErrors::one("role", "choose org_owner, org_admin or org_member"));
    Ok(crate::server::orgs::set_role(&caller, &org_id, &user_id, role).await?)
}

/// Takes away someone's organization role (never the last owner's).
#[server(prefix = "/api", endpoint = "orgs/remove", output = super::JsonResponse)]
pub async fn remove_org_member(org_id: String, user_id: String) -> Result<(), ApiError> {
    use crate::server::auth::caller;
    let caller = caller().await?;
    Ok(crate::server::orgs::remove(&caller, &org_id, &user_id).await?)
}

/// Renames a workspace (platform admins, owners and admins of its organization).
#[server(prefix = "/api", endpoint = "workspaces/rename", output = super::JsonResponse)]
pub async fn rename_workspace(workspace_id: String, name: String) -> Result<(), ApiError> {
    use crate::domain::requests::{entity_name, FieldErrors};
    use crate::server::auth::caller;
    let caller = caller().await?;
    let name = entity_name(&name).map_err(|e| FieldErrors::one("name", e));
    Ok(crate::server::orgs::rename_workspace(&caller, &workspace_id, name).await?)
}
