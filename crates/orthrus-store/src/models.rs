//! Rows as the store reads and writes them. Secret columns hold sealed bytes
//! (see `orthrus-crypto`); the store never sees plaintext secrets.

use crate::approvals::{ApprovalStatus, DualAction};
use orthrus_core::{
    AccountId, AccountRole, AuditOutcome, Channel, CodeUse, EventId, FieldId, JobState, OtpKind,
    OtpSource, SessionId, StepOutcome, StepUse, Timestamp, TokenId, UserId, WorkspaceId,
    WorkspaceRole,
};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkspaceRow {
    pub id: WorkspaceId,
    pub name: String,
    pub require_2fa: bool,
    pub step_up_minutes: i64,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRow {
    pub id: UserId,
    pub workspace_id: WorkspaceId,
    pub email: String,
    pub name: String,
    pub role: WorkspaceRole,
    pub password_hash: String,
    pub active: bool,
    /// Sealed TOTP seed of the user's own sign-in 2FA.
    pub totp_secret: Option<Vec<u8>>,
    pub totp_enabled: bool,
    pub totp_last_step: Option<i64>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// When a guest's access to the workspace ends (required for guests,
    /// None for everyone else): from then on they cannot sign in.
    pub access_expires_at: Option<Timestamp>,
}

impl UserRow {
    /// Whether the user may sign in and act at `now`: active, and (for a
    /// guest) before their access ends.
    pub fn usable_at(&self, now: Timestamp) -> bool {
        self.active && self.access_expires_at.is_none_or(|end| end > now)
    }
}

/// An invitation to join a workspace (issue 14): the link's token is stored
/// only as a keyed hash; the row is used once, can be revoked, and expires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvitationRow {
    pub id: EventId,
    pub workspace_id: WorkspaceId,
    /// Normalized (lowercase) address the invitation was sent to.
    pub email: String,
    pub role: WorkspaceRole,
    pub token_hash: String,
    pub invited_by: UserId,
    /// Whether the link went out through the outbound relay.
    pub emailed: bool,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub accepted_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    /// The user the invitation became, once accepted.
    pub user_id: Option<UserId>,
    /// For a guest: when the access of the user it becomes ends.
    pub access_expires_at: Option<Timestamp>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionKind {
    /// A browser session (cookie).
    Cookie,
    /// An API/CLI session from `POST /auth/login` (bearer).
    Bearer,
    /// A browser extension's session (bearer): the only kind autofill
    /// hands credentials to.
    Extension,
}

impl SessionKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Cookie => "cookie",
            Self::Bearer => "bearer",
            Self::Extension => "extension",
        }
    }
}

orthrus_core::spelled_as_str!(SessionKind, "session kind", [Cookie, Bearer, Extension]);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRow {
    pub id: SessionId,
    pub workspace_id: WorkspaceId,
    pub user_id: UserId,
    pub token_hash: String,
    pub kind: SessionKind,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub expires_at: Timestamp,
    pub elevated_until: Option<Timestamp>,
    pub ip: String,
    pub user_agent: String,
    pub revoked_at: Option<Timestamp>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiTokenRow {
    pub id: TokenId,
    pub workspace_id: WorkspaceId,
    pub user_id: UserId,
    pub name: String,
    pub token_hash: String,
    /// The first characters of the token, to recognise it in a list.
    pub prefix: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThrottleRow {
    pub key: String,
    pub failures: i64,
    pub window_start: Timestamp,
    pub locked_until: Option<Timestamp>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountRow {
    pub id: AccountId,
    pub workspace_id: WorkspaceId,
    pub app: String,
    pub label: String,
    pub login_url: String,
    pub username: String,
    pub password: Vec<u8>,
    pub notes: Option<Vec<u8>>,
    pub version: i64,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A change to an account; `None` leaves a column as it is.
#[derive(Clone, Debug, Default)]
pub struct AccountChange {
    pub app: Option<String>,
    pub label: Option<String>,
    pub login_url: Option<String>,
    pub username: Option<String>,
    pub password: Option<Vec<u8>>,
    pub notes: Option<Option<Vec<u8>>>,
    /// When the password changes, the previous sealed value for the history.
    pub history: Option<PasswordHistoryRow>,
    /// Replace the custom fields.
    pub fields: Option<Vec<FieldRow>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldRow {
    pub id: FieldId,
    pub workspace_id: WorkspaceId,
    pub account_id: AccountId,
    pub position: i64,
    pub name: String,
    pub secret: bool,
    pub value_text: Option<String>,
    pub value_sealed: Option<Vec<u8>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordHistoryRow {
    pub id: EventId,
    pub workspace_id: WorkspaceId,
    pub account_id: AccountId,
    pub password: Vec<u8>,
    pub changed_by: UserId,
    pub changed_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberRow {
    pub workspace_id: WorkspaceId,
    pub account_id: AccountId,
    pub user_id: UserId,
    pub role: AccountRole,
    pub added_by: UserId,
    pub added_at: Timestamp,
    /// When the membership ends (None: it does not); past it the membership
    /// grants nothing, even before the sweep deletes it.
    pub expires_at: Option<Timestamp>,
}

/// A member with the user's email and name, for lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberView {
    pub member: MemberRow,
    pub email: String,
    pub name: String,
}

/// An audit event before it is chained.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAuditEvent {
    pub id: EventId,
    pub at: Timestamp,
    pub actor_id: Option<UserId>,
    pub actor_email: Option<String>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub ip: Option<String>,
    /// Stored as its spelling (`success`, `denied`, …).
    pub outcome: AuditOutcome,
    pub detail: serde_json::Value,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEventRow {
    pub workspace_id: WorkspaceId,
    pub seq: i64,
    pub event: NewAuditEvent,
    pub prev_hash: String,
    pub hash: String,
}

/// Filters for listing audit events, newest first.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub actor_id: Option<UserId>,
    pub target_id: Option<String>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    /// Only events with `seq` below this (paging).
    pub before_seq: Option<i64>,
    pub limit: i64,
}

/// Which enrolment of an account's authenticator a row is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OtpSlot {
    /// The seed in use.
    Active,
    /// A new seed waiting for the owner to confirm it works in the app.
    Pending,
}

impl OtpSlot {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Pending => "pending",
        }
    }
}

/// An account's authenticator seed (sealed) and its parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtpRow {
    pub workspace_id: WorkspaceId,
    pub account_id: AccountId,
    pub slot: OtpSlot,
    /// The enrolment's own id; the sealed secret is bound to it.
    pub id: EventId,
    pub secret: Vec<u8>,
    /// Stored as its spelling (`totp`, `hotp`, `steam`).
    pub kind: OtpKind,
    pub algorithm: String,
    pub digits: i64,
    pub period: i64,
    pub counter: i64,
    pub issuer: Option<String>,
    pub account_name: Option<String>,
    /// How it was given (stored as `secret`, `uri`, `qr`, `import`, …).
    pub source: OtpSource,
    pub enrolled_by: UserId,
    pub enrolled_at: Timestamp,
    pub confirmed_at: Option<Timestamp>,
}

/// One code handed out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuanceRow {
    pub id: EventId,
    pub workspace_id: WorkspaceId,
    pub account_id: AccountId,
    pub user_id: Option<UserId>,
    pub user_email: Option<String>,
    pub how: CodeUse,
    pub step: i64,
    pub issued_at: Timestamp,
}

/// A time step (or HOTP counter) that was used at the app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsedStepRow {
    pub workspace_id: WorkspaceId,
    pub account_id: AccountId,
    pub step: i64,
    pub used_by: Option<UserId>,
    pub used_by_email: Option<String>,
    pub how: StepUse,
    pub used_at: Timestamp,
}

/// A set of backup codes pasted at one time; one set per account is active,
/// replaced ones stay as history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupSetRow {
    pub id: EventId,
    pub workspace_id: WorkspaceId,
    pub account_id: AccountId,
    pub active: bool,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub replaced_at: Option<Timestamp>,
}

/// One backup code (sealed) and whether it was used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupCodeRow {
    pub set_id: EventId,
    pub workspace_id: WorkspaceId,
    pub account_id: AccountId,
    pub position: i64,
    pub code: Vec<u8>,
    pub used_at: Option<Timestamp>,
    pub used_by: Option<UserId>,
    pub used_by_email: Option<String>,
}

/// A set with its counts (for history lists).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupSetSummary {
    pub set: BackupSetRow,
    pub total: i64,
    pub unused: i64,
}

/// A request to confirm identity by approval on another signed-in device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepUpRequestRow {
    pub id: EventId,
    pub workspace_id: WorkspaceId,
    pub user_id: UserId,
    /// The session asking to be elevated.
    pub session_id: SessionId,
    /// The two digits the requesting device shows.
    pub number: String,
    /// Three choices the approving device shows (one is `number`).
    pub choices: Vec<String>,
    /// Pending, approved, denied or used (expired is read, not stored).
    pub status: ApprovalStatus,
    pub ip: String,
    pub user_agent: String,
    /// What the asking device wants to do, in words, for the prompt on the
    /// other device ("reveal the password of Brand IG"); empty when unsaid.
    pub purpose: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub decided_at: Option<Timestamp>,
    pub decided_by_session: Option<SessionId>,
}

/// A request for a second Owner or Super Admin to approve a sensitive action
/// (the two-person rule).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DualApprovalRow {
    pub id: EventId,
    pub workspace_id: WorkspaceId,
    pub requester_id: UserId,
    pub requester_email: String,
    pub action: DualAction,
    /// The account id, or empty for workspace-wide actions.
    pub target_id: String,
    pub status: ApprovalStatus,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub decided_by: Option<UserId>,
    pub decided_by_email: Option<String>,
    pub decided_at: Option<Timestamp>,
}

/// A user's passkey (the WebAuthn credential as JSON: public key and counter,
/// nothing secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasskeyRow {
    pub id: EventId,
    pub workspace_id: WorkspaceId,
    pub user_id: UserId,
    pub name: String,
    pub credential: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

/// A managed email address that receives an account's mail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManagedEmailRow {
    pub id: EventId,
    pub workspace_id: WorkspaceId,
    pub account_id: AccountId,
    pub address: String,
    pub enabled: bool,
    pub created_by: UserId,
    pub created_at: Timestamp,
}

/// A durable automation job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobRow {
    pub id: EventId,
    pub workspace_id: WorkspaceId,
    pub account_id: AccountId,
    /// `login`, `enable_mfa`, `rotate_password`, `swap_email`, …
    pub kind: String,
    /// Stored as its spelling (`queued`, `running`, …).
    pub state: JobState,
    pub requested_by: UserId,
    /// Attempts started so far (a claim starts one).
    pub attempts: i64,
    pub max_attempts: i64,
    /// Not claimed before this time (retries back off, deferrals wait).
    pub run_after: Timestamp,
    pub worker: Option<String>,
    pub lease_until: Option<Timestamp>,
    pub cancel_requested: bool,
    pub error: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    /// What the job asks a person while `waiting` (a CAPTCHA).
    pub question: Option<String>,
    /// Times the app asked to come back later (not counted as attempts).
    pub deferrals: i64,
}

impl JobRow {
    /// A job of `kind` queued at `now`: due at once, not claimed, no attempt
    /// started yet, at most `max_attempts` of them.
    pub fn queued(
        id: EventId,
        workspace_id: WorkspaceId,
        account_id: AccountId,
        kind: &str,
        requested_by: UserId,
        max_attempts: i64,
        now: Timestamp,
    ) -> Self {
        Self {
            id,
            workspace_id,
            account_id,
            kind: kind.to_owned(),
            state: JobState::Queued,
            requested_by,
            attempts: 0,
            max_attempts,
            run_after: now,
            worker: None,
            lease_until: None,
            cancel_requested: false,
            error: None,
            created_at: now,
            updated_at: now,
            finished_at: None,
            question: None,
            deferrals: 0,
        }
    }
}

/// When an account's password is rotated automatically.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RotationRow {
    pub account_id: AccountId,
    pub workspace_id: WorkspaceId,
    /// Every this many days; None: not on a schedule.
    pub every_days: Option<i64>,
    /// Hours (UTC, 0 to 23) of the window: from `window_start` up to
    /// `window_end` (exclusive; 24 is midnight); a start after the end
    /// wraps past midnight.
    pub window_start: i64,
    pub window_end: i64,
    /// Rotate when a member leaves the account (or is deactivated).
    pub on_member_leave: bool,
    /// Whose rights the rotation jobs run with.
    pub set_by: UserId,
    /// The next scheduled rotation is due at or after this.
    pub next_at: Option<Timestamp>,
    /// The password policy of rotations (JSON); None: the default.
    pub password_policy: Option<String>,
    /// Rotate this many hours after a Collaborator logged in through the
    /// browser extension; None: do not.
    pub after_autofill_hours: Option<i64>,
    pub updated_at: Timestamp,
}

/// One step of a job's log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobStepRow {
    pub job_id: EventId,
    pub seq: i64,
    pub attempt: i64,
    pub name: String,
    pub started_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    /// None while running.
    pub outcome: Option<StepOutcome>,
    pub url: Option<String>,
    /// Redacted detail (never a secret).
    pub detail: Option<String>,
}

/// What a worker learns when it extends its lease.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lease {
    /// Still ours; keep going.
    Held,
    /// Still ours, but someone asked to cancel.
    CancelRequested,
    /// No longer ours (recovered after the lease ran out, or finished).
    Lost,
}

/// A user's forwarding address and its verification state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForwardAddressRow {
    pub user_id: UserId,
    pub workspace_id: WorkspaceId,
    /// The address forwarding uses (when `verified_at` is set).
    pub email: String,
    /// A new address waiting for its code; `email` stays in use meanwhile.
    pub pending_email: Option<String>,
    /// Keyed hash of the code sent to the address, until it is verified.
    pub code_hash: Option<String>,
    pub code_expires_at: Option<Timestamp>,
    /// Wrong codes entered since the last one was sent.
    pub attempts: i64,
    pub verified_at: Option<Timestamp>,
}

/// A received message. Everything about its content (subject, body, code,
/// link, the raw message) is in `sealed`; only routing facts are plain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboxMessageRow {
    pub id: EventId,
    pub workspace_id: WorkspaceId,
    pub account_id: AccountId,
    pub channel: Channel,
    pub recipient: String,
    pub sender: String,
    /// Message-ID (email) or MessageSid (SMS): a second delivery is dropped.
    pub dedup_key: String,
    pub sealed: Vec<u8>,
    pub has_code: bool,
    pub received_at: Timestamp,
    pub used_at: Option<Timestamp>,
}

/// Which inbox messages to list ([`crate::InboxStore::list_messages`]); every
/// filter is applied in SQL, so paging reaches every retained message.
#[derive(Clone, Debug, Default)]
pub struct MessageFilter {
    pub accounts: Vec<AccountId>,
    pub channel: Option<Channel>,
    /// Only messages with a code.
    pub has_code: bool,
    /// Received at or after / at or before (inclusive).
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    /// Keyset cursor: only messages older than this one (its received time
    /// and id), so a client pages by passing the last message it saw.
    pub before: Option<(Timestamp, EventId)>,
    /// Keyed hashes of words ([`crate::InboxStore::index_message_words`]) that
    /// must all be indexed for a message.
    pub words: Vec<String>,
    /// Most rows returned (1..=500).
    pub limit: i64,
}

/// Inbox usage of one recipient and its workspace ([`crate::InboxStore::inbox_usage`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InboxUsage {
    /// Messages to the recipient received since the given time.
    pub recipient_recent: i64,
    /// Bytes stored for the recipient (sealed messages).
    pub recipient_bytes: i64,
    pub workspace_recent: i64,
    pub workspace_bytes: i64,
}

/// A number of the managed pool (E.164), assigned to at most one account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhoneNumberRow {
    pub id: EventId,
    pub workspace_id: WorkspaceId,
    pub number: String,
    pub account_id: Option<AccountId>,
    pub created_at: Timestamp,
}

/// Where a browser extension's pairing request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PairingStatus {
    /// Waiting for someone to pick the number.
    Pending,
    /// Approved by a user; the extension may claim its session once.
    Approved,
    /// A wrong number was picked (or it was refused).
    Denied,
    /// The extension took its session.
    Claimed,
}

impl PairingStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Denied => "denied",
            Self::Claimed => "claimed",
        }
    }
}

orthrus_core::spelled_as_str!(
    PairingStatus,
    "pairing status",
    [Pending, Approved, Denied, Claimed]
);

/// A browser extension asking to be connected by approval (number matching).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairingRow {
    pub id: EventId,
    /// Keyed hash of the secret the extension claims its session with.
    pub secret_hash: String,
    /// The number (10 to 99) the extension shows.
    pub number: i64,
    /// The three numbers the approving page offers (one is `number`).
    pub choices: Vec<i64>,
    pub browser: String,
    pub ip: String,
    pub status: PairingStatus,
    /// Who decided (set with the decision).
    pub workspace_id: Option<WorkspaceId>,
    pub user_id: Option<UserId>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub decided_at: Option<Timestamp>,
}

/// What an account's last "MFA is still on" check found (issue 13).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MfaCheckState {
    /// The app asked for the authenticator code (or a backup code).
    On,
    /// The app signed in without asking for a code: someone turned MFA off.
    Off,
    /// The run failed before it could tell (wrong password, app down, …).
    CouldNotCheck,
}

impl MfaCheckState {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::On => "on",
            Self::Off => "off",
            Self::CouldNotCheck => "could_not_check",
        }
    }
}

orthrus_core::spelled_as_str!(MfaCheckState, "MFA check state", [On, Off, CouldNotCheck]);

/// An account's last MFA check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MfaCheckRow {
    pub account_id: AccountId,
    pub workspace_id: WorkspaceId,
    pub state: MfaCheckState,
    pub checked_at: Timestamp,
    /// The job that checked.
    pub job_id: EventId,
    /// Why it could not check (or what went wrong after the app asked).
    pub reason: Option<String>,
}

/// An account whose MFA check is due: its authenticator (TOTP) is held and
/// confirmed, it has a login URL and username, no check is waiting or
/// running, and none was made or started since the cut-off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueMfaCheck {
    pub workspace_id: WorkspaceId,
    pub account_id: AccountId,
    /// Who enrolled the authenticator (a candidate to run the check as).
    pub enrolled_by: UserId,
}

/// Where an access request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccessRequestState {
    Pending,
    Approved,
    Declined,
}

impl AccessRequestState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Declined => "declined",
        }
    }
}

impl std::str::FromStr for AccessRequestState {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "pending" => Ok(Self::Pending),
            "approved" => Ok(Self::Approved),
            "declined" => Ok(Self::Declined),
            _ => Err(()),
        }
    }
}

/// Someone's request for a role on an account, for a while (issue 15).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessRequestRow {
    pub id: EventId,
    pub workspace_id: WorkspaceId,
    pub account_id: AccountId,
    pub requester_id: UserId,
    pub role: AccountRole,
    pub reason: String,
    pub duration_secs: i64,
    pub state: AccessRequestState,
    pub created_at: Timestamp,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<Timestamp>,
    /// The decider's note (a decline's reason).
    pub note: Option<String>,
    /// When the membership an approval created ends.
    pub grant_expires_at: Option<Timestamp>,
}

/// An access request with the names a list shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessRequestView {
    pub request: AccessRequestRow,
    pub account_label: String,
    pub account_app: String,
    pub requester_email: String,
    pub requester_name: String,
    pub decided_by_email: Option<String>,
}

/// One account in the workspace's directory: what lets someone ask for it
/// without seeing it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryEntry {
    pub account_id: AccountId,
    pub app: String,
    pub label: String,
}
