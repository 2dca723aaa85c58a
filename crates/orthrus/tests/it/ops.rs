//! Running Orthrus for years: the Prometheus metrics listener, backups and
//! restores. Migrations are in `migrations.rs`, master-key rotation in
//! `master_key.rs`; the `admin` helpers here serve them too.

use crate::support::*;
use reqwest::Method;
use serde_json::json;

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
        create_user_ok(&storage, "owner@acme.test", "owner", "owner-password-1");
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
        step_up(&c, &base, &t).await;
        let acct = create(&c, &format!("{base}/accounts"), &t, json!({"app": "instagram", "label": "Brand IG", "password": "p", "username": "brand", "login_url": "http://127.0.0.1:9/login"})).await;
        let id = acct["id"].as_str().unwrap().to_owned();
        for _ in 0..3 {
            let (s, _) = get(&c, &format!("{base}/accounts/{id}"), &t).await;
            assert_eq!(s, 200);
        }
        let (s, job) = start_automation(&c, &base, &t, &id, "login").await;
        assert_eq!(s, 202, "{job}");
        let address = managed_address(&c, &base, &t, &id).await;

        // One SMTP session: an unknown recipient, then a message stored
        // (unsigned mail claiming instagram.com: flagged).
        let mut smtp = Smtp::connect(&server.smtp.clone().unwrap()).await;
        smtp.say(
            "EHLO mail.instagram.com\r\nMAIL FROM:<security@mail.instagram.com>\r\n",
            &["250", "250"],
        )
        .await;
        smtp.say("RCPT TO:<nobody@inbox.localhost>\r\n", &["550"])
            .await;
        smtp.say(format!("RCPT TO:<{address}>\r\nDATA\r\n"), &["250", "354"])
            .await;
        smtp.say("From: Instagram <security@mail.instagram.com>\r\nSubject: 481 920 is your code\r\nMessage-ID: <m-1@mail.instagram.com>\r\n\r\nUse 481920.\r\n.\r\n", &["250"]).await;
        smtp.say("QUIT\r\n", &["221"]).await;
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
pub(crate) fn admin(storage: &Storage, args: &[&str], key: &str) -> std::process::Output {
    std::process::Command::new(bin())
        .arg("admin")
        .args(args)
        .args(storage.args())
        .env("ORTHRUS_MASTER_KEY", key)
        .env_remove("ORTHRUS_CONFIG")
        .output()
        .unwrap()
}

pub(crate) fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Another valid master key (32 bytes of 0x2b).
pub(crate) const OTHER_KEY: &str = "KysrKysrKysrKysrKysrKysrKysrKysrKysrKysrKys=";

/// A personal API token of the session `t` (made after an identity check),
/// which must keep working across whatever the test does to the keys.
pub(crate) async fn api_token(c: &reqwest::Client, base: &str, t: &str) -> String {
    step_up(c, base, t).await;
    let (s, tok) = post(
        c,
        &format!("{base}/me/tokens"),
        t,
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
        let v = create(&c, &format!("{base}/accounts"), &t, json!({"app": "instagram", "label": format!("Brand {i}"), "password": format!("secret-{i}"), "notes": format!("note {i}")})).await;
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
                post(
                    &c,
                    &format!("{base}/accounts"),
                    &t,
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
    let (s, list) = get(&c, &format!("{base}/accounts"), &api_token).await;
    assert_eq!(s, 200, "{list}");
    assert!(list.as_array().unwrap().len() >= 3, "{list}");
    step_up(&c, &base, &t).await;
    for (i, id) in ids.iter().enumerate() {
        assert_password(&c, &base, &t, id, &format!("secret-{i}")).await;
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
