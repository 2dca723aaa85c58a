//! The `orthrus` binary: `serve` runs the product (HTTP API and UI under one
//! supervisor), `admin`, `audit` and `config` act on a data directory
//! directly, and the client commands (`login`, `accounts`, `password`) talk
//! to a running server over its API.

mod admin_ops;
mod client;
mod client_sso;
mod config;
mod metrics;
mod recipe_try;
mod safe_text;
mod serve;
mod sso_config;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "orthrus",
    version,
    about = "Share app accounts with your team without sharing passwords or phones"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (web UI and JSON API).
    Serve(ServeArgs),
    /// Run automation jobs only (more workers against the same PostgreSQL).
    Worker(StorageArgs),
    /// Administer a data directory directly (no server needed).
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Check the tamper-evident audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Configuration helpers.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Sign in to a server and keep the token for the other client commands.
    Login(client::LoginArgs),
    /// Sign out and forget the stored token.
    Logout(client::LogoutArgs),
    /// List, show and add shared accounts.
    Accounts {
        #[command(subcommand)]
        command: client::AccountsCommand,
    },
    /// Print (or copy) an account's password; asks you to confirm your identity.
    Password(client::PasswordArgs),
    /// Answer "Is this you?" requests from your other devices (number matching).
    Approve,
    /// Print (or copy) an account's current authenticator code.
    Code(client::CodeArgs),
    /// Run a browser automation on an account (login, enable_mfa,
    /// rotate_password, swap_email) and follow its steps.
    Automate(client::AutomateArgs),
    /// Read the shared inbox.
    Inbox {
        #[command(subcommand)]
        command: client::InboxCommand,
    },
    /// Set up, confirm, import and export authenticator seeds.
    Mfa {
        #[command(subcommand)]
        command: client::MfaCommand,
    },
    /// Check recipe files (the app flows automations run) and try one flow
    /// on a real account.
    Recipe {
        #[command(subcommand)]
        command: RecipeCommand,
    },
    /// Write the browser extension (unpacked) into a folder, ready for the
    /// browser's "Load unpacked"; pre-connected when --server and --token
    /// are given (managed installs, tests).
    Extension(ExtensionArgs),
    /// Pull the one-time code and confirmation link out of a message on
    /// standard input (an RFC 5322 email, or with --sms an SMS body); prints JSON.
    Extract {
        /// Read an SMS body instead of an email
        #[arg(long)]
        sms: bool,
        /// The SMS sender (short code or number)
        #[arg(long, requires = "sms")]
        from: Option<String>,
    },
}

/// Where the data lives (shared by serve, admin and audit).
#[derive(Args, Clone, Debug, Default)]
struct StorageArgs {
    /// Directory of the SQLite database and the master key [default: ./orthrus-data]
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// PostgreSQL URL (postgres://…) instead of the embedded SQLite
    #[arg(long)]
    database_url: Option<String>,
    /// A TOML configuration file (see `orthrus config example`)
    #[arg(long)]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum RecipeCommand {
    /// Parse and check a recipe file; prints its file, line and column and
    /// the reason when it is broken (exit 1).
    Check {
        /// The recipe file (TOML)
        file: PathBuf,
    },
    /// Run one flow of a recipe file against a real account, here and now,
    /// as a job of that account (a real sign-in, in its automation log):
    /// prints each step as it ends and keeps a picture of the page after
    /// it. Exit 0 when the flow ends done, 1 when it does not (or the file
    /// is broken), 2 when an input is wrong and nothing ran.
    Try(recipe_try::TryArgs),
}

#[derive(Args)]
struct ExtensionArgs {
    /// The folder to write the extension into (created if missing)
    #[arg(long)]
    out: PathBuf,
    /// The Orthrus server the copy is connected to
    #[arg(long, requires = "token")]
    server: Option<String>,
    /// An extension session token for that server (kept in preset.json, mode 0600)
    #[arg(long, requires = "server")]
    token: Option<String>,
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    storage: StorageArgs,
    /// Address for the web UI and API [default: 127.0.0.1:8080]
    #[arg(long)]
    http: Option<String>,
    /// Address for the SMTP listener [default: 127.0.0.1:2525]
    #[arg(long)]
    smtp: Option<String>,
    /// The URL people use to reach this server
    #[arg(long)]
    public_url: Option<String>,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a user; reads the password from one line of standard input.
    CreateUser {
        #[command(flatten)]
        storage: StorageArgs,
        #[arg(long)]
        email: String,
        /// owner, super-admin, admin or user
        #[arg(long)]
        role: String,
    },
    /// Write a consistent snapshot of the SQLite database, sealed with a
    /// key derived from the master key, while the server runs (PostgreSQL:
    /// prints how to use pg_dump).
    Backup {
        #[command(flatten)]
        storage: StorageArgs,
        /// The backup file to write (must not exist)
        #[arg(long)]
        out: PathBuf,
    },
    /// Restore a backup made by `admin backup` into the data directory
    /// (the server stopped; needs the master key it was made with).
    Restore {
        #[command(flatten)]
        storage: StorageArgs,
        /// The backup file
        file: PathBuf,
        /// Replace an existing database
        #[arg(long)]
        force: bool,
    },
    /// Re-wrap every secret under a new master key (servers may keep running:
    /// they take the new key from master.key.new in their data directory).
    /// The new key goes to the data directory's master.key (the old one to
    /// master.key.old), or is printed once when ORTHRUS_MASTER_KEY is used.
    /// Resumable: run it again after an interruption.
    RotateMasterKey {
        #[command(flatten)]
        storage: StorageArgs,
        /// Only create the new key (master.key.new) and stop, touching no
        /// data: copy it to every node's data directory, then run the
        /// command again without --prepare
        #[arg(long)]
        prepare: bool,
        /// Stop after re-wrapping this many values (to test resuming)
        #[arg(long, hide = true)]
        stop_after: Option<u64>,
    },
    /// List the database migrations this release would apply, and apply them.
    Migrate {
        #[command(flatten)]
        storage: StorageArgs,
        /// Only list them; exit 2 when some are pending, 0 when none
        #[arg(long)]
        check: bool,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute every hash chain; exits non-zero when an event was edited or deleted.
    Verify {
        #[command(flatten)]
        storage: StorageArgs,
        /// Print the result as JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print a documented reference configuration file.
    Example,
}

fn overrides(s: &StorageArgs) -> config::Overrides {
    config::Overrides {
        config_file: s.config.clone(),
        data_dir: s.data_dir.clone(),
        database_url: s.database_url.clone(),
        ..Default::default()
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(a) => {
            let o = config::Overrides {
                http: a.http,
                smtp: a.smtp,
                public_url: a.public_url,
                ..overrides(&a.storage)
            };
            let cfg = config::load(&o)?;
            serve::init_logging(&cfg);
            serve::serve(cfg).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Recipe {
            command: RecipeCommand::Check { file },
        } => match orthrus_automation::parse_recipe_file(&file) {
            Ok(r) => {
                let mut flows: Vec<&str> = r.flows.keys().map(String::as_str).collect();
                flows.sort_unstable();
                println!(
                    "{}: a recipe for the app {:?} with the flows {}",
                    file.display(),
                    r.app,
                    flows.join(", ")
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                eprintln!("{e}");
                Ok(ExitCode::from(1))
            }
        },
        Command::Recipe {
            command: RecipeCommand::Try(a),
        } => recipe_try::run(a).await,
        Command::Extension(a) => {
            let preset = match (&a.server, &a.token) {
                (Some(server), Some(token)) => {
                    let ok = server.starts_with("https://") || server.starts_with("http://");
                    if !ok {
                        anyhow::bail!(
                            "--server must be the server's http:// or https:// URL, got {server:?}"
                        );
                    }
                    Some(orthrus_web::extension::preset(server, token))
                }
                _ => None,
            };
            let n = orthrus_web::extension::write_to(&a.out, preset.as_deref())
                .with_context(|| format!("cannot write the extension into {}", a.out.display()))?;
            println!(
                "Wrote the Orthrus extension ({n} files{}) to {}",
                if preset.is_some() { ", connected" } else { "" },
                a.out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Worker(storage) => {
            let cfg = config::load(&overrides(&storage))?;
            serve::init_logging(&cfg);
            serve::worker(cfg).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Admin {
            command:
                AdminCommand::CreateUser {
                    storage,
                    email,
                    role,
                },
        } => {
            let cfg = config::load(&overrides(&storage))?;
            let role: orthrus_core::WorkspaceRole = role.parse().map_err(|_| {
                anyhow::anyhow!("unknown role {role:?}; use owner, super-admin, admin or user")
            })?;
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("cannot read the password from standard input")?;
            let password = line.trim_end_matches(['\r', '\n']);
            let app = serve::open_app(&cfg).await?;
            let user = app
                .create_user_local(&email, role, password)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            app.store().close().await;
            println!("created {} ({}) with id {}", user.email, user.role, user.id);
            Ok(ExitCode::SUCCESS)
        }
        Command::Admin {
            command: AdminCommand::Backup { storage, out },
        } => admin_ops::backup(&config::load(&overrides(&storage))?, &out).await,
        Command::Admin {
            command:
                AdminCommand::Restore {
                    storage,
                    file,
                    force,
                },
        } => admin_ops::restore(&config::load(&overrides(&storage))?, &file, force).await,
        Command::Admin {
            command:
                AdminCommand::RotateMasterKey {
                    storage,
                    prepare,
                    stop_after,
                },
        } => {
            let cfg = config::load(&overrides(&storage))?;
            if prepare {
                admin_ops::prepare_master_key(&cfg)
            } else {
                admin_ops::rotate_master_key(&cfg, stop_after).await
            }
        }
        Command::Admin {
            command: AdminCommand::Migrate { storage, check },
        } => admin_ops::migrate(&config::load(&overrides(&storage))?, check).await,
        Command::Audit {
            command: AuditCommand::Verify { storage, json },
        } => {
            let cfg = config::load(&overrides(&storage))?;
            let app = serve::open_app(&cfg).await?;
            let report = app
                .verify_audit()
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            app.store().close().await;
            if json {
                // Problems quote stored text: no raw C1 or bidi characters out.
                let text = serde_json::to_string_pretty(&report)?;
                println!("{}", safe_text::escape_json(text));
            } else if report.ok() {
                println!(
                    "audit log intact: {} events in {} workspace(s)",
                    report.events, report.workspaces
                );
            } else {
                eprintln!("audit log TAMPERED ({} problem(s)):", report.problems.len());
                for p in &report.problems {
                    eprintln!("  - {}", safe_text::safe(p));
                }
            }
            Ok(if report.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
        Command::Config {
            command: ConfigCommand::Example,
        } => {
            print!("{}", config::EXAMPLE);
            Ok(ExitCode::SUCCESS)
        }
        Command::Extract { sms, from } => {
            use std::io::Read;
            let mut raw = Vec::new();
            std::io::stdin()
                .lock()
                .take(32 * 1024 * 1024)
                .read_to_end(&mut raw)
                .context("cannot read standard input")?;
            let x = if sms {
                orthrus_extract::extract_sms(
                    from.as_deref().unwrap_or(""),
                    &String::from_utf8_lossy(&raw),
                )
            } else {
                orthrus_extract::extract_email(&raw)
            };
            // The message is untrusted: no raw C1 or bidi characters out.
            println!("{}", safe_text::escape_json(serde_json::to_string(&x)?));
            Ok(ExitCode::SUCCESS)
        }
        Command::Login(a) => client::login(a).await,
        Command::Logout(a) => client::logout(a).await,
        Command::Accounts { command } => client::accounts(command).await,
        Command::Password(a) => client::password(a).await,
        Command::Code(a) => client::code(a).await,
        Command::Approve => client::approve().await,
        Command::Mfa { command } => client::mfa(command).await,
        Command::Inbox { command } => client::inbox(command).await,
        Command::Automate(a) => client::automate(a).await,
    }
}
