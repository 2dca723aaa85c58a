//! JSON API of the audit log (`app/audit.rs`, `audit_export.rs`): the log
//! page by page, and the activity export (CSV or JSON lines, streamed a page
//! at a time).

use crate::WebState;
use crate::api::ApiResult;
use crate::extract::{ApiQuery, Authed};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use orthrus_app::{AuditEntry, AuditExportFormat, AuditQuery};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

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

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExportParams {
    /// `csv` or `jsonl`.
    #[param(value_type = crate::api::openapi::names::AuditFormat)]
    format: String,
    action: Option<String>,
    actor_id: Option<String>,
    target_id: Option<String>,
    /// RFC 3339
    since: Option<String>,
    /// RFC 3339
    until: Option<String>,
    /// Only events before this sequence number.
    before: Option<i64>,
}

/// Downloads the audit log, newest first, with the filters of `GET
/// /api/v1/audit`, as CSV or JSON lines: names of the account, its app and
/// the people beside their ids, and each event's `seq`, `prev_hash` and
/// `hash`, so the chain can still be checked. Audited as `audit.export`.
#[utoipa::path(get, path = "/api/v1/audit/export", tag = "audit", params(ExportParams),
    responses((status = 200, description = "The events", content((String = "text/csv"), (String = "application/x-ndjson"))), (status = 400, description = "`audit.bad_format`, `audit.bad_filter`")), security(("bearer" = [])))]
pub(crate) async fn export_audit(
    State(s): State<WebState>,
    a: Authed,
    ApiQuery(q): ApiQuery<ExportParams>,
) -> ApiResult<Response> {
    let format = AuditExportFormat::parse(&q.format)?;
    let query = AuditQuery {
        action: q.action,
        actor_id: q.actor_id,
        target_id: q.target_id,
        since: q.since,
        until: q.until,
        before: q.before,
        limit: None,
    };
    export_response(&s, &a, &query, format).await
}

/// The streamed file of an export (also the audit page's download link).
pub(crate) async fn export_response(
    s: &WebState,
    a: &Authed,
    query: &AuditQuery,
    format: AuditExportFormat,
) -> ApiResult<Response> {
    let mut export = s.app.audit_export(&a.actor, query, format).await?;
    // The first page is read before answering, so a failure is still an
    // error response; later ones end the download early.
    let first = export.next_chunk().await?.unwrap_or_default();
    let rest = futures_util::stream::unfold(Some(export), |e| async move {
        let mut e = e?;
        match e.next_chunk().await {
            Ok(Some(chunk)) => Some((Ok::<_, std::io::Error>(chunk), Some(e))),
            Ok(None) => None,
            Err(err) => {
                tracing::error!(error = %err, "the audit export stopped");
                Some((Err(std::io::Error::other(err.to_string())), None))
            }
        }
    });
    let head = futures_util::stream::once(async move { Ok::<_, std::io::Error>(first) });
    let body = Body::from_stream(futures_util::StreamExt::chain(head, rest));
    let date = s.app.now().to_rfc3339();
    let day = date.get(..10).unwrap_or("export");
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"orthrus-audit-{day}.{}\"",
        format.extension()
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

pub(crate) fn routes() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(list_audit))
        .routes(routes!(export_audit))
}
