//! JSON API: the team authenticator of an account.

use crate::WebState;
use crate::api::ApiResult;
use crate::error::WebError;
use crate::extract::{ApiJson, ApiQuery, Authed, PathId, Presented, entity};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use orthrus_app::InvalidCode;
use orthrus_app::{
    AppError, CodeUse, CodeView, EnrollInput, LedgerEntry, OtpStatus, PendingEnrollment,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

/// QR screenshots can be large.
pub(crate) const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;

pub(crate) fn routes() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(status, enroll, remove))
        .routes(routes!(enroll_qr).layer(DefaultBodyLimit::max(MAX_IMAGE_BYTES)))
        .routes(routes!(pending, cancel))
        .routes(routes!(confirm))
        .routes(routes!(code, claim_code))
        .routes(routes!(mark_used))
        .routes(routes!(verify))
        .routes(routes!(ledger))
        .routes(routes!(import).layer(DefaultBodyLimit::max(MAX_IMAGE_BYTES)))
        .routes(routes!(export))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EnrollBody {
    /// The key the app shows ("set up another way"): base32; spaces, hyphens,
    /// lower case and missing padding are fine.
    secret: Option<String>,
    /// An otpauth://totp/… or otpauth://hotp/… URI.
    otpauth_uri: Option<String>,
    /// The secret is a Steam Guard key.
    #[serde(default)]
    steam: bool,
    issuer: Option<String>,
    /// sha1 (default), sha256 or sha512; with `secret` only.
    #[schema(value_type = Option<crate::api::openapi::names::Algorithm>)]
    algorithm: Option<String>,
    /// Digits of a code (default 6); with `secret` only.
    #[schema(minimum = 6, maximum = 8)]
    digits: Option<u8>,
    /// Seconds (default 30); with `secret` only.
    #[schema(minimum = 1, maximum = 300)]
    period: Option<u32>,
}

/// Starts enrolment with a key or URI (account Owner, step-up). The seed is
/// pending until confirmed; the answer carries the code to type into the app.
#[utoipa::path(put, path = "/api/v1/accounts/{id}/totp", tag = "authenticator", params(("id" = String, Path)), request_body = EnrollBody,
    responses((status = 200, description = "Pending: type `code` into the app, then confirm", body = PendingEnrollment), (status = 400, description = "`otp.invalid_secret`, `otp.invalid_uri` …"), (status = 403, description = "`step_up.required`"), (status = 404, description = "`account.not_found`")), security(("bearer" = [])))]
pub(crate) async fn enroll(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
    ApiJson(b): ApiJson<EnrollBody>,
) -> ApiResult<Json<PendingEnrollment>> {
    let input = EnrollInput {
        secret: b.secret,
        otpauth_uri: b.otpauth_uri,
        qr_image: None,
        steam: b.steam,
        issuer: b.issuer,
        algorithm: b.algorithm,
        digits: b.digits,
        period: b.period,
    };
    Ok(Json(s.app.enroll_otp(&a.actor, id, input).await?))
}

/// Starts enrolment from a QR code screenshot (PNG or JPEG body, up to 10 MiB
/// and 25 megapixels).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/totp/qr", tag = "authenticator", params(("id" = String, Path)), request_body(description = "The screenshot", content((inline(crate::api::openapi::Binary) = "image/png"), (inline(crate::api::openapi::Binary) = "image/jpeg"), (inline(crate::api::openapi::Binary) = "application/octet-stream"))),
    responses((status = 200, description = "Pending: type `code` into the app, then confirm", body = PendingEnrollment), (status = 400, description = "`otp.invalid_qr`, `otp.image_too_large` (over 25 megapixels), `otp.qr_timeout`"), (status = 404, description = "`account.not_found`"), (status = 415, description = "`request.unsupported_media_type`: not sent as image/png or image/jpeg"), (status = 503, description = "`otp.busy`: every upload slot is taken; see Retry-After")), security(("bearer" = [])))]
pub(crate) async fn enroll_qr(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<PendingEnrollment>> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !(ct.starts_with("image/png")
        || ct.starts_with("image/jpeg")
        || ct.starts_with("application/octet-stream"))
    {
        return Err(WebError(AppError::UnsupportedMediaType(
            "send the screenshot as image/png or image/jpeg",
        )));
    }
    let input = EnrollInput {
        qr_image: Some(body.to_vec()),
        ..EnrollInput::default()
    };
    Ok(Json(s.app.enroll_otp(&a.actor, id, input).await?))
}

/// The active and pending enrolments (metadata only; the seed never leaves).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/totp", tag = "authenticator", operation_id = "otp_status", params(("id" = String, Path)), responses((status = 200, description = "The enrolments' metadata", body = OtpStatus), (status = 404, description = "`account.not_found`")), security(("bearer" = [])))]
pub(crate) async fn status(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
) -> ApiResult<Json<OtpStatus>> {
    Ok(Json(s.app.otp_status(&a.actor, id).await?))
}

/// The pending enrolment's current code ("Verify your code").
#[utoipa::path(get, path = "/api/v1/accounts/{id}/totp/pending", tag = "authenticator", params(("id" = String, Path)), responses((status = 200, description = "The pending enrolment's code", body = PendingEnrollment), (status = 404, description = "`otp.no_pending`, `account.not_found`")), security(("bearer" = [])))]
pub(crate) async fn pending(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
) -> ApiResult<Json<PendingEnrollment>> {
    Ok(Json(s.app.pending_otp_code(&a.actor, id).await?))
}

/// "Done": the pending seed becomes active (an older one is replaced only now).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/totp/confirm", tag = "authenticator", params(("id" = String, Path)), request_body(description = "Optional: the enrolment to confirm", content((ConfirmBody = "application/json"))),
    responses((status = 200, description = "Active", body = OtpStatus), (status = 404, description = "`otp.no_pending`, `account.not_found`"), (status = 409, description = "The pending enrolment is not the one named")), security(("bearer" = [])))]
pub(crate) async fn confirm(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
    body: Bytes,
) -> ApiResult<Json<OtpStatus>> {
    // The body is optional: `{"enrollment_id": "…"}` confirms only that enrolment.
    let expected = if body.iter().all(u8::is_ascii_whitespace) || body.trim_ascii() == b"null" {
        None
    } else {
        let b: ConfirmBody = serde_json::from_slice(&body).map_err(|e| {
            WebError(AppError::invalid(
                InvalidCode::RequestInvalidJson,
                format!("the body is not valid: {e}"),
            ))
        })?;
        b.enrollment_id
    };
    Ok(Json(
        s.app.confirm_otp(&a.actor, id, expected.as_deref()).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfirmBody {
    /// The `enrollment_id` the enrolment answered with.
    enrollment_id: Option<String>,
}

/// Cancels a pending enrolment.
#[utoipa::path(delete, path = "/api/v1/accounts/{id}/totp/pending", tag = "authenticator", operation_id = "otp_cancel_pending", params(("id" = String, Path)), responses((status = 204, description = "Cancelled"), (status = 404, description = "`otp.no_pending`, `account.not_found`")), security(("bearer" = [])))]
pub(crate) async fn cancel(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
) -> ApiResult<StatusCode> {
    s.app.cancel_pending_otp(&a.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes the active seed.
#[utoipa::path(delete, path = "/api/v1/accounts/{id}/totp", tag = "authenticator", operation_id = "otp_remove", params(("id" = String, Path)), responses((status = 204, description = "Removed"), (status = 404, description = "`otp.not_enrolled`, `account.not_found`")), security(("bearer" = [])))]
pub(crate) async fn remove(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
) -> ApiResult<StatusCode> {
    s.app.remove_otp(&a.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct CodeQuery {
    /// How the code is used (default `api`).
    #[serde(default, deserialize_with = "code_use")]
    #[param(value_type = Option<crate::api::openapi::names::CodeUse>)]
    via: Option<CodeUse>,
    /// Wait for the next code when fewer seconds than this are left
    /// (default 5 for cli, autofill and automation; 0 otherwise; larger
    /// values are taken as 30).
    #[param(minimum = 0, maximum = 30)]
    fresh: Option<i64>,
}

/// `via`, as [`CodeUse`]'s `FromStr` reads it; another value is
/// `request.invalid_query` (in the query, and in `UsedBody` by
/// [`crate::api::FIELD_CODES`]).
fn code_use<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<CodeUse>, D::Error> {
    Option::<String>::deserialize(d)?
        .map(|v| {
            v.parse::<CodeUse>().map_err(|_| {
                serde::de::Error::custom(format!(
                    "via must be view, copy, cli, api, autofill or automation, not {v:?}"
                ))
            })
        })
        .transpose()
}

/// The current code (members who may use the account). Recorded in the ledger.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/totp/code", tag = "authenticator", params(("id" = String, Path), CodeQuery),
    responses((status = 200, description = "The current and next code", body = CodeView), (status = 400, description = "`otp.not_enrolled`, `otp.hotp_needs_post`, `request.invalid_query`"), (status = 404, description = "`account.not_found`")), security(("bearer" = [])))]
pub(crate) async fn code(
    State(s): State<WebState>,
    p: Presented,
    id: Result<Path<String>, PathRejection>,
    q: Result<ApiQuery<CodeQuery>, WebError>,
) -> Result<Json<CodeView>, Response> {
    code_view(&s, p, id, q, false).await
}

/// Both code routes: the token is checked and the account read in one
/// statement ([`orthrus_app::App::otp_code_with_token`]). The answers and
/// their order are those of [`Authed`] first: with a bad path or query the
/// token is checked on its own, and a 401 comes before the 400.
async fn code_view(
    s: &WebState,
    p: Presented,
    id: Result<Path<String>, PathRejection>,
    q: Result<ApiQuery<CodeQuery>, WebError>,
    may_claim: bool,
) -> Result<Json<CodeView>, Response> {
    let asked = match (id, q) {
        (Err(e), _) => Err(e.into_response()),
        (Ok(_), Err(e)) => Err(e.into_response()),
        (Ok(Path(id)), Ok(ApiQuery(q))) => Ok((id, q.via.unwrap_or(CodeUse::Api), q.fresh)),
    };
    match asked {
        Ok((id, how, fresh)) => s
            .app
            .otp_code_with_token(&p.token, &p.ip, &id, how, fresh, may_claim)
            .await
            .map(Json)
            .map_err(|e| WebError(e).into_response()),
        Err(rejection) => {
            p.authenticate(s)
                .await
                .map_err(IntoResponse::into_response)?;
            Err(rejection)
        }
    }
}

/// The current code, for any kind of authenticator: an HOTP code is used up
/// by being handed out, so it comes only from a POST (a GET answers
/// `otp.hotp_needs_post`).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/totp/code", tag = "authenticator", params(("id" = String, Path), CodeQuery),
    responses((status = 200, description = "The current code (HOTP: a new one, used up)", body = CodeView), (status = 400, description = "`otp.not_enrolled`, `request.invalid_query`"), (status = 403, description = "`permission.denied`"), (status = 404, description = "`account.not_found`")), security(("bearer" = [])))]
pub(crate) async fn claim_code(
    State(s): State<WebState>,
    p: Presented,
    id: Result<Path<String>, PathRejection>,
    q: Result<ApiQuery<CodeQuery>, WebError>,
) -> Result<Json<CodeView>, Response> {
    code_view(&s, p, id, q, true).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UsedBody {
    step: i64,
    #[serde(default, deserialize_with = "code_use")]
    #[schema(value_type = Option<crate::api::openapi::names::CodeUse>)]
    via: Option<CodeUse>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct UsedResponse {
    /// False when the step had already been marked used.
    newly_marked: bool,
}

/// Marks a code's step used at the app, for the whole team.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/totp/used", tag = "authenticator", operation_id = "otp_mark_used", params(("id" = String, Path)), request_body = UsedBody, responses((status = 200, description = "Marked", body = UsedResponse), (status = 400, description = "`otp.not_enrolled`, a step too far from now, or an unknown `via`"), (status = 404, description = "`account.not_found`")), security(("bearer" = [])))]
pub(crate) async fn mark_used(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
    ApiJson(b): ApiJson<UsedBody>,
) -> ApiResult<Json<UsedResponse>> {
    let how = b.via.unwrap_or(CodeUse::Api);
    Ok(Json(UsedResponse {
        newly_marked: s.app.mark_otp_used(&a.actor, id, b.step, how).await?,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct VerifyBody {
    code: String,
    /// Steps either side of now that count (default 1).
    #[schema(minimum = 0, maximum = 1)]
    skew: Option<u8>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct VerifyResponse {
    valid: bool,
    step: Option<i64>,
}

/// Checks a code; a valid one is used up (a replay, even after a restart, is invalid).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/totp/verify", tag = "authenticator", params(("id" = String, Path)), request_body = VerifyBody, responses((status = 200, description = "Whether the code was valid (and is now used)", body = VerifyResponse), (status = 400, description = "`otp.not_enrolled`"), (status = 404, description = "`account.not_found`")), security(("bearer" = [])))]
pub(crate) async fn verify(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
    ApiJson(b): ApiJson<VerifyBody>,
) -> ApiResult<Json<VerifyResponse>> {
    let step = s
        .app
        .verify_otp(&a.actor, id, &b.code, b.skew.unwrap_or(1))
        .await?;
    Ok(Json(VerifyResponse {
        valid: step.is_some(),
        step,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct LedgerQuery {
    /// Default 100.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// Who was handed which code, how and when (account Owners, workspace Admins).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/totp/ledger", tag = "authenticator", params(("id" = String, Path), LedgerQuery), responses((status = 200, description = "Codes handed out, newest first", body = Vec<LedgerEntry>), (status = 404, description = "`account.not_found`")), security(("bearer" = [])))]
pub(crate) async fn ledger(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
    ApiQuery(q): ApiQuery<LedgerQuery>,
) -> ApiResult<Json<Vec<LedgerEntry>>> {
    Ok(Json(
        s.app
            .otp_ledger(&a.actor, id, q.limit.unwrap_or(100))
            .await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ImportQuery {
    /// Preview only: nothing is written (default true).
    dry_run: Option<bool>,
    /// Overwrite authenticators that accounts already have.
    replace: Option<bool>,
}

/// Imports seeds from another authenticator: a Google Authenticator export
/// QR code (picture or otpauth-migration:// text, several batches one per
/// line), an Aegis, 2FAS or Bitwarden JSON export, Bitwarden's CSV export
/// (`login_totp`), a CSV with an `otpauth` column, or an otpauth:// list.
/// Preview by default; applying needs step-up.
#[utoipa::path(post, path = "/api/v1/authenticator/import", tag = "authenticator", params(ImportQuery),
    request_body(description = "The export as it is: the format is read from the content, whatever the Content-Type", content(
        (Object = "application/json"),
        (String = "text/plain"),
        (String = "text/csv"),
        (inline(crate::api::openapi::Binary) = "application/octet-stream"))),
    responses((status = 200, description = "What was (or, on a dry run, would be) imported", body = orthrus_app::ImportReport), (status = 400, description = "`import.unrecognized`, `import.invalid`, `import.too_many` (over 1000 entries), `import.image_too_large` (over 25 megapixels), `import.timeout`"), (status = 503, description = "`import.busy`: every upload slot is taken; see Retry-After")), security(("bearer" = [])))]
pub(crate) async fn import(
    State(s): State<WebState>,
    a: Authed,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: Bytes,
) -> ApiResult<Json<orthrus_app::ImportReport>> {
    Ok(Json(
        s.app
            .import_otp(
                &a.actor,
                &body,
                q.dry_run.unwrap_or(true),
                q.replace.unwrap_or(false),
            )
            .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExportBody {
    /// `age` (encrypted with `passphrase`) or `otpauth` (plain list).
    #[schema(value_type = crate::api::openapi::names::ExportFormat)]
    format: String,
    passphrase: Option<String>,
}

/// Exports every active seed (workspace Owner or Super Admin, step-up).
#[utoipa::path(post, path = "/api/v1/authenticator/export", tag = "authenticator", request_body = ExportBody,
    responses((status = 200, description = "The file (`x-orthrus-entries` says how many seeds)", content((inline(crate::api::openapi::Binary) = "application/octet-stream"), (String = "text/plain"))), (status = 400, description = "`export.invalid_format`, `export.weak_passphrase`"), (status = 403, description = "`step_up.required`, `permission.denied`, `approval.required`")), security(("bearer" = [])))]
pub(crate) async fn export(
    State(s): State<WebState>,
    a: Authed,
    ApiJson(b): ApiJson<ExportBody>,
) -> ApiResult<Response> {
    let f = s
        .app
        .export_otp(&a.actor, &b.format, b.passphrase.as_deref())
        .await?;
    let mut r = f.bytes.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static(f.content_type),
    );
    h.insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    if let Ok(v) =
        axum::http::HeaderValue::from_str(&format!("attachment; filename=\"{}\"", f.filename))
    {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = axum::http::HeaderValue::from_str(&f.count.to_string()) {
        h.insert("x-orthrus-entries", v);
    }
    Ok(r)
}
