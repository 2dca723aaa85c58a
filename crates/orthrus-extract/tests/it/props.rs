//! Property tests: extraction never panics and codes keep their shape.

use orthrus_extract::{extract_email, extract_sms, extract_text};
use proptest::prelude::*;

fn code_shape_ok(code: &Option<String>) -> bool {
    code.as_ref().is_none_or(|c| {
        (4..=10).contains(&c.len()) && c.chars().all(|ch| ch.is_ascii_alphanumeric())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn email_never_panics_on_bytes(raw in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let e = extract_email(&raw);
        prop_assert!(code_shape_ok(&e.code));
    }

    #[test]
    fn email_never_panics_on_mime_like_input(
        subject in ".{0,80}",
        body in ".{0,400}",
        ct in prop::sample::select(vec!["text/plain", "text/html", "multipart/alternative; boundary=b"]),
        cte in prop::sample::select(vec!["7bit", "base64", "quoted-printable", "8bit"]),
    ) {
        let raw = format!(
            "From: A <a@example.com>\r\nSubject: {subject}\r\nContent-Type: {ct}; charset=utf-8\r\n\
             Content-Transfer-Encoding: {cte}\r\n\r\n{body}\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>{body}</p>\r\n--b--\r\n"
        );
        let e = extract_email(raw.as_bytes());
        prop_assert!(code_shape_ok(&e.code));
    }

    #[test]
    fn sms_never_panics(from in ".{0,20}", body in "\\PC{0,300}") {
        let e = extract_sms(&from, &body);
        prop_assert!(code_shape_ok(&e.code));
    }

    #[test]
    fn sms_codes_keep_shape_near_keywords(
        pre in "[a-zA-Z ]{0,20}",
        code in "[0-9A-Za-z -]{1,14}",
        post in "[a-zA-Z .]{0,20}",
    ) {
        let body = format!("{pre} code: {code} {post}");
        let e = extract_sms("12345", &body);
        prop_assert!(code_shape_ok(&e.code));
        // As sent: only separators are taken out, letters keep their case.
        let squashed: String = body.chars().filter(|c| *c != ' ' && *c != '-').collect();
        prop_assert!(e.code.as_ref().is_none_or(|c| squashed.contains(c.as_str())), "{:?} from {body:?}", e.code);
    }

    #[test]
    fn text_and_html_never_panic(text in "\\PC{0,300}", html in "(<[a-z/]{0,4}( href=\"[^\"]{0,20}\")?>|[^<]{0,10}|&[a-z#0-9]{0,6};?){0,40}") {
        let (code, _) = extract_text(Some("code"), &text, Some(&html));
        prop_assert!(code_shape_ok(&code));
    }
}

#[test]
fn six_digit_code_in_plain_sms() {
    let e = extract_sms("32665", "123 456 is your Instagram code. Don't share it.");
    assert_eq!(e.code.as_deref(), Some("123456"));
    assert_eq!(e.sender.as_deref(), Some("32665"));
}
