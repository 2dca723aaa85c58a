//! Invitations (issue 14): one use, revocable, expiring, found by the hash
//! of their token; and signing a user out everywhere but one session.

use super::fixtures::*;
use super::*;

fn invitation(
    c: &FakeClock,
    ws: WorkspaceId,
    by: UserId,
    email: &str,
    hash: &str,
) -> InvitationRow {
    InvitationRow {
        id: EventId::new(c, &OsEntropy),
        workspace_id: ws,
        email: email.into(),
        role: WorkspaceRole::Admin,
        token_hash: hash.into(),
        invited_by: by,
        emailed: false,
        created_at: c.now(),
        expires_at: c.now().plus_seconds(7 * 86_400),
        accepted_at: None,
        revoked_at: None,
        user_id: None,
        access_expires_at: None,
    }
}

#[tokio::test]
async fn invitations_are_used_once_revocable_and_expire() {
    for s in backends("invitations").await.stores {
        let (c, ws, owner) = first_run(s.as_ref(), "o@acme.test", WorkspaceRole::Owner).await;

        let inv = invitation(&c, ws.id, owner.id, "new@acme.test", "h1");
        s.create_invitation(&inv).await.unwrap();
        assert_eq!(
            s.invitation_by_token_hash("h1").await.unwrap().unwrap(),
            inv
        );
        assert_eq!(s.get_invitation(ws.id, inv.id).await.unwrap().unwrap(), inv);
        assert!(s.invitation_by_token_hash("nope").await.unwrap().is_none());
        // The token hash is unique.
        c.advance_secs(1);
        let dup = invitation(&c, ws.id, owner.id, "x@acme.test", "h1");
        assert!(matches!(
            s.create_invitation(&dup).await,
            Err(StoreError::Conflict(_))
        ));

        // Accepting creates the user once.
        c.advance_secs(1);
        let newbie = UserRow {
            role: WorkspaceRole::Admin,
            ..user(&c, ws.id, "new@acme.test", WorkspaceRole::Admin)
        };
        assert!(s.accept_invitation(inv.id, &newbie, c.now()).await.unwrap());
        let used = s.get_invitation(ws.id, inv.id).await.unwrap().unwrap();
        assert_eq!(used.accepted_at, Some(c.now()));
        assert_eq!(used.user_id, Some(newbie.id));
        assert_eq!(
            s.find_user_by_email("new@acme.test")
                .await
                .unwrap()
                .unwrap()
                .role,
            WorkspaceRole::Admin
        );
        let again = user(&c, ws.id, "new2@acme.test", WorkspaceRole::User);
        assert!(!s.accept_invitation(inv.id, &again, c.now()).await.unwrap());
        assert!(
            s.find_user_by_email("new2@acme.test")
                .await
                .unwrap()
                .is_none()
        );
        // A used invitation cannot be revoked.
        assert!(!s.revoke_invitation(ws.id, inv.id, c.now()).await.unwrap());

        // Revoked: not accepted.
        c.advance_secs(1);
        let revoked = invitation(&c, ws.id, owner.id, "r@acme.test", "h2");
        s.create_invitation(&revoked).await.unwrap();
        assert!(
            s.revoke_invitation(ws.id, revoked.id, c.now())
                .await
                .unwrap()
        );
        assert!(
            !s.revoke_invitation(ws.id, revoked.id, c.now())
                .await
                .unwrap()
        );
        let r = user(&c, ws.id, "r@acme.test", WorkspaceRole::User);
        assert!(!s.accept_invitation(revoked.id, &r, c.now()).await.unwrap());
        assert!(s.find_user_by_email("r@acme.test").await.unwrap().is_none());

        // Expired: not accepted.
        c.advance_secs(1);
        let old = invitation(&c, ws.id, owner.id, "e@acme.test", "h3");
        s.create_invitation(&old).await.unwrap();
        let late = old.expires_at.plus_seconds(1);
        let e = user(&c, ws.id, "e@acme.test", WorkspaceRole::User);
        assert!(!s.accept_invitation(old.id, &e, late).await.unwrap());

        // An email already taken: Conflict, and the invitation stays open.
        c.advance_secs(1);
        let taken = invitation(&c, ws.id, owner.id, "o@acme.test", "h4");
        s.create_invitation(&taken).await.unwrap();
        let clash = user(&c, ws.id, "o@acme.test", WorkspaceRole::User);
        assert!(matches!(
            s.accept_invitation(taken.id, &clash, c.now()).await,
            Err(StoreError::Conflict(_))
        ));
        assert!(
            s.get_invitation(ws.id, taken.id)
                .await
                .unwrap()
                .unwrap()
                .accepted_at
                .is_none()
        );

        // Newest first, and only the workspace's own.
        let ids: Vec<_> = s
            .list_invitations(ws.id)
            .await
            .unwrap()
            .into_iter()
            .map(|i| i.id)
            .collect();
        assert_eq!(ids, vec![taken.id, old.id, revoked.id, inv.id]);
        let other = workspace(&c);
        assert!(s.list_invitations(other.id).await.unwrap().is_empty());
        assert!(s.get_invitation(other.id, inv.id).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn other_sessions_end_and_the_kept_one_stays() {
    for s in backends("other_sessions").await.stores {
        let (c, ws, u) = first_run(s.as_ref(), "a@acme.test", WorkspaceRole::User).await;
        let mut ids = Vec::new();
        for n in 0..3 {
            let sess = session(&c, &u, &format!("t{n}"));
            s.create_session(&sess).await.unwrap();
            ids.push(sess.id);
        }
        let ended = s
            .revoke_other_sessions(ws.id, u.id, Some(ids[1]), c.now())
            .await
            .unwrap();
        assert_eq!(ended, 2);
        let left: Vec<_> = s
            .list_sessions(ws.id, u.id, c.now())
            .await
            .unwrap()
            .into_iter()
            .map(|x| x.id)
            .collect();
        assert_eq!(left, vec![ids[1]]);
    }
}
