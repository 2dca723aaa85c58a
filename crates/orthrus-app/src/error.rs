//! The use-case error: one enum, each variant with a stable machine code.
//! `orthrus-web` maps it to HTTP in exactly one place.

use orthrus_store::StoreError;

/// Errors a use case can return.
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
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("setup is already complete")]
    SetupComplete,
    #[error("internal error: {0}")]
    Internal(String),
    /// An inbox takes no more messages for now (issue 11): over a message
    /// rate (`inbox.rate_limited`) or a storage quota (`inbox.storage_full`).
    #[error("{message}")]
    InboxQuota { code: &'static str, message: String },
    /// The browser extension's refusals (autofill and pairing), each with
    /// its own code.
    #[error("{0}")]
    Extension(ExtensionError),
    /// Too much of this kind of work is running; try again later.
    /// Single sign-on's refusals, each with its own code.
    #[error("{0}")]
    Sso(crate::SsoError),
    #[error("{}", busy_message(code, *retry_after_secs))]
    Busy {
        code: &'static str,
        retry_after_secs: i64,
    },
}

/// What [`AppError::Busy`] says: what is busy depends on the code.
fn busy_message(code: &str, retry_after_secs: i64) -> String {
    let what = if code == "database.busy" {
        "the server is busy: no database connection is free"
    } else {
        "the server is busy with other uploads"
    };
    format!("{what}; try again in {retry_after_secs} s")
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
            Self::NotFound("account") => "account.not_found",
            Self::NotFound("user") => "user.not_found",
            Self::NotFound("session") => "session.not_found",
            Self::NotFound("token") => "token.not_found",
            Self::NotFound("member") => "member.not_found",
            Self::NotFound("field") => "field.not_found",
            Self::NotFound("authenticator") => "otp.not_enrolled",
            Self::NotFound("pending enrolment") => "otp.no_pending",
            Self::NotFound("backup codes") => "backup_codes.none",
            Self::NotFound("backup code") => "backup_codes.not_found",
            Self::NotFound("step-up request") => "approval.not_found",
            Self::NotFound("approval") => "approval.not_found",
            Self::NotFound("passkey") => "passkey.not_found",
            Self::NotFound("message") => "inbox.message_not_found",
            Self::NotFound("invitation") => "invitation.not_found",
            Self::NotFound("team") => "team.not_found",
            Self::NotFound("access request") => "access_request.not_found",
            Self::NotFound("SCIM token") => "scim_token.not_found",
            Self::NotFound(_) => "not_found",
            Self::Invalid { code, .. } | Self::Conflict { code, .. } => code,
            Self::SetupComplete => "setup.complete",
            Self::Internal(_) => "internal",
            Self::InboxQuota { code, .. } => code,
            Self::Busy { code, .. } => code,
            Self::Extension(e) => e.code(),
            Self::Sso(e) => e.code(),
        }
    }

    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            code,
            message: message.into(),
        }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
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
            StoreError::NotFound => Self::NotFound("record"),
            StoreError::VersionConflict => Self::conflict(
                "version.conflict",
                "someone else changed this since you opened it; reload and apply your change again",
            ),
            StoreError::Conflict(m) => Self::conflict("conflict", m),
            // Every connection busy: 503 with Retry-After, not a 500.
            e @ StoreError::PoolTimedOut(_) => {
                tracing::warn!(error = %e, "database pool exhausted");
                Self::Busy {
                    code: "database.busy",
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
