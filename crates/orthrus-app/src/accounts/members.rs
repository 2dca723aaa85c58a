//! An account's members: who holds which account role, until when, and the
//! guard that an account always keeps an Owner.

use super::*;
use crate::AuditAction;
use crate::audit::Event;
use crate::{Action, Actor, App, AppError, Entity, Result};
use crate::{ConflictCode, InvalidCode};
use orthrus_core::AuditTarget;
use orthrus_core::{AccountId, AccountRole, UserId};
use orthrus_store::MemberRow;

impl App {
    pub async fn list_members(&self, actor: &Actor, id: AccountId) -> Result<Vec<MemberInfo>> {
        let (a, _) = self.account_for(actor, id).await?;
        self.members(actor, a.id).await
    }

    /// Adds a member or changes their role, with no end.
    pub async fn set_member(
        &self,
        actor: &Actor,
        id: AccountId,
        user_id: &str,
        role: AccountRole,
    ) -> Result<MemberInfo> {
        self.set_member_until(actor, id, user_id, role, None).await
    }

    /// Adds a member or changes their role; with `until`, the membership
    /// ends then (time-boxed access).
    pub async fn set_member_until(
        &self,
        actor: &Actor,
        id: AccountId,
        user_id: &str,
        role: AccountRole,
        until: Option<orthrus_core::Timestamp>,
    ) -> Result<MemberInfo> {
        let (a, subject) = self.account_for(actor, id).await?;
        // The policy first: nothing about the user is read for a caller who
        // may not give this role at all.
        self.check_subject(actor, subject, Action::ManageMembers { role })?;
        let uid: UserId = user_id
            .parse()
            .map_err(|_| AppError::NotFound(Entity::User))?;
        let user = self
            .store()
            .get_user(actor.workspace_id, uid)
            .await?
            .ok_or(AppError::NotFound(Entity::User))?;
        let now = self.now();
        if !user.usable_at(now) {
            return Err(AppError::invalid(
                InvalidCode::MemberInactiveUser,
                "that user is deactivated, or their access has ended",
            ));
        }
        let until = self.membership_end(&user, role, until)?;
        // Their own membership still in force (a team's role is the team's).
        let current = self
            .store()
            .direct_member(actor.workspace_id, a.id, uid)
            .await?
            .filter(|m| m.expires_at.is_none_or(|end| end > now))
            .map(|m| m.role);
        if let Some(c) = current {
            self.check_subject(actor, subject, Action::ManageMembers { role: c })?;
            if c.is_owner() && !role.is_owner() {
                self.ensure_other_account_owner(actor, a.id, uid, OwnerLeft::Any)
                    .await?;
            }
        }
        if role.is_owner() && until.is_some() {
            self.ensure_other_account_owner(actor, a.id, uid, OwnerLeft::Lasting)
                .await?;
        }
        self.store()
            .upsert_member(&MemberRow {
                workspace_id: actor.workspace_id,
                account_id: a.id,
                user_id: uid,
                role,
                added_by: actor.user_id,
                added_at: now,
                expires_at: until,
            })
            .await?;
        if current.is_some_and(|c| c != role) {
            // Another role (perhaps less): their waiters on every node check again.
            self.access_narrowed(actor.workspace_id, &[uid]).await;
        }
        let action = if current.is_some() {
            AuditAction::AccountMemberRoleChange
        } else {
            AuditAction::AccountMemberAdd
        };
        self.audit(actor, Event::new(action).target(AuditTarget::Account, a.id).detail(serde_json::json!({"user_id": uid, "email": user.email, "role": role, "previous": current, "expires_at": until.map(|t| t.to_rfc3339())}))).await?;
        Ok(MemberInfo {
            user_id: uid.to_string(),
            email: user.email,
            name: user.name,
            role,
            added_at: now.to_rfc3339(),
            expires_at: until.map(|t| t.to_rfc3339()),
        })
    }

    /// Refuses a change that would leave the account without another Owner
    /// than `except` (with `OwnerLeft::Lasting`: another Owner whose access
    /// does not end), so the account is never left without one.
    async fn ensure_other_account_owner(
        &self,
        actor: &Actor,
        account: AccountId,
        except: UserId,
        need: OwnerLeft,
    ) -> Result<()> {
        let others: Vec<_> = self
            .store()
            .list_members(actor.workspace_id, account, self.now())
            .await?
            .into_iter()
            .filter(|m| m.member.role.is_owner() && m.member.user_id != except)
            .collect();
        let (ok, message) = match need {
            OwnerLeft::Any => (!others.is_empty(), "an account needs at least one Owner"),
            OwnerLeft::Lasting => (
                others.iter().any(|m| m.member.expires_at.is_none()),
                "an account needs an Owner whose access does not end: add one before giving this Owner an end",
            ),
        };
        if ok {
            Ok(())
        } else {
            Err(AppError::conflict(ConflictCode::MemberLastOwner, message))
        }
    }

    /// Removes a member.
    pub async fn remove_member(&self, actor: &Actor, id: AccountId, uid: UserId) -> Result<()> {
        let (a, subject) = self.account_for(actor, id).await?;
        // The person's own membership: a role they hold through a team is
        // the team's (taken back on the account's Teams), not removed here.
        let current = self
            .store()
            .direct_member(actor.workspace_id, a.id, uid)
            .await?
            .map(|m| m.role)
            .ok_or(AppError::NotFound(Entity::Member))?;
        self.check_subject(actor, subject, Action::ManageMembers { role: current })?;
        if current.is_owner() {
            self.ensure_other_account_owner(actor, a.id, uid, OwnerLeft::Any)
                .await?;
        }
        self.store()
            .remove_member(actor.workspace_id, a.id, uid)
            .await?;
        // Their inbox waits and live streams, on every node, check again.
        self.access_narrowed(actor.workspace_id, &[uid]).await;
        self.audit(
            actor,
            Event::new(AuditAction::AccountMemberRemove)
                .target(AuditTarget::Account, a.id)
                .detail(serde_json::json!({"user_id": uid, "role": current})),
        )
        .await?;
        // The member is gone either way; a rotation that cannot be queued
        // is logged, not reported as a failed removal.
        if let Err(e) = self
            .rotate_after_leave(actor, uid, orthrus_core::WorkspaceRole::User, Some(a.id))
            .await
        {
            tracing::warn!(account = %a.id, error = %e, "could not queue the rotation after a member left");
        }
        Ok(())
    }
}

/// Which other Owner an account must keep when one Owner's membership
/// changes or ends.
#[derive(Clone, Copy)]
enum OwnerLeft {
    /// Any other Owner.
    Any,
    /// Another Owner whose access does not end.
    Lasting,
}
