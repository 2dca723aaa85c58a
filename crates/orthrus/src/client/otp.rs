//! `orthrus code` and `orthrus mfa …`: the team authenticator (codes,
//! setting up an account's key, importing and exporting seeds).

use super::write_private_file;
use super::{Client, Empty, osc52, print_json, prompt, send, understand};
use crate::safe_text::safe;
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use orthrus_app::{CodeView, ImportReport, PendingEnrollment, SeedExportFormat};
use orthrus_core::OtpKind;
use serde::Serialize;
use serde_json::Value;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

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

/// `PUT /accounts/{id}/totp`.
#[derive(Serialize)]
struct EnrollBody<'a> {
    secret: Option<&'a str>,
    otpauth_uri: Option<&'a str>,
    steam: bool,
}

/// `POST /accounts/{id}/totp/confirm`.
#[derive(Serialize)]
struct ConfirmBody<'a> {
    enrollment_id: &'a str,
}

/// `POST /authenticator/export`.
#[derive(Serialize)]
struct ExportBody<'a> {
    format: &'a str,
    passphrase: Option<&'a str>,
}

/// What `mfa set --json --yes` prints: both answers as they came.
#[derive(Serialize)]
struct SetAndConfirmed {
    pending: Value,
    confirmed: Value,
}

pub async fn code(a: CodeArgs) -> anyhow::Result<ExitCode> {
    let c = Client::new()?;
    let id = c.resolve(&a.account).await?.id;
    let path = if a.wait {
        format!("/accounts/{id}/totp/code?via=cli")
    } else {
        format!("/accounts/{id}/totp/code?via=cli&fresh=0")
    };
    // POST: an HOTP code is used up by being handed out (a GET would refuse
    // it); a TOTP code is the same either way.
    let v = c.post(&path, &Empty {}).await?;
    let view: CodeView = understand(&v)?;
    if a.json {
        print_json(&v)?;
    } else if a.copy {
        osc52(&view.code)?;
        eprintln!(
            "Copied the code of {} ({} s left).",
            a.account, view.seconds_remaining
        );
    } else {
        println!("{}", safe(&view.code));
        if let Some(used) = &view.used {
            eprintln!("note: {}", safe(&used.message));
        } else if view.kind != OtpKind::Hotp {
            eprintln!("{} s left", view.seconds_remaining);
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
            let id = c.resolve(&account).await?.id;
            let raw = if let Some(path) = qr {
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
                let body = EnrollBody {
                    secret: secret.as_deref(),
                    otpauth_uri: uri.as_deref(),
                    steam,
                };
                let path = format!("/accounts/{id}/totp");
                c.with_step_up(|| c.put(&path, &body)).await?
            };
            let pending: PendingEnrollment = understand(&raw)?;
            let confirm = ConfirmBody {
                enrollment_id: &pending.enrollment_id,
            };
            let confirm_path = format!("/accounts/{id}/totp/confirm");
            if json && yes {
                let done = c.post(&confirm_path, &confirm).await?;
                print_json(&serde_json::to_value(SetAndConfirmed {
                    pending: raw,
                    confirmed: done,
                })?)?;
                return Ok(ExitCode::SUCCESS);
            }
            if json {
                print_json(&raw)?;
                return Ok(ExitCode::SUCCESS);
            }
            println!(
                "Type this code into the app to finish its setup: {}  ({} s left, next {})",
                safe(&pending.code),
                pending.seconds_remaining,
                safe(pending.next_code.as_deref().unwrap_or("-"))
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
                c.post(&confirm_path, &confirm).await?;
                println!(
                    "Done: every member of {account} now gets the code from Orthrus (`orthrus code \"{account}\"`)."
                );
            }
        }
        MfaCommand::Confirm { account } => {
            let id = c.resolve(&account).await?.id;
            let path = format!("/accounts/{id}/totp/confirm");
            c.with_step_up(|| c.post(&path, &Value::Null)).await?;
            println!("Confirmed.");
        }
        MfaCommand::Cancel { account } => {
            let id = c.resolve(&account).await?.id;
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
                let report: ImportReport = understand(&v)?;
                if json {
                    print_json(&v)?;
                    continue;
                }
                print_import(&path, &report, dry_run);
            }
        }
        MfaCommand::Export { out, format } => {
            // A format the server does not know is refused there, with its code.
            let age = SeedExportFormat::parse(&format).is_ok_and(|f| f == SeedExportFormat::Age);
            let passphrase = if age {
                let p = prompt("Passphrase for the export (12+ characters)", true)?;
                if std::io::stdin().is_terminal() && prompt("Repeat the passphrase", true)? != p {
                    bail!("the passphrases differ");
                }
                Some(p)
            } else {
                None
            };
            let body = ExportBody {
                format: &format,
                passphrase: passphrase.as_deref(),
            };
            let fetch = || async {
                let resp = c
                    .request(reqwest::Method::POST, "/authenticator/export")
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
                    Ok((n, bytes.to_vec()))
                } else {
                    // The same request once more, for the error as `send`
                    // reads it (an error answer has no file).
                    send(
                        c.request(reqwest::Method::POST, "/authenticator/export")
                            .json(&body),
                    )
                    .await?;
                    bail!("the server refused the export")
                }
            };
            let (n, bytes) = c.with_step_up(fetch).await?;
            write_private_file(&out, &bytes, false)?;
            println!(
                "Exported {} authenticator(s) to {}.",
                safe(&n),
                out.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The human form of an import's report.
fn print_import(path: &std::path::Path, v: &ImportReport, dry_run: bool) {
    println!(
        "{} ({}){}:",
        path.display(),
        safe(&v.format),
        if dry_run { ", preview" } else { "" }
    );
    for e in &v.entries {
        println!(
            "  {:<7} {:<40} {}",
            safe(e.action.as_str()),
            safe(e.account_label.as_deref().unwrap_or("")),
            safe(e.reason.as_deref().unwrap_or(""))
        );
    }
    let mut summary = format!(
        "  {} set, {} new accounts, {} skipped",
        v.set, v.created, v.skipped
    );
    // Entries left alone, and items without any code: named only when
    // there are some.
    for (n, what) in [
        (v.ambiguous, "ambiguous"),
        (v.duplicates, "duplicates"),
        (v.invalid, "invalid"),
        (v.without_otp, "without a one-time password"),
    ] {
        if n > 0 {
            summary.push_str(&format!(", {n} {what}"));
        }
    }
    println!("{summary}");
}
