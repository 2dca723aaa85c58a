//! The command-line client: talks to a running server through the JSON API
//! with a Bearer token kept in the user's config directory (mode 0600).

use anyhow::{Context, anyhow, bail};
use clap::{Args, Subcommand};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct LoginArgs {
    /// The server's URL, e.g. https://orthrus.example.com
    #[arg(long)]
    server: String,
    /// Your email (asked when missing)
    #[arg(long)]
    email: Option<String>,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct LogoutArgs {
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
pub enum AccountsCommand {
    /// Accounts you are a member of (--all: every account, for admins).
    List {
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// One account by label or id.
    Show {
        account: String,
        #[arg(long)]
        json: bool,
    },
    /// Add an account; the password is read from standard input (or generated).
    Add {
        #[arg(long)]
        app: String,
        #[arg(long)]
        label: String,
        #[arg(long, default_value = "")]
        login_url: String,
        #[arg(long, default_value = "")]
        username: String,
        /// Generate a strong password instead of reading one
        #[arg(long)]
        generate: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
pub struct PasswordArgs {
    /// The account's label or id
    account: String,
    /// Copy to the clipboard (OSC 52 terminal escape) instead of printing
    #[arg(long)]
    copy: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Serialize, Deserialize)]
struct Stored {
    server: String,
    token: String,
    email: String,
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

fn save(s: &Stored) -> anyhow::Result<()> {
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

fn http() -> anyhow::Result<reqwest::Client> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(concat!("orthrus-cli/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("cannot start the HTTP client")
}

/// Reads one line: a hidden prompt on a terminal, a plain line otherwise.
fn prompt(label: &str, hidden: bool) -> anyhow::Result<String> {
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
        write!(f, "{} ({}, HTTP {})", self.message, self.code, self.status)
    }
}

impl std::error::Error for ApiError {}

struct Client {
    http: reqwest::Client,
    stored: Stored,
}

async fn send(req: reqwest::RequestBuilder) -> anyhow::Result<Value> {
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
    let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    Err(ApiError {
        status: status.as_u16(),
        code: v["error"]["code"].as_str().unwrap_or("unknown").to_owned(),
        message: v["error"]["message"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("the server answered {status}")),
    }
    .into())
}

fn api_code(e: &anyhow::Error) -> Option<&str> {
    e.downcast_ref::<ApiError>().map(|a| a.code.as_str())
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
    async fn get(&self, path: &str) -> anyhow::Result<Value> {
        send(
            self.http
                .get(self.url(path))
                .bearer_auth(&self.stored.token),
        )
        .await
    }
    async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        send(
            self.http
                .post(self.url(path))
                .bearer_auth(&self.stored.token)
                .json(body),
        )
        .await
    }

    /// Finds an account by id or (case-insensitive) label.
    async fn resolve(&self, key: &str) -> anyhow::Result<Value> {
        let list = self.get("/accounts").await?;
        let items = list.as_array().cloned().unwrap_or_default();
        let exact: Vec<&Value> = items
            .iter()
            .filter(|a| {
                a["id"].as_str() == Some(key)
                    || a["label"]
                        .as_str()
                        .is_some_and(|l| l.eq_ignore_ascii_case(key))
            })
            .collect();
        match exact.as_slice() {
            [one] => Ok((*one).clone()),
            [] => bail!("no account of yours is called {key:?}; see `orthrus accounts list`"),
            many => bail!(
                "{} accounts are called {key:?}; use the id instead ({})",
                many.len(),
                many.iter()
                    .filter_map(|a| a["id"].as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// Confirms identity interactively (password, plus TOTP when asked).
    async fn step_up(&self) -> anyhow::Result<()> {
        eprintln!("Confirm your identity to continue.");
        let password = prompt("Your Orthrus password", true)?;
        match self
            .post("/auth/step-up", &serde_json::json!({"password": password}))
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if api_code(&e) == Some("auth.totp_required") => {
                let code = prompt("Authentication code", false)?;
                self.post(
                    "/auth/step-up",
                    &serde_json::json!({"password": password, "totp": code}),
                )
                .await
                .map(|_| ())
            }
            Err(e) => Err(e),
        }
    }
}

pub async fn login(a: LoginArgs) -> anyhow::Result<ExitCode> {
    let server = a.server.trim_end_matches('/').to_owned();
    if !(server.starts_with("http://") || server.starts_with("https://")) {
        bail!("--server must start with http:// or https://");
    }
    let email = match a.email {
        Some(e) => e,
        None => prompt("Email", false)?,
    };
    let password = prompt("Password", true)?;
    let http = http()?;
    let url = format!("{server}/api/v1/auth/login");
    let body = serde_json::json!({"email": email, "password": password});
    let resp = match send(http.post(&url).json(&body)).await {
        Err(e) if api_code(&e) == Some("auth.totp_required") => {
            let code = prompt("Authentication code", false)?;
            send(
                http.post(&url)
                    .json(&serde_json::json!({"email": email, "password": password, "totp": code})),
            )
            .await?
        }
        other => other?,
    };
    let token = resp["token"]
        .as_str()
        .ok_or_else(|| anyhow!("the server did not return a token"))?
        .to_owned();
    save(&Stored {
        server: server.clone(),
        token,
        email: email.clone(),
    })?;
    println!("Signed in to {server} as {email}.");
    if resp["must_enroll_2fa"].as_bool() == Some(true) {
        println!(
            "Your workspace requires two-factor authentication: set it up in the web UI under My security."
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn logout(a: LogoutArgs) -> anyhow::Result<ExitCode> {
    let c = Client::new()?;
    let server_said = c.post("/auth/logout", &Value::Null).await;
    std::fs::remove_file(config_path()?).ok();
    if a.json {
        print_json(
            &serde_json::json!({"signed_out": true, "server_session_ended": server_said.is_ok()}),
        )?;
    } else {
        println!("Signed out.");
    }
    Ok(ExitCode::SUCCESS)
}

fn print_json(v: &Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

pub async fn accounts(cmd: AccountsCommand) -> anyhow::Result<ExitCode> {
    let c = Client::new()?;
    match cmd {
        AccountsCommand::List { all, json } => {
            let v = c
                .get(if all {
                    "/accounts?scope=all"
                } else {
                    "/accounts"
                })
                .await?;
            if json {
                print_json(&v)?;
            } else {
                let items = v.as_array().cloned().unwrap_or_default();
                if items.is_empty() {
                    println!(
                        "No accounts yet. Add one with `orthrus accounts add` or in the web UI."
                    );
                }
                for a in items {
                    println!(
                        "{:<28} {:<12} {:<28} {}",
                        a["label"].as_str().unwrap_or(""),
                        a["app_name"].as_str().unwrap_or(""),
                        a["username"].as_str().unwrap_or(""),
                        a["my_role"].as_str().unwrap_or("-")
                    );
                }
            }
        }
        AccountsCommand::Show { account, json } => {
            let id = c.resolve(&account).await?["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let v = c.get(&format!("/accounts/{id}")).await?;
            if json {
                print_json(&v)?;
            } else {
                println!(
                    "{} ({})",
                    v["label"].as_str().unwrap_or(""),
                    v["app_name"].as_str().unwrap_or("")
                );
                println!("  id:        {}", v["id"].as_str().unwrap_or(""));
                println!("  username:  {}", v["username"].as_str().unwrap_or(""));
                println!("  login URL: {}", v["login_url"].as_str().unwrap_or(""));
                println!("  your role: {}", v["my_role"].as_str().unwrap_or("-"));
                for m in v["members"].as_array().cloned().unwrap_or_default() {
                    println!(
                        "  member:    {} ({})",
                        m["email"].as_str().unwrap_or(""),
                        m["role"].as_str().unwrap_or("")
                    );
                }
            }
        }
        AccountsCommand::Add {
            app,
            label,
            login_url,
            username,
            generate,
            json,
        } => {
            let password = if generate {
                c.post("/password-generator", &serde_json::json!({}))
                    .await?["password"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            } else {
                prompt("Password for the account", true)?
            };
            let v = c.post("/accounts", &serde_json::json!({"app": app, "label": label, "login_url": login_url, "username": username, "password": password})).await?;
            if json {
                print_json(&v)?;
            } else {
                println!(
                    "Added {} with id {}.",
                    v["label"].as_str().unwrap_or(""),
                    v["id"].as_str().unwrap_or("")
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn password(a: PasswordArgs) -> anyhow::Result<ExitCode> {
    let c = Client::new()?;
    let id = c.resolve(&a.account).await?["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let path = format!(
        "/accounts/{id}/password?purpose={}",
        if a.copy { "copy" } else { "reveal" }
    );
    let v = match c.get(&path).await {
        Err(e) if api_code(&e) == Some("step_up.required") => {
            c.step_up().await?;
            c.get(&path).await?
        }
        other => other?,
    };
    let pw = v["password"].as_str().unwrap_or_default();
    if a.copy {
        use base64_lite::encode;
        // OSC 52 asks the terminal (also over SSH) to put the text on the clipboard.
        print!("\x1b]52;c;{}\x07", encode(pw.as_bytes()));
        std::io::stdout().flush()?;
        eprintln!("Copied the password of {} to the clipboard.", a.account);
    } else if a.json {
        print_json(&serde_json::json!({"password": pw}))?;
    } else {
        println!("{pw}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Standard base64, for the OSC 52 sequence.
mod base64_lite {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    pub fn encode(b: &[u8]) -> String {
        let mut out = String::with_capacity(b.len().div_ceil(3) * 4);
        for chunk in b.chunks(3) {
            let n = (u32::from(chunk[0]) << 16)
                | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
                | u32::from(*chunk.get(2).unwrap_or(&0));
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn matches_rfc4648() {
            assert_eq!(super::encode(b""), "");
            assert_eq!(super::encode(b"f"), "Zg==");
            assert_eq!(super::encode(b"fo"), "Zm8=");
            assert_eq!(super::encode(b"foobar"), "Zm9vYmFy");
        }
    }
}
