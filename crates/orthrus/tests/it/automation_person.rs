//! Automations that wait for a person: a CAPTCHA and a backup code are
//! asked for (with the page's screenshot) and answered, and a QR-only
//! authenticator setup is decoded from the page.

use crate::scene::{Scene, step_names};
use crate::support::*;
use reqwest::Method;
use serde_json::{Value, json};

/// Polls the job until it waits for a person with a question of `kind`;
/// returns the job.
async fn wait_for_question(
    c: &reqwest::Client,
    base: &str,
    t: &str,
    job: &str,
    kind: &str,
) -> Value {
    for _ in 0..600 {
        let (s, j) = api(c, Method::GET, &format!("{base}/jobs/{job}"), Some(t), None).await;
        assert_eq!(s, 200, "{j}");
        if j["state"] == "waiting" && j["question"]["kind"] == kind {
            return j;
        }
        assert!(
            !matches!(
                j["state"].as_str(),
                Some("succeeded" | "failed" | "cancelled")
            ),
            "the job ended without asking: {j}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("job {job} asked nothing in 120 s");
}

/// The PNG a job's screenshot URL serves.
async fn screenshot(c: &reqwest::Client, root: &str, t: &str, job: &Value) -> Vec<u8> {
    let url = job["screenshot_url"].as_str().expect("a screenshot");
    let r = c
        .get(format!("{root}{url}"))
        .bearer_auth(t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    r.bytes().await.unwrap().to_vec()
}

/// People in the loop: a failed job keeps a screenshot; MFA is turned on
/// from a set-up page that shows only a QR code; a CAPTCHA makes the job
/// wait until someone types the word; two refused authenticator codes make
/// it offer a backup code, which an Owner allows with an identity check.
#[tokio::test]
async fn captchas_and_backup_codes_wait_for_a_person_and_qr_only_setup_is_decoded() {
    let scene = Scene::new(None).await;
    let (c, base, t) = (scene.c.clone(), scene.base.clone(), scene.t.clone());
    let root = scene.server.url.clone();
    let sandbox_url = scene.sandbox.clone();
    let id = scene.account("QR brand", "qrbrand", "pw-2-correct").await;
    let start = |kind: &'static str| scene.start(&id, kind);
    let sandbox_config = |cfg: Value| scene.sandbox_config(cfg);

    // The app does not know the user yet: the job fails, and its log keeps
    // a screenshot of the page (sealed in storage, served as PNG).
    let failed = start("login").await;
    let failed = scene.wait(&failed).await;
    assert_eq!(failed["state"], "failed", "{failed}");
    let (_, failed) = get(
        &c,
        &format!("{base}/jobs/{}", failed["id"].as_str().unwrap()),
        &t,
    )
    .await;
    let png = screenshot(&c, &root, &t, &failed).await;
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let page = page_text(
        &c,
        &format!("{root}/automations/{}", failed["id"].as_str().unwrap()),
        Some(&t),
    )
    .await;
    // Shown inline, in the box that names the step that failed.
    assert!(
        page.contains("id=\"job-failed-step\"") && page.contains("id=\"job-failed-screenshot\""),
        "{page}"
    );
    // A finished job's event stream says so once and closes.
    let r = c
        .get(format!(
            "{root}/automations/{}/events",
            failed["id"].as_str().unwrap()
        ))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    let events = tokio::time::timeout(std::time::Duration::from_secs(10), r.text())
        .await
        .expect("the stream of a finished job closes")
        .unwrap();
    assert!(events.contains("event: end\ndata: failed"), "{events}");

    scene
        .sandbox_user(json!({"username": "qrbrand", "password": "pw-2-correct", "email": "qr@elsewhere.test"}))
        .await;

    // Turn on MFA where the app shows only a QR code.
    sandbox_config(json!({"challenge_unknown_devices": false, "qr_only": true})).await;
    step_up(&c, &base, &t).await;
    let mfa = start("enable_mfa").await;
    let mfa = scene.succeeds(&mfa).await;
    let names = step_names(&mfa);
    assert!(names.contains(&"decode the QR code"), "{names:?}");
    assert!(!names.contains(&"read the secret key"), "{names:?}");
    let user: Value = get_json(&c, &format!("{sandbox_url}/__sandbox/users/qrbrand")).await;
    assert_eq!(user["mfa_app"], true, "{user}");
    // The decoded key is a secret: it is in no log.
    assert!(!mfa.to_string().contains("otpauth"), "{mfa}");

    // A CAPTCHA, then authenticator codes the app refuses.
    sandbox_config(
        json!({"challenge_unknown_devices": false, "captcha": true, "refuse_app_codes": true}),
    )
    .await;
    let job = start("login").await;
    let asked = wait_for_question(&c, &base, &t, &job, "captcha").await;
    assert_eq!(asked["question"]["kind"], "captcha", "{asked}");
    let png = screenshot(&c, &root, &t, &asked).await;
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let page = page_text(&c, &format!("{root}/automations/{job}"), Some(&t)).await;
    let log = page_text(&c, &format!("{root}/automations"), Some(&t)).await;
    assert!(log.contains("needs a person"), "{log}");
    assert!(
        page.contains("This job needs a person")
            && page.contains("id=\"job-answer\"")
            && page.contains(&format!("data-job-events=\"/automations/{job}/events\"")),
        "{page}"
    );
    let answer = |text: String| {
        let (c, t, url) = (c.clone(), t.clone(), format!("{base}/jobs/{job}/answer"));
        async move { post(&c, &url, &t, Some(json!({ "answer": text }))).await }
    };
    let (s, v) = answer(String::new()).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (400, Some("automation.answer")),
        "{v}"
    );
    // The person reads the word (here: the sandbox's test control tells it).
    let words: Vec<String> = get_json(&c, &format!("{sandbox_url}/__sandbox/captchas")).await;
    assert_eq!(words.len(), 1, "{words:?}");
    let (s, v) = answer(words[0].clone()).await;
    assert_eq!(s, 200, "{v}");
    // Answered once: a second answer is refused.
    let (s, v) = answer(words[0].clone()).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("automation.not_waiting")),
        "{v}"
    );

    // Two codes refused: the job offers a backup code. "No" is not an
    // answer; "yes" needs the identity check, then the job goes on.
    let offered = wait_for_question(&c, &base, &t, &job, "backup_code").await;
    assert_eq!(offered["question"]["kind"], "backup_code", "{offered}");
    let (s, v) = answer("no".into()).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (400, Some("automation.answer")),
        "{v}"
    );
    let (s, v) = answer("yes".into()).await;
    assert_eq!(s, 200, "{v}");
    let done = scene.succeeds(&job).await;
    let names = step_names(&done);
    for step in [
        "ask a person to solve the CAPTCHA",
        "type the next authenticator code",
        "type a backup code (allowed by a person)",
        "signed in",
    ] {
        assert!(names.contains(&step), "{step} missing: {names:?}");
    }
    let user: Value = get_json(&c, &format!("{sandbox_url}/__sandbox/users/qrbrand")).await;
    assert_eq!(user["recovery_codes_left"], 4, "{user}");
    let (_, backup) = get(&c, &format!("{base}/accounts/{id}/backup-codes/status"), &t).await;
    assert_eq!(backup["unused"], 4, "{backup}");
    // Who answered is audited; so is each question.
    for (action, n) in [("automation.needs_person", 2), ("automation.answer", 2)] {
        let (_, audit) = get(&c, &format!("{base}/audit?action={action}"), &t).await;
        assert_eq!(audit.as_array().unwrap().len(), n, "{action}: {audit}");
    }
    assert!(
        !done.to_string().contains(&words[0]),
        "the answer is in the log"
    );
    assert!(scene.server.stop().success());
}
