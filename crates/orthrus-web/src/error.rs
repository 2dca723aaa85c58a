//! The one place where errors become HTTP responses. Handlers return
//! `WebError`; the `finish` middleware gives every request an id and turns an
//! error into `{"error": {code, message, request_id}}` (API) or a page (UI).

use crate::WebState;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use orthrus_app::{AppError, Entity, ExtensionError, InvalidCode, SsoError};

/// An error from a handler.
#[derive(Debug)]
pub struct WebError(pub AppError);

impl From<AppError> for WebError {
    fn from(e: AppError) -> Self {
        Self(e)
    }
}

/// The body of every API error: `{"error": {code, message, request_id}}`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorBody {
    pub error: ErrorDetail,
}

/// One error, as the API reports it.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorDetail {
    /// Stable and meant for programs (`account.not_found`, `step_up.required`, …).
    pub code: String,
    /// Meant for people.
    pub message: String,
    /// Also in the `x-request-id` header; quote it when reporting a problem.
    #[schema(pattern = "^[0-9a-f]{16}$")]
    pub request_id: String,
}

/// What `finish` needs to render an error (kept in response extensions).
#[derive(Clone, Debug)]
pub(crate) struct ErrorInfo {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub internal: Option<String>,
    pub retry_after: Option<i64>,
    /// The SCIM `scimType`, for an error under `/scim/`.
    pub scim_type: Option<&'static str>,
}

pub(crate) fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::Unauthenticated | AppError::InvalidCredentials | AppError::TotpRequired => {
            StatusCode::UNAUTHORIZED
        }
        AppError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::Forbidden | AppError::StepUpRequired | AppError::TwoFactorEnrollmentRequired => {
            StatusCode::FORBIDDEN
        }
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Invalid { .. } => StatusCode::BAD_REQUEST,
        AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        AppError::VersionRequired => StatusCode::PRECONDITION_REQUIRED,
        AppError::ApprovalRequired { .. } | AppError::BadSignature => StatusCode::FORBIDDEN,
        AppError::VersionConflict => StatusCode::PRECONDITION_FAILED,
        AppError::Conflict { .. } | AppError::SetupComplete => StatusCode::CONFLICT,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        AppError::InboxRateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
        AppError::InboxStorageFull(_) => StatusCode::INSUFFICIENT_STORAGE,
        AppError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Sso(e) => match e {
            SsoError::NotConfigured => StatusCode::NOT_FOUND,
            SsoError::FlowExpired
            | SsoError::InvalidRedirect
            | SsoError::InvalidChallenge
            | SsoError::InvalidCode => StatusCode::BAD_REQUEST,
            SsoError::InvalidTotp => StatusCode::UNAUTHORIZED,
            SsoError::TooManyFlows => StatusCode::TOO_MANY_REQUESTS,
            SsoError::Provider(_) => StatusCode::BAD_GATEWAY,
            SsoError::EmailUnverified
            | SsoError::UnknownUser(_)
            | SsoError::UserDeactivated
            | SsoError::AlreadyLinked
            | SsoError::StaleAuthentication
            | SsoError::WrongAccount
            | SsoError::InvitationEnded
            | SsoError::UseInvitation
            | SsoError::PasswordDisabled => StatusCode::FORBIDDEN,
        },
        AppError::Extension(e) => match e {
            ExtensionError::ExtensionOnly
            | ExtensionError::OriginMismatch
            | ExtensionError::PairingDenied => StatusCode::FORBIDDEN,
            ExtensionError::CodeUsed => StatusCode::CONFLICT,
            ExtensionError::NoCode | ExtensionError::PairingNotFound => StatusCode::NOT_FOUND,
            ExtensionError::PairingExpired => StatusCode::GONE,
            ExtensionError::PairingThrottled => StatusCode::TOO_MANY_REQUESTS,
        },
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = status_of(&self.0);
        let (message, internal) = match &self.0 {
            AppError::Internal(detail) => (
                "something went wrong on our side; quote the request id when reporting it"
                    .to_owned(),
                Some(detail.clone()),
            ),
            e => (e.to_string(), None),
        };
        let retry_after = match &self.0 {
            AppError::Throttled { retry_after_secs }
            | AppError::Busy {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => None,
        };
        let mut r = status.into_response();
        r.extensions_mut().insert(ErrorInfo {
            status,
            code: self.0.code(),
            message,
            internal,
            retry_after,
            scim_type: crate::scim::scim_type(&self.0),
        });
        r
    }
}

pub(crate) async fn not_found() -> WebError {
    WebError(AppError::NotFound(Entity::Page))
}

pub(crate) async fn method_not_allowed() -> WebError {
    WebError(AppError::MethodNotAllowed)
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

/// An extractor's own rejection (a path segment that is not a number, a
/// binary body over its limit) is a plain-text answer from axum; under
/// `/api/` it becomes the usual error, with its code, so every API error has
/// one shape.
async fn bare_rejection_as_error(resp: Response) -> Response {
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error())
        || is_json
        || resp.extensions().get::<ErrorInfo>().is_some()
    {
        return resp;
    }
    let (status, code) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => (status, AppError::TooLarge("").code()),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (status, AppError::UnsupportedMediaType("").code()),
        StatusCode::METHOD_NOT_ALLOWED => (status, AppError::MethodNotAllowed.code()),
        StatusCode::NOT_FOUND => (status, Entity::Record.code()),
        s if s.is_server_error() => (s, AppError::Internal(String::new()).code()),
        // axum answers 422 for a body that does not fit; the API says 400.
        _ => (
            StatusCode::BAD_REQUEST,
            InvalidCode::RequestInvalid.as_str(),
        ),
    };
    let text = axum::body::to_bytes(resp.into_body(), 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    // axum's path rejections all start so ("Invalid URL: Cannot parse …").
    let code = if status == StatusCode::BAD_REQUEST && text.starts_with("Invalid URL") {
        InvalidCode::RequestInvalidPath.as_str()
    } else {
        code
    };
    let (message, internal) = if status.is_server_error() {
        (
            "something went wrong on our side; quote the request id when reporting it".to_owned(),
            Some(text),
        )
    } else if text.is_empty() {
        (
            status
                .canonical_reason()
                .unwrap_or("bad request")
                .to_owned(),
            None,
        )
    } else {
        (text, None)
    };
    let mut r = status.into_response();
    r.extensions_mut().insert(ErrorInfo {
        status,
        code,
        message,
        internal,
        retry_after: None,
        scim_type: None,
    });
    r
}

/// Gives the request an id, checks CSRF for cookie-authenticated writes, and
/// renders errors.
pub(crate) async fn finish(State(state): State<WebState>, req: Request, next: Next) -> Response {
    let id = state.app.random_id();
    let path = req.uri().path().to_owned();
    // An extension's approval link survives signing in (`?next=`).
    let after_login =
        crate::ui_extension::safe_next(req.uri().path_and_query().map(|p| p.as_str()));
    let htmx = req.headers().contains_key("hx-request");
    let had_flash =
        !htmx && crate::extract::cookie(req.headers(), crate::ui::FLASH_COOKIE).is_some();
    let (req, csrf) = crate::extract::check_csrf(&state, req).await;
    let mut resp = match csrf {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    };
    // A Post/Redirect/Get's message is shown once: the page that showed it
    // drops the cookie.
    if had_flash && resp.status().is_success() {
        resp.headers_mut().append(
            header::SET_COOKIE,
            HeaderValue::from_static("orthrus_flash=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
        );
    }
    if is_api(&path) || crate::scim::is_scim(&path) {
        resp = bare_rejection_as_error(resp).await;
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    crate::assets::security_headers(resp.headers_mut());
    let Some(info) = resp.extensions_mut().remove::<ErrorInfo>() else {
        return resp;
    };
    if let Some(detail) = &info.internal {
        tracing::error!(request_id = %id, path = %path, error = %detail, "internal error");
    } else {
        tracing::debug!(request_id = %id, path = %path, code = info.code, "request failed");
    }
    let mut out = if crate::scim::is_scim(&path) {
        crate::scim::error_response(info.status, info.scim_type, &info.message)
    } else if is_api(&path) {
        let body = ErrorBody {
            error: ErrorDetail {
                code: info.code.to_owned(),
                message: info.message,
                request_id: id.clone(),
            },
        };
        (info.status, axum::Json(body)).into_response()
    } else if info.status == StatusCode::UNAUTHORIZED && !path.starts_with("/login") {
        if htmx {
            let mut r = StatusCode::OK.into_response();
            r.headers_mut()
                .insert("hx-redirect", HeaderValue::from_static("/login"));
            r
        } else {
            let mut r = StatusCode::SEE_OTHER.into_response();
            let to = after_login.map_or_else(
                || "/login".to_owned(),
                |n| format!("/login?next={}", n.replace('?', "%3F").replace('=', "%3D")),
            );
            r.headers_mut().insert(
                header::LOCATION,
                HeaderValue::from_str(&to).unwrap_or(HeaderValue::from_static("/login")),
            );
            // The cookie no longer signs anyone in: drop it.
            r.headers_mut().insert(
                header::SET_COOKIE,
                HeaderValue::from_static(
                    "orthrus_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0",
                ),
            );
            r
        }
    } else if htmx {
        // Fragments show errors inline, in the element's error slot.
        let html = crate::ui::error_fragment(&info.message, &id);
        let mut r = (StatusCode::OK, Html(html)).into_response();
        r.headers_mut()
            .insert("hx-retarget", HeaderValue::from_static("#flash"));
        r.headers_mut()
            .insert("hx-reswap", HeaderValue::from_static("innerHTML"));
        r
    } else {
        (
            info.status,
            Html(crate::ui::error_page(info.status, &info.message, &id)),
        )
            .into_response()
    };
    if let Some(secs) = info.retry_after
        && let Ok(v) = HeaderValue::from_str(&secs.to_string())
    {
        out.headers_mut().insert(header::RETRY_AFTER, v);
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        out.headers_mut().insert("x-request-id", v);
    }
    crate::assets::security_headers(out.headers_mut());
    out
}
