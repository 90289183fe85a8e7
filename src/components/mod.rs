//! Reusable pieces of the UI.

pub mod add_user;
pub mod invite;
pub mod nav;

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

/// Only same-origin relative paths are accepted as a place to return to after sign-in.
pub fn safe_return_to(raw: Option<String>) -> String {
    match raw {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.contains('\\')
                && !p.starts_with("/login") =>
        {
            p
        }
        _ => "/members".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_return_to;

    #[test]
    fn return_to_is_relative_only() {
        assert_eq!(
            safe_return_to(Some("/members?workspace=1".into())),
            "/members?workspace=1"
        );
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "members",
            "/login",
        ] {
            assert_eq!(safe_return_to(Some(bad.into())), "/members", "{bad}");
        }
        assert_eq!(safe_return_to(None), "/members");
    }
}
