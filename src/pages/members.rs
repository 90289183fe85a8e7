use super::ErrorNote;
use crate::api::auth::{SessionUser, WorkspaceDto};
use crate::api::members::{list_members, MemberDto, RemoveMember, SetMemberRole};
use crate::api::workspaces::{list_orgs, CreateOrg, CreateWorkspace};
use crate::app::use_me;
use crate::components::add_user::AddUserDialog;
use crate::components::full_reload_to;
use crate::domain::time::format_date;
use crate::domain::{can, Action, Actor, RoleSource, Target, WorkspaceRole};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

#[component]
pub fn MembersPage() -> impl IntoView {
    let me = use_me();
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || me.get().map(|r| match r {
                Ok(Some(me)) => view! { <Members me/> }.into_any(),
                Ok(None) => view! { <section class="card narrow"><p>"Please " <a href="/login">"sign in"</a> "."</p></section> }.into_any(),
                Err(e) => view! { <p class="error">{e.error}</p> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn Members(me: SessionUser) -> impl IntoView {
    let query = use_query_map();
    let first = me.workspaces.first().map(|w| w.id.clone());
    let workspace_id =
        Memo::new(move |_| query.with(|q| q.get("workspace")).or_else(|| first.clone()));
    let all = StoredValue::new(me.workspaces.clone());
    let actor = StoredValue::new(me.actor.clone());
    let workspace = Memo::new(move |_| {
        let id = workspace_id.get()?;
        all.with_value(|ws| ws.iter().find(|w| w.id == id).cloned())
    });

    view! {
        <section class="card">
            <div class="toolbar">
                <h1>"Members"</h1>
                <WorkspaceSwitcher workspaces=me.workspaces.clone() current=workspace_id/>
            </div>
            {move || match workspace.get() {
                Some(ws) => view! { <WorkspaceMembers ws actor=actor.get_value()/> }.into_any(),
                None if workspace_id.get().is_some() => view! {
                    <p class="error" role="alert">"This workspace does not exist or you may not see it."</p>
                }.into_any(),
                None => view! {
                    <p class="empty" data-testid="no-workspaces">"You are not a member of any workspace yet. Ask an admin to add you."</p>
                }.into_any(),
            }}
        </section>
        <CreateSection actor=me.actor.clone()/>
    }
}

#[component]
fn WorkspaceSwitcher(
    workspaces: Vec<WorkspaceDto>,
    current: Memo<Option<String>>,
) -> impl IntoView {
    let navigate = use_navigate();
    if workspaces.len() < 2 {
        return view! { <span class="muted">{workspaces.first().map(|w| format!("{} · {}", w.org_name, w.name))}</span> }.into_any();
    }
    view! {
        <label class="inline">
            <span class="sr-only">"Workspace"</span>
            <select
                data-testid="workspace-switcher"
                on:change=move |ev| navigate(&format!("/members?workspace={}", event_target_value(&ev)), Default::default())
            >
                {workspaces.into_iter().map(|w| {
                    let id = w.id.clone();
                    view! {
                        <option value=w.id.clone() selected=move || current.get().as_deref() == Some(id.as_str())>
                            {format!("{} · {}", w.org_name, w.name)}
                        </option>
                    }
                }).collect_view()}
            </select>
        </label>
    }.into_any()
}

#[component]
fn WorkspaceMembers(ws: WorkspaceDto, actor: Actor) -> impl IntoView {
    let target = Target::Workspace {
        workspace_id: &ws.id,
        org_id: &ws.org_id,
    };
    let may_change = can(&actor, Action::ChangeRole, target);
    let may_remove = can(&actor, Action::RemoveMember, target);
    let may_add = can(&actor, Action::AddUser, target);

    let q = RwSignal::new(String::new());
    let page = RwSignal::new(1_i64);
    let reload = RwSignal::new(0_u32);
    let ws_id = ws.id.clone();
    let members = Resource::new(
        move || (ws_id.clone(), q.get(), page.get(), reload.get()),
        |(ws, q, page, _)| list_members(ws, Some(q), Some(page)),
    );

    let set_role = ServerAction::<SetMemberRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let adding = RwSignal::new(false);
    Effect::new(move |_| {
        set_role.version().get();
        remove.version().get();
        reload.update(|n| *n += 1);
    });
    let action_error = Signal::derive(move || {
        remove
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| set_role.value().get().and_then(|r| r.err()))
            .map(|e| e.error)
    });
    let ws_for_rows = StoredValue::new(ws.id.clone());
    let ws_for_dialog = ws.id.clone();

    view! {
        <div class="toolbar">
            <input
                type="search"
                placeholder="Search by name or email"
                aria-label="Search members"
                data-testid="member-search"
                on:input=move |ev| { q.set(event_target_value(&ev)); page.set(1); }
            />
            <Show when=move || may_add>
                <button class="button" data-testid="add-user" on:click=move |_| adding.set(true)>"Add User"</button>
            </Show>
        </div>
        <Show when=move || adding.get()>
            <AddUserDialog
                workspace_id=ws_for_dialog.clone()
                on_close=Callback::new(move |created: bool| { adding.set(false); if created { reload.update(|n| *n += 1); } })
            />
        </Show>
        <ErrorNote message=action_error/>
        <Transition fallback=|| view! { <p class="muted">"Loading members…"</p> }>
            {move || members.get().map(|r| match r {
                Err(e) => view! { <p class="error" role="alert">{e.error}</p> }.into_any(),
                Ok(p) if p.members.is_empty() => view! {
                    <p class="empty">{if q.get_untracked().is_empty() { "No members yet." } else { "Nobody matches this search." }}</p>
                }.into_any(),
                Ok(p) => {
                    let pages = ((p.total + p.page_size - 1) / p.page_size).max(1);
                    let current = p.page;
                    view! {
                        <div class="table-wrap">
                            <table data-testid="members-table">
                                <thead><tr><th>"Name"</th><th>"Email"</th><th>"Role"</th><th>"Source"</th><th>"Joined"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                                <tbody>
                                    {p.members.into_iter().map(|m| view! {
                                        <MemberRow m ws_id=ws_for_rows.get_value() may_change may_remove set_role remove/>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        <div class="pager">
                            <span class="muted">{format!("{} member(s) · page {current} of {pages}", p.total)}</span>
                            <button class="button secondary" disabled=current <= 1 on:click=move |_| page.set(current - 1)>"Previous"</button>
                            <button class="button secondary" disabled=current >= pages on:click=move |_| page.set(current + 1)>"Next"</button>
                        </div>
                    }.into_any()
                }
            })}
        </Transition>
    }
}

#[component]
fn MemberRow(
    m: MemberDto,
    ws_id: String,
    may_change: bool,
    may_remove: bool,
    set_role: ServerAction<SetMemberRole>,
    remove: ServerAction<RemoveMember>,
) -> impl IntoView {
    let user_id = m.user_id.clone();
    let ws_for_role = ws_id.clone();
    let uid_for_role = user_id.clone();
    let email = m.email.clone();
    let current_role = m.role;
    let role_cell = if may_change {
        view! {
            <select
                aria-label=format!("Role of {}", m.email)
                on:change=move |ev| {
                    set_role.dispatch(SetMemberRole { workspace_id: ws_for_role.clone(), user_id: uid_for_role.clone(), role: event_target_value(&ev) });
                }
            >
                {WorkspaceRole::ALL.iter().rev().map(|r| view! {
                    <option value=r.as_str() selected=*r == current_role>{r.label()}</option>
                }).collect_view()}
            </select>
        }.into_any()
    } else {
        view! { <span>{current_role.label()}</span> }.into_any()
    };
    let source = match m.role_source {
        RoleSource::Manual => "manual",
        RoleSource::Invite => "invitation",
        RoleSource::Idp => "identity provider",
        RoleSource::AdminCreate => "added by admin",
    };
    view! {
        <tr data-testid="member-row" data-email=m.email.clone()>
            <td>{if m.name.is_empty() { "—".to_string() } else { m.name.clone() }}</td>
            <td>{m.email.clone()}</td>
            <td>{role_cell}</td>
            <td><span class="badge">{source}</span></td>
            <td class="nowrap">{format_date(m.joined_at)}</td>
            <td>
                <Show when=move || may_remove>
                    {
                        let (ws_id, user_id, email) = (ws_id.clone(), user_id.clone(), email.clone());
                        view! {
                            <button class="button danger small" on:click=move |_| {
                                let ok = window().confirm_with_message(&format!("Remove {email} from this workspace?")).unwrap_or(false);
                                if ok {
                                    remove.dispatch(RemoveMember { workspace_id: ws_id.clone(), user_id: user_id.clone() });
                                }
                            }>"Remove"</button>
                        }
                    }
                </Show>
            </td>
        </tr>
    }
}

/// Create an organization (platform admins) or a workspace (platform admins, org owners/admins).
#[component]
fn CreateSection(actor: Actor) -> impl IntoView {
    let may_create_org = can(&actor, Action::CreateOrganization, Target::Platform);
    let may_create_ws = may_create_org
        || actor.org_roles.iter().any(|(id, _)| {
            can(
                &actor,
                Action::CreateWorkspace,
                Target::Organization { org_id: id },
            )
        });
    if !may_create_ws {
        return ().into_any();
    }
    let orgs = Resource::new(|| (), |_| list_orgs());
    let create_ws = ServerAction::<CreateWorkspace>::new();
    let create_org = ServerAction::<CreateOrg>::new();
    Effect::new(move |_| {
        if let Some(Ok(ws)) = create_ws.value().get() {
            full_reload_to(&format!("/members?workspace={}", ws.id));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = create_org.value().get() {
            orgs.refetch();
        }
    });
    let ws_error = Signal::derive(move || {
        create_ws
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.error)
    });
    let org_error = Signal::derive(move || {
        create_org
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.error)
    });
    view! {
        <section class="card">
            <h2>"Create"</h2>
            <ActionForm action=create_ws attr:class="form row">
                <label>"Organization"
                    <select name="org_id" required>
                        <Transition fallback=|| ()>
                            {move || orgs.get().and_then(|r| r.ok()).map(|list| list.into_iter().map(|o| view! {
                                <option value=o.id>{o.name}</option>
                            }).collect_view())}
                        </Transition>
                    </select>
                </label>
                <label>"Workspace name" <input name="name" required maxlength="100"/></label>
                <button type="submit" class="button secondary">"Create workspace"</button>
            </ActionForm>
            <ErrorNote message=ws_error/>
            <Show when=move || may_create_org>
                <ActionForm action=create_org attr:class="form row">
                    <label>"Organization name" <input name="name" required maxlength="100"/></label>
                    <button type="submit" class="button secondary">"Create organization"</button>
                </ActionForm>
                <ErrorNote message=org_error/>
            </Show>
        </section>
    }.into_any()
}
