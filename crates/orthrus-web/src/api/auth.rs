//! JSON API: sign-in, step-up, the caller's own sessions, tokens and 2FA,
//! users and workspace settings.

use crate::WebState;
use crate::error::WebError;
use crate::extract::{ApiJson, Authed, ClientInfo};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use orthrus_app::{
    AppError, LoginRequest, NewUser, SessionInfo, TokenInfo, TotpEnrollment, TwoFactorStatus,
    UserInfo, WorkspaceSettings,
};
use orthrus_core::{SecretString, WorkspaceRole};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(step_up))
        .routes(routes!(device_request))
        .routes(routes!(device_status, device_complete))
        .routes(routes!(approvals))
        .routes(routes!(decide))
        .routes(routes!(dual_approvals))
        .routes(routes!(list_passkeys))
        .routes(routes!(delete_passkey))
        .routes(routes!(passkey_register_start))
        .routes(routes!(passkey_register_finish))
        .routes(routes!(passkey_step_up_start))
        .routes(routes!(passkey_step_up_finish))
        .routes(routes!(decide_dual))
        .routes(routes!(set_critical))
        .routes(routes!(me))
        .routes(routes!(list_sessions))
        .routes(routes!(revoke_session))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(two_factor_status))
        .routes(routes!(begin_totp, disable_totp))
        .routes(routes!(confirm_totp))
        .routes(routes!(regenerate_codes))
        .routes(routes!(list_users, create_user))
        .routes(routes!(update_user))
        .routes(routes!(unlock_user))
        .routes(routes!(reset_user_2fa))
        .routes(routes!(workspace, update_workspace))
}

pub(crate) type ApiResult<T> = Result<T, WebError>;

pub(crate) fn parse_role(s: &str) -> Result<WorkspaceRole, WebError> {
    s.parse().map_err(|_| {
        WebError(AppError::invalid(
            "user.invalid_role",
            format!("unknown role {s:?}; use owner, super-admin, admin or user"),
        ))
    })
}

/// Liveness: the process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, description = "Up: `ok`", content_type = "text/plain", body = String)))]
pub(crate) async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers.
#[utoipa::path(get, path = "/readyz", tag = "health", responses((status = 200, description = "Ready: `ready`", content_type = "text/plain", body = String), (status = 503, description = "Database unreachable", content_type = "text/plain", body = String)))]
pub(crate) async fn readyz(State(s): State<WebState>) -> impl IntoResponse {
    match s.app.store().ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginBody {
    #[schema(max_length = 254)]
    email: String,
    #[schema(value_type = String)]
    password: SecretString,
    /// The user's own TOTP code or a recovery code, when 2FA is on.
    totp: Option<String>,
    /// `extension` for the browser extension (its session is the only kind
    /// autofill answers); absent (or `cli`, `api`) for the CLI and other API
    /// clients.
    #[schema(value_type = Option<crate::api::openapi::names::ClientName>)]
    client: Option<String>,
    /// The browser the extension runs in, shown in the session list
    /// (default: the User-Agent).
    browser: Option<String>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct LoginResponse {
    /// Bearer token for `Authorization: Bearer …`.
    pub token: String,
    pub expires_at: String,
    pub user_id: String,
    pub workspace_id: String,
    /// The workspace requires 2FA and the user must set it up before anything else.
    pub must_enroll_2fa: bool,
}

/// Signs in and returns a Bearer token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginBody,
    responses((status = 200, description = "Signed in", body = LoginResponse), (status = 400, description = "`auth.bad_client`, or a body that does not fit"), (status = 401, description = "`auth.invalid_credentials` (the same for an unknown email) or `auth.totp_required`"), (status = 403, description = "`sso.password_disabled`: this server signs people in through its identity provider (break-glass Owners excepted)"), (status = 429, description = "`auth.throttled`: too many failures for this email or address; see Retry-After")))]
pub(crate) async fn login(
    State(s): State<WebState>,
    client: ClientInfo,
    ApiJson(b): ApiJson<LoginBody>,
) -> ApiResult<Json<LoginResponse>> {
    let kind = crate::api::autofill::session_kind(b.client.as_deref())?;
    let out = s
        .app
        .login(LoginRequest {
            email: b.email,
            password: b.password,
            totp: b.totp,
            ip: client.ip,
            user_agent: b
                .browser
                .filter(|b| !b.trim().is_empty())
                .unwrap_or(client.user_agent),
            kind,
        })
        .await?;
    Ok(Json(LoginResponse {
        token: out.token.into_inner(),
        expires_at: out.expires_at.to_rfc3339(),
        user_id: out.user_id.to_string(),
        workspace_id: out.workspace_id.to_string(),
        must_enroll_2fa: out.must_enroll_2fa,
    }))
}

/// Ends the current session (or revokes the API token used).
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204, description = "Signed out: the token no longer works")), security(("bearer" = [])))]
pub(crate) async fn logout(State(s): State<WebState>, a: Authed) -> ApiResult<StatusCode> {
    s.app.logout(&a.actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StepUpBody {
    #[schema(value_type = String)]
    password: SecretString,
    totp: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct StepUpResponse {
    elevated_until: String,
}

/// Confirms identity with the password (and own TOTP when enrolled); elevates the session.
#[utoipa::path(post, path = "/api/v1/auth/step-up", tag = "auth", request_body = StepUpBody,
    responses((status = 200, description = "The session is elevated until `elevated_until`", body = StepUpResponse),
        (status = 400, description = "`step_up.unsupported`: API tokens cannot be elevated"),
        (status = 401, description = "`auth.invalid_credentials` or `auth.totp_required` (and `auth.required`)"),
        (status = 429, description = "`auth.throttled`: too many failures; see Retry-After")), security(("bearer" = [])))]
pub(crate) async fn step_up(
    State(s): State<WebState>,
    a: Authed,
    ApiJson(b): ApiJson<StepUpBody>,
) -> ApiResult<Json<StepUpResponse>> {
    let until = s
        .app
        .step_up(&a.actor, b.password.expose(), b.totp.as_deref())
        .await?;
    Ok(Json(StepUpResponse {
        elevated_until: until.to_rfc3339(),
    }))
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct MeResponse {
    pub id: String,
    pub email: String,
    pub name: String,
    #[schema(value_type = orthrus_app::schema::WorkspaceRoleName)]
    pub role: WorkspaceRole,
    pub workspace_id: String,
    pub elevated_until: Option<String>,
    pub must_enroll_2fa: bool,
    pub two_factor: bool,
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "me", responses((status = 200, description = "The signed-in user", body = MeResponse)), security(("bearer" = [])))]
pub(crate) async fn me(a: Authed) -> Json<MeResponse> {
    let x = a.actor;
    Json(MeResponse {
        id: x.user_id.to_string(),
        email: x.email,
        name: x.name,
        role: x.role,
        workspace_id: x.workspace_id.to_string(),
        elevated_until: x.elevated_until.map(|t| t.to_rfc3339()),
        must_enroll_2fa: x.must_enroll_2fa,
        two_factor: x.totp_enabled,
    })
}

/// The caller's active sessions.
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "me", responses((status = 200, description = "Active sessions, the current one marked", body = Vec<SessionInfo>)), security(("bearer" = [])))]
pub(crate) async fn list_sessions(
    State(s): State<WebState>,
    a: Authed,
) -> ApiResult<Json<Vec<SessionInfo>>> {
    Ok(Json(s.app.list_sessions(&a.actor).await?))
}

/// Revokes one of the caller's sessions.
#[utoipa::path(delete, path = "/api/v1/me/sessions/{id}", tag = "me", params(("id" = String, Path)), responses((status = 204, description = "Revoked"), (status = 404, description = "`session.not_found`")), security(("bearer" = [])))]
pub(crate) async fn revoke_session(
    State(s): State<WebState>,
    a: Authed,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.app.revoke_session(&a.actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's personal API tokens.
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "me", responses((status = 200, description = "Token metadata (never the tokens)", body = Vec<TokenInfo>)), security(("bearer" = [])))]
pub(crate) async fn list_tokens(
    State(s): State<WebState>,
    a: Authed,
) -> ApiResult<Json<Vec<TokenInfo>>> {
    Ok(Json(s.app.list_api_tokens(&a.actor).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewTokenBody {
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    /// Days until it expires (none: it does not).
    #[schema(minimum = 1, maximum = 3650)]
    expires_days: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct NewTokenResponse {
    /// Shown once; store it now.
    token: String,
    #[serde(flatten)]
    info: TokenInfo,
}

/// Creates a personal API token (needs step-up).
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "me", request_body = NewTokenBody, responses((status = 201, description = "Created; the token is shown only now", body = NewTokenResponse), (status = 400, description = "`token.invalid_name`, `token.invalid_expiry`"), (status = 403, description = "`step_up.required`")), security(("bearer" = [])))]
pub(crate) async fn create_token(
    State(s): State<WebState>,
    a: Authed,
    ApiJson(b): ApiJson<NewTokenBody>,
) -> ApiResult<(StatusCode, Json<NewTokenResponse>)> {
    let (token, info) = s
        .app
        .create_api_token(&a.actor, &b.name, b.expires_days)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(NewTokenResponse {
            token: token.into_inner(),
            info,
        }),
    ))
}

/// Revokes a personal API token.
#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "me", params(("id" = String, Path)), responses((status = 204, description = "Revoked"), (status = 404, description = "`token.not_found`")), security(("bearer" = [])))]
pub(crate) async fn revoke_token(
    State(s): State<WebState>,
    a: Authed,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.app.revoke_api_token(&a.actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's own 2FA state.
#[utoipa::path(get, path = "/api/v1/me/2fa", tag = "me", responses((status = 200, description = "Whether TOTP is on, recovery codes left", body = TwoFactorStatus)), security(("bearer" = [])))]
pub(crate) async fn two_factor_status(
    State(s): State<WebState>,
    a: Authed,
) -> ApiResult<Json<TwoFactorStatus>> {
    Ok(Json(s.app.two_factor_status(&a.actor).await?))
}

/// Starts setting up the caller's own TOTP: returns the secret, URI and QR code.
#[utoipa::path(post, path = "/api/v1/me/2fa/totp", tag = "me", responses((status = 200, description = "The new secret, to confirm with a code", body = TotpEnrollment), (status = 409, description = "`2fa.already_enabled`")), security(("bearer" = [])))]
pub(crate) async fn begin_totp(
    State(s): State<WebState>,
    a: Authed,
) -> ApiResult<Json<TotpEnrollment>> {
    Ok(Json(s.app.begin_totp_enrollment(&a.actor).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CodeBody {
    code: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct RecoveryCodes {
    /// Shown once: each works one time in place of an authenticator code.
    recovery_codes: Vec<String>,
}

/// Finishes TOTP setup with a current code; returns recovery codes.
#[utoipa::path(post, path = "/api/v1/me/2fa/totp/confirm", tag = "me", request_body = CodeBody, responses((status = 200, description = "TOTP is on; the recovery codes are shown only now", body = RecoveryCodes), (status = 400, description = "`2fa.bad_code`, `2fa.not_started`")), security(("bearer" = [])))]
pub(crate) async fn confirm_totp(
    State(s): State<WebState>,
    a: Authed,
    ApiJson(b): ApiJson<CodeBody>,
) -> ApiResult<Json<RecoveryCodes>> {
    Ok(Json(RecoveryCodes {
        recovery_codes: s.app.confirm_totp_enrollment(&a.actor, &b.code).await?,
    }))
}

/// Turns the caller's own TOTP off (needs step-up).
#[utoipa::path(delete, path = "/api/v1/me/2fa/totp", tag = "me", responses((status = 204, description = "TOTP is off"), (status = 400, description = "`2fa.not_enabled`, `2fa.required` (the workspace requires it)")), security(("bearer" = [])))]
pub(crate) async fn disable_totp(State(s): State<WebState>, a: Authed) -> ApiResult<StatusCode> {
    s.app.disable_totp(&a.actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replaces the caller's recovery codes (needs step-up).
#[utoipa::path(post, path = "/api/v1/me/2fa/recovery-codes", tag = "me", responses((status = 200, description = "New recovery codes; the old ones no longer work", body = RecoveryCodes), (status = 400, description = "`2fa.not_enabled`")), security(("bearer" = [])))]
pub(crate) async fn regenerate_codes(
    State(s): State<WebState>,
    a: Authed,
) -> ApiResult<Json<RecoveryCodes>> {
    Ok(Json(RecoveryCodes {
        recovery_codes: s.app.regenerate_recovery_codes(&a.actor).await?,
    }))
}

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
    #[schema(value_type = orthrus_app::schema::WorkspaceRoleName)]
    role: String,
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
    let role = parse_role(&b.role)?;
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
    #[schema(value_type = Option<orthrus_app::schema::WorkspaceRoleName>)]
    role: Option<String>,
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
    Path(id): Path<String>,
    ApiJson(b): ApiJson<UpdateUserBody>,
) -> ApiResult<Json<UserInfo>> {
    if b.role.is_none() && b.active.is_none() && b.access_expires_at.is_none() {
        return Err(WebError(AppError::invalid(
            "request.empty_change",
            "send role, active and/or access_expires_at",
        )));
    }
    let mut out = None;
    if let Some(t) = &b.access_expires_at {
        let until = orthrus_app::parse_end_time(t)?;
        out = Some(s.app.set_guest_access_end(&a.actor, &id, until).await?);
    }
    if let Some(r) = &b.role {
        out = Some(s.app.set_user_role(&a.actor, &id, parse_role(r)?).await?);
    }
    match b.active {
        Some(false) => out = Some(s.app.deactivate_user(&a.actor, &id).await?),
        Some(true) => out = Some(s.app.reactivate_user(&a.actor, &id).await?),
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
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.app.unlock_user(&a.actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Clears a user's own 2FA (lost device); needs step-up.
#[utoipa::path(post, path = "/api/v1/users/{id}/reset-2fa", tag = "users", params(("id" = String, Path)), responses((status = 204, description = "The user's own TOTP is off"), (status = 404, description = "`user.not_found`")), security(("bearer" = [])))]
pub(crate) async fn reset_user_2fa(
    State(s): State<WebState>,
    a: Authed,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.app.reset_user_2fa(&a.actor, &id).await?;
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
    Path(id): Path<String>,
) -> ApiResult<Json<orthrus_app::DeviceRequestStatus>> {
    Ok(Json(s.app.device_step_up_status(&a.actor, &id).await?))
}

/// Completes an approved request: elevates this session (the requesting
/// one), once, within 5 minutes of the approval (`approval.used`,
/// `approval.expired`, `approval.pending` otherwise).
#[utoipa::path(post, path = "/api/v1/auth/step-up/device/{id}", tag = "auth", params(("id" = String, Path)), responses((status = 200, description = "Used: this session is elevated", body = orthrus_app::DeviceRequestStatus), (status = 404, description = "`approval.not_found`"), (status = 409, description = "`approval.used`, `approval.expired`, `approval.pending`")), security(("bearer" = [])))]
pub(crate) async fn device_complete(
    State(s): State<WebState>,
    a: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<orthrus_app::DeviceRequestStatus>> {
    Ok(Json(s.app.complete_device_step_up(&a.actor, &id).await?))
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
    Path(id): Path<String>,
    ApiJson(b): ApiJson<DecideBody>,
) -> ApiResult<Json<DecideResponse>> {
    Ok(Json(DecideResponse {
        status: s
            .app
            .decide_approval(&a.actor, &id, b.number.as_deref(), b.deny)
            .await?,
    }))
}

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
    Path(id): Path<String>,
    ApiJson(b): ApiJson<DualDecisionBody>,
) -> ApiResult<Json<DecideResponse>> {
    Ok(Json(DecideResponse {
        status: s.app.decide_dual_approval(&a.actor, &id, b.approve).await?,
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
    Path(id): Path<String>,
    ApiJson(b): ApiJson<CriticalBody>,
) -> ApiResult<StatusCode> {
    s.app
        .set_account_critical(&a.actor, &id, b.critical)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Starts registering a passkey (needs a fresh step-up). Pass the answer to
/// `navigator.credentials.create`.
#[utoipa::path(post, path = "/api/v1/me/passkeys/register/start", tag = "me", responses((status = 200, description = "WebAuthn creation options", body = Object), (status = 400, description = "`passkey.unsupported` (an API token, not a signed-in session), `passkey.unavailable` (the server is reached by an IP address: set `http.public_url` to a host name)")), security(("bearer" = [])))]
pub(crate) async fn passkey_register_start(
    State(s): State<WebState>,
    a: Authed,
) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(s.app.passkey_register_start(&a.actor).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasskeyFinishBody {
    #[serde(default)]
    name: String,
    /// The browser's PublicKeyCredential, base64url-encoded buffers.
    #[schema(value_type = Object)]
    credential: serde_json::Value,
}

/// Finishes registering a passkey.
#[utoipa::path(post, path = "/api/v1/me/passkeys/register/finish", tag = "me", request_body = PasskeyFinishBody, responses((status = 200, description = "Registered", body = orthrus_app::PasskeyInfo), (status = 400, description = "`passkey.unsupported`, `passkey.expired`, `passkey.invalid`, `passkey.rejected`, `passkey.unavailable`")), security(("bearer" = [])))]
pub(crate) async fn passkey_register_finish(
    State(s): State<WebState>,
    a: Authed,
    ApiJson(b): ApiJson<PasskeyFinishBody>,
) -> ApiResult<Json<orthrus_app::PasskeyInfo>> {
    Ok(Json(
        s.app
            .passkey_register_finish(&a.actor, &b.name, b.credential)
            .await?,
    ))
}

/// Your passkeys.
#[utoipa::path(get, path = "/api/v1/me/passkeys", tag = "me", responses((status = 200, description = "Your passkeys", body = Vec<orthrus_app::PasskeyInfo>)), security(("bearer" = [])))]
pub(crate) async fn list_passkeys(
    State(s): State<WebState>,
    a: Authed,
) -> ApiResult<Json<Vec<orthrus_app::PasskeyInfo>>> {
    Ok(Json(s.app.list_passkeys(&a.actor).await?))
}

/// Removes one of your passkeys.
#[utoipa::path(delete, path = "/api/v1/me/passkeys/{id}", tag = "me", params(("id" = String, Path)), responses((status = 204, description = "Removed"), (status = 404, description = "`passkey.not_found`")), security(("bearer" = [])))]
pub(crate) async fn delete_passkey(
    State(s): State<WebState>,
    a: Authed,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.app.delete_passkey(&a.actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Starts a passkey step-up. Pass the answer to `navigator.credentials.get`.
#[utoipa::path(post, path = "/api/v1/auth/step-up/passkey/start", tag = "auth", responses((status = 200, description = "WebAuthn request options", body = Object), (status = 400, description = "`passkey.none`, `passkey.unavailable`, `step_up.unsupported` (API tokens cannot be elevated)")), security(("bearer" = [])))]
pub(crate) async fn passkey_step_up_start(
    State(s): State<WebState>,
    a: Authed,
) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(s.app.passkey_step_up_start(&a.actor).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasskeyAssertBody {
    #[schema(value_type = Object)]
    credential: serde_json::Value,
}

/// Finishes a passkey step-up: the session is elevated.
#[utoipa::path(post, path = "/api/v1/auth/step-up/passkey/finish", tag = "auth", request_body = PasskeyAssertBody, responses((status = 200, description = "The session is elevated", body = StepUpResponse), (status = 400, description = "`passkey.expired`, `passkey.invalid`, `step_up.unsupported`"), (status = 401, description = "The assertion does not verify (`auth.invalid_credentials`)")), security(("bearer" = [])))]
pub(crate) async fn passkey_step_up_finish(
    State(s): State<WebState>,
    a: Authed,
    ApiJson(b): ApiJson<PasskeyAssertBody>,
) -> ApiResult<Json<StepUpResponse>> {
    let until = s.app.passkey_step_up_finish(&a.actor, b.credential).await?;
    Ok(Json(StepUpResponse {
        elevated_until: until.to_rfc3339(),
    }))
}
