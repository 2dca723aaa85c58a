//! `orthrus-sandbox serve`: runs the reference target app.

use anyhow::Context;
use clap::{Parser, Subcommand};
use orthrus_sandbox::{DkimKey, Sandbox, SandboxApp, SandboxConfig};

#[derive(Parser)]
#[command(
    name = "orthrus-sandbox",
    about = "A reference target app for Orthrus's automations"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the sandbox app.
    Serve {
        /// The app it plays: its own pages, or a replica of Instagram's.
        #[arg(long, value_enum, default_value_t = SandboxApp::Sandbox)]
        app: SandboxApp,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8090")]
        http: String,
        /// SMTP server its emails go to (HOST:PORT), e.g. Orthrus's listener.
        #[arg(long, default_value = "127.0.0.1:2525")]
        smtp: String,
        /// URL its text messages are POSTed to (JSON {from, to, body, id}).
        #[arg(long)]
        sms_webhook: Option<String>,
        /// Secret that signs the SMS webhook (X-Orthrus-Signature).
        #[arg(long, env = "SANDBOX_SMS_WEBHOOK_SECRET")]
        sms_webhook_secret: Option<String>,
        /// Base URL for links in its emails (default http://<http>).
        #[arg(long)]
        public_url: Option<String>,
        /// Sender of its emails [default: the app's: "Sandbox
        /// <security@mail.sandbox.test>", "Instagram
        /// <security@mail.instagram.com>"].
        #[arg(long)]
        mail_from: Option<String>,
        /// Signs its emails with DKIM using this Ed25519 key (PKCS#8 DER),
        /// made when the file does not exist; prints the DNS record to pin
        /// in Orthrus (`[[smtp.dns_records]]`).
        #[arg(long)]
        dkim_key: Option<std::path::PathBuf>,
        /// The domain its DKIM signatures are for [default: the app's:
        /// sandbox.test, mail.instagram.com].
        #[arg(long)]
        dkim_domain: Option<String>,
        #[arg(long, default_value = "sandbox")]
        dkim_selector: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SANDBOX_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let Command::Serve {
        app,
        http,
        smtp,
        sms_webhook,
        sms_webhook_secret,
        public_url,
        mail_from,
        dkim_key,
        dkim_domain,
        dkim_selector,
    } = Cli::parse().command;
    let mail_from = mail_from.unwrap_or_else(|| app.mail_from().to_owned());
    let dkim_domain = dkim_domain.unwrap_or_else(|| app.dkim_domain().to_owned());
    let dkim = match dkim_key {
        None => None,
        Some(path) => {
            let key = match std::fs::read(&path) {
                Ok(der) => DkimKey::from_pkcs8(&dkim_domain, &dkim_selector, der)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    let key = DkimKey::generate(&dkim_domain, &dkim_selector)
                        .map_err(|e| anyhow::anyhow!("cannot make a DKIM key: {e}"))?;
                    std::fs::write(&path, key.pkcs8())
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    key
                }
                Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
            };
            let (name, value) = key.dns_record();
            println!(
                "Its mail is DKIM-signed; pin in Orthrus's configuration:\n\n[[smtp.dns_records]]\nname = \"{name}\"\nvalue = \"{value}\"\n\n[[smtp.dns_records]]\nname = \"_dmarc.{dkim_domain}\"\nvalue = \"v=DMARC1; p=reject\"\n"
            );
            Some(key)
        }
    };
    let listener = tokio::net::TcpListener::bind(&http)
        .await
        .with_context(|| format!("cannot listen on {http}"))?;
    let bound = listener.local_addr()?;
    let url = public_url.unwrap_or_else(|| format!("http://{bound}"));
    let sandbox = Sandbox::new(SandboxConfig {
        app,
        smtp,
        sms_webhook,
        sms_webhook_secret,
        public_url: url.clone(),
        mail_from,
        sms_from: app.sms_from().into(),
        dkim,
    });
    println!("Sandbox is running at {url}");
    axum::serve(listener, sandbox.router())
        .with_graceful_shutdown(async {
            let term = async {
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(mut s) => {
                        s.recv().await;
                    }
                    Err(_) => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                () = term => {}
            }
        })
        .await
        .context("the sandbox server failed")
}
