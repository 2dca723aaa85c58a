//! The JSON API under `/api/v1` (and `/healthz`, `/readyz`), one module per
//! feature of `orthrus-app`. Each module's `routes()` lists its handlers with
//! utoipa-axum's `routes!`, which registers the route and its OpenAPI
//! operation together; [`routes`] merges them, and the document
//! (`openapi::document`) is read off the same router.

pub(crate) mod access;
pub(crate) mod accounts;
pub(crate) mod auth;
pub(crate) mod autofill;
pub(crate) mod automation;
pub(crate) mod backup;
pub(crate) mod invitations;
pub(crate) mod openapi;
pub(crate) mod otp;
pub(crate) mod sms;
pub(crate) mod sso;
pub(crate) mod teams;

use crate::WebState;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

pub(crate) use auth::{ApiResult, parse_role};

/// Every API route, with the OpenAPI document built from the same list.
pub(crate) fn routes() -> OpenApiRouter<WebState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(auth::routes())
        .merge(accounts::routes())
        .merge(autofill::routes())
        .merge(otp::routes())
        .merge(backup::routes())
        .merge(sms::routes())
        .merge(sso::routes())
        .merge(automation::routes())
        .merge(invitations::routes())
        .merge(access::routes())
        .merge(teams::routes())
        .merge(openapi::routes())
}
