//! First-run setup and the instance itself: setup runs once (also when
//! two race), emails are unique, instance settings keep their first value,
//! and reopening a store applies no migration again.

use super::*;

#[tokio::test]
async fn bootstrap_only_once_and_users_are_unique() {
    for s in backends("bootstrap").await.stores {
        let c = clock();
        let ws = workspace(&c);
        let owner = user(&c, ws.id, "owner@acme.test", WorkspaceRole::Owner);
        assert_eq!(s.count_users().await.unwrap(), 0);
        s.bootstrap(&ws, &owner).await.unwrap();
        let ws2 = workspace(&c);
        let again = s
            .bootstrap(&ws2, &user(&c, ws2.id, "x@acme.test", WorkspaceRole::Owner))
            .await;
        assert!(
            matches!(again, Err(StoreError::Conflict(_))),
            "{}: {again:?}",
            s.backend()
        );
        assert!(
            s.get_workspace(ws2.id).await.unwrap().is_none(),
            "rolled back"
        );
        let dup = s
            .create_user(&user(&c, ws.id, "owner@acme.test", WorkspaceRole::User))
            .await;
        assert!(matches!(dup, Err(StoreError::Conflict(_))));
        assert_eq!(
            s.find_user_by_email("owner@acme.test")
                .await
                .unwrap()
                .unwrap(),
            owner
        );
        assert_eq!(
            s.get_user(ws.id, owner.id).await.unwrap().unwrap().role,
            WorkspaceRole::Owner
        );
        // Another workspace cannot see the user.
        s.create_workspace(&ws2).await.unwrap();
        assert!(s.get_user(ws2.id, owner.id).await.unwrap().is_none());
        s.set_user_role(ws.id, owner.id, WorkspaceRole::Admin, c.now())
            .await
            .unwrap();
        s.set_user_active(ws.id, owner.id, false, c.now())
            .await
            .unwrap();
        let u = s.get_user(ws.id, owner.id).await.unwrap().unwrap();
        assert_eq!((u.role, u.active), (WorkspaceRole::Admin, false));
        assert!(matches!(
            s.set_user_role(ws2.id, owner.id, WorkspaceRole::User, c.now())
                .await,
            Err(StoreError::NotFound)
        ));
    }
}

#[tokio::test]
async fn instance_settings_keep_the_first_value() {
    for s in backends("settings").await.stores {
        assert_eq!(s.get_setting("master_key_id").await.unwrap(), None);
        assert_eq!(
            s.put_setting_if_absent("master_key_id", "abc")
                .await
                .unwrap(),
            "abc"
        );
        assert_eq!(
            s.put_setting_if_absent("master_key_id", "def")
                .await
                .unwrap(),
            "abc"
        );
        assert_eq!(
            s.get_setting("master_key_id").await.unwrap().as_deref(),
            Some("abc")
        );
    }
}

#[tokio::test]
async fn concurrent_first_run_setups_create_one_workspace() {
    for s in backends("setuprace").await.stores {
        let c = clock();
        let mut tasks = Vec::new();
        for i in 0..4 {
            let s = Arc::clone(&s);
            let c = c.clone();
            tasks.push(tokio::spawn(async move {
                let ws = workspace(&c);
                let u = user(&c, ws.id, &format!("o{i}@acme.test"), WorkspaceRole::Owner);
                s.bootstrap(&ws, &u).await
            }));
        }
        let mut ok = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(()) => ok += 1,
                Err(StoreError::Conflict(_)) => {}
                Err(e) => panic!("{}: {e}", s.backend()),
            }
        }
        assert_eq!(ok, 1, "{}", s.backend());
        assert_eq!(s.list_workspaces().await.unwrap().len(), 1);
        assert_eq!(s.count_users().await.unwrap(), 1);
    }
}

#[tokio::test]
async fn reopening_does_not_reapply_migrations() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("re.db");
    let c = clock();
    {
        let s = SqliteStore::open(&path).await.unwrap();
        s.create_workspace(&workspace(&c)).await.unwrap();
        s.close().await;
    }
    let s = SqliteStore::open(&path).await.unwrap();
    assert_eq!(s.list_workspaces().await.unwrap().len(), 1);
}
