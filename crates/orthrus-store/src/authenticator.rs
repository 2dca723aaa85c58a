//! The team authenticator: an account's TOTP/HOTP enrolments (active and
//! pending slot), the ledger of issued codes, the steps marked used, and the
//! account's backup codes. Part of every [`crate::Store`] through the
//! [`AuthenticatorStore`] supertrait.

use crate::models::{
    BackupCodeRow, BackupSetRow, BackupSetSummary, IssuanceRow, OtpRow, OtpSlot, UsedStepRow,
};
use crate::rows::{
    OTP_COLS, USED_COLS, backup_code_row, backup_set_row, issuance_row, otp_row, used_row,
};
use crate::sql::{self, sql_fmt};
use crate::{PgStore, Result, SqliteStore};
use async_trait::async_trait;
use orthrus_core::{AccountId, EventId, Timestamp, UserId, WorkspaceId};
use sqlx::Row;
use tracing::instrument;

/// The team authenticator (enrolments, issuance ledger, used steps) and backup
/// codes.
#[async_trait]
pub trait AuthenticatorStore: Send + Sync {
    // Team authenticator
    /// Stores an enrolment in its slot, replacing what the slot held.
    async fn put_otp(&self, row: &OtpRow) -> Result<()>;
    async fn get_otp(
        &self,
        ws: WorkspaceId,
        account: AccountId,
        slot: OtpSlot,
    ) -> Result<Option<OtpRow>>;
    /// Every active enrolment of the workspace (for code tiles on lists).
    async fn list_active_otp(&self, ws: WorkspaceId) -> Result<Vec<OtpRow>>;
    /// Makes the pending enrolment the active one (the old active one goes)
    /// in one transaction; false when nothing is pending.
    /// With `expected`, only that pending enrolment is promoted (so "Done"
    /// never confirms a key someone else put in meanwhile).
    async fn promote_otp(
        &self,
        ws: WorkspaceId,
        account: AccountId,
        at: Timestamp,
        expected: Option<EventId>,
    ) -> Result<bool>;
    async fn delete_otp(&self, ws: WorkspaceId, account: AccountId, slot: OtpSlot) -> Result<bool>;
    /// Moves an HOTP counter forward to `counter` (never back).
    async fn advance_otp_counter(
        &self,
        ws: WorkspaceId,
        account: AccountId,
        counter: i64,
    ) -> Result<()>;
    /// Claims the active HOTP enrolment `enrolment`'s counter and moves it
    /// on, in one statement: concurrent callers never get the same value.
    /// None when that enrolment is no longer the active HOTP one.
    async fn claim_otp_counter(
        &self,
        ws: WorkspaceId,
        account: AccountId,
        enrolment: EventId,
    ) -> Result<Option<i64>>;
    async fn record_issuance(&self, row: &IssuanceRow) -> Result<()>;
    /// Records several issuances in one transaction (group commit).
    async fn record_issuances(&self, rows: &[IssuanceRow]) -> Result<()>;
    async fn list_issuance(
        &self,
        ws: WorkspaceId,
        account: AccountId,
        limit: i64,
    ) -> Result<Vec<IssuanceRow>>;
    /// Marks a step used; false when it was already marked (replay).
    async fn mark_step_used(&self, row: &UsedStepRow) -> Result<bool>;
    async fn get_used_step(
        &self,
        ws: WorkspaceId,
        account: AccountId,
        step: i64,
    ) -> Result<Option<UsedStepRow>>;

    // Backup codes
    /// Makes `set` the active set with `codes`; the previous active set is
    /// kept, marked replaced. One transaction.
    async fn replace_backup_codes(&self, set: &BackupSetRow, codes: &[BackupCodeRow])
    -> Result<()>;
    /// The active set and its codes in order.
    async fn active_backup_codes(
        &self,
        ws: WorkspaceId,
        account: AccountId,
    ) -> Result<Option<(BackupSetRow, Vec<BackupCodeRow>)>>;
    /// Every set of the account, newest first, with counts.
    async fn list_backup_sets(
        &self,
        ws: WorkspaceId,
        account: AccountId,
    ) -> Result<Vec<BackupSetSummary>>;
    /// Marks one code used; false when it already was (or does not exist).
    async fn mark_backup_code_used(
        &self,
        ws: WorkspaceId,
        set: EventId,
        position: i64,
        by: UserId,
        email: &str,
        at: Timestamp,
    ) -> Result<bool>;
}

macro_rules! impl_authenticator {
    ($store:ty, $db:ty) => {
        impl $store {
            pub(crate) async fn insert_issuance<'e, E>(e: E, i: &IssuanceRow) -> Result<()>
            where
                E: sqlx::Executor<'e, Database = $db>,
            {
                let insert = r#"
                    INSERT INTO otp_issuance (id, workspace_id, account_id, user_id, user_email, how, step,
                        issued_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                    "#;
                let keys = [i.id.to_string(), i.workspace_id.to_string(), i.account_id.to_string()];
                sql::run(e, insert, keys, |query| {
                    query
                        .bind(i.user_id.map(|u| u.to_string()))
                        .bind(i.user_email.as_deref())
                        .bind(i.how.as_str())
                        .bind(i.step)
                        .bind(i.issued_at.0)
                })
                .await
            }

            /// Several ledger rows in one statement (one `VALUES` tuple each).
            pub(crate) async fn insert_issuances<'e, E>(e: E, rows: &[IssuanceRow]) -> Result<()>
            where
                E: sqlx::Executor<'e, Database = $db>,
            {
                if rows.is_empty() {
                    return Ok(());
                }
                let values = (0..rows.len())
                    .map(|n| {
                        let b = n * 8;
                        format!(
                            "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                            b + 1,
                            b + 2,
                            b + 3,
                            b + 4,
                            b + 5,
                            b + 6,
                            b + 7,
                            b + 8
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                let mut q = sqlx::query(sql_fmt!(
                    r#"
                    INSERT INTO otp_issuance (id, workspace_id, account_id, user_id, user_email, how, step,
                        issued_at)
                    VALUES {values}
                    "#
                ));
                for i in rows {
                    q = q
                        .bind(i.id.to_string())
                        .bind(i.workspace_id.to_string())
                        .bind(i.account_id.to_string())
                        .bind(i.user_id.map(|u| u.to_string()))
                        .bind(i.user_email.clone())
                        .bind(i.how.as_str())
                        .bind(i.step)
                        .bind(i.issued_at.0);
                }
                q.execute(e).await?;
                Ok(())
            }
        }

        #[async_trait]
        impl AuthenticatorStore for $store {
            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %o.workspace_id)
            )]
            async fn put_otp(&self, o: &OtpRow) -> Result<()> {
                let mut tx = self.pool.begin().await?;
                if o.slot == OtpSlot::Active {
                    // A new active seed: steps marked used belonged to the old one.
                    let delete = r#"
                        DELETE FROM otp_used_steps
                        WHERE workspace_id = $1 AND account_id = $2
                        "#;
                    let keys = [o.workspace_id.to_string(), o.account_id.to_string()];
                    sql::write(&mut *tx, delete, keys).await?;
                }
                let delete = r#"
                    DELETE FROM account_otp
                    WHERE workspace_id = $1 AND account_id = $2 AND slot = $3
                    "#;
                let keys = [o.workspace_id.to_string(), o.account_id.to_string()];
                sql::execute(&mut *tx, delete, keys, |query| query.bind(o.slot.as_str())).await?;
                let insert = sql_fmt!(
                    r#"
                    INSERT INTO account_otp ({OTP_COLS})
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
                    "#
                );
                let keys = [o.workspace_id.to_string(), o.account_id.to_string()];
                sql::execute(&mut *tx, insert, keys, |query| {
                    query
                        .bind(o.slot.as_str())
                        .bind(o.id.to_string())
                        .bind(&o.secret)
                        .bind(o.kind.as_str())
                        .bind(&o.algorithm)
                        .bind(o.digits)
                        .bind(o.period)
                        .bind(o.counter)
                        .bind(o.issuer.as_deref())
                        .bind(o.account_name.as_deref())
                        .bind(o.source.as_str())
                        .bind(o.enrolled_by.to_string())
                        .bind(o.enrolled_at.0)
                        .bind(o.confirmed_at.map(|t| t.0))
                })
                .await?;
                tx.commit().await?;
                Ok(())
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %a)
            )]
            async fn get_otp(
                &self,
                ws: WorkspaceId,
                a: AccountId,
                slot: OtpSlot,
            ) -> Result<Option<OtpRow>> {
                let select = sql_fmt!(
                    r#"
                    SELECT {OTP_COLS}
                    FROM account_otp
                    WHERE workspace_id = $1 AND account_id = $2 AND slot = $3
                    "#
                );
                let keys = [ws.to_string(), a.to_string(), slot.as_str().to_owned()];
                sql::one_by(&self.pool, select, keys, otp_row).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn list_active_otp(&self, ws: WorkspaceId) -> Result<Vec<OtpRow>> {
                let select = sql_fmt!(
                    r#"
                    SELECT {OTP_COLS}
                    FROM account_otp
                    WHERE workspace_id = $1 AND slot = 'active'
                    "#
                );
                sql::all_by(&self.pool, select, [ws.to_string()], otp_row).await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %a)
            )]
            async fn promote_otp(
                &self,
                ws: WorkspaceId,
                a: AccountId,
                at: Timestamp,
                expected: Option<EventId>,
            ) -> Result<bool> {
                let mut tx = self.pool.begin().await?;
                // Touch the pending row first: it takes the write lock and
                // tells whether there is anything to promote.
                let update = r#"
                    UPDATE account_otp
                    SET confirmed_at = $3
                    WHERE workspace_id = $1
                        AND account_id = $2
                        AND slot = 'pending'
                        AND ($4 IS NULL OR id = $4)
                    "#;
                let done =
                    sql::execute(&mut *tx, update, [ws.to_string(), a.to_string()], |query| {
                        query.bind(at.0).bind(expected.map(|e| e.to_string()))
                    })
                    .await?;
                if done == 0 {
                    tx.rollback().await?;
                    return Ok(false);
                }
                let delete = r#"
                    DELETE FROM account_otp
                    WHERE workspace_id = $1 AND account_id = $2 AND slot = 'active'
                    "#;
                sql::write(&mut *tx, delete, [ws.to_string(), a.to_string()]).await?;
                let update = r#"
                    UPDATE account_otp
                    SET slot = 'active'
                    WHERE workspace_id = $1 AND account_id = $2 AND slot = 'pending'
                    "#;
                sql::write(&mut *tx, update, [ws.to_string(), a.to_string()]).await?;
                // Steps marked used belonged to the old seed.
                let delete = r#"
                    DELETE FROM otp_used_steps
                    WHERE workspace_id = $1 AND account_id = $2
                    "#;
                sql::write(&mut *tx, delete, [ws.to_string(), a.to_string()]).await?;
                tx.commit().await?;
                Ok(true)
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %a)
            )]
            async fn delete_otp(
                &self,
                ws: WorkspaceId,
                a: AccountId,
                slot: OtpSlot,
            ) -> Result<bool> {
                let delete = r#"
                    DELETE FROM account_otp
                    WHERE workspace_id = $1 AND account_id = $2 AND slot = $3
                    "#;
                sql::changed_one(
                    &self.pool,
                    delete,
                    [ws.to_string(), a.to_string()],
                    |query| query.bind(slot.as_str()),
                )
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %a)
            )]
            async fn advance_otp_counter(
                &self,
                ws: WorkspaceId,
                a: AccountId,
                counter: i64,
            ) -> Result<()> {
                let update = r#"
                    UPDATE account_otp
                    SET counter = $3
                    WHERE workspace_id = $1 AND account_id = $2 AND slot = 'active' AND counter < $3
                    "#;
                sql::run(
                    &self.pool,
                    update,
                    [ws.to_string(), a.to_string()],
                    |query| query.bind(counter),
                )
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %a)
            )]
            async fn claim_otp_counter(
                &self,
                ws: WorkspaceId,
                a: AccountId,
                enrolment: EventId,
            ) -> Result<Option<i64>> {
                // One conditional UPDATE … RETURNING: the row lock (PostgreSQL)
                // or the single writer (SQLite) makes the claim atomic.
                let claim = r#"
                    UPDATE account_otp
                    SET counter = counter + 1
                    WHERE workspace_id = $1
                        AND account_id = $2
                        AND slot = 'active'
                        AND id = $3
                        AND kind = 'hotp'
                    RETURNING counter
                    "#;
                let keys = [ws.to_string(), a.to_string(), enrolment.to_string()];
                sql::one_by(&self.pool, claim, keys, |r| {
                    Ok(r.try_get::<i64, _>("counter")? - 1)
                })
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %i.workspace_id)
            )]
            async fn record_issuance(&self, i: &IssuanceRow) -> Result<()> {
                Self::insert_issuance(&self.pool, i).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn record_issuances(&self, rows: &[IssuanceRow]) -> Result<()> {
                // One multi-row INSERT in autocommit: one round trip and one
                // commit for the batch (no BEGIN / COMMIT around it). Batches
                // come from concurrent code views (a few dozen rows at most);
                // a larger one is split, in one transaction.
                const CHUNK: usize = 64;
                if rows.len() <= CHUNK {
                    return Self::insert_issuances(&self.pool, rows).await;
                }
                let mut tx = self.pool.begin().await?;
                for chunk in rows.chunks(CHUNK) {
                    Self::insert_issuances(&mut *tx, chunk).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %a)
            )]
            async fn list_issuance(
                &self,
                ws: WorkspaceId,
                a: AccountId,
                limit: i64,
            ) -> Result<Vec<IssuanceRow>> {
                let select = r#"
                    SELECT id, workspace_id, account_id, user_id, user_email, how, step, issued_at
                    FROM otp_issuance
                    WHERE workspace_id = $1 AND account_id = $2
                    ORDER BY issued_at DESC, id DESC
                    LIMIT $3
                    "#;
                let keys = [ws.to_string(), a.to_string()];
                let limit = limit.clamp(1, 1000);
                sql::all_with(&self.pool, select, keys, |query| query.bind(limit), issuance_row).await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %u.workspace_id)
            )]
            async fn mark_step_used(&self, u: &UsedStepRow) -> Result<bool> {
                let insert = r#"
                    INSERT INTO otp_used_steps (workspace_id, account_id, step, used_by, used_by_email, how,
                        used_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7)
                    ON CONFLICT (account_id, step)
                    DO NOTHING
                    "#;
                let keys = [u.workspace_id.to_string(), u.account_id.to_string()];
                sql::changed_one(&self.pool, insert, keys, |query| {
                    query
                        .bind(u.step)
                        .bind(u.used_by.map(|x| x.to_string()))
                        .bind(u.used_by_email.as_deref())
                        .bind(u.how.as_str())
                        .bind(u.used_at.0)
                })
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %a)
            )]
            async fn get_used_step(
                &self,
                ws: WorkspaceId,
                a: AccountId,
                step: i64,
            ) -> Result<Option<UsedStepRow>> {
                let select = sql_fmt!(
                    r#"
                    SELECT {USED_COLS}
                    FROM otp_used_steps
                    WHERE workspace_id = $1 AND account_id = $2 AND step = $3
                    "#
                );
                let keys = [ws.to_string(), a.to_string()];
                sql::one_with(&self.pool, select, keys, |query| query.bind(step), used_row).await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %set.workspace_id)
            )]
            async fn replace_backup_codes(
                &self,
                set: &BackupSetRow,
                codes: &[BackupCodeRow],
            ) -> Result<()> {
                let mut tx = self.pool.begin().await?;
                let update = r#"
                    UPDATE backup_code_sets
                    SET active = FALSE,
                        replaced_at = $3
                    WHERE workspace_id = $1 AND account_id = $2 AND active = TRUE
                    "#;
                let keys = [set.workspace_id.to_string(), set.account_id.to_string()];
                sql::execute(&mut *tx, update, keys, |query| query.bind(set.created_at.0)).await?;
                let insert = r#"
                    INSERT INTO backup_code_sets (id, workspace_id, account_id, active, created_by,
                        created_at, replaced_at)
                    VALUES ($1, $2, $3, TRUE, $4, $5, NULL)
                    "#;
                let keys = [
                    set.id.to_string(),
                    set.workspace_id.to_string(),
                    set.account_id.to_string(),
                    set.created_by.to_string(),
                ];
                sql::execute(&mut *tx, insert, keys, |query| query.bind(set.created_at.0))
                .await?;
                for c in codes {
                    let insert = r#"
                        INSERT INTO backup_codes (set_id, workspace_id, account_id, position, code, used_at,
                            used_by, used_by_email)
                        VALUES ($1, $2, $3, $4, $5, NULL, NULL, NULL)
                        "#;
                    let keys = [
                        c.set_id.to_string(),
                        c.workspace_id.to_string(),
                        c.account_id.to_string(),
                    ];
                    sql::execute(&mut *tx, insert, keys, |query| {
                        query
                            .bind(c.position)
                            .bind(&c.code)
                    })
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %a)
            )]
            async fn active_backup_codes(
                &self,
                ws: WorkspaceId,
                a: AccountId,
            ) -> Result<Option<(BackupSetRow, Vec<BackupCodeRow>)>> {
                let select_set = r#"
                    SELECT id, workspace_id, account_id, active, created_by, created_at, replaced_at
                    FROM backup_code_sets
                    WHERE workspace_id = $1 AND account_id = $2 AND active = TRUE
                    "#;
                let keys = [ws.to_string(), a.to_string()];
                let set = sql::one_by(&self.pool, select_set, keys, backup_set_row).await?;
                let Some(set) = set else {
                    return Ok(None);
                };
                let select_codes = r#"
                    SELECT set_id, workspace_id, account_id, position, code, used_at, used_by, used_by_email
                    FROM backup_codes
                    WHERE workspace_id = $1 AND set_id = $2
                    ORDER BY position
                    "#;
                let keys = [ws.to_string(), set.id.to_string()];
                let codes = sql::all_by(&self.pool, select_codes, keys, backup_code_row).await?;
                Ok(Some((set, codes)))
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %a)
            )]
            async fn list_backup_sets(
                &self,
                ws: WorkspaceId,
                a: AccountId,
            ) -> Result<Vec<BackupSetSummary>> {
                let select = r#"
                    SELECT s.id, s.workspace_id, s.account_id, s.active, s.created_by, s.created_at,
                        s.replaced_at, COUNT(c.position) AS total,
                        COUNT(c.position) - COUNT(c.used_at) AS unused
                    FROM backup_code_sets s
                    LEFT JOIN backup_codes c ON c.set_id = s.id
                    WHERE s.workspace_id = $1 AND s.account_id = $2
                    GROUP BY s.id, s.workspace_id, s.account_id, s.active, s.created_by, s.created_at,
                        s.replaced_at
                    ORDER BY s.created_at DESC, s.id DESC
                    "#;
                sql::all_by(&self.pool, select, [ws.to_string(), a.to_string()], |r| {
                    Ok(BackupSetSummary {
                        set: backup_set_row(r)?,
                        total: r.try_get("total")?,
                        unused: r.try_get("unused")?,
                    })
                })
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, set = %set)
            )]
            async fn mark_backup_code_used(
                &self,
                ws: WorkspaceId,
                set: EventId,
                position: i64,
                by: UserId,
                email: &str,
                at: Timestamp,
            ) -> Result<bool> {
                let update = r#"
                    UPDATE backup_codes
                    SET used_at = $4,
                        used_by = $5,
                        used_by_email = $6
                    WHERE workspace_id = $1 AND set_id = $2 AND position = $3 AND used_at IS NULL
                    "#;
                sql::changed_one(
                    &self.pool,
                    update,
                    [ws.to_string(), set.to_string()],
                    |query| {
                        query
                            .bind(position)
                            .bind(at.0)
                            .bind(by.to_string())
                            .bind(email)
                    },
                )
                .await
            }
        }
    };
}

impl_authenticator!(SqliteStore, sqlx::Sqlite);
impl_authenticator!(PgStore, sqlx::Postgres);
