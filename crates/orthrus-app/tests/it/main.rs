//! The application layer against real stores: every test runs on SQLite and,
//! when `ORTHRUS_TEST_DATABASE_URL` is set, on PostgreSQL too. No HTTP: the
//! use cases are called as the web and CLI layers call them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod otp_import;

use orthrus_app::{Actor, App, AppConfig, NewAccount};
use orthrus_core::{FakeClock, OsEntropy, Timestamp};
use orthrus_crypto::MasterKey;
use orthrus_store::Store;
use std::sync::Arc;

/// 2026-11-01T00:00:00Z
const START: i64 = 1_793_491_200_000;

pub struct Harness {
    pub app: App,
    pub store: Arc<dyn Store>,
    /// The workspace Owner, as a local command acts (no step-up needed).
    pub owner: Actor,
    pub backend: &'static str,
    _dir: tempfile::TempDir,
}

impl Harness {
    async fn on(store: Arc<dyn Store>, dir: tempfile::TempDir) -> Self {
        let backend = store.backend();
        let app = App::new(
            store.clone(),
            MasterKey::generate(&OsEntropy),
            Arc::new(FakeClock::new(Timestamp(START))),
            Arc::new(OsEntropy),
            AppConfig {
                argon_memory_kib: 1024,
                argon_iterations: 1,
                ..AppConfig::default()
            },
        )
        .unwrap();
        let user = app
            .bootstrap(
                "Acme",
                "owner@acme.test",
                "Olivia Owner",
                "owner-password-1",
                "127.0.0.1",
            )
            .await
            .unwrap();
        let ws = store
            .find_user_by_email("owner@acme.test")
            .await
            .unwrap()
            .unwrap()
            .workspace_id;
        let owner = app.local_actor(user, ws).await.unwrap();
        Self {
            app,
            store,
            owner,
            backend,
            _dir: dir,
        }
    }

    /// SQLite always; PostgreSQL too when `ORTHRUS_TEST_DATABASE_URL` is set.
    pub async fn all(tag: &str) -> Vec<Self> {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("orthrus.db").display());
        let mut v = vec![Self::on(orthrus_store::open(&url).await.unwrap(), dir).await];
        if let Some(base) = orthrus_store::testing::pg_base_url() {
            let url = orthrus_store::testing::pg_scratch_database(&base, tag)
                .await
                .unwrap();
            let store = orthrus_store::open(&url).await.unwrap();
            v.push(Self::on(store, tempfile::tempdir().unwrap()).await);
        } else {
            eprintln!("ORTHRUS_TEST_DATABASE_URL not set: PostgreSQL half of {tag} skipped");
        }
        v
    }

    /// Creates an account as the Owner; returns its id.
    pub async fn account(&self, app: &str, label: &str, username: &str) -> String {
        self.app
            .create_account(
                &self.owner,
                NewAccount {
                    app: app.into(),
                    label: label.into(),
                    login_url: String::new(),
                    username: username.into(),
                    password: "account-password".into(),
                    notes: None,
                    fields: Vec::new(),
                },
            )
            .await
            .unwrap()
            .summary
            .id
    }
}
