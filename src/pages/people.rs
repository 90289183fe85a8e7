//! People: every account (platform admins and operators) or those of one's organizations, at
//! `/people`; one person at `/people/{id}` with what the viewer may do to them.

use super::members::plural;
use super::ErrorNote;
use crate::api::admin::{DeactivateUser, EraseUser, ReactivateUser, ResetPassword};
use crate::api::members::{RemoveMember, SetMemberRole};
use crate::api::people::{get_person, list_people};
use crate::components::hydration::page_resource;
use crate::components::{confirm, copy_to_clipboard, full_reload_to, WorkspaceRoleOptions};
use crate::domain::time::format_utc;
use crate::model::people::{AccountFacts, PersonMembership};
use crate::model::ApiError;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

fn sign_in_methods(a: &AccountFacts) -> String {
    match (a.has_password, a.linked_identities > 0) {
        (true, true) => "Password, Google",
        (true, false) => "Password",
        (false, true) => "Google",
        (false, false) => "None yet",
    }
    .to_string()
}

fn status_label(a: &AccountFacts) -> (&'static str, &'static str) {
    if a.deactivated {
        ("Deactivated", "badge warn")
    } else if a.temporary_password_expired {
        ("Temporary password expired", "badge warn")
    } else if a.must_change_password {
        ("Must change password", "badge")
    } else {
        ("Active", "badge ok")
    }
}

fn last_sign_in(a: &AccountFacts) -> String {
    a.last_sign_in_at
        .map(format_utc)
        .unwrap_or_else(|| "never".into())
}

#[component]
pub fn PeoplePage() -> impl IntoView {
    let q = RwSignal::new(String::new());
    let status = RwSignal::new("all".to_string());
    // The `after` of every page visited so far; the last is the page shown.
    let pages = RwSignal::new(vec![None::<String>]);
    let people = page_resource(
        move || {
            (
                q.get(),
                status.get(),
                pages.with(|p| p.last().cloned().flatten()),
            )
        },
        |(q, status, after)| list_people(Some(q), Some(status), after),
    );
    view! {
        <section class="card">
            <div class="toolbar">
                <h1>"People"</h1>
                <input type="search" placeholder="Search by name or email" aria-label="Search people"
                    data-testid="people-search"
                    on:input=move |ev| { q.set(event_target_value(&ev)); pages.set(vec![None]); }/>
                <label class="inline">
                    <span class="sr-only">"Status"</span>
                    <select data-testid="people-status" on:change=move |ev| { status.set(event_target_value(&ev)); pages.set(vec![None]); }>
                        <option value="all">"Everyone"</option>
                        <option value="active">"Active"</option>
                        <option value="deactivated">"Deactivated"</option>
                        <option value="must_change_password">"Must change password"</option>
                        <option value="temporary_password_expired">"Temporary password expired"</option>
                    </select>
                </label>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || people.get().map(|r| match r {
                    Err(e) => view! { <p class="error" role="alert">{e.error}</p> }.into_any(),
                    Ok(page) => {
                        let next = page.next.clone();
                        view! {
                            {(!page.everyone).then(|| view! {
                                <p class="muted">"People with a place in the organizations you administer."</p>
                            })}
                            {if page.people.is_empty() {
                                view! { <p class="empty" data-testid="no-people">"Nobody matches."</p> }.into_any()
                            } else {
                                view! {
                                    <table data-testid="people">
                                        <thead><tr><th>"Person"</th><th>"Status"</th><th>"Sign-in methods"</th><th>"Last sign-in"</th><th>"Workspaces"</th></tr></thead>
                                        <tbody>
                                            {page.people.into_iter().map(|a| {
                                                let (label, class) = status_label(&a);
                                                view! {
                                                    <tr data-testid="person-row" data-email=a.email.clone()>
                                                        <td>
                                                            <a href=format!("/people/{}", a.id)>{a.email.clone()}</a>
                                                            {(!a.name.is_empty()).then(|| view! { <span class="muted">{format!(" {}", a.name)}</span> })}
                                                        </td>
                                                        <td><span class=class>{label}</span></td>
                                                        <td>{sign_in_methods(&a)}</td>
                                                        <td class="nowrap">{last_sign_in(&a)}</td>
                                                        <td>{a.membership_count}</td>
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                }.into_any()
                            }}
                            <div class="row">
                                <Show when=move || pages.with(|p| p.len() > 1)>
                                    <button class="button secondary" on:click=move |_| pages.update(|p| { p.pop(); })>"Previous"</button>
                                </Show>
                                {next.map(|n| view! {
                                    <button class="button secondary" data-testid="people-next" on:click=move |_| pages.update(|p| p.push(Some(n.clone())))>"Next"</button>
                                })}
                            </div>
                        }.into_any()
                    }
                })}
            </Transition>
        </section>
    }
}

#[derive(Clone, Copy)]
struct PersonActions {
    set_role: ServerAction<SetMemberRole>,
    remove: ServerAction<RemoveMember>,
    deactivate: ServerAction<DeactivateUser>,
    reactivate: ServerAction<ReactivateUser>,
    reset: ServerAction<ResetPassword>,
    erase: ServerAction<EraseUser>,
}

fn error_of<T: Clone>(v: Option<Result<T, ApiError>>) -> Option<String> {
    v.and_then(|r| r.err()).map(|e| e.error)
}

#[component]
pub fn PersonPage() -> impl IntoView {
    let params = use_params_map();
    let user_id = Memo::new(move |_| params.with(|p| p.get("id")).unwrap_or_default());
    let actions = PersonActions {
        set_role: ServerAction::new(),
        remove: ServerAction::new(),
        deactivate: ServerAction::new(),
        reactivate: ServerAction::new(),
        reset: ServerAction::new(),
        erase: ServerAction::new(),
    };
    let person = page_resource(
        move || {
            (
                user_id.get(),
                actions.set_role.version().get(),
                actions.remove.version().get(),
                actions.deactivate.version().get(),
                actions.reactivate.version().get(),
                actions.reset.version().get(),
            )
        },
        |(id, ..)| get_person(id),
    );
    Effect::new(move |_| {
        if matches!(actions.erase.value().get(), Some(Ok(()))) {
            full_reload_to("/people");
        }
    });
    let error = Signal::derive(move || {
        error_of(actions.set_role.value().get())
            .or_else(|| error_of(actions.remove.value().get()))
            .or_else(|| error_of(actions.deactivate.value().get()))
            .or_else(|| error_of(actions.reactivate.value().get()))
            .or_else(|| error_of(actions.reset.value().get()))
            .or_else(|| error_of(actions.erase.value().get()))
    });
    let reset = Signal::derive(move || actions.reset.value().get().and_then(|r| r.ok()));
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || person.get().map(|r| match r {
                Err(e) => view! { <section class="card narrow"><p class="error" role="alert">{e.error}</p></section> }.into_any(),
                Ok(p) => {
                    let a = p.account.clone();
                    let (label, class) = status_label(&a);
                    let (id1, id2, id3, id4) = (a.id.clone(), a.id.clone(), a.id.clone(), a.id.clone());
                    let (e1, e2, e3) = (a.email.clone(), a.email.clone(), a.email.clone());
                    let deactivated = a.deactivated;
                    view! {
                        <section class="card">
                            <h1 data-testid="person-email">{a.email.clone()}</h1>
                            {(!a.name.is_empty()).then(|| view! { <p>{a.name.clone()}</p> })}
                            <dl class="facts">
                                <dt>"Status"</dt><dd><span class=class data-testid="person-status">{label}</span></dd>
                                <dt>"Sign-in methods"</dt><dd>{sign_in_methods(&a)}</dd>
                                <dt>"Last sign-in"</dt><dd>{last_sign_in(&a)}</dd>
                                <dt>"Email"</dt><dd>{if p.email_proven { "proven (signed in with it, or accepted an invitation sent to it)" } else { "not proven yet" }}</dd>
                                <dt>"Account created"</dt><dd>{format_utc(p.created_at)}</dd>
                                {a.platform_role.map(|r| view! { <dt>"Platform role"</dt><dd>{r.as_str()}</dd> })}
                            </dl>
                            <ErrorNote message=error/>
                            <Show when=move || reset.get().is_some()>
                                <div class="notice" role="status" data-testid="password-reset">
                                    {move || reset.get().map(|r| view! {
                                        <p>{format!("New temporary password, valid until {}: they must choose their own at their next sign-in.{}",
                                            format_utc(r.expires_at),
                                            if r.added_password_sign_in { " They can now also sign in with a password." } else { "" })}</p>
                                        {r.generated_password.map(|pw| view! {
                                            <div class="row">
                                                <input readonly class="mono" aria-label="Temporary password" data-testid="reset-password-value" prop:value=pw.clone()/>
                                                <button class="button secondary" on:click=move |_| copy_to_clipboard(&pw)>"Copy"</button>
                                            </div>
                                        })}
                                    })}
                                </div>
                            </Show>
                            <div class="row">
                                {p.may_manage.then(move || view! {
                                    <button class="button secondary" data-testid="reset-password" on:click=move |_| {
                                        if confirm(&format!("Give {e1} a new temporary password? They are signed out everywhere and must choose their own at the next sign-in.")) {
                                            actions.reset.dispatch(ResetPassword { user_id: id1.clone(), password: None });
                                        }
                                    }>"Reset password"</button>
                                    {if deactivated {
                                        view! { <button class="button secondary" data-testid="reactivate" on:click=move |_| {
                                            actions.reactivate.dispatch(ReactivateUser { user_id: id2.clone() });
                                        }>"Reactivate"</button> }.into_any()
                                    } else {
                                        view! { <button class="button danger" data-testid="deactivate" on:click=move |_| {
                                            if confirm(&format!("Deactivate {e2}? They are signed out everywhere and cannot sign in until reactivated.")) {
                                                actions.deactivate.dispatch(DeactivateUser { user_id: id3.clone() });
                                            }
                                        }>"Deactivate"</button> }.into_any()
                                    }}
                                })}
                                {p.may_erase.then(move || view! {
                                    <button class="button danger" data-testid="erase" on:click=move |_| {
                                        let typed = window()
                                            .prompt_with_message(&format!("Erase {e3} for good? Type the email to confirm."))
                                            .ok()
                                            .flatten();
                                        if typed.as_deref().map(str::trim) == Some(e3.as_str()) {
                                            actions.erase.dispatch(EraseUser { user_id: id4.clone() });
                                        }
                                    }>"Erase"</button>
                                })}
                            </div>
                        </section>
                        <section class="card">
                            <h2>"Memberships"</h2>
                            {if p.memberships.is_empty() {
                                view! { <p class="empty">"No workspace memberships you can see."</p> }.into_any()
                            } else {
                                view! {
                                    <table data-testid="person-memberships">
                                        <thead><tr><th>"Workspace"</th><th>"Role"</th><th>"Joined"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                                        <tbody>
                                            {p.memberships.iter().cloned().map(|m| view! { <MembershipRow m user_id=a.id.clone() actions/> }).collect_view()}
                                        </tbody>
                                    </table>
                                }.into_any()
                            }}
                            {(p.hidden_memberships > 0).then(|| view! {
                                <p class="muted">{format!("And {} you may not see.", plural(p.hidden_memberships as i64, "membership", "memberships"))}</p>
                            })}
                            {(!p.org_roles.is_empty()).then(|| view! {
                                <h3>"Organization roles"</h3>
                                <ul class="plain">
                                    {p.org_roles.iter().map(|o| view! {
                                        <li><a href=format!("/orgs/{}", o.org_id)>{o.org_name.clone()}</a>{format!(": {}", o.role.label())}</li>
                                    }).collect_view()}
                                </ul>
                            })}
                        </section>
                        <section class="card">
                            <h2>"Recent activity"</h2>
                            {if p.audit.is_empty() {
                                view! { <p class="empty">"Nothing you may see."</p> }.into_any()
                            } else {
                                let history = format!("/audit?person={}", a.id);
                                view! {
                                    <p><a href=history data-testid="person-history">"Their whole history in the audit log"</a></p>
                                    <ul class="plain" data-testid="person-audit">
                                        {p.audit.iter().map(|e| view! {
                                            <li>
                                                <span class="nowrap muted">{format_utc(e.at)}</span> " "
                                                <code>{e.action.as_str()}</code> " "
                                                {e.actor.clone().map(|who| format!("by {who}"))} " "
                                                {e.workspace.clone().map(|w| format!("in {w}"))} " "
                                                <span class="muted">{e.detail.clone()}</span>
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }}
                        </section>
                    }.into_any()
                }
            })}
        </Transition>
    }
}

#[component]
fn MembershipRow(m: PersonMembership, user_id: String, actions: PersonActions) -> impl IntoView {
    let (ws1, ws2) = (m.workspace_id.clone(), m.workspace_id.clone());
    let (u1, u2) = (user_id.clone(), user_id);
    let ws_name = m.workspace_name.clone();
    view! {
        <tr data-testid="person-membership" data-workspace=m.workspace_name.clone()>
            <td><a href=format!("/members?workspace={}", m.workspace_id)>{format!("{} · {}", m.org_name, m.workspace_name)}</a></td>
            <td>
                {if m.may_change_role {
                    view! {
                        <select aria-label=format!("Role in {}", m.workspace_name) on:change=move |ev| {
                            actions.set_role.dispatch(SetMemberRole { workspace_id: ws1.clone(), user_id: u1.clone(), role: event_target_value(&ev) });
                        }>
                            <WorkspaceRoleOptions selected=m.role/>
                        </select>
                    }.into_any()
                } else {
                    view! { <span>{m.role.label()}</span> }.into_any()
                }}
            </td>
            <td class="nowrap">{format_utc(m.joined_at)}</td>
            <td>
                {m.may_remove.then(move || view! {
                    <button class="button danger small" on:click=move |_| {
                        if confirm(&format!("Remove them from {ws_name}?")) {
                            actions.remove.dispatch(RemoveMember { workspace_id: ws2.clone(), user_id: u2.clone() });
                        }
                    }>"Remove"</button>
                })}
            </td>
        </tr>
    }
}
