//! JSON API: the account vault, members, password generator and audit log.

use crate::WebState;
use crate::api::ApiResult;
use crate::error::WebError;
use crate::extract::{ApiJson, ApiQuery, Authed};
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use orthrus_app::{
    AccountDetail, AccountPatch, AccountSummary, AppError, AuditEntry, AuditQuery, MemberInfo,
    NewAccount, NewField, PasswordPolicy,
};
use orthrus_core::{AccountRole, SecretString};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

pub(crate) fn routes() -> Router<WebState> {
    Router::new()
        .route("/api/v1/accounts", get(list_accounts).post(create_account))
        .route(
            "/api/v1/accounts/{id}",
            get(get_account)
                .patch(update_account)
                .delete(delete_account),
        )
        .route("/api/v1/accounts/{id}/password", get(reveal_password))
        .route("/api/v1/accounts/{id}/fields/{field_id}", get(reveal_field))
        .route(
            "/api/v1/accounts/{id}/history/{entry_id}/password",
            get(reveal_history),
        )
        .route(
            "/api/v1/accounts/{id}/members",
            get(list_members).post(add_member),
        )
        .route(
            "/api/v1/accounts/{id}/members/{user_id}",
            delete(remove_member),
        )
        .route("/api/v1/password-generator", post(generate_password))
        .route("/api/v1/audit", get(list_audit))
        .route(
            "/api/v1/accounts/{id}/managed-email",
            post(create_managed_email).get(list_managed_email),
        )
        .route("/api/v1/inbox", get(inbox))
        .route("/api/v1/inbox/wait", get(inbox_wait))
        .route("/api/v1/inbox/{id}/used", post(inbox_used))
        .route("/api/v1/inbox/{id}", get(inbox_message))
        .route("/api/v1/inbox/{id}/forward", post(inbox_forward))
        .route(
            "/api/v1/me/forward-address",
            get(forward_address_get).put(forward_address_put),
        )
        .route(
            "/api/v1/me/forward-address/verify",
            post(forward_address_verify),
        )
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    /// `mine` (default): accounts you are a member of; `all`: every account's metadata (Admins and above).
    #[param(value_type = Option<crate::openapi::names::Scope>)]
    scope: Option<String>,
}

/// Lists accounts.
#[utoipa::path(get, path = "/api/v1/accounts", tag = "accounts", params(ListQuery), responses((status = 200, description = "The accounts", body = Vec<AccountSummary>), (status = 400, description = "`request.invalid_query`")), security(("bearer" = [])))]
pub(crate) async fn list_accounts(
    State(s): State<WebState>,
    a: Authed,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Vec<AccountSummary>>> {
    let all = match q.scope.as_deref() {
        None | Some("mine") => false,
        Some("all") => true,
        Some(other) => {
            return Err(WebError(AppError::invalid(
                "request.invalid_query",
                format!("scope must be mine or all, not {other:?}"),
            )));
        }
    };
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
    Path(id): Path<String>,
) -> ApiResult<Response> {
    Ok(with_etag(
        s.app.get_account(&a.actor, &id).await?,
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
    Path(id): Path<String>,
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
        s.app.update_account(&a.actor, &id, patch).await?,
        StatusCode::OK,
    ))
}

/// Deletes an account (account Owner, step-up).
#[utoipa::path(delete, path = "/api/v1/accounts/{id}", tag = "accounts", params(("id" = String, Path)), responses((status = 204, description = "Deleted"), (status = 404, description = "`account.not_found`")), security(("bearer" = [])))]
pub(crate) async fn delete_account(
    State(s): State<WebState>,
    a: Authed,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.app.delete_account(&a.actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct RevealQuery {
    /// `reveal` (default) or `copy`: recorded in the audit log.
    #[param(value_type = Option<crate::openapi::names::Purpose>)]
    purpose: Option<String>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct PasswordResponse {
    pub password: String,
}

/// Reveals the password (Manager or Owner, step-up; audited).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/password", tag = "accounts", params(("id" = String, Path), RevealQuery),
    responses((status = 200, description = "The password", body = PasswordResponse), (status = 403, description = "`step_up.required` or `permission.denied`"), (status = 404, description = "`account.not_found`")), security(("bearer" = [])))]
pub(crate) async fn reveal_password(
    State(s): State<WebState>,
    a: Authed,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<RevealQuery>,
) -> ApiResult<Response> {
    let copy = match q.purpose.as_deref() {
        None | Some("reveal") => false,
        Some("copy") => true,
        Some(o) => {
            return Err(WebError(AppError::invalid(
                "request.invalid_query",
                format!("purpose must be reveal or copy, not {o:?}"),
            )));
        }
    };
    let pw = s.app.reveal_password(&a.actor, &id, copy).await?;
    Ok(no_store(Json(PasswordResponse {
        password: pw.into_inner(),
    })))
}

fn no_store(j: impl IntoResponse) -> Response {
    let mut r = j.into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
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
    Path((id, field)): Path<(String, String)>,
) -> ApiResult<Response> {
    let v = s.app.reveal_field(&a.actor, &id, &field).await?;
    Ok(no_store(Json(ValueResponse {
        value: v.into_inner(),
    })))
}

/// Reveals an earlier password from the history (step-up; audited).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/history/{entry_id}/password", tag = "accounts", params(("id" = String, Path), ("entry_id" = String, Path)), responses((status = 200, description = "The earlier password", body = PasswordResponse), (status = 404, description = "`account.not_found`, or no such entry")), security(("bearer" = [])))]
pub(crate) async fn reveal_history(
    State(s): State<WebState>,
    a: Authed,
    Path((id, entry)): Path<(String, String)>,
) -> ApiResult<Response> {
    let v = s.app.reveal_history(&a.actor, &id, &entry).await?;
    Ok(no_store(Json(PasswordResponse {
        password: v.into_inner(),
    })))
}

/// The account's members.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/members", tag = "members", params(("id" = String, Path)), responses((status = 200, description = "The members", body = Vec<MemberInfo>), (status = 404, description = "`account.not_found`")), security(("bearer" = [])))]
pub(crate) async fn list_members(
    State(s): State<WebState>,
    a: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<MemberInfo>>> {
    Ok(Json(s.app.list_members(&a.actor, &id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MemberBody {
    user_id: String,
    #[schema(value_type = orthrus_app::schema::AccountRoleName)]
    role: String,
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
    Path(id): Path<String>,
    ApiJson(b): ApiJson<MemberBody>,
) -> ApiResult<Json<MemberInfo>> {
    let role: AccountRole = b.role.parse().map_err(|_| {
        WebError(AppError::invalid(
            "member.invalid_role",
            format!(
                "unknown account role {:?}; use owner, manager or collaborator",
                b.role
            ),
        ))
    })?;
    let until = b
        .expires_at
        .as_deref()
        .map(orthrus_app::parse_end_time)
        .transpose()?;
    Ok(Json(
        s.app
            .set_member_until(&a.actor, &id, &b.user_id, role, until)
            .await?,
    ))
}

/// Removes a member.
#[utoipa::path(delete, path = "/api/v1/accounts/{id}/members/{user_id}", tag = "members", params(("id" = String, Path), ("user_id" = String, Path)), responses((status = 204, description = "Removed"), (status = 404, description = "`account.not_found`, `member.not_found`"), (status = 409, description = "The account keeps at least one Owner")), security(("bearer" = [])))]
pub(crate) async fn remove_member(
    State(s): State<WebState>,
    a: Authed,
    Path((id, user)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    s.app.remove_member(&a.actor, &id, &user).await?;
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

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditParams {
    action: Option<String>,
    actor_id: Option<String>,
    target_id: Option<String>,
    /// RFC 3339
    since: Option<String>,
    /// RFC 3339
    until: Option<String>,
    /// Only events before this sequence number (paging: pass the last `seq` you saw).
    before: Option<i64>,
    /// Default 50; larger values are taken as 500.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

/// The audit log, newest first (Admins and above).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditParams), responses((status = 200, description = "Events, newest first", body = Vec<AuditEntry>), (status = 400, description = "`audit.bad_filter`, `request.invalid_query`")), security(("bearer" = [])))]
pub(crate) async fn list_audit(
    State(s): State<WebState>,
    a: Authed,
    ApiQuery(q): ApiQuery<AuditParams>,
) -> ApiResult<Json<Vec<AuditEntry>>> {
    let q = AuditQuery {
        action: q.action,
        actor_id: q.actor_id,
        target_id: q.target_id,
        since: q.since,
        until: q.until,
        before: q.before,
        limit: q.limit,
    };
    Ok(Json(s.app.list_audit(&a.actor, &q).await?))
}

/// Gives the account a managed email address (account Owner).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/managed-email", tag = "inbox", params(("id" = String, Path)), responses((status = 201, description = "The new address", body = orthrus_app::ManagedEmail), (status = 404, description = "`account.not_found`"), (status = 409, description = "No inbound domain is configured, or the account has its address")), security(("bearer" = [])))]
pub(crate) async fn create_managed_email(
    State(s): State<WebState>,
    a: Authed,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<orthrus_app::ManagedEmail>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.create_managed_email(&a.actor, &id).await?),
    ))
}

/// The account's managed addresses.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/managed-email", tag = "inbox", params(("id" = String, Path)), responses((status = 200, description = "The addresses", body = Vec<orthrus_app::ManagedEmail>), (status = 404, description = "`account.not_found`")), security(("bearer" = [])))]
pub(crate) async fn list_managed_email(
    State(s): State<WebState>,
    a: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<orthrus_app::ManagedEmail>>> {
    Ok(Json(s.app.managed_emails(&a.actor, &id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct InboxParams {
    account_id: Option<String>,
    /// Default 100; larger values are taken as 500.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    #[param(value_type = Option<crate::openapi::names::Channel>)]
    channel: Option<String>,
    /// `true`: only messages with a code
    has_code: Option<bool>,
    /// Words to find, each whole and in any case, in the sender, subject,
    /// code or text: messages holding all of them (at most 16 words)
    q: Option<String>,
    /// RFC 3339: received at or after
    since: Option<String>,
    /// RFC 3339: received at or before
    until: Option<String>,
    /// A message id: the messages older than that one, newest first. Pass
    /// the last id of a page to get the next; an empty page is the end.
    before: Option<String>,
}

/// The shared inbox, newest first, with each message's code and confirmation link.
#[utoipa::path(get, path = "/api/v1/inbox", tag = "inbox", params(InboxParams), responses((status = 200, description = "Messages, newest first", body = Vec<orthrus_app::InboxItem>), (status = 400, description = "A filter that does not parse (`request.invalid_query`, `inbox.bad_filter` …)"), (status = 404, description = "`account.not_found` (with `account_id`)")), security(("bearer" = [])))]
pub(crate) async fn inbox(
    State(s): State<WebState>,
    a: Authed,
    ApiQuery(q): ApiQuery<InboxParams>,
) -> ApiResult<Json<Vec<orthrus_app::InboxItem>>> {
    Ok(Json(
        s.app
            .list_inbox(
                &a.actor,
                &orthrus_app::InboxQuery {
                    account_id: q.account_id,
                    limit: q.limit,
                    channel: q.channel,
                    has_code: q.has_code.unwrap_or(false),
                    search: q.q,
                    since: q.since,
                    until: q.until,
                    before: q.before,
                },
            )
            .await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct WaitParams {
    account_id: String,
    /// RFC 3339; messages at or after this time (default: now).
    since: Option<String>,
    /// Seconds to wait (default 30; larger values are taken as 120).
    #[param(minimum = 0, maximum = 120)]
    timeout: Option<u64>,
}

/// Waits for the next message of the account with a code or a link:
/// 200 with it, or 204 when the time is up.
#[utoipa::path(get, path = "/api/v1/inbox/wait", tag = "inbox", params(WaitParams), responses((status = 200, description = "The next message with a code or a link", body = orthrus_app::InboxItem), (status = 204, description = "Nothing arrived in time"), (status = 400, description = "`inbox.bad_since`, `request.invalid_query`"), (status = 404, description = "`account.not_found`")), security(("bearer" = [])))]
pub(crate) async fn inbox_wait(
    State(s): State<WebState>,
    a: Authed,
    ApiQuery(q): ApiQuery<WaitParams>,
) -> ApiResult<Response> {
    match s
        .app
        .wait_for_message(
            &a.actor,
            &q.account_id,
            q.since.as_deref(),
            q.timeout.unwrap_or(30),
        )
        .await?
    {
        Some(item) => Ok(Json(item).into_response()),
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

/// One message with its bodies: `html` is sanitized (no scripts, styles,
/// images or links), `links` lists the links as text.
#[utoipa::path(get, path = "/api/v1/inbox/{id}", tag = "inbox", params(("id" = String, Path)), responses((status = 200, description = "The message", body = orthrus_app::MessageDetail), (status = 404, description = "`inbox.message_not_found`")), security(("bearer" = [])))]
pub(crate) async fn inbox_message(
    State(s): State<WebState>,
    a: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<orthrus_app::MessageDetail>> {
    let mut m = s.app.inbox_message(&a.actor, &id).await?;
    m.html = crate::sanitize::email_html_blocking(m.html.take()).await;
    Ok(Json(m))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Forwarded {
    to: String,
}

/// Forwards a message to the caller's verified forwarding address through
/// the outbound relay (audited). 400 `forward.not_verified`, 409
/// `forward.not_configured` when the server has no relay.
#[utoipa::path(post, path = "/api/v1/inbox/{id}/forward", tag = "inbox", params(("id" = String, Path)), responses((status = 200, description = "Sent to `to`", body = Forwarded), (status = 400, description = "`forward.not_verified`"), (status = 404, description = "`inbox.message_not_found`"), (status = 409, description = "`forward.not_configured`: the server has no outbound relay"), (status = 429, description = "`auth.throttled`: too many forwards; see Retry-After")), security(("bearer" = [])))]
pub(crate) async fn inbox_forward(
    State(s): State<WebState>,
    a: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Forwarded>> {
    let to = s.app.forward_message(&a.actor, &id).await?;
    Ok(Json(Forwarded { to }))
}

/// The caller's forwarding address, or null.
#[utoipa::path(get, path = "/api/v1/me/forward-address", tag = "inbox", responses((status = 200, description = "The address, or null", body = Option<orthrus_app::ForwardAddress>)), security(("bearer" = [])))]
pub(crate) async fn forward_address_get(
    State(s): State<WebState>,
    a: Authed,
) -> ApiResult<Json<Option<orthrus_app::ForwardAddress>>> {
    Ok(Json(s.app.forward_address(&a.actor).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ForwardAddressBody {
    /// Default: the caller's sign-in email.
    #[schema(max_length = 254)]
    email: Option<String>,
}

/// Sets the caller's forwarding address and emails it a verification code.
#[utoipa::path(put, path = "/api/v1/me/forward-address", tag = "inbox", request_body = ForwardAddressBody, responses((status = 200, description = "The address, waiting for its code", body = orthrus_app::ForwardAddress), (status = 400, description = "`email.invalid`"), (status = 409, description = "`forward.not_configured`: the server has no outbound relay"), (status = 429, description = "`auth.throttled`: a code was sent moments ago; see Retry-After")), security(("bearer" = [])))]
pub(crate) async fn forward_address_put(
    State(s): State<WebState>,
    a: Authed,
    ApiJson(b): ApiJson<ForwardAddressBody>,
) -> ApiResult<Json<orthrus_app::ForwardAddress>> {
    Ok(Json(
        s.app
            .start_forward_verification(&a.actor, b.email.as_deref())
            .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ForwardVerifyBody {
    code: String,
}

/// Verifies the forwarding address with the code that was emailed to it.
#[utoipa::path(post, path = "/api/v1/me/forward-address/verify", tag = "inbox", request_body = ForwardVerifyBody, responses((status = 200, description = "The address is verified", body = orthrus_app::ForwardAddress), (status = 400, description = "A wrong or expired code, or none was sent")), security(("bearer" = [])))]
pub(crate) async fn forward_address_verify(
    State(s): State<WebState>,
    a: Authed,
    ApiJson(b): ApiJson<ForwardVerifyBody>,
) -> ApiResult<Json<orthrus_app::ForwardAddress>> {
    Ok(Json(s.app.verify_forward_address(&a.actor, &b.code).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UsedMessageBody {
    account_id: String,
}

/// Marks a message's code used.
#[utoipa::path(post, path = "/api/v1/inbox/{id}/used", tag = "inbox", params(("id" = String, Path)), request_body = UsedMessageBody, responses((status = 204, description = "Marked used"), (status = 404, description = "`inbox.message_not_found`, `account.not_found`")), security(("bearer" = [])))]
pub(crate) async fn inbox_used(
    State(s): State<WebState>,
    a: Authed,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<UsedMessageBody>,
) -> ApiResult<StatusCode> {
    s.app
        .mark_message_used(&a.actor, &id, Some(&b.account_id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
