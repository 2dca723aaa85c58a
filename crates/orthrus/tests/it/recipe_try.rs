//! `orthrus recipe try` (issue 13): a person repairing a recipe runs one
//! flow of their file against a real account, from the server's machine,
//! while the server runs. The try is a job of the account like any other
//! (the same runner, its emailed challenge through the shared inbox, the
//! automation log, the audit), held by the command from the start so the
//! server's runner never takes it; each step is printed as it ends, with a
//! picture of the page after it.

use crate::scene::Scene;
use crate::support::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PASSWORD: &str = "pw-try-Secret-7";

/// `orthrus recipe try FILE ARGS…` with the scene's storage and
/// configuration, run in `cwd`, off the test's thread (the sandbox runs in
/// this process).
async fn recipe_try(scene: &Scene, file: &Path, args: &[&str], cwd: &Path) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(["recipe", "try"])
        .arg(file)
        .args(args)
        .args(scene.storage.args())
        .arg("--config")
        .arg(scene.dir.path().join("orthrus.toml"))
        .current_dir(cwd)
        .env("ORTHRUS_MASTER_KEY", master_key())
        .env("ORTHRUS_ARGON_MEMORY_KIB", "8192")
        .env_remove("ORTHRUS_CONFIG");
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The printed steps: (number, outcome, rest of the line).
fn steps(out: &str) -> Vec<(u32, String, String)> {
    out.lines()
        .filter_map(|l| {
            let (n, rest) = l.split_once(' ')?;
            let n: u32 = n.parse().ok().filter(|_| n.len() >= 2)?;
            let (outcome, rest) = rest.split_once(' ')?;
            matches!(outcome, "ok" | "failed" | "waiting")
                .then(|| (n, outcome.to_owned(), rest.trim().to_owned()))
        })
        .collect()
}

/// The pictures in `dir`, by step number.
fn pictures(dir: &Path) -> Vec<(u32, PathBuf)> {
    let mut v: Vec<(u32, PathBuf)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            assert!(name.ends_with(".png"), "{name}");
            let n = name.split('-').next().unwrap().parse().unwrap();
            (n, p)
        })
        .collect();
    v.sort();
    v
}

fn assert_png(p: &Path) {
    let bytes = std::fs::read(p).unwrap();
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is not a PNG",
        p.display()
    );
    assert!(
        bytes.len() > 2000,
        "{} is {} bytes",
        p.display(),
        bytes.len()
    );
}

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn recipe_try_runs_one_flow_as_a_job_and_shows_each_step() {
    let scene = Scene::new(None).await;
    let (c, base, t) = (scene.c.clone(), scene.base.clone(), scene.t.clone());
    let id = scene.account("Sandbox Try", "trier", PASSWORD).await;
    let address = scene.managed_email(&id).await;
    // A new device: the sandbox mails a security code, which the run waits
    // for in the shared inbox (stored by the server, read by the command).
    scene
        .sandbox_user(
            serde_json::json!({"username": "trier", "password": PASSWORD, "email": address}),
        )
        .await;
    let shipped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../orthrus-automation/recipes/sandbox.toml"
    ))
    .unwrap();
    let work = scene.dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let file = work.join("my-sandbox.toml");
    std::fs::write(&file, &shipped).unwrap();

    // The label ignores case; the server runs (its runner idle) meanwhile.
    let shots = work.join("shots");
    let o = recipe_try(
        &scene,
        &file,
        &[
            "--flow",
            "login",
            "--account",
            "sandbox try",
            "--shots",
            shots.to_str().unwrap(),
        ],
        &work,
    )
    .await;
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    let printed = steps(&out);
    assert!(printed.len() >= 8, "{out}");
    assert!(
        printed.iter().all(|(_, outcome, _)| outcome == "ok"),
        "{out}"
    );
    assert!(out.contains("typed {password}"), "{out}");
    assert!(
        printed
            .iter()
            .any(|(_, _, rest)| rest.starts_with("type the code from the shared inbox")),
        "the emailed challenge: {out}"
    );
    assert!(out.contains(&format!("page {}/", scene.sandbox)), "{out}");
    assert!(
        !out.contains(PASSWORD) && !err.contains(PASSWORD),
        "{out}\n{err}"
    );
    // One picture per printed step, named by its number, in a folder kept
    // to this user.
    assert_eq!(mode(&shots), 0o700);
    let pics = pictures(&shots);
    let numbers: Vec<u32> = printed.iter().map(|(n, _, _)| *n).collect();
    let mut sorted = numbers.clone();
    sorted.sort_unstable();
    assert_eq!(
        pics.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        sorted,
        "{out}"
    );
    for (_, p) in &pics {
        assert_png(p);
    }
    assert!(shots.join("03-type-the-password.png").exists(), "{pics:?}");

    // The try is the account's job, held by the command from the start:
    // one attempt, its steps once, the first saying where it came from.
    // Had the server's runner taken it, it would have run the steps again.
    let (_, jobs) = get(&c, &format!("{base}/jobs?account_id={id}"), &t).await;
    let jobs = jobs.as_array().unwrap().clone();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    let job = jobs[0]["id"].as_str().unwrap();
    let (_, job) = get(&c, &format!("{base}/jobs/{job}"), &t).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    assert_eq!(job["kind"], "login");
    assert_eq!(job["attempts"], 1, "{job}");
    let names: Vec<&str> = job["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names[0], "tried from the command line: orthrus recipe try my-sandbox.toml",
        "{names:?}"
    );
    assert_eq!(names[1], "start the browser", "{names:?}");
    assert_eq!(names.len(), 2 + printed.len(), "{names:?}\n{out}");
    assert!(!job.to_string().contains(PASSWORD));
    let (_, audit) = get(&c, &format!("{base}/audit?action=automation.start"), &t).await;
    assert!(audit.to_string().contains("my-sandbox.toml"), "{audit}");

    // A broken recipe: the password field's selector finds nothing. The
    // command names the step and the page, and the picture of it is kept
    // (in ./recipe-try-<time> by default).
    let broken = work.join("broken.toml");
    let bad = shipped.replacen(
        r##"{ fill = "#password", with = "{password}", name = "type the password" }"##,
        r##"{ fill = "#no-such-password-field", with = "{password}", name = "type the password", timeout = 2 }"##,
        1,
    );
    assert_ne!(bad, shipped, "the shipped recipe's password step changed");
    std::fs::write(&broken, bad).unwrap();
    let cwd = work.join("elsewhere");
    std::fs::create_dir(&cwd).unwrap();
    let o = recipe_try(
        &scene,
        &broken,
        &["--flow", "login", "--account", &id],
        &cwd,
    )
    .await;
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    assert!(
        out.contains("03 failed  type the password: #no-such-password-field did not show"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "at step 03 (type the password) on {}/",
            scene.sandbox
        )),
        "{out}"
    );
    let made: Vec<PathBuf> = std::fs::read_dir(&cwd)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(made.len(), 1, "{made:?}");
    assert!(
        made[0]
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("recipe-try-"),
        "{made:?}"
    );
    assert_eq!(mode(&made[0]), 0o700);
    let last = made[0].join("03-type-the-password.png");
    assert_png(&last);
    assert!(out.contains(&last.display().to_string()), "{out}");

    // Wrong inputs: nothing runs (exit 2), and the message says why.
    let other_app = work.join("acme.toml");
    std::fs::write(
        &other_app,
        shipped.replacen("app = \"sandbox\"", "app = \"acme\"", 1),
    )
    .unwrap();
    for (file, args, says) in [
        (
            &file,
            vec!["--flow", "login", "--account", "Nobody's account"],
            "no account is labelled or has the id \"Nobody's account\"",
        ),
        (
            &other_app,
            vec!["--flow", "login", "--account", "Sandbox Try"],
            "is a recipe for the app \"acme\", but the account \"Sandbox Try\" is of the app \"sandbox\"",
        ),
        (
            &file,
            vec!["--flow", "dance", "--account", "Sandbox Try"],
            "has no flow \"dance\"; its flows: enable_mfa, login, rotate_password, swap_email",
        ),
        (
            &file,
            vec![
                "--flow",
                "login",
                "--account",
                "Sandbox Try",
                "--as",
                "nobody@acme.test",
            ],
            "there is no active member with the email nobody@acme.test",
        ),
    ] {
        let o = recipe_try(&scene, file, &args, &cwd).await;
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {out}\n{err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    // A broken file: where, as `recipe check` says it (exit 1).
    let unparsable = work.join("unparsable.toml");
    std::fs::write(&unparsable, "app = \"sandbox\"\n[flows.login]\nsteps = 3\n").unwrap();
    let o = recipe_try(
        &scene,
        &unparsable,
        &["--flow", "login", "--account", "x"],
        &cwd,
    )
    .await;
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    assert!(err.contains("unparsable.toml:3:"), "{err}");
    // Two tries ran; the refused ones left no job.
    let (_, jobs) = get(&c, &format!("{base}/jobs?account_id={id}"), &t).await;
    assert_eq!(jobs.as_array().unwrap().len(), 2, "{jobs}");
}

#[tokio::test]
async fn recipe_try_waits_for_a_person_as_a_job_does() {
    let scene = Scene::new(None).await;
    let (c, base, t) = (scene.c.clone(), scene.base.clone(), scene.t.clone());
    let id = scene.account("Captcha Try", "puzzled", PASSWORD).await;
    scene
        .sandbox_user(serde_json::json!({"username": "puzzled", "password": PASSWORD, "email": "puzzled@inbox.test"}))
        .await;
    scene
        .sandbox_config(serde_json::json!({"challenge_unknown_devices": false, "captcha": true, "captcha_word": "orchid"}))
        .await;
    let work = scene.dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let file = work.join("sandbox.toml");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../orthrus-automation/recipes/sandbox.toml"
        ),
        &file,
    )
    .unwrap();
    let shots = work.join("shots");
    let running = {
        let mut cmd = Command::new(bin());
        cmd.args(["recipe", "try"])
            .arg(&file)
            .args([
                "--flow",
                "login",
                "--account",
                "Captcha Try",
                "--as",
                "owner@acme.test",
            ])
            .arg("--shots")
            .arg(&shots)
            .args(scene.storage.args())
            .arg("--config")
            .arg(scene.dir.path().join("orthrus.toml"))
            .env("ORTHRUS_MASTER_KEY", master_key())
            .env_remove("ORTHRUS_CONFIG");
        tokio::task::spawn_blocking(move || cmd.output().unwrap())
    };
    // The job asks in the automation log, as a server's job does; a person
    // answers there (here through the API).
    let mut job = None;
    for _ in 0..600 {
        let (_, jobs) = get(&c, &format!("{base}/jobs?account_id={id}"), &t).await;
        if let Some(j) = jobs.as_array().and_then(|j| j.first())
            && j["state"] == "waiting"
        {
            job = j["id"].as_str().map(str::to_owned);
            break;
        }
        assert!(!running.is_finished(), "the command ended without asking");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let job = job.expect("the try never asked");
    let (_, asked) = get(&c, &format!("{base}/jobs/{job}"), &t).await;
    assert_eq!(asked["question"]["kind"], "captcha", "{asked}");
    let (s, v) = post(
        &c,
        &format!("{base}/jobs/{job}/answer"),
        &t,
        Some(serde_json::json!({"answer": "orchid"})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let o = running.await.unwrap();
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    assert!(
        out.contains("waiting for a person at step 06 (ask a person to solve the CAPTCHA): The app shows a CAPTCHA"),
        "{out}"
    );
    assert!(
        out.contains(&format!("/automations/{job}"))
            && out.contains(&format!("POST /api/v1/jobs/{job}/answer")),
        "{out}"
    );
    assert!(
        out.contains("a person answered into {captcha_answer}"),
        "{out}"
    );
    assert!(!out.contains("orchid"), "{out}");
    assert_png(&shots.join("06-ask-a-person-to-solve-the-captcha.png"));
}
