//! Persistence for Orthrus: the [`Store`] trait and its two implementations,
//! SQLite (embedded default) and PostgreSQL (scale-out), each with its own
//! append-only migrations. Both are generated from the same SQL text by one
//! macro, and one conformance suite (`tests/it`) runs against both.
//!
//! The store knows rows and SQL only: no HTTP, no authorization, and no
//! plaintext secrets (secret columns arrive sealed by `orthrus-app`).

mod access;
mod ceremonies;
mod directory;
mod hot;
mod migrate;
pub mod models;
mod notify;
mod ops;
mod postgres;
mod shared_work;
mod sql;
mod sqlite;
mod sso;

pub use access::{AccessDecision, AccessStore};
pub use ceremonies::{CeremonyPurpose, CeremonyRow, CeremonyStore};
pub use directory::{
    Directory, RemovedGrants, ScimTokenRow, ScimUserRow, TeamGrantRow, TeamMemberRow, TeamRow,
};
pub use hot::{
    ACQUIRE_TIMEOUT, CodeViewRead, CredentialCodeView, CredentialKind, CredentialRow, HotPath,
    PoolSettings,
};
pub use models::*;
pub use notify::{CHANNELS, Change, ChangeFeed, Changes};
pub use ops::{Ops, OpsStats, PendingMigration, SealedColumn, pending_migrations};
pub use postgres::PgStore;
pub use shared_work::SharedWork;
pub use sqlite::SqliteStore;
pub use sso::{SsoFlowKind, SsoFlowRow, SsoIdentityRow, SsoStore};

use async_trait::async_trait;
use orthrus_core::{
    AccountId, AccountRole, EventId, SessionId, Timestamp, TokenId, UserId, WorkspaceId,
    WorkspaceRole,
};
use std::sync::Arc;

/// Errors from the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("the record changed since it was read (version conflict)")]
    VersionConflict,
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// No connection of the pool became free within its acquire timeout.
    #[error(
        "no database connection became free within {0} s: every connection of the pool (database_max_connections) is busy, or the database is not answering"
    )]
    PoolTimedOut(u64),
    #[error("migration {version} failed: {message}")]
    Migration { version: i64, message: String },
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolTimedOut => Self::PoolTimedOut(ACQUIRE_TIMEOUT.as_secs()),
            e => Self::Database(e),
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Computes, from the previous hash, the sequence number and the event, the
/// event's chain hash and the MAC of the new chain head `(seq, hash)`
/// (supplied by the caller, which owns the key).
pub type ChainFn<'a> = &'a (dyn Fn(&str, i64, &NewAuditEvent) -> ChainLink + Send + Sync);

/// The output of a [`ChainFn`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainLink {
    pub hash: String,
    pub head_mac: String,
}

/// The newest link of a workspace's audit chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditHead {
    pub seq: i64,
    pub hash: String,
    pub mac: String,
}

/// Everything Orthrus persists. Every method is scoped to a workspace where
/// the data belongs to one.
#[async_trait]
pub trait Store:
    Ops
    + SsoStore
    + CeremonyStore
    + Directory
    + AccessStore
    + HotPath
    + Changes
    + SharedWork
    + Send
    + Sync
    + 'static
{
    /// Which backend this is ("sqlite" or "postgres"), for logs and health.
    fn backend(&self) -> &'static str;
    async fn ping(&self) -> Result<()>;
    async fn close(&self);

    // Workspaces
    async fn create_workspace(&self, ws: &WorkspaceRow) -> Result<()>;
    async fn get_workspace(&self, id: WorkspaceId) -> Result<Option<WorkspaceRow>>;
    async fn list_workspaces(&self) -> Result<Vec<WorkspaceRow>>;
    async fn update_workspace(&self, ws: &WorkspaceRow) -> Result<()>;
    async fn count_users(&self) -> Result<i64>;
    /// Creates a workspace and its first user in one transaction, only while
    /// no user exists at all (first-run setup); Conflict otherwise.
    async fn bootstrap(&self, ws: &WorkspaceRow, owner: &UserRow) -> Result<()>;

    // Users
    async fn create_user(&self, user: &UserRow) -> Result<()>;
    async fn get_user(&self, ws: WorkspaceId, id: UserId) -> Result<Option<UserRow>>;
    /// A user and their workspace in one query (every request needs both).
    async fn get_user_and_workspace(
        &self,
        ws: WorkspaceId,
        id: UserId,
    ) -> Result<Option<(UserRow, WorkspaceRow)>>;
    async fn find_user_by_email(&self, email: &str) -> Result<Option<UserRow>>;
    async fn list_users(&self, ws: WorkspaceId) -> Result<Vec<UserRow>>;
    async fn set_user_role(
        &self,
        ws: WorkspaceId,
        id: UserId,
        role: WorkspaceRole,
        at: Timestamp,
    ) -> Result<()>;
    async fn set_user_active(
        &self,
        ws: WorkspaceId,
        id: UserId,
        active: bool,
        at: Timestamp,
    ) -> Result<()>;
    async fn set_user_password(
        &self,
        ws: WorkspaceId,
        id: UserId,
        hash: &str,
        at: Timestamp,
    ) -> Result<()>;
    async fn set_user_totp(
        &self,
        ws: WorkspaceId,
        id: UserId,
        secret: Option<&[u8]>,
        enabled: bool,
        at: Timestamp,
    ) -> Result<()>;
    /// Records that TOTP `step` was used; false when it (or a later one) was
    /// already used, which makes replay protection durable.
    async fn claim_user_totp_step(&self, ws: WorkspaceId, id: UserId, step: i64) -> Result<bool>;
    async fn replace_recovery_codes(
        &self,
        ws: WorkspaceId,
        user: UserId,
        hashes: &[String],
    ) -> Result<()>;
    /// Marks an unused recovery code used; false when unknown or used.
    async fn use_recovery_code(
        &self,
        ws: WorkspaceId,
        user: UserId,
        hash: &str,
        at: Timestamp,
    ) -> Result<bool>;
    async fn count_unused_recovery_codes(&self, ws: WorkspaceId, user: UserId) -> Result<i64>;

    // Invitations (issue 14)
    async fn create_invitation(&self, inv: &InvitationRow) -> Result<()>;
    async fn invitation_by_token_hash(&self, hash: &str) -> Result<Option<InvitationRow>>;
    async fn get_invitation(&self, ws: WorkspaceId, id: EventId) -> Result<Option<InvitationRow>>;
    /// The workspace's invitations, newest first.
    async fn list_invitations(&self, ws: WorkspaceId) -> Result<Vec<InvitationRow>>;
    /// Revokes an open invitation; false when it was used or revoked already.
    async fn revoke_invitation(&self, ws: WorkspaceId, id: EventId, at: Timestamp) -> Result<bool>;
    /// Marks an open, unexpired invitation used and creates its user, in one
    /// transaction: false (and no user) when it was used, revoked or expired
    /// meanwhile; Conflict when the email is taken.
    async fn accept_invitation(&self, id: EventId, user: &UserRow, at: Timestamp) -> Result<bool>;
    /// Signs a user out everywhere but `keep` (their current session), e.g.
    /// after they changed their password. Returns how many sessions ended.
    async fn revoke_other_sessions(
        &self,
        ws: WorkspaceId,
        user: UserId,
        keep: Option<SessionId>,
        at: Timestamp,
    ) -> Result<u64>;

    // Sessions and tokens
    async fn create_session(&self, s: &SessionRow) -> Result<()>;
    async fn session_by_token_hash(&self, hash: &str) -> Result<Option<SessionRow>>;
    async fn touch_session(&self, id: SessionId, at: Timestamp) -> Result<()>;
    async fn elevate_session(&self, id: SessionId, until: Timestamp) -> Result<()>;
    async fn list_sessions(
        &self,
        ws: WorkspaceId,
        user: UserId,
        now: Timestamp,
    ) -> Result<Vec<SessionRow>>;
    async fn revoke_session(
        &self,
        ws: WorkspaceId,
        user: UserId,
        id: SessionId,
        at: Timestamp,
    ) -> Result<bool>;
    async fn revoke_user_credentials(
        &self,
        ws: WorkspaceId,
        user: UserId,
        at: Timestamp,
    ) -> Result<()>;
    async fn create_api_token(&self, t: &ApiTokenRow) -> Result<()>;
    async fn api_token_by_hash(&self, hash: &str) -> Result<Option<ApiTokenRow>>;
    async fn touch_api_token(&self, id: TokenId, at: Timestamp) -> Result<()>;
    async fn list_api_tokens(&self, ws: WorkspaceId, user: UserId) -> Result<Vec<ApiTokenRow>>;
    async fn revoke_api_token(
        &self,
        ws: WorkspaceId,
        user: UserId,
        id: TokenId,
        at: Timestamp,
    ) -> Result<bool>;

    // Sign-in throttling
    async fn get_throttle(&self, key: &str) -> Result<Option<ThrottleRow>>;
    /// Counts a failure in a window of `window_secs`; locks for `lock_secs`
    /// when the count reaches `threshold`. Returns the updated row.
    async fn record_failure(
        &self,
        key: &str,
        now: Timestamp,
        window_secs: i64,
        threshold: i64,
        lock_secs: i64,
    ) -> Result<ThrottleRow>;
    async fn clear_throttle(&self, key: &str) -> Result<()>;

    // Accounts
    /// Creates the account, its custom fields and its creator as account
    /// Owner in one transaction.
    async fn create_account(
        &self,
        a: &AccountRow,
        owner: &MemberRow,
        fields: &[FieldRow],
    ) -> Result<()>;
    async fn get_account(&self, ws: WorkspaceId, id: AccountId) -> Result<Option<AccountRow>>;
    /// An account with the user's role on it at `now` (None when not a
    /// member, or the membership has ended), in one query.
    async fn get_account_for(
        &self,
        ws: WorkspaceId,
        id: AccountId,
        user: UserId,
        now: Timestamp,
    ) -> Result<Option<(AccountRow, Option<AccountRole>)>>;
    async fn list_accounts(&self, ws: WorkspaceId) -> Result<Vec<AccountRow>>;
    /// Accounts the user is a member of at `now` (ended memberships left
    /// out), with their role.
    async fn list_accounts_for_user(
        &self,
        ws: WorkspaceId,
        user: UserId,
        now: Timestamp,
    ) -> Result<Vec<(AccountRow, AccountRole)>>;
    /// Applies `change` when the stored version equals `expected_version`
    /// (VersionConflict otherwise); returns the new row.
    async fn update_account(
        &self,
        ws: WorkspaceId,
        id: AccountId,
        expected_version: i64,
        change: &AccountChange,
        at: Timestamp,
    ) -> Result<AccountRow>;
    async fn delete_account(&self, ws: WorkspaceId, id: AccountId) -> Result<bool>;
    async fn list_fields(&self, ws: WorkspaceId, account: AccountId) -> Result<Vec<FieldRow>>;
    async fn list_password_history(
        &self,
        ws: WorkspaceId,
        account: AccountId,
    ) -> Result<Vec<PasswordHistoryRow>>;

    // Members
    async fn upsert_member(&self, m: &MemberRow) -> Result<()>;
    async fn remove_member(
        &self,
        ws: WorkspaceId,
        account: AccountId,
        user: UserId,
    ) -> Result<bool>;
    /// The account's members at `now` (ended memberships left out).
    async fn list_members(
        &self,
        ws: WorkspaceId,
        account: AccountId,
        now: Timestamp,
    ) -> Result<Vec<MemberView>>;
    /// The user's role on the account at `now`: every access decision asks
    /// this (or `get_account_for` / `list_accounts_for_user`), so an ended
    /// membership grants nothing even before the sweep deletes it.
    async fn member_role(
        &self,
        ws: WorkspaceId,
        account: AccountId,
        user: UserId,
        now: Timestamp,
    ) -> Result<Option<AccountRole>>;
    /// The user's own membership row, ended or not (for changing it).
    async fn direct_member(
        &self,
        ws: WorkspaceId,
        account: AccountId,
        user: UserId,
    ) -> Result<Option<MemberRow>>;
    /// Memberships (of every workspace) that ended at or before `now`,
    /// oldest end first, at most `limit`.
    async fn expired_members(&self, now: Timestamp, limit: i64) -> Result<Vec<MemberRow>>;
    /// Deletes the membership if it has ended by `now` (false when it was
    /// renewed or removed meanwhile).
    async fn remove_expired_member(
        &self,
        ws: WorkspaceId,
        account: AccountId,
        user: UserId,
        now: Timestamp,
    ) -> Result<bool>;

    // Team authenticator
    /// Stores an enrolment in its slot, replacing what the slot held.
    async fn put_otp(&self, row: &OtpRow) -> Result<()>;
    async fn get_otp(
        &self,
        ws: WorkspaceId,
        account: AccountId,
        slot: OtpSlot,
    ) -> Result<Option<OtpRow>>;
    /// Every active enrolment of the workspace (for code tiles on lists).
    async fn list_active_otp(&self, ws: WorkspaceId) -> Result<Vec<OtpRow>>;
    /// Makes the pending enrolment the active one (the old active one goes)
    /// in one transaction; false when nothing is pending.
    /// With `expected`, only that pending enrolment is promoted (so "Done"
    /// never confirms a key someone else put in meanwhile).
    async fn promote_otp(
        &self,
        ws: WorkspaceId,
        account: AccountId,
        at: Timestamp,
        expected: Option<EventId>,
    ) -> Result<bool>;
    async fn delete_otp(&self, ws: WorkspaceId, account: AccountId, slot: OtpSlot) -> Result<bool>;
    /// Moves an HOTP counter forward to `counter` (never back).
    async fn advance_otp_counter(
        &self,
        ws: WorkspaceId,
        account: AccountId,
        counter: i64,
    ) -> Result<()>;
    /// Claims the active HOTP enrolment `enrolment`'s counter and moves it
    /// on, in one statement: concurrent callers never get the same value.
    /// None when that enrolment is no longer the active HOTP one.
    async fn claim_otp_counter(
        &self,
        ws: WorkspaceId,
        account: AccountId,
        enrolment: EventId,
    ) -> Result<Option<i64>>;
    async fn record_issuance(&self, row: &IssuanceRow) -> Result<()>;
    /// Records several issuances in one transaction (group commit).
    async fn record_issuances(&self, rows: &[IssuanceRow]) -> Result<()>;
    async fn list_issuance(
        &self,
        ws: WorkspaceId,
        account: AccountId,
        limit: i64,
    ) -> Result<Vec<IssuanceRow>>;
    /// Marks a step used; false when it was already marked (replay).
    async fn mark_step_used(&self, row: &UsedStepRow) -> Result<bool>;
    async fn get_used_step(
        &self,
        ws: WorkspaceId,
        account: AccountId,
        step: i64,
    ) -> Result<Option<UsedStepRow>>;

    // Backup codes
    /// Makes `set` the active set with `codes`; the previous active set is
    /// kept, marked replaced. One transaction.
    async fn replace_backup_codes(&self, set: &BackupSetRow, codes: &[BackupCodeRow])
    -> Result<()>;
    /// The active set and its codes in order.
    async fn active_backup_codes(
        &self,
        ws: WorkspaceId,
        account: AccountId,
    ) -> Result<Option<(BackupSetRow, Vec<BackupCodeRow>)>>;
    /// Every set of the account, newest first, with counts.
    async fn list_backup_sets(
        &self,
        ws: WorkspaceId,
        account: AccountId,
    ) -> Result<Vec<BackupSetSummary>>;
    /// Marks one code used; false when it already was (or does not exist).
    async fn mark_backup_code_used(
        &self,
        ws: WorkspaceId,
        set: EventId,
        position: i64,
        by: UserId,
        email: &str,
        at: Timestamp,
    ) -> Result<bool>;

    // Step-up by approval on another device
    async fn create_step_up_request(&self, r: &StepUpRequestRow) -> Result<()>;
    async fn get_step_up_request(
        &self,
        ws: WorkspaceId,
        id: EventId,
    ) -> Result<Option<StepUpRequestRow>>;
    /// Pending, unexpired requests of a user.
    async fn pending_step_up_requests(
        &self,
        ws: WorkspaceId,
        user: UserId,
        now: Timestamp,
    ) -> Result<Vec<StepUpRequestRow>>;
    /// Decides a pending, unexpired request once; false when it was already
    /// decided or has expired.
    async fn decide_step_up_request(
        &self,
        ws: WorkspaceId,
        id: EventId,
        status: &str,
        by: SessionId,
        at: Timestamp,
    ) -> Result<bool>;
    /// Uses an approved request once, for the session that asked: false when
    /// it is not approved, was approved at or before `approved_after` (too
    /// long ago), or was already used.
    async fn consume_step_up_request(
        &self,
        ws: WorkspaceId,
        q: EventId,
        session: SessionId,
        approved_after: Timestamp,
    ) -> Result<bool>;

    // Two-person rule
    async fn two_person_rule(&self, ws: WorkspaceId) -> Result<bool>;
    async fn set_two_person_rule(&self, ws: WorkspaceId, on: bool) -> Result<()>;
    async fn account_critical(&self, ws: WorkspaceId, account: AccountId) -> Result<bool>;
    async fn set_account_critical(
        &self,
        ws: WorkspaceId,
        account: AccountId,
        critical: bool,
    ) -> Result<()>;
    async fn create_dual_approval(&self, r: &DualApprovalRow) -> Result<()>;
    /// The newest open request of a requester for an action and target (pending or approved, unexpired).
    async fn open_dual_approval(
        &self,
        ws: WorkspaceId,
        requester: UserId,
        action: &str,
        target: &str,
        now: Timestamp,
    ) -> Result<Option<DualApprovalRow>>;
    async fn get_dual_approval(
        &self,
        ws: WorkspaceId,
        id: EventId,
    ) -> Result<Option<DualApprovalRow>>;
    async fn pending_dual_approvals(
        &self,
        ws: WorkspaceId,
        now: Timestamp,
    ) -> Result<Vec<DualApprovalRow>>;
    /// Moves a request from `from` to `to` (once); false when it was not in `from` or has expired.
    async fn transition_dual_approval(
        &self,
        ws: WorkspaceId,
        id: EventId,
        from: &str,
        to: &str,
        by: Option<(UserId, &str)>,
        at: Timestamp,
    ) -> Result<bool>;

    // Passkeys
    async fn create_passkey(&self, p: &PasskeyRow) -> Result<()>;
    async fn list_passkeys(&self, ws: WorkspaceId, user: UserId) -> Result<Vec<PasskeyRow>>;
    async fn update_passkey(
        &self,
        ws: WorkspaceId,
        id: EventId,
        credential: &str,
        used_at: Timestamp,
    ) -> Result<()>;
    async fn delete_passkey(&self, ws: WorkspaceId, user: UserId, id: EventId) -> Result<bool>;

    // Managed inbox
    async fn create_managed_email(&self, m: &ManagedEmailRow) -> Result<()>;
    async fn managed_emails_for(
        &self,
        ws: WorkspaceId,
        account: AccountId,
    ) -> Result<Vec<ManagedEmailRow>>;
    /// An address anywhere in the instance (SMTP routing; addresses are unique).
    async fn find_managed_email(&self, address: &str) -> Result<Option<ManagedEmailRow>>;
    async fn set_managed_email_enabled(
        &self,
        ws: WorkspaceId,
        id: EventId,
        enabled: bool,
    ) -> Result<bool>;
    async fn delete_managed_email(&self, ws: WorkspaceId, id: EventId) -> Result<bool>;
    /// Stores a message; false when the same dedup key was already stored for the account.
    async fn insert_message(&self, m: &InboxMessageRow) -> Result<bool>;
    /// Messages of the filter's accounts that match all its filters,
    /// newest first (received time, then id).
    async fn list_messages(
        &self,
        ws: WorkspaceId,
        f: &MessageFilter,
    ) -> Result<Vec<InboxMessageRow>>;
    /// Records the search index of a message: the keyed hashes of its words
    /// (the words themselves are never stored). Replaces any earlier index
    /// of it and marks it indexed; false when the message is gone.
    async fn index_message_words(
        &self,
        ws: WorkspaceId,
        id: EventId,
        words: &[String],
    ) -> Result<bool>;
    /// Messages stored before the search index existed (or whose indexing
    /// failed), anywhere in the instance, oldest first.
    async fn unindexed_messages(&self, limit: i64) -> Result<Vec<InboxMessageRow>>;
    /// Drops the whole search index and marks every message unindexed, for
    /// the backfill to rebuild (needed when the key it is hashed with
    /// changes). Returns how many messages are to be indexed again.
    async fn reset_message_index(&self) -> Result<u64>;
    /// The account's messages from `since` on (after message `after` of
    /// that same time, when given), oldest first.
    async fn messages_since(
        &self,
        ws: WorkspaceId,
        account: AccountId,
        since: Timestamp,
        after: Option<EventId>,
        limit: i64,
    ) -> Result<Vec<InboxMessageRow>>;
    async fn mark_message_used(&self, ws: WorkspaceId, id: EventId, at: Timestamp) -> Result<bool>;
    async fn get_message(&self, ws: WorkspaceId, id: EventId) -> Result<Option<InboxMessageRow>>;
    /// Deletes the workspace's messages received before `before`; returns how many.
    async fn purge_messages(&self, ws: WorkspaceId, before: Timestamp) -> Result<u64>;
    /// What the inbox of `recipient` (a managed address or number) and of
    /// its workspace hold: messages received at or after `since` and bytes
    /// stored, for rate limits and quotas. Counted in the database so every
    /// node sharing it sees the same figures.
    async fn inbox_usage(
        &self,
        ws: WorkspaceId,
        recipient: &str,
        since: Timestamp,
    ) -> Result<InboxUsage>;
    /// Each workspace's inbox retention in days (None: the server default).
    async fn inbox_retentions(&self) -> Result<Vec<(WorkspaceId, Option<i64>)>>;
    async fn set_inbox_retention(&self, ws: WorkspaceId, days: Option<i64>) -> Result<()>;

    /// The sealed password an automation is about to set (None: none).
    async fn pending_password(&self, ws: WorkspaceId, a: AccountId) -> Result<Option<Vec<u8>>>;
    /// Keeps `sealed` as the pending password only when there is none (the
    /// app may already hold the one there: it is never overwritten); true
    /// when kept.
    async fn put_pending_password(
        &self,
        ws: WorkspaceId,
        a: AccountId,
        sealed: &[u8],
    ) -> Result<bool>;
    /// Clears the pending password only while it is still `sealed`; true
    /// when cleared.
    async fn clear_pending_password(
        &self,
        ws: WorkspaceId,
        a: AccountId,
        sealed: &[u8],
    ) -> Result<bool>;

    /// The sealed browser profile of an account, if one was saved.
    async fn browser_profile(&self, ws: WorkspaceId, a: AccountId) -> Result<Option<Vec<u8>>>;
    async fn save_browser_profile(
        &self,
        ws: WorkspaceId,
        a: AccountId,
        sealed: &[u8],
        at: Timestamp,
    ) -> Result<()>;

    // Automation jobs
    async fn insert_job(&self, j: &JobRow) -> Result<()>;
    async fn get_job(&self, ws: WorkspaceId, id: EventId) -> Result<Option<JobRow>>;
    /// Jobs of the workspace (of one account when given), newest first.
    async fn list_jobs(
        &self,
        ws: WorkspaceId,
        account: Option<AccountId>,
        limit: i64,
    ) -> Result<Vec<JobRow>>;
    /// Claims the oldest runnable job (queued or deferred, due, not
    /// cancelled, its account not busy) for `worker` until `lease_until`,
    /// counting an attempt. None when there is nothing to do (or another
    /// worker won the race).
    async fn claim_job(
        &self,
        worker: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Option<JobRow>>;
    /// Extends the lease of a job `worker` holds.
    async fn heartbeat_job(
        &self,
        id: EventId,
        worker: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Lease>;
    /// Moves a job `worker` holds to `state` (`running`, `waiting`,
    /// `deferred`, `queued` for a retry, or an end state); `run_after` for
    /// deferred and retried jobs. False when the job is no longer ours.
    async fn set_job_state(
        &self,
        id: EventId,
        worker: &str,
        state: orthrus_core::JobState,
        error: Option<&str>,
        run_after: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<bool>;
    /// Jobs whose lease ran out (their worker died): back to `queued` at
    /// `retry_at` while attempts remain, else `failed`. Returns how many.
    async fn recover_jobs(&self, now: Timestamp, retry_at: Timestamp) -> Result<u64>;
    /// Cancels a job: at once when it is not running, else by asking its
    /// worker. Returns the job afterwards.
    async fn cancel_job(
        &self,
        ws: WorkspaceId,
        id: EventId,
        now: Timestamp,
    ) -> Result<Option<JobRow>>;
    // Rotation schedules
    async fn rotation_schedule(&self, ws: WorkspaceId, a: AccountId)
    -> Result<Option<RotationRow>>;
    /// Creates or replaces the account's schedule.
    async fn save_rotation_schedule(&self, r: &RotationRow) -> Result<()>;
    async fn delete_rotation_schedule(&self, ws: WorkspaceId, a: AccountId) -> Result<()>;
    /// Schedules (any workspace) whose next rotation is due by `now`.
    async fn due_rotations(&self, now: Timestamp) -> Result<Vec<RotationRow>>;
    /// Moves a schedule's next rotation from `from` to `to`; false when
    /// another node moved it first (it queues that rotation, not us).
    async fn advance_rotation(&self, a: AccountId, from: Timestamp, to: Timestamp) -> Result<bool>;
    /// The workspace's schedules that rotate when a member leaves.
    async fn rotations_on_leave(&self, ws: WorkspaceId) -> Result<Vec<RotationRow>>;
    /// A job `worker` holds waits for a person: `question` says what for.
    /// False when the job is no longer ours (or a cancel is pending).
    async fn ask_job(
        &self,
        id: EventId,
        worker: &str,
        question: &str,
        now: Timestamp,
    ) -> Result<bool>;
    /// A person's sealed answer to a waiting job's question; false when the
    /// job asks nothing now or was answered already.
    async fn answer_job(
        &self,
        ws: WorkspaceId,
        id: EventId,
        sealed: &[u8],
        now: Timestamp,
    ) -> Result<bool>;
    /// For the worker holding the job: the answer, once given; the job is
    /// `running` again and the answer is gone from storage.
    /// Marks a waiting job's question as being answered (before a backup
    /// code is taken for it); false when it asks nothing now or someone
    /// else answers. Then [`Store::fill_job_answer`] or
    /// [`Store::release_job_answer`].
    async fn claim_job_answer(&self, ws: WorkspaceId, id: EventId) -> Result<bool>;
    async fn fill_job_answer(
        &self,
        ws: WorkspaceId,
        id: EventId,
        sealed: &[u8],
        now: Timestamp,
    ) -> Result<bool>;
    async fn release_job_answer(&self, ws: WorkspaceId, id: EventId) -> Result<()>;
    /// The worker stops waiting: the job is `running` again without its
    /// question, unless an answer is given or being given (false).
    async fn give_up_question(&self, id: EventId, worker: &str, now: Timestamp) -> Result<bool>;
    async fn job_screenshot_exists(&self, ws: WorkspaceId, job: EventId) -> Result<bool>;
    /// Deletes screenshots taken before `before`; returns how many.
    async fn purge_job_screenshots(&self, before: Timestamp) -> Result<u64>;
    async fn take_job_answer(
        &self,
        id: EventId,
        worker: &str,
        now: Timestamp,
    ) -> Result<Option<Vec<u8>>>;
    /// Keeps a job's latest screenshot (sealed), replacing any earlier one.
    async fn save_job_screenshot(
        &self,
        ws: WorkspaceId,
        job: EventId,
        sealed: &[u8],
        at: Timestamp,
    ) -> Result<()>;
    async fn job_screenshot(&self, ws: WorkspaceId, job: EventId) -> Result<Option<Vec<u8>>>;
    /// Appends a step (its `seq` is chosen here); returns the seq.
    async fn add_job_step(&self, s: &JobStepRow) -> Result<i64>;
    async fn finish_job_step(
        &self,
        job: EventId,
        seq: i64,
        outcome: orthrus_core::StepOutcome,
        url: Option<&str>,
        detail: Option<&str>,
        at: Timestamp,
    ) -> Result<()>;
    async fn job_steps(&self, job: EventId) -> Result<Vec<JobStepRow>>;

    // MFA checks (issue 13: "keep MFA on")
    async fn mfa_check(&self, ws: WorkspaceId, a: AccountId) -> Result<Option<MfaCheckRow>>;
    /// Every account's last check in the workspace.
    async fn workspace_mfa_checks(&self, ws: WorkspaceId) -> Result<Vec<MfaCheckRow>>;
    /// Creates or replaces the account's last check.
    async fn save_mfa_check(&self, r: &MfaCheckRow) -> Result<()>;
    /// Accounts (any workspace) whose check is due: a confirmed TOTP
    /// authenticator, a login URL and a username, no `check_mfa` job
    /// waiting or running, and neither a check nor a `check_mfa` job since
    /// `before`. The longest unchecked first, at most `limit`.
    async fn due_mfa_checks(&self, before: Timestamp, limit: i64) -> Result<Vec<DueMfaCheck>>;
    /// `check_mfa` jobs queued, running, waiting or deferred (any workspace).
    async fn mfa_checks_in_flight(&self) -> Result<i64>;

    // Forwarding addresses
    async fn forward_address(&self, user: UserId) -> Result<Option<ForwardAddressRow>>;
    /// Creates or replaces the user's forwarding address row.
    async fn save_forward_address(&self, row: &ForwardAddressRow) -> Result<()>;
    /// Counts one code attempt, atomically; false (and nothing counted) when
    /// `max` attempts were already made.
    async fn count_forward_attempt(&self, user: UserId, max: i64) -> Result<bool>;

    // Managed phone numbers
    async fn add_phone_number(&self, p: &PhoneNumberRow) -> Result<()>;
    async fn list_phone_numbers(&self, ws: WorkspaceId) -> Result<Vec<PhoneNumberRow>>;
    /// A number anywhere in the instance (SMS routing; numbers are unique).
    async fn find_phone_number(&self, number: &str) -> Result<Option<PhoneNumberRow>>;
    /// Assigns a free number of the pool to the account (or returns the one
    /// it has); None when the pool is empty.
    async fn assign_phone_number(
        &self,
        ws: WorkspaceId,
        account: AccountId,
    ) -> Result<Option<PhoneNumberRow>>;

    // Audit
    /// Appends an event to the workspace's chain atomically.
    async fn append_audit(
        &self,
        ws: WorkspaceId,
        e: &NewAuditEvent,
        chain: ChainFn<'_>,
    ) -> Result<AuditEventRow>;
    /// Appends several events to the workspace's chain, in order, in one
    /// transaction (group commit: one fsync for all of them).
    async fn append_audits(
        &self,
        ws: WorkspaceId,
        events: &[NewAuditEvent],
        chain: ChainFn<'_>,
    ) -> Result<()>;
    async fn list_audit(&self, ws: WorkspaceId, f: &AuditFilter) -> Result<Vec<AuditEventRow>>;
    /// Every event of a workspace in chain order, for verification.
    async fn audit_chain(&self, ws: WorkspaceId) -> Result<Vec<AuditEventRow>>;
    async fn audit_head(&self, ws: WorkspaceId) -> Result<Option<AuditHead>>;

    // The browser extension (issue 12)
    async fn create_pairing(&self, p: &PairingRow) -> Result<()>;
    async fn get_pairing(&self, id: EventId) -> Result<Option<PairingRow>>;
    /// Pairing requests made from `ip` since `since` (a rate limit).
    async fn count_pairings_from(&self, ip: &str, since: Timestamp) -> Result<i64>;
    /// Decides a pending, unexpired request once (approved or denied, for
    /// `user`); false when it was decided already or has expired.
    async fn decide_pairing(
        &self,
        id: EventId,
        status: PairingStatus,
        ws: WorkspaceId,
        user: UserId,
        at: Timestamp,
    ) -> Result<bool>;
    /// Moves an approved, unexpired request to claimed; false when it is not
    /// (so a session is handed out once).
    async fn claim_pairing(&self, id: EventId, now: Timestamp) -> Result<bool>;
    /// The extra site URLs of an account (JSON array), if any were set.
    async fn account_urls(&self, ws: WorkspaceId, a: AccountId) -> Result<Option<String>>;
    async fn set_account_urls(
        &self,
        ws: WorkspaceId,
        a: AccountId,
        urls_json: &str,
        at: Timestamp,
    ) -> Result<()>;
    /// Every account's extra URLs in the workspace (JSON arrays).
    async fn workspace_account_urls(&self, ws: WorkspaceId) -> Result<Vec<(AccountId, String)>>;
    /// The workspace's app restriction patterns (app, JSON array).
    async fn app_restrictions(&self, ws: WorkspaceId) -> Result<Vec<(String, String)>>;
    /// Replaces one app's patterns (None: back to the built-in defaults).
    async fn set_app_restrictions(
        &self,
        ws: WorkspaceId,
        app: &str,
        patterns_json: Option<&str>,
        at: Timestamp,
    ) -> Result<()>;
    /// Brings the account's next rotation forward to `at` (sets it when
    /// none is due); false when one is already due at or before `at`.
    async fn rotation_due_by(&self, a: AccountId, at: Timestamp) -> Result<bool>;
    /// Clears a due rotation that is still `from` (it was queued); false
    /// when another node moved it first.
    async fn clear_rotation_due(&self, a: AccountId, from: Timestamp) -> Result<bool>;

    // Instance-wide settings
    async fn get_setting(&self, key: &str) -> Result<Option<String>>;
    /// Stores a setting unless it exists; returns the value now stored.
    async fn put_setting_if_absent(&self, key: &str, value: &str) -> Result<String>;
}

/// Opens the store for a database URL: `sqlite://path` or `postgres://…`.
/// Runs migrations.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    open_with(url, PoolSettings::default()).await
}

/// [`open`] with the pool's size set.
pub async fn open_with(url: &str, pool: PoolSettings) -> Result<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::connect_with(url, pool).await?))
    } else {
        let path = url.strip_prefix("sqlite://").unwrap_or(url);
        Ok(Arc::new(
            SqliteStore::open_with(std::path::Path::new(path), pool).await?,
        ))
    }
}

/// Where audit event hashes start.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Helpers for tests in this and other crates: scratch PostgreSQL databases.
pub mod testing {
    use sqlx::Connection;

    /// The PostgreSQL URL tests should use, from `ORTHRUS_TEST_DATABASE_URL`.
    pub fn pg_base_url() -> Option<String> {
        std::env::var("ORTHRUS_TEST_DATABASE_URL")
            .ok()
            .filter(|s| !s.is_empty())
    }

    /// Creates a fresh, uniquely named database next to `base` (so parallel
    /// tests and runs never collide) and returns its URL.
    pub async fn pg_scratch_database(base: &str, tag: &str) -> crate::Result<String> {
        let mut bytes = [0u8; 6];
        getrandom_fill(&mut bytes);
        let suffix: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let name = format!(
            "orthrus_t_{}_{suffix}",
            tag.chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .take(20)
                .collect::<String>()
                .to_lowercase()
        );
        let mut conn = sqlx::PgConnection::connect(base).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await?;
        conn.close().await?;
        let (head, _) = base.rsplit_once('/').unwrap_or((base, ""));
        Ok(format!("{head}/{name}"))
    }

    fn getrandom_fill(b: &mut [u8]) {
        use orthrus_core::Entropy;
        orthrus_core::OsEntropy.fill(b);
    }
}
