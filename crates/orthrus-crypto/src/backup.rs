//! Sealed backup files: a database snapshot encrypted with a key derived
//! from the master key, so that a stolen backup is useless without it.
//!
//! Layout: `ORTHBKP\0`, a format version byte, the master key's id (16 hex
//! digits: which key a restore needs), a 19-byte random nonce prefix, then
//! chunks of at most 64 KiB plaintext, each XChaCha20-Poly1305 sealed with
//! the nonce `prefix ‖ chunk number (u32 BE) ‖ last flag`, the header as
//! AAD, and stored as `length (u32 BE) ‖ ciphertext`. A truncated, reordered
//! or edited file fails to open.

use crate::{CryptoError, MasterKey};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use orthrus_core::Entropy;
use std::io::{Read, Write};

const MAGIC: &[u8; 8] = b"ORTHBKP\0";
const VERSION: u8 = 1;
const KEY_ID_LEN: usize = 16;
const PREFIX_LEN: usize = 19;
const CHUNK: usize = 64 * 1024;
const HEADER_LEN: usize = MAGIC.len() + 1 + KEY_ID_LEN + PREFIX_LEN;

/// Why a backup file cannot be opened.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("not an Orthrus backup file")]
    NotABackup,
    #[error("backup format version {0} is not known to this Orthrus")]
    UnknownVersion(u8),
    #[error(
        "this backup was sealed with master key {found}, not this server's key {expected}: restore it with the master key it was made with"
    )]
    WrongKey { found: String, expected: String },
    #[error("the backup is damaged or was edited (authentication failed)")]
    Damaged,
    #[error("could not read or write the backup: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Crypto(#[from] CryptoError),
}

fn cipher(master: &MasterKey) -> Result<XChaCha20Poly1305, BackupError> {
    XChaCha20Poly1305::new_from_slice(&master.derive("backup file v1"))
        .map_err(|_| BackupError::Crypto(CryptoError::Malformed))
}

fn chunk_nonce(prefix: &[u8], n: u32, last: bool) -> XNonce {
    let mut b = [0u8; 24];
    b[..PREFIX_LEN].copy_from_slice(prefix);
    b[PREFIX_LEN..PREFIX_LEN + 4].copy_from_slice(&n.to_be_bytes());
    b[23] = u8::from(last);
    b.into()
}

/// Reads until `buf` is full or the input ends; how many bytes were read.
fn fill(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

/// Encrypts everything `input` yields into `out`.
pub fn seal_backup(
    master: &MasterKey,
    rng: &dyn Entropy,
    mut input: impl Read,
    mut out: impl Write,
) -> Result<(), BackupError> {
    let mut header = Vec::with_capacity(HEADER_LEN);
    header.extend_from_slice(MAGIC);
    header.push(VERSION);
    let mut id = [b'0'; KEY_ID_LEN];
    for (d, s) in id.iter_mut().zip(master.id().bytes()) {
        *d = s;
    }
    header.extend_from_slice(&id);
    let mut prefix = [0u8; PREFIX_LEN];
    rng.fill(&mut prefix);
    header.extend_from_slice(&prefix);
    out.write_all(&header)?;
    let c = cipher(master)?;
    let mut cur = vec![0u8; CHUNK];
    let mut next = vec![0u8; CHUNK];
    let mut len = fill(&mut input, &mut cur)?;
    let mut n: u32 = 0;
    loop {
        // Read ahead: the last chunk is marked as such.
        let next_len = if len == CHUNK {
            fill(&mut input, &mut next)?
        } else {
            0
        };
        let last = next_len == 0;
        let ct = c
            .encrypt(
                &chunk_nonce(&prefix, n, last),
                Payload {
                    msg: &cur[..len],
                    aad: &header,
                },
            )
            .map_err(|_| BackupError::Crypto(CryptoError::Malformed))?;
        let ct_len = u32::try_from(ct.len()).map_err(|_| BackupError::Damaged)?;
        out.write_all(&ct_len.to_be_bytes())?;
        out.write_all(&ct)?;
        if last {
            break;
        }
        std::mem::swap(&mut cur, &mut next);
        len = next_len;
        n = n.checked_add(1).ok_or(BackupError::Damaged)?;
    }
    out.flush()?;
    Ok(())
}

/// The master key id a backup file names (read from its header).
pub fn backup_key_id(mut input: impl Read) -> Result<String, BackupError> {
    let header = read_header(&mut input)?;
    Ok(key_id_of(&header))
}

fn key_id_of(header: &[u8]) -> String {
    String::from_utf8_lossy(&header[MAGIC.len() + 1..MAGIC.len() + 1 + KEY_ID_LEN]).into_owned()
}

fn read_header(input: &mut impl Read) -> Result<Vec<u8>, BackupError> {
    let mut header = vec![0u8; HEADER_LEN];
    if fill(input, &mut header)? != HEADER_LEN || &header[..MAGIC.len()] != MAGIC {
        return Err(BackupError::NotABackup);
    }
    match header[MAGIC.len()] {
        VERSION => Ok(header),
        v => Err(BackupError::UnknownVersion(v)),
    }
}

/// Decrypts a backup into `out`; refuses one sealed with another key
/// before writing anything.
pub fn open_backup(
    master: &MasterKey,
    mut input: impl Read,
    mut out: impl Write,
) -> Result<(), BackupError> {
    let header = read_header(&mut input)?;
    let found = key_id_of(&header);
    if found != master.id() {
        return Err(BackupError::WrongKey {
            found,
            expected: master.id().to_owned(),
        });
    }
    let prefix = &header[MAGIC.len() + 1 + KEY_ID_LEN..];
    let c = cipher(master)?;
    let mut n: u32 = 0;
    loop {
        let mut len = [0u8; 4];
        if fill(&mut input, &mut len)? != 4 {
            // The chunk marked last never came: truncated.
            return Err(BackupError::Damaged);
        }
        let len = u32::from_be_bytes(len) as usize;
        if len > CHUNK + 16 {
            return Err(BackupError::Damaged);
        }
        let mut ct = vec![0u8; len];
        if fill(&mut input, &mut ct)? != len {
            return Err(BackupError::Damaged);
        }
        let open = |last| {
            c.decrypt(
                &chunk_nonce(prefix, n, last),
                Payload {
                    msg: &ct,
                    aad: &header,
                },
            )
        };
        if let Ok(pt) = open(false) {
            out.write_all(&pt)?;
        } else if let Ok(pt) = open(true) {
            out.write_all(&pt)?;
            let mut rest = [0u8; 1];
            if fill(&mut input, &mut rest)? != 0 {
                return Err(BackupError::Damaged);
            }
            break;
        } else {
            return Err(BackupError::Damaged);
        }
        n = n.checked_add(1).ok_or(BackupError::Damaged)?;
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Counter(std::sync::atomic::AtomicU8);
    impl Entropy for Counter {
        fn fill(&self, buf: &mut [u8]) {
            for b in buf {
                *b = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
    }

    fn seal(key: &MasterKey, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        seal_backup(key, &Counter(0.into()), data, &mut out).unwrap();
        out
    }

    #[test]
    fn round_trips_any_size_and_refuses_another_key_or_an_edit() {
        let key = MasterKey::from_bytes([7; 32]);
        for size in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5] {
            let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            let sealed = seal(&key, &data);
            assert_eq!(backup_key_id(sealed.as_slice()).unwrap(), key.id());
            let mut back = Vec::new();
            open_backup(&key, sealed.as_slice(), &mut back).unwrap();
            assert_eq!(back, data, "size {size}");
            if size >= 64 {
                // Not readable in the file.
                assert!(!sealed.windows(64).any(|w| w == &data[..64]));
            }
        }
        let data = vec![1u8; 2 * CHUNK + 3];
        let sealed = seal(&key, &data);
        let other = MasterKey::from_bytes([8; 32]);
        let e = open_backup(&other, sealed.as_slice(), Vec::new()).unwrap_err();
        assert!(matches!(e, BackupError::WrongKey { .. }), "{e}");
        assert!(e.to_string().contains(key.id()), "{e}");
        // A flipped byte, a dropped last chunk, trailing junk, not a backup.
        let mut edited = sealed.clone();
        edited[HEADER_LEN + 10] ^= 1;
        assert!(matches!(
            open_backup(&key, edited.as_slice(), Vec::new()),
            Err(BackupError::Damaged)
        ));
        let cut = &sealed[..HEADER_LEN + 2 * (4 + CHUNK + 16)];
        assert!(matches!(
            open_backup(&key, cut, Vec::new()),
            Err(BackupError::Damaged)
        ));
        let mut longer = sealed.clone();
        longer.push(0);
        assert!(open_backup(&key, longer.as_slice(), Vec::new()).is_err());
        assert!(matches!(
            open_backup(&key, &b"SQLite format 3\0"[..], Vec::new()),
            Err(BackupError::NotABackup)
        ));
    }
}
