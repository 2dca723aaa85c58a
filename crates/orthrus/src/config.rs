//! The one typed configuration tree. Sources, later ones winning: built-in
//! defaults → TOML file (`--config` or `ORTHRUS_CONFIG`) → `ORTHRUS_…`
//! environment variables → command-line flags. Validated once at start and
//! passed explicitly; no global state.

use anyhow::{Context, bail};
use orthrus_core::SecretString;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;

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
    /// `text` or `json`.
    pub format: String,
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
            format: "text".into(),
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

/// Applies `ORTHRUS_…` variables.
pub fn apply_env(c: &mut Config, get: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
    let num = |k: &str, v: String| -> anyhow::Result<i64> {
        v.trim()
            .parse()
            .with_context(|| format!("{k} must be a whole number, got {v:?}"))
    };
    if let Some(v) = get("ORTHRUS_DATA_DIR") {
        c.data_dir = PathBuf::from(v);
    }
    if let Some(v) = get("ORTHRUS_DATABASE_URL") {
        c.database_url = SecretString::new(v);
    }
    if let Some(v) = get("ORTHRUS_DATABASE_MAX_CONNECTIONS") {
        c.database_max_connections = u32::try_from(num("ORTHRUS_DATABASE_MAX_CONNECTIONS", v)?)
            .context("ORTHRUS_DATABASE_MAX_CONNECTIONS is out of range")?;
    }
    if let Some(v) = get("ORTHRUS_AUTOMATION_WORKERS") {
        c.automation.workers = u32::try_from(num("ORTHRUS_AUTOMATION_WORKERS", v)?)
            .context("ORTHRUS_AUTOMATION_WORKERS is out of range")?;
    }
    if let Some(v) = get("ORTHRUS_AUTOMATION_LEASE_SECS") {
        c.automation.lease_secs = u64::try_from(num("ORTHRUS_AUTOMATION_LEASE_SECS", v)?)
            .context("ORTHRUS_AUTOMATION_LEASE_SECS is out of range")?;
    }
    if let Some(v) = get("ORTHRUS_AUTOMATION_PERSON_WAIT_SECS") {
        c.automation.person_wait_secs =
            u64::try_from(num("ORTHRUS_AUTOMATION_PERSON_WAIT_SECS", v)?)
                .context("ORTHRUS_AUTOMATION_PERSON_WAIT_SECS is out of range")?;
    }
    if let Some(v) = get("ORTHRUS_AUTOMATION_ALLOWED_PRIVATE_HOSTS") {
        c.automation.allowed_private_hosts = v
            .split(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(str::to_owned)
            .collect();
    }
    if let Some(v) = get("ORTHRUS_AUTOMATION_BROWSER_USER") {
        c.automation.browser_user = v;
    }
    if let Some(v) = get("ORTHRUS_AUTOMATION_RECIPES_DIR") {
        c.automation.recipes_dir = v;
    }
    if let Some(v) = get("ORTHRUS_AUTOMATION_MFA_CHECK_INTERVAL_DAYS") {
        c.automation.mfa_check_interval_days =
            u32::try_from(num("ORTHRUS_AUTOMATION_MFA_CHECK_INTERVAL_DAYS", v)?)
                .context("ORTHRUS_AUTOMATION_MFA_CHECK_INTERVAL_DAYS is out of range")?;
    }
    if let Some(v) = get("ORTHRUS_FORWARD_RELAY") {
        c.forward.relay = SecretString::new(v);
    }
    if let Some(v) = get("ORTHRUS_FORWARD_FROM") {
        c.forward.from = v;
    }
    if let Some(v) = get("ORTHRUS_SMTP_TLS_CERT") {
        c.smtp.tls_cert = v;
    }
    if let Some(v) = get("ORTHRUS_SMTP_TLS_KEY") {
        c.smtp.tls_key = v;
    }
    if let Some(v) = get("ORTHRUS_HTTP") {
        c.http.listen = v;
    }
    if let Some(v) = get("ORTHRUS_PUBLIC_URL") {
        c.http.public_url = v;
    }
    if let Some(v) = get("ORTHRUS_TRUST_PROXY") {
        c.http.trust_proxy = match v.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => true,
            "0" | "false" | "no" | "off" | "" => false,
            other => bail!("ORTHRUS_TRUST_PROXY must be true or false, got {other:?}"),
        };
    }
    if let Some(v) = get("ORTHRUS_MAX_BODY_BYTES") {
        c.http.max_body_bytes = usize::try_from(num("ORTHRUS_MAX_BODY_BYTES", v)?)
            .context("ORTHRUS_MAX_BODY_BYTES is out of range")?;
    }
    if let Some(v) = get("ORTHRUS_UPLOAD_SLOTS") {
        c.http.upload_slots = usize::try_from(num("ORTHRUS_UPLOAD_SLOTS", v)?)
            .context("ORTHRUS_UPLOAD_SLOTS is out of range")?;
    }
    if let Some(v) = get("ORTHRUS_UPLOAD_TIMEOUT_SECS") {
        c.http.upload_timeout_secs = u64::try_from(num("ORTHRUS_UPLOAD_TIMEOUT_SECS", v)?)
            .context("ORTHRUS_UPLOAD_TIMEOUT_SECS is out of range")?;
    }
    if let Some(v) = get("ORTHRUS_BEARER_DAYS") {
        c.security.bearer_days = num("ORTHRUS_BEARER_DAYS", v)?;
    }
    if let Some(v) = get("ORTHRUS_LOCKOUT_THRESHOLD") {
        c.security.lockout_threshold = num("ORTHRUS_LOCKOUT_THRESHOLD", v)?;
    }
    if let Some(v) = get("ORTHRUS_LOCKOUT_SECS") {
        c.security.lockout_secs = num("ORTHRUS_LOCKOUT_SECS", v)?;
    }
    if let Some(v) = get("ORTHRUS_SMTP") {
        c.smtp.listen = v;
    }
    if let Some(v) = get("ORTHRUS_TWILIO_AUTH_TOKEN") {
        c.sms.twilio_auth_token = SecretString::new(v);
    }
    if let Some(v) = get("ORTHRUS_SMS_WEBHOOK_SECRET") {
        c.sms.webhook_secret = SecretString::new(v);
    }
    if let Some(v) = get("ORTHRUS_SMTP_DOMAIN") {
        c.smtp.domain = v;
    }
    apply_smtp_limits_env(c, &get)?;
    crate::sso_config::apply_env(&mut c.sso, &get)?;
    if let Some(v) = get("ORTHRUS_METRICS_LISTEN") {
        c.metrics.listen = v;
    }
    if let Some(v) = get("ORTHRUS_METRICS_TOKEN") {
        c.metrics.token = SecretString::new(v);
    }
    if let Some(v) = get("ORTHRUS_LOG") {
        c.log.level = v;
    }
    if let Some(v) = get("ORTHRUS_LOG_FORMAT") {
        c.log.format = v;
    }
    if let Some(v) = get("ORTHRUS_SESSION_HOURS") {
        c.security.session_hours = num("ORTHRUS_SESSION_HOURS", v)?;
    }
    if let Some(v) = get("ORTHRUS_ARGON_MEMORY_KIB") {
        c.security.argon_memory_kib = u32::try_from(num("ORTHRUS_ARGON_MEMORY_KIB", v)?)
            .context("ORTHRUS_ARGON_MEMORY_KIB is out of range")?;
    }
    Ok(())
}

/// `ORTHRUS_SMTP_…` connection, deadline, rate and quota settings.
fn apply_smtp_limits_env(
    c: &mut Config,
    get: &impl Fn(&str) -> Option<String>,
) -> anyhow::Result<()> {
    fn whole<T: TryFrom<i64>>(
        k: &str,
        get: &impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Option<T>> {
        let Some(v) = get(k) else { return Ok(None) };
        let n: i64 = v
            .trim()
            .parse()
            .with_context(|| format!("{k} must be a whole number, got {v:?}"))?;
        T::try_from(n)
            .map(Some)
            .map_err(|_| anyhow::anyhow!("{k} is out of range"))
    }
    let m = &mut c.smtp;
    if let Some(v) = whole("ORTHRUS_SMTP_MAX_CONNECTIONS", get)? {
        m.max_connections = v;
    }
    if let Some(v) = whole("ORTHRUS_SMTP_MAX_CONNECTIONS_PER_IP", get)? {
        m.max_connections_per_ip = v;
    }
    if let Some(v) = whole("ORTHRUS_SMTP_COMMAND_TIMEOUT_SECS", get)? {
        m.command_timeout_secs = v;
    }
    if let Some(v) = whole("ORTHRUS_SMTP_DATA_TIMEOUT_SECS", get)? {
        m.data_timeout_secs = v;
    }
    if let Some(v) = whole("ORTHRUS_SMTP_SESSION_TIMEOUT_SECS", get)? {
        m.session_timeout_secs = v;
    }
    if let Some(v) = whole("ORTHRUS_SMTP_ADDRESS_MESSAGES_PER_MINUTE", get)? {
        m.address_messages_per_minute = v;
    }
    if let Some(v) = whole("ORTHRUS_SMTP_WORKSPACE_MESSAGES_PER_MINUTE", get)? {
        m.workspace_messages_per_minute = v;
    }
    if let Some(v) = whole("ORTHRUS_SMTP_ADDRESS_STORAGE_BYTES", get)? {
        m.address_storage_bytes = v;
    }
    if let Some(v) = whole("ORTHRUS_SMTP_WORKSPACE_STORAGE_BYTES", get)? {
        m.workspace_storage_bytes = v;
    }
    Ok(())
}

impl Config {
    /// Checks the `[smtp]` connection, deadline, rate and quota settings.
    fn validate_smtp_limits(&self) -> anyhow::Result<()> {
        let m = &self.smtp;
        if !(1..=100_000).contains(&m.max_connections) {
            bail!("smtp.max_connections must be between 1 and 100000");
        }
        if !(1..=m.max_connections).contains(&m.max_connections_per_ip) {
            bail!("smtp.max_connections_per_ip must be between 1 and smtp.max_connections");
        }
        if !(1..=3600).contains(&m.command_timeout_secs) {
            bail!("smtp.command_timeout_secs must be between 1 and 3600");
        }
        if !(1..=86_400).contains(&m.data_timeout_secs) {
            bail!("smtp.data_timeout_secs must be between 1 and 86400");
        }
        if !(m.data_timeout_secs..=86_400).contains(&m.session_timeout_secs) {
            bail!("smtp.session_timeout_secs must be between smtp.data_timeout_secs and 86400");
        }
        if m.address_messages_per_minute < 1 || m.workspace_messages_per_minute < 1 {
            bail!(
                "smtp.address_messages_per_minute and smtp.workspace_messages_per_minute must be at least 1"
            );
        }
        let biggest = i64::try_from(m.max_message_bytes).unwrap_or(i64::MAX);
        if m.address_storage_bytes < biggest {
            bail!("smtp.address_storage_bytes must be at least smtp.max_message_bytes");
        }
        if m.workspace_storage_bytes < m.address_storage_bytes {
            bail!("smtp.workspace_storage_bytes must be at least smtp.address_storage_bytes");
        }
        Ok(())
    }

    /// The inbox rates and quotas for the app.
    pub fn inbox_limits(&self) -> orthrus_app::InboxLimits {
        orthrus_app::InboxLimits {
            address_messages_per_minute: self.smtp.address_messages_per_minute,
            workspace_messages_per_minute: self.smtp.workspace_messages_per_minute,
            address_storage_bytes: self.smtp.address_storage_bytes,
            workspace_storage_bytes: self.smtp.workspace_storage_bytes,
        }
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        self.http_addr()?;
        self.smtp_addr()?;
        let url = self.database_url.expose();
        let url_ok = url.is_empty()
            || ["postgres://", "postgresql://", "sqlite://"]
                .iter()
                .any(|p| url.starts_with(p));
        if !url_ok {
            bail!("database_url must start with postgres://, postgresql:// or sqlite://");
        }
        if self.database_max_connections > 1000 {
            bail!(
                "database_max_connections must be between 1 and 1000 (0: sized for the machine), got {}",
                self.database_max_connections
            );
        }
        let p = &self.http.public_url;
        if !(p.is_empty() || p.starts_with("http://") || p.starts_with("https://")) {
            bail!("http.public_url must start with http:// or https://, got {p:?}");
        }
        let s = &self.security;
        if !(1..=24 * 30).contains(&s.session_hours) {
            bail!("security.session_hours must be between 1 and 720");
        }
        if !(1..=365).contains(&s.bearer_days) {
            bail!("security.bearer_days must be between 1 and 365");
        }
        if s.lockout_threshold < 1
            || s.ip_threshold < 1
            || s.lockout_window_secs < 1
            || s.lockout_secs < 1
        {
            bail!("security lockout settings must be positive");
        }
        if s.argon_memory_kib < 8 * 1024 || s.argon_iterations < 1 {
            bail!(
                "security.argon_memory_kib must be at least 8192 and argon_iterations at least 1"
            );
        }
        if !(1024..=64 * 1024 * 1024).contains(&self.http.max_body_bytes) {
            bail!("http.max_body_bytes must be between 1 KiB and 64 MiB");
        }
        if !(1..=64).contains(&self.http.upload_slots) {
            bail!("http.upload_slots must be between 1 and 64");
        }
        if !(1..=120).contains(&self.http.upload_timeout_secs) {
            bail!("http.upload_timeout_secs must be between 1 and 120");
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log.level).is_err() {
            bail!(
                "log.level is not a valid filter: {:?} (try \"info\" or \"orthrus_web=debug,info\")",
                self.log.level
            );
        }
        if self.smtp.domain.trim().is_empty() || self.smtp.domain.contains(['@', ' ', '/']) {
            bail!("smtp.domain must be a domain name such as inbox.example.com");
        }
        if !(1..=3650).contains(&self.smtp.retention_days) {
            bail!("smtp.retention_days must be between 1 and 3650");
        }
        if !(1024..=64 * 1024 * 1024).contains(&self.smtp.max_message_bytes) {
            bail!("smtp.max_message_bytes must be between 1 KiB and 64 MiB");
        }
        if self.automation.workers > 16 {
            bail!("automation.workers must be between 0 and 16");
        }
        if !(3..=600).contains(&self.automation.lease_secs) {
            bail!("automation.lease_secs must be between 3 and 600");
        }
        orthrus_core::egress::PrivateHostAllowList::parse(
            self.automation
                .allowed_private_hosts
                .iter()
                .map(String::as_str),
        )
        .context("automation.allowed_private_hosts")?;
        if !(10..=86_400).contains(&self.automation.person_wait_secs) {
            bail!("automation.person_wait_secs must be between 10 and 86400");
        }
        if self.automation.mfa_check_interval_days > 365 {
            bail!("automation.mfa_check_interval_days must be between 0 (off) and 365");
        }
        if !(1..=30).contains(&self.smtp.auth_timeout_secs) {
            bail!("smtp.auth_timeout_secs must be between 1 and 30");
        }
        self.validate_smtp_limits()?;
        self.sso.validate()?;
        orthrus_smtp::auth::check_pinned(&self.sender_auth()?.pinned)
            .map_err(|e| anyhow::anyhow!("smtp.dns_records: {e}"))?;
        if self.smtp.tls_cert.is_empty() != self.smtp.tls_key.is_empty() {
            bail!("smtp.tls_cert and smtp.tls_key go together: set both or neither");
        }
        if !self.forward.relay.expose().is_empty() {
            self.mailer()?;
        }
        if !matches!(self.log.format.as_str(), "text" | "json") {
            bail!("log.format must be text or json");
        }
        Ok(())
    }

    pub fn http_addr(&self) -> anyhow::Result<SocketAddr> {
        resolve(&self.http.listen, "http.listen")
    }

    /// The metrics listener's address; None when metrics are off.
    pub fn metrics_addr(&self) -> anyhow::Result<Option<SocketAddr>> {
        let listen = self.metrics.listen.trim();
        if listen.is_empty() {
            return Ok(None);
        }
        resolve(listen, "metrics.listen").map(Some)
    }

    /// The outbound relay for forwarding, when one is configured.
    pub fn mailer(&self) -> anyhow::Result<orthrus_smtp::outbound::RelayMailer> {
        let from = if self.forward.from.trim().is_empty() {
            format!("orthrus@{}", self.smtp.domain)
        } else {
            self.forward.from.trim().to_owned()
        };
        orthrus_smtp::outbound::RelayMailer::new(self.forward.relay.expose(), &from)
            .map_err(|e| anyhow::anyhow!(e))
    }

    /// How the SMTP listener checks senders (DKIM, DMARC).
    pub fn sender_auth(&self) -> anyhow::Result<orthrus_smtp::auth::AuthConfig> {
        let mut dns_servers = Vec::new();
        for s in &self.smtp.dns_servers {
            let addr = s
                .parse::<SocketAddr>()
                .or_else(|_| {
                    s.parse::<std::net::IpAddr>()
                        .map(|ip| SocketAddr::new(ip, 53))
                })
                .map_err(|_| {
                    anyhow::anyhow!("smtp.dns_servers: {s:?} is not an IP address (or ip:port)")
                })?;
            dns_servers.push(addr);
        }
        let d = orthrus_smtp::auth::AuthConfig::default();
        Ok(orthrus_smtp::auth::AuthConfig {
            dns_servers,
            timeout: std::time::Duration::from_secs(self.smtp.auth_timeout_secs),
            pinned: self
                .smtp
                .dns_records
                .iter()
                .map(|r| (r.name.clone(), r.value.clone()))
                .collect(),
            well_known: if self.smtp.well_known_domains.is_empty() {
                d.well_known
            } else {
                self.smtp.well_known_domains.clone()
            },
            failure_ttl: d.failure_ttl,
        })
    }

    pub fn smtp_addr(&self) -> anyhow::Result<SocketAddr> {
        resolve(&self.smtp.listen, "smtp.listen")
    }

    /// The database connection pool's settings.
    pub fn pool(&self) -> orthrus_store::PoolSettings {
        orthrus_store::PoolSettings {
            max_connections: (self.database_max_connections > 0)
                .then_some(self.database_max_connections),
        }
    }

    /// The database URL to open.
    pub fn database(&self) -> String {
        let url = self.database_url.expose();
        if url.is_empty() {
            format!("sqlite://{}", self.data_dir.join("orthrus.db").display())
        } else {
            url.to_owned()
        }
    }

    pub fn public_url(&self, bound: SocketAddr) -> String {
        if self.http.public_url.is_empty() {
            format!("http://{bound}")
        } else {
            self.http.public_url.trim_end_matches('/').to_owned()
        }
    }

    pub fn app_config(&self) -> orthrus_app::AppConfig {
        let s = &self.security;
        orthrus_app::AppConfig {
            session_hours: s.session_hours,
            bearer_days: s.bearer_days,
            lockout_threshold: s.lockout_threshold,
            ip_threshold: s.ip_threshold,
            lockout_window_secs: s.lockout_window_secs,
            lockout_secs: s.lockout_secs,
            argon_memory_kib: s.argon_memory_kib,
            argon_iterations: s.argon_iterations,
            inbound_domain: self.smtp.domain.clone(),
            inbox_retention_days: self.smtp.retention_days,
            twilio_auth_token: Some(self.sms.twilio_auth_token.clone()).filter(|t| !t.is_empty()),
            sms_webhook_secret: Some(self.sms.webhook_secret.clone()).filter(|t| !t.is_empty()),
            egress: self.egress(),
            upload_slots: self.http.upload_slots,
            upload_timeout_ms: self.http.upload_timeout_secs.saturating_mul(1000),
            inbox_limits: self.inbox_limits(),
            ..orthrus_app::AppConfig::default()
        }
    }

    /// The automation egress rule (the allow list was checked by `validate`).
    pub fn egress(&self) -> orthrus_app::egress::Egress {
        let allow = orthrus_core::egress::PrivateHostAllowList::parse(
            self.automation
                .allowed_private_hosts
                .iter()
                .map(String::as_str),
        )
        .unwrap_or_default();
        orthrus_app::egress::Egress::new(
            allow,
            std::sync::Arc::new(orthrus_app::egress::SystemResolver),
        )
    }
}

/// `IP:PORT` or `HOST:PORT` (resolved once, at start; the first address wins).
fn resolve(addr: &str, setting: &str) -> anyhow::Result<SocketAddr> {
    if let Ok(a) = addr.parse() {
        return Ok(a);
    }
    use std::net::ToSocketAddrs;
    addr.to_socket_addrs()
        .ok()
        .and_then(|mut it| it.next())
        .with_context(|| format!("{setting} must be HOST:PORT (for example 127.0.0.1:8080 or localhost:8080), got {addr:?}"))
}

/// The documented reference file printed by `orthrus config example`.
pub const EXAMPLE: &str = include_str!("../../../docs/orthrus.example.toml");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_file_parses_to_the_defaults() {
        let c: Config = toml::from_str(EXAMPLE).unwrap();
        c.validate().unwrap();
        let d = Config::default();
        assert_eq!(c.http.listen, d.http.listen);
        assert_eq!(c.data_dir, d.data_dir);
        assert_eq!(c.security.session_hours, d.security.session_hours);
        assert_eq!(c.smtp.listen, d.smtp.listen);
    }

    #[test]
    fn env_overrides_file_and_flags_override_env() {
        let mut c = Config::default();
        apply_env(&mut c, |k| match k {
            "ORTHRUS_HTTP" => Some("0.0.0.0:9000".into()),
            "ORTHRUS_DATABASE_URL" => Some("postgres://u@h/db".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.http.listen, "0.0.0.0:9000");
        assert_eq!(c.database(), "postgres://u@h/db");
        assert!(
            !format!("{c:?}").contains("postgres://u@h/db"),
            "database URL is redacted in Debug"
        );
        let bad = apply_env(&mut c, |k| {
            (k == "ORTHRUS_SESSION_HOURS").then(|| "soon".into())
        });
        assert!(
            bad.unwrap_err()
                .to_string()
                .contains("ORTHRUS_SESSION_HOURS")
        );
    }

    #[test]
    fn database_pool_size_from_env_and_checked() {
        let mut c = Config::default();
        assert_eq!(c.pool().max_connections, None, "0: sized for the machine");
        apply_env(&mut c, |k| {
            (k == "ORTHRUS_DATABASE_MAX_CONNECTIONS").then(|| "24".into())
        })
        .unwrap();
        assert_eq!(c.pool().max_connections, Some(24));
        c.validate().unwrap();
        c.database_max_connections = 5000;
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("database_max_connections")
        );
        let bad = apply_env(&mut c, |k| {
            (k == "ORTHRUS_DATABASE_MAX_CONNECTIONS").then(|| "-1".into())
        });
        assert!(
            bad.unwrap_err()
                .to_string()
                .contains("ORTHRUS_DATABASE_MAX_CONNECTIONS")
        );
    }

    #[test]
    fn validation_names_the_bad_setting() {
        let c = Config {
            http: HttpConfig {
                listen: "localhost".into(),
                ..HttpConfig::default()
            },
            ..Config::default()
        };
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("http.listen")
        );
        assert_eq!(
            resolve("localhost:8080", "x").unwrap().port(),
            8080,
            "host names resolve"
        );
        let c = Config {
            database_url: SecretString::new("mysql://x"),
            ..Config::default()
        };
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("database_url")
        );
        let unknown = toml::from_str::<Config>("[http]\nlisten = \"127.0.0.1:1\"\nport = 3\n");
        assert!(unknown.is_err());
    }

    #[test]
    fn the_mfa_check_interval_comes_from_file_and_env_and_is_checked() {
        assert_eq!(Config::default().automation.mfa_check_interval_days, 7);
        let mut c: Config = toml::from_str("[automation]\nmfa_check_interval_days = 30\n").unwrap();
        assert_eq!(c.automation.mfa_check_interval_days, 30);
        let env = |v: &'static str| {
            move |k: &str| (k == "ORTHRUS_AUTOMATION_MFA_CHECK_INTERVAL_DAYS").then(|| v.to_owned())
        };
        apply_env(&mut c, env("0")).unwrap();
        assert_eq!(c.automation.mfa_check_interval_days, 0, "0 turns it off");
        c.validate().unwrap();
        let e = apply_env(&mut c, env("weekly")).unwrap_err().to_string();
        assert!(
            e.contains("ORTHRUS_AUTOMATION_MFA_CHECK_INTERVAL_DAYS"),
            "{e}"
        );
        apply_env(&mut c, env("366")).unwrap();
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("automation.mfa_check_interval_days"), "{e}");
    }

    #[test]
    fn mail_settings_are_checked() {
        let bad = |toml_text: &str, needle: &str| {
            let c: Config = toml::from_str(toml_text).unwrap();
            let e = c.validate().unwrap_err().to_string();
            assert!(e.contains(needle), "{toml_text}: {e}");
        };
        bad("[smtp]\ndns_servers = [\"resolver\"]\n", "smtp.dns_servers");
        bad(
            "[[smtp.dns_records]]\nname = \"_dmarc.x.com\"\nvalue = \"nonsense\"\n",
            "_dmarc.x.com",
        );
        bad("[smtp]\ntls_cert = \"/etc/cert.pem\"\n", "tls_key");
        bad("[forward]\nrelay = \"ftp://x\"\n", "forward.relay");
        bad("[smtp]\nauth_timeout_secs = 0\n", "auth_timeout_secs");
        let ok: Config = toml::from_str(
            "[smtp]\ndns_servers = [\"10.0.0.53\", \"127.0.0.1:5353\"]\n[[smtp.dns_records]]\nname = \"_dmarc.instagram.com\"\nvalue = \"v=DMARC1; p=reject\"\n[forward]\nrelay = \"smtp://127.0.0.1:2526\"\n",
        )
        .unwrap();
        ok.validate().unwrap();
        assert_eq!(ok.sender_auth().unwrap().dns_servers[0].port(), 53);
    }

    #[test]
    fn smtp_limits_come_from_file_and_env_and_are_checked() {
        let mut c: Config = toml::from_str(
            "[smtp]\nmax_connections = 50\ndata_timeout_secs = 60\naddress_storage_bytes = 20971520\n",
        )
        .unwrap();
        apply_env(&mut c, |k| match k {
            "ORTHRUS_SMTP_MAX_CONNECTIONS_PER_IP" => Some("5".into()),
            "ORTHRUS_SMTP_SESSION_TIMEOUT_SECS" => Some("120".into()),
            "ORTHRUS_SMTP_ADDRESS_MESSAGES_PER_MINUTE" => Some("30".into()),
            "ORTHRUS_SMTP_WORKSPACE_STORAGE_BYTES" => Some("41943040".into()),
            _ => None,
        })
        .unwrap();
        c.validate().unwrap();
        let m = &c.smtp;
        assert_eq!(
            (m.max_connections, m.max_connections_per_ip),
            (50, 5),
            "{m:?}"
        );
        assert_eq!((m.data_timeout_secs, m.session_timeout_secs), (60, 120));
        let l = c.app_config().inbox_limits;
        assert_eq!(l.address_messages_per_minute, 30);
        assert_eq!(l.workspace_messages_per_minute, 600, "the default");
        assert_eq!(
            (l.address_storage_bytes, l.workspace_storage_bytes),
            (20_971_520, 41_943_040)
        );
        let e = apply_env(&mut c, |k| {
            (k == "ORTHRUS_SMTP_MAX_CONNECTIONS").then(|| "lots".into())
        })
        .unwrap_err();
        assert!(
            e.to_string().contains("ORTHRUS_SMTP_MAX_CONNECTIONS"),
            "{e}"
        );
        let bad = |toml_text: &str, needle: &str| {
            let c: Config = toml::from_str(toml_text).unwrap();
            let e = c.validate().unwrap_err().to_string();
            assert!(e.contains(needle), "{toml_text}: {e}");
        };
        bad("[smtp]\nmax_connections = 0\n", "smtp.max_connections");
        bad(
            "[smtp]\nmax_connections = 5\nmax_connections_per_ip = 6\n",
            "smtp.max_connections_per_ip",
        );
        bad(
            "[smtp]\ndata_timeout_secs = 600\nsession_timeout_secs = 60\n",
            "smtp.session_timeout_secs",
        );
        bad(
            "[smtp]\naddress_messages_per_minute = 0\n",
            "smtp.address_messages_per_minute",
        );
        bad(
            "[smtp]\naddress_storage_bytes = 1024\n",
            "smtp.address_storage_bytes",
        );
        bad(
            "[smtp]\nworkspace_storage_bytes = 10485760\naddress_storage_bytes = 20971520\n",
            "smtp.workspace_storage_bytes",
        );
    }
}
