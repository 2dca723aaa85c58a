//! The audit tables' decoders: `audit_row` for listing, and for the
//! verifier `audit_link` and `audit_head`, which read a row edited by hand
//! into one no append writes as an [`UnreadableColumn`] naming the column
//! and what it holds ([`holds`]), never as an error.

use super::{Col, Decoded, id, ts};
use crate::audit::{AuditLink, UnreadableAuditEvent, UnreadableColumn};
use crate::models::*;
use crate::sql::parse;
use crate::{AuditHead, Result, StoreError};
use orthrus_core::Timestamp;

pub(crate) fn audit_row<R: Decoded>(r: &R) -> Result<AuditEventRow> {
    let actor: Option<String> = r.field("actor_id")?;
    let detail: String = r.field("detail")?;
    Ok(AuditEventRow {
        workspace_id: id(r, "workspace_id")?,
        seq: r.field("seq")?,
        event: NewAuditEvent {
            id: id(r, "id")?,
            at: ts(r, "at")?,
            actor_id: actor.map(|a| parse(&a, "actor_id")).transpose()?,
            actor_email: r.field("actor_email")?,
            action: r.field("action")?,
            target_type: r.field("target_type")?,
            target_id: r.field("target_id")?,
            ip: r.field("ip")?,
            outcome: parse(&r.field::<String>("outcome")?, "audit outcome")?,
            detail: serde_json::from_str(&detail)
                .map_err(|e| StoreError::Corrupt(format!("audit detail: {e}")))?,
        },
        prev_hash: r.field("prev_hash")?,
        hash: r.field("hash")?,
    })
}

/// `audit_row` for the verifier: every column read as the log writes it
/// (ids and the detail in the exact spelling an append stores, the
/// outcome one of its words), and otherwise the first column that is not,
/// with what it holds: such a row was edited by hand.
pub(crate) fn audit_link<R: Decoded>(r: &R) -> AuditLink {
    let seq = written(r, "seq", Some);
    let hash = written(r, "hash", Some);
    let row = || -> std::result::Result<AuditEventRow, UnreadableColumn> {
        Ok(AuditEventRow {
            workspace_id: written(r, "workspace_id", spelled)?,
            seq: seq.clone()?,
            event: NewAuditEvent {
                id: written(r, "id", spelled)?,
                at: written(r, "at", |ms| Some(Timestamp(ms)))?,
                actor_id: written(r, "actor_id", |a: Option<String>| match a {
                    Some(a) => spelled(a).map(Some),
                    None => Some(None),
                })?,
                actor_email: written(r, "actor_email", Some)?,
                action: written(r, "action", Some)?,
                target_type: written(r, "target_type", Some)?,
                target_id: written(r, "target_id", Some)?,
                ip: written(r, "ip", Some)?,
                outcome: written(r, "outcome", |o: String| o.parse().ok())?,
                detail: written(r, "detail", json_as_written)?,
            },
            prev_hash: written(r, "prev_hash", Some)?,
            hash: hash.clone()?,
        })
    };
    row().map_err(|column| UnreadableAuditEvent {
        seq: seq.ok(),
        hash: hash.ok(),
        column,
    })
}

/// Column `col` decoded as `S` and turned by `read` into what the log
/// writes, or (when either fails) what it holds instead.
fn written<R: Decoded, S: Col, T>(
    r: &R,
    col: &'static str,
    read: impl FnOnce(S) -> Option<T>,
) -> std::result::Result<T, UnreadableColumn> {
    r.field::<S>(col)
        .ok()
        .and_then(read)
        .ok_or_else(|| UnreadableColumn {
            column: col,
            holds: holds(r, col),
        })
}

/// `d` parsed, if it is the exact JSON text an append writes for its
/// value (compact, as `Value`'s `Display` gives it).
fn json_as_written(d: String) -> Option<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_str(&d).ok()?;
    (serde_json::to_string(&v).ok()? == d).then_some(v)
}

/// `s` parsed, if it is the exact spelling the value displays as (an id
/// in another case or form is not what was written).
fn spelled<T: std::str::FromStr + std::fmt::Display>(s: String) -> Option<T> {
    s.parse().ok().filter(|v: &T| v.to_string() == s)
}

/// The chain head as an append writes it (`seq` an integer, `hash` and
/// `mac` text), or the first column that is not, with what it holds.
pub(crate) fn audit_head<R: Decoded>(r: &R) -> std::result::Result<AuditHead, UnreadableColumn> {
    Ok(AuditHead {
        seq: written(r, "seq", Some)?,
        hash: written(r, "hash", Some)?,
        mac: written(r, "mac", Some)?,
    })
}

/// What column `col` holds, spelled for a report of a value no write
/// stores: text quoted (its first 60 characters), a number as it is,
/// `NULL`, or the length of binary data.
pub(crate) fn holds<R: Decoded>(r: &R, col: &str) -> String {
    if let Ok(v) = r.field::<Option<String>>(col) {
        return v.map_or_else(|| "NULL".to_owned(), |s| quoted(&s));
    }
    if let Ok(n) = r.field::<i64>(col) {
        return n.to_string();
    }
    if let Ok(x) = r.field::<f64>(col) {
        return x.to_string();
    }
    match r.field::<Vec<u8>>(col) {
        Ok(b) if b.len() == 1 => "1 byte of binary data".to_owned(),
        Ok(b) => format!("{} bytes of binary data", b.len()),
        Err(_) => "a value of another type".to_owned(),
    }
}

/// `s` quoted and escaped (Rust's debug form: controls and the like
/// written as escapes), cut after 60 characters: a stored text a hand edit
/// may have filled with anything, spelled for a report.
pub fn quoted(s: &str) -> String {
    const SHOWN: usize = 60;
    match s.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{:?}…", &s[..cut]),
        None => format!("{s:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::{holds, quoted};
    use sqlx::Connection;

    #[test]
    fn quoted_escapes_and_cuts_after_sixty_characters() {
        assert_eq!(quoted("evil"), "\"evil\"");
        assert_eq!(quoted("a\u{1b}[2J\u{9b}"), "\"a\\u{1b}[2J\\u{9b}\"");
        let long = "x".repeat(61);
        assert_eq!(quoted(&long), format!("{:?}…", "x".repeat(60)));
        assert_eq!(quoted(&"x".repeat(60)), format!("{:?}", "x".repeat(60)));
    }

    #[tokio::test]
    async fn holds_spells_each_kind_of_value() {
        let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .unwrap();
        let row = sqlx::query(
            "SELECT 'evil' AS t, NULL AS n, 12 AS i, 1.5 AS f, X'00' AS one, X'0000' AS two",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        for (col, said) in [
            ("t", "\"evil\""),
            ("n", "NULL"),
            ("i", "12"),
            ("f", "1.5"),
            ("one", "1 byte of binary data"),
            ("two", "2 bytes of binary data"),
        ] {
            assert_eq!(holds(&row, col), said, "{col}");
        }
        conn.close().await.unwrap();
    }
}
