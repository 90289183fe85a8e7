//! SQLite specifics: connection options and its migration folder.

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::str::FromStr;
use std::time::Duration;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// The page cache of each pooled connection, KiB (SQLite's default is 2,000).
pub const PAGE_CACHE_KIB: u32 = 1024;

pub async fn connect(url: &str, max_connections: u32) -> Result<SqlitePool, sqlx::Error> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5))
        // Each pooled connection keeps its own page cache, 2 MiB by default: 8 MiB of the
        // server's memory on a 2-core machine once the pool is warm. The pages a request reads
        // (an index range, 50 rows, the session) fit in a fraction of it, and the operating
        // system caches the file for every connection at once.
        .pragma("cache_size", format!("-{PAGE_CACHE_KIB}"));
    if let Some(dir) = options.get_filename().parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
        }
    }
    SqlitePoolOptions::new()
        // An embedded database's connections do not go stale; a ping before every query
        // would cost one more hand-off to the connection's thread.
        .test_before_acquire(false)
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
}

/// The file of the pool's database as SQLite resolved it; `None` for an in-memory or temporary
/// database, which no other connection can open.
pub async fn file_path(pool: &SqlitePool) -> Result<Option<std::path::PathBuf>, sqlx::Error> {
    let file: Option<String> =
        sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
            .fetch_optional(pool)
            .await?;
    Ok(file.filter(|f| !f.is_empty()).map(std::path::PathBuf::from))
}

/// Claims due outbox rows. SQLite serializes writers, so one UPDATE … RETURNING is atomic.
pub const CLAIM_OUTBOX: &str = "UPDATE mail_outbox SET locked_until = $2, attempts = attempts + 1 \
     WHERE id IN (SELECT id FROM mail_outbox WHERE sent_at IS NULL AND next_attempt_at <= $1 \
                  AND (locked_until IS NULL OR locked_until <= $1) ORDER BY next_attempt_at LIMIT $3) \
     RETURNING id, to_address, subject, body_text, body_html, invite_email, CAST(attempts AS BIGINT) AS attempts";

/// `SELECT` of the rows of `query` as one JSON array of arrays of `columns` (NULL when empty).
pub fn json_rows(columns: &str, query: &str) -> String {
    format!("SELECT json_group_array(json_array({columns})) FROM ({query}) AS page_rows")
}

#[cfg(test)]
mod tests {
    /// Every pooled connection gets the smaller page cache, not only the first one opened.
    #[tokio::test]
    async fn every_pooled_connection_has_the_smaller_page_cache() {
        let pool = super::connect("sqlite::memory:", 2).await.unwrap();
        let (mut a, mut b) = (pool.acquire().await.unwrap(), pool.acquire().await.unwrap());
        for conn in [&mut a, &mut b] {
            let size: i64 = sqlx::query_scalar("PRAGMA cache_size")
                .fetch_one(&mut **conn)
                .await
                .unwrap();
            assert_eq!(size, -i64::from(super::PAGE_CACHE_KIB));
        }
    }
}
