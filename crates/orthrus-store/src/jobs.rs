//! Automation jobs: queueing, claims and leases, state changes and recovery,
//! the step log, and each account's sealed browser profile. Part of every
//! [`crate::Store`] through the [`JobStore`] supertrait; what a waiting job
//! asks is in `questions.rs`.

use crate::models::{JobRow, JobStepRow, Lease};
use crate::rows::{id, job_row, small, ts, ts_opt};
use crate::sql::{self, conflict, parse, sql_fmt};
use crate::{PgStore, Result, SqliteStore};
use async_trait::async_trait;
use orthrus_core::{AccountId, EventId, Timestamp, WorkspaceId};
use sqlx::Row;
use tracing::instrument;

/// Automation jobs: queueing, claims and leases, state changes, steps, browser
/// profiles.
#[async_trait]
pub trait JobStore: Send + Sync {
    // Automation jobs
    async fn insert_job(&self, j: &JobRow) -> Result<()>;
    async fn get_job(&self, ws: WorkspaceId, id: EventId) -> Result<Option<JobRow>>;
    /// Jobs of the workspace (of one account when given), newest first.
    async fn list_jobs(
        &self,
        ws: WorkspaceId,
        account: Option<AccountId>,
        limit: i64,
    ) -> Result<Vec<JobRow>>;
    /// Claims the oldest runnable job (queued or deferred, due, not
    /// cancelled, its account not busy) for `worker` until `lease_until`,
    /// counting an attempt. None when there is nothing to do (or another
    /// worker won the race).
    async fn claim_job(
        &self,
        worker: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Option<JobRow>>;
    /// Extends the lease of a job `worker` holds.
    async fn heartbeat_job(
        &self,
        id: EventId,
        worker: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Lease>;
    /// Moves a job `worker` holds to `state` (`running`, `waiting`,
    /// `deferred`, `queued` for a retry, or an end state); `run_after` for
    /// deferred and retried jobs. False when the job is no longer ours.
    async fn set_job_state(
        &self,
        id: EventId,
        worker: &str,
        state: orthrus_core::JobState,
        error: Option<&str>,
        run_after: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<bool>;
    /// Jobs whose lease ran out (their worker died): back to `queued` at
    /// `retry_at` while attempts remain, else `failed`. Returns how many.
    async fn recover_jobs(&self, now: Timestamp, retry_at: Timestamp) -> Result<u64>;
    /// Cancels a job: at once when it is not running, else by asking its
    /// worker. Returns the job afterwards.
    async fn cancel_job(
        &self,
        ws: WorkspaceId,
        id: EventId,
        now: Timestamp,
    ) -> Result<Option<JobRow>>;
    /// Appends a step (its `seq` is chosen here); returns the seq.
    async fn add_job_step(&self, s: &JobStepRow) -> Result<i64>;
    async fn finish_job_step(
        &self,
        job: EventId,
        seq: i64,
        outcome: orthrus_core::StepOutcome,
        url: Option<&str>,
        detail: Option<&str>,
        at: Timestamp,
    ) -> Result<()>;
    async fn job_steps(&self, job: EventId) -> Result<Vec<JobStepRow>>;
    /// The sealed browser profile of an account, if one was saved.
    async fn browser_profile(&self, ws: WorkspaceId, a: AccountId) -> Result<Option<Vec<u8>>>;
    /// Keeps the account's sealed browser profile, replacing any earlier
    /// one. NotFound (and nothing saved) when the account is not in `ws`.
    async fn save_browser_profile(
        &self,
        ws: WorkspaceId,
        a: AccountId,
        sealed: &[u8],
        at: Timestamp,
    ) -> Result<()>;
}

macro_rules! impl_jobs {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Writes a new job row; the raw error, so that each caller says
            /// what a unique key means where it queues.
            pub(crate) async fn insert_job_row<'e, E>(
                e: E,
                j: &JobRow,
            ) -> std::result::Result<(), sqlx::Error>
            where
                E: sqlx::Executor<'e, Database = $db>,
            {
                sqlx::query(
                    r#"
                    INSERT INTO automation_jobs (id, workspace_id, account_id, kind, state, requested_by,
                        attempts, max_attempts, run_after, worker, lease_until, cancel_requested, error,
                        created_at, updated_at, finished_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
                    "#,
                )
                .bind(j.id.to_string())
                .bind(j.workspace_id.to_string())
                .bind(j.account_id.to_string())
                .bind(&j.kind)
                .bind(j.state.as_str())
                .bind(j.requested_by.to_string())
                .bind(small(j.attempts))
                .bind(small(j.max_attempts))
                .bind(j.run_after.0)
                .bind(&j.worker)
                .bind(j.lease_until.map(|t| t.0))
                .bind(j.cancel_requested)
                .bind(&j.error)
                .bind(j.created_at.0)
                .bind(j.updated_at.0)
                .bind(j.finished_at.map(|t| t.0))
                .execute(e)
                .await?;
                Ok(())
            }
        }

        #[async_trait]
        impl JobStore for $store {
            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %j.workspace_id, job = %j.id)
            )]
            async fn insert_job(&self, j: &JobRow) -> Result<()> {
                Self::insert_job_row(&self.pool, j)
                    .await
                    // A second MFA check waiting for the same account.
                    .map_err(|e| conflict(e, "a check of this account is already queued or running"))
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, id = %id)
            )]
            async fn get_job(&self, ws: WorkspaceId, id: EventId) -> Result<Option<JobRow>> {
                sql::by_id(&self.pool, "automation_jobs", "*", ws, id, job_row).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn list_jobs(
                &self,
                ws: WorkspaceId,
                account: Option<AccountId>,
                limit: i64,
            ) -> Result<Vec<JobRow>> {
                let limit = limit.clamp(1, 500);
                match account {
                    Some(a) => {
                        let select = r#"
                            SELECT *
                            FROM automation_jobs
                            WHERE workspace_id = $1 AND account_id = $2
                            ORDER BY created_at DESC, id DESC
                            LIMIT $3
                            "#;
                        let keys = [ws.to_string(), a.to_string()];
                        sql::all_with(&self.pool, select, keys, |query| query.bind(limit), job_row)
                            .await
                    }
                    None => {
                        let select = r#"
                            SELECT *
                            FROM automation_jobs
                            WHERE workspace_id = $1
                            ORDER BY created_at DESC, id DESC
                            LIMIT $2
                            "#;
                        let keys = [ws.to_string()];
                        sql::all_with(&self.pool, select, keys, |query| query.bind(limit), job_row)
                            .await
                    }
                }
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn claim_job(
                &self,
                worker: &str,
                now: Timestamp,
                lease_until: Timestamp,
            ) -> Result<Option<JobRow>> {
                // PostgreSQL: workers claiming at once each skip the rows the
                // others are taking instead of queueing behind them. SQLite
                // has one writer at a time, so there is nothing to skip.
                let skip_locked = if Self::BACKEND == "postgres" {
                    " FOR UPDATE OF j SKIP LOCKED"
                } else {
                    ""
                };
                let claimed = sqlx::query(sql_fmt!(
                    r#"
                    UPDATE automation_jobs
                    SET state = 'running',
                        worker = $1,
                        lease_until = $3,
                        attempts = attempts + 1,
                        updated_at = $2,
                        question = NULL,
                        answer = NULL
                    WHERE id = (
                            SELECT j.id
                            FROM automation_jobs j
                            WHERE j.state IN ('queued', 'deferred')
                                AND j.run_after <= $2
                                AND j.cancel_requested = FALSE
                                AND NOT EXISTS (
                                    SELECT 1
                                    FROM automation_jobs r
                                    WHERE r.account_id = j.account_id
                                        AND r.state IN ('running', 'waiting')
                                )
                            ORDER BY j.run_after, j.id
                            LIMIT 1{skip_locked}
                        )
                        AND state IN ('queued', 'deferred')
                    RETURNING *
                    "#
                ))
                .bind(worker)
                .bind(now.0)
                .bind(lease_until.0)
                .fetch_optional(&self.pool)
                .await;
                match claimed {
                    Ok(row) => row.as_ref().map(job_row).transpose(),
                    // Another worker started a job of the same account at the
                    // same moment: the one-active index refused ours.
                    Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(None),
                    Err(e) => Err(e.into()),
                }
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, id = %id))]
            async fn heartbeat_job(
                &self,
                id: EventId,
                worker: &str,
                now: Timestamp,
                lease_until: Timestamp,
            ) -> Result<Lease> {
                let update = r#"
                    UPDATE automation_jobs
                    SET lease_until = $3,
                        updated_at = $4
                    WHERE id = $1 AND worker = $2 AND state IN ('running', 'waiting')
                    RETURNING cancel_requested
                    "#;
                let keys = [id.to_string(), worker.to_owned()];
                let cancel = sql::one_with(
                    &self.pool,
                    update,
                    keys,
                    |query| query.bind(lease_until.0).bind(now.0),
                    |r| Ok(r.try_get::<bool, _>("cancel_requested")?),
                )
                .await?;
                Ok(match cancel {
                    None => Lease::Lost,
                    Some(true) => Lease::CancelRequested,
                    Some(false) => Lease::Held,
                })
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, id = %id))]
            async fn set_job_state(
                &self,
                id: EventId,
                worker: &str,
                state: orthrus_core::JobState,
                error: Option<&str>,
                run_after: Option<Timestamp>,
                now: Timestamp,
            ) -> Result<bool> {
                // Ending frees the job; so does going back to the queue.
                let (ends, leaves) = (state.is_terminal(), !state.is_held());
                // A cancel asked for meanwhile wins over a retry or a deferral.
                // A deferral gives its attempt back and is counted apart.
                let update = r#"
                    UPDATE automation_jobs
                    SET state = CASE WHEN cancel_requested AND $3 IN ('queued', 'deferred')
                            THEN 'cancelled' ELSE $3 END,
                        attempts = CASE WHEN $3 = 'deferred' AND NOT cancel_requested
                                THEN attempts - 1 ELSE attempts END,
                        deferrals = CASE WHEN $3 = 'deferred' AND NOT cancel_requested
                                THEN deferrals + 1 ELSE deferrals END,
                        error = CASE WHEN cancel_requested AND $3 IN ('queued', 'deferred')
                                THEN 'cancelled' ELSE $4 END,
                        run_after = COALESCE($5, run_after), updated_at = $6,
                        finished_at = CASE WHEN $7 OR (cancel_requested AND $3 IN ('queued', 'deferred'))
                                THEN $6 ELSE finished_at END,
                        worker = CASE WHEN $8 THEN NULL ELSE worker END,
                        lease_until = CASE WHEN $8 THEN NULL ELSE lease_until END,
                        question = CASE WHEN $3 = 'waiting' THEN question ELSE NULL END,
                        answer = CASE WHEN $3 = 'waiting' THEN answer ELSE NULL END
                    WHERE id = $1 AND worker = $2 AND state IN ('running', 'waiting')
                    "#;
                sql::changed_one(&self.pool, update, [id.to_string()], |query| {
                    query
                        .bind(worker)
                        .bind(state.as_str())
                        .bind(error)
                        .bind(run_after.map(|t| t.0))
                        .bind(now.0)
                        .bind(ends)
                        .bind(leaves)
                })
                .await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn recover_jobs(&self, now: Timestamp, retry_at: Timestamp) -> Result<u64> {
                // One transaction: the steps the stopped worker left open end
                // failed (the log keeps every step it wrote), and each of its
                // jobs ends cancelled or failed, or is queued again, exactly once.
                let mut tx = self.pool.begin().await?;
                sqlx::query(
                    r#"
                    UPDATE automation_steps
                    SET ended_at = $1,
                        outcome = 'failed',
                        detail = COALESCE(detail, 'the worker running it stopped responding')
                    WHERE ended_at IS NULL
                        AND job_id IN (
                            SELECT id
                            FROM automation_jobs
                            WHERE state IN ('running', 'waiting') AND lease_until < $1
                        )
                    "#,
                )
                .bind(now.0)
                .execute(&mut *tx)
                .await?;
                // Jobs asked to stop end cancelled, then those out of
                // attempts end failed.
                let mut ended = 0;
                for (state, error, which) in [
                    ("cancelled", "cancelled", "cancel_requested = TRUE"),
                    (
                        "failed",
                        "the worker running it stopped responding",
                        "attempts >= max_attempts",
                    ),
                ] {
                    let update = sql_fmt!(
                        r#"
                        UPDATE automation_jobs
                        SET state = '{state}',
                            error = '{error}',
                            worker = NULL,
                            lease_until = NULL,
                            question = NULL,
                            answer = NULL,
                            updated_at = $1,
                            finished_at = $1
                        WHERE state IN ('running', 'waiting') AND lease_until < $1 AND {which}
                        "#
                    );
                    ended += sqlx::query(update)
                        .bind(now.0)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                }
                let requeued = sqlx::query(
                    r#"
                    UPDATE automation_jobs
                    SET state = 'queued',
                        error = 'the worker running it stopped responding; retrying',
                        worker = NULL,
                        lease_until = NULL,
                        question = NULL,
                        answer = NULL,
                        run_after = $2,
                        updated_at = $1
                    WHERE state IN ('running', 'waiting') AND lease_until < $1
                    "#,
                )
                .bind(now.0)
                .bind(retry_at.0)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                tx.commit().await?;
                Ok(ended + requeued)
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, id = %id)
            )]
            async fn cancel_job(
                &self,
                ws: WorkspaceId,
                id: EventId,
                now: Timestamp,
            ) -> Result<Option<JobRow>> {
                // One statement: a job not running ends now; a running one
                // is asked to stop (and ends cancelled whatever it does next).
                let update = r#"
                    UPDATE automation_jobs SET cancel_requested = TRUE, updated_at = $3,
                        finished_at = CASE WHEN state IN ('queued', 'deferred') THEN $3 ELSE finished_at END,
                        error = CASE WHEN state IN ('queued', 'deferred') THEN 'cancelled' ELSE error END,
                        state = CASE WHEN state IN ('queued', 'deferred') THEN 'cancelled' ELSE state END
                    WHERE workspace_id = $1
                        AND id = $2
                        AND state IN ('queued', 'deferred', 'running', 'waiting')
                    "#;
                sql::execute(
                    &self.pool,
                    update,
                    [ws.to_string(), id.to_string()],
                    |query| query.bind(now.0),
                )
                .await?;
                self.get_job(ws, id).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn add_job_step(&self, s: &JobStepRow) -> Result<i64> {
                let row = sqlx::query(
                    r#"
                    INSERT INTO automation_steps
                        (job_id, seq, attempt, name, started_at, ended_at, outcome, url, detail)
                    VALUES (
                        $1,
                        (SELECT COALESCE(MAX(seq), 0) + 1 FROM automation_steps WHERE job_id = $1),
                        $2, $3, $4, $5, $6, $7, $8
                    )
                    RETURNING seq
                    "#,
                )
                .bind(s.job_id.to_string())
                .bind(small(s.attempt))
                .bind(&s.name)
                .bind(s.started_at.0)
                .bind(s.ended_at.map(|t| t.0))
                .bind(s.outcome.map(orthrus_core::StepOutcome::as_str))
                .bind(&s.url)
                .bind(&s.detail)
                .fetch_one(&self.pool)
                .await?;
                Ok(i64::from(row.try_get::<i32, _>("seq")?))
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, job = %job))]
            async fn finish_job_step(
                &self,
                job: EventId,
                seq: i64,
                outcome: orthrus_core::StepOutcome,
                url: Option<&str>,
                detail: Option<&str>,
                at: Timestamp,
            ) -> Result<()> {
                let update = r#"
                    UPDATE automation_steps
                    SET outcome = $3,
                        url = COALESCE($4, url),
                        detail = COALESCE($5, detail),
                        ended_at = $6
                    WHERE job_id = $1 AND seq = $2
                    "#;
                sql::run(&self.pool, update, [job.to_string()], |query| {
                    query
                        .bind(small(seq))
                        .bind(outcome.as_str())
                        .bind(url)
                        .bind(detail)
                        .bind(at.0)
                })
                .await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, job = %job))]
            async fn job_steps(&self, job: EventId) -> Result<Vec<JobStepRow>> {
                let select = r#"
                    SELECT *
                    FROM automation_steps
                    WHERE job_id = $1
                    ORDER BY seq
                    "#;
                sql::all_by(&self.pool, select, [job.to_string()], |r| {
                    Ok(JobStepRow {
                        job_id: id(r, "job_id")?,
                        seq: i64::from(r.try_get::<i32, _>("seq")?),
                        attempt: i64::from(r.try_get::<i32, _>("attempt")?),
                        name: r.try_get("name")?,
                        started_at: ts(r, "started_at")?,
                        ended_at: ts_opt(r, "ended_at")?,
                        outcome: r
                            .try_get::<Option<String>, _>("outcome")?
                            .map(|o| parse(&o, "step outcome"))
                            .transpose()?,
                        url: r.try_get("url")?,
                        detail: r.try_get("detail")?,
                    })
                })
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %a)
            )]
            async fn browser_profile(
                &self,
                ws: WorkspaceId,
                a: AccountId,
            ) -> Result<Option<Vec<u8>>> {
                let select = r#"
                    SELECT sealed
                    FROM browser_profiles
                    WHERE workspace_id = $1 AND account_id = $2
                    "#;
                sql::one_by(&self.pool, select, [ws.to_string(), a.to_string()], |r| {
                    Ok(r.try_get("sealed")?)
                })
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %a)
            )]
            async fn save_browser_profile(
                &self,
                ws: WorkspaceId,
                a: AccountId,
                sealed: &[u8],
                at: Timestamp,
            ) -> Result<()> {
                // Only an account of `ws` gets a row (the profile is keyed by
                // account alone, so an unchecked upsert through another
                // workspace would overwrite it); the row takes the account's
                // workspace, which also mends a row an older version filed
                // under the wrong one.
                let upsert =
                    sql::sealed_upsert("browser_profiles", "account_id", "updated_at", "accounts");
                let keys = [a.to_string(), ws.to_string()];
                let done = sql::execute(&self.pool, upsert, keys, |query| {
                    query.bind(sealed).bind(at.0)
                })
                .await?;
                sql::one_row(done)
            }
        }
    };
}

impl_jobs!(SqliteStore, sqlx::Sqlite);
impl_jobs!(PgStore, sqlx::Postgres);
