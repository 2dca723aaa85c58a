//! Benchmark: SMTP ingestion into the shared inbox, through the real
//! listener and the real app (recipient check, MIME parsing, code
//! extraction, sealing, a durable write before `250`), on SQLite and, when
//! `ORTHRUS_TEST_DATABASE_URL` is set, PostgreSQL.
//!
//! Two figures:
//! - throughput: messages accepted per second from several concurrent SMTP
//!   clients, each sending one message after another on its own connection
//!   (MAIL, RCPT and DATA pipelined);
//! - latency: from the end of DATA (the client's `.`) until
//!   `GET /api/v1/inbox` over HTTP returns the message with its code.
//!
//! `cargo bench -p orthrus-smtp --bench smtp_ingest` (release build). Knobs:
//! `BENCH_MESSAGES` (default 10000), `BENCH_CLIENTS` (default 16),
//! `BENCH_LATENCY_SAMPLES` (default 300).
//!
//! `BENCH_DNS=silent` measures a DNS outage (issue 14): no record is
//! pinned and the only name server is a loopback UDP socket that never
//! answers, so every DKIM and DMARC lookup waits until the check's
//! deadline (`AuthConfig::timeout`, 3 s) unless the failure cache answers.
//! `BENCH_FAILURE_CACHE=off` turns that cache off (the behaviour before it
//! existed).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod support;

use orthrus_app::AppConfig;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

/// A minimal SMTP client: one connection, messages sent one after another.
struct Client {
    reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: tokio::net::tcp::OwnedWriteHalf,
}

impl Client {
    async fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let (r, w) = stream.into_split();
        let mut c = Self {
            reader: BufReader::new(r),
            writer: w,
        };
        assert_eq!(c.reply().await, 220);
        c.writer.write_all(b"EHLO bench.test\r\n").await.unwrap();
        assert_eq!(c.reply().await, 250);
        c
    }

    /// Reads one (possibly multi-line) reply and returns its code.
    async fn reply(&mut self) -> u16 {
        let mut line = String::new();
        loop {
            line.clear();
            let n = self.reader.read_line(&mut line).await.unwrap();
            assert!(n > 0, "server closed the connection");
            if line.as_bytes().get(3) != Some(&b'-') {
                return line[..3].parse().unwrap();
            }
        }
    }

    /// Sends one message; returns the instant DATA ended (the `.` was
    /// written) once the server has answered 250.
    async fn send(&mut self, to: &str, body: &str) -> Instant {
        let envelope =
            format!("MAIL FROM:<security@mail.instagram.com>\r\nRCPT TO:<{to}>\r\nDATA\r\n");
        self.writer.write_all(envelope.as_bytes()).await.unwrap();
        assert_eq!(self.reply().await, 250, "MAIL");
        assert_eq!(self.reply().await, 250, "RCPT");
        assert_eq!(self.reply().await, 354, "DATA");
        self.writer
            .write_all(format!("{body}\r\n.\r\n").as_bytes())
            .await
            .unwrap();
        let end = Instant::now();
        assert_eq!(self.reply().await, 250, "end of DATA");
        end
    }
}

/// The benchmark's DKIM key: an RSA-2048 test key (`rsa-sha256`, what most
/// senders use), published to the listener as a pinned DNS record.
const DKIM_KEY: &str = include_str!("../tests/fixtures/dkim-rsa-test.pem");
const DKIM_PUBLIC: &str = include_str!("../tests/fixtures/dkim-rsa-test.pub.b64");

/// Whether the run simulates an unreachable resolver (`BENCH_DNS=silent`).
fn silent_dns() -> bool {
    std::env::var("BENCH_DNS").is_ok_and(|v| v == "silent")
}

fn auth_config(silent: Option<SocketAddr>) -> orthrus_smtp::auth::AuthConfig {
    if let Some(addr) = silent {
        let off = std::env::var("BENCH_FAILURE_CACHE").is_ok_and(|v| v == "off");
        return orthrus_smtp::auth::AuthConfig {
            dns_servers: vec![addr],
            failure_ttl: if off {
                Duration::ZERO
            } else {
                orthrus_smtp::auth::DEFAULT_FAILURE_TTL
            },
            ..Default::default()
        };
    }
    orthrus_smtp::auth::AuthConfig {
        pinned: vec![
            (
                "bench._domainkey.instagram.com".into(),
                format!("v=DKIM1; k=rsa; p={}", DKIM_PUBLIC.trim()),
            ),
            ("_dmarc.instagram.com".into(), "v=DMARC1; p=reject".into()),
        ],
        ..Default::default()
    }
}

/// Signed messages, made before the clock starts (signing is the sender's
/// cost, verifying is ours).
fn signed_messages(keys: Vec<(usize, String)>) -> Vec<String> {
    use mail_auth::common::crypto::{RsaKey, Sha256};
    use mail_auth::common::headers::HeaderWriter;
    use rustls::pki_types::pem::PemObject;
    let chunks: Vec<Vec<(usize, String)>> = keys.chunks(1000).map(<[_]>::to_vec).collect();
    let handles: Vec<_> = chunks
        .into_iter()
        .map(|chunk| {
            std::thread::spawn(move || {
                let key = RsaKey::<Sha256>::from_key_der(rustls::pki_types::PrivateKeyDer::Pkcs1(
                    rustls::pki_types::PrivatePkcs1KeyDer::from_pem_slice(DKIM_KEY.as_bytes())
                        .unwrap(),
                ))
                .unwrap();
                let signer = mail_auth::dkim::DkimSigner::from_key(key)
                    .domain("instagram.com")
                    .selector("bench")
                    .headers(["From", "To", "Subject", "Message-ID", "Date"]);
                chunk
                    .into_iter()
                    .map(|(n, code)| {
                        let m = message(n, &code);
                        format!("{}{m}", signer.sign(m.as_bytes()).unwrap().to_header())
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect()
}

fn message(n: usize, code: &str) -> String {
    format!(
        "From: Instagram <security@mail.instagram.com>\r\n\
         To: team\r\n\
         Subject: {code} is your Instagram code\r\n\
         Message-ID: <bench-{n}@mail.instagram.com>\r\n\
         Date: Sun, 22 Nov 2026 12:00:00 +0000\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         \r\n\
         Hi,\r\n\
         \r\n\
         Someone tried to log in to your Instagram account. If this was you,\r\n\
         please use the following code to confirm your identity:\r\n\
         \r\n\
         {code}\r\n\
         \r\n\
         If this wasn't you, please reset your password. Instagram, Meta\r\n\
         Platforms, Inc., 1601 Willow Road, Menlo Park, CA 94025\r\n"
    )
}

async fn run(label: &str, store: Arc<dyn orthrus_store::Store>) {
    let app = support::app(
        store,
        // The rates and quotas of issue 11 would refuse this flood to one
        // address: this measures ingestion, not those limits.
        AppConfig {
            inbox_limits: orthrus_app::InboxLimits {
                address_messages_per_minute: i64::MAX,
                workspace_messages_per_minute: i64::MAX,
                address_storage_bytes: i64::MAX,
                workspace_storage_bytes: i64::MAX,
            },
            ..AppConfig::default()
        },
    );
    let stop = CancellationToken::new();
    // A name server that never answers: a loopback socket nobody reads.
    let silent = silent_dns().then(|| std::net::UdpSocket::bind("127.0.0.1:0").unwrap());
    let silent_addr = silent.as_ref().map(|s| s.local_addr().unwrap());
    let smtp = support::smtp(
        &app,
        orthrus_smtp::SmtpConfig {
            // Every benchmark client comes from 127.0.0.1.
            max_connections_per_ip: support::env_num("BENCH_CLIENTS", 16) + 1,
            ..orthrus_smtp::SmtpConfig::default()
        },
        &auth_config(silent_addr),
        &stop,
    )
    .await;
    let (url, http, token, id, address) = support::scene(&app, "Bench").await;

    // Throughput.
    let total = support::env_num("BENCH_MESSAGES", 10_000);
    let clients = support::env_num("BENCH_CLIENTS", 16);
    let mut keys = Vec::new();
    let mut sizes = Vec::new();
    for c in 0..clients {
        let n = total / clients + usize::from(c < total % clients);
        sizes.push(n);
        keys.extend((0..n).map(|i| {
            let k = c * 1_000_000 + i;
            (k, format!("{:06}", k % 1_000_000))
        }));
    }
    let mut signed = tokio::task::spawn_blocking(move || signed_messages(keys))
        .await
        .unwrap()
        .into_iter();
    let batches: Vec<Vec<String>> = sizes
        .into_iter()
        .map(|n| signed.by_ref().take(n).collect())
        .collect();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for batch in batches {
        let address = address.clone();
        tasks.push(tokio::spawn(async move {
            let mut client = Client::connect(smtp).await;
            for m in batch {
                client.send(&address, &m).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    let stored = support::json(
        http.get(format!("{url}/api/v1/inbox?account_id={id}&limit=500"))
            .bearer_auth(&token),
    )
    .await;
    let stored = stored.as_array().unwrap();
    assert_eq!(
        stored.len(),
        500.min(total),
        "the messages are in the inbox"
    );
    assert!(stored.iter().all(|m| m["code"].as_str().is_some()));
    if silent.is_some() {
        assert!(
            stored
                .iter()
                .all(|m| m["auth"]["dkim"] == "temperror" && m["auth"]["flagged"] == true),
            "no message could be verified, and claiming instagram.com each is flagged"
        );
    } else {
        assert!(
            stored
                .iter()
                .all(|m| m["auth"]["dkim"] == "pass" && m["auth"]["dmarc"] == "pass"),
            "every message was verified"
        );
    }

    // Latency: end of DATA until the code is readable over HTTP.
    let samples = support::env_num("BENCH_LATENCY_SAMPLES", 300);
    let keys: Vec<(usize, String)> = (0..samples)
        .map(|i| {
            (
                900_000_000 + i,
                format!("{:06}", (i * 7919 + 13) % 1_000_000),
            )
        })
        .collect();
    let signed = tokio::task::spawn_blocking({
        let keys = keys.clone();
        move || signed_messages(keys)
    })
    .await
    .unwrap();
    let mut client = Client::connect(smtp).await;
    let mut lat = Vec::with_capacity(samples);
    for ((_, code), m) in keys.into_iter().zip(signed) {
        let ended = client.send(&address, &m).await;
        let newest = support::json(
            http.get(format!("{url}/api/v1/inbox?account_id={id}&limit=1"))
                .bearer_auth(&token),
        )
        .await;
        lat.push(ended.elapsed());
        assert_eq!(newest[0]["code"].as_str(), Some(code.as_str()));
    }
    lat.sort();
    let pct =
        |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)].as_secs_f64() * 1000.0;
    let label = match (&silent, std::env::var("BENCH_FAILURE_CACHE").as_deref()) {
        (None, _) => label.to_owned(),
        (Some(_), Ok("off")) => format!("{label}, silent DNS, no failure cache"),
        (Some(_), _) => format!("{label}, silent DNS"),
    };
    drop(silent);
    println!(
        "{label:<10} {total} messages, {clients} SMTP clients: {:>6.0} msg/s   end of DATA -> code over HTTP: p50 {:.2} ms   p99 {:.2} ms",
        total as f64 / secs,
        pct(0.50),
        pct(0.99)
    );
    stop.cancel();
    tokio::time::sleep(Duration::from_millis(50)).await;
}

fn main() {
    support::block_on(async {
        let dir = tempfile::tempdir().unwrap();
        orthrus_store::testing::each_backend(dir.path(), "smtpbench", |label, url| async move {
            run(label, orthrus_store::open(&url).await.unwrap()).await;
        })
        .await
        .unwrap();
    });
}
