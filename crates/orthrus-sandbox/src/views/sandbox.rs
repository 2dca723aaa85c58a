//! The sandbox's own look: stable element ids (`#login-form`,
//! `#suspicious-login`, `#two-factor`, `#totp-secret`, …) that the built-in
//! recipe `sandbox.toml` is written against. Change nothing here that a
//! recipe reads.

use super::{AppSetup, Mail, Paths, Problem, SecondFactor, Views, captcha_letters, esc, qr_svg};
use crate::{User, totp};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

pub(crate) struct SandboxLook;

static PATHS: Paths = Paths {
    login: "/accounts/login",
    captcha: "/challenge/captcha",
    challenge: "/challenge",
    two_factor: "/accounts/login/two_factor",
    signed_in: "/",
    mfa_settings: "/accounts/two_factor_authentication",
    app_setup: "/accounts/two_factor_authentication/app",
    session_cookie: "sb_session",
    device_cookie: "sb_device",
    redirect: StatusCode::SEE_OTHER,
};

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

fn mask(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "your email".into(),
    }
}

impl SandboxLook {
    fn error(&self, p: Option<Problem>) -> String {
        error_line(p.map(|p| self.problem(p)))
    }
}

impl Views for SandboxLook {
    fn paths(&self) -> &'static Paths {
        &PATHS
    }

    fn problem(&self, p: Problem) -> &'static str {
        match p {
            Problem::UnknownUser | Problem::WrongPassword => {
                "Sorry, your password was incorrect. Please double-check your password."
            }
            Problem::WrongCaptcha => "That wasn't right. Try again.",
            Problem::WrongChallengeCode => "Please check the code we sent you and try again.",
            Problem::CodeNotSent => "We couldn't send the code. Try again later.",
            Problem::WrongTwoFactorCode => "That code isn't valid. Check it and try again.",
            Problem::TwoFactorCodeUsed => {
                "This code was already used. Wait for a new one and try again."
            }
            Problem::TextNotSent => "We couldn't send a text. Try again later.",
            Problem::WrongSetupCode => {
                "That code isn't valid. Check your authentication app and try again."
            }
            Problem::InvalidPhone => {
                "Enter the number with its country code, like +1 415 555 0123."
            }
            Problem::WrongSmsSetupCode => "That code isn't valid. Try again.",
            Problem::OldPasswordWrong => {
                "Your old password was entered incorrectly. Please enter it again."
            }
            Problem::PasswordsDiffer => "Please make sure both passwords match.",
            Problem::PasswordTooShort => "Create a password at least 8 characters long.",
            Problem::PasswordTooLong => "This password is too long. Choose a shorter one.",
            Problem::PasswordNotNew => "Create a new password you haven't used before.",
            Problem::InvalidEmail => "Enter a valid email address.",
            Problem::LinkNotSent => "We couldn't send the email. Try again later.",
            Problem::LinkExpired => "This link is invalid or was already used.",
        }
    }

    fn brand(&self) -> &'static str {
        "Sandbox"
    }

    fn min_password_len(&self) -> usize {
        8
    }

    fn login(&self, error: Option<Problem>) -> Response {
        page(
            "Log in",
            &format!(
                "{}<form method=\"post\" action=\"/accounts/login\" id=\"login-form\">\
                 <input name=\"username\" id=\"username\" placeholder=\"Username\" autocomplete=\"username\" required>\
                 <input name=\"password\" id=\"password\" type=\"password\" placeholder=\"Password\" autocomplete=\"current-password\" required>\
                 <button type=\"submit\" id=\"login-submit\">Log in</button></form>",
                self.error(error)
            ),
        )
    }

    fn home(&self, username: &str) -> Response {
        page(
            "Home",
            &format!(
                "<p id=\"home\">Welcome back, <strong id=\"home-username\">{}</strong>.</p>\
                 <ul><li><a href=\"/accounts/two_factor_authentication\">Two-factor authentication</a></li>\
                 <li><a href=\"/accounts/password/change\">Change password</a></li>\
                 <li><a href=\"/accounts/email/change\">Change email</a></li></ul>\
                 <form method=\"post\" action=\"/accounts/logout\"><button id=\"logout\">Log out</button></form>",
                esc(username)
            ),
        )
    }

    fn captcha(&self, answer: &str, error: Option<Problem>) -> Response {
        let letters = captcha_letters(answer);
        page(
            "Help us confirm it's you",
            &format!(
                "{}<p id=\"captcha\">Type the word in the picture.</p>\
                 <svg width=\"200\" height=\"50\" role=\"img\" aria-label=\"CAPTCHA\" font-size=\"24\" font-family=\"serif\">{letters}</svg>\
                 <form method=\"post\" action=\"/challenge/captcha\"><input name=\"answer\" id=\"captcha-answer\" required>\
                 <button type=\"submit\" id=\"captcha-submit\">Continue</button></form>",
                self.error(error)
            ),
        )
    }

    fn challenge(&self, email: &str, sent: bool, error: Option<Problem>) -> Response {
        if sent {
            page(
                "Enter your security code",
                &format!(
                    "{}<p id=\"challenge-sent\">We sent a 6-digit security code to {}.</p>\
                     <form method=\"post\" action=\"/challenge/verify\">\
                     <input name=\"security_code\" id=\"security_code\" inputmode=\"numeric\" placeholder=\"Security code\" required>\
                     <button type=\"submit\" id=\"challenge-submit\">Submit</button></form>\
                     <form method=\"post\" action=\"/challenge/send\"><button id=\"challenge-resend\">Get a new code</button></form>",
                    self.error(error),
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
                    self.error(error),
                    esc(&mask(email))
                ),
            )
        }
    }

    fn two_factor(&self, how: SecondFactor<'_>, error: Option<Problem>) -> Response {
        let app = matches!(how, SecondFactor::App);
        page(
            "Two-factor authentication",
            &format!(
                "{}<p id=\"two-factor\" class=\"{}\">{}</p>\
                 <form method=\"post\" action=\"/accounts/login/two_factor\">\
                 <input name=\"verification_code\" id=\"verification_code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" placeholder=\"Security code\" required>\
                 <button type=\"submit\" id=\"two-factor-submit\">Confirm</button></form>\
                 <p>Can't get a code? Enter one of your backup codes instead.</p>",
                self.error(error),
                if app { "app" } else { "sms" },
                if app {
                    "Enter the 6-digit code from your authentication app."
                } else {
                    "Enter the 6-digit code we sent to your phone."
                }
            ),
        )
    }

    fn settings_locked(&self, secs_left: u64) -> Response {
        let hours = secs_left.div_ceil(3600).max(1);
        page(
            "Settings unavailable",
            &format!(
                "<p id=\"settings-locked\">You can't access certain settings for a few days. \
                 For your security, we're checking that this device belongs to you.</p>\
                 <p id=\"settings-retry\">Try again in {hours} hours.</p><p><a href=\"/\">Back</a></p>"
            ),
        )
    }

    fn mfa_settings(&self, u: &User) -> Response {
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

    fn app_already_on(&self, _user: &User) -> Response {
        page(
            "Authentication app",
            "<p id=\"app-already-on\">Two-factor authentication with an authentication app is on.</p>",
        )
    }

    fn app_setup(&self, v: &AppSetup<'_>) -> Response {
        // After a refused code the key is shown (unless the app shows only
        // the QR code), as it always has been here.
        let manual = (v.manual || v.error.is_some()) && !v.qr_only;
        let another_way = if v.qr_only {
            ""
        } else {
            "<p><a id=\"setup-another-way\" href=\"/accounts/two_factor_authentication/app?manual=1\">Set up another way</a></p>"
        };
        let how = if manual {
            format!(
                "<p>Enter this key in your authentication app:</p><p><code id=\"totp-secret\">{}</code></p>",
                totp::display_key(v.secret)
            )
        } else {
            let svg = qr_svg(v.secret, self.brand(), v.username);
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
                self.error(v.error)
            ),
        )
    }

    fn app_enabled(&self, codes: &[String]) -> Response {
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

    fn sms_already_on(&self, _user: &User) -> Response {
        page(
            "Text message",
            "<p id=\"sms-already-on\">Two-factor authentication by text message is on.</p>",
        )
    }

    fn sms_setup(&self, code_sent: bool, error: Option<Problem>) -> Response {
        let form = if code_sent {
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
                self.error(error)
            ),
        )
    }

    fn sms_enabled(&self) -> Response {
        page(
            "Text message",
            "<p id=\"sms-on\">Two-factor authentication by text message is on.</p><p><a href=\"/\">Done</a></p>",
        )
    }

    fn password(&self, error: Option<Problem>) -> Response {
        page(
            "Change password",
            &format!(
                "{}<form method=\"post\" action=\"/accounts/password/change\">\
                 <input name=\"old_password\" id=\"old_password\" type=\"password\" placeholder=\"Old password\" required>\
                 <input name=\"new_password\" id=\"new_password\" type=\"password\" placeholder=\"New password\" required>\
                 <input name=\"confirm_password\" id=\"confirm_password\" type=\"password\" placeholder=\"Confirm new password\" required>\
                 <button type=\"submit\" id=\"password-submit\">Change password</button></form>",
                self.error(error)
            ),
        )
    }

    fn password_changed(&self) -> Response {
        page(
            "Password changed",
            "<p id=\"password-changed\">Your password has been changed.</p><p><a href=\"/\">Done</a></p>",
        )
    }

    fn email(&self, current: &str, error: Option<Problem>) -> Response {
        page(
            "Change email",
            &format!(
                "{}<p>Current email: <span id=\"current-email\">{}</span></p>\
                 <form method=\"post\" action=\"/accounts/email/change\">\
                 <input name=\"email\" id=\"new-email\" type=\"email\" placeholder=\"New email\" required>\
                 <button type=\"submit\" id=\"email-submit\">Save</button></form>",
                self.error(error),
                esc(current)
            ),
        )
    }

    fn email_sent(&self, _current: &str, new: &str) -> Response {
        page(
            "Check your email",
            &format!(
                "<p id=\"email-sent\">We sent a confirmation link to {}. Open it to finish changing your email.</p>",
                esc(new)
            ),
        )
    }

    fn email_confirmed(&self, new: &str) -> Response {
        page(
            "Email confirmed",
            &format!(
                "<p id=\"email-confirmed\">Your email is now {}.</p>",
                esc(new)
            ),
        )
    }

    fn email_link_invalid(&self) -> Response {
        page(
            "Link expired",
            "<p id=\"email-link-invalid\">This link is invalid or was already used.</p>",
        )
    }

    fn challenge_mail(&self, username: &str, code: &str) -> Mail {
        // Short lines: the mail goes out as 7bit, readable as it is.
        Mail {
            subject: "Verify your account",
            body: format!(
                "Hi {username},\r\n\r\nSomeone tried to log in to your Sandbox account\r\n\
                 from a device we don't recognize. If this was you,\r\n\
                 please use the following code to confirm your identity:\r\n\r\n{code}\r\n\r\n\
                 If this wasn't you, please reset your password.\r\n"
            ),
        }
    }

    fn confirm_link(&self, public_url: &str, token: &str) -> String {
        format!("{public_url}/accounts/email/confirm?token={token}")
    }

    fn confirm_mail(&self, username: &str, link: &str, public_url: &str) -> Mail {
        Mail {
            subject: "Confirm your email address",
            body: format!(
                "Hi {username},\r\n\r\nConfirm your email address for your Sandbox account\r\n\
                 by opening this link:\r\n\r\nConfirm email address:\r\n{link}\r\n\r\n\
                 If you didn't ask for this, ignore this email.\r\n\r\n\
                 Unsubscribe: {public_url}/unsubscribe\r\n"
            ),
        }
    }
}
