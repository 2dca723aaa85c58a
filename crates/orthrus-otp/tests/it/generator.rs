//! Generator behaviour beyond the RFC vectors: validation, steps, countdown, verify.

use orthrus_otp::{Algorithm, Generator, Kind, OtpError, OtpParams, Secret, parse_secret};

fn totp(params: OtpParams) -> Generator {
    Generator::new(parse_secret("JBSWY3DPEHPK3PXP").unwrap(), params).unwrap()
}

#[test]
fn defaults_are_google_authenticator_defaults() {
    let p = OtpParams::default();
    assert_eq!(
        (p.kind, p.algorithm, p.digits, p.period, p.counter),
        (Kind::Totp, Algorithm::Sha1, 6, 30, 0)
    );
    assert_eq!((p.issuer, p.account_name), (None, None));
}

#[test]
fn new_validates_digits_and_period() {
    let secret = || parse_secret("JBSWY3DPEHPK3PXP").unwrap();
    for digits in [0, 5, 9, 10] {
        let params = OtpParams {
            digits,
            ..OtpParams::default()
        };
        assert_eq!(
            Generator::new(secret(), params).unwrap_err(),
            OtpError::InvalidDigits { digits }
        );
    }
    for period in [0, 301] {
        let params = OtpParams {
            period,
            ..OtpParams::default()
        };
        assert_eq!(
            Generator::new(secret(), params).unwrap_err(),
            OtpError::InvalidPeriod { period }
        );
    }
    for digits in 6..=8 {
        for period in [1, 30, 300] {
            let params = OtpParams {
                digits,
                period,
                ..OtpParams::default()
            };
            assert!(Generator::new(secret(), params).is_ok());
        }
    }
    // Steam codes are always 5 characters; its digits field is not checked.
    let steam = OtpParams {
        kind: Kind::Steam,
        digits: 0,
        ..OtpParams::default()
    };
    let g = Generator::new(secret(), steam).unwrap();
    assert_eq!(g.code(1_700_000_000).len(), 5);
}

#[test]
fn step_and_seconds_remaining() {
    let g = totp(OtpParams::default());
    assert_eq!(g.step(0), 0);
    assert_eq!(g.step(29), 0);
    assert_eq!(g.step(30), 1);
    assert_eq!(g.seconds_remaining(0), 30);
    assert_eq!(g.seconds_remaining(29), 1);
    assert_eq!(g.seconds_remaining(30), 30);
    assert_eq!(g.seconds_remaining(1_700_000_017), 30 - 1_700_000_017 % 30);

    let g60 = totp(OtpParams {
        period: 60,
        ..OtpParams::default()
    });
    assert_eq!(g60.step(119), 1);
    assert_eq!(g60.seconds_remaining(119), 1);
    assert_eq!(g60.code(119), g60.code_at_step(1));
}

#[test]
fn code_is_stable_within_a_step_and_changes_across() {
    let g = totp(OtpParams::default());
    let t = 1_767_225_600; // a step boundary
    assert_eq!(g.code(t), g.code(t + 29));
    assert_eq!(g.code(t + 30), g.code_at_step(g.step(t) + 1));
}

#[test]
fn verify_honours_skew_and_ignores_spaces() {
    let g = totp(OtpParams::default());
    let now = 1_767_225_615;
    let step = g.step(now);
    let previous = g.code_at_step(step - 1);
    let next = g.code_at_step(step + 1);
    let current = g.code(now);

    assert_eq!(g.verify(&current, now, 0), Some(step));
    assert_eq!(g.verify(&previous, now, 0), None);
    assert_eq!(g.verify(&previous, now, 1), Some(step - 1));
    assert_eq!(g.verify(&next, now, 1), Some(step + 1));
    assert_eq!(g.verify(&g.code_at_step(step + 2), now, 1), None);

    let spaced = format!(" {} {} ", &current[..3], &current[3..]);
    assert_eq!(g.verify(&spaced, now, 0), Some(step));
    assert_eq!(g.verify("", now, 1), None);
    assert_eq!(g.verify(&current[..5], now, 1), None);
    assert_eq!(g.verify(&format!("{current}0"), now, 1), None);
}

#[test]
fn verify_near_epoch_does_not_underflow() {
    let g = totp(OtpParams::default());
    let code = g.code(5);
    assert_eq!(g.verify(&code, 5, 3), Some(0));
}

#[test]
fn changing_params_after_validation_never_panics() {
    let mut g = totp(OtpParams::default());
    g.params.period = 0;
    assert_eq!(g.seconds_remaining(10), 1);
    let _ = g.code(10);
}

#[test]
fn secret_and_generator_debug_never_show_the_seed() {
    let g = totp(OtpParams::default());
    let debug = format!("{g:?}");
    assert!(debug.contains("Secret([redacted])"), "{debug}");
    assert!(!debug.contains("72, 101"), "{debug}");
}

#[test]
fn params_serialise_with_lowercase_enums() {
    let json = serde_json::to_value(OtpParams::default()).unwrap();
    assert_eq!(json["kind"], "totp");
    assert_eq!(json["algorithm"], "sha1");
    let steam = Secret::from_bytes(vec![0; 10]);
    assert_eq!(steam.to_base32(), "AAAAAAAAAAAAAAAA");
}
