//! RFC 5322 / MIME parsing through `mail-parser`: headers that matter to the
//! inbox and sender verdict, and the decoded text and HTML bodies (nested
//! forwarded messages included), with size limits so that no input can make
//! extraction slow.

use mail_parser::{Message, MessageParser, PartType};

/// Bodies larger than this are cut; codes sit near the top anyway.
const MAX_BODY_BYTES: usize = 512 * 1024;
/// At most this many body parts are examined.
const MAX_BODIES: usize = 8;
/// Forwarded messages are opened this many levels deep.
const MAX_DEPTH: usize = 3;

/// What extraction needs from an email.
#[derive(Debug, Default)]
pub(crate) struct ParsedEmail {
    pub subject: Option<String>,
    pub sender: Option<String>,
    pub sender_name: Option<String>,
    pub message_id: Option<String>,
    pub to: Option<String>,
    pub date: Option<String>,
    pub texts: Vec<String>,
    pub htmls: Vec<String>,
}

/// Parses a raw message. Input that is not a message at all is treated as
/// one plain-text body, so piping a bare text still extracts its code.
pub(crate) fn parse(raw: &[u8]) -> ParsedEmail {
    // mail-parser is written to never panic; if it ever does on hostile input
    // we still answer (with what the raw bytes say) instead of taking the
    // SMTP session or the inbox worker down with us.
    let parsed = std::panic::catch_unwind(|| {
        MessageParser::default()
            .parse(raw)
            .map(|m| from_message(&m))
    });
    match parsed {
        Ok(Some(p)) => p,
        _ => ParsedEmail {
            texts: vec![clip(String::from_utf8_lossy(raw).into_owned())],
            ..ParsedEmail::default()
        },
    }
}

fn from_message(m: &Message<'_>) -> ParsedEmail {
    let from = m.from().and_then(|a| a.first());
    let mut p = ParsedEmail {
        subject: m.subject().map(|s| clip(s.trim().to_owned())),
        sender: from
            .and_then(|a| a.address())
            .map(|s| clip(s.trim().to_owned())),
        sender_name: from
            .and_then(|a| a.name())
            .map(|s| clip(s.trim().to_owned())),
        message_id: m.message_id().map(|s| clip(s.trim().to_owned())),
        to: m.to().map(|to| {
            let all: Vec<String> = to
                .iter()
                .filter_map(|a| a.address().map(str::to_owned))
                .take(20)
                .collect();
            all.join(", ")
        }),
        date: m.date().map(|d| d.to_rfc3339()),
        ..ParsedEmail::default()
    };
    collect_bodies(m, &mut p, 0);
    p
}

fn collect_bodies(m: &Message<'_>, p: &mut ParsedEmail, depth: usize) {
    let mut ids: Vec<u32> = m.text_body.iter().chain(&m.html_body).copied().collect();
    ids.sort_unstable();
    ids.dedup();
    for id in ids {
        if p.texts.len() + p.htmls.len() >= MAX_BODIES {
            return;
        }
        match m.part(id).map(|part| &part.body) {
            Some(PartType::Text(t)) => p.texts.push(clip(t.to_string())),
            Some(PartType::Html(h)) => p.htmls.push(clip(h.to_string())),
            _ => {}
        }
    }
    if depth >= MAX_DEPTH {
        return;
    }
    for part in &m.parts {
        if let PartType::Message(inner) = &part.body {
            if p.subject.is_none() {
                p.subject = inner.subject().map(|s| clip(s.trim().to_owned()));
            }
            collect_bodies(inner, p, depth + 1);
        }
    }
}

/// Cuts a string to at most `MAX_BODY_BYTES`, on a character boundary.
fn clip(mut s: String) -> String {
    if s.len() > MAX_BODY_BYTES {
        let mut end = MAX_BODY_BYTES;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}
