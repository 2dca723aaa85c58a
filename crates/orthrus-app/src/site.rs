//! Which pages belong to an account's site, for the browser extension: pure
//! functions, no IO. A name matches by its registrable domain (the Public
//! Suffix List, `psl`): `www.instagram.com` is `instagram.com`, but
//! `instagram.com.evil.test` and `evilinstagram.com` are not. An IP address
//! or `localhost` names no domain anyone registered, so there the scheme,
//! host and port must all be the same (`127.0.0.1:8090` is not
//! `127.0.0.1:8091`). Whoever fills a password on a page trusts this
//! answer, so anything unclear does not match.

use orthrus_core::egress::url_host_port;
use std::net::IpAddr;

/// The parts of a URL that decide where a page belongs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    pub https: bool,
    /// Lowercase, without brackets or a trailing dot.
    pub host: String,
    pub port: u16,
    /// The registrable domain (`instagram.com`); None for IP addresses,
    /// `localhost` and names the list cannot place.
    pub registrable: Option<String>,
}

impl Site {
    /// Reads an `http://` or `https://` URL; None for anything else.
    pub fn parse(url: &str) -> Option<Self> {
        let url = url.trim();
        let (scheme, _) = url.split_once("://")?;
        let https = match scheme.to_ascii_lowercase().as_str() {
            "https" => true,
            "http" => false,
            _ => return None,
        };
        let (host, port) = url_host_port(url)?;
        if host.chars().any(|c| c.is_whitespace() || c == '%') {
            return None;
        }
        let registrable = if is_local(&host) {
            None
        } else {
            psl::domain_str(&host)
                .filter(|d| d.contains('.'))
                .map(str::to_owned)
        };
        Some(Self {
            https,
            host,
            port,
            registrable,
        })
    }

    /// A name that only this machine (or this network) answers to.
    pub fn is_local(&self) -> bool {
        is_local(&self.host)
    }

    /// How the page is shown in the audit log and to people:
    /// `scheme://host[:port]`.
    pub fn origin(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        let default = if self.https { 443 } else { 80 };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == default {
            format!("{scheme}://{host}")
        } else {
            format!("{scheme}://{host}:{}", self.port)
        }
    }

    /// Whether a page at `page` belongs to the site this URL names.
    pub fn admits(&self, page: &Site) -> bool {
        if self.is_local() || page.is_local() {
            return self.https == page.https && self.host == page.host && self.port == page.port;
        }
        match (&self.registrable, &page.registrable) {
            // An https site's password never goes to a plain-http page of
            // the same domain (anyone on the path could read it there).
            (Some(a), Some(b)) => a == b && (page.https || !self.https),
            _ => false,
        }
    }
}

fn is_local(host: &str) -> bool {
    host.parse::<IpAddr>().is_ok() || host == "localhost" || host.ends_with(".localhost")
}

/// Whether `page_url` belongs to any of `site_urls` (an account's login URL
/// and its extra URLs). A page URL that does not parse matches nothing.
pub fn page_matches<'a>(site_urls: impl IntoIterator<Item = &'a str>, page_url: &str) -> bool {
    let Some(page) = Site::parse(page_url) else {
        return false;
    };
    site_urls
        .into_iter()
        .filter_map(Site::parse)
        .any(|s| s.admits(&page))
}

/// The path of a URL (without query or fragment), lowercased, `/` when empty.
pub fn url_path(url: &str) -> String {
    let rest = url.trim().split_once("://").map_or(url, |(_, r)| r);
    let path = rest
        .find('/')
        .map_or("/", |i| &rest[i..])
        .split(['?', '#'])
        .next()
        .unwrap_or("/");
    if path.is_empty() {
        "/".into()
    } else {
        path.to_ascii_lowercase()
    }
}

/// Whether a restriction pattern covers a page path. A pattern is a path
/// prefix (`/accounts/password/change/`); a `*` matches any run of
/// characters within the path (`/accounts/*/delete`). Case does not matter;
/// `/x/` also covers `/x` itself.
pub fn pattern_covers(pattern: &str, path: &str) -> bool {
    let pattern = pattern.trim().to_ascii_lowercase();
    if pattern.is_empty() {
        return false;
    }
    let path = path.to_ascii_lowercase();
    if let Some(bare) = pattern.strip_suffix('/')
        && !bare.is_empty()
        && path == bare
    {
        return true;
    }
    glob_prefix(pattern.as_bytes(), path.as_bytes())
}

/// True when `pattern` (with `*` wildcards) matches a prefix of `text`.
fn glob_prefix(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => true,
        Some((b'*', rest)) => (0..=text.len()).any(|i| glob_prefix(rest, &text[i..])),
        Some((c, rest)) => text
            .split_first()
            .is_some_and(|(t, trest)| t == c && glob_prefix(rest, trest)),
    }
}

/// The built-in pages of each well-known app's own security settings that
/// Collaborators are kept off (a workspace may replace an app's list).
pub fn default_restrictions(app: &str) -> &'static [&'static str] {
    match app {
        "instagram" => &[
            "/accounts/password/change/",
            "/accounts/password/reset/",
            "/accounts/edit/",
            "/accounts/emailsignup/",
            "/accounts/two_factor_authentication/",
            "/accounts/remove/",
            "/accounts/login_activity/",
            "/accounts/manage_access/",
        ],
        // orthrus-sandbox's real pages (its `lib.rs` router).
        "sandbox" => &[
            "/accounts/password/change",
            "/accounts/email/change",
            "/accounts/two_factor_authentication",
        ],
        "facebook" => &[
            "/settings/security_and_login/",
            "/security/2fac/",
            "/settings/security/",
            "/deactivate/",
        ],
        "x" => &[
            "/settings/password",
            "/settings/email",
            "/settings/account/login_verification",
            "/settings/deactivate",
        ],
        "tiktok" => &[
            "/setting/security",
            "/setting/account",
            "/setting/deactivate",
        ],
        "linkedin" => &[
            "/psettings/change-password",
            "/psettings/email",
            "/psettings/two-step-verification",
            "/psettings/close-account",
        ],
        "github" => &[
            "/settings/security",
            "/settings/emails",
            "/settings/admin",
            "/settings/auth",
        ],
        "google" | "youtube" => &[
            "/signinoptions/",
            "/security",
            "/u/0/security",
            "/deleteservices",
        ],
        "microsoft" => &["/proofs/", "/security", "/password/change", "/closeaccount"],
        "amazon" => &["/ap/cnep", "/a/settings/approval", "/ax/account/manage"],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(site: &str, page: &str) -> bool {
        page_matches([site], page)
    }

    #[test]
    fn registrable_domains_match() {
        assert!(m(
            "https://www.instagram.com/accounts/login/",
            "https://instagram.com/"
        ));
        assert!(m("https://instagram.com/", "https://www.instagram.com/x"));
        assert!(m("https://instagram.com/", "https://WWW.Instagram.COM./"));
        assert!(m(
            "https://instagram.com/",
            "https://help.instagram.com:8443/"
        ));
        assert!(!m(
            "https://instagram.com/",
            "https://instagram.com.evil.test/"
        ));
        assert!(!m("https://instagram.com/", "https://evilinstagram.com/"));
        assert!(!m("https://instagram.com/", "https://instagram.co/"));
        // Public suffixes are not one site: two blogs on github.io differ.
        assert!(!m("https://alice.github.io/", "https://mallory.github.io/"));
        assert!(m(
            "https://shop.example.co.uk/",
            "https://www.example.co.uk/"
        ));
        assert!(!m("https://example.co.uk/", "https://other.co.uk/"));
        // User info is never the host.
        assert!(!m(
            "https://instagram.com/",
            "https://instagram.com@evil.test/"
        ));
    }

    #[test]
    fn https_sites_do_not_fill_plain_http_pages() {
        assert!(!m("https://instagram.com/", "http://www.instagram.com/"));
        assert!(m("http://instagram.com/", "https://www.instagram.com/"));
    }

    #[test]
    fn addresses_and_localhost_need_scheme_host_and_port() {
        assert!(m(
            "http://127.0.0.1:8090/login",
            "http://127.0.0.1:8090/settings"
        ));
        assert!(!m("http://127.0.0.1:8090/", "http://127.0.0.1:8091/"));
        assert!(!m("http://127.0.0.1:8090/", "https://127.0.0.1:8090/"));
        assert!(!m("http://127.0.0.1:8090/", "http://localhost:8090/"));
        assert!(m("http://localhost:3000/", "http://LOCALHOST:3000/a"));
        assert!(!m("http://localhost:3000/", "http://localhost:3001/"));
        assert!(m("http://[::1]:9/", "http://[::1]:9/x"));
        assert!(!m("http://[::1]:9/", "http://[::1]:10/x"));
        assert!(!m("http://app.localhost/", "http://other.localhost/"));
    }

    #[test]
    fn anything_unclear_matches_nothing() {
        assert!(!m("https://instagram.com/", "javascript:alert(1)"));
        assert!(!m("https://instagram.com/", "file:///etc/passwd"));
        assert!(!m("https://instagram.com/", "instagram.com"));
        assert!(!m("", "https://instagram.com/"));
        assert!(!m("https://com/", "https://evil.com/"));
        assert!(!page_matches(Vec::<&str>::new(), "https://instagram.com/"));
        assert!(page_matches(
            ["https://nowhere.example/", "https://instagram.com/"],
            "https://www.instagram.com/"
        ));
    }

    #[test]
    fn origins_are_shown_without_default_ports() {
        let o = |u| Site::parse(u).map(|s| s.origin());
        assert_eq!(
            o("https://WWW.instagram.com/a?b").as_deref(),
            Some("https://www.instagram.com")
        );
        assert_eq!(
            o("http://127.0.0.1:8090/x").as_deref(),
            Some("http://127.0.0.1:8090")
        );
        assert_eq!(o("http://[::1]:80/").as_deref(), Some("http://[::1]"));
    }

    #[test]
    fn restriction_patterns_cover_paths() {
        assert!(pattern_covers(
            "/accounts/password/change/",
            "/accounts/password/change/"
        ));
        assert!(pattern_covers(
            "/accounts/password/change/",
            "/accounts/password/change"
        ));
        assert!(pattern_covers(
            "/accounts/remove/",
            "/accounts/remove/request/permanent/"
        ));
        assert!(pattern_covers("/Settings/Password", "/settings/password"));
        assert!(pattern_covers("/accounts/*/delete", "/accounts/42/delete"));
        assert!(!pattern_covers("/accounts/edit/", "/accounts/"));
        assert!(!pattern_covers("/accounts/edit/", "/explore/"));
        assert!(!pattern_covers("", "/anything"));
        assert_eq!(url_path("https://x.test/A/b?c=1#d"), "/a/b");
        assert_eq!(url_path("https://x.test"), "/");
        assert_eq!(url_path("https://x.test?q"), "/");
    }
}
