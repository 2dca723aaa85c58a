//! Server-rendered pages (askama + htmx), one module per feature of
//! `orthrus-app`; this module merges their routes and holds what every page
//! shares: the page frame, form errors, flash messages, error pages.

pub(crate) mod access;
pub(crate) mod accounts;
mod audit;
pub(crate) mod auth;
mod autofill;
pub(crate) mod automation;
pub(crate) mod backup;
mod device_approval;
pub(crate) mod dual;
mod inbox;
pub(crate) mod invitations;
pub(crate) mod otp;
pub(crate) mod pairing;
mod setup;
mod sso;
pub(crate) mod step_up;
mod teams;
mod twofactor;
mod users;
pub(crate) mod words;

use crate::WebState;
use crate::error::WebError;
use crate::extract::{Authed, SESSION_COOKIE};
use askama::Template;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use orthrus_app::AppError;
use orthrus_core::Action;

pub(crate) fn routes() -> Router<WebState> {
    Router::new()
        .merge(auth::routes())
        .merge(setup::routes())
        .merge(users::routes())
        .merge(twofactor::routes())
        .merge(autofill::routes())
        .merge(accounts::routes())
        .merge(step_up::routes())
        .merge(audit::routes())
        .merge(otp::routes())
        .merge(backup::routes())
        .merge(device_approval::routes())
        .merge(dual::routes())
        .merge(automation::routes())
        .merge(inbox::routes())
        .merge(invitations::routes())
        .merge(sso::routes())
        .merge(access::routes())
        .merge(teams::routes())
        .merge(pairing::routes())
}

/// What every signed-in page shows.
pub(crate) struct Page {
    pub title: String,
    pub nav: &'static str,
    pub user_name: String,
    pub user_email: String,
    pub role_label: &'static str,
    pub is_admin: bool,
    /// May find accounts and ask for access (the Requests page too).
    pub may_request: bool,
    /// May see the Teams page (everyone but Guests).
    pub may_view_teams: bool,
    pub csrf: String,
    pub flash: Option<String>,
}

impl Page {
    pub(crate) fn new(s: &WebState, a: &Authed, title: &str, nav: &'static str) -> Self {
        Self {
            title: title.to_owned(),
            nav,
            user_name: a.actor.name.clone(),
            user_email: a.actor.email.clone(),
            role_label: a.actor.role.label(),
            is_admin: s.app.permits(&a.actor, Action::ViewAudit),
            may_request: s.app.permits(&a.actor, Action::RequestAccess),
            may_view_teams: s.app.permits(&a.actor, Action::ViewTeams),
            csrf: a
                .cookie_token
                .as_deref()
                .map(|t| s.app.csrf_token(t))
                .unwrap_or_default(),
            flash: None,
        }
    }
}

/// Labels of the accounts the caller can see, by id: every account for
/// those who may list them all, else their own. Asks for the second list
/// only when the first is refused.
pub(crate) async fn account_labels(
    s: &WebState,
    a: &Authed,
) -> Result<std::collections::HashMap<String, String>, WebError> {
    let all = match s.app.list_accounts(&a.actor, true).await {
        Ok(v) => v,
        Err(_) => s.app.list_accounts(&a.actor, false).await?,
    };
    Ok(all.into_iter().map(|x| (x.id, x.label)).collect())
}

/// What went wrong in a form, said beside the field it is about
/// (`templates/fields.html`): the form comes back with everything typed
/// kept, the field marked `aria-invalid`, the message under it, and the
/// focus on it. `field` is the input's `name`.
#[derive(Clone, Debug, Default)]
pub(crate) struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub(crate) fn new(field: impl Into<String>, message: impl std::fmt::Display) -> Self {
        Self {
            field: field.into(),
            message: message.to_string(),
        }
    }
}

/// A form's error, if any: what its template asks about each field.
#[derive(Clone, Debug, Default)]
pub(crate) struct FormError(pub Option<FieldError>);

impl FormError {
    pub(crate) fn on(field: impl Into<String>, message: impl std::fmt::Display) -> Self {
        Self(Some(FieldError::new(field, message)))
    }
    /// About one row of a table (the users list): field `row:<id>`.
    pub(crate) fn row(&self, id: &str) -> Option<&str> {
        self.0
            .as_ref()
            .filter(|e| e.field.strip_prefix("row:") == Some(id))
            .map(|e| e.message.as_str())
    }
    /// The message about `field`.
    pub(crate) fn at(&self, field: &str) -> Option<&str> {
        self.0
            .as_ref()
            .filter(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
    pub(crate) fn is(&self, field: &str) -> bool {
        self.at(field).is_some()
    }
    pub(crate) fn any(&self) -> bool {
        self.0.is_some()
    }
}

/// What a section of the account page (MFA settings, backup codes) says
/// after an action, besides what it shows: a message, an error, "Confirm
/// your identity" under its heading, or what was wrong with what was typed,
/// beside its field. Each section's own extras take these `From` it.
#[derive(Default)]
pub(crate) struct Notes {
    pub flash: Option<String>,
    pub error: Option<String>,
    /// "Confirm your identity", shown under the section's heading.
    pub step_up: Option<String>,
    pub form: FormError,
}

impl Notes {
    pub(crate) fn flash(message: impl Into<String>) -> Self {
        Self {
            flash: Some(message.into()),
            ..Self::default()
        }
    }
    pub(crate) fn error(message: impl std::fmt::Display) -> Self {
        Self {
            error: Some(message.to_string()),
            ..Self::default()
        }
    }
    pub(crate) fn form(form: FormError) -> Self {
        Self {
            form,
            ..Self::default()
        }
    }
    /// The identity-check dialog, which goes on to `then` once confirmed.
    pub(crate) fn step_up(a: &Authed, then: &step_up::Resume) -> Result<Self, WebError> {
        Ok(Self {
            step_up: Some(step_up::step_up_dialog_html(a, then)?),
            ..Self::default()
        })
    }
}

/// A form's page shown again with what was wrong in it, answered with
/// `status` (400 for what was typed, 409 for a conflict) instead of 200.
pub(crate) fn with_status(
    status: StatusCode,
    page: Result<Response, WebError>,
) -> Result<Response, WebError> {
    let mut r = page?;
    *r.status_mut() = status;
    Ok(r)
}

/// Renders a template into a response.
pub(crate) fn render<T: Template>(t: &T) -> Result<Response, WebError> {
    t.render()
        .map(|h| Html(h).into_response())
        .map_err(|e| WebError(AppError::Internal(format!("template: {e}"))))
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    heading: &'a str,
    message: &'a str,
    request_id: &'a str,
}

pub(crate) fn error_page(status: StatusCode, message: &str, request_id: &str) -> String {
    let heading = match status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::TOO_MANY_REQUESTS => "Slow down",
        s if s.is_server_error() => "Something went wrong",
        _ => "That did not work",
    };
    ErrorPage {
        title: heading,
        heading,
        message,
        request_id,
    }
    .render()
    .unwrap_or_else(|_| message.to_owned())
}

pub(crate) fn error_fragment(message: &str, request_id: &str) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    format!(
        "<div class=\"alert\" role=\"alert\">{}<small>Request id {}</small></div>",
        esc(message),
        esc(request_id)
    )
}

pub(crate) fn session_cookie(s: &WebState, token: &str, max_age: i64) -> HeaderValue {
    let secure = if s.secure_cookies() { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .unwrap_or(HeaderValue::from_static(""))
}

/// The cookie that carries a message over a Post/Redirect/Get to the page
/// shown next ("Saved.", "Added …"); read once, then dropped.
pub(crate) const FLASH_COOKIE: &str = "orthrus_flash";

/// Post/Redirect/Get: a form that worked answers `303 See Other` to the page
/// to show (which a reload fetches again with `GET`), with `flash` for it.
pub(crate) fn see_other(s: &WebState, to: &str, flash: &str) -> Response {
    let hex: String = flash
        .bytes()
        .take(600)
        .map(|b| format!("{b:02x}"))
        .collect();
    let secure = if s.secure_cookies() { "; Secure" } else { "" };
    let cookie = HeaderValue::from_str(&format!(
        "{FLASH_COOKIE}={hex}; Path=/; HttpOnly; SameSite=Lax; Max-Age=60{secure}"
    ))
    .unwrap_or(HeaderValue::from_static(""));
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response();
    r.headers_mut().insert(header::SET_COOKIE, cookie);
    r
}

/// The message a Post/Redirect/Get left for this page (see [`see_other`]);
/// `finish` drops the cookie once a page has been shown.
pub(crate) struct Flash(pub Option<String>);

impl axum::extract::FromRequestParts<WebState> for Flash {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &WebState,
    ) -> Result<Self, Self::Rejection> {
        let text = crate::extract::cookie(&parts.headers, FLASH_COOKIE).and_then(|hex| {
            let bytes = (0..hex.len() / 2)
                .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
                .collect::<Option<Vec<u8>>>()?;
            String::from_utf8(bytes).ok().filter(|t| !t.is_empty())
        });
        Ok(Self(text))
    }
}

pub(crate) fn redirect_with_cookie(to: &str, cookie: HeaderValue) -> Response {
    let mut r = Redirect::to(to).into_response();
    r.headers_mut().insert(header::SET_COOKIE, cookie);
    r
}
