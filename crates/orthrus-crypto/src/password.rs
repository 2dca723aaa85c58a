//! Argon2id password hashing. These calls are CPU-heavy by design: callers on
//! an async runtime must run them on a blocking thread.

use crate::CryptoError;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use orthrus_core::Entropy;

/// Hashes and verifies user passwords with Argon2id.
#[derive(Clone, Debug)]
pub struct PasswordHasher {
    params: Params,
}

impl Default for PasswordHasher {
    /// OWASP's recommended Argon2id setting: 19 MiB, 2 passes, 1 lane.
    fn default() -> Self {
        Self::new(19 * 1024, 2, 1)
    }
}

impl PasswordHasher {
    pub fn new(memory_kib: u32, iterations: u32, lanes: u32) -> Self {
        let params = Params::new(memory_kib, iterations, lanes, None).unwrap_or_default();
        Self { params }
    }

    fn argon(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// A PHC string (`$argon2id$v=19$m=…`).
    pub fn hash(&self, password: &str, rng: &dyn Entropy) -> Result<String, CryptoError> {
        let mut salt = [0u8; 16];
        rng.fill(&mut salt);
        let salt =
            SaltString::encode_b64(&salt).map_err(|e| CryptoError::PasswordHash(e.to_string()))?;
        self.argon()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| CryptoError::PasswordHash(e.to_string()))
    }

    /// True when `password` matches `phc`; false for a mismatch or a malformed hash.
    pub fn verify(&self, password: &str, phc: &str) -> bool {
        PasswordHash::new(phc).is_ok_and(|h| {
            self.argon()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orthrus_core::OsEntropy;

    #[test]
    fn hash_and_verify() {
        let h = PasswordHasher::new(1024, 1, 1);
        let phc = h.hash("correct horse", &OsEntropy).unwrap();
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(h.verify("correct horse", &phc));
        assert!(!h.verify("wrong", &phc));
        assert!(!h.verify("correct horse", "not a hash"));
        // Parameters travel with the hash: a default hasher verifies it too.
        assert!(PasswordHasher::default().verify("correct horse", &phc));
    }
}
