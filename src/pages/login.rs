use super::ErrorNote;
use crate::api::auth::Login;
use crate::components::full_reload_to;
use crate::domain::safe_return_to;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let login = ServerAction::<Login>::new();
    let show_password = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(me)) = login.value().get() {
            let target = if me.must_change_password {
                "/change-password".to_string()
            } else {
                safe_return_to(query.with_untracked(|q| q.get("return_to")))
            };
            full_reload_to(&target);
        }
    });
    let error = Signal::derive(move || login.value().get().and_then(|r| r.err()).map(|e| e.error));
    view! {
        <section class="card narrow">
            <h1>"Sign in"</h1>
            <ActionForm action=login attr:class="form" attr:data-testid="login-form">
                <label>"Email"
                    <input type="email" name="email" autocomplete="username" required autofocus/>
                </label>
                <label>"Password"
                    <input
                        type=move || if show_password.get() { "text" } else { "password" }
                        name="password"
                        autocomplete="current-password"
                        required
                    />
                </label>
                <label class="inline">
                    <input type="checkbox" data-testid="show-password" prop:checked=show_password on:change=move |ev| show_password.set(event_target_checked(&ev))/>
                    "Show password"
                </label>
                <ErrorNote message=error/>
                <button type="submit" class="button" disabled=move || login.pending().get()>
                    {move || if login.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
        </section>
    }
}
