//! Reusable pieces of the UI.

pub mod add_user;
pub mod hydration;
pub mod invite;
pub mod me;
pub mod modal;
pub mod my_invitation;
pub mod nav;
pub mod scim;
pub mod shared_html;
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

/// A part of a page that follows what `build` reads: in the browser it is built again when
/// that changes; on the server, where nothing changes during a page view, it is built once.
/// A closure left in a view is run again on each of the server's walks of the page under a
/// `Transition` (twice looking for loads still pending, once resolving), so a closure that
/// builds a large part of a page built it three times and threw two away. The HTML is the same
/// either way (a closure renders as what it returns), so hydration finds what it expects.
/// What `build` reads must be there when it is called on the server: a resource it reads must
/// have been awaited before.
pub fn built_once_on_server<F, V>(build: F) -> impl IntoView
where
    F: Fn() -> V + IntoView,
    V: IntoView,
{
    #[cfg(feature = "ssr")]
    {
        build()
    }
    #[cfg(not(feature = "ssr"))]
    {
        build
    }
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
