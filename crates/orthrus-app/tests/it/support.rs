//! The harness: `TestApp` (one `App` on real storage) and `TwoNodes` (two
//! `App`s on one database with one master key and one fake clock, as
//! several `orthrus serve` share one PostgreSQL), each with the workspace's
//! Owner set up. SQLite always; PostgreSQL too when
//! `ORTHRUS_TEST_DATABASE_URL` is set (a scratch database per run).

use orthrus_app::{Actor, App, AppConfig, Change, NewAccount};
use orthrus_core::{FakeClock, OsEntropy, Timestamp, WorkspaceRole};
use orthrus_crypto::MasterKey;
use std::sync::Arc;
use std::time::Duration;

/// 2026-11-01T00:00:00Z
pub const START: i64 = 1_793_491_200_000;

/// An `App` on `store` with cheap Argon2. Accounts sign in to a loopback
/// address in these tests; no traffic leaves the machine (nothing connects
/// at all).
fn app(store: Arc<dyn orthrus_store::Store>, master: &MasterKey, clock: &FakeClock) -> App {
    app_with(store, master, clock, |_| {})
}

/// [`app`], its configuration then changed by `configure`.
fn app_with(
    store: Arc<dyn orthrus_store::Store>,
    master: &MasterKey,
    clock: &FakeClock,
    configure: impl FnOnce(&mut AppConfig),
) -> App {
    let egress = orthrus_app::egress::Egress::new(
        orthrus_core::egress::PrivateHostAllowList::parse(["127.0.0.1"]).unwrap(),
        Arc::new(orthrus_app::egress::SystemResolver),
    );
    let mut config = AppConfig {
        argon_memory_kib: 1024,
        argon_iterations: 1,
        egress,
        ..AppConfig::default()
    };
    configure(&mut config);
    App::new(
        store,
        master.clone(),
        Arc::new(clock.clone()),
        Arc::new(OsEntropy),
        config,
    )
    .unwrap()
}

/// The databases a test runs on: a SQLite file in its own directory, and a
/// scratch PostgreSQL database when `ORTHRUS_TEST_DATABASE_URL` is set.
async fn databases(tag: &str) -> Vec<(String, tempfile::TempDir)> {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vec![(
        format!("sqlite://{}", dir.path().join("orthrus.db").display()),
        dir,
    )];
    if let Some(base) = orthrus_store::testing::pg_base_url() {
        let url = orthrus_store::testing::pg_scratch_database(&base, tag)
            .await
            .unwrap();
        v.push((url, tempfile::tempdir().unwrap()));
    } else {
        eprintln!("ORTHRUS_TEST_DATABASE_URL not set: PostgreSQL half of {tag} skipped");
    }
    v
}

/// First-run setup through `app`: the Owner, as a local actor.
async fn set_up_owner(app: &App) -> Actor {
    let owner = app
        .bootstrap(
            "Acme",
            "owner@acme.test",
            "Olivia Owner",
            "owner-password-1",
            "127.0.0.1",
        )
        .await
        .unwrap();
    let ws = app.store().list_workspaces().await.unwrap()[0].id;
    app.local_actor(owner, ws).await.unwrap()
}

/// A browser session of `email` signed in through `app` with `password`:
/// its token.
pub async fn sign_in(app: &App, email: &str, password: &str) -> String {
    app.login(orthrus_app::LoginRequest {
        email: email.into(),
        password: orthrus_core::SecretString::new(password),
        totp: None,
        ip: "127.0.0.1".into(),
        user_agent: "test".into(),
        kind: orthrus_app::SessionKind::Cookie,
    })
    .await
    .unwrap()
    .token
    .expose()
    .to_owned()
}

pub struct TestApp {
    pub app: App,
    pub clock: FakeClock,
    /// The workspace Owner made at setup, as a local actor.
    pub owner: Actor,
    /// The database, for tests that edit rows by hand.
    pub url: String,
    _dir: tempfile::TempDir,
}

impl TestApp {
    /// SQLite always; PostgreSQL too when `ORTHRUS_TEST_DATABASE_URL` is set.
    pub async fn all(tag: &str) -> Vec<Self> {
        let mut v = Vec::new();
        for (url, dir) in databases(tag).await {
            v.push(Self::open(&url, dir, |_| {}).await);
        }
        v
    }

    /// One on the database at `url` (its files, if any, in `dir`), the
    /// app's configuration changed by `configure`.
    pub async fn open(
        url: &str,
        dir: tempfile::TempDir,
        configure: impl FnOnce(&mut AppConfig),
    ) -> Self {
        let clock = FakeClock::new(Timestamp(START));
        let store = orthrus_store::open(url).await.unwrap();
        let app = app_with(store, &MasterKey::generate(&OsEntropy), &clock, configure);
        let owner = set_up_owner(&app).await;
        Self {
            app,
            clock,
            owner,
            url: url.to_owned(),
            _dir: dir,
        }
    }

    /// A user of the workspace with `role`, as a local actor.
    pub async fn user(&self, email: &str, role: WorkspaceRole) -> Actor {
        let id = create_user(&self.app, &self.owner, email, role, None).await;
        self.app
            .local_actor(id.parse().unwrap(), self.owner.workspace_id)
            .await
            .unwrap()
    }
}

/// A user `email` made through `app` by `by`: named after the part before
/// the `@`, password `member-password-1`, with `role` and access ending at
/// `until`. Its id.
pub async fn create_user(
    app: &App,
    by: &Actor,
    email: &str,
    role: WorkspaceRole,
    until: Option<Timestamp>,
) -> String {
    app.create_user(
        by,
        orthrus_app::NewUser {
            email: email.into(),
            name: email.split('@').next().unwrap().into(),
            role,
            password: "member-password-1".into(),
            access_expires_at: until,
        },
    )
    .await
    .unwrap()
    .id
}

/// How node B joins node A's database.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum NodeB {
    /// On PostgreSQL its own pool, following the other nodes' changes
    /// (LISTEN/NOTIFY through `follow_other_nodes`, listening before the
    /// test starts); on SQLite B is A (one node).
    Following,
    /// On PostgreSQL its own pool, as separate servers have; on SQLite a
    /// second `App` on A's pool (SQLite serves one process at a time: a
    /// second pool's writes meet "database is locked").
    SharingWork,
}

/// Two nodes on one database, the Owner set up through A.
pub struct TwoNodes {
    pub a: App,
    pub b: App,
    pub clock: FakeClock,
    pub owner: Actor,
    _dir: tempfile::TempDir,
}

impl TwoNodes {
    /// Two nodes on SQLite, and on PostgreSQL too when
    /// `ORTHRUS_TEST_DATABASE_URL` is set; B joins as `join` says.
    pub async fn all(tag: &str, join: NodeB) -> Vec<Self> {
        let mut out = Vec::new();
        for (url, dir) in databases(tag).await {
            let clock = FakeClock::new(Timestamp(START));
            let master = MasterKey::generate(&OsEntropy);
            let first = orthrus_store::open(&url).await.unwrap();
            let postgres = first.backend() == "postgres";
            let a = app(Arc::clone(&first), &master, &clock);
            let b = match (join, postgres) {
                (NodeB::Following, false) => {
                    assert!(a.follow_other_nodes().is_none(), "SQLite: one node");
                    a.clone()
                }
                (NodeB::Following, true) => {
                    let b = app(orthrus_store::open(&url).await.unwrap(), &master, &clock);
                    let mut heard = b.watch_changes();
                    tokio::spawn(b.follow_other_nodes().unwrap());
                    // B listens once it says so.
                    let first = tokio::time::timeout(Duration::from_secs(5), heard.next()).await;
                    assert_eq!(first.ok(), Some(Change::Resync));
                    b
                }
                (NodeB::SharingWork, true) => {
                    app(orthrus_store::open(&url).await.unwrap(), &master, &clock)
                }
                (NodeB::SharingWork, false) => app(first, &master, &clock),
            };
            let owner = set_up_owner(&a).await;
            out.push(Self {
                a,
                b,
                clock,
                owner,
                _dir: dir,
            });
        }
        out
    }

    pub fn backend(&self) -> &'static str {
        self.a.store().backend()
    }

    /// A user made through A by the Owner: a Guest when their access ends
    /// at `until`, a User otherwise (see [`create_user`]). Its id.
    pub async fn user(&self, email: &str, until: Option<Timestamp>) -> String {
        let role = if until.is_some() {
            WorkspaceRole::Guest
        } else {
            WorkspaceRole::User
        };
        create_user(&self.a, &self.owner, email, role, until).await
    }
}

/// A sandbox account signing in at `login_url` as "brand" / "pw-1".
pub fn sandbox_account(label: &str, login_url: &str) -> NewAccount {
    NewAccount {
        app: "sandbox".into(),
        label: label.into(),
        login_url: login_url.into(),
        username: "brand".into(),
        password: "pw-1".into(),
        notes: None,
        fields: Vec::new(),
    }
}

/// Creates `new` through `app` as `by`; returns its id.
pub async fn create_account(app: &App, by: &Actor, new: NewAccount) -> String {
    app.create_account(by, new).await.unwrap().summary.id
}

/// Creates a sandbox account (see [`sandbox_account`]) and its managed
/// address through `app` as `by`: (account id, address).
pub async fn account_with_address(app: &App, by: &Actor, login_url: &str) -> (String, String) {
    let id = create_account(app, by, sandbox_account("Brand", login_url)).await;
    let address = app
        .create_managed_email(by, id.parse().unwrap())
        .await
        .unwrap()
        .address;
    (id, address)
}

/// The details of the audit events `action` on `target`, newest first, as
/// `by` lists them.
pub async fn audit_details(
    app: &App,
    by: &Actor,
    action: &str,
    target: &str,
) -> Vec<serde_json::Value> {
    app.list_audit(
        by,
        &orthrus_app::AuditQuery {
            action: Some(action.into()),
            actor_id: None,
            target_id: Some(target.into()),
            since: None,
            until: None,
            before: None,
            limit: None,
        },
    )
    .await
    .unwrap()
    .into_iter()
    .map(|e| e.detail)
    .collect()
}

/// Orthrus holds the account `id`'s authenticator with `secret`, enrolled
/// and confirmed by `by`.
pub async fn hold_authenticator(app: &App, by: &Actor, id: &str, secret: &str) {
    let input = orthrus_app::EnrollInput {
        secret: Some(secret.into()),
        ..Default::default()
    };
    app.enroll_otp(by, id.parse().unwrap(), input)
        .await
        .unwrap();
    app.confirm_otp(by, id.parse().unwrap(), None)
        .await
        .unwrap();
}
