//! JSON API of the caller's own two-factor sign-in (`app/twofactor.rs`):
//! TOTP on and off, recovery codes.

use crate::WebState;
use crate::api::ApiResult;
use crate::extract::{ApiJson, Authed};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use orthrus_app::{TotpEnrollment, TwoFactorStatus};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

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

pub(crate) fn routes() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(two_factor_status))
        .routes(routes!(begin_totp, disable_totp))
        .routes(routes!(confirm_totp))
        .routes(routes!(regenerate_codes))
}
