//! JSON API: managed phone numbers and the inbound SMS webhooks.

use crate::WebState;
use crate::api::ApiResult;
use crate::error::WebError;
use crate::extract::{ApiJson, Authed, PathId, entity};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use orthrus_app::InvalidCode;
use orthrus_app::{AppError, PhoneNumber};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(list_numbers, add_number))
        .routes(routes!(assign_number))
        .routes(routes!(twilio))
        .routes(routes!(generic))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NumberBody {
    /// E.164, e.g. +14155550123
    number: String,
}

/// Adds a number to the managed pool (Admins and above).
#[utoipa::path(post, path = "/api/v1/phone-numbers", tag = "inbox", request_body = NumberBody, responses((status = 201, description = "Added", body = PhoneNumber), (status = 400, description = "`sms.invalid_number`"), (status = 409, description = "`sms.number_exists`")), security(("bearer" = [])))]
pub(crate) async fn add_number(
    State(s): State<WebState>,
    a: Authed,
    ApiJson(b): ApiJson<NumberBody>,
) -> ApiResult<(StatusCode, Json<PhoneNumber>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.add_phone_number(&a.actor, &b.number).await?),
    ))
}

/// The pool (Admins and above).
#[utoipa::path(get, path = "/api/v1/phone-numbers", tag = "inbox", responses((status = 200, description = "The pool", body = Vec<PhoneNumber>)), security(("bearer" = [])))]
pub(crate) async fn list_numbers(
    State(s): State<WebState>,
    a: Authed,
) -> ApiResult<Json<Vec<PhoneNumber>>> {
    Ok(Json(s.app.list_phone_numbers(&a.actor).await?))
}

/// Gives the account a managed number from the pool (account Owner).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/phone-number", tag = "inbox", params(("id" = String, Path)), responses((status = 200, description = "The account's number", body = PhoneNumber), (status = 400, description = "`sms.pool_empty`"), (status = 404, description = "`account.not_found`")), security(("bearer" = [])))]
pub(crate) async fn assign_number(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
) -> ApiResult<Json<PhoneNumber>> {
    Ok(Json(s.app.assign_phone_number(&a.actor, id).await?))
}

fn forbidden_signature() -> WebError {
    WebError(AppError::BadSignature)
}

/// Twilio's inbound SMS webhook: form fields `From`, `To`, `Body`,
/// `MessageSid`; `X-Twilio-Signature` is checked against the configured auth
/// token and this server's public URL (a forged or missing one gets 403).
#[utoipa::path(post, path = "/api/v1/hooks/sms/twilio", tag = "inbox", request_body(content = TwilioForm, content_type = "application/x-www-form-urlencoded"),
    params(("x-twilio-signature" = String, Header, description = "Twilio's signature of the URL and fields")),
    responses((status = 200, description = "Empty TwiML", content_type = "text/xml", body = String), (status = 400, description = "`request.invalid_form`"), (status = 403, description = "`sms.bad_signature`"), (status = 429, description = "`inbox.rate_limited`"), (status = 507, description = "`inbox.storage_full`")))]
pub(crate) async fn twilio(
    State(s): State<WebState>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let params: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).map_err(|_| {
        WebError(AppError::invalid(
            InvalidCode::RequestInvalidForm,
            "expected Twilio's form fields",
        ))
    })?;
    let signature = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let url = format!(
        "{}{}",
        s.config.public_url.trim_end_matches('/'),
        uri.path_and_query().map(|p| p.as_str()).unwrap_or("")
    );
    if !s.app.verify_twilio(&url, &params, signature) {
        return Err(forbidden_signature());
    }
    let field = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    s.app
        .ingest_sms(
            field("From"),
            field("To"),
            field("Body"),
            field("MessageSid"),
        )
        .await?;
    let mut r = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>".into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    Ok(r)
}

/// Twilio's form (it sends more fields; these are the ones read).
#[derive(ToSchema)]
#[allow(dead_code, non_snake_case)]
pub(crate) struct TwilioForm {
    From: String,
    To: String,
    Body: String,
    MessageSid: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct GenericSms {
    from: String,
    to: String,
    body: String,
    id: String,
}

/// A generic SMS gateway webhook: JSON `{from, to, body, id}` with
/// `X-Orthrus-Signature: sha256=<hex HMAC-SHA256 of the body>`.
#[utoipa::path(post, path = "/api/v1/hooks/sms/generic", tag = "inbox", request_body = GenericSms,
    params(("x-orthrus-signature" = String, Header, description = "`sha256=<hex HMAC-SHA256 of the body>`")),
    responses((status = 204, description = "Stored (or a repeat, or for no managed number)"), (status = 400, description = "`request.invalid_body`"), (status = 403, description = "`sms.bad_signature`"), (status = 429, description = "`inbox.rate_limited`"), (status = 507, description = "`inbox.storage_full`")))]
pub(crate) async fn generic(
    State(s): State<WebState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let signature = headers
        .get("x-orthrus-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !s.app.verify_sms_webhook(&body, signature) {
        return Err(forbidden_signature());
    }
    let m: GenericSms = serde_json::from_slice(&body).map_err(|e| {
        WebError(AppError::invalid(
            InvalidCode::RequestInvalidBody,
            format!("expected {{from, to, body, id}}: {e}"),
        ))
    })?;
    s.app.ingest_sms(&m.from, &m.to, &m.body, &m.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
