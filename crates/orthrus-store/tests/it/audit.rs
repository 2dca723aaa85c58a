//! The audit chain: events appended in order with their hashes and head
//! MAC, filtered when read, and one chain kept under concurrent appends.

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
