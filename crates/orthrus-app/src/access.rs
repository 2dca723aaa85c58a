//! Time-boxed access and guests (issue 15, items 3 and 5). A membership may
//! end; every access decision reads roles at the clock's now (the store's
//! `member_role`, `get_account_for`, `list_accounts_for_user`), so an ended
//! membership grants nothing even before [`App::expire_access`] deletes it.
//! That sweep (run every minute by `serve`) deletes ended memberships,
//! audits `account.member_expire` and queues the member-left rotation where
//! the account asks for one; it also ends the sessions of guests whose
//! access ended (`user.access_expire`), whom `authenticate` already refuses.

use crate::AuditAction;
use crate::InvalidCode;
use crate::audit::Event;
use crate::{Action, Actor, App, AppError, Entity, Result};
use orthrus_core::AuditTarget;
use orthrus_core::{AccountRole, Subject, Timestamp, UserId, WorkspaceRole};
use orthrus_store::UserRow;

/// Memberships and guests handled per sweep; the rest wait a minute.
const SWEEP_BATCH: i64 = 500;

/// What one sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExpirySweep {
    /// Memberships deleted because they ended.
    pub memberships: usize,
    /// Guests whose access ended and who were signed out everywhere.
    pub guests: usize,
}

impl App {
    /// The end a membership gets: `until` checked (in the future), refused
    /// for a role the user may not hold (a guest is only ever a
    /// Collaborator), and never later than a guest's own end of access.
    pub(crate) fn membership_end(
        &self,
        user: &UserRow,
        role: AccountRole,
        until: Option<Timestamp>,
    ) -> Result<Option<Timestamp>> {
        let holder = Subject {
            workspace_role: user.role,
            account_role: None,
        };
        if !Self::may(holder, Action::HoldAccountRole { role }) {
            return Err(AppError::invalid(
                InvalidCode::MemberGuestCollaboratorOnly,
                format!(
                    "{} is a guest: guests can only be Collaborators, not {}s",
                    user.email,
                    role.label()
                ),
            ));
        }
        if until.is_some_and(|t| t <= self.now()) {
            return Err(AppError::invalid(
                InvalidCode::MemberExpiryPast,
                "the end of access must be in the future",
            ));
        }
        Ok(match user.access_expires_at {
            Some(end) => Some(until.map_or(end, |t| t.min(end))),
            None => until,
        })
    }

    /// The end of access a new user or invitation of `role` gets: required
    /// (and in the future) for guests, refused for everyone else.
    pub(crate) fn access_end_for(
        &self,
        role: WorkspaceRole,
        until: Option<Timestamp>,
    ) -> Result<Option<Timestamp>> {
        match (role.access_must_end(), until) {
            (true, None) => Err(AppError::invalid(
                InvalidCode::GuestEndRequired,
                "a guest needs the date their access ends",
            )),
            (true, Some(t)) if t <= self.now() => Err(AppError::invalid(
                InvalidCode::GuestEndPast,
                "the end of the guest's access must be in the future",
            )),
            (true, Some(t)) => Ok(Some(t)),
            (false, Some(_)) => Err(AppError::invalid(
                InvalidCode::UserEndForGuestsOnly,
                "only guests have an end of access; for the others, end their access to each account",
            )),
            (false, None) => Ok(None),
        }
    }

    /// Changes when a guest's access to the workspace ends (and so the
    /// latest end of their memberships, which are cut to it).
    pub async fn set_guest_access_end(
        &self,
        actor: &Actor,
        id: UserId,
        until: Timestamp,
    ) -> Result<crate::UserInfo> {
        let user = self
            .store()
            .get_user(actor.workspace_id, id)
            .await?
            .ok_or(AppError::NotFound(Entity::User))?;
        self.check(
            actor,
            Action::ManageUser {
                current: Some(user.role),
                new: user.role,
            },
        )?;
        let until = self
            .access_end_for(user.role, Some(until))?
            .unwrap_or(until);
        let now = self.now();
        self.store()
            .set_user_access_end(actor.workspace_id, id, Some(until), now)
            .await?;
        self.access_changed(actor.workspace_id, id);
        // Memberships never outlive the guest's access.
        for (a, _) in self
            .store()
            .list_accounts_for_user(actor.workspace_id, id, now)
            .await?
        {
            if let Some(m) = self
                .store()
                .direct_member(actor.workspace_id, a.id, id)
                .await?
                && m.expires_at.is_none_or(|e| e > until)
            {
                self.store()
                    .upsert_member(&orthrus_store::MemberRow {
                        expires_at: Some(until),
                        ..m
                    })
                    .await?;
            }
        }
        self.audit(
            actor,
            Event::new(AuditAction::UserAccessEndChange)
                .target(AuditTarget::User, id)
                .detail(serde_json::json!({"access_expires_at": until.to_rfc3339()})),
        )
        .await?;
        Ok(UserRow {
            access_expires_at: Some(until),
            ..user
        }
        .into())
    }

    /// The sweep: deletes memberships that ended, audits each
    /// (`account.member_expire`) and queues the member-left rotation on the
    /// accounts that ask for it; signs out everywhere the guests whose
    /// access ended and deactivates them (`user.access_expire`).
    pub async fn expire_access(&self) -> Result<ExpirySweep> {
        let now = self.now();
        let store = self.store();
        let mut done = ExpirySweep::default();
        for m in store.expired_members(now, SWEEP_BATCH).await? {
            // Conditional: a membership renewed meanwhile stays.
            if !store
                .remove_expired_member(m.workspace_id, m.account_id, m.user_id, now)
                .await?
            {
                continue;
            }
            done.memberships += 1;
            let user = store.get_user(m.workspace_id, m.user_id).await?;
            self.audit_raw(
                m.workspace_id,
                None,
                Some("system"),
                Event::new(AuditAction::AccountMemberExpire)
                    .target(AuditTarget::Account, m.account_id)
                    .detail(serde_json::json!({
                        "user_id": m.user_id,
                        "email": user.as_ref().map(|u| u.email.clone()),
                        "role": m.role,
                        "expires_at": m.expires_at.map(Timestamp::to_rfc3339),
                    })),
            )
            .await?;
            // Queued in the name of whoever gave the access (the rotation
            // runs with the rights of the Owner who set the schedule).
            let queued = match self.local_actor(m.added_by, m.workspace_id).await {
                Ok(granter) => {
                    self.rotate_after_leave(
                        &granter,
                        m.user_id,
                        user.as_ref().map_or(WorkspaceRole::User, |u| u.role),
                        Some(m.account_id),
                    )
                    .await
                }
                Err(e) => Err(e),
            };
            if let Err(e) = queued {
                tracing::warn!(account = %m.account_id, error = %e, "could not queue the rotation after a membership ended");
            }
        }
        for u in store.users_past_access_end(now, SWEEP_BATCH).await? {
            // Conditional, as for memberships: the node whose update
            // deactivates the guest does the rest (another node sweeping at
            // the same moment skips them), and an end of access moved
            // meanwhile stays.
            if !store
                .deactivate_expired_user(u.workspace_id, u.id, now)
                .await?
            {
                continue;
            }
            store
                .revoke_user_credentials(u.workspace_id, u.id, now)
                .await?;
            self.access_changed(u.workspace_id, u.id);
            // As at any deactivation: the member-left rotation of every
            // account they could use (teams' included), then no grant left,
            // so moving the end and reactivating gives nothing back.
            self.end_guest_grants(&u).await?;
            done.guests += 1;
            self.audit_raw(
                u.workspace_id,
                None,
                Some("system"),
                Event::new(AuditAction::UserAccessExpire)
                    .target(AuditTarget::User, u.id)
                    .detail(serde_json::json!({
                        "email": u.email,
                        "access_expires_at": u.access_expires_at.map(Timestamp::to_rfc3339),
                    })),
            )
            .await?;
        }
        Ok(done)
    }
}

impl App {
    /// Ends a guest's grants when their access ends. The rotations are
    /// queued in the name of one of the workspace's active Owners (a
    /// rotation runs with the rights of whoever set its schedule anyway);
    /// with none, the grants still go.
    async fn end_guest_grants(&self, guest: &UserRow) -> Result<()> {
        let owner = self
            .store()
            .list_users(guest.workspace_id)
            .await?
            .into_iter()
            .find(|o| o.active && o.role.is_owner() && o.id != guest.id);
        match owner {
            Some(o) => {
                let actor = self.local_actor(o.id, guest.workspace_id).await?;
                self.end_grants(&actor, guest).await?;
            }
            None => {
                self.store()
                    .remove_user_grants(guest.workspace_id, guest.id)
                    .await?;
            }
        }
        Ok(())
    }
}

/// Reads an end of access: RFC 3339, or what a form's
/// `<input type="datetime-local">` sends (`2026-12-12T17:00`, taken as
/// UTC), or a date alone (access lasts through that day, UTC).
pub fn parse_end_time(s: &str) -> Result<Timestamp> {
    let s = s.trim();
    Timestamp::parse_rfc3339(s)
        .or_else(|| Timestamp::parse_rfc3339(&format!("{s}:00Z")))
        .or_else(|| Timestamp::parse_rfc3339(&format!("{s}Z")))
        .or_else(|| {
            Timestamp::parse_rfc3339(&format!("{s}T00:00:00Z")).map(|t| t.plus_seconds(86_400))
        })
        .ok_or_else(|| {
            AppError::invalid(
                InvalidCode::TimeInvalid,
                format!("{s:?} is not a date and time (for example 2026-12-12T17:00:00Z)"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::parse_end_time;

    #[test]
    fn ends_read_from_rfc3339_forms_and_dates() {
        let t = |s| parse_end_time(s).unwrap().to_rfc3339();
        assert_eq!(t("2026-12-12T17:00:00Z"), "2026-12-12T17:00:00.000Z");
        assert_eq!(t("2026-12-12T18:00:00+01:00"), "2026-12-12T17:00:00.000Z");
        assert_eq!(t("2026-12-12T17:00"), "2026-12-12T17:00:00.000Z");
        assert_eq!(t("2026-12-12T17:00:30"), "2026-12-12T17:00:30.000Z");
        assert_eq!(t("2026-12-12"), "2026-12-13T00:00:00.000Z");
        for bad in ["", "tomorrow", "2026-13-01", "12/12/2026"] {
            assert_eq!(
                parse_end_time(bad).unwrap_err().code(),
                "time.invalid",
                "{bad}"
            );
        }
    }
}
