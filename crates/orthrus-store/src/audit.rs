//! The audit log: each workspace's hash chain of events, appended under its
//! head row, read back filtered or whole for verification. Part of every
//! [`crate::Store`] through the [`AuditStore`] supertrait.

use crate::models::{AuditEventRow, AuditFilter, NewAuditEvent};
use crate::rows::{AUDIT_COLS, audit_head, audit_link, audit_row};
use crate::sql::{self, sql_fmt};
use crate::{AuditHead, ChainFn, PgStore, Result, SqliteStore, StoreError};
use async_trait::async_trait;
use orthrus_core::WorkspaceId;
use sqlx::Row;
use tracing::instrument;

/// A column of a stored audit event holding what no append writes: a
/// word that is not an outcome, an id or time that does not parse (or is
/// not in the spelling written), a detail that is not JSON, a value of
/// another type. Only a hand edit of the table puts one there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnreadableColumn {
    pub column: &'static str,
    /// What it holds, spelled for a report (`"evil"`, `NULL`, `12.5`).
    pub holds: String,
}

impl std::fmt::Display for UnreadableColumn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} holds {}", self.column, self.holds)
    }
}

/// A stored audit event that cannot be read as one (its first
/// [`UnreadableColumn`]), with its place in the chain and its hash when
/// those columns read, so the verifier reports it and goes on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnreadableAuditEvent {
    pub seq: Option<i64>,
    pub hash: Option<String>,
    pub column: UnreadableColumn,
}

impl From<UnreadableAuditEvent> for StoreError {
    fn from(u: UnreadableAuditEvent) -> Self {
        let seq = u.seq.map_or_else(|| "?".to_owned(), |s| s.to_string());
        StoreError::Corrupt(format!("audit event #{seq}: {}", u.column))
    }
}

/// One row of a workspace's audit chain: the event, or why it is not one.
pub type AuditLink = std::result::Result<AuditEventRow, UnreadableAuditEvent>;

/// A workspace's chain head as stored: the head, or its first column
/// holding what no append writes.
pub type StoredAuditHead = std::result::Result<AuditHead, UnreadableColumn>;

/// The audit chain.
#[async_trait]
pub trait AuditStore: Send + Sync {
    // Audit
    /// Appends an event to the workspace's chain atomically.
    async fn append_audit(
        &self,
        ws: WorkspaceId,
        e: &NewAuditEvent,
        chain: ChainFn<'_>,
    ) -> Result<AuditEventRow>;
    /// Appends several events to the workspace's chain, in order, in one
    /// transaction (group commit: one fsync for all of them).
    async fn append_audits(
        &self,
        ws: WorkspaceId,
        events: &[NewAuditEvent],
        chain: ChainFn<'_>,
    ) -> Result<()>;
    async fn list_audit(&self, ws: WorkspaceId, f: &AuditFilter) -> Result<Vec<AuditEventRow>>;
    /// Every stored row of a workspace's chain in chain order, for
    /// verification: a row edited into one no append writes is an
    /// [`UnreadableAuditEvent`] there, not an error.
    async fn audit_links(&self, ws: WorkspaceId) -> Result<Vec<AuditLink>>;
    /// Every event of a workspace in chain order; `Corrupt` if one cannot
    /// be read (see [`AuditStore::audit_links`]).
    async fn audit_chain(&self, ws: WorkspaceId) -> Result<Vec<AuditEventRow>> {
        self.audit_links(ws)
            .await?
            .into_iter()
            .map(|link| link.map_err(StoreError::from))
            .collect()
    }
    /// The head of a workspace's chain, for verification: a head edited
    /// into one no append writes (text or a fraction in SQLite's `seq`,
    /// binary data) is an [`UnreadableColumn`] there, not an error.
    async fn stored_audit_head(&self, ws: WorkspaceId) -> Result<Option<StoredAuditHead>>;
    /// The head of a workspace's chain; `Corrupt` if it cannot be read (see
    /// [`AuditStore::stored_audit_head`]).
    async fn audit_head(&self, ws: WorkspaceId) -> Result<Option<AuditHead>> {
        self.stored_audit_head(ws)
            .await?
            .map(|head| head.map_err(|c| StoreError::Corrupt(format!("audit head: {c}"))))
            .transpose()
    }
}

macro_rules! impl_audit {
    ($store:ty, $db:ty) => {
        impl $store {
            /// A transaction appending to `ws`'s chain, its head row there.
            async fn begin_append(&self, ws: WorkspaceId) -> Result<sqlx::Transaction<'_, $db>> {
                let mut tx = self.pool.begin().await?;
                let insert = r#"
                    INSERT INTO audit_heads (workspace_id, seq, hash)
                    VALUES ($1, 0, $2)
                    ON CONFLICT (workspace_id)
                    DO NOTHING
                    "#;
                let keys = [ws.to_string()];
                sql::execute(&mut *tx, insert, keys, |query| {
                    query.bind(crate::GENESIS_HASH)
                })
                .await?;
                Ok(tx)
            }

            /// Appends `e` after the head of `ws`'s chain, in `tx`.
            async fn append_one(
                tx: &mut sqlx::Transaction<'_, $db>,
                ws: WorkspaceId,
                e: &NewAuditEvent,
                chain: ChainFn<'_>,
            ) -> Result<AuditEventRow> {
                // This UPDATE takes the row (PostgreSQL) or database (SQLite)
                // write lock, serialising appends per workspace.
                let head = sqlx::query(
                    r#"
                    UPDATE audit_heads
                    SET seq = seq + 1
                    WHERE workspace_id = $1
                    RETURNING seq, hash
                    "#,
                )
                .bind(ws.to_string())
                .fetch_one(&mut **tx)
                .await?;
                let seq: i64 = head.try_get("seq")?;
                let prev: String = head.try_get("hash")?;
                let link = chain(&prev, seq, e);
                let hash = link.hash;
                let update = r#"
                    UPDATE audit_heads
                    SET hash = $2,
                        mac = $3
                    WHERE workspace_id = $1
                    "#;
                sql::execute(&mut **tx, update, [ws.to_string()], |query| {
                    query.bind(&hash).bind(&link.head_mac)
                })
                .await?;
                let insert = sql_fmt!(
                    r#"
                    INSERT INTO audit_events ({AUDIT_COLS})
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
                    "#
                );
                let keys = [ws.to_string()];
                sql::execute(&mut **tx, insert, keys, |query| {
                    query
                        .bind(seq)
                        .bind(e.id.to_string())
                        .bind(e.at.0)
                        .bind(e.actor_id.map(|a| a.to_string()))
                        .bind(e.actor_email.as_deref())
                        .bind(&e.action)
                        .bind(e.target_type.as_deref())
                        .bind(e.target_id.as_deref())
                        .bind(e.ip.as_deref())
                        .bind(e.outcome.as_str())
                        .bind(e.detail.to_string())
                        .bind(&prev)
                        .bind(&hash)
                })
                .await?;
                Ok(AuditEventRow {
                    workspace_id: ws,
                    seq,
                    event: e.clone(),
                    prev_hash: prev,
                    hash,
                })
            }
        }

        #[async_trait]
        impl AuditStore for $store {
            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn append_audit(
                &self,
                ws: WorkspaceId,
                e: &NewAuditEvent,
                chain: ChainFn<'_>,
            ) -> Result<AuditEventRow> {
                let mut tx = self.begin_append(ws).await?;
                let row = Self::append_one(&mut tx, ws, e, chain).await?;
                tx.commit().await?;
                Ok(row)
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn append_audits(
                &self,
                ws: WorkspaceId,
                events: &[NewAuditEvent],
                chain: ChainFn<'_>,
            ) -> Result<()> {
                let mut tx = self.begin_append(ws).await?;
                for e in events {
                    Self::append_one(&mut tx, ws, e, chain).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn list_audit(
                &self,
                ws: WorkspaceId,
                f: &AuditFilter,
            ) -> Result<Vec<AuditEventRow>> {
                let mut sql = format!(
                    r#"
                    SELECT {AUDIT_COLS}
                    FROM audit_events
                    WHERE workspace_id = $1
                    "#
                );
                let mut texts: Vec<String> = Vec::new();
                let mut n = 1;
                let mut text_cond = |sql: &mut String, col: &str, v: &str| {
                    n += 1;
                    sql.push_str(&format!(" AND {col} = ${n}"));
                    texts.push(v.to_owned());
                };
                if let Some(a) = &f.action {
                    text_cond(&mut sql, "action", a);
                }
                if let Some(a) = &f.actor_id {
                    text_cond(&mut sql, "actor_id", &a.to_string());
                }
                if let Some(t) = &f.target_id {
                    text_cond(&mut sql, "target_id", t);
                }
                let mut ints: Vec<i64> = Vec::new();
                let mut k = 1 + texts.len();
                for (col, op, v) in [
                    ("at", ">=", f.since.map(|t| t.0)),
                    ("at", "<=", f.until.map(|t| t.0)),
                    ("seq", "<", f.before_seq),
                ] {
                    if let Some(v) = v {
                        k += 1;
                        sql.push_str(&format!(" AND {col} {op} ${k}"));
                        ints.push(v);
                    }
                }
                k += 1;
                sql.push_str(&format!(" ORDER BY seq DESC LIMIT ${k}"));
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(ws.to_string());
                for t in texts {
                    q = q.bind(t);
                }
                for i in ints {
                    q = q.bind(i);
                }
                q = q.bind(f.limit.clamp(1, 1000));
                q.fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(audit_row)
                    .collect()
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn audit_links(&self, ws: WorkspaceId) -> Result<Vec<AuditLink>> {
                let select = sql_fmt!(
                    r#"
                    SELECT {AUDIT_COLS}
                    FROM audit_events
                    WHERE workspace_id = $1
                    ORDER BY seq
                    "#
                );
                let link = |r: &_| Ok(audit_link(r));
                sql::all_by(&self.pool, select, [ws.to_string()], link).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn stored_audit_head(&self, ws: WorkspaceId) -> Result<Option<StoredAuditHead>> {
                let row = sqlx::query(
                    r#"
                    SELECT seq, hash, mac
                    FROM audit_heads
                    WHERE workspace_id = $1
                    "#,
                )
                .bind(ws.to_string())
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.as_ref().map(audit_head))
            }
        }
    };
}

impl_audit!(SqliteStore, sqlx::Sqlite);
impl_audit!(PgStore, sqlx::Postgres);
