//! JSON API of users and the workspace (`app/users.rs`): listing, creating,
//! changing and unlocking users, resetting their 2FA, the workspace's
//! settings, and changing one's own password.

use crate::WebState;
use crate::api::ApiResult;
use crate::error::WebError;
use crate::extract::{ApiJson, Authed, PathId, entity};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use orthrus_app::InvalidCode;
use orthrus_app::{AppError, NewUser, UserInfo, WorkspaceSettings};
use orthrus_core::{SecretString, WorkspaceRole};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Users of the workspace.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", responses((status = 200, description = "The workspace's users", body = Vec<UserInfo>)), security(("bearer" = [])))]
pub(crate) async fn list_users(
    State(s): State<WebState>,
    a: Authed,
) -> ApiResult<Json<Vec<UserInfo>>> {
    Ok(Json(s.app.list_users(&a.actor).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewUserBody {
    #[schema(max_length = 254)]
    email: String,
    #[serde(deserialize_with = "crate::api::workspace_role")]
    #[schema(value_type = orthrus_app::schema::WorkspaceRoleName)]
    role: WorkspaceRole,
    #[schema(value_type = String, min_length = 10, max_length = 256)]
    password: SecretString,
    #[serde(default)]
    #[schema(max_length = 100)]
    name: String,
    /// For a guest (required): when their access ends, RFC 3339.
    #[serde(default)]
    #[schema(example = "2026-12-12T17:00:00Z")]
    access_expires_at: Option<String>,
}

/// Creates a user. A guest (role `guest`) needs `access_expires_at`: from
/// then on they cannot sign in, and their memberships end by then.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUserBody, responses((status = 201, description = "Created", body = UserInfo), (status = 400, description = "`user.invalid_role`, `email.invalid`, `password.too_short`, `password.too_long`, `user.invalid_name`, `guest.end_required`, `guest.end_past`, `user.end_for_guests_only`, `time.invalid`"), (status = 409, description = "`user.exists`")), security(("bearer" = [])))]
pub(crate) async fn create_user(
    State(s): State<WebState>,
    a: Authed,
    ApiJson(b): ApiJson<NewUserBody>,
) -> ApiResult<(StatusCode, Json<UserInfo>)> {
    let role = b.role;
    let u = s
        .app
        .create_user(
            &a.actor,
            NewUser {
                email: b.email,
                name: b.name,
                role,
                password: b.password,
                access_expires_at: b
                    .access_expires_at
                    .as_deref()
                    .map(orthrus_app::parse_end_time)
                    .transpose()?,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(u)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateUserBody {
    #[serde(default, deserialize_with = "crate::api::workspace_role_opt")]
    #[schema(value_type = Option<orthrus_app::schema::WorkspaceRoleName>)]
    role: Option<WorkspaceRole>,
    /// false deactivates the user and ends their sessions and tokens at once.
    active: Option<bool>,
    /// A guest's new end of access (RFC 3339); their memberships are cut
    /// to it.
    #[schema(example = "2026-12-12T17:00:00Z")]
    access_expires_at: Option<String>,
}

/// Changes a user's role or deactivates/reactivates them.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path)), request_body = UpdateUserBody,
    responses((status = 200, description = "The user as changed", body = UserInfo), (status = 400, description = "`request.empty_change`, `user.invalid_role`, `user.self_deactivate`, `user.guest_role_fixed`, `user.end_for_guests_only`, `guest.end_past`, `time.invalid`"), (status = 404, description = "`user.not_found`"), (status = 409, description = "`user.last_owner`: the workspace keeps one active Owner")), security(("bearer" = [])))]
pub(crate) async fn update_user(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::User>,
    ApiJson(b): ApiJson<UpdateUserBody>,
) -> ApiResult<Json<UserInfo>> {
    if b.role.is_none() && b.active.is_none() && b.access_expires_at.is_none() {
        return Err(WebError(AppError::invalid(
            InvalidCode::RequestEmptyChange,
            "send role, active and/or access_expires_at",
        )));
    }
    let mut out = None;
    if let Some(t) = &b.access_expires_at {
        let until = orthrus_app::parse_end_time(t)?;
        out = Some(s.app.set_guest_access_end(&a.actor, id, until).await?);
    }
    if let Some(r) = b.role {
        out = Some(s.app.set_user_role(&a.actor, id, r).await?);
    }
    match b.active {
        Some(false) => out = Some(s.app.deactivate_user(&a.actor, id).await?),
        Some(true) => out = Some(s.app.reactivate_user(&a.actor, id).await?),
        None => {}
    }
    out.map(Json)
        .ok_or(WebError(AppError::Internal("no change applied".into())))
}

/// Lifts a sign-in lockout.
#[utoipa::path(post, path = "/api/v1/users/{id}/unlock", tag = "users", params(("id" = String, Path)), responses((status = 204, description = "Unlocked"), (status = 404, description = "`user.not_found`")), security(("bearer" = [])))]
pub(crate) async fn unlock_user(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::User>,
) -> ApiResult<StatusCode> {
    s.app.unlock_user(&a.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Clears a user's own 2FA (lost device); needs step-up.
#[utoipa::path(post, path = "/api/v1/users/{id}/reset-2fa", tag = "users", params(("id" = String, Path)), responses((status = 204, description = "The user's own TOTP is off"), (status = 404, description = "`user.not_found`")), security(("bearer" = [])))]
pub(crate) async fn reset_user_2fa(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::User>,
) -> ApiResult<StatusCode> {
    s.app.reset_user_2fa(&a.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The workspace's settings.
#[utoipa::path(get, path = "/api/v1/workspace", tag = "workspace", responses((status = 200, description = "The settings", body = WorkspaceSettings)), security(("bearer" = [])))]
pub(crate) async fn workspace(
    State(s): State<WebState>,
    a: Authed,
) -> ApiResult<Json<WorkspaceSettings>> {
    Ok(Json(s.app.workspace_settings(&a.actor).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WorkspaceBody {
    #[schema(min_length = 1, max_length = 100)]
    name: Option<String>,
    require_2fa: Option<bool>,
    /// How long a step-up lasts.
    #[schema(minimum = 1, maximum = 60)]
    step_up_minutes: Option<i64>,
    /// Exports and critical accounts' backup codes need a second approver.
    two_person_rule: Option<bool>,
    /// Days inbox messages are kept.
    #[schema(minimum = 1, maximum = 3650)]
    inbox_retention_days: Option<i64>,
}

/// Changes the workspace's settings (Owner). Changing `two_person_rule` needs
/// step-up; turning it off also a second approver (`approval.required`), and
/// turning it on two possible approvers (`two_person.too_few_approvers`).
#[utoipa::path(patch, path = "/api/v1/workspace", tag = "workspace", request_body = WorkspaceBody,
    responses((status = 200, description = "The settings as changed", body = WorkspaceSettings), (status = 400, description = "`workspace.invalid_name`, `workspace.invalid_step_up`, `workspace.invalid_retention`"), (status = 409, description = "`two_person.too_few_approvers`"), (status = 403, description = "`permission.denied`, `step_up.required`, `approval.required` (a second approver must agree)")), security(("bearer" = [])))]
pub(crate) async fn update_workspace(
    State(s): State<WebState>,
    a: Authed,
    ApiJson(b): ApiJson<WorkspaceBody>,
) -> ApiResult<Json<WorkspaceSettings>> {
    // The two-person rule first: it is the change most likely to be refused
    // (step-up, a second approver), and a refusal must change nothing else.
    if let Some(on) = b.two_person_rule {
        s.app.set_two_person_rule(&a.actor, on).await?;
    }
    // Then the checked settings, so a refusal changes nothing after them.
    let mut out = s
        .app
        .update_workspace_settings(&a.actor, b.name, b.require_2fa, b.step_up_minutes)
        .await?;
    if let Some(days) = b.inbox_retention_days {
        out.inbox_retention_days = s.app.set_inbox_retention(&a.actor, Some(days)).await?;
    }
    Ok(Json(out))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordChangeBody {
    #[schema(value_type = String, max_length = 256)]
    current_password: SecretString,
    #[schema(value_type = String, min_length = 10, max_length = 256)]
    new_password: SecretString,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PasswordChangeResponse {
    /// How many of your other sessions were signed out.
    other_sessions_ended: u64,
}

/// Changes your own password. Your other sessions are signed out; this one
/// (or this API token) stays. API tokens are not revoked.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "me", request_body = PasswordChangeBody,
    responses((status = 200, description = "Changed", body = PasswordChangeResponse), (status = 400, description = "`password.wrong_current`, `password.too_short`, `password.too_long`, `password.unchanged`"), (status = 429, description = "`auth.throttled`: too many wrong passwords")), security(("bearer" = [])))]
pub(crate) async fn change_password(
    State(s): State<WebState>,
    a: Authed,
    ApiJson(b): ApiJson<PasswordChangeBody>,
) -> ApiResult<Json<PasswordChangeResponse>> {
    let ended = s
        .app
        .change_own_password(
            &a.actor,
            b.current_password.expose(),
            b.new_password.expose(),
        )
        .await?;
    Ok(Json(PasswordChangeResponse {
        other_sessions_ended: ended,
    }))
}

pub(crate) fn routes() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(update_user))
        .routes(routes!(unlock_user))
        .routes(routes!(reset_user_2fa))
        .routes(routes!(workspace, update_workspace))
        .routes(routes!(change_password))
}
