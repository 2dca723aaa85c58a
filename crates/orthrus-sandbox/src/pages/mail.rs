//! The sandbox's outgoing messages: email through the configured SMTP
//! server (DKIM-signed when a key is set) and texts through the SMS webhook.

use crate::{Sandbox, random_token};
use axum::http::header;

/// Sends one plain-text email through the configured SMTP server.
pub(crate) async fn send_mail(
    sb: &Sandbox,
    to: &str,
    subject: &str,
    body: &str,
) -> Result<(), String> {
    use lettre::message::header::ContentType;
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
    let (host, port) = sb
        .cfg
        .smtp
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h.to_owned(), p.parse::<u16>().ok()?)))
        .ok_or_else(|| format!("--smtp {:?} is not HOST:PORT", sb.cfg.smtp))?;
    let message = Message::builder()
        .from(sb.cfg.mail_from.parse().map_err(|e| format!("{e}"))?)
        .to(to.parse().map_err(|e| format!("{to:?}: {e}"))?)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(body.to_owned())
        .map_err(|e| e.to_string())?;
    let raw = match &sb.cfg.dkim {
        Some(key) => key.sign(&message.formatted())?,
        None => message.formatted(),
    };
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(port)
        .timeout(Some(std::time::Duration::from_secs(20)))
        .build()
        .send_raw(message.envelope(), &raw)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Posts one text message to the SMS webhook (JSON, HMAC-signed when a
/// secret is configured).
pub(crate) async fn send_sms(sb: &Sandbox, to: &str, body: &str) -> Result<(), String> {
    use hmac::{Hmac, Mac};
    let Some(url) = &sb.cfg.sms_webhook else {
        return Err("no --sms-webhook configured".into());
    };
    let payload = serde_json::to_vec(&serde_json::json!({
        "from": sb.cfg.sms_from,
        "to": to,
        "body": body,
        "id": format!("sandbox-{}", random_token()),
    }))
    .map_err(|e| e.to_string())?;
    let mut req = sb
        .http
        .post(url)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(secret) = &sb.cfg.sms_webhook_secret {
        let mut mac =
            Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).map_err(|e| e.to_string())?;
        mac.update(&payload);
        let sig = data_encoding::HEXLOWER.encode(&mac.finalize().into_bytes());
        req = req.header("X-Orthrus-Signature", format!("sha256={sig}"));
    }
    let resp = req.body(payload).send().await.map_err(|e| e.to_string())?;
    if resp.status().is_success() {
        Ok(())
    } else {
        Err(format!("the SMS webhook answered {}", resp.status()))
    }
}
