//! JSON API of pairing a browser extension by approval (`app/pairing.rs`):
//! the extension asks, a signed-in session approves by number matching, the
//! extension claims its token.

use crate::WebState;
use crate::api::ApiResult;
use crate::api::autofill::no_store;
use crate::extract::{ApiJson, ClientInfo};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use orthrus_app::PairingClaim;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PairingBody {
    /// The browser, shown on the approval page and in the session list.
    browser: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PairingResponse {
    id: String,
    /// Proves the claim later; shown only here.
    secret: String,
    /// Show this number; the user picks it on the approval page.
    number: i64,
    /// The page where a signed-in user approves.
    approve_url: String,
    expires_at: String,
}

/// Asks to connect an extension by approval (no sign-in; rate-limited per
/// client address). Expires after five minutes.
#[utoipa::path(post, path = "/api/v1/extension/pairings", tag = "extension", request_body = PairingBody,
    responses((status = 200, description = "The request; show `number`", body = PairingResponse), (status = 400, description = "A body that does not fit"), (status = 429, description = "`pairing.throttled`")))]
pub(crate) async fn start_pairing(
    State(s): State<WebState>,
    client: ClientInfo,
    ApiJson(b): ApiJson<PairingBody>,
) -> ApiResult<Response> {
    let p = s.app.start_pairing(&b.browser, &client.ip).await?;
    Ok(no_store(Json(PairingResponse {
        approve_url: format!(
            "{}/extension/connect?id={}",
            s.config.public_url.trim_end_matches('/'),
            p.id
        ),
        id: p.id,
        secret: p.secret.into_inner(),
        number: p.number,
        expires_at: p.expires_at.to_rfc3339(),
    })))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClaimBody {
    secret: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PendingResponse {
    /// `pending`: ask again in a moment.
    status: &'static str,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ClaimResponse {
    /// An extension session's bearer token.
    token: String,
    expires_at: String,
}

/// Claims the session of an approved pairing, once: 202 while nobody has
/// approved it, then 200 with the token.
#[utoipa::path(post, path = "/api/v1/extension/pairings/{id}/token", tag = "extension", params(("id" = String, Path)), request_body = ClaimBody,
    responses((status = 200, description = "Approved: the session, once", body = ClaimResponse), (status = 202, description = "Nobody has approved it yet", body = PendingResponse),
        (status = 403, description = "pairing.denied"), (status = 404, description = "pairing.not_found"),
        (status = 410, description = "pairing.expired (also once claimed)")))]
pub(crate) async fn claim_pairing(
    State(s): State<WebState>,
    client: ClientInfo,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ClaimBody>,
) -> ApiResult<Response> {
    Ok(
        match s.app.claim_pairing(&id, &b.secret, &client.ip).await? {
            PairingClaim::Pending => no_store((
                StatusCode::ACCEPTED,
                Json(PendingResponse { status: "pending" }),
            )),
            PairingClaim::Session { token, expires_at } => no_store(Json(ClaimResponse {
                token: token.into_inner(),
                expires_at: expires_at.to_rfc3339(),
            })),
        },
    )
}

pub(crate) fn routes() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(start_pairing))
        .routes(routes!(claim_pairing))
}
