//! The command-line client: talks to a running server through the JSON API
//! with a Bearer token kept in the user's config directory (mode 0600).

use anyhow::{Context, anyhow, bail};
use clap::{Args, Subcommand};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::safe_text::{safe, safe_json};

#[derive(Args)]
pub struct LoginArgs {
    /// The server's URL, e.g. https://orthrus.example.com
    #[arg(long)]
    server: String,
    /// Your email (asked when missing)
    #[arg(long, conflicts_with = "sso")]
    email: Option<String>,
    /// Sign in through the server's identity provider in your browser
    /// (single sign-on) instead of with a password
    #[arg(long)]
    sso: bool,
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
    /// Add a member to an account, or change their role or end of access.
    Member {
        /// The account's label or id
        account: String,
        /// The person's email address
        #[arg(long)]
        email: String,
        /// collaborator, manager or owner
        #[arg(long, default_value = "collaborator")]
        role: String,
        /// When their access ends: RFC 3339, or 2026-12-12T17:00 (UTC). Without it the access does not end (a guest's ends with theirs).
        #[arg(long)]
        until: Option<String>,
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

struct Client {
    http: reqwest::Client,
    stored: Stored,
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

pub(crate) fn api_code(e: &anyhow::Error) -> Option<&str> {
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
                safe(
                    &many
                        .iter()
                        .filter_map(|a| a["id"].as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
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
    if a.sso {
        return crate::client_sso::login(&server, a.json).await;
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

pub(crate) fn print_json(v: &Value) -> anyhow::Result<()> {
    println!("{}", safe_json(v)?);
    Ok(())
}

pub async fn accounts(cmd: AccountsCommand) -> anyhow::Result<ExitCode> {
    let c = Client::new()?;
    match cmd {
        AccountsCommand::Member {
            account,
            email,
            role,
            until,
            json,
        } => access::member(&c, &account, &email, &role, until, json).await?,
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
                        safe(a["label"].as_str().unwrap_or("")),
                        safe(a["app_name"].as_str().unwrap_or("")),
                        safe(a["username"].as_str().unwrap_or("")),
                        safe(a["my_role"].as_str().unwrap_or("-"))
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
                    safe(v["label"].as_str().unwrap_or("")),
                    safe(v["app_name"].as_str().unwrap_or(""))
                );
                println!("  id:        {}", safe(v["id"].as_str().unwrap_or("")));
                println!(
                    "  username:  {}",
                    safe(v["username"].as_str().unwrap_or(""))
                );
                println!(
                    "  login URL: {}",
                    safe(v["login_url"].as_str().unwrap_or(""))
                );
                println!(
                    "  your role: {}",
                    safe(v["my_role"].as_str().unwrap_or("-"))
                );
                for m in v["members"].as_array().cloned().unwrap_or_default() {
                    println!(
                        "  member:    {} ({})",
                        safe(m["email"].as_str().unwrap_or("")),
                        safe(m["role"].as_str().unwrap_or(""))
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
                    safe(v["label"].as_str().unwrap_or("")),
                    safe(v["id"].as_str().unwrap_or(""))
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
        println!("{}", safe(pw));
    }
    Ok(ExitCode::SUCCESS)
}

/// Standard base64, for the OSC 52 sequence.
mod access;

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

    /// Decodes what `encode` made (invalid characters are skipped).
    pub fn decode(s: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(s.len() / 4 * 3);
        let mut buf = 0u32;
        let mut bits = 0;
        for c in s.bytes() {
            let Some(v) = T.iter().position(|t| *t == c) else {
                continue;
            };
            buf = (buf << 6) | v as u32;
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((buf >> bits) as u8);
            }
        }
        out
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn decode_inverts_encode() {
            for s in [
                &b""[..],
                b"f",
                b"fo",
                b"foo",
                b"foobar",
                &[0, 255, 128, 7][..],
            ] {
                assert_eq!(super::decode(&super::encode(s)), s);
            }
        }

        #[test]
        fn matches_rfc4648() {
            assert_eq!(super::encode(b""), "");
            assert_eq!(super::encode(b"f"), "Zg==");
            assert_eq!(super::encode(b"fo"), "Zm8=");
            assert_eq!(super::encode(b"foobar"), "Zm9vYmFy");
        }
    }
}

#[derive(Args)]
pub struct CodeArgs {
    /// The account's label or id
    account: String,
    /// Copy to the clipboard (OSC 52) instead of printing
    #[arg(long)]
    copy: bool,
    /// Never hand out a code about to expire or already used: wait for the next one
    #[arg(long)]
    wait: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct AutomateArgs {
    /// The account's label or id
    account: String,
    /// What to do: login, enable_mfa, rotate_password or swap_email
    kind: String,
    /// Start it and print the job id without following it
    #[arg(long)]
    no_wait: bool,
    #[arg(long)]
    json: bool,
    /// When the job needs a person, answer here: a CAPTCHA's picture is
    /// saved to a file and the answer read from standard input
    #[arg(long)]
    ask: bool,
}

/// Starts an automation and follows its steps until it ends. Exit status:
/// 0 succeeded, 1 failed or cancelled, 3 deferred (it will run again).
pub async fn automate(a: AutomateArgs) -> anyhow::Result<ExitCode> {
    let c = Client::new()?;
    let id = c.resolve(&a.account).await?["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let body = serde_json::json!({ "kind": a.kind });
    let path = format!("/accounts/{id}/automations");
    let started = c.with_step_up(|| c.post(&path, &body)).await?;
    let job = safe(started["job_id"].as_str().unwrap_or_default()).into_owned();
    if a.no_wait {
        if a.json {
            print_json(&started)?;
        } else {
            println!("{job}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!("Started {} on {} (job {job}).", a.kind, a.account);
    let mut shown = 0usize;
    // The question last shown (its prompt and the steps so far: a CAPTCHA
    // asked again comes after new steps).
    let mut asked: Option<String> = None;
    loop {
        let v = c.get(&format!("/jobs/{job}")).await?;
        if let Some(steps) = v["steps"].as_array() {
            for s in steps.iter().skip(shown) {
                let Some(outcome) = s["outcome"].as_str() else {
                    break;
                };
                let mark = match outcome {
                    "ok" => "ok  ",
                    "failed" => "FAIL",
                    _ => "wait",
                };
                let detail = s["detail"]
                    .as_str()
                    .map(|d| format!(" ({})", safe(d)))
                    .unwrap_or_default();
                eprintln!(
                    "  {mark} {}{detail}",
                    safe(s["name"].as_str().unwrap_or_default())
                );
                shown += 1;
            }
        }
        let state = v["state"].as_str().unwrap_or_default();
        // Once per question: where a person answers it (or here, --ask).
        let steps_so_far = v["steps"].as_array().map_or(0, Vec::len);
        match v["question"]["prompt"].as_str() {
            Some(prompt) if asked.as_deref() != Some(&format!("{prompt}|{steps_so_far}")) => {
                eprintln!("  needs a person: {}", safe(prompt));
                if a.ask {
                    if let Err(e) = answer_here(&c, &job, &v).await {
                        eprintln!("  {e:#}");
                    }
                } else {
                    eprintln!(
                        "  Answer on the job's page (/automations/{job}), with POST /api/v1/jobs/{job}/answer, or follow it with --ask."
                    );
                }
                asked = Some(format!("{prompt}|{steps_so_far}"));
            }
            Some(_) => {}
            None => asked = None,
        }
        let done = match state {
            "succeeded" => Some(ExitCode::SUCCESS),
            "failed" | "cancelled" => Some(ExitCode::from(1)),
            "deferred" => Some(ExitCode::from(3)),
            _ => None,
        };
        if let Some(code) = done {
            if a.json {
                print_json(&v)?;
            } else {
                println!("{}", safe(state));
                if let Some(e) = v["error"].as_str() {
                    eprintln!("{}", safe(e));
                }
            }
            return Ok(code);
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

/// Answers a job's question from the terminal (`automate --ask`).
async fn answer_here(c: &Client, job: &str, v: &Value) -> anyhow::Result<()> {
    let path = format!("/jobs/{job}/answer");
    if v["question"]["kind"] == "backup_code" {
        // Consent is typed by a person, never piped in.
        if !std::io::stdin().is_terminal() {
            eprintln!(
                "  Allow it on the job's page (/automations/{job}): consent needs a terminal here."
            );
            return Ok(());
        }
        let yes = prompt("  Allow a backup code? (yes/no)", false)?;
        if !yes.trim().eq_ignore_ascii_case("yes") && !yes.trim().eq_ignore_ascii_case("y") {
            eprintln!("  Not allowed: the job waits (cancel it, or allow on its page).");
            return Ok(());
        }
        let yes = serde_json::json!({"answer": "yes"});
        c.with_step_up(|| c.post(&path, &yes)).await?;
        eprintln!("  Allowed.");
        return Ok(());
    }
    let picture = match v["screenshot_url"].as_str() {
        Some(url) => {
            let png = c.get_bytes(url.trim_start_matches("/api/v1")).await?;
            let file = private_temp_file(&png)?;
            eprintln!("  The picture: {}", file.display());
            Some(file)
        }
        None => None,
    };
    let answer = prompt("  Answer", false);
    if let Some(f) = &picture {
        let _ = std::fs::remove_file(f);
    }
    let answer = answer?;
    match c
        .post(&path, &serde_json::json!({ "answer": answer }))
        .await
    {
        Ok(_) => eprintln!("  Answered."),
        Err(e) if api_code(&e) == Some("automation.not_waiting") => {
            eprintln!("  Someone answered already (or the job stopped waiting).");
        }
        Err(e) => return Err(e),
    }
    Ok(())
}

/// Writes `bytes` to a new file only the current user can read, under a
/// random name in the temporary directory (never over an existing file).
fn private_temp_file(bytes: &[u8]) -> anyhow::Result<std::path::PathBuf> {
    let tag: [u8; 8] = orthrus_core::Entropy::bytes(&orthrus_core::OsEntropy);
    let file = std::env::temp_dir().join(format!("orthrus-{}.png", orthrus_crypto::hex(&tag)));
    write_private_file(&file, bytes, true)?;
    Ok(file)
}

#[derive(Subcommand)]
pub enum InboxCommand {
    /// Wait for the account's next message with a code or a confirmation
    /// link and print the code (or the link). Exits 2 if nothing arrives.
    Wait {
        /// The account's label or id
        account: String,
        /// Seconds to wait (at most 120)
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=120))]
        timeout: u64,
        /// Also accept messages received since this RFC 3339 time (default: now)
        #[arg(long)]
        since: Option<String>,
        /// Print the whole message as JSON
        #[arg(long)]
        json: bool,
    },
}

/// `orthrus inbox ...`
pub async fn inbox(cmd: InboxCommand) -> anyhow::Result<ExitCode> {
    let InboxCommand::Wait {
        account,
        timeout,
        since,
        json,
    } = cmd;
    let c = Client::new()?;
    let id = c.resolve(&account).await?["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut url = reqwest::Url::parse(&c.url("/inbox/wait")).context("bad server URL")?;
    url.query_pairs_mut()
        .append_pair("account_id", &id)
        .append_pair("timeout", &timeout.to_string());
    if let Some(s) = &since {
        url.query_pairs_mut().append_pair("since", s);
    }
    let v = send(c.http.get(url).bearer_auth(&c.stored.token)).await?;
    if v.is_null() {
        eprintln!("Nothing arrived for {account} within {timeout} s.");
        return Ok(ExitCode::from(2));
    }
    if json {
        print_json(&v)?;
    } else if let Some(code) = v["code"].as_str() {
        println!("{}", safe(code));
    } else {
        println!("{}", safe(v["confirm_link"].as_str().unwrap_or_default()));
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Subcommand)]
pub enum MfaCommand {
    /// Give Orthrus the account's authenticator key; prints the code to type
    /// into the app, then confirms once you press Enter.
    Set {
        /// The account's label or id
        account: String,
        /// The secret key the app shows
        #[arg(long, group = "source")]
        secret: Option<String>,
        /// An otpauth:// link
        #[arg(long, group = "source")]
        uri: Option<String>,
        /// A PNG or JPEG screenshot of the QR code
        #[arg(long, group = "source")]
        qr: Option<PathBuf>,
        /// The key is a Steam Guard key
        #[arg(long)]
        steam: bool,
        /// Confirm at once, without waiting for Enter
        #[arg(long)]
        yes: bool,
        #[arg(long)]
        json: bool,
    },
    /// Confirm a pending key ("Done").
    Confirm { account: String },
    /// Drop a pending key.
    Cancel { account: String },
    /// Import from another authenticator (Google export, Aegis, 2FAS,
    /// Bitwarden, CSV, otpauth list); shows the plan first.
    Import {
        files: Vec<PathBuf>,
        /// Only show what would happen
        #[arg(long)]
        dry_run: bool,
        /// Overwrite authenticators accounts already have
        #[arg(long)]
        replace: bool,
        #[arg(long)]
        json: bool,
    },
    /// Export every seed (Owner or Super Admin): an age file by default.
    Export {
        /// Where to write the file
        #[arg(long)]
        out: PathBuf,
        /// age (encrypted, asks for a passphrase) or otpauth (plain list)
        #[arg(long, default_value = "age")]
        format: String,
    },
}

impl Client {
    async fn put(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        send(
            self.http
                .put(self.url(path))
                .bearer_auth(&self.stored.token)
                .json(body),
        )
        .await
    }
    async fn delete(&self, path: &str) -> anyhow::Result<Value> {
        send(
            self.http
                .delete(self.url(path))
                .bearer_auth(&self.stored.token),
        )
        .await
    }
    async fn get_bytes(&self, path: &str) -> anyhow::Result<Vec<u8>> {
        let resp = self
            .http
            .get(self.url(path))
            .bearer_auth(&self.stored.token)
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
            self.http
                .post(self.url(path))
                .bearer_auth(&self.stored.token)
                .header("content-type", content_type)
                .body(body),
        )
        .await
    }

    /// Runs a request; when the server asks for step-up, confirms identity
    /// and runs it once more.
    async fn with_step_up<F, Fut>(&self, f: F) -> anyhow::Result<Value>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = anyhow::Result<Value>>,
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

fn osc52(text: &str) -> anyhow::Result<()> {
    print!("\x1b]52;c;{}\x07", base64_lite::encode(text.as_bytes()));
    std::io::stdout().flush()?;
    Ok(())
}

pub async fn code(a: CodeArgs) -> anyhow::Result<ExitCode> {
    let c = Client::new()?;
    let id = c.resolve(&a.account).await?["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let path = if a.wait {
        format!("/accounts/{id}/totp/code?via=cli")
    } else {
        format!("/accounts/{id}/totp/code?via=cli&fresh=0")
    };
    // POST: an HOTP code is used up by being handed out (a GET would refuse
    // it); a TOTP code is the same either way.
    let v = c.post(&path, &serde_json::json!({})).await?;
    let code = v["code"].as_str().unwrap_or_default();
    if a.json {
        print_json(&v)?;
    } else if a.copy {
        osc52(code)?;
        eprintln!(
            "Copied the code of {} ({} s left).",
            a.account,
            safe(&v["seconds_remaining"].to_string())
        );
    } else {
        println!("{}", safe(code));
        if let Some(m) = v["used"]["message"].as_str() {
            eprintln!("note: {}", safe(m));
        } else if v["kind"] != "hotp" {
            eprintln!("{} s left", safe(&v["seconds_remaining"].to_string()));
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn mfa(cmd: MfaCommand) -> anyhow::Result<ExitCode> {
    let c = Client::new()?;
    match cmd {
        MfaCommand::Set {
            account,
            secret,
            uri,
            qr,
            steam,
            yes,
            json,
        } => {
            let id = c.resolve(&account).await?["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let pending = if let Some(path) = qr {
                let bytes = std::fs::read(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                let ct = if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
                    "image/jpeg"
                } else {
                    "image/png"
                };
                let path = format!("/accounts/{id}/totp/qr");
                c.with_step_up(|| c.post_bytes(&path, ct, bytes.clone()))
                    .await?
            } else if secret.is_none() && uri.is_none() {
                bail!("give --secret, --uri or --qr");
            } else {
                let body =
                    serde_json::json!({"secret": secret, "otpauth_uri": uri, "steam": steam});
                let path = format!("/accounts/{id}/totp");
                c.with_step_up(|| c.put(&path, &body)).await?
            };
            if json && yes {
                let done = c
                    .post(
                        &format!("/accounts/{id}/totp/confirm"),
                        &serde_json::json!({"enrollment_id": pending["enrollment_id"]}),
                    )
                    .await?;
                print_json(&serde_json::json!({"pending": pending, "confirmed": done}))?;
                return Ok(ExitCode::SUCCESS);
            }
            if json {
                print_json(&pending)?;
                return Ok(ExitCode::SUCCESS);
            }
            println!(
                "Type this code into the app to finish its setup: {}  ({} s left, next {})",
                safe(pending["code"].as_str().unwrap_or("")),
                safe(&pending["seconds_remaining"].to_string()),
                safe(pending["next_code"].as_str().unwrap_or("-"))
            );
            let answer = if yes {
                String::new()
            } else {
                prompt(
                    "Press Enter when the app accepted it, or type cancel",
                    false,
                )?
            };
            if answer.trim().eq_ignore_ascii_case("cancel") {
                c.delete(&format!("/accounts/{id}/totp/pending")).await?;
                println!("Cancelled; nothing changed.");
            } else {
                c.post(
                    &format!("/accounts/{id}/totp/confirm"),
                    &serde_json::json!({"enrollment_id": pending["enrollment_id"]}),
                )
                .await?;
                println!(
                    "Done: every member of {account} now gets the code from Orthrus (`orthrus code \"{account}\"`)."
                );
            }
        }
        MfaCommand::Confirm { account } => {
            let id = c.resolve(&account).await?["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let path = format!("/accounts/{id}/totp/confirm");
            c.with_step_up(|| c.post(&path, &Value::Null)).await?;
            println!("Confirmed.");
        }
        MfaCommand::Cancel { account } => {
            let id = c.resolve(&account).await?["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let path = format!("/accounts/{id}/totp/pending");
            c.with_step_up(|| c.delete(&path)).await?;
            println!("Cancelled.");
        }
        MfaCommand::Import {
            files,
            dry_run,
            replace,
            json,
        } => {
            if files.is_empty() {
                bail!("name at least one file to import");
            }
            for path in files {
                let bytes = std::fs::read(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                let q = format!("/authenticator/import?dry_run={dry_run}&replace={replace}");
                let v = if dry_run {
                    c.post_bytes(&q, "application/octet-stream", bytes).await?
                } else {
                    c.with_step_up(|| c.post_bytes(&q, "application/octet-stream", bytes.clone()))
                        .await?
                };
                if json {
                    print_json(&v)?;
                    continue;
                }
                println!(
                    "{} ({}){}:",
                    path.display(),
                    safe(v["format"].as_str().unwrap_or("")),
                    if dry_run { ", preview" } else { "" }
                );
                for e in v["entries"].as_array().cloned().unwrap_or_default() {
                    println!(
                        "  {:<7} {:<40} {}",
                        safe(e["action"].as_str().unwrap_or("")),
                        safe(e["account_label"].as_str().unwrap_or("")),
                        safe(e["reason"].as_str().unwrap_or(""))
                    );
                }
                let mut summary = format!(
                    "  {} set, {} new accounts, {} skipped",
                    safe(&v["set"].to_string()),
                    safe(&v["created"].to_string()),
                    safe(&v["skipped"].to_string())
                );
                // Entries left alone, and items without any code: named
                // only when there are some.
                for (key, what) in [
                    ("ambiguous", "ambiguous"),
                    ("duplicates", "duplicates"),
                    ("invalid", "invalid"),
                    ("without_otp", "without a one-time password"),
                ] {
                    match v[key].as_u64() {
                        Some(n) if n > 0 => summary.push_str(&format!(", {n} {what}")),
                        _ => {}
                    }
                }
                println!("{summary}");
            }
        }
        MfaCommand::Export { out, format } => {
            let passphrase = if format == "age" {
                let p = prompt("Passphrase for the export (12+ characters)", true)?;
                if std::io::stdin().is_terminal() && prompt("Repeat the passphrase", true)? != p {
                    bail!("the passphrases differ");
                }
                Some(p)
            } else {
                None
            };
            let body = serde_json::json!({"format": format, "passphrase": passphrase});
            let fetch = || async {
                let resp = c
                    .http
                    .post(c.url("/authenticator/export"))
                    .bearer_auth(&c.stored.token)
                    .json(&body)
                    .send()
                    .await
                    .context("cannot reach the server")?;
                if resp.status().is_success() {
                    let n = resp
                        .headers()
                        .get("x-orthrus-entries")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("?")
                        .to_owned();
                    let bytes = resp.bytes().await?;
                    Ok(serde_json::json!({"n": n, "bytes": base64_lite::encode(&bytes)}))
                } else {
                    send(
                        c.http
                            .post(c.url("/authenticator/export"))
                            .bearer_auth(&c.stored.token)
                            .json(&body),
                    )
                    .await
                }
            };
            let v = c.with_step_up(fetch).await?;
            let bytes = base64_lite::decode(v["bytes"].as_str().unwrap_or_default());
            write_private_file(&out, &bytes, false)?;
            println!(
                "Exported {} authenticator(s) to {}.",
                safe(v["n"].as_str().unwrap_or("?")),
                out.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
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

/// Answers pending step-up requests from the user's other devices.
pub async fn approve() -> anyhow::Result<ExitCode> {
    let c = Client::new()?;
    let prompts = c.get("/me/approvals").await?;
    let prompts = prompts.as_array().cloned().unwrap_or_default();
    if prompts.is_empty() {
        println!("No device is waiting for your approval.");
        return Ok(ExitCode::SUCCESS);
    }
    for p in prompts {
        let id = p["id"].as_str().unwrap_or_default();
        let choices: Vec<&str> = p["choices"]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default();
        let purpose = p["purpose"].as_str().unwrap_or("").trim();
        println!(
            "A device signed in as you (from {}) asks to confirm it is you{}.",
            safe(p["ip"].as_str().unwrap_or("?")),
            if purpose.is_empty() {
                String::new()
            } else {
                format!(", to {}", safe(purpose))
            }
        );
        let answer = prompt(
            &format!(
                "Which number does it show? {} (or type deny)",
                safe(&choices.join(" / "))
            ),
            false,
        )?;
        let body = if answer.trim().eq_ignore_ascii_case("deny") {
            serde_json::json!({"deny": true})
        } else {
            serde_json::json!({"number": answer.trim()})
        };
        let v = c.post(&format!("/me/approvals/{id}"), &body).await?;
        match v["status"].as_str() {
            Some("approved") => println!("Approved."),
            _ => println!("Denied. If this was not you, change your password now."),
        }
    }
    Ok(ExitCode::SUCCESS)
}
