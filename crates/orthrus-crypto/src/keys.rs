//! The master key (KEK): from `ORTHRUS_MASTER_KEY` (base64) or a 0600 file in
//! the data directory, generated on first start.

use crate::{CryptoError, hex};
use base64::Engine;
use hkdf::Hkdf;
use orthrus_core::Entropy;
use sha2::Sha256;
use std::path::Path;
use zeroize::Zeroizing;

/// The 32-byte key-encryption key. `Debug` never prints it.
#[derive(Clone)]
pub struct MasterKey {
    key: Zeroizing<[u8; 32]>,
    id: String,
}

/// Where the master key came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySource {
    Environment,
    File,
    Generated,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey(id={}, [redacted])", self.id)
    }
}

impl MasterKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let key = Zeroizing::new(bytes);
        let mut id = [0u8; 8];
        let hk = Hkdf::<Sha256>::new(None, &key[..]);
        // 8 bytes is far below HKDF's output limit, so expand cannot fail.
        let _ = hk.expand(b"orthrus key id v1", &mut id);
        Self { key, id: hex(&id) }
    }

    pub fn generate(rng: &dyn Entropy) -> Self {
        let mut b = [0u8; 32];
        rng.fill(&mut b);
        Self::from_bytes(b)
    }

    /// Parses base64 (standard or URL-safe, padding optional) of exactly 32 bytes.
    pub fn from_base64(s: &str) -> Result<Self, CryptoError> {
        let s = s.trim();
        let engines = [
            &base64::engine::general_purpose::STANDARD,
            &base64::engine::general_purpose::STANDARD_NO_PAD,
            &base64::engine::general_purpose::URL_SAFE,
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ];
        let bytes = engines
            .iter()
            .find_map(|e| e.decode(s).ok())
            .ok_or_else(|| CryptoError::InvalidMasterKey("not base64".into()))?;
        let arr: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
            CryptoError::InvalidMasterKey(format!("expected 32 bytes, got {}", bytes.len()))
        })?;
        Ok(Self::from_bytes(arr))
    }

    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.key[..])
    }

    /// A short public identifier of this key (stored beside every sealed value).
    pub fn id(&self) -> &str {
        &self.id
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.key
    }

    /// A 32-byte subkey for one purpose (HKDF-SHA256).
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        let hk = Hkdf::<Sha256>::new(Some(b"orthrus subkey v1"), &self.key[..]);
        let _ = hk.expand(purpose.as_bytes(), &mut out);
        out
    }

    /// Loads the key: `env_value` (from `ORTHRUS_MASTER_KEY`) wins; otherwise
    /// `<data_dir>/master.key`, created with mode 0600 when missing.
    pub fn load_or_create(
        data_dir: &Path,
        env_value: Option<&str>,
        rng: &dyn Entropy,
    ) -> Result<(Self, KeySource), CryptoError> {
        if let Some(v) = env_value.filter(|v| !v.trim().is_empty()) {
            return Ok((Self::from_base64(v)?, KeySource::Environment));
        }
        let path = data_dir.join("master.key");
        let io = |source| CryptoError::KeyFile {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok((Self::from_base64(&text)?, KeySource::File)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(data_dir).map_err(io)?;
                let key = Self::generate(rng);
                write_private(&path, format!("{}\n", key.to_base64()).as_bytes()).map_err(io)?;
                Ok((key, KeySource::Generated))
            }
            Err(e) => Err(io(e)),
        }
    }
}

/// Writes a new file readable only by its owner; refuses to overwrite.
fn write_private(path: &Path, content: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(content)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use orthrus_core::OsEntropy;

    #[test]
    fn key_file_is_created_private_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let (k1, src) = MasterKey::load_or_create(dir.path(), None, &OsEntropy).unwrap();
        assert_eq!(src, KeySource::Generated);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("master.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (k2, src) = MasterKey::load_or_create(dir.path(), None, &OsEntropy).unwrap();
        assert_eq!(src, KeySource::File);
        assert_eq!(k1.id(), k2.id());
        assert!(!format!("{k1:?}").contains(&k1.to_base64()));
    }

    #[test]
    fn env_key_wins_and_is_validated() {
        let dir = tempfile::tempdir().unwrap();
        let k = MasterKey::generate(&OsEntropy);
        let (k2, src) =
            MasterKey::load_or_create(dir.path(), Some(&k.to_base64()), &OsEntropy).unwrap();
        assert_eq!((k2.id(), src), (k.id(), KeySource::Environment));
        assert!(!dir.path().join("master.key").exists());
        let err = MasterKey::load_or_create(dir.path(), Some("c2hvcnQ="), &OsEntropy).unwrap_err();
        assert!(err.to_string().contains("expected 32 bytes"), "{err}");
    }
}
