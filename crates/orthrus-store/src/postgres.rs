//! The PostgreSQL store, for running several Orthrus nodes on one database.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

/// PostgreSQL-backed [`crate::Store`].
#[derive(Clone, Debug)]
pub struct PgStore {
    pub(crate) pool: sqlx::PgPool,
    /// How the change feed connects: its own connection, outside the pool.
    pub(crate) listen: crate::notify::ListenOptions,
}

/// Advisory lock id that serialises migrations across nodes starting at once.
const MIGRATION_LOCK: i64 = 0x006f_7274_6872_7573;

impl PgStore {
    /// Connects and runs migrations (under an advisory lock).
    pub async fn connect(url: &str) -> crate::Result<Self> {
        Self::connect_with(url, crate::PoolSettings::default()).await
    }

    /// [`PgStore::connect`] with the pool's size set.
    pub async fn connect_with(url: &str, settings: crate::PoolSettings) -> crate::Result<Self> {
        // Statements are prepared once per connection and kept (sqlx's
        // cache, by SQL text): room for every statement the server uses.
        let options = url
            .parse::<PgConnectOptions>()?
            .statement_cache_capacity(512);
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_for(true))
            .min_connections(settings.min_for(true))
            .acquire_timeout(crate::ACQUIRE_TIMEOUT)
            // No ping before every use (a round trip per query): sqlx
            // already tests a connection when it goes back to the pool, and
            // one idle for a minute is tested before it is used again.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for.as_secs() >= 60 {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .connect_with(options.clone())
            .await?;
        let store = Self {
            pool,
            listen: crate::notify::ListenOptions(options),
        };
        // The lock is held on a connection of its own: migrating takes
        // the pool's, which may have only one (database_max_connections).
        let mut conn =
            <sqlx::PgConnection as sqlx::Connection>::connect_with(&store.listen.0).await?;
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut conn)
            .await?;
        let result = store.migrate(crate::migrate::POSTGRES).await;
        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut conn)
            .await?;
        let _ = sqlx::Connection::close(conn).await;
        result?;
        Ok(store)
    }
}
