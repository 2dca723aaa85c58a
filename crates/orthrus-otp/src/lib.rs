//! `orthrus-otp` owns one-time passwords: TOTP (RFC 6238), HOTP (RFC 4226) and
//! Steam Guard code generation and verification, lenient parsing of the base32
//! secret keys people paste, `otpauth://` key URIs (parse and format), the
//! Google Authenticator `otpauth-migration://` export, the Aegis, 2FAS,
//! Bitwarden (JSON and CSV) and CSV import formats, and reading QR codes out
//! of screenshots.
//! It is a pure library: it must not know about storage, the web layer, users,
//! accounts or any other Orthrus crate, and it never reads the system clock or
//! OS randomness — the current time is always a parameter (unix seconds), and
//! remembering which steps were already used (replay protection) is the
//! caller's job.
//!
//! ```
//! use orthrus_otp::{Generator, parse_otpauth_uri};
//!
//! let (secret, params) = parse_otpauth_uri(
//!     "otpauth://totp/ACME:alice?secret=JBSW%20Y3DP-EHPK-3PXP&issuer=ACME",
//! )?;
//! let generator = Generator::new(secret, params)?;
//! let now = 1_767_225_600; // unix seconds, from the caller's clock
//! let code = generator.code(now);
//! assert_eq!(code.len(), 6);
//! assert_eq!(generator.verify(&code, now + 31, 1), Some(generator.step(now)));
//! # Ok::<(), orthrus_otp::OtpError>(())
//! ```

pub mod backup_codes;
mod error;
mod generator;
pub mod import;
#[cfg(feature = "qr")]
pub mod qr;
mod secret;
mod uri;

pub use error::OtpError;
pub use generator::{Algorithm, Generator, Kind, OtpParams, STEAM_CODE_LEN, hotp_value};
pub use secret::{MIN_SECRET_BYTES, Secret, parse_secret};
pub use uri::{format_otpauth_uri, parse_otpauth_uri};
