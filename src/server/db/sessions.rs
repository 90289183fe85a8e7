//! Sessions: one row per session cookie, found by the SHA-256 of the cookie's token.

use super::users::UserRow;
use super::{with_pool, Db, DbResult};
use sqlx::{FromRow, Row};
use std::sync::LazyLock;

/// A live session and, when signed in, its user as the database has them now.
#[derive(Debug, Clone)]
pub struct SessionRow {
    /// `None` while a sign-in with the identity provider is in progress.
    pub user: Option<UserRow>,
    pub session_version: i64,
    pub signed_in_at: i64,
    pub seen_at: i64,
    pub expires_at: i64,
    /// The identity-provider sign-in in progress (JSON), if any.
    pub flow: Option<String>,
}

pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub user_id: Option<&'a str>,
    pub session_version: i64,
    pub method: &'a str,
    pub flow: Option<&'a str>,
    pub now: i64,
    pub expires_at: i64,
}

/// The session and its user in one query: every request that carries a cookie runs it.
static LOAD: LazyLock<String> = LazyLock::new(|| {
    let user_columns: Vec<String> = super::users::USER_COLUMNS
        .split(", ")
        .map(|c| format!("u.{c}"))
        .collect();
    format!(
        "SELECT s.session_version AS s_session_version, s.signed_in_at AS s_signed_in_at, \
         s.seen_at AS s_seen_at, s.expires_at AS s_expires_at, s.flow AS s_flow, {} \
         FROM sessions s LEFT JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2",
        user_columns.join(", ")
    )
});

/// The unexpired session with this token hash. On SQLite, served from the [`ReadCache`] while
/// the database has not changed since it was read.
///
/// [`ReadCache`]: super::read_cache::ReadCache
pub async fn load(db: &Db, token_hash: &str, now: i64) -> DbResult<Option<SessionRow>> {
    let Db::Sqlite(_, cache) = db else {
        return load_uncached(db, token_hash, now).await;
    };
    let Some(version) = cache.version() else {
        return load_uncached(db, token_hash, now).await;
    };
    let key = token_hash.to_string();
    if let Some(row) = cache.sessions.get(version, &key) {
        // The row is as the database has it; only the clock has moved.
        return Ok((row.expires_at > now).then_some(row));
    }
    let row = load_uncached(db, token_hash, now).await?;
    if let Some(row) = &row {
        cache.sessions.put(version, key, row.clone());
    }
    Ok(row)
}

async fn load_uncached(db: &Db, token_hash: &str, now: i64) -> DbResult<Option<SessionRow>> {
    with_pool!(db, p => {
        let Some(row) = sqlx::query(&LOAD).bind(token_hash).bind(now).fetch_optional(p).await?
        else {
            return Ok(None);
        };
        let user = match row.try_get::<Option<String>, _>("id")? {
            Some(_) => Some(UserRow::from_row(&row)?),
            None => None,
        };
        Ok(Some(SessionRow {
            user,
            session_version: row.try_get("s_session_version")?,
            signed_in_at: row.try_get("s_signed_in_at")?,
            seen_at: row.try_get("s_seen_at")?,
            expires_at: row.try_get("s_expires_at")?,
            flow: row.try_get("s_flow")?,
        }))
    })
}

pub async fn create(db: &Db, s: &NewSession<'_>) -> DbResult<()> {
    let sql = "INSERT INTO sessions \
         (token_hash, user_id, session_version, signed_in_at, method, flow, seen_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $4, $7)";
    with_pool!(db, p => sqlx::query(sql)
        .bind(s.token_hash)
        .bind(s.user_id)
        .bind(s.session_version)
        .bind(s.now)
        .bind(s.method)
        .bind(s.flow)
        .bind(s.expires_at)
        .execute(p)
        .await
        .map(|_| ()))
}

pub async fn delete(db: &Db, token_hash: &str) -> DbResult<()> {
    with_pool!(db, p => sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(p)
        .await
        .map(|_| ()))
}

/// Pushes the idle expiry forward after activity.
pub async fn touch(db: &Db, token_hash: &str, now: i64, expires_at: i64) -> DbResult<()> {
    let sql = "UPDATE sessions SET seen_at = $2, expires_at = $3 WHERE token_hash = $1";
    with_pool!(db, p => sqlx::query(sql)
        .bind(token_hash)
        .bind(now)
        .bind(expires_at)
        .execute(p)
        .await
        .map(|_| ()))
}

pub async fn set_flow(db: &Db, token_hash: &str, flow: &str) -> DbResult<()> {
    with_pool!(db, p => sqlx::query("UPDATE sessions SET flow = $2 WHERE token_hash = $1")
        .bind(token_hash)
        .bind(flow)
        .execute(p)
        .await
        .map(|_| ()))
}

/// Clears the flow; `false` when another request took it first (a replayed callback).
pub async fn take_flow(db: &Db, token_hash: &str) -> DbResult<bool> {
    let sql = "UPDATE sessions SET flow = NULL WHERE token_hash = $1 AND flow IS NOT NULL";
    with_pool!(db, p => sqlx::query(sql)
        .bind(token_hash)
        .execute(p)
        .await
        .map(|r| r.rows_affected() == 1))
}

/// Deletes expired sessions (through the `expires_at` index).
pub async fn delete_expired(db: &Db, now: i64) -> DbResult<u64> {
    with_pool!(db, p => sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))
}
