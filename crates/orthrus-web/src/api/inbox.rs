//! JSON API of the inbox (`app/inbox.rs`, `inbox_search.rs`): managed
//! email addresses, listing and searching messages, waiting for one, reading
//! one and marking its code used.

use crate::WebState;
use crate::api::ApiResult;
use crate::extract::{ApiJson, ApiQuery, Authed, PathId, entity};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Gives the account a managed email address (account Owner).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/managed-email", tag = "inbox", params(("id" = String, Path)), responses((status = 201, description = "The new address", body = orthrus_app::ManagedEmail), (status = 404, description = "`account.not_found`"), (status = 409, description = "No inbound domain is configured, or the account has its address")), security(("bearer" = [])))]
pub(crate) async fn create_managed_email(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
) -> ApiResult<(StatusCode, Json<orthrus_app::ManagedEmail>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.create_managed_email(&a.actor, id).await?),
    ))
}

/// The account's managed addresses.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/managed-email", tag = "inbox", params(("id" = String, Path)), responses((status = 200, description = "The addresses", body = Vec<orthrus_app::ManagedEmail>), (status = 404, description = "`account.not_found`")), security(("bearer" = [])))]
pub(crate) async fn list_managed_email(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
) -> ApiResult<Json<Vec<orthrus_app::ManagedEmail>>> {
    Ok(Json(s.app.managed_emails(&a.actor, id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct InboxParams {
    account_id: Option<String>,
    /// Default 100; larger values are taken as 500.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    #[param(value_type = Option<crate::api::openapi::names::Channel>)]
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
    PathId(id): PathId<entity::Message>,
) -> ApiResult<Json<orthrus_app::MessageDetail>> {
    let mut m = s.app.inbox_message(&a.actor, id).await?;
    m.html = crate::sanitize::email_html_blocking(m.html.take()).await;
    Ok(Json(m))
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
    PathId(id): PathId<entity::Message>,
    ApiJson(b): ApiJson<UsedMessageBody>,
) -> ApiResult<StatusCode> {
    s.app
        .mark_message_used(&a.actor, id, Some(&b.account_id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) fn routes() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(create_managed_email, list_managed_email))
        .routes(routes!(inbox))
        .routes(routes!(inbox_wait))
        .routes(routes!(inbox_used))
        .routes(routes!(inbox_message))
}
