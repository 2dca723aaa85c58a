//! The directory a SCIM client keeps (issue 15): the workspace's SCIM token,
//! what the client said about each user beyond the users row, teams (SCIM
//! Groups), their members, and the roles teams hold on accounts. Part of
//! every [`crate::Store`] through the [`Directory`] supertrait.

use crate::sql::{conflict, parse};
use crate::{PgStore, Result, SqliteStore};
use async_trait::async_trait;
use orthrus_core::{AccountId, AccountRole, EventId, Timestamp, UserId, WorkspaceId};
use sqlx::Row;

/// The workspace's SCIM bearer token (only its keyed hash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScimTokenRow {
    pub workspace_id: WorkspaceId,
    pub token_hash: String,
    /// The token's first characters, to tell tokens apart.
    pub prefix: String,
    pub created_by: UserId,
    pub created_at: Timestamp,
}

/// What a SCIM client said about a user beyond the users row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScimUserRow {
    pub user_id: UserId,
    pub workspace_id: WorkspaceId,
    pub user_name: String,
    pub external_id: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub formatted_name: Option<String>,
    pub display_name: Option<String>,
    /// The `emails` attribute as sent (a JSON array).
    pub emails: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// The client deleted the resource: the user stays, deactivated.
    pub deleted_at: Option<Timestamp>,
}

/// A team (a SCIM Group, or one made by hand).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamRow {
    pub id: EventId,
    pub workspace_id: WorkspaceId,
    pub display_name: String,
    pub external_id: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamMemberRow {
    pub team_id: EventId,
    pub user_id: UserId,
    pub added_at: Timestamp,
}

/// A role a team holds on an account: each member of the team has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamGrantRow {
    pub workspace_id: WorkspaceId,
    pub account_id: AccountId,
    pub team_id: EventId,
    pub role: AccountRole,
    pub added_by: UserId,
    pub added_at: Timestamp,
}

/// What removing a user's grants took away.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RemovedGrants {
    /// Accounts the user was a direct member of.
    pub accounts: Vec<AccountId>,
    /// Teams the user was a member of.
    pub teams: Vec<EventId>,
}

/// Directory queries, part of every [`crate::Store`].
#[async_trait]
pub trait Directory: Send + Sync {
    async fn scim_token(&self, ws: WorkspaceId) -> Result<Option<ScimTokenRow>>;
    async fn scim_token_by_hash(&self, hash: &str) -> Result<Option<ScimTokenRow>>;
    /// Makes `t` the workspace's only SCIM token.
    async fn replace_scim_token(&self, t: &ScimTokenRow) -> Result<()>;
    /// Removes the workspace's SCIM token; false when it had none.
    async fn delete_scim_token(&self, ws: WorkspaceId) -> Result<bool>;
    /// Removes every single sign-on link of a user (their email changed:
    /// the new address must be linked afresh); how many there were.
    async fn unlink_sso_identities(&self, ws: WorkspaceId, user: UserId) -> Result<u64>;

    /// Every SCIM record of the workspace, deleted ones included.
    async fn scim_users(&self, ws: WorkspaceId) -> Result<Vec<ScimUserRow>>;
    async fn scim_user(&self, ws: WorkspaceId, user: UserId) -> Result<Option<ScimUserRow>>;
    /// Creates or replaces a user's SCIM record.
    async fn save_scim_user(&self, r: &ScimUserRow) -> Result<()>;
    /// Changes a user's email and name; Conflict when the email is taken.
    async fn update_user_identity(
        &self,
        ws: WorkspaceId,
        user: UserId,
        email: &str,
        name: &str,
        at: Timestamp,
    ) -> Result<()>;
    /// Removes every grant of a user in one transaction: their account
    /// memberships and team memberships.
    async fn remove_user_grants(&self, ws: WorkspaceId, user: UserId) -> Result<RemovedGrants>;

    /// Conflict when the name is taken in the workspace.
    async fn create_team(&self, t: &TeamRow) -> Result<()>;
    async fn get_team(&self, ws: WorkspaceId, id: EventId) -> Result<Option<TeamRow>>;
    /// The workspace's teams by name.
    async fn list_teams(&self, ws: WorkspaceId) -> Result<Vec<TeamRow>>;
    /// Renames a team or changes its external id; Conflict on a taken name.
    async fn update_team(&self, t: &TeamRow) -> Result<()>;
    /// Deletes a team with its members and grants.
    async fn delete_team(&self, ws: WorkspaceId, id: EventId) -> Result<bool>;
    /// Members of one team, or of every team of the workspace.
    async fn team_members(
        &self,
        ws: WorkspaceId,
        team: Option<EventId>,
    ) -> Result<Vec<TeamMemberRow>>;
    /// False when the user was a member already.
    async fn add_team_member(
        &self,
        ws: WorkspaceId,
        team: EventId,
        user: UserId,
        at: Timestamp,
    ) -> Result<bool>;
    async fn remove_team_member(
        &self,
        ws: WorkspaceId,
        team: EventId,
        user: UserId,
    ) -> Result<bool>;
    /// Gives a team a role on an account (or changes it).
    async fn put_team_grant(&self, g: &TeamGrantRow) -> Result<()>;
    async fn remove_team_grant(
        &self,
        ws: WorkspaceId,
        account: AccountId,
        team: EventId,
    ) -> Result<bool>;
    /// Grants on one account, or (account None) every grant of the workspace.
    async fn team_grants(
        &self,
        ws: WorkspaceId,
        account: Option<AccountId>,
    ) -> Result<Vec<TeamGrantRow>>;
}

const SCIM_USER_COLS: &str = "user_id, workspace_id, user_name, external_id, given_name, family_name, formatted_name, display_name, emails, created_at, updated_at, deleted_at";
const TEAM_COLS: &str = "id, workspace_id, display_name, external_id, created_at, updated_at";
const GRANT_COLS: &str = "workspace_id, account_id, team_id, role, added_by, added_at";

macro_rules! impl_directory {
    ($store:ty, $row:ty) => {
        impl $store {
            fn scim_token_row(r: &$row) -> Result<ScimTokenRow> {
                Ok(ScimTokenRow {
                    workspace_id: parse(&r.try_get::<String, _>("workspace_id")?, "workspace_id")?,
                    token_hash: r.try_get("token_hash")?,
                    prefix: r.try_get("prefix")?,
                    created_by: parse(&r.try_get::<String, _>("created_by")?, "created_by")?,
                    created_at: Timestamp(r.try_get("created_at")?),
                })
            }

            fn scim_user_row(r: &$row) -> Result<ScimUserRow> {
                Ok(ScimUserRow {
                    user_id: parse(&r.try_get::<String, _>("user_id")?, "user_id")?,
                    workspace_id: parse(&r.try_get::<String, _>("workspace_id")?, "workspace_id")?,
                    user_name: r.try_get("user_name")?,
                    external_id: r.try_get("external_id")?,
                    given_name: r.try_get("given_name")?,
                    family_name: r.try_get("family_name")?,
                    formatted_name: r.try_get("formatted_name")?,
                    display_name: r.try_get("display_name")?,
                    emails: r.try_get("emails")?,
                    created_at: Timestamp(r.try_get("created_at")?),
                    updated_at: Timestamp(r.try_get("updated_at")?),
                    deleted_at: r.try_get::<Option<i64>, _>("deleted_at")?.map(Timestamp),
                })
            }

            fn team_row(r: &$row) -> Result<TeamRow> {
                Ok(TeamRow {
                    id: parse(&r.try_get::<String, _>("id")?, "id")?,
                    workspace_id: parse(&r.try_get::<String, _>("workspace_id")?, "workspace_id")?,
                    display_name: r.try_get("display_name")?,
                    external_id: r.try_get("external_id")?,
                    created_at: Timestamp(r.try_get("created_at")?),
                    updated_at: Timestamp(r.try_get("updated_at")?),
                })
            }

            fn grant_row(r: &$row) -> Result<TeamGrantRow> {
                Ok(TeamGrantRow {
                    workspace_id: parse(&r.try_get::<String, _>("workspace_id")?, "workspace_id")?,
                    account_id: parse(&r.try_get::<String, _>("account_id")?, "account_id")?,
                    team_id: parse(&r.try_get::<String, _>("team_id")?, "team_id")?,
                    role: parse(&r.try_get::<String, _>("role")?, "role")?,
                    added_by: parse(&r.try_get::<String, _>("added_by")?, "added_by")?,
                    added_at: Timestamp(r.try_get("added_at")?),
                })
            }
        }

        #[async_trait]
        impl Directory for $store {
            #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn scim_token(&self, ws: WorkspaceId) -> Result<Option<ScimTokenRow>> {
                sqlx::query("SELECT workspace_id, token_hash, prefix, created_by, created_at FROM scim_tokens WHERE workspace_id = $1")
                    .bind(ws.to_string())
                    .fetch_optional(&self.pool).await?
                    .as_ref().map(Self::scim_token_row).transpose()
            }

            #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn scim_token_by_hash(&self, hash: &str) -> Result<Option<ScimTokenRow>> {
                sqlx::query("SELECT workspace_id, token_hash, prefix, created_by, created_at FROM scim_tokens WHERE token_hash = $1")
                    .bind(hash)
                    .fetch_optional(&self.pool).await?
                    .as_ref().map(Self::scim_token_row).transpose()
            }

            #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn replace_scim_token(&self, t: &ScimTokenRow) -> Result<()> {
                let mut tx = self.pool.begin().await?;
                sqlx::query("DELETE FROM scim_tokens WHERE workspace_id = $1")
                    .bind(t.workspace_id.to_string()).execute(&mut *tx).await?;
                sqlx::query("INSERT INTO scim_tokens (workspace_id, token_hash, prefix, created_by, created_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(t.workspace_id.to_string()).bind(&t.token_hash).bind(&t.prefix)
                    .bind(t.created_by.to_string()).bind(t.created_at.0)
                    .execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn delete_scim_token(&self, ws: WorkspaceId) -> Result<bool> {
                let done = sqlx::query("DELETE FROM scim_tokens WHERE workspace_id = $1")
                    .bind(ws.to_string()).execute(&self.pool).await?;
                Ok(done.rows_affected() > 0)
            }

            #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws, user = %user))]
            async fn unlink_sso_identities(&self, ws: WorkspaceId, user: UserId) -> Result<u64> {
                let done = sqlx::query("DELETE FROM sso_identities WHERE workspace_id = $1 AND user_id = $2")
                    .bind(ws.to_string()).bind(user.to_string()).execute(&self.pool).await?;
                Ok(done.rows_affected())
            }

            #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn scim_users(&self, ws: WorkspaceId) -> Result<Vec<ScimUserRow>> {
                sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {SCIM_USER_COLS} FROM scim_users WHERE workspace_id = $1")))
                    .bind(ws.to_string())
                    .fetch_all(&self.pool).await?
                    .iter().map(Self::scim_user_row).collect()
            }

            #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws, user = %user))]
            async fn scim_user(&self, ws: WorkspaceId, user: UserId) -> Result<Option<ScimUserRow>> {
                sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {SCIM_USER_COLS} FROM scim_users WHERE workspace_id = $1 AND user_id = $2")))
                    .bind(ws.to_string()).bind(user.to_string())
                    .fetch_optional(&self.pool).await?
                    .as_ref().map(Self::scim_user_row).transpose()
            }

            #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn save_scim_user(&self, r: &ScimUserRow) -> Result<()> {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO scim_users ({SCIM_USER_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                     ON CONFLICT (user_id) DO UPDATE SET user_name = excluded.user_name, external_id = excluded.external_id,
                        given_name = excluded.given_name, family_name = excluded.family_name, formatted_name = excluded.formatted_name,
                        display_name = excluded.display_name, emails = excluded.emails, updated_at = excluded.updated_at,
                        deleted_at = excluded.deleted_at"
                )))
                .bind(r.user_id.to_string()).bind(r.workspace_id.to_string()).bind(&r.user_name)
                .bind(r.external_id.as_deref()).bind(r.given_name.as_deref()).bind(r.family_name.as_deref())
                .bind(r.formatted_name.as_deref()).bind(r.display_name.as_deref()).bind(&r.emails)
                .bind(r.created_at.0).bind(r.updated_at.0).bind(r.deleted_at.map(|t| t.0))
                .execute(&self.pool).await?;
                Ok(())
            }

            #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws, user = %user))]
            async fn update_user_identity(&self, ws: WorkspaceId, user: UserId, email: &str, name: &str, at: Timestamp) -> Result<()> {
                let done = sqlx::query("UPDATE users SET email = $3, name = $4, updated_at = $5 WHERE workspace_id = $1 AND id = $2")
                    .bind(ws.to_string()).bind(user.to_string()).bind(email).bind(name).bind(at.0)
                    .execute(&self.pool).await
                    .map_err(|e| conflict(e, "email"))?;
                crate::sql::one_row(done.rows_affected())
            }

            #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws, user = %user))]
            async fn remove_user_grants(&self, ws: WorkspaceId, user: UserId) -> Result<RemovedGrants> {
                // Deletes that say what they deleted: the transaction writes
                // first (SQLite takes its write lock at once instead of
                // failing to upgrade a read), and of two callers at once only
                // the one whose delete took the rows gets them back.
                let mut tx = self.pool.begin().await?;
                let accounts = sqlx::query("DELETE FROM account_members WHERE workspace_id = $1 AND user_id = $2 RETURNING account_id")
                    .bind(ws.to_string()).bind(user.to_string())
                    .fetch_all(&mut *tx).await?
                    .iter().map(|r| parse(&r.try_get::<String, _>("account_id")?, "account_id"))
                    .collect::<Result<Vec<AccountId>>>()?;
                let teams = sqlx::query("DELETE FROM team_members WHERE workspace_id = $1 AND user_id = $2 RETURNING team_id")
                    .bind(ws.to_string()).bind(user.to_string())
                    .fetch_all(&mut *tx).await?
                    .iter().map(|r| parse(&r.try_get::<String, _>("team_id")?, "team_id"))
                    .collect::<Result<Vec<EventId>>>()?;
                tx.commit().await?;
                Ok(RemovedGrants { accounts, teams })
            }

            #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn create_team(&self, t: &TeamRow) -> Result<()> {
                sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO teams ({TEAM_COLS}) VALUES ($1, $2, $3, $4, $5, $6)")))
                    .bind(t.id.to_string()).bind(t.workspace_id.to_string()).bind(&t.display_name)
                    .bind(t.external_id.as_deref()).bind(t.created_at.0).bind(t.updated_at.0)
                    .execute(&self.pool).await
                    .map_err(|e| conflict(e, "team name"))?;
                Ok(())
            }

            #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws, id = %id))]
            async fn get_team(&self, ws: WorkspaceId, id: EventId) -> Result<Option<TeamRow>> {
                sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {TEAM_COLS} FROM teams WHERE workspace_id = $1 AND id = $2")))
                    .bind(ws.to_string()).bind(id.to_string())
                    .fetch_optional(&self.pool).await?
                    .as_ref().map(Self::team_row).transpose()
            }

            #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn list_teams(&self, ws: WorkspaceId) -> Result<Vec<TeamRow>> {
                sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {TEAM_COLS} FROM teams WHERE workspace_id = $1 ORDER BY lower(display_name), id")))
                    .bind(ws.to_string())
                    .fetch_all(&self.pool).await?
                    .iter().map(Self::team_row).collect()
            }

            #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn update_team(&self, t: &TeamRow) -> Result<()> {
                let done = sqlx::query("UPDATE teams SET display_name = $3, external_id = $4, updated_at = $5 WHERE workspace_id = $1 AND id = $2")
                    .bind(t.workspace_id.to_string()).bind(t.id.to_string()).bind(&t.display_name)
                    .bind(t.external_id.as_deref()).bind(t.updated_at.0)
                    .execute(&self.pool).await
                    .map_err(|e| conflict(e, "team name"))?;
                crate::sql::one_row(done.rows_affected())
            }

            #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws, id = %id))]
            async fn delete_team(&self, ws: WorkspaceId, id: EventId) -> Result<bool> {
                let mut tx = self.pool.begin().await?;
                for table in ["team_grants", "team_members"] {
                    sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE workspace_id = $1 AND team_id = $2")))
                        .bind(ws.to_string()).bind(id.to_string())
                        .execute(&mut *tx).await?;
                }
                let done = sqlx::query("DELETE FROM teams WHERE workspace_id = $1 AND id = $2")
                    .bind(ws.to_string()).bind(id.to_string())
                    .execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(done.rows_affected() == 1)
            }

            #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn team_members(&self, ws: WorkspaceId, team: Option<EventId>) -> Result<Vec<TeamMemberRow>> {
                let rows = match team {
                    Some(t) => sqlx::query("SELECT team_id, user_id, added_at FROM team_members WHERE workspace_id = $1 AND team_id = $2 ORDER BY added_at, user_id")
                        .bind(ws.to_string()).bind(t.to_string())
                        .fetch_all(&self.pool).await?,
                    None => sqlx::query("SELECT team_id, user_id, added_at FROM team_members WHERE workspace_id = $1 ORDER BY added_at, user_id")
                        .bind(ws.to_string())
                        .fetch_all(&self.pool).await?,
                };
                rows.iter()
                    .map(|r| Ok(TeamMemberRow {
                        team_id: parse(&r.try_get::<String, _>("team_id")?, "team_id")?,
                        user_id: parse(&r.try_get::<String, _>("user_id")?, "user_id")?,
                        added_at: Timestamp(r.try_get("added_at")?),
                    }))
                    .collect()
            }

            #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws, user = %user))]
            async fn add_team_member(&self, ws: WorkspaceId, team: EventId, user: UserId, at: Timestamp) -> Result<bool> {
                let done = sqlx::query("INSERT INTO team_members (workspace_id, team_id, user_id, added_at) VALUES ($1, $2, $3, $4) ON CONFLICT (team_id, user_id) DO NOTHING")
                    .bind(ws.to_string()).bind(team.to_string()).bind(user.to_string()).bind(at.0)
                    .execute(&self.pool).await?;
                Ok(done.rows_affected() == 1)
            }

            #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws, user = %user))]
            async fn remove_team_member(&self, ws: WorkspaceId, team: EventId, user: UserId) -> Result<bool> {
                let done = sqlx::query("DELETE FROM team_members WHERE workspace_id = $1 AND team_id = $2 AND user_id = $3")
                    .bind(ws.to_string()).bind(team.to_string()).bind(user.to_string())
                    .execute(&self.pool).await?;
                Ok(done.rows_affected() == 1)
            }

            #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn put_team_grant(&self, g: &TeamGrantRow) -> Result<()> {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO team_grants ({GRANT_COLS}) VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (account_id, team_id) DO UPDATE SET role = excluded.role, added_by = excluded.added_by, added_at = excluded.added_at"
                )))
                .bind(g.workspace_id.to_string()).bind(g.account_id.to_string()).bind(g.team_id.to_string())
                .bind(g.role.as_str()).bind(g.added_by.to_string()).bind(g.added_at.0)
                .execute(&self.pool).await?;
                Ok(())
            }

            #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws, account = %account))]
            async fn remove_team_grant(&self, ws: WorkspaceId, account: AccountId, team: EventId) -> Result<bool> {
                let done = sqlx::query("DELETE FROM team_grants WHERE workspace_id = $1 AND account_id = $2 AND team_id = $3")
                    .bind(ws.to_string()).bind(account.to_string()).bind(team.to_string())
                    .execute(&self.pool).await?;
                Ok(done.rows_affected() == 1)
            }

            #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn team_grants(&self, ws: WorkspaceId, account: Option<AccountId>) -> Result<Vec<TeamGrantRow>> {
                let rows = match account {
                    Some(a) => sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {GRANT_COLS} FROM team_grants WHERE workspace_id = $1 AND account_id = $2 ORDER BY added_at")))
                        .bind(ws.to_string()).bind(a.to_string())
                        .fetch_all(&self.pool).await?,
                    None => sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {GRANT_COLS} FROM team_grants WHERE workspace_id = $1 ORDER BY added_at")))
                        .bind(ws.to_string())
                        .fetch_all(&self.pool).await?,
                };
                rows.iter().map(Self::grant_row).collect()
            }
        }
    };
}

impl_directory!(SqliteStore, sqlx::sqlite::SqliteRow);
impl_directory!(PgStore, sqlx::postgres::PgRow);
