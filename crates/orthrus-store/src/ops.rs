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
    /// Automation jobs by (kind, state), all kept history.
    pub jobs: Vec<(String, String, i64)>,
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

/// Operator queries, part of every [`crate::Store`].
#[async_trait]
pub trait Ops: Send + Sync {
    async fn ops_stats(&self, now: Timestamp) -> Result<OpsStats>;
    /// Writes a consistent copy of the whole database to `path` (a new
    /// file) while others keep reading and writing. SQLite only: for
    /// PostgreSQL, `pg_dump` takes the snapshot.
    async fn snapshot_into(&self, path: &Path) -> Result<()>;
}

const JOBS_BY_KIND: &str = "SELECT kind, state, COUNT(*) AS n FROM automation_jobs GROUP BY kind, state ORDER BY kind, state";
const QUEUE: &str = "SELECT COUNT(*) AS n, MIN(run_after) AS oldest FROM automation_jobs WHERE state = 'queued' AND run_after <= $1";
const INBOX: &str =
    "SELECT COUNT(*) AS n, COALESCE(SUM(LENGTH(sealed)), 0) AS bytes FROM inbox_messages";

macro_rules! ops_stats {
    ($self:ident, $now:ident) => {{
        let pool = &$self.pool;
        let inbox = sqlx::query(INBOX).fetch_one(pool).await?;
        let mut jobs = Vec::new();
        for r in sqlx::query(JOBS_BY_KIND).fetch_all(pool).await? {
            jobs.push((r.try_get("kind")?, r.try_get("state")?, r.try_get("n")?));
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

#[async_trait]
impl Ops for SqliteStore {
    async fn ops_stats(&self, now: Timestamp) -> Result<OpsStats> {
        ops_stats!(self, now)
    }

    async fn snapshot_into(&self, path: &Path) -> Result<()> {
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
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[async_trait]
impl Ops for PgStore {
    async fn ops_stats(&self, now: Timestamp) -> Result<OpsStats> {
        ops_stats!(self, now)
    }

    async fn snapshot_into(&self, _path: &Path) -> Result<()> {
        Err(StoreError::Corrupt(
            "PostgreSQL is backed up with pg_dump (see docs/backup.md)".into(),
        ))
    }
}

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
    #[test]
    fn the_first_comment_line_says_what_a_migration_does() {
        assert_eq!(
            super::summary("\n-- Adds the inbox.\n-- More.\nCREATE TABLE x (a INT);"),
            "Adds the inbox."
        );
        assert_eq!(super::summary("CREATE TABLE x (a INT);"), "");
    }
}
