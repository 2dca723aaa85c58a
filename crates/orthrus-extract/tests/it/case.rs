//! Issue 14, item 4: a code is handed on as it was sent. Letters keep their
//! case (a code such as `4kx9pz` may be case-sensitive at the app); only
//! separators and a `G-`/`FB-` prefix are taken off.

use orthrus_extract::{extract_email, extract_sms};

fn sms(body: &str) -> Option<String> {
    extract_sms("+15550100", body).code
}

#[test]
fn letters_keep_the_case_they_were_sent_in() {
    assert_eq!(sms("Your code is 4kx9pz").as_deref(), Some("4kx9pz"));
    assert_eq!(sms("Your code is 4KX9PZ").as_deref(), Some("4KX9PZ"));
    assert_eq!(
        sms("Acme: code 4k9-qz2 — valid 5 min").as_deref(),
        Some("4k9qz2")
    );
    // An origin-bound (WebOTP) code too.
    assert_eq!(
        sms("Your Acme code is 4kx9pz.\n\n@acme.example #4kx9pz").as_deref(),
        Some("4kx9pz")
    );
    let raw = b"From: Acme <no-reply@acme.example>\r\n\
        To: brand@inbox.example\r\n\
        Subject: Your sign-in code\r\n\
        Message-ID: <c1@acme.example>\r\n\
        Content-Type: text/plain; charset=utf-8\r\n\
        \r\n\
        Your code is 4kx9pz\r\n";
    assert_eq!(extract_email(raw).code.as_deref(), Some("4kx9pz"));
    // Digits are digits.
    assert_eq!(sms("Your code is 481 920").as_deref(), Some("481920"));
}

#[test]
fn a_code_repeated_in_another_case_is_still_one_code() {
    // The subject and the body agree once case is set aside: the repeat
    // strengthens the code, which keeps the case it was first seen in.
    let raw = b"From: Acme <no-reply@acme.example>\r\n\
        Subject: 4kx9pz is your Acme code\r\n\
        Content-Type: text/plain; charset=utf-8\r\n\
        \r\n\
        Enter 4KX9PZ to sign in. Order 77218 ships tomorrow.\r\n";
    assert_eq!(extract_email(raw).code.as_deref(), Some("4kx9pz"));
}
