//! The command-line client: talks to a running server through the JSON API
//! with a Bearer token kept in the user's config directory (mode 0600).
//!
//! One file per feature, as in `orthrus-app`: `session` (sign-in, sign-out,
//! approving another device), `accounts` (and `access`: members), `otp`
//! (codes and authenticators), `inbox`, `automation`. Answers are read into
//! the types the API serializes (`orthrus_app` views, `orthrus_web::dto`);
//! one the CLI cannot read is a clear error ([`understand`]). `--json`
//! prints the server's answer as it came.

use anyhow::{Context, anyhow, bail};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use crate::safe_text::{safe, safe_json};

mod access;
mod accounts;
mod automation;
mod base64_lite;
mod inbox;
mod otp;
mod session;

pub use accounts::{AccountsCommand, PasswordArgs, accounts, password};
pub use automation::{AutomateArgs, automate};
pub use inbox::{InboxCommand, inbox};
pub use otp::{CodeArgs, MfaCommand, code, mfa};
pub use session::{LoginArgs, LogoutArgs, approve, login, logout};

#[derive(Serialize, Deserialize)]
pub(crate) struct Stored {
    pub(crate) server: String,
    pub(crate) token: String,
    pub(crate) email: String,
}

fn config_path() -> anyhow::Result<PathBuf> {
    if let Some(p) = std::env::var_os("ORTHRUS_CLI_CONFIG") {
        return Ok(PathBuf::from(p));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .ok_or_else(|| anyhow!("cannot find your config directory: set HOME or XDG_CONFIG_HOME"))?;
    Ok(base.join("orthrus").join("cli.json"))
}

pub(crate) fn save(s: &Stored) -> anyhow::Result<()> {
    let path = config_path()?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let tmp = path.with_extension("tmp");
    {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts
            .open(&tmp)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        f.write_all(serde_json::to_string_pretty(s)?.as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

fn load() -> anyhow::Result<Stored> {
    let path = config_path()?;
    let text = std::fs::read_to_string(&path)
        .map_err(|_| anyhow!("not signed in: run `orthrus login --server URL` first"))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} is damaged; run `orthrus login` again", path.display()))
}

pub(crate) fn http() -> anyhow::Result<reqwest::Client> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(concat!("orthrus-cli/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("cannot start the HTTP client")
}

/// Reads one line: a hidden prompt on a terminal, a plain line otherwise.
pub(crate) fn prompt(label: &str, hidden: bool) -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        if hidden {
            return rpassword::prompt_password(format!("{label}: "))
                .context("cannot read from the terminal");
        }
        eprint!("{label}: ");
        std::io::stderr().flush()?;
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read standard input")?;
    if line.is_empty() {
        bail!("{label} is required (standard input ended)");
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// An API error as the server reports it.
#[derive(Debug)]
struct ApiError {
    status: u16,
    code: String,
    message: String,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}, HTTP {})",
            safe(&self.message),
            safe(&self.code),
            self.status
        )
    }
}

impl std::error::Error for ApiError {}

/// The error body every API error has (`{"error": {"code", "message"}}`).
#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    code: Option<String>,
    message: Option<String>,
}

/// Reads an answer of the server as the type the API sends; an answer of
/// another shape is an error that says so (never a panic, never an empty
/// value standing in for what is missing).
pub(crate) fn understand<T: DeserializeOwned>(v: &Value) -> anyhow::Result<T> {
    T::deserialize(v)
        .map_err(|e| anyhow!("the server sent an answer this CLI does not understand: {e}"))
}

pub(crate) async fn send(req: reqwest::RequestBuilder) -> anyhow::Result<Value> {
    let resp = req.send().await.context("cannot reach the server")?;
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    if status.is_success() {
        return Ok(if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).context("the server sent something that is not JSON")?
        });
    }
    let detail = serde_json::from_str::<ErrorBody>(&text)
        .map(|b| b.error)
        .ok();
    let (code, message) = match detail {
        Some(d) => (d.code, d.message),
        None => (None, None),
    };
    Err(ApiError {
        status: status.as_u16(),
        code: code.unwrap_or_else(|| "unknown".to_owned()),
        message: message.unwrap_or_else(|| format!("the server answered {status}")),
    }
    .into())
}

/// [`send`], the answer read as `T` ([`understand`]).
pub(crate) async fn send_as<T: DeserializeOwned>(
    req: reqwest::RequestBuilder,
) -> anyhow::Result<T> {
    understand(&send(req).await?)
}

pub(crate) fn api_code(e: &anyhow::Error) -> Option<&str> {
    e.downcast_ref::<ApiError>().map(|a| a.code.as_str())
}

pub(crate) fn print_json(v: &Value) -> anyhow::Result<()> {
    println!("{}", safe_json(v)?);
    Ok(())
}

/// The body of a request that sends nothing (`{}`).
#[derive(Serialize)]
struct Empty {}

/// `POST /auth/step-up` (and `/auth/login` adds the email).
#[derive(Serialize)]
struct PasswordBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    password: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    totp: Option<&'a str>,
}

struct Client {
    http: reqwest::Client,
    stored: Stored,
}

impl Client {
    fn new() -> anyhow::Result<Self> {
        Ok(Self {
            http: http()?,
            stored: load()?,
        })
    }
    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.stored.server.trim_end_matches('/'))
    }
    /// A request to the API at `path`, with this CLI's token.
    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(&self.stored.token)
    }
    async fn get(&self, path: &str) -> anyhow::Result<Value> {
        send(self.request(reqwest::Method::GET, path)).await
    }
    async fn post<B: Serialize + ?Sized>(&self, path: &str, body: &B) -> anyhow::Result<Value> {
        send(self.request(reqwest::Method::POST, path).json(body)).await
    }
    async fn put<B: Serialize + ?Sized>(&self, path: &str, body: &B) -> anyhow::Result<Value> {
        send(self.request(reqwest::Method::PUT, path).json(body)).await
    }
    async fn delete(&self, path: &str) -> anyhow::Result<Value> {
        send(self.request(reqwest::Method::DELETE, path)).await
    }
    async fn get_bytes(&self, path: &str) -> anyhow::Result<Vec<u8>> {
        let resp = self
            .request(reqwest::Method::GET, path)
            .send()
            .await
            .context("cannot reach the server")?;
        if !resp.status().is_success() {
            bail!("the server answered {} for {path}", resp.status());
        }
        Ok(resp
            .bytes()
            .await
            .context("cannot read the answer")?
            .to_vec())
    }

    async fn post_bytes(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> anyhow::Result<Value> {
        send(
            self.request(reqwest::Method::POST, path)
                .header("content-type", content_type)
                .body(body),
        )
        .await
    }

    /// Confirms identity interactively (password, plus TOTP when asked).
    async fn step_up(&self) -> anyhow::Result<()> {
        eprintln!("Confirm your identity to continue.");
        let password = prompt("Your Orthrus password", true)?;
        let body = |totp| PasswordBody {
            email: None,
            password: &password,
            totp,
        };
        match self.post("/auth/step-up", &body(None)).await {
            Ok(_) => Ok(()),
            Err(e) if api_code(&e) == Some("auth.totp_required") => {
                let code = prompt("Authentication code", false)?;
                self.post("/auth/step-up", &body(Some(&code)))
                    .await
                    .map(|_| ())
            }
            Err(e) => Err(e),
        }
    }

    /// Runs a request; when the server asks for step-up, confirms identity
    /// and runs it once more.
    async fn with_step_up<T, F, Fut>(&self, f: F) -> anyhow::Result<T>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = anyhow::Result<T>>,
    {
        match f().await {
            Err(e) if api_code(&e) == Some("step_up.required") => {
                self.step_up().await?;
                f().await
            }
            other => other,
        }
    }
}

/// Asks the terminal (also over SSH) to put `text` on the clipboard (OSC 52).
fn osc52(text: &str) -> anyhow::Result<()> {
    print!("\x1b]52;c;{}\x07", base64_lite::encode(text.as_bytes()));
    std::io::stdout().flush()?;
    Ok(())
}

/// Writes a file only its owner can read (exports hold seeds). With
/// `new_only`, never an existing file (nor a link planted in its place).
fn write_private_file(path: &std::path::Path, bytes: &[u8], new_only: bool) -> anyhow::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    if new_only {
        opts.write(true).create_new(true);
    } else {
        opts.write(true).create(true).truncate(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    // An existing file keeps its mode on open: make it private explicitly.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    f.write_all(bytes)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::understand;
    use serde_json::json;

    #[test]
    fn an_answer_of_another_shape_is_a_clear_error() {
        let e = understand::<orthrus_web::dto::PasswordResponse>(&json!({"pw": "x"}))
            .err()
            .expect("a missing field is refused");
        assert!(
            e.to_string()
                .starts_with("the server sent an answer this CLI does not understand: "),
            "{e}"
        );
        let ok: orthrus_web::dto::PasswordResponse =
            understand(&json!({"password": "x"})).expect("the API's shape");
        assert_eq!(ok.password, "x");
    }
}
