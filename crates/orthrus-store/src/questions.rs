//! What a waiting automation job asks a person: the question, the sealed answer
//! (claimed, filled or released once), giving up, and the job's latest sealed
//! screenshot. Part of every [`crate::Store`] through the [`QuestionStore`]
//! supertrait.

use crate::sql;
use crate::{PgStore, Result, SqliteStore};
use async_trait::async_trait;
use orthrus_core::{EventId, Timestamp, WorkspaceId};
use sqlx::Row;
use tracing::instrument;

/// Job `$2` of workspace `$1` waits on a question that nobody has answered
/// (or is answering) yet, and is not being cancelled: what answering it and
/// claiming it to answer both ask of the row.
const UNANSWERED: &str = "workspace_id = $1 AND id = $2 AND state = 'waiting' \
    AND question IS NOT NULL AND answer IS NULL AND cancel_requested = FALSE";

/// Job `$2` of workspace `$1` waits with its answer claimed (an empty one,
/// "being answered"): what filling in that answer asks of the row.
const CLAIMED: &str = "workspace_id = $1 AND id = $2 AND state = 'waiting' AND length(answer) = 0";

/// A waiting job's question, its sealed answer, and job screenshots.
#[async_trait]
pub trait QuestionStore: Send + Sync {
    /// A job `worker` holds waits for a person: `question` says what for.
    /// False when the job is no longer ours (or a cancel is pending).
    async fn ask_job(
        &self,
        id: EventId,
        worker: &str,
        question: &str,
        now: Timestamp,
    ) -> Result<bool>;
    /// A person's sealed answer to a waiting job's question; false when the
    /// job asks nothing now or was answered already.
    async fn answer_job(
        &self,
        ws: WorkspaceId,
        id: EventId,
        sealed: &[u8],
        now: Timestamp,
    ) -> Result<bool>;
    /// For the worker holding the job: the answer, once given; the job is
    /// `running` again and the answer is gone from storage.
    /// Marks a waiting job's question as being answered (before a backup
    /// code is taken for it); false when it asks nothing now or someone
    /// else answers. Then [`Self::fill_job_answer`] or
    /// [`Self::release_job_answer`].
    async fn claim_job_answer(&self, ws: WorkspaceId, id: EventId) -> Result<bool>;
    async fn fill_job_answer(
        &self,
        ws: WorkspaceId,
        id: EventId,
        sealed: &[u8],
        now: Timestamp,
    ) -> Result<bool>;
    async fn release_job_answer(&self, ws: WorkspaceId, id: EventId) -> Result<()>;
    /// The worker stops waiting: the job is `running` again without its
    /// question, unless an answer is given or being given (false).
    async fn give_up_question(&self, id: EventId, worker: &str, now: Timestamp) -> Result<bool>;
    async fn job_screenshot_exists(&self, ws: WorkspaceId, job: EventId) -> Result<bool>;
    /// Deletes screenshots taken before `before`; returns how many.
    async fn purge_job_screenshots(&self, before: Timestamp) -> Result<u64>;
    async fn take_job_answer(
        &self,
        id: EventId,
        worker: &str,
        now: Timestamp,
    ) -> Result<Option<Vec<u8>>>;
    /// Keeps a job's latest screenshot (sealed), replacing any earlier one.
    /// NotFound (and nothing saved) when the job is not in `ws`.
    async fn save_job_screenshot(
        &self,
        ws: WorkspaceId,
        job: EventId,
        sealed: &[u8],
        at: Timestamp,
    ) -> Result<()>;
    async fn job_screenshot(&self, ws: WorkspaceId, job: EventId) -> Result<Option<Vec<u8>>>;
}

macro_rules! impl_questions {
    ($store:ty) => {
        impl $store {
            /// Stores the sealed answer on job `id` of `ws` when its row is
            /// as `when` (a constant: [`UNANSWERED`], [`CLAIMED`]) asks;
            /// whether it was.
            async fn put_job_answer(
                &self,
                when: &'static str,
                ws: WorkspaceId,
                id: EventId,
                sealed: &[u8],
                now: Timestamp,
            ) -> Result<bool> {
                let update = sql::sql_fmt!(
                    "UPDATE automation_jobs SET answer = $3, updated_at = $4 WHERE {when}"
                );
                sql::changed_one(
                    &self.pool,
                    update,
                    [ws.to_string(), id.to_string()],
                    |query| query.bind(sealed).bind(now.0),
                )
                .await
            }
        }

        #[async_trait]
        impl QuestionStore for $store {
            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, id = %id))]
            async fn ask_job(
                &self,
                id: EventId,
                worker: &str,
                question: &str,
                now: Timestamp,
            ) -> Result<bool> {
                let update = r#"
                    UPDATE automation_jobs
                    SET state = 'waiting',
                        question = $3,
                        answer = NULL,
                        updated_at = $4
                    WHERE id = $1
                        AND worker = $2
                        AND state IN ('running', 'waiting')
                        AND cancel_requested = FALSE
                    "#;
                sql::changed_one(&self.pool, update, [id.to_string()], |query| {
                    query.bind(worker).bind(question).bind(now.0)
                })
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, id = %id)
            )]
            async fn answer_job(
                &self,
                ws: WorkspaceId,
                id: EventId,
                sealed: &[u8],
                now: Timestamp,
            ) -> Result<bool> {
                self.put_job_answer(UNANSWERED, ws, id, sealed, now).await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, id = %id)
            )]
            async fn claim_job_answer(&self, ws: WorkspaceId, id: EventId) -> Result<bool> {
                // An empty answer marks "being answered": the worker neither
                // takes it nor gives up on it.
                let update = sql::sql_fmt!("UPDATE automation_jobs SET answer = $3 WHERE {UNANSWERED}");
                sql::changed_one(
                    &self.pool,
                    update,
                    [ws.to_string(), id.to_string()],
                    |query| query.bind(Vec::<u8>::new()),
                )
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, id = %id)
            )]
            async fn fill_job_answer(
                &self,
                ws: WorkspaceId,
                id: EventId,
                sealed: &[u8],
                now: Timestamp,
            ) -> Result<bool> {
                self.put_job_answer(CLAIMED, ws, id, sealed, now).await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, id = %id)
            )]
            async fn release_job_answer(&self, ws: WorkspaceId, id: EventId) -> Result<()> {
                let update = r#"
                    UPDATE automation_jobs
                    SET answer = NULL
                    WHERE workspace_id = $1 AND id = $2 AND length(answer) = 0
                    "#;
                sql::write(&self.pool, update, [ws.to_string(), id.to_string()]).await?;
                Ok(())
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, id = %id))]
            async fn give_up_question(
                &self,
                id: EventId,
                worker: &str,
                now: Timestamp,
            ) -> Result<bool> {
                let update = r#"
                    UPDATE automation_jobs SET state = 'running', question = NULL, updated_at = $3
                    WHERE id = $1 AND worker = $2 AND state = 'waiting' AND answer IS NULL
                    "#;
                sql::changed_one(&self.pool, update, [id.to_string()], |query| {
                    query.bind(worker).bind(now.0)
                })
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, job = %job)
            )]
            async fn job_screenshot_exists(&self, ws: WorkspaceId, job: EventId) -> Result<bool> {
                let select = r#"
                    SELECT 1 AS one
                    FROM automation_screenshots
                    WHERE workspace_id = $1 AND job_id = $2
                    "#;
                let row = sql::one_by(
                    &self.pool,
                    select,
                    [ws.to_string(), job.to_string()],
                    |_| Ok(()),
                )
                .await?;
                Ok(row.is_some())
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn purge_job_screenshots(&self, before: Timestamp) -> Result<u64> {
                let delete = "DELETE FROM automation_screenshots WHERE taken_at < $1";
                sql::execute(&self.pool, delete, [], |query| query.bind(before.0)).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, id = %id))]
            async fn take_job_answer(
                &self,
                id: EventId,
                worker: &str,
                now: Timestamp,
            ) -> Result<Option<Vec<u8>>> {
                let select = r#"
                    SELECT answer
                    FROM automation_jobs
                    WHERE id = $1 AND worker = $2 AND state = 'waiting' AND length(answer) > 0
                    "#;
                let keys = [id.to_string(), worker.to_owned()];
                let answer = sql::one_by(&self.pool, select, keys, |r| {
                    Ok(r.try_get::<Vec<u8>, _>("answer")?)
                })
                .await?;
                let Some(answer) = answer else { return Ok(None) };
                // Only the worker holding the job takes its answer, once.
                let update = r#"
                    UPDATE automation_jobs
                    SET state = 'running',
                        question = NULL,
                        answer = NULL,
                        updated_at = $3
                    WHERE id = $1 AND worker = $2 AND state = 'waiting' AND length(answer) > 0
                    "#;
                let done = sql::execute(&self.pool, update, [id.to_string()], |query| {
                    query.bind(worker).bind(now.0)
                })
                .await?;
                Ok((done == 1).then_some(answer))
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, job = %job)
            )]
            async fn save_job_screenshot(
                &self,
                ws: WorkspaceId,
                job: EventId,
                sealed: &[u8],
                at: Timestamp,
            ) -> Result<()> {
                // Only a job of `ws` gets a row (the screenshot is keyed by
                // job alone, so an unchecked upsert through another workspace
                // would overwrite it); the row takes the job's workspace.
                let (table, owner) = ("automation_screenshots", "automation_jobs");
                let upsert = sql::sealed_upsert(table, "job_id", "taken_at", owner);
                let keys = [job.to_string(), ws.to_string()];
                let done = sql::execute(&self.pool, upsert, keys, |query| {
                    query.bind(sealed).bind(at.0)
                })
                .await?;
                sql::one_row(done)
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, job = %job)
            )]
            async fn job_screenshot(
                &self,
                ws: WorkspaceId,
                job: EventId,
            ) -> Result<Option<Vec<u8>>> {
                let select = r#"
                    SELECT sealed
                    FROM automation_screenshots
                    WHERE workspace_id = $1 AND job_id = $2
                    "#;
                sql::one_by(&self.pool, select, [ws.to_string(), job.to_string()], |r| {
                    Ok(r.try_get("sealed")?)
                })
                .await
            }
        }
    };
}

impl_questions!(SqliteStore);
impl_questions!(PgStore);
