//! The managed inbox beyond paging and usage: managed addresses (unique in
//! the instance, found by address for routing, switched off and deleted
//! in their workspace), an account's messages after a point in keyset
//! order, each workspace's retention, and a user's forwarding address with
//! its bounded code attempts.

use super::fixtures::*;
use super::*;

fn address(c: &FakeClock, a: &AccountRow, by: UserId, address: &str) -> ManagedEmailRow {
    ManagedEmailRow {
        id: EventId::new(c, &OsEntropy),
        workspace_id: a.workspace_id,
        account_id: a.id,
        address: address.into(),
        enabled: true,
        created_by: by,
        created_at: c.now(),
    }
}

#[tokio::test]
async fn managed_addresses_are_unique_routed_switched_and_deleted_in_their_workspace() {
    for s in backends("managed").await.stores {
        let (sc, other) = Scene::and_elsewhere(&s).await;
        let c = &sc.c;
        let ws = sc.ws.id;
        let b = sc.account(&s, "B").await;
        let first = address(c, &sc.account, sc.owner.id, "brand-1@inbox.test");
        c.advance_secs(1);
        let second = address(c, &sc.account, sc.owner.id, "brand-2@inbox.test");
        let bs = address(c, &b, sc.owner.id, "b-1@inbox.test");
        for m in [&second, &first, &bs] {
            s.create_managed_email(m).await.unwrap();
        }
        // An address is unique in the whole instance.
        let taken = address(c, &other.account, other.owner.id, "brand-1@inbox.test");
        assert!(matches!(
            s.create_managed_email(&taken).await,
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(
            s.managed_emails_for(ws, sc.account.id).await.unwrap(),
            vec![first.clone(), second.clone()],
            "the account's, oldest first"
        );
        assert!(
            s.managed_emails_for(other.ws.id, sc.account.id)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            s.find_managed_email("b-1@inbox.test").await.unwrap(),
            Some(bs.clone())
        );
        assert!(
            s.find_managed_email("nobody@inbox.test")
                .await
                .unwrap()
                .is_none()
        );

        // Switched off and on in its workspace only.
        assert!(
            !s.set_managed_email_enabled(other.ws.id, first.id, false)
                .await
                .unwrap()
        );
        assert!(
            s.set_managed_email_enabled(ws, first.id, false)
                .await
                .unwrap()
        );
        assert!(
            !s.find_managed_email("brand-1@inbox.test")
                .await
                .unwrap()
                .unwrap()
                .enabled
        );
        assert!(
            s.find_managed_email("brand-2@inbox.test")
                .await
                .unwrap()
                .unwrap()
                .enabled
        );
        // Deleted once, in its workspace only; the address is free again.
        assert!(!s.delete_managed_email(other.ws.id, first.id).await.unwrap());
        assert!(s.delete_managed_email(ws, first.id).await.unwrap());
        assert!(!s.delete_managed_email(ws, first.id).await.unwrap());
        assert!(
            s.find_managed_email("brand-1@inbox.test")
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(
            s.managed_emails_for(ws, sc.account.id).await.unwrap(),
            vec![second]
        );
        s.create_managed_email(&taken).await.unwrap();
        assert_eq!(
            s.find_managed_email("brand-1@inbox.test")
                .await
                .unwrap()
                .map(|m| m.workspace_id),
            Some(other.ws.id)
        );
    }
}

#[tokio::test]
async fn messages_since_a_point_come_oldest_first_after_the_last_one_seen() {
    for s in backends("msgsince").await.stores {
        let (sc, other) = Scene::and_elsewhere(&s).await;
        let c = &sc.c;
        let (ws, a) = (sc.ws.id, &sc.account);
        let b = sc.account(&s, "B").await;
        let m1 = message(c, a, "m1");
        c.advance_secs(1);
        let t1 = c.now();
        // Three in one millisecond: the id orders them.
        let mut same: Vec<InboxMessageRow> =
            (2..5).map(|i| message(c, a, &format!("m{i}"))).collect();
        same.sort_by_key(|m| m.id);
        c.advance_secs(1);
        let m5 = message(c, a, "m5");
        let theirs = message(c, &b, "b1");
        for m in [&m5, &same[2], &m1, &same[0], &theirs, &same[1]] {
            assert!(s.insert_message(m).await.unwrap());
        }
        assert!(
            !s.insert_message(&message(c, a, "m1")).await.unwrap(),
            "a second delivery is dropped"
        );
        let ids = |v: Vec<InboxMessageRow>| v.into_iter().map(|m| m.id).collect::<Vec<_>>();

        // From t1 on, inclusive, oldest first; b's message is not a's.
        assert_eq!(
            ids(s.messages_since(ws, a.id, t1, None, 10).await.unwrap()),
            vec![same[0].id, same[1].id, same[2].id, m5.id]
        );
        // A page of two, then the rest after the last one seen.
        let page = s.messages_since(ws, a.id, t1, None, 2).await.unwrap();
        assert_eq!(ids(page.clone()), vec![same[0].id, same[1].id]);
        let last = page.last().unwrap();
        assert_eq!(
            ids(s
                .messages_since(ws, a.id, last.received_at, Some(last.id), 10)
                .await
                .unwrap()),
            vec![same[2].id, m5.id]
        );
        assert_eq!(
            s.messages_since(ws, a.id, Timestamp(0), None, 10)
                .await
                .unwrap()[0],
            m1,
            "the stored row, as inserted"
        );
        assert!(
            s.messages_since(ws, a.id, m5.received_at.plus_seconds(1), None, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            s.messages_since(other.ws.id, a.id, Timestamp(0), None, 10)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn each_workspace_keeps_its_own_retention() {
    for s in backends("retention").await.stores {
        let (sc, other) = Scene::and_elsewhere(&s).await;
        let mut all = s.inbox_retentions().await.unwrap();
        all.sort();
        let mut want = vec![(sc.ws.id, None), (other.ws.id, None)];
        want.sort();
        assert_eq!(all, want, "the server default at first");

        s.set_inbox_retention(sc.ws.id, Some(30)).await.unwrap();
        let mut all = s.inbox_retentions().await.unwrap();
        all.sort();
        let mut want = vec![(sc.ws.id, Some(30)), (other.ws.id, None)];
        want.sort();
        assert_eq!(all, want);

        s.set_inbox_retention(sc.ws.id, None).await.unwrap();
        assert!(
            s.inbox_retentions()
                .await
                .unwrap()
                .iter()
                .all(|(_, days)| days.is_none())
        );
    }
}

#[tokio::test]
async fn the_retention_of_an_unknown_workspace_is_not_found() {
    for s in backends("retentionunknown").await.stores {
        let sc = Scene::new(&s).await;
        let unknown = workspace(&sc.c);
        assert!(matches!(
            s.set_inbox_retention(unknown.id, Some(30)).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(
            s.inbox_retentions().await.unwrap(),
            vec![(sc.ws.id, None)],
            "nothing stored for it, ours unchanged"
        );
    }
}

#[tokio::test]
async fn a_forwarding_address_round_trips_and_its_code_attempts_are_bounded() {
    for s in backends("forward").await.stores {
        let sc = Scene::new(&s).await;
        let c = &sc.c;
        let v = sc.user(&s, "v@acme.test", WorkspaceRole::User).await;
        assert!(s.forward_address(sc.owner.id).await.unwrap().is_none());
        let row = ForwardAddressRow {
            user_id: sc.owner.id,
            workspace_id: sc.ws.id,
            email: "me@example.test".into(),
            pending_email: Some("me@example.test".into()),
            code_hash: Some("codehash".into()),
            code_expires_at: Some(c.now().plus_seconds(600)),
            attempts: 0,
            verified_at: None,
        };
        s.save_forward_address(&row).await.unwrap();
        assert_eq!(
            s.forward_address(sc.owner.id).await.unwrap(),
            Some(row.clone())
        );
        assert!(s.forward_address(v.id).await.unwrap().is_none());

        // At most two wrong codes are counted; the third is refused.
        assert!(s.count_forward_attempt(sc.owner.id, 2).await.unwrap());
        assert!(s.count_forward_attempt(sc.owner.id, 2).await.unwrap());
        assert!(!s.count_forward_attempt(sc.owner.id, 2).await.unwrap());
        assert_eq!(
            s.forward_address(sc.owner.id)
                .await
                .unwrap()
                .unwrap()
                .attempts,
            2
        );
        assert!(
            !s.count_forward_attempt(v.id, 2).await.unwrap(),
            "no address, nothing counted"
        );

        // Verified: the row is replaced as a whole.
        c.advance_secs(30);
        let verified = ForwardAddressRow {
            pending_email: None,
            code_hash: None,
            code_expires_at: None,
            attempts: 0,
            verified_at: Some(c.now()),
            ..row
        };
        s.save_forward_address(&verified).await.unwrap();
        assert_eq!(
            s.forward_address(sc.owner.id).await.unwrap(),
            Some(verified)
        );
    }
}
