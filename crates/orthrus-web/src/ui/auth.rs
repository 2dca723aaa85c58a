//! The sign-in page: email and password (and the user's own code), and
//! "Sign in with <provider>" when single sign-on is on. With `sso_only`
//! the password form is behind a small link for the break-glass Owners.

use crate::WebState;
use crate::error::WebError;
use crate::extract::{ClientInfo, UiForm};
use crate::ui::{redirect_with_cookie, render, session_cookie};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use orthrus_app::{AppError, LoginRequest, SessionKind};
use orthrus_core::SecretString;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
pub(crate) struct LoginPage {
    title: &'static str,
    error: Option<String>,
    /// The refusal's stable code (`data-error-code` on the message), for
    /// scripts and tests.
    error_code: &'static str,
    email: String,
    ask_totp: bool,
    /// Where to go after signing in (an extension's approval page), or "".
    next: String,
    /// "Sign in with <provider>" (None: single sign-on is off).
    sso: Option<String>,
    /// Where the provider's button leads (`/sso/start?next=…`).
    sso_href: String,
    /// The email and password form is shown (not with `sso_only`, unless
    /// asked for with `?password=1`).
    password_form: bool,
}

impl LoginPage {
    pub(crate) fn new(s: &WebState, next: String) -> Self {
        let sso = s.app.sso_info();
        Self {
            title: "Sign in",
            error: None,
            error_code: "",
            email: String::new(),
            ask_totp: false,
            password_form: !sso.as_ref().is_some_and(|i| i.sso_only),
            sso_href: sso_href(&next),
            sso: sso.map(|i| i.provider_name),
            next,
        }
    }

    /// The page with a refusal said on it, answered with its status.
    pub(crate) fn refused(mut self, e: &AppError) -> Result<Response, WebError> {
        self.error = Some(e.to_string());
        self.error_code = e.code();
        let mut r = render(&self)?;
        *r.status_mut() = crate::error::status_of(e);
        Ok(r)
    }
}

/// `/sso/start`, carrying `next` when there is one.
fn sso_href(next: &str) -> String {
    if next.is_empty() {
        return "/sso/start".into();
    }
    let q: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("next", next)
        .finish();
    format!("/sso/start?{q}")
}

#[derive(Deserialize)]
pub(crate) struct LoginQuery {
    next: Option<String>,
    /// `1`: show the password form although password sign-in is off
    /// (for the break-glass Owners).
    password: Option<String>,
}

pub(crate) async fn login_page(
    State(s): State<WebState>,
    Query(q): Query<LoginQuery>,
) -> Result<Response, WebError> {
    if s.app.setup_needed().await? {
        return Ok(Html(crate::ui::error_page(StatusCode::OK, "Orthrus is not set up yet: open the setup link that `orthrus serve` printed when it started.", "-")).into_response());
    }
    let mut page = LoginPage::new(
        &s,
        crate::ui::pairing::safe_next(q.next.as_deref()).unwrap_or_default(),
    );
    page.password_form |= q.password.as_deref() == Some("1");
    render(&page)
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    email: String,
    password: String,
    totp: Option<String>,
    next: Option<String>,
}

pub(crate) async fn login_submit(
    State(s): State<WebState>,
    client: ClientInfo,
    UiForm(f): UiForm<LoginForm>,
) -> Result<Response, WebError> {
    let req = LoginRequest {
        email: f.email.clone(),
        password: SecretString::new(f.password),
        totp: f.totp.clone(),
        ip: client.ip,
        user_agent: client.user_agent,
        kind: SessionKind::Cookie,
    };
    let next = crate::ui::pairing::safe_next(f.next.as_deref()).unwrap_or_default();
    let mut page = LoginPage::new(&s, next.clone());
    page.email = f.email;
    page.password_form = true;
    match s.app.login(req).await {
        Ok(out) => {
            let cookie =
                session_cookie(&s, out.token.expose(), s.app.config().session_hours * 3600);
            Ok(redirect_with_cookie(
                if out.must_enroll_2fa {
                    "/security"
                } else if !next.is_empty() {
                    &next
                } else {
                    "/"
                },
                cookie,
            ))
        }
        Err(AppError::TotpRequired) => {
            page.ask_totp = true;
            let mut r = render(&page)?;
            *r.status_mut() = StatusCode::UNAUTHORIZED;
            Ok(r)
        }
        Err(e @ (AppError::InvalidCredentials | AppError::Throttled { .. } | AppError::Sso(_))) => {
            page.ask_totp = f.totp.is_some();
            page.refused(&e)
        }
        Err(e) => Err(e.into()),
    }
}
