//! Running Orthrus for years: the Prometheus metrics listener.

use crate::serve::expect_reply;
use crate::support::*;
use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncWriteExt, BufReader};

/// The value of the sample whose line starts with `series` followed by a
/// space (exact label set), if any.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

#[tokio::test]
async fn metrics_count_requests_mail_sign_ins_and_read_the_queue() {
    let dir = tempfile::tempdir().unwrap();
    for storage in storages(dir.path(), "metrics").await {
        assert!(
            create_user(&storage, "owner@acme.test", "owner", "owner-password-1")
                .status
                .success()
        );
        let server = Server::start_env(
            &storage,
            "info",
            &["--http", "127.0.0.1:0"],
            &[
                ("ORTHRUS_METRICS_LISTEN", "127.0.0.1:0"),
                ("ORTHRUS_METRICS_TOKEN", "scrape-token-1"),
                ("ORTHRUS_AUTOMATION_WORKERS", "0"),
                ("ORTHRUS_AUTOMATION_ALLOWED_PRIVATE_HOSTS", "127.0.0.1"),
                // The pool's ceiling, as the gauge should report it.
                ("ORTHRUS_DATABASE_MAX_CONNECTIONS", "12"),
            ],
        );
        let metrics = server.metrics.clone().expect("the metrics URL is printed");
        assert!(metrics.starts_with("http://127.0.0.1:"), "{metrics}");
        let c = http();
        let base = format!("{}/api/v1", server.url);

        // Without the token, or with another, nothing is shown.
        let r = c.get(&metrics).send().await.unwrap();
        assert_eq!(r.status(), 401);
        let r = c
            .get(&metrics)
            .bearer_auth("scrape-token-2")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        // The web listener does not serve metrics.
        let r = c
            .get(format!("{}/metrics", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);

        // Two wrong passwords, then a sign-in and a step-up.
        for _ in 0..2 {
            let (s, _) = api(
                &c,
                Method::POST,
                &format!("{base}/auth/login"),
                None,
                Some(json!({"email": "owner@acme.test", "password": "wrong-password-9"})),
            )
            .await;
            assert_eq!(s, 401);
        }
        let t = login(&c, &server.url, "owner@acme.test", "owner-password-1").await;
        let (s, _) = api(
            &c,
            Method::POST,
            &format!("{base}/auth/step-up"),
            Some(&t),
            Some(json!({"password": "owner-password-1"})),
        )
        .await;
        assert_eq!(s, 200);
        let (s, acct) = api(
            &c,
            Method::POST,
            &format!("{base}/accounts"),
            Some(&t),
            Some(json!({"app": "instagram", "label": "Brand IG", "password": "p", "username": "brand", "login_url": "http://127.0.0.1:9/login"})),
        )
        .await;
        assert_eq!(s, 201, "{acct}");
        let id = acct["id"].as_str().unwrap().to_owned();
        for _ in 0..3 {
            let (s, _) = api(
                &c,
                Method::GET,
                &format!("{base}/accounts/{id}"),
                Some(&t),
                None,
            )
            .await;
            assert_eq!(s, 200);
        }
        let (s, job) = api(
            &c,
            Method::POST,
            &format!("{base}/accounts/{id}/automations"),
            Some(&t),
            Some(json!({"kind": "login"})),
        )
        .await;
        assert_eq!(s, 202, "{job}");
        let (s, m) = api(
            &c,
            Method::POST,
            &format!("{base}/accounts/{id}/managed-email"),
            Some(&t),
            None,
        )
        .await;
        assert_eq!(s, 201, "{m}");
        let address = m["address"].as_str().unwrap().to_owned();

        // One SMTP session: an unknown recipient, then a message stored
        // (unsigned mail claiming instagram.com: flagged).
        let stream = tokio::net::TcpStream::connect(server.smtp.clone().unwrap())
            .await
            .unwrap();
        let (r, mut w) = stream.into_split();
        let mut r = BufReader::new(r);
        expect_reply(&mut r, "220").await;
        w.write_all(b"EHLO mail.instagram.com\r\nMAIL FROM:<security@mail.instagram.com>\r\n")
            .await
            .unwrap();
        expect_reply(&mut r, "250").await;
        expect_reply(&mut r, "250").await;
        w.write_all(b"RCPT TO:<nobody@inbox.localhost>\r\n")
            .await
            .unwrap();
        expect_reply(&mut r, "550").await;
        w.write_all(format!("RCPT TO:<{address}>\r\nDATA\r\n").as_bytes())
            .await
            .unwrap();
        expect_reply(&mut r, "250").await;
        expect_reply(&mut r, "354").await;
        w.write_all(b"From: Instagram <security@mail.instagram.com>\r\nSubject: 481 920 is your code\r\nMessage-ID: <m-1@mail.instagram.com>\r\n\r\nUse 481920.\r\n.\r\n")
            .await
            .unwrap();
        expect_reply(&mut r, "250").await;
        w.write_all(b"QUIT\r\n").await.unwrap();
        expect_reply(&mut r, "221").await;
        c.get(format!("{}/no/such/page", server.url))
            .send()
            .await
            .unwrap();

        let r = c
            .get(&metrics)
            .bearer_auth("scrape-token-1")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain; version=0.0.4")
        );
        let text = r.text().await.unwrap();
        let want = [
            (
                r#"orthrus_http_requests_total{route="/api/v1/auth/login",method="POST",status="401"}"#,
                2.0,
            ),
            (
                r#"orthrus_http_requests_total{route="/api/v1/auth/login",method="POST",status="200"}"#,
                1.0,
            ),
            (
                r#"orthrus_http_requests_total{route="/api/v1/accounts/{id}",method="GET",status="200"}"#,
                3.0,
            ),
            // This page and the web listener's /metrics.
            (
                r#"orthrus_http_requests_total{route="unmatched",method="GET",status="404"}"#,
                2.0,
            ),
            (
                r#"orthrus_http_request_duration_seconds_count{route="/api/v1/accounts/{id}",method="GET"}"#,
                3.0,
            ),
            ("orthrus_sign_in_failures_total", 2.0),
            ("orthrus_lockouts_total", 0.0),
            (r#"orthrus_step_ups_total{outcome="success"}"#, 1.0),
            ("orthrus_smtp_sessions_total", 1.0),
            (r#"orthrus_smtp_messages_total{outcome="refused"}"#, 1.0),
            (r#"orthrus_smtp_messages_total{outcome="flagged"}"#, 1.0),
            (r#"orthrus_smtp_messages_total{outcome="stored"}"#, 0.0),
            (r#"orthrus_autofills_total{outcome="success"}"#, 0.0),
            (r#"orthrus_code_views_total{how="view"}"#, 0.0),
            ("orthrus_database_up", 1.0),
            ("orthrus_inbox_messages", 1.0),
            (r#"orthrus_jobs{kind="login",state="queued"}"#, 1.0),
            ("orthrus_job_queue_depth", 1.0),
            ("orthrus_db_pool_max_connections", 12.0),
        ];
        for (series, value) in want {
            assert_eq!(sample(&text, series), Some(value), "{series} in\n{text}");
        }
        for family in [
            "# TYPE orthrus_http_request_duration_seconds histogram",
            "# TYPE orthrus_sms_webhooks_total counter",
            "# TYPE orthrus_approvals_total counter",
            "# TYPE orthrus_job_queue_oldest_age_seconds gauge",
            "# TYPE orthrus_db_pool_connections gauge",
            "# TYPE orthrus_inbox_bytes gauge",
            "# TYPE orthrus_jobs_duration_seconds gauge",
        ] {
            assert!(text.contains(family), "{family} in\n{text}");
        }
        // No raw path (an account id) becomes a label.
        assert!(!text.contains(&id), "{text}");
        assert!(server.stop().success());
    }
}

/// Runs `orthrus admin ARGS… <storage flags>` with `key` as the master key.
fn admin(storage: &Storage, args: &[&str], key: &str) -> std::process::Output {
    std::process::Command::new(bin())
        .arg("admin")
        .args(args)
        .args(storage.args())
        .env("ORTHRUS_MASTER_KEY", key)
        .env_remove("ORTHRUS_CONFIG")
        .output()
        .unwrap()
}

fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Another valid master key (32 bytes of 0x2b).
const OTHER_KEY: &str = "KysrKysrKysrKysrKysrKysrKysrKysrKysrKysrKys=";

/// The Owner made by `admin create-user`, a server on `storage`, and the
/// Owner's session: the server, a client, the API's base URL, the token.
async fn owner_server(storage: &Storage) -> (Server, reqwest::Client, String, String) {
    assert!(
        create_user(storage, "owner@acme.test", "owner", "owner-password-1")
            .status
            .success()
    );
    let server = Server::start(storage, "info");
    let c = http();
    let base = format!("{}/api/v1", server.url);
    let t = login(&c, &server.url, "owner@acme.test", "owner-password-1").await;
    (server, c, base, t)
}

/// A personal API token of the session `t` (made after an identity check),
/// which must keep working across whatever the test does to the keys.
async fn api_token(c: &reqwest::Client, base: &str, t: &str) -> String {
    let (s, _) = api(
        c,
        Method::POST,
        &format!("{base}/auth/step-up"),
        Some(t),
        Some(json!({"password": "owner-password-1"})),
    )
    .await;
    assert_eq!(s, 200);
    let (s, tok) = api(
        c,
        Method::POST,
        &format!("{base}/me/tokens"),
        Some(t),
        Some(json!({"name": "ci"})),
    )
    .await;
    assert_eq!(s, 201, "{tok}");
    tok["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn restore_drill_backup_while_serving_then_restore_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage {
        data_dir: dir.path().join("live"),
        database_url: None,
    };
    let (server, c, base, t) = owner_server(&storage).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let (s, v) = api(
            &c,
            Method::POST,
            &format!("{base}/accounts"),
            Some(&t),
            Some(json!({"app": "instagram", "label": format!("Brand {i}"), "password": format!("secret-{i}"), "notes": format!("note {i}")})),
        )
        .await;
        assert_eq!(s, 201, "{v}");
        ids.push(v["id"].as_str().unwrap().to_owned());
    }
    // A personal API token, which must keep working after the restore.
    let api_token = api_token(&c, &base, &t).await;

    // The backup is taken while the server runs (and keeps writing).
    let out = dir.path().join("orthrus.backup");
    let writer = {
        let (c, base, t) = (c.clone(), base.clone(), t.clone());
        tokio::spawn(async move {
            for i in 0..5 {
                api(
                    &c,
                    Method::POST,
                    &format!("{base}/accounts"),
                    Some(&t),
                    Some(json!({"app": "x", "label": format!("during {i}"), "password": "p"})),
                )
                .await;
            }
        })
    };
    let o = admin(
        &storage,
        &["backup", "--out", out.to_str().unwrap()],
        &master_key(),
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("sealed with master key"), "{}", text(&o));
    writer.await.unwrap();
    // Sealed: no SQLite header, no secret, no label in the file; 0600.
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(b"ORTHBKP\0"));
    for needle in [&b"SQLite format 3"[..], b"Brand 0", b"owner@acme.test"] {
        assert!(!bytes.windows(needle.len()).any(|w| w == needle));
    }
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // No plaintext snapshot is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&storage.data_dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("snapshot"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // A second backup to the same file is refused.
    let o = admin(
        &storage,
        &["backup", "--out", out.to_str().unwrap()],
        &master_key(),
    );
    assert!(!o.status.success());
    // Restoring over the running server's database is refused.
    let o = admin(&storage, &["restore", out.to_str().unwrap()], &master_key());
    assert!(!o.status.success());
    assert!(text(&o).contains("in use"), "{}", text(&o));
    assert!(server.stop().success());

    // Into a new data directory: with another key, refused and nothing written.
    let fresh = Storage {
        data_dir: dir.path().join("restored"),
        database_url: None,
    };
    let o = admin(&fresh, &["restore", out.to_str().unwrap()], OTHER_KEY);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("was sealed with master key")
            && text(&o).contains("restore it with the master key it was made with"),
        "{}",
        text(&o)
    );
    assert!(!fresh.data_dir.join("orthrus.db").exists());
    // With the right key.
    let o = admin(&fresh, &["restore", out.to_str().unwrap()], &master_key());
    assert!(o.status.success(), "{}", text(&o));
    // Again: the database exists now, so --force is needed.
    let o = admin(&fresh, &["restore", out.to_str().unwrap()], &master_key());
    assert!(!o.status.success());
    assert!(text(&o).contains("--force"), "{}", text(&o));
    let o = admin(
        &fresh,
        &["restore", out.to_str().unwrap(), "--force"],
        &master_key(),
    );
    assert!(o.status.success(), "{}", text(&o));

    // Every secret opens, the session and the API token still work, and the
    // audit chain verifies.
    let o = audit_verify(&fresh);
    assert!(o.status.success(), "{}", text(&o));
    let server = Server::start(&fresh, "info");
    let base = format!("{}/api/v1", server.url);
    let (s, list) = api(
        &c,
        Method::GET,
        &format!("{base}/accounts"),
        Some(&api_token),
        None,
    )
    .await;
    assert_eq!(s, 200, "{list}");
    assert!(list.as_array().unwrap().len() >= 3, "{list}");
    let (s, _) = api(
        &c,
        Method::POST,
        &format!("{base}/auth/step-up"),
        Some(&t),
        Some(json!({"password": "owner-password-1"})),
    )
    .await;
    assert_eq!(s, 200);
    for (i, id) in ids.iter().enumerate() {
        let (s, v) = api(
            &c,
            Method::GET,
            &format!("{base}/accounts/{id}/password"),
            Some(&t),
            None,
        )
        .await;
        assert_eq!(
            (s, v["password"].as_str()),
            (200, Some(format!("secret-{i}").as_str())),
            "{v}"
        );
    }
    assert!(server.stop().success());
}

#[tokio::test]
async fn postgres_backups_point_to_pg_dump() {
    let dir = tempfile::tempdir().unwrap();
    for storage in storages(dir.path(), "pgbackup").await {
        if storage.database_url.is_none() {
            continue;
        }
        let out = dir.path().join("pg.backup");
        let o = admin(
            &storage,
            &["backup", "--out", out.to_str().unwrap()],
            &master_key(),
        );
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains("pg_dump --format=custom"), "{}", text(&o));
        assert!(!out.exists());
    }
}

/// The account, tokens and data in `tests/data/release-0024.db`, made by
/// `tests/data/make-release-fixture.sh` with the build of the previous
/// release (migrations 0001-0024).
const FIXTURE_ACCOUNT: &str = "01a24210-5798-7142-b730-2f4b31d12cdf";
const FIXTURE_API_TOKEN: &str = "ort_glJHz7xdZs2mjJyhhk3m_4Z8BuwAEUd5Y40mGoNn1TI";

#[tokio::test]
async fn a_database_from_the_previous_release_migrates_with_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage {
        data_dir: dir.path().join("d"),
        database_url: None,
    };
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
    let (s, list) = api(
        &c,
        Method::GET,
        &format!("{base}/accounts"),
        Some(FIXTURE_API_TOKEN),
        None,
    )
    .await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list[0]["label"], "Brand IG", "{list}");
    let t = login(&c, &server.url, "owner@acme.test", "owner-password-1").await;
    let (s, _) = api(
        &c,
        Method::POST,
        &format!("{base}/auth/step-up"),
        Some(&t),
        Some(json!({"password": "owner-password-1"})),
    )
    .await;
    assert_eq!(s, 200);
    let (s, v) = api(
        &c,
        Method::GET,
        &format!("{base}/accounts/{FIXTURE_ACCOUNT}/password"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(
        (s, v["password"].as_str()),
        (200, Some("fixture-password-1")),
        "{v}"
    );
    let (s, v) = api(
        &c,
        Method::GET,
        &format!("{base}/accounts/{FIXTURE_ACCOUNT}/totp/code"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["code"].as_str().map(str::len), Some(6), "{v}");
    let (s, v) = api(
        &c,
        Method::GET,
        &format!("{base}/accounts/{FIXTURE_ACCOUNT}/backup-codes"),
        Some(&t),
        None,
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

#[tokio::test]
async fn master_key_rotation_interrupted_then_resumed_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    for storage in storages(dir.path(), "rotation").await {
        let (server, c, base, t) = owner_server(&storage).await;
        let api_token = api_token(&c, &base, &t).await;
        let mut ids = Vec::new();
        for i in 0..4 {
            let (s, v) = api(
                &c,
                Method::POST,
                &format!("{base}/accounts"),
                Some(&t),
                Some(json!({"app": "instagram", "label": format!("Brand {i}"), "password": format!("secret-{i}"), "notes": format!("note {i}")})),
            )
            .await;
            assert_eq!(s, 201, "{v}");
            ids.push(v["id"].as_str().unwrap().to_owned());
        }
        let (s, v) = api(
            &c,
            Method::PUT,
            &format!("{base}/accounts/{}/totp", ids[0]),
            Some(&t),
            Some(json!({"secret": "JBSWY3DPEHPK3PXP"})),
        )
        .await;
        assert_eq!(s, 200, "{v}");
        let (s, v) = api(
            &c,
            Method::POST,
            &format!("{base}/accounts/{}/totp/confirm", ids[0]),
            Some(&t),
            None,
        )
        .await;
        assert_eq!(s, 200, "{v}");
        let (s, v) = api(
            &c,
            Method::PUT,
            &format!("{base}/accounts/{}/backup-codes", ids[0]),
            Some(&t),
            Some(json!({"codes": "1111-2222\n3333-4444"})),
        )
        .await;
        assert_eq!(s, 200, "{v}");
        assert!(server.stop().success());

        // Interrupted after three values (as if killed there).
        let o = admin(
            &storage,
            &["rotate-master-key", "--stop-after", "3"],
            &master_key(),
        );
        assert_eq!(o.status.code(), Some(3), "{}", text(&o));
        assert!(text(&o).contains("not complete"), "{}", text(&o));
        let pending = storage.data_dir.join("master.key.new");
        assert!(pending.exists());
        // Half-rotated: a server starts only when it has the new key too
        // (it waits in master.key.new; a node without it is refused).
        let aside = storage.data_dir.join("new-key-aside");
        std::fs::rename(&pending, &aside).unwrap();
        let out = std::process::Command::new(bin())
            .arg("serve")
            .args(storage.args())
            .args(["--http", "127.0.0.1:0", "--smtp", "127.0.0.1:0"])
            .env("ORTHRUS_MASTER_KEY", master_key())
            .env("ORTHRUS_ARGON_MEMORY_KIB", "8192")
            .env_remove("ORTHRUS_CONFIG")
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("master.key.new"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::rename(&aside, &pending).unwrap();
        // Resumed: it finishes with the same new key and prints it once.
        let o = admin(&storage, &["rotate-master-key"], &master_key());
        assert!(o.status.success(), "{}", text(&o));
        let t_out = text(&o);
        assert!(t_out.contains("Resuming"), "{t_out}");
        let new_key = t_out
            .lines()
            .find_map(|l| l.strip_prefix("ORTHRUS_MASTER_KEY="))
            .expect("the new key is printed")
            .to_owned();
        assert_ne!(new_key, master_key());
        assert!(!pending.exists(), "the printed key is not left on disk");

        // The old key no longer opens it; the new one does, and nobody was
        // signed out.
        let o = audit_verify(&storage);
        assert!(!o.status.success());
        let o = std::process::Command::new(bin())
            .args(["audit", "verify"])
            .args(storage.args())
            .env("ORTHRUS_MASTER_KEY", &new_key)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o));
        let server = Server::start_env(
            &storage,
            "info",
            &["--http", "127.0.0.1:0"],
            &[("ORTHRUS_MASTER_KEY", new_key.as_str())],
        );
        let base = format!("{}/api/v1", server.url);
        let (s, list) = api(
            &c,
            Method::GET,
            &format!("{base}/accounts"),
            Some(&api_token),
            None,
        )
        .await;
        assert_eq!((s, list.as_array().map(Vec::len)), (200, Some(4)), "{list}");
        let (s, _) = api(
            &c,
            Method::POST,
            &format!("{base}/auth/step-up"),
            Some(&t),
            Some(json!({"password": "owner-password-1"})),
        )
        .await;
        assert_eq!(s, 200, "the session from before the rotation still works");
        for (i, id) in ids.iter().enumerate() {
            let (s, v) = api(
                &c,
                Method::GET,
                &format!("{base}/accounts/{id}/password"),
                Some(&t),
                None,
            )
            .await;
            assert_eq!(
                (s, v["password"].as_str()),
                (200, Some(format!("secret-{i}").as_str())),
                "{v}"
            );
            let (s, v) = api(
                &c,
                Method::GET,
                &format!("{base}/accounts/{id}"),
                Some(&t),
                None,
            )
            .await;
            assert_eq!(s, 200, "{v}");
            assert!(v.to_string().contains(&format!("note {i}")), "{v}");
        }
        let (s, v) = api(
            &c,
            Method::GET,
            &format!("{base}/accounts/{}/totp/code", ids[0]),
            Some(&t),
            None,
        )
        .await;
        assert_eq!(s, 200, "{v}");
        let (s, v) = api(
            &c,
            Method::GET,
            &format!("{base}/accounts/{}/backup-codes", ids[0]),
            Some(&t),
            None,
        )
        .await;
        assert_eq!(s, 200, "{v}");
        assert!(v.to_string().contains("3333"), "{v}");
        assert!(server.stop().success());
    }
}

/// Runs `orthrus ARGS… <storage flags>` with the master key in the data
/// directory's `master.key` (no ORTHRUS_MASTER_KEY).
fn with_key_file(storage: &Storage, args: &[&str]) -> std::process::Output {
    std::process::Command::new(bin())
        .args(args)
        .args(storage.args())
        .env_remove("ORTHRUS_MASTER_KEY")
        .env_remove("ORTHRUS_CONFIG")
        .env("ORTHRUS_ARGON_MEMORY_KIB", "8192")
        .output()
        .unwrap()
}

#[tokio::test]
async fn rotation_with_a_key_file_keeps_the_old_key_aside() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage {
        data_dir: dir.path().join("d"),
        database_url: None,
    };
    std::fs::create_dir_all(&storage.data_dir).unwrap();
    let key_file = storage.data_dir.join("master.key");
    std::fs::write(&key_file, format!("{}\n", master_key())).unwrap();
    assert!(
        create_user(&storage, "owner@acme.test", "owner", "owner-password-1")
            .status
            .success()
    );
    // --prepare only writes the next key, to copy to other nodes: no data
    // is touched, and the rotation then uses that very key.
    let o = with_key_file(&storage, &["admin", "rotate-master-key", "--prepare"]);
    assert!(o.status.success(), "{}", text(&o));
    let prepared = std::fs::read_to_string(storage.data_dir.join("master.key.new")).unwrap();
    assert_ne!(prepared.trim(), master_key());
    assert_eq!(
        std::fs::read_to_string(&key_file).unwrap().trim(),
        master_key()
    );
    let o = with_key_file(&storage, &["audit", "verify"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = with_key_file(&storage, &["admin", "rotate-master-key"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("master.key.old"), "{}", text(&o));
    assert_eq!(
        std::fs::read_to_string(&key_file).unwrap().trim(),
        prepared.trim(),
        "the rotation used the prepared key"
    );
    assert!(!text(&o).contains("ORTHRUS_MASTER_KEY="), "{}", text(&o));
    // The old key is kept aside, the new one took its place (0600).
    let old = std::fs::read_to_string(storage.data_dir.join("master.key.old")).unwrap();
    assert_eq!(old.trim(), master_key());
    let new = std::fs::read_to_string(&key_file).unwrap();
    assert_ne!(new.trim(), master_key());
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(!storage.data_dir.join("master.key.new").exists());
    let o = with_key_file(&storage, &["audit", "verify"]);
    assert!(o.status.success(), "{}", text(&o));
    // A second rotation works the same way (the hashing keys carried over).
    let o = with_key_file(&storage, &["admin", "rotate-master-key"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = with_key_file(&storage, &["audit", "verify"]);
    assert!(o.status.success(), "{}", text(&o));
    // The first key is still there, named by its id.
    let first_id = std::fs::read_dir(&storage.data_dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("master.key.") && n.ends_with(".old") && n != "master.key.old")
        .collect::<Vec<_>>();
    assert_eq!(first_id.len(), 1, "{first_id:?}");
    assert_eq!(
        std::fs::read_to_string(storage.data_dir.join(&first_id[0]))
            .unwrap()
            .trim(),
        master_key()
    );
}

/// An account made under load: its id and password.
type Made = Vec<(String, String)>;

/// Writes and reads secrets through the API until `stop`: each round makes
/// an account with a password, reveals it and an earlier one, and reads a
/// TOTP code. Every answer must be right; returns the accounts made.
async fn secrets_under_load(
    base: String,
    session: String,
    api_token: String,
    totp_account: String,
    made: std::sync::Arc<std::sync::Mutex<Made>>,
    stop: tokio_util::sync::CancellationToken,
) -> Result<(), String> {
    let c = http();
    let mut i = 0u64;
    while !stop.is_cancelled() {
        let password = format!("load-secret-{i}");
        let (s, v) = api(
            &c,
            Method::POST,
            &format!("{base}/accounts"),
            Some(&api_token),
            Some(json!({"app": "instagram", "label": format!("Load {i}"), "password": password})),
        )
        .await;
        if s != 201 {
            return Err(format!("create {i}: {s} {v}"));
        }
        let id = v["id"].as_str().unwrap_or_default().to_owned();
        made.lock().unwrap().push((id.clone(), password));
        let earlier = {
            let m = made.lock().unwrap();
            m[(i as usize * 7) % m.len()].clone()
        };
        for (id, password) in [(id, format!("load-secret-{i}")), earlier] {
            let (s, v) = api(
                &c,
                Method::GET,
                &format!("{base}/accounts/{id}/password"),
                Some(&session),
                None,
            )
            .await;
            if (s, v["password"].as_str()) != (200, Some(password.as_str())) {
                return Err(format!("reveal {id}: {s} {v}"));
            }
        }
        let (s, v) = api(
            &c,
            Method::GET,
            &format!("{base}/accounts/{totp_account}/totp/code"),
            Some(&session),
            None,
        )
        .await;
        if s != 200 {
            return Err(format!("totp code: {s} {v}"));
        }
        i += 1;
    }
    Ok(())
}

/// What the load signs in with and reads.
#[derive(Clone)]
struct Load {
    session: String,
    api_token: String,
    totp_account: String,
    made: std::sync::Arc<std::sync::Mutex<Made>>,
}

impl Load {
    fn count(&self) -> usize {
        self.made.lock().unwrap().len()
    }

    async fn until_count(&self, n: usize) {
        while self.count() < n {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Runs `rotate` (a blocking `orthrus admin rotate-master-key`) while
    /// secrets are written and read through `base`, and the load goes on
    /// for a while after it; the rotation's output.
    async fn rotate_under(
        &self,
        base: &str,
        rotate: impl FnOnce() -> std::process::Output + Send + 'static,
    ) -> std::process::Output {
        let stop = tokio_util::sync::CancellationToken::new();
        let load = tokio::spawn(secrets_under_load(
            base.to_owned(),
            self.session.clone(),
            self.api_token.clone(),
            self.totp_account.clone(),
            self.made.clone(),
            stop.clone(),
        ));
        self.until_count(self.count() + 5).await;
        let before = self.count();
        let o = tokio::task::spawn_blocking(rotate).await.unwrap();
        let during = self.count() - before;
        self.until_count(self.count() + 5).await;
        stop.cancel();
        load.await.unwrap().unwrap();
        assert!(during > 0, "secrets were written during the rotation");
        o
    }

    /// Every secret made so far opens through `base`, with the session and
    /// the API token from before the rotations.
    async fn all_open(&self, base: &str) {
        let c = http();
        let made = self.made.lock().unwrap().clone();
        let (s, list) = api(
            &c,
            Method::GET,
            &format!("{base}/accounts"),
            Some(&self.api_token),
            None,
        )
        .await;
        assert_eq!(
            (s, list.as_array().map(Vec::len)),
            (200, Some(made.len())),
            "{list}"
        );
        for (id, password) in &made {
            let (s, v) = api(
                &c,
                Method::GET,
                &format!("{base}/accounts/{id}/password"),
                Some(&self.session),
                None,
            )
            .await;
            assert_eq!(
                (s, v["password"].as_str()),
                (200, Some(password.as_str())),
                "{v}"
            );
        }
        let (s, v) = api(
            &c,
            Method::GET,
            &format!("{base}/accounts/{}/totp/code", self.totp_account),
            Some(&self.session),
            None,
        )
        .await;
        assert_eq!(s, 200, "{v}");
    }
}

#[tokio::test]
async fn master_key_rotation_while_serving_under_load_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for storage in storages(dir.path(), "online_rotation").await {
        let (server, c, base, t) = owner_server(&storage).await;
        let api_token = api_token(&c, &base, &t).await;
        let (s, v) = api(
            &c,
            Method::POST,
            &format!("{base}/accounts"),
            Some(&t),
            Some(json!({"app": "instagram", "label": "Before", "password": "before-secret"})),
        )
        .await;
        assert_eq!(s, 201, "{v}");
        let totp_account = v["id"].as_str().unwrap().to_owned();
        for (method, path, body) in [
            (
                Method::PUT,
                "totp",
                Some(json!({"secret": "JBSWY3DPEHPK3PXP"})),
            ),
            (Method::POST, "totp/confirm", None),
        ] {
            let (s, v) = api(
                &c,
                method,
                &format!("{base}/accounts/{totp_account}/{path}"),
                Some(&t),
                body,
            )
            .await;
            assert_eq!(s, 200, "{v}");
        }
        let load = Load {
            session: t.clone(),
            api_token,
            totp_account: totp_account.clone(),
            made: std::sync::Arc::new(std::sync::Mutex::new(vec![(
                totp_account,
                "before-secret".to_owned(),
            )])),
        };

        // With ORTHRUS_MASTER_KEY: the rotation runs against the serving
        // database, the server takes the new key from master.key.new.
        let rotating = storage.clone();
        let o = load
            .rotate_under(&base, move || {
                admin(&rotating, &["rotate-master-key"], &master_key())
            })
            .await;
        assert!(o.status.success(), "{}\n{}", text(&o), server.logs());
        let new_key = text(&o)
            .lines()
            .find_map(|l| l.strip_prefix("ORTHRUS_MASTER_KEY="))
            .expect("the new key is printed")
            .to_owned();
        assert!(
            server.logs().contains("sealing with master key"),
            "the server picked up the new key:\n{}",
            server.logs()
        );
        load.all_open(&base).await;
        assert!(server.stop().success());
        let o = std::process::Command::new(bin())
            .args(["audit", "verify"])
            .args(storage.args())
            .env("ORTHRUS_MASTER_KEY", &new_key)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o));
        // Restarted with only the new key: everything opens, and the
        // session and the API token from before still work.
        assert!(!storage.data_dir.join("master.key.new").exists());
        let server = Server::start_env(
            &storage,
            "info",
            &["--http", "127.0.0.1:0"],
            &[("ORTHRUS_MASTER_KEY", new_key.as_str())],
        );
        let base = format!("{}/api/v1", server.url);
        load.all_open(&base).await;
        assert!(server.stop().success());

        // With the key in master.key: the key files move while the server
        // runs.
        let key_file = storage.data_dir.join("master.key");
        std::fs::write(&key_file, format!("{new_key}\n")).unwrap();
        let no_env = [("ORTHRUS_MASTER_KEY", "")];
        let server = Server::start_env(&storage, "info", &["--http", "127.0.0.1:0"], &no_env);
        let base = format!("{}/api/v1", server.url);
        let rotating = storage.clone();
        let o = load
            .rotate_under(&base, move || {
                with_key_file(&rotating, &["admin", "rotate-master-key"])
            })
            .await;
        assert!(o.status.success(), "{}\n{}", text(&o), server.logs());
        assert_eq!(
            std::fs::read_to_string(storage.data_dir.join("master.key.old"))
                .unwrap()
                .trim(),
            new_key
        );
        load.all_open(&base).await;
        assert!(server.stop().success());
        // Only the newest key left: everything opens.
        std::fs::remove_file(storage.data_dir.join("master.key.old")).unwrap();
        let o = with_key_file(&storage, &["audit", "verify"]);
        assert!(o.status.success(), "{}", text(&o));
        let server = Server::start_env(&storage, "info", &["--http", "127.0.0.1:0"], &no_env);
        let base = format!("{}/api/v1", server.url);
        load.all_open(&base).await;
        assert!(server.stop().success());
    }
}
