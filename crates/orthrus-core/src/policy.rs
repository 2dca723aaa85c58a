//! The permission policy as one pure function, [`decide`]. `orthrus-app` calls
//! it for every use case; nothing else grants or denies.
//!
//! Workspace roles: **Owner** does everything; **Super Admin** manages users and
//! roles below Owner and can act on every account, with step-up when not a
//! member; **Admin** manages users with role User, sees and edits account
//! metadata and reads the audit log, never secrets; **User** reaches only the
//! accounts they are a member of. Account roles: **Owner** (settings,
//! credentials, MFA, members, automations), **Manager** (use, reveal password,
//! add Collaborators), **Collaborator** (use through autofill/automation, TOTP
//! codes, inbox; never the password).

use crate::roles::{AccountRole, WorkspaceRole};

/// Who is asking: their workspace role and, for account actions, their role on
/// that account (None when not a member).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subject {
    pub workspace_role: WorkspaceRole,
    pub account_role: Option<AccountRole>,
}

/// Everything that is authorized.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    // Workspace scope.
    CreateAccount,
    ListAllAccounts,
    ListUsers,
    /// Create a user with `new`, or change a user from `current` to `new`
    /// (deactivate, unlock, reset: `new == current`).
    ManageUser {
        current: Option<WorkspaceRole>,
        new: WorkspaceRole,
    },
    ViewAudit,
    ManageWorkspaceSettings,
    // Account scope.
    ViewAccount,
    EditAccountMetadata,
    EditCredentials,
    RevealPassword,
    ViewSecretFields,
    ManageMembers {
        role: AccountRole,
    },
    DeleteAccount,
    UseTotp,
    ManageMfa,
    /// Paste a new set of backup codes (no step-up: nothing is revealed).
    SetBackupCodes,
    /// Give the account a managed email address (no step-up: nothing is revealed).
    CreateManagedEmail,
    /// View or use backup codes (step-up).
    ViewBackupCodes,
    ViewInbox,
    ManageManagedIdentity,
    RunLoginAutomation,
    RunAdminAutomation,
    /// Start a check that the app still asks for the authenticator code at
    /// sign-in ("keep MFA on"; the account's Owners, like the other
    /// automations that act on its security).
    CheckMfa,
    /// Generate (and so use up) an HOTP code or move its counter on: a
    /// counter-based code stays valid until used, so handing one out is like
    /// revealing a credential (account Owners and Managers).
    AdvanceHotp,
    // The two-person rule (issue 11); workspace scope, decided in
    // `decide_two_person`.
    /// Approve or deny someone else's two-person request, and see the
    /// waiting ones (workspace Owners and Super Admins; deciding needs step-up).
    ApproveDual,
    /// Turn the two-person rule on or off (workspace Owners, step-up).
    ManageTwoPersonRule,
    /// Tag an account critical or untag it (workspace Owners and Super
    /// Admins, step-up).
    TagCritical,
    // Workspace reach (issue 11: every permission decision is an Action).
    /// List one's own accounts (everyone; the workspace's 2FA rule applies).
    ListOwnAccounts,
    /// Create a personal API token (everyone, step-up).
    CreateApiToken,
    /// Let a browser extension sign in as oneself (everyone, step-up: the
    /// approval mints a session, so a stolen session must not grant it).
    ApprovePairing,
    /// See every automation job of the workspace, not only one's own.
    ViewAllJobs,
    /// Manage the workspace's pool of phone numbers.
    ManagePhoneNumbers,
    /// Export every account's authenticator seeds (step-up; the two-person
    /// rule applies when on).
    ExportSeeds,
    /// Act on every account of the workspace without being a member; the
    /// account-scoped actions still decide what (and when step-up is due).
    ReachEveryAccount,
    // Account scope.
    /// Read the account's notes (its members; Super Admins and Owners).
    ReadNotes,
    /// Log in through the browser extension's autofill: the server hands the
    /// credentials (or a code) to an extension session for a matching page.
    /// Collaborators included: filling is how they use an account without
    /// being shown its password.
    Autofill,
    // Workspace scope.
    /// Edit the workspace's list of app settings pages that Collaborators may
    /// not open through the extension (workspace Admins and above).
    ManageAppRestrictions,
    // Access requests and guests (issue 15).
    /// See the workspace's directory of accounts (app and label only) to
    /// ask for one (workspace Users and above; not Guests).
    ViewAccountDirectory,
    /// Ask an account's Owners for a role on it for a while (workspace
    /// Users and above; not Guests).
    RequestAccess,
    /// May a user of this workspace role hold `role` on an account? Decided
    /// with the member-to-be as the subject: Guests are only ever
    /// Collaborators.
    HoldAccountRole {
        role: AccountRole,
    },
    // Account scope.
    /// Approve or decline a request for access to the account (its Owners;
    /// workspace Owners, and Super Admins with step-up).
    DecideAccessRequest,
    /// Create (or replace) the workspace's SCIM provisioning token
    /// (workspace Owners, step-up: it lets a directory create and remove
    /// people).
    ManageScim,
    /// See the workspace's teams and who is in them (everyone, as the list
    /// of people).
    ViewTeams,
    // Account scope.
    /// Give a team a role on the account or take it back (the account's
    /// Owners).
    GrantTeam,
}

impl Action {
    /// Actions that touch secrets or security settings always need a fresh
    /// step-up (DESIGN.md "Step-up"), whoever asks.
    pub fn needs_step_up(self) -> bool {
        matches!(
            self,
            Action::RevealPassword
                | Action::ViewSecretFields
                | Action::DeleteAccount
                | Action::ManageMfa
                | Action::ViewBackupCodes
                | Action::ManageManagedIdentity
                | Action::ExportSeeds
                | Action::CreateApiToken
                | Action::ApprovePairing
                | Action::ApproveDual
                | Action::ManageTwoPersonRule
                | Action::TagCritical
                | Action::ManageScim
        )
    }

    fn is_account_scoped(self) -> bool {
        !matches!(
            self,
            Action::CreateAccount
                | Action::ListAllAccounts
                | Action::ListUsers
                | Action::ManageUser { .. }
                | Action::ViewAudit
                | Action::ManageWorkspaceSettings
                | Action::ListOwnAccounts
                | Action::CreateApiToken
                | Action::ApprovePairing
                | Action::ViewAllJobs
                | Action::ManagePhoneNumbers
                | Action::ExportSeeds
                | Action::ReachEveryAccount
                | Action::ManageAppRestrictions
                | Action::ViewAccountDirectory
                | Action::RequestAccess
                | Action::HoldAccountRole { .. }
                | Action::ManageScim
                | Action::ViewTeams
        )
    }
}

/// The outcome of [`decide`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Allowed once the session has a fresh step-up.
    AllowWithStepUp,
    Deny,
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        !matches!(self, Decision::Deny)
    }
}

/// The permission policy.
pub fn decide(subject: Subject, action: Action) -> Decision {
    use AccountRole as A;
    use WorkspaceRole as W;
    let ws = subject.workspace_role;
    if let Some(d) = decide_two_person(ws, action) {
        return d;
    }

    if !action.is_account_scoped() {
        // A Guest reaches no workspace-wide list or setting: only their own
        // accounts, their own tokens and the browser extension.
        if ws == W::Guest
            && !matches!(
                action,
                Action::ListOwnAccounts
                    | Action::CreateApiToken
                    | Action::ApprovePairing
                    | Action::HoldAccountRole { .. }
            )
        {
            return Decision::Deny;
        }
        let allowed = match action {
            Action::CreateAccount
            | Action::ListUsers
            | Action::ListOwnAccounts
            | Action::CreateApiToken
            | Action::ApprovePairing
            | Action::ViewTeams => true,
            Action::ListAllAccounts
            | Action::ViewAudit
            | Action::ViewAllJobs
            | Action::ManagePhoneNumbers
            | Action::ManageAppRestrictions => ws >= W::Admin,
            Action::ExportSeeds | Action::ReachEveryAccount => ws >= W::SuperAdmin,
            Action::ManageWorkspaceSettings | Action::ManageScim => ws == W::Owner,
            Action::ManageUser { current, new } => match ws {
                W::Owner => true,
                W::SuperAdmin => new < W::Owner && current.is_none_or(|c| c < W::Owner),
                W::Admin => new <= W::User && current.is_none_or(|c| c <= W::User),
                W::User | W::Guest => false,
            },
            Action::ViewAccountDirectory | Action::RequestAccess => ws >= W::User,
            Action::HoldAccountRole { role } => ws > W::Guest || role == A::Collaborator,
            _ => false,
        };
        return if !allowed {
            Decision::Deny
        } else if action.needs_step_up() {
            Decision::AllowWithStepUp
        } else {
            Decision::Allow
        };
    }

    // The effective account role: a workspace Owner is an Owner of every
    // account; a Super Admin acts as one, but always with step-up when they are
    // not a member.
    let (effective, forced_step_up) = match (ws, subject.account_role) {
        (W::Owner, _) => (Some(A::Owner), false),
        // A Super Admin acts as an Owner of every account; unless they are an
        // Owner of this one, every action beyond viewing needs step-up.
        (W::SuperAdmin, r) => (Some(A::Owner), r != Some(A::Owner)),
        // A Guest is never more than a Collaborator, whatever a grant says.
        (W::Guest, r) => (r.map(|r| r.min(A::Collaborator)), false),
        (_, r) => (r, false),
    };

    let allowed = match action {
        Action::ViewAccount => effective.is_some() || ws >= W::Admin,
        Action::EditAccountMetadata => effective == Some(A::Owner) || ws >= W::Admin,
        Action::EditCredentials
        | Action::DeleteAccount
        | Action::ManageMfa
        | Action::ViewBackupCodes
        | Action::SetBackupCodes
        | Action::CreateManagedEmail
        | Action::ManageManagedIdentity
        | Action::RunAdminAutomation
        | Action::CheckMfa
        | Action::GrantTeam
        | Action::DecideAccessRequest => effective == Some(A::Owner),
        Action::RevealPassword | Action::ViewSecretFields => effective >= Some(A::Manager),
        Action::ManageMembers { role } => match effective {
            Some(A::Owner) => true,
            Some(A::Manager) => role == A::Collaborator,
            _ => false,
        },
        Action::UseTotp | Action::ViewInbox | Action::RunLoginAutomation | Action::Autofill => {
            effective.is_some()
        }
        Action::AdvanceHotp => effective >= Some(A::Manager),
        Action::ReadNotes => effective.is_some(),
        _ => false,
    };
    if !allowed {
        return Decision::Deny;
    }
    let metadata_only = matches!(action, Action::ViewAccount | Action::ReadNotes);
    if action.needs_step_up() || (forced_step_up && !metadata_only) {
        Decision::AllowWithStepUp
    } else {
        Decision::Allow
    }
}

/// The two-person rule's actions: who may approve, switch the rule and tag
/// critical accounts. None for every other action.
fn decide_two_person(ws: WorkspaceRole, action: Action) -> Option<Decision> {
    let allowed = match action {
        Action::ApproveDual | Action::TagCritical => ws >= WorkspaceRole::SuperAdmin,
        Action::ManageTwoPersonRule => ws == WorkspaceRole::Owner,
        _ => return None,
    };
    Some(match (allowed, action.needs_step_up()) {
        (false, _) => Decision::Deny,
        (true, true) => Decision::AllowWithStepUp,
        (true, false) => Decision::Allow,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(ws: WorkspaceRole, acc: Option<AccountRole>) -> Subject {
        Subject {
            workspace_role: ws,
            account_role: acc,
        }
    }

    #[test]
    fn collaborators_never_see_passwords() {
        for ws in WorkspaceRole::ALL {
            if ws >= WorkspaceRole::SuperAdmin {
                continue;
            }
            let d = decide(
                s(ws, Some(AccountRole::Collaborator)),
                Action::RevealPassword,
            );
            assert_eq!(d, Decision::Deny, "{ws:?}");
        }
    }

    #[test]
    fn admins_see_metadata_but_no_secrets() {
        let admin = s(WorkspaceRole::Admin, None);
        assert_eq!(decide(admin, Action::ViewAccount), Decision::Allow);
        assert_eq!(decide(admin, Action::EditAccountMetadata), Decision::Allow);
        assert_eq!(decide(admin, Action::RevealPassword), Decision::Deny);
        assert_eq!(decide(admin, Action::UseTotp), Decision::Deny);
    }

    #[test]
    fn super_admin_needs_step_up_on_foreign_accounts() {
        let sa = s(WorkspaceRole::SuperAdmin, None);
        assert_eq!(decide(sa, Action::ViewAccount), Decision::Allow);
        assert_eq!(decide(sa, Action::UseTotp), Decision::AllowWithStepUp);
        assert_eq!(
            decide(sa, Action::RevealPassword),
            Decision::AllowWithStepUp
        );
        let member = s(WorkspaceRole::SuperAdmin, Some(AccountRole::Collaborator));
        assert_eq!(
            decide(member, Action::UseTotp),
            Decision::AllowWithStepUp,
            "a membership does not lift step-up"
        );
        let owner = s(WorkspaceRole::SuperAdmin, Some(AccountRole::Owner));
        assert_eq!(decide(owner, Action::UseTotp), Decision::Allow);
    }

    #[test]
    fn user_management_is_bounded_by_rank() {
        let m = |ws, current, new| {
            decide(s(ws, None), Action::ManageUser { current, new }).is_allowed()
        };
        use WorkspaceRole::*;
        assert!(m(Owner, Some(Owner), User));
        assert!(m(SuperAdmin, None, SuperAdmin));
        assert!(!m(SuperAdmin, None, Owner));
        assert!(!m(SuperAdmin, Some(Owner), User));
        assert!(m(Admin, Some(User), User));
        assert!(!m(Admin, None, Admin));
        assert!(!m(User, None, User));
    }

    #[test]
    fn managers_add_only_collaborators() {
        let m = s(WorkspaceRole::User, Some(AccountRole::Manager));
        assert!(
            decide(
                m,
                Action::ManageMembers {
                    role: AccountRole::Collaborator
                }
            )
            .is_allowed()
        );
        assert!(
            !decide(
                m,
                Action::ManageMembers {
                    role: AccountRole::Manager
                }
            )
            .is_allowed()
        );
        assert_eq!(decide(m, Action::RevealPassword), Decision::AllowWithStepUp);
    }

    #[test]
    fn only_owners_and_managers_advance_hotp() {
        let d = |ws, acc| decide(s(ws, acc), Action::AdvanceHotp);
        use AccountRole::*;
        assert_eq!(d(WorkspaceRole::User, Some(Owner)), Decision::Allow);
        assert_eq!(d(WorkspaceRole::User, Some(Manager)), Decision::Allow);
        assert_eq!(d(WorkspaceRole::User, Some(Collaborator)), Decision::Deny);
        assert_eq!(d(WorkspaceRole::User, None), Decision::Deny);
        assert_eq!(d(WorkspaceRole::Admin, Some(Collaborator)), Decision::Deny);
        assert_eq!(d(WorkspaceRole::Owner, None), Decision::Allow);
        assert_eq!(
            d(WorkspaceRole::SuperAdmin, None),
            Decision::AllowWithStepUp
        );
    }

    #[test]
    fn two_person_rule_actions_need_rank_and_step_up() {
        use WorkspaceRole::*;
        let d = |ws, action| decide(s(ws, Some(AccountRole::Owner)), action);
        for action in [Action::ApproveDual, Action::TagCritical] {
            assert_eq!(d(Owner, action), Decision::AllowWithStepUp, "{action:?}");
            assert_eq!(
                d(SuperAdmin, action),
                Decision::AllowWithStepUp,
                "{action:?}"
            );
            assert_eq!(d(Admin, action), Decision::Deny, "{action:?}");
            assert_eq!(d(User, action), Decision::Deny, "{action:?}");
        }
        assert_eq!(
            d(Owner, Action::ManageTwoPersonRule),
            Decision::AllowWithStepUp
        );
        for ws in [SuperAdmin, Admin, User] {
            assert_eq!(d(ws, Action::ManageTwoPersonRule), Decision::Deny, "{ws:?}");
        }
    }

    #[test]
    fn workspace_reach_follows_rank() {
        use WorkspaceRole::*;
        let d = |ws, action| decide(s(ws, None), action);
        for action in [Action::ViewAllJobs, Action::ManagePhoneNumbers] {
            assert_eq!(d(Admin, action), Decision::Allow, "{action:?}");
            assert_eq!(d(User, action), Decision::Deny, "{action:?}");
        }
        assert_eq!(
            d(SuperAdmin, Action::ExportSeeds),
            Decision::AllowWithStepUp
        );
        assert_eq!(d(Admin, Action::ExportSeeds), Decision::Deny);
        assert_eq!(d(SuperAdmin, Action::ReachEveryAccount), Decision::Allow);
        assert_eq!(d(Admin, Action::ReachEveryAccount), Decision::Deny);
        assert_eq!(d(User, Action::ListOwnAccounts), Decision::Allow);
        // Notes: members and Super Admins (without step-up), not Admins.
        let n = |ws, r| decide(s(ws, r), Action::ReadNotes);
        assert_eq!(n(User, Some(AccountRole::Collaborator)), Decision::Allow);
        assert_eq!(n(SuperAdmin, None), Decision::Allow);
        assert_eq!(n(Admin, None), Decision::Deny);
    }

    #[test]
    fn every_member_may_autofill_and_admins_edit_restrictions() {
        use AccountRole::*;
        let d = |ws, acc| decide(s(ws, acc), Action::Autofill);
        for r in [Owner, Manager, Collaborator] {
            assert_eq!(d(WorkspaceRole::User, Some(r)), Decision::Allow, "{r:?}");
        }
        assert_eq!(d(WorkspaceRole::User, None), Decision::Deny);
        assert_eq!(d(WorkspaceRole::Admin, None), Decision::Deny);
        assert_eq!(
            d(WorkspaceRole::SuperAdmin, None),
            Decision::AllowWithStepUp
        );
        let m = |ws| decide(s(ws, None), Action::ManageAppRestrictions);
        assert_eq!(m(WorkspaceRole::Admin), Decision::Allow);
        assert_eq!(m(WorkspaceRole::User), Decision::Deny);
    }

    #[test]
    fn only_account_owners_check_mfa() {
        use AccountRole::*;
        let d = |ws, acc| decide(s(ws, acc), Action::CheckMfa);
        assert_eq!(d(WorkspaceRole::User, Some(Owner)), Decision::Allow);
        assert_eq!(d(WorkspaceRole::User, Some(Manager)), Decision::Deny);
        assert_eq!(d(WorkspaceRole::User, Some(Collaborator)), Decision::Deny);
        assert_eq!(d(WorkspaceRole::Admin, None), Decision::Deny);
        assert_eq!(d(WorkspaceRole::Owner, None), Decision::Allow);
        assert_eq!(
            d(WorkspaceRole::SuperAdmin, None),
            Decision::AllowWithStepUp
        );
    }

    #[test]
    fn guests_are_collaborators_on_their_accounts_and_reach_nothing_else() {
        use AccountRole::*;
        let g = |acc| s(WorkspaceRole::Guest, acc);
        // Only ever Collaborators, even when a grant says more.
        for r in [Owner, Manager] {
            assert!(!decide(g(None), Action::HoldAccountRole { role: r }).is_allowed());
            assert!(
                decide(
                    s(WorkspaceRole::User, None),
                    Action::HoldAccountRole { role: r }
                )
                .is_allowed()
            );
            assert_eq!(decide(g(Some(r)), Action::RevealPassword), Decision::Deny);
            assert_eq!(
                decide(g(Some(r)), Action::ManageMembers { role: Collaborator }),
                Decision::Deny
            );
        }
        assert!(decide(g(None), Action::HoldAccountRole { role: Collaborator }).is_allowed());
        assert_eq!(
            decide(g(Some(Collaborator)), Action::UseTotp),
            Decision::Allow
        );
        assert_eq!(
            decide(g(Some(Collaborator)), Action::Autofill),
            Decision::Allow
        );
        assert_eq!(decide(g(None), Action::ViewAccount), Decision::Deny);
        // No workspace-wide lists, no account creation, no requests.
        for a in [
            Action::CreateAccount,
            Action::ListUsers,
            Action::ListAllAccounts,
            Action::ViewAccountDirectory,
            Action::RequestAccess,
            Action::ViewAudit,
            Action::ManageUser {
                current: None,
                new: WorkspaceRole::Guest,
            },
        ] {
            assert_eq!(decide(g(None), a), Decision::Deny, "{a:?}");
        }
        assert_eq!(decide(g(None), Action::ListOwnAccounts), Decision::Allow);
        // Admins manage guests as they manage Users.
        let admin = s(WorkspaceRole::Admin, None);
        assert!(
            decide(
                admin,
                Action::ManageUser {
                    current: None,
                    new: WorkspaceRole::Guest
                }
            )
            .is_allowed()
        );
        assert!(
            !decide(
                admin,
                Action::ManageUser {
                    current: Some(WorkspaceRole::Guest),
                    new: WorkspaceRole::Admin
                }
            )
            .is_allowed()
        );
    }

    #[test]
    fn account_owners_decide_access_requests() {
        use AccountRole::*;
        let d = |ws, acc| decide(s(ws, acc), Action::DecideAccessRequest);
        assert_eq!(d(WorkspaceRole::User, Some(Owner)), Decision::Allow);
        assert_eq!(d(WorkspaceRole::User, Some(Manager)), Decision::Deny);
        assert_eq!(d(WorkspaceRole::Admin, None), Decision::Deny);
        assert_eq!(d(WorkspaceRole::Owner, None), Decision::Allow);
        assert_eq!(
            d(WorkspaceRole::SuperAdmin, None),
            Decision::AllowWithStepUp
        );
        let ask = |ws| decide(s(ws, None), Action::RequestAccess);
        assert_eq!(ask(WorkspaceRole::User), Decision::Allow);
        assert_eq!(ask(WorkspaceRole::Guest), Decision::Deny);
    }

    #[test]
    fn non_members_reach_nothing() {
        let u = s(WorkspaceRole::User, None);
        assert_eq!(decide(u, Action::ViewAccount), Decision::Deny);
        assert_eq!(decide(u, Action::ViewInbox), Decision::Deny);
        assert_eq!(decide(u, Action::CreateAccount), Decision::Allow);
    }
}
