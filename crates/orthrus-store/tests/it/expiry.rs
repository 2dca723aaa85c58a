//! Time-boxed memberships (issue 15): past its end a membership grants
//! nothing, in every query that decides access, before any sweep; the
//! sweep's delete takes only memberships that really ended.

use super::fixtures::*;
use super::*;

#[tokio::test]
async fn ended_memberships_grant_nothing_before_the_sweep() {
    for s in backends("expiry").await.stores {
        let (c, ws, u, a, v) = Scene::parts_and_user(&s).await;
        let end = c.now().plus_seconds(3600);
        s.upsert_member(&MemberRow {
            role: AccountRole::Manager,
            user_id: v.id,
            expires_at: Some(end),
            ..owner_of(&a, u.id)
        })
        .await
        .unwrap();

        // One millisecond before the end: everything answers the grant.
        let before = Timestamp(end.0 - 1);
        assert_eq!(
            s.member_role(ws.id, a.id, v.id, before).await.unwrap(),
            Some(AccountRole::Manager)
        );
        assert_eq!(
            s.get_account_for(ws.id, a.id, v.id, before)
                .await
                .unwrap()
                .unwrap()
                .1,
            Some(AccountRole::Manager)
        );
        assert_eq!(
            s.list_accounts_for_user(ws.id, v.id, before)
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(s.list_members(ws.id, a.id, before).await.unwrap().len(), 2);
        assert!(s.expired_members(before, 10).await.unwrap().is_empty());

        // At the end: nothing, although the row is still there.
        assert_eq!(s.member_role(ws.id, a.id, v.id, end).await.unwrap(), None);
        let (row, role) = s
            .get_account_for(ws.id, a.id, v.id, end)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((row.id, role), (a.id, None));
        assert!(
            s.list_accounts_for_user(ws.id, v.id, end)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(s.list_members(ws.id, a.id, end).await.unwrap().len(), 1);
        assert_eq!(
            s.direct_member(ws.id, a.id, v.id)
                .await
                .unwrap()
                .unwrap()
                .expires_at,
            Some(end)
        );
        // The owner without an end is untouched.
        assert_eq!(
            s.member_role(ws.id, a.id, u.id, end.plus_seconds(1_000_000))
                .await
                .unwrap(),
            Some(AccountRole::Owner)
        );

        // The sweep's view, and its conditional delete.
        let expired = s.expired_members(end, 10).await.unwrap();
        assert_eq!(expired.len(), 1);
        assert_eq!(
            (expired[0].user_id, expired[0].role),
            (v.id, AccountRole::Manager)
        );
        // Renewed meanwhile: the delete leaves it.
        s.upsert_member(&MemberRow {
            expires_at: Some(end.plus_seconds(60)),
            ..expired[0].clone()
        })
        .await
        .unwrap();
        assert!(
            !s.remove_expired_member(ws.id, a.id, v.id, end)
                .await
                .unwrap()
        );
        assert_eq!(
            s.member_role(ws.id, a.id, v.id, end).await.unwrap(),
            Some(AccountRole::Manager)
        );
        let later = end.plus_seconds(60);
        assert!(
            s.remove_expired_member(ws.id, a.id, v.id, later)
                .await
                .unwrap()
        );
        assert!(s.direct_member(ws.id, a.id, v.id).await.unwrap().is_none());
        assert!(s.expired_members(later, 10).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn access_requests_wait_once_are_decided_once_and_guests_end() {
    for s in backends("access_requests").await.stores {
        let (c, ws, u, a, v) = Scene::parts_and_user(&s).await;
        let ask = |id| AccessRequestRow {
            id,
            workspace_id: ws.id,
            account_id: a.id,
            requester_id: v.id,
            role: AccountRole::Manager,
            reason: "launch".into(),
            duration_secs: 86_400,
            state: AccessRequestState::Pending,
            created_at: c.now(),
            decided_by: None,
            decided_at: None,
            note: None,
            grant_expires_at: None,
        };
        let first = ask(EventId::new(&c, &OsEntropy));
        s.create_access_request(&first).await.unwrap();
        // One pending request per person and account.
        assert!(matches!(
            s.create_access_request(&ask(EventId::new(&c, &OsEntropy)))
                .await,
            Err(StoreError::Conflict(_))
        ));
        let view = s
            .get_access_request(ws.id, first.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(view.request, first);
        assert_eq!(
            (view.account_label.as_str(), view.requester_email.as_str()),
            ("Brand IG", "b@acme.test")
        );
        assert_eq!(
            s.list_access_requests(ws.id, true, 10).await.unwrap().len(),
            1
        );

        // Decided once: a second decision finds nothing pending.
        let decision = AccessDecision {
            state: AccessRequestState::Approved,
            by: u.id,
            at: c.now(),
            note: None,
            grant_expires_at: Some(c.now().plus_seconds(86_400)),
        };
        assert!(
            s.decide_access_request(ws.id, first.id, &decision)
                .await
                .unwrap()
        );
        assert!(
            !s.decide_access_request(ws.id, first.id, &decision)
                .await
                .unwrap()
        );
        let view = s
            .get_access_request(ws.id, first.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(view.request.state, AccessRequestState::Approved);
        assert_eq!(view.decided_by_email.as_deref(), Some("a@acme.test"));
        assert!(
            s.list_access_requests(ws.id, true, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            s.list_access_requests(ws.id, false, 10)
                .await
                .unwrap()
                .len(),
            1
        );
        // Once decided, the person may ask again.
        s.create_access_request(&ask(EventId::new(&c, &OsEntropy)))
            .await
            .unwrap();

        // A guest past their end is found by the sweep while active.
        let g = UserRow {
            access_expires_at: Some(c.now().plus_seconds(60)),
            ..user(&c, ws.id, "g@agency.test", WorkspaceRole::Guest)
        };
        s.create_user(&g).await.unwrap();
        assert!(
            s.users_past_access_end(c.now(), 10)
                .await
                .unwrap()
                .is_empty()
        );
        let later = c.now().plus_seconds(60);
        let due = s.users_past_access_end(later, 10).await.unwrap();
        assert_eq!((due.len(), due[0].id), (1, g.id));
        assert_eq!(due[0].role, WorkspaceRole::Guest);
        s.set_user_active(ws.id, g.id, false, later).await.unwrap();
        assert!(s.users_past_access_end(later, 10).await.unwrap().is_empty());
        assert!(
            s.set_user_access_end(ws.id, g.id, Some(later.plus_seconds(60)), later)
                .await
                .unwrap()
        );
        assert_eq!(
            s.get_user(ws.id, g.id)
                .await
                .unwrap()
                .unwrap()
                .access_expires_at,
            Some(later.plus_seconds(60))
        );
    }
}
