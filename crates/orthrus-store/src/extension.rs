//! The browser extension (issue 12): pairing requests, each account's extra
//! site URLs and the workspace's app restriction patterns. Part of every
//! [`crate::Store`] through the [`ExtensionStore`] supertrait.

use crate::models::{PairingRow, PairingStatus};
use crate::rows::{id, pairing_row, small};
use crate::sql;
use crate::{PgStore, Result, SqliteStore};
use async_trait::async_trait;
use orthrus_core::{AccountId, EventId, Timestamp, UserId, WorkspaceId};
use sqlx::Row;
use tracing::instrument;

/// The browser extension: pairings, extra site URLs, app restrictions.
#[async_trait]
pub trait ExtensionStore: Send + Sync {
    // The browser extension (issue 12)
    async fn create_pairing(&self, p: &PairingRow) -> Result<()>;
    async fn get_pairing(&self, id: EventId) -> Result<Option<PairingRow>>;
    /// Pairing requests made from `ip` since `since` (a rate limit).
    async fn count_pairings_from(&self, ip: &str, since: Timestamp) -> Result<i64>;
    /// Decides a pending, unexpired request once (approved or denied, for
    /// `user`); false when it was decided already or has expired.
    async fn decide_pairing(
        &self,
        id: EventId,
        status: PairingStatus,
        ws: WorkspaceId,
        user: UserId,
        at: Timestamp,
    ) -> Result<bool>;
    /// Moves an approved, unexpired request to claimed; false when it is not
    /// (so a session is handed out once).
    async fn claim_pairing(&self, id: EventId, now: Timestamp) -> Result<bool>;
    /// The extra site URLs of an account (JSON array), if any were set.
    async fn account_urls(&self, ws: WorkspaceId, a: AccountId) -> Result<Option<String>>;
    async fn set_account_urls(
        &self,
        ws: WorkspaceId,
        a: AccountId,
        urls_json: &str,
        at: Timestamp,
    ) -> Result<()>;
    /// Every account's extra URLs in the workspace (JSON arrays).
    async fn workspace_account_urls(&self, ws: WorkspaceId) -> Result<Vec<(AccountId, String)>>;
    /// The workspace's app restriction patterns (app, JSON array).
    async fn app_restrictions(&self, ws: WorkspaceId) -> Result<Vec<(String, String)>>;
    /// Replaces one app's patterns (None: back to the built-in defaults).
    async fn set_app_restrictions(
        &self,
        ws: WorkspaceId,
        app: &str,
        patterns_json: Option<&str>,
        at: Timestamp,
    ) -> Result<()>;
}

macro_rules! impl_extension {
    ($store:ty) => {
        #[async_trait]
        impl ExtensionStore for $store {
            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn create_pairing(&self, p: &PairingRow) -> Result<()> {
                let choices: Vec<String> = p.choices.iter().map(i64::to_string).collect();
                let insert = r#"
                    INSERT INTO extension_pairings (id, secret_hash, number, choices, browser, ip, status,
                        workspace_id, user_id, created_at, expires_at, decided_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL, $8, $9, NULL)
                    "#;
                let keys = [p.id.to_string()];
                sql::run(&self.pool, insert, keys, |query| {
                    query
                        .bind(&p.secret_hash)
                        .bind(small(p.number))
                        .bind(choices.join(","))
                        .bind(&p.browser)
                        .bind(&p.ip)
                        .bind(p.status.as_str())
                        .bind(p.created_at.0)
                        .bind(p.expires_at.0)
                })
                .await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, id = %id))]
            async fn get_pairing(&self, id: EventId) -> Result<Option<PairingRow>> {
                let select = "SELECT * FROM extension_pairings WHERE id = $1";
                sql::one_by(&self.pool, select, [id.to_string()], pairing_row).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn count_pairings_from(&self, ip: &str, since: Timestamp) -> Result<i64> {
                let select = r#"
                    SELECT COUNT(*) AS n
                    FROM extension_pairings
                    WHERE ip = $1 AND created_at >= $2
                    "#;
                sql::count(&self.pool, select, [ip.to_owned()], |query| query.bind(since.0)).await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, id = %id, user = %user)
            )]
            async fn decide_pairing(
                &self,
                id: EventId,
                status: PairingStatus,
                ws: WorkspaceId,
                user: UserId,
                at: Timestamp,
            ) -> Result<bool> {
                let update = r#"
                    UPDATE extension_pairings
                    SET status = $2,
                        workspace_id = $3,
                        user_id = $4,
                        decided_at = $5
                    WHERE id = $1 AND status = 'pending' AND expires_at > $5
                    "#;
                sql::changed_one(&self.pool, update, [id.to_string()], |query| {
                    query
                        .bind(status.as_str())
                        .bind(ws.to_string())
                        .bind(user.to_string())
                        .bind(at.0)
                })
                .await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, id = %id))]
            async fn claim_pairing(&self, id: EventId, now: Timestamp) -> Result<bool> {
                let update = r#"
                    UPDATE extension_pairings
                    SET status = 'claimed'
                    WHERE id = $1 AND status = 'approved' AND expires_at > $2
                    "#;
                sql::changed_one(&self.pool, update, [id.to_string()], |query| {
                    query.bind(now.0)
                })
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %a)
            )]
            async fn account_urls(&self, ws: WorkspaceId, a: AccountId) -> Result<Option<String>> {
                let select = r#"
                    SELECT urls
                    FROM account_urls
                    WHERE workspace_id = $1 AND account_id = $2
                    "#;
                sql::one_by(&self.pool, select, [ws.to_string(), a.to_string()], |r| {
                    Ok(r.try_get("urls")?)
                })
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %a)
            )]
            async fn set_account_urls(
                &self,
                ws: WorkspaceId,
                a: AccountId,
                urls_json: &str,
                at: Timestamp,
            ) -> Result<()> {
                let upsert = r#"
                    INSERT INTO account_urls (account_id, workspace_id, urls, updated_at)
                    VALUES ($1, $2, $3, $4)
                    ON CONFLICT (account_id)
                    DO UPDATE SET urls = excluded.urls,
                        updated_at = excluded.updated_at
                    "#;
                let keys = [a.to_string(), ws.to_string()];
                sql::run(&self.pool, upsert, keys, |query| query.bind(urls_json).bind(at.0))
                    .await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn workspace_account_urls(
                &self,
                ws: WorkspaceId,
            ) -> Result<Vec<(AccountId, String)>> {
                let select = r#"
                    SELECT account_id, urls
                    FROM account_urls
                    WHERE workspace_id = $1
                    "#;
                sql::all_by(&self.pool, select, [ws.to_string()], |r| {
                    Ok((id(r, "account_id")?, r.try_get("urls")?))
                })
                .await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn app_restrictions(&self, ws: WorkspaceId) -> Result<Vec<(String, String)>> {
                let select = r#"
                    SELECT app, patterns
                    FROM app_restrictions
                    WHERE workspace_id = $1
                    ORDER BY app
                    "#;
                sql::all_by(&self.pool, select, [ws.to_string()], |r| {
                    Ok((r.try_get("app")?, r.try_get("patterns")?))
                })
                .await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn set_app_restrictions(
                &self,
                ws: WorkspaceId,
                app: &str,
                patterns_json: Option<&str>,
                at: Timestamp,
            ) -> Result<()> {
                match patterns_json {
                    Some(p) => {
                        let upsert = r#"
                            INSERT INTO app_restrictions (workspace_id, app, patterns, updated_at)
                            VALUES ($1, $2, $3, $4)
                            ON CONFLICT (workspace_id, app)
                            DO UPDATE SET patterns = excluded.patterns,
                                updated_at = excluded.updated_at
                            "#;
                        let keys = [ws.to_string()];
                        sql::execute(&self.pool, upsert, keys, |query| {
                            query
                                .bind(app)
                                .bind(p)
                                .bind(at.0)
                        })
                        .await?;
                    }
                    None => {
                        let delete = r#"
                            DELETE FROM app_restrictions
                            WHERE workspace_id = $1 AND app = $2
                            "#;
                        sql::execute(&self.pool, delete, [ws.to_string()], |query| {
                            query.bind(app)
                        })
                        .await?;
                    }
                }
                Ok(())
            }
        }
    };
}

impl_extension!(SqliteStore);
impl_extension!(PgStore);
