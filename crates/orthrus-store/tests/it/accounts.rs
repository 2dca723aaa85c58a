//! Accounts: created with their members and fields, edited under
//! optimistic concurrency, listed per member and deleted; and what
//! automation keeps on an account: the pending password of a rotation
//! (kept only when there is none, cleared only while it is still the one
//! the caller holds) and the sealed browser profile (saved over the earlier
//! one); each in the account's workspace only.

use super::fixtures::*;
use super::*;

#[tokio::test]
async fn a_pending_password_is_never_overwritten_and_cleared_only_while_unchanged() {
    for s in backends("pendingpw").await.stores {
        let (sc, other) = Scene::and_elsewhere(&s).await;
        let (ws, a) = (sc.ws.id, sc.account.id);
        let b = sc.account(&s, "B").await;
        assert_eq!(s.pending_password(ws, a).await.unwrap(), None);

        assert!(s.put_pending_password(ws, a, &[1; 8]).await.unwrap());
        assert!(
            !s.put_pending_password(ws, a, &[2; 8]).await.unwrap(),
            "the one there may be with the app already"
        );
        assert_eq!(s.pending_password(ws, a).await.unwrap(), Some(vec![1; 8]));
        // Another workspace neither reads, sets nor clears it.
        assert_eq!(s.pending_password(other.ws.id, a).await.unwrap(), None);
        assert!(
            !s.put_pending_password(other.ws.id, b.id, &[3; 8])
                .await
                .unwrap()
        );
        assert!(
            s.put_pending_password(other.ws.id, other.account.id, &[3; 8])
                .await
                .unwrap()
        );
        assert!(
            !s.clear_pending_password(other.ws.id, a, &[1; 8])
                .await
                .unwrap()
        );
        assert!(
            !s.clear_pending_password(ws, a, &[2; 8]).await.unwrap(),
            "not the one stored"
        );
        assert_eq!(s.pending_password(ws, a).await.unwrap(), Some(vec![1; 8]));
        assert!(s.clear_pending_password(ws, a, &[1; 8]).await.unwrap());
        assert!(!s.clear_pending_password(ws, a, &[1; 8]).await.unwrap());
        assert_eq!(s.pending_password(ws, a).await.unwrap(), None);
        assert_eq!(s.pending_password(ws, b.id).await.unwrap(), None);
        // The other workspace's own account kept its own.
        assert_eq!(
            s.pending_password(other.ws.id, other.account.id)
                .await
                .unwrap(),
            Some(vec![3; 8])
        );
        // The next rotation may keep a fresh one; the password itself
        // never moved.
        assert!(s.put_pending_password(ws, a, &[4; 8]).await.unwrap());
        assert_eq!(
            s.get_account(ws, a).await.unwrap().unwrap().password,
            sc.account.password
        );
    }
}

#[tokio::test]
async fn a_browser_profile_is_saved_over_the_earlier_one_in_its_workspace() {
    for s in backends("profile").await.stores {
        let (sc, other) = Scene::and_elsewhere(&s).await;
        let c = &sc.c;
        let (ws, a) = (sc.ws.id, sc.account.id);
        let b = sc.account(&s, "B").await;
        assert_eq!(s.browser_profile(ws, a).await.unwrap(), None);
        s.save_browser_profile(ws, a, &[1; 16], c.now())
            .await
            .unwrap();
        c.advance_secs(60);
        s.save_browser_profile(ws, a, &[2; 32], c.now())
            .await
            .unwrap();
        assert_eq!(s.browser_profile(ws, a).await.unwrap(), Some(vec![2; 32]));
        assert_eq!(s.browser_profile(ws, b.id).await.unwrap(), None);
        assert_eq!(s.browser_profile(other.ws.id, a).await.unwrap(), None);
        // It goes with its account.
        assert!(s.delete_account(ws, a).await.unwrap());
        assert_eq!(s.browser_profile(ws, a).await.unwrap(), None);
    }
}

#[tokio::test]
async fn a_browser_profile_is_saved_only_through_its_accounts_workspace() {
    for s in backends("profilescope").await.stores {
        let (sc, other) = Scene::and_elsewhere(&s).await;
        let c = &sc.c;
        let (ws, a) = (sc.ws.id, sc.account.id);

        // Before the account has a profile: nothing is filed for it.
        assert!(matches!(
            s.save_browser_profile(other.ws.id, a, &[9; 8], c.now())
                .await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(s.browser_profile(other.ws.id, a).await.unwrap(), None);
        s.save_browser_profile(ws, a, &[1; 16], c.now())
            .await
            .unwrap();
        assert_eq!(s.browser_profile(ws, a).await.unwrap(), Some(vec![1; 16]));

        // After: the saved one stays.
        c.advance_secs(60);
        assert!(matches!(
            s.save_browser_profile(other.ws.id, a, &[9; 8], c.now())
                .await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(s.browser_profile(ws, a).await.unwrap(), Some(vec![1; 16]));
        assert_eq!(s.browser_profile(other.ws.id, a).await.unwrap(), None);

        // Nor does ours reach theirs, or an account that does not exist.
        assert!(matches!(
            s.save_browser_profile(ws, other.account.id, &[9; 8], c.now())
                .await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(
            s.browser_profile(other.ws.id, other.account.id)
                .await
                .unwrap(),
            None
        );
        assert!(matches!(
            s.save_browser_profile(ws, AccountId::new(c, &OsEntropy), &[9; 8], c.now())
                .await,
            Err(StoreError::NotFound)
        ));
    }
}

#[tokio::test]
async fn accounts_members_and_optimistic_concurrency() {
    for s in backends("accounts").await.stores {
        let (c, ws, u, a, v) = Scene::parts_and_user(&s).await;
        assert_eq!(s.get_account(ws.id, a.id).await.unwrap().unwrap(), a);
        assert_eq!(
            s.member_role(ws.id, a.id, u.id, c.now()).await.unwrap(),
            Some(AccountRole::Owner)
        );
        assert_eq!(
            s.member_role(ws.id, a.id, v.id, c.now()).await.unwrap(),
            None
        );
        s.upsert_member(&member(&a, u.id, v.id, AccountRole::Collaborator))
            .await
            .unwrap();
        s.upsert_member(&member(&a, u.id, v.id, AccountRole::Manager))
            .await
            .unwrap();
        assert_eq!(
            s.member_role(ws.id, a.id, v.id, c.now()).await.unwrap(),
            Some(AccountRole::Manager)
        );
        assert_eq!(s.list_members(ws.id, a.id, c.now()).await.unwrap().len(), 2);
        assert_eq!(
            s.list_accounts_for_user(ws.id, v.id, c.now())
                .await
                .unwrap()[0]
                .1,
            AccountRole::Manager
        );

        let change = AccountChange {
            label: Some("Brand Instagram".into()),
            password: Some(vec![4, 5, 6]),
            notes: Some(Some(vec![7])),
            history: Some(PasswordHistoryRow {
                id: EventId::new(&c, &OsEntropy),
                workspace_id: ws.id,
                account_id: a.id,
                password: vec![1, 2, 3],
                changed_by: u.id,
                changed_at: c.now(),
            }),
            fields: Some(vec![FieldRow {
                id: FieldId::new(&c, &OsEntropy),
                workspace_id: ws.id,
                account_id: a.id,
                position: 0,
                name: "PIN".into(),
                secret: true,
                value_text: None,
                value_sealed: Some(vec![1]),
            }]),
            ..Default::default()
        };
        let updated = s
            .update_account(ws.id, a.id, 1, &change, c.now())
            .await
            .unwrap();
        assert_eq!(
            (
                updated.version,
                updated.label.as_str(),
                updated.password.clone(),
                updated.notes.clone()
            ),
            (2, "Brand Instagram", vec![4, 5, 6], Some(vec![7]))
        );
        assert_eq!(updated.username, "brand", "untouched columns stay");
        // A second writer holding version 1 loses nothing and is told.
        let stale = s
            .update_account(
                ws.id,
                a.id,
                1,
                &AccountChange {
                    label: Some("x".into()),
                    ..Default::default()
                },
                c.now(),
            )
            .await;
        assert!(
            matches!(stale, Err(StoreError::VersionConflict)),
            "{stale:?}"
        );
        assert_eq!(
            s.list_password_history(ws.id, a.id).await.unwrap()[0].password,
            vec![1, 2, 3]
        );
        assert_eq!(s.list_fields(ws.id, a.id).await.unwrap()[0].name, "PIN");
        // Clearing notes.
        let cleared = s
            .update_account(
                ws.id,
                a.id,
                2,
                &AccountChange {
                    notes: Some(None),
                    ..Default::default()
                },
                c.now(),
            )
            .await
            .unwrap();
        assert_eq!(cleared.notes, None);
        // Other workspaces see nothing.
        let other = workspace(&c);
        s.create_workspace(&other).await.unwrap();
        assert!(s.get_account(other.id, a.id).await.unwrap().is_none());
        assert!(matches!(
            s.update_account(other.id, a.id, 3, &AccountChange::default(), c.now())
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(s.remove_member(ws.id, a.id, v.id).await.unwrap());
        assert!(s.delete_account(ws.id, a.id).await.unwrap());
        assert!(s.get_account(ws.id, a.id).await.unwrap().is_none());
        assert!(s.list_accounts(ws.id).await.unwrap().is_empty());
    }
}
