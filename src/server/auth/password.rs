//! Argon2id hashing, off the async runtime, with at most one hash per core at a time.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
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
}

type Job = Box<dyn FnOnce() + Send>;

/// Hashes on a pool of its own, one thread per core: at most that many hashes run at once, off
/// the async runtime, and memory stays bounded (each thread reuses its ~19 MiB; tokio's blocking
/// pool would grow to hundreds of threads, each keeping its own allocator arena).
#[derive(Clone)]
pub struct Hasher {
    jobs: mpsc::Sender<Job>,
    /// Verified against when the email is unknown, so both answers take the same time.
    dummy_hash: Arc<str>,
}

impl Hasher {
    pub async fn new() -> Result<Hasher, HashError> {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..cores {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || loop {
                    // The lock is held only while waiting for the next job, never while hashing.
                    let job = match queue.lock() {
                        Ok(q) => q.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return, // every Hasher is gone
                    }
                })
                .map_err(|e| HashError::Hash(e.to_string()))?;
        }
        let mut hasher = Hasher {
            jobs,
            dummy_hash: Arc::from(""),
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
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = tx.send(work());
            }))
            .map_err(|_| HashError::Join)?;
        rx.await.map_err(|_| HashError::Join)
    }

    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        self.run(move || hash_blocking(&password)).await?
    }

    /// Verifies `password` against `hash`, or against a dummy hash when there is none, so an
    /// unknown account costs the same time as a wrong password.
    pub async fn verify(&self, password: String, hash: Option<String>) -> bool {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.to_string());
        let ok = self
            .run(move || verify_blocking(&password, &hash))
            .await
            .unwrap_or(false);
        ok && known
    }
}

pub fn hash_blocking(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError::Hash(e.to_string()))
}

fn verify_blocking(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
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
        let hasher = Hasher::new().await.unwrap();
        let hash = hasher.hash("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            hasher
                .verify("correct horse battery".into(), Some(hash.clone()))
                .await
        );
        assert!(
            !hasher
                .verify("wrong horse battery".into(), Some(hash))
                .await
        );
        assert!(!hasher.verify("anything".into(), None).await);
    }

    #[test]
    fn generated_passwords_are_long_and_distinct() {
        let a = generate_password();
        assert_eq!(a.chars().count(), 20);
        assert_ne!(a, generate_password());
        assert!(crate::domain::NewPassword::parse(&a).is_ok());
    }
}
