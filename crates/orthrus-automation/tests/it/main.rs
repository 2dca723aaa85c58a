//! The sandbox recipe run by the engine in headless Chromium against
//! `orthrus-sandbox`, whose security codes are caught by a small SMTP server
//! here. Needs Debian's chromium and chromium-driver (`scripts/test`
//! installs them).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use orthrus_automation::browser::{Browser, BrowserOptions};
use orthrus_automation::engine::{
    FlowEnd, Host, HostError, StepEnd, StepLog, StepOutcome, run_flow,
};
use orthrus_sandbox::Sandbox;
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod egress;
mod generic;
#[path = "../../../orthrus-sandbox/tests/it/smtp_sink.rs"]
mod smtp_sink;

type Mail = smtp_sink::Inbox;

/// Browser options that let the automation browser open the sandbox, which
/// runs on loopback (refused unless allowed, like any internal address).
fn options_for(url: &str) -> BrowserOptions {
    let (host, port) = orthrus_core::egress::url_host_port(url).unwrap();
    BrowserOptions {
        egress: orthrus_app::egress::Egress::new(
            orthrus_core::egress::PrivateHostAllowList::parse([format!("{host}:{port}").as_str()])
                .unwrap(),
            Arc::new(orthrus_app::egress::SystemResolver),
        ),
        ..BrowserOptions::default()
    }
}

struct TestHost {
    /// The sandbox's base URL.
    url: String,
    password: String,
    mail: Mail,
    /// Messages that were already there when the run started.
    seen: usize,
    /// The questions asked (`ask` steps), with their screenshots.
    asked: Mutex<Vec<(String, Vec<u8>)>>,
}

#[async_trait::async_trait]
impl Host for TestHost {
    async fn value(&self, name: &str) -> Result<String, HostError> {
        match name {
            "login_url" => Ok(format!("{}/accounts/login", self.url)),
            "origin" => Ok(self.url.clone()),
            "username" => Ok("brand".into()),
            "password" => Ok(self.password.clone()),
            "inbox_code" => {
                for _ in 0..100 {
                    let found = self
                        .mail
                        .lock()
                        .unwrap()
                        .iter()
                        .skip(self.seen)
                        .find_map(|m| {
                            let at = m.find("identity:")?;
                            let code: String = m[at..]
                                .chars()
                                .skip_while(|c| !c.is_ascii_digit())
                                .take_while(char::is_ascii_digit)
                                .collect();
                            Some(code)
                        });
                    if let Some(code) = found {
                        return Ok(code);
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(HostError::Timeout("no code arrived".into()))
            }
            other => Err(HostError::Unavailable(format!("no value for {other}"))),
        }
    }

    /// Plays the person reading the CAPTCHA: wrong the first time, then
    /// the word the sandbox drew.
    async fn ask(&self, prompt: &str, screenshot: Option<Vec<u8>>) -> Result<String, HostError> {
        let first = {
            let mut asked = self.asked.lock().unwrap();
            asked.push((prompt.to_owned(), screenshot.unwrap_or_default()));
            asked.len() == 1
        };
        if first {
            return Ok("not-the-word".into());
        }
        let words: Vec<String> = reqwest::get(format!("{}/__sandbox/captchas", self.url))
            .await
            .map_err(|e| HostError::Page(e.to_string()))?
            .json()
            .await
            .map_err(|e| HostError::Page(e.to_string()))?;
        words
            .into_iter()
            .next()
            .ok_or_else(|| HostError::Page("no CAPTCHA is shown".into()))
    }
}

#[derive(Default)]
struct Log(Vec<(String, Option<StepOutcome>, Option<String>)>);

#[async_trait::async_trait]
impl StepLog for Log {
    async fn started(&mut self, name: &str) -> i64 {
        self.0.push((name.to_owned(), None, None));
        i64::try_from(self.0.len() - 1).unwrap()
    }
    async fn finished(&mut self, handle: i64, end: StepEnd<'_>) {
        let s = &mut self.0[usize::try_from(handle).unwrap()];
        s.1 = Some(end.outcome);
        s.2 = end.detail.map(str::to_owned);
    }
}

struct Env {
    url: String,
    mail: Mail,
    http: reqwest::Client,
}

async fn sandbox() -> Env {
    let (smtp, mail) = smtp_sink::smtp_sink().await;
    let url = Sandbox::spawn_local(&smtp).await.unwrap();
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{url}/__sandbox/users"))
        .json(&serde_json::json!({"username": "brand", "password": "pw-1-correct", "email": "brand@inbox.test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    Env { url, mail, http }
}

async fn run(env: &Env, profile: &std::path::Path, password: &str) -> (FlowEnd, Log) {
    let (end, log, _) = run_asking(env, profile, password).await;
    (end, log)
}

/// A login run; also what it asked a person.
async fn run_asking(
    env: &Env,
    profile: &std::path::Path,
    password: &str,
) -> (FlowEnd, Log, Vec<(String, Vec<u8>)>) {
    let recipe = orthrus_automation::builtin_recipe("sandbox")
        .unwrap()
        .unwrap();
    let browser = Browser::launch(&options_for(&env.url), profile)
        .await
        .unwrap();
    let host = TestHost {
        url: env.url.clone(),
        password: password.into(),
        mail: Arc::clone(&env.mail),
        seen: env.mail.lock().unwrap().len(),
        asked: Mutex::default(),
    };
    let mut log = Log::default();
    let end = run_flow(browser.driver().unwrap(), &recipe, "login", &host, &mut log).await;
    browser.quit().await;
    let asked = host.asked.into_inner().unwrap();
    (end, log, asked)
}

#[test]
fn the_builtin_recipes_parse() {
    for (app, _) in orthrus_automation::BUILTIN_RECIPES {
        let r = orthrus_automation::builtin_recipe(app).unwrap();
        assert!(r.is_ok(), "{app}: {r:?}");
    }
}

#[tokio::test]
async fn login_passes_the_emailed_challenge_and_the_profile_is_then_known() {
    let env = sandbox().await;
    let profile = tempfile::tempdir().unwrap();
    let (end, log) = run(&env, profile.path(), "pw-1-correct").await;
    assert_eq!(end, FlowEnd::Done, "{:?}", log.0);
    let names: Vec<&str> = log.0.iter().map(|s| s.0.as_str()).collect();
    assert!(
        names.contains(&"type the code from the shared inbox")
            && names.last() == Some(&"signed in"),
        "{names:?}"
    );
    assert!(
        log.0.iter().all(|s| s.1 == Some(StepOutcome::Ok)),
        "{:?}",
        log.0
    );
    // Nothing secret in the log: templates, not values.
    let code_mail = env.mail.lock().unwrap().last().cloned().unwrap();
    let details = format!("{:?}", log.0);
    assert!(!details.contains("pw-1-correct"), "{details}");
    assert!(details.contains("typed {password}"));
    let at = code_mail.find("identity:").unwrap();
    let code: String = code_mail[at..]
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    assert!(!details.contains(&code));
    // The same profile again: the sandbox knows the device, no challenge.
    let mails = env.mail.lock().unwrap().len();
    let (end, log) = run(&env, profile.path(), "pw-1-correct").await;
    assert_eq!(end, FlowEnd::Done, "{:?}", log.0);
    assert!(
        !log.0.iter().any(|s| s.0.contains("security code")),
        "{:?}",
        log.0
    );
    assert_eq!(
        env.mail.lock().unwrap().len(),
        mails,
        "no new code was needed"
    );
}

#[tokio::test]
async fn a_wrong_password_fails_and_a_captcha_is_solved_by_a_person() {
    let env = sandbox().await;
    let profile = tempfile::tempdir().unwrap();
    let (end, log) = run(&env, profile.path(), "not-the-password").await;
    assert!(
        matches!(&end, FlowEnd::Failed(m) if m.contains("refused the sign-in")),
        "{end:?}"
    );
    assert_eq!(log.0.last().unwrap().1, Some(StepOutcome::Failed));
    let r = env
        .http
        .post(format!("{}/__sandbox/config", env.url))
        .json(&serde_json::json!({"captcha": true}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let (end, log, asked) = run_asking(&env, profile.path(), "pw-1-correct").await;
    assert_eq!(end, FlowEnd::Done, "{:?}", log.0);
    // Asked twice: the first answer was wrong and the app drew a new word.
    assert_eq!(asked.len(), 2, "{:?}", log.0);
    for (prompt, png) in &asked {
        assert!(prompt.contains("CAPTCHA"), "{prompt}");
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    }
    let names: Vec<&str> = log.0.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(
        names
            .iter()
            .filter(|n| **n == "ask a person to solve the CAPTCHA")
            .count(),
        2,
        "{names:?}"
    );
    assert_eq!(names.last(), Some(&"signed in"));
    // The answer is a value: the log has the template only.
    assert!(
        log.0
            .iter()
            .all(|s| !s.2.as_deref().unwrap_or("").contains("not-the-word")),
        "{:?}",
        log.0
    );
}

#[tokio::test]
async fn a_young_device_defers_turning_on_mfa_by_the_stated_wait() {
    let env = sandbox().await;
    let r = env
        .http
        .post(format!("{}/__sandbox/config", env.url))
        .json(&serde_json::json!({"challenge_unknown_devices": false, "min_device_age_secs": 3 * 86_400}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let recipe = orthrus_automation::builtin_recipe("sandbox")
        .unwrap()
        .unwrap();
    let profile = tempfile::tempdir().unwrap();
    let browser = Browser::launch(&options_for(&env.url), profile.path())
        .await
        .unwrap();
    let host = TestHost {
        url: env.url.clone(),
        password: "pw-1-correct".into(),
        mail: Arc::clone(&env.mail),
        seen: 0,
        asked: Mutex::default(),
    };
    let mut log = Log::default();
    let end = run_flow(
        browser.driver().unwrap(),
        &recipe,
        "enable_mfa",
        &host,
        &mut log,
    )
    .await;
    browser.quit().await;
    assert!(
        matches!(&end, FlowEnd::Deferred(m, Some(secs)) if m.contains("new devices") && *secs == 72 * 3600),
        "{end:?} {:?}",
        log.0
    );
    // The nested sign-in is one logged step that succeeded.
    assert_eq!(log.0[0].0, "sign in");
    assert_eq!(log.0[0].1, Some(StepOutcome::Ok));
}
