//! Roster: who belongs to which workspace, with which role.
//!
//! - `domain`: pure types shared with the browser (emails, password policy, roles, permissions);
//! - `api`: the server functions (the HTTP API), thin;
//! - `app`, `pages`, `components`: the Leptos UI, rendered on the server and hydrated;
//! - `server`: everything that only runs on the server (database, sessions, HTTP plumbing).

pub mod api;
pub mod app;
pub mod components;
pub mod domain;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;

/// Hydrates the server-rendered page (called by the `frontend` crate's wasm entry point).
#[cfg(feature = "hydrate")]
pub fn hydrate() {
    // Panic messages in the browser console are for developers. The release bundle is built
    // to abort on a panic without formatting anything (`make release`), so the hook would be
    // dead weight there.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
