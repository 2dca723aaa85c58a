//! `orthrus recipe try`: a local command on the server's machine runs one
//! job itself, acting for a member, through the same checks and records as
//! a job started in the web UI.

use super::action_for;
use crate::audit::Event;
use crate::{Actor, App, AppError, Result};
use crate::{ConflictCode, InvalidCode};
use orthrus_core::AuditTarget;
use orthrus_core::{JobKind, JobState};
use orthrus_store::JobRow;

/// An account a local command names (`orthrus recipe try`).
#[derive(Clone, Debug)]
pub struct AccountRef {
    pub id: orthrus_core::AccountId,
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
                .store()
                .find_user_by_email(&email)
                .await?
                .filter(|u| u.active)
                .ok_or_else(|| {
                    AppError::invalid(
                        InvalidCode::AutomationRequesterUnknown,
                        format!("there is no active member with the email {email}"),
                    )
                })?;
            return self.local_actor(user.id, user.workspace_id).await;
        }
        let workspaces = self.store().list_workspaces().await?;
        let [ws] = workspaces.as_slice() else {
            return Err(AppError::invalid(
                InvalidCode::AutomationRequesterNeeded,
                "there is more than one workspace (or none): name the member the job acts for with --as EMAIL",
            ));
        };
        let owners: Vec<_> = self
            .store()
            .list_users(ws.id)
            .await?
            .into_iter()
            .filter(|u| u.active && u.role == orthrus_core::WorkspaceRole::Owner)
            .collect();
        match owners.as_slice() {
            [owner] => self.local_actor(owner.id, ws.id).await,
            _ => Err(AppError::invalid(
                InvalidCode::AutomationRequesterNeeded,
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
        let every = self.store().list_accounts(actor.workspace_id).await?;
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
                id: a.id,
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
        id: orthrus_core::AccountId,
        kind: &str,
        file: &str,
        worker: &str,
        lease_until: orthrus_core::Timestamp,
    ) -> Result<JobRow> {
        let (a, subject) = self.account_for(actor, id).await?;
        let known = JobKind::parse(kind);
        self.check_subject(actor, subject, action_for(known))?;
        self.check_start(actor, &a, subject, known).await?;
        let busy = self
            .store()
            .list_jobs(actor.workspace_id, Some(a.id), 20)
            .await?
            .into_iter()
            .any(|j| j.state.is_held());
        if busy {
            return Err(AppError::Conflict {
                code: ConflictCode::AutomationBusy,
                message: "the account has a job running now: try again when it ends".into(),
            });
        }
        // Held by the command's runner from the start, with one attempt.
        let job = JobRow {
            state: JobState::Running,
            attempts: 1,
            max_attempts: 1,
            worker: Some(worker.to_owned()),
            lease_until: Some(lease_until),
            ..self.queued_job_row(actor.workspace_id, a.id, kind, actor.user_id)
        };
        self.store().insert_job(&job).await?;
        self.job_changed(job.id);
        self.audit(
            actor,
            Event::new(crate::AuditAction::AutomationStart)
                .target(AuditTarget::Account, a.id)
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
        self.finish_job_step(job.id, seq, orthrus_core::StepOutcome::Ok, None, None)
            .await?;
        Ok(job)
    }
}
