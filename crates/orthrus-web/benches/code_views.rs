//! Benchmark: authenticated TOTP code views per second through the whole
//! HTTP path (Bearer auth, authorization, seed decryption, HMAC, ledger
//! write), on SQLite and, when `ORTHRUS_TEST_DATABASE_URL` is set, PostgreSQL.
//!
//! `cargo bench -p orthrus-web --bench code_views` (release build). Knobs:
//! `BENCH_REQUESTS` (default 20000), `BENCH_CLIENTS` (default 32).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

async fn run(label: &str, store: Arc<dyn orthrus_store::Store>) {
    let bench = support::start(store, 256).await;
    let (url, http) = (bench.url.clone(), bench.http.clone());
    let api = |p: &str| format!("{url}/api/v1{p}");
    let login = support::post(
        &http,
        &api("/auth/login"),
        None,
        json!({"email": "owner@bench.test", "password": "owner-password-1"}),
    )
    .await;
    let token = login["token"].as_str().unwrap().to_owned();
    let acct = support::post(
        &http,
        &api("/accounts"),
        Some(&token),
        json!({"app": "instagram", "label": "Bench", "password": "p"}),
    )
    .await;
    let id = acct["id"].as_str().unwrap().to_owned();
    http.post(api("/auth/step-up"))
        .bearer_auth(&token)
        .json(&json!({"password": "owner-password-1"}))
        .send()
        .await
        .unwrap();
    let r = http
        .put(api(&format!("/accounts/{id}/totp")))
        .bearer_auth(&token)
        .json(&json!({"secret": "JBSWY3DPEHPK3PXP"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    http.post(api(&format!("/accounts/{id}/totp/confirm")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let code_url = format!("{url}/api/v1/accounts/{id}/totp/code?via=view");

    let total = support::env_num::<usize>("BENCH_REQUESTS", 20_000);
    let clients = support::env_num::<usize>("BENCH_CLIENTS", 32);
    // Warm-up.
    for _ in 0..200 {
        assert!(
            http.get(&code_url)
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .status()
                .is_success()
        );
    }
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (http, token, code_url) = (http.clone(), token.clone(), code_url.clone());
        let n = total / clients + usize::from(c < total % clients);
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(n);
            for _ in 0..n {
                lat.push(support::timed_ok(http.get(&code_url).bearer_auth(&token)).await);
            }
            lat
        }));
    }
    let lat = support::sorted_latencies(tasks).await;
    let secs = start.elapsed().as_secs_f64();
    let pct = |p: f64| support::percentile_ms(&lat, p);
    let ledger: serde_json::Value = http
        .get(format!("{url}/api/v1/accounts/{id}/totp/ledger?limit=1000"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        ledger.as_array().unwrap().len(),
        1000,
        "every view is in the ledger"
    );
    println!(
        "{label:<10} {total} code views, {clients} clients: {:>7.0} views/s   p50 {:.2} ms   p99 {:.2} ms",
        total as f64 / secs,
        pct(0.50),
        pct(0.99)
    );
    drop(bench);
}

fn main() {
    support::main_on_each_backend(run);
}
