//! First-run setup (`app/setup.rs`): the one-time setup page that creates
//! the workspace and its Owner, and the welcome page after it (back up the
//! master key).

use crate::WebState;
use crate::error::WebError;
use crate::extract::{Authed, ClientInfo, UiForm};
use crate::ui::{Page, redirect_with_cookie, render, session_cookie};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use orthrus_app::InvalidCode;
use orthrus_app::{AppError, LoginRequest, SessionKind};
use orthrus_core::{Action, SecretString};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    title: &'static str,
    error: Option<String>,
    token: String,
    workspace: String,
    name: String,
    email: String,
}

#[derive(Deserialize)]
struct SetupQuery {
    token: Option<String>,
}

async fn setup_page(
    State(s): State<WebState>,
    Query(q): Query<SetupQuery>,
) -> Result<Response, WebError> {
    if !s.app.setup_needed().await? {
        return Ok(Redirect::to("/login").into_response());
    }
    let token = q.token.unwrap_or_default();
    if !s.app.setup_token_accepted(&token).await? {
        return Err(WebError(AppError::invalid(
            InvalidCode::SetupBadToken,
            "this setup link is not valid: use the link `orthrus serve` printed (every node prints the same one until setup is done)",
        )));
    }
    render(&SetupPage {
        title: "Set up",
        error: None,
        token,
        workspace: String::new(),
        name: String::new(),
        email: String::new(),
    })
}

#[derive(Deserialize)]
struct SetupForm {
    token: String,
    workspace: String,
    name: String,
    email: String,
    password: String,
}

async fn setup_submit(
    State(s): State<WebState>,
    client: ClientInfo,
    UiForm(f): UiForm<SetupForm>,
) -> Result<Response, WebError> {
    if !s.app.setup_token_accepted(&f.token).await? {
        return Err(WebError(AppError::invalid(
            InvalidCode::SetupBadToken,
            "this setup link is not valid: use the link `orthrus serve` printed",
        )));
    }
    match s
        .app
        .bootstrap(&f.workspace, &f.email, &f.name, &f.password, &client.ip)
        .await
    {
        Ok(_) => {}
        Err(e @ AppError::Invalid { .. }) => {
            let mut r = render(&SetupPage {
                title: "Set up",
                error: Some(e.to_string()),
                token: f.token,
                workspace: f.workspace,
                name: f.name,
                email: f.email,
            })?;
            *r.status_mut() = StatusCode::BAD_REQUEST;
            return Ok(r);
        }
        Err(e) => return Err(e.into()),
    }
    // The seed goes; a user exists now, so the link is refused either way.
    if let Err(e) = s.app.setup_token_used().await {
        tracing::warn!(error = %e, "could not remove the used setup token's seed");
    }
    let out = s
        .app
        .login(LoginRequest {
            email: f.email,
            password: SecretString::new(f.password),
            totp: None,
            ip: client.ip,
            user_agent: client.user_agent,
            kind: SessionKind::Cookie,
        })
        .await?;
    // The first page says the workspace exists and asks for the one backup
    // nothing else can replace: the master key.
    Ok(redirect_with_cookie(
        "/welcome",
        session_cookie(&s, out.token.expose(), s.app.config().session_hours * 3600),
    ))
}

#[derive(Template)]
#[template(path = "welcome.html")]
struct WelcomePage {
    page: Page,
    workspace: String,
    /// The master key file, or `None` when it comes from the environment.
    key_file: Option<String>,
}

/// After first-run setup: the workspace exists; back up the master key
/// (docs/backup.md), with the command to do it.
/// Only those who run the workspace get the key's instructions.
async fn welcome(State(s): State<WebState>, a: Authed) -> Result<Response, WebError> {
    if !s.app.permits(&a.actor, Action::ManageWorkspaceSettings) {
        return Ok(Redirect::to("/").into_response());
    }
    render(&WelcomePage {
        page: Page::new(&s, &a, "Workspace ready", "accounts"),
        workspace: s.app.workspace_settings(&a.actor).await?.name,
        key_file: s.config.master_key_file.clone(),
    })
}

pub(crate) fn routes() -> Router<WebState> {
    Router::new()
        .route("/setup", get(setup_page).post(setup_submit))
        .route("/welcome", get(welcome))
}
