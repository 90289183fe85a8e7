//! The people list (`/people`) and a person's page (`/people/{id}`): who may see whom is
//! decided by `domain::can` on what the server loaded; the actions offered by `manages`.

use crate::domain::{can, manages, Action, Target};
use crate::model::people::{
    AccountFacts, PeoplePage, PersonMembership, PersonOrgRole, PersonPage, PEOPLE_PAGE_SIZE,
};
use crate::server::auth::Caller;
use crate::server::db::people::{self, PeopleScope, PeopleStatus, PersonRow};
use crate::server::db::{audit, now, users};
use crate::server::AppError;

/// How many audit entries a person's page shows.
const PERSON_AUDIT_ENTRIES: i64 = 20;

fn facts(r: PersonRow, now: i64) -> AccountFacts {
    AccountFacts {
        temporary_password_expired: r.must_change_password
            && r.temp_password_expires_at.is_some_and(|at| at <= now),
        id: r.id,
        email: r.email,
        name: r.name,
        platform_role: r.platform_role,
        deactivated: r.disabled_at.is_some(),
        must_change_password: r.must_change_password,
        has_password: r.has_password != 0,
        linked_identities: r.identity_count,
        last_sign_in_at: r.last_sign_in_at,
        membership_count: r.membership_count,
    }
}

pub struct ListPeople {
    pub search: String,
    pub status: PeopleStatus,
    pub after: Option<String>,
}

/// Every account for platform admins and operators; for owners and admins of organizations,
/// the people with a place in those organizations; 403 for everyone else.
pub async fn list(caller: &Caller, request: ListPeople) -> Result<PeoplePage, AppError> {
    let actor = caller.actor().await?;
    let everyone = can(actor, Action::ListPeople, Target::Platform);
    let administers_an_org = actor
        .org_roles
        .iter()
        .any(|(org_id, _)| can(actor, Action::ListPeople, Target::Organization { org_id }));
    let scope = match (everyone, administers_an_org) {
        (true, _) => PeopleScope::Everyone,
        (false, true) => PeopleScope::OrganizationsOf(&caller.user.id),
        (false, false) => return Err(AppError::Forbidden(
            "only platform admins and operators, and organization owners and admins, see people",
        )),
    };
    let now = now();
    let mut rows = people::list(
        &caller.state.db,
        scope,
        &request.search,
        request.status,
        request.after.as_deref(),
        PEOPLE_PAGE_SIZE,
        now,
    )
    .await?;
    let next = if rows.len() as i64 > PEOPLE_PAGE_SIZE {
        rows.truncate(PEOPLE_PAGE_SIZE as usize);
        rows.last().map(|r| r.email.clone())
    } else {
        None
    };
    Ok(PeoplePage {
        // An organization admin sees their organizations' people, not whether one of them
        // also holds a platform role.
        people: rows
            .into_iter()
            .map(|r| facts(r, now))
            .map(|mut a| {
                if !everyone {
                    a.platform_role = None;
                }
                a
            })
            .collect(),
        next,
        everyone,
    })
}

/// A person as the caller may see them: 404 unless the caller sees every account, is that
/// person, or administers a workspace or an organization the person belongs to (a mere member
/// of a shared workspace sees the members list, not the account's sign-in facts).
pub async fn get(caller: &Caller, user_id: &str) -> Result<PersonPage, AppError> {
    let db = &caller.state.db;
    let not_found = || AppError::NotFound("no such person, or not one you may see");
    let person = people::get(db, user_id).await?.ok_or_else(not_found)?;
    let actor = caller.actor().await?;
    let sees_everyone = can(actor, Action::ListPeople, Target::Platform);
    let all_memberships = people::memberships(db, &person.id).await?;
    let total_memberships = all_memberships.len();
    let administers_a_place_of_theirs = all_memberships.iter().any(|m| {
        can(
            actor,
            Action::RemoveMember,
            Target::Workspace {
                workspace_id: &m.workspace_id,
                org_id: &m.org_id,
            },
        ) || can(
            actor,
            Action::ViewOrganization,
            Target::Organization { org_id: &m.org_id },
        )
    });
    let memberships: Vec<PersonMembership> = all_memberships
        .into_iter()
        .filter_map(|m| {
            let target = Target::Workspace {
                workspace_id: &m.workspace_id,
                org_id: &m.org_id,
            };
            if !can(actor, Action::ViewMembers, target) {
                return None;
            }
            let may_change_role = can(actor, Action::ChangeRole, target);
            let may_remove = can(actor, Action::RemoveMember, target);
            Some(PersonMembership {
                may_change_role,
                may_remove,
                workspace_id: m.workspace_id,
                workspace_name: m.workspace_name,
                org_id: m.org_id,
                org_name: m.org_name,
                role: m.role,
                role_source: m.role_source,
                joined_at: m.joined_at,
            })
        })
        .collect();
    let org_roles: Vec<PersonOrgRole> = people::org_roles(db, &person.id)
        .await?
        .into_iter()
        .filter(|o| {
            can(
                actor,
                Action::ViewOrganization,
                Target::Organization { org_id: &o.org_id },
            )
        })
        .map(|o| PersonOrgRole {
            org_id: o.org_id,
            org_name: o.org_name,
            role: o.role,
        })
        .collect();
    let is_self = person.id == caller.user.id;
    if !(sees_everyone || is_self || administers_a_place_of_theirs || !org_roles.is_empty()) {
        return Err(not_found());
    }
    let scope = users::account_scope(db, &person.id, &person.email).await?;
    let may_manage = !is_self && manages(actor, &scope);
    let may_erase = !is_self && can(actor, Action::EraseAccount, Target::Platform);
    let about = audit::AboutPerson {
        user_id: &person.id,
        email: &person.email,
        with_account_events: may_manage,
    };
    let audit_rows =
        crate::server::audit::about_person(caller, about, PERSON_AUDIT_ENTRIES).await?;
    let now = now();
    Ok(PersonPage {
        email_proven: person.email_verified_at.is_some(),
        created_at: person.created_at,
        hidden_memberships: total_memberships - memberships.len(),
        memberships,
        org_roles,
        audit: audit_rows
            .into_iter()
            .map(crate::server::audit::entry)
            .collect(),
        may_manage,
        may_erase,
        is_self,
        account: facts(person, now),
    })
}
