//! The organization page's side of SCIM: its status, and the group → role mappings. Changing a
//! mapping applies it at once to the members of the groups it names, as the person who changed
//! it (their rights decide which accounts are bound, as for SCIM's token).

use crate::domain::{requests, Action, AuditAction};
use crate::model::scim::{ScimMappingDto, ScimSettings};
use crate::server::auth::Caller;
use crate::server::db::scim::{self as store, MappingRow, Provisioner};
use crate::server::db::workspaces;
use crate::server::AppError;

fn dto(m: MappingRow) -> ScimMappingDto {
    ScimMappingDto {
        id: m.id,
        group: m.group_key,
        workspace_id: m.workspace_id,
        workspace_name: m.workspace_name,
        role: m.role,
    }
}

/// The organization, when the caller (a person at a browser) may provision it.
async fn provisioned_org(caller: &Caller, org_id: &str) -> Result<String, AppError> {
    if caller.token.is_some() {
        return Err(AppError::Forbidden(
            "API tokens cannot change SCIM settings",
        ));
    }
    Ok(caller.organization(org_id, Action::Provision).await?.id)
}

pub async fn settings(caller: &Caller, org_id: &str) -> Result<ScimSettings, AppError> {
    let org_id = provisioned_org(caller, org_id).await?;
    let db = &caller.state.db;
    let status = store::status(db, &org_id).await?;
    Ok(ScimSettings {
        base_url: format!(
            "{}/scim/v2",
            caller.state.config.public_url.trim_end_matches('/')
        ),
        mappings: store::mappings(db, &org_id)
            .await?
            .into_iter()
            .map(dto)
            .collect(),
        groups: store::group_names(db, &org_id).await?,
        workspaces: workspaces::list_of_org(db, &org_id)
            .await?
            .into_iter()
            .map(|w| (w.id, w.name))
            .collect(),
        last_request_at: status.last_request_at,
        last_request: status.last_request,
        last_status: status.last_status,
        errors_last_day: status.errors_last_day,
        last_error_at: status.last_error.as_ref().map(|e| e.0),
        last_error: status
            .last_error
            .map(|(_, request, code, detail)| format!("{request} → {code}: {detail}")),
    })
}

pub async fn add_mapping(
    caller: &Caller,
    org_id: &str,
    group: &str,
    workspace_id: &str,
    role: &str,
) -> Result<ScimMappingDto, AppError> {
    let org_id = provisioned_org(caller, org_id).await?;
    let group = requests::display_name(group).map_err(|e| AppError::invalid_field("group", e))?;
    if group.is_empty() {
        return Err(AppError::invalid_field("group", "name a SCIM group"));
    }
    let role = requests::workspace_role(role).map_err(|e| AppError::invalid_field("role", e))?;
    let ws = workspaces::get(&caller.state.db, workspace_id)
        .await?
        .filter(|w| w.org_id == org_id)
        .ok_or(AppError::NotFound("no such workspace in this organization"))?;
    let mut ev = caller.audit(AuditAction::ScimMappingAdded);
    ev.workspace_id = Some(ws.id.clone());
    ev.target = Some(format!("SCIM group {group}"));
    ev.detail = Some(format!("organization={org_id} role={role}"));
    let actor = caller.actor().await?;
    let manages = |scope: &crate::domain::AccountScope| crate::domain::manages(actor, scope);
    let prov = provisioner(caller, &org_id, &manages);
    let id = store::add_mapping(&caller.state.db, &prov, &group, &ws.id, role, &ev)
        .await?
        .ok_or_else(|| AppError::Conflict {
            code: "already_mapped",
            message: format!("{group} already gives a role in {}", ws.name),
        })?;
    store::mappings(&caller.state.db, &org_id)
        .await?
        .into_iter()
        .find(|m| m.id == id)
        .map(dto)
        .ok_or(AppError::NotFound("the mapping was removed meanwhile"))
}

pub async fn remove_mapping(caller: &Caller, mapping_id: &str) -> Result<(), AppError> {
    let not_found = || AppError::NotFound("no such mapping");
    let (id, org_id) = store::mapping(&caller.state.db, mapping_id)
        .await?
        .ok_or_else(not_found)?;
    // Another organization's mapping is not there for this caller.
    let org_id = provisioned_org(caller, &org_id)
        .await
        .map_err(|e| match e {
            AppError::Forbidden(_) => not_found(),
            other => other,
        })?;
    let mut ev = caller.audit(AuditAction::ScimMappingRemoved);
    ev.target = Some(format!("SCIM mapping {id}"));
    ev.detail = Some(format!("organization={org_id}"));
    let actor = caller.actor().await?;
    let manages = |scope: &crate::domain::AccountScope| crate::domain::manages(actor, scope);
    let prov = provisioner(caller, &org_id, &manages);
    if !store::remove_mapping(&caller.state.db, &prov, &id, &ev).await? {
        return Err(not_found());
    }
    Ok(())
}

fn provisioner<'a>(
    caller: &'a Caller,
    org_id: &'a str,
    manages: &'a (dyn Fn(&crate::domain::AccountScope) -> bool + Send + Sync),
) -> Provisioner<'a> {
    Provisioner {
        org_id,
        actor_user_id: &caller.user.id,
        actor_token: None,
        ip: &caller.ip,
        manages,
        mappings: Default::default(),
    }
}
