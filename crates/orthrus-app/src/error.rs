//! The use-case error: one enum, each variant with a stable machine code.
//! `orthrus-web` maps it to HTTP in exactly one place.

use crate::{ConflictCode, InvalidCode};
use orthrus_store::StoreError;

/// Errors a use case can return. Every case that the API answers with its
/// own status has its own variant (or a typed sub-enum), so `orthrus-web`
/// maps them with one exhaustive `match` and no code is ever compared as
/// text. `Invalid` is always a plain 400 and `Conflict` always a 409: their
/// codes ([`InvalidCode`], [`ConflictCode`]: each raised in one or two
/// places with a message built there) only label the refusal.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("sign in first")]
    Unauthenticated,
    /// One uniform sign-in failure: never says whether the email exists.
    #[error("the email or password is not correct")]
    InvalidCredentials,
    #[error("enter the code from your authenticator app")]
    TotpRequired,
    #[error(
        "too many attempts; try again in {retry_after_secs} s or ask an admin to unlock the account"
    )]
    Throttled { retry_after_secs: i64 },
    #[error("you do not have permission to do that")]
    Forbidden,
    #[error("confirm your identity first (step-up)")]
    StepUpRequired,
    #[error(
        "your workspace requires two-factor authentication: set it up on your security page first"
    )]
    TwoFactorEnrollmentRequired,
    /// 404; the entity gives the code (`account.not_found`) and the message.
    #[error("{0} not found")]
    NotFound(Entity),
    /// A plain 400.
    #[error("{message}")]
    Invalid { code: InvalidCode, message: String },
    /// A plain 409.
    #[error("{message}")]
    Conflict { code: ConflictCode, message: String },
    /// 413 `request.too_large`: a body or form over its limit.
    #[error("{0}")]
    TooLarge(&'static str),
    /// 415 `request.unsupported_media_type`: the message says what to send.
    #[error("{0}")]
    UnsupportedMediaType(&'static str),
    /// 405 `request.method_not_allowed`.
    #[error("this method is not allowed here")]
    MethodNotAllowed,
    /// 428 `version.required`: an edit must say which version it read.
    #[error(
        "send the version you read (\"version\" in the body or an If-Match header) so concurrent edits are not lost"
    )]
    VersionRequired,
    /// 412 `version.conflict`: someone else's edit came first.
    #[error("someone else changed this since you opened it; reload and apply your change again")]
    VersionConflict,
    /// 403 `approval.required`: the two-person rule opened (or reuses) the
    /// approval request `request`.
    #[error(
        "the two-person rule applies: another Owner or Super Admin must approve request {request} first (Approvals in the audit area, or POST /api/v1/dual-approvals/{request})"
    )]
    ApprovalRequired { request: orthrus_core::EventId },
    /// 403 `sms.bad_signature`: an SMS webhook's signature.
    #[error("the webhook signature is missing or wrong")]
    BadSignature,
    #[error("setup is already complete")]
    SetupComplete,
    #[error("internal error: {0}")]
    Internal(String),
    /// 429 `inbox.rate_limited`: an inbox takes no more messages for now
    /// (issue 11), over a message rate.
    #[error("{0}")]
    InboxRateLimited(String),
    /// 507 `inbox.storage_full`: an inbox or its workspace is over its
    /// storage quota.
    #[error("{0}")]
    InboxStorageFull(String),
    /// The browser extension's refusals (autofill and pairing), each with
    /// its own code.
    #[error("{0}")]
    Extension(ExtensionError),
    /// Single sign-on's refusals, each with its own code.
    #[error("{0}")]
    Sso(crate::SsoError),
    /// 503: too much of this kind of work is running; try again later.
    #[error("{}; try again in {retry_after_secs} s", what.message())]
    Busy {
        what: BusyKind,
        retry_after_secs: i64,
    },
}

/// What is busy ([`AppError::Busy`]): each has its code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BusyKind {
    /// Every database connection is taken (`database.busy`).
    Database,
    /// Every upload slot is taken by authenticator QR screenshots and
    /// imports; the code says which upload was refused (`otp.busy`).
    OtpUpload,
    /// As [`BusyKind::OtpUpload`], for an authenticator import (`import.busy`).
    ImportUpload,
}

impl BusyKind {
    pub const ALL: [Self; 3] = [Self::Database, Self::OtpUpload, Self::ImportUpload];

    pub fn code(self) -> &'static str {
        match self {
            Self::Database => "database.busy",
            Self::OtpUpload => "otp.busy",
            Self::ImportUpload => "import.busy",
        }
    }

    fn message(self) -> &'static str {
        match self {
            Self::Database => "the server is busy: no database connection is free",
            Self::OtpUpload | Self::ImportUpload => "the server is busy with other uploads",
        }
    }
}

/// What was not found ([`AppError::NotFound`]): its name is the message's
/// subject ("account not found"), and most have their own code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entity {
    Account,
    User,
    Session,
    Token,
    Member,
    Field,
    /// An account's active authenticator enrolment.
    Authenticator,
    PendingEnrolment,
    BackupCodes,
    BackupCode,
    /// A device approval (step-up on another device).
    StepUpRequest,
    /// A two-person-rule approval.
    Approval,
    Passkey,
    Message,
    Invitation,
    Team,
    AccessRequest,
    ScimToken,
    HistoryEntry,
    Job,
    Screenshot,
    PendingPassword,
    /// A UI page (or a page's section) that does not exist.
    Page,
    /// SCIM discovery: a resource type or schema id nobody serves.
    ResourceType,
    Schema,
    /// A row the store did not find, with no more specific name.
    Record,
}

impl Entity {
    pub const ALL: [Self; 26] = [
        Self::Account,
        Self::User,
        Self::Session,
        Self::Token,
        Self::Member,
        Self::Field,
        Self::Authenticator,
        Self::PendingEnrolment,
        Self::BackupCodes,
        Self::BackupCode,
        Self::StepUpRequest,
        Self::Approval,
        Self::Passkey,
        Self::Message,
        Self::Invitation,
        Self::Team,
        Self::AccessRequest,
        Self::ScimToken,
        Self::HistoryEntry,
        Self::Job,
        Self::Screenshot,
        Self::PendingPassword,
        Self::Page,
        Self::ResourceType,
        Self::Schema,
        Self::Record,
    ];

    /// The name in "… not found".
    pub fn name(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::User => "user",
            Self::Session => "session",
            Self::Token => "token",
            Self::Member => "member",
            Self::Field => "field",
            Self::Authenticator => "authenticator",
            Self::PendingEnrolment => "pending enrolment",
            Self::BackupCodes => "backup codes",
            Self::BackupCode => "backup code",
            Self::StepUpRequest => "step-up request",
            Self::Approval => "approval",
            Self::Passkey => "passkey",
            Self::Message => "message",
            Self::Invitation => "invitation",
            Self::Team => "team",
            Self::AccessRequest => "access request",
            Self::ScimToken => "SCIM token",
            Self::HistoryEntry => "history entry",
            Self::Job => "job",
            Self::Screenshot => "screenshot",
            Self::PendingPassword => "pending password",
            Self::Page => "page",
            Self::ResourceType => "resource type",
            Self::Schema => "schema",
            Self::Record => "record",
        }
    }

    /// The stable code of "not found" for this entity. A device approval
    /// and a two-person approval share `approval.not_found`; the rest
    /// without a code of their own answer `not_found`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Account => "account.not_found",
            Self::User => "user.not_found",
            Self::Session => "session.not_found",
            Self::Token => "token.not_found",
            Self::Member => "member.not_found",
            Self::Field => "field.not_found",
            Self::Authenticator => "otp.not_enrolled",
            Self::PendingEnrolment => "otp.no_pending",
            Self::BackupCodes => "backup_codes.none",
            Self::BackupCode => "backup_codes.not_found",
            Self::StepUpRequest | Self::Approval => "approval.not_found",
            Self::Passkey => "passkey.not_found",
            Self::Message => "inbox.message_not_found",
            Self::Invitation => "invitation.not_found",
            Self::Team => "team.not_found",
            Self::AccessRequest => "access_request.not_found",
            Self::ScimToken => "scim_token.not_found",
            Self::HistoryEntry
            | Self::Job
            | Self::Screenshot
            | Self::PendingPassword
            | Self::Page
            | Self::ResourceType
            | Self::Schema
            | Self::Record => "not_found",
        }
    }
}

impl std::fmt::Display for Entity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl AppError {
    /// The stable machine-readable code (`area.reason`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated => "auth.required",
            Self::InvalidCredentials => "auth.invalid_credentials",
            Self::TotpRequired => "auth.totp_required",
            Self::Throttled { .. } => "auth.throttled",
            Self::Forbidden => "permission.denied",
            Self::StepUpRequired => "step_up.required",
            Self::TwoFactorEnrollmentRequired => "auth.2fa_enrollment_required",
            Self::NotFound(what) => what.code(),
            Self::Invalid { code, .. } => code.as_str(),
            Self::Conflict { code, .. } => code.as_str(),
            Self::TooLarge(_) => "request.too_large",
            Self::UnsupportedMediaType(_) => "request.unsupported_media_type",
            Self::MethodNotAllowed => "request.method_not_allowed",
            Self::VersionRequired => "version.required",
            Self::VersionConflict => "version.conflict",
            Self::ApprovalRequired { .. } => "approval.required",
            Self::BadSignature => "sms.bad_signature",
            Self::SetupComplete => "setup.complete",
            Self::Internal(_) => "internal",
            Self::InboxRateLimited(_) => "inbox.rate_limited",
            Self::InboxStorageFull(_) => "inbox.storage_full",
            Self::Busy { what, .. } => what.code(),
            Self::Extension(e) => e.code(),
            Self::Sso(e) => e.code(),
        }
    }

    /// A plain 400 with its code.
    pub fn invalid(code: InvalidCode, message: impl Into<String>) -> Self {
        Self::Invalid {
            code,
            message: message.into(),
        }
    }

    /// A plain 409 with its code.
    pub fn conflict(code: ConflictCode, message: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
        }
    }
}

/// Why the server refused the browser extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExtensionError {
    /// Credentials and codes go to extension sessions only.
    #[error(
        "autofill answers the browser extension's sessions only; sign in with client \"extension\""
    )]
    ExtensionOnly,
    /// The page asking is not one of the account's sites.
    #[error("this page is not one of the account's sites, so nothing is filled in")]
    OriginMismatch,
    /// The authenticator's current code was used and no fresh one came in time.
    #[error("the current code was already used; ask again with a longer wait for the next one")]
    CodeUsed,
    /// No code (no authenticator, no verified message) in time.
    #[error("no code arrived for this account in time")]
    NoCode,
    #[error("this pairing request is unknown")]
    PairingNotFound,
    #[error("this pairing request has expired or was already used; start again")]
    PairingExpired,
    #[error("this pairing request was denied")]
    PairingDenied,
    #[error("too many pairing requests from this address; try again in a few minutes")]
    PairingThrottled,
}

impl ExtensionError {
    pub fn code(self) -> &'static str {
        match self {
            Self::ExtensionOnly => "autofill.extension_only",
            Self::OriginMismatch => "autofill.origin_mismatch",
            Self::CodeUsed => "autofill.code_used",
            Self::NoCode => "autofill.no_code",
            Self::PairingNotFound => "pairing.not_found",
            Self::PairingExpired => "pairing.expired",
            Self::PairingDenied => "pairing.denied",
            Self::PairingThrottled => "pairing.throttled",
        }
    }
}

impl From<ExtensionError> for AppError {
    fn from(e: ExtensionError) -> Self {
        Self::Extension(e)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound(Entity::Record),
            StoreError::VersionConflict => Self::VersionConflict,
            StoreError::Conflict(m) => Self::conflict(ConflictCode::Other, m),
            // Every connection busy: 503 with Retry-After, not a 500.
            e @ StoreError::PoolTimedOut(_) => {
                tracing::warn!(error = %e, "database pool exhausted");
                Self::Busy {
                    what: BusyKind::Database,
                    retry_after_secs: 1,
                }
            }
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<orthrus_crypto::CryptoError> for AppError {
    fn from(e: orthrus_crypto::CryptoError) -> Self {
        Self::Internal(e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SsoError;
    use std::collections::HashMap;

    fn an_id() -> orthrus_core::EventId {
        "00000000-0000-0000-0000-000000000001"
            .parse()
            .expect("a fixed id")
    }

    /// One value of every variant (every entity, busy kind, extension and
    /// single sign-on refusal). The `match` makes a new variant a compile
    /// error here until it is listed.
    fn every_kind() -> Vec<AppError> {
        let mut all = vec![
            AppError::Unauthenticated,
            AppError::InvalidCredentials,
            AppError::TotpRequired,
            AppError::Throttled {
                retry_after_secs: 1,
            },
            AppError::Forbidden,
            AppError::StepUpRequired,
            AppError::TwoFactorEnrollmentRequired,
            AppError::TooLarge("x"),
            AppError::UnsupportedMediaType("x"),
            AppError::MethodNotAllowed,
            AppError::VersionRequired,
            AppError::VersionConflict,
            AppError::ApprovalRequired { request: an_id() },
            AppError::BadSignature,
            AppError::SetupComplete,
            AppError::Internal("x".into()),
            AppError::InboxRateLimited("x".into()),
            AppError::InboxStorageFull("x".into()),
        ];
        all.extend(Entity::ALL.map(AppError::NotFound));
        all.extend(BusyKind::ALL.map(|what| AppError::Busy {
            what,
            retry_after_secs: 1,
        }));
        all.extend(
            [
                ExtensionError::ExtensionOnly,
                ExtensionError::OriginMismatch,
                ExtensionError::CodeUsed,
                ExtensionError::NoCode,
                ExtensionError::PairingNotFound,
                ExtensionError::PairingExpired,
                ExtensionError::PairingDenied,
                ExtensionError::PairingThrottled,
            ]
            .map(AppError::Extension),
        );
        all.extend(
            [
                SsoError::NotConfigured,
                SsoError::EmailUnverified,
                SsoError::UnknownUser("x".into()),
                SsoError::UserDeactivated,
                SsoError::AlreadyLinked,
                SsoError::FlowExpired,
                SsoError::Provider("x".into()),
                SsoError::StaleAuthentication,
                SsoError::WrongAccount,
                SsoError::PasswordDisabled,
                SsoError::InvalidRedirect,
                SsoError::InvalidChallenge,
                SsoError::InvalidCode,
                SsoError::InvalidTotp,
                SsoError::TooManyFlows,
                SsoError::InvitationEnded,
                SsoError::UseInvitation,
            ]
            .map(AppError::Sso),
        );
        all.extend(InvalidCode::ALL.iter().map(|&c| AppError::invalid(c, "x")));
        all.extend(
            ConflictCode::ALL
                .iter()
                .map(|&c| AppError::conflict(c, "x")),
        );
        for e in &all {
            // Listed above: add a new variant there too.
            match e {
                AppError::Unauthenticated
                | AppError::InvalidCredentials
                | AppError::TotpRequired
                | AppError::Throttled { .. }
                | AppError::Forbidden
                | AppError::StepUpRequired
                | AppError::TwoFactorEnrollmentRequired
                | AppError::NotFound(_)
                | AppError::TooLarge(_)
                | AppError::UnsupportedMediaType(_)
                | AppError::MethodNotAllowed
                | AppError::VersionRequired
                | AppError::VersionConflict
                | AppError::ApprovalRequired { .. }
                | AppError::BadSignature
                | AppError::SetupComplete
                | AppError::Internal(_)
                | AppError::InboxRateLimited(_)
                | AppError::InboxStorageFull(_)
                | AppError::Extension(_)
                | AppError::Sso(_)
                | AppError::Busy { .. }
                | AppError::Invalid { .. }
                | AppError::Conflict { .. } => {}
            }
        }
        all
    }

    #[test]
    fn every_error_has_its_own_code() {
        // The codes more than one kind shares on purpose: a device approval
        // and a two-person approval, and "not found" without a name; an
        // account without an authenticator (404, or 400 where the request
        // needs one) and a missing identity check (403, or 400 where a UI
        // form asks for it).
        let shared = [
            "approval.not_found",
            "not_found",
            "otp.not_enrolled",
            "step_up.required",
        ];
        let mut seen: HashMap<&str, String> = HashMap::new();
        for e in every_kind() {
            let code = e.code();
            assert!(
                code.split('.').all(|p| !p.is_empty()) && !code.contains(' '),
                "{code}"
            );
            if let Some(before) = seen.insert(code, format!("{e:?}")) {
                assert!(
                    shared.contains(&code),
                    "{code} is the code of both {before} and {e:?}"
                );
            }
        }
    }

    /// Every 400 and 409 code is `area.snake_case` (the store's unnamed
    /// `conflict` aside), and `ALL` lists each variant once.
    #[test]
    fn invalid_and_conflict_codes_are_area_dot_reason() {
        let word = |w: &str| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        };
        let codes = InvalidCode::ALL
            .iter()
            .map(|c| c.as_str())
            .chain(ConflictCode::ALL.iter().map(|c| c.as_str()));
        let mut seen = std::collections::HashSet::new();
        for code in codes {
            assert!(seen.insert(code), "{code} is listed twice");
            if code == ConflictCode::Other.as_str() {
                assert_eq!(code, "conflict");
                continue;
            }
            let (area, reason) = code.split_once('.').unwrap_or(("", ""));
            assert!(word(area) && word(reason), "{code} is not area.snake_case");
        }
        // Spot checks that the spelling is today's.
        assert_eq!(InvalidCode::UserInvalidRole.as_str(), "user.invalid_role");
        assert_eq!(InvalidCode::AuthBadClient.as_str(), "auth.bad_client");
        assert_eq!(InvalidCode::TwoFactorBadCode.as_str(), "2fa.bad_code");
        assert_eq!(ConflictCode::UserExists.as_str(), "user.exists");
        assert_eq!(
            AppError::conflict(ConflictCode::ScimUniqueness, "x").code(),
            "scim.uniqueness"
        );
    }

    #[test]
    fn messages_stay_as_they_were() {
        assert_eq!(
            AppError::NotFound(Entity::Account).to_string(),
            "account not found"
        );
        assert_eq!(
            AppError::NotFound(Entity::ScimToken).to_string(),
            "SCIM token not found"
        );
        assert_eq!(
            AppError::Busy {
                what: BusyKind::Database,
                retry_after_secs: 1
            }
            .to_string(),
            "the server is busy: no database connection is free; try again in 1 s"
        );
        assert_eq!(
            AppError::Busy {
                what: BusyKind::OtpUpload,
                retry_after_secs: 5
            }
            .to_string(),
            "the server is busy with other uploads; try again in 5 s"
        );
        assert_eq!(
            AppError::ApprovalRequired { request: an_id() }.to_string(),
            "the two-person rule applies: another Owner or Super Admin must approve request 00000000-0000-0000-0000-000000000001 first (Approvals in the audit area, or POST /api/v1/dual-approvals/00000000-0000-0000-0000-000000000001)"
        );
        assert_eq!(
            AppError::VersionRequired.to_string(),
            "send the version you read (\"version\" in the body or an If-Match header) so concurrent edits are not lost"
        );
    }
}
