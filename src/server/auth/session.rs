//! HTTP sessions: a random token in an `HttpOnly` cookie, a row in the `sessions` table found by
//! the token's SHA-256, and the signed-in user read with it in one query.
//!
//! The middleware ([`resolve`]) loads the session once per request and hands the request a
//! [`SessionHandle`]; handlers sign in, sign out or keep an identity-provider sign-in in
//! progress through it, and the middleware writes the cookie the handle asks for.

use crate::server::config::Config;
use crate::server::db::sessions::{self, NewSession};
use crate::server::db::users::UserRow;
use crate::server::db::{now, Db, DbResult};
use crate::server::tokens::{new_token, token_hash};
use axum::http::header::COOKIE;
use axum::http::{HeaderMap, HeaderValue};
use std::sync::{Arc, Mutex};

/// Activity pushes the idle expiry forward at most this often (one write per 5 minutes).
const TOUCH_EVERY_SECS: i64 = 300;

/// The cookie name: `__Host-` prefixed (Secure, host-only, path /) when served over https.
pub fn cookie_name(config: &Config) -> &'static str {
    if config.is_https() {
        "__Host-roster_session"
    } else {
        "roster_session"
    }
}

/// This request's session: what the middleware found, and what handlers changed.
#[derive(Clone)]
pub struct SessionHandle {
    db: Db,
    idle_secs: i64,
    lifetime_secs: i64,
    inner: Arc<Mutex<Current>>,
}

#[derive(Default)]
struct Current {
    /// The session row this request carries (after any change by a handler).
    token_hash: Option<String>,
    flow: Option<String>,
    cookie: Option<CookieChange>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum CookieChange {
    Set(String),
    Clear,
}

impl std::fmt::Debug for SessionHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionHandle")
    }
}

impl SessionHandle {
    fn new(db: &Db, config: &Config) -> SessionHandle {
        SessionHandle {
            db: db.clone(),
            idle_secs: config.session_idle.as_secs() as i64,
            lifetime_secs: config.session_lifetime.as_secs() as i64,
            inner: Arc::default(),
        }
    }

    fn current(&self) -> std::sync::MutexGuard<'_, Current> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn expires_at(&self, now: i64, signed_in_at: i64) -> i64 {
        (now + self.idle_secs).min(signed_in_at + self.lifetime_secs)
    }

    /// Replaces this request's session with a new signed-in one under a new token (no
    /// fixation across sign-in).
    pub async fn sign_in(&self, user_id: &str, session_version: i64, method: &str) -> DbResult<()> {
        self.replace(Some(user_id), session_version, method, None)
            .await
    }

    /// Ends this session on the server and clears the cookie.
    pub async fn sign_out(&self) -> DbResult<()> {
        self.delete_current().await?;
        let mut current = self.current();
        current.flow = None;
        current.cookie = Some(CookieChange::Clear);
        Ok(())
    }

    /// Keeps an identity-provider sign-in in progress until [`SessionHandle::take_flow`]:
    /// on the signed-in session when there is one (linking an account), otherwise on a new
    /// anonymous session.
    pub async fn start_flow(&self, flow: &str) -> DbResult<()> {
        let existing = self.current().token_hash.clone();
        match existing {
            Some(hash) => sessions::set_flow(&self.db, &hash, flow).await,
            None => self.replace(None, 0, "none", Some(flow)).await,
        }
    }

    /// The sign-in in progress, once: a second callback with the same cookie finds nothing.
    pub async fn take_flow(&self) -> DbResult<Option<String>> {
        let (hash, flow) = {
            let mut current = self.current();
            (current.token_hash.clone(), current.flow.take())
        };
        match (hash, flow) {
            (Some(hash), Some(flow)) if sessions::take_flow(&self.db, &hash).await? => {
                Ok(Some(flow))
            }
            _ => Ok(None),
        }
    }

    /// Deletes the session row this request carries, if any.
    async fn delete_current(&self) -> DbResult<()> {
        let old = self.current().token_hash.take();
        match old {
            Some(old) => sessions::delete(&self.db, &old).await,
            None => Ok(()),
        }
    }

    async fn replace(
        &self,
        user_id: Option<&str>,
        session_version: i64,
        method: &str,
        flow: Option<&str>,
    ) -> DbResult<()> {
        self.delete_current().await?;
        let (token, hash) = new_token();
        let now = now();
        sessions::create(
            &self.db,
            &NewSession {
                token_hash: &hash,
                user_id,
                session_version,
                method,
                flow,
                now,
                expires_at: self.expires_at(now, now),
            },
        )
        .await?;
        let mut current = self.current();
        current.token_hash = Some(hash);
        current.flow = flow.map(str::to_string);
        current.cookie = Some(CookieChange::Set(token));
        Ok(())
    }

    /// The `Set-Cookie` header a handler asked for, if any.
    pub fn set_cookie_header(&self, config: &Config) -> Option<HeaderValue> {
        let change = self.current().cookie.clone()?;
        let name = cookie_name(config);
        let secure = if config.is_https() { "; Secure" } else { "" };
        let value = match change {
            // The server enforces the idle and absolute limits; the browser keeps the cookie
            // for the absolute lifetime.
            CookieChange::Set(token) => format!(
                "{name}={token}; HttpOnly; SameSite=Lax; Path=/; Max-Age={}{secure}",
                self.lifetime_secs
            ),
            CookieChange::Clear => {
                format!("{name}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0{secure}")
            }
        };
        HeaderValue::from_str(&value).ok()
    }
}

/// The session token the request's cookie carries, if it looks like one of ours.
fn token_from(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Finds the request's session (one query) and the user signed in to it, if any. Sessions of
/// deleted or disabled users, of users signed out everywhere (their `session_version` moved
/// on) and past their absolute lifetime end here.
pub async fn resolve(
    db: &Db,
    config: &Config,
    headers: &HeaderMap,
) -> DbResult<(SessionHandle, Option<UserRow>)> {
    let handle = SessionHandle::new(db, config);
    let Some(token) = token_from(headers, cookie_name(config)) else {
        return Ok((handle, None));
    };
    let hash = token_hash(&token);
    let now = now();
    let Some(row) = sessions::load(db, &hash, now).await? else {
        handle.current().cookie = Some(CookieChange::Clear);
        return Ok((handle, None));
    };
    let user = match row.user {
        Some(user)
            if user.disabled_at.is_none()
                && user.session_version == row.session_version
                && now - row.signed_in_at < handle.lifetime_secs =>
        {
            Some(user)
        }
        Some(_) => {
            sessions::delete(db, &hash).await?;
            handle.current().cookie = Some(CookieChange::Clear);
            return Ok((handle, None));
        }
        // An identity-provider sign-in in progress.
        None => None,
    };
    if user.is_some() && now - row.seen_at > TOUCH_EVERY_SECS {
        sessions::touch(db, &hash, now, handle.expires_at(now, row.signed_in_at)).await?;
    }
    let mut current = handle.current();
    current.token_hash = Some(hash);
    current.flow = row.flow;
    drop(current);
    Ok((handle, user))
}

/// Deletes expired sessions every 10 minutes until aborted.
pub async fn sweep_expired(db: Db) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        tick.tick().await;
        if let Err(e) = sessions::delete_expired(&db, now()).await {
            tracing::warn!(error = %e, "could not delete expired sessions");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_only_a_well_formed_token_of_our_cookie() {
        let token = "ab".repeat(32);
        let mut h = HeaderMap::new();
        h.insert(
            COOKIE,
            format!("other=1; roster_session={token}; x=y")
                .parse()
                .unwrap(),
        );
        assert_eq!(token_from(&h, "roster_session"), Some(token.clone()));
        assert_eq!(token_from(&h, "__Host-roster_session"), None);
        h.insert(COOKIE, "roster_session=../../etc".parse().unwrap());
        assert_eq!(token_from(&h, "roster_session"), None);
        h.insert(COOKIE, format!("roster_session={token}x").parse().unwrap());
        assert_eq!(token_from(&h, "roster_session"), None);
    }
}
