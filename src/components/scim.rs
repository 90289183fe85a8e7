//! An organization's SCIM provisioning: the base URL and token to give the identity provider,
//! what it did lately, and the group → workspace role mappings (add, remove).

use crate::api::scim::{get_scim_settings, AddScimMapping, RemoveScimMapping};
use crate::components::hydration::page_resource;
use crate::components::{confirm, copy_to_clipboard};
use crate::domain::time::format_utc;
use crate::domain::WorkspaceRole;
use leptos::prelude::*;

#[component]
pub fn ScimPanel(org_id: String) -> impl IntoView {
    let add = ServerAction::<AddScimMapping>::new();
    let remove = ServerAction::<RemoveScimMapping>::new();
    let id = org_id.clone();
    let settings = page_resource(
        move || (add.version().get(), remove.version().get()),
        move |_| get_scim_settings(id.clone()),
    );
    let group = RwSignal::new(String::new());
    let workspace = RwSignal::new(String::new());
    let role = RwSignal::new(WorkspaceRole::WorkspaceViewer.as_str().to_string());
    let error = Signal::derive(move || {
        add.value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| remove.value().get().and_then(|r| r.err()))
            .map(|e| e.error)
    });
    let org = StoredValue::new(org_id);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        add.dispatch(AddScimMapping {
            org_id: org.get_value(),
            group: group.get_untracked(),
            workspace_id: workspace.get_untracked(),
            role: role.get_untracked(),
        });
    };
    view! {
        <section class="card" data-testid="scim">
            <h2>"SCIM provisioning"</h2>
            <p class="muted">"Your identity provider (Okta, Microsoft Entra ID, …) creates, updates and deactivates people here the moment it changes them. Nobody gets an account before they sign in: a provisioned person is a pending invitation until their first Google sign-in. Create an organization API token with the " <code>"scim"</code> " scope above and give the provider the base URL below."</p>
            <Show when=move || error.get().is_some()>
                <p class="error" role="alert">{move || error.get().unwrap_or_default()}</p>
            </Show>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || settings.get().map(|r| match r {
                    Err(e) => view! { <p class="error">{e.error}</p> }.into_any(),
                    Ok(s) => {
                        let base = s.base_url.clone();
                        let status = match (s.last_request_at, s.last_request.clone(), s.last_status) {
                            (Some(at), Some(req), Some(code)) => format!("Last request {} — {req} → {code}", format_utc(at)),
                            _ => "No SCIM request yet.".to_string(),
                        };
                        let workspaces = s.workspaces.clone();
                        let errors_class = if s.errors_last_day == 0 { "muted" } else { "error" };
                        if workspace.get_untracked().is_empty() {
                            if let Some((first, _)) = workspaces.first() { workspace.set(first.clone()); }
                        }
                        view! {
                            <div class="row">
                                <input readonly class="mono" aria-label="SCIM base URL" data-testid="scim-base-url" prop:value=base.clone()/>
                                <button class="button secondary" on:click=move |_| copy_to_clipboard(&base)>"Copy"</button>
                            </div>
                            <p data-testid="scim-status">{status}</p>
                            <p data-testid="scim-errors" class=errors_class>
                                {format!("{} failed request(s) in the last day", s.errors_last_day)}
                                {s.last_error.clone().map(|e| format!(" — last: {e}"))}
                            </p>
                            <h3>"Groups → roles"</h3>
                            <p class="muted">"Members of a group get the role in the workspace; the highest role wins when several groups name the same workspace, and a group mapped nowhere changes nothing. Roles set this way show a SCIM badge and follow the groups."</p>
                            {if s.mappings.is_empty() {
                                view! { <p class="empty">"No mappings yet: SCIM keeps people's records but gives no access."</p> }.into_any()
                            } else {
                                view! {
                                    <table data-testid="scim-mappings">
                                        <thead><tr><th>"Group"</th><th>"Workspace"</th><th>"Role"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                                        <tbody>
                                            {s.mappings.into_iter().map(|m| {
                                                let (mid, label) = (m.id.clone(), format!("{} → {}", m.group, m.workspace_name));
                                                view! {
                                                    <tr data-testid="scim-mapping" data-group=m.group.clone()>
                                                        <td>{m.group.clone()}</td>
                                                        <td>{m.workspace_name.clone()}</td>
                                                        <td>{m.role.label()}</td>
                                                        <td><button class="button danger small" data-testid="scim-unmap" on:click=move |_| {
                                                            if confirm(&format!("Remove {label}? Its members lose the role it gave them now.")) {
                                                                remove.dispatch(RemoveScimMapping { mapping_id: mid.clone() });
                                                            }
                                                        }>"Remove"</button></td>
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                }.into_any()
                            }}
                            <form class="form row" on:submit=submit data-testid="scim-map">
                                <label>"Group" <input required list="scim-groups" placeholder="Engineering"
                                    prop:value=group on:input=move |ev| group.set(event_target_value(&ev))/></label>
                                <datalist id="scim-groups">
                                    {s.groups.into_iter().map(|g| view! { <option value=g/> }).collect_view()}
                                </datalist>
                                <label>"Workspace" <select aria-label="Workspace" on:change=move |ev| workspace.set(event_target_value(&ev))>
                                    {workspaces.into_iter().map(|(id, name)| {
                                        let selected = workspace.get_untracked() == id;
                                        view! { <option value=id selected=selected>{name}</option> }
                                    }).collect_view()}
                                </select></label>
                                <label>"Role" <select aria-label="Role" on:change=move |ev| role.set(event_target_value(&ev))>
                                    {WorkspaceRole::ALL.iter().map(|r| view! {
                                        <option value=r.as_str() selected=*r == WorkspaceRole::WorkspaceViewer>{r.label()}</option>
                                    }).collect_view()}
                                </select></label>
                                <button class="button" type="submit" disabled=move || add.pending().get()>"Map group"</button>
                            </form>
                        }.into_any()
                    }
                })}
            </Transition>
        </section>
    }
}
