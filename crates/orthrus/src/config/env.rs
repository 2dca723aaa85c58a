//! `ORTHRUS_…` environment variables over the file's values: each one parsed
//! and range-checked with a message naming the variable.

use super::Config;
use anyhow::{Context, bail};
use orthrus_core::SecretString;
use std::path::PathBuf;

/// Variable `k` as a whole number of `T`: none when unset; "must be a whole
/// number" or "is out of range" naming it otherwise.
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

/// Applies `ORTHRUS_…` variables.
pub fn apply_env(c: &mut Config, get: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
    if let Some(v) = get("ORTHRUS_DATA_DIR") {
        c.data_dir = PathBuf::from(v);
    }
    if let Some(v) = get("ORTHRUS_DATABASE_URL") {
        c.database_url = SecretString::new(v);
    }
    if let Some(v) = whole("ORTHRUS_DATABASE_MAX_CONNECTIONS", &get)? {
        c.database_max_connections = v;
    }
    if let Some(v) = whole("ORTHRUS_AUTOMATION_WORKERS", &get)? {
        c.automation.workers = v;
    }
    if let Some(v) = whole("ORTHRUS_AUTOMATION_LEASE_SECS", &get)? {
        c.automation.lease_secs = v;
    }
    if let Some(v) = whole("ORTHRUS_AUTOMATION_PERSON_WAIT_SECS", &get)? {
        c.automation.person_wait_secs = v;
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
    if let Some(v) = whole("ORTHRUS_AUTOMATION_MFA_CHECK_INTERVAL_DAYS", &get)? {
        c.automation.mfa_check_interval_days = v;
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
    if let Some(v) = whole("ORTHRUS_MAX_BODY_BYTES", &get)? {
        c.http.max_body_bytes = v;
    }
    if let Some(v) = whole("ORTHRUS_UPLOAD_SLOTS", &get)? {
        c.http.upload_slots = v;
    }
    if let Some(v) = whole("ORTHRUS_UPLOAD_TIMEOUT_SECS", &get)? {
        c.http.upload_timeout_secs = v;
    }
    if let Some(v) = whole("ORTHRUS_BEARER_DAYS", &get)? {
        c.security.bearer_days = v;
    }
    if let Some(v) = whole("ORTHRUS_LOCKOUT_THRESHOLD", &get)? {
        c.security.lockout_threshold = v;
    }
    if let Some(v) = whole("ORTHRUS_LOCKOUT_SECS", &get)? {
        c.security.lockout_secs = v;
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
        c.log.format = v.parse()?;
    }
    if let Some(v) = whole("ORTHRUS_SESSION_HOURS", &get)? {
        c.security.session_hours = v;
    }
    if let Some(v) = whole("ORTHRUS_ARGON_MEMORY_KIB", &get)? {
        c.security.argon_memory_kib = v;
    }
    Ok(())
}

/// `ORTHRUS_SMTP_…` connection, deadline, rate and quota settings.
fn apply_smtp_limits_env(
    c: &mut Config,
    get: &impl Fn(&str) -> Option<String>,
) -> anyhow::Result<()> {
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
