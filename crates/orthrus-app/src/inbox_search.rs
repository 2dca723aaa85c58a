//! Inbox search over everything retained (issue 14): when a message is
//! stored, each normalized word of its sender, subject, code and text is
//! indexed as a keyed hash (HMAC-SHA256 under a key derived from the master
//! key for this purpose, bound to the workspace), so the database never
//! holds the words themselves. A search hashes its words the same way and
//! the store intersects: messages holding every word, newest first.
//!
//! Messages stored before the index existed (migration 0022), or whose
//! indexing failed, are indexed by [`App::index_unindexed_messages`], which
//! the server runs at startup and then with the hourly inbox purge.

use crate::InvalidCode;
use crate::{App, AppError, Result};
use orthrus_core::{Channel, EventId, WorkspaceId};
use orthrus_crypto::KeyedHasher;
use orthrus_store::InboxMessageRow;

/// Text read per message for the index, in characters.
const MAX_TEXT_CHARS: usize = 100_000;
/// Distinct words indexed per message.
const MAX_WORDS: usize = 2_000;
/// Longer runs of letters and digits are not words anyone searches for.
const MAX_WORD_CHARS: usize = 64;
/// Words in one search.
pub(crate) const MAX_QUERY_WORDS: usize = 16;
/// Hex digits kept of each word's HMAC (128 bits: no accidental matches).
const HASH_HEX: usize = 32;

/// The normalized words of `text`: lower-case runs of letters and digits,
/// each at most [`MAX_WORD_CHARS`] long, in order of first appearance.
pub(crate) fn words<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    let mut budget = MAX_TEXT_CHARS;
    for text in texts {
        let text: String = text.chars().take(budget).collect();
        budget = budget.saturating_sub(text.chars().count());
        for w in text.split(|c: char| !c.is_alphanumeric()) {
            if w.is_empty() || w.chars().count() > MAX_WORD_CHARS {
                continue;
            }
            let w = w.to_lowercase();
            if seen.insert(w.clone()) {
                out.push(w);
                if out.len() >= MAX_WORDS {
                    return out;
                }
            }
        }
    }
    out
}

/// The words of a stored message: from its sender, subject and code, and
/// from its text (an email's plain-text part, or its HTML as text; an
/// SMS's body).
pub(crate) fn message_words(
    channel: Channel,
    sender: &str,
    subject: Option<&str>,
    code: Option<&str>,
    raw: &[u8],
) -> Vec<String> {
    let text = if channel == Channel::Sms {
        String::from_utf8_lossy(raw).into_owned()
    } else {
        let b = orthrus_extract::email_bodies(raw);
        match (b.text, b.html) {
            (Some(t), _) => t,
            (None, Some(h)) => orthrus_extract::html_to_text(&h),
            (None, None) => String::new(),
        }
    };
    words([sender, subject.unwrap_or(""), code.unwrap_or(""), &text])
}

impl App {
    fn search_hasher(&self) -> KeyedHasher {
        self.inner.search_hasher.clone()
    }

    /// The keyed hashes of `words` in workspace `ws`.
    pub(crate) fn word_hashes(&self, ws: WorkspaceId, words: &[String]) -> Vec<String> {
        let h = self.search_hasher();
        let ws = ws.to_string();
        words
            .iter()
            .map(|w| {
                let mut x = h.hash_parts(&[ws.as_bytes(), w.as_bytes()]);
                x.truncate(HASH_HEX);
                x
            })
            .collect()
    }

    /// Indexes one stored message's words. A failure is logged, not
    /// returned: the message is stored, and the next backfill indexes it.
    pub(crate) async fn index_message(&self, ws: WorkspaceId, id: EventId, words: &[String]) {
        let hashes = self.word_hashes(ws, words);
        if let Err(e) = self.store().index_message_words(ws, id, &hashes).await {
            tracing::warn!(error = %e, message = %id, "indexing an inbox message for search failed; the backfill retries");
        }
    }

    /// Indexes messages that are not yet searchable (stored before the
    /// index existed, or whose indexing failed), a batch at a time, until
    /// none is left; returns how many were indexed. A message that cannot
    /// be opened is marked indexed with no words, so it is not retried
    /// forever.
    pub async fn index_unindexed_messages(&self) -> Result<u64> {
        let mut done = 0u64;
        loop {
            let rows = self.store().unindexed_messages(200).await?;
            if rows.is_empty() {
                return Ok(done);
            }
            let app = self.clone();
            let indexed: Vec<(InboxMessageRow, Vec<String>)> = self
                .blocking(move || {
                    rows.into_iter()
                        .map(|m| {
                            let words = app.words_of_stored(&m).unwrap_or_else(|e| {
                                tracing::warn!(error = %e, message = %m.id, "an inbox message could not be opened for indexing");
                                Vec::new()
                            });
                            (m, words)
                        })
                        .collect()
                })
                .await?;
            for (m, words) in indexed {
                let hashes = self.word_hashes(m.workspace_id, &words);
                self.store()
                    .index_message_words(m.workspace_id, m.id, &hashes)
                    .await?;
                done += 1;
            }
        }
    }

    /// Opens a stored message, raw bytes and all, and lists its words.
    fn words_of_stored(&self, m: &InboxMessageRow) -> Result<Vec<String>> {
        let bytes = self.open_bytes("inbox_messages", &m.id.to_string(), "content", &m.sealed)?;
        let (s, raw) = crate::inbox::unpack(&bytes)?;
        Ok(message_words(
            m.channel,
            &m.sender,
            s.subject.as_deref(),
            s.code.as_deref(),
            &raw,
        ))
    }

    /// The keyed hashes a search for `text` must find, or an error when it
    /// names too many words. No words (only punctuation): None.
    pub(crate) fn search_hashes(&self, ws: WorkspaceId, text: &str) -> Result<Option<Vec<String>>> {
        let w = words([text]);
        if w.len() > MAX_QUERY_WORDS {
            return Err(AppError::invalid(
                InvalidCode::InboxBadFilter,
                format!("a search may have at most {MAX_QUERY_WORDS} words"),
            ));
        }
        Ok((!w.is_empty()).then(|| self.word_hashes(ws, &w)))
    }
}

#[cfg(test)]
mod tests {
    use super::words;

    #[test]
    fn words_are_lower_case_runs_of_letters_and_digits() {
        assert_eq!(
            words(["Your Instagram code: 123456", "security@mail.instagram.com"]),
            [
                "your",
                "instagram",
                "code",
                "123456",
                "security",
                "mail",
                "com"
            ]
        );
        assert_eq!(words(["Ünïcode — ÉTÉ"]), ["ünïcode", "été"]);
        assert!(words(["!!! ---"]).is_empty());
        let long = "x".repeat(65);
        assert!(words([long.as_str()]).is_empty());
    }

    #[test]
    fn a_message_indexes_a_bounded_number_of_words() {
        let text: String = (0..5_000).map(|i| format!("w{i} ")).collect();
        assert_eq!(words([text.as_str()]).len(), super::MAX_WORDS);
    }
}
