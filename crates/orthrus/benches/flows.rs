//! Benchmark: the wall time of each automation flow of every shipped recipe
//! against its app's replica in the sandbox, through the whole path a user
//! gets: `orthrus serve` (SQLite) queues the job, its runner claims it,
//! restores the account's browser profile, starts Debian's Chromium through
//! chromedriver, runs the recipe, waits for codes in the shared inbox (mail
//! from the replica through the SMTP listener, DKIM-checked), packs the
//! profile back and records the end.
//!
//! For each flow it prints the median and the slowest of `BENCH_ROUNDS`
//! rounds (default 3): from the job's creation to its end, and for the
//! sign-in with the emailed code also from the mail's arrival in the inbox
//! to the job's end.
//!
//! `cargo bench -p orthrus --bench flows` (needs chromium and
//! chromium-driver).
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

#[path = "../tests/it/support.rs"]
mod support;

#[path = "../tests/it/scene.rs"]
mod scene;

use scene::{Scene, wait_for_end};
use serde_json::{Value, json};
use support::{get, post};

fn seconds(v: &Value, key: &str) -> f64 {
    orthrus_core::Timestamp::parse_rfc3339(v[key].as_str().unwrap_or_default())
        .map_or(f64::NAN, |t| t.millis() as f64 / 1e3)
}

/// The job's wall time, creation to end.
fn wall(job: &Value) -> f64 {
    seconds(job, "finished_at") - seconds(job, "created_at")
}

/// The time spent in steps that type an authenticator code: a code is
/// typed once only, so a step waits there for the next 30-second code when
/// the current one was used (typing itself takes milliseconds).
fn code_wait(job: &Value) -> f64 {
    job["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| {
            s["name"]
                .as_str()
                .is_some_and(|n| n.contains("authenticator code"))
        })
        .map(|s| seconds(s, "ended_at") - seconds(s, "started_at"))
        .sum()
}

async fn run_job(scene: &Scene, id: &str, kind: &str) -> Value {
    let job = scene.start(id, kind).await;
    let end = wait_for_end(&scene.c, &scene.base, &scene.t, &job).await;
    assert_eq!(end["state"], "succeeded", "{kind}: {end}");
    end
}

/// One round for `app`: `(flow, seconds)` figures.
async fn round(app: orthrus_sandbox::SandboxApp, n: usize) -> Vec<(String, f64)> {
    let scene = Scene::replica(app).await;
    let mut out = Vec::new();
    let user = format!("bench{n}");
    let password = format!("{user}-pw-correct");
    scene
        .sandbox_config(json!({"challenge_unknown_devices": true}))
        .await;
    let id = scene.account("Bench", &user, &password).await;
    let address = scene.managed_email(&id).await;
    let (s, v) = post(
        &scene.c,
        &format!("{}/auth/step-up", scene.base),
        &scene.t,
        Some(json!({"password": "owner-password-1"})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    // A device the app has never seen: it emails a code to the managed
    // address, which the job takes from the shared inbox.
    scene
        .sandbox_config(json!({"challenge_unknown_devices": true}))
        .await;
    scene
        .sandbox_user(json!({"username": user, "password": password, "email": address}))
        .await;
    let login = run_job(&scene, &id, "login").await;
    out.push(("login with the emailed code".into(), wall(&login)));
    let (_, inbox) = get(
        &scene.c,
        &format!("{}/inbox?account_id={id}", scene.base),
        &scene.t,
    )
    .await;
    out.push((
        "  of which after the mail arrived".into(),
        seconds(&login, "finished_at") - seconds(&inbox[0], "received_at"),
    ));
    out.push((
        "enable MFA".into(),
        wall(&run_job(&scene, &id, "enable_mfa").await),
    ));
    scene.sandbox_sign_out(&user).await;
    let login = run_job(&scene, &id, "login").await;
    out.push(("login with the authenticator code".into(), wall(&login)));
    out.push((
        "  of which waiting for an unused code".into(),
        code_wait(&login),
    ));
    let rotate = run_job(&scene, &id, "rotate_password").await;
    out.push(("rotate password".into(), wall(&rotate)));
    out.push((
        "  of which waiting for an unused code".into(),
        code_wait(&rotate),
    ));
    // Another account whose mail still goes elsewhere: swap it for the
    // managed address (the confirmation link comes through the inbox).
    // (Its device is known to the app: the code would go elsewhere.)
    scene
        .sandbox_config(json!({"challenge_unknown_devices": false}))
        .await;
    let other = format!("{user}x");
    let other_id = scene.account("Bench other", &other, &password).await;
    scene.managed_email(&other_id).await;
    scene
        .sandbox_user(
            json!({"username": other, "password": password, "email": "old@elsewhere.test"}),
        )
        .await;
    out.push((
        "swap email".into(),
        wall(&run_job(&scene, &other_id, "swap_email").await),
    ));
    assert!(scene.server.stop().success());
    out
}

#[tokio::main]
async fn main() {
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    println!("| app | flow | median s | slowest s |\n|---|---|---|---|");
    for (key, _) in orthrus_automation::BUILTIN_RECIPES {
        let Some(app) = orthrus_sandbox::SandboxApp::from_key(key) else {
            println!("| {key} | (no replica) | | |");
            continue;
        };
        let mut all: Vec<Vec<(String, f64)>> = Vec::new();
        for n in 0..rounds {
            all.push(round(app, n).await);
        }
        for (i, (flow, _)) in all[0].iter().enumerate() {
            let mut v: Vec<f64> = all.iter().map(|r| r[i].1).collect();
            v.sort_by(f64::total_cmp);
            println!(
                "| {key} | {flow} | {:.2} | {:.2} |",
                v[v.len() / 2],
                v[v.len() - 1]
            );
        }
    }
}
