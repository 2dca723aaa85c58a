//! Approvals: a step-up request approved on another device (decided once,
//! used once by the session that asked, not too late), the two-person rule
//! and critical accounts, and dual approvals moving pending → approved →
//! used once each, until they expire; every one scoped to its workspace.

use super::fixtures::*;
use super::*;

fn step_up(c: &FakeClock, u: &UserRow, session: SessionId, secs: i64) -> StepUpRequestRow {
    StepUpRequestRow {
        id: EventId::new(c, &OsEntropy),
        workspace_id: u.workspace_id,
        user_id: u.id,
        session_id: session,
        number: "42".into(),
        choices: vec!["17".into(), "42".into(), "93".into()],
        status: ApprovalStatus::Pending,
        ip: "127.0.0.1".into(),
        user_agent: "test".into(),
        purpose: "reveal the password of Brand IG".into(),
        created_at: c.now(),
        expires_at: c.now().plus_seconds(secs),
        decided_at: None,
        decided_by_session: None,
    }
}

/// The ids of `u`'s step-up requests pending at `now`, newest first.
async fn pending_ids(s: &Arc<dyn Store>, u: &UserRow, now: Timestamp) -> Vec<EventId> {
    let pending = s
        .pending_step_up_requests(u.workspace_id, u.id, now)
        .await
        .unwrap();
    pending.iter().map(|r| r.id).collect()
}

#[tokio::test]
async fn a_step_up_request_is_decided_once_and_used_once_by_its_session() {
    use ApprovalStatus::{Approved, Denied, Used};
    for s in backends("stepup").await.stores {
        let sc = Scene::new(&s).await;
        let c = &sc.c;
        let v = sc.user(&s, "v@acme.test", WorkspaceRole::User).await;
        let other = sc.elsewhere(&s).await;
        let asking = SessionId::new(c, &OsEntropy);
        let approving = SessionId::new(c, &OsEntropy);

        let q = step_up(c, &sc.owner, asking, 120);
        s.create_step_up_request(&q).await.unwrap();
        c.advance_secs(1);
        let late = step_up(c, &sc.owner, asking, 60);
        s.create_step_up_request(&late).await.unwrap();
        s.create_step_up_request(&step_up(c, &v, asking, 120))
            .await
            .unwrap();
        assert_eq!(
            s.get_step_up_request(sc.ws.id, q.id).await.unwrap(),
            Some(q.clone())
        );
        assert!(
            s.get_step_up_request(other.ws.id, q.id)
                .await
                .unwrap()
                .is_none()
        );
        // The user's pending requests, newest first; not another user's.
        assert_eq!(
            pending_ids(&s, &sc.owner, c.now()).await,
            vec![late.id, q.id]
        );
        assert!(
            s.pending_step_up_requests(other.ws.id, sc.owner.id, c.now())
                .await
                .unwrap()
                .is_empty()
        );

        // Decided once; another workspace cannot decide it.
        c.advance_secs(5);
        let approved_at = c.now();
        assert!(
            !s.decide_step_up_request(other.ws.id, q.id, Approved, approving, c.now())
                .await
                .unwrap()
        );
        assert!(
            s.decide_step_up_request(sc.ws.id, q.id, Approved, approving, c.now())
                .await
                .unwrap()
        );
        assert!(
            !s.decide_step_up_request(sc.ws.id, q.id, Denied, approving, c.now())
                .await
                .unwrap(),
            "decided already"
        );
        let decided = s
            .get_step_up_request(sc.ws.id, q.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                decided.status.as_str(),
                decided.decided_at,
                decided.decided_by_session
            ),
            ("approved", Some(approved_at), Some(approving))
        );
        assert_eq!(pending_ids(&s, &sc.owner, c.now()).await, vec![late.id]);

        // Used once, by the session that asked, while the approval is fresh.
        assert!(
            !s.consume_step_up_request(sc.ws.id, q.id, approving, approved_at.plus_seconds(-1))
                .await
                .unwrap(),
            "another session"
        );
        assert!(
            !s.consume_step_up_request(sc.ws.id, q.id, asking, approved_at)
                .await
                .unwrap(),
            "approved too long ago"
        );
        assert!(
            !s.consume_step_up_request(other.ws.id, q.id, asking, approved_at.plus_seconds(-1))
                .await
                .unwrap()
        );
        assert!(
            s.consume_step_up_request(sc.ws.id, q.id, asking, approved_at.plus_seconds(-1))
                .await
                .unwrap()
        );
        assert!(
            !s.consume_step_up_request(sc.ws.id, q.id, asking, approved_at.plus_seconds(-1))
                .await
                .unwrap(),
            "once"
        );
        assert_eq!(
            s.get_step_up_request(sc.ws.id, q.id)
                .await
                .unwrap()
                .unwrap()
                .status,
            Used
        );

        // An expired request is no longer pending and cannot be decided.
        c.advance_secs(60);
        assert!(
            s.pending_step_up_requests(sc.ws.id, sc.owner.id, c.now())
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            !s.decide_step_up_request(sc.ws.id, late.id, Approved, approving, c.now())
                .await
                .unwrap()
        );
        // A denied request is never used.
        let denied = step_up(c, &sc.owner, asking, 120);
        s.create_step_up_request(&denied).await.unwrap();
        assert!(
            s.decide_step_up_request(sc.ws.id, denied.id, Denied, approving, c.now())
                .await
                .unwrap()
        );
        assert!(
            !s.consume_step_up_request(sc.ws.id, denied.id, asking, Timestamp(0))
                .await
                .unwrap()
        );
    }
}

#[tokio::test]
async fn the_two_person_rule_and_critical_accounts_are_per_workspace() {
    for s in backends("twoperson").await.stores {
        let (sc, other) = Scene::and_elsewhere(&s).await;
        let (ws, a) = (sc.ws.id, sc.account.id);
        assert!(!s.two_person_rule(ws).await.unwrap(), "off by default");
        s.set_two_person_rule(ws, true).await.unwrap();
        assert!(s.two_person_rule(ws).await.unwrap());
        assert!(!s.two_person_rule(other.ws.id).await.unwrap());
        s.set_two_person_rule(ws, false).await.unwrap();
        assert!(!s.two_person_rule(ws).await.unwrap());

        assert!(!s.account_critical(ws, a).await.unwrap(), "not by default");
        s.set_account_critical(ws, a, true).await.unwrap();
        assert!(s.account_critical(ws, a).await.unwrap());
        assert!(
            !s.account_critical(ws, other.account.id).await.unwrap(),
            "another workspace's account is not ours"
        );
        assert!(!s.account_critical(other.ws.id, a).await.unwrap());
        assert!(matches!(
            s.set_account_critical(other.ws.id, a, false).await,
            Err(StoreError::NotFound)
        ));
        assert!(s.account_critical(ws, a).await.unwrap());
        s.set_account_critical(ws, a, false).await.unwrap();
        assert!(!s.account_critical(ws, a).await.unwrap());
    }
}

#[tokio::test]
async fn the_two_person_rule_of_an_unknown_workspace_is_not_found() {
    for s in backends("twopersonunknown").await.stores {
        let sc = Scene::new(&s).await;
        let unknown = workspace(&sc.c);
        assert!(matches!(
            s.set_two_person_rule(unknown.id, true).await,
            Err(StoreError::NotFound)
        ));
        assert!(!s.two_person_rule(unknown.id).await.unwrap());
        assert!(
            !s.two_person_rule(sc.ws.id).await.unwrap(),
            "ours unchanged"
        );
        assert!(s.get_workspace(unknown.id).await.unwrap().is_none());
    }
}

fn dual(c: &FakeClock, u: &UserRow, action: DualAction, target: &str) -> DualApprovalRow {
    DualApprovalRow {
        id: EventId::new(c, &OsEntropy),
        workspace_id: u.workspace_id,
        requester_id: u.id,
        requester_email: u.email.clone(),
        action,
        target_id: target.into(),
        status: ApprovalStatus::Pending,
        created_at: c.now(),
        expires_at: c.now().plus_seconds(600),
        decided_by: None,
        decided_by_email: None,
        decided_at: None,
    }
}

#[tokio::test]
async fn a_dual_approval_moves_once_per_step_until_it_expires() {
    use ApprovalStatus::{Approved, Denied, Pending, Used};
    for s in backends("dual").await.stores {
        let sc = Scene::new(&s).await;
        let c = &sc.c;
        let ws = sc.ws.id;
        let second = sc.user(&s, "second@acme.test", WorkspaceRole::Owner).await;
        let other = sc.elsewhere(&s).await;
        let target = sc.account.id.to_string();

        let old = dual(c, &sc.owner, DualAction::ViewBackupCodes, &target);
        s.create_dual_approval(&old).await.unwrap();
        c.advance_secs(1);
        let r = dual(c, &sc.owner, DualAction::ViewBackupCodes, &target);
        s.create_dual_approval(&r).await.unwrap();
        c.advance_secs(1);
        let export = dual(c, &sc.owner, DualAction::Export, "");
        s.create_dual_approval(&export).await.unwrap();
        assert_eq!(
            s.get_dual_approval(ws, r.id).await.unwrap(),
            Some(r.clone())
        );
        assert!(
            s.get_dual_approval(other.ws.id, r.id)
                .await
                .unwrap()
                .is_none()
        );
        // The newest open one for that requester, action and target.
        let open = |s: &Arc<dyn Store>, now| {
            let (s, target) = (Arc::clone(s), target.clone());
            let owner = sc.owner.id;
            async move {
                s.open_dual_approval(ws, owner, DualAction::ViewBackupCodes, &target, now)
                    .await
                    .unwrap()
                    .map(|r| r.id)
            }
        };
        assert_eq!(open(&s, c.now()).await, Some(r.id));
        assert!(
            s.open_dual_approval(ws, second.id, DualAction::ViewBackupCodes, &target, c.now())
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            s.open_dual_approval(ws, sc.owner.id, DualAction::Export, &target, c.now())
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(
            s.pending_dual_approvals(ws, c.now())
                .await
                .unwrap()
                .iter()
                .map(|r| r.id)
                .collect::<Vec<_>>(),
            vec![old.id, r.id, export.id],
            "oldest first"
        );
        assert!(
            s.pending_dual_approvals(other.ws.id, c.now())
                .await
                .unwrap()
                .is_empty()
        );

        // Approved once, by the second Owner; not from another workspace.
        c.advance_secs(10);
        let by = Some((second.id, second.email.as_str()));
        assert!(
            !s.transition_dual_approval(other.ws.id, r.id, Pending, Approved, by, c.now())
                .await
                .unwrap()
        );
        assert!(
            s.transition_dual_approval(ws, r.id, Pending, Approved, by, c.now())
                .await
                .unwrap()
        );
        assert!(
            !s.transition_dual_approval(ws, r.id, Pending, Denied, by, c.now())
                .await
                .unwrap(),
            "no longer pending"
        );
        let approved_at = c.now();
        let got = s.get_dual_approval(ws, r.id).await.unwrap().unwrap();
        assert_eq!(
            got,
            DualApprovalRow {
                status: Approved,
                decided_by: Some(second.id),
                decided_by_email: Some(second.email.clone()),
                decided_at: Some(approved_at),
                ..r.clone()
            }
        );
        assert_eq!(
            open(&s, c.now()).await,
            Some(r.id),
            "approved is still open"
        );
        // Used once; the decision stays as it was.
        c.advance_secs(10);
        assert!(
            s.transition_dual_approval(ws, r.id, Approved, Used, None, c.now())
                .await
                .unwrap()
        );
        assert!(
            !s.transition_dual_approval(ws, r.id, Approved, Used, None, c.now())
                .await
                .unwrap(),
            "once"
        );
        let used = s.get_dual_approval(ws, r.id).await.unwrap().unwrap();
        assert_eq!(
            (used.status.as_str(), used.decided_by, used.decided_at),
            ("used", Some(second.id), Some(approved_at))
        );
        assert_eq!(
            open(&s, c.now()).await,
            Some(old.id),
            "the older one is left"
        );

        // Expired requests are neither open, pending nor decidable.
        c.advance_secs(600);
        assert_eq!(open(&s, c.now()).await, None);
        assert!(
            s.pending_dual_approvals(ws, c.now())
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            !s.transition_dual_approval(ws, export.id, Pending, Approved, by, c.now())
                .await
                .unwrap()
        );
        assert_eq!(
            s.get_dual_approval(ws, export.id)
                .await
                .unwrap()
                .unwrap()
                .status,
            Pending
        );
    }
}
