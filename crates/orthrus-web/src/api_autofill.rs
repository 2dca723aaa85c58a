//! JSON API of the browser extension (issue 12): which accounts fit a page,
//! filling credentials and codes, the app settings pages Collaborators may
//! not open, and pairing an extension by approval. Thin: every decision is
//! made in `orthrus-app` (`autofill.rs`, `pairing.rs`).

use crate::WebState;
use crate::error::WebError;
use axum::Router;
use orthrus_app::{AppError, SessionKind};

pub(crate) fn routes() -> Router<WebState> {
    Router::new()
}

/// The session kind `POST /auth/login` creates for a `client` value.
pub(crate) fn session_kind(client: Option<&str>) -> Result<SessionKind, WebError> {
    match client.map(str::trim) {
        None | Some("") | Some("cli") | Some("api") => Ok(SessionKind::Bearer),
        Some("extension") => Ok(SessionKind::Extension),
        Some(other) => Err(AppError::invalid(
            "auth.bad_client",
            format!("client must be \"extension\" or absent, got {other:?}"),
        )
        .into()),
    }
}
