//! The Instagram replica: Instagram's web pages as its public site showed
//! them in 2026-12, reduced to what a recipe can hold on to. Its class names
//! are regenerated with every release, so there are none here (and no ids
//! but the sign-in form's `loginForm`): recipes find things by `name`,
//! `aria-label`, `role` and the words on buttons and headings, exactly the
//! hooks below. Errors are `<div role="alert">`, notes `<div role="status">`,
//! buttons hold their words in a `<div>` as Instagram's do.

use super::{AppSetup, Mail, Paths, Problem, SecondFactor, Views, captcha_letters, esc, qr_svg};
use crate::{User, totp};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

pub(crate) struct InstagramLook;

static PATHS: Paths = Paths {
    login: "/accounts/login/",
    captcha: "/challenge/captcha/",
    challenge: "/challenge/",
    two_factor: "/accounts/login/two_factor",
    signed_in: "/accounts/onetap/?next=%2F",
    mfa_settings: "/accounts/two_factor_authentication/",
    app_setup: "/accounts/two_factor_authentication/app/",
    session_cookie: "sessionid",
    device_cookie: "ig_did",
    redirect: StatusCode::FOUND,
};

/// Where the recovery codes are shown after the authenticator set-up.
pub(crate) const RECOVERY_CODES: &str = "/accounts/two_factor_authentication/app/done/";

const STYLE: &str = "body{font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;\
     background:#fafafa;color:#262626;max-width:350px;margin:0 auto;padding:0 16px;font-size:14px}\
     header{padding:16px 0;text-align:center}header a{font:28px cursive;color:#262626;text-decoration:none}\
     nav{text-align:center}main{background:#fff;border:1px solid #dbdbdb;padding:20px 32px;margin:12px 0}\
     h1,h2{font-size:16px;text-align:center}p{color:#737373;text-align:center}\
     input{display:block;width:100%;box-sizing:border-box;margin:6px 0;padding:9px 8px;background:#fafafa;\
     border:1px solid #dbdbdb;border-radius:3px}input[type=radio]{display:inline;width:auto}\
     button{display:block;width:100%;margin:8px 0;padding:7px 16px;border:0;border-radius:8px;\
     background:#0095f6;color:#fff;font-weight:600;cursor:pointer}button[type=button]{background:#efefef;color:#000}\
     a[role=button]{display:block;margin:8px 0;padding:7px;border:1px solid #dbdbdb;border-radius:8px;\
     text-align:center;color:#0095f6;text-decoration:none}\
     [role=alert]{color:#ed4956;text-align:center;margin:10px 0}[role=status]{text-align:center;margin:10px 0}\
     svg{display:block;margin:12px auto}span[aria-label]{display:block;text-align:center;font:16px monospace}\
     ul{list-style:none;padding:0;text-align:center;font:16px monospace}";

/// A whole page: `body` after the header.
fn document(body: &str) -> Response {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Instagram</title><style>{STYLE}</style></head><body>\
         <header><a href=\"/\" aria-label=\"Instagram\">Instagram</a></header>{body}</body></html>"
    ))
    .into_response()
}

/// A page whose content is `main`.
fn page(main: &str) -> Response {
    document(&format!("<main>{main}</main>"))
}

fn button(words: &str) -> String {
    format!("<button type=\"submit\"><div>{words}</div></button>")
}

/// `s` as element content: apostrophes stay as they are, as in the texts
/// Instagram writes (only attributes need more, see [`esc`]).
fn text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn status(words: &str) -> String {
    format!("<div role=\"status\">{}</div>", text(words))
}

/// `jane@example.com` as Instagram shows it: `j***@e******.com`.
fn mask(email: &str) -> String {
    let Some((local, domain)) = email.split_once('@') else {
        return "your email".into();
    };
    let first: String = local.chars().take(1).collect();
    let (name, tld) = domain.rsplit_once('.').unwrap_or((domain, ""));
    let mut masked: String = name.chars().take(1).collect();
    masked.extend(name.chars().skip(1).map(|_| '*'));
    if tld.is_empty() {
        format!("{first}***@{masked}")
    } else {
        format!("{first}***@{masked}.{tld}")
    }
}

/// A profile address: `/name/`, the name escaped for a path.
fn profile_path(username: &str) -> String {
    let seg: String = username
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("/{seg}/")
}

/// "in 3 days", or "in 5 hours" under a day.
fn wait_words(secs: u64) -> String {
    if secs < 86_400 {
        let h = secs.div_ceil(3600).max(1);
        format!("{h} {}", if h == 1 { "hour" } else { "hours" })
    } else {
        let d = secs.div_ceil(86_400);
        format!("{d} {}", if d == 1 { "day" } else { "days" })
    }
}

/// The status of the two-factor settings (also what the set-up shows when
/// the authenticator is on already).
fn mfa_status(u: &User) -> Response {
    let app = if u.totp.is_some() {
        "<p>Authentication app: On</p>".to_owned()
    } else {
        "<a href=\"/accounts/two_factor_authentication/app/\" role=\"button\">Authentication app</a>"
            .to_owned()
    };
    let sms = if u.sms_phone.is_some() {
        "<p>Text message: On</p>"
    } else {
        "<a href=\"/accounts/two_factor_authentication/sms/\" role=\"button\">Text message</a>"
    };
    let on = if u.totp.is_some() || u.sms_phone.is_some() {
        "on"
    } else {
        "off"
    };
    page(&format!(
        "<h2>Two-factor authentication</h2><p>Two-factor authentication is {on}.</p>{app}{sms}"
    ))
}

/// The key as the set-up shows it, or the QR code.
fn setup_how(v: &AppSetup<'_>) -> String {
    if v.manual && !v.qr_only {
        return format!(
            "<p>Copy this key and paste it into your authentication app.</p>\
             <span aria-label=\"Key\">{}</span><button type=\"button\"><div>Copy key</div></button>",
            totp::display_key(v.secret)
        );
    }
    let svg = qr_svg(v.secret, "Instagram", v.username);
    // Inline: without the XML declaration, named for assistive technology.
    let svg = svg
        .find("<svg")
        .map_or(svg.as_str(), |i| &svg[i..])
        .replacen("<svg", "<svg role=\"img\" aria-label=\"QR code\"", 1);
    let another_way = if v.qr_only {
        ""
    } else {
        "<p><a href=\"/accounts/two_factor_authentication/app/?method=manual\" role=\"button\">Set up another way</a></p>"
    };
    format!("<p>Scan this QR code with your authentication app.</p>{svg}{another_way}")
}

impl InstagramLook {
    fn alert(&self, p: Option<Problem>) -> String {
        p.map(|p| format!("<div role=\"alert\">{}</div>", text(self.problem(p))))
            .unwrap_or_default()
    }
}

impl Views for InstagramLook {
    fn paths(&self) -> &'static Paths {
        &PATHS
    }

    fn problem(&self, p: Problem) -> &'static str {
        match p {
            Problem::UnknownUser => {
                "The username you entered doesn't belong to an account. Please check your username and try again."
            }
            Problem::WrongPassword => {
                "Sorry, your password was incorrect. Please double-check your password."
            }
            Problem::WrongCaptcha => "The characters you entered didn't match. Please try again.",
            Problem::WrongChallengeCode => "Please check the code we sent you and try again.",
            Problem::CodeNotSent => "We couldn't send the security code. Please try again later.",
            Problem::WrongTwoFactorCode => "Please check the security code and try again.",
            Problem::TwoFactorCodeUsed => {
                "This code was already used. Please wait for a new code and try again."
            }
            Problem::TextNotSent => "We couldn't send a text message. Please try again later.",
            Problem::WrongSetupCode | Problem::WrongSmsSetupCode => {
                "That code didn't work. Please try again."
            }
            Problem::InvalidPhone => {
                "Please enter a valid phone number, with its country code (like +1 415 555 0123)."
            }
            Problem::OldPasswordWrong => {
                "Your old password was entered incorrectly. Please enter it again."
            }
            Problem::PasswordsDiffer => "Please make sure both passwords match.",
            Problem::PasswordTooShort => "Your password must be at least 6 characters.",
            Problem::PasswordTooLong => "This password is too long. Choose a shorter one.",
            Problem::PasswordNotNew => "Create a new password you haven't used before.",
            Problem::InvalidEmail => "Enter a valid email address.",
            Problem::LinkNotSent => {
                "We couldn't send the confirmation email. Please try again later."
            }
            Problem::LinkExpired => "This link has expired or is invalid.",
        }
    }

    fn brand(&self) -> &'static str {
        "Instagram"
    }

    fn min_password_len(&self) -> usize {
        6
    }

    fn login(&self, error: Option<Problem>) -> Response {
        page(&format!(
            "<form id=\"loginForm\" method=\"post\">\
             <input name=\"username\" type=\"text\" aria-label=\"Phone number, username, or email\" \
             autocomplete=\"username\" autocapitalize=\"off\" aria-required=\"true\" maxlength=\"75\">\
             <input name=\"password\" type=\"password\" aria-label=\"Password\" \
             autocomplete=\"current-password\" aria-required=\"true\">{}</form>{}",
            button("Log in"),
            self.alert(error)
        ))
    }

    fn home(&self, username: &str) -> Response {
        let name = esc(username);
        document(&format!(
            "<nav aria-label=\"Primary\"><a href=\"/\" aria-label=\"Home\">Home</a> \
             <a href=\"{}\" aria-label=\"Profile\">Profile</a></nav>\
             <main><h1>{name}</h1>\
             <p><a href=\"/accounts/edit/\">Edit profile</a></p>\
             <p><a href=\"/accounts/password/change/\">Change password</a></p>\
             <p><a href=\"/accounts/two_factor_authentication/\">Two-factor authentication</a></p></main>\
             <form method=\"post\" action=\"/accounts/logout/\">{}</form>",
            esc(&profile_path(username)),
            button("Log out")
        ))
    }

    fn captcha(&self, answer: &str, error: Option<Problem>) -> Response {
        page(&format!(
            "<h2>Help us confirm it's you</h2>\
             <svg width=\"200\" height=\"50\" role=\"img\" aria-label=\"CAPTCHA\" font-size=\"24\" font-family=\"serif\">{}</svg>\
             <form method=\"post\" action=\"/challenge/captcha/\">{}\
             <input name=\"captcha_response\" type=\"text\" aria-label=\"Type the characters you see\" autocomplete=\"off\">{}</form>",
            captcha_letters(answer),
            self.alert(error),
            button("Next")
        ))
    }

    fn challenge(&self, email: &str, sent: bool, error: Option<Problem>) -> Response {
        let to = esc(&mask(email));
        if sent {
            page(&format!(
                "<h2>Enter Your Security Code</h2><p>Enter the 6-digit code we sent to {to}</p>\
                 <form method=\"post\" action=\"/challenge/\">{}\
                 <input name=\"security_code\" type=\"text\" aria-label=\"Security code\" inputmode=\"numeric\" \
                 autocomplete=\"one-time-code\">{}</form>\
                 <p>Didn't get a security code? <a href=\"/challenge/replay/\">Get a new one</a></p>",
                self.alert(error),
                button("Submit")
            ))
        } else {
            page(&format!(
                "<h2>Suspicious Login Attempt</h2>\
                 <p>We detected an unusual login attempt. To secure your account, we'll send you a security code to verify your identity.</p>\
                 <form method=\"post\" action=\"/challenge/\">{}\
                 <label><input type=\"radio\" name=\"choice\" value=\"1\" checked> Email: {to}</label>{}</form>",
                self.alert(error),
                button("Send Security Code")
            ))
        }
    }

    fn two_factor(&self, how: SecondFactor<'_>, error: Option<Problem>) -> Response {
        let what = match how {
            SecondFactor::App => {
                "Enter the 6-digit code generated by your authentication app.".to_owned()
            }
            SecondFactor::Sms { phone } => {
                let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
                let tail: String = digits[digits.len().saturating_sub(2)..].iter().collect();
                format!("Enter the 6-digit code we sent to your number ending in {tail}.")
            }
        };
        page(&format!(
            "<h2>Two-factor authentication</h2><p>{what}</p>\
             <form method=\"post\" action=\"/accounts/login/two_factor\">{}\
             <input name=\"verificationCode\" type=\"text\" aria-label=\"Security Code\" inputmode=\"numeric\" \
             autocomplete=\"one-time-code\">{}</form>\
             <p>If you can't get a code, you can use one of your backup codes.</p>",
            self.alert(error),
            button("Confirm")
        ))
    }

    fn settings_locked(&self, secs_left: u64) -> Response {
        page(&format!(
            "<h2>You can't access certain settings for a few days</h2>\
             <p>To help keep your account secure, some settings are unavailable for a few days \
             after you log in on a new device. Try again in {}.</p>",
            wait_words(secs_left)
        ))
    }

    fn mfa_settings(&self, u: &User) -> Response {
        mfa_status(u)
    }

    fn app_already_on(&self, u: &User) -> Response {
        mfa_status(u)
    }

    fn app_setup(&self, v: &AppSetup<'_>) -> Response {
        let action = if v.manual && !v.qr_only {
            "/accounts/two_factor_authentication/app/?method=manual"
        } else {
            "/accounts/two_factor_authentication/app/"
        };
        page(&format!(
            "<h2>Set up two-factor authentication</h2>{}\
             <form method=\"post\" action=\"{action}\">{}\
             <input name=\"verificationCode\" type=\"text\" aria-label=\"Enter confirmation code\" inputmode=\"numeric\" \
             autocomplete=\"one-time-code\">{}</form>",
            setup_how(v),
            self.alert(v.error),
            button("Next")
        ))
    }

    fn app_enabled(&self, _codes: &[String]) -> Response {
        // The codes wait in the session; their page has its own address.
        (
            PATHS.redirect,
            [(axum::http::header::LOCATION, RECOVERY_CODES)],
        )
            .into_response()
    }

    fn recovery_codes(&self, codes: &[String]) -> Response {
        let items: String = codes
            .iter()
            .map(|c| format!("<li>{}</li>", esc(c)))
            .collect();
        page(&format!(
            "<h2>Two-factor authentication is on</h2>\
             <p>Save your recovery codes. You can use them to log in if you lose access to your authentication app.</p>\
             <ul aria-label=\"Recovery codes\">{items}</ul>\
             <form method=\"post\" action=\"{RECOVERY_CODES}\">{}</form>",
            button("Done")
        ))
    }

    fn sms_already_on(&self, u: &User) -> Response {
        mfa_status(u)
    }

    fn sms_setup(&self, code_sent: bool, error: Option<Problem>) -> Response {
        let (what, field) = if code_sent {
            (
                "Enter the 6-digit code we sent to your phone number.",
                "<input name=\"verificationCode\" type=\"text\" aria-label=\"Enter confirmation code\" \
                 inputmode=\"numeric\" autocomplete=\"one-time-code\">",
            )
        } else {
            (
                "Enter your phone number with its country code. We'll text you a confirmation code.",
                "<input name=\"phone_number\" type=\"tel\" aria-label=\"Phone number\" autocomplete=\"tel\">",
            )
        };
        page(&format!(
            "<h2>Text message</h2><p>{what}</p>\
             <form method=\"post\" action=\"/accounts/two_factor_authentication/sms/\">{}{field}{}</form>",
            self.alert(error),
            button("Next")
        ))
    }

    fn sms_enabled(&self) -> Response {
        page(
            "<h2>Two-factor authentication is on</h2>\
             <p>We'll text a security code to your phone number when you log in.</p>\
             <a href=\"/\" role=\"button\">Done</a>",
        )
    }

    fn password(&self, error: Option<Problem>) -> Response {
        password_page(&self.alert(error))
    }

    fn password_changed(&self) -> Response {
        password_page(&status("Password changed."))
    }

    fn email(&self, current: &str, error: Option<Problem>) -> Response {
        email_page(current, &self.alert(error))
    }

    fn email_sent(&self, current: &str, new: &str) -> Response {
        email_page(
            current,
            &status(&format!(
                "We sent a confirmation email to {}. Tap the link in that email to confirm your new address.",
                mask(new)
            )),
        )
    }

    fn email_confirmed(&self, _new: &str) -> Response {
        page("<h2>Email confirmed</h2><p>Thanks! You've confirmed your email address.</p>")
    }

    fn email_link_invalid(&self) -> Response {
        page(&self.alert(Some(Problem::LinkExpired)))
    }

    fn challenge_mail(&self, username: &str, code: &str) -> Mail {
        // Short lines: the mail goes out as 7bit, readable as it is.
        Mail {
            subject: "Verify your account",
            body: format!(
                "Hi {username},\r\n\r\n\
                 We detected an unusual login attempt from a device\r\n\
                 we don't recognize. To secure your account,\r\n\
                 enter this security code to verify your identity:\r\n\r\n\
                 {code}\r\n\r\n\
                 If this wasn't you, please change your password.\r\n\r\n\
                 Thanks,\r\nThe Instagram Team\r\n"
            ),
        }
    }

    fn confirm_link(&self, public_url: &str, token: &str) -> String {
        format!("{public_url}/accounts/confirm_email/{token}/")
    }

    fn confirm_mail(&self, username: &str, link: &str, _public_url: &str) -> Mail {
        Mail {
            subject: "Confirm your email address for Instagram",
            body: format!(
                "Hi {username},\r\n\r\n\
                 Please confirm the new email address on your\r\n\
                 Instagram account by tapping the link below:\r\n\r\n\
                 {link}\r\n\r\n\
                 If you didn't ask to change your email, you can\r\n\
                 ignore this message.\r\n\r\n\
                 Thanks,\r\nThe Instagram Team\r\n"
            ),
        }
    }

    fn onetap(&self) -> Response {
        let form = |save: &str, words: &str| {
            format!(
                "<form method=\"post\" action=\"/accounts/onetap/?next=%2F\">{save}{}</form>",
                button(words)
            )
        };
        page(&format!(
            "<h2>Save your login info?</h2>\
             <p>We can save your login info on this browser so you don't need to enter it again.</p>{}{}",
            form(
                "<input type=\"hidden\" name=\"save\" value=\"1\">",
                "Save info"
            ),
            form("", "Not now")
        ))
    }

    fn profile(&self, username: Option<&str>) -> Response {
        match username {
            Some(u) => page(&format!("<h1>{}</h1>", esc(u))),
            None => (
                StatusCode::NOT_FOUND,
                page(
                    "<h2>Sorry, this page isn't available.</h2>\
                     <p>The link you followed may be broken, or the page may have been removed.</p>",
                ),
            )
                .into_response(),
        }
    }
}

fn password_page(note: &str) -> Response {
    page(&format!(
        "<h2>Change password</h2>{note}\
         <form method=\"post\" action=\"/accounts/password/change/\">\
         <input name=\"cppOldPassword\" type=\"password\" aria-label=\"Current password\" autocomplete=\"current-password\">\
         <input name=\"cppNewPassword\" type=\"password\" aria-label=\"New password\" autocomplete=\"new-password\">\
         <input name=\"cppConfirmPassword\" type=\"password\" aria-label=\"Re-type new password\" autocomplete=\"new-password\">\
         {}</form>",
        button("Change password")
    ))
}

fn email_page(current: &str, note: &str) -> Response {
    page(&format!(
        "<h2>Edit profile</h2>{note}\
         <form method=\"post\" action=\"/accounts/edit/\">\
         <input name=\"email\" type=\"email\" aria-label=\"Email\" value=\"{}\" autocomplete=\"email\">{}</form>",
        esc(current),
        button("Submit")
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn addresses_and_waits_read_as_instagram_writes_them() {
        assert_eq!(super::mask("jane@example.com"), "j***@e******.com");
        assert_eq!(super::mask("brand@inbox.test"), "b***@i****.test");
        assert_eq!(super::wait_words(3 * 86_400), "3 days");
        assert_eq!(super::wait_words(86_401), "2 days");
        assert_eq!(super::wait_words(86_400), "1 day");
        assert_eq!(super::wait_words(1), "1 hour");
        assert_eq!(super::wait_words(5 * 3600 - 10), "5 hours");
        assert_eq!(super::profile_path("a b"), "/a%20b/");
    }
}
