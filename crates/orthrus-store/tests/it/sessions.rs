//! Sign-in state: sessions and API tokens (created, found by hash,
//! listed, revoked one by one or all at once) and the sign-in throttle.

use super::fixtures::*;
use super::*;

#[tokio::test]
async fn sessions_tokens_and_throttle() {
    for s in backends("sessions").await.stores {
        let (c, ws, u) = first_run(s.as_ref(), "a@acme.test", WorkspaceRole::User).await;
        let sess = session(&c, &u, "th1");
        s.create_session(&sess).await.unwrap();
        assert_eq!(s.session_by_token_hash("th1").await.unwrap().unwrap(), sess);
        s.elevate_session(sess.id, c.now().plus_seconds(600))
            .await
            .unwrap();
        assert_eq!(
            s.session_by_token_hash("th1")
                .await
                .unwrap()
                .unwrap()
                .elevated_until,
            Some(c.now().plus_seconds(600))
        );
        assert_eq!(
            s.list_sessions(ws.id, u.id, c.now()).await.unwrap().len(),
            1
        );
        let tok = ApiTokenRow {
            token_hash: "tk1".into(),
            prefix: "ort_abcd".into(),
            ..token(&c, &u, "ci")
        };
        s.create_api_token(&tok).await.unwrap();
        assert_eq!(
            s.list_api_tokens(ws.id, u.id).await.unwrap(),
            vec![tok.clone()]
        );
        s.revoke_user_credentials(ws.id, u.id, c.now())
            .await
            .unwrap();
        let stored = s.session_by_token_hash("th1").await.unwrap().unwrap();
        assert!(stored.revoked_at.is_some());
        let stored = s.api_token_by_hash("tk1").await.unwrap().unwrap();
        assert!(stored.revoked_at.is_some());
        assert!(
            s.list_sessions(ws.id, u.id, c.now())
                .await
                .unwrap()
                .is_empty()
        );

        // Throttle: 3 failures in the window lock the key.
        for i in 1..=2 {
            let t = s
                .record_failure("email:a", c.now(), 900, 3, 60)
                .await
                .unwrap();
            assert_eq!((t.failures, t.locked_until), (i, None));
        }
        let t = s
            .record_failure("email:a", c.now(), 900, 3, 60)
            .await
            .unwrap();
        assert_eq!(t.locked_until, Some(c.now().plus_seconds(60)));
        // After the window, counting restarts.
        c.advance_secs(1000);
        let t = s
            .record_failure("email:a", c.now(), 900, 3, 60)
            .await
            .unwrap();
        assert_eq!(t.failures, 1);
        s.clear_throttle("email:a").await.unwrap();
        assert!(s.get_throttle("email:a").await.unwrap().is_none());
    }
}
