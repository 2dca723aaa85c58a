//! Helpers for the SQL both backends share. Each aggregate's file (`users.rs`,
//! `accounts.rs`, …) implements its trait for both backends with a small
//! macro, so each backend is typed (no `Any` driver) while every query is
//! written once; the row decoders are in `rows.rs`. Placeholders are `$n`,
//! which both SQLite and PostgreSQL accept.

use crate::rows::Decoded;
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

/// A query of backend `DB`, as `sqlx::query` makes it, for the `bind`
/// closures the helpers below take for their extra parameters.
pub(crate) type Query<'q, DB> = sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>;

/// What the helpers below need of a backend: a query with its leading
/// parameters bound, and how many rows a write changed.
pub(crate) trait Backend:
    sqlx::Database<Arguments: sqlx::IntoArguments<Self>, Row: Decoded>
{
    /// `sql` with `keys` bound as its first parameters, in order.
    fn keyed<'q, const N: usize>(sql: impl sqlx::SqlSafeStr, keys: [String; N]) -> Query<'q, Self>;
    /// `query` with `key` bound as its next parameter.
    fn bind_key<'q>(query: Query<'q, Self>, key: String) -> Query<'q, Self>;
    /// How many rows a write changed.
    fn affected(done: &Self::QueryResult) -> u64;
}

macro_rules! backend {
    ($db:ty) => {
        impl Backend for $db {
            fn keyed<'q, const N: usize>(
                sql: impl sqlx::SqlSafeStr,
                keys: [String; N],
            ) -> Query<'q, Self> {
                keys.into_iter().fold(sqlx::query(sql), Self::bind_key)
            }

            fn bind_key<'q>(query: Query<'q, Self>, key: String) -> Query<'q, Self> {
                query.bind(key)
            }

            fn affected(done: &Self::QueryResult) -> u64 {
                done.rows_affected()
            }
        }
    };
}
backend!(sqlx::Sqlite);
backend!(sqlx::Postgres);

/// `query` with `key` bound as its next parameter when there is one: the
/// id of a filter (`AND team_id = $2`) that a list has only when it is
/// given, passed as the `bind` of [`all_with`] and the like.
pub(crate) fn bind_some<'q, DB: Backend>(
    query: Query<'q, DB>,
    key: Option<impl std::fmt::Display>,
) -> Query<'q, DB> {
    match key {
        Some(k) => DB::bind_key(query, k.to_string()),
        None => query,
    }
}

/// The row of `table` (its columns `cols`) with this id in this
/// workspace, decoded; `None` when there is none. `table` and `cols` are
/// constants, never input.
pub(crate) async fn by_id<'c, DB: Backend, T>(
    e: impl sqlx::Executor<'c, Database = DB>,
    table: &'static str,
    cols: &'static str,
    ws: impl std::fmt::Display,
    id: impl std::fmt::Display,
    decode: impl Fn(&DB::Row) -> Result<T>,
) -> Result<Option<T>> {
    let select = sql_fmt!("SELECT {cols} FROM {table} WHERE workspace_id = $1 AND id = $2");
    one_by(e, select, [ws.to_string(), id.to_string()], decode).await
}

/// The row a constant statement (a `SELECT`, or a write with `RETURNING`)
/// whose only parameters are `keys` (ids, in order) answers, decoded;
/// `None` when there is none.
pub(crate) async fn one_by<'c, DB: Backend, T, const N: usize>(
    e: impl sqlx::Executor<'c, Database = DB>,
    select: impl sqlx::SqlSafeStr,
    keys: [String; N],
    decode: impl Fn(&DB::Row) -> Result<T>,
) -> Result<Option<T>> {
    one_with(e, select, keys, |query| query, decode).await
}

/// [`one_by`] whose parameters after `keys` come from `bind`.
pub(crate) async fn one_with<'c, 'q, DB: Backend, T, const N: usize>(
    e: impl sqlx::Executor<'c, Database = DB>,
    select: impl sqlx::SqlSafeStr,
    keys: [String; N],
    bind: impl FnOnce(Query<'q, DB>) -> Query<'q, DB>,
    decode: impl Fn(&DB::Row) -> Result<T>,
) -> Result<Option<T>> {
    let row = bind(DB::keyed(select, keys)).fetch_optional(e).await?;
    row.as_ref().map(decode).transpose()
}

/// Every row such a statement answers, decoded, in its order.
pub(crate) async fn all_by<'c, DB: Backend, T, const N: usize>(
    e: impl sqlx::Executor<'c, Database = DB>,
    select: impl sqlx::SqlSafeStr,
    keys: [String; N],
    decode: impl Fn(&DB::Row) -> Result<T>,
) -> Result<Vec<T>> {
    all_with(e, select, keys, |query| query, decode).await
}

/// [`all_by`] whose parameters after `keys` come from `bind`.
pub(crate) async fn all_with<'c, 'q, DB: Backend, T, const N: usize>(
    e: impl sqlx::Executor<'c, Database = DB>,
    select: impl sqlx::SqlSafeStr,
    keys: [String; N],
    bind: impl FnOnce(Query<'q, DB>) -> Query<'q, DB>,
    decode: impl Fn(&DB::Row) -> Result<T>,
) -> Result<Vec<T>> {
    let rows = bind(DB::keyed(select, keys)).fetch_all(e).await?;
    rows.iter().map(decode).collect()
}

/// The count `n` that a constant `SELECT COUNT(*) AS n …` answers, its
/// parameters `keys` and then those from `bind`.
pub(crate) async fn count<'c, 'q, DB: Backend, const N: usize>(
    e: impl sqlx::Executor<'c, Database = DB>,
    select: impl sqlx::SqlSafeStr,
    keys: [String; N],
    bind: impl FnOnce(Query<'q, DB>) -> Query<'q, DB>,
) -> Result<i64> {
    let row = bind(DB::keyed(select, keys)).fetch_one(e).await?;
    row.field("n")
}

/// Runs a constant write whose first parameters are `keys` (ids, in order)
/// and the rest come from `bind`; how many rows it changed.
pub(crate) async fn execute<'c, 'q, DB: Backend, const N: usize>(
    e: impl sqlx::Executor<'c, Database = DB>,
    sql: impl sqlx::SqlSafeStr,
    keys: [String; N],
    bind: impl FnOnce(Query<'q, DB>) -> Query<'q, DB>,
) -> Result<u64> {
    let done = bind(DB::keyed(sql, keys)).execute(e).await?;
    Ok(DB::affected(&done))
}

/// [`execute`] for a write a unique constraint may refuse: `Conflict`
/// saying `what` then.
pub(crate) async fn execute_unique<'c, 'q, DB: Backend, const N: usize>(
    e: impl sqlx::Executor<'c, Database = DB>,
    sql: impl sqlx::SqlSafeStr,
    keys: [String; N],
    what: &str,
    bind: impl FnOnce(Query<'q, DB>) -> Query<'q, DB>,
) -> Result<u64> {
    let done = bind(DB::keyed(sql, keys))
        .execute(e)
        .await
        .map_err(|err| conflict(err, what))?;
    Ok(DB::affected(&done))
}

/// [`execute`] for a write whose count does not matter.
pub(crate) async fn run<'c, 'q, DB: Backend, const N: usize>(
    e: impl sqlx::Executor<'c, Database = DB>,
    sql: impl sqlx::SqlSafeStr,
    keys: [String; N],
    bind: impl FnOnce(Query<'q, DB>) -> Query<'q, DB>,
) -> Result<()> {
    execute(e, sql, keys, bind).await?;
    Ok(())
}

/// [`execute`] for a write that should change exactly one row (a
/// conditional update, an insert that may do nothing): whether it did.
pub(crate) async fn changed_one<'c, 'q, DB: Backend, const N: usize>(
    e: impl sqlx::Executor<'c, Database = DB>,
    sql: impl sqlx::SqlSafeStr,
    keys: [String; N],
    bind: impl FnOnce(Query<'q, DB>) -> Query<'q, DB>,
) -> Result<bool> {
    Ok(execute(e, sql, keys, bind).await? == 1)
}

/// [`execute`] with no parameters but `keys`.
pub(crate) async fn write<'c, DB: Backend, const N: usize>(
    e: impl sqlx::Executor<'c, Database = DB>,
    sql: impl sqlx::SqlSafeStr,
    keys: [String; N],
) -> Result<u64> {
    execute(e, sql, keys, |query| query).await
}

/// Deletes the row of `table` with this id in this workspace; how many
/// rows went (0 or 1). `table` is a constant, never input.
pub(crate) async fn delete_by_id<'c, DB: Backend>(
    e: impl sqlx::Executor<'c, Database = DB>,
    table: &'static str,
    ws: impl std::fmt::Display,
    id: impl std::fmt::Display,
) -> Result<u64> {
    let sql = sql_fmt!("DELETE FROM {table} WHERE workspace_id = $1 AND id = $2");
    write(e, sql, [ws.to_string(), id.to_string()]).await
}

/// `UPDATE table SET set WHERE workspace_id = $1 AND id = $2`, where `set`
/// (a constant such as `"role = $3, updated_at = $4"`) takes its values
/// from `bind`; how many rows changed (0 or 1).
pub(crate) async fn set_by_id<'c, 'q, DB: Backend>(
    e: impl sqlx::Executor<'c, Database = DB>,
    table: &'static str,
    set: &'static str,
    ws: impl std::fmt::Display,
    id: impl std::fmt::Display,
    bind: impl FnOnce(Query<'q, DB>) -> Query<'q, DB>,
) -> Result<u64> {
    let sql = sql_fmt!("UPDATE {table} SET {set} WHERE workspace_id = $1 AND id = $2");
    execute(e, sql, [ws.to_string(), id.to_string()], bind).await
}

/// Stores a sealed value (`$3`, as of `$4` in column `at`) in `table`'s
/// row for row `$1` of `owner`, only when that row is in workspace `$2`:
/// the value is keyed by `key` alone, so an unchecked upsert through
/// another workspace would overwrite it. The stored row takes the owner's
/// workspace and replaces the one before. All names are constants.
pub(crate) fn sealed_upsert(
    table: &'static str,
    key: &'static str,
    at: &'static str,
    owner: &'static str,
) -> sqlx::AssertSqlSafe<String> {
    sql_fmt!(
        r#"
        INSERT INTO {table} ({key}, workspace_id, sealed, {at})
        SELECT id, workspace_id, $3, $4
        FROM {owner}
        WHERE workspace_id = $2 AND id = $1
        ON CONFLICT ({key})
        DO UPDATE SET workspace_id = excluded.workspace_id,
            sealed = excluded.sealed,
            {at} = excluded.{at}
        "#
    )
}

/// The grants of `user` still in force at `now` (both placeholders, such as
/// `"$3"`), one row each (`account_id`, `role`): their own memberships and
/// their teams' grants. Every query that decides access joins it, so they
/// all count the same grants.
pub(crate) fn grants_in_force(user: &str, now: &str) -> String {
    format!(
        r#"(
            SELECT account_id, role
            FROM account_members
            WHERE user_id = {user} AND (expires_at IS NULL OR expires_at > {now})
            UNION ALL
            SELECT tg.account_id, tg.role
            FROM team_grants tg
            JOIN team_members tm ON tm.team_id = tg.team_id
            WHERE tm.user_id = {user}
        )"#
    )
}
