//! Roster: who belongs to which workspace, with which role.
//!
//! Dependencies point one way: `domain ← model ← server ← api`, and
//! `model ← components ← pages ← app` (checked by `tests/layers.rs`).
//!
//! - `domain`: pure rules and types shared with the browser (emails, password policy, roles,
//!   permissions, requests, safe return paths);
//! - `model`: what the browser and the server exchange (DTOs, `ApiError`);
//! - `server`: everything that only runs on the server (database, sessions, HTTP plumbing,
//!   one module per feature);
//! - `api`: the server functions (the HTTP API), thin;
//! - `components`, `pages`, `app`: the Leptos UI, rendered on the server and hydrated.

pub mod api;
pub mod app;
pub mod components;
pub mod domain;
pub mod model;
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
    // Asynchronous hydration, as `leptos::mount::hydrate_lazy`: a full page load of a lazy
    // route (`app::lazy_pages`) waits for its part of the bundle; `hydrate_body` cannot wait,
    // and traps on such a route. Then, and only then, the page says it is interactive: marked
    // from an effect inside the app, the mark came before a lazy route's part had loaded, and
    // a click in between did nothing (seen as a lost Accept on a slow machine).
    wasm_bindgen_futures::spawn_local(async {
        leptos::mount::hydrate_from_async(leptos::tachys::dom::body(), app::App)
            .await
            .forget();
        app::mark_interactive();
    });
}
