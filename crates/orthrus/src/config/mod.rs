//! The one typed configuration tree. Sources, later ones winning: built-in
//! defaults → TOML file (`--config` or `ORTHRUS_CONFIG`) → `ORTHRUS_…`
//! environment variables → command-line flags. Validated once at start and
//! passed explicitly; no global state.

use anyhow::Context;
use orthrus_core::SecretString;
use serde::Deserialize;
use std::path::PathBuf;

mod env;
#[cfg(test)]
mod tests;
mod validate;

pub use env::apply_env;

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the SQLite database and the master key live.
    pub data_dir: PathBuf,
    /// Empty: SQLite in `<data_dir>/orthrus.db`. Or `postgres://user@host/db`.
    pub database_url: SecretString,
    /// The database connection pool's size: 0 sizes it for the machine
    /// (PostgreSQL: four per core, 8 to 32; SQLite: 8).
    pub database_max_connections: u32,
    pub http: HttpConfig,
    pub smtp: SmtpConfig,
    pub forward: ForwardConfig,
    pub automation: AutomationConfig,
    pub sms: SmsConfig,
    pub security: SecurityConfig,
    pub log: LogConfig,
    /// OpenID Connect sign-in (`sso_config.rs`, docs/sso.md).
    pub sso: crate::sso_config::SsoConfig,
    pub metrics: MetricsConfig,
}

/// The Prometheus endpoint: off unless `listen` is set; on its own
/// address, so that it can stay off the public interface.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Where `GET /metrics` is served, e.g. `127.0.0.1:9464`; empty: off.
    pub listen: String,
    /// When set, scrapes must send `Authorization: Bearer <token>`.
    pub token: SecretString,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    pub listen: String,
    /// The URL people use to reach Orthrus (default `http://<listen>`).
    pub public_url: String,
    pub trust_proxy: bool,
    pub max_body_bytes: usize,
    /// Uploads (QR screenshots, authenticator imports) parsed at once;
    /// more get 503 with Retry-After.
    pub upload_slots: usize,
    /// Seconds parsing one upload may take.
    pub upload_timeout_secs: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    /// Address of the SMTP listener for managed inboxes.
    pub listen: String,
    /// Domain of managed addresses (`<label>-<random>@<domain>`); point its MX here.
    pub domain: String,
    /// Largest accepted message, in bytes.
    pub max_message_bytes: usize,
    /// Inbox messages are deleted after this many days.
    pub retention_days: i64,
    /// Name servers for DKIM and DMARC lookups (`ip:port`); empty: the
    /// system's (`/etc/resolv.conf`).
    pub dns_servers: Vec<String>,
    /// Seconds one message's sender checks may take before the verdict is
    /// `temperror` (the SMTP 250 waits for them).
    pub auth_timeout_secs: u64,
    /// TXT records trusted without asking DNS: DKIM keys
    /// (`<selector>._domainkey.<domain>`) and DMARC policies (`_dmarc.<domain>`).
    pub dns_records: Vec<DnsRecord>,
    /// Domains whose mail must pass DMARC or have its code flagged; empty:
    /// the built-in list (instagram.com, google.com, tiktok.com, …).
    pub well_known_domains: Vec<String>,
    /// PEM certificate chain and private key: turn on STARTTLS.
    pub tls_cert: String,
    pub tls_key: String,
    /// Open SMTP connections in all, and from one client address; more
    /// are answered `421` and closed.
    pub max_connections: usize,
    pub max_connections_per_ip: usize,
    /// Idle seconds allowed per command; the DATA phase and the whole
    /// session must end within their own fixed time however slowly the
    /// client sends.
    pub command_timeout_secs: u64,
    pub data_timeout_secs: u64,
    pub session_timeout_secs: u64,
    /// Messages one managed address (or number) and one workspace may
    /// receive in any 60 seconds; more are refused with `452`.
    pub address_messages_per_minute: i64,
    pub workspace_messages_per_minute: i64,
    /// Bytes one managed address (or number) and one workspace may hold;
    /// more are refused with `552`.
    pub address_storage_bytes: i64,
    pub workspace_storage_bytes: i64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AutomationConfig {
    /// Automation runners inside `serve` (0: jobs run only in `orthrus worker`).
    pub workers: u32,
    /// Seconds without a heartbeat after which a job's worker is presumed
    /// dead and the job is run again.
    pub lease_secs: u64,
    /// Seconds a job waits for a person's answer (a CAPTCHA, allowing a
    /// backup code) before it fails.
    pub person_wait_secs: u64,
    /// Internal hosts (`host` or `host:port`) that automations may open
    /// although they resolve to loopback, private or link-local addresses;
    /// everything else internal is refused.
    pub allowed_private_hosts: Vec<String>,
    /// The system user Chromium runs as when the server runs as root
    /// (Chromium's sandbox refuses root); empty: `nobody`.
    pub browser_user: String,
    /// A folder of recipe files (`*.toml`) loaded at start beside the
    /// built-in ones; one for an app replaces its built-in recipe.
    pub recipes_dir: String,
    /// Days between checks that each account's app still asks for the
    /// authenticator code Orthrus holds ("keep MFA on"); 0: no scheduled
    /// checks.
    pub mfa_check_interval_days: u32,
}

impl Default for AutomationConfig {
    fn default() -> Self {
        Self {
            workers: 1,
            lease_secs: 30,
            person_wait_secs: 900,
            allowed_private_hosts: Vec::new(),
            browser_user: String::new(),
            recipes_dir: String::new(),
            mfa_check_interval_days: 7,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ForwardConfig {
    /// Outbound SMTP relay URL (`smtp://host:25?tls=required`,
    /// `smtps://user:pass@host:465`); empty: forwarding is off.
    pub relay: SecretString,
    /// Sender of forwarded mail (default `orthrus@<smtp.domain>`).
    pub from: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DnsRecord {
    pub name: String,
    pub value: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsConfig {
    /// Twilio auth token: turns on `POST /api/v1/hooks/sms/twilio`.
    pub twilio_auth_token: SecretString,
    /// Secret of the generic JSON SMS webhook (`/api/v1/hooks/sms/generic`).
    pub webhook_secret: SecretString,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecurityConfig {
    pub session_hours: i64,
    pub bearer_days: i64,
    pub lockout_threshold: i64,
    pub ip_threshold: i64,
    pub lockout_window_secs: i64,
    pub lockout_secs: i64,
    pub argon_memory_kib: u32,
    pub argon_iterations: u32,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// A tracing filter, e.g. `info` or `orthrus_web=debug,info`.
    pub level: String,
    pub format: LogFormat,
}

/// How log lines are written: `text` (for people) or `json` (one object a
/// line, for collectors).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> anyhow::Result<Self> {
        match s {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            _ => anyhow::bail!("log.format must be text or json"),
        }
    }
}

impl TryFrom<String> for LogFormat {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        s.parse().map_err(|e: anyhow::Error| e.to_string())
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./orthrus-data"),
            database_url: SecretString::default(),
            database_max_connections: 0,
            http: HttpConfig::default(),
            smtp: SmtpConfig::default(),
            forward: ForwardConfig::default(),
            automation: AutomationConfig::default(),
            sms: SmsConfig::default(),
            security: SecurityConfig::default(),
            log: LogConfig::default(),
            sso: crate::sso_config::SsoConfig::default(),
            metrics: MetricsConfig::default(),
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            public_url: String::new(),
            trust_proxy: false,
            max_body_bytes: 1024 * 1024,
            upload_slots: 2,
            upload_timeout_secs: 5,
        }
    }
}

impl Default for SmtpConfig {
    fn default() -> Self {
        let l = orthrus_smtp::SmtpConfig::default();
        let q = orthrus_app::InboxLimits::default();
        Self {
            listen: "127.0.0.1:2525".into(),
            domain: "inbox.localhost".into(),
            max_message_bytes: 10 * 1024 * 1024,
            retention_days: 30,
            dns_servers: Vec::new(),
            auth_timeout_secs: 3,
            dns_records: Vec::new(),
            well_known_domains: Vec::new(),
            tls_cert: String::new(),
            tls_key: String::new(),
            max_connections: l.max_connections,
            max_connections_per_ip: l.max_connections_per_ip,
            command_timeout_secs: l.command_timeout.as_secs(),
            data_timeout_secs: l.data_timeout.as_secs(),
            session_timeout_secs: l.session_timeout.as_secs(),
            address_messages_per_minute: q.address_messages_per_minute,
            workspace_messages_per_minute: q.workspace_messages_per_minute,
            address_storage_bytes: q.address_storage_bytes,
            workspace_storage_bytes: q.workspace_storage_bytes,
        }
    }
}

impl Default for SecurityConfig {
    fn default() -> Self {
        let d = orthrus_app::AppConfig::default();
        Self {
            session_hours: d.session_hours,
            bearer_days: d.bearer_days,
            lockout_threshold: d.lockout_threshold,
            ip_threshold: d.ip_threshold,
            lockout_window_secs: d.lockout_window_secs,
            lockout_secs: d.lockout_secs,
            argon_memory_kib: d.argon_memory_kib,
            argon_iterations: d.argon_iterations,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            level: "info".into(),
            format: LogFormat::Text,
        }
    }
}

/// Values given on the command line (they win over everything else).
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub http: Option<String>,
    pub smtp: Option<String>,
    pub public_url: Option<String>,
}

/// Loads the configuration from all sources and validates it.
pub fn load(o: &Overrides) -> anyhow::Result<Config> {
    let file = o
        .config_file
        .clone()
        .or_else(|| std::env::var_os("ORTHRUS_CONFIG").map(PathBuf::from));
    let mut c = match &file {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| {
                format!("cannot read the configuration file {}", path.display())
            })?;
            toml::from_str::<Config>(&text)
                .with_context(|| format!("invalid configuration file {}", path.display()))?
        }
        None => Config::default(),
    };
    apply_env(&mut c, |k| std::env::var(k).ok())?;
    if let Some(v) = &o.data_dir {
        c.data_dir = v.clone();
    }
    if let Some(v) = &o.database_url {
        c.database_url = SecretString::new(v.clone());
    }
    if let Some(v) = &o.http {
        c.http.listen = v.clone();
    }
    if let Some(v) = &o.smtp {
        c.smtp.listen = v.clone();
    }
    if let Some(v) = &o.public_url {
        c.http.public_url = v.clone();
    }
    c.validate()?;
    Ok(c)
}

/// The documented reference file printed by `orthrus config example`.
pub const EXAMPLE: &str = include_str!("../../../../docs/orthrus.example.toml");
