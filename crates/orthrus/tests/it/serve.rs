//! `orthrus serve` as a process: first-run setup, data surviving a restart,
//! graceful shutdown, admin and audit commands, and secrets at rest.

use crate::support::*;
use serde_json::json;

#[tokio::test]
async fn first_run_restart_and_graceful_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    for storage in storages(dir.path(), "serve").await {
        let c = http();
        let server = Server::start(&storage, "info");
        let setup = server.setup_url.clone().expect("a first-run setup link");
        for probe in ["healthz", "readyz"] {
            let url = format!("{}/{probe}", server.url);
            assert_eq!(c.get(url).send().await.unwrap().status(), 200);
        }
        // Create the workspace and owner through the setup form.
        let token = setup.split("token=").nth(1).unwrap().to_owned();
        assert_eq!(c.get(&setup).send().await.unwrap().status(), 200);
        let r = c
            .post(format!("{}/setup", server.url))
            .form(&[
                ("token", token.as_str()),
                ("workspace", "Acme"),
                ("name", "Olivia"),
                ("email", "owner@acme.test"),
                ("password", "owner-password-1"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
        assert!(
            r.headers()["set-cookie"]
                .to_str()
                .unwrap()
                .starts_with("orthrus_session=")
        );
        // The link works once.
        assert_eq!(c.get(&setup).send().await.unwrap().status(), 303);
        let t = login(&c, &server.url, "owner@acme.test", "owner-password-1").await;
        let v = create(
            &c,
            &format!("{}/api/v1/accounts", server.url),
            &t,
            json!({"app": "instagram", "label": "Brand IG", "password": "persisted-pw"}),
        )
        .await;
        let id = v["id"].as_str().unwrap().to_owned();
        let status = server.stop();
        assert!(status.success(), "graceful shutdown exits 0: {status:?}");

        // After a restart: no setup link, the session and the account remain.
        let server = Server::start(&storage, "info");
        assert!(server.setup_url.is_none());
        let (s, v) = get(&c, &format!("{}/api/v1/accounts", server.url), &t).await;
        assert_eq!((s, v[0]["label"].as_str()), (200, Some("Brand IG")));
        step_up(&c, &format!("{}/api/v1", server.url), &t).await;
        let (_, v) = get(
            &c,
            &format!("{}/api/v1/accounts/{id}/password", server.url),
            &t,
        )
        .await;
        assert_eq!(v["password"], "persisted-pw");
        let logs = server.logs();
        assert!(server.stop().success());
        assert!(logs.contains("listening"), "{logs}");
    }
}

#[tokio::test]
async fn admin_create_user_and_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    for storage in storages(dir.path(), "admin").await {
        let out = create_user_ok(&storage, "Kathy@Acme.test", "owner", "kathy-password-1");
        assert!(String::from_utf8_lossy(&out.stdout).contains("created kathy@acme.test (owner)"));
        let out = create_user(&storage, "kathy@acme.test", "user", "another-password");
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
        let out = create_user(&storage, "x@acme.test", "root", "another-password");
        assert!(String::from_utf8_lossy(&out.stderr).contains("unknown role"));
        let out = create_user(&storage, "y@acme.test", "user", "short");
        assert!(String::from_utf8_lossy(&out.stderr).contains("at least 10"));
        // The server started on that data signs the user in and needs no setup.
        let server = Server::start(&storage, "info");
        assert!(server.setup_url.is_none());
        login(&http(), &server.url, "kathy@acme.test", "kathy-password-1").await;
        assert!(server.stop().success());
    }
    // Invalid configuration is refused with a clear message.
    let out = std::process::Command::new(bin())
        .args(["serve", "--http", "nonsense"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("http.listen"));
    let out = std::process::Command::new(bin())
        .args(["config", "example"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("[security]"));
}

#[tokio::test]
async fn audit_verify_detects_edits_and_deletions() {
    let dir = tempfile::tempdir().unwrap();
    let storage = sqlite_storage(dir.path());
    let (server, c, _, t) = owner_server(&storage).await;
    for i in 0..3 {
        post(
            &c,
            &format!("{}/api/v1/accounts", server.url),
            &t,
            Some(json!({"app": "x", "label": format!("A{i}"), "password": "p"})),
        )
        .await;
    }
    assert!(server.stop().success());
    let out = audit_verify(&storage);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("intact: 5 events"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    let db = dir.path().join("d/orthrus.db");
    let exec = |sql: &'static str| {
        let db = db.clone();
        async move {
            use sqlx::Connection;
            let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
                .await
                .unwrap();
            sqlx::query(sql).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        }
    };
    let snapshot = std::fs::read(&db).unwrap();
    // An edited detail.
    exec("UPDATE audit_events SET detail = '{\"label\":\"innocent\"}' WHERE seq = 3").await;
    let out = audit_verify(&storage);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("event #3 (account.create) was altered"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A deleted event in the middle.
    std::fs::write(&db, &snapshot).unwrap();
    exec("DELETE FROM audit_events WHERE seq = 2").await;
    let out = audit_verify(&storage);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("event #2 is missing"));
    // The newest event deleted.
    std::fs::write(&db, &snapshot).unwrap();
    exec("DELETE FROM audit_events WHERE seq = 5").await;
    assert_eq!(audit_verify(&storage).status.code(), Some(2));
    // An actor rewritten with the hashes left alone.
    std::fs::write(&db, &snapshot).unwrap();
    exec("UPDATE audit_events SET actor_email = 'someone@else.test' WHERE seq = 4").await;
    assert_eq!(audit_verify(&storage).status.code(), Some(2));
    // An outcome no append writes: tampering too, not a failure to check.
    std::fs::write(&db, &snapshot).unwrap();
    exec("UPDATE audit_events SET outcome = 'evil' WHERE seq = 3").await;
    let out = audit_verify(&storage);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("event #3 cannot be read: outcome holds \"evil\""),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The newest events cut off and the head moved back to a readable older link.
    std::fs::write(&db, &snapshot).unwrap();
    exec("DELETE FROM audit_events WHERE seq = 5").await;
    exec("UPDATE audit_heads SET seq = 4, hash = (SELECT hash FROM audit_events WHERE seq = 4)")
        .await;
    let out = audit_verify(&storage);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("chain head was rewritten"));
    // The chain head edited into what no append writes, an event number at
    // i64::MAX, an action full of escapes: tampering (exit 2), never a
    // store error (exit 1) or a panic; stored text is quoted and escaped.
    let escapes = "UPDATE audit_events \
        SET action = 'x' || char(27) || '[2J' || char(155) || char(8238) WHERE seq = 3";
    for (sql, said) in [
        (
            "UPDATE audit_heads SET seq = 'x'",
            "the chain head cannot be read: seq holds \"x\"",
        ),
        (
            "UPDATE audit_heads SET seq = 1.5",
            "the chain head cannot be read: seq holds 1.5",
        ),
        (
            "UPDATE audit_heads SET mac = X'00'",
            "the chain head cannot be read: mac holds 1 byte of binary data",
        ),
        (
            "UPDATE audit_events SET seq = 9223372036854775807 WHERE seq = 5",
            "event #5 is missing (next is #9223372036854775807)",
        ),
        (escapes, "event #3 (\"x\\u{1b}[2J\\u{9b}"),
    ] {
        std::fs::write(&db, &snapshot).unwrap();
        exec(sql).await;
        let out = audit_verify(&storage);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{sql}: {stderr}");
        assert!(stderr.contains("audit log TAMPERED"), "{sql}: {stderr}");
        assert!(stderr.contains(said), "{sql}: {stderr}");
    }
    // The report as JSON: the same problems, no raw control or bidi
    // character (the edit with escapes is still in place).
    let out = std::process::Command::new(bin())
        .args(["audit", "verify", "--json"])
        .args(storage.args())
        .env("ORTHRUS_MASTER_KEY", master_key())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8(out.stdout).unwrap();
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    assert!(!text.chars().any(unsafe_char), "{text:?}");
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(
        report["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p.as_str().unwrap().contains("event #3 (\"x\\u{1b}[2J")),
        "{text}"
    );
    std::fs::write(&db, &snapshot).unwrap();
    assert!(audit_verify(&storage).status.success());
    // Another master key is refused instead of starting a second vault.
    let out = std::process::Command::new(bin())
        .args(["audit", "verify"])
        .args(storage.args())
        .env(
            "ORTHRUS_MASTER_KEY",
            "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
        )
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("encrypted with master key"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn extract_reads_email_and_sms_from_stdin() {
    let run = |args: &[&str], input: &str| {
        let out = with_stdin(
            std::process::Command::new(bin()).arg("extract").args(args),
            input,
        );
        assert!(out.status.success());
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let email = "From: Instagram <security@mail.instagram.com>\r\nTo: brand@acme.test\r\nSubject: Verify your account\r\nMessage-ID: <a@b>\r\n\r\nHi,\r\nUse 482 193 to verify your account.\r\n";
    let v = run(&[], email);
    assert_eq!(v["code"], "482193");
    assert!(v["confirm_link"].is_null());
    let v = run(
        &["--sms", "--from", "32665"],
        "G-918273 is your Google verification code.",
    );
    assert_eq!(v["code"], "918273");
    let v = run(
        &["--sms", "--from", "32665"],
        "Your order #55123 ships on 12/03.",
    );
    assert!(v["code"].is_null());
    let v = run(&[], "\u{0}\u{1}not a message at all");
    assert!(v.get("code").is_some());
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn no_plaintext_secret_reaches_the_database_files_or_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let storage = sqlite_storage(dir.path());
    let user_password = "Owner-Pass-7f3a9c";
    create_user_ok(&storage, "owner@acme.test", "owner", user_password);
    let server = Server::start(&storage, "debug");
    let c = http();
    let base = format!("{}/api/v1", server.url);
    let t = login(&c, &server.url, "owner@acme.test", user_password).await;
    let account_password = "Acct-Secret-91b2e4d7";
    let notes = "Note-Secret-5c8e1f";
    let field = "Field-Secret-3d7a6b";
    let (s, v) = post(&c, &format!("{base}/accounts"), &t, Some(json!({"app": "instagram", "label": "Brand", "password": account_password, "notes": notes, "fields": [{"name": "PIN", "secret": true, "value": field}]}))).await;
    assert_eq!(s, 201);
    let id = v["id"].as_str().unwrap().to_owned();
    let new_password = "Acct-Secret-Rotated-a1c3";
    patch(
        &c,
        &format!("{base}/accounts/{id}"),
        &t,
        Some(json!({"version": 1, "password": new_password})),
    )
    .await;
    // The server runs on the real clock; so does this code.
    let (totp_secret, mut recovery) = own_totp_on(&c, &base, &t).await;
    let recovery = recovery.remove(0);
    let (s, _) = post(
        &c,
        &format!("{base}/auth/step-up"),
        &t,
        Some(json!({"password": user_password, "totp": recovery})),
    )
    .await;
    assert_eq!(s, 200);
    let (_, v) = get(&c, &format!("{base}/accounts/{id}/password"), &t).await;
    assert_eq!(v["password"], new_password);
    let (s, tok) = post(
        &c,
        &format!("{base}/me/tokens"),
        &t,
        Some(json!({"name": "ci"})),
    )
    .await;
    assert_eq!(s, 201);
    let api_token = tok["token"].as_str().unwrap().to_owned();
    assert_eq!(get(&c, &format!("{base}/me"), &api_token).await.0, 200);

    let backup_code = "BkUp-7Q4W-9Z2X";
    let (s, _) = put(
        &c,
        &format!("{base}/accounts/{id}/backup-codes"),
        &t,
        Some(json!({"codes": [backup_code, "BkUp-3M8N-1V6C"]})),
    )
    .await;
    assert_eq!(s, 200);
    let (s, all) = get(&c, &format!("{base}/accounts/{id}/backup-codes"), &t).await;
    assert_eq!(
        (s, all["codes"][0]["code"].as_str()),
        (200, Some(backup_code))
    );
    let secrets = [
        backup_code,
        user_password,
        account_password,
        new_password,
        notes,
        field,
        totp_secret.as_str(),
        recovery.as_str(),
        t.as_str(),
        api_token.as_str(),
        &master_key(),
    ];
    // While running (WAL present) and after shutdown.
    let scan = |when: &str| {
        for entry in std::fs::read_dir(dir.path().join("d")).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().unwrap() == "master.key" {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            for s in &secrets {
                assert!(
                    !contains(&bytes, s),
                    "{when}: {s:?} found in {}",
                    path.display()
                );
            }
        }
    };
    let files: Vec<String> = std::fs::read_dir(dir.path().join("d"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        files.iter().any(|f| f == "orthrus.db-wal"),
        "WAL mode: {files:?}"
    );
    scan("running");
    let logs = server.logs();
    let stdout = server.stdout.lock().unwrap().clone();
    assert!(server.stop().success());
    scan("stopped");
    assert!(
        logs.contains("DEBUG") || logs.contains("INFO"),
        "logs were captured"
    );
    for s in &secrets {
        assert!(
            !logs.contains(s) && !stdout.contains(s),
            "{s:?} found in the server output"
        );
    }
    // And audit details never carry them either.
    let out = audit_verify(&storage);
    assert!(out.status.success());
}

/// Account `id`'s authenticator checks `code` through the API at `base`
/// for the session `t`: the answer.
async fn verify(
    c: &reqwest::Client,
    base: &str,
    t: &str,
    id: &str,
    code: &str,
) -> serde_json::Value {
    let url = format!("{base}/accounts/{id}/totp/verify");
    post(c, &url, t, Some(json!({ "code": code }))).await.1
}

#[tokio::test]
async fn a_verified_code_stays_used_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    for storage in storages(dir.path(), "replay").await {
        let (server, c, base, t) = owner_server(&storage).await;
        let id = add_account(&c, &base, &t, "x", "X", "p").await;
        post(
            &c,
            &format!("{base}/auth/step-up"),
            &t,
            Some(json!({"password": "owner-password-1"})),
        )
        .await;
        let (s, p) = put(
            &c,
            &format!("{base}/accounts/{id}/totp"),
            &t,
            Some(json!({"secret": "JBSWY3DPEHPK3PXP"})),
        )
        .await;
        assert_eq!(s, 200, "{p}");
        post(&c, &format!("{base}/accounts/{id}/totp/confirm"), &t, None).await;
        let (_, code) = get(
            &c,
            &format!("{base}/accounts/{id}/totp/code?via=api&fresh=0"),
            &t,
        )
        .await;
        let code = code["code"].as_str().unwrap().to_owned();
        let v = verify(&c, &base, &t, &id, &code).await;
        assert_eq!(v["valid"], true);
        assert!(server.stop().success());
        let server = Server::start(&storage, "info");
        let base = format!("{}/api/v1", server.url);
        let v = verify(&c, &base, &t, &id, &code).await;
        assert_eq!(v["valid"], false, "replayed after a restart: {v}");
        assert!(server.stop().success());
    }
}

#[tokio::test]
async fn mail_to_a_managed_address_lands_in_the_inbox_with_its_code() {
    let dir = tempfile::tempdir().unwrap();
    for storage in storages(dir.path(), "inbox").await {
        let (server, c, base, t) = owner_server(&storage).await;
        let id = add_account(&c, &base, &t, "instagram", "Brand Instagram", "p").await;
        let address = managed_address(&c, &base, &t, &id).await;
        assert!(
            address.starts_with("brand-instagram-") && address.ends_with("@inbox.localhost"),
            "{address}"
        );
        // A real SMTP conversation.
        let mut smtp = Smtp::connect(&server.smtp.clone().unwrap()).await;
        smtp.say("EHLO mail.instagram.com\r\n", &["250"]).await;
        smtp.say("MAIL FROM:<security@mail.instagram.com>\r\n", &["250"])
            .await;
        smtp.say("RCPT TO:<someone-else@inbox.localhost>\r\n", &["550"])
            .await;
        smtp.say(format!("RCPT TO:<{address}>\r\nDATA\r\n"), &["250", "354"])
            .await;
        let msg = "From: Instagram <security@mail.instagram.com>\r\nTo: brand@acme.test\r\nSubject: 481 920 is your Instagram code\r\nMessage-ID: <abc-1@mail.instagram.com>\r\n\r\nHi brand,\r\nSomeone tried to log in. Use 481920 to confirm it's you.\r\n.\r\n";
        smtp.say(msg, &["250"]).await;
        // The same Message-ID again is stored once.
        smtp.say(
            format!("MAIL FROM:<security@mail.instagram.com>\r\nRCPT TO:<{address}>\r\nDATA\r\n"),
            &["250", "250", "354"],
        )
        .await;
        smtp.say(msg, &["250"]).await;
        smtp.say("QUIT\r\n", &[]).await;
        let (s, inbox) = get(&c, &format!("{base}/inbox?account_id={id}"), &t).await;
        assert_eq!(s, 200, "{inbox}");
        let items = inbox.as_array().unwrap();
        assert_eq!(items.len(), 1, "{inbox}");
        assert_eq!(
            (items[0]["code"].as_str(), items[0]["channel"].as_str()),
            (Some("481920"), Some("email"))
        );
        assert_eq!(items[0]["sender"], "security@mail.instagram.com");
        assert!(items[0]["confirm_link"].is_null());
        // Unsigned mail claiming instagram.com: recorded and flagged.
        assert_eq!(
            (
                items[0]["auth"]["dkim"].as_str(),
                items[0]["auth"]["flagged"].as_bool()
            ),
            (Some("none"), Some(true)),
            "{inbox}"
        );
        // Message bodies are sealed at rest.
        if storage.database_url.is_none() {
            let bytes = std::fs::read(storage.data_dir.join("orthrus.db")).unwrap();
            let wal = std::fs::read(storage.data_dir.join("orthrus.db-wal")).unwrap_or_default();
            for hay in [bytes, wal] {
                assert!(
                    !hay.windows(6).any(|w| w == b"481920"),
                    "code in plaintext at rest"
                );
            }
        }
        assert!(server.stop().success());
    }
}
