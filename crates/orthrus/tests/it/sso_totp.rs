//! A user with their own Orthrus TOTP signs in through a real provider
//! (panva's oidc-provider): the browser is asked for the code on
//! `/sso/totp` before any session, and `orthrus login --sso` asks for it on
//! standard input when the exchange says `auth.totp_required`. Recovery
//! codes stand in for TOTP codes here: the server runs on the real clock,
//! and a step's code works once.

use crate::oidc_provider::*;
use crate::support::*;
use reqwest::Method;
use std::io::Write;

/// Turns on `token`'s user's TOTP; returns their recovery codes.
async fn enroll(c: &reqwest::Client, server: &str, token: &str) -> Vec<String> {
    own_totp_on(c, &format!("{server}/api/v1"), token).await.1
}

#[tokio::test]
async fn the_users_own_totp_is_asked_for_after_the_provider() {
    let provider = Provider::start();
    let dir = tempfile::tempdir().unwrap();
    let storage = sqlite_storage(dir.path());
    create_user_ok(&storage, "kim@acme.test", "owner", "a-long-password-1");
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
    let (mut cli, link) = sso_cli_login(&server.url, &cfg);
    let mut person = Person::new();
    let back = person
        .through_provider(&provider.issuer, &link, "kim")
        .await;
    assert!(back.url.contains("/callback?code="), "{}", back.url);
    writeln!(cli.stdin.take().unwrap(), "{}", recovery[1]).unwrap();
    let out = cli.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("as kim@acme.test"), "{stdout}");
    let token = stored_token(&cfg);
    let (s, me) = api(
        &c,
        Method::GET,
        &format!("{}/api/v1/me", server.url),
        token.as_deref(),
        None,
    )
    .await;
    assert_eq!((s, me["email"].as_str()), (200, Some("kim@acme.test")));
}
