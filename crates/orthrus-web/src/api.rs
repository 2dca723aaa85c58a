//! JSON API: sign-in, step-up, the caller's own sessions, tokens and 2FA,
//! users and workspace settings.

use crate::WebState;
use crate::error::WebError;
use crate::extract::{ApiJson, Authed, ClientInfo};
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use orthrus_app::{
    AppError, LoginRequest, NewUser, SessionInfo, TokenInfo, TotpEnrollment, TwoFactorStatus,
    UserInfo, WorkspaceSettings,
};
use orthrus_core::{SecretString, WorkspaceRole};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub(crate) fn routes() -> Router<WebState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/auth/step-up", post(step_up))
        .route("/api/v1/auth/step-up/device", post(device_request))
        .route(
            "/api/v1/auth/step-up/device/{id}",
            get(device_status).post(device_complete),
        )
        .route("/api/v1/me/approvals", get(approvals))
        .route("/api/v1/me/approvals/{id}", post(decide))
        .route("/api/v1/dual-approvals", get(dual_approvals))
        .route("/api/v1/me/passkeys", get(list_passkeys))
        .route("/api/v1/me/passkeys/{id}", delete(delete_passkey))
        .route(
            "/api/v1/me/passkeys/register/start",
            post(passkey_register_start),
        )
        .route(
            "/api/v1/me/passkeys/register/finish",
            post(passkey_register_finish),
        )
        .route(
            "/api/v1/auth/step-up/passkey/start",
            post(passkey_step_up_start),
        )
        .route(
            "/api/v1/auth/step-up/passkey/finish",
            post(passkey_step_up_finish),
        )
        .route("/api/v1/dual-approvals/{id}", post(decide_dual))
        .route(
            "/api/v1/accounts/{id}/critical",
            axum::routing::put(set_critical),
        )
        .route("/api/v1/me", get(me))
        .route("/api/v1/me/sessions", get(list_sessions))
        .route("/api/v1/me/sessions/{id}", delete(revoke_session))
        .route("/api/v1/me/tokens", get(list_tokens).post(create_token))
        .route("/api/v1/me/tokens/{id}", delete(revoke_token))
        .route("/api/v1/me/2fa", get(two_factor_status))
        .route("/api/v1/me/2fa/totp", post(begin_totp).delete(disable_totp))
        .route("/api/v1/me/2fa/totp/confirm", post(confirm_totp))
        .route("/api/v1/me/2fa/recovery-codes", post(regenerate_codes))
        .route("/api/v1/users", get(list_users).post(create_user))
        .route("/api/v1/users/{id}", axum::routing::patch(update_user))
        .route("/api/v1/users/{id}/unlock", post(unlock_user))
        .route("/api/v1/users/{id}/reset-2fa", post(reset_user_2fa))
        .route("/api/v1/workspace", get(workspace).patch(update_workspace))
}

pub(crate) type ApiResult<T> = Result<T, WebError>;

fn parse_role(s: &str) -> Result<WorkspaceRole, WebError> {
    s.parse().map_err(|_| {
        WebError(AppError::invalid(
            "user.invalid_role",
            format!("unknown role {s:?}; use owner, super-admin, admin or user"),
        ))
    })
}

/// Liveness: the process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, description = "Up")))]
pub(crate) async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers.
#[utoipa::path(get, path = "/readyz", tag = "health", responses((status = 200, description = "Ready"), (status = 503, description = "Database unreachable")))]
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
    email: String,
    #[schema(value_type = String)]
    password: SecretString,
    /// The user's own TOTP code or a recovery code, when 2FA is on.
    totp: Option<String>,
    /// `extension` for the browser extension (its session is the only kind
    /// autofill answers); absent for the CLI and other API clients.
    client: Option<String>,
    /// The browser the extension runs in, shown in the session list
    /// (default: the User-Agent).
    browser: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct LoginResponse {
    /// Bearer token for `Authorization: Bearer …`.
    token: String,
    expires_at: String,
    user_id: String,
    workspace_id: String,
    /// The workspace requires 2FA and the user must set it up before anything else.
    must_enroll_2fa: bool,
}

/// Signs in and returns a Bearer token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginBody,
    responses((status = 200, body = LoginResponse), (status = 401, description = "auth.invalid_credentials or auth.totp_required"), (status = 429, description = "auth.throttled")))]
pub(crate) async fn login(
    State(s): State<WebState>,
    client: ClientInfo,
    ApiJson(b): ApiJson<LoginBody>,
) -> ApiResult<Json<LoginResponse>> {
    let kind = crate::api_autofill::session_kind(b.client.as_deref())?;
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
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204)), security(("bearer" = [])))]
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
#[utoipa::path(post, path = "/api/v1/auth/step-up", tag = "auth", request_body = StepUpBody, responses((status = 200, body = StepUpResponse), (status = 401)), security(("bearer" = [])))]
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

#[derive(Serialize, ToSchema)]
pub(crate) struct MeResponse {
    id: String,
    email: String,
    name: String,
    #[schema(value_type = String)]
    role: WorkspaceRole,
    workspace_id: String,
    elevated_until: Option<String>,
    must_enroll_2fa: bool,
    two_factor: bool,
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "me", responses((status = 200, body = MeResponse)), security(("bearer" = [])))]
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
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "me", responses((status = 200, body = Vec<SessionInfo>)), security(("bearer" = [])))]
pub(crate) async fn list_sessions(
    State(s): State<WebState>,
    a: Authed,
) -> ApiResult<Json<Vec<SessionInfo>>> {
    Ok(Json(s.app.list_sessions(&a.actor).await?))
}

/// Revokes one of the caller's sessions.
#[utoipa::path(delete, path = "/api/v1/me/sessions/{id}", tag = "me", params(("id" = String, Path)), responses((status = 204), (status = 404)), security(("bearer" = [])))]
pub(crate) async fn revoke_session(
    State(s): State<WebState>,
    a: Authed,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.app.revoke_session(&a.actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's personal API tokens.
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "me", responses((status = 200, body = Vec<TokenInfo>)), security(("bearer" = [])))]
pub(crate) async fn list_tokens(
    State(s): State<WebState>,
    a: Authed,
) -> ApiResult<Json<Vec<TokenInfo>>> {
    Ok(Json(s.app.list_api_tokens(&a.actor).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewTokenBody {
    name: String,
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
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "me", request_body = NewTokenBody, responses((status = 201, body = NewTokenResponse), (status = 403, description = "step_up.required")), security(("bearer" = [])))]
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
#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "me", params(("id" = String, Path)), responses((status = 204), (status = 404)), security(("bearer" = [])))]
pub(crate) async fn revoke_token(
    State(s): State<WebState>,
    a: Authed,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.app.revoke_api_token(&a.actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's own 2FA state.
#[utoipa::path(get, path = "/api/v1/me/2fa", tag = "me", responses((status = 200, body = TwoFactorStatus)), security(("bearer" = [])))]
pub(crate) async fn two_factor_status(
    State(s): State<WebState>,
    a: Authed,
) -> ApiResult<Json<TwoFactorStatus>> {
    Ok(Json(s.app.two_factor_status(&a.actor).await?))
}

/// Starts setting up the caller's own TOTP: returns the secret, URI and QR code.
#[utoipa::path(post, path = "/api/v1/me/2fa/totp", tag = "me", responses((status = 200, body = TotpEnrollment)), security(("bearer" = [])))]
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
#[utoipa::path(post, path = "/api/v1/me/2fa/totp/confirm", tag = "me", request_body = CodeBody, responses((status = 200, body = RecoveryCodes), (status = 400, description = "2fa.bad_code")), security(("bearer" = [])))]
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
#[utoipa::path(delete, path = "/api/v1/me/2fa/totp", tag = "me", responses((status = 204)), security(("bearer" = [])))]
pub(crate) async fn disable_totp(State(s): State<WebState>, a: Authed) -> ApiResult<StatusCode> {
    s.app.disable_totp(&a.actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replaces the caller's recovery codes (needs step-up).
#[utoipa::path(post, path = "/api/v1/me/2fa/recovery-codes", tag = "me", responses((status = 200, body = RecoveryCodes)), security(("bearer" = [])))]
pub(crate) async fn regenerate_codes(
    State(s): State<WebState>,
    a: Authed,
) -> ApiResult<Json<RecoveryCodes>> {
    Ok(Json(RecoveryCodes {
        recovery_codes: s.app.regenerate_recovery_codes(&a.actor).await?,
    }))
}

/// Users of the workspace.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", responses((status = 200, body = Vec<UserInfo>)), security(("bearer" = [])))]
pub(crate) async fn list_users(
    State(s): State<WebState>,
    a: Authed,
) -> ApiResult<Json<Vec<UserInfo>>> {
    Ok(Json(s.app.list_users(&a.actor).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewUserBody {
    email: String,
    /// owner, super-admin, admin or user
    role: String,
    #[schema(value_type = String)]
    password: SecretString,
    #[serde(default)]
    name: String,
}

/// Creates a user.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUserBody, responses((status = 201, body = UserInfo), (status = 409, description = "user.exists")), security(("bearer" = [])))]
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
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(u)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateUserBody {
    role: Option<String>,
    /// false deactivates the user and ends their sessions and tokens at once.
    active: Option<bool>,
}

/// Changes a user's role or deactivates/reactivates them.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path)), request_body = UpdateUserBody, responses((status = 200, body = UserInfo)), security(("bearer" = [])))]
pub(crate) async fn update_user(
    State(s): State<WebState>,
    a: Authed,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<UpdateUserBody>,
) -> ApiResult<Json<UserInfo>> {
    if b.role.is_none() && b.active.is_none() {
        return Err(WebError(AppError::invalid(
            "request.empty_change",
            "send role and/or active",
        )));
    }
    let mut out = None;
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
#[utoipa::path(post, path = "/api/v1/users/{id}/unlock", tag = "users", params(("id" = String, Path)), responses((status = 204)), security(("bearer" = [])))]
pub(crate) async fn unlock_user(
    State(s): State<WebState>,
    a: Authed,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.app.unlock_user(&a.actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Clears a user's own 2FA (lost device); needs step-up.
#[utoipa::path(post, path = "/api/v1/users/{id}/reset-2fa", tag = "users", params(("id" = String, Path)), responses((status = 204)), security(("bearer" = [])))]
pub(crate) async fn reset_user_2fa(
    State(s): State<WebState>,
    a: Authed,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.app.reset_user_2fa(&a.actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The workspace's settings.
#[utoipa::path(get, path = "/api/v1/workspace", tag = "workspace", responses((status = 200, body = WorkspaceSettings)), security(("bearer" = [])))]
pub(crate) async fn workspace(
    State(s): State<WebState>,
    a: Authed,
) -> ApiResult<Json<WorkspaceSettings>> {
    Ok(Json(s.app.workspace_settings(&a.actor).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WorkspaceBody {
    name: Option<String>,
    require_2fa: Option<bool>,
    step_up_minutes: Option<i64>,
    /// Exports and critical accounts' backup codes need a second approver.
    two_person_rule: Option<bool>,
    /// Days inbox messages are kept (1–3650).
    inbox_retention_days: Option<i64>,
}

/// Changes the workspace's settings (Owner). Changing `two_person_rule` needs
/// step-up; turning it off also a second approver (`approval.required`), and
/// turning it on two possible approvers (`two_person.too_few_approvers`).
#[utoipa::path(patch, path = "/api/v1/workspace", tag = "workspace", request_body = WorkspaceBody, responses((status = 200, body = WorkspaceSettings)), security(("bearer" = [])))]
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
#[utoipa::path(post, path = "/api/v1/auth/step-up/device", tag = "auth", responses((status = 200, body = orthrus_app::DeviceRequest)), security(("bearer" = [])))]
pub(crate) async fn device_request(
    State(s): State<WebState>,
    a: Authed,
) -> ApiResult<Json<orthrus_app::DeviceRequest>> {
    Ok(Json(s.app.request_device_step_up(&a.actor).await?))
}

/// How the request stands (the requesting session only); a read that changes
/// nothing. `approved`: complete it with `POST` within 5 minutes; `used`: it
/// elevated this session.
#[utoipa::path(get, path = "/api/v1/auth/step-up/device/{id}", tag = "auth", params(("id" = String, Path)), responses((status = 200, body = orthrus_app::DeviceRequestStatus)), security(("bearer" = [])))]
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
#[utoipa::path(post, path = "/api/v1/auth/step-up/device/{id}", tag = "auth", params(("id" = String, Path)), responses((status = 200, body = orthrus_app::DeviceRequestStatus)), security(("bearer" = [])))]
pub(crate) async fn device_complete(
    State(s): State<WebState>,
    a: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<orthrus_app::DeviceRequestStatus>> {
    Ok(Json(s.app.complete_device_step_up(&a.actor, &id).await?))
}

/// Requests from your other devices waiting for you.
#[utoipa::path(get, path = "/api/v1/me/approvals", tag = "me", responses((status = 200, body = Vec<orthrus_app::ApprovalPrompt>)), security(("bearer" = [])))]
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

#[derive(Serialize, ToSchema)]
pub(crate) struct DecideResponse {
    status: String,
}

/// Approves with the number, or denies. A wrong number denies.
#[utoipa::path(post, path = "/api/v1/me/approvals/{id}", tag = "me", params(("id" = String, Path)), request_body = DecideBody,
    responses((status = 200, body = DecideResponse), (status = 409, description = "approval.closed")), security(("bearer" = [])))]
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
#[utoipa::path(get, path = "/api/v1/dual-approvals", tag = "workspace", responses((status = 200, body = Vec<orthrus_app::DualApproval>)), security(("bearer" = [])))]
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
#[utoipa::path(post, path = "/api/v1/dual-approvals/{id}", tag = "workspace", params(("id" = String, Path)), request_body = DualDecisionBody, responses((status = 200, body = DecideResponse)), security(("bearer" = [])))]
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
#[utoipa::path(put, path = "/api/v1/accounts/{id}/critical", tag = "accounts", params(("id" = String, Path)), request_body = CriticalBody, responses((status = 204)), security(("bearer" = [])))]
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
#[utoipa::path(post, path = "/api/v1/me/passkeys/register/start", tag = "me", responses((status = 200, description = "WebAuthn creation options")), security(("bearer" = [])))]
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
#[utoipa::path(post, path = "/api/v1/me/passkeys/register/finish", tag = "me", request_body = PasskeyFinishBody, responses((status = 200, body = orthrus_app::PasskeyInfo)), security(("bearer" = [])))]
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
#[utoipa::path(get, path = "/api/v1/me/passkeys", tag = "me", responses((status = 200, body = Vec<orthrus_app::PasskeyInfo>)), security(("bearer" = [])))]
pub(crate) async fn list_passkeys(
    State(s): State<WebState>,
    a: Authed,
) -> ApiResult<Json<Vec<orthrus_app::PasskeyInfo>>> {
    Ok(Json(s.app.list_passkeys(&a.actor).await?))
}

/// Removes one of your passkeys.
#[utoipa::path(delete, path = "/api/v1/me/passkeys/{id}", tag = "me", params(("id" = String, Path)), responses((status = 204)), security(("bearer" = [])))]
pub(crate) async fn delete_passkey(
    State(s): State<WebState>,
    a: Authed,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.app.delete_passkey(&a.actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Starts a passkey step-up. Pass the answer to `navigator.credentials.get`.
#[utoipa::path(post, path = "/api/v1/auth/step-up/passkey/start", tag = "auth", responses((status = 200, description = "WebAuthn request options")), security(("bearer" = [])))]
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
#[utoipa::path(post, path = "/api/v1/auth/step-up/passkey/finish", tag = "auth", request_body = PasskeyAssertBody, responses((status = 200, body = StepUpResponse)), security(("bearer" = [])))]
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
