//! Results of the reads that nearly every request makes on SQLite — the session with its user,
//! the caller's roles and workspaces, and a page of a workspace's members — kept until the
//! database next changes.
//!
//! SQLite tells a connection whether any other connection, in this process or another, has
//! committed since it last asked (`PRAGMA data_version`). A dedicated connection that never
//! writes asks it before each read (about a microsecond); every cached entry belongs to the
//! version under which it was read, and any commit anywhere discards them all. So a cached
//! answer is exactly what the query would return now, except for what depends on the clock,
//! which the callers check themselves (a session's expiry) or give a freshness test (a members
//! page holds until the workspace's next invitation expires).
//!
//! PostgreSQL has no such cheap signal, and several instances may share it: it is not cached.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

/// The change counter of one SQLite database and what was read under its current value: one
/// map per kind of read (its key and value types), created at the first read of that kind.
pub struct ReadCache {
    /// `None` once closed, or when the database cannot be watched: then nothing is cached.
    watch: Mutex<Option<rusqlite::Connection>>,
    maps: Mutex<HashMap<(TypeId, TypeId), Arc<dyn Any + Send + Sync>>>,
}

/// A kind of read worth caching: its key type, answer type and how many answers to keep (when
/// full the map starts over; entries only live until the next write anyway).
pub trait CachedRead: Hash + Eq + Send + Sync + 'static {
    type Answer: Clone + Send + Sync + 'static;
    const CAPACITY: usize;
}

impl super::Db {
    /// `load`'s answer for `key`: on SQLite kept until the database next changes, and served
    /// from memory until then; on PostgreSQL (and when the database cannot be watched) always
    /// loaded. `None` answers are not kept. What depends on the clock must be checked by the
    /// caller on every answer, cached or not.
    pub async fn read_through<K, Fut>(
        &self,
        key: &K,
        load: impl FnOnce() -> Fut,
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
        fresh: impl FnOnce(&K::Answer) -> bool,
        load: impl FnOnce() -> Fut,
    ) -> super::DbResult<Option<K::Answer>>
    where
        K: CachedRead + Clone,
        Fut: Future<Output = super::DbResult<Option<K::Answer>>>,
    {
        let super::Db::Sqlite(_, cache) = self else {
            return load().await;
        };
        // Read the version before the query, so the answer is at least as new as it.
        let Some(version) = cache.version() else {
            return load().await;
        };
        let map = cache.map::<K>();
        if let Some(answer) = map.get(version, key) {
            if fresh(&answer) {
                return Ok(Some(answer));
            }
        }
        let answer = load().await?;
        if let Some(answer) = &answer {
            map.put(version, key.clone(), answer.clone());
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

    fn map<K: CachedRead>(&self) -> Arc<Versioned<K, K::Answer>> {
        let mut maps = lock(&self.maps);
        let entry = maps
            .entry((TypeId::of::<K>(), TypeId::of::<K::Answer>()))
            .or_insert_with(|| Arc::new(Versioned::<K, K::Answer>::new(K::CAPACITY)));
        Arc::clone(entry)
            .downcast()
            .expect("the map of a kind of read is created with that kind's types")
    }

    /// The database's version now: it changes whenever any connection commits. Read it before
    /// the query whose result is stored under it, so that the result is at least as new.
    /// `None` when it cannot be read: then nothing is cached.
    pub fn version(&self) -> Option<i64> {
        let watch = lock(&self.watch);
        let mut stmt = watch.as_ref()?.prepare_cached("PRAGMA data_version").ok()?;
        stmt.query_row([], |row| row.get(0)).ok()
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
    inner: Mutex<(i64, HashMap<K, V>)>,
}

impl<K: Eq + Hash, V: Clone> Versioned<K, V> {
    fn new(cap: usize) -> Self {
        Versioned {
            cap,
            inner: Mutex::new((i64::MIN, HashMap::new())),
        }
    }

    fn get(&self, version: i64, key: &K) -> Option<V> {
        let mut inner = lock(&self.inner);
        if version > inner.0 {
            // The counter only grows: an older entry can never be current again.
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
    fn put(&self, version: i64, key: K, value: V) {
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
    fn an_entry_lives_only_while_the_version_it_was_read_under_is_current() {
        let map: Versioned<&str, i32> = Versioned::new(2);
        map.put(5, "a", 1);
        assert_eq!(map.get(5, &"a"), Some(1));
        assert_eq!(map.get(6, &"a"), None);
        // Read under version 5, stored or looked up after version 6 was seen: stale.
        map.put(5, "a", 1);
        assert_eq!(map.get(6, &"a"), None);
        map.put(6, "a", 2);
        assert_eq!(map.get(5, &"a"), None);
        assert_eq!(
            map.get(6, &"a"),
            Some(2),
            "a late reader does not empty the map"
        );
        map.put(6, "a", 2);
        map.put(6, "b", 3);
        map.put(6, "c", 4);
        assert_eq!(map.get(6, &"c"), Some(4), "a full map starts over");
        assert_eq!(map.get(6, &"a"), None);
    }
}
