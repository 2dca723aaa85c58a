//! `orthrus login --sso`: signing in through the server's identity provider
//! in the browser (RFC 8252 loopback redirect). The CLI listens on
//! 127.0.0.1 on a random port, asks the server for the provider's link
//! (with a PKCE challenge of its own), prints it, waits for the browser to
//! bring back a one-time code, and exchanges code and verifier for a token.
//! When the user has their own Orthrus TOTP the server answers
//! `auth.totp_required`: the CLI asks for the code on standard input and
//! exchanges again (the one-time code waits for it).

use crate::client::{Stored, api_code, http, print_json, prompt, save, send_as};
use crate::safe_text::safe;
use anyhow::{Context, anyhow, bail};
use base64::Engine;
use orthrus_core::Entropy;
use orthrus_web::dto::{MeResponse, SsoStartResponse, SsoTokenResponse};
use serde::Serialize;
use std::process::ExitCode;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long the CLI waits for the browser (the server's link lasts as long).
const WAIT: Duration = Duration::from_secs(600);

/// What came back to the loopback address.
enum Answer {
    Code(String),
    Refused { code: String, message: String },
}

fn page(title: &str, text: &str) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    format!(
        "<!doctype html><meta charset=\"utf-8\"><title>{t}</title><h1>{t}</h1><p id=\"message\">{m}</p>",
        t = esc(title),
        m = esc(text)
    )
}

/// Reads one request's target (`GET /callback?… HTTP/1.1`).
async fn request_target(stream: &mut tokio::net::TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 2048];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&buf);
    let mut first = text.lines().next()?.split_whitespace();
    (first.next()? == "GET").then_some(())?;
    first.next().map(str::to_owned)
}

/// Waits for the browser to come back with `?code=` or `?error=`; other
/// requests (a favicon) get 404 and the wait goes on.
async fn wait_for_answer(listener: tokio::net::TcpListener) -> anyhow::Result<Answer> {
    loop {
        let (mut stream, _) = listener
            .accept()
            .await
            .context("the local listener failed")?;
        let Some(target) = request_target(&mut stream).await else {
            continue;
        };
        let url = url::Url::parse(&format!("http://127.0.0.1{target}"))
            .context("the browser sent a request the CLI cannot read")?;
        let get = |k: &str| {
            url.query_pairs()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.into_owned())
        };
        let (status, body, answer) = match (url.path(), get("code"), get("error")) {
            ("/callback", _, Some(code)) => {
                let message = get("error_description").unwrap_or_default();
                (
                    "403 Forbidden",
                    page("Not signed in", &message),
                    Some(Answer::Refused { code, message }),
                )
            }
            ("/callback", Some(code), None) => (
                "200 OK",
                page(
                    "Signed in",
                    "You are signed in to Orthrus on the command line. You can close this tab.",
                ),
                Some(Answer::Code(code)),
            ),
            _ => ("404 Not Found", page("Not found", ""), None),
        };
        let reply = format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.write_all(reply.as_bytes()).await;
        let _ = stream.shutdown().await;
        if let Some(a) = answer {
            return Ok(a);
        }
    }
}

/// `POST /api/v1/auth/sso/start`.
#[derive(Serialize)]
struct StartBody<'a> {
    redirect_uri: &'a str,
    code_challenge: &'a str,
}

/// `POST /api/v1/auth/sso/token`.
#[derive(Serialize)]
struct TokenBody<'a> {
    code: &'a str,
    code_verifier: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    totp: Option<String>,
}

/// What `login --sso --json` prints.
#[derive(Serialize)]
struct SignedIn<'a> {
    server: &'a str,
    email: &'a str,
    sso: bool,
}

pub async fn login(server: &str, json: bool) -> anyhow::Result<ExitCode> {
    let client = http()?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("cannot listen on 127.0.0.1 for the browser's answer")?;
    let redirect_uri = format!("http://{}/callback", listener.local_addr()?);
    let mut secret = [0u8; 32];
    orthrus_core::OsEntropy.fill(&mut secret);
    let verifier = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret);
    let start: SsoStartResponse = send_as(
        client
            .post(format!("{server}/api/v1/auth/sso/start"))
            .json(&StartBody {
                redirect_uri: &redirect_uri,
                code_challenge: &orthrus_app::pkce_challenge(&verifier),
            }),
    )
    .await?;
    let link = &start.authorization_url;
    eprintln!("Open this link in your browser to sign in (it works once, for ten minutes):");
    eprintln!("{}", safe(link));
    let answer = tokio::time::timeout(WAIT, wait_for_answer(listener))
        .await
        .map_err(|_| {
            anyhow!(
                "no answer from the browser within ten minutes; run `orthrus login --sso` again"
            )
        })??;
    let code = match answer {
        Answer::Code(c) => c,
        Answer::Refused { code, message } => {
            bail!("{} ({})", safe(&message), safe(&code))
        }
    };
    let url = format!("{server}/api/v1/auth/sso/token");
    let mut body = TokenBody {
        code: &code,
        code_verifier: &verifier,
        totp: None,
    };
    let mut tries = 0;
    let resp: SsoTokenResponse = loop {
        match send_as(client.post(&url).json(&body)).await {
            Err(e)
                if tries < 3
                    && matches!(
                        api_code(&e),
                        Some("auth.totp_required" | "sso.invalid_totp")
                    ) =>
            {
                if tries > 0 {
                    eprintln!("{e}");
                }
                tries += 1;
                body.totp = Some(prompt("Authentication code", false)?);
            }
            other => break other?,
        }
    };
    let token = resp.token;
    let me: MeResponse = send_as(
        client
            .get(format!("{server}/api/v1/me"))
            .bearer_auth(&token),
    )
    .await?;
    let email = me.email;
    save(&Stored {
        server: server.to_owned(),
        token,
        email: email.clone(),
    })?;
    if json {
        print_json(&serde_json::to_value(SignedIn {
            server,
            email: &email,
            sso: true,
        })?)?;
    } else {
        println!("Signed in to {server} as {}.", safe(&email));
    }
    if resp.must_enroll_2fa {
        eprintln!(
            "Your workspace requires two-factor authentication: set it up in the web UI under My security."
        );
    }
    Ok(ExitCode::SUCCESS)
}
