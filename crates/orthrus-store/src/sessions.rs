//! Sign-in state: browser sessions, API tokens and the sign-in throttle. Part
//! of every [`crate::Store`] through the [`SessionStore`] supertrait; the one-
//! statement lookups of every request are in `hot.rs`.

use crate::models::{ApiTokenRow, SessionRow, ThrottleRow};
use crate::rows::{SESSION_COLS, TOKEN_COLS, session_row, throttle_row, token_row};
use crate::sql::{self, Backend, sql_fmt};
use crate::{PgStore, Result, SqliteStore};
use async_trait::async_trait;
use orthrus_core::{SessionId, Timestamp, TokenId, UserId, WorkspaceId};
use tracing::instrument;

/// Sessions, API tokens and sign-in throttling.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Signs a user out everywhere but `keep` (their current session), e.g.
    /// after they changed their password. Returns how many sessions ended.
    async fn revoke_other_sessions(
        &self,
        ws: WorkspaceId,
        user: UserId,
        keep: Option<SessionId>,
        at: Timestamp,
    ) -> Result<u64>;

    // Sessions and tokens
    async fn create_session(&self, s: &SessionRow) -> Result<()>;
    async fn session_by_token_hash(&self, hash: &str) -> Result<Option<SessionRow>>;
    async fn touch_session(&self, id: SessionId, at: Timestamp) -> Result<()>;
    async fn elevate_session(&self, id: SessionId, until: Timestamp) -> Result<()>;
    async fn list_sessions(
        &self,
        ws: WorkspaceId,
        user: UserId,
        now: Timestamp,
    ) -> Result<Vec<SessionRow>>;
    async fn revoke_session(
        &self,
        ws: WorkspaceId,
        user: UserId,
        id: SessionId,
        at: Timestamp,
    ) -> Result<bool>;
    async fn revoke_user_credentials(
        &self,
        ws: WorkspaceId,
        user: UserId,
        at: Timestamp,
    ) -> Result<()>;
    async fn create_api_token(&self, t: &ApiTokenRow) -> Result<()>;
    async fn api_token_by_hash(&self, hash: &str) -> Result<Option<ApiTokenRow>>;
    async fn touch_api_token(&self, id: TokenId, at: Timestamp) -> Result<()>;
    async fn list_api_tokens(&self, ws: WorkspaceId, user: UserId) -> Result<Vec<ApiTokenRow>>;
    async fn revoke_api_token(
        &self,
        ws: WorkspaceId,
        user: UserId,
        id: TokenId,
        at: Timestamp,
    ) -> Result<bool>;

    // Sign-in throttling
    async fn get_throttle(&self, key: &str) -> Result<Option<ThrottleRow>>;
    /// Counts a failure in a window of `window_secs`; locks for `lock_secs`
    /// when the count reaches `threshold`. Returns the updated row.
    async fn record_failure(
        &self,
        key: &str,
        now: Timestamp,
        window_secs: i64,
        threshold: i64,
        lock_secs: i64,
    ) -> Result<ThrottleRow>;
    async fn clear_throttle(&self, key: &str) -> Result<()>;
}

/// The row of credential table `table` (`sessions` or `api_tokens`, its
/// columns `cols`: constants) whose token hash is `hash`.
async fn by_token_hash<'c, DB: Backend, T>(
    e: impl sqlx::Executor<'c, Database = DB>,
    table: &'static str,
    cols: &'static str,
    hash: &str,
    decode: impl Fn(&DB::Row) -> Result<T>,
) -> Result<Option<T>> {
    let select = sql_fmt!("SELECT {cols} FROM {table} WHERE token_hash = $1");
    sql::one_by(e, select, [hash.to_owned()], decode).await
}

macro_rules! impl_sessions {
    ($store:ty) => {
        impl $store {
            /// Revokes credential `id` of `user` in `ws` (a row of `table`,
            /// `sessions` or `api_tokens`: a constant) unless it is revoked
            /// already; whether it was.
            async fn revoke_credential(
                &self,
                table: &'static str,
                ws: WorkspaceId,
                user: UserId,
                id: impl std::fmt::Display,
                at: Timestamp,
            ) -> Result<bool> {
                let update = sql_fmt!(
                    r#"
                    UPDATE {table}
                    SET revoked_at = $4
                    WHERE workspace_id = $1 AND user_id = $2 AND id = $3 AND revoked_at IS NULL
                    "#
                );
                let keys = [ws.to_string(), user.to_string(), id.to_string()];
                sql::changed_one(&self.pool, update, keys, |q| q.bind(at.0)).await
            }
        }

        #[async_trait]
        impl SessionStore for $store {
            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, user = %user)
            )]
            async fn revoke_other_sessions(
                &self,
                ws: WorkspaceId,
                user: UserId,
                keep: Option<SessionId>,
                at: Timestamp,
            ) -> Result<u64> {
                let keep = keep.map(|k| k.to_string()).unwrap_or_default();
                let update = r#"
                    UPDATE sessions
                    SET revoked_at = $3
                    WHERE workspace_id = $1 AND user_id = $2 AND id <> $4 AND revoked_at IS NULL
                    "#;
                let done = sql::execute(
                    &self.pool,
                    update,
                    [ws.to_string(), user.to_string()],
                    |query| query.bind(at.0).bind(keep),
                )
                .await?;
                Ok(done)
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %s.workspace_id)
            )]
            async fn create_session(&self, s: &SessionRow) -> Result<()> {
                let insert = sql_fmt!(
                    r#"
                    INSERT INTO sessions ({SESSION_COLS})
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                    "#
                );
                let keys = [s.id.to_string(), s.workspace_id.to_string(), s.user_id.to_string()];
                sql::run(&self.pool, insert, keys, |query| {
                    query
                        .bind(&s.token_hash)
                        .bind(s.kind.as_str())
                        .bind(s.created_at.0)
                        .bind(s.last_seen_at.0)
                        .bind(s.expires_at.0)
                        .bind(s.elevated_until.map(|t| t.0))
                        .bind(&s.ip)
                        .bind(&s.user_agent)
                        .bind(s.revoked_at.map(|t| t.0))
                })
                .await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn session_by_token_hash(&self, hash: &str) -> Result<Option<SessionRow>> {
                by_token_hash(&self.pool, "sessions", SESSION_COLS, hash, session_row).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, session = %s))]
            async fn touch_session(&self, s: SessionId, at: Timestamp) -> Result<()> {
                let update = "UPDATE sessions SET last_seen_at = $2 WHERE id = $1";
                sql::run(&self.pool, update, [s.to_string()], |query| query.bind(at.0)).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, session = %s))]
            async fn elevate_session(&self, s: SessionId, until: Timestamp) -> Result<()> {
                let update = "UPDATE sessions SET elevated_until = $2 WHERE id = $1";
                sql::run(&self.pool, update, [s.to_string()], |query| {
                    query.bind(until.0)
                })
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, user = %user)
            )]
            async fn list_sessions(
                &self,
                ws: WorkspaceId,
                user: UserId,
                now: Timestamp,
            ) -> Result<Vec<SessionRow>> {
                let select = sql_fmt!(
                    r#"
                    SELECT {SESSION_COLS}
                    FROM sessions
                    WHERE workspace_id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3
                    ORDER BY last_seen_at DESC
                    "#
                );
                let keys = [ws.to_string(), user.to_string()];
                sql::all_with(&self.pool, select, keys, |query| query.bind(now.0), session_row).await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, user = %user, session = %s)
            )]
            async fn revoke_session(
                &self,
                ws: WorkspaceId,
                user: UserId,
                s: SessionId,
                at: Timestamp,
            ) -> Result<bool> {
                self.revoke_credential("sessions", ws, user, s, at).await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, user = %user)
            )]
            async fn revoke_user_credentials(
                &self,
                ws: WorkspaceId,
                user: UserId,
                at: Timestamp,
            ) -> Result<()> {
                let mut tx = self.pool.begin().await?;
                for table in ["sessions", "api_tokens"] {
                    let update = sql_fmt!(
                        r#"
                        UPDATE {table}
                        SET revoked_at = $3
                        WHERE workspace_id = $1 AND user_id = $2 AND revoked_at IS NULL
                        "#
                    );
                    let keys = [ws.to_string(), user.to_string()];
                    sql::execute(&mut *tx, update, keys, |q| q.bind(at.0)).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %t.workspace_id)
            )]
            async fn create_api_token(&self, t: &ApiTokenRow) -> Result<()> {
                let insert = sql_fmt!(
                    r#"
                    INSERT INTO api_tokens ({TOKEN_COLS})
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                    "#
                );
                let keys = [t.id.to_string(), t.workspace_id.to_string(), t.user_id.to_string()];
                sql::run(&self.pool, insert, keys, |query| {
                    query
                        .bind(&t.name)
                        .bind(&t.token_hash)
                        .bind(&t.prefix)
                        .bind(t.created_at.0)
                        .bind(t.last_used_at.map(|t| t.0))
                        .bind(t.expires_at.map(|t| t.0))
                        .bind(t.revoked_at.map(|t| t.0))
                })
                .await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn api_token_by_hash(&self, hash: &str) -> Result<Option<ApiTokenRow>> {
                by_token_hash(&self.pool, "api_tokens", TOKEN_COLS, hash, token_row).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, token = %t))]
            async fn touch_api_token(&self, t: TokenId, at: Timestamp) -> Result<()> {
                let update = "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1";
                sql::run(&self.pool, update, [t.to_string()], |query| query.bind(at.0)).await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, user = %user)
            )]
            async fn list_api_tokens(
                &self,
                ws: WorkspaceId,
                user: UserId,
            ) -> Result<Vec<ApiTokenRow>> {
                let select = sql_fmt!(
                    r#"
                    SELECT {TOKEN_COLS}
                    FROM api_tokens
                    WHERE workspace_id = $1 AND user_id = $2 AND revoked_at IS NULL
                    ORDER BY created_at DESC
                    "#
                );
                let keys = [ws.to_string(), user.to_string()];
                sql::all_by(&self.pool, select, keys, token_row).await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, user = %user, token = %t)
            )]
            async fn revoke_api_token(
                &self,
                ws: WorkspaceId,
                user: UserId,
                t: TokenId,
                at: Timestamp,
            ) -> Result<bool> {
                self.revoke_credential("api_tokens", ws, user, t, at).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn get_throttle(&self, key: &str) -> Result<Option<ThrottleRow>> {
                let select = r#"
                    SELECT key, failures, window_start, locked_until
                    FROM login_throttle
                    WHERE key = $1
                    "#;
                sql::one_by(&self.pool, select, [key.to_owned()], throttle_row).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn record_failure(
                &self,
                key: &str,
                now: Timestamp,
                window_secs: i64,
                threshold: i64,
                lock_secs: i64,
            ) -> Result<ThrottleRow> {
                let window_floor = now.plus_seconds(-window_secs).0;
                let row = sqlx::query(
                    r#"
                    INSERT INTO login_throttle (key, failures, window_start, locked_until)
                    VALUES ($1, 1, $2, NULL)
                    ON CONFLICT (key) DO UPDATE SET
                        failures = CASE WHEN login_throttle.window_start < $3
                                THEN 1 ELSE login_throttle.failures + 1 END,
                        window_start = CASE WHEN login_throttle.window_start < $3
                                THEN $2 ELSE login_throttle.window_start END
                    RETURNING key, failures, window_start, locked_until
                    "#,
                )
                .bind(key)
                .bind(now.0)
                .bind(window_floor)
                .fetch_one(&self.pool)
                .await?;
                let mut t = throttle_row(&row)?;
                if t.failures >= threshold {
                    let until = now.plus_seconds(lock_secs);
                    sqlx::query(
                        r#"
                        UPDATE login_throttle
                        SET locked_until = $2,
                            failures = 0,
                            window_start = $3
                        WHERE key = $1
                        "#,
                    )
                    .bind(key)
                    .bind(until.0)
                    .bind(now.0)
                    .execute(&self.pool)
                    .await?;
                    t.locked_until = Some(until);
                    t.failures = 0;
                }
                Ok(t)
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn clear_throttle(&self, key: &str) -> Result<()> {
                sqlx::query("DELETE FROM login_throttle WHERE key = $1")
                    .bind(key)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }
        }
    };
}

impl_sessions!(SqliteStore);
impl_sessions!(PgStore);
