//! Parsing backup (recovery) codes pasted the way apps show them: one per
//! line or several per line, numbered or bulleted, grouped with spaces or
//! hyphens (`1234 5678`, `abcde-fghij`), separated by commas, semicolons,
//! tabs or wide gaps, with headings and instructions around them.

/// Words that mark a chunk as prose, not a code.
const PROSE: &[&str] = &[
    "the",
    "your",
    "you",
    "code",
    "codes",
    "backup",
    "recovery",
    "keep",
    "safe",
    "use",
    "used",
    "each",
    "only",
    "once",
    "these",
    "save",
    "print",
    "download",
    "account",
    "generated",
    "this",
    "that",
    "can",
    "with",
    "and",
    "for",
    "sign",
    "login",
    "log",
    "verification",
    "security",
    "store",
    "place",
    "new",
    "old",
    "unused",
    "them",
    "one",
    "time",
    "emergency",
    "key",
];

/// Normalises a code for comparison: lower case, no spaces or hyphens.
pub fn normalize(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .flat_map(|c| c.to_lowercase())
        .collect()
}

fn strip_numbering(line: &str) -> &str {
    let t = line.trim_start_matches(|c: char| {
        c.is_whitespace() || matches!(c, '-' | '*' | '•' | '·' | '▪' | '◦')
    });
    // "1." "1)" "#1" "1:" "(1)"
    let bytes = t.as_bytes();
    let mut i = 0;
    if bytes.first() == Some(&b'#') || bytes.first() == Some(&b'(') {
        i = 1;
    }
    let digits_start = i;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
    }
    let hashed = digits_start == 1 && bytes.first() == Some(&b'#');
    if i > digits_start && i - digits_start <= 3 && i < bytes.len() {
        if matches!(bytes[i], b'.' | b')' | b':') {
            return t[i + 1..].trim_start();
        }
        if hashed && bytes[i] == b' ' {
            return t[i..].trim_start();
        }
    }
    t.trim_start()
}

fn is_date_or_time(chunk: &str) -> bool {
    let parts: Vec<&str> = chunk.split(['-', '/', ':', '.']).collect();
    parts.len() >= 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 4 && p.chars().all(|c| c.is_ascii_digit()))
}

/// One chunk of a line (between separators) → zero or more codes.
fn codes_in_chunk(chunk: &str) -> Vec<String> {
    let chunk = chunk
        .trim()
        .trim_matches(|c: char| matches!(c, '"' | '\'' | '`' | '[' | ']' | '{' | '}'));
    if chunk.is_empty() || is_date_or_time(chunk) {
        return Vec::new();
    }
    let words: Vec<&str> = chunk.split(' ').filter(|w| !w.is_empty()).collect();
    if words.iter().any(|w| {
        PROSE.contains(
            &w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
                .as_str(),
        )
    }) {
        return Vec::new();
    }
    // Every word must be letters, digits and inner hyphens only.
    let well_formed = |w: &str| {
        !w.starts_with('-')
            && !w.ends_with('-')
            && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    if !words.iter().all(|w| well_formed(w)) {
        return Vec::new();
    }
    let groups: Vec<Vec<String>> = if words.len() > 1 && words.iter().all(|w| w.contains('-')) {
        // "abcd-efgh ijkl-mnop": hyphenated codes separated by spaces.
        words.iter().map(|w| vec![(*w).to_owned()]).collect()
    } else if words.len() >= 4
        && words.len().is_multiple_of(2)
        && words
            .iter()
            .all(|w| w.len() == 4 && w.chars().all(|c| c.is_ascii_digit()))
    {
        // "1234 5678 2345 6789": 8-digit codes shown as two groups of four.
        words.chunks(2).map(|p| vec![p.join(" ")]).collect()
    } else {
        vec![vec![words.join(" ")]]
    };
    groups
        .into_iter()
        .flatten()
        .filter(|code| {
            let n = normalize(code);
            let has_digit = n.chars().any(|c| c.is_ascii_digit());
            let parts: Vec<&str> = code.split([' ', '-']).collect();
            // Codes without digits must at least look like a grid: 3+ equal groups.
            let regular_groups = parts.len() >= 3
                && parts
                    .iter()
                    .all(|p| p.len() == parts[0].len() && p.len() >= 4);
            (6..=40).contains(&n.len()) && (has_digit || regular_groups)
        })
        .collect()
}

/// Parses a pasted block into single codes, in order, without duplicates.
pub fn parse(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for raw_line in text.lines() {
        let line = raw_line
            .replace(['\u{a0}', '\u{2009}', '\u{202f}'], " ")
            .replace(['\u{2010}', '\u{2011}', '\u{2013}'], "-");
        // Columns: tabs, commas, semicolons, pipes, or two or more spaces.
        let mut chunks = Vec::new();
        for part in line.split(['\t', ',', ';', '|']) {
            let mut rest = part;
            while let Some(i) = rest.find("  ") {
                chunks.push(&rest[..i]);
                rest = rest[i..].trim_start();
            }
            chunks.push(rest);
        }
        for chunk in chunks {
            let chunk = strip_numbering(chunk);
            // A trailing "(used)" or "✓" marks a code someone crossed off.
            let chunk = chunk.trim_end_matches(['✓', '✔', '✗', '*']).trim();
            for code in codes_in_chunk(chunk) {
                if seen.insert(normalize(&code)) {
                    out.push(code);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_for_comparison() {
        assert_eq!(normalize("ABcd-1234 5678"), "abcd12345678");
    }

    #[test]
    fn prose_dates_and_numbering_are_ignored() {
        let text = "Backup codes for acme\nKeep these somewhere safe\nGenerated on 2026-01-05 10:30\n1. 1234 5678\n2) 2345 6789\n#3 3456 7890\n";
        assert_eq!(parse(text), vec!["1234 5678", "2345 6789", "3456 7890"]);
    }
}
