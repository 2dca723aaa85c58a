//! Envelope encryption. Each value gets its own random data key; the value is
//! sealed with the data key and the data key with the master key, both with
//! XChaCha20-Poly1305. The associated data binds table, record and field (and,
//! for the wrapped data key, the master key id), so a ciphertext moved to
//! another row or field fails. Rotating the master key re-wraps data keys only.
//!
//! Layout (version 1): `0x01 | key id (8) | wrap nonce (24) | wrapped data key
//! (48) | nonce (24) | ciphertext+tag`.

use crate::{CryptoError, MasterKey};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use orthrus_core::Entropy;
use zeroize::Zeroizing;

const VERSION: u8 = 1;
const KID_LEN: usize = 8;
const NONCE_LEN: usize = 24;
const WRAPPED_LEN: usize = 32 + 16;
const HEADER: usize = 1 + KID_LEN + NONCE_LEN + WRAPPED_LEN + NONCE_LEN;

/// What a sealed value is bound to.
#[derive(Clone, Debug)]
pub struct Aad<'a> {
    pub table: &'a str,
    pub record: &'a str,
    pub field: &'a str,
}

impl<'a> Aad<'a> {
    pub fn new(table: &'a str, record: &'a str, field: &'a str) -> Self {
        Self {
            table,
            record,
            field,
        }
    }
    fn bytes(&self, kid: &[u8]) -> Vec<u8> {
        let mut v = Vec::with_capacity(64);
        for part in [
            b"orthrus-v1".as_slice(),
            self.table.as_bytes(),
            self.record.as_bytes(),
            self.field.as_bytes(),
            kid,
        ] {
            v.extend_from_slice(&(part.len() as u32).to_be_bytes());
            v.extend_from_slice(part);
        }
        v
    }
}

/// Finds a master key by its id (a running server looks in its data
/// directory when it meets a value wrapped under a key it does not hold yet,
/// e.g. during an online rotation).
pub type KeyLoader = std::sync::Arc<dyn Fn(&str) -> Option<MasterKey> + Send + Sync>;

struct Ring {
    /// The keys it opens with, each with its header id.
    keys: Vec<(MasterKey, [u8; KID_LEN])>,
    /// Index in `keys` of the key new values are sealed with.
    write: usize,
    loader: Option<KeyLoader>,
}

/// Seals values under one master key (the write key) and opens values under
/// any key of its ring. Clones share the ring, so a key added or a write key
/// changed (an online rotation) applies to every clone.
#[derive(Clone)]
pub struct Envelope {
    ring: std::sync::Arc<std::sync::RwLock<Ring>>,
}

impl std::fmt::Debug for Envelope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Envelope({})", self.key_id())
    }
}

fn kid_of(master: &MasterKey) -> [u8; KID_LEN] {
    let mut kid = [0u8; KID_LEN];
    for (i, c) in kid.iter_mut().enumerate() {
        *c = u8::from_str_radix(master.id().get(i * 2..i * 2 + 2).unwrap_or("00"), 16).unwrap_or(0);
    }
    kid
}

fn cipher(key: &[u8]) -> Result<XChaCha20Poly1305, CryptoError> {
    XChaCha20Poly1305::new_from_slice(key).map_err(|_| CryptoError::Malformed)
}

fn nonce(b: &[u8]) -> Result<XNonce, CryptoError> {
    if b.len() != NONCE_LEN {
        return Err(CryptoError::Malformed);
    }
    Ok(*XNonce::from_slice(b))
}

impl Envelope {
    pub fn new(master: MasterKey) -> Self {
        let kid = kid_of(&master);
        Self {
            ring: std::sync::Arc::new(std::sync::RwLock::new(Ring {
                keys: vec![(master, kid)],
                write: 0,
                loader: None,
            })),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Ring> {
        self.ring.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_lock(&self) -> std::sync::RwLockWriteGuard<'_, Ring> {
        self.ring.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Where to look for a key the ring does not hold yet.
    pub fn set_loader(&self, loader: KeyLoader) {
        self.write_lock().loader = Some(loader);
    }

    /// Adds a key to open with (sealing keeps its key).
    pub fn add_key(&self, key: MasterKey) {
        let mut ring = self.write_lock();
        if !ring.keys.iter().any(|(k, _)| k.id() == key.id()) {
            let kid = kid_of(&key);
            ring.keys.push((key, kid));
        }
    }

    /// True when the ring holds key `id`, or its loader finds it (then it
    /// is added).
    pub fn has_key(&self, id: &str) -> bool {
        if self.read().keys.iter().any(|(k, _)| k.id() == id) {
            return true;
        }
        let loader = self.read().loader.clone();
        match loader.and_then(|l| l(id)).filter(|k| k.id() == id) {
            Some(k) => {
                self.add_key(k);
                true
            }
            None => false,
        }
    }

    /// Seals new values with key `id` from now on; false (and nothing
    /// changes) when the ring neither holds nor can find it.
    pub fn use_for_writing(&self, id: &str) -> bool {
        if !self.has_key(id) {
            return false;
        }
        let mut ring = self.write_lock();
        match ring.keys.iter().position(|(k, _)| k.id() == id) {
            Some(i) => {
                ring.write = i;
                true
            }
            None => false,
        }
    }

    /// The id of the key new values are sealed with.
    pub fn key_id(&self) -> String {
        let ring = self.read();
        ring.keys
            .get(ring.write)
            .map(|(k, _)| k.id().to_owned())
            .unwrap_or_default()
    }

    /// The id of the master key a sealed value's data key is wrapped with
    /// (16 hex digits), read from its header; None when it is not one.
    pub fn sealed_key_id(sealed: &[u8]) -> Option<String> {
        match sealed {
            [VERSION, rest @ ..] if rest.len() >= KID_LEN => Some(crate::hex(&rest[..KID_LEN])),
            _ => None,
        }
    }

    /// The key new values are sealed with.
    pub fn master(&self) -> MasterKey {
        self.writer().0
    }

    fn writer(&self) -> (MasterKey, [u8; KID_LEN]) {
        let ring = self.read();
        match ring.keys.get(ring.write) {
            Some(k) => k.clone(),
            None => unreachable!("the write key is always in the ring"),
        }
    }

    /// The key whose header id is `kid`, from the ring or its loader.
    fn key_for(&self, kid: &[u8]) -> Result<MasterKey, CryptoError> {
        if let Some((k, _)) = self.read().keys.iter().find(|(_, id)| id == kid) {
            return Ok(k.clone());
        }
        let found = crate::hex(kid);
        if self.has_key(&found)
            && let Some((k, _)) = self.read().keys.iter().find(|(_, id)| id == kid)
        {
            return Ok(k.clone());
        }
        Err(CryptoError::WrongKey {
            found,
            expected: self.key_id(),
        })
    }

    /// Seals `plaintext` for `aad`.
    pub fn seal(
        &self,
        rng: &dyn Entropy,
        aad: &Aad<'_>,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let (master, kid) = self.writer();
        let wrap_aad = aad.bytes(&kid);
        let data_aad = aad.bytes(&[]);
        let mut dek = Zeroizing::new([0u8; 32]);
        rng.fill(&mut dek[..]);
        let mut wrap_nonce = [0u8; NONCE_LEN];
        rng.fill(&mut wrap_nonce);
        let mut data_nonce = [0u8; NONCE_LEN];
        rng.fill(&mut data_nonce);

        let wrapped = cipher(master.bytes())?
            .encrypt(
                &nonce(&wrap_nonce)?,
                Payload {
                    msg: &dek[..],
                    aad: &wrap_aad,
                },
            )
            .map_err(|_| CryptoError::Malformed)?;
        let ct = cipher(&dek[..])?
            .encrypt(
                &nonce(&data_nonce)?,
                Payload {
                    msg: plaintext,
                    aad: &data_aad,
                },
            )
            .map_err(|_| CryptoError::Malformed)?;

        let mut out = Vec::with_capacity(HEADER + ct.len());
        out.push(VERSION);
        out.extend_from_slice(&kid);
        out.extend_from_slice(&wrap_nonce);
        out.extend_from_slice(&wrapped);
        out.extend_from_slice(&data_nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Seals a UTF-8 string.
    pub fn seal_str(
        &self,
        rng: &dyn Entropy,
        aad: &Aad<'_>,
        s: &str,
    ) -> Result<Vec<u8>, CryptoError> {
        self.seal(rng, aad, s.as_bytes())
    }

    fn unwrap_dek(&self, aad: &Aad<'_>, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        if sealed.len() < HEADER + 16 || sealed[0] != VERSION {
            return Err(CryptoError::Malformed);
        }
        let kid = &sealed[1..1 + KID_LEN];
        let master = self.key_for(kid)?;
        let wrap_aad = aad.bytes(kid);
        let mut p = 1 + KID_LEN;
        let wrap_nonce = &sealed[p..p + NONCE_LEN];
        p += NONCE_LEN;
        let wrapped = &sealed[p..p + WRAPPED_LEN];
        let dek = cipher(master.bytes())?
            .decrypt(
                &nonce(wrap_nonce)?,
                Payload {
                    msg: wrapped,
                    aad: &wrap_aad,
                },
            )
            .map_err(|_| CryptoError::Decrypt)?;
        Ok(Zeroizing::new(dek))
    }

    /// Opens a sealed value; fails when the key, the AAD or any byte differs.
    pub fn open(&self, aad: &Aad<'_>, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let dek = self.unwrap_dek(aad, sealed)?;
        let data_aad = aad.bytes(&[]);
        let p = 1 + KID_LEN + NONCE_LEN + WRAPPED_LEN;
        let data_nonce = &sealed[p..p + NONCE_LEN];
        let ct = &sealed[p + NONCE_LEN..];
        cipher(&dek)?
            .decrypt(
                &nonce(data_nonce)?,
                Payload {
                    msg: ct,
                    aad: &data_aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| CryptoError::Decrypt)
    }

    /// Opens a sealed UTF-8 string.
    pub fn open_string(
        &self,
        aad: &Aad<'_>,
        sealed: &[u8],
    ) -> Result<Zeroizing<String>, CryptoError> {
        let bytes = self.open(aad, sealed)?;
        String::from_utf8(bytes.to_vec())
            .map(Zeroizing::new)
            .map_err(|_| CryptoError::Malformed)
    }

    /// Re-wraps the data key of `sealed` (made under a key of `self`) for
    /// `new`'s write key, without
    /// touching the payload: master-key rotation costs one small AEAD per value.
    pub fn rewrap(
        &self,
        rng: &dyn Entropy,
        aad: &Aad<'_>,
        sealed: &[u8],
        new: &Envelope,
    ) -> Result<Vec<u8>, CryptoError> {
        let dek = self.unwrap_dek(aad, sealed)?;
        // Check the payload too, so a rotation never carries a corrupt value.
        self.open(aad, sealed)?;
        let mut wrap_nonce = [0u8; NONCE_LEN];
        rng.fill(&mut wrap_nonce);
        let (new_master, new_kid) = new.writer();
        let wrapped = cipher(new_master.bytes())?
            .encrypt(
                &nonce(&wrap_nonce)?,
                Payload {
                    msg: &dek[..],
                    aad: &aad.bytes(&new_kid),
                },
            )
            .map_err(|_| CryptoError::Malformed)?;
        let mut out = Vec::with_capacity(sealed.len());
        out.push(VERSION);
        out.extend_from_slice(&new_kid);
        out.extend_from_slice(&wrap_nonce);
        out.extend_from_slice(&wrapped);
        out.extend_from_slice(&sealed[1 + KID_LEN + NONCE_LEN + WRAPPED_LEN..]);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orthrus_core::OsEntropy;

    fn env() -> Envelope {
        Envelope::new(MasterKey::generate(&OsEntropy))
    }

    #[test]
    fn round_trip_and_binding() {
        let e = env();
        let aad = Aad::new("accounts", "id1", "password");
        let sealed = e.seal(&OsEntropy, &aad, b"hunter2").unwrap();
        assert!(!sealed.windows(7).any(|w| w == b"hunter2"));
        assert_eq!(&e.open(&aad, &sealed).unwrap()[..], b"hunter2");
        // Moved to another record or field: refused.
        assert!(matches!(
            e.open(&Aad::new("accounts", "id2", "password"), &sealed),
            Err(CryptoError::Decrypt)
        ));
        assert!(matches!(
            e.open(&Aad::new("accounts", "id1", "notes"), &sealed),
            Err(CryptoError::Decrypt)
        ));
        // Any flipped byte: refused.
        for i in [0usize, 5, 20, 60, 90, sealed.len() - 1] {
            let mut t = sealed.clone();
            t[i] ^= 1;
            assert!(e.open(&aad, &t).is_err(), "flip at {i}");
        }
        // Another key: refused with a clear error.
        assert!(matches!(
            env().open(&aad, &sealed),
            Err(CryptoError::WrongKey { .. })
        ));
        assert!(matches!(
            e.open(&aad, b"short"),
            Err(CryptoError::Malformed)
        ));
    }

    #[test]
    fn same_plaintext_seals_differently() {
        let e = env();
        let aad = Aad::new("t", "r", "f");
        assert_ne!(
            e.seal(&OsEntropy, &aad, b"x").unwrap(),
            e.seal(&OsEntropy, &aad, b"x").unwrap()
        );
    }

    #[test]
    fn rewrap_moves_to_the_new_key() {
        let (old, new) = (env(), env());
        let aad = Aad::new("t", "r", "f");
        let sealed = old.seal(&OsEntropy, &aad, b"secret").unwrap();
        let moved = old.rewrap(&OsEntropy, &aad, &sealed, &new).unwrap();
        assert_eq!(&new.open(&aad, &moved).unwrap()[..], b"secret");
        assert!(old.open(&aad, &moved).is_err());
        // Only the wrapped key changed: the payload bytes are the same.
        assert_eq!(sealed[HEADER - NONCE_LEN..], moved[HEADER - NONCE_LEN..]);
    }

    #[test]
    fn a_ring_opens_under_every_key_and_seals_under_the_write_key() {
        let (old, new) = (
            MasterKey::generate(&OsEntropy),
            MasterKey::generate(&OsEntropy),
        );
        let aad = Aad::new("t", "r", "f");
        let under_new = Envelope::new(new.clone())
            .seal(&OsEntropy, &aad, b"n")
            .unwrap();
        let ring = Envelope::new(old.clone());
        let under_old = ring.seal(&OsEntropy, &aad, b"o").unwrap();
        // An unknown key, and no loader: refused.
        assert!(matches!(
            ring.open(&aad, &under_new),
            Err(CryptoError::WrongKey { .. })
        ));
        assert!(!ring.use_for_writing(new.id()));
        // The loader finds it (and only by its id); clones share the ring.
        let found = new.clone();
        ring.clone()
            .set_loader(std::sync::Arc::new(move |id: &str| {
                (id == found.id()).then(|| found.clone())
            }));
        assert_eq!(&ring.open(&aad, &under_new).unwrap()[..], b"n");
        assert_eq!(&ring.open(&aad, &under_old).unwrap()[..], b"o");
        assert_eq!(ring.key_id(), old.id());
        assert!(ring.use_for_writing(new.id()));
        let sealed = ring.seal(&OsEntropy, &aad, b"w").unwrap();
        assert_eq!(Envelope::sealed_key_id(&sealed).as_deref(), Some(new.id()));
        assert_eq!(&Envelope::new(new).open(&aad, &sealed).unwrap()[..], b"w");
    }
}
