//! OpenID Connect sign-in's rows: the flows in progress between the
//! redirect to the provider and its return (`sso_flows`, used once, so the
//! return may land on any node), and the provider accounts linked to users
//! (`sso_identities`).

use crate::sql::{self, conflict, parse, sql_fmt};
use crate::{PgStore, Result, SqliteStore};
use async_trait::async_trait;
use orthrus_core::{SessionId, Timestamp, UserId, WorkspaceId};
use sqlx::Row;

/// What a flow is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SsoFlowKind {
    /// Signing in through the browser.
    SignIn,
    /// A fresh authentication that elevates one session.
    StepUp,
    /// The command line's sign-in: the browser goes to the provider, the
    /// answer goes to the CLI's loopback address as a one-time code.
    Cli,
    /// That one-time code, waiting for the CLI to exchange it.
    CliCode,
    /// A browser sign-in the provider vouched for, waiting for the user's
    /// own TOTP code.
    TotpPending,
}

impl SsoFlowKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignIn => "sign_in",
            Self::StepUp => "step_up",
            Self::Cli => "cli",
            Self::CliCode => "cli_code",
            Self::TotpPending => "totp_pending",
        }
    }
}

impl std::str::FromStr for SsoFlowKind {
    type Err = ();
    fn from_str(s: &str) -> std::result::Result<Self, ()> {
        Ok(match s {
            "sign_in" => Self::SignIn,
            "step_up" => Self::StepUp,
            "cli" => Self::Cli,
            "cli_code" => Self::CliCode,
            "totp_pending" => Self::TotpPending,
            _ => return Err(()),
        })
    }
}

/// One flow in progress. Found by the keyed hash of its `state` (or of
/// the one-time code, for [`SsoFlowKind::CliCode`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsoFlowRow {
    pub id: String,
    pub key_hash: String,
    pub kind: SsoFlowKind,
    /// The `nonce` the ID token must carry ("" for a CLI code).
    pub nonce: String,
    /// The PKCE verifier, sealed (None for a CLI code).
    pub verifier: Option<Vec<u8>>,
    /// Keyed hash of the cookie that ties a browser sign-in to the browser
    /// that started it ("" when not tied to a browser).
    pub browser_hash: String,
    /// Step-up: the session to elevate and its user; CLI code: the user.
    pub workspace_id: Option<WorkspaceId>,
    pub user_id: Option<UserId>,
    pub session_id: Option<SessionId>,
    /// Where to go afterwards: a local path, or the CLI's loopback URL.
    pub return_to: String,
    /// The CLI's own PKCE challenge (S256), checked when it exchanges its code.
    pub client_challenge: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A provider account linked to an Orthrus user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsoIdentityRow {
    pub issuer: String,
    pub subject: String,
    pub workspace_id: WorkspaceId,
    pub user_id: UserId,
    /// The verified email it was linked by.
    pub email: String,
    pub created_at: Timestamp,
}

/// Storage of SSO sign-in, part of every [`crate::Store`].
#[async_trait]
pub trait SsoStore: Send + Sync {
    async fn insert_sso_flow(&self, f: &SsoFlowRow) -> Result<()>;
    /// Removes and returns the flow with this key: a flow is used once,
    /// whoever asks first (expired or not; the caller checks the time).
    async fn take_sso_flow(&self, key_hash: &str) -> Result<Option<SsoFlowRow>>;
    /// Deletes flows that expired before `before`; returns how many.
    async fn purge_sso_flows(&self, before: Timestamp) -> Result<u64>;
    async fn sso_identity(&self, issuer: &str, subject: &str) -> Result<Option<SsoIdentityRow>>;
    /// The user's link at `issuer`, if any.
    async fn sso_identity_of(&self, user: UserId, issuer: &str) -> Result<Option<SsoIdentityRow>>;
    /// Links a provider account; `Conflict` when that account or this
    /// user (at this issuer) is already linked.
    async fn link_sso_identity(&self, i: &SsoIdentityRow) -> Result<()>;
}

const FLOW_COLS: &str = "id, key_hash, kind, nonce, verifier, browser_hash, workspace_id, user_id, session_id, return_to, client_challenge, created_at, expires_at";
const IDENTITY_COLS: &str = "issuer, subject, workspace_id, user_id, email, created_at";

fn opt<T: std::str::FromStr>(v: Option<String>, what: &str) -> Result<Option<T>> {
    v.map(|s| parse(&s, what)).transpose()
}

macro_rules! impl_sso {
    ($store:ident, $row:ty) => {
        fn flow_row(r: &$row) -> Result<SsoFlowRow> {
            let kind: String = r.try_get("kind")?;
            Ok(SsoFlowRow {
                id: r.try_get("id")?,
                key_hash: r.try_get("key_hash")?,
                kind: parse(&kind, "kind")?,
                nonce: r.try_get("nonce")?,
                verifier: r.try_get("verifier")?,
                browser_hash: r.try_get("browser_hash")?,
                workspace_id: opt(r.try_get("workspace_id")?, "workspace_id")?,
                user_id: opt(r.try_get("user_id")?, "user_id")?,
                session_id: opt(r.try_get("session_id")?, "session_id")?,
                return_to: r.try_get("return_to")?,
                client_challenge: r.try_get("client_challenge")?,
                created_at: Timestamp(r.try_get("created_at")?),
                expires_at: Timestamp(r.try_get("expires_at")?),
            })
        }
        fn identity_row(r: &$row) -> Result<SsoIdentityRow> {
            Ok(SsoIdentityRow {
                issuer: r.try_get("issuer")?,
                subject: r.try_get("subject")?,
                workspace_id: parse(&r.try_get::<String, _>("workspace_id")?, "workspace_id")?,
                user_id: parse(&r.try_get::<String, _>("user_id")?, "user_id")?,
                email: r.try_get("email")?,
                created_at: Timestamp(r.try_get("created_at")?),
            })
        }

        #[async_trait]
        impl SsoStore for $store {
            #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn insert_sso_flow(&self, f: &SsoFlowRow) -> Result<()> {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO sso_flows ({FLOW_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
                )))
                .bind(&f.id)
                .bind(&f.key_hash)
                .bind(f.kind.as_str())
                .bind(&f.nonce)
                .bind(&f.verifier)
                .bind(&f.browser_hash)
                .bind(f.workspace_id.map(|w| w.to_string()))
                .bind(f.user_id.map(|u| u.to_string()))
                .bind(f.session_id.map(|s| s.to_string()))
                .bind(&f.return_to)
                .bind(&f.client_challenge)
                .bind(f.created_at.0)
                .bind(f.expires_at.0)
                .execute(&self.pool)
                .await
                .map_err(|e| conflict(e, "sso flow"))?;
                Ok(())
            }

            #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn take_sso_flow(&self, key_hash: &str) -> Result<Option<SsoFlowRow>> {
                let take = sql_fmt!("DELETE FROM sso_flows WHERE key_hash = $1 RETURNING {FLOW_COLS}");
                sql::one_by(&self.pool, take, [key_hash.to_owned()], flow_row).await
            }

            #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn purge_sso_flows(&self, before: Timestamp) -> Result<u64> {
                let delete = "DELETE FROM sso_flows WHERE expires_at < $1";
                sql::execute(&self.pool, delete, [], |query| query.bind(before.0)).await
            }

            #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn sso_identity(
                &self,
                issuer: &str,
                subject: &str,
            ) -> Result<Option<SsoIdentityRow>> {
                let select = sql_fmt!(
                    "SELECT {IDENTITY_COLS} FROM sso_identities WHERE issuer = $1 AND subject = $2"
                );
                let keys = [issuer.to_owned(), subject.to_owned()];
                sql::one_by(&self.pool, select, keys, identity_row).await
            }

            #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, user = %user))]
            async fn sso_identity_of(
                &self,
                user: UserId,
                issuer: &str,
            ) -> Result<Option<SsoIdentityRow>> {
                let select = sql_fmt!(
                    "SELECT {IDENTITY_COLS} FROM sso_identities WHERE user_id = $1 AND issuer = $2"
                );
                let keys = [user.to_string(), issuer.to_owned()];
                sql::one_by(&self.pool, select, keys, identity_row).await
            }

            #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn link_sso_identity(&self, i: &SsoIdentityRow) -> Result<()> {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO sso_identities ({IDENTITY_COLS}) VALUES ($1, $2, $3, $4, $5, $6)"
                )))
                .bind(&i.issuer)
                .bind(&i.subject)
                .bind(i.workspace_id.to_string())
                .bind(i.user_id.to_string())
                .bind(&i.email)
                .bind(i.created_at.0)
                .execute(&self.pool)
                .await
                .map_err(|e| conflict(e, "this provider account or user is already linked"))?;
                Ok(())
            }
        }
    };
}

mod sqlite_impl {
    use super::*;
    impl_sso!(SqliteStore, sqlx::sqlite::SqliteRow);
}

mod postgres_impl {
    use super::*;
    impl_sso!(PgStore, sqlx::postgres::PgRow);
}
