//! The SSO tests' harness: panva's oidc-provider
//! (`crates/orthrus/tests/oidc/provider.mjs`) on the machine's Node.js,
//! installed by `./scripts/test` (`npm ci --prefix crates/orthrus/tests/oidc`),
//! a server whose client is registered there (dynamic registration, with
//! its own redirect URI), and a cookie-keeping HTTP client that plays a
//! person at the provider's login and consent pages.

use crate::support::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The provider's process; stopped when dropped.
pub(crate) struct Provider {
    child: Child,
    pub issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn provider_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oidc")
}

impl Provider {
    /// Starts the provider on a free port on 127.0.0.1.
    pub(crate) fn start() -> Self {
        let dir = provider_dir();
        assert!(
            dir.join("node_modules/oidc-provider").exists(),
            "the test OpenID provider is not installed: run `npm ci --prefix crates/orthrus/tests/oidc` (./scripts/test does)"
        );
        let child = Command::new("node")
            .arg("provider.mjs")
            .arg("0")
            .current_dir(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node (Node.js 20) is needed for the SSO tests");
        // Held from here on, so a failed start still stops the process.
        let mut provider = Self {
            child,
            issuer: String::new(),
        };
        let mut out = BufReader::new(provider.child.stdout.take().unwrap());
        let mut line = String::new();
        loop {
            line.clear();
            assert!(
                out.read_line(&mut line).unwrap() > 0,
                "the OpenID provider exited before it was ready"
            );
            if let Some(issuer) = line.trim().strip_prefix("ready ") {
                provider.issuer = issuer.to_owned();
                std::thread::spawn(move || {
                    let mut sink = String::new();
                    while out.read_line(&mut sink).unwrap_or(0) > 0 {
                        sink.clear();
                    }
                });
                return provider;
            }
        }
    }

    /// Registers a client whose redirect URI is `redirect_uri`; returns
    /// its id and secret.
    pub(crate) async fn register(&self, redirect_uri: &str, alg: &str) -> (String, String) {
        let (s, v) = api(
            &http(),
            reqwest::Method::POST,
            &format!("{}/reg", self.issuer),
            None,
            Some(json!({
                "redirect_uris": [redirect_uri],
                "id_token_signed_response_alg": alg,
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
            })),
        )
        .await;
        assert_eq!(s, 201, "{v}");
        (
            v["client_id"].as_str().unwrap().to_owned(),
            v["client_secret"].as_str().unwrap().to_owned(),
        )
    }
}

/// A free port on 127.0.0.1 (the server's URL must be known before the
/// provider can be told its redirect URI).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An Orthrus server with single sign-on through `provider`; `extra` is
/// more of the `[sso]` section (TOML lines).
pub(crate) async fn sso_server(
    provider: &Provider,
    storage: &Storage,
    dir: &Path,
    alg: &str,
    extra: &str,
) -> Server {
    let port = free_port();
    let public = format!("http://127.0.0.1:{port}");
    let (id, secret) = provider
        .register(&format!("{public}/sso/callback"), alg)
        .await;
    let config = dir.join(format!("orthrus-{port}.toml"));
    std::fs::write(
        &config,
        format!(
            "[sso]\nissuer = \"{}\"\nclient_id = \"{id}\"\nclient_secret = \"{secret}\"\nprovider_name = \"Acme ID\"\nscopes = [\"openid\", \"email\", \"profile\", \"groups\"]\n{extra}\n",
            provider.issuer
        ),
    )
    .unwrap();
    let listen = format!("127.0.0.1:{port}");
    let config = config.display().to_string();
    Server::start_with(storage, "info", &["--http", &listen, "--config", &config])
}

/// A client that keeps cookies (all on 127.0.0.1) and plays a person at
/// the provider's login and consent pages.
pub(crate) struct Person {
    pub(crate) http: reqwest::Client,
    jar: BTreeMap<String, String>,
}

/// Where a walk through redirects ended.
pub(crate) struct Landing {
    pub url: String,
    pub status: u16,
    pub body: String,
}

impl Person {
    pub(crate) fn new() -> Self {
        Self {
            http: http(),
            jar: BTreeMap::new(),
        }
    }

    pub(crate) fn cookie_header(&self) -> String {
        self.jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub(crate) fn keep_cookies(&mut self, r: &reqwest::Response) {
        for h in r.headers().get_all(reqwest::header::SET_COOKIE) {
            let text = h.to_str().unwrap_or("");
            let first = text.split(';').next().unwrap_or("");
            if let Some((k, v)) = first.split_once('=') {
                let expired = text.to_ascii_lowercase().contains("max-age=0")
                    || text
                        .to_ascii_lowercase()
                        .contains("expires=thu, 01 jan 1970");
                if v.is_empty() || expired {
                    self.jar.remove(k.trim());
                } else {
                    self.jar.insert(k.trim().to_owned(), v.to_owned());
                }
            }
        }
    }

    pub(crate) fn cookie(&self, name: &str) -> Option<&str> {
        self.jar.get(name).map(String::as_str)
    }

    /// Sends one request and follows redirects to the end.
    pub(crate) async fn go(
        &mut self,
        method: reqwest::Method,
        url: &str,
        form: Option<Vec<(String, String)>>,
    ) -> Landing {
        self.go_until(method, url, form, None).await
    }

    /// Like `go`, but a redirect to a URL starting with `stop` is not
    /// followed: the landing is that URL, unvisited (status 303).
    pub(crate) async fn go_until(
        &mut self,
        method: reqwest::Method,
        url: &str,
        form: Option<Vec<(String, String)>>,
        stop: Option<&str>,
    ) -> Landing {
        let mut url = url.to_owned();
        let mut req = self.http.request(method, &url);
        if let Some(f) = &form {
            req = req.form(f);
        }
        loop {
            let r = req
                .header(reqwest::header::COOKIE, self.cookie_header())
                .send()
                .await
                .unwrap();
            self.keep_cookies(&r);
            let status = r.status().as_u16();
            if (300..400).contains(&status) {
                let to = r.headers()[reqwest::header::LOCATION].to_str().unwrap();
                url = reqwest::Url::parse(&url)
                    .unwrap()
                    .join(to)
                    .unwrap()
                    .to_string();
                if stop.is_some_and(|p| url.starts_with(p)) {
                    return Landing {
                        url,
                        status: 303,
                        body: String::new(),
                    };
                }
                req = self.http.get(&url);
                continue;
            }
            return Landing {
                url,
                status,
                body: r.text().await.unwrap(),
            };
        }
    }

    /// Signs in at the provider as `login` (any password; see
    /// provider.mjs), consenting when asked, starting from `url` (which
    /// leads to the provider); returns where the provider sent the browser
    /// in the end.
    pub(crate) async fn through_provider(
        &mut self,
        issuer: &str,
        url: &str,
        login: &str,
    ) -> Landing {
        self.through_provider_until(issuer, url, login, None).await
    }

    /// Like `through_provider`, stopping before a redirect to `stop`.
    pub(crate) async fn through_provider_until(
        &mut self,
        issuer: &str,
        url: &str,
        login: &str,
        stop: Option<&str>,
    ) -> Landing {
        let mut at = self.go_until(reqwest::Method::GET, url, None, stop).await;
        for _ in 0..6 {
            if !at.url.starts_with(issuer) {
                return at;
            }
            let action = between(&at.body, "action=\"", "\"")
                .unwrap_or_else(|| panic!("no form at {}:\n{}", at.url, at.body));
            // Its hidden fields (the prompt, or the logout of an earlier
            // account the provider asks for first), and who signs in.
            let mut form = hidden_fields(&at.body);
            if form.iter().any(|(k, v)| k == "prompt" && v == "login") {
                form.push(("login".into(), login.into()));
                form.push(("password".into(), "any password".into()));
            }
            let target = reqwest::Url::parse(&at.url).unwrap().join(&action).unwrap();
            at = self
                .go_until(reqwest::Method::POST, target.as_str(), Some(form), stop)
                .await;
        }
        panic!("still at the provider: {}", at.url);
    }

    /// Signs in to Orthrus through the provider as `login`.
    pub(crate) async fn sign_in(&mut self, server: &str, issuer: &str, login: &str) -> Landing {
        self.through_provider(issuer, &format!("{server}/sso/start"), login)
            .await
    }

    /// `GET` of an Orthrus API path with the session cookie.
    pub(crate) async fn api_get(&mut self, url: &str) -> (u16, Value) {
        let at = self.go(reqwest::Method::GET, url, None).await;
        (
            at.status,
            serde_json::from_str(&at.body).unwrap_or(Value::String(at.body)),
        )
    }
}

/// The `name`/`value` pairs of a page's hidden inputs.
pub(crate) fn hidden_fields(html: &str) -> Vec<(String, String)> {
    html.split("<input")
        .skip(1)
        .filter(|tag| tag.contains("type=\"hidden\""))
        .filter_map(|tag| {
            let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
            Some((
                between(tag, "name=\"", "\"")?,
                between(tag, "value=\"", "\"")?,
            ))
        })
        .collect()
}

pub(crate) fn between(text: &str, start: &str, end: &str) -> Option<String> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(text[from..from + len].replace("&amp;", "&"))
}

/// The error code the sign-in page shows (`data-error-code`).
pub(crate) fn refusal(l: &Landing) -> String {
    between(&l.body, "data-error-code=\"", "\"").unwrap_or_else(|| {
        panic!(
            "no refusal on the page at {} ({}):\n{}",
            l.url, l.status, l.body
        )
    })
}

pub(crate) async fn audit(server: &Server, token: &str, action: &str) -> Vec<Value> {
    audit_events(&http(), &format!("{}/api/v1", server.url), token, action).await
}

/// `orthrus login --sso` to `server`, its configuration at `cfg` and its
/// standard input piped: the running CLI, and the link it printed for the
/// browser (trimmed).
pub(crate) fn sso_cli_login(server: &str, cfg: &Path) -> (Child, String) {
    let mut cli = Command::new(bin())
        .args(["login", "--server", server, "--sso"])
        .env("ORTHRUS_CLI_CONFIG", cfg)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(cli.stderr.take().unwrap());
    let mut link = String::new();
    while !link.starts_with("http") {
        link.clear();
        assert!(
            err.read_line(&mut link).unwrap() > 0,
            "the CLI printed no link"
        );
    }
    (cli, link.trim().to_owned())
}

/// The session token `orthrus login` stored in its configuration at `cfg`.
pub(crate) fn stored_token(cfg: &Path) -> Option<String> {
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(cfg).unwrap()).unwrap();
    stored["token"].as_str().map(str::to_owned)
}
