//! The audit log's vocabulary: every action Orthrus records, as an enum.
//! [`AuditAction::as_str`] gives the exact text stored in `audit_events.action`
//! (the audit chain hashes it, so these strings never change), and
//! `FromStr` reads it back. `account.otp_view` and `account.otp_copy` are no
//! longer written (code views are counted, not audited) but stay here so old
//! chains still read as known actions.

/// One kind of audited event (`area.what`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuditAction {
    /// `2fa.disable`
    TwoFactorDisable,
    /// `2fa.enable`
    TwoFactorEnable,
    /// `2fa.recovery_code_used`
    TwoFactorRecoveryCodeUsed,
    /// `2fa.recovery_codes_regenerated`
    TwoFactorRecoveryCodesRegenerated,

    /// `access_request.approve`
    AccessRequestApprove,
    /// `access_request.create`
    AccessRequestCreate,
    /// `access_request.decline`
    AccessRequestDecline,

    /// `account.autofill`
    AccountAutofill,
    /// `account.autofill_refused`
    AccountAutofillRefused,
    /// `account.backup_code_marked_used`
    AccountBackupCodeMarkedUsed,
    /// `account.backup_code_use`
    AccountBackupCodeUse,
    /// `account.backup_codes_low`
    AccountBackupCodesLow,
    /// `account.backup_codes_set`
    AccountBackupCodesSet,
    /// `account.backup_codes_view`
    AccountBackupCodesView,
    /// `account.create`
    AccountCreate,
    /// `account.critical_change`
    AccountCriticalChange,
    /// `account.delete`
    AccountDelete,
    /// `account.field_reveal`
    AccountFieldReveal,
    /// `account.managed_email_create`
    AccountManagedEmailCreate,
    /// `account.member_add`
    AccountMemberAdd,
    /// `account.member_expire`
    AccountMemberExpire,
    /// `account.member_remove`
    AccountMemberRemove,
    /// `account.member_role_change`
    AccountMemberRoleChange,
    /// `account.mfa_check`
    AccountMfaCheck,
    /// `account.mfa_enabled`
    AccountMfaEnabled,
    /// `account.mfa_enroll_cancel`
    AccountMfaEnrollCancel,
    /// `account.mfa_enroll_start`
    AccountMfaEnrollStart,
    /// `account.mfa_imported`
    AccountMfaImported,
    /// `account.mfa_off_detected`
    AccountMfaOffDetected,
    /// `account.mfa_removed`
    AccountMfaRemoved,
    /// `account.otp_copy`
    AccountOtpCopy,
    /// `account.otp_view`
    AccountOtpView,
    /// `account.password_copy`
    AccountPasswordCopy,
    /// `account.password_history_reveal`
    AccountPasswordHistoryReveal,
    /// `account.password_reveal`
    AccountPasswordReveal,
    /// `account.phone_number_assign`
    AccountPhoneNumberAssign,
    /// `account.rotation_schedule`
    AccountRotationSchedule,
    /// `account.team_grant`
    AccountTeamGrant,
    /// `account.team_revoke`
    AccountTeamRevoke,
    /// `account.update`
    AccountUpdate,
    /// `account.urls_update`
    AccountUrlsUpdate,

    /// `audit.export`
    AuditExport,

    /// `auth.login`
    AuthLogin,
    /// `auth.logout`
    AuthLogout,
    /// `auth.sso_login`
    AuthSsoLogin,
    /// `auth.step_up`
    AuthStepUp,

    /// `automation.answer`
    AutomationAnswer,
    /// `automation.cancel`
    AutomationCancel,
    /// `automation.credentials_use`
    AutomationCredentialsUse,
    /// `automation.needs_person`
    AutomationNeedsPerson,
    /// `automation.password_discarded`
    AutomationPasswordDiscarded,
    /// `automation.password_pending`
    AutomationPasswordPending,
    /// `automation.password_rotated`
    AutomationPasswordRotated,
    /// `automation.start`
    AutomationStart,

    /// `dual_approval.decided`
    DualApprovalDecided,
    /// `dual_approval.requested`
    DualApprovalRequested,
    /// `dual_approval.used`
    DualApprovalUsed,

    /// `extension.pairing_approved`
    ExtensionPairingApproved,
    /// `extension.pairing_denied`
    ExtensionPairingDenied,

    /// `inbox.message_forward`
    InboxMessageForward,
    /// `inbox.message_used`
    InboxMessageUsed,

    /// `invitation.accept`
    InvitationAccept,
    /// `invitation.create`
    InvitationCreate,
    /// `invitation.revoke`
    InvitationRevoke,

    /// `otp.export`
    OtpExport,
    /// `otp.import`
    OtpImport,

    /// `passkey.delete`
    PasskeyDelete,
    /// `passkey.register`
    PasskeyRegister,

    /// `scim.group_create`
    ScimGroupCreate,
    /// `scim.group_delete`
    ScimGroupDelete,
    /// `scim.group_update`
    ScimGroupUpdate,
    /// `scim.token_create`
    ScimTokenCreate,
    /// `scim.token_revoke`
    ScimTokenRevoke,
    /// `scim.user_create`
    ScimUserCreate,
    /// `scim.user_deactivate`
    ScimUserDeactivate,
    /// `scim.user_delete`
    ScimUserDelete,
    /// `scim.user_email_change`
    ScimUserEmailChange,
    /// `scim.user_reactivate`
    ScimUserReactivate,
    /// `scim.user_update`
    ScimUserUpdate,

    /// `session.revoke`
    SessionRevoke,

    /// `setup.complete`
    SetupComplete,

    /// `sms.number_add`
    SmsNumberAdd,

    /// `token.create`
    TokenCreate,
    /// `token.revoke`
    TokenRevoke,

    /// `user.2fa_reset`
    UserTwoFactorReset,
    /// `user.access_end_change`
    UserAccessEndChange,
    /// `user.access_expire`
    UserAccessExpire,
    /// `user.create`
    UserCreate,
    /// `user.deactivate`
    UserDeactivate,
    /// `user.forward_address_set`
    UserForwardAddressSet,
    /// `user.forward_address_verified`
    UserForwardAddressVerified,
    /// `user.password_change`
    UserPasswordChange,
    /// `user.reactivate`
    UserReactivate,
    /// `user.role_change`
    UserRoleChange,
    /// `user.sso_link`
    UserSsoLink,
    /// `user.unlock`
    UserUnlock,

    /// `workspace.app_restrictions`
    WorkspaceAppRestrictions,
    /// `workspace.inbox_retention_change`
    WorkspaceInboxRetentionChange,
    /// `workspace.settings_change`
    WorkspaceSettingsChange,
}

impl AuditAction {
    /// Every action, in the order of their stored names.
    pub const ALL: [Self; 99] = [
        Self::TwoFactorDisable,
        Self::TwoFactorEnable,
        Self::TwoFactorRecoveryCodeUsed,
        Self::TwoFactorRecoveryCodesRegenerated,
        Self::AccessRequestApprove,
        Self::AccessRequestCreate,
        Self::AccessRequestDecline,
        Self::AccountAutofill,
        Self::AccountAutofillRefused,
        Self::AccountBackupCodeMarkedUsed,
        Self::AccountBackupCodeUse,
        Self::AccountBackupCodesLow,
        Self::AccountBackupCodesSet,
        Self::AccountBackupCodesView,
        Self::AccountCreate,
        Self::AccountCriticalChange,
        Self::AccountDelete,
        Self::AccountFieldReveal,
        Self::AccountManagedEmailCreate,
        Self::AccountMemberAdd,
        Self::AccountMemberExpire,
        Self::AccountMemberRemove,
        Self::AccountMemberRoleChange,
        Self::AccountMfaCheck,
        Self::AccountMfaEnabled,
        Self::AccountMfaEnrollCancel,
        Self::AccountMfaEnrollStart,
        Self::AccountMfaImported,
        Self::AccountMfaOffDetected,
        Self::AccountMfaRemoved,
        Self::AccountOtpCopy,
        Self::AccountOtpView,
        Self::AccountPasswordCopy,
        Self::AccountPasswordHistoryReveal,
        Self::AccountPasswordReveal,
        Self::AccountPhoneNumberAssign,
        Self::AccountRotationSchedule,
        Self::AccountTeamGrant,
        Self::AccountTeamRevoke,
        Self::AccountUpdate,
        Self::AccountUrlsUpdate,
        Self::AuditExport,
        Self::AuthLogin,
        Self::AuthLogout,
        Self::AuthSsoLogin,
        Self::AuthStepUp,
        Self::AutomationAnswer,
        Self::AutomationCancel,
        Self::AutomationCredentialsUse,
        Self::AutomationNeedsPerson,
        Self::AutomationPasswordDiscarded,
        Self::AutomationPasswordPending,
        Self::AutomationPasswordRotated,
        Self::AutomationStart,
        Self::DualApprovalDecided,
        Self::DualApprovalRequested,
        Self::DualApprovalUsed,
        Self::ExtensionPairingApproved,
        Self::ExtensionPairingDenied,
        Self::InboxMessageForward,
        Self::InboxMessageUsed,
        Self::InvitationAccept,
        Self::InvitationCreate,
        Self::InvitationRevoke,
        Self::OtpExport,
        Self::OtpImport,
        Self::PasskeyDelete,
        Self::PasskeyRegister,
        Self::ScimGroupCreate,
        Self::ScimGroupDelete,
        Self::ScimGroupUpdate,
        Self::ScimTokenCreate,
        Self::ScimTokenRevoke,
        Self::ScimUserCreate,
        Self::ScimUserDeactivate,
        Self::ScimUserDelete,
        Self::ScimUserEmailChange,
        Self::ScimUserReactivate,
        Self::ScimUserUpdate,
        Self::SessionRevoke,
        Self::SetupComplete,
        Self::SmsNumberAdd,
        Self::TokenCreate,
        Self::TokenRevoke,
        Self::UserTwoFactorReset,
        Self::UserAccessEndChange,
        Self::UserAccessExpire,
        Self::UserCreate,
        Self::UserDeactivate,
        Self::UserForwardAddressSet,
        Self::UserForwardAddressVerified,
        Self::UserPasswordChange,
        Self::UserReactivate,
        Self::UserRoleChange,
        Self::UserSsoLink,
        Self::UserUnlock,
        Self::WorkspaceAppRestrictions,
        Self::WorkspaceInboxRetentionChange,
        Self::WorkspaceSettingsChange,
    ];

    /// The stored name (`account.password_reveal`): byte-identical forever.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TwoFactorDisable => "2fa.disable",
            Self::TwoFactorEnable => "2fa.enable",
            Self::TwoFactorRecoveryCodeUsed => "2fa.recovery_code_used",
            Self::TwoFactorRecoveryCodesRegenerated => "2fa.recovery_codes_regenerated",
            Self::AccessRequestApprove => "access_request.approve",
            Self::AccessRequestCreate => "access_request.create",
            Self::AccessRequestDecline => "access_request.decline",
            Self::AccountAutofill => "account.autofill",
            Self::AccountAutofillRefused => "account.autofill_refused",
            Self::AccountBackupCodeMarkedUsed => "account.backup_code_marked_used",
            Self::AccountBackupCodeUse => "account.backup_code_use",
            Self::AccountBackupCodesLow => "account.backup_codes_low",
            Self::AccountBackupCodesSet => "account.backup_codes_set",
            Self::AccountBackupCodesView => "account.backup_codes_view",
            Self::AccountCreate => "account.create",
            Self::AccountCriticalChange => "account.critical_change",
            Self::AccountDelete => "account.delete",
            Self::AccountFieldReveal => "account.field_reveal",
            Self::AccountManagedEmailCreate => "account.managed_email_create",
            Self::AccountMemberAdd => "account.member_add",
            Self::AccountMemberExpire => "account.member_expire",
            Self::AccountMemberRemove => "account.member_remove",
            Self::AccountMemberRoleChange => "account.member_role_change",
            Self::AccountMfaCheck => "account.mfa_check",
            Self::AccountMfaEnabled => "account.mfa_enabled",
            Self::AccountMfaEnrollCancel => "account.mfa_enroll_cancel",
            Self::AccountMfaEnrollStart => "account.mfa_enroll_start",
            Self::AccountMfaImported => "account.mfa_imported",
            Self::AccountMfaOffDetected => "account.mfa_off_detected",
            Self::AccountMfaRemoved => "account.mfa_removed",
            Self::AccountOtpCopy => "account.otp_copy",
            Self::AccountOtpView => "account.otp_view",
            Self::AccountPasswordCopy => "account.password_copy",
            Self::AccountPasswordHistoryReveal => "account.password_history_reveal",
            Self::AccountPasswordReveal => "account.password_reveal",
            Self::AccountPhoneNumberAssign => "account.phone_number_assign",
            Self::AccountRotationSchedule => "account.rotation_schedule",
            Self::AccountTeamGrant => "account.team_grant",
            Self::AccountTeamRevoke => "account.team_revoke",
            Self::AccountUpdate => "account.update",
            Self::AccountUrlsUpdate => "account.urls_update",
            Self::AuditExport => "audit.export",
            Self::AuthLogin => "auth.login",
            Self::AuthLogout => "auth.logout",
            Self::AuthSsoLogin => "auth.sso_login",
            Self::AuthStepUp => "auth.step_up",
            Self::AutomationAnswer => "automation.answer",
            Self::AutomationCancel => "automation.cancel",
            Self::AutomationCredentialsUse => "automation.credentials_use",
            Self::AutomationNeedsPerson => "automation.needs_person",
            Self::AutomationPasswordDiscarded => "automation.password_discarded",
            Self::AutomationPasswordPending => "automation.password_pending",
            Self::AutomationPasswordRotated => "automation.password_rotated",
            Self::AutomationStart => "automation.start",
            Self::DualApprovalDecided => "dual_approval.decided",
            Self::DualApprovalRequested => "dual_approval.requested",
            Self::DualApprovalUsed => "dual_approval.used",
            Self::ExtensionPairingApproved => "extension.pairing_approved",
            Self::ExtensionPairingDenied => "extension.pairing_denied",
            Self::InboxMessageForward => "inbox.message_forward",
            Self::InboxMessageUsed => "inbox.message_used",
            Self::InvitationAccept => "invitation.accept",
            Self::InvitationCreate => "invitation.create",
            Self::InvitationRevoke => "invitation.revoke",
            Self::OtpExport => "otp.export",
            Self::OtpImport => "otp.import",
            Self::PasskeyDelete => "passkey.delete",
            Self::PasskeyRegister => "passkey.register",
            Self::ScimGroupCreate => "scim.group_create",
            Self::ScimGroupDelete => "scim.group_delete",
            Self::ScimGroupUpdate => "scim.group_update",
            Self::ScimTokenCreate => "scim.token_create",
            Self::ScimTokenRevoke => "scim.token_revoke",
            Self::ScimUserCreate => "scim.user_create",
            Self::ScimUserDeactivate => "scim.user_deactivate",
            Self::ScimUserDelete => "scim.user_delete",
            Self::ScimUserEmailChange => "scim.user_email_change",
            Self::ScimUserReactivate => "scim.user_reactivate",
            Self::ScimUserUpdate => "scim.user_update",
            Self::SessionRevoke => "session.revoke",
            Self::SetupComplete => "setup.complete",
            Self::SmsNumberAdd => "sms.number_add",
            Self::TokenCreate => "token.create",
            Self::TokenRevoke => "token.revoke",
            Self::UserTwoFactorReset => "user.2fa_reset",
            Self::UserAccessEndChange => "user.access_end_change",
            Self::UserAccessExpire => "user.access_expire",
            Self::UserCreate => "user.create",
            Self::UserDeactivate => "user.deactivate",
            Self::UserForwardAddressSet => "user.forward_address_set",
            Self::UserForwardAddressVerified => "user.forward_address_verified",
            Self::UserPasswordChange => "user.password_change",
            Self::UserReactivate => "user.reactivate",
            Self::UserRoleChange => "user.role_change",
            Self::UserSsoLink => "user.sso_link",
            Self::UserUnlock => "user.unlock",
            Self::WorkspaceAppRestrictions => "workspace.app_restrictions",
            Self::WorkspaceInboxRetentionChange => "workspace.inbox_retention_change",
            Self::WorkspaceSettingsChange => "workspace.settings_change",
        }
    }
}

impl std::fmt::Display for AuditAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored action name that is not one of [`AuditAction`]'s.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown audit action {0:?}")]
pub struct UnknownAuditAction(pub String);

impl std::str::FromStr for AuditAction {
    type Err = UnknownAuditAction;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| UnknownAuditAction(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_round_trips_through_its_stored_name() {
        let mut seen = std::collections::HashSet::new();
        for a in AuditAction::ALL {
            assert!(seen.insert(a.as_str()), "{} twice", a.as_str());
            assert_eq!(a.as_str().parse::<AuditAction>(), Ok(a));
            assert_eq!(a.to_string(), a.as_str());
            let (area, what) = a.as_str().split_once('.').unwrap_or_default();
            assert!(!area.is_empty() && !what.is_empty(), "{a}");
        }
        assert_eq!(
            "widget.spun_round".parse::<AuditAction>(),
            Err(UnknownAuditAction("widget.spun_round".into()))
        );
    }

    #[test]
    fn stored_names_stay_as_they_were() {
        // The chain hashes these: a rename would break `orthrus audit verify`.
        assert_eq!(
            AuditAction::AccountPasswordReveal.as_str(),
            "account.password_reveal"
        );
        assert_eq!(AuditAction::TwoFactorEnable.as_str(), "2fa.enable");
        assert_eq!(AuditAction::UserTwoFactorReset.as_str(), "user.2fa_reset");
        assert_eq!(AuditAction::AuthStepUp.as_str(), "auth.step_up");
    }
}
