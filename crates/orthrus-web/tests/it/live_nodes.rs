//! Live pages across nodes (issue 16, item 2), over HTTP: two nodes on one
//! PostgreSQL database, each with its own pool and change hub, node B
//! following the LISTEN/NOTIFY feed as `orthrus serve` does. An inbox stream
//! open on B gets an event within a second of a message stored through A,
//! and ends within a second of its session being revoked through A (no
//! periodic check does it: the sign-in re-check runs every 30 s otherwise).
//! A filtered stream ends when its account's membership is taken back, an
//! `inbox wait` answers 401 when its session is revoked, and a node that
//! cannot listen re-checks its streams' sign-ins every 2 s (the security
//! review's L1, M2 and L4).
//! PostgreSQL only: on SQLite there is one node.

use crate::support::nodes::{Shared, listen, serve};
use crate::support::{first_run, pg_scratch_url};
use orthrus_app::{App, Change, LoginRequest, NewAccount, SessionKind};
use orthrus_core::{FakeClock, SecretString};
use orthrus_store::testing;
use std::sync::Arc;
use std::time::Duration;

const SECOND: Duration = Duration::from_secs(1);

/// A node's `App`: accounts sign in to a loopback address here; nothing
/// connects.
fn app(shared: &Shared, store: Arc<dyn orthrus_store::Store>) -> App {
    shared.app(store, |config| {
        config.egress = orthrus_app::egress::Egress::new(
            orthrus_core::egress::PrivateHostAllowList::parse(["127.0.0.1"]).unwrap(),
            Arc::new(orthrus_app::egress::SystemResolver),
        );
    })
}

/// The next chunk of the stream within a second: Some(text), or None when
/// the server ended it.
async fn next_chunk(r: &mut reqwest::Response, what: &str) -> Option<String> {
    tokio::time::timeout(SECOND, r.chunk())
        .await
        .unwrap_or_else(|_| panic!("{what}: nothing within a second"))
        .unwrap()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// Two nodes on a scratch database, B following the feed and serving
/// HTTP, with the workspace's Owner (local actor on A) and an account with
/// a managed address.
struct Two {
    a: App,
    b: App,
    b_url: String,
    owner: orthrus_app::Actor,
    id: String,
    address: String,
    clock: FakeClock,
    /// The scratch database's URL.
    url: String,
}

/// [`Two`] nodes; None without PostgreSQL.
async fn two_nodes(tag: &str) -> Option<Two> {
    let url = pg_scratch_url(tag, "live pages across nodes").await?;
    let shared = Shared::new();
    let a = app(&shared, orthrus_store::open(&url).await.unwrap());
    let b = app(&shared, orthrus_store::open(&url).await.unwrap());
    let mut listening = b.watch_changes();
    tokio::spawn(b.follow_other_nodes().expect("PostgreSQL has a feed"));
    assert_eq!(
        tokio::time::timeout(Duration::from_secs(5), listening.next())
            .await
            .ok(),
        Some(Change::Resync)
    );
    let (b_url, _) = serve(b.clone(), listen().await, None);

    let owner = first_run(&a, "Olivia Owner").await;
    let ws = a.store().list_workspaces().await.unwrap()[0].id;
    let owner = a.local_actor(owner, ws).await.unwrap();
    let id = a
        .create_account(
            &owner,
            NewAccount {
                app: "sandbox".into(),
                label: "Brand".into(),
                login_url: "http://127.0.0.1:9/login".into(),
                username: "brand".into(),
                password: "pw-1".into(),
                notes: None,
                fields: Vec::new(),
            },
        )
        .await
        .unwrap()
        .summary
        .id;
    let address = a
        .create_managed_email(&owner, id.parse().unwrap())
        .await
        .unwrap()
        .address;
    let _ = rustls::crypto::ring::default_provider().install_default();
    Some(Two {
        a,
        b,
        b_url,
        owner,
        id,
        address,
        clock: shared.clock,
        url,
    })
}

/// A session signed in through `a`: its token.
async fn sign_in(a: &App, email: &str, password: &str) -> String {
    a.login(LoginRequest {
        email: email.into(),
        password: SecretString::new(password),
        totp: None,
        ip: "127.0.0.1".into(),
        user_agent: "test".into(),
        kind: SessionKind::Cookie,
    })
    .await
    .unwrap()
    .token
    .expose()
    .to_owned()
}

/// A request to node B's `url` (a live stream) with the bearer `token`.
async fn events(token: &str, url: String) -> reqwest::Response {
    reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_inbox_stream_on_b_hears_a_message_and_a_revocation_made_through_a() {
    let Some(Two {
        a,
        b_url,
        address,
        clock,
        ..
    }) = two_nodes("livenodes").await
    else {
        return;
    };
    let token = sign_in(&a, "owner@acme.test", "owner-password-1").await;

    // The stream opens on B: its first event at once.
    let mut stream = events(&token, format!("{b_url}/inbox/events")).await;
    assert_eq!(stream.status(), reqwest::StatusCode::OK);
    let first = next_chunk(&mut stream, "the first event").await.unwrap();
    assert!(first.contains("event: inbox"), "{first:?}");

    // A message stored through A.
    clock.advance_secs(1);
    let mail = format!(
        "From: App <code@sender.test>\r\nTo: {address}\r\nSubject: Your code\r\nMessage-ID: <n1@sender.test>\r\n\r\nYour verification code is 482913.\r\n"
    );
    let stored = a
        .ingest_email(std::slice::from_ref(&address), mail.as_bytes(), None)
        .await
        .unwrap();
    assert_eq!(stored, 1);
    let event = next_chunk(&mut stream, "the message's event on B")
        .await
        .expect("still open");
    assert!(event.contains("event: inbox"), "{event:?}");

    // The session revoked through A: B's stream ends.
    let me = a.authenticate(&token, "127.0.0.1").await.unwrap();
    a.logout(&me).await.unwrap();
    let ended = tokio::time::timeout(SECOND, async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "B's stream still open after the revocation");
}

/// The security review's L1: a stream filtered to one account kept
/// signalling that inbox's changes after the caller lost it. Now taking
/// the membership back through A ends B's filtered stream within a second
/// (the caller still signed in: only that inbox is gone).
#[tokio::test]
async fn a_filtered_inbox_stream_on_b_ends_when_the_membership_is_removed_through_a() {
    let Some(Two {
        a,
        b_url,
        owner,
        id,
        ..
    }) = two_nodes("livefilter").await
    else {
        return;
    };
    let member = a
        .create_user(
            &owner,
            orthrus_app::NewUser {
                email: "member@acme.test".into(),
                name: "Member".into(),
                role: orthrus_core::WorkspaceRole::User,
                password: "member-password-1".into(),
                access_expires_at: None,
            },
        )
        .await
        .unwrap()
        .id;
    a.set_member(
        &owner,
        id.parse().unwrap(),
        &member,
        orthrus_core::AccountRole::Collaborator,
    )
    .await
    .unwrap();
    let token = sign_in(&a, "member@acme.test", "member-password-1").await;
    let mut stream = events(&token, format!("{b_url}/inbox/events?account_id={id}")).await;
    assert_eq!(stream.status(), reqwest::StatusCode::OK);
    let first = next_chunk(&mut stream, "the first event").await.unwrap();
    assert!(first.contains("event: inbox"), "{first:?}");

    a.remove_member(&owner, id.parse().unwrap(), member.parse().unwrap())
        .await
        .unwrap();
    let ended = tokio::time::timeout(SECOND, async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(
        ended.is_ok(),
        "B's filtered stream still open after the membership was removed"
    );
    // Still signed in: only the inbox is gone.
    let again = events(&token, format!("{b_url}/inbox/events?account_id={id}")).await;
    assert_eq!(again.status(), reqwest::StatusCode::NOT_FOUND);
}

/// The security review's L4: while B cannot listen (its listening
/// connection cut, the database refusing new ones), a revocation through A
/// is not heard, so B's live streams re-check their sign-in every 2 s
/// instead of every 30 s: the stream ends within a few seconds.
#[tokio::test]
async fn a_stream_on_b_re_checks_its_sign_in_often_while_b_cannot_listen() {
    let Some(Two {
        a, b, b_url, url, ..
    }) = two_nodes("livefeeddown").await
    else {
        return;
    };
    let token = sign_in(&a, "owner@acme.test", "owner-password-1").await;
    let mut stream = events(&token, format!("{b_url}/inbox/events")).await;
    assert_eq!(stream.status(), reqwest::StatusCode::OK);
    next_chunk(&mut stream, "the first event").await.unwrap();

    let (base, db) = url.rsplit_once('/').unwrap();
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&format!("{base}/postgres"))
        .await
        .unwrap();
    testing::cut_listeners(&mut admin, db).await.unwrap();
    let mut hearing = b.hearing_other_nodes();
    let down = tokio::time::timeout(Duration::from_secs(10), hearing.wait_for(|up| !*up))
        .await
        .is_ok();
    let me = a.authenticate(&token, "127.0.0.1").await.unwrap();
    a.logout(&me).await.unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(4), async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    testing::allow_connections(&mut admin, db, true)
        .await
        .unwrap();
    assert!(down, "B said it stopped listening");
    assert!(
        ended.is_ok(),
        "B's stream still open 4 s after a revocation it could not hear"
    );
    // Listening again once the database lets it.
    let up = tokio::time::timeout(Duration::from_secs(10), hearing.wait_for(|up| *up)).await;
    assert!(up.is_ok(), "B listens again");
}

/// The security review's M2 over HTTP: `GET /api/v1/inbox/wait` on B
/// answers 401 within a second of its session being revoked through A.
#[tokio::test]
async fn inbox_wait_on_b_answers_401_when_its_session_is_revoked_through_a() {
    let Some(Two { a, b_url, id, .. }) = two_nodes("livewait401").await else {
        return;
    };
    let token = sign_in(&a, "owner@acme.test", "owner-password-1").await;
    let wait = tokio::spawn(
        reqwest::Client::new()
            .get(format!(
                "{b_url}/api/v1/inbox/wait?account_id={id}&timeout=30"
            ))
            .bearer_auth(&token)
            .send(),
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!wait.is_finished(), "nothing to return yet");
    let me = a.authenticate(&token, "127.0.0.1").await.unwrap();
    a.logout(&me).await.unwrap();
    let answer = tokio::time::timeout(SECOND, wait)
        .await
        .expect("inbox wait still waiting a second after the revocation")
        .unwrap()
        .unwrap();
    assert_eq!(answer.status(), reqwest::StatusCode::UNAUTHORIZED);
}
