//! The audit log at `/audit`: filters kept in the page's address (so a person's page can link
//! to their history and a filtered view can be shared), keyset pages, every entry's details in
//! full, and the same filter exported as CSV or NDJSON.

use crate::api::audit::list_audit;
use crate::components::hydration::page_resource;
use crate::components::me::use_me;
use crate::domain::time::format_utc;
use crate::domain::AuditAction;
use crate::model::audit::{AuditEntry, AuditFilter};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

/// Details longer than this are folded behind a disclosure.
const DETAIL_PREVIEW_CHARS: usize = 60;

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        query.with(|q| {
            AuditFilter {
                action: q.get("action"),
                actor: q.get("actor"),
                target: q.get("target"),
                workspace_id: q.get("workspace_id"),
                person: q.get("person"),
                from: q.get("from"),
                to: q.get("to"),
            }
            .normalized()
        })
    });
    // Keyset pagination: "Older" shows the page before the last id shown; a new filter starts
    // again from the newest.
    let before = RwSignal::new(None::<i64>);
    Effect::watch(
        move || filter.track(),
        move |_, _, _| before.set(None),
        false,
    );
    let page = page_resource(
        move || (filter.get(), before.get()),
        |(f, before)| {
            list_audit(
                before,
                f.action,
                f.actor,
                f.target,
                f.workspace_id,
                f.person,
                f.from,
                f.to,
            )
        },
    );
    view! {
        <section class="card">
            <div class="toolbar">
                <h1>"Audit log"</h1>
                <span class="spacer"></span>
                <a class="button secondary" data-testid="audit-export-csv" download
                    href=move || export_url("csv", &filter.get())>"Export CSV"</a>
                <a class="button secondary" data-testid="audit-export-ndjson" download
                    href=move || export_url("ndjson", &filter.get())>"Export NDJSON"</a>
            </div>
            {move || view! { <AuditFilters current=filter.get()/> }}
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || page.get().map(|r| match r {
                    Err(e) => view! { <p class="error" role="alert">{e.error}</p> }.into_any(),
                    Ok(p) => {
                        let next = p.next_before;
                        let filtered = !filter.with(AuditFilter::is_empty);
                        view! {
                            <AuditTable rows=p.entries filtered/>
                            <div class="pager">
                                <Show when=move || before.get().is_some()>
                                    <button class="button secondary" on:click=move |_| before.set(None)>"Newest"</button>
                                </Show>
                                <Show when=move || next.is_some()>
                                    <button class="button secondary" on:click=move |_| before.set(next)>"Older"</button>
                                </Show>
                            </div>
                        }.into_any()
                    }
                })}
            </Transition>
        </section>
    }
}

fn export_url(format: &str, filter: &AuditFilter) -> String {
    let query = filter.to_query();
    if query.is_empty() {
        format!("/api/audit/export.{format}")
    } else {
        format!("/api/audit/export.{format}?{query}")
    }
}

/// The filter form: applying it changes the address, which the list follows.
#[component]
fn AuditFilters(current: AuditFilter) -> impl IntoView {
    let me = use_me();
    let navigate = use_navigate();
    let action = RwSignal::new(current.action.clone().unwrap_or_default());
    let actor = RwSignal::new(current.actor.clone().unwrap_or_default());
    let target = RwSignal::new(current.target.clone().unwrap_or_default());
    let workspace_id = RwSignal::new(current.workspace_id.clone().unwrap_or_default());
    let from = RwSignal::new(current.from.clone().unwrap_or_default());
    let to = RwSignal::new(current.to.clone().unwrap_or_default());
    let person = current.person.clone();
    let apply = {
        let navigate = navigate.clone();
        let person = person.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let filter = AuditFilter {
                action: Some(action.get()),
                actor: Some(actor.get()),
                target: Some(target.get()),
                workspace_id: Some(workspace_id.get()),
                person: person.clone(),
                from: Some(from.get()),
                to: Some(to.get()),
            };
            let query = filter.to_query();
            navigate(&format!("/audit?{query}"), Default::default());
        }
    };
    let without_person = AuditFilter {
        person: None,
        ..current.clone()
    }
    .to_query();
    let workspaces = move || {
        me.get()
            .and_then(|r| r.ok().flatten())
            .map(|me| me.workspaces)
            .unwrap_or_default()
    };
    view! {
        <form class="filters" data-testid="audit-filters" on:submit=apply>
            <label>"Action"
                <select data-testid="audit-filter-action" prop:value=move || action.get()
                    on:change=move |ev| action.set(event_target_value(&ev))>
                    <option value="">"Any action"</option>
                    {AuditAction::ALL.iter().map(|a| {
                        let name = a.as_str();
                        view! { <option value=name selected=current.action.as_deref() == Some(name)>{name}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label>"Who (email)"
                <input type="search" data-testid="audit-filter-actor" bind:value=actor autocomplete="off"/>
            </label>
            <label>"Target"
                <input type="search" data-testid="audit-filter-target" bind:value=target autocomplete="off"/>
            </label>
            <label>"Workspace"
                <select data-testid="audit-filter-workspace" prop:value=move || workspace_id.get()
                    on:change=move |ev| workspace_id.set(event_target_value(&ev))>
                    <option value="">"Any workspace"</option>
                    <Suspense fallback=|| ()>
                        {move || {
                            let chosen = workspace_id.get_untracked();
                            workspaces().iter().map(|w| {
                                let selected = w.id == chosen;
                                view! { <option value=w.id.clone() selected=selected>{w.name.clone()}</option> }
                            }).collect_view()
                        }}
                    </Suspense>
                </select>
            </label>
            <label>"From"
                <input type="date" data-testid="audit-filter-from" bind:value=from/>
            </label>
            <label>"To"
                <input type="date" data-testid="audit-filter-to" bind:value=to/>
            </label>
            <div class="filter-actions">
                <button type="submit" class="button">"Apply"</button>
                <a class="button secondary" href="/audit">"Clear"</a>
            </div>
            {person.map(|id| view! {
                <p class="muted" data-testid="audit-filter-person">
                    "Only entries about " <a href=format!("/people/{id}")>"one person"</a> ". "
                    <a href=format!("/audit?{without_person}")>"Show everyone"</a>
                </p>
            })}
        </form>
    }
}

#[component]
fn AuditTable(rows: Vec<AuditEntry>, filtered: bool) -> impl IntoView {
    if rows.is_empty() {
        let message = if filtered {
            "Nothing matches these filters."
        } else {
            "Nothing has happened yet."
        };
        return view! { <p class="empty" data-testid="audit-empty">{message}</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table data-testid="audit-table">
                <thead><tr><th>"When"</th><th>"Who"</th><th>"What"</th><th>"Target"</th><th>"Workspace"</th><th>"Details"</th></tr></thead>
                <tbody>
                    {rows.into_iter().map(|e| view! {
                        <tr data-testid="audit-row">
                            <td>{format_utc(e.at)}</td>
                            <td class="wrap">{e.actor.clone().unwrap_or_else(|| "—".into())}</td>
                            <td><code>{e.action.as_str()}</code></td>
                            <td class="wrap">{e.target.clone().unwrap_or_default()}</td>
                            <td>{e.workspace.clone().unwrap_or_default()}</td>
                            <td class="details"><EntryDetails entry=e/></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }.into_any()
}

/// The detail, the address and the token of an entry: short ones inline, anything longer
/// behind a native disclosure (keyboard and screen-reader accessible) that shows it in full.
#[component]
fn EntryDetails(entry: AuditEntry) -> impl IntoView {
    let detail = entry.detail.unwrap_or_default();
    let extra = [
        entry.ip.map(|ip| format!("IP {ip}")),
        entry.actor_token.map(|t| format!("token {t}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    if detail.chars().count() <= DETAIL_PREVIEW_CHARS {
        return view! {
            <span class="detail">{detail}</span>
            {(!extra.is_empty()).then(|| view! { <span class="muted small">" " {extra}</span> })}
        }
        .into_any();
    }
    let preview: String = detail.chars().take(DETAIL_PREVIEW_CHARS).collect();
    view! {
        <details class="entry-detail" data-testid="audit-detail">
            <summary>{preview} "…"</summary>
            <pre class="detail-full">{detail}</pre>
            {(!extra.is_empty()).then(|| view! { <p class="muted small">{extra}</p> })}
        </details>
    }
    .into_any()
}
