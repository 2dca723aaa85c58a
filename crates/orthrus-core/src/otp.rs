//! The stored vocabulary of an account's authenticator: what kind of codes
//! its seed makes ([`OtpKind`]) and how the seed was given ([`OtpSource`]),
//! spelled exactly as `account_otp.kind` and `account_otp.source` keep them.

/// What kind of codes a seed makes (`account_otp.kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OtpKind {
    /// Time-based (RFC 6238).
    Totp,
    /// Counter-based (RFC 4226).
    Hotp,
    /// Steam Guard: time-based, 5 characters from Steam's alphabet.
    Steam,
}

impl OtpKind {
    pub const ALL: [OtpKind; 3] = [OtpKind::Totp, OtpKind::Hotp, OtpKind::Steam];

    /// The stored spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::Hotp => "hotp",
            Self::Steam => "steam",
        }
    }
}

/// How a seed was given (`account_otp.source`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OtpSource {
    /// Its secret key, typed or pasted.
    Secret,
    /// An `otpauth://` URI.
    Uri,
    /// A picture of its QR code.
    Qr,
    /// An authenticator export (`otpauth-migration://`).
    Import,
    /// An automation enrolled it.
    Automation,
}

impl OtpSource {
    pub const ALL: [OtpSource; 5] = [
        OtpSource::Secret,
        OtpSource::Uri,
        OtpSource::Qr,
        OtpSource::Import,
        OtpSource::Automation,
    ];

    /// The stored and sent spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Secret => "secret",
            Self::Uri => "uri",
            Self::Qr => "qr",
            Self::Import => "import",
            Self::Automation => "automation",
        }
    }
}

spelled_as_str!(OtpKind, "otp kind");
spelled_as_str!(OtpSource, "otp source");

#[cfg(test)]
mod tests {
    use super::{OtpKind, OtpSource};

    #[test]
    fn kinds_and_sources_spell_themselves_as_stored() {
        crate::tests::assert_spelled(OtpKind::ALL, ["totp", "hotp", "steam"], OtpKind::as_str);
        let words = ["secret", "uri", "qr", "import", "automation"];
        crate::tests::assert_spelled(OtpSource::ALL, words, OtpSource::as_str);
        assert!("TOTP".parse::<OtpKind>().is_err());
        assert!("paper".parse::<OtpSource>().is_err());
    }
}
