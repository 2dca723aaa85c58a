//! Managed phone numbers and inbound SMS: an admin-configured pool of E.164
//! numbers, one per account; messages arrive through the Twilio webhook
//! (signature checked) or a generic JSON webhook signed with HMAC, and land
//! in the shared inbox with their code pulled out.

use crate::AuditAction;
use crate::audit::Event;
use crate::{Action, Actor, App, AppError, Result};
use crate::{ConflictCode, InvalidCode};
use orthrus_core::AuditTarget;
use orthrus_core::{Channel, EventId};
use orthrus_store::{InboxMessageRow, PhoneNumberRow};
use serde::Serialize;

/// A number of the pool.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PhoneNumber {
    pub id: String,
    pub number: String,
    pub account_id: Option<String>,
}

fn to_view(p: PhoneNumberRow) -> PhoneNumber {
    PhoneNumber {
        id: p.id.to_string(),
        number: p.number,
        account_id: p.account_id.map(|a| a.to_string()),
    }
}

/// `+` and 7 to 15 digits, not starting with 0.
pub fn valid_e164(n: &str) -> bool {
    let digits = n.strip_prefix('+').unwrap_or("");
    (7..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0')
}

impl App {
    /// Adds a number to the workspace's pool (Admins and above).
    pub async fn add_phone_number(&self, actor: &Actor, number: &str) -> Result<PhoneNumber> {
        self.check(actor, Action::ManagePhoneNumbers)?;
        let number: String = number
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if !valid_e164(&number) {
            return Err(AppError::invalid(
                InvalidCode::SmsInvalidNumber,
                "give the number in E.164 form, e.g. +14155550123",
            ));
        }
        let row = PhoneNumberRow {
            id: EventId::new(self.inner.clock.as_ref(), self.rng()),
            workspace_id: actor.workspace_id,
            number,
            account_id: None,
            created_at: self.now(),
        };
        self.store()
            .add_phone_number(&row)
            .await
            .map_err(|e| match e {
                orthrus_store::StoreError::Conflict(_) => AppError::conflict(
                    ConflictCode::SmsNumberExists,
                    "that number is already in a pool",
                ),
                e => e.into(),
            })?;
        self.audit(
            actor,
            Event::new(AuditAction::SmsNumberAdd).detail(serde_json::json!({"number": row.number})),
        )
        .await?;
        Ok(to_view(row))
    }

    pub async fn list_phone_numbers(&self, actor: &Actor) -> Result<Vec<PhoneNumber>> {
        self.check(actor, Action::ManagePhoneNumbers)?;
        Ok(self
            .store()
            .list_phone_numbers(actor.workspace_id)
            .await?
            .into_iter()
            .map(to_view)
            .collect())
    }

    /// Gives the account a number from the pool (account Owner).
    pub async fn assign_phone_number(
        &self,
        actor: &Actor,
        id: orthrus_core::AccountId,
    ) -> Result<PhoneNumber> {
        let a = self
            .account_allowing(actor, id, Action::CreateManagedEmail)
            .await?;
        let row = self
            .store()
            .assign_phone_number(actor.workspace_id, a.id)
            .await?
            .ok_or(AppError::invalid(
                InvalidCode::SmsPoolEmpty,
                "the workspace has no free managed number: an admin adds numbers to the pool first",
            ))?;
        self.audit(
            actor,
            Event::new(AuditAction::AccountPhoneNumberAssign)
                .target(AuditTarget::Account, a.id)
                .detail(serde_json::json!({"number": row.number})),
        )
        .await?;
        Ok(to_view(row))
    }

    /// Checks a Twilio webhook: the signature over the public URL and the form.
    pub fn verify_twilio(&self, url: &str, params: &[(String, String)], signature: &str) -> bool {
        match &self.inner.config.twilio_auth_token {
            Some(token) if !token.is_empty() => orthrus_crypto::constant_time_eq(
                &orthrus_crypto::twilio_signature(token.expose(), url, params),
                signature.trim(),
            ),
            _ => false,
        }
    }

    /// Checks the generic webhook: `sha256=<hex HMAC-SHA256 of the body>`.
    pub fn verify_sms_webhook(&self, body: &[u8], signature: &str) -> bool {
        let ok = match &self.inner.config.sms_webhook_secret {
            Some(secret) if !secret.is_empty() => {
                let given = signature
                    .trim()
                    .strip_prefix("sha256=")
                    .unwrap_or(signature.trim());
                orthrus_crypto::constant_time_eq(
                    &orthrus_crypto::hmac_sha256_hex(secret.expose(), body),
                    given,
                )
            }
            _ => false,
        };
        if !ok {
            self.inner
                .metrics
                .sms_webhooks
                .add(crate::metrics::SmsOutcome::BadSignature);
        }
        ok
    }

    /// Stores an inbound SMS for the account that holds `to`; returns false
    /// for an unknown number or a duplicate `message_id`.
    pub async fn ingest_sms(
        &self,
        from: &str,
        to: &str,
        body: &str,
        message_id: &str,
    ) -> Result<bool> {
        use crate::metrics::SmsOutcome;
        let r = self.ingest_sms_uncounted(from, to, body, message_id).await;
        self.inner.metrics.sms_webhooks.add(match &r {
            Ok(true) => SmsOutcome::Stored,
            Ok(false) => SmsOutcome::Ignored,
            Err(AppError::InboxRateLimited(_) | AppError::InboxStorageFull(_)) => {
                SmsOutcome::OverQuota
            }
            Err(_) => SmsOutcome::Failed,
        });
        r
    }

    async fn ingest_sms_uncounted(
        &self,
        from: &str,
        to: &str,
        body: &str,
        message_id: &str,
    ) -> Result<bool> {
        let Some(number) = self.store().find_phone_number(to.trim()).await? else {
            return Ok(false);
        };
        let Some(account) = number.account_id else {
            return Ok(false);
        };
        let x = orthrus_extract::extract_sms(from, body);
        let id = EventId::new(self.inner.clock.as_ref(), self.rng());
        let sealed = crate::inbox::Sealed {
            subject: None,
            preview: x.text_preview.clone(),
            code: x.code.clone(),
            confirm_link: x.confirm_link.clone(),
            auth: None,
            raw: None,
        };
        let bytes = crate::inbox::pack(&sealed, body.as_bytes())?;
        let row = InboxMessageRow {
            id,
            workspace_id: number.workspace_id,
            account_id: account,
            channel: Channel::Sms,
            recipient: number.number.clone(),
            sender: from.chars().take(64).collect(),
            dedup_key: message_id.chars().take(200).collect(),
            sealed: self.seal_content(id, &bytes)?,
            has_code: x.code.is_some(),
            received_at: self.now(),
            used_at: None,
        };
        // The same rates and quotas as managed addresses (issue 11): the
        // number, then its workspace; refused before anything is stored.
        let size = i64::try_from(row.sealed.len()).unwrap_or(i64::MAX);
        self.inbox_room(number.workspace_id, &number.number, size, true)
            .await?;
        let stored = self.store().insert_message(&row).await?;
        if stored {
            let words = crate::inbox_search::message_words(
                Channel::Sms,
                &row.sender,
                None,
                x.code.as_deref(),
                body.as_bytes(),
            );
            self.index_message(row.workspace_id, row.id, &words).await;
            self.message_arrived(row.workspace_id, row.account_id);
        }
        Ok(stored)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn e164() {
        for ok in ["+14155550123", "+447911123456", "+4930123456"] {
            assert!(super::valid_e164(ok), "{ok}");
        }
        for bad in [
            "14155550123",
            "+0155550123",
            "+1",
            "+1415555012345678",
            "+1415abc0123",
        ] {
            assert!(!super::valid_e164(bad), "{bad}");
        }
    }
}
