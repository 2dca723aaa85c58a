//! Automations end to end: `orthrus serve` runs a "Log in" job in headless
//! Chromium against the sandbox app, which challenges the new device and
//! mails a security code to the account's managed address; the job waits
//! for it in the shared inbox and types it.

use crate::scene::{Scene, wait_for_end};
use crate::support::*;
use reqwest::Method;
use serde_json::{Value, json};

fn server_url(api_base: &str) -> &str {
    api_base.trim_end_matches("/api/v1")
}

#[tokio::test]
async fn a_login_job_passes_the_emailed_challenge_in_chromium() {
    // The sandbox sends its mail to Orthrus's SMTP listener.
    let scene = Scene::new(None).await;
    let (c, base, t) = (scene.c.clone(), scene.base.clone(), scene.t.clone());
    let (storage, server, sandbox_url) = (&scene.storage, &scene.server, scene.sandbox.clone());
    let id = scene
        .account("Sandbox brand", "brand", "pw-1-correct")
        .await;
    let address = scene.managed_email(&id).await;
    scene
        .sandbox_user(json!({"username": "brand", "password": "pw-1-correct", "email": address}))
        .await;

    // Kinds: unknown, not built yet.
    let (s, v) = api(
        &c,
        Method::POST,
        &format!("{base}/accounts/{id}/automations"),
        Some(&t),
        Some(json!({"kind": "dance"})),
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (400, Some("automation.unknown_kind"))
    );

    let (s, started) = api(
        &c,
        Method::POST,
        &format!("{base}/accounts/{id}/automations"),
        Some(&t),
        Some(json!({"kind": "login"})),
    )
    .await;
    assert_eq!(s, 202, "{started}");
    let job = started["job_id"].as_str().unwrap().to_owned();
    let done = wait_for_end(&c, &base, &t, &job).await;
    assert_eq!(done["state"], "succeeded", "{done}\n{}", server.logs());
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
    let (_, inbox) = api(
        &c,
        Method::GET,
        &format!("{base}/inbox?account_id={id}"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(inbox[0]["subject"], "Verify your account");
    // The profile is kept: the next sign-in is from a known device.
    let (_, started) = api(
        &c,
        Method::POST,
        &format!("{base}/accounts/{id}/automations"),
        Some(&t),
        Some(json!({"kind": "login"})),
    )
    .await;
    let again = wait_for_end(&c, &base, &t, started["job_id"].as_str().unwrap()).await;
    assert_eq!(again["state"], "succeeded", "{again}");
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
    let (_, jobs) = api(
        &c,
        Method::GET,
        &format!("{base}/jobs?account_id={id}"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(jobs.as_array().unwrap().len(), 2);
    assert_eq!(jobs[1]["id"].as_str(), Some(job.as_str()));
    let (_, audit) = api(
        &c,
        Method::GET,
        &format!("{base}/audit?action=automation.credentials_use"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(audit.as_array().unwrap().len(), 2, "{audit}");
    // The pages: the account's Automations section, the log, one job.
    let page = |path: String| {
        let (c, t, root) = (c.clone(), t.clone(), server_url(&base).to_owned());
        async move {
            let r = c
                .get(format!("{root}{path}"))
                .bearer_auth(&t)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{path}");
            r.text().await.unwrap()
        }
    };
    let section = page(format!("/accounts/{id}/automations-ui")).await;
    assert!(
        section.contains("id=\"automation-login\"") && section.contains("succeeded"),
        "{section}"
    );
    let log = page("/automations".into()).await;
    assert!(
        log.contains("Sandbox brand") && log.contains(&format!("/automations/{job}")),
        "{log}"
    );
    let steps = page(format!("/automations/{job}")).await;
    assert!(
        steps.contains("type the code from the shared inbox")
            && steps.contains("typed {inbox_code}"),
        "{steps}"
    );
    assert!(!steps.contains("pw-1-correct"));

    // Turn on MFA: needs the identity check when starting, like doing it
    // by hand; the job enrols the key in Orthrus, confirms it in the app
    // and keeps the recovery codes.
    let start = |kind: &'static str| {
        let (c, t, url) = (
            c.clone(),
            t.clone(),
            format!("{base}/accounts/{id}/automations"),
        );
        async move {
            api(
                &c,
                Method::POST,
                &url,
                Some(&t),
                Some(json!({ "kind": kind })),
            )
            .await
        }
    };
    let (s, v) = start("enable_mfa").await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (403, Some("step_up.required")),
        "{v}"
    );
    let (s, v) = api(
        &c,
        Method::POST,
        &format!("{base}/auth/step-up"),
        Some(&t),
        Some(json!({"password": "owner-password-1"})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = start("enable_mfa").await;
    assert_eq!(s, 202, "{v}");
    let mfa = wait_for_end(&c, &base, &t, v["job_id"].as_str().unwrap()).await;
    assert_eq!(mfa["state"], "succeeded", "{mfa}");
    let user: Value = c
        .get(format!("{sandbox_url}/__sandbox/users/brand"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            user["mfa_app"].as_bool(),
            user["recovery_codes_left"].as_u64()
        ),
        (Some(true), Some(5)),
        "{user}"
    );
    let (_, otp) = api(
        &c,
        Method::GET,
        &format!("{base}/accounts/{id}/totp"),
        Some(&t),
        None,
    )
    .await;
    assert!(
        otp["active"].is_object() && otp["pending"].is_null(),
        "{otp}"
    );
    let (_, backup) = api(
        &c,
        Method::GET,
        &format!("{base}/accounts/{id}/backup-codes/status"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(backup["unused"], 5, "{backup}");
    // Orthrus now holds the key: starting it again is refused, and a
    // login passes the app's two-factor step with the current code.
    let (s, v) = start("enable_mfa").await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("automation.mfa_already_on"))
    );
    let (_, v) = start("login").await;
    let signed = wait_for_end(&c, &base, &t, v["job_id"].as_str().unwrap()).await;
    assert_eq!(signed["state"], "succeeded", "{signed}");
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
    let by_hand = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = by_hand
        .post(format!("{sandbox_url}/accounts/login"))
        .form(&[("username", "brand"), ("password", "pw-1-correct")])
        .send()
        .await
        .unwrap();
    let cookies: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
        .collect();
    // A code with time left that the app has not seen yet (the last job
    // may have used the current one).
    let mut signed_by_hand = false;
    for _ in 0..4 {
        let (_, v) = api(
            &c,
            Method::GET,
            &format!("{base}/accounts/{id}/totp/code"),
            Some(&t),
            None,
        )
        .await;
        let left = v["seconds_remaining"].as_i64().unwrap_or(0);
        if left >= 20 {
            let r = by_hand
                .post(format!("{sandbox_url}/accounts/login/two_factor"))
                .header("Cookie", cookies.join("; "))
                .form(&[("verification_code", v["code"].as_str().unwrap())])
                .send()
                .await
                .unwrap();
            if r.headers().get("location").is_some_and(|l| l == "/") {
                signed_by_hand = true;
                break;
            }
        }
        let wait = u64::try_from(left).unwrap_or(0) + 1;
        tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    }
    assert!(signed_by_hand, "the code never worked by hand");
    let (_, v) = start("login").await;
    let retried = wait_for_end(&c, &base, &t, v["job_id"].as_str().unwrap()).await;
    assert_eq!(retried["state"], "succeeded", "{retried}");
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
    let swapped = wait_for_end(&c, &base, &t, v["job_id"].as_str().unwrap()).await;
    assert_eq!(swapped["state"], "succeeded", "{swapped}");
    let user: Value = c
        .get(format!("{sandbox_url}/__sandbox/users/brand"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
    let (s, v) = api(
        &c,
        Method::POST,
        &format!("{base}/auth/step-up"),
        Some(&t),
        Some(json!({"password": "owner-password-1"})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let job = scene.start(&id, "swap_email").await;
    let done = wait_for_end(&c, &base, &t, &job).await;
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
    let user: Value = c
        .get(format!("{}/__sandbox/users/brand", scene.sandbox))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(user["email"], "brand@inbox.test", "{user}");
    // The message itself was the app's: signed, DMARC passed, not refused.
    let (_, inbox) = api(
        &c,
        Method::GET,
        &format!("{base}/inbox?account_id={id}"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(inbox[0]["auth"]["dmarc"], "pass", "{inbox}");
    assert!(inbox[0].get("automation_refusal").is_none(), "{inbox}");
    assert!(scene.server.stop().success());
}

/// `orthrus worker` on the same storage, with a short lease.
fn worker(storage: &Storage) -> std::process::Child {
    std::process::Command::new(bin())
        .arg("worker")
        .args(storage.args())
        .env("ORTHRUS_MASTER_KEY", master_key())
        .env("ORTHRUS_LOG", "info")
        .env("ORTHRUS_AUTOMATION_LEASE_SECS", "3")
        .env("ORTHRUS_AUTOMATION_ALLOWED_PRIVATE_HOSTS", "127.0.0.1")
        .env_remove("ORTHRUS_CONFIG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

#[tokio::test]
async fn a_job_whose_worker_is_killed_is_recovered_by_another() {
    // No runner inside serve: only the worker processes run jobs. The
    // sandbox cannot send its security code (nothing listens on its SMTP
    // port), so the first attempt waits on the code page.
    let scene = Scene::with("[automation]\nworkers = 0\n", None, Some("127.0.0.1:9")).await;
    let (c, base, t) = (scene.c.clone(), scene.base.clone(), scene.t.clone());
    let (storage, server, sandbox_url) = (&scene.storage, &scene.server, scene.sandbox.clone());
    let id = scene
        .account("Sandbox brand", "brand", "pw-1-correct")
        .await;
    scene
        .sandbox_user(
            json!({"username": "brand", "password": "pw-1-correct", "email": "brand@inbox.test"}),
        )
        .await;
    let job = scene.start(&id, "login").await;
    let mut first = worker(storage);
    // Wait until the first worker is stuck on the code page, then kill it.
    let mut stuck = false;
    for _ in 0..300 {
        let (_, j) = api(
            &c,
            Method::GET,
            &format!("{base}/jobs/{job}"),
            Some(&t),
            None,
        )
        .await;
        if j["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "type the code from the shared inbox" && s["outcome"].is_null())
        {
            stuck = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(stuck, "the first attempt never reached the code page");
    first.kill().unwrap();
    first.wait().unwrap();
    let killed = std::time::Instant::now();
    let (_, j) = api(
        &c,
        Method::GET,
        &format!("{base}/jobs/{job}"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(j["state"], "running", "the dead worker still holds it: {j}");
    // The device is now trusted by the app, so the retry signs straight in.
    c.post(format!("{sandbox_url}/__sandbox/config"))
        .json(&json!({"challenge_unknown_devices": false}))
        .send()
        .await
        .unwrap();
    let mut second = worker(storage);
    let done = wait_for_end(&c, &base, &t, &job).await;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(done["attempts"], 2, "{done}");
    // Taken over at once once the lease ran out (no back-off for a dead
    // worker): seconds, not the half minute a retry waits.
    eprintln!(
        "the killed worker's job ended {:.1} s after the kill",
        killed.elapsed().as_secs_f64()
    );
    // Nothing the first attempt logged is lost; the step it died in ends
    // failed, saying why.
    let steps = done["steps"].as_array().unwrap();
    let died = steps
        .iter()
        .find(|s| s["attempt"] == 1 && s["name"] == "type the code from the shared inbox")
        .expect("the first attempt's last step is kept");
    assert_eq!(died["outcome"], "failed", "{done}");
    assert!(
        died["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("stopped responding"),
        "{done}"
    );
    assert!(steps.iter().any(|s| s["attempt"] == 2), "{done}");

    // Rotate the password (identity check first): the new one is set in
    // the app, verified by signing in again, then made current in Orthrus
    // with the old one in the history.
    let (s, _) = api(
        &c,
        Method::POST,
        &format!("{base}/auth/step-up"),
        Some(&t),
        Some(json!({"password": "owner-password-1"})),
    )
    .await;
    assert_eq!(s, 200);
    // This app's rule: 16 characters, no symbols.
    let (s, v) = api(
        &c,
        Method::PUT,
        &format!("{base}/accounts/{id}/rotation"),
        Some(&t),
        Some(json!({"every_days": null, "password_policy": {"length": 16, "symbols": false}})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = api(
        &c,
        Method::POST,
        &format!("{base}/accounts/{id}/automations"),
        Some(&t),
        Some(json!({"kind": "rotate_password"})),
    )
    .await;
    assert_eq!(s, 202, "{v}");
    let rotated = wait_for_end(&c, &base, &t, v["job_id"].as_str().unwrap()).await;
    assert_eq!(rotated["state"], "succeeded", "{rotated}");
    let user: Value = c
        .get(format!("{sandbox_url}/__sandbox/users/brand"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let new = user["password"].as_str().unwrap().to_owned();
    assert_ne!(new, "pw-1-correct");
    assert!(
        new.len() == 16 && new.chars().all(|ch| ch.is_ascii_alphanumeric()),
        "not under the account's policy: {new}"
    );
    let (_, pw) = api(
        &c,
        Method::GET,
        &format!("{base}/accounts/{id}/password"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(
        pw["password"].as_str(),
        Some(new.as_str()),
        "Orthrus holds the app's new password"
    );
    assert!(
        !rotated.to_string().contains(&new),
        "the new password in the log"
    );
    let (_, acct) = api(
        &c,
        Method::GET,
        &format!("{base}/accounts/{id}"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(
        acct["password_history"].as_array().map(Vec::len),
        Some(1),
        "{acct}"
    );
    // The CLI: `orthrus automate` follows the steps and exits 0.
    let cli_cfg = scene.dir.path().join("cli.json");
    let (ok, _, err) = crate::cli::cli(
        &cli_cfg,
        &[
            "login",
            "--server",
            &server.url,
            "--email",
            "owner@acme.test",
        ],
        "owner-password-1\n",
    );
    assert!(ok, "{err}");
    // Off the test's runtime thread: the sandbox is served on this runtime.
    let (ok, out, err) = {
        let cfg = cli_cfg.clone();
        tokio::task::spawn_blocking(move || {
            crate::cli::cli(&cfg, &["automate", "Sandbox brand", "login"], "")
        })
        .await
        .unwrap()
    };
    assert!(ok, "{out}\n{err}");
    assert_eq!(out.trim(), "succeeded");
    assert!(err.contains("ok   signed in"), "{err}");
    // A CAPTCHA, answered from the terminal: `--ask` saves the picture and
    // reads the answer (the test knows the word ahead).
    c.post(format!("{sandbox_url}/__sandbox/config"))
        .json(
            &json!({"challenge_unknown_devices": false, "captcha": true, "captcha_word": "orchid"}),
        )
        .send()
        .await
        .unwrap();
    let (ok, out, err) = {
        let cfg = cli_cfg.clone();
        tokio::task::spawn_blocking(move || {
            crate::cli::cli(
                &cfg,
                &["automate", "Sandbox brand", "login", "--ask"],
                "orchid\n",
            )
        })
        .await
        .unwrap()
    };
    assert!(ok, "{out}\n{err}");
    assert_eq!(out.trim(), "succeeded");
    assert!(
        err.contains("needs a person")
            && err.contains("The picture: ")
            && err.contains("Answered."),
        "{err}"
    );
    let (ok, _, err) = crate::cli::cli(&cli_cfg, &["automate", "Sandbox brand", "dance"], "");
    assert!(!ok && err.contains("kind must be one of"), "{err}");
    second.kill().unwrap();
    second.wait().unwrap();
    let attempts: Vec<i64> = done["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["attempt"].as_i64().unwrap())
        .collect();
    assert!(
        attempts.contains(&1) && attempts.last() == Some(&2),
        "{attempts:?}"
    );
    assert!(scene.server.stop().success());
}

/// The sandbox app's password for `user`.
async fn app_password(c: &reqwest::Client, sandbox_url: &str, user: &str) -> String {
    let u: Value = c
        .get(format!("{sandbox_url}/__sandbox/users/{user}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    u["password"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_rotation_whose_worker_dies_after_the_app_took_the_password_loses_nothing() {
    // Only the worker processes run jobs. The app saves the new password
    // and then never answers: the first worker is killed at that moment,
    // before Orthrus made the new password current.
    let scene = Scene::with("[automation]\nworkers = 0\n", None, None).await;
    let (c, base, t) = (scene.c.clone(), scene.base.clone(), scene.t.clone());
    let sandbox_url = scene.sandbox.clone();
    let id = scene
        .account("Sandbox brand", "brand", "pw-1-correct")
        .await;
    scene
        .sandbox_user(
            json!({"username": "brand", "password": "pw-1-correct", "email": "brand@inbox.test"}),
        )
        .await;
    scene
        .sandbox_config(
            json!({"challenge_unknown_devices": false, "hang_after_password_change": true}),
        )
        .await;
    let (s, _) = api(
        &c,
        Method::POST,
        &format!("{base}/auth/step-up"),
        Some(&t),
        Some(json!({"password": "owner-password-1"})),
    )
    .await;
    assert_eq!(s, 200);
    let job = scene.start(&id, "rotate_password").await;
    let mut first = worker(&scene.storage);
    let mut taken = None;
    for _ in 0..600 {
        let p = app_password(&c, &sandbox_url, "brand").await;
        if p != "pw-1-correct" {
            taken = Some(p);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let new = taken.expect("the first worker never changed the app's password");
    first.kill().unwrap();
    first.wait().unwrap();
    let current = |c: reqwest::Client| {
        let (base, t, id) = (base.clone(), t.clone(), id.clone());
        async move {
            let (s, pw) = api(
                &c,
                Method::GET,
                &format!("{base}/accounts/{id}/password"),
                Some(&t),
                None,
            )
            .await;
            assert_eq!(s, 200, "{pw}");
            pw["password"].as_str().unwrap().to_owned()
        }
    };
    // Orthrus still shows the old password; the app has the new one,
    // which Orthrus keeps only as pending.
    assert_eq!(current(c.clone()).await, "pw-1-correct");
    let pending = |c: reqwest::Client| {
        let (base, t, id) = (base.clone(), t.clone(), id.clone());
        async move {
            let (s, r) = api(
                &c,
                Method::GET,
                &format!("{base}/accounts/{id}/rotation"),
                Some(&t),
                None,
            )
            .await;
            assert_eq!(s, 200, "{r}");
            r["password_pending"].as_bool().unwrap()
        }
    };
    assert!(pending(c.clone()).await, "Owners see a rotation is pending");
    scene
        .sandbox_config(json!({"challenge_unknown_devices": false}))
        .await;
    // The next worker takes the job over: the old password is refused, the
    // pending one signs in and becomes current.
    let mut second = worker(&scene.storage);
    let done = wait_for_end(&c, &base, &t, &job).await;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(done["attempts"], 2, "{done}");
    let steps: Vec<(i64, &str, &str)> = done["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["attempt"].as_i64().unwrap(),
                s["name"].as_str().unwrap(),
                s["outcome"].as_str().unwrap_or(""),
            )
        })
        .collect();
    for step in [
        "sign in with the pending password of an unfinished rotation",
        "make the pending password current in Orthrus (the app holds it)",
    ] {
        assert!(steps.contains(&(2, step, "ok")), "{step}: {steps:?}");
    }
    assert_eq!(
        current(c.clone()).await,
        new,
        "Orthrus holds the app's password"
    );
    assert!(!pending(c.clone()).await, "nothing left pending");
    assert_eq!(app_password(&c, &sandbox_url, "brand").await, new);
    assert!(!done.to_string().contains(&new), "the password in the log");
    let (_, audit) = api(
        &c,
        Method::GET,
        &format!("{base}/audit?action=automation.password_rotated"),
        Some(&t),
        None,
    )
    .await;
    assert!(audit.to_string().contains("recovered_pending"), "{audit}");
    // Nothing is left pending: the next rotation makes a fresh password.
    let next = scene.start(&id, "rotate_password").await;
    let rotated = wait_for_end(&c, &base, &t, &next).await;
    assert_eq!(rotated["state"], "succeeded", "{rotated}");
    let newer = app_password(&c, &sandbox_url, "brand").await;
    assert_ne!(newer, new);
    assert_eq!(current(c.clone()).await, newer);
    second.kill().unwrap();
    second.wait().unwrap();
    assert!(scene.server.stop().success());
}

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
    let failed = wait_for_end(&c, &base, &t, &failed).await;
    assert_eq!(failed["state"], "failed", "{failed}");
    let (_, failed) = api(
        &c,
        Method::GET,
        &format!("{base}/jobs/{}", failed["id"].as_str().unwrap()),
        Some(&t),
        None,
    )
    .await;
    let png = screenshot(&c, &root, &t, &failed).await;
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let page = c
        .get(format!(
            "{root}/automations/{}",
            failed["id"].as_str().unwrap()
        ))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
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
    let (s, v) = api(
        &c,
        Method::POST,
        &format!("{base}/auth/step-up"),
        Some(&t),
        Some(json!({"password": "owner-password-1"})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let mfa = start("enable_mfa").await;
    let mfa = wait_for_end(&c, &base, &t, &mfa).await;
    assert_eq!(mfa["state"], "succeeded", "{mfa}");
    let names: Vec<&str> = mfa["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert!(names.contains(&"decode the QR code"), "{names:?}");
    assert!(!names.contains(&"read the secret key"), "{names:?}");
    let user: Value = c
        .get(format!("{sandbox_url}/__sandbox/users/qrbrand"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
    let page = c
        .get(format!("{root}/automations/{job}"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let log = c
        .get(format!("{root}/automations"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(log.contains("needs a person"), "{log}");
    assert!(
        page.contains("This job needs a person")
            && page.contains("id=\"job-answer\"")
            && page.contains(&format!("data-job-events=\"/automations/{job}/events\"")),
        "{page}"
    );
    let answer = |text: String| {
        let (c, t, url) = (c.clone(), t.clone(), format!("{base}/jobs/{job}/answer"));
        async move {
            api(
                &c,
                Method::POST,
                &url,
                Some(&t),
                Some(json!({ "answer": text })),
            )
            .await
        }
    };
    let (s, v) = answer(String::new()).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (400, Some("automation.answer")),
        "{v}"
    );
    // The person reads the word (here: the sandbox's test control tells it).
    let words: Vec<String> = c
        .get(format!("{sandbox_url}/__sandbox/captchas"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
    let done = wait_for_end(&c, &base, &t, &job).await;
    assert_eq!(done["state"], "succeeded", "{done}");
    let names: Vec<&str> = done["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    for step in [
        "ask a person to solve the CAPTCHA",
        "type the next authenticator code",
        "type a backup code (allowed by a person)",
        "signed in",
    ] {
        assert!(names.contains(&step), "{step} missing: {names:?}");
    }
    let user: Value = c
        .get(format!("{sandbox_url}/__sandbox/users/qrbrand"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(user["recovery_codes_left"], 4, "{user}");
    let (_, backup) = api(
        &c,
        Method::GET,
        &format!("{base}/accounts/{id}/backup-codes/status"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(backup["unused"], 4, "{backup}");
    // Who answered is audited; so is each question.
    for (action, n) in [("automation.needs_person", 2), ("automation.answer", 2)] {
        let (_, audit) = api(
            &c,
            Method::GET,
            &format!("{base}/audit?action={action}"),
            Some(&t),
            None,
        )
        .await;
        assert_eq!(audit.as_array().unwrap().len(), n, "{action}: {audit}");
    }
    assert!(
        !done.to_string().contains(&words[0]),
        "the answer is in the log"
    );
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
    let (s, v) = api(
        &c,
        Method::POST,
        &format!("{base}/phone-numbers"),
        Some(&t),
        Some(json!({"number": "+14155550142"})),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let id = scene.account("SMS brand", "smsbrand", "pw-3-correct").await;
    let (s, phone) = api(
        &c,
        Method::POST,
        &format!("{base}/accounts/{id}/phone-number"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(s, 200, "{phone}");
    assert_eq!(phone["number"], "+14155550142");
    scene
        .sandbox_user(json!({"username": "smsbrand", "password": "pw-3-correct", "email": "sms@elsewhere.test", "sms_phone": "+14155550142"}))
        .await;
    scene
        .sandbox_config(json!({"challenge_unknown_devices": false}))
        .await;
    let job = scene.start(&id, "login").await;
    let done = wait_for_end(&c, &base, &t, &job).await;
    assert_eq!(
        done["state"],
        "succeeded",
        "{done}\n{}",
        scene.server.logs()
    );
    let names: Vec<&str> = done["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert!(
        names.contains(&"type the code texted to the managed number"),
        "{names:?}"
    );
    // The text is in the shared inbox, its code pulled out.
    let (_, inbox) = api(
        &c,
        Method::GET,
        &format!("{base}/inbox?account_id={id}"),
        Some(&t),
        None,
    )
    .await;
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
        let (_, j) = api(
            &c,
            Method::GET,
            &format!("{base}/jobs/{job}"),
            Some(&t),
            None,
        )
        .await;
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
    let (s, v) = api(
        &c,
        Method::POST,
        &format!("{base}/jobs/{job}/cancel"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!((s, v["state"].as_str()), (200, Some("cancelled")), "{v}");
    // The password did not change.
    let user: Value = c
        .get(format!("{sandbox_url}/__sandbox/users/smsbrand"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(user["password"], "pw-3-correct", "{user}");
    assert!(scene.server.stop().success());
}
