//! Workspaces, their users (roles, passwords, own TOTP, recovery codes),
//! invitations and the instance-wide settings: part of every [`crate::Store`]
//! through the [`UserStore`] supertrait.

use crate::models::{InvitationRow, UserRow, WorkspaceRow};
use crate::rows::{
    Prefixed, USER_COLS, WORKSPACE_COLS, aliased, invitation_row, qualified, user_row,
    workspace_row,
};
use crate::sql::{self, conflict, sql_fmt};
use crate::{PgStore, Result, SqliteStore, StoreError};
use async_trait::async_trait;
use orthrus_core::{EventId, Timestamp, UserId, WorkspaceId, WorkspaceRole};
use sqlx::Row;
use tracing::instrument;

/// Workspaces, users and their own second factor and recovery codes,
/// invitations, and instance-wide settings.
#[async_trait]
pub trait UserStore: Send + Sync {
    // Workspaces
    async fn create_workspace(&self, ws: &WorkspaceRow) -> Result<()>;
    async fn get_workspace(&self, id: WorkspaceId) -> Result<Option<WorkspaceRow>>;
    async fn list_workspaces(&self) -> Result<Vec<WorkspaceRow>>;
    async fn update_workspace(&self, ws: &WorkspaceRow) -> Result<()>;
    async fn count_users(&self) -> Result<i64>;
    /// Creates a workspace and its first user in one transaction, only while
    /// no user exists at all (first-run setup); Conflict otherwise.
    async fn bootstrap(&self, ws: &WorkspaceRow, owner: &UserRow) -> Result<()>;

    // Users
    async fn create_user(&self, user: &UserRow) -> Result<()>;
    async fn get_user(&self, ws: WorkspaceId, id: UserId) -> Result<Option<UserRow>>;
    /// A user and their workspace in one query (every request needs both).
    async fn get_user_and_workspace(
        &self,
        ws: WorkspaceId,
        id: UserId,
    ) -> Result<Option<(UserRow, WorkspaceRow)>>;
    async fn find_user_by_email(&self, email: &str) -> Result<Option<UserRow>>;
    async fn list_users(&self, ws: WorkspaceId) -> Result<Vec<UserRow>>;
    async fn set_user_role(
        &self,
        ws: WorkspaceId,
        id: UserId,
        role: WorkspaceRole,
        at: Timestamp,
    ) -> Result<()>;
    async fn set_user_active(
        &self,
        ws: WorkspaceId,
        id: UserId,
        active: bool,
        at: Timestamp,
    ) -> Result<()>;
    async fn set_user_password(
        &self,
        ws: WorkspaceId,
        id: UserId,
        hash: &str,
        at: Timestamp,
    ) -> Result<()>;
    async fn set_user_totp(
        &self,
        ws: WorkspaceId,
        id: UserId,
        secret: Option<&[u8]>,
        enabled: bool,
        at: Timestamp,
    ) -> Result<()>;
    /// Records that TOTP `step` was used; false when it (or a later one) was
    /// already used, which makes replay protection durable.
    async fn claim_user_totp_step(&self, ws: WorkspaceId, id: UserId, step: i64) -> Result<bool>;
    async fn replace_recovery_codes(
        &self,
        ws: WorkspaceId,
        user: UserId,
        hashes: &[String],
    ) -> Result<()>;
    /// Marks an unused recovery code used; false when unknown or used.
    async fn use_recovery_code(
        &self,
        ws: WorkspaceId,
        user: UserId,
        hash: &str,
        at: Timestamp,
    ) -> Result<bool>;
    async fn count_unused_recovery_codes(&self, ws: WorkspaceId, user: UserId) -> Result<i64>;

    // Invitations (issue 14)
    async fn create_invitation(&self, inv: &InvitationRow) -> Result<()>;
    async fn invitation_by_token_hash(&self, hash: &str) -> Result<Option<InvitationRow>>;
    async fn get_invitation(&self, ws: WorkspaceId, id: EventId) -> Result<Option<InvitationRow>>;
    /// The workspace's invitations, newest first.
    async fn list_invitations(&self, ws: WorkspaceId) -> Result<Vec<InvitationRow>>;
    /// Revokes an open invitation; false when it was used or revoked already.
    async fn revoke_invitation(&self, ws: WorkspaceId, id: EventId, at: Timestamp) -> Result<bool>;
    /// Marks an open, unexpired invitation used and creates its user, in one
    /// transaction: false (and no user) when it was used, revoked or expired
    /// meanwhile; Conflict when the email is taken.
    async fn accept_invitation(&self, id: EventId, user: &UserRow, at: Timestamp) -> Result<bool>;

    // Instance-wide settings
    async fn get_setting(&self, key: &str) -> Result<Option<String>>;
    /// Stores a setting unless it exists; returns the value now stored.
    async fn put_setting_if_absent(&self, key: &str, value: &str) -> Result<String>;
}

macro_rules! impl_users {
    ($store:ty, $db:ty) => {
        impl $store {
            pub(crate) async fn insert_user<'e, E>(e: E, u: &UserRow) -> Result<()>
            where
                E: sqlx::Executor<'e, Database = $db>,
            {
                let insert = sql_fmt!(
                    r#"
                    INSERT INTO users ({USER_COLS})
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                    "#
                );
                let keys = [u.id.to_string(), u.workspace_id.to_string()];
                let what = "a user with this email already exists";
                sql::execute_unique(e, insert, keys, what, |query| {
                    query
                        .bind(&u.email)
                        .bind(&u.name)
                        .bind(u.role.as_str())
                        .bind(&u.password_hash)
                        .bind(u.active)
                        .bind(u.totp_secret.as_deref())
                        .bind(u.totp_enabled)
                        .bind(u.totp_last_step)
                        .bind(u.created_at.0)
                        .bind(u.updated_at.0)
                        .bind(u.access_expires_at.map(|t| t.0))
                })
                .await?;
                Ok(())
            }

            /// Sets columns of one user (`set`, its values from `bind`);
            /// NotFound when the user is not in `ws`.
            async fn set_user<'q>(
                &self,
                ws: WorkspaceId,
                user: UserId,
                set: &'static str,
                bind: impl FnOnce(sql::Query<'q, $db>) -> sql::Query<'q, $db>,
            ) -> Result<()> {
                sql::one_row(sql::set_by_id(&self.pool, "users", set, ws, user, bind).await?)
            }

            pub(crate) async fn insert_workspace<'e, E>(e: E, ws: &WorkspaceRow) -> Result<()>
            where
                E: sqlx::Executor<'e, Database = $db>,
            {
                let insert = r#"
                    INSERT INTO workspaces (id, name, require_2fa, step_up_minutes, created_at)
                    VALUES ($1, $2, $3, $4, $5)
                    "#;
                let keys = [ws.id.to_string()];
                let what = "workspace exists";
                sql::execute_unique(e, insert, keys, what, |query| {
                    query
                        .bind(&ws.name)
                        .bind(ws.require_2fa)
                        .bind(ws.step_up_minutes)
                        .bind(ws.created_at.0)
                })
                .await?;
                Ok(())
            }
        }

        #[async_trait]
        impl UserStore for $store {
            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws.id))]
            async fn create_workspace(&self, ws: &WorkspaceRow) -> Result<()> {
                Self::insert_workspace(&self.pool, ws).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn get_workspace(&self, ws: WorkspaceId) -> Result<Option<WorkspaceRow>> {
                let select = "SELECT * FROM workspaces WHERE id = $1";
                sql::one_by(&self.pool, select, [ws.to_string()], workspace_row).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn list_workspaces(&self) -> Result<Vec<WorkspaceRow>> {
                let select = "SELECT * FROM workspaces ORDER BY id";
                sql::all_by(&self.pool, select, [], workspace_row).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws.id))]
            async fn update_workspace(&self, ws: &WorkspaceRow) -> Result<()> {
                let update = r#"
                    UPDATE workspaces
                    SET name = $2,
                        require_2fa = $3,
                        step_up_minutes = $4
                    WHERE id = $1
                    "#;
                let done = sql::execute(&self.pool, update, [ws.id.to_string()], |query| {
                    query
                        .bind(&ws.name)
                        .bind(ws.require_2fa)
                        .bind(ws.step_up_minutes)
                })
                .await?;
                sql::one_row(done)
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn count_users(&self) -> Result<i64> {
                let select = "SELECT COUNT(*) AS n FROM users";
                sql::count(&self.pool, select, [], |query| query).await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws.id, user = %owner.id)
            )]
            async fn bootstrap(&self, ws: &WorkspaceRow, owner: &UserRow) -> Result<()> {
                let mut tx = self.pool.begin().await?;
                // Write first so SQLite takes its write lock before the check;
                // on PostgreSQL a concurrent setup on another node blocks on
                // this row and then fails on its key, so only one wins.
                sqlx::query(
                    r#"
                    INSERT INTO instance_settings (key, value)
                    VALUES ('setup', 'complete')
                    "#,
                )
                .execute(&mut *tx)
                .await
                .map_err(|e| conflict(e, "setup is already complete"))?;
                Self::insert_workspace(&mut *tx, ws).await?;
                let select = "SELECT COUNT(*) AS n FROM users";
                let n = sql::count(&mut *tx, select, [], |query| query).await?;
                if n > 0 {
                    tx.rollback().await?;
                    return Err(StoreError::Conflict("setup is already complete".into()));
                }
                Self::insert_user(&mut *tx, owner).await?;
                tx.commit().await?;
                Ok(())
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %u.workspace_id, user = %u.id)
            )]
            async fn create_user(&self, u: &UserRow) -> Result<()> {
                Self::insert_user(&self.pool, u).await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, user = %user)
            )]
            async fn get_user(&self, ws: WorkspaceId, user: UserId) -> Result<Option<UserRow>> {
                sql::by_id(&self.pool, "users", USER_COLS, ws, user, user_row).await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, user = %user)
            )]
            async fn get_user_and_workspace(
                &self,
                ws: WorkspaceId,
                user: UserId,
            ) -> Result<Option<(UserRow, WorkspaceRow)>> {
                let ucols = qualified("u", USER_COLS);
                let wcols = aliased("w", WORKSPACE_COLS, "w_");
                let select = sql_fmt!(
                    r#"
                    SELECT {ucols}, {wcols}
                    FROM users u
                    JOIN workspaces w ON w.id = u.workspace_id
                    WHERE u.workspace_id = $1 AND u.id = $2
                    "#
                );
                sql::one_by(&self.pool, select, [ws.to_string(), user.to_string()], |r| {
                    Ok((user_row(r)?, workspace_row(&Prefixed(r, "w_"))?))
                })
                .await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn find_user_by_email(&self, email: &str) -> Result<Option<UserRow>> {
                let select = sql_fmt!("SELECT {USER_COLS} FROM users WHERE email = $1");
                sql::one_by(&self.pool, select, [email.to_owned()], user_row).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn list_users(&self, ws: WorkspaceId) -> Result<Vec<UserRow>> {
                let select = sql_fmt!(
                    "SELECT {USER_COLS} FROM users WHERE workspace_id = $1 ORDER BY email"
                );
                sql::all_by(&self.pool, select, [ws.to_string()], user_row).await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, user = %user)
            )]
            async fn set_user_role(
                &self,
                ws: WorkspaceId,
                user: UserId,
                role: WorkspaceRole,
                at: Timestamp,
            ) -> Result<()> {
                let set = "role = $3, updated_at = $4";
                self.set_user(ws, user, set, |query| query.bind(role.as_str()).bind(at.0))
                    .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, user = %user)
            )]
            async fn set_user_active(
                &self,
                ws: WorkspaceId,
                user: UserId,
                active: bool,
                at: Timestamp,
            ) -> Result<()> {
                let set = "active = $3, updated_at = $4";
                self.set_user(ws, user, set, |query| query.bind(active).bind(at.0))
                    .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, user = %user)
            )]
            async fn set_user_password(
                &self,
                ws: WorkspaceId,
                user: UserId,
                hash: &str,
                at: Timestamp,
            ) -> Result<()> {
                let set = "password_hash = $3, updated_at = $4";
                self.set_user(ws, user, set, |query| query.bind(hash).bind(at.0))
                    .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, user = %user)
            )]
            async fn set_user_totp(
                &self,
                ws: WorkspaceId,
                user: UserId,
                secret: Option<&[u8]>,
                enabled: bool,
                at: Timestamp,
            ) -> Result<()> {
                let set = "totp_secret = $3, totp_enabled = $4, updated_at = $5";
                self.set_user(ws, user, set, |query| query.bind(secret).bind(enabled).bind(at.0))
                    .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, user = %user)
            )]
            async fn claim_user_totp_step(
                &self,
                ws: WorkspaceId,
                user: UserId,
                step: i64,
            ) -> Result<bool> {
                let update = r#"
                    UPDATE users
                    SET totp_last_step = $3
                    WHERE workspace_id = $1 AND id = $2 AND (totp_last_step IS NULL OR totp_last_step < $3)
                    "#;
                sql::changed_one(
                    &self.pool,
                    update,
                    [ws.to_string(), user.to_string()],
                    |query| query.bind(step),
                )
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, user = %user)
            )]
            async fn replace_recovery_codes(
                &self,
                ws: WorkspaceId,
                user: UserId,
                hashes: &[String],
            ) -> Result<()> {
                let mut tx = self.pool.begin().await?;
                let delete = r#"
                    DELETE FROM user_recovery_codes
                    WHERE workspace_id = $1 AND user_id = $2
                    "#;
                sql::write(&mut *tx, delete, [ws.to_string(), user.to_string()]).await?;
                for h in hashes {
                    let insert = r#"
                        INSERT INTO user_recovery_codes (user_id, workspace_id, code_hash, used_at)
                        VALUES ($1, $2, $3, NULL)
                        "#;
                    let keys = [user.to_string(), ws.to_string()];
                    sql::execute(&mut *tx, insert, keys, |query| query.bind(h))
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, user = %user)
            )]
            async fn use_recovery_code(
                &self,
                ws: WorkspaceId,
                user: UserId,
                hash: &str,
                at: Timestamp,
            ) -> Result<bool> {
                let update = r#"
                    UPDATE user_recovery_codes
                    SET used_at = $4
                    WHERE workspace_id = $1 AND user_id = $2 AND code_hash = $3 AND used_at IS NULL
                    "#;
                sql::changed_one(
                    &self.pool,
                    update,
                    [ws.to_string(), user.to_string()],
                    |query| query.bind(hash).bind(at.0),
                )
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, user = %user)
            )]
            async fn count_unused_recovery_codes(
                &self,
                ws: WorkspaceId,
                user: UserId,
            ) -> Result<i64> {
                let select = r#"
                    SELECT COUNT(*) AS n
                    FROM user_recovery_codes
                    WHERE workspace_id = $1 AND user_id = $2 AND used_at IS NULL
                    "#;
                let keys = [ws.to_string(), user.to_string()];
                sql::count(&self.pool, select, keys, |query| query).await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %i.workspace_id)
            )]
            async fn create_invitation(&self, i: &InvitationRow) -> Result<()> {
                let insert = r#"
                    INSERT INTO invitations (id, workspace_id, email, role, token_hash, invited_by, emailed,
                        created_at, expires_at, accepted_at, revoked_at, user_id, access_expires_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL, NULL, $10)
                    "#;
                let keys = [i.id.to_string(), i.workspace_id.to_string()];
                let what = "invitation";
                sql::execute_unique(&self.pool, insert, keys, what, |query| {
                    query
                        .bind(&i.email)
                        .bind(i.role.as_str())
                        .bind(&i.token_hash)
                        .bind(i.invited_by.to_string())
                        .bind(i.emailed)
                        .bind(i.created_at.0)
                        .bind(i.expires_at.0)
                        .bind(i.access_expires_at.map(|t| t.0))
                })
                .await?;
                Ok(())
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn invitation_by_token_hash(&self, hash: &str) -> Result<Option<InvitationRow>> {
                let select = "SELECT * FROM invitations WHERE token_hash = $1";
                sql::one_by(&self.pool, select, [hash.to_owned()], invitation_row).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn get_invitation(
                &self,
                ws: WorkspaceId,
                inv: EventId,
            ) -> Result<Option<InvitationRow>> {
                sql::by_id(&self.pool, "invitations", "*", ws, inv, invitation_row).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn list_invitations(&self, ws: WorkspaceId) -> Result<Vec<InvitationRow>> {
                let select = r#"
                    SELECT *
                    FROM invitations
                    WHERE workspace_id = $1
                    ORDER BY created_at DESC, id DESC
                    "#;
                sql::all_by(&self.pool, select, [ws.to_string()], invitation_row).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn revoke_invitation(
                &self,
                ws: WorkspaceId,
                inv: EventId,
                at: Timestamp,
            ) -> Result<bool> {
                let update = r#"
                    UPDATE invitations
                    SET revoked_at = $3
                    WHERE workspace_id = $1 AND id = $2 AND revoked_at IS NULL AND accepted_at IS NULL
                    "#;
                sql::changed_one(
                    &self.pool,
                    update,
                    [ws.to_string(), inv.to_string()],
                    |query| query.bind(at.0),
                )
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %u.workspace_id, user = %u.id)
            )]
            async fn accept_invitation(
                &self,
                inv: EventId,
                u: &UserRow,
                at: Timestamp,
            ) -> Result<bool> {
                let mut tx = self.pool.begin().await?;
                let update = r#"
                    UPDATE invitations SET accepted_at = $2, user_id = $3
                    WHERE id = $1
                        AND workspace_id = $4
                        AND accepted_at IS NULL
                        AND revoked_at IS NULL
                        AND expires_at > $2
                    "#;
                let done = sql::execute(&mut *tx, update, [inv.to_string()], |query| {
                    query
                        .bind(at.0)
                        .bind(u.id.to_string())
                        .bind(u.workspace_id.to_string())
                })
                .await?;
                if done != 1 {
                    tx.rollback().await?;
                    return Ok(false);
                }
                Self::insert_user(&mut *tx, u).await?;
                tx.commit().await?;
                Ok(true)
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn get_setting(&self, key: &str) -> Result<Option<String>> {
                let select = "SELECT value FROM instance_settings WHERE key = $1";
                sql::one_by(&self.pool, select, [key.to_owned()], |r| Ok(r.try_get("value")?)).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn put_setting_if_absent(&self, key: &str, value: &str) -> Result<String> {
                let insert = r#"
                    INSERT INTO instance_settings (key, value)
                    VALUES ($1, $2)
                    ON CONFLICT (key)
                    DO NOTHING
                    "#;
                let keys = [];
                sql::execute(&self.pool, insert, keys, |query| {
                    query
                        .bind(key)
                        .bind(value)
                })
                .await?;
                let row = sqlx::query("SELECT value FROM instance_settings WHERE key = $1")
                    .bind(key)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(row.try_get("value")?)
            }
        }
    };
}

impl_users!(SqliteStore, sqlx::Sqlite);
impl_users!(PgStore, sqlx::Postgres);
