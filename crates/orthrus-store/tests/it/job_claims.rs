//! Automation jobs claimed and leased: each job claimed once, one running
//! job per account, expired leases recovered, and concurrent workers never
//! sharing a job or an account.

use super::fixtures::*;
use super::*;

#[tokio::test]
async fn jobs_are_claimed_once_one_per_account_and_recovered() {
    let b = backends("jobs").await;
    for s in &b.stores {
        let (c, ws, u) = first_run(s.as_ref(), "o@acme.test", WorkspaceRole::Owner).await;
        let a1 = account(&c, ws.id, u.id, "IG");
        let a2 = account(&c, ws.id, u.id, "TikTok");
        s.create_account(&a1, &owner_of(&a1, u.id), &[])
            .await
            .unwrap();
        s.create_account(&a2, &owner_of(&a2, u.id), &[])
            .await
            .unwrap();
        let j1 = job(&c, &a1, u.id, "login");
        c.advance_secs(1);
        let j2 = job(&c, &a1, u.id, "enable_mfa");
        c.advance_secs(1);
        let j3 = job(&c, &a2, u.id, "login");
        for j in [&j1, &j2, &j3] {
            s.insert_job(j).await.unwrap();
        }
        let lease = |c: &FakeClock| c.now().plus_seconds(30);
        // Oldest first; a second job of a busy account waits.
        let got = s
            .claim_job("w1", c.now(), lease(&c))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (got.id, got.state.as_str(), got.attempts),
            (j1.id, "running", 1)
        );
        let got = s
            .claim_job("w2", c.now(), lease(&c))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.id, j3.id, "j2's account is busy");
        assert!(
            s.claim_job("w2", c.now(), lease(&c))
                .await
                .unwrap()
                .is_none()
        );
        // Heartbeats: ours, not someone else's; cancellation is seen.
        assert_eq!(
            s.heartbeat_job(j1.id, "w1", c.now(), lease(&c))
                .await
                .unwrap(),
            Lease::Held
        );
        assert_eq!(
            s.heartbeat_job(j1.id, "w2", c.now(), lease(&c))
                .await
                .unwrap(),
            Lease::Lost
        );
        let cancelled = s.cancel_job(ws.id, j3.id, c.now()).await.unwrap().unwrap();
        assert_eq!(
            (cancelled.state.as_str(), cancelled.cancel_requested),
            ("running", true)
        );
        assert_eq!(
            s.heartbeat_job(j3.id, "w2", c.now(), lease(&c))
                .await
                .unwrap(),
            Lease::CancelRequested
        );
        assert!(
            s.set_job_state(
                j3.id,
                "w2",
                JobState::Cancelled,
                Some("cancelled"),
                None,
                c.now()
            )
            .await
            .unwrap()
        );
        // Steps keep their order.
        for name in ["open the login page", "fill the form"] {
            let seq = s.add_job_step(&job_step(&c, j1.id, name)).await.unwrap();
            s.finish_job_step(
                j1.id,
                seq,
                StepOutcome::Ok,
                Some("http://x/login"),
                None,
                c.now(),
            )
            .await
            .unwrap();
        }
        let steps = s.job_steps(j1.id).await.unwrap();
        assert_eq!(
            steps
                .iter()
                .map(|x| (x.seq, x.name.as_str(), x.outcome.map(StepOutcome::as_str)))
                .collect::<Vec<_>>(),
            vec![
                (1, "open the login page", Some("ok")),
                (2, "fill the form", Some("ok"))
            ]
        );
        // w1 dies: after its lease runs out the job is queued again, and
        // w1 can no longer touch it.
        c.advance_secs(31);
        assert_eq!(
            s.recover_jobs(c.now(), c.now().plus_seconds(5))
                .await
                .unwrap(),
            1
        );
        let back = s.get_job(ws.id, j1.id).await.unwrap().unwrap();
        assert_eq!((back.state.as_str(), back.worker), ("queued", None));
        assert!(
            !s.set_job_state(j1.id, "w1", JobState::Succeeded, None, None, c.now())
                .await
                .unwrap()
        );
        // Not before its retry time; then j1 (attempt 2) before j2.
        assert!(
            s.claim_job("w3", c.now(), lease(&c))
                .await
                .unwrap()
                .is_some_and(|j| j.id == j2.id)
        );
        assert!(
            s.set_job_state(
                j2.id,
                "w3",
                JobState::Deferred,
                Some("settings locked"),
                Some(c.now().plus_seconds(3600)),
                c.now()
            )
            .await
            .unwrap()
        );
        c.advance_secs(5);
        let again = s
            .claim_job("w3", c.now(), lease(&c))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((again.id, again.attempts), (j1.id, 2));
        // Its last attempt dies too: failed, with the reason.
        c.advance_secs(31);
        s.recover_jobs(c.now(), c.now()).await.unwrap();
        let dead = s.get_job(ws.id, j1.id).await.unwrap().unwrap();
        assert_eq!(dead.state, JobState::Failed);
        assert!(dead.error.unwrap().contains("stopped responding"));
        // A queued job is cancelled at once; the deferred one waits its time.
        assert!(
            s.claim_job("w3", c.now(), lease(&c))
                .await
                .unwrap()
                .is_none()
        );
        let gone = s.cancel_job(ws.id, j2.id, c.now()).await.unwrap().unwrap();
        assert_eq!(gone.state, JobState::Cancelled);
        let listed = s.list_jobs(ws.id, Some(a1.id), 10).await.unwrap();
        assert_eq!(listed.len(), 2);
        // A cancel asked for while a job runs wins over the worker's retry.
        let j4 = job(&c, &a2, u.id, "login");
        s.insert_job(&j4).await.unwrap();
        let got = s
            .claim_job("w4", c.now(), lease(&c))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.id, j4.id);
        s.cancel_job(ws.id, j4.id, c.now()).await.unwrap();
        assert!(
            s.set_job_state(
                j4.id,
                "w4",
                JobState::Queued,
                Some("retrying"),
                Some(c.now()),
                c.now()
            )
            .await
            .unwrap()
        );
        let after = s.get_job(ws.id, j4.id).await.unwrap().unwrap();
        assert_eq!(
            (after.state.as_str(), after.finished_at.is_some()),
            ("cancelled", true)
        );
        assert_eq!(s.list_jobs(ws.id, None, 10).await.unwrap().len(), 4);
    }
}

#[tokio::test]
async fn concurrent_workers_never_share_a_job_or_an_account() {
    let b = backends("jobrace").await;
    for s in &b.stores {
        let (c, ws, u) = first_run(s.as_ref(), "o@acme.test", WorkspaceRole::Owner).await;
        let mut accounts = Vec::new();
        for i in 0..4 {
            let a = account(&c, ws.id, u.id, &format!("A{i}"));
            s.create_account(&a, &owner_of(&a, u.id), &[])
                .await
                .unwrap();
            for _ in 0..3 {
                s.insert_job(&job(&c, &a, u.id, "login")).await.unwrap();
            }
            accounts.push(a);
        }
        let now = c.now();
        let mut tasks = Vec::new();
        for w in 0..8 {
            let s = Arc::clone(s);
            tasks.push(tokio::spawn(async move {
                let mut got = Vec::new();
                for _ in 0..6 {
                    if let Some(j) = s
                        .claim_job(&format!("w{w}"), now, now.plus_seconds(60))
                        .await
                        .unwrap()
                    {
                        got.push(j);
                    }
                }
                got
            }));
        }
        let mut claimed = Vec::new();
        for t in tasks {
            claimed.extend(t.await.unwrap());
        }
        // Nothing finished, so exactly one job per account ran.
        assert_eq!(claimed.len(), 4, "{claimed:?}");
        let mut per_account: Vec<_> = claimed.iter().map(|j| j.account_id).collect();
        per_account.sort();
        per_account.dedup();
        assert_eq!(per_account.len(), 4);
    }
}
