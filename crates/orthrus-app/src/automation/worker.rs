//! The worker's side of the job table (orthrus-automation's runner):
//! recovery, claims, leases, end states, the step log, a job's inputs and
//! the account's browser profile.

use super::{JOB_ELEVATION_SECS, JobInputs, action_for};
use crate::InvalidCode;
use crate::audit::Event;
use crate::{App, AppError, Result};
use orthrus_core::AuditTarget;
use orthrus_core::{EventId, JobKind, JobState};
use orthrus_store::{JobRow, JobStepRow};

impl App {
    /// Jobs whose worker stopped renewing its lease: queued again at
    /// `retry_at` while attempts remain, else failed. Returns how many.
    pub async fn recover_jobs(&self, retry_at: orthrus_core::Timestamp) -> Result<u64> {
        let n = self.store().recover_jobs(self.now(), retry_at).await?;
        if n > 0 {
            // Which jobs is not said: every waiter looks again (rare).
            self.publish(crate::Change::Resync);
        }
        Ok(n)
    }

    /// Claims the oldest runnable job for `worker` until `lease_until`.
    pub async fn claim_job(
        &self,
        worker: &str,
        lease_until: orthrus_core::Timestamp,
    ) -> Result<Option<JobRow>> {
        let job = self
            .store()
            .claim_job(worker, self.now(), lease_until)
            .await?;
        if let Some(j) = &job {
            self.job_changed(j.id);
        }
        Ok(job)
    }

    /// Renews the lease of a job `worker` holds.
    pub async fn heartbeat_job(
        &self,
        id: EventId,
        worker: &str,
        lease_until: orthrus_core::Timestamp,
    ) -> Result<orthrus_store::Lease> {
        Ok(self
            .store()
            .heartbeat_job(id, worker, self.now(), lease_until)
            .await?)
    }

    /// Records where a job `worker` holds goes next (an end state, a retry
    /// or a deferral); false when it is no longer ours.
    pub async fn set_job_state(
        &self,
        id: EventId,
        worker: &str,
        state: JobState,
        error: Option<&str>,
        run_after: Option<orthrus_core::Timestamp>,
    ) -> Result<bool> {
        let ours = self
            .store()
            .set_job_state(id, worker, state, error, run_after, self.now())
            .await?;
        self.job_changed(id);
        Ok(ours)
    }

    /// Starts a step in the job's log; its handle (`seq`).
    pub async fn log_job_step(&self, job: EventId, attempt: i64, name: &str) -> Result<i64> {
        let row = JobStepRow {
            job_id: job,
            seq: 0,
            attempt,
            name: name.to_owned(),
            started_at: self.now(),
            ended_at: None,
            outcome: None,
            url: None,
            detail: None,
        };
        let seq = self.store().add_job_step(&row).await?;
        self.job_changed(job);
        Ok(seq)
    }

    /// Ends a step of the job's log.
    pub async fn finish_job_step(
        &self,
        job: EventId,
        seq: i64,
        outcome: orthrus_core::StepOutcome,
        url: Option<&str>,
        detail: Option<&str>,
    ) -> Result<()> {
        self.store()
            .finish_job_step(job, seq, outcome, url, detail, self.now())
            .await?;
        self.job_changed(job);
        Ok(())
    }

    /// For a worker: the job's inputs, decrypted for the run. Fails (and
    /// the job with it) when the requester may no longer run it.
    pub async fn job_inputs(&self, job: &JobRow) -> Result<JobInputs> {
        // The requester confirmed their identity when starting the job
        // where the policy asks for it (start_automation); the run acts
        // with that confirmation (the runner renews it after each answer
        // from a person, as the run may have waited long for it).
        let actor = self.job_actor(job, JOB_ELEVATION_SECS).await.map_err(|_| {
            AppError::invalid(
                InvalidCode::AutomationRequesterGone,
                "the person who started this job no longer exists",
            )
        })?;
        let active = self
            .store()
            .get_user(job.workspace_id, job.requested_by)
            .await?
            .is_some_and(|u| u.usable_at(self.now()));
        if !active {
            return Err(AppError::invalid(
                InvalidCode::AutomationRequesterInactive,
                "the person who started this job has been deactivated",
            ));
        }
        let (a, subject) = self.account_for(&actor, job.account_id).await?;
        self.check_subject(&actor, subject, action_for(JobKind::parse(&job.kind)))?;
        let password = self.open("accounts", &a.id.to_string(), "password", &a.password)?;
        self.audit(
            &actor,
            Event::new(crate::AuditAction::AutomationCredentialsUse)
                .target(AuditTarget::Account, a.id)
                .detail(serde_json::json!({"job_id": job.id.to_string(), "kind": job.kind})),
        )
        .await?;
        Ok(JobInputs {
            app: a.app,
            login_url: a.login_url,
            username: a.username,
            password,
            actor,
        })
    }

    /// For a worker: the account's saved browser profile (an archive made by
    /// the runner), opened; None before the first job.
    pub async fn load_browser_profile(&self, job: &JobRow) -> Result<Option<Vec<u8>>> {
        let Some(sealed) = self
            .store()
            .browser_profile(job.workspace_id, job.account_id)
            .await?
        else {
            return Ok(None);
        };
        let bytes = self.open_bytes(
            "browser_profiles",
            &job.account_id.to_string(),
            "profile",
            &sealed,
        )?;
        Ok(Some(bytes.to_vec()))
    }

    /// For a worker: keeps the account's browser profile, sealed.
    pub async fn save_browser_profile(&self, job: &JobRow, archive: &[u8]) -> Result<()> {
        let sealed = self.seal_bytes(
            "browser_profiles",
            &job.account_id.to_string(),
            "profile",
            archive,
        )?;
        self.store()
            .save_browser_profile(job.workspace_id, job.account_id, &sealed, self.now())
            .await?;
        Ok(())
    }
}
