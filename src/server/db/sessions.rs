//! Sessions: one row per session cookie, found by the SHA-256 of the cookie's id (the
//! tower-sessions store of `auth::session` is built on these).

use super::read_cache::Version;
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
    pub method: String,
    /// The identity-provider sign-in in progress (JSON), if any.
    pub flow: Option<String>,
    pub public_id: String,
    pub user_agent: String,
    pub ip: String,
    /// The version of the database the row was read at (PostgreSQL: its snapshot's; SQLite:
    /// its `data_version`): the request reads the cache at it ([`Db::at_snapshot`]). `None`
    /// when the version moved while the row was read, or cannot be read.
    pub read_at: Option<Version>,
}

/// A session as written: every column of its row.
#[derive(Debug, Clone)]
pub struct StoredSession {
    pub token_hash: String,
    pub user_id: Option<String>,
    pub session_version: i64,
    pub signed_in_at: i64,
    pub method: String,
    pub flow: Option<String>,
    pub seen_at: i64,
    pub expires_at: i64,
    pub public_id: String,
    pub user_agent: String,
    pub ip: String,
}

/// A session's row, looked up by its token hash: a kind of read the SQLite cache keeps.
#[derive(Clone, PartialEq, Eq, Hash)]
struct SessionKey(String);

impl super::read_cache::CachedRead for SessionKey {
    type Answer = SessionRow;
    const CAPACITY: usize = 10_000;
}

/// The session and its user in one query: every request that carries a cookie runs it. On
/// PostgreSQL it also reads the version of the statement's snapshot (see `read_cache`).
static LOAD: LazyLock<String> = LazyLock::new(|| load_sql(""));
static LOAD_AT_SNAPSHOT: LazyLock<String> =
    LazyLock::new(|| load_sql(&format!("{}, ", super::postgres::SNAPSHOT_VERSION_COLUMNS)));

fn load_sql(snapshot_columns: &str) -> String {
    let user_columns: Vec<String> = super::users::USER_COLUMNS
        .split(", ")
        .map(|c| format!("u.{c}"))
        .collect();
    format!(
        "SELECT {snapshot_columns}s.session_version AS s_session_version, s.signed_in_at AS s_signed_in_at, \
         s.seen_at AS s_seen_at, s.expires_at AS s_expires_at, s.method AS s_method, s.flow AS s_flow, \
         s.public_id AS s_public_id, s.user_agent AS s_user_agent, s.ip AS s_ip, {} \
         FROM sessions s LEFT JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1",
        user_columns.join(", ")
    )
}

/// The unexpired session with this token hash, with the version of the database it was read
/// at, at which the request then reads the cache. On SQLite, served from the read cache while
/// the database has not changed since it was read (the version is read first); on PostgreSQL
/// read with its snapshot's version. The expiry is checked against `now` on every answer,
/// cached or not.
pub async fn load(db: &Db, token_hash: &str, now: i64) -> DbResult<Option<SessionRow>> {
    let row = match db {
        Db::Sqlite(_, snapshots) => {
            let db = db.at_snapshot(snapshots.cache().version());
            let key = SessionKey(token_hash.to_string());
            let row = db
                .read_through(
                    &key,
                    |db| async move { load_uncached(&db, token_hash).await },
                )
                .await?;
            // Not current when the database moved while the row was read (a miss).
            row.map(|row| SessionRow {
                read_at: db.snapshot(),
                ..row
            })
        }
        Db::Postgres(..) => load_uncached(db, token_hash).await?,
    };
    Ok(row.filter(|row| row.expires_at > now))
}

async fn load_uncached(db: &Db, token_hash: &str) -> DbResult<Option<SessionRow>> {
    let sql = match db {
        Db::Sqlite(..) => &*LOAD,
        Db::Postgres(..) => &*LOAD_AT_SNAPSHOT,
    };
    with_pool!(db, p => {
        let Some(row) = sqlx::query(sql).bind(token_hash).fetch_optional(p).await?
        else {
            return Ok(None);
        };
        let read_at = match db {
            Db::Sqlite(..) => None,
            Db::Postgres(..) => Some(Version::of_snapshot(
                row.try_get("v_started")?,
                row.try_get("v_xmax")?,
                row.try_get("v_running")?,
            )),
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
            method: row.try_get("s_method")?,
            flow: row.try_get("s_flow")?,
            public_id: row.try_get::<Option<String>, _>("s_public_id")?.unwrap_or_default(),
            user_agent: row.try_get("s_user_agent")?,
            ip: row.try_get("s_ip")?,
            read_at,
        }))
    })
}

pub async fn create(db: &Db, s: &StoredSession) -> DbResult<()> {
    let sql = "INSERT INTO sessions \
         (token_hash, user_id, session_version, signed_in_at, method, flow, seen_at, expires_at, public_id, user_agent, ip) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
    with_pool!(db, p => sqlx::query(sql)
        .bind(&s.token_hash)
        .bind(&s.user_id)
        .bind(s.session_version)
        .bind(s.signed_in_at)
        .bind(&s.method)
        .bind(&s.flow)
        .bind(s.seen_at)
        .bind(s.expires_at)
        .bind(&s.public_id)
        .bind(&s.user_agent)
        .bind(&s.ip)
        .execute(p)
        .await
        .map(|_| ()))
}

/// Writes a session's columns; a row that is gone stays gone.
pub async fn update(db: &Db, s: &StoredSession) -> DbResult<()> {
    let sql = "UPDATE sessions SET user_id = $2, session_version = $3, signed_in_at = $4, \
         method = $5, flow = $6, seen_at = $7, expires_at = $8, \
         public_id = COALESCE(NULLIF($9, ''), public_id), user_agent = $10, ip = $11 WHERE token_hash = $1";
    with_pool!(db, p => sqlx::query(sql)
        .bind(&s.token_hash)
        .bind(&s.user_id)
        .bind(s.session_version)
        .bind(s.signed_in_at)
        .bind(&s.method)
        .bind(&s.flow)
        .bind(s.seen_at)
        .bind(s.expires_at)
        .bind(&s.public_id)
        .bind(&s.user_agent)
        .bind(&s.ip)
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

/// A signed-in session as its owner's sessions list shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OwnSessionRow {
    pub public_id: String,
    pub token_hash: String,
    pub signed_in_at: i64,
    pub seen_at: i64,
    pub method: String,
    pub user_agent: String,
    pub ip: String,
}

/// How many of a user's sessions the list shows (most recently active first).
pub const OWN_SESSIONS_LIMIT: i64 = 100;

/// The live sessions of `user_id` at `session_version` (older versions no longer sign anyone
/// in), most recently active first.
pub async fn list_for_user(
    db: &Db,
    user_id: &str,
    session_version: i64,
    now: i64,
) -> DbResult<Vec<OwnSessionRow>> {
    with_pool!(db, p => sqlx::query_as::<_, OwnSessionRow>(
        "SELECT COALESCE(public_id, '') AS public_id, token_hash, signed_in_at, seen_at, method, user_agent, ip \
         FROM sessions WHERE user_id = $1 AND session_version = $2 AND expires_at > $3 \
         ORDER BY seen_at DESC, signed_in_at DESC LIMIT $4",
    )
    .bind(user_id)
    .bind(session_version)
    .bind(now)
    .bind(OWN_SESSIONS_LIMIT)
    .fetch_all(p)
    .await)
}

/// Ends one of `user_id`'s sessions, named by its public id; `false` when they have none by
/// that id (someone else's session is never found).
pub async fn delete_own(
    db: &Db,
    user_id: &str,
    public_id: &str,
    audit: &super::audit::AuditEvent,
) -> DbResult<bool> {
    use super::BeginWrite;
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        let n = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND public_id = $2")
            .bind(user_id)
            .bind(public_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n > 0 {
            super::audit::audit_query!(audit).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(n > 0)
    })
}

/// Ends every session of `user_id` but the one whose token hash is `keep`. Returns how many.
pub async fn delete_others(
    db: &Db,
    user_id: &str,
    keep: &str,
    audit: &super::audit::AuditEvent,
) -> DbResult<u64> {
    use super::BeginWrite;
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        let n = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user_id)
            .bind(keep)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let mut ev = audit.clone();
        ev.detail = Some(format!("scope=others ended={n}"));
        super::audit::audit_query!(&ev).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(n)
    })
}
