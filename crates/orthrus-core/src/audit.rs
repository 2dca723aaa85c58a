//! How an audited action ended ([`AuditOutcome`]), spelled exactly as the
//! audit log's `outcome` column, its hash chain and the API's JSON keep it.

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
    pub const ALL: [AuditOutcome; 6] = [
        AuditOutcome::Success,
        AuditOutcome::Failure,
        AuditOutcome::Denied,
        AuditOutcome::Requested,
        AuditOutcome::Approved,
        AuditOutcome::Warning,
    ];

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

spelled_as_str!(AuditOutcome, "audit outcome");

#[cfg(test)]
mod tests {
    use super::AuditOutcome;

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
}
