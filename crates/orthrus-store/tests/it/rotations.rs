//! Rotation schedules: saved and replaced per account, read back in their
//! workspace only, due when on a schedule (or after autofill) and their
//! time has come, moved on only from the time the mover read, listed when
//! they rotate on a member's leave, and deleted.

use super::fixtures::*;
use super::*;

fn schedule(a: &AccountRow, by: UserId, next_at: Option<Timestamp>) -> RotationRow {
    RotationRow {
        account_id: a.id,
        workspace_id: a.workspace_id,
        every_days: Some(30),
        window_start: 22,
        window_end: 4,
        on_member_leave: false,
        set_by: by,
        next_at,
        password_policy: Some("{\"length\":24}".into()),
        after_autofill_hours: None,
        updated_at: a.created_at,
    }
}

#[tokio::test]
async fn a_schedule_round_trips_and_is_replaced_in_its_workspace() {
    for s in backends("rotsched").await.stores {
        let (sc, other) = Scene::and_elsewhere(&s).await;
        let c = &sc.c;
        let (ws, a) = (sc.ws.id, &sc.account);
        assert!(s.rotation_schedule(ws, a.id).await.unwrap().is_none());
        let first = schedule(a, sc.owner.id, Some(c.now().plus_seconds(3600)));
        s.save_rotation_schedule(&first).await.unwrap();
        assert_eq!(
            s.rotation_schedule(ws, a.id).await.unwrap(),
            Some(first.clone())
        );
        assert!(
            s.rotation_schedule(other.ws.id, a.id)
                .await
                .unwrap()
                .is_none()
        );
        c.advance_secs(5);
        let second = RotationRow {
            every_days: None,
            window_start: 0,
            window_end: 24,
            on_member_leave: true,
            next_at: None,
            password_policy: None,
            after_autofill_hours: Some(2),
            updated_at: c.now(),
            ..first.clone()
        };
        s.save_rotation_schedule(&second).await.unwrap();
        assert_eq!(
            s.rotation_schedule(ws, a.id).await.unwrap(),
            Some(second.clone()),
            "one schedule per account, replaced"
        );
        // Deleting through another workspace leaves it; then it goes.
        s.delete_rotation_schedule(other.ws.id, a.id).await.unwrap();
        assert_eq!(s.rotation_schedule(ws, a.id).await.unwrap(), Some(second));
        s.delete_rotation_schedule(ws, a.id).await.unwrap();
        assert!(s.rotation_schedule(ws, a.id).await.unwrap().is_none());
        s.delete_rotation_schedule(ws, a.id).await.unwrap();
    }
}

#[tokio::test]
async fn due_schedules_move_on_once_and_leavers_rotations_are_listed() {
    for s in backends("rotdue").await.stores {
        let (sc, other) = Scene::and_elsewhere(&s).await;
        let c = &sc.c;
        let ws = sc.ws.id;
        let t0 = c.now();
        let b = sc.account(&s, "B").await;
        let d = sc.account(&s, "D").await;
        let e = sc.account(&s, "E").await;
        // a: every 30 days, due in an hour; b: due first, in 10 minutes;
        // d: after autofill only, due in 30 minutes; e: rotates on leave
        // only (no schedule, so never due); the other workspace's account
        // is due in 20 minutes and rotates on leave.
        let ra = schedule(&sc.account, sc.owner.id, Some(t0.plus_seconds(3600)));
        let rb = schedule(&b, sc.owner.id, Some(t0.plus_seconds(600)));
        let rd = RotationRow {
            every_days: None,
            after_autofill_hours: Some(2),
            ..schedule(&d, sc.owner.id, Some(t0.plus_seconds(1800)))
        };
        let re = RotationRow {
            every_days: None,
            on_member_leave: true,
            ..schedule(&e, sc.owner.id, Some(t0))
        };
        let rx = RotationRow {
            on_member_leave: true,
            ..schedule(&other.account, other.owner.id, Some(t0.plus_seconds(1200)))
        };
        for r in [&ra, &rb, &rd, &re, &rx] {
            s.save_rotation_schedule(r).await.unwrap();
        }
        let due = |s: Arc<dyn Store>, at: Timestamp| async move {
            s.due_rotations(at)
                .await
                .unwrap()
                .iter()
                .map(|r| r.account_id)
                .collect::<Vec<_>>()
        };
        assert_eq!(due(Arc::clone(&s), t0).await, vec![]);
        assert_eq!(due(Arc::clone(&s), t0.plus_seconds(600)).await, vec![b.id]);
        assert_eq!(
            due(Arc::clone(&s), t0.plus_seconds(7200)).await,
            vec![b.id, other.account.id, d.id, sc.account.id],
            "every workspace, soonest first"
        );

        // Moving b on: only from the time the mover read.
        let next = t0.plus_seconds(30 * 86_400);
        assert!(
            !s.advance_rotation(b.id, t0.plus_seconds(601), next)
                .await
                .unwrap()
        );
        assert!(
            s.advance_rotation(b.id, t0.plus_seconds(600), next)
                .await
                .unwrap()
        );
        assert!(
            !s.advance_rotation(b.id, t0.plus_seconds(600), next)
                .await
                .unwrap(),
            "another node moved it first"
        );
        assert_eq!(
            s.rotation_schedule(ws, b.id)
                .await
                .unwrap()
                .unwrap()
                .next_at,
            Some(next)
        );
        assert_eq!(
            due(Arc::clone(&s), t0.plus_seconds(7200)).await,
            vec![other.account.id, d.id, sc.account.id]
        );

        // The workspace's rotations on a member's leave, not another's.
        let leave = s.rotations_on_leave(ws).await.unwrap();
        assert_eq!(leave, vec![re.clone()]);
        assert_eq!(
            s.rotations_on_leave(other.ws.id).await.unwrap(),
            vec![rx.clone()]
        );
    }
}
