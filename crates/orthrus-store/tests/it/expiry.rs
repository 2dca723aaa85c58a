//! Time-boxed memberships (issue 15): past its end a membership grants
//! nothing, in every query that decides access, before any sweep; the
//! sweep's delete takes only memberships that really ended.

use super::*;

#[tokio::test]
async fn ended_memberships_grant_nothing_before_the_sweep() {
    for s in backends("expiry").await.stores {
        let c = clock();
        let ws = workspace(&c);
        let u = user(&c, ws.id, "a@acme.test", WorkspaceRole::Owner);
        let v = user(&c, ws.id, "b@acme.test", WorkspaceRole::User);
        s.bootstrap(&ws, &u).await.unwrap();
        s.create_user(&v).await.unwrap();
        let a = account(&c, ws.id, u.id, "Brand IG");
        s.create_account(&a, &owner_of(&a, u.id), &[])
            .await
            .unwrap();
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
