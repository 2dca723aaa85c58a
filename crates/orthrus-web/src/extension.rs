//! The browser extension as the server hands it out: the files embedded at
//! build time (`build.rs`), a zip to load unpacked, the page that explains
//! installing it, and the pre-connected copy `orthrus extension --out`
//! writes. No secrets live here: a token is only ever added to a copy
//! written for one user (`preset.json`).

use crate::WebState;
use crate::error::WebError;
use crate::extract::Authed;
use crate::ui::{Page, render};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/extension_files.rs"));
}

/// The name of the file that pre-connects a copy of the extension.
pub const PRESET: &str = "preset.json";

/// The extension's files: path inside the extension, contents.
pub fn files() -> &'static [(&'static str, &'static [u8])] {
    embedded::FILES
}

/// The extension's version, from its manifest.
pub fn version() -> String {
    files()
        .iter()
        .find(|(p, _)| *p == "manifest.json")
        .and_then(|(_, b)| serde_json::from_slice::<serde_json::Value>(b).ok())
        .and_then(|m| m["version"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// `preset.json` for a copy connected to `server` with `token`.
pub fn preset(server: &str, token: &str) -> Vec<u8> {
    serde_json::json!({"server": server.trim_end_matches('/'), "token": token})
        .to_string()
        .into_bytes()
}

/// A zip archive (stored, not compressed: the files are small and the
/// format stays trivial to check) of `entries`, under the folder `top`.
pub fn zip(top: &str, entries: &[(&str, &[u8])]) -> Vec<u8> {
    // MS-DOS date 1980-01-01 00:00: the same bytes for the same files.
    const DOS_DATE: u16 = 0x21;
    let mut out = Vec::new();
    let mut central = Vec::new();
    let le16 = |v: &mut Vec<u8>, n: u16| v.extend_from_slice(&n.to_le_bytes());
    let le32 = |v: &mut Vec<u8>, n: u32| v.extend_from_slice(&n.to_le_bytes());
    let mut count: u16 = 0;
    for (path, data) in entries {
        let name = format!("{top}/{path}");
        let (Ok(size), Ok(name_len), Ok(offset)) = (
            u32::try_from(data.len()),
            u16::try_from(name.len()),
            u32::try_from(out.len()),
        ) else {
            continue;
        };
        let crc = crc32fast::hash(data);
        // Local file header.
        le32(&mut out, 0x0403_4b50);
        le16(&mut out, 20); // version needed
        le16(&mut out, 0x0800); // names are UTF-8
        le16(&mut out, 0); // stored
        le16(&mut out, 0); // time
        le16(&mut out, DOS_DATE);
        le32(&mut out, crc);
        le32(&mut out, size);
        le32(&mut out, size);
        le16(&mut out, name_len);
        le16(&mut out, 0); // extra
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        // Its central directory entry.
        le32(&mut central, 0x0201_4b50);
        le16(&mut central, 0x0314); // made by: Unix, 2.0
        le16(&mut central, 20);
        le16(&mut central, 0x0800);
        le16(&mut central, 0);
        le16(&mut central, 0);
        le16(&mut central, DOS_DATE);
        le32(&mut central, crc);
        le32(&mut central, size);
        le32(&mut central, size);
        le16(&mut central, name_len);
        le16(&mut central, 0); // extra
        le16(&mut central, 0); // comment
        le16(&mut central, 0); // disk
        le16(&mut central, 0); // internal attributes
        le32(&mut central, 0o100_644 << 16); // -rw-r--r--
        le32(&mut central, offset);
        central.extend_from_slice(name.as_bytes());
        count = count.saturating_add(1);
    }
    let cd_offset = u32::try_from(out.len()).unwrap_or(u32::MAX);
    let cd_size = u32::try_from(central.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&central);
    le32(&mut out, 0x0605_4b50);
    le16(&mut out, 0);
    le16(&mut out, 0);
    le16(&mut out, count);
    le16(&mut out, count);
    le32(&mut out, cd_size);
    le32(&mut out, cd_offset);
    le16(&mut out, 0);
    out
}

/// Writes the extension into `dir` (created if missing), pre-connected when
/// `preset` is given; the preset holds a token, so it is private to the
/// owner of the files.
pub fn write_to(dir: &std::path::Path, preset: Option<&[u8]>) -> std::io::Result<usize> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut n = 0;
    for (path, data) in files() {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&target, data)?;
        n += 1;
    }
    let preset_path = dir.join(PRESET);
    match preset {
        Some(p) => {
            let _ = std::fs::remove_file(&preset_path);
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&preset_path)?;
            f.write_all(p)?;
            n += 1;
        }
        None => {
            // A copy written again without a token must not keep an old one.
            let _ = std::fs::remove_file(&preset_path);
        }
    }
    Ok(n)
}

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/extension", get(page))
        .route("/extension/orthrus-extension.zip", get(download))
}

#[derive(Template)]
#[template(path = "extension.html")]
struct ExtensionPage {
    page: Page,
    version: String,
    server: String,
}

/// How to install the extension from this server.
async fn page(State(s): State<WebState>, a: Authed) -> Result<Response, WebError> {
    render(&ExtensionPage {
        page: Page::new(&s, &a, "Browser extension", "extension"),
        version: version(),
        server: s.config.public_url.clone(),
    })
}

/// The extension as a zip to unpack and load; anyone may fetch it (it is
/// the same open code for everyone and holds nothing secret).
async fn download() -> Response {
    let body = zip("orthrus-extension", files());
    (
        [
            (header::CONTENT_TYPE, "application/zip"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"orthrus-extension.zip\"",
            ),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zips_list_their_files_in_the_central_directory() {
        let z = zip("top", &[("a.txt", b"hello"), ("d/b.json", b"{}")]);
        // The end record says two entries, and both names are in it once
        // in the local headers and once in the central directory.
        let end = z.len() - 22;
        assert_eq!(&z[end..end + 4], &0x0605_4b50u32.to_le_bytes());
        assert_eq!(u16::from_le_bytes([z[end + 10], z[end + 11]]), 2);
        let text = String::from_utf8_lossy(&z);
        assert_eq!(text.matches("top/a.txt").count(), 2);
        assert_eq!(text.matches("top/d/b.json").count(), 2);
        assert_eq!(
            u32::from_le_bytes([z[14], z[15], z[16], z[17]]),
            crc32fast::hash(b"hello")
        );
    }
}
