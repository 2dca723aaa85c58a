//! Automations end to end: `orthrus serve` runs a "Log in" job in headless
//! Chromium against the sandbox app, which challenges the new device and
//! mails a security code to the account's managed address; the job waits
//! for it in the shared inbox and types it.

use crate::scene::{ByHand, Scene, step_names};
use crate::support::*;
use serde_json::{Value, json};

#[tokio::test]
async fn a_login_job_passes_the_emailed_challenge_in_chromium() {
    // The sandbox sends its mail to Orthrus's SMTP listener.
    let scene = Scene::new(None).await;
    let (c, base, t) = (scene.c.clone(), scene.base.clone(), scene.t.clone());
    let (storage, sandbox_url) = (&scene.storage, scene.sandbox.clone());
    let id = scene
        .account("Sandbox brand", "brand", "pw-1-correct")
        .await;
    let address = scene.managed_email(&id).await;
    scene
        .sandbox_user(json!({"username": "brand", "password": "pw-1-correct", "email": address}))
        .await;

    // Kinds: unknown, not built yet.
    let (s, v) = start_automation(&c, &base, &t, &id, "dance").await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (400, Some("automation.unknown_kind"))
    );

    let (s, started) = start_automation(&c, &base, &t, &id, "login").await;
    assert_eq!(s, 202, "{started}");
    let job = started["job_id"].as_str().unwrap().to_owned();
    let done = scene.succeeds(&job).await;
    let steps: Vec<(&str, &str)> = done["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap(),
                s["outcome"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert!(
        steps.contains(&("type the code from the shared inbox", "ok")),
        "{steps:?}"
    );
    assert_eq!(steps.last(), Some(&("signed in", "ok")));
    assert!(
        !done.to_string().contains("pw-1-correct"),
        "a secret in the log: {done}"
    );
    // The code came through the inbox.
    let (_, inbox) = get(&c, &format!("{base}/inbox?account_id={id}"), &t).await;
    assert_eq!(inbox[0]["subject"], "Verify your account");
    // The profile is kept: the next sign-in is from a known device.
    let (_, started) = start_automation(&c, &base, &t, &id, "login").await;
    let again = scene.succeeds(started["job_id"].as_str().unwrap()).await;
    assert!(!again.to_string().contains("shared inbox"), "{again}");
    // Between jobs the profile is only in the database, sealed.
    // (A root server keeps working profiles outside its 0700 data
    // directory, where the browser's unprivileged user can reach them.)
    for dir in [
        storage.data_dir.join("browser-profiles"),
        std::env::temp_dir().join("orthrus-browser-profiles"),
    ] {
        assert!(
            !dir.join(&id).exists(),
            "a browser profile was left on disk in {}",
            dir.display()
        );
    }
    // The automation log lists both, newest first; the audit has the start.
    let (_, jobs) = get(&c, &format!("{base}/jobs?account_id={id}"), &t).await;
    assert_eq!(jobs.as_array().unwrap().len(), 2);
    assert_eq!(jobs[1]["id"].as_str(), Some(job.as_str()));
    let (_, audit) = get(
        &c,
        &format!("{base}/audit?action=automation.credentials_use"),
        &t,
    )
    .await;
    assert_eq!(audit.as_array().unwrap().len(), 2, "{audit}");
    // The pages: the account's Automations section, the log, one job.
    let section = scene.page(&format!("/accounts/{id}/automations-ui")).await;
    assert!(
        section.contains("id=\"automation-login\"") && section.contains("succeeded"),
        "{section}"
    );
    let log = scene.page("/automations").await;
    assert!(
        log.contains("Sandbox brand") && log.contains(&format!("/automations/{job}")),
        "{log}"
    );
    let steps = scene.page(&format!("/automations/{job}")).await;
    assert!(
        steps.contains("type the code from the shared inbox")
            && steps.contains("typed {inbox_code}"),
        "{steps}"
    );
    assert!(!steps.contains("pw-1-correct"));

    // Turn on MFA: needs the identity check when starting, like doing it
    // by hand; the job enrols the key in Orthrus, confirms it in the app
    // and keeps the recovery codes.
    let start = |kind: &'static str| start_automation(&c, &base, &t, &id, kind);
    let (s, v) = start("enable_mfa").await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (403, Some("step_up.required")),
        "{v}"
    );
    step_up(&c, &base, &t).await;
    let (s, v) = start("enable_mfa").await;
    assert_eq!(s, 202, "{v}");
    scene.succeeds(v["job_id"].as_str().unwrap()).await;
    let user: Value = get_json(&c, &format!("{sandbox_url}/__sandbox/users/brand")).await;
    assert_eq!(
        (
            user["mfa_app"].as_bool(),
            user["recovery_codes_left"].as_u64()
        ),
        (Some(true), Some(5)),
        "{user}"
    );
    let (_, otp) = get(&c, &format!("{base}/accounts/{id}/totp"), &t).await;
    assert!(
        otp["active"].is_object() && otp["pending"].is_null(),
        "{otp}"
    );
    let (_, backup) = get(&c, &format!("{base}/accounts/{id}/backup-codes/status"), &t).await;
    assert_eq!(backup["unused"], 5, "{backup}");
    // Orthrus now holds the key: starting it again is refused, and a
    // login passes the app's two-factor step with the current code.
    let (s, v) = start("enable_mfa").await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("automation.mfa_already_on"))
    );
    let (_, v) = start("login").await;
    let signed = scene.succeeds(v["job_id"].as_str().unwrap()).await;
    assert!(
        signed.to_string().contains("type the authenticator code"),
        "{signed}"
    );
    // Someone signs in by hand with the current code: the app then refuses
    // it to the job, which waits for the next step and tries once more.
    c.post(format!("{sandbox_url}/__sandbox/config"))
        .json(&json!({"challenge_unknown_devices": false}))
        .send()
        .await
        .unwrap();
    // A code with time left that the app has not seen yet (the last job
    // may have used the current one).
    let signed_by_hand = scene
        .sign_in_by_hand(
            &id,
            &ByHand {
                login_path: "/accounts/login",
                username: "brand",
                password: "pw-1-correct",
                code_field: "verification_code",
                worked: |to| to == "/",
            },
        )
        .await;
    assert!(signed_by_hand, "the code never worked by hand");
    let (_, v) = start("login").await;
    let retried = scene.succeeds(v["job_id"].as_str().unwrap()).await;
    assert!(
        retried
            .to_string()
            .contains("type the next authenticator code"),
        "{retried}"
    );

    // Swap the email for the managed address: the confirmation link the
    // app mails to it is opened from the shared inbox.
    let (s, v) = start("swap_email").await;
    assert_eq!(s, 202, "{v}");
    scene.succeeds(v["job_id"].as_str().unwrap()).await;
    let user: Value = get_json(&c, &format!("{sandbox_url}/__sandbox/users/brand")).await;
    assert_eq!(user["email"].as_str(), Some(address.as_str()));
    assert!(scene.server.stop().success());
}

#[tokio::test]
async fn a_swap_email_whose_link_leads_outside_the_app_fails_and_says_why() {
    // The app's own, authenticated mail, but its confirmation link names
    // localhost instead of the app's address: the browser signed in to the
    // app must not open it, and the job must not report success.
    let scene = Scene::build("", None, None, Some("localhost")).await;
    let (c, base, t) = (scene.c.clone(), scene.base.clone(), scene.t.clone());
    let id = scene
        .account("Sandbox brand", "brand", "pw-1-correct")
        .await;
    scene.managed_email(&id).await;
    scene
        .sandbox_user(
            json!({"username": "brand", "password": "pw-1-correct", "email": "brand@inbox.test"}),
        )
        .await;
    scene
        .sandbox_config(json!({"challenge_unknown_devices": false}))
        .await;
    step_up(&c, &base, &t).await;
    let job = scene.start(&id, "swap_email").await;
    let done = scene.wait(&job).await;
    assert_eq!(done["state"], "failed", "{done}\n{}", scene.server.logs());
    let error = done["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("goes to localhost") && error.contains("not the app's"),
        "{done}"
    );
    let step = done["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "open the confirmation link from the shared inbox")
        .unwrap_or_else(|| panic!("{done}"));
    assert_eq!(step["outcome"], "failed", "{done}");
    // The address did not change in the app.
    let user: Value = get_json(&c, &format!("{}/__sandbox/users/brand", scene.sandbox)).await;
    assert_eq!(user["email"], "brand@inbox.test", "{user}");
    // The message itself was the app's: signed, DMARC passed, not refused.
    let (_, inbox) = get(&c, &format!("{base}/inbox?account_id={id}"), &t).await;
    assert_eq!(inbox[0]["auth"]["dmarc"], "pass", "{inbox}");
    assert!(inbox[0].get("automation_refusal").is_none(), "{inbox}");
    assert!(scene.server.stop().success());
}

/// Text-message MFA: the app texts its code to the account's managed
/// number, the SMS webhook puts it in the shared inbox, and the login job
/// types it.
#[tokio::test]
async fn a_login_passes_text_message_mfa_and_a_settings_lock_defers_a_rotation() {
    let scene = Scene::new(Some("sandbox-sms-secret")).await;
    let (c, base, t) = (scene.c.clone(), scene.base.clone(), scene.t.clone());
    let sandbox_url = scene.sandbox.clone();
    create(
        &c,
        &format!("{base}/phone-numbers"),
        &t,
        json!({"number": "+14155550142"}),
    )
    .await;
    let id = scene.account("SMS brand", "smsbrand", "pw-3-correct").await;
    let (s, phone) = post(&c, &format!("{base}/accounts/{id}/phone-number"), &t, None).await;
    assert_eq!(s, 200, "{phone}");
    assert_eq!(phone["number"], "+14155550142");
    scene
        .sandbox_user(json!({"username": "smsbrand", "password": "pw-3-correct", "email": "sms@elsewhere.test", "sms_phone": "+14155550142"}))
        .await;
    scene
        .sandbox_config(json!({"challenge_unknown_devices": false}))
        .await;
    let job = scene.start(&id, "login").await;
    let done = scene.succeeds(&job).await;
    let names = step_names(&done);
    assert!(
        names.contains(&"type the code texted to the managed number"),
        "{names:?}"
    );
    // The text is in the shared inbox, its code pulled out.
    let (_, inbox) = get(&c, &format!("{base}/inbox?account_id={id}"), &t).await;
    let text = &inbox[0];
    assert_eq!(text["channel"], "sms", "{inbox}");
    assert_eq!(text["code"].as_str().map(str::len), Some(6), "{inbox}");

    // The app keeps its settings from devices younger than 3 days: the
    // rotation is deferred by the wait the page states, without using up
    // an attempt, and can be cancelled while it waits.
    scene
        .sandbox_config(
            json!({"challenge_unknown_devices": false, "min_device_age_secs": 3 * 86_400}),
        )
        .await;
    let job = scene.start(&id, "rotate_password").await;
    let mut deferred = Value::Null;
    for _ in 0..600 {
        let (_, j) = get(&c, &format!("{base}/jobs/{job}"), &t).await;
        if j["state"] != "queued" && j["state"] != "running" {
            deferred = j;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(deferred["state"], "deferred", "{deferred}");
    assert_eq!(
        (
            deferred["attempts"].as_i64(),
            deferred["deferrals"].as_i64()
        ),
        (Some(0), Some(1)),
        "{deferred}"
    );
    let error = deferred["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("new devices") && error.contains("trying again at"),
        "{error}"
    );
    let (s, v) = post(&c, &format!("{base}/jobs/{job}/cancel"), &t, None).await;
    assert_eq!((s, v["state"].as_str()), (200, Some("cancelled")), "{v}");
    // The password did not change.
    let user: Value = get_json(&c, &format!("{sandbox_url}/__sandbox/users/smsbrand")).await;
    assert_eq!(user["password"], "pw-3-correct", "{user}");
    assert!(scene.server.stop().success());
}
