use super::ErrorNote;
use crate::api::auth::{
    my_identities, my_sessions, EndOtherSessions, EndSession, SetMyName, UnlinkIdentity,
};
use crate::components::hydration::page_resource;
use crate::components::me::use_me;
use crate::components::{confirm, full_reload_to};
use crate::domain::time::{format_date, format_utc};
use leptos::prelude::*;

#[component]
pub fn ProfilePage() -> impl IntoView {
    let me = use_me();
    let unlink = ServerAction::<UnlinkIdentity>::new();
    let identities = page_resource(move || unlink.version().get(), |_| my_identities());
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
        <Sessions/>
        <crate::components::tokens::TokensPanel org_id=None/>
    }
}

/// The caller's sessions, with "Sign out" on each and "Sign out everywhere else".
#[component]
fn Sessions() -> impl IntoView {
    let end = ServerAction::<EndSession>::new();
    let end_others = ServerAction::<EndOtherSessions>::new();
    let sessions = page_resource(
        move || (end.version().get(), end_others.version().get()),
        |_| my_sessions(),
    );
    let error = Signal::derive(move || {
        end.value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| end_others.value().get().and_then(|r| r.err()))
            .map(|e| e.error)
    });
    let ended_others = Signal::derive(move || end_others.value().get().and_then(|r| r.ok()));
    // Ending the session this page runs in signs the person out: go to the sign-in page once
    // the server has answered.
    let ending_current = RwSignal::new(false);
    Effect::new(move |_| {
        if matches!(end.value().get(), Some(Ok(()))) && ending_current.get_untracked() {
            full_reload_to("/login");
        }
    });
    view! {
        <section class="card narrow">
            <h2>"Sessions"</h2>
            <p class="muted">"Where you are signed in. Sign out a session you do not recognise, then change your password."</p>
            <ErrorNote message=error/>
            <Show when=move || ended_others.get().is_some()>
                <p class="notice" role="status" data-testid="ended-others">
                    {move || match ended_others.get().unwrap_or_default() {
                        0 => "There were no other sessions.".to_string(),
                        1 => "Signed out 1 other session.".to_string(),
                        n => format!("Signed out {n} other sessions."),
                    }}
                </p>
            </Show>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || sessions.get().map(|r| match r {
                    Err(e) => view! { <p class="error">{e.error}</p> }.into_any(),
                    Ok(list) => {
                        let others = list.iter().filter(|s| !s.current).count();
                        view! {
                            <ul class="plain" data-testid="sessions">
                                {list.into_iter().map(|s| {
                                    let (id, current) = (s.id.clone(), s.current);
                                    view! {
                                        <li data-testid="session" data-current=current.to_string()>
                                            <strong>{s.browser.clone()}</strong>
                                            {current.then(|| view! { <span class="badge">"this session"</span> })}
                                            <br/>
                                            <span class="muted">{format!(
                                                "{} · signed in {} with {} · last active {}",
                                                if s.ip.is_empty() { "unknown address" } else { s.ip.as_str() },
                                                format_utc(s.signed_in_at),
                                                if s.method == "oidc" { "Google" } else { "a password" },
                                                format_utc(s.last_seen_at),
                                            )}</span>
                                            " "
                                            <button class="button secondary small" data-testid="end-session" on:click=move |_| {
                                                if current {
                                                    if confirm("Sign out of this session?") {
                                                        ending_current.set(true);
                                                        end.dispatch(EndSession { session_id: id.clone() });
                                                    }
                                                } else {
                                                    end.dispatch(EndSession { session_id: id.clone() });
                                                }
                                            }>"Sign out"</button>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                            <Show when=move || { others > 0 }>
                                <button class="button danger" data-testid="end-other-sessions" on:click=move |_| {
                                    if confirm("Sign out every other session? This one stays signed in.") {
                                        end_others.dispatch(EndOtherSessions {});
                                    }
                                }>"Sign out everywhere else"</button>
                            </Show>
                        }.into_any()
                    }
                })}
            </Transition>
        </section>
    }
}
