//! JSON API of the account vault (`app/accounts.rs`, `passwords.rs`):
//! accounts, revealing passwords, fields and history, members, and the
//! password generator.

use crate::WebState;
use crate::api::ApiResult;
use crate::api::autofill::no_store;
use crate::error::WebError;
use crate::extract::{ApiJson, ApiQuery, Authed, PathId, PathIds, entity};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use orthrus_app::{
    AccountDetail, AccountPatch, AccountSummary, AppError, MemberInfo, NewAccount, NewField,
    PasswordPolicy,
};
use orthrus_core::{AccountRole, SecretString};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(list_accounts, create_account))
        .routes(routes!(get_account, update_account, delete_account))
        .routes(routes!(reveal_password))
        .routes(routes!(reveal_field))
        .routes(routes!(reveal_history))
        .routes(routes!(list_members, add_member))
        .routes(routes!(remove_member))
        .routes(routes!(generate_password))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    /// `mine` (default): accounts you are a member of; `all`: every account's metadata (Admins and above).
    #[param(value_type = Option<crate::api::openapi::names::Scope>)]
    scope: Option<Scope>,
}

/// Which accounts a list shows (`request.invalid_query` for another value).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Scope {
    /// The accounts you are a member of.
    #[default]
    Mine,
    /// Every account's metadata (Admins and above).
    All,
}

/// Lists accounts.
#[utoipa::path(get, path = "/api/v1/accounts", tag = "accounts", params(ListQuery), responses((status = 200, description = "The accounts", body = Vec<AccountSummary>), (status = 400, description = "`request.invalid_query`")), security(("bearer" = [])))]
pub(crate) async fn list_accounts(
    State(s): State<WebState>,
    a: Authed,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Vec<AccountSummary>>> {
    let all = q.scope.unwrap_or_default() == Scope::All;
    Ok(Json(s.app.list_accounts(&a.actor, all).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewAccountBody {
    /// instagram, facebook, tiktok, x, linkedin, youtube, google, microsoft, github, amazon, or anything else (generic)
    app: String,
    #[schema(min_length = 1, max_length = 100)]
    label: String,
    /// `https://` or `http://` and a host; empty for none.
    #[serde(default)]
    #[schema(max_length = 2048)]
    login_url: String,
    #[serde(default)]
    #[schema(max_length = 256)]
    username: String,
    #[schema(value_type = String, min_length = 1, max_length = 1024)]
    password: SecretString,
    notes: Option<String>,
    #[serde(default)]
    #[schema(max_items = 50)]
    fields: Vec<NewField>,
}

fn with_etag(detail: AccountDetail, status: StatusCode) -> Response {
    let etag = format!("\"v{}\"", detail.summary.version);
    let mut r = (status, Json(detail)).into_response();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        r.headers_mut().insert(header::ETAG, v);
    }
    r
}

/// Adds a shared account; the caller becomes its Owner.
#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts", request_body = NewAccountBody,
    responses((status = 201, description = "Created; the ETag carries its version", body = AccountDetail), (status = 400, description = "`account.invalid_label`, `account.invalid_login_url`, `account.invalid_username`, `account.invalid_password`, `account.too_many_fields`, `account.invalid_field`")), security(("bearer" = [])))]
pub(crate) async fn create_account(
    State(s): State<WebState>,
    a: Authed,
    ApiJson(b): ApiJson<NewAccountBody>,
) -> ApiResult<Response> {
    let d = s
        .app
        .create_account(
            &a.actor,
            NewAccount {
                app: b.app,
                label: b.label,
                login_url: b.login_url,
                username: b.username,
                password: b.password,
                notes: b.notes,
                fields: b.fields,
            },
        )
        .await?;
    Ok(with_etag(d, StatusCode::CREATED))
}

/// One account (never its password). The ETag carries its version.
#[utoipa::path(get, path = "/api/v1/accounts/{id}", tag = "accounts", params(("id" = String, Path)), responses((status = 200, description = "The account; the ETag carries its version", body = AccountDetail), (status = 404, description = "`account.not_found`")), security(("bearer" = [])))]
pub(crate) async fn get_account(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
) -> ApiResult<Response> {
    Ok(with_etag(
        s.app.get_account(&a.actor, id).await?,
        StatusCode::OK,
    ))
}

fn double_option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PatchAccountBody {
    /// The version you read (or send `If-Match: "v<version>"`).
    version: Option<i64>,
    app: Option<String>,
    #[schema(min_length = 1, max_length = 100)]
    label: Option<String>,
    #[schema(max_length = 2048)]
    login_url: Option<String>,
    #[schema(max_length = 256)]
    username: Option<String>,
    #[schema(value_type = Option<String>, min_length = 1, max_length = 1024)]
    password: Option<SecretString>,
    /// A string sets the notes; null clears them.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    notes: Option<Option<String>>,
    #[schema(max_items = 50)]
    fields: Option<Vec<NewField>>,
}

fn if_match_version(headers: &HeaderMap) -> Option<i64> {
    let v = headers.get(header::IF_MATCH)?.to_str().ok()?;
    v.trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .trim_start_matches('v')
        .parse()
        .ok()
}

/// Changes an account. Needs the version you read (body `version` or
/// `If-Match`); a stale version gets 412 `version.conflict` and changes nothing.
#[utoipa::path(patch, path = "/api/v1/accounts/{id}", tag = "accounts", params(("id" = String, Path)), request_body = PatchAccountBody,
    responses((status = 200, description = "The account as changed; the ETag carries its new version", body = AccountDetail), (status = 400, description = "A value that does not pass its check (as for creating)"), (status = 404, description = "`account.not_found`"), (status = 412, description = "`version.conflict`: someone changed it since you read it"), (status = 428, description = "`version.required`")), security(("bearer" = [])))]
pub(crate) async fn update_account(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<PatchAccountBody>,
) -> ApiResult<Response> {
    let version = b
        .version
        .or_else(|| if_match_version(&headers))
        .ok_or(WebError(AppError::VersionRequired))?;
    let patch = AccountPatch {
        version,
        app: b.app,
        label: b.label,
        login_url: b.login_url,
        username: b.username,
        password: b.password,
        notes: b.notes,
        fields: b.fields,
    };
    Ok(with_etag(
        s.app.update_account(&a.actor, id, patch).await?,
        StatusCode::OK,
    ))
}

/// Deletes an account (account Owner, step-up).
#[utoipa::path(delete, path = "/api/v1/accounts/{id}", tag = "accounts", params(("id" = String, Path)), responses((status = 204, description = "Deleted"), (status = 404, description = "`account.not_found`")), security(("bearer" = [])))]
pub(crate) async fn delete_account(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
) -> ApiResult<StatusCode> {
    s.app.delete_account(&a.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct RevealQuery {
    /// `reveal` (default) or `copy`: recorded in the audit log.
    #[param(value_type = Option<crate::api::openapi::names::Purpose>)]
    purpose: Option<Purpose>,
}

/// Why a password is read, recorded in the audit log
/// (`request.invalid_query` for another value).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Purpose {
    #[default]
    Reveal,
    Copy,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct PasswordResponse {
    pub password: String,
}

impl PasswordResponse {
    /// A password read back (the current one or an earlier one), never
    /// cached.
    fn no_store(password: SecretString) -> Response {
        no_store(Json(Self {
            password: password.into_inner(),
        }))
    }
}

/// Reveals the password (Manager or Owner, step-up; audited).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/password", tag = "accounts", params(("id" = String, Path), RevealQuery),
    responses((status = 200, description = "The password", body = PasswordResponse), (status = 403, description = "`step_up.required` or `permission.denied`"), (status = 404, description = "`account.not_found`")), security(("bearer" = [])))]
pub(crate) async fn reveal_password(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
    ApiQuery(q): ApiQuery<RevealQuery>,
) -> ApiResult<Response> {
    let copy = q.purpose.unwrap_or_default() == Purpose::Copy;
    let pw = s.app.reveal_password(&a.actor, id, copy).await?;
    Ok(PasswordResponse::no_store(pw))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ValueResponse {
    value: String,
}

/// Reveals a secret custom field (step-up; audited).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/fields/{field_id}", tag = "accounts", params(("id" = String, Path), ("field_id" = String, Path)), responses((status = 200, description = "The field's value", body = ValueResponse), (status = 404, description = "`account.not_found`, `field.not_found`")), security(("bearer" = [])))]
pub(crate) async fn reveal_field(
    State(s): State<WebState>,
    a: Authed,
    PathIds(id, field): PathIds<entity::Account, entity::Field>,
) -> ApiResult<Response> {
    let v = s.app.reveal_field(&a.actor, id, field).await?;
    Ok(no_store(Json(ValueResponse {
        value: v.into_inner(),
    })))
}

/// Reveals an earlier password from the history (step-up; audited).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/history/{entry_id}/password", tag = "accounts", params(("id" = String, Path), ("entry_id" = String, Path)), responses((status = 200, description = "The earlier password", body = PasswordResponse), (status = 404, description = "`account.not_found`, or no such entry")), security(("bearer" = [])))]
pub(crate) async fn reveal_history(
    State(s): State<WebState>,
    a: Authed,
    PathIds(id, entry): PathIds<entity::Account, entity::HistoryEntry>,
) -> ApiResult<Response> {
    let pw = s.app.reveal_history(&a.actor, id, entry).await?;
    Ok(PasswordResponse::no_store(pw))
}

/// The account's members.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/members", tag = "members", params(("id" = String, Path)), responses((status = 200, description = "The members", body = Vec<MemberInfo>), (status = 404, description = "`account.not_found`")), security(("bearer" = [])))]
pub(crate) async fn list_members(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
) -> ApiResult<Json<Vec<MemberInfo>>> {
    Ok(Json(s.app.list_members(&a.actor, id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MemberBody {
    user_id: String,
    #[serde(deserialize_with = "crate::api::account_role")]
    #[schema(value_type = orthrus_app::schema::AccountRoleName)]
    role: AccountRole,
    /// When the membership ends (RFC 3339); absent or null: it does not
    /// (a guest's ends with their access at the latest). Sending the
    /// member again with another end changes it.
    #[serde(default)]
    #[schema(example = "2026-12-12T17:00:00Z")]
    expires_at: Option<String>,
}

/// Adds a member or changes their role and end of access. Past its end a
/// membership grants nothing.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/members", tag = "members", params(("id" = String, Path)), request_body = MemberBody, responses((status = 200, description = "The member", body = MemberInfo), (status = 400, description = "`member.invalid_role`, `member.guest_collaborator_only`, `member.expiry_past`, `member.inactive_user`, `time.invalid`"), (status = 404, description = "`account.not_found`, `user.not_found`"), (status = 409, description = "The account keeps at least one Owner")), security(("bearer" = [])))]
pub(crate) async fn add_member(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
    ApiJson(b): ApiJson<MemberBody>,
) -> ApiResult<Json<MemberInfo>> {
    let role = b.role;
    let until = b
        .expires_at
        .as_deref()
        .map(orthrus_app::parse_end_time)
        .transpose()?;
    Ok(Json(
        s.app
            .set_member_until(&a.actor, id, &b.user_id, role, until)
            .await?,
    ))
}

/// Removes a member.
#[utoipa::path(delete, path = "/api/v1/accounts/{id}/members/{user_id}", tag = "members", params(("id" = String, Path), ("user_id" = String, Path)), responses((status = 204, description = "Removed"), (status = 404, description = "`account.not_found`, `member.not_found`"), (status = 409, description = "The account keeps at least one Owner")), security(("bearer" = [])))]
pub(crate) async fn remove_member(
    State(s): State<WebState>,
    a: Authed,
    PathIds(id, user): PathIds<entity::Account, entity::Member>,
) -> ApiResult<StatusCode> {
    s.app.remove_member(&a.actor, id, user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Generates a password.
#[utoipa::path(post, path = "/api/v1/password-generator", tag = "accounts", request_body = PasswordPolicy, responses((status = 200, description = "A new password", body = PasswordResponse), (status = 400, description = "The policy cannot be met")), security(("bearer" = [])))]
pub(crate) async fn generate_password(
    State(s): State<WebState>,
    _a: Authed,
    ApiJson(p): ApiJson<PasswordPolicy>,
) -> ApiResult<Response> {
    Ok(no_store(Json(PasswordResponse {
        password: s.app.generate_password(&p)?,
    })))
}
