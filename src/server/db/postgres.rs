//! PostgreSQL specifics: connection options and its migration folder.

use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use std::time::Duration;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

pub const BEGIN_WRITE: &str = "BEGIN";

pub async fn connect(url: &str) -> Result<PgPool, sqlx::Error> {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get() as u32)
        .unwrap_or(2);
    PgPoolOptions::new()
        .max_connections((cores * 5).max(10))
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await
}
