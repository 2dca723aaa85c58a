//! A rotation's new password, kept *pending* (sealed) from before the app
//! is told until a fresh sign-in with it worked. A run stopped in between
//! (a node killed, a worker that lost its lease) leaves it for the next run
//! of the job, or a later rotation, to type again or to find the app holds.

use crate::AuditAction;
use crate::ConflictCode;
use crate::audit::Event;
use crate::{Action, Actor, App, AppError, Entity, Result};
use orthrus_core::AuditTarget;
use orthrus_core::SecretString;

impl App {
    /// For a rotation: a new password under the default policy, kept
    /// sealed as the account's *pending* password before the app is told,
    /// so a crash after the app accepted it loses nothing. The current
    /// password is untouched until [`App::promote_pending_password`].
    ///
    /// A pending password already there (a run of this or an earlier job
    /// stopped after making it, perhaps after the app took it) is used
    /// again, never replaced: every run that may reach the app types the
    /// same one, so whichever of them the app took, Orthrus holds it.
    pub async fn begin_password_rotation(
        &self,
        actor: &Actor,
        id: orthrus_core::AccountId,
    ) -> Result<SecretString> {
        let a = self
            .account_allowing(actor, id, Action::EditCredentials)
            .await?;
        let rid = a.id.to_string();
        let current = self.open("accounts", &rid, "password", &a.password)?;
        // A few turns at most: each lost race leaves a pending password
        // to take, unless it was promoted in between.
        for _ in 0..3 {
            if let Some(sealed) = self
                .store()
                .pending_password(actor.workspace_id, a.id)
                .await?
            {
                let p = self.open("accounts", &rid, "pending_password", &sealed)?;
                if p.expose() == current.expose() {
                    // Promoted already (a run stopped before clearing it):
                    // nothing to keep, and the app wants a new one.
                    self.store()
                        .clear_pending_password(actor.workspace_id, a.id, &sealed)
                        .await?;
                    continue;
                }
                self.audit(
                    actor,
                    Event::new(AuditAction::AutomationPasswordPending)
                        .target(AuditTarget::Account, a.id)
                        .detail(serde_json::json!({"reused": true})),
                )
                .await?;
                return Ok(p);
            }
            let policy = self.rotation_policy(actor.workspace_id, a.id).await?;
            let new = self.generate_password(&policy)?;
            let sealed = self.seal("accounts", &rid, "pending_password", &new)?;
            if self
                .store()
                .put_pending_password(actor.workspace_id, a.id, &sealed)
                .await?
            {
                self.audit(
                    actor,
                    Event::new(AuditAction::AutomationPasswordPending)
                        .target(AuditTarget::Account, a.id),
                )
                .await?;
                return Ok(SecretString::new(new));
            }
        }
        Err(AppError::conflict(
            ConflictCode::AutomationPendingPasswordRace,
            "the account's pending password keeps changing: try the rotation again",
        ))
    }

    /// For a rotation whose sign-in with the current password was refused:
    /// the pending password, if there is one (the app may hold it).
    pub async fn pending_rotation_password(
        &self,
        actor: &Actor,
        id: orthrus_core::AccountId,
    ) -> Result<Option<SecretString>> {
        let a = self
            .account_allowing(actor, id, Action::EditCredentials)
            .await?;
        self.store()
            .pending_password(actor.workspace_id, a.id)
            .await?
            .map(|s| self.open("accounts", &a.id.to_string(), "pending_password", &s))
            .transpose()
    }

    /// The app explicitly refused `tried`, the new password run `job`
    /// typed (its password policy, a blocklist, a length limit), so the
    /// old one still works: the pending password is cleared, but only
    /// while it is `tried` (another pending password, which the app may
    /// hold, is left alone), and the next rotation makes a fresh one under
    /// the account's policy. Audited `automation.password_discarded`; true
    /// when it was cleared, false when there was nothing of `tried` to
    /// clear.
    pub async fn discard_pending_password(
        &self,
        actor: &Actor,
        id: orthrus_core::AccountId,
        tried: &SecretString,
        job: orthrus_core::EventId,
    ) -> Result<bool> {
        let a = self
            .account_allowing(actor, id, Action::EditCredentials)
            .await?;
        let rid = a.id.to_string();
        // A few turns at most: a master key rotation may seal it anew
        // between the read and the clear.
        for _ in 0..3 {
            let Some(sealed) = self
                .store()
                .pending_password(actor.workspace_id, a.id)
                .await?
            else {
                return Ok(false);
            };
            let p = self.open("accounts", &rid, "pending_password", &sealed)?;
            if p.expose() != tried.expose() {
                return Ok(false);
            }
            if self
                .store()
                .clear_pending_password(actor.workspace_id, a.id, &sealed)
                .await?
            {
                self.audit(
                    actor,
                    Event::new(AuditAction::AutomationPasswordDiscarded)
                        .target(AuditTarget::Account, a.id)
                        .detail(serde_json::json!({"job_id": job.to_string()})),
                )
                .await?;
                return Ok(true);
            }
        }
        Err(AppError::conflict(
            ConflictCode::AutomationPendingPasswordRace,
            "the account's pending password keeps changing: try the rotation again",
        ))
    }

    /// The app accepted the pending password `tried` and a fresh sign-in
    /// with it worked: it becomes the account's password (the old one goes
    /// to the history) and the pending one is cleared. Done already (by
    /// another run of the job) is fine; a different pending password than
    /// `tried` is not promoted. `recovered`: found by signing in with it
    /// after the current one was refused (audited as such).
    pub async fn promote_pending_password(
        &self,
        actor: &Actor,
        id: orthrus_core::AccountId,
        tried: &SecretString,
        recovered: bool,
    ) -> Result<()> {
        let a = self
            .account_allowing(actor, id, Action::EditCredentials)
            .await?;
        let rid = a.id.to_string();
        let Some(sealed) = self
            .store()
            .pending_password(actor.workspace_id, a.id)
            .await?
        else {
            let current = self.open("accounts", &rid, "password", &a.password)?;
            if current.expose() == tried.expose() {
                return Ok(());
            }
            return Err(AppError::NotFound(Entity::PendingPassword));
        };
        let new = self.open("accounts", &rid, "pending_password", &sealed)?;
        if new.expose() != tried.expose() {
            return Err(AppError::conflict(
                ConflictCode::AutomationPendingPasswordChanged,
                "the account's pending password is not the one this run typed",
            ));
        }
        self.update_account(
            actor,
            id,
            crate::AccountPatch {
                version: a.version,
                password: Some(new),
                ..Default::default()
            },
        )
        .await?;
        // Cleared only while it is still this password (a master key
        // rotation may have sealed it anew meanwhile).
        let mut sealed = sealed;
        for _ in 0..3 {
            if self
                .store()
                .clear_pending_password(actor.workspace_id, a.id, &sealed)
                .await?
            {
                break;
            }
            match self
                .store()
                .pending_password(actor.workspace_id, a.id)
                .await?
            {
                Some(s)
                    if self
                        .open("accounts", &rid, "pending_password", &s)?
                        .expose()
                        == tried.expose() =>
                {
                    sealed = s;
                }
                _ => break,
            }
        }
        let e =
            Event::new(AuditAction::AutomationPasswordRotated).target(AuditTarget::Account, a.id);
        let e = if recovered {
            e.detail(serde_json::json!({"recovered_pending": true}))
        } else {
            e
        };
        self.audit(actor, e).await
    }
}
