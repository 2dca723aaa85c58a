//! Multi-keyword search over folded text with word-boundary rules, reporting
//! hits as character ranges of the normalised text.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::normalize::{Folded, fold_str};

/// Where a keyword may sit relative to the letters around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bound {
    /// A whole word: no letter or digit on either side.
    W,
    /// The start of a word: no letter or digit before it.
    P,
    /// Anywhere, for scripts without spaces and for compounds.
    A,
    /// A whole word written with exactly these accents ("mã" but not "ma"),
    /// for short words that collide with others once accents are dropped.
    E,
}

/// A keyword hit: character range in the normalised text and the payload.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hit<K> {
    pub start: usize,
    pub end: usize,
    pub kind: K,
}

pub(crate) struct Matcher<K: Copy> {
    automaton: Option<AhoCorasick>,
    entries: Vec<(Bound, K)>,
    /// Lower-case unfolded spelling, for `Bound::E` entries.
    exact: Vec<Vec<char>>,
}

impl<K: Copy> Matcher<K> {
    pub(crate) fn new(table: &[(&str, Bound, K)]) -> Self {
        let patterns: Vec<String> = table.iter().map(|(k, _, _)| fold_str(k)).collect();
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .ok();
        Matcher {
            automaton,
            entries: table.iter().map(|&(_, b, k)| (b, k)).collect(),
            exact: table
                .iter()
                .map(|(k, _, _)| k.chars().flat_map(char::to_lowercase).collect())
                .collect(),
        }
    }

    /// Every hit in the text, overlapping ones included, in text order.
    pub(crate) fn find(&self, text: &Folded) -> Vec<Hit<K>> {
        let Some(ac) = &self.automaton else {
            return Vec::new();
        };
        let hay = text.folded.as_str();
        let mut hits = Vec::new();
        for m in ac.find_overlapping_iter(hay) {
            let Some(&(bound, kind)) = self.entries.get(m.pattern().as_usize()) else {
                continue;
            };
            let before = hay.get(..m.start()).and_then(|s| s.chars().next_back());
            let after = hay.get(m.end()..).and_then(|s| s.chars().next());
            let word_char = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
            let ok = match bound {
                Bound::A => true,
                Bound::P => !word_char(before),
                Bound::W | Bound::E => !word_char(before) && !word_char(after),
            };
            if !ok {
                continue;
            }
            let (start, end) = text.char_range(m.start(), m.end());
            if bound == Bound::E {
                let written: Vec<char> = text
                    .chars
                    .get(start..end)
                    .unwrap_or(&[])
                    .iter()
                    .flat_map(|c| c.to_lowercase())
                    .collect();
                if self.exact.get(m.pattern().as_usize()) != Some(&written) {
                    continue;
                }
            }
            hits.push(Hit { start, end, kind });
        }
        hits.sort_by_key(|h| (h.start, h.end));
        hits
    }
}
