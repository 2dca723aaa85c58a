//! `orthrus accounts …` and `orthrus password`: the vault's accounts.

use super::{Client, Empty, access, api_code, osc52, print_json, prompt, understand};
use crate::safe_text::safe;
use anyhow::bail;
use clap::Subcommand;
use orthrus_app::{AccountDetail, AccountSummary};
use orthrus_core::AccountRole;
use orthrus_web::dto::PasswordResponse;
use serde::Serialize;
use std::process::ExitCode;

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

#[derive(clap::Args)]
pub struct PasswordArgs {
    /// The account's label or id
    account: String,
    /// Copy to the clipboard (OSC 52 terminal escape) instead of printing
    #[arg(long)]
    copy: bool,
    #[arg(long)]
    json: bool,
}

/// `POST /accounts`.
#[derive(Serialize)]
struct NewAccount<'a> {
    app: &'a str,
    label: &'a str,
    login_url: &'a str,
    username: &'a str,
    password: &'a str,
}

/// The caller's role as the API names it; `-` when not a member.
fn role_name(r: Option<AccountRole>) -> &'static str {
    r.map_or("-", AccountRole::as_str)
}

impl Client {
    /// Finds an account by id or (case-insensitive) label.
    pub(super) async fn resolve(&self, key: &str) -> anyhow::Result<AccountSummary> {
        let items: Vec<AccountSummary> = understand(&self.get("/accounts").await?)?;
        let mut exact: Vec<AccountSummary> = items
            .into_iter()
            .filter(|a| a.id == key || a.label.eq_ignore_ascii_case(key))
            .collect();
        match exact.len() {
            1 => Ok(exact.remove(0)),
            0 => bail!("no account of yours is called {key:?}; see `orthrus accounts list`"),
            n => bail!(
                "{n} accounts are called {key:?}; use the id instead ({})",
                safe(
                    &exact
                        .iter()
                        .map(|a| a.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            ),
        }
    }
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
            let items: Vec<AccountSummary> = understand(&v)?;
            if json {
                print_json(&v)?;
            } else {
                if items.is_empty() {
                    println!(
                        "No accounts yet. Add one with `orthrus accounts add` or in the web UI."
                    );
                }
                for a in items {
                    println!(
                        "{:<28} {:<12} {:<28} {}",
                        safe(&a.label),
                        safe(&a.app_name),
                        safe(&a.username),
                        safe(role_name(a.my_role))
                    );
                }
            }
        }
        AccountsCommand::Show { account, json } => {
            let id = c.resolve(&account).await?.id;
            let v = c.get(&format!("/accounts/{id}")).await?;
            let d: AccountDetail = understand(&v)?;
            if json {
                print_json(&v)?;
            } else {
                let a = &d.summary;
                println!("{} ({})", safe(&a.label), safe(&a.app_name));
                println!("  id:        {}", safe(&a.id));
                println!("  username:  {}", safe(&a.username));
                println!("  login URL: {}", safe(&a.login_url));
                println!("  your role: {}", safe(role_name(a.my_role)));
                for m in &d.members {
                    println!(
                        "  member:    {} ({})",
                        safe(&m.email),
                        safe(m.role.as_str())
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
                let p: PasswordResponse =
                    understand(&c.post("/password-generator", &Empty {}).await?)?;
                p.password
            } else {
                prompt("Password for the account", true)?
            };
            let body = NewAccount {
                app: &app,
                label: &label,
                login_url: &login_url,
                username: &username,
                password: &password,
            };
            let v = c.post("/accounts", &body).await?;
            let d: AccountDetail = understand(&v)?;
            if json {
                print_json(&v)?;
            } else {
                println!(
                    "Added {} with id {}.",
                    safe(&d.summary.label),
                    safe(&d.summary.id)
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What `password --json` prints.
#[derive(Serialize)]
struct Revealed<'a> {
    password: &'a str,
}

pub async fn password(a: PasswordArgs) -> anyhow::Result<ExitCode> {
    let c = Client::new()?;
    let id = c.resolve(&a.account).await?.id;
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
    let PasswordResponse { password: pw } = understand(&v)?;
    if a.copy {
        osc52(&pw)?;
        eprintln!("Copied the password of {} to the clipboard.", a.account);
    } else if a.json {
        print_json(&serde_json::to_value(Revealed { password: &pw })?)?;
    } else {
        println!("{}", safe(&pw));
    }
    Ok(ExitCode::SUCCESS)
}
