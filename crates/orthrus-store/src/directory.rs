//! The directory a SCIM client keeps (issue 15): the workspace's SCIM token,
//! what the client said about each user beyond the users row, teams (SCIM
//! Groups), their members, and the roles teams hold on accounts. Part of
//! every [`crate::Store`] through the [`Directory`] supertrait.

use crate::rows::{
    GRANT_COLS, SCIM_TOKEN_COLS, SCIM_USER_COLS, TEAM_COLS, grant_row, id, scim_token_row,
    scim_user_row, team_member_row, team_row,
};
use crate::sql::{self, sql_fmt};
use crate::{PgStore, Result, SqliteStore};
use async_trait::async_trait;
use orthrus_core::{AccountId, AccountRole, EventId, Timestamp, UserId, WorkspaceId};
use tracing::instrument;

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

macro_rules! impl_directory {
    ($store:ty) => {
        #[async_trait]
        impl Directory for $store {
            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn scim_token(&self, ws: WorkspaceId) -> Result<Option<ScimTokenRow>> {
                let select = sql_fmt!("SELECT {SCIM_TOKEN_COLS} FROM scim_tokens WHERE workspace_id = $1");
                sql::one_by(&self.pool, select, [ws.to_string()], scim_token_row).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn scim_token_by_hash(&self, hash: &str) -> Result<Option<ScimTokenRow>> {
                let select = sql_fmt!("SELECT {SCIM_TOKEN_COLS} FROM scim_tokens WHERE token_hash = $1");
                sql::one_by(&self.pool, select, [hash.to_owned()], scim_token_row).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn replace_scim_token(&self, t: &ScimTokenRow) -> Result<()> {
                let mut tx = self.pool.begin().await?;
                let delete = "DELETE FROM scim_tokens WHERE workspace_id = $1";
                sql::write(&mut *tx, delete, [t.workspace_id.to_string()]).await?;
                let insert = sql_fmt!(
                    "INSERT INTO scim_tokens ({SCIM_TOKEN_COLS}) VALUES ($1, $2, $3, $4, $5)"
                );
                sql::run(&mut *tx, insert, [t.workspace_id.to_string()], |query| {
                    query
                        .bind(&t.token_hash)
                        .bind(&t.prefix)
                        .bind(t.created_by.to_string())
                        .bind(t.created_at.0)
                })
                .await?;
                tx.commit().await?;
                Ok(())
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn delete_scim_token(&self, ws: WorkspaceId) -> Result<bool> {
                let delete = "DELETE FROM scim_tokens WHERE workspace_id = $1";
                Ok(sql::write(&self.pool, delete, [ws.to_string()]).await? > 0)
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, user = %user)
            )]
            async fn unlink_sso_identities(&self, ws: WorkspaceId, user: UserId) -> Result<u64> {
                let delete = "DELETE FROM sso_identities WHERE workspace_id = $1 AND user_id = $2";
                sql::write(&self.pool, delete, [ws.to_string(), user.to_string()]).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn scim_users(&self, ws: WorkspaceId) -> Result<Vec<ScimUserRow>> {
                let select = sql_fmt!("SELECT {SCIM_USER_COLS} FROM scim_users WHERE workspace_id = $1");
                sql::all_by(&self.pool, select, [ws.to_string()], scim_user_row).await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, user = %user)
            )]
            async fn scim_user(&self, ws: WorkspaceId, user: UserId) -> Result<Option<ScimUserRow>> {
                let select = sql_fmt!(
                    "SELECT {SCIM_USER_COLS} FROM scim_users WHERE workspace_id = $1 AND user_id = $2"
                );
                let keys = [ws.to_string(), user.to_string()];
                sql::one_by(&self.pool, select, keys, scim_user_row).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn save_scim_user(&self, r: &ScimUserRow) -> Result<()> {
                let upsert = sql_fmt!(
                    r#"
                    INSERT INTO scim_users ({SCIM_USER_COLS})
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                    ON CONFLICT (user_id)
                    DO UPDATE SET user_name = excluded.user_name, external_id = excluded.external_id,
                        given_name = excluded.given_name, family_name = excluded.family_name,
                        formatted_name = excluded.formatted_name, display_name = excluded.display_name,
                        emails = excluded.emails, updated_at = excluded.updated_at,
                        deleted_at = excluded.deleted_at
                    "#
                );
                let keys = [r.user_id.to_string(), r.workspace_id.to_string()];
                sql::run(&self.pool, upsert, keys, |query| {
                    query
                        .bind(&r.user_name)
                        .bind(r.external_id.as_deref())
                        .bind(r.given_name.as_deref())
                        .bind(r.family_name.as_deref())
                        .bind(r.formatted_name.as_deref())
                        .bind(r.display_name.as_deref())
                        .bind(&r.emails)
                        .bind(r.created_at.0)
                        .bind(r.updated_at.0)
                        .bind(r.deleted_at.map(|t| t.0))
                })
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, user = %user)
            )]
            async fn update_user_identity(
                &self,
                ws: WorkspaceId,
                user: UserId,
                email: &str,
                name: &str,
                at: Timestamp,
            ) -> Result<()> {
                let update = r#"
                    UPDATE users
                    SET email = $3, name = $4, updated_at = $5
                    WHERE workspace_id = $1 AND id = $2
                    "#;
                let keys = [ws.to_string(), user.to_string()];
                let what = "email";
                let done = sql::execute_unique(&self.pool, update, keys, what, |query| {
                    query.bind(email).bind(name).bind(at.0)
                })
                .await?;
                sql::one_row(done)
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, user = %user)
            )]
            async fn remove_user_grants(&self, ws: WorkspaceId, user: UserId) -> Result<RemovedGrants> {
                // Deletes that say what they deleted: the transaction writes
                // first (SQLite takes its write lock at once instead of
                // failing to upgrade a read), and of two callers at once only
                // the one whose delete took the rows gets them back.
                let mut tx = self.pool.begin().await?;
                let keys = [ws.to_string(), user.to_string()];
                let delete = r#"
                    DELETE FROM account_members
                    WHERE workspace_id = $1 AND user_id = $2
                    RETURNING account_id
                    "#;
                let accounts =
                    sql::all_by(&mut *tx, delete, keys.clone(), |r| id(r, "account_id")).await?;
                let delete = r#"
                    DELETE FROM team_members
                    WHERE workspace_id = $1 AND user_id = $2
                    RETURNING team_id
                    "#;
                let teams = sql::all_by(&mut *tx, delete, keys, |r| id(r, "team_id")).await?;
                tx.commit().await?;
                Ok(RemovedGrants { accounts, teams })
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn create_team(&self, t: &TeamRow) -> Result<()> {
                let insert = sql_fmt!("INSERT INTO teams ({TEAM_COLS}) VALUES ($1, $2, $3, $4, $5, $6)");
                let keys = [t.id.to_string(), t.workspace_id.to_string()];
                sql::execute_unique(&self.pool, insert, keys, "team name", |query| {
                    query
                        .bind(&t.display_name)
                        .bind(t.external_id.as_deref())
                        .bind(t.created_at.0)
                        .bind(t.updated_at.0)
                })
                .await?;
                Ok(())
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, id = %id)
            )]
            async fn get_team(&self, ws: WorkspaceId, id: EventId) -> Result<Option<TeamRow>> {
                sql::by_id(&self.pool, "teams", TEAM_COLS, ws, id, team_row).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn list_teams(&self, ws: WorkspaceId) -> Result<Vec<TeamRow>> {
                let select = sql_fmt!(
                    r#"
                    SELECT {TEAM_COLS}
                    FROM teams
                    WHERE workspace_id = $1
                    ORDER BY lower(display_name), id
                    "#
                );
                sql::all_by(&self.pool, select, [ws.to_string()], team_row).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn update_team(&self, t: &TeamRow) -> Result<()> {
                let update = r#"
                    UPDATE teams
                    SET display_name = $3, external_id = $4, updated_at = $5
                    WHERE workspace_id = $1 AND id = $2
                    "#;
                let keys = [t.workspace_id.to_string(), t.id.to_string()];
                let done = sql::execute_unique(&self.pool, update, keys, "team name", |query| {
                    query
                        .bind(&t.display_name)
                        .bind(t.external_id.as_deref())
                        .bind(t.updated_at.0)
                })
                .await?;
                sql::one_row(done)
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, id = %id)
            )]
            async fn delete_team(&self, ws: WorkspaceId, id: EventId) -> Result<bool> {
                let mut tx = self.pool.begin().await?;
                for table in ["team_grants", "team_members"] {
                    let delete =
                        sql_fmt!("DELETE FROM {table} WHERE workspace_id = $1 AND team_id = $2");
                    sql::write(&mut *tx, delete, [ws.to_string(), id.to_string()]).await?;
                }
                let done = sql::delete_by_id(&mut *tx, "teams", ws, id).await?;
                tx.commit().await?;
                Ok(done == 1)
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn team_members(
                &self,
                ws: WorkspaceId,
                team: Option<EventId>,
            ) -> Result<Vec<TeamMemberRow>> {
                // One team's members, or those of every team of the workspace.
                let and_team = if team.is_some() { "AND team_id = $2" } else { "" };
                let select = sql_fmt!(
                    r#"
                    SELECT team_id, user_id, added_at
                    FROM team_members
                    WHERE workspace_id = $1 {and_team}
                    ORDER BY added_at, user_id
                    "#
                );
                sql::all_with(
                    &self.pool,
                    select,
                    [ws.to_string()],
                    |query| sql::bind_some(query, team),
                    team_member_row,
                )
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, user = %user)
            )]
            async fn add_team_member(
                &self,
                ws: WorkspaceId,
                team: EventId,
                user: UserId,
                at: Timestamp,
            ) -> Result<bool> {
                let insert = r#"
                    INSERT INTO team_members (workspace_id, team_id, user_id, added_at)
                    VALUES ($1, $2, $3, $4)
                    ON CONFLICT (team_id, user_id)
                    DO NOTHING
                    "#;
                let keys = [ws.to_string(), team.to_string(), user.to_string()];
                sql::changed_one(&self.pool, insert, keys, |query| query.bind(at.0)).await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, user = %user)
            )]
            async fn remove_team_member(
                &self,
                ws: WorkspaceId,
                team: EventId,
                user: UserId,
            ) -> Result<bool> {
                let delete = r#"
                    DELETE FROM team_members
                    WHERE workspace_id = $1 AND team_id = $2 AND user_id = $3
                    "#;
                let keys = [ws.to_string(), team.to_string(), user.to_string()];
                sql::changed_one(&self.pool, delete, keys, |query| query).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn put_team_grant(&self, g: &TeamGrantRow) -> Result<()> {
                let upsert = sql_fmt!(
                    r#"
                    INSERT INTO team_grants ({GRANT_COLS})
                    VALUES ($1, $2, $3, $4, $5, $6)
                    ON CONFLICT (account_id, team_id)
                    DO UPDATE SET role = excluded.role, added_by = excluded.added_by,
                        added_at = excluded.added_at
                    "#
                );
                let keys = [
                    g.workspace_id.to_string(),
                    g.account_id.to_string(),
                    g.team_id.to_string(),
                ];
                sql::run(&self.pool, upsert, keys, |query| {
                    query
                        .bind(g.role.as_str())
                        .bind(g.added_by.to_string())
                        .bind(g.added_at.0)
                })
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %account)
            )]
            async fn remove_team_grant(
                &self,
                ws: WorkspaceId,
                account: AccountId,
                team: EventId,
            ) -> Result<bool> {
                let delete = r#"
                    DELETE FROM team_grants
                    WHERE workspace_id = $1 AND account_id = $2 AND team_id = $3
                    "#;
                let keys = [ws.to_string(), account.to_string(), team.to_string()];
                sql::changed_one(&self.pool, delete, keys, |query| query).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn team_grants(
                &self,
                ws: WorkspaceId,
                account: Option<AccountId>,
            ) -> Result<Vec<TeamGrantRow>> {
                // The grants on one account, or on every account of the workspace.
                let and_account = if account.is_some() { "AND account_id = $2" } else { "" };
                let select = sql_fmt!(
                    r#"
                    SELECT {GRANT_COLS}
                    FROM team_grants
                    WHERE workspace_id = $1 {and_account}
                    ORDER BY added_at
                    "#
                );
                sql::all_with(
                    &self.pool,
                    select,
                    [ws.to_string()],
                    |query| sql::bind_some(query, account),
                    grant_row,
                )
                .await
            }
        }
    };
}

impl_directory!(SqliteStore);
impl_directory!(PgStore);
