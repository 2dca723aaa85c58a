//! Benchmark: credential fills per second through the whole HTTP path of
//! `POST /api/v1/autofill` (`step: credentials`) on SQLite over loopback:
//! Bearer auth of an extension session, the policy, the account and its
//! extra URLs, the site match, opening the sealed password, the
//! rotation-after-autofill check and a durable `account.autofill` audit
//! event before the answer. A Collaborator fills, as in real use.
//!
//! `cargo bench -p orthrus-web --bench autofill` (release build). Knobs:
//! `BENCH_SECS` (default 5), `BENCH_CLIENTS` (default 4).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn run(label: &str, store: Arc<dyn orthrus_store::Store>) {
    let bench = support::start(store, 64).await;
    let (app, url, http) = (bench.app.clone(), bench.url.clone(), bench.http.clone());
    let api = |p: &str| format!("{url}/api/v1{p}");
    let login = |email: &'static str, password: &'static str, client: Option<&'static str>| {
        let (http, u) = (http.clone(), api("/auth/login"));
        async move {
            let mut body = json!({"email": email, "password": password});
            if let Some(c) = client {
                body["client"] = json!(c);
            }
            support::post(&http, &u, None, body).await["token"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let owner = login("owner@bench.test", "owner-password-1", None).await;
    let user = support::post(
        &http,
        &api("/users"),
        Some(&owner),
        json!({"email": "collab@bench.test", "role": "user", "password": "member-password-1"}),
    )
    .await;
    let acct = support::post(
        &http,
        &api("/accounts"),
        Some(&owner),
        json!({"app": "instagram", "label": "Bench", "login_url": "https://www.instagram.com/accounts/login/", "username": "brand", "password": "bench-password"}),
    )
    .await;
    let id = acct["id"].as_str().unwrap().to_owned();
    support::post(
        &http,
        &api(&format!("/accounts/{id}/members")),
        Some(&owner),
        json!({"user_id": user["id"], "role": "collaborator"}),
    )
    .await;
    let token = login("collab@bench.test", "member-password-1", Some("extension")).await;
    let fill_url = api("/autofill");
    let body = json!({"account_id": id, "url": "https://www.instagram.com/accounts/login/", "step": "credentials"});
    for _ in 0..200 {
        let v = support::post(&http, &fill_url, Some(&token), body.clone()).await;
        assert_eq!(v["password"], "bench-password");
    }
    let secs = support::env_num::<u64>("BENCH_SECS", 5);
    let clients = support::env_num::<u64>("BENCH_CLIENTS", 4);
    let start = Instant::now();
    let until = start + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (http, token, fill_url, body) =
            (http.clone(), token.clone(), fill_url.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while Instant::now() < until {
                lat.push(
                    support::timed_ok(http.post(&fill_url).bearer_auth(&token).json(&body)).await,
                );
            }
            lat
        }));
    }
    let lat = support::sorted_latencies(tasks).await;
    let elapsed = start.elapsed().as_secs_f64();
    let pct = |p: f64| support::percentile_ms(&lat, p);
    // Every fill is in the audit log.
    let audited = app
        .store()
        .list_audit(
            app.store().list_workspaces().await.unwrap()[0].id,
            &orthrus_store::AuditFilter {
                action: Some("account.autofill".into()),
                limit: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(audited.len(), 1);
    println!(
        "{label:<10} {} credential fills in {elapsed:.1} s, {clients} clients: {:>7.0} fills/s   p50 {:.2} ms   p99 {:.2} ms",
        lat.len(),
        lat.len() as f64 / elapsed,
        pct(0.50),
        pct(0.99)
    );
    drop(bench);
}

fn main() {
    support::main_on_sqlite(run);
}
