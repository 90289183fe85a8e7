use super::ErrorNote;
use crate::api::admin::{DeactivateUser, EraseUser, ReactivateUser, ResetPassword};
use crate::api::invites::{CancelInvite, InviteLink, ResendInvite};
use crate::api::members::{bulk_members, list_members, RemoveMember, SetMemberRole};
use crate::components::add_user::AddUserDialog;
use crate::components::invite::InviteDialog;
use crate::components::me::use_me;
use crate::components::my_invitation::MyInvitation;
use crate::components::WorkspaceRoleOptions;
use crate::components::{confirm, copy_to_clipboard};
use crate::domain::time::{format_date, format_utc};
use crate::domain::{
    can, can_grant, Action, Actor, Grant, OrgRole, RoleSource, Target, WorkspaceRole,
};
use crate::model::auth::{SessionUser, WorkspaceDto};
use crate::model::members::{BulkResult, Delivery, MemberDto, MemberStatus, StatusCounts};
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
    let email_enabled = me.email_enabled;
    let workspace = Memo::new(move |_| {
        let id = workspace_id.get()?;
        all.with_value(|ws| ws.iter().find(|w| w.id == id).cloned())
    });

    view! {
        <MyInvitation/>
        <section class="card">
            <div class="toolbar">
                <h1>"Members"</h1>
                <WorkspaceSwitcher workspaces=me.workspaces.clone() current=workspace_id/>
            </div>
            // `try_get_value`: on the server this closure can still run after a client left
            // mid-page and the page's owner was disposed; that render is thrown away, and must
            // not panic a worker.
            {move || match workspace.get() {
                Some(ws) => view! { <WorkspaceMembers ws actor=actor.try_get_value().unwrap_or_default() all=all.try_get_value().unwrap_or_default() email_enabled/> }.into_any(),
                None if workspace_id.get().is_some() => view! {
                    <p class="error" role="alert">"This workspace does not exist or you may not see it."</p>
                }.into_any(),
                None => view! {
                    <p class="empty" data-testid="no-workspaces">"You are not a member of any workspace yet. Ask an admin to add you."</p>
                }.into_any(),
            }}
        </section>
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
fn WorkspaceMembers(
    ws: WorkspaceDto,
    actor: Actor,
    all: Vec<WorkspaceDto>,
    email_enabled: bool,
) -> impl IntoView {
    let target = Target::Workspace {
        workspace_id: &ws.id,
        org_id: &ws.org_id,
    };
    let may = Permissions {
        erase: can(&actor, Action::EraseAccount, Target::Platform),
        change: can(&actor, Action::ChangeRole, target),
        remove: can(&actor, Action::RemoveMember, target),
        manage_invites: can(&actor, Action::ManageInvitation, target),
        sign_ins: can(&actor, Action::ViewAudit, target),
    };
    let may_add = can(&actor, Action::AddUser, target);
    let may_invite = can(&actor, Action::Invite, target);
    // Other workspaces this person may invite to, offered as extras in the invite dialog.
    let invite_targets: Vec<WorkspaceDto> = all
        .into_iter()
        .filter(|w| {
            w.id != ws.id
                && can(
                    &actor,
                    Action::Invite,
                    Target::Workspace {
                        workspace_id: &w.id,
                        org_id: &w.org_id,
                    },
                )
        })
        .collect();
    let may_grant_platform = can(&actor, Action::GrantPlatformRole, Target::Platform);
    let org_target = Target::Organization { org_id: &ws.org_id };
    let grantable_org_roles: Vec<OrgRole> = OrgRole::ALL
        .iter()
        .copied()
        .filter(|r| can_grant(&actor, Grant::Organization(*r), org_target))
        .collect();

    let q = RwSignal::new(String::new());
    let status = RwSignal::new("all".to_string());
    let role = RwSignal::new("all".to_string());
    let sort = RwSignal::new("email".to_string());
    // The `after` cursor of every page visited so far: the last is the page shown; Previous
    // pops it (keyset pages can only be walked forward on the server).
    let pages = RwSignal::new(vec![None::<String>]);
    let reload = RwSignal::new(0_u32);
    let ws_id = ws.id.clone();
    let members = Resource::new(
        move || {
            (
                ws_id.clone(),
                (q.get(), status.get(), role.get(), sort.get()),
                pages.with(|p| p.last().cloned().flatten()),
                reload.get(),
            )
        },
        |(ws, (q, status, role, sort), after, _)| {
            list_members(ws, Some(q), Some(status), Some(role), Some(sort), after)
        },
    );
    // The counts per status of the last page read, for the status filter's options.
    let counts = RwSignal::new(None::<StatusCounts>);
    Effect::new(move |_| {
        if let Some(Ok(p)) = members.get() {
            counts.set(Some(p.counts));
        }
    });
    let status_option = move |value: &'static str, label: &'static str| {
        view! {
            <option value=value>{move || match counts.get() {
                Some(c) => format!("{label} ({})", c.of(value)),
                None => label.to_string(),
            }}</option>
        }
    };
    // A new filter or order starts again from the first page.
    let refilter = move |signal: RwSignal<String>, value: String| {
        signal.set(value);
        pages.set(vec![None]);
    };

    let selected = RwSignal::new(Vec::<String>::new());
    let all_matching = RwSignal::new(false);
    let bulk_note = RwSignal::new(None::<String>);
    let actions = RowActions {
        selected,
        set_role: ServerAction::<SetMemberRole>::new(),
        remove: ServerAction::<RemoveMember>::new(),
        resend: ServerAction::<ResendInvite>::new(),
        cancel: ServerAction::<CancelInvite>::new(),
        link: ServerAction::<InviteLink>::new(),
        deactivate: ServerAction::<DeactivateUser>::new(),
        reactivate: ServerAction::<ReactivateUser>::new(),
        reset: ServerAction::<ResetPassword>::new(),
        erase: ServerAction::<EraseUser>::new(),
    };
    let adding = RwSignal::new(false);
    let inviting = RwSignal::new(false);
    Effect::new(move |_| {
        actions.set_role.version().get();
        actions.remove.version().get();
        actions.resend.version().get();
        actions.cancel.version().get();
        actions.deactivate.version().get();
        actions.reactivate.version().get();
        actions.erase.version().get();
        reload.update(|n| *n += 1);
    });
    let action_error = Signal::derive(move || {
        let err =
            |e: Option<Result<_, crate::model::ApiError>>| e.and_then(|r| r.err()).map(|e| e.error);
        err(actions.remove.value().get().map(|r| r.map(|_| ())))
            .or_else(|| err(actions.set_role.value().get().map(|r| r.map(|_| ()))))
            .or_else(|| err(actions.resend.value().get().map(|r| r.map(|_| ()))))
            .or_else(|| err(actions.cancel.value().get().map(|r| r.map(|_| ()))))
            .or_else(|| err(actions.link.value().get().map(|r| r.map(|_| ()))))
            .or_else(|| err(actions.deactivate.value().get().map(|r| r.map(|_| ()))))
            .or_else(|| err(actions.reactivate.value().get().map(|r| r.map(|_| ()))))
            .or_else(|| err(actions.reset.value().get().map(|r| r.map(|_| ()))))
            .or_else(|| err(actions.erase.value().get()))
    });
    let account_changed = Signal::derive(move || {
        let said = |r: Option<
            Result<crate::model::admin::AccountStatus, crate::model::ApiError>,
        >| {
            r.and_then(|r| r.ok()).map(|a| {
                if a.deactivated {
                    format!("{} is deactivated: signed out everywhere, and cannot sign in until reactivated.", a.email)
                } else {
                    format!("{} is reactivated and can sign in again.", a.email)
                }
            })
        };
        said(actions.deactivate.value().get()).or_else(|| said(actions.reactivate.value().get()))
    });
    let reset = Signal::derive(move || actions.reset.value().get().and_then(|r| r.ok()));
    let resent = Signal::derive(move || {
        actions
            .resend
            .value()
            .get()
            .and_then(|r| r.ok())
            .map(|exp| format!("Invitation sent again; it now expires {}.", format_utc(exp)))
    });
    let link = Signal::derive(move || actions.link.value().get().and_then(|r| r.ok()));
    let ws_for_rows = StoredValue::new(ws.id.clone());
    let ws_for_add = ws.id.clone();
    let ws_for_invite = ws.clone();
    let ws_for_export = ws.id.clone();
    // The export takes the list's own filter: what the page shows, every page of it.
    let export_href = move || {
        let query = serde_urlencoded::to_string([
            ("workspace_id", ws_for_export.as_str()),
            ("q", q.get().trim()),
            ("status", status.get().as_str()),
            ("role", role.get().as_str()),
            ("sort", sort.get().as_str()),
        ])
        .unwrap_or_default();
        format!("/api/members/export.csv?{query}")
    };

    view! {
        <div class="toolbar">
            <input
                type="search"
                placeholder="Search by name or email"
                aria-label="Search members"
                data-testid="member-search"
                on:input=move |ev| { q.set(event_target_value(&ev)); pages.set(vec![None]); }
            />
            <label class="inline">
                <span class="sr-only">"Status"</span>
                <select data-testid="status-filter" on:change=move |ev| refilter(status, event_target_value(&ev))>
                    {status_option("all", "Everyone")}
                    {status_option("active", "Active")}
                    {status_option("deactivated", "Deactivated")}
                    {status_option("pending", "Pending invitations")}
                    {status_option("expired", "Expired invitations")}
                </select>
            </label>
            <label class="inline">
                <span class="sr-only">"Role"</span>
                <select data-testid="role-filter" on:change=move |ev| refilter(role, event_target_value(&ev))>
                    <option value="all">"Any role"</option>
                    <option value="workspace_admin">"Admins"</option>
                    <option value="workspace_editor">"Editors"</option>
                    <option value="workspace_viewer">"Viewers"</option>
                </select>
            </label>
            <label class="inline">
                <span class="sr-only">"Order"</span>
                <select data-testid="sort" on:change=move |ev| refilter(sort, event_target_value(&ev))>
                    {SORTS.iter()
                        .filter(|(value, _)| may.sign_ins || !value.ends_with("last_sign_in"))
                        .map(|(value, label)| view! { <option value=*value>{*label}</option> })
                        .collect_view()}
                </select>
            </label>
            <div class="row">
                <Show when=move || may_invite>
                    <button class="button" data-testid="invite" on:click=move |_| inviting.set(true)>"Invite"</button>
                </Show>
                <Show when=move || may_add>
                    <button class="button secondary" data-testid="add-user" on:click=move |_| adding.set(true)>"Add User"</button>
                </Show>
                <a class="button secondary" data-testid="members-export" download href=export_href>"Export CSV"</a>
            </div>
        </div>
        <BulkBar ws_id=ws.id.clone() selected all_matching q status role_filter=role note=bulk_note reload
            members=may.remove invitations=may.manage_invites/>
        <Show when=move || may_invite && !email_enabled>
            <p class="notice">"Email is off on this Roster: after inviting, use “Copy link” on the pending row and send the link yourself."</p>
        </Show>
        <Show when=move || adding.get()>
            <AddUserDialog
                workspace_id=ws_for_add.clone()
                on_close=Callback::new(move |created: bool| { adding.set(false); if created { reload.update(|n| *n += 1); } })
            />
        </Show>
        <Show when=move || inviting.get()>
            <InviteDialog
                workspace=ws_for_invite.clone()
                others=invite_targets.clone()
                may_grant_platform
                org_roles=grantable_org_roles.clone()
                on_close=Callback::new(move |changed: bool| { inviting.set(false); if changed { reload.update(|n| *n += 1); } })
            />
        </Show>
        <ErrorNote message=action_error/>
        <Show when=move || resent.get().is_some()>
            <p class="notice" role="status">{move || resent.get()}</p>
        </Show>
        <Show when=move || link.get().is_some()>
            <div class="notice" role="status">
                <p>"New invitation link (earlier links no longer work). Send it to the invitee yourself:"</p>
                <div class="row">
                    <input readonly class="mono" data-testid="invite-link" prop:value=move || link.get().unwrap_or_default()/>
                    <button class="button secondary" on:click=move |_| {
                        if let Some(l) = link.get_untracked() { copy_to_clipboard(&l); }
                    }>"Copy"</button>
                </div>
            </div>
        </Show>
        <Show when=move || account_changed.get().is_some()>
            <p class="notice" role="status" data-testid="account-changed">{move || account_changed.get()}</p>
        </Show>
        <Show when=move || reset.get().is_some()>
            <div class="notice" role="status" data-testid="password-reset">
                {move || reset.get().map(|r| view! {
                    <p>{format!(
                        "{} has a new temporary password, valid until {}: they must choose their own at their next sign-in, and every session of theirs has ended.{}",
                        r.email,
                        format_utc(r.expires_at),
                        if r.added_password_sign_in { " They signed in only with Google until now: they can now also sign in with this password." } else { "" }
                    )}</p>
                    {r.generated_password.map(|p| view! {
                        <div class="row">
                            <input readonly class="mono" aria-label="Temporary password" data-testid="reset-password-value" prop:value=p.clone()/>
                            <button class="button secondary" on:click=move |_| copy_to_clipboard(&p)>"Copy"</button>
                        </div>
                        <p class="muted small">"Shown once: Roster keeps only a hash of it."</p>
                    })}
                })}
            </div>
        </Show>
        <Transition fallback=|| view! { <p class="muted">"Loading members…"</p> }>
            {move || members.get().map(|r| match r {
                Err(e) => view! { <p class="error" role="alert">{e.error}</p> }.into_any(),
                // A later page can empty itself (its last rows removed): offer the way back.
                Ok(p) if p.members.is_empty() && pages.with_untracked(|p| p.len() > 1) => view! {
                    <p class="empty">"Nothing more on this page."</p>
                    <button class="button secondary" on:click=move |_| pages.set(vec![None])>"Back to the first page"</button>
                }.into_any(),
                Ok(p) if p.members.is_empty() => view! {
                    <p class="empty">{if q.get_untracked().is_empty() && status.get_untracked() == "all" && role.get_untracked() == "all" { "No members yet." } else { "Nobody matches." }}</p>
                }.into_any(),
                Ok(p) => {
                    let current = pages.with_untracked(|p| p.len());
                    let next = p.next.clone();
                    let has_next = next.is_some();
                    let counts = format!(
                        "{} · {} · page {current}",
                        plural(p.member_count, "member", "members"),
                        plural(p.invite_count, "invitation", "invitations"),
                    );
                    view! {
                        <div class="table-wrap">
                            <table class="cards" data-testid="members-table">
                                <thead><tr><th class="select">{
                                    let keys = row_keys(&p.members, may);
                                    let all_ticked = {
                                        let keys = keys.clone();
                                        move || !keys.is_empty() && selected.with(|s| keys.iter().all(|k| s.contains(k)))
                                    };
                                    let has_keys = !keys.is_empty();
                                    view! {
                                        <input type="checkbox" data-testid="select-page" aria-label="Select every row on this page"
                                            disabled=!has_keys prop:checked=all_ticked
                                            on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                selected.update(|s| {
                                                    s.retain(|k| !keys.contains(k));
                                                    if on { s.extend(keys.iter().cloned()); }
                                                });
                                            }/>
                                    }
                                }</th>
                                    {[("Name", "name"), ("Email", "email"), ("Role", "role"), ("Status", "status"), ("Since", "joined"), ("Last sign-in", "last_sign_in")]
                                        .into_iter()
                                        .filter(|(_, field)| may.sign_ins || *field != "last_sign_in")
                                        .map(|(title, field)| view! { <th aria-sort=move || aria_sort(&sort.get(), field)>{title}</th> })
                                        .collect_view()}
                                    <th><span class="sr-only">"Actions"</span></th></tr></thead>
                                <tbody>
                                    {p.members.into_iter().map(|m| view! {
                                        <MemberRow m ws_id=ws_for_rows.try_get_value().unwrap_or_default() may actions/>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        <div class="pager">
                            <span class="muted" data-testid="member-counts">{counts}</span>
                            <button class="button secondary" disabled=current <= 1 on:click=move |_| pages.update(|p| { p.pop(); })>"Previous"</button>
                            <button class="button secondary" data-testid="next-page" disabled=!has_next on:click=move |_| {
                                if let Some(n) = next.clone() { pages.update(|p| p.push(Some(n))); }
                            }>"Next"</button>
                        </div>
                    }.into_any()
                }
            })}
        </Transition>
    }
}

/// The orders the list offers (the API's `sort` values).
const SORTS: &[(&str, &str)] = &[
    ("email", "Email, A to Z"),
    ("-email", "Email, Z to A"),
    ("name", "Name, A to Z"),
    ("-name", "Name, Z to A"),
    ("role", "Role, admins first"),
    ("-role", "Role, viewers first"),
    ("status", "Status, active first"),
    ("-status", "Status, expired first"),
    ("-joined", "Joined, newest first"),
    ("joined", "Joined, oldest first"),
    ("-last_sign_in", "Last sign-in, most recent first"),
    ("last_sign_in", "Last sign-in, longest ago first"),
];

/// The `aria-sort` of a column header under the list's current `sort`.
fn aria_sort(sort: &str, field: &str) -> Option<&'static str> {
    match sort.strip_prefix('-') {
        Some(f) if f == field => Some("descending"),
        None if sort == field => Some("ascending"),
        _ => None,
    }
}

#[derive(Clone, Copy)]
struct Permissions {
    /// Platform admins: erase an account.
    erase: bool,
    change: bool,
    remove: bool,
    manage_invites: bool,
    /// When members last signed in (shown to those who may read the audit log).
    sign_ins: bool,
}

#[derive(Clone, Copy)]
struct RowActions {
    /// The rows ticked for a bulk action: `u:<user id>` for members, `i:<email>` for
    /// invitations.
    selected: RwSignal<Vec<String>>,
    set_role: ServerAction<SetMemberRole>,
    remove: ServerAction<RemoveMember>,
    resend: ServerAction<ResendInvite>,
    cancel: ServerAction<CancelInvite>,
    link: ServerAction<InviteLink>,
    deactivate: ServerAction<DeactivateUser>,
    reactivate: ServerAction<ReactivateUser>,
    reset: ServerAction<ResetPassword>,
    erase: ServerAction<EraseUser>,
}

#[component]
fn MemberRow(m: MemberDto, ws_id: String, may: Permissions, actions: RowActions) -> impl IntoView {
    match m.user_id.clone() {
        Some(user_id) => view! { <ActiveRow m user_id ws_id may actions/> }.into_any(),
        None => view! { <InviteRow m ws_id may actions/> }.into_any(),
    }
}

#[component]
fn ActiveRow(
    m: MemberDto,
    user_id: String,
    ws_id: String,
    may: Permissions,
    actions: RowActions,
) -> impl IntoView {
    let current_role = m.role;
    let email = m.email.clone();
    let managed_by_idp = m.role_source == RoleSource::Idp;
    let managed_by_scim = m.role_source == RoleSource::Scim;
    let deactivated = m.status == MemberStatus::Deactivated;
    let (erase_email, erase_id) = (m.email.clone(), user_id.clone());
    let role_cell = {
        let (ws_id, user_id) = (ws_id.clone(), user_id.clone());
        if may.change {
            view! {
                <select
                    aria-label=format!("Role of {}", m.email)
                    on:change=move |ev| {
                        let select = event_target::<web_sys::HtmlSelectElement>(&ev);
                        if managed_by_idp && !confirm(
                            "This role is managed by the identity provider: the next sign-in will set it back. Change it anyway?",
                        ) || managed_by_scim && !confirm(
                            "This role was set by SCIM provisioning from the organization's groups. Changed by hand, it becomes yours and SCIM no longer changes it. Change it anyway?",
                        ) {
                            select.set_value(current_role.as_str());
                            return;
                        }
                        actions.set_role.dispatch(SetMemberRole { workspace_id: ws_id.clone(), user_id: user_id.clone(), role: select.value() });
                    }
                >
                    <WorkspaceRoleOptions selected=current_role/>
                </select>
            }.into_any()
        } else {
            view! { <span>{current_role.label()}</span> }.into_any()
        }
    };
    let source = match m.role_source {
        RoleSource::Manual => "set by admin",
        RoleSource::Invite => "invitation",
        RoleSource::Idp => "identity provider",
        RoleSource::AdminCreate => "added by admin",
        RoleSource::Scim => "SCIM",
    };
    view! {
        <tr data-testid="member-row" data-email=m.email.clone() data-status=if deactivated { "deactivated" } else { "active" }>
            <td class="select">{may.remove.then(|| view! { <SelectBox key=format!("u:{user_id}") label=m.email.clone() selected=actions.selected/> })}</td>
            <td data-label="Name">{if m.name.is_empty() { "—".to_string() } else { m.name.clone() }}</td>
            <td data-label="Email">{if may.remove {
                view! { <a href=format!("/people/{user_id}") data-testid="person-link">{m.email.clone()}</a> }.into_any()
            } else {
                view! { <span>{m.email.clone()}</span> }.into_any()
            }}</td>
            <td data-label="Role">
                {role_cell} " "
                <span class=if managed_by_idp || managed_by_scim { "badge idp" } else { "badge" } data-testid="role-source"
                    title=if managed_by_idp { "Set from the identity provider at every sign-in" } else if managed_by_scim { "Set by SCIM provisioning from the organization's group mappings" } else { "Where this role comes from" }>
                    {source}
                </span>
            </td>
            <td data-label="Status">{if deactivated {
                view! { <span class="badge warn">"Deactivated"</span> }.into_any()
            } else {
                view! { <span class="badge ok">"Active"</span> }.into_any()
            }}</td>
            <td class="nowrap" data-label="Since">{format_date(m.at)}</td>
            {may.sign_ins.then(|| view! {
                <td class="nowrap" data-label="Last sign-in">{m.last_sign_in_at.map(format_date).unwrap_or_else(|| "never".into())}</td>
            })}
            <td class="actions">
                // Permissions are fixed for the page: plain conditionals instead of reactive
                // `Show`s keep 50 rows cheap to render on the server. Whether the caller
                // manages the account (for deactivation and resets) is decided by the server.
                {may.remove.then(move || {
                    let (e1, e2, e3) = (email.clone(), email.clone(), email.clone());
                    let (u1, u2, u3) = (user_id.clone(), user_id.clone(), user_id.clone());
                    view! {
                        <button class="button secondary small" data-testid="reset-password" on:click=move |_| {
                            if confirm(&format!("Give {e2} a new temporary password? They are signed out everywhere and must choose their own at the next sign-in. (If they sign in only with Google, this adds password sign-in.)")) {
                                actions.reset.dispatch(ResetPassword { user_id: u2.clone(), password: None });
                            }
                        }>"Reset password"</button>
                        {if deactivated {
                            view! {
                                <button class="button secondary small" data-testid="reactivate" on:click=move |_| {
                                    actions.reactivate.dispatch(ReactivateUser { user_id: u3.clone() });
                                }>"Reactivate"</button>
                            }.into_any()
                        } else {
                            view! {
                                <button class="button danger small" data-testid="deactivate" on:click=move |_| {
                                    if confirm(&format!("Deactivate {e3}? They are signed out everywhere and cannot sign in until reactivated.")) {
                                        actions.deactivate.dispatch(DeactivateUser { user_id: u3.clone() });
                                    }
                                }>"Deactivate"</button>
                            }.into_any()
                        }}
                        <button class="button danger small" on:click=move |_| {
                            if confirm(&format!("Remove {e1} from this workspace?")) {
                                actions.remove.dispatch(RemoveMember { workspace_id: ws_id.clone(), user_id: u1.clone() });
                            }
                        }>"Remove"</button>
                    }
                })}
                {may.erase.then(move || {
                    let (email, user_id) = (erase_email.clone(), erase_id.clone());
                    view! {
                        <button class="button danger small" data-testid="erase" on:click=move |_| {
                            // Typed confirmation: erasing cannot be undone.
                            let typed = window()
                                .prompt_with_message(&format!("Erase {email} for good? Their account, memberships and sign-in methods are deleted and the audit log keeps only a tombstone. Type the email to confirm."))
                                .ok()
                                .flatten();
                            if typed.as_deref().map(str::trim) == Some(email.as_str()) {
                                actions.erase.dispatch(EraseUser { user_id: user_id.clone() });
                            }
                        }>"Erase"</button>
                    }
                })}
            </td>
        </tr>
    }
}

#[component]
fn InviteRow(m: MemberDto, ws_id: String, may: Permissions, actions: RowActions) -> impl IntoView {
    let expired = m.status == MemberStatus::Expired;
    let expires = m.expires_at.map(format_utc).unwrap_or_default();
    let invited_by = m.invited_by.clone().unwrap_or_else(|| "someone".into());
    let email = m.email.clone();
    view! {
        <tr data-testid="member-row" data-email=m.email.clone() data-status=if expired { "expired" } else { "pending" }>
            <td class="select">{may.manage_invites.then(|| view! { <SelectBox key=format!("i:{}", m.email) label=m.email.clone() selected=actions.selected/> })}</td>
            <td class="muted" data-label="Name">"—"</td>
            <td data-label="Email">{m.email.clone()}</td>
            <td data-label="Role">{m.role.label()}
                {(m.role_source == RoleSource::Scim).then(|| view! {
                    " " <span class="badge idp" data-testid="role-source" title="Provisioned by SCIM: accepted when this person first signs in">"SCIM"</span>
                })}
            </td>
            <td data-label="Status">
                <span class=if expired { "badge warn" } else { "badge" }>{if expired { "Expired" } else { "Pending" }}</span>
                {m.has_account.then(|| view! {
                    <span class="badge" data-testid="has-account" title="This email already has a Roster account: its owner accepts the invitation while signed in">"Has an account"</span>
                })}
                <div class="muted small">{format!("invited by {invited_by} on {}", format_date(m.at))}</div>
                <div class="muted small">{format!("{} {expires}", if expired { "expired" } else { "expires" })}</div>
                {m.delivery.clone().map(|d| view! { <DeliveryNote delivery=d/> })}
            </td>
            <td class="nowrap" data-label="Invited">{format_date(m.at)}</td>
            {may.sign_ins.then(|| view! { <td class="muted" data-label="Last sign-in">"—"</td> })}
            <td class="actions">
                {may.manage_invites.then(move || {
                        let (ws1, ws2, ws3) = (ws_id.clone(), ws_id.clone(), ws_id.clone());
                        let (e1, e2, e3) = (email.clone(), email.clone(), email.clone());
                        view! {
                            <button class="button secondary small" data-testid="resend" on:click=move |_| {
                                actions.resend.dispatch(ResendInvite { workspace_id: ws1.clone(), email: e1.clone() });
                            }>"Resend"</button>
                            <button class="button secondary small" data-testid="copy-link" on:click=move |_| {
                                actions.link.dispatch(InviteLink { workspace_id: ws2.clone(), email: e2.clone() });
                            }>"Copy link"</button>
                            <button class="button danger small" data-testid="cancel-invite" on:click=move |_| {
                                if confirm(&format!("Cancel the invitation of {e3} to this workspace? Its link stops working.")) {
                                    actions.cancel.dispatch(CancelInvite { workspace_id: ws3.clone(), email: e3.clone() });
                                }
                            }>"Cancel"</button>
                        }
                    })}
            </td>
        </tr>
    }
}

/// The keys of the rows on a page that the caller may act on in bulk.
fn row_keys(rows: &[MemberDto], may: Permissions) -> Vec<String> {
    rows.iter()
        .filter_map(|m| match &m.user_id {
            Some(id) if may.remove => Some(format!("u:{id}")),
            None if may.manage_invites => Some(format!("i:{}", m.email)),
            _ => None,
        })
        .collect()
}

#[component]
fn SelectBox(key: String, label: String, selected: RwSignal<Vec<String>>) -> impl IntoView {
    let ticked = {
        let key = key.clone();
        move || selected.with(|s| s.contains(&key))
    };
    view! {
        <input type="checkbox" data-testid="select-row" aria-label=format!("Select {label}")
            prop:checked=ticked
            on:change=move |ev| {
                let on = event_target_checked(&ev);
                selected.update(|s| {
                    s.retain(|k| k != &key);
                    if on { s.push(key.clone()); }
                });
            }/>
    }
}

/// The bulk actions over the ticked rows (or every row matching the search and filter): a dry
/// run first, whose answer the confirmation shows (how many rows, which are skipped and why),
/// then the run itself, whose result is announced.
#[component]
fn BulkBar(
    ws_id: String,
    selected: RwSignal<Vec<String>>,
    all_matching: RwSignal<bool>,
    q: RwSignal<String>,
    status: RwSignal<String>,
    role_filter: RwSignal<String>,
    note: RwSignal<Option<String>>,
    reload: RwSignal<u32>,
    members: bool,
    invitations: bool,
) -> impl IntoView {
    let run = Callback::new(move |(action, role): (&'static str, Option<String>)| {
        let on_invitations = matches!(action, "resend" | "cancel");
        let prefix = if on_invitations { "i:" } else { "u:" };
        let rows: Vec<String> = selected.with_untracked(|s| {
            s.iter()
                .filter_map(|k| k.strip_prefix(prefix).map(str::to_string))
                .collect()
        });
        let all = all_matching.get_untracked();
        if !all && rows.is_empty() {
            note.set(Some(if on_invitations {
                "None of the selected rows is an invitation.".into()
            } else {
                "None of the selected rows is a member.".into()
            }));
            return;
        }
        let (ws, q, st, filter_role) = (
            ws_id.clone(),
            q.get_untracked(),
            status.get_untracked(),
            role_filter.get_untracked(),
        );
        leptos::task::spawn_local(async move {
            let call = |dry_run: bool| {
                bulk_members(
                    ws.clone(),
                    action.to_string(),
                    role.clone(),
                    Some(rows.join(",")),
                    Some(all),
                    Some(q.clone()),
                    Some(st.clone()),
                    Some(filter_role.clone()),
                    Some(dry_run),
                )
            };
            let preview = match call(true).await {
                Ok(preview) => preview,
                Err(e) => return note.set(Some(e.error)),
            };
            if preview.done == 0 {
                return note.set(Some(format!("Nothing to do. {}", skipped_list(&preview))));
            }
            let verb = match action {
                "resend" => "Resend",
                "cancel" => "Cancel",
                "set_role" => "Change the role of",
                _ => "Remove",
            };
            let question = format!(
                "{verb} {}?{}",
                plural(preview.done as i64, "row", "rows"),
                if preview.skipped > 0 {
                    format!(" {}", skipped_list(&preview))
                } else {
                    String::new()
                }
            );
            if !confirm(&question) {
                return;
            }
            match call(false).await {
                Ok(result) => {
                    note.set(Some(format!(
                        "Done: {}.{}",
                        plural(result.done as i64, "row", "rows"),
                        if result.skipped > 0 {
                            format!(" {}", skipped_list(&result))
                        } else {
                            String::new()
                        }
                    )));
                    // The rows acted on leave the selection; ticked rows of the other kind stay.
                    selected.update(|s| s.retain(|k| !k.starts_with(prefix)));
                    all_matching.set(false);
                    reload.update(|n| *n += 1);
                }
                Err(e) => note.set(Some(e.error)),
            }
        });
    });
    let count = move || {
        if all_matching.get() {
            "Every row matching the search and filter".to_string()
        } else {
            format!(
                "{} selected",
                plural(selected.with(Vec::len) as i64, "row", "rows")
            )
        }
    };
    view! {
        <Show when=move || all_matching.get() || !selected.with(Vec::is_empty) || note.with(Option::is_some)>
            <div class="bulk-bar" data-testid="bulk-bar" role="group" aria-label="Bulk actions">
                <Show when=move || all_matching.get() || !selected.with(Vec::is_empty)>
                    <span data-testid="bulk-count">{count}</span>
                    <button class="button secondary small" data-testid="bulk-all-matching"
                        aria-pressed=move || all_matching.get().to_string()
                        on:click=move |_| all_matching.update(|a| *a = !*a)>
                        {move || if all_matching.get() { "Only the ticked rows" } else { "Every matching row" }}
                    </button>
                    {invitations.then(|| view! {
                        <button class="button secondary small" data-testid="bulk-resend" on:click=move |_| run.run(("resend", None))>"Resend"</button>
                        <button class="button secondary small" data-testid="bulk-cancel" on:click=move |_| run.run(("cancel", None))>"Cancel invitations"</button>
                    })}
                    {members.then(|| view! {
                        <label class="inline">
                            <span class="sr-only">"Change the role of the selected members"</span>
                            <select data-testid="bulk-role" on:change=move |ev| {
                                let role = event_target_value(&ev);
                                if !role.is_empty() { run.run(("set_role", Some(role))); }
                            } prop:value="">
                                <option value="">"Change role…"</option>
                                <WorkspaceRoleOptions selected=WorkspaceRole::WorkspaceViewer/>
                            </select>
                        </label>
                        <button class="button danger small" data-testid="bulk-remove" on:click=move |_| run.run(("remove", None))>"Remove"</button>
                    })}
                    <button class="button secondary small" data-testid="bulk-clear" on:click=move |_| {
                        selected.set(Vec::new());
                        all_matching.set(false);
                    }>"Clear selection"</button>
                </Show>
                <p role="status" class="small" data-testid="bulk-result">{move || note.get()}</p>
            </div>
        </Show>
    }
}

/// "2 skipped: a@example.com (the workspace would be left without an admin), …" (at most 10
/// named).
fn skipped_list(result: &BulkResult) -> String {
    let skipped: Vec<String> = result
        .rows
        .iter()
        .filter(|r| r.result == "skipped")
        .take(10)
        .map(|r| {
            format!(
                "{} ({})",
                r.email.clone().unwrap_or_else(|| r.row.clone()),
                r.reason.clone().unwrap_or_default()
            )
        })
        .collect();
    let more = result.skipped.saturating_sub(skipped.len());
    format!(
        "{} skipped: {}{}",
        plural(result.skipped as i64, "row", "rows"),
        skipped.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    )
}

/// What became of an invitation's latest email: queued, sent at …, or failed with the SMTP
/// server's answer and when it is tried again.
#[component]
fn DeliveryNote(delivery: Delivery) -> impl IntoView {
    let (class, text) = match delivery {
        Delivery::Queued { since } => (
            "muted small",
            format!("Email queued since {}", format_utc(since)),
        ),
        Delivery::Sent { at } => ("muted small", format!("Email sent {}", format_utc(at))),
        Delivery::Failed {
            error,
            attempts,
            next_attempt_at,
        } => (
            "error small",
            format!(
                "Email not delivered ({}): {error}. Next try {}",
                plural(attempts, "attempt", "attempts"),
                format_utc(next_attempt_at)
            ),
        ),
        Delivery::NotSent { reason } => ("muted small", format!("Email not sent: {reason}")),
    };
    view! { <div class=class data-testid="delivery">{text}</div> }
}

/// "1 member", "20,000 members".
pub fn plural(n: i64, one: &str, many: &str) -> String {
    let digits = n.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && c.is_ascii_digit() && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{grouped} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_read_naturally() {
        assert_eq!(super::plural(1, "member", "members"), "1 member");
        assert_eq!(super::plural(0, "member", "members"), "0 members");
        assert_eq!(super::plural(20_000, "member", "members"), "20,000 members");
        assert_eq!(super::plural(1_234_567, "x", "xs"), "1,234,567 xs");
    }
}
