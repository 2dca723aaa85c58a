//! Scheduled automation: each account's password rotation schedule and its last
//! MFA check (which are due, and moving a due one on once). Part of every
//! [`crate::Store`] through the [`RotationStore`] supertrait.

use crate::models::{DueMfaCheck, MfaCheckRow, RotationRow};
use crate::rows::{id, mfa_check_row, rotation_row, small};
use crate::sql;
use crate::{PgStore, Result, SqliteStore};
use async_trait::async_trait;
use orthrus_core::{AccountId, Timestamp, WorkspaceId};
use tracing::instrument;

/// Rotation schedules and MFA checks.
#[async_trait]
pub trait RotationStore: Send + Sync {
    // Rotation schedules
    async fn rotation_schedule(&self, ws: WorkspaceId, a: AccountId)
    -> Result<Option<RotationRow>>;
    /// Creates or replaces the account's schedule.
    async fn save_rotation_schedule(&self, r: &RotationRow) -> Result<()>;
    async fn delete_rotation_schedule(&self, ws: WorkspaceId, a: AccountId) -> Result<()>;
    /// Schedules (any workspace) whose next rotation is due by `now`.
    async fn due_rotations(&self, now: Timestamp) -> Result<Vec<RotationRow>>;
    /// Moves a schedule's next rotation from `from` to `to`; false when
    /// another node moved it first (it queues that rotation, not us).
    async fn advance_rotation(&self, a: AccountId, from: Timestamp, to: Timestamp) -> Result<bool>;
    /// The workspace's schedules that rotate when a member leaves.
    async fn rotations_on_leave(&self, ws: WorkspaceId) -> Result<Vec<RotationRow>>;
    /// Brings the account's next rotation forward to `at` (sets it when
    /// none is due); false when one is already due at or before `at`.
    async fn rotation_due_by(&self, a: AccountId, at: Timestamp) -> Result<bool>;
    /// Clears a due rotation that is still `from` (it was queued); false
    /// when another node moved it first.
    async fn clear_rotation_due(&self, a: AccountId, from: Timestamp) -> Result<bool>;

    // MFA checks (issue 13: "keep MFA on")
    async fn mfa_check(&self, ws: WorkspaceId, a: AccountId) -> Result<Option<MfaCheckRow>>;
    /// Every account's last check in the workspace.
    async fn workspace_mfa_checks(&self, ws: WorkspaceId) -> Result<Vec<MfaCheckRow>>;
    /// Creates or replaces the account's last check.
    async fn save_mfa_check(&self, r: &MfaCheckRow) -> Result<()>;
    /// Accounts (any workspace) whose check is due: a confirmed TOTP
    /// authenticator, a login URL and a username, no `check_mfa` job
    /// waiting or running, and neither a check nor a `check_mfa` job since
    /// `before`. The longest unchecked first, at most `limit`.
    async fn due_mfa_checks(&self, before: Timestamp, limit: i64) -> Result<Vec<DueMfaCheck>>;
    /// `check_mfa` jobs queued, running, waiting or deferred (any workspace).
    async fn mfa_checks_in_flight(&self) -> Result<i64>;
}

macro_rules! impl_rotations {
    ($store:ty) => {
        #[async_trait]
        impl RotationStore for $store {
            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %a)
            )]
            async fn rotation_schedule(
                &self,
                ws: WorkspaceId,
                a: AccountId,
            ) -> Result<Option<RotationRow>> {
                let select = r#"
                    SELECT *
                    FROM rotation_schedules
                    WHERE workspace_id = $1 AND account_id = $2
                    "#;
                sql::one_by(&self.pool, select, [ws.to_string(), a.to_string()], rotation_row).await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %r.workspace_id)
            )]
            async fn save_rotation_schedule(&self, r: &RotationRow) -> Result<()> {
                let upsert = r#"
                    INSERT INTO rotation_schedules (account_id, workspace_id, every_days, window_start,
                        window_end, on_member_leave, set_by, next_at, updated_at, password_policy,
                        after_autofill_hours)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                    ON CONFLICT (account_id)
                    DO UPDATE SET every_days = excluded.every_days,
                        window_start = excluded.window_start,
                        window_end = excluded.window_end, on_member_leave = excluded.on_member_leave,
                            set_by = excluded.set_by,
                        next_at = excluded.next_at, updated_at = excluded.updated_at,
                            password_policy = excluded.password_policy,
                        after_autofill_hours = excluded.after_autofill_hours
                    "#;
                let keys = [r.account_id.to_string(), r.workspace_id.to_string()];
                sql::run(&self.pool, upsert, keys, |query| {
                    query
                        .bind(r.every_days.map(small))
                        .bind(small(r.window_start))
                        .bind(small(r.window_end))
                        .bind(r.on_member_leave)
                        .bind(r.set_by.to_string())
                        .bind(r.next_at.map(|t| t.0))
                        .bind(r.updated_at.0)
                        .bind(r.password_policy.as_deref())
                        .bind(r.after_autofill_hours.map(small))
                })
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %a)
            )]
            async fn delete_rotation_schedule(&self, ws: WorkspaceId, a: AccountId) -> Result<()> {
                let delete = r#"
                    DELETE FROM rotation_schedules
                    WHERE workspace_id = $1 AND account_id = $2
                    "#;
                sql::write(&self.pool, delete, [ws.to_string(), a.to_string()]).await?;
                Ok(())
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn due_rotations(&self, now: Timestamp) -> Result<Vec<RotationRow>> {
                let select = r#"
                    SELECT *
                    FROM rotation_schedules
                    WHERE (every_days IS NOT NULL OR after_autofill_hours IS NOT NULL) AND next_at <= $1
                    ORDER BY next_at
                    "#;
                sql::all_with(&self.pool, select, [], |query| query.bind(now.0), rotation_row).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, account = %a))]
            async fn advance_rotation(
                &self,
                a: AccountId,
                from: Timestamp,
                to: Timestamp,
            ) -> Result<bool> {
                let update = r#"
                    UPDATE rotation_schedules
                    SET next_at = $3
                    WHERE account_id = $1 AND next_at = $2
                    "#;
                sql::changed_one(&self.pool, update, [a.to_string()], |query| {
                    query.bind(from.0).bind(to.0)
                })
                .await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn rotations_on_leave(&self, ws: WorkspaceId) -> Result<Vec<RotationRow>> {
                let select = r#"
                    SELECT *
                    FROM rotation_schedules
                    WHERE workspace_id = $1 AND on_member_leave = TRUE
                    "#;
                sql::all_by(&self.pool, select, [ws.to_string()], rotation_row).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, account = %a))]
            async fn rotation_due_by(&self, a: AccountId, at: Timestamp) -> Result<bool> {
                let update = r#"
                    UPDATE rotation_schedules
                    SET next_at = $2
                    WHERE account_id = $1 AND (next_at IS NULL OR next_at > $2)
                    "#;
                sql::changed_one(&self.pool, update, [a.to_string()], |query| {
                    query.bind(at.0)
                })
                .await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, account = %a))]
            async fn clear_rotation_due(&self, a: AccountId, from: Timestamp) -> Result<bool> {
                let update = r#"
                    UPDATE rotation_schedules
                    SET next_at = NULL
                    WHERE account_id = $1 AND next_at = $2
                    "#;
                sql::changed_one(&self.pool, update, [a.to_string()], |query| {
                    query.bind(from.0)
                })
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %a)
            )]
            async fn mfa_check(
                &self,
                ws: WorkspaceId,
                a: AccountId,
            ) -> Result<Option<MfaCheckRow>> {
                let select = r#"
                    SELECT *
                    FROM mfa_checks
                    WHERE workspace_id = $1 AND account_id = $2
                    "#;
                sql::one_by(
                    &self.pool,
                    select,
                    [ws.to_string(), a.to_string()],
                    mfa_check_row,
                )
                .await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn workspace_mfa_checks(&self, ws: WorkspaceId) -> Result<Vec<MfaCheckRow>> {
                let select = "SELECT * FROM mfa_checks WHERE workspace_id = $1";
                sql::all_by(&self.pool, select, [ws.to_string()], mfa_check_row).await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %r.workspace_id)
            )]
            async fn save_mfa_check(&self, r: &MfaCheckRow) -> Result<()> {
                let upsert = r#"
                    INSERT INTO mfa_checks (account_id, workspace_id, state, checked_at, job_id, reason)
                    VALUES ($1, $2, $3, $4, $5, $6)
                    ON CONFLICT (account_id)
                    DO UPDATE SET state = excluded.state,
                        checked_at = excluded.checked_at,
                        job_id = excluded.job_id, reason = excluded.reason
                    "#;
                let keys = [r.account_id.to_string(), r.workspace_id.to_string()];
                sql::run(&self.pool, upsert, keys, |query| {
                    query
                        .bind(r.state.as_str())
                        .bind(r.checked_at.0)
                        .bind(r.job_id.to_string())
                        .bind(r.reason.as_deref())
                })
                .await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn due_mfa_checks(
                &self,
                before: Timestamp,
                limit: i64,
            ) -> Result<Vec<DueMfaCheck>> {
                let select = r#"
                    SELECT o.workspace_id, o.account_id, o.enrolled_by
                    FROM account_otp o
                    JOIN accounts a ON a.id = o.account_id AND a.workspace_id = o.workspace_id
                    LEFT JOIN mfa_checks m ON m.account_id = o.account_id
                    WHERE o.slot = 'active' AND o.kind = 'totp' AND o.confirmed_at IS NOT NULL
                        AND TRIM(a.login_url) <> '' AND TRIM(a.username) <> ''
                        AND (m.checked_at IS NULL OR m.checked_at < $1)
                        AND NOT EXISTS (
                            SELECT 1
                            FROM automation_jobs j
                            WHERE j.account_id = o.account_id AND j.kind = 'check_mfa'
                                AND (j.state IN ('queued', 'running', 'waiting', 'deferred') OR j.created_at >= $1)
                        )
                    ORDER BY COALESCE(m.checked_at, 0), o.account_id
                    LIMIT $2
                    "#;
                let limit = limit.clamp(1, 1000);
                sql::all_with(&self.pool, select, [], |query| query.bind(before.0).bind(limit), |r| {
                    Ok(DueMfaCheck {
                        workspace_id: id(r, "workspace_id")?,
                        account_id: id(r, "account_id")?,
                        enrolled_by: id(r, "enrolled_by")?,
                    })
                })
                .await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn mfa_checks_in_flight(&self) -> Result<i64> {
                let select = r#"
                    SELECT COUNT(*) AS n
                    FROM automation_jobs
                    WHERE kind = 'check_mfa' AND state IN ('queued', 'running', 'waiting', 'deferred')
                    "#;
                sql::count(&self.pool, select, [], |query| query).await
            }
        }
    };
}

impl_rotations!(SqliteStore);
impl_rotations!(PgStore);
