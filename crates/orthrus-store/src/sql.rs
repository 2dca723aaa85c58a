//! Helpers for the SQL both backends share. Each aggregate's file (`users.rs`,
//! `accounts.rs`, …) implements its trait for both backends with a small
//! macro, so each backend is typed (no `Any` driver) while every query is
//! written once; the row decoders are in `rows.rs`. Placeholders are `$n`,
//! which both SQLite and PostgreSQL accept.

use crate::{Result, StoreError};
use std::str::FromStr;

pub(crate) fn parse<T: FromStr>(s: &str, what: &str) -> Result<T> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("bad {what}: {s:?}")))
}

/// What a write to one identified row answers: `NotFound` when no row
/// matched (the id, or its workspace, is not there).
pub(crate) fn one_row(affected: u64) -> Result<()> {
    if affected == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
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
