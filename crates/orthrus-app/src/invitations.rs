//! Inviting people by email (issue 14), and changing one's own password.
//!
//! An admin invites an address with a workspace role. The invitation is a
//! one-time link (`/invite/{token}`) valid for [`INVITATION_DAYS`]; only the
//! keyed hash of its token is stored. With an outbound relay configured the
//! link is emailed; without one (or when sending fails) it is handed back
//! once, for the admin to pass on. The invitee opens the link, chooses their
//! own name and password, and signs in like anyone else (the workspace's 2FA
//! requirement applies from their first sign-in). Every step is audited.

use crate::AuditAction;
use crate::audit::Event;
use crate::{
    Action, Actor, App, AppError, Entity, OutboundMail, Result, UserInfo, normalize_email,
};
use crate::{ConflictCode, InvalidCode};
use orthrus_core::AuditOutcome;
use orthrus_core::AuditTarget;
use orthrus_core::{EventId, Timestamp, WorkspaceRole};
use orthrus_store::InvitationRow;
use serde::Serialize;

/// Days an invitation link stays valid.
pub const INVITATION_DAYS: i64 = 7;

/// Where an invitation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvitationState {
    /// The link works.
    Pending,
    /// The invitee joined; the link no longer works.
    Accepted,
    /// An admin took it back.
    Revoked,
    /// Not used in time.
    Expired,
}

impl InvitationState {
    pub(crate) fn of(row: &InvitationRow, now: Timestamp) -> Self {
        if row.accepted_at.is_some() {
            Self::Accepted
        } else if row.revoked_at.is_some() {
            Self::Revoked
        } else if row.expires_at <= now {
            Self::Expired
        } else {
            Self::Pending
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Revoked => "revoked",
            Self::Expired => "expired",
        }
    }

    /// Why a link in this state does not work, for the invitee.
    fn refusal(self) -> AppError {
        match self {
            Self::Accepted => AppError::conflict(
                ConflictCode::InvitationUsed,
                "this invitation was already used; sign in with the password you chose",
            ),
            Self::Revoked => AppError::conflict(
                ConflictCode::InvitationRevoked,
                "this invitation was withdrawn; ask whoever invited you for a new one",
            ),
            Self::Expired => AppError::conflict(
                ConflictCode::InvitationExpired,
                format!(
                    "this invitation has expired (links last {INVITATION_DAYS} days); ask whoever invited you for a new one"
                ),
            ),
            Self::Pending => AppError::Internal("a pending invitation is not refused".into()),
        }
    }
}

/// An invitation as admins see it (never its link).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct InvitationInfo {
    pub id: String,
    pub email: String,
    #[schema(value_type = crate::schema::WorkspaceRoleName, example = "user")]
    pub role: WorkspaceRole,
    pub state: InvitationState,
    /// Whether the link was emailed through the outbound relay.
    pub emailed: bool,
    /// The id of the user who invited.
    pub invited_by: String,
    pub created_at: String,
    pub expires_at: String,
    pub accepted_at: Option<String>,
    /// For a guest: when the access of the user it becomes ends (RFC 3339).
    pub access_expires_at: Option<String>,
}

impl InvitationInfo {
    fn from_row(r: &InvitationRow, now: Timestamp) -> Self {
        Self {
            id: r.id.to_string(),
            email: r.email.clone(),
            role: r.role,
            state: InvitationState::of(r, now),
            emailed: r.emailed,
            invited_by: r.invited_by.to_string(),
            created_at: r.created_at.to_rfc3339(),
            expires_at: r.expires_at.to_rfc3339(),
            accepted_at: r.accepted_at.map(Timestamp::to_rfc3339),
            access_expires_at: r.access_expires_at.map(Timestamp::to_rfc3339),
        }
    }
}

/// A new invitation and how it reaches the invitee.
#[derive(Clone, Debug)]
pub struct InvitationSent {
    pub invitation: InvitationInfo,
    /// The one-time link, when it was not emailed: shown once, to copy.
    pub link: Option<String>,
    pub emailed: bool,
}

/// What the invitee sees before accepting.
#[derive(Clone, Debug)]
pub struct InvitationPreview {
    pub email: String,
    pub role: WorkspaceRole,
    pub workspace: String,
    pub state: InvitationState,
}

impl App {
    fn invitation_token_hash(&self, token: &str) -> String {
        self.inner
            .token_hasher
            .hash_parts(&[b"invitation", token.trim().as_bytes()])
    }

    /// Invites `email` with `role`. `link_base` is the server's public URL;
    /// the link is `{link_base}/invite/{token}`. Inviting an address again
    /// withdraws its earlier open invitation.
    pub async fn create_invitation(
        &self,
        actor: &Actor,
        email: &str,
        role: WorkspaceRole,
        link_base: &str,
    ) -> Result<InvitationSent> {
        self.create_invitation_until(actor, email, role, None, link_base)
            .await
    }

    /// Invites someone; a guest's invitation carries the date their access
    /// ends (required for guests, refused for other roles).
    pub async fn create_invitation_until(
        &self,
        actor: &Actor,
        email: &str,
        role: WorkspaceRole,
        access_expires_at: Option<Timestamp>,
        link_base: &str,
    ) -> Result<InvitationSent> {
        self.check(
            actor,
            Action::ManageUser {
                current: None,
                new: role,
            },
        )?;
        let access_expires_at = self.access_end_for(role, access_expires_at)?;
        let email = normalize_email(email)?;
        if self.store().find_user_by_email(&email).await?.is_some() {
            return Err(AppError::conflict(
                ConflictCode::UserExists,
                format!("a user with the email {email} already exists"),
            ));
        }
        let now = self.now();
        for old in self.store().list_invitations(actor.workspace_id).await? {
            if old.email == email && InvitationState::of(&old, now) == InvitationState::Pending {
                self.store()
                    .revoke_invitation(actor.workspace_id, old.id, now)
                    .await?;
                self.audit(
                    actor,
                    Event::new(AuditAction::InvitationRevoke)
                        .target(AuditTarget::Invitation, old.id)
                        .detail(serde_json::json!({"email": email, "reason": "invited again"})),
                )
                .await?;
            }
        }
        let token = orthrus_crypto::new_token("inv", self.rng());
        let link = format!("{}/invite/{token}", link_base.trim_end_matches('/'));
        let workspace = self.workspace(actor.workspace_id).await?;
        let mut emailed = false;
        if let Some(mailer) = self.inner.mailer.get() {
            let mail = OutboundMail {
                to: email.clone(),
                subject: format!(
                    "{} invited you to {} on Orthrus",
                    actor.name, workspace.name
                ),
                text: format!(
                    "Hello,\r\n\r\n{} ({}) invited you to join the workspace {} on Orthrus as {}{}.\r\n\r\nOpen this link to choose your name and password:\r\n{link}\r\n\r\nThe link works once and expires in {INVITATION_DAYS} days. If you did not expect it, ignore this message.\r\n",
                    actor.name,
                    actor.email,
                    workspace.name,
                    role.label(),
                    access_expires_at
                        .map(|t| format!(" until {} (UTC)", t.to_rfc3339()))
                        .unwrap_or_default()
                ),
                attachment: None,
            };
            match mailer.send(mail).await {
                Ok(()) => emailed = true,
                // The admin gets the link to pass on instead.
                Err(e) => {
                    tracing::warn!(error = %e, "could not email an invitation; showing its link");
                }
            }
        }
        let row = InvitationRow {
            id: EventId::new(self.inner.clock.as_ref(), self.rng()),
            workspace_id: actor.workspace_id,
            email: email.clone(),
            role,
            token_hash: self.invitation_token_hash(&token),
            invited_by: actor.user_id,
            emailed,
            created_at: now,
            expires_at: now.plus_seconds(INVITATION_DAYS * 86_400),
            accepted_at: None,
            revoked_at: None,
            user_id: None,
            access_expires_at,
        };
        self.store().create_invitation(&row).await?;
        self.audit(
            actor,
            Event::new(AuditAction::InvitationCreate)
                .target(AuditTarget::Invitation, row.id)
                .detail(serde_json::json!({"email": email, "role": role, "emailed": emailed, "access_expires_at": access_expires_at.map(Timestamp::to_rfc3339)})),
        )
        .await?;
        Ok(InvitationSent {
            invitation: InvitationInfo::from_row(&row, now),
            link: (!emailed).then_some(link),
            emailed,
        })
    }

    /// The workspace's invitations, newest first (for those who may invite).
    pub async fn list_invitations(&self, actor: &Actor) -> Result<Vec<InvitationInfo>> {
        self.check(
            actor,
            Action::ManageUser {
                current: None,
                new: WorkspaceRole::User,
            },
        )?;
        let now = self.now();
        Ok(self
            .store()
            .list_invitations(actor.workspace_id)
            .await?
            .iter()
            .map(|r| InvitationInfo::from_row(r, now))
            .collect())
    }

    /// Withdraws an open invitation: its link stops working.
    pub async fn revoke_invitation(&self, actor: &Actor, id: EventId) -> Result<InvitationInfo> {
        let row = self
            .store()
            .get_invitation(actor.workspace_id, id)
            .await?
            .ok_or(AppError::NotFound(Entity::Invitation))?;
        self.check(
            actor,
            Action::ManageUser {
                current: None,
                new: row.role,
            },
        )?;
        let now = self.now();
        if !self
            .store()
            .revoke_invitation(actor.workspace_id, id, now)
            .await?
        {
            return Err(AppError::conflict(
                ConflictCode::InvitationClosed,
                "this invitation was already used or withdrawn",
            ));
        }
        self.audit(
            actor,
            Event::new(AuditAction::InvitationRevoke)
                .target(AuditTarget::Invitation, id)
                .detail(serde_json::json!({"email": row.email})),
        )
        .await?;
        let row = InvitationRow {
            revoked_at: Some(now),
            ..row
        };
        Ok(InvitationInfo::from_row(&row, now))
    }

    /// The invitation a link's token names; unknown tokens are
    /// `invitation.not_found`.
    async fn invitation_by_token(&self, token: &str) -> Result<InvitationRow> {
        self.store()
            .invitation_by_token_hash(&self.invitation_token_hash(token))
            .await?
            .ok_or(AppError::NotFound(Entity::Invitation))
    }

    /// What an invitation link is for (no sign-in needed: the token is the
    /// credential). Unknown tokens are `invitation.not_found`.
    pub async fn invitation_preview(&self, token: &str) -> Result<InvitationPreview> {
        let row = self.invitation_by_token(token).await?;
        let workspace = self.workspace(row.workspace_id).await?;
        Ok(InvitationPreview {
            state: InvitationState::of(&row, self.now()),
            email: row.email,
            role: row.role,
            workspace: workspace.name,
        })
    }

    /// Accepts an invitation: creates the user with the invited email and
    /// role and the name and password they chose. The link works once.
    pub async fn accept_invitation(
        &self,
        token: &str,
        name: &str,
        password: &str,
        ip: &str,
    ) -> Result<UserInfo> {
        let row = self.invitation_by_token(token).await?;
        let state = InvitationState::of(&row, self.now());
        if state != InvitationState::Pending {
            return Err(state.refusal());
        }
        let now = self.now();
        if row.access_expires_at.is_some_and(|end| end <= now) {
            return Err(AppError::invalid(
                InvalidCode::GuestAccessEnded,
                "the access this invitation offered has already ended; ask for a new one",
            ));
        }
        let user = orthrus_store::UserRow {
            access_expires_at: row.access_expires_at,
            ..self
                .new_user_row(row.workspace_id, &row.email, name, row.role, password)
                .await?
        };
        let accepted = self
            .store()
            .accept_invitation(row.id, &user, now)
            .await
            .map_err(|e| match e {
                orthrus_store::StoreError::Conflict(_) => AppError::conflict(
                    ConflictCode::UserExists,
                    format!(
                        "a user with the email {} already exists; sign in instead",
                        row.email
                    ),
                ),
                e => e.into(),
            })?;
        if !accepted {
            // Used, withdrawn or expired while the form was open.
            let now_row = self
                .store()
                .get_invitation(row.workspace_id, row.id)
                .await?
                .unwrap_or(row);
            let state = match InvitationState::of(&now_row, now) {
                InvitationState::Pending => InvitationState::Expired,
                s => s,
            };
            return Err(state.refusal());
        }
        let who = Some((user.id, row.email.as_str()));
        self.audit_raw(
            row.workspace_id,
            who,
            Some(ip),
            Event::new(AuditAction::UserCreate)
                .target(AuditTarget::User, user.id)
                .detail(
                    serde_json::json!({"email": row.email, "role": row.role, "via": "invitation"}),
                ),
        )
        .await?;
        self.audit_raw(
            row.workspace_id,
            who,
            Some(ip),
            Event::new(AuditAction::InvitationAccept)
                .target(AuditTarget::Invitation, row.id)
                .detail(serde_json::json!({"user_id": user.id.to_string(), "invited_by": row.invited_by.to_string()})),
        )
        .await?;
        Ok(user.into())
    }

    /// Changes the caller's own password after checking the current one.
    /// Their other sessions end (this one stays signed in); API tokens are
    /// separate credentials and stay. Returns how many sessions ended.
    pub async fn change_own_password(
        &self,
        actor: &Actor,
        current: &str,
        new: &str,
    ) -> Result<u64> {
        let (email_key, user) = self.password_recheck(actor).await?;
        if !self.verify_password(current, &user.password_hash).await? {
            self.count_password_failure(&email_key).await?;
            self.audit(
                actor,
                Event::new(AuditAction::UserPasswordChange)
                    .target(AuditTarget::User, actor.user_id)
                    .outcome(AuditOutcome::Failure)
                    .detail(serde_json::json!({"reason": "wrong_current_password"})),
            )
            .await?;
            return Err(AppError::invalid(
                InvalidCode::PasswordWrongCurrent,
                "your current password is not correct",
            ));
        }
        crate::validate_user_password(new)?;
        if current == new {
            return Err(AppError::invalid(
                InvalidCode::PasswordUnchanged,
                "choose a new password different from the current one",
            ));
        }
        let hash = self.hash_password(new).await?;
        let now = self.now();
        self.store()
            .set_user_password(actor.workspace_id, actor.user_id, &hash, now)
            .await?;
        let ended = self
            .store()
            .revoke_other_sessions(actor.workspace_id, actor.user_id, actor.session_id(), now)
            .await?;
        self.access_changed(actor.workspace_id, actor.user_id);
        self.audit(
            actor,
            Event::new(AuditAction::UserPasswordChange)
                .target(AuditTarget::User, actor.user_id)
                .detail(serde_json::json!({"other_sessions_ended": ended})),
        )
        .await?;
        Ok(ended)
    }
}
