//! What "Confirm your identity" carries on with once it passes, as one
//! typed value. On the wire (the dialog's forms, the passkey button, the
//! other device's dialog) it travels as a `then` token `kind:id:rest`:
//! `reveal:<account>`, `copy:<account>`, `field:<account>:<field>`,
//! `mfa:<account>`, `backup-view:<account>`, `backup-use:<account>`,
//! `dual-1:<approval>`, `dual-0:<approval>`, `job-backup:<job>`,
//! `automation:<account>:<job kind>[:confirmed]`. [`Resume`]'s `Display` is
//! the one spelling, [`Resume::parse`] the one reading; [`Written`] is what
//! a token says before its ids are read, for the words shown about it.

use crate::extract::{MalformedId, entity, parse_id};
use crate::ui::backup::CodeAction;
use orthrus_core::JobKind;
use orthrus_core::ids::{AccountId, EventId, FieldId};
use std::fmt;

/// The kind of a `then` token: its first part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    Reveal,
    Copy,
    Field,
    Mfa,
    BackupView,
    BackupUse,
    /// Approving a two-person-rule request.
    Approve,
    /// Denying one.
    Deny,
    JobBackup,
    Automation,
}

impl Step {
    /// The spelling in a token.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::Reveal => "reveal",
            Self::Copy => "copy",
            Self::Field => "field",
            Self::Mfa => "mfa",
            Self::BackupView => "backup-view",
            Self::BackupUse => "backup-use",
            Self::Approve => "dual-1",
            Self::Deny => "dual-0",
            Self::JobBackup => "job-backup",
            Self::Automation => "automation",
        }
    }
}

orthrus_core::spelled_as_str!(
    Step,
    "step-up step",
    [
        Reveal, Copy, Field, Mfa, BackupView, BackupUse, Approve, Deny, JobBackup, Automation
    ]
);

/// What the identity check resumes once it passes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Resume {
    /// Show an account's password.
    Reveal(AccountId),
    /// Copy it.
    Copy(AccountId),
    /// Show a secret field of an account.
    Field(AccountId, FieldId),
    /// Set up an account's authenticator.
    Mfa(AccountId),
    /// View an account's backup codes, or take one.
    Backup(AccountId, CodeAction),
    /// Decide a two-person-rule request.
    Dual { approval: EventId, approve: bool },
    /// Let an automation's job use a backup code.
    JobBackup(EventId),
    /// Start an automation; `confirmed`: "MFA is off" was ticked.
    Automation {
        account: AccountId,
        kind: JobKind,
        confirmed: bool,
    },
}

/// Why a token resumes nothing, answered as before there was a type for it.
#[derive(Debug)]
pub(crate) enum Refused {
    /// No such kind: 400 `request.invalid`, "unknown action".
    UnknownAction,
    /// An id that does not parse: 404 with its entity's code.
    Malformed(MalformedId),
    /// `automation:<account>:` with what is no job kind: the start is
    /// refused by the app, as the form's unknown kind is, with `written`.
    UnknownJob { account: AccountId, written: String },
}

impl From<MalformedId> for Refused {
    fn from(e: MalformedId) -> Self {
        Self::Malformed(e)
    }
}

/// A token's parts as written, each empty when missing: its kind, the id
/// it is about and the rest. What the dialog says about a token comes from
/// here, so one that does not parse still reads as before.
pub(crate) struct Written<'a> {
    pub(crate) kind: &'a str,
    pub(crate) id: &'a str,
    pub(crate) rest: &'a str,
}

impl<'a> Written<'a> {
    pub(crate) fn of(then: &'a str) -> Self {
        let mut parts = then.splitn(3, ':');
        Self {
            kind: parts.next().unwrap_or(""),
            id: parts.next().unwrap_or(""),
            rest: parts.next().unwrap_or(""),
        }
    }

    pub(crate) fn step(&self) -> Option<Step> {
        self.kind.parse().ok()
    }

    /// The account it is about, when its id is one.
    pub(crate) fn account(&self) -> Option<AccountId> {
        self.id.parse().ok()
    }

    /// An automation's job kind, read from the start of the rest.
    pub(crate) fn job(&self) -> Option<JobKind> {
        JobKind::parse(self.rest.split(':').next().unwrap_or(""))
    }
}

impl Resume {
    /// Reads a token; parts after those its kind uses are ignored.
    pub(crate) fn parse(then: &str) -> Result<Self, Refused> {
        let w = Written::of(then);
        let account = || parse_id::<entity::Account>(w.id);
        Ok(match w.step().ok_or(Refused::UnknownAction)? {
            Step::Reveal => Self::Reveal(account()?),
            Step::Copy => Self::Copy(account()?),
            Step::Field => Self::Field(account()?, parse_id::<entity::Field>(w.rest)?),
            Step::Mfa => Self::Mfa(account()?),
            Step::BackupView => Self::Backup(account()?, CodeAction::View),
            Step::BackupUse => Self::Backup(account()?, CodeAction::Use),
            Step::Approve | Step::Deny => Self::Dual {
                approval: parse_id::<entity::Approval>(w.id)?,
                approve: w.step() == Some(Step::Approve),
            },
            Step::JobBackup => Self::JobBackup(parse_id::<entity::Job>(w.id)?),
            Step::Automation => {
                let account = account()?;
                let (kind, confirmed) = match w.rest.split_once(':') {
                    Some((kind, "confirmed")) => (kind, true),
                    _ => (w.rest, false),
                };
                let Some(kind) = JobKind::parse(kind) else {
                    return Err(Refused::UnknownJob {
                        account,
                        written: kind.to_owned(),
                    });
                };
                Self::Automation {
                    account,
                    kind,
                    confirmed,
                }
            }
        })
    }

    pub(crate) fn step(&self) -> Step {
        match self {
            Self::Reveal(_) => Step::Reveal,
            Self::Copy(_) => Step::Copy,
            Self::Field(..) => Step::Field,
            Self::Mfa(_) => Step::Mfa,
            Self::Backup(_, CodeAction::View) => Step::BackupView,
            Self::Backup(_, CodeAction::Use) => Step::BackupUse,
            Self::Dual { approve: true, .. } => Step::Approve,
            Self::Dual { approve: false, .. } => Step::Deny,
            Self::JobBackup(_) => Step::JobBackup,
            Self::Automation { .. } => Step::Automation,
        }
    }

    /// For a started automation, whether "MFA is off" was confirmed: Turn
    /// on MFA always says, other kinds only when the token does.
    pub(crate) fn confirmed_mfa_off(kind: JobKind, confirmed: bool) -> Option<bool> {
        (kind == JobKind::EnableMfa || confirmed).then_some(confirmed)
    }
}

impl fmt::Display for Resume {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let step = self.step().as_str();
        match self {
            Self::Reveal(id) | Self::Copy(id) | Self::Mfa(id) | Self::Backup(id, _) => {
                write!(f, "{step}:{id}")
            }
            Self::Field(id, field) => write!(f, "{step}:{id}:{field}"),
            Self::Dual { approval, .. } => write!(f, "{step}:{approval}"),
            Self::JobBackup(job) => write!(f, "{step}:{job}"),
            Self::Automation {
                account,
                kind,
                confirmed,
            } => {
                write!(f, "{step}:{account}:{}", kind.as_str())?;
                if *confirmed {
                    f.write_str(":confirmed")?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    const OTHER: &str = "0190a1b2-c3d4-7e5f-8a9b-ffffffffffff";

    fn every() -> Vec<Resume> {
        let id: AccountId = ACCOUNT.parse().unwrap();
        let other: EventId = OTHER.parse().unwrap();
        let mut all = vec![
            Resume::Reveal(id),
            Resume::Copy(id),
            Resume::Field(id, OTHER.parse().unwrap()),
            Resume::Mfa(id),
            Resume::Backup(id, CodeAction::View),
            Resume::Backup(id, CodeAction::Use),
            Resume::Dual {
                approval: other,
                approve: true,
            },
            Resume::Dual {
                approval: other,
                approve: false,
            },
            Resume::JobBackup(other),
        ];
        for kind in JobKind::ALL {
            for confirmed in [false, true] {
                all.push(Resume::Automation {
                    account: id,
                    kind,
                    confirmed,
                });
            }
        }
        all
    }

    #[test]
    fn step_up_every_resume_round_trips() {
        let all = every();
        for step in Step::ALL {
            assert!(all.iter().any(|r| r.step() == step), "{step:?} untested");
            assert_eq!(step.as_str().parse().ok(), Some(step));
        }
        for r in all {
            let token = r.to_string();
            assert_eq!(Resume::parse(&token).unwrap(), r, "{token}");
            assert_eq!(Written::of(&token).step(), Some(r.step()));
        }
    }

    #[test]
    fn step_up_tokens_spelled_as_before() {
        let spelled: Vec<String> = every().iter().map(ToString::to_string).collect();
        assert_eq!(spelled[0], format!("reveal:{ACCOUNT}"));
        assert_eq!(spelled[1], format!("copy:{ACCOUNT}"));
        assert_eq!(spelled[2], format!("field:{ACCOUNT}:{OTHER}"));
        assert_eq!(spelled[3], format!("mfa:{ACCOUNT}"));
        assert_eq!(spelled[4], format!("backup-view:{ACCOUNT}"));
        assert_eq!(spelled[5], format!("backup-use:{ACCOUNT}"));
        assert_eq!(spelled[6], format!("dual-1:{OTHER}"));
        assert_eq!(spelled[7], format!("dual-0:{OTHER}"));
        assert_eq!(spelled[8], format!("job-backup:{OTHER}"));
        assert!(spelled.contains(&format!("automation:{ACCOUNT}:enable_mfa:confirmed")));
        assert!(spelled.contains(&format!("automation:{ACCOUNT}:rotate_password")));
    }

    #[test]
    fn step_up_confirmation_resumes_as_before() {
        use JobKind::{EnableMfa, RotatePassword};
        assert_eq!(Resume::confirmed_mfa_off(EnableMfa, false), Some(false));
        assert_eq!(Resume::confirmed_mfa_off(EnableMfa, true), Some(true));
        assert_eq!(Resume::confirmed_mfa_off(RotatePassword, false), None);
        assert_eq!(Resume::confirmed_mfa_off(RotatePassword, true), Some(true));
    }

    fn refusal(token: &str) -> Refused {
        Resume::parse(token).expect_err(token)
    }

    fn malformed(token: &str) -> orthrus_app::Entity {
        match refusal(token) {
            Refused::Malformed(e) => match crate::error::WebError::from(e).0 {
                orthrus_app::AppError::NotFound(entity) => entity,
                other => panic!("{token}: {other:?}"),
            },
            other => panic!("{token}: {other:?}"),
        }
    }

    #[test]
    fn step_up_malformed_tokens_are_refused() {
        use orthrus_app::Entity;
        for token in ["", "nothing", "unknown:x", "Reveal:x", ":"] {
            assert!(matches!(refusal(token), Refused::UnknownAction), "{token}");
        }
        assert!(matches!(
            refusal(&format!("reveal {ACCOUNT}")),
            Refused::UnknownAction
        ));
        for kind in [
            "reveal",
            "copy",
            "field",
            "mfa",
            "backup-view",
            "backup-use",
        ] {
            assert_eq!(malformed(kind), Entity::Account, "{kind}");
            assert_eq!(malformed(&format!("{kind}:nope")), Entity::Account);
        }
        assert_eq!(malformed(&format!("field:{ACCOUNT}")), Entity::Field);
        assert_eq!(malformed(&format!("field:{ACCOUNT}:x")), Entity::Field);
        assert_eq!(malformed("dual-1:x"), Entity::Approval);
        assert_eq!(malformed("dual-0"), Entity::Approval);
        assert_eq!(malformed("job-backup:x"), Entity::Job);
        assert_eq!(malformed("automation:x:enable_mfa"), Entity::Account);
        for rest in ["", "bogus", "enable_mfa:other", "a:b:confirmed"] {
            match refusal(&format!("automation:{ACCOUNT}:{rest}")) {
                Refused::UnknownJob { account, written } => {
                    assert_eq!(account.to_string(), ACCOUNT);
                    assert_eq!(written, rest);
                }
                other => panic!("{rest}: {other:?}"),
            }
        }
        match refusal(&format!("automation:{ACCOUNT}:bogus:confirmed")) {
            Refused::UnknownJob { written, .. } => assert_eq!(written, "bogus"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn step_up_parts_after_those_used_are_ignored() {
        let id: AccountId = ACCOUNT.parse().unwrap();
        assert_eq!(
            Resume::parse(&format!("reveal:{ACCOUNT}:extra")).unwrap(),
            Resume::Reveal(id)
        );
        let w = Written::of("automation:x:enable_mfa:confirmed");
        assert_eq!(
            (w.step(), w.id, w.job()),
            (Some(Step::Automation), "x", Some(JobKind::EnableMfa))
        );
        assert_eq!(w.account(), None);
    }
}
