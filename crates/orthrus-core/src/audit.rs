//! How an audited action ended ([`AuditOutcome`]) and what kind of thing it
//! was done to ([`AuditTarget`]), spelled exactly as the audit log's
//! `outcome` and `target_type` columns, its hash chain and the API's JSON
//! keep them.

/// How an audited action ended (`audit_events.outcome`, `AuditEntry::outcome`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    /// It was done.
    Success,
    /// It was tried and did not work (a wrong code, a refused sign-in).
    Failure,
    /// The policy, or a person deciding, said no.
    Denied,
    /// A person asked for it; someone else decides.
    Requested,
    /// A person deciding said yes.
    Approved,
    /// It was done, with something to look at (a restore over data).
    Warning,
}

impl AuditOutcome {
    /// The stored and sent spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Denied => "denied",
            Self::Requested => "requested",
            Self::Approved => "approved",
            Self::Warning => "warning",
        }
    }
}

spelled_as_str!(
    AuditOutcome,
    "audit outcome",
    [Success, Failure, Denied, Requested, Approved, Warning]
);

/// What an audited action was done to: the kind of the event's
/// `target_id` (`audit_events.target_type`, `AuditEntry::target_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditTarget {
    /// A shared account of the vault.
    Account,
    /// A request waiting for a second person (two-person rule, device approval).
    Approval,
    /// An invitation to join the workspace.
    Invitation,
    /// A message of the shared inbox.
    Message,
    /// A browser extension being paired.
    Pairing,
    /// A member's passkey.
    Passkey,
    /// A sign-in session.
    Session,
    /// A team of members.
    Team,
    /// A personal API token.
    Token,
    /// A member of the workspace.
    User,
}

impl AuditTarget {
    /// The stored and sent spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::Approval => "approval",
            Self::Invitation => "invitation",
            Self::Message => "message",
            Self::Pairing => "pairing",
            Self::Passkey => "passkey",
            Self::Session => "session",
            Self::Team => "team",
            Self::Token => "token",
            Self::User => "user",
        }
    }
}

spelled_as_str!(
    AuditTarget,
    "audit target",
    [
        Account, Approval, Invitation, Message, Pairing, Passkey, Session, Team, Token, User
    ]
);

#[cfg(test)]
mod tests {
    use super::{AuditOutcome, AuditTarget};

    #[test]
    fn outcomes_spell_themselves_as_stored_and_sent() {
        let words = [
            "success",
            "failure",
            "denied",
            "requested",
            "approved",
            "warning",
        ];
        crate::tests::assert_spelled(AuditOutcome::ALL, words, AuditOutcome::as_str);
        assert!("Success".parse::<AuditOutcome>().is_err());
    }

    #[test]
    fn targets_spell_themselves_as_stored_and_sent() {
        let words = [
            "account",
            "approval",
            "invitation",
            "message",
            "pairing",
            "passkey",
            "session",
            "team",
            "token",
            "user",
        ];
        crate::tests::assert_spelled(AuditTarget::ALL, words, AuditTarget::as_str);
    }
}
