//! Lenient secret parsing and its error messages.

use orthrus_otp::{OtpError, parse_secret};

const HELLO: &[u8] = b"Hello!\xde\xad\xbe\xef"; // JBSWY3DPEHPK3PXP

#[test]
fn accepts_the_ways_people_paste_keys() {
    for input in [
        "JBSWY3DPEHPK3PXP",
        "jbswy3dpehpk3pxp",
        "JBSW Y3DP EHPK 3PXP",
        "jbsw-y3dp-ehpk-3pxp",
        "  JBSWY3DPEHPK3PXP\n",
        "JBSWY3DPEHPK3PXP======",
        "JBSWY3DPEHPK3PXP=",
        "jbsw y3dp\tehpk 3pxp",
    ] {
        assert_eq!(parse_secret(input).unwrap().as_bytes(), HELLO, "{input:?}");
    }
}

#[test]
fn accepts_80_bit_secrets() {
    let secret = parse_secret("JBSWY3DPEHPK3PXP").unwrap();
    assert_eq!(secret.as_bytes().len(), 10);
    assert_eq!(secret.to_base32(), "JBSWY3DPEHPK3PXP");
}

#[test]
fn accepts_padded_and_unpadded_lengths_that_are_not_multiples_of_eight() {
    // 26 bytes: 42 base32 characters, 6 of padding when padded.
    let unpadded = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY";
    let a = parse_secret(unpadded).unwrap();
    let b = parse_secret(&format!("{unpadded}======")).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.as_bytes().len(), 26);
}

#[test]
fn names_the_first_bad_character_and_its_position() {
    assert_eq!(
        parse_secret("JBSW1Y3DPEHPK3PXP"),
        Err(OtpError::InvalidBase32 {
            ch: '1',
            position: 5
        })
    );
    // Positions count what the user typed, separators included.
    assert_eq!(
        parse_secret("JBSW Y3D0 EHPK 3PXP"),
        Err(OtpError::InvalidBase32 {
            ch: '0',
            position: 9
        })
    );
    assert_eq!(
        parse_secret("jbsw-y3dp-ehpk-3pxp-8"),
        Err(OtpError::InvalidBase32 {
            ch: '8',
            position: 21
        })
    );
    // Positions count characters, not bytes.
    assert_eq!(
        parse_secret("ééJBSWY3DPEHPK3PXP"),
        Err(OtpError::InvalidBase32 {
            ch: 'é',
            position: 1
        })
    );
}

#[test]
fn error_messages_are_human() {
    let err = parse_secret("JBSW1Y3DPEHPK3PXP").unwrap_err();
    assert_eq!(
        err.to_string(),
        "the secret key is not valid base32: unexpected character '1' at position 5 (a key uses only the letters A-Z and the digits 2-7)"
    );
    assert_eq!(
        parse_secret("").unwrap_err().to_string(),
        "the secret key is too short: at least 80 bits (16 base32 characters) are required"
    );
}

#[test]
fn short_or_empty_secrets_are_refused() {
    for input in ["", "   ", "----", "====", "JBSWY3DPEHPK3PX", "JBSWY3DP"] {
        assert_eq!(
            parse_secret(input),
            Err(OtpError::SecretTooShort),
            "{input:?}"
        );
    }
}

#[test]
fn text_after_padding_is_refused() {
    assert_eq!(
        parse_secret("JBSWY3DP==EHPK3PXP"),
        Err(OtpError::InvalidBase32 {
            ch: 'E',
            position: 11
        })
    );
}
