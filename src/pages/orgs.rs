//! Organizations: the list (with "Create organization" for platform admins) at `/orgs`, and
//! one organization's workspaces and people at `/orgs/{id}`.

use super::members::plural;
use super::ErrorNote;
use crate::api::orgs::{org_members, RemoveOrgMember, RenameWorkspace, SetOrgRole};
use crate::api::workspaces::{list_orgs, CreateOrg, CreateWorkspace};
use crate::components::confirm;
use crate::components::hydration::page_resource;
use crate::components::me::use_me;
use crate::components::scim::ScimPanel;
use crate::components::tokens::TokensPanel;
use crate::components::webhooks::WebhooksPanel;
use crate::domain::{can, can_change_org_role, Action, Actor, OrgRole, Target};
use crate::model::orgs::{OrgPersonDto, OrgWorkspaceDto};
use crate::model::ApiError;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// The first error of a set of server actions, for one inline note.
fn first_error(results: &[Option<Result<(), ApiError>>]) -> Option<String> {
    results
        .iter()
        .flatten()
        .find_map(|r| r.as_ref().err())
        .map(|e| e.error.clone())
}

#[component]
pub fn OrganizationsPage() -> impl IntoView {
    let me = use_me();
    let create = ServerAction::<CreateOrg>::new();
    let orgs = page_resource(move || create.version().get(), |_| list_orgs());
    let error = Signal::derive(move || create.value().get().and_then(|r| r.err()).map(|e| e.error));
    let may_create = move || matches!(me.get(), Some(Ok(Some(ref m))) if can(&m.actor, Action::CreateOrganization, Target::Platform));
    view! {
        <section class="card">
            <h1>"Organizations"</h1>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || orgs.get().map(|r| match r {
                    Err(e) => view! { <p class="error" role="alert">{e.error}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <p class="empty" data-testid="no-orgs">"You administer no organization."</p>
                    }.into_any(),
                    Ok(list) => view! {
                        <ul class="plain" data-testid="org-list">
                            {list.into_iter().map(|o| view! {
                                <li><a href=format!("/orgs/{}", o.id)>{o.name}</a></li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                })}
            </Transition>
            <Show when=may_create>
                <h2>"Create organization"</h2>
                <ActionForm action=create attr:class="form row" attr:data-testid="create-org">
                    <label>"Organization name" <input name="name" required maxlength="100"/></label>
                    <button type="submit" class="button secondary">"Create organization"</button>
                </ActionForm>
                <ErrorNote message=error/>
                <p class="muted">"You become the new organization's owner."</p>
            </Show>
        </section>
    }
}

#[component]
pub fn OrganizationPage() -> impl IntoView {
    let me = use_me();
    let params = use_params_map();
    let org_id = Memo::new(move |_| params.with(|p| p.get("id")).unwrap_or_default());
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || me.get().map(|r| match r {
                Ok(Some(m)) => view! { <Organization org_id=org_id.get() actor=m.actor/> }.into_any(),
                Ok(None) => view! { <section class="card narrow"><p>"Please " <a href="/login">"sign in"</a> "."</p></section> }.into_any(),
                Err(e) => view! { <p class="error">{e.error}</p> }.into_any(),
            })}
        </Transition>
    }
}

#[derive(Clone, Copy)]
struct OrgActions {
    set_role: ServerAction<SetOrgRole>,
    remove: ServerAction<RemoveOrgMember>,
    rename: ServerAction<RenameWorkspace>,
}

#[component]
fn Organization(org_id: String, actor: Actor) -> impl IntoView {
    let actions = OrgActions {
        set_role: ServerAction::new(),
        remove: ServerAction::new(),
        rename: ServerAction::new(),
    };
    let create_ws = ServerAction::<CreateWorkspace>::new();
    let id = org_id.clone();
    let page = page_resource(
        move || {
            (
                actions.set_role.version().get(),
                actions.remove.version().get(),
                actions.rename.version().get(),
                create_ws.version().get(),
            )
        },
        move |_| org_members(id.clone()),
    );
    let error = Signal::derive(move || {
        first_error(&[
            actions.set_role.value().get(),
            actions.remove.value().get(),
            actions.rename.value().get(),
            create_ws.value().get().map(|r| r.map(|_| ())),
        ])
    });
    let target = Target::Organization { org_id: &org_id };
    let may_manage = can(&actor, Action::ManageOrgMembers, target);
    let may_create_ws = can(&actor, Action::CreateWorkspace, target);
    let actor = StoredValue::new(actor);
    let org = StoredValue::new(org_id.clone());
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || page.get().map(|r| match r {
                Err(e) => view! { <section class="card"><p class="error" role="alert">{e.error}</p></section> }.into_any(),
                Ok(p) => {
                    let truncated = p.people.len() as i64 >= p.people_limit;
                    view! {
                        <section class="card">
                            <h1 data-testid="org-name">{p.name.clone()}</h1>
                            <h2>"Workspaces"</h2>
                            <WorkspaceTable workspaces=p.workspaces.clone() rename=actions.rename may_rename=may_manage/>
                            <Show when=move || may_create_ws>
                                <ActionForm action=create_ws attr:class="form row" attr:data-testid="create-workspace">
                                    <input type="hidden" name="org_id" value=org.try_get_value().unwrap_or_default()/>
                                    <label>"New workspace" <input name="name" required maxlength="100"/></label>
                                    <button type="submit" class="button secondary">"Create workspace"</button>
                                </ActionForm>
                            </Show>
                        </section>
                        <section class="card">
                            <h2>"People"</h2>
                            <p class="muted">"Organization owners and admins administer every workspace of the organization. To give someone with no place here yet an organization role, invite them to one of its workspaces with that role."</p>
                            <ErrorNote message=error/>
                            <PeopleTable people=p.people.clone() org_id=org.try_get_value().unwrap_or_default() actor=actor.try_get_value().unwrap_or_default() actions may_manage/>
                            {truncated.then(|| view! { <p class="muted">{format!("Showing the first {} people.", p.people_limit)}</p> })}
                        </section>

                    }.into_any()
                }
            })}
        </Transition>
        // Beside the page's data, not inside it: each panel loads its own.
        {may_manage.then(|| view! {
            <TokensPanel org_id=Some(org.get_value())/>
            <WebhooksPanel org_id=org.get_value()/>
            <ScimPanel org_id=org.get_value()/>
        })}
    }
}

#[component]
fn WorkspaceTable(
    workspaces: Vec<OrgWorkspaceDto>,
    rename: ServerAction<RenameWorkspace>,
    may_rename: bool,
) -> impl IntoView {
    if workspaces.is_empty() {
        return view! { <p class="empty">"No workspaces yet."</p> }.into_any();
    }
    view! {
        <table data-testid="org-workspaces">
            <thead><tr><th>"Name"</th><th>"Members"</th><th>"Invitations"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
            <tbody>
                {workspaces.into_iter().map(|w| {
                    let (id, name) = (w.id.clone(), w.name.clone());
                    view! {
                        <tr>
                            <td><a href=format!("/members?workspace={}", w.id)>{w.name.clone()}</a></td>
                            <td>{plural(w.member_count, "member", "members")}</td>
                            <td>{w.invite_count}</td>
                            <td>
                                <Show when=move || may_rename>
                                    <button class="button secondary small" data-testid="rename-workspace" on:click={
                                        let (id, name) = (id.clone(), name.clone());
                                        move |_| {
                                            let asked = window().prompt_with_message_and_default("New name of the workspace", &name).ok().flatten();
                                            if let Some(new_name) = asked.filter(|n| !n.trim().is_empty() && n.trim() != name) {
                                                rename.dispatch(RenameWorkspace { workspace_id: id.clone(), name: new_name });
                                            }
                                        }
                                    }>"Rename"</button>
                                </Show>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }.into_any()
}

#[component]
fn PeopleTable(
    people: Vec<OrgPersonDto>,
    org_id: String,
    actor: Actor,
    actions: OrgActions,
    may_manage: bool,
) -> impl IntoView {
    if people.is_empty() {
        return view! { <p class="empty">"Nobody has a place in this organization yet."</p> }
            .into_any();
    }
    view! {
        <table data-testid="org-people">
            <thead><tr><th>"Person"</th><th>"Organization role"</th><th>"Workspaces"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
            <tbody>
                {people.into_iter().map(|person| {
                    let grantable: Vec<OrgRole> = OrgRole::ALL.iter().rev().copied()
                        .filter(|r| Some(*r) == person.role || can_change_org_role(&actor, &org_id, person.role, Some(*r)))
                        .collect();
                    let may_change = may_manage && grantable.iter().any(|r| Some(*r) != person.role);
                    let may_remove = may_manage && person.role.is_some() && can_change_org_role(&actor, &org_id, person.role, None);
                    let (org1, org2) = (org_id.clone(), org_id.clone());
                    let (u1, u2) = (person.user_id.clone(), person.user_id.clone());
                    let email = person.email.clone();
                    let current = person.role;
                    view! {
                        <tr data-testid="org-person" data-email=person.email.clone()>
                            <td>
                                <a href=format!("/people/{}", person.user_id)>{person.email.clone()}</a>
                                {(!person.name.is_empty()).then(|| view! { <span class="muted">{format!(" {}", person.name)}</span> })}
                                {person.deactivated.then(|| view! { <span class="badge">"deactivated"</span> })}
                            </td>
                            <td>
                                {if may_change {
                                    view! {
                                        <select aria-label=format!("Organization role of {}", person.email) data-testid="org-role"
                                            on:change=move |ev| {
                                                let role = event_target_value(&ev);
                                                if !role.is_empty() {
                                                    actions.set_role.dispatch(SetOrgRole { org_id: org1.clone(), user_id: u1.clone(), role });
                                                }
                                            }>
                                            {current.is_none().then(|| view! { <option value="" selected>"None"</option> })}
                                            {grantable.into_iter().map(|r| view! {
                                                <option value=r.as_str() selected=Some(r) == current>{r.label()}</option>
                                            }).collect_view()}
                                        </select>
                                    }.into_any()
                                } else {
                                    view! { <span>{current.map_or("None", |r| r.label())}</span> }.into_any()
                                }}
                            </td>
                            <td>{person.workspace_count}</td>
                            <td>
                                <Show when=move || may_remove>
                                    <button class="button danger small" data-testid="org-remove" on:click={
                                        let (org2, u2, email) = (org2.clone(), u2.clone(), email.clone());
                                        move |_| {
                                            if confirm(&format!("Take away {email}'s organization role? Their workspace memberships stay.")) {
                                                actions.remove.dispatch(RemoveOrgMember { org_id: org2.clone(), user_id: u2.clone() });
                                            }
                                        }
                                    }>"Remove role"</button>
                                </Show>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }.into_any()
}
