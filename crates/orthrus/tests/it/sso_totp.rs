//! A user with their own Orthrus TOTP signs in through a real provider
//! (panva's oidc-provider): the browser is asked for the code on
//! `/sso/totp` before any session, and `orthrus login --sso` asks for it on
//! standard input when the exchange says `auth.totp_required`. Recovery
//! codes stand in for TOTP codes here: the server runs on the real clock,
//! and a step's code works once.

use crate::oidc_provider::*;
use crate::support::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

/// Turns on `token`'s user's TOTP; returns their recovery codes.
async fn enroll(c: &reqwest::Client, server: &str, token: &str) -> Vec<String> {
    let base = format!("{server}/api/v1");
    let (s, en) = api(
        c,
        Method::POST,
        &format!("{base}/me/2fa/totp"),
        Some(token),
        None,
    )
    .await;
    assert_eq!(s, 200, "{en}");
    let now =
        u64::try_from(orthrus_core::Clock::now(&orthrus_core::SystemClock).unix_seconds()).unwrap();
    let g = orthrus_otp::Generator::new(
        orthrus_otp::parse_secret(en["secret"].as_str().unwrap()).unwrap(),
        orthrus_otp::OtpParams::default(),
    )
    .unwrap();
    let (s, rc) = api(
        c,
        Method::POST,
        &format!("{base}/me/2fa/totp/confirm"),
        Some(token),
        Some(json!({"code": g.code(now)})),
    )
    .await;
    assert_eq!(s, 200, "{rc}");
    rc["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_users_own_totp_is_asked_for_after_the_provider() {
    let provider = Provider::start();
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage {
        data_dir: dir.path().join("d"),
        database_url: None,
    };
    assert!(
        create_user(&storage, "kim@acme.test", "owner", "a-long-password-1")
            .status
            .success()
    );
    let server = sso_server(&provider, &storage, dir.path(), "RS256", "").await;
    let c = http();
    let token = login(&c, &server.url, "kim@acme.test", "a-long-password-1").await;
    let recovery = enroll(&c, &server.url, &token).await;

    // The browser: the provider's sign-in leads to the code page, no session.
    let mut kim = Person::new();
    let at = kim.sign_in(&server.url, &provider.issuer, "kim").await;
    assert_eq!(at.url, format!("{}/sso/totp", server.url), "{}", at.body);
    assert!(at.body.contains("name=\"totp\""), "{}", at.body);
    assert!(kim.cookie("orthrus_sso_totp").is_some());
    let (s, _) = kim.api_get(&format!("{}/api/v1/me", server.url)).await;
    assert_eq!(s, 401);
    let code_page = format!("{}/sso/totp", server.url);
    let form = |code: &str| Some(vec![("totp".to_owned(), code.to_owned())]);
    let wrong = kim.go(Method::POST, &code_page, form("000000")).await;
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    assert_eq!(refusal(&wrong), "sso.invalid_totp");
    let done = kim.go(Method::POST, &code_page, form(&recovery[0])).await;
    assert_eq!(done.url, format!("{}/", server.url), "{}", done.body);
    let (s, me) = kim.api_get(&format!("{}/api/v1/me", server.url)).await;
    assert_eq!((s, me["email"].as_str()), (200, Some("kim@acme.test")));
    assert!(kim.cookie("orthrus_sso_totp").is_none());
    let bad = audit(&server, &token, "auth.sso_login").await;
    assert!(
        bad.iter()
            .any(|e| e["outcome"] == "failure" && e["detail"]["reason"] == "bad_code"),
        "{bad:?}"
    );

    // The CLI asks for the code on standard input.
    let cfg = dir.path().join("cli/cli.json");
    let mut cli = Command::new(bin())
        .args(["login", "--server", &server.url, "--sso"])
        .env("ORTHRUS_CLI_CONFIG", &cfg)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(cli.stderr.take().unwrap());
    let mut link = String::new();
    while !link.starts_with("http") {
        link.clear();
        assert!(
            err.read_line(&mut link).unwrap() > 0,
            "the CLI printed no link"
        );
    }
    let mut person = Person::new();
    let back = person
        .through_provider(&provider.issuer, link.trim(), "kim")
        .await;
    assert!(back.url.contains("/callback?code="), "{}", back.url);
    writeln!(cli.stdin.take().unwrap(), "{}", recovery[1]).unwrap();
    let out = cli.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("as kim@acme.test"), "{stdout}");
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(&cfg).unwrap()).unwrap();
    let (s, me) = api(
        &c,
        Method::GET,
        &format!("{}/api/v1/me", server.url),
        stored["token"].as_str(),
        None,
    )
    .await;
    assert_eq!((s, me["email"].as_str()), (200, Some("kim@acme.test")));
}
