//! Users' passkeys: listed per user in the order they were added, the
//! credential and its last use updated after a sign-in, deleted once by
//! their owner; another workspace sees and changes none of them.

use super::fixtures::*;
use super::*;

fn passkey(c: &FakeClock, u: &UserRow, name: &str) -> PasskeyRow {
    PasskeyRow {
        id: EventId::new(c, &OsEntropy),
        workspace_id: u.workspace_id,
        user_id: u.id,
        name: name.into(),
        credential: format!("{{\"cred\":\"{name}\",\"counter\":0}}"),
        created_at: c.now(),
        last_used_at: None,
    }
}

#[tokio::test]
async fn passkeys_are_listed_per_user_updated_on_use_and_deleted_once() {
    for s in backends("passkeys").await.stores {
        let sc = Scene::new(&s).await;
        let c = &sc.c;
        let ws = sc.ws.id;
        let v = sc.user(&s, "v@acme.test", WorkspaceRole::User).await;
        let other = sc.elsewhere(&s).await;

        assert!(s.list_passkeys(ws, sc.owner.id).await.unwrap().is_empty());
        let laptop = passkey(c, &sc.owner, "laptop");
        c.advance_secs(1);
        let phone = passkey(c, &sc.owner, "phone");
        let hers = passkey(c, &v, "key");
        for p in [&phone, &laptop, &hers] {
            s.create_passkey(p).await.unwrap();
        }
        assert_eq!(
            s.list_passkeys(ws, sc.owner.id).await.unwrap(),
            vec![laptop.clone(), phone.clone()],
            "oldest first, only the user's"
        );
        assert_eq!(s.list_passkeys(ws, v.id).await.unwrap(), vec![hers.clone()]);
        assert!(
            s.list_passkeys(other.ws.id, sc.owner.id)
                .await
                .unwrap()
                .is_empty()
        );

        // A sign-in moves the counter and the last use.
        c.advance_secs(60);
        s.update_passkey(ws, sc.owner.id, laptop.id, "{\"counter\":7}", c.now())
            .await
            .unwrap();
        // Through another workspace nothing changes.
        s.update_passkey(
            other.ws.id,
            sc.owner.id,
            phone.id,
            "{\"counter\":99}",
            c.now(),
        )
        .await
        .unwrap();
        assert_eq!(
            s.list_passkeys(ws, sc.owner.id).await.unwrap(),
            vec![
                PasskeyRow {
                    credential: "{\"counter\":7}".into(),
                    last_used_at: Some(c.now()),
                    ..laptop.clone()
                },
                phone.clone()
            ]
        );

        // Deleted by their owner only, once.
        assert!(!s.delete_passkey(ws, v.id, laptop.id).await.unwrap());
        assert!(
            !s.delete_passkey(other.ws.id, sc.owner.id, laptop.id)
                .await
                .unwrap()
        );
        assert!(s.delete_passkey(ws, sc.owner.id, laptop.id).await.unwrap());
        assert!(!s.delete_passkey(ws, sc.owner.id, laptop.id).await.unwrap());
        assert_eq!(
            s.list_passkeys(ws, sc.owner.id).await.unwrap(),
            vec![phone.clone()]
        );
        assert_eq!(s.list_passkeys(ws, v.id).await.unwrap(), vec![hers]);
    }
}

#[tokio::test]
async fn a_passkey_is_updated_only_for_its_user_in_its_workspace() {
    for s in backends("passkeyscope").await.stores {
        let sc = Scene::new(&s).await;
        let c = &sc.c;
        let ws = sc.ws.id;
        let v = sc.user(&s, "v@acme.test", WorkspaceRole::User).await;
        let other = sc.elsewhere(&s).await;
        let laptop = passkey(c, &sc.owner, "laptop");
        s.create_passkey(&laptop).await.unwrap();
        c.advance_secs(60);

        let hacked = "{\"counter\":99}";
        assert!(
            !s.update_passkey(ws, v.id, laptop.id, hacked, c.now())
                .await
                .unwrap(),
            "another user's passkey"
        );
        assert!(
            !s.update_passkey(other.ws.id, sc.owner.id, laptop.id, hacked, c.now())
                .await
                .unwrap(),
            "through another workspace"
        );
        assert!(
            !s.update_passkey(other.ws.id, other.owner.id, laptop.id, hacked, c.now())
                .await
                .unwrap(),
            "another workspace's user"
        );
        assert!(
            !s.update_passkey(
                ws,
                sc.owner.id,
                EventId::new(c, &OsEntropy),
                hacked,
                c.now()
            )
            .await
            .unwrap(),
            "an unknown passkey"
        );
        assert_eq!(
            s.list_passkeys(ws, sc.owner.id).await.unwrap(),
            vec![laptop.clone()],
            "unchanged"
        );

        assert!(
            s.update_passkey(ws, sc.owner.id, laptop.id, "{\"counter\":7}", c.now())
                .await
                .unwrap()
        );
        assert_eq!(
            s.list_passkeys(ws, sc.owner.id).await.unwrap(),
            vec![PasskeyRow {
                credential: "{\"counter\":7}".into(),
                last_used_at: Some(c.now()),
                ..laptop
            }]
        );
    }
}
