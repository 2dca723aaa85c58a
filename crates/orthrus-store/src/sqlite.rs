//! The embedded SQLite store (WAL mode, foreign keys on).

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::path::Path;
use std::time::Duration;

/// SQLite-backed [`crate::Store`].
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pub(crate) pool: sqlx::SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and runs migrations.
    pub async fn open(path: &Path) -> crate::Result<Self> {
        Self::open_with(path, crate::PoolSettings::default()).await
    }

    /// [`SqliteStore::open`] with the pool's size set.
    pub async fn open_with(path: &Path, settings: crate::PoolSettings) -> crate::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| crate::StoreError::Database(sqlx::Error::Io(e)))?;
        }
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a committed write survives power loss, which the SMTP
            // listener relies on before it answers 250.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(settings.max_for(false))
            .acquire_timeout(crate::ACQUIRE_TIMEOUT)
            // A local file: nothing to test before each use.
            .test_before_acquire(false)
            .connect_with(opts)
            .await?;
        let store = Self { pool };
        store.migrate(crate::migrate::SQLITE).await?;
        Ok(store)
    }
}
