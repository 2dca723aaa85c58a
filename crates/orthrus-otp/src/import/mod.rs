//! Bulk import from other authenticator apps: Google Authenticator's
//! `otpauth-migration://` export, Aegis (plain JSON), 2FAS (JSON), Bitwarden
//! (JSON, `login.totp`, and Bitwarden's own CSV export, `login_totp`), CSV
//! with an `otpauth` column, and plain lists of `otpauth://` URIs.
//! [`detect_format`] sniffs which one it was given (including a QR code
//! screenshot, with the `qr` feature).
//!
//! [`read_import_until`] reads a file into [`ImportContents`]: every entry in
//! file order, each one read or refused with its reason, and how many items
//! held no OTP at all (Bitwarden logins without a TOTP, secure notes, blank
//! CSV cells), which are skipped. Bitwarden's CSV is read row by row: a row
//! that cannot be imported is refused on its own and the others still import,
//! as Bitwarden itself keeps one login per row. The other formats are
//! all-or-nothing: an entry that cannot be imported fails the whole file with
//! an error naming the entry, so a preview never silently drops an account.
//! [`detect_and_parse`] is the all-or-nothing view of every format: the first
//! refused entry is its error.

mod csv;
mod json;
mod migration;

pub use csv::{parse_bitwarden_csv, parse_csv};
pub use json::{parse_2fas_json, parse_aegis_json, parse_bitwarden_json};
pub use migration::{MigrationBatch, parse_migration_batch, parse_migration_uri};

use crate::{Kind, MIN_SECRET_BYTES, OtpError, OtpParams, Secret, format_otpauth_uri};

/// One seed read from an import file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedEntry {
    pub secret: Secret,
    pub params: OtpParams,
}

/// An entry of an import file that could not be read. The issuer and account
/// name are what the row itself says (empty when it says nothing), so that a
/// preview can name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedEntry {
    pub issuer: Option<String>,
    pub account_name: Option<String>,
    /// Why, naming the line: an [`OtpError::Import`].
    pub error: OtpError,
}

/// What one import file holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportContents {
    /// Every entry that carries a one-time password, in file order: read, or
    /// refused with the reason (only formats read row by row refuse an entry
    /// here; the others fail the whole file instead).
    pub entries: Vec<Result<ImportedEntry, RejectedEntry>>,
    /// Items without any one-time password, skipped: Bitwarden logins
    /// without a TOTP and secure notes, CSV rows with an empty OTP cell.
    pub without_otp: usize,
}

impl ImportContents {
    fn all(entries: Vec<ImportedEntry>) -> Self {
        Self {
            entries: entries.into_iter().map(Ok).collect(),
            without_otp: 0,
        }
    }
}

/// Which import format [`detect_format`] recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    /// `otpauth://` and/or `otpauth-migration://` URIs, one per line.
    UriList,
    Aegis,
    TwoFas,
    /// Bitwarden's JSON export.
    Bitwarden,
    /// Bitwarden's CSV export (a `login_totp` column).
    BitwardenCsv,
    /// CSV with an `otpauth` column.
    Csv,
    /// A PNG or JPEG image (a QR code screenshot).
    Image,
}

/// Recognises the format of an import file without parsing it fully.
pub fn detect_format(bytes: &[u8]) -> Result<ImportFormat, OtpError> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") || bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        return Ok(ImportFormat::Image);
    }
    let text = text_of(bytes)?;
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        let value: serde_json::Value =
            serde_json::from_str(trimmed).map_err(|_| OtpError::UnrecognizedFormat)?;
        let has = |key: &str| value.get(key).is_some();
        return if has("db") && has("header") {
            Ok(ImportFormat::Aegis)
        } else if has("services") || has("servicesEncrypted") {
            Ok(ImportFormat::TwoFas)
        } else if has("items") || has("encrypted") {
            Ok(ImportFormat::Bitwarden)
        } else {
            Err(OtpError::UnrecognizedFormat)
        };
    }
    // The first line that says something: blank lines and `#` comments (which
    // the otpauth list allows) do not count.
    let first_line = trimmed
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or("");
    let lower = first_line.to_ascii_lowercase();
    if lower.starts_with("otpauth://") || lower.starts_with("otpauth-migration://") {
        Ok(ImportFormat::UriList)
    } else if lower
        .split([',', ';', '\t'])
        .any(|h| h.trim().trim_matches('"').trim() == "login_totp")
    {
        // Bitwarden's header: folder,favorite,type,name,notes,fields,reprompt,
        // login_uri,login_username,login_password,login_totp (an
        // organization's starts with collections instead).
        Ok(ImportFormat::BitwardenCsv)
    } else if lower.contains("otpauth") {
        Ok(ImportFormat::Csv)
    } else {
        Err(OtpError::UnrecognizedFormat)
    }
}

/// One import takes at most this many entries; a file with more is
/// refused with [`OtpError::TooManyEntries`] (the otpauth list stops
/// reading as soon as it is past the limit).
pub const MAX_ENTRIES: usize = 1000;

/// Sniffs the format (see [`detect_format`]) and parses it, all or nothing:
/// an entry that cannot be read is the error.
pub fn detect_and_parse(bytes: &[u8]) -> Result<Vec<ImportedEntry>, OtpError> {
    detect_and_parse_until(bytes, None)
}

/// [`detect_and_parse`] whose QR decoding gives up with
/// [`OtpError::QrTimeout`] once `deadline` has passed.
pub fn detect_and_parse_until(
    bytes: &[u8],
    deadline: Option<std::time::Instant>,
) -> Result<Vec<ImportedEntry>, OtpError> {
    read_import_until(bytes, deadline)?
        .entries
        .into_iter()
        .map(|e| e.map_err(|rejected| rejected.error))
        .collect()
}

/// Sniffs the format (see [`detect_format`]) and reads every entry: see
/// [`ImportContents`]. QR decoding gives up with [`OtpError::QrTimeout`]
/// once `deadline` has passed. More than [`MAX_ENTRIES`] entries (read or
/// refused) is [`OtpError::TooManyEntries`].
pub fn read_import_until(
    bytes: &[u8],
    deadline: Option<std::time::Instant>,
) -> Result<ImportContents, OtpError> {
    let contents = match detect_format(bytes)? {
        ImportFormat::Image => parse_image(bytes, deadline).map(ImportContents::all),
        ImportFormat::Aegis => parse_aegis_json(text_of(bytes)?).map(ImportContents::all),
        ImportFormat::TwoFas => parse_2fas_json(text_of(bytes)?).map(ImportContents::all),
        ImportFormat::Bitwarden => json::read_bitwarden_json(text_of(bytes)?),
        ImportFormat::BitwardenCsv => csv::read_bitwarden_csv(text_of(bytes)?),
        ImportFormat::UriList => parse_uri_list(text_of(bytes)?).map(ImportContents::all),
        ImportFormat::Csv => csv::read_csv(text_of(bytes)?),
    }?;
    if contents.entries.len() > MAX_ENTRIES {
        return Err(OtpError::TooManyEntries { max: MAX_ENTRIES });
    }
    Ok(contents)
}

#[cfg(feature = "qr")]
fn parse_image(
    bytes: &[u8],
    deadline: Option<std::time::Instant>,
) -> Result<Vec<ImportedEntry>, OtpError> {
    let mut entries = Vec::new();
    for text in crate::qr::decode_qr_all_until(bytes, deadline)? {
        entries.extend(parse_uri_list(&text)?);
    }
    Ok(entries)
}

#[cfg(not(feature = "qr"))]
fn parse_image(
    _bytes: &[u8],
    _deadline: Option<std::time::Instant>,
) -> Result<Vec<ImportedEntry>, OtpError> {
    Err(OtpError::InvalidImage(
        "this build has no QR code support (feature \"qr\")".into(),
    ))
}

/// UTF-8 text of an import file, without a byte-order mark.
fn text_of(bytes: &[u8]) -> Result<&str, OtpError> {
    let text = std::str::from_utf8(bytes).map_err(|_| OtpError::UnrecognizedFormat)?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// One URI per line: `otpauth://` (one entry) or `otpauth-migration://`
/// (a Google Authenticator batch, any number of entries). Blank lines and
/// lines starting with `#` are ignored. This is also the "otpauth list"
/// export format (see [`format_uri_list`]).
pub fn parse_uri_list(text: &str) -> Result<Vec<ImportedEntry>, OtpError> {
    let mut entries = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line_error = |err: OtpError| OtpError::Import {
            format: "otpauth list",
            reason: format!("line {}: {err}", index + 1),
        };
        entries.extend(parse_any_uri(line).map_err(line_error)?);
        if entries.len() > MAX_ENTRIES {
            return Err(OtpError::TooManyEntries { max: MAX_ENTRIES });
        }
    }
    Ok(entries)
}

/// An `otpauth://` or `otpauth-migration://` URI.
fn parse_any_uri(uri: &str) -> Result<Vec<ImportedEntry>, OtpError> {
    let prefix = b"otpauth-migration:";
    if uri
        .as_bytes()
        .get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
    {
        return parse_migration_uri(uri);
    }
    let (secret, params) = crate::parse_otpauth_uri(uri)?;
    Ok(vec![ImportedEntry { secret, params }])
}

/// One `otpauth://` URI per line, newline-terminated: the plain export format.
pub fn format_uri_list(entries: &[ImportedEntry]) -> String {
    entries
        .iter()
        .map(|e| format_otpauth_uri(&e.secret, &e.params) + "\n")
        .collect()
}

/// Why one entry of an export is refused; the words follow the entry's
/// label in the import's error ("entry 3 (GitHub): MD5 codes are not
/// supported").
#[derive(Debug, thiserror::Error)]
enum EntryError {
    /// Its secret, URI or parameters (the words of [`OtpError`]).
    #[error("{0}")]
    Otp(#[from] OtpError),
    /// An Aegis entry type other than TOTP, HOTP and Steam.
    #[error("{0} entries are not supported")]
    EntryType(String),
    /// A 2FAS token type other than TOTP, HOTP and Steam.
    #[error("{0} tokens are not supported")]
    TokenType(String),
    /// Google Authenticator's algorithm number 4.
    #[error("MD5 codes are not supported")]
    Md5,
    #[error("unknown algorithm number {0}")]
    AlgorithmNumber(u64),
    #[error("unknown digit count {0}")]
    DigitCount(u64),
    #[error("unknown OTP type number {0}")]
    KindNumber(u64),
    /// A text field of a Google Authenticator entry (`name`, `issuer`).
    #[error("the {0} is not valid UTF-8")]
    NotUtf8(&'static str),
}

/// Final checks shared by every format: the secret length rule of
/// [`crate::parse_secret`], and parameter validation.
fn finish_entry(secret: Secret, mut params: OtpParams) -> Result<ImportedEntry, EntryError> {
    if secret.len() < MIN_SECRET_BYTES {
        return Err(OtpError::SecretTooShort.into());
    }
    if params.kind == Kind::Steam {
        params.digits = crate::STEAM_CODE_LEN as u8;
    }
    params.validate()?;
    Ok(ImportedEntry { secret, params })
}

/// Splits an entry name such as `"GitHub:alice"` into (issuer, account).
/// A non-empty `issuer` wins, and its prefix is stripped from the name.
fn split_name(name: &str, issuer: Option<&str>) -> (Option<String>, Option<String>) {
    let name = name.trim();
    let non_empty = |s: &str| {
        let s = s.trim();
        (!s.is_empty()).then(|| s.to_owned())
    };
    if let Some(issuer) = issuer.and_then(non_empty) {
        let account = name
            .strip_prefix(issuer.as_str())
            .and_then(|rest| rest.strip_prefix(':'))
            .unwrap_or(name);
        return (Some(issuer), non_empty(account));
    }
    match name.split_once(':') {
        Some((issuer, account)) => (non_empty(issuer), non_empty(account)),
        None => (None, non_empty(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_name_prefers_the_issuer_field() {
        assert_eq!(
            split_name("GitHub:alice", Some("GitHub")),
            (Some("GitHub".into()), Some("alice".into()))
        );
        assert_eq!(
            split_name("alice", Some("GitHub")),
            (Some("GitHub".into()), Some("alice".into()))
        );
        assert_eq!(
            split_name("GitHub: alice", None),
            (Some("GitHub".into()), Some("alice".into()))
        );
        assert_eq!(split_name("alice", Some(" ")), (None, Some("alice".into())));
        assert_eq!(split_name("", None), (None, None));
    }
}
