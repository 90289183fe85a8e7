//! One repository API over SQLite or PostgreSQL, chosen from `DATABASE_URL` at start.
//!
//! Queries are written once with `$1` placeholders and run through [`with_pool!`], which
//! compiles the same body for each backend. Dialect differences stay in `sqlite.rs` and
//! `postgres.rs`.

pub mod audit;
pub mod decode;
pub mod identities;
pub mod invites;
pub mod members;
pub mod orgs;
pub mod outbox;
pub mod people;
pub mod postgres;
pub mod read_cache;
pub mod scim;
pub mod sessions;
pub mod sqlite;
pub mod throttle;
pub mod tokens;
pub mod users;
pub mod webhooks;
pub mod workspaces;

use read_cache::{ReadCache, Snapshots};
use sqlx::{PgPool, SqlitePool};

#[derive(Clone)]
pub enum Db {
    /// The pool, and the cache of reads that stay valid until the database next changes, with
    /// the version this handle reads it at, if any.
    Sqlite(SqlitePool, Snapshots),
    /// The pool, and the cache with the snapshot this handle reads it at, if any.
    Postgres(PgPool, Snapshots),
}

/// Runs `$body` with `$p` bound to the concrete pool of either backend. A statement run
/// through a request's handle ends the version the request reads the cache at (see
/// [`read_cache`]): what it writes must be seen by the request's next reads.
macro_rules! with_pool {
    ($db:expr, $p:ident => $body:expr) => {
        match $db {
            $crate::server::db::Db::Sqlite($p, snapshots) => {
                snapshots.own_statement();
                $body
            }
            $crate::server::db::Db::Postgres($p, snapshots) => {
                snapshots.own_statement();
                $body
            }
        }
    };
}
pub(crate) use with_pool;

impl Db {
    /// What locks a row read in a write transaction until it ends: `FOR UPDATE` on PostgreSQL
    /// (which also waits for, and blocks, inserts that reference the row); nothing on SQLite,
    /// whose write transaction already holds the database's write lock.
    pub fn row_lock(&self) -> &'static str {
        match self {
            Db::Sqlite(..) => "",
            Db::Postgres(..) => " FOR UPDATE",
        }
    }
}

impl Db {
    /// What makes a text comparison bytewise on this backend, placed after a column or an
    /// expression: SQLite compares bytewise already; PostgreSQL needs `COLLATE "C"` (and an
    /// index built with it) for a prefix search to be an index range.
    pub fn bytewise(&self) -> &'static str {
        match self {
            Db::Sqlite(..) => "",
            Db::Postgres(..) => " COLLATE \"C\"",
        }
    }
}

/// The one way to open a transaction that writes, on either backend (`p.begin_write()`).
pub trait BeginWrite {
    type Database: sqlx::Database;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = DbResult<sqlx::Transaction<'static, Self::Database>>> + Send;
}

impl BeginWrite for SqlitePool {
    type Database = sqlx::Sqlite;
    /// `BEGIN IMMEDIATE`: the write lock is taken up front, so two writers queue on the busy
    /// timeout instead of failing when a read lock cannot be upgraded.
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = DbResult<sqlx::Transaction<'static, sqlx::Sqlite>>> + Send
    {
        self.begin_with("BEGIN IMMEDIATE")
    }
}

impl BeginWrite for PgPool {
    type Database = sqlx::Postgres;
    /// Row locks are taken by the statements themselves.
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = DbResult<sqlx::Transaction<'static, sqlx::Postgres>>> + Send
    {
        self.begin()
    }
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Db::Sqlite(..) => "Db::Sqlite",
            Db::Postgres(..) => "Db::Postgres",
        })
    }
}

pub type DbResult<T> = Result<T, sqlx::Error>;

impl Db {
    /// `pool_size`: the pool's most connections; `None` picks one from the machine's cores.
    pub async fn connect(url: &str, pool_size: Option<u32>) -> DbResult<Db> {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get() as u32)
            .unwrap_or(2);
        if url.starts_with("sqlite:") {
            let pool = sqlite::connect(url, pool_size.unwrap_or((cores * 2).max(4))).await?;
            let cache = ReadCache::open(sqlite::file_path(&pool).await?.as_deref());
            Ok(Db::Sqlite(pool, Snapshots::of(cache)))
        } else {
            let size = pool_size.unwrap_or((cores * 5).max(10));
            Ok(Db::Postgres(
                postgres::connect(url, size).await?,
                Snapshots::new(),
            ))
        }
    }

    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        match self {
            Db::Sqlite(p, _) => sqlite::MIGRATOR.run(p).await,
            Db::Postgres(p, _) => postgres::MIGRATOR.run(p).await,
        }
    }

    pub async fn ping(&self) -> DbResult<()> {
        with_pool!(self, p => sqlx::query("SELECT 1").execute(p).await.map(|_| ()))
    }

    pub async fn close(&self) {
        // The watching connection goes first: while it is open, the pool's last connection
        // cannot checkpoint the write-ahead log into the database file as it closes.
        if let Db::Sqlite(_, snapshots) = self {
            snapshots.cache().close();
        }
        with_pool!(self, p => p.close().await)
    }
}

/// Seconds since the Unix epoch, UTC: the unit of every `*_at` column.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A new id that sorts after every id this process made before (UUID v7): list order is
/// creation order even within one second.
pub fn new_ordered_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Is this error a unique-constraint violation (someone else wrote the row first)?
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(e) if e.is_unique_violation())
}
