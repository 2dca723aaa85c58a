//! Automation jobs over the API: start one on an account, follow it, cancel
//! it, list the automation log.

use crate::WebState;
use crate::api::ApiResult;
use crate::extract::{ApiJson, ApiQuery, Authed, PathId, entity};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use orthrus_app::{JobView, RotationInput, RotationSchedule};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(start))
        .routes(routes!(list))
        .routes(routes!(job))
        .routes(routes!(cancel))
        .routes(routes!(answer))
        .routes(routes!(screenshot))
        .routes(routes!(rotation, set_rotation))
}

/// The account's password rotation: every N days in an hour window, and/or
/// when a member leaves.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/rotation", tag = "automation", params(("id" = String, Path)), responses((status = 200, description = "The schedule", body = RotationSchedule), (status = 403, description = "`permission.denied`"), (status = 404, description = "`account.not_found`")), security(("bearer" = [])))]
pub(crate) async fn rotation(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
) -> ApiResult<Json<RotationSchedule>> {
    Ok(Json(s.app.rotation_schedule(&a.actor, id).await?))
}

/// Sets the account's password rotation (`every_days` null and
/// `on_member_leave` false: none). The jobs run with the caller's rights.
#[utoipa::path(put, path = "/api/v1/accounts/{id}/rotation", tag = "automation", params(("id" = String, Path)), request_body = RotationInput, responses((status = 200, description = "The schedule as set", body = RotationSchedule), (status = 400, description = "A value out of range (the code says which)"), (status = 403, description = "`permission.denied`"), (status = 404, description = "`account.not_found`")), security(("bearer" = [])))]
pub(crate) async fn set_rotation(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
    ApiJson(b): ApiJson<RotationInput>,
) -> ApiResult<Json<RotationSchedule>> {
    Ok(Json(s.app.set_rotation_schedule(&a.actor, id, b).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnswerBody {
    /// What the CAPTCHA shows; `yes` to allow a backup code.
    answer: String,
}

/// Answers a job waiting for a person (`question` in the job). Allowing a
/// backup code needs the right to use the account's backup codes and a
/// recent identity check.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/answer", tag = "automation", params(("id" = String, Path)), request_body = AnswerBody, responses((status = 200, description = "The job, going on", body = JobView), (status = 400, description = "An empty or too long answer"), (status = 403, description = "`permission.denied`, `step_up.required`"), (status = 404, description = "The job is unknown"), (status = 409, description = "The job is not waiting for an answer")), security(("bearer" = [])))]
pub(crate) async fn answer(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Job>,
    ApiJson(b): ApiJson<AnswerBody>,
) -> ApiResult<Json<JobView>> {
    Ok(Json(
        s.app.answer_automation(&a.actor, id, &b.answer).await?,
    ))
}

/// The job's latest screenshot (on failure, or of what it asks), as PNG.
#[utoipa::path(get, path = "/api/v1/jobs/{id}/screenshot", tag = "automation", params(("id" = String, Path)), responses((status = 200, description = "The screenshot", content_type = "image/png", body = inline(crate::api::openapi::Binary)), (status = 404, description = "The job is unknown or has no screenshot")), security(("bearer" = [])))]
pub(crate) async fn screenshot(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Job>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let png = s.app.automation_screenshot(&a.actor, id).await?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "image/png"),
            (axum::http::header::CACHE_CONTROL, "no-store"),
        ],
        png,
    )
        .into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StartBody {
    /// `login`, `enable_mfa`, `rotate_password`, `swap_email`, `check_mfa`
    /// (sign in from a fresh browser and record whether the app still asks
    /// for the authenticator code).
    kind: String,
    /// For `enable_mfa` only, optional: `true` says you verified in the app
    /// that MFA is off (the account page asks the same); `false` is
    /// refused (`automation.mfa_off_unconfirmed`). Absent: not asked.
    #[serde(default)]
    confirmed_mfa_off: Option<bool>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct Started {
    pub job_id: String,
    #[schema(value_type = String)]
    pub state: orthrus_core::JobState,
}

/// Queues an automation on the account; follow it with `GET /jobs/{id}`.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/automations", tag = "automation", params(("id" = String, Path)), request_body = StartBody, responses((status = 202, description = "Queued", body = Started), (status = 400, description = "`automation.unknown_kind`, `automation.not_available`, or what the account lacks for it"), (status = 403, description = "`permission.denied`, `step_up.required`"), (status = 404, description = "`account.not_found`"), (status = 409, description = "A job of the account is already queued or running")), security(("bearer" = [])))]
pub(crate) async fn start(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
    ApiJson(b): ApiJson<StartBody>,
) -> ApiResult<(StatusCode, Json<Started>)> {
    let opts = orthrus_app::StartOptions {
        confirmed_mfa_off: b.confirmed_mfa_off,
    };
    let j = s
        .app
        .start_automation_with(&a.actor, id, &b.kind, opts)
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Started {
            job_id: j.id,
            state: j.state,
        }),
    ))
}

/// A job with its steps (the automation log entry).
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "automation", params(("id" = String, Path)), responses((status = 200, description = "The job", body = JobView), (status = 404, description = "The job is unknown")), security(("bearer" = [])))]
pub(crate) async fn job(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Job>,
) -> ApiResult<Json<JobView>> {
    Ok(Json(s.app.automation_job(&a.actor, id).await?))
}

/// Cancels a job (at once if it has not started; else at its next step).
#[utoipa::path(post, path = "/api/v1/jobs/{id}/cancel", tag = "automation", operation_id = "cancel_job", params(("id" = String, Path)), responses((status = 200, description = "The job, cancelled or to be cancelled at its next step", body = JobView), (status = 404, description = "The job is unknown")), security(("bearer" = [])))]
pub(crate) async fn cancel(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Job>,
) -> ApiResult<Json<JobView>> {
    Ok(Json(s.app.cancel_automation(&a.actor, id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListParams {
    account_id: Option<String>,
}

/// The automation log, newest first (without steps).
#[utoipa::path(get, path = "/api/v1/jobs", tag = "automation", params(ListParams), responses((status = 200, description = "Jobs, newest first", body = Vec<JobView>), (status = 404, description = "`account.not_found` (with `account_id`)")), security(("bearer" = [])))]
pub(crate) async fn list(
    State(s): State<WebState>,
    a: Authed,
    ApiQuery(q): ApiQuery<ListParams>,
) -> ApiResult<Json<Vec<JobView>>> {
    Ok(Json(
        s.app
            .automation_jobs(&a.actor, q.account_id.as_deref())
            .await?,
    ))
}
