//! How the sandbox looks: one [`Views`] per app it plays (the sandbox's own
//! look with stable element ids, and replicas of real apps' pages). The
//! handlers in [`crate::pages`] decide what happens; a look only renders it:
//! its paths, field names, labels, texts and the words of its mail and texts.

pub(crate) mod instagram;
pub(crate) mod sandbox;

use crate::{SandboxApp, User, totp};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// The look of `app`.
pub(crate) fn of(app: SandboxApp) -> &'static dyn Views {
    match app {
        SandboxApp::Sandbox => &sandbox::SandboxLook,
        SandboxApp::Instagram => &instagram::InstagramLook,
    }
}

/// Where a look keeps its pages and cookies, and how it redirects.
pub(crate) struct Paths {
    pub login: &'static str,
    pub captcha: &'static str,
    pub challenge: &'static str,
    pub two_factor: &'static str,
    /// Where a browser goes once signed in.
    pub signed_in: &'static str,
    pub mfa_settings: &'static str,
    pub app_setup: &'static str,
    pub session_cookie: &'static str,
    pub device_cookie: &'static str,
    /// The status of its redirects.
    pub redirect: StatusCode,
}

/// What went wrong, for the look to say in its words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Problem {
    UnknownUser,
    WrongPassword,
    WrongCaptcha,
    WrongChallengeCode,
    CodeNotSent,
    WrongTwoFactorCode,
    TwoFactorCodeUsed,
    TextNotSent,
    WrongSetupCode,
    InvalidPhone,
    WrongSmsSetupCode,
    OldPasswordWrong,
    PasswordsDiffer,
    PasswordTooShort,
    PasswordTooLong,
    PasswordNotNew,
    InvalidEmail,
    LinkNotSent,
    LinkExpired,
}

/// How the signed-in browser's second factor arrives.
#[derive(Clone, Copy, Debug)]
pub(crate) enum SecondFactor<'a> {
    App,
    /// Texted to this number.
    Sms {
        phone: &'a str,
    },
}

/// The authenticator set-up page.
pub(crate) struct AppSetup<'a> {
    pub secret: &'a [u8],
    pub username: &'a str,
    /// The person asked for the key ("set up another way").
    pub manual: bool,
    /// The app shows only the QR code.
    pub qr_only: bool,
    /// A refused code: the page again, with the error.
    pub error: Option<Problem>,
}

/// One email: subject and plain-text body (short lines, CRLF).
pub(crate) struct Mail {
    pub subject: &'static str,
    pub body: String,
}

/// One look of the sandbox.
pub(crate) trait Views: Sync {
    fn paths(&self) -> &'static Paths;
    fn problem(&self, p: Problem) -> &'static str;
    /// The app's name in its texts and its authenticator entry.
    fn brand(&self) -> &'static str;
    fn min_password_len(&self) -> usize;

    fn login(&self, error: Option<Problem>) -> Response;
    fn home(&self, username: &str) -> Response;
    fn captcha(&self, answer: &str, error: Option<Problem>) -> Response;
    fn challenge(&self, email: &str, sent: bool, error: Option<Problem>) -> Response;
    fn two_factor(&self, how: SecondFactor<'_>, error: Option<Problem>) -> Response;

    /// A security setting refused to a young device: `secs_left` to wait.
    fn settings_locked(&self, secs_left: u64) -> Response;
    fn mfa_settings(&self, user: &User) -> Response;
    fn app_already_on(&self, user: &User) -> Response;
    fn app_setup(&self, v: &AppSetup<'_>) -> Response;
    /// The authenticator was just turned on with these recovery codes.
    fn app_enabled(&self, codes: &[String]) -> Response;
    fn sms_already_on(&self, user: &User) -> Response;
    fn sms_setup(&self, code_sent: bool, error: Option<Problem>) -> Response;
    fn sms_enabled(&self) -> Response;
    fn password(&self, error: Option<Problem>) -> Response;
    fn password_changed(&self) -> Response;
    fn email(&self, current: &str, error: Option<Problem>) -> Response;
    fn email_sent(&self, current: &str, new: &str) -> Response;
    fn email_confirmed(&self, new: &str) -> Response;
    fn email_link_invalid(&self) -> Response;

    fn challenge_mail(&self, username: &str, code: &str) -> Mail;
    /// The link that confirms a new email address.
    fn confirm_link(&self, public_url: &str, token: &str) -> String;
    fn confirm_mail(&self, username: &str, link: &str, public_url: &str) -> Mail;
    fn sign_in_text(&self, code: &str) -> String {
        format!("{code} is your {} code. Don't share it.", self.brand())
    }
    fn setup_text(&self, code: &str) -> String {
        format!("{code} is your {} confirmation code.", self.brand())
    }

    // Pages that only some apps have.

    /// "Save your login info?" after a sign-in.
    fn onetap(&self) -> Response {
        StatusCode::NOT_FOUND.into_response()
    }
    /// The recovery codes, on their own page after the authenticator
    /// set-up (for looks whose [`Views::app_enabled`] sends the browser
    /// there).
    fn recovery_codes(&self, _codes: &[String]) -> Response {
        StatusCode::NOT_FOUND.into_response()
    }
    /// A user's profile (None: no such user).
    fn profile(&self, _username: Option<&str>) -> Response {
        StatusCode::NOT_FOUND.into_response()
    }
}

pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The CAPTCHA's word drawn as wavy SVG text (the `<text>` elements): a
/// stand-in for an image CAPTCHA.
pub(crate) fn captcha_letters(answer: &str) -> String {
    answer
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
        .collect()
}

/// The `otpauth://` URI of the set-up as an SVG QR code.
pub(crate) fn qr_svg(secret: &[u8], issuer: &str, username: &str) -> String {
    qrcode::QrCode::new(totp::uri(secret, issuer, username).as_bytes())
        .map(|q| {
            q.render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(200, 200)
                .build()
        })
        .unwrap_or_default()
}
