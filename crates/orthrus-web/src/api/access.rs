//! JSON API for access requests (issue 15, item 4): the workspace's
//! directory of accounts (app and label only), asking for access, and the
//! Owners' approve and decline.

use crate::WebState;
use crate::api::ApiResult;
use crate::extract::{ApiJson, Authed, PathId, entity};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use orthrus_app::{AccessRequestInfo, DirectoryAccount, NewAccessRequest};
use orthrus_core::AccountRole;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(account_directory))
        .routes(routes!(create_access_request))
        .routes(routes!(list_access_requests))
        .routes(routes!(approve_access_request))
        .routes(routes!(decline_access_request))
}

/// The workspace's accounts by app and label, to ask for access to one you
/// cannot see (workspace Users and above; not guests).
#[utoipa::path(get, path = "/api/v1/account-directory", tag = "access requests",
    responses((status = 200, description = "Every account of the workspace, app and label only, with your role and your waiting request", body = Vec<DirectoryAccount>), (status = 403, description = "`permission.denied`: guests have no directory")),
    security(("bearer" = [])))]
pub(crate) async fn account_directory(
    State(s): State<WebState>,
    a: Authed,
) -> ApiResult<Json<Vec<DirectoryAccount>>> {
    Ok(Json(s.app.account_directory(&a.actor).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AccessRequestBody {
    /// The role you ask for.
    #[serde(deserialize_with = "crate::api::account_role")]
    #[schema(value_type = orthrus_app::schema::AccountRoleName)]
    role: AccountRole,
    /// Why you need it (the Owners read it).
    #[schema(min_length = 1, max_length = 500)]
    reason: String,
    /// For how long, in hours (1 to 8760); the access ends that long after
    /// the approval.
    #[schema(minimum = 1, maximum = 8760)]
    duration_hours: i64,
}

/// Asks the account's Owners for a role on it for a while. They see it on
/// their Requests page and, with an outbound relay configured, by email.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/access-requests", tag = "access requests", params(("id" = String, Path)), request_body = AccessRequestBody,
    responses((status = 201, description = "Asked; waiting for an Owner", body = AccessRequestInfo), (status = 400, description = "`member.invalid_role`, `access_request.invalid_reason`, `access_request.invalid_duration`"), (status = 403, description = "`permission.denied`: guests cannot ask"), (status = 404, description = "`account.not_found`"), (status = 409, description = "`access_request.duplicate`: you already asked and it is waiting; `access_request.already_granted`")),
    security(("bearer" = [])))]
pub(crate) async fn create_access_request(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
    ApiJson(b): ApiJson<AccessRequestBody>,
) -> ApiResult<(StatusCode, Json<AccessRequestInfo>)> {
    let role = b.role;
    let r = s
        .app
        .request_access(
            &a.actor,
            id,
            NewAccessRequest {
                role,
                reason: b.reason,
                duration_hours: b.duration_hours,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// Your own requests (with their outcome) and the ones you may decide,
/// newest first.
#[utoipa::path(get, path = "/api/v1/access-requests", tag = "access requests",
    responses((status = 200, description = "Requests; `can_decide` marks the ones waiting for you", body = Vec<AccessRequestInfo>)),
    security(("bearer" = [])))]
pub(crate) async fn list_access_requests(
    State(s): State<WebState>,
    a: Authed,
) -> ApiResult<Json<Vec<AccessRequestInfo>>> {
    Ok(Json(s.app.list_access_requests(&a.actor).await?))
}

/// Approves a request: the requester becomes a member with the role asked,
/// until now plus the duration asked (account Owners; workspace Owners, and
/// Super Admins after an identity check).
#[utoipa::path(post, path = "/api/v1/access-requests/{id}/approve", tag = "access requests", params(("id" = String, Path)),
    responses((status = 200, description = "Approved; `grant_expires_at` says when the access ends", body = AccessRequestInfo), (status = 403, description = "`permission.denied`, `step_up.required`"), (status = 404, description = "`access_request.not_found`"), (status = 409, description = "`access_request.decided`: already approved or declined; `access_request.requester_gone`")),
    security(("bearer" = [])))]
pub(crate) async fn approve_access_request(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::AccessRequest>,
) -> ApiResult<Json<AccessRequestInfo>> {
    Ok(Json(s.app.approve_access_request(&a.actor, id).await?))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeclineBody {
    /// Why (the requester reads it); optional.
    #[serde(default)]
    #[schema(max_length = 500)]
    note: Option<String>,
}

/// Declines a request, with an optional note for the requester.
#[utoipa::path(post, path = "/api/v1/access-requests/{id}/decline", tag = "access requests", params(("id" = String, Path)), request_body = DeclineBody,
    responses((status = 200, description = "Declined", body = AccessRequestInfo), (status = 400, description = "`access_request.invalid_note`"), (status = 403, description = "`permission.denied`, `step_up.required`"), (status = 404, description = "`access_request.not_found`"), (status = 409, description = "`access_request.decided`: already approved or declined")),
    security(("bearer" = [])))]
pub(crate) async fn decline_access_request(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::AccessRequest>,
    ApiJson(b): ApiJson<DeclineBody>,
) -> ApiResult<Json<AccessRequestInfo>> {
    Ok(Json(
        s.app.decline_access_request(&a.actor, id, b.note).await?,
    ))
}
