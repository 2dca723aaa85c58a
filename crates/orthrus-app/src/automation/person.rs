//! A job that asks a person: who may see its screenshots, answering its
//! question (a CAPTCHA's word, or consent to use a backup code), and the
//! worker's side of asking and waiting.

use super::{JobView, Question};
use crate::audit::Event;
use crate::{Action, Actor, App, AppError, Result};
use crate::{ConflictCode, InvalidCode};
use orthrus_core::AuditTarget;
use orthrus_core::{JobState, SecretString};
use orthrus_store::JobRow;

/// Longest answer a person may give.
const MAX_ANSWER: usize = 200;

impl App {
    /// A CAPTCHA's picture (what a waiting job asks about) is for whoever
    /// may see the job; any other screenshot (a whole page, which may show
    /// a key, recovery codes or a typed code) only for those who run the
    /// account's automations (its Owners), like the secrets it may show.
    pub(super) async fn may_see_screenshot(&self, actor: &Actor, job: &JobRow) -> Result<()> {
        let asks_captcha = job.state == JobState::Waiting
            && job
                .question
                .as_deref()
                .and_then(|q| serde_json::from_str::<Question>(q).ok())
                .is_some_and(|q| q.kind == orthrus_core::QuestionKind::Captcha);
        if asks_captcha {
            return Ok(());
        }
        let (_, subject) = self.account_for(actor, job.account_id).await?;
        self.check_subject(actor, subject, Action::RunAdminAutomation)
    }

    /// Deletes job screenshots older than 30 days; returns how many.
    /// Run through [`App::purge_old_screenshots`], one node at a time.
    pub(crate) async fn purge_expired_screenshots(&self) -> Result<u64> {
        let before = self.now().plus_seconds(-30 * 86_400);
        Ok(self.store().purge_job_screenshots(before).await?)
    }

    /// The job's latest screenshot (PNG), opened.
    pub async fn automation_screenshot(
        &self,
        actor: &Actor,
        id: orthrus_core::EventId,
    ) -> Result<Vec<u8>> {
        let job = self.visible_job(actor, id).await?;
        self.may_see_screenshot(actor, &job).await?;
        let sealed = self
            .store()
            .job_screenshot(actor.workspace_id, job.id)
            .await?
            .ok_or(AppError::NotFound(crate::Entity::Screenshot))?;
        let png = self.open_bytes(
            "automation_screenshots",
            &job.id.to_string(),
            "png",
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
        id: orthrus_core::EventId,
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
                code: ConflictCode::AutomationNotWaiting,
                message: "this job is not waiting for an answer".into(),
            });
        };
        let answer = answer.trim();
        let not_waiting = || AppError::Conflict {
            code: ConflictCode::AutomationNotWaiting,
            message: "this job was answered already or stopped waiting".into(),
        };
        let job_id = job.id.to_string();
        let seal = |secret: &SecretString| {
            self.seal("automation_jobs", &job_id, "answer", secret.expose())
        };
        if q.kind == orthrus_core::QuestionKind::BackupCode {
            if !answer.eq_ignore_ascii_case("yes") {
                return Err(AppError::invalid(
                    InvalidCode::AutomationAnswer,
                    "answer \"yes\" to let the job use a backup code, or cancel the job",
                ));
            }
            // Claim the question first: a code is only taken for a job that
            // will get it (not one answered by someone else meanwhile, or
            // one that stopped waiting).
            let ws = actor.workspace_id;
            if !self.store().claim_job_answer(ws, job.id).await? {
                return Err(not_waiting());
            }
            let code = match self.use_backup_code(actor, job.account_id).await {
                Ok(u) => SecretString::new(u.code),
                Err(e) => {
                    self.store().release_job_answer(ws, job.id).await?;
                    return Err(e);
                }
            };
            let sealed = match seal(&code) {
                Ok(s) => s,
                Err(e) => {
                    self.store().release_job_answer(ws, job.id).await?;
                    return Err(e);
                }
            };
            if !self
                .store()
                .fill_job_answer(ws, job.id, &sealed, self.now())
                .await?
            {
                return Err(not_waiting());
            }
        } else {
            if answer.is_empty() || answer.chars().count() > MAX_ANSWER {
                return Err(AppError::invalid(
                    InvalidCode::AutomationAnswer,
                    format!("the answer must have 1 to {MAX_ANSWER} characters"),
                ));
            }
            let sealed = seal(&SecretString::new(answer.to_owned()))?;
            if !self
                .store()
                .answer_job(actor.workspace_id, job.id, &sealed, self.now())
                .await?
            {
                return Err(not_waiting());
            }
        }
        self.job_changed(job.id);
        self.audit(
            actor,
            Event::new(crate::AuditAction::AutomationAnswer)
                .target(AuditTarget::Account, job.account_id)
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
            .store()
            .ask_job(job.id, worker, &text, self.now())
            .await?
        {
            return Err(AppError::Conflict {
                code: ConflictCode::AutomationNotOurs,
                message: "the job was cancelled or taken over".into(),
            });
        }
        self.job_changed(job.id);
        let actor = self.job_actor(job, 0).await?;
        self.audit(
            &actor,
            Event::new(crate::AuditAction::AutomationNeedsPerson)
                .target(AuditTarget::Account, job.account_id)
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
            .store()
            .give_up_question(job.id, worker, self.now())
            .await?;
        self.job_changed(job.id);
        Ok(on)
    }

    /// For a worker: the answer to its question once a person gave it (the
    /// job is `running` again).
    pub async fn take_answer(&self, job: &JobRow, worker: &str) -> Result<Option<SecretString>> {
        let Some(sealed) = self
            .store()
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
        let sealed = self.seal_bytes("automation_screenshots", &job.id.to_string(), "png", png)?;
        self.store()
            .save_job_screenshot(job.workspace_id, job.id, &sealed, self.now())
            .await?;
        Ok(())
    }
}
