//! Runs `orthrus serve` as a child process and talks to it: storage with
//! an Owner, the server, API calls, the CLI client with a session of its
//! own, and (in `chromium`) headless Chromium.

// Named by path: benches include this file through `#[path]`, and their
// nested modules would otherwise be looked for beside it.
#[path = "support/chromium.rs"]
pub mod chromium;

use reqwest::{Client, Method};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_orthrus")
}

/// A base64 master key fixed per test run, so restarts read the vault.
pub fn master_key() -> String {
    // 32 bytes of 0x2a: fine for tests, never for production.
    "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=".to_owned()
}

pub struct Server {
    pub child: Child,
    pub url: String,
    pub setup_url: Option<String>,
    /// Where the SMTP listener for managed addresses listens.
    pub smtp: Option<String>,
    /// The metrics URL, when `metrics.listen` is set.
    pub metrics: Option<String>,
    /// Everything the server wrote to stderr (its logs) so far.
    pub logs: Arc<Mutex<String>>,
    pub stdout: Arc<Mutex<String>>,
}

/// Storage flags: SQLite in `dir`, or a PostgreSQL URL.
#[derive(Clone)]
pub struct Storage {
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
}

impl Storage {
    pub fn args(&self) -> Vec<String> {
        let mut a = vec!["--data-dir".to_owned(), self.data_dir.display().to_string()];
        if let Some(u) = &self.database_url {
            a.push("--database-url".into());
            a.push(u.clone());
        }
        a
    }
}

/// SQLite always; PostgreSQL too when configured.
pub async fn storages(dir: &Path, tag: &str) -> Vec<Storage> {
    let mut v = vec![Storage {
        data_dir: dir.join("sqlite"),
        database_url: None,
    }];
    if let Some(base) = orthrus_store::testing::pg_base_url() {
        let url = orthrus_store::testing::pg_scratch_database(&base, tag)
            .await
            .unwrap();
        v.push(Storage {
            data_dir: dir.join("pg"),
            database_url: Some(url),
        });
    } else {
        eprintln!("ORTHRUS_TEST_DATABASE_URL not set: PostgreSQL half of {tag} skipped");
    }
    v
}

impl Server {
    /// Starts `orthrus serve` on a free port and returns once it listens
    /// (it prints its URL only after binding).
    pub fn start(storage: &Storage, log_level: &str) -> Self {
        Self::start_with(storage, log_level, &["--http", "127.0.0.1:0"])
    }

    /// Like `start`, with other listen/public-URL flags.
    pub fn start_with(storage: &Storage, log_level: &str, http_args: &[&str]) -> Self {
        Self::start_env(storage, log_level, http_args, &[])
    }

    /// Like `start`, sealing with the master key `key` instead of the
    /// suite's.
    pub fn start_with_key(storage: &Storage, key: &str) -> Self {
        Self::start_env(
            storage,
            "info",
            &["--http", "127.0.0.1:0"],
            &[("ORTHRUS_MASTER_KEY", key)],
        )
    }

    /// Like `start_with`, with extra environment variables.
    pub fn start_env(
        storage: &Storage,
        log_level: &str,
        http_args: &[&str],
        env: &[(&str, &str)],
    ) -> Self {
        let mut child = Command::new(bin())
            .arg("serve")
            .args(storage.args())
            .args(http_args)
            .args(["--smtp", "127.0.0.1:0"])
            .env("ORTHRUS_MASTER_KEY", master_key())
            .env("ORTHRUS_LOG", log_level)
            .env("ORTHRUS_ARGON_MEMORY_KIB", "8192")
            .env_remove("ORTHRUS_CONFIG")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let logs = Arc::new(Mutex::new(String::new()));
        let mut err = child.stderr.take().unwrap();
        let sink = Arc::clone(&logs);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let url;
        let mut setup_url = None;
        let mut smtp = None;
        let mut metrics = None;
        let stdout = Arc::new(Mutex::new(String::new()));
        let mut line = String::new();
        loop {
            line.clear();
            if out.read_line(&mut line).unwrap() == 0 {
                panic!(
                    "orthrus serve exited before listening; logs:\n{}",
                    logs.lock().unwrap()
                );
            }
            stdout.lock().unwrap().push_str(&line);
            let l = line.trim();
            if let Some(rest) = l.strip_prefix("Managed inbox mail is received on smtp://") {
                smtp = rest.split_whitespace().next().map(str::to_owned);
            }
            if let Some(rest) = l.strip_prefix("Metrics are served at ") {
                metrics = Some(rest.to_owned());
            }
            if l.contains("/setup?token=") {
                setup_url = Some(l.to_owned());
            }
            if let Some(u) = l.strip_prefix("Orthrus is running at ") {
                url = Some(u.to_owned());
                break;
            }
        }
        let sink = Arc::clone(&stdout);
        std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = out.read_to_string(&mut rest);
            sink.lock().unwrap().push_str(&rest);
        });
        Self {
            child,
            url: url.unwrap(),
            setup_url,
            smtp,
            metrics,
            logs,
            stdout,
        }
    }

    /// Sends SIGTERM and waits; returns the exit status.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        self.child.wait().unwrap()
    }

    pub fn logs(&self) -> String {
        self.logs.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn http() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub async fn api(
    c: &Client,
    method: Method,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = c.request(method, url);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let resp = r.send().await.unwrap();
    let s = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        s,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// `GET url` as the session `token`: the status and the JSON answer.
pub async fn get(c: &Client, url: &str, token: &str) -> (u16, Value) {
    api(c, Method::GET, url, Some(token), None).await
}

/// `POST url` with `body` as the session `token`.
pub async fn post(c: &Client, url: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    api(c, Method::POST, url, Some(token), body).await
}

/// `PUT url` with `body` as the session `token`.
pub async fn put(c: &Client, url: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    api(c, Method::PUT, url, Some(token), body).await
}

/// `PATCH url` with `body` as the session `token`.
pub async fn patch(c: &Client, url: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    api(c, Method::PATCH, url, Some(token), body).await
}

/// `GET url` without a session: the answer's JSON as a `T`.
pub async fn get_json<T: serde::de::DeserializeOwned>(c: &Client, url: &str) -> T {
    c.get(url).send().await.unwrap().json().await.unwrap()
}

/// `GET url` (a page), as the session `token` when there is one: its text.
pub async fn page_text(c: &Client, url: &str, token: Option<&str>) -> String {
    let mut r = c.get(url);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    body_text(r).await
}

pub async fn login(c: &Client, url: &str, email: &str, password: &str) -> String {
    let (s, v) = api(
        c,
        Method::POST,
        &format!("{url}/api/v1/auth/login"),
        None,
        Some(json!({"email": email, "password": password})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    v["token"].as_str().unwrap().to_owned()
}

/// `orthrus admin create-user`, password on stdin.
pub fn create_user(
    storage: &Storage,
    email: &str,
    role: &str,
    password: &str,
) -> std::process::Output {
    with_stdin(
        Command::new(bin())
            .args(["admin", "create-user"])
            .args(storage.args())
            .args(["--email", email, "--role", role])
            .env("ORTHRUS_MASTER_KEY", master_key())
            .env("ORTHRUS_ARGON_MEMORY_KIB", "8192"),
        &format!("{password}\n"),
    )
}

/// Runs `cmd` with `stdin` on its standard input; its output.
pub fn with_stdin(cmd: &mut Command, stdin: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// `orthrus admin create-user` as [`create_user`]; it succeeds. Its output.
pub fn create_user_ok(
    storage: &Storage,
    email: &str,
    role: &str,
    password: &str,
) -> std::process::Output {
    let out = create_user(storage, email, role, password);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `orthrus admin create-user` for the Owner (owner@acme.test,
/// `owner-password-1`); it succeeds.
pub fn create_owner(storage: &Storage) {
    create_user_ok(storage, "owner@acme.test", "owner", "owner-password-1");
}

/// SQLite in `dir`/d.
pub fn sqlite_storage(dir: &Path) -> Storage {
    Storage {
        data_dir: dir.join("d"),
        database_url: None,
    }
}

/// SQLite in `dir`/d with the Owner made ([`create_owner`]).
pub fn owner_storage(dir: &Path) -> Storage {
    let storage = sqlite_storage(dir);
    create_owner(&storage);
    storage
}

/// The session `t` confirms the Owner's identity (`owner-password-1`)
/// through the API at `base`.
pub async fn step_up(c: &Client, base: &str, t: &str) {
    let (s, v) = post(
        c,
        &format!("{base}/auth/step-up"),
        t,
        Some(json!({"password": "owner-password-1"})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
}

/// `POST url` with `body` as the session `t`, which answers 201 (else the
/// answer); the answer.
pub async fn create(c: &Client, url: &str, t: &str, body: Value) -> Value {
    let (s, v) = post(c, url, t, Some(body)).await;
    assert_eq!(s, 201, "{v}");
    v
}

/// Adds the account `label` of `app` with `password` through the API at
/// `base` as the session `t`; its id.
pub async fn add_account(
    c: &Client,
    base: &str,
    t: &str,
    app: &str,
    label: &str,
    password: &str,
) -> String {
    let body = json!({"app": app, "label": label, "password": password});
    let (_, acct) = post(c, &format!("{base}/accounts"), t, Some(body)).await;
    acct["id"].as_str().unwrap().to_owned()
}

/// Enrols an authenticator for account `id` (`totp`: its secret and
/// parameters) and confirms it, through the API at `base` as the session
/// `t`; both answer 200.
pub async fn enrol_totp(c: &Client, base: &str, t: &str, id: &str, totp: Value) {
    let (s, v) = put(c, &format!("{base}/accounts/{id}/totp"), t, Some(totp)).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = post(c, &format!("{base}/accounts/{id}/totp/confirm"), t, None).await;
    assert_eq!(s, 200, "{v}");
}

/// The TOTP codes `secret` gives at the steps `offsets` away from now's
/// (the real clock, as the server's).
pub fn codes_near_now(secret: &str, offsets: &[i64]) -> Vec<String> {
    let g = orthrus_otp::Generator::new(
        orthrus_otp::parse_secret(secret).unwrap(),
        orthrus_otp::OtpParams::default(),
    )
    .unwrap();
    let now =
        u64::try_from(orthrus_core::Clock::now(&orthrus_core::SystemClock).unix_seconds()).unwrap();
    let step = g.step(now);
    offsets
        .iter()
        .map(|o| g.code_at_step(step.checked_add_signed(*o).unwrap()))
        .collect()
}

/// The session `t` turns on its user's own TOTP through the API at `base`:
/// enrols (200) and confirms with the current code (200); the secret and
/// the recovery codes.
pub async fn own_totp_on(c: &Client, base: &str, t: &str) -> (String, Vec<String>) {
    let (s, en) = post(c, &format!("{base}/me/2fa/totp"), t, None).await;
    assert_eq!(s, 200, "{en}");
    let secret = en["secret"].as_str().unwrap().to_owned();
    let code = codes_near_now(&secret, &[0]).remove(0);
    let (s, rc) = post(
        c,
        &format!("{base}/me/2fa/totp/confirm"),
        t,
        Some(json!({ "code": code })),
    )
    .await;
    assert_eq!(s, 200, "{rc}");
    let recovery = rc["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    (secret, recovery)
}

/// The audit events of `action`, read through the API at `base` as the
/// session `t` (it answers 200).
pub async fn audit_events(c: &Client, base: &str, t: &str, action: &str) -> Vec<Value> {
    let (s, v) = get(c, &format!("{base}/audit?action={action}"), t).await;
    assert_eq!(s, 200, "{v}");
    v.as_array()
        .cloned()
        .or_else(|| v["events"].as_array().cloned())
        .unwrap_or_default()
}

/// Starts an automation of `kind` on account `id` through the API at
/// `base` as the session `t`: the status and the answer.
pub async fn start_automation(
    c: &Client,
    base: &str,
    t: &str,
    id: &str,
    kind: &str,
) -> (u16, Value) {
    let url = format!("{base}/accounts/{id}/automations");
    post(c, &url, t, Some(json!({ "kind": kind }))).await
}

/// Account `id` reveals the password `expected` through the API at `base`
/// to the session `t` (200).
pub async fn assert_password(c: &Client, base: &str, t: &str, id: &str, expected: &str) {
    let (s, v) = get(c, &format!("{base}/accounts/{id}/password"), t).await;
    assert_eq!((s, v["password"].as_str()), (200, Some(expected)), "{v}");
}

/// Sends `request`; the answer's text.
pub async fn body_text(request: reqwest::RequestBuilder) -> String {
    request.send().await.unwrap().text().await.unwrap()
}

/// Gives account `id` a managed address through the API at `base` as the
/// session `t`; the address.
pub async fn managed_address(c: &Client, base: &str, t: &str, id: &str) -> String {
    let (s, m) = post(c, &format!("{base}/accounts/{id}/managed-email"), t, None).await;
    assert_eq!(s, 201, "{m}");
    m["address"].as_str().unwrap().to_owned()
}

/// The Owner made by `admin create-user`, a server on `storage`, and the
/// Owner's session: the server, a client, the API's base URL, the token.
pub async fn owner_server(storage: &Storage) -> (Server, Client, String, String) {
    create_owner(storage);
    let server = Server::start(storage, "info");
    let (c, base, t) = owner_session(&server).await;
    (server, c, base, t)
}

/// The Owner (owner@acme.test, `owner-password-1`) signs in to `server`:
/// a client, the API's base URL, the session's token.
pub async fn owner_session(server: &Server) -> (Client, String, String) {
    let c = http();
    let base = format!("{}/api/v1", server.url);
    let t = login(&c, &server.url, "owner@acme.test", "owner-password-1").await;
    (c, base, t)
}

/// The CLI client with a configuration file of its own (`cfg`).
#[derive(Clone)]
pub struct CliSession {
    pub cfg: PathBuf,
}

impl CliSession {
    /// `orthrus login` to `server` as `email`, the password on stdin; it
    /// succeeds.
    pub fn login(cfg: PathBuf, server: &str, email: &str, password: &str) -> Self {
        let (ok, _, err) = cli(
            &cfg,
            &["login", "--server", server, "--email", email],
            &format!("{password}\n"),
        );
        assert!(ok, "{err}");
        Self { cfg }
    }

    /// [`CliSession::login`] as the Owner (owner@acme.test,
    /// `owner-password-1`).
    pub fn owner(cfg: PathBuf, server: &str) -> Self {
        Self::login(cfg, server, "owner@acme.test", "owner-password-1")
    }

    /// Runs the CLI with `args` and `stdin`: (success, stdout, stderr).
    pub fn run(&self, args: &[&str], stdin: &str) -> (bool, String, String) {
        cli(&self.cfg, args, stdin)
    }

    /// [`cli_add_account`] with this session's configuration.
    pub fn add_account(
        &self,
        app: &str,
        label: &str,
        more: &[&str],
        stdin: &str,
    ) -> (bool, String, String) {
        cli_add_account(&self.cfg, app, label, more, stdin)
    }
}

/// Runs the CLI client with its configuration at `config`: (success,
/// stdout, stderr).
pub fn cli(config: &Path, args: &[&str], stdin: &str) -> (bool, String, String) {
    let out = with_stdin(
        Command::new(bin())
            .args(args)
            .env("ORTHRUS_CLI_CONFIG", config),
        stdin,
    );
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `orthrus accounts add --app <app> --label <label>` and the arguments
/// `more`, with its configuration at `config` and `stdin` (the password,
/// when one is typed): (success, stdout, stderr).
pub fn cli_add_account(
    config: &Path,
    app: &str,
    label: &str,
    more: &[&str],
    stdin: &str,
) -> (bool, String, String) {
    let mut args = vec!["accounts", "add", "--app", app, "--label", label];
    args.extend_from_slice(more);
    cli(config, &args, stdin)
}

pub fn audit_verify(storage: &Storage) -> std::process::Output {
    audit_verify_with(storage, &master_key())
}

/// `orthrus audit verify` with the master key `key`.
pub fn audit_verify_with(storage: &Storage, key: &str) -> std::process::Output {
    Command::new(bin())
        .args(["audit", "verify"])
        .args(storage.args())
        .env("ORTHRUS_MASTER_KEY", key)
        .output()
        .unwrap()
}

/// A web server on 127.0.0.1 that answers every request with `html`; its
/// URL. It runs until the test ends.
pub async fn serve_static(html: &'static str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/login", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let msg = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{html}",
                    html.len()
                );
                let _ = s.write_all(msg.as_bytes()).await;
            });
        }
    });
    url
}

/// An SMTP conversation with the server's listener.
pub struct Smtp {
    r: tokio::io::BufReader<tokio::net::tcp::OwnedReadHalf>,
    w: tokio::net::tcp::OwnedWriteHalf,
}

impl Smtp {
    /// Connects to `addr` and expects the greeting (220).
    pub async fn connect(addr: &str) -> Self {
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (r, w) = stream.into_split();
        let mut smtp = Self {
            r: tokio::io::BufReader::new(r),
            w,
        };
        smtp.expect(&["220"]).await;
        smtp
    }

    /// Sends `text`, then expects one reply for each code in `codes`, in
    /// order.
    pub async fn say(&mut self, text: impl AsRef<[u8]>, codes: &[&str]) {
        use tokio::io::AsyncWriteExt;
        self.w.write_all(text.as_ref()).await.unwrap();
        self.expect(codes).await;
    }

    /// Reads one reply (all its lines) for each code in `codes` and checks
    /// its code.
    pub async fn expect(&mut self, codes: &[&str]) {
        use tokio::io::AsyncBufReadExt;
        for prefix in codes {
            let mut all = String::new();
            loop {
                let mut l = String::new();
                self.r.read_line(&mut l).await.unwrap();
                all.push_str(&l);
                if l.len() < 4 || &l[3..4] == " " {
                    break;
                }
            }
            assert!(all.starts_with(prefix), "expected {prefix}, got {all}");
        }
    }
}

/// Sends TikTok's code mail (730 194) to `address` through the SMTP
/// listener at `smtp`.
pub async fn mail_tiktok_code(smtp: &str, address: &str) {
    let mut smtp = Smtp::connect(smtp).await;
    smtp.say(
        format!(
            "EHLO tiktok.com\r\nMAIL FROM:<no-reply@tiktok.com>\r\nRCPT TO:<{address}>\r\nDATA\r\n"
        ),
        &["250", "250", "250", "354"],
    )
    .await;
    smtp.say(
        "From: TikTok <no-reply@tiktok.com>\r\nSubject: Verification code\r\nMessage-ID: <t-1@tiktok.com>\r\n\r\nYour verification code is 730 194. It expires in 5 minutes.\r\n.\r\n",
        &["250"],
    )
    .await;
}
