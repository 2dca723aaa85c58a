//! The automation browser's only way out: an HTTP proxy on loopback that
//! Chromium must use for every request (`--proxy-server`, with
//! `<-loopback>` so that not even localhost bypasses it). Each request,
//! redirect, subresource and WebSocket is checked with [`Egress::check`]:
//! the name is resolved here, every address must be public or allowed, and
//! the connection goes to the address that was checked, so a rebinding name
//! gets no second answer. chromedriver's and Chromium's own control ports
//! are refused whatever the allow list says.
//!
//! Plain HTTP requests are forwarded one per connection (`Connection:
//! close`), so a kept-alive connection can never carry a second request to
//! another host past the check; HTTPS and WebSockets go through `CONNECT`
//! tunnels to the one checked host.

use orthrus_app::egress::{Egress, EgressRefusal};
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// Refusals kept for the job's log; a page can cause any number.
const MAX_REFUSED: usize = 100;

/// Control ports of every browser this process runs (chromedriver's, the
/// DevTools port): one job's page must not reach another job's browser
/// either. Process-wide because the browsers are.
static CONTROL_PORTS: std::sync::LazyLock<Mutex<HashSet<u16>>> =
    std::sync::LazyLock::new(Mutex::default);

/// Whether `ip` reaches this machine: loopback, unspecified (Linux connects
/// 0.0.0.0 and :: to the local host), in any IPv4-mapped spelling.
fn is_local(ip: std::net::IpAddr) -> bool {
    let ip = match ip {
        std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, std::net::IpAddr::V4),
        v4 => v4,
    };
    ip.is_loopback() || ip.is_unspecified()
}

/// A request head larger than this is refused.
const MAX_HEAD: usize = 64 * 1024;
/// Connecting upstream must finish within this.
const IO_TIMEOUT: Duration = Duration::from_secs(30);
/// Chromium opens connections ahead of need and may leave one idle for a
/// while before it sends a request on it; one idle longer than this is
/// closed without an answer (an answer would be read as the response to a
/// request sent at that very moment).
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// The running proxy; it stops (with every connection) when dropped.
pub struct EgressProxy {
    addr: SocketAddr,
    denied_ports: Arc<Mutex<HashSet<u16>>>,
    refused: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for EgressProxy {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every
        // connection it carries.
        self.task.abort();
        if let (Ok(mine), Ok(mut all)) = (self.denied_ports.lock(), CONTROL_PORTS.lock()) {
            for p in mine.iter() {
                all.remove(p);
            }
        }
    }
}

impl EgressProxy {
    /// Listens on a free loopback port.
    pub async fn start(egress: Egress) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let denied_ports: Arc<Mutex<HashSet<u16>>> = Arc::default();
        let refused: Arc<Mutex<Vec<String>>> = Arc::default();
        let shared = Shared {
            egress,
            refused: Arc::clone(&refused),
        };
        let task = tokio::spawn(async move {
            let mut conns = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let Ok((stream, peer)) = accepted else { continue };
                        // Only this machine's processes (Chromium) may use it.
                        if !peer.ip().is_loopback() {
                            continue;
                        }
                        let shared = shared.clone();
                        conns.spawn(async move { shared.serve(stream).await });
                    }
                    Some(_) = conns.join_next(), if !conns.is_empty() => {}
                }
            }
        });
        Ok(Self {
            addr,
            denied_ports,
            refused,
            task,
        })
    }

    /// The `--proxy-server` address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Refuses a local port whatever the allow list says (chromedriver's,
    /// Chromium's DevTools port), for every browser of this process, until
    /// this proxy stops.
    pub fn deny_loopback_port(&self, port: u16) {
        if let Ok(mut d) = self.denied_ports.lock() {
            d.insert(port);
        }
        if let Ok(mut all) = CONTROL_PORTS.lock() {
            all.insert(port);
        }
    }

    /// What was refused so far (host and reason), oldest first.
    pub fn refused(&self) -> Vec<String> {
        self.refused.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

#[derive(Clone)]
struct Shared {
    egress: Egress,
    refused: Arc<Mutex<Vec<String>>>,
}

/// A parsed request head.
struct Head {
    method: String,
    target: String,
    version: String,
    headers: Vec<(String, String)>,
}

fn parse_head(raw: &[u8]) -> Option<Head> {
    let text = std::str::from_utf8(raw).ok()?;
    let mut lines = text.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, target, version) = (first.next()?, first.next()?, first.next()?);
    if first.next().is_some() || !version.starts_with("HTTP/1.") {
        return None;
    }
    let mut headers = Vec::new();
    for l in lines.filter(|l| !l.is_empty()) {
        let (k, v) = l.split_once(':')?;
        headers.push((k.trim().to_owned(), v.trim().to_owned()));
    }
    Some(Head {
        method: method.to_owned(),
        target: target.to_owned(),
        version: version.to_owned(),
        headers,
    })
}

/// Reads until the end of the request head; returns the head and any bytes
/// read past it (the start of a body). `Ok(None)`: not an HTTP head (too
/// large, or cut off); `Err`: the connection ended before any byte.
async fn read_head(s: &mut TcpStream) -> std::io::Result<Option<(Vec<u8>, Vec<u8>)>> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = buf.split_off(end + 4);
            return Ok(Some((buf, rest)));
        }
        if buf.len() > MAX_HEAD {
            return Ok(None);
        }
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return if buf.is_empty() {
                Err(std::io::ErrorKind::UnexpectedEof.into())
            } else {
                Ok(None)
            };
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn answer(s: &mut TcpStream, status: &str, body: &str) {
    let msg = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = s.write_all(msg.as_bytes()).await;
    let _ = s.shutdown().await;
}

impl Shared {
    async fn serve(self, mut client: TcpStream) {
        let (raw, rest) = match tokio::time::timeout(IDLE_TIMEOUT, read_head(&mut client)).await {
            Ok(Ok(Some(head))) => head,
            Ok(Ok(None)) => return answer(&mut client, "400 Bad Request", "bad request").await,
            // Closed by Chromium, or idle too long: nothing to answer.
            Ok(Err(_)) | Err(_) => return,
        };
        let Some(head) = parse_head(&raw) else {
            return answer(&mut client, "400 Bad Request", "bad request").await;
        };
        let connect = head.method.eq_ignore_ascii_case("CONNECT");
        let target = if connect {
            orthrus_core::egress::host_port(&head.target, 443).map(|hp| (hp, String::new()))
        } else {
            absolute_http(&head.target)
        };
        let Some(((host, port), path)) = target else {
            return answer(
                &mut client,
                "400 Bad Request",
                "the proxy takes absolute http URLs and CONNECT",
            )
            .await;
        };
        let addrs = match self.check(&host, port).await {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(host = %host, port, reason = %e, "the automation browser was refused a destination");
                if let Ok(mut r) = self.refused.lock()
                    && r.len() < MAX_REFUSED
                {
                    r.push(e.to_string());
                }
                return answer(
                    &mut client,
                    "403 Forbidden",
                    &format!("Orthrus refused this address: {e}"),
                )
                .await;
            }
        };
        let Ok(Ok(upstream)) =
            tokio::time::timeout(IO_TIMEOUT, TcpStream::connect(&addrs[..])).await
        else {
            return answer(&mut client, "502 Bad Gateway", "could not connect").await;
        };
        let mut upstream = upstream;
        if connect {
            if client
                .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                .await
                .is_err()
                || upstream.write_all(&rest).await.is_err()
            {
                return;
            }
        } else {
            let head = origin_form(&head, &path);
            if upstream.write_all(head.as_bytes()).await.is_err()
                || upstream.write_all(&rest).await.is_err()
            {
                return;
            }
        }
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
    }

    async fn check(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, EgressRefusal> {
        let addrs = self.egress.check(host, port).await?;
        let denied = CONTROL_PORTS.lock().map(|d| d.clone()).unwrap_or_default();
        if addrs
            .iter()
            .any(|a| is_local(a.ip()) && denied.contains(&a.port()))
        {
            return Err(EgressRefusal::ControlPort {
                host: host.to_owned(),
                port,
            });
        }
        Ok(addrs)
    }
}

/// `http://host[:port]/path` → ((host, port), "/path").
fn absolute_http(target: &str) -> Option<((String, u16), String)> {
    let rest = target
        .strip_prefix("http://")
        .or_else(|| target.strip_prefix("HTTP://"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.contains('@') {
        return None;
    }
    let hp = orthrus_core::egress::host_port(authority, 80)?;
    Some((hp, path.to_owned()))
}

/// The request as the origin server expects it: origin-form target, no
/// proxy headers, and one request per connection unless it upgrades.
fn origin_form(head: &Head, path: &str) -> String {
    let upgrade = head
        .headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("upgrade"));
    let mut out = format!("{} {} {}\r\n", head.method, path, head.version);
    for (k, v) in &head.headers {
        let drop = k.eq_ignore_ascii_case("proxy-connection")
            || k.eq_ignore_ascii_case("proxy-authorization")
            || k.eq_ignore_ascii_case("keep-alive")
            || (!upgrade && k.eq_ignore_ascii_case("connection"));
        if !drop {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    if !upgrade {
        out.push_str("Connection: close\r\n");
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_rewritten_for_the_origin() {
        let h = parse_head(b"GET http://127.0.0.1:8080/a?b HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nProxy-Connection: keep-alive\r\nConnection: keep-alive\r\n\r\n").unwrap();
        let ((host, port), path) = absolute_http(&h.target).unwrap();
        assert_eq!(
            (host.as_str(), port, path.as_str()),
            ("127.0.0.1", 8080, "/a?b")
        );
        let out = origin_form(&h, &path);
        assert_eq!(
            out,
            "GET /a?b HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nConnection: close\r\n\r\n"
        );
        assert!(absolute_http("http://user@127.0.0.1/").is_none());
        assert!(absolute_http("/relative").is_none());
        assert!(parse_head(b"GET / HTTP/2\r\n\r\n").is_none());
    }
}
