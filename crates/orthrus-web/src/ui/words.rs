//! Words for people on the UI's pages: times ("4 Dec 2026, 14:05 UTC" in a
//! `<time>` element that keeps the machine value), audit actions ("Revealed
//! the password" for `account.password_reveal`) and devices ("Chrome on
//! Linux" for a user-agent string). Templates call these by path.

use orthrus_app::AuditAction;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An RFC 3339 UTC time as people read it: `4 Dec 2026, 14:05 UTC`. Any
/// other text comes back as it is.
pub(crate) fn when(iso: &str) -> String {
    let b = iso.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r.clone())
            .filter(|d| d.iter().all(u8::is_ascii_digit))
            .and_then(|_| iso[r].parse::<u32>().ok())
    };
    let utc = iso.ends_with('Z') || iso.ends_with("+00:00");
    let shape = b.len() >= 16 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':';
    match (
        shape && utc,
        digits(0..4),
        digits(5..7),
        digits(8..10),
        digits(11..13),
        digits(14..16),
    ) {
        (true, Some(y), Some(mo @ 1..=12), Some(d), Some(h), Some(mi)) => {
            format!("{d} {} {y}, {h:02}:{mi:02} UTC", MONTHS[mo as usize - 1])
        }
        _ => iso.to_owned(),
    }
}

/// [`when`] in a `<time>` element whose `datetime` keeps the exact value
/// (and whose title shows it on hover). Escaped: use with `|safe`.
pub(crate) fn time_html(iso: &str) -> String {
    let e = esc(iso);
    format!(
        "<time datetime=\"{e}\" title=\"{e}\">{}</time>",
        esc(&when(iso))
    )
}

/// What an audit event's action means, in words; an action Orthrus does
/// not know (`widget.spun_round`) reads "Widget: spun round".
pub(crate) fn action_label(action: &str) -> String {
    match action.parse::<AuditAction>() {
        Ok(known) => words(known).to_owned(),
        Err(_) => {
            // `account.some_thing` → "Account: some thing".
            let (area, what) = action.split_once('.').unwrap_or(("", action));
            let what = what.replace('_', " ");
            if area.is_empty() {
                what
            } else {
                let mut a = area.replace('_', " ");
                if let Some(f) = a.get(..1) {
                    a = f.to_uppercase() + &a[1..];
                }
                format!("{a}: {what}")
            }
        }
    }
}

/// The words for each audit action: a new action without words does not
/// compile.
pub(crate) fn words(action: AuditAction) -> &'static str {
    use AuditAction as A;
    match action {
        A::TwoFactorDisable => "Turned off two-factor sign-in",
        A::TwoFactorEnable => "Turned on two-factor sign-in",
        A::TwoFactorRecoveryCodeUsed => "Used a recovery code",
        A::TwoFactorRecoveryCodesRegenerated => "Made new recovery codes",
        A::AccessRequestApprove => "Approved a request for access",
        A::AccessRequestCreate => "Asked for access to an account",
        A::AccessRequestDecline => "Declined a request for access",
        A::AccountAutofill => "Filled a login (browser extension)",
        A::AccountAutofillRefused => "Refused to fill a login",
        A::AccountBackupCodeMarkedUsed => "Marked a backup code used",
        A::AccountBackupCodeUse => "Took a backup code",
        A::AccountBackupCodesLow => "Backup codes running low",
        A::AccountBackupCodesSet => "Saved backup codes",
        A::AccountBackupCodesView => "Viewed backup codes",
        A::AccountCreate => "Created an account",
        A::AccountCriticalChange => "Tagged or untagged critical",
        A::AccountDelete => "Deleted an account",
        A::AccountFieldReveal => "Revealed a secret field",
        A::AccountManagedEmailCreate => "Gave the account a managed address",
        A::AccountMemberAdd => "Added a member",
        A::AccountMemberExpire => "A member's time-boxed access ended",
        A::AccountMemberRemove => "Removed a member",
        A::AccountMemberRoleChange => "Changed a member's role",
        A::AccountMfaCheck => "Checked that MFA is on",
        A::AccountMfaEnabled => "Turned the authenticator on",
        // No words of its own yet: what the generic rule says.
        A::AccountMfaEnrollCancel => "Account: mfa enroll cancel",
        A::AccountMfaEnrollStart => "Started setting up the authenticator",
        A::AccountMfaImported => "Imported an authenticator key",
        A::AccountMfaOffDetected => "Found MFA off",
        // No words of its own yet: what the generic rule says.
        A::AccountMfaRemoved => "Account: mfa removed",
        A::AccountOtpCopy => "Copied an authenticator code",
        A::AccountOtpView => "Saw an authenticator code",
        A::AccountPasswordCopy => "Copied the password",
        A::AccountPasswordHistoryReveal => "Revealed an earlier password",
        A::AccountPasswordReveal => "Revealed the password",
        A::AccountPhoneNumberAssign => "Gave the account a phone number",
        A::AccountRotationSchedule => "Changed the password rotation schedule",
        A::AccountTeamGrant => "Gave a team access",
        A::AccountTeamRevoke => "Took a team's access away",
        A::AccountUpdate => "Changed an account",
        A::AccountUrlsUpdate => "Changed the account's sites",
        A::AuditExport => "Exported the audit log",
        A::AuthLogin => "Signed in",
        A::AuthLogout => "Signed out",
        A::AuthSsoLogin => "Signed in with single sign-on",
        A::AuthStepUp => "Confirmed their identity",
        A::AutomationAnswer => "Answered an automation's question",
        A::AutomationCancel => "Cancelled an automation",
        A::AutomationCredentialsUse => "An automation used the login",
        A::AutomationNeedsPerson => "An automation asked for a person",
        A::AutomationPasswordDiscarded => "An automation dropped a new password the app refused",
        A::AutomationPasswordPending => "An automation set a new password (pending)",
        A::AutomationPasswordRotated => "An automation rotated the password",
        A::AutomationStart => "Started an automation",
        A::DualApprovalDecided => "Approved or denied a request",
        A::DualApprovalRequested => "Asked a second person to approve",
        A::DualApprovalUsed => "Used an approval",
        // No words of its own yet: what the generic rule says.
        A::ExtensionPairingApproved => "Extension: pairing approved",
        // No words of its own yet: what the generic rule says.
        A::ExtensionPairingDenied => "Extension: pairing denied",
        A::InboxMessageForward => "Forwarded a message",
        A::InboxMessageUsed => "Marked a message's code used",
        A::InvitationAccept => "Accepted an invitation",
        A::InvitationCreate => "Invited someone",
        A::InvitationRevoke => "Withdrew an invitation",
        A::OtpExport => "Exported authenticator keys",
        A::OtpImport => "Imported authenticator keys",
        A::PasskeyDelete => "Removed a passkey",
        A::PasskeyRegister => "Added a passkey",
        A::ScimGroupCreate => "The directory added a team",
        A::ScimGroupDelete => "The directory deleted a team",
        A::ScimGroupUpdate => "The directory changed a team",
        A::ScimTokenCreate => "Made a new SCIM token",
        A::ScimTokenRevoke => "Revoked the SCIM token",
        A::ScimUserCreate => "The directory added a user",
        A::ScimUserDeactivate => "The directory deprovisioned a user",
        A::ScimUserDelete => "The directory deleted a user",
        A::ScimUserEmailChange => "The directory changed a user's email",
        A::ScimUserReactivate => "The directory reactivated a user",
        A::ScimUserUpdate => "The directory updated a user",
        A::SessionRevoke => "Signed out a session",
        A::SetupComplete => "Set up the workspace",
        A::SmsNumberAdd => "Added a phone number",
        A::TokenCreate => "Created an API token",
        A::TokenRevoke => "Revoked an API token",
        A::UserTwoFactorReset => "Reset a user's two-factor sign-in",
        A::UserAccessEndChange => "Changed when a guest's access ends",
        A::UserAccessExpire => "A guest's access ended",
        A::UserCreate => "Added a user",
        A::UserDeactivate => "Deactivated a user",
        A::UserForwardAddressSet => "Set a forwarding address",
        A::UserForwardAddressVerified => "Verified a forwarding address",
        A::UserPasswordChange => "Changed a password",
        A::UserReactivate => "Reactivated a user",
        A::UserRoleChange => "Changed a user's role",
        A::UserSsoLink => "Linked their identity provider account",
        A::UserUnlock => "Lifted a sign-in lockout",
        A::WorkspaceAppRestrictions => "Changed which apps Collaborators may open",
        A::WorkspaceInboxRetentionChange => "Changed how long messages are kept",
        A::WorkspaceSettingsChange => "Changed workspace settings",
    }
}

/// The choices of the audit filter: the actions with words of their own
/// (the rest read as their generic "Area: what").
pub(crate) const ACTIONS: &[AuditAction] = &[
    AuditAction::AccountPasswordReveal,
    AuditAction::AccountPasswordCopy,
    AuditAction::AccountPasswordHistoryReveal,
    AuditAction::AccountFieldReveal,
    AuditAction::AccountCreate,
    AuditAction::AccountUpdate,
    AuditAction::AccountDelete,
    AuditAction::AccountMemberAdd,
    AuditAction::AccountMemberExpire,
    AuditAction::AccessRequestCreate,
    AuditAction::AccessRequestApprove,
    AuditAction::AccessRequestDecline,
    AuditAction::UserAccessExpire,
    AuditAction::UserAccessEndChange,
    AuditAction::AccountMemberRemove,
    AuditAction::AccountMemberRoleChange,
    AuditAction::AccountCriticalChange,
    AuditAction::AccountOtpView,
    AuditAction::AccountOtpCopy,
    AuditAction::AccountMfaEnrollStart,
    AuditAction::AccountMfaEnabled,
    AuditAction::AccountMfaImported,
    AuditAction::AccountMfaCheck,
    AuditAction::AccountMfaOffDetected,
    AuditAction::AccountBackupCodesSet,
    AuditAction::AccountBackupCodesView,
    AuditAction::AccountBackupCodeUse,
    AuditAction::AccountBackupCodeMarkedUsed,
    AuditAction::AccountBackupCodesLow,
    AuditAction::AccountManagedEmailCreate,
    AuditAction::AccountPhoneNumberAssign,
    AuditAction::AccountAutofill,
    AuditAction::AccountAutofillRefused,
    AuditAction::AccountRotationSchedule,
    AuditAction::AccountUrlsUpdate,
    AuditAction::AuthLogin,
    AuditAction::AuthSsoLogin,
    AuditAction::UserSsoLink,
    AuditAction::AuthLogout,
    AuditAction::AuthStepUp,
    AuditAction::SessionRevoke,
    AuditAction::TokenCreate,
    AuditAction::TokenRevoke,
    AuditAction::PasskeyRegister,
    AuditAction::PasskeyDelete,
    AuditAction::TwoFactorEnable,
    AuditAction::TwoFactorDisable,
    AuditAction::TwoFactorRecoveryCodeUsed,
    AuditAction::TwoFactorRecoveryCodesRegenerated,
    AuditAction::UserCreate,
    AuditAction::UserRoleChange,
    AuditAction::UserDeactivate,
    AuditAction::UserReactivate,
    AuditAction::UserUnlock,
    AuditAction::UserTwoFactorReset,
    AuditAction::UserPasswordChange,
    AuditAction::UserForwardAddressSet,
    AuditAction::UserForwardAddressVerified,
    AuditAction::InvitationCreate,
    AuditAction::InvitationAccept,
    AuditAction::InvitationRevoke,
    AuditAction::OtpExport,
    AuditAction::OtpImport,
    AuditAction::InboxMessageUsed,
    AuditAction::InboxMessageForward,
    AuditAction::SmsNumberAdd,
    AuditAction::AutomationStart,
    AuditAction::AutomationCancel,
    AuditAction::AutomationAnswer,
    AuditAction::AutomationNeedsPerson,
    AuditAction::AutomationCredentialsUse,
    AuditAction::AutomationPasswordPending,
    AuditAction::AutomationPasswordRotated,
    AuditAction::AutomationPasswordDiscarded,
    AuditAction::DualApprovalRequested,
    AuditAction::DualApprovalDecided,
    AuditAction::DualApprovalUsed,
    AuditAction::WorkspaceSettingsChange,
    AuditAction::WorkspaceInboxRetentionChange,
    AuditAction::WorkspaceAppRestrictions,
    AuditAction::SetupComplete,
    AuditAction::ScimTokenCreate,
    AuditAction::ScimTokenRevoke,
    AuditAction::ScimUserEmailChange,
    AuditAction::ScimUserCreate,
    AuditAction::ScimUserUpdate,
    AuditAction::ScimUserDeactivate,
    AuditAction::ScimUserReactivate,
    AuditAction::ScimUserDelete,
    AuditAction::ScimGroupCreate,
    AuditAction::ScimGroupUpdate,
    AuditAction::ScimGroupDelete,
    AuditAction::AccountTeamGrant,
    AuditAction::AccountTeamRevoke,
    AuditAction::AuditExport,
];

/// A user-agent string as "Chrome on Linux"; the browser extension, the
/// command line and unknown clients by name. No parsing library: the first
/// match in a short list, as browsers announce themselves.
pub(crate) fn device(ua: &str) -> String {
    let ua = ua.trim();
    if ua.is_empty() {
        return "Unknown device".to_owned();
    }
    let has = |s: &str| ua.contains(s);
    if ua.starts_with("orthrus") {
        return "Orthrus command line".to_owned();
    }
    let browser = if has("Edg/") || has("Edge/") {
        "Edge"
    } else if has("OPR/") || has("Opera") {
        "Opera"
    } else if has("Firefox/") {
        "Firefox"
    } else if has("Chromium/") {
        "Chromium"
    } else if has("Chrome/") || has("CriOS/") {
        "Chrome"
    } else if has("Safari/") && has("Version/") {
        "Safari"
    } else if has("curl/") {
        "curl"
    } else {
        ""
    };
    let os = if has("iPhone") || has("iPad") || has("iOS") {
        "iOS"
    } else if has("Android") {
        "Android"
    } else if has("Windows") {
        "Windows"
    } else if has("Mac OS X") || has("Macintosh") {
        "macOS"
    } else if has("CrOS") {
        "ChromeOS"
    } else if has("Linux") || has("X11") {
        "Linux"
    } else {
        ""
    };
    match (browser, os) {
        ("", "") => {
            // Something else: its first word, without the version.
            let first = ua.split([' ', '/']).next().unwrap_or(ua);
            first.chars().take(40).collect()
        }
        ("", os) => format!("A browser on {os}"),
        (b, "") => b.to_owned(),
        (b, os) => format!("{b} on {os}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_people_write_them() {
        assert_eq!(when("2026-12-04T14:05:33.123Z"), "4 Dec 2026, 14:05 UTC");
        assert_eq!(when("2026-01-31T09:00:00+00:00"), "31 Jan 2026, 09:00 UTC");
        assert_eq!(when("yesterday"), "yesterday");
        assert_eq!(
            time_html("2026-12-04T14:05:33Z"),
            "<time datetime=\"2026-12-04T14:05:33Z\" title=\"2026-12-04T14:05:33Z\">4 Dec 2026, 14:05 UTC</time>"
        );
        assert_eq!(
            time_html("<b>"),
            "<time datetime=\"&lt;b&gt;\" title=\"&lt;b&gt;\">&lt;b&gt;</time>"
        );
    }

    #[test]
    fn devices_in_a_few_words() {
        assert_eq!(
            device(
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
            ),
            "Chrome on Linux"
        );
        assert_eq!(
            device(
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"
            ),
            "Safari on macOS"
        );
        assert_eq!(
            device(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
            ),
            "Firefox on Windows"
        );
        assert_eq!(
            device(
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
            ),
            "Safari on iOS"
        );
        assert_eq!(
            device(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0"
            ),
            "Edge on Windows"
        );
        assert_eq!(device("orthrus/0.1.0"), "Orthrus command line");
        assert_eq!(device(""), "Unknown device");
        assert_eq!(device("reqwest/0.12"), "reqwest");
    }

    #[test]
    fn actions_in_words() {
        assert_eq!(
            action_label("account.password_reveal"),
            "Revealed the password"
        );
        assert_eq!(action_label("widget.spun_round"), "Widget: spun round");
    }
}
