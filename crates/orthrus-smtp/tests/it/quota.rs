//! Inbox rate limits and storage quotas through the real listener, the real
//! app and a real database (issue 11, finding 5), on SQLite and, when
//! `ORTHRUS_TEST_DATABASE_URL` is set, PostgreSQL.

use crate::Client;
use orthrus_app::{App, AppConfig, InboxLimits, NewAccount};
use orthrus_core::{FakeClock, OsEntropy, Timestamp, WorkspaceId};
use orthrus_crypto::MasterKey;
use orthrus_smtp::{AppDelivery, SmtpConfig, serve};
use orthrus_store::{InboxUsage, Store};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// SQLite always; PostgreSQL too when configured.
async fn stores(tag: &str) -> (Vec<Arc<dyn Store>>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut out = vec![
        orthrus_store::open(&format!("sqlite://{}", dir.path().join("q.db").display()))
            .await
            .unwrap(),
    ];
    if let Some(base) = orthrus_store::testing::pg_base_url() {
        let url = orthrus_store::testing::pg_scratch_database(&base, tag)
            .await
            .unwrap();
        out.push(orthrus_store::open(&url).await.unwrap());
    } else {
        eprintln!("ORTHRUS_TEST_DATABASE_URL not set: PostgreSQL half of {tag} skipped");
    }
    (out, dir)
}

/// One node: an app with `limits` over `store`, and its SMTP listener.
struct Node {
    app: App,
    smtp: String,
    _stop: tokio_util::sync::DropGuard,
}

/// An app over `store` on `clock`, with cheap password hashing.
fn app(store: Arc<dyn Store>, clock: &FakeClock, limits: InboxLimits) -> App {
    App::new(
        store,
        MasterKey::generate(&OsEntropy),
        Arc::new(clock.clone()),
        Arc::new(OsEntropy),
        AppConfig {
            argon_memory_kib: 1024,
            argon_iterations: 1,
            inbox_limits: limits,
            ..AppConfig::default()
        },
    )
    .unwrap()
}

/// A node over `store` with `limits`, and the fake clock it runs on.
async fn node_on_clock(store: &Arc<dyn Store>, limits: InboxLimits) -> (FakeClock, Node) {
    let clock = FakeClock::new(Timestamp(1_790_000_000_000));
    let n = node(Arc::clone(store), &clock, limits).await;
    (clock, n)
}

async fn node(store: Arc<dyn Store>, clock: &FakeClock, limits: InboxLimits) -> Node {
    let app = app(store, clock, limits);
    // No name server is asked: the sender's policy is pinned, and nothing
    // listens on the loopback port given for anything else.
    let auth = orthrus_smtp::auth::AuthConfig {
        pinned: vec![("_dmarc.sender.test".into(), "v=DMARC1; p=none".into())],
        dns_servers: vec!["127.0.0.1:9".parse().unwrap()],
        timeout: Duration::from_secs(1),
        ..Default::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let smtp = listener.local_addr().unwrap().to_string();
    let stop = CancellationToken::new();
    tokio::spawn(serve(
        listener,
        SmtpConfig::default(),
        Arc::new(AppDelivery::new(app.clone(), &auth).unwrap()),
        stop.clone(),
    ));
    Node {
        app,
        smtp,
        _stop: stop.drop_guard(),
    }
}

/// A workspace with one account and `n` managed addresses.
async fn addresses(app: &App, store: &Arc<dyn Store>, n: usize) -> (WorkspaceId, Vec<String>) {
    app.bootstrap(
        "Quota",
        "owner@quota.test",
        "Owner",
        "owner-password-1",
        "127.0.0.1",
    )
    .await
    .unwrap();
    let u = store
        .find_user_by_email("owner@quota.test")
        .await
        .unwrap()
        .unwrap();
    let actor = app.local_actor(u.id, u.workspace_id).await.unwrap();
    let acct = app
        .create_account(
            &actor,
            NewAccount {
                app: "instagram".into(),
                label: "Brand".into(),
                login_url: String::new(),
                username: String::new(),
                password: "p".into(),
                notes: None,
                fields: Vec::new(),
            },
        )
        .await
        .unwrap();
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(
            app.create_managed_email(&actor, acct.summary.id.parse().unwrap())
                .await
                .unwrap()
                .address,
        );
    }
    (u.workspace_id, out)
}

/// `len` bytes of text that compress poorly (random letters), so the
/// stored size is close to the sent one.
fn noise(len: usize, seed: u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut x = seed | 1;
    let mut out = String::with_capacity(len + len / 70 * 2);
    for i in 0..len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.push(ALPHABET[(x % 64) as usize] as char);
        if i % 70 == 69 {
            out.push_str("\r\n");
        }
    }
    out
}

fn message(n: usize, body: &str) -> String {
    format!(
        "From: Sender <code@sender.test>\r\nSubject: Your code {n}\r\nMessage-ID: <q-{n}@sender.test>\r\n\r\nYour code is 4{n:05}.\r\n{body}\r\n"
    )
}

/// One transaction, pipelined; returns the RCPT reply and, when DATA was
/// accepted, the reply after the message.
async fn send(c: &mut Client, to: &str, msg: &str) -> (String, Option<String>) {
    assert!(
        c.cmd("MAIL FROM:<code@sender.test>")
            .await
            .starts_with("250")
    );
    let rcpt = c.cmd(&format!("RCPT TO:<{to}>")).await;
    let data = c.cmd("DATA").await;
    if !data.starts_with("354") {
        assert!(c.cmd("RSET").await.starts_with("250"));
        return (rcpt, None);
    }
    c.send(&format!("{msg}.\r\n")).await;
    (rcpt, Some(c.reply().await))
}

/// A session on the node's SMTP port, past EHLO.
async fn greeted(n: &Node) -> Client {
    let (mut c, _) = Client::connect(&n.smtp).await;
    c.cmd("EHLO sender.test").await;
    c
}

/// Sends one message that must be taken at RCPT and at the end of DATA.
async fn accepted(c: &mut Client, to: &str, msg: &str) {
    let (rcpt, end) = send(c, to, msg).await;
    assert!(rcpt.starts_with("250"), "{rcpt}");
    assert!(end.unwrap().starts_with("250"));
}

async fn usage(store: &Arc<dyn Store>, ws: WorkspaceId, address: &str) -> InboxUsage {
    store.inbox_usage(ws, address, Timestamp(0)).await.unwrap()
}

#[tokio::test]
async fn over_the_address_rate_rcpt_is_452_and_nothing_is_stored() {
    let (stores, _dir) = stores("smtprate").await;
    for store in stores {
        let (clock, n) = node_on_clock(
            &store,
            InboxLimits {
                address_messages_per_minute: 3,
                workspace_messages_per_minute: 5,
                ..InboxLimits::default()
            },
        )
        .await;
        let (ws, addrs) = addresses(&n.app, &store, 2).await;
        let mut c = greeted(&n).await;
        for i in 0..3 {
            accepted(&mut c, &addrs[0], &message(i, "")).await;
        }
        // The fourth message to the address in the same minute.
        let (rcpt, end) = send(&mut c, &addrs[0], &message(3, "")).await;
        assert!(rcpt.starts_with("452 4.2.1"), "{rcpt}");
        assert!(
            end.is_none(),
            "DATA must not be accepted without a recipient"
        );
        assert_eq!(usage(&store, ws, &addrs[0]).await.recipient_recent, 3);
        // The workspace's own rate: 2 more to another address, then 452.
        for i in 10..12 {
            let (rcpt, _) = send(&mut c, &addrs[1], &message(i, "")).await;
            assert!(rcpt.starts_with("250"), "{rcpt}");
        }
        let (rcpt, _) = send(&mut c, &addrs[1], &message(12, "")).await;
        assert!(rcpt.starts_with("452"), "{rcpt}");
        let u = usage(&store, ws, &addrs[1]).await;
        assert_eq!((u.recipient_recent, u.workspace_recent), (2, 5));
        // A minute later the address takes mail again.
        clock.advance_secs(61);
        accepted(&mut c, &addrs[0], &message(4, "")).await;
        assert_eq!(usage(&store, ws, &addrs[0]).await.recipient_recent, 4);
    }
}

#[tokio::test]
async fn over_the_storage_quota_is_552_before_anything_is_stored() {
    let (stores, _dir) = stores("smtpquota").await;
    for store in stores {
        // Each message below is ~6 KB stored: two fit, a third does not.
        let (clock, n) = node_on_clock(
            &store,
            InboxLimits {
                address_storage_bytes: 15_000,
                workspace_storage_bytes: 1_000_000,
                ..InboxLimits::default()
            },
        )
        .await;
        let (ws, addrs) = addresses(&n.app, &store, 1).await;
        let address = &addrs[0];
        let mut c = greeted(&n).await;
        for i in 0..2 {
            accepted(&mut c, address, &message(i, &noise(8_000, i as u64))).await;
        }
        let before = usage(&store, ws, address).await;
        assert_eq!(before.recipient_recent, 2);
        assert!(before.recipient_bytes > 10_000 && before.recipient_bytes < 15_000);
        // Accepted at RCPT (room is left), refused at the end of DATA
        // because this message does not fit: nothing more is stored.
        let (rcpt, end) = send(&mut c, address, &message(2, &noise(8_000, 99))).await;
        assert!(rcpt.starts_with("250"), "{rcpt}");
        let end = end.unwrap();
        assert!(end.starts_with("552 5.2.2"), "{end}");
        assert_eq!(usage(&store, ws, address).await, before);
        // A small message still fits.
        let (_, end) = send(&mut c, address, &message(3, "")).await;
        assert!(end.unwrap().starts_with("250"));

        // Another node sharing the database, with more room, fills the
        // address past this node's quota: this node now refuses at RCPT,
        // from the counts in the database.
        let other = app(Arc::clone(&store), &clock, InboxLimits::default());
        let stored = other
            .ingest_email(
                std::slice::from_ref(address),
                message(4, &noise(8_000, 7)).as_bytes(),
                None,
            )
            .await
            .unwrap();
        assert_eq!(stored, 1);
        let full = usage(&store, ws, address).await;
        assert!(full.recipient_bytes >= 15_000, "{full:?}");
        let (rcpt, end) = send(&mut c, address, &message(5, "")).await;
        assert!(rcpt.starts_with("552 5.2.2"), "{rcpt}");
        assert!(end.is_none());
        assert_eq!(usage(&store, ws, address).await, full);
    }
}

#[tokio::test]
async fn sms_webhooks_share_the_inbox_rates_and_quotas() {
    let (stores, _dir) = stores("smsquota").await;
    for store in stores {
        let (_clock, n) = node_on_clock(
            &store,
            InboxLimits {
                address_messages_per_minute: 2,
                ..InboxLimits::default()
            },
        )
        .await;
        let (ws, _) = addresses(&n.app, &store, 0).await;
        let u = store
            .find_user_by_email("owner@quota.test")
            .await
            .unwrap()
            .unwrap();
        let actor = n.app.local_actor(u.id, ws).await.unwrap();
        let acct = n.app.list_accounts(&actor, false).await.unwrap().remove(0);
        n.app
            .add_phone_number(&actor, "+14155550123")
            .await
            .unwrap();
        let number = n
            .app
            .assign_phone_number(&actor, acct.id.parse().unwrap())
            .await
            .unwrap()
            .number;
        for i in 0..2 {
            let stored = n
                .app
                .ingest_sms(
                    "+15550000",
                    &number,
                    &format!("Code 12345{i}"),
                    &format!("SM{i}"),
                )
                .await
                .unwrap();
            assert!(stored);
        }
        let e = n
            .app
            .ingest_sms("+15550000", &number, "Code 999999", "SM9")
            .await
            .unwrap_err();
        assert_eq!(e.code(), "inbox.rate_limited", "{e}");
        assert_eq!(usage(&store, ws, &number).await.recipient_recent, 2);
    }
}

#[tokio::test]
async fn one_address_named_many_times_is_one_recipient_and_one_copy() {
    let (stores, _dir) = stores("smtpduprcpt").await;
    for store in stores {
        let (_clock, n) = node_on_clock(&store, InboxLimits::default()).await;
        let (ws, addrs) = addresses(&n.app, &store, 1).await;
        let mut c = greeted(&n).await;
        assert!(
            c.cmd("MAIL FROM:<code@sender.test>")
                .await
                .starts_with("250")
        );
        // Named 20 times, in two spellings: each would have cost a sealed
        // copy of the whole message.
        for i in 0..20 {
            let to = if i % 2 == 0 {
                addrs[0].clone()
            } else {
                addrs[0].to_uppercase()
            };
            let r = c.cmd(&format!("RCPT TO:<{to}>")).await;
            assert!(r.starts_with("250"), "{r}");
            assert_eq!(i > 0, r.contains("already a recipient"), "{r}");
        }
        assert!(c.cmd("DATA").await.starts_with("354"));
        c.send(&format!("{}.\r\n", message(1, &noise(200_000, 7))))
            .await;
        assert!(c.reply().await.starts_with("250"));
        let u = usage(&store, ws, &addrs[0]).await;
        assert_eq!(u.recipient_recent, 1, "one copy stored");
        assert!(
            u.recipient_bytes < 2 * 200_000,
            "one copy's bytes: {}",
            u.recipient_bytes
        );
    }
}
