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
//! the [`HotPath`] supertrait, implemented below for both backends; the
//! aliased columns are read with the row decoders every aggregate shares
//! (`rows.rs`, through [`Prefixed`]).

use crate::models::{
    AccountRow, ApiTokenRow, OtpRow, SessionRow, UsedStepRow, UserRow, WorkspaceRow,
};
use crate::rows::{
    ACCOUNT_COLS, Decoded, OTP_COLS, Prefixed, SESSION_COLS, TOKEN_COLS, USED_COLS, USER_COLS,
    WORKSPACE_COLS, account_row, aliased, best_member_role, otp_row, qualified, session_row,
    token_row, used_row, user_row, workspace_row,
};
use crate::sql;
use crate::{PgStore, Result, SqliteStore};
use async_trait::async_trait;
use orthrus_core::{AccountId, AccountRole, UserId, WorkspaceId};
use std::borrow::Cow;
use std::sync::LazyLock;
use tracing::instrument;

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

fn credential(table: &str, cols: &str) -> String {
    format!(
        r#"
        SELECT {}, {}, {}
        FROM {table} c
        JOIN users u ON u.workspace_id = c.workspace_id AND u.id = c.user_id
        JOIN workspaces w ON w.id = u.workspace_id
        WHERE c.token_hash = $1
        "#,
        aliased("c", cols, "c_"),
        qualified("u", USER_COLS),
        aliased("w", WORKSPACE_COLS, "w_"),
    )
}

static SESSION_SQL: LazyLock<String> = LazyLock::new(|| credential("sessions", SESSION_COLS));
static TOKEN_SQL: LazyLock<String> = LazyLock::new(|| credential("api_tokens", TOKEN_COLS));

/// The code view's joins onto the account `a`: the grants are
/// `get_account_for`'s (for the user `user`, in force at `now` ms); the
/// authenticator is `get_otp`'s active slot; the used mark is
/// `get_used_step`'s row for the step that holds `at` (seconds). Shared by
/// both code-view queries, so their conditions are one text.
fn code_view_joins(user: &str, now: &str, at: &str) -> String {
    let grants = sql::grants_in_force(user, now);
    format!(
        r#"
        LEFT JOIN {grants} g ON g.account_id = a.id
        LEFT JOIN account_otp o
            ON o.workspace_id = a.workspace_id AND o.account_id = a.id AND o.slot = 'active'
        LEFT JOIN otp_used_steps us
            ON us.workspace_id = a.workspace_id AND us.account_id = a.id
            AND us.step = {at} / (CASE WHEN o.period > 0 THEN o.period ELSE 1 END)
        "#
    )
}

/// The columns `code_view_joins` adds.
fn code_view_cols() -> String {
    format!(
        "g.role AS member_role, {}, {}",
        aliased("o", OTP_COLS, "o_"),
        aliased("us", USED_COLS, "us_"),
    )
}

static CODE_VIEW_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        r#"
        SELECT {}, {}
        FROM accounts a
        {}
        WHERE a.workspace_id = $1 AND a.id = $2
        "#,
        qualified("a", ACCOUNT_COLS),
        code_view_cols(),
        code_view_joins("$3", "$4", "$5"),
    )
});

/// The credential query (`$1`: the hash) as a CTE, and the code view of
/// account `$2` for its user in its workspace (`$3`: now in ms, `$4`: the
/// moment in seconds). The credential's row comes back even with no such
/// account (the account's columns are then NULL); one row per grant in
/// force.
fn credential_code_view(table: &str, cols: &str) -> String {
    format!(
        r#"
        WITH cred AS ({})
        SELECT cred.*, {}, {}
        FROM cred
        LEFT JOIN accounts a ON a.workspace_id = cred.c_workspace_id AND a.id = $2
        {}
        "#,
        credential(table, cols),
        aliased("a", ACCOUNT_COLS, "a_"),
        code_view_cols(),
        code_view_joins("(SELECT c_user_id FROM cred)", "$3", "$4"),
    )
}

static SESSION_CODE_VIEW_SQL: LazyLock<String> =
    LazyLock::new(|| credential_code_view("sessions", SESSION_COLS));
static TOKEN_CODE_VIEW_SQL: LazyLock<String> =
    LazyLock::new(|| credential_code_view("api_tokens", TOKEN_COLS));

fn hot_sql(s: &'static LazyLock<String>) -> sqlx::AssertSqlSafe<Cow<'static, str>> {
    sqlx::AssertSqlSafe(Cow::Borrowed(s.as_str()))
}

/// The credential's workspace (its columns prefixed `w_`).
fn hot_workspace<R: Decoded>(r: &R) -> Result<WorkspaceRow> {
    workspace_row(&Prefixed(r, "w_"))
}

/// The active authenticator of a code view's row (columns prefixed `o_`),
/// if the LEFT JOIN found one.
fn hot_otp<R: Decoded>(r: &R) -> Result<Option<OtpRow>> {
    if r.field::<Option<String>>("o_id")?.is_none() {
        return Ok(None);
    }
    otp_row(&Prefixed(r, "o_")).map(Some)
}

/// The used mark of a code view's row (columns prefixed `us_`), if any.
fn hot_used<R: Decoded>(r: &R) -> Result<Option<UsedStepRow>> {
    if r.field::<Option<i64>>("us_step")?.is_none() {
        return Ok(None);
    }
    used_row(&Prefixed(r, "us_")).map(Some)
}

/// The account of a credential's code view (its columns prefixed `a_`), if
/// the LEFT JOIN found one.
fn hot_account<R: Decoded>(r: &R) -> Result<Option<AccountRow>> {
    if r.field::<Option<String>>("a_id")?.is_none() {
        return Ok(None);
    }
    account_row(&Prefixed(r, "a_")).map(Some)
}

/// The code view from its rows (one per grant in force, or one with no
/// role), the account already decoded.
fn hot_read<R: Decoded>(rows: &[R], acct: AccountRow, at_secs: i64) -> Result<CodeViewRead> {
    let role = best_member_role(rows)?;
    let Some(first) = rows.first() else {
        return Ok(CodeViewRead {
            account: acct,
            role,
            otp: None,
            used: None,
        });
    };
    let otp = hot_otp(first)?;
    let used = match &otp {
        Some(o) => Some((step_of(at_secs, o.period), hot_used(first)?)),
        None => None,
    };
    Ok(CodeViewRead {
        account: acct,
        role,
        otp,
        used,
    })
}

/// A credential decoded from a hot-path row (its columns prefixed `c_`),
/// with the user and workspace the row brings; a corrupt user or workspace
/// is reported before a corrupt credential.
fn with_user<R: Decoded, T>(r: &R, credential: Result<T>) -> Result<(T, UserRow, WorkspaceRow)> {
    let u = user_row(r)?;
    let w = hot_workspace(r)?;
    Ok((credential?, u, w))
}

// rustfmt would indent the multi-line `#[instrument(...)]` attributes in
// this macro further on every run; the body is kept as rustfmt formats code.
#[rustfmt::skip]
macro_rules! impl_hot {
    ($store:ty) => {
        #[async_trait]
        impl HotPath for $store {
            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn session_with_user(
                &self,
                token_hash: &str,
            ) -> Result<Option<(SessionRow, UserRow, WorkspaceRow)>> {
                let decode = |r: &_| with_user(r, session_row(&Prefixed(r, "c_")));
                sql::one_by(&self.pool, hot_sql(&SESSION_SQL), [token_hash.to_owned()], decode).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn api_token_with_user(
                &self,
                token_hash: &str,
            ) -> Result<Option<(ApiTokenRow, UserRow, WorkspaceRow)>> {
                let decode = |r: &_| with_user(r, token_row(&Prefixed(r, "c_")));
                sql::one_by(&self.pool, hot_sql(&TOKEN_SQL), [token_hash.to_owned()], decode).await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %account, user = %user)
            )]
            async fn code_view_read(
                &self,
                ws: WorkspaceId,
                account: AccountId,
                user: UserId,
                now_ms: i64,
                at_secs: i64,
            ) -> Result<Option<CodeViewRead>> {
                // One row per grant in force (none: one row with no role).
                let rows = sqlx::query(hot_sql(&CODE_VIEW_SQL))
                    .bind(ws.to_string())
                    .bind(account.to_string())
                    .bind(user.to_string())
                    .bind(now_ms)
                    .bind(at_secs)
                    .fetch_all(&self.pool)
                    .await?;
                let Some(first) = rows.first() else {
                    return Ok(None);
                };
                let acct = account_row(first)?;
                Ok(Some(hot_read(&rows, acct, at_secs)?))
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, account = %account)
            )]
            async fn code_view_for_credential(
                &self,
                kind: CredentialKind,
                token_hash: &str,
                account: AccountId,
                now_ms: i64,
                at_secs: i64,
            ) -> Result<Option<CredentialCodeView>> {
                let sql = match kind {
                    CredentialKind::Session => &SESSION_CODE_VIEW_SQL,
                    CredentialKind::ApiToken => &TOKEN_CODE_VIEW_SQL,
                };
                let rows = sqlx::query(hot_sql(sql))
                    .bind(token_hash)
                    .bind(account.to_string())
                    .bind(now_ms)
                    .bind(at_secs)
                    .fetch_all(&self.pool)
                    .await?;
                let Some(first) = rows.first() else {
                    return Ok(None);
                };
                let credential = match kind {
                    CredentialKind::Session => {
                        CredentialRow::Session(session_row(&Prefixed(first, "c_"))?)
                    }
                    CredentialKind::ApiToken => {
                        CredentialRow::ApiToken(token_row(&Prefixed(first, "c_"))?)
                    }
                };
                let user = user_row(first)?;
                let workspace = hot_workspace(first)?;
                let read = match hot_account(first)? {
                    Some(acct) => Some(hot_read(&rows, acct, at_secs)?),
                    None => None,
                };
                Ok(Some(CredentialCodeView {
                    credential,
                    user,
                    workspace,
                    read,
                }))
            }
        }
    };
}

impl_hot!(SqliteStore);
impl_hot!(PgStore);
