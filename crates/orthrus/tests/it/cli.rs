//! The command-line client against a running server.

use crate::support::*;
use std::process::Command;

#[tokio::test]
async fn login_list_add_show_and_password() {
    let dir = tempfile::tempdir().unwrap();
    let storage = owner_storage(dir.path());
    let server = Server::start(&storage, "info");
    let cfg = dir.path().join("cli/cli.json");

    let (ok, _, err) = cli(&cfg, &["accounts", "list"], "");
    assert!(!ok && err.contains("not signed in"), "{err}");
    let login_with = |password: &str| {
        cli(
            &cfg,
            &[
                "login",
                "--server",
                &server.url,
                "--email",
                "owner@acme.test",
            ],
            password,
        )
    };
    let (ok, _, err) = login_with("wrong-password\n");
    assert!(!ok && err.contains("auth.invalid_credentials"), "{err}");
    let (ok, out, err) = login_with("owner-password-1\n");
    assert!(ok, "{err}");
    assert!(out.contains("Signed in"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&cfg).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    let (ok, out, _) = cli(&cfg, &["accounts", "list"], "");
    assert!(ok && out.contains("No accounts yet"));
    let (ok, out, err) = cli_add_account(
        &cfg,
        "instagram",
        "Brand IG",
        &["--username", "brand", "--json"],
        "cli-secret-pw\n",
    );
    assert!(ok, "{err}");
    let added: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(added["label"], "Brand IG");
    let (ok, out, _) = cli_add_account(&cfg, "tiktok", "Ads", &["--generate"], "");
    assert!(ok && out.contains("Added Ads"));
    let (ok, out, _) = cli(&cfg, &["accounts", "list", "--json"], "");
    assert!(ok);
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    let (ok, out, _) = cli(&cfg, &["accounts", "show", "brand ig"], "");
    assert!(
        ok && out.contains("username:  brand") && out.contains("owner@acme.test (owner)"),
        "{out}"
    );
    let (ok, _, err) = cli(&cfg, &["accounts", "show", "Nope"], "");
    assert!(!ok && err.contains("no account of yours"));

    // The password needs the identity check, answered on stdin.
    let (ok, _, err) = cli(&cfg, &["password", "Brand IG"], "not-my-password\n");
    assert!(!ok && err.contains("auth.invalid_credentials"), "{err}");
    let (ok, out, err) = cli(&cfg, &["password", "Brand IG"], "owner-password-1\n");
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "cli-secret-pw");
    let (ok, out, _) = cli(&cfg, &["password", "Brand IG", "--copy"], "");
    assert!(ok);
    assert!(
        out.starts_with("\x1b]52;c;") && !out.contains("cli-secret-pw"),
        "OSC 52, base64 encoded"
    );
    let (ok, out, _) = cli(
        &cfg,
        &["password", added["id"].as_str().unwrap(), "--json"],
        "",
    );
    assert!(ok);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out).unwrap()["password"],
        "cli-secret-pw"
    );

    let (ok, _, _) = cli(&cfg, &["logout"], "");
    assert!(ok && !cfg.exists());
    let (ok, _, err) = cli(&cfg, &["login", "--server", "ftp://x"], "");
    assert!(!ok && err.contains("http://"));
    assert!(server.stop().success());
}

fn codes_now(secret: &str) -> Vec<String> {
    codes_near_now(secret, &[0, 1])
}

#[tokio::test]
async fn mfa_set_code_import_and_export() {
    let dir = tempfile::tempdir().unwrap();
    let storage = owner_storage(dir.path());
    let server = Server::start(&storage, "info");
    let cfg = dir.path().join("cli.json");
    let session = CliSession::owner(cfg.clone(), &server.url);
    assert!(
        session
            .add_account(
                "instagram",
                "Brand IG",
                &["--username", "social@acme.example"],
                "pw-1\n"
            )
            .0
    );

    let (ok, _, err) = session.run(&["code", "Brand IG"], "");
    assert!(!ok && err.contains("otp.not_enrolled"), "{err}");
    // Set the key: the identity check, then Enter to confirm.
    let (ok, out, err) = session.run(
        &["mfa", "set", "Brand IG", "--secret", "jbsw y3dp ehpk 3pxp"],
        "owner-password-1\n\n",
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("Type this code into the app") && out.contains("Done"),
        "{out}"
    );
    let (ok, out, _) = session.run(&["code", "Brand IG"], "");
    assert!(ok);
    assert!(
        codes_now("JBSWY3DPEHPK3PXP").contains(&out.trim().to_owned()),
        "{out}"
    );
    let (ok, out, _) = session.run(&["code", "Brand IG", "--wait", "--json"], "");
    assert!(ok);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        v["seconds_remaining"].as_i64().unwrap() >= 5,
        "--wait never hands out a code about to expire: {v}"
    );
    let (ok, out, _) = session.run(&["code", "Brand IG", "--copy"], "");
    assert!(ok && out.starts_with("\x1b]52;c;"));

    // Re-seed from an otpauth link, then from a QR code screenshot; each
    // replaces the key only once confirmed.
    let (ok, out, err) = session.run(
        &[
            "mfa",
            "set",
            "Brand IG",
            "--uri",
            "otpauth://totp/Instagram:social?secret=KRUGS4ZANFZSAYJAORSXG5A&issuer=Instagram",
            "--yes",
        ],
        "",
    );
    assert!(ok, "{err}");
    assert!(out.contains("Done"));
    assert!(
        codes_now("KRUGS4ZANFZSAYJAORSXG5A")
            .contains(&session.run(&["code", "Brand IG"], "").1.trim().to_owned())
    );
    let png = dir.path().join("qr.png");
    std::fs::write(
        &png,
        qr_png("otpauth://totp/Instagram:social?secret=JBSWY3DPEHPK3PXP&issuer=Instagram"),
    )
    .unwrap();
    let (ok, out, err) = session.run(
        &[
            "mfa",
            "set",
            "Brand IG",
            "--qr",
            png.to_str().unwrap(),
            "--json",
        ],
        "",
    );
    assert!(ok, "{err}");
    let pending: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (
            pending["state"].as_str(),
            pending["meta"]["source"].as_str()
        ),
        (Some("pending"), Some("qr"))
    );
    assert!(
        codes_now("KRUGS4ZANFZSAYJAORSXG5A")
            .contains(&session.run(&["code", "Brand IG"], "").1.trim().to_owned()),
        "pending: the old key still works"
    );
    assert!(session.run(&["mfa", "confirm", "Brand IG"], "").0);
    assert!(
        codes_now("JBSWY3DPEHPK3PXP")
            .contains(&session.run(&["code", "Brand IG"], "").1.trim().to_owned())
    );
    let (ok, _, err) = session.run(&["mfa", "set", "Brand IG", "--secret", "not base32!"], "");
    assert!(!ok && err.contains("otp.invalid_secret"), "{err}");

    // Import: a preview, then the real thing (step-up is still fresh).
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../orthrus-otp/tests/fixtures/aegis_plain.json");
    let fixture = fixture.to_str().unwrap();
    let (ok, out, err) = session.run(&["mfa", "import", fixture, "--dry-run"], "");
    assert!(ok, "{err}");
    assert!(
        out.contains("preview") && out.contains("skip") && out.contains("Brand IG"),
        "{out}"
    );
    let (ok, out, _) = session.run(&["accounts", "list", "--json"], "");
    assert!(ok);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        1,
        "a preview writes nothing"
    );
    let (ok, out, err) = session.run(&["mfa", "import", fixture], "");
    assert!(ok, "{err}");
    assert!(out.contains("new accounts"), "{out}");

    // Export as an age file, readable only by its owner.
    let export = dir.path().join("seeds.age");
    let (ok, out, err) = session.run(
        &["mfa", "export", "--out", export.to_str().unwrap()],
        "a long export passphrase\n",
    );
    assert!(ok, "{err}");
    assert!(out.contains("Exported"));
    let bytes = std::fs::read(&export).unwrap();
    let list =
        String::from_utf8(orthrus_app::age_decrypt(&bytes, "a long export passphrase").unwrap())
            .unwrap();
    assert!(list.contains("secret=JBSWY3DPEHPK3PXP"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&export).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    assert!(server.stop().success());
}

/// A PNG with a QR code of `text` on a white margin.
fn qr_png(text: &str) -> Vec<u8> {
    let code = qrcode::QrCode::new(text.as_bytes()).unwrap();
    let n = code.width() as u32;
    let px = 6;
    let side = (n + 8) * px;
    let mut img = image::GrayImage::from_pixel(side, side, image::Luma([255]));
    for (i, c) in code.to_colors().iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let (mx, my) = (i as u32 % n, i as u32 / n);
            for dy in 0..px {
                for dx in 0..px {
                    img.put_pixel((mx + 4) * px + dx, (my + 4) * px + dy, image::Luma([0]));
                }
            }
        }
    }
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn approve_a_step_up_request_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let storage = owner_storage(dir.path());
    let server = Server::start(&storage, "info");
    let session = CliSession::owner(dir.path().join("cli.json"), &server.url);
    let (ok, out, _) = session.run(&["approve"], "");
    assert!(ok && out.contains("No device is waiting"));
    // Another device asks.
    let c = http();
    let t = login(&c, &server.url, "owner@acme.test", "owner-password-1").await;
    let (_, req) = post(
        &c,
        &format!("{}/api/v1/auth/step-up/device", server.url),
        &t,
        None,
    )
    .await;
    let number = req["number"].as_str().unwrap().to_owned();
    let (ok, out, err) = session.run(&["approve"], &format!("{number}\n"));
    assert!(ok, "{err}");
    assert!(out.contains("Approved"), "{out}");
    let (_, st) = api(
        &c,
        reqwest::Method::GET,
        &format!(
            "{}/api/v1/auth/step-up/device/{}",
            server.url,
            req["id"].as_str().unwrap()
        ),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(st["status"], "approved");
    // A browser asking for the check says what for; the prompt repeats it.
    let (_, acct) = post(
        &c,
        &format!("{}/api/v1/accounts", server.url),
        &t,
        Some(serde_json::json!({"app": "instagram", "label": "Brand IG", "password": "ig-pw"})),
    )
    .await;
    let r = c
        .post(format!("{}/login", server.url))
        .form(&[
            ("email", "owner@acme.test"),
            ("password", "owner-password-1"),
        ])
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let page = body_text(
        c.get(format!("{}/security", server.url))
            .header("cookie", &cookie),
    )
    .await;
    let i = page.find("name=\"_csrf\" value=\"").unwrap() + 20;
    let csrf = page[i..].split('"').next().unwrap().to_owned();
    let r = c
        .post(format!(
            "{}/ui/step-up/device?then=reveal:{}",
            server.url,
            acct["id"].as_str().unwrap()
        ))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .header("hx-request", "true")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let (ok, out, err) = session.run(&["approve"], "deny\n");
    assert!(ok, "{err}");
    assert!(
        out.contains("asks to confirm it is you, to reveal the password of Brand IG."),
        "{out}"
    );
    assert!(server.stop().success());
}

#[tokio::test]
async fn inbox_wait_prints_the_code_of_the_next_message() {
    let dir = tempfile::tempdir().unwrap();
    let storage = owner_storage(dir.path());
    // TikTok's DKIM key and DMARC policy, pinned in the server's
    // configuration (no DNS here): TikTok's real mail verifies, a forgery
    // does not.
    use base64::Engine;
    use mail_auth::common::crypto::Ed25519Key;
    use mail_auth::common::headers::HeaderWriter;
    let pkcs8 = Ed25519Key::generate_pkcs8().unwrap();
    let public = base64::engine::general_purpose::STANDARD
        .encode(Ed25519Key::from_pkcs8_der(&pkcs8).unwrap().public_key());
    let server_cfg = dir.path().join("orthrus.toml");
    std::fs::write(
        &server_cfg,
        format!(
            "[[smtp.dns_records]]\nname = \"t1._domainkey.tiktok.com\"\nvalue = \"v=DKIM1; k=ed25519; p={public}\"\n\n[[smtp.dns_records]]\nname = \"_dmarc.tiktok.com\"\nvalue = \"v=DMARC1; p=reject\"\n"
        ),
    )
    .unwrap();
    let server = Server::start_with(
        &storage,
        "info",
        &[
            "--http",
            "127.0.0.1:0",
            "--config",
            server_cfg.to_str().unwrap(),
        ],
    );
    let cfg = dir.path().join("cli/cli.json");
    let session = CliSession::owner(cfg.clone(), &server.url);
    let (c, base, t) = owner_session(&server).await;
    let id = add_account(&c, &base, &t, "tiktok", "TikTok Ads", "p").await;
    let (_, m) = post(&c, &format!("{base}/accounts/{id}/managed-email"), &t, None).await;
    let address = m["address"].as_str().unwrap().to_owned();

    // Nothing arrives: exit status 2 and a plain sentence.
    let out = Command::new(bin())
        .args(["inbox", "wait", "TikTok Ads", "--timeout", "1"])
        .env("ORTHRUS_CLI_CONFIG", &cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Nothing arrived for TikTok Ads"));
    // Bad input is refused before anything is sent.
    let (ok, _, err) = session.run(&["inbox", "wait", "TikTok Ads", "--timeout", "0"], "");
    assert!(!ok && err.contains("timeout"), "{err}");
    let (ok, _, err) = session.run(&["inbox", "wait", "Nobody", "--timeout", "1"], "");
    assert!(!ok && err.contains("no account of yours"), "{err}");

    // Waiting from just before the message is sent: the code is printed.
    use orthrus_core::Clock;
    let since = orthrus_core::SystemClock
        .now()
        .plus_seconds(-1)
        .to_rfc3339();
    let waiter = {
        let session = session.clone();
        std::thread::spawn(move || {
            session.run(
                &[
                    "inbox",
                    "wait",
                    "TikTok Ads",
                    "--timeout",
                    "60",
                    "--since",
                    &since,
                ],
                "",
            )
        })
    };
    let mut smtp = Smtp::connect(&server.smtp.clone().unwrap()).await;
    smtp.say("EHLO tiktok.com\r\n", &["250"]).await;
    // First a forgery (unsigned, "from" tiktok.com): stored, flagged, and
    // skipped by the waiter. Then TikTok's signed message.
    let forged = "From: TikTok <no-reply@tiktok.com>\r\nSubject: Verification code\r\nMessage-ID: <cli-forged@tiktok.com>\r\n\r\n[TikTok] 111 222 is your verification code, valid for 5 minutes.\r\n";
    let genuine = "From: TikTok <no-reply@tiktok.com>\r\nSubject: Verification code\r\nMessage-ID: <cli-wait@tiktok.com>\r\n\r\n[TikTok] 730 114 is your verification code, valid for 5 minutes.\r\n";
    let signature =
        mail_auth::dkim::DkimSigner::from_key(Ed25519Key::from_pkcs8_der(&pkcs8).unwrap())
            .domain("tiktok.com")
            .selector("t1")
            .headers(["From", "Subject", "Message-ID"])
            .sign(genuine.as_bytes())
            .unwrap()
            .to_header();
    for body in [forged.to_owned(), format!("{signature}{genuine}")] {
        smtp.say(
            format!("MAIL FROM:<no-reply@tiktok.com>\r\nRCPT TO:<{address}>\r\nDATA\r\n"),
            &["250", "250", "354"],
        )
        .await;
        smtp.say(format!("{body}.\r\n"), &["250"]).await;
    }
    let (ok, out, err) = waiter.join().unwrap();
    assert!(ok, "{err}");
    assert_eq!(out, "730114\n", "the forged code must not be handed out");
    let (_, inbox) = get(&c, &format!("{base}/inbox?account_id={id}"), &t).await;
    let verdicts: Vec<(String, bool)> = inbox
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["code"].as_str().unwrap().to_owned(),
                m["auth"]["flagged"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        vec![("730114".to_owned(), false), ("111222".to_owned(), true)]
    );
    assert!(server.stop().success());
}

/// Operators' recipes (issue 13): `orthrus recipe check` says what a file
/// holds or where it is broken, and a broken file in `automation.recipes_dir`
/// stops the server's start with the same words.
#[test]
fn recipes_are_checked_and_a_broken_one_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let recipes = dir.path().join("recipes");
    std::fs::create_dir(&recipes).unwrap();
    let good = include_str!("../../../orthrus-automation/recipes/sandbox.toml").replacen(
        "app = \"sandbox\"",
        "app = \"acme\"",
        1,
    );
    let good_path = recipes.join("acme.toml");
    std::fs::write(&good_path, good).unwrap();
    let out = Command::new(bin())
        .args(["recipe", "check"])
        .arg(&good_path)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("\"acme\"") && said.contains("login"),
        "{said}"
    );

    let bad_path = recipes.join("broken.toml");
    std::fs::write(&bad_path, "app = \"x\"\n[flows.login]\nsteps = 3\n").unwrap();
    let out = Command::new(bin())
        .args(["recipe", "check"])
        .arg(&bad_path)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("broken.toml:"), "{err}");

    let out = Command::new(bin())
        .args([
            "serve",
            "--http",
            "127.0.0.1:0",
            "--smtp",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(dir.path().join("d"))
        .env("ORTHRUS_AUTOMATION_RECIPES_DIR", &recipes)
        .env("ORTHRUS_MASTER_KEY", master_key())
        .env_remove("ORTHRUS_CONFIG")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("a recipe is broken") && err.contains("broken.toml:"),
        "{err}"
    );
}
