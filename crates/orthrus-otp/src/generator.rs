//! Code generation and verification: HOTP (RFC 4226), TOTP (RFC 6238) and
//! Steam Guard. Time is always a parameter (unix seconds); nothing here reads
//! the clock.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::{OtpError, Secret};

/// The HMAC hash function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    #[default]
    Sha1,
    Sha256,
    Sha512,
}

impl Algorithm {
    /// Lowercase name, as serialised: `"sha1"`, `"sha256"`, `"sha512"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Algorithm::Sha1 => "sha1",
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }

    /// The spelling `otpauth://` URIs use: `SHA1`, `SHA256`, `SHA512`.
    pub fn uri_name(&self) -> &'static str {
        match self {
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha512 => "SHA512",
        }
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.uri_name())
    }
}

impl std::str::FromStr for Algorithm {
    type Err = OtpError;

    /// Case-insensitive; accepts `SHA1`, `sha-256`, `HmacSHA512` and the like.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let normalized: String = s
            .trim()
            .to_ascii_lowercase()
            .chars()
            .filter(|c| *c != '-' && *c != '_')
            .collect();
        match normalized.trim_start_matches("hmac") {
            "sha1" => Ok(Algorithm::Sha1),
            "sha256" => Ok(Algorithm::Sha256),
            "sha512" => Ok(Algorithm::Sha512),
            _ => Err(OtpError::UnknownAlgorithm(s.to_owned())),
        }
    }
}

/// What kind of one-time password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Time-based (RFC 6238).
    #[default]
    Totp,
    /// Counter-based (RFC 4226).
    Hotp,
    /// Steam Guard: time-based, 5 characters from Steam's alphabet.
    Steam,
}

impl Kind {
    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::Totp => "totp",
            Kind::Hotp => "hotp",
            Kind::Steam => "steam",
        }
    }

    /// Whether codes change with time (TOTP and Steam) rather than a counter.
    pub fn is_time_based(&self) -> bool {
        !matches!(self, Kind::Hotp)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Kind {
    type Err = OtpError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "totp" => Ok(Kind::Totp),
            "hotp" => Ok(Kind::Hotp),
            "steam" => Ok(Kind::Steam),
            _ => Err(OtpError::UnknownKind(s.to_owned())),
        }
    }
}

/// Steam Guard codes are 5 characters long whatever `digits` says.
pub const STEAM_CODE_LEN: usize = 5;
const STEAM_ALPHABET: &[u8; 26] = b"23456789BCDFGHJKMNPQRTVWXY";

/// Everything about a seed except the secret itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtpParams {
    pub kind: Kind,
    pub algorithm: Algorithm,
    /// 6..=8. Ignored for Steam, whose codes are always 5 characters.
    pub digits: u8,
    /// Seconds per time step, 1..=300. Unused by HOTP.
    pub period: u32,
    /// HOTP moving factor. Unused by TOTP and Steam.
    pub counter: u64,
    pub issuer: Option<String>,
    pub account_name: Option<String>,
}

impl Default for OtpParams {
    fn default() -> Self {
        OtpParams {
            kind: Kind::Totp,
            algorithm: Algorithm::Sha1,
            digits: 6,
            period: 30,
            counter: 0,
            issuer: None,
            account_name: None,
        }
    }
}

impl OtpParams {
    /// Checks digits (6..=8, except Steam) and period (1..=300).
    pub fn validate(&self) -> Result<(), OtpError> {
        if self.kind != Kind::Steam && !(6..=8).contains(&self.digits) {
            return Err(OtpError::InvalidDigits {
                digits: self.digits,
            });
        }
        if !(1..=300).contains(&self.period) {
            return Err(OtpError::InvalidPeriod {
                period: self.period,
            });
        }
        Ok(())
    }

    /// Length of a generated code: `digits`, or 5 for Steam.
    pub fn code_len(&self) -> usize {
        match self.kind {
            Kind::Steam => STEAM_CODE_LEN,
            _ => usize::from(self.digits),
        }
    }
}

/// A validated secret + parameters that can produce and check codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generator {
    pub secret: Secret,
    pub params: OtpParams,
}

impl Generator {
    /// Validates the parameters (see [`OtpParams::validate`]). The secret
    /// length is not re-checked here: it was checked when it was parsed, and
    /// raw-byte secrets (e.g. RFC test seeds) are the caller's business.
    pub fn new(secret: Secret, params: OtpParams) -> Result<Self, OtpError> {
        params.validate()?;
        Ok(Generator { secret, params })
    }

    fn period(&self) -> u64 {
        // `params` is public and could be changed after validation; never divide by zero.
        u64::from(self.params.period.max(1))
    }

    /// TOTP/Steam: the time step `unix_secs / period`. HOTP: the current counter.
    pub fn step(&self, unix_secs: u64) -> u64 {
        match self.params.kind {
            Kind::Hotp => self.params.counter,
            Kind::Totp | Kind::Steam => unix_secs / self.period(),
        }
    }

    /// The code for a time step (TOTP/Steam) or a counter value (HOTP).
    pub fn code_at_step(&self, step: u64) -> String {
        let value = hotp_value(self.params.algorithm, self.secret.as_bytes(), step);
        match self.params.kind {
            Kind::Steam => steam_code(value),
            Kind::Totp | Kind::Hotp => decimal_code(value, self.params.digits),
        }
    }

    /// The code valid at `unix_secs` (TOTP/Steam), or at the stored counter (HOTP).
    pub fn code(&self, unix_secs: u64) -> String {
        self.code_at_step(self.step(unix_secs))
    }

    /// Seconds until the current TOTP/Steam code rolls over (1..=period).
    /// HOTP codes do not expire: this returns the full period so that
    /// "wait for a fresher code" logic never waits on them.
    pub fn seconds_remaining(&self, unix_secs: u64) -> u32 {
        let period = self.period();
        match self.params.kind {
            Kind::Hotp => period as u32,
            Kind::Totp | Kind::Steam => (period - unix_secs % period) as u32,
        }
    }

    /// Returns the matched step if `code` equals the code at `step(now) + d`
    /// for `d` in `-skew..=skew`. Whitespace in `code` is ignored and Steam
    /// codes compare case-insensitively. Every candidate is compared in
    /// constant time and all candidates are always computed. When several
    /// steps produce the same code, the current step wins, then the earliest.
    ///
    /// HOTP looks ahead only (`counter..=counter + skew`): codes behind the
    /// counter have been used already.
    ///
    /// Replay protection (refusing a step that was already used) is the
    /// caller's job: it owns the durable record of used steps.
    pub fn verify(&self, code: &str, unix_secs: u64, skew: u8) -> Option<u64> {
        let mut candidate: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if self.params.kind == Kind::Steam {
            candidate.make_ascii_uppercase();
        }
        let current = self.step(unix_secs);
        let skew = u64::from(skew);
        let (first, last) = match self.params.kind {
            Kind::Hotp => (current, current.saturating_add(skew)),
            Kind::Totp | Kind::Steam => {
                (current.saturating_sub(skew), current.saturating_add(skew))
            }
        };
        let mut matched: Option<u64> = None;
        for step in first..=last {
            let expected = self.code_at_step(step);
            let equal: bool = expected.as_bytes().ct_eq(candidate.as_bytes()).into();
            if equal && (matched.is_none() || step == current) {
                matched = Some(step);
            }
        }
        matched
    }
}

/// HMAC of `message` under `key` with hash `$d`, as bytes.
macro_rules! hmac_bytes {
    ($d:ty, $key:expr, $message:expr) => {{
        // HMAC takes keys of any length (long keys are hashed), so this cannot fail.
        let mut mac = <Hmac<$d> as Mac>::new_from_slice($key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update($message);
        mac.finalize().into_bytes().to_vec()
    }};
}

/// RFC 4226 HOTP: HMAC over the big-endian counter, then dynamic truncation
/// to a 31-bit integer.
pub fn hotp_value(algorithm: Algorithm, key: &[u8], counter: u64) -> u32 {
    let message = counter.to_be_bytes();
    match algorithm {
        Algorithm::Sha1 => truncate(&hmac_bytes!(sha1::Sha1, key, &message)),
        Algorithm::Sha256 => truncate(&hmac_bytes!(sha2::Sha256, key, &message)),
        Algorithm::Sha512 => truncate(&hmac_bytes!(sha2::Sha512, key, &message)),
    }
}

fn truncate(hash: &[u8]) -> u32 {
    let offset = usize::from(hash[hash.len() - 1] & 0x0f);
    u32::from_be_bytes([
        hash[offset] & 0x7f,
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ])
}

fn decimal_code(value: u32, digits: u8) -> String {
    let digits = u32::from(digits.clamp(1, 9));
    let modulus = 10u32.pow(digits);
    format!("{:0width$}", value % modulus, width = digits as usize)
}

fn steam_code(mut value: u32) -> String {
    let mut code = String::with_capacity(STEAM_CODE_LEN);
    for _ in 0..STEAM_CODE_LEN {
        code.push(char::from(STEAM_ALPHABET[(value % 26) as usize]));
        value /= 26;
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_matches_rfc4226_section_5_4() {
        let hash = [
            0x1f, 0x86, 0x98, 0x69, 0x0e, 0x02, 0xca, 0x16, 0x61, 0x85, 0x50, 0xef, 0x7f, 0x19,
            0xda, 0x8e, 0x94, 0x5b, 0x55, 0x5a,
        ];
        assert_eq!(truncate(&hash), 0x50ef7f19);
        assert_eq!(decimal_code(0x50ef7f19, 6), "872921");
    }

    #[test]
    fn decimal_codes_keep_leading_zeros() {
        assert_eq!(decimal_code(42, 6), "000042");
        assert_eq!(decimal_code(42, 8), "00000042");
    }

    #[test]
    fn algorithm_names_parse_leniently() {
        for (text, alg) in [
            ("SHA1", Algorithm::Sha1),
            ("sha-256", Algorithm::Sha256),
            ("HmacSHA512", Algorithm::Sha512),
        ] {
            assert_eq!(text.parse::<Algorithm>().unwrap(), alg);
        }
        assert!("md5".parse::<Algorithm>().is_err());
    }

    #[test]
    fn enums_serialise_lowercase() {
        assert_eq!(
            serde_json::to_string(&Algorithm::Sha256).unwrap(),
            "\"sha256\""
        );
        assert_eq!(serde_json::to_string(&Kind::Steam).unwrap(), "\"steam\"");
        assert_eq!(
            serde_json::from_str::<Kind>("\"hotp\"").unwrap(),
            Kind::Hotp
        );
    }
}
