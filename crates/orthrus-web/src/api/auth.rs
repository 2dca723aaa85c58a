//! JSON API of signing in (`app/auth.rs`): sign-in and sign-out, step-up
//! with the password, who the caller is, and the caller's own sessions and
//! API tokens.

use crate::WebState;
use crate::api::ApiResult;
use crate::extract::{ApiJson, Authed, ClientInfo, PathId, entity};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use orthrus_app::{LoginRequest, SessionInfo, TokenInfo};
use orthrus_core::{SecretString, WorkspaceRole};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(step_up))
        .routes(routes!(me))
        .routes(routes!(list_sessions))
        .routes(routes!(revoke_session))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
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
    #[serde(default, deserialize_with = "crate::api::autofill::login_client")]
    #[schema(value_type = Option<crate::api::openapi::names::ClientName>)]
    client: Option<crate::api::autofill::LoginClient>,
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
    let kind = crate::api::autofill::session_kind(b.client);
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
    pub(crate) elevated_until: String,
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
    PathId(id): PathId<entity::Session>,
) -> ApiResult<StatusCode> {
    s.app.revoke_session(&a.actor, id).await?;
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
    PathId(id): PathId<entity::Token>,
) -> ApiResult<StatusCode> {
    s.app.revoke_api_token(&a.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
