//! Work shared by the nodes of a cluster (issue 16): each periodic action
//! is one conditional write (or one transaction) whose result says whether
//! this node did it, so the audit event or job that follows happens once
//! whatever the number of nodes, and a crash between two writes loses
//! nothing. Part of every [`crate::Store`] through the [`SharedWork`]
//! supertrait.

use crate::models::JobRow;
use crate::sql;
use crate::{PgStore, Result, SqliteStore};
use async_trait::async_trait;
use orthrus_core::{AccountId, Timestamp, UserId, WorkspaceId};

#[async_trait]
pub trait SharedWork: Send + Sync {
    /// Moves an account's scheduled rotation from `from` to `to` (none:
    /// no longer due) and queues `job` with it, in one transaction. False,
    /// with nothing written, when another node moved it first. With
    /// `unless_pending`, a rotation already queued or running takes this
    /// turn: the schedule still moves, `job` is not queued (false).
    async fn queue_due_rotation(
        &self,
        account: AccountId,
        from: Timestamp,
        to: Option<Timestamp>,
        job: &JobRow,
        unless_pending: bool,
    ) -> Result<bool>;

    /// Deactivates a user whose access to the workspace ended at or before
    /// `now`; false when they are inactive already (another node did it)
    /// or their end of access moved meanwhile.
    async fn deactivate_expired_user(
        &self,
        ws: WorkspaceId,
        user: UserId,
        now: Timestamp,
    ) -> Result<bool>;

    /// Takes (or renews) the lease of the periodic task `name` for
    /// `holder` until `until`: true when `holder` now holds it (it was
    /// free, ran out at `now`, or was `holder`'s already).
    async fn take_task_lease(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<bool>;
}

macro_rules! impl_shared_work {
    ($store:ty) => {
        #[async_trait]
        impl SharedWork for $store {
            #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %job.workspace_id, job = %job.id, account = %account))]
            async fn queue_due_rotation(
                &self,
                account: AccountId,
                from: Timestamp,
                to: Option<Timestamp>,
                job: &JobRow,
                unless_pending: bool,
            ) -> Result<bool> {
                // The UPDATE comes first: it takes the row (PostgreSQL) or
                // database (SQLite) write lock, so the check below sees
                // every job queued before it.
                let mut tx = self.pool.begin().await?;
                let moved = sqlx::query(
                    "UPDATE rotation_schedules SET next_at = $3 WHERE account_id = $1 AND next_at = $2",
                )
                .bind(account.to_string())
                .bind(from.0)
                .bind(to.map(|t| t.0))
                .execute(&mut *tx)
                .await?;
                if moved.rows_affected() != 1 {
                    return Ok(false);
                }
                if unless_pending {
                    let pending = sqlx::query(
                        "SELECT 1 AS one FROM automation_jobs WHERE account_id = $1 AND kind = $2 AND state IN ('queued', 'running', 'waiting', 'deferred') LIMIT 1",
                    )
                    .bind(account.to_string())
                    .bind(&job.kind)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if pending.is_some() {
                        tx.commit().await?;
                        return Ok(false);
                    }
                }
                Self::insert_job_row(&mut *tx, job).await?;
                tx.commit().await?;
                Ok(true)
            }

            #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws, user = %user))]
            async fn deactivate_expired_user(
                &self,
                ws: WorkspaceId,
                user: UserId,
                now: Timestamp,
            ) -> Result<bool> {
                let done = sqlx::query(
                    "UPDATE users SET active = FALSE, updated_at = $3 WHERE workspace_id = $1 AND id = $2 AND active = TRUE AND access_expires_at IS NOT NULL AND access_expires_at <= $3",
                )
                .bind(ws.to_string())
                .bind(user.to_string())
                .bind(now.0)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn take_task_lease(
                &self,
                name: &str,
                holder: &str,
                now: Timestamp,
                until: Timestamp,
            ) -> Result<bool> {
                // One statement: two nodes inserting at once meet on the
                // primary key, and the loser's update sees the winner's row.
                let take = "INSERT INTO task_leases (name, holder, expires_at) VALUES ($1, $2, $4)
                     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                     WHERE task_leases.expires_at <= $3 OR task_leases.holder = excluded.holder
                     RETURNING holder";
                let keys = [name.to_owned(), holder.to_owned()];
                let taken = sql::one_with(
                    &self.pool,
                    take,
                    keys,
                    |query| query.bind(now.0).bind(until.0),
                    |_| Ok(()),
                )
                .await?;
                Ok(taken.is_some())
            }
        }
    };
}

impl_shared_work!(SqliteStore);
impl_shared_work!(PgStore);
