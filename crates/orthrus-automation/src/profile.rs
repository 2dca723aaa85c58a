//! A browser profile between jobs: the few files that make an app
//! recognise the device (cookies, local storage, preferences), packed into
//! one archive that `orthrus-app` keeps sealed in the database. Caches and
//! everything else are left out, and nothing stays on the worker's disk.

use std::io::{Read, Write};
use std::path::{Component, Path};

/// What is kept, relative to the profile directory: files, or whole
/// directories when the name ends with `/`.
const KEPT: &[&str] = &[
    "Local State",
    "Default/Preferences",
    "Default/Secure Preferences",
    "Default/Cookies",
    "Default/Cookies-journal",
    "Default/Network/",
    "Default/Local Storage/",
];

/// Files larger than this are left out.
const MAX_FILE: u64 = 10 * 1024 * 1024;
/// Largest archive content accepted when unpacking.
const MAX_TOTAL: u64 = 64 * 1024 * 1024;
const VERSION: u8 = 1;

fn collect(dir: &Path, rel: &str, out: &mut Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
    let path = dir.join(rel);
    let Ok(meta) = std::fs::symlink_metadata(&path) else {
        return Ok(());
    };
    if meta.is_dir() {
        for entry in std::fs::read_dir(&path)? {
            let name = entry?.file_name().to_string_lossy().into_owned();
            collect(dir, &format!("{}/{name}", rel.trim_end_matches('/')), out)?;
        }
    } else if meta.is_file() && meta.len() <= MAX_FILE {
        out.push((rel.to_owned(), std::fs::read(&path)?));
    }
    Ok(())
}

/// Packs the kept files of the profile in `dir`.
pub fn pack(dir: &Path) -> std::io::Result<Vec<u8>> {
    let mut files = Vec::new();
    for k in KEPT {
        collect(dir, k, &mut files)?;
    }
    // Stay under what unpack accepts: leave out the largest files first.
    files.sort_by_key(|(_, d)| d.len());
    let mut total = 0u64;
    files.retain(|(n, d)| {
        total += (d.len() + n.len() + 6) as u64;
        total <= MAX_TOTAL
    });
    let mut z = flate2::write::ZlibEncoder::new(vec![VERSION], flate2::Compression::default());
    for (name, data) in files {
        let n = u16::try_from(name.len()).map_err(std::io::Error::other)?;
        let len = u32::try_from(data.len()).map_err(std::io::Error::other)?;
        z.write_all(&n.to_be_bytes())?;
        z.write_all(name.as_bytes())?;
        z.write_all(&len.to_be_bytes())?;
        z.write_all(&data)?;
    }
    z.finish()
}

/// A relative path inside the profile, or None for anything that could
/// escape it.
fn safe(name: &str) -> Option<&Path> {
    let p = Path::new(name);
    p.components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then_some(p)
}

/// Writes an archive made by [`pack`] into `dir` (which should be empty).
pub fn unpack(archive: &[u8], dir: &Path) -> std::io::Result<()> {
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_owned());
    let (&v, rest) = archive
        .split_first()
        .ok_or_else(|| bad("empty profile archive"))?;
    if v != VERSION {
        return Err(bad("unknown profile archive version"));
    }
    let mut data = Vec::new();
    flate2::read::ZlibDecoder::new(rest)
        .take(MAX_TOTAL + 1)
        .read_to_end(&mut data)?;
    if data.len() as u64 > MAX_TOTAL {
        return Err(bad("profile archive too large"));
    }
    let mut at = 0usize;
    let mut take = |n: usize| -> std::io::Result<&[u8]> {
        let s = data
            .get(at..at + n)
            .ok_or_else(|| bad("truncated profile archive"))?;
        at += n;
        Ok(s)
    };
    while let Ok(b) = take(2) {
        let n = usize::from(u16::from_be_bytes([b[0], b[1]]));
        let name = String::from_utf8(take(n)?.to_vec()).map_err(|_| bad("bad file name"))?;
        let len = take(4)?;
        let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
        let content = take(len)?.to_vec();
        let rel = safe(&name).ok_or_else(|| bad("a file name leaves the profile"))?;
        let path = dir.join(rel);
        // The app's session cookies: readable by the profile's owner only.
        if let Some(parent) = path.parent() {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(parent)?;
        }
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)?
            .write_all(&content)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_files_round_trip_and_caches_are_left_out() {
        let a = tempfile::tempdir().unwrap();
        let d = a.path();
        std::fs::create_dir_all(d.join("Default/Network")).unwrap();
        std::fs::create_dir_all(d.join("Default/Local Storage/leveldb")).unwrap();
        std::fs::create_dir_all(d.join("Default/Cache")).unwrap();
        std::fs::write(d.join("Local State"), b"{}").unwrap();
        std::fs::write(d.join("Default/Network/Cookies"), b"cookie-db").unwrap();
        std::fs::write(d.join("Default/Local Storage/leveldb/000003.log"), b"ls").unwrap();
        std::fs::write(d.join("Default/Cache/big"), vec![7u8; 4096]).unwrap();
        let archive = pack(d).unwrap();
        let b = tempfile::tempdir().unwrap();
        unpack(&archive, b.path()).unwrap();
        assert_eq!(
            std::fs::read(b.path().join("Default/Network/Cookies")).unwrap(),
            b"cookie-db"
        );
        assert_eq!(
            std::fs::read(b.path().join("Default/Local Storage/leveldb/000003.log")).unwrap(),
            b"ls"
        );
        assert!(b.path().join("Local State").exists());
        assert!(!b.path().join("Default/Cache").exists());
    }

    #[test]
    fn hostile_archives_are_refused() {
        let d = tempfile::tempdir().unwrap();
        // A name that climbs out of the profile.
        let mut z = flate2::write::ZlibEncoder::new(vec![VERSION], flate2::Compression::default());
        let name = b"../escape";
        z.write_all(&(name.len() as u16).to_be_bytes()).unwrap();
        z.write_all(name).unwrap();
        z.write_all(&1u32.to_be_bytes()).unwrap();
        z.write_all(b"x").unwrap();
        let evil = z.finish().unwrap();
        assert!(unpack(&evil, d.path()).is_err());
        assert!(!d.path().parent().unwrap().join("escape").exists());
        for junk in [&b""[..], b"\x02abc", b"\x01not zlib"] {
            assert!(unpack(junk, d.path()).is_err());
        }
    }
}
