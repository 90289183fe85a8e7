use crate::api::audit::list_audit;
use crate::domain::time::format_utc;
use crate::model::audit::AuditEntry;
use leptos::prelude::*;

#[component]
pub fn AuditPage() -> impl IntoView {
    // Keyset pagination: "Older" shows the page before the last id shown.
    let before = RwSignal::new(None::<i64>);
    let page = Resource::new(move || before.get(), list_audit);
    view! {
        <section class="card">
            <h1>"Audit log"</h1>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || page.get().map(|r| match r {
                    Err(e) => view! { <p class="error">{e.error}</p> }.into_any(),
                    Ok(p) => {
                        let next = p.next_before;
                        view! {
                            <AuditTable rows=p.entries/>
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

#[component]
fn AuditTable(rows: Vec<AuditEntry>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty">"Nothing has happened yet."</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table>
                <thead><tr><th>"When"</th><th>"Who"</th><th>"What"</th><th>"Target"</th><th>"Workspace"</th><th>"Details"</th><th>"IP"</th></tr></thead>
                <tbody>
                    {rows.into_iter().map(|e| view! {
                        <tr>
                            <td class="nowrap">{format_utc(e.at)}</td>
                            <td>{e.actor.unwrap_or_else(|| "—".into())}</td>
                            <td><code>{e.action.as_str()}</code></td>
                            <td>{e.target.unwrap_or_default()}</td>
                            <td>{e.workspace.unwrap_or_default()}</td>
                            <td class="muted">{e.detail.unwrap_or_default()}</td>
                            <td class="muted">{e.ip.unwrap_or_default()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }.into_any()
}
