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

/// Seals and opens values under one master key.
#[derive(Clone, Debug)]
pub struct Envelope {
    master: MasterKey,
    kid: [u8; KID_LEN],
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
        let mut kid = [0u8; KID_LEN];
        for (i, c) in kid.iter_mut().enumerate() {
            *c = u8::from_str_radix(master.id().get(i * 2..i * 2 + 2).unwrap_or("00"), 16)
                .unwrap_or(0);
        }
        Self { master, kid }
    }

    pub fn key_id(&self) -> &str {
        self.master.id()
    }

    /// The id of the master key a sealed value's data key is wrapped with
    /// (16 hex digits), read from its header; None when it is not one.
    pub fn sealed_key_id(sealed: &[u8]) -> Option<String> {
        match sealed {
            [VERSION, rest @ ..] if rest.len() >= KID_LEN => Some(crate::hex(&rest[..KID_LEN])),
            _ => None,
        }
    }

    pub fn master(&self) -> &MasterKey {
        &self.master
    }

    /// Seals `plaintext` for `aad`.
    pub fn seal(
        &self,
        rng: &dyn Entropy,
        aad: &Aad<'_>,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let wrap_aad = aad.bytes(&self.kid);
        let data_aad = aad.bytes(&[]);
        let mut dek = Zeroizing::new([0u8; 32]);
        rng.fill(&mut dek[..]);
        let mut wrap_nonce = [0u8; NONCE_LEN];
        rng.fill(&mut wrap_nonce);
        let mut data_nonce = [0u8; NONCE_LEN];
        rng.fill(&mut data_nonce);

        let wrapped = cipher(self.master.bytes())?
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
        out.extend_from_slice(&self.kid);
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
        if kid != self.kid {
            return Err(CryptoError::WrongKey {
                found: crate::hex(kid),
                expected: self.key_id().to_owned(),
            });
        }
        let wrap_aad = aad.bytes(kid);
        let mut p = 1 + KID_LEN;
        let wrap_nonce = &sealed[p..p + NONCE_LEN];
        p += NONCE_LEN;
        let wrapped = &sealed[p..p + WRAPPED_LEN];
        let dek = cipher(self.master.bytes())?
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

    /// Re-wraps the data key of `sealed` (made under `self`) for `new`, without
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
        let wrapped = cipher(new.master.bytes())?
            .encrypt(
                &nonce(&wrap_nonce)?,
                Payload {
                    msg: &dek[..],
                    aad: &aad.bytes(&new.kid),
                },
            )
            .map_err(|_| CryptoError::Malformed)?;
        let mut out = Vec::with_capacity(sealed.len());
        out.push(VERSION);
        out.extend_from_slice(&new.kid);
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
}
