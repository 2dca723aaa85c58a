//! The Instagram replica (`serve --app instagram`, `LocalOptions { app:
//! SandboxApp::Instagram, .. }`), walked through as a person would: the
//! hooks a recipe holds on to (`name`, `aria-label`, `role`, the words on
//! buttons and headings), its mail caught by the SMTP sink, authenticator
//! codes from the crate's own TOTP.

use super::{
    Browser, Env, password_form, refused_password_changes, six_digits_after, sms_sink, smtp_sink,
};
use orthrus_sandbox::{DkimKey, LocalOptions, Sandbox, SandboxApp, totp};
use reqwest::StatusCode;
use serde_json::json;
use std::collections::HashMap;

/// An Instagram replica with the user `brand` (password
/// `old-password-1`, email `brand@inbox.test`).
async fn start() -> Env {
    let (smtp, mail) = smtp_sink().await;
    let (sms, texts) = sms_sink().await;
    let url = Sandbox::spawn_with(LocalOptions {
        app: SandboxApp::Instagram,
        smtp,
        sms_webhook: Some(sms),
        sms_webhook_secret: Some("sms-secret".into()),
        dkim: Some(DkimKey::generate("mail.instagram.com", "s1").unwrap()),
        link_host: None,
    })
    .await
    .unwrap();
    Env::with_brand(url, mail, texts).await
}

/// Instagram's password form's fields: old, new, new again.
const IG_CHANGE_FIELDS: [&str; 3] = ["cppOldPassword", "cppNewPassword", "cppConfirmPassword"];

fn alert(text: &str) -> String {
    format!("<div role=\"alert\">{text}</div>")
}

fn button(words: &str) -> String {
    format!("<button type=\"submit\"><div>{words}</div></button>")
}

impl Browser {
    /// Signs in to the replica; returns where it sent the browser.
    async fn ig_login(&mut self, password: &str) -> String {
        self.sign_in("/accounts/login/", password, StatusCode::FOUND)
            .await
    }

    /// Answers the sign-in's two-factor step with `code`, in Instagram's
    /// field.
    async fn ig_two_factor(&mut self, code: &str) -> (String, String) {
        self.two_factor_in("verificationCode", code).await
    }

    /// "Not now" on "Save your login info?"; then home.
    async fn not_now(&mut self) {
        let (_, _, page) = self.get("/accounts/onetap/?next=%2F").await;
        assert!(page.contains("<h2>Save your login info?</h2>"), "{page}");
        assert_eq!(
            self.post("/accounts/onetap/?next=%2F", &[]).await.1,
            "/",
            "Not now"
        );
    }
}

impl Env {
    /// Challenges off, and a browser signed in as `brand`, at home.
    async fn ig_signed_in(&self) -> Browser {
        self.configure(json!({"challenge_unknown_devices": false}))
            .await;
        let mut b = self.browser();
        assert_eq!(
            b.ig_login("old-password-1").await,
            "/accounts/onetap/?next=%2F"
        );
        b.not_now().await;
        b
    }
}

/// The authenticator's code for `offset` steps from now.
fn code(key: &[u8], offset: u64) -> String {
    #[allow(clippy::disallowed_methods)]
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    totp::code_at(key, now / totp::PERIOD + offset)
}

/// The text of the first element that opens with `opening`.
fn inner<'a>(page: &'a str, opening: &str) -> &'a str {
    let start = page
        .find(opening)
        .unwrap_or_else(|| panic!("{opening} not in {page}"))
        + opening.len();
    &page[start..start + page[start..].find('<').unwrap()]
}

#[tokio::test]
async fn the_app_is_chosen_by_its_recipe_key() {
    assert_eq!(
        SandboxApp::from_key("instagram"),
        Some(SandboxApp::Instagram)
    );
    assert_eq!(SandboxApp::from_key("sandbox"), Some(SandboxApp::Sandbox));
    assert_eq!(SandboxApp::from_key("tiktok"), None);
    assert_eq!(SandboxApp::default(), SandboxApp::Sandbox);
    for app in SandboxApp::ALL {
        assert_eq!(SandboxApp::from_key(app.key()), Some(app));
    }
    assert_eq!(SandboxApp::Sandbox.login_path(), "/accounts/login");
    assert_eq!(SandboxApp::Instagram.login_path(), "/accounts/login/");
    assert_eq!(
        SandboxApp::Instagram.mail_from(),
        "Instagram <security@mail.instagram.com>"
    );
}

#[tokio::test]
async fn sign_in_through_the_emailed_challenge_then_save_login_info_then_home() {
    let env = start().await;
    let mut b = env.browser();
    // Signed out, home sends the browser to the sign-in page.
    let (s, to, _) = b.get("/").await;
    assert_eq!((s, to.as_str()), (StatusCode::FOUND, "/accounts/login/"));
    for path in ["/accounts/login", "/accounts/login/"] {
        let (s, _, page) = b.get(path).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        for hook in [
            "<html lang=\"en\">",
            "<title>Instagram</title>",
            "<header><a href=\"/\" aria-label=\"Instagram\">Instagram</a></header>",
            "<form id=\"loginForm\" method=\"post\">",
            "<input name=\"username\" type=\"text\" aria-label=\"Phone number, username, or email\" autocomplete=\"username\"",
            "<input name=\"password\" type=\"password\" aria-label=\"Password\" autocomplete=\"current-password\"",
            &button("Log in"),
        ] {
            assert!(page.contains(hook), "{hook} not in {path}: {page}");
        }
        // No hook a recipe could lean on that Instagram does not keep.
        assert_eq!(page.matches(" id=").count(), 1, "{page}");
        assert!(!page.contains("class="), "{page}");
    }
    let (s, _, page) = b
        .post(
            "/accounts/login/",
            &[("username", "brand"), ("password", "wrong")],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains(&alert(
            "Sorry, your password was incorrect. Please double-check your password."
        )),
        "{page}"
    );
    let (_, _, page) = b
        .post(
            "/accounts/login",
            &[("username", "nobody"), ("password", "wrong")],
        )
        .await;
    assert!(page.contains(&alert("The username you entered doesn't belong to an account. Please check your username and try again.")), "{page}");

    assert_eq!(b.ig_login("old-password-1").await, "/challenge/");
    assert_eq!(b.get("/").await.1, "/challenge/");
    let (_, _, page) = b.get("/challenge").await;
    for hook in [
        "<h2>Suspicious Login Attempt</h2>".to_owned(),
        "<p>We detected an unusual login attempt. To secure your account, we'll send you a security code to verify your identity.</p>".to_owned(),
        "<label><input type=\"radio\" name=\"choice\" value=\"1\" checked> Email: b***@i****.test</label>".to_owned(),
        button("Send Security Code"),
    ] {
        assert!(page.contains(&hook), "{hook} not in {page}");
    }
    let (_, _, page) = b.post("/challenge/", &[("choice", "1")]).await;
    for hook in [
        "<h2>Enter Your Security Code</h2>".to_owned(),
        "<p>Enter the 6-digit code we sent to b***@i****.test</p>".to_owned(),
        "<input name=\"security_code\" type=\"text\" aria-label=\"Security code\" inputmode=\"numeric\" autocomplete=\"one-time-code\">".to_owned(),
        button("Submit"),
        ">Get a new one</a>".to_owned(),
    ] {
        assert!(page.contains(&hook), "{hook} not in {page}");
    }
    let mail = env.last_mail();
    for header in [
        "From: Instagram <security@mail.instagram.com>",
        "To: brand@inbox.test",
        "Subject: Verify your account",
    ] {
        assert!(mail.contains(header), "{header} not in {mail}");
    }
    assert!(
        mail.starts_with("DKIM-Signature:") && mail.contains("d=mail.instagram.com"),
        "{mail}"
    );
    assert!(
        mail.contains("Hi brand,") && mail.contains("We detected an unusual login attempt"),
        "{mail}"
    );
    let first = six_digits_after(&mail, "enter this security code to verify your identity:");
    assert!(
        mail.contains(&format!("\r\n\r\n{first}\r\n\r\n")),
        "the code on its own line: {mail}"
    );
    let (_, _, page) = b.post("/challenge/", &[("security_code", "000000")]).await;
    assert!(
        page.contains(&alert("Please check the code we sent you and try again.")),
        "{page}"
    );
    let (s, to, _) = b.post("/challenge/", &[("security_code", &first)]).await;
    assert_eq!(
        (s, to.as_str()),
        (StatusCode::FOUND, "/accounts/onetap/?next=%2F")
    );
    let (_, _, page) = b.get("/accounts/onetap/").await;
    for hook in [
        "<p>We can save your login info on this browser so you don't need to enter it again.</p>"
            .to_owned(),
        button("Save info"),
        button("Not now"),
    ] {
        assert!(page.contains(&hook), "{hook} not in {page}");
    }
    let (_, to, _) = b.post("/accounts/onetap/?next=%2F", &[("save", "1")]).await;
    assert_eq!(to, "/");
    let (s, _, home) = b.get("/").await;
    assert_eq!(s, StatusCode::OK);
    for hook in [
        "<nav aria-label=\"Primary\"><a href=\"/\" aria-label=\"Home\">Home</a> <a href=\"/brand/\" aria-label=\"Profile\">Profile</a></nav>".to_owned(),
        "<main><h1>brand</h1>".to_owned(),
        format!("<form method=\"post\" action=\"/accounts/logout/\">{}</form>", button("Log out")),
    ] {
        assert!(home.contains(&hook), "{hook} not in {home}");
    }
    // Signed in, the sign-in page sends the browser home.
    assert_eq!(b.get("/accounts/login/").await.1, "/");
    let (s, _, profile) = b.get("/brand/").await;
    assert!(s == StatusCode::OK && profile.contains("<h1>brand</h1>"));
    assert_eq!(b.get("/nobody").await.0, StatusCode::NOT_FOUND);

    // A new device: the code used above is refused, a new one works once.
    let mut other = env.browser();
    assert_eq!(other.ig_login("old-password-1").await, "/challenge/");
    other.post("/challenge", &[("choice", "1")]).await;
    let (_, _, page) = other
        .post("/challenge/", &[("security_code", &first)])
        .await;
    assert!(
        page.contains(&alert("Please check the code we sent you and try again.")),
        "{page}"
    );
    // "Get a new one" goes back to the choice; the code sent before is dead.
    let sent = six_digits_after(
        &env.last_mail(),
        "enter this security code to verify your identity:",
    );
    assert_eq!(other.get("/challenge/replay/").await.1, "/challenge/");
    let (_, _, page) = other.post("/challenge/", &[("security_code", &sent)]).await;
    assert!(
        !page.contains("role=\"alert\""),
        "no code is expected: {page}"
    );
    assert!(page.contains("<h2>Suspicious Login Attempt</h2>"), "{page}");
    other.post("/challenge/", &[("choice", "1")]).await;
    let second = six_digits_after(
        &env.last_mail(),
        "enter this security code to verify your identity:",
    );
    assert_eq!(
        other
            .post("/challenge/", &[("security_code", &second)])
            .await
            .1,
        "/accounts/onetap/?next=%2F"
    );

    // Sign out, then the device is known: no challenge.
    let (s, to, _) = b.post("/accounts/logout/", &[]).await;
    assert_eq!((s, to.as_str()), (StatusCode::FOUND, "/accounts/login/"));
    assert_eq!(b.get("/").await.1, "/accounts/login/");
    assert_eq!(
        b.ig_login("old-password-1").await,
        "/accounts/onetap/?next=%2F"
    );
}

#[tokio::test]
async fn authenticator_by_the_key_then_recovery_codes_and_no_code_twice() {
    let env = start().await;
    let mut b = env.ig_signed_in().await;
    let (_, _, page) = b.get("/accounts/two_factor_authentication").await;
    assert!(
        page.contains("<h2>Two-factor authentication</h2><p>Two-factor authentication is off.</p>")
            && page.contains("<a href=\"/accounts/two_factor_authentication/app/\" role=\"button\">Authentication app</a>"),
        "{page}"
    );
    let (_, _, qr) = b.get("/accounts/two_factor_authentication/app/").await;
    for hook in [
        "<h2>Set up two-factor authentication</h2>",
        "<p>Scan this QR code with your authentication app.</p>",
        "<svg role=\"img\" aria-label=\"QR code\"",
        ">Set up another way</a>",
        "<input name=\"verificationCode\" type=\"text\" aria-label=\"Enter confirmation code\" inputmode=\"numeric\"",
    ] {
        assert!(qr.contains(hook), "{hook} not in {qr}");
    }
    assert!(!qr.contains("aria-label=\"Key\"") && !qr.contains("<?xml"));
    let (_, _, manual) = b
        .get("/accounts/two_factor_authentication/app/?method=manual")
        .await;
    assert!(
        manual.contains("<p>Copy this key and paste it into your authentication app.</p>")
            && manual.contains("<button type=\"button\"><div>Copy key</div></button>")
            && !manual.contains("aria-label=\"QR code\""),
        "{manual}"
    );
    let shown = inner(&manual, "<span aria-label=\"Key\">");
    assert!(
        shown.split(' ').all(|g| g.len() == 4) && shown.split(' ').count() == 8,
        "{shown}"
    );
    let key = totp::parse_key(shown).unwrap();
    let (_, _, page) = b
        .post(
            "/accounts/two_factor_authentication/app/?method=manual",
            &[("verificationCode", "123456x")],
        )
        .await;
    assert!(
        page.contains(&alert("That code didn't work. Please try again."))
            && page.contains("aria-label=\"Key\""),
        "{page}"
    );
    let set_up_with = code(&key, 0);
    let (s, to, _) = b
        .post(
            "/accounts/two_factor_authentication/app/?method=manual",
            &[("verificationCode", &set_up_with)],
        )
        .await;
    assert_eq!(
        (s, to.as_str()),
        (
            StatusCode::FOUND,
            "/accounts/two_factor_authentication/app/done/"
        )
    );
    let (_, _, done) = b.get("/accounts/two_factor_authentication/app/done/").await;
    assert!(
        done.contains("<h2>Two-factor authentication is on</h2><p>Save your recovery codes. You can use them to log in if you lose access to your authentication app.</p>"),
        "{done}"
    );
    let list = &done[done.find("<ul aria-label=\"Recovery codes\">").unwrap()..];
    let recovery: Vec<String> = list[..list.find("</ul>").unwrap()]
        .split("<li>")
        .skip(1)
        .map(|c| c[..c.find('<').unwrap()].to_owned())
        .collect();
    assert_eq!(recovery.len(), 5);
    assert!(
        recovery.iter().all(|c| c.len() == 9
            && c.as_bytes()[4] == b' '
            && c.chars().filter(char::is_ascii_digit).count() == 8),
        "{recovery:?}"
    );
    assert!(done.contains(&button("Done")));
    assert_eq!(
        b.post("/accounts/two_factor_authentication/app/done/", &[])
            .await
            .1,
        "/"
    );
    // Shown once.
    assert_eq!(
        b.get("/accounts/two_factor_authentication/app/done")
            .await
            .1,
        "/accounts/two_factor_authentication/"
    );
    let (_, _, page) = b.get("/accounts/two_factor_authentication/app/").await;
    assert!(
        page.contains("<p>Two-factor authentication is on.</p>")
            && page.contains("<p>Authentication app: On</p>"),
        "{page}"
    );
    let u = env.user().await;
    assert_eq!(
        (u["mfa"].as_bool(), u["recovery_codes_left"].as_u64()),
        (Some(true), Some(5))
    );

    // Signing in now asks for the authenticator; the set-up's code is spent.
    b.post("/accounts/logout/", &[]).await;
    assert_eq!(
        b.ig_login("old-password-1").await,
        "/accounts/login/two_factor"
    );
    let (_, _, page) = b.get("/accounts/login/two_factor/").await;
    for hook in [
        "<h2>Two-factor authentication</h2>".to_owned(),
        "<p>Enter the 6-digit code generated by your authentication app.</p>".to_owned(),
        "<input name=\"verificationCode\" type=\"text\" aria-label=\"Security Code\" inputmode=\"numeric\" autocomplete=\"one-time-code\">".to_owned(),
        button("Confirm"),
        "<p>If you can't get a code, you can use one of your backup codes.</p>".to_owned(),
    ] {
        assert!(page.contains(&hook), "{hook} not in {page}");
    }
    let used = alert("This code was already used. Please wait for a new code and try again.");
    let (_, page) = b.ig_two_factor(&set_up_with).await;
    assert!(page.contains(&used), "{page}");
    let (_, page) = b.ig_two_factor("000000").await;
    assert!(
        page.contains(&alert("Please check the security code and try again.")),
        "{page}"
    );
    let next = code(&key, 1);
    let (to, _) = b.ig_two_factor(&next).await;
    assert_eq!(to, "/accounts/onetap/?next=%2F");
    b.not_now().await;
    b.post("/accounts/logout/", &[]).await;
    b.ig_login("old-password-1").await;
    let (_, page) = b.ig_two_factor(&next).await;
    assert!(page.contains(&used), "{page}");

    // A recovery code, typed as shown (with its space), works once.
    let (to, _) = b.ig_two_factor(&recovery[0]).await;
    assert_eq!(to, "/accounts/onetap/?next=%2F");
    assert_eq!(env.user().await["recovery_codes_left"], 4);
    b.post("/accounts/logout/", &[]).await;
    b.ig_login("old-password-1").await;
    let (_, page) = b.ig_two_factor(&recovery[0]).await;
    assert!(
        page.contains(&alert("Please check the security code and try again.")),
        "{page}"
    );
    // Without the space too.
    let (to, _) = b.ig_two_factor(&recovery[1].replace(' ', "")).await;
    assert_eq!(to, "/accounts/onetap/?next=%2F");
}

#[tokio::test]
async fn young_devices_wait_days_then_password_and_email_change() {
    let env = start().await;
    env.configure(json!({"challenge_unknown_devices": false, "min_device_age_secs": 3 * 86400}))
        .await;
    let mut b = env.browser();
    b.ig_login("old-password-1").await;
    let lock = "<h2>You can't access certain settings for a few days</h2><p>To help keep your account secure, some settings are unavailable for a few days after you log in on a new device. Try again in 3 days.</p>".to_owned();
    for path in [
        "/accounts/two_factor_authentication/",
        "/accounts/two_factor_authentication/app/",
        "/accounts/password/change/",
        "/accounts/edit/",
    ] {
        let (_, _, page) = b.get(path).await;
        assert!(page.contains(&lock), "{path}: {page}");
    }
    env.control(
        "/__sandbox/users/brand/age-devices",
        json!({"secs": 2 * 86400 + 12 * 3600}),
    )
    .await;
    let (_, _, page) = b.get("/accounts/edit").await;
    assert!(page.contains("Try again in 12 hours."), "{page}");
    env.control(
        "/__sandbox/users/brand/age-devices",
        json!({"secs": 12 * 3600}),
    )
    .await;

    let (_, _, page) = b.get("/accounts/password/change").await;
    for hook in [
        "<h2>Change password</h2>".to_owned(),
        "<input name=\"cppOldPassword\" type=\"password\" aria-label=\"Current password\""
            .to_owned(),
        "name=\"cppNewPassword\" type=\"password\" aria-label=\"New password\"".to_owned(),
        "name=\"cppConfirmPassword\" type=\"password\" aria-label=\"Re-type new password\""
            .to_owned(),
        button("Change password"),
    ] {
        assert!(page.contains(&hook), "{hook} not in {page}");
    }
    for (form, problem) in refused_password_changes(
        IG_CHANGE_FIELDS,
        [
            "Your old password was entered incorrectly. Please enter it again.",
            "Please make sure both passwords match.",
            "Your password must be at least 6 characters.",
            "Create a new password you haven't used before.",
        ],
    ) {
        let (_, _, page) = b.post("/accounts/password/change/", &form).await;
        assert!(page.contains(&alert(problem)), "{problem}: {page}");
    }
    let (_, _, page) = b
        .post(
            "/accounts/password/change/",
            &password_form(IG_CHANGE_FIELDS, ["old-password-1", "new-pw", "new-pw"]),
        )
        .await;
    assert!(
        page.contains("<div role=\"status\">Password changed.</div>")
            && page.contains("name=\"cppOldPassword\""),
        "{page}"
    );
    assert_eq!(env.user().await["password"], "new-pw");
    // Still signed in.
    assert_eq!(b.get("/").await.0, StatusCode::OK);

    let (_, _, page) = b.get("/accounts/edit/").await;
    assert!(
        page.contains("<h2>Edit profile</h2>")
            && page.contains(
                "<input name=\"email\" type=\"email\" aria-label=\"Email\" value=\"brand@inbox.test\""
            )
            && page.contains(&button("Submit")),
        "{page}"
    );
    let (_, _, page) = b
        .post("/accounts/edit/", &[("email", "not-an-email")])
        .await;
    assert!(page.contains("role=\"alert\""), "{page}");
    let (_, _, page) = b
        .post("/accounts/edit/", &[("email", "nova-x7k2@mail.test")])
        .await;
    assert!(
        page.contains("<div role=\"status\">We sent a confirmation email to n***@m***.test. Tap the link in that email to confirm your new address.</div>"),
        "{page}"
    );
    let mail = env.last_mail().replace("=\r\n", "").replace("=3D", "=");
    assert!(
        mail.contains("To: nova-x7k2@mail.test")
            && mail.contains("Subject: Confirm your email address for Instagram")
            && mail.contains("From: Instagram <security@mail.instagram.com>"),
        "{mail}"
    );
    let start = mail.find("http://").unwrap();
    let link: String = mail[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    let token = link
        .strip_prefix(&format!("{}/accounts/confirm_email/", env.url))
        .and_then(|t| t.strip_suffix('/'))
        .unwrap_or_else(|| panic!("{link}"));
    assert_eq!(token.len(), 32, "{link}");
    // Not changed until the link is opened; the link works once.
    assert_eq!(env.user().await["email"], "brand@inbox.test");
    let (_, _, page) = env.browser().get(&link).await;
    assert!(
        page.contains(
            &"<h2>Email confirmed</h2><p>Thanks! You've confirmed your email address.</p>"
                .to_owned()
        ),
        "{page}"
    );
    assert_eq!(env.user().await["email"], "nova-x7k2@mail.test");
    let (_, _, page) = env.browser().get(link.trim_end_matches('/')).await;
    assert!(
        page.contains(&alert("This link has expired or is invalid.")),
        "{page}"
    );
}

#[tokio::test]
async fn captcha_and_texted_codes() {
    let env = start().await;
    env.add_user(json!({"username": "texted", "password": "pw-texted-1", "email": "t@inbox.test", "sms_phone": "+14155550123"})).await;
    env.configure(json!({"captcha": true, "challenge_unknown_devices": false}))
        .await;
    let mut b = env.browser();
    assert_eq!(b.ig_login("old-password-1").await, "/challenge/captcha/");
    let (_, _, page) = b.get("/challenge/captcha").await;
    for hook in [
        "<h2>Help us confirm it's you</h2>".to_owned(),
        "<svg width=\"200\" height=\"50\" role=\"img\" aria-label=\"CAPTCHA\"".to_owned(),
        "<input name=\"captcha_response\" type=\"text\" aria-label=\"Type the characters you see\""
            .to_owned(),
        button("Next"),
    ] {
        assert!(page.contains(&hook), "{hook} not in {page}");
    }
    let (_, _, page) = b
        .post("/challenge/captcha/", &[("captcha_response", "wrong")])
        .await;
    assert!(
        page.contains(&alert(
            "The characters you entered didn't match. Please try again."
        )) && page.contains("aria-label=\"CAPTCHA\""),
        "{page}"
    );
    let words: Vec<String> = env
        .http
        .get(format!("{}/__sandbox/captchas", env.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (_, to, _) = b
        .post("/challenge/captcha/", &[("captcha_response", &words[0])])
        .await;
    assert_eq!(to, "/accounts/onetap/?next=%2F");

    // Text-message two-factor: the code comes from Instagram's short code.
    env.configure(json!({"challenge_unknown_devices": false}))
        .await;
    let mut t = Browser {
        base: env.url.clone(),
        http: env.http.clone(),
        cookies: HashMap::new(),
    };
    let (_, to, _) = t
        .post(
            "/accounts/login/",
            &[("username", "texted"), ("password", "pw-texted-1")],
        )
        .await;
    assert_eq!(to, "/accounts/login/two_factor");
    let (_, _, page) = t.get("/accounts/login/two_factor").await;
    assert!(
        page.contains("<p>Enter the 6-digit code we sent to your number ending in 23.</p>")
            && page.contains("name=\"verificationCode\""),
        "{page}"
    );
    let (text, _, _) = env.texts.lock().unwrap().last().cloned().unwrap();
    assert_eq!(
        (text["from"].as_str(), text["to"].as_str()),
        (Some("32665"), Some("+14155550123"))
    );
    let body = text["body"].as_str().unwrap();
    assert!(body.contains("Instagram"), "{body}");
    let (to, _) = t.ig_two_factor(&six_digits_after(body, "")).await;
    assert_eq!(to, "/accounts/onetap/?next=%2F");
}

#[tokio::test]
async fn the_control_endpoints_answer_as_for_the_sandbox() {
    let env = start().await;
    env.assert_brand_as_created().await;
    let s = env
        .add_user(json!({"username": "brand", "password": "p", "email": "a@b.test"}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, b) = env.configure(json!({"qr_only": true})).await;
    assert_eq!(
        (
            s,
            b["qr_only"].as_bool(),
            b["challenge_unknown_devices"].as_bool()
        ),
        (StatusCode::OK, Some(true), Some(true))
    );
    // qr_only: no key, no other way.
    env.configure(json!({"qr_only": true, "challenge_unknown_devices": false}))
        .await;
    let mut b = env.browser();
    b.ig_login("old-password-1").await;
    let (_, _, page) = b
        .get("/accounts/two_factor_authentication/app/?method=manual")
        .await;
    assert!(
        page.contains("aria-label=\"QR code\"")
            && !page.contains("aria-label=\"Key\"")
            && !page.contains("Set up another way"),
        "{page}"
    );
    let (s, _) = env.control("/__sandbox/reset", json!({})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
}
