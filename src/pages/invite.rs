use crate::api::invites::lookup_invite;
use crate::components::hydration::page_resource;
use crate::components::me::use_me;
use crate::components::my_invitation::AnswerInvitation;
use crate::domain::time::format_utc;
use crate::model::auth::SessionUser;
use crate::model::invites::InvitationView;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// Where an invitation link lands: what it is for, who sent it, until when, and how to accept:
/// signed in as the invited account, Accept or Decline; signed in as someone else, whom it is
/// for; signed out, sign in (an existing account) or continue with Google (a new one).
#[component]
pub fn InvitePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.with(|p| p.get("token")).unwrap_or_default();
    let invitation = page_resource(token, lookup_invite);
    let me = use_me();
    view! {
        <section class="card narrow" data-testid="invitation">
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let signed_in: Option<SessionUser> = me.get().and_then(|r| r.ok()).flatten();
                    invitation.get().map(|r| match r {
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
                        Ok(inv) => view! { <Pending inv token=token() signed_in/> }.into_any(),
                    })
                }}
            </Transition>
        </section>
    }
}

#[component]
fn Pending(inv: InvitationView, token: String, signed_in: Option<SessionUser>) -> impl IntoView {
    let here = format!("/invite/{token}");
    let intro = view! {
        <h1>"You are invited"</h1>
        <p>{format!(
            "{} invited {} to join:",
            inv.invited_by.clone().unwrap_or_else(|| "Someone".into()),
            inv.email
        )}</p>
        <ul data-testid="invitation-workspaces">
            {inv.workspaces.iter().map(|w| view! { <li>{w.clone()}</li> }).collect_view()}
        </ul>
    };
    let answer = match signed_in {
        Some(me) if me.email == inv.email => view! {
            <AnswerInvitation invitation=inv token=Some(token)/>
        }
        .into_any(),
        Some(me) => view! {
            <p class="notice" role="alert" data-testid="invitation-other-account">{format!(
                "This invitation is for {}; you are signed in as {}. Sign out, then open this link again and sign in as {}.",
                inv.email, me.email, inv.email
            )}</p>
        }
        .into_any(),
        None if inv.has_account => {
            let login = format!("/login?return_to={here}");
            let google = format!("/auth/oidc/login?return_to={here}");
            view! {
                <p class="muted">{format!("The invitation expires on {}.", format_utc(inv.expires_at))}</p>
                <p>{format!("{} already has a Roster account: sign in to accept or decline.", inv.email)}</p>
                <div class="row">
                    <a class="button" href=login data-testid="sign-in-to-answer">"Sign in"</a>
                    <a class="button secondary" rel="external" href=google>"Sign in with Google"</a>
                </div>
            }
            .into_any()
        }
        None => {
            let accept = format!("/auth/oidc/login?invite={token}");
            view! {
                <p class="muted">{format!("The invitation expires on {}.", format_utc(inv.expires_at))}</p>
                <a class="button" rel="external" href=accept data-testid="continue-with-google">"Continue with Google"</a>
                <p class="muted small">{format!("Sign in with the Google account of {}.", inv.email)}</p>
            }
            .into_any()
        }
    };
    view! { {intro} {answer} }
}
