//! Step-up by approval on another signed-in device of the same user ("It's
//! me!"). The requesting device shows two digits; the approving device must
//! pick them from three choices, so a tired user cannot approve blindly. A
//! request expires after two minutes; a denial or a wrong pick is audited so
//! the user (and admins) see it.
//!
//! An approval does not elevate anything by itself: the asking session
//! completes it with a POST (CSRF-checked in the browser) within
//! [`DEVICE_APPROVAL_USE_SECS`], and only once. Reading the status never
//! changes anything.

use crate::AuditAction;
use crate::audit::Event;
use crate::{Actor, App, AppError, Entity, Result};
use crate::{ConflictCode, InvalidCode};
use orthrus_core::AuditOutcome;
use orthrus_core::AuditTarget;
use orthrus_core::{EventId, Timestamp};
use orthrus_store::{ApprovalStatus, StepUpRequestRow};
use serde::{Deserialize, Serialize};

/// How long a request waits for approval.
pub const DEVICE_REQUEST_SECS: i64 = 120;

/// How long an approval can be completed by the asking session.
pub const DEVICE_APPROVAL_USE_SECS: i64 = 300;

/// What the requesting device shows.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DeviceRequest {
    pub id: String,
    /// Pick this number on your other device.
    pub number: String,
    pub expires_at: String,
}

/// The state of a request, as its requesting device sees it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DeviceRequestStatus {
    /// pending, approved (complete it with a POST), used (it elevated this
    /// session), denied or expired
    #[schema(value_type = String)]
    pub status: DeviceRequestState,
    pub elevated_until: Option<String>,
}

/// Where a request stands for its requesting device: the stored
/// [`ApprovalStatus`], or expired when a pending request or an approval has
/// lapsed (read, never stored). Sent with the same spellings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceRequestState {
    Pending,
    Approved,
    Denied,
    Used,
    Expired,
}

impl From<ApprovalStatus> for DeviceRequestState {
    fn from(s: ApprovalStatus) -> Self {
        match s {
            ApprovalStatus::Pending => Self::Pending,
            ApprovalStatus::Approved => Self::Approved,
            ApprovalStatus::Denied => Self::Denied,
            ApprovalStatus::Used => Self::Used,
        }
    }
}

/// What an approving device shows.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApprovalPrompt {
    pub id: String,
    /// Three numbers; the requesting device shows one of them.
    pub choices: Vec<String>,
    pub ip: String,
    pub user_agent: String,
    /// What the asking device wants to do, in words; empty when unsaid.
    pub purpose: String,
    pub created_at: String,
    pub expires_at: String,
}

impl App {
    fn two_digits(&self) -> String {
        format!("{}", 10 + self.random_below(90))
    }

    /// Starts a request from the actor's session.
    pub async fn request_device_step_up(&self, actor: &Actor) -> Result<DeviceRequest> {
        self.request_device_step_up_for(actor, "").await
    }

    /// Starts a request from the actor's session that says what it is for,
    /// in words the other device shows ("reveal the password of Brand IG").
    pub async fn request_device_step_up_for(
        &self,
        actor: &Actor,
        purpose: &str,
    ) -> Result<DeviceRequest> {
        let session = actor.session_id().ok_or(AppError::invalid(
            InvalidCode::StepUpUnsupported,
            "approval elevates a signed-in session; API tokens cannot be elevated",
        ))?;
        let number = self.two_digits();
        let mut choices = vec![number.clone()];
        while choices.len() < 3 {
            let n = self.two_digits();
            if !choices.contains(&n) {
                choices.push(n);
            }
        }
        // Shuffle so the right one is not always first.
        for i in (1..choices.len()).rev() {
            let j = self.random_below(i + 1);
            choices.swap(i, j);
        }
        let now = self.now();
        let row = StepUpRequestRow {
            id: EventId::new(self.inner.clock.as_ref(), self.rng()),
            workspace_id: actor.workspace_id,
            user_id: actor.user_id,
            session_id: session,
            number: number.clone(),
            choices,
            status: ApprovalStatus::Pending,
            ip: actor.ip.chars().take(64).collect(),
            user_agent: String::new(),
            purpose: purpose.trim().chars().take(200).collect(),
            created_at: now,
            expires_at: now.plus_seconds(DEVICE_REQUEST_SECS),
            decided_at: None,
            decided_by_session: None,
        };
        self.store().create_step_up_request(&row).await?;
        self.audit(
            actor,
            Event::new(AuditAction::AuthStepUp)
                .outcome(AuditOutcome::Requested)
                .target(AuditTarget::Session, session)
                .detail(serde_json::json!({"method": "device"})),
        )
        .await?;
        Ok(DeviceRequest {
            id: row.id.to_string(),
            number,
            expires_at: row.expires_at.to_rfc3339(),
        })
    }

    async fn own_request(&self, actor: &Actor, id: EventId) -> Result<StepUpRequestRow> {
        let r = self
            .store()
            .get_step_up_request(actor.workspace_id, id)
            .await?
            .ok_or(AppError::NotFound(Entity::StepUpRequest))?;
        if r.user_id != actor.user_id {
            return Err(AppError::NotFound(Entity::StepUpRequest));
        }
        Ok(r)
    }

    /// The requesting session asks how its request stands.
    pub async fn device_step_up_status(
        &self,
        actor: &Actor,
        id: EventId,
    ) -> Result<DeviceRequestStatus> {
        let r = self.own_request(actor, id).await?;
        if Some(r.session_id) != actor.session_id() {
            return Err(AppError::NotFound(Entity::StepUpRequest));
        }
        let status = self.effective_status(&r);
        Ok(DeviceRequestStatus {
            elevated_until: (status == DeviceRequestState::Used)
                .then(|| actor.elevated_until.map(|t| t.to_rfc3339()))
                .flatten(),
            status,
        })
    }

    /// The stored status, with lapsed requests and approvals read as expired.
    fn effective_status(&self, r: &StepUpRequestRow) -> DeviceRequestState {
        let now = self.now();
        let lapsed = match r.status {
            ApprovalStatus::Pending => r.expires_at <= now,
            ApprovalStatus::Approved => r
                .decided_at
                .is_none_or(|at| at.plus_seconds(DEVICE_APPROVAL_USE_SECS) <= now),
            ApprovalStatus::Denied | ApprovalStatus::Used => false,
        };
        if lapsed {
            DeviceRequestState::Expired
        } else {
            r.status.into()
        }
    }

    /// The asking session uses its approved request: its session is elevated
    /// for the workspace's step-up time. Refused when the approval is older
    /// than [`DEVICE_APPROVAL_USE_SECS`] or was used already.
    pub async fn complete_device_step_up(
        &self,
        actor: &Actor,
        id: EventId,
    ) -> Result<DeviceRequestStatus> {
        let r = self.own_request(actor, id).await?;
        let session = actor.session_id().filter(|s| *s == r.session_id);
        let Some(session) = session else {
            return Err(AppError::NotFound(Entity::StepUpRequest));
        };
        let now = self.now();
        if !self
            .store()
            .consume_step_up_request(
                actor.workspace_id,
                r.id,
                session,
                now.plus_seconds(-DEVICE_APPROVAL_USE_SECS),
            )
            .await?
        {
            return Err(match self.effective_status(&r) {
                DeviceRequestState::Pending => AppError::conflict(
                    ConflictCode::ApprovalPending,
                    "not approved yet: choose the number on your other device first",
                ),
                DeviceRequestState::Used => AppError::conflict(
                    ConflictCode::ApprovalUsed,
                    "this approval was used already: ask again to confirm your identity",
                ),
                DeviceRequestState::Denied => AppError::conflict(
                    ConflictCode::ApprovalDenied,
                    "this request was denied on your other device",
                ),
                DeviceRequestState::Approved | DeviceRequestState::Expired => AppError::conflict(
                    ConflictCode::ApprovalExpired,
                    "this request or its approval has expired: ask again",
                ),
            });
        }
        let ws = self.workspace(actor.workspace_id).await?;
        let until: Timestamp = now.plus_seconds(ws.step_up_minutes.clamp(1, 60) * 60);
        self.store().elevate_session(session, until).await?;
        self.audit(
            actor,
            Event::new(AuditAction::AuthStepUp)
                .target(AuditTarget::Session, session)
                .detail(serde_json::json!({"method": "device", "request": r.id, "approved_by_session": r.decided_by_session.map(|s| s.to_string()), "until": until.to_rfc3339()})),
        )
        .await?;
        Ok(DeviceRequestStatus {
            status: DeviceRequestState::Used,
            elevated_until: Some(until.to_rfc3339()),
        })
    }

    /// Requests of this user waiting on another of their devices.
    pub async fn pending_approvals(&self, actor: &Actor) -> Result<Vec<ApprovalPrompt>> {
        let Some(me) = actor.session_id() else {
            return Ok(Vec::new());
        };
        Ok(self
            .store()
            .pending_step_up_requests(actor.workspace_id, actor.user_id, self.now())
            .await?
            .into_iter()
            .filter(|r| r.session_id != me)
            .map(|r| ApprovalPrompt {
                id: r.id.to_string(),
                choices: r.choices,
                ip: r.ip,
                user_agent: r.user_agent,
                purpose: r.purpose,
                created_at: r.created_at.to_rfc3339(),
                expires_at: r.expires_at.to_rfc3339(),
            })
            .collect())
    }

    /// Approves (with the number the other device shows) or denies. A wrong
    /// number denies the request. Returns the new status.
    pub(crate) async fn decide_approval_uncounted(
        &self,
        actor: &Actor,
        id: EventId,
        number: Option<&str>,
        deny: bool,
    ) -> Result<ApprovalStatus> {
        let me = actor.session_id().ok_or(AppError::invalid(
            InvalidCode::ApprovalUnsupported,
            "approve from a signed-in device (browser or `orthrus login`)",
        ))?;
        let r = self.own_request(actor, id).await?;
        if r.session_id == me {
            return Err(AppError::invalid(
                InvalidCode::ApprovalSameDevice,
                "approve on another device than the one asking",
            ));
        }
        // The approving device must be one the user had before the request
        // and not an extension (whose session a pairing can mint): else a
        // stolen session mints a second one and approves itself.
        let other = self
            .store()
            .list_sessions(actor.workspace_id, actor.user_id, self.now())
            .await?
            .into_iter()
            .find(|s| s.id == me);
        let fit = other.as_ref().is_some_and(|s| {
            s.kind != orthrus_store::SessionKind::Extension && s.created_at <= r.created_at
        });
        if !fit {
            return Err(AppError::invalid(
                InvalidCode::ApprovalDeviceNotTrusted,
                "approve from a browser or `orthrus login` session you signed in to before this request; a browser extension cannot approve",
            ));
        }
        let now = self.now();
        let (status, reason) = match (deny, number.map(str::trim)) {
            (true, _) => (ApprovalStatus::Denied, "denied"),
            (false, Some(n)) if n == r.number => (ApprovalStatus::Approved, "approved"),
            (false, Some(_)) => (ApprovalStatus::Denied, "wrong_number"),
            (false, None) => {
                return Err(AppError::invalid(
                    InvalidCode::ApprovalNumberRequired,
                    "pick the number the other device shows",
                ));
            }
        };
        if !self
            .store()
            .decide_step_up_request(actor.workspace_id, r.id, status, me, now)
            .await?
        {
            return Err(AppError::conflict(
                ConflictCode::ApprovalClosed,
                "this request was already decided or has expired",
            ));
        }
        if status == ApprovalStatus::Approved {
            // Nothing is elevated yet: the asking session completes it.
            self.audit(
                actor,
                Event::new(AuditAction::AuthStepUp)
                    .outcome(AuditOutcome::Approved)
                    .target(AuditTarget::Session, r.session_id)
                    .detail(serde_json::json!({"method": "device", "request": r.id})),
            )
            .await?;
        } else {
            // The alert: recorded for the user's security page and for admins.
            self.audit(
                actor,
                Event::new(AuditAction::AuthStepUp)
                    .outcome(AuditOutcome::Denied)
                    .target(AuditTarget::Session, r.session_id)
                    .detail(serde_json::json!({"method": "device", "reason": reason})),
            )
            .await?;
        }
        Ok(status)
    }

    /// Recent denied device requests of the user (the alert on their pages).
    pub async fn recent_denials(&self, actor: &Actor) -> Result<usize> {
        let filter = orthrus_store::AuditFilter {
            action: Some(AuditAction::AuthStepUp.as_str().into()),
            actor_id: Some(actor.user_id),
            since: Some(self.now().plus_seconds(-24 * 3600)),
            limit: 20,
            ..Default::default()
        };
        let rows = self.store().list_audit(actor.workspace_id, &filter).await?;
        Ok(rows
            .iter()
            .filter(|r| r.event.outcome == AuditOutcome::Denied)
            .count())
    }
}
