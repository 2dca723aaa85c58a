//! JSON API of forwarding (`app/forward.rs`): forwarding a message to the
//! caller's own verified address, and setting and verifying that address.

use crate::WebState;
use crate::api::ApiResult;
use crate::extract::{ApiJson, Authed, PathId, entity};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Serialize, ToSchema)]
pub(crate) struct Forwarded {
    to: String,
}

/// Forwards a message to the caller's verified forwarding address through
/// the outbound relay (audited). 400 `forward.not_verified`, 409
/// `forward.not_configured` when the server has no relay.
#[utoipa::path(post, path = "/api/v1/inbox/{id}/forward", tag = "inbox", params(("id" = String, Path)), responses((status = 200, description = "Sent to `to`", body = Forwarded), (status = 400, description = "`forward.not_verified`"), (status = 404, description = "`inbox.message_not_found`"), (status = 409, description = "`forward.not_configured`: the server has no outbound relay"), (status = 429, description = "`auth.throttled`: too many forwards; see Retry-After")), security(("bearer" = [])))]
pub(crate) async fn inbox_forward(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Message>,
) -> ApiResult<Json<Forwarded>> {
    let to = s.app.forward_message(&a.actor, id).await?;
    Ok(Json(Forwarded { to }))
}

/// The caller's forwarding address, or null.
#[utoipa::path(get, path = "/api/v1/me/forward-address", tag = "inbox", responses((status = 200, description = "The address, or null", body = Option<orthrus_app::ForwardAddress>)), security(("bearer" = [])))]
pub(crate) async fn forward_address_get(
    State(s): State<WebState>,
    a: Authed,
) -> ApiResult<Json<Option<orthrus_app::ForwardAddress>>> {
    Ok(Json(s.app.forward_address(&a.actor).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ForwardAddressBody {
    /// Default: the caller's sign-in email.
    #[schema(max_length = 254)]
    email: Option<String>,
}

/// Sets the caller's forwarding address and emails it a verification code.
#[utoipa::path(put, path = "/api/v1/me/forward-address", tag = "inbox", request_body = ForwardAddressBody, responses((status = 200, description = "The address, waiting for its code", body = orthrus_app::ForwardAddress), (status = 400, description = "`email.invalid`"), (status = 409, description = "`forward.not_configured`: the server has no outbound relay"), (status = 429, description = "`auth.throttled`: a code was sent moments ago; see Retry-After")), security(("bearer" = [])))]
pub(crate) async fn forward_address_put(
    State(s): State<WebState>,
    a: Authed,
    ApiJson(b): ApiJson<ForwardAddressBody>,
) -> ApiResult<Json<orthrus_app::ForwardAddress>> {
    Ok(Json(
        s.app
            .start_forward_verification(&a.actor, b.email.as_deref())
            .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ForwardVerifyBody {
    code: String,
}

/// Verifies the forwarding address with the code that was emailed to it.
#[utoipa::path(post, path = "/api/v1/me/forward-address/verify", tag = "inbox", request_body = ForwardVerifyBody, responses((status = 200, description = "The address is verified", body = orthrus_app::ForwardAddress), (status = 400, description = "A wrong or expired code, or none was sent")), security(("bearer" = [])))]
pub(crate) async fn forward_address_verify(
    State(s): State<WebState>,
    a: Authed,
    ApiJson(b): ApiJson<ForwardVerifyBody>,
) -> ApiResult<Json<orthrus_app::ForwardAddress>> {
    Ok(Json(s.app.verify_forward_address(&a.actor, &b.code).await?))
}

pub(crate) fn routes() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(inbox_forward))
        .routes(routes!(forward_address_get, forward_address_put))
        .routes(routes!(forward_address_verify))
}
