//! One module per route.

pub mod audit;
pub mod auth_error;
pub mod change_password;
pub mod invite;
pub mod login;
pub mod members;
pub mod orgs;
pub mod people;
pub mod profile;

use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="card narrow">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address."</p>
            <a href="/members">"Go to members"</a>
        </section>
    }
}

/// An error from a server function, shown inline.
#[component]
pub fn ErrorNote(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <Show when=move || message.get().is_some()>
            <p class="error" role="alert">{move || message.get().unwrap_or_default()}</p>
        </Show>
    }
}
