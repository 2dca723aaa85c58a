//! JSON API of step-up by approval on another device
//! (`app/device_approval.rs`): the asking session's request and its status,
//! and the caller's other sessions answering it.

use crate::WebState;
use crate::api::ApiResult;
use crate::extract::{ApiJson, Authed, PathId, entity};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Asks another signed-in device of yours to confirm it is you ("It's me!").
/// Show `number`; the other device must pick it. Expires after 2 minutes.
#[utoipa::path(post, path = "/api/v1/auth/step-up/device", tag = "auth", responses((status = 200, description = "The request; show `number`", body = orthrus_app::DeviceRequest), (status = 400, description = "`step_up.unsupported`: API tokens cannot be elevated")), security(("bearer" = [])))]
pub(crate) async fn device_request(
    State(s): State<WebState>,
    a: Authed,
) -> ApiResult<Json<orthrus_app::DeviceRequest>> {
    Ok(Json(s.app.request_device_step_up(&a.actor).await?))
}

/// How the request stands (the requesting session only); a read that changes
/// nothing. `approved`: complete it with `POST` within 5 minutes; `used`: it
/// elevated this session.
#[utoipa::path(get, path = "/api/v1/auth/step-up/device/{id}", tag = "auth", params(("id" = String, Path)), responses((status = 200, description = "How the request stands", body = orthrus_app::DeviceRequestStatus), (status = 404, description = "`approval.not_found`")), security(("bearer" = [])))]
pub(crate) async fn device_status(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::StepUpRequest>,
) -> ApiResult<Json<orthrus_app::DeviceRequestStatus>> {
    Ok(Json(s.app.device_step_up_status(&a.actor, id).await?))
}

/// Completes an approved request: elevates this session (the requesting
/// one), once, within 5 minutes of the approval (`approval.used`,
/// `approval.expired`, `approval.pending` otherwise).
#[utoipa::path(post, path = "/api/v1/auth/step-up/device/{id}", tag = "auth", params(("id" = String, Path)), responses((status = 200, description = "Used: this session is elevated", body = orthrus_app::DeviceRequestStatus), (status = 404, description = "`approval.not_found`"), (status = 409, description = "`approval.used`, `approval.expired`, `approval.pending`")), security(("bearer" = [])))]
pub(crate) async fn device_complete(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::StepUpRequest>,
) -> ApiResult<Json<orthrus_app::DeviceRequestStatus>> {
    Ok(Json(s.app.complete_device_step_up(&a.actor, id).await?))
}

/// Requests from your other devices waiting for you.
#[utoipa::path(get, path = "/api/v1/me/approvals", tag = "me", responses((status = 200, description = "Waiting requests", body = Vec<orthrus_app::ApprovalPrompt>)), security(("bearer" = [])))]
pub(crate) async fn approvals(
    State(s): State<WebState>,
    a: Authed,
) -> ApiResult<Json<Vec<orthrus_app::ApprovalPrompt>>> {
    Ok(Json(s.app.pending_approvals(&a.actor).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DecideBody {
    /// The number the other device shows.
    number: Option<String>,
    #[serde(default)]
    deny: bool,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct DecideResponse {
    pub status: String,
}

/// Approves with the number, or denies. A wrong number denies.
#[utoipa::path(post, path = "/api/v1/me/approvals/{id}", tag = "me", params(("id" = String, Path)), request_body = DecideBody,
    responses((status = 200, description = "`approved` or `denied`", body = DecideResponse), (status = 404, description = "`approval.not_found`"), (status = 409, description = "`approval.closed`")), security(("bearer" = [])))]
pub(crate) async fn decide(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::StepUpRequest>,
    ApiJson(b): ApiJson<DecideBody>,
) -> ApiResult<Json<DecideResponse>> {
    Ok(Json(DecideResponse {
        status: s
            .app
            .decide_approval(&a.actor, id, b.number.as_deref(), b.deny)
            .await?
            .to_string(),
    }))
}

pub(crate) fn routes() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(device_request))
        .routes(routes!(device_status, device_complete))
        .routes(routes!(approvals))
        .routes(routes!(decide))
}
