//! Live updates across nodes (issue 16, item 2): two `App`s on one
//! database. What node A writes wakes node B's waiters within a second,
//! through PostgreSQL LISTEN/NOTIFY relayed by `follow_other_nodes` (no
//! polling: `inbox wait` has no periodic re-check left, so without the
//! notification it would sleep until its 30 s timeout). On SQLite the same
//! waits are woken in process (one node: A and B are the same app).

use crate::support::{NodeB, TwoNodes, account_with_address, sign_in};
use orthrus_app::{Actor, AppError, Change};
use orthrus_core::{Clock, OsEntropy};
use orthrus_store::JobRow;
use std::time::Duration;

const SECOND: Duration = Duration::from_secs(1);

/// SQLite (one app for both) and, when `ORTHRUS_TEST_DATABASE_URL` is set,
/// two PostgreSQL nodes, B following A's changes.
async fn nodes(tag: &str) -> Vec<TwoNodes> {
    TwoNodes::all(tag, NodeB::Following).await
}

impl TwoNodes {
    /// A session of `email` signed in through A, as B authenticates it:
    /// (token, B's actor).
    async fn signed_in_on_b(&self, email: &str, password: &str) -> (String, Actor) {
        let token = sign_in(&self.a, email, password).await;
        let actor = self.b.authenticate(&token, "127.0.0.1").await.unwrap();
        (token, actor)
    }

    /// An account with a managed address: (account id, address).
    /// `member` a Collaborator on `id`, through A.
    async fn collaborator(&self, id: &str, member: &str) {
        self.a
            .set_member(
                &self.owner,
                id.parse().unwrap(),
                member,
                orthrus_core::AccountRole::Collaborator,
            )
            .await
            .unwrap();
    }

    /// `me` waits on B for a message to `id`; settled (its first look done).
    async fn waiting_on_b(&self, me: Actor, id: &str) -> Waiter {
        let (b, wait_id) = (self.b.clone(), id.to_owned());
        let waiter = tokio::spawn(async move { b.wait_for_message(&me, &wait_id, None, 30).await });
        settle().await;
        waiter
    }

    fn assert_still_waiting(&self, waiter: &Waiter) {
        assert!(
            !waiter.is_finished(),
            "{}: nothing to return yet",
            self.backend()
        );
    }

    /// A code mail to `address` stored through A, a second on.
    async fn code_mail_through_a(&self, address: &str, message_id: &str) -> usize {
        self.clock.advance_secs(1);
        let mail = format!(
            "From: App <code@sender.test>\r\nTo: {address}\r\nSubject: Your code\r\nMessage-ID: <{message_id}@sender.test>\r\n\r\nYour verification code is 482913.\r\n"
        );
        self.a
            .ingest_email(&[address.to_owned()], mail.as_bytes(), None)
            .await
            .unwrap()
    }

    async fn account_with_address(&self) -> (String, String) {
        account_with_address(&self.a, &self.owner, "http://127.0.0.1:9/login").await
    }
}

type Waiter = tokio::task::JoinHandle<orthrus_app::Result<Option<orthrus_app::InboxItem>>>;

/// Waits a little so that a task just spawned is waiting (its first look
/// done): what wakes it afterwards can only be a notification.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn inbox_wait_on_b_gets_a_message_stored_through_a_within_a_second() {
    for n in nodes("liveinbox").await {
        let (id, address) = n.account_with_address().await;
        let waiter = n.waiting_on_b(n.owner.clone(), &id).await;
        n.assert_still_waiting(&waiter);
        let stored = n.code_mail_through_a(&address, "c1").await;
        assert_eq!(stored, 1);
        let got = tokio::time::timeout(SECOND, waiter)
            .await
            .unwrap_or_else(|_| panic!("{}: inbox wait not woken within a second", n.backend()))
            .unwrap()
            .unwrap()
            .expect("the message");
        assert_eq!(got.code.as_deref(), Some("482913"), "{}", n.backend());

        // The code marked used through A reaches B's watchers (the inbox
        // page's live stream re-reads its rows on this).
        let mut watch = n.b.watch_changes();
        n.a.mark_message_used(&n.owner, got.id.parse().unwrap(), Some(&id))
            .await
            .unwrap();
        let account = id.parse().unwrap();
        let used = tokio::time::timeout(
            SECOND,
            watch.until(|c| matches!(c, Change::Inbox { account: a, .. } if *a == account)),
        )
        .await;
        assert!(used.is_ok(), "{}: used mark not heard", n.backend());
    }
}

#[tokio::test]
async fn a_job_step_and_a_revoked_session_reach_b_within_a_second() {
    for n in nodes("livejobsess").await {
        let (id, _) = n.account_with_address().await;
        // A job queued and stepped through A: B's runners and job pages wake.
        let job = JobRow::queued(
            orthrus_core::EventId::new(&n.clock, &OsEntropy),
            n.owner.workspace_id,
            id.parse().unwrap(),
            "login",
            n.owner.user_id,
            1,
            n.clock.now(),
        );
        n.a.store().insert_job(&job).await.unwrap();
        let woken = n.b.job_queued();
        let step = {
            let a = n.a.clone();
            async move { a.log_job_step(job.id, 1, "open").await.unwrap() }
        };
        let (_, woke) = tokio::join!(step, tokio::time::timeout(SECOND, woken));
        assert!(woke.is_ok(), "{}: job step not heard", n.backend());

        // A session signed in anywhere, revoked through A: B hears it and
        // no longer accepts it (its live streams end on this).
        let (token, signed_in) = n
            .signed_in_on_b("owner@acme.test", "owner-password-1")
            .await;
        let mut watch = n.b.watch_changes();
        n.a.logout(&n.a.authenticate(&token, "127.0.0.1").await.unwrap())
            .await
            .unwrap();
        let (ws, user) = (signed_in.workspace_id, signed_in.user_id);
        let heard = tokio::time::timeout(
            SECOND,
            watch.until(|c| {
                matches!(c, Change::Access { workspace, user: u } if *workspace == ws && *u == user)
            }),
        )
        .await;
        assert!(heard.is_ok(), "{}: revocation not heard", n.backend());
        assert!(n.b.authenticate(&token, "127.0.0.1").await.is_err());
    }
}

/// What a waiter on B got within a second of what A did.
async fn ended_within_a_second(
    n: &TwoNodes,
    what: &str,
    waiter: Waiter,
) -> orthrus_app::Result<Option<orthrus_app::InboxItem>> {
    tokio::time::timeout(SECOND, waiter)
        .await
        .unwrap_or_else(|_| panic!("{}: inbox wait still waiting after {what}", n.backend()))
        .unwrap()
}

/// The security review's M2: `inbox wait` checked the caller once, at the
/// start, so a session revoked during its two minutes still got the next
/// code. Now a revocation through A ends B's wait within a second (401),
/// and a message stored afterwards is not handed out.
#[tokio::test]
async fn inbox_wait_on_b_ends_when_its_session_is_revoked_through_a() {
    for n in nodes("livewaitrevoke").await {
        assert!(
            *n.b.hearing_other_nodes().borrow(),
            "{}: B listens",
            n.backend()
        );
        let (id, _) = n.account_with_address().await;
        let (token, me) = n
            .signed_in_on_b("owner@acme.test", "owner-password-1")
            .await;
        let waiter = n.waiting_on_b(me, &id).await;
        n.assert_still_waiting(&waiter);
        n.a.logout(&n.a.authenticate(&token, "127.0.0.1").await.unwrap())
            .await
            .unwrap();
        let got = ended_within_a_second(&n, "the revocation", waiter).await;
        assert!(
            matches!(got, Err(AppError::Unauthenticated)),
            "{}: {got:?}",
            n.backend()
        );
    }
}

/// A member whose membership is taken back through A: B's wait ends with
/// the error it would have started with (the account is not theirs to see).
#[tokio::test]
async fn inbox_wait_on_b_ends_when_the_membership_is_removed_through_a() {
    for n in nodes("livewaitmember").await {
        let (id, address) = n.account_with_address().await;
        let member = n.user("member@acme.test", None).await;
        n.collaborator(&id, &member).await;
        let (_, me) = n
            .signed_in_on_b("member@acme.test", "member-password-1")
            .await;
        let waiter = n.waiting_on_b(me, &id).await;
        n.assert_still_waiting(&waiter);
        n.a.remove_member(&n.owner, id.parse().unwrap(), member.parse().unwrap())
            .await
            .unwrap();
        let got = ended_within_a_second(&n, "the membership's removal", waiter).await;
        assert!(
            matches!(got, Err(AppError::NotFound(orthrus_app::Entity::Account))),
            "{}: {got:?}",
            n.backend()
        );

        // And a message is never handed to a caller who lost the account,
        // even one whose wait wakes for that message first (the removal
        // made on a node that told no one).
        n.collaborator(&id, &member).await;
        let (_, me) = n
            .signed_in_on_b("member@acme.test", "member-password-1")
            .await;
        let waiter = n.waiting_on_b(me, &id).await;
        n.a.store()
            .remove_member(
                n.owner.workspace_id,
                id.parse().unwrap(),
                member.parse().unwrap(),
            )
            .await
            .unwrap();
        n.code_mail_through_a(&address, "m1").await;
        let got = ended_within_a_second(&n, "the message", waiter).await;
        assert!(
            matches!(got, Err(AppError::NotFound(orthrus_app::Entity::Account))),
            "{}: {got:?}",
            n.backend()
        );
    }
}
