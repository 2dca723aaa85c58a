//! The sandbox's flows over HTTP, with its mail caught by a small SMTP
//! server and its texts by a webhook in this process. TOTP codes come from
//! `oathtool` (installed by `scripts/test`), independent of the sandbox's own
//! implementation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use orthrus_sandbox::{DkimKey, Sandbox, SandboxApp, SandboxConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

mod instagram;
/// Shared with orthrus-automation's tests, which include it by path.
mod smtp_sink;

use smtp_sink::{Inbox, smtp_sink};
/// Texts received: the JSON, the signature header, the raw body.
type Texts = Arc<Mutex<Vec<(Value, String, Vec<u8>)>>>;

/// Keeps each text posted to it with its signature header.
async fn sms_sink() -> (String, Texts) {
    let got: Texts = Arc::default();
    let keep = Arc::clone(&got);
    let app = axum::Router::new().route(
        "/sms",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let keep = Arc::clone(&keep);
                async move {
                    let sig = headers
                        .get("x-orthrus-signature")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    keep.lock().unwrap().push((
                        serde_json::from_slice(&body).unwrap(),
                        sig,
                        body.to_vec(),
                    ));
                    StatusCode::OK
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

struct Env {
    url: String,
    mail: Inbox,
    texts: Texts,
    http: reqwest::Client,
}

async fn start() -> Env {
    let (smtp, mail) = smtp_sink().await;
    let (sms, texts) = sms_sink().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let sandbox = Sandbox::new(SandboxConfig {
        app: SandboxApp::Sandbox,
        smtp,
        sms_webhook: Some(sms),
        sms_webhook_secret: Some("sms-secret".into()),
        public_url: url.clone(),
        mail_from: "Sandbox <security@mail.sandbox.test>".into(),
        sms_from: "32665".into(),
        dkim: Some(DkimKey::generate("sandbox.test", "s1").unwrap()),
    });
    tokio::spawn(async move { axum::serve(listener, sandbox.router()).await });
    Env::with_brand(url, mail, texts).await
}

impl Env {
    /// The sandbox at `url` with the user `brand` (password
    /// `old-password-1`, email `brand@inbox.test`) created.
    async fn with_brand(url: String, mail: Inbox, texts: Texts) -> Env {
        let env = Env {
            url,
            mail,
            texts,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        };
        let s = env.add_user(json!({"username": "brand", "password": "old-password-1", "email": "brand@inbox.test"})).await;
        assert_eq!(s, StatusCode::CREATED);
        env
    }
    /// Sets the app's knobs (`/__sandbox/config`); its answer.
    async fn configure(&self, config: Value) -> (StatusCode, Value) {
        self.control("/__sandbox/config", config).await
    }
    /// Adds a user (`/__sandbox/users`); the answer's status.
    async fn add_user(&self, user: Value) -> StatusCode {
        self.control("/__sandbox/users", user).await.0
    }
    /// The user `brand` is as [`Env::with_brand`] created it: its password,
    /// its email, no MFA.
    async fn assert_brand_as_created(&self) {
        let u = self.user().await;
        assert_eq!(
            (
                u["username"].as_str(),
                u["password"].as_str(),
                u["email"].as_str(),
                u["mfa"].as_bool()
            ),
            (
                Some("brand"),
                Some("old-password-1"),
                Some("brand@inbox.test"),
                Some(false)
            )
        );
    }
    async fn control(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        let s = r.status();
        (s, r.json().await.unwrap_or(Value::Null))
    }
    async fn user(&self) -> Value {
        self.http
            .get(format!("{}/__sandbox/users/brand", self.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
    /// Challenges off, and a browser signed in as `brand` (on the home page).
    async fn signed_in(&self) -> Browser {
        self.configure(json!({"challenge_unknown_devices": false}))
            .await;
        let mut b = self.browser();
        assert_eq!(b.login("old-password-1").await, "/");
        b
    }
    fn browser(&self) -> Browser {
        Browser {
            base: self.url.clone(),
            http: self.http.clone(),
            cookies: HashMap::new(),
        }
    }
    fn last_mail(&self) -> String {
        self.mail
            .lock()
            .unwrap()
            .last()
            .cloned()
            .unwrap_or_default()
    }
}

/// A browser: cookies kept, redirects reported (not followed).
struct Browser {
    base: String,
    http: reqwest::Client,
    cookies: HashMap<String, String>,
}

impl Browser {
    async fn request(
        &mut self,
        method: reqwest::Method,
        path: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, String, String) {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        };
        let mut req = self.http.request(method.clone(), url);
        if !self.cookies.is_empty() {
            let c: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            req = req.header("Cookie", c.join("; "));
        }
        if method == reqwest::Method::POST {
            req = req.form(form);
        }
        let r = req.send().await.unwrap();
        for v in r.headers().get_all("set-cookie") {
            let v = v.to_str().unwrap();
            let (kv, _) = v.split_once(';').unwrap_or((v, ""));
            let (k, val) = kv.split_once('=').unwrap();
            if val.is_empty() {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), val.to_owned());
            }
        }
        let status = r.status();
        let location = r
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, location, r.text().await.unwrap())
    }
    async fn get(&mut self, path: &str) -> (StatusCode, String, String) {
        self.request(reqwest::Method::GET, path, &[]).await
    }
    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> (StatusCode, String, String) {
        self.request(reqwest::Method::POST, path, form).await
    }
    /// Signs `brand` in with `password` on the form at `path`, which must
    /// answer `status`: where the app sent the browser.
    async fn sign_in(&mut self, path: &str, password: &str, status: StatusCode) -> String {
        let (s, to, body) = self
            .post(path, &[("username", "brand"), ("password", password)])
            .await;
        assert_eq!(s, status, "{body}");
        to
    }
    /// Signs in; returns where the sandbox sent the browser.
    async fn login(&mut self, password: &str) -> String {
        self.sign_in("/accounts/login", password, StatusCode::SEE_OTHER)
            .await
    }
    /// Answers the sign-in's two-factor step with `code` in the form field
    /// `field` (each app names it its own way): where the app sent the
    /// browser, and the page.
    async fn two_factor_in(&mut self, field: &str, code: &str) -> (String, String) {
        let (_, to, page) = self
            .post("/accounts/login/two_factor", &[(field, code)])
            .await;
        (to, page)
    }
    /// Answers the sandbox's two-factor step with `code`.
    async fn two_factor(&mut self, code: &str) -> (String, String) {
        self.two_factor_in("verification_code", code).await
    }
}

fn six_digits_after(text: &str, marker: &str) -> String {
    let rest = &text[text
        .find(marker)
        .unwrap_or_else(|| panic!("{marker:?} not in {text}"))
        + marker.len()..];
    rest.chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect()
}

fn oathtool(key: &str, offset: &str) -> String {
    let out = std::process::Command::new("oathtool")
        .args(["--totp", "-b", "-N", offset, key])
        .output()
        .expect("oathtool (scripts/test installs it)");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[tokio::test]
async fn an_unknown_device_must_pass_the_emailed_security_code() {
    let env = start().await;
    let mut b = env.browser();
    let (s, _, body) = b
        .post(
            "/accounts/login",
            &[("username", "brand"), ("password", "wrong")],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("your password was incorrect"));
    assert_eq!(b.login("old-password-1").await, "/challenge");
    let (_, _, body) = b.get("/challenge").await;
    assert!(body.contains("id=\"suspicious-login\"") && body.contains("b***@inbox.test"));
    // Settings are out of reach until the challenge is passed.
    assert_eq!(b.get("/accounts/password/change").await.1, "/challenge");
    let (_, _, body) = b.post("/challenge/send", &[]).await;
    assert!(body.contains("id=\"challenge-sent\""));
    let mail = env.last_mail();
    assert!(
        mail.contains("To: brand@inbox.test") && mail.contains("Subject: Verify your account"),
        "{mail}"
    );
    let code = six_digits_after(&mail, "confirm your identity:");
    assert_eq!(code.len(), 6, "{mail}");
    // Signed like a real app's mail (checked for real end to end).
    assert!(
        mail.starts_with("DKIM-Signature:")
            && mail.contains("d=sandbox.test")
            && mail.contains("s=s1"),
        "{mail}"
    );
    let (_, _, body) = b
        .post("/challenge/verify", &[("security_code", "000000")])
        .await;
    assert!(body.contains("Please check the code"));
    let (_, to, _) = b
        .post("/challenge/verify", &[("security_code", &code)])
        .await;
    assert_eq!(to, "/");
    let (_, _, home) = b.get("/").await;
    assert!(home.contains("id=\"home-username\">brand<"));
    // The device is known now: the next sign-in goes straight in.
    b.post("/accounts/logout", &[]).await;
    assert_eq!(b.login("old-password-1").await, "/");
    // Another browser (a new device) is challenged again.
    assert_eq!(env.browser().login("old-password-1").await, "/challenge");
}

#[tokio::test]
async fn authenticator_setup_recovery_codes_and_no_code_reuse() {
    let env = start().await;
    let mut b = env.signed_in().await;
    let (_, _, qr) = b.get("/accounts/two_factor_authentication/app").await;
    assert!(
        qr.contains("id=\"totp-qr\"") && qr.contains("<svg") && !qr.contains("id=\"totp-secret\"")
    );
    let (_, _, manual) = b
        .get("/accounts/two_factor_authentication/app?manual=1")
        .await;
    let key_start = manual.find("id=\"totp-secret\">").unwrap() + "id=\"totp-secret\">".len();
    let key: String = manual[key_start..manual[key_start..].find('<').unwrap() + key_start]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    assert_eq!(key.len(), 32, "{key}");
    let (_, _, body) = b
        .post(
            "/accounts/two_factor_authentication/app",
            &[("code", "123456x")],
        )
        .await;
    assert!(body.contains("That code isn&#39;t valid"));
    let now_code = oathtool(&key, "now");
    let (_, _, done) = b
        .post(
            "/accounts/two_factor_authentication/app",
            &[("code", &now_code)],
        )
        .await;
    assert!(done.contains("id=\"recovery-codes\""), "{done}");
    let recovery: Vec<String> = done
        .split("<li>")
        .skip(1)
        .map(|s| s[..s.find('<').unwrap()].to_owned())
        .collect();
    assert_eq!(recovery.len(), 5);
    assert!(recovery.iter().all(|c| c.len() == 9), "{recovery:?}");
    let u = env.user().await;
    assert_eq!(
        (u["mfa"].as_bool(), u["recovery_codes_left"].as_u64()),
        (Some(true), Some(5))
    );

    // Sign in again: the code used to set up cannot be used again.
    b.post("/accounts/logout", &[]).await;
    assert_eq!(
        b.login("old-password-1").await,
        "/accounts/login/two_factor"
    );
    let (_, _, page) = b.get("/accounts/login/two_factor").await;
    assert!(page.contains("authentication app"));
    let (_, body) = b.two_factor(&now_code).await;
    assert!(body.contains("already used"), "{body}");
    // The next step's code works once.
    let next = oathtool(&key, "now + 30 seconds");
    let (to, _) = b.two_factor(&next).await;
    assert_eq!(to, "/");
    b.post("/accounts/logout", &[]).await;
    b.login("old-password-1").await;
    let (_, body) = b.two_factor(&next).await;
    assert!(body.contains("already used"));
    // A backup code works once.
    let (to, _) = b.two_factor(&recovery[0]).await;
    assert_eq!(to, "/");
    assert_eq!(env.user().await["recovery_codes_left"], 4);
    b.post("/accounts/logout", &[]).await;
    b.login("old-password-1").await;
    let (_, body) = b.two_factor(&recovery[0]).await;
    assert!(body.contains("isn&#39;t valid"));
}

#[tokio::test]
async fn text_message_mfa_goes_through_the_signed_webhook() {
    use hmac::{Hmac, Mac};
    let env = start().await;
    let mut b = env.signed_in().await;
    let (_, _, body) = b
        .post(
            "/accounts/two_factor_authentication/sms",
            &[("phone", "415 555")],
        )
        .await;
    assert!(body.contains("country code"));
    b.post(
        "/accounts/two_factor_authentication/sms",
        &[("phone", "+1 415 555 0123")],
    )
    .await;
    let (text, sig, raw) = env.texts.lock().unwrap().last().cloned().unwrap();
    assert_eq!(
        (text["to"].as_str(), text["from"].as_str()),
        (Some("+14155550123"), Some("32665"))
    );
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"sms-secret").unwrap();
    mac.update(&raw);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(sig, format!("sha256={expected}"));
    let code = six_digits_after(text["body"].as_str().unwrap(), "");
    let (_, _, body) = b
        .post(
            "/accounts/two_factor_authentication/sms",
            &[("code", &code)],
        )
        .await;
    assert!(body.contains("id=\"sms-on\""));
    // Signing in now texts a code.
    b.post("/accounts/logout", &[]).await;
    assert_eq!(
        b.login("old-password-1").await,
        "/accounts/login/two_factor"
    );
    let (_, _, page) = b.get("/accounts/login/two_factor").await;
    assert!(page.contains("sent to your phone"));
    let (text, _, _) = env.texts.lock().unwrap().last().cloned().unwrap();
    let code = six_digits_after(text["body"].as_str().unwrap(), "");
    let (to, _) = b.two_factor(&code).await;
    assert_eq!(to, "/");
}

#[tokio::test]
async fn young_devices_cannot_open_security_settings() {
    let env = start().await;
    env.configure(json!({"challenge_unknown_devices": false, "min_device_age_secs": 3 * 86400}))
        .await;
    let mut b = env.browser();
    b.login("old-password-1").await;
    for path in [
        "/accounts/two_factor_authentication",
        "/accounts/password/change",
        "/accounts/email/change",
    ] {
        let (_, _, body) = b.get(path).await;
        assert!(
            body.contains("can't access certain settings for a few days"),
            "{path}"
        );
        assert!(body.contains("Try again in 72 hours"), "{body}");
    }
    let (s, _) = env
        .control(
            "/__sandbox/users/brand/age-devices",
            json!({"secs": 3 * 86400}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, _, body) = b.get("/accounts/two_factor_authentication").await;
    assert!(body.contains("id=\"mfa-app-status\">Authentication app: Off"));
}

/// The password changes every app refuses, typed into its form's `fields`
/// (old, new, new again), each with what the app says about it: a wrong old
/// password, new ones that differ, one too short and one used before.
pub(crate) fn refused_password_changes(
    fields: [&'static str; 3],
    says: [&'static str; 4],
) -> Vec<(Vec<(&'static str, &'static str)>, &'static str)> {
    let tries = [
        ["nope", "new-password-2", "new-password-2"],
        ["old-password-1", "new-password-2", "other"],
        ["old-password-1", "short", "short"],
        ["old-password-1", "old-password-1", "old-password-1"],
    ];
    tries
        .into_iter()
        .zip(says)
        .map(|(typed, said)| (password_form(fields, typed), said))
        .collect()
}

/// The sandbox's password form's fields: old, new, new again.
const CHANGE_FIELDS: [&str; 3] = ["old_password", "new_password", "confirm_password"];

/// A password form with `typed` (old, new, new again) in its `fields`.
pub(crate) fn password_form(
    fields: [&'static str; 3],
    typed: [&'static str; 3],
) -> Vec<(&'static str, &'static str)> {
    fields.into_iter().zip(typed).collect()
}

#[tokio::test]
async fn password_and_email_changes() {
    let env = start().await;
    let mut b = env.signed_in().await;
    for (form, problem) in refused_password_changes(
        CHANGE_FIELDS,
        [
            "old password was entered incorrectly",
            "both passwords match",
            "at least 8 characters",
            "haven&#39;t used before",
        ],
    ) {
        let (_, _, body) = b.post("/accounts/password/change", &form).await;
        assert!(body.contains(problem), "{problem}: {body}");
    }
    // An app's length limit (a policy that refuses what a manager made):
    // one character too many is refused, the limit itself is taken.
    env.configure(json!({"challenge_unknown_devices": false, "max_password_len": 14}))
        .await;
    let (_, _, body) = b
        .post(
            "/accounts/password/change",
            &password_form(
                CHANGE_FIELDS,
                ["old-password-1", "new-password-23", "new-password-23"],
            ),
        )
        .await;
    assert!(body.contains("id=\"error\""), "{body}");
    assert!(body.contains("too long"), "{body}");
    assert_eq!(env.user().await["password"], "old-password-1");
    let (_, _, body) = b
        .post(
            "/accounts/password/change",
            &password_form(
                CHANGE_FIELDS,
                ["old-password-1", "new-password-2", "new-password-2"],
            ),
        )
        .await;
    assert!(body.contains("id=\"password-changed\""));
    assert_eq!(env.user().await["password"], "new-password-2");

    let (_, _, body) = b
        .post("/accounts/email/change", &[("email", "not-an-email")])
        .await;
    assert!(body.contains("valid email"));
    let (_, _, body) = b
        .post(
            "/accounts/email/change",
            &[("email", "brand-x7k2@inbox.test")],
        )
        .await;
    assert!(body.contains("id=\"email-sent\""));
    // Quoted-printable, as the long link line makes it: undo the soft line
    // breaks and the escaped '='.
    let mail = env.last_mail().replace("=\r\n", "").replace("=3D", "=");
    assert!(mail.contains("To: brand-x7k2@inbox.test"), "{mail}");
    let start = mail.find("http://").unwrap();
    let link: String = mail[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    assert!(link.contains("/accounts/email/confirm?token="), "{link}");
    // Not changed until the link is opened; the link works once.
    assert_eq!(env.user().await["email"], "brand@inbox.test");
    let (_, _, body) = env.browser().get(&link).await;
    assert!(
        body.contains("id=\"email-confirmed\""),
        "{link} {mail} {body}"
    );
    assert_eq!(env.user().await["email"], "brand-x7k2@inbox.test");
    let (_, _, body) = env.browser().get(&link).await;
    assert!(body.contains("id=\"email-link-invalid\""));
}

/// The word the captcha page draws, one `<text>` element a letter.
fn captcha_word(page: &str) -> String {
    page.split("<text ")
        .skip(1)
        .filter_map(|t| {
            t.split_once('>')
                .map(|(_, rest)| rest.chars().next().unwrap())
        })
        .collect()
}

#[tokio::test]
async fn a_captcha_comes_first_when_configured() {
    let env = start().await;
    env.configure(json!({"captcha": true, "challenge_unknown_devices": false}))
        .await;
    let mut b = env.browser();
    assert_eq!(b.login("old-password-1").await, "/challenge/captcha");
    let (_, _, page) = b.get("/challenge/captcha").await;
    let word = captcha_word(&page);
    assert_eq!(word.len(), 6, "{page}");
    let (_, _, body) = b.post("/challenge/captcha", &[("answer", "wrong")]).await;
    assert!(body.contains("wasn&#39;t right"));
    // A new word after a wrong answer.
    let word = captcha_word(&body);
    let (_, to, _) = b
        .post("/challenge/captcha", &[("answer", &word.to_uppercase())])
        .await;
    assert_eq!(to, "/");
}

#[tokio::test]
async fn test_control_validates_and_resets() {
    let env = start().await;
    let s = env
        .add_user(json!({"username": "brand", "password": "p", "email": "a@b.test"}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let s = env
        .add_user(json!({"username": "", "password": "p", "email": "a@b.test"}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = env.configure(json!({"captcha": "yes"})).await;
    assert!(s.is_client_error());
    env.assert_brand_as_created().await;
    let (s, _) = env.control("/__sandbox/reset", json!({})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let r = env
        .http
        .get(format!("{}/__sandbox/users/brand", env.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

/// Runs the sandbox binary with `args` (after `serve`, on loopback ports),
/// loads `page` and asserts it answers 200 with `says` in it; then a SIGTERM
/// stops the binary cleanly.
async fn binary_serves(args: &[&str], page: &str, says: &str) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_orthrus-sandbox"))
        .arg("serve")
        .args(args)
        .args(["--http", "127.0.0.1:0", "--smtp", "127.0.0.1:9"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("Sandbox is running at ")
        .unwrap()
        .to_owned();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let page = reqwest::get(format!("{url}{page}")).await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains(says));
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
}

#[tokio::test]
async fn the_binary_serves_and_stops_on_sigterm() {
    binary_serves(&[], "/accounts/login", "id=\"login-form\"").await;
}

#[tokio::test]
async fn the_binary_serves_the_replica() {
    binary_serves(
        &["--app", "instagram"],
        "/accounts/login/",
        "<form id=\"loginForm\" method=\"post\">",
    )
    .await;
}
