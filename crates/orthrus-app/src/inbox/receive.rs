//! Managed addresses, and storing a message that arrives for one: checked,
//! extracted, sealed, deduplicated and announced.

use super::*;
use crate::AuditAction;
use crate::audit::Event;
use crate::{Action, Actor, App, Result};
use orthrus_core::AuditTarget;
use orthrus_core::{Channel, EventId};
use orthrus_store::{InboxMessageRow, ManagedEmailRow};

impl App {
    /// Gives an account a managed address (account Owner).
    pub async fn create_managed_email(&self, actor: &Actor, id: AccountId) -> Result<ManagedEmail> {
        let a = self
            .account_allowing(actor, id, Action::CreateManagedEmail)
            .await?;
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
        self.store().create_managed_email(&row).await?;
        self.audit(
            actor,
            Event::new(AuditAction::AccountManagedEmailCreate)
                .target(AuditTarget::Account, a.id)
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
    pub async fn managed_emails(&self, actor: &Actor, id: AccountId) -> Result<Vec<ManagedEmail>> {
        let (a, _) = self.account_for(actor, id).await?;
        Ok(self
            .store()
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
            .store()
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
                .store()
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
            if self.store().insert_message(&row).await? {
                self.index_message(row.workspace_id, row.id, &words).await;
                self.message_arrived(row.workspace_id, row.account_id);
                stored += 1;
            }
        }
        Ok(stored)
    }

    /// Seals a message's packed content ([`pack`]) under its row id.
    pub(crate) fn seal_content(&self, id: EventId, packed: &[u8]) -> Result<Vec<u8>> {
        self.seal_bytes("inbox_messages", &id.to_string(), "content", packed)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn slugs_are_readable() {
        assert_eq!(crate::inbox::slug("Brand Instagram!"), "brand-instagram");
        assert_eq!(crate::inbox::slug("   "), "account");
        assert_eq!(crate::inbox::slug("Ünïcode & Co"), "n-code-co");
    }
}
