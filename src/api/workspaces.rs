//! Organizations and workspaces.

use super::auth::WorkspaceDto;
use super::ApiError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgDto {
    pub id: String,
    pub name: String,
}

#[cfg(feature = "ssr")]
fn parse_name(raw: &str) -> Result<String, crate::server::AppError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(crate::server::AppError::invalid_field(
            "name",
            "use 1 to 100 characters",
        ));
    }
    Ok(name.to_string())
}

/// Organizations the caller may create workspaces in.
#[server(prefix = "/api", endpoint = "orgs/list", output = super::JsonResponse)]
pub async fn list_orgs() -> Result<Vec<OrgDto>, ApiError> {
    use crate::server::auth::caller;
    use crate::server::db::workspaces;
    use crate::server::AppError;
    let caller = caller().await?;
    let platform_admin =
        caller.user.platform_role() == Some(crate::domain::PlatformRole::PlatformAdmin);
    let rows = if platform_admin {
        workspaces::list_orgs_all(&caller.state.db).await
    } else {
        workspaces::list_orgs_administered(&caller.state.db, &caller.user.id).await
    }
    .map_err(AppError::from)?;
    Ok(rows
        .into_iter()
        .map(|o| OrgDto {
            id: o.id,
            name: o.name,
        })
        .collect())
}

/// Platform admins only.
#[server(prefix = "/api", endpoint = "orgs/create", output = super::JsonResponse)]
pub async fn create_org(name: String) -> Result<OrgDto, ApiError> {
    use crate::domain::{can, Action, Target};
    use crate::server::auth::caller;
    use crate::server::db::workspaces;
    use crate::server::AppError;
    let caller = caller().await?;
    if !can(
        caller.actor().await?,
        Action::CreateOrganization,
        Target::Platform,
    ) {
        return Err(AppError::Forbidden("only platform admins create organizations").into());
    }
    let name = parse_name(&name)?;
    let org = workspaces::create_org(
        &caller.state.db,
        &name,
        &caller.user.id,
        &caller.audit("org_created"),
    )
    .await
    .map_err(AppError::from)?;
    Ok(OrgDto {
        id: org.id,
        name: org.name,
    })
}

/// Platform admins, and owners and admins of the organization.
#[server(prefix = "/api", endpoint = "workspaces/create", output = super::JsonResponse)]
pub async fn create_workspace(org_id: String, name: String) -> Result<WorkspaceDto, ApiError> {
    use crate::domain::{can, Action, Target, WorkspaceRole};
    use crate::server::auth::caller;
    use crate::server::db::workspaces;
    use crate::server::AppError;
    let caller = caller().await?;
    let org = workspaces::get_org(&caller.state.db, &org_id)
        .await
        .map_err(AppError::from)?
        .ok_or(AppError::NotFound("no such organization"))?;
    if !can(
        caller.actor().await?,
        Action::CreateWorkspace,
        Target::Organization { org_id: &org.id },
    ) {
        return Err(
            AppError::Forbidden("you may not create workspaces in this organization").into(),
        );
    }
    let name = parse_name(&name)?;
    let ws = workspaces::create_workspace(
        &caller.state.db,
        &org,
        &name,
        &caller.user.id,
        &caller.audit("workspace_created"),
    )
    .await
    .map_err(AppError::from)?;
    Ok(WorkspaceDto {
        id: ws.id,
        name: ws.name,
        org_id: ws.org_id,
        org_name: ws.org_name,
        my_role: Some(WorkspaceRole::WorkspaceAdmin),
    })
}
