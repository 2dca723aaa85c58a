//! The HTTP face of Orthrus: the JSON API under `/api/v1` (Bearer tokens or
//! the browser session), its OpenAPI document, and the server-rendered UI
//! (askama + htmx, assets embedded in the binary, strict CSP, CSRF checks).
//!
//! Handlers are thin: extract, call one `orthrus-app` use case, map to a DTO.
//! This crate knows nothing of SQL; authorization lives in `orthrus-app`.
//! Errors become HTTP in exactly one place: [`error::finish`].

// utoipa's `#[utoipa::path]` expansion re-emits response bodies such as
// `body = Vec<T>` with paths the lint calls unnecessary; nothing written by
// hand in api/ is exempt from anything else.
#[allow(unused_qualifications)]
mod api;
mod assets;
mod error;
pub mod extension;
mod extract;
mod live;
mod sanitize;
mod scim;
mod ui;

/// `error.rs` names the extension's approval page by its old module name;
/// that file is being reworked elsewhere, so the name stays until it moves.
use ui::pairing as ui_extension;

pub use error::WebError;

/// API answers defined here (not in `orthrus-app`) that the command-line
/// client reads back: one definition serves both sides.
pub mod dto {
    pub use crate::api::accounts::PasswordResponse;
    pub use crate::api::auth::{LoginResponse, MeResponse};
    pub use crate::api::automation::Started;
    pub use crate::api::device_approval::DecideResponse;
    pub use crate::api::sso::{SsoStartResponse, SsoTokenResponse};
}

use axum::Router;
use axum::extract::DefaultBodyLimit;
use orthrus_app::App;
use std::sync::Arc;

/// Settings of the HTTP layer.
#[derive(Clone, Debug)]
pub struct WebConfig {
    /// The URL people use to reach this server (printed in the setup link;
    /// `https://` turns on Secure cookies).
    pub public_url: String,
    /// Trust `X-Forwarded-For` for the client address (behind a reverse proxy).
    pub trust_proxy: bool,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Where the master key file is, for the "back it up" message after
    /// setup; `None` when the key comes from `ORTHRUS_MASTER_KEY`.
    pub master_key_file: Option<String>,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            trust_proxy: false,
            max_body_bytes: 1024 * 1024,
            master_key_file: Some("orthrus-data/master.key".into()),
        }
    }
}

/// Shared state of every handler.
#[derive(Clone)]
pub struct WebState {
    pub app: App,
    pub config: Arc<WebConfig>,
}

impl WebState {
    pub fn new(app: App, config: WebConfig) -> Self {
        Self {
            app,
            config: Arc::new(config),
        }
    }

    /// The first-run setup URL to print while no user exists (every node
    /// sharing the database prints the same one, and any of them accepts
    /// it); None once setup is done.
    pub async fn prepare_setup(&self) -> Result<Option<String>, orthrus_app::AppError> {
        Ok(self.app.setup_token().await?.map(|token| {
            format!(
                "{}/setup?token={token}",
                self.config.public_url.trim_end_matches('/')
            )
        }))
    }

    fn secure_cookies(&self) -> bool {
        self.config.public_url.starts_with("https://")
    }
}

/// The whole HTTP application.
pub fn router(state: WebState) -> Router {
    let max = state.config.max_body_bytes;
    let (api, _) = api::routes().split_for_parts();
    Router::new()
        .merge(api)
        .merge(scim::routes())
        .merge(ui::routes())
        .merge(extension::routes())
        .merge(assets::routes())
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            error::finish,
        ))
        .layer(DefaultBodyLimit::max(max))
        .with_state(state)
}
