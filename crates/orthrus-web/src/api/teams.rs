//! JSON API of teams (issue 15, `app/teams.rs`): the workspace's teams and
//! the roles they hold on accounts.

use crate::WebState;
use crate::api::ApiResult;
use crate::extract::{ApiJson, Authed, PathId, PathIds, entity};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use orthrus_app::{TeamGrantInfo, TeamInfo};
use orthrus_core::AccountRole;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(list_teams))
        .routes(routes!(account_teams))
        .routes(routes!(grant_team, revoke_team))
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
    PathId(id): PathId<entity::Account>,
) -> ApiResult<Json<Vec<TeamGrantInfo>>> {
    Ok(Json(s.app.account_team_grants(&a.actor, id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TeamGrantBody {
    #[serde(deserialize_with = "crate::api::account_role")]
    #[schema(value_type = orthrus_app::schema::AccountRoleName)]
    role: AccountRole,
}

/// Gives a team a role on the account, or changes it (the account's
/// Owners). Each member of the team then has at least that role.
#[utoipa::path(put, path = "/api/v1/accounts/{id}/teams/{team_id}", tag = "teams", params(("id" = String, Path), ("team_id" = String, Path)), request_body = TeamGrantBody,
    responses((status = 200, description = "The account's team grants", body = Vec<TeamGrantInfo>), (status = 400, description = "`member.invalid_role`"), (status = 404, description = "`account.not_found`, `team.not_found`")), security(("bearer" = [])))]
pub(crate) async fn grant_team(
    State(s): State<WebState>,
    a: Authed,
    PathIds(id, team): PathIds<entity::Account, entity::Team>,
    ApiJson(b): ApiJson<TeamGrantBody>,
) -> ApiResult<Json<Vec<TeamGrantInfo>>> {
    let role = b.role;
    Ok(Json(s.app.grant_team(&a.actor, id, team, role).await?))
}

/// Takes a team's role on the account back (the account's Owners).
#[utoipa::path(delete, path = "/api/v1/accounts/{id}/teams/{team_id}", tag = "teams", params(("id" = String, Path), ("team_id" = String, Path)),
    responses((status = 204, description = "Taken back"), (status = 404, description = "`account.not_found`, `team.not_found`")), security(("bearer" = [])))]
pub(crate) async fn revoke_team(
    State(s): State<WebState>,
    a: Authed,
    PathIds(id, team): PathIds<entity::Account, entity::Team>,
) -> ApiResult<StatusCode> {
    s.app.revoke_team(&a.actor, id, team).await?;
    Ok(StatusCode::NO_CONTENT)
}
