//! Access requests (issue 15, item 4): a workspace User (or a Manager who
//! wants more) finds an account in the workspace's directory (app and label
//! only), asks its Owners for a role with a reason and a duration; the
//! Owners see it on their Requests page and get an email through the
//! outbound relay when one is configured; an Owner (or a workspace Owner or
//! Super Admin) approves, which adds the membership ending after the asked
//! duration, or declines with a note. Every step is audited.

use crate::AuditAction;
use crate::audit::Event;
use crate::{Action, Actor, App, AppError, Entity, OutboundMail, Result};
use crate::{ConflictCode, InvalidCode};
use orthrus_core::AuditTarget;
use orthrus_core::{AccountId, AccountRole, EventId, Subject, Timestamp, UserId};
use orthrus_store::{
    AccessDecision, AccessRequestRow, AccessRequestState, AccessRequestView, MemberRow,
};
use serde::Serialize;

/// The shortest and longest access one may ask for, in hours.
pub const MIN_REQUEST_HOURS: i64 = 1;
pub const MAX_REQUEST_HOURS: i64 = 24 * 365;
/// Longest reason and decision note, in characters.
const MAX_REASON: usize = 500;
/// Requests a list shows at most.
const LIST_LIMIT: i64 = 500;

/// One account of the workspace's directory: enough to ask for it, nothing
/// more (no username, URL or members).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DirectoryAccount {
    pub account_id: String,
    pub app: String,
    pub app_name: &'static str,
    pub label: String,
    /// Your role on it now (null: none).
    #[schema(value_type = Option<crate::schema::AccountRoleName>, example = json!(null))]
    pub my_role: Option<AccountRole>,
    /// Your request for it that is waiting for a decision, if any.
    pub pending_request_id: Option<String>,
}

/// Where an access request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RequestState {
    Pending,
    Approved,
    Declined,
}

impl From<AccessRequestState> for RequestState {
    fn from(s: AccessRequestState) -> Self {
        match s {
            AccessRequestState::Pending => Self::Pending,
            AccessRequestState::Approved => Self::Approved,
            AccessRequestState::Declined => Self::Declined,
        }
    }
}

/// An access request as its requester and its deciders see it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AccessRequestInfo {
    pub id: String,
    pub account_id: String,
    pub account_label: String,
    pub app_name: &'static str,
    pub requester_id: String,
    pub requester_email: String,
    pub requester_name: String,
    #[schema(value_type = crate::schema::AccountRoleName, example = "collaborator")]
    pub role: AccountRole,
    pub reason: String,
    /// How long the access would last, in hours.
    pub duration_hours: i64,
    pub state: RequestState,
    pub created_at: String,
    pub decided_by_email: Option<String>,
    pub decided_at: Option<String>,
    /// The decider's note (why it was declined, for instance).
    pub note: Option<String>,
    /// For an approved request: when the access it gave ends.
    pub grant_expires_at: Option<String>,
    /// Whether you asked.
    pub mine: bool,
    /// Whether you may approve or decline it now.
    pub can_decide: bool,
}

fn info(v: &AccessRequestView, me: UserId, can_decide: bool) -> AccessRequestInfo {
    let r = &v.request;
    AccessRequestInfo {
        id: r.id.to_string(),
        account_id: r.account_id.to_string(),
        account_label: v.account_label.clone(),
        app_name: orthrus_core::app_name(&v.account_app),
        requester_id: r.requester_id.to_string(),
        requester_email: v.requester_email.clone(),
        requester_name: v.requester_name.clone(),
        role: r.role,
        reason: r.reason.clone(),
        duration_hours: r.duration_secs / 3600,
        state: r.state.into(),
        created_at: r.created_at.to_rfc3339(),
        decided_by_email: v.decided_by_email.clone(),
        decided_at: r.decided_at.map(Timestamp::to_rfc3339),
        note: r.note.clone(),
        grant_expires_at: r.grant_expires_at.map(Timestamp::to_rfc3339),
        mine: r.requester_id == me,
        can_decide,
    }
}

/// A new access request.
#[derive(Clone, Debug)]
pub struct NewAccessRequest {
    pub role: AccountRole,
    pub reason: String,
    pub duration_hours: i64,
}

impl App {
    /// The workspace's accounts by app and label, for asking access.
    pub async fn account_directory(&self, actor: &Actor) -> Result<Vec<DirectoryAccount>> {
        self.check(actor, Action::ViewAccountDirectory)?;
        let now = self.now();
        let ws = actor.workspace_id;
        let mine: std::collections::HashMap<AccountId, AccountRole> = self
            .store()
            .list_accounts_for_user(ws, actor.user_id, now)
            .await?
            .into_iter()
            .map(|(a, r)| (a.id, r))
            .collect();
        let pending: std::collections::HashMap<AccountId, EventId> = self
            .store()
            .list_access_requests(ws, true, LIST_LIMIT)
            .await?
            .into_iter()
            .filter(|v| v.request.requester_id == actor.user_id)
            .map(|v| (v.request.account_id, v.request.id))
            .collect();
        Ok(self
            .store()
            .list_accounts(ws)
            .await?
            .into_iter()
            .map(|a| DirectoryAccount {
                account_id: a.id.to_string(),
                app_name: orthrus_core::app_name(&a.app),
                app: a.app,
                label: a.label,
                my_role: mine.get(&a.id).copied(),
                pending_request_id: pending.get(&a.id).map(|id| id.to_string()),
            })
            .collect())
    }

    /// Asks the account's Owners for `role` on it for a while.
    pub async fn request_access(
        &self,
        actor: &Actor,
        id: AccountId,
        new: NewAccessRequest,
    ) -> Result<AccessRequestInfo> {
        self.check(actor, Action::RequestAccess)?;
        let account = self
            .store()
            .get_account(actor.workspace_id, id)
            .await?
            .ok_or(AppError::NotFound(Entity::Account))?;
        let reason = new.reason.trim().to_owned();
        if reason.is_empty() || reason.chars().count() > MAX_REASON {
            return Err(AppError::invalid(
                InvalidCode::AccessRequestInvalidReason,
                format!("say why you need access (up to {MAX_REASON} characters)"),
            ));
        }
        if !(MIN_REQUEST_HOURS..=MAX_REQUEST_HOURS).contains(&new.duration_hours) {
            return Err(AppError::invalid(
                InvalidCode::AccessRequestInvalidDuration,
                format!(
                    "ask for between {MIN_REQUEST_HOURS} hour and {} days of access",
                    MAX_REQUEST_HOURS / 24
                ),
            ));
        }
        let now = self.now();
        let current = self
            .store()
            .member_role(actor.workspace_id, id, actor.user_id, now)
            .await?;
        if current.is_some_and(|c| c >= new.role) {
            return Err(AppError::conflict(
                ConflictCode::AccessRequestAlreadyGranted,
                format!(
                    "you are already {} of {}",
                    current.map_or("", |c| c.label()),
                    account.label
                ),
            ));
        }
        let row = AccessRequestRow {
            id: EventId::new(self.inner.clock.as_ref(), self.rng()),
            workspace_id: actor.workspace_id,
            account_id: id,
            requester_id: actor.user_id,
            role: new.role,
            reason,
            duration_secs: new.duration_hours * 3600,
            state: AccessRequestState::Pending,
            created_at: now,
            decided_by: None,
            decided_at: None,
            note: None,
            grant_expires_at: None,
        };
        self.store()
            .create_access_request(&row)
            .await
            .map_err(|e| match e {
                orthrus_store::StoreError::Conflict(_) => AppError::conflict(
                    ConflictCode::AccessRequestDuplicate,
                    format!(
                        "you already asked for access to {}; wait for its Owners to decide",
                        account.label
                    ),
                ),
                e => e.into(),
            })?;
        self.audit(
            actor,
            Event::new(AuditAction::AccessRequestCreate)
                .target(AuditTarget::Account, id)
                .detail(serde_json::json!({
                    "request_id": row.id.to_string(),
                    "role": row.role,
                    "duration_hours": new.duration_hours,
                    "reason": row.reason,
                })),
        )
        .await?;
        self.mail_owners(actor, &account, &row).await;
        let view = self
            .store()
            .get_access_request(actor.workspace_id, row.id)
            .await?
            .ok_or(AppError::NotFound(Entity::AccessRequest))?;
        Ok(info(&view, actor.user_id, false))
    }

    /// Emails the account's Owners about a new request through the outbound
    /// relay, when one is configured. A failure is logged, never fatal: the
    /// request waits on their Requests page either way.
    async fn mail_owners(
        &self,
        actor: &Actor,
        account: &orthrus_store::AccountRow,
        r: &AccessRequestRow,
    ) {
        let Some(mailer) = self.inner.mailer.get() else {
            return;
        };
        let owners = match self
            .store()
            .list_members(actor.workspace_id, account.id, self.now())
            .await
        {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, "could not list the Owners to email about an access request");
                return;
            }
        };
        let hours = r.duration_secs / 3600;
        let duration = if hours % 24 == 0 {
            format!("{} days", hours / 24)
        } else {
            format!("{hours} hours")
        };
        for o in owners.iter().filter(|m| m.member.role.is_owner()) {
            let mail = OutboundMail {
                to: o.email.clone(),
                subject: format!(
                    "{} asks for access to {} on Orthrus",
                    actor.name, account.label
                ),
                text: format!(
                    "Hello {},\r\n\r\n{} ({}) asks to be {} of {} ({}) for {duration}.\r\n\r\nTheir reason: {}\r\n\r\nApprove or decline it on the Requests page of Orthrus.\r\n",
                    o.name,
                    actor.name,
                    actor.email,
                    r.role.label(),
                    account.label,
                    orthrus_core::app_name(&account.app),
                    r.reason
                ),
                attachment: None,
            };
            if let Err(e) = mailer.send(mail).await {
                tracing::warn!(error = %e, to = %o.email, "could not email an Owner about an access request");
            }
        }
    }

    /// Whether the actor may decide requests for the account (no step-up
    /// check: for what a page shows).
    async fn may_decide(&self, actor: &Actor, account: AccountId) -> Result<Option<Subject>> {
        let role = self
            .store()
            .member_role(actor.workspace_id, account, actor.user_id, self.now())
            .await?;
        let subject = Subject {
            workspace_role: actor.role,
            account_role: role,
        };
        Ok(Self::may(subject, Action::DecideAccessRequest).then_some(subject))
    }

    /// The workspace's requests (only pending ones with `pending_only`),
    /// newest first, each with whether the actor may decide it (`may_decide`
    /// asked once an account).
    async fn requests_and_deciders(
        &self,
        actor: &Actor,
        pending_only: bool,
    ) -> Result<Vec<(AccessRequestView, bool)>> {
        let mut deciders: std::collections::HashMap<AccountId, bool> = Default::default();
        let mut out = Vec::new();
        for v in self
            .store()
            .list_access_requests(actor.workspace_id, pending_only, LIST_LIMIT)
            .await?
        {
            let account = v.request.account_id;
            let decides = match deciders.get(&account) {
                Some(d) => *d,
                None => {
                    let d = self.may_decide(actor, account).await?.is_some();
                    deciders.insert(account, d);
                    d
                }
            };
            out.push((v, decides));
        }
        Ok(out)
    }

    /// Your own requests and the ones you may decide, newest first.
    pub async fn list_access_requests(&self, actor: &Actor) -> Result<Vec<AccessRequestInfo>> {
        self.check(actor, Action::ListOwnAccounts)?;
        let mut out = Vec::new();
        for (v, decides) in self.requests_and_deciders(actor, false).await? {
            let mine = v.request.requester_id == actor.user_id;
            if mine || decides {
                let pending = v.request.state == AccessRequestState::Pending;
                out.push(info(&v, actor.user_id, decides && pending));
            }
        }
        Ok(out)
    }

    /// How many requests wait for the actor's decision (the nav badge).
    pub async fn pending_decisions(&self, actor: &Actor) -> Result<usize> {
        if !self.permits(actor, Action::ListOwnAccounts) {
            return Ok(0);
        }
        Ok(self
            .requests_and_deciders(actor, true)
            .await?
            .iter()
            .filter(|(_, decides)| *decides)
            .count())
    }

    /// A pending request the actor may decide (404 for one they may not
    /// even see; step-up where the policy asks for it).
    async fn request_to_decide(&self, actor: &Actor, id: EventId) -> Result<AccessRequestView> {
        let v = self
            .store()
            .get_access_request(actor.workspace_id, id)
            .await?
            .ok_or(AppError::NotFound(Entity::AccessRequest))?;
        let Some(subject) = self.may_decide(actor, v.request.account_id).await? else {
            if v.request.requester_id == actor.user_id {
                return Err(AppError::Forbidden);
            }
            return Err(AppError::NotFound(Entity::AccessRequest));
        };
        self.check_subject(actor, subject, Action::DecideAccessRequest)?;
        if v.request.state != AccessRequestState::Pending {
            return Err(decided());
        }
        Ok(v)
    }

    /// Approves a request: the requester becomes a member with the asked
    /// role until now plus the asked duration.
    pub async fn approve_access_request(
        &self,
        actor: &Actor,
        id: EventId,
    ) -> Result<AccessRequestInfo> {
        let v = self.request_to_decide(actor, id).await?;
        let r = &v.request;
        let now = self.now();
        let requester = self.store()
            .get_user(actor.workspace_id, r.requester_id)
            .await?
            .filter(|u| u.usable_at(now))
            .ok_or_else(|| {
                AppError::conflict(
                    ConflictCode::AccessRequestRequesterGone,
                    "the person who asked is deactivated or their access has ended; decline the request",
                )
            })?;
        let until =
            self.membership_end(&requester, r.role, Some(now.plus_seconds(r.duration_secs)))?;
        self.record_decision(actor, r.id, AccessRequestState::Approved, now, None, until)
            .await?;
        self.store()
            .upsert_member(&MemberRow {
                workspace_id: actor.workspace_id,
                account_id: r.account_id,
                user_id: r.requester_id,
                role: r.role,
                added_by: actor.user_id,
                added_at: now,
                expires_at: until,
            })
            .await?;
        self.audit(
            actor,
            Event::new(AuditAction::AccessRequestApprove)
                .target(AuditTarget::Account, r.account_id)
                .detail(serde_json::json!({
                    "request_id": r.id.to_string(),
                    "user_id": r.requester_id,
                    "email": requester.email,
                    "role": r.role,
                    "expires_at": until.map(Timestamp::to_rfc3339),
                })),
        )
        .await?;
        self.decided_view(actor, r.id).await
    }

    /// Declines a request, with an optional note the requester sees.
    pub async fn decline_access_request(
        &self,
        actor: &Actor,
        id: EventId,
        note: Option<String>,
    ) -> Result<AccessRequestInfo> {
        let v = self.request_to_decide(actor, id).await?;
        let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
        if note
            .as_ref()
            .is_some_and(|n| n.chars().count() > MAX_REASON)
        {
            return Err(AppError::invalid(
                InvalidCode::AccessRequestInvalidNote,
                format!("keep the note under {MAX_REASON} characters"),
            ));
        }
        let r = &v.request;
        let at = self.now();
        self.record_decision(
            actor,
            r.id,
            AccessRequestState::Declined,
            at,
            note.clone(),
            None,
        )
        .await?;
        self.audit(
            actor,
            Event::new(AuditAction::AccessRequestDecline)
                .target(AuditTarget::Account, r.account_id)
                .detail(serde_json::json!({
                    "request_id": r.id.to_string(),
                    "user_id": r.requester_id,
                    "role": r.role,
                    "note": note,
                })),
        )
        .await?;
        self.decided_view(actor, r.id).await
    }

    /// Stores the actor's decision on a pending request; someone else
    /// deciding it first is the `decided()` conflict.
    async fn record_decision(
        &self,
        actor: &Actor,
        id: EventId,
        state: AccessRequestState,
        at: Timestamp,
        note: Option<String>,
        grant_expires_at: Option<Timestamp>,
    ) -> Result<()> {
        let decision = AccessDecision {
            state,
            by: actor.user_id,
            at,
            note,
            grant_expires_at,
        };
        if self
            .store()
            .decide_access_request(actor.workspace_id, id, &decision)
            .await?
        {
            Ok(())
        } else {
            Err(decided())
        }
    }

    async fn decided_view(&self, actor: &Actor, id: EventId) -> Result<AccessRequestInfo> {
        let v = self
            .store()
            .get_access_request(actor.workspace_id, id)
            .await?
            .ok_or(AppError::NotFound(Entity::AccessRequest))?;
        Ok(info(&v, actor.user_id, false))
    }
}

fn decided() -> AppError {
    AppError::conflict(
        ConflictCode::AccessRequestDecided,
        "this request was already approved or declined",
    )
}
