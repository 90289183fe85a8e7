//! HTTP sessions (tower-sessions on the same database) and what a session says about its user.

use crate::server::config::Config;
use crate::server::db::{now, Db};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tower_sessions::cookie::SameSite;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{ExpiredDeletion, Result as StoreResult, SessionStore};
use tower_sessions::{Expiry, Session, SessionManagerLayer};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

/// The session key holding [`SessionAuth`].
pub const AUTH_KEY: &str = "auth";

/// What a signed-in session remembers. Never a password or a token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionAuth {
    pub user_id: String,
    /// Must equal `users.session_version`; bumping it ends every session of the user.
    pub session_version: i64,
    /// Unix seconds; the session ends `SESSION_LIFETIME_DAYS` after this, however active.
    pub signed_in_at: i64,
    /// How the user signed in (`password`, `oidc`).
    pub method: String,
}

/// The session store on whichever database the instance runs.
#[derive(Debug, Clone)]
pub enum Store {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl Store {
    pub fn new(db: &Db) -> Store {
        match db {
            // The table is created by our own migrations (`sessions`).
            Db::Sqlite(p) => Store::Sqlite(
                SqliteStore::new(p.clone())
                    .with_table_name("sessions")
                    .unwrap_or_else(|_| SqliteStore::new(p.clone())),
            ),
            Db::Postgres(p) => {
                let store = PostgresStore::new(p.clone());
                let store = store.clone().with_schema_name("public").unwrap_or(store);
                Store::Postgres(store.clone().with_table_name("sessions").unwrap_or(store))
            }
        }
    }
}

#[async_trait]
impl SessionStore for Store {
    async fn create(&self, record: &mut Record) -> StoreResult<()> {
        match self {
            Store::Sqlite(s) => s.create(record).await,
            Store::Postgres(s) => s.create(record).await,
        }
    }
    async fn save(&self, record: &Record) -> StoreResult<()> {
        match self {
            Store::Sqlite(s) => s.save(record).await,
            Store::Postgres(s) => s.save(record).await,
        }
    }
    async fn load(&self, id: &Id) -> StoreResult<Option<Record>> {
        match self {
            Store::Sqlite(s) => s.load(id).await,
            Store::Postgres(s) => s.load(id).await,
        }
    }
    async fn delete(&self, id: &Id) -> StoreResult<()> {
        match self {
            Store::Sqlite(s) => s.delete(id).await,
            Store::Postgres(s) => s.delete(id).await,
        }
    }
}

#[async_trait]
impl ExpiredDeletion for Store {
    async fn delete_expired(&self) -> StoreResult<()> {
        match self {
            Store::Sqlite(s) => s.delete_expired().await,
            Store::Postgres(s) => s.delete_expired().await,
        }
    }
}

/// The cookie name: `__Host-` prefixed (Secure, host-only, path /) when served over https.
pub fn cookie_name(config: &Config) -> &'static str {
    if config.is_https() {
        "__Host-roster_session"
    } else {
        "roster_session"
    }
}

pub fn layer(store: Store, config: &Config) -> SessionManagerLayer<Store> {
    let idle = time::Duration::seconds(config.session_idle.as_secs() as i64);
    SessionManagerLayer::new(store)
        .with_name(cookie_name(config))
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.is_https())
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(idle))
}

/// Starts a signed-in session under a new id (no fixation across sign-in).
pub async fn sign_in(
    session: &Session,
    user_id: &str,
    session_version: i64,
    method: &str,
) -> Result<(), tower_sessions::session::Error> {
    session.cycle_id().await?;
    session
        .insert(
            AUTH_KEY,
            SessionAuth {
                user_id: user_id.to_string(),
                session_version,
                signed_in_at: now(),
                method: method.to_string(),
            },
        )
        .await
}
