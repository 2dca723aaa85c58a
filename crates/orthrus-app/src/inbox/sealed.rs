//! The sealed payload of a stored message: its extracted fields and the raw
//! message, compressed, in one blob that the envelope encrypts.

use super::SenderAuth;
use crate::{AppError, Result};
use serde::{Deserialize, Serialize};

/// What is sealed per message, besides the raw bytes (see [`pack`]).
#[derive(Serialize, Deserialize)]
pub(crate) struct Sealed {
    pub(crate) subject: Option<String>,
    pub(crate) preview: String,
    pub(crate) code: Option<String>,
    pub(crate) confirm_link: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) auth: Option<SenderAuth>,
    /// Only in rows written before raw messages were compressed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) raw: Option<String>,
}

/// Version byte of the compressed payload. Older rows are plain JSON and
/// start with `{`.
const PACKED_V1: u8 = 1;
/// Largest payload [`unpack`] inflates (the largest accepted message is 64 MiB).
const MAX_UNPACKED: u64 = 80 * 1024 * 1024;

/// The plaintext that is sealed for one message: `0x01` then
/// zlib(u32 big-endian JSON length, the JSON fields, the raw message bytes).
/// Raw messages are kept byte for byte (not re-encoded) and compressed.
pub(crate) fn pack(fields: &Sealed, raw: &[u8]) -> Result<Vec<u8>> {
    use std::io::Write;
    let json = serde_json::to_vec(fields).map_err(|e| AppError::Internal(e.to_string()))?;
    let len = u32::try_from(json.len())
        .map_err(|_| AppError::Internal("message fields too large".into()))?;
    let mut z = flate2::write::ZlibEncoder::new(vec![PACKED_V1], flate2::Compression::default());
    let io = |e: std::io::Error| AppError::Internal(format!("compressing a message: {e}"));
    z.write_all(&len.to_be_bytes()).map_err(io)?;
    z.write_all(&json).map_err(io)?;
    z.write_all(raw).map_err(io)?;
    z.finish().map_err(io)
}

/// Reverses [`pack`]; also reads rows written as plain JSON.
pub(crate) fn unpack(bytes: &[u8]) -> Result<(Sealed, Vec<u8>)> {
    use std::io::Read;
    let bad = |what: &str| AppError::Internal(format!("stored message is damaged: {what}"));
    match bytes.first() {
        Some(b'{') => {
            let mut s: Sealed = serde_json::from_slice(bytes).map_err(|e| bad(&e.to_string()))?;
            let raw = s.raw.take().unwrap_or_default().into_bytes();
            Ok((s, raw))
        }
        Some(&PACKED_V1) => {
            let mut out = Vec::new();
            flate2::read::ZlibDecoder::new(&bytes[1..])
                .take(MAX_UNPACKED + 1)
                .read_to_end(&mut out)
                .map_err(|e| bad(&e.to_string()))?;
            if out.len() as u64 > MAX_UNPACKED {
                return Err(bad("too large"));
            }
            let (len, rest) = out
                .split_first_chunk::<4>()
                .ok_or_else(|| bad("truncated"))?;
            let len = u32::from_be_bytes(*len) as usize;
            if rest.len() < len {
                return Err(bad("truncated"));
            }
            let s: Sealed =
                serde_json::from_slice(&rest[..len]).map_err(|e| bad(&e.to_string()))?;
            Ok((s, rest[len..].to_vec()))
        }
        _ => Err(bad("unknown format")),
    }
}

/// The fields of a packed message ([`pack`]) without inflating the raw
/// message behind them: what a listing needs.
pub(crate) fn unpack_fields(bytes: &[u8]) -> Result<Sealed> {
    use std::io::Read;
    let bad = |what: &str| AppError::Internal(format!("stored message is damaged: {what}"));
    match bytes.first() {
        Some(&PACKED_V1) => {
            let mut z = flate2::read::ZlibDecoder::new(&bytes[1..]);
            let mut len = [0u8; 4];
            z.read_exact(&mut len).map_err(|e| bad(&e.to_string()))?;
            let len = u64::from(u32::from_be_bytes(len));
            if len > MAX_UNPACKED {
                return Err(bad("too large"));
            }
            let mut json = Vec::new();
            z.take(len)
                .read_to_end(&mut json)
                .map_err(|e| bad(&e.to_string()))?;
            if json.len() as u64 != len {
                return Err(bad("truncated"));
            }
            serde_json::from_slice(&json).map_err(|e| bad(&e.to_string()))
        }
        _ => unpack(bytes).map(|(s, _)| s),
    }
}

#[cfg(test)]
mod tests {
    fn fields() -> super::Sealed {
        super::Sealed {
            subject: Some("Your code".into()),
            preview: "Use 481920".into(),
            code: Some("481920".into()),
            confirm_link: None,
            auth: None,
            raw: None,
        }
    }

    #[test]
    fn raw_messages_are_kept_byte_for_byte_and_compressed() {
        // Latin-1 bytes that are not UTF-8, in a typical repetitive HTML mail.
        let mut raw =
            b"Subject: Code\r\nContent-Type: text/html; charset=iso-8859-1\r\n\r\n\xe9t\xe9 "
                .to_vec();
        for _ in 0..200 {
            raw.extend_from_slice(
                b"<tr><td style=\"padding:0;font-family:Arial\">&nbsp;</td></tr>\r\n",
            );
        }
        let packed = super::pack(&fields(), &raw).unwrap();
        assert!(
            packed.len() * 5 < raw.len(),
            "{} vs {}",
            packed.len(),
            raw.len()
        );
        let (s, back) = super::unpack(&packed).unwrap();
        assert_eq!(back, raw);
        assert_eq!(s.code.as_deref(), Some("481920"));
    }

    #[test]
    fn rows_written_before_compression_still_open() {
        let legacy =
            br#"{"subject":null,"preview":"p","code":"1234","confirm_link":null,"raw":"From: a"}"#;
        let (s, raw) = super::unpack(legacy).unwrap();
        assert_eq!(
            (s.code.as_deref(), raw.as_slice()),
            (Some("1234"), &b"From: a"[..])
        );
    }

    #[test]
    fn listing_reads_the_fields_without_the_raw_message() {
        let raw = vec![b'x'; 1 << 20];
        let packed = super::pack(&fields(), &raw).unwrap();
        let s = super::unpack_fields(&packed).unwrap();
        assert_eq!(s.code.as_deref(), Some("481920"));
        let legacy =
            br#"{"subject":null,"preview":"p","code":"1234","confirm_link":null,"raw":"From: a"}"#;
        assert_eq!(
            super::unpack_fields(legacy).unwrap().code.as_deref(),
            Some("1234")
        );
        for bad in [&b""[..], b"\x01not zlib", &packed[..6]] {
            assert!(super::unpack_fields(bad).is_err());
        }
    }

    #[test]
    fn damaged_payloads_are_errors_not_panics() {
        let packed = super::pack(&fields(), b"raw").unwrap();
        for bad in [
            &b""[..],
            b"\x02abc",
            &packed[..packed.len() / 2],
            b"\x01not zlib",
        ] {
            assert!(super::unpack(bad).is_err());
        }
    }
}
