//! The pool of managed phone numbers: unique in the instance, listed by
//! number in their workspace, found by number for SMS routing, and handed
//! to accounts one each (the lowest free number, the same one when asked
//! again) until the pool is empty.

use super::fixtures::*;
use super::*;

fn number(c: &FakeClock, ws: WorkspaceId, n: &str) -> PhoneNumberRow {
    PhoneNumberRow {
        id: EventId::new(c, &OsEntropy),
        workspace_id: ws,
        number: n.into(),
        account_id: None,
        created_at: c.now(),
    }
}

#[tokio::test]
async fn numbers_are_unique_listed_found_and_assigned_once_per_account() {
    for s in backends("phones").await.stores {
        let (sc, other) = Scene::and_elsewhere(&s).await;
        let c = &sc.c;
        let ws = sc.ws.id;
        let b = sc.account(&s, "B").await;
        let d = sc.account(&s, "D").await;
        assert!(
            s.assign_phone_number(ws, sc.account.id)
                .await
                .unwrap()
                .is_none()
        );

        let n2 = number(c, ws, "+15550000002");
        let n1 = number(c, ws, "+15550000001");
        let theirs = number(c, other.ws.id, "+15550000000");
        for n in [&n2, &n1, &theirs] {
            s.add_phone_number(n).await.unwrap();
        }
        assert!(matches!(
            s.add_phone_number(&number(c, other.ws.id, "+15550000001"))
                .await,
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(
            s.list_phone_numbers(ws).await.unwrap(),
            vec![n1.clone(), n2.clone()]
        );
        assert_eq!(
            s.list_phone_numbers(other.ws.id).await.unwrap(),
            vec![theirs.clone()]
        );
        assert_eq!(
            s.find_phone_number("+15550000000").await.unwrap(),
            Some(theirs.clone())
        );
        assert!(s.find_phone_number("+15559999999").await.unwrap().is_none());

        // The lowest free number of the workspace, never another's.
        let got = s.assign_phone_number(ws, sc.account.id).await.unwrap();
        assert_eq!(
            got,
            Some(PhoneNumberRow {
                account_id: Some(sc.account.id),
                ..n1.clone()
            })
        );
        assert_eq!(
            s.assign_phone_number(ws, sc.account.id).await.unwrap(),
            got,
            "the one it has"
        );
        assert_eq!(
            s.assign_phone_number(ws, b.id)
                .await
                .unwrap()
                .map(|p| p.number),
            Some("+15550000002".to_owned())
        );
        assert!(
            s.assign_phone_number(ws, d.id).await.unwrap().is_none(),
            "the pool is empty"
        );
        assert_eq!(
            s.find_phone_number("+15550000002")
                .await
                .unwrap()
                .unwrap()
                .account_id,
            Some(b.id)
        );
        assert_eq!(
            s.find_phone_number("+15550000000")
                .await
                .unwrap()
                .unwrap()
                .account_id,
            None
        );
    }
}

#[tokio::test]
async fn a_number_goes_only_to_an_account_of_its_workspace() {
    for s in backends("phonescope").await.stores {
        let (sc, other) = Scene::and_elsewhere(&s).await;
        let c = &sc.c;
        let ws = sc.ws.id;
        let ours = number(c, ws, "+15550000001");
        s.add_phone_number(&ours).await.unwrap();

        // Another workspace's account gets none of our pool.
        assert!(matches!(
            s.assign_phone_number(ws, other.account.id).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(
            s.list_phone_numbers(ws).await.unwrap(),
            vec![ours.clone()],
            "still free"
        );
        // An account asking through a workspace it is not in is not found,
        // even where the pool is empty.
        assert!(matches!(
            s.assign_phone_number(other.ws.id, sc.account.id).await,
            Err(StoreError::NotFound)
        ));
        assert!(
            s.assign_phone_number(other.ws.id, other.account.id)
                .await
                .unwrap()
                .is_none(),
            "their pool is empty"
        );
        assert!(matches!(
            s.assign_phone_number(ws, AccountId::new(c, &OsEntropy))
                .await,
            Err(StoreError::NotFound)
        ));

        assert_eq!(
            s.assign_phone_number(ws, sc.account.id).await.unwrap(),
            Some(PhoneNumberRow {
                account_id: Some(sc.account.id),
                ..ours
            })
        );
        // Once it has one, asking through another workspace still finds
        // nothing.
        assert!(matches!(
            s.assign_phone_number(other.ws.id, sc.account.id).await,
            Err(StoreError::NotFound)
        ));
    }
}
