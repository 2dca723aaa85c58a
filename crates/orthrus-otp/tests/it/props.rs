//! Property tests: base32 and otpauth round-trips, and parsers never panic.

use orthrus_otp::{
    Algorithm, Kind, OtpParams, Secret, format_otpauth_uri, parse_otpauth_uri, parse_secret,
};
use proptest::prelude::*;

fn label_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of("\\PC{1,24}".prop_filter("trimmed and non-empty", |s| {
        !s.trim().is_empty() && s.trim() == s
    }))
}

fn params() -> impl Strategy<Value = OtpParams> {
    (
        prop_oneof![Just(Kind::Totp), Just(Kind::Hotp), Just(Kind::Steam)],
        prop_oneof![
            Just(Algorithm::Sha1),
            Just(Algorithm::Sha256),
            Just(Algorithm::Sha512)
        ],
        6u8..=8,
        1u32..=300,
        any::<u64>(),
        label_text(),
        label_text(),
    )
        .prop_map(
            |(kind, algorithm, digits, period, counter, issuer, account_name)| {
                // Normalise the fields a kind does not carry in its URI.
                let (digits, period, counter) = match kind {
                    Kind::Totp => (digits, period, 0),
                    Kind::Steam => (5, period, 0),
                    Kind::Hotp => (digits, 30, counter),
                };
                OtpParams {
                    kind,
                    algorithm,
                    digits,
                    period,
                    counter,
                    issuer,
                    account_name,
                }
            },
        )
    // A "Steam" issuer on a plain TOTP entry is read back as Steam Guard only
    // without digits; formatted URIs always carry digits, so that is fine.
}

proptest! {
    #[test]
    fn base32_round_trip(bytes in proptest::collection::vec(any::<u8>(), 10..80)) {
        let secret = Secret::from_bytes(bytes.clone());
        let text = secret.to_base32();
        prop_assert!(!text.contains('='));
        prop_assert_eq!(text.to_uppercase(), text.clone());
        prop_assert_eq!(parse_secret(&text).unwrap().as_bytes().to_vec(), bytes.clone());
        // Lowercase, grouped in fours with spaces, and padded to a multiple of 8.
        let grouped: Vec<String> = text
            .to_lowercase()
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        let mut messy = grouped.join(" ");
        messy.push_str(&"=".repeat((8 - text.len() % 8) % 8));
        prop_assert_eq!(parse_secret(&messy).unwrap().as_bytes().to_vec(), bytes);
    }

    #[test]
    fn otpauth_format_parse_round_trip(
        bytes in proptest::collection::vec(any::<u8>(), 10..64),
        params in params(),
    ) {
        let secret = Secret::from_bytes(bytes);
        let uri = format_otpauth_uri(&secret, &params);
        let (parsed_secret, parsed) = parse_otpauth_uri(&uri).unwrap();
        prop_assert_eq!(parsed_secret, secret);
        prop_assert_eq!(parsed, params);
    }

    #[test]
    fn parse_secret_never_panics(input in "\\PC{0,64}") {
        let _ = parse_secret(&input);
    }

    #[test]
    fn parse_uri_never_panics(tail in "\\PC{0,80}") {
        let _ = parse_otpauth_uri(&format!("otpauth://totp/{tail}"));
        let _ = parse_otpauth_uri(&tail);
    }
}
