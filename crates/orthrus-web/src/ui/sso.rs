//! Single sign-on in the browser: `/sso/start` sends the browser to the
//! identity provider, `/sso/callback` takes its answer (a sign-in, a
//! step-up, or the CLI's sign-in handed on to its loopback address), and
//! `/sso/step-up` (a link carrying the session's CSRF token) starts a fresh
//! authentication from the "Confirm your identity" dialog, which asks
//! `/ui/step-up/sso` for that link.
//!
//! The flow itself lives in the database (`orthrus-app`, `sso.rs`); the
//! `orthrus_sso` cookie only ties a browser flow to the browser that began
//! it, so an answer pasted into another browser signs nobody in.
//!
//! A user with their own Orthrus TOTP is then asked for its code at
//! `/sso/totp`; the sign-in waits in the database, found by the value of
//! the `orthrus_sso_totp` cookie.

use crate::WebState;
use crate::error::WebError;
use crate::extract::{Authed, ClientInfo, UiForm, cookie};
use crate::ui::auth::LoginPage;
use crate::ui::{redirect_with_cookie, see_other, session_cookie, with_status};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use orthrus_app::InvalidCode;
use orthrus_app::{AppError, ProviderAnswer, SsoClient, SsoError, SsoFinish};
use serde::Deserialize;

const SSO_COOKIE: &str = "orthrus_sso";
/// Holds a sign-in that waits for the user's own TOTP code.
const TOTP_COOKIE: &str = "orthrus_sso_totp";

pub(crate) fn routes() -> Router<WebState> {
    Router::new()
        .route("/sso/start", get(start))
        .route("/sso/callback", get(callback))
        .route("/sso/totp", get(totp_page).post(totp_submit))
        .route("/sso/step-up", get(step_up))
        .route("/ui/step-up/sso", get(step_up_button))
}

fn flow_cookie(s: &WebState, value: &str, max_age: i64) -> HeaderValue {
    named_cookie(s, SSO_COOKIE, value, max_age)
}

fn named_cookie(s: &WebState, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if s.config.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    // Lax: the provider's redirect back is a top-level GET, which carries it.
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/sso; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .unwrap_or(HeaderValue::from_static(""))
}

/// To the provider, remembering this browser.
fn to_provider(s: &WebState, start: orthrus_app::SsoStart) -> Response {
    let mut r = (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, start.authorization_url)],
    )
        .into_response();
    if let Some(t) = start.browser_token {
        r.headers_mut().insert(
            header::SET_COOKIE,
            flow_cookie(s, &t, orthrus_app::SSO_FLOW_SECS),
        );
    }
    r
}

#[derive(Deserialize)]
struct StartQuery {
    next: Option<String>,
}

async fn start(
    State(s): State<WebState>,
    client: ClientInfo,
    Query(q): Query<StartQuery>,
) -> Result<Response, WebError> {
    let next = crate::ui::pairing::safe_next(q.next.as_deref()).unwrap_or_default();
    match s.app.sso_begin_sign_in(&next, &client.ip).await {
        Ok(start) => Ok(to_provider(&s, start)),
        Err(e @ AppError::Sso(SsoError::Provider(_) | SsoError::TooManyFlows)) => {
            LoginPage::new(&s, next).refused(&e)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

async fn callback(
    State(s): State<WebState>,
    client: ClientInfo,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Result<Response, WebError> {
    let answer = match (q.code, q.error) {
        (_, Some(error)) => ProviderAnswer::Error(error, q.error_description.unwrap_or_default()),
        (Some(code), None) => ProviderAnswer::Code(code),
        (None, None) => ProviderAnswer::Error("invalid_request".into(), "no code".into()),
    };
    let browser = cookie(&headers, SSO_COOKIE);
    let outcome = s
        .app
        .sso_finish(
            q.state.as_deref().unwrap_or(""),
            answer,
            browser.as_deref(),
            &SsoClient::from(client),
        )
        .await;
    let mut r = match outcome {
        Ok(SsoFinish::SignedIn { login, next }) => signed_in(&s, &login, &next),
        Ok(SsoFinish::TotpNeeded { token, .. }) => redirect_with_cookie(
            "/sso/totp",
            named_cookie(&s, TOTP_COOKIE, &token, orthrus_app::SSO_TOTP_SECS),
        ),
        Ok(SsoFinish::SteppedUp { return_to, .. }) => see_other(
            &s,
            &return_to,
            "Identity confirmed. Do what you were doing again: it will not ask for a while.",
        ),
        Ok(SsoFinish::Cli { redirect }) => {
            (StatusCode::SEE_OTHER, [(header::LOCATION, redirect)]).into_response()
        }
        // A step-up that failed: said on its own page, the session stays.
        Err(
            e @ AppError::Sso(
                SsoError::StaleAuthentication | SsoError::WrongAccount | SsoError::AlreadyLinked,
            ),
        ) => return Err(e.into()),
        Err(e @ (AppError::Sso(_) | AppError::Unauthenticated)) => {
            LoginPage::new(&s, String::new()).refused(&e)?
        }
        Err(e) => return Err(e.into()),
    };
    // The flow is used: forget it in this browser. (Set-Cookie may appear
    // twice: the session's and this one.)
    r.headers_mut()
        .append(header::SET_COOKIE, flow_cookie(&s, "", 0));
    Ok(r)
}

fn signed_in(s: &WebState, login: &orthrus_app::LoginOutcome, next: &str) -> Response {
    redirect_with_cookie(
        if login.must_enroll_2fa {
            "/security"
        } else {
            next
        },
        session_cookie(s, login.token.expose(), s.app.config().session_hours * 3600),
    )
}

#[derive(Template)]
#[template(path = "sso_totp.html")]
struct TotpPage {
    title: &'static str,
    error: Option<String>,
    error_code: &'static str,
}

impl TotpPage {
    fn new() -> Self {
        Self {
            title: "Authentication code",
            error: None,
            error_code: "",
        }
    }
}

/// The provider vouched for the person; now their own code.
async fn totp_page(State(s): State<WebState>, headers: HeaderMap) -> Result<Response, WebError> {
    if cookie(&headers, TOTP_COOKIE).is_none() {
        return LoginPage::new(&s, String::new()).refused(&SsoError::FlowExpired.into());
    }
    crate::ui::render(&TotpPage::new())
}

#[derive(Deserialize)]
struct TotpForm {
    totp: String,
}

async fn totp_submit(
    State(s): State<WebState>,
    client: ClientInfo,
    headers: HeaderMap,
    UiForm(f): UiForm<TotpForm>,
) -> Result<Response, WebError> {
    let token = cookie(&headers, TOTP_COOKIE).unwrap_or_default();
    let outcome = s
        .app
        .sso_finish_totp(&token, &f.totp, &SsoClient::from(client))
        .await;
    let mut r = match outcome {
        Ok(SsoFinish::SignedIn { login, next }) => signed_in(&s, &login, &next),
        // Wrong or missing: the sign-in still waits, ask again.
        Err(e @ (AppError::Sso(SsoError::InvalidTotp) | AppError::TotpRequired)) => {
            let mut page = TotpPage::new();
            page.error = Some(e.to_string());
            page.error_code = e.code();
            return with_status(StatusCode::UNAUTHORIZED, crate::ui::render(&page));
        }
        Ok(_) => return Err(AppError::Internal("unexpected sign-in outcome".into()).into()),
        Err(e @ (AppError::Sso(_) | AppError::Throttled { .. } | AppError::Unauthenticated)) => {
            LoginPage::new(&s, String::new()).refused(&e)?
        }
        Err(e) => return Err(e.into()),
    };
    r.headers_mut()
        .append(header::SET_COOKIE, named_cookie(&s, TOTP_COOKIE, "", 0));
    Ok(r)
}

#[derive(Deserialize)]
struct StepUpQuery {
    /// The page to come back to.
    #[serde(rename = "return")]
    return_to: Option<String>,
    /// The session's CSRF token: a link (a form's redirect to the provider
    /// would meet the CSP's `form-action 'self'`) that another site cannot
    /// forge.
    csrf: Option<String>,
}

async fn step_up(
    State(s): State<WebState>,
    a: Authed,
    Query(q): Query<StepUpQuery>,
) -> Result<Response, WebError> {
    let expected = a.cookie_token.as_deref().map(|t| s.app.csrf_token(t));
    let ok =
        matches!((&expected, &q.csrf), (Some(e), Some(g)) if orthrus_app::App::secrets_equal(e, g));
    if !ok {
        return Err(WebError(AppError::invalid(
            InvalidCode::RequestCsrf,
            "this link has expired or came from another site; reload the page and try again",
        )));
    }
    let start = s
        .app
        .sso_begin_step_up(&a.actor, q.return_to.as_deref().unwrap_or("/"))
        .await?;
    Ok(to_provider(&s, start))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The "Verify with <provider>" button of the identity-check dialog
/// (empty when single sign-on is off). It comes back to the page the
/// dialog is on (htmx says which in `HX-Current-URL`).
async fn step_up_button(
    State(s): State<WebState>,
    a: Authed,
    headers: HeaderMap,
) -> Result<Html<String>, WebError> {
    let (Some(info), Some(session)) = (s.app.sso_info(), a.cookie_token.as_deref()) else {
        return Ok(Html(String::new()));
    };
    let here = headers
        .get("hx-current-url")
        .and_then(|v| v.to_str().ok())
        .and_then(|u| url::Url::parse(u).ok())
        .map(|u| match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_owned(),
        })
        .unwrap_or_else(|| "/".into());
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("return", &here)
        .append_pair("csrf", &s.app.csrf_token(session))
        .finish();
    Ok(Html(format!(
        "<p class=\"row\"><a class=\"btn\" href=\"/sso/step-up?{}\" id=\"step-up-sso\">Verify with {}</a></p>",
        esc(&query),
        esc(&info.provider_name),
    )))
}
