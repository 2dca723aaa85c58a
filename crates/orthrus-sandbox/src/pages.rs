//! The sandbox's pages and test control endpoints. Element ids and field
//! names are stable: recipes find things by them.

use crate::{
    Behaviour, Sandbox, Session, Stage, State as Db, User, random_bytes, random_digits,
    random_token, totp, unix_now,
};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::{Form, Json};
use serde::Deserialize;

pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(title: &str, body: &str) -> Response {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t} • Sandbox</title>\
         <style>body{{font-family:sans-serif;max-width:440px;margin:40px auto;padding:0 16px}}\
         input,button{{display:block;margin:8px 0;padding:8px;width:100%;box-sizing:border-box}}\
         .error{{color:#c00}}code{{font-size:1.2em}}</style></head><body><h1>{t}</h1>{body}</body></html>",
        t = esc(title)
    ))
    .into_response()
}

fn error_line(error: Option<&str>) -> String {
    error
        .map(|e| {
            format!(
                "<p class=\"error\" id=\"error\" role=\"alert\">{}</p>",
                esc(e)
            )
        })
        .unwrap_or_default()
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, v)| *k == name && !v.is_empty() && v.len() <= 64)
        .map(|(_, v)| v.to_owned())
}

fn set_cookie(name: &str, value: &str) -> String {
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000")
}

fn redirect(to: &str, cookies: &[String]) -> Response {
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response();
    for c in cookies {
        if let Ok(v) = c.parse() {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    r
}

fn stage_url(stage: &Stage) -> &'static str {
    match stage {
        Stage::Captcha { .. } => "/challenge/captcha",
        Stage::Challenge { .. } => "/challenge",
        Stage::TwoFactor { .. } => "/accounts/login/two_factor",
        Stage::In => "/",
    }
}

const WORDS: &[&str] = &[
    "orange", "harbor", "violet", "candle", "meadow", "pepper", "silver", "tundra",
];

/// The stage after `done` (None: just signed in with the password).
fn next_stage(db: &Db, user: &User, device: &str, done: Option<&Stage>) -> Stage {
    let from = match done {
        None => 0,
        Some(Stage::Captcha { .. }) => 1,
        Some(Stage::Challenge { .. }) => 2,
        Some(Stage::TwoFactor { .. } | Stage::In) => 3,
    };
    if from == 0 && db.behaviour.captcha {
        let w = db
            .behaviour
            .captcha_word
            .clone()
            .unwrap_or_else(|| WORDS[usize::from(random_bytes(1)[0]) % WORDS.len()].to_owned());
        return Stage::Captcha { answer: w };
    }
    if from <= 1 && db.behaviour.challenge_unknown_devices && !user.devices.contains_key(device) {
        return Stage::Challenge { code: None };
    }
    if from <= 2 && (user.totp.is_some() || user.sms_phone.is_some()) {
        return Stage::TwoFactor { sms_code: None };
    }
    Stage::In
}

/// Moves this browser's sign-in to its next stage and sends it there.
fn advance(sb: &Sandbox, sid: &str) -> Response {
    let mut db = sb.state();
    let Some(s) = db.sessions.get(sid).cloned() else {
        return redirect("/accounts/login", &[]);
    };
    let Some(user) = db.users.get(&s.username) else {
        return redirect("/accounts/login", &[]);
    };
    let next = next_stage(&db, user, &s.device, Some(&s.stage));
    if next == Stage::In
        && let Some(u) = db.users.get_mut(&s.username)
    {
        u.devices.entry(s.device.clone()).or_insert_with(unix_now);
    }
    let url = stage_url(&next);
    if let Some(sess) = db.sessions.get_mut(sid) {
        sess.stage = next;
    }
    redirect(url, &[])
}

/// This browser's session, if it has one.
fn session(sb: &Sandbox, headers: &HeaderMap) -> Option<(String, Session)> {
    let sid = cookie(headers, "sb_session")?;
    let s = sb.state().sessions.get(&sid).cloned()?;
    Some((sid, s))
}

fn mask(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "your email".into(),
    }
}

pub(crate) async fn home(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    match session(&sb, &headers) {
        Some((_, s)) if s.stage == Stage::In => page(
            "Home",
            &format!(
                "<p id=\"home\">Welcome back, <strong id=\"home-username\">{}</strong>.</p>\
                 <ul><li><a href=\"/accounts/two_factor_authentication\">Two-factor authentication</a></li>\
                 <li><a href=\"/accounts/password/change\">Change password</a></li>\
                 <li><a href=\"/accounts/email/change\">Change email</a></li></ul>\
                 <form method=\"post\" action=\"/accounts/logout\"><button id=\"logout\">Log out</button></form>",
                esc(&s.username)
            ),
        ),
        Some((_, s)) => redirect(stage_url(&s.stage), &[]),
        None => redirect("/accounts/login", &[]),
    }
}

fn login_form(error: Option<&str>) -> Response {
    page(
        "Log in",
        &format!(
            "{}<form method=\"post\" action=\"/accounts/login\" id=\"login-form\">\
             <input name=\"username\" id=\"username\" placeholder=\"Username\" autocomplete=\"username\" required>\
             <input name=\"password\" id=\"password\" type=\"password\" placeholder=\"Password\" autocomplete=\"current-password\" required>\
             <button type=\"submit\" id=\"login-submit\">Log in</button></form>",
            error_line(error)
        ),
    )
}

pub(crate) async fn login_page() -> Response {
    login_form(None)
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    username: String,
    password: String,
}

pub(crate) async fn login(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let device = cookie(&headers, "sb_device").unwrap_or_else(random_token);
    let device_cookie = set_cookie("sb_device", &device);
    let username = f.username.trim().to_lowercase();
    let mut db = sb.state();
    let stage = match db.users.get(&username) {
        Some(u) if u.password == f.password => next_stage(&db, u, &device, None),
        _ => {
            drop(db);
            let mut r = login_form(Some(
                "Sorry, your password was incorrect. Please double-check your password.",
            ));
            if let Ok(v) = device_cookie.parse() {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            return r;
        }
    };
    if stage == Stage::In
        && let Some(u) = db.users.get_mut(&username)
    {
        u.devices.entry(device.clone()).or_insert_with(unix_now);
    }
    let sid = random_token();
    let url = stage_url(&stage);
    db.sessions.insert(
        sid.clone(),
        Session {
            username,
            device,
            stage,
        },
    );
    redirect(url, &[set_cookie("sb_session", &sid), device_cookie])
}

pub(crate) async fn logout(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    if let Some(sid) = cookie(&headers, "sb_session") {
        sb.state().sessions.remove(&sid);
    }
    redirect(
        "/accounts/login",
        &["sb_session=; Path=/; Max-Age=0".into()],
    )
}

fn challenge_view(email: &str, sent: bool, error: Option<&str>) -> Response {
    if sent {
        page(
            "Enter your security code",
            &format!(
                "{}<p id=\"challenge-sent\">We sent a 6-digit security code to {}.</p>\
                 <form method=\"post\" action=\"/challenge/verify\">\
                 <input name=\"security_code\" id=\"security_code\" inputmode=\"numeric\" placeholder=\"Security code\" required>\
                 <button type=\"submit\" id=\"challenge-submit\">Submit</button></form>\
                 <form method=\"post\" action=\"/challenge/send\"><button id=\"challenge-resend\">Get a new code</button></form>",
                error_line(error),
                esc(&mask(email))
            ),
        )
    } else {
        page(
            "Suspicious login attempt",
            &format!(
                "{}<p id=\"suspicious-login\">We detected an unusual login attempt from a device we don't recognize. \
                 To secure your account, we'll send a security code to verify your identity.</p>\
                 <p>Email: {}</p>\
                 <form method=\"post\" action=\"/challenge/send\"><button type=\"submit\" id=\"send-code\">Send security code</button></form>",
                error_line(error),
                esc(&mask(email))
            ),
        )
    }
}

/// The session if it is at the stage `want` matches, else where to go.
fn at_stage(
    sb: &Sandbox,
    headers: &HeaderMap,
    want: fn(&Stage) -> bool,
) -> Result<(String, Session, User), Box<Response>> {
    let Some((sid, s)) = session(sb, headers) else {
        return Err(Box::new(redirect("/accounts/login", &[])));
    };
    if !want(&s.stage) {
        return Err(Box::new(redirect(stage_url(&s.stage), &[])));
    }
    let Some(u) = sb.state().users.get(&s.username).cloned() else {
        return Err(Box::new(redirect("/accounts/login", &[])));
    };
    Ok((sid, s, u))
}

pub(crate) async fn challenge_page(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    match at_stage(&sb, &headers, |s| matches!(s, Stage::Challenge { .. })) {
        Ok((_, s, u)) => challenge_view(
            &u.email,
            matches!(s.stage, Stage::Challenge { code: Some(_) }),
            None,
        ),
        Err(r) => *r,
    }
}

pub(crate) async fn challenge_send(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    let (sid, _, u) = match at_stage(&sb, &headers, |s| matches!(s, Stage::Challenge { .. })) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let code = random_digits(6);
    if let Some(s) = sb.state().sessions.get_mut(&sid) {
        s.stage = Stage::Challenge {
            code: Some(code.clone()),
        };
    }
    // Short lines: the mail goes out as 7bit, readable as it is.
    let body = format!(
        "Hi {},\r\n\r\nSomeone tried to log in to your Sandbox account\r\n\
         from a device we don't recognize. If this was you,\r\n\
         please use the following code to confirm your identity:\r\n\r\n{code}\r\n\r\n\
         If this wasn't you, please reset your password.\r\n",
        u.username
    );
    match send_mail(&sb, &u.email, "Verify your account", &body).await {
        Ok(()) => challenge_view(&u.email, true, None),
        Err(e) => {
            tracing::warn!(error = %e, "sandbox could not send the security code");
            challenge_view(
                &u.email,
                false,
                Some("We couldn't send the code. Try again later."),
            )
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct ChallengeForm {
    security_code: String,
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

pub(crate) async fn challenge_verify(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Form(f): Form<ChallengeForm>,
) -> Response {
    let (sid, s, u) = match at_stage(&sb, &headers, |s| matches!(s, Stage::Challenge { .. })) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let Stage::Challenge { code: Some(code) } = &s.stage else {
        return challenge_view(&u.email, false, None);
    };
    if digits(&f.security_code) != *code {
        return challenge_view(
            &u.email,
            true,
            Some("Please check the code we sent you and try again."),
        );
    }
    if let Some(user) = sb.state().users.get_mut(&u.username) {
        user.devices
            .entry(s.device.clone())
            .or_insert_with(unix_now);
    }
    advance(&sb, &sid)
}

fn captcha_view(answer: &str, error: Option<&str>) -> Response {
    // The word drawn as wavy SVG text: a stand-in for an image CAPTCHA.
    let letters: String = answer
        .chars()
        .enumerate()
        .map(|(i, c)| {
            format!(
                "<text x=\"{}\" y=\"{}\" transform=\"rotate({} {} 30)\">{c}</text>",
                10 + i * 24,
                28 + (i % 3) * 6,
                (i as i32 % 3 - 1) * 12,
                10 + i * 24
            )
        })
        .collect();
    page(
        "Help us confirm it's you",
        &format!(
            "{}<p id=\"captcha\">Type the word in the picture.</p>\
             <svg width=\"200\" height=\"50\" role=\"img\" aria-label=\"CAPTCHA\" font-size=\"24\" font-family=\"serif\">{letters}</svg>\
             <form method=\"post\" action=\"/challenge/captcha\"><input name=\"answer\" id=\"captcha-answer\" required>\
             <button type=\"submit\" id=\"captcha-submit\">Continue</button></form>",
            error_line(error)
        ),
    )
}

pub(crate) async fn captcha_page(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    match at_stage(&sb, &headers, |s| matches!(s, Stage::Captcha { .. })) {
        Ok((
            _,
            Session {
                stage: Stage::Captcha { answer },
                ..
            },
            _,
        )) => captcha_view(&answer, None),
        Ok(_) => redirect("/", &[]),
        Err(r) => *r,
    }
}

#[derive(Deserialize)]
pub(crate) struct CaptchaForm {
    answer: String,
}

pub(crate) async fn captcha_answer(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Form(f): Form<CaptchaForm>,
) -> Response {
    let (sid, s, _) = match at_stage(&sb, &headers, |s| matches!(s, Stage::Captcha { .. })) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let Stage::Captcha { answer } = &s.stage else {
        return redirect("/", &[]);
    };
    if f.answer.trim().to_lowercase() != *answer {
        let w = WORDS[usize::from(random_bytes(1)[0]) % WORDS.len()].to_owned();
        if let Some(sess) = sb.state().sessions.get_mut(&sid) {
            sess.stage = Stage::Captcha { answer: w.clone() };
        }
        return captcha_view(&w, Some("That wasn't right. Try again."));
    }
    advance(&sb, &sid)
}

fn two_factor_view(app: bool, error: Option<&str>) -> Response {
    page(
        "Two-factor authentication",
        &format!(
            "{}<p id=\"two-factor\" class=\"{}\">{}</p>\
             <form method=\"post\" action=\"/accounts/login/two_factor\">\
             <input name=\"verification_code\" id=\"verification_code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" placeholder=\"Security code\" required>\
             <button type=\"submit\" id=\"two-factor-submit\">Confirm</button></form>\
             <p>Can't get a code? Enter one of your backup codes instead.</p>",
            error_line(error),
            if app { "app" } else { "sms" },
            if app {
                "Enter the 6-digit code from your authentication app."
            } else {
                "Enter the 6-digit code we sent to your phone."
            }
        ),
    )
}

pub(crate) async fn two_factor_page(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    let (sid, s, u) = match at_stage(&sb, &headers, |s| matches!(s, Stage::TwoFactor { .. })) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    if u.totp.is_none()
        && let (Some(phone), Stage::TwoFactor { sms_code: None }) = (&u.sms_phone, &s.stage)
    {
        let code = random_digits(6);
        if let Some(sess) = sb.state().sessions.get_mut(&sid) {
            sess.stage = Stage::TwoFactor {
                sms_code: Some(code.clone()),
            };
        }
        if let Err(e) = send_sms(
            &sb,
            phone,
            &format!("{code} is your Sandbox code. Don't share it."),
        )
        .await
        {
            tracing::warn!(error = %e, "sandbox could not send the sign-in text");
            return two_factor_view(false, Some("We couldn't send a text. Try again later."));
        }
    }
    two_factor_view(u.totp.is_some(), None)
}

#[derive(Deserialize)]
pub(crate) struct TwoFactorForm {
    verification_code: String,
}

pub(crate) async fn two_factor(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Form(f): Form<TwoFactorForm>,
) -> Response {
    let (sid, s, u) = match at_stage(&sb, &headers, |s| matches!(s, Stage::TwoFactor { .. })) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let given = digits(&f.verification_code);
    let mut db = sb.state();
    let refuse_app_codes = db.behaviour.refuse_app_codes;
    let Some(user) = db.users.get_mut(&u.username) else {
        return redirect("/accounts/login", &[]);
    };
    if let Some(secret) = user.totp.as_ref().filter(|_| !refuse_app_codes)
        && let Some(step) = totp::matching_step(secret, &given, unix_now())
    {
        if user.last_step.is_some_and(|last| step <= last) {
            return two_factor_view(
                true,
                Some("This code was already used. Wait for a new one and try again."),
            );
        }
        user.last_step = Some(step);
    } else if matches!(&s.stage, Stage::TwoFactor { sms_code: Some(c) } if *c == given) {
    } else if let Some(i) = user.recovery_codes.iter().position(|c| digits(c) == given) {
        user.recovery_codes.remove(i);
    } else {
        let app = user.totp.is_some();
        return two_factor_view(app, Some("That code isn't valid. Check it and try again."));
    }
    drop(db);
    advance(&sb, &sid)
}

/// The signed-in session and user, on a device old enough for security
/// settings; otherwise the page to show instead.
fn settings_guard(sb: &Sandbox, headers: &HeaderMap) -> Result<(Session, User), Box<Response>> {
    let (_, s, u) = at_stage(sb, headers, |s| *s == Stage::In)?;
    let min = sb.state().behaviour.min_device_age_secs;
    let first = u.devices.get(&s.device).copied().unwrap_or_else(unix_now);
    let age = unix_now().saturating_sub(first);
    if age < min {
        let hours = (min - age).div_ceil(3600).max(1);
        return Err(Box::new(page(
            "Settings unavailable",
            &format!(
                "<p id=\"settings-locked\">You can't access certain settings for a few days. \
                 For your security, we're checking that this device belongs to you.</p>\
                 <p id=\"settings-retry\">Try again in {hours} hours.</p><p><a href=\"/\">Back</a></p>"
            ),
        )));
    }
    Ok((s, u))
}

pub(crate) async fn mfa_settings(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    let (_, u) = match settings_guard(&sb, &headers) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let on = |b: bool| if b { "On" } else { "Off" };
    page(
        "Two-factor authentication",
        &format!(
            "<p id=\"mfa-app-status\">Authentication app: {}</p>\
             <p id=\"mfa-sms-status\">Text message: {}</p>\
             <p>Backup codes left: <span id=\"recovery-left\">{}</span></p>\
             <ul><li><a id=\"choose-app\" href=\"/accounts/two_factor_authentication/app\">Authentication app</a></li>\
             <li><a id=\"choose-sms\" href=\"/accounts/two_factor_authentication/sms\">Text message</a></li></ul>",
            on(u.totp.is_some()),
            on(u.sms_phone.is_some()),
            u.recovery_codes.len()
        ),
    )
}

#[derive(Deserialize)]
pub(crate) struct SetupQuery {
    manual: Option<String>,
}

fn app_setup_view(u: &User, manual: bool, qr_only: bool, error: Option<&str>) -> Response {
    let manual = manual && !qr_only;
    let another_way = if qr_only {
        ""
    } else {
        "<p><a id=\"setup-another-way\" href=\"/accounts/two_factor_authentication/app?manual=1\">Set up another way</a></p>"
    };
    let Some(secret) = u.totp_pending.clone() else {
        return redirect("/accounts/two_factor_authentication/app", &[]);
    };
    let how = if manual {
        format!(
            "<p>Enter this key in your authentication app:</p><p><code id=\"totp-secret\">{}</code></p>",
            totp::display_key(&secret)
        )
    } else {
        let svg = qrcode::QrCode::new(totp::uri(&secret, &u.username).as_bytes())
            .map(|q| {
                q.render::<qrcode::render::svg::Color<'_>>()
                    .min_dimensions(200, 200)
                    .build()
            })
            .unwrap_or_default();
        format!(
            "<p>Scan this QR code with your authentication app.</p><div id=\"totp-qr\">{svg}</div>{another_way}"
        )
    };
    page(
        "Set up an authentication app",
        &format!(
            "{}{how}<form method=\"post\" action=\"/accounts/two_factor_authentication/app\">\
             <input name=\"code\" id=\"totp-code\" inputmode=\"numeric\" placeholder=\"6-digit code\" required>\
             <button type=\"submit\" id=\"totp-confirm\">Next</button></form>",
            error_line(error)
        ),
    )
}

pub(crate) async fn app_setup_page(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Query(q): Query<SetupQuery>,
) -> Response {
    let (_, mut u) = match settings_guard(&sb, &headers) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    if u.totp.is_some() {
        return page(
            "Authentication app",
            "<p id=\"app-already-on\">Two-factor authentication with an authentication app is on.</p>",
        );
    }
    if u.totp_pending.is_none() {
        let secret = random_bytes(20);
        if let Some(user) = sb.state().users.get_mut(&u.username) {
            user.totp_pending = Some(secret.clone());
        }
        u.totp_pending = Some(secret);
    }
    let qr_only = sb.state().behaviour.qr_only;
    app_setup_view(&u, q.manual.is_some(), qr_only, None)
}

#[derive(Deserialize)]
pub(crate) struct CodeForm {
    code: String,
}

pub(crate) async fn app_setup_confirm(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Form(f): Form<CodeForm>,
) -> Response {
    let (_, u) = match settings_guard(&sb, &headers) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let Some(secret) = u.totp_pending.clone() else {
        return redirect("/accounts/two_factor_authentication/app", &[]);
    };
    let Some(step) = totp::matching_step(&secret, &digits(&f.code), unix_now()) else {
        let qr_only = sb.state().behaviour.qr_only;
        return app_setup_view(
            &u,
            true,
            qr_only,
            Some("That code isn't valid. Check your authentication app and try again."),
        );
    };
    let codes: Vec<String> = (0..5)
        .map(|_| {
            let d = random_digits(8);
            format!("{} {}", &d[..4], &d[4..])
        })
        .collect();
    if let Some(user) = sb.state().users.get_mut(&u.username) {
        user.totp = Some(secret);
        user.totp_pending = None;
        user.last_step = Some(step);
        user.recovery_codes = codes.clone();
    }
    let items: String = codes.iter().map(|c| format!("<li>{c}</li>")).collect();
    page(
        "Two-factor authentication is on",
        &format!(
            "<p id=\"app-on\">You'll now need a code from your authentication app to log in.</p>\
             <h2>Recovery codes</h2><p>Save these backup codes somewhere safe. Each can be used once.</p>\
             <ul id=\"recovery-codes\">{items}</ul><p><a id=\"done\" href=\"/\">Done</a></p>"
        ),
    )
}

fn sms_view(step_code: bool, error: Option<&str>) -> Response {
    let form = if step_code {
        "<p id=\"sms-sent\">Enter the 6-digit code we sent to your phone.</p>\
         <input name=\"code\" id=\"sms-code\" inputmode=\"numeric\" required>"
    } else {
        "<p>Enter the mobile number to send codes to.</p>\
         <input name=\"phone\" id=\"sms-phone\" type=\"tel\" placeholder=\"+1 415 555 0123\" required>"
    };
    page(
        "Text message",
        &format!(
            "{}<form method=\"post\" action=\"/accounts/two_factor_authentication/sms\">{form}\
             <button type=\"submit\" id=\"sms-submit\">Next</button></form>",
            error_line(error)
        ),
    )
}

pub(crate) async fn sms_setup_page(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    match settings_guard(&sb, &headers) {
        Ok((_, u)) if u.sms_phone.is_some() => page(
            "Text message",
            "<p id=\"sms-already-on\">Two-factor authentication by text message is on.</p>",
        ),
        Ok((_, u)) => sms_view(u.sms_pending.is_some(), None),
        Err(r) => *r,
    }
}

#[derive(Deserialize)]
pub(crate) struct SmsForm {
    phone: Option<String>,
    code: Option<String>,
}

pub(crate) async fn sms_setup(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Form(f): Form<SmsForm>,
) -> Response {
    let (_, u) = match settings_guard(&sb, &headers) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    if let Some(code) = f.code {
        let Some((phone, expected)) = u.sms_pending.clone() else {
            return sms_view(false, None);
        };
        if digits(&code) != expected {
            return sms_view(true, Some("That code isn't valid. Try again."));
        }
        if let Some(user) = sb.state().users.get_mut(&u.username) {
            user.sms_phone = Some(phone);
            user.sms_pending = None;
        }
        return page(
            "Text message",
            "<p id=\"sms-on\">Two-factor authentication by text message is on.</p><p><a href=\"/\">Done</a></p>",
        );
    }
    let phone: String = f
        .phone
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    if !(phone.starts_with('+') && (8..=16).contains(&phone.len())) {
        return sms_view(
            false,
            Some("Enter the number with its country code, like +1 415 555 0123."),
        );
    }
    let code = random_digits(6);
    if let Some(user) = sb.state().users.get_mut(&u.username) {
        user.sms_pending = Some((phone.clone(), code.clone()));
    }
    match send_sms(
        &sb,
        &phone,
        &format!("{code} is your Sandbox confirmation code."),
    )
    .await
    {
        Ok(()) => sms_view(true, None),
        Err(e) => {
            tracing::warn!(error = %e, "sandbox could not send the set-up text");
            sms_view(false, Some("We couldn't send a text. Try again later."))
        }
    }
}

fn password_view(error: Option<&str>) -> Response {
    page(
        "Change password",
        &format!(
            "{}<form method=\"post\" action=\"/accounts/password/change\">\
             <input name=\"old_password\" id=\"old_password\" type=\"password\" placeholder=\"Old password\" required>\
             <input name=\"new_password\" id=\"new_password\" type=\"password\" placeholder=\"New password\" required>\
             <input name=\"confirm_password\" id=\"confirm_password\" type=\"password\" placeholder=\"Confirm new password\" required>\
             <button type=\"submit\" id=\"password-submit\">Change password</button></form>",
            error_line(error)
        ),
    )
}

pub(crate) async fn password_page(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    match settings_guard(&sb, &headers) {
        Ok(_) => password_view(None),
        Err(r) => *r,
    }
}

#[derive(Deserialize)]
pub(crate) struct PasswordForm {
    old_password: String,
    new_password: String,
    confirm_password: String,
}

pub(crate) async fn password_change(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Form(f): Form<PasswordForm>,
) -> Response {
    let (_, u) = match settings_guard(&sb, &headers) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let problem = if f.old_password != u.password {
        Some("Your old password was entered incorrectly. Please enter it again.")
    } else if f.new_password != f.confirm_password {
        Some("Please make sure both passwords match.")
    } else if f.new_password.chars().count() < 8 {
        Some("Create a password at least 8 characters long.")
    } else if f.new_password == u.password {
        Some("Create a new password you haven't used before.")
    } else {
        None
    };
    if let Some(p) = problem {
        return password_view(Some(p));
    }
    if let Some(user) = sb.state().users.get_mut(&u.username) {
        user.password = f.new_password;
    }
    page(
        "Password changed",
        "<p id=\"password-changed\">Your password has been changed.</p><p><a href=\"/\">Done</a></p>",
    )
}

fn email_view(current: &str, error: Option<&str>) -> Response {
    page(
        "Change email",
        &format!(
            "{}<p>Current email: <span id=\"current-email\">{}</span></p>\
             <form method=\"post\" action=\"/accounts/email/change\">\
             <input name=\"email\" id=\"new-email\" type=\"email\" placeholder=\"New email\" required>\
             <button type=\"submit\" id=\"email-submit\">Save</button></form>",
            error_line(error),
            esc(current)
        ),
    )
}

pub(crate) async fn email_page(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    match settings_guard(&sb, &headers) {
        Ok((_, u)) => email_view(&u.email, None),
        Err(r) => *r,
    }
}

#[derive(Deserialize)]
pub(crate) struct EmailForm {
    email: String,
}

pub(crate) async fn email_change(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Form(f): Form<EmailForm>,
) -> Response {
    let (_, u) = match settings_guard(&sb, &headers) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let new = f.email.trim().to_lowercase();
    let valid = new.split_once('@').is_some_and(|(l, d)| {
        !l.is_empty() && d.contains('.') && !new.contains(char::is_whitespace)
    });
    if !valid {
        return email_view(&u.email, Some("Enter a valid email address."));
    }
    let token = random_token();
    sb.state()
        .email_tokens
        .insert(token.clone(), (u.username.clone(), new.clone()));
    let link = format!(
        "{}/accounts/email/confirm?token={token}",
        sb.cfg.public_url.trim_end_matches('/')
    );
    let body = format!(
        "Hi {},\r\n\r\nConfirm your email address for your Sandbox account\r\n\
         by opening this link:\r\n\r\nConfirm email address:\r\n{link}\r\n\r\n\
         If you didn't ask for this, ignore this email.\r\n\r\n\
         Unsubscribe: {}/unsubscribe\r\n",
        u.username,
        sb.cfg.public_url.trim_end_matches('/')
    );
    match send_mail(&sb, &new, "Confirm your email address", &body).await {
        Ok(()) => page(
            "Check your email",
            &format!(
                "<p id=\"email-sent\">We sent a confirmation link to {}. Open it to finish changing your email.</p>",
                esc(&new)
            ),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "sandbox could not send the confirmation link");
            email_view(
                &u.email,
                Some("We couldn't send the email. Try again later."),
            )
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct TokenQuery {
    token: String,
}

pub(crate) async fn email_confirm(
    State(sb): State<Sandbox>,
    Query(q): Query<TokenQuery>,
) -> Response {
    let mut db = sb.state();
    let Some((username, new)) = db.email_tokens.remove(&q.token) else {
        return page(
            "Link expired",
            "<p id=\"email-link-invalid\">This link is invalid or was already used.</p>",
        );
    };
    if let Some(u) = db.users.get_mut(&username) {
        u.email = new.clone();
    }
    page(
        "Email confirmed",
        &format!(
            "<p id=\"email-confirmed\">Your email is now {}.</p>",
            esc(&new)
        ),
    )
}

/// Sends one plain-text email through the configured SMTP server.
async fn send_mail(sb: &Sandbox, to: &str, subject: &str, body: &str) -> Result<(), String> {
    use lettre::message::header::ContentType;
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
    let (host, port) = sb
        .cfg
        .smtp
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h.to_owned(), p.parse::<u16>().ok()?)))
        .ok_or_else(|| format!("--smtp {:?} is not HOST:PORT", sb.cfg.smtp))?;
    let message = Message::builder()
        .from(sb.cfg.mail_from.parse().map_err(|e| format!("{e}"))?)
        .to(to.parse().map_err(|e| format!("{to:?}: {e}"))?)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(body.to_owned())
        .map_err(|e| e.to_string())?;
    let raw = match &sb.cfg.dkim {
        Some(key) => key.sign(&message.formatted())?,
        None => message.formatted(),
    };
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(port)
        .timeout(Some(std::time::Duration::from_secs(20)))
        .build()
        .send_raw(message.envelope(), &raw)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Posts one text message to the SMS webhook (JSON, HMAC-signed when a
/// secret is configured).
async fn send_sms(sb: &Sandbox, to: &str, body: &str) -> Result<(), String> {
    use hmac::{Hmac, Mac};
    let Some(url) = &sb.cfg.sms_webhook else {
        return Err("no --sms-webhook configured".into());
    };
    let payload = serde_json::to_vec(&serde_json::json!({
        "from": sb.cfg.sms_from,
        "to": to,
        "body": body,
        "id": format!("sandbox-{}", random_token()),
    }))
    .map_err(|e| e.to_string())?;
    let mut req = sb
        .http
        .post(url)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(secret) = &sb.cfg.sms_webhook_secret {
        let mut mac =
            Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).map_err(|e| e.to_string())?;
        mac.update(&payload);
        let sig = data_encoding::HEXLOWER.encode(&mac.finalize().into_bytes());
        req = req.header("X-Orthrus-Signature", format!("sha256={sig}"));
    }
    let resp = req.body(payload).send().await.map_err(|e| e.to_string())?;
    if resp.status().is_success() {
        Ok(())
    } else {
        Err(format!("the SMS webhook answered {}", resp.status()))
    }
}

// Test control.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewUser {
    username: String,
    password: String,
    email: String,
    /// Text-message MFA to this number from the start.
    #[serde(default)]
    sms_phone: Option<String>,
    /// An authenticator key (base32) already on, with these recovery codes.
    #[serde(default)]
    totp_secret: Option<String>,
    #[serde(default)]
    recovery_codes: Vec<String>,
}

pub(crate) async fn control_create_user(
    State(sb): State<Sandbox>,
    Json(n): Json<NewUser>,
) -> Response {
    let username = n.username.trim().to_lowercase();
    if username.is_empty() || n.password.is_empty() || !n.email.contains('@') {
        return (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({"error": "username, password and an email address are required"})),
        )
            .into_response();
    }
    let totp = match n.totp_secret.as_deref().map(totp::parse_key) {
        Some(Some(k)) => Some(k),
        Some(None) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(serde_json::json!({"error": "totp_secret is not base32"})),
            )
                .into_response();
        }
        None => None,
    };
    let mut db = sb.state();
    if db.users.contains_key(&username) {
        return (
            StatusCode::CONFLICT,
            Json(serde_json::json!({"error": "that username exists"})),
        )
            .into_response();
    }
    db.users.insert(
        username.clone(),
        User {
            username: username.clone(),
            password: n.password,
            email: n.email.trim().to_lowercase(),
            sms_phone: n.sms_phone,
            totp,
            recovery_codes: n.recovery_codes,
            ..User::default()
        },
    );
    (
        StatusCode::CREATED,
        Json(serde_json::json!({"username": username})),
    )
        .into_response()
}

pub(crate) async fn control_user(
    State(sb): State<Sandbox>,
    Path(username): Path<String>,
) -> Response {
    let db = sb.state();
    match db.users.get(&username.to_lowercase()) {
        Some(u) => Json(serde_json::json!({
            "username": u.username,
            "password": u.password,
            "email": u.email,
            "mfa": u.totp.is_some() || u.sms_phone.is_some(),
            "mfa_app": u.totp.is_some(),
            "mfa_sms": u.sms_phone,
            "recovery_codes_left": u.recovery_codes.len(),
            "devices": u.devices.len(),
        }))
        .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({"error": "no such user"})),
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Age {
    secs: u64,
}

/// Makes the user's known devices older by `secs` (instead of waiting days).
pub(crate) async fn control_age_devices(
    State(sb): State<Sandbox>,
    Path(username): Path<String>,
    Json(a): Json<Age>,
) -> Response {
    match sb.state().users.get_mut(&username.to_lowercase()) {
        Some(u) => {
            for first in u.devices.values_mut() {
                *first = first.saturating_sub(a.secs);
            }
            StatusCode::NO_CONTENT.into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

pub(crate) async fn control_get_config(State(sb): State<Sandbox>) -> Json<Behaviour> {
    Json(sb.state().behaviour.clone())
}

pub(crate) async fn control_config(
    State(sb): State<Sandbox>,
    Json(b): Json<Behaviour>,
) -> Json<Behaviour> {
    sb.state().behaviour = b.clone();
    Json(b)
}

/// The answers of the CAPTCHAs sessions are looking at (tests play the
/// person who reads the picture).
pub(crate) async fn control_captchas(State(sb): State<Sandbox>) -> Json<Vec<String>> {
    Json(
        sb.state()
            .sessions
            .values()
            .filter_map(|s| match &s.stage {
                Stage::Captcha { answer } => Some(answer.clone()),
                _ => None,
            })
            .collect(),
    )
}

pub(crate) async fn control_reset(State(sb): State<Sandbox>) -> StatusCode {
    *sb.state() = Db::default();
    StatusCode::NO_CONTENT
}
