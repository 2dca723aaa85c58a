//! The JSON API under `/api/v1` (and `/healthz`, `/readyz`), one module per
//! feature of `orthrus-app`. Each module's `routes()` lists its handlers with
//! utoipa-axum's `routes!`, which registers the route and its OpenAPI
//! operation together; [`routes`] merges them, and the document
//! (`openapi::document`) is read off the same router.

pub(crate) mod access;
pub(crate) mod accounts;
pub(crate) mod audit;
pub(crate) mod auth;
pub(crate) mod autofill;
pub(crate) mod automation;
pub(crate) mod backup;
pub(crate) mod device_approval;
pub(crate) mod dual;
pub(crate) mod forward;
pub(crate) mod health;
pub(crate) mod inbox;
pub(crate) mod invitations;
pub(crate) mod openapi;
pub(crate) mod otp;
pub(crate) mod pairing;
pub(crate) mod passkeys;
pub(crate) mod scim;
pub(crate) mod sms;
pub(crate) mod sso;
pub(crate) mod teams;
pub(crate) mod twofactor;
pub(crate) mod users;

use crate::WebState;
use crate::error::WebError;
use orthrus_app::AppError;
use orthrus_app::InvalidCode;
use orthrus_core::WorkspaceRole;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

pub(crate) type ApiResult<T> = Result<T, WebError>;

pub(crate) fn parse_role(s: &str) -> Result<WorkspaceRole, WebError> {
    s.parse().map_err(|_| {
        WebError(AppError::invalid(
            InvalidCode::UserInvalidRole,
            format!("unknown role {s:?}; use owner, super-admin, admin or user"),
        ))
    })
}

/// Every API route, with the OpenAPI document built from the same list.
pub(crate) fn routes() -> OpenApiRouter<WebState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(health::routes())
        .merge(auth::routes())
        .merge(twofactor::routes())
        .merge(passkeys::routes())
        .merge(device_approval::routes())
        .merge(dual::routes())
        .merge(users::routes())
        .merge(invitations::routes())
        .merge(accounts::routes())
        .merge(audit::routes())
        .merge(inbox::routes())
        .merge(forward::routes())
        .merge(autofill::routes())
        .merge(pairing::routes())
        .merge(otp::routes())
        .merge(backup::routes())
        .merge(sms::routes())
        .merge(sso::routes())
        .merge(automation::routes())
        .merge(access::routes())
        .merge(teams::routes())
        .merge(scim::routes())
        .merge(openapi::routes())
}
