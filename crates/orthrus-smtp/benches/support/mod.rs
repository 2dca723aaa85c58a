//! What both SMTP benchmarks start with: the app over a store, its HTTP API
//! on a loopback port, and a workspace whose Owner has one account with a
//! managed address to send to.

use orthrus_app::{App, AppConfig};
use orthrus_core::{OsEntropy, SystemClock};
use orthrus_crypto::MasterKey;
use orthrus_web::{WebConfig, WebState};
use std::net::SocketAddr;
use std::sync::Arc;

/// Runs a benchmark's `main` on a multi-threaded runtime.
pub fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// A knob from the environment, or `default`.
pub fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Sends a request and returns its JSON body (the benchmark stops on any failure).
pub async fn json(req: reqwest::RequestBuilder) -> serde_json::Value {
    let resp = req.send().await.unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    resp.json().await.unwrap()
}

/// The app over `store`, on the system clock, with `config`.
pub fn app(store: Arc<dyn orthrus_store::Store>, config: AppConfig) -> App {
    App::new(
        store,
        MasterKey::generate(&OsEntropy),
        Arc::new(SystemClock),
        Arc::new(OsEntropy),
        config,
    )
    .unwrap()
}

/// The SMTP listener on a loopback port with `config`, delivering into
/// `app` with `auth`, until `stop`: its address.
pub async fn smtp(
    app: &App,
    config: orthrus_smtp::SmtpConfig,
    auth: &orthrus_smtp::auth::AuthConfig,
    stop: &tokio_util::sync::CancellationToken,
) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(orthrus_smtp::serve(
        listener,
        config,
        Arc::new(orthrus_smtp::AppDelivery::new(app.clone(), auth).unwrap()),
        stop.clone(),
    ));
    addr
}

/// Serves `app`'s router on a loopback port, sets up workspace `name`
/// (Owner `owner@<name>.test`, `owner-password-1`) and gives its account
/// `name` a managed address: where the API is, a client, the Owner's token,
/// the account's id and its managed address.
pub async fn scene(app: &App, name: &str) -> (String, reqwest::Client, String, String, String) {
    let http_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", http_listener.local_addr().unwrap());
    let router = orthrus_web::router(WebState::new(
        app.clone(),
        WebConfig {
            public_url: url.clone(),
            ..WebConfig::default()
        },
    ));
    tokio::spawn(async move {
        axum::serve(
            http_listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let email = format!("owner@{}.test", name.to_lowercase());
    app.bootstrap(name, &email, "Owner", "owner-password-1", "127.0.0.1")
        .await
        .unwrap();
    let login = json(
        http.post(format!("{url}/api/v1/auth/login"))
            .json(&serde_json::json!({"email": email, "password": "owner-password-1"})),
    )
    .await;
    let token = login["token"].as_str().unwrap().to_owned();
    let acct = json(
        http.post(format!("{url}/api/v1/accounts"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"app": "instagram", "label": name, "password": "p"})),
    )
    .await;
    let id = acct["id"].as_str().unwrap().to_owned();
    let managed = json(
        http.post(format!("{url}/api/v1/accounts/{id}/managed-email"))
            .bearer_auth(&token),
    )
    .await;
    let address = managed["address"].as_str().unwrap().to_owned();
    (url, http, token, id, address)
}
