//! `Store::list_messages` filters in SQL (issue 14, item 5): keyset paging
//! with `before` over every message, and the word index intersected.

use super::fixtures;
use super::fixtures::*;
use super::*;

fn message(c: &FakeClock, a: &AccountRow, i: usize) -> InboxMessageRow {
    InboxMessageRow {
        channel: if i.is_multiple_of(2) {
            Channel::Email
        } else {
            Channel::Sms
        },
        has_code: i.is_multiple_of(3),
        ..fixtures::message(c, a, &format!("m{i}"))
    }
}

#[tokio::test]
async fn paging_and_word_search_reach_every_message() {
    for s in backends("inboxpaging").await.stores {
        let (c, ws, _, a) = Scene::parts(s.as_ref(), "Brand IG").await;
        let mut ids = Vec::new();
        for i in 0..650 {
            // Pairs share a millisecond: the id breaks the tie.
            if i % 2 == 0 {
                c.advance_secs(1);
            }
            let m = message(&c, &a, i);
            assert!(s.insert_message(&m).await.unwrap());
            let mut words = vec!["all".to_owned(), format!("n{i}")];
            if i == 3 {
                words.push("rare".into());
            }
            assert!(s.index_message_words(ws.id, m.id, &words).await.unwrap());
            ids.push(m.id);
        }
        assert!(s.unindexed_messages(10).await.unwrap().is_empty());
        let filter = |before, words: &[&str]| MessageFilter {
            accounts: vec![a.id],
            before,
            words: words.iter().map(|w| (*w).to_owned()).collect(),
            limit: 100,
            ..MessageFilter::default()
        };
        let mut seen = Vec::new();
        let mut before = None;
        loop {
            let page = s.list_messages(ws.id, &filter(before, &[])).await.unwrap();
            let Some(last) = page.last() else { break };
            before = Some((last.received_at, last.id));
            seen.extend(page.iter().map(|m| m.id));
        }
        assert_eq!(seen.len(), 650);
        // Newest first by received time; within a millisecond, by id.
        let mut newest_first: Vec<(usize, String, EventId)> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (i / 2, id.to_string(), *id))
            .collect();
        newest_first.sort_by(|x, y| (y.0, &y.1).cmp(&(x.0, &x.1)));
        let newest_first: Vec<EventId> = newest_first.into_iter().map(|x| x.2).collect();
        assert_eq!(seen, newest_first);

        let hit = s
            .list_messages(ws.id, &filter(None, &["rare", "all"]))
            .await
            .unwrap();
        assert_eq!(hit.iter().map(|m| m.id).collect::<Vec<_>>(), [ids[3]]);
        assert!(
            s.list_messages(ws.id, &filter(None, &["rare", "n4"]))
                .await
                .unwrap()
                .is_empty()
        );
        let combined = MessageFilter {
            channel: Some(Channel::Sms),
            has_code: true,
            until: Some(Timestamp(ids_time(&s, ws.id, ids[100]).await)),
            ..filter(None, &["all"])
        };
        let rows = s.list_messages(ws.id, &combined).await.unwrap();
        assert!(!rows.is_empty());
        assert!(rows.iter().all(|m| m.channel == Channel::Sms && m.has_code));

        // Deleting messages drops their words; a reset empties the index.
        assert_eq!(s.reset_message_index().await.unwrap(), 650);
        assert_eq!(s.unindexed_messages(500).await.unwrap().len(), 500);
        assert!(
            s.list_messages(ws.id, &filter(None, &["all"]))
                .await
                .unwrap()
                .is_empty()
        );
        let far = Timestamp(c.now().0 + 1);
        assert_eq!(s.purge_messages(ws.id, far).await.unwrap(), 650);
        assert!(s.unindexed_messages(10).await.unwrap().is_empty());
    }
}

async fn ids_time(s: &Arc<dyn Store>, ws: WorkspaceId, id: EventId) -> i64 {
    s.get_message(ws, id).await.unwrap().unwrap().received_at.0
}
