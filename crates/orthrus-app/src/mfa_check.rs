//! "Keep MFA on" (issue 13): a sign-in per account, from a fresh browser
//! profile, that confirms the app still asks for the authenticator code,
//! and flags the accounts where someone turned MFA off behind Orthrus's
//! back. The runner (`orthrus-automation`) runs the app's `login` flow as a
//! `check_mfa` job and reports here what it saw ([`CheckRun`]); this module
//! decides which accounts are due, whose rights a scheduled check runs
//! with, and records and audits each result.
//!
//! Who a scheduled check acts as: jobs run with their requester's rights,
//! checked again when they run. A scheduled check is requested by the
//! person who enrolled the account's authenticator while the policy still
//! lets them check it (an Owner of the account, a workspace Owner, a Super
//! Admin); else by the workspace's longest-standing Owner. Nobody's rights
//! grow: each is someone who may start the check by hand.

use crate::AuditAction;
use crate::audit::Event;
use crate::job_kind::JobKind;
use crate::{Action, Actor, App, AppError, Result};
use crate::{ConflictCode, InvalidCode};
use orthrus_core::AuditTarget;
use orthrus_core::{AccountId, Subject, UserId, WorkspaceId, policy};
use orthrus_store::{AccountRow, DueMfaCheck, JobRow, MfaCheckRow, OtpSlot};
use serde::{Deserialize, Serialize};

pub use orthrus_store::MfaCheckState;

const DAY_SECS: i64 = 86_400;
/// Due accounts looked at per pass: more than are queued, so that an
/// account nobody can check (no Owner left) does not hold up the others.
const CANDIDATES: i64 = 50;

/// An account's last MFA check, as the API shows it.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MfaCheckView {
    /// `on`: the app asked for the code. `off`: it signed in without
    /// asking (flagged). `could_not_check`: the run failed before it could
    /// tell (`reason` says why).
    #[schema(value_type = String)]
    pub state: MfaCheckState,
    pub checked_at: String,
    /// The job that checked (`GET /api/v1/jobs/{id}`).
    pub job_id: String,
    pub reason: Option<String>,
}

impl MfaCheckView {
    fn of(r: &MfaCheckRow) -> Self {
        Self {
            state: r.state,
            checked_at: r.checked_at.to_rfc3339(),
            job_id: r.job_id.to_string(),
            reason: r.reason.clone(),
        }
    }

    pub fn is_on(&self) -> bool {
        self.state == MfaCheckState::On
    }

    pub fn is_off(&self) -> bool {
        self.state == MfaCheckState::Off
    }

    /// The day it checked (`2026-12-04`).
    pub fn day(&self) -> &str {
        self.checked_at.get(..10).unwrap_or(&self.checked_at)
    }
}

/// What a check's run saw, as the runner tells it.
#[derive(Clone, Copy, Debug, Default)]
pub struct CheckRun<'a> {
    /// The flow finished: the run signed in.
    pub signed_in: bool,
    /// The app asked for `{totp}` or `{backup_code}` on the way.
    pub asked_for_code: bool,
    /// Why the run failed, when it did.
    pub error: Option<&'a str>,
}

/// What a run says about the account's MFA: asked for a code, on (even if
/// the sign-in failed after it: the reason says so); signed in without
/// being asked, off; anything else, could not check.
pub fn verdict(run: &CheckRun<'_>) -> (MfaCheckState, Option<String>) {
    let why = || run.error.unwrap_or("the sign-in did not finish").to_owned();
    match (run.asked_for_code, run.signed_in) {
        (true, true) => (MfaCheckState::On, None),
        (true, false) => (
            MfaCheckState::On,
            Some(format!("the app asked for the code; then: {}", why())),
        ),
        (false, true) => (MfaCheckState::Off, None),
        (false, false) => (MfaCheckState::CouldNotCheck, Some(why())),
    }
}

impl App {
    /// The account's last check (None: never checked).
    pub(crate) async fn mfa_check_view(
        &self,
        ws: WorkspaceId,
        a: AccountId,
    ) -> Result<Option<MfaCheckView>> {
        Ok(self
            .store()
            .mfa_check(ws, a)
            .await?
            .as_ref()
            .map(MfaCheckView::of))
    }

    /// The accounts of the workspace whose last check found MFA off (for
    /// flags on lists; the caller shows only accounts the actor sees).
    pub async fn accounts_with_mfa_off(
        &self,
        actor: &Actor,
    ) -> Result<std::collections::HashSet<String>> {
        Ok(self
            .store()
            .workspace_mfa_checks(actor.workspace_id)
            .await?
            .into_iter()
            .filter(|c| c.state == MfaCheckState::Off)
            .map(|c| c.account_id.to_string())
            .collect())
    }

    /// Whether the actor may check the account now (the page's button):
    /// the policy allows it and Orthrus holds a confirmed TOTP key.
    pub async fn can_check_mfa(&self, actor: &Actor, id: AccountId) -> Result<bool> {
        let (a, subject) = self.account_for(actor, id).await?;
        if !Self::may(subject, Action::CheckMfa) {
            return Ok(false);
        }
        self.holds_confirmed_totp(actor.workspace_id, &a).await
    }

    async fn holds_confirmed_totp(&self, ws: WorkspaceId, a: &AccountRow) -> Result<bool> {
        Ok(self
            .store()
            .get_otp(ws, a.id, OtpSlot::Active)
            .await?
            .is_some_and(|o| o.kind == orthrus_core::OtpKind::Totp && o.confirmed_at.is_some()))
    }

    /// What starting a check on `a` needs beyond the policy: the key to
    /// answer the app's code, and no other check still to come.
    pub(crate) async fn check_mfa_startable(&self, ws: WorkspaceId, a: &AccountRow) -> Result<()> {
        if !self.holds_confirmed_totp(ws, a).await? {
            return Err(AppError::invalid(
                InvalidCode::AutomationNoAuthenticator,
                "checking that MFA is on needs the account's authenticator key in Orthrus (a confirmed TOTP key): add it on the account page first",
            ));
        }
        if self.mfa_check_pending(ws, a.id).await? {
            return Err(AppError::Conflict {
                code: ConflictCode::AutomationMfaCheckPending,
                message: "a check of this account is already queued or running".into(),
            });
        }
        Ok(())
    }

    async fn mfa_check_pending(&self, ws: WorkspaceId, a: AccountId) -> Result<bool> {
        self.job_pending(ws, a, JobKind::CheckMfa).await
    }

    /// The account's last check found MFA off (Turning MFA on again is
    /// then allowed although Orthrus holds a key).
    pub(crate) async fn mfa_flagged_off(&self, ws: WorkspaceId, a: AccountId) -> Result<bool> {
        Ok(self
            .store()
            .mfa_check(ws, a)
            .await?
            .is_some_and(|c| c.state == MfaCheckState::Off))
    }

    /// For a worker: a `check_mfa` job ended; records what its run saw
    /// (audited `account.mfa_check`, and `account.mfa_off_detected` when
    /// the app signed in without asking for a code). Returns the result.
    pub async fn finish_mfa_check(&self, job: &JobRow, run: CheckRun<'_>) -> Result<MfaCheckState> {
        let (state, reason) = verdict(&run);
        self.record_mfa_check(job, state, reason.as_deref()).await?;
        Ok(state)
    }

    /// For a worker: an `enable_mfa` job succeeded, so the app now asks for
    /// the key Orthrus holds; a flag from an earlier check is lifted.
    pub async fn mfa_turned_on(&self, job: &JobRow) -> Result<()> {
        self.record_mfa_check(job, MfaCheckState::On, None).await
    }

    async fn record_mfa_check(
        &self,
        job: &JobRow,
        state: MfaCheckState,
        reason: Option<&str>,
    ) -> Result<()> {
        self.store()
            .save_mfa_check(&MfaCheckRow {
                account_id: job.account_id,
                workspace_id: job.workspace_id,
                state,
                checked_at: self.now(),
                job_id: job.id,
                reason: reason.map(str::to_owned),
            })
            .await?;
        let actor = self.job_actor(job, 0).await?;
        self.audit(
            &actor,
            Event::new(AuditAction::AccountMfaCheck)
                .target(AuditTarget::Account, job.account_id)
                .detail(serde_json::json!({
                    "job_id": job.id.to_string(),
                    "kind": job.kind,
                    "result": state.as_str(),
                    "reason": reason,
                })),
        )
        .await?;
        if state == MfaCheckState::Off {
            tracing::warn!(account = %job.account_id, job = %job.id, "MFA seems off: the app signed in without asking for a code");
            self.audit(
                &actor,
                Event::new(AuditAction::AccountMfaOffDetected)
                    .target(AuditTarget::Account, job.account_id)
                    .detail(serde_json::json!({"job_id": job.id.to_string()})),
            )
            .await?;
        }
        Ok(())
    }

    /// Queues the MFA checks that are due: accounts whose last check (or
    /// check job) is older than `interval_days` (a positive number: the
    /// caller, [`App::run_due_mfa_checks`], skips the run otherwise), while
    /// fewer than `max_in_flight` checks are queued or running, so that many
    /// accounts are checked a few at a time. Called every few minutes by
    /// each `serve`; one node queues each check (a second pending check of
    /// an account is refused by storage). Returns how many were queued.
    pub(crate) async fn queue_due_mfa_checks(
        &self,
        interval_days: i64,
        max_in_flight: i64,
    ) -> Result<usize> {
        let room = max_in_flight - self.store().mfa_checks_in_flight().await?;
        if room <= 0 {
            return Ok(0);
        }
        let before = self
            .now()
            .plus_seconds(-interval_days.saturating_mul(DAY_SECS));
        let mut queued = 0;
        for d in self.store().due_mfa_checks(before, CANDIDATES).await? {
            if i64::try_from(queued).unwrap_or(i64::MAX) >= room {
                break;
            }
            // One account's trouble does not stop the others.
            match self.queue_scheduled_mfa_check(&d).await {
                Ok(true) => queued += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(account = %d.account_id, error = %e, "could not queue an MFA check");
                }
            }
        }
        Ok(queued)
    }

    async fn queue_scheduled_mfa_check(&self, d: &DueMfaCheck) -> Result<bool> {
        let Some(requester) = self.mfa_check_requester(d).await? else {
            tracing::warn!(account = %d.account_id, "no active Owner can run this account's MFA check");
            return Ok(false);
        };
        let kind = JobKind::CheckMfa.as_str();
        let job = match self
            .new_job(d.workspace_id, d.account_id, kind, requester)
            .await
        {
            Ok(j) => j,
            // Another node, or a person, queued one first.
            Err(AppError::Conflict { .. }) => return Ok(false),
            Err(e) => return Err(e),
        };
        let actor = self.local_actor(requester, d.workspace_id).await?;
        self.audit(
            &actor,
            Event::new(AuditAction::AutomationStart)
                .target(AuditTarget::Account, d.account_id)
                .detail(serde_json::json!({
                    "job_id": job.id.to_string(),
                    "kind": kind,
                    "reason": "mfa_check_schedule",
                    "requested_by": requester.to_string(),
                })),
        )
        .await?;
        Ok(true)
    }

    /// Whose rights a scheduled check runs with (see the module's notes).
    async fn mfa_check_requester(&self, d: &DueMfaCheck) -> Result<Option<UserId>> {
        let ws = d.workspace_id;
        let store = self.store();
        if let Some(u) = store.get_user(ws, d.enrolled_by).await?
            && u.active
        {
            let subject = Subject {
                workspace_role: u.role,
                account_role: store
                    .member_role(ws, d.account_id, u.id, self.now())
                    .await?,
            };
            if policy::decide(subject, Action::CheckMfa).is_allowed() {
                return Ok(Some(u.id));
            }
        }
        // Someone the policy lets check every account without step-up: a
        // workspace Owner; the longest-standing one.
        let reach_all = |u: &orthrus_store::UserRow| {
            let subject = Subject {
                workspace_role: u.role,
                account_role: None,
            };
            policy::decide(subject, Action::CheckMfa) == orthrus_core::Decision::Allow
        };
        Ok(store
            .list_users(ws)
            .await?
            .into_iter()
            .filter(|u| u.active && reach_all(u))
            .min_by_key(|u| (u.created_at, u.id.to_string()))
            .map(|u| u.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_asked_for_means_on_signing_in_without_one_means_off() {
        let run = |signed_in, asked_for_code, error| {
            verdict(&CheckRun {
                signed_in,
                asked_for_code,
                error,
            })
        };
        assert_eq!(run(true, true, None), (MfaCheckState::On, None));
        assert_eq!(run(true, false, None), (MfaCheckState::Off, None));
        let (s, why) = run(false, false, Some("log in: the app refused the sign-in"));
        assert_eq!(s, MfaCheckState::CouldNotCheck);
        assert_eq!(why.as_deref(), Some("log in: the app refused the sign-in"));
        let (s, why) = run(false, true, Some("the app refused the code"));
        assert_eq!(s, MfaCheckState::On);
        assert!(why.unwrap().contains("refused the code"));
    }
}
