//! `orthrus login`, `logout` and `approve`: signing in and out, and
//! answering another device's step-up request.

use super::{Client, PasswordBody, Stored, api_code, config_path, http, print_json, prompt, save};
use super::{send_as, understand};
use crate::safe_text::safe;
use anyhow::bail;
use clap::Args;
use orthrus_app::{ApprovalPrompt, ApprovalStatus};
use orthrus_web::dto::{DecideResponse, LoginResponse};
use serde::Serialize;
use serde_json::Value;
use std::process::ExitCode;

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
    let body = |totp| PasswordBody {
        email: Some(&email),
        password: &password,
        totp,
    };
    let resp: LoginResponse = match send_as(http.post(&url).json(&body(None))).await {
        Err(e) if api_code(&e) == Some("auth.totp_required") => {
            let code = prompt("Authentication code", false)?;
            send_as(http.post(&url).json(&body(Some(&code)))).await?
        }
        other => other?,
    };
    save(&Stored {
        server: server.clone(),
        token: resp.token,
        email: email.clone(),
    })?;
    println!("Signed in to {server} as {email}.");
    if resp.must_enroll_2fa {
        println!(
            "Your workspace requires two-factor authentication: set it up in the web UI under My security."
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// What `logout --json` prints.
#[derive(Serialize)]
struct SignedOut {
    signed_out: bool,
    server_session_ended: bool,
}

pub async fn logout(a: LogoutArgs) -> anyhow::Result<ExitCode> {
    let c = Client::new()?;
    let server_said = c.post("/auth/logout", &Value::Null).await;
    std::fs::remove_file(config_path()?).ok();
    if a.json {
        print_json(&serde_json::to_value(SignedOut {
            signed_out: true,
            server_session_ended: server_said.is_ok(),
        })?)?;
    } else {
        println!("Signed out.");
    }
    Ok(ExitCode::SUCCESS)
}

/// `POST /me/approvals/{id}`: the number the other device shows, or deny.
#[derive(Serialize)]
#[serde(untagged)]
enum Decide<'a> {
    Deny { deny: bool },
    Number { number: &'a str },
}

/// Answers pending step-up requests from the user's other devices.
pub async fn approve() -> anyhow::Result<ExitCode> {
    let c = Client::new()?;
    let prompts: Vec<ApprovalPrompt> = understand(&c.get("/me/approvals").await?)?;
    if prompts.is_empty() {
        println!("No device is waiting for your approval.");
        return Ok(ExitCode::SUCCESS);
    }
    for p in prompts {
        let purpose = p.purpose.trim();
        println!(
            "A device signed in as you (from {}) asks to confirm it is you{}.",
            safe(&p.ip),
            if purpose.is_empty() {
                String::new()
            } else {
                format!(", to {}", safe(purpose))
            }
        );
        let answer = prompt(
            &format!(
                "Which number does it show? {} (or type deny)",
                safe(&p.choices.join(" / "))
            ),
            false,
        )?;
        let body = if answer.trim().eq_ignore_ascii_case("deny") {
            Decide::Deny { deny: true }
        } else {
            Decide::Number {
                number: answer.trim(),
            }
        };
        let v: DecideResponse =
            understand(&c.post(&format!("/me/approvals/{}", p.id), &body).await?)?;
        match v.status.parse() {
            Ok(ApprovalStatus::Approved) => println!("Approved."),
            _ => println!("Denied. If this was not you, change your password now."),
        }
    }
    Ok(ExitCode::SUCCESS)
}
