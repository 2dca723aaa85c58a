//! Forwarding inbox messages to a person's own mailbox, through the
//! outbound relay the server is configured with ([`Mailer`]). A user first
//! sets a forwarding address and proves it is theirs with a code sent to
//! it; only then can messages be forwarded there. Every forward is audited.

use crate::AuditAction;
use crate::audit::Event;
use crate::{Actor, App, AppError, Result, normalize_email};
use crate::{ConflictCode, InvalidCode};
use orthrus_core::AuditTarget;
use orthrus_store::ForwardAddressRow;
use serde::Serialize;

/// One outbound email.
#[derive(Clone, Debug)]
pub struct OutboundMail {
    pub to: String,
    pub subject: String,
    pub text: String,
    /// `(file name, content type, bytes)`: the original message.
    pub attachment: Option<(String, String, Vec<u8>)>,
}

/// Sends mail through the configured relay (`orthrus-smtp` implements it
/// with lettre).
#[async_trait::async_trait]
pub trait Mailer: Send + Sync + 'static {
    async fn send(&self, mail: OutboundMail) -> std::result::Result<(), MailError>;
}

/// Why a [`Mailer`] did not send a message. The words are shown to the
/// person who asked ("the relay did not take the message: …").
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The recipient is not an email address.
    #[error("{address:?} is not an email address: {reason}")]
    BadRecipient { address: String, reason: String },
    /// The attachment's content type does not parse.
    #[error("bad attachment type {content_type:?}: {reason}")]
    BadAttachmentType {
        content_type: String,
        reason: String,
    },
    /// The message could not be put together.
    #[error("cannot build the message: {0}")]
    Build(String),
    /// The relay refused the message or could not be reached.
    #[error("{0}")]
    Relay(String),
}

/// A user's forwarding address.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ForwardAddress {
    /// The address forwarding uses once `verified`.
    pub email: String,
    pub verified: bool,
    pub verified_at: Option<String>,
    /// A new address waiting for its code (the verified one stays in use).
    pub pending_email: Option<String>,
}

/// Minutes a verification code is valid.
const CODE_MINUTES: i64 = 15;
/// Code entries allowed per code sent.
const MAX_ATTEMPTS: i64 = 5;
/// Seconds between two codes sent for one user.
const RESEND_SECS: i64 = 60;

impl From<&ForwardAddressRow> for ForwardAddress {
    fn from(r: &ForwardAddressRow) -> Self {
        Self {
            email: r.email.clone(),
            verified: r.verified_at.is_some(),
            verified_at: r.verified_at.map(|t| t.to_rfc3339()),
            pending_email: r.pending_email.clone(),
        }
    }
}

impl App {
    /// Installs the outbound relay; without one, forwarding is off.
    pub fn set_mailer(&self, mailer: std::sync::Arc<dyn Mailer>) {
        let _ = self.inner.mailer.set(mailer);
    }

    /// Whether an outbound relay is configured.
    pub fn forwarding_enabled(&self) -> bool {
        self.inner.mailer.get().is_some()
    }

    fn mailer(&self) -> Result<&dyn Mailer> {
        self.inner.mailer.get().map(|m| m.as_ref()).ok_or_else(|| {
            AppError::Conflict {
                code: ConflictCode::ForwardNotConfigured,
                message: "forwarding is off: the server has no outbound relay ([forward] relay in the configuration)".into(),
            }
        })
    }

    /// The caller's forwarding address, if set.
    pub async fn forward_address(&self, actor: &Actor) -> Result<Option<ForwardAddress>> {
        Ok(self
            .store()
            .forward_address(actor.user_id)
            .await?
            .as_ref()
            .map(ForwardAddress::from))
    }

    fn forward_code_hash(&self, actor: &Actor, code: &str) -> String {
        self.inner.token_hasher.hash_parts(&[
            b"forward-address-code",
            actor.user_id.to_string().as_bytes(),
            code.as_bytes(),
        ])
    }

    /// Sets the caller's forwarding address (default: their sign-in email)
    /// and sends it a six-digit code; the address is unverified until the
    /// code is entered.
    pub async fn start_forward_verification(
        &self,
        actor: &Actor,
        email: Option<&str>,
    ) -> Result<ForwardAddress> {
        let mailer = self.mailer()?;
        let email = normalize_email(email.unwrap_or(&actor.email))?;
        if email
            .rsplit_once('@')
            .is_some_and(|(_, d)| d.starts_with('['))
        {
            return Err(AppError::invalid(
                InvalidCode::ForwardInvalidAddress,
                "use an address with a domain name, not an IP address",
            ));
        }
        let now = self.now();
        let existing = self.store().forward_address(actor.user_id).await?;
        // One code a minute: the relay is not a mail cannon, and guessing
        // stays at 5 tries per minute however often codes are asked for.
        if let Some(sent) = existing
            .as_ref()
            .and_then(|r| r.code_expires_at)
            .map(|t| t.plus_seconds(-CODE_MINUTES * 60))
        {
            let wait = sent.plus_seconds(RESEND_SECS).0 - now.0;
            if wait > 0 {
                return Err(AppError::Throttled {
                    retry_after_secs: ((wait + 999) / 1000).max(1),
                });
            }
        }
        let code = format!("{:06}", self.random_below(1_000_000));
        let mut row = match existing {
            // A verified address stays in use until the new one is proven.
            Some(r) if r.verified_at.is_some() && r.email != email => ForwardAddressRow {
                pending_email: Some(email.clone()),
                ..r
            },
            _ => ForwardAddressRow {
                user_id: actor.user_id,
                workspace_id: actor.workspace_id,
                email: email.clone(),
                pending_email: None,
                code_hash: None,
                code_expires_at: None,
                attempts: 0,
                verified_at: None,
            },
        };
        row.code_hash = Some(self.forward_code_hash(actor, &code));
        row.code_expires_at = Some(now.plus_seconds(CODE_MINUTES * 60));
        row.attempts = 0;
        mailer
            .send(OutboundMail {
                to: email.clone(),
                subject: format!("{code} is your Orthrus verification code"),
                text: format!(
                    "Hello {},\r\n\r\nUse {code} to confirm that Orthrus may forward inbox messages to this address.\r\nThe code expires in {CODE_MINUTES} minutes. If you did not ask for it, ignore this message.\r\n",
                    actor.name
                ),
                attachment: None,
            })
            .await
            .map_err(|e| AppError::Conflict {
                code: ConflictCode::ForwardSendFailed,
                message: format!("the relay did not take the message: {e}"),
            })?;
        self.store().save_forward_address(&row).await?;
        self.audit(
            actor,
            Event::new(AuditAction::UserForwardAddressSet)
                .detail(serde_json::json!({"email": email})),
        )
        .await?;
        Ok(ForwardAddress::from(&row))
    }

    /// Confirms the caller's forwarding address with the code sent to it.
    pub async fn verify_forward_address(
        &self,
        actor: &Actor,
        code: &str,
    ) -> Result<ForwardAddress> {
        let mut row = self
            .store()
            .forward_address(actor.user_id)
            .await?
            .ok_or_else(|| {
                AppError::invalid(
                    InvalidCode::ForwardNoAddress,
                    "set a forwarding address first",
                )
            })?;
        let Some(expected) = row.code_hash.clone() else {
            return Err(AppError::invalid(
                InvalidCode::ForwardNoCode,
                "this address is already verified; set it again to get a new code",
            ));
        };
        // Counted before comparing, atomically: parallel guesses cannot
        // share one attempt.
        if !self
            .store()
            .count_forward_attempt(actor.user_id, MAX_ATTEMPTS)
            .await?
        {
            return Err(AppError::invalid(
                InvalidCode::ForwardTooManyAttempts,
                "too many wrong codes: send a new one",
            ));
        }
        if row.code_expires_at.is_none_or(|t| t < self.now()) {
            return Err(AppError::invalid(
                InvalidCode::ForwardCodeExpired,
                "the code has expired: send a new one",
            ));
        }
        let given: String = code.chars().filter(char::is_ascii_digit).collect();
        let ok =
            orthrus_crypto::constant_time_eq(&self.forward_code_hash(actor, &given), &expected);
        if !ok {
            return Err(AppError::invalid(
                InvalidCode::ForwardBadCode,
                "that is not the code we sent",
            ));
        }
        if let Some(new) = row.pending_email.take() {
            row.email = new;
        }
        row.code_hash = None;
        row.code_expires_at = None;
        row.attempts = 0;
        row.verified_at = Some(self.now());
        self.store().save_forward_address(&row).await?;
        self.audit(
            actor,
            Event::new(AuditAction::UserForwardAddressVerified)
                .detail(serde_json::json!({"email": row.email})),
        )
        .await?;
        Ok(ForwardAddress::from(&row))
    }

    /// Forwards one inbox message to the caller's verified address: an
    /// email with its code on top and the original attached, or an SMS as
    /// text. Returns the address it went to.
    pub async fn forward_message(
        &self,
        actor: &Actor,
        message_id: orthrus_core::EventId,
    ) -> Result<String> {
        let mailer = self.mailer()?;
        // Whether the message exists for this person comes first (404).
        let (m, item, raw) = self.message_for(actor, message_id).await?;
        let to = match self.store().forward_address(actor.user_id).await? {
            Some(r) if r.verified_at.is_some() => r.email,
            _ => {
                return Err(AppError::invalid(
                    InvalidCode::ForwardNotVerified,
                    "verify your forwarding address under My security first",
                ));
            }
        };
        let mut text = String::new();
        if let Some(c) = &item.code {
            text.push_str(&format!("Code: {c}\r\n"));
        }
        if item.flagged() {
            text.push_str("Warning: the sender failed authentication; this may be forged.\r\n");
        }
        text.push_str(&format!(
            "From: {}\r\nTo: {}\r\nReceived: {}\r\nChannel: {}\r\n\r\n",
            item.sender, m.recipient, item.received_at, item.channel
        ));
        let attachment = if m.channel == orthrus_core::Channel::Email {
            text.push_str(&item.preview);
            text.push_str("\r\n\r\nThe original message is attached.\r\n");
            Some(("original.eml".into(), "message/rfc822".into(), raw))
        } else {
            text.push_str(&String::from_utf8_lossy(&raw));
            text.push_str("\r\n");
            None
        };
        let subject = format!(
            "Fwd: {}",
            item.subject.clone().unwrap_or_else(|| format!(
                "{} from {}",
                item.channel.as_str().to_uppercase(),
                item.sender
            ))
        );
        mailer
            .send(OutboundMail {
                to: to.clone(),
                subject,
                text,
                attachment,
            })
            .await
            .map_err(|e| AppError::Conflict {
                code: ConflictCode::ForwardSendFailed,
                message: format!("the relay did not take the message: {e}"),
            })?;
        self.audit(
            actor,
            Event::new(AuditAction::InboxMessageForward)
                .target(AuditTarget::Message, m.id)
                .detail(serde_json::json!({"to": to, "channel": m.channel, "account_id": m.account_id.to_string()})),
        )
        .await?;
        Ok(to)
    }
}
