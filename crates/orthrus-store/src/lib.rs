//! Persistence for Orthrus: the [`Store`] trait and its two implementations,
//! SQLite (embedded default) and PostgreSQL (scale-out), each with its own
//! append-only migrations. [`Store`] is the sum of one trait per aggregate
//! (`users.rs`, `accounts.rs`, `jobs.rs`, …); each file implements its trait
//! for both backends from the same SQL text with a small macro, the row
//! decoders are shared (`rows.rs`), and one conformance suite (`tests/it`)
//! runs against both.
//!
//! The store knows rows and SQL only: no HTTP, no authorization, and no
//! plaintext secrets (secret columns arrive sealed by `orthrus-app`).

mod access;
mod accounts;
mod approvals;
mod audit;
mod authenticator;
mod ceremonies;
mod directory;
mod extension;
mod hot;
mod inbox;
mod jobs;
mod members;
mod migrate;
pub mod models;
mod notify;
mod ops;
mod postgres;
mod questions;
mod rotations;
mod rows;
mod sessions;
mod shared_work;
mod sql;
mod sqlite;
mod sso;
mod users;

pub use access::{AccessDecision, AccessStore};
pub use accounts::AccountStore;
pub use approvals::{ApprovalStatus, ApprovalStore, DualAction};
pub use audit::{AuditLink, AuditStore, StoredAuditHead, UnreadableAuditEvent, UnreadableColumn};
pub use authenticator::AuthenticatorStore;
pub use ceremonies::{CeremonyPurpose, CeremonyRow, CeremonyStore};
pub use directory::{
    Directory, RemovedGrants, ScimTokenRow, ScimUserRow, TeamGrantRow, TeamMemberRow, TeamRow,
};
pub use extension::ExtensionStore;
pub use hot::{
    ACQUIRE_TIMEOUT, CodeViewRead, CredentialCodeView, CredentialKind, CredentialRow, HotPath,
    PoolSettings,
};
pub use inbox::InboxStore;
pub use jobs::JobStore;
pub use members::MemberStore;
pub use models::*;
pub use notify::{CHANNELS, Change, ChangeFeed, Changes};
pub use ops::{Ops, OpsStats, PendingMigration, SealedColumn, pending_migrations};
pub use postgres::PgStore;
pub use questions::QuestionStore;
pub use rotations::RotationStore;
pub use rows::quoted;
pub use sessions::SessionStore;
pub use shared_work::SharedWork;
pub use sqlite::SqliteStore;
pub use sso::{SsoFlowKind, SsoFlowRow, SsoIdentityRow, SsoStore};
pub use users::UserStore;

use async_trait::async_trait;
use std::sync::Arc;

/// Errors from the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("the record changed since it was read (version conflict)")]
    VersionConflict,
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// No connection of the pool became free within its acquire timeout.
    #[error(
        "no database connection became free within {0} s: every connection of the pool (database_max_connections) is busy, or the database is not answering"
    )]
    PoolTimedOut(u64),
    #[error("migration {version} failed: {message}")]
    Migration { version: i64, message: String },
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolTimedOut => Self::PoolTimedOut(ACQUIRE_TIMEOUT.as_secs()),
            e => Self::Database(e),
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Computes, from the previous hash, the sequence number and the event, the
/// event's chain hash and the MAC of the new chain head `(seq, hash)`
/// (supplied by the caller, which owns the key).
pub type ChainFn<'a> = &'a (dyn Fn(&str, i64, &NewAuditEvent) -> ChainLink + Send + Sync);

/// The output of a [`ChainFn`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainLink {
    pub hash: String,
    pub head_mac: String,
}

/// The newest link of a workspace's audit chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditHead {
    pub seq: i64,
    pub hash: String,
    pub mac: String,
}

/// Everything Orthrus persists: the sum of one trait per aggregate (each in
/// its own file, implemented there for both backends). Every method is
/// scoped to a workspace where the data belongs to one.
#[async_trait]
pub trait Store:
    UserStore
    + SessionStore
    + AccountStore
    + MemberStore
    + AuthenticatorStore
    + ApprovalStore
    + InboxStore
    + JobStore
    + QuestionStore
    + RotationStore
    + AuditStore
    + ExtensionStore
    + Ops
    + SsoStore
    + CeremonyStore
    + Directory
    + AccessStore
    + HotPath
    + Changes
    + SharedWork
    + Send
    + Sync
    + 'static
{
    /// Which backend this is ("sqlite" or "postgres"), for logs and health.
    fn backend(&self) -> &'static str;
    async fn ping(&self) -> Result<()>;
    async fn close(&self);
}

/// What both backends answer alike of [`Store`] itself, and the name
/// (`BACKEND`) their spans and health report carry.
macro_rules! impl_store {
    ($store:ty, $name:literal) => {
        impl $store {
            /// Which backend this is, for [`Store::backend`] and spans.
            pub(crate) const BACKEND: &'static str = $name;
        }

        #[async_trait]
        impl Store for $store {
            fn backend(&self) -> &'static str {
                Self::BACKEND
            }

            #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn ping(&self) -> Result<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn close(&self) {
                self.pool.close().await;
            }
        }
    };
}

impl_store!(SqliteStore, "sqlite");
impl_store!(PgStore, "postgres");

/// Opens the store for a database URL: `sqlite://path` or `postgres://…`.
/// Runs migrations.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    open_with(url, PoolSettings::default()).await
}

/// [`open`] with the pool's size set.
pub async fn open_with(url: &str, pool: PoolSettings) -> Result<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::connect_with(url, pool).await?))
    } else {
        let path = url.strip_prefix("sqlite://").unwrap_or(url);
        Ok(Arc::new(
            SqliteStore::open_with(std::path::Path::new(path), pool).await?,
        ))
    }
}

/// Where audit event hashes start.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Helpers for tests in this and other crates: scratch PostgreSQL databases.
pub mod testing {
    use sqlx::Connection;

    /// The PostgreSQL URL tests should use, from `ORTHRUS_TEST_DATABASE_URL`.
    pub fn pg_base_url() -> Option<String> {
        std::env::var("ORTHRUS_TEST_DATABASE_URL")
            .ok()
            .filter(|s| !s.is_empty())
    }

    /// Creates a fresh, uniquely named database next to `base` (so parallel
    /// tests and runs never collide) and returns its URL.
    pub async fn pg_scratch_database(base: &str, tag: &str) -> crate::Result<String> {
        let mut bytes = [0u8; 6];
        getrandom_fill(&mut bytes);
        let suffix: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let name = format!(
            "orthrus_t_{}_{suffix}",
            tag.chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .take(20)
                .collect::<String>()
                .to_lowercase()
        );
        let mut conn = sqlx::PgConnection::connect(base).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await?;
        conn.close().await?;
        let (head, _) = base.rsplit_once('/').unwrap_or((base, ""));
        Ok(format!("{head}/{name}"))
    }

    /// Runs `sql` (one or more statements) on the database at `url`
    /// (`sqlite://…` or `postgres://…`) over a connection of its own, as a
    /// person with access to the database would: for tests that edit rows
    /// by hand.
    // Hidden from the documentation: it runs arbitrary SQL, and is public
    // only because the test crates of other crates need it (`testing` has no
    // feature gate; the rest of it only creates scratch databases).
    #[doc(hidden)]
    pub async fn execute(url: &str, sql: &str) -> crate::Result<()> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let mut conn = sqlx::PgConnection::connect(url).await?;
            sqlx::raw_sql(sql).execute(&mut conn).await?;
            conn.close().await?;
        } else {
            let mut conn = sqlx::SqliteConnection::connect(url).await?;
            sqlx::raw_sql(sql).execute(&mut conn).await?;
            conn.close().await?;
        }
        Ok(())
    }

    /// Makes the PostgreSQL database `db` refuse new connections, then cuts
    /// its listening (`LISTEN`) connections, over `admin` (a connection to
    /// another database): what `pg_terminate_backend` answered for each.
    /// For tests of a node losing the change feed; [`allow_connections`]
    /// lets connections in again.
    // Hidden from the documentation, like `execute`: it alters a database.
    #[doc(hidden)]
    pub async fn cut_listeners(
        admin: &mut sqlx::PgConnection,
        db: &str,
    ) -> crate::Result<Vec<bool>> {
        allow_connections(admin, db, false).await?;
        Ok(sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND query LIKE 'LISTEN%'",
        )
        .bind(db)
        .fetch_all(&mut *admin)
        .await?)
    }

    /// Lets new connections into the PostgreSQL database `db` (`yes`) or
    /// refuses them, over `admin` (a connection to another database).
    #[doc(hidden)]
    pub async fn allow_connections(
        admin: &mut sqlx::PgConnection,
        db: &str,
        yes: bool,
    ) -> crate::Result<()> {
        // An identifier in double quotes, its own quotes doubled.
        let quoted = db.replace('"', "\"\"");
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "ALTER DATABASE \"{quoted}\" ALLOW_CONNECTIONS {yes}"
        )))
        .execute(&mut *admin)
        .await?;
        Ok(())
    }

    /// What every benchmark does for its figures: `run` once on a fresh
    /// SQLite file in `dir`, then on a scratch PostgreSQL database when
    /// `ORTHRUS_TEST_DATABASE_URL` is set (a line says it was skipped
    /// otherwise). `run` gets the backend's label and the database URL.
    pub async fn each_backend<F, Fut>(
        dir: &std::path::Path,
        tag: &str,
        mut run: F,
    ) -> crate::Result<()>
    where
        F: FnMut(&'static str, String) -> Fut,
        Fut: Future<Output = ()>,
    {
        let file = dir.join(format!("{tag}.db"));
        run("sqlite", format!("sqlite://{}", file.display())).await;
        match pg_base_url() {
            Some(base) => run("postgres", pg_scratch_database(&base, tag).await?).await,
            None => println!("postgres   skipped: set ORTHRUS_TEST_DATABASE_URL"),
        }
        Ok(())
    }

    fn getrandom_fill(b: &mut [u8]) {
        use orthrus_core::Entropy;
        orthrus_core::OsEntropy.fill(b);
    }
}
