use crate::api::invites::lookup_invite;
use crate::domain::time::format_utc;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// Where an invitation link lands: what it is for, who sent it, until when, and how to accept.
#[component]
pub fn InvitePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.with(|p| p.get("token")).unwrap_or_default();
    let invitation = Resource::new(token, lookup_invite);
    view! {
        <section class="card narrow" data-testid="invitation">
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || invitation.get().map(|r| match r {
                    Err(e) => view! {
                        <h1>"Invitation not valid"</h1>
                        <p data-testid="invitation-error">{e.error}</p>
                    }.into_any(),
                    Ok(inv) if inv.expired => view! {
                        <h1>"Invitation expired"</h1>
                        <p data-testid="invitation-expired">{format!(
                            "This invitation to {} expired on {}. Ask {} to send it again.",
                            inv.workspaces.join(", "),
                            format_utc(inv.expires_at),
                            inv.invited_by.clone().unwrap_or_else(|| "the person who invited you".into())
                        )}</p>
                    }.into_any(),
                    Ok(inv) => {
                        let accept = format!("/auth/oidc/login?invite={}", token());
                        view! {
                            <h1>"You are invited"</h1>
                            <p>{format!(
                                "{} invited {} to join:",
                                inv.invited_by.clone().unwrap_or_else(|| "Someone".into()),
                                inv.email
                            )}</p>
                            <ul data-testid="invitation-workspaces">
                                {inv.workspaces.into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}
                            </ul>
                            <p class="muted">{format!("The invitation expires on {}.", format_utc(inv.expires_at))}</p>
                            <a class="button" rel="external" href=accept data-testid="continue-with-google">"Continue with Google"</a>
                            <p class="muted small">{format!("Sign in with the Google account of {}.", inv.email)}</p>
                        }.into_any()
                    }
                })}
            </Transition>
        </section>
    }
}
