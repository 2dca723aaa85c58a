//! The codes of [`AppError::Invalid`](crate::AppError::Invalid) (a plain
//! 400) and [`AppError::Conflict`](crate::AppError::Conflict) (a plain 409).
//! Each is a variant, so a misspelt code does not compile; `as_str` gives
//! the stable wire spelling (`area.reason`), which never changes.

/// Declares a code enum: its variants, their wire spelling and `ALL`.
macro_rules! codes {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:literal,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            /// Every code, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant,)*];

            /// The code as the API answers it (`area.reason`).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $code,)*
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

codes! {
    /// Why a request is refused with a plain 400 ([`AppError::Invalid`](crate::AppError::Invalid)).
    InvalidCode {
        /// That code is not right; check the time on your phone and enter the current code.
        TwoFactorBadCode = "2fa.bad_code",
        /// Turn on two-factor authentication for yourself before requiring it of everyone.
        TwoFactorEnrollFirst = "2fa.enroll_first",
        /// Turn on two-factor authentication first.
        TwoFactorNotEnabled = "2fa.not_enabled",
        /// Start setting up two-factor authentication first.
        TwoFactorNotStarted = "2fa.not_started",
        /// Your workspace requires two-factor authentication.
        TwoFactorRequired = "2fa.required",
        /// An access request for a duration outside the allowed range.
        AccessRequestInvalidDuration = "access_request.invalid_duration",
        /// A decision note that is too long.
        AccessRequestInvalidNote = "access_request.invalid_note",
        /// An access request without a reason, or with one that is too long.
        AccessRequestInvalidReason = "access_request.invalid_reason",
        /// An extra URL that is not http(s) with a host.
        AccountBadUrl = "account.bad_url",
        /// Custom field names are 1 to 100 characters.
        AccountInvalidField = "account.invalid_field",
        /// An account label that is empty or over 100 characters.
        AccountInvalidLabel = "account.invalid_label",
        /// The login URL must start with https:// or http:// and name a host.
        AccountInvalidLoginUrl = "account.invalid_login_url",
        /// The password is required.
        AccountInvalidPassword = "account.invalid_password",
        /// Usernames are at most 256 characters.
        AccountInvalidUsername = "account.invalid_username",
        /// The login page address points somewhere the server may not reach.
        AccountLoginUrlForbidden = "account.login_url_forbidden",
        /// An account has at most 50 custom fields.
        AccountTooManyFields = "account.too_many_fields",
        /// More extra URLs than an account holds.
        AccountTooManyUrls = "account.too_many_urls",
        /// A device approval from a session that is newer than the request, or from the browser
        /// extension.
        ApprovalDeviceNotTrusted = "approval.device_not_trusted",
        /// Pick the number the other device shows.
        ApprovalNumberRequired = "approval.number_required",
        /// A second person must approve: not the one who asked.
        ApprovalOwnRequest = "approval.own_request",
        /// An approver or requester added, promoted or reactivated within the last 7 days.
        ApprovalRecentGrant = "approval.recent_grant",
        /// Approve on another device than the one asking.
        ApprovalSameDevice = "approval.same_device",
        /// Approve from a signed-in device (browser or `orthrus login`).
        ApprovalUnsupported = "approval.unsupported",
        /// An audit filter time that is not RFC 3339.
        AuditBadFilter = "audit.bad_filter",
        /// An audit export format other than csv or jsonl.
        AuditBadFormat = "audit.bad_format",
        /// A sign-in `client` other than "extension" (or absent).
        AuthBadClient = "auth.bad_client",
        /// Url must be the page's http:// or https:// address.
        AutofillBadUrl = "autofill.bad_url",
        /// Answer "yes" to let the job use a backup code, or cancel the job.
        AutomationAnswer = "automation.answer",
        /// Turning MFA on needs the confirmation that MFA is off in the app first.
        AutomationMfaOffUnconfirmed = "automation.mfa_off_unconfirmed",
        /// Give the account a login URL and a username first.
        AutomationMissingLogin = "automation.missing_login",
        /// Checking MFA needs the account's confirmed authenticator key in Orthrus.
        AutomationNoAuthenticator = "automation.no_authenticator",
        /// An automation kind that is known but not available yet.
        AutomationNotAvailable = "automation.not_available",
        /// The person who started this job no longer exists.
        AutomationRequesterGone = "automation.requester_gone",
        /// The person who started this job has been deactivated.
        AutomationRequesterInactive = "automation.requester_inactive",
        /// More than one workspace (or none): name the member the job acts for.
        AutomationRequesterNeeded = "automation.requester_needed",
        /// No active member has the email the job names.
        AutomationRequesterUnknown = "automation.requester_unknown",
        /// `confirmed_mfa_off` sent with an automation other than enable_mfa.
        AutomationUnexpectedConfirmation = "automation.unexpected_confirmation",
        /// An automation kind this server does not know.
        AutomationUnknownKind = "automation.unknown_kind",
        /// Every backup code was used: generate new ones in the app and add them here.
        BackupCodesExhausted = "backup_codes.exhausted",
        /// No backup codes found: paste them the way the app shows them, one per line or separated
        /// by commas.
        BackupCodesNoneFound = "backup_codes.none_found",
        /// At most 100 backup codes per account.
        BackupCodesTooMany = "backup_codes.too_many",
        /// Not a valid email address.
        EmailInvalid = "email.invalid",
        /// Format is otpauth or age.
        ExportInvalidFormat = "export.invalid_format",
        /// Use a passphrase of at least 12 characters for an encrypted export.
        ExportWeakPassphrase = "export.weak_passphrase",
        /// That is not the code we sent.
        ForwardBadCode = "forward.bad_code",
        /// The code has expired: send a new one.
        ForwardCodeExpired = "forward.code_expired",
        /// Use an address with a domain name, not an IP address.
        ForwardInvalidAddress = "forward.invalid_address",
        /// Set a forwarding address first.
        ForwardNoAddress = "forward.no_address",
        /// This address is already verified; set it again to get a new code.
        ForwardNoCode = "forward.no_code",
        /// Verify your forwarding address under My security first.
        ForwardNotVerified = "forward.not_verified",
        /// Too many wrong codes: send a new one.
        ForwardTooManyAttempts = "forward.too_many_attempts",
        /// Memorable passwords have 3 to 12 words.
        GeneratorInvalidLength = "generator.invalid_length",
        /// Choose at least one kind of character.
        GeneratorNoClasses = "generator.no_classes",
        /// The access this invitation offered has already ended; ask for a new one.
        GuestAccessEnded = "guest.access_ended",
        /// The end of the guest's access must be in the future.
        GuestEndPast = "guest.end_past",
        /// A guest needs the date their access ends.
        GuestEndRequired = "guest.end_required",
        /// An authenticator import file in `age` encryption, which is not read.
        ImportAge = "import.age",
        /// The import file holds no authenticator entries.
        ImportEmpty = "import.empty",
        /// An import picture larger than the decoder accepts.
        ImportImageTooLarge = "import.image_too_large",
        /// An import file that cannot be read.
        ImportInvalid = "import.invalid",
        /// Reading an import took longer than the upload budget.
        ImportTimeout = "import.timeout",
        /// An import file with more entries than one import takes.
        ImportTooMany = "import.too_many",
        /// An import file in no format the importer knows.
        ImportUnrecognized = "import.unrecognized",
        /// An inbox filter (a time) that does not parse.
        InboxBadFilter = "inbox.bad_filter",
        /// A `since` that is not an RFC 3339 time.
        InboxBadSince = "inbox.bad_since",
        /// The database was encrypted with another master key than the one in use.
        MasterKeyMismatch = "master_key.mismatch",
        /// Another master-key rotation is under way.
        MasterKeyOtherRotation = "master_key.other_rotation",
        /// A master-key rotation is under way and this node lacks the new key.
        MasterKeyRotationKeyMissing = "master_key.rotation_key_missing",
        /// The end of access must be in the future.
        MemberExpiryPast = "member.expiry_past",
        /// A guest can only be a Collaborator on an account.
        MemberGuestCollaboratorOnly = "member.guest_collaborator_only",
        /// That user is deactivated, or their access has ended.
        MemberInactiveUser = "member.inactive_user",
        /// An account role other than owner, manager or collaborator.
        MemberInvalidRole = "member.invalid_role",
        /// Showing an HOTP code uses it up: ask for one with POST (the code view's "Show a code").
        OtpHotpNeedsPost = "otp.hotp_needs_post",
        /// The QR picture is larger than the decoder accepts.
        OtpImageTooLarge = "otp.image_too_large",
        /// An authenticator setting (digits, period, algorithm, counter) out of range.
        OtpInvalidParameters = "otp.invalid_parameters",
        /// The QR code does not hold an authenticator key (otpauth://).
        OtpInvalidQr = "otp.invalid_qr",
        /// The authenticator secret is not valid base32, too short or missing.
        OtpInvalidSecret = "otp.invalid_secret",
        /// The `otpauth://` link cannot be read or names an unknown kind.
        OtpInvalidUri = "otp.invalid_uri",
        /// This is a Google Authenticator export with several accounts: use the import instead.
        OtpMigrationUri = "otp.migration_uri",
        /// This account has no authenticator in Orthrus yet: an owner sets it up under MFA
        /// settings.
        OtpNotEnrolled = "otp.not_enrolled",
        /// Give exactly one of: a secret key, an otpauth:// URI, or a QR code picture.
        OtpOneSource = "otp.one_source",
        /// Reading an authenticator QR screenshot took longer than the upload budget.
        OtpQrTimeout = "otp.qr_timeout",
        /// Only the current code (or the one just before or after it) can be marked used.
        OtpStepOutOfRange = "otp.step_out_of_range",
        /// Approve a browser extension on the Orthrus web page, signed in there.
        PairingBrowserOnly = "pairing.browser_only",
        /// The passkey prompt expired; try again.
        PasskeyExpired = "passkey.expired",
        /// The browser's answer is not a valid passkey registration or assertion.
        PasskeyInvalid = "passkey.invalid",
        /// You have no passkey yet: add one under My security.
        PasskeyNone = "passkey.none",
        /// The passkey was not accepted.
        PasskeyRejected = "passkey.rejected",
        /// Passkeys are not set up on this server.
        PasskeyUnavailable = "passkey.unavailable",
        /// Register passkeys from a signed-in browser.
        PasskeyUnsupported = "passkey.unsupported",
        /// The two new passwords are not the same.
        PasswordMismatch = "password.mismatch",
        /// Use at most 256 characters.
        PasswordTooLong = "password.too_long",
        /// Use at least 10 characters.
        PasswordTooShort = "password.too_short",
        /// Choose a new password different from the current one.
        PasswordUnchanged = "password.unchanged",
        /// Your current password is not correct.
        PasswordWrongCurrent = "password.wrong_current",
        /// A cookie-authenticated write without a matching CSRF token or from another origin.
        RequestCsrf = "request.csrf",
        /// An edit that changes nothing: send at least one field.
        RequestEmptyChange = "request.empty_change",
        /// A request the server cannot act on: an unknown form action, or a body axum refused (422,
        /// answered as 400).
        RequestInvalid = "request.invalid",
        /// A JSON body that parses but does not fit the request type (a missing field, a wrong
        /// type).
        RequestInvalidBody = "request.invalid_body",
        /// A form body that does not fit the form.
        RequestInvalidForm = "request.invalid_form",
        /// A body that is not JSON at all.
        RequestInvalidJson = "request.invalid_json",
        /// A path segment that does not parse (axum's "Invalid URL" rejection).
        RequestInvalidPath = "request.invalid_path",
        /// A query string that does not fit (an unknown scope, a bad number).
        RequestInvalidQuery = "request.invalid_query",
        /// Patterns are paths starting with / (at most 100, 300 characters each).
        RestrictionsBadPattern = "restrictions.bad_pattern",
        /// An app key that names no known app.
        RestrictionsUnknownApp = "restrictions.unknown_app",
        /// `after_autofill_hours` outside 1 to 720.
        RotationAfterAutofillHours = "rotation.after_autofill_hours",
        /// `every_days` outside 1 to 365.
        RotationEveryDays = "rotation.every_days",
        /// The window is whole hours UTC: a start from 0 to 23 and a different end from 1 to 24.
        RotationWindow = "rotation.window",
        /// A SCIM filter this server does not support.
        ScimInvalidFilter = "scim.invalid_filter",
        /// A SCIM PATCH `path` that names no attribute.
        ScimInvalidPath = "scim.invalid_path",
        /// A SCIM body that is not JSON or not a SCIM resource.
        ScimInvalidSyntax = "scim.invalid_syntax",
        /// A SCIM attribute with a missing or unusable value.
        ScimInvalidValue = "scim.invalid_value",
        /// A privileged workspace member (Owner, Super Admin, Admin) is managed in Orthrus, not by
        /// the directory.
        ScimManagedInOrthrus = "scim.managed_in_orthrus",
        /// A SCIM PATCH whose `path` filter matches nothing.
        ScimNoTarget = "scim.no_target",
        /// The setup link is not the one `orthrus serve` printed.
        SetupBadToken = "setup.bad_token",
        /// Give the number in E.164 form, e.g. +14155550123.
        SmsInvalidNumber = "sms.invalid_number",
        /// The workspace has no free managed number: an admin adds numbers to the pool first.
        SmsPoolEmpty = "sms.pool_empty",
        /// The password or code is not correct.
        StepUpFailed = "step_up.failed",
        /// The action needs a recent identity check (step-up) first.
        StepUpRequired = "step_up.required",
        /// Enter the code from your authenticator app too.
        StepUpTotpRequired = "step_up.totp_required",
        /// Step-up elevates a signed-in session; API tokens (and some clients) cannot be elevated.
        StepUpUnsupported = "step_up.unsupported",
        /// Not a date and time (RFC 3339, e.g. 2026-12-12T17:00:00Z).
        TimeInvalid = "time.invalid",
        /// `expires_days` outside 1 to 3650.
        TokenInvalidExpiry = "token.invalid_expiry",
        /// A token without a name, or with one over 100 characters.
        TokenInvalidName = "token.invalid_name",
        /// Only guests have an end of access; for the others, end their access to each account.
        UserEndForGuestsOnly = "user.end_for_guests_only",
        /// A guest stays a guest: invite the person again with the role they need.
        UserGuestRoleFixed = "user.guest_role_fixed",
        /// Names are at most 100 characters.
        UserInvalidName = "user.invalid_name",
        /// A workspace role other than owner, super-admin, admin or user.
        UserInvalidRole = "user.invalid_role",
        /// You cannot deactivate yourself.
        UserSelfDeactivate = "user.self_deactivate",
        /// Give the workspace a name (up to 100 characters).
        WorkspaceInvalidName = "workspace.invalid_name",
        /// Keep inbox messages between 1 and 3650 days.
        WorkspaceInvalidRetention = "workspace.invalid_retention",
        /// Step-up lasts between 1 and 60 minutes.
        WorkspaceInvalidStepUp = "workspace.invalid_step_up",
    }
}

codes! {
    /// Why a request is refused with a plain 409 ([`AppError::Conflict`](crate::AppError::Conflict)):
    /// the state changed or forbids it.
    ConflictCode {
        /// Two-factor authentication is already on; turn it off first to change devices.
        TwoFactorAlreadyEnabled = "2fa.already_enabled",
        /// The requester already has this access to the account.
        AccessRequestAlreadyGranted = "access_request.already_granted",
        /// This request was already approved or declined.
        AccessRequestDecided = "access_request.decided",
        /// The requester already has a request waiting for this account.
        AccessRequestDuplicate = "access_request.duplicate",
        /// The person who asked is deactivated or their access has ended; decline the request.
        AccessRequestRequesterGone = "access_request.requester_gone",
        /// This request was already decided or has expired.
        ApprovalClosed = "approval.closed",
        /// The request was denied on the other device.
        ApprovalDenied = "approval.denied",
        /// This request or its approval has expired: ask again.
        ApprovalExpired = "approval.expired",
        /// Not approved yet: choose the number on your other device first.
        ApprovalPending = "approval.pending",
        /// This approval was used already: ask again to confirm your identity.
        ApprovalUsed = "approval.used",
        /// The account has a job running now: try again when it ends.
        AutomationBusy = "automation.busy",
        /// Orthrus already holds this account's authenticator.
        AutomationMfaAlreadyOn = "automation.mfa_already_on",
        /// A check of this account is already queued or running.
        AutomationMfaCheckPending = "automation.mfa_check_pending",
        /// The job was cancelled or taken over.
        AutomationNotOurs = "automation.not_ours",
        /// This job is not waiting for an answer.
        AutomationNotWaiting = "automation.not_waiting",
        /// The account's pending password is not the one this run typed.
        AutomationPendingPasswordChanged = "automation.pending_password_changed",
        /// The account's pending password keeps changing: try the rotation again.
        AutomationPendingPasswordRace = "automation.pending_password_race",
        /// A uniqueness conflict the store reported with no more specific code (`conflict`, no
        /// area).
        Other = "conflict",
        /// Forwarding is off: the server has no outbound relay configured.
        ForwardNotConfigured = "forward.not_configured",
        /// The outbound relay did not take the message.
        ForwardSendFailed = "forward.send_failed",
        /// This invitation was already used or withdrawn.
        InvitationClosed = "invitation.closed",
        /// The invitation link has expired.
        InvitationExpired = "invitation.expired",
        /// This invitation was withdrawn; ask whoever invited you for a new one.
        InvitationRevoked = "invitation.revoked",
        /// This invitation was already used; sign in with the password you chose.
        InvitationUsed = "invitation.used",
        /// An account needs an Owner whose access does not end.
        MemberLastOwner = "member.last_owner",
        /// The authenticator was changed meanwhile; ask for the code again.
        OtpChanged = "otp.changed",
        /// A SCIM user or group that would duplicate an existing one.
        ScimUniqueness = "scim.uniqueness",
        /// That number is already in a pool.
        SmsNumberExists = "sms.number_exists",
        /// The two-person rule needs at least two active Owners or Super Admins to approve each
        /// other.
        TwoPersonTooFewApprovers = "two_person.too_few_approvers",
        /// A user with this email already exists.
        UserExists = "user.exists",
        /// The workspace needs at least one active Owner.
        UserLastOwner = "user.last_owner",
    }
}
