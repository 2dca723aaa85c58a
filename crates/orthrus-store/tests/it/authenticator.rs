//! An account's authenticator: the active and pending seed slots, the
//! issuance ledger and used steps, and backup code sets (replaced whole,
//! each code used once).

use super::fixtures::*;
use super::*;

#[tokio::test]
async fn authenticator_slots_ledger_and_used_steps() {
    for s in backends("otp").await.stores {
        let (c, ws, u, a) = Scene::parts(s.as_ref(), "IG").await;
        assert!(
            !s.promote_otp(ws.id, a.id, c.now(), None).await.unwrap(),
            "nothing pending"
        );
        s.put_otp(&otp(&c, &a, OtpSlot::Pending, 1, u.id))
            .await
            .unwrap();
        assert!(
            s.get_otp(ws.id, a.id, OtpSlot::Active)
                .await
                .unwrap()
                .is_none()
        );
        assert!(s.promote_otp(ws.id, a.id, c.now(), None).await.unwrap());
        let active = stored_otp(&s, ws.id, a.id, OtpSlot::Active).await;
        assert_eq!(
            (active.secret.clone(), active.confirmed_at),
            (vec![1; 8], Some(c.now()))
        );
        // Re-seeding: the old seed stays active until the new one is confirmed.
        s.put_otp(&otp(&c, &a, OtpSlot::Pending, 2, u.id))
            .await
            .unwrap();
        assert_eq!(
            stored_otp(&s, ws.id, a.id, OtpSlot::Active).await.secret,
            vec![1; 8]
        );
        s.put_otp(&otp(&c, &a, OtpSlot::Pending, 3, u.id))
            .await
            .unwrap();
        assert_eq!(
            stored_otp(&s, ws.id, a.id, OtpSlot::Pending).await.secret,
            vec![3; 8],
            "a slot holds one enrolment"
        );
        assert!(s.delete_otp(ws.id, a.id, OtpSlot::Pending).await.unwrap());
        assert_eq!(s.list_active_otp(ws.id).await.unwrap().len(), 1);
        s.advance_otp_counter(ws.id, a.id, 5).await.unwrap();
        s.advance_otp_counter(ws.id, a.id, 3).await.unwrap();
        assert_eq!(
            stored_otp(&s, ws.id, a.id, OtpSlot::Active).await.counter,
            5,
            "never back"
        );
        // Ledger and used steps.
        for (i, how) in ["view", "copy", "cli"].iter().enumerate() {
            c.advance_secs(1);
            s.record_issuance(&IssuanceRow {
                id: EventId::new(&c, &OsEntropy),
                workspace_id: ws.id,
                account_id: a.id,
                user_id: Some(u.id),
                user_email: Some(u.email.clone()),
                how: how.parse().unwrap(),
                step: 100 + i as i64,
                issued_at: c.now(),
            })
            .await
            .unwrap();
        }
        let ledger = s.list_issuance(ws.id, a.id, 2).await.unwrap();
        assert_eq!(
            ledger.iter().map(|l| l.how.as_str()).collect::<Vec<_>>(),
            vec!["cli", "copy"]
        );
        let used = used_step(&c, &a, 100, &u, "automation");
        assert!(s.mark_step_used(&used).await.unwrap());
        assert!(
            !s.mark_step_used(&used).await.unwrap(),
            "a used step stays used"
        );
        assert_eq!(
            s.get_used_step(ws.id, a.id, 100)
                .await
                .unwrap()
                .unwrap()
                .how
                .as_str(),
            "automation"
        );
        assert!(s.get_used_step(ws.id, a.id, 101).await.unwrap().is_none());
        assert!(s.delete_account(ws.id, a.id).await.unwrap());
        assert!(s.list_active_otp(ws.id).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn backup_code_sets_replace_and_use_once() {
    for s in backends("backup").await.stores {
        let (c, ws, u, a) = Scene::parts(s.as_ref(), "IG").await;
        assert!(s.active_backup_codes(ws.id, a.id).await.unwrap().is_none());
        let set = |n: u8| {
            let id = EventId::new(&c, &OsEntropy);
            let set = BackupSetRow {
                id,
                workspace_id: ws.id,
                account_id: a.id,
                active: true,
                created_by: u.id,
                created_at: c.now(),
                replaced_at: None,
            };
            let codes: Vec<BackupCodeRow> = (0..n)
                .map(|i| BackupCodeRow {
                    set_id: id,
                    workspace_id: ws.id,
                    account_id: a.id,
                    position: i64::from(i),
                    code: vec![i; 4],
                    used_at: None,
                    used_by: None,
                    used_by_email: None,
                })
                .collect();
            (set, codes)
        };
        let (first, codes) = set(3);
        s.replace_backup_codes(&first, &codes).await.unwrap();
        assert!(
            s.mark_backup_code_used(ws.id, first.id, 1, u.id, "a@acme.test", c.now())
                .await
                .unwrap()
        );
        assert!(
            !s.mark_backup_code_used(ws.id, first.id, 1, u.id, "a@acme.test", c.now())
                .await
                .unwrap(),
            "once"
        );
        assert!(
            !s.mark_backup_code_used(ws.id, first.id, 9, u.id, "a@acme.test", c.now())
                .await
                .unwrap()
        );
        let (_, active) = s.active_backup_codes(ws.id, a.id).await.unwrap().unwrap();
        assert_eq!(active.iter().filter(|c| c.used_at.is_some()).count(), 1);
        assert_eq!(active[1].used_by_email.as_deref(), Some("a@acme.test"));
        c.advance_secs(5);
        let (second, codes) = set(5);
        s.replace_backup_codes(&second, &codes).await.unwrap();
        let (now_active, codes) = s.active_backup_codes(ws.id, a.id).await.unwrap().unwrap();
        assert_eq!((now_active.id, codes.len()), (second.id, 5));
        let history = s.list_backup_sets(ws.id, a.id).await.unwrap();
        assert_eq!(
            history
                .iter()
                .map(|h| (h.set.active, h.total, h.unused))
                .collect::<Vec<_>>(),
            vec![(true, 5, 5), (false, 3, 2)]
        );
        assert_eq!(history[1].set.replaced_at, Some(c.now()));
        assert!(s.delete_account(ws.id, a.id).await.unwrap());
        assert!(s.list_backup_sets(ws.id, a.id).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn a_hand_edited_how_reads_as_a_corrupt_row() {
    let b = backends("otphow").await;
    for (s, url) in b.stores.iter().zip(&b.urls) {
        let (c, ws, u, a) = Scene::parts(s.as_ref(), "IG").await;
        s.mark_step_used(&used_step(&c, &a, 7, &u, "verify"))
            .await
            .unwrap();
        let verified = s.get_used_step(ws.id, a.id, 7).await.unwrap().unwrap();
        assert_eq!(verified.how.as_str(), "verify", "{}", s.backend());
        let sql = format!(
            "UPDATE otp_used_steps SET how = 'copied' WHERE account_id = '{}'",
            a.id
        );
        testing::execute(url, &sql).await.unwrap();
        let read = s
            .get_used_step(ws.id, a.id, 7)
            .await
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            read.as_deref(),
            Some("corrupt row: bad step use: \"copied\""),
            "{}",
            s.backend()
        );
    }
}
