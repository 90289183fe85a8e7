//! Failed sign-in counters, stored in the database so that every instance shares them.

use super::{now, with_pool, Db, DbResult};

/// The answer to [`reserve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// The attempt is counted and may go ahead.
    Granted,
    /// Over the limit: refused before any work, for this many seconds more.
    Refused { retry_after_secs: i64 },
}

/// Counts an attempt for `key` **before** it is made, and says whether it may go ahead: at most
/// `max` attempts per window of `window_secs`. One statement increments the counter and returns
/// it, so of N concurrent attempts on any number of instances at most `max` are granted (the
/// rest are refused without being checked). Refused attempts stop counting at `max + 1`, so a
/// flood of refusals cannot keep a key locked after the attempts it did grant are handed back
/// by more than one. An attempt that turns out fine can be handed back
/// with [`release`] or [`clear`]; a failed one stays counted.
pub async fn reserve(db: &Db, key: &str, max: i64, window_secs: i64) -> DbResult<Reservation> {
    let now = now();
    // A window starts over once it is older than `window_secs` and no lockout is running.
    let sql = "INSERT INTO auth_throttle (key, failures, window_started_at, locked_until) \
               VALUES ($1, 1, $2, CASE WHEN 1 >= $4 THEN $5 ELSE NULL END) \
               ON CONFLICT (key) DO UPDATE SET \
                 failures = CASE WHEN auth_throttle.window_started_at <= $3 \
                                  AND COALESCE(auth_throttle.locked_until, 0) <= $2 THEN 1 \
                            WHEN auth_throttle.failures > $4 THEN auth_throttle.failures \
                            ELSE auth_throttle.failures + 1 END, \
                 locked_until = CASE WHEN auth_throttle.window_started_at <= $3 \
                                      AND COALESCE(auth_throttle.locked_until, 0) <= $2 \
                                     THEN CASE WHEN 1 >= $4 THEN $5 ELSE NULL END \
                                     WHEN auth_throttle.failures + 1 >= $4 \
                                     THEN COALESCE(auth_throttle.locked_until, $5) \
                                     ELSE auth_throttle.locked_until END, \
                 window_started_at = CASE WHEN auth_throttle.window_started_at <= $3 \
                                           AND COALESCE(auth_throttle.locked_until, 0) <= $2 THEN $2 \
                                     ELSE auth_throttle.window_started_at END \
               RETURNING CAST(failures AS BIGINT), locked_until";
    let (count, locked_until): (i64, Option<i64>) = with_pool!(db, p => sqlx::query_as(sql)
        .bind(key)
        .bind(now)
        .bind(now - window_secs)
        .bind(max)
        .bind(now + window_secs)
        .fetch_one(p)
        .await)?;
    Ok(if count <= max {
        Reservation::Granted
    } else {
        Reservation::Refused {
            retry_after_secs: locked_until.map_or(window_secs, |u| u - now).max(1),
        }
    })
}

/// Hands back an attempt reserved with [`reserve`] that turned out fine (a sign-in that
/// succeeded counts against no one's address).
pub async fn release(db: &Db, key: &str, max: i64) -> DbResult<()> {
    let sql = "UPDATE auth_throttle SET failures = failures - 1, \
               locked_until = CASE WHEN failures - 1 < $2 THEN NULL ELSE locked_until END \
               WHERE key = $1 AND failures > 0";
    with_pool!(db, p => sqlx::query(sql).bind(key).bind(max).execute(p).await.map(|_| ()))
}

pub async fn clear(db: &Db, key: &str) -> DbResult<()> {
    with_pool!(db, p => sqlx::query("DELETE FROM auth_throttle WHERE key = $1").bind(key).execute(p).await.map(|_| ()))
}

/// Counts one more event for `key`, without a limit, and returns the count (for events that are
/// only counted, such as refused cross-site requests per address and minute).
pub async fn count(db: &Db, key: &str) -> DbResult<i64> {
    let sql = "INSERT INTO auth_throttle (key, failures, window_started_at) VALUES ($1, 1, $2) \
               ON CONFLICT (key) DO UPDATE SET failures = auth_throttle.failures + 1 \
               RETURNING CAST(failures AS BIGINT)";
    with_pool!(db, p => sqlx::query_scalar(sql).bind(key).bind(now()).fetch_one(p).await)
}

/// The longest window any counter uses (`LOGIN_LOCKOUT_MINUTES` is at most a day).
const LONGEST_WINDOW_SECS: i64 = 86_400;

/// Deletes the counters no window or lockout needs any more, so the table does not grow with
/// every address that ever tried. (Cross-site counters are taken by
/// [`summarize_cross_site_refusals`].)
pub async fn purge_stale(db: &Db, now: i64) -> DbResult<u64> {
    let sql = "DELETE FROM auth_throttle WHERE key NOT LIKE 'csrf:%' \
               AND window_started_at < $1 AND COALESCE(locked_until, 0) < $2";
    with_pool!(db, p => sqlx::query(sql)
        .bind(now - LONGEST_WINDOW_SECS)
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))
}

/// The key counting refused cross-site requests from `ip` in the minute of `now`.
pub fn cross_site_key(ip: &str, now: i64) -> String {
    format!("csrf:{}:{ip}", now / 60)
}

/// Turns the cross-site counters of every minute before `now`'s into one audit row each
/// (`count=N`; the first refusal of each minute was recorded when it happened), in one
/// transaction, so that several instances never record a minute twice.
pub async fn summarize_cross_site_refusals(db: &Db, now: i64) -> DbResult<u64> {
    use super::audit::{audit_query, AuditEvent};
    use super::BeginWrite;
    let this_minute = now / 60;
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "DELETE FROM auth_throttle WHERE key LIKE 'csrf:%' AND window_started_at < $1 \
             RETURNING key, CAST(failures AS BIGINT)",
        )
        .bind(this_minute * 60)
        .fetch_all(&mut *tx)
        .await?;
        let mut written = 0;
        for (key, count) in rows {
            let Some((minute, ip)) = key.strip_prefix("csrf:").and_then(|k| k.split_once(':')) else {
                continue;
            };
            if count <= 1 {
                continue;
            }
            let ev = AuditEvent {
                actor_user_id: None,
                actor_token: None,
                action: crate::domain::AuditAction::CsrfRefused,
                target: None,
                workspace_id: None,
                ip: Some(ip.to_string()),
                detail: Some(format!("count={count} minute_start={}", minute.parse::<i64>().unwrap_or(0) * 60)),
            };
            audit_query!(&ev).execute(&mut *tx).await?;
            written += 1;
        }
        tx.commit().await?;
        Ok(written)
    })
}

/// Reserves `n` units of `key`'s allowance of `max` per window of `window_secs`, all or none, in
/// one statement: of concurrent reservations on any number of instances, no more than `max`
/// units are ever granted in a window. On refusal, how many units are left and when the
/// window starts over.
pub async fn reserve_many(
    db: &Db,
    key: &str,
    n: i64,
    max: i64,
    window_secs: i64,
) -> DbResult<Result<(), Shortfall>> {
    let now = now();
    let granted = n <= max
        && {
            let sql = "INSERT INTO auth_throttle (key, failures, window_started_at) VALUES ($1, $2, $3) \
                   ON CONFLICT (key) DO UPDATE SET \
                     failures = CASE WHEN auth_throttle.window_started_at <= $4 THEN excluded.failures \
                                ELSE auth_throttle.failures + excluded.failures END, \
                     window_started_at = CASE WHEN auth_throttle.window_started_at <= $4 \
                                         THEN excluded.window_started_at ELSE auth_throttle.window_started_at END \
                   WHERE auth_throttle.window_started_at <= $4 OR auth_throttle.failures + excluded.failures <= $5 \
                   RETURNING CAST(failures AS BIGINT)";
            let row: Option<i64> = with_pool!(db, p => sqlx::query_scalar(sql)
            .bind(key)
            .bind(n)
            .bind(now)
            .bind(now - window_secs)
            .bind(max)
            .fetch_optional(p)
            .await)?;
            row.is_some()
        };
    if granted {
        return Ok(Ok(()));
    }
    let row: Option<(i64, i64)> = with_pool!(db, p => sqlx::query_as(
        "SELECT CAST(failures AS BIGINT), window_started_at FROM auth_throttle WHERE key = $1",
    )
    .bind(key)
    .fetch_optional(p)
    .await)?;
    let (used, started) = row.unwrap_or((0, now));
    Ok(Err(Shortfall {
        left: (max - used).max(0),
        retry_after_secs: (started + window_secs - now).max(1),
    }))
}

/// Why [`reserve_many`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shortfall {
    pub left: i64,
    pub retry_after_secs: i64,
}

/// Hands back `n` units reserved with [`reserve_many`] that were not used. Nothing to hand
/// back writes nothing: every request of one user reserves on the same row, and on PostgreSQL
/// a second update of it per request (waiting for the others' locks) halved their throughput.
pub async fn release_many(db: &Db, key: &str, n: i64) -> DbResult<()> {
    if n <= 0 {
        return Ok(());
    }
    let sql = "UPDATE auth_throttle SET failures = CASE WHEN failures > $2 THEN failures - $2 ELSE 0 END \
               WHERE key = $1";
    with_pool!(db, p => sqlx::query(sql).bind(key).bind(n).execute(p).await.map(|_| ()))
}
