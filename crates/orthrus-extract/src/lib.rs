//! `orthrus-extract` turns one inbound message — an RFC 5322 email or an SMS
//! body — into what the shared inbox shows and automations consume: the
//! one-time code, the confirmation or magic link, and the sender facts that
//! the DKIM/DMARC verdict is judged against (address, domain, Message-ID).
//! It is pure: bytes in, an [`Extraction`] out, never a panic, no IO. It owns
//! MIME decoding, HTML-to-text conversion and the multilingual keyword
//! heuristics. It must not know about storage, accounts, the web layer, SMTP
//! sessions or DNS: whether a sender is trusted is decided by the caller.

mod candidates;
mod code;
mod html;
mod keywords;
mod link;
mod matcher;
mod mime;
mod normalize;

use serde::Serialize;

/// Texts longer than this (in characters) are cut before analysis.
const MAX_TEXT_CHARS: usize = 200_000;
/// Length of [`Extraction::text_preview`] in characters.
const PREVIEW_CHARS: usize = 200;

/// What one message yields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Extraction {
    /// The one-time code: no spaces, hyphens or `G-`/`FB-` prefix, 4–10
    /// ASCII letters and digits, letters in the case they were sent in
    /// (never changed: an app may tell `4kx9pz` from `4KX9PZ`).
    pub code: Option<String>,
    /// The link to open to confirm an address, approve a sign-in or sign in
    /// by magic link; never an unsubscribe, help or privacy link.
    pub confirm_link: Option<String>,
    /// Email: the From address; SMS: the sender number or short code.
    pub sender: Option<String>,
    /// Email: the display name of From.
    pub sender_name: Option<String>,
    /// Email subject (decoded).
    pub subject: Option<String>,
    /// The first ~200 characters of the normalised body text.
    pub text_preview: String,
    /// Email Message-ID without angle brackets.
    pub message_id: Option<String>,
    /// Lower-case domain of the From address: the domain DMARC aligns with.
    pub from_domain: Option<String>,
    /// SMS only: the domain of an origin-bound code (`@example.com #123456`).
    pub origin_domain: Option<String>,
}

/// Extracts from a raw RFC 5322 message. Never panics, whatever the bytes.
pub fn extract_email(raw: &[u8]) -> Extraction {
    let parsed = mime::parse(raw);
    let subject = parsed
        .subject
        .as_deref()
        .map(|s| normalize::normalize(s, 2_000));
    let mut bodies = Bodies::default();
    for text in &parsed.texts {
        bodies.push_text(text);
    }
    for h in &parsed.htmls {
        bodies.push_html(h);
    }
    let code = bodies.code(subject.as_deref());
    let confirm_link = link::best_link(&bodies.links);
    let from_domain = parsed.sender.as_deref().and_then(domain_of);
    Extraction {
        code,
        confirm_link,
        text_preview: preview(bodies.texts.first().map_or("", String::as_str)),
        sender: parsed.sender,
        sender_name: parsed.sender_name,
        subject: parsed.subject,
        message_id: parsed.message_id,
        from_domain,
        origin_domain: None,
    }
}

/// Extracts from an SMS body; `from` is the sender number or short code.
pub fn extract_sms(from: &str, body: &str) -> Extraction {
    let norm = normalize::normalize(body, MAX_TEXT_CHARS);
    let code = code::find_code(None, &[norm.as_str()]);
    let confirm_link = link::best_link(&link::text_links(&norm));
    let from = from.trim();
    Extraction {
        code,
        confirm_link,
        sender: (!from.is_empty()).then(|| from.chars().take(256).collect()),
        text_preview: preview(&norm),
        origin_domain: code::origin_bound(&norm).map(|(domain, _)| domain),
        ..Extraction::default()
    }
}

/// Extracts `(code, confirm_link)` from already-decoded parts of a message:
/// an optional subject, a plain-text body and an optional HTML body.
pub fn extract_text(
    subject: Option<&str>,
    text: &str,
    html: Option<&str>,
) -> (Option<String>, Option<String>) {
    let subject = subject.map(|s| normalize::normalize(s, 2_000));
    let mut bodies = Bodies::default();
    bodies.push_text(text);
    if let Some(h) = html {
        bodies.push_html(h);
    }
    (
        bodies.code(subject.as_deref()),
        link::best_link(&bodies.links),
    )
}

/// A message's bodies as the heuristics read them: each normalised, with
/// the link candidates found in it (an HTML body's anchors before the links
/// in its text).
#[derive(Default)]
struct Bodies {
    texts: Vec<String>,
    links: Vec<link::LinkCandidate>,
}

impl Bodies {
    fn push_text(&mut self, text: &str) {
        let norm = normalize::normalize(text, MAX_TEXT_CHARS);
        self.links.extend(link::text_links(&norm));
        self.texts.push(norm);
    }

    fn push_html(&mut self, h: &str) {
        let converted = html::to_text(h);
        self.links
            .extend(converted.anchors.into_iter().map(link::LinkCandidate::from));
        self.push_text(&converted.text);
    }

    /// The one-time code in `subject` (normalised) and these bodies.
    fn code(&self, subject: Option<&str>) -> Option<String> {
        let refs: Vec<&str> = self.texts.iter().map(String::as_str).collect();
        code::find_code(subject, &refs)
    }
}

/// What a person reading an email sees: its decoded bodies and links.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EmailBodies {
    /// The first plain-text part.
    pub text: Option<String>,
    /// The first HTML part, as sent (unsanitized: render only after
    /// sanitizing it).
    pub html: Option<String>,
    /// Links of the HTML part and of the text, in order, each once:
    /// `(anchor text, URL)`.
    pub links: Vec<(String, String)>,
    /// The To header, as written.
    pub to: Option<String>,
    /// The Date header, RFC 3339 when it parses.
    pub date: Option<String>,
}

/// The bodies and links of a raw email for display. Never panics.
pub fn email_bodies(raw: &[u8]) -> EmailBodies {
    let p = mime::parse(raw);
    let mut links: Vec<(String, String)> = Vec::new();
    let mut push = |text: String, href: String| {
        if links.len() < 200 && !links.iter().any(|(_, h)| *h == href) {
            links.push((text, href));
        }
    };
    if let Some(h) = p.htmls.first() {
        for a in html::to_text(h).anchors {
            push(a.text, a.href);
        }
    }
    if let Some(t) = p.texts.first() {
        for l in link::text_links(&normalize::normalize(t, MAX_TEXT_CHARS)) {
            push(String::new(), l.url);
        }
    }
    EmailBodies {
        text: p.texts.into_iter().next(),
        html: p.htmls.into_iter().next(),
        links,
        to: p.to,
        date: p.date,
    }
}

/// Converts HTML to plain text the way extraction sees it (cells as tabs,
/// blocks as lines, entities decoded); useful for previews and search.
pub fn html_to_text(html: &str) -> String {
    normalize::normalize(&html::to_text(html).text, MAX_TEXT_CHARS)
}

fn preview(text: &str) -> String {
    // Only the head matters; never walk a 200 000-character body for it.
    let head: String = text.chars().take(PREVIEW_CHARS * 8).collect();
    let flat: String = head.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = flat.chars().take(PREVIEW_CHARS).collect();
    if flat.chars().count() > PREVIEW_CHARS {
        out.push('…');
    }
    out
}

fn domain_of(address: &str) -> Option<String> {
    let (_, domain) = address.rsplit_once('@')?;
    let domain = domain.trim().trim_end_matches('>').trim_end_matches('.');
    (!domain.is_empty()).then(|| domain.to_ascii_lowercase())
}
