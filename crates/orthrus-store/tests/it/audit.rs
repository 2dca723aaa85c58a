//! The audit chain: events appended in order with their hashes and head
//! MAC, filtered when read, one chain kept under concurrent appends, and
//! rows (and the chain head) edited by hand read for the verifier as
//! unreadable, not an error.

use super::fixtures::*;
use super::*;

#[tokio::test]
async fn audit_chain_appends_in_order_and_filters() {
    for s in backends("audit").await.stores {
        let (c, ws) = bare_workspace(s.as_ref()).await;
        let chain = |prev: &str, seq: i64, e: &NewAuditEvent| ChainLink {
            hash: format!("{prev}:{seq}:{}", e.action)
                .chars()
                .rev()
                .take(64)
                .collect::<String>(),
            head_mac: format!("mac{seq}"),
        };
        let mut appended = Vec::new();
        for i in 0..5 {
            c.advance_secs(1);
            let e = NewAuditEvent {
                id: EventId::new(&c, &OsEntropy),
                at: c.now(),
                actor_id: None,
                actor_email: Some("a@acme.test".into()),
                action: if i % 2 == 0 {
                    "login.success".into()
                } else {
                    "account.reveal".into()
                },
                target_type: Some("account".into()),
                target_id: Some(format!("t{i}")),
                ip: Some("127.0.0.1".into()),
                outcome: AuditOutcome::Success,
                detail: serde_json::json!({"i": i}),
            };
            appended.push(s.append_audit(ws.id, &e, &chain).await.unwrap());
        }
        assert_eq!(
            appended.iter().map(|e| e.seq).collect::<Vec<_>>(),
            vec![1, 2, 3, 4, 5]
        );
        assert_eq!(appended[0].prev_hash, GENESIS_HASH);
        assert_eq!(appended[1].prev_hash, appended[0].hash);
        assert_eq!(s.audit_chain(ws.id).await.unwrap(), appended);
        assert_eq!(
            s.audit_head(ws.id).await.unwrap(),
            Some(AuditHead {
                seq: 5,
                hash: appended[4].hash.clone(),
                mac: "mac5".into()
            })
        );
        let logins = s
            .list_audit(
                ws.id,
                &AuditFilter {
                    action: Some("login.success".into()),
                    limit: 10,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            logins.iter().map(|e| e.seq).collect::<Vec<_>>(),
            vec![5, 3, 1]
        );
        let page = s
            .list_audit(
                ws.id,
                &AuditFilter {
                    before_seq: Some(4),
                    limit: 2,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![3, 2]);
        let window = s
            .list_audit(
                ws.id,
                &AuditFilter {
                    since: Some(appended[1].event.at),
                    until: Some(appended[2].event.at),
                    target_id: Some("t2".into()),
                    limit: 10,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(window.len(), 1);
        assert_eq!(window[0].event.detail, serde_json::json!({"i": 2}));
    }
}

#[tokio::test]
async fn concurrent_audit_appends_keep_one_chain() {
    for s in backends("auditconc").await.stores {
        let (c, ws) = bare_workspace(s.as_ref()).await;
        let mut tasks = Vec::new();
        for i in 0..20 {
            let s = Arc::clone(&s);
            let c = c.clone();
            tasks.push(tokio::spawn(async move {
                let chain = |prev: &str, seq: i64, _: &NewAuditEvent| ChainLink {
                    hash: format!("{seq}-{}", &prev[..prev.len().min(8)]),
                    head_mac: String::new(),
                };
                let e = audit_event(&c, format!("a{i}"), serde_json::json!({}));
                s.append_audit(ws.id, &e, &chain).await.unwrap()
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let all = s.audit_chain(ws.id).await.unwrap();
        assert_eq!(all.len(), 20);
        for w in all.windows(2) {
            assert_eq!(w[1].prev_hash, w[0].hash, "{}", s.backend());
        }
    }
}

#[tokio::test]
async fn hand_edited_audit_rows_read_as_unreadable_links() {
    let b = backends("auditedit").await;
    for (s, url) in b.stores.iter().zip(&b.urls) {
        let (c, ws) = bare_workspace(s.as_ref()).await;
        let chain = |_: &str, seq: i64, _: &NewAuditEvent| ChainLink {
            hash: format!("h{seq}"),
            head_mac: String::new(),
        };
        let mut appended = Vec::new();
        for i in 0..8 {
            let mut e = audit_event(&c, format!("a{i}"), serde_json::json!({"i": i}));
            e.actor_id = Some(UserId::new(&c, &OsEntropy));
            appended.push(s.append_audit(ws.id, &e, &chain).await.unwrap());
        }
        let sqlite = s.backend() == "sqlite";
        let quoted = |v: String| format!("{v:?}");
        // (seq, SET clause, the column reported, what it is said to hold)
        let mut edits = vec![
            (1, "outcome = 'evil'", "outcome", quoted("evil".into())),
            (
                2,
                "detail = '{not json'",
                "detail",
                quoted("{not json".into()),
            ),
            // Valid JSON, but not the spelling an append writes.
            (
                3,
                "detail = detail || ' '",
                "detail",
                quoted("{\"i\":2} ".into()),
            ),
            (
                4,
                "id = upper(id)",
                "id",
                quoted(appended[3].event.id.to_string().to_uppercase()),
            ),
            (
                5,
                "actor_id = 'nobody'",
                "actor_id",
                quoted("nobody".into()),
            ),
        ];
        if sqlite {
            // SQLite keeps text in an INTEGER column, and binary data anywhere.
            edits.push((6, "at = 'garbage'", "at", quoted("garbage".into())));
            edits.push((7, "hash = X'0102'", "hash", "2 bytes of binary data".into()));
        }
        for (seq, set, _, _) in &edits {
            let sql = format!(
                "UPDATE audit_events SET {set} WHERE workspace_id = '{}' AND seq = {seq}",
                ws.id
            );
            testing::execute(url, &sql).await.unwrap();
        }
        let links = s.audit_links(ws.id).await.unwrap();
        assert_eq!(links.len(), 8);
        for (seq, _, column, holds) in edits.clone() {
            let readable_hash = column != "hash";
            assert_eq!(
                links[usize::try_from(seq - 1).unwrap()],
                Err(UnreadableAuditEvent {
                    seq: Some(seq),
                    hash: readable_hash.then(|| format!("h{seq}")),
                    column: UnreadableColumn { column, holds },
                }),
                "{}",
                s.backend()
            );
        }
        for (i, row) in appended.iter().enumerate().skip(edits.len()) {
            assert_eq!(links[i], Ok(row.clone()), "{}", s.backend());
        }
        // The strict read refuses the chain, naming the first such row.
        let strict = s.audit_chain(ws.id).await.err().map(|e| e.to_string());
        assert_eq!(
            strict.as_deref(),
            Some("corrupt row: audit event #1: outcome holds \"evil\"")
        );
        if sqlite {
            // A number that is not one: the row has no place in the chain.
            let sql = format!(
                "UPDATE audit_events SET seq = 'x' WHERE workspace_id = '{}' AND seq = 8",
                ws.id
            );
            testing::execute(url, &sql).await.unwrap();
            let links = s.audit_links(ws.id).await.unwrap();
            assert_eq!(
                links[7],
                Err(UnreadableAuditEvent {
                    seq: None,
                    hash: Some("h8".into()),
                    column: UnreadableColumn {
                        column: "seq",
                        holds: quoted("x".into()),
                    },
                })
            );
        }
    }
}

#[tokio::test]
async fn a_hand_edited_chain_head_reads_as_unreadable() {
    let b = backends("auditheadedit").await;
    for (s, url) in b.stores.iter().zip(&b.urls) {
        let (c, ws) = bare_workspace(s.as_ref()).await;
        let chain = |_: &str, seq: i64, _: &NewAuditEvent| ChainLink {
            hash: format!("h{seq}"),
            head_mac: format!("mac{seq}"),
        };
        let e = audit_event(&c, "a".into(), serde_json::json!({}));
        s.append_audit(ws.id, &e, &chain).await.unwrap();
        let head = AuditHead {
            seq: 1,
            hash: "h1".into(),
            mac: "mac1".into(),
        };
        assert_eq!(
            s.stored_audit_head(ws.id).await.unwrap(),
            Some(Ok(head.clone()))
        );
        if s.backend() != "sqlite" {
            // PostgreSQL's column types keep out anything else.
            continue;
        }
        // (SET clause, the column reported, what it is said to hold)
        for (set, column, holds) in [
            ("seq = 'x'", "seq", "\"x\""),
            ("seq = 1.5", "seq", "1.5"),
            ("hash = X'00'", "hash", "1 byte of binary data"),
            ("mac = X'0102'", "mac", "2 bytes of binary data"),
        ] {
            let edit = format!(
                "UPDATE audit_heads SET {set} WHERE workspace_id = '{}'",
                ws.id
            );
            testing::execute(url, &edit).await.unwrap();
            let column = UnreadableColumn {
                column,
                holds: holds.into(),
            };
            assert_eq!(
                s.stored_audit_head(ws.id).await.unwrap(),
                Some(Err(column.clone()))
            );
            // The strict read refuses it.
            let strict = s.audit_head(ws.id).await.err().map(|e| e.to_string());
            assert_eq!(strict, Some(format!("corrupt row: audit head: {column}")));
            let undo = format!(
                "UPDATE audit_heads SET seq = 1, hash = 'h1', mac = 'mac1' \
                 WHERE workspace_id = '{}'",
                ws.id
            );
            testing::execute(url, &undo).await.unwrap();
        }
        assert_eq!(s.stored_audit_head(ws.id).await.unwrap(), Some(Ok(head)));
    }
}
