//! Revealing an account's password, a secret field or the password history:
//! each needs the right role and a fresh step-up, and is audited.

use crate::AuditAction;
use crate::audit::Event;
use crate::{Action, Actor, App, AppError, Entity, Result};
use orthrus_core::AuditOutcome;
use orthrus_core::AuditTarget;
use orthrus_core::SecretString;

impl App {
    /// Reveals (or, with `copy`, hands over for the clipboard) the password.
    /// Needs step-up; both are audited, including refusals.
    pub async fn reveal_password(
        &self,
        actor: &Actor,
        id: orthrus_core::AccountId,
        copy: bool,
    ) -> Result<SecretString> {
        let (a, subject) = self.account_for(actor, id).await?;
        let action = if copy {
            AuditAction::AccountPasswordCopy
        } else {
            AuditAction::AccountPasswordReveal
        };
        if let Err(e) = self.check_subject(actor, subject, Action::RevealPassword) {
            self.audit(
                actor,
                Event::new(action)
                    .target(AuditTarget::Account, a.id)
                    .outcome(AuditOutcome::Denied)
                    .detail(serde_json::json!({"reason": e.code()})),
            )
            .await?;
            return Err(e);
        }
        let pw = self.open("accounts", &a.id.to_string(), "password", &a.password)?;
        self.audit(actor, Event::new(action).target(AuditTarget::Account, a.id))
            .await?;
        Ok(pw)
    }

    /// Reveals a secret custom field (step-up, audited).
    pub async fn reveal_field(
        &self,
        actor: &Actor,
        id: orthrus_core::AccountId,
        field_id: orthrus_core::FieldId,
    ) -> Result<SecretString> {
        let a = self
            .account_allowing(actor, id, Action::ViewSecretFields)
            .await?;
        let f = self
            .store()
            .list_fields(actor.workspace_id, a.id)
            .await?
            .into_iter()
            .find(|f| f.id == field_id)
            .ok_or(AppError::NotFound(Entity::Field))?;
        let value = match (&f.value_sealed, &f.value_text) {
            (Some(s), _) => self.open("account_fields", &f.id.to_string(), "value", s)?,
            (None, Some(t)) => SecretString::new(t.clone()),
            (None, None) => SecretString::default(),
        };
        self.audit(
            actor,
            Event::new(AuditAction::AccountFieldReveal)
                .target(AuditTarget::Account, a.id)
                .detail(serde_json::json!({"field": f.name})),
        )
        .await?;
        Ok(value)
    }

    /// Reveals an earlier password from the history (step-up, audited).
    pub async fn reveal_history(
        &self,
        actor: &Actor,
        id: orthrus_core::AccountId,
        entry_id: orthrus_core::EventId,
    ) -> Result<SecretString> {
        let a = self
            .account_allowing(actor, id, Action::RevealPassword)
            .await?;
        let h = self
            .store()
            .list_password_history(actor.workspace_id, a.id)
            .await?
            .into_iter()
            .find(|h| h.id == entry_id)
            .ok_or(AppError::NotFound(Entity::HistoryEntry))?;
        let pw = self.open(
            "password_history",
            &h.id.to_string(),
            "password",
            &h.password,
        )?;
        self.audit(
            actor,
            Event::new(AuditAction::AccountPasswordHistoryReveal)
                .target(AuditTarget::Account, a.id),
        )
        .await?;
        Ok(pw)
    }
}
