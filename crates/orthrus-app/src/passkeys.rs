//! Passkeys (WebAuthn, via webauthn-rs) as a way to confirm identity
//! (step-up). Registration and each assertion are two steps; the challenge
//! state between them is kept in the database for five minutes, sealed,
//! keyed by the session and the purpose (`passkey_ceremonies`), so the
//! second step may reach any node. It is taken once.

use crate::AuditAction;
use crate::InvalidCode;
use crate::audit::Event;
use crate::{Actor, App, AppError, Entity, Result};
use orthrus_core::AuditOutcome;
use orthrus_core::AuditTarget;
use orthrus_core::{EventId, SessionId, Timestamp};
use orthrus_store::{CeremonyPurpose, CeremonyRow, PasskeyRow};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::OnceLock;
use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Url, Webauthn, WebauthnBuilder,
};

/// A challenge is answered within this many seconds.
const CEREMONY_SECS: i64 = 300;

/// WebAuthn configuration (the ceremonies in flight are in the database).
#[derive(Default)]
pub(crate) struct Passkeys {
    webauthn: OnceLock<std::result::Result<Webauthn, PasskeySetupError>>,
}

/// The AAD of a ceremony's sealed state: its row is `<session>:<purpose>`,
/// as the master-key rotation names it.
fn ceremony_record(session: SessionId, purpose: CeremonyPurpose) -> String {
    format!("{session}:{}", purpose.as_str())
}

fn expired() -> AppError {
    AppError::invalid(
        InvalidCode::PasskeyExpired,
        "the passkey prompt expired; try again",
    )
}

/// A passkey as its owner sees it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PasskeyInfo {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

fn info(p: PasskeyRow) -> PasskeyInfo {
    PasskeyInfo {
        id: p.id.to_string(),
        name: p.name,
        created_at: p.created_at.to_rfc3339(),
        last_used_at: p.last_used_at.map(|t| t.to_rfc3339()),
    }
}

fn unavailable(why: impl ToString) -> AppError {
    AppError::invalid(InvalidCode::PasskeyUnavailable, why.to_string())
}

/// Why passkeys are off on this server (answered `passkey.unavailable`).
#[derive(Debug, thiserror::Error)]
enum PasskeySetupError {
    #[error("bad public URL: {0}")]
    BadPublicUrl(url::ParseError),
    #[error(
        "passkeys need the server to be reached by a host name (such as localhost), not an IP address; set http.public_url"
    )]
    NoHostName,
    /// webauthn-rs refused the relying party (its error, as it debugs).
    #[error("{0}")]
    RelyingParty(String),
}

impl App {
    /// Sets the relying party from the public URL (once). Passkeys need a
    /// host name (e.g. `localhost` or `orthrus.example.com`), not an IP address.
    pub fn configure_passkeys(&self, public_url: &str) {
        let built = (|| {
            let url = Url::parse(public_url).map_err(PasskeySetupError::BadPublicUrl)?;
            let host = url
                .domain()
                .ok_or(PasskeySetupError::NoHostName)?
                .to_owned();
            let refused = |e| PasskeySetupError::RelyingParty(format!("{e:?}"));
            WebauthnBuilder::new(&host, &url)
                .map_err(refused)?
                .rp_name("Orthrus")
                .allow_any_port(true)
                .build()
                .map_err(refused)
        })();
        let _ = self.inner.passkeys.webauthn.set(built);
    }

    fn webauthn(&self) -> Result<&Webauthn> {
        match self.inner.passkeys.webauthn.get() {
            Some(Ok(w)) => Ok(w),
            Some(Err(why)) => Err(unavailable(why)),
            None => Err(unavailable("passkeys are not configured on this server")),
        }
    }

    /// Keeps a ceremony's state until its finish (on any node), replacing
    /// the session's earlier one for the same purpose; expired ones go.
    async fn put_ceremony<T: Serialize>(
        &self,
        session: SessionId,
        purpose: CeremonyPurpose,
        state: &T,
    ) -> Result<()> {
        let now = self.now();
        self.store().purge_passkey_ceremonies(now).await?;
        let json = serde_json::to_vec(state).map_err(|e| AppError::Internal(e.to_string()))?;
        let record = ceremony_record(session, purpose);
        let sealed = self.seal_bytes("passkey_ceremonies", &record, "state", &json)?;
        self.store()
            .put_passkey_ceremony(&CeremonyRow {
                session_id: session,
                purpose,
                sealed,
                created_at: now,
                expires_at: now.plus_seconds(CEREMONY_SECS),
            })
            .await?;
        Ok(())
    }

    /// Takes the session's ceremony for `purpose` (once, before it expires).
    async fn take_ceremony<T: DeserializeOwned>(
        &self,
        session: SessionId,
        purpose: CeremonyPurpose,
    ) -> Result<T> {
        let row = self
            .store()
            .take_passkey_ceremony(session, purpose, self.now())
            .await?
            .ok_or_else(expired)?;
        let record = ceremony_record(session, purpose);
        let json = self.open_bytes("passkey_ceremonies", &record, "state", &row.sealed)?;
        // A state another version wrote (a rolling upgrade) is started again.
        serde_json::from_slice(&json).map_err(|_| expired())
    }

    async fn user_passkeys(&self, actor: &Actor) -> Result<Vec<(PasskeyRow, Passkey)>> {
        self.store()
            .list_passkeys(actor.workspace_id, actor.user_id)
            .await?
            .into_iter()
            .map(|row| {
                let pk: Passkey = serde_json::from_str(&row.credential)
                    .map_err(|e| AppError::Internal(format!("stored passkey: {e}")))?;
                Ok((row, pk))
            })
            .collect()
    }

    pub async fn list_passkeys(&self, actor: &Actor) -> Result<Vec<PasskeyInfo>> {
        Ok(self
            .store()
            .list_passkeys(actor.workspace_id, actor.user_id)
            .await?
            .into_iter()
            .map(info)
            .collect())
    }

    /// Starts registering a passkey (needs a fresh step-up: it adds a way in).
    pub async fn passkey_register_start(&self, actor: &Actor) -> Result<serde_json::Value> {
        let session = actor.session_id().ok_or(AppError::invalid(
            InvalidCode::PasskeyUnsupported,
            "register passkeys from a signed-in browser",
        ))?;
        self.require_step_up(actor)?;
        let existing: Vec<_> = self
            .user_passkeys(actor)
            .await?
            .into_iter()
            .map(|(_, p)| p.cred_id().clone())
            .collect();
        let (challenge, state) = self
            .webauthn()?
            .start_passkey_registration(
                actor.user_id.as_uuid(),
                &actor.email,
                &actor.name,
                Some(existing),
            )
            .map_err(|e| AppError::Internal(format!("webauthn: {e:?}")))?;
        self.put_ceremony(session, CeremonyPurpose::Register, &state)
            .await?;
        serde_json::to_value(challenge).map_err(|e| AppError::Internal(e.to_string()))
    }

    /// Finishes registration with the browser's answer.
    pub async fn passkey_register_finish(
        &self,
        actor: &Actor,
        name: &str,
        credential: serde_json::Value,
    ) -> Result<PasskeyInfo> {
        let session = actor.session_id().ok_or(AppError::invalid(
            InvalidCode::PasskeyUnsupported,
            "register passkeys from a signed-in browser",
        ))?;
        let name = name.trim();
        let name = if name.is_empty() { "Passkey" } else { name };
        let state: PasskeyRegistration = self
            .take_ceremony(session, CeremonyPurpose::Register)
            .await?;
        let cred: RegisterPublicKeyCredential =
            serde_json::from_value(credential).map_err(|e| {
                AppError::invalid(
                    InvalidCode::PasskeyInvalid,
                    format!("the browser's answer is not a passkey registration: {e}"),
                )
            })?;
        let pk = self
            .webauthn()?
            .finish_passkey_registration(&cred, &state)
            .map_err(|e| {
                AppError::invalid(
                    InvalidCode::PasskeyRejected,
                    format!("the passkey was not accepted: {e:?}"),
                )
            })?;
        let row = PasskeyRow {
            id: EventId::new(self.inner.clock.as_ref(), self.rng()),
            workspace_id: actor.workspace_id,
            user_id: actor.user_id,
            name: name.chars().take(100).collect(),
            credential: serde_json::to_string(&pk)
                .map_err(|e| AppError::Internal(e.to_string()))?,
            created_at: self.now(),
            last_used_at: None,
        };
        self.store().create_passkey(&row).await?;
        self.audit(
            actor,
            Event::new(AuditAction::PasskeyRegister)
                .target(AuditTarget::Passkey, row.id)
                .detail(serde_json::json!({"name": row.name})),
        )
        .await?;
        Ok(info(row))
    }

    /// Removes one of the user's passkeys (step-up: a passkey is a way to
    /// confirm identity, so removing one is a security change).
    pub async fn delete_passkey(&self, actor: &Actor, id: EventId) -> Result<()> {
        self.require_step_up(actor)?;
        if !self
            .store()
            .delete_passkey(actor.workspace_id, actor.user_id, id)
            .await?
        {
            return Err(AppError::NotFound(Entity::Passkey));
        }
        self.audit(
            actor,
            Event::new(AuditAction::PasskeyDelete).target(AuditTarget::Passkey, id),
        )
        .await
    }

    /// Starts a passkey step-up for the current session.
    pub async fn passkey_step_up_start(&self, actor: &Actor) -> Result<serde_json::Value> {
        let session = actor.session_id().ok_or(AppError::invalid(
            InvalidCode::StepUpUnsupported,
            "step-up elevates a signed-in session",
        ))?;
        let keys: Vec<Passkey> = self
            .user_passkeys(actor)
            .await?
            .into_iter()
            .map(|(_, p)| p)
            .collect();
        if keys.is_empty() {
            return Err(AppError::invalid(
                InvalidCode::PasskeyNone,
                "you have no passkey yet: add one under My security",
            ));
        }
        let (challenge, state) = self
            .webauthn()?
            .start_passkey_authentication(&keys)
            .map_err(|e| AppError::Internal(format!("webauthn: {e:?}")))?;
        self.put_ceremony(session, CeremonyPurpose::StepUp, &state)
            .await?;
        serde_json::to_value(challenge).map_err(|e| AppError::Internal(e.to_string()))
    }

    /// Finishes a passkey step-up; elevates the session.
    pub async fn passkey_step_up_finish(
        &self,
        actor: &Actor,
        credential: serde_json::Value,
    ) -> Result<Timestamp> {
        let session = actor.session_id().ok_or(AppError::invalid(
            InvalidCode::StepUpUnsupported,
            "step-up elevates a signed-in session",
        ))?;
        let state: PasskeyAuthentication =
            self.take_ceremony(session, CeremonyPurpose::StepUp).await?;
        let cred: PublicKeyCredential = serde_json::from_value(credential).map_err(|e| {
            AppError::invalid(
                InvalidCode::PasskeyInvalid,
                format!("the browser's answer is not a passkey assertion: {e}"),
            )
        })?;
        let result =
            match self
                .webauthn()?
                .finish_passkey_authentication(&cred, &state)
            {
                Ok(r) => r,
                Err(e) => {
                    self.audit(
                    actor,
                    Event::new(AuditAction::AuthStepUp).outcome(AuditOutcome::Failure).detail(
                        serde_json::json!({"method": "passkey", "reason": format!("{e:?}")}),
                    ),
                )
                .await?;
                    return Err(AppError::InvalidCredentials);
                }
            };
        for (row, mut pk) in self.user_passkeys(actor).await? {
            if pk.cred_id() == result.cred_id() {
                pk.update_credential(&result);
                let json =
                    serde_json::to_string(&pk).map_err(|e| AppError::Internal(e.to_string()))?;
                // False only when the passkey was removed meanwhile: the
                // assertion was checked, so the step-up stands.
                self.store()
                    .update_passkey(actor.workspace_id, actor.user_id, row.id, &json, self.now())
                    .await?;
            }
        }
        self.step_up_session(actor, session, "passkey").await
    }
}
