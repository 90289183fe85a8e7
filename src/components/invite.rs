//! The Invite dialog: one or many emails, a role, optional extra workspaces.

use crate::api::invites::CreateInvites;
use crate::components::modal::Modal;
use crate::components::WorkspaceRoleOptions;
use crate::domain::{OrgRole, PlatformRole, WorkspaceRole};
use crate::model::auth::WorkspaceDto;
use crate::model::invites::InviteResultKind;
use leptos::prelude::*;

/// The dialog as a view made in a later part of the browser bundle (`cargo leptos build
/// --split`), loaded when it first opens: most visits to the members page never open it.
#[lazy]
pub fn lazy_invite_dialog(
    workspace: WorkspaceDto,
    others: Vec<WorkspaceDto>,
    may_grant_platform: bool,
    org_roles: Vec<OrgRole>,
    on_close: Callback<bool>,
) -> AnyView {
    view! { <InviteDialog workspace others may_grant_platform org_roles on_close/> }.into_any()
}

#[component]
pub fn InviteDialog(
    workspace: WorkspaceDto,
    others: Vec<WorkspaceDto>,
    may_grant_platform: bool,
    /// The organization roles the inviter may grant in the workspace's organization.
    org_roles: Vec<OrgRole>,
    on_close: Callback<bool>,
) -> impl IntoView {
    let invite = ServerAction::<CreateInvites>::new();
    let emails = RwSignal::new(String::new());
    let role = RwSignal::new(WorkspaceRole::WorkspaceViewer.as_str().to_string());
    let extra = RwSignal::new(Vec::<String>::new());
    let platform_role = RwSignal::new(String::new());
    let org_role = RwSignal::new(String::new());
    let error = move || invite.value().get().and_then(|r| r.err());
    let done = move || invite.value().get().and_then(|r| r.ok());
    let workspace_id = workspace.id.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        invite.dispatch(CreateInvites {
            workspace_id: workspace_id.clone(),
            emails: emails.get_untracked(),
            role: role.get_untracked(),
            workspace_ids: Some(extra.get_untracked().join(",")),
            platform_role: Some(platform_role.get_untracked()),
            org_role: Some(org_role.get_untracked()),
        });
    };
    let has_others = !others.is_empty();
    let may_grant_org = !org_roles.is_empty();
    let org_roles = StoredValue::new(org_roles);
    let org_name = StoredValue::new(workspace.org_name.clone());
    let others = StoredValue::new(others);

    view! {
        <Modal labelled_by="invite-title" on_escape=Callback::new(move |()| on_close.run(done().is_some()))>
                <h2 id="invite-title">{format!("Invite to {}", workspace.name)}</h2>
                {move || match done() {
                    Some(result) => {
                        let email_enabled = result.email_enabled;
                        view! {
                            <ul class="results" data-testid="invite-results">
                                {result.results.into_iter().map(|r| {
                                    let (label, class) = match r.result {
                                        InviteResultKind::Invited => ("invited", "ok"),
                                        InviteResultKind::Updated => ("invitation updated", "ok"),
                                        InviteResultKind::Added => ("already had an account: added", "ok"),
                                        InviteResultKind::AlreadyMember => ("already a member", "muted"),
                                        InviteResultKind::Invalid => ("not sent", "error"),
                                    };
                                    view! {
                                        <li><strong>{r.email}</strong> " — " <span class=class>{label}</span>
                                            {r.reason.map(|why| view! { <span class="muted">{format!(" ({why})")}</span> })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                            <p class="muted">{if email_enabled {
                                "Invitation emails are on their way."
                            } else {
                                "Email is off: use “Copy link” on each pending row to hand over the links."
                            }}</p>
                            <div class="row end">
                                <button class="button" data-testid="invite-done" on:click=move |_| on_close.run(true)>"Done"</button>
                            </div>
                        }.into_any()
                    }
                    None => view! {
                        <form class="form" on:submit=submit.clone()>
                            <label>"Emails"
                                <textarea rows="4" required autofocus name="emails" data-testid="invite-emails"
                                    placeholder="ada@example.com, grace@example.com"
                                    prop:value=emails on:input=move |ev| emails.set(event_target_value(&ev))></textarea>
                                <small class="muted">"Separate addresses with commas, spaces or new lines; up to 100."</small>
                            </label>
                            <label>"Role"
                                <select name="role" on:change=move |ev| role.set(event_target_value(&ev))>
                                    <WorkspaceRoleOptions selected=WorkspaceRole::WorkspaceViewer/>
                                </select>
                            </label>
                            <Show when=move || has_others>
                                <fieldset>
                                    <legend>"Also invite to"</legend>
                                    {others.get_value().into_iter().map(|w| {
                                        let id = w.id.clone();
                                        view! {
                                            <label class="inline">
                                                <input type="checkbox" on:change=move |ev| {
                                                    let on = event_target_checked(&ev);
                                                    extra.update(|ids| { ids.retain(|x| x != &id); if on { ids.push(id.clone()); } });
                                                }/>
                                                {format!("{} · {}", w.org_name, w.name)}
                                            </label>
                                        }
                                    }).collect_view()}
                                </fieldset>
                            </Show>
                            <Show when=move || may_grant_org>
                                <label>{format!("Role in {}", org_name.get_value())}
                                    <select data-testid="invite-org-role" on:change=move |ev| org_role.set(event_target_value(&ev))>
                                        <option value="">"None: workspace access only"</option>
                                        {org_roles.get_value().into_iter().map(|r| view! {
                                            <option value=r.as_str()>{format!("Organization {}", r.label().to_lowercase())}</option>
                                        }).collect_view()}
                                    </select>
                                </label>
                            </Show>
                            <Show when=move || may_grant_platform>
                                <label>"Platform role"
                                    <select on:change=move |ev| platform_role.set(event_target_value(&ev))>
                                        <option value="">"None (an offer already made stays)"</option>
                                        <option value=PlatformRole::PlatformOperator.as_str()>"Platform operator"</option>
                                        <option value=PlatformRole::PlatformAdmin.as_str()>"Platform admin"</option>
                                        <option value="none">"Take back an offered platform role"</option>
                                    </select>
                                </label>
                            </Show>
                            <Show when=move || error().is_some()>
                                <p class="error" role="alert">{move || error().map(|e| e.error)}</p>
                            </Show>
                            <div class="row end">
                                <button type="button" class="button secondary" on:click=move |_| on_close.run(false)>"Cancel"</button>
                                <button type="submit" class="button" disabled=move || invite.pending().get()>"Send invitations"</button>
                            </div>
                        </form>
                    }.into_any(),
                }}
        </Modal>
    }
}
