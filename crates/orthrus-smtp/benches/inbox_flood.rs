//! Benchmark: a flood of large messages to one managed address (issue 11,
//! finding 5), through the real listener and the real app with their
//! default limits, on SQLite and, when `ORTHRUS_TEST_DATABASE_URL` is set,
//! PostgreSQL.
//!
//! Figures printed (nothing is asserted about them):
//! - how the flood was answered (SMTP reply codes) and how long it took;
//! - how much was stored (rows and bytes of `inbox_messages`);
//! - how long one `GET /api/v1/inbox?account_id=…` takes afterwards, and
//!   the worst `GET /healthz` latency while it runs (the async threads are
//!   blocked when that one grows).
//!
//! `cargo bench -p orthrus-smtp --bench inbox_flood`. Knobs:
//! `BENCH_FLOOD_MESSAGES` (default 500), `BENCH_FLOOD_MB` (default 4),
//! `BENCH_FLOOD_CLIENTS` (default 4), `BENCH_FLOOD_READS` (default 3),
//! `BENCH_FLOOD_QUOTA_MB` (the per-address and per-workspace storage quota;
//! default: the app's defaults), to time a read of a fuller inbox.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod support;

use orthrus_app::AppConfig;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

struct Client {
    reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: tokio::net::tcp::OwnedWriteHalf,
}

impl Client {
    /// None when the server refuses the connection (421 greeting).
    async fn connect(addr: SocketAddr) -> Option<Self> {
        let stream = TcpStream::connect(addr).await.ok()?;
        stream.set_nodelay(true).unwrap();
        let (r, w) = stream.into_split();
        let mut c = Self {
            reader: BufReader::new(r),
            writer: w,
        };
        if c.reply().await != Some(220) {
            return None;
        }
        c.writer.write_all(b"EHLO flood.test\r\n").await.ok()?;
        (c.reply().await == Some(250)).then_some(c)
    }

    /// One (possibly multi-line) reply's code; None when the connection ended.
    async fn reply(&mut self) -> Option<u16> {
        let mut line = String::new();
        loop {
            line.clear();
            let n = self.reader.read_line(&mut line).await.ok()?;
            if n == 0 {
                return None;
            }
            if line.as_bytes().get(3) != Some(&b'-') {
                return line.get(..3)?.parse().ok();
            }
        }
    }

    /// Sends one message; returns the code that ended the transaction
    /// (the refusal of RCPT, or the answer after DATA); None: connection lost.
    async fn send(&mut self, to: &str, headers: &str, body: &[u8]) -> Option<u16> {
        let envelope = format!("MAIL FROM:<flood@sender.test>\r\nRCPT TO:<{to}>\r\nDATA\r\n");
        self.writer.write_all(envelope.as_bytes()).await.ok()?;
        let mail = self.reply().await?;
        let rcpt = self.reply().await?;
        let data = self.reply().await?;
        if data != 354 {
            self.writer.write_all(b"RSET\r\n").await.ok()?;
            self.reply().await?;
            return Some(if mail != 250 {
                mail
            } else if rcpt != 250 {
                rcpt
            } else {
                data
            });
        }
        self.writer.write_all(headers.as_bytes()).await.ok()?;
        self.writer.write_all(body).await.ok()?;
        self.writer.write_all(b".\r\n").await.ok()?;
        self.reply().await
    }
}

/// The sender's DMARC policy is pinned and nothing else is looked up: the
/// benchmark asks no name server (nothing listens on the loopback port).
fn auth_config() -> orthrus_smtp::auth::AuthConfig {
    orthrus_smtp::auth::AuthConfig {
        pinned: vec![("_dmarc.sender.test".into(), "v=DMARC1; p=none".into())],
        dns_servers: vec!["127.0.0.1:9".parse().unwrap()],
        timeout: Duration::from_secs(1),
        ..Default::default()
    }
}

fn quota_config() -> AppConfig {
    let mut c = AppConfig::default();
    if let Some(mb) = std::env::var("BENCH_FLOOD_QUOTA_MB")
        .ok()
        .and_then(|v| v.parse::<i64>().ok())
    {
        c.inbox_limits.address_storage_bytes = mb * 1024 * 1024;
        c.inbox_limits.workspace_storage_bytes = mb * 1024 * 1024;
    }
    c
}

/// `mb` MiB of text that does not compress much (random letters and digits
/// in 76-character lines), as an attachment-heavy flood would.
fn body(mb: usize) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut out = Vec::with_capacity(mb * 1024 * 1024 + 100);
    while out.len() < mb * 1024 * 1024 {
        for _ in 0..76 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            out.push(ALPHABET[(x % 64) as usize]);
        }
        out.extend_from_slice(b"\r\n");
    }
    out
}

async fn run(label: &str, url_db: &str) {
    let store = orthrus_store::open(url_db).await.unwrap();
    let app = support::app(store, quota_config());
    let stop = CancellationToken::new();
    let smtp = support::smtp(
        &app,
        orthrus_smtp::SmtpConfig::default(),
        &auth_config(),
        &stop,
    )
    .await;
    let (url, http, token, id, address) = support::scene(&app, "Flood").await;

    // The flood: `total` messages over `clients` connections.
    let total = support::env_num("BENCH_FLOOD_MESSAGES", 500);
    let mb = support::env_num("BENCH_FLOOD_MB", 4);
    let clients = support::env_num("BENCH_FLOOD_CLIENTS", 4).max(1);
    let body = Arc::new(tokio::task::spawn_blocking(move || body(mb)).await.unwrap());
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (address, body) = (address.clone(), Arc::clone(&body));
        let n = total / clients + usize::from(c < total % clients);
        tasks.push(tokio::spawn(async move {
            let mut codes: BTreeMap<String, usize> = BTreeMap::new();
            let mut client = None;
            for i in 0..n {
                if client.is_none() {
                    client = Client::connect(smtp).await;
                }
                let Some(cl) = client.as_mut() else {
                    *codes.entry("refused connection".into()).or_default() += 1;
                    continue;
                };
                let headers = format!(
                    "From: Flood <flood@sender.test>\r\nTo: {address}\r\nSubject: flood {c}-{i}\r\n\
                     Message-ID: <flood-{c}-{i}@sender.test>\r\nMIME-Version: 1.0\r\n\
                     Content-Type: text/plain\r\n\r\nYour code is 123456\r\n"
                );
                let code = cl.send(&address, &headers, &body).await;
                let key = code.map_or("connection lost".into(), |c| c.to_string());
                *codes.entry(key).or_default() += 1;
                if code.is_none() || code == Some(421) {
                    client = None;
                }
            }
            codes
        }));
    }
    let mut codes: BTreeMap<String, usize> = BTreeMap::new();
    for t in tasks {
        for (k, v) in t.await.unwrap() {
            *codes.entry(k).or_default() += v;
        }
    }
    let flood_secs = start.elapsed().as_secs_f64();
    let (rows, bytes) = stored(url_db).await;
    println!(
        "{label:<9} flood of {total} x {mb} MiB to one address over {clients} connections: {flood_secs:.1} s; answers {codes:?}"
    );
    println!(
        "{label:<9} stored: {rows} messages, {:.1} MiB in inbox_messages.sealed",
        bytes as f64 / 1024.0 / 1024.0
    );

    // One inbox read at a time, with /healthz polled alongside.
    let reads = support::env_num("BENCH_FLOOD_READS", 3);
    for r in 0..reads {
        let probe_stop = CancellationToken::new();
        let probe = tokio::spawn({
            let (http, url, probe_stop) = (http.clone(), url.clone(), probe_stop.clone());
            async move {
                let mut worst = Duration::ZERO;
                while !probe_stop.is_cancelled() {
                    let t = Instant::now();
                    http.get(format!("{url}/healthz")).send().await.unwrap();
                    worst = worst.max(t.elapsed());
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                worst
            }
        });
        let t = Instant::now();
        let items = support::json(
            http.get(format!("{url}/api/v1/inbox?account_id={id}"))
                .bearer_auth(&token),
        )
        .await;
        let took = t.elapsed();
        probe_stop.cancel();
        let worst = probe.await.unwrap();
        println!(
            "{label:<9} inbox read {}: {} items in {:.1} ms; worst /healthz meanwhile {:.1} ms",
            r + 1,
            items.as_array().map_or(0, Vec::len),
            took.as_secs_f64() * 1000.0,
            worst.as_secs_f64() * 1000.0
        );
    }
    stop.cancel();
    tokio::time::sleep(Duration::from_millis(50)).await;
}

/// Rows and sealed bytes in the inbox, straight from the database.
async fn stored(url: &str) -> (i64, i64) {
    use sqlx::Row;
    let q = "SELECT COUNT(*), CAST(COALESCE(SUM(LENGTH(sealed)), 0) AS BIGINT) FROM inbox_messages";
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        let row = sqlx::query(q).fetch_one(&pool).await.unwrap();
        (row.get(0), row.get(1))
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        let row = sqlx::query(q).fetch_one(&pool).await.unwrap();
        (row.get(0), row.get(1))
    }
}

fn main() {
    support::block_on(async {
        let dir = tempfile::tempdir().unwrap();
        orthrus_store::testing::each_backend(dir.path(), "flood", |label, url| async move {
            run(label, &url).await;
        })
        .await
        .unwrap();
    });
}
