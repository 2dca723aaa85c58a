//! One-time code extraction: find every token that could be a code (digits,
//! spaced or hyphenated digit groups, upper-case alphanumerics), throw out
//! what is plainly something else (URLs, phone numbers, dates, times, money),
//! then score the rest by how close they sit to words that announce a code
//! and how far from words that name orders, references, amounts or coupons.

use std::sync::LazyLock;

use crate::candidates::{Cand, Kind, candidates};
use crate::keywords::{CODE_KEYWORDS, CodeKw};
use crate::matcher::{Hit, Matcher};
use crate::normalize::Folded;

static CODE_MATCHER: LazyLock<Matcher<CodeKw>> = LazyLock::new(|| Matcher::new(CODE_KEYWORDS));

/// Minimum score for a candidate to be reported as the code.
const THRESHOLD: f32 = 4.5;
/// A keyword further away than this (in weighted characters) says nothing.
const MAX_REACH: f32 = 400.0;

/// A scored candidate.
#[derive(Debug, Clone)]
pub(crate) struct Scored {
    pub code: String,
    pub score: f32,
}

/// One analysed piece of text (the subject, or one body).
struct Seg {
    f: Folded,
    /// Keyword hits in text order.
    hits: Vec<Hit<CodeKw>>,
    /// Weighted distance prefix sums: line breaks and sentence ends count extra.
    cost: Vec<f32>,
    /// Line number of every character.
    line: Vec<u32>,
    /// Positive hits that a nearby modifier turns into "promo code" etc.
    neutral: Vec<bool>,
}

/// Longest keyword, in characters: bounds the hit windows below.
const MAX_KEYWORD_CHARS: usize = 48;

impl Seg {
    fn new(text: &str) -> Seg {
        let f = Folded::new(text);
        let hits = CODE_MATCHER.find(&f);
        let mut cost = Vec::with_capacity(f.chars.len() + 1);
        let mut line = Vec::with_capacity(f.chars.len() + 1);
        let (mut acc, mut ln) = (0.0f32, 0u32);
        cost.push(acc);
        for (i, &c) in f.chars.iter().enumerate() {
            line.push(ln);
            acc += match c {
                '\n' => 15.0,
                '\t' => 2.0,
                '.' | '!' | '?' | '。' | '！' | '？' | ';'
                    if f.chars.get(i + 1).is_none_or(|n| n.is_whitespace()) =>
                {
                    10.0
                }
                _ => 1.0,
            };
            if c == '\n' {
                ln += 1;
            }
            cost.push(acc);
        }
        line.push(ln);
        let mut seg = Seg {
            f,
            hits,
            cost,
            line,
            neutral: Vec::new(),
        };
        seg.neutral = (0..seg.hits.len()).map(|i| seg.is_neutralised(i)).collect();
        seg
    }

    /// Whether positive hit `i` is qualified away: "promo code", "código
    /// postal", or a label right before it ("Reservation code"; short labels
    /// such as "ID" in "Apple ID code" do not count).
    fn is_neutralised(&self, i: usize) -> bool {
        let Some(h) = self.hits.get(i) else {
            return false;
        };
        if !matches!(h.kind, CodeKw::Pos(_)) {
            return false;
        }
        self.near(h.start, h.end, 16).iter().any(|m| {
            if !self.same_line(h.start, m.start) {
                return false;
            }
            let d = self.gap(h.start, h.end, m.start, m.end);
            let modifier = m.kind == CodeKw::Modifier && d <= 14.0;
            let label = m.kind == CodeKw::Label
                && m.end <= h.start
                && m.end - m.start >= 4
                && self
                    .f
                    .chars
                    .get(m.end..h.start)
                    .is_some_and(|g| g.len() <= 2 && g.iter().all(|&c| c == ' ' || c == '-'));
            modifier || label
        })
    }

    /// Index range of the hits that start within `reach` characters of
    /// `start..end` (weighted distances are never shorter than these).
    fn near_range(&self, start: usize, end: usize, reach: usize) -> std::ops::Range<usize> {
        let lo = start.saturating_sub(reach + MAX_KEYWORD_CHARS);
        let hi = end.saturating_add(reach);
        let a = self.hits.partition_point(|h| h.start < lo);
        let b = self.hits.partition_point(|h| h.start <= hi);
        a..b.max(a)
    }

    fn near(&self, start: usize, end: usize, reach: usize) -> &[Hit<CodeKw>] {
        self.hits
            .get(self.near_range(start, end, reach))
            .unwrap_or(&[])
    }

    /// Hits near a range with their neutralised flags.
    fn near_flagged(
        &self,
        start: usize,
        end: usize,
        reach: usize,
    ) -> impl Iterator<Item = (&Hit<CodeKw>, bool)> {
        let r = self.near_range(start, end, reach);
        let flags = self.neutral.get(r.clone()).unwrap_or(&[]);
        self.hits
            .get(r)
            .unwrap_or(&[])
            .iter()
            .zip(flags.iter().copied())
    }

    fn at(&self, i: usize) -> f32 {
        self.cost.get(i).copied().unwrap_or(f32::MAX)
    }

    fn same_line(&self, a: usize, b: usize) -> bool {
        self.line.get(a) == self.line.get(b)
    }

    /// Weighted distance between two character ranges (0 when they touch).
    fn gap(&self, a_start: usize, a_end: usize, b_start: usize, b_end: usize) -> f32 {
        if a_end <= b_start {
            (self.at(b_start) - self.at(a_end)).max(0.0)
        } else if b_end <= a_start {
            (self.at(a_start) - self.at(b_end)).max(0.0)
        } else {
            0.0
        }
    }

    fn text(&self, s: usize, e: usize) -> String {
        self.f
            .chars
            .get(s..e)
            .map_or_else(String::new, |c| c.iter().collect())
    }

    /// Strongest unneutralised code keyword in the segment.
    fn best_keyword(&self) -> f32 {
        self.hits
            .iter()
            .zip(&self.neutral)
            .filter_map(|(h, &n)| match h.kind {
                CodeKw::Pos(w) if !n => Some(w),
                _ => None,
            })
            .fold(0.0, f32::max)
    }
}

/// Proximity weight of a keyword at weighted distance `d`.
fn prox(d: f32) -> f32 {
    if d > MAX_REACH {
        0.0
    } else {
        1.0 / (1.0 + d / 30.0)
    }
}

/// Words that may stand between a keyword and its code ("code is 1234").
#[rustfmt::skip]
const CONNECTORS: &[&str] = &[
    "is", "is:", "es", "est", "ist", "e", "lautet", "sono", "to", "jest", "je", "это", "adalah",
    "ialah", "la", "là", "cua", "ban", "your", "tu", "su", "votre", "ton", "dein", "ihr", "il",
    "tuo", "o", "seu", "sua", "uw", "ваш", "twoj", "sizin", "anda", "kamu", "here", "below", "of",
    "de", "do", "da", "del", "du", "der", "для", "dla", "是", "为", "為", "は", "คือ", "هو", "הוא",
    "है", "new", "nuevo", "novo", "nouveau", "neuer", "nuovo", "follows", "as",
];

/// Whether the text between a keyword and a code is only connector words.
fn tight_gap(gap: &str) -> bool {
    if gap.contains('\n') || gap.chars().count() > 24 {
        return false;
    }
    let cleaned: String = gap
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c.is_whitespace() {
                c
            } else {
                ' '
            }
        })
        .collect();
    let words: Vec<String> = cleaned
        .split_whitespace()
        .map(crate::normalize::fold_str)
        .collect();
    words.len() <= 3 && words.iter().all(|w| CONNECTORS.contains(&w.as_str()))
}

/// "Пароль для входа в Приват24: 4829": the code follows a colon that ends a
/// clause naming a code.
fn colon_clause(seg: &Seg, c: &Cand) -> bool {
    let chars = &seg.f.chars;
    let mut i = c.start;
    while i > 0 && matches!(chars.get(i - 1), Some(' ' | '[' | '(' | '"' | '«' | '*')) {
        i -= 1;
    }
    if !matches!(
        i.checked_sub(1).and_then(|p| chars.get(p)),
        Some(':' | '：')
    ) {
        return false;
    }
    let colon = i - 1;
    let clause_start = chars
        .get(..colon)
        .unwrap_or(&[])
        .iter()
        .rposition(|&ch| matches!(ch, '\n' | '.' | '!' | '?' | '。' | '！' | '？'))
        .map_or(0, |p| p + 1);
    let reach = colon.saturating_sub(clause_start);
    seg.near_flagged(clause_start, colon, reach).any(|(h, n)| {
        matches!(h.kind, CodeKw::Pos(w) if w >= 0.5)
            && !n
            && h.start >= clause_start
            && h.end <= colon
    })
}

/// The message is little more than the code ("123456", "<#> 123456",
/// "Instagram 123456").
fn bare(chars: &[char], c: &Cand) -> bool {
    if chars.len() > 40 || c.kind != Kind::Digits {
        return false;
    }
    let rest: String = chars
        .iter()
        .enumerate()
        .filter(|(i, _)| *i < c.start || *i >= c.end)
        .map(|(_, &ch)| ch)
        .collect();
    rest.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphabetic))
        .count()
        <= 1
}

/// Vowel-rich letters ("WELCOME15", "SAVE2024") read as a word: promo codes
/// and names. Generated codes avoid vowels or have few by chance.
fn wordlike(code: &str) -> bool {
    let letters: Vec<char> = code.chars().take_while(char::is_ascii_alphabetic).collect();
    let vowels = letters
        .iter()
        .filter(|c| "AEIOU".contains(c.to_ascii_uppercase()))
        .count();
    letters.len() >= 3 && vowels >= 2
}

/// Candidate is alone on its line or in its cell.
fn standalone(chars: &[char], c: &Cand) -> bool {
    let before = chars.get(..c.start).unwrap_or(&[]);
    let after = chars.get(c.end..).unwrap_or(&[]);
    let edge = |x: Option<&char>| x.is_none_or(|&ch| ch == '\n' || ch == '\t');
    let trim = |ch: &&char| **ch == ' ' || "[](){}*\"'«»「」【】:".contains(**ch);
    let prev = before.iter().rev().find(|ch| !trim(ch));
    let next = after.iter().find(|ch| !trim(ch));
    edge(prev) && (edge(next) || next.is_some_and(|&ch| ch == '.'))
}

/// What the code keywords around a candidate say.
struct Evidence {
    /// Strength of the best keyword plus half the runner-up.
    pos: f32,
    /// Weighted distance to the best keyword.
    best_d: f32,
    /// A strong keyword stands right before it ("code: 1234", "код 1234").
    tight: bool,
}

fn keyword_evidence(seg: &Seg, c: &Cand) -> Evidence {
    let mut best = (0.0f32, f32::MAX);
    let mut second = 0.0f32;
    let mut tight = false;
    for (h, neutral) in seg.near_flagged(c.start, c.end, MAX_REACH as usize) {
        let CodeKw::Pos(w) = h.kind else { continue };
        if neutral {
            continue;
        }
        let d = seg.gap(h.start, h.end, c.start, c.end);
        let p = w * prox(d);
        if p > best.0 {
            second = best.0;
            best = (p, d);
        } else if p > second {
            second = p;
        }
        if h.end <= c.start && d <= 30.0 && w >= 0.8 && tight_gap(&seg.text(h.end, c.start)) {
            tight = true;
        }
    }
    Evidence {
        pos: best.0 + 0.5 * second,
        best_d: best.1,
        tight,
    }
}

/// Score for the shape alone: six digits is the most common code.
fn shape_score(c: &Cand) -> f32 {
    let base = match c.kind {
        Kind::Digits => match c.code.len() {
            6 => 3.0,
            8 => 2.6,
            4 | 5 => 2.4,
            7 => 2.3,
            _ => 1.5,
        },
        Kind::Alnum => 2.0,
        Kind::Letters => 0.8,
    };
    base + if c.grouped { 0.3 } else { 0.0 } + if c.prefixed { 4.0 } else { 0.0 }
}

/// Scores every candidate of one segment. `subject_kw` is the strongest code
/// keyword of the subject line, which vouches for the whole body.
fn score_segment(seg: &Seg, subject_kw: f32, in_subject: bool, out: &mut Vec<Scored>) {
    let chars = &seg.f.chars;
    for c in candidates(chars) {
        // A token that is itself a keyword ("CODE", "PIN1") is not a code.
        if seg
            .near(c.start, c.end, 0)
            .iter()
            .any(|h| h.start < c.end && c.start < h.end)
        {
            continue;
        }
        let ev = keyword_evidence(seg, &c);
        let mut score = shape_score(&c) + 5.0 * ev.pos;
        // "signal" is evidence that this message carries a code at all;
        // without any, even a perfect six-digit number is left alone.
        let mut signal = ev.pos + if c.prefixed { 1.0 } else { 0.0 };
        let mut tight = ev.tight;
        if tight {
            score += 1.5;
        }
        if !in_subject && subject_kw > 0.0 {
            score += subject_kw;
            signal += 0.5 * subject_kw;
        }
        if bare(chars, &c) {
            score += 2.0;
            signal += 0.5;
        }
        if colon_clause(seg, &c) {
            score += 1.5;
            tight = true;
        }
        if standalone(chars, &c) {
            score += 0.8;
            // "Your verification code is:\n\n  F4K2P"
            let prev = chars
                .get(..c.start)
                .unwrap_or(&[])
                .iter()
                .rev()
                .find(|&&ch| !ch.is_whitespace() && ch != '*');
            if matches!(prev, Some(':' | '：')) {
                score += 0.7;
                tight |= ev.best_d < 60.0;
            }
        }
        if c.kind == Kind::Letters && !tight {
            continue;
        }
        score -= context_penalty(seg, &c, ev.best_d);
        if score >= THRESHOLD && signal > 0.05 {
            out.push(Scored {
                code: c.code,
                score,
            });
        }
    }
}

/// Penalties from what surrounds a candidate; `pos_d` is the distance of the
/// strongest code keyword, which outweighs a label further away than it.
fn context_penalty(seg: &Seg, c: &Cand, pos_d: f32) -> f32 {
    let chars = &seg.f.chars;
    let mut penalty = 0.0f32;
    for h in seg.near(c.start, c.end, 160) {
        let d = seg.gap(h.start, h.end, c.start, c.end);
        let same_line = seg.same_line(h.start, c.start);
        let outweighed = if pos_d <= d { 0.3 } else { 1.0 };
        match h.kind {
            CodeKw::Currency if d <= 1.0 => penalty += 100.0,
            CodeKw::Unit if h.start >= c.end && d <= 1.0 => penalty += 4.0,
            CodeKw::Label | CodeKw::Modifier if same_line || d <= 20.0 => {
                let before = h.end <= c.start;
                if before && labels_other_number(chars, h.end, c.start) {
                    continue;
                }
                if !before
                    && (labels_next_token(chars, h.end) || sentence_between(chars, c.end, h.start))
                {
                    continue;
                }
                let reach = if before { 30.0 } else { 16.0 };
                if d <= reach {
                    let strength = if d <= 12.0 { 5.0 } else { 3.0 };
                    penalty += strength * outweighed;
                }
            }
            CodeKw::Address if same_line && d <= 40.0 => penalty += 3.0 * outweighed,
            _ => {}
        }
    }
    if c.kind != Kind::Digits {
        if wordlike(&c.code) {
            penalty += 2.5;
        }
        let promo = seg.near(c.start, c.end, 150).iter().any(|h| {
            h.kind == CodeKw::Modifier && seg.gap(h.start, h.end, c.start, c.end) <= 150.0
        });
        if promo {
            penalty += 1.5;
        }
    }
    let prev = c.start.checked_sub(1).and_then(|i| chars.get(i)).copied();
    if prev == Some('#') {
        penalty += 2.0;
    }
    if c.kind == Kind::Digits && c.code.len() == 4 {
        let year = c.code.parse::<u32>().unwrap_or(0);
        if (1950..=2099).contains(&year) {
            penalty += 2.5;
        }
    }
    if c.kind == Kind::Digits && c.code.len() == 5 && us_state_before(chars, c.start) {
        penalty += 5.0;
    }
    penalty
}

/// A label before the candidate names another number when one stands
/// between them ("card ending 1234 is 567890").
fn labels_other_number(chars: &[char], from: usize, to: usize) -> bool {
    chars
        .get(from..to)
        .is_some_and(|g| g.iter().any(char::is_ascii_digit))
}

/// A sentence ends somewhere in `from..to`.
fn sentence_between(chars: &[char], from: usize, to: usize) -> bool {
    chars.get(from..to).is_some_and(|g| {
        g.windows(2)
            .any(|w| matches!(w, ['.' | '!' | '?', ' ' | '\n'] | ['。' | '！' | '？', _]))
            || g.contains(&'\n')
    })
}

/// A label after the candidate names the token that follows it ("482913
/// (Ref: ABCD)", "48291374, amount 2,500,000", "Ref no 99887766") rather
/// than the candidate.
fn labels_next_token(chars: &[char], from: usize) -> bool {
    let is_sep = |c: &char| matches!(c, ' ' | ':' | '#' | '.' | '-' | '№' | '：' | '=');
    let rest = chars.get(from..).unwrap_or(&[]);
    let mut i = rest.iter().take_while(|c| is_sep(c)).count();
    // One short filler word: "no", "nr", "number", "ID".
    let word = rest
        .get(i..)
        .unwrap_or(&[])
        .iter()
        .take_while(|c| c.is_alphabetic())
        .count();
    if (1..=6).contains(&word)
        && rest.get(i + word).is_some_and(is_sep)
        && !rest.get(i).is_some_and(char::is_ascii_uppercase)
    {
        i += word;
        i += rest
            .get(i..)
            .unwrap_or(&[])
            .iter()
            .take_while(|c| is_sep(c))
            .count();
    }
    let mut it = rest.get(i..).unwrap_or(&[]).iter().take(12);
    match it.next() {
        Some(c) if c.is_ascii_digit() => true,
        Some(c) if c.is_ascii_uppercase() => {
            let token: Vec<&char> = std::iter::once(c)
                .chain(it.take_while(|c| c.is_ascii_alphanumeric()))
                .collect();
            token.len() >= 2 && token.iter().all(|c| !c.is_ascii_lowercase())
        }
        _ => false,
    }
}

/// "…, CA 94025": a five-digit number after a two-letter state code.
fn us_state_before(chars: &[char], start: usize) -> bool {
    let Some(b) = start.checked_sub(4) else {
        return false;
    };
    match chars.get(b..start) {
        Some([sep, s1, s2, ' ']) => {
            s1.is_ascii_uppercase() && s2.is_ascii_uppercase() && (*sep == ' ' || *sep == ',')
        }
        _ => false,
    }
}

/// WebOTP / SMS origin binding: a last line `@domain #code`.
pub(crate) fn origin_bound(text: &str) -> Option<(String, String)> {
    text.lines().rev().find_map(|line| {
        let line = line.trim();
        let rest = line.strip_prefix('@')?;
        let (domain, tail) = rest.split_once(' ')?;
        let code_part = tail.trim_start().strip_prefix('#')?;
        let code: String = code_part
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        let domain_ok = domain.contains('.')
            && domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
        (domain_ok && (4..=10).contains(&code.len())).then(|| (domain.to_ascii_lowercase(), code))
    })
}

/// The best code in a message: subject first (it counts as context for the
/// bodies), then every body.
pub(crate) fn find_code(subject: Option<&str>, bodies: &[&str]) -> Option<String> {
    for body in bodies {
        if let Some((_, code)) = origin_bound(body) {
            return Some(code);
        }
    }
    let mut scored = Vec::new();
    let mut subject_kw = 0.0;
    if let Some(s) = subject {
        let seg = Seg::new(s);
        subject_kw = seg.best_keyword();
        score_segment(&seg, 0.0, true, &mut scored);
    }
    for body in bodies {
        let seg = Seg::new(body);
        score_segment(&seg, subject_kw, false, &mut scored);
    }
    best(scored)
}

/// Merges repeated codes (a repeat adds a little; case aside, so `4KX9PZ`
/// repeats `4kx9pz`, which keeps the case it was first seen in) and picks
/// the best.
fn best(scored: Vec<Scored>) -> Option<String> {
    let mut merged: Vec<(String, f32, usize)> = Vec::new();
    for s in scored {
        match merged
            .iter_mut()
            .find(|(c, _, _)| c.eq_ignore_ascii_case(&s.code))
        {
            Some(m) => {
                m.1 = m.1.max(s.score);
                m.2 += 1;
            }
            None => merged.push((s.code, s.score, 1)),
        }
    }
    merged
        .into_iter()
        .map(|(c, s, n)| {
            let repeat_bonus = (0.4 * (n.saturating_sub(1)) as f32).min(0.8);
            (c, s + repeat_bonus)
        })
        .fold(None::<(String, f32)>, |acc, (c, s)| match acc {
            Some((_, best)) if best >= s => acc,
            _ => Some((c, s)),
        })
        .map(|(c, _)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> Option<String> {
        find_code(None, &[s])
    }

    #[test]
    fn basic_shapes() {
        assert_eq!(code("Your code is 123456").as_deref(), Some("123456"));
        assert_eq!(code("Your login code: 55 21 09").as_deref(), Some("552109"));
        assert_eq!(
            code("G-412093 is your Google verification code.").as_deref(),
            Some("412093")
        );
        assert_eq!(
            code("Acme: code 4K9-QZ2 — valid 5 min").as_deref(),
            Some("4K9QZ2")
        );
        assert_eq!(code("Your order 4021934 has been delivered."), None);
    }

    #[test]
    fn origin_bound_wins() {
        let s = "Your code is 111111.\n\n@example.com #240517";
        assert_eq!(code(s).as_deref(), Some("240517"));
    }
}
