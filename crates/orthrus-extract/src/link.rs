//! Confirmation-link ranking: the link a person would open to confirm an
//! address, approve a sign-in ("yes, it was me") or follow a magic sign-in
//! link. Anchor text counts most, then words in the URL, then the sentence
//! before a "click here". Unsubscribe, help, privacy, terms, "this wasn't me",
//! social and tracking links are never chosen.

use std::sync::LazyLock;

use crate::html::Anchor;
use crate::keywords::{LINK_KEYWORDS, LinkKw};
use crate::matcher::Matcher;
use crate::normalize::{Folded, normalize};

static LINK_MATCHER: LazyLock<Matcher<LinkKw>> = LazyLock::new(|| Matcher::new(LINK_KEYWORDS));

/// A link and the words that describe it.
#[derive(Debug, Clone)]
pub(crate) struct LinkCandidate {
    pub url: String,
    pub text: String,
    pub context: String,
}

impl From<Anchor> for LinkCandidate {
    fn from(a: Anchor) -> Self {
        LinkCandidate {
            url: a.href,
            text: a.text,
            context: a.context,
        }
    }
}

/// Social networks and app stores: footers link to their profile pages.
const FOOTER_HOSTS: &[&str] = &[
    "facebook.com",
    "twitter.com",
    "x.com",
    "instagram.com",
    "linkedin.com",
    "youtube.com",
    "tiktok.com",
    "pinterest.com",
    "apps.apple.com",
    "itunes.apple.com",
    "play.google.com",
];

#[derive(Default)]
struct Words {
    confirm: f32,
    sign_in: bool,
    avoid: bool,
    generic: bool,
}

fn words(text: &str) -> Words {
    let norm = normalize(text, 2000);
    let folded = Folded::new(&norm);
    let mut w = Words::default();
    for h in LINK_MATCHER.find(&folded) {
        match h.kind {
            LinkKw::Confirm(x) => w.confirm = w.confirm.max(x),
            LinkKw::SignIn => w.sign_in = true,
            LinkKw::Avoid => w.avoid = true,
            LinkKw::Generic => w.generic = true,
        }
    }
    w
}

/// URL words: path and query with separators turned into spaces, so that
/// "/confirm_email?token=…" reads "confirm email token".
fn url_words(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, r)| r);
    let path = after_scheme.split_once('/').map_or("", |(_, p)| p);
    let decoded = path.replace("%20", " ");
    decoded
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        // "confirmEmail" → "confirm Email".
        .chars()
        .fold(String::new(), |mut acc, c| {
            if c.is_ascii_uppercase() && acc.chars().last().is_some_and(|p| p.is_ascii_lowercase())
            {
                acc.push(' ');
            }
            acc.push(c);
            acc
        })
}

/// A long random-looking path segment or query value: a one-use token
/// ("8f2a91c0d3e4f5a6", "Zx8PqR2vKm4N"), not a slug ("verify-your-backups").
fn has_token(url: &str) -> bool {
    url.split(['/', '?', '&', '=', '#', '.']).any(|part| {
        let len = part.chars().count();
        let alnum = part
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '%');
        let digits = part.chars().filter(char::is_ascii_digit).count();
        let upper = part.chars().filter(char::is_ascii_uppercase).count();
        let lower = part.chars().filter(char::is_ascii_lowercase).count();
        alnum
            && ((len >= 8 && digits >= 2 && upper + lower >= 2)
                || (len >= 16 && upper >= 2 && lower >= 2))
    })
}

/// A path segment of at least four digits: a link to one specific thing
/// ("t.me/login/73625"), not a landing page.
fn numbered_path(url: &str) -> bool {
    let after_scheme = url.split_once("://").map_or(url, |(_, r)| r);
    let path = after_scheme.split_once('/').map_or("", |(_, p)| p);
    path.split(['/', '?', '&', '='])
        .any(|seg| seg.chars().filter(char::is_ascii_digit).count() >= 4)
}

fn is_web(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// Score of one link; `None` when it must never be chosen.
fn score(link: &LinkCandidate) -> Option<f32> {
    if !is_web(&link.url) || link.url.len() > 4096 {
        return None;
    }
    let lower = link.url.to_ascii_lowercase();
    let host_path = lower.split_once("://").map_or(lower.as_str(), |(_, r)| r);
    let bare_host = !host_path.trim_end_matches('/').contains('/') && !host_path.contains('?');
    let anchor = words(&link.text);
    let url = words(&url_words(&link.url));
    if anchor.avoid || url.avoid {
        return None;
    }
    // A profile or store page of a social network ("facebook.com/acme",
    // "linkedin.com/company/acme"); the networks' own confirmation links live
    // on the same hosts but carry a query or go deeper.
    let (host, path) = host_path.split_once('/').unwrap_or((host_path, ""));
    let shallow = !path.contains(['?', '#']) && path.trim_end_matches('/').split('/').count() <= 2;
    let footer = shallow
        && FOOTER_HOSTS
            .iter()
            .any(|h| host == *h || host.ends_with(&format!(".{h}")));
    let path = host_path.split(['?', '#']).next().unwrap_or("");
    let pixel = path.contains("/open")
        || path.contains("pixel")
        || path.ends_with(".gif")
        || path.ends_with(".png")
        || path.ends_with(".jpg");
    if footer || bare_host || pixel {
        return None;
    }
    let token = has_token(&link.url);
    let short_anchor = link.text.trim().chars().count() <= 3;
    let mut score = 3.0 * anchor.confirm + 2.0 * url.confirm;
    let specific = token || numbered_path(&link.url);
    if (anchor.sign_in || url.sign_in) && specific {
        score += if token { 2.0 } else { 1.5 };
    }
    // The sentence just before the link: "If this wasn't you, <reset your
    // password>" is the way out, not the way in.
    let near: String = {
        let last_line = link.context.trim_end().rsplit('\n').next().unwrap_or("");
        let chars: Vec<char> = last_line.chars().collect();
        chars[chars.len().saturating_sub(80)..].iter().collect()
    };
    let near_words = words(&near);
    // The last non-empty line before the anchor: the sentence introducing a
    // button ("Verify your email address to get started." [Get started]).
    let lead_line = link
        .context
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let lead = words(
        &lead_line
            .chars()
            .rev()
            .take(120)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<String>(),
    );
    if near_words.avoid && near_words.confirm == 0.0 && anchor.confirm < 1.0 {
        return None;
    }
    if near_words.avoid && anchor.confirm == 0.0 && url.confirm == 0.0 {
        return None;
    }
    if anchor.generic || short_anchor || link.text.trim().starts_with("http") {
        let context = words(&link.context);
        if context.avoid && context.confirm == 0.0 {
            return None;
        }
        let mut ctx_score = 1.5 * context.confirm;
        if context.sign_in && specific {
            ctx_score += 1.0;
        }
        if context.avoid {
            ctx_score *= 0.5;
        }
        score += ctx_score;
    } else if !lead.avoid && !anchor.sign_in {
        score += lead.confirm * if token { 1.0 } else { 0.5 };
    }
    if score <= 0.0 {
        return None;
    }
    if token {
        score += 0.5;
    }
    Some(score)
}

/// The best confirmation link, if any link qualifies.
pub(crate) fn best_link(links: &[LinkCandidate]) -> Option<String> {
    let mut best: Option<(f32, &LinkCandidate)> = None;
    for link in links {
        if let Some(s) = score(link)
            && s >= 1.4
            && best.is_none_or(|(b, _)| s > b)
        {
            best = Some((s, link));
        }
    }
    best.map(|(_, l)| l.url.trim().to_owned())
}

/// URLs written out in plain text, each with the text before it on its line
/// (and the line above when the URL stands nearly alone) as context.
pub(crate) fn text_links(text: &str) -> Vec<LinkCandidate> {
    let mut out = Vec::new();
    let mut prev_line = "";
    for line in text.lines() {
        // ASCII lower-casing keeps byte offsets, so positions map back.
        let lower = line.to_ascii_lowercase();
        let mut from = 0usize;
        while let Some(pos) = find_scheme(lower.get(from..).unwrap_or("")).map(|p| from + p) {
            let tail = line.get(pos..).unwrap_or("");
            let end = tail
                .find(|c: char| {
                    c.is_whitespace()
                        || matches!(c, '<' | '>' | '"' | '\'' | '，' | '。' | '」' | '）')
                })
                .unwrap_or(tail.len());
            let url = tail
                .get(..end)
                .unwrap_or("")
                .trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '}']);
            let before = line.get(..pos).unwrap_or("");
            let context = if before.trim().chars().count() < 24 {
                format!("{prev_line}\n{before}")
            } else {
                before.to_owned()
            };
            out.push(LinkCandidate {
                url: url.to_owned(),
                text: String::new(),
                context,
            });
            if out.len() >= 200 {
                return out;
            }
            from = pos + end.max(1);
        }
        if !line.trim().is_empty() {
            prev_line = line;
        }
    }
    out
}

fn find_scheme(lower: &str) -> Option<usize> {
    lower.match_indices("http").map(|(i, _)| i).find(|&i| {
        lower
            .get(i + 4..)
            .is_some_and(|r| r.starts_with("://") || r.starts_with("s://"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(url: &str, text: &str) -> LinkCandidate {
        LinkCandidate {
            url: url.into(),
            text: text.into(),
            context: String::new(),
        }
    }

    #[test]
    fn confirm_beats_unsubscribe() {
        let links = [
            link("https://app.example.com/unsubscribe", "Unsubscribe"),
            link(
                "https://app.example.com/confirm?token=abc123",
                "Confirm email",
            ),
            link("https://www.facebook.com/example", "Facebook"),
        ];
        assert_eq!(
            best_link(&links).as_deref(),
            Some("https://app.example.com/confirm?token=abc123")
        );
    }

    #[test]
    fn social_profiles_are_skipped_but_their_confirm_links_are_not() {
        let profile = [link("https://www.facebook.com/verified", "Facebook")];
        assert_eq!(best_link(&profile), None);
        let own = [link(
            "https://www.facebook.com/confirmemail.php?e=a%40b.test&c=48213",
            "Confirm your account",
        )];
        assert!(best_link(&own).is_some());
    }

    #[test]
    fn way_out_links_are_never_chosen() {
        let l = LinkCandidate {
            url: "https://x.test/pw/reset?t=Zx8PqR2vKm4NwT6y".into(),
            text: "reset your password".into(),
            context: "Code: 123456\nIf this wasn't you, please ".into(),
        };
        assert_eq!(best_link(&[l]), None);
    }

    #[test]
    fn plain_text_urls_with_context() {
        let t = "Verify your address:\nhttps://x.test/v/8f9a0b1c2d3e4f5a6b7c.\nThanks";
        let links = text_links(t);
        assert_eq!(links.len(), 1);
        assert_eq!(
            best_link(&links).as_deref(),
            Some("https://x.test/v/8f9a0b1c2d3e4f5a6b7c")
        );
        assert_eq!(
            best_link(&text_links("Track: https://example.com/track/A-40219")),
            None
        );
    }
}
