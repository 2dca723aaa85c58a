//! Benchmark: the hot HTTP paths of `orthrus serve` on SQLite and on
//! PostgreSQL side by side, in one run (issue 16, item 4).
//!
//! For each backend it starts `orthrus serve` (the release build under
//! `cargo bench`), makes an Owner, an account with a TOTP seed and a
//! personal API token, then for a fixed time keeps `BENCH_CONNECTIONS`
//! (default 32) keep-alive connections busy, each sending one request after
//! the other with the token:
//!
//! - code views: `GET /api/v1/accounts/{id}/totp/code?via=view` (token
//!   lookup, user and workspace, policy, account and membership, the seed
//!   opened, HMAC, the used-step mark, and the ledger row written durably
//!   before the answer);
//! - `GET /api/v1/me` (authentication alone).
//!
//! Then code views against two `orthrus serve` processes on the same
//! PostgreSQL database, the connections split between them round-robin.
//!
//! It prints requests per second and the p50 / p99 latency of each. The
//! load generator is a small HTTP/1.1 client in this file (tokio only), on
//! the same machine; loopback only.
//!
//! `ORTHRUS_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test
//!  cargo bench -p orthrus --bench http`
//! (`ORTHRUS_BENCH_DATABASE_URL` wins over `ORTHRUS_TEST_DATABASE_URL`; a
//! fresh scratch database is made next to it). Knobs: `BENCH_SECS` (default
//! 10 per figure, after 2 s of warm-up), `BENCH_CONNECTIONS`; the servers
//! inherit `ORTHRUS_DATABASE_MAX_CONNECTIONS`.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

#[path = "../tests/it/support.rs"]
mod support;

use serde_json::json;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use support::{Server, Storage, create, create_user_ok, enrol_totp, http, login, step_up};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What one timed run measured.
struct Figures {
    requests: usize,
    secs: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// Requests sent, warm-up included.
    sent: usize,
}

/// CPU time (user + system, ms) of the processes whose `/proc/<pid>/stat`
/// the filter accepts (by pid and command name).
fn cpu_ms(accept: impl Fn(u32, &str) -> bool) -> f64 {
    let mut ticks = 0u64;
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        if !accept(pid, &stat[open + 1..close]) {
            continue;
        }
        let f: Vec<&str> = stat[close + 2..].split(' ').collect();
        ticks += f[11].parse::<u64>().unwrap_or(0) + f[12].parse::<u64>().unwrap_or(0);
    }
    ticks as f64 * 10.0
}

/// CPU used so far by the servers, PostgreSQL's backends `pg` and this
/// load generator.
fn cpu(servers: &[u32], pg: &[u32]) -> [f64; 3] {
    let me = std::process::id();
    [
        cpu_ms(|pid, _| servers.contains(&pid)),
        cpu_ms(|pid, name| name == "postgres" && pg.contains(&pid)),
        cpu_ms(|pid, _| pid == me),
    ]
}

/// Transactions PostgreSQL committed in `url`'s database so far (in
/// autocommit, one per statement) and the backends serving it: other
/// databases on the server (other tests) are left out.
async fn pg_state(url: &str) -> (i64, Vec<u32>) {
    use sqlx::{Connection, Row};
    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
    let n: i64 =
        sqlx::query("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
            .fetch_one(&mut c)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
    let pids = sqlx::query("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        .fetch_all(&mut c)
        .await
        .unwrap()
        .iter()
        .map(|r| u32::try_from(r.try_get::<i32, _>(0).unwrap()).unwrap())
        .collect();
    c.close().await.unwrap();
    (n, pids)
}

/// An HTTP/1.1 keep-alive connection that sends one GET at a time.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        Self {
            stream,
            buf: Vec::with_capacity(8192),
        }
    }

    /// Sends `request` and reads one whole response; its status.
    async fn get(&mut self, request: &[u8]) -> u16 {
        self.stream.write_all(request).await.unwrap();
        self.buf.clear();
        let mut chunk = [0u8; 8192];
        loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let head = std::str::from_utf8(&self.buf[..end]).unwrap().to_owned();
                let status: u16 = head[9..12].parse().unwrap();
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse().ok())?
                    })
                    .expect("the server sends Content-Length");
                let want = end + 4 + length;
                while self.buf.len() < want {
                    let n = self.stream.read(&mut chunk).await.unwrap();
                    assert!(n > 0, "the server closed the connection");
                    self.buf.extend_from_slice(&chunk[..n]);
                }
                assert_eq!(self.buf.len(), want, "one response per request");
                return status;
            }
            let n = self.stream.read(&mut chunk).await.unwrap();
            assert!(n > 0, "the server closed the connection");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Keeps `connections` connections (split round-robin over `servers`)
/// busy with GET `path` for `warmup` and then `secs`.
async fn drive(servers: &[SocketAddr], path: &str, token: &str, secs: u64) -> Figures {
    let connections = env_num("BENCH_CONNECTIONS", 32) as usize;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nAccept: application/json\r\n\r\n"
    )
    .into_bytes();
    let warmup = Duration::from_secs(2);
    let start = Instant::now() + warmup;
    let end = start + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for n in 0..connections {
        let addr = servers[n % servers.len()];
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(addr).await;
            let mut lat = Vec::with_capacity(100_000);
            let mut sent = 0usize;
            loop {
                let t = Instant::now();
                if t >= end {
                    break;
                }
                let status = conn.get(&request).await;
                assert_eq!(status, 200, "{}", String::from_utf8_lossy(&conn.buf));
                sent += 1;
                if t >= start {
                    lat.push(t.elapsed());
                }
            }
            (lat, sent)
        }));
    }
    let mut lat = Vec::new();
    let mut sent = 0;
    for t in tasks {
        let (l, n) = t.await.unwrap();
        lat.extend(l);
        sent += n;
    }
    lat.sort();
    let pct =
        |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)].as_secs_f64() * 1000.0;
    Figures {
        requests: lat.len(),
        secs: secs as f64,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        sent,
    }
}

/// A server with an Owner, an account with a TOTP seed and an API token:
/// the server, the token, the code view's path.
async fn prepare(storage: &Storage) -> (Server, String, String) {
    create_user_ok(storage, "owner@bench.test", "owner", "owner-password-1");
    let server = Server::start(storage, "warn");
    let c = http();
    let base = format!("{}/api/v1", server.url);
    let t = login(&c, &server.url, "owner@bench.test", "owner-password-1").await;
    step_up(&c, &base, &t).await;
    let tok = create(
        &c,
        &format!("{base}/me/tokens"),
        &t,
        json!({"name": "bench"}),
    )
    .await;
    let token = tok["token"].as_str().unwrap().to_owned();
    let acct = create(
        &c,
        &format!("{base}/accounts"),
        &t,
        json!({"app": "instagram", "label": "Bench", "password": "p"}),
    )
    .await;
    let id = acct["id"].as_str().unwrap().to_owned();
    enrol_totp(&c, &base, &t, &id, json!({"secret": "JBSWY3DPEHPK3PXP"})).await;
    let path = format!("/api/v1/accounts/{id}/totp/code?via=view");
    (server, token, path)
}

fn addr(server: &Server) -> SocketAddr {
    server
        .url
        .trim_start_matches("http://")
        .parse()
        .expect("the server listens on an IP address")
}

/// One figure: the load, then its row with the CPU each side spent per
/// request and, on PostgreSQL, the statements per request.
async fn measure(
    label: &str,
    what: &str,
    servers: &[&Server],
    path: &str,
    token: &str,
    secs: u64,
    database: Option<&str>,
) {
    let pids: Vec<u32> = servers.iter().map(|s| s.child.id()).collect();
    let addrs: Vec<SocketAddr> = servers.iter().map(|s| addr(s)).collect();
    // The pool opened its connections during the first figure's warm-up;
    // a backend opened later counts from its start.
    let (commits_before, pg_before) = match database {
        Some(url) => pg_state(url).await,
        None => (0, Vec::new()),
    };
    let before = cpu(&pids, &pg_before);
    let f = drive(&addrs, path, token, secs).await;
    let (statements, pg) = match database {
        // The first count's own query committed once too.
        Some(url) => {
            let (n, mut pg) = pg_state(url).await;
            pg.extend(pg_before.iter().copied());
            let per = (n - commits_before - 1) as f64 / f.sent as f64;
            (format!("{per:.2}"), pg)
        }
        None => (String::new(), Vec::new()),
    };
    let after = cpu(&pids, &pg);
    let per = |i: usize| (after[i] - before[i]) * 1000.0 / f.sent as f64;
    println!(
        "| {label} | {what} | {:.0} | {:.2} ms | {:.2} ms | {:.0} / {:.0} / {:.0} µs | {statements} |",
        f.requests as f64 / f.secs,
        f.p50_ms,
        f.p99_ms,
        per(0),
        per(1),
        per(2),
    );
}

/// Code views and `GET /me` on one server; for PostgreSQL also code views
/// on two servers sharing the database.
async fn backend(label: &str, storage: Storage, secs: u64, two_nodes: bool) {
    let (server, token, code) = prepare(&storage).await;
    let db = storage.database_url.as_deref();
    let one = [&server];
    measure(label, "code views", &one, &code, &token, secs, db).await;
    measure(label, "GET /me", &one, "/api/v1/me", &token, secs, db).await;
    if two_nodes {
        let second = Storage {
            data_dir: storage.data_dir.with_extension("node2"),
            ..storage.clone()
        };
        let other = Server::start(&second, "warn");
        let what = "code views, 1 node (again)";
        measure(label, what, &one, &code, &token, secs, db).await;
        let both = [&server, &other];
        let what = "code views, 2 nodes";
        measure(label, what, &both, &code, &token, secs, db).await;
        assert!(other.stop().success());
    }
    assert!(server.stop().success());
}

#[tokio::main]
async fn main() {
    let secs = env_num("BENCH_SECS", 10);
    let dir = tempfile::tempdir().unwrap();
    println!(
        "{} connections, {secs} s per figure after 2 s of warm-up, {} cores",
        env_num("BENCH_CONNECTIONS", 32),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "| backend | what | requests/s | p50 | p99 | CPU per request: server / PostgreSQL / load generator | statements per request |\n|---|---|---|---|---|---|---|"
    );
    backend(
        "SQLite",
        Storage {
            data_dir: dir.path().join("sqlite"),
            database_url: None,
        },
        secs,
        false,
    )
    .await;
    let base = std::env::var("ORTHRUS_BENCH_DATABASE_URL")
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(orthrus_store::testing::pg_base_url);
    match base {
        Some(base) => {
            let url = orthrus_store::testing::pg_scratch_database(&base, "benchhttp")
                .await
                .unwrap();
            let storage = Storage {
                data_dir: dir.path().join("pg"),
                database_url: Some(url),
            };
            backend("PostgreSQL", storage, secs, true).await;
        }
        None => println!(
            "PostgreSQL skipped: set ORTHRUS_BENCH_DATABASE_URL or ORTHRUS_TEST_DATABASE_URL"
        ),
    }
}
