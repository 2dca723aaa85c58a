//! Work shared by several nodes (issue 16, item 3): two `App`s on one
//! database (the same master key and clock) run
//! each periodic pass at the same moment, many times; every action happens
//! once: one audit event, one queued job, the cap of MFA checks kept.

use crate::support::{NodeB, TwoNodes, create_account, hold_authenticator, sandbox_account};
use orthrus_app::RotationInput;
use orthrus_core::AccountRole;
use orthrus_store::{AuditEventRow, JobRow};

/// Two nodes on SQLite, and on PostgreSQL too when
/// `ORTHRUS_TEST_DATABASE_URL` is set: each its own pool on PostgreSQL, as
/// separate servers have; on SQLite both on its one pool.
async fn clusters(tag: &str) -> Vec<TwoNodes> {
    TwoNodes::all(tag, NodeB::SharingWork).await
}

impl TwoNodes {
    async fn account(&self, label: &str) -> String {
        let new = sandbox_account(label, "http://127.0.0.1:9/accounts/login");
        create_account(&self.a, &self.owner, new).await
    }

    async fn rotate(&self, id: &str, every_days: Option<i64>, on_member_leave: bool) {
        self.a
            .set_rotation_schedule(
                &self.owner,
                id.parse().unwrap(),
                RotationInput {
                    every_days,
                    window_start_hour: None,
                    window_end_hour: None,
                    on_member_leave,
                    password_policy: None,
                    after_autofill_hours: None,
                },
            )
            .await
            .unwrap();
    }

    async fn audited(&self, action: &str, target: &str) -> Vec<AuditEventRow> {
        self.a
            .store()
            .audit_chain(self.owner.workspace_id)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.event.action == action && e.event.target_id.as_deref() == Some(target))
            .collect()
    }

    async fn jobs(&self, id: &str, kind: &str) -> Vec<JobRow> {
        self.a
            .store()
            .list_jobs(self.owner.workspace_id, Some(id.parse().unwrap()), 50)
            .await
            .unwrap()
            .into_iter()
            .filter(|j| j.kind == kind)
            .collect()
    }
}

#[tokio::test]
async fn two_nodes_end_each_expired_access_once() {
    for t in clusters("shared_expiry").await {
        for round in 0..4 {
            let end = t.a.now().plus_seconds(3600);
            // A membership that ends, on an account rotated when a member
            // leaves; a guest whose access ends, member of another.
            let (left, guests) = (
                t.account(&format!("Left {round}")).await,
                t.account(&format!("Guest's {round}")).await,
            );
            t.rotate(&left, None, true).await;
            t.rotate(&guests, None, true).await;
            let kim = t.user(&format!("kim{round}@acme.test"), None).await;
            t.a.set_member_until(
                &t.owner,
                left.parse().unwrap(),
                &kim,
                AccountRole::Manager,
                Some(end),
            )
            .await
            .unwrap();
            let guest = t.user(&format!("guest{round}@acme.test"), Some(end)).await;
            t.a.set_member(
                &t.owner,
                guests.parse().unwrap(),
                &guest,
                AccountRole::Collaborator,
            )
            .await
            .unwrap();
            t.clock.advance_secs(3601);

            let (x, y) = tokio::join!(t.a.expire_access(), t.b.expire_access());
            let (x, y) = (x.unwrap(), y.unwrap());
            assert_eq!(
                (x.memberships + y.memberships, x.guests + y.guests),
                // Kim's membership and the guest's (which ends with their
                // access).
                (2, 1),
                "{} round {round}: {x:?} {y:?}",
                t.backend()
            );
            for id in [&left, &guests] {
                assert_eq!(t.audited("account.member_expire", id).await.len(), 1);
            }
            assert_eq!(t.audited("user.access_expire", &guest).await.len(), 1);
            for id in [&left, &guests] {
                let rotations = t.jobs(id, "rotate_password").await;
                assert_eq!(rotations.len(), 1, "{} round {round}", t.backend());
                assert_eq!(t.audited("automation.start", id).await.len(), 1);
            }
            let g =
                t.a.store()
                    .get_user(t.owner.workspace_id, guest.parse().unwrap())
                    .await
                    .unwrap()
                    .unwrap();
            assert!(!g.active);
            // Nothing is left for either node.
            let (x, y) = tokio::join!(t.a.expire_access(), t.b.expire_access());
            assert_eq!((x.unwrap(), y.unwrap()), Default::default());
        }
    }
}

#[tokio::test]
async fn two_nodes_queue_each_scheduled_rotation_once() {
    for t in clusters("shared_rotations").await {
        for round in 0..3 {
            let mut ids = Vec::new();
            for i in 0..4 {
                let id = t.account(&format!("Scheduled {round}.{i}")).await;
                t.rotate(&id, Some(1), false).await;
                ids.push(id);
            }
            t.clock.advance_secs(2 * 86_400);
            let (x, y) = tokio::join!(t.a.run_due_rotations(), t.b.run_due_rotations());
            // Earlier rounds' accounts come round again too, but their
            // rotation is still queued: each is put off, none queued twice.
            assert_eq!(x.unwrap() + y.unwrap(), 4, "{} round {round}", t.backend());
            for id in &ids {
                let jobs = t.jobs(id, "rotate_password").await;
                assert_eq!(jobs.len(), 1, "{} round {round}", t.backend());
                let started = t.audited("automation.start", id).await;
                assert_eq!(started.len(), 1);
                assert_eq!(started[0].event.detail["job_id"], jobs[0].id.to_string());
            }
        }
    }
}

#[tokio::test]
async fn two_nodes_keep_the_cap_of_scheduled_mfa_checks() {
    for t in clusters("shared_mfa_checks").await {
        let mut ids = Vec::new();
        for i in 0..6 {
            let id = t.account(&format!("Checked {i}")).await;
            hold_authenticator(&t.a, &t.owner, &id, "JBSWY3DPEHPK3PXP").await;
            ids.push(id);
        }
        // Both nodes at once, several times: never more than 2 in flight.
        for _ in 0..4 {
            let (x, y) = tokio::join!(t.a.run_due_mfa_checks(7, 2), t.b.run_due_mfa_checks(7, 2));
            let _ = (x.unwrap(), y.unwrap());
            t.clock.advance_secs(1);
        }
        let mut in_flight = 0;
        for id in &ids {
            let checks = t.jobs(id, "check_mfa").await;
            assert!(checks.len() <= 1, "{}", t.backend());
            in_flight += checks.len();
            assert_eq!(t.audited("automation.start", id).await.len(), checks.len());
        }
        assert_eq!(in_flight, 2, "{}", t.backend());
    }
}
