//! JSON API of issue 15's directory parts: the workspace's SCIM token,
//! teams and the roles they hold on accounts, and the activity export of
//! the audit log (CSV or JSON lines, streamed a page at a time).

use crate::WebState;
use crate::api::ApiResult;
use crate::error::WebError;
use crate::extract::{ApiJson, ApiQuery, Authed};
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use orthrus_app::{AppError, AuditExportFormat, AuditQuery, TeamGrantInfo, TeamInfo};
use orthrus_core::AccountRole;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(create_scim_token, revoke_scim_token))
        .routes(routes!(list_teams))
        .routes(routes!(account_teams))
        .routes(routes!(grant_team, revoke_team))
        .routes(routes!(export_audit))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ScimTokenResponse {
    /// The SCIM bearer token, shown only now. Give it to the directory with
    /// the tenant URL `<public URL>/scim/v2`.
    token: String,
}

/// Creates the workspace's SCIM provisioning token (workspace Owners, after
/// an identity check). A new token replaces the old one at once.
#[utoipa::path(post, path = "/api/v1/workspace/scim-token", tag = "workspace",
    responses((status = 201, description = "Created; the token is shown only now", body = ScimTokenResponse), (status = 403, description = "`permission.denied`, `step_up.required`")), security(("bearer" = [])))]
pub(crate) async fn create_scim_token(State(s): State<WebState>, a: Authed) -> ApiResult<Response> {
    let token = s.app.create_scim_token(&a.actor).await?;
    let mut r = (StatusCode::CREATED, Json(ScimTokenResponse { token })).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// Revokes the workspace's SCIM provisioning token (workspace Owners, after
/// an identity check): the directory's next request gets 401. A token also
/// ends when its creator is deactivated or stops being a workspace Owner.
#[utoipa::path(delete, path = "/api/v1/workspace/scim-token", tag = "workspace",
    responses((status = 204, description = "Revoked"), (status = 403, description = "`permission.denied`, `step_up.required`"), (status = 404, description = "`scim_token.not_found`: the workspace has no SCIM token")), security(("bearer" = [])))]
pub(crate) async fn revoke_scim_token(
    State(s): State<WebState>,
    a: Authed,
) -> ApiResult<StatusCode> {
    s.app.revoke_scim_token(&a.actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The workspace's teams (provisioned by SCIM as Groups) with their members.
#[utoipa::path(get, path = "/api/v1/teams", tag = "teams",
    responses((status = 200, description = "Teams by name", body = Vec<TeamInfo>)), security(("bearer" = [])))]
pub(crate) async fn list_teams(
    State(s): State<WebState>,
    a: Authed,
) -> ApiResult<Json<Vec<TeamInfo>>> {
    Ok(Json(s.app.list_teams(&a.actor).await?))
}

/// The teams holding a role on an account.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/teams", tag = "teams", params(("id" = String, Path)),
    responses((status = 200, description = "The account's team grants", body = Vec<TeamGrantInfo>), (status = 404, description = "`account.not_found`")), security(("bearer" = [])))]
pub(crate) async fn account_teams(
    State(s): State<WebState>,
    a: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<TeamGrantInfo>>> {
    Ok(Json(s.app.account_team_grants(&a.actor, &id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TeamGrantBody {
    #[schema(value_type = orthrus_app::schema::AccountRoleName)]
    role: String,
}

/// Gives a team a role on the account, or changes it (the account's
/// Owners). Each member of the team then has at least that role.
#[utoipa::path(put, path = "/api/v1/accounts/{id}/teams/{team_id}", tag = "teams", params(("id" = String, Path), ("team_id" = String, Path)), request_body = TeamGrantBody,
    responses((status = 200, description = "The account's team grants", body = Vec<TeamGrantInfo>), (status = 400, description = "`member.invalid_role`"), (status = 404, description = "`account.not_found`, `team.not_found`")), security(("bearer" = [])))]
pub(crate) async fn grant_team(
    State(s): State<WebState>,
    a: Authed,
    Path((id, team)): Path<(String, String)>,
    ApiJson(b): ApiJson<TeamGrantBody>,
) -> ApiResult<Json<Vec<TeamGrantInfo>>> {
    let role: AccountRole = b.role.parse().map_err(|_| {
        WebError(AppError::invalid(
            "member.invalid_role",
            format!(
                "unknown account role {:?}; use owner, manager or collaborator",
                b.role
            ),
        ))
    })?;
    Ok(Json(s.app.grant_team(&a.actor, &id, &team, role).await?))
}

/// Takes a team's role on the account back (the account's Owners).
#[utoipa::path(delete, path = "/api/v1/accounts/{id}/teams/{team_id}", tag = "teams", params(("id" = String, Path), ("team_id" = String, Path)),
    responses((status = 204, description = "Taken back"), (status = 404, description = "`account.not_found`, `team.not_found`")), security(("bearer" = [])))]
pub(crate) async fn revoke_team(
    State(s): State<WebState>,
    a: Authed,
    Path((id, team)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    s.app.revoke_team(&a.actor, &id, &team).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExportParams {
    /// `csv` or `jsonl`.
    #[param(value_type = crate::api::openapi::names::AuditFormat)]
    format: String,
    action: Option<String>,
    actor_id: Option<String>,
    target_id: Option<String>,
    /// RFC 3339
    since: Option<String>,
    /// RFC 3339
    until: Option<String>,
    /// Only events before this sequence number.
    before: Option<i64>,
}

/// Downloads the audit log, newest first, with the filters of `GET
/// /api/v1/audit`, as CSV or JSON lines: names of the account, its app and
/// the people beside their ids, and each event's `seq`, `prev_hash` and
/// `hash`, so the chain can still be checked. Audited as `audit.export`.
#[utoipa::path(get, path = "/api/v1/audit/export", tag = "audit", params(ExportParams),
    responses((status = 200, description = "The events", content((String = "text/csv"), (String = "application/x-ndjson"))), (status = 400, description = "`audit.bad_format`, `audit.bad_filter`")), security(("bearer" = [])))]
pub(crate) async fn export_audit(
    State(s): State<WebState>,
    a: Authed,
    ApiQuery(q): ApiQuery<ExportParams>,
) -> ApiResult<Response> {
    let format = AuditExportFormat::parse(&q.format)?;
    let query = AuditQuery {
        action: q.action,
        actor_id: q.actor_id,
        target_id: q.target_id,
        since: q.since,
        until: q.until,
        before: q.before,
        limit: None,
    };
    export_response(&s, &a, &query, format).await
}

/// The streamed file of an export (also the audit page's download link).
pub(crate) async fn export_response(
    s: &WebState,
    a: &Authed,
    query: &AuditQuery,
    format: AuditExportFormat,
) -> ApiResult<Response> {
    let mut export = s.app.audit_export(&a.actor, query, format).await?;
    // The first page is read before answering, so a failure is still an
    // error response; later ones end the download early.
    let first = export.next_chunk().await?.unwrap_or_default();
    let rest = futures_util::stream::unfold(Some(export), |e| async move {
        let mut e = e?;
        match e.next_chunk().await {
            Ok(Some(chunk)) => Some((Ok::<_, std::io::Error>(chunk), Some(e))),
            Ok(None) => None,
            Err(err) => {
                tracing::error!(error = %err, "the audit export stopped");
                Some((Err(std::io::Error::other(err.to_string())), None))
            }
        }
    });
    let head = futures_util::stream::once(async move { Ok::<_, std::io::Error>(first) });
    let body = Body::from_stream(futures_util::StreamExt::chain(head, rest));
    let date = s.app.now().to_rfc3339();
    let day = date.get(..10).unwrap_or("export");
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"orthrus-audit-{day}.{}\"",
        format.extension()
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}
