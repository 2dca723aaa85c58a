//! Words for people on the UI's pages: times ("4 Dec 2026, 14:05 UTC" in a
//! `<time>` element that keeps the machine value), audit actions ("Revealed
//! the password" for `account.password_reveal`) and devices ("Chrome on
//! Linux" for a user-agent string). Templates call these by path.

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

/// What an audit event's action means, in words.
pub(crate) fn action_label(action: &str) -> String {
    let known = ACTIONS.iter().find(|(a, _)| *a == action);
    match known {
        Some((_, words)) => (*words).to_owned(),
        None => {
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

/// Audit actions and their words; also the choices of the audit filter.
pub(crate) const ACTIONS: &[(&str, &str)] = &[
    ("account.password_reveal", "Revealed the password"),
    ("account.password_copy", "Copied the password"),
    (
        "account.password_history_reveal",
        "Revealed an earlier password",
    ),
    ("account.field_reveal", "Revealed a secret field"),
    ("account.create", "Created an account"),
    ("account.update", "Changed an account"),
    ("account.delete", "Deleted an account"),
    ("account.member_add", "Added a member"),
    (
        "account.member_expire",
        "A member's time-boxed access ended",
    ),
    ("access_request.create", "Asked for access to an account"),
    ("access_request.approve", "Approved a request for access"),
    ("access_request.decline", "Declined a request for access"),
    ("user.access_expire", "A guest's access ended"),
    (
        "user.access_end_change",
        "Changed when a guest's access ends",
    ),
    ("account.member_remove", "Removed a member"),
    ("account.member_role_change", "Changed a member's role"),
    ("account.critical_change", "Tagged or untagged critical"),
    ("account.otp_view", "Saw an authenticator code"),
    ("account.otp_copy", "Copied an authenticator code"),
    (
        "account.mfa_enroll_start",
        "Started setting up the authenticator",
    ),
    ("account.mfa_enabled", "Turned the authenticator on"),
    ("account.mfa_imported", "Imported an authenticator key"),
    ("account.mfa_check", "Checked that MFA is on"),
    ("account.mfa_off_detected", "Found MFA off"),
    ("account.backup_codes_set", "Saved backup codes"),
    ("account.backup_codes_view", "Viewed backup codes"),
    ("account.backup_code_use", "Took a backup code"),
    (
        "account.backup_code_marked_used",
        "Marked a backup code used",
    ),
    ("account.backup_codes_low", "Backup codes running low"),
    (
        "account.managed_email_create",
        "Gave the account a managed address",
    ),
    (
        "account.phone_number_assign",
        "Gave the account a phone number",
    ),
    ("account.autofill", "Filled a login (browser extension)"),
    ("account.autofill_refused", "Refused to fill a login"),
    (
        "account.rotation_schedule",
        "Changed the password rotation schedule",
    ),
    ("account.urls_update", "Changed the account's sites"),
    ("auth.login", "Signed in"),
    ("auth.sso_login", "Signed in with single sign-on"),
    ("user.sso_link", "Linked their identity provider account"),
    ("auth.logout", "Signed out"),
    ("auth.step_up", "Confirmed their identity"),
    ("session.revoke", "Signed out a session"),
    ("token.create", "Created an API token"),
    ("token.revoke", "Revoked an API token"),
    ("passkey.register", "Added a passkey"),
    ("passkey.delete", "Removed a passkey"),
    ("2fa.enable", "Turned on two-factor sign-in"),
    ("2fa.disable", "Turned off two-factor sign-in"),
    ("2fa.recovery_code_used", "Used a recovery code"),
    ("2fa.recovery_codes_regenerated", "Made new recovery codes"),
    ("user.create", "Added a user"),
    ("user.role_change", "Changed a user's role"),
    ("user.deactivate", "Deactivated a user"),
    ("user.reactivate", "Reactivated a user"),
    ("user.unlock", "Lifted a sign-in lockout"),
    ("user.2fa_reset", "Reset a user's two-factor sign-in"),
    ("user.password_change", "Changed a password"),
    ("user.forward_address_set", "Set a forwarding address"),
    (
        "user.forward_address_verified",
        "Verified a forwarding address",
    ),
    ("invitation.create", "Invited someone"),
    ("invitation.accept", "Accepted an invitation"),
    ("invitation.revoke", "Withdrew an invitation"),
    ("otp.export", "Exported authenticator keys"),
    ("otp.import", "Imported authenticator keys"),
    ("inbox.message_used", "Marked a message's code used"),
    ("inbox.message_forward", "Forwarded a message"),
    ("sms.number_add", "Added a phone number"),
    ("automation.start", "Started an automation"),
    ("automation.cancel", "Cancelled an automation"),
    ("automation.answer", "Answered an automation's question"),
    (
        "automation.needs_person",
        "An automation asked for a person",
    ),
    ("automation.credentials_use", "An automation used the login"),
    (
        "automation.password_pending",
        "An automation set a new password (pending)",
    ),
    (
        "automation.password_rotated",
        "An automation rotated the password",
    ),
    (
        "automation.password_discarded",
        "An automation dropped a new password the app refused",
    ),
    (
        "dual_approval.requested",
        "Asked a second person to approve",
    ),
    ("dual_approval.decided", "Approved or denied a request"),
    ("dual_approval.used", "Used an approval"),
    ("workspace.settings_change", "Changed workspace settings"),
    (
        "workspace.inbox_retention_change",
        "Changed how long messages are kept",
    ),
    (
        "workspace.app_restrictions",
        "Changed which apps Collaborators may open",
    ),
    ("setup.complete", "Set up the workspace"),
    ("scim.token_create", "Made a new SCIM token"),
    ("scim.token_revoke", "Revoked the SCIM token"),
    (
        "scim.user_email_change",
        "The directory changed a user's email",
    ),
    ("scim.user_create", "The directory added a user"),
    ("scim.user_update", "The directory updated a user"),
    ("scim.user_deactivate", "The directory deprovisioned a user"),
    ("scim.user_reactivate", "The directory reactivated a user"),
    ("scim.user_delete", "The directory deleted a user"),
    ("scim.group_create", "The directory added a team"),
    ("scim.group_update", "The directory changed a team"),
    ("scim.group_delete", "The directory deleted a team"),
    ("account.team_grant", "Gave a team access"),
    ("account.team_revoke", "Took a team's access away"),
    ("audit.export", "Exported the audit log"),
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
