//! HTTP sessions on **tower-sessions**: its `SessionManagerLayer` reads and writes the cookie
//! (`HttpOnly`, `SameSite=Lax`, `Secure` and `__Host-` over https; cleared when it names no
//! live session), loads a session at most once per request and saves it only when it changed
//! and the request did not fail on the server. Roster's [`SessionStore`] keeps sessions in the
//! `sessions` table, found by the SHA-256 of the cookie's id, so a copy of the database holds
//! no live session; the store loads the signed-in user with the session in one query.
//!
//! The request-context middleware calls [`SessionHandle::resolve`] once per request; handlers
//! sign in, sign out or keep an identity-provider sign-in in progress through the handle. The
//! rules on top of tower-sessions live here: the idle expiry moves forward at most every 5
//! minutes, a session never outlives its absolute lifetime, a new id at sign-in and password
//! change (`cycle_id`), `users.session_version` ends every session of a user, and a sign-in in
//! progress lives only as long as its flow.

use crate::server::config::Config;
use crate::server::db::read_cache::Version;
use crate::server::db::sessions::{self, SessionRow, StoredSession};
use crate::server::db::users::UserRow;
use crate::server::db::{is_unique_violation, now, Db};
use crate::server::tokens::token_hash;
use serde::{Deserialize, Serialize};
use tower_sessions::cookie::time::OffsetDateTime;
use tower_sessions::cookie::SameSite;
use tower_sessions::session::{Expiry, Id, Record};
use tower_sessions::{session_store, Session, SessionManagerLayer, SessionStore};

/// Activity pushes the idle expiry forward at most this often (one write per 5 minutes).
const TOUCH_EVERY_SECS: i64 = 300;
/// How long a session made only to carry an identity-provider sign-in lives.
const FLOW_ONLY_SECS: i64 = super::oidc::FLOW_TTL_SECS;

/// The record's one key: Roster's state of the session.
const STATE_KEY: &str = "roster";

/// The cookie name: `__Host-` prefixed (Secure, host-only, path /) when served over https.
pub fn cookie_name(config: &Config) -> &'static str {
    if config.is_https() {
        "__Host-roster_session"
    } else {
        "roster_session"
    }
}

/// The layer that issues and reads the session cookie for every route.
pub fn layer(db: &Db, config: &Config) -> SessionManagerLayer<RosterSessionStore> {
    SessionManagerLayer::new(RosterSessionStore { db: db.clone() })
        .with_name(cookie_name(config))
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.is_https())
        .with_path("/")
}

/// What Roster keeps in a session, one column each in `sessions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionState {
    /// `None` while only an identity-provider sign-in is in progress.
    pub user_id: Option<String>,
    /// Must equal `users.session_version`: bumping that ends every session of the user.
    pub session_version: i64,
    pub signed_in_at: i64,
    pub method: String,
    /// The identity-provider sign-in in progress (JSON), taken once by the callback.
    pub flow: Option<String>,
    /// The last time activity pushed the idle expiry forward.
    pub seen_at: i64,
    /// Names the session to its owner on the profile page (never the cookie's id or its hash).
    #[serde(default)]
    pub public_id: String,
    /// The browser and the address that signed in, as the owner's sessions list shows them.
    #[serde(default)]
    pub user_agent: String,
    #[serde(default)]
    pub ip: String,
}

impl SessionState {
    /// The state a session's row holds.
    fn of(row: &SessionRow) -> SessionState {
        SessionState {
            user_id: row.user.as_ref().map(|u| u.id.clone()),
            session_version: row.session_version,
            signed_in_at: row.signed_in_at,
            method: row.method.clone(),
            flow: row.flow.clone(),
            seen_at: row.seen_at,
            public_id: row.public_id.clone(),
            user_agent: row.user_agent.clone(),
            ip: row.ip.clone(),
        }
    }
}

/// A request's session as [`SessionHandle::resolve`] found it.
pub struct Resolved {
    pub handle: SessionHandle,
    /// The signed-in user, as the database had them when the session was read.
    pub user: Option<UserRow>,
    /// The version of the database the session was read at; `None` without a signed-in
    /// session, and when the request wrote (the session's idle expiry pushed forward).
    pub read_at: Option<Version>,
}

impl Resolved {
    fn anonymous(handle: SessionHandle) -> Resolved {
        Resolved {
            handle,
            user: None,
            read_at: None,
        }
    }
}

/// The browser and address of the request a session is made on.
#[derive(Debug, Clone, Default)]
pub struct ClientFacts {
    pub ip: String,
    /// The `User-Agent` header, cut to [`USER_AGENT_MAX_CHARS`] printable characters.
    pub user_agent: String,
}

/// How much of a `User-Agent` header a session keeps.
pub const USER_AGENT_MAX_CHARS: usize = 300;

impl ClientFacts {
    pub fn new(ip: &str, user_agent: Option<&str>) -> ClientFacts {
        ClientFacts {
            ip: ip.to_string(),
            user_agent: user_agent
                .unwrap_or_default()
                .chars()
                .filter(|c| !c.is_control())
                .take(USER_AGENT_MAX_CHARS)
                .collect(),
        }
    }
}

/// This request's session. Its `Debug` shows nothing of the session: the id is a credential.
#[derive(Clone)]
pub struct SessionHandle {
    session: Session,
    db: Db,
    client: ClientFacts,
    idle_secs: i64,
    lifetime_secs: i64,
}

impl std::fmt::Debug for SessionHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionHandle(<redacted>)")
    }
}

type Result<T> = std::result::Result<T, sqlx::Error>;

fn session_error(e: tower_sessions::session::Error) -> sqlx::Error {
    sqlx::Error::Protocol(format!("session: {e}"))
}

impl SessionHandle {
    /// The request's session and the user signed in to it, if any, with the version of the
    /// database they were read at, for the request to read the cache at
    /// ([`crate::server::db::Db::at_snapshot`]). Sessions of deleted or disabled users, of
    /// users signed out everywhere (their `session_version` moved on) and past their absolute
    /// lifetime end here; the cookie of a session that does not exist (any more) is cleared by
    /// the layer.
    ///
    /// The row is read here, typed, once per request: tower-sessions' record (Roster's state
    /// as JSON) is loaded only when the session is written (the idle expiry pushed forward, a
    /// sign-in, a flow), so the signed-in user never goes through JSON on the way to a handler.
    pub async fn resolve(
        session: Session,
        db: &Db,
        config: &Config,
        client: ClientFacts,
    ) -> Result<Resolved> {
        let handle = SessionHandle {
            session,
            db: db.clone(),
            client,
            idle_secs: config.session_idle.as_secs() as i64,
            lifetime_secs: config.session_lifetime.as_secs() as i64,
        };
        let Some(id) = handle.session.id() else {
            return Ok(Resolved::anonymous(handle));
        };
        let now = now();
        let Some(row) = sessions::load(db, &token_hash(&id.to_string()), now).await? else {
            // No such session (any more): tower-sessions finds none either, forgets the id,
            // and the layer clears the cookie.
            handle
                .session
                .get_value(STATE_KEY)
                .await
                .map_err(session_error)?;
            return Ok(Resolved::anonymous(handle));
        };
        let mut read_at = row.read_at;
        let Some(user) = row.user.as_ref() else {
            // An identity-provider sign-in in progress.
            return Ok(Resolved::anonymous(handle));
        };
        if user.disabled_at.is_some()
            || user.session_version != row.session_version
            || now - row.signed_in_at >= handle.lifetime_secs
            || now - row.seen_at >= handle.idle_secs
        {
            handle.session.flush().await.map_err(session_error)?;
            return Ok(Resolved::anonymous(handle));
        }
        if now - row.seen_at > TOUCH_EVERY_SECS {
            // Through tower-sessions' record, which the store saves with an update only: a
            // session deleted since its row was read (signed out elsewhere, revoked from the
            // profile) is found missing here and stays deleted, instead of being written anew.
            match handle.state().await? {
                Some(state) => {
                    handle
                        .write(SessionState {
                            seen_at: now,
                            ..state
                        })
                        .await?
                }
                None => return Ok(Resolved::anonymous(handle)),
            }
            // The request wrote: from here on it reads afresh, as after any statement of its
            // own.
            read_at = None;
        }
        Ok(Resolved {
            handle,
            user: row.user,
            read_at,
        })
    }

    /// The public id of this session (empty when there is none): what marks it as "this
    /// session" in its owner's list.
    pub async fn public_id(&self) -> Result<String> {
        if self.session.id().is_none() {
            return Ok(String::new());
        }
        Ok(self.state().await?.map(|s| s.public_id).unwrap_or_default())
    }

    /// The SHA-256 of this session's cookie id, if it has one, to find its row.
    pub fn token_hash(&self) -> Option<String> {
        self.session.id().map(|id| token_hash(&id.to_string()))
    }

    /// A handle on the request's session that was never loaded: for API-token calls, which
    /// the session cookie does not authenticate.
    pub fn detached(
        session: Session,
        db: &Db,
        config: &Config,
        client: ClientFacts,
    ) -> SessionHandle {
        SessionHandle {
            session,
            db: db.clone(),
            client,
            idle_secs: config.session_idle.as_secs() as i64,
            lifetime_secs: config.session_lifetime.as_secs() as i64,
        }
    }

    async fn state(&self) -> Result<Option<SessionState>> {
        self.session.get(STATE_KEY).await.map_err(session_error)
    }

    /// Replaces the session's state and sets its expiry from it: the idle timeout after the
    /// last activity, never past the absolute lifetime; a sign-in in progress only lives as long
    /// as its flow. tower-sessions saves it when the response is sent.
    async fn write(&self, state: SessionState) -> Result<()> {
        let expires_at = match state.user_id {
            Some(_) => {
                (state.seen_at + self.idle_secs).min(state.signed_in_at + self.lifetime_secs)
            }
            None => state.signed_in_at + FLOW_ONLY_SECS,
        };
        let expiry = OffsetDateTime::from_unix_timestamp(expires_at)
            .map_err(|e| sqlx::Error::Protocol(format!("session expiry: {e}")))?;
        self.session.set_expiry(Some(Expiry::AtDateTime(expiry)));
        self.session
            .insert(STATE_KEY, state)
            .await
            .map_err(session_error)
    }

    /// Signs in under a new session id (no fixation across sign-in): the old session, if any,
    /// is deleted now and the new one is written with the response.
    pub async fn sign_in(&self, user_id: &str, session_version: i64, method: &str) -> Result<()> {
        if self.session.id().is_some() {
            // Clearing first means the old record need not be loaded just to be replaced.
            self.session.clear().await;
            self.session.cycle_id().await.map_err(session_error)?;
        }
        let now = now();
        self.write(SessionState {
            user_id: Some(user_id.to_string()),
            session_version,
            signed_in_at: now,
            method: method.to_string(),
            flow: None,
            seen_at: now,
            public_id: crate::server::db::new_id(),
            user_agent: self.client.user_agent.clone(),
            ip: self.client.ip.clone(),
        })
        .await
    }

    /// Ends this session on the server; the layer clears the cookie.
    pub async fn sign_out(&self) -> Result<()> {
        self.session.flush().await.map_err(session_error)
    }

    /// Keeps an identity-provider sign-in in progress until [`SessionHandle::take_flow`]: on
    /// the signed-in session when there is one (linking an account), otherwise on a new
    /// anonymous session that lives as long as the flow.
    pub async fn start_flow(&self, flow: &str) -> Result<()> {
        let current = match self.session.id() {
            Some(_) => self.state().await?,
            None => None,
        };
        let state = match current {
            Some(state) if state.user_id.is_some() => SessionState {
                flow: Some(flow.to_string()),
                ..state
            },
            _ => {
                let now = now();
                SessionState {
                    user_id: None,
                    session_version: 0,
                    signed_in_at: now,
                    method: "none".into(),
                    flow: Some(flow.to_string()),
                    seen_at: now,
                    public_id: crate::server::db::new_id(),
                    user_agent: self.client.user_agent.clone(),
                    ip: self.client.ip.clone(),
                }
            }
        };
        self.write(state).await
    }

    /// The sign-in in progress, once: of two callbacks with the same cookie, only the first
    /// finds it (the flow is cleared in the database by one conditional statement).
    pub async fn take_flow(&self) -> Result<Option<String>> {
        let Some(id) = self.session.id() else {
            return Ok(None);
        };
        let Some(state) = self.state().await? else {
            return Ok(None);
        };
        let Some(flow) = state.flow.clone() else {
            return Ok(None);
        };
        if !sessions::take_flow(&self.db, &token_hash(&id.to_string())).await? {
            return Ok(None);
        }
        self.write(SessionState {
            flow: None,
            ..state
        })
        .await?;
        Ok(Some(flow))
    }
}

/// Roster's sessions in its `sessions` table, on either backend.
#[derive(Clone)]
pub struct RosterSessionStore {
    db: Db,
}

impl std::fmt::Debug for RosterSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RosterSessionStore")
    }
}

fn backend(e: sqlx::Error) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

fn stored(record: &Record) -> session_store::Result<StoredSession> {
    let state: SessionState = record
        .data
        .get(STATE_KEY)
        .cloned()
        .map(serde_json::from_value)
        .transpose()
        .map_err(|e| session_store::Error::Encode(e.to_string()))?
        .ok_or_else(|| session_store::Error::Encode("a session without Roster's state".into()))?;
    Ok(StoredSession {
        token_hash: token_hash(&record.id.to_string()),
        user_id: state.user_id,
        session_version: state.session_version,
        signed_in_at: state.signed_in_at,
        method: state.method,
        flow: state.flow,
        seen_at: state.seen_at,
        expires_at: record.expiry_date.unix_timestamp(),
        // Never empty: the column is unique (a state read from an old row has none).
        public_id: if state.public_id.is_empty() {
            crate::server::db::new_id()
        } else {
            state.public_id
        },
        user_agent: state.user_agent,
        ip: state.ip,
    })
}

fn record(id: Id, row: SessionRow) -> session_store::Result<Record> {
    let state = serde_json::to_value(SessionState::of(&row))
        .map_err(|e| session_store::Error::Decode(e.to_string()))?;
    Ok(Record {
        id,
        data: std::collections::HashMap::from([(STATE_KEY.to_string(), state)]),
        expiry_date: OffsetDateTime::from_unix_timestamp(row.expires_at)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?,
    })
}

#[async_trait::async_trait]
impl SessionStore for RosterSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        loop {
            match sessions::create(&self.db, &stored(record)?).await {
                // 128 random bits: a collision is next to impossible, but never an overwrite.
                Err(e) if is_unique_violation(&e) => record.id = Id::default(),
                other => return other.map_err(backend),
            }
        }
    }

    /// Updates the row only: a session deleted meanwhile (signed out elsewhere, ended by a
    /// password change) stays deleted.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        sessions::update(&self.db, &stored(record)?)
            .await
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let hash = token_hash(&id.to_string());
        match sessions::load(&self.db, &hash, now())
            .await
            .map_err(backend)?
        {
            Some(row) => record(*id, row).map(Some),
            None => Ok(None),
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sessions::delete(&self.db, &token_hash(&id.to_string()))
            .await
            .map_err(backend)
    }
}
