//! JSON API of invitations (issue 14, `app/invitations.rs`): inviting by
//! email, listing and withdrawing invitations.

use crate::WebState;
use crate::api::ApiResult;
use crate::extract::{ApiJson, Authed, PathId, entity};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use orthrus_app::InvitationInfo;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(list_invitations, create_invitation))
        .routes(routes!(revoke_invitation))
}

/// The link base of invitations: this server's public URL.
pub(crate) fn link_base(s: &WebState) -> String {
    s.config.public_url.trim_end_matches('/').to_owned()
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewInvitationBody {
    #[schema(max_length = 254)]
    email: String,
    #[serde(deserialize_with = "crate::api::workspace_role")]
    #[schema(value_type = orthrus_app::schema::WorkspaceRoleName)]
    role: orthrus_core::WorkspaceRole,
    /// For a guest (required): when their access ends, RFC 3339.
    #[serde(default)]
    #[schema(example = "2026-12-12T17:00:00Z")]
    access_expires_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct NewInvitationResponse {
    id: String,
    email: String,
    #[schema(value_type = orthrus_app::schema::WorkspaceRoleName)]
    role: orthrus_core::WorkspaceRole,
    expires_at: String,
    /// For a guest: when their access will end.
    access_expires_at: Option<String>,
    /// The one-time link to pass on, when it was not emailed (no outbound
    /// relay configured, or sending failed). Shown only now.
    link: Option<String>,
    /// Whether the link was emailed through the outbound relay.
    emailed: bool,
}

/// Invites someone by email with a workspace role. With an outbound relay
/// configured the one-time link is emailed; otherwise it is in `link`, once.
/// Inviting an address again withdraws its earlier open invitation.
#[utoipa::path(post, path = "/api/v1/invitations", tag = "users", request_body = NewInvitationBody,
    responses((status = 201, description = "Invited", body = NewInvitationResponse), (status = 400, description = "`user.invalid_role`, `email.invalid`, `guest.end_required`, `guest.end_past`, `user.end_for_guests_only`, `time.invalid`"), (status = 403, description = "`permission.denied`: you may not give that role"), (status = 409, description = "`user.exists`: someone already has that email")), security(("bearer" = [])))]
pub(crate) async fn create_invitation(
    State(s): State<WebState>,
    a: Authed,
    ApiJson(b): ApiJson<NewInvitationBody>,
) -> ApiResult<(StatusCode, Json<NewInvitationResponse>)> {
    let role = b.role;
    let sent = s
        .app
        .create_invitation_until(
            &a.actor,
            &b.email,
            role,
            b.access_expires_at
                .as_deref()
                .map(orthrus_app::parse_end_time)
                .transpose()?,
            &link_base(&s),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(NewInvitationResponse {
            id: sent.invitation.id,
            email: sent.invitation.email,
            role: sent.invitation.role,
            expires_at: sent.invitation.expires_at,
            access_expires_at: sent.invitation.access_expires_at,
            link: sent.link,
            emailed: sent.emailed,
        }),
    ))
}

/// The workspace's invitations, newest first (never their links).
#[utoipa::path(get, path = "/api/v1/invitations", tag = "users", responses((status = 200, description = "Invitations and where each stands", body = Vec<InvitationInfo>), (status = 403, description = "`permission.denied`")), security(("bearer" = [])))]
pub(crate) async fn list_invitations(
    State(s): State<WebState>,
    a: Authed,
) -> ApiResult<Json<Vec<InvitationInfo>>> {
    Ok(Json(s.app.list_invitations(&a.actor).await?))
}

/// Withdraws an open invitation: its link stops working.
#[utoipa::path(delete, path = "/api/v1/invitations/{id}", tag = "users", params(("id" = String, Path)), responses((status = 204, description = "Withdrawn"), (status = 403, description = "`permission.denied`"), (status = 404, description = "`invitation.not_found`"), (status = 409, description = "`invitation.closed`: already used or withdrawn")), security(("bearer" = [])))]
pub(crate) async fn revoke_invitation(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Invitation>,
) -> ApiResult<StatusCode> {
    s.app.revoke_invitation(&a.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
