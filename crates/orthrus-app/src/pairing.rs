//! Connecting the browser extension without typing the password into it:
//! the extension asks for a pairing (no sign-in), shows a two-digit number
//! and sends its user to the approval page; a signed-in user picks that
//! number among three there. The right pick approves the pairing for that
//! user, a wrong one denies it (both audited), and the extension then
//! claims an extension session once with its secret. Everything lives in
//! the database, so any node sharing it can answer any step.

use crate::AuditAction;
use crate::InvalidCode;
use crate::audit::Event;
use crate::auth::SessionOrigin;
use crate::{Action, Actor, App, AppError, ExtensionError, Result, SessionKind};
use orthrus_core::AuditOutcome;
use orthrus_core::AuditTarget;
use orthrus_core::{EventId, SecretString, Timestamp};
use orthrus_store::{PairingRow, PairingStatus};

/// How long a pairing request can be approved and claimed.
pub const PAIRING_SECS: i64 = 300;
/// Pairing requests one client address may make per window.
const PAIRINGS_PER_ADDRESS: i64 = 10;
const PAIRING_WINDOW_SECS: i64 = 600;

/// What the extension gets when it asks: the secret is shown only here.
#[derive(Debug)]
pub struct PairingStart {
    pub id: String,
    pub secret: SecretString,
    pub number: i64,
    pub expires_at: Timestamp,
}

/// What the approval page shows.
#[derive(Clone, Debug)]
pub struct PairingPrompt {
    pub id: String,
    pub browser: String,
    /// Three numbers, one of them the extension's.
    pub choices: Vec<i64>,
    pub expires_at: Timestamp,
}

/// The answer to the extension's claim.
#[derive(Debug)]
pub enum PairingClaim {
    /// Nobody has picked the number yet.
    Pending,
    /// The extension session, handed out once.
    Session {
        token: SecretString,
        expires_at: Timestamp,
    },
}

impl App {
    /// A new pairing request from an extension (no sign-in); rate-limited
    /// per client address.
    pub async fn start_pairing(&self, browser: &str, ip: &str) -> Result<PairingStart> {
        let now = self.now();
        let recent = self
            .store()
            .count_pairings_from(ip, now.plus_seconds(-PAIRING_WINDOW_SECS))
            .await?;
        if recent >= PAIRINGS_PER_ADDRESS {
            return Err(ExtensionError::PairingThrottled.into());
        }
        let browser: String = browser
            .chars()
            .filter(|c| !c.is_control())
            .take(100)
            .collect();
        let browser = if browser.trim().is_empty() {
            "a browser".to_owned()
        } else {
            browser.trim().to_owned()
        };
        let number = 10 + i64::try_from(self.random_below(90)).unwrap_or(0);
        let mut choices = vec![number];
        while choices.len() < 3 {
            let c = 10 + i64::try_from(self.random_below(90)).unwrap_or(0);
            if !choices.contains(&c) {
                choices.push(c);
            }
        }
        // The right number is not always first.
        let at = self.random_below(3);
        choices.swap(0, at);
        let secret = orthrus_crypto::new_token("orp", self.rng());
        let row = PairingRow {
            id: EventId::new(self.inner.clock.as_ref(), self.rng()),
            secret_hash: self.inner.token_hasher.hash(&secret),
            number,
            choices,
            browser,
            ip: ip.chars().take(64).collect(),
            status: PairingStatus::Pending,
            workspace_id: None,
            user_id: None,
            created_at: now,
            expires_at: now.plus_seconds(PAIRING_SECS),
            decided_at: None,
        };
        self.store().create_pairing(&row).await?;
        Ok(PairingStart {
            id: row.id.to_string(),
            secret: secret.into(),
            number,
            expires_at: row.expires_at,
        })
    }

    async fn pairing(&self, id: &str) -> Result<PairingRow> {
        let id: EventId = id
            .parse()
            .map_err(|_| AppError::from(ExtensionError::PairingNotFound))?;
        self.store()
            .get_pairing(id)
            .await?
            .ok_or(ExtensionError::PairingNotFound.into())
    }

    /// The state of a request as a decision sees it: pending and unexpired.
    fn open_pairing(&self, p: &PairingRow) -> Result<()> {
        match p.status {
            PairingStatus::Denied => Err(ExtensionError::PairingDenied.into()),
            PairingStatus::Pending if p.expires_at > self.now() => Ok(()),
            _ => Err(ExtensionError::PairingExpired.into()),
        }
    }

    /// What the approval page asks a signed-in user.
    pub async fn pairing_prompt(&self, actor: &Actor, id: &str) -> Result<PairingPrompt> {
        self.check(actor, Action::ListOwnAccounts)?;
        let p = self.pairing(id).await?;
        self.open_pairing(&p)?;
        Ok(PairingPrompt {
            id: p.id.to_string(),
            browser: p.browser,
            choices: p.choices,
            expires_at: p.expires_at,
        })
    }

    /// The signed-in user picked `number`: the right one approves the
    /// pairing for them (true), a wrong one denies it (false). Once.
    pub async fn decide_pairing(&self, actor: &Actor, id: &str, number: i64) -> Result<bool> {
        // Only a person at the web page, who just confirmed who they are:
        // an approval mints a session, so a stolen session or token (or a
        // session minted this way) must not be able to grant one.
        if actor.session_kind != Some(SessionKind::Cookie) {
            return Err(AppError::invalid(
                InvalidCode::PairingBrowserOnly,
                "approve a browser extension on the Orthrus web page, signed in there",
            ));
        }
        self.check(actor, Action::ApprovePairing)?;
        let p = self.pairing(id).await?;
        self.open_pairing(&p)?;
        let approve = number == p.number;
        let status = if approve {
            PairingStatus::Approved
        } else {
            PairingStatus::Denied
        };
        if !self
            .store()
            .decide_pairing(p.id, status, actor.workspace_id, actor.user_id, self.now())
            .await?
        {
            return Err(ExtensionError::PairingExpired.into());
        }
        let (action, outcome) = if approve {
            (AuditAction::ExtensionPairingApproved, AuditOutcome::Success)
        } else {
            (AuditAction::ExtensionPairingDenied, AuditOutcome::Denied)
        };
        self.audit(
            actor,
            Event::new(action)
                .target(AuditTarget::Pairing, p.id)
                .outcome(outcome)
                .detail(serde_json::json!({
                    "browser": p.browser,
                    "from_ip": p.ip,
                    "reason": if approve { "number_matched" } else { "wrong_number" },
                })),
        )
        .await?;
        Ok(approve)
    }

    /// The extension asks for its session with the request's secret:
    /// pending until someone approves; then an extension session for the
    /// approving user, exactly once.
    pub async fn claim_pairing(&self, id: &str, secret: &str, ip: &str) -> Result<PairingClaim> {
        let p = self.pairing(id).await?;
        // A wrong secret learns nothing about the request.
        if !orthrus_crypto::constant_time_eq(
            &self.inner.token_hasher.hash(secret.trim()),
            &p.secret_hash,
        ) {
            return Err(ExtensionError::PairingNotFound.into());
        }
        let now = self.now();
        match p.status {
            PairingStatus::Denied => return Err(ExtensionError::PairingDenied.into()),
            PairingStatus::Claimed => return Err(ExtensionError::PairingExpired.into()),
            _ if p.expires_at <= now => return Err(ExtensionError::PairingExpired.into()),
            PairingStatus::Pending => return Ok(PairingClaim::Pending),
            PairingStatus::Approved => {}
        }
        let (Some(ws), Some(user_id)) = (p.workspace_id, p.user_id) else {
            return Err(AppError::Internal("approved pairing without a user".into()));
        };
        if !self.store().claim_pairing(p.id, now).await? {
            return Err(ExtensionError::PairingExpired.into());
        }
        let user = self
            .store()
            .get_user(ws, user_id)
            .await?
            .filter(|u| u.active)
            .ok_or(ExtensionError::PairingExpired)?;
        let from = SessionOrigin {
            ip,
            user_agent: &p.browser,
            kind: SessionKind::Extension,
        };
        let detail = serde_json::json!({"kind": "extension", "via": "pairing", "pairing_id": p.id.to_string(), "user_agent": p.browser});
        let login = self
            .open_session(&user, from, AuditAction::AuthLogin, detail)
            .await?;
        Ok(PairingClaim::Session {
            token: login.token,
            expires_at: login.expires_at,
        })
    }
}
