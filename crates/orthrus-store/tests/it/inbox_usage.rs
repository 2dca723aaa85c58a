//! `Store::inbox_usage`: the counts behind the inbox rates and quotas.

use super::fixtures;
use super::fixtures::*;
use super::*;

fn message(
    c: &FakeClock,
    a: &AccountRow,
    recipient: &str,
    dedup: &str,
    size: usize,
) -> InboxMessageRow {
    InboxMessageRow {
        recipient: recipient.into(),
        sealed: vec![7; size],
        ..fixtures::message(c, a, dedup)
    }
}

#[tokio::test]
async fn inbox_usage_counts_recent_messages_and_stored_bytes() {
    for s in backends("inboxusage").await.stores {
        let (c, ws, _, a) = Scene::parts(s.as_ref(), "Brand IG").await;
        let start = c.now();
        let (x, y) = ("x-1@inbox.test", "y-1@inbox.test");
        assert_eq!(
            s.inbox_usage(ws.id, x, start).await.unwrap(),
            InboxUsage::default()
        );
        assert!(
            s.insert_message(&message(&c, &a, x, "m1", 100))
                .await
                .unwrap()
        );
        c.advance_secs(30);
        let later = c.now();
        assert!(
            s.insert_message(&message(&c, &a, x, "m2", 200))
                .await
                .unwrap()
        );
        assert!(
            s.insert_message(&message(&c, &a, y, "m3", 50))
                .await
                .unwrap()
        );
        // A second delivery of the same message is not stored, nor counted.
        assert!(
            !s.insert_message(&message(&c, &a, x, "m2", 200))
                .await
                .unwrap()
        );
        assert_eq!(
            s.inbox_usage(ws.id, x, later).await.unwrap(),
            InboxUsage {
                recipient_recent: 1,
                recipient_bytes: 300,
                workspace_recent: 2,
                workspace_bytes: 350,
            }
        );
        // Another workspace sees none of it, even for the same recipient.
        let other = WorkspaceId::new(&c, &OsEntropy);
        assert_eq!(
            s.inbox_usage(other, x, start).await.unwrap(),
            InboxUsage::default()
        );
        // Purged messages give their room back.
        assert_eq!(s.purge_messages(ws.id, later).await.unwrap(), 1);
        let u = s.inbox_usage(ws.id, x, start).await.unwrap();
        assert_eq!((u.recipient_bytes, u.workspace_bytes), (200, 250));
    }
}
