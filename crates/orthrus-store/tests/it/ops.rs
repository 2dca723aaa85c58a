//! Operator queries (the `Ops` supertrait): the figures a scrape reads,
//! an online snapshot (SQLite; PostgreSQL is refused, `pg_dump` does it),
//! the sealed values a master-key rotation walks and replaces only while
//! unchanged, instance keys kept once, and instance settings set and
//! removed.

use super::fixtures::*;
use super::*;

#[tokio::test]
async fn scrape_figures_count_the_inbox_jobs_and_the_due_queue() {
    for s in backends("opsstats").await.stores {
        let sc = Scene::new(&s).await;
        let c = &sc.c;
        let empty = s.ops_stats(c.now()).await.unwrap();
        assert_eq!(
            (
                empty.inbox_messages,
                empty.inbox_bytes,
                empty.jobs.len(),
                empty.queue_depth,
                empty.oldest_due
            ),
            (0, 0, 0, 0, None)
        );
        assert!(empty.pool_max >= 1 && empty.pool_size <= empty.pool_max);
        assert!(empty.pool_idle <= empty.pool_size);

        let b = sc.account(&s, "B").await;
        s.insert_message(&message(c, &sc.account, "m1"))
            .await
            .unwrap();
        s.insert_message(&message(c, &b, "m2")).await.unwrap();
        let first_due = c.now();
        let done = sc.running_job(&s, "w1").await;
        c.advance_secs(3);
        assert!(
            s.set_job_state(done.id, "w1", JobState::Succeeded, None, None, c.now())
                .await
                .unwrap()
        );
        let queued = sc.job(&s, "login").await;
        s.insert_job(&job(c, &b, sc.owner.id, "login"))
            .await
            .unwrap();
        let later = JobRow {
            run_after: c.now().plus_seconds(3600),
            ..job(c, &b, sc.owner.id, "enable_mfa")
        };
        s.insert_job(&later).await.unwrap();

        let st = s.ops_stats(c.now()).await.unwrap();
        assert_eq!((st.inbox_messages, st.inbox_bytes), (2, 20));
        assert_eq!(
            st.jobs,
            vec![
                ("enable_mfa".to_owned(), JobState::Queued, 1, 0),
                ("login".to_owned(), JobState::Queued, 2, 0),
                ("login".to_owned(), JobState::Succeeded, 1, 3000),
            ]
        );
        assert_eq!(st.queue_depth, 2, "the later job is not due");
        assert_eq!(st.oldest_due, Some(queued.run_after));
        assert!(first_due <= queued.run_after);
    }
}

#[tokio::test]
async fn a_snapshot_is_a_working_copy_on_sqlite_and_refused_on_postgres() {
    for s in backends("snapshot").await.stores {
        let sc = Scene::new(&s).await;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("snap.db");
        let done = s.snapshot_into(&path).await;
        if s.backend() == "sqlite" {
            done.unwrap();
            let copy = SqliteStore::open(&path).await.unwrap();
            assert_eq!(copy.list_workspaces().await.unwrap(), vec![sc.ws.clone()]);
            assert_eq!(
                copy.get_account(sc.ws.id, sc.account.id).await.unwrap(),
                Some(sc.account.clone())
            );
            copy.close().await;
        } else {
            assert!(done.is_err(), "{}: {done:?}", s.backend());
            assert!(!path.exists());
        }
    }
}

#[tokio::test]
async fn sealed_values_are_paged_in_order_and_replaced_only_while_unchanged() {
    for s in backends("sealed").await.stores {
        let sc = Scene::new(&s).await;
        let b = sc.account(&s, "B").await;
        let d = sc.account(&s, "D").await;
        let mut keys: Vec<String> = [&sc.account, &b, &d]
            .iter()
            .map(|a| a.id.to_string())
            .collect();
        keys.sort();
        let col = SealedColumn::AccountPassword;
        let all = s.sealed_page(col, "", 10).await.unwrap();
        assert_eq!(all.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(), keys);
        assert!(all.iter().all(|(_, v)| v == &vec![1, 2, 3]));
        // Pages of two from the last row name seen.
        let page = s.sealed_page(col, "", 2).await.unwrap();
        assert_eq!(page.len(), 2);
        let rest = s.sealed_page(col, &page[1].0, 2).await.unwrap();
        assert_eq!(
            rest.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
            vec![keys[2].clone()]
        );
        // Null values are left out: no account has notes.
        assert!(
            s.sealed_page(SealedColumn::AccountNotes, "", 10)
                .await
                .unwrap()
                .is_empty()
        );

        let row = b.id.to_string();
        assert!(
            !s.replace_sealed(col, &row, &[9, 9], &[4, 5, 6])
                .await
                .unwrap(),
            "not the value there"
        );
        assert!(
            s.replace_sealed(col, &row, &[1, 2, 3], &[4, 5, 6])
                .await
                .unwrap()
        );
        assert!(
            !s.replace_sealed(col, &row, &[1, 2, 3], &[7, 8, 9])
                .await
                .unwrap(),
            "changed meanwhile"
        );
        assert_eq!(
            s.get_account(sc.ws.id, b.id)
                .await
                .unwrap()
                .unwrap()
                .password,
            vec![4, 5, 6]
        );
        assert_eq!(
            s.get_account(sc.ws.id, d.id)
                .await
                .unwrap()
                .unwrap()
                .password,
            vec![1, 2, 3],
            "only that row"
        );
    }
}

#[tokio::test]
async fn instance_keys_are_kept_once_and_settings_set_and_removed() {
    for s in backends("instkeys").await.stores {
        assert_eq!(s.instance_key("search").await.unwrap(), None);
        s.put_instance_key_if_absent("search", &[1; 8])
            .await
            .unwrap();
        s.put_instance_key_if_absent("search", &[2; 8])
            .await
            .unwrap();
        s.put_instance_key_if_absent("pairing", &[3; 8])
            .await
            .unwrap();
        assert_eq!(
            s.instance_key("search").await.unwrap(),
            Some(vec![1; 8]),
            "another node's key is kept"
        );
        assert_eq!(s.instance_key("pairing").await.unwrap(), Some(vec![3; 8]));
        assert_eq!(
            s.sealed_page(SealedColumn::InstanceKey, "", 10)
                .await
                .unwrap(),
            vec![
                ("pairing".to_owned(), vec![3; 8]),
                ("search".to_owned(), vec![1; 8])
            ]
        );

        // Unlike put_setting_if_absent, set_setting overwrites and removes.
        s.set_setting("public_url", Some("https://a.test"))
            .await
            .unwrap();
        s.set_setting("public_url", Some("https://b.test"))
            .await
            .unwrap();
        assert_eq!(
            s.get_setting("public_url").await.unwrap().as_deref(),
            Some("https://b.test")
        );
        s.set_setting("public_url", None).await.unwrap();
        assert_eq!(s.get_setting("public_url").await.unwrap(), None);
        s.set_setting("public_url", None).await.unwrap();
        assert_eq!(
            s.put_setting_if_absent("public_url", "https://c.test")
                .await
                .unwrap(),
            "https://c.test"
        );
    }
}
