//! Failed sign-in counters, stored in the database so that every instance shares them.

use super::{now, with_pool, Db, DbResult};

/// Seconds until `key` may try again, if it is locked out now.
pub async fn locked_for(db: &Db, key: &str) -> DbResult<Option<i64>> {
    let until: Option<Option<i64>> = with_pool!(db, p => sqlx::query_scalar("SELECT locked_until FROM auth_throttle WHERE key = $1")
        .bind(key)
        .fetch_optional(p)
        .await)?;
    let now = now();
    Ok(until.flatten().filter(|u| *u > now).map(|u| u - now))
}

/// Counts one attempt (a failed sign-in, a resend) for `key` in a window of `window_secs`; at `max`
/// attempts the key is locked for `window_secs`.
pub async fn count_attempt(db: &Db, key: &str, max: i64, window_secs: i64) -> DbResult<()> {
    let now = now();
    // One statement, so concurrent failures on several instances all count.
    let sql = "INSERT INTO auth_throttle (key, failures, window_started_at, locked_until) VALUES ($1, 1, $2, NULL) \
               ON CONFLICT (key) DO UPDATE SET \
                 failures = CASE WHEN auth_throttle.window_started_at <= $3 THEN 1 ELSE auth_throttle.failures + 1 END, \
                 window_started_at = CASE WHEN auth_throttle.window_started_at <= $3 THEN $2 ELSE auth_throttle.window_started_at END, \
                 locked_until = CASE WHEN auth_throttle.window_started_at > $3 AND auth_throttle.failures + 1 >= $4 THEN $5 \
                                     ELSE auth_throttle.locked_until END";
    with_pool!(db, p => sqlx::query(sql)
        .bind(key)
        .bind(now)
        .bind(now - window_secs)
        .bind(max)
        .bind(now + window_secs)
        .execute(p)
        .await
        .map(|_| ()))
}

pub async fn clear(db: &Db, key: &str) -> DbResult<()> {
    with_pool!(db, p => sqlx::query("DELETE FROM auth_throttle WHERE key = $1").bind(key).execute(p).await.map(|_| ()))
}
