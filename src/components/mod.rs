//! Reusable pieces of the UI.

pub mod add_user;
pub mod invite;
pub mod me;
pub mod modal;
pub mod my_invitation;
pub mod nav;
pub mod scim;
pub mod tokens;
pub mod webhooks;

use crate::domain::WorkspaceRole;
use leptos::prelude::*;

/// The workspace roles as `<option>`s of a `<select>`, strongest first.
#[component]
pub fn WorkspaceRoleOptions(selected: WorkspaceRole) -> impl IntoView {
    WorkspaceRole::ALL
        .iter()
        .rev()
        .map(|r| view! { <option value=r.as_str() selected=*r == selected>{r.label()}</option> })
        .collect_view()
}

/// Asks the browser's confirmation dialog (false when it cannot be shown).
pub fn confirm(message: &str) -> bool {
    leptos::prelude::window()
        .confirm_with_message(message)
        .unwrap_or(false)
}

/// Sends the browser to `path` with a full page load, so every resource (the signed-in user
/// first) is fetched again from the server.
pub fn full_reload_to(path: &str) {
    let _ = leptos::prelude::window().location().set_href(path);
}

/// Puts `text` on the clipboard when the browser allows it (the text is also shown on screen).
pub fn copy_to_clipboard(text: &str) {
    let _ = leptos::prelude::window()
        .navigator()
        .clipboard()
        .write_text(text);
}
