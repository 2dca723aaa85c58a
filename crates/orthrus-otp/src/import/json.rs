//! JSON exports: Aegis (plain vault), 2FAS, Bitwarden.

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::{EntryError, ImportContents, ImportedEntry, finish_entry, split_name};
use crate::{Algorithm, Kind, OtpError, OtpParams, parse_otpauth_uri, parse_secret};

fn import_error(format: &'static str, reason: impl Into<String>) -> OtpError {
    OtpError::Import {
        format,
        reason: reason.into(),
    }
}

fn from_json<T: DeserializeOwned>(format: &'static str, text: &str) -> Result<T, OtpError> {
    serde_json::from_str(text)
        .map_err(|e| import_error(format, format!("this is not a {format} export ({e})")))
}

/// "entry 3 (GitHub / alice)": how an entry is named in error messages.
fn entry_label(position: usize, issuer: &str, name: &str) -> String {
    match (issuer.trim(), name.trim()) {
        ("", "") => format!("entry {position}"),
        (i, "") => format!("entry {position} ({i})"),
        ("", n) => format!("entry {position} ({n})"),
        (i, n) => format!("entry {position} ({i} / {n})"),
    }
}

fn algorithm(text: Option<&str>) -> Result<Algorithm, OtpError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(Algorithm::Sha1),
        Some(t) => t.parse(),
    }
}

// ---------------------------------------------------------------- Aegis

const AEGIS: &str = "Aegis";

#[derive(Deserialize)]
struct AegisFile {
    db: serde_json::Value,
}

#[derive(Deserialize)]
struct AegisDb {
    #[serde(default)]
    entries: Vec<AegisEntry>,
}

#[derive(Deserialize)]
struct AegisEntry {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    issuer: String,
    info: AegisInfo,
}

#[derive(Deserialize)]
struct AegisInfo {
    secret: String,
    algo: Option<String>,
    digits: Option<u8>,
    period: Option<u32>,
    counter: Option<u64>,
}

/// Aegis vault exported *without* encryption (`db` is an object holding
/// `entries`). An encrypted vault (`db` is a base64 string) is refused with a
/// message asking for a plain export.
pub fn parse_aegis_json(text: &str) -> Result<Vec<ImportedEntry>, OtpError> {
    let file: AegisFile = from_json(AEGIS, text)?;
    if file.db.is_string() {
        return Err(import_error(
            AEGIS,
            "this vault is encrypted; in Aegis choose Export, turn encryption off, and import that file",
        ));
    }
    let db: AegisDb = serde_json::from_value(file.db)
        .map_err(|e| import_error(AEGIS, format!("the db section is not readable ({e})")))?;
    db.entries
        .into_iter()
        .enumerate()
        .map(|(index, entry)| {
            let label = entry_label(index + 1, &entry.issuer, &entry.name);
            aegis_entry(entry).map_err(|reason| import_error(AEGIS, format!("{label}: {reason}")))
        })
        .collect()
}

fn aegis_entry(entry: AegisEntry) -> Result<ImportedEntry, EntryError> {
    let kind = match entry.kind.to_ascii_lowercase().as_str() {
        "totp" => Kind::Totp,
        "hotp" => Kind::Hotp,
        "steam" => Kind::Steam,
        other => return Err(EntryError::EntryType(other.to_owned())),
    };
    let secret = parse_secret(&entry.info.secret)?;
    let defaults = OtpParams::default();
    let (issuer, account_name) = split_name(&entry.name, Some(&entry.issuer));
    let params = OtpParams {
        kind,
        algorithm: algorithm(entry.info.algo.as_deref())?,
        digits: entry.info.digits.unwrap_or(defaults.digits),
        period: entry.info.period.unwrap_or(defaults.period),
        counter: entry.info.counter.unwrap_or(0),
        issuer,
        account_name,
    };
    finish_entry(secret, params)
}

// ---------------------------------------------------------------- 2FAS

const TWOFAS: &str = "2FAS";

#[derive(Deserialize)]
struct TwoFasFile {
    #[serde(default)]
    services: Vec<TwoFasService>,
    #[serde(rename = "servicesEncrypted")]
    services_encrypted: Option<String>,
}

#[derive(Deserialize)]
struct TwoFasService {
    #[serde(default)]
    name: String,
    secret: String,
    otp: Option<TwoFasOtp>,
}

#[derive(Deserialize, Default)]
struct TwoFasOtp {
    label: Option<String>,
    account: Option<String>,
    issuer: Option<String>,
    digits: Option<u8>,
    period: Option<u32>,
    algorithm: Option<String>,
    #[serde(rename = "tokenType")]
    token_type: Option<String>,
    counter: Option<u64>,
}

/// 2FAS Authenticator backup (`.2fas`, JSON). Password-protected backups
/// (`servicesEncrypted`) are refused with a message asking for a plain one.
pub fn parse_2fas_json(text: &str) -> Result<Vec<ImportedEntry>, OtpError> {
    let file: TwoFasFile = from_json(TWOFAS, text)?;
    if file.services.is_empty() && file.services_encrypted.is_some() {
        return Err(import_error(
            TWOFAS,
            "this backup is password-protected; export it again from 2FAS without a password",
        ));
    }
    file.services
        .into_iter()
        .enumerate()
        .map(|(index, service)| {
            let account = service
                .otp
                .as_ref()
                .and_then(|o| o.account.clone())
                .unwrap_or_default();
            let label = entry_label(index + 1, &service.name, &account);
            twofas_entry(service)
                .map_err(|reason| import_error(TWOFAS, format!("{label}: {reason}")))
        })
        .collect()
}

fn twofas_entry(service: TwoFasService) -> Result<ImportedEntry, EntryError> {
    let otp = service.otp.unwrap_or_default();
    let kind = match otp
        .token_type
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None | Some("TOTP") => Kind::Totp,
        Some("HOTP") => Kind::Hotp,
        Some("STEAM") => Kind::Steam,
        Some(other) => return Err(EntryError::TokenType(other.to_owned())),
    };
    let secret = parse_secret(&service.secret)?;
    // The service name is what 2FAS shows as the issuer when `otp.issuer` is absent.
    let issuer = otp
        .issuer
        .as_deref()
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .unwrap_or(service.name.trim());
    let name = match (&otp.account, &otp.label) {
        (Some(account), _) if !account.trim().is_empty() => account.clone(),
        (_, Some(label)) => label.clone(),
        _ => String::new(),
    };
    let (issuer, account_name) = split_name(&name, Some(issuer));
    let defaults = OtpParams::default();
    let params = OtpParams {
        kind,
        algorithm: algorithm(otp.algorithm.as_deref())?,
        digits: otp.digits.unwrap_or(defaults.digits),
        period: otp.period.unwrap_or(defaults.period),
        counter: otp.counter.unwrap_or(0),
        issuer,
        account_name,
    };
    finish_entry(secret, params)
}

// ---------------------------------------------------------------- Bitwarden

const BITWARDEN: &str = "Bitwarden";

#[derive(Deserialize)]
struct BitwardenFile {
    #[serde(default)]
    encrypted: bool,
    #[serde(default)]
    items: Vec<BitwardenItem>,
}

#[derive(Deserialize)]
struct BitwardenItem {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    login: Option<BitwardenLogin>,
}

#[derive(Deserialize)]
struct BitwardenLogin {
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    totp: Option<String>,
}

/// Bitwarden unencrypted JSON export. Each login's `totp` may be an
/// `otpauth://` URI, `steam://SECRET`, or a bare base32 secret (then the item
/// name is the issuer and the username the account). Items without `totp`
/// are skipped.
pub fn parse_bitwarden_json(text: &str) -> Result<Vec<ImportedEntry>, OtpError> {
    read_bitwarden_json(text)?
        .entries
        .into_iter()
        .map(|e| e.map_err(|rejected| rejected.error))
        .collect()
}

/// [`parse_bitwarden_json`], counting the items without a TOTP.
pub(super) fn read_bitwarden_json(text: &str) -> Result<ImportContents, OtpError> {
    let file: BitwardenFile = from_json(BITWARDEN, text)?;
    if file.encrypted {
        return Err(import_error(
            BITWARDEN,
            "this export is encrypted; export the vault again as .json (not encrypted)",
        ));
    }
    let mut contents = ImportContents::default();
    for (index, item) in file.items.into_iter().enumerate() {
        let name = item.name.unwrap_or_default();
        let Some(totp) = item
            .login
            .as_ref()
            .and_then(|l| l.totp.as_deref())
            .filter(|t| !t.trim().is_empty())
        else {
            contents.without_otp += 1;
            continue;
        };
        let username = item
            .login
            .as_ref()
            .and_then(|l| l.username.clone())
            .unwrap_or_default();
        let label = entry_label(index + 1, &name, &username);
        let entry = bitwarden_entry(totp.trim(), &name, &username)
            .map_err(|reason| import_error(BITWARDEN, format!("{label}: {reason}")))?;
        contents.entries.push(Ok(entry));
    }
    Ok(contents)
}

/// One Bitwarden TOTP value (`login.totp` in JSON, `login_totp` in CSV): an
/// `otpauth://` URI, `steam://SECRET` (Steam Guard, five-character codes), or
/// a bare base32 secret. The item's name and username fill in the issuer and
/// account the value does not carry.
pub(super) fn bitwarden_entry(
    totp: &str,
    name: &str,
    username: &str,
) -> Result<ImportedEntry, EntryError> {
    let non_empty = |s: &str| {
        let s = s.trim();
        (!s.is_empty()).then(|| s.to_owned())
    };
    let lower = totp.to_ascii_lowercase();
    let (secret, mut params) = if lower.starts_with("otpauth://") {
        parse_otpauth_uri(totp)?
    } else if lower.starts_with("steam://") {
        // ASCII-lowercasing keeps byte offsets, so the prefix length is valid in `totp`.
        let secret = parse_secret(&totp["steam://".len()..])?;
        let params = OtpParams {
            kind: Kind::Steam,
            ..OtpParams::default()
        };
        (secret, params)
    } else {
        let secret = parse_secret(totp)?;
        (secret, OtpParams::default())
    };
    // The vault item knows the service and the login even when the TOTP field does not.
    if params.issuer.is_none() {
        params.issuer = non_empty(name);
    }
    if params.account_name.is_none() {
        params.account_name = non_empty(username);
    }
    finish_entry(secret, params)
}
