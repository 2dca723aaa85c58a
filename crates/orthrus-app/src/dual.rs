//! The two-person rule (workspace policy): exporting authenticator seeds, and
//! viewing or using the backup codes of accounts tagged critical, also need
//! the approval of a second workspace Owner or Super Admin. An approval is
//! good for one use within an hour.
//!
//! Switching the rule off and untagging a critical account would undo that
//! protection in one request, so they need the second person too (and
//! step-up). The second person must not be someone the requester created or
//! gave a role to within [`GRANT_COOLDOWN_SECS`]: otherwise one person could
//! mint their own approver.

use crate::AuditAction;
use crate::audit::Event;
use crate::{Action, Actor, App, AppError, Entity, Result};
use crate::{ConflictCode, InvalidCode};
use orthrus_core::AuditOutcome;
use orthrus_core::AuditTarget;
use orthrus_core::{EventId, Subject, UserId, WorkspaceId, WorkspaceRole, policy};
use orthrus_store::{ApprovalStatus, AuditFilter, DualAction, DualApprovalRow};
use serde::Serialize;

/// How long a request (and then its approval) stays usable.
const APPROVAL_SECS: i64 = 3600;

/// A user created, promoted or reactivated by the requester this recently
/// cannot approve the requester's requests.
pub const GRANT_COOLDOWN_SECS: i64 = 7 * 24 * 3600;

/// The audit events by which one user hands another approval power.
const GRANT_EVENTS: [&str; 3] = ["user.create", "user.role_change", "user.reactivate"];

/// What the policy says about a workspace-scoped action for a role.
fn allows(role: WorkspaceRole, action: Action) -> bool {
    policy::decide(
        Subject {
            workspace_role: role,
            account_role: None,
        },
        action,
    )
    .is_allowed()
}

/// A request waiting for a second approver.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DualApproval {
    pub id: String,
    pub requester: String,
    #[schema(value_type = String)]
    pub action: DualAction,
    pub target_id: String,
    pub target_label: Option<String>,
    #[schema(value_type = String)]
    pub status: ApprovalStatus,
    pub created_at: String,
    pub expires_at: String,
    /// Filed by the caller, who cannot approve it (someone else must).
    pub mine: bool,
}

impl App {
    /// Passes when the rule does not apply or an approval is available (and
    /// uses it up); otherwise files a request and refuses with
    /// `approval.required`, naming the request.
    pub(crate) async fn require_second_person(
        &self,
        actor: &Actor,
        action: DualAction,
        target: &str,
    ) -> Result<()> {
        if !self.store().two_person_rule(actor.workspace_id).await? {
            return Ok(());
        }
        let now = self.now();
        let open = self
            .store()
            .open_dual_approval(actor.workspace_id, actor.user_id, action, target, now)
            .await?;
        if let Some(r) = &open
            && r.status == ApprovalStatus::Approved
            && self
                .store()
                .transition_dual_approval(
                    actor.workspace_id,
                    r.id,
                    ApprovalStatus::Approved,
                    ApprovalStatus::Used,
                    None,
                    now,
                )
                .await?
        {
            self.audit(
                actor,
                Event::new(AuditAction::DualApprovalUsed)
                    .target(AuditTarget::Approval, r.id)
                    .detail(serde_json::json!({"action": action.as_str(), "target": target})),
            )
            .await?;
            return Ok(());
        }
        let id = match open.filter(|r| r.status == ApprovalStatus::Pending) {
            Some(r) => r.id,
            None => {
                let row = DualApprovalRow {
                    id: EventId::new(self.inner.clock.as_ref(), self.rng()),
                    workspace_id: actor.workspace_id,
                    requester_id: actor.user_id,
                    requester_email: actor.email.clone(),
                    action,
                    target_id: target.to_owned(),
                    status: ApprovalStatus::Pending,
                    created_at: now,
                    expires_at: now.plus_seconds(APPROVAL_SECS),
                    decided_by: None,
                    decided_by_email: None,
                    decided_at: None,
                };
                self.store().create_dual_approval(&row).await?;
                self.audit(
                    actor,
                    Event::new(AuditAction::DualApprovalRequested)
                        .target(AuditTarget::Approval, row.id)
                        .detail(serde_json::json!({"action": action.as_str(), "target": target})),
                )
                .await?;
                row.id
            }
        };
        Err(AppError::ApprovalRequired { request: id })
    }

    /// Seeing the waiting requests: whoever may approve them (no step-up).
    fn must_be_approver(&self, actor: &Actor) -> Result<()> {
        match self.check(actor, Action::ApproveDual) {
            Ok(()) | Err(AppError::StepUpRequired) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Whether the policy lets the actor tag accounts critical (the UI shows
    /// the button from this answer).
    pub fn can_tag_critical(&self, actor: &Actor) -> bool {
        self.permits(actor, Action::TagCritical)
    }

    /// Whether `user` was created, promoted or reactivated by anyone within
    /// the cooldown (from the audit log, which records every such change).
    /// Such a user neither approves nor has a request approved: otherwise
    /// one Owner makes a second Owner and approves that puppet's request
    /// (or the puppet approves theirs).
    async fn granted_recently(&self, ws: WorkspaceId, user: UserId) -> Result<bool> {
        let since = self.now().plus_seconds(-GRANT_COOLDOWN_SECS);
        for action in GRANT_EVENTS {
            let filter = AuditFilter {
                action: Some(action.into()),
                target_id: Some(user.to_string()),
                since: Some(since),
                limit: 1,
                ..Default::default()
            };
            if !self.store().list_audit(ws, &filter).await?.is_empty() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Refuses to turn the rule on unless at least two people could approve:
    /// with one, every guarded action of theirs would wait forever.
    async fn ensure_two_approvers(&self, ws: WorkspaceId) -> Result<()> {
        let require_2fa = self.workspace(ws).await?.require_2fa;
        let approvers = self
            .store()
            .list_users(ws)
            .await?
            .into_iter()
            .filter(|u| {
                u.active && allows(u.role, Action::ApproveDual) && (!require_2fa || u.totp_enabled)
            })
            .count();
        if approvers < 2 {
            return Err(AppError::conflict(
                ConflictCode::TwoPersonTooFewApprovers,
                format!(
                    "the two-person rule needs at least two active Owners or Super Admins{} to approve each other; the workspace has {approvers}",
                    if require_2fa {
                        " with two-factor authentication"
                    } else {
                        ""
                    }
                ),
            ));
        }
        Ok(())
    }

    /// Requests waiting for a second person (workspace Owners and Super Admins).
    pub async fn list_dual_approvals(&self, actor: &Actor) -> Result<Vec<DualApproval>> {
        self.must_be_approver(actor)?;
        let mut out = Vec::new();
        for r in self
            .store()
            .pending_dual_approvals(actor.workspace_id, self.now())
            .await?
        {
            let label = match r.target_id.parse() {
                Ok(a) => self
                    .store()
                    .get_account(actor.workspace_id, a)
                    .await?
                    .map(|a| a.label),
                Err(_) => None,
            };
            out.push(DualApproval {
                id: r.id.to_string(),
                requester: r.requester_email,
                action: r.action,
                target_id: r.target_id,
                target_label: label,
                status: r.status,
                created_at: r.created_at.to_rfc3339(),
                expires_at: r.expires_at.to_rfc3339(),
                mine: r.requester_id == actor.user_id,
            });
        }
        Ok(out)
    }

    /// Approves or denies someone else's request (Owner or Super Admin, step-up).
    pub(crate) async fn decide_dual_approval_uncounted(
        &self,
        actor: &Actor,
        id: EventId,
        approve: bool,
    ) -> Result<ApprovalStatus> {
        self.check(actor, Action::ApproveDual)?;
        let r = self
            .store()
            .get_dual_approval(actor.workspace_id, id)
            .await?
            .ok_or(AppError::NotFound(Entity::Approval))?;
        if r.requester_id == actor.user_id {
            return Err(AppError::invalid(
                InvalidCode::ApprovalOwnRequest,
                "a second person must approve: not the one who asked",
            ));
        }
        if approve
            && (self
                .granted_recently(actor.workspace_id, actor.user_id)
                .await?
                || self
                    .granted_recently(actor.workspace_id, r.requester_id)
                    .await?)
        {
            return Err(AppError::invalid(
                InvalidCode::ApprovalRecentGrant,
                "you or the requester were added, promoted or reactivated less than 7 days ago: an Owner or Super Admin who has held the role longer must approve a request of someone who has",
            ));
        }
        let to = if approve {
            ApprovalStatus::Approved
        } else {
            ApprovalStatus::Denied
        };
        if !self
            .store()
            .transition_dual_approval(
                actor.workspace_id,
                id,
                ApprovalStatus::Pending,
                to,
                Some((actor.user_id, &actor.email)),
                self.now(),
            )
            .await?
        {
            return Err(AppError::conflict(
                ConflictCode::ApprovalClosed,
                "this request was already decided or has expired",
            ));
        }
        self.audit(actor, Event::new(AuditAction::DualApprovalDecided).target(AuditTarget::Approval, id).outcome(if approve { AuditOutcome::Success } else { AuditOutcome::Denied }).detail(serde_json::json!({"action": r.action.as_str(), "target": r.target_id, "requester": r.requester_email}))).await?;
        Ok(to)
    }

    /// Turns the two-person rule on or off (workspace Owner, step-up). On
    /// needs two possible approvers; off needs a second person's approval.
    pub async fn set_two_person_rule(&self, actor: &Actor, on: bool) -> Result<()> {
        self.check(actor, Action::ManageTwoPersonRule)?;
        if on == self.store().two_person_rule(actor.workspace_id).await? {
            return Ok(());
        }
        if on {
            self.ensure_two_approvers(actor.workspace_id).await?;
        } else {
            self.require_second_person(
                actor,
                DualAction::TwoPersonRuleOff,
                &actor.workspace_id.to_string(),
            )
            .await?;
        }
        self.store()
            .set_two_person_rule(actor.workspace_id, on)
            .await?;
        self.audit(
            actor,
            Event::new(AuditAction::WorkspaceSettingsChange)
                .detail(serde_json::json!({"two_person_rule": on})),
        )
        .await
    }

    /// Tags an account critical or untags it (workspace Owners and Super
    /// Admins, step-up); untagging needs a second person's approval.
    pub async fn set_account_critical(
        &self,
        actor: &Actor,
        id: orthrus_core::AccountId,
        critical: bool,
    ) -> Result<()> {
        let (a, _) = self.account_for(actor, id).await?;
        self.check(actor, Action::TagCritical)?;
        let now = self
            .store()
            .account_critical(actor.workspace_id, a.id)
            .await?;
        if now == critical {
            return Ok(());
        }
        if !critical {
            self.require_second_person(actor, DualAction::UntagCritical, &a.id.to_string())
                .await?;
        }
        self.store()
            .set_account_critical(actor.workspace_id, a.id, critical)
            .await?;
        self.audit(
            actor,
            Event::new(AuditAction::AccountCriticalChange)
                .target(AuditTarget::Account, a.id)
                .detail(serde_json::json!({"critical": critical})),
        )
        .await
    }

    pub async fn two_person_rule(&self, actor: &Actor) -> Result<bool> {
        Ok(self.store().two_person_rule(actor.workspace_id).await?)
    }

    pub async fn account_critical(
        &self,
        actor: &Actor,
        id: orthrus_core::AccountId,
    ) -> Result<bool> {
        let (a, _) = self.account_for(actor, id).await?;
        Ok(self
            .store()
            .account_critical(actor.workspace_id, a.id)
            .await?)
    }
}
