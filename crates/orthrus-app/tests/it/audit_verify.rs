//! `verify_audit` on a log edited by hand: a column edited into a value no
//! append writes (an unknown outcome, detail that is not JSON, a time that
//! is not one) is reported as tampering with that event, like any other
//! edit, never an error; the untouched log verifies intact.

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
            "CREATE TABLE audit_copy AS SELECT * FROM audit_events",
        )
        .await
        .unwrap();
        // (column, its new value, what the report says)
        let mut edits = vec![
            (
                "outcome",
                "'evil'",
                format!("event #{n} cannot be read: outcome holds \"evil\""),
            ),
            (
                "action",
                "'no.such.action'",
                format!("event #{n} (no.such.action) was altered"),
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
                "'10.9.8.7'",
                format!("event #{n} ({action}) was altered"),
            ),
        ];
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
        }
        for (column, value, said) in edits {
            execute(
                &t.url,
                &format!("UPDATE audit_events SET {column} = {value} WHERE seq = {n}"),
            )
            .await
            .unwrap();
            let report = t.app.verify_audit().await.unwrap_or_else(|e| {
                panic!("{backend}: {column} = {value}: an error, not a report: {e}")
            });
            assert!(!report.ok(), "{backend}: {column} = {value}");
            assert!(
                report.problems.iter().any(|p| p.contains(&said)),
                "{backend}: {column} = {value}: {:?}",
                report.problems
            );
            let undo = format!(
                "UPDATE audit_events SET {column} = \
                 (SELECT c.{column} FROM audit_copy c WHERE c.hash = audit_events.hash)"
            );
            execute(&t.url, &undo).await.unwrap();
        }
        let intact = t.app.verify_audit().await.unwrap();
        assert!(intact.ok(), "{backend}: {:?}", intact.problems);
    }
}
