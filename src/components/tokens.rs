//! API tokens: the list, "Create token" (the secret shown once) and Revoke, for one's own
//! tokens on the profile or an organization's on its page.

use crate::api::tokens::{list_tokens, CreateToken, RevokeToken};
use crate::components::hydration::page_resource;
use crate::components::{confirm, copy_to_clipboard};
use crate::domain::scopes::{Scope, DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS};
use crate::domain::time::format_utc;
use leptos::prelude::*;

#[component]
pub fn TokensPanel(
    /// `None`: the signed-in person's own tokens.
    org_id: Option<String>,
) -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let for_org = org_id.clone();
    let tokens = page_resource(
        move || (create.version().get(), revoke.version().get()),
        move |_| list_tokens(for_org.clone()),
    );
    let name = RwSignal::new(String::new());
    let days = RwSignal::new(DEFAULT_TOKEN_DAYS.to_string());
    let chosen = RwSignal::new(vec![Scope::MembersRead.as_str().to_string()]);
    let error = Signal::derive(move || {
        create
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| revoke.value().get().and_then(|r| r.err()))
            .map(|e| e.error)
    });
    let created = Signal::derive(move || create.value().get().and_then(|r| r.ok()));
    let org = StoredValue::new(org_id.clone());
    let scopes: Vec<Scope> = Scope::ALL
        .iter()
        .copied()
        .filter(|s| org_id.is_some() || *s != Scope::Scim)
        .collect();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateToken {
            name: name.get_untracked(),
            scopes: chosen.get_untracked().join(","),
            expires_in_days: Some(days.get_untracked()),
            org_id: org.get_value(),
        });
    };
    view! {
        <section class="card" data-testid="tokens">
            <h2>"API tokens"</h2>
            <p class="muted">{if org_id.is_some() {
                "Organization tokens act as an administrator of this organization and keep working when the people who made them leave. Their rights are their scopes, within what an organization admin may do."
            } else {
                "Personal tokens act as you, within their scopes: if you lose a right, your tokens lose it too. Send one as “Authorization: Bearer …”."
            }}</p>
            <Show when=move || error.get().is_some()>
                <p class="error" role="alert">{move || error.get().unwrap_or_default()}</p>
            </Show>
            <Show when=move || created.get().is_some()>
                <div class="notice" role="status" data-testid="token-created">
                    <p>"Copy the token now: it is shown this once, and Roster keeps only a hash of it."</p>
                    <div class="row">
                        <input readonly class="mono" aria-label="New API token" data-testid="token-secret"
                            prop:value=move || created.get().map(|c| c.secret).unwrap_or_default()/>
                        <button class="button secondary" on:click=move |_| {
                            if let Some(c) = created.get_untracked() { copy_to_clipboard(&c.secret); }
                        }>"Copy"</button>
                    </div>
                </div>
            </Show>
            <form class="form" on:submit=submit data-testid="create-token">
                <label>"Name" <input required maxlength="100" placeholder="CI invites"
                    prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/></label>
                <fieldset>
                    <legend>"Scopes"</legend>
                    {scopes.into_iter().map(|s| {
                        let value = s.as_str().to_string();
                        let checked = value == Scope::MembersRead.as_str();
                        view! {
                            <label class="inline">
                                <input type="checkbox" checked=checked on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    let v = value.clone();
                                    chosen.update(|c| { c.retain(|x| *x != v); if on { c.push(v); } });
                                }/>
                                <code>{s.as_str()}</code>
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                <label>"Expires after (days)"
                    <input type="number" min="1" max=MAX_TOKEN_DAYS.to_string() required
                        prop:value=days on:input=move |ev| days.set(event_target_value(&ev))/>
                </label>
                <div class="row end">
                    <button class="button" type="submit" disabled=move || create.pending().get()>"Create token"</button>
                </div>
            </form>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || tokens.get().map(|r| match r {
                    Err(e) => view! { <p class="error">{e.error}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="empty">"No tokens yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <table data-testid="token-list">
                            <thead><tr><th>"Name"</th><th>"Scopes"</th><th>"Expires"</th><th>"Last used"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|t| {
                                    let (id, label) = (t.id.clone(), t.name.clone());
                                    view! {
                                        <tr data-testid="token-row" data-name=t.name.clone()>
                                            <td>{t.name.clone()}{t.created_by.map(|by| view! { <span class="muted">{format!(" by {by}")}</span> })}</td>
                                            <td><code>{t.scopes.join(", ")}</code></td>
                                            <td class="nowrap">{format_utc(t.expires_at)}</td>
                                            <td class="nowrap">{t.last_used_at.map(format_utc).unwrap_or_else(|| "never".into())}</td>
                                            <td>
                                                <button class="button danger small" data-testid="revoke-token" on:click=move |_| {
                                                    if confirm(&format!("Revoke the token “{label}”? Anything using it stops working at once.")) {
                                                        revoke.dispatch(RevokeToken { token_id: id.clone() });
                                                    }
                                                }>"Revoke"</button>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}
