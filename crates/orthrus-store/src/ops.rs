//! What an operator asks of the database rather than of the product: the
//! figures a metrics scrape reads (inbox size, jobs by kind and state, the
//! job queue, the connection pool), a consistent online snapshot for
//! backups (SQLite), and the migrations an upgrade would apply, read
//! without applying them.

use crate::migrate::Migration;
use crate::{PgStore, Result, SqliteStore, StoreError};
use async_trait::async_trait;
use orthrus_core::Timestamp;
use sqlx::Row;
use std::path::Path;

/// Figures read at scrape time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpsStats {
    /// Messages kept in the shared inbox (email and SMS), and their sealed size.
    pub inbox_messages: i64,
    pub inbox_bytes: i64,
    /// Automation jobs by (kind, state), all kept history: how many, and
    /// the milliseconds the finished ones took from request to end.
    pub jobs: Vec<(String, orthrus_core::JobState, i64, i64)>,
    /// Queued jobs that are due now (a worker could take them).
    pub queue_depth: i64,
    /// When the longest-waiting due job became due.
    pub oldest_due: Option<Timestamp>,
    /// Connections the pool holds, of which idle, and its ceiling.
    pub pool_size: u32,
    pub pool_idle: u32,
    pub pool_max: u32,
}

/// One migration not yet applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingMigration {
    pub version: i64,
    pub name: &'static str,
    /// The file's first comment line: what it does.
    pub summary: String,
}

/// Every column that holds values sealed under the master key: what a
/// master-key rotation walks. The app knows each one's AAD.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SealedColumn {
    AccountPassword,
    AccountNotes,
    AccountPendingPassword,
    AccountFieldValue,
    PasswordHistory,
    AccountOtpSecret,
    BackupCode,
    InboxMessage,
    JobScreenshot,
    BrowserProfile,
    JobAnswer,
    UserTotpSecret,
    SsoVerifier,
    InstanceKey,
    PasskeyCeremony,
}

impl SealedColumn {
    pub const ALL: [Self; 15] = [
        Self::AccountPassword,
        Self::AccountNotes,
        Self::AccountPendingPassword,
        Self::AccountFieldValue,
        Self::PasswordHistory,
        Self::AccountOtpSecret,
        Self::BackupCode,
        Self::InboxMessage,
        Self::JobScreenshot,
        Self::BrowserProfile,
        Self::JobAnswer,
        Self::UserTotpSecret,
        Self::SsoVerifier,
        Self::InstanceKey,
        Self::PasskeyCeremony,
    ];

    /// (table, the SQL naming a row as the AAD's record, the column).
    fn sql(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::AccountPassword => ("accounts", "id", "password"),
            Self::AccountNotes => ("accounts", "id", "notes"),
            Self::AccountPendingPassword => ("accounts", "id", "pending_password"),
            Self::AccountFieldValue => ("account_fields", "id", "value_sealed"),
            Self::PasswordHistory => ("password_history", "id", "password"),
            Self::AccountOtpSecret => ("account_otp", "id", "secret"),
            Self::BackupCode => ("backup_codes", "set_id || ':' || position", "code"),
            Self::InboxMessage => ("inbox_messages", "id", "sealed"),
            Self::JobScreenshot => ("automation_screenshots", "job_id", "sealed"),
            Self::BrowserProfile => ("browser_profiles", "account_id", "sealed"),
            Self::JobAnswer => ("automation_jobs", "id", "answer"),
            Self::UserTotpSecret => ("users", "id", "totp_secret"),
            Self::SsoVerifier => ("sso_flows", "id", "verifier"),
            Self::InstanceKey => ("instance_keys", "purpose", "sealed"),
            Self::PasskeyCeremony => (
                "passkey_ceremonies",
                "session_id || ':' || purpose",
                "sealed",
            ),
        }
    }
}

/// Operator queries, part of every [`crate::Store`].
#[async_trait]
pub trait Ops: Send + Sync {
    async fn ops_stats(&self, now: Timestamp) -> Result<OpsStats>;
    /// Writes a consistent copy of the whole database to `path` (a new
    /// file) while others keep reading and writing. SQLite only: for
    /// PostgreSQL, `pg_dump` takes the snapshot.
    async fn snapshot_into(&self, path: &Path) -> Result<()>;
    /// Up to `limit` sealed values of `col` whose row name sorts after
    /// `after`, in that order: (row name, sealed bytes). Null values are
    /// left out.
    async fn sealed_page(
        &self,
        col: SealedColumn,
        after: &str,
        limit: i64,
    ) -> Result<Vec<(String, Vec<u8>)>>;
    /// Replaces one sealed value if it is still `old`; whether it was.
    async fn replace_sealed(
        &self,
        col: SealedColumn,
        row: &str,
        old: &[u8],
        new: &[u8],
    ) -> Result<bool>;
    /// A key kept sealed in `instance_keys`.
    async fn instance_key(&self, purpose: &str) -> Result<Option<Vec<u8>>>;
    /// Stores it unless another node stored one first.
    async fn put_instance_key_if_absent(&self, purpose: &str, sealed: &[u8]) -> Result<()>;
    /// Sets or (with `None`) removes an instance setting.
    async fn set_setting(&self, key: &str, value: Option<&str>) -> Result<()>;
}

const JOBS_BY_KIND: &str = "SELECT kind, state, COUNT(*) AS n, CAST(COALESCE(SUM(finished_at - created_at), 0) AS BIGINT) AS ms FROM automation_jobs GROUP BY kind, state ORDER BY kind, state";
const QUEUE: &str = "SELECT COUNT(*) AS n, MIN(run_after) AS oldest FROM automation_jobs WHERE state = 'queued' AND run_after <= $1";
const INBOX: &str =
    "SELECT COUNT(*) AS n, COALESCE(SUM(LENGTH(sealed)), 0) AS bytes FROM inbox_messages";

macro_rules! impl_ops {
    ($store:ty, $snapshot:ident) => {
#[async_trait]
impl Ops for $store {
        #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
        async fn ops_stats(&self, now: Timestamp) -> Result<OpsStats> {
            ops_stats!(self, now)
        }

        #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
        async fn snapshot_into(&self, path: &Path) -> Result<()> {
            $snapshot(self, path).await
        }

        #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
        async fn sealed_page(
            &self,
            col: SealedColumn,
            after: &str,
            limit: i64,
        ) -> Result<Vec<(String, Vec<u8>)>> {
            let (table, key, column) = col.sql();
            // Constant fragments only; the values are bound.
            let q = crate::sql::sql_fmt!(
                "SELECT {key} AS k, {column} AS v FROM {table} WHERE {column} IS NOT NULL AND {key} > $1 ORDER BY {key} LIMIT $2"
            );
            let mut out = Vec::new();
            for r in sqlx::query(q).bind(after).bind(limit).fetch_all(&self.pool).await? {
                out.push((r.try_get("k")?, r.try_get("v")?));
            }
            Ok(out)
        }

        #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
        async fn replace_sealed(
            &self,
            col: SealedColumn,
            row: &str,
            old: &[u8],
            new: &[u8],
        ) -> Result<bool> {
            let (table, key, column) = col.sql();
            let q = crate::sql::sql_fmt!(
                "UPDATE {table} SET {column} = $1 WHERE {key} = $2 AND {column} = $3"
            );
            let done = sqlx::query(q)
                .bind(new)
                .bind(row)
                .bind(old)
                .execute(&self.pool)
                .await?;
            Ok(done.rows_affected() == 1)
        }

        #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
        async fn instance_key(&self, purpose: &str) -> Result<Option<Vec<u8>>> {
            Ok(sqlx::query_scalar("SELECT sealed FROM instance_keys WHERE purpose = $1")
                .bind(purpose)
                .fetch_optional(&self.pool)
                .await?)
        }

        #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
        async fn put_instance_key_if_absent(&self, purpose: &str, sealed: &[u8]) -> Result<()> {
            sqlx::query("INSERT INTO instance_keys (purpose, sealed) VALUES ($1, $2) ON CONFLICT (purpose) DO NOTHING")
                .bind(purpose)
                .bind(sealed)
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
        async fn set_setting(&self, key: &str, value: Option<&str>) -> Result<()> {
            match value {
                Some(v) => sqlx::query("INSERT INTO instance_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                    .bind(key)
                    .bind(v)
                    .execute(&self.pool)
                    .await?,
                None => sqlx::query("DELETE FROM instance_settings WHERE key = $1")
                    .bind(key)
                    .execute(&self.pool)
                    .await?,
            };
            Ok(())
        }
}
    };
}

macro_rules! ops_stats {
    ($self:ident, $now:ident) => {{
        let pool = &$self.pool;
        let inbox = sqlx::query(INBOX).fetch_one(pool).await?;
        let mut jobs = Vec::new();
        for r in sqlx::query(JOBS_BY_KIND).fetch_all(pool).await? {
            jobs.push((
                r.try_get("kind")?,
                crate::sql::parse(&r.try_get::<String, _>("state")?, "job state")?,
                r.try_get("n")?,
                r.try_get("ms")?,
            ));
        }
        let q = sqlx::query(QUEUE).bind($now.0).fetch_one(pool).await?;
        Ok(OpsStats {
            inbox_messages: inbox.try_get("n")?,
            inbox_bytes: inbox.try_get("bytes")?,
            jobs,
            queue_depth: q.try_get("n")?,
            oldest_due: q.try_get::<Option<i64>, _>("oldest")?.map(Timestamp),
            pool_size: pool.size(),
            pool_idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            pool_max: pool.options().get_max_connections(),
        })
    }};
}

async fn snapshot_sqlite(store: &SqliteStore, path: &Path) -> Result<()> {
    let Some(target) = path.to_str() else {
        return Err(StoreError::Corrupt(format!(
            "the snapshot path {} is not UTF-8",
            path.display()
        )));
    };
    // VACUUM INTO reads one transaction's view of the database: a
    // consistent copy while the server keeps writing (WAL).
    sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(&store.pool)
        .await?;
    Ok(())
}

async fn snapshot_pg(_store: &PgStore, _path: &Path) -> Result<()> {
    Err(StoreError::Corrupt(
        "PostgreSQL is backed up with pg_dump (see docs/backup.md)".into(),
    ))
}

impl_ops!(SqliteStore, snapshot_sqlite);
impl_ops!(PgStore, snapshot_pg);

/// The first `--` comment line of a migration file.
fn summary(sql: &str) -> String {
    sql.lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix("--"))
        .map(|l| l.trim().to_owned())
        .unwrap_or_default()
}

fn pending_of(all: &[Migration], applied: &[i64]) -> Vec<PendingMigration> {
    all.iter()
        .filter(|m| !applied.contains(&m.version))
        .map(|m| PendingMigration {
            version: m.version,
            name: m.name,
            summary: summary(m.sql),
        })
        .collect()
}

/// The migrations opening `url` would apply, without applying any (nor
/// creating the database: a missing SQLite file has them all pending).
/// `url` is read as [`crate::open`] reads it.
pub async fn pending_migrations(url: &str) -> Result<Vec<PendingMigration>> {
    const APPLIED: &str = "SELECT version FROM schema_migrations";
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        let path = url.strip_prefix("sqlite://").unwrap_or(url);
        let all = crate::migrate::SQLITE;
        if !Path::new(path).exists() {
            return Ok(pending_of(all, &[]));
        }
        let opts = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(path)
            .read_only(true);
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts)
            .await?;
        let has: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
        )
        .fetch_one(&pool)
        .await?;
        let applied: Vec<i64> = if has > 0 {
            sqlx::query_scalar(APPLIED).fetch_all(&pool).await?
        } else {
            Vec::new()
        };
        pool.close().await;
        Ok(pending_of(all, &applied))
    } else {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect(url)
            .await?;
        let has: bool = sqlx::query_scalar("SELECT to_regclass('schema_migrations') IS NOT NULL")
            .fetch_one(&pool)
            .await?;
        let applied: Vec<i64> = if has {
            sqlx::query_scalar(APPLIED).fetch_all(&pool).await?
        } else {
            Vec::new()
        };
        pool.close().await;
        Ok(pending_of(crate::migrate::POSTGRES, &applied))
    }
}

#[cfg(test)]
mod tests {
    use super::SealedColumn;

    /// Every BLOB column of the SQLite schema holds sealed values, and a
    /// master-key rotation must walk each one: a new one has to join
    /// `SealedColumn` (and its AAD in orthrus-app's master_key.rs).
    #[test]
    fn every_blob_column_is_walked_by_a_rotation() {
        let mut blobs = Vec::new();
        for m in crate::migrate::SQLITE {
            let mut table = String::new();
            for line in m.sql.lines().map(str::trim) {
                if let Some(rest) = line.strip_prefix("CREATE TABLE ") {
                    table = rest.split([' ', '(']).next().unwrap_or("").to_owned();
                } else if let Some(rest) = line.strip_prefix("ALTER TABLE ") {
                    let mut w = rest.split_whitespace();
                    let t = w.next().unwrap_or("");
                    let col = rest.split("ADD COLUMN ").nth(1).unwrap_or("");
                    if col.contains(" BLOB") {
                        blobs.push((t.to_owned(), col.split(' ').next().unwrap_or("").to_owned()));
                    }
                } else if line.contains(" BLOB") && !table.is_empty() {
                    blobs.push((
                        table.clone(),
                        line.split(' ').next().unwrap_or("").to_owned(),
                    ));
                }
            }
        }
        assert!(blobs.len() >= 14, "{blobs:?}");
        for (table, column) in &blobs {
            assert!(
                SealedColumn::ALL
                    .iter()
                    .any(|c| c.sql().0 == table && c.sql().2 == column),
                "{table}.{column} is not in SealedColumn"
            );
        }
    }

    #[test]
    fn the_first_comment_line_says_what_a_migration_does() {
        assert_eq!(
            super::summary("\n-- Adds the inbox.\n-- More.\nCREATE TABLE x (a INT);"),
            "Adds the inbox."
        );
        assert_eq!(super::summary("CREATE TABLE x (a INT);"), "");
    }
}
