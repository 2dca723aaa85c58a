//! Waiting for an account's next message (inbox wait, live pages), marking a
//! code used, and how long messages are kept.

use super::*;
use crate::AuditAction;
use crate::InvalidCode;
use crate::audit::Event;
use crate::{Action, Actor, App, AppError, Entity, Result};
use orthrus_core::AuditTarget;
use orthrus_core::{AccountId, EventId};
use orthrus_store::InboxMessageRow;

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
        let (a, subject) = self.account_for_text(actor, id).await?;
        self.check_subject(actor, subject, Action::ViewInbox)?;
        let since = match since.filter(|s| !s.is_empty()) {
            Some(s) => orthrus_core::Timestamp::parse_rfc3339(s).ok_or_else(|| {
                AppError::invalid(
                    InvalidCode::InboxBadSince,
                    format!("since must be an RFC 3339 time, got {s:?}"),
                )
            })?,
            None => self.now(),
        };
        self.wait_for_next_message(actor, a.id, since, None, timeout_secs, None)
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
        id: AccountId,
        since: orthrus_core::Timestamp,
        after: Option<EventId>,
        timeout_secs: u64,
        senders: Option<&crate::AppSenders>,
    ) -> Result<Option<InboxItem>> {
        let a = self.account_allowing(actor, id, Action::ViewInbox).await?;
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
                    .store()
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
        mid: EventId,
        account_id: Option<&str>,
    ) -> Result<()> {
        let m = self.message_row(actor, mid).await?;
        let (a, subject) = match account_id {
            Some(id) => self.account_for_text(actor, id).await?,
            None => self.account_for(actor, m.account_id).await?,
        };
        self.check_subject(actor, subject, Action::ViewInbox)?;
        if m.account_id != a.id {
            return Err(AppError::NotFound(Entity::Message));
        }
        self.store()
            .mark_message_used(actor.workspace_id, mid, self.now())
            .await?;
        self.message_arrived(actor.workspace_id, a.id);
        self.audit(
            actor,
            Event::new(AuditAction::InboxMessageUsed).target(AuditTarget::Message, mid),
        )
        .await
    }

    /// Deletes messages older than each workspace's retention period (the
    /// server default where a workspace has not set one); returns how many.
    /// Run through [`App::purge_old_messages`], one node at a time.
    pub(crate) async fn purge_expired_messages(&self) -> Result<u64> {
        let mut deleted = 0;
        let mut failed = None;
        for (ws, days) in self.store().inbox_retentions().await? {
            let days = days
                .unwrap_or(self.inner.config.inbox_retention_days)
                .max(1);
            let before = self.now().plus_seconds(-days * 86400);
            // One workspace failing does not keep the others' old mail.
            match self.store().purge_messages(ws, before).await {
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
            .store()
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
                InvalidCode::WorkspaceInvalidRetention,
                "keep inbox messages between 1 and 3650 days",
            ));
        }
        self.store()
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
}
