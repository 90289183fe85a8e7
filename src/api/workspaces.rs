//! Organizations and workspaces.

use super::ApiError;
use crate::model::workspaces::{OrgDto, WorkspaceDto};
use leptos::prelude::*;

/// Organizations the caller may see: all for platform admins and operators, otherwise those
/// the caller owns or administers.
#[server(prefix = "/api", endpoint = "orgs/list", output = super::JsonResponse)]
pub async fn list_orgs() -> Result<Vec<OrgDto>, ApiError> {
    use crate::server::auth::caller;
    let caller = caller().await?;
    Ok(crate::server::workspaces::list_orgs(&caller).await?)
}

/// Platform admins only.
#[server(prefix = "/api", endpoint = "orgs/create", output = super::JsonResponse)]
pub async fn create_org(name: String) -> Result<OrgDto, ApiError> {
    use crate::domain::requests::{entity_name, FieldErrors};
    use crate::server::auth::caller;
    let caller = caller().await?;
    let name = entity_name(&name).map_err(|e| FieldErrors::one("name", e));
    Ok(crate::server::workspaces::create_org(&caller, name).await?)
}

/// Platform admins, and owners and admins of the organization.
#[server(prefix = "/api", endpoint = "workspaces/create", output = super::JsonResponse)]
pub async fn create_workspace(org_id: String, name: String) -> Result<WorkspaceDto, ApiError> {
    use crate::domain::requests::{entity_name, FieldErrors};
    use crate::server::auth::caller;
    let caller = caller().await?;
    let name = entity_name(&name).map_err(|e| FieldErrors::one("name", e));
    Ok(crate::server::workspaces::create_workspace(&caller, &org_id.into(), name).await?)
}
