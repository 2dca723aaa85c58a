//! The vocabulary of automation jobs and inbox messages that storage keeps
//! as text: what a job does ([`JobKind`]), where it stands ([`JobState`], its
//! state machine as methods), how a step of its log ended ([`StepOutcome`]) and which road a
//! message came by ([`Channel`]). Each spells
//! itself exactly as the database column and the API's JSON do, so typing
//! a value changes no stored or sent byte.

/// Where an automation job stands (`automation_jobs.state`, `JobView::state`).
///
/// ```text
/// queued ─┐                ┌─> succeeded | failed | cancelled
/// deferred ┴─> running <─> waiting
///               │  └────────> queued (a retry) | deferred (the app said later)
///               └─ (likewise from waiting)
/// queued | deferred ──> cancelled (cancelled before a worker took it)
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for a worker to claim it (from `run_after` on).
    Queued,
    /// A worker holds it (its lease) and runs it.
    Running,
    /// A worker holds it and waits for a person's answer (a CAPTCHA).
    Waiting,
    /// The app asked to come back later: claimed again at `run_after`.
    Deferred,
    Succeeded,
    Failed,
    Cancelled,
}

impl JobState {
    /// The stored and sent spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Waiting => "waiting",
            Self::Deferred => "deferred",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    /// The job has ended: nothing moves it again (`finished_at` is set).
    pub const fn is_terminal(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Cancelled)
    }

    /// Not ended yet: queued, held by a worker, or deferred (a job of the
    /// kind is still to come).
    pub const fn is_pending(self) -> bool {
        !self.is_terminal()
    }

    /// A worker holds it under a lease (`running` or `waiting`); an account
    /// has at most one such job.
    pub const fn is_held(self) -> bool {
        matches!(self, Self::Running | Self::Waiting)
    }

    /// Waiting for a worker to claim it (`queued` or `deferred`).
    pub const fn is_claimable(self) -> bool {
        matches!(self, Self::Queued | Self::Deferred)
    }

    /// Whether a job in this state may move to `next`: a claim takes a
    /// queued or deferred job (or cancels it before anyone did); a worker
    /// moves the job it holds between running and waiting, or lets go of
    /// it with an end, a retry or a deferral; an end is final.
    pub const fn can_move_to(self, next: JobState) -> bool {
        match self {
            Self::Queued | Self::Deferred => matches!(next, Self::Running | Self::Cancelled),
            Self::Running => !matches!(next, Self::Running),
            Self::Waiting => !matches!(next, Self::Waiting),
            Self::Succeeded | Self::Failed | Self::Cancelled => false,
        }
    }
}

spelled_as_str!(
    JobState,
    "job state",
    [
        Queued, Running, Waiting, Deferred, Succeeded, Failed, Cancelled
    ]
);

/// A text that is none of the spellings of the vocabulary it was read as.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what}: {text:?}")]
pub struct UnknownWord {
    pub what: &'static str,
    pub text: String,
}

/// What an automation job does (`automation_jobs.kind`, `JobView::kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
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
    /// The stored and sent spelling.
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

spelled_as_str!(
    JobKind,
    "job kind",
    [Login, EnableMfa, RotatePassword, SwapEmail, CheckMfa]
);

/// What a waiting job asks a person (`Question::kind`, kept in the job's
/// stored question and sent in its JSON).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// Type what the screenshot shows.
    Captcha,
    /// Allow the job to use one of the account's backup codes (identity
    /// check; the code goes to the app, never to the screen).
    BackupCode,
}

impl QuestionKind {
    /// The stored and sent spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Captcha => "captcha",
            Self::BackupCode => "backup_code",
        }
    }
}

spelled_as_str!(QuestionKind, "question kind", [Captcha, BackupCode]);

/// How a step of a job's log ended (`automation_steps.outcome`,
/// `StepView::outcome`); a step still running has none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum StepOutcome {
    #[serde(rename = "ok")]
    Ok,
    #[serde(rename = "failed")]
    Failed,
    /// A recipe's `pause`: a person must act outside Orthrus.
    #[serde(rename = "waiting")]
    Paused,
}

impl StepOutcome {
    /// The stored and sent spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Failed => "failed",
            Self::Paused => "waiting",
        }
    }
}

spelled_as_str!(StepOutcome, "step outcome", [Ok, Failed, Paused]);

/// Which road an inbox message came by (`inbox_messages.channel`,
/// `InboxItem::channel`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Mail to a managed address (SMTP).
    Email,
    /// A text message to a managed number (an SMS webhook).
    Sms,
}

impl Channel {
    /// The stored and sent spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
        }
    }
}

spelled_as_str!(Channel, "channel", [Email, Sms]);

#[cfg(test)]
mod tests {
    use super::JobState::{self, *};
    use super::*;

    #[test]
    fn states_spell_themselves_as_stored_and_sent() {
        let words = [
            "queued",
            "running",
            "waiting",
            "deferred",
            "succeeded",
            "failed",
            "cancelled",
        ];
        crate::tests::assert_spelled(JobState::ALL, words, JobState::as_str);
        assert!("Queued".parse::<JobState>().is_err());
        assert!("".parse::<JobState>().is_err());
    }

    #[test]
    fn the_sets_of_states_the_store_and_the_pages_ask_about() {
        let terminal: Vec<_> = JobState::ALL
            .into_iter()
            .filter(|s| s.is_terminal())
            .collect();
        assert_eq!(terminal, [Succeeded, Failed, Cancelled]);
        let pending: Vec<_> = JobState::ALL
            .into_iter()
            .filter(|s| s.is_pending())
            .collect();
        assert_eq!(pending, [Queued, Running, Waiting, Deferred]);
        let held: Vec<_> = JobState::ALL.into_iter().filter(|s| s.is_held()).collect();
        assert_eq!(held, [Running, Waiting]);
        let claimable: Vec<_> = JobState::ALL
            .into_iter()
            .filter(|s| s.is_claimable())
            .collect();
        assert_eq!(claimable, [Queued, Deferred]);
    }

    #[test]
    fn the_transition_table() {
        // Row: from; columns in `JobState::ALL` order:
        // queued running waiting deferred succeeded failed cancelled.
        let table: [(JobState, [bool; 7]); 7] = [
            (Queued, [false, true, false, false, false, false, true]),
            (Running, [true, false, true, true, true, true, true]),
            (Waiting, [true, true, false, true, true, true, true]),
            (Deferred, [false, true, false, false, false, false, true]),
            (Succeeded, [false; 7]),
            (Failed, [false; 7]),
            (Cancelled, [false; 7]),
        ];
        for (from, row) in table {
            for (to, allowed) in JobState::ALL.into_iter().zip(row) {
                assert_eq!(from.can_move_to(to), allowed, "{from} -> {to}");
            }
        }
        // A worker lets go of a job by any state it does not hold it in.
        for to in JobState::ALL {
            assert_eq!(
                Running.can_move_to(to) && !to.is_held(),
                to.is_terminal() || to.is_claimable(),
                "{to}"
            );
        }
    }

    #[test]
    fn step_outcomes_spell_themselves_as_stored_and_sent() {
        let words = ["ok", "failed", "waiting"];
        crate::tests::assert_spelled(StepOutcome::ALL, words, StepOutcome::as_str);
        assert!("paused".parse::<StepOutcome>().is_err());
    }

    #[test]
    fn channels_spell_themselves_as_stored_and_sent() {
        crate::tests::assert_spelled(Channel::ALL, ["email", "sms"], Channel::as_str);
        assert!("fax".parse::<Channel>().is_err());
    }

    #[test]
    fn job_kinds_round_trip_and_a_check_runs_the_login_flow_afresh() {
        let words = [
            "login",
            "enable_mfa",
            "rotate_password",
            "swap_email",
            "check_mfa",
        ];
        crate::tests::assert_spelled(JobKind::ALL, words, JobKind::as_str);
        for (k, w) in JobKind::ALL.into_iter().zip(words) {
            assert_eq!(JobKind::parse(w), Some(k));
        }
        assert_eq!(JobKind::parse("dance"), None);
        assert!("dance".parse::<JobKind>().is_err());
        assert_eq!(JobKind::CheckMfa.flow(), "login");
        assert_eq!(JobKind::EnableMfa.flow(), "enable_mfa");
        assert!(JobKind::CheckMfa.fresh_profile() && !JobKind::Login.fresh_profile());
        assert!(JobKind::CheckMfa.signs_in_only() && !JobKind::SwapEmail.signs_in_only());
    }

    #[test]
    fn question_kinds_spell_themselves_as_stored_and_sent() {
        crate::tests::assert_spelled(
            QuestionKind::ALL,
            ["captcha", "backup_code"],
            QuestionKind::as_str,
        );
        assert!("sms".parse::<QuestionKind>().is_err());
    }
}
