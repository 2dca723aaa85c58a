//! Passkey ceremonies between their start and their finish
//! (`passkey_ceremonies`): the webauthn-rs state of a registration or a
//! step-up, sealed, one per session and purpose. Kept in the database so
//! that the finish may land on any node; taken once, and only before it
//! expires.

use crate::sql::{self, parse};
use crate::{PgStore, Result, SqliteStore};
use async_trait::async_trait;
use orthrus_core::{SessionId, Timestamp};
use sqlx::Row;

/// What a ceremony is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CeremonyPurpose {
    /// Registering a new passkey.
    Register,
    /// Confirming identity with a passkey (step-up).
    StepUp,
}

impl CeremonyPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::StepUp => "step_up",
        }
    }
}

impl std::str::FromStr for CeremonyPurpose {
    type Err = ();
    fn from_str(s: &str) -> std::result::Result<Self, ()> {
        Ok(match s {
            "register" => Self::Register,
            "step_up" => Self::StepUp,
            _ => return Err(()),
        })
    }
}

/// One ceremony in progress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CeremonyRow {
    pub session_id: SessionId,
    pub purpose: CeremonyPurpose,
    /// The serialized webauthn-rs state, sealed (AAD record
    /// `<session id>:<purpose>`).
    pub sealed: Vec<u8>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// Storage of passkey ceremonies, part of every [`crate::Store`].
#[async_trait]
pub trait CeremonyStore: Send + Sync {
    /// Stores a ceremony, replacing the session's earlier one for the same
    /// purpose (starting again abandons the first).
    async fn put_passkey_ceremony(&self, c: &CeremonyRow) -> Result<()>;
    /// Removes and returns the session's ceremony for `purpose` if it has
    /// not expired at `now`: whoever asks first gets it; an expired one is
    /// left for [`CeremonyStore::purge_passkey_ceremonies`].
    async fn take_passkey_ceremony(
        &self,
        session: SessionId,
        purpose: CeremonyPurpose,
        now: Timestamp,
    ) -> Result<Option<CeremonyRow>>;
    /// Deletes ceremonies that expired before `before`; returns how many.
    async fn purge_passkey_ceremonies(&self, before: Timestamp) -> Result<u64>;
}

const COLS: &str = "session_id, purpose, sealed, created_at, expires_at";

macro_rules! impl_ceremonies {
    ($store:ident, $row:ty) => {
        fn ceremony_row(r: &$row) -> Result<CeremonyRow> {
            Ok(CeremonyRow {
                session_id: parse(&r.try_get::<String, _>("session_id")?, "session_id")?,
                purpose: parse(&r.try_get::<String, _>("purpose")?, "purpose")?,
                sealed: r.try_get("sealed")?,
                created_at: Timestamp(r.try_get("created_at")?),
                expires_at: Timestamp(r.try_get("expires_at")?),
            })
        }

        #[async_trait]
        impl CeremonyStore for $store {
            #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn put_passkey_ceremony(&self, c: &CeremonyRow) -> Result<()> {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO passkey_ceremonies ({COLS}) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (session_id, purpose) DO UPDATE SET sealed = excluded.sealed, created_at = excluded.created_at, expires_at = excluded.expires_at"
                )))
                .bind(c.session_id.to_string())
                .bind(c.purpose.as_str())
                .bind(&c.sealed)
                .bind(c.created_at.0)
                .bind(c.expires_at.0)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, session = %session))]
            async fn take_passkey_ceremony(
                &self,
                session: SessionId,
                purpose: CeremonyPurpose,
                now: Timestamp,
            ) -> Result<Option<CeremonyRow>> {
                let take = sqlx::AssertSqlSafe(format!(
                    "DELETE FROM passkey_ceremonies WHERE session_id = $1 AND purpose = $2 AND expires_at > $3 RETURNING {COLS}"
                ));
                let keys = [session.to_string(), purpose.as_str().to_owned()];
                sql::one_with(&self.pool, take, keys, |query| query.bind(now.0), ceremony_row).await
            }

            #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn purge_passkey_ceremonies(&self, before: Timestamp) -> Result<u64> {
                let delete = "DELETE FROM passkey_ceremonies WHERE expires_at <= $1";
                sql::execute(&self.pool, delete, [], |query| query.bind(before.0)).await
            }
        }
    };
}

mod sqlite_impl {
    use super::*;
    impl_ceremonies!(SqliteStore, sqlx::sqlite::SqliteRow);
}

mod postgres_impl {
    use super::*;
    impl_ceremonies!(PgStore, sqlx::postgres::PgRow);
}
