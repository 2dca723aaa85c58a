//! Password rotation without anyone clicking: every N days inside an hour
//! window (UTC), at most once a day, and whenever a member leaves the
//! account or is deactivated. Both queue a `rotate_password` job that runs
//! with the rights of the Owner who set the schedule; the runner checks
//! those rights again when it runs the job.

use crate::AuditAction;
use crate::InvalidCode;
use crate::audit::Event;
use crate::{Action, Actor, App, AppError, PasswordPolicy, Result};
use orthrus_core::AuditTarget;
use orthrus_core::{AccountId, Timestamp, UserId, WorkspaceId, WorkspaceRole};
use orthrus_store::{JobRow, RotationRow};
use serde::{Deserialize, Serialize};

const DAY_SECS: i64 = 86_400;

/// An account's rotation settings, as the API shows them.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct RotationSchedule {
    /// Rotate every this many days (1 to 365); null: not on a schedule.
    pub every_days: Option<i64>,
    /// The window, in whole hours UTC: from `window_start_hour` (0 to 23)
    /// up to `window_end_hour` (1 to 24, exclusive). A start after the end
    /// wraps past midnight.
    pub window_start_hour: i64,
    pub window_end_hour: i64,
    /// Rotate when a member leaves the account or is deactivated.
    pub on_member_leave: bool,
    /// The Owner whose rights the rotation jobs use.
    pub set_by: Option<String>,
    /// When the next scheduled rotation is due (it waits for the window).
    pub next_at: Option<String>,
    /// The passwords rotations make (the app's rules: length, kinds of
    /// characters).
    pub password_policy: PasswordPolicy,
    /// Rotate this many hours after a Collaborator logged in through the
    /// browser extension (null: do not).
    pub after_autofill_hours: Option<i64>,
    /// A rotation made a new password that is not confirmed yet: its run
    /// stopped first (the app may already hold it). The next rotation
    /// types it again, or finds the app holds it and makes it current.
    pub password_pending: bool,
}

/// New rotation settings.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotationInput {
    pub every_days: Option<i64>,
    #[serde(default)]
    pub window_start_hour: Option<i64>,
    #[serde(default)]
    pub window_end_hour: Option<i64>,
    #[serde(default)]
    pub on_member_leave: bool,
    /// Absent: the policy stays as it is (at first the default: 20
    /// characters of every kind).
    #[serde(default)]
    pub password_policy: Option<PasswordPolicy>,
    /// Rotate this many hours (1 to 720) after a Collaborator logged in
    /// through the browser extension; absent or null: do not.
    #[serde(default)]
    pub after_autofill_hours: Option<i64>,
}

/// The row's password policy (None: the default); an error when the stored
/// one no longer parses.
fn stored_policy(r: Option<&RotationRow>) -> Result<PasswordPolicy> {
    match r.and_then(|r| r.password_policy.as_deref()) {
        None => Ok(PasswordPolicy::default()),
        Some(p) => serde_json::from_str(p).map_err(|e| {
            AppError::Internal(format!(
                "the account's stored password policy is unreadable: {e}"
            ))
        }),
    }
}

/// For showing: the stored policy, or the default (with a warning) when it
/// is unreadable; rotations refuse to run on it (`rotation_policy`).
fn policy_of(r: Option<&RotationRow>) -> PasswordPolicy {
    stored_policy(r).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "showing the default password policy instead");
        PasswordPolicy::default()
    })
}

fn schedule_view(r: Option<&RotationRow>) -> RotationSchedule {
    match r {
        Some(row) => RotationSchedule {
            every_days: row.every_days,
            window_start_hour: row.window_start,
            window_end_hour: row.window_end,
            on_member_leave: row.on_member_leave,
            set_by: Some(row.set_by.to_string()),
            next_at: row.next_at.map(|t| t.to_rfc3339()),
            password_policy: policy_of(r),
            after_autofill_hours: row.after_autofill_hours,
            password_pending: false,
        },
        None => RotationSchedule {
            window_end_hour: 24,
            ..RotationSchedule::default()
        },
    }
}

/// Whether `now` falls in the schedule's hour window (UTC).
pub(crate) fn in_window(now: Timestamp, start: i64, end: i64) -> bool {
    let hour = now.0.div_euclid(3_600_000).rem_euclid(24);
    if start < end {
        (start..end).contains(&hour)
    } else {
        hour >= start || hour < end
    }
}

/// Why a rotation was queued, for the audit.
const SCHEDULE: &str = "schedule";
const MEMBER_LEFT: &str = "member_left";
const AFTER_AUTOFILL: &str = "after_autofill";
/// The job every rotation queues.
const ROTATE: &str = crate::JobKind::RotatePassword.as_str();

impl App {
    /// The account's rotation settings (its Owners and workspace admins).
    pub async fn rotation_schedule(
        &self,
        actor: &Actor,
        id: AccountId,
    ) -> Result<RotationSchedule> {
        let a = self
            .account_allowing(actor, id, Action::RunAdminAutomation)
            .await?;
        let row = self
            .store()
            .rotation_schedule(actor.workspace_id, a.id)
            .await?;
        let mut view = schedule_view(row.as_ref());
        view.password_pending = self
            .store()
            .pending_password(actor.workspace_id, a.id)
            .await?
            .is_some();
        Ok(view)
    }

    /// Sets (or, with neither a period nor `on_member_leave`, removes) the
    /// account's rotation. The jobs it queues run with the actor's rights.
    pub async fn set_rotation_schedule(
        &self,
        actor: &Actor,
        id: AccountId,
        input: RotationInput,
    ) -> Result<RotationSchedule> {
        let a = self
            .account_allowing(actor, id, Action::RunAdminAutomation)
            .await?;
        let start = input.window_start_hour.unwrap_or(0);
        let end = input.window_end_hour.unwrap_or(24);
        if let Some(d) = input.every_days
            && !(1..=365).contains(&d)
        {
            return Err(AppError::invalid(
                InvalidCode::RotationEveryDays,
                "every_days must be between 1 and 365",
            ));
        }
        if let Some(h) = input.after_autofill_hours
            && !(1..=720).contains(&h)
        {
            return Err(AppError::invalid(
                InvalidCode::RotationAfterAutofillHours,
                "after_autofill_hours must be between 1 and 720",
            ));
        }
        if !(0..=23).contains(&start) || !(1..=24).contains(&end) || start == end {
            return Err(AppError::invalid(
                InvalidCode::RotationWindow,
                "the window is whole hours UTC: a start from 0 to 23 and a different end from 1 to 24",
            ));
        }
        let ws = actor.workspace_id;
        let before = self.store().rotation_schedule(ws, a.id).await?;
        let policy = match input.password_policy.clone() {
            Some(p) => p,
            None => policy_of(before.as_ref()),
        };
        // A policy that cannot make a password is refused now, not when a
        // rotation runs.
        self.generate_password(&policy)?;
        let custom_policy = policy != PasswordPolicy::default();
        let scheduled = input.every_days.is_some()
            || input.on_member_leave
            || input.after_autofill_hours.is_some();
        if !scheduled && !custom_policy {
            self.store().delete_rotation_schedule(ws, a.id).await?;
        } else {
            if scheduled && (a.login_url.trim().is_empty() || a.username.trim().is_empty()) {
                return Err(AppError::invalid(
                    InvalidCode::AutomationMissingLogin,
                    "give the account a login URL and a username first",
                ));
            }
            let now = self.now();
            // The period counts from now unless it is unchanged.
            let next_at = match (input.every_days, &before) {
                // A rotation an extension login asked for stays due.
                (None, Some(b)) if input.after_autofill_hours.is_some() => b.next_at,
                (None, _) => None,
                (Some(d), Some(b)) if b.every_days == Some(d) && b.next_at.is_some() => b.next_at,
                (Some(d), _) => Some(now.plus_seconds(d * DAY_SECS)),
            };
            self.store()
                .save_rotation_schedule(&RotationRow {
                    account_id: a.id,
                    workspace_id: ws,
                    every_days: input.every_days,
                    window_start: start,
                    window_end: end,
                    on_member_leave: input.on_member_leave,
                    set_by: actor.user_id,
                    next_at,
                    password_policy: custom_policy
                        .then(|| serde_json::to_string(&policy))
                        .transpose()
                        .map_err(|e| AppError::Internal(e.to_string()))?,
                    after_autofill_hours: input.after_autofill_hours,
                    updated_at: now,
                })
                .await?;
        }
        self.audit(
            actor,
            Event::new(AuditAction::AccountRotationSchedule)
                .target(AuditTarget::Account, a.id)
                .detail(serde_json::json!({
                    "every_days": input.every_days,
                    "window": [start, end],
                    "on_member_leave": input.on_member_leave,
                    "after_autofill_hours": input.after_autofill_hours,
                    "password_policy": policy,
                })),
        )
        .await?;
        self.rotation_schedule(actor, id).await
    }

    /// Queues the rotations that are due and inside their window; called
    /// every minute by each `serve` (a conditional update makes one node
    /// queue each). Returns how many were queued.
    pub async fn run_due_rotations(&self) -> Result<usize> {
        let now = self.now();
        let mut queued = 0;
        for r in self.store().due_rotations(now).await? {
            // One schedule's trouble does not stop the others.
            match self.run_due_rotation(&r, now).await {
                Ok(true) => queued += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(account = %r.account_id, error = %e, "scheduled rotation failed");
                }
            }
        }
        Ok(queued)
    }

    /// One due schedule: true when a rotation was queued.
    async fn run_due_rotation(&self, r: &RotationRow, now: Timestamp) -> Result<bool> {
        let Some(due) = r.next_at else {
            return Ok(false);
        };
        let Some(days) = r.every_days else {
            // Due only because a Collaborator logged in through the
            // extension: exactly when asked, window or not.
            return self.run_due_after_autofill(r, due).await;
        };
        if !in_window(now, r.window_start, r.window_end) {
            return Ok(false);
        }
        // At most once a day: a rotation that succeeded or is under way in
        // the last day (by hand, or because a member left) takes this turn;
        // the schedule looks again a day after it.
        if let Some(last) = self
            .recent_rotation(r.workspace_id, r.account_id, now)
            .await?
        {
            let again = last.plus_seconds(DAY_SECS).max(now.plus_seconds(60));
            self.store()
                .advance_rotation(r.account_id, due, again)
                .await?;
            tracing::info!(account = %r.account_id, "scheduled rotation put off: one ran in the last day");
            return Ok(false);
        }
        // Anchored to the due time, so the hour does not drift; after a
        // long stop, counted from now.
        let mut next = due.plus_seconds(days * DAY_SECS);
        if next <= now {
            next = now.plus_seconds(days * DAY_SECS);
        }
        let requester = match self.local_actor(r.set_by, r.workspace_id).await {
            Ok(a) => a,
            Err(e) => {
                // Nobody can run it this turn: the schedule moves on.
                self.store()
                    .advance_rotation(r.account_id, due, next)
                    .await?;
                return Err(e);
            }
        };
        // One transaction moves next_at and queues the job: the node whose
        // update moves it queues it, others skip, and a crash between the
        // two cannot lose the turn.
        self.queue_due_rotation(&requester, r, due, Some(next), false, SCHEDULE)
            .await
    }

    /// A rotation due because of an extension login (no period): queued
    /// once by the node that clears its due time, unless one is pending.
    async fn run_due_after_autofill(&self, r: &RotationRow, due: Timestamp) -> Result<bool> {
        let requester = match self.local_actor(r.set_by, r.workspace_id).await {
            Ok(a) => a,
            Err(e) => {
                self.store().clear_rotation_due(r.account_id, due).await?;
                return Err(e);
            }
        };
        // Cleared and queued in one transaction, as for a schedule.
        self.queue_due_rotation(&requester, r, due, None, true, AFTER_AUTOFILL)
            .await
    }

    /// Moves a due rotation on (`due` to `next`; none clears it) and queues
    /// its job, in one transaction: only the node whose update moves it
    /// queues the job (true), others skip. With `unless_pending`, a
    /// rotation already queued or running takes this turn.
    async fn queue_due_rotation(
        &self,
        requester: &Actor,
        r: &RotationRow,
        due: Timestamp,
        next: Option<Timestamp>,
        unless_pending: bool,
        reason: &str,
    ) -> Result<bool> {
        let job = self.queued_job_row(r.workspace_id, r.account_id, ROTATE, r.set_by);
        if !self
            .store()
            .queue_due_rotation(r.account_id, due, next, &job, unless_pending)
            .await?
        {
            return Ok(false);
        }
        self.rotation_queued(requester, &job, reason).await?;
        Ok(true)
    }

    /// After a Collaborator's credentials were filled by the extension:
    /// brings the account's next rotation forward to the policy's N hours
    /// from now, unless a rotation is already pending or due sooner.
    /// Returns the time it is due at when this call set it.
    pub(crate) async fn rotate_after_autofill(
        &self,
        ws: WorkspaceId,
        a: AccountId,
    ) -> Result<Option<Timestamp>> {
        let Some(r) = self.store().rotation_schedule(ws, a).await? else {
            return Ok(None);
        };
        let Some(hours) = r.after_autofill_hours else {
            return Ok(None);
        };
        if self.pending_rotation(ws, a).await? {
            return Ok(None);
        }
        let at = self.now().plus_seconds(hours * 3600);
        Ok(self.store().rotation_due_by(a, at).await?.then_some(at))
    }

    /// After `user` left the accounts (removed from one, or deactivated):
    /// queues a rotation on each of them that asks for it, unless one is
    /// already waiting to run. Audited as `actor`'s doing.
    pub(crate) async fn rotate_after_leave(
        &self,
        actor: &Actor,
        user: UserId,
        user_role: WorkspaceRole,
        only: Option<AccountId>,
    ) -> Result<()> {
        let ws = actor.workspace_id;
        for r in self.store().rotations_on_leave(ws).await? {
            if only.is_some_and(|a| a != r.account_id) {
                continue;
            }
            let had_access = only.is_some()
                // Super Admins and Owners could reveal every password;
                // Admins never see secrets.
                || orthrus_core::policy::decide(
                    orthrus_core::Subject {
                        workspace_role: user_role,
                        account_role: None,
                    },
                    Action::ReachEveryAccount,
                )
                .is_allowed()
                || self.store()
                    .member_role(ws, r.account_id, user, self.now())
                    .await?
                    .is_some();
            if !had_access || self.pending_rotation(ws, r.account_id).await? {
                continue;
            }
            // When the one who set it leaves, the person removing them
            // runs it (their rights are checked when it runs).
            let requester = if r.set_by == user {
                actor.user_id
            } else {
                r.set_by
            };
            if let Err(e) = self
                .queue_rotation(actor, r.account_id, requester, MEMBER_LEFT)
                .await
            {
                tracing::warn!(account = %r.account_id, error = %e, "could not queue a rotation after a member left");
            }
        }
        Ok(())
    }

    /// The policy the account's rotations follow.
    pub(crate) async fn rotation_policy(
        &self,
        ws: WorkspaceId,
        a: AccountId,
    ) -> Result<PasswordPolicy> {
        let row = self.store().rotation_schedule(ws, a).await?;
        stored_policy(row.as_ref())
    }

    /// Why a scheduled rotation should wait: a rotation under way (then
    /// `now`), or one that succeeded in the last day (when it started).
    /// Failed and cancelled ones do not count.
    async fn recent_rotation(
        &self,
        ws: WorkspaceId,
        a: AccountId,
        now: Timestamp,
    ) -> Result<Option<Timestamp>> {
        let since = now.plus_seconds(-DAY_SECS);
        let jobs = self.store().list_jobs(ws, Some(a), 50).await?;
        let rotations = jobs.iter().filter(|j| j.kind == ROTATE);
        let mut last = None;
        for j in rotations {
            if j.state.is_pending() {
                return Ok(Some(now));
            }
            if j.state == orthrus_core::JobState::Succeeded && j.created_at > since {
                last = last.max(Some(j.created_at));
            }
        }
        Ok(last)
    }

    async fn pending_rotation(&self, ws: WorkspaceId, a: AccountId) -> Result<bool> {
        self.job_pending(ws, a, crate::JobKind::RotatePassword)
            .await
    }

    async fn queue_rotation(
        &self,
        audit_as: &Actor,
        account: AccountId,
        requested_by: UserId,
        reason: &str,
    ) -> Result<JobRow> {
        let job = self
            .new_job(audit_as.workspace_id, account, ROTATE, requested_by)
            .await?;
        self.rotation_queued(audit_as, &job, reason).await?;
        Ok(job)
    }

    /// Audits a rotation just queued and wakes this node's workers.
    async fn rotation_queued(&self, audit_as: &Actor, job: &JobRow, reason: &str) -> Result<()> {
        self.job_changed(job.id);
        self.audit(
            audit_as,
            Event::new(AuditAction::AutomationStart)
                .target(AuditTarget::Account, job.account_id)
                .detail(serde_json::json!({
                    "job_id": job.id.to_string(),
                    "kind": ROTATE,
                    "reason": reason,
                    "requested_by": job.requested_by.to_string(),
                })),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::in_window;
    use orthrus_core::Timestamp;

    #[test]
    fn hour_windows_including_ones_past_midnight() {
        let at = |h: i64| Timestamp(h * 3_600_000 + 60_000);
        assert!(in_window(at(0), 0, 24));
        assert!(in_window(at(23), 0, 24));
        assert!(in_window(at(2), 1, 4) && !in_window(at(4), 1, 4) && !in_window(at(0), 1, 4));
        assert!(in_window(at(23), 22, 3) && in_window(at(2), 22, 3));
        assert!(!in_window(at(3), 22, 3) && !in_window(at(12), 22, 3));
        assert!(in_window(at(24 * 10 + 5), 5, 6));
    }
}
