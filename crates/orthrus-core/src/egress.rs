//! Where the server may connect on a user's behalf (automations open an
//! account's login URL in Chromium). Pure decisions only: which addresses
//! are internal, what an operator allowed, and the host and port of a URL.
//! Resolving names and connecting belong to the callers (`orthrus-app`'s
//! `egress` module, the automation browser's proxy), which check every
//! address a name resolves to and then connect to the address they checked,
//! so a name that re-resolves ("DNS rebinding") cannot slip through.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// True for addresses that are not on the public internet: loopback,
/// private, carrier-grade NAT, link-local, unique-local, unspecified,
/// multicast, broadcast, documentation and reserved ranges, and any IPv6
/// form that embeds such an IPv4 address (mapped, compatible, NAT64, 6to4).
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => is_internal_v6(v6),
    }
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        // "This network" 0.0.0.0/8: Linux connects 0.x to the local host.
        || a == 0
        // Carrier-grade NAT 100.64.0.0/10 (shared address space).
        || (a == 100 && (64..128).contains(&b))
        // IETF protocol assignments 192.0.0.0/24.
        || (a == 192 && b == 0 && c == 0)
        // Benchmarking 198.18.0.0/15.
        || (a == 198 && (b == 18 || b == 19))
        // Reserved 240.0.0.0/4.
        || a >= 240
}

fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    // IPv4-compatible ::a.b.c.d (deprecated, still routed by some stacks).
    if s[..6] == [0; 6] {
        return Some(tail(s[6], s[7]));
    }
    // NAT64 64:ff9b::/96 and the local-use 64:ff9b:1::/48.
    if s[0] == 0x64 && s[1] == 0xff9b && (s[2..6] == [0; 4] || s[2] == 1) {
        return Some(tail(s[6], s[7]));
    }
    // 6to4 2002:a.b.c.d::/48.
    if s[0] == 0x2002 {
        return Some(tail(s[1], s[2]));
    }
    None
}

fn is_internal_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        // `::` and `::1` fall in the compatible range; they are internal
        // whatever the embedded reading says.
        return ip.is_unspecified() || ip.is_loopback() || is_internal_v4(v4);
    }
    let s0 = ip.segments()[0];
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // Unique local fc00::/7.
        || (s0 & 0xfe00) == 0xfc00
        // Link-local fe80::/10 and the old site-local fec0::/10.
        || (s0 & 0xffc0) == 0xfe80
        || (s0 & 0xffc0) == 0xfec0
        // Documentation 2001:db8::/32.
        || (s0 == 0x2001 && ip.segments()[1] == 0x0db8)
        // Teredo 2001::/32 tunnels to an address the server cannot check.
        || (s0 == 0x2001 && ip.segments()[1] == 0)
}

/// One entry of `automation.allowed_private_hosts`: a host name or an IP
/// address, with or without a port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowedHost {
    host: String,
    port: Option<u16>,
}

/// Why an entry of the allow list was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AllowListError {
    #[error("{0:?} is not a host or host:port (for example wiki.corp or 127.0.0.1:8080)")]
    BadEntry(String),
}

/// The internal targets an operator allowed automations to open.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PrivateHostAllowList {
    entries: Vec<AllowedHost>,
}

/// Lower-cases a host and takes the brackets off an IPv6 literal.
fn normal_host(h: &str) -> String {
    h.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

impl PrivateHostAllowList {
    /// Parses entries such as `wiki.corp`, `127.0.0.1:8080` or `[::1]:8443`.
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<Self, AllowListError> {
        let mut out = Vec::new();
        for raw in entries {
            let e = raw.trim();
            if e.is_empty() {
                continue;
            }
            let bad = || AllowListError::BadEntry(e.to_owned());
            let (host, port) = if let Some(rest) = e.strip_prefix('[') {
                let (h, after) = rest.split_once(']').ok_or_else(bad)?;
                match after {
                    "" => (h, None),
                    p => (h, Some(p.strip_prefix(':').ok_or_else(bad)?)),
                }
            } else if e.matches(':').count() > 1 {
                // A bare IPv6 address: no port possible without brackets.
                (e, None)
            } else {
                match e.split_once(':') {
                    Some((h, p)) => (h, Some(p)),
                    None => (e, None),
                }
            };
            let port = port
                .map(|p| p.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(bad))
                .transpose()?;
            let host = normal_host(host);
            let valid = host.parse::<IpAddr>().is_ok()
                || (!host.is_empty()
                    && host.len() <= 253
                    && host
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'));
            if !valid {
                return Err(bad());
            }
            out.push(AllowedHost { host, port });
        }
        Ok(Self { entries: out })
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether connecting to `ip` on `port`, for a URL whose host is
    /// `url_host`, is allowed although `ip` is internal: an entry names the
    /// URL's host or that address, and its port when it gives one.
    pub fn permits(&self, url_host: &str, ip: IpAddr, port: u16) -> bool {
        let name = normal_host(url_host);
        self.entries.iter().any(|e| {
            let host_matches = e.host == name
                || e.host
                    .parse::<IpAddr>()
                    .is_ok_and(|a| canonical(a) == canonical(ip));
            host_matches && e.port.is_none_or(|p| p == port)
        })
    }
}

/// `::ffff:a.b.c.d` and `a.b.c.d` are the same host.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The host and port an `http://` or `https://` URL connects to (the port
/// defaults by scheme), read with the WHATWG URL rules that browsers use
/// (percent-decoding, IDNA, full-width dots, numeric IPv4 forms), so that
/// what is checked is what Chromium opens. None for anything else.
pub fn url_host_port(url: &str) -> Option<(String, u16)> {
    let u = url::Url::parse(url.trim()).ok()?;
    if !matches!(u.scheme(), "http" | "https" | "ws" | "wss") {
        return None;
    }
    let port = u.port_or_known_default()?;
    let host = match u.host()? {
        url::Host::Domain(d) => normal_host(d),
        url::Host::Ipv4(a) => a.to_string(),
        url::Host::Ipv6(a) => a.to_string(),
    };
    (!host.is_empty()).then_some((host, port))
}

/// Splits `host[:port]` or `[v6][:port]`.
pub fn host_port(hostport: &str, default_port: u16) -> Option<(String, u16)> {
    let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        (h, port)
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') => (h, Some(p)),
            Some(_) => return None,
            None => (hostport, None),
        }
    };
    let port = match port {
        None | Some("") => default_port,
        Some(p) => p.parse().ok()?,
    };
    let host = normal_host(host);
    if host.is_empty() {
        return None;
    }
    Some((host, port))
}

#[cfg(test)]
mod tests {
    // Only loopback addresses appear here (the project's rule for tests):
    // the other ranges are decided by the standard library's own
    // classifiers and the few prefixes written out above.
    use super::*;

    #[test]
    fn loopback_in_every_spelling_is_internal() {
        for a in [
            "127.0.0.1",
            "127.1.2.3",
            "127.255.255.254",
            "::1",
            "::ffff:127.0.0.1",
            "::127.0.0.1",
            "64:ff9b::127.0.0.1",
            "2002:7f00:1::",
        ] {
            assert!(is_internal(a.parse().unwrap()), "{a}");
        }
    }

    #[test]
    fn allow_list_matches_host_or_address_and_port() {
        let l = PrivateHostAllowList::parse(["127.0.0.1:8080", "wiki.corp", "[::1]:9"]).unwrap();
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(l.permits("127.0.0.1", lo, 8080));
        assert!(!l.permits("127.0.0.1", lo, 8081));
        assert!(
            l.permits("localhost", lo, 8080),
            "a name resolving to an allowed address"
        );
        assert!(l.permits("wiki.corp", lo, 1));
        assert!(l.permits("WIKI.corp.", lo, 1));
        assert!(l.permits("[::1]", "::1".parse().unwrap(), 9));
        assert!(l.permits("x", "::ffff:127.0.0.1".parse().unwrap(), 8080));
        assert!(!PrivateHostAllowList::default().permits("localhost", lo, 80));
        for bad in ["a b", "host:0", "host:99999", "[::1", "x:y"] {
            assert!(PrivateHostAllowList::parse([bad]).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls_give_the_host_they_connect_to() {
        let hp = |u| url_host_port(u);
        assert_eq!(
            hp("https://example.com/login"),
            Some(("example.com".into(), 443))
        );
        assert_eq!(
            hp("http://LOCALHOST:8080"),
            Some(("localhost".into(), 8080))
        );
        assert_eq!(hp("http://[::1]:9/x"), Some(("::1".into(), 9)));
        assert_eq!(
            hp("http://example.com@127.0.0.1/"),
            Some(("127.0.0.1".into(), 80))
        );
        assert_eq!(
            hp("http://127.0.0.1\\@example.com/"),
            Some(("127.0.0.1".into(), 80))
        );
        assert_eq!(hp("javascript:alert(1)"), None);
        assert_eq!(hp("http://:80/"), None);
        // Spellings Chromium reads as loopback are read the same way here.
        for u in [
            "http://127.0.0.1%2e/",
            "http://%31%32%37.0.0.1/",
            "http://\u{ff11}\u{ff12}\u{ff17}.0.0.1/",
            "http://127.0.0.1\u{3002}/",
            "http://0x7f.1/",
            "http://2130706433/",
        ] {
            assert_eq!(hp(u), Some(("127.0.0.1".into(), 80)), "{u}");
        }
        assert_eq!(
            hp("http://\u{24db}ocalhost:8080/"),
            Some(("localhost".into(), 8080))
        );
    }
}
