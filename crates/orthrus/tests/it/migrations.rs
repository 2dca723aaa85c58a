//! Migrations of a real database: one from the previous release (the
//! fixture `tests/data/release-0024.db`, made by `make-release-fixture.sh`)
//! migrates with its data, and `migrate --check` on PostgreSQL lists the
//! pending migrations, then applies them.

use crate::ops::{admin, text};
use crate::support::*;

/// The account, tokens and data in `tests/data/release-0024.db`, made by
/// `tests/data/make-release-fixture.sh` with the build of the previous
/// release (migrations 0001-0024).
const FIXTURE_ACCOUNT: &str = "01a24210-5798-7142-b730-2f4b31d12cdf";
const FIXTURE_API_TOKEN: &str = "ort_glJHz7xdZs2mjJyhhk3m_4Z8BuwAEUd5Y40mGoNn1TI";

#[tokio::test]
async fn a_database_from_the_previous_release_migrates_with_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let storage = sqlite_storage(dir.path());
    std::fs::create_dir_all(&storage.data_dir).unwrap();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/release-0024.db"),
        storage.data_dir.join("orthrus.db"),
    )
    .unwrap();
    // --check says what the upgrade will do, and does nothing.
    for _ in 0..2 {
        let o = admin(&storage, &["migrate", "--check"], &master_key());
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        let t = text(&o);
        assert!(t.contains("pending:"), "{t}");
        assert!(t.contains("  0025 "), "{t}");
        assert!(!t.contains("  0024 "), "{t}");
    }
    let o = admin(&storage, &["migrate"], &master_key());
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("Applied"), "{}", text(&o));
    let o = admin(&storage, &["migrate", "--check"], &master_key());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("up to date"), "{}", text(&o));
    // The mail it held is still there (counted before the server's
    // retention sweep could see it).
    {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&format!(
            "sqlite://{}",
            storage.data_dir.join("orthrus.db").display()
        ))
        .await
        .unwrap();
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM inbox_messages")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(n, 1);
        conn.close().await.unwrap();
    }
    let o = audit_verify(&storage);
    assert!(o.status.success(), "{}", text(&o));

    // The new build serves it: the old API token, the password, the
    // authenticator and the backup codes all open.
    let server = Server::start(&storage, "info");
    let c = http();
    let base = format!("{}/api/v1", server.url);
    let (s, list) = get(&c, &format!("{base}/accounts"), FIXTURE_API_TOKEN).await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list[0]["label"], "Brand IG", "{list}");
    let t = login(&c, &server.url, "owner@acme.test", "owner-password-1").await;
    step_up(&c, &base, &t).await;
    let (s, v) = get(
        &c,
        &format!("{base}/accounts/{FIXTURE_ACCOUNT}/password"),
        &t,
    )
    .await;
    assert_eq!(
        (s, v["password"].as_str()),
        (200, Some("fixture-password-1")),
        "{v}"
    );
    let (s, v) = get(
        &c,
        &format!("{base}/accounts/{FIXTURE_ACCOUNT}/totp/code"),
        &t,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["code"].as_str().map(str::len), Some(6), "{v}");
    let (s, v) = get(
        &c,
        &format!("{base}/accounts/{FIXTURE_ACCOUNT}/backup-codes"),
        &t,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert!(v.to_string().contains("3333"), "{v}");
    assert!(server.stop().success());
}

#[tokio::test]
async fn migrate_check_on_postgres_lists_then_applies() {
    let dir = tempfile::tempdir().unwrap();
    for storage in storages(dir.path(), "migcheck").await {
        if storage.database_url.is_none() {
            continue;
        }
        let o = admin(&storage, &["migrate", "--check"], &master_key());
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains("  0001 foundation"), "{}", text(&o));
        let o = admin(&storage, &["migrate"], &master_key());
        assert!(o.status.success(), "{}", text(&o));
        let o = admin(&storage, &["migrate", "--check"], &master_key());
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    }
}
