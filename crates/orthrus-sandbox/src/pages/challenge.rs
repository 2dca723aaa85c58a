//! The checks between the password and the second factor: the CAPTCHA and
//! the "suspicious login attempt" challenge with a code sent by email.

use super::mail::send_mail;
use super::{advance, at_stage, digits, random_word};
use crate::views::Problem;
use crate::{Sandbox, Session, Stage, random_digits, unix_now};
use axum::Form;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

fn at_challenge(stage: &Stage) -> bool {
    matches!(stage, Stage::Challenge { .. })
}

pub(crate) async fn challenge_page(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    match at_stage(&sb, &headers, at_challenge) {
        Ok((_, s, u)) => sb.views().challenge(
            &u.email,
            matches!(s.stage, Stage::Challenge { code: Some(_) }),
            None,
        ),
        Err(r) => *r,
    }
}

pub(crate) async fn challenge_send(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    send_code(&sb, &headers).await
}

/// Emails a new security code (the one before it no longer works).
pub(crate) async fn send_code(sb: &Sandbox, headers: &HeaderMap) -> Response {
    let (sid, _, u) = match at_stage(sb, headers, at_challenge) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let mut code = random_digits(6);
    while u.used_challenge_code.as_ref() == Some(&code) {
        code = random_digits(6);
    }
    if let Some(s) = sb.state().sessions.get_mut(&sid) {
        s.stage = Stage::Challenge {
            code: Some(code.clone()),
        };
    }
    let views = sb.views();
    let mail = views.challenge_mail(&u.username, &code);
    match send_mail(sb, &u.email, mail.subject, &mail.body).await {
        Ok(()) => views.challenge(&u.email, true, None),
        Err(e) => {
            tracing::warn!(error = %e, "sandbox could not send the security code");
            views.challenge(&u.email, false, Some(Problem::CodeNotSent))
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct ChallengeForm {
    security_code: String,
}

pub(crate) async fn challenge_verify(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Form(f): Form<ChallengeForm>,
) -> Response {
    verify_code(&sb, &headers, &f.security_code)
}

/// Checks the emailed code; a right one makes the device known.
pub(crate) fn verify_code(sb: &Sandbox, headers: &HeaderMap, given: &str) -> Response {
    let (sid, s, u) = match at_stage(sb, headers, at_challenge) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let Stage::Challenge { code: Some(code) } = &s.stage else {
        return sb.views().challenge(&u.email, false, None);
    };
    if digits(given) != *code {
        return sb
            .views()
            .challenge(&u.email, true, Some(Problem::WrongChallengeCode));
    }
    if let Some(user) = sb.state().users.get_mut(&u.username) {
        user.devices
            .entry(s.device.clone())
            .or_insert_with(unix_now);
        user.used_challenge_code = Some(code.clone());
    }
    advance(sb, &sid)
}

/// The form's `choice` (where to send the code) is not read: the only
/// choice is the email address.
#[derive(Deserialize)]
pub(crate) struct ChallengePost {
    security_code: Option<String>,
}

/// One address for both steps (as Instagram's `/challenge/`): a code when
/// one is typed, else a request to send one.
pub(crate) async fn challenge_post(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Form(f): Form<ChallengePost>,
) -> Response {
    match f.security_code {
        Some(code) => verify_code(&sb, &headers, &code),
        None => send_code(&sb, &headers).await,
    }
}

/// "Get a new one": back to the choice, the code sent before no longer
/// works; sending takes the button (a link must not send mail).
pub(crate) async fn challenge_replay(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    let (sid, _, _) = match at_stage(&sb, &headers, at_challenge) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    if let Some(s) = sb.state().sessions.get_mut(&sid) {
        s.stage = Stage::Challenge { code: None };
    }
    sb.go(sb.paths().challenge)
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
        )) => sb.views().captcha(&answer, None),
        Ok(_) => sb.go("/"),
        Err(r) => *r,
    }
}

#[derive(Deserialize)]
pub(crate) struct CaptchaForm {
    #[serde(alias = "captcha_response")]
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
        return sb.go("/");
    };
    if f.answer.trim().to_lowercase() != *answer {
        let w = random_word();
        if let Some(sess) = sb.state().sessions.get_mut(&sid) {
            sess.stage = Stage::Captcha { answer: w.clone() };
        }
        return sb.views().captcha(&w, Some(Problem::WrongCaptcha));
    }
    advance(&sb, &sid)
}
