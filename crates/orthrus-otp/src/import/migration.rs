//! Google Authenticator's "Transfer accounts" export:
//! `otpauth-migration://offline?data=<base64 of a MigrationPayload protobuf>`.
//!
//! The protobuf is decoded by hand (a dozen fields; codegen would be heavier
//! than the decoder). Schema, as published by the apps that read it:
//!
//! ```text
//! message MigrationPayload {
//!   repeated OtpParameters otp_parameters = 1;
//!   int32 version = 2; int32 batch_size = 3; int32 batch_index = 4; int32 batch_id = 5;
//! }
//! message OtpParameters {
//!   bytes secret = 1; string name = 2; string issuer = 3;
//!   Algorithm algorithm = 4;   // 0 unspecified, 1 SHA1, 2 SHA256, 3 SHA512, 4 MD5
//!   DigitCount digits = 5;     // 0 unspecified, 1 six, 2 eight
//!   OtpType type = 6;          // 0 unspecified, 1 HOTP, 2 TOTP
//!   int64 counter = 7;
//! }
//! ```

use percent_encoding::percent_decode_str;

use super::{EntryError, ImportedEntry, finish_entry, split_name};
use crate::{Algorithm, Kind, OtpError, OtpParams, Secret};

const FORMAT: &str = "Google Authenticator";

/// One QR code of a Google Authenticator export. Large exports are split over
/// several QR codes ("batches"); `batch_index` counts from 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationBatch {
    pub entries: Vec<ImportedEntry>,
    pub version: i32,
    pub batch_size: i32,
    pub batch_index: i32,
    pub batch_id: i32,
}

/// Parses one `otpauth-migration://offline?data=...` URI into its entries.
pub fn parse_migration_uri(uri: &str) -> Result<Vec<ImportedEntry>, OtpError> {
    parse_migration_batch(uri).map(|batch| batch.entries)
}

/// Like [`parse_migration_uri`], keeping the batch numbering so a caller can
/// tell the user "batch 2 of 3 read; scan the next one".
pub fn parse_migration_batch(uri: &str) -> Result<MigrationBatch, OtpError> {
    let data = migration_data(uri)?;
    let payload = decode_base64(&data)?;
    decode_payload(&payload)
}

fn error(reason: impl Into<String>) -> OtpError {
    OtpError::Import {
        format: FORMAT,
        reason: reason.into(),
    }
}

fn migration_data(uri: &str) -> Result<String, OtpError> {
    let uri = uri.trim();
    let (scheme, rest) = uri
        .split_once("://")
        .ok_or_else(|| error("expected an otpauth-migration://offline?data=... URI"))?;
    if !scheme.eq_ignore_ascii_case("otpauth-migration") {
        return Err(error(format!(
            "the scheme is {scheme:?}, expected \"otpauth-migration\""
        )));
    }
    let query = rest.split_once('?').map(|(_, q)| q).unwrap_or("");
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key.eq_ignore_ascii_case("data") {
            // Base64 uses '+': it is a plus here, never a space, and a space
            // left by a sloppy copy was a '+' once.
            let decoded = percent_decode_str(value).decode_utf8_lossy();
            return Ok(decoded.replace(' ', "+"));
        }
    }
    Err(error("the URI has no data parameter"))
}

fn decode_base64(text: &str) -> Result<Vec<u8>, OtpError> {
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=')
        .collect();
    let url_safe = cleaned.contains('-') || cleaned.contains('_');
    let engine = if url_safe {
        &data_encoding::BASE64URL_NOPAD
    } else {
        &data_encoding::BASE64_NOPAD
    };
    engine
        .decode(cleaned.as_bytes())
        .map_err(|e| error(format!("the data parameter is not valid base64 ({e})")))
}

/// A protobuf field value, by wire type.
enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    fn varint(&mut self) -> Result<u64, OtpError> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = *self
                .buf
                .get(self.pos)
                .ok_or_else(|| error("the payload is truncated"))?;
            self.pos += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(error("the payload has an overlong varint"))
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], OtpError> {
        let end = self
            .pos
            .checked_add(len)
            .filter(|end| *end <= self.buf.len())
            .ok_or_else(|| error("the payload is truncated"))?;
        let bytes = &self.buf[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    /// The next (field number, value), or `None` at the end of the message.
    fn field(&mut self) -> Result<Option<(u64, Value<'a>)>, OtpError> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let number = key >> 3;
        let value = match key & 7 {
            0 => Value::Varint(self.varint()?),
            1 => {
                self.take(8)?;
                Value::Fixed
            }
            2 => {
                let len = usize::try_from(self.varint()?)
                    .map_err(|_| error("the payload has an impossible length"))?;
                Value::Bytes(self.take(len)?)
            }
            5 => {
                self.take(4)?;
                Value::Fixed
            }
            other => {
                return Err(error(format!(
                    "the payload is not a migration payload (wire type {other})"
                )));
            }
        };
        Ok(Some((number, value)))
    }
}

fn decode_payload(bytes: &[u8]) -> Result<MigrationBatch, OtpError> {
    let mut reader = Reader::new(bytes);
    let mut batch = MigrationBatch {
        entries: Vec::new(),
        version: 0,
        batch_size: 0,
        batch_index: 0,
        batch_id: 0,
    };
    while let Some((number, value)) = reader.field()? {
        match (number, value) {
            (1, Value::Bytes(message)) => {
                let position = batch.entries.len() + 1;
                let entry = decode_otp_parameters(message)
                    .map_err(|reason| error(format!("entry {position}: {reason}")))?;
                batch.entries.push(entry);
            }
            // int32 fields travel as varints; the truncation is the protobuf rule.
            (2, Value::Varint(v)) => batch.version = v as i32,
            (3, Value::Varint(v)) => batch.batch_size = v as i32,
            (4, Value::Varint(v)) => batch.batch_index = v as i32,
            (5, Value::Varint(v)) => batch.batch_id = v as i32,
            _ => {} // unknown or mistyped fields are skipped, as protobuf does
        }
    }
    Ok(batch)
}

fn decode_otp_parameters(bytes: &[u8]) -> Result<ImportedEntry, EntryError> {
    let mut reader = Reader::new(bytes);
    let mut secret = Vec::new();
    let mut name = String::new();
    let mut issuer = String::new();
    let mut params = OtpParams::default();
    while let Some((number, value)) = reader.field()? {
        match (number, value) {
            (1, Value::Bytes(b)) => secret = b.to_vec(),
            (2, Value::Bytes(b)) => name = utf8(b, "name")?,
            (3, Value::Bytes(b)) => issuer = utf8(b, "issuer")?,
            (4, Value::Varint(v)) => {
                params.algorithm = match v {
                    0 | 1 => Algorithm::Sha1,
                    2 => Algorithm::Sha256,
                    3 => Algorithm::Sha512,
                    4 => return Err(EntryError::Md5),
                    other => return Err(EntryError::AlgorithmNumber(other)),
                }
            }
            (5, Value::Varint(v)) => {
                params.digits = match v {
                    0 | 1 => 6,
                    2 => 8,
                    // Some third-party exporters write the digit count itself.
                    6..=8 => v as u8,
                    other => return Err(EntryError::DigitCount(other)),
                }
            }
            (6, Value::Varint(v)) => {
                params.kind = match v {
                    0 | 2 => Kind::Totp,
                    1 => Kind::Hotp,
                    other => return Err(EntryError::KindNumber(other)),
                }
            }
            (7, Value::Varint(v)) => params.counter = v,
            _ => {}
        }
    }
    let (issuer, account) = split_name(&name, Some(&issuer));
    params.issuer = issuer;
    params.account_name = account;
    // Google Authenticator only ever uses 30-second steps.
    params.period = 30;
    finish_entry(Secret::from_bytes(secret), params)
}

fn utf8(bytes: &[u8], field: &'static str) -> Result<String, EntryError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| EntryError::NotUtf8(field))
}
