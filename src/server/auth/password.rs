//! Argon2id hashing, off the async runtime, with at most one hash per core at a time.

use argon2::password_hash::{rand_core::OsRng, Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::Rng;
use std::sync::{mpsc, Arc, Mutex};
use tokio::sync::oneshot;

/// OWASP's argon2id baseline: m=19456 KiB, t=2, p=1.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("password hashing task failed")]
    Join,
    /// Every hashing thread is busy and the queue is full: try again shortly (503).
    #[error("too many sign-ins at once")]
    Busy,
}

type Job = Box<dyn FnOnce() + Send>;

/// Hashes on a pool of its own, one thread per core: at most that many hashes run at once, off
/// the async runtime, and memory stays bounded (each thread reuses its ~19 MiB while it has work
/// and gives it back when idle, see [`MEMORY`]; tokio's blocking pool would grow to hundreds of
/// threads, each with its own).
///
/// The queue is bounded: past `capacity` jobs waiting or running, a request is refused at once
/// ([`HashError::Busy`], a 503) instead of waiting behind minutes of work, and a job whose
/// requester has gone (a closed connection) is dropped without hashing.
#[derive(Clone)]
pub struct Hasher {
    jobs: mpsc::Sender<Job>,
    /// Jobs queued or running, and how many may be.
    in_flight: Arc<std::sync::atomic::AtomicUsize>,
    capacity: usize,
    /// Verified against when the email is unknown, so both answers take the same time.
    dummy_hash: Arc<str>,
    /// How many of this hasher's threads hold their working memory now (what the tests watch).
    #[cfg_attr(not(test), allow(dead_code))]
    holding_memory: Arc<std::sync::atomic::AtomicUsize>,
}

impl Hasher {
    /// A hasher with one thread per core and room for `capacity` jobs queued or running.
    pub async fn new(capacity: usize) -> Result<Hasher, HashError> {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let holding_memory = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        for i in 0..cores {
            let queue = queue.clone();
            let holding_memory = holding_memory.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    use std::sync::atomic::Ordering;
                    lower_priority();
                    let mut holds = false;
                    let mut note_memory = |now: bool| {
                        if now != holds {
                            if now {
                                holding_memory.fetch_add(1, Ordering::AcqRel);
                            } else {
                                holding_memory.fetch_sub(1, Ordering::AcqRel);
                            }
                            holds = now;
                        }
                    };
                    loop {
                        // The lock is held only while waiting for the next job, never while
                        // hashing. Threads waiting for the lock take turns at the timeout, so
                        // every idle thread gives its memory back within a few timeouts.
                        let job = match queue.lock() {
                            Ok(q) => match q.recv_timeout(KEEP_MEMORY_WHILE_IDLE) {
                                Err(mpsc::RecvTimeoutError::Timeout) => {
                                    drop(q);
                                    release_memory();
                                    note_memory(false);
                                    continue;
                                }
                                job => job.map_err(|_| ()),
                            },
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => {
                                job();
                                note_memory(holds_memory());
                            }
                            Err(_) => return, // every Hasher is gone
                        }
                    }
                })
                .map_err(|e| HashError::Hash(e.to_string()))?;
        }
        let mut hasher = Hasher {
            jobs,
            in_flight: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
            capacity: capacity.max(1),
            dummy_hash: Arc::from(""),
            holding_memory,
        };
        hasher.dummy_hash = hasher
            .run(|| hash_blocking(&generate_password()))
            .await??
            .into();
        Ok(hasher)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        use std::sync::atomic::Ordering;
        // Taken before queueing and given back when the job ends (or is dropped unrun).
        if self.in_flight.fetch_add(1, Ordering::AcqRel) >= self.capacity {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            return Err(HashError::Busy);
        }
        struct Slot(Arc<std::sync::atomic::AtomicUsize>);
        impl Drop for Slot {
            fn drop(&mut self) {
                self.0.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
            }
        }
        let slot = Slot(self.in_flight.clone());
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                // The requester went away while the job waited: nobody would read the answer.
                if tx.is_closed() {
                    return;
                }
                let answer = work();
                // Freed before answering, so that whoever is answered finds the slot free.
                drop(slot);
                let _ = tx.send(answer);
            }))
            .map_err(|_| HashError::Join)?;
        rx.await.map_err(|_| HashError::Join)
    }

    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        self.run(move || hash_blocking(&password)).await?
    }

    /// Verifies `password` against `hash`, or against a dummy hash when there is none, so an
    /// unknown account costs the same time as a wrong password. `Err` only when the password
    /// could not be checked at all (the queue is full).
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, HashError> {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.to_string());
        match self.run(move || verify_blocking(&password, &hash)).await {
            Ok(ok) => Ok(ok && known),
            Err(HashError::Busy) => Err(HashError::Busy),
            Err(_) => Ok(false),
        }
    }
}

/// Hashing threads yield the CPU to request threads (nice 10): while every core hashes sign-ins,
/// requests that need no hash are still served first. Sign-ins lose nothing when cores are idle.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: plain system call with no pointers; on Linux, `who = 0` with `PRIO_PROCESS`
    // names the calling thread only.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}

thread_local! {
    /// Argon2's working memory (~19 MiB), mapped by a hashing thread at its first hash and
    /// reused while hashes keep coming: freeing and reallocating it per hash leaves the allocator
    /// holding hundreds of MiB under load. A thread idle for [`KEEP_MEMORY_WHILE_IDLE`] gives it
    /// back to the operating system ([`release_memory`]), so a server whose sign-ins are over
    /// does not keep 19 MiB per core.
    static MEMORY: std::cell::RefCell<Option<mapped::Blocks>> = const { std::cell::RefCell::new(None) };
}

/// How long a hashing thread keeps its working memory with no job to do. The first hash after
/// that pays for the kernel zero-filling the pages again. (Unmapped memory also stops holding
/// what the last hash left in it.)
const KEEP_MEMORY_WHILE_IDLE: std::time::Duration = std::time::Duration::from_secs(2);

fn holds_memory() -> bool {
    MEMORY.with(|memory| memory.try_borrow().is_ok_and(|m| m.is_some()))
}

fn release_memory() {
    MEMORY.with(|memory| {
        if let Ok(mut memory) = memory.try_borrow_mut() {
            *memory = None;
        }
    });
}

fn argon2_into(
    argon2: &Argon2<'_>,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        let blocks = argon2.params().block_count();
        if memory.as_ref().is_none_or(|m| m.len() < blocks) {
            // The old mapping goes first: never two at once.
            *memory = None;
            *memory = Some(mapped::Blocks::new(blocks).ok_or(argon2::Error::MemoryTooMuch)?);
        }
        let memory = memory.as_mut().ok_or(argon2::Error::MemoryTooMuch)?;
        argon2.hash_password_into_with_memory(
            password,
            salt,
            out,
            &mut memory.as_mut_slice()[..blocks],
        )
    })
}

/// Argon2 blocks in memory mapped from the operating system for them alone, and unmapped when
/// dropped. Not from the allocator: mimalloc keeps a freed 19 MiB for reuse, so the server's
/// resident size would never come down after a wave of sign-ins (measured).
mod mapped {
    use argon2::Block;
    use std::ptr::NonNull;

    pub struct Blocks {
        start: NonNull<Block>,
        len: usize,
    }

    impl Blocks {
        /// `len` zeroed blocks, or `None` when the system refuses the mapping.
        pub fn new(len: usize) -> Option<Blocks> {
            let bytes = len.checked_mul(std::mem::size_of::<Block>())?.max(1);
            // SAFETY: an anonymous private mapping with no address hint touches no existing
            // memory; the result is checked before use.
            let start = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    bytes,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                    -1,
                    0,
                )
            };
            if start == libc::MAP_FAILED {
                return None;
            }
            // Page-aligned, hence aligned for `Block` (64 bytes).
            Some(Blocks {
                start: NonNull::new(start.cast::<Block>())?,
                len,
            })
        }

        pub fn len(&self) -> usize {
            self.len
        }

        pub fn as_mut_slice(&mut self) -> &mut [Block] {
            // SAFETY: the mapping holds `len` blocks, is zero-filled by the kernel (all zeros is
            // a valid `Block`, an array of integers), lives as long as `self`, and `&mut self`
            // makes this the only reference to it.
            unsafe { std::slice::from_raw_parts_mut(self.start.as_ptr(), self.len) }
        }
    }

    impl Drop for Blocks {
        fn drop(&mut self) {
            let bytes = (self.len * std::mem::size_of::<Block>()).max(1);
            // SAFETY: exactly the mapping `new` made, unmapped once; no reference to it outlives
            // `self`.
            unsafe {
                libc::munmap(self.start.as_ptr().cast(), bytes);
            }
        }
    }
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) for `password` with a new salt.
pub fn hash_blocking(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .map_err(|e| HashError::Hash(e.to_string()))?;
    let argon2 = argon2();
    let mut out = [0u8; 32];
    argon2_into(&argon2, password.as_bytes(), salt_bytes, &mut out)
        .map_err(|e| HashError::Hash(e.to_string()))?;
    let output = Output::new(&out).map_err(|e| HashError::Hash(e.to_string()))?;
    let p = argon2.params();
    Ok(format!(
        "$argon2id$v=19$m={},t={},p={}${}${}",
        p.m_cost(),
        p.t_cost(),
        p.p_cost(),
        salt.as_str(),
        output
    ))
}

/// Checks `password` against a PHC string, with the parameters the string names.
fn verify_blocking(password: &str, hash: &str) -> bool {
    let check = || -> Option<bool> {
        let parsed = PasswordHash::new(hash).ok()?;
        let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
        let version = match parsed.version {
            Some(v) => Version::try_from(v).ok()?,
            None => Version::V0x13,
        };
        let expected = parsed.hash?;
        let params = Params::try_from(&parsed).ok()?;
        let mut salt = [0u8; 64];
        let salt = parsed.salt?.decode_b64(&mut salt).ok()?;
        let mut out = vec![0u8; expected.len()];
        argon2_into(
            &Argon2::new(algorithm, version, params),
            password.as_bytes(),
            salt,
            &mut out,
        )
        .ok()?;
        // `Output` compares in constant time.
        Some(Output::new(&out).ok()? == expected)
    };
    check().unwrap_or(false)
}

/// A password for an admin-created user: 20 characters from the OS CSPRNG.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    (0..crate::domain::password::GENERATED_LEN)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_and_verify() {
        let hasher = Hasher::new(8).await.unwrap();
        let hash = hasher.hash("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        let verify = |p: &str, h: Option<String>| hasher.verify(p.into(), h);
        assert!(verify("correct horse battery", Some(hash.clone()))
            .await
            .unwrap());
        assert!(!verify("wrong horse battery", Some(hash)).await.unwrap());
        assert!(!verify("anything", None).await.unwrap());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_queue_refuses_at_once_and_frees_its_slots() {
        let hasher = Hasher::new(2).await.unwrap();
        let burst: Vec<_> = (0..12)
            .map(|_| {
                let h = hasher.clone();
                tokio::spawn(async move { h.hash("a burst of hashes".into()).await })
            })
            .collect();
        let mut done = 0;
        let mut busy = 0;
        for job in burst {
            match job.await.unwrap() {
                Ok(_) => done += 1,
                Err(HashError::Busy) => busy += 1,
                Err(e) => panic!("{e}"),
            }
        }
        assert!(done >= 2 && busy >= 1, "done {done}, busy {busy}");
        assert_eq!(done + busy, 12);
        // Every slot came back: the queue takes work again.
        assert!(hasher.hash("after the burst".into()).await.is_ok());
        assert_eq!(
            hasher.in_flight.load(std::sync::atomic::Ordering::Acquire),
            0
        );
    }

    #[tokio::test]
    async fn a_job_whose_requester_left_is_not_run() {
        let hasher = Hasher::new(64).await.unwrap();
        let ran = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        // Occupy every thread, then queue jobs and abandon them.
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let gate = Arc::new(Mutex::new(gate));
        let blockers: Vec<_> = (0..cores)
            .map(|_| {
                let (h, gate) = (hasher.clone(), gate.clone());
                tokio::spawn(async move {
                    h.run(move || {
                        let _ = gate.lock().map(|g| g.recv());
                    })
                    .await
                })
            })
            .collect();
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        for _ in 0..4 {
            let (h, ran) = (hasher.clone(), ran.clone());
            let abandoned = tokio::spawn(async move {
                h.run(move || {
                    ran.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
                })
                .await
            });
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            abandoned.abort();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        for _ in 0..cores {
            release.send(()).unwrap();
        }
        for b in blockers {
            b.await.unwrap().unwrap();
        }
        // A job queued after them runs, so they have all been taken off the queue by now.
        hasher.run(|| ()).await.unwrap();
        assert_eq!(ran.load(std::sync::atomic::Ordering::Acquire), 0);
    }

    /// A hashing thread keeps its ~19 MiB while sign-ins come and gives it back to the system
    /// once idle; a hash after that maps it again and still verifies.
    #[tokio::test]
    async fn idle_hashing_threads_give_their_memory_back() {
        use std::sync::atomic::Ordering;
        let hasher = Hasher::new(8).await.unwrap();
        // The thread notes what it holds just after answering: wait for the note.
        let holding = |more_than_none: bool| {
            let gauge = hasher.holding_memory.clone();
            async move {
                let deadline = std::time::Instant::now() + KEEP_MEMORY_WHILE_IDLE * 8;
                while (gauge.load(Ordering::Acquire) > 0) != more_than_none {
                    if std::time::Instant::now() > deadline {
                        return false;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                true
            }
        };
        let hash = hasher.hash("correct horse battery".into()).await.unwrap();
        assert!(holding(true).await, "a thread that hashed holds no memory");
        assert!(
            holding(false).await,
            "hashing threads still hold their memory after {:?} idle",
            KEEP_MEMORY_WHILE_IDLE * 8
        );
        assert!(hasher
            .verify("correct horse battery".into(), Some(hash))
            .await
            .unwrap());
        assert!(
            holding(true).await,
            "a thread that hashed again holds no memory"
        );
    }

    #[test]
    fn mapped_blocks_start_zeroed_and_hold_what_is_written() {
        let mut blocks = mapped::Blocks::new(3).unwrap();
        assert_eq!(blocks.len(), 3);
        assert!(blocks
            .as_mut_slice()
            .iter()
            .all(|b| b.as_ref().iter().all(|w| *w == 0)));
        blocks.as_mut_slice()[2].as_mut()[127] = 42;
        assert_eq!(blocks.as_mut_slice()[2].as_ref()[127], 42);
        assert_eq!(blocks.as_mut_slice()[1].as_ref()[127], 0);
    }

    /// Our hashes are standard PHC strings: the argon2 crate's own verifier accepts them, and
    /// we accept its hashes, with other parameters too.
    #[test]
    fn hashes_interoperate_with_the_reference_implementation() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let ours = hash_blocking("correct horse battery").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(argon2()
            .verify_password(b"correct horse battery", &parsed)
            .is_ok());
        assert!(argon2().verify_password(b"wrong", &parsed).is_err());
        let cheap = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(1024, 1, 1, None).unwrap(),
        );
        let theirs = cheap
            .hash_password(b"another secret", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        assert!(verify_blocking("another secret", &theirs));
        assert!(!verify_blocking("another secreT", &theirs));
        assert!(!verify_blocking("another secret", "not a hash"));
        assert!(!verify_blocking("another secret", ""));
    }

    #[test]
    fn generated_passwords_are_long_and_distinct() {
        let a = generate_password();
        assert_eq!(a.chars().count(), 20);
        assert_ne!(a, generate_password());
        assert!(crate::domain::NewPassword::parse(&a).is_ok());
    }
}
