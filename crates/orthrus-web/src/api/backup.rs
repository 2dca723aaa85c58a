//! JSON API: backup codes of an account.

use crate::WebState;
use crate::api::ApiResult;
use crate::extract::{ApiJson, Authed, PathId, PathIdAnd, entity};
use axum::Json;
use axum::extract::State;
use orthrus_app::{BackupCodes, BackupStatus, UsedBackupCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(view, set))
        .routes(routes!(preview))
        .routes(routes!(status))
        .routes(routes!(use_one))
        .routes(routes!(mark_used))
}

/// A list of codes, or one pasted block.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub(crate) enum CodesInput {
    List(Vec<String>),
    Block(String),
}

impl CodesInput {
    fn lines(self) -> Vec<String> {
        match self {
            Self::List(v) => v,
            Self::Block(s) => vec![s],
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CodesBody {
    /// The codes as a list, or pasted as the app shows them (numbered,
    /// grouped like `1234 5678` or `abcd-efgh`, comma- or line-separated).
    codes: CodesInput,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PreviewResponse {
    codes: Vec<String>,
    count: usize,
}

/// Stores a new set of backup codes (account Owner); the old set becomes history.
#[utoipa::path(put, path = "/api/v1/accounts/{id}/backup-codes", tag = "backup codes", params(("id" = String, Path)), request_body = CodesBody,
    responses((status = 200, description = "The new set's counts", body = BackupStatus), (status = 400, description = "`backup_codes.none_found`, `backup_codes.too_many` (over 100)"), (status = 404, description = "`account.not_found`")), security(("bearer" = [])))]
pub(crate) async fn set(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
    ApiJson(b): ApiJson<CodesBody>,
) -> ApiResult<Json<BackupStatus>> {
    Ok(Json(
        s.app
            .set_backup_codes(&a.actor, id, &b.codes.lines())
            .await?,
    ))
}

/// What a paste would store; nothing is written.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/backup-codes/preview", tag = "backup codes", params(("id" = String, Path)), request_body = CodesBody, responses((status = 200, description = "The codes as they would be stored", body = PreviewResponse), (status = 400, description = "`backup_codes.none_found`, `backup_codes.too_many`"), (status = 404, description = "`account.not_found`")), security(("bearer" = [])))]
pub(crate) async fn preview(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
    ApiJson(b): ApiJson<CodesBody>,
) -> ApiResult<Json<PreviewResponse>> {
    let codes = s
        .app
        .preview_backup_codes(&a.actor, id, &b.codes.lines())
        .await?;
    Ok(Json(PreviewResponse {
        count: codes.len(),
        codes,
    }))
}

/// The active set with each code's state (account Owner, step-up; audited).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/backup-codes", tag = "backup codes", params(("id" = String, Path)),
    responses((status = 200, description = "The codes", body = BackupCodes), (status = 403, description = "`step_up.required`, `permission.denied`, `approval.required`"), (status = 404, description = "`account.not_found`, `backup_codes.none`")), security(("bearer" = [])))]
pub(crate) async fn view(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
) -> ApiResult<Json<BackupCodes>> {
    Ok(Json(s.app.view_backup_codes(&a.actor, id).await?))
}

/// How many codes are left (anyone who sees the account).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/backup-codes/status", tag = "backup codes", operation_id = "backup_status", params(("id" = String, Path)), responses((status = 200, description = "The counts", body = BackupStatus), (status = 404, description = "`account.not_found`")), security(("bearer" = [])))]
pub(crate) async fn status(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
) -> ApiResult<Json<BackupStatus>> {
    Ok(Json(s.app.backup_status(&a.actor, id).await?))
}

/// Hands out one unused code and marks it used (step-up; audited).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/backup-codes/use", tag = "backup codes", params(("id" = String, Path)),
    responses((status = 200, description = "The code, now marked used", body = UsedBackupCode), (status = 400, description = "`backup_codes.exhausted`"), (status = 403, description = "`step_up.required`, `permission.denied`, `approval.required`"), (status = 404, description = "`account.not_found`, `backup_codes.none`")), security(("bearer" = [])))]
pub(crate) async fn use_one(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
) -> ApiResult<Json<UsedBackupCode>> {
    Ok(Json(s.app.use_backup_code(&a.actor, id).await?))
}

/// Marks one code used by hand (step-up; audited).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/backup-codes/{position}/used", tag = "backup codes", operation_id = "backup_mark_used", params(("id" = String, Path), ("position" = i64, Path, description = "The code's position in the set, from 1")),
    responses((status = 200, description = "The counts", body = BackupStatus), (status = 403, description = "`step_up.required`, `permission.denied`"), (status = 404, description = "`account.not_found`, `backup_codes.none`, `backup_codes.not_found`")), security(("bearer" = [])))]
pub(crate) async fn mark_used(
    State(s): State<WebState>,
    a: Authed,
    PathIdAnd(id, position): PathIdAnd<entity::Account, i64>,
) -> ApiResult<Json<BackupStatus>> {
    Ok(Json(
        s.app.mark_backup_code_used(&a.actor, id, position).await?,
    ))
}
