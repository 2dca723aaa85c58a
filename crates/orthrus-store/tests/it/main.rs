//! The storage conformance suite: every test runs on SQLite, and on
//! PostgreSQL too when `ORTHRUS_TEST_DATABASE_URL` is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use orthrus_core::*;
use orthrus_store::*;
use std::sync::Arc;

mod accounts;
mod approvals;
mod audit;
mod authenticator;
mod ceremonies;
mod coverage;
mod directory;
mod expiry;
mod extension;
mod fixtures;
mod hot_path;
mod hotp;
mod inbox;
mod inbox_paging;
mod inbox_usage;
mod invitations;
mod job_claims;
mod jobs;
mod mfa_checks;
mod notify;
mod ops;
mod passkeys;
mod phones;
mod rotations;
mod sessions;
mod setup;
mod shared_work;
mod sso;
mod users;

struct Backends {
    stores: Vec<Arc<dyn Store>>,
    /// The database of each store, for tests that edit rows by hand.
    urls: Vec<String>,
    _dir: tempfile::TempDir,
}

async fn backends(tag: &str) -> Backends {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.db");
    let mut stores: Vec<Arc<dyn Store>> = vec![Arc::new(SqliteStore::open(&file).await.unwrap())];
    let mut urls = vec![format!("sqlite://{}", file.display())];
    if let Some(base) = testing::pg_base_url() {
        let url = testing::pg_scratch_database(&base, tag).await.unwrap();
        stores.push(Arc::new(PgStore::connect(&url).await.unwrap()));
        urls.push(url);
    } else {
        eprintln!("ORTHRUS_TEST_DATABASE_URL not set: PostgreSQL half of {tag} skipped");
    }
    Backends {
        stores,
        urls,
        _dir: dir,
    }
}

fn clock() -> FakeClock {
    FakeClock::new(Timestamp(1_790_000_000_000))
}

fn workspace(c: &FakeClock) -> WorkspaceRow {
    WorkspaceRow {
        id: WorkspaceId::new(c, &OsEntropy),
        name: "Acme".into(),
        require_2fa: false,
        step_up_minutes: 10,
        created_at: c.now(),
    }
}

fn user(c: &FakeClock, ws: WorkspaceId, email: &str, role: WorkspaceRole) -> UserRow {
    UserRow {
        id: UserId::new(c, &OsEntropy),
        workspace_id: ws,
        email: email.into(),
        name: email.split('@').next().unwrap().into(),
        role,
        password_hash: "$argon2id$fake".into(),
        active: true,
        totp_secret: None,
        totp_enabled: false,
        totp_last_step: None,
        created_at: c.now(),
        updated_at: c.now(),
        access_expires_at: None,
    }
}

fn account(c: &FakeClock, ws: WorkspaceId, by: UserId, label: &str) -> AccountRow {
    AccountRow {
        id: AccountId::new(c, &OsEntropy),
        workspace_id: ws,
        app: "instagram".into(),
        label: label.into(),
        login_url: "https://instagram.com".into(),
        username: "brand".into(),
        password: vec![1, 2, 3],
        notes: None,
        version: 1,
        created_by: by,
        created_at: c.now(),
        updated_at: c.now(),
    }
}

fn owner_of(a: &AccountRow, u: UserId) -> MemberRow {
    MemberRow {
        workspace_id: a.workspace_id,
        account_id: a.id,
        user_id: u,
        role: AccountRole::Owner,
        added_by: u,
        added_at: a.created_at,
        expires_at: None,
    }
}

fn otp(c: &FakeClock, a: &AccountRow, slot: OtpSlot, secret: u8, by: UserId) -> OtpRow {
    OtpRow {
        workspace_id: a.workspace_id,
        account_id: a.id,
        slot,
        id: EventId::new(c, &OsEntropy),
        secret: vec![secret; 8],
        kind: OtpKind::Totp,
        algorithm: "sha1".into(),
        digits: 6,
        period: 30,
        counter: 0,
        issuer: Some("Instagram".into()),
        account_name: Some("brand".into()),
        source: OtpSource::Secret,
        enrolled_by: by,
        enrolled_at: c.now(),
        confirmed_at: None,
    }
}

fn job(c: &FakeClock, a: &AccountRow, by: UserId, kind: &str) -> JobRow {
    let id = EventId::new(c, &OsEntropy);
    JobRow::queued(id, a.workspace_id, a.id, kind, by, 2, c.now())
}
