//! `TestApp`: the whole HTTP application in-process, on a real socket; its
//! API `Client`, a signed-in `Browser` (cookie and CSRF token), and in
//! `nodes` the pieces of several nodes on one database.

pub mod nodes;
pub mod scim;

use nodes::{Shared, http_client, listen, serve};
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
        Self {
            url,
            app,
            clock,
            http: http_client(),
            backend,
            _dir: dir,
        }
    }

    pub async fn sqlite() -> Self {
        Self::sqlite_configured(|_| {}).await
    }

    /// SQLite with an adjusted configuration.
    pub async fn sqlite_configured(tweak: impl FnOnce(&mut AppConfig)) -> Self {
        let (store, dir) = sqlite_store().await;
        Self::spawn_configured(store, dir, tweak).await
    }

    /// SQLite always; PostgreSQL too when `ORTHRUS_TEST_DATABASE_URL` is set.
    pub async fn all(tag: &str) -> Vec<Self> {
        let mut v = vec![Self::sqlite().await];
        if let Some(store) = pg_store(tag).await {
            v.push(Self::spawn_with(store, tempfile::tempdir().unwrap()).await);
        }
        v
    }

    /// First-run setup, then a signed-in Owner.
    pub async fn owner(&self) -> Client {
        first_run(&self.app, "Olivia Owner").await;
        self.login("owner@acme.test", "owner-password-1").await
    }

    /// The app's actor for the session `c` signs in with.
    pub async fn actor(&self, c: &Client) -> orthrus_app::Actor {
        self.app
            .authenticate(c.token.as_deref().unwrap(), "127.0.0.1")
            .await
            .unwrap()
    }

    pub async fn login(&self, email: &str, password: &str) -> Client {
        self.login_with(&json!({"email": email, "password": password}))
            .await
    }

    /// Signs in through the API with the sign-in `body`, which must succeed.
    pub async fn login_with(&self, body: &Value) -> Client {
        let (s, v) = self.anon().post("/auth/login", body).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        Client {
            base: self.url.clone(),
            http: self.http.clone(),
            token: Some(v["token"].as_str().unwrap().to_owned()),
            user_id: v["user_id"].as_str().unwrap().to_owned(),
        }
    }

    /// A request without any session, as a fresh browser sends it.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}{path}", self.url))
    }

    /// A page loaded without any session.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        sent(self.request(reqwest::Method::GET, path)).await
    }

    /// The HTML of a page loaded without any session.
    pub async fn page(&self, path: &str) -> String {
        text_of(self.request(reqwest::Method::GET, path)).await
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

    /// Sends the app's mail through a real SMTP relay on loopback that
    /// delivers back into this app: the token that stops the relay.
    pub async fn mail_through_a_relay(&self) -> tokio_util::sync::CancellationToken {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let relay = listener.local_addr().unwrap();
        let stop = tokio_util::sync::CancellationToken::new();
        tokio::spawn(orthrus_smtp::serve(
            listener,
            orthrus_smtp::SmtpConfig::default(),
            Arc::new(
                orthrus_smtp::AppDelivery::new(
                    self.app.clone(),
                    &orthrus_smtp::auth::AuthConfig {
                        dns_servers: vec!["127.0.0.1:9".parse().unwrap()],
                        ..Default::default()
                    },
                )
                .unwrap(),
            ),
            stop.clone(),
        ));
        self.app.set_mailer(Arc::new(
            orthrus_smtp::outbound::RelayMailer::new(
                &format!("smtp://{relay}"),
                "orthrus@inbox.localhost",
            )
            .unwrap(),
        ));
        stop
    }

    /// Delivers Instagram's mail with the code 777 123 and `message_id` to
    /// `address`, account `id`'s, with no sender verdict: its id in the
    /// inbox, as `owner` lists it.
    pub async fn code_mail(
        &self,
        owner: &Client,
        id: &str,
        address: String,
        message_id: &str,
    ) -> String {
        let mail = format!(
            "From: Instagram <security@mail.instagram.com>\r\nSubject: 777 123 is your code\r\nMessage-ID: {message_id}\r\n\r\nUse 777123 to log in.\r\n"
        );
        self.app
            .ingest_email(&[address], mail.as_bytes(), None)
            .await
            .unwrap();
        let (_, list) = owner.get(&format!("/inbox?account_id={id}")).await;
        list[0]["id"].as_str().unwrap().to_owned()
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

/// A store on a fresh SQLite file, and the folder that holds it.
pub async fn sqlite_store() -> (Arc<dyn orthrus_store::Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = orthrus_store::open(&format!(
        "sqlite://{}",
        dir.path().join("orthrus.db").display()
    ))
    .await
    .unwrap();
    (store, dir)
}

/// A store on a scratch PostgreSQL database for `tag`; None (said on
/// stderr) when `ORTHRUS_TEST_DATABASE_URL` is not set.
pub async fn pg_store(tag: &str) -> Option<Arc<dyn orthrus_store::Store>> {
    let url = pg_scratch_url(tag, &format!("PostgreSQL half of {tag}")).await?;
    Some(orthrus_store::open(&url).await.unwrap())
}

/// The URL of a scratch PostgreSQL database for `tag`; None when
/// `ORTHRUS_TEST_DATABASE_URL` is not set, said on stderr as `what` skipped.
pub async fn pg_scratch_url(tag: &str, what: &str) -> Option<String> {
    let Some(base) = orthrus_store::testing::pg_base_url() else {
        eprintln!("ORTHRUS_TEST_DATABASE_URL not set: {what} skipped");
        return None;
    };
    Some(
        orthrus_store::testing::pg_scratch_database(&base, tag)
            .await
            .unwrap(),
    )
}

/// First-run setup of `app`: the workspace Acme and its Owner
/// `owner@acme.test` (`owner-password-1`) named `name`.
pub async fn first_run(app: &App, name: &str) -> orthrus_core::UserId {
    app.bootstrap(
        "Acme",
        "owner@acme.test",
        name,
        "owner-password-1",
        "127.0.0.1",
    )
    .await
    .unwrap()
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
    /// A request to `path` outside `/api/v1` (a page, a stream) with this
    /// client's bearer token.
    pub fn raw(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let r = self.http.request(method, format!("{}{path}", self.base));
        match &self.token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }
    /// A UI page as this client sees it (bearer sessions open pages too).
    pub async fn page(&self, path: &str) -> (StatusCode, String) {
        let r = sent(self.raw(reqwest::Method::GET, path)).await;
        (r.status(), r.text().await.unwrap())
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
    /// A sign-in attempt through the API with `email` and `password`.
    pub async fn sign_in(&self, email: &str, password: &str) -> (StatusCode, Value) {
        self.post(
            "/auth/login",
            &json!({"email": email, "password": password}),
        )
        .await
    }

    /// Sets up account `id`'s authenticator with `body` (a key or a link)
    /// and confirms it, as its Owner after step-up.
    pub async fn enrol(&self, id: &str, body: &Value) {
        let (s, v) = self.put_totp(id, body).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, v) = self.confirm_totp(id).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }

    /// Starts setting up account `id`'s authenticator with `body`.
    pub async fn put_totp(&self, id: &str, body: &Value) -> (StatusCode, Value) {
        self.send(
            reqwest::Method::PUT,
            &format!("/accounts/{id}/totp"),
            Some(body),
        )
        .await
    }

    /// Confirms account `id`'s pending authenticator.
    pub async fn confirm_totp(&self, id: &str) -> (StatusCode, Value) {
        self.post(&format!("/accounts/{id}/totp/confirm"), &json!({}))
            .await
    }

    /// Account `id`'s current authenticator code, as this person asks for it.
    pub async fn totp_code(&self, id: &str) -> (StatusCode, Value) {
        self.get(&format!("/accounts/{id}/totp/code")).await
    }

    /// Checks a code (`{"code": …}`, perhaps a `skew`) against account
    /// `id`'s authenticator.
    pub async fn verify_totp(&self, id: &str, body: &Value) -> (StatusCode, Value) {
        self.post(&format!("/accounts/{id}/totp/verify"), body)
            .await
    }

    /// Asks for the export of every authenticator seed as otpauth links.
    pub async fn export_seeds(&self) -> (StatusCode, Value) {
        self.post("/authenticator/export", &json!({"format": "otpauth"}))
            .await
    }

    /// Makes `user` a member of `account` with `role`: the answer.
    pub async fn add_member(&self, account: &str, user: &str, role: &str) -> (StatusCode, Value) {
        self.post(
            &format!("/accounts/{account}/members"),
            &json!({"user_id": user, "role": role}),
        )
        .await
    }

    /// The audit events recorded for `action`.
    pub async fn audit(&self, action: &str) -> Vec<Value> {
        let (s, v) = self.get(&format!("/audit?action={action}")).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v.as_array().unwrap().clone()
    }

    /// Invites `email` into the workspace as `role`: the answer.
    pub async fn invite(&self, email: &str, role: &str) -> (StatusCode, Value) {
        self.post("/invitations", &json!({"email": email, "role": role}))
            .await
    }

    /// Makes `user` a member of `account` with `role`, which must succeed.
    pub async fn make_member(&self, account: &str, user: &str, role: &str) {
        let (s, v) = self.add_member(account, user, role).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }

    /// Adds `number` to the pool and gives account `id` a number from it,
    /// both of which must succeed.
    pub async fn give_phone_number(&self, id: &str, number: &str) {
        let (s, v) = self
            .post("/phone-numbers", &json!({"number": number}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (s, v) = self
            .post(&format!("/accounts/{id}/phone-number"), &json!({}))
            .await;
        assert!(s.is_success(), "{v}");
    }

    /// The workspace's people, as `GET /users` lists them.
    pub async fn users(&self) -> Vec<Value> {
        let (_, users) = self.get("/users").await;
        users.as_array().unwrap().clone()
    }

    /// Turns the two-person rule on (the Owner has passed the identity
    /// check), which must succeed.
    pub async fn two_person_rule_on(&self) {
        let (s, v) = self
            .patch("/workspace", &json!({"two_person_rule": true}))
            .await;
        assert_eq!(
            (s, v["two_person_rule"].as_bool()),
            (StatusCode::OK, Some(true)),
            "{v}"
        );
    }

    /// Asks for an identity check by approval on another device: the
    /// answer (the request's `id`, and the `number` to pick).
    pub async fn ask_device(&self) -> (StatusCode, Value) {
        self.post("/auth/step-up/device", &json!({})).await
    }

    /// Answers the device approval `rid` on this device by picking `number`.
    pub async fn pick(&self, rid: &str, number: impl serde::Serialize) -> (StatusCode, Value) {
        self.post(&format!("/me/approvals/{rid}"), &json!({"number": number}))
            .await
    }

    /// The id of the waiting request for `action`, as this approver sees it.
    pub async fn request_for(&self, action: &str) -> String {
        let (s, list) = self.get("/dual-approvals").await;
        assert_eq!(s, StatusCode::OK, "{list}");
        list.as_array()
            .unwrap()
            .iter()
            .find(|r| r["action"] == action)
            .unwrap_or_else(|| panic!("no {action} request in {list}"))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Approves (`true`) or denies the two-person request `rid`: the
    /// request's status after.
    pub async fn decide(&self, rid: &str, approve: bool) -> Value {
        self.post(
            &format!("/dual-approvals/{rid}"),
            &json!({"approve": approve}),
        )
        .await
        .1["status"]
            .clone()
    }

    /// Gives the team `team` the role `role` on `account`.
    pub async fn grant_team(&self, account: &str, team: &str, role: &str) -> (StatusCode, Value) {
        self.send(
            reqwest::Method::PUT,
            &format!("/accounts/{account}/teams/{team}"),
            Some(&json!({"role": role})),
        )
        .await
    }

    /// The same person through a personal API token named `cli`, made
    /// after an identity check with `member-password-1`.
    pub async fn with_cli_token(&self) -> Client {
        self.step_up("member-password-1").await;
        let (s, v) = self.post("/me/tokens", &json!({"name": "cli"})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        Client {
            token: Some(v["token"].as_str().unwrap().to_owned()),
            ..self.clone()
        }
    }

    /// Approves the two-person request `rid` as this second person.
    pub async fn approve(&self, rid: &str) -> (StatusCode, Value) {
        self.post(&format!("/dual-approvals/{rid}"), &json!({"approve": true}))
            .await
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

    /// The identity check's answer to `password`, over htmx, for `then`.
    pub async fn step_up_then(&self, then: &str, password: &str) -> String {
        text_of(
            self.hx_post(&format!("/step-up?then={then}"))
                .form(&[("password", password)]),
        )
        .await
    }

    /// A signed-in page's HTML, as a browser gets it.
    pub async fn html(&self, path: &str) -> String {
        text_of(self.request(reqwest::Method::GET, path)).await
    }

    /// A signed-in page load: its status and HTML.
    pub async fn load(&self, path: &str) -> (StatusCode, String) {
        let r = self.get(path).await;
        (r.status(), r.text().await.unwrap())
    }

    /// A plain form post from this server's own pages (`Origin` set): the
    /// answer's status and HTML.
    pub async fn submit(&self, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
        let r = sent(self.form(path, fields).header("origin", &self.url)).await;
        (r.status(), r.text().await.unwrap())
    }

    /// The same session with one more cookie (`name=value`) along.
    pub fn with_cookie(&self, extra: &str) -> Self {
        Self {
            cookie: format!("{}; {extra}", self.cookie),
            ..self.clone()
        }
    }

    /// A signed-in page load: the response.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        sent(self.request(reqwest::Method::GET, path)).await
    }

    /// A plain form post ([`Browser::form`]), sent: the response.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        sent(self.form(path, fields)).await
    }

    /// A plain form post ([`Browser::form`]): the page it answers with.
    pub async fn post_text(&self, path: &str, fields: &[(&str, &str)]) -> String {
        text_of(self.form(path, fields)).await
    }
}

/// An htmx request of a signed-in browser: the session cookie and the CSRF
/// token.
pub fn hx_req(req: reqwest::RequestBuilder, cookie: &str, csrf: &str) -> reqwest::RequestBuilder {
    req.header("cookie", cookie)
        .header("hx-request", "true")
        .header("x-csrf-token", csrf)
}

/// A request, sent: the response.
pub async fn sent(req: reqwest::RequestBuilder) -> reqwest::Response {
    req.send().await.unwrap()
}

/// The part of `text` after the first `start`, up to the first `end` after
/// that (or to the end of `text`).
pub fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let after = text
        .split(start)
        .nth(1)
        .unwrap_or_else(|| panic!("{start:?} in {text}"));
    after.split(end).next().unwrap_or(after)
}

/// A response's header `name` as text; empty when it is missing or not
/// text.
pub fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// The `Location` a response redirects to.
pub fn location(r: &reqwest::Response) -> String {
    r.headers()["location"].to_str().unwrap().to_owned()
}

/// The body of a response, as text.
pub async fn text_of(req: reqwest::RequestBuilder) -> String {
    req.send().await.unwrap().text().await.unwrap()
}

/// A response's status and body, its request id (shown on error pages)
/// blanked, so that two answers can be compared.
pub async fn blanked(r: reqwest::Response) -> (StatusCode, String) {
    let status = r.status();
    let id = header(&r, "x-request-id");
    assert_eq!(id.len(), 16);
    (status, r.text().await.unwrap().replace(&id, "REQUEST-ID"))
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

/// Asserts an API answer: its status, and its error code `code`.
#[track_caller]
pub fn assert_code(s: StatusCode, v: &Value, status: StatusCode, want: &str) {
    assert_eq!((s, code(v)), (status, want), "{v}");
}

/// Asserts an API answer: its status, and its `status` field `want`.
#[track_caller]
pub fn assert_status(s: StatusCode, v: &Value, status: StatusCode, want: &str) {
    assert_eq!((s, v["status"].as_str()), (status, Some(want)), "{v}");
}

/// The one-shot message cookie (`orthrus_flash=…`) a response sets, if any.
pub fn flash_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("orthrus_flash="))
        .map(|c| c.split(';').next().unwrap_or(c).to_owned())
}

/// The error code of a response body.
pub fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}
