//! Managed email addresses and the shared inbox: every message to an
//! account's managed address is stored sealed with its code and confirmation
//! link already pulled out (`orthrus-extract`), for the members who may see
//! the account's inbox.

use crate::audit::Event;
use crate::{Action, Actor, App, AppError, Result};
use orthrus_core::{AccountId, EventId, Subject};
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
    pub channel: String,
    pub sender: String,
    pub subject: Option<String>,
    pub preview: String,
    pub received_at: String,
    pub code: Option<String>,
    pub confirm_link: Option<String>,
}

/// Filters for the inbox.
#[derive(Clone, Debug, Default)]
pub struct InboxQuery {
    pub account_id: Option<String>,
    pub limit: Option<i64>,
}

/// What is sealed per message.
#[derive(Serialize, Deserialize)]
struct Sealed {
    subject: Option<String>,
    preview: String,
    code: Option<String>,
    confirm_link: Option<String>,
    raw: Option<String>,
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
    /// Wakes inbox waiters (called after any message is stored).
    pub(crate) fn message_arrived(&self) {
        self.inner.new_message.notify_waiters();
    }

    /// Resolves when the next message is stored by this process. Create it
    /// before looking at the inbox so that nothing stored in between is
    /// missed; other nodes' messages do not wake it, so poll as well.
    pub fn message_stored(&self) -> tokio::sync::futures::Notified<'_> {
        self.inner.new_message.notified()
    }

    /// Waits up to `timeout_secs` for the next message of the account after
    /// `since` (RFC 3339; default now) that carries a code or a link.
    pub async fn wait_for_message(
        &self,
        actor: &Actor,
        id: &str,
        since: Option<&str>,
        timeout_secs: u64,
    ) -> Result<Option<InboxItem>> {
        let (a, subject) = self.account_for(actor, id).await?;
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
        let deadline =
            tokio::time::Instant::now() + std::time::Duration::from_secs(timeout_secs.min(120));
        loop {
            // Register interest before looking, so a message stored in between wakes us.
            let notified = self.inner.new_message.notified();
            for m in self
                .inner
                .store
                .messages_since(actor.workspace_id, a.id, since, 50)
                .await?
            {
                let item = self.open_message(&m)?;
                if item.code.is_some() || item.confirm_link.is_some() {
                    return Ok(Some(item));
                }
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            // Another node may store it: look again at least every second.
            let _ = tokio::time::timeout(
                (deadline - now).min(std::time::Duration::from_secs(1)),
                notified,
            )
            .await;
        }
    }

    /// Marks a message's code used.
    pub async fn mark_message_used(
        &self,
        actor: &Actor,
        message_id: &str,
        account_id: &str,
    ) -> Result<()> {
        let (a, subject) = self.account_for(actor, account_id).await?;
        self.check_subject(actor, subject, Action::ViewInbox)?;
        let mid: EventId = message_id
            .parse()
            .map_err(|_| AppError::NotFound("message"))?;
        let msgs = self
            .inner
            .store
            .list_messages(actor.workspace_id, &[a.id], 500)
            .await?;
        if !msgs.iter().any(|m| m.id == mid) {
            return Err(AppError::NotFound("message"));
        }
        self.inner
            .store
            .mark_message_used(actor.workspace_id, mid, self.now())
            .await?;
        self.audit(
            actor,
            Event::new("inbox.message_used").target("message", mid),
        )
        .await
    }

    /// Deletes messages older than the retention period; returns how many.
    pub async fn purge_old_messages(&self) -> Result<u64> {
        let before = self
            .now()
            .plus_seconds(-self.inner.config.inbox_retention_days.max(1) * 86400);
        Ok(self.inner.store.purge_messages(before).await?)
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
            Event::new("account.managed_email_create")
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

    /// Stores one delivered message for each enabled recipient; returns how
    /// many were stored (duplicates by Message-ID are dropped). Only returns
    /// once the rows are committed, so the SMTP answer 250 means stored.
    pub async fn ingest_email(&self, recipients: &[String], raw: &[u8]) -> Result<usize> {
        let data = raw.to_vec();
        let x = self
            .blocking(move || orthrus_extract::extract_email(&data))
            .await?;
        let dedup = match &x.message_id {
            Some(m) if !m.is_empty() => m.clone(),
            // No Message-ID: the same bytes are the same message.
            _ => self.inner.token_hasher.hash_parts(&[b"message", raw]),
        };
        let mut stored = 0;
        for rcpt in recipients {
            let Some(m) = self
                .inner
                .store
                .find_managed_email(&rcpt.trim().to_lowercase())
                .await?
            else {
                continue;
            };
            if !m.enabled {
                continue;
            }
            let id = EventId::new(self.inner.clock.as_ref(), self.rng());
            let sealed = Sealed {
                subject: x.subject.clone(),
                preview: x.text_preview.clone(),
                code: x.code.clone(),
                confirm_link: x.confirm_link.clone(),
                raw: Some(String::from_utf8_lossy(raw).into_owned()),
            };
            let bytes =
                serde_json::to_vec(&sealed).map_err(|e| AppError::Internal(e.to_string()))?;
            let row = InboxMessageRow {
                id,
                workspace_id: m.workspace_id,
                account_id: m.account_id,
                channel: "email".into(),
                recipient: m.address.clone(),
                sender: x
                    .sender
                    .clone()
                    .unwrap_or_default()
                    .chars()
                    .take(320)
                    .collect(),
                dedup_key: dedup.chars().take(500).collect(),
                sealed: self.inner.envelope.seal(
                    self.rng(),
                    &Aad::new("inbox_messages", &id.to_string(), "content"),
                    &bytes,
                )?,
                has_code: x.code.is_some(),
                received_at: self.now(),
                used_at: None,
            };
            if self.inner.store.insert_message(&row).await? {
                stored += 1;
            }
        }
        if stored > 0 {
            self.message_arrived();
        }
        Ok(stored)
    }

    fn open_message(&self, m: &InboxMessageRow) -> Result<InboxItem> {
        let bytes = self.inner.envelope.open(
            &Aad::new("inbox_messages", &m.id.to_string(), "content"),
            &m.sealed,
        )?;
        let s: Sealed =
            serde_json::from_slice(&bytes).map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(InboxItem {
            id: m.id.to_string(),
            account_id: m.account_id.to_string(),
            channel: m.channel.clone(),
            sender: m.sender.clone(),
            subject: s.subject,
            preview: s.preview,
            received_at: m.received_at.to_rfc3339(),
            code: s.code,
            confirm_link: s.confirm_link,
        })
    }

    /// The shared inbox, newest first: messages of the accounts whose inbox
    /// the caller may see (members, workspace Owners and Super Admins).
    pub async fn list_inbox(&self, actor: &Actor, q: &InboxQuery) -> Result<Vec<InboxItem>> {
        let accounts: Vec<AccountId> = match q.account_id.as_deref().filter(|s| !s.is_empty()) {
            Some(id) => {
                let (a, subject) = self.account_for(actor, id).await?;
                self.check_subject(actor, subject, Action::ViewInbox)?;
                vec![a.id]
            }
            None => {
                let all = self
                    .list_accounts(actor, actor.role >= orthrus_core::WorkspaceRole::SuperAdmin)
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
                    .filter_map(|a| a.id.parse().ok())
                    .collect()
            }
        };
        let rows = self
            .inner
            .store
            .list_messages(actor.workspace_id, &accounts, q.limit.unwrap_or(100))
            .await?;
        rows.iter().map(|m| self.open_message(m)).collect()
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
}
