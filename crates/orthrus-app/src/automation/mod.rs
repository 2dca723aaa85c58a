//! Automation jobs: people start them (authorized here), workers run them
//! (`orthrus-automation`'s runner, which gets the job's inputs through the
//! functions of `worker`), and the automation log shows them.
//!
//! Here: the views, starting a job, reading and cancelling jobs, and the
//! automation log. `person` is a job asking a person (answers, screenshots),
//! `worker` the runner's side of the job table, `tried` the jobs of
//! `orthrus recipe try`.

mod person;
mod tried;
mod worker;

pub use tried::AccountRef;

use crate::audit::Event;
use crate::{Action, Actor, App, AppError, Result};
use crate::{ConflictCode, InvalidCode};
use orthrus_core::AuditTarget;
use orthrus_core::{EventId, JobKind, JobState, SecretString, StepOutcome};
use orthrus_store::{JobRow, JobStepRow};
use serde::{Deserialize, Serialize};

/// The kinds a worker can run today (a kind not listed is refused with
/// `automation.not_available`).
pub const AVAILABLE_KINDS: &[JobKind] = &JobKind::ALL;
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
    #[schema(value_type = String)]
    pub kind: orthrus_core::QuestionKind,
    pub prompt: String,
}

/// How long a run acts on the identity check taken when its job started.
pub const JOB_ELEVATION_SECS: i64 = 30 * 60;

/// One step of a job.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StepView {
    pub seq: i64,
    pub attempt: i64,
    pub name: String,
    pub started_at: String,
    pub ended_at: Option<String>,
    /// `ok`, `failed`, `waiting`; null while running.
    #[schema(value_type = Option<String>)]
    pub outcome: Option<StepOutcome>,
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
fn check_confirmation(kind: JobKind, opts: crate::StartOptions) -> Result<()> {
    match (kind == JobKind::EnableMfa, opts.confirmed_mfa_off) {
        (_, None) | (true, Some(true)) => Ok(()),
        (false, Some(_)) => Err(AppError::invalid(
            InvalidCode::AutomationUnexpectedConfirmation,
            "confirmed_mfa_off applies to the enable_mfa automation only",
        )),
        (true, Some(false)) => Err(AppError::invalid(
            InvalidCode::AutomationMfaOffUnconfirmed,
            "tick \"I've verified that MFA is off for this account\" first: check in the app that MFA is off. Turning it on when it is already on, with a key Orthrus does not hold, can lock the team out",
        )),
    }
}

/// What the policy must allow to run a job of `kind`; a recipe's flow that
/// is no kind (`orthrus recipe try`) is an Owner's automation.
fn action_for(kind: Option<JobKind>) -> Action {
    match kind {
        Some(JobKind::Login) => Action::RunLoginAutomation,
        Some(JobKind::CheckMfa) => Action::CheckMfa,
        _ => Action::RunAdminAutomation,
    }
}

/// `kind` read as a job kind, or the error that names the kinds.
fn parse_kind(kind: &str) -> Result<JobKind> {
    JobKind::parse(kind).ok_or_else(|| {
        AppError::invalid(
            InvalidCode::AutomationUnknownKind,
            format!("kind must be one of {}", spellings(&JobKind::ALL)),
        )
    })
}

/// The kinds' spellings, comma-separated.
fn spellings(kinds: &[JobKind]) -> String {
    let words: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    words.join(", ")
}

impl App {
    /// Queues an automation on an account: `login` for anyone who may use
    /// the account through automation, the others for its Owners.
    pub async fn start_automation(
        &self,
        actor: &Actor,
        id: orthrus_core::AccountId,
        kind: &str,
    ) -> Result<JobView> {
        self.start_automation_with(actor, id, kind, crate::StartOptions::default())
            .await
    }

    /// [`App::start_automation`] with what the person confirmed.
    pub async fn start_automation_with(
        &self,
        actor: &Actor,
        id: orthrus_core::AccountId,
        kind: &str,
        opts: crate::StartOptions,
    ) -> Result<JobView> {
        let kind = parse_kind(kind)?;
        let (a, subject) = self.account_for(actor, id).await?;
        self.check_subject(actor, subject, action_for(Some(kind)))?;
        if !AVAILABLE_KINDS.contains(&kind) {
            return Err(AppError::invalid(
                InvalidCode::AutomationNotAvailable,
                format!(
                    "the {kind} automation is not available yet; available: {}",
                    spellings(AVAILABLE_KINDS)
                ),
            ));
        }
        check_confirmation(kind, opts)?;
        self.check_start(actor, &a, subject, Some(kind)).await?;
        let job = self
            .new_job(actor.workspace_id, a.id, kind.as_str(), actor.user_id)
            .await?;
        let mut detail = serde_json::json!({"job_id": job.id.to_string(), "kind": kind});
        if let Some(c) = opts.confirmed_mfa_off {
            detail["confirmed_mfa_off"] = c.into();
        }
        self.audit(
            actor,
            Event::new(crate::AuditAction::AutomationStart)
                .target(AuditTarget::Account, a.id)
                .detail(detail),
        )
        .await?;
        Ok(view(&job, Vec::new()))
    }

    /// What starting a `kind` job on account `a` needs beyond the policy's
    /// first answer (shared by the web's start and `orthrus recipe try`,
    /// whose flow may be no kind).
    async fn check_start(
        &self,
        actor: &Actor,
        a: &orthrus_store::AccountRow,
        subject: orthrus_core::Subject,
        kind: Option<JobKind>,
    ) -> Result<()> {
        if kind == Some(JobKind::EnableMfa) {
            // Enrolling MFA changes a security setting: the person confirms
            // their identity when starting it, as they would by hand.
            self.check_subject(actor, subject, Action::ManageMfa)?;
            if self.store()
                .get_otp(actor.workspace_id, a.id, orthrus_store::OtpSlot::Active)
                .await?
                .is_some()
                // A check found the app signing in without a code: it may
                // be turned on again (with a new key).
                && !self.mfa_flagged_off(actor.workspace_id, a.id).await?
            {
                return Err(AppError::Conflict {
                    code: ConflictCode::AutomationMfaAlreadyOn,
                    message: "Orthrus already holds this account's authenticator".into(),
                });
            }
        }
        if kind == Some(JobKind::SwapEmail) {
            // The account's recovery address changes: identity check too.
            self.check_subject(actor, subject, Action::ManageManagedIdentity)?;
        }
        if a.login_url.trim().is_empty() || a.username.trim().is_empty() {
            return Err(AppError::invalid(
                InvalidCode::AutomationMissingLogin,
                "give the account a login URL and a username first",
            ));
        }
        if kind == Some(JobKind::CheckMfa) {
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
        self.store().insert_job(&job).await?;
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
        let id = EventId::new(self.inner.clock.as_ref(), self.rng());
        JobRow::queued(
            id,
            ws,
            account,
            kind,
            requested_by,
            MAX_ATTEMPTS,
            self.now(),
        )
    }

    /// A job the actor may see: the account's Owners, workspace admins,
    /// and whoever started it.
    async fn visible_job(&self, actor: &Actor, jid: EventId) -> Result<JobRow> {
        let job = self
            .store()
            .get_job(actor.workspace_id, jid)
            .await?
            .ok_or(AppError::NotFound(crate::Entity::Job))?;
        if job.requested_by == actor.user_id || self.permits(actor, Action::ViewAllJobs) {
            return Ok(job);
        }
        let (_, subject) = self
            .account_for(actor, job.account_id)
            .await
            .map_err(|_| AppError::NotFound(crate::Entity::Job))?;
        self.check_subject(actor, subject, Action::RunAdminAutomation)
            .map_err(|_| AppError::NotFound(crate::Entity::Job))?;
        Ok(job)
    }

    /// One job with its steps.
    pub async fn automation_job(&self, actor: &Actor, id: EventId) -> Result<JobView> {
        let job = self.visible_job(actor, id).await?;
        let steps = self.store().job_steps(job.id).await?;
        let mut v = view(&job, steps);
        if self
            .store()
            .job_screenshot_exists(actor.workspace_id, job.id)
            .await?
            && self.may_see_screenshot(actor, &job).await.is_ok()
        {
            v.screenshot_url = Some(format!("/api/v1/jobs/{}/screenshot", job.id));
        }
        Ok(v)
    }

    /// Cancels a job: at once when it has not started, else its worker
    /// stops at the next step.
    pub async fn cancel_automation(&self, actor: &Actor, id: EventId) -> Result<JobView> {
        let job = self.visible_job(actor, id).await?;
        let after = self
            .store()
            .cancel_job(actor.workspace_id, job.id, self.now())
            .await?
            .ok_or(AppError::NotFound(crate::Entity::Job))?;
        self.job_changed(job.id);
        self.audit(
            actor,
            Event::new(crate::AuditAction::AutomationCancel)
                .target(AuditTarget::Account, job.account_id)
                .detail(serde_json::json!({"job_id": job.id.to_string()})),
        )
        .await?;
        let steps = self.store().job_steps(job.id).await?;
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
                let (a, subject) = self.account_for_text(actor, id).await?;
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
            .store()
            .list_jobs(actor.workspace_id, account, 100)
            .await?;
        let mut out = Vec::new();
        for j in jobs {
            if account.is_some()
                && !sees_all
                && j.requested_by != actor.user_id
                && j.kind != JobKind::Login.as_str()
            {
                continue;
            }
            if account.is_none() && !sees_workspace && j.requested_by != actor.user_id {
                let visible = match self.account_for(actor, j.account_id).await {
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
                .await;
        }
    }
}
