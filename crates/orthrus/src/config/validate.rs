//! Checking a loaded configuration once at start, and what the rest of the
//! binary derives from it (listen addresses, the pool, the mailer, the app's
//! settings).

use super::Config;
use anyhow::{Context, bail};
use std::net::SocketAddr;

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
pub(super) fn resolve(addr: &str, setting: &str) -> anyhow::Result<SocketAddr> {
    if let Ok(a) = addr.parse() {
        return Ok(a);
    }
    use std::net::ToSocketAddrs;
    addr.to_socket_addrs()
        .ok()
        .and_then(|mut it| it.next())
        .with_context(|| format!("{setting} must be HOST:PORT (for example 127.0.0.1:8080 or localhost:8080), got {addr:?}"))
}
