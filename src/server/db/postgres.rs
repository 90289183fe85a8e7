//! PostgreSQL specifics: connection options and its migration folder.

use super::read_cache::Version;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use std::time::Duration;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await
}

/// The columns that read the version of the statement's snapshot (`read_cache::Version`):
/// the server's start, `xmax` and how many transactions run below it (the session query of
/// every signed-in request reads them).
pub const SNAPSHOT_VERSION_COLUMNS: &str =
    "CAST(EXTRACT(EPOCH FROM pg_postmaster_start_time()) * 1000000 AS BIGINT) AS v_started, \
     CAST(CAST(pg_snapshot_xmax(pg_current_snapshot()) AS TEXT) AS BIGINT) AS v_xmax, \
     (SELECT COUNT(*) FROM pg_snapshot_xip(pg_current_snapshot())) AS v_running";

/// The version of the database's snapshot now.
pub async fn snapshot_version(pool: &PgPool) -> Result<Version, sqlx::Error> {
    let (started, xmax, running): (i64, i64, i64) =
        sqlx::query_as(&format!("SELECT {SNAPSHOT_VERSION_COLUMNS}"))
            .fetch_one(pool)
            .await?;
    Ok(Version::of_snapshot(started, xmax, running))
}

/// Claims due outbox rows; `SKIP LOCKED` lets several instances claim disjoint rows at once.
pub const CLAIM_OUTBOX: &str = "UPDATE mail_outbox SET locked_until = $2, attempts = attempts + 1 \
     WHERE id IN (SELECT id FROM mail_outbox WHERE sent_at IS NULL AND next_attempt_at <= $1 \
                  AND (locked_until IS NULL OR locked_until <= $1) ORDER BY next_attempt_at LIMIT $3 \
                  FOR UPDATE SKIP LOCKED) \
     RETURNING id, to_address, subject, body_text, body_html, invite_email, CAST(attempts AS BIGINT) AS attempts";

/// `SELECT` of the rows of `query` as one JSON array of arrays of `columns` (NULL when empty).
pub fn json_rows(columns: &str, query: &str) -> String {
    format!(
        "SELECT CAST(json_agg(json_build_array({columns})) AS TEXT) FROM ({query}) AS page_rows"
    )
}
