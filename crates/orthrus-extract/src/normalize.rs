//! Text normalisation shared by every extractor: one canonical form for digits,
//! spaces and dashes, and an accent-free lower-case "folded" form for keyword
//! matching that keeps a map back to the normalised text.

/// First code point (the zero) of every block of ten decimal digits outside
/// ASCII that a verification message may plausibly use.
const DIGIT_ZEROS: &[u32] = &[
    0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66,
    0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
    0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
    0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6,
];

/// The ASCII digit a Unicode decimal digit stands for, if it is one we know.
pub(crate) fn ascii_digit(c: char) -> Option<char> {
    let cp = c as u32;
    if c.is_ascii_digit() {
        return Some(c);
    }
    DIGIT_ZEROS
        .iter()
        .find(|&&zero| cp >= zero && cp < zero + 10)
        .and_then(|&zero| char::from_digit(cp - zero, 10))
}

/// Maps one character to its canonical form; `None` drops it.
fn canonical(c: char) -> Option<char> {
    if let Some(d) = ascii_digit(c) {
        return Some(d);
    }
    let cp = c as u32;
    match cp {
        // Full-width Latin letters.
        0xFF21..=0xFF3A | 0xFF41..=0xFF5A => char::from_u32(cp - 0xFF21 + 0x41),
        // Zero-width characters, soft hyphen, bidi controls, BOM: invisible, often
        // inserted between digits by templates or around numbers in RTL text.
        0x00AD
        | 0x034F
        | 0x061C
        | 0x180E
        | 0x200B..=0x200F
        | 0x202A..=0x202E
        | 0x2060..=0x2064
        | 0x2066..=0x2069
        | 0xFEFF => None,
        0x00A0 | 0x1680 | 0x2000..=0x200A | 0x202F | 0x205F | 0x3000 => Some(' '),
        0x2010..=0x2013 | 0x2212 | 0xFE63 | 0xFF0D => Some('-'),
        0x2028 | 0x2029 | 0x0B | 0x0C | 0x85 => Some('\n'),
        _ if c == '\r' => None,
        _ if c.is_control() && c != '\n' && c != '\t' => Some(' '),
        _ => Some(c),
    }
}

/// Canonical text: digits in ASCII, one kind of space and dash, collapsed
/// whitespace (tabs mark table-cell boundaries and survive), at most one blank
/// line in a row, and no more than `limit` characters.
pub(crate) fn normalize(input: &str, limit: usize) -> String {
    let mut out = String::with_capacity(input.len().min(limit * 4));
    let mut count = 0usize;
    // Pending whitespace: 0 none, 1 space, 2 tab, 3.. newlines (3 = one, 4 = two).
    let mut pending: u8 = 0;
    for c in input.chars().filter_map(canonical) {
        if count >= limit {
            break;
        }
        match c {
            ' ' => pending = pending.max(1),
            '\t' => pending = pending.max(2),
            '\n' => pending = if pending >= 3 { 4 } else { 3 },
            _ => {
                if !out.is_empty() {
                    let ws = match pending {
                        0 => "",
                        1 => " ",
                        2 => "\t",
                        3 => "\n",
                        _ => "\n\n",
                    };
                    out.push_str(ws);
                    count += ws.len();
                }
                pending = 0;
                out.push(c);
                count += 1;
            }
        }
    }
    out
}

/// Folds one character for matching: lower case, Latin/Greek/Cyrillic and
/// Vietnamese diacritics removed (SMS often drop them: "codigo", "ma xac thuc").
fn fold_char(c: char, out: &mut impl FnMut(char)) {
    let cp = c as u32;
    let special = match c {
        'đ' | 'Đ' => Some('d'),
        'ł' | 'Ł' => Some('l'),
        'ø' | 'Ø' => Some('o'),
        'ı' | 'İ' => Some('i'),
        'ß' => Some('s'),
        'æ' | 'Æ' => Some('a'),
        'œ' | 'Œ' => Some('o'),
        '’' | 'ʼ' | '‘' | '`' | '´' => Some('\''),
        _ => None,
    };
    if let Some(s) = special {
        out(s);
        return;
    }
    if cp < 0x0530 || (0x1E00..=0x1EFF).contains(&cp) {
        unicode_normalization::char::decompose_canonical(c, |d| {
            let dp = d as u32;
            if !(0x0300..=0x036F).contains(&dp) {
                for l in d.to_lowercase() {
                    out(l);
                }
            }
        });
    } else {
        let mut lower = c.to_lowercase();
        match (lower.next(), lower.next()) {
            (Some(l), None) => out(l),
            _ => out(c),
        }
    }
}

/// Folds a keyword (build time) the same way the text is folded.
pub(crate) fn fold_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        fold_char(c, &mut |f| out.push(f));
    }
    out
}

/// The normalised text as characters, plus its folded form with a map from
/// every folded byte back to the character it came from.
pub(crate) struct Folded {
    pub chars: Vec<char>,
    pub folded: String,
    /// `origin[b]` is the index in `chars` of the character that produced
    /// folded byte `b`; one extra entry at the end holds `chars.len()`.
    pub origin: Vec<u32>,
}

impl Folded {
    pub(crate) fn new(text: &str) -> Self {
        let chars: Vec<char> = text.chars().collect();
        let mut folded = String::with_capacity(text.len());
        let mut origin = Vec::with_capacity(text.len() + 1);
        for (i, &c) in chars.iter().enumerate() {
            let idx = u32::try_from(i).unwrap_or(u32::MAX);
            fold_char(c, &mut |f| {
                folded.push(f);
                for _ in 0..f.len_utf8() {
                    origin.push(idx);
                }
            });
        }
        origin.push(u32::try_from(chars.len()).unwrap_or(u32::MAX));
        Folded {
            chars,
            folded,
            origin,
        }
    }

    /// Character range in `chars` covered by the folded byte range.
    pub(crate) fn char_range(&self, start: usize, end: usize) -> (usize, usize) {
        let s = self.origin.get(start).copied().unwrap_or(0) as usize;
        let e = if end == 0 {
            s
        } else {
            self.origin
                .get(end - 1)
                .map_or(self.chars.len(), |&i| i as usize + 1)
        };
        (s, e.max(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_of_many_scripts_become_ascii() {
        assert_eq!(
            normalize("١٢٣٤٥٦ ۷۸۹ १२३ １２３ ๑๒๓", 100),
            "123456 789 123 123 123"
        );
    }

    #[test]
    fn whitespace_collapses_but_keeps_cells_and_paragraphs() {
        assert_eq!(
            normalize("a \u{a0} b\r\n\r\n\r\n\tc\td", 100),
            "a b\n\nc\td"
        );
    }

    #[test]
    fn folding_drops_accents() {
        assert_eq!(
            fold_str("Código VERIFICAÇÃO Mã xác thực"),
            "codigo verificacao ma xac thuc"
        );
        let f = Folded::new("Ñandú 12");
        assert_eq!(f.folded, "nandu 12");
        assert_eq!(f.char_range(0, 5), (0, 5));
    }
}
