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
use crate::extract::FieldCode;
use orthrus_app::AppError;
use orthrus_app::InvalidCode;
use orthrus_core::{AccountRole, WorkspaceRole};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

pub(crate) type ApiResult<T> = Result<T, WebError>;

/// A workspace role typed in a form (the UI's invitation).
pub(crate) fn parse_role(s: &str) -> Result<WorkspaceRole, WebError> {
    s.parse().map_err(|_| {
        WebError(AppError::invalid(
            InvalidCode::UserInvalidRole,
            unknown_role(s),
        ))
    })
}

fn unknown_role(s: &str) -> String {
    format!("unknown role {s:?}; use owner, super-admin, admin or user")
}

/// The request-body fields whose bad value answers its own code rather than
/// `request.invalid_body` ([`ApiJson`](crate::extract::ApiJson)).
pub(crate) const FIELD_CODES: &[FieldCode] = &[
    FieldCode::new::<users::NewUserBody>("role", InvalidCode::UserInvalidRole),
    FieldCode::new::<users::UpdateUserBody>("role", InvalidCode::UserInvalidRole),
    FieldCode::new::<invitations::NewInvitationBody>("role", InvalidCode::UserInvalidRole),
    FieldCode::new::<access::AccessRequestBody>("role", InvalidCode::MemberInvalidRole),
    FieldCode::new::<accounts::MemberBody>("role", InvalidCode::MemberInvalidRole),
    FieldCode::new::<teams::TeamGrantBody>("role", InvalidCode::MemberInvalidRole),
    FieldCode::new::<auth::LoginBody>("client", InvalidCode::AuthBadClient),
    // Today's code for an unknown `via`, in the query as in this body.
    FieldCode::new::<otp::UsedBody>("via", InvalidCode::RequestInvalidQuery),
];

/// A workspace role in a request body, read as the API always has
/// (`WorkspaceRole`'s `FromStr`: any case, `super_admin` too); an unknown
/// one is `user.invalid_role` ([`FIELD_CODES`]).
pub(crate) fn workspace_role<'de, D: Deserializer<'de>>(d: D) -> Result<WorkspaceRole, D::Error> {
    let s = String::deserialize(d)?;
    s.parse().map_err(|_| D::Error::custom(unknown_role(&s)))
}

/// As [`workspace_role`], for a role that may be absent or null.
pub(crate) fn workspace_role_opt<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<WorkspaceRole>, D::Error> {
    Option::<String>::deserialize(d)?
        .map(|s| s.parse().map_err(|_| D::Error::custom(unknown_role(&s))))
        .transpose()
}

/// A role on an account in a request body (`AccountRole`'s `FromStr`: any
/// case); an unknown one is `member.invalid_role` ([`FIELD_CODES`]).
pub(crate) fn account_role<'de, D: Deserializer<'de>>(d: D) -> Result<AccountRole, D::Error> {
    let s = String::deserialize(d)?;
    s.parse().map_err(|_| {
        D::Error::custom(format!(
            "unknown account role {s:?}; use owner, manager or collaborator"
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
