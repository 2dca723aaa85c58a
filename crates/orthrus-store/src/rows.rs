//! The row decoders and column lists every aggregate shares, written once
//! for both backends: a decoder reads its columns through [`Decoded`], which
//! SQLite's and PostgreSQL's rows implement, and through [`Prefixed`] when a
//! joined query aliases a table's columns (`c_id`, `w_name`, …), as the hot
//! paths (`hot.rs`) and `get_user_and_workspace` do. The audit tables'
//! decoders, which also read rows edited by hand for the verifier, are in
//! `rows/audit.rs`.

use crate::Result;
use crate::directory::{ScimTokenRow, ScimUserRow, TeamGrantRow, TeamMemberRow, TeamRow};
use crate::models::*;
use crate::sql::parse;
use orthrus_core::{AccountRole, Timestamp, WorkspaceRole};

mod audit;

pub use audit::quoted;
pub(crate) use audit::{audit_head, audit_link, audit_row};

pub(crate) const USER_COLS: &str = concat!(
    "id, workspace_id, email, name, role, password_hash, active, totp_secret, ",
    "totp_enabled, totp_last_step, created_at, updated_at, access_expires_at",
);
pub(crate) const SESSION_COLS: &str = concat!(
    "id, workspace_id, user_id, token_hash, kind, created_at, last_seen_at, ",
    "expires_at, elevated_until, ip, user_agent, revoked_at",
);
pub(crate) const TOKEN_COLS: &str = concat!(
    "id, workspace_id, user_id, name, token_hash, prefix, created_at, last_used_at, ",
    "expires_at, revoked_at",
);
pub(crate) const ACCOUNT_COLS: &str = concat!(
    "id, workspace_id, app, label, login_url, username, password, notes, version, ",
    "created_by, created_at, updated_at",
);
pub(crate) const OTP_COLS: &str = concat!(
    "workspace_id, account_id, slot, id, secret, kind, algorithm, digits, period, ",
    "counter, issuer, account_name, source, enrolled_by, enrolled_at, confirmed_at",
);
pub(crate) const USED_COLS: &str =
    "workspace_id, account_id, step, used_by, used_by_email, how, used_at";
pub(crate) const WORKSPACE_COLS: &str = "id, name, require_2fa, step_up_minutes, created_at";
pub(crate) const AUDIT_COLS: &str = concat!(
    "workspace_id, seq, id, at, actor_id, actor_email, action, target_type, target_id, ",
    "ip, outcome, detail, prev_hash, hash",
);

/// A column type both backends decode.
pub(crate) trait Col:
    for<'r> sqlx::Decode<'r, sqlx::Sqlite>
    + sqlx::Type<sqlx::Sqlite>
    + for<'r> sqlx::Decode<'r, sqlx::Postgres>
    + sqlx::Type<sqlx::Postgres>
{
}

impl<T> Col for T where
    T: for<'r> sqlx::Decode<'r, sqlx::Sqlite>
        + sqlx::Type<sqlx::Sqlite>
        + for<'r> sqlx::Decode<'r, sqlx::Postgres>
        + sqlx::Type<sqlx::Postgres>
{
}

/// A result row whose columns the decoders read by name.
pub(crate) trait Decoded {
    fn field<T: Col>(&self, col: &str) -> Result<T>;
}

impl Decoded for sqlx::sqlite::SqliteRow {
    fn field<T: Col>(&self, col: &str) -> Result<T> {
        Ok(sqlx::Row::try_get(self, col)?)
    }
}

impl Decoded for sqlx::postgres::PgRow {
    fn field<T: Col>(&self, col: &str) -> Result<T> {
        Ok(sqlx::Row::try_get(self, col)?)
    }
}

/// A row read with every column name prefixed (`Prefixed(r, "c_")` reads
/// `id` as `c_id`), for the aliased columns of a join.
pub(crate) struct Prefixed<'a, R>(pub &'a R, pub &'static str);

impl<R: Decoded> Decoded for Prefixed<'_, R> {
    fn field<T: Col>(&self, col: &str) -> Result<T> {
        self.0.field(&format!("{}{col}", self.1))
    }
}

/// `p.c1 AS xc1, p.c2 AS xc2, …` for a comma-separated column list.
pub(crate) fn aliased(table: &str, cols: &str, prefix: &str) -> String {
    cols.split(", ")
        .map(|c| format!("{table}.{c} AS {prefix}{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `p.c1, p.c2, …`.
pub(crate) fn qualified(table: &str, cols: &str) -> String {
    cols.split(", ")
        .map(|c| format!("{table}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn ts<R: Decoded + ?Sized>(row: &R, col: &str) -> Result<Timestamp> {
    Ok(Timestamp(row.field::<i64>(col)?))
}

pub(crate) fn ts_opt<R: Decoded + ?Sized>(row: &R, col: &str) -> Result<Option<Timestamp>> {
    Ok(row.field::<Option<i64>>(col)?.map(Timestamp))
}

pub(crate) fn id<T: std::str::FromStr, R: Decoded + ?Sized>(row: &R, col: &str) -> Result<T> {
    parse(&row.field::<String>(col)?, col)
}

/// An `i64` as the `INTEGER` (i32) columns of the automation tables hold it.
pub(crate) fn small(v: i64) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

pub(crate) fn workspace_row<R: Decoded>(r: &R) -> Result<WorkspaceRow> {
    Ok(WorkspaceRow {
        id: id(r, "id")?,
        name: r.field("name")?,
        require_2fa: r.field("require_2fa")?,
        step_up_minutes: r.field("step_up_minutes")?,
        created_at: ts(r, "created_at")?,
    })
}

pub(crate) fn user_row<R: Decoded>(r: &R) -> Result<UserRow> {
    Ok(UserRow {
        id: id(r, "id")?,
        workspace_id: id(r, "workspace_id")?,
        email: r.field("email")?,
        name: r.field("name")?,
        role: parse::<WorkspaceRole>(&r.field::<String>("role")?, "role")?,
        password_hash: r.field("password_hash")?,
        active: r.field("active")?,
        totp_secret: r.field("totp_secret")?,
        totp_enabled: r.field("totp_enabled")?,
        totp_last_step: r.field("totp_last_step")?,
        created_at: ts(r, "created_at")?,
        updated_at: ts(r, "updated_at")?,
        access_expires_at: ts_opt(r, "access_expires_at")?,
    })
}

pub(crate) fn invitation_row<R: Decoded>(r: &R) -> Result<InvitationRow> {
    let user: Option<String> = r.field("user_id")?;
    Ok(InvitationRow {
        id: id(r, "id")?,
        workspace_id: id(r, "workspace_id")?,
        email: r.field("email")?,
        role: parse::<WorkspaceRole>(&r.field::<String>("role")?, "role")?,
        token_hash: r.field("token_hash")?,
        invited_by: id(r, "invited_by")?,
        emailed: r.field("emailed")?,
        created_at: ts(r, "created_at")?,
        expires_at: ts(r, "expires_at")?,
        accepted_at: ts_opt(r, "accepted_at")?,
        revoked_at: ts_opt(r, "revoked_at")?,
        user_id: user.as_deref().map(|u| parse(u, "user_id")).transpose()?,
        access_expires_at: ts_opt(r, "access_expires_at")?,
    })
}

pub(crate) fn session_row<R: Decoded>(r: &R) -> Result<SessionRow> {
    Ok(SessionRow {
        id: id(r, "id")?,
        workspace_id: id(r, "workspace_id")?,
        user_id: id(r, "user_id")?,
        token_hash: r.field("token_hash")?,
        kind: parse(&r.field::<String>("kind")?, "session kind")?,
        created_at: ts(r, "created_at")?,
        last_seen_at: ts(r, "last_seen_at")?,
        expires_at: ts(r, "expires_at")?,
        elevated_until: ts_opt(r, "elevated_until")?,
        ip: r.field("ip")?,
        user_agent: r.field("user_agent")?,
        revoked_at: ts_opt(r, "revoked_at")?,
    })
}

pub(crate) fn token_row<R: Decoded>(r: &R) -> Result<ApiTokenRow> {
    Ok(ApiTokenRow {
        id: id(r, "id")?,
        workspace_id: id(r, "workspace_id")?,
        user_id: id(r, "user_id")?,
        name: r.field("name")?,
        token_hash: r.field("token_hash")?,
        prefix: r.field("prefix")?,
        created_at: ts(r, "created_at")?,
        last_used_at: ts_opt(r, "last_used_at")?,
        expires_at: ts_opt(r, "expires_at")?,
        revoked_at: ts_opt(r, "revoked_at")?,
    })
}

pub(crate) fn throttle_row<R: Decoded>(r: &R) -> Result<ThrottleRow> {
    Ok(ThrottleRow {
        key: r.field("key")?,
        failures: r.field("failures")?,
        window_start: ts(r, "window_start")?,
        locked_until: ts_opt(r, "locked_until")?,
    })
}

pub(crate) fn account_row<R: Decoded>(r: &R) -> Result<AccountRow> {
    Ok(AccountRow {
        id: id(r, "id")?,
        workspace_id: id(r, "workspace_id")?,
        app: r.field("app")?,
        label: r.field("label")?,
        login_url: r.field("login_url")?,
        username: r.field("username")?,
        password: r.field("password")?,
        notes: r.field("notes")?,
        version: r.field("version")?,
        created_by: id(r, "created_by")?,
        created_at: ts(r, "created_at")?,
        updated_at: ts(r, "updated_at")?,
    })
}

pub(crate) fn field_row<R: Decoded>(r: &R) -> Result<FieldRow> {
    Ok(FieldRow {
        id: id(r, "id")?,
        workspace_id: id(r, "workspace_id")?,
        account_id: id(r, "account_id")?,
        position: r.field("position")?,
        name: r.field("name")?,
        secret: r.field("secret")?,
        value_text: r.field("value_text")?,
        value_sealed: r.field("value_sealed")?,
    })
}

pub(crate) fn password_history_row<R: Decoded>(r: &R) -> Result<PasswordHistoryRow> {
    Ok(PasswordHistoryRow {
        id: id(r, "id")?,
        workspace_id: id(r, "workspace_id")?,
        account_id: id(r, "account_id")?,
        password: r.field("password")?,
        changed_by: id(r, "changed_by")?,
        changed_at: ts(r, "changed_at")?,
    })
}

pub(crate) fn member_row<R: Decoded>(r: &R) -> Result<MemberRow> {
    Ok(MemberRow {
        workspace_id: id(r, "workspace_id")?,
        account_id: id(r, "account_id")?,
        user_id: id(r, "user_id")?,
        role: parse::<AccountRole>(&r.field::<String>("role")?, "account role")?,
        added_by: id(r, "added_by")?,
        added_at: ts(r, "added_at")?,
        expires_at: ts_opt(r, "expires_at")?,
    })
}

/// The highest role in column `member_role` of `rows`, one row per grant
/// in force (`sql::grants_in_force` joined as `g`, `g.role AS
/// member_role`; NULL where a LEFT JOIN found none): the user's role on the
/// account, if any.
pub(crate) fn best_member_role<R: Decoded>(rows: &[R]) -> Result<Option<AccountRole>> {
    let mut best: Option<AccountRole> = None;
    for r in rows {
        let role: Option<String> = r.field("member_role")?;
        best = best.max(
            role.map(|x| parse::<AccountRole>(&x, "account role"))
                .transpose()?,
        );
    }
    Ok(best)
}

pub(crate) fn otp_row<R: Decoded>(r: &R) -> Result<OtpRow> {
    let slot: String = r.field("slot")?;
    Ok(OtpRow {
        workspace_id: id(r, "workspace_id")?,
        account_id: id(r, "account_id")?,
        slot: if slot == "active" {
            OtpSlot::Active
        } else {
            OtpSlot::Pending
        },
        id: id(r, "id")?,
        secret: r.field("secret")?,
        kind: parse(&r.field::<String>("kind")?, "otp kind")?,
        algorithm: r.field("algorithm")?,
        digits: r.field("digits")?,
        period: r.field("period")?,
        counter: r.field("counter")?,
        issuer: r.field("issuer")?,
        account_name: r.field("account_name")?,
        source: parse(&r.field::<String>("source")?, "otp source")?,
        enrolled_by: id(r, "enrolled_by")?,
        enrolled_at: ts(r, "enrolled_at")?,
        confirmed_at: ts_opt(r, "confirmed_at")?,
    })
}

pub(crate) fn issuance_row<R: Decoded>(r: &R) -> Result<IssuanceRow> {
    let user: Option<String> = r.field("user_id")?;
    Ok(IssuanceRow {
        id: id(r, "id")?,
        workspace_id: id(r, "workspace_id")?,
        account_id: id(r, "account_id")?,
        user_id: user.map(|u| parse(&u, "user_id")).transpose()?,
        user_email: r.field("user_email")?,
        how: parse(&r.field::<String>("how")?, "code use")?,
        step: r.field("step")?,
        issued_at: ts(r, "issued_at")?,
    })
}

pub(crate) fn used_row<R: Decoded>(r: &R) -> Result<UsedStepRow> {
    let user: Option<String> = r.field("used_by")?;
    Ok(UsedStepRow {
        workspace_id: id(r, "workspace_id")?,
        account_id: id(r, "account_id")?,
        step: r.field("step")?,
        used_by: user.map(|u| parse(&u, "used_by")).transpose()?,
        used_by_email: r.field("used_by_email")?,
        how: parse(&r.field::<String>("how")?, "step use")?,
        used_at: ts(r, "used_at")?,
    })
}

pub(crate) fn backup_set_row<R: Decoded>(r: &R) -> Result<BackupSetRow> {
    Ok(BackupSetRow {
        id: id(r, "id")?,
        workspace_id: id(r, "workspace_id")?,
        account_id: id(r, "account_id")?,
        active: r.field("active")?,
        created_by: id(r, "created_by")?,
        created_at: ts(r, "created_at")?,
        replaced_at: ts_opt(r, "replaced_at")?,
    })
}

pub(crate) fn backup_code_row<R: Decoded>(r: &R) -> Result<BackupCodeRow> {
    let by: Option<String> = r.field("used_by")?;
    Ok(BackupCodeRow {
        set_id: id(r, "set_id")?,
        workspace_id: id(r, "workspace_id")?,
        account_id: id(r, "account_id")?,
        position: r.field("position")?,
        code: r.field("code")?,
        used_at: ts_opt(r, "used_at")?,
        used_by: by.map(|u| parse(&u, "used_by")).transpose()?,
        used_by_email: r.field("used_by_email")?,
    })
}

pub(crate) fn step_up_row<R: Decoded>(r: &R) -> Result<StepUpRequestRow> {
    let choices: String = r.field("choices")?;
    let by: Option<String> = r.field("decided_by_session")?;
    Ok(StepUpRequestRow {
        id: id(r, "id")?,
        workspace_id: id(r, "workspace_id")?,
        user_id: id(r, "user_id")?,
        session_id: id(r, "session_id")?,
        number: r.field("number")?,
        choices: choices.split(',').map(str::to_owned).collect(),
        status: parse(&r.field::<String>("status")?, "approval status")?,
        ip: r.field("ip")?,
        user_agent: r.field("user_agent")?,
        purpose: r.field("purpose")?,
        created_at: ts(r, "created_at")?,
        expires_at: ts(r, "expires_at")?,
        decided_at: ts_opt(r, "decided_at")?,
        decided_by_session: by.map(|b| parse(&b, "decided_by_session")).transpose()?,
    })
}

pub(crate) fn dual_row<R: Decoded>(r: &R) -> Result<DualApprovalRow> {
    let by: Option<String> = r.field("decided_by")?;
    Ok(DualApprovalRow {
        id: id(r, "id")?,
        workspace_id: id(r, "workspace_id")?,
        requester_id: id(r, "requester_id")?,
        requester_email: r.field("requester_email")?,
        action: parse(&r.field::<String>("action")?, "dual approval action")?,
        target_id: r.field("target_id")?,
        status: parse(&r.field::<String>("status")?, "approval status")?,
        created_at: ts(r, "created_at")?,
        expires_at: ts(r, "expires_at")?,
        decided_by: by.map(|b| parse(&b, "decided_by")).transpose()?,
        decided_by_email: r.field("decided_by_email")?,
        decided_at: ts_opt(r, "decided_at")?,
    })
}

pub(crate) fn passkey_row<R: Decoded>(r: &R) -> Result<PasskeyRow> {
    Ok(PasskeyRow {
        id: id(r, "id")?,
        workspace_id: id(r, "workspace_id")?,
        user_id: id(r, "user_id")?,
        name: r.field("name")?,
        credential: r.field("credential")?,
        created_at: ts(r, "created_at")?,
        last_used_at: ts_opt(r, "last_used_at")?,
    })
}

pub(crate) fn managed_email_row<R: Decoded>(r: &R) -> Result<ManagedEmailRow> {
    Ok(ManagedEmailRow {
        id: id(r, "id")?,
        workspace_id: id(r, "workspace_id")?,
        account_id: id(r, "account_id")?,
        address: r.field("address")?,
        enabled: r.field("enabled")?,
        created_by: id(r, "created_by")?,
        created_at: ts(r, "created_at")?,
    })
}

pub(crate) fn message_row<R: Decoded>(r: &R) -> Result<InboxMessageRow> {
    Ok(InboxMessageRow {
        id: id(r, "id")?,
        workspace_id: id(r, "workspace_id")?,
        account_id: id(r, "account_id")?,
        channel: parse(&r.field::<String>("channel")?, "channel")?,
        recipient: r.field("recipient")?,
        sender: r.field("sender")?,
        dedup_key: r.field("dedup_key")?,
        sealed: r.field("sealed")?,
        has_code: r.field("has_code")?,
        received_at: ts(r, "received_at")?,
        used_at: ts_opt(r, "used_at")?,
    })
}

pub(crate) fn job_row<R: Decoded>(r: &R) -> Result<JobRow> {
    Ok(JobRow {
        id: id(r, "id")?,
        workspace_id: id(r, "workspace_id")?,
        account_id: id(r, "account_id")?,
        kind: r.field("kind")?,
        state: parse(&r.field::<String>("state")?, "job state")?,
        requested_by: id(r, "requested_by")?,
        attempts: i64::from(r.field::<i32>("attempts")?),
        max_attempts: i64::from(r.field::<i32>("max_attempts")?),
        run_after: ts(r, "run_after")?,
        worker: r.field("worker")?,
        lease_until: ts_opt(r, "lease_until")?,
        cancel_requested: r.field("cancel_requested")?,
        error: r.field("error")?,
        created_at: ts(r, "created_at")?,
        updated_at: ts(r, "updated_at")?,
        finished_at: ts_opt(r, "finished_at")?,
        question: r.field("question")?,
        deferrals: i64::from(r.field::<i32>("deferrals")?),
    })
}

pub(crate) fn mfa_check_row<R: Decoded>(r: &R) -> Result<MfaCheckRow> {
    let state: String = r.field("state")?;
    Ok(MfaCheckRow {
        account_id: id(r, "account_id")?,
        workspace_id: id(r, "workspace_id")?,
        state: parse(&state, "MFA check state")?,
        checked_at: ts(r, "checked_at")?,
        job_id: id(r, "job_id")?,
        reason: r.field("reason")?,
    })
}

pub(crate) fn rotation_row<R: Decoded>(r: &R) -> Result<RotationRow> {
    let every: Option<i32> = r.field("every_days")?;
    Ok(RotationRow {
        account_id: id(r, "account_id")?,
        workspace_id: id(r, "workspace_id")?,
        every_days: every.map(i64::from),
        window_start: i64::from(r.field::<i32>("window_start")?),
        window_end: i64::from(r.field::<i32>("window_end")?),
        on_member_leave: r.field("on_member_leave")?,
        set_by: id(r, "set_by")?,
        next_at: ts_opt(r, "next_at")?,
        password_policy: r.field("password_policy")?,
        after_autofill_hours: r
            .field::<Option<i32>>("after_autofill_hours")?
            .map(i64::from),
        updated_at: ts(r, "updated_at")?,
    })
}

pub(crate) fn pairing_row<R: Decoded>(r: &R) -> Result<PairingRow> {
    let ws: Option<String> = r.field("workspace_id")?;
    let user: Option<String> = r.field("user_id")?;
    let choices: String = r.field("choices")?;
    Ok(PairingRow {
        id: id(r, "id")?,
        secret_hash: r.field("secret_hash")?,
        number: i64::from(r.field::<i32>("number")?),
        choices: choices
            .split(',')
            .map(|c| parse(c, "pairing choice"))
            .collect::<Result<_>>()?,
        browser: r.field("browser")?,
        ip: r.field("ip")?,
        status: parse(&r.field::<String>("status")?, "pairing status")?,
        workspace_id: ws
            .as_deref()
            .map(|w| parse(w, "workspace_id"))
            .transpose()?,
        user_id: user.as_deref().map(|u| parse(u, "user_id")).transpose()?,
        created_at: ts(r, "created_at")?,
        expires_at: ts(r, "expires_at")?,
        decided_at: ts_opt(r, "decided_at")?,
    })
}

pub(crate) fn phone_row<R: Decoded>(r: &R) -> Result<PhoneNumberRow> {
    let account: Option<String> = r.field("account_id")?;
    Ok(PhoneNumberRow {
        id: id(r, "id")?,
        workspace_id: id(r, "workspace_id")?,
        number: r.field("number")?,
        account_id: account.map(|a| parse(&a, "account_id")).transpose()?,
        created_at: ts(r, "created_at")?,
    })
}

pub(crate) fn access_request_view<R: Decoded>(r: &R) -> Result<AccessRequestView> {
    let decided_by: Option<String> = r.field("decided_by")?;
    let state: String = r.field("state")?;
    Ok(AccessRequestView {
        request: AccessRequestRow {
            id: id(r, "id")?,
            workspace_id: id(r, "workspace_id")?,
            account_id: id(r, "account_id")?,
            requester_id: id(r, "requester_id")?,
            role: parse(&r.field::<String>("role")?, "account role")?,
            reason: r.field("reason")?,
            duration_secs: r.field("duration_secs")?,
            state: parse(&state, "access request state")?,
            created_at: ts(r, "created_at")?,
            decided_by: decided_by.map(|d| parse(&d, "decided_by")).transpose()?,
            decided_at: ts_opt(r, "decided_at")?,
            note: r.field("note")?,
            grant_expires_at: ts_opt(r, "grant_expires_at")?,
        },
        account_label: r.field("account_label")?,
        account_app: r.field("account_app")?,
        requester_email: r.field("requester_email")?,
        requester_name: r.field("requester_name")?,
        decided_by_email: r.field("decided_by_email")?,
    })
}

// The directory (`directory.rs`).

pub(crate) const SCIM_TOKEN_COLS: &str = "workspace_id, token_hash, prefix, created_by, created_at";
pub(crate) const SCIM_USER_COLS: &str = concat!(
    "user_id, workspace_id, user_name, external_id, given_name, family_name, formatted_name, ",
    "display_name, emails, created_at, updated_at, deleted_at",
);
pub(crate) const TEAM_COLS: &str =
    "id, workspace_id, display_name, external_id, created_at, updated_at";
pub(crate) const GRANT_COLS: &str = "workspace_id, account_id, team_id, role, added_by, added_at";

pub(crate) fn scim_token_row<R: Decoded>(r: &R) -> Result<ScimTokenRow> {
    Ok(ScimTokenRow {
        workspace_id: id(r, "workspace_id")?,
        token_hash: r.field("token_hash")?,
        prefix: r.field("prefix")?,
        created_by: id(r, "created_by")?,
        created_at: ts(r, "created_at")?,
    })
}

pub(crate) fn scim_user_row<R: Decoded>(r: &R) -> Result<ScimUserRow> {
    Ok(ScimUserRow {
        user_id: id(r, "user_id")?,
        workspace_id: id(r, "workspace_id")?,
        user_name: r.field("user_name")?,
        external_id: r.field("external_id")?,
        given_name: r.field("given_name")?,
        family_name: r.field("family_name")?,
        formatted_name: r.field("formatted_name")?,
        display_name: r.field("display_name")?,
        emails: r.field("emails")?,
        created_at: ts(r, "created_at")?,
        updated_at: ts(r, "updated_at")?,
        deleted_at: ts_opt(r, "deleted_at")?,
    })
}

pub(crate) fn team_row<R: Decoded>(r: &R) -> Result<TeamRow> {
    Ok(TeamRow {
        id: id(r, "id")?,
        workspace_id: id(r, "workspace_id")?,
        display_name: r.field("display_name")?,
        external_id: r.field("external_id")?,
        created_at: ts(r, "created_at")?,
        updated_at: ts(r, "updated_at")?,
    })
}

pub(crate) fn team_member_row<R: Decoded>(r: &R) -> Result<TeamMemberRow> {
    Ok(TeamMemberRow {
        team_id: id(r, "team_id")?,
        user_id: id(r, "user_id")?,
        added_at: ts(r, "added_at")?,
    })
}

pub(crate) fn grant_row<R: Decoded>(r: &R) -> Result<TeamGrantRow> {
    Ok(TeamGrantRow {
        workspace_id: id(r, "workspace_id")?,
        account_id: id(r, "account_id")?,
        team_id: id(r, "team_id")?,
        role: id(r, "role")?,
        added_by: id(r, "added_by")?,
        added_at: ts(r, "added_at")?,
    })
}

#[cfg(test)]
mod tests {
    use crate::StoreError;
    use crate::sql::parse;
    use orthrus_core::{AuditOutcome, OtpKind, OtpSource};

    #[test]
    fn a_stored_word_decodes_and_an_unknown_one_is_a_store_error() {
        assert_eq!(
            parse::<AuditOutcome>("denied", "audit outcome").ok(),
            Some(AuditOutcome::Denied)
        );
        assert_eq!(
            parse::<OtpKind>("hotp", "otp kind").ok(),
            Some(OtpKind::Hotp)
        );
        assert_eq!(
            parse::<OtpSource>("import", "otp source").ok(),
            Some(OtpSource::Import)
        );
        for (e, m) in [
            (
                parse::<AuditOutcome>("evil", "audit outcome").err(),
                "bad audit outcome: \"evil\"",
            ),
            (
                parse::<OtpKind>("TOTP", "otp kind").err(),
                "bad otp kind: \"TOTP\"",
            ),
            (
                parse::<OtpSource>("", "otp source").err(),
                "bad otp source: \"\"",
            ),
        ] {
            assert!(
                matches!(e, Some(StoreError::Corrupt(ref s)) if s == m),
                "{e:?}"
            );
        }
    }
}

#[cfg(test)]
mod store_words {
    use crate::models::{MfaCheckState, PairingStatus, SessionKind};
    use crate::sql::parse;

    /// Each word reads back from its spelling, and anything else (another
    /// case, an old guess) is a corrupt row, never a default.
    fn round_trip<T>(all: &[T], what: &str, spell: fn(T) -> &'static str)
    where
        T: Copy + PartialEq + std::fmt::Debug + std::str::FromStr,
    {
        for &w in all {
            assert_eq!(parse::<T>(spell(w), what).ok(), Some(w));
            let upper = spell(w).to_uppercase();
            let e = parse::<T>(&upper, what).err().map(|e| e.to_string());
            assert_eq!(e, Some(format!("corrupt row: bad {what}: {upper:?}")));
        }
    }

    #[test]
    fn session_pairing_and_mfa_check_words_are_strict() {
        round_trip(&SessionKind::ALL, "session kind", SessionKind::as_str);
        round_trip(&PairingStatus::ALL, "pairing status", PairingStatus::as_str);
        round_trip(
            &MfaCheckState::ALL,
            "MFA check state",
            MfaCheckState::as_str,
        );
        // A session of an unknown kind used to read as a bearer session.
        assert!(parse::<SessionKind>("api", "session kind").is_err());
        let spelled = SessionKind::ALL.map(SessionKind::as_str);
        assert_eq!(spelled, ["cookie", "bearer", "extension"]);
        let spelled = PairingStatus::ALL.map(PairingStatus::as_str);
        assert_eq!(spelled, ["pending", "approved", "denied", "claimed"]);
        let spelled = MfaCheckState::ALL.map(MfaCheckState::as_str);
        assert_eq!(spelled, ["on", "off", "could_not_check"]);
    }
}
