//! `otpauth://` parsing and formatting.

use orthrus_otp::{
    Algorithm, Kind, OtpError, OtpParams, format_otpauth_uri, parse_otpauth_uri, parse_secret,
};

#[test]
fn parses_google_key_uri_format_example() {
    let (secret, p) = parse_otpauth_uri(
        "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example",
    )
    .unwrap();
    assert_eq!(secret.to_base32(), "JBSWY3DPEHPK3PXP");
    assert_eq!(
        p,
        OtpParams {
            issuer: Some("Example".into()),
            account_name: Some("alice@google.com".into()),
            ..OtpParams::default()
        }
    );
}

#[test]
fn parses_every_parameter() {
    let (_, p) = parse_otpauth_uri(
        "otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA256&digits=8&period=60",
    )
    .unwrap();
    assert_eq!(p.kind, Kind::Totp);
    assert_eq!(p.algorithm, Algorithm::Sha256);
    assert_eq!(p.digits, 8);
    assert_eq!(p.period, 60);
    assert_eq!(p.issuer.as_deref(), Some("ACME Co"));
    assert_eq!(p.account_name.as_deref(), Some("john.doe@email.com"));
}

#[test]
fn parses_hotp_with_counter() {
    let (_, p) = parse_otpauth_uri(
        "otpauth://hotp/Vendor:ops?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=42&algorithm=sha512&digits=7",
    )
    .unwrap();
    assert_eq!(
        (p.kind, p.counter, p.algorithm, p.digits),
        (Kind::Hotp, 42, Algorithm::Sha512, 7)
    );
}

#[test]
fn is_lenient_about_case_plus_signs_and_messy_secrets() {
    let (secret, p) = parse_otpauth_uri(
        "  OTPAUTH://TOTP/My+Shop%3A%20bob?SECRET=jbsw%20y3dp-ehpk-3pxp%3D%3D&Issuer=My+Shop&image=https%3A%2F%2Fx.invalid%2Fa.png  ",
    )
    .unwrap();
    assert_eq!(secret.to_base32(), "JBSWY3DPEHPK3PXP");
    // In the query '+' is a space; in the path it stays a plus, and the
    // issuer parameter wins over the label prefix.
    assert_eq!(p.issuer.as_deref(), Some("My Shop"));
    assert_eq!(p.account_name.as_deref(), Some("bob"));
}

#[test]
fn account_without_issuer() {
    let (_, p) =
        parse_otpauth_uri("otpauth://totp/alice%40example.com?secret=JBSWY3DPEHPK3PXP").unwrap();
    assert_eq!(p.issuer, None);
    assert_eq!(p.account_name.as_deref(), Some("alice@example.com"));
}

#[test]
fn recognises_steam() {
    for uri in [
        "otpauth://totp/Steam:gamer?secret=JBSWY3DPEHPK3PXP&issuer=Steam",
        "otpauth://totp/gamer?secret=JBSWY3DPEHPK3PXP&encoder=steam",
        "otpauth://steam/Steam:gamer?secret=JBSWY3DPEHPK3PXP&issuer=Steam",
        "otpauth://totp/Steam:gamer?secret=JBSWY3DPEHPK3PXP&digits=5&issuer=Steam",
    ] {
        let (_, p) = parse_otpauth_uri(uri).unwrap();
        assert_eq!(p.kind, Kind::Steam, "{uri}");
        assert_eq!(p.digits, 5, "{uri}");
    }
    // A Steam issuer that asks for ordinary codes keeps them.
    let (_, p) =
        parse_otpauth_uri("otpauth://totp/Steam:x?secret=JBSWY3DPEHPK3PXP&issuer=Steam&digits=6")
            .unwrap();
    assert_eq!(p.kind, Kind::Totp);
}

#[test]
fn rejects_bad_uris_with_clear_errors() {
    let cases: Vec<(&str, OtpError)> = vec![
        (
            "https://example.com/totp?secret=JBSWY3DPEHPK3PXP",
            OtpError::InvalidUri("the scheme is \"https\", expected \"otpauth\"".into()),
        ),
        ("otpauth://totp/x?issuer=Foo", OtpError::MissingSecret),
        ("otpauth://totp/x?secret=", OtpError::MissingSecret),
        (
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PX1",
            OtpError::InvalidBase32 {
                ch: '1',
                position: 16,
            },
        ),
        (
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm=MD5",
            OtpError::UnknownAlgorithm("MD5".into()),
        ),
        (
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=9",
            OtpError::InvalidDigits { digits: 9 },
        ),
        (
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=six",
            OtpError::InvalidParameter {
                name: "digits",
                value: "six".into(),
            },
        ),
        (
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=0",
            OtpError::InvalidPeriod { period: 0 },
        ),
        ("otpauth://totp/x?secret=JBSWY3DP", OtpError::SecretTooShort),
    ];
    for (uri, expected) in cases {
        assert_eq!(parse_otpauth_uri(uri).unwrap_err(), expected, "{uri}");
    }
    assert!(matches!(
        parse_otpauth_uri("otpauth://motp/x?secret=JBSWY3DPEHPK3PXP"),
        Err(OtpError::InvalidUri(_))
    ));
    assert!(matches!(
        parse_otpauth_uri("JBSWY3DPEHPK3PXP"),
        Err(OtpError::InvalidUri(_))
    ));
}

#[test]
fn formats_canonical_uris() {
    let secret = parse_secret("JBSWY3DPEHPK3PXP").unwrap();
    let totp = OtpParams {
        issuer: Some("ACME Co".into()),
        account_name: Some("john@example.com".into()),
        ..OtpParams::default()
    };
    assert_eq!(
        format_otpauth_uri(&secret, &totp),
        "otpauth://totp/ACME%20Co:john@example.com?secret=JBSWY3DPEHPK3PXP&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30"
    );
    let hotp = OtpParams {
        kind: Kind::Hotp,
        counter: 7,
        digits: 8,
        algorithm: Algorithm::Sha256,
        ..OtpParams::default()
    };
    assert_eq!(
        format_otpauth_uri(&secret, &hotp),
        "otpauth://hotp/?secret=JBSWY3DPEHPK3PXP&algorithm=SHA256&digits=8&counter=7"
    );
    let steam = OtpParams {
        kind: Kind::Steam,
        issuer: Some("Steam".into()),
        account_name: Some("gamer".into()),
        ..OtpParams::default()
    };
    let uri = format_otpauth_uri(&secret, &steam);
    assert_eq!(
        uri,
        "otpauth://totp/Steam:gamer?secret=JBSWY3DPEHPK3PXP&issuer=Steam&algorithm=SHA1&digits=5&period=30&encoder=steam"
    );
    assert_eq!(parse_otpauth_uri(&uri).unwrap().1.kind, Kind::Steam);
}

#[test]
fn colons_inside_issuer_or_account_survive_a_round_trip() {
    let secret = parse_secret("JBSWY3DPEHPK3PXP").unwrap();
    for (issuer, account) in [
        (Some("a:b"), Some("c:d")),
        (None, Some("c:d")),
        (Some("a:b"), None),
    ] {
        let params = OtpParams {
            issuer: issuer.map(String::from),
            account_name: account.map(String::from),
            ..OtpParams::default()
        };
        let uri = format_otpauth_uri(&secret, &params);
        assert_eq!(parse_otpauth_uri(&uri).unwrap().1, params, "{uri}");
    }
}
