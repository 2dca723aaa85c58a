//! Work shared by several nodes on one database (issue 16): two stores
//! opened on the same database (two pools, as two nodes have) race each
//! claim, recovery, scheduled rotation, guest deactivation and task lease,
//! and exactly one of them wins each.

use super::fixtures::*;
use super::*;

/// Two stores on one database: SQLite (one file), and PostgreSQL too when
/// `ORTHRUS_TEST_DATABASE_URL` is set.
struct Nodes {
    pairs: Vec<(Arc<dyn Store>, Arc<dyn Store>)>,
    _dir: tempfile::TempDir,
}

async fn nodes(tag: &str) -> Nodes {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let a: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).await.unwrap());
    let b: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).await.unwrap());
    let mut pairs = vec![(a, b)];
    if let Some(base) = testing::pg_base_url() {
        let url = testing::pg_scratch_database(&base, tag).await.unwrap();
        let a: Arc<dyn Store> = Arc::new(PgStore::connect(&url).await.unwrap());
        let b: Arc<dyn Store> = Arc::new(PgStore::connect(&url).await.unwrap());
        pairs.push((a, b));
    } else {
        eprintln!("ORTHRUS_TEST_DATABASE_URL not set: PostgreSQL half of {tag} skipped");
    }
    Nodes { pairs, _dir: dir }
}

/// A workspace, its Owner and `n` accounts.
async fn setup(
    s: &Arc<dyn Store>,
    c: &FakeClock,
    n: usize,
) -> (WorkspaceRow, UserRow, Vec<AccountRow>) {
    let ws = workspace(c);
    let u = user(c, ws.id, "owner@acme.test", WorkspaceRole::Owner);
    s.bootstrap(&ws, &u).await.unwrap();
    let mut accounts = Vec::new();
    for i in 0..n {
        let a = account(c, ws.id, u.id, &format!("Account {i}"));
        s.create_account(&a, &owner_of(&a, u.id), &[])
            .await
            .unwrap();
        accounts.push(a);
    }
    (ws, u, accounts)
}

#[tokio::test]
async fn racing_workers_claim_every_job_exactly_once() {
    for (a, b) in nodes("shared_claims").await.pairs {
        let c = clock();
        let (_, u, accounts) = setup(&a, &c, 24).await;
        let mut all = Vec::new();
        for acc in &accounts {
            let j = job(&c, acc, u.id, "login");
            a.insert_job(&j).await.unwrap();
            all.push(j.id);
        }
        // Four workers, two per node, claim until the queue is empty.
        let until = c.now().plus_seconds(30);
        let worker = |s: Arc<dyn Store>, name: &'static str, now: Timestamp| async move {
            let mut got = Vec::new();
            while let Some(j) = s.claim_job(name, now, until).await.unwrap() {
                assert_eq!(j.worker.as_deref(), Some(name));
                got.push(j.id);
            }
            got
        };
        let now = c.now();
        let (w1, w2, w3, w4) = tokio::join!(
            tokio::spawn(worker(Arc::clone(&a), "node-a-1", now)),
            tokio::spawn(worker(Arc::clone(&a), "node-a-2", now)),
            tokio::spawn(worker(Arc::clone(&b), "node-b-1", now)),
            tokio::spawn(worker(Arc::clone(&b), "node-b-2", now)),
        );
        let mut claimed: Vec<EventId> = [w1, w2, w3, w4]
            .into_iter()
            .flat_map(|w| w.unwrap())
            .collect();
        let n = claimed.len();
        claimed.sort();
        claimed.dedup();
        assert_eq!(n, claimed.len(), "{}: a job was claimed twice", a.backend());
        all.sort();
        assert_eq!(claimed, all, "{}: every job claimed", a.backend());
        // A worker may have come up empty while another held a row, but
        // none is left for a later claim either.
        assert!(b.claim_job("late", now, until).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn a_dead_workers_job_is_taken_over_at_once_and_its_log_kept() {
    for (a, b) in nodes("shared_takeover").await.pairs {
        let c = clock();
        let (ws, u, accounts) = setup(&a, &c, 1).await;
        let mut j = job(&c, &accounts[0], u.id, "rotate_password");
        j.max_attempts = 3;
        a.insert_job(&j).await.unwrap();
        // Node A claims it with a 3 s lease, logs a finished step and one
        // still open, and dies (no heartbeat, no end).
        let lease = |c: &FakeClock| c.now().plus_seconds(3);
        let held = a
            .claim_job("node-a", c.now(), lease(&c))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(held.id, j.id);
        let step = |name: &str| job_step(&c, j.id, name);
        let first = a.add_job_step(&step("open the login page")).await.unwrap();
        a.finish_job_step(j.id, first, StepOutcome::Ok, None, None, c.now())
            .await
            .unwrap();
        a.add_job_step(&step("fill the form")).await.unwrap();
        // Within the lease nothing is recovered.
        c.advance_secs(2);
        assert_eq!(b.recover_jobs(c.now(), c.now()).await.unwrap(), 0);
        // Past it, both nodes look at once: the job is queued again once,
        // ready now (no back-off for a dead worker).
        c.advance_secs(2);
        let (ra, rb) = tokio::join!(
            a.recover_jobs(c.now(), c.now()),
            b.recover_jobs(c.now(), c.now())
        );
        assert_eq!(ra.unwrap() + rb.unwrap(), 1, "{}", a.backend());
        let back = b.get_job(ws.id, j.id).await.unwrap().unwrap();
        assert_eq!((back.state.as_str(), back.run_after), ("queued", c.now()));
        // The log keeps both steps; the one left open ends failed, saying why.
        let steps = b.job_steps(j.id).await.unwrap();
        assert_eq!(
            steps
                .iter()
                .map(|s| (s.name.as_str(), s.outcome.map(StepOutcome::as_str)))
                .collect::<Vec<_>>(),
            vec![
                ("open the login page", Some("ok")),
                ("fill the form", Some("failed"))
            ]
        );
        assert!(
            steps[1]
                .detail
                .as_deref()
                .unwrap()
                .contains("stopped responding")
        );
        assert!(steps[1].ended_at.is_some());
        // Node B takes it over and finishes it; node A, were it to come
        // back, can no longer touch it.
        let taken = b
            .claim_job("node-b", c.now(), lease(&c))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((taken.id, taken.attempts), (j.id, 2));
        let mut next = step("open the login page");
        next.attempt = 2;
        b.add_job_step(&next).await.unwrap();
        assert!(
            b.set_job_state(j.id, "node-b", JobState::Succeeded, None, None, c.now())
                .await
                .unwrap()
        );
        assert!(
            !a.set_job_state(
                j.id,
                "node-a",
                JobState::Failed,
                Some("late"),
                None,
                c.now()
            )
            .await
            .unwrap()
        );
        assert_eq!(
            a.heartbeat_job(j.id, "node-a", c.now(), lease(&c))
                .await
                .unwrap(),
            Lease::Lost
        );
        let done = a.get_job(ws.id, j.id).await.unwrap().unwrap();
        assert_eq!(done.state, JobState::Succeeded);
        assert_eq!(a.job_steps(j.id).await.unwrap().len(), 3);
    }
}

fn schedule(a: &AccountRow, by: UserId, next_at: Timestamp, every: Option<i64>) -> RotationRow {
    RotationRow {
        account_id: a.id,
        workspace_id: a.workspace_id,
        every_days: every,
        window_start: 0,
        window_end: 24,
        on_member_leave: false,
        set_by: by,
        next_at: Some(next_at),
        updated_at: next_at,
        password_policy: None,
        after_autofill_hours: every.is_none().then_some(2),
    }
}

/// When the stored rotation schedule of account `acc` next comes due.
async fn next_rotation(s: &Arc<dyn Store>, ws: WorkspaceId, acc: AccountId) -> Option<Timestamp> {
    s.rotation_schedule(ws, acc).await.unwrap().unwrap().next_at
}

#[tokio::test]
async fn a_due_rotation_is_queued_once_with_its_schedule() {
    for (a, b) in nodes("shared_rotation").await.pairs {
        let c = clock();
        let (ws, u, accounts) = setup(&a, &c, 8).await;
        let due = c.now();
        let next = due.plus_seconds(86_400 * 30);
        for acc in &accounts {
            a.save_rotation_schedule(&schedule(acc, u.id, due, Some(30)))
                .await
                .unwrap();
        }
        // Both nodes race every account's turn, each with its own job.
        for acc in &accounts {
            let (ja, jb) = (
                job(&c, acc, u.id, "rotate_password"),
                job(&c, acc, u.id, "rotate_password"),
            );
            let (qa, qb) = tokio::join!(
                a.queue_due_rotation(acc.id, due, Some(next), &ja, false),
                b.queue_due_rotation(acc.id, due, Some(next), &jb, false)
            );
            let (qa, qb) = (qa.unwrap(), qb.unwrap());
            assert!(qa ^ qb, "{}: exactly one node queues it", a.backend());
            let jobs = a.list_jobs(ws.id, Some(acc.id), 10).await.unwrap();
            assert_eq!(jobs.len(), 1);
            assert_eq!(jobs[0].id, if qa { ja.id } else { jb.id });
            assert_eq!(next_rotation(&a, ws.id, acc.id).await, Some(next));
        }
        // A turn already taken queues nothing and moves nothing.
        let acc = &accounts[0];
        let late = job(&c, acc, u.id, "rotate_password");
        assert!(
            !a.queue_due_rotation(acc.id, due, None, &late, false)
                .await
                .unwrap()
        );
        assert_eq!(next_rotation(&a, ws.id, acc.id).await, Some(next));
        assert!(a.get_job(ws.id, late.id).await.unwrap().is_none());
        // "Unless pending": the due time clears, but with a rotation still
        // queued no second one is.
        a.save_rotation_schedule(&schedule(acc, u.id, due, None))
            .await
            .unwrap();
        let extra = job(&c, acc, u.id, "rotate_password");
        assert!(
            !b.queue_due_rotation(acc.id, due, None, &extra, true)
                .await
                .unwrap()
        );
        assert_eq!(next_rotation(&a, ws.id, acc.id).await, None);
        assert!(a.get_job(ws.id, extra.id).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn an_expired_guest_is_deactivated_by_one_node() {
    for (a, b) in nodes("shared_guest").await.pairs {
        let c = clock();
        let (ws, _, _) = setup(&a, &c, 0).await;
        let mut g = user(&c, ws.id, "guest@acme.test", WorkspaceRole::User);
        g.access_expires_at = Some(c.now().plus_seconds(60));
        a.create_user(&g).await.unwrap();
        // Not yet due: nobody deactivates.
        assert!(
            !a.deactivate_expired_user(ws.id, g.id, c.now())
                .await
                .unwrap()
        );
        c.advance_secs(61);
        let (da, db) = tokio::join!(
            a.deactivate_expired_user(ws.id, g.id, c.now()),
            b.deactivate_expired_user(ws.id, g.id, c.now())
        );
        assert!(da.unwrap() ^ db.unwrap(), "{}", a.backend());
        assert!(!a.get_user(ws.id, g.id).await.unwrap().unwrap().active);
        // An end moved later meanwhile keeps a reactivated guest.
        a.set_user_active(ws.id, g.id, true, c.now()).await.unwrap();
        a.set_user_access_end(ws.id, g.id, Some(c.now().plus_seconds(3600)), c.now())
            .await
            .unwrap();
        assert!(
            !b.deactivate_expired_user(ws.id, g.id, c.now())
                .await
                .unwrap()
        );
        assert!(a.get_user(ws.id, g.id).await.unwrap().unwrap().active);
    }
}

#[tokio::test]
async fn a_task_lease_has_one_holder_until_it_is_given_back_or_runs_out() {
    for (a, b) in nodes("shared_lease").await.pairs {
        let c = clock();
        let now = c.now();
        let until = now.plus_seconds(300);
        for round in 0..10 {
            let task = format!("task-{round}");
            let (ta, tb) = tokio::join!(
                a.take_task_lease(&task, "node-a", now, until),
                b.take_task_lease(&task, "node-b", now, until)
            );
            assert!(ta.unwrap() ^ tb.unwrap(), "{}: one holder", a.backend());
        }
        assert!(
            a.take_task_lease("purge", "node-a", now, until)
                .await
                .unwrap()
        );
        assert!(
            !b.take_task_lease("purge", "node-b", now, until)
                .await
                .unwrap()
        );
        // Its holder may renew it.
        assert!(
            a.take_task_lease("purge", "node-a", now, until)
                .await
                .unwrap()
        );
        // Given back (held until now): free for the next run.
        assert!(
            a.take_task_lease("purge", "node-a", now, now)
                .await
                .unwrap()
        );
        assert!(
            b.take_task_lease("purge", "node-b", now, until)
                .await
                .unwrap()
        );
        // Its holder stopped: free once it ran out.
        assert!(
            !a.take_task_lease("purge", "node-a", now, until)
                .await
                .unwrap()
        );
        c.advance_secs(300);
        assert!(
            a.take_task_lease("purge", "node-a", c.now(), c.now().plus_seconds(300))
                .await
                .unwrap()
        );
    }
}
