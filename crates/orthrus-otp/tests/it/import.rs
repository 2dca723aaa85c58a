//! Import formats: one realistic fixture per format, format sniffing, and a
//! property test of the hand-written protobuf decoder.

use orthrus_otp::import::{
    ImportFormat, ImportedEntry, RejectedEntry, detect_and_parse, detect_format, format_uri_list,
    parse_2fas_json, parse_aegis_json, parse_bitwarden_csv, parse_bitwarden_json, parse_csv,
    parse_migration_batch, parse_migration_uri, parse_uri_list, read_import_until,
};
use orthrus_otp::{Algorithm, Kind, OtpError, OtpParams, Secret, parse_secret};
use proptest::prelude::*;

const GITHUB: &str = "YCYBBHMUHHPFP7R4"; // 80 bits
const INSTAGRAM: &str = "L3PFM44DO2UMKOT4TG7SOWYHPJOBBX3Y";
const VPN: &str = "5PZAZ36JC2PAW4KHAPLD2SAMHZR4MSUF";
const VENDOR: &str = "MMF2BFCIV5JCCVHTR33WQXXR6RFQ6PUUGD4AQKNAHTRE6QAPG5KA";
const STEAM: &str = "IOA5YKVRIKCRMDEAQZM25YAF2UJFLLOX";

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn entry(
    secret: &str,
    issuer: Option<&str>,
    account: Option<&str>,
    params: OtpParams,
) -> ImportedEntry {
    ImportedEntry {
        secret: parse_secret(secret).unwrap(),
        params: OtpParams {
            issuer: issuer.map(String::from),
            account_name: account.map(String::from),
            ..params
        },
    }
}

fn totp() -> OtpParams {
    OtpParams::default()
}

fn hotp(counter: u64) -> OtpParams {
    OtpParams {
        kind: Kind::Hotp,
        counter,
        ..OtpParams::default()
    }
}

fn steam() -> OtpParams {
    OtpParams {
        kind: Kind::Steam,
        digits: 5,
        ..OtpParams::default()
    }
}

fn custom(algorithm: Algorithm, digits: u8, period: u32) -> OtpParams {
    OtpParams {
        algorithm,
        digits,
        period,
        ..OtpParams::default()
    }
}

#[test]
fn google_authenticator_export_in_two_batches() {
    let text = fixture("google_authenticator_export.txt");
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("otpauth-migration"))
        .collect();
    assert_eq!(lines.len(), 2);

    let first = parse_migration_batch(lines[0]).unwrap();
    assert_eq!(
        (
            first.version,
            first.batch_size,
            first.batch_index,
            first.batch_id
        ),
        (1, 2, 0, -1_401_286_113)
    );
    assert_eq!(
        first.entries,
        vec![
            entry(GITHUB, Some("GitHub"), Some("alice@example.com"), totp()),
            entry(INSTAGRAM, Some("Instagram"), Some("acme.social"), totp()),
            entry(VPN, None, Some("vpn-token"), hotp(42)),
        ]
    );
    let second = parse_migration_batch(lines[1]).unwrap();
    assert_eq!(second.batch_index, 1);
    assert_eq!(
        second.entries,
        vec![
            entry(
                VENDOR,
                Some("Vendor Portal"),
                Some("ops@acme.example"),
                custom(Algorithm::Sha256, 8, 30)
            ),
            entry(
                "IOA5YKVRIKCRMDEAQZM25YAF2UJFLLOX",
                Some("Ünïcödé Bank"),
                Some("jürgen"),
                custom(Algorithm::Sha512, 6, 30)
            ),
        ]
    );
    // The whole file: both batches, comment line ignored.
    let all = detect_and_parse(text.as_bytes()).unwrap();
    assert_eq!(
        detect_format(text.as_bytes()).unwrap(),
        ImportFormat::UriList
    );
    assert_eq!(all.len(), 5);
    assert_eq!(all, parse_uri_list(&text).unwrap());
}

#[test]
fn google_authenticator_export_matches_other_decoders() {
    // The example export circulated with several open-source decoders,
    // together with what they decode it to.
    let one = parse_migration_uri(
        "otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZTAC",
    )
    .unwrap();
    assert_eq!(
        one,
        vec![entry(
            "JBSWY3DPEHPK3PXP",
            Some("Example"),
            Some("alice@google.com"),
            totp()
        )]
    );

    let two = parse_migration_uri(
        "otpauth-migration://offline?data=CkMKFD3GyqSCSm0oh2eyMx4gtDFmy4XZEhxBQ01FIENvOmpvaG4uZG9lQGV4YW1wbGUuY29tGgdBQ01FIENvIAEoATACCjUKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZSABKAEwAg==",
    )
    .unwrap();
    assert_eq!(
        two,
        vec![
            entry(
                "HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ",
                Some("ACME Co"),
                Some("john.doe@example.com"),
                totp()
            ),
            entry(
                "JBSWY3DPEHPK3PXP",
                Some("Example"),
                Some("alice@google.com"),
                totp()
            ),
        ]
    );
}

#[test]
fn google_authenticator_errors() {
    let err = parse_migration_uri("otpauth-migration://offline?data=%%%").unwrap_err();
    assert!(
        matches!(
            err,
            OtpError::Import {
                format: "Google Authenticator",
                ..
            }
        ),
        "{err}"
    );
    let err = parse_migration_uri("otpauth-migration://offline").unwrap_err();
    assert_eq!(
        err.to_string(),
        "Google Authenticator import: the URI has no data parameter"
    );
    // A truncated payload (first byte says a 49-byte entry follows; it does not).
    let err = parse_migration_uri("otpauth-migration://offline?data=CjEKCkhlbGxv").unwrap_err();
    assert!(err.to_string().contains("truncated"), "{err}");
    // MD5 entries (algorithm 4) are named, not silently mangled.
    let md5 = encode_payload(&[(
        b"0123456789".to_vec(),
        "x".into(),
        String::new(),
        4,
        1,
        2,
        0,
    )]);
    let err = parse_migration_uri(&md5).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Google Authenticator import: entry 1: MD5 codes are not supported"
    );
}

#[test]
fn aegis_plain_vault() {
    let text = fixture("aegis_plain.json");
    let expected = vec![
        entry(
            INSTAGRAM,
            Some("Instagram"),
            Some("social@acme.example"),
            totp(),
        ),
        entry(VPN, Some("Acme VPN"), Some("vpn-token"), hotp(42)),
        entry(STEAM, Some("Steam"), Some("acme_gaming"), steam()),
        entry(
            VENDOR,
            Some("Vendor Portal"),
            Some("ops@acme.example"),
            custom(Algorithm::Sha512, 8, 60),
        ),
    ];
    assert_eq!(parse_aegis_json(&text).unwrap(), expected);
    assert_eq!(detect_format(text.as_bytes()).unwrap(), ImportFormat::Aegis);
    assert_eq!(detect_and_parse(text.as_bytes()).unwrap(), expected);
}

#[test]
fn aegis_encrypted_vault_is_refused_with_advice() {
    let err = parse_aegis_json(&fixture("aegis_encrypted.json")).unwrap_err();
    assert!(err.to_string().contains("encrypted"), "{err}");
    let bad = r#"{"version":1,"header":{},"db":{"version":3,"entries":[
        {"type":"motp","name":"old","issuer":"Corp","info":{"secret":"JBSWY3DPEHPK3PXP"}}]}}"#;
    assert_eq!(
        parse_aegis_json(bad).unwrap_err().to_string(),
        "Aegis import: entry 1 (Corp / old): motp entries are not supported"
    );
    let bad_secret = r#"{"header":{},"db":{"entries":[
        {"type":"totp","name":"a","issuer":"B","info":{"secret":"JBSW1Y3DPEHPK3PXP"}}]}}"#;
    assert_eq!(
        parse_aegis_json(bad_secret).unwrap_err().to_string(),
        "Aegis import: entry 1 (B / a): the secret key is not valid base32: unexpected character '1' at position 5 (a key uses only the letters A-Z and the digits 2-7)"
    );
}

#[test]
fn twofas_backup() {
    let text = fixture("2fas_backup.2fas");
    let expected = vec![
        entry(GITHUB, Some("GitHub"), Some("alice@example.com"), totp()),
        entry(
            VENDOR,
            Some("Vendor Portal"),
            Some("ops@acme.example"),
            custom(Algorithm::Sha256, 8, 60),
        ),
        entry(VPN, Some("Acme VPN"), Some("vpn-token"), hotp(42)),
        entry(STEAM, Some("Steam"), Some("acme_gaming"), steam()),
    ];
    assert_eq!(parse_2fas_json(&text).unwrap(), expected);
    assert_eq!(
        detect_format(text.as_bytes()).unwrap(),
        ImportFormat::TwoFas
    );
    assert_eq!(detect_and_parse(text.as_bytes()).unwrap(), expected);

    let encrypted =
        r#"{"services":[],"servicesEncrypted":"c2VjcmV0:aXY=:c2FsdA==","schemaVersion":4}"#;
    assert!(
        parse_2fas_json(encrypted)
            .unwrap_err()
            .to_string()
            .contains("password-protected")
    );
}

#[test]
fn bitwarden_export() {
    let text = fixture("bitwarden_export.json");
    let expected = vec![
        entry(INSTAGRAM, Some("Instagram"), Some("acme.social"), totp()),
        // Bare secret: the item name and username fill in issuer and account.
        entry(GITHUB, Some("GitHub"), Some("alice@example.com"), totp()),
        entry(STEAM, Some("Steam"), Some("acme_gaming"), steam()),
        // Items without totp (a login, a secure note) are skipped.
        entry(
            VENDOR,
            Some("Vendor Portal"),
            Some("ops@acme.example"),
            custom(Algorithm::Sha256, 8, 60),
        ),
    ];
    assert_eq!(parse_bitwarden_json(&text).unwrap(), expected);
    assert_eq!(
        detect_format(text.as_bytes()).unwrap(),
        ImportFormat::Bitwarden
    );
    // The wiki login without totp and the secure note are counted.
    assert_eq!(
        read_import_until(text.as_bytes(), None)
            .unwrap()
            .without_otp,
        2
    );
    assert_eq!(detect_and_parse(text.as_bytes()).unwrap(), expected);

    let encrypted = r#"{"encrypted":true,"passwordProtected":true,"salt":"c2FsdA==","kdfType":0,"kdfIterations":600000,"encKeyValidation_DO_NOT_EDIT":"2.x|y|z","data":"2.a|b|c"}"#;
    assert!(
        parse_bitwarden_json(encrypted)
            .unwrap_err()
            .to_string()
            .contains("encrypted")
    );
    assert_eq!(
        detect_format(encrypted.as_bytes()).unwrap(),
        ImportFormat::Bitwarden
    );
}

/// Issue 14, item 2: Bitwarden's own CSV export (`login_totp`) imports as
/// its JSON export does; a row whose TOTP cannot be read is refused on its
/// own and the others import.
#[test]
fn bitwarden_csv_export() {
    let text = fixture("bitwarden_export.csv");
    assert_eq!(
        detect_format(text.as_bytes()).unwrap(),
        ImportFormat::BitwardenCsv
    );
    let legacy_vpn = RejectedEntry {
        issuer: Some("Legacy VPN".into()),
        account_name: Some("vpn-ops".into()),
        error: OtpError::Import {
            format: "Bitwarden CSV",
            reason: "line 10 (Legacy VPN / vpn-ops): the secret key is not valid base32: unexpected character '0' at position 1 (a key uses only the letters A-Z and the digits 2-7)".into(),
        },
    };
    let read = read_import_until(text.as_bytes(), None).unwrap();
    assert_eq!(
        read.entries,
        vec![
            Ok(entry(
                INSTAGRAM,
                Some("Instagram"),
                Some("acme.social"),
                totp()
            )),
            // A bare secret (typed with spaces, lower case): the row's name
            // and login_username fill in issuer and account.
            Ok(entry(
                GITHUB,
                Some("GitHub"),
                Some("alice@example.com"),
                totp()
            )),
            // steam:// is Steam Guard: five-character codes.
            Ok(entry(STEAM, Some("Steam"), Some("acme_gaming"), steam())),
            Err(legacy_vpn.clone()),
            Ok(entry(
                VENDOR,
                Some("Vendor Portal"),
                Some("ops@acme.example"),
                custom(Algorithm::Sha256, 8, 60),
            )),
        ]
    );
    // The wiki login has no TOTP, the alarm code is a secure note.
    assert_eq!(read.without_otp, 2);
    // The same seeds as the JSON export of the same vault.
    let from_csv: Vec<ImportedEntry> = read.entries.into_iter().filter_map(Result::ok).collect();
    assert_eq!(
        from_csv,
        parse_bitwarden_json(&fixture("bitwarden_export.json")).unwrap()
    );
    // The all-or-nothing readers stop at the bad row.
    assert_eq!(
        detect_and_parse(text.as_bytes()).unwrap_err(),
        legacy_vpn.error
    );
    assert_eq!(parse_bitwarden_csv(&text).unwrap_err(), legacy_vpn.error);
}

#[test]
fn bitwarden_csv_variants() {
    // An organization's export: collections instead of folder and favorite,
    // short rows as a hand-conditioned file has them, LF line ends.
    let org = "collections,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp\n\
        \"Social,Marketing\",login,Twitter,,,0,twitter.com,me@example.com,password123,\n\
        ,login,EVGA,,,,https://www.evga.com/support/login.asp,hello@example.com,fakepassword,JBSWY3DPEHPK3PXP\n\
        ,note,My Note,\"This is a secure note.\",,\n";
    assert_eq!(
        detect_format(org.as_bytes()).unwrap(),
        ImportFormat::BitwardenCsv
    );
    let read = read_import_until(org.as_bytes(), None).unwrap();
    assert_eq!(
        read.entries,
        vec![Ok(entry(
            "JBSWY3DPEHPK3PXP",
            Some("EVGA"),
            Some("hello@example.com"),
            totp()
        ))]
    );
    assert_eq!(read.without_otp, 2);
    // Nothing to import at all: every row is counted as without a TOTP.
    let header = "folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp\r\n";
    let empty = format!("{header},,login,Wiki,,,0,https://wiki.example,alice,pw,\r\n");
    let read = read_import_until(empty.as_bytes(), None).unwrap();
    assert_eq!((read.entries.len(), read.without_otp), (0, 1));
    // A quote that never closes loses the row boundaries: the whole file is
    // refused, naming where.
    let broken = format!("{header},,login,GitHub,\"notes,,0,,alice,pw,JBSWY3DPEHPK3PXP\r\n");
    assert_eq!(
        read_import_until(broken.as_bytes(), None)
            .unwrap_err()
            .to_string(),
        "Bitwarden CSV import: line 2: a quoted field is never closed"
    );
    // A row without a name or username is named by its line alone.
    let anonymous = format!("{header},,login,,,,0,,,,steam://0000\r\n");
    let read = read_import_until(anonymous.as_bytes(), None).unwrap();
    let Some(Err(rejected)) = read.entries.first() else {
        panic!("{read:?}")
    };
    assert!(
        rejected
            .error
            .to_string()
            .starts_with("Bitwarden CSV import: line 2: the secret key is not valid base32"),
        "{}",
        rejected.error
    );
    assert_eq!((&rejected.issuer, &rejected.account_name), (&None, &None));
}

#[test]
fn csv_with_otpauth_column() {
    let text = fixture("accounts.csv");
    let expected = vec![
        entry(GITHUB, Some("GitHub"), Some("alice@example.com"), totp()),
        entry(INSTAGRAM, Some("Instagram"), Some("acme.social"), totp()),
        // The "wiki" row has an empty otpauth cell and is skipped.
        entry(VPN, Some("Acme VPN"), Some("vpn-token"), hotp(42)),
    ];
    assert_eq!(parse_csv(&text).unwrap(), expected);
    assert_eq!(detect_format(text.as_bytes()).unwrap(), ImportFormat::Csv);
    assert_eq!(
        read_import_until(text.as_bytes(), None)
            .unwrap()
            .without_otp,
        1
    );
    assert_eq!(detect_and_parse(text.as_bytes()).unwrap(), expected);

    let no_column = "name,secret\nx,JBSWY3DPEHPK3PXP\n";
    assert_eq!(
        parse_csv(no_column).unwrap_err().to_string(),
        "CSV import: the header row has no otpauth column (columns: name, secret)"
    );
    let bad_row = "otpauth;label\n\"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP\";a\notpauth://totp/y?digits=6;b\n";
    assert_eq!(
        parse_csv(bad_row).unwrap_err().to_string(),
        "CSV import: line 3: the otpauth URI has no secret parameter"
    );
    let with_bom = format!(
        "\u{feff}OTPAUTH\n{}\n",
        "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP"
    );
    assert_eq!(detect_and_parse(with_bom.as_bytes()).unwrap().len(), 1);
}

#[test]
fn otpauth_list_round_trips_through_its_export_format() {
    let text = fixture("otpauth_list.txt");
    let entries = parse_uri_list(&text).unwrap();
    assert_eq!(
        entries,
        vec![
            entry(GITHUB, Some("GitHub"), Some("alice@example.com"), totp()),
            entry(STEAM, Some("Steam"), Some("acme_gaming"), steam()),
            entry(VPN, Some("Acme VPN"), Some("vpn-token"), hotp(42)),
        ]
    );
    let exported = format_uri_list(&entries);
    assert_eq!(exported.lines().count(), 3);
    assert_eq!(parse_uri_list(&exported).unwrap(), entries);
    assert_eq!(
        parse_uri_list("otpauth://totp/a?secret=JBSWY3DPEHPK3PXP\n\notpauth://totp/b?secret=JBSW0")
            .unwrap_err()
            .to_string(),
        "otpauth list import: line 3: the secret key is not valid base32: unexpected character '0' at position 5 (a key uses only the letters A-Z and the digits 2-7)"
    );
}

#[test]
fn the_same_seed_imports_identically_from_every_format() {
    let github = |entries: Vec<ImportedEntry>| {
        entries
            .into_iter()
            .find(|e| e.params.issuer.as_deref() == Some("GitHub"))
            .unwrap()
    };
    let from_ga =
        github(detect_and_parse(fixture("google_authenticator_export.txt").as_bytes()).unwrap());
    for name in [
        "2fas_backup.2fas",
        "bitwarden_export.json",
        "accounts.csv",
        "otpauth_list.txt",
    ] {
        assert_eq!(
            github(detect_and_parse(fixture(name).as_bytes()).unwrap()),
            from_ga,
            "{name}"
        );
    }
}

#[test]
fn unknown_files_are_refused() {
    for bytes in [
        &b""[..],
        b"hello world",
        b"{\"foo\": 1}",
        b"{not json",
        b"\xff\xfe\x00garbage",
        b"name,secret\nx,y\n",
    ] {
        assert_eq!(
            detect_and_parse(bytes).unwrap_err(),
            OtpError::UnrecognizedFormat,
            "{bytes:?}"
        );
    }
}

// ------------------------------------------------------------------ protobuf

type RawEntry = (Vec<u8>, String, String, u64, u64, u64, u64);

fn varint(mut n: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn bytes_field(number: u64, bytes: &[u8], out: &mut Vec<u8>) {
    varint(number << 3 | 2, out);
    varint(bytes.len() as u64, out);
    out.extend_from_slice(bytes);
}

fn varint_field(number: u64, value: u64, out: &mut Vec<u8>) {
    varint(number << 3, out);
    varint(value, out);
}

/// A test-side encoder, written independently of the decoder under test.
fn encode_payload(entries: &[RawEntry]) -> String {
    let mut payload = Vec::new();
    for (secret, name, issuer, algorithm, digits, kind, counter) in entries {
        let mut message = Vec::new();
        bytes_field(1, secret, &mut message);
        bytes_field(2, name.as_bytes(), &mut message);
        bytes_field(3, issuer.as_bytes(), &mut message);
        varint_field(4, *algorithm, &mut message);
        varint_field(5, *digits, &mut message);
        varint_field(6, *kind, &mut message);
        varint_field(7, *counter, &mut message);
        // An unknown fixed32 field, which a decoder must skip.
        message.extend_from_slice(&[(9 << 3) | 5, 1, 2, 3, 4]);
        bytes_field(1, &message, &mut payload);
    }
    varint_field(2, 1, &mut payload);
    varint_field(3, 1, &mut payload);
    let data = data_encoding::BASE64.encode(&payload);
    let quoted: String = data
        .chars()
        .map(|c| match c {
            '+' => "%2B".to_owned(),
            '/' => "%2F".to_owned(),
            '=' => "%3D".to_owned(),
            c => c.to_string(),
        })
        .collect();
    format!("otpauth-migration://offline?data={quoted}")
}

proptest! {
    #[test]
    fn migration_decoder_reads_what_an_independent_encoder_wrote(
        raw in proptest::collection::vec(
            (
                proptest::collection::vec(any::<u8>(), 10..40),
                "[a-zA-Z0-9@._ -]{0,20}",
                "[a-zA-Z0-9 ]{0,12}",
                1u64..=3,
                1u64..=2,
                1u64..=2,
                any::<u64>(),
            ),
            0..6,
        )
    ) {
        let entries = parse_migration_uri(&encode_payload(&raw)).unwrap();
        prop_assert_eq!(entries.len(), raw.len());
        for (entry, (secret, name, issuer, algorithm, digits, kind, counter)) in entries.iter().zip(&raw) {
            prop_assert_eq!(entry.secret.clone(), Secret::from_bytes(secret.clone()));
            let expected_algorithm = [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512][*algorithm as usize - 1];
            prop_assert_eq!(entry.params.algorithm, expected_algorithm);
            prop_assert_eq!(entry.params.digits, if *digits == 1 { 6 } else { 8 });
            let expected_kind = if *kind == 1 { Kind::Hotp } else { Kind::Totp };
            prop_assert_eq!(entry.params.kind, expected_kind);
            prop_assert_eq!(entry.params.counter, *counter);
            prop_assert_eq!(entry.params.issuer.clone(), Some(issuer.trim().to_owned()).filter(|s| !s.is_empty()));
            if issuer.trim().is_empty() && !name.contains(':') {
                prop_assert_eq!(entry.params.account_name.clone(), Some(name.trim().to_owned()).filter(|s| !s.is_empty()));
            }
        }
    }

    #[test]
    fn migration_decoder_never_panics_on_garbage(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let uri = format!("otpauth-migration://offline?data={}", data_encoding::BASE64URL_NOPAD.encode(&bytes));
        let _ = parse_migration_uri(&uri);
    }

    #[test]
    fn detect_and_parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = detect_and_parse(&bytes);
    }
}

/// Issue 11, finding 2: an import takes at most `MAX_ENTRIES` entries; a
/// longer file is refused with a clear error, in any format.
#[test]
fn more_than_the_entry_limit_is_refused() {
    let max = orthrus_otp::import::MAX_ENTRIES;
    let line = format!("otpauth://totp/Acme:ops?secret={GITHUB}\n");
    let list = line.repeat(max + 1);
    let err = detect_and_parse(list.as_bytes()).unwrap_err();
    assert_eq!(err, OtpError::TooManyEntries { max });
    assert!(err.to_string().contains("at most 1000"), "{err}");
    assert_eq!(
        parse_uri_list(&list).unwrap_err(),
        OtpError::TooManyEntries { max }
    );
    assert_eq!(
        detect_and_parse(line.repeat(max).as_bytes()).unwrap().len(),
        max
    );
    let csv = format!(
        "name,otpauth\n{}",
        format!("ops,otpauth://totp/Acme:ops?secret={GITHUB}\n").repeat(max + 1)
    );
    assert_eq!(
        detect_and_parse(csv.as_bytes()).unwrap_err(),
        OtpError::TooManyEntries { max }
    );
}
