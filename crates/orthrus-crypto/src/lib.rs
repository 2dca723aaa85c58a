//! Orthrus's cryptography: the master key (KEK) and its provider, envelope
//! encryption of secret fields (XChaCha20-Poly1305 with a fresh data key per
//! field and AAD binding table, record, field and key id), Argon2id password
//! hashing, keyed hashing of bearer tokens, and the audit chain MAC.
//!
//! It knows nothing of storage or HTTP: callers pass bytes in and get bytes
//! out; where randomness is needed it comes from an `Entropy` parameter.

mod backup;
mod envelope;
mod keys;
mod password;

pub use backup::{BackupError, backup_key_id, open_backup, seal_backup};
pub use envelope::{Aad, Envelope, KeyLoader};
pub use keys::{KeySource, MasterKey};
pub use password::PasswordHasher;

use hmac::{Hmac, Mac};
use orthrus_core::Entropy;
use sha2::Sha256;

/// Errors from this crate.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("the master key is invalid: {0}")]
    InvalidMasterKey(String),
    #[error("could not read or write the master key file {path}: {source}")]
    KeyFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("a sealed value is malformed")]
    Malformed,
    #[error("a sealed value failed authentication (wrong key, or moved or edited)")]
    Decrypt,
    #[error("a sealed value was made with key {found}, not the current key {expected}")]
    WrongKey { found: String, expected: String },
    #[error("password hashing failed: {0}")]
    PasswordHash(String),
}

/// A keyed hash (HMAC-SHA256) with a key derived from the master key for one
/// purpose. Used for bearer tokens and recovery codes (so a stolen database
/// cannot be used to check guesses offline) and for the audit chain.
#[derive(Clone)]
pub struct KeyedHasher {
    key: zeroize::Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for KeyedHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyedHasher([redacted])")
    }
}

impl KeyedHasher {
    /// A hasher with a key kept elsewhere (sealed in the database, so that it
    /// outlives a master-key rotation).
    pub fn from_key(key: [u8; 32]) -> Self {
        Self {
            key: zeroize::Zeroizing::new(key),
        }
    }

    pub fn new(master: &MasterKey, purpose: &str) -> Self {
        Self {
            key: zeroize::Zeroizing::new(master.derive(purpose)),
        }
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC accepts keys of any length, so this cannot fail.
        match <Hmac<Sha256> as Mac>::new_from_slice(&self.key[..]) {
            Ok(m) => m,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        }
    }

    /// Hex HMAC of `parts`, each length-prefixed so boundaries are unambiguous.
    pub fn hash_parts(&self, parts: &[&[u8]]) -> String {
        let mut m = self.mac();
        for p in parts {
            m.update(&(p.len() as u64).to_be_bytes());
            m.update(p);
        }
        hex(&m.finalize().into_bytes())
    }

    /// Hex HMAC of one string.
    pub fn hash(&self, data: &str) -> String {
        self.hash_parts(&[data.as_bytes()])
    }
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// A new 256-bit bearer token: `<prefix>_<base64url>`.
pub fn new_token(prefix: &str, rng: &dyn Entropy) -> String {
    use base64::Engine;
    let mut b = [0u8; 32];
    rng.fill(&mut b);
    format!(
        "{prefix}_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
    )
}

/// Constant-time equality for secrets given as strings.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use orthrus_core::OsEntropy;

    #[test]
    fn keyed_hash_depends_on_key_and_purpose() {
        let k1 = MasterKey::generate(&OsEntropy);
        let k2 = MasterKey::generate(&OsEntropy);
        let a = KeyedHasher::new(&k1, "token").hash("x");
        assert_eq!(a, KeyedHasher::new(&k1, "token").hash("x"));
        assert_ne!(a, KeyedHasher::new(&k1, "audit").hash("x"));
        assert_ne!(a, KeyedHasher::new(&k2, "token").hash("x"));
        assert_eq!(a.len(), 64);
        // Length prefixes keep ("ab","c") and ("a","bc") apart.
        let h = KeyedHasher::new(&k1, "t");
        assert_ne!(h.hash_parts(&[b"ab", b"c"]), h.hash_parts(&[b"a", b"bc"]));
    }

    #[test]
    fn tokens_are_long_and_distinct() {
        let a = new_token("ors", &OsEntropy);
        let b = new_token("ors", &OsEntropy);
        assert_ne!(a, b);
        assert!(a.starts_with("ors_") && a.len() == 4 + 43, "{a}");
    }
}

/// Twilio's webhook signature: base64(HMAC-SHA1(auth token, URL followed by
/// every POST parameter name and value, sorted by name, then value)).
pub fn twilio_signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    use base64::Engine;
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut data = url.to_owned();
    for (k, v) in sorted {
        data.push_str(k);
        data.push_str(v);
    }
    let Ok(mut mac) = <Hmac<sha1::Sha1> as Mac>::new_from_slice(auth_token.as_bytes()) else {
        unreachable!("HMAC takes keys of any length")
    };
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Hex HMAC-SHA256 of `body` under `secret` (the generic SMS webhook).
pub fn hmac_sha256_hex(secret: &str, body: &[u8]) -> String {
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()) else {
        unreachable!("HMAC takes keys of any length")
    };
    mac.update(body);
    hex(&mac.finalize().into_bytes())
}

#[cfg(test)]
mod twilio_tests {
    /// Twilio's own published validator vectors (twilio-python tests).
    #[test]
    fn matches_twilios_published_vectors() {
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let p = |v: &[(&str, &str)]| {
            v.iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect::<Vec<_>>()
        };
        let params = p(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
            ("Caller", "+14158675309"),
        ]);
        assert_eq!(
            super::twilio_signature("12345", url, &params),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        );
        let dup = p(&[
            ("Sid", "CA123"),
            ("SidAccount", "AC123"),
            ("Digits", "5678"),
            ("Digits", "1234"),
        ]);
        assert_eq!(
            super::twilio_signature("12345", url, &dup),
            "IK+Dwps556ElfBT0I3Rgjkr1wJU="
        );
    }
}
