//! `TestApp`: the whole HTTP application in-process, on a real socket; its
//! API `Client`, a signed-in `Browser` (cookie and CSRF token), and in
//! `nodes` the pieces of several nodes on one database.

pub mod nodes;

use nodes::{Shared, listen, serve};
use orthrus_app::{App, AppConfig};
use orthrus_core::{FakeClock, Timestamp};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;

pub struct TestApp {
    pub url: String,
    pub app: App,
    pub clock: FakeClock,
    pub http: reqwest::Client,
    pub backend: &'static str,
    _dir: tempfile::TempDir,
}

/// 2026-11-01T00:00:00Z
pub const START: i64 = 1_793_491_200_000;
/// When the guests that `TestApp::user` creates lose access: 30 days in.
pub const GUEST_END: i64 = START + 30 * 86_400_000;

impl TestApp {
    async fn spawn_with(store: Arc<dyn orthrus_store::Store>, dir: tempfile::TempDir) -> Self {
        Self::spawn_configured(store, dir, |_| {}).await
    }

    async fn spawn_configured(
        store: Arc<dyn orthrus_store::Store>,
        dir: tempfile::TempDir,
        tweak: impl FnOnce(&mut AppConfig),
    ) -> Self {
        let shared = Shared::new();
        let clock = shared.clock.clone();
        let backend = store.backend();
        let app = shared.app(store, |config| {
            config.twilio_auth_token = Some("test-twilio-token".into());
            config.sms_webhook_secret = Some("test-webhook-secret".into());
            tweak(config);
        });
        let (url, _) = serve(app.clone(), listen().await, None);
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            url,
            app,
            clock,
            http,
            backend,
            _dir: dir,
        }
    }

    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = orthrus_store::open(&format!(
            "sqlite://{}",
            dir.path().join("orthrus.db").display()
        ))
        .await
        .unwrap();
        Self::spawn_with(store, dir).await
    }

    /// SQLite with an adjusted configuration.
    pub async fn sqlite_configured(tweak: impl FnOnce(&mut AppConfig)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = orthrus_store::open(&format!(
            "sqlite://{}",
            dir.path().join("orthrus.db").display()
        ))
        .await
        .unwrap();
        Self::spawn_configured(store, dir, tweak).await
    }

    /// SQLite always; PostgreSQL too when `ORTHRUS_TEST_DATABASE_URL` is set.
    pub async fn all(tag: &str) -> Vec<Self> {
        let mut v = vec![Self::sqlite().await];
        if let Some(base) = orthrus_store::testing::pg_base_url() {
            let url = orthrus_store::testing::pg_scratch_database(&base, tag)
                .await
                .unwrap();
            let store = orthrus_store::open(&url).await.unwrap();
            v.push(Self::spawn_with(store, tempfile::tempdir().unwrap()).await);
        } else {
            eprintln!("ORTHRUS_TEST_DATABASE_URL not set: PostgreSQL half of {tag} skipped");
        }
        v
    }

    /// First-run setup, then a signed-in Owner.
    pub async fn owner(&self) -> Client {
        self.app
            .bootstrap(
                "Acme",
                "owner@acme.test",
                "Olivia Owner",
                "owner-password-1",
                "127.0.0.1",
            )
            .await
            .unwrap();
        self.login("owner@acme.test", "owner-password-1").await
    }

    pub async fn login(&self, email: &str, password: &str) -> Client {
        let (s, v) = self
            .anon()
            .post(
                "/auth/login",
                &json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        Client {
            base: self.url.clone(),
            http: self.http.clone(),
            token: Some(v["token"].as_str().unwrap().to_owned()),
            user_id: v["user_id"].as_str().unwrap().to_owned(),
        }
    }

    pub fn anon(&self) -> Client {
        Client {
            base: self.url.clone(),
            http: self.http.clone(),
            token: None,
            user_id: String::new(),
        }
    }

    /// Signs in through the form, as a browser does: the `Cookie` header
    /// value of the session and its CSRF token.
    pub async fn browser_login(&self, email: &str, password: &str) -> (String, String) {
        let b = self.browser(email, password).await;
        (b.cookie, b.csrf)
    }

    /// A browser signed in through the form as `email`.
    pub async fn browser(&self, email: &str, password: &str) -> Browser {
        let r = self
            .http
            .post(format!("{}/login", self.url))
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .unwrap();
        self.browser_of(&r)
    }

    /// The browser a sign-in response made: its session cookie and CSRF token.
    pub fn browser_of(&self, r: &reqwest::Response) -> Browser {
        let cookie = session_cookie(r).expect("a session cookie");
        let csrf = self.app.csrf_token(&cookie);
        Browser {
            url: self.url.clone(),
            http: self.http.clone(),
            cookie: format!("orthrus_session={cookie}"),
            csrf,
        }
    }

    /// Creates a user through the API (as `by`) and signs them in. A guest's
    /// access ends 30 days after the start ([`GUEST_END`]).
    pub async fn user(&self, by: &Client, email: &str, role: &str) -> Client {
        let mut body = json!({"email": email, "role": role, "password": "member-password-1"});
        if role == "guest" {
            body["access_expires_at"] = json!(Timestamp(GUEST_END).to_rfc3339());
        }
        let (s, v) = by.post("/users", &body).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        self.login(email, "member-password-1").await
    }
}

#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
    pub token: Option<String>,
    pub user_id: String,
}

impl Client {
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let mut r = self
            .http
            .request(method, format!("{}/api/v1{path}", self.base));
        if let Some(t) = &self.token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = body {
            r = r.json(b);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (
            status,
            if text.is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).unwrap_or(Value::String(text))
            },
        )
    }
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }
    pub async fn patch(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::PATCH, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.send(reqwest::Method::DELETE, path, None).await
    }
    pub async fn step_up(&self, password: &str) {
        let (s, v) = self
            .post("/auth/step-up", &json!({"password": password}))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    /// Creates an account and returns its id.
    pub async fn account(&self, label: &str, password: &str) -> String {
        let (s, v) = self
            .post("/accounts", &json!({"app": "instagram", "label": label, "login_url": "https://www.instagram.com/accounts/login/", "username": "brand", "password": password}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v["id"].as_str().unwrap().to_owned()
    }

    /// Gives account `id` a managed address and returns the address.
    pub async fn managed_address(&self, id: &str) -> String {
        let (s, m) = self
            .post(&format!("/accounts/{id}/managed-email"), &json!({}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{m}");
        m["address"].as_str().unwrap().to_owned()
    }

    /// An account (as [`Client::account`] makes it) with a managed address:
    /// its id and the address.
    pub async fn account_with_address(&self, label: &str, password: &str) -> (String, String) {
        let id = self.account(label, password).await;
        let address = self.managed_address(&id).await;
        (id, address)
    }
}

/// A browser signed in through the form ([`TestApp::browser`]): the
/// session cookie and the CSRF token its pages carry.
#[derive(Clone)]
pub struct Browser {
    pub url: String,
    pub http: reqwest::Client,
    /// The `Cookie` header value, `orthrus_session=…`.
    pub cookie: String,
    pub csrf: String,
}

impl Browser {
    /// A page load or plain form post: the session cookie only.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.url))
            .header("cookie", &self.cookie)
    }

    /// An htmx request: the session cookie, `hx-request` and the CSRF token.
    pub fn hx(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        hx_req(
            self.http.request(method, format!("{}{path}", self.url)),
            &self.cookie,
            &self.csrf,
        )
    }

    /// An htmx GET.
    pub fn hx_get(&self, path: &str) -> reqwest::RequestBuilder {
        self.hx(reqwest::Method::GET, path)
    }

    /// An htmx POST.
    pub fn hx_post(&self, path: &str) -> reqwest::RequestBuilder {
        self.hx(reqwest::Method::POST, path)
    }

    /// A plain form post, as without JavaScript: the session cookie, and the
    /// CSRF token as the form's `_csrf` field before `fields`.
    pub fn form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::RequestBuilder {
        let mut form = vec![("_csrf", self.csrf.clone())];
        form.extend(fields.iter().map(|(k, v)| (*k, (*v).to_owned())));
        self.request(reqwest::Method::POST, path).form(&form)
    }

    /// A signed-in page's HTML, as a browser gets it.
    pub async fn html(&self, path: &str) -> String {
        text_of(self.request(reqwest::Method::GET, path)).await
    }
}

/// An htmx request of a signed-in browser: the session cookie and the CSRF
/// token.
pub fn hx_req(req: reqwest::RequestBuilder, cookie: &str, csrf: &str) -> reqwest::RequestBuilder {
    req.header("cookie", cookie)
        .header("hx-request", "true")
        .header("x-csrf-token", csrf)
}

/// The body of a response, as text.
pub async fn text_of(req: reqwest::RequestBuilder) -> String {
    req.send().await.unwrap().text().await.unwrap()
}

/// The session cookie's value that a response sets, if any.
pub fn session_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            c.strip_prefix("orthrus_session=")
                .map(|rest| rest.split(';').next().unwrap_or("").to_owned())
        })
}

/// The error code of a response body.
pub fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}
