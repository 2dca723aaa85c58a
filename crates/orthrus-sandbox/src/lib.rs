//! `orthrus-sandbox`: a small web app that behaves like Instagram's web
//! flows, so Orthrus's browser automations have a real target to be proven
//! against: sign-in, the "suspicious login attempt" challenge with a
//! six-digit security code sent by email, authenticator-app MFA (QR code or
//! "set up another way" with the key shown) followed by recovery codes,
//! text-message MFA through an SMS webhook, sign-in codes that cannot be
//! reused, "you can't access certain settings for a few days" for young
//! devices, password and email changes (the latter confirmed by a link sent
//! to the new address) and an optional CAPTCHA.
//!
//! Each server plays one [`SandboxApp`]: the sandbox's own look (stable
//! element ids, recipe `sandbox`) or a replica of Instagram's pages
//! (Instagram's paths, field names, aria-labels and texts, recipe
//! `instagram`). The flows (`pages/`, one module per feature) are shared;
//! a look (`views/`) only renders them and words the mail and texts.
//!
//! It keeps everything in memory and knows nothing of Orthrus: it depends on
//! no `orthrus-*` crate. Besides its pages it exposes only the test control
//! endpoints under `/__sandbox/` (create and read users, behaviour, reset),
//! the same for every look.

mod pages;
mod routes;
pub mod totp;
mod views;

use axum::Router;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// The app a sandbox plays: its own look, or a replica of a real app's
/// pages. The flows, the [`Behaviour`] switches and the `/__sandbox/`
/// endpoints are the same for all; paths, field names, labels and texts
/// are the app's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum SandboxApp {
    /// The sandbox's own pages, with stable element ids (recipe `sandbox`).
    #[default]
    Sandbox,
    /// A replica of Instagram's web pages (recipe `instagram`).
    Instagram,
}

impl SandboxApp {
    /// Every app the sandbox can play.
    pub const ALL: [Self; 2] = [Self::Sandbox, Self::Instagram];

    /// The app whose recipe is named `key` (`sandbox`, `instagram`).
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.key() == key)
    }

    /// Its recipe's name, and the value of `serve --app`.
    pub fn key(self) -> &'static str {
        match self {
            Self::Sandbox => "sandbox",
            Self::Instagram => "instagram",
        }
    }

    /// Who its mail comes from by default.
    pub fn mail_from(self) -> &'static str {
        match self {
            Self::Sandbox => "Sandbox <security@mail.sandbox.test>",
            Self::Instagram => "Instagram <security@mail.instagram.com>",
        }
    }

    /// The domain its mail is DKIM-signed for by default.
    pub fn dkim_domain(self) -> &'static str {
        match self {
            Self::Sandbox => "sandbox.test",
            Self::Instagram => "mail.instagram.com",
        }
    }

    /// The short code its texts come from (Instagram's real one).
    pub fn sms_from(self) -> &'static str {
        "32665"
    }

    /// Its sign-in page (`/accounts/login`, Instagram's with the slash;
    /// the replica serves both).
    pub fn login_path(self) -> &'static str {
        views::of(self).paths().login
    }
}

/// Where the sandbox sends its mail and texts.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// The app it plays.
    pub app: SandboxApp,
    /// SMTP server for security codes and confirmation links (`host:port`).
    pub smtp: String,
    /// URL the sandbox POSTs text messages to (JSON `{from, to, body, id}`).
    pub sms_webhook: Option<String>,
    /// Signs SMS webhook bodies: `X-Orthrus-Signature: sha256=<hex HMAC>`.
    pub sms_webhook_secret: Option<String>,
    /// Base URL of the sandbox, for links in emails.
    pub public_url: String,
    /// Sender of the sandbox's emails.
    pub mail_from: String,
    /// Sender id of the sandbox's texts.
    pub sms_from: String,
    /// Signs the sandbox's mail (DKIM, Ed25519); none: unsigned.
    pub dkim: Option<DkimKey>,
}

/// The sandbox's DKIM signing key: mail is signed for `domain` with
/// `selector`, and [`DkimKey::dns_record`] is what its DNS would publish.
#[derive(Clone)]
pub struct DkimKey {
    pub domain: String,
    pub selector: String,
    /// The Ed25519 private key, PKCS#8 DER.
    pkcs8: Vec<u8>,
}

impl std::fmt::Debug for DkimKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DkimKey")
            .field("domain", &self.domain)
            .field("selector", &self.selector)
            .finish_non_exhaustive()
    }
}

impl DkimKey {
    /// A new key.
    pub fn generate(domain: &str, selector: &str) -> Result<Self, String> {
        use mail_auth::common::crypto::Ed25519Key;
        let pkcs8 = Ed25519Key::generate_pkcs8().map_err(|e| e.to_string())?;
        Self::from_pkcs8(domain, selector, pkcs8)
    }

    /// A key kept as PKCS#8 DER (Ed25519).
    pub fn from_pkcs8(domain: &str, selector: &str, pkcs8: Vec<u8>) -> Result<Self, String> {
        mail_auth::common::crypto::Ed25519Key::from_pkcs8_der(&pkcs8)
            .map_err(|e| format!("not an Ed25519 PKCS#8 key: {e}"))?;
        Ok(Self {
            domain: domain.to_owned(),
            selector: selector.to_owned(),
            pkcs8,
        })
    }

    /// The private key as PKCS#8 DER, to keep in a file.
    pub fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The TXT record that publishes the public key: `(name, value)`.
    pub fn dns_record(&self) -> (String, String) {
        let public = mail_auth::common::crypto::Ed25519Key::from_pkcs8_der(&self.pkcs8)
            .map(|k| data_encoding::BASE64.encode(&k.public_key()))
            .unwrap_or_default();
        (
            format!("{}._domainkey.{}", self.selector, self.domain),
            format!("v=DKIM1; k=ed25519; p={public}"),
        )
    }

    /// `message` with a DKIM-Signature header in front.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        use mail_auth::common::crypto::Ed25519Key;
        use mail_auth::common::headers::HeaderWriter;
        let key = Ed25519Key::from_pkcs8_der(&self.pkcs8).map_err(|e| e.to_string())?;
        let sig = mail_auth::dkim::DkimSigner::from_key(key)
            .domain(&self.domain)
            .selector(&self.selector)
            .headers([
                "From",
                "To",
                "Subject",
                "Date",
                "Message-ID",
                "Content-Type",
            ])
            .sign(message)
            .map_err(|e| format!("DKIM signing failed: {e}"))?;
        let mut out = sig.to_header().into_bytes();
        out.extend_from_slice(message);
        Ok(out)
    }
}

/// How [`Sandbox::spawn_with`] runs a sandbox in this process.
#[derive(Clone, Debug, Default)]
pub struct LocalOptions {
    /// The app it plays (its mail comes from that app's address).
    pub app: SandboxApp,
    /// SMTP server for its mail (`host:port`).
    pub smtp: String,
    pub sms_webhook: Option<String>,
    pub sms_webhook_secret: Option<String>,
    /// Signs its mail.
    pub dkim: Option<DkimKey>,
    /// Host its emailed links name instead of 127.0.0.1 (same port): a
    /// link that leads somewhere other than the app's address.
    pub link_host: Option<String>,
}

/// How the sandbox behaves; changed per test through `/__sandbox/config`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Behaviour {
    /// Sign-ins from a device the user never confirmed get the suspicious
    /// login challenge.
    pub challenge_unknown_devices: bool,
    /// Security settings (MFA, password, email) refuse devices younger than
    /// this many seconds ("you can't access certain settings for a few days").
    pub min_device_age_secs: u64,
    /// Sign-in shows a CAPTCHA first.
    pub captcha: bool,
    /// Authenticator set-up shows only the QR code (no "set up another
    /// way", no key in the page).
    pub qr_only: bool,
    /// Sign-in refuses every authenticator code, as it would for a phone
    /// whose clock is far off; recovery codes still work.
    pub refuse_app_codes: bool,
    /// The CAPTCHA always shows this word (tests that answer ahead).
    pub captcha_word: Option<String>,
    /// A password change is saved but its answer never comes (the page
    /// keeps loading): a client stopped right after the app took the new
    /// password.
    pub hang_after_password_change: bool,
    /// New passwords longer than this are refused (an app's length limit:
    /// a password policy that refuses what Orthrus made).
    pub max_password_len: Option<usize>,
}

impl Default for Behaviour {
    fn default() -> Self {
        Self {
            challenge_unknown_devices: true,
            min_device_age_secs: 0,
            captcha: false,
            qr_only: false,
            refuse_app_codes: false,
            captcha_word: None,
            hang_after_password_change: false,
            max_password_len: None,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub(crate) struct User {
    pub username: String,
    pub password: String,
    pub email: String,
    /// Active authenticator-app secret.
    pub totp: Option<Vec<u8>>,
    /// Secret shown during set-up, until a code confirms it.
    pub totp_pending: Option<Vec<u8>>,
    /// Last TOTP step accepted (codes cannot be reused).
    pub last_step: Option<u64>,
    pub sms_phone: Option<String>,
    /// Phone number and code of a text-message set-up in progress.
    pub sms_pending: Option<(String, String)>,
    pub recovery_codes: Vec<String>,
    /// Devices the user confirmed, with the Unix time they were first seen.
    pub devices: HashMap<String, u64>,
    /// The last emailed security code that was used: never sent again.
    pub used_challenge_code: Option<String>,
}

/// Where a signed-in browser is in the sign-in flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Stage {
    Captcha { answer: String },
    Challenge { code: Option<String> },
    TwoFactor { sms_code: Option<String> },
    In,
}

#[derive(Clone, Debug)]
pub(crate) struct Session {
    pub username: String,
    pub device: String,
    pub stage: Stage,
    /// Recovery codes of an authenticator set-up just finished, for a look
    /// that shows them on a page of their own.
    pub fresh_codes: Vec<String>,
}

#[derive(Default)]
pub(crate) struct State {
    pub users: HashMap<String, User>,
    pub sessions: HashMap<String, Session>,
    pub behaviour: Behaviour,
    /// Email-change tokens: token → (username, new address).
    pub email_tokens: HashMap<String, (String, String)>,
}

/// The running app's shared state.
#[derive(Clone)]
pub struct Sandbox {
    pub(crate) cfg: Arc<SandboxConfig>,
    state: Arc<Mutex<State>>,
    pub(crate) http: reqwest::Client,
}

impl Sandbox {
    pub fn new(cfg: SandboxConfig) -> Self {
        // reqwest is built without a default TLS provider in this workspace.
        let _ = rustls::crypto::ring::default_provider().install_default();
        Self {
            cfg: Arc::new(cfg),
            state: Arc::default(),
            http: reqwest::Client::new(),
        }
    }

    /// Serves a sandbox on a free local port in this process (tests and
    /// demos), mailing through `smtp`, without text messages; returns its
    /// URL.
    pub async fn spawn_local(smtp: &str) -> std::io::Result<String> {
        Self::spawn_local_with_sms(smtp, None, None).await
    }

    /// Like [`Sandbox::spawn_local`], texting through `sms_webhook` (signed
    /// with `secret` when given).
    pub async fn spawn_local_with_sms(
        smtp: &str,
        sms_webhook: Option<String>,
        secret: Option<String>,
    ) -> std::io::Result<String> {
        Self::spawn_with(LocalOptions {
            smtp: smtp.to_owned(),
            sms_webhook,
            sms_webhook_secret: secret,
            ..LocalOptions::default()
        })
        .await
    }

    /// Serves a sandbox on a free local port in this process; returns its URL.
    pub async fn spawn_with(opts: LocalOptions) -> std::io::Result<String> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let url = format!("http://{addr}");
        let public_url = match &opts.link_host {
            Some(h) => format!("http://{h}:{}", addr.port()),
            None => url.clone(),
        };
        let sandbox = Self::new(SandboxConfig {
            app: opts.app,
            smtp: opts.smtp,
            sms_webhook: opts.sms_webhook,
            sms_webhook_secret: opts.sms_webhook_secret,
            public_url,
            mail_from: opts.app.mail_from().into(),
            sms_from: opts.app.sms_from().into(),
            dkim: opts.dkim,
        });
        tokio::spawn(async move { axum::serve(listener, sandbox.router()).await });
        Ok(url)
    }

    /// The state, even if a panicking request poisoned the lock.
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How this sandbox looks.
    pub(crate) fn views(&self) -> &'static dyn views::Views {
        views::of(self.cfg.app)
    }

    /// The pages and the test control endpoints.
    pub fn router(self) -> Router {
        routes::router(self)
    }
}

/// Seconds since the Unix epoch. The sandbox stands in for a third-party
/// app with its own clock, so it reads the system clock directly.
#[allow(clippy::disallowed_methods)]
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `n` random bytes.
pub(crate) fn random_bytes(n: usize) -> Vec<u8> {
    let mut b = vec![0u8; n];
    // getrandom only fails without an OS entropy source; then the sandbox
    // cannot work at all and every secret would be zeros: refuse loudly.
    if let Err(e) = getrandom::fill(&mut b) {
        tracing::error!(error = %e, "no randomness available");
        std::process::abort();
    }
    b
}

/// A random decimal code of `digits` digits.
pub(crate) fn random_digits(digits: usize) -> String {
    random_bytes(digits)
        .iter()
        .map(|b| char::from(b'0' + b % 10))
        .collect()
}

/// A random URL-safe token.
pub(crate) fn random_token() -> String {
    data_encoding::HEXLOWER.encode(&random_bytes(16))
}
