//! RFC 6238 TOTP (SHA-1, 6 digits, 30 s), written here rather than shared
//! with `orthrus-otp`: the sandbox plays the third-party app, so its codes
//! come from an implementation independent of the one under test. Public
//! for tests that play the person with the authenticator app
//! ([`code_at`], [`parse_key`]).

use hmac::{Hmac, Mac};

pub const PERIOD: u64 = 30;

/// The code for one time step (Unix time / [`PERIOD`]).
pub fn code_at(secret: &[u8], step: u64) -> String {
    let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(&step.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = usize::from(h[h.len() - 1] & 0x0f);
    let bin = (u32::from(h[offset]) & 0x7f) << 24
        | u32::from(h[offset + 1]) << 16
        | u32::from(h[offset + 2]) << 8
        | u32::from(h[offset + 3]);
    format!("{:06}", bin % 1_000_000)
}

/// The step `code` belongs to, within one step of `now` (clock skew).
pub(crate) fn matching_step(secret: &[u8], code: &str, now: u64) -> Option<u64> {
    let step = now / PERIOD;
    [step, step.saturating_sub(1), step + 1]
        .into_iter()
        .find(|s| code_at(secret, *s) == code)
}

/// The key as people type it: base32 without padding, in groups of four.
pub(crate) fn display_key(secret: &[u8]) -> String {
    let b32 = data_encoding::BASE32_NOPAD.encode(secret);
    b32.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A base32 key as people type it (spaces and case do not matter).
pub fn parse_key(key: &str) -> Option<Vec<u8>> {
    let clean: String = key
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    data_encoding::BASE32_NOPAD
        .decode(clean.trim_end_matches('=').as_bytes())
        .ok()
        .filter(|k| !k.is_empty())
}

/// The `otpauth://` URI the QR code carries.
pub(crate) fn uri(secret: &[u8], issuer: &str, username: &str) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    format!(
        "otpauth://totp/{issuer}:{}?secret={}&issuer={issuer}&algorithm=SHA1&digits=6&period=30",
        enc(username),
        data_encoding::BASE32_NOPAD.encode(secret),
        issuer = enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc_6238_vectors() {
        // RFC 6238 appendix B, SHA-1, last six digits.
        let key = b"12345678901234567890";
        for (t, code) in [
            (59u64, "287082"),
            (1_111_111_109, "081804"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(super::code_at(key, t / 30), code, "t={t}");
        }
        assert_eq!(super::matching_step(key, "287082", 59 + 30), Some(1));
        assert_eq!(super::matching_step(key, "287082", 59 + 90), None);
    }

    #[test]
    fn keys_and_uris_read_well() {
        assert_eq!(super::display_key(b"12345"), "GEZD GNBV");
        let u = super::uri(b"12345", "Sandbox", "brand ig");
        assert!(
            u.starts_with("otpauth://totp/Sandbox:brand%20ig?secret=GEZDGNBV&"),
            "{u}"
        );
    }
}
