mod rows;

use super::ErrorNote;
use crate::api::admin::{DeactivateUser, EraseUser, ReactivateUser, ResetPassword};
use crate::api::invites::{my_invitation, CancelInvite, InviteLink, ResendInvite};
use crate::api::members::{bulk_members, list_members, RemoveMember, SetMemberRole};
use crate::components::add_user::lazy_add_user_dialog;
use crate::components::hydration::{page_resource, PageResource};
use crate::components::invite::lazy_invite_dialog;
use crate::components::me::{use_me, MeResource};
use crate::components::my_invitation::MyInvitation;
use crate::components::shared_html::SharedHtml;
use crate::components::WorkspaceRoleOptions;
use crate::components::{built_once_on_server, confirm, copy_to_clipboard};
use crate::domain::time::format_utc;
use crate::domain::{can, can_grant, Action, Actor, Grant, OrgRole, Target, WorkspaceRole};
use crate::model::auth::{SessionUser, WorkspaceDto};
use crate::model::invites::InvitationView;
use crate::model::members::{BulkResult, MemberDto, StatusCounts};
use crate::model::ApiError;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use send_wrapper::SendWrapper;
use std::sync::{Arc, OnceLock};

#[component]
pub fn MembersPage() -> impl IntoView {
    let me = use_me();
    let query = use_query_map();
    let chosen = Memo::new(move |_| query.with(|q| q.get("workspace")));
    let mine = page_resource(|| (), |_| my_invitation());
    let list = ListState::new(me, chosen);
    // The page is built once, when the signed-in user has loaded (`me` never changes during a
    // page view). A closure here would run again on each of the server's walks of the
    // transition's children (twice looking for pending loads, once resolving): three pages
    // built per request, two thrown away.
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {Suspend::new(async move {
                let me = me.await;
                // On the server the members table is built once, from rows already loaded
                // (`built_once_on_server`); in the browser it follows them as they load.
                #[cfg(feature = "ssr")]
                let _ = list.rows.await;
                // Loaded once per page view: the banner is part of the page, not a transition
                // of its own.
                let invitation = mine.await.ok().flatten();
                match me {
                    Ok(Some(me)) => view! { <Members me chosen list invitation/> }.into_any(),
                    Ok(None) => view! { <section class="card narrow"><p>"Please " <a href="/login">"sign in"</a> "."</p></section> }.into_any(),
                    Err(e) => view! { <p class="error">{e.error}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The workspace the page shows: the one in the address, or the caller's first.
fn shown_workspace<'a>(me: &'a SessionUser, chosen: Option<&str>) -> Option<&'a WorkspaceDto> {
    match chosen {
        Some(id) => me.workspaces.iter().find(|w| w.id == id),
        None => me.workspaces.first(),
    }
}

/// The members list's search, filters, page, selection and rows. Created once per page view,
/// outside every view closure: on the server a closure under a `Transition` runs again each
/// time the transition walks its children, and a resource made inside one was made, loaded and
/// written into the page for hydration once per run (twice per page, measured).
#[derive(Clone, Copy)]
struct ListState {
    q: RwSignal<String>,
    status: RwSignal<String>,
    role: RwSignal<String>,
    sort: RwSignal<String>,
    /// The `after` cursor of every page visited so far: the last is the page shown; Previous
    /// pops it (keyset pages can only be walked forward on the server).
    pages: RwSignal<Vec<Option<String>>>,
    reload: RwSignal<u32>,
    /// The rows ticked for a bulk action: `u:<user id>` for members, `i:<email>` for
    /// invitations.
    selected: RwSignal<Vec<String>>,
    all_matching: RwSignal<bool>,
    bulk_note: RwSignal<Option<String>>,
    /// The page of rows; `None` when no workspace is shown.
    rows: PageResource<Result<Option<ListPage>, ApiError>>,
}

impl ListState {
    fn new(me: MeResource, chosen: Memo<Option<String>>) -> ListState {
        let q = RwSignal::new(String::new());
        let status = RwSignal::new("all".to_string());
        let role = RwSignal::new("all".to_string());
        let sort = RwSignal::new("email".to_string());
        let pages = RwSignal::new(vec![None::<String>]);
        let reload = RwSignal::new(0_u32);
        let selected = RwSignal::new(Vec::<String>::new());
        let all_matching = RwSignal::new(false);
        let bulk_note = RwSignal::new(None::<String>);
        // Another workspace starts with no search, filter or selection, on its first page.
        Effect::new(move |shown: Option<Option<String>>| {
            let now = chosen.get();
            if shown.is_some_and(|before| before != now) {
                q.set(String::new());
                status.set("all".into());
                role.set("all".into());
                sort.set("email".into());
                pages.set(vec![None]);
                selected.set(Vec::new());
                all_matching.set(false);
                bulk_note.set(None);
            }
            now
        });
        let rows = page_resource(
            move || {
                (
                    chosen.get(),
                    (q.get(), status.get(), role.get(), sort.get()),
                    pages.with(|p| p.last().cloned().flatten()),
                    reload.get(),
                )
            },
            move |(chosen, (q, status, role, sort), after, _)| async move {
                let Ok(Some(me)) = me.await else {
                    return Ok(None);
                };
                let Some(ws) = shown_workspace(&me, chosen.as_deref()) else {
                    return Ok(None);
                };
                list_members(
                    ws.id.clone(),
                    Some(q),
                    Some(status),
                    Some(role),
                    Some(sort),
                    after,
                )
                .await
                .map(|page| Some(page.into()))
            },
        );
        ListState {
            q,
            status,
            role,
            sort,
            pages,
            reload,
            selected,
            all_matching,
            bulk_note,
            rows,
        }
    }
}

/// A page of the members list as the page holds it. Its rows are written into the page as
/// HTML (`rows`), so the copy written for hydration leaves them out (a second serialization of
/// the same rows, half of the page's hydration data): the browser gets how many there are and
/// the keys of those that can be ticked. On the server, and in the browser after any fetch, the
/// rows themselves are here too.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct ListPage {
    /// Shared: the page's value is copied each time it is read (`.await`, `.get()`).
    #[serde(skip)]
    rows: Arc<[MemberDto]>,
    row_count: usize,
    /// Every row's key (`rows::row_key`), in order.
    keys: Vec<String>,
    next: Option<String>,
    member_count: i64,
    invite_count: i64,
    counts: StatusCounts,
}

/// What the members table shows of a [`ListPage`] besides its rows.
struct PageFacts {
    row_count: usize,
    keys: Vec<String>,
    next: Option<String>,
    member_count: i64,
    invite_count: i64,
}

impl PageFacts {
    fn of(page: &ListPage) -> PageFacts {
        PageFacts {
            row_count: page.row_count,
            keys: page.keys.clone(),
            next: page.next.clone(),
            member_count: page.member_count,
            invite_count: page.invite_count,
        }
    }
}

impl From<crate::model::members::MembersPage> for ListPage {
    fn from(page: crate::model::members::MembersPage) -> ListPage {
        ListPage {
            row_count: page.members.len(),
            keys: page.members.iter().map(rows::row_key).collect(),
            rows: page.members.into(),
            next: page.next,
            member_count: page.member_count,
            invite_count: page.invite_count,
            counts: page.counts,
        }
    }
}

#[component]
fn Members(
    me: SessionUser,
    chosen: Memo<Option<String>>,
    list: ListState,
    invitation: Option<InvitationView>,
) -> impl IntoView {
    // The switcher's options, the workspace shown first marked. Written once: a later choice
    // moves the `<select>`'s value, not its options.
    let switcher = SharedHtml::from(me.workspaces.options_html(
        shown_workspace(&me, chosen.get_untracked().as_deref()).map(|w| w.id.as_str()),
    ));
    let first = me.workspaces.first().map(|w| w.id.clone());
    let workspace_id = Memo::new(move |_| chosen.get().or_else(|| first.clone()));
    let all = StoredValue::new(me.workspaces.shared());
    let actor = StoredValue::new(me.actor.clone());
    let email_enabled = me.email_enabled;
    let workspace = Memo::new(move |_| {
        let id = workspace_id.get()?;
        all.with_value(|ws| ws.iter().find(|w| w.id == id).cloned())
    });
    // The rows' actions and the rows as HTML are made here, once per page view, rather than in
    // `WorkspaceMembers`, which is built again for each workspace the switcher shows.
    let actions = RowActions::new(list.selected);
    // Another workspace starts without the last one's notes (a new temporary password, a
    // link): they show only in the workspace their action was started in, and neither coming
    // back nor acting in the new one brings them back (the answers are forgotten, not hidden).
    Effect::new(move |shown: Option<Option<String>>| {
        let now = workspace_id.get();
        if shown.is_some_and(|before| before != now) {
            actions.acted_in.set(None);
            actions.calls().forget_answers();
        }
        now
    });
    let rows = list.rows;
    let selected = list.selected;
    let row_html = Memo::new(move |_| {
        let may = workspace.with(|ws| {
            ws.as_ref()
                .and_then(|ws| actor.try_with_value(|actor| Permissions::of(actor, ws)))
        });
        rows.with(|page| match (page, may) {
            (Some(Ok(Some(p))), Some(may)) => {
                selected.with_untracked(|s| SharedHtml::from(rows::rows_html(&p.rows, may, s)))
            }
            _ => SharedHtml::default(),
        })
    });

    view! {
        <MyInvitation invitation/>
        <section class="card">
            <div class="toolbar">
                <h1>"Members"</h1>
                <WorkspaceSwitcher workspaces=me.workspaces.shared() current=workspace_id options=switcher/>
            </div>
            // `try_get_value`: this closure can run after the page's owner was disposed (a
            // page being left); that render is thrown away, and must not panic.
            {built_once_on_server(move || match workspace.get() {
                Some(ws) => view! { <WorkspaceMembers ws actor=actor.try_get_value().unwrap_or_default() all=all.try_get_value().unwrap_or_default() email_enabled list actions row_html/> }.into_any(),
                None if workspace_id.get().is_some() => view! {
                    <p class="error" role="alert">"This workspace does not exist or you may not see it."</p>
                }.into_any(),
                None => view! {
                    <p class="empty" data-testid="no-workspaces">"You are not a member of any workspace yet. Ask an admin to add you."</p>
                }.into_any(),
            })}
        </section>
    }
}

#[component]
fn WorkspaceSwitcher(
    workspaces: Arc<[WorkspaceDto]>,
    current: Memo<Option<String>>,
    /// The `<option>`s (`WorkspaceList::options_html`).
    options: SharedHtml,
) -> impl IntoView {
    let navigate = use_navigate();
    if workspaces.len() < 2 {
        return view! { <span class="muted">{workspaces.first().map(|w| format!("{} · {}", w.org_name, w.name))}</span> }.into_any();
    }
    // The choice follows the address.
    view! {
        <label class="inline">
            <span class="sr-only">"Workspace"</span>
            <select
                data-testid="workspace-switcher"
                inner_html=options
                prop:value=move || current.get().unwrap_or_default()
                on:change=move |ev| navigate(&format!("/members?workspace={}", event_target_value(&ev)), Default::default())
            ></select>
        </label>
    }.into_any()
}

#[component]
fn WorkspaceMembers(
    ws: WorkspaceDto,
    actor: Actor,
    all: Arc<[WorkspaceDto]>,
    email_enabled: bool,
    list: ListState,
    actions: RowActions,
    /// The page of rows as HTML (`rows::rows_html`).
    row_html: Memo<SharedHtml>,
) -> impl IntoView {
    let ListState {
        q,
        status,
        role,
        sort,
        pages,
        reload,
        selected,
        all_matching,
        bulk_note,
        rows: members,
    } = list;
    let target = Target::Workspace {
        workspace_id: &ws.id,
        org_id: &ws.org_id,
    };
    let may = Permissions::of(&actor, &ws);
    let may_add = can(&actor, Action::AddUser, target);
    let may_invite = can(&actor, Action::Invite, target);
    // Other workspaces this person may invite to, offered as extras in the invite dialog:
    // listed when the dialog opens (a platform admin's are every other workspace).
    let invite_targets = {
        let (actor, ws_id) = (actor.clone(), ws.id.clone());
        move || -> Vec<WorkspaceDto> {
            all.iter()
                .filter(|w| {
                    w.id != ws_id
                        && can(
                            &actor,
                            Action::Invite,
                            Target::Workspace {
                                workspace_id: &w.id,
                                org_id: &w.org_id,
                            },
                        )
                })
                .cloned()
                .collect()
        }
    };
    let may_grant_platform = can(&actor, Action::GrantPlatformRole, Target::Platform);
    let org_target = Target::Organization { org_id: &ws.org_id };
    let grantable_org_roles: Vec<OrgRole> = OrgRole::ALL
        .iter()
        .copied()
        .filter(|r| can_grant(&actor, Grant::Organization(*r), org_target))
        .collect();

    // The counts per status of the last page read, for the status filter's options.
    let counts = RwSignal::new(None::<StatusCounts>);
    Effect::new(move |_| {
        let read = members.with(|r| match r {
            Some(Ok(Some(p))) => Some(p.counts),
            _ => None,
        });
        if read.is_some() {
            counts.set(read);
        }
    });
    // A new filter or order starts again from the first page.
    let refilter = move |signal: RwSignal<String>, value: String| {
        signal.set(value);
        pages.set(vec![None]);
    };

    let adding = RwSignal::new(false);
    let inviting = RwSignal::new(false);
    // A finished action loads the page of rows again. Not on the effect's first run: the rows
    // the page was rendered (or last fetched) with are current, and reloading them there made
    // every page view fetch its list a second time as soon as it hydrated.
    Effect::new(move |ran_before: Option<()>| {
        let calls = actions.calls();
        calls.set_role.version().get();
        calls.remove.version().get();
        calls.resend.version().get();
        calls.cancel.version().get();
        calls.deactivate.version().get();
        calls.reactivate.version().get();
        calls.erase.version().get();
        if ran_before.is_some() {
            reload.update(|n| *n += 1);
        }
    });
    // The actions outlive this workspace's view: an answer that comes back after the switcher
    // moved on is not this workspace's to show.
    let ws_here = ws.id.clone();
    let acted_here = Memo::new(move |_| {
        actions
            .acted_in
            .with(|a| a.as_deref() == Some(ws_here.as_str()))
    });
    let ws_for_rows = StoredValue::new(ws.id.clone());
    // The rows' selection boxes follow the selection, which changes from outside the rows too
    // (the page's box, Clear selection).
    let row_body = NodeRef::<leptos::html::Tbody>::new();
    let row_head = NodeRef::<leptos::html::Thead>::new();
    Effect::new(move |_| {
        let ticked = selected.get();
        if let (Some(body), Some(head)) = (row_body.get(), row_head.get()) {
            let whole_page = rows::sync_ticks(&body, &ticked);
            rows::sync_page_tick(&head, whole_page);
        }
    });
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
                // Written again when the counts arrive (only then: a choice changes the DOM's
                // value itself), the chosen status still chosen.
                <select data-testid="status-filter" inner_html=move || status_options(counts.get().as_ref(), &status.get_untracked())
                    on:change=move |ev| refilter(status, event_target_value(&ev))></select>
            </label>
            <label class="inline">
                <span class="sr-only">"Role"</span>
                <select data-testid="role-filter" inner_html=ROLE_FILTER_OPTIONS
                    on:change=move |ev| refilter(role, event_target_value(&ev))></select>
            </label>
            <label class="inline">
                <span class="sr-only">"Order"</span>
                <select data-testid="sort" inner_html=sort_options(may.sign_ins)
                    on:change=move |ev| refilter(sort, event_target_value(&ev))></select>
            </label>
            <div class="row">
                {may_invite.then(|| view! {
                    <button class="button" data-testid="invite" on:click=move |_| inviting.set(true)>"Invite"</button>
                })}
                {may_add.then(|| view! {
                    <button class="button secondary" data-testid="add-user" on:click=move |_| adding.set(true)>"Add User"</button>
                })}
                <a class="button secondary" data-testid="members-export" download href=export_href>"Export CSV"</a>
            </div>
        </div>
        <BulkBar ws_id=ws.id.clone() selected all_matching q status role_filter=role note=bulk_note reload
            members=may.remove invitations=may.manage_invites/>
        {(may_invite && !email_enabled).then(|| view! {
            <p class="notice">"Email is off on this Roster: after inviting, use “Copy link” on the pending row and send the link yourself."</p>
        })}
        // The dialogs, when opened (a closure each rather than a `Show`: no fallback, no memo).
        {move || adding.get().then(|| {
            let on_close = Callback::new(move |created: bool| { adding.set(false); if created { reload.update(|n| *n += 1); } });
            let dialog = lazy_add_user_dialog(ws_for_add.clone(), on_close);
            Suspend::new(SendWrapper::new(dialog))
        })}
        {move || inviting.get().then(|| {
            let on_close = Callback::new(move |changed: bool| { inviting.set(false); if changed { reload.update(|n| *n += 1); } });
            let dialog = lazy_invite_dialog(ws_for_invite.clone(), invite_targets(), may_grant_platform, grantable_org_roles.clone(), on_close);
            Suspend::new(SendWrapper::new(dialog))
        })}
        // The answers of the rows' actions. None can exist before one is started, so nothing of
        // them is built (on the server: never) until then.
        {move || acted_here.get().then(|| view! { <ActionNotes actions/> })}
        <Transition fallback=|| view! { <p class="muted">"Loading members…"</p> }>
            // What the table needs of the page, read without copying its rows (they are in
            // `row_html`).
            {built_once_on_server(move || members.with(|r| r.as_ref().map(|r| r.as_ref().map(|p| p.as_ref().map(PageFacts::of)).map_err(Clone::clone))).map(|r| match r {
                Err(e) => view! { <p class="error" role="alert">{e.error}</p> }.into_any(),
                Ok(None) => ().into_any(),
                // A later page can empty itself (its last rows removed): offer the way back.
                Ok(Some(p)) if p.row_count == 0 && pages.with_untracked(|p| p.len() > 1) => view! {
                    <p class="empty">"Nothing more on this page."</p>
                    <button class="button secondary" on:click=move |_| pages.set(vec![None])>"Back to the first page"</button>
                }.into_any(),
                Ok(Some(p)) if p.row_count == 0 => view! {
                    <p class="empty">{if q.get_untracked().is_empty() && status.get_untracked() == "all" && role.get_untracked() == "all" { "No members yet." } else { "Nobody matches." }}</p>
                }.into_any(),
                Ok(Some(p)) => {
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
                                // The header is HTML text too (`header_html`), its order
                                // marked as the rows were asked for; the page's selection box
                                // follows the selection by the effect that ticks the rows.
                                {
                                    let keys = row_keys(&p.keys, may);
                                    let all_ticked = !keys.is_empty() && selected.with_untracked(|s| keys.iter().all(|k| s.contains(k)));
                                    let html = header_html(&sort.get_untracked(), may.sign_ins, !keys.is_empty(), all_ticked);
                                    view! {
                                        <thead node_ref=row_head inner_html=html on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            selected.update(|s| {
                                                s.retain(|k| !keys.contains(k));
                                                if on { s.extend(keys.iter().cloned()); }
                                            });
                                        }></thead>
                                    }
                                }
                                // The rows are HTML text (`rows`): one listener each for
                                // their clicks and changes.
                                <tbody
                                    node_ref=row_body
                                    inner_html=row_html.get()
                                    on:click=move |ev| if let Some(ws) = ws_for_rows.try_get_value() { rows::on_click(ev, &ws, actions) }
                                    on:change=move |ev| if let Some(ws) = ws_for_rows.try_get_value() { rows::on_change(ev, &ws, actions) }
                                ></tbody>
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
            }))}
        </Transition>
    }
}

/// What the rows' actions answered: an error, a resent invitation's new expiry, a new link, an
/// account (de)activated, a temporary password. Shown only in the workspace the last action was
/// started in (the page builds this only then).
#[component]
fn ActionNotes(actions: RowActions) -> impl IntoView {
    let calls = actions.calls();
    let action_error = Signal::derive(move || {
        let err =
            |e: Option<Result<_, crate::model::ApiError>>| e.and_then(|r| r.err()).map(|e| e.error);
        err(calls.remove.value().get().map(|r| r.map(|_| ())))
            .or_else(|| err(calls.set_role.value().get().map(|r| r.map(|_| ()))))
            .or_else(|| err(calls.resend.value().get().map(|r| r.map(|_| ()))))
            .or_else(|| err(calls.cancel.value().get().map(|r| r.map(|_| ()))))
            .or_else(|| err(calls.link.value().get().map(|r| r.map(|_| ()))))
            .or_else(|| err(calls.deactivate.value().get().map(|r| r.map(|_| ()))))
            .or_else(|| err(calls.reactivate.value().get().map(|r| r.map(|_| ()))))
            .or_else(|| err(calls.reset.value().get().map(|r| r.map(|_| ()))))
            .or_else(|| err(calls.erase.value().get()))
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
        said(calls.deactivate.value().get()).or_else(|| said(calls.reactivate.value().get()))
    });
    let reset = Signal::derive(move || calls.reset.value().get().and_then(|r| r.ok()));
    let resent = Signal::derive(move || {
        calls
            .resend
            .value()
            .get()
            .and_then(|r| r.ok())
            .map(|exp| format!("Invitation sent again; it now expires {}.", format_utc(exp)))
    });
    let link = Signal::derive(move || calls.link.value().get().and_then(|r| r.ok()));
    view! {
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

/// The status filter's values and labels.
const STATUSES: &[(&str, &str)] = &[
    ("all", "Everyone"),
    ("active", "Active"),
    ("deactivated", "Deactivated"),
    ("pending", "Pending invitations"),
    ("expired", "Expired invitations"),
];

/// The status filter's options as HTML text, each with its count once the list has given them
/// (the workspace's, whatever the filter), `chosen` marked `selected`: the options are written
/// again when the counts change, and the choice must survive that.
fn status_options(counts: Option<&StatusCounts>, chosen: &str) -> String {
    let mut html = String::with_capacity(STATUSES.len() * 60);
    // Our own fixed values and labels, and numbers: nothing to escape.
    for (value, label) in STATUSES {
        html.push_str("<option value=\"");
        html.push_str(value);
        html.push('"');
        if *value == chosen {
            html.push_str(" selected");
        }
        html.push('>');
        html.push_str(label);
        if let Some(counts) = counts {
            html.push_str(" (");
            html.push_str(&counts.of(value).to_string());
            html.push(')');
        }
        html.push_str("</option>");
    }
    html
}

/// The role filter's options. Fixed, like the orders' (`sort_options`), so written as HTML text
/// rather than as a view per option (each an element, an attribute and a text to build and
/// render on every page view).
const ROLE_FILTER_OPTIONS: &str = concat!(
    r#"<option value="all">Any role</option>"#,
    r#"<option value="workspace_admin">Admins</option>"#,
    r#"<option value="workspace_editor">Editors</option>"#,
    r#"<option value="workspace_viewer">Viewers</option>"#,
);

/// The orders offered as `<option>`s (HTML text; the labels are plain text), those by last
/// sign-in only to whom may see sign-ins.
fn sort_options(sign_ins: bool) -> String {
    let mut html = String::with_capacity(SORTS.len() * 50);
    for (value, label) in SORTS {
        if sign_ins || !value.ends_with("last_sign_in") {
            html.push_str("<option value=\"");
            html.push_str(value);
            html.push_str("\">");
            html.push_str(label);
            html.push_str("</option>");
        }
    }
    html
}

/// The members table's columns: their titles and the `sort` field each is ordered by.
const COLUMNS: &[(&str, &str)] = &[
    ("Name", "name"),
    ("Email", "email"),
    ("Role", "role"),
    ("Status", "status"),
    ("Since", "joined"),
    ("Last sign-in", "last_sign_in"),
];

/// The members table's header row as HTML text: the page's selection box (`disabled` when no
/// row on the page can be ticked, `checked` when every one is), then the columns (the last
/// sign-in only to whom may see sign-ins) with the one the rows are ordered by marked
/// `aria-sort`. Text rather than a view per cell: nine elements, their attributes and a
/// reactive closure per column were built on every page view for a row that changes only with
/// the rows it heads (the table is built again with them).
fn header_html(sort: &str, sign_ins: bool, tickable: bool, all_ticked: bool) -> String {
    let mut html = String::with_capacity(400);
    html.push_str(r#"<tr><th class="select"><input type="checkbox" data-testid="select-page" aria-label="Select every row on this page""#);
    if !tickable {
        html.push_str(" disabled");
    }
    if all_ticked {
        html.push_str(" checked");
    }
    html.push_str("></th>");
    // Our own fixed titles and values, written as they are.
    for (title, field) in COLUMNS {
        if !sign_ins && *field == "last_sign_in" {
            continue;
        }
        html.push_str("<th");
        if let Some(order) = aria_sort(sort, field) {
            html.push_str(r#" aria-sort=""#);
            html.push_str(order);
            html.push('"');
        }
        html.push('>');
        html.push_str(title);
        html.push_str("</th>");
    }
    html.push_str(r#"<th><span class="sr-only">Actions</span></th></tr>"#);
    html
}

/// The `aria-sort` of a column header under the list's current `sort`.
fn aria_sort(sort: &str, field: &str) -> Option<&'static str> {
    match sort.strip_prefix('-') {
        Some(f) if f == field => Some("descending"),
        None if sort == field => Some("ascending"),
        _ => None,
    }
}

#[derive(Clone, Copy, PartialEq)]
struct Permissions {
    /// Platform admins: erase an account.
    erase: bool,
    change: bool,
    remove: bool,
    manage_invites: bool,
    /// When members last signed in (shown to those who may read the audit log).
    sign_ins: bool,
}

impl Permissions {
    fn of(actor: &Actor, ws: &WorkspaceDto) -> Permissions {
        let target = Target::Workspace {
            workspace_id: &ws.id,
            org_id: &ws.org_id,
        };
        Permissions {
            erase: can(actor, Action::EraseAccount, Target::Platform),
            change: can(actor, Action::ChangeRole, target),
            remove: can(actor, Action::RemoveMember, target),
            manage_invites: can(actor, Action::ManageInvitation, target),
            sign_ins: can(actor, Action::ViewAudit, target),
        }
    }
}

#[derive(Clone, Copy)]
struct RowActions {
    /// The rows ticked for a bulk action: `u:<user id>` for members, `i:<email>` for
    /// invitations.
    selected: RwSignal<Vec<String>>,
    /// The workspace the last action was started in (its answer is shown there only); `None`
    /// once the page has moved to another workspace.
    acted_in: RwSignal<Option<String>>,
    /// The server actions the rows call ([`RowActions::calls`]).
    calls: StoredValue<OnceLock<RowCalls>>,
}

/// The server actions of the rows' buttons and role choices.
#[derive(Clone, Copy)]
struct RowCalls {
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

impl RowCalls {
    fn new() -> RowCalls {
        RowCalls {
            set_role: ServerAction::<SetMemberRole>::new(),
            remove: ServerAction::<RemoveMember>::new(),
            resend: ServerAction::<ResendInvite>::new(),
            cancel: ServerAction::<CancelInvite>::new(),
            link: ServerAction::<InviteLink>::new(),
            deactivate: ServerAction::<DeactivateUser>::new(),
            reactivate: ServerAction::<ReactivateUser>::new(),
            reset: ServerAction::<ResetPassword>::new(),
            erase: ServerAction::<EraseUser>::new(),
        }
    }
}

impl RowCalls {
    /// Forgets every action's last answer.
    fn forget_answers(self) {
        self.set_role.clear();
        self.remove.clear();
        self.resend.clear();
        self.cancel.clear();
        self.link.clear();
        self.deactivate.clear();
        self.reactivate.clear();
        self.reset.clear();
        self.erase.clear();
    }
}

impl RowActions {
    /// In the browser the actions are made here, owned by the page view. On the server they
    /// are not made at all: nothing is clicked or answered there, and nine actions (each a
    /// handful of signals) were a twentieth of a page's allocations.
    fn new(selected: RwSignal<Vec<String>>) -> RowActions {
        let calls = OnceLock::new();
        #[cfg(not(feature = "ssr"))]
        let _ = calls.set(RowCalls::new());
        RowActions {
            selected,
            acted_in: RwSignal::new(None),
            calls: StoredValue::new(calls),
        }
    }

    /// The rows' server actions (made now if they were not: only on the server, where no
    /// code path asks for them).
    fn calls(self) -> RowCalls {
        self.calls
            .try_with_value(|calls| *calls.get_or_init(RowCalls::new))
            .unwrap_or_else(RowCalls::new)
    }
}

/// The keys of the rows on a page that the caller may act on in bulk.
fn row_keys(keys: &[String], may: Permissions) -> Vec<String> {
    keys.iter()
        .filter(|key| match key.split_once(':') {
            Some(("u", _)) => may.remove,
            Some(("i", _)) => may.manage_invites,
            _ => false,
        })
        .cloned()
        .collect()
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
    fn the_orders_are_offered_as_plain_options_sign_ins_only_to_who_may_see_them() {
        // Written as they are: nothing in them may need escaping.
        for (value, label) in super::SORTS {
            assert!(!value.contains(['<', '>', '&', '"']) && !label.contains(['<', '>', '&', '"']));
        }
        let all = super::sort_options(true);
        assert_eq!(all.matches("<option ").count(), super::SORTS.len());
        assert!(
            all.starts_with(r#"<option value="email">Email, A to Z</option>"#),
            "{all}"
        );
        let without = super::sort_options(false);
        assert!(!without.contains("last_sign_in"), "{without}");
        assert_eq!(without.matches("<option ").count(), super::SORTS.len() - 2);
    }

    #[test]
    fn the_header_marks_the_order_and_offers_the_page_box_only_when_a_row_can_be_ticked() {
        for (title, field) in super::COLUMNS {
            assert!(!title.contains(['<', '>', '&', '"']) && !field.contains(['<', '>', '&', '"']));
        }
        let html = super::header_html("-joined", true, true, false);
        assert!(
            html.contains(r#"<th aria-sort="descending">Since</th>"#),
            "{html}"
        );
        assert_eq!(html.matches("aria-sort").count(), 1, "{html}");
        assert!(html.contains("<th>Last sign-in</th>"), "{html}");
        assert!(
            html.contains(r#"aria-label="Select every row on this page">"#),
            "{html}"
        );
        let html = super::header_html("email", false, false, false);
        assert!(
            html.contains(r#"<th aria-sort="ascending">Email</th>"#),
            "{html}"
        );
        assert!(!html.contains("Last sign-in"), "{html}");
        assert!(html.contains(r#"page" disabled>"#), "{html}");
        let html = super::header_html("name", true, true, true);
        assert!(html.contains(r#"page" checked>"#), "{html}");
        assert_eq!(html.matches("<th").count(), 8, "{html}");
    }

    #[test]
    fn the_status_options_carry_their_counts_once_known_and_keep_the_choice() {
        for (value, label) in super::STATUSES {
            assert!(!value.contains(['<', '>', '&', '"']) && !label.contains(['<', '>', '&', '"']));
        }
        let html = super::status_options(None, "all");
        assert!(
            html.starts_with(r#"<option value="all" selected>Everyone</option><option value="active">Active</option>"#),
            "{html}"
        );
        let counts = crate::model::members::StatusCounts {
            active: 3,
            deactivated: 1,
            pending: 2,
            expired: 0,
        };
        let html = super::status_options(Some(&counts), "pending");
        assert!(
            html.contains(r#"<option value="all">Everyone (6)</option>"#),
            "{html}"
        );
        assert!(
            html.contains(r#"<option value="pending" selected>Pending invitations (2)</option>"#),
            "{html}"
        );
        assert_eq!(html.matches(" selected").count(), 1, "{html}");
    }

    #[test]
    fn counts_read_naturally() {
        assert_eq!(super::plural(1, "member", "members"), "1 member");
        assert_eq!(super::plural(0, "member", "members"), "0 members");
        assert_eq!(super::plural(20_000, "member", "members"), "20,000 members");
        assert_eq!(super::plural(1_234_567, "x", "xs"), "1,234,567 xs");
    }
}
