use super::ErrorNote;
use crate::api::auth::{my_identities, SetMyName, UnlinkIdentity};
use crate::components::me::use_me;
use crate::domain::time::format_date;
use leptos::prelude::*;

#[component]
pub fn ProfilePage() -> impl IntoView {
    let me = use_me();
    let unlink = ServerAction::<UnlinkIdentity>::new();
    let identities = Resource::new(move || unlink.version().get(), |_| my_identities());
    let error = Signal::derive(move || unlink.value().get().and_then(|r| r.err()).map(|e| e.error));
    let rename = ServerAction::<SetMyName>::new();
    let rename_error =
        Signal::derive(move || rename.value().get().and_then(|r| r.err()).map(|e| e.error));
    view! {
        <section class="card narrow">
            <h1>"Profile"</h1>
            <Transition fallback=|| ()>
                {move || me.get().and_then(|r| r.ok()).flatten().map(|m| view! {
                    <p><span class="muted">{m.email.clone()}</span></p>
                    <ActionForm action=rename attr:class="form row" attr:data-testid="rename-form">
                        <label>"Display name"
                            <input name="name" maxlength="200" prop:value=m.name.clone() autocomplete="name"/>
                        </label>
                        <button class="button secondary" type="submit" disabled=move || rename.pending().get()>"Save"</button>
                    </ActionForm>
                })}
            </Transition>
            <ErrorNote message=rename_error/>
            <Show when=move || matches!(rename.value().get(), Some(Ok(_)))>
                <p class="notice" role="status" data-testid="renamed">"Saved."</p>
            </Show>
            <h2>"Sign-in methods"</h2>
            <ErrorNote message=error/>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || identities.get().map(|r| match r {
                    Err(e) => view! { <p class="error">{e.error}</p> }.into_any(),
                    Ok(list) => view! {
                        <ul data-testid="identities">
                            {list.identities.iter().map(|i| {
                                let (issuer, subject) = (i.issuer.clone(), i.subject.clone());
                                view! {
                                    <li>
                                        {format!("{} ({}, linked {})", i.provider, i.email_at_link, format_date(i.linked_at))} " "
                                        <button class="button danger small" on:click=move |_| {
                                            if window().confirm_with_message("Unlink this sign-in method?").unwrap_or(false) {
                                                unlink.dispatch(UnlinkIdentity { issuer: issuer.clone(), subject: subject.clone() });
                                            }
                                        }>"Unlink"</button>
                                    </li>
                                }
                            }).collect_view()}
                            {list.has_password.then(|| view! { <li>"Password"</li> })}
                        </ul>
                        {list.google_enabled.then(|| view! {
                            <form method="post" action="/auth/oidc/link" class="inline">
                                <button class="button secondary" type="submit" data-testid="link-google">"Link Google"</button>
                            </form>
                        })}
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}
