//! Email HTML made safe to show inside an Orthrus page: ammonia's
//! allow-list (no scripts, styles, forms, frames, event handlers or inline
//! CSS), without links and images. Nothing in the result can fetch a remote
//! resource or navigate anywhere: links are listed beside the message as
//! text, never followed, and remote images (tracking pixels) are dropped.

use std::collections::HashSet;

/// Tags removed on top of ammonia's defaults; their text stays.
const DROPPED_TAGS: &[&str] = &["a", "img", "area", "map"];

pub(crate) fn email_html(html: &str) -> String {
    ammonia::Builder::default()
        .rm_tags(DROPPED_TAGS.iter().copied())
        .url_schemes(HashSet::new())
        .url_relative(ammonia::UrlRelative::Deny)
        // ammonia keeps URL attributes it does not fetch (cite=…): drop
        // every attribute that carries an address, so none is even shown.
        .attribute_filter(|_, attr, value| {
            let v = value.trim_start().to_ascii_lowercase();
            let url_like = attr == "cite" || v.starts_with("//") || v.contains("://");
            (!url_like).then(|| value.into())
        })
        .link_rel(None)
        .clean(html)
        .to_string()
}

/// [`email_html`] off the async threads (a large hostile body takes a
/// while to parse).
pub(crate) async fn email_html_blocking(html: Option<String>) -> Option<String> {
    let html = html?;
    tokio::task::spawn_blocking(move || email_html(&html))
        .await
        .ok()
}

#[cfg(test)]
mod tests {
    use super::email_html;

    #[test]
    fn scripts_remote_content_and_links_are_removed() {
        let dirty = r#"<html><head><style>body{background:url(https://t.example/bg)}</style>
<script>alert(1)</script></head><body onload="x()">
<p style="background:url(https://t.example/p)">Your code is <b>481920</b></p>
<img src="https://t.example/pixel.gif" alt="">
<a href="https://evil.example/confirm" onclick="steal()">Confirm</a>
<iframe src="https://evil.example"></iframe>
<form action="https://evil.example"><input name="p"></form>
<blockquote cite="https://t.example/c">quoted</blockquote>
<svg><image href="https://t.example/s"/></svg>
<table><tr><td>4</td><td>8</td></tr></table></body></html>"#;
        let clean = email_html(dirty);
        for bad in [
            "<script", "alert", "onload", "onclick", "style", "<img", "pixel", "<a", "href",
            "https://", "<iframe", "<form", "<input", "<svg", "cite=",
        ] {
            assert!(!clean.contains(bad), "{bad:?} survived in {clean}");
        }
        // What people read stays.
        for good in ["<b>481920</b>", "Confirm", "quoted", "<td>4</td>"] {
            assert!(clean.contains(good), "{good:?} lost from {clean}");
        }
    }

    #[test]
    fn broken_markup_is_closed() {
        let clean = email_html("<div><b>unclosed <i>tags");
        assert_eq!(clean.matches("</b>").count(), 1, "{clean}");
        assert!(email_html("").is_empty());
    }
}
