//! Organization administration: the organization's page, its people's organization roles
//! (never without an owner), and renaming its workspaces.

use crate::domain::requests::Parsed;
use crate::domain::{
    can_change_org_role, can_grant, Action, Actor, AuditAction, Grant, OrgRole, Target,
};
use crate::model::orgs::{OrgPage, OrgPersonDto, OrgWorkspaceDto};
use crate::server::auth::Caller;
use crate::server::db::orgs::{self, OrgRoleChange};
use crate::server::db::users;
use crate::server::db::workspaces;
use crate::server::AppError;

/// The organization's workspaces and people (platform admins and operators, and its owners
/// and admins).
pub async fn page(caller: &Caller, org_id: &str) -> Result<OrgPage, AppError> {
    let org = caller
        .organization(org_id, Action::ViewOrganization)
        .await?;
    let db = &caller.state.db;
    let workspaces = workspaces::list_of_org(db, &org.id)
        .await?
        .into_iter()
        .map(|w| OrgWorkspaceDto {
            id: w.id,
            name: w.name,
            member_count: w.member_count,
            invite_count: w.invite_count,
        })
        .collect();
    let people = orgs::people(db, &org.id)
        .await?
        .into_iter()
        .map(|p| OrgPersonDto {
            user_id: p.user_id,
            email: p.email,
            name: p.name,
            role: p.role,
            deactivated: p.disabled_at.is_some(),
            workspace_count: p.workspace_count,
        })
        .collect();
    Ok(OrgPage {
        id: org.id,
        name: org.name,
        workspaces,
        people,
        people_limit: orgs::PEOPLE_LIMIT,
    })
}

fn outcome(change: OrgRoleChange) -> Result<(), AppError> {
    match change {
        OrgRoleChange::Changed { .. } | OrgRoleChange::Unchanged | OrgRoleChange::Removed { .. } => {
            Ok(())
        }
        OrgRoleChange::NoRole => Err(AppError::NotFound(
            "this person has no role in the organization",
        )),
        OrgRoleChange::NotInOrganization => Err(AppError::Conflict {
            code: "not_in_organization",
            message: "This person has no place in the organization yet: invite them to one of its workspaces with this organization role".into(),
        }),
        OrgRoleChange::Forbidden => Err(AppError::Forbidden(
            "only an owner of the organization changes an owner's role",
        )),
        OrgRoleChange::LastOwner => Err(AppError::Conflict {
            code: "last_owner",
            message: "An organization needs at least one owner: make someone else owner first".into(),
        }),
    }
}

/// Gives someone with a place in the organization an organization role. Owners grant any
/// role, admins `org_admin` and `org_member`, platform admins everything; 409 for the last
/// owner, and for someone who has no place in the organization yet (invite them).
pub async fn set_role(
    caller: &Caller,
    org_id: &str,
    user_id: &str,
    role: Parsed<OrgRole>,
) -> Result<(), AppError> {
    let org = caller
        .organization(org_id, Action::ManageOrgMembers)
        .await?;
    let role = role?;
    let actor = caller.actor().await?.clone();
    if !can_grant(
        &actor,
        Grant::Organization(role),
        Target::Organization { org_id: &org.id },
    ) {
        return Err(AppError::Forbidden(
            "only an owner of the organization makes owners",
        ));
    }
    let target = users::find_by_id(&caller.state.db, user_id)
        .await?
        .ok_or(AppError::NotFound("no such person"))?;
    if role == OrgRole::OrgOwner && users::is_service_account(&caller.state.db, &target.id).await? {
        // A token that owned the organization would leave it without an owner when revoked.
        return Err(AppError::Conflict {
            code: "service_account",
            message: "An API token's account cannot own an organization".into(),
        });
    }
    let mut ev = caller.audit(AuditAction::OrgRoleChanged);
    ev.target = Some(format!("user {}", target.id));
    let may = may_change(actor, &org.id, Some(role));
    outcome(
        orgs::set_role(
            &caller.state.db,
            &org.id,
            &caller.user.id,
            &target.id,
            role,
            &*may,
            &ev,
        )
        .await?,
    )
}

/// Takes away someone's organization role (their workspace memberships stay). Never the last
/// owner; only an owner removes an owner.
pub async fn remove(caller: &Caller, org_id: &str, user_id: &str) -> Result<(), AppError> {
    let org = caller
        .organization(org_id, Action::ManageOrgMembers)
        .await?;
    let actor = caller.actor().await?.clone();
    let mut ev = caller.audit(AuditAction::OrgMemberRemoved);
    ev.target = Some(format!("user {user_id}"));
    let may = may_change(actor, &org.id, None);
    outcome(
        orgs::remove(
            &caller.state.db,
            &org.id,
            &caller.user.id,
            user_id,
            &*may,
            &ev,
        )
        .await?,
    )
}

/// The check a change of someone's organization role makes under the organization's lock:
/// the caller's platform and other roles as loaded, with their role in *this* organization as
/// it is at that moment.
fn may_change(actor: Actor, org_id: &str, to: Option<OrgRole>) -> Box<orgs::MayChange> {
    let org_id = org_id.to_string();
    Box::new(move |own: Option<OrgRole>, current: Option<OrgRole>| {
        let mut now = actor.clone();
        now.org_roles.retain(|(o, _)| *o != org_id);
        now.org_roles.extend(own.map(|r| (org_id.clone(), r)));
        can_change_org_role(&now, &org_id, current, to)
    })
}

/// Renames a workspace (platform admins, and owners and admins of its organization).
pub async fn rename_workspace(
    caller: &Caller,
    workspace_id: &str,
    name: Parsed<String>,
) -> Result<(), AppError> {
    let ws = caller
        .workspace(workspace_id, Action::RenameWorkspace)
        .await?;
    let name = name?;
    let mut ev = caller.audit(AuditAction::WorkspaceRenamed);
    ev.workspace_id = Some(ws.id.clone());
    ev.target = Some(format!("workspace {name}"));
    ev.detail = Some(format!("from={}", ws.name));
    if !orgs::rename_workspace(&caller.state.db, &ws.id, &name, &ev).await? {
        return Err(AppError::NotFound("no such workspace"));
    }
    Ok(())
}
