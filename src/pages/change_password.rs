use super::ErrorNote;
use crate::api::auth::ChangePassword;
use crate::components::full_reload_to;
use crate::components::me::use_me;
use crate::domain::password::MIN_LEN;
use leptos::prelude::*;

#[component]
pub fn ChangePasswordPage() -> impl IntoView {
    let me = use_me();
    let change = ServerAction::<ChangePassword>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = change.value().get() {
            full_reload_to("/members");
        }
    });
    let error = Signal::derive(move || change.value().get().and_then(|r| r.err()).map(|e| e.error));
    let forced = move || matches!(me.get(), Some(Ok(Some(ref m))) if m.must_change_password);
    view! {
        <section class="card narrow">
            <h1>"Change your password"</h1>
            <Transition fallback=|| ()>
                <Show when=forced>
                    <p class="notice" data-testid="forced-notice">
                        "Your admin gave you a temporary password. Choose your own before you continue."
                    </p>
                </Show>
            </Transition>
            <ActionForm action=change attr:class="form">
                <label>"Current password"
                    <input type="password" name="current_password" autocomplete="current-password" required/>
                </label>
                <label>"New password"
                    <input type="password" name="new_password" autocomplete="new-password" required minlength=MIN_LEN/>
                    <small class="muted">{format!("At least {MIN_LEN} characters, not a common password.")}</small>
                </label>
                <ErrorNote message=error/>
                <button type="submit" class="button" disabled=move || change.pending().get()>"Change password"</button>
            </ActionForm>
        </section>
    }
}
