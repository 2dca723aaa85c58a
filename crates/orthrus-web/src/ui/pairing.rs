//! The page where a signed-in user approves a browser extension's pairing
//! request by picking the number the extension shows (number matching).
//! Reading the page changes nothing; the pick is a CSRF-checked POST.

use crate::WebState;
use crate::error::WebError;
use crate::extract::{Authed, UiForm};
use crate::ui::{Page, render};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use orthrus_app::AppError;
use serde::Deserialize;

pub(crate) fn routes() -> Router<WebState> {
    Router::new()
        .route("/extension/connect", get(connect_page))
        .route("/extension/connect/{id}", post(connect_decide))
}

/// Where to go after signing in, when the sign-in page was reached from an
/// extension's approval link: only that page, so `next` can never send
/// anyone elsewhere (no open redirect).
pub(crate) fn safe_next(next: Option<&str>) -> Option<String> {
    let n = next?.trim();
    let id = n.strip_prefix("/extension/connect?id=")?;
    (!id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .then(|| n.to_owned())
}

#[derive(Template)]
#[template(path = "extension_connect.html")]
struct ConnectPage {
    page: Page,
    id: String,
    browser: String,
    choices: Vec<i64>,
    expires_at: String,
    /// After a decision, or for a request that can no longer be decided.
    message: Option<String>,
    ok: bool,
    /// The identity check asks for the user's own 2FA code too.
    totp: bool,
    /// Why the last try did not go through (the prompt stays).
    error: Option<String>,
}

#[derive(Deserialize)]
struct ConnectQuery {
    id: String,
}

#[derive(Deserialize)]
struct ConnectForm {
    number: i64,
    /// The user's password (and code): approving mints a session, so it
    /// takes a fresh identity check.
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    totp: Option<String>,
}

fn closed(s: &WebState, a: &Authed, message: String, ok: bool) -> Result<Response, WebError> {
    render(&ConnectPage {
        page: Page::new(s, a, "Connect a browser extension", "extension"),
        id: String::new(),
        browser: String::new(),
        choices: Vec::new(),
        expires_at: String::new(),
        message: Some(message),
        ok,
        totp: a.actor.totp_enabled,
        error: None,
    })
}

/// "Connect <browser>?" with three numbers.
async fn connect_page(
    State(s): State<WebState>,
    a: Authed,
    Query(q): Query<ConnectQuery>,
) -> Result<Response, WebError> {
    prompt(&s, &a, &q.id, None).await
}

/// The prompt, with what went wrong on the last try.
async fn prompt(
    s: &WebState,
    a: &Authed,
    id: &str,
    error: Option<String>,
) -> Result<Response, WebError> {
    match s.app.pairing_prompt(&a.actor, id).await {
        Ok(p) => render(&ConnectPage {
            page: Page::new(s, a, "Connect a browser extension", "extension"),
            id: p.id,
            browser: p.browser,
            choices: p.choices,
            expires_at: p.expires_at.to_rfc3339(),
            message: None,
            ok: false,
            totp: a.actor.totp_enabled,
            error,
        }),
        Err(AppError::Extension(e)) => closed(s, a, e.to_string(), false),
        Err(e) => Err(e.into()),
    }
}

/// The pick: the right number connects the extension as this user, a
/// wrong one refuses it.
async fn connect_decide(
    State(s): State<WebState>,
    a: Authed,
    Path(id): Path<String>,
    UiForm(f): UiForm<ConnectForm>,
) -> Result<Response, WebError> {
    let confirm = crate::ui::dual::ConfirmForm {
        password: f.password.clone(),
        totp: f.totp.clone(),
    };
    let actor = match crate::ui::dual::confirmed(&s, &a, &confirm).await {
        Ok(actor) => actor,
        Err(WebError(e)) => return prompt(&s, &a, &id, Some(e.to_string())).await,
    };
    match s.app.decide_pairing(&actor, &id, f.number).await {
        Err(AppError::StepUpRequired) => {
            prompt(
                &s,
                &a,
                &id,
                Some("Enter your password to approve the connection.".into()),
            )
            .await
        }
        Ok(true) => closed(
            &s,
            &a,
            "Connected. The extension signs in as you in a moment; you can disconnect it under My security.".into(),
            true,
        ),
        Ok(false) => closed(
            &s,
            &a,
            "That was not the number the extension showed, so the connection was refused. Start again from the extension if it was yours.".into(),
            false,
        ),
        Err(AppError::Extension(e)) => closed(&s, &a, e.to_string(), false),
        Err(e) => Err(e.into()),
    }
}
