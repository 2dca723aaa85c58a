//! Several nodes on one database, as several `orthrus serve` share one
//! PostgreSQL: `App`s with one master key and one fake clock, each with its
//! own router on a loopback port. `TestApp` serves its one node the same way.

use super::START;
use orthrus_app::{App, AppConfig};
use orthrus_core::{FakeClock, OsEntropy, Timestamp};
use orthrus_crypto::MasterKey;
use orthrus_web::{WebConfig, WebState};
use std::net::SocketAddr;
use std::sync::Arc;

/// What the nodes share besides the database: the master key and the
/// clock (at [`START`]).
pub struct Shared {
    pub master: MasterKey,
    pub clock: FakeClock,
}

impl Shared {
    pub fn new() -> Self {
        Self {
            master: MasterKey::generate(&OsEntropy),
            clock: FakeClock::new(Timestamp(START)),
        }
    }

    /// A node's `App` on `store`: cheap Argon2, then `tweak`.
    pub fn app(
        &self,
        store: Arc<dyn orthrus_store::Store>,
        tweak: impl FnOnce(&mut AppConfig),
    ) -> App {
        App::new(
            store,
            self.master.clone(),
            Arc::new(self.clock.clone()),
            Arc::new(OsEntropy),
            config(tweak),
        )
        .unwrap()
    }
}

/// The test configuration: cheap Argon2, then `tweak`.
pub fn config(tweak: impl FnOnce(&mut AppConfig)) -> AppConfig {
    let mut config = AppConfig {
        argon_memory_kib: 1024,
        argon_iterations: 1,
        ..AppConfig::default()
    };
    tweak(&mut config);
    config
}

/// A loopback listener on a free port.
pub async fn listen() -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap()
}

/// The HTTP client of the tests' browsers and API clients: redirects are
/// answers, not followed.
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Serves `app`'s router on `listener` in a task, as `orthrus serve` does,
/// with `public_url` (None: the listener's own URL). Its URL and state.
pub fn serve(
    app: App,
    listener: tokio::net::TcpListener,
    public_url: Option<&str>,
) -> (String, WebState) {
    let url = format!("http://{}", listener.local_addr().unwrap());
    let web = WebState::new(
        app,
        WebConfig {
            public_url: public_url.unwrap_or(&url).to_owned(),
            ..WebConfig::default()
        },
    );
    serve_state(web.clone(), listener);
    (url, web)
}

/// Serves the router of `web` on `listener` in a task; its URL.
pub fn serve_state(web: WebState, listener: tokio::net::TcpListener) -> String {
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = orthrus_web::router(web);
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    url
}
