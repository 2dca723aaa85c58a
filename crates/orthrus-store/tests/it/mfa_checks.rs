//! "Keep MFA on" (issue 13): which accounts are due for a check, the last
//! result per account, and at most one check waiting per account.

use super::fixtures::first_run;
use super::*;

#[tokio::test]
async fn mfa_checks_are_due_per_account_and_one_waits_at_a_time() {
    for s in backends("mfa_checks").await.stores {
        let (c, ws, u) = first_run(s.as_ref(), "o@acme.test", WorkspaceRole::Owner).await;
        let add = |label: &'static str| account(&c, ws.id, u.id, label);
        // Confirmed TOTP: due. Pending only, HOTP, no username: never.
        let (due, pending, hotp, nameless) = (add("IG"), add("TikTok"), add("Bank"), add("Vendor"));
        let nameless = AccountRow {
            username: " ".into(),
            ..nameless
        };
        for a in [&due, &pending, &hotp, &nameless] {
            s.create_account(a, &owner_of(a, u.id), &[]).await.unwrap();
        }
        let confirmed = |a: &AccountRow, kind: OtpKind| OtpRow {
            kind,
            confirmed_at: Some(c.now()),
            ..otp(&c, a, OtpSlot::Active, 1, u.id)
        };
        s.put_otp(&confirmed(&due, OtpKind::Totp)).await.unwrap();
        s.put_otp(&otp(&c, &pending, OtpSlot::Pending, 2, u.id))
            .await
            .unwrap();
        s.put_otp(&confirmed(&hotp, OtpKind::Hotp)).await.unwrap();
        s.put_otp(&confirmed(&nameless, OtpKind::Totp))
            .await
            .unwrap();

        let week = 7 * 86_400;
        let due_now = |s: Arc<dyn Store>, before: Timestamp| async move {
            s.due_mfa_checks(before, 10)
                .await
                .unwrap()
                .into_iter()
                .map(|d| d.account_id)
                .collect::<Vec<_>>()
        };
        let before = c.now().plus_seconds(-week);
        let found = s.due_mfa_checks(before, 10).await.unwrap();
        assert_eq!(
            found,
            vec![DueMfaCheck {
                workspace_id: ws.id,
                account_id: due.id,
                enrolled_by: u.id,
            }]
        );

        // A check queued: not due again, and a second one is refused.
        let check = job(&c, &due, u.id, "check_mfa");
        s.insert_job(&check).await.unwrap();
        assert!(due_now(Arc::clone(&s), before).await.is_empty());
        assert_eq!(s.mfa_checks_in_flight().await.unwrap(), 1);
        c.advance_secs(1);
        assert!(matches!(
            s.insert_job(&job(&c, &due, u.id, "check_mfa")).await,
            Err(StoreError::Conflict(_))
        ));
        // Other kinds are not limited by it.
        s.insert_job(&job(&c, &due, u.id, "login")).await.unwrap();

        // It ran: the result is kept, and the account is due again a
        // week after it.
        let got = s
            .claim_job("w1", c.now(), c.now().plus_seconds(30))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.id, check.id);
        assert!(
            s.set_job_state(check.id, "w1", JobState::Succeeded, None, None, c.now())
                .await
                .unwrap()
        );
        assert_eq!(s.mfa_checks_in_flight().await.unwrap(), 0);
        let row = MfaCheckRow {
            account_id: due.id,
            workspace_id: ws.id,
            state: MfaCheckState::Off,
            checked_at: c.now(),
            job_id: check.id,
            reason: None,
        };
        s.save_mfa_check(&row).await.unwrap();
        assert_eq!(s.mfa_check(ws.id, due.id).await.unwrap(), Some(row));
        assert!(
            s.mfa_check(ws.id, hotp.id).await.unwrap().is_none(),
            "never checked"
        );
        c.advance_secs(week - 10);
        assert!(
            due_now(Arc::clone(&s), c.now().plus_seconds(-week))
                .await
                .is_empty()
        );
        c.advance_secs(20);
        assert_eq!(
            due_now(Arc::clone(&s), c.now().plus_seconds(-week)).await,
            vec![due.id]
        );

        // A newer result replaces it; the workspace's results list it.
        let later = MfaCheckRow {
            state: MfaCheckState::CouldNotCheck,
            checked_at: c.now(),
            reason: Some("the app refused the sign-in".into()),
            ..s.mfa_check(ws.id, due.id).await.unwrap().unwrap()
        };
        s.save_mfa_check(&later).await.unwrap();
        assert_eq!(s.workspace_mfa_checks(ws.id).await.unwrap(), vec![later]);
        // Another workspace sees none of it.
        let other = workspace(&c);
        assert!(s.workspace_mfa_checks(other.id).await.unwrap().is_empty());
        assert!(s.mfa_check(other.id, due.id).await.unwrap().is_none());
    }
}
