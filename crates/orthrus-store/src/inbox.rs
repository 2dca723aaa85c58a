//! The managed inbox: managed email addresses and phone numbers, inbound
//! messages (stored sealed), their search index, usage and retention, and
//! users' forwarding addresses. Part of every [`crate::Store`] through the
//! [`InboxStore`] supertrait.

use crate::models::{
    ForwardAddressRow, InboxMessageRow, InboxUsage, ManagedEmailRow, MessageFilter, PhoneNumberRow,
};
use crate::rows::{id, managed_email_row, message_row, phone_row, ts_opt};
use crate::sql::{self, sql_fmt};
use crate::{PgStore, Result, SqliteStore, StoreError};
use async_trait::async_trait;
use orthrus_core::{AccountId, EventId, Timestamp, UserId, WorkspaceId};
use sqlx::Row;
use tracing::instrument;

/// Managed addresses and numbers, inbound messages and their search index,
/// retention and forwarding.
#[async_trait]
pub trait InboxStore: Send + Sync {
    // Managed inbox
    async fn create_managed_email(&self, m: &ManagedEmailRow) -> Result<()>;
    async fn managed_emails_for(
        &self,
        ws: WorkspaceId,
        account: AccountId,
    ) -> Result<Vec<ManagedEmailRow>>;
    /// An address anywhere in the instance (SMTP routing; addresses are unique).
    async fn find_managed_email(&self, address: &str) -> Result<Option<ManagedEmailRow>>;
    async fn set_managed_email_enabled(
        &self,
        ws: WorkspaceId,
        id: EventId,
        enabled: bool,
    ) -> Result<bool>;
    async fn delete_managed_email(&self, ws: WorkspaceId, id: EventId) -> Result<bool>;
    /// Stores a message; false when the same dedup key was already stored for the account.
    async fn insert_message(&self, m: &InboxMessageRow) -> Result<bool>;
    /// Messages of the filter's accounts that match all its filters,
    /// newest first (received time, then id).
    async fn list_messages(
        &self,
        ws: WorkspaceId,
        f: &MessageFilter,
    ) -> Result<Vec<InboxMessageRow>>;
    /// Records the search index of a message: the keyed hashes of its words
    /// (the words themselves are never stored). Replaces any earlier index
    /// of it and marks it indexed; false when the message is gone.
    async fn index_message_words(
        &self,
        ws: WorkspaceId,
        id: EventId,
        words: &[String],
    ) -> Result<bool>;
    /// Messages stored before the search index existed (or whose indexing
    /// failed), anywhere in the instance, oldest first.
    async fn unindexed_messages(&self, limit: i64) -> Result<Vec<InboxMessageRow>>;
    /// Drops the whole search index and marks every message unindexed, for
    /// the backfill to rebuild (needed when the key it is hashed with
    /// changes). Returns how many messages are to be indexed again.
    async fn reset_message_index(&self) -> Result<u64>;
    /// The account's messages from `since` on (after message `after` of
    /// that same time, when given), oldest first.
    async fn messages_since(
        &self,
        ws: WorkspaceId,
        account: AccountId,
        since: Timestamp,
        after: Option<EventId>,
        limit: i64,
    ) -> Result<Vec<InboxMessageRow>>;
    async fn mark_message_used(&self, ws: WorkspaceId, id: EventId, at: Timestamp) -> Result<bool>;
    async fn get_message(&self, ws: WorkspaceId, id: EventId) -> Result<Option<InboxMessageRow>>;
    /// Deletes the workspace's messages received before `before`; returns how many.
    async fn purge_messages(&self, ws: WorkspaceId, before: Timestamp) -> Result<u64>;
    /// What the inbox of `recipient` (a managed address or number) and of
    /// its workspace hold: messages received at or after `since` and bytes
    /// stored, for rate limits and quotas. Counted in the database so every
    /// node sharing it sees the same figures.
    async fn inbox_usage(
        &self,
        ws: WorkspaceId,
        recipient: &str,
        since: Timestamp,
    ) -> Result<InboxUsage>;
    /// Each workspace's inbox retention in days (None: the server default).
    async fn inbox_retentions(&self) -> Result<Vec<(WorkspaceId, Option<i64>)>>;
    /// NotFound when there is no workspace `ws`.
    async fn set_inbox_retention(&self, ws: WorkspaceId, days: Option<i64>) -> Result<()>;

    // Forwarding addresses
    async fn forward_address(&self, user: UserId) -> Result<Option<ForwardAddressRow>>;
    /// Creates or replaces the user's forwarding address row.
    async fn save_forward_address(&self, row: &ForwardAddressRow) -> Result<()>;
    /// Counts one code attempt, atomically; false (and nothing counted) when
    /// `max` attempts were already made.
    async fn count_forward_attempt(&self, user: UserId, max: i64) -> Result<bool>;

    // Managed phone numbers
    async fn add_phone_number(&self, p: &PhoneNumberRow) -> Result<()>;
    async fn list_phone_numbers(&self, ws: WorkspaceId) -> Result<Vec<PhoneNumberRow>>;
    /// A number anywhere in the instance (SMS routing; numbers are unique).
    async fn find_phone_number(&self, number: &str) -> Result<Option<PhoneNumberRow>>;
    /// Assigns a free number of the pool to the account (or returns the one
    /// it has); None when the pool is empty. NotFound (and nothing assigned)
    /// when the account is not in `ws`.
    async fn assign_phone_number(
        &self,
        ws: WorkspaceId,
        account: AccountId,
    ) -> Result<Option<PhoneNumberRow>>;
}

macro_rules! impl_inbox {
    ($store:ty) => {
        #[async_trait]
        impl InboxStore for $store {
            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %m.workspace_id)
            )]
            async fn create_managed_email(&self, m: &ManagedEmailRow) -> Result<()> {
                let insert = r#"
                    INSERT INTO managed_emails (id, workspace_id, account_id, address, enabled, created_by,
                        created_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7)
                    "#;
                let keys = [m.id.to_string(), m.workspace_id.to_string(), m.account_id.to_string()];
                let what = "that address is taken";
                sql::execute_unique(&self.pool, insert, keys, what, |query| {
                    query
                        .bind(&m.address)
                        .bind(m.enabled)
                        .bind(m.created_by.to_string())
                        .bind(m.created_at.0)
                })
                .await?;
                Ok(())
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %a)
            )]
            async fn managed_emails_for(
                &self,
                ws: WorkspaceId,
                a: AccountId,
            ) -> Result<Vec<ManagedEmailRow>> {
                let select = r#"
                    SELECT *
                    FROM managed_emails
                    WHERE workspace_id = $1 AND account_id = $2
                    ORDER BY created_at
                    "#;
                sql::all_by(
                    &self.pool,
                    select,
                    [ws.to_string(), a.to_string()],
                    managed_email_row,
                )
                .await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn find_managed_email(&self, address: &str) -> Result<Option<ManagedEmailRow>> {
                let select = "SELECT * FROM managed_emails WHERE address = $1";
                sql::one_by(&self.pool, select, [address.to_owned()], managed_email_row).await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, id = %m)
            )]
            async fn set_managed_email_enabled(
                &self,
                ws: WorkspaceId,
                m: EventId,
                enabled: bool,
            ) -> Result<bool> {
                let set = "enabled = $3";
                let done = sql::set_by_id(&self.pool, "managed_emails", set, ws, m, |query| {
                    query.bind(enabled)
                })
                .await?;
                Ok(done == 1)
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, id = %m)
            )]
            async fn delete_managed_email(&self, ws: WorkspaceId, m: EventId) -> Result<bool> {
                let done = sql::delete_by_id(&self.pool, "managed_emails", ws, m).await?;
                Ok(done == 1)
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %m.workspace_id)
            )]
            async fn insert_message(&self, m: &InboxMessageRow) -> Result<bool> {
                // size_bytes feeds the inbox quotas (inbox_usage).
                let size = i64::try_from(m.sealed.len()).unwrap_or(i64::MAX);
                let insert = r#"
                    INSERT INTO inbox_messages (id, workspace_id, account_id, channel, recipient, sender,
                        dedup_key, sealed, has_code, received_at, used_at, size_bytes)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, $11)
                    ON CONFLICT (account_id, dedup_key)
                    DO NOTHING
                    "#;
                let keys = [
                    m.id.to_string(),
                    m.workspace_id.to_string(),
                    m.account_id.to_string(),
                ];
                sql::changed_one(&self.pool, insert, keys, |query| {
                    query
                        .bind(m.channel.as_str())
                        .bind(&m.recipient)
                        .bind(&m.sender)
                        .bind(&m.dedup_key)
                        .bind(&m.sealed)
                        .bind(m.has_code)
                        .bind(m.received_at.0)
                        .bind(size)
                })
                .await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn list_messages(
                &self,
                ws: WorkspaceId,
                f: &MessageFilter,
            ) -> Result<Vec<InboxMessageRow>> {
                enum Arg {
                    S(String),
                    I(i64),
                    B(bool),
                }
                if f.accounts.is_empty() {
                    return Ok(Vec::new());
                }
                // Built from constant fragments; every value is bound.
                let mut args: Vec<Arg> = vec![Arg::S(ws.to_string())];
                let mark = |args: &mut Vec<Arg>, a: Arg| {
                    args.push(a);
                    format!("${}", args.len())
                };
                let marks: Vec<String> = f
                    .accounts
                    .iter()
                    .map(|a| mark(&mut args, Arg::S(a.to_string())))
                    .collect();
                let mut sql = format!(
                    r#"
                    SELECT *
                    FROM inbox_messages
                    WHERE workspace_id = $1 AND account_id IN ({})
                    "#,
                    marks.join(", ")
                );
                if let Some(c) = &f.channel {
                    sql += &format!(" AND channel = {}", mark(&mut args, Arg::S(c.as_str().to_owned())));
                }
                if f.has_code {
                    sql += &format!(" AND has_code = {}", mark(&mut args, Arg::B(true)));
                }
                if let Some(t) = f.since {
                    sql += &format!(" AND received_at >= {}", mark(&mut args, Arg::I(t.0)));
                }
                if let Some(t) = f.until {
                    sql += &format!(" AND received_at <= {}", mark(&mut args, Arg::I(t.0)));
                }
                if let Some((t, id)) = f.before {
                    let (t, id) = (
                        mark(&mut args, Arg::I(t.0)),
                        mark(&mut args, Arg::S(id.to_string())),
                    );
                    sql +=
                        &format!(" AND (received_at < {t} OR (received_at = {t} AND id < {id}))");
                }
                let mut words: Vec<&String> = f.words.iter().collect();
                words.sort();
                words.dedup();
                // One primary-key probe per word and candidate, newest
                // first until the page is full: a plan that does not hang
                // on statistics (an intersection by GROUP BY was planned as
                // a nested loop on PostgreSQL right after a bulk load: 16 s).
                for w in words {
                    sql += &format!(
                        " AND EXISTS (SELECT 1 FROM inbox_words w WHERE w.word = {} AND w.message_id = inbox_messages.id)",
                        mark(&mut args, Arg::S(w.clone()))
                    );
                }
                sql += &format!(
                    " ORDER BY received_at DESC, id DESC LIMIT {}",
                    mark(&mut args, Arg::I(f.limit.clamp(1, 500)))
                );
                let mut q = sqlx::query(sql_fmt!("{sql}"));
                for a in args {
                    q = match a {
                        Arg::S(v) => q.bind(v),
                        Arg::I(v) => q.bind(v),
                        Arg::B(v) => q.bind(v),
                    };
                }
                q.fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(message_row)
                    .collect()
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, id = %m)
            )]
            async fn index_message_words(
                &self,
                ws: WorkspaceId,
                m: EventId,
                words: &[String],
            ) -> Result<bool> {
                let mut words: Vec<&String> = words.iter().collect();
                words.sort();
                words.dedup();
                let mut tx = self.pool.begin().await?;
                let set = "words_indexed = $3";
                let found = sql::set_by_id(&mut *tx, "inbox_messages", set, ws, m, |query| {
                    query.bind(true)
                })
                .await?;
                if found != 1 {
                    return Ok(false);
                }
                let delete = "DELETE FROM inbox_words WHERE message_id = $1";
                sql::write(&mut *tx, delete, [m.to_string()]).await?;
                // Many rows per statement: one round trip per 400 words.
                for chunk in words.chunks(400) {
                    let values: Vec<String> = (0..chunk.len())
                        .map(|i| format!("(${}, $1)", i + 2))
                        .collect();
                    let mut q = sqlx::query(sql_fmt!(
                        "INSERT INTO inbox_words (word, message_id) VALUES {}",
                        values.join(", ")
                    ))
                    .bind(m.to_string());
                    for w in chunk {
                        q = q.bind((*w).clone());
                    }
                    q.execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(true)
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn unindexed_messages(&self, limit: i64) -> Result<Vec<InboxMessageRow>> {
                // Answered from the partial index of 0022 (only unindexed rows).
                let select = r#"
                    SELECT *
                    FROM inbox_messages
                    WHERE NOT words_indexed
                    ORDER BY received_at, id
                    LIMIT $1
                    "#;
                let limit = limit.clamp(1, 500);
                sql::all_with(&self.pool, select, [], |query| query.bind(limit), message_row).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn reset_message_index(&self) -> Result<u64> {
                let mut tx = self.pool.begin().await?;
                sqlx::query("DELETE FROM inbox_words")
                    .execute(&mut *tx)
                    .await?;
                let done = sqlx::query("UPDATE inbox_messages SET words_indexed = $1")
                    .bind(false)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(done.rows_affected())
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %a)
            )]
            async fn messages_since(
                &self,
                ws: WorkspaceId,
                a: AccountId,
                since: Timestamp,
                after: Option<EventId>,
                limit: i64,
            ) -> Result<Vec<InboxMessageRow>> {
                // Keyset paging on (received_at, id): a burst of messages
                // in one millisecond cannot hide the ones after a page.
                let select = r#"
                    SELECT * FROM inbox_messages WHERE workspace_id = $1 AND account_id = $2
                    AND (received_at > $3 OR (received_at = $3 AND id > $5)) ORDER BY received_at, id LIMIT $4
                    "#;
                let after = after.map(|i| i.to_string()).unwrap_or_default();
                sql::all_with(
                    &self.pool,
                    select,
                    [ws.to_string(), a.to_string()],
                    |query| query.bind(since.0).bind(limit.clamp(1, 500)).bind(after),
                    message_row,
                )
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, id = %m)
            )]
            async fn mark_message_used(
                &self,
                ws: WorkspaceId,
                m: EventId,
                at: Timestamp,
            ) -> Result<bool> {
                let update = r#"
                    UPDATE inbox_messages
                    SET used_at = $3
                    WHERE workspace_id = $1 AND id = $2 AND used_at IS NULL
                    "#;
                sql::changed_one(
                    &self.pool,
                    update,
                    [ws.to_string(), m.to_string()],
                    |query| query.bind(at.0),
                )
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, id = %m)
            )]
            async fn get_message(
                &self,
                ws: WorkspaceId,
                m: EventId,
            ) -> Result<Option<InboxMessageRow>> {
                sql::by_id(&self.pool, "inbox_messages", "*", ws, m, message_row).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn purge_messages(&self, ws: WorkspaceId, before: Timestamp) -> Result<u64> {
                let delete = r#"
                    DELETE FROM inbox_messages
                    WHERE workspace_id = $1 AND received_at < $2
                    "#;
                let done = sql::execute(&self.pool, delete, [ws.to_string()], |query| {
                    query.bind(before.0)
                })
                .await?;
                Ok(done)
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn inbox_usage(
                &self,
                ws: WorkspaceId,
                recipient: &str,
                since: Timestamp,
            ) -> Result<InboxUsage> {
                // Each sum and count is answered from the usage indexes of 0018.
                let r = sqlx::query(
                    r#"
                    SELECT
                        (SELECT COUNT(*) FROM inbox_messages
                            WHERE recipient = $2 AND workspace_id = $1 AND received_at >= $3) AS rr,
                        (SELECT CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) FROM inbox_messages
                            WHERE recipient = $2 AND workspace_id = $1) AS rb,
                        (SELECT COUNT(*) FROM inbox_messages
                            WHERE workspace_id = $1 AND received_at >= $3) AS wr,
                        (SELECT CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) FROM inbox_messages
                            WHERE workspace_id = $1) AS wb
                    "#,
                )
                .bind(ws.to_string())
                .bind(recipient)
                .bind(since.0)
                .fetch_one(&self.pool)
                .await?;
                Ok(InboxUsage {
                    recipient_recent: r.try_get("rr")?,
                    recipient_bytes: r.try_get("rb")?,
                    workspace_recent: r.try_get("wr")?,
                    workspace_bytes: r.try_get("wb")?,
                })
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn inbox_retentions(&self) -> Result<Vec<(WorkspaceId, Option<i64>)>> {
                let select = "SELECT id, inbox_retention_days FROM workspaces";
                sql::all_by(&self.pool, select, [], |r| {
                    let days: Option<i32> = r.try_get("inbox_retention_days")?;
                    Ok((id(r, "id")?, days.map(i64::from)))
                })
                .await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn set_inbox_retention(&self, ws: WorkspaceId, days: Option<i64>) -> Result<()> {
                let days = days.map(|d| i32::try_from(d).unwrap_or(i32::MAX));
                let update = r#"
                    UPDATE workspaces
                    SET inbox_retention_days = $2
                    WHERE id = $1
                    "#;
                let done = sql::execute(&self.pool, update, [ws.to_string()], |query| {
                    query.bind(days)
                })
                .await?;
                sql::one_row(done)
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, user = %user))]
            async fn forward_address(&self, user: UserId) -> Result<Option<ForwardAddressRow>> {
                let select = "SELECT * FROM forward_addresses WHERE user_id = $1";
                sql::one_by(&self.pool, select, [user.to_string()], |r| {
                    let attempts: i32 = r.try_get("attempts")?;
                    Ok(ForwardAddressRow {
                        user_id: id(r, "user_id")?,
                        workspace_id: id(r, "workspace_id")?,
                        email: r.try_get("email")?,
                        pending_email: r.try_get("pending_email")?,
                        code_hash: r.try_get("code_hash")?,
                        code_expires_at: ts_opt(r, "code_expires_at")?,
                        attempts: i64::from(attempts),
                        verified_at: ts_opt(r, "verified_at")?,
                    })
                })
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %f.workspace_id)
            )]
            async fn save_forward_address(&self, f: &ForwardAddressRow) -> Result<()> {
                let upsert = r#"
                    INSERT INTO forward_addresses (user_id, workspace_id, email, pending_email, code_hash,
                        code_expires_at, attempts, verified_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                    ON CONFLICT (user_id)
                    DO UPDATE SET email = excluded.email,
                        pending_email = excluded.pending_email,
                        code_hash = excluded.code_hash,
                        code_expires_at = excluded.code_expires_at,
                        attempts = excluded.attempts,
                        verified_at = excluded.verified_at
                    "#;
                let keys = [f.user_id.to_string(), f.workspace_id.to_string()];
                sql::run(&self.pool, upsert, keys, |query| {
                    query
                        .bind(&f.email)
                        .bind(&f.pending_email)
                        .bind(&f.code_hash)
                        .bind(f.code_expires_at.map(|t| t.0))
                        .bind(i32::try_from(f.attempts).unwrap_or(i32::MAX))
                        .bind(f.verified_at.map(|t| t.0))
                })
                .await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, user = %user))]
            async fn count_forward_attempt(&self, user: UserId, max: i64) -> Result<bool> {
                let update = r#"
                    UPDATE forward_addresses
                    SET attempts = attempts + 1
                    WHERE user_id = $1 AND attempts < $2
                    "#;
                sql::changed_one(&self.pool, update, [user.to_string()], |query| {
                    query.bind(i32::try_from(max).unwrap_or(i32::MAX))
                })
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %p.workspace_id)
            )]
            async fn add_phone_number(&self, p: &PhoneNumberRow) -> Result<()> {
                let insert = r#"
                    INSERT INTO phone_numbers (id, workspace_id, number, account_id, created_at)
                    VALUES ($1, $2, $3, NULL, $4)
                    "#;
                let keys = [p.id.to_string(), p.workspace_id.to_string()];
                let what = "that number is already in the pool";
                sql::execute_unique(&self.pool, insert, keys, what, |query| {
                    query
                        .bind(&p.number)
                        .bind(p.created_at.0)
                })
                .await?;
                Ok(())
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn list_phone_numbers(&self, ws: WorkspaceId) -> Result<Vec<PhoneNumberRow>> {
                let select = r#"
                    SELECT *
                    FROM phone_numbers
                    WHERE workspace_id = $1
                    ORDER BY number
                    "#;
                sql::all_by(&self.pool, select, [ws.to_string()], phone_row).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn find_phone_number(&self, number: &str) -> Result<Option<PhoneNumberRow>> {
                let select = "SELECT * FROM phone_numbers WHERE number = $1";
                sql::one_by(&self.pool, select, [number.to_owned()], phone_row).await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %a)
            )]
            async fn assign_phone_number(
                &self,
                ws: WorkspaceId,
                a: AccountId,
            ) -> Result<Option<PhoneNumberRow>> {
                let mut tx = self.pool.begin().await?;
                // Claim one free number with a conditional update (write first:
                // it takes the lock), only for an account of the workspace,
                // then read what this account holds.
                let update = r#"
                    UPDATE phone_numbers
                    SET account_id = $2
                    WHERE id = (
                            SELECT id
                            FROM phone_numbers
                            WHERE workspace_id = $1 AND account_id IS NULL
                            ORDER BY number
                            LIMIT 1
                        )
                        AND account_id IS NULL
                        AND EXISTS (
                            SELECT 1
                            FROM accounts
                            WHERE workspace_id = $1 AND id = $2
                        )
                        AND NOT EXISTS (
                            SELECT 1
                            FROM phone_numbers
                            WHERE workspace_id = $1 AND account_id = $2
                        )
                    "#;
                sql::write(&mut *tx, update, [ws.to_string(), a.to_string()]).await?;
                let select = r#"
                    SELECT *
                    FROM phone_numbers
                    WHERE workspace_id = $1 AND account_id = $2
                    ORDER BY number
                    LIMIT 1
                    "#;
                let keys = [ws.to_string(), a.to_string()];
                let out = sql::one_by(&mut *tx, select, keys, phone_row).await?;
                if out.is_none() {
                    // No number: the pool is empty, or the account is not
                    // one of this workspace's.
                    let account = sql::by_id(&mut *tx, "accounts", "1", ws, a, |_| Ok(())).await?;
                    if account.is_none() {
                        tx.rollback().await?;
                        return Err(StoreError::NotFound);
                    }
                }
                tx.commit().await?;
                Ok(out)
            }
        }
    };
}

impl_inbox!(SqliteStore);
impl_inbox!(PgStore);
