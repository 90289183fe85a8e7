//! Server-only code: configuration, state, database, authentication, HTTP plumbing, and one
//! module per feature (`accounts`, `members`, `invites`, `workspaces`, `identities`, `audit`,
//! `scim`, …)
//! that the server functions of `api/` call.

pub mod accounts;
pub mod api_tokens;
pub mod audit;
pub mod auth;
pub mod bulk;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod export;
pub mod http;
pub mod identities;
pub mod invites;
pub mod listen;
pub mod logging;
pub mod mail;
pub mod members;
pub mod openapi;
pub mod orgs;
pub mod own_sessions;
pub mod people;
pub mod percent;
pub mod role_sync;
pub mod scim;
pub mod sweep;
pub mod tokens;
pub mod webhooks;
pub mod workspaces;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

pub use error::AppError;

/// Shared by every request, and cloned several times per request (axum clones a route's
/// handler, state included, at each layer it passes): one reference count for the shared
/// part, one for the database handle, whatever the configuration holds.
#[derive(Clone)]
pub struct AppState {
    /// The database: the shared handle, or in a server function the request's
    /// ([`RequestContext::db`]).
    pub db: db::Db,
    shared: Arc<SharedState>,
}

/// What every request shares as it is; reached through [`AppState`]'s `Deref`.
pub struct SharedState {
    pub leptos: LeptosOptions,
    pub config: Arc<config::Config>,
    pub hasher: auth::password::Hasher,
    /// Wakes the outbox sender when a transaction enqueued an email.
    pub mail_wakeup: Arc<tokio::sync::Notify>,
    /// `None` when OpenID Connect sign-in is not configured.
    pub oidc: Option<auth::oidc::Oidc>,
}

impl AppState {
    pub fn new(db: db::Db, shared: SharedState) -> AppState {
        AppState {
            db,
            shared: Arc::new(shared),
        }
    }
}

impl std::ops::Deref for AppState {
    type Target = SharedState;

    fn deref(&self) -> &SharedState {
        &self.shared
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

/// Who is asking, computed once per request by the session middleware.
#[derive(Clone, Debug)]
pub struct RequestContext {
    /// The database as this request reads it: on PostgreSQL, through the read cache at the
    /// snapshot its session was loaded at, until the request runs a statement of its own.
    pub db: db::Db,
    pub user: Option<db::users::UserRow>,
    pub ip: String,
    pub session: auth::session::SessionHandle,
    /// Set when the request authenticated with an API token instead of a session cookie.
    pub token: Option<api_tokens::TokenGrant>,
}
