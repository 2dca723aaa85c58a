//! SMS extraction must survive any text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let body = String::from_utf8_lossy(data);
    let e = orthrus_extract::extract_sms("+15550000000", &body);
    if let Some(code) = &e.code {
        assert!((4..=10).contains(&code.len()));
        // ASCII letters and digits, letters in the case they were sent in.
        assert!(code.chars().all(|c| c.is_ascii_alphanumeric()));
    }
});
