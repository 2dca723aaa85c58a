//! Who may use an account: direct members with a role (and an optional end),
//! and the role a user has on an account at a given moment, counting team
//! grants. Part of every [`crate::Store`] through the [`MemberStore`]
//! supertrait.

use crate::models::{MemberRow, MemberView};
use crate::rows::member_row;
use crate::sql::{self, parse};
use crate::{PgStore, Result, SqliteStore};
use async_trait::async_trait;
use orthrus_core::{AccountId, AccountRole, Timestamp, UserId, WorkspaceId};
use sqlx::Row;
use tracing::instrument;

/// Account members and their roles, direct and through teams.
#[async_trait]
pub trait MemberStore: Send + Sync {
    // Members
    async fn upsert_member(&self, m: &MemberRow) -> Result<()>;
    async fn remove_member(
        &self,
        ws: WorkspaceId,
        account: AccountId,
        user: UserId,
    ) -> Result<bool>;
    /// The account's members at `now` (ended memberships left out).
    async fn list_members(
        &self,
        ws: WorkspaceId,
        account: AccountId,
        now: Timestamp,
    ) -> Result<Vec<MemberView>>;
    /// The user's role on the account at `now`: every access decision asks
    /// this (or `get_account_for` / `list_accounts_for_user`), so an ended
    /// membership grants nothing even before the sweep deletes it.
    async fn member_role(
        &self,
        ws: WorkspaceId,
        account: AccountId,
        user: UserId,
        now: Timestamp,
    ) -> Result<Option<AccountRole>>;
    /// The user's own membership row, ended or not (for changing it).
    async fn direct_member(
        &self,
        ws: WorkspaceId,
        account: AccountId,
        user: UserId,
    ) -> Result<Option<MemberRow>>;
    /// Memberships (of every workspace) that ended at or before `now`,
    /// oldest end first, at most `limit`.
    async fn expired_members(&self, now: Timestamp, limit: i64) -> Result<Vec<MemberRow>>;
    /// Deletes the membership if it has ended by `now` (false when it was
    /// renewed or removed meanwhile).
    async fn remove_expired_member(
        &self,
        ws: WorkspaceId,
        account: AccountId,
        user: UserId,
        now: Timestamp,
    ) -> Result<bool>;
}

macro_rules! impl_members {
    ($store:ty, $db:ty) => {
        impl $store {
            pub(crate) async fn insert_member<'e, E>(e: E, m: &MemberRow) -> Result<()>
            where
                E: sqlx::Executor<'e, Database = $db>,
            {
                let upsert = r#"
                    INSERT INTO account_members (workspace_id, account_id, user_id, role, added_by, added_at,
                        expires_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7)
                    ON CONFLICT (account_id, user_id)
                    DO UPDATE SET role = excluded.role,
                        added_by = excluded.added_by,
                        added_at = excluded.added_at,
                        expires_at = excluded.expires_at
                    "#;
                let keys = [
                    m.workspace_id.to_string(),
                    m.account_id.to_string(),
                    m.user_id.to_string(),
                ];
                sql::run(e, upsert, keys, |query| {
                    query
                        .bind(m.role.as_str())
                        .bind(m.added_by.to_string())
                        .bind(m.added_at.0)
                        .bind(m.expires_at.map(|t| t.0))
                })
                .await
            }
        }

        #[async_trait]
        impl MemberStore for $store {
            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %m.workspace_id)
            )]
            async fn upsert_member(&self, m: &MemberRow) -> Result<()> {
                Self::insert_member(&self.pool, m).await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %a, user = %user)
            )]
            async fn remove_member(
                &self,
                ws: WorkspaceId,
                a: AccountId,
                user: UserId,
            ) -> Result<bool> {
                let delete = r#"
                    DELETE FROM account_members
                    WHERE workspace_id = $1 AND account_id = $2 AND user_id = $3
                    "#;
                let keys = [ws.to_string(), a.to_string(), user.to_string()];
                sql::changed_one(&self.pool, delete, keys, |query| query).await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %a)
            )]
            async fn list_members(
                &self,
                ws: WorkspaceId,
                a: AccountId,
                now: Timestamp,
            ) -> Result<Vec<MemberView>> {
                let select = r#"
                    SELECT m.workspace_id, m.account_id, m.user_id, m.role, m.added_by, m.added_at,
                        m.expires_at, u.email, u.name
                    FROM account_members m
                    JOIN users u ON u.id = m.user_id
                    WHERE m.workspace_id = $1
                        AND m.account_id = $2
                        AND (m.expires_at IS NULL OR m.expires_at > $3)
                    ORDER BY u.email
                    "#;
                let keys = [ws.to_string(), a.to_string()];
                sql::all_with(&self.pool, select, keys, |query| query.bind(now.0), |r| {
                    Ok(MemberView {
                        member: member_row(r)?,
                        email: r.try_get("email")?,
                        name: r.try_get("name")?,
                    })
                })
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %a, user = %user)
            )]
            async fn member_role(
                &self,
                ws: WorkspaceId,
                a: AccountId,
                user: UserId,
                now: Timestamp,
            ) -> Result<Option<AccountRole>> {
                // Every grant still in force (one row each: their own
                // membership and their teams' grants); the highest role wins.
                let select = r#"
                    SELECT role
                    FROM account_members
                    WHERE workspace_id = $1
                        AND account_id = $2
                        AND user_id = $3
                        AND (expires_at IS NULL OR expires_at > $4)
                    UNION ALL
                    SELECT tg.role
                    FROM team_grants tg
                    JOIN team_members tm ON tm.team_id = tg.team_id
                    WHERE tg.workspace_id = $1 AND tg.account_id = $2 AND tm.user_id = $3
                    "#;
                let keys = [ws.to_string(), a.to_string(), user.to_string()];
                let roles = sql::all_with(&self.pool, select, keys, |query| query.bind(now.0), |r| {
                    parse::<AccountRole>(&r.try_get::<String, _>("role")?, "account role")
                })
                .await?;
                Ok(roles.into_iter().max())
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %a, user = %user)
            )]
            async fn direct_member(
                &self,
                ws: WorkspaceId,
                a: AccountId,
                user: UserId,
            ) -> Result<Option<MemberRow>> {
                let select = r#"
                    SELECT workspace_id, account_id, user_id, role, added_by, added_at, expires_at
                    FROM account_members
                    WHERE workspace_id = $1 AND account_id = $2 AND user_id = $3
                    "#;
                let keys = [ws.to_string(), a.to_string(), user.to_string()];
                sql::one_by(&self.pool, select, keys, member_row).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn expired_members(&self, now: Timestamp, limit: i64) -> Result<Vec<MemberRow>> {
                let select = r#"
                    SELECT workspace_id, account_id, user_id, role, added_by, added_at, expires_at
                    FROM account_members
                    WHERE expires_at IS NOT NULL AND expires_at <= $1
                    ORDER BY expires_at
                    LIMIT $2
                    "#;
                sql::all_with(&self.pool, select, [], |query| query.bind(now.0).bind(limit), member_row)
                    .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %a, user = %user)
            )]
            async fn remove_expired_member(
                &self,
                ws: WorkspaceId,
                a: AccountId,
                user: UserId,
                now: Timestamp,
            ) -> Result<bool> {
                let delete = r#"
                    DELETE FROM account_members
                    WHERE workspace_id = $1
                        AND account_id = $2
                        AND user_id = $3
                        AND expires_at IS NOT NULL
                        AND expires_at <= $4
                    "#;
                let keys = [ws.to_string(), a.to_string(), user.to_string()];
                sql::changed_one(&self.pool, delete, keys, |query| query.bind(now.0)).await
            }
        }
    };
}

impl_members!(SqliteStore, sqlx::Sqlite);
impl_members!(PgStore, sqlx::Postgres);
