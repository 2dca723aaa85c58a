//! The hot paths in one query each (issue 16, item 4): every authenticated
//! request resolves its credential, user and workspace with one statement
//! (`GET /me`: one in all), and a code view reads its account, the caller's
//! grants, the authenticator and the "already used" mark with another. The
//! code routes send both as one statement: the credential query as a CTE,
//! joined with the code-view read for its user in its workspace
//! ([`HotPath::code_view_for_credential`]), so a code view is one read and a
//! share of the ledger's batched `INSERT`. On PostgreSQL each statement is a
//! network round trip; before, a code view took about fourteen.
//!
//! The conditions are the ones the separate queries use
//! (`session_by_token_hash` / `api_token_by_hash` joined as
//! `get_user_and_workspace` joins; `get_account_for`'s grants in force,
//! direct and through teams; `get_otp`'s active slot; `get_used_step`), so
//! access decisions do not change. Part of every [`crate::Store`] through
//! the [`HotPath`] supertrait; implemented in `postgres.rs` and `sqlite.rs`
//! next to the row decoders it shares with `sql.rs`.

use crate::Result;
use crate::models::{
    AccountRow, ApiTokenRow, OtpRow, SessionRow, UsedStepRow, UserRow, WorkspaceRow,
};
use async_trait::async_trait;
use orthrus_core::{AccountId, AccountRole, UserId, WorkspaceId};

/// How long a query waits for a free connection of the pool before it
/// fails with [`crate::StoreError::PoolTimedOut`].
pub const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The connection pool's size (`database_max_connections`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolSettings {
    /// None: sized for the machine ([`PoolSettings::max_for`]).
    pub max_connections: Option<u32>,
}

impl PoolSettings {
    /// The pool's size: the one set, or for PostgreSQL four per core
    /// (8 to 32; a request holds a connection only for one statement at a
    /// time), for SQLite 8 (one writer at a time anyway).
    pub fn max_for(self, postgres: bool) -> u32 {
        self.max_connections.filter(|n| *n > 0).unwrap_or_else(|| {
            if postgres {
                (cores() * 4).clamp(8, 32)
            } else {
                8
            }
        })
    }

    /// Connections kept open while idle: one per core, at least two.
    pub fn min_for(self, postgres: bool) -> u32 {
        cores().max(2).min(self.max_for(postgres))
    }
}

fn cores() -> u32 {
    std::thread::available_parallelism()
        .ok()
        .and_then(|n| u32::try_from(n.get()).ok())
        .unwrap_or(2)
}

/// What a code view reads before it computes the code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeViewRead {
    pub account: AccountRow,
    /// The caller's highest grant in force (direct or through a team).
    pub role: Option<AccountRole>,
    /// The account's active authenticator.
    pub otp: Option<OtpRow>,
    /// With an authenticator: the time step looked at (`at_secs / period`)
    /// and its "used" mark, if any.
    pub used: Option<(i64, Option<UsedStepRow>)>,
}

/// Which table a bearer or cookie token is looked up in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialKind {
    Session,
    ApiToken,
}

/// A session or an API token, as its table holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CredentialRow {
    Session(SessionRow),
    ApiToken(ApiTokenRow),
}

/// A credential with its user and workspace, and the code view read for
/// that user in that workspace ([`HotPath::code_view_for_credential`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialCodeView {
    pub credential: CredentialRow,
    pub user: UserRow,
    pub workspace: WorkspaceRow,
    /// None when the account is not in the credential's workspace.
    pub read: Option<CodeViewRead>,
}

#[async_trait]
pub trait HotPath: Send + Sync {
    /// A session by its token hash with its user and workspace (None when
    /// either is missing). Revocation and expiry are the caller's to check.
    async fn session_with_user(
        &self,
        token_hash: &str,
    ) -> Result<Option<(SessionRow, UserRow, WorkspaceRow)>>;
    /// An API token by its hash with its user and workspace.
    async fn api_token_with_user(
        &self,
        token_hash: &str,
    ) -> Result<Option<(ApiTokenRow, UserRow, WorkspaceRow)>>;
    /// The account (None when it is not in `ws`), the user's role on it at
    /// `now_ms`, its active authenticator and the used mark of the step that
    /// holds `at_secs`.
    async fn code_view_read(
        &self,
        ws: WorkspaceId,
        account: AccountId,
        user: UserId,
        now_ms: i64,
        at_secs: i64,
    ) -> Result<Option<CodeViewRead>>;
    /// A code view in one statement: the credential with its user and
    /// workspace (as [`HotPath::session_with_user`] /
    /// [`HotPath::api_token_with_user`] answer) and
    /// [`HotPath::code_view_read`] for its user in its workspace. None when
    /// the credential or its user is missing; revocation, expiry and the
    /// user's standing are the caller's to check, as with the credential
    /// alone.
    async fn code_view_for_credential(
        &self,
        kind: CredentialKind,
        token_hash: &str,
        account: AccountId,
        now_ms: i64,
        at_secs: i64,
    ) -> Result<Option<CredentialCodeView>>;
}

/// `at_secs / period` as the query computes it (a period below 1 counts as 1).
pub(crate) fn step_of(at_secs: i64, period: i64) -> i64 {
    at_secs / period.max(1)
}

/// `a.c1 AS p_c1, a.c2 AS p_c2, …` for a comma-separated column list.
pub(crate) fn aliased(table: &str, cols: &str, prefix: &str) -> String {
    cols.split(", ")
        .map(|c| format!("{table}.{c} AS {prefix}{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `a.c1, a.c2, …`.
pub(crate) fn qualified(table: &str, cols: &str) -> String {
    cols.split(", ")
        .map(|c| format!("{table}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Implements [`HotPath`] inside a backend module, after `impl_store!`
/// (whose row decoders and column lists it uses).
macro_rules! impl_hot {
    ($store:ident, $row:ty) => {
        mod hot_sql {
            use std::sync::LazyLock;

            const SESSION: &str = "id, workspace_id, user_id, token_hash, kind, created_at, last_seen_at, expires_at, elevated_until, ip, user_agent, revoked_at";
            const TOKEN: &str = "id, workspace_id, user_id, name, token_hash, prefix, created_at, last_used_at, expires_at, revoked_at";
            const OTP: &str = "workspace_id, slot, id, secret, kind, algorithm, digits, period, counter, issuer, account_name, source, enrolled_by, enrolled_at, confirmed_at";
            const USED: &str = "step, used_by, used_by_email, how, used_at";
            const WORKSPACE: &str = "w.name AS w_name, w.require_2fa AS w_require_2fa, w.step_up_minutes AS w_step_up_minutes, w.created_at AS w_created_at";

            fn credential(table: &str, cols: &str, user_cols: &str) -> String {
                format!(
                    "SELECT {}, {}, {WORKSPACE} FROM {table} c
                     JOIN users u ON u.workspace_id = c.workspace_id AND u.id = c.user_id
                     JOIN workspaces w ON w.id = u.workspace_id
                     WHERE c.token_hash = $1",
                    crate::hot::aliased("c", cols, "c_"),
                    crate::hot::qualified("u", user_cols),
                )
            }

            pub(super) static SESSION_SQL: LazyLock<String> =
                LazyLock::new(|| credential("sessions", SESSION, super::USER_COLS));
            pub(super) static TOKEN_SQL: LazyLock<String> =
                LazyLock::new(|| credential("api_tokens", TOKEN, super::USER_COLS));

            /// The code view's joins onto the account `a`: the grants are
            /// `get_account_for`'s (for the user `user`, in force at `now`
            /// ms); the authenticator is `get_otp`'s active slot; the used
            /// mark is `get_used_step`'s row for the step that holds `at`
            /// (seconds). Shared by both code-view queries, so their
            /// conditions are one text.
            fn code_view_joins(user: &str, now: &str, at: &str) -> String {
                format!(
                    "LEFT JOIN (SELECT account_id, role FROM account_members WHERE user_id = {user} AND (expires_at IS NULL OR expires_at > {now})
                                UNION ALL SELECT tg.account_id, tg.role FROM team_grants tg JOIN team_members tm ON tm.team_id = tg.team_id WHERE tm.user_id = {user}) g ON g.account_id = a.id
                     LEFT JOIN account_otp o ON o.workspace_id = a.workspace_id AND o.account_id = a.id AND o.slot = 'active'
                     LEFT JOIN otp_used_steps us ON us.workspace_id = a.workspace_id AND us.account_id = a.id
                          AND us.step = {at} / (CASE WHEN o.period > 0 THEN o.period ELSE 1 END)"
                )
            }

            /// The columns `code_view_joins` adds.
            fn code_view_cols() -> String {
                format!(
                    "g.role AS member_role, {}, {}",
                    crate::hot::aliased("o", OTP, "o_"),
                    crate::hot::aliased("us", USED, "us_"),
                )
            }

            pub(super) static CODE_VIEW_SQL: LazyLock<String> = LazyLock::new(|| {
                format!(
                    "SELECT {}, {} FROM accounts a
                     {}
                     WHERE a.workspace_id = $1 AND a.id = $2",
                    crate::hot::qualified("a", super::ACCOUNT_COLS),
                    code_view_cols(),
                    code_view_joins("$3", "$4", "$5"),
                )
            });

            /// The credential query (`$1`: the hash) as a CTE, and the code
            /// view of account `$2` for its user in its workspace (`$3`: now
            /// in ms, `$4`: the moment in seconds). The credential's row
            /// comes back even with no such account (the account's columns
            /// are then NULL); one row per grant in force.
            fn credential_code_view(table: &str, cols: &str) -> String {
                format!(
                    "WITH cred AS ({})
                     SELECT cred.*, {}, {} FROM cred
                     LEFT JOIN accounts a ON a.workspace_id = cred.c_workspace_id AND a.id = $2
                     {}",
                    credential(table, cols, super::USER_COLS),
                    crate::hot::aliased("a", super::ACCOUNT_COLS, "a_"),
                    code_view_cols(),
                    code_view_joins("(SELECT c_user_id FROM cred)", "$3", "$4"),
                )
            }

            pub(super) static SESSION_CODE_VIEW_SQL: LazyLock<String> =
                LazyLock::new(|| credential_code_view("sessions", SESSION));
            pub(super) static TOKEN_CODE_VIEW_SQL: LazyLock<String> =
                LazyLock::new(|| credential_code_view("api_tokens", TOKEN));
        }

        fn hot_sql(s: &'static std::sync::LazyLock<String>) -> sqlx::AssertSqlSafe<std::borrow::Cow<'static, str>> {
            sqlx::AssertSqlSafe(std::borrow::Cow::Borrowed(s.as_str()))
        }

        fn hot_workspace(r: &$row, id: WorkspaceId) -> Result<WorkspaceRow> {
            Ok(WorkspaceRow {
                id,
                name: r.try_get("w_name")?,
                require_2fa: r.try_get("w_require_2fa")?,
                step_up_minutes: r.try_get("w_step_up_minutes")?,
                created_at: ts(r, "w_created_at")?,
            })
        }

        fn hot_session(r: &$row) -> Result<SessionRow> {
            Ok(SessionRow {
                id: id(r, "c_id")?,
                workspace_id: id(r, "c_workspace_id")?,
                user_id: id(r, "c_user_id")?,
                token_hash: r.try_get("c_token_hash")?,
                kind: SessionKind::parse(&r.try_get::<String, _>("c_kind")?),
                created_at: ts(r, "c_created_at")?,
                last_seen_at: ts(r, "c_last_seen_at")?,
                expires_at: ts(r, "c_expires_at")?,
                elevated_until: ts_opt(r, "c_elevated_until")?,
                ip: r.try_get("c_ip")?,
                user_agent: r.try_get("c_user_agent")?,
                revoked_at: ts_opt(r, "c_revoked_at")?,
            })
        }

        fn hot_token(r: &$row) -> Result<ApiTokenRow> {
            Ok(ApiTokenRow {
                id: id(r, "c_id")?,
                workspace_id: id(r, "c_workspace_id")?,
                user_id: id(r, "c_user_id")?,
                name: r.try_get("c_name")?,
                token_hash: r.try_get("c_token_hash")?,
                prefix: r.try_get("c_prefix")?,
                created_at: ts(r, "c_created_at")?,
                last_used_at: ts_opt(r, "c_last_used_at")?,
                expires_at: ts_opt(r, "c_expires_at")?,
                revoked_at: ts_opt(r, "c_revoked_at")?,
            })
        }

        /// The active authenticator of the code view's row, if any.
        fn hot_otp(r: &$row, account: AccountId) -> Result<Option<OtpRow>> {
            let Some(otp_id) = r.try_get::<Option<String>, _>("o_id")? else {
                return Ok(None);
            };
            let slot: String = r.try_get("o_slot")?;
            Ok(Some(OtpRow {
                workspace_id: id(r, "o_workspace_id")?,
                account_id: account,
                slot: if slot == "active" { OtpSlot::Active } else { OtpSlot::Pending },
                id: parse(&otp_id, "o_id")?,
                secret: r.try_get("o_secret")?,
                kind: r.try_get("o_kind")?,
                algorithm: r.try_get("o_algorithm")?,
                digits: r.try_get("o_digits")?,
                period: r.try_get("o_period")?,
                counter: r.try_get("o_counter")?,
                issuer: r.try_get("o_issuer")?,
                account_name: r.try_get("o_account_name")?,
                source: r.try_get("o_source")?,
                enrolled_by: id(r, "o_enrolled_by")?,
                enrolled_at: ts(r, "o_enrolled_at")?,
                confirmed_at: ts_opt(r, "o_confirmed_at")?,
            }))
        }

        fn hot_used(r: &$row, ws: WorkspaceId, account: AccountId) -> Result<Option<UsedStepRow>> {
            let Some(step) = r.try_get::<Option<i64>, _>("us_step")? else {
                return Ok(None);
            };
            let by: Option<String> = r.try_get("us_used_by")?;
            Ok(Some(UsedStepRow {
                workspace_id: ws,
                account_id: account,
                step,
                used_by: by.map(|u| parse(&u, "used_by")).transpose()?,
                used_by_email: r.try_get("us_used_by_email")?,
                how: r.try_get("us_how")?,
                used_at: ts(r, "us_used_at")?,
            }))
        }

        /// The account of a credential's code view (its columns prefixed
        /// `a_`), if the LEFT JOIN found one.
        fn hot_account(r: &$row) -> Result<Option<AccountRow>> {
            let Some(acct) = r.try_get::<Option<String>, _>("a_id")? else {
                return Ok(None);
            };
            Ok(Some(AccountRow {
                id: parse(&acct, "a_id")?,
                workspace_id: id(r, "a_workspace_id")?,
                app: r.try_get("a_app")?,
                label: r.try_get("a_label")?,
                login_url: r.try_get("a_login_url")?,
                username: r.try_get("a_username")?,
                password: r.try_get("a_password")?,
                notes: r.try_get("a_notes")?,
                version: r.try_get("a_version")?,
                created_by: id(r, "a_created_by")?,
                created_at: ts(r, "a_created_at")?,
                updated_at: ts(r, "a_updated_at")?,
            }))
        }

        /// The code view from its rows (one per grant in force, or one with
        /// no role), the account already decoded.
        fn hot_read(rows: &[$row], acct: AccountRow, at_secs: i64) -> Result<crate::hot::CodeViewRead> {
            let mut role: Option<AccountRole> = None;
            for r in rows {
                let g: Option<String> = r.try_get("member_role")?;
                role = role.max(g.map(|x| parse::<AccountRole>(&x, "account role")).transpose()?);
            }
            let first = &rows[0];
            let otp = hot_otp(first, acct.id)?;
            let used = match &otp {
                Some(o) => Some((crate::hot::step_of(at_secs, o.period), hot_used(first, acct.workspace_id, acct.id)?)),
                None => None,
            };
            Ok(crate::hot::CodeViewRead { account: acct, role, otp, used })
        }

        #[async_trait]
        impl crate::hot::HotPath for $store {
            async fn session_with_user(&self, token_hash: &str) -> Result<Option<(SessionRow, UserRow, WorkspaceRow)>> {
                let row = sqlx::query(hot_sql(&hot_sql::SESSION_SQL))
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| {
                    let u = user_row(&r)?;
                    let w = hot_workspace(&r, u.workspace_id)?;
                    Ok((hot_session(&r)?, u, w))
                })
                .transpose()
            }

            async fn api_token_with_user(&self, token_hash: &str) -> Result<Option<(ApiTokenRow, UserRow, WorkspaceRow)>> {
                let row = sqlx::query(hot_sql(&hot_sql::TOKEN_SQL))
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| {
                    let u = user_row(&r)?;
                    let w = hot_workspace(&r, u.workspace_id)?;
                    Ok((hot_token(&r)?, u, w))
                })
                .transpose()
            }

            async fn code_view_read(&self, ws: WorkspaceId, account: AccountId, user: UserId, now_ms: i64, at_secs: i64) -> Result<Option<crate::hot::CodeViewRead>> {
                // One row per grant in force (none: one row with no role).
                let rows = sqlx::query(hot_sql(&hot_sql::CODE_VIEW_SQL))
                    .bind(ws.to_string())
                    .bind(account.to_string())
                    .bind(user.to_string())
                    .bind(now_ms)
                    .bind(at_secs)
                    .fetch_all(&self.pool)
                    .await?;
                let Some(first) = rows.first() else { return Ok(None) };
                let acct = account_row(first)?;
                Ok(Some(hot_read(&rows, acct, at_secs)?))
            }

            async fn code_view_for_credential(&self, kind: crate::hot::CredentialKind, token_hash: &str, account: AccountId, now_ms: i64, at_secs: i64) -> Result<Option<crate::hot::CredentialCodeView>> {
                let sql = match kind {
                    crate::hot::CredentialKind::Session => &hot_sql::SESSION_CODE_VIEW_SQL,
                    crate::hot::CredentialKind::ApiToken => &hot_sql::TOKEN_CODE_VIEW_SQL,
                };
                let rows = sqlx::query(hot_sql(sql))
                    .bind(token_hash)
                    .bind(account.to_string())
                    .bind(now_ms)
                    .bind(at_secs)
                    .fetch_all(&self.pool)
                    .await?;
                let Some(first) = rows.first() else { return Ok(None) };
                let credential = match kind {
                    crate::hot::CredentialKind::Session => crate::hot::CredentialRow::Session(hot_session(first)?),
                    crate::hot::CredentialKind::ApiToken => crate::hot::CredentialRow::ApiToken(hot_token(first)?),
                };
                let user = user_row(first)?;
                let workspace = hot_workspace(first, user.workspace_id)?;
                let read = match hot_account(first)? {
                    Some(acct) => Some(hot_read(&rows, acct, at_secs)?),
                    None => None,
                };
                Ok(Some(crate::hot::CredentialCodeView { credential, user, workspace, read }))
            }
        }
    };
}
pub(crate) use impl_hot;
