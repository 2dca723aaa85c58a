//! JSON API of the browser extension's autofill (issue 12): which accounts
//! fit a page, filling credentials and codes, the app settings pages
//! Collaborators may not open, and an account's web addresses. Pairing an
//! extension is `pairing.rs`. Thin: every decision is made in `orthrus-app`
//! (`autofill.rs`).

use crate::WebState;
use crate::api::ApiResult;
use crate::extract::{ApiJson, ApiQuery, Authed, PathId, entity};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use orthrus_app::{
    AppRestriction, AutofillCandidate, AutofillEvent, CodeSource, Fill, FillStep, Restrictions,
    SessionKind,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(candidates))
        .routes(routes!(autofill))
        .routes(routes!(restrictions))
        .routes(routes!(app_restrictions, set_app_restrictions))
        .routes(routes!(account_urls, set_account_urls))
        .routes(routes!(recent_autofills))
}

/// Who signs in (`client` of `POST /auth/login`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LoginClient {
    /// The browser extension: its session is the only kind autofill answers.
    Extension,
    Cli,
    Api,
}

/// `client` of `POST /auth/login`, read as the API always has (surrounding
/// spaces and an empty value are as if absent); any other value is
/// `auth.bad_client` ([`crate::api::FIELD_CODES`]).
pub(crate) fn login_client<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<LoginClient>, D::Error> {
    let Some(s) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    match s.trim() {
        "" => Ok(None),
        "cli" => Ok(Some(LoginClient::Cli)),
        "api" => Ok(Some(LoginClient::Api)),
        "extension" => Ok(Some(LoginClient::Extension)),
        other => Err(serde::de::Error::custom(format!(
            "client must be \"extension\" or absent, got {other:?}"
        ))),
    }
}

/// The session kind `POST /auth/login` creates for a `client`.
pub(crate) fn session_kind(client: Option<LoginClient>) -> SessionKind {
    match client {
        Some(LoginClient::Extension) => SessionKind::Extension,
        None | Some(LoginClient::Cli | LoginClient::Api) => SessionKind::Bearer,
    }
}

pub(crate) fn no_store(j: impl IntoResponse) -> Response {
    let mut r = j.into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct PageQuery {
    /// The page's address (`https://www.instagram.com/accounts/login/`).
    url: String,
}

/// Accounts the caller may log in with on a page: its login URL or one of
/// its extra URLs has the page's registrable domain (for IP addresses and
/// localhost: the same scheme, host and port).
#[utoipa::path(get, path = "/api/v1/autofill/candidates", tag = "extension", params(PageQuery),
    responses((status = 200, description = "The accounts, perhaps none", body = [AutofillCandidate]), (status = 400, description = "`autofill.bad_url`")), security(("bearer" = [])))]
pub(crate) async fn candidates(
    State(s): State<WebState>,
    a: Authed,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Vec<AutofillCandidate>>> {
    Ok(Json(s.app.autofill_candidates(&a.actor, &q.url).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FillBody {
    account_id: String,
    /// The page being filled; it must belong to the account's site.
    url: String,
    step: FillStep,
    /// For `code`: seconds to wait for a fresh code (default 0; larger
    /// values are taken as 60).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 60)]
    wait: Option<u64>,
    /// For `code`: where the page says its code comes from, `inbox` (sent
    /// by email or text) or `totp` (an authenticator app); by default the
    /// account's authenticator when it has one, else the inbox.
    #[serde(default)]
    source: Option<CodeSource>,
}

/// `{username, password}` or `{code, source}`.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub(crate) enum FillResponse {
    Credentials { username: String, password: String },
    Code { code: String, source: CodeSource },
}

/// Fills a page: the account's credentials, or a one-time code (the
/// authenticator's next unused code, else the next verified message in the
/// account's inbox). Extension sessions only; audited `account.autofill`.
#[utoipa::path(post, path = "/api/v1/autofill", tag = "extension", request_body = FillBody,
    responses((status = 200, description = "What to type into the page", body = FillResponse), (status = 400, description = "`autofill.bad_url`"),
        (status = 403, description = "autofill.extension_only (not an extension session) or autofill.origin_mismatch (the page is not the account's site; audited account.autofill_refused)"),
        (status = 404, description = "account.not_found, or autofill.no_code (no code in time)"),
        (status = 409, description = "autofill.code_used: the current code was used and the next did not come within `wait`")),
    security(("bearer" = [])))]
pub(crate) async fn autofill(
    State(s): State<WebState>,
    a: Authed,
    ApiJson(b): ApiJson<FillBody>,
) -> ApiResult<Response> {
    let fill = s
        .app
        .autofill(
            &a.actor,
            &b.account_id,
            &b.url,
            b.step,
            b.wait.unwrap_or(0),
            b.source,
        )
        .await?;
    Ok(no_store(Json(match fill {
        Fill::Credentials { username, password } => FillResponse::Credentials {
            username,
            password: password.into_inner(),
        },
        Fill::Code { code, source } => FillResponse::Code { code, source },
    })))
}

/// Whether a page is one of the app's own security settings that the
/// caller, a Collaborator on the matching account, should not open; whom
/// to ask instead.
#[utoipa::path(get, path = "/api/v1/autofill/restrictions", tag = "extension", params(PageQuery),
    responses((status = 200, description = "Whether the page is kept from the caller", body = Restrictions), (status = 400, description = "`autofill.bad_url`")), security(("bearer" = [])))]
pub(crate) async fn restrictions(
    State(s): State<WebState>,
    a: Authed,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Restrictions>> {
    Ok(Json(s.app.autofill_restrictions(&a.actor, &q.url).await?))
}

/// Every well-known app's restricted settings pages in this workspace
/// (workspace Admins and above).
#[utoipa::path(get, path = "/api/v1/workspace/app-restrictions", tag = "extension",
    responses((status = 200, description = "Every app's list", body = [AppRestriction]), (status = 403, description = "`permission.denied`")), security(("bearer" = [])))]
pub(crate) async fn app_restrictions(
    State(s): State<WebState>,
    a: Authed,
) -> ApiResult<Json<Vec<AppRestriction>>> {
    Ok(Json(s.app.app_restrictions(&a.actor).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RestrictionBody {
    /// The app key (`instagram`, `sandbox`, …).
    app: String,
    /// Path prefixes (`/…`, up to 300 characters; `*` matches any run of
    /// characters); null: back to the built-in list.
    #[schema(max_items = 100)]
    patterns: Option<Vec<String>>,
}

/// Replaces one app's restricted pages; returns every app's list.
#[utoipa::path(put, path = "/api/v1/workspace/app-restrictions", tag = "extension", request_body = RestrictionBody,
    responses((status = 200, description = "Every app's list", body = [AppRestriction]), (status = 400, description = "`restrictions.unknown_app`, `restrictions.bad_pattern`"), (status = 403, description = "`permission.denied`")), security(("bearer" = [])))]
pub(crate) async fn set_app_restrictions(
    State(s): State<WebState>,
    a: Authed,
    ApiJson(b): ApiJson<RestrictionBody>,
) -> ApiResult<Json<Vec<AppRestriction>>> {
    Ok(Json(
        s.app
            .set_app_restrictions(&a.actor, &b.app, b.patterns)
            .await?,
    ))
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UrlsBody {
    /// Further addresses of the account's site that the extension fills
    /// on, besides the login URL (each up to 2048 bytes).
    #[schema(max_items = 20)]
    urls: Vec<String>,
}

/// The account's extra site URLs.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/urls", tag = "extension", params(("id" = String, Path)),
    responses((status = 200, description = "The URLs", body = UrlsBody), (status = 404, description = "`account.not_found`")), security(("bearer" = [])))]
pub(crate) async fn account_urls(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
) -> ApiResult<Json<UrlsBody>> {
    Ok(Json(UrlsBody {
        urls: s.app.account_urls(&a.actor, id).await?,
    }))
}

/// Replaces the account's extra site URLs (account Owners: the extension
/// fills the password on them).
#[utoipa::path(put, path = "/api/v1/accounts/{id}/urls", tag = "extension", params(("id" = String, Path)), request_body = UrlsBody,
    responses((status = 200, description = "The URLs as stored", body = UrlsBody), (status = 400, description = "`account.bad_url`, `account.too_many_urls`"), (status = 403, description = "`permission.denied`"), (status = 404, description = "`account.not_found`")), security(("bearer" = [])))]
pub(crate) async fn set_account_urls(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
    ApiJson(b): ApiJson<UrlsBody>,
) -> ApiResult<Json<UrlsBody>> {
    Ok(Json(UrlsBody {
        urls: s.app.set_account_urls(&a.actor, id, b.urls).await?,
    }))
}

/// The latest logins through the extension on the account (who, when,
/// from which page), for those who manage it.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/autofills", tag = "extension", params(("id" = String, Path)),
    responses((status = 200, description = "The latest 20", body = [AutofillEvent]), (status = 403, description = "`permission.denied`"), (status = 404, description = "`account.not_found`")), security(("bearer" = [])))]
pub(crate) async fn recent_autofills(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
) -> ApiResult<Json<Vec<AutofillEvent>>> {
    Ok(Json(s.app.recent_autofills(&a.actor, id, 20).await?))
}
