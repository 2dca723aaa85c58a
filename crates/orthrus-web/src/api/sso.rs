//! Single sign-on for API clients such as the CLI: whether it is on,
//! starting a sign-in whose one-time code comes back to a loopback address
//! (RFC 8252), and exchanging that code (with the client's own PKCE
//! verifier) for a bearer token.

use crate::WebState;
use crate::api::ApiResult;
use crate::extract::{ApiJson, ClientInfo};
use axum::Json;
use axum::extract::State;
use orthrus_app::SsoClient;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(sso_info))
        .routes(routes!(sso_start))
        .routes(routes!(sso_token))
}

/// Whether single sign-on is on.
#[derive(Serialize, ToSchema)]
pub(crate) struct SsoInfoResponse {
    enabled: bool,
    /// The provider's name ("Sign in with …"); null when off.
    provider_name: Option<String>,
    /// Password sign-in is off (break-glass Owners excepted).
    sso_only: bool,
}

/// Says whether this server signs people in through an identity provider.
#[utoipa::path(get, path = "/api/v1/auth/sso", tag = "auth",
    responses((status = 200, description = "Single sign-on's state", body = SsoInfoResponse)))]
pub(crate) async fn sso_info(State(s): State<WebState>) -> Json<SsoInfoResponse> {
    let info = s.app.sso_info();
    Json(SsoInfoResponse {
        enabled: info.is_some(),
        sso_only: info.as_ref().is_some_and(|i| i.sso_only),
        provider_name: info.map(|i| i.provider_name),
    })
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SsoStartBody {
    /// Where the browser brings the one-time code: a loopback address of
    /// the client (`http://127.0.0.1:<port>/…`, `http://[::1]:<port>/…`,
    /// `http://localhost:<port>/…`).
    #[schema(max_length = 512, example = "http://127.0.0.1:53682/callback")]
    redirect_uri: String,
    /// base64url(SHA-256(verifier)), 43 characters: the verifier is sent
    /// with the code to `/api/v1/auth/sso/token`.
    #[schema(min_length = 43, max_length = 43, pattern = "^[A-Za-z0-9_-]{43}$")]
    code_challenge: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct SsoStartResponse {
    /// Open this in a browser.
    pub authorization_url: String,
    /// The sign-in must be finished before this time.
    pub expires_at: String,
}

/// Starts a sign-in through the identity provider for a native client.
/// After the person signs in, the browser goes to `redirect_uri` with
/// `?code=…` (or `?error=<code>&error_description=…`).
#[utoipa::path(post, path = "/api/v1/auth/sso/start", tag = "auth", request_body = SsoStartBody,
    responses((status = 200, description = "Open `authorization_url` in a browser", body = SsoStartResponse),
        (status = 400, description = "`sso.invalid_redirect` (not a loopback address), `sso.invalid_challenge`"),
        (status = 404, description = "`sso.not_configured`"),
        (status = 429, description = "`sso.too_many_flows`: too many sign-ins were started from this address in the last ten minutes"),
        (status = 502, description = "`sso.provider_error`: the identity provider cannot be reached or answered wrongly")))]
pub(crate) async fn sso_start(
    State(s): State<WebState>,
    client: ClientInfo,
    ApiJson(b): ApiJson<SsoStartBody>,
) -> ApiResult<Json<SsoStartResponse>> {
    let start = s
        .app
        .sso_begin_cli(&b.redirect_uri, &b.code_challenge, &client.ip)
        .await?;
    Ok(Json(SsoStartResponse {
        authorization_url: start.authorization_url,
        expires_at: start.expires_at.to_rfc3339(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SsoTokenBody {
    /// The one-time code the browser brought to the redirect URI.
    #[schema(max_length = 100)]
    code: String,
    /// The verifier whose challenge started the sign-in.
    #[schema(max_length = 128)]
    code_verifier: String,
    /// The user's own Orthrus TOTP code (or a recovery code): needed when
    /// they have one and the server answered `auth.totp_required`. The
    /// one-time code stays usable until it expires while this is missing
    /// or wrong.
    #[schema(max_length = 64)]
    #[serde(default)]
    totp: Option<String>,
}

/// The same answer as `POST /api/v1/auth/login`.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct SsoTokenResponse {
    /// Bearer token for `Authorization: Bearer …`.
    pub token: String,
    pub expires_at: String,
    pub user_id: String,
    pub workspace_id: String,
    /// The workspace requires 2FA and the user must set it up before anything else.
    pub must_enroll_2fa: bool,
}

/// Exchanges the one-time code for a bearer token (once).
#[utoipa::path(post, path = "/api/v1/auth/sso/token", tag = "auth", request_body = SsoTokenBody,
    responses((status = 200, description = "Signed in", body = SsoTokenResponse),
        (status = 400, description = "`sso.invalid_code`: unknown, expired or used code, or a verifier that does not match"),
        (status = 401, description = "`auth.totp_required`: the user has Orthrus TOTP, send its code as `totp` with the same code and verifier; `sso.invalid_totp`: that code is wrong (the one-time code still works)"),
        (status = 403, description = "`sso.user_deactivated` (also a guest whose access ended)"),
        (status = 404, description = "`sso.not_configured`"),
        (status = 429, description = "`auth.throttled`: too many wrong codes, the email or address is locked for a while")))]
pub(crate) async fn sso_token(
    State(s): State<WebState>,
    client: ClientInfo,
    ApiJson(b): ApiJson<SsoTokenBody>,
) -> ApiResult<Json<SsoTokenResponse>> {
    let out = s
        .app
        .sso_exchange_cli_code(
            &b.code,
            &b.code_verifier,
            b.totp.as_deref(),
            &SsoClient::from(client),
        )
        .await?;
    Ok(Json(SsoTokenResponse {
        token: out.token.into_inner(),
        expires_at: out.expires_at.to_rfc3339(),
        user_id: out.user_id.to_string(),
        workspace_id: out.workspace_id.to_string(),
        must_enroll_2fa: out.must_enroll_2fa,
    }))
}
