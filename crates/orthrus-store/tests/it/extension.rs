//! The browser extension's storage (issue 12): pairing requests decided and
//! claimed once, extra site URLs, app restrictions, a rotation brought
//! forward only, and several audit events appended in one transaction.

use super::fixtures::*;
use super::*;

fn pairing(c: &FakeClock, ip: &str) -> PairingRow {
    PairingRow {
        id: EventId::new(c, &OsEntropy),
        secret_hash: "hash".into(),
        number: 42,
        choices: vec![17, 42, 88],
        browser: "Firefox".into(),
        ip: ip.into(),
        status: PairingStatus::Pending,
        workspace_id: None,
        user_id: None,
        created_at: c.now(),
        expires_at: c.now().plus_seconds(300),
        decided_at: None,
    }
}

#[tokio::test]
async fn pairings_are_decided_and_claimed_once() {
    for s in backends("pairings").await.stores {
        let (c, ws) = bare_workspace(s.as_ref()).await;
        let u = user(&c, ws.id, "a@acme.test", WorkspaceRole::User);
        s.create_user(&u).await.unwrap();
        let p = pairing(&c, "127.0.0.1");
        s.create_pairing(&p).await.unwrap();
        assert_eq!(s.get_pairing(p.id).await.unwrap().unwrap(), p);
        assert!(
            !s.claim_pairing(p.id, c.now()).await.unwrap(),
            "not approved yet"
        );
        let at = c.now().plus_seconds(10);
        assert!(
            s.decide_pairing(p.id, PairingStatus::Approved, ws.id, u.id, at)
                .await
                .unwrap()
        );
        assert!(
            !s.decide_pairing(p.id, PairingStatus::Denied, ws.id, u.id, at)
                .await
                .unwrap(),
            "decided once"
        );
        let got = s.get_pairing(p.id).await.unwrap().unwrap();
        assert_eq!(
            (got.status, got.workspace_id, got.user_id, got.decided_at),
            (PairingStatus::Approved, Some(ws.id), Some(u.id), Some(at))
        );
        assert!(s.claim_pairing(p.id, at).await.unwrap());
        assert!(!s.claim_pairing(p.id, at).await.unwrap(), "claimed once");
        // An expired request can be neither decided nor claimed.
        let late = pairing(&c, "127.0.0.1");
        s.create_pairing(&late).await.unwrap();
        let after = c.now().plus_seconds(301);
        assert!(
            !s.decide_pairing(late.id, PairingStatus::Approved, ws.id, u.id, after)
                .await
                .unwrap()
        );
        assert_eq!(
            s.count_pairings_from("127.0.0.1", c.now()).await.unwrap(),
            2
        );
        assert_eq!(s.count_pairings_from("::1", c.now()).await.unwrap(), 0);
        assert_eq!(s.count_pairings_from("127.0.0.1", after).await.unwrap(), 0);
    }
}

#[tokio::test]
async fn extra_urls_restrictions_and_autofill_rotations() {
    for s in backends("extension_rows").await.stores {
        let (c, ws) = bare_workspace(s.as_ref()).await;
        let u = user(&c, ws.id, "a@acme.test", WorkspaceRole::User);
        s.create_user(&u).await.unwrap();
        let a = account(&c, ws.id, u.id, "IG");
        s.create_account(&a, &owner_of(&a, u.id), &[])
            .await
            .unwrap();
        assert_eq!(s.account_urls(ws.id, a.id).await.unwrap(), None);
        s.set_account_urls(ws.id, a.id, r#"["https://a.test/"]"#, c.now())
            .await
            .unwrap();
        s.set_account_urls(ws.id, a.id, r#"["https://b.test/"]"#, c.now())
            .await
            .unwrap();
        assert_eq!(
            s.account_urls(ws.id, a.id).await.unwrap().as_deref(),
            Some(r#"["https://b.test/"]"#)
        );
        assert_eq!(
            s.workspace_account_urls(ws.id).await.unwrap(),
            vec![(a.id, r#"["https://b.test/"]"#.to_owned())]
        );
        s.set_app_restrictions(ws.id, "sandbox", Some(r#"["/x"]"#), c.now())
            .await
            .unwrap();
        s.set_app_restrictions(ws.id, "instagram", Some("[]"), c.now())
            .await
            .unwrap();
        assert_eq!(
            s.app_restrictions(ws.id).await.unwrap(),
            vec![
                ("instagram".into(), "[]".into()),
                ("sandbox".into(), r#"["/x"]"#.into())
            ]
        );
        s.set_app_restrictions(ws.id, "sandbox", None, c.now())
            .await
            .unwrap();
        assert_eq!(s.app_restrictions(ws.id).await.unwrap().len(), 1);
        // A rotation is only ever brought forward, and cleared once.
        assert!(
            !s.rotation_due_by(a.id, c.now()).await.unwrap(),
            "no schedule"
        );
        s.save_rotation_schedule(&RotationRow {
            account_id: a.id,
            workspace_id: ws.id,
            every_days: None,
            window_start: 0,
            window_end: 24,
            on_member_leave: false,
            set_by: u.id,
            next_at: None,
            password_policy: None,
            after_autofill_hours: Some(2),
            updated_at: c.now(),
        })
        .await
        .unwrap();
        let two_h = c.now().plus_seconds(7200);
        assert!(s.rotation_due_by(a.id, two_h).await.unwrap());
        assert!(
            !s.rotation_due_by(a.id, two_h.plus_seconds(60))
                .await
                .unwrap(),
            "not later"
        );
        assert!(
            s.rotation_due_by(a.id, c.now().plus_seconds(3600))
                .await
                .unwrap(),
            "earlier"
        );
        let due = c.now().plus_seconds(3600);
        assert!(s.due_rotations(c.now()).await.unwrap().is_empty());
        let row = s.due_rotations(due).await.unwrap();
        assert_eq!((row.len(), row[0].after_autofill_hours), (1, Some(2)));
        assert!(
            !s.clear_rotation_due(a.id, two_h).await.unwrap(),
            "someone moved it"
        );
        assert!(s.clear_rotation_due(a.id, due).await.unwrap());
        assert!(!s.clear_rotation_due(a.id, due).await.unwrap(), "once");
        assert!(
            s.rotation_schedule(ws.id, a.id)
                .await
                .unwrap()
                .unwrap()
                .next_at
                .is_none()
        );
    }
}

#[tokio::test]
async fn a_batch_of_audit_events_extends_one_chain_in_order() {
    for s in backends("audit_batch").await.stores {
        let (c, ws) = bare_workspace(s.as_ref()).await;
        let chain = |prev: &str, seq: i64, e: &NewAuditEvent| ChainLink {
            hash: format!("{seq}:{}:{}", e.action, &prev[..prev.len().min(6)]),
            head_mac: format!("mac{seq}"),
        };
        let ev = |i: usize| audit_event(&c, format!("a{i}"), serde_json::json!({"i": i}));
        s.append_audit(ws.id, &ev(0), &chain).await.unwrap();
        let batch: Vec<NewAuditEvent> = (1..=5).map(ev).collect();
        s.append_audits(ws.id, &batch, &chain).await.unwrap();
        s.append_audit(ws.id, &ev(6), &chain).await.unwrap();
        let all = s.audit_chain(ws.id).await.unwrap();
        let actions: Vec<&str> = all.iter().map(|r| r.event.action.as_str()).collect();
        assert_eq!(actions, ["a0", "a1", "a2", "a3", "a4", "a5", "a6"]);
        assert_eq!(
            all.iter().map(|r| r.seq).collect::<Vec<_>>(),
            (1..=7).collect::<Vec<_>>()
        );
        for w in all.windows(2) {
            assert_eq!(w[1].prev_hash, w[0].hash, "{}", s.backend());
        }
        let head = s.audit_head(ws.id).await.unwrap().unwrap();
        assert_eq!((head.seq, head.hash.as_str()), (7, all[6].hash.as_str()));
    }
}

#[tokio::test]
async fn a_hand_edited_pairing_reads_as_a_corrupt_row() {
    let b = backends("pairedit").await;
    for (s, url) in b.stores.iter().zip(&b.urls) {
        let c = clock();
        for (column, holds, says) in [
            ("status", "expired", "bad pairing status: \"expired\""),
            ("choices", "17,x,88", "bad pairing choice: \"x\""),
        ] {
            let p = pairing(&c, "127.0.0.1");
            s.create_pairing(&p).await.unwrap();
            let sql = format!(
                "UPDATE extension_pairings SET {column} = '{holds}' WHERE id = '{}'",
                p.id
            );
            testing::execute(url, &sql).await.unwrap();
            let read = s.get_pairing(p.id).await.err().map(|e| e.to_string());
            assert_eq!(
                read,
                Some(format!("corrupt row: {says}")),
                "{}",
                s.backend()
            );
        }
    }
}
