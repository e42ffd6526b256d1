//! Dashboard secrets: argon2id password hashes, and the random tokens behind sessions, CSRF
//! fields and one-time set-up links (stored only as their SHA-256).

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;

/// The shortest password `create-user` and the set-up page accept.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("a password needs at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("argon2 failed: {0}")]
    Hashing(String),
}

/// Hashes `password` with argon2id and a random salt, as a PHC string.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| PasswordError::Hashing(e.to_string()))
}

/// Whether `password` matches the stored PHC string; a malformed hash never matches.
pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored_hash) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// Spends the time of one verification, so that an unknown login answers as slowly as a
/// wrong password and logins cannot be probed by timing.
pub fn verify_against_nothing(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_password("a password nobody has").unwrap_or_default());
    let _ = verify_password(password, dummy);
}

/// A fresh random token (256 bits, hex) for a session, CSRF field or set-up link.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The SHA-256 under which a token is stored and looked up.
pub fn token_hash(token: &str) -> String {
    crate::api_keys::hash(token)
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A one-time set-up link, valid for a day, for creating the first dashboard user.
pub struct SetupLink {
    /// The token that goes into `/setup/<token>`; shown once.
    pub token: String,
    /// When it stops working, ms since the epoch.
    pub expires_at: i64,
}

/// How long a set-up link works.
pub const SETUP_LINK_TTL_MS: i64 = 24 * 60 * 60 * 1000;

/// Creates and stores a set-up link when no dashboard user exists; `None` otherwise.
pub async fn setup_link_if_no_user(
    store: &dyn pinsync_store::Store,
) -> Result<Option<SetupLink>, pinsync_store::StoreError> {
    if store.count_dashboard_users().await? > 0 {
        return Ok(None);
    }
    let token = random_token();
    let expires_at = pinsync_store::now_millis() + SETUP_LINK_TTL_MS;
    store
        .insert_setup_link(&token_hash(&token), expires_at)
        .await?;
    Ok(Some(SetupLink { token, expires_at }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_password_verifies_and_another_does_not() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterY", &hash));
        assert!(!verify_password("correct horse battery", "not a hash"));
    }

    #[test]
    fn a_short_password_is_refused() {
        assert!(matches!(
            hash_password("short"),
            Err(PasswordError::TooShort)
        ));
    }

    #[test]
    fn secrets_compare_equal_only_when_identical() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }
}
