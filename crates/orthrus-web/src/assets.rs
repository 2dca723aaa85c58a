//! Static assets embedded in the binary, app icons, and the security headers
//! every response carries.

use crate::WebState;
use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

const CSS: &str = include_str!("../assets/app.css");
const JS: &str = include_str!("../assets/app.js");
const HTMX: &str = include_str!("../assets/htmx.min.js");

/// Content Security Policy: nothing inline, nothing from elsewhere.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub(crate) fn routes() -> Router<WebState> {
    Router::new()
        .route(
            "/assets/app.css",
            get(|| async { asset("text/css; charset=utf-8", CSS) }),
        )
        .route(
            "/assets/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", JS) }),
        )
        .route(
            "/assets/htmx.min.js",
            get(|| async { asset("text/javascript; charset=utf-8", HTMX) }),
        )
        .route("/assets/icons/{name}", get(icon))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

/// Brand colour and monogram of each well-known app.
fn icon_style(app: &str) -> (&'static str, &'static str) {
    match app {
        "instagram" => ("#d62976", "Ig"),
        "facebook" => ("#1877f2", "f"),
        "tiktok" => ("#111111", "Tt"),
        "x" => ("#000000", "X"),
        "linkedin" => ("#0a66c2", "in"),
        "youtube" => ("#ff0000", "▶"),
        "google" => ("#4285f4", "G"),
        "microsoft" => ("#5e5e5e", "M"),
        "github" => ("#24292f", "GH"),
        "amazon" => ("#ff9900", "a"),
        "sandbox" => ("#0f766e", "S"),
        _ => ("#64748b", "•"),
    }
}

async fn icon(Path(name): Path<String>) -> Response {
    let app = name.trim_end_matches(".svg");
    if !orthrus_core::KNOWN_APPS.iter().any(|(k, _)| *k == app) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let (color, text) = icon_style(app);
    let size = if text.chars().count() > 1 { 26 } else { 34 };
    let svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" role="img" aria-label="{app}"><rect width="64" height="64" rx="14" fill="{color}"/><text x="32" y="33" text-anchor="middle" dominant-baseline="central" font-family="system-ui,-apple-system,Segoe UI,Roboto,sans-serif" font-weight="700" font-size="{size}" fill="#fff">{text}</text></svg>"##
    );
    let mut r = svg.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml"),
    );
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    r
}

/// Headers every response carries.
pub(crate) fn security_headers(h: &mut HeaderMap) {
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
}
