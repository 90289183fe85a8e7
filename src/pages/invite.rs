use leptos::prelude::*;

/// Where an invitation link lands. Invitations are not issued yet by this version.
#[component]
pub fn InvitePage() -> impl IntoView {
    view! {
        <section class="card narrow">
            <h1>"Invitation"</h1>
            <p>"This invitation link is not valid. Ask the admin who invited you to send a new one."</p>
        </section>
    }
}
