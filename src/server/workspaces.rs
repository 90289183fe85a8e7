//! Organizations and workspaces: list, create.

use crate::domain::requests::Parsed;
use crate::domain::{can, Action, AuditAction, OrgId, Target, WorkspaceRole};
use crate::model::workspaces::{OrgDto, WorkspaceDto};
use crate::server::auth::Caller;
use crate::server::db::workspaces;
use crate::server::AppError;

/// Organizations the caller may see the page of: every one for platform admins and
/// operators, those they own or administer for everyone else.
pub async fn list_orgs(caller: &Caller) -> Result<Vec<OrgDto>, AppError> {
    let db = &caller.state.db;
    let rows = if can(
        caller.actor().await?,
        Action::ViewOrganization,
        Target::Platform,
    ) {
        workspaces::list_orgs_all(db).await?
    } else {
        workspaces::list_orgs_administered(db, &caller.user.id).await?
    };
    Ok(rows
        .into_iter()
        .map(|o| OrgDto {
            id: o.id,
            name: o.name,
        })
        .collect())
}

/// A new organization (platform admins); its creator becomes `org_owner`.
pub async fn create_org(caller: &Caller, name: Parsed<String>) -> Result<OrgDto, AppError> {
    if !can(
        caller.actor().await?,
        Action::CreateOrganization,
        Target::Platform,
    ) {
        return Err(AppError::Forbidden(
            "only platform admins create organizations",
        ));
    }
    let name = name?;
    let org = workspaces::create_org(
        &caller.state.db,
        &name,
        &caller.user.id,
        &caller.audit(AuditAction::OrgCreated),
    )
    .await?;
    Ok(OrgDto {
        id: org.id,
        name: org.name,
    })
}

/// A new workspace (platform admins, owners and admins of the organization); its creator
/// becomes its `workspace_admin`.
pub async fn create_workspace(
    caller: &Caller,
    org_id: &OrgId,
    name: Parsed<String>,
) -> Result<WorkspaceDto, AppError> {
    let org = workspaces::get_org(&caller.state.db, org_id.as_str())
        .await?
        .ok_or(AppError::NotFound("no such organization"))?;
    if !can(
        caller.actor().await?,
        Action::CreateWorkspace,
        Target::Organization { org_id: &org.id },
    ) {
        return Err(AppError::Forbidden(
            "you may not create workspaces in this organization",
        ));
    }
    let name = name?;
    let ws = workspaces::create_workspace(
        &caller.state.db,
        &org,
        &name,
        &caller.user.id,
        &caller.audit(AuditAction::WorkspaceCreated),
    )
    .await?;
    Ok(WorkspaceDto {
        id: ws.id,
        name: ws.name,
        org_id: ws.org_id,
        org_name: ws.org_name,
        my_role: Some(WorkspaceRole::WorkspaceAdmin),
    })
}
