//! The one place that decides who may do what (DESIGN §2).
//!
//! Pure and compiled for both the server and the browser: the server calls [`can`] in every
//! server function against the target it loaded itself; the UI calls the same function only to
//! hide what the user may not do.

use super::roles::{OrgRole, PlatformRole, WorkspaceRole};
use serde::{Deserialize, Serialize};

/// Everything about the signed-in user that permissions depend on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Actor {
    pub user_id: String,
    pub platform_role: Option<PlatformRole>,
    /// (organization id, role)
    pub org_roles: Vec<(String, OrgRole)>,
    /// (workspace id, role)
    pub workspace_roles: Vec<(String, WorkspaceRole)>,
}

/// The resource an action is about, as loaded by the server (never as claimed by a client).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    Platform,
    Organization {
        org_id: &'a str,
    },
    Workspace {
        workspace_id: &'a str,
        org_id: &'a str,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    ViewMembers,
    Invite,
    ManageInvitation,
    AddUser,
    ChangeRole,
    RemoveMember,
    CreateOrganization,
    CreateWorkspace,
    ViewAudit,
    /// Grant a platform role (on an invitation, or directly).
    GrantPlatformRole,
    /// Delete an account and every personal trace of it.
    EraseAccount,
    /// See an organization's page: its workspaces and its people with organization roles.
    ViewOrganization,
    /// Grant, change or take back organization roles (which roles: [`can_grant`]).
    ManageOrgMembers,
    RenameWorkspace,
    /// See the people list: every account (platform), or those with a place in an organization.
    ListPeople,
    /// Push people and groups into an organization by SCIM, and map its SCIM groups to roles.
    Provision,
}

/// A role someone wants to hand out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    Workspace(WorkspaceRole),
    Organization(OrgRole),
    Platform(PlatformRole),
}

impl Actor {
    pub fn is_platform_admin(&self) -> bool {
        self.platform_role == Some(PlatformRole::PlatformAdmin)
    }
    pub fn is_platform_operator(&self) -> bool {
        self.platform_role == Some(PlatformRole::PlatformOperator)
    }
    pub fn org_role(&self, org_id: &str) -> Option<OrgRole> {
        self.org_roles
            .iter()
            .find(|(id, _)| id == org_id)
            .map(|(_, r)| *r)
    }
    pub fn workspace_role(&self, workspace_id: &str) -> Option<WorkspaceRole> {
        self.workspace_roles
            .iter()
            .find(|(id, _)| id == workspace_id)
            .map(|(_, r)| *r)
    }
    fn administers_org(&self, org_id: &str) -> bool {
        matches!(
            self.org_role(org_id),
            Some(OrgRole::OrgOwner | OrgRole::OrgAdmin)
        )
    }
    fn administers_workspace(&self, workspace_id: &str, org_id: &str) -> bool {
        self.is_platform_admin()
            || self.administers_org(org_id)
            || self.workspace_role(workspace_id) == Some(WorkspaceRole::WorkspaceAdmin)
    }
}

/// May `actor` do `action` on `target`?
pub fn can(actor: &Actor, action: Action, target: Target<'_>) -> bool {
    use Action::*;
    match (action, target) {
        (CreateOrganization | GrantPlatformRole | EraseAccount, _) => actor.is_platform_admin(),
        (CreateWorkspace | ManageOrgMembers | Provision, Target::Organization { org_id }) => {
            actor.is_platform_admin() || actor.administers_org(org_id)
        }
        (RenameWorkspace, Target::Workspace { org_id, .. }) => {
            actor.is_platform_admin() || actor.administers_org(org_id)
        }
        (ListPeople | ViewOrganization, Target::Platform) => {
            actor.is_platform_admin() || actor.is_platform_operator()
        }
        (ViewOrganization | ListPeople, Target::Organization { org_id }) => {
            actor.is_platform_admin()
                || actor.is_platform_operator()
                || actor.administers_org(org_id)
        }
        (ViewAudit, Target::Platform) => actor.is_platform_admin() || actor.is_platform_operator(),
        (ViewAudit, Target::Organization { org_id }) => {
            actor.is_platform_admin()
                || actor.is_platform_operator()
                || actor.administers_org(org_id)
        }
        (
            ViewAudit,
            Target::Workspace {
                workspace_id,
                org_id,
            },
        ) => actor.is_platform_operator() || actor.administers_workspace(workspace_id, org_id),
        (
            ViewMembers,
            Target::Workspace {
                workspace_id,
                org_id,
            },
        ) => {
            actor.is_platform_operator()
                || actor.administers_workspace(workspace_id, org_id)
                || actor.workspace_role(workspace_id).is_some()
        }
        (
            Invite | ManageInvitation | AddUser | ChangeRole | RemoveMember,
            Target::Workspace {
                workspace_id,
                org_id,
            },
        ) => actor.administers_workspace(workspace_id, org_id),
        _ => false,
    }
}

/// Every role an account holds, as loaded by the server: what decides who [`manages`] it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccountScope {
    pub platform_role: Option<PlatformRole>,
    /// (organization id, role)
    pub org_roles: Vec<(String, OrgRole)>,
    /// (workspace id, the workspace's organization id) of every membership.
    pub workspaces: Vec<(String, String)>,
}

/// Does `actor` manage the account whose roles are `account`: may they add it to a workspace
/// without its consent, and (later) deactivate it or reset its password?
///
/// Platform admins manage every account. Anyone else manages an account only when everything
/// it holds is theirs to administer: no platform role, every membership in a workspace they
/// administer, and every organization role in an organization they administer, where only an
/// owner manages another owner. An account that belongs nowhere is managed by platform admins
/// alone (otherwise every admin of every workspace would manage it).
pub fn manages(actor: &Actor, account: &AccountScope) -> bool {
    if actor.is_platform_admin() {
        return true;
    }
    if account.platform_role.is_some()
        || (account.workspaces.is_empty() && account.org_roles.is_empty())
    {
        return false;
    }
    let workspaces_ok = account
        .workspaces
        .iter()
        .all(|(ws, org)| actor.administers_workspace(ws, org));
    let orgs_ok = account.org_roles.iter().all(|(org, role)| match role {
        OrgRole::OrgOwner => actor.org_role(org) == Some(OrgRole::OrgOwner),
        OrgRole::OrgAdmin | OrgRole::OrgMember => actor.administers_org(org),
    });
    workspaces_ok && orgs_ok
}

/// May `actor` hand out `grant` in `target`? Nobody grants above what they could grant themselves.
pub fn can_grant(actor: &Actor, grant: Grant, target: Target<'_>) -> bool {
    match grant {
        Grant::Platform(_) => actor.is_platform_admin(),
        Grant::Workspace(_) => can(actor, Action::AddUser, target),
        Grant::Organization(role) => {
            let org_id = match target {
                Target::Organization { org_id } | Target::Workspace { org_id, .. } => org_id,
                Target::Platform => return false,
            };
            actor.is_platform_admin()
                || match actor.org_role(org_id) {
                    Some(OrgRole::OrgOwner) => true,
                    Some(OrgRole::OrgAdmin) => role != OrgRole::OrgOwner,
                    _ => false,
                }
        }
    }
}

/// May `actor` move someone in `org_id` from the organization role `from` to `to` (`None`:
/// no organization role)? Both ends must be theirs to grant: an org admin neither makes nor
/// unmakes an owner.
pub fn can_change_org_role(
    actor: &Actor,
    org_id: &str,
    from: Option<OrgRole>,
    to: Option<OrgRole>,
) -> bool {
    let target = Target::Organization { org_id };
    can(actor, Action::ManageOrgMembers, target)
        && [from, to]
            .into_iter()
            .flatten()
            .all(|role| can_grant(actor, Grant::Organization(role), target))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WS: &str = "ws-1";
    const ORG: &str = "org-1";
    fn ws() -> Target<'static> {
        Target::Workspace {
            workspace_id: WS,
            org_id: ORG,
        }
    }
    fn actor(
        platform: Option<PlatformRole>,
        org: Option<OrgRole>,
        w: Option<WorkspaceRole>,
    ) -> Actor {
        Actor {
            user_id: "u".into(),
            platform_role: platform,
            org_roles: org.map(|r| vec![(ORG.to_string(), r)]).unwrap_or_default(),
            workspace_roles: w.map(|r| vec![(WS.to_string(), r)]).unwrap_or_default(),
        }
    }

    #[test]
    fn workspace_admin_manages_only_their_workspace() {
        let a = actor(None, None, Some(WorkspaceRole::WorkspaceAdmin));
        assert!(can(&a, Action::AddUser, ws()));
        assert!(can(&a, Action::ChangeRole, ws()));
        let other = Target::Workspace {
            workspace_id: "ws-2",
            org_id: ORG,
        };
        assert!(!can(&a, Action::AddUser, other));
        assert!(!can(&a, Action::ViewMembers, other));
        assert!(!can(
            &a,
            Action::CreateWorkspace,
            Target::Organization { org_id: ORG }
        ));
    }

    #[test]
    fn editors_and_viewers_only_see_members() {
        for r in [
            WorkspaceRole::WorkspaceEditor,
            WorkspaceRole::WorkspaceViewer,
        ] {
            let a = actor(None, None, Some(r));
            assert!(can(&a, Action::ViewMembers, ws()));
            for act in [
                Action::Invite,
                Action::AddUser,
                Action::ChangeRole,
                Action::RemoveMember,
                Action::ViewAudit,
            ] {
                assert!(!can(&a, act, ws()), "{r:?} must not {act:?}");
            }
        }
    }

    #[test]
    fn operator_sees_everything_and_changes_nothing() {
        let a = actor(Some(PlatformRole::PlatformOperator), None, None);
        assert!(can(&a, Action::ViewMembers, ws()));
        assert!(can(&a, Action::ViewAudit, Target::Platform));
        for act in [
            Action::Invite,
            Action::AddUser,
            Action::ChangeRole,
            Action::RemoveMember,
            Action::ManageInvitation,
        ] {
            assert!(!can(&a, act, ws()));
        }
        assert!(!can(&a, Action::CreateOrganization, Target::Platform));
        assert!(!can_grant(
            &a,
            Grant::Platform(PlatformRole::PlatformOperator),
            Target::Platform
        ));
    }

    #[test]
    fn org_admins_administer_every_workspace_of_their_org_only() {
        let a = actor(None, Some(OrgRole::OrgAdmin), None);
        assert!(can(&a, Action::AddUser, ws()));
        assert!(can(
            &a,
            Action::CreateWorkspace,
            Target::Organization { org_id: ORG }
        ));
        let foreign = Target::Workspace {
            workspace_id: "ws-9",
            org_id: "org-9",
        };
        assert!(!can(&a, Action::AddUser, foreign));
        let member = actor(None, Some(OrgRole::OrgMember), None);
        assert!(!can(&member, Action::ViewMembers, ws()));
    }

    #[test]
    fn only_platform_admins_grant_platform_roles() {
        let ws_admin = actor(
            None,
            Some(OrgRole::OrgOwner),
            Some(WorkspaceRole::WorkspaceAdmin),
        );
        assert!(!can_grant(
            &ws_admin,
            Grant::Platform(PlatformRole::PlatformAdmin),
            ws()
        ));
        assert!(can_grant(
            &ws_admin,
            Grant::Workspace(WorkspaceRole::WorkspaceAdmin),
            ws()
        ));
        let admin = actor(Some(PlatformRole::PlatformAdmin), None, None);
        assert!(can_grant(
            &admin,
            Grant::Platform(PlatformRole::PlatformAdmin),
            Target::Platform
        ));
        assert!(can(&admin, Action::CreateOrganization, Target::Platform));
        assert!(can(&admin, Action::EraseAccount, Target::Platform));
        assert!(!can(&ws_admin, Action::EraseAccount, Target::Platform));
    }

    fn scope(workspaces: &[(&str, &str)], orgs: &[(&str, OrgRole)]) -> AccountScope {
        AccountScope {
            platform_role: None,
            org_roles: orgs.iter().map(|(o, r)| (o.to_string(), *r)).collect(),
            workspaces: workspaces
                .iter()
                .map(|(w, o)| (w.to_string(), o.to_string()))
                .collect(),
        }
    }

    #[test]
    fn an_admin_manages_only_accounts_wholly_within_their_reach() {
        let ws_admin = actor(None, None, Some(WorkspaceRole::WorkspaceAdmin));
        // Only in the admin's workspace: managed.
        assert!(manages(&ws_admin, &scope(&[(WS, ORG)], &[])));
        // Also in a workspace of another organization: not managed.
        assert!(!manages(
            &ws_admin,
            &scope(&[(WS, ORG), ("ws-9", "org-9")], &[])
        ));
        // Another workspace of the same organization, which this admin does not administer.
        assert!(!manages(
            &ws_admin,
            &scope(&[(WS, ORG), ("ws-2", ORG)], &[])
        ));
        // An organization role the admin does not administer.
        assert!(!manages(
            &ws_admin,
            &scope(&[(WS, ORG)], &[(ORG, OrgRole::OrgMember)])
        ));
        // A platform role: only platform admins.
        let mut operator = scope(&[(WS, ORG)], &[]);
        operator.platform_role = Some(PlatformRole::PlatformOperator);
        assert!(!manages(&ws_admin, &operator));
        // An account that belongs nowhere.
        assert!(!manages(&ws_admin, &AccountScope::default()));

        let org_admin = actor(None, Some(OrgRole::OrgAdmin), None);
        assert!(manages(
            &org_admin,
            &scope(&[(WS, ORG), ("ws-2", ORG)], &[(ORG, OrgRole::OrgAdmin)])
        ));
        assert!(!manages(
            &org_admin,
            &scope(&[(WS, ORG)], &[(ORG, OrgRole::OrgOwner)])
        ));
        let org_owner = actor(None, Some(OrgRole::OrgOwner), None);
        assert!(manages(
            &org_owner,
            &scope(&[(WS, ORG)], &[(ORG, OrgRole::OrgOwner)])
        ));
        assert!(!manages(
            &org_owner,
            &scope(&[(WS, ORG)], &[("org-9", OrgRole::OrgMember)])
        ));

        let platform_admin = actor(Some(PlatformRole::PlatformAdmin), None, None);
        assert!(manages(&platform_admin, &operator));
        assert!(manages(&platform_admin, &AccountScope::default()));
        let platform_operator = actor(Some(PlatformRole::PlatformOperator), None, None);
        assert!(!manages(&platform_operator, &scope(&[(WS, ORG)], &[])));
    }

    #[test]
    fn organization_roles_are_granted_only_up_to_ones_own() {
        let org = Target::Organization { org_id: ORG };
        let owner = actor(None, Some(OrgRole::OrgOwner), None);
        let admin = actor(None, Some(OrgRole::OrgAdmin), None);
        let member = actor(None, Some(OrgRole::OrgMember), None);
        let ws_admin = actor(None, None, Some(WorkspaceRole::WorkspaceAdmin));
        let platform_admin = actor(Some(PlatformRole::PlatformAdmin), None, None);
        let operator = actor(Some(PlatformRole::PlatformOperator), None, None);
        for role in OrgRole::ALL.iter().copied() {
            assert!(can_grant(&owner, Grant::Organization(role), org));
            assert!(can_grant(&platform_admin, Grant::Organization(role), org));
            assert_eq!(
                can_grant(&admin, Grant::Organization(role), org),
                role != OrgRole::OrgOwner
            );
            for nobody in [&member, &ws_admin, &operator] {
                assert!(!can_grant(nobody, Grant::Organization(role), org));
                assert!(!can_change_org_role(nobody, ORG, None, Some(role)));
            }
            // Another organization's roles are not theirs to grant.
            let elsewhere = Target::Organization { org_id: "org-9" };
            assert!(!can_grant(&owner, Grant::Organization(role), elsewhere));
        }
        let (o, a, m) = (
            Some(OrgRole::OrgOwner),
            Some(OrgRole::OrgAdmin),
            Some(OrgRole::OrgMember),
        );
        assert!(can_change_org_role(&admin, ORG, m, a));
        assert!(can_change_org_role(&admin, ORG, a, None));
        assert!(
            !can_change_org_role(&admin, ORG, o, a),
            "an admin demotes no owner"
        );
        assert!(
            !can_change_org_role(&admin, ORG, m, o),
            "an admin makes no owner"
        );
        assert!(can_change_org_role(&owner, ORG, o, m));
        assert!(can(&operator, Action::ViewOrganization, org));
        assert!(!can(&operator, Action::ManageOrgMembers, org));
        assert!(can(&operator, Action::ListPeople, Target::Platform));
        assert!(!can(&admin, Action::ListPeople, Target::Platform));
        assert!(can(&admin, Action::ListPeople, org));
        assert!(!can(&member, Action::ViewOrganization, org));
        assert!(!can(&ws_admin, Action::RenameWorkspace, ws()));
        assert!(can(&admin, Action::RenameWorkspace, ws()));
    }

    #[test]
    fn anonymous_like_actor_can_do_nothing() {
        let a = Actor::default();
        for act in [
            Action::ViewMembers,
            Action::AddUser,
            Action::ViewAudit,
            Action::CreateWorkspace,
        ] {
            assert!(!can(&a, act, ws()));
        }
    }
}
