//! The stored vocabulary of an account's authenticator: what kind of codes
//! its seed makes ([`OtpKind`]), how the seed was given ([`OtpSource`]) and
//! how a code was handed out ([`CodeUse`]) or a time step used
//! ([`StepUse`]), spelled exactly as `account_otp.kind`, `account_otp.source`,
//! `otp_issuance.how` and `otp_used_steps.how` keep them.

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

/// How a code is handed out: the code ledger's and the used mark's `how`
/// (`otp_issuance.how`, `otp_used_steps.how`), the API's `via`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeUse {
    /// Shown on the account's page.
    View,
    /// Copied from the account's page.
    Copy,
    /// `orthrus code`.
    Cli,
    /// The HTTP API.
    Api,
    /// The browser extension filled it in.
    Autofill,
    /// An automation typed it.
    Automation,
}

impl CodeUse {
    /// The stored and sent spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::View => "view",
            Self::Copy => "copy",
            Self::Cli => "cli",
            Self::Api => "api",
            Self::Autofill => "autofill",
            Self::Automation => "automation",
        }
    }

    /// Machine uses never take a code that is about to expire or was used.
    pub const fn needs_fresh(self) -> bool {
        matches!(self, Self::Cli | Self::Autofill | Self::Automation)
    }
}

/// How a time step came to be used (`otp_used_steps.how`): a code handed out
/// and used at the app, or a code someone typed that was checked against the
/// seed (`verify`). Sent as its spelling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StepUse {
    Handed(CodeUse),
    Verified,
}

impl StepUse {
    pub const ALL: [StepUse; 7] = [
        StepUse::Handed(CodeUse::View),
        StepUse::Handed(CodeUse::Copy),
        StepUse::Handed(CodeUse::Cli),
        StepUse::Handed(CodeUse::Api),
        StepUse::Handed(CodeUse::Autofill),
        StepUse::Handed(CodeUse::Automation),
        StepUse::Verified,
    ];

    /// The stored and sent spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Handed(how) => how.as_str(),
            Self::Verified => "verify",
        }
    }
}

impl From<CodeUse> for StepUse {
    fn from(how: CodeUse) -> Self {
        Self::Handed(how)
    }
}

impl serde::Serialize for StepUse {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for StepUse {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let word = String::deserialize(d)?;
        word.parse().map_err(serde::de::Error::custom)
    }
}

spelled_as_str!(OtpKind, "otp kind", [Totp, Hotp, Steam]);
spelled_as_str!(
    OtpSource,
    "otp source",
    [Secret, Uri, Qr, Import, Automation]
);
spelled_as_str!(
    CodeUse,
    "code use",
    [View, Copy, Cli, Api, Autofill, Automation]
);
spelled_as_str!(StepUse, "step use");

#[cfg(test)]
mod tests {
    use super::{CodeUse, OtpKind, OtpSource, StepUse};

    #[test]
    fn kinds_and_sources_spell_themselves_as_stored() {
        crate::tests::assert_spelled(OtpKind::ALL, ["totp", "hotp", "steam"], OtpKind::as_str);
        let words = ["secret", "uri", "qr", "import", "automation"];
        crate::tests::assert_spelled(OtpSource::ALL, words, OtpSource::as_str);
        assert!("TOTP".parse::<OtpKind>().is_err());
        assert!("paper".parse::<OtpSource>().is_err());
    }

    /// `StepUse::ALL` is written out (a variant carries a `CodeUse`): it
    /// lists every handed-out use and verify. `FromStr` and the store's
    /// decoding search it, so a use left out would be read back as corrupt.
    #[test]
    fn every_step_use_is_in_all() {
        let listed = |u: StepUse| match u {
            StepUse::Handed(_) | StepUse::Verified => StepUse::ALL.contains(&u),
        };
        assert!(CodeUse::ALL.map(StepUse::from).into_iter().all(listed));
        assert!(listed(StepUse::Verified));
        assert_eq!(StepUse::ALL.len(), CodeUse::ALL.len() + 1);
    }

    #[test]
    fn code_uses_spell_themselves_as_the_ledger_keeps_them() {
        let words = ["view", "copy", "cli", "api", "autofill", "automation"];
        crate::tests::assert_spelled(CodeUse::ALL, words, CodeUse::as_str);
        assert!("View".parse::<CodeUse>().is_err());
        assert!("copied".parse::<CodeUse>().is_err());
        let machine = CodeUse::ALL.into_iter().filter(|u| u.needs_fresh());
        assert_eq!(
            machine.collect::<Vec<_>>(),
            [CodeUse::Cli, CodeUse::Autofill, CodeUse::Automation]
        );
    }

    #[test]
    fn a_used_step_is_a_code_use_or_verify() {
        let words = [
            "view",
            "copy",
            "cli",
            "api",
            "autofill",
            "automation",
            "verify",
        ];
        crate::tests::assert_spelled(StepUse::ALL, words, StepUse::as_str);
        for how in CodeUse::ALL {
            assert_eq!(StepUse::from(how).as_str(), how.as_str());
        }
        assert!("verified".parse::<StepUse>().is_err());
    }
}
