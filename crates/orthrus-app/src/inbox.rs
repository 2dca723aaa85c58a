//! Managed email addresses and the shared inbox: every message to an
//! account's managed address is stored sealed with its code and confirmation
//! link already pulled out (`orthrus-extract`), for the members who may see
//! the account's inbox.

use crate::AuditAction;
use crate::audit::Event;
use crate::{Action, Actor, App, AppError, Entity, Result};
use orthrus_core::{AccountId, Channel, EventId, Subject};
use orthrus_crypto::Aad;
use orthrus_store::{InboxMessageRow, ManagedEmailRow};
use serde::{Deserialize, Serialize};

/// A managed address.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ManagedEmail {
    pub id: String,
    pub address: String,
    pub enabled: bool,
    pub created_at: String,
}

/// A message as the inbox shows it.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InboxItem {
    pub id: String,
    pub account_id: String,
    /// `email` or `sms`.
    #[schema(value_type = String)]
    pub channel: Channel,
    pub sender: String,
    pub subject: Option<String>,
    pub preview: String,
    pub received_at: String,
    pub code: Option<String>,
    pub confirm_link: Option<String>,
    /// When someone marked the code used.
    pub used_at: Option<String>,
    /// Sender authentication of an email (none for SMS and for mail stored
    /// before it was checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<SenderAuth>,
    /// Why automations leave this message to people (its sender is not
    /// shown to be the app's own, by the app's recipe); absent when they
    /// may use it or no recipe speaks for the account's app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automation_refusal: Option<crate::AutomationRefusal>,
}

impl InboxItem {
    /// A code that must not be used without a person looking at it.
    pub fn flagged(&self) -> bool {
        self.auth.as_ref().is_some_and(|a| a.flagged)
    }
}

/// One message as the message view shows it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MessageDetail {
    #[serde(flatten)]
    pub item: InboxItem,
    /// The managed address or number it was sent to.
    pub recipient: String,
    /// The To and Date headers of an email.
    pub to: Option<String>,
    pub date: Option<String>,
    /// The plain-text body (an SMS's text).
    pub text: Option<String>,
    /// The HTML body. From [`App::inbox_message`] it is as sent; the web
    /// layer replaces it with a sanitized copy before anything renders it.
    pub html: Option<String>,
    /// The links in the message, shown as text and never followed.
    pub links: Vec<MessageLink>,
}

/// A link found in a message.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MessageLink {
    pub text: String,
    pub url: String,
}

/// The sender-authentication verdict of an email (DKIM and DMARC).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SenderAuth {
    /// `pass` (a signature verified), `fail`, `neutral`, `permerror`,
    /// `temperror` or `none` (unsigned).
    pub dkim: String,
    /// Domains whose DKIM signatures verified.
    #[serde(default)]
    pub dkim_domains: Vec<String>,
    /// DMARC alignment: `pass`, `fail`, `none` (no policy), `temperror`,
    /// `permerror`.
    pub dmarc: String,
    /// The From header's domain.
    pub from_domain: String,
    /// The sender claims a well-known app domain but fails authentication:
    /// its code is shown with a warning and never used automatically.
    pub flagged: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Filters for the inbox.
#[derive(Clone, Debug, Default)]
pub struct InboxQuery {
    pub account_id: Option<String>,
    pub limit: Option<i64>,
    /// `email` or `sms`.
    pub channel: Option<String>,
    /// Only messages with a code.
    pub has_code: bool,
    /// Words to find (each whole, any case) in the sender, subject, code or
    /// text: messages holding all of them.
    pub search: Option<String>,
    /// RFC 3339 bounds on the received time (inclusive).
    pub since: Option<String>,
    pub until: Option<String>,
    /// A message id: only messages older than that one (the next page
    /// after a page whose last message it was).
    pub before: Option<String>,
}

fn parse_bound(name: &str, v: Option<&str>) -> Result<Option<orthrus_core::Timestamp>> {
    match v.filter(|s| !s.trim().is_empty()) {
        None => Ok(None),
        Some(s) => orthrus_core::Timestamp::parse_rfc3339(s.trim())
            .map(Some)
            .ok_or_else(|| {
                AppError::invalid(
                    "inbox.bad_filter",
                    format!("{name} must be an RFC 3339 time such as 2026-11-22T09:00:00Z"),
                )
            }),
    }
}

/// What is sealed per message, besides the raw bytes (see [`pack`]).
#[derive(Serialize, Deserialize)]
pub(crate) struct Sealed {
    pub(crate) subject: Option<String>,
    pub(crate) preview: String,
    pub(crate) code: Option<String>,
    pub(crate) confirm_link: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) auth: Option<SenderAuth>,
    /// Only in rows written before raw messages were compressed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) raw: Option<String>,
}

/// Version byte of the compressed payload. Older rows are plain JSON and
/// start with `{`.
const PACKED_V1: u8 = 1;
/// Largest payload [`unpack`] inflates (the largest accepted message is 64 MiB).
const MAX_UNPACKED: u64 = 80 * 1024 * 1024;

/// The plaintext that is sealed for one message: `0x01` then
/// zlib(u32 big-endian JSON length, the JSON fields, the raw message bytes).
/// Raw messages are kept byte for byte (not re-encoded) and compressed.
pub(crate) fn pack(fields: &Sealed, raw: &[u8]) -> Result<Vec<u8>> {
    use std::io::Write;
    let json = serde_json::to_vec(fields).map_err(|e| AppError::Internal(e.to_string()))?;
    let len = u32::try_from(json.len())
        .map_err(|_| AppError::Internal("message fields too large".into()))?;
    let mut z = flate2::write::ZlibEncoder::new(vec![PACKED_V1], flate2::Compression::default());
    let io = |e: std::io::Error| AppError::Internal(format!("compressing a message: {e}"));
    z.write_all(&len.to_be_bytes()).map_err(io)?;
    z.write_all(&json).map_err(io)?;
    z.write_all(raw).map_err(io)?;
    z.finish().map_err(io)
}

/// Reverses [`pack`]; also reads rows written as plain JSON.
pub(crate) fn unpack(bytes: &[u8]) -> Result<(Sealed, Vec<u8>)> {
    use std::io::Read;
    let bad = |what: &str| AppError::Internal(format!("stored message is damaged: {what}"));
    match bytes.first() {
        Some(b'{') => {
            let mut s: Sealed = serde_json::from_slice(bytes).map_err(|e| bad(&e.to_string()))?;
            let raw = s.raw.take().unwrap_or_default().into_bytes();
            Ok((s, raw))
        }
        Some(&PACKED_V1) => {
            let mut out = Vec::new();
            flate2::read::ZlibDecoder::new(&bytes[1..])
                .take(MAX_UNPACKED + 1)
                .read_to_end(&mut out)
                .map_err(|e| bad(&e.to_string()))?;
            if out.len() as u64 > MAX_UNPACKED {
                return Err(bad("too large"));
            }
            let (len, rest) = out
                .split_first_chunk::<4>()
                .ok_or_else(|| bad("truncated"))?;
            let len = u32::from_be_bytes(*len) as usize;
            if rest.len() < len {
                return Err(bad("truncated"));
            }
            let s: Sealed =
                serde_json::from_slice(&rest[..len]).map_err(|e| bad(&e.to_string()))?;
            Ok((s, rest[len..].to_vec()))
        }
        _ => Err(bad("unknown format")),
    }
}

/// The fields of a packed message ([`pack`]) without inflating the raw
/// message behind them: what a listing needs.
pub(crate) fn unpack_fields(bytes: &[u8]) -> Result<Sealed> {
    use std::io::Read;
    let bad = |what: &str| AppError::Internal(format!("stored message is damaged: {what}"));
    match bytes.first() {
        Some(&PACKED_V1) => {
            let mut z = flate2::read::ZlibDecoder::new(&bytes[1..]);
            let mut len = [0u8; 4];
            z.read_exact(&mut len).map_err(|e| bad(&e.to_string()))?;
            let len = u64::from(u32::from_be_bytes(len));
            if len > MAX_UNPACKED {
                return Err(bad("too large"));
            }
            let mut json = Vec::new();
            z.take(len)
                .read_to_end(&mut json)
                .map_err(|e| bad(&e.to_string()))?;
            if json.len() as u64 != len {
                return Err(bad("truncated"));
            }
            serde_json::from_slice(&json).map_err(|e| bad(&e.to_string()))
        }
        _ => unpack(bytes).map(|(s, _)| s),
    }
}

/// The verdict judged the From domain mail-auth read; the inbox shows the
/// one mail-parser read. If they differ, the header is ambiguous: flagged.
fn judge_from(mut a: SenderAuth, shown: Option<&str>) -> SenderAuth {
    let shown = shown.unwrap_or_default();
    if !shown.is_empty() && !a.from_domain.is_empty() && shown != a.from_domain {
        a.flagged = true;
        a.reason = Some(format!(
            "shows sender domain {shown} but was checked as {}: its From header is ambiguous",
            a.from_domain
        ));
    }
    a
}

fn slug(label: &str) -> String {
    let mut s: String = label
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    s.truncate(24);
    let s = s.trim_end_matches('-').to_owned();
    if s.is_empty() { "account".into() } else { s }
}

impl App {
    /// Wakes inbox waiters (called after a message is stored or marked used).
    pub(crate) fn message_arrived(&self, workspace: orthrus_core::WorkspaceId, account: AccountId) {
        self.publish(crate::Change::Inbox { workspace, account });
    }

    /// Waits up to `timeout_secs` for the next message of the account after
    /// `since` (RFC 3339; default now) that carries a code or a link.
    /// Flagged messages (a well-known sender failing authentication) are
    /// never returned: automations must not act on them.
    pub async fn wait_for_message(
        &self,
        actor: &Actor,
        id: &str,
        since: Option<&str>,
        timeout_secs: u64,
    ) -> Result<Option<InboxItem>> {
        let (_, subject) = self.account_for(actor, id).await?;
        self.check_subject(actor, subject, Action::ViewInbox)?;
        let since = match since.filter(|s| !s.is_empty()) {
            Some(s) => orthrus_core::Timestamp::parse_rfc3339(s).ok_or_else(|| {
                AppError::invalid(
                    "inbox.bad_since",
                    format!("since must be an RFC 3339 time, got {s:?}"),
                )
            })?,
            None => self.now(),
        };
        self.wait_for_next_message(actor, id, since, None, timeout_secs, None)
            .await
    }

    /// Like [`App::wait_for_message`], from a cursor: messages at `since`
    /// up to and including message `after` (of that same time) are
    /// skipped. Automations pass the last message they used, so another
    /// message of the same millisecond is not lost.
    ///
    /// Only messages `senders` accepts (else the rules registered for the
    /// account's app, if any) are returned: automations act on the app's
    /// own mail and texts only.
    pub async fn wait_for_next_message(
        &self,
        actor: &Actor,
        id: &str,
        since: orthrus_core::Timestamp,
        after: Option<EventId>,
        timeout_secs: u64,
        senders: Option<&crate::AppSenders>,
    ) -> Result<Option<InboxItem>> {
        let (a, subject) = self.account_for(actor, id).await?;
        self.check_subject(actor, subject, Action::ViewInbox)?;
        let senders = senders.or_else(|| self.app_senders(&a.app));
        let deadline =
            tokio::time::Instant::now() + std::time::Duration::from_secs(timeout_secs.min(120));
        // The last message looked at: everything up to it was rejected
        // (no code, or flagged), so neither a wake-up nor a flood of
        // flagged mail makes us look at it again or stop short of the rest.
        let mut after: Option<(orthrus_core::Timestamp, EventId)> = after.map(|m| (since, m));
        const PAGE: i64 = 200;
        // Listen before looking, so a message stored in between (by this
        // node or, on PostgreSQL, another) wakes us.
        let mut changes = self.watch_changes();
        let (ws, account, user) = (actor.workspace_id, a.id, actor.user_id);
        let mut woken = false;
        loop {
            if woken {
                // The wait lasts up to two minutes: whatever woke us, the
                // caller must still be signed in (401 otherwise) and still
                // see the account's inbox (404/403 as at the start) before
                // anything is handed out.
                let now_actor = self.still_signed_in(actor).await?;
                let (_, subject) = self.account_for(&now_actor, id).await?;
                self.check_subject(&now_actor, subject, Action::ViewInbox)?;
            }
            loop {
                let (from, after_id) = after.map_or((since, None), |(t, id)| (t, Some(id)));
                let rows = self
                    .inner
                    .store
                    .messages_since(actor.workspace_id, a.id, from, after_id, PAGE)
                    .await?;
                let before = after;
                let fetched = rows.len();
                let mut fresh = rows
                    .into_iter()
                    .filter(|m| before.is_none_or(|last| (m.received_at, m.id) > last))
                    .peekable();
                // Opened off the async threads, a few at a time: the first
                // usable message usually ends the wait.
                while fresh.peek().is_some() {
                    let batch: Vec<InboxMessageRow> = fresh.by_ref().take(16).collect();
                    for (m, item) in self.open_items(batch).await? {
                        if (item.code.is_some() || item.confirm_link.is_some())
                            && !item.flagged()
                            && senders.is_none_or(|s| s.judge(&item).is_none())
                        {
                            return Ok(Some(item));
                        }
                        after = Some((m.received_at, m.id));
                    }
                }
                if (fetched as i64) < PAGE || after == before {
                    break;
                }
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            // Woken by this account's next message or the caller's
            // sign-ins or access changing (from any node), or a resync; no
            // polling on PostgreSQL (on SQLite, another process on the file
            // may store it: look again every second).
            let mine = |c: &crate::Change| match c {
                crate::Change::Inbox {
                    workspace,
                    account: acc,
                } => *workspace == ws && *acc == account,
                crate::Change::Access { workspace, user: u } => *workspace == ws && *u == user,
                _ => false,
            };
            let wait = (deadline - now).min(
                self.unheard_writes_recheck()
                    .unwrap_or(std::time::Duration::MAX),
            );
            let _ = tokio::time::timeout(wait, changes.until(mine)).await;
            woken = true;
        }
    }

    /// Marks a message's code used.
    /// `account_id`, when given (the API), must be the message's account.
    pub async fn mark_message_used(
        &self,
        actor: &Actor,
        message_id: &str,
        account_id: Option<&str>,
    ) -> Result<()> {
        let mid: EventId = message_id
            .parse()
            .map_err(|_| AppError::NotFound(Entity::Message))?;
        let m = self
            .inner
            .store
            .get_message(actor.workspace_id, mid)
            .await?
            .ok_or(AppError::NotFound(Entity::Message))?;
        let (a, subject) = self
            .account_for(actor, account_id.unwrap_or(&m.account_id.to_string()))
            .await?;
        self.check_subject(actor, subject, Action::ViewInbox)?;
        if m.account_id != a.id {
            return Err(AppError::NotFound(Entity::Message));
        }
        self.inner
            .store
            .mark_message_used(actor.workspace_id, mid, self.now())
            .await?;
        self.message_arrived(actor.workspace_id, a.id);
        self.audit(
            actor,
            Event::new(AuditAction::InboxMessageUsed).target("message", mid),
        )
        .await
    }

    /// Deletes messages older than each workspace's retention period (the
    /// server default where a workspace has not set one); returns how many.
    /// Run through [`App::purge_old_messages`], one node at a time.
    pub(crate) async fn purge_expired_messages(&self) -> Result<u64> {
        let mut deleted = 0;
        let mut failed = None;
        for (ws, days) in self.inner.store.inbox_retentions().await? {
            let days = days
                .unwrap_or(self.inner.config.inbox_retention_days)
                .max(1);
            let before = self.now().plus_seconds(-days * 86400);
            // One workspace failing does not keep the others' old mail.
            match self.inner.store.purge_messages(ws, before).await {
                Ok(n) => deleted += n,
                Err(e) => {
                    tracing::warn!(workspace = %ws, error = %e, "inbox purge failed");
                    failed = Some(e);
                }
            }
        }
        match failed {
            Some(e) if deleted == 0 => Err(e.into()),
            _ => Ok(deleted),
        }
    }

    /// The workspace's inbox retention in days (its own or the server's).
    pub async fn inbox_retention_days(&self, actor: &Actor) -> Result<i64> {
        Ok(self
            .inner
            .store
            .inbox_retentions()
            .await?
            .into_iter()
            .find(|(ws, _)| *ws == actor.workspace_id)
            .and_then(|(_, d)| d)
            .unwrap_or(self.inner.config.inbox_retention_days))
    }

    /// Sets how long the workspace keeps inbox messages (1–3650 days);
    /// `None` goes back to the server's default. Workspace Owners.
    pub async fn set_inbox_retention(&self, actor: &Actor, days: Option<i64>) -> Result<i64> {
        self.check(actor, Action::ManageWorkspaceSettings)?;
        if let Some(d) = days
            && !(1..=3650).contains(&d)
        {
            return Err(AppError::invalid(
                "workspace.invalid_retention",
                "keep inbox messages between 1 and 3650 days",
            ));
        }
        self.inner
            .store
            .set_inbox_retention(actor.workspace_id, days)
            .await?;
        let effective = self.inbox_retention_days(actor).await?;
        self.audit(
            actor,
            Event::new(AuditAction::WorkspaceInboxRetentionChange)
                .detail(serde_json::json!({"days": days, "effective_days": effective})),
        )
        .await?;
        Ok(effective)
    }

    /// One message with its bodies, for the message view. The HTML body is
    /// returned as sent: callers must sanitize it before rendering.
    pub async fn inbox_message(&self, actor: &Actor, message_id: &str) -> Result<MessageDetail> {
        let (m, item, raw) = self.message_for(actor, message_id).await?;
        let bodies = if m.channel == Channel::Email {
            self.blocking(move || orthrus_extract::email_bodies(&raw))
                .await?
        } else {
            orthrus_extract::EmailBodies {
                text: Some(String::from_utf8_lossy(&raw).into_owned()),
                ..Default::default()
            }
        };
        Ok(MessageDetail {
            item,
            recipient: m.recipient.clone(),
            to: bodies.to,
            date: bodies.date,
            text: bodies.text,
            html: bodies.html,
            links: bodies
                .links
                .into_iter()
                .map(|(text, url)| MessageLink { text, url })
                .collect(),
        })
    }

    /// A message the actor may see in the inbox: its row, the item and the
    /// raw bytes. Unknown ids and other people's messages are both 404.
    pub(crate) async fn message_for(
        &self,
        actor: &Actor,
        message_id: &str,
    ) -> Result<(InboxMessageRow, InboxItem, Vec<u8>)> {
        let mid: EventId = message_id
            .parse()
            .map_err(|_| AppError::NotFound(Entity::Message))?;
        let m = self
            .inner
            .store
            .get_message(actor.workspace_id, mid)
            .await?
            .ok_or(AppError::NotFound(Entity::Message))?;
        // Not seeing the account and not existing look the same; other
        // errors (2FA enrolment required, storage) stay what they are.
        let hide = |e: AppError| match e {
            AppError::NotFound(_) | AppError::Forbidden => AppError::NotFound(Entity::Message),
            other => other,
        };
        let (account, subject) = self
            .account_for(actor, &m.account_id.to_string())
            .await
            .map_err(hide)?;
        self.check_subject(actor, subject, Action::ViewInbox)
            .map_err(hide)?;
        // Decrypting and inflating a whole message: off the async threads.
        let app = self.clone();
        let (m, s, raw) = self
            .blocking(move || {
                let bytes = app.inner.envelope.open(
                    &Aad::new("inbox_messages", &m.id.to_string(), "content"),
                    &m.sealed,
                )?;
                unpack(&bytes).map(|(s, raw)| (m, s, raw))
            })
            .await??;
        let item = self.judged(self.item_from(&m, s), &account.app);
        Ok((m, item, raw))
    }

    /// Gives an account a managed address (account Owner).
    pub async fn create_managed_email(&self, actor: &Actor, id: &str) -> Result<ManagedEmail> {
        let (a, subject) = self.account_for(actor, id).await?;
        self.check_subject(actor, subject, Action::CreateManagedEmail)?;
        const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
        let suffix: String = (0..6)
            .map(|_| ALPHABET[self.random_below(ALPHABET.len())] as char)
            .collect();
        let address = format!(
            "{}-{suffix}@{}",
            slug(&a.label),
            self.inner.config.inbound_domain.to_lowercase()
        );
        let row = ManagedEmailRow {
            id: EventId::new(self.inner.clock.as_ref(), self.rng()),
            workspace_id: actor.workspace_id,
            account_id: a.id,
            address: address.clone(),
            enabled: true,
            created_by: actor.user_id,
            created_at: self.now(),
        };
        self.inner.store.create_managed_email(&row).await?;
        self.audit(
            actor,
            Event::new(AuditAction::AccountManagedEmailCreate)
                .target("account", a.id)
                .detail(serde_json::json!({"address": address})),
        )
        .await?;
        Ok(ManagedEmail {
            id: row.id.to_string(),
            address,
            enabled: true,
            created_at: row.created_at.to_rfc3339(),
        })
    }

    /// The account's managed addresses (anyone who sees the account).
    pub async fn managed_emails(&self, actor: &Actor, id: &str) -> Result<Vec<ManagedEmail>> {
        let (a, _) = self.account_for(actor, id).await?;
        Ok(self
            .inner
            .store
            .managed_emails_for(actor.workspace_id, a.id)
            .await?
            .into_iter()
            .map(|m| ManagedEmail {
                id: m.id.to_string(),
                address: m.address,
                enabled: m.enabled,
                created_at: m.created_at.to_rfc3339(),
            })
            .collect())
    }

    /// Whether the SMTP listener should accept mail for `address`.
    pub async fn smtp_accepts(&self, address: &str) -> Result<bool> {
        Ok(self
            .inner
            .store
            .find_managed_email(&address.trim().to_lowercase())
            .await?
            .is_some_and(|m| m.enabled))
    }

    /// Stores one delivered message for each enabled recipient, with the
    /// sender-authentication verdict the listener computed; returns how
    /// many were stored (duplicates by Message-ID are dropped). Only returns
    /// once the rows are committed, so the SMTP answer 250 means stored.
    pub async fn ingest_email(
        &self,
        recipients: &[String],
        raw: &[u8],
        auth: Option<SenderAuth>,
    ) -> Result<usize> {
        // Parsing, extraction and compression are CPU work: off the async
        // threads, and done once however many recipients there are.
        let data = raw.to_vec();
        let (x, packed, words) = self
            .blocking(move || {
                let x = orthrus_extract::extract_email(&data);
                // The search index's words (inbox_search.rs).
                let words = crate::inbox_search::message_words(
                    Channel::Email,
                    x.sender.as_deref().unwrap_or(""),
                    x.subject.as_deref(),
                    x.code.as_deref(),
                    &data,
                );
                let auth = auth.map(|a| judge_from(a, x.from_domain.as_deref()));
                let fields = Sealed {
                    subject: x.subject.clone(),
                    preview: x.text_preview.clone(),
                    code: x.code.clone(),
                    confirm_link: x.confirm_link.clone(),
                    auth,
                    raw: None,
                };
                pack(&fields, &data).map(|p| (x, p, words))
            })
            .await??;
        let dedup = match &x.message_id {
            Some(m) if !m.is_empty() => m.clone(),
            // No Message-ID: the same bytes are the same message.
            _ => self.inner.token_hasher.hash_parts(&[b"message", raw]),
        };
        let mut targets: Vec<_> = Vec::new();
        for rcpt in recipients {
            if let Some(m) = self
                .inner
                .store
                .find_managed_email(&rcpt.trim().to_lowercase())
                .await?
                .filter(|m| m.enabled)
            {
                // One copy per managed address, however often it was named.
                if !targets
                    .iter()
                    .any(|t: &ManagedEmailRow| t.address == m.address)
                {
                    targets.push(m);
                }
            }
        }
        // Sealing is CPU work as well (a whole message per recipient).
        let app = self.clone();
        let (targets, sealed) = self
            .blocking(move || {
                let sealed = targets
                    .iter()
                    .map(|_| {
                        let id = EventId::new(app.inner.clock.as_ref(), app.rng());
                        app.seal_content(id, &packed).map(|s| (id, s))
                    })
                    .collect::<Result<Vec<_>>>();
                (targets, sealed)
            })
            .await?;
        let sealed = sealed?;
        // Every recipient's quota is checked before anything is stored: a
        // message that does not fit is refused whole (SMTP 552), never
        // kept for some recipients and lost for others.
        for (m, (_, s)) in targets.iter().zip(&sealed) {
            let size = i64::try_from(s.len()).unwrap_or(i64::MAX);
            self.inbox_room(m.workspace_id, &m.address, size, false)
                .await?;
        }
        let mut stored = 0;
        for (m, (id, sealed)) in targets.into_iter().zip(sealed) {
            let row = InboxMessageRow {
                id,
                workspace_id: m.workspace_id,
                account_id: m.account_id,
                channel: Channel::Email,
                recipient: m.address.clone(),
                sender: x
                    .sender
                    .clone()
                    .unwrap_or_default()
                    .chars()
                    .take(320)
                    .collect(),
                dedup_key: dedup.chars().take(500).collect(),
                sealed,
                has_code: x.code.is_some(),
                received_at: self.now(),
                used_at: None,
            };
            if self.inner.store.insert_message(&row).await? {
                self.index_message(row.workspace_id, row.id, &words).await;
                self.message_arrived(row.workspace_id, row.account_id);
                stored += 1;
            }
        }
        Ok(stored)
    }

    /// Seals a message's packed content ([`pack`]) under its row id.
    pub(crate) fn seal_content(&self, id: EventId, packed: &[u8]) -> Result<Vec<u8>> {
        Ok(self.inner.envelope.seal(
            self.rng(),
            &Aad::new("inbox_messages", &id.to_string(), "content"),
            packed,
        )?)
    }

    /// Opens a listed message: decrypts it and inflates only its fields,
    /// not the raw message behind them. CPU work: see [`App::open_items`].
    fn open_message(&self, m: &InboxMessageRow) -> Result<InboxItem> {
        let bytes = self.inner.envelope.open(
            &Aad::new("inbox_messages", &m.id.to_string(), "content"),
            &m.sealed,
        )?;
        let s = unpack_fields(&bytes)?;
        Ok(self.item_from(m, s))
    }

    /// Opens rows for a listing off the async threads (issue 11): a page
    /// of large messages is seconds of decryption that would otherwise
    /// stall every other request on the same thread.
    async fn open_items(
        &self,
        rows: Vec<InboxMessageRow>,
    ) -> Result<Vec<(InboxMessageRow, InboxItem)>> {
        let app = self.clone();
        self.blocking(move || {
            rows.into_iter()
                .map(|m| app.open_message(&m).map(|item| (m, item)))
                .collect()
        })
        .await?
    }

    /// The item with why automations leave it alone, by the rules of the
    /// account's app (none registered: nothing to say).
    fn judged(&self, mut item: InboxItem, app: &str) -> InboxItem {
        item.automation_refusal = self.app_senders(app).and_then(|s| s.judge(&item));
        item
    }

    fn item_from(&self, m: &InboxMessageRow, s: Sealed) -> InboxItem {
        InboxItem {
            id: m.id.to_string(),
            account_id: m.account_id.to_string(),
            channel: m.channel,
            sender: m.sender.clone(),
            subject: s.subject,
            preview: s.preview,
            received_at: m.received_at.to_rfc3339(),
            code: s.code,
            confirm_link: s.confirm_link,
            used_at: m.used_at.map(|t| t.to_rfc3339()),
            auth: s.auth,
            automation_refusal: None,
        }
    }

    /// The shared inbox, newest first: messages of the accounts whose inbox
    /// the caller may see (members, workspace Owners and Super Admins).
    pub async fn list_inbox(&self, actor: &Actor, q: &InboxQuery) -> Result<Vec<InboxItem>> {
        // The app of each account, for the reason automations refuse a message.
        let mut apps: std::collections::HashMap<AccountId, String> = Default::default();
        let accounts: Vec<AccountId> = match q.account_id.as_deref().filter(|s| !s.is_empty()) {
            Some(id) => {
                let (a, subject) = self.account_for(actor, id).await?;
                self.check_subject(actor, subject, Action::ViewInbox)?;
                apps.insert(a.id, a.app.clone());
                vec![a.id]
            }
            None => {
                let all = self
                    .list_accounts(actor, self.permits(actor, Action::ReachEveryAccount))
                    .await?;
                all.into_iter()
                    .filter(|a| {
                        orthrus_core::policy::decide(
                            Subject {
                                workspace_role: actor.role,
                                account_role: a.my_role,
                            },
                            Action::ViewInbox,
                        ) == orthrus_core::Decision::Allow
                    })
                    .filter_map(|a| {
                        let id: AccountId = a.id.parse().ok()?;
                        apps.insert(id, a.app);
                        Some(id)
                    })
                    .collect()
            }
        };
        let limit = q.limit.unwrap_or(100).clamp(1, 500);
        let channel = q
            .channel
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| {
                c.parse::<Channel>().map_err(|_| {
                    AppError::invalid("inbox.bad_filter", "channel must be email or sms")
                })
            })
            .transpose()?;
        let since = parse_bound("since", q.since.as_deref())?;
        let until = parse_bound("until", q.until.as_deref())?;
        let ws = actor.workspace_id;
        let words = match q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Vec::new(),
            Some(text) => match self.search_hashes(ws, text)? {
                Some(w) => w,
                // Only punctuation: no message holds no words.
                None => return Ok(Vec::new()),
            },
        };
        let before = match q.before.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(id) => {
                let id: EventId = id.parse().map_err(|_| {
                    AppError::invalid("inbox.bad_filter", "before must be the id of a message")
                })?;
                // A message that is gone (purged by retention, which goes
                // oldest first) or not visible here ends the paging.
                match self
                    .inner
                    .store
                    .get_message(ws, id)
                    .await?
                    .filter(|m| accounts.contains(&m.account_id))
                {
                    Some(m) => Some((m.received_at, m.id)),
                    None => return Ok(Vec::new()),
                }
            }
        };
        // Every filter is applied in SQL: paging and search reach every
        // retained message, not only the newest few hundred.
        let rows = self
            .inner
            .store
            .list_messages(
                ws,
                &orthrus_store::MessageFilter {
                    accounts,
                    channel,
                    has_code: q.has_code,
                    since,
                    until,
                    before,
                    words,
                    limit,
                },
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for (m, item) in self.open_items(rows).await? {
            out.push(match apps.get(&m.account_id) {
                Some(app) => self.judged(item, app),
                None => item,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn slugs_are_readable() {
        assert_eq!(super::slug("Brand Instagram!"), "brand-instagram");
        assert_eq!(super::slug("   "), "account");
        assert_eq!(super::slug("Ünïcode & Co"), "n-code-co");
    }

    fn fields() -> super::Sealed {
        super::Sealed {
            subject: Some("Your code".into()),
            preview: "Use 481920".into(),
            code: Some("481920".into()),
            confirm_link: None,
            auth: None,
            raw: None,
        }
    }

    #[test]
    fn raw_messages_are_kept_byte_for_byte_and_compressed() {
        // Latin-1 bytes that are not UTF-8, in a typical repetitive HTML mail.
        let mut raw =
            b"Subject: Code\r\nContent-Type: text/html; charset=iso-8859-1\r\n\r\n\xe9t\xe9 "
                .to_vec();
        for _ in 0..200 {
            raw.extend_from_slice(
                b"<tr><td style=\"padding:0;font-family:Arial\">&nbsp;</td></tr>\r\n",
            );
        }
        let packed = super::pack(&fields(), &raw).unwrap();
        assert!(
            packed.len() * 5 < raw.len(),
            "{} vs {}",
            packed.len(),
            raw.len()
        );
        let (s, back) = super::unpack(&packed).unwrap();
        assert_eq!(back, raw);
        assert_eq!(s.code.as_deref(), Some("481920"));
    }

    #[test]
    fn rows_written_before_compression_still_open() {
        let legacy =
            br#"{"subject":null,"preview":"p","code":"1234","confirm_link":null,"raw":"From: a"}"#;
        let (s, raw) = super::unpack(legacy).unwrap();
        assert_eq!(
            (s.code.as_deref(), raw.as_slice()),
            (Some("1234"), &b"From: a"[..])
        );
    }

    #[test]
    fn listing_reads_the_fields_without_the_raw_message() {
        let raw = vec![b'x'; 1 << 20];
        let packed = super::pack(&fields(), &raw).unwrap();
        let s = super::unpack_fields(&packed).unwrap();
        assert_eq!(s.code.as_deref(), Some("481920"));
        let legacy =
            br#"{"subject":null,"preview":"p","code":"1234","confirm_link":null,"raw":"From: a"}"#;
        assert_eq!(
            super::unpack_fields(legacy).unwrap().code.as_deref(),
            Some("1234")
        );
        for bad in [&b""[..], b"\x01not zlib", &packed[..6]] {
            assert!(super::unpack_fields(bad).is_err());
        }
    }

    #[test]
    fn damaged_payloads_are_errors_not_panics() {
        let packed = super::pack(&fields(), b"raw").unwrap();
        for bad in [
            &b""[..],
            b"\x02abc",
            &packed[..packed.len() / 2],
            b"\x01not zlib",
        ] {
            assert!(super::unpack(bad).is_err());
        }
    }
}
