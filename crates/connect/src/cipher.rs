//! Encryption at rest of tokens and webhook secrets: AES-256-GCM with a random 96-bit nonce
//! per value, stored as `nonce || ciphertext`, with associated data that binds each value to
//! its row and field so ciphertexts cannot be swapped between rows.

use std::io::Write;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use pinsync_store::Encrypted;

/// The name of the key file generated in the data directory on first start.
pub const KEY_FILE: &str = "secret.key";

const NONCE_LEN: usize = 12;

/// Why a key could not be loaded or a value could not be decrypted.
#[derive(Debug, thiserror::Error)]
pub enum CipherError {
    #[error(
        "PINSYNC_SECRET_KEY must be 32 bytes written as base64 (44 characters) or hex (64 characters)"
    )]
    BadKey,
    #[error("cannot read or create the key file {path}: {source}")]
    KeyFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("a stored secret could not be decrypted (wrong key, or the value was tampered with)")]
    Decrypt,
}

/// Encrypts and decrypts secrets with one AES-256 key. `Debug` never shows the key.
#[derive(Clone)]
pub struct TokenCipher {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for TokenCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenCipher(***)")
    }
}

impl TokenCipher {
    pub fn from_key(key: [u8; 32]) -> Self {
        Self {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key)),
        }
    }

    /// Parses a key written as base64 or hex of 32 bytes.
    pub fn from_encoded(encoded: &str) -> Result<Self, CipherError> {
        let encoded = encoded.trim();
        let bytes = if encoded.len() == 64 {
            hex::decode(encoded).map_err(|_| CipherError::BadKey)?
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map_err(|_| CipherError::BadKey)?
        };
        let key: [u8; 32] = bytes.try_into().map_err(|_| CipherError::BadKey)?;
        Ok(Self::from_key(key))
    }

    /// The key from `PINSYNC_SECRET_KEY` when given, else from `data_dir/secret.key`,
    /// generating that file (mode 0600) on first start.
    pub fn load(env_key: Option<&str>, data_dir: &Path) -> Result<Self, CipherError> {
        if let Some(encoded) = env_key {
            return Self::from_encoded(encoded);
        }
        let path = data_dir.join(KEY_FILE);
        let file_error = |source| CipherError::KeyFile {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::from_encoded(&text),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(data_dir).map_err(file_error)?;
                let key: [u8; 32] = rand::random();
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options.open(&path).map_err(file_error)?;
                file.write_all(hex::encode(key).as_bytes())
                    .and_then(|()| file.sync_all())
                    .map_err(file_error)?;
                Ok(Self::from_key(key))
            }
            Err(error) => Err(file_error(error)),
        }
    }

    /// Encrypts `plaintext` bound to `context` (e.g. `pinterest_connection:7:access_token`).
    pub fn encrypt(&self, plaintext: &str, context: &str) -> Encrypted {
        let nonce: [u8; NONCE_LEN] = rand::random();
        let payload = Payload {
            msg: plaintext.as_bytes(),
            aad: context.as_bytes(),
        };
        // AES-GCM encryption fails only for inputs of more than 64 GiB.
        let ciphertext = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), payload)
            .unwrap_or_default();
        let mut stored = nonce.to_vec();
        stored.extend_from_slice(&ciphertext);
        Encrypted(stored)
    }

    /// Decrypts a value written by [`TokenCipher::encrypt`] with the same `context`.
    pub fn decrypt(&self, stored: &Encrypted, context: &str) -> Result<String, CipherError> {
        if stored.0.len() <= NONCE_LEN {
            return Err(CipherError::Decrypt);
        }
        let (nonce, ciphertext) = stored.0.split_at(NONCE_LEN);
        let payload = Payload {
            msg: ciphertext,
            aad: context.as_bytes(),
        };
        let plaintext = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), payload)
            .map_err(|_| CipherError::Decrypt)?;
        String::from_utf8(plaintext).map_err(|_| CipherError::Decrypt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_decrypts_only_with_its_own_context() {
        let cipher = TokenCipher::from_key([7; 32]);
        let stored = cipher.encrypt("pina_secret", "conn:1:access_token");

        assert!(!String::from_utf8_lossy(&stored.0).contains("pina_secret"));
        assert_eq!(
            cipher.decrypt(&stored, "conn:1:access_token").unwrap(),
            "pina_secret"
        );
        assert!(cipher.decrypt(&stored, "conn:2:access_token").is_err());
    }

    #[test]
    fn the_same_value_encrypts_differently_each_time() {
        let cipher = TokenCipher::from_key([7; 32]);
        assert_ne!(cipher.encrypt("x", "c"), cipher.encrypt("x", "c"));
    }

    #[test]
    fn keys_parse_from_hex_or_base64_and_bad_keys_are_named() {
        assert!(TokenCipher::from_encoded(&"ab".repeat(32)).is_ok());
        let b64 = base64::engine::general_purpose::STANDARD.encode([1u8; 32]);
        assert!(TokenCipher::from_encoded(&b64).is_ok());
        let error = TokenCipher::from_encoded("short").unwrap_err();
        assert!(error.to_string().contains("PINSYNC_SECRET_KEY"));
    }

    #[test]
    fn the_key_file_is_generated_once_with_owner_only_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let first = TokenCipher::load(None, dir.path()).unwrap();
        let stored = first.encrypt("v", "c");
        let again = TokenCipher::load(None, dir.path()).unwrap();

        assert_eq!(again.decrypt(&stored, "c").unwrap(), "v");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
