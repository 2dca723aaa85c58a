//! What every HTTP benchmark of this crate starts with: the whole router on
//! a loopback port over a store, with a workspace and its Owner
//! (`owner@bench.test`, `owner-password-1`), and a client.

use orthrus_app::{App, AppConfig};
use orthrus_core::{OsEntropy, SystemClock};
use orthrus_crypto::MasterKey;
use orthrus_web::{WebConfig, WebState};
use std::net::SocketAddr;
use std::sync::Arc;

/// Runs a benchmark's `main` on a multi-threaded runtime.
pub fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// A benchmark's `main` on SQLite only: `run` over a fresh database,
/// labelled `sqlite`.
// Each benchmark runs on SQLite only or on every backend: one of the two.
#[allow(dead_code)]
pub fn main_on_sqlite<Fut: Future<Output = ()>>(
    run: impl FnOnce(&'static str, Arc<dyn orthrus_store::Store>) -> Fut,
) {
    block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let sqlite = orthrus_store::open(&format!(
            "sqlite://{}",
            dir.path().join("bench.db").display()
        ))
        .await
        .unwrap();
        run("sqlite", sqlite).await;
    });
}

/// A benchmark's `main` on every backend: `run` over a fresh SQLite
/// database and, when `ORTHRUS_TEST_DATABASE_URL` is set, a scratch
/// PostgreSQL one, each with its label.
#[allow(dead_code)]
pub fn main_on_each_backend<Fut: Future<Output = ()>>(
    run: impl Fn(&'static str, Arc<dyn orthrus_store::Store>) -> Fut,
) {
    block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let run = &run;
        orthrus_store::testing::each_backend(dir.path(), "bench", |label, url| async move {
            run(label, orthrus_store::open(&url).await.unwrap()).await;
        })
        .await
        .unwrap();
    });
}

/// A knob from the environment, or `default`.
pub fn env_num<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Sends `req`, which must succeed, and reads its answer through: how long
/// that took.
pub async fn timed_ok(req: reqwest::RequestBuilder) -> std::time::Duration {
    let t = std::time::Instant::now();
    let r = req.send().await.unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let _ = r.bytes().await.unwrap();
    t.elapsed()
}

/// Every client task's latencies, sorted.
pub async fn sorted_latencies(
    tasks: Vec<tokio::task::JoinHandle<Vec<std::time::Duration>>>,
) -> Vec<std::time::Duration> {
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap());
    }
    lat.sort();
    lat
}

/// The latency at fraction `p` (0 to 1) of sorted `lat`, in milliseconds.
pub fn percentile_ms(lat: &[std::time::Duration], p: f64) -> f64 {
    lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)].as_secs_f64() * 1000.0
}

/// A JSON POST (with `token` as its bearer, if any) that must succeed: the
/// answer's JSON.
pub async fn post(
    http: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    body: serde_json::Value,
) -> serde_json::Value {
    let mut r = http.post(url).json(&body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let r = r.send().await.unwrap();
    assert!(r.status().is_success(), "{url}: {}", r.status());
    r.json().await.unwrap()
}

pub struct BenchServer {
    // Not every benchmark needs the app itself.
    #[allow(dead_code)]
    pub app: App,
    pub url: String,
    pub http: reqwest::Client,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Drop for BenchServer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Starts the server; `pool` idle connections per host for the client.
pub async fn start(store: Arc<dyn orthrus_store::Store>, pool: usize) -> BenchServer {
    let app = App::new(
        store,
        MasterKey::generate(&OsEntropy),
        Arc::new(SystemClock),
        Arc::new(OsEntropy),
        AppConfig::default(),
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = orthrus_web::router(WebState::new(
        app.clone(),
        WebConfig {
            public_url: url.clone(),
            ..WebConfig::default()
        },
    ));
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(pool)
        .build()
        .unwrap();
    app.bootstrap(
        "Bench",
        "owner@bench.test",
        "Owner",
        "owner-password-1",
        "127.0.0.1",
    )
    .await
    .unwrap();
    BenchServer {
        app,
        url,
        http,
        server,
    }
}
