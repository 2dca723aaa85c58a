//! Printing what the server sent without letting it drive the terminal
//! (issue 11, finding 7): a mail's link, an account label or a username can
//! carry escape sequences (OSC 52 writes the clipboard, CSI clears the
//! screen, bidi overrides reorder what is shown). Every server string the
//! CLI prints goes through [`safe`]; JSON output through [`safe_json`].

use std::borrow::Cow;
use std::fmt::Write;

/// C0 controls (newlines and tabs included), DEL, C1 controls (U+0080 to
/// U+009F, U+009B being a one-character CSI) and the bidi embeddings,
/// overrides and isolates.
fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every unsafe character written as a visible escape: `\x1b` for
/// ASCII controls, `\u{9b}` or `\u{202e}` for the others.
pub fn safe(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !is_unsafe(c) {
            out.push(c);
        } else if c.is_ascii() {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        } else {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
    Cow::Owned(out)
}

/// Pretty JSON with the characters serde_json leaves raw (DEL, C1, bidi
/// controls) written as `\uXXXX` escapes: still the same JSON value, but
/// harmless on a terminal. serde_json escapes C0 itself.
pub fn safe_json(v: &serde_json::Value) -> serde_json::Result<String> {
    Ok(escape_json(serde_json::to_string_pretty(v)?))
}

/// Serialized JSON with DEL, C1 and bidi characters written as `\uXXXX`
/// escapes (see [`safe_json`]).
pub fn escape_json(text: String) -> String {
    if !text.chars().any(is_unsafe_in_json) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe_in_json(c) {
            // Outside strings JSON has only ASCII structure and whitespace,
            // so these characters can only be inside a string.
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

fn is_unsafe_in_json(c: char) -> bool {
    is_unsafe(c) && !matches!(c, '\n' | ' ' | '\t' | '\r')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_bidi_but_keeps_text() {
        assert!(matches!(
            safe("Brand Instagram – ünïcode"),
            Cow::Borrowed(_)
        ));
        assert_eq!(safe("a\u{1b}]52;c;SGk=\u{7}b"), "a\\x1b]52;c;SGk=\\x07b");
        assert_eq!(safe("\u{1b}[2J\u{7f}\n"), "\\x1b[2J\\x7f\\x0a");
        assert_eq!(safe("x\u{9b}2Jy"), "x\\u{9b}2Jy");
        assert_eq!(safe("\u{202e}gpj.exe\u{2069}"), "\\u{202e}gpj.exe\\u{2069}");
    }

    #[test]
    fn json_stays_the_same_value() {
        let v = serde_json::json!({"link": "a\u{1b}]52;c;x\u{7}\u{9b}\u{202e}\u{7f}", "n": [1, 2]});
        let text = safe_json(&v).unwrap();
        assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text}");
        assert!(!text.contains('\u{202e}'), "{text}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), v);
    }
}
