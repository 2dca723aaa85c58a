//! Automations survive their worker: a job whose worker is killed is taken
//! over by another and finishes, and a rotation whose worker dies after the
//! app took the new password loses nothing (the password is kept pending
//! and made current by the retry).

use crate::scene::{Scene, step_attempts};
use crate::support::*;
use serde_json::{Value, json};

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

/// A scene whose server runs no jobs itself (only worker processes do),
/// the sandbox's mail sent to `sandbox_smtp` when given, with the
/// sandbox user "brand" and its account in Orthrus; the account's id.
async fn brand_without_workers(sandbox_smtp: Option<&str>) -> (Scene, String) {
    let scene = Scene::with("[automation]\nworkers = 0\n", None, sandbox_smtp).await;
    let id = scene
        .account("Sandbox brand", "brand", "pw-1-correct")
        .await;
    scene
        .sandbox_user(
            json!({"username": "brand", "password": "pw-1-correct", "email": "brand@inbox.test"}),
        )
        .await;
    (scene, id)
}

#[tokio::test]
async fn a_job_whose_worker_is_killed_is_recovered_by_another() {
    // No runner inside serve: only the worker processes run jobs. The
    // sandbox cannot send its security code (nothing listens on its SMTP
    // port), so the first attempt waits on the code page.
    let (scene, id) = brand_without_workers(Some("127.0.0.1:9")).await;
    let (c, base, t) = (scene.c.clone(), scene.base.clone(), scene.t.clone());
    let (storage, server, sandbox_url) = (&scene.storage, &scene.server, scene.sandbox.clone());
    let job = scene.start(&id, "login").await;
    let mut first = worker(storage);
    // Wait until the first worker is stuck on the code page, then kill it.
    let mut stuck = false;
    for _ in 0..300 {
        let (_, j) = get(&c, &format!("{base}/jobs/{job}"), &t).await;
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
    let (_, j) = get(&c, &format!("{base}/jobs/{job}"), &t).await;
    assert_eq!(j["state"], "running", "the dead worker still holds it: {j}");
    // The device is now trusted by the app, so the retry signs straight in.
    c.post(format!("{sandbox_url}/__sandbox/config"))
        .json(&json!({"challenge_unknown_devices": false}))
        .send()
        .await
        .unwrap();
    let mut second = worker(storage);
    let done = scene.succeeds(&job).await;
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
    step_up(&c, &base, &t).await;
    // This app's rule: 16 characters, no symbols.
    let (s, v) = put(
        &c,
        &format!("{base}/accounts/{id}/rotation"),
        &t,
        Some(json!({"every_days": null, "password_policy": {"length": 16, "symbols": false}})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = start_automation(&c, &base, &t, &id, "rotate_password").await;
    assert_eq!(s, 202, "{v}");
    let rotated = scene.succeeds(v["job_id"].as_str().unwrap()).await;
    let user: Value = get_json(&c, &format!("{sandbox_url}/__sandbox/users/brand")).await;
    let new = user["password"].as_str().unwrap().to_owned();
    assert_ne!(new, "pw-1-correct");
    assert!(
        new.len() == 16 && new.chars().all(|ch| ch.is_ascii_alphanumeric()),
        "not under the account's policy: {new}"
    );
    let (_, pw) = get(&c, &format!("{base}/accounts/{id}/password"), &t).await;
    assert_eq!(
        pw["password"].as_str(),
        Some(new.as_str()),
        "Orthrus holds the app's new password"
    );
    assert!(
        !rotated.to_string().contains(&new),
        "the new password in the log"
    );
    let (_, acct) = get(&c, &format!("{base}/accounts/{id}"), &t).await;
    assert_eq!(
        acct["password_history"].as_array().map(Vec::len),
        Some(1),
        "{acct}"
    );
    // The CLI: `orthrus automate` follows the steps and exits 0.
    let session = CliSession::owner(scene.dir.path().join("cli.json"), &server.url);
    // Off the test's runtime thread: the sandbox is served on this runtime.
    let (ok, out, err) = {
        let session = session.clone();
        tokio::task::spawn_blocking(move || {
            session.run(&["automate", "Sandbox brand", "login"], "")
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
        let session = session.clone();
        tokio::task::spawn_blocking(move || {
            session.run(&["automate", "Sandbox brand", "login", "--ask"], "orchid\n")
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
    let (ok, _, err) = session.run(&["automate", "Sandbox brand", "dance"], "");
    assert!(!ok && err.contains("kind must be one of"), "{err}");
    second.kill().unwrap();
    second.wait().unwrap();
    let attempts = step_attempts(&done);
    assert!(
        attempts.contains(&1) && attempts.last() == Some(&2),
        "{attempts:?}"
    );
    assert!(scene.server.stop().success());
}

/// The sandbox app's password for `user`.
async fn app_password(c: &reqwest::Client, sandbox_url: &str, user: &str) -> String {
    let u: Value = get_json(c, &format!("{sandbox_url}/__sandbox/users/{user}")).await;
    u["password"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_rotation_whose_worker_dies_after_the_app_took_the_password_loses_nothing() {
    // Only the worker processes run jobs. The app saves the new password
    // and then never answers: the first worker is killed at that moment,
    // before Orthrus made the new password current.
    let (scene, id) = brand_without_workers(None).await;
    let (c, base, t) = (scene.c.clone(), scene.base.clone(), scene.t.clone());
    let sandbox_url = scene.sandbox.clone();
    scene
        .sandbox_config(
            json!({"challenge_unknown_devices": false, "hang_after_password_change": true}),
        )
        .await;
    step_up(&c, &base, &t).await;
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
            let (s, pw) = get(&c, &format!("{base}/accounts/{id}/password"), &t).await;
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
            let (s, r) = get(&c, &format!("{base}/accounts/{id}/rotation"), &t).await;
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
    let done = scene.succeeds(&job).await;
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
    let (_, audit) = get(
        &c,
        &format!("{base}/audit?action=automation.password_rotated"),
        &t,
    )
    .await;
    assert!(audit.to_string().contains("recovered_pending"), "{audit}");
    // Nothing is left pending: the next rotation makes a fresh password.
    let next = scene.start(&id, "rotate_password").await;
    scene.succeeds(&next).await;
    let newer = app_password(&c, &sandbox_url, "brand").await;
    assert_ne!(newer, new);
    assert_eq!(current(c.clone()).await, newer);
    second.kill().unwrap();
    second.wait().unwrap();
    assert!(scene.server.stop().success());
}
