//! Use cases end to end against real storage, without HTTP: every test runs
//! on SQLite, and on PostgreSQL too when `ORTHRUS_TEST_DATABASE_URL` is set
//! (a scratch database per run). Time is a `FakeClock`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod inbox_paging;
mod live_updates;
mod mfa_check;
mod rotation_takeover;
mod shared_work;
mod sso;
mod sso_guard;

use orthrus_app::{Actor, App, AppConfig};
use orthrus_core::{FakeClock, OsEntropy, Timestamp};
use orthrus_crypto::MasterKey;
use std::sync::Arc;

/// 2026-11-01T00:00:00Z
pub const START: i64 = 1_793_491_200_000;

pub struct TestApp {
    pub app: App,
    pub clock: FakeClock,
    /// The workspace Owner made at setup, as a local actor.
    pub owner: Actor,
    _dir: tempfile::TempDir,
}

impl TestApp {
    async fn with(store: Arc<dyn orthrus_store::Store>, dir: tempfile::TempDir) -> Self {
        let clock = FakeClock::new(Timestamp(START));
        // Accounts sign in to a loopback address in these tests; no
        // traffic leaves the machine (nothing connects at all).
        let egress = orthrus_app::egress::Egress::new(
            orthrus_core::egress::PrivateHostAllowList::parse(["127.0.0.1"]).unwrap(),
            Arc::new(orthrus_app::egress::SystemResolver),
        );
        let app = App::new(
            store,
            MasterKey::generate(&OsEntropy),
            Arc::new(clock.clone()),
            Arc::new(OsEntropy),
            AppConfig {
                argon_memory_kib: 1024,
                argon_iterations: 1,
                egress,
                ..AppConfig::default()
            },
        )
        .unwrap();
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
        let owner = app.local_actor(owner, ws).await.unwrap();
        Self {
            app,
            clock,
            owner,
            _dir: dir,
        }
    }

    /// SQLite always; PostgreSQL too when `ORTHRUS_TEST_DATABASE_URL` is set.
    pub async fn all(tag: &str) -> Vec<Self> {
        let dir = tempfile::tempdir().unwrap();
        let store = orthrus_store::open(&format!(
            "sqlite://{}",
            dir.path().join("orthrus.db").display()
        ))
        .await
        .unwrap();
        let mut v = vec![Self::with(store, dir).await];
        if let Some(base) = orthrus_store::testing::pg_base_url() {
            let url = orthrus_store::testing::pg_scratch_database(&base, tag)
                .await
                .unwrap();
            let store = orthrus_store::open(&url).await.unwrap();
            v.push(Self::with(store, tempfile::tempdir().unwrap()).await);
        } else {
            eprintln!("ORTHRUS_TEST_DATABASE_URL not set: PostgreSQL half of {tag} skipped");
        }
        v
    }

    /// A user of the workspace with `role`, as a local actor.
    pub async fn user(&self, email: &str, role: orthrus_core::WorkspaceRole) -> Actor {
        let u = self
            .app
            .create_user(
                &self.owner,
                orthrus_app::NewUser {
                    email: email.into(),
                    name: email.split('@').next().unwrap().into(),
                    role,
                    password: "member-password-1".into(),
                    access_expires_at: None,
                },
            )
            .await
            .unwrap();
        self.app
            .local_actor(u.id.parse().unwrap(), self.owner.workspace_id)
            .await
            .unwrap()
    }
}
