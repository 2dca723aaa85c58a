//! What automation keeps on an account beyond `main.rs`: the pending
//! password of a rotation (kept only when there is none, cleared only while
//! it is still the one the caller holds) and the sealed browser profile
//! (saved over the earlier one); each in the account's workspace only.

use super::fixtures::*;
use super::*;

#[tokio::test]
async fn a_pending_password_is_never_overwritten_and_cleared_only_while_unchanged() {
    for s in backends("pendingpw").await.stores {
        let sc = Scene::new(&s).await;
        let (ws, a) = (sc.ws.id, sc.account.id);
        let other = sc.elsewhere(&s).await;
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
        let sc = Scene::new(&s).await;
        let c = &sc.c;
        let (ws, a) = (sc.ws.id, sc.account.id);
        let other = sc.elsewhere(&s).await;
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
        let sc = Scene::new(&s).await;
        let c = &sc.c;
        let (ws, a) = (sc.ws.id, sc.account.id);
        let other = sc.elsewhere(&s).await;

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
