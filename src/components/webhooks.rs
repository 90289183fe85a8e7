//! An organization's webhook endpoints: add one (the signing secret shown once), each with its
//! recent deliveries (state, status, error) and Redeliver, Send test and Delete.

use crate::api::webhooks::{
    list_webhooks, CreateWebhook, DeleteWebhook, RedeliverWebhook, TestWebhook,
};
use crate::components::hydration::page_resource;
use crate::components::{confirm, copy_to_clipboard};
use crate::domain::time::format_utc;
use crate::domain::webhook_events::WEBHOOK_EVENTS;
use crate::model::webhooks::DeliveryDto;
use leptos::prelude::*;

#[component]
pub fn WebhooksPanel(org_id: String) -> impl IntoView {
    let create = ServerAction::<CreateWebhook>::new();
    let delete = ServerAction::<DeleteWebhook>::new();
    let test = ServerAction::<TestWebhook>::new();
    let redeliver = ServerAction::<RedeliverWebhook>::new();
    let reload = RwSignal::new(0_u32);
    let id = org_id.clone();
    let hooks = page_resource(
        move || {
            (
                create.version().get(),
                delete.version().get(),
                test.version().get(),
                redeliver.version().get(),
                reload.get(),
            )
        },
        move |_| list_webhooks(id.clone()),
    );
    let url = RwSignal::new(String::new());
    let chosen = RwSignal::new(vec![
        "member.added".to_string(),
        "member.removed".to_string(),
    ]);
    let error = Signal::derive(move || {
        create
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| delete.value().get().and_then(|r| r.err()))
            .or_else(|| test.value().get().and_then(|r| r.err()))
            .or_else(|| redeliver.value().get().and_then(|r| r.err()))
            .map(|e| e.error)
    });
    let created = Signal::derive(move || create.value().get().and_then(|r| r.ok()));
    let org = StoredValue::new(org_id);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateWebhook {
            org_id: org.get_value(),
            url: url.get_untracked(),
            events: chosen.get_untracked().join(","),
        });
    };
    view! {
        <section class="card" data-testid="webhooks">
            <h2>"Webhooks"</h2>
            <p class="muted">"Roster POSTs each event as JSON, signed in “Roster-Signature: t=…,v1=…” (HMAC-SHA256 of “timestamp.body” with the endpoint's secret), and retries for a day while the receiver is down."</p>
            <Show when=move || error.get().is_some()>
                <p class="error" role="alert">{move || error.get().unwrap_or_default()}</p>
            </Show>
            <Show when=move || created.get().is_some()>
                <div class="notice" role="status" data-testid="webhook-created">
                    <p>"The signing secret, shown this once:"</p>
                    <div class="row">
                        <input readonly class="mono" aria-label="Webhook secret" data-testid="webhook-secret"
                            prop:value=move || created.get().map(|c| c.secret).unwrap_or_default()/>
                        <button class="button secondary" on:click=move |_| {
                            if let Some(c) = created.get_untracked() { copy_to_clipboard(&c.secret); }
                        }>"Copy"</button>
                    </div>
                </div>
            </Show>
            <form class="form" on:submit=submit data-testid="create-webhook">
                <label>"Endpoint URL" <input type="url" required placeholder="https://hooks.example.com/roster"
                    prop:value=url on:input=move |ev| url.set(event_target_value(&ev))/></label>
                <fieldset>
                    <legend>"Events"</legend>
                    {WEBHOOK_EVENTS.iter().map(|e| {
                        let value = e.to_string();
                        let checked = chosen.get_untracked().contains(&value);
                        view! {
                            <label class="inline">
                                <input type="checkbox" checked=checked on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    let v = value.clone();
                                    chosen.update(|c| { c.retain(|x| *x != v); if on { c.push(v); } });
                                }/>
                                <code>{*e}</code>
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                <div class="row end">
                    <button class="button" type="submit" disabled=move || create.pending().get()>"Add webhook"</button>
                </div>
            </form>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || hooks.get().map(|r| match r {
                    Err(e) => view! { <p class="error">{e.error}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="empty">"No webhooks yet."</p> }.into_any(),
                    Ok(list) => list.into_iter().map(|h| {
                        let (id1, id2) = (h.id.clone(), h.id.clone());
                        let hook_id = StoredValue::new(h.id.clone());
                        let url_label = h.url.clone();
                        view! {
                            <div class="webhook" data-testid="webhook" data-url=h.url.clone()>
                                <h3 class="mono">{h.url.clone()}</h3>
                                <p class="muted"><code>{h.events.join(", ")}</code>
                                    {h.created_by.map(|by| format!(" · added by {by}"))}</p>
                                <div class="row">
                                    <button class="button secondary small" data-testid="webhook-test" on:click=move |_| {
                                        test.dispatch(TestWebhook { webhook_id: id1.clone() });
                                    }>"Send test"</button>
                                    <button class="button secondary small" on:click=move |_| reload.update(|n| *n += 1)>"Refresh"</button>
                                    <button class="button danger small" data-testid="webhook-delete" on:click=move |_| {
                                        if confirm(&format!("Delete the webhook to {url_label}? Nothing more is sent to it.")) {
                                            delete.dispatch(DeleteWebhook { webhook_id: id2.clone() });
                                        }
                                    }>"Delete"</button>
                                </div>
                                {if h.deliveries.is_empty() {
                                    view! { <p class="empty">"No deliveries yet."</p> }.into_any()
                                } else {
                                    view! {
                                        <table data-testid="deliveries">
                                            <thead><tr><th>"Event"</th><th>"When"</th><th>"State"</th><th>"Attempts"</th><th>"Answer"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                                            <tbody>
                                                {h.deliveries.into_iter().map(|d| view! { <DeliveryRow d hook_id=hook_id.try_get_value().unwrap_or_default() redeliver/> }).collect_view()}
                                            </tbody>
                                        </table>
                                    }.into_any()
                                }}
                            </div>
                        }
                    }).collect_view().into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn DeliveryRow(
    d: DeliveryDto,
    hook_id: String,
    redeliver: ServerAction<RedeliverWebhook>,
) -> impl IntoView {
    let delivery_id = d.id.to_string();
    let state = match (d.state.as_str(), d.next_attempt_at) {
        ("pending", Some(at)) if d.attempts > 0 => format!("retrying at {}", format_utc(at)),
        ("pending", _) => "queued".to_string(),
        (other, _) => other.to_string(),
    };
    let answer = match (d.last_status, d.last_error.clone()) {
        (Some(s), _) => s.to_string(),
        (None, Some(e)) => e,
        (None, None) => "—".to_string(),
    };
    view! {
        <tr data-testid="delivery" data-state=d.state.clone()>
            <td><code>{d.event.clone()}</code></td>
            <td class="nowrap">{format_utc(d.created_at)}</td>
            <td>{state}</td>
            <td>{d.attempts}</td>
            <td>{answer}</td>
            <td>
                <button class="button secondary small" data-testid="redeliver" on:click=move |_| {
                    redeliver.dispatch(RedeliverWebhook { webhook_id: hook_id.clone(), delivery_id: delivery_id.clone() });
                }>"Redeliver"</button>
            </td>
        </tr>
    }
}
