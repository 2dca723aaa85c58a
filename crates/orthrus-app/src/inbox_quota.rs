//! Rate limits and storage quotas of the shared inbox (issue 11, finding 5):
//! how many messages one managed address (or number) and one workspace may
//! receive per minute, and how many bytes they may hold. The figures come
//! from the database ([`orthrus_store::Store::inbox_usage`]), so every node
//! sharing it enforces the same limits; nothing is counted in memory.

use crate::{App, AppError, Result};
use orthrus_core::WorkspaceId;

/// The inbox limits (`[smtp]` in the configuration).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboxLimits {
    /// Messages one address or number may receive in any 60 seconds.
    pub address_messages_per_minute: i64,
    /// Messages one workspace may receive in any 60 seconds.
    pub workspace_messages_per_minute: i64,
    /// Bytes one address or number may hold (stored, sealed size).
    pub address_storage_bytes: i64,
    /// Bytes one workspace's inbox may hold.
    pub workspace_storage_bytes: i64,
}

impl Default for InboxLimits {
    fn default() -> Self {
        Self {
            address_messages_per_minute: 60,
            workspace_messages_per_minute: 600,
            address_storage_bytes: 100 * 1024 * 1024,
            workspace_storage_bytes: 1024 * 1024 * 1024,
        }
    }
}

/// Whether the SMTP listener takes mail for an address now.
#[derive(Debug)]
pub enum Admission {
    Accept,
    /// Not an enabled managed address (550).
    Unknown,
    /// The address or its workspace refuses more for now: an
    /// [`AppError::InboxRateLimited`] or [`AppError::InboxStorageFull`].
    Refused(AppError),
}

impl App {
    /// Whether the SMTP listener should accept mail for `address` at RCPT
    /// time: it must be an enabled managed address whose inbox and
    /// workspace are within their rate limits and storage quotas.
    pub async fn smtp_admit(&self, address: &str) -> Result<Admission> {
        let Some(m) = self
            .store()
            .find_managed_email(&address.trim().to_lowercase())
            .await?
            .filter(|m| m.enabled)
        else {
            return Ok(Admission::Unknown);
        };
        match self.inbox_room(m.workspace_id, &m.address, 0, true).await {
            Ok(()) => Ok(Admission::Accept),
            Err(e @ (AppError::InboxRateLimited(_) | AppError::InboxStorageFull(_))) => {
                Ok(Admission::Refused(e))
            }
            Err(e) => Err(e),
        }
    }

    /// Checks that `recipient` of workspace `ws` may take a message of
    /// `bytes` (sealed size) now: within the storage quotas and, when
    /// `rate` is set, the per-minute rates. Called before anything is
    /// stored; two deliveries racing may both pass (see the threat model).
    pub(crate) async fn inbox_room(
        &self,
        ws: WorkspaceId,
        recipient: &str,
        bytes: i64,
        rate: bool,
    ) -> Result<()> {
        let l = &self.inner.config.inbox_limits;
        let since = self.now().plus_seconds(-60);
        let u = self.store().inbox_usage(ws, recipient, since).await?;
        if rate && u.recipient_recent >= l.address_messages_per_minute {
            return Err(AppError::InboxRateLimited(format!(
                "{recipient} received {} messages in the last minute (limit {}); try again later",
                u.recipient_recent, l.address_messages_per_minute
            )));
        }
        if rate && u.workspace_recent >= l.workspace_messages_per_minute {
            return Err(AppError::InboxRateLimited(format!(
                "the workspace received {} messages in the last minute (limit {}); try again later",
                u.workspace_recent, l.workspace_messages_per_minute
            )));
        }
        // A full inbox refuses even an empty message (bytes 0 at RCPT).
        let over = |used: i64, limit: i64| used.saturating_add(bytes.max(1)) > limit;
        if over(u.recipient_bytes, l.address_storage_bytes) {
            return Err(AppError::InboxStorageFull(format!(
                "the inbox of {recipient} is full ({} of {} bytes); delete messages or wait for the retention period",
                u.recipient_bytes, l.address_storage_bytes
            )));
        }
        if over(u.workspace_bytes, l.workspace_storage_bytes) {
            return Err(AppError::InboxStorageFull(format!(
                "the workspace inbox is full ({} of {} bytes); delete messages or wait for the retention period",
                u.workspace_bytes, l.workspace_storage_bytes
            )));
        }
        Ok(())
    }
}
