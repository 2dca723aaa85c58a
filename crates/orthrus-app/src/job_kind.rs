//! What an automation job does. Storage and the API keep the kind as a
//! string (`automation_jobs.kind`, `JobView::kind`); code that decides by
//! kind parses it into [`JobKind`].

/// What an automation job does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// Sign in to the app (the recipe's `login` flow, or the generic login).
    Login,
    /// Add an authenticator in the app and keep its key here.
    EnableMfa,
    RotatePassword,
    /// Set the account's email in the app to its managed address.
    SwapEmail,
    /// Sign in from a fresh browser and see whether the app still asks for
    /// the authenticator code ("keep MFA on").
    CheckMfa,
}

impl JobKind {
    pub const ALL: [JobKind; 5] = [
        JobKind::Login,
        JobKind::EnableMfa,
        JobKind::RotatePassword,
        JobKind::SwapEmail,
        JobKind::CheckMfa,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::EnableMfa => "enable_mfa",
            Self::RotatePassword => "rotate_password",
            Self::SwapEmail => "swap_email",
            Self::CheckMfa => "check_mfa",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The recipe flow the job runs: a check runs the app's `login`.
    pub fn flow(self) -> &'static str {
        match self {
            Self::CheckMfa => Self::Login.as_str(),
            other => other.as_str(),
        }
    }

    /// Signs in only: an app without a recipe runs the generic login.
    pub fn signs_in_only(self) -> bool {
        matches!(self, Self::Login | Self::CheckMfa)
    }

    /// Runs in a fresh browser profile, neither loaded nor kept: a
    /// remembered device would let the app skip the code it is checking.
    pub fn fresh_profile(self) -> bool {
        matches!(self, Self::CheckMfa)
    }
}

#[cfg(test)]
mod tests {
    use super::JobKind;

    #[test]
    fn kinds_round_trip_and_a_check_runs_the_login_flow_afresh() {
        for k in JobKind::ALL {
            assert_eq!(JobKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(JobKind::parse("dance"), None);
        assert_eq!(JobKind::CheckMfa.flow(), "login");
        assert_eq!(JobKind::EnableMfa.flow(), "enable_mfa");
        assert!(JobKind::CheckMfa.fresh_profile() && !JobKind::Login.fresh_profile());
        assert!(JobKind::CheckMfa.signs_in_only() && !JobKind::SwapEmail.signs_in_only());
    }
}

/// How a person starts a job, beyond its kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StartOptions {
    /// For `enable_mfa`: the person says they verified in the app that MFA
    /// is off (turning it on over an authenticator whose key Orthrus does
    /// not hold can lock the team out). None: not asked (the API's
    /// original contract); `Some(false)` is refused, as the page's
    /// unticked box is.
    pub confirmed_mfa_off: Option<bool>,
}
