//! Secrets handed to browsers (session cookies, invitation links). Only their SHA-256 is
//! stored, so a copy of the database holds nothing a browser could present.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// A fresh 256-bit token (hex) and its SHA-256 (hex), the only form stored.
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
