//! Results of the reads that nearly every request makes — the session with its user (SQLite),
//! the caller's roles and workspaces, the invitation addressed to them, and a page of a
//! workspace's members — kept until the database next changes.
//!
//! Every cached entry belongs to the [`Version`] of the database under which it was read, and
//! is served only to a reader that finds the database at that same version; a newer version
//! discards them all. So a cached answer is exactly what the query would return at the
//! reader's version, except for what depends on the clock, which the callers check themselves
//! (a session's expiry) or give a freshness test (a members page holds until the workspace's
//! next invitation expires).
//!
//! **SQLite** tells a connection whether any other connection, in this process or another, has
//! committed since it last asked (`PRAGMA data_version`). A dedicated connection that never
//! writes asks it (about a microsecond, and a pair of file locks) when a request reads its
//! session, and the request then reads the cache at that version, as on PostgreSQL below.
//!
//! **PostgreSQL**, shared by several instances, has no such counter, but every statement runs
//! under a snapshot (`pg_current_snapshot()`): the highest completed transaction id plus one
//! (`xmax`) and the transactions still running below it (`xip`). Two snapshots with the same
//! `xmax` and the same running transactions see exactly the same committed rows, and the
//! snapshot changes whenever a transaction that wrote (one given a transaction id), in any
//! database of the server and on any instance, commits or aborts: at an equal `xmax` the
//! running set can only shrink, since new transaction ids start at `xmax` or above. So
//! `(xmax, -(number running))` orders snapshots in time and is equal only for the same
//! database; the server's start time leads it, for a server restored from a backup. (Read from
//! the primary: a hot standby reports its running transactions differently.)
//!
//! On both, the version is read once per request, with its session (no extra round trip on
//! PostgreSQL), and the request reads through the cache at that version
//! ([`super::Db::at_snapshot`]) until it runs a statement of its own: from then on (a write,
//! or any read not through the cache) it reads uncached (SQLite: at the version read again
//! before each read), so a request always sees its own writes. An answer read on a miss is
//! kept only if the version has not moved by the end of the read (one more statement, or
//! `PRAGMA`), so every entry is exactly the database at its version, and a request never reads
//! something older than what it has already seen. Another process's or instance's commit moves
//! the version, so the next request, anywhere, reads afresh. Requests with an API token carry
//! no version: on PostgreSQL they are not served from the cache; on SQLite they read the
//! version before each cached read.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Where the database stood when a read began: SQLite's `data_version`; PostgreSQL's server
/// start, snapshot `xmax` and (negated) count of transactions running below it. Later versions
/// compare greater; two readers with equal versions see the same database.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Version(i64, i64, i64);

impl Version {
    /// A PostgreSQL snapshot's version. The server's start time (microseconds) comes first: a
    /// server restored from a backup may count transaction ids again from lower down.
    pub fn of_snapshot(server_started: i64, xmax: i64, running: i64) -> Version {
        Version(server_started, xmax, -running)
    }

    fn of_data_version(data_version: i64) -> Version {
        Version(0, data_version, 0)
    }
}

/// What was read under the database's current version: one map per kind of read (its key and
/// value types), created at the first read of that kind; and, on SQLite, the connection that
/// watches the database's change counter.
pub struct ReadCache {
    /// `None` once closed, when the database cannot be watched, and on PostgreSQL (whose
    /// readers bring their snapshot's version): then nothing is cached unless a reader does.
    watch: Mutex<Option<rusqlite::Connection>>,
    maps: Mutex<HashMap<(TypeId, TypeId), Arc<dyn Any + Send + Sync>>>,
}

/// A handle's side of the cache: the cache, and the version this handle reads it at while it
/// holds one (a request's handle, from [`super::Db::at_snapshot`]).
#[derive(Clone)]
pub struct Snapshots {
    cache: Arc<ReadCache>,
    at: Option<RequestSnapshot>,
}

#[derive(Clone)]
struct RequestSnapshot {
    version: Version,
    /// Shared by every clone of the request's handle: false once the request ran a statement
    /// of its own, after which the snapshot may be older than what the request wrote.
    current: Arc<AtomicBool>,
}

impl Snapshots {
    /// A handle on the cache that reads at no snapshot (so never from the cache).
    pub fn new() -> Snapshots {
        Snapshots::of(ReadCache::unwatched())
    }

    /// A handle on `cache` that reads at no snapshot: on SQLite, at the version the cache
    /// reads before each read.
    pub fn of(cache: ReadCache) -> Snapshots {
        Snapshots {
            cache: Arc::new(cache),
            at: None,
        }
    }

    /// The cache this handle reads.
    pub fn cache(&self) -> &ReadCache {
        &self.cache
    }

    /// Called by [`super::with_pool`] before every statement run through this handle.
    pub fn own_statement(&self) {
        if let Some(at) = &self.at {
            at.current.store(false, Ordering::Relaxed);
        }
    }

    /// The version this handle's request reads the cache at, while it has run no statement of
    /// its own.
    pub fn current(&self) -> Option<Version> {
        self.at
            .as_ref()
            .filter(|at| at.current.load(Ordering::Relaxed))
            .map(|at| at.version)
    }

    fn at(&self, version: Version) -> Snapshots {
        Snapshots {
            cache: Arc::clone(&self.cache),
            at: Some(RequestSnapshot {
                version,
                current: Arc::new(AtomicBool::new(true)),
            }),
        }
    }

    fn detached(&self) -> Snapshots {
        Snapshots {
            cache: Arc::clone(&self.cache),
            at: None,
        }
    }
}

impl Default for Snapshots {
    fn default() -> Self {
        Snapshots::new()
    }
}

/// A kind of read worth caching: its key type, answer type and how many answers to keep (when
/// full the map starts over; entries only live until the next write anyway).
pub trait CachedRead: Hash + Eq + Send + Sync + 'static {
    type Answer: Clone + Send + Sync + 'static;
    const CAPACITY: usize;
}

impl super::Db {
    /// This handle reading at `version` (read with the request's session): its reads through
    /// the cache are served at that version until it runs a statement of its own. `None`: the
    /// same handle.
    pub fn at_snapshot(&self, version: Option<Version>) -> super::Db {
        match (self, version) {
            (super::Db::Postgres(pool, snapshots), Some(version)) => {
                super::Db::Postgres(pool.clone(), snapshots.at(version))
            }
            (super::Db::Sqlite(pool, snapshots), Some(version)) => {
                super::Db::Sqlite(pool.clone(), snapshots.at(version))
            }
            _ => self.clone(),
        }
    }

    /// The version this handle reads the cache at, while it is current (see
    /// [`at_snapshot`](Self::at_snapshot)).
    pub fn snapshot(&self) -> Option<Version> {
        self.snapshots().current()
    }

    /// This handle's side of the cache, on either backend.
    fn snapshots(&self) -> &Snapshots {
        match self {
            super::Db::Sqlite(_, snapshots) | super::Db::Postgres(_, snapshots) => snapshots,
        }
    }

    /// After a miss at `version`: may what was just read be kept under it? Only if the
    /// database is still at that version now (one more statement on PostgreSQL, a `PRAGMA` on
    /// SQLite), so that what was read is exactly the database at that version; if something
    /// committed meanwhile, the answer (newer than the version) is not kept, and the request
    /// reads afresh from now on, never older than what it just saw.
    async fn still_at(&self, version: Version) -> super::DbResult<bool> {
        let (now, snapshots) = match self {
            super::Db::Postgres(pool, snapshots) => (
                Some(super::postgres::snapshot_version(pool).await?),
                snapshots,
            ),
            super::Db::Sqlite(_, snapshots) => (snapshots.cache.version(), snapshots),
        };
        if now == Some(version) {
            return Ok(true);
        }
        snapshots.own_statement();
        Ok(false)
    }

    /// The handle a cached read's query runs on: the same pool, but its statement does not
    /// end the request's snapshot (what it reads is stored under that snapshot's version).
    fn loader(&self) -> super::Db {
        match self {
            super::Db::Postgres(pool, snapshots) => {
                super::Db::Postgres(pool.clone(), snapshots.detached())
            }
            super::Db::Sqlite(pool, snapshots) => {
                super::Db::Sqlite(pool.clone(), snapshots.detached())
            }
        }
    }

    /// `load`'s answer for `key`, kept until the database next changes and served from memory
    /// until then: on SQLite to every reader, on PostgreSQL to readers at the same snapshot;
    /// loaded every time when the database cannot be watched or the handle holds no current
    /// snapshot. `load` runs its query on the handle it is given. `None` answers are not kept.
    /// What depends on the clock must be checked by the caller on every answer, cached or not.
    pub async fn read_through<K, Fut>(
        &self,
        key: &K,
        load: impl FnOnce(super::Db) -> Fut,
    ) -> super::DbResult<Option<K::Answer>>
    where
        K: CachedRead + Clone,
        Fut: Future<Output = super::DbResult<Option<K::Answer>>>,
    {
        self.read_through_fresh(key, |_| true, load).await
    }

    /// [`read_through`](Self::read_through) for an answer that can also go stale with the
    /// clock: a kept answer is served only while `fresh` says so, and is read again (and kept
    /// again) otherwise.
    pub async fn read_through_fresh<K, Fut>(
        &self,
        key: &K,
        fresh: impl Fn(&K::Answer) -> bool,
        load: impl FnOnce(super::Db) -> Fut,
    ) -> super::DbResult<Option<K::Answer>>
    where
        K: CachedRead + Clone,
        Fut: Future<Output = super::DbResult<Option<K::Answer>>>,
    {
        // The version was read with the request's session, or (SQLite, a handle at no current
        // version) is read now, before the query, so the answer is at least as new as it.
        let version = match self {
            super::Db::Sqlite(_, snapshots) => {
                snapshots.current().or_else(|| snapshots.cache.version())
            }
            super::Db::Postgres(_, snapshots) => snapshots.current(),
        };
        self.read_through_versioned(version, key, fresh, load).await
    }

    /// [`read_through`](Self::read_through) for an answer `load` builds from what the caller
    /// already read at `version` (other cached reads), kept under that version only: when the
    /// handle no longer reads at it (a statement of the request's own, on any of its tasks,
    /// since), `load` runs and nothing is kept.
    pub async fn read_through_at<K, Fut>(
        &self,
        version: Version,
        key: &K,
        load: impl FnOnce(super::Db) -> Fut,
    ) -> super::DbResult<Option<K::Answer>>
    where
        K: CachedRead + Clone,
        Fut: Future<Output = super::DbResult<Option<K::Answer>>>,
    {
        let version = self.snapshot().filter(|at| *at == version);
        self.read_through_versioned(version, key, |_| true, load)
            .await
    }

    async fn read_through_versioned<K, Fut>(
        &self,
        version: Option<Version>,
        key: &K,
        fresh: impl Fn(&K::Answer) -> bool,
        load: impl FnOnce(super::Db) -> Fut,
    ) -> super::DbResult<Option<K::Answer>>
    where
        K: CachedRead + Clone,
        Fut: Future<Output = super::DbResult<Option<K::Answer>>>,
    {
        let cache = &self.snapshots().cache;
        let Some(version) = version else {
            return load(self.loader()).await;
        };
        let map = cache.map::<K>();
        if let Some(answer) = map.get(version, key) {
            if fresh(&answer) {
                return Ok(Some(answer));
            }
        }
        // Concurrent misses of one key share a load: after a write empties the cache, the
        // requests that all want the same session or page would otherwise each run the query.
        // The first loads; the others wait for it once, then read the cache (an answer kept at
        // their own version only), and load for themselves, side by side, only when its answer
        // was not kept.
        let flight = map.flights.join(version, key);
        let answer = match flight.turn.try_lock() {
            Ok(turn) => {
                let answer = self.load_and_keep(&map, version, key, load).await;
                drop(turn);
                answer
            }
            Err(_) => {
                drop(flight.turn.lock().await);
                match map.get(version, key).filter(|answer| fresh(answer)) {
                    Some(answer) => Ok(Some(answer)),
                    None => self.load_and_keep(&map, version, key, load).await,
                }
            }
        };
        answer
    }

    async fn load_and_keep<K, Fut>(
        &self,
        map: &Versioned<K, K::Answer>,
        version: Version,
        key: &K,
        load: impl FnOnce(super::Db) -> Fut,
    ) -> super::DbResult<Option<K::Answer>>
    where
        K: CachedRead + Clone,
        Fut: Future<Output = super::DbResult<Option<K::Answer>>>,
    {
        let answer = load(self.loader()).await?;
        if let Some(answer) = &answer {
            if self.still_at(version).await? {
                map.put(version, key.clone(), answer.clone());
            }
        }
        Ok(answer)
    }
}

impl ReadCache {
    /// Watches the database file at `path`; `None` (an in-memory database, which another
    /// connection cannot see) caches nothing.
    pub fn open(path: Option<&Path>) -> ReadCache {
        let watch = path.and_then(|path| {
            let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
            let conn = rusqlite::Connection::open_with_flags(path, flags).and_then(|conn| {
                // Never wait on a lock while request threads wait on this connection: a busy
                // database means an uncached read instead.
                conn.busy_timeout(std::time::Duration::ZERO)?;
                Ok(conn)
            });
            match conn {
                Ok(conn) => Some(conn),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot watch the database for changes; reads are not cached");
                    None
                }
            }
        });
        ReadCache {
            watch: Mutex::new(watch),
            maps: Mutex::new(HashMap::new()),
        }
    }

    /// A cache whose readers bring their own version (PostgreSQL snapshots).
    fn unwatched() -> ReadCache {
        ReadCache {
            watch: Mutex::new(None),
            maps: Mutex::new(HashMap::new()),
        }
    }

    fn map<K: CachedRead>(&self) -> Arc<Versioned<K, K::Answer>> {
        let mut maps = lock(&self.maps);
        let entry = maps
            .entry((TypeId::of::<K>(), TypeId::of::<K::Answer>()))
            .or_insert_with(|| Arc::new(Versioned::<K, K::Answer>::new(K::CAPACITY)));
        Arc::clone(entry)
            .downcast()
            .expect("the map of a kind of read is created with that kind's types")
    }

    /// The SQLite database's version now: it changes whenever any connection commits. Read it
    /// before the query whose result is stored under it, so that the result is at least as
    /// new. `None` when it cannot be read (and on PostgreSQL): then nothing is cached.
    pub fn version(&self) -> Option<Version> {
        let watch = lock(&self.watch);
        let mut stmt = watch.as_ref()?.prepare_cached("PRAGMA data_version").ok()?;
        stmt.query_row([], |row| row.get(0))
            .ok()
            .map(Version::of_data_version)
    }

    /// Stops watching (and so caching): before the pool closes, so that its last connection
    /// can checkpoint the write-ahead log.
    pub fn close(&self) {
        lock(&self.watch).take();
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A map whose entries all belong to one database version.
struct Versioned<K, V> {
    cap: usize,
    inner: Mutex<(Version, HashMap<K, V>)>,
    flights: Flights<K>,
}

/// The loads of one kind of read in progress, one turn at a time per key and version (a
/// waiter can only use an answer kept at its own version).
struct Flights<K> {
    turns: Mutex<HashMap<(Version, K), Turn>>,
}

/// Held while loading; waited for by the others.
type Turn = Arc<tokio::sync::Mutex<()>>;

/// A request's place in the turns of one key; leaving it (when dropped, even by a request
/// abandoned mid-load) forgets the key once nobody else waits for it.
struct Flight<'a, K: Eq + Hash> {
    flights: &'a Flights<K>,
    key: (Version, K),
    turn: Turn,
}

impl<K: Eq + Hash + Clone> Flights<K> {
    fn join(&self, version: Version, key: &K) -> Flight<'_, K> {
        let key = (version, key.clone());
        let turn = Arc::clone(lock(&self.turns).entry(key.clone()).or_default());
        Flight {
            flights: self,
            key,
            turn,
        }
    }
}

impl<K: Eq + Hash> Drop for Flight<'_, K> {
    fn drop(&mut self) {
        let mut turns = lock(&self.flights.turns);
        // The map's and this one: nobody else waits (joining takes the same lock).
        if Arc::strong_count(&self.turn) == 2 {
            turns.remove(&self.key);
        }
    }
}

impl<K: Eq + Hash, V: Clone> Versioned<K, V> {
    fn new(cap: usize) -> Self {
        Versioned {
            cap,
            inner: Mutex::new((Version(i64::MIN, i64::MIN, i64::MIN), HashMap::new())),
            flights: Flights {
                turns: Mutex::new(HashMap::new()),
            },
        }
    }

    fn get(&self, version: Version, key: &K) -> Option<V> {
        let mut inner = lock(&self.inner);
        if version > inner.0 {
            // Versions only grow: an older entry can never be current again.
            inner.0 = version;
            inner.1.clear();
        }
        // A request that read the version before others moved it on finds nothing.
        if version < inner.0 {
            return None;
        }
        inner.1.get(key).cloned()
    }

    /// Stores what was read after `version` was taken; dropped if a newer version was seen
    /// since.
    fn put(&self, version: Version, key: K, value: V) {
        let mut inner = lock(&self.inner);
        if version > inner.0 {
            inner.0 = version;
            inner.1.clear();
        }
        if version == inner.0 {
            if inner.1.len() >= self.cap {
                inner.1.clear();
            }
            inner.1.insert(key, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postgresql_snapshot_is_newer_when_a_transaction_completed_since() {
        // xmax 100 with transactions 97 and 98 running, then 98 commits, then 100 commits.
        let first = Version::of_snapshot(7, 100, 2);
        let after_98 = Version::of_snapshot(7, 100, 1);
        let after_100 = Version::of_snapshot(7, 101, 1);
        assert!(first < after_98 && after_98 < after_100);
        assert_eq!(first, Version::of_snapshot(7, 100, 2));
        // The server restarted (restored from a backup): lower ids, but a newer version.
        assert!(Version::of_snapshot(8, 50, 0) > after_100);
    }

    #[test]
    fn an_entry_lives_only_while_the_version_it_was_read_under_is_current() {
        let map: Versioned<&str, i32> = Versioned::new(2);
        map.put(Version::of_data_version(5), "a", 1);
        assert_eq!(map.get(Version::of_data_version(5), &"a"), Some(1));
        assert_eq!(map.get(Version::of_data_version(6), &"a"), None);
        // Read under version 5, stored or looked up after version 6 was seen: stale.
        map.put(Version::of_data_version(5), "a", 1);
        assert_eq!(map.get(Version::of_data_version(6), &"a"), None);
        map.put(Version::of_data_version(6), "a", 2);
        assert_eq!(map.get(Version::of_data_version(5), &"a"), None);
        assert_eq!(
            map.get(Version::of_data_version(6), &"a"),
            Some(2),
            "a late reader does not empty the map"
        );
        map.put(Version::of_data_version(6), "a", 2);
        map.put(Version::of_data_version(6), "b", 3);
        map.put(Version::of_data_version(6), "c", 4);
        assert_eq!(
            map.get(Version::of_data_version(6), &"c"),
            Some(4),
            "a full map starts over"
        );
        assert_eq!(map.get(Version::of_data_version(6), &"a"), None);
    }

    #[derive(Clone, PartialEq, Eq, Hash)]
    struct Question(&'static str);

    impl CachedRead for Question {
        type Answer = Option<u32>;
        const CAPACITY: usize = 8;
    }

    /// Eight reads of `key` at once, each loading (slowly) `answer` on a miss: how many loaded,
    /// and how many loads ran at the same time at most.
    async fn eight_at_once(
        db: &super::super::Db,
        key: &'static str,
        answer: Option<u32>,
    ) -> (usize, usize) {
        use std::sync::atomic::AtomicUsize;
        let (loads, running, most) = (
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicUsize::new(0)),
        );
        let reads = (0..8).map(|_| {
            let (loads, running, most) = (loads.clone(), running.clone(), most.clone());
            async move {
                db.read_through(&Question(key), |_| async move {
                    loads.fetch_add(1, Ordering::SeqCst);
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    running.fetch_sub(1, Ordering::SeqCst);
                    Ok(answer.map(Some))
                })
                .await
                .expect("a read")
            }
        });
        for got in futures::future::join_all(reads).await {
            assert_eq!(got, answer.map(Some));
        }
        (loads.load(Ordering::SeqCst), most.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn concurrent_misses_of_one_key_share_its_load() {
        let dir = std::env::temp_dir().join(format!("roster-read-cache-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}/flights.db", dir.display());
        let db = super::super::Db::connect(&url, None).await.unwrap();
        assert_eq!(
            eight_at_once(&db, "kept", Some(7)).await,
            (1, 1),
            "one load for eight misses"
        );
        assert_eq!(
            eight_at_once(&db, "kept", Some(7)).await,
            (0, 0),
            "then eight hits"
        );
        // An answer the cache does not keep (here: none) is loaded by each reader after the
        // first, side by side rather than one after another.
        let (loads, most) = eight_at_once(&db, "not kept", None).await;
        assert_eq!(loads, 8);
        assert!(most > 1, "the waiters loaded one after another");
        db.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A request's handle reads at the version it was given until it runs a statement of its
    /// own; an answer built from reads at a version is kept under that version only while the
    /// handle still reads at it.
    #[tokio::test]
    async fn a_request_reads_at_its_version_until_its_own_statement() {
        use crate::server::db::with_pool;
        let dir = std::env::temp_dir().join(format!("roster-read-at-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}/at.db", dir.display());
        let db = super::super::Db::connect(&url, None).await.unwrap();
        db.migrate().await.unwrap();
        let super::super::Db::Sqlite(_, snapshots) = &db else {
            unreachable!("a SQLite URL")
        };
        let v = snapshots.cache().version().expect("the file is watched");
        let request = db.at_snapshot(Some(v));
        assert_eq!(request.snapshot(), Some(v));
        let answer = |n: u32| move |_| async move { Ok(Some(Some(n))) };
        let read_at = |db: &super::super::Db, n: u32| {
            let db = db.clone();
            async move {
                db.read_through_at(v, &Question("built"), answer(n))
                    .await
                    .unwrap()
            }
        };
        assert_eq!(read_at(&request, 1).await, Some(Some(1)), "a miss is built");
        assert_eq!(
            read_at(&request, 2).await,
            Some(Some(1)),
            "then kept at the version"
        );
        // Another connection commits: the request still reads at its version.
        with_pool!(&db, p => sqlx::query("CREATE TABLE moved (x INTEGER)").execute(p).await.map(|_| ()))
            .unwrap();
        assert_eq!(read_at(&request, 3).await, Some(Some(1)));
        // The request's own statement ends its version: built again, and not kept.
        with_pool!(&request, p => sqlx::query("SELECT 1").execute(p).await.map(|_| ())).unwrap();
        assert_eq!(request.snapshot(), None);
        assert_eq!(read_at(&request, 4).await, Some(Some(4)));
        assert_eq!(read_at(&request, 5).await, Some(Some(5)));
        db.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
