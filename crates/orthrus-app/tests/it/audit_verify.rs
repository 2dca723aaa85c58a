//! `verify_audit` on a log edited by hand: a column edited into a value no
//! append writes (an unknown outcome, detail that is not JSON, a time that
//! is not one, text in the chain head's number) is reported as tampering
//! with that event or head, like any other edit, never an error or a panic
//! (an event number of `i64::MAX` included); the untouched log verifies
//! intact.

use crate::TestApp;
use crate::support::{create_account, sandbox_account};
use orthrus_store::testing::execute;

#[tokio::test]
async fn every_hand_edit_of_an_audit_row_is_reported_as_tampering() {
    for t in TestApp::all("auditverify").await {
        for label in ["A", "B", "C"] {
            let new = sandbox_account(label, "http://127.0.0.1:9/accounts/login");
            create_account(&t.app, &t.owner, new).await;
        }
        let backend = t.app.store().backend();
        let intact = t.app.verify_audit().await.unwrap();
        assert!(intact.ok(), "{backend}: {:?}", intact.problems);
        let newest = t
            .app
            .list_audit(
                &t.owner,
                &orthrus_app::AuditQuery {
                    limit: Some(1),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .remove(0);
        let (n, action) = (newest.seq, newest.action);
        execute(
            &t.url,
            "CREATE TABLE audit_copy AS SELECT * FROM audit_events; \
             CREATE TABLE heads_copy AS SELECT * FROM audit_heads",
        )
        .await
        .unwrap();
        // (column of audit_events, its new value, what the report says)
        let mut edits = vec![
            (
                "outcome",
                "'evil'",
                format!("event #{n} cannot be read: outcome holds \"evil\""),
            ),
            (
                "action",
                "'no.such.action'",
                format!("event #{n} (\"no.such.action\") was altered"),
            ),
            (
                "target_type",
                "'nothing'",
                format!("event #{n} ({action}) was altered"),
            ),
            (
                "detail",
                "'{not json'",
                format!("event #{n} cannot be read: detail holds \"{{not json\""),
            ),
            (
                "detail",
                "detail || ' '",
                format!("event #{n} cannot be read: detail holds "),
            ),
            (
                "id",
                "upper(id)",
                format!("event #{n} cannot be read: id holds "),
            ),
            (
                "actor_id",
                "'nobody'",
                format!("event #{n} cannot be read: actor_id holds \"nobody\""),
            ),
            (
                "ip",
                "'127.0.0.2'",
                format!("event #{n} ({action}) was altered"),
            ),
            (
                "seq",
                "9223372036854775807",
                format!("event #{n} is missing (next is #9223372036854775807)"),
            ),
            (
                "seq",
                "-1",
                "event #-1 is out of order (it comes after #0)".to_owned(),
            ),
        ];
        // (column of audit_heads, its new value, what the report says)
        let mut head_edits = vec![("mac", "'0000'", "the chain head was rewritten".to_owned())];
        if backend == "sqlite" {
            // SQLite keeps text in its INTEGER columns.
            edits.push((
                "at",
                "'garbage'",
                format!("event #{n} cannot be read: at holds \"garbage\""),
            ));
            edits.push((
                "seq",
                "'x'",
                format!("an event after #{} cannot be read: seq holds \"x\"", n - 1),
            ));
            // And anything in the head's columns.
            for (column, value, holds) in [
                ("seq", "'x'", "\"x\""),
                ("seq", "1.5", "1.5"),
                ("hash", "X'00'", "1 byte of binary data"),
                ("mac", "X'00'", "1 byte of binary data"),
            ] {
                let said = format!("the chain head cannot be read: {column} holds {holds}");
                head_edits.push((column, value, said));
            }
        }
        let edits = edits.into_iter().map(|(c, v, s)| ("audit_events", c, v, s));
        let head_edits = head_edits
            .into_iter()
            .map(|(c, v, s)| ("audit_heads", c, v, s));
        for (table, column, value, said) in edits.chain(head_edits) {
            let edit = match table {
                "audit_events" => format!("UPDATE {table} SET {column} = {value} WHERE seq = {n}"),
                _ => format!("UPDATE {table} SET {column} = {value}"),
            };
            execute(&t.url, &edit).await.unwrap();
            let report = t
                .app
                .verify_audit()
                .await
                .unwrap_or_else(|e| panic!("{backend}: {edit}: an error, not a report: {e}"));
            assert!(!report.ok(), "{backend}: {edit}");
            assert!(
                report.problems.iter().any(|p| p.contains(&said)),
                "{backend}: {edit}: {:?}",
                report.problems
            );
            let undo = match table {
                "audit_events" => format!(
                    "UPDATE audit_events SET {column} = \
                     (SELECT c.{column} FROM audit_copy c WHERE c.hash = audit_events.hash)"
                ),
                _ => format!(
                    "UPDATE audit_heads SET {column} = (SELECT c.{column} FROM heads_copy c \
                     WHERE c.workspace_id = audit_heads.workspace_id)"
                ),
            };
            execute(&t.url, &undo).await.unwrap();
        }
        let intact = t.app.verify_audit().await.unwrap();
        assert!(intact.ok(), "{backend}: {:?}", intact.problems);
    }
}
