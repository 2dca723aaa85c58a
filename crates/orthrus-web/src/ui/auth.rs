//! Signing in and out, and the user's own security page (`app/auth.rs`):
//! the sign-in page (email and password, the user's own code, and "Sign in
//! with <provider>" when single sign-on is on; with `sso_only` the password
//! form is behind a small link for the break-glass Owners), signing out, and
//! the sessions, API tokens and passkeys listed on `/security`.

use crate::WebState;
use crate::error::WebError;
use crate::extract::{Authed, ClientInfo, PathId, UiForm, entity};
use crate::ui::{
    Flash, FormError, Page, redirect_with_cookie, render, see_other, session_cookie, with_status,
};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use orthrus_app::{
    AppError, LoginRequest, SessionInfo, SessionKind, TokenInfo, TotpEnrollment, TwoFactorStatus,
};
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
        with_status(crate::error::status_of(e), render(&self))
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
            with_status(StatusCode::UNAUTHORIZED, render(&page))
        }
        Err(e @ (AppError::InvalidCredentials | AppError::Throttled { .. } | AppError::Sso(_))) => {
            page.ask_totp = f.totp.is_some();
            page.refused(&e)
        }
        Err(e) => Err(e.into()),
    }
}

pub(crate) async fn to_security() -> Redirect {
    Redirect::to("/security")
}

async fn logout(State(s): State<WebState>, a: Authed) -> Result<Response, WebError> {
    s.app.logout(&a.actor).await?;
    Ok(redirect_with_cookie("/login", session_cookie(&s, "", 0)))
}

#[derive(Template)]
#[template(path = "security.html")]
struct SecurityPage {
    page: Page,
    page_must_enroll: bool,
    status: TwoFactorStatus,
    enrollment: Option<TotpEnrollment>,
    recovery_codes: Option<Vec<String>>,
    sessions: Vec<SessionInfo>,
    passkeys: Vec<orthrus_app::PasskeyInfo>,
    denials: usize,
    tokens: Vec<TokenInfo>,
    new_token: Option<String>,
    error: Option<String>,
    /// "Create token": what was wrong, beside its field, and the name typed.
    form: FormError,
    token_name: String,
}

#[derive(Default)]
pub(crate) struct SecurityExtras {
    pub(crate) enrollment: Option<TotpEnrollment>,
    pub(crate) recovery_codes: Option<Vec<String>>,
    pub(crate) new_token: Option<String>,
    pub(crate) error: Option<String>,
    pub(crate) flash: Option<String>,
    pub(crate) form: FormError,
    pub(crate) token_name: String,
}

pub(crate) async fn security_view(
    s: &WebState,
    a: &Authed,
    x: SecurityExtras,
) -> Result<Response, WebError> {
    let mut page = Page::new(s, a, "My security", "security");
    page.flash = x.flash;
    let status = s.app.two_factor_status(&a.actor).await?;
    render(&SecurityPage {
        page,
        page_must_enroll: a.actor.must_enroll_2fa,
        status,
        enrollment: x.enrollment,
        recovery_codes: x.recovery_codes,
        sessions: s.app.list_sessions(&a.actor).await?,
        passkeys: s.app.list_passkeys(&a.actor).await?,
        denials: s.app.recent_denials(&a.actor).await?,
        tokens: s.app.list_api_tokens(&a.actor).await?,
        new_token: x.new_token,
        error: x.error,
        form: x.form,
        token_name: x.token_name,
    })
}

async fn security_page(
    State(s): State<WebState>,
    a: Authed,
    Flash(flash): Flash,
) -> Result<Response, WebError> {
    security_view(
        &s,
        &a,
        SecurityExtras {
            flash,
            ..Default::default()
        },
    )
    .await
}

async fn security_revoke_session(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Session>,
) -> Result<Response, WebError> {
    s.app.revoke_session(&a.actor, id).await?;
    Ok(see_other(&s, "/security", "Signed out that session."))
}

#[derive(Deserialize)]
struct TokenForm {
    name: String,
    password: String,
    totp: Option<String>,
}

async fn security_create_token(
    State(s): State<WebState>,
    a: Authed,
    UiForm(f): UiForm<TokenForm>,
) -> Result<Response, WebError> {
    // A wrong password is said beside it (not a sign-out), the name kept.
    let refused = |field: &'static str, message: String| SecurityExtras {
        form: FormError::on(field, message),
        token_name: f.name.clone(),
        ..Default::default()
    };
    let until = match s
        .app
        .step_up(&a.actor, &f.password, f.totp.as_deref())
        .await
    {
        Ok(until) => until,
        Err(AppError::InvalidCredentials) => {
            let m = if a.actor.totp_enabled {
                "That password or code is not correct."
            } else {
                "That password is not correct."
            };
            return security_view(&s, &a, refused("password", m.into())).await;
        }
        Err(AppError::TotpRequired) => {
            let m = "Enter the code from your authenticator app too.";
            return security_view(&s, &a, refused("totp", m.into())).await;
        }
        Err(e @ (AppError::Throttled { .. } | AppError::Invalid { .. })) => {
            return security_view(&s, &a, refused("password", e.to_string())).await;
        }
        Err(e) => return Err(e.into()),
    };
    let actor = orthrus_app::Actor {
        elevated_until: Some(until),
        ..a.actor.clone()
    };
    let token = match s.app.create_api_token(&actor, &f.name, None).await {
        Ok((token, _)) => token,
        Err(e @ AppError::Invalid { .. }) => {
            return security_view(&s, &a, refused("name", e.to_string())).await;
        }
        Err(e) => return Err(e.into()),
    };
    security_view(
        &s,
        &a,
        SecurityExtras {
            new_token: Some(token.into_inner()),
            ..Default::default()
        },
    )
    .await
}

async fn security_revoke_token(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Token>,
) -> Result<Response, WebError> {
    s.app.revoke_api_token(&a.actor, id).await?;
    Ok(see_other(&s, "/security", "Token revoked."))
}

async fn security_delete_passkey(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Passkey>,
    UiForm(f): UiForm<crate::ui::dual::ConfirmForm>,
) -> Result<Response, WebError> {
    // Removing a way to confirm identity needs a fresh identity check.
    let actor = crate::ui::dual::confirmed(&s, &a, &f).await?;
    s.app.delete_passkey(&actor, id).await?;
    Ok(see_other(&s, "/security", "Passkey removed."))
}

pub(crate) fn routes() -> Router<WebState> {
    Router::new()
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/security", get(security_page))
        .route(
            "/security/sessions/{id}/revoke",
            post(security_revoke_session),
        )
        .route(
            "/security/tokens",
            get(to_security).post(security_create_token),
        )
        .route(
            "/security/passkeys/{id}/delete",
            post(security_delete_passkey),
        )
        .route("/security/tokens/{id}/revoke", post(security_revoke_token))
}
