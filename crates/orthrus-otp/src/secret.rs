//! The shared secret (seed) and the lenient base32 parser people paste keys into.

use zeroize::Zeroize;

use crate::OtpError;

/// Minimum accepted secret length. RFC 4226 asks for 128 bits but 80-bit keys
/// (16 base32 characters) are common in the wild, so 80 is the floor.
pub const MIN_SECRET_BYTES: usize = 10;

/// A TOTP/HOTP shared secret. `Debug` never prints the bytes, and the bytes
/// are wiped from memory when the value is dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Secret(bytes)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Uppercase RFC 4648 base32 without `=` padding, as authenticator apps expect.
    pub fn to_base32(&self) -> String {
        data_encoding::BASE32_NOPAD.encode(&self.0)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// Parses a base32 secret the way people actually paste them: spaces (and any
/// other whitespace) and hyphens are ignored, lowercase is accepted, and `=`
/// padding may be present, partial or missing. Anything else is refused with
/// the first bad character and its 1-based position in the input as typed.
/// Secrets under 80 bits are refused with [`OtpError::SecretTooShort`].
pub fn parse_secret(input: &str) -> Result<Secret, OtpError> {
    let bytes = decode_base32_lenient(input)?;
    if bytes.len() < MIN_SECRET_BYTES {
        return Err(OtpError::SecretTooShort);
    }
    Ok(Secret(bytes))
}

/// Decodes lenient base32 without a length check. Trailing bits that do not
/// make up a whole byte are dropped, as every authenticator app does.
pub(crate) fn decode_base32_lenient(input: &str) -> Result<Vec<u8>, OtpError> {
    let mut out = Vec::with_capacity(input.len() * 5 / 8);
    let mut buffer: u32 = 0;
    let mut bits: u32 = 0;
    let mut padding_seen = false;
    for (index, ch) in input.chars().enumerate() {
        let position = index + 1;
        if ch.is_whitespace() || ch == '-' {
            continue;
        }
        if ch == '=' {
            padding_seen = true;
            continue;
        }
        let value = match ch {
            'A'..='Z' => ch as u32 - 'A' as u32,
            'a'..='z' => ch as u32 - 'a' as u32,
            '2'..='7' => ch as u32 - '2' as u32 + 26,
            _ => return Err(OtpError::InvalidBase32 { ch, position }),
        };
        if padding_seen {
            // Data after padding means two keys were glued together or the
            // `=` is a typo; either way the result would be wrong.
            return Err(OtpError::InvalidBase32 { ch, position });
        }
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    buffer.zeroize();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = Secret::from_bytes(b"12345678901234567890".to_vec());
        assert_eq!(format!("{s:?}"), "Secret([redacted])");
    }

    #[test]
    fn decodes_rfc4648_vectors() {
        for (plain, encoded) in [
            ("f", "MY======"),
            ("fo", "MZXQ===="),
            ("foo", "MZXW6==="),
            ("foob", "MZXW6YQ="),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI======"),
        ] {
            assert_eq!(decode_base32_lenient(encoded).unwrap(), plain.as_bytes());
            let trimmed = encoded.trim_end_matches('=');
            assert_eq!(decode_base32_lenient(trimmed).unwrap(), plain.as_bytes());
        }
    }

    #[test]
    fn data_after_padding_is_refused() {
        assert_eq!(
            decode_base32_lenient("MY==MY"),
            Err(OtpError::InvalidBase32 {
                ch: 'M',
                position: 5
            })
        );
    }
}
