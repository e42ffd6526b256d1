//! Workspace API keys: generated here, shown once, stored only as their SHA-256.

use pinsync_store::{NewApiKey, WorkspaceId};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Every key starts with this, so a leaked key is recognisable in a secret scanner.
pub const KEY_PREFIX: &str = "psk_";

/// A freshly generated key: the plaintext (to show once) and what the store keeps.
pub struct GeneratedKey {
    pub plaintext: String,
    pub stored: NewApiKey,
}

impl std::fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedKey")
            .field("prefix", &self.stored.key_prefix)
            .finish()
    }
}

/// Generates a key with 192 random bits for `workspace`.
pub fn generate(workspace: WorkspaceId) -> GeneratedKey {
    let mut secret = [0u8; 24];
    rand::rng().fill_bytes(&mut secret);
    let plaintext = format!("{KEY_PREFIX}{}", hex::encode(secret));
    let stored = NewApiKey {
        workspace_id: workspace,
        key_sha256: hash(&plaintext),
        key_prefix: plaintext[..KEY_PREFIX.len() + 6].to_owned(),
    };
    GeneratedKey { plaintext, stored }
}

/// The SHA-256 (lowercase hex) under which a key is stored and looked up.
pub fn hash(plaintext: &str) -> String {
    hex::encode(Sha256::digest(plaintext.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_distinct_and_stored_only_as_their_hash() {
        let a = generate(WorkspaceId(1));
        let b = generate(WorkspaceId(1));
        assert_ne!(a.plaintext, b.plaintext);
        assert!(a.plaintext.starts_with(KEY_PREFIX));
        assert_eq!(a.stored.key_sha256, hash(&a.plaintext));
        assert!(
            !a.stored
                .key_sha256
                .contains(&a.plaintext[KEY_PREFIX.len()..])
        );
        assert!(!format!("{a:?}").contains(&a.plaintext));
    }
}
