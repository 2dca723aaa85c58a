//! Two-factor settings: the authenticator set-up (QR code or the key,
//! confirmed by a first code, then recovery codes) and text-message MFA.

use super::mail::send_sms;
use super::{digits, settings_guard};
use crate::views::{AppSetup, Problem};
use crate::{Sandbox, random_bytes, random_digits, totp, unix_now};
use axum::Form;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

pub(crate) async fn mfa_settings(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    match settings_guard(&sb, &headers) {
        Ok((_, _, u)) => sb.views().mfa_settings(&u),
        Err(r) => *r,
    }
}

#[derive(Deserialize)]
pub(crate) struct SetupQuery {
    /// `?manual=1` (the sandbox's look).
    manual: Option<String>,
    /// `?method=manual` (Instagram's).
    method: Option<String>,
}

impl SetupQuery {
    /// The person asked for the key instead of the QR code.
    fn manual(&self) -> bool {
        self.manual.is_some() || self.method.as_deref() == Some("manual")
    }
}

pub(crate) async fn app_setup_page(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Query(q): Query<SetupQuery>,
) -> Response {
    let (_, _, u) = match settings_guard(&sb, &headers) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    if u.totp.is_some() {
        return sb.views().app_already_on(&u);
    }
    let secret = match u.totp_pending.clone() {
        Some(s) => s,
        None => {
            let secret = random_bytes(20);
            if let Some(user) = sb.state().users.get_mut(&u.username) {
                user.totp_pending = Some(secret.clone());
            }
            secret
        }
    };
    let qr_only = sb.state().behaviour.qr_only;
    sb.views().app_setup(&AppSetup {
        secret: &secret,
        username: &u.username,
        manual: q.manual(),
        qr_only,
        error: None,
    })
}

#[derive(Deserialize)]
pub(crate) struct CodeForm {
    #[serde(alias = "verificationCode")]
    code: String,
}

pub(crate) async fn app_setup_confirm(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Query(q): Query<SetupQuery>,
    Form(f): Form<CodeForm>,
) -> Response {
    let (sid, _, u) = match settings_guard(&sb, &headers) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let Some(secret) = u.totp_pending.clone() else {
        return sb.go(sb.paths().app_setup);
    };
    let Some(step) = totp::matching_step(&secret, &digits(&f.code), unix_now()) else {
        let qr_only = sb.state().behaviour.qr_only;
        return sb.views().app_setup(&AppSetup {
            secret: &secret,
            username: &u.username,
            manual: q.manual(),
            qr_only,
            error: Some(Problem::WrongSetupCode),
        });
    };
    let codes: Vec<String> = (0..5)
        .map(|_| {
            let d = random_digits(8);
            format!("{} {}", &d[..4], &d[4..])
        })
        .collect();
    {
        let mut db = sb.state();
        if let Some(user) = db.users.get_mut(&u.username) {
            user.totp = Some(secret);
            user.totp_pending = None;
            user.last_step = Some(step);
            user.recovery_codes = codes.clone();
        }
        if let Some(s) = db.sessions.get_mut(&sid) {
            s.fresh_codes = codes.clone();
        }
    }
    sb.views().app_enabled(&codes)
}

/// The recovery codes of the set-up just finished (a page of their own).
pub(crate) async fn recovery_codes_page(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    match settings_guard(&sb, &headers) {
        Ok((_, s, _)) if !s.fresh_codes.is_empty() => sb.views().recovery_codes(&s.fresh_codes),
        Ok(_) => sb.go(sb.paths().mfa_settings),
        Err(r) => *r,
    }
}

/// "Done": the codes are not shown again.
pub(crate) async fn recovery_codes_done(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    match settings_guard(&sb, &headers) {
        Ok((sid, _, _)) => {
            if let Some(s) = sb.state().sessions.get_mut(&sid) {
                s.fresh_codes.clear();
            }
            sb.go("/")
        }
        Err(r) => *r,
    }
}

pub(crate) async fn sms_setup_page(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    match settings_guard(&sb, &headers) {
        Ok((_, _, u)) if u.sms_phone.is_some() => sb.views().sms_already_on(&u),
        Ok((_, _, u)) => sb.views().sms_setup(u.sms_pending.is_some(), None),
        Err(r) => *r,
    }
}

#[derive(Deserialize)]
pub(crate) struct SmsForm {
    #[serde(alias = "phone_number")]
    phone: Option<String>,
    #[serde(alias = "verificationCode")]
    code: Option<String>,
}

pub(crate) async fn sms_setup(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Form(f): Form<SmsForm>,
) -> Response {
    let (_, _, u) = match settings_guard(&sb, &headers) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let views = sb.views();
    if let Some(code) = f.code {
        let Some((phone, expected)) = u.sms_pending.clone() else {
            return views.sms_setup(false, None);
        };
        if digits(&code) != expected {
            return views.sms_setup(true, Some(Problem::WrongSmsSetupCode));
        }
        if let Some(user) = sb.state().users.get_mut(&u.username) {
            user.sms_phone = Some(phone);
            user.sms_pending = None;
        }
        return views.sms_enabled();
    }
    let phone: String = f
        .phone
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    if !(phone.starts_with('+') && (8..=16).contains(&phone.len())) {
        return views.sms_setup(false, Some(Problem::InvalidPhone));
    }
    let code = random_digits(6);
    if let Some(user) = sb.state().users.get_mut(&u.username) {
        user.sms_pending = Some((phone.clone(), code.clone()));
    }
    match send_sms(&sb, &phone, &views.setup_text(&code)).await {
        Ok(()) => views.sms_setup(true, None),
        Err(e) => {
            tracing::warn!(error = %e, "sandbox could not send the set-up text");
            views.sms_setup(false, Some(Problem::TextNotSent))
        }
    }
}
