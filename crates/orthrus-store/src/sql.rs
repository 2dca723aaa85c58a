//! The SQL shared by both backends. `impl_store!` expands to a full `Store`
//! implementation for one sqlx database type, so each backend is typed (no
//! `Any` driver) while every query is written once. Placeholders are `$n`,
//! which both SQLite and PostgreSQL accept.

use crate::{Result, StoreError};
use std::str::FromStr;

pub(crate) fn parse<T: FromStr>(s: &str, what: &str) -> Result<T> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("bad {what}: {s:?}")))
}

/// Maps unique-constraint violations to `Conflict`.
pub(crate) fn conflict(e: sqlx::Error, what: &str) -> StoreError {
    if let sqlx::Error::Database(db) = &e
        && db.is_unique_violation()
    {
        return StoreError::Conflict(what.to_owned());
    }
    StoreError::Database(e)
}

/// Formats SQL from constant fragments (column lists, table names); never
/// from user input, which is always bound as a parameter.
macro_rules! sql_fmt {
    ($($t:tt)*) => {
        sqlx::AssertSqlSafe(format!($($t)*))
    };
}
pub(crate) use sql_fmt;

macro_rules! impl_store {
    ($store:ident, $db:ty, $row:ty, $backend:literal) => {
        use crate::models::*;
        use crate::sql::{conflict, parse, sql_fmt};
        use crate::{AuditHead, ChainFn, Result, Store, StoreError};
        use async_trait::async_trait;
        use orthrus_core::{
            AccountId, AccountRole, EventId, SessionId, Timestamp, TokenId, UserId, WorkspaceId,
            WorkspaceRole,
        };
        use sqlx::Row;

        const USER_COLS: &str = "id, workspace_id, email, name, role, password_hash, active, totp_secret, totp_enabled, totp_last_step, created_at, updated_at, access_expires_at";
        const SESSION_COLS: &str = "id, workspace_id, user_id, token_hash, kind, created_at, last_seen_at, expires_at, elevated_until, ip, user_agent, revoked_at";
        const TOKEN_COLS: &str = "id, workspace_id, user_id, name, token_hash, prefix, created_at, last_used_at, expires_at, revoked_at";
        const ACCOUNT_COLS: &str = "id, workspace_id, app, label, login_url, username, password, notes, version, created_by, created_at, updated_at";
        const OTP_COLS: &str = "workspace_id, account_id, slot, id, secret, kind, algorithm, digits, period, counter, issuer, account_name, source, enrolled_by, enrolled_at, confirmed_at";
        const AUDIT_COLS: &str = "workspace_id, seq, id, at, actor_id, actor_email, action, target_type, target_id, ip, outcome, detail, prev_hash, hash";

        fn ts(row: &$row, col: &str) -> Result<Timestamp> {
            Ok(Timestamp(row.try_get::<i64, _>(col)?))
        }
        fn ts_opt(row: &$row, col: &str) -> Result<Option<Timestamp>> {
            Ok(row.try_get::<Option<i64>, _>(col)?.map(Timestamp))
        }
        fn id<T: std::str::FromStr>(row: &$row, col: &str) -> Result<T> {
            parse(&row.try_get::<String, _>(col)?, col)
        }

        fn workspace_row(r: &$row) -> Result<WorkspaceRow> {
            Ok(WorkspaceRow {
                id: id(r, "id")?,
                name: r.try_get("name")?,
                require_2fa: r.try_get("require_2fa")?,
                step_up_minutes: r.try_get("step_up_minutes")?,
                created_at: ts(r, "created_at")?,
            })
        }
        fn user_row(r: &$row) -> Result<UserRow> {
            Ok(UserRow {
                id: id(r, "id")?,
                workspace_id: id(r, "workspace_id")?,
                email: r.try_get("email")?,
                name: r.try_get("name")?,
                role: parse::<WorkspaceRole>(&r.try_get::<String, _>("role")?, "role")?,
                password_hash: r.try_get("password_hash")?,
                active: r.try_get("active")?,
                totp_secret: r.try_get("totp_secret")?,
                totp_enabled: r.try_get("totp_enabled")?,
                totp_last_step: r.try_get("totp_last_step")?,
                created_at: ts(r, "created_at")?,
                updated_at: ts(r, "updated_at")?,
                access_expires_at: ts_opt(r, "access_expires_at")?,
            })
        }
        fn invitation_row(r: &$row) -> Result<InvitationRow> {
            let user: Option<String> = r.try_get("user_id")?;
            Ok(InvitationRow {
                id: id(r, "id")?,
                workspace_id: id(r, "workspace_id")?,
                email: r.try_get("email")?,
                role: parse::<WorkspaceRole>(&r.try_get::<String, _>("role")?, "role")?,
                token_hash: r.try_get("token_hash")?,
                invited_by: id(r, "invited_by")?,
                emailed: r.try_get("emailed")?,
                created_at: ts(r, "created_at")?,
                expires_at: ts(r, "expires_at")?,
                accepted_at: ts_opt(r, "accepted_at")?,
                revoked_at: ts_opt(r, "revoked_at")?,
                user_id: user.as_deref().map(|u| parse(u, "user_id")).transpose()?,
                access_expires_at: ts_opt(r, "access_expires_at")?,
            })
        }
        fn session_row(r: &$row) -> Result<SessionRow> {
            Ok(SessionRow {
                id: id(r, "id")?,
                workspace_id: id(r, "workspace_id")?,
                user_id: id(r, "user_id")?,
                token_hash: r.try_get("token_hash")?,
                kind: SessionKind::parse(&r.try_get::<String, _>("kind")?),
                created_at: ts(r, "created_at")?,
                last_seen_at: ts(r, "last_seen_at")?,
                expires_at: ts(r, "expires_at")?,
                elevated_until: ts_opt(r, "elevated_until")?,
                ip: r.try_get("ip")?,
                user_agent: r.try_get("user_agent")?,
                revoked_at: ts_opt(r, "revoked_at")?,
            })
        }
        fn token_row(r: &$row) -> Result<ApiTokenRow> {
            Ok(ApiTokenRow {
                id: id(r, "id")?,
                workspace_id: id(r, "workspace_id")?,
                user_id: id(r, "user_id")?,
                name: r.try_get("name")?,
                token_hash: r.try_get("token_hash")?,
                prefix: r.try_get("prefix")?,
                created_at: ts(r, "created_at")?,
                last_used_at: ts_opt(r, "last_used_at")?,
                expires_at: ts_opt(r, "expires_at")?,
                revoked_at: ts_opt(r, "revoked_at")?,
            })
        }
        fn throttle_row(r: &$row) -> Result<ThrottleRow> {
            Ok(ThrottleRow {
                key: r.try_get("key")?,
                failures: r.try_get("failures")?,
                window_start: ts(r, "window_start")?,
                locked_until: ts_opt(r, "locked_until")?,
            })
        }
        fn account_row(r: &$row) -> Result<AccountRow> {
            Ok(AccountRow {
                id: id(r, "id")?,
                workspace_id: id(r, "workspace_id")?,
                app: r.try_get("app")?,
                label: r.try_get("label")?,
                login_url: r.try_get("login_url")?,
                username: r.try_get("username")?,
                password: r.try_get("password")?,
                notes: r.try_get("notes")?,
                version: r.try_get("version")?,
                created_by: id(r, "created_by")?,
                created_at: ts(r, "created_at")?,
                updated_at: ts(r, "updated_at")?,
            })
        }
        fn field_row(r: &$row) -> Result<FieldRow> {
            Ok(FieldRow {
                id: id(r, "id")?,
                workspace_id: id(r, "workspace_id")?,
                account_id: id(r, "account_id")?,
                position: r.try_get("position")?,
                name: r.try_get("name")?,
                secret: r.try_get("secret")?,
                value_text: r.try_get("value_text")?,
                value_sealed: r.try_get("value_sealed")?,
            })
        }
        fn member_row(r: &$row) -> Result<MemberRow> {
            Ok(MemberRow {
                workspace_id: id(r, "workspace_id")?,
                account_id: id(r, "account_id")?,
                user_id: id(r, "user_id")?,
                role: parse::<AccountRole>(&r.try_get::<String, _>("role")?, "account role")?,
                added_by: id(r, "added_by")?,
                added_at: ts(r, "added_at")?,
                expires_at: ts_opt(r, "expires_at")?,
            })
        }
        fn otp_row(r: &$row) -> Result<OtpRow> {
            let slot: String = r.try_get("slot")?;
            Ok(OtpRow {
                workspace_id: id(r, "workspace_id")?,
                account_id: id(r, "account_id")?,
                slot: if slot == "active" { OtpSlot::Active } else { OtpSlot::Pending },
                id: id(r, "id")?,
                secret: r.try_get("secret")?,
                kind: r.try_get("kind")?,
                algorithm: r.try_get("algorithm")?,
                digits: r.try_get("digits")?,
                period: r.try_get("period")?,
                counter: r.try_get("counter")?,
                issuer: r.try_get("issuer")?,
                account_name: r.try_get("account_name")?,
                source: r.try_get("source")?,
                enrolled_by: id(r, "enrolled_by")?,
                enrolled_at: ts(r, "enrolled_at")?,
                confirmed_at: ts_opt(r, "confirmed_at")?,
            })
        }
        fn issuance_row(r: &$row) -> Result<IssuanceRow> {
            let user: Option<String> = r.try_get("user_id")?;
            Ok(IssuanceRow {
                id: id(r, "id")?,
                workspace_id: id(r, "workspace_id")?,
                account_id: id(r, "account_id")?,
                user_id: user.map(|u| parse(&u, "user_id")).transpose()?,
                user_email: r.try_get("user_email")?,
                how: r.try_get("how")?,
                step: r.try_get("step")?,
                issued_at: ts(r, "issued_at")?,
            })
        }
        fn used_row(r: &$row) -> Result<UsedStepRow> {
            let user: Option<String> = r.try_get("used_by")?;
            Ok(UsedStepRow {
                workspace_id: id(r, "workspace_id")?,
                account_id: id(r, "account_id")?,
                step: r.try_get("step")?,
                used_by: user.map(|u| parse(&u, "used_by")).transpose()?,
                used_by_email: r.try_get("used_by_email")?,
                how: r.try_get("how")?,
                used_at: ts(r, "used_at")?,
            })
        }
        fn backup_set_row(r: &$row) -> Result<BackupSetRow> {
            Ok(BackupSetRow {
                id: id(r, "id")?,
                workspace_id: id(r, "workspace_id")?,
                account_id: id(r, "account_id")?,
                active: r.try_get("active")?,
                created_by: id(r, "created_by")?,
                created_at: ts(r, "created_at")?,
                replaced_at: ts_opt(r, "replaced_at")?,
            })
        }
        fn backup_code_row(r: &$row) -> Result<BackupCodeRow> {
            let by: Option<String> = r.try_get("used_by")?;
            Ok(BackupCodeRow {
                set_id: id(r, "set_id")?,
                workspace_id: id(r, "workspace_id")?,
                account_id: id(r, "account_id")?,
                position: r.try_get("position")?,
                code: r.try_get("code")?,
                used_at: ts_opt(r, "used_at")?,
                used_by: by.map(|u| parse(&u, "used_by")).transpose()?,
                used_by_email: r.try_get("used_by_email")?,
            })
        }
        fn step_up_row(r: &$row) -> Result<StepUpRequestRow> {
            let choices: String = r.try_get("choices")?;
            let by: Option<String> = r.try_get("decided_by_session")?;
            Ok(StepUpRequestRow {
                id: id(r, "id")?,
                workspace_id: id(r, "workspace_id")?,
                user_id: id(r, "user_id")?,
                session_id: id(r, "session_id")?,
                number: r.try_get("number")?,
                choices: choices.split(',').map(str::to_owned).collect(),
                status: r.try_get("status")?,
                ip: r.try_get("ip")?,
                user_agent: r.try_get("user_agent")?,
                purpose: r.try_get("purpose")?,
                created_at: ts(r, "created_at")?,
                expires_at: ts(r, "expires_at")?,
                decided_at: ts_opt(r, "decided_at")?,
                decided_by_session: by.map(|b| parse(&b, "decided_by_session")).transpose()?,
            })
        }
        fn dual_row(r: &$row) -> Result<DualApprovalRow> {
            let by: Option<String> = r.try_get("decided_by")?;
            Ok(DualApprovalRow {
                id: id(r, "id")?,
                workspace_id: id(r, "workspace_id")?,
                requester_id: id(r, "requester_id")?,
                requester_email: r.try_get("requester_email")?,
                action: r.try_get("action")?,
                target_id: r.try_get("target_id")?,
                status: r.try_get("status")?,
                created_at: ts(r, "created_at")?,
                expires_at: ts(r, "expires_at")?,
                decided_by: by.map(|b| parse(&b, "decided_by")).transpose()?,
                decided_by_email: r.try_get("decided_by_email")?,
                decided_at: ts_opt(r, "decided_at")?,
            })
        }
        fn passkey_row(r: &$row) -> Result<PasskeyRow> {
            Ok(PasskeyRow {
                id: id(r, "id")?,
                workspace_id: id(r, "workspace_id")?,
                user_id: id(r, "user_id")?,
                name: r.try_get("name")?,
                credential: r.try_get("credential")?,
                created_at: ts(r, "created_at")?,
                last_used_at: ts_opt(r, "last_used_at")?,
            })
        }
        fn managed_email_row(r: &$row) -> Result<ManagedEmailRow> {
            Ok(ManagedEmailRow {
                id: id(r, "id")?,
                workspace_id: id(r, "workspace_id")?,
                account_id: id(r, "account_id")?,
                address: r.try_get("address")?,
                enabled: r.try_get("enabled")?,
                created_by: id(r, "created_by")?,
                created_at: ts(r, "created_at")?,
            })
        }
        fn message_row(r: &$row) -> Result<InboxMessageRow> {
            Ok(InboxMessageRow {
                id: id(r, "id")?,
                workspace_id: id(r, "workspace_id")?,
                account_id: id(r, "account_id")?,
                channel: parse(&r.try_get::<String, _>("channel")?, "channel")?,
                recipient: r.try_get("recipient")?,
                sender: r.try_get("sender")?,
                dedup_key: r.try_get("dedup_key")?,
                sealed: r.try_get("sealed")?,
                has_code: r.try_get("has_code")?,
                received_at: ts(r, "received_at")?,
                used_at: ts_opt(r, "used_at")?,
            })
        }
        fn small(v: i64) -> i32 {
            i32::try_from(v).unwrap_or(i32::MAX)
        }
        fn job_row(r: &$row) -> Result<JobRow> {
            Ok(JobRow {
                id: id(r, "id")?,
                workspace_id: id(r, "workspace_id")?,
                account_id: id(r, "account_id")?,
                kind: r.try_get("kind")?,
                state: parse(&r.try_get::<String, _>("state")?, "job state")?,
                requested_by: id(r, "requested_by")?,
                attempts: i64::from(r.try_get::<i32, _>("attempts")?),
                max_attempts: i64::from(r.try_get::<i32, _>("max_attempts")?),
                run_after: ts(r, "run_after")?,
                worker: r.try_get("worker")?,
                lease_until: ts_opt(r, "lease_until")?,
                cancel_requested: r.try_get("cancel_requested")?,
                error: r.try_get("error")?,
                created_at: ts(r, "created_at")?,
                updated_at: ts(r, "updated_at")?,
                finished_at: ts_opt(r, "finished_at")?,
                question: r.try_get("question")?,
                deferrals: i64::from(r.try_get::<i32, _>("deferrals")?),
            })
        }
        fn mfa_check_row(r: &$row) -> Result<MfaCheckRow> {
            let state: String = r.try_get("state")?;
            Ok(MfaCheckRow {
                account_id: id(r, "account_id")?,
                workspace_id: id(r, "workspace_id")?,
                state: MfaCheckState::parse(&state)
                    .ok_or_else(|| StoreError::Corrupt(format!("bad MFA check state: {state:?}")))?,
                checked_at: ts(r, "checked_at")?,
                job_id: id(r, "job_id")?,
                reason: r.try_get("reason")?,
            })
        }
        fn rotation_row(r: &$row) -> Result<RotationRow> {
            let every: Option<i32> = r.try_get("every_days")?;
            Ok(RotationRow {
                account_id: id(r, "account_id")?,
                workspace_id: id(r, "workspace_id")?,
                every_days: every.map(i64::from),
                window_start: i64::from(r.try_get::<i32, _>("window_start")?),
                window_end: i64::from(r.try_get::<i32, _>("window_end")?),
                on_member_leave: r.try_get("on_member_leave")?,
                set_by: id(r, "set_by")?,
                next_at: ts_opt(r, "next_at")?,
                password_policy: r.try_get("password_policy")?,
                after_autofill_hours: r.try_get::<Option<i32>, _>("after_autofill_hours")?.map(i64::from),
                updated_at: ts(r, "updated_at")?,
            })
        }
        fn pairing_row(r: &$row) -> Result<PairingRow> {
            let ws: Option<String> = r.try_get("workspace_id")?;
            let user: Option<String> = r.try_get("user_id")?;
            let choices: String = r.try_get("choices")?;
            Ok(PairingRow {
                id: id(r, "id")?,
                secret_hash: r.try_get("secret_hash")?,
                number: i64::from(r.try_get::<i32, _>("number")?),
                choices: choices.split(',').filter_map(|c| c.parse().ok()).collect(),
                browser: r.try_get("browser")?,
                ip: r.try_get("ip")?,
                status: PairingStatus::parse(&r.try_get::<String, _>("status")?)
                    .ok_or_else(|| StoreError::Corrupt("bad pairing status".into()))?,
                workspace_id: ws.as_deref().map(|w| parse(w, "workspace_id")).transpose()?,
                user_id: user.as_deref().map(|u| parse(u, "user_id")).transpose()?,
                created_at: ts(r, "created_at")?,
                expires_at: ts(r, "expires_at")?,
                decided_at: ts_opt(r, "decided_at")?,
            })
        }
        fn phone_row(r: &$row) -> Result<PhoneNumberRow> {
            let account: Option<String> = r.try_get("account_id")?;
            Ok(PhoneNumberRow {
                id: id(r, "id")?,
                workspace_id: id(r, "workspace_id")?,
                number: r.try_get("number")?,
                account_id: account.map(|a| parse(&a, "account_id")).transpose()?,
                created_at: ts(r, "created_at")?,
            })
        }
        fn audit_row(r: &$row) -> Result<AuditEventRow> {
            let actor: Option<String> = r.try_get("actor_id")?;
            let detail: String = r.try_get("detail")?;
            Ok(AuditEventRow {
                workspace_id: id(r, "workspace_id")?,
                seq: r.try_get("seq")?,
                event: NewAuditEvent {
                    id: id(r, "id")?,
                    at: ts(r, "at")?,
                    actor_id: actor.map(|a| parse(&a, "actor_id")).transpose()?,
                    actor_email: r.try_get("actor_email")?,
                    action: r.try_get("action")?,
                    target_type: r.try_get("target_type")?,
                    target_id: r.try_get("target_id")?,
                    ip: r.try_get("ip")?,
                    outcome: r.try_get("outcome")?,
                    detail: serde_json::from_str(&detail)
                        .map_err(|e| StoreError::Corrupt(format!("audit detail: {e}")))?,
                },
                prev_hash: r.try_get("prev_hash")?,
                hash: r.try_get("hash")?,
            })
        }

        impl $store {
            async fn insert_member<'e, E>(e: E, m: &MemberRow) -> Result<()>
            where
                E: sqlx::Executor<'e, Database = $db>,
            {
                sqlx::query(
                    "INSERT INTO account_members (workspace_id, account_id, user_id, role, added_by, added_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
                     ON CONFLICT (account_id, user_id) DO UPDATE SET role = excluded.role, added_by = excluded.added_by, added_at = excluded.added_at, expires_at = excluded.expires_at",
                )
                .bind(m.workspace_id.to_string())
                .bind(m.account_id.to_string())
                .bind(m.user_id.to_string())
                .bind(m.role.as_str())
                .bind(m.added_by.to_string())
                .bind(m.added_at.0)
                .bind(m.expires_at.map(|t| t.0))
                .execute(e)
                .await?;
                Ok(())
            }

            async fn insert_issuance<'e, E>(e: E, i: &IssuanceRow) -> Result<()>
            where
                E: sqlx::Executor<'e, Database = $db>,
            {
                sqlx::query("INSERT INTO otp_issuance (id, workspace_id, account_id, user_id, user_email, how, step, issued_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                    .bind(i.id.to_string())
                    .bind(i.workspace_id.to_string())
                    .bind(i.account_id.to_string())
                    .bind(i.user_id.map(|u| u.to_string()))
                    .bind(i.user_email.as_deref())
                    .bind(&i.how)
                    .bind(i.step)
                    .bind(i.issued_at.0)
                    .execute(e)
                    .await?;
                Ok(())
            }

            /// Several ledger rows in one statement (one `VALUES` tuple each).
            async fn insert_issuances<'e, E>(e: E, rows: &[IssuanceRow]) -> Result<()>
            where
                E: sqlx::Executor<'e, Database = $db>,
            {
                if rows.is_empty() {
                    return Ok(());
                }
                let values = (0..rows.len())
                    .map(|n| { let b = n * 8; format!("(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 8) })
                    .collect::<Vec<_>>()
                    .join(", ");
                let mut q = sqlx::query(sql_fmt!("INSERT INTO otp_issuance (id, workspace_id, account_id, user_id, user_email, how, step, issued_at) VALUES {values}"));
                for i in rows {
                    q = q.bind(i.id.to_string())
                        .bind(i.workspace_id.to_string())
                        .bind(i.account_id.to_string())
                        .bind(i.user_id.map(|u| u.to_string()))
                        .bind(i.user_email.clone())
                        .bind(i.how.clone())
                        .bind(i.step)
                        .bind(i.issued_at.0);
                }
                q.execute(e).await?;
                Ok(())
            }

            async fn insert_field<'e, E>(e: E, f: &FieldRow) -> Result<()>
            where
                E: sqlx::Executor<'e, Database = $db>,
            {
                sqlx::query("INSERT INTO account_fields (id, workspace_id, account_id, position, name, secret, value_text, value_sealed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                    .bind(f.id.to_string()).bind(f.workspace_id.to_string()).bind(f.account_id.to_string()).bind(f.position)
                    .bind(&f.name).bind(f.secret).bind(f.value_text.as_deref()).bind(f.value_sealed.as_deref())
                    .execute(e).await?;
                Ok(())
            }

            async fn insert_user<'e, E>(e: E, u: &UserRow) -> Result<()>
            where
                E: sqlx::Executor<'e, Database = $db>,
            {
                sqlx::query(sql_fmt!("INSERT INTO users ({USER_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"))
                    .bind(u.id.to_string())
                    .bind(u.workspace_id.to_string())
                    .bind(&u.email)
                    .bind(&u.name)
                    .bind(u.role.as_str())
                    .bind(&u.password_hash)
                    .bind(u.active)
                    .bind(u.totp_secret.as_deref())
                    .bind(u.totp_enabled)
                    .bind(u.totp_last_step)
                    .bind(u.created_at.0)
                    .bind(u.updated_at.0)
                    .bind(u.access_expires_at.map(|t| t.0))
                    .execute(e)
                    .await
                    .map_err(|e| conflict(e, "a user with this email already exists"))?;
                Ok(())
            }

            async fn insert_workspace<'e, E>(e: E, ws: &WorkspaceRow) -> Result<()>
            where
                E: sqlx::Executor<'e, Database = $db>,
            {
                sqlx::query("INSERT INTO workspaces (id, name, require_2fa, step_up_minutes, created_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(ws.id.to_string())
                    .bind(&ws.name)
                    .bind(ws.require_2fa)
                    .bind(ws.step_up_minutes)
                    .bind(ws.created_at.0)
                    .execute(e)
                    .await
                    .map_err(|e| conflict(e, "workspace exists"))?;
                Ok(())
            }
        }

        #[async_trait]
        impl Store for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn ping(&self) -> Result<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn close(&self) {
                self.pool.close().await;
            }

            async fn create_workspace(&self, ws: &WorkspaceRow) -> Result<()> {
                Self::insert_workspace(&self.pool, ws).await
            }

            async fn get_workspace(&self, ws: WorkspaceId) -> Result<Option<WorkspaceRow>> {
                sqlx::query("SELECT * FROM workspaces WHERE id = $1")
                    .bind(ws.to_string())
                    .fetch_optional(&self.pool)
                    .await?
                    .as_ref()
                    .map(workspace_row)
                    .transpose()
            }

            async fn list_workspaces(&self) -> Result<Vec<WorkspaceRow>> {
                sqlx::query("SELECT * FROM workspaces ORDER BY id")
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(workspace_row)
                    .collect()
            }

            async fn update_workspace(&self, ws: &WorkspaceRow) -> Result<()> {
                let done = sqlx::query("UPDATE workspaces SET name = $2, require_2fa = $3, step_up_minutes = $4 WHERE id = $1")
                    .bind(ws.id.to_string())
                    .bind(&ws.name)
                    .bind(ws.require_2fa)
                    .bind(ws.step_up_minutes)
                    .execute(&self.pool)
                    .await?;
                if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
            }

            async fn count_users(&self) -> Result<i64> {
                Ok(sqlx::query("SELECT COUNT(*) AS n FROM users").fetch_one(&self.pool).await?.try_get("n")?)
            }

            async fn bootstrap(&self, ws: &WorkspaceRow, owner: &UserRow) -> Result<()> {
                let mut tx = self.pool.begin().await?;
                // Write first so SQLite takes its write lock before the check;
                // on PostgreSQL a concurrent setup on another node blocks on
                // this row and then fails on its key, so only one wins.
                sqlx::query("INSERT INTO instance_settings (key, value) VALUES ('setup', 'complete')")
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| conflict(e, "setup is already complete"))?;
                Self::insert_workspace(&mut *tx, ws).await?;
                let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM users").fetch_one(&mut *tx).await?.try_get("n")?;
                if n > 0 {
                    tx.rollback().await?;
                    return Err(StoreError::Conflict("setup is already complete".into()));
                }
                Self::insert_user(&mut *tx, owner).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn create_user(&self, u: &UserRow) -> Result<()> {
                Self::insert_user(&self.pool, u).await
            }

            async fn get_user(&self, ws: WorkspaceId, user: UserId) -> Result<Option<UserRow>> {
                sqlx::query(sql_fmt!("SELECT {USER_COLS} FROM users WHERE workspace_id = $1 AND id = $2"))
                    .bind(ws.to_string())
                    .bind(user.to_string())
                    .fetch_optional(&self.pool)
                    .await?
                    .as_ref()
                    .map(user_row)
                    .transpose()
            }

            async fn get_user_and_workspace(&self, ws: WorkspaceId, user: UserId) -> Result<Option<(UserRow, WorkspaceRow)>> {
                let ucols = USER_COLS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ");
                let row = sqlx::query(sql_fmt!("SELECT {ucols}, w.name AS w_name, w.require_2fa AS w_require_2fa, w.step_up_minutes AS w_step_up_minutes, w.created_at AS w_created_at FROM users u JOIN workspaces w ON w.id = u.workspace_id WHERE u.workspace_id = $1 AND u.id = $2"))
                    .bind(ws.to_string())
                    .bind(user.to_string())
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| {
                    let u = user_row(&r)?;
                    let w = WorkspaceRow {
                        id: u.workspace_id,
                        name: r.try_get("w_name")?,
                        require_2fa: r.try_get("w_require_2fa")?,
                        step_up_minutes: r.try_get("w_step_up_minutes")?,
                        created_at: ts(&r, "w_created_at")?,
                    };
                    Ok((u, w))
                })
                .transpose()
            }

            async fn find_user_by_email(&self, email: &str) -> Result<Option<UserRow>> {
                sqlx::query(sql_fmt!("SELECT {USER_COLS} FROM users WHERE email = $1"))
                    .bind(email)
                    .fetch_optional(&self.pool)
                    .await?
                    .as_ref()
                    .map(user_row)
                    .transpose()
            }

            async fn list_users(&self, ws: WorkspaceId) -> Result<Vec<UserRow>> {
                sqlx::query(sql_fmt!("SELECT {USER_COLS} FROM users WHERE workspace_id = $1 ORDER BY email"))
                    .bind(ws.to_string())
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(user_row)
                    .collect()
            }

            async fn set_user_role(&self, ws: WorkspaceId, user: UserId, role: WorkspaceRole, at: Timestamp) -> Result<()> {
                let done = sqlx::query("UPDATE users SET role = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2")
                    .bind(ws.to_string()).bind(user.to_string()).bind(role.as_str()).bind(at.0)
                    .execute(&self.pool).await?;
                if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
            }

            async fn set_user_active(&self, ws: WorkspaceId, user: UserId, active: bool, at: Timestamp) -> Result<()> {
                let done = sqlx::query("UPDATE users SET active = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2")
                    .bind(ws.to_string()).bind(user.to_string()).bind(active).bind(at.0)
                    .execute(&self.pool).await?;
                if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
            }

            async fn set_user_password(&self, ws: WorkspaceId, user: UserId, hash: &str, at: Timestamp) -> Result<()> {
                let done = sqlx::query("UPDATE users SET password_hash = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2")
                    .bind(ws.to_string()).bind(user.to_string()).bind(hash).bind(at.0)
                    .execute(&self.pool).await?;
                if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
            }

            async fn create_invitation(&self, i: &InvitationRow) -> Result<()> {
                sqlx::query("INSERT INTO invitations (id, workspace_id, email, role, token_hash, invited_by, emailed, created_at, expires_at, accepted_at, revoked_at, user_id, access_expires_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL, NULL, $10)")
                    .bind(i.id.to_string()).bind(i.workspace_id.to_string()).bind(&i.email).bind(i.role.as_str())
                    .bind(&i.token_hash).bind(i.invited_by.to_string()).bind(i.emailed).bind(i.created_at.0).bind(i.expires_at.0)
                    .bind(i.access_expires_at.map(|t| t.0))
                    .execute(&self.pool).await.map_err(|e| conflict(e, "invitation"))?;
                Ok(())
            }

            async fn invitation_by_token_hash(&self, hash: &str) -> Result<Option<InvitationRow>> {
                sqlx::query("SELECT * FROM invitations WHERE token_hash = $1")
                    .bind(hash).fetch_optional(&self.pool).await?.as_ref().map(invitation_row).transpose()
            }

            async fn get_invitation(&self, ws: WorkspaceId, inv: EventId) -> Result<Option<InvitationRow>> {
                sqlx::query("SELECT * FROM invitations WHERE workspace_id = $1 AND id = $2")
                    .bind(ws.to_string()).bind(inv.to_string())
                    .fetch_optional(&self.pool).await?.as_ref().map(invitation_row).transpose()
            }

            async fn list_invitations(&self, ws: WorkspaceId) -> Result<Vec<InvitationRow>> {
                sqlx::query("SELECT * FROM invitations WHERE workspace_id = $1 ORDER BY created_at DESC, id DESC")
                    .bind(ws.to_string()).fetch_all(&self.pool).await?.iter().map(invitation_row).collect()
            }

            async fn revoke_invitation(&self, ws: WorkspaceId, inv: EventId, at: Timestamp) -> Result<bool> {
                let done = sqlx::query("UPDATE invitations SET revoked_at = $3 WHERE workspace_id = $1 AND id = $2 AND revoked_at IS NULL AND accepted_at IS NULL")
                    .bind(ws.to_string()).bind(inv.to_string()).bind(at.0).execute(&self.pool).await?;
                Ok(done.rows_affected() == 1)
            }

            async fn accept_invitation(&self, inv: EventId, u: &UserRow, at: Timestamp) -> Result<bool> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query("UPDATE invitations SET accepted_at = $2, user_id = $3
                     WHERE id = $1 AND workspace_id = $4 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2")
                    .bind(inv.to_string()).bind(at.0).bind(u.id.to_string()).bind(u.workspace_id.to_string())
                    .execute(&mut *tx).await?;
                if done.rows_affected() != 1 {
                    tx.rollback().await?;
                    return Ok(false);
                }
                Self::insert_user(&mut *tx, u).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn revoke_other_sessions(&self, ws: WorkspaceId, user: UserId, keep: Option<SessionId>, at: Timestamp) -> Result<u64> {
                let keep = keep.map(|k| k.to_string()).unwrap_or_default();
                let done = sqlx::query("UPDATE sessions SET revoked_at = $3 WHERE workspace_id = $1 AND user_id = $2 AND id <> $4 AND revoked_at IS NULL")
                    .bind(ws.to_string()).bind(user.to_string()).bind(at.0).bind(keep)
                    .execute(&self.pool).await?;
                Ok(done.rows_affected())
            }

            async fn set_user_totp(&self, ws: WorkspaceId, user: UserId, secret: Option<&[u8]>, enabled: bool, at: Timestamp) -> Result<()> {
                let done = sqlx::query("UPDATE users SET totp_secret = $3, totp_enabled = $4, updated_at = $5 WHERE workspace_id = $1 AND id = $2")
                    .bind(ws.to_string()).bind(user.to_string()).bind(secret).bind(enabled).bind(at.0)
                    .execute(&self.pool).await?;
                if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
            }

            async fn claim_user_totp_step(&self, ws: WorkspaceId, user: UserId, step: i64) -> Result<bool> {
                let done = sqlx::query("UPDATE users SET totp_last_step = $3 WHERE workspace_id = $1 AND id = $2 AND (totp_last_step IS NULL OR totp_last_step < $3)")
                    .bind(ws.to_string()).bind(user.to_string()).bind(step)
                    .execute(&self.pool).await?;
                Ok(done.rows_affected() == 1)
            }

            async fn replace_recovery_codes(&self, ws: WorkspaceId, user: UserId, hashes: &[String]) -> Result<()> {
                let mut tx = self.pool.begin().await?;
                sqlx::query("DELETE FROM user_recovery_codes WHERE workspace_id = $1 AND user_id = $2")
                    .bind(ws.to_string()).bind(user.to_string()).execute(&mut *tx).await?;
                for h in hashes {
                    sqlx::query("INSERT INTO user_recovery_codes (user_id, workspace_id, code_hash, used_at) VALUES ($1, $2, $3, NULL)")
                        .bind(user.to_string()).bind(ws.to_string()).bind(h).execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn use_recovery_code(&self, ws: WorkspaceId, user: UserId, hash: &str, at: Timestamp) -> Result<bool> {
                let done = sqlx::query("UPDATE user_recovery_codes SET used_at = $4 WHERE workspace_id = $1 AND user_id = $2 AND code_hash = $3 AND used_at IS NULL")
                    .bind(ws.to_string()).bind(user.to_string()).bind(hash).bind(at.0)
                    .execute(&self.pool).await?;
                Ok(done.rows_affected() == 1)
            }

            async fn count_unused_recovery_codes(&self, ws: WorkspaceId, user: UserId) -> Result<i64> {
                Ok(sqlx::query("SELECT COUNT(*) AS n FROM user_recovery_codes WHERE workspace_id = $1 AND user_id = $2 AND used_at IS NULL")
                    .bind(ws.to_string()).bind(user.to_string())
                    .fetch_one(&self.pool).await?.try_get("n")?)
            }

            async fn create_session(&self, s: &SessionRow) -> Result<()> {
                sqlx::query(sql_fmt!("INSERT INTO sessions ({SESSION_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"))
                    .bind(s.id.to_string())
                    .bind(s.workspace_id.to_string())
                    .bind(s.user_id.to_string())
                    .bind(&s.token_hash)
                    .bind(s.kind.as_str())
                    .bind(s.created_at.0)
                    .bind(s.last_seen_at.0)
                    .bind(s.expires_at.0)
                    .bind(s.elevated_until.map(|t| t.0))
                    .bind(&s.ip)
                    .bind(&s.user_agent)
                    .bind(s.revoked_at.map(|t| t.0))
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn session_by_token_hash(&self, hash: &str) -> Result<Option<SessionRow>> {
                sqlx::query(sql_fmt!("SELECT {SESSION_COLS} FROM sessions WHERE token_hash = $1"))
                    .bind(hash)
                    .fetch_optional(&self.pool)
                    .await?
                    .as_ref()
                    .map(session_row)
                    .transpose()
            }

            async fn touch_session(&self, s: SessionId, at: Timestamp) -> Result<()> {
                sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id = $1")
                    .bind(s.to_string()).bind(at.0).execute(&self.pool).await?;
                Ok(())
            }

            async fn elevate_session(&self, s: SessionId, until: Timestamp) -> Result<()> {
                sqlx::query("UPDATE sessions SET elevated_until = $2 WHERE id = $1")
                    .bind(s.to_string()).bind(until.0).execute(&self.pool).await?;
                Ok(())
            }

            async fn list_sessions(&self, ws: WorkspaceId, user: UserId, now: Timestamp) -> Result<Vec<SessionRow>> {
                sqlx::query(sql_fmt!("SELECT {SESSION_COLS} FROM sessions WHERE workspace_id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3 ORDER BY last_seen_at DESC"))
                    .bind(ws.to_string()).bind(user.to_string()).bind(now.0)
                    .fetch_all(&self.pool).await?.iter().map(session_row).collect()
            }

            async fn revoke_session(&self, ws: WorkspaceId, user: UserId, s: SessionId, at: Timestamp) -> Result<bool> {
                let done = sqlx::query("UPDATE sessions SET revoked_at = $4 WHERE workspace_id = $1 AND user_id = $2 AND id = $3 AND revoked_at IS NULL")
                    .bind(ws.to_string()).bind(user.to_string()).bind(s.to_string()).bind(at.0)
                    .execute(&self.pool).await?;
                Ok(done.rows_affected() == 1)
            }

            async fn revoke_user_credentials(&self, ws: WorkspaceId, user: UserId, at: Timestamp) -> Result<()> {
                let mut tx = self.pool.begin().await?;
                sqlx::query("UPDATE sessions SET revoked_at = $3 WHERE workspace_id = $1 AND user_id = $2 AND revoked_at IS NULL")
                    .bind(ws.to_string()).bind(user.to_string()).bind(at.0).execute(&mut *tx).await?;
                sqlx::query("UPDATE api_tokens SET revoked_at = $3 WHERE workspace_id = $1 AND user_id = $2 AND revoked_at IS NULL")
                    .bind(ws.to_string()).bind(user.to_string()).bind(at.0).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn create_api_token(&self, t: &ApiTokenRow) -> Result<()> {
                sqlx::query(sql_fmt!("INSERT INTO api_tokens ({TOKEN_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"))
                    .bind(t.id.to_string())
                    .bind(t.workspace_id.to_string())
                    .bind(t.user_id.to_string())
                    .bind(&t.name)
                    .bind(&t.token_hash)
                    .bind(&t.prefix)
                    .bind(t.created_at.0)
                    .bind(t.last_used_at.map(|t| t.0))
                    .bind(t.expires_at.map(|t| t.0))
                    .bind(t.revoked_at.map(|t| t.0))
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn api_token_by_hash(&self, hash: &str) -> Result<Option<ApiTokenRow>> {
                sqlx::query(sql_fmt!("SELECT {TOKEN_COLS} FROM api_tokens WHERE token_hash = $1"))
                    .bind(hash).fetch_optional(&self.pool).await?.as_ref().map(token_row).transpose()
            }

            async fn touch_api_token(&self, t: TokenId, at: Timestamp) -> Result<()> {
                sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
                    .bind(t.to_string()).bind(at.0).execute(&self.pool).await?;
                Ok(())
            }

            async fn list_api_tokens(&self, ws: WorkspaceId, user: UserId) -> Result<Vec<ApiTokenRow>> {
                sqlx::query(sql_fmt!("SELECT {TOKEN_COLS} FROM api_tokens WHERE workspace_id = $1 AND user_id = $2 AND revoked_at IS NULL ORDER BY created_at DESC"))
                    .bind(ws.to_string()).bind(user.to_string())
                    .fetch_all(&self.pool).await?.iter().map(token_row).collect()
            }

            async fn revoke_api_token(&self, ws: WorkspaceId, user: UserId, t: TokenId, at: Timestamp) -> Result<bool> {
                let done = sqlx::query("UPDATE api_tokens SET revoked_at = $4 WHERE workspace_id = $1 AND user_id = $2 AND id = $3 AND revoked_at IS NULL")
                    .bind(ws.to_string()).bind(user.to_string()).bind(t.to_string()).bind(at.0)
                    .execute(&self.pool).await?;
                Ok(done.rows_affected() == 1)
            }

            async fn get_throttle(&self, key: &str) -> Result<Option<ThrottleRow>> {
                sqlx::query("SELECT key, failures, window_start, locked_until FROM login_throttle WHERE key = $1")
                    .bind(key).fetch_optional(&self.pool).await?.as_ref().map(throttle_row).transpose()
            }

            async fn record_failure(&self, key: &str, now: Timestamp, window_secs: i64, threshold: i64, lock_secs: i64) -> Result<ThrottleRow> {
                let window_floor = now.plus_seconds(-window_secs).0;
                let row = sqlx::query(
                    "INSERT INTO login_throttle (key, failures, window_start, locked_until) VALUES ($1, 1, $2, NULL)
                     ON CONFLICT (key) DO UPDATE SET
                       failures = CASE WHEN login_throttle.window_start < $3 THEN 1 ELSE login_throttle.failures + 1 END,
                       window_start = CASE WHEN login_throttle.window_start < $3 THEN $2 ELSE login_throttle.window_start END
                     RETURNING key, failures, window_start, locked_until",
                )
                .bind(key).bind(now.0).bind(window_floor)
                .fetch_one(&self.pool).await?;
                let mut t = throttle_row(&row)?;
                if t.failures >= threshold {
                    let until = now.plus_seconds(lock_secs);
                    sqlx::query("UPDATE login_throttle SET locked_until = $2, failures = 0, window_start = $3 WHERE key = $1")
                        .bind(key).bind(until.0).bind(now.0).execute(&self.pool).await?;
                    t.locked_until = Some(until);
                    t.failures = 0;
                }
                Ok(t)
            }

            async fn clear_throttle(&self, key: &str) -> Result<()> {
                sqlx::query("DELETE FROM login_throttle WHERE key = $1").bind(key).execute(&self.pool).await?;
                Ok(())
            }

            async fn create_account(&self, a: &AccountRow, owner: &MemberRow, fields: &[FieldRow]) -> Result<()> {
                let mut tx = self.pool.begin().await?;
                sqlx::query(sql_fmt!("INSERT INTO accounts ({ACCOUNT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"))
                    .bind(a.id.to_string())
                    .bind(a.workspace_id.to_string())
                    .bind(&a.app)
                    .bind(&a.label)
                    .bind(&a.login_url)
                    .bind(&a.username)
                    .bind(&a.password)
                    .bind(a.notes.as_deref())
                    .bind(a.version)
                    .bind(a.created_by.to_string())
                    .bind(a.created_at.0)
                    .bind(a.updated_at.0)
                    .execute(&mut *tx)
                    .await?;
                Self::insert_member(&mut *tx, owner).await?;
                for f in fields {
                    Self::insert_field(&mut *tx, f).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn get_account(&self, ws: WorkspaceId, a: AccountId) -> Result<Option<AccountRow>> {
                sqlx::query(sql_fmt!("SELECT {ACCOUNT_COLS} FROM accounts WHERE workspace_id = $1 AND id = $2"))
                    .bind(ws.to_string()).bind(a.to_string())
                    .fetch_optional(&self.pool).await?.as_ref().map(account_row).transpose()
            }

            async fn get_account_for(&self, ws: WorkspaceId, a: AccountId, user: UserId, now: Timestamp) -> Result<Option<(AccountRow, Option<AccountRole>)>> {
                let cols = ACCOUNT_COLS.split(", ").map(|c| format!("a.{c}")).collect::<Vec<_>>().join(", ");
                // `g`: the user's grants on the account still in force (one
                // row per grant: their own membership and their teams'
                // grants; the highest role wins).
                let rows = sqlx::query(sql_fmt!("SELECT {cols}, g.role AS member_role FROM accounts a
                     LEFT JOIN (SELECT account_id, role FROM account_members WHERE user_id = $3 AND (expires_at IS NULL OR expires_at > $4)
                                UNION ALL SELECT tg.account_id, tg.role FROM team_grants tg JOIN team_members tm ON tm.team_id = tg.team_id WHERE tm.user_id = $3) g ON g.account_id = a.id
                     WHERE a.workspace_id = $1 AND a.id = $2"))
                    .bind(ws.to_string())
                    .bind(a.to_string())
                    .bind(user.to_string())
                    .bind(now.0)
                    .fetch_all(&self.pool)
                    .await?;
                let Some(first) = rows.first() else { return Ok(None) };
                let mut best: Option<AccountRole> = None;
                for r in &rows {
                    let role: Option<String> = r.try_get("member_role")?;
                    best = best.max(role.map(|x| parse::<AccountRole>(&x, "account role")).transpose()?);
                }
                Ok(Some((account_row(first)?, best)))
            }

            async fn list_accounts(&self, ws: WorkspaceId) -> Result<Vec<AccountRow>> {
                sqlx::query(sql_fmt!("SELECT {ACCOUNT_COLS} FROM accounts WHERE workspace_id = $1 ORDER BY lower(label), id"))
                    .bind(ws.to_string())
                    .fetch_all(&self.pool).await?.iter().map(account_row).collect()
            }

            async fn list_accounts_for_user(&self, ws: WorkspaceId, user: UserId, now: Timestamp) -> Result<Vec<(AccountRow, AccountRole)>> {
                let cols = ACCOUNT_COLS.split(", ").map(|c| format!("a.{c}")).collect::<Vec<_>>().join(", ");
                // `g`: the user's grants still in force (their own and their
                // teams'); an account reached by several grants comes once,
                // with the highest role.
                let rows = sqlx::query(sql_fmt!("SELECT {cols}, g.role AS member_role FROM accounts a
                     JOIN (SELECT account_id, role FROM account_members WHERE user_id = $2 AND (expires_at IS NULL OR expires_at > $3)
                           UNION ALL SELECT tg.account_id, tg.role FROM team_grants tg JOIN team_members tm ON tm.team_id = tg.team_id WHERE tm.user_id = $2) g ON g.account_id = a.id
                     WHERE a.workspace_id = $1 ORDER BY lower(a.label), a.id"))
                    .bind(ws.to_string()).bind(user.to_string()).bind(now.0)
                    .fetch_all(&self.pool).await?;
                let mut out: Vec<(AccountRow, AccountRole)> = Vec::with_capacity(rows.len());
                for r in &rows {
                    let role = parse::<AccountRole>(&r.try_get::<String, _>("member_role")?, "account role")?;
                    let a = account_row(r)?;
                    match out.last_mut() {
                        Some((last, best)) if last.id == a.id => *best = (*best).max(role),
                        _ => out.push((a, role)),
                    }
                }
                Ok(out)
            }

            async fn update_account(&self, ws: WorkspaceId, a: AccountId, expected_version: i64, c: &AccountChange, at: Timestamp) -> Result<AccountRow> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(
                    "UPDATE accounts SET
                        app = COALESCE($4, app),
                        label = COALESCE($5, label),
                        login_url = COALESCE($6, login_url),
                        username = COALESCE($7, username),
                        password = COALESCE($8, password),
                        notes = CASE WHEN $9 THEN $10 ELSE notes END,
                        version = version + 1,
                        updated_at = $11
                     WHERE workspace_id = $1 AND id = $2 AND version = $3",
                )
                .bind(ws.to_string())
                .bind(a.to_string())
                .bind(expected_version)
                .bind(c.app.as_deref())
                .bind(c.label.as_deref())
                .bind(c.login_url.as_deref())
                .bind(c.username.as_deref())
                .bind(c.password.as_deref())
                .bind(c.notes.is_some())
                .bind(c.notes.clone().flatten())
                .bind(at.0)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    let exists = sqlx::query("SELECT 1 FROM accounts WHERE workspace_id = $1 AND id = $2")
                        .bind(ws.to_string()).bind(a.to_string()).fetch_optional(&mut *tx).await?;
                    tx.rollback().await?;
                    return Err(if exists.is_some() { StoreError::VersionConflict } else { StoreError::NotFound });
                }
                if let Some(h) = &c.history {
                    sqlx::query("INSERT INTO password_history (id, workspace_id, account_id, password, changed_by, changed_at) VALUES ($1, $2, $3, $4, $5, $6)")
                        .bind(h.id.to_string()).bind(h.workspace_id.to_string()).bind(h.account_id.to_string())
                        .bind(&h.password).bind(h.changed_by.to_string()).bind(h.changed_at.0)
                        .execute(&mut *tx).await?;
                }
                if let Some(fields) = &c.fields {
                    sqlx::query("DELETE FROM account_fields WHERE workspace_id = $1 AND account_id = $2")
                        .bind(ws.to_string()).bind(a.to_string()).execute(&mut *tx).await?;
                    for f in fields {
                        Self::insert_field(&mut *tx, f).await?;
                    }
                }
                let row = sqlx::query(sql_fmt!("SELECT {ACCOUNT_COLS} FROM accounts WHERE workspace_id = $1 AND id = $2"))
                    .bind(ws.to_string()).bind(a.to_string()).fetch_one(&mut *tx).await?;
                let out = account_row(&row)?;
                tx.commit().await?;
                Ok(out)
            }

            async fn delete_account(&self, ws: WorkspaceId, a: AccountId) -> Result<bool> {
                let mut tx = self.pool.begin().await?;
                for table in ["account_fields", "password_history", "account_members", "account_otp", "otp_issuance", "otp_used_steps", "backup_codes", "backup_code_sets", "managed_emails", "inbox_messages"] {
                    sqlx::query(sql_fmt!("DELETE FROM {table} WHERE workspace_id = $1 AND account_id = $2"))
                        .bind(ws.to_string()).bind(a.to_string()).execute(&mut *tx).await?;
                }
                let done = sqlx::query("DELETE FROM accounts WHERE workspace_id = $1 AND id = $2")
                    .bind(ws.to_string()).bind(a.to_string()).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(done.rows_affected() == 1)
            }

            async fn list_fields(&self, ws: WorkspaceId, a: AccountId) -> Result<Vec<FieldRow>> {
                sqlx::query("SELECT id, workspace_id, account_id, position, name, secret, value_text, value_sealed FROM account_fields WHERE workspace_id = $1 AND account_id = $2 ORDER BY position")
                    .bind(ws.to_string()).bind(a.to_string())
                    .fetch_all(&self.pool).await?.iter().map(field_row).collect()
            }

            async fn list_password_history(&self, ws: WorkspaceId, a: AccountId) -> Result<Vec<PasswordHistoryRow>> {
                sqlx::query("SELECT id, workspace_id, account_id, password, changed_by, changed_at FROM password_history WHERE workspace_id = $1 AND account_id = $2 ORDER BY changed_at DESC, id DESC")
                    .bind(ws.to_string()).bind(a.to_string())
                    .fetch_all(&self.pool).await?
                    .iter()
                    .map(|r| Ok(PasswordHistoryRow {
                        id: id(r, "id")?,
                        workspace_id: id(r, "workspace_id")?,
                        account_id: id(r, "account_id")?,
                        password: r.try_get("password")?,
                        changed_by: id(r, "changed_by")?,
                        changed_at: ts(r, "changed_at")?,
                    }))
                    .collect()
            }

            async fn upsert_member(&self, m: &MemberRow) -> Result<()> {
                Self::insert_member(&self.pool, m).await
            }

            async fn remove_member(&self, ws: WorkspaceId, a: AccountId, user: UserId) -> Result<bool> {
                let done = sqlx::query("DELETE FROM account_members WHERE workspace_id = $1 AND account_id = $2 AND user_id = $3")
                    .bind(ws.to_string()).bind(a.to_string()).bind(user.to_string()).execute(&self.pool).await?;
                Ok(done.rows_affected() == 1)
            }

            async fn list_members(&self, ws: WorkspaceId, a: AccountId, now: Timestamp) -> Result<Vec<MemberView>> {
                sqlx::query("SELECT m.workspace_id, m.account_id, m.user_id, m.role, m.added_by, m.added_at, m.expires_at, u.email, u.name FROM account_members m JOIN users u ON u.id = m.user_id
                     WHERE m.workspace_id = $1 AND m.account_id = $2 AND (m.expires_at IS NULL OR m.expires_at > $3) ORDER BY u.email")
                    .bind(ws.to_string()).bind(a.to_string()).bind(now.0)
                    .fetch_all(&self.pool).await?
                    .iter()
                    .map(|r| Ok(MemberView { member: member_row(r)?, email: r.try_get("email")?, name: r.try_get("name")? }))
                    .collect()
            }

            async fn member_role(&self, ws: WorkspaceId, a: AccountId, user: UserId, now: Timestamp) -> Result<Option<AccountRole>> {
                // Every grant still in force (one row each: their own
                // membership and their teams' grants); the highest role wins.
                let rows = sqlx::query("SELECT role FROM account_members WHERE workspace_id = $1 AND account_id = $2 AND user_id = $3 AND (expires_at IS NULL OR expires_at > $4)
                     UNION ALL SELECT tg.role FROM team_grants tg JOIN team_members tm ON tm.team_id = tg.team_id WHERE tg.workspace_id = $1 AND tg.account_id = $2 AND tm.user_id = $3")
                    .bind(ws.to_string()).bind(a.to_string()).bind(user.to_string()).bind(now.0)
                    .fetch_all(&self.pool).await?;
                let mut best = None;
                for r in &rows {
                    best = best.max(Some(parse::<AccountRole>(&r.try_get::<String, _>("role")?, "account role")?));
                }
                Ok(best)
            }

            async fn direct_member(&self, ws: WorkspaceId, a: AccountId, user: UserId) -> Result<Option<MemberRow>> {
                sqlx::query("SELECT workspace_id, account_id, user_id, role, added_by, added_at, expires_at FROM account_members WHERE workspace_id = $1 AND account_id = $2 AND user_id = $3")
                    .bind(ws.to_string()).bind(a.to_string()).bind(user.to_string())
                    .fetch_optional(&self.pool).await?.as_ref().map(member_row).transpose()
            }

            async fn expired_members(&self, now: Timestamp, limit: i64) -> Result<Vec<MemberRow>> {
                sqlx::query("SELECT workspace_id, account_id, user_id, role, added_by, added_at, expires_at FROM account_members WHERE expires_at IS NOT NULL AND expires_at <= $1 ORDER BY expires_at LIMIT $2")
                    .bind(now.0).bind(limit)
                    .fetch_all(&self.pool).await?.iter().map(member_row).collect()
            }

            async fn remove_expired_member(&self, ws: WorkspaceId, a: AccountId, user: UserId, now: Timestamp) -> Result<bool> {
                let done = sqlx::query("DELETE FROM account_members WHERE workspace_id = $1 AND account_id = $2 AND user_id = $3 AND expires_at IS NOT NULL AND expires_at <= $4")
                    .bind(ws.to_string()).bind(a.to_string()).bind(user.to_string()).bind(now.0)
                    .execute(&self.pool).await?;
                Ok(done.rows_affected() == 1)
            }

            async fn put_otp(&self, o: &OtpRow) -> Result<()> {
                let mut tx = self.pool.begin().await?;
                if o.slot == OtpSlot::Active {
                    // A new active seed: steps marked used belonged to the old one.
                    sqlx::query("DELETE FROM otp_used_steps WHERE workspace_id = $1 AND account_id = $2")
                        .bind(o.workspace_id.to_string()).bind(o.account_id.to_string())
                        .execute(&mut *tx).await?;
                }
                sqlx::query("DELETE FROM account_otp WHERE workspace_id = $1 AND account_id = $2 AND slot = $3")
                    .bind(o.workspace_id.to_string()).bind(o.account_id.to_string()).bind(o.slot.as_str())
                    .execute(&mut *tx).await?;
                sqlx::query(sql_fmt!("INSERT INTO account_otp ({OTP_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"))
                    .bind(o.workspace_id.to_string())
                    .bind(o.account_id.to_string())
                    .bind(o.slot.as_str())
                    .bind(o.id.to_string())
                    .bind(&o.secret)
                    .bind(&o.kind)
                    .bind(&o.algorithm)
                    .bind(o.digits)
                    .bind(o.period)
                    .bind(o.counter)
                    .bind(o.issuer.as_deref())
                    .bind(o.account_name.as_deref())
                    .bind(&o.source)
                    .bind(o.enrolled_by.to_string())
                    .bind(o.enrolled_at.0)
                    .bind(o.confirmed_at.map(|t| t.0))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn get_otp(&self, ws: WorkspaceId, a: AccountId, slot: OtpSlot) -> Result<Option<OtpRow>> {
                sqlx::query(sql_fmt!("SELECT {OTP_COLS} FROM account_otp WHERE workspace_id = $1 AND account_id = $2 AND slot = $3"))
                    .bind(ws.to_string()).bind(a.to_string()).bind(slot.as_str())
                    .fetch_optional(&self.pool).await?.as_ref().map(otp_row).transpose()
            }

            async fn list_active_otp(&self, ws: WorkspaceId) -> Result<Vec<OtpRow>> {
                sqlx::query(sql_fmt!("SELECT {OTP_COLS} FROM account_otp WHERE workspace_id = $1 AND slot = 'active'"))
                    .bind(ws.to_string()).fetch_all(&self.pool).await?.iter().map(otp_row).collect()
            }

            async fn promote_otp(&self, ws: WorkspaceId, a: AccountId, at: Timestamp, expected: Option<EventId>) -> Result<bool> {
                let mut tx = self.pool.begin().await?;
                // Touch the pending row first: it takes the write lock and
                // tells whether there is anything to promote.
                let done = sqlx::query("UPDATE account_otp SET confirmed_at = $3 WHERE workspace_id = $1 AND account_id = $2 AND slot = 'pending' AND ($4 IS NULL OR id = $4)")
                    .bind(ws.to_string()).bind(a.to_string()).bind(at.0).bind(expected.map(|e| e.to_string())).execute(&mut *tx).await?;
                if done.rows_affected() == 0 {
                    tx.rollback().await?;
                    return Ok(false);
                }
                sqlx::query("DELETE FROM account_otp WHERE workspace_id = $1 AND account_id = $2 AND slot = 'active'")
                    .bind(ws.to_string()).bind(a.to_string()).execute(&mut *tx).await?;
                sqlx::query("UPDATE account_otp SET slot = 'active' WHERE workspace_id = $1 AND account_id = $2 AND slot = 'pending'")
                    .bind(ws.to_string()).bind(a.to_string()).execute(&mut *tx).await?;
                // Steps marked used belonged to the old seed.
                sqlx::query("DELETE FROM otp_used_steps WHERE workspace_id = $1 AND account_id = $2")
                    .bind(ws.to_string()).bind(a.to_string()).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn delete_otp(&self, ws: WorkspaceId, a: AccountId, slot: OtpSlot) -> Result<bool> {
                let done = sqlx::query("DELETE FROM account_otp WHERE workspace_id = $1 AND account_id = $2 AND slot = $3")
                    .bind(ws.to_string()).bind(a.to_string()).bind(slot.as_str()).execute(&self.pool).await?;
                Ok(done.rows_affected() == 1)
            }

            async fn advance_otp_counter(&self, ws: WorkspaceId, a: AccountId, counter: i64) -> Result<()> {
                sqlx::query("UPDATE account_otp SET counter = $3 WHERE workspace_id = $1 AND account_id = $2 AND slot = 'active' AND counter < $3")
                    .bind(ws.to_string()).bind(a.to_string()).bind(counter).execute(&self.pool).await?;
                Ok(())
            }

            async fn claim_otp_counter(&self, ws: WorkspaceId, a: AccountId, enrolment: EventId) -> Result<Option<i64>> {
                // One conditional UPDATE … RETURNING: the row lock (PostgreSQL)
                // or the single writer (SQLite) makes the claim atomic.
                let row = sqlx::query("UPDATE account_otp SET counter = counter + 1 WHERE workspace_id = $1 AND account_id = $2 AND slot = 'active' AND id = $3 AND kind = 'hotp' RETURNING counter")
                    .bind(ws.to_string()).bind(a.to_string()).bind(enrolment.to_string())
                    .fetch_optional(&self.pool).await?;
                match row {
                    Some(r) => Ok(Some(r.try_get::<i64, _>("counter")? - 1)),
                    None => Ok(None),
                }
            }

            async fn record_issuances(&self, rows: &[IssuanceRow]) -> Result<()> {
                // One multi-row INSERT in autocommit: one round trip and one
                // commit for the batch (no BEGIN / COMMIT around it). Batches
                // come from concurrent code views (a few dozen rows at most);
                // a larger one is split, in one transaction.
                const CHUNK: usize = 64;
                if rows.len() <= CHUNK {
                    return Self::insert_issuances(&self.pool, rows).await;
                }
                let mut tx = self.pool.begin().await?;
                for chunk in rows.chunks(CHUNK) {
                    Self::insert_issuances(&mut *tx, chunk).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn record_issuance(&self, i: &IssuanceRow) -> Result<()> {
                Self::insert_issuance(&self.pool, i).await
            }

            async fn list_issuance(&self, ws: WorkspaceId, a: AccountId, limit: i64) -> Result<Vec<IssuanceRow>> {
                sqlx::query("SELECT id, workspace_id, account_id, user_id, user_email, how, step, issued_at FROM otp_issuance WHERE workspace_id = $1 AND account_id = $2 ORDER BY issued_at DESC, id DESC LIMIT $3")
                    .bind(ws.to_string()).bind(a.to_string()).bind(limit.clamp(1, 1000))
                    .fetch_all(&self.pool).await?.iter().map(issuance_row).collect()
            }

            async fn mark_step_used(&self, u: &UsedStepRow) -> Result<bool> {
                let done = sqlx::query("INSERT INTO otp_used_steps (workspace_id, account_id, step, used_by, used_by_email, how, used_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (account_id, step) DO NOTHING")
                    .bind(u.workspace_id.to_string())
                    .bind(u.account_id.to_string())
                    .bind(u.step)
                    .bind(u.used_by.map(|x| x.to_string()))
                    .bind(u.used_by_email.as_deref())
                    .bind(&u.how)
                    .bind(u.used_at.0)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn get_used_step(&self, ws: WorkspaceId, a: AccountId, step: i64) -> Result<Option<UsedStepRow>> {
                sqlx::query("SELECT workspace_id, account_id, step, used_by, used_by_email, how, used_at FROM otp_used_steps WHERE workspace_id = $1 AND account_id = $2 AND step = $3")
                    .bind(ws.to_string()).bind(a.to_string()).bind(step)
                    .fetch_optional(&self.pool).await?.as_ref().map(used_row).transpose()
            }

            async fn replace_backup_codes(&self, set: &BackupSetRow, codes: &[BackupCodeRow]) -> Result<()> {
                let mut tx = self.pool.begin().await?;
                sqlx::query("UPDATE backup_code_sets SET active = FALSE, replaced_at = $3 WHERE workspace_id = $1 AND account_id = $2 AND active = TRUE")
                    .bind(set.workspace_id.to_string()).bind(set.account_id.to_string()).bind(set.created_at.0)
                    .execute(&mut *tx).await?;
                sqlx::query("INSERT INTO backup_code_sets (id, workspace_id, account_id, active, created_by, created_at, replaced_at) VALUES ($1, $2, $3, TRUE, $4, $5, NULL)")
                    .bind(set.id.to_string()).bind(set.workspace_id.to_string()).bind(set.account_id.to_string())
                    .bind(set.created_by.to_string()).bind(set.created_at.0)
                    .execute(&mut *tx).await?;
                for c in codes {
                    sqlx::query("INSERT INTO backup_codes (set_id, workspace_id, account_id, position, code, used_at, used_by, used_by_email) VALUES ($1, $2, $3, $4, $5, NULL, NULL, NULL)")
                        .bind(c.set_id.to_string()).bind(c.workspace_id.to_string()).bind(c.account_id.to_string())
                        .bind(c.position).bind(&c.code)
                        .execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn active_backup_codes(&self, ws: WorkspaceId, a: AccountId) -> Result<Option<(BackupSetRow, Vec<BackupCodeRow>)>> {
                let set = sqlx::query("SELECT id, workspace_id, account_id, active, created_by, created_at, replaced_at FROM backup_code_sets WHERE workspace_id = $1 AND account_id = $2 AND active = TRUE")
                    .bind(ws.to_string()).bind(a.to_string())
                    .fetch_optional(&self.pool).await?;
                let Some(set) = set.as_ref().map(backup_set_row).transpose()? else { return Ok(None) };
                let codes = sqlx::query("SELECT set_id, workspace_id, account_id, position, code, used_at, used_by, used_by_email FROM backup_codes WHERE workspace_id = $1 AND set_id = $2 ORDER BY position")
                    .bind(ws.to_string()).bind(set.id.to_string())
                    .fetch_all(&self.pool).await?.iter().map(backup_code_row).collect::<Result<Vec<_>>>()?;
                Ok(Some((set, codes)))
            }

            async fn list_backup_sets(&self, ws: WorkspaceId, a: AccountId) -> Result<Vec<BackupSetSummary>> {
                sqlx::query("SELECT s.id, s.workspace_id, s.account_id, s.active, s.created_by, s.created_at, s.replaced_at, COUNT(c.position) AS total, COUNT(c.position) - COUNT(c.used_at) AS unused FROM backup_code_sets s LEFT JOIN backup_codes c ON c.set_id = s.id WHERE s.workspace_id = $1 AND s.account_id = $2 GROUP BY s.id, s.workspace_id, s.account_id, s.active, s.created_by, s.created_at, s.replaced_at ORDER BY s.created_at DESC, s.id DESC")
                    .bind(ws.to_string()).bind(a.to_string())
                    .fetch_all(&self.pool).await?
                    .iter()
                    .map(|r| Ok(BackupSetSummary { set: backup_set_row(r)?, total: r.try_get("total")?, unused: r.try_get("unused")? }))
                    .collect()
            }

            async fn mark_backup_code_used(&self, ws: WorkspaceId, set: EventId, position: i64, by: UserId, email: &str, at: Timestamp) -> Result<bool> {
                let done = sqlx::query("UPDATE backup_codes SET used_at = $4, used_by = $5, used_by_email = $6 WHERE workspace_id = $1 AND set_id = $2 AND position = $3 AND used_at IS NULL")
                    .bind(ws.to_string()).bind(set.to_string()).bind(position).bind(at.0).bind(by.to_string()).bind(email)
                    .execute(&self.pool).await?;
                Ok(done.rows_affected() == 1)
            }

            async fn create_step_up_request(&self, q: &StepUpRequestRow) -> Result<()> {
                sqlx::query("INSERT INTO step_up_requests (id, workspace_id, user_id, session_id, number, choices, status, ip, user_agent, created_at, expires_at, decided_at, decided_by_session, purpose) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, NULL, $12)")
                    .bind(q.id.to_string()).bind(q.workspace_id.to_string()).bind(q.user_id.to_string()).bind(q.session_id.to_string())
                    .bind(&q.number).bind(q.choices.join(",")).bind(&q.status).bind(&q.ip).bind(&q.user_agent)
                    .bind(q.created_at.0).bind(q.expires_at.0).bind(&q.purpose)
                    .execute(&self.pool).await?;
                Ok(())
            }

            async fn get_step_up_request(&self, ws: WorkspaceId, q: EventId) -> Result<Option<StepUpRequestRow>> {
                sqlx::query("SELECT * FROM step_up_requests WHERE workspace_id = $1 AND id = $2")
                    .bind(ws.to_string()).bind(q.to_string())
                    .fetch_optional(&self.pool).await?.as_ref().map(step_up_row).transpose()
            }

            async fn pending_step_up_requests(&self, ws: WorkspaceId, user: UserId, now: Timestamp) -> Result<Vec<StepUpRequestRow>> {
                sqlx::query("SELECT * FROM step_up_requests WHERE workspace_id = $1 AND user_id = $2 AND status = 'pending' AND expires_at > $3 ORDER BY created_at DESC")
                    .bind(ws.to_string()).bind(user.to_string()).bind(now.0)
                    .fetch_all(&self.pool).await?.iter().map(step_up_row).collect()
            }

            async fn decide_step_up_request(&self, ws: WorkspaceId, q: EventId, status: &str, by: SessionId, at: Timestamp) -> Result<bool> {
                let done = sqlx::query("UPDATE step_up_requests SET status = $3, decided_by_session = $4, decided_at = $5 WHERE workspace_id = $1 AND id = $2 AND status = 'pending' AND expires_at > $5")
                    .bind(ws.to_string()).bind(q.to_string()).bind(status).bind(by.to_string()).bind(at.0)
                    .execute(&self.pool).await?;
                Ok(done.rows_affected() == 1)
            }

            async fn consume_step_up_request(&self, ws: WorkspaceId, q: EventId, session: SessionId, approved_after: Timestamp) -> Result<bool> {
                let done = sqlx::query("UPDATE step_up_requests SET status = 'used' WHERE workspace_id = $1 AND id = $2 AND session_id = $3 AND status = 'approved' AND decided_at > $4")
                    .bind(ws.to_string()).bind(q.to_string()).bind(session.to_string()).bind(approved_after.0)
                    .execute(&self.pool).await?;
                Ok(done.rows_affected() == 1)
            }

            async fn two_person_rule(&self, ws: WorkspaceId) -> Result<bool> {
                let row = sqlx::query("SELECT two_person_rule FROM workspaces WHERE id = $1").bind(ws.to_string()).fetch_optional(&self.pool).await?;
                Ok(match row { Some(r) => r.try_get("two_person_rule")?, None => false })
            }

            async fn set_two_person_rule(&self, ws: WorkspaceId, on: bool) -> Result<()> {
                sqlx::query("UPDATE workspaces SET two_person_rule = $2 WHERE id = $1").bind(ws.to_string()).bind(on).execute(&self.pool).await?;
                Ok(())
            }

            async fn account_critical(&self, ws: WorkspaceId, a: AccountId) -> Result<bool> {
                let row = sqlx::query("SELECT critical FROM accounts WHERE workspace_id = $1 AND id = $2").bind(ws.to_string()).bind(a.to_string()).fetch_optional(&self.pool).await?;
                Ok(match row { Some(r) => r.try_get("critical")?, None => false })
            }

            async fn set_account_critical(&self, ws: WorkspaceId, a: AccountId, critical: bool) -> Result<()> {
                let done = sqlx::query("UPDATE accounts SET critical = $3 WHERE workspace_id = $1 AND id = $2").bind(ws.to_string()).bind(a.to_string()).bind(critical).execute(&self.pool).await?;
                if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
            }

            async fn create_dual_approval(&self, q: &DualApprovalRow) -> Result<()> {
                sqlx::query("INSERT INTO dual_approvals (id, workspace_id, requester_id, requester_email, action, target_id, status, created_at, expires_at, decided_by, decided_by_email, decided_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL, NULL)")
                    .bind(q.id.to_string()).bind(q.workspace_id.to_string()).bind(q.requester_id.to_string()).bind(&q.requester_email)
                    .bind(&q.action).bind(&q.target_id).bind(&q.status).bind(q.created_at.0).bind(q.expires_at.0)
                    .execute(&self.pool).await?;
                Ok(())
            }

            async fn open_dual_approval(&self, ws: WorkspaceId, requester: UserId, action: &str, target: &str, now: Timestamp) -> Result<Option<DualApprovalRow>> {
                sqlx::query("SELECT * FROM dual_approvals WHERE workspace_id = $1 AND requester_id = $2 AND action = $3 AND target_id = $4 AND status IN ('pending', 'approved') AND expires_at > $5 ORDER BY created_at DESC LIMIT 1")
                    .bind(ws.to_string()).bind(requester.to_string()).bind(action).bind(target).bind(now.0)
                    .fetch_optional(&self.pool).await?.as_ref().map(dual_row).transpose()
            }

            async fn get_dual_approval(&self, ws: WorkspaceId, q: EventId) -> Result<Option<DualApprovalRow>> {
                sqlx::query("SELECT * FROM dual_approvals WHERE workspace_id = $1 AND id = $2")
                    .bind(ws.to_string()).bind(q.to_string())
                    .fetch_optional(&self.pool).await?.as_ref().map(dual_row).transpose()
            }

            async fn pending_dual_approvals(&self, ws: WorkspaceId, now: Timestamp) -> Result<Vec<DualApprovalRow>> {
                sqlx::query("SELECT * FROM dual_approvals WHERE workspace_id = $1 AND status = 'pending' AND expires_at > $2 ORDER BY created_at")
                    .bind(ws.to_string()).bind(now.0)
                    .fetch_all(&self.pool).await?.iter().map(dual_row).collect()
            }

            async fn transition_dual_approval(&self, ws: WorkspaceId, q: EventId, from: &str, to: &str, by: Option<(UserId, &str)>, at: Timestamp) -> Result<bool> {
                let done = sqlx::query("UPDATE dual_approvals SET status = $4, decided_by = COALESCE($5, decided_by), decided_by_email = COALESCE($6, decided_by_email), decided_at = COALESCE($7, decided_at) WHERE workspace_id = $1 AND id = $2 AND status = $3 AND expires_at > $8")
                    .bind(ws.to_string()).bind(q.to_string()).bind(from).bind(to)
                    .bind(by.map(|b| b.0.to_string())).bind(by.map(|b| b.1.to_owned())).bind(by.map(|_| at.0)).bind(at.0)
                    .execute(&self.pool).await?;
                Ok(done.rows_affected() == 1)
            }

            async fn create_passkey(&self, p: &PasskeyRow) -> Result<()> {
                sqlx::query("INSERT INTO user_passkeys (id, workspace_id, user_id, name, credential, created_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6, NULL)")
                    .bind(p.id.to_string()).bind(p.workspace_id.to_string()).bind(p.user_id.to_string()).bind(&p.name).bind(&p.credential).bind(p.created_at.0)
                    .execute(&self.pool).await?;
                Ok(())
            }

            async fn list_passkeys(&self, ws: WorkspaceId, user: UserId) -> Result<Vec<PasskeyRow>> {
                sqlx::query("SELECT id, workspace_id, user_id, name, credential, created_at, last_used_at FROM user_passkeys WHERE workspace_id = $1 AND user_id = $2 ORDER BY created_at")
                    .bind(ws.to_string()).bind(user.to_string())
                    .fetch_all(&self.pool).await?.iter().map(passkey_row).collect()
            }

            async fn update_passkey(&self, ws: WorkspaceId, p: EventId, credential: &str, used_at: Timestamp) -> Result<()> {
                sqlx::query("UPDATE user_passkeys SET credential = $3, last_used_at = $4 WHERE workspace_id = $1 AND id = $2")
                    .bind(ws.to_string()).bind(p.to_string()).bind(credential).bind(used_at.0).execute(&self.pool).await?;
                Ok(())
            }

            async fn delete_passkey(&self, ws: WorkspaceId, user: UserId, p: EventId) -> Result<bool> {
                let done = sqlx::query("DELETE FROM user_passkeys WHERE workspace_id = $1 AND user_id = $2 AND id = $3")
                    .bind(ws.to_string()).bind(user.to_string()).bind(p.to_string()).execute(&self.pool).await?;
                Ok(done.rows_affected() == 1)
            }

            async fn create_managed_email(&self, m: &ManagedEmailRow) -> Result<()> {
                sqlx::query("INSERT INTO managed_emails (id, workspace_id, account_id, address, enabled, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(m.id.to_string()).bind(m.workspace_id.to_string()).bind(m.account_id.to_string()).bind(&m.address)
                    .bind(m.enabled).bind(m.created_by.to_string()).bind(m.created_at.0)
                    .execute(&self.pool).await.map_err(|e| conflict(e, "that address is taken"))?;
                Ok(())
            }

            async fn managed_emails_for(&self, ws: WorkspaceId, a: AccountId) -> Result<Vec<ManagedEmailRow>> {
                sqlx::query("SELECT * FROM managed_emails WHERE workspace_id = $1 AND account_id = $2 ORDER BY created_at")
                    .bind(ws.to_string()).bind(a.to_string())
                    .fetch_all(&self.pool).await?.iter().map(managed_email_row).collect()
            }

            async fn find_managed_email(&self, address: &str) -> Result<Option<ManagedEmailRow>> {
                sqlx::query("SELECT * FROM managed_emails WHERE address = $1")
                    .bind(address).fetch_optional(&self.pool).await?.as_ref().map(managed_email_row).transpose()
            }

            async fn set_managed_email_enabled(&self, ws: WorkspaceId, m: EventId, enabled: bool) -> Result<bool> {
                let done = sqlx::query("UPDATE managed_emails SET enabled = $3 WHERE workspace_id = $1 AND id = $2")
                    .bind(ws.to_string()).bind(m.to_string()).bind(enabled).execute(&self.pool).await?;
                Ok(done.rows_affected() == 1)
            }

            async fn delete_managed_email(&self, ws: WorkspaceId, m: EventId) -> Result<bool> {
                let done = sqlx::query("DELETE FROM managed_emails WHERE workspace_id = $1 AND id = $2")
                    .bind(ws.to_string()).bind(m.to_string()).execute(&self.pool).await?;
                Ok(done.rows_affected() == 1)
            }

            async fn insert_message(&self, m: &InboxMessageRow) -> Result<bool> {
                // size_bytes feeds the inbox quotas (inbox_usage).
                let size = i64::try_from(m.sealed.len()).unwrap_or(i64::MAX);
                let done = sqlx::query("INSERT INTO inbox_messages (id, workspace_id, account_id, channel, recipient, sender, dedup_key, sealed, has_code, received_at, used_at, size_bytes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, $11) ON CONFLICT (account_id, dedup_key) DO NOTHING")
                    .bind(m.id.to_string()).bind(m.workspace_id.to_string()).bind(m.account_id.to_string()).bind(m.channel.as_str())
                    .bind(&m.recipient).bind(&m.sender).bind(&m.dedup_key).bind(&m.sealed).bind(m.has_code).bind(m.received_at.0)
                    .bind(size)
                    .execute(&self.pool).await?;
                Ok(done.rows_affected() == 1)
            }

            async fn messages_since(&self, ws: WorkspaceId, a: AccountId, since: Timestamp, after: Option<EventId>, limit: i64) -> Result<Vec<InboxMessageRow>> {
                // Keyset paging on (received_at, id): a burst of messages
                // in one millisecond cannot hide the ones after a page.
                sqlx::query("SELECT * FROM inbox_messages WHERE workspace_id = $1 AND account_id = $2
                        AND (received_at > $3 OR (received_at = $3 AND id > $5)) ORDER BY received_at, id LIMIT $4")
                    .bind(ws.to_string()).bind(a.to_string()).bind(since.0).bind(limit.clamp(1, 500))
                    .bind(after.map(|i| i.to_string()).unwrap_or_default())
                    .fetch_all(&self.pool).await?.iter().map(message_row).collect()
            }

            async fn mark_message_used(&self, ws: WorkspaceId, m: EventId, at: Timestamp) -> Result<bool> {
                let done = sqlx::query("UPDATE inbox_messages SET used_at = $3 WHERE workspace_id = $1 AND id = $2 AND used_at IS NULL")
                    .bind(ws.to_string()).bind(m.to_string()).bind(at.0).execute(&self.pool).await?;
                Ok(done.rows_affected() == 1)
            }

            async fn inbox_usage(&self, ws: WorkspaceId, recipient: &str, since: Timestamp) -> Result<InboxUsage> {
                // Each sum and count is answered from the usage indexes of 0018.
                let r = sqlx::query("SELECT
                        (SELECT COUNT(*) FROM inbox_messages WHERE recipient = $2 AND workspace_id = $1 AND received_at >= $3) AS rr,
                        (SELECT CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) FROM inbox_messages WHERE recipient = $2 AND workspace_id = $1) AS rb,
                        (SELECT COUNT(*) FROM inbox_messages WHERE workspace_id = $1 AND received_at >= $3) AS wr,
                        (SELECT CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) FROM inbox_messages WHERE workspace_id = $1) AS wb")
                    .bind(ws.to_string()).bind(recipient).bind(since.0)
                    .fetch_one(&self.pool).await?;
                Ok(InboxUsage {
                    recipient_recent: r.try_get("rr")?,
                    recipient_bytes: r.try_get("rb")?,
                    workspace_recent: r.try_get("wr")?,
                    workspace_bytes: r.try_get("wb")?,
                })
            }

            async fn purge_messages(&self, ws: WorkspaceId, before: Timestamp) -> Result<u64> {
                let done = sqlx::query("DELETE FROM inbox_messages WHERE workspace_id = $1 AND received_at < $2")
                    .bind(ws.to_string()).bind(before.0).execute(&self.pool).await?;
                Ok(done.rows_affected())
            }

            async fn get_message(&self, ws: WorkspaceId, m: EventId) -> Result<Option<InboxMessageRow>> {
                sqlx::query("SELECT * FROM inbox_messages WHERE workspace_id = $1 AND id = $2")
                    .bind(ws.to_string()).bind(m.to_string())
                    .fetch_optional(&self.pool).await?.as_ref().map(message_row).transpose()
            }

            async fn inbox_retentions(&self) -> Result<Vec<(WorkspaceId, Option<i64>)>> {
                let rows = sqlx::query("SELECT id, inbox_retention_days FROM workspaces").fetch_all(&self.pool).await?;
                rows.iter().map(|r| {
                    let days: Option<i32> = r.try_get("inbox_retention_days")?;
                    Ok((id(r, "id")?, days.map(i64::from)))
                }).collect()
            }

            async fn set_inbox_retention(&self, ws: WorkspaceId, days: Option<i64>) -> Result<()> {
                let days = days.map(|d| i32::try_from(d).unwrap_or(i32::MAX));
                sqlx::query("UPDATE workspaces SET inbox_retention_days = $2 WHERE id = $1")
                    .bind(ws.to_string()).bind(days).execute(&self.pool).await?;
                Ok(())
            }

            async fn pending_password(&self, ws: WorkspaceId, a: AccountId) -> Result<Option<Vec<u8>>> {
                let row = sqlx::query("SELECT pending_password FROM accounts WHERE workspace_id = $1 AND id = $2")
                    .bind(ws.to_string()).bind(a.to_string()).fetch_optional(&self.pool).await?;
                Ok(match row {
                    Some(r) => r.try_get("pending_password")?,
                    None => None,
                })
            }

            async fn put_pending_password(&self, ws: WorkspaceId, a: AccountId, sealed: &[u8]) -> Result<bool> {
                // Never over another one: a rotation whose worker died may
                // have given it to the app already.
                let r = sqlx::query("UPDATE accounts SET pending_password = $3 WHERE workspace_id = $1 AND id = $2 AND pending_password IS NULL")
                    .bind(ws.to_string()).bind(a.to_string()).bind(sealed).execute(&self.pool).await?;
                Ok(r.rows_affected() == 1)
            }

            async fn clear_pending_password(&self, ws: WorkspaceId, a: AccountId, sealed: &[u8]) -> Result<bool> {
                let r = sqlx::query("UPDATE accounts SET pending_password = NULL WHERE workspace_id = $1 AND id = $2 AND pending_password = $3")
                    .bind(ws.to_string()).bind(a.to_string()).bind(sealed).execute(&self.pool).await?;
                Ok(r.rows_affected() == 1)
            }

            async fn browser_profile(&self, ws: WorkspaceId, a: AccountId) -> Result<Option<Vec<u8>>> {
                let row = sqlx::query("SELECT sealed FROM browser_profiles WHERE workspace_id = $1 AND account_id = $2")
                    .bind(ws.to_string()).bind(a.to_string()).fetch_optional(&self.pool).await?;
                Ok(match row {
                    Some(r) => Some(r.try_get("sealed")?),
                    None => None,
                })
            }

            async fn save_browser_profile(&self, ws: WorkspaceId, a: AccountId, sealed: &[u8], at: Timestamp) -> Result<()> {
                sqlx::query("INSERT INTO browser_profiles (account_id, workspace_id, sealed, updated_at) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (account_id) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at")
                    .bind(a.to_string()).bind(ws.to_string()).bind(sealed).bind(at.0)
                    .execute(&self.pool).await?;
                Ok(())
            }

            async fn insert_job(&self, j: &JobRow) -> Result<()> {
                sqlx::query("INSERT INTO automation_jobs (id, workspace_id, account_id, kind, state, requested_by, attempts, max_attempts, run_after, worker, lease_until, cancel_requested, error, created_at, updated_at, finished_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)")
                    .bind(j.id.to_string()).bind(j.workspace_id.to_string()).bind(j.account_id.to_string()).bind(&j.kind).bind(j.state.as_str())
                    .bind(j.requested_by.to_string()).bind(small(j.attempts)).bind(small(j.max_attempts)).bind(j.run_after.0)
                    .bind(&j.worker).bind(j.lease_until.map(|t| t.0)).bind(j.cancel_requested).bind(&j.error)
                    .bind(j.created_at.0).bind(j.updated_at.0).bind(j.finished_at.map(|t| t.0))
                    // A second MFA check waiting for the same account.
                    .execute(&self.pool).await.map_err(|e| conflict(e, "a check of this account is already queued or running"))?;
                Ok(())
            }

            async fn get_job(&self, ws: WorkspaceId, id: EventId) -> Result<Option<JobRow>> {
                sqlx::query("SELECT * FROM automation_jobs WHERE workspace_id = $1 AND id = $2")
                    .bind(ws.to_string()).bind(id.to_string())
                    .fetch_optional(&self.pool).await?.as_ref().map(job_row).transpose()
            }

            async fn list_jobs(&self, ws: WorkspaceId, account: Option<AccountId>, limit: i64) -> Result<Vec<JobRow>> {
                let rows = match account {
                    Some(a) => sqlx::query("SELECT * FROM automation_jobs WHERE workspace_id = $1 AND account_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3")
                        .bind(ws.to_string()).bind(a.to_string()).bind(limit.clamp(1, 500)).fetch_all(&self.pool).await?,
                    None => sqlx::query("SELECT * FROM automation_jobs WHERE workspace_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2")
                        .bind(ws.to_string()).bind(limit.clamp(1, 500)).fetch_all(&self.pool).await?,
                };
                rows.iter().map(job_row).collect()
            }

            async fn claim_job(&self, worker: &str, now: Timestamp, lease_until: Timestamp) -> Result<Option<JobRow>> {
                // PostgreSQL: workers claiming at once each skip the rows the
                // others are taking instead of queueing behind them. SQLite
                // has one writer at a time, so there is nothing to skip.
                let skip_locked = if $backend == "postgres" { " FOR UPDATE OF j SKIP LOCKED" } else { "" };
                let claimed = sqlx::query(sql_fmt!("UPDATE automation_jobs SET state = 'running', worker = $1, lease_until = $3, attempts = attempts + 1, updated_at = $2, question = NULL, answer = NULL
                     WHERE id = (SELECT j.id FROM automation_jobs j WHERE j.state IN ('queued', 'deferred') AND j.run_after <= $2 AND j.cancel_requested = FALSE
                         AND NOT EXISTS (SELECT 1 FROM automation_jobs r WHERE r.account_id = j.account_id AND r.state IN ('running', 'waiting'))
                         ORDER BY j.run_after, j.id LIMIT 1{skip_locked})
                       AND state IN ('queued', 'deferred')
                     RETURNING *"))
                    .bind(worker).bind(now.0).bind(lease_until.0)
                    .fetch_optional(&self.pool).await;
                match claimed {
                    Ok(row) => row.as_ref().map(job_row).transpose(),
                    // Another worker started a job of the same account at the
                    // same moment: the one-active index refused ours.
                    Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(None),
                    Err(e) => Err(e.into()),
                }
            }

            async fn heartbeat_job(&self, id: EventId, worker: &str, now: Timestamp, lease_until: Timestamp) -> Result<Lease> {
                let row = sqlx::query("UPDATE automation_jobs SET lease_until = $3, updated_at = $4 WHERE id = $1 AND worker = $2 AND state IN ('running', 'waiting') RETURNING cancel_requested")
                    .bind(id.to_string()).bind(worker).bind(lease_until.0).bind(now.0)
                    .fetch_optional(&self.pool).await?;
                Ok(match row {
                    None => Lease::Lost,
                    Some(r) if r.try_get::<bool, _>("cancel_requested")? => Lease::CancelRequested,
                    Some(_) => Lease::Held,
                })
            }

            async fn set_job_state(&self, id: EventId, worker: &str, state: orthrus_core::JobState, error: Option<&str>, run_after: Option<Timestamp>, now: Timestamp) -> Result<bool> {
                // The worker lets go of the job unless it keeps holding it.
                let (ends, leaves) = (state.is_terminal(), !state.is_held());
                // A cancel asked for meanwhile wins over a retry or a deferral.
                // A deferral gives its attempt back and is counted apart.
                let done = sqlx::query("UPDATE automation_jobs SET state = CASE WHEN cancel_requested AND $3 IN ('queued', 'deferred') THEN 'cancelled' ELSE $3 END,
                        attempts = CASE WHEN $3 = 'deferred' AND NOT cancel_requested THEN attempts - 1 ELSE attempts END,
                        deferrals = CASE WHEN $3 = 'deferred' AND NOT cancel_requested THEN deferrals + 1 ELSE deferrals END,
                        error = CASE WHEN cancel_requested AND $3 IN ('queued', 'deferred') THEN 'cancelled' ELSE $4 END,
                        run_after = COALESCE($5, run_after), updated_at = $6,
                        finished_at = CASE WHEN $7 OR (cancel_requested AND $3 IN ('queued', 'deferred')) THEN $6 ELSE finished_at END,
                        worker = CASE WHEN $8 THEN NULL ELSE worker END,
                        lease_until = CASE WHEN $8 THEN NULL ELSE lease_until END,
                        question = CASE WHEN $3 = 'waiting' THEN question ELSE NULL END,
                        answer = CASE WHEN $3 = 'waiting' THEN answer ELSE NULL END
                     WHERE id = $1 AND worker = $2 AND state IN ('running', 'waiting')")
                    .bind(id.to_string()).bind(worker).bind(state.as_str()).bind(error).bind(run_after.map(|t| t.0)).bind(now.0)
                    .bind(ends).bind(leaves)
                    .execute(&self.pool).await?;
                Ok(done.rows_affected() == 1)
            }

            async fn recover_jobs(&self, now: Timestamp, retry_at: Timestamp) -> Result<u64> {
                // One transaction: the steps the stopped worker left open end
                // failed (the log keeps every step it wrote), and each of its
                // jobs ends cancelled or failed, or is queued again, exactly once.
                let mut tx = self.pool.begin().await?;
                sqlx::query("UPDATE automation_steps SET ended_at = $1, outcome = 'failed', detail = COALESCE(detail, 'the worker running it stopped responding')
                     WHERE ended_at IS NULL AND job_id IN (SELECT id FROM automation_jobs WHERE state IN ('running', 'waiting') AND lease_until < $1)")
                    .bind(now.0).execute(&mut *tx).await?;
                let cancelled = sqlx::query("UPDATE automation_jobs SET state = 'cancelled', error = 'cancelled', worker = NULL, lease_until = NULL, question = NULL, answer = NULL, updated_at = $1, finished_at = $1
                     WHERE state IN ('running', 'waiting') AND lease_until < $1 AND cancel_requested = TRUE")
                    .bind(now.0).execute(&mut *tx).await?.rows_affected();
                let failed = sqlx::query("UPDATE automation_jobs SET state = 'failed', error = 'the worker running it stopped responding', worker = NULL, lease_until = NULL, question = NULL, answer = NULL, updated_at = $1, finished_at = $1
                     WHERE state IN ('running', 'waiting') AND lease_until < $1 AND attempts >= max_attempts")
                    .bind(now.0).execute(&mut *tx).await?.rows_affected()
                    + cancelled;
                let requeued = sqlx::query("UPDATE automation_jobs SET state = 'queued', error = 'the worker running it stopped responding; retrying', worker = NULL, lease_until = NULL, question = NULL, answer = NULL, run_after = $2, updated_at = $1
                     WHERE state IN ('running', 'waiting') AND lease_until < $1")
                    .bind(now.0).bind(retry_at.0).execute(&mut *tx).await?.rows_affected();
                tx.commit().await?;
                Ok(failed + requeued)
            }

            async fn cancel_job(&self, ws: WorkspaceId, id: EventId, now: Timestamp) -> Result<Option<JobRow>> {
                // One statement: a job not running ends now; a running one
                // is asked to stop (and ends cancelled whatever it does next).
                sqlx::query("UPDATE automation_jobs SET cancel_requested = TRUE, updated_at = $3,
                        finished_at = CASE WHEN state IN ('queued', 'deferred') THEN $3 ELSE finished_at END,
                        error = CASE WHEN state IN ('queued', 'deferred') THEN 'cancelled' ELSE error END,
                        state = CASE WHEN state IN ('queued', 'deferred') THEN 'cancelled' ELSE state END
                     WHERE workspace_id = $1 AND id = $2 AND state IN ('queued', 'deferred', 'running', 'waiting')")
                    .bind(ws.to_string()).bind(id.to_string()).bind(now.0).execute(&self.pool).await?;
                self.get_job(ws, id).await
            }

            async fn rotation_schedule(&self, ws: WorkspaceId, a: AccountId) -> Result<Option<RotationRow>> {
                sqlx::query("SELECT * FROM rotation_schedules WHERE workspace_id = $1 AND account_id = $2")
                    .bind(ws.to_string()).bind(a.to_string())
                    .fetch_optional(&self.pool).await?.as_ref().map(rotation_row).transpose()
            }

            async fn save_rotation_schedule(&self, r: &RotationRow) -> Result<()> {
                sqlx::query("INSERT INTO rotation_schedules (account_id, workspace_id, every_days, window_start, window_end, on_member_leave, set_by, next_at, updated_at, password_policy, after_autofill_hours)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                     ON CONFLICT (account_id) DO UPDATE SET every_days = excluded.every_days, window_start = excluded.window_start,
                        window_end = excluded.window_end, on_member_leave = excluded.on_member_leave, set_by = excluded.set_by,
                        next_at = excluded.next_at, updated_at = excluded.updated_at, password_policy = excluded.password_policy,
                        after_autofill_hours = excluded.after_autofill_hours")
                    .bind(r.account_id.to_string()).bind(r.workspace_id.to_string())
                    .bind(r.every_days.map(small)).bind(small(r.window_start)).bind(small(r.window_end))
                    .bind(r.on_member_leave).bind(r.set_by.to_string()).bind(r.next_at.map(|t| t.0)).bind(r.updated_at.0)
                    .bind(r.password_policy.as_deref()).bind(r.after_autofill_hours.map(small))
                    .execute(&self.pool).await?;
                Ok(())
            }

            async fn delete_rotation_schedule(&self, ws: WorkspaceId, a: AccountId) -> Result<()> {
                sqlx::query("DELETE FROM rotation_schedules WHERE workspace_id = $1 AND account_id = $2")
                    .bind(ws.to_string()).bind(a.to_string()).execute(&self.pool).await?;
                Ok(())
            }

            async fn due_rotations(&self, now: Timestamp) -> Result<Vec<RotationRow>> {
                let rows = sqlx::query("SELECT * FROM rotation_schedules WHERE (every_days IS NOT NULL OR after_autofill_hours IS NOT NULL) AND next_at <= $1 ORDER BY next_at")
                    .bind(now.0).fetch_all(&self.pool).await?;
                rows.iter().map(rotation_row).collect()
            }

            async fn advance_rotation(&self, a: AccountId, from: Timestamp, to: Timestamp) -> Result<bool> {
                let done = sqlx::query("UPDATE rotation_schedules SET next_at = $3 WHERE account_id = $1 AND next_at = $2")
                    .bind(a.to_string()).bind(from.0).bind(to.0).execute(&self.pool).await?;
                Ok(done.rows_affected() == 1)
            }

            async fn rotations_on_leave(&self, ws: WorkspaceId) -> Result<Vec<RotationRow>> {
                let rows = sqlx::query("SELECT * FROM rotation_schedules WHERE workspace_id = $1 AND on_member_leave = TRUE")
                    .bind(ws.to_string()).fetch_all(&self.pool).await?;
                rows.iter().map(rotation_row).collect()
            }

            async fn ask_job(&self, id: EventId, worker: &str, question: &str, now: Timestamp) -> Result<bool> {
                let done = sqlx::query("UPDATE automation_jobs SET state = 'waiting', question = $3, answer = NULL, updated_at = $4
                     WHERE id = $1 AND worker = $2 AND state IN ('running', 'waiting') AND cancel_requested = FALSE")
                    .bind(id.to_string()).bind(worker).bind(question).bind(now.0)
                    .execute(&self.pool).await?;
                Ok(done.rows_affected() == 1)
            }

            async fn claim_job_answer(&self, ws: WorkspaceId, id: EventId) -> Result<bool> {
                // An empty answer marks "being answered": the worker neither
                // takes it nor gives up on it.
                let done = sqlx::query("UPDATE automation_jobs SET answer = $3
                     WHERE workspace_id = $1 AND id = $2 AND state = 'waiting' AND question IS NOT NULL AND answer IS NULL AND cancel_requested = FALSE")
                    .bind(ws.to_string()).bind(id.to_string()).bind(Vec::<u8>::new())
                    .execute(&self.pool).await?;
                Ok(done.rows_affected() == 1)
            }

            async fn fill_job_answer(&self, ws: WorkspaceId, id: EventId, sealed: &[u8], now: Timestamp) -> Result<bool> {
                let done = sqlx::query("UPDATE automation_jobs SET answer = $3, updated_at = $4
                     WHERE workspace_id = $1 AND id = $2 AND state = 'waiting' AND length(answer) = 0")
                    .bind(ws.to_string()).bind(id.to_string()).bind(sealed).bind(now.0)
                    .execute(&self.pool).await?;
                Ok(done.rows_affected() == 1)
            }

            async fn release_job_answer(&self, ws: WorkspaceId, id: EventId) -> Result<()> {
                sqlx::query("UPDATE automation_jobs SET answer = NULL WHERE workspace_id = $1 AND id = $2 AND length(answer) = 0")
                    .bind(ws.to_string()).bind(id.to_string()).execute(&self.pool).await?;
                Ok(())
            }

            async fn give_up_question(&self, id: EventId, worker: &str, now: Timestamp) -> Result<bool> {
                let done = sqlx::query("UPDATE automation_jobs SET state = 'running', question = NULL, updated_at = $3
                     WHERE id = $1 AND worker = $2 AND state = 'waiting' AND answer IS NULL")
                    .bind(id.to_string()).bind(worker).bind(now.0)
                    .execute(&self.pool).await?;
                Ok(done.rows_affected() == 1)
            }

            async fn job_screenshot_exists(&self, ws: WorkspaceId, job: EventId) -> Result<bool> {
                let row = sqlx::query("SELECT 1 AS one FROM automation_screenshots WHERE workspace_id = $1 AND job_id = $2")
                    .bind(ws.to_string()).bind(job.to_string()).fetch_optional(&self.pool).await?;
                Ok(row.is_some())
            }

            async fn purge_job_screenshots(&self, before: Timestamp) -> Result<u64> {
                Ok(sqlx::query("DELETE FROM automation_screenshots WHERE taken_at < $1")
                    .bind(before.0).execute(&self.pool).await?.rows_affected())
            }

            async fn answer_job(&self, ws: WorkspaceId, id: EventId, sealed: &[u8], now: Timestamp) -> Result<bool> {
                let done = sqlx::query("UPDATE automation_jobs SET answer = $3, updated_at = $4
                     WHERE workspace_id = $1 AND id = $2 AND state = 'waiting' AND question IS NOT NULL AND answer IS NULL AND cancel_requested = FALSE")
                    .bind(ws.to_string()).bind(id.to_string()).bind(sealed).bind(now.0)
                    .execute(&self.pool).await?;
                Ok(done.rows_affected() == 1)
            }

            async fn take_job_answer(&self, id: EventId, worker: &str, now: Timestamp) -> Result<Option<Vec<u8>>> {
                let row = sqlx::query("SELECT answer FROM automation_jobs WHERE id = $1 AND worker = $2 AND state = 'waiting' AND length(answer) > 0")
                    .bind(id.to_string()).bind(worker).fetch_optional(&self.pool).await?;
                let Some(row) = row else { return Ok(None) };
                let answer: Vec<u8> = row.try_get("answer")?;
                // Only the worker holding the job takes its answer, once.
                let done = sqlx::query("UPDATE automation_jobs SET state = 'running', question = NULL, answer = NULL, updated_at = $3
                     WHERE id = $1 AND worker = $2 AND state = 'waiting' AND length(answer) > 0")
                    .bind(id.to_string()).bind(worker).bind(now.0)
                    .execute(&self.pool).await?;
                Ok((done.rows_affected() == 1).then_some(answer))
            }

            async fn save_job_screenshot(&self, ws: WorkspaceId, job: EventId, sealed: &[u8], at: Timestamp) -> Result<()> {
                sqlx::query("INSERT INTO automation_screenshots (job_id, workspace_id, sealed, taken_at) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (job_id) DO UPDATE SET sealed = excluded.sealed, taken_at = excluded.taken_at")
                    .bind(job.to_string()).bind(ws.to_string()).bind(sealed).bind(at.0)
                    .execute(&self.pool).await?;
                Ok(())
            }

            async fn job_screenshot(&self, ws: WorkspaceId, job: EventId) -> Result<Option<Vec<u8>>> {
                let row = sqlx::query("SELECT sealed FROM automation_screenshots WHERE workspace_id = $1 AND job_id = $2")
                    .bind(ws.to_string()).bind(job.to_string()).fetch_optional(&self.pool).await?;
                Ok(match row {
                    Some(r) => Some(r.try_get("sealed")?),
                    None => None,
                })
            }

            async fn add_job_step(&self, s: &JobStepRow) -> Result<i64> {
                let row = sqlx::query("INSERT INTO automation_steps (job_id, seq, attempt, name, started_at, ended_at, outcome, url, detail)
                     VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM automation_steps WHERE job_id = $1), $2, $3, $4, $5, $6, $7, $8) RETURNING seq")
                    .bind(s.job_id.to_string()).bind(small(s.attempt)).bind(&s.name).bind(s.started_at.0)
                    .bind(s.ended_at.map(|t| t.0)).bind(s.outcome.map(orthrus_core::StepOutcome::as_str)).bind(&s.url).bind(&s.detail)
                    .fetch_one(&self.pool).await?;
                Ok(i64::from(row.try_get::<i32, _>("seq")?))
            }

            async fn finish_job_step(&self, job: EventId, seq: i64, outcome: orthrus_core::StepOutcome, url: Option<&str>, detail: Option<&str>, at: Timestamp) -> Result<()> {
                sqlx::query("UPDATE automation_steps SET outcome = $3, url = COALESCE($4, url), detail = COALESCE($5, detail), ended_at = $6 WHERE job_id = $1 AND seq = $2")
                    .bind(job.to_string()).bind(small(seq)).bind(outcome.as_str()).bind(url).bind(detail).bind(at.0)
                    .execute(&self.pool).await?;
                Ok(())
            }

            async fn job_steps(&self, job: EventId) -> Result<Vec<JobStepRow>> {
                let rows = sqlx::query("SELECT * FROM automation_steps WHERE job_id = $1 ORDER BY seq")
                    .bind(job.to_string()).fetch_all(&self.pool).await?;
                rows.iter().map(|r| Ok(JobStepRow {
                    job_id: id(r, "job_id")?,
                    seq: i64::from(r.try_get::<i32, _>("seq")?),
                    attempt: i64::from(r.try_get::<i32, _>("attempt")?),
                    name: r.try_get("name")?,
                    started_at: ts(r, "started_at")?,
                    ended_at: ts_opt(r, "ended_at")?,
                    outcome: r.try_get::<Option<String>, _>("outcome")?.map(|o| parse(&o, "step outcome")).transpose()?,
                    url: r.try_get("url")?,
                    detail: r.try_get("detail")?,
                })).collect()
            }

            async fn mfa_check(&self, ws: WorkspaceId, a: AccountId) -> Result<Option<MfaCheckRow>> {
                sqlx::query("SELECT * FROM mfa_checks WHERE workspace_id = $1 AND account_id = $2")
                    .bind(ws.to_string()).bind(a.to_string())
                    .fetch_optional(&self.pool).await?.as_ref().map(mfa_check_row).transpose()
            }

            async fn workspace_mfa_checks(&self, ws: WorkspaceId) -> Result<Vec<MfaCheckRow>> {
                let rows = sqlx::query("SELECT * FROM mfa_checks WHERE workspace_id = $1")
                    .bind(ws.to_string()).fetch_all(&self.pool).await?;
                rows.iter().map(mfa_check_row).collect()
            }

            async fn save_mfa_check(&self, r: &MfaCheckRow) -> Result<()> {
                sqlx::query("INSERT INTO mfa_checks (account_id, workspace_id, state, checked_at, job_id, reason) VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (account_id) DO UPDATE SET state = excluded.state, checked_at = excluded.checked_at,
                        job_id = excluded.job_id, reason = excluded.reason")
                    .bind(r.account_id.to_string()).bind(r.workspace_id.to_string()).bind(r.state.as_str())
                    .bind(r.checked_at.0).bind(r.job_id.to_string()).bind(r.reason.as_deref())
                    .execute(&self.pool).await?;
                Ok(())
            }

            async fn due_mfa_checks(&self, before: Timestamp, limit: i64) -> Result<Vec<DueMfaCheck>> {
                let rows = sqlx::query("SELECT o.workspace_id, o.account_id, o.enrolled_by FROM account_otp o
                     JOIN accounts a ON a.id = o.account_id AND a.workspace_id = o.workspace_id
                     LEFT JOIN mfa_checks m ON m.account_id = o.account_id
                     WHERE o.slot = 'active' AND o.kind = 'totp' AND o.confirmed_at IS NOT NULL
                       AND TRIM(a.login_url) <> '' AND TRIM(a.username) <> ''
                       AND (m.checked_at IS NULL OR m.checked_at < $1)
                       AND NOT EXISTS (SELECT 1 FROM automation_jobs j WHERE j.account_id = o.account_id AND j.kind = 'check_mfa'
                           AND (j.state IN ('queued', 'running', 'waiting', 'deferred') OR j.created_at >= $1))
                     ORDER BY COALESCE(m.checked_at, 0), o.account_id LIMIT $2")
                    .bind(before.0).bind(limit.clamp(1, 1000)).fetch_all(&self.pool).await?;
                rows.iter().map(|r| Ok(DueMfaCheck {
                    workspace_id: id(r, "workspace_id")?,
                    account_id: id(r, "account_id")?,
                    enrolled_by: id(r, "enrolled_by")?,
                })).collect()
            }

            async fn mfa_checks_in_flight(&self) -> Result<i64> {
                let row = sqlx::query("SELECT COUNT(*) AS n FROM automation_jobs WHERE kind = 'check_mfa' AND state IN ('queued', 'running', 'waiting', 'deferred')")
                    .fetch_one(&self.pool).await?;
                Ok(row.try_get::<i64, _>("n")?)
            }

            async fn forward_address(&self, user: UserId) -> Result<Option<ForwardAddressRow>> {
                let row = sqlx::query("SELECT * FROM forward_addresses WHERE user_id = $1")
                    .bind(user.to_string()).fetch_optional(&self.pool).await?;
                let Some(r) = row else { return Ok(None) };
                let attempts: i32 = r.try_get("attempts")?;
                Ok(Some(ForwardAddressRow {
                    user_id: id(&r, "user_id")?,
                    workspace_id: id(&r, "workspace_id")?,
                    email: r.try_get("email")?,
                    pending_email: r.try_get("pending_email")?,
                    code_hash: r.try_get("code_hash")?,
                    code_expires_at: ts_opt(&r, "code_expires_at")?,
                    attempts: i64::from(attempts),
                    verified_at: ts_opt(&r, "verified_at")?,
                }))
            }

            async fn save_forward_address(&self, f: &ForwardAddressRow) -> Result<()> {
                sqlx::query("INSERT INTO forward_addresses (user_id, workspace_id, email, pending_email, code_hash, code_expires_at, attempts, verified_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                     ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, pending_email = excluded.pending_email, code_hash = excluded.code_hash, code_expires_at = excluded.code_expires_at, attempts = excluded.attempts, verified_at = excluded.verified_at")
                    .bind(f.user_id.to_string()).bind(f.workspace_id.to_string()).bind(&f.email).bind(&f.pending_email).bind(&f.code_hash)
                    .bind(f.code_expires_at.map(|t| t.0)).bind(i32::try_from(f.attempts).unwrap_or(i32::MAX)).bind(f.verified_at.map(|t| t.0))
                    .execute(&self.pool).await?;
                Ok(())
            }

            async fn count_forward_attempt(&self, user: UserId, max: i64) -> Result<bool> {
                let done = sqlx::query("UPDATE forward_addresses SET attempts = attempts + 1 WHERE user_id = $1 AND attempts < $2")
                    .bind(user.to_string()).bind(i32::try_from(max).unwrap_or(i32::MAX))
                    .execute(&self.pool).await?;
                Ok(done.rows_affected() == 1)
            }

            async fn list_messages(&self, ws: WorkspaceId, f: &MessageFilter) -> Result<Vec<InboxMessageRow>> {
                enum Arg { S(String), I(i64), B(bool) }
                if f.accounts.is_empty() {
                    return Ok(Vec::new());
                }
                // Built from constant fragments; every value is bound.
                let mut args: Vec<Arg> = vec![Arg::S(ws.to_string())];
                let mark = |args: &mut Vec<Arg>, a: Arg| {
                    args.push(a);
                    format!("${}", args.len())
                };
                let marks: Vec<String> = f.accounts.iter().map(|a| mark(&mut args, Arg::S(a.to_string()))).collect();
                let mut sql = format!("SELECT * FROM inbox_messages WHERE workspace_id = $1 AND account_id IN ({})", marks.join(", "));
                if let Some(c) = &f.channel {
                    sql += &format!(" AND channel = {}", mark(&mut args, Arg::S(c.as_str().to_owned())));
                }
                if f.has_code {
                    sql += &format!(" AND has_code = {}", mark(&mut args, Arg::B(true)));
                }
                if let Some(t) = f.since {
                    sql += &format!(" AND received_at >= {}", mark(&mut args, Arg::I(t.0)));
                }
                if let Some(t) = f.until {
                    sql += &format!(" AND received_at <= {}", mark(&mut args, Arg::I(t.0)));
                }
                if let Some((t, id)) = f.before {
                    let (t, id) = (mark(&mut args, Arg::I(t.0)), mark(&mut args, Arg::S(id.to_string())));
                    sql += &format!(" AND (received_at < {t} OR (received_at = {t} AND id < {id}))");
                }
                let mut words: Vec<&String> = f.words.iter().collect();
                words.sort();
                words.dedup();
                // One primary-key probe per word and candidate, newest
                // first until the page is full: a plan that does not hang
                // on statistics (an intersection by GROUP BY was planned as
                // a nested loop on PostgreSQL right after a bulk load: 16 s).
                for w in words {
                    sql += &format!(" AND EXISTS (SELECT 1 FROM inbox_words w WHERE w.word = {} AND w.message_id = inbox_messages.id)", mark(&mut args, Arg::S(w.clone())));
                }
                sql += &format!(" ORDER BY received_at DESC, id DESC LIMIT {}", mark(&mut args, Arg::I(f.limit.clamp(1, 500))));
                let mut q = sqlx::query(sql_fmt!("{sql}"));
                for a in args {
                    q = match a {
                        Arg::S(v) => q.bind(v),
                        Arg::I(v) => q.bind(v),
                        Arg::B(v) => q.bind(v),
                    };
                }
                q.fetch_all(&self.pool).await?.iter().map(message_row).collect()
            }

            async fn index_message_words(&self, ws: WorkspaceId, m: EventId, words: &[String]) -> Result<bool> {
                let mut words: Vec<&String> = words.iter().collect();
                words.sort();
                words.dedup();
                let mut tx = self.pool.begin().await?;
                let found = sqlx::query("UPDATE inbox_messages SET words_indexed = $3 WHERE workspace_id = $1 AND id = $2")
                    .bind(ws.to_string()).bind(m.to_string()).bind(true)
                    .execute(&mut *tx).await?;
                if found.rows_affected() != 1 {
                    return Ok(false);
                }
                sqlx::query("DELETE FROM inbox_words WHERE message_id = $1")
                    .bind(m.to_string()).execute(&mut *tx).await?;
                // Many rows per statement: one round trip per 400 words.
                for chunk in words.chunks(400) {
                    let values: Vec<String> = (0..chunk.len()).map(|i| format!("(${}, $1)", i + 2)).collect();
                    let mut q = sqlx::query(sql_fmt!("INSERT INTO inbox_words (word, message_id) VALUES {}", values.join(", ")))
                        .bind(m.to_string());
                    for w in chunk {
                        q = q.bind((*w).clone());
                    }
                    q.execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn reset_message_index(&self) -> Result<u64> {
                let mut tx = self.pool.begin().await?;
                sqlx::query("DELETE FROM inbox_words").execute(&mut *tx).await?;
                let done = sqlx::query("UPDATE inbox_messages SET words_indexed = $1").bind(false).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(done.rows_affected())
            }

            async fn unindexed_messages(&self, limit: i64) -> Result<Vec<InboxMessageRow>> {
                // Answered from the partial index of 0022 (only unindexed rows).
                sqlx::query("SELECT * FROM inbox_messages WHERE NOT words_indexed ORDER BY received_at, id LIMIT $1")
                    .bind(limit.clamp(1, 500))
                    .fetch_all(&self.pool).await?.iter().map(message_row).collect()
            }

            async fn add_phone_number(&self, p: &PhoneNumberRow) -> Result<()> {
                sqlx::query("INSERT INTO phone_numbers (id, workspace_id, number, account_id, created_at) VALUES ($1, $2, $3, NULL, $4)")
                    .bind(p.id.to_string()).bind(p.workspace_id.to_string()).bind(&p.number).bind(p.created_at.0)
                    .execute(&self.pool).await.map_err(|e| conflict(e, "that number is already in the pool"))?;
                Ok(())
            }

            async fn list_phone_numbers(&self, ws: WorkspaceId) -> Result<Vec<PhoneNumberRow>> {
                sqlx::query("SELECT * FROM phone_numbers WHERE workspace_id = $1 ORDER BY number")
                    .bind(ws.to_string()).fetch_all(&self.pool).await?.iter().map(phone_row).collect()
            }

            async fn find_phone_number(&self, number: &str) -> Result<Option<PhoneNumberRow>> {
                sqlx::query("SELECT * FROM phone_numbers WHERE number = $1")
                    .bind(number).fetch_optional(&self.pool).await?.as_ref().map(phone_row).transpose()
            }

            async fn assign_phone_number(&self, ws: WorkspaceId, a: AccountId) -> Result<Option<PhoneNumberRow>> {
                let mut tx = self.pool.begin().await?;
                // Claim one free number with a conditional update (write first:
                // it takes the lock), then read what this account holds.
                sqlx::query("UPDATE phone_numbers SET account_id = $2 WHERE id = (SELECT id FROM phone_numbers WHERE workspace_id = $1 AND account_id IS NULL ORDER BY number LIMIT 1) AND account_id IS NULL AND NOT EXISTS (SELECT 1 FROM phone_numbers WHERE workspace_id = $1 AND account_id = $2)")
                    .bind(ws.to_string()).bind(a.to_string()).execute(&mut *tx).await?;
                let row = sqlx::query("SELECT * FROM phone_numbers WHERE workspace_id = $1 AND account_id = $2 ORDER BY number LIMIT 1")
                    .bind(ws.to_string()).bind(a.to_string()).fetch_optional(&mut *tx).await?;
                let out = row.as_ref().map(phone_row).transpose()?;
                tx.commit().await?;
                Ok(out)
            }

            async fn append_audit(&self, ws: WorkspaceId, e: &NewAuditEvent, chain: ChainFn<'_>) -> Result<AuditEventRow> {
                let mut tx = self.pool.begin().await?;
                sqlx::query("INSERT INTO audit_heads (workspace_id, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (workspace_id) DO NOTHING")
                    .bind(ws.to_string()).bind(crate::GENESIS_HASH).execute(&mut *tx).await?;
                // This UPDATE takes the row (PostgreSQL) or database (SQLite)
                // write lock, serialising appends per workspace.
                let head = sqlx::query("UPDATE audit_heads SET seq = seq + 1 WHERE workspace_id = $1 RETURNING seq, hash")
                    .bind(ws.to_string()).fetch_one(&mut *tx).await?;
                let seq: i64 = head.try_get("seq")?;
                let prev: String = head.try_get("hash")?;
                let link = chain(&prev, seq, e);
                let hash = link.hash;
                sqlx::query("UPDATE audit_heads SET hash = $2, mac = $3 WHERE workspace_id = $1")
                    .bind(ws.to_string()).bind(&hash).bind(&link.head_mac).execute(&mut *tx).await?;
                sqlx::query(sql_fmt!("INSERT INTO audit_events ({AUDIT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"))
                    .bind(ws.to_string())
                    .bind(seq)
                    .bind(e.id.to_string())
                    .bind(e.at.0)
                    .bind(e.actor_id.map(|a| a.to_string()))
                    .bind(e.actor_email.as_deref())
                    .bind(&e.action)
                    .bind(e.target_type.as_deref())
                    .bind(e.target_id.as_deref())
                    .bind(e.ip.as_deref())
                    .bind(&e.outcome)
                    .bind(e.detail.to_string())
                    .bind(&prev)
                    .bind(&hash)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(AuditEventRow { workspace_id: ws, seq, event: e.clone(), prev_hash: prev, hash })
            }

            async fn append_audits(&self, ws: WorkspaceId, events: &[NewAuditEvent], chain: ChainFn<'_>) -> Result<()> {
                let mut tx = self.pool.begin().await?;
                sqlx::query("INSERT INTO audit_heads (workspace_id, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (workspace_id) DO NOTHING")
                    .bind(ws.to_string()).bind(crate::GENESIS_HASH).execute(&mut *tx).await?;
                for e in events {
                    // As in append_audit: the UPDATE takes the write lock.
                    let head = sqlx::query("UPDATE audit_heads SET seq = seq + 1 WHERE workspace_id = $1 RETURNING seq, hash")
                        .bind(ws.to_string()).fetch_one(&mut *tx).await?;
                    let seq: i64 = head.try_get("seq")?;
                    let prev: String = head.try_get("hash")?;
                    let link = chain(&prev, seq, e);
                    sqlx::query("UPDATE audit_heads SET hash = $2, mac = $3 WHERE workspace_id = $1")
                        .bind(ws.to_string()).bind(&link.hash).bind(&link.head_mac).execute(&mut *tx).await?;
                    sqlx::query(sql_fmt!("INSERT INTO audit_events ({AUDIT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"))
                        .bind(ws.to_string()).bind(seq).bind(e.id.to_string()).bind(e.at.0)
                        .bind(e.actor_id.map(|a| a.to_string())).bind(e.actor_email.as_deref()).bind(&e.action)
                        .bind(e.target_type.as_deref()).bind(e.target_id.as_deref()).bind(e.ip.as_deref())
                        .bind(&e.outcome).bind(e.detail.to_string()).bind(&prev).bind(&link.hash)
                        .execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn list_audit(&self, ws: WorkspaceId, f: &AuditFilter) -> Result<Vec<AuditEventRow>> {
                let mut sql = format!("SELECT {AUDIT_COLS} FROM audit_events WHERE workspace_id = $1");
                let mut texts: Vec<String> = Vec::new();
                let mut n = 1;
                let mut text_cond = |sql: &mut String, col: &str, v: &str| {
                    n += 1;
                    sql.push_str(&format!(" AND {col} = ${n}"));
                    texts.push(v.to_owned());
                };
                if let Some(a) = &f.action { text_cond(&mut sql, "action", a); }
                if let Some(a) = &f.actor_id { text_cond(&mut sql, "actor_id", &a.to_string()); }
                if let Some(t) = &f.target_id { text_cond(&mut sql, "target_id", t); }
                let mut ints: Vec<i64> = Vec::new();
                let mut k = 1 + texts.len();
                for (col, op, v) in [("at", ">=", f.since.map(|t| t.0)), ("at", "<=", f.until.map(|t| t.0)), ("seq", "<", f.before_seq)] {
                    if let Some(v) = v {
                        k += 1;
                        sql.push_str(&format!(" AND {col} {op} ${k}"));
                        ints.push(v);
                    }
                }
                k += 1;
                sql.push_str(&format!(" ORDER BY seq DESC LIMIT ${k}"));
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(ws.to_string());
                for t in texts { q = q.bind(t); }
                for i in ints { q = q.bind(i); }
                q = q.bind(f.limit.clamp(1, 1000));
                q.fetch_all(&self.pool).await?.iter().map(audit_row).collect()
            }

            async fn audit_chain(&self, ws: WorkspaceId) -> Result<Vec<AuditEventRow>> {
                sqlx::query(sql_fmt!("SELECT {AUDIT_COLS} FROM audit_events WHERE workspace_id = $1 ORDER BY seq"))
                    .bind(ws.to_string()).fetch_all(&self.pool).await?.iter().map(audit_row).collect()
            }

            async fn audit_head(&self, ws: WorkspaceId) -> Result<Option<AuditHead>> {
                let row = sqlx::query("SELECT seq, hash, mac FROM audit_heads WHERE workspace_id = $1")
                    .bind(ws.to_string()).fetch_optional(&self.pool).await?;
                row.map(|r| Ok(AuditHead { seq: r.try_get("seq")?, hash: r.try_get("hash")?, mac: r.try_get("mac")? })).transpose()
            }

            async fn get_setting(&self, key: &str) -> Result<Option<String>> {
                let row = sqlx::query("SELECT value FROM instance_settings WHERE key = $1")
                    .bind(key).fetch_optional(&self.pool).await?;
                row.map(|r| Ok(r.try_get("value")?)).transpose()
            }

            async fn create_pairing(&self, p: &PairingRow) -> Result<()> {
                let choices: Vec<String> = p.choices.iter().map(i64::to_string).collect();
                sqlx::query("INSERT INTO extension_pairings (id, secret_hash, number, choices, browser, ip, status, workspace_id, user_id, created_at, expires_at, decided_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL, $8, $9, NULL)")
                    .bind(p.id.to_string()).bind(&p.secret_hash).bind(small(p.number)).bind(choices.join(","))
                    .bind(&p.browser).bind(&p.ip).bind(p.status.as_str()).bind(p.created_at.0).bind(p.expires_at.0)
                    .execute(&self.pool).await?;
                Ok(())
            }

            async fn get_pairing(&self, id: EventId) -> Result<Option<PairingRow>> {
                sqlx::query("SELECT * FROM extension_pairings WHERE id = $1")
                    .bind(id.to_string())
                    .fetch_optional(&self.pool).await?.as_ref().map(pairing_row).transpose()
            }

            async fn count_pairings_from(&self, ip: &str, since: Timestamp) -> Result<i64> {
                let row = sqlx::query("SELECT COUNT(*) AS n FROM extension_pairings WHERE ip = $1 AND created_at >= $2")
                    .bind(ip).bind(since.0).fetch_one(&self.pool).await?;
                Ok(row.try_get("n")?)
            }

            async fn decide_pairing(&self, id: EventId, status: PairingStatus, ws: WorkspaceId, user: UserId, at: Timestamp) -> Result<bool> {
                let done = sqlx::query("UPDATE extension_pairings SET status = $2, workspace_id = $3, user_id = $4, decided_at = $5
                     WHERE id = $1 AND status = 'pending' AND expires_at > $5")
                    .bind(id.to_string()).bind(status.as_str()).bind(ws.to_string()).bind(user.to_string()).bind(at.0)
                    .execute(&self.pool).await?;
                Ok(done.rows_affected() == 1)
            }

            async fn claim_pairing(&self, id: EventId, now: Timestamp) -> Result<bool> {
                let done = sqlx::query("UPDATE extension_pairings SET status = 'claimed' WHERE id = $1 AND status = 'approved' AND expires_at > $2")
                    .bind(id.to_string()).bind(now.0).execute(&self.pool).await?;
                Ok(done.rows_affected() == 1)
            }

            async fn account_urls(&self, ws: WorkspaceId, a: AccountId) -> Result<Option<String>> {
                let row = sqlx::query("SELECT urls FROM account_urls WHERE workspace_id = $1 AND account_id = $2")
                    .bind(ws.to_string()).bind(a.to_string()).fetch_optional(&self.pool).await?;
                row.map(|r| Ok(r.try_get("urls")?)).transpose()
            }

            async fn set_account_urls(&self, ws: WorkspaceId, a: AccountId, urls_json: &str, at: Timestamp) -> Result<()> {
                sqlx::query("INSERT INTO account_urls (account_id, workspace_id, urls, updated_at) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (account_id) DO UPDATE SET urls = excluded.urls, updated_at = excluded.updated_at")
                    .bind(a.to_string()).bind(ws.to_string()).bind(urls_json).bind(at.0)
                    .execute(&self.pool).await?;
                Ok(())
            }

            async fn workspace_account_urls(&self, ws: WorkspaceId) -> Result<Vec<(AccountId, String)>> {
                let rows = sqlx::query("SELECT account_id, urls FROM account_urls WHERE workspace_id = $1")
                    .bind(ws.to_string()).fetch_all(&self.pool).await?;
                rows.iter().map(|r| Ok((id(r, "account_id")?, r.try_get("urls")?))).collect()
            }

            async fn app_restrictions(&self, ws: WorkspaceId) -> Result<Vec<(String, String)>> {
                let rows = sqlx::query("SELECT app, patterns FROM app_restrictions WHERE workspace_id = $1 ORDER BY app")
                    .bind(ws.to_string()).fetch_all(&self.pool).await?;
                rows.iter().map(|r| Ok((r.try_get("app")?, r.try_get("patterns")?))).collect()
            }

            async fn set_app_restrictions(&self, ws: WorkspaceId, app: &str, patterns_json: Option<&str>, at: Timestamp) -> Result<()> {
                match patterns_json {
                    Some(p) => {
                        sqlx::query("INSERT INTO app_restrictions (workspace_id, app, patterns, updated_at) VALUES ($1, $2, $3, $4)
                             ON CONFLICT (workspace_id, app) DO UPDATE SET patterns = excluded.patterns, updated_at = excluded.updated_at")
                            .bind(ws.to_string()).bind(app).bind(p).bind(at.0).execute(&self.pool).await?;
                    }
                    None => {
                        sqlx::query("DELETE FROM app_restrictions WHERE workspace_id = $1 AND app = $2")
                            .bind(ws.to_string()).bind(app).execute(&self.pool).await?;
                    }
                }
                Ok(())
            }

            async fn rotation_due_by(&self, a: AccountId, at: Timestamp) -> Result<bool> {
                let done = sqlx::query("UPDATE rotation_schedules SET next_at = $2 WHERE account_id = $1 AND (next_at IS NULL OR next_at > $2)")
                    .bind(a.to_string()).bind(at.0).execute(&self.pool).await?;
                Ok(done.rows_affected() == 1)
            }

            async fn clear_rotation_due(&self, a: AccountId, from: Timestamp) -> Result<bool> {
                let done = sqlx::query("UPDATE rotation_schedules SET next_at = NULL WHERE account_id = $1 AND next_at = $2")
                    .bind(a.to_string()).bind(from.0).execute(&self.pool).await?;
                Ok(done.rows_affected() == 1)
            }

            async fn put_setting_if_absent(&self, key: &str, value: &str) -> Result<String> {
                sqlx::query("INSERT INTO instance_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
                    .bind(key).bind(value).execute(&self.pool).await?;
                let row = sqlx::query("SELECT value FROM instance_settings WHERE key = $1").bind(key).fetch_one(&self.pool).await?;
                Ok(row.try_get("value")?)
            }
        }

        impl $store {
            /// Applies pending migrations in order, each in its own transaction.
            async fn migrate(&self, migrations: &[crate::migrate::Migration]) -> Result<()> {
                sqlx::query("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)")
                    .execute(&self.pool).await?;
                for m in migrations {
                    let sum = crate::migrate::checksum(m.sql);
                    let existing = sqlx::query("SELECT checksum FROM schema_migrations WHERE version = $1")
                        .bind(m.version).fetch_optional(&self.pool).await?;
                    if let Some(r) = existing {
                        let stored: String = r.try_get("checksum")?;
                        if stored != sum {
                            return Err(StoreError::Migration { version: m.version, message: format!("{} was edited after it was applied (migrations are append-only)", m.name) });
                        }
                        continue;
                    }
                    let mut tx = self.pool.begin().await?;
                    for stmt in crate::migrate::statements(m.sql) {
                        sqlx::query(stmt).execute(&mut *tx).await.map_err(|e| StoreError::Migration { version: m.version, message: e.to_string() })?;
                    }
                    sqlx::query("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, 0)")
                        .bind(m.version).bind(m.name).bind(&sum).execute(&mut *tx).await?;
                    tx.commit().await?;
                    tracing::info!(version = m.version, name = m.name, backend = $backend, "applied migration");
                }
                Ok(())
            }
        }
    };
}

pub(crate) use impl_store;
