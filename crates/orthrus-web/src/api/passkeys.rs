//! JSON API of passkeys (`app/passkeys.rs`): registering, listing and
//! removing one's own, and step-up with one.

use crate::WebState;
use crate::api::ApiResult;
use crate::api::auth::StepUpResponse;
use crate::extract::{ApiJson, Authed, PathId, entity};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Starts registering a passkey (needs a fresh step-up). Pass the answer to
/// `navigator.credentials.create`.
#[utoipa::path(post, path = "/api/v1/me/passkeys/register/start", tag = "me", responses((status = 200, description = "WebAuthn creation options", body = Object), (status = 400, description = "`passkey.unsupported` (an API token, not a signed-in session), `passkey.unavailable` (the server is reached by an IP address: set `http.public_url` to a host name)")), security(("bearer" = [])))]
pub(crate) async fn passkey_register_start(
    State(s): State<WebState>,
    a: Authed,
) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(s.app.passkey_register_start(&a.actor).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasskeyFinishBody {
    #[serde(default)]
    name: String,
    /// The browser's PublicKeyCredential, base64url-encoded buffers.
    #[schema(value_type = Object)]
    credential: serde_json::Value,
}

/// Finishes registering a passkey.
#[utoipa::path(post, path = "/api/v1/me/passkeys/register/finish", tag = "me", request_body = PasskeyFinishBody, responses((status = 200, description = "Registered", body = orthrus_app::PasskeyInfo), (status = 400, description = "`passkey.unsupported`, `passkey.expired`, `passkey.invalid`, `passkey.rejected`, `passkey.unavailable`")), security(("bearer" = [])))]
pub(crate) async fn passkey_register_finish(
    State(s): State<WebState>,
    a: Authed,
    ApiJson(b): ApiJson<PasskeyFinishBody>,
) -> ApiResult<Json<orthrus_app::PasskeyInfo>> {
    Ok(Json(
        s.app
            .passkey_register_finish(&a.actor, &b.name, b.credential)
            .await?,
    ))
}

/// Your passkeys.
#[utoipa::path(get, path = "/api/v1/me/passkeys", tag = "me", responses((status = 200, description = "Your passkeys", body = Vec<orthrus_app::PasskeyInfo>)), security(("bearer" = [])))]
pub(crate) async fn list_passkeys(
    State(s): State<WebState>,
    a: Authed,
) -> ApiResult<Json<Vec<orthrus_app::PasskeyInfo>>> {
    Ok(Json(s.app.list_passkeys(&a.actor).await?))
}

/// Removes one of your passkeys.
#[utoipa::path(delete, path = "/api/v1/me/passkeys/{id}", tag = "me", params(("id" = String, Path)), responses((status = 204, description = "Removed"), (status = 404, description = "`passkey.not_found`")), security(("bearer" = [])))]
pub(crate) async fn delete_passkey(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Passkey>,
) -> ApiResult<StatusCode> {
    s.app.delete_passkey(&a.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Starts a passkey step-up. Pass the answer to `navigator.credentials.get`.
#[utoipa::path(post, path = "/api/v1/auth/step-up/passkey/start", tag = "auth", responses((status = 200, description = "WebAuthn request options", body = Object), (status = 400, description = "`passkey.none`, `passkey.unavailable`, `step_up.unsupported` (API tokens cannot be elevated)")), security(("bearer" = [])))]
pub(crate) async fn passkey_step_up_start(
    State(s): State<WebState>,
    a: Authed,
) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(s.app.passkey_step_up_start(&a.actor).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasskeyAssertBody {
    #[schema(value_type = Object)]
    credential: serde_json::Value,
}

/// Finishes a passkey step-up: the session is elevated.
#[utoipa::path(post, path = "/api/v1/auth/step-up/passkey/finish", tag = "auth", request_body = PasskeyAssertBody, responses((status = 200, description = "The session is elevated", body = StepUpResponse), (status = 400, description = "`passkey.expired`, `passkey.invalid`, `step_up.unsupported`"), (status = 401, description = "The assertion does not verify (`auth.invalid_credentials`)")), security(("bearer" = [])))]
pub(crate) async fn passkey_step_up_finish(
    State(s): State<WebState>,
    a: Authed,
    ApiJson(b): ApiJson<PasskeyAssertBody>,
) -> ApiResult<Json<StepUpResponse>> {
    let until = s.app.passkey_step_up_finish(&a.actor, b.credential).await?;
    Ok(Json(StepUpResponse {
        elevated_until: until.to_rfc3339(),
    }))
}

pub(crate) fn routes() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(list_passkeys))
        .routes(routes!(delete_passkey))
        .routes(routes!(passkey_register_start))
        .routes(routes!(passkey_register_finish))
        .routes(routes!(passkey_step_up_start))
        .routes(routes!(passkey_step_up_finish))
}
