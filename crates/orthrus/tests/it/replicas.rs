//! Every recipe shipped with Orthrus runs all its flows, through
//! `orthrus serve`, its job runner and Debian's Chromium, against its app's
//! replica in the sandbox (issue 13): swap the email to the managed
//! address, sign in with the code the app emails, defer on the "you can't
//! access certain settings for a few days" lock, turn on MFA, rotate the
//! password (signing in again with the authenticator code). A recipe added
//! to `orthrus_automation::BUILTIN_RECIPES` without a replica and a test
//! here fails `every_shipped_recipe_is_run_against_its_replica`.

use crate::scene::{ByHand, Scene};
use crate::support::*;
use orthrus_sandbox::SandboxApp;
use serde_json::{Value, json};

/// The apps whose recipes this file runs, each in a test of its own.
const COVERED: &[&str] = &["sandbox", "instagram"];

#[test]
fn every_shipped_recipe_is_run_against_its_replica() {
    for (app, _) in orthrus_automation::BUILTIN_RECIPES {
        assert!(
            SandboxApp::from_key(app).is_some(),
            "the {app} recipe has no replica in orthrus-sandbox (docs/sandbox.md)"
        );
        assert!(
            COVERED.contains(app),
            "the {app} recipe is not run against its replica here"
        );
    }
}

#[tokio::test]
async fn the_sandbox_recipe_runs_every_flow_against_its_app() {
    every_flow("sandbox").await;
}

#[tokio::test]
async fn the_instagram_recipe_runs_every_flow_against_the_instagram_replica() {
    let scene = every_flow("instagram").await;
    // Someone signs in by hand with the current code: the replica then
    // says "This code was already used" to the job, which waits for the
    // next code and tries once more.
    let id = scene.account_id("Brand").await;
    scene
        .sandbox_config(json!({"challenge_unknown_devices": false}))
        .await;
    let password = revealed_password(&scene, &id).await;
    let signed_by_hand = scene
        .sign_in_by_hand(
            &id,
            &ByHand {
                login_path: "/accounts/login/",
                username: "brand",
                password: &password,
                code_field: "verificationCode",
                worked: |to| to.starts_with("/accounts/onetap") || to == "/",
            },
        )
        .await;
    assert!(signed_by_hand, "the code never worked by hand");
    // The job's browser kept its session from the flows above: end it, so
    // the job signs in again and meets the used code.
    scene.sandbox_sign_out("brand").await;
    let job = scene.start(&id, "login").await;
    let retried = scene.succeeds(&job).await;
    assert!(
        retried
            .to_string()
            .contains("type the next authenticator code"),
        "{retried}"
    );
    assert!(scene.server.stop().success());
}

/// Runs every flow of `app`'s recipe against its replica; the scene, for
/// more.
async fn every_flow(app: &str) -> Scene {
    let replica = SandboxApp::from_key(app).unwrap();
    let scene = Scene::replica(replica).await;
    let (c, base, t) = (scene.c.clone(), scene.base.clone(), scene.t.clone());
    // Automations that change an account's security need the Owner's
    // identity check, like doing it by hand.
    step_up(&c, &base, &t).await;

    // An account whose mail still goes to someone's own address: swap it
    // for the managed address (the link is opened from the shared inbox).
    scene
        .sandbox_config(json!({"challenge_unknown_devices": false}))
        .await;
    let ads = scene.account("Ads", "ads", "ads-pw-1-correct").await;
    let ads_address = scene.managed_email(&ads).await;
    scene
        .sandbox_user(
            json!({"username": "ads", "password": "ads-pw-1-correct", "email": "ads@old-mail.test"}),
        )
        .await;
    let job = scene.start(&ads, "swap_email").await;
    let swapped = scene.wait(&job).await;
    assert_eq!(swapped["state"], "succeeded", "{app}: {swapped}");
    assert_eq!(
        sandbox_user(&scene, "ads").await["email"].as_str(),
        Some(ads_address.as_str()),
        "{app}"
    );

    // A new device: the app emails a security code to the managed address,
    // which the job takes from the shared inbox.
    scene
        .sandbox_config(json!({"challenge_unknown_devices": true}))
        .await;
    let brand = scene.account("Brand", "brand", "brand-pw-1-correct").await;
    let address = scene.managed_email(&brand).await;
    scene
        .sandbox_user(
            json!({"username": "brand", "password": "brand-pw-1-correct", "email": address}),
        )
        .await;
    let job = scene.start(&brand, "login").await;
    let signed = scene.wait(&job).await;
    assert_eq!(signed["state"], "succeeded", "{app}: {signed}");
    let steps = signed["steps"].to_string();
    assert!(steps.contains("typed {inbox_code}"), "{app}: {steps}");
    assert!(!steps.contains("brand-pw-1-correct"), "{app}: {steps}");

    // The app keeps its security settings from a device younger than 3
    // days: the job is deferred by the wait the page states.
    scene
        .sandbox_config(json!({"min_device_age_secs": 3 * 86_400}))
        .await;
    let job = scene.start(&brand, "enable_mfa").await;
    let deferred = wait_while_busy(&scene, &job).await;
    assert_eq!(deferred["state"], "deferred", "{app}: {deferred}");
    let error = deferred["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("new devices") && error.contains("trying again at"),
        "{app}: {error}"
    );
    let (s, v) = post(&c, &format!("{base}/jobs/{job}/cancel"), &t, None).await;
    assert_eq!(s, 200, "{v}");

    scene.sandbox_config(json!({})).await;
    let job = scene.start(&brand, "enable_mfa").await;
    let mfa = scene.wait(&job).await;
    assert_eq!(mfa["state"], "succeeded", "{app}: {mfa}");
    let user = sandbox_user(&scene, "brand").await;
    assert_eq!(
        (
            user["mfa_app"].as_bool(),
            user["recovery_codes_left"].as_u64()
        ),
        (Some(true), Some(5)),
        "{app}: {user}"
    );
    let (_, backup) = get(
        &c,
        &format!("{base}/accounts/{brand}/backup-codes/status"),
        &t,
    )
    .await;
    assert_eq!(backup["unused"], 5, "{app}: {backup}");

    // The app's policy refuses the new password (at most 16 characters;
    // Orthrus makes 20 by default): the run discards it, so nothing stays
    // pending for every later rotation to type again.
    scene.sandbox_config(json!({"max_password_len": 16})).await;
    let job = scene.start(&brand, "rotate_password").await;
    let refused = scene.wait(&job).await;
    assert_eq!(refused["state"], "failed", "{app}: {refused}");
    assert!(
        refused["error"]
            .as_str()
            .unwrap_or_default()
            .contains("refused the new password; the old one stays current"),
        "{app}: {refused}"
    );
    assert_eq!(
        revealed_password(&scene, &brand).await,
        "brand-pw-1-correct",
        "{app}"
    );
    assert_eq!(
        sandbox_user(&scene, "brand").await["password"].as_str(),
        Some("brand-pw-1-correct"),
        "{app}"
    );
    let (s, rotation) = get(&c, &format!("{base}/accounts/{brand}/rotation"), &t).await;
    assert_eq!(s, 200, "{rotation}");
    assert_eq!(rotation["password_pending"], false, "{app}: {rotation}");
    let (_, audit) = get(
        &c,
        &format!("{base}/audit?action=automation.password_discarded"),
        &t,
    )
    .await;
    assert!(audit.to_string().contains(&job), "{app}: {audit}");
    // The account's policy fixed to the app's rule: the next rotation
    // makes a fresh password under it.
    let (s, v) = put(
        &c,
        &format!("{base}/accounts/{brand}/rotation"),
        &t,
        Some(json!({"every_days": null, "password_policy": {"length": 16}})),
    )
    .await;
    assert_eq!(s, 200, "{v}");

    // Rotate the password: changed in the app, then verified by signing
    // out and in again with it, passing the authenticator step.
    let job = scene.start(&brand, "rotate_password").await;
    let rotated = scene.wait(&job).await;
    assert_eq!(rotated["state"], "succeeded", "{app}: {rotated}");
    assert!(
        rotated["steps"].to_string().contains("typed {totp}"),
        "{app}: {rotated}"
    );
    let now = revealed_password(&scene, &brand).await;
    assert_ne!(now, "brand-pw-1-correct", "{app}");
    assert_eq!(now.chars().count(), 16, "{app}: under the fixed policy");
    assert_eq!(
        sandbox_user(&scene, "brand").await["password"].as_str(),
        Some(now.as_str()),
        "{app}"
    );
    scene
}

/// What the replica knows of `username`.
async fn sandbox_user(scene: &Scene, username: &str) -> Value {
    get_json(
        &scene.c,
        &format!("{}/__sandbox/users/{username}", scene.sandbox),
    )
    .await
}

/// The account's current password (the Owner has confirmed their identity).
async fn revealed_password(scene: &Scene, id: &str) -> String {
    let (s, v) = get(
        &scene.c,
        &format!("{}/accounts/{id}/password", scene.base),
        &scene.t,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    v["password"].as_str().unwrap().to_owned()
}

/// Polls job `job` until it is neither queued nor running.
async fn wait_while_busy(scene: &Scene, job: &str) -> Value {
    for _ in 0..600 {
        let (_, j) = get(&scene.c, &format!("{}/jobs/{job}", scene.base), &scene.t).await;
        if j["state"] != "queued" && j["state"] != "running" {
            return j;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("job {job} was still busy after 120 s");
}
