//! SSO sign-in rows: a flow is taken once (the callback may land on any
//! node, and a replayed `state` finds nothing), expired flows are purged,
//! and a provider account links to one user.

use super::fixtures::first_run;
use super::*;

fn flow(c: &FakeClock, key: &str, kind: SsoFlowKind) -> SsoFlowRow {
    SsoFlowRow {
        id: format!("flow-{key}"),
        key_hash: key.into(),
        kind,
        nonce: "n-0S6_WzA2Mj".into(),
        verifier: Some(vec![9, 8, 7]),
        browser_hash: "b".into(),
        workspace_id: None,
        user_id: None,
        session_id: None,
        return_to: "/".into(),
        client_challenge: String::new(),
        created_at: c.now(),
        expires_at: c.now().plus_seconds(600),
    }
}

#[tokio::test]
async fn a_flow_is_taken_once_and_expired_ones_are_purged() {
    for s in backends("sso_flows").await.stores {
        let (c, ws, owner) = first_run(s.as_ref(), "owner@acme.test", WorkspaceRole::Owner).await;
        let mut step_up = flow(&c, "k1", SsoFlowKind::StepUp);
        step_up.workspace_id = Some(ws.id);
        step_up.user_id = Some(owner.id);
        step_up.session_id = Some(SessionId::new(&c, &OsEntropy));
        s.insert_sso_flow(&step_up).await.unwrap();
        let dup = s
            .insert_sso_flow(&flow(&c, "k1", SsoFlowKind::SignIn))
            .await;
        assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");

        assert_eq!(s.take_sso_flow("k1").await.unwrap(), Some(step_up.clone()));
        assert_eq!(
            s.take_sso_flow("k1").await.unwrap(),
            None,
            "{}",
            s.backend()
        );
        assert_eq!(s.take_sso_flow("unknown").await.unwrap(), None);

        let mut old = flow(&c, "k2", SsoFlowKind::CliCode);
        old.verifier = None;
        old.expires_at = c.now().plus_seconds(-1);
        s.insert_sso_flow(&old).await.unwrap();
        s.insert_sso_flow(&flow(&c, "k3", SsoFlowKind::Cli))
            .await
            .unwrap();
        assert_eq!(s.purge_sso_flows(c.now()).await.unwrap(), 1);
        assert_eq!(s.take_sso_flow("k2").await.unwrap(), None);
        assert_eq!(
            s.take_sso_flow("k3").await.unwrap().map(|f| f.kind),
            Some(SsoFlowKind::Cli)
        );
    }
}

#[tokio::test]
async fn a_provider_account_links_to_one_user() {
    for s in backends("sso_links").await.stores {
        let (c, ws, owner) = first_run(s.as_ref(), "owner@acme.test", WorkspaceRole::Owner).await;
        let other = user(&c, ws.id, "kim@acme.test", WorkspaceRole::User);
        s.create_user(&other).await.unwrap();
        let link = SsoIdentityRow {
            issuer: "http://127.0.0.1:4000".into(),
            subject: "sub-1".into(),
            workspace_id: ws.id,
            user_id: owner.id,
            email: owner.email.clone(),
            created_at: c.now(),
        };
        assert_eq!(s.sso_identity(&link.issuer, "sub-1").await.unwrap(), None);
        s.link_sso_identity(&link).await.unwrap();
        assert_eq!(
            s.sso_identity(&link.issuer, "sub-1").await.unwrap(),
            Some(link.clone())
        );
        assert_eq!(
            s.sso_identity_of(owner.id, &link.issuer).await.unwrap(),
            Some(link.clone())
        );
        assert_eq!(
            s.sso_identity_of(other.id, &link.issuer).await.unwrap(),
            None
        );
        // The same provider account for another user, or a second account
        // at the same issuer for the same user: refused.
        let taken = SsoIdentityRow {
            user_id: other.id,
            ..link.clone()
        };
        assert!(matches!(
            s.link_sso_identity(&taken).await,
            Err(StoreError::Conflict(_))
        ));
        let second = SsoIdentityRow {
            subject: "sub-2".into(),
            ..link.clone()
        };
        assert!(matches!(
            s.link_sso_identity(&second).await,
            Err(StoreError::Conflict(_))
        ));
        // Another issuer is another provider.
        let elsewhere = SsoIdentityRow {
            issuer: "http://127.0.0.1:4001".into(),
            ..link
        };
        s.link_sso_identity(&elsewhere).await.unwrap();
    }
}
