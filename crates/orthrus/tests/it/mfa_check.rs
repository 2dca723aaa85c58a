//! "Keep MFA on" end to end (issue 13): `orthrus serve` runs `check_mfa`
//! jobs in headless Chromium against the sandbox. Each signs in from a
//! fresh browser (the sandbox challenges it as a new device, by mail, even
//! after a login job saved a profile): an app that asks for the
//! authenticator code is "on"; one where someone turned MFA off behind
//! Orthrus's back signs in without asking and is flagged, audited and shown
//! on the pages; a sign-in the app refuses is "could not check", with the
//! failed step named.

use crate::scene::Scene;
use crate::support::*;
use serde_json::{Value, json};

const SEED: &str = "JBSWY3DPEHPK3PXP";

fn steps(job: &Value) -> Vec<(String, String)> {
    job["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap_or("").to_owned(),
                s["detail"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_check_finds_mfa_on_off_or_cannot_tell_in_chromium() {
    // The server's own schedule queues a check for every account never
    // checked (every two minutes); on a slow machine it would check "off"
    // a second time behind the test's back. This test starts each check.
    let scene = Scene::with("[automation]\nmfa_check_interval_days = 0\n", None, None).await;
    let (c, base, t) = (scene.c.clone(), scene.base.clone(), scene.t.clone());
    let get = |path: String| {
        let (c, t) = (c.clone(), t.clone());
        async move { get(&c, &path, &t).await }
    };
    // Three accounts whose authenticator Orthrus holds, each with a managed
    // address (the sandbox mails new devices a code there). In the app:
    // "on" asks for that authenticator; someone turned MFA off in "off";
    // "gone"'s password was changed.
    let mut ids = Vec::new();
    for (label, user, password, totp) in [
        ("Brand on", "brand-on", "pw-1-correct", Some(SEED)),
        ("Brand off", "brand-off", "pw-1-correct", None),
        (
            "Brand gone",
            "brand-gone",
            "pw-2-changed-in-the-app",
            Some(SEED),
        ),
    ] {
        let id = scene.account(label, user, "pw-1-correct").await;
        let address = scene.managed_email(&id).await;
        let mut u = json!({"username": user, "password": password, "email": address});
        if let Some(seed) = totp {
            u["totp_secret"] = seed.into();
        }
        scene.sandbox_user(u).await;
        scene.authenticator(&id, SEED).await;
        ids.push(id);
    }
    let (on, off, gone) = (&ids[0], &ids[1], &ids[2]);

    // A login keeps its browser profile: the app knows that device now.
    let login = scene.start(on, "login").await;
    scene.succeeds(&login).await;

    // The page offers the check; the check signs in afresh (the device
    // challenge comes again) and the app asks for the code: on.
    let section = scene.page(&format!("/accounts/{on}/automations-ui")).await;
    assert!(section.contains("id=\"automation-check-mfa\""), "{section}");
    let job = scene.start(on, "check_mfa").await;
    let done = scene.succeeds(&job).await;
    let seen = steps(&done);
    assert!(
        seen.iter().any(|(_, d)| d == "typed {inbox_code}"),
        "a fresh browser: {seen:?}"
    );
    assert!(seen.iter().any(|(_, d)| d == "typed {totp}"), "{seen:?}");
    let (_, acct) = get(format!("{base}/accounts/{on}")).await;
    assert_eq!(acct["mfa_check"]["state"], "on", "{acct}");
    assert_eq!(acct["mfa_check"]["job_id"], job.as_str(), "{acct}");
    let shown = scene.page(&format!("/accounts/{on}")).await;
    assert!(shown.contains("MFA confirmed on "), "{shown}");

    // MFA turned off in the app: the sign-in (through the device
    // challenge, which is not MFA) never asks for the code. Flagged.
    let job = scene.start(off, "check_mfa").await;
    let done = scene.succeeds(&job).await;
    assert!(!done.to_string().contains("{totp}"), "{done}");
    let (_, acct) = get(format!("{base}/accounts/{off}")).await;
    assert_eq!(acct["mfa_check"]["state"], "off", "{acct}");
    let (_, audit) = get(format!("{base}/audit?action=account.mfa_off_detected")).await;
    let audit = audit.as_array().unwrap();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0]["target_id"], off.as_str());
    let (_, audit) = get(format!("{base}/audit?action=account.mfa_check")).await;
    assert_eq!(audit.as_array().unwrap().len(), 2, "{audit}");
    let shown = scene.page(&format!("/accounts/{off}")).await;
    assert!(
        shown.contains("MFA seems OFF: the app signed in without asking for a code on"),
        "{shown}"
    );
    let list = scene.page("/").await;
    assert_eq!(list.matches("MFA off?").count(), 1, "{list}");

    // The app refuses the password: could not check, with the reason and
    // the step that broke; not a flag.
    let job = scene.start(gone, "check_mfa").await;
    let done = scene.wait(&job).await;
    assert_eq!(done["state"], "failed", "{done}");
    let (_, acct) = get(format!("{base}/accounts/{gone}")).await;
    assert_eq!(acct["mfa_check"]["state"], "could_not_check", "{acct}");
    assert!(
        acct["mfa_check"]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("refused the sign-in"),
        "{acct}"
    );
    let (_, full) = get(format!("{base}/jobs/{job}")).await;
    assert!(full["failed_step"]["seq"].as_i64().is_some(), "{full}");
    assert!(
        full["failed_step"]["url"]
            .as_str()
            .unwrap_or("")
            .starts_with(&scene.sandbox),
        "{full}"
    );
    let log = scene.page(&format!("/automations/{job}")).await;
    assert!(log.contains("id=\"job-failed-step\""), "{log}");
    let list = scene.page("/").await;
    assert_eq!(list.matches("MFA off?").count(), 1, "{list}");
}
