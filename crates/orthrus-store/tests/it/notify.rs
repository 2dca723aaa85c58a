//! Change notifications across nodes (issue 16, item 2): what one store
//! writes on PostgreSQL is heard by another store's [`ChangeFeed`] on the
//! same database, and a lost listening connection comes back with a
//! [`Change::Resync`]. SQLite has no feed (one node, in-process wake-ups).

use super::fixtures::{Scene, job_step, message, session, used_step};
use super::*;
use std::time::Duration;

/// The next change `want` accepts, within a second (others are skipped).
async fn heard(feed: &mut ChangeFeed, what: &str, want: impl Fn(&Change) -> bool) {
    let found = tokio::time::timeout(Duration::from_secs(1), async {
        loop {
            if want(&feed.next().await) {
                return;
            }
        }
    })
    .await;
    assert!(found.is_ok(), "{what}: not heard within a second");
}

/// The next change of `feed`, within 5 s.
async fn next_change(feed: &mut ChangeFeed) -> Change {
    tokio::time::timeout(Duration::from_secs(5), feed.next())
        .await
        .unwrap()
}

/// Keeps `feed` listening, what it hears dropped, until aborted.
fn keep_listening(mut feed: ChangeFeed) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            feed.next().await;
        }
    })
}

/// A scratch PostgreSQL database `tag`, or none (a test of `what` says
/// it is skipped) when `ORTHRUS_TEST_DATABASE_URL` is not set.
async fn pg_url(tag: &str, what: &str) -> Option<String> {
    let Some(base) = testing::pg_base_url() else {
        eprintln!("ORTHRUS_TEST_DATABASE_URL not set: {what} skipped");
        return None;
    };
    Some(testing::pg_scratch_database(&base, tag).await.unwrap())
}

#[tokio::test]
async fn sqlite_has_no_feed() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open(&dir.path().join("t.db")).await.unwrap();
    assert!(s.change_feed().is_none());
}

/// Announcing is part of every store: on SQLite (no feed, one process) it
/// answers Ok and does nothing; on PostgreSQL the store's own feed hears it.
#[tokio::test]
async fn announcing_answers_on_every_backend_and_a_feed_hears_it() {
    for s in backends("announce").await.stores {
        let sc = Scene::new(&s).await;
        let change = Change::Access {
            workspace: sc.ws.id,
            user: sc.owner.id,
        };
        match s.change_feed() {
            None => {
                assert_eq!(s.backend(), "sqlite");
                s.announce(&change).await.unwrap();
            }
            Some(mut feed) => {
                assert_eq!(s.backend(), "postgres");
                assert_eq!(next_change(&mut feed).await, Change::Resync);
                s.announce(&change).await.unwrap();
                heard(&mut feed, "its own announcement", |c| *c == change).await;
            }
        }
    }
}

#[tokio::test]
async fn another_node_hears_messages_codes_jobs_and_revocations() {
    let Some(url) = pg_url("notify", "cross-node notifications").await else {
        return;
    };
    let a = PgStore::connect(&url).await.unwrap();
    let b = PgStore::connect(&url).await.unwrap();
    let mut feed = b.change_feed().unwrap();
    assert_eq!(
        next_change(&mut feed).await,
        Change::Resync,
        "the first thing heard is that B is listening"
    );

    let (c, ws, u, acc) = Scene::with(&a, "o@acme.test", "IG").await.into_parts();
    let inbox = Change::Inbox {
        workspace: ws.id,
        account: acc.id,
    };

    let m = message(&c, &acc, "m1");
    assert!(a.insert_message(&m).await.unwrap());
    heard(&mut feed, "a message stored", |ch| *ch == inbox).await;
    assert!(a.mark_message_used(ws.id, m.id, c.now()).await.unwrap());
    heard(&mut feed, "a message marked used", |ch| *ch == inbox).await;

    a.mark_step_used(&used_step(&c, &acc, 42, &u, "copy"))
        .await
        .unwrap();
    heard(&mut feed, "a code marked used", |ch| {
        *ch == Change::OtpUsed {
            workspace: ws.id,
            account: acc.id,
        }
    })
    .await;

    let j = job(&c, &acc, u.id, "login");
    a.insert_job(&j).await.unwrap();
    heard(&mut feed, "a job queued", |ch| {
        *ch == Change::Job { job: j.id }
    })
    .await;
    a.add_job_step(&job_step(&c, j.id, "open")).await.unwrap();
    heard(&mut feed, "a job step", |ch| {
        *ch == Change::Job { job: j.id }
    })
    .await;

    let sess = session(&c, &u, "th-notify");
    a.create_session(&sess).await.unwrap();
    let access = Change::Access {
        workspace: ws.id,
        user: u.id,
    };
    assert!(
        a.revoke_session(ws.id, u.id, sess.id, c.now())
            .await
            .unwrap()
    );
    heard(&mut feed, "a session revoked", |ch| *ch == access).await;
    a.set_user_active(ws.id, u.id, false, c.now())
        .await
        .unwrap();
    heard(&mut feed, "a user deactivated", |ch| *ch == access).await;

    // The listening connection dies: B listens again, says so (waiters
    // look again for what was sent meanwhile), and hears what follows.
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    let killed: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND query LIKE 'LISTEN%'",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert_eq!(killed, vec![true], "one listening connection");
    assert_eq!(
        tokio::time::timeout(Duration::from_secs(10), feed.next())
            .await
            .unwrap(),
        Change::Resync
    );
    assert!(a.insert_message(&message(&c, &acc, "m2")).await.unwrap());
    heard(&mut feed, "a message after reconnecting", |ch| *ch == inbox).await;
}

#[tokio::test]
async fn closing_the_store_is_not_held_up_by_its_listener() {
    let Some(url) = pg_url("notifyclose", "listener close").await else {
        return;
    };
    let s = PgStore::connect(&url).await.unwrap();
    let mut feed = s.change_feed().unwrap();
    assert_eq!(feed.next().await, Change::Resync);
    // Listening, as `orthrus recipe try` does until it closes the store.
    let listening = keep_listening(feed);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let closed = tokio::time::timeout(Duration::from_secs(5), Store::close(&s)).await;
    assert!(closed.is_ok(), "close waited for the listening connection");
    listening.abort();
}

/// The security review's M3: the listening connection is the feed's own,
/// not one of the pool's, so even a pool of one still answers while the
/// feed listens.
#[tokio::test]
async fn the_feed_takes_no_connection_of_the_pool() {
    let Some(url) = pg_url("notifypool", "listener outside the pool").await else {
        return;
    };
    let s = PgStore::connect_with(
        &url,
        PoolSettings {
            max_connections: Some(1),
        },
    )
    .await
    .unwrap();
    let mut feed = s.change_feed().unwrap();
    assert_eq!(next_change(&mut feed).await, Change::Resync);
    let listening = keep_listening(feed);
    let answered = tokio::time::timeout(Duration::from_secs(3), s.list_workspaces()).await;
    assert!(
        matches!(answered, Ok(Ok(_))),
        "a pool of one answered nothing while the feed listened: {answered:?}"
    );
    // And announcing through that pool still reaches a listener.
    let other = PgStore::connect(&url).await.unwrap();
    let mut heard_by = other.change_feed().unwrap();
    assert_eq!(heard_by.next().await, Change::Resync);
    let ws: WorkspaceId = "0190c7d2-6b1f-7000-8000-000000000001".parse().unwrap();
    let access = Change::Access {
        workspace: ws,
        user: "0190c7d2-6b1f-7000-8000-000000000002".parse().unwrap(),
    };
    s.announce(&access).await.unwrap();
    heard(&mut heard_by, "an announced change", |c| *c == access).await;
    listening.abort();
}

/// The security review's L4: while the feed cannot listen, it says so
/// (live streams then re-check their sign-in every 2 s instead of 30 s),
/// and says so again once it listens (with a Resync).
#[tokio::test]
async fn the_feed_says_when_it_stops_and_starts_listening() {
    let Some(base) = testing::pg_base_url() else {
        eprintln!("ORTHRUS_TEST_DATABASE_URL not set: listening state skipped");
        return;
    };
    let url = testing::pg_scratch_database(&base, "notifystate")
        .await
        .unwrap();
    let s = PgStore::connect(&url).await.unwrap();
    let (tx, mut states) = tokio::sync::mpsc::unbounded_channel();
    let mut feed = s.change_feed().unwrap().on_listening(move |up| {
        let _ = tx.send(up);
    });
    let (changes_tx, mut changes) = tokio::sync::mpsc::unbounded_channel();
    let listening = tokio::spawn(async move {
        loop {
            let _ = changes_tx.send(feed.next().await);
        }
    });
    let within = |secs| Duration::from_secs(secs);
    assert_eq!(
        tokio::time::timeout(within(5), states.recv())
            .await
            .unwrap(),
        Some(true)
    );
    assert_eq!(changes.recv().await, Some(Change::Resync));

    // The database refuses new connections and the listening one is cut.
    let db = url.rsplit('/').next().unwrap().split('?').next().unwrap();
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&base)
        .await
        .unwrap();
    let killed = testing::cut_listeners(&mut admin, db).await.unwrap();
    assert_eq!(killed, vec![true], "one listening connection");
    let down = tokio::time::timeout(within(10), states.recv()).await;
    // Let it in again before anything can fail.
    testing::allow_connections(&mut admin, db, true)
        .await
        .unwrap();
    assert_eq!(
        down.unwrap(),
        Some(false),
        "the feed said it lost listening"
    );
    assert_eq!(
        tokio::time::timeout(within(10), states.recv())
            .await
            .unwrap(),
        Some(true)
    );
    let resync = tokio::time::timeout(within(1), async {
        while changes.recv().await != Some(Change::Resync) {}
    })
    .await;
    assert!(resync.is_ok(), "listening again is a resync");
    listening.abort();
}
