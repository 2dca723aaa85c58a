//! Outbound mail through the configured relay (lettre): forwarding inbox
//! messages and sending forwarding-address verification codes.

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use orthrus_app::{MailError, Mailer, OutboundMail};

/// Sends through one SMTP relay.
pub struct RelayMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl RelayMailer {
    /// `relay` is a URL: `smtp://host:25` (plain, or `?tls=required` for
    /// STARTTLS), `smtps://host:465` (TLS), with `user:password@` when the
    /// relay needs it. `from` is the sender address of forwarded mail.
    pub fn new(relay: &str, from: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(relay)
            // The URL may carry a password: never echo it.
            .map_err(|e| format!("forward.relay is not a usable SMTP URL ({e})"))?
            .timeout(Some(std::time::Duration::from_secs(30)))
            .build();
        let from: Mailbox = from
            .parse()
            .map_err(|e| format!("forward.from {from:?} is not an email address: {e}"))?;
        Ok(Self { transport, from })
    }
}

#[async_trait::async_trait]
impl Mailer for RelayMailer {
    async fn send(&self, mail: OutboundMail) -> Result<(), MailError> {
        let to: Mailbox = mail.to.parse().map_err(|e| MailError::BadRecipient {
            address: mail.to.clone(),
            reason: format!("{e}"),
        })?;
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject);
        let text = SinglePart::plain(mail.text);
        let message = match mail.attachment {
            None => builder.singlepart(text),
            Some((name, content_type, bytes)) => {
                let ct = ContentType::parse(&content_type).map_err(|e| {
                    MailError::BadAttachmentType {
                        content_type: content_type.clone(),
                        reason: format!("{e}"),
                    }
                })?;
                builder.multipart(
                    MultiPart::mixed()
                        .singlepart(text)
                        .singlepart(Attachment::new(name).body(bytes, ct)),
                )
            }
        }
        .map_err(|e| MailError::Build(e.to_string()))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| MailError::Relay(e.to_string()))
    }
}
