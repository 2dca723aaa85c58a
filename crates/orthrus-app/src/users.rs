//! Users, their workspace roles, deactivation and unlock, and the workspace's
//! security settings.

use crate::AuditAction;
use crate::audit::Event;
use crate::{Action, Actor, App, AppError, Entity, Result, normalize_email};
use crate::{ConflictCode, InvalidCode};
use orthrus_core::AuditTarget;
use orthrus_core::{Timestamp, UserId, WorkspaceId, WorkspaceRole};
use orthrus_store::{UserRow, WorkspaceRow};
use serde::{Deserialize, Serialize};

/// A user as admins see them.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UserInfo {
    pub id: String,
    pub email: String,
    pub name: String,
    #[schema(value_type = crate::schema::WorkspaceRoleName, example = "user")]
    pub role: WorkspaceRole,
    pub active: bool,
    pub two_factor: bool,
    pub created_at: String,
    /// For a guest: when their access ends (RFC 3339); null for others.
    pub access_expires_at: Option<String>,
}

impl From<UserRow> for UserInfo {
    fn from(u: UserRow) -> Self {
        Self {
            id: u.id.to_string(),
            email: u.email,
            name: u.name,
            role: u.role,
            active: u.active,
            two_factor: u.totp_enabled,
            created_at: u.created_at.to_rfc3339(),
            access_expires_at: u.access_expires_at.map(|t| t.to_rfc3339()),
        }
    }
}

/// Input for a new user.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: WorkspaceRole,
    pub password: orthrus_core::SecretString,
    /// When a guest's access ends (required for guests, refused for others).
    pub access_expires_at: Option<Timestamp>,
}

/// The workspace's security policy.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct WorkspaceSettings {
    pub name: String,
    pub require_2fa: bool,
    pub step_up_minutes: i64,
    /// Exports and critical accounts' backup codes need a second approver.
    pub two_person_rule: bool,
    /// Inbox messages are deleted after this many days.
    pub inbox_retention_days: i64,
}

impl App {
    /// Creates a user in the actor's workspace.
    pub async fn create_user(&self, actor: &Actor, new: NewUser) -> Result<UserInfo> {
        self.check(
            actor,
            Action::ManageUser {
                current: None,
                new: new.role,
            },
        )?;
        let access_expires_at = self.access_end_for(new.role, new.access_expires_at)?;
        let email = normalize_email(&new.email)?;
        let row = UserRow {
            access_expires_at,
            ..self
                .new_user_row(
                    actor.workspace_id,
                    &email,
                    &new.name,
                    new.role,
                    new.password.expose(),
                )
                .await?
        };
        self.insert_user(&row, &email).await?;
        self.audit(
            actor,
            Event::new(AuditAction::UserCreate)
                .target(AuditTarget::User, row.id)
                .detail(serde_json::json!({"email": email, "role": new.role, "access_expires_at": access_expires_at.map(|t| t.to_rfc3339())})),
        )
        .await?;
        Ok(row.into())
    }

    /// `orthrus admin create-user`: direct database access, no actor. Creates
    /// the default workspace when the database is empty.
    pub async fn create_user_local(
        &self,
        email: &str,
        role: WorkspaceRole,
        password: &str,
    ) -> Result<UserInfo> {
        // A guest needs an end date: create guests through the API or UI.
        self.access_end_for(role, None)?;
        let email = normalize_email(email)?;
        let workspaces = self.store().list_workspaces().await?;
        let ws = match workspaces.first() {
            Some(w) => w.id,
            None => {
                let w = WorkspaceRow {
                    id: WorkspaceId::new(self.inner.clock.as_ref(), self.rng()),
                    name: "Default".into(),
                    require_2fa: false,
                    step_up_minutes: 10,
                    created_at: self.now(),
                };
                self.store().create_workspace(&w).await?;
                w.id
            }
        };
        let row = self.new_user_row(ws, &email, "", role, password).await?;
        self.insert_user(&row, &email).await?;
        self.audit_raw(
            ws,
            None,
            Some("local"),
            Event::new(AuditAction::UserCreate)
                .target(AuditTarget::User, row.id)
                .detail(serde_json::json!({"email": email, "role": role, "via": "cli"})),
        )
        .await?;
        Ok(row.into())
    }

    /// Stores a new user; an email already taken is `user.exists`.
    async fn insert_user(&self, row: &UserRow, email: &str) -> Result<()> {
        self.store().create_user(row).await.map_err(|e| match e {
            orthrus_store::StoreError::Conflict(_) => AppError::conflict(
                ConflictCode::UserExists,
                format!("a user with the email {email} already exists"),
            ),
            e => e.into(),
        })
    }

    /// A user of the actor's workspace whom the actor may manage without
    /// changing their role (deactivate, reactivate, unlock, reset 2FA).
    async fn user_to_manage(&self, actor: &Actor, id: UserId) -> Result<UserRow> {
        let target = self.target_user(actor, id).await?;
        self.check(
            actor,
            Action::ManageUser {
                current: Some(target.role),
                new: target.role,
            },
        )?;
        Ok(target)
    }

    /// The settings view of the workspace row `ws`.
    async fn settings_of(&self, actor: &Actor, ws: WorkspaceRow) -> Result<WorkspaceSettings> {
        Ok(WorkspaceSettings {
            name: ws.name,
            require_2fa: ws.require_2fa,
            step_up_minutes: ws.step_up_minutes,
            two_person_rule: self.store().two_person_rule(actor.workspace_id).await?,
            inbox_retention_days: self.inbox_retention_days(actor).await?,
        })
    }

    pub async fn list_users(&self, actor: &Actor) -> Result<Vec<UserInfo>> {
        self.check(actor, Action::ListUsers)?;
        Ok(self
            .store()
            .list_users(actor.workspace_id)
            .await?
            .into_iter()
            .map(UserInfo::from)
            .collect())
    }

    async fn target_user(&self, actor: &Actor, id: UserId) -> Result<UserRow> {
        self.store()
            .get_user(actor.workspace_id, id)
            .await?
            .ok_or(AppError::NotFound(Entity::User))
    }

    /// Changes a user's workspace role. The last active Owner cannot be demoted.
    pub async fn set_user_role(
        &self,
        actor: &Actor,
        id: UserId,
        role: WorkspaceRole,
    ) -> Result<UserInfo> {
        let target = self.target_user(actor, id).await?;
        self.check(
            actor,
            Action::ManageUser {
                current: Some(target.role),
                new: role,
            },
        )?;
        if target.role != role && (target.role.access_must_end() || role.access_must_end()) {
            return Err(AppError::invalid(
                InvalidCode::UserGuestRoleFixed,
                "a guest stays a guest: invite the person again with the role they need",
            ));
        }
        if target.role.is_owner() && !role.is_owner() {
            self.ensure_another_owner(actor.workspace_id, target.id)
                .await?;
        }
        self.store()
            .set_user_role(actor.workspace_id, target.id, role, self.now())
            .await?;
        self.access_changed(actor.workspace_id, target.id);
        if target.role != role {
            // The SCIM token they made ends with their Owner rights.
            self.revoke_scim_token_of(actor.workspace_id, target.id, "creator_role_changed")
                .await?;
        }
        self.audit(
            actor,
            Event::new(AuditAction::UserRoleChange)
                .target(AuditTarget::User, target.id)
                .detail(serde_json::json!({"from": target.role, "to": role})),
        )
        .await?;
        Ok(UserInfo {
            role,
            ..target.into()
        })
    }

    /// Reactivates a user with no grant at all: whatever was given while
    /// they were inactive (a directory's group, an account's member list)
    /// goes too, so a reactivation never brings access back; it is given
    /// again afterwards.
    pub(crate) async fn reactivate_without_grants(
        &self,
        ws: WorkspaceId,
        user: UserId,
        now: Timestamp,
    ) -> Result<()> {
        self.store().remove_user_grants(ws, user).await?;
        self.store().set_user_active(ws, user, true, now).await?;
        self.access_changed(ws, user);
        Ok(())
    }

    pub(crate) async fn ensure_another_owner(&self, ws: WorkspaceId, except: UserId) -> Result<()> {
        let others = self
            .store()
            .list_users(ws)
            .await?
            .into_iter()
            .filter(|u| u.id != except && u.active && u.role.is_owner())
            .count();
        if others == 0 {
            return Err(AppError::conflict(
                ConflictCode::UserLastOwner,
                "the workspace needs at least one active Owner",
            ));
        }
        Ok(())
    }

    /// Deactivates a user: their sessions and API tokens end at once, the
    /// member-left rotations are queued, and their grants (account and
    /// team memberships) are removed, as SCIM deprovisioning does: a
    /// reactivated user starts with no access.
    pub async fn deactivate_user(&self, actor: &Actor, id: UserId) -> Result<UserInfo> {
        let target = self.user_to_manage(actor, id).await?;
        if target.id == actor.user_id {
            return Err(AppError::invalid(
                InvalidCode::UserSelfDeactivate,
                "you cannot deactivate yourself",
            ));
        }
        if target.role.is_owner() {
            self.ensure_another_owner(actor.workspace_id, target.id)
                .await?;
        }
        let now = self.now();
        self.store()
            .set_user_active(actor.workspace_id, target.id, false, now)
            .await?;
        self.access_changed(actor.workspace_id, target.id);
        self.store()
            .revoke_user_credentials(actor.workspace_id, target.id, now)
            .await?;
        self.access_changed(actor.workspace_id, target.id);
        let removed = self.end_grants(actor, &target).await?;
        self.revoke_scim_token_of(actor.workspace_id, target.id, "creator_deactivated")
            .await?;
        self.audit(
            actor,
            Event::new(AuditAction::UserDeactivate)
                .target(AuditTarget::User, target.id)
                .detail(serde_json::json!({
                    "accounts_left": removed.accounts.len(),
                    "teams_left": removed.teams.len(),
                })),
        )
        .await?;
        Ok(UserInfo {
            active: false,
            ..target.into()
        })
    }

    pub async fn reactivate_user(&self, actor: &Actor, id: UserId) -> Result<UserInfo> {
        let target = self.user_to_manage(actor, id).await?;
        self.reactivate_without_grants(actor.workspace_id, target.id, self.now())
            .await?;
        self.audit(
            actor,
            Event::new(AuditAction::UserReactivate).target(AuditTarget::User, target.id),
        )
        .await?;
        Ok(UserInfo {
            active: true,
            ..target.into()
        })
    }

    /// Lifts a sign-in lockout.
    pub async fn unlock_user(&self, actor: &Actor, id: UserId) -> Result<()> {
        let target = self.user_to_manage(actor, id).await?;
        let (email_key, _) = self.throttle_keys(&target.email, "");
        self.store().clear_throttle(&email_key).await?;
        self.audit(
            actor,
            Event::new(AuditAction::UserUnlock).target(AuditTarget::User, target.id),
        )
        .await
    }

    /// Clears a user's own 2FA (lost phone); they must set it up again.
    pub async fn reset_user_2fa(&self, actor: &Actor, id: UserId) -> Result<()> {
        let target = self.user_to_manage(actor, id).await?;
        self.require_step_up(actor)?;
        self.clear_user_2fa(actor.workspace_id, target.id).await?;
        self.audit(
            actor,
            Event::new(AuditAction::UserTwoFactorReset).target(AuditTarget::User, target.id),
        )
        .await
    }

    /// The workspace's settings (anyone signed in may read them).
    pub async fn workspace_settings(&self, actor: &Actor) -> Result<WorkspaceSettings> {
        let ws = self.workspace(actor.workspace_id).await?;
        self.settings_of(actor, ws).await
    }

    pub async fn update_workspace_settings(
        &self,
        actor: &Actor,
        name: Option<String>,
        require_2fa: Option<bool>,
        step_up_minutes: Option<i64>,
    ) -> Result<WorkspaceSettings> {
        self.check(actor, Action::ManageWorkspaceSettings)?;
        let mut ws = self.workspace(actor.workspace_id).await?;
        if let Some(n) = name {
            let n = n.trim();
            if n.is_empty() || n.chars().count() > 100 {
                return Err(AppError::invalid(
                    InvalidCode::WorkspaceInvalidName,
                    "give the workspace a name (up to 100 characters)",
                ));
            }
            ws.name = n.to_owned();
        }
        if let Some(m) = step_up_minutes {
            if !(1..=60).contains(&m) {
                return Err(AppError::invalid(
                    InvalidCode::WorkspaceInvalidStepUp,
                    "step-up lasts between 1 and 60 minutes",
                ));
            }
            ws.step_up_minutes = m;
        }
        if let Some(r) = require_2fa {
            if r && !ws.require_2fa && !actor.totp_enabled {
                return Err(AppError::invalid(
                    InvalidCode::TwoFactorEnrollFirst,
                    "turn on two-factor authentication for yourself before requiring it of everyone",
                ));
            }
            ws.require_2fa = r;
        }
        self.store().update_workspace(&ws).await?;
        self.audit(actor, Event::new(AuditAction::WorkspaceSettingsChange).detail(serde_json::json!({"require_2fa": ws.require_2fa, "step_up_minutes": ws.step_up_minutes, "name": ws.name}))).await?;
        self.settings_of(actor, ws).await
    }
}
