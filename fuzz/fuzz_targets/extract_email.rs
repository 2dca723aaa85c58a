//! MIME parsing plus extraction must survive any bytes: no panic, no hang,
//! and a code, when found, keeps its documented shape.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let e = orthrus_extract::extract_email(data);
    if let Some(code) = &e.code {
        assert!((4..=10).contains(&code.len()));
        // ASCII letters and digits, letters in the case they were sent in.
        assert!(code.chars().all(|c| c.is_ascii_alphanumeric()));
    }
});
