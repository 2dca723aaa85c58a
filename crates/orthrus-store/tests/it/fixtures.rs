//! Set-up shared by the conformance tests, built on the row builders of
//! `main.rs`: a workspace with its Owner and one account they own
//! ([`Scene`]), a second workspace to check scoping against, a stored job,
//! an inbox message, a session, an API token and a membership.

use super::*;

/// A workspace, its Owner and one account the Owner owns, stored in one
/// store, with the fake clock that made them.
pub struct Scene {
    pub c: FakeClock,
    pub ws: WorkspaceRow,
    pub owner: UserRow,
    pub account: AccountRow,
}

/// A second workspace with its own Owner and account: what a scene's
/// workspace must never see, nor touch.
pub struct Elsewhere {
    pub ws: WorkspaceRow,
    pub owner: UserRow,
    pub account: AccountRow,
}

impl Scene {
    /// First-run setup (`owner@acme.test`) and the account "Brand IG".
    pub async fn new(s: &Arc<dyn Store>) -> Self {
        Self::with(s.as_ref(), "owner@acme.test", "Brand IG").await
    }

    /// First-run setup with the Owner `owner_email`, and the account
    /// `label`.
    pub async fn with(s: &dyn Store, owner_email: &str, label: &str) -> Self {
        let (c, ws, owner) = first_run(s, owner_email, WorkspaceRole::Owner).await;
        let account = account(&c, ws.id, owner.id, label);
        s.create_account(&account, &owner_of(&account, owner.id), &[])
            .await
            .unwrap();
        Self {
            c,
            ws,
            owner,
            account,
        }
    }

    /// [`Scene::with`] the Owner `a@acme.test` and the account `label`, in
    /// parts.
    pub async fn parts(
        s: &dyn Store,
        label: &str,
    ) -> (FakeClock, WorkspaceRow, UserRow, AccountRow) {
        Self::with(s, "a@acme.test", label).await.into_parts()
    }

    /// [`Scene::parts`] with the account "Brand IG", and `b@acme.test`, a
    /// User of the workspace, stored after them.
    pub async fn parts_and_user(
        s: &Arc<dyn Store>,
    ) -> (FakeClock, WorkspaceRow, UserRow, AccountRow, UserRow) {
        let scene = Self::with(s.as_ref(), "a@acme.test", "Brand IG").await;
        let v = scene.user(s, "b@acme.test", WorkspaceRole::User).await;
        let (c, ws, u, a) = scene.into_parts();
        (c, ws, u, a, v)
    }

    /// The clock, workspace, Owner and account, for a test that names
    /// them.
    pub fn into_parts(self) -> (FakeClock, WorkspaceRow, UserRow, AccountRow) {
        (self.c, self.ws, self.owner, self.account)
    }

    /// Another user of the workspace, stored.
    pub async fn user(&self, s: &Arc<dyn Store>, email: &str, role: WorkspaceRole) -> UserRow {
        let u = user(&self.c, self.ws.id, email, role);
        s.create_user(&u).await.unwrap();
        u
    }

    /// Another account of the workspace, owned by the Owner, stored.
    pub async fn account(&self, s: &Arc<dyn Store>, label: &str) -> AccountRow {
        let a = account(&self.c, self.ws.id, self.owner.id, label);
        s.create_account(&a, &owner_of(&a, self.owner.id), &[])
            .await
            .unwrap();
        a
    }

    /// [`Scene::new`], and [`Scene::elsewhere`] beside it.
    pub async fn and_elsewhere(s: &Arc<dyn Store>) -> (Self, Elsewhere) {
        let sc = Self::new(s).await;
        let other = sc.elsewhere(s).await;
        (sc, other)
    }

    /// A second workspace (`other@acme.test` and its account), stored.
    pub async fn elsewhere(&self, s: &Arc<dyn Store>) -> Elsewhere {
        let ws = workspace(&self.c);
        s.create_workspace(&ws).await.unwrap();
        let owner = user(&self.c, ws.id, "other@acme.test", WorkspaceRole::Owner);
        s.create_user(&owner).await.unwrap();
        let account = account(&self.c, ws.id, owner.id, "Other IG");
        s.create_account(&account, &owner_of(&account, owner.id), &[])
            .await
            .unwrap();
        Elsewhere { ws, owner, account }
    }

    /// A queued job of `kind` on the scene's account, requested by the
    /// Owner, stored.
    pub async fn job(&self, s: &Arc<dyn Store>, kind: &str) -> JobRow {
        let j = job(&self.c, &self.account, self.owner.id, kind);
        s.insert_job(&j).await.unwrap();
        j
    }

    /// A stored job claimed by `worker` (running, leased for a minute).
    pub async fn running_job(&self, s: &Arc<dyn Store>, worker: &str) -> JobRow {
        let j = self.job(s, "login").await;
        let now = self.c.now();
        let got = s
            .claim_job(worker, now, now.plus_seconds(60))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((got.id, got.state.as_str()), (j.id, "running"));
        got
    }
}

/// A workspace stored without first-run setup (nobody in it yet), with
/// the fake clock that made it.
pub async fn bare_workspace(s: &dyn Store) -> (FakeClock, WorkspaceRow) {
    let c = clock();
    let ws = workspace(&c);
    s.create_workspace(&ws).await.unwrap();
    (c, ws)
}

/// First-run setup alone: a workspace and its first user, `email` in
/// `role`, stored; with the fake clock that made them.
pub async fn first_run(
    s: &dyn Store,
    email: &str,
    role: WorkspaceRole,
) -> (FakeClock, WorkspaceRow, UserRow) {
    let c = clock();
    let ws = workspace(&c);
    let u = user(&c, ws.id, email, role);
    s.bootstrap(&ws, &u).await.unwrap();
    (c, ws, u)
}

/// An email with a code to `x-1@inbox.test` for `a`, received now, its
/// dedup key `key` and 10 sealed bytes.
pub fn message(c: &FakeClock, a: &AccountRow, key: &str) -> InboxMessageRow {
    InboxMessageRow {
        id: EventId::new(c, &OsEntropy),
        workspace_id: a.workspace_id,
        account_id: a.id,
        channel: Channel::Email,
        recipient: "x-1@inbox.test".into(),
        sender: "code@sender.test".into(),
        dedup_key: key.into(),
        sealed: vec![7; 10],
        has_code: true,
        received_at: c.now(),
        used_at: None,
    }
}

/// A cookie session of `u`, found by `hash`, created now and valid for an
/// hour.
pub fn session(c: &FakeClock, u: &UserRow, hash: &str) -> SessionRow {
    SessionRow {
        id: SessionId::new(c, &OsEntropy),
        workspace_id: u.workspace_id,
        user_id: u.id,
        token_hash: hash.into(),
        kind: SessionKind::Cookie,
        created_at: c.now(),
        last_seen_at: c.now(),
        expires_at: c.now().plus_seconds(3600),
        elevated_until: None,
        ip: "127.0.0.1".into(),
        user_agent: "test".into(),
        revoked_at: None,
    }
}

/// An API token of `u` named `name` (hash `hash-<name>`, prefix
/// `ort_<name>`), created now, never used and never expiring.
pub fn token(c: &FakeClock, u: &UserRow, name: &str) -> ApiTokenRow {
    ApiTokenRow {
        id: TokenId::new(c, &OsEntropy),
        workspace_id: u.workspace_id,
        user_id: u.id,
        name: name.into(),
        token_hash: format!("hash-{name}"),
        prefix: format!("ort_{name}"),
        created_at: c.now(),
        last_used_at: None,
        expires_at: None,
        revoked_at: None,
    }
}

/// `user`'s membership of `a` in `role`, added by `by` when `a` was
/// created.
pub fn member(a: &AccountRow, by: UserId, user: UserId, role: AccountRole) -> MemberRow {
    MemberRow {
        user_id: user,
        role,
        ..owner_of(a, by)
    }
}

/// The enrolment stored in `slot` of account `a` in `ws` (there is one).
pub async fn stored_otp(
    s: &Arc<dyn Store>,
    ws: WorkspaceId,
    a: AccountId,
    slot: OtpSlot,
) -> OtpRow {
    s.get_otp(ws, a, slot).await.unwrap().unwrap()
}

/// Step `step` of account `a`, used now by `u` (`how`: a stored spelling,
/// "view", "copy", ..., "verify").
pub fn used_step(c: &FakeClock, a: &AccountRow, step: i64, u: &UserRow, how: &str) -> UsedStepRow {
    UsedStepRow {
        workspace_id: a.workspace_id,
        account_id: a.id,
        step,
        used_by: Some(u.id),
        used_by_email: Some(u.email.clone()),
        how: how.parse().expect("a stored step use"),
        used_at: c.now(),
    }
}

/// A running step named `name` of job `job` (the store numbers it).
pub fn job_step(c: &FakeClock, job: EventId, name: &str) -> JobStepRow {
    JobStepRow {
        job_id: job,
        seq: 0,
        attempt: 1,
        name: name.into(),
        started_at: c.now(),
        ended_at: None,
        outcome: None,
        url: None,
        detail: None,
    }
}

/// An audit event `action` by nobody in particular, with `detail`.
pub fn audit_event(c: &FakeClock, action: String, detail: serde_json::Value) -> NewAuditEvent {
    NewAuditEvent {
        id: EventId::new(c, &OsEntropy),
        at: c.now(),
        actor_id: None,
        actor_email: None,
        action,
        target_type: None,
        target_id: None,
        ip: None,
        outcome: AuditOutcome::Success,
        detail,
    }
}
