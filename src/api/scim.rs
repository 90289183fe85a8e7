//! An organization's SCIM provisioning settings (its owners and admins, at a browser). The
//! SCIM protocol itself is served at `/scim/v2/` by `server::scim`, not by server functions.

use super::ApiError;
use crate::model::scim::{ScimMappingDto, ScimSettings};
use leptos::prelude::*;

/// The base URL, recent activity and group mappings of the organization's provisioning.
#[server(prefix = "/api", endpoint = "scim/settings", output = super::JsonResponse)]
pub async fn get_scim_settings(org_id: String) -> Result<ScimSettings, ApiError> {
    use crate::server::auth::caller;
    let caller = caller().await?;
    Ok(crate::server::scim::settings::settings(&caller, &org_id).await?)
}

/// Members of SCIM group `group` get `role` in `workspace_id`; applied at once to the group's
/// members.
#[server(prefix = "/api", endpoint = "scim/map", output = super::JsonResponse)]
pub async fn add_scim_mapping(
    org_id: String,
    group: String,
    workspace_id: String,
    role: String,
) -> Result<ScimMappingDto, ApiError> {
    use crate::server::auth::caller;
    let caller = caller().await?;
    let created =
        crate::server::scim::settings::add_mapping(&caller, &org_id, &group, &workspace_id, &role)
            .await?;
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::CREATED);
    }
    Ok(created)
}

/// Removes a mapping; what it gave its groups' members is taken back at once.
#[server(prefix = "/api", endpoint = "scim/unmap", output = super::JsonResponse)]
pub async fn remove_scim_mapping(mapping_id: String) -> Result<(), ApiError> {
    use crate::server::auth::caller;
    let caller = caller().await?;
    Ok(crate::server::scim::settings::remove_mapping(&caller, &mapping_id).await?)
}
