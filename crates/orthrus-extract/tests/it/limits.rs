//! Hostile inputs must finish quickly: the SMTP listener extracts inline, so
//! a crafted message must not stall it. Bounds are generous (debug builds on
//! a busy 2-core machine); a quadratic regression blows far past them.

use std::time::{Duration, Instant};

use orthrus_extract::{extract_email, extract_sms};

fn message(content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "From: a@example.com\r\nSubject: code\r\nContent-Type: {content_type}; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

fn assert_quick(name: &str, raw: &[u8]) {
    let start = Instant::now();
    let _ = extract_email(raw);
    let took = start.elapsed();
    assert!(took < Duration::from_secs(5), "{name} took {took:?}");
}

#[test]
fn adversarial_bodies_finish_quickly() {
    let plain = [
        ("spaced digits", "1 ".repeat(100_000)),
        ("keywords and codes", "code 123456 ".repeat(20_000)),
        ("urls", "https://x.test/a http ".repeat(20_000)),
        ("phones", "+1 (415) 555-0134 ".repeat(20_000)),
        ("hyphen chains", "A-1-B-2-C-3-".repeat(20_000)),
    ];
    for (name, body) in plain {
        assert_quick(name, &message("text/plain", &body));
    }
    let html = [
        ("digit cells", "<td>1</td>".repeat(50_000)),
        (
            "anchors",
            "<a href='https://x.test/confirm?t=Zx8PqR2vKm4N'>Confirm</a>".repeat(20_000),
        ),
        ("open tags", "<".repeat(200_000)),
        ("open quotes", "<a href='".repeat(100_000)),
        ("raw-text tags", "<style>".repeat(50_000)),
        ("entities", "&amp;&#x31;&nbsp;".repeat(50_000)),
    ];
    for (name, body) in html {
        assert_quick(name, &message("text/html", &body));
    }
}

#[test]
fn deep_multipart_nesting_finishes_quickly() {
    let mut raw = String::from("From: a@example.com\r\nSubject: x\r\n");
    for i in 0..2_000 {
        raw.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n"
        ));
    }
    raw.push_str("Content-Type: text/plain\r\n\r\nYour code is 123456\r\n");
    assert_quick("nested multipart", raw.as_bytes());
}

#[test]
fn long_sms_finishes_quickly() {
    let body = "Ваш код 1234 ".repeat(30_000);
    let start = Instant::now();
    let e = extract_sms("900", &body);
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(e.code.as_deref(), Some("1234"));
}
