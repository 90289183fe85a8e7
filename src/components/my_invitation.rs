//! Answering an invitation while signed in: on the invitation link's page, and as a banner on
//! the members page for an account whose email is proven.

use crate::api::invites::{AcceptInvite, DeclineInvite};
use crate::components::{confirm, full_reload_to};
use crate::domain::time::format_utc;
use crate::model::invites::InvitationView;
use leptos::prelude::*;

/// "Accept" and "Decline" for the signed-in recipient of `invitation`; `token` is the link's,
/// `None` for the invitation addressed to the account's proven email.
#[component]
pub fn AnswerInvitation(invitation: InvitationView, token: Option<String>) -> impl IntoView {
    let accept = ServerAction::<AcceptInvite>::new();
    let decline = ServerAction::<DeclineInvite>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = accept.value().get() {
            // A full load, so the workspace list is fetched again with the new memberships.
            full_reload_to("/members");
        }
    });
    let declined = move || matches!(decline.value().get(), Some(Ok(())));
    let error = move || {
        accept
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| decline.value().get().and_then(|r| r.err()))
            .map(|e| e.error)
    };
    let names = invitation.workspaces.join(", ");
    let (t1, t2) = (token.clone(), token);
    let confirm_text = format!(
        "Decline the invitation to {names}? Whoever invited you would have to invite you again."
    );
    view! {
        <div data-testid="answer-invitation">
            <Show
                when=declined
                fallback=move || {
                    let (t1, t2, confirm_text) = (t1.clone(), t2.clone(), confirm_text.clone());
                    view! {
                        <div class="row">
                            <button class="button" data-testid="accept-invitation"
                                disabled=move || accept.pending().get()
                                on:click=move |_| { accept.dispatch(AcceptInvite { token: t1.clone() }); }
                            >"Accept"</button>
                            <button class="button secondary" data-testid="decline-invitation"
                                disabled=move || decline.pending().get()
                                on:click=move |_| {
                                    if confirm(&confirm_text) {
                                        decline.dispatch(DeclineInvite { token: t2.clone() });
                                    }
                                }
                            >"Decline"</button>
                        </div>
                    }
                }
            >
                <p class="notice" role="status" data-testid="invitation-declined">"You declined the invitation."</p>
            </Show>
            <p class="error" role="alert">{error}</p>
            <p class="muted small">{format!("The invitation expires on {}.", format_utc(invitation.expires_at))}</p>
        </div>
    }
}

/// The invitation addressed to the signed-in account (`my_invitation`, loaded by the page with
/// its other data), above the members list: nothing when there is none, it has expired, or the
/// account's email is not proven.
#[component]
pub fn MyInvitation(invitation: Option<InvitationView>) -> impl IntoView {
    invitation.filter(|i| !i.expired).map(|inv| {
        view! {
            <section class="card" data-testid="my-invitation">
                <h2>{format!("You are invited to {}", inv.workspaces.join(", "))}</h2>
                <p>{format!("Invited by {}.", inv.invited_by.clone().unwrap_or_else(|| "an admin".into()))}</p>
                <AnswerInvitation invitation=inv token=None/>
            </section>
        }
    })
}
