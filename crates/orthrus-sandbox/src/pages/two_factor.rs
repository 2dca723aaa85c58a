//! The second factor at sign-in: an authenticator code (a step already
//! used is refused), a texted code, or a recovery code (each once).

use super::mail::send_sms;
use super::{advance, at_stage, digits};
use crate::views::{Problem, SecondFactor};
use crate::{Sandbox, Stage, User, random_digits, totp, unix_now};
use axum::Form;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

fn at_two_factor(stage: &Stage) -> bool {
    matches!(stage, Stage::TwoFactor { .. })
}

/// How this user's code arrives: the authenticator when they have one.
fn second_factor(u: &User) -> SecondFactor<'_> {
    match (&u.totp, &u.sms_phone) {
        (None, Some(phone)) => SecondFactor::Sms { phone },
        _ => SecondFactor::App,
    }
}

pub(crate) async fn two_factor_page(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    let (sid, s, u) = match at_stage(&sb, &headers, at_two_factor) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let views = sb.views();
    if u.totp.is_none()
        && let (Some(phone), Stage::TwoFactor { sms_code: None }) = (&u.sms_phone, &s.stage)
    {
        let code = random_digits(6);
        if let Some(sess) = sb.state().sessions.get_mut(&sid) {
            sess.stage = Stage::TwoFactor {
                sms_code: Some(code.clone()),
            };
        }
        if let Err(e) = send_sms(&sb, phone, &views.sign_in_text(&code)).await {
            tracing::warn!(error = %e, "sandbox could not send the sign-in text");
            return views.two_factor(second_factor(&u), Some(Problem::TextNotSent));
        }
    }
    views.two_factor(second_factor(&u), None)
}

#[derive(Deserialize)]
pub(crate) struct TwoFactorForm {
    #[serde(alias = "verificationCode")]
    verification_code: String,
}

pub(crate) async fn two_factor(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Form(f): Form<TwoFactorForm>,
) -> Response {
    let (sid, s, u) = match at_stage(&sb, &headers, at_two_factor) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let views = sb.views();
    let given = digits(&f.verification_code);
    let mut db = sb.state();
    let refuse_app_codes = db.behaviour.refuse_app_codes;
    let Some(user) = db.users.get_mut(&u.username) else {
        return sb.go(sb.paths().login);
    };
    if let Some(secret) = user.totp.as_ref().filter(|_| !refuse_app_codes)
        && let Some(step) = totp::matching_step(secret, &given, unix_now())
    {
        if user.last_step.is_some_and(|last| step <= last) {
            return views.two_factor(SecondFactor::App, Some(Problem::TwoFactorCodeUsed));
        }
        user.last_step = Some(step);
    } else if matches!(&s.stage, Stage::TwoFactor { sms_code: Some(c) } if *c == given) {
    } else if let Some(i) = user.recovery_codes.iter().position(|c| digits(c) == given) {
        user.recovery_codes.remove(i);
    } else {
        return views.two_factor(second_factor(user), Some(Problem::WrongTwoFactorCode));
    }
    drop(db);
    advance(&sb, &sid)
}
