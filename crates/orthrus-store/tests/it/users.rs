//! Workspaces, users and their credentials: a workspace's settings
//! changed, the users listed, a password replaced, sessions and API tokens
//! touched when used, one token revoked, each scoped to its workspace; and
//! a user's own TOTP steps and recovery codes, each used once.

use super::fixtures::*;
use super::*;

#[tokio::test]
async fn the_store_answers_and_a_workspace_changes_in_place() {
    for s in backends("workspaces").await.stores {
        s.ping().await.unwrap();
        let sc = Scene::new(&s).await;
        let changed = WorkspaceRow {
            name: "Acme Social".into(),
            require_2fa: true,
            step_up_minutes: 3,
            ..sc.ws.clone()
        };
        s.update_workspace(&changed).await.unwrap();
        assert_eq!(s.get_workspace(sc.ws.id).await.unwrap(), Some(changed));
        let unknown = workspace(&sc.c);
        assert!(matches!(
            s.update_workspace(&unknown).await,
            Err(StoreError::NotFound)
        ));
        assert!(s.get_workspace(unknown.id).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn users_are_listed_by_email_in_their_workspace_and_change_password() {
    for s in backends("users").await.stores {
        let sc = Scene::new(&s).await;
        let b = sc.user(&s, "bea@acme.test", WorkspaceRole::User).await;
        let a = sc.user(&s, "al@acme.test", WorkspaceRole::Admin).await;
        let other = sc.elsewhere(&s).await;
        assert_eq!(
            s.list_users(sc.ws.id).await.unwrap(),
            vec![a.clone(), b.clone(), sc.owner.clone()]
        );
        assert_eq!(s.list_users(other.ws.id).await.unwrap(), vec![other.owner]);

        sc.c.advance_secs(60);
        s.set_user_password(sc.ws.id, b.id, "$argon2id$new", sc.c.now())
            .await
            .unwrap();
        let after = s.get_user(sc.ws.id, b.id).await.unwrap().unwrap();
        assert_eq!(
            (after.password_hash.as_str(), after.updated_at),
            ("$argon2id$new", sc.c.now())
        );
        assert_eq!(
            s.get_user(sc.ws.id, a.id)
                .await
                .unwrap()
                .unwrap()
                .password_hash,
            "$argon2id$fake",
            "nobody else's"
        );
        // Another workspace cannot change it.
        assert!(matches!(
            s.set_user_password(other.ws.id, b.id, "$argon2id$evil", sc.c.now())
                .await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(
            s.get_user(sc.ws.id, b.id)
                .await
                .unwrap()
                .unwrap()
                .password_hash,
            "$argon2id$new"
        );
    }
}

/// A bearer session of `u` (the shared builder's, as an API client holds
/// it).
fn session(c: &FakeClock, u: &UserRow, hash: &str) -> SessionRow {
    SessionRow {
        kind: SessionKind::Bearer,
        ..fixtures::session(c, u, hash)
    }
}

#[tokio::test]
async fn sessions_and_tokens_are_touched_and_a_token_is_revoked_once() {
    for s in backends("tokens").await.stores {
        let sc = Scene::new(&s).await;
        let c = &sc.c;
        let v = sc.user(&s, "v@acme.test", WorkspaceRole::User).await;
        let other = sc.elsewhere(&s).await;

        let sess = session(c, &sc.owner, "sess-1");
        s.create_session(&sess).await.unwrap();
        c.advance_secs(90);
        s.touch_session(sess.id, c.now()).await.unwrap();
        let seen = s.session_by_token_hash("sess-1").await.unwrap().unwrap();
        assert_eq!(
            seen,
            SessionRow {
                last_seen_at: c.now(),
                ..sess.clone()
            },
            "only last_seen_at moves"
        );

        let t1 = token(c, &sc.owner, "ci");
        c.advance_secs(1);
        let t2 = token(c, &sc.owner, "laptop");
        s.create_api_token(&t1).await.unwrap();
        s.create_api_token(&t2).await.unwrap();
        c.advance_secs(30);
        s.touch_api_token(t1.id, c.now()).await.unwrap();
        assert_eq!(
            s.api_token_by_hash("hash-ci").await.unwrap().unwrap(),
            ApiTokenRow {
                last_used_at: Some(c.now()),
                ..t1.clone()
            }
        );
        assert_eq!(
            s.api_token_by_hash("hash-laptop")
                .await
                .unwrap()
                .unwrap()
                .last_used_at,
            None
        );

        // Revoking: not through another user or workspace; once.
        assert!(
            !s.revoke_api_token(sc.ws.id, v.id, t1.id, c.now())
                .await
                .unwrap()
        );
        assert!(
            !s.revoke_api_token(other.ws.id, sc.owner.id, t1.id, c.now())
                .await
                .unwrap()
        );
        assert!(
            s.revoke_api_token(sc.ws.id, sc.owner.id, t1.id, c.now())
                .await
                .unwrap()
        );
        assert!(
            !s.revoke_api_token(sc.ws.id, sc.owner.id, t1.id, c.now())
                .await
                .unwrap(),
            "once"
        );
        assert_eq!(
            s.api_token_by_hash("hash-ci")
                .await
                .unwrap()
                .unwrap()
                .revoked_at,
            Some(c.now())
        );
        // The list leaves the revoked one out; the other stays usable.
        let left = s.list_api_tokens(sc.ws.id, sc.owner.id).await.unwrap();
        assert_eq!(left.iter().map(|t| t.id).collect::<Vec<_>>(), vec![t2.id]);
        assert!(
            s.api_token_by_hash("hash-laptop")
                .await
                .unwrap()
                .unwrap()
                .revoked_at
                .is_none()
        );
    }
}

#[tokio::test]
async fn totp_steps_and_recovery_codes_are_single_use() {
    for s in backends("totp").await.stores {
        let (c, ws, u) = first_run(s.as_ref(), "a@acme.test", WorkspaceRole::User).await;
        s.set_user_totp(ws.id, u.id, Some(&[9, 9]), true, c.now())
            .await
            .unwrap();
        assert!(s.claim_user_totp_step(ws.id, u.id, 100).await.unwrap());
        assert!(
            !s.claim_user_totp_step(ws.id, u.id, 100).await.unwrap(),
            "replay refused"
        );
        assert!(
            !s.claim_user_totp_step(ws.id, u.id, 99).await.unwrap(),
            "older step refused"
        );
        assert!(s.claim_user_totp_step(ws.id, u.id, 101).await.unwrap());
        s.replace_recovery_codes(ws.id, u.id, &["h1".into(), "h2".into()])
            .await
            .unwrap();
        assert_eq!(s.count_unused_recovery_codes(ws.id, u.id).await.unwrap(), 2);
        assert!(
            s.use_recovery_code(ws.id, u.id, "h1", c.now())
                .await
                .unwrap()
        );
        assert!(
            !s.use_recovery_code(ws.id, u.id, "h1", c.now())
                .await
                .unwrap()
        );
        assert!(
            !s.use_recovery_code(ws.id, u.id, "nope", c.now())
                .await
                .unwrap()
        );
        assert_eq!(s.count_unused_recovery_codes(ws.id, u.id).await.unwrap(), 1);
    }
}
