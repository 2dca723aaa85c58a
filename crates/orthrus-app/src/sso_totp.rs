//! A user with their own Orthrus TOTP who signs in through the identity
//! provider gives their code too (unless `sso.trust_provider_mfa`), so
//! someone who got into their provider account is still stopped by
//! Orthrus's second factor. The browser's sign-in waits in the database (a
//! `TotpPending` flow row keyed by the hash of a random value the browser
//! keeps in an HttpOnly cookie: used once, five minutes, any node); the
//! CLI's one-time code waits until its exchange carries the code. The code
//! is checked as password sign-in checks it: a replay-protected step or a
//! recovery code, wrong codes counted toward the email's and the address's
//! lockout.

use crate::AuditAction;
use crate::audit::Event;
use crate::sso::{SSO_TOTP_SECS, Sso, SsoClient, SsoError, SsoFinish};
use crate::{App, AppError, Result};
use orthrus_core::AuditOutcome;
use orthrus_store::{SessionKind, SsoFlowKind, SsoFlowRow, UserRow};

impl App {
    pub(crate) fn sso_needs_totp(sso: &Sso, user: &UserRow) -> bool {
        user.totp_enabled && !sso.settings.trust_provider_mfa
    }

    fn totp_pending_hash(&self, token: &str) -> String {
        self.inner
            .token_hasher
            .hash_parts(&[b"sso-totp", token.as_bytes()])
    }

    /// The provider vouched for `user`: hold the sign-in until their code.
    pub(crate) async fn hold_for_totp(&self, user: &UserRow, next: &str) -> Result<SsoFinish> {
        let token = self.random_b64();
        let key_hash = self.totp_pending_hash(&token);
        let row = SsoFlowRow {
            return_to: next.to_owned(),
            ..self.held_flow(user, SsoFlowKind::TotpPending, key_hash, SSO_TOTP_SECS)
        };
        self.store().insert_sso_flow(&row).await?;
        Ok(SsoFinish::TotpNeeded {
            token,
            expires_at: row.expires_at,
        })
    }

    /// The browser's code for a sign-in held by `hold_for_totp` (`token`
    /// from its cookie). A wrong code keeps the sign-in waiting (until the
    /// lockout or its expiry); the right one ends it with a session.
    pub async fn sso_finish_totp(
        &self,
        token: &str,
        code: &str,
        client: &SsoClient,
    ) -> Result<SsoFinish> {
        let sso = self.sso()?;
        let flow = self
            .store()
            .take_sso_flow(&self.totp_pending_hash(token.trim()))
            .await?
            .filter(|f| f.kind == SsoFlowKind::TotpPending && f.expires_at > self.now())
            .ok_or(SsoError::FlowExpired)?;
        let user = self.held_user(&flow).await?;
        self.sso_second_factor(sso, &flow, &user, Some(code), client)
            .await?;
        let login = self
            .sso_session(&user, sso.client.issuer(), client, SessionKind::Cookie)
            .await?;
        Ok(SsoFinish::SignedIn {
            login,
            next: flow.return_to,
        })
    }

    /// The user a waiting flow is for, if they may still sign in.
    pub(crate) async fn held_user(&self, flow: &SsoFlowRow) -> Result<UserRow> {
        let (Some(ws), Some(id)) = (flow.workspace_id, flow.user_id) else {
            return Err(SsoError::FlowExpired.into());
        };
        let user = self
            .store()
            .get_user(ws, id)
            .await?
            .ok_or(SsoError::FlowExpired)?;
        if !user.usable_at(self.now()) {
            return Err(SsoError::UserDeactivated.into());
        }
        Ok(user)
    }

    /// Checks the user's own code when they have TOTP (and the provider's
    /// MFA is not trusted). `flow` was taken from the database: it goes
    /// back when the code is missing or wrong, so the person may try again.
    pub(crate) async fn sso_second_factor(
        &self,
        sso: &Sso,
        flow: &SsoFlowRow,
        user: &UserRow,
        code: Option<&str>,
        client: &SsoClient,
    ) -> Result<()> {
        if !App::sso_needs_totp(sso, user) {
            return Ok(());
        }
        let store = self.store();
        let (email_key, ip_key) = self.throttle_keys(&user.email, &client.ip);
        for key in [&ip_key, &email_key] {
            if let Some(retry_after_secs) = self.locked(key).await? {
                // Still waiting (until it expires): the lockout is what is said.
                store.insert_sso_flow(flow).await?;
                return Err(AppError::Throttled { retry_after_secs });
            }
        }
        let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
            store.insert_sso_flow(flow).await?;
            return Err(AppError::TotpRequired);
        };
        if self.check_user_second_factor(user, code).await? {
            store.clear_throttle(&email_key).await?;
            return Ok(());
        }
        self.count_sign_in_failure(&email_key, &ip_key).await?;
        self.audit_as_user(
            user,
            &client.ip,
            Event::new(AuditAction::AuthSsoLogin)
                .outcome(AuditOutcome::Failure)
                .detail(serde_json::json!({"method": "sso", "reason": "bad_code"})),
        )
        .await?;
        store.insert_sso_flow(flow).await?;
        Err(SsoError::InvalidTotp.into())
    }
}
