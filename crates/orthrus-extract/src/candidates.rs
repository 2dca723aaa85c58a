//! Tokens that could be a one-time code, found by shape alone: runs of ASCII
//! letters and digits, joined again where a template split them ("123 456",
//! "4K9-QZ2", one digit per table cell), minus tokens that are plainly part of
//! a URL, an e-mail address, a phone number, a date, a time or a number with
//! decimals.

/// What a candidate is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Digits,
    /// Letters and digits.
    Alnum,
    /// Upper-case letters only: accepted only right after a code keyword.
    Letters,
}

#[derive(Debug, Clone)]
pub(crate) struct Cand {
    /// Character range in the normalised text.
    pub start: usize,
    pub end: usize,
    /// The code without separators or prefix, letters in the case they were
    /// sent in (an app may tell `4kx9pz` from `4KX9PZ`).
    pub code: String,
    pub kind: Kind,
    /// Written in groups ("123 456", "123-456").
    pub grouped: bool,
    /// Carried a `G-` or `FB-` prefix.
    pub prefixed: bool,
}

#[derive(Debug, Clone, Copy)]
struct Atom {
    start: usize,
    end: usize,
}

/// Upper-case words that are never codes even right after "code:".
const STOPWORDS: &[&str] = &[
    "HERE",
    "BELOW",
    "ABOVE",
    "THIS",
    "THAT",
    "YOUR",
    "NOTE",
    "EXPIRED",
    "INVALID",
    "VALID",
    "SENT",
    "EMAIL",
    "TEXT",
    "NULL",
    "NONE",
    "TRUE",
    "FALSE",
    "HTTP",
    "HTTPS",
    "HTML",
    "CLICK",
    "ENTER",
    "COPY",
    "PASTE",
    "WILL",
    "WITH",
    "FROM",
    "ONLY",
    "ONCE",
    "NEVER",
    "DONT",
    "SHARE",
    "PLEASE",
    "THANKS",
    "HELLO",
    "DEAR",
    "USER",
    "ACCOUNT",
    "LOGIN",
    "SIGN",
    "SECURITY",
    "ALERT",
    "IMPORTANT",
    "URGENT",
    "WARNING",
    "NOTICE",
    "AND",
    "THE",
    "FOR",
    "YOU",
    "IS",
    "ARE",
];

fn is_atom_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// Character ranges of URLs and e-mail-like words, where nothing is a code.
fn url_spans(chars: &[char]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars.get(i).is_some_and(|c| c.is_whitespace()) {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && !chars.get(i).is_some_and(|c| c.is_whitespace()) {
            i += 1;
        }
        let word: String = chars.get(start..i).unwrap_or(&[]).iter().collect();
        let lower = word.to_ascii_lowercase();
        if lower.contains("://") || lower.contains("www.") || lower.starts_with("mailto:") {
            spans.push((start, i));
        }
    }
    spans
}

/// Character ranges of phone numbers: `+44 7700 900123`, `(415) 555-0134`,
/// `1-800-555-0100`, `0800 123 4567`.
fn phone_spans(chars: &[char]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars.get(i).copied().unwrap_or(' ');
        let starts = c.is_ascii_digit()
            || ((c == '+' || c == '(') && chars.get(i + 1).is_some_and(char::is_ascii_digit));
        let prev_ok = i == 0 || !chars.get(i - 1).is_some_and(|p| p.is_ascii_alphanumeric());
        if !(starts && prev_ok) {
            i += 1;
            continue;
        }
        let plus = c == '+';
        let mut j = i;
        let (mut digits, mut groups, mut in_group) = (0usize, 0usize, false);
        let (mut paren, mut hard_sep, mut single_groups) = (false, false, 0usize);
        let mut group_len = 0usize;
        let mut last_digit = i;
        while let Some(&ch) = chars.get(j) {
            if ch.is_ascii_digit() {
                if !in_group {
                    groups += 1;
                    group_len = 0;
                }
                in_group = true;
                digits += 1;
                group_len += 1;
                last_digit = j;
            } else if matches!(ch, ' ' | '-' | '.' | '(' | ')' | '+') {
                if in_group && group_len == 1 {
                    single_groups += 1;
                }
                if ch == '(' || ch == ')' {
                    paren = true;
                }
                if ch == '-' || ch == '.' {
                    hard_sep = true;
                }
                let next = chars.get(j + 1).copied().unwrap_or(' ');
                let ok_next = next.is_ascii_digit() || (next == '(' || (ch == ')' && next == ' '));
                if (ch == '+' && j != i) || !ok_next {
                    break;
                }
                in_group = false;
            } else {
                break;
            }
            j += 1;
        }
        if in_group && group_len == 1 {
            single_groups += 1;
        }
        let spaced_digits = single_groups == groups;
        let phone = ((plus || paren) && digits >= 7)
            || (!spaced_digits && groups >= 2 && (10..=15).contains(&digits))
            || (!spaced_digits && hard_sep && groups >= 3 && digits >= 9);
        if phone {
            spans.push((i, last_digit + 1));
        }
        i = last_digit.max(i) + 1;
    }
    spans
}

fn overlaps(spans: &[(usize, usize)], s: usize, e: usize) -> bool {
    spans.iter().any(|&(a, b)| a < e && s < b)
}

/// Whether the punctuation on one side of a token glues it into a bigger
/// word: `a/b`, `x@y`, `1,050.00`, `10:15`, `FA+9q`.
fn glued(chars: &[char], start: usize, end: usize) -> bool {
    let at = |i: Option<usize>| i.and_then(|i| chars.get(i)).copied();
    let first = at(Some(start));
    let last = at(end.checked_sub(1));
    let sides = [
        (at(start.checked_sub(1)), at(start.checked_sub(2)), first),
        (at(Some(end)), at(Some(end + 1)), last),
    ];
    for (p, beyond, inner) in sides {
        let Some(p) = p else { continue };
        let beyond_alnum = beyond.is_some_and(|b| b.is_ascii_alphanumeric());
        let digit_pair =
            inner.is_some_and(|c| c.is_ascii_digit()) && beyond.is_some_and(|b| b.is_ascii_digit());
        let alpha_pair = inner.is_some_and(|c| c.is_ascii_alphabetic())
            && beyond.is_some_and(|b| b.is_ascii_alphabetic());
        let glue = match p {
            '/' | '\\' | '@' | '_' | '&' | '~' | '|' | '^' => true,
            '=' | '+' => beyond_alnum,
            '.' | ',' => digit_pair || alpha_pair,
            ':' => digit_pair,
            '\'' | '’' => alpha_pair,
            _ => false,
        };
        if glue {
            return true;
        }
    }
    // "+1 555…", "****1234", "•••• 1234": international prefix or masked digits.
    let before = at(start.checked_sub(1));
    let before2 = at(start.checked_sub(2));
    matches!(before, Some('+' | '*' | '•' | '●' | '∙'))
        || (before == Some(' ') && matches!(before2, Some('*' | '•' | '●' | '∙')))
}

/// Letters of another script touching a token: "CÓDIGO" must not yield "DIGO".
fn touches_letters(chars: &[char], start: usize, end: usize) -> bool {
    let before = start.checked_sub(1).and_then(|i| chars.get(i));
    let after = chars.get(end);
    [before, after]
        .into_iter()
        .flatten()
        .any(|c| c.is_alphabetic() && !c.is_ascii())
}

fn atoms(chars: &[char]) -> Vec<Atom> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars.get(i).copied().is_some_and(is_atom_char) {
            let start = i;
            while chars.get(i).copied().is_some_and(is_atom_char) {
                i += 1;
            }
            out.push(Atom { start, end: i });
        } else {
            i += 1;
        }
    }
    out
}

fn text_of(chars: &[char], a: Atom) -> String {
    chars.get(a.start..a.end).unwrap_or(&[]).iter().collect()
}

/// Classifies one hyphen-joined unit (one or more atoms).
fn classify(chars: &[char], unit: &[Atom]) -> Option<Cand> {
    let (first, last) = (unit.first()?, unit.last()?);
    if glued(chars, first.start, last.end) {
        return None;
    }
    let mut groups: Vec<String> = unit.iter().map(|&a| text_of(chars, a)).collect();
    let prefixed =
        groups.len() >= 2 && matches!(groups.first().map(String::as_str), Some("G" | "FB"));
    if prefixed {
        groups.remove(0);
    }
    let joined: String = groups.concat();
    let len = joined.len();
    if !(4..=10).contains(&len) {
        return None;
    }
    let digits = joined.chars().filter(char::is_ascii_digit).count();
    let upper = joined.chars().filter(char::is_ascii_uppercase).count();
    let lower = joined.chars().filter(char::is_ascii_lowercase).count();
    let lens: Vec<usize> = groups.iter().map(String::len).collect();
    if groups.len() > 1 {
        let equalish = lens.iter().all(|&l| (2..=5).contains(&l))
            && lens.iter().max().copied().unwrap_or(0) - lens.iter().min().copied().unwrap_or(0)
                <= 1;
        if digits == len {
            // Dates (2026-11-19), US phones (555-0134), ZIP+4 (98109-5210).
            let strict = lens.iter().all(|&l| Some(&l) == lens.first());
            if !strict || lens.contains(&4) && lens.len() == 3 || short_date(&groups) {
                return None;
            }
        } else if !equalish {
            return None;
        }
    }
    let kind = if digits == len {
        Kind::Digits
    } else if upper > 0 && lower > 0 {
        return None;
    } else if digits > 0 {
        if unit_like(&joined) {
            return None;
        }
        Kind::Alnum
    } else {
        if lower > 0 || STOPWORDS.contains(&joined.as_str()) {
            return None;
        }
        Kind::Letters
    };
    if kind != Kind::Digits && touches_letters(chars, first.start, last.end) {
        return None;
    }
    Some(Cand {
        start: first.start,
        end: last.end,
        code: joined,
        kind,
        grouped: groups.len() > 1,
        prefixed,
    })
}

/// "20-11-26", "11-20-26": three two-digit groups that read as a date.
fn short_date(groups: &[String]) -> bool {
    let n: Vec<u32> = groups.iter().filter_map(|g| g.parse().ok()).collect();
    let day = |x: u32| (1..=31).contains(&x);
    let month = |x: u32| (1..=12).contains(&x);
    match n.as_slice() {
        [a, b, c] if groups.iter().all(|g| g.len() == 2) => {
            (day(*a) && month(*b)) || (month(*a) && day(*b)) || (month(*b) && day(*c))
        }
        _ => false,
    }
}

/// "10h30", "1080p", "24h", "100MB", "2nd", "XX1234": numbers with a unit or
/// a mask, not codes.
fn unit_like(s: &str) -> bool {
    let lead_digits = s.chars().take_while(char::is_ascii_digit).count();
    let rest = s.get(lead_digits..).unwrap_or("");
    let rest_letters = rest.chars().take_while(char::is_ascii_alphabetic).count();
    let tail = rest.get(rest_letters..).unwrap_or("");
    let masked = s.len() > 4
        && s.chars().take_while(|c| matches!(c, 'x' | 'X')).count() >= 2
        && s.trim_start_matches(['x', 'X'])
            .chars()
            .all(|c| c.is_ascii_digit());
    masked
        || (lead_digits > 0 && rest_letters <= 2 && tail.is_empty())
        || (lead_digits > 0
            && lead_digits <= 2
            && rest_letters == 1
            && tail.len() == 2
            && tail.chars().all(|c| c.is_ascii_digit()))
}

/// Every candidate token in the text, in order.
pub(crate) fn candidates(chars: &[char]) -> Vec<Cand> {
    let urls = url_spans(chars);
    let phones = phone_spans(chars);
    let atoms = atoms(chars);
    // Hyphen units: atoms joined by a single '-'.
    let mut units: Vec<Vec<Atom>> = Vec::new();
    for a in atoms {
        let joined = units
            .last()
            .and_then(|u| u.last())
            .is_some_and(|prev| a.start == prev.end + 1 && chars.get(prev.end) == Some(&'-'));
        match units.last_mut() {
            Some(u) if joined => u.push(a),
            _ => units.push(vec![a]),
        }
    }
    let mut out = Vec::new();
    let keep = |c: &Cand| !overlaps(&urls, c.start, c.end) && !overlaps(&phones, c.start, c.end);
    // Start of the current run of space-joined digit groups, and its end.
    let (mut run_start, mut run_end) = (0usize, 0usize);
    let mut i = 0;
    while i < units.len() {
        if i >= run_end {
            run_start = i;
            run_end = i + 1;
            while run_end < units.len() && spaced_join(chars, &units, run_end - 1) {
                run_end += 1;
            }
        }
        // Space/cell-separated digit groups: "123 456", "4 0 2 9 1 8". A
        // run too long to be one code ("1 2 3 … 40") is a list of numbers,
        // though a code may still start inside a short one ("on 20 123 456").
        let run_len = run_end - i;
        if (2..=MAX_GROUPS).contains(&run_len)
            && run_end - run_start <= MAX_GROUPS + 2
            && let Some(c) = spaced_candidate(chars, units.get(i..run_end).unwrap_or(&[]))
        {
            if keep(&c) {
                out.push(c);
            }
            i = run_end;
            continue;
        }
        if let Some(unit) = units.get(i)
            && let Some(c) = classify(chars, unit)
            && keep(&c)
        {
            out.push(c);
        }
        i += 1;
    }
    out
}

/// Most groups a spaced code is written in (one digit per group).
const MAX_GROUPS: usize = 10;

fn digit_atom(chars: &[char], unit: &[Atom]) -> Option<Atom> {
    match unit {
        [a] if (1..=4).contains(&(a.end - a.start))
            && chars
                .get(a.start..a.end)
                .is_some_and(|s| s.iter().all(char::is_ascii_digit)) =>
        {
            Some(*a)
        }
        _ => None,
    }
}

/// Whether unit `j` and unit `j + 1` are digit groups of one spaced code.
fn spaced_join(chars: &[char], units: &[Vec<Atom>], j: usize) -> bool {
    let (Some(a), Some(b)) = (
        units.get(j).and_then(|u| digit_atom(chars, u)),
        units.get(j + 1).and_then(|u| digit_atom(chars, u)),
    ) else {
        return false;
    };
    let gap = chars.get(a.end..b.start).unwrap_or(&[]);
    let single = a.end - a.start == 1 && b.end - b.start == 1;
    match gap {
        [' ' | '\t'] => true,
        g if single && !g.is_empty() && g.len() <= 3 => g.iter().all(|c| c.is_whitespace()),
        _ => false,
    }
}

fn spaced_candidate(chars: &[char], chain: &[Vec<Atom>]) -> Option<Cand> {
    let atoms: Vec<Atom> = chain.iter().filter_map(|u| digit_atom(chars, u)).collect();
    let (first, last) = (atoms.first()?, atoms.last()?);
    let lens: Vec<usize> = atoms.iter().map(|a| a.end - a.start).collect();
    let total: usize = lens.iter().sum();
    let all_single = lens.iter().all(|&l| l == 1);
    let equal =
        lens.iter().all(|&l| Some(&l) == lens.first()) && lens.first().is_some_and(|&l| l >= 2);
    if !(4..=10).contains(&total) || !(all_single || equal) {
        return None;
    }
    if glued(chars, first.start, last.end) {
        return None;
    }
    let code: String = atoms.iter().map(|&a| text_of(chars, a)).collect();
    Some(Cand {
        start: first.start,
        end: last.end,
        code,
        kind: Kind::Digits,
        grouped: true,
        prefixed: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(s: &str) -> Vec<String> {
        let chars: Vec<char> = s.chars().collect();
        candidates(&chars).into_iter().map(|c| c.code).collect()
    }

    #[test]
    fn shapes() {
        assert_eq!(codes("123 456 is it"), ["123456"]);
        assert_eq!(codes("code 4K9-QZ2 ok"), ["4K9QZ2"]);
        assert_eq!(codes("G-412093"), ["412093"]);
        assert_eq!(codes("1\t2\t3\t4\t5\t6"), ["123456"]);
        assert_eq!(codes("on 11/24/2026 at 10:15 AM"), Vec::<String>::new());
        assert_eq!(
            codes("Call 1-800-555-0100 or (415) 555-0134"),
            Vec::<String>::new()
        );
        assert_eq!(
            codes("You paid $1,050.00 on 2026-11-19."),
            Vec::<String>::new()
        );
        assert_eq!(codes("8841 FA+9qCX9VSu"), ["8841"]);
        assert_eq!(
            codes("see https://x.test/a/123456 now"),
            Vec::<String>::new()
        );
        assert_eq!(codes("+44 7700 900123"), Vec::<String>::new());
        assert_eq!(codes("CÓDIGO 1234 XX1234 10h30"), ["1234"]);
    }
}
