//! The test control endpoints under `/__sandbox/`: the same JSON whatever
//! the look (tests create and read users, set the behaviour, reset).

use crate::{Behaviour, Sandbox, Stage, State as Db, User, totp};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

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

/// Ends every session of a user, as "log out of all sessions" does in a
/// real app (a browser that kept its cookies must sign in again).
pub(crate) async fn control_sign_out(
    State(sb): State<Sandbox>,
    Path(username): Path<String>,
) -> StatusCode {
    let name = username.to_lowercase();
    let mut db = sb.state();
    if !db.users.contains_key(&name) {
        return StatusCode::NOT_FOUND;
    }
    db.sessions.retain(|_, s| s.username.to_lowercase() != name);
    StatusCode::NO_CONTENT
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
