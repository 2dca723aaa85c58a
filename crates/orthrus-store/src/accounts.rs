//! The vault: shared accounts, their custom fields and password history, and
//! the pending password of a rotation. Part of every [`crate::Store`] through
//! the [`AccountStore`] supertrait; who may use an account is in `members.rs`.

use crate::models::{AccountChange, AccountRow, FieldRow, MemberRow, PasswordHistoryRow};
use crate::rows::{
    ACCOUNT_COLS, account_row, best_member_role, field_row, password_history_row, qualified,
};
use crate::sql::{self, parse, sql_fmt};
use crate::{PgStore, Result, SqliteStore, StoreError};
use async_trait::async_trait;
use orthrus_core::{AccountId, AccountRole, Timestamp, UserId, WorkspaceId};
use sqlx::Row;
use tracing::instrument;

/// Shared accounts, their custom fields, password history and pending password.
#[async_trait]
pub trait AccountStore: Send + Sync {
    // Accounts
    /// Creates the account, its custom fields and its creator as account
    /// Owner in one transaction.
    async fn create_account(
        &self,
        a: &AccountRow,
        owner: &MemberRow,
        fields: &[FieldRow],
    ) -> Result<()>;
    async fn get_account(&self, ws: WorkspaceId, id: AccountId) -> Result<Option<AccountRow>>;
    /// An account with the user's role on it at `now` (None when not a
    /// member, or the membership has ended), in one query.
    async fn get_account_for(
        &self,
        ws: WorkspaceId,
        id: AccountId,
        user: UserId,
        now: Timestamp,
    ) -> Result<Option<(AccountRow, Option<AccountRole>)>>;
    async fn list_accounts(&self, ws: WorkspaceId) -> Result<Vec<AccountRow>>;
    /// Accounts the user is a member of at `now` (ended memberships left
    /// out), with their role.
    async fn list_accounts_for_user(
        &self,
        ws: WorkspaceId,
        user: UserId,
        now: Timestamp,
    ) -> Result<Vec<(AccountRow, AccountRole)>>;
    /// Applies `change` when the stored version equals `expected_version`
    /// (VersionConflict otherwise); returns the new row.
    async fn update_account(
        &self,
        ws: WorkspaceId,
        id: AccountId,
        expected_version: i64,
        change: &AccountChange,
        at: Timestamp,
    ) -> Result<AccountRow>;
    async fn delete_account(&self, ws: WorkspaceId, id: AccountId) -> Result<bool>;
    async fn list_fields(&self, ws: WorkspaceId, account: AccountId) -> Result<Vec<FieldRow>>;
    async fn list_password_history(
        &self,
        ws: WorkspaceId,
        account: AccountId,
    ) -> Result<Vec<PasswordHistoryRow>>;
    /// The sealed password an automation is about to set (None: none).
    async fn pending_password(&self, ws: WorkspaceId, a: AccountId) -> Result<Option<Vec<u8>>>;
    /// Keeps `sealed` as the pending password only when there is none (the
    /// app may already hold the one there: it is never overwritten); true
    /// when kept.
    async fn put_pending_password(
        &self,
        ws: WorkspaceId,
        a: AccountId,
        sealed: &[u8],
    ) -> Result<bool>;
    /// Clears the pending password only while it is still `sealed`; true
    /// when cleared.
    async fn clear_pending_password(
        &self,
        ws: WorkspaceId,
        a: AccountId,
        sealed: &[u8],
    ) -> Result<bool>;
}

macro_rules! impl_accounts {
    ($store:ty, $db:ty) => {
        impl $store {
            pub(crate) async fn insert_field<'e, E>(e: E, f: &FieldRow) -> Result<()>
            where
                E: sqlx::Executor<'e, Database = $db>,
            {
                let insert = r#"
                    INSERT INTO account_fields (id, workspace_id, account_id, position, name, secret,
                        value_text, value_sealed)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                    "#;
                let keys = [f.id.to_string(), f.workspace_id.to_string(), f.account_id.to_string()];
                sql::run(e, insert, keys, |query| {
                    query
                        .bind(f.position)
                        .bind(&f.name)
                        .bind(f.secret)
                        .bind(f.value_text.as_deref())
                        .bind(f.value_sealed.as_deref())
                })
                .await
            }
        }

        #[async_trait]
        impl AccountStore for $store {
            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %a.workspace_id, account = %a.id)
            )]
            async fn create_account(
                &self,
                a: &AccountRow,
                owner: &MemberRow,
                fields: &[FieldRow],
            ) -> Result<()> {
                let mut tx = self.pool.begin().await?;
                let insert = sql_fmt!(
                    r#"
                    INSERT INTO accounts ({ACCOUNT_COLS})
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                    "#
                );
                let keys = [a.id.to_string(), a.workspace_id.to_string()];
                sql::execute(&mut *tx, insert, keys, |query| {
                    query
                        .bind(&a.app)
                        .bind(&a.label)
                        .bind(&a.login_url)
                        .bind(&a.username)
                        .bind(&a.password)
                        .bind(a.notes.as_deref())
                        .bind(a.version)
                        .bind(a.created_by.to_string())
                        .bind(a.created_at.0)
                        .bind(a.updated_at.0)
                })
                .await?;
                Self::insert_member(&mut *tx, owner).await?;
                for f in fields {
                    Self::insert_field(&mut *tx, f).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %a)
            )]
            async fn get_account(
                &self,
                ws: WorkspaceId,
                a: AccountId,
            ) -> Result<Option<AccountRow>> {
                sql::by_id(&self.pool, "accounts", ACCOUNT_COLS, ws, a, account_row).await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %a, user = %user)
            )]
            async fn get_account_for(
                &self,
                ws: WorkspaceId,
                a: AccountId,
                user: UserId,
                now: Timestamp,
            ) -> Result<Option<(AccountRow, Option<AccountRole>)>> {
                let cols = qualified("a", ACCOUNT_COLS);
                let grants = sql::grants_in_force("$3", "$4");
                // `g`: the user's grants on the account still in force (one
                // row per grant: their own membership and their teams'
                // grants; the highest role wins).
                let rows = sqlx::query(sql_fmt!(
                    r#"
                    SELECT {cols}, g.role AS member_role
                    FROM accounts a
                    LEFT JOIN {grants} g ON g.account_id = a.id
                    WHERE a.workspace_id = $1 AND a.id = $2
                    "#
                ))
                .bind(ws.to_string())
                .bind(a.to_string())
                .bind(user.to_string())
                .bind(now.0)
                .fetch_all(&self.pool)
                .await?;
                let Some(first) = rows.first() else {
                    return Ok(None);
                };
                let best = best_member_role(&rows)?;
                Ok(Some((account_row(first)?, best)))
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn list_accounts(&self, ws: WorkspaceId) -> Result<Vec<AccountRow>> {
                let select = sql_fmt!(
                    r#"
                    SELECT {ACCOUNT_COLS}
                    FROM accounts
                    WHERE workspace_id = $1
                    ORDER BY lower(label), id
                    "#
                );
                sql::all_by(&self.pool, select, [ws.to_string()], account_row).await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, user = %user)
            )]
            async fn list_accounts_for_user(
                &self,
                ws: WorkspaceId,
                user: UserId,
                now: Timestamp,
            ) -> Result<Vec<(AccountRow, AccountRole)>> {
                let cols = qualified("a", ACCOUNT_COLS);
                let grants = sql::grants_in_force("$2", "$3");
                // `g`: the user's grants still in force (their own and their
                // teams'); an account reached by several grants comes once,
                // with the highest role.
                let rows = sqlx::query(sql_fmt!(
                    r#"
                    SELECT {cols}, g.role AS member_role
                    FROM accounts a
                    JOIN {grants} g ON g.account_id = a.id
                    WHERE a.workspace_id = $1
                    ORDER BY lower(a.label), a.id
                    "#
                ))
                .bind(ws.to_string())
                .bind(user.to_string())
                .bind(now.0)
                .fetch_all(&self.pool)
                .await?;
                let mut out: Vec<(AccountRow, AccountRole)> = Vec::with_capacity(rows.len());
                for r in &rows {
                    let role = parse::<AccountRole>(
                        &r.try_get::<String, _>("member_role")?,
                        "account role",
                    )?;
                    let a = account_row(r)?;
                    match out.last_mut() {
                        Some((last, best)) if last.id == a.id => *best = (*best).max(role),
                        _ => out.push((a, role)),
                    }
                }
                Ok(out)
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %a)
            )]
            async fn update_account(
                &self,
                ws: WorkspaceId,
                a: AccountId,
                expected_version: i64,
                c: &AccountChange,
                at: Timestamp,
            ) -> Result<AccountRow> {
                let mut tx = self.pool.begin().await?;
                let update = r#"
                    UPDATE accounts SET
                        app = COALESCE($4, app),
                        label = COALESCE($5, label),
                        login_url = COALESCE($6, login_url),
                        username = COALESCE($7, username),
                        password = COALESCE($8, password),
                        notes = CASE WHEN $9 THEN $10 ELSE notes END,
                        version = version + 1,
                        updated_at = $11
                    WHERE workspace_id = $1 AND id = $2 AND version = $3
                    "#;
                let done =
                    sql::execute(&mut *tx, update, [ws.to_string(), a.to_string()], |query| {
                        query
                            .bind(expected_version)
                            .bind(c.app.as_deref())
                            .bind(c.label.as_deref())
                            .bind(c.login_url.as_deref())
                            .bind(c.username.as_deref())
                            .bind(c.password.as_deref())
                            .bind(c.notes.is_some())
                            .bind(c.notes.clone().flatten())
                            .bind(at.0)
                    })
                    .await?;
                if done == 0 {
                    let exists = sql::by_id(&mut *tx, "accounts", "1", ws, a, |_| Ok(())).await?;
                    tx.rollback().await?;
                    return Err(if exists.is_some() {
                        StoreError::VersionConflict
                    } else {
                        StoreError::NotFound
                    });
                }
                if let Some(h) = &c.history {
                    let insert = r#"
                        INSERT INTO password_history (id, workspace_id, account_id, password, changed_by,
                            changed_at)
                        VALUES ($1, $2, $3, $4, $5, $6)
                        "#;
                    let keys = [
                        h.id.to_string(),
                        h.workspace_id.to_string(),
                        h.account_id.to_string(),
                    ];
                    sql::execute(&mut *tx, insert, keys, |query| {
                        query
                            .bind(&h.password)
                            .bind(h.changed_by.to_string())
                            .bind(h.changed_at.0)
                    })
                    .await?;
                }
                if let Some(fields) = &c.fields {
                    let delete = r#"
                        DELETE FROM account_fields
                        WHERE workspace_id = $1 AND account_id = $2
                        "#;
                    sql::write(&mut *tx, delete, [ws.to_string(), a.to_string()]).await?;
                    for f in fields {
                        Self::insert_field(&mut *tx, f).await?;
                    }
                }
                let row = sqlx::query(sql_fmt!(
                    r#"
                    SELECT {ACCOUNT_COLS}
                    FROM accounts
                    WHERE workspace_id = $1 AND id = $2
                    "#
                ))
                .bind(ws.to_string())
                .bind(a.to_string())
                .fetch_one(&mut *tx)
                .await?;
                let out = account_row(&row)?;
                tx.commit().await?;
                Ok(out)
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %a)
            )]
            async fn delete_account(&self, ws: WorkspaceId, a: AccountId) -> Result<bool> {
                let mut tx = self.pool.begin().await?;
                for table in [
                    "account_fields",
                    "password_history",
                    "account_members",
                    "account_otp",
                    "otp_issuance",
                    "otp_used_steps",
                    "backup_codes",
                    "backup_code_sets",
                    "managed_emails",
                    "inbox_messages",
                ] {
                    let delete = sql_fmt!(
                        r#"
                        DELETE FROM {table}
                        WHERE workspace_id = $1 AND account_id = $2
                        "#
                    );
                    sql::write(&mut *tx, delete, [ws.to_string(), a.to_string()]).await?;
                }
                let done = sql::delete_by_id(&mut *tx, "accounts", ws, a).await?;
                tx.commit().await?;
                Ok(done == 1)
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %a)
            )]
            async fn list_fields(&self, ws: WorkspaceId, a: AccountId) -> Result<Vec<FieldRow>> {
                let select = r#"
                    SELECT id, workspace_id, account_id, position, name, secret, value_text, value_sealed
                    FROM account_fields
                    WHERE workspace_id = $1 AND account_id = $2
                    ORDER BY position
                    "#;
                sql::all_by(&self.pool, select, [ws.to_string(), a.to_string()], field_row).await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %a)
            )]
            async fn list_password_history(
                &self,
                ws: WorkspaceId,
                a: AccountId,
            ) -> Result<Vec<PasswordHistoryRow>> {
                let select = r#"
                    SELECT id, workspace_id, account_id, password, changed_by, changed_at
                    FROM password_history
                    WHERE workspace_id = $1 AND account_id = $2
                    ORDER BY changed_at DESC, id DESC
                    "#;
                let keys = [ws.to_string(), a.to_string()];
                sql::all_by(&self.pool, select, keys, password_history_row).await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %a)
            )]
            async fn pending_password(
                &self,
                ws: WorkspaceId,
                a: AccountId,
            ) -> Result<Option<Vec<u8>>> {
                let pending = sql::by_id(&self.pool, "accounts", "pending_password", ws, a, |r| {
                    Ok(r.try_get::<Option<Vec<u8>>, _>("pending_password")?)
                })
                .await?;
                Ok(pending.flatten())
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %a)
            )]
            async fn put_pending_password(
                &self,
                ws: WorkspaceId,
                a: AccountId,
                sealed: &[u8],
            ) -> Result<bool> {
                // Never over another one: a rotation whose worker died may
                // have given it to the app already.
                let update = r#"
                    UPDATE accounts
                    SET pending_password = $3
                    WHERE workspace_id = $1 AND id = $2 AND pending_password IS NULL
                    "#;
                sql::changed_one(
                    &self.pool,
                    update,
                    [ws.to_string(), a.to_string()],
                    |query| query.bind(sealed),
                )
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %a)
            )]
            async fn clear_pending_password(
                &self,
                ws: WorkspaceId,
                a: AccountId,
                sealed: &[u8],
            ) -> Result<bool> {
                let update = r#"
                    UPDATE accounts
                    SET pending_password = NULL
                    WHERE workspace_id = $1 AND id = $2 AND pending_password = $3
                    "#;
                sql::changed_one(
                    &self.pool,
                    update,
                    [ws.to_string(), a.to_string()],
                    |query| query.bind(sealed),
                )
                .await
            }
        }
    };
}

impl_accounts!(SqliteStore, sqlx::Sqlite);
impl_accounts!(PgStore, sqlx::Postgres);
