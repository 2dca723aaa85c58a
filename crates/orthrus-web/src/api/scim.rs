//! JSON API of the workspace's SCIM token (`app/scim.rs`): creating and
//! revoking it. The SCIM protocol itself is `crate::scim`.

use crate::WebState;
use crate::api::ApiResult;
use crate::extract::Authed;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

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

pub(crate) fn routes() -> OpenApiRouter<WebState> {
    OpenApiRouter::new().routes(routes!(create_scim_token, revoke_scim_token))
}
