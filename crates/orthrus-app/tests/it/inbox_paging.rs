//! The inbox past its newest 500 messages (issue 14, item 5): paging with
//! `before` reaches every retained message, and search finds old ones,
//! from the index written at ingest or by the backfill.

use crate::TestApp;
use crate::support::account_with_address;
use orthrus_app::{InboxItem, InboxQuery};

const MESSAGES: usize = 620;

fn email(i: usize) -> Vec<u8> {
    // The oldest message alone says "zanzibar"; every one says "weekly".
    let extra = if i == 0 { " Your zanzibar ticket." } else { "" };
    format!(
        "From: Sender <news@sender.test>\r\nTo: brand@inbox.test\r\nSubject: Weekly note {i}\r\nMessage-ID: <m{i}@sender.test>\r\n\r\nHello, this is weekly note number n{i}.{extra}\r\n"
    )
    .into_bytes()
}

async fn fill(t: &TestApp) -> String {
    let (id, address) = account_with_address(&t.app, &t.owner, "http://127.0.0.1:9/login").await;
    for i in 0..MESSAGES {
        // Two seconds apart: under the per-address rate limit.
        t.clock.advance_secs(2);
        let n = t
            .app
            .ingest_email(std::slice::from_ref(&address), &email(i), None)
            .await
            .unwrap();
        assert_eq!(n, 1);
    }
    id
}

async fn page(t: &TestApp, q: InboxQuery) -> Vec<InboxItem> {
    t.app.list_inbox(&t.owner, &q).await.unwrap()
}

#[tokio::test]
async fn paging_with_before_reaches_every_retained_message() {
    for t in TestApp::all("inboxpaging").await {
        let account = fill(&t).await;
        let mut seen: Vec<String> = Vec::new();
        let mut before = None;
        loop {
            let items = page(
                &t,
                InboxQuery {
                    account_id: Some(account.clone()),
                    limit: Some(100),
                    before: before.clone(),
                    ..InboxQuery::default()
                },
            )
            .await;
            if items.is_empty() {
                break;
            }
            assert!(items.len() <= 100);
            before = items.last().map(|m| m.id.clone());
            seen.extend(items.into_iter().map(|m| m.subject.unwrap_or_default()));
            assert!(seen.len() <= MESSAGES, "paging does not loop");
        }
        let want: Vec<String> = (0..MESSAGES)
            .rev()
            .map(|i| format!("Weekly note {i}"))
            .collect();
        assert_eq!(seen, want, "every message once, newest first");

        // Filters are applied before paging too: the oldest message is
        // within reach of `until`, past the newest 500.
        let old = page(
            &t,
            InboxQuery {
                until: Some("2026-11-01T00:00:03Z".into()),
                ..InboxQuery::default()
            },
        )
        .await;
        assert_eq!(old.len(), 1);
        assert_eq!(old[0].subject.as_deref(), Some("Weekly note 0"));

        // A cursor that is not an id is a clear error; one that is gone
        // ends the paging.
        let bad = t
            .app
            .list_inbox(
                &t.owner,
                &InboxQuery {
                    before: Some("nope".into()),
                    ..InboxQuery::default()
                },
            )
            .await
            .unwrap_err();
        assert_eq!(bad.code(), "inbox.bad_filter");
        let gone = page(
            &t,
            InboxQuery {
                before: Some("0190b7e4-0000-7000-8000-000000000000".into()),
                ..InboxQuery::default()
            },
        )
        .await;
        assert!(gone.is_empty());
    }
}

#[tokio::test]
async fn search_finds_a_message_older_than_the_newest_500() {
    for t in TestApp::all("inboxsearch").await {
        fill(&t).await;
        let search = |text: &str| InboxQuery {
            search: Some(text.into()),
            ..InboxQuery::default()
        };
        let hit = page(&t, search("ZANZIBAR")).await;
        assert_eq!(hit.len(), 1, "found by a word of its text, any case");
        assert_eq!(hit[0].subject.as_deref(), Some("Weekly note 0"));
        // All words must be there; a word of the subject, of the sender.
        assert_eq!(page(&t, search("zanzibar ticket")).await.len(), 1);
        assert!(page(&t, search("zanzibar nowhere")).await.is_empty());
        let n7 = page(&t, search("weekly n7")).await;
        assert_eq!(n7.len(), 1);
        assert_eq!(n7[0].subject.as_deref(), Some("Weekly note 7"));
        assert_eq!(page(&t, search("sender.test note 3")).await.len(), 1);
        assert!(page(&t, search("!!!")).await.is_empty());
        let many = t
            .app
            .list_inbox(&t.owner, &search("a b c d e f g h i j k l m n o p q"))
            .await
            .unwrap_err();
        assert_eq!(many.code(), "inbox.bad_filter", "{many}");
    }
}

#[tokio::test]
async fn messages_stored_before_the_index_are_found_after_the_backfill() {
    for t in TestApp::all("inboxbackfill").await {
        fill(&t).await;
        // As if every message were stored before migration 0022: no index.
        let store = t.app.store();
        assert!(
            store.unindexed_messages(10).await.unwrap().is_empty(),
            "ingest indexes every message"
        );
        store.reset_message_index().await.unwrap();
        let search = || InboxQuery {
            search: Some("zanzibar".into()),
            ..InboxQuery::default()
        };
        assert!(page(&t, search()).await.is_empty());
        assert_eq!(
            t.app.index_unindexed_messages().await.unwrap(),
            MESSAGES as u64
        );
        assert_eq!(t.app.index_unindexed_messages().await.unwrap(), 0);
        let found = page(&t, search()).await;
        assert_eq!(found.len(), 1);
    }
}
