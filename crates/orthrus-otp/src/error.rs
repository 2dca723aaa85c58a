//! The one error type of this crate. Messages are written for the person who
//! pasted the secret or uploaded the file: they say what is wrong and, where
//! it helps, where.

/// Everything that can go wrong while parsing, validating or importing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OtpError {
    /// A character that is not part of the base32 alphabet (A–Z, 2–7).
    /// `position` is 1-based and counts every character of the input as typed,
    /// spaces and hyphens included, so it points at what the user sees.
    #[error(
        "the secret key is not valid base32: unexpected {} at position {position} (a key uses only the letters A-Z and the digits 2-7)",
        describe_char(*ch)
    )]
    InvalidBase32 { ch: char, position: usize },

    /// Empty, or shorter than 80 bits (10 bytes, 16 base32 characters).
    #[error("the secret key is too short: at least 80 bits (16 base32 characters) are required")]
    SecretTooShort,

    #[error("{digits} digits is not supported: a code has 6, 7 or 8 digits")]
    InvalidDigits { digits: u8 },

    #[error("a period of {period} seconds is not supported: it must be between 1 and 300")]
    InvalidPeriod { period: u32 },

    #[error("unknown algorithm {0:?}: expected SHA1, SHA256 or SHA512")]
    UnknownAlgorithm(String),

    #[error("unknown OTP type {0:?}: expected totp, hotp or steam")]
    UnknownKind(String),

    /// The text is not an `otpauth://` URI at all, or is malformed.
    #[error("not a valid otpauth URI: {0}")]
    InvalidUri(String),

    #[error("the otpauth URI has no secret parameter")]
    MissingSecret,

    /// A parameter is present but its value makes no sense (e.g. `digits=six`).
    #[error("invalid value {value:?} for the {name} parameter")]
    InvalidParameter { name: &'static str, value: String },

    /// An import file was recognised but could not be read. `format` names the
    /// format ("Aegis", "2FAS", ...), `reason` what went wrong and where.
    #[error("{format} import: {reason}")]
    Import {
        format: &'static str,
        reason: String,
    },

    /// The bytes match none of the import formats this crate knows.
    #[error(
        "unrecognised import file: expected a Google Authenticator export (otpauth-migration://), an otpauth:// list, Aegis or 2FAS or Bitwarden JSON, Bitwarden's CSV export (login_totp column), a CSV with an otpauth column, or a QR code image"
    )]
    UnrecognizedFormat,

    /// The image could not be decoded (not PNG/JPEG, corrupt, or too large).
    #[error("could not read the image: {0}")]
    InvalidImage(String),

    /// Refused from the header, before decoding (see `qr::MAX_IMAGE_PIXELS`).
    #[error(
        "the picture is {width} x {height} pixels, too large to read (at most 25 megapixels and 16384 pixels a side): crop the screenshot to the QR code"
    )]
    ImageTooLarge { width: u32, height: u32 },

    /// Decoding took longer than the caller allowed.
    #[error("reading the QR code took too long: crop the screenshot to the QR code and try again")]
    QrTimeout,

    /// An import file holds more entries than one import takes.
    #[error("the file holds more than {max} entries: import at most {max} at a time")]
    TooManyEntries { max: usize },

    #[error("no QR code was found in the image")]
    NoQrCode,

    /// A QR code was found but its content could not be decoded.
    #[error("a QR code was found but could not be read: {0}")]
    QrUnreadable(String),
}

fn describe_char(ch: char) -> String {
    match ch {
        c if c.is_control() || c.is_whitespace() => format!("character U+{:04X}", c as u32),
        c => format!("character '{c}'"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_base32_message_names_character_and_position() {
        let err = OtpError::InvalidBase32 {
            ch: '1',
            position: 5,
        };
        assert_eq!(
            err.to_string(),
            "the secret key is not valid base32: unexpected character '1' at position 5 (a key uses only the letters A-Z and the digits 2-7)"
        );
    }

    #[test]
    fn control_characters_are_shown_as_code_points() {
        let err = OtpError::InvalidBase32 {
            ch: '\u{0}',
            position: 1,
        };
        assert!(err.to_string().contains("U+0000"), "{err}");
    }
}
