//! Backup code blocks as real apps show them.

use orthrus_otp::backup_codes::{normalize, parse};

fn check(app: &str, text: &str, expected: &[&str]) {
    let got = parse(text);
    assert_eq!(got, expected, "{app}:\n{text}");
}

#[test]
fn instagram_eight_digits_in_two_groups() {
    check(
        "Instagram",
        "Recovery codes\nSave these codes in a safe place.\n4821 9306\n1175 2048\n6630 9914\n5522 0187\n3901 7746\n",
        &[
            "4821 9306",
            "1175 2048",
            "6630 9914",
            "5522 0187",
            "3901 7746",
        ],
    );
}

#[test]
fn google_numbered_in_two_columns() {
    check(
        "Google",
        "BACKUP VERIFICATION CODES\nacme.social@gmail.com\n1. 6274 1934    6. 7755 0832\n2. 3318 4479    7. 9022 1646\n3. 8134 6206    8. 4458 9071\n(Generated Nov 22, 2026)\n",
        &[
            "6274 1934",
            "7755 0832",
            "3318 4479",
            "9022 1646",
            "8134 6206",
            "4458 9071",
        ],
    );
}

#[test]
fn github_hyphenated_hex() {
    check(
        "GitHub",
        "3f2a1-bc8d9\n77e04-1a2b3\n9c0de-4f5a6\n",
        &["3f2a1-bc8d9", "77e04-1a2b3", "9c0de-4f5a6"],
    );
}

#[test]
fn facebook_with_bullets() {
    check(
        "Facebook",
        "• 9281 3366\n• 0713 4482\n• 5550 1298\n",
        &["9281 3366", "0713 4482", "5550 1298"],
    );
}

#[test]
fn microsoft_single_recovery_code() {
    check(
        "Microsoft",
        "Your new recovery code is:\nQ7H2K-9WXRT-M3N8P-Z4B6C-D1F5G\n",
        &["Q7H2K-9WXRT-M3N8P-Z4B6C-D1F5G"],
    );
}

#[test]
fn x_twelve_character_codes_comma_separated() {
    check(
        "X",
        "a8k2m5q1w9e3, z7x4c6v2b8n1, p3o5i7u9y1t2",
        &["a8k2m5q1w9e3", "z7x4c6v2b8n1", "p3o5i7u9y1t2"],
    );
}

#[test]
fn discord_short_hyphenated_several_per_line() {
    check(
        "Discord",
        "ab1c-de2f gh3i-jk4l\nmn5o-pq6r st7u-vw8x\n",
        &["ab1c-de2f", "gh3i-jk4l", "mn5o-pq6r", "st7u-vw8x"],
    );
}

#[test]
fn dropbox_sixteen_letters_in_four_groups() {
    check(
        "Dropbox",
        "1. wxyz abcd efgh jkmn\n2. pqrs tuvw x2y3 z4a5\n",
        &["wxyz abcd efgh jkmn", "pqrs tuvw x2y3 z4a5"],
    );
}

#[test]
fn tiktok_and_amazon_style_tab_separated_with_used_marks() {
    check(
        "TikTok",
        "K9DF2LQ8\tP3MZ7XC1 ✓\tR5TY8UV2\n",
        &["K9DF2LQ8", "P3MZ7XC1", "R5TY8UV2"],
    );
}

#[test]
fn apple_recovery_key() {
    check(
        "Apple",
        "Recovery Key\nXYZ2-4ABC-8DEF-3GHJ-5KLM-7NPQ-9RST\n",
        &["XYZ2-4ABC-8DEF-3GHJ-5KLM-7NPQ-9RST"],
    );
}

#[test]
fn duplicates_and_noise_are_dropped() {
    check(
        "mixed",
        "1234 5678\n12345678\nhello world\n2026-01-05\n--\n",
        &["1234 5678"],
    );
    assert!(parse("").is_empty());
    assert!(parse("just some words here").is_empty());
    assert_eq!(normalize("1234 5678"), normalize("12345678"));
}

proptest::proptest! {
    #[test]
    fn never_panics_and_output_is_clean(s in "\\PC{0,400}") {
        for code in parse(&s) {
            let n = normalize(&code);
            proptest::prop_assert!((6..=40).contains(&n.len()));
        }
    }
}
