//! Orthrus's use cases and their authorization. Every operation takes an
//! [`Actor`] (who is asking, from which session), asks the pure policy in
//! `orthrus-core` whether it may proceed, checks step-up where the policy says
//! so, does the work through the `Store`, and writes the audit event. This is
//! the only crate that decrypts secrets.
//!
//! It knows nothing of HTTP (axum) or SQL (sqlx): `orthrus-web` and the CLI are
//! thin shells around it.

mod access;
mod access_requests;
mod accounts;
mod audit;
mod audit_action;
mod audit_export;
mod auth;
mod autofill;
mod automation;
mod backup;
mod changes;
mod device_approval;
mod dual;
pub mod egress;
mod error;
mod error_code;
mod failed_step;
mod forward;
mod group_commit;
mod inbox;
mod inbox_quota;
mod inbox_search;
mod invitations;
mod job_kind;
pub mod master_key;
pub mod metrics;
mod mfa_check;
mod otp;
mod otp_transfer;
mod pairing;
mod passkeys;
mod passwords;
mod pending_password;
mod periodic;
mod rotation;
pub mod schema;
mod scim;
mod sender_trust;
mod sessions;
mod setup;
pub mod site;
mod sms;
mod sso;
mod sso_finish;
mod sso_totp;
mod teams;
mod twofactor;
mod uploads;
mod users;

pub use access::{ExpirySweep, parse_end_time};
pub use access_requests::{
    AccessRequestInfo, DirectoryAccount, MAX_REQUEST_HOURS, MIN_REQUEST_HOURS, NewAccessRequest,
    RequestState,
};
pub use accounts::*;
pub use audit::{AuditEntry, AuditQuery, AuditVerification};
pub use audit_action::{AuditAction, UnknownAuditAction};
pub use audit_export::{AuditExport, AuditExportFormat, EXPORT_COLUMNS, csv_cell};
pub use auth::{LoginOutcome, LoginRequest};
pub use autofill::{
    AppRestriction, AutofillCandidate, AutofillEvent, CodeSource, Fill, FillStep,
    MAX_FILL_WAIT_SECS, Restrictions,
};
pub use automation::{
    AVAILABLE_KINDS, AccountRef, JOB_ELEVATION_SECS, JobInputs, JobView, Question, StepView,
};
pub use backup::{
    BackupCodeView, BackupCodes, BackupStatus, LOW_BACKUP_CODES, UsedBackupCode, parse_backup_input,
};
pub use changes::{Change, ChangeWatch};
pub use device_approval::{
    ApprovalPrompt, DEVICE_REQUEST_SECS, DeviceRequest, DeviceRequestState, DeviceRequestStatus,
};
pub use dual::DualApproval;
pub use error::{AppError, BusyKind, Entity, ExtensionError, Result};
pub use error_code::{ConflictCode, InvalidCode};
pub use failed_step::FailedStep;
pub use forward::{ForwardAddress, MailError, Mailer, OutboundMail};
pub use inbox::{InboxItem, InboxQuery, ManagedEmail, MessageDetail, MessageLink, SenderAuth};
pub use inbox_quota::{Admission, InboxLimits};
pub use invitations::{
    INVITATION_DAYS, InvitationInfo, InvitationPreview, InvitationSent, InvitationState,
};
pub use job_kind::{JobKind, StartOptions};
pub use mfa_check::{CheckRun, MfaCheckState, MfaCheckView, verdict as mfa_verdict};
pub use orthrus_store::{ApprovalStatus, DualAction, SessionKind};
pub use otp::{
    CodeUse, CodeView, DEFAULT_MIN_FRESH_SECS, EnrollInput, LedgerEntry, OtpMeta, OtpStatus,
    PendingEnrollment, UsedInfo,
};
pub use otp_transfer::{
    ExportFile, ImportAction, ImportEntryPlan, ImportReport, SeedExportFormat, age_decrypt,
};
pub use pairing::{PAIRING_SECS, PairingClaim, PairingPrompt, PairingStart};
pub use passkeys::PasskeyInfo;
pub use passwords::PasswordPolicy;
pub use rotation::{RotationInput, RotationSchedule};
pub use scim::{
    SCIM_ACTOR, SCIM_TOKEN_PREFIX, ScimClient, ScimFilterAttr, ScimTokenInfo, ScimUser,
    ScimUserInput,
};
pub use sender_trust::{
    AppSenders, AutomationRefusal, LinkRefusal, RefusalReason, SenderRuleError, check_app_domain,
    check_sms_sender,
};
pub use sessions::{SessionInfo, TokenInfo};
pub use sms::PhoneNumber;
pub use sso::{
    AUTH_TIME_SKEW_SECS, AuthorizationRequest, IdClaims, OidcClient, ProviderAnswer, ProviderError,
    SSO_FLOW_SECS, SSO_STARTS_PER_ADDRESS, SSO_TOTP_SECS, SsoClient, SsoError, SsoFinish, SsoInfo,
    SsoSettings, SsoStart, pkce_challenge,
};
pub use teams::{ScimGroup, ScimGroupInput, TeamGrantInfo, TeamInfo, TeamMemberInfo};
pub use twofactor::{TotpEnrollment, TwoFactorStatus};
pub use users::{NewUser, UserInfo, WorkspaceSettings};

use orthrus_core::{
    Action, Clock, Decision, Entropy, SessionId, Subject, Timestamp, TokenId, UserId, WorkspaceId,
    WorkspaceRole, policy,
};
use orthrus_crypto::{Envelope, KeyedHasher, MasterKey, PasswordHasher};
use orthrus_store::Store;
use std::sync::Arc;

/// Tunables of the application layer (a slice of the server configuration).
#[derive(Clone, Debug)]
pub struct AppConfig {
    /// Browser sessions expire after this many hours.
    pub session_hours: i64,
    /// CLI/API sessions from `POST /auth/login` expire after this many days.
    pub bearer_days: i64,
    /// Failed sign-ins per email before it is locked.
    pub lockout_threshold: i64,
    /// Failed sign-ins per client address before it is throttled.
    pub ip_threshold: i64,
    /// Window for counting failures, and the lock duration, in seconds.
    pub lockout_window_secs: i64,
    pub lockout_secs: i64,
    /// Issuer shown in authenticator apps for users' own 2FA.
    pub totp_issuer: String,
    /// Domain of managed email addresses (`<label>-<random>@<domain>`).
    pub inbound_domain: String,
    /// Inbox messages are deleted after this many days.
    pub inbox_retention_days: i64,
    /// Twilio auth token for `X-Twilio-Signature` (None: the Twilio hook is off).
    pub twilio_auth_token: Option<orthrus_core::SecretString>,
    /// Secret of the generic JSON SMS webhook (None: off).
    pub sms_webhook_secret: Option<orthrus_core::SecretString>,
    /// Argon2id memory (KiB) and passes.
    pub argon_memory_kib: u32,
    pub argon_iterations: u32,
    /// Where automations may connect (`automation.allowed_private_hosts`);
    /// also checked when an account's login URL is set.
    pub egress: egress::Egress,
    /// Uploads (QR screenshots, authenticator imports) parsed at once
    /// across the server; more are answered "busy".
    pub upload_slots: usize,
    /// How long parsing one upload may take, in milliseconds.
    pub upload_timeout_ms: u64,
    /// Inbox message rates and storage quotas per address and workspace.
    pub inbox_limits: InboxLimits,
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            session_hours: 12,
            bearer_days: 30,
            lockout_threshold: 5,
            ip_threshold: 50,
            lockout_window_secs: 15 * 60,
            lockout_secs: 15 * 60,
            totp_issuer: "Orthrus".into(),
            inbound_domain: "inbox.localhost".into(),
            inbox_retention_days: 30,
            twilio_auth_token: None,
            sms_webhook_secret: None,
            egress: egress::Egress::default(),
            argon_memory_kib: 19 * 1024,
            argon_iterations: 2,
            upload_slots: 2,
            upload_timeout_ms: 5_000,
            inbox_limits: InboxLimits::default(),
        }
    }
}

/// How the actor authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Session(SessionId),
    ApiToken(TokenId),
    /// A local administrative command with direct database access.
    Local,
    /// An automation job, acting for the person who started it (or who set
    /// the schedule that queued it).
    Job(orthrus_core::EventId),
}

/// The authenticated caller of a use case.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user_id: UserId,
    pub workspace_id: WorkspaceId,
    pub email: String,
    pub name: String,
    pub role: WorkspaceRole,
    pub via: Via,
    pub elevated_until: Option<Timestamp>,
    /// The workspace requires 2FA and this user has not set it up yet.
    pub must_enroll_2fa: bool,
    pub totp_enabled: bool,
    pub ip: String,
    /// The kind of session the request came with (None: an API token, a
    /// job or a local command). Autofill answers extension sessions only.
    pub session_kind: Option<SessionKind>,
}

impl Actor {
    pub fn session_id(&self) -> Option<SessionId> {
        match self.via {
            Via::Session(s) => Some(s),
            _ => None,
        }
    }
}

/// The application: shared, cheap to clone.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    envelope: Envelope,
    hasher: PasswordHasher,
    token_hasher: KeyedHasher,
    audit_hasher: KeyedHasher,
    /// The inbox search index's word hashes (`inbox_search.rs`).
    search_hasher: KeyedHasher,
    clock: Arc<dyn Clock>,
    rng: Arc<dyn Entropy>,
    config: AppConfig,
    /// A precomputed hash checked when the email is unknown, so that a
    /// sign-in takes as long whether or not the user exists.
    dummy_hash: String,
    ledger: otp::LedgerBatcher,
    /// Group commit for audit events of frequent actions (autofill).
    audit_batch: audit::AuditBatcher,
    passkeys: passkeys::Passkeys,
    /// Wakes inbox, job and live-stream waiters (`changes.rs`).
    changes: changes::Hub,
    /// The outbound relay for forwarding (none: forwarding is off).
    mailer: std::sync::OnceLock<Arc<dyn Mailer>>,
    /// Upload parsing slots (`AppConfig::upload_slots`).
    upload_slots: Arc<tokio::sync::Semaphore>,
    /// Whose codes and links automations take, per app (from the recipes).
    app_senders: std::sync::OnceLock<std::collections::HashMap<String, AppSenders>>,
    /// OpenID Connect sign-in (none: off).
    sso: std::sync::OnceLock<sso::Sso>,
    /// The operator's counters (`metrics.rs`).
    metrics: metrics::Metrics,
}

impl App {
    pub fn new(
        store: Arc<dyn Store>,
        master: MasterKey,
        clock: Arc<dyn Clock>,
        rng: Arc<dyn Entropy>,
        config: AppConfig,
    ) -> Result<Self> {
        let keys = master_key::Subkeys::derive(&master);
        Self::new_with_keys(store, master, &keys, clock, rng, config)
    }

    /// [`App::new`] with the hashing keys kept in the database
    /// ([`master_key::load_subkeys`]), which outlive master-key rotations.
    pub fn new_with_keys(
        store: Arc<dyn Store>,
        master: MasterKey,
        keys: &master_key::Subkeys,
        clock: Arc<dyn Clock>,
        rng: Arc<dyn Entropy>,
        config: AppConfig,
    ) -> Result<Self> {
        let (token_hasher, audit_hasher, search_hasher) = keys.hashers();
        let hasher = PasswordHasher::new(config.argon_memory_kib, config.argon_iterations, 1);
        let dummy_hash = hasher.hash("orthrus-dummy-password", rng.as_ref())?;
        let upload_slots = Arc::new(tokio::sync::Semaphore::new(config.upload_slots));
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                token_hasher,
                audit_hasher,
                search_hasher,
                envelope: Envelope::new(master),
                hasher,
                clock,
                rng,
                config,
                dummy_hash,
                ledger: otp::LedgerBatcher::default(),
                audit_batch: audit::AuditBatcher::default(),
                passkeys: passkeys::Passkeys::default(),
                changes: changes::Hub::default(),
                mailer: std::sync::OnceLock::new(),
                upload_slots,
                app_senders: std::sync::OnceLock::new(),
                sso: std::sync::OnceLock::new(),
                metrics: metrics::Metrics::default(),
            }),
        })
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    pub fn config(&self) -> &AppConfig {
        &self.inner.config
    }

    /// A random 16-hex-digit identifier (request ids, setup tokens' prefixes).
    pub fn random_id(&self) -> String {
        let mut b = [0u8; 8];
        self.rng().fill(&mut b);
        orthrus_crypto::hex(&b)
    }

    fn rng(&self) -> &dyn Entropy {
        self.inner.rng.as_ref()
    }

    /// Checks a workspace-scoped action.
    fn check(&self, actor: &Actor, action: Action) -> Result<()> {
        self.check_subject(
            actor,
            Subject {
                workspace_role: actor.role,
                account_role: None,
            },
            action,
        )
    }

    /// Whether the policy lets the actor take a workspace-scoped action (with
    /// or without step-up): for what a page shows and how far a listing
    /// reaches. Use cases that act call `check`, which also demands step-up.
    pub fn permits(&self, actor: &Actor, action: Action) -> bool {
        matches!(
            self.check(actor, action),
            Ok(()) | Err(AppError::StepUpRequired)
        )
    }

    /// Checks an action against a subject; enforces 2FA enrolment policy and
    /// step-up freshness.
    fn check_subject(&self, actor: &Actor, subject: Subject, action: Action) -> Result<()> {
        if actor.must_enroll_2fa {
            return Err(AppError::TwoFactorEnrollmentRequired);
        }
        match policy::decide(subject, action) {
            Decision::Allow => Ok(()),
            Decision::AllowWithStepUp => self.require_step_up(actor),
            Decision::Deny => Err(AppError::Forbidden),
        }
    }

    /// Fails unless the actor's session was elevated recently enough.
    fn require_step_up(&self, actor: &Actor) -> Result<()> {
        if actor.via == Via::Local {
            return Ok(());
        }
        match actor.elevated_until {
            Some(until) if until > self.now() => Ok(()),
            _ => Err(AppError::StepUpRequired),
        }
    }

    /// Runs a CPU-heavy closure off the async executor.
    async fn blocking<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))
    }
}

/// Validates and normalises an email address (lower-cased).
pub fn normalize_email(input: &str) -> Result<String> {
    let e = input.trim().to_lowercase();
    let valid = e.len() <= 254
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
        && e.matches('@').count() == 1;
    if valid {
        Ok(e)
    } else {
        Err(AppError::invalid(
            InvalidCode::EmailInvalid,
            format!("{:?} is not a valid email address", input.trim()),
        ))
    }
}

/// Checks a new password for an Orthrus user.
pub fn validate_user_password(password: &str) -> Result<()> {
    let n = password.chars().count();
    if n < 10 {
        return Err(AppError::invalid(
            InvalidCode::PasswordTooShort,
            "use at least 10 characters",
        ));
    }
    if n > 256 {
        return Err(AppError::invalid(
            InvalidCode::PasswordTooLong,
            "use at most 256 characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            normalize_email(" Kathy@Acme.TEST ").unwrap(),
            "kathy@acme.test"
        );
        for bad in [
            "",
            "kathy",
            "@acme.test",
            "kathy@acme",
            "a b@acme.test",
            "a@@acme.test",
            "a@acme.test.",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }
}
