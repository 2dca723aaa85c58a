//! JSON API of the two-person rule (`app/dual.rs`): the waiting approvals,
//! deciding one, and tagging an account critical.

use crate::WebState;
use crate::api::ApiResult;
use crate::api::device_approval::DecideResponse;
use crate::extract::{ApiJson, Authed, PathId, entity};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Requests waiting for a second Owner or Super Admin (two-person rule).
#[utoipa::path(get, path = "/api/v1/dual-approvals", tag = "workspace", responses((status = 200, description = "Waiting requests", body = Vec<orthrus_app::DualApproval>)), security(("bearer" = [])))]
pub(crate) async fn dual_approvals(
    State(s): State<WebState>,
    a: Authed,
) -> ApiResult<Json<Vec<orthrus_app::DualApproval>>> {
    Ok(Json(s.app.list_dual_approvals(&a.actor).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DualDecisionBody {
    approve: bool,
}

/// Approves or denies another person's request (Owner or Super Admin, step-up).
#[utoipa::path(post, path = "/api/v1/dual-approvals/{id}", tag = "workspace", params(("id" = String, Path)), request_body = DualDecisionBody, responses((status = 200, description = "`approved` or `denied`", body = DecideResponse), (status = 404, description = "`approval.not_found`"), (status = 400, description = "`approval.own_request`, `approval.recent_grant`"), (status = 409, description = "`approval.closed`: already decided or expired")), security(("bearer" = [])))]
pub(crate) async fn decide_dual(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Approval>,
    ApiJson(b): ApiJson<DualDecisionBody>,
) -> ApiResult<Json<DecideResponse>> {
    Ok(Json(DecideResponse {
        status: s
            .app
            .decide_dual_approval(&a.actor, id, b.approve)
            .await?
            .to_string(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CriticalBody {
    critical: bool,
}

/// Tags an account critical or untags it (workspace Owners and Super Admins,
/// step-up): with the two-person rule on, its backup codes then need a second
/// approver, and so does untagging it (`approval.required`).
#[utoipa::path(put, path = "/api/v1/accounts/{id}/critical", tag = "accounts", params(("id" = String, Path)), request_body = CriticalBody, responses((status = 204, description = "Tagged or untagged"), (status = 403, description = "`permission.denied`, `step_up.required`, `approval.required`"), (status = 404, description = "`account.not_found`")), security(("bearer" = [])))]
pub(crate) async fn set_critical(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
    ApiJson(b): ApiJson<CriticalBody>,
) -> ApiResult<StatusCode> {
    s.app.set_account_critical(&a.actor, id, b.critical).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) fn routes() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(dual_approvals))
        .routes(routes!(decide_dual))
        .routes(routes!(set_critical))
}
