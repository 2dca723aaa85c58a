//! Automation jobs: people start them (authorized here), workers run them
//! (`orthrus-automation`'s runner, which gets the job's inputs through the
//! functions at the end of this file), and the automation log shows them.

use crate::audit::Event;
use crate::{Action, Actor, App, AppError, Result};
use orthrus_core::{EventId, JobState, SecretString};
use orthrus_store::{JobRow, JobStepRow};
use serde::{Deserialize, Serialize};

/// What a job does.
pub const AUTOMATION_KINDS: &[&str] = &[
    "login",
    "enable_mfa",
    "rotate_password",
    "swap_email",
    "check_mfa",
];
/// The kinds a worker can run today.
pub const AVAILABLE_KINDS: &[&str] = &[
    "login",
    "enable_mfa",
    "rotate_password",
    "swap_email",
    "check_mfa",
];
/// Attempts per job (a worker that dies mid-job costs one).
const MAX_ATTEMPTS: i64 = 3;

/// A job as the API and the automation log show it (and the CLI reads).
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobView {
    pub id: String,
    pub account_id: String,
    pub kind: String,
    /// `queued`, `running`, `waiting`, `deferred`, `succeeded`, `failed`,
    /// `cancelled`.
    #[schema(value_type = String)]
    pub state: JobState,
    pub attempts: i64,
    /// Times the app asked to come back later (they use no attempt).
    pub deferrals: i64,
    pub error: Option<String>,
    pub requested_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub finished_at: Option<String>,
    pub cancel_requested: bool,
    /// While `waiting`: what the job asks a person.
    pub question: Option<Question>,
    /// The job's latest screenshot (on failure, or with its question), when
    /// there is one; only on a single job (`GET /api/v1/jobs/{id}`).
    pub screenshot_url: Option<String>,
    /// For a failed job: the step it broke at (the last failed step of its
    /// last attempt), on which page, and why; only on a single job.
    pub failed_step: Option<crate::FailedStep>,
    pub steps: Vec<StepView>,
}

/// What a waiting job asks a person.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Question {
    /// `captcha`: type what the screenshot shows. `backup_code`: allow the
    /// job to use one of the account's backup codes (identity check; the
    /// code goes to the app, never to the screen).
    pub kind: String,
    pub prompt: String,
}

/// How long a run acts on the identity check taken when its job started.
pub const JOB_ELEVATION_SECS: i64 = 30 * 60;

/// Longest answer a person may give.
const MAX_ANSWER: usize = 200;

/// One step of a job.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StepView {
    pub seq: i64,
    pub attempt: i64,
    pub name: String,
    pub started_at: String,
    pub ended_at: Option<String>,
    /// `ok`, `failed`, `waiting`; null while running.
    pub outcome: Option<String>,
    pub url: Option<String>,
    pub detail: Option<String>,
}

/// What a worker needs to run a job.
pub struct JobInputs {
    pub app: String,
    pub login_url: String,
    pub username: String,
    pub password: SecretString,
    /// The person who started the job: codes and inbox messages are read
    /// with their rights (checked again when the job runs).
    pub actor: Actor,
}

fn view(j: &JobRow, steps: Vec<JobStepRow>) -> JobView {
    JobView {
        id: j.id.to_string(),
        account_id: j.account_id.to_string(),
        kind: j.kind.clone(),
        state: j.state,
        attempts: j.attempts,
        deferrals: j.deferrals,
        error: j.error.clone(),
        requested_by: j.requested_by.to_string(),
        created_at: j.created_at.to_rfc3339(),
        updated_at: j.updated_at.to_rfc3339(),
        finished_at: j.finished_at.map(|t| t.to_rfc3339()),
        cancel_requested: j.cancel_requested,
        question: j
            .question
            .as_deref()
            .and_then(|q| serde_json::from_str(q).ok()),
        screenshot_url: None,
        failed_step: crate::failed_step::failed_step(j.state, j.error.as_deref(), &steps),
        steps: steps
            .into_iter()
            .map(|s| StepView {
                seq: s.seq,
                attempt: s.attempt,
                name: s.name,
                started_at: s.started_at.to_rfc3339(),
                ended_at: s.ended_at.map(|t| t.to_rfc3339()),
                outcome: s.outcome,
                url: s.url,
                detail: s.detail,
            })
            .collect(),
    }
}

/// What a person confirms when starting a job: only `enable_mfa` asks, and
/// an explicit "no" is refused.
fn check_confirmation(kind: &str, opts: crate::StartOptions) -> Result<()> {
    match (kind == "enable_mfa", opts.confirmed_mfa_off) {
        (_, None) | (true, Some(true)) => Ok(()),
        (false, Some(_)) => Err(AppError::invalid(
            "automation.unexpected_confirmation",
            "confirmed_mfa_off applies to the enable_mfa automation only",
        )),
        (true, Some(false)) => Err(AppError::invalid(
            "automation.mfa_off_unconfirmed",
            "tick \"I've verified that MFA is off for this account\" first: check in the app that MFA is off. Turning it on when it is already on, with a key Orthrus does not hold, can lock the team out",
        )),
    }
}

fn action_for(kind: &str) -> Action {
    match crate::JobKind::parse(kind) {
        Some(crate::JobKind::Login) => Action::RunLoginAutomation,
        Some(crate::JobKind::CheckMfa) => Action::CheckMfa,
        _ => Action::RunAdminAutomation,
    }
}

impl App {
    /// Queues an automation on an account: `login` for anyone who may use
    /// the account through automation, the others for its Owners.
    pub async fn start_automation(&self, actor: &Actor, id: &str, kind: &str) -> Result<JobView> {
        self.start_automation_with(actor, id, kind, crate::StartOptions::default())
            .await
    }

    /// [`App::start_automation`] with what the person confirmed.
    pub async fn start_automation_with(
        &self,
        actor: &Actor,
        id: &str,
        kind: &str,
        opts: crate::StartOptions,
    ) -> Result<JobView> {
        if !AUTOMATION_KINDS.contains(&kind) {
            return Err(AppError::invalid(
                "automation.unknown_kind",
                format!("kind must be one of {}", AUTOMATION_KINDS.join(", ")),
            ));
        }
        let (a, subject) = self.account_for(actor, id).await?;
        self.check_subject(actor, subject, action_for(kind))?;
        if !AVAILABLE_KINDS.contains(&kind) {
            return Err(AppError::invalid(
                "automation.not_available",
                format!(
                    "the {kind} automation is not available yet; available: {}",
                    AVAILABLE_KINDS.join(", ")
                ),
            ));
        }
        check_confirmation(kind, opts)?;
        self.check_start(actor, &a, subject, kind).await?;
        let job = self
            .new_job(actor.workspace_id, a.id, kind, actor.user_id)
            .await?;
        let mut detail = serde_json::json!({"job_id": job.id.to_string(), "kind": kind});
        if let Some(c) = opts.confirmed_mfa_off {
            detail["confirmed_mfa_off"] = c.into();
        }
        self.audit(
            actor,
            Event::new("automation.start")
                .target("account", a.id)
                .detail(detail),
        )
        .await?;
        Ok(view(&job, Vec::new()))
    }

    /// What starting a `kind` job on account `a` needs beyond the policy's
    /// first answer (shared by the web's start and `orthrus recipe try`).
    async fn check_start(
        &self,
        actor: &Actor,
        a: &orthrus_store::AccountRow,
        subject: orthrus_core::Subject,
        kind: &str,
    ) -> Result<()> {
        if kind == "enable_mfa" {
            // Enrolling MFA changes a security setting: the person confirms
            // their identity when starting it, as they would by hand.
            self.check_subject(actor, subject, Action::ManageMfa)?;
            if self
                .inner
                .store
                .get_otp(actor.workspace_id, a.id, orthrus_store::OtpSlot::Active)
                .await?
                .is_some()
                // A check found the app signing in without a code: it may
                // be turned on again (with a new key).
                && !self.mfa_flagged_off(actor.workspace_id, a.id).await?
            {
                return Err(AppError::Conflict {
                    code: "automation.mfa_already_on",
                    message: "Orthrus already holds this account's authenticator".into(),
                });
            }
        }
        if kind == "swap_email" {
            // The account's recovery address changes: identity check too.
            self.check_subject(actor, subject, Action::ManageManagedIdentity)?;
        }
        if a.login_url.trim().is_empty() || a.username.trim().is_empty() {
            return Err(AppError::invalid(
                "automation.missing_login",
                "give the account a login URL and a username first",
            ));
        }
        if kind == crate::JobKind::CheckMfa.as_str() {
            self.check_mfa_startable(actor.workspace_id, a).await?;
        }
        Ok(())
    }

    /// Stores a queued job and wakes this process's workers.
    pub(crate) async fn new_job(
        &self,
        ws: orthrus_core::WorkspaceId,
        account: orthrus_core::AccountId,
        kind: &str,
        requested_by: orthrus_core::UserId,
    ) -> Result<JobRow> {
        let job = self.queued_job_row(ws, account, kind, requested_by);
        self.inner.store.insert_job(&job).await?;
        self.job_changed(job.id);
        Ok(job)
    }

    /// A job to queue now (not stored yet).
    pub(crate) fn queued_job_row(
        &self,
        ws: orthrus_core::WorkspaceId,
        account: orthrus_core::AccountId,
        kind: &str,
        requested_by: orthrus_core::UserId,
    ) -> JobRow {
        let now = self.now();
        JobRow {
            id: EventId::new(self.inner.clock.as_ref(), self.rng()),
            workspace_id: ws,
            account_id: account,
            kind: kind.to_owned(),
            state: JobState::Queued,
            requested_by,
            attempts: 0,
            max_attempts: MAX_ATTEMPTS,
            run_after: now,
            worker: None,
            lease_until: None,
            cancel_requested: false,
            error: None,
            created_at: now,
            updated_at: now,
            finished_at: None,
            question: None,
            deferrals: 0,
        }
    }

    /// A job the actor may see: the account's Owners, workspace admins,
    /// and whoever started it.
    async fn visible_job(&self, actor: &Actor, id: &str) -> Result<JobRow> {
        let jid: EventId = id.parse().map_err(|_| AppError::NotFound("job"))?;
        let job = self
            .inner
            .store
            .get_job(actor.workspace_id, jid)
            .await?
            .ok_or(AppError::NotFound("job"))?;
        if job.requested_by == actor.user_id || self.permits(actor, Action::ViewAllJobs) {
            return Ok(job);
        }
        let (_, subject) = self
            .account_for(actor, &job.account_id.to_string())
            .await
            .map_err(|_| AppError::NotFound("job"))?;
        self.check_subject(actor, subject, Action::RunAdminAutomation)
            .map_err(|_| AppError::NotFound("job"))?;
        Ok(job)
    }

    /// One job with its steps.
    pub async fn automation_job(&self, actor: &Actor, id: &str) -> Result<JobView> {
        let job = self.visible_job(actor, id).await?;
        let steps = self.inner.store.job_steps(job.id).await?;
        let mut v = view(&job, steps);
        if self
            .inner
            .store
            .job_screenshot_exists(actor.workspace_id, job.id)
            .await?
            && self.may_see_screenshot(actor, &job).await.is_ok()
        {
            v.screenshot_url = Some(format!("/api/v1/jobs/{}/screenshot", job.id));
        }
        Ok(v)
    }

    /// A CAPTCHA's picture (what a waiting job asks about) is for whoever
    /// may see the job; any other screenshot (a whole page, which may show
    /// a key, recovery codes or a typed code) only for those who run the
    /// account's automations (its Owners), like the secrets it may show.
    async fn may_see_screenshot(&self, actor: &Actor, job: &JobRow) -> Result<()> {
        let asks_captcha = job.state == JobState::Waiting
            && job
                .question
                .as_deref()
                .and_then(|q| serde_json::from_str::<Question>(q).ok())
                .is_some_and(|q| q.kind == "captcha");
        if asks_captcha {
            return Ok(());
        }
        let (_, subject) = self.account_for(actor, &job.account_id.to_string()).await?;
        self.check_subject(actor, subject, Action::RunAdminAutomation)
    }

    /// Deletes job screenshots older than 30 days; returns how many.
    /// Run through [`App::purge_old_screenshots`], one node at a time.
    pub(crate) async fn purge_expired_screenshots(&self) -> Result<u64> {
        let before = self.now().plus_seconds(-30 * 86_400);
        Ok(self.inner.store.purge_job_screenshots(before).await?)
    }

    /// The job's latest screenshot (PNG), opened.
    pub async fn automation_screenshot(&self, actor: &Actor, id: &str) -> Result<Vec<u8>> {
        let job = self.visible_job(actor, id).await?;
        self.may_see_screenshot(actor, &job).await?;
        let sealed = self
            .inner
            .store
            .job_screenshot(actor.workspace_id, job.id)
            .await?
            .ok_or(AppError::NotFound("screenshot"))?;
        let png = self.inner.envelope.open(
            &orthrus_crypto::Aad::new("automation_screenshots", &job.id.to_string(), "png"),
            &sealed,
        )?;
        Ok(png.to_vec())
    }

    /// A person answers a waiting job: the word a CAPTCHA shows, or `yes`
    /// to let it use a backup code. For a backup code the answerer needs
    /// the right to use the account's backup codes (identity check); the
    /// code is taken here, in their name, and handed to the job unseen.
    pub async fn answer_automation(
        &self,
        actor: &Actor,
        id: &str,
        answer: &str,
    ) -> Result<JobView> {
        let job = self.visible_job(actor, id).await?;
        let Some(q) = job
            .question
            .as_deref()
            .and_then(|q| serde_json::from_str::<Question>(q).ok())
            .filter(|_| job.state == JobState::Waiting)
        else {
            return Err(AppError::Conflict {
                code: "automation.not_waiting",
                message: "this job is not waiting for an answer".into(),
            });
        };
        let answer = answer.trim();
        let not_waiting = || AppError::Conflict {
            code: "automation.not_waiting",
            message: "this job was answered already or stopped waiting".into(),
        };
        let job_id = job.id.to_string();
        let seal = |secret: &SecretString| {
            self.seal("automation_jobs", &job_id, "answer", secret.expose())
        };
        if q.kind == "backup_code" {
            if !answer.eq_ignore_ascii_case("yes") {
                return Err(AppError::invalid(
                    "automation.answer",
                    "answer \"yes\" to let the job use a backup code, or cancel the job",
                ));
            }
            // Claim the question first: a code is only taken for a job that
            // will get it (not one answered by someone else meanwhile, or
            // one that stopped waiting).
            let ws = actor.workspace_id;
            if !self.inner.store.claim_job_answer(ws, job.id).await? {
                return Err(not_waiting());
            }
            let code = match self
                .use_backup_code(actor, &job.account_id.to_string())
                .await
            {
                Ok(u) => SecretString::new(u.code),
                Err(e) => {
                    self.inner.store.release_job_answer(ws, job.id).await?;
                    return Err(e);
                }
            };
            let sealed = match seal(&code) {
                Ok(s) => s,
                Err(e) => {
                    self.inner.store.release_job_answer(ws, job.id).await?;
                    return Err(e);
                }
            };
            if !self
                .inner
                .store
                .fill_job_answer(ws, job.id, &sealed, self.now())
                .await?
            {
                return Err(not_waiting());
            }
        } else {
            if answer.is_empty() || answer.chars().count() > MAX_ANSWER {
                return Err(AppError::invalid(
                    "automation.answer",
                    format!("the answer must have 1 to {MAX_ANSWER} characters"),
                ));
            }
            let sealed = seal(&SecretString::new(answer.to_owned()))?;
            if !self
                .inner
                .store
                .answer_job(actor.workspace_id, job.id, &sealed, self.now())
                .await?
            {
                return Err(not_waiting());
            }
        }
        self.job_changed(job.id);
        self.audit(
            actor,
            Event::new("automation.answer")
                .target("account", job.account_id)
                .detail(serde_json::json!({"job_id": job.id.to_string(), "kind": q.kind})),
        )
        .await?;
        self.automation_job(actor, id).await
    }

    /// For a worker: the job waits for a person. The screenshot (if any)
    /// is kept sealed; the question shows in the log, and is audited so
    /// that it reaches whoever watches the events.
    pub async fn ask_person(
        &self,
        job: &JobRow,
        worker: &str,
        question: &Question,
        screenshot: Option<&[u8]>,
    ) -> Result<()> {
        if let Some(png) = screenshot {
            self.save_job_screenshot(job, png).await?;
        }
        let text =
            serde_json::to_string(question).map_err(|e| AppError::Internal(e.to_string()))?;
        if !self
            .inner
            .store
            .ask_job(job.id, worker, &text, self.now())
            .await?
        {
            return Err(AppError::Conflict {
                code: "automation.not_ours",
                message: "the job was cancelled or taken over".into(),
            });
        }
        self.job_changed(job.id);
        let actor = self.job_actor(job, 0).await?;
        self.audit(
            &actor,
            Event::new("automation.needs_person")
                .target("account", job.account_id)
                .detail(serde_json::json!({
                    "job_id": job.id.to_string(),
                    "kind": question.kind,
                    "prompt": question.prompt,
                })),
        )
        .await?;
        Ok(())
    }

    /// For a worker that stops waiting: true when the job runs on without
    /// an answer; false when one is given or being given (take it).
    pub async fn give_up_question(&self, job: &JobRow, worker: &str) -> Result<bool> {
        let on = self
            .inner
            .store
            .give_up_question(job.id, worker, self.now())
            .await?;
        self.job_changed(job.id);
        Ok(on)
    }

    /// For a worker: the answer to its question once a person gave it (the
    /// job is `running` again).
    pub async fn take_answer(&self, job: &JobRow, worker: &str) -> Result<Option<SecretString>> {
        let Some(sealed) = self
            .inner
            .store
            .take_job_answer(job.id, worker, self.now())
            .await?
        else {
            return Ok(None);
        };
        self.job_changed(job.id);
        self.open("automation_jobs", &job.id.to_string(), "answer", &sealed)
            .map(Some)
    }

    /// For a worker: keeps a screenshot of the job (sealed).
    pub async fn save_job_screenshot(&self, job: &JobRow, png: &[u8]) -> Result<()> {
        let sealed = self.inner.envelope.seal(
            self.rng(),
            &orthrus_crypto::Aad::new("automation_screenshots", &job.id.to_string(), "png"),
            png,
        )?;
        self.inner
            .store
            .save_job_screenshot(job.workspace_id, job.id, &sealed, self.now())
            .await?;
        Ok(())
    }

    /// Cancels a job: at once when it has not started, else its worker
    /// stops at the next step.
    pub async fn cancel_automation(&self, actor: &Actor, id: &str) -> Result<JobView> {
        let job = self.visible_job(actor, id).await?;
        let after = self
            .inner
            .store
            .cancel_job(actor.workspace_id, job.id, self.now())
            .await?
            .ok_or(AppError::NotFound("job"))?;
        self.job_changed(job.id);
        self.audit(
            actor,
            Event::new("automation.cancel")
                .target("account", job.account_id)
                .detail(serde_json::json!({"job_id": job.id.to_string()})),
        )
        .await?;
        let steps = self.inner.store.job_steps(job.id).await?;
        Ok(view(&after, steps))
    }

    /// The automation log: jobs the actor may see, newest first (of one
    /// account when given).
    pub async fn automation_jobs(
        &self,
        actor: &Actor,
        account_id: Option<&str>,
    ) -> Result<Vec<JobView>> {
        // Members who may only run logins see their own jobs and the
        // logins; Owner-only jobs (MFA, password, email) stay with Owners.
        let sees_workspace = self.permits(actor, Action::ViewAllJobs);
        let mut sees_all = sees_workspace;
        let account = match account_id.filter(|s| !s.is_empty()) {
            Some(id) => {
                let (a, subject) = self.account_for(actor, id).await?;
                if !sees_all {
                    self.check_subject(actor, subject, Action::RunLoginAutomation)?;
                    sees_all = self
                        .check_subject(actor, subject, Action::RunAdminAutomation)
                        .is_ok();
                }
                Some(a.id)
            }
            None => None,
        };
        let jobs = self
            .inner
            .store
            .list_jobs(actor.workspace_id, account, 100)
            .await?;
        let mut out = Vec::new();
        for j in jobs {
            if account.is_some()
                && !sees_all
                && j.requested_by != actor.user_id
                && j.kind != "login"
            {
                continue;
            }
            if account.is_none() && !sees_workspace && j.requested_by != actor.user_id {
                let visible = match self.account_for(actor, &j.account_id.to_string()).await {
                    Ok((_, subject)) => self
                        .check_subject(actor, subject, Action::RunAdminAutomation)
                        .is_ok(),
                    Err(_) => false,
                };
                if !visible {
                    continue;
                }
            }
            out.push(view(&j, Vec::new()));
        }
        Ok(out)
    }

    /// Resolves when a job is queued or changes, on this node or (on
    /// PostgreSQL) another, or at a resync. Listens from the call, not from
    /// the first poll: take it before looking for work.
    pub fn job_queued(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut changes = self.watch_changes();
        async move {
            changes
                .until(|c| matches!(c, crate::Change::Job { .. }))
                .await
        }
    }

    // The worker's side of the job table (orthrus-automation's runner):
    // recovery, claims, leases, end states and the step log.

    /// Jobs whose worker stopped renewing its lease: queued again at
    /// `retry_at` while attempts remain, else failed. Returns how many.
    pub async fn recover_jobs(&self, retry_at: orthrus_core::Timestamp) -> Result<u64> {
        let n = self.inner.store.recover_jobs(self.now(), retry_at).await?;
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
            .inner
            .store
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
            .inner
            .store
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
            .inner
            .store
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
        let seq = self.inner.store.add_job_step(&row).await?;
        self.job_changed(job);
        Ok(seq)
    }

    /// Ends a step of the job's log.
    pub async fn finish_job_step(
        &self,
        job: EventId,
        seq: i64,
        outcome: &str,
        url: Option<&str>,
        detail: Option<&str>,
    ) -> Result<()> {
        self.inner
            .store
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
                "automation.requester_gone",
                "the person who started this job no longer exists",
            )
        })?;
        let active = self
            .inner
            .store
            .get_user(job.workspace_id, job.requested_by)
            .await?
            .is_some_and(|u| u.usable_at(self.now()));
        if !active {
            return Err(AppError::invalid(
                "automation.requester_inactive",
                "the person who started this job has been deactivated",
            ));
        }
        let (a, subject) = self
            .account_for(&actor, &job.account_id.to_string())
            .await?;
        self.check_subject(&actor, subject, action_for(&job.kind))?;
        let password = self.open("accounts", &a.id.to_string(), "password", &a.password)?;
        self.audit(
            &actor,
            Event::new("automation.credentials_use")
                .target("account", a.id)
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
            .inner
            .store
            .browser_profile(job.workspace_id, job.account_id)
            .await?
        else {
            return Ok(None);
        };
        let bytes = self.inner.envelope.open(
            &orthrus_crypto::Aad::new("browser_profiles", &job.account_id.to_string(), "profile"),
            &sealed,
        )?;
        Ok(Some(bytes.to_vec()))
    }

    /// For a worker: keeps the account's browser profile, sealed.
    pub async fn save_browser_profile(&self, job: &JobRow, archive: &[u8]) -> Result<()> {
        let sealed = self.inner.envelope.seal(
            self.rng(),
            &orthrus_crypto::Aad::new("browser_profiles", &job.account_id.to_string(), "profile"),
            archive,
        )?;
        self.inner
            .store
            .save_browser_profile(job.workspace_id, job.account_id, &sealed, self.now())
            .await?;
        Ok(())
    }
}

/// An account a local command names (`orthrus recipe try`).
#[derive(Clone, Debug)]
pub struct AccountRef {
    pub id: String,
    pub label: String,
    pub app: String,
}

/// `orthrus recipe try`: a local command on the server's machine runs one
/// job itself, acting for a member, through the same checks and records as
/// a job started in the web UI.
impl App {
    /// Who a local command's job acts for: the member with `email`, else
    /// the only Owner of the only workspace.
    pub async fn local_requester(&self, email: Option<&str>) -> Result<Actor> {
        if let Some(email) = email {
            let email = crate::normalize_email(email)?;
            let user = self
                .inner
                .store
                .find_user_by_email(&email)
                .await?
                .filter(|u| u.active)
                .ok_or_else(|| {
                    AppError::invalid(
                        "automation.requester_unknown",
                        format!("there is no active member with the email {email}"),
                    )
                })?;
            return self.local_actor(user.id, user.workspace_id).await;
        }
        let workspaces = self.inner.store.list_workspaces().await?;
        let [ws] = workspaces.as_slice() else {
            return Err(AppError::invalid(
                "automation.requester_needed",
                "there is more than one workspace (or none): name the member the job acts for with --as EMAIL",
            ));
        };
        let owners: Vec<_> = self
            .inner
            .store
            .list_users(ws.id)
            .await?
            .into_iter()
            .filter(|u| u.active && u.role == orthrus_core::WorkspaceRole::Owner)
            .collect();
        match owners.as_slice() {
            [owner] => self.local_actor(owner.id, ws.id).await,
            _ => Err(AppError::invalid(
                "automation.requester_needed",
                format!(
                    "the workspace has {} active Owners: name the member the job acts for with --as EMAIL",
                    owners.len()
                ),
            )),
        }
    }

    /// The accounts of `actor`'s workspace whose id is `label_or_id`, or
    /// whose label is it (ignoring case and surrounding spaces).
    pub async fn accounts_named(
        &self,
        actor: &Actor,
        label_or_id: &str,
    ) -> Result<Vec<AccountRef>> {
        let wanted = label_or_id.trim();
        let every = self.inner.store.list_accounts(actor.workspace_id).await?;
        let by_id: Vec<_> = every
            .iter()
            .filter(|a| a.id.to_string() == wanted)
            .collect();
        let found = if by_id.is_empty() {
            every
                .iter()
                .filter(|a| a.label.trim().to_lowercase() == wanted.to_lowercase())
                .collect()
        } else {
            by_id
        };
        Ok(found
            .into_iter()
            .map(|a| AccountRef {
                id: a.id.to_string(),
                label: a.label.clone(),
                app: a.app.clone(),
            })
            .collect())
    }

    /// Starts a job running flow `kind` of a recipe file (`file`, for the
    /// record) on account `id`, already held by `worker` until
    /// `lease_until`, so that no other runner takes it: the command runs it
    /// at once, with its own recipe. The policy decides as for a job
    /// started in the web UI (a flow other than `login` is an Owner's
    /// automation). It has one attempt: it is never queued again for
    /// runners that run other recipes. Audited `automation.start`; its
    /// first step says where it came from.
    pub async fn start_tried_automation(
        &self,
        actor: &Actor,
        id: &str,
        kind: &str,
        file: &str,
        worker: &str,
        lease_until: orthrus_core::Timestamp,
    ) -> Result<JobRow> {
        let (a, subject) = self.account_for(actor, id).await?;
        self.check_subject(actor, subject, action_for(kind))?;
        self.check_start(actor, &a, subject, kind).await?;
        let busy = self
            .inner
            .store
            .list_jobs(actor.workspace_id, Some(a.id), 20)
            .await?
            .into_iter()
            .any(|j| j.state.is_held());
        if busy {
            return Err(AppError::Conflict {
                code: "automation.busy",
                message: "the account has a job running now: try again when it ends".into(),
            });
        }
        let now = self.now();
        let job = JobRow {
            id: EventId::new(self.inner.clock.as_ref(), self.rng()),
            workspace_id: actor.workspace_id,
            account_id: a.id,
            kind: kind.to_owned(),
            state: JobState::Running,
            requested_by: actor.user_id,
            attempts: 1,
            max_attempts: 1,
            run_after: now,
            worker: Some(worker.to_owned()),
            lease_until: Some(lease_until),
            cancel_requested: false,
            error: None,
            created_at: now,
            updated_at: now,
            finished_at: None,
            question: None,
            deferrals: 0,
        };
        self.inner.store.insert_job(&job).await?;
        self.job_changed(job.id);
        self.audit(
            actor,
            Event::new("automation.start")
                .target("account", a.id)
                .detail(serde_json::json!({
                    "job_id": job.id.to_string(),
                    "kind": kind,
                    "recipe_try": file,
                })),
        )
        .await?;
        let seq = self
            .log_job_step(
                job.id,
                1,
                &format!("tried from the command line: orthrus recipe try {file}"),
            )
            .await?;
        self.finish_job_step(job.id, seq, "ok", None, None).await?;
        Ok(job)
    }
}
