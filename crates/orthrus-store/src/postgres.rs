//! The PostgreSQL store, for running several Orthrus nodes on one database.

use sqlx::postgres::PgPoolOptions;

/// PostgreSQL-backed [`crate::Store`].
#[derive(Clone, Debug)]
pub struct PgStore {
    pub(crate) pool: sqlx::PgPool,
}

/// Advisory lock id that serialises migrations across nodes starting at once.
const MIGRATION_LOCK: i64 = 0x006f_7274_6872_7573;

impl PgStore {
    /// Connects and runs migrations (under an advisory lock).
    pub async fn connect(url: &str) -> crate::Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect(url)
            .await?;
        let store = Self { pool };
        let mut conn = store.pool.acquire().await?;
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *conn)
            .await?;
        let result = store.migrate(crate::migrate::POSTGRES).await;
        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *conn)
            .await?;
        result?;
        Ok(store)
    }
}

crate::sql::impl_store!(PgStore, sqlx::Postgres, sqlx::postgres::PgRow, "postgres");
