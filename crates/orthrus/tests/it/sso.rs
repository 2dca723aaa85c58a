//! Single sign-on against a real OpenID provider (panva's oidc-provider;
//! the harness is `oidc_provider.rs`). Each test registers its own client
//! with the redirect URI of the server it starts. Most scenarios drive the
//! provider's pages with plain HTTP, which is quick; one test does it all
//! in headless Chromium.

use crate::oidc_provider::*;
use crate::support::*;
use serde_json::{Value, json};

/// Who may sign in: verified emails only, known people only (sign-up off),
/// not deactivated ones; the provider account is linked on first use and a
/// used answer cannot be replayed; roles follow the groups claim. ES256
/// ID tokens.
#[tokio::test]
async fn sign_in_rules_role_mapping_and_replay() {
    let provider = Provider::start();
    let dir = tempfile::tempdir().unwrap();
    let storage = sqlite_storage(dir.path());
    for (email, role) in [
        ("owner@acme.test", "owner"),
        ("kim@acme.test", "user"),
        ("ana@acme.test", "user"),
        ("gone@acme.test", "user"),
    ] {
        create_user_ok(&storage, email, role, "a-long-password-1");
    }
    let server = sso_server(
        &provider,
        &storage,
        dir.path(),
        "ES256",
        "role_claim = \"groups\"\n[sso.role_map]\n\"it-admins\" = \"admin\"\n\"staff\" = \"user\"\n",
    )
    .await;
    let c = http();
    let owner = login(&c, &server.url, "owner@acme.test", "a-long-password-1").await;
    let (_, info) = api(
        &c,
        reqwest::Method::GET,
        &format!("{}/api/v1/auth/sso", server.url),
        None,
        None,
    )
    .await;
    assert_eq!(
        info,
        json!({"enabled": true, "provider_name": "Acme ID", "sso_only": false})
    );
    let page = page_text(&c, &format!("{}/login", server.url), None).await;
    assert!(
        page.contains("Sign in with Acme ID") && page.contains("name=\"password\""),
        "{page}"
    );

    // A verified email that matches a user: signed in, and linked.
    let mut kim = Person::new();
    let at = kim.sign_in(&server.url, &provider.issuer, "kim").await;
    assert_eq!(at.url, format!("{}/", server.url), "{}", at.body);
    let (s, me) = kim.api_get(&format!("{}/api/v1/me", server.url)).await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(me["email"], "kim@acme.test");
    assert_eq!(me["role"], "user");
    let links = audit(&server, &owner, "user.sso_link").await;
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(audit(&server, &owner, "auth.sso_login").await.len(), 1);

    // Unverified email: refused, with the code on the sign-in page.
    let mut lee = Person::new();
    let at = lee
        .sign_in(&server.url, &provider.issuer, "unverified-kim")
        .await;
    assert_eq!(refusal(&at), "sso.email_unverified");
    assert_eq!(at.status, 403);
    assert!(at.body.contains("did not confirm this email address"));
    assert!(lee.cookie("orthrus_session").is_none());

    // Nobody with that email, and sign-up is off.
    let at = Person::new()
        .sign_in(&server.url, &provider.issuer, "stranger")
        .await;
    assert_eq!(refusal(&at), "sso.unknown_user");
    assert!(at.body.contains("stranger@acme.test"));

    // Roles from the groups claim: the highest mapped group wins.
    let mut ana = Person::new();
    let at = ana
        .sign_in(
            &server.url,
            &provider.issuer,
            "ana+staff+it-admins+unmapped",
        )
        .await;
    assert_eq!(at.status, 200, "{}", at.body);
    let (_, me) = ana.api_get(&format!("{}/api/v1/me", server.url)).await;
    assert_eq!(me["role"], "admin", "{me}");
    let changes = audit(&server, &owner, "user.role_change").await;
    assert!(
        changes
            .iter()
            .any(|e| e["detail"]["via"] == "sso" && e["detail"]["to"] == "admin"),
        "{changes:?}"
    );

    // A deactivated user is refused even though the provider vouches.
    let (_, users) = get(&c, &format!("{}/api/v1/users", server.url), &owner).await;
    let gone = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "gone@acme.test")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, step) = post(
        &c,
        &format!("{}/api/v1/auth/step-up", server.url),
        &owner,
        Some(json!({"password": "a-long-password-1"})),
    )
    .await;
    assert!(step["elevated_until"].is_string(), "{step}");
    let (s, v) = patch(
        &c,
        &format!("{}/api/v1/users/{gone}", server.url),
        &owner,
        Some(json!({"active": false})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let at = Person::new()
        .sign_in(&server.url, &provider.issuer, "gone")
        .await;
    assert_eq!(refusal(&at), "sso.user_deactivated");

    // The provider's answer is good once, in the browser that asked.
    let mut p = Person::new();
    let callback = p
        .through_provider_until(
            &provider.issuer,
            &format!("{}/sso/start", server.url),
            "kim",
            Some(&format!("{}/sso/callback", server.url)),
        )
        .await
        .url;
    assert!(callback.contains("/sso/callback?code="), "{callback}");
    // Another browser (no flow cookie) gets nothing, and uses it up.
    let mut thief = Person::new();
    let stolen = thief.go(reqwest::Method::GET, &callback, None).await;
    assert_eq!(refusal(&stolen), "sso.flow_expired");
    assert!(thief.cookie("orthrus_session").is_none());
    let late = p.go(reqwest::Method::GET, &callback, None).await;
    assert_eq!(refusal(&late), "sso.flow_expired");
    assert!(p.cookie("orthrus_session").is_none());

    // Refusals are in the audit log with their reason.
    let failures: Vec<String> = audit(&server, &owner, "auth.sso_login")
        .await
        .iter()
        .filter(|e| e["outcome"] == "failure")
        .filter_map(|e| e["detail"]["reason"].as_str().map(str::to_owned))
        .collect();
    for reason in ["email_unverified", "unknown_user", "user_deactivated"] {
        assert!(
            failures.iter().any(|r| r == reason),
            "{reason} in {failures:?}"
        );
    }
    assert!(audit_verify(&storage).status.success());
}

/// Sign-up on first sign-in with the default role; `sso_only` refuses
/// password sign-in except for the break-glass Owner; the CLI signs in
/// through the browser with a loopback redirect; step-up by a fresh
/// authentication, checked through auth_time, for the same person only.
#[tokio::test]
async fn sign_up_sso_only_break_glass_cli_and_step_up() {
    let provider = Provider::start();
    let dir = tempfile::tempdir().unwrap();
    let storage = sqlite_storage(dir.path());
    create_user_ok(&storage, "owner@acme.test", "owner", "a-long-password-1");
    create_user_ok(&storage, "admin@acme.test", "admin", "a-long-password-1");
    let server = sso_server(
        &provider,
        &storage,
        dir.path(),
        "RS256",
        "allow_signup = true\ndefault_role = \"user\"\nsso_only = true\nbreak_glass = [\"owner@acme.test\", \"admin@acme.test\"]\n",
    )
    .await;
    let c = http();

    // Password sign-in is off, but for the break-glass Owner.
    let password_login = |email: &'static str, password: &'static str| {
        let (c, url) = (c.clone(), format!("{}/api/v1/auth/login", server.url));
        async move {
            let body = json!({"email": email, "password": password});
            api(&c, reqwest::Method::POST, &url, None, Some(body)).await
        }
    };
    let (s, v) = password_login("someone@acme.test", "whatever-it-is").await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (403, Some("sso.password_disabled")),
        "{v}"
    );
    // Listed but not an Owner: refused too.
    let (s, v) = password_login("admin@acme.test", "a-long-password-1").await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (403, Some("sso.password_disabled")),
        "{v}"
    );
    let owner = login(&c, &server.url, "owner@acme.test", "a-long-password-1").await;
    // The page shows the provider's button; the form is behind a link.
    let page = page_text(&c, &format!("{}/login", server.url), None).await;
    assert!(
        page.contains("Sign in with Acme ID") && !page.contains("name=\"password\""),
        "{page}"
    );
    assert!(page.contains("/login?password=1"));
    let page = page_text(&c, &format!("{}/login?password=1", server.url), None).await;
    assert!(page.contains("name=\"password\""));
    // The form says the refusal too; the break-glass Owner gets in by it.
    let form = |email: &str| {
        vec![
            ("email".to_owned(), email.to_owned()),
            ("password".to_owned(), "a-long-password-1".to_owned()),
        ]
    };
    let refused = Person::new()
        .go(
            reqwest::Method::POST,
            &format!("{}/login", server.url),
            Some(form("admin@acme.test")),
        )
        .await;
    assert_eq!(refusal(&refused), "sso.password_disabled");
    assert_eq!(refused.status, 403);
    let mut boss = Person::new();
    let inside = boss
        .go(
            reqwest::Method::POST,
            &format!("{}/login", server.url),
            Some(form("owner@acme.test")),
        )
        .await;
    assert_eq!(inside.url, format!("{}/", server.url), "{}", inside.body);
    assert!(boss.cookie("orthrus_session").is_some());

    // First sign-in creates the user with the default role.
    let mut neo = Person::new();
    let at = neo.sign_in(&server.url, &provider.issuer, "neo").await;
    assert_eq!(at.status, 200, "{}", at.body);
    let (_, me) = neo.api_get(&format!("{}/api/v1/me", server.url)).await;
    assert_eq!(
        (me["email"].as_str(), me["role"].as_str()),
        (Some("neo@acme.test"), Some("user")),
        "{me}"
    );
    let created = audit(&server, &owner, "user.create").await;
    assert!(
        created.iter().any(|e| e["detail"]["via"] == "sso"),
        "{created:?}"
    );
    // Unverified emails are not signed up either.
    let at = Person::new()
        .sign_in(&server.url, &provider.issuer, "unverified-zed")
        .await;
    assert_eq!(refusal(&at), "sso.email_unverified");

    // Step-up: a fresh authentication at the provider elevates the session.
    assert!(me["elevated_until"].is_null());
    // The dialog's button: a link back to the page it was on, carrying the
    // session's CSRF token.
    let button = body_text(
        neo.http
            .get(format!("{}/ui/step-up/sso", server.url))
            .header(reqwest::header::COOKIE, neo.cookie_header())
            .header("hx-current-url", format!("{}/security", server.url)),
    )
    .await;
    assert!(button.contains("Verify with Acme ID"), "{button}");
    let link = format!(
        "{}{}",
        server.url,
        between(&button, "href=\"", "\"").unwrap()
    );
    assert!(link.contains("return=%2Fsecurity"), "{link}");
    // Without the token (a link from another site), nothing starts.
    let forged = neo
        .go(
            reqwest::Method::GET,
            &format!("{}/sso/step-up?return=%2F", server.url),
            None,
        )
        .await;
    assert_eq!(forged.status, 400, "{}", forged.body);
    let to_provider = neo
        .go_until(reqwest::Method::GET, &link, None, Some(&provider.issuer))
        .await
        .url;
    assert!(
        to_provider.contains("prompt=login") && to_provider.contains("max_age=0"),
        "{to_provider}"
    );
    let back = neo
        .through_provider(&provider.issuer, &to_provider, "neo")
        .await;
    assert_eq!(
        back.url,
        format!("{}/security", server.url),
        "{}",
        back.body
    );
    let (_, me) = neo.api_get(&format!("{}/api/v1/me", server.url)).await;
    assert!(me["elevated_until"].is_string(), "{me}");
    let steps = audit(&server, &owner, "auth.step_up").await;
    let by_sso: Vec<&Value> = steps
        .iter()
        .filter(|e| e["detail"]["method"] == "sso")
        .collect();
    assert_eq!(by_sso.len(), 1, "{steps:?}");
    assert!(by_sso[0]["detail"]["auth_time"].as_i64().unwrap() > 1_700_000_000);

    // Someone else at the provider cannot confirm neo's identity.
    let to_provider = neo
        .go_until(reqwest::Method::GET, &link, None, Some(&provider.issuer))
        .await
        .url;
    let back = neo
        .through_provider(&provider.issuer, &to_provider, "trinity")
        .await;
    assert_eq!(back.status, 403, "{}", back.body);
    assert!(back.body.contains("as someone else"), "{}", back.body);

    // The CLI: a loopback redirect, a one-time code, its own PKCE.
    let cfg = dir.path().join("cli/cli.json");
    let (cli, link) = sso_cli_login(&server.url, &cfg);
    assert!(link.starts_with(&provider.issuer), "{link}");
    let mut person = Person::new();
    let back = person
        .through_provider(&provider.issuer, &link, "neo")
        .await;
    assert!(
        back.url.starts_with("http://127.0.0.1:") && back.url.contains("/callback?code="),
        "{}",
        back.url
    );
    assert!(
        back.body.contains("You are signed in to Orthrus"),
        "{}",
        back.body
    );
    let out = cli.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("as neo@acme.test"), "{stdout}");
    let token = stored_token(&cfg).unwrap();
    let token = token.as_str();
    let (s, me) = get(&c, &format!("{}/api/v1/me", server.url), token).await;
    assert_eq!((s, me["email"].as_str()), (200, Some("neo@acme.test")));
    // The code was good once.
    let code = back
        .url
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let (s, v) = api(
        &c,
        reqwest::Method::POST,
        &format!("{}/api/v1/auth/sso/token", server.url),
        None,
        Some(json!({"code": code, "code_verifier": "a".repeat(43)})),
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (400, Some("sso.invalid_code")),
        "{v}"
    );
    // Only loopback addresses get codes.
    let (s, v) = api(&c, reqwest::Method::POST, &format!("{}/api/v1/auth/sso/start", server.url), None, Some(json!({"redirect_uri": "http://example.test:8000/cb", "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}))).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (400, Some("sso.invalid_redirect")),
        "{v}"
    );
    assert!(audit_verify(&storage).status.success());
    // The client secret is never in the logs.
    let secret = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
        .find_map(|t| between(&t, "client_secret = \"", "\""))
        .unwrap();
    assert!(!server.logs().contains(&secret));
}

/// In headless Chromium: "Sign in with Acme ID" on the sign-in page, the
/// provider's own login and consent pages, back signed in; revealing a
/// password asks for the identity check, "Verify with Acme ID" sends the
/// person to sign in at the provider again, and the reveal then works;
/// an unverified email is refused on the sign-in page.
#[tokio::test]
async fn sign_in_and_step_up_in_chromium() {
    use crate::support::chromium::*;
    use thirtyfour::prelude::*;
    let provider = Provider::start();
    let dir = tempfile::tempdir().unwrap();
    let storage = sqlite_storage(dir.path());
    create_user_ok(&storage, "owner@acme.test", "owner", "a-long-password-1");
    let server = sso_server(&provider, &storage, dir.path(), "RS256", "").await;
    let c = http();
    let t = login(&c, &server.url, "owner@acme.test", "a-long-password-1").await;
    let base = format!("{}/api/v1", server.url);
    let id = add_account(
        &c,
        &base,
        &t,
        "instagram",
        "Brand Instagram",
        "Sso-Guarded-9",
    )
    .await;

    let chromium = Chromium::start().await;
    let b = &chromium.b;
    let at_provider = |b: WebDriver, login: &'static str| async move {
        wait_for(&b, By::Name("login"))
            .await?
            .send_keys(login)
            .await?;
        fill(&b, By::Name("password"), "any password").await?;
        click(&b, By::Css("button[type=submit]")).await
    };
    let result = async {
        b.goto(&format!("{}/login", server.url)).await?;
        b.find(By::Id("sso-sign-in")).await?.click().await?;
        at_provider(b.clone(), "owner").await?;
        // The provider's consent page, the first time.
        wait_and_click(b, By::XPath("//button[text()='Continue']")).await?;
        wait_for(b, By::XPath("//h1[text()='Your accounts']")).await?;

        // Revealing asks for the identity check; the provider answers it.
        b.goto(&format!("{}/accounts/{id}", server.url)).await?;
        click(b, By::Id("reveal-password")).await?;
        wait_and_click(b, By::Id("step-up-sso")).await?;
        // prompt=login: the provider asks again although signed in there.
        at_provider(b.clone(), "owner").await?;
        wait_for(b, By::XPath("//*[contains(text(), 'Identity confirmed')]")).await?;
        assert_eq!(
            b.current_url().await?.path(),
            format!("/accounts/{id}"),
            "back on the page that asked"
        );
        b.find(By::Id("reveal-password")).await?.click().await?;
        let shown = b.query(By::Id("password-value")).first().await?;
        assert_eq!(shown.text().await?, "Sso-Guarded-9");

        // Someone whose email the provider has not verified is refused,
        // said on the sign-in page.
        b.delete_all_cookies().await?;
        b.goto(&format!("{}/login", server.url)).await?;
        b.find(By::Id("sso-sign-in")).await?.click().await?;
        at_provider(b.clone(), "unverified-owner").await?;
        wait_and_click(b, By::XPath("//button[text()='Continue']")).await?;
        let alert = text_of(b, By::Css(".alert[data-error-code='sso.email_unverified']")).await?;
        assert!(alert.contains("did not confirm this email address"));
        WebDriverResult::Ok(())
    }
    .await;
    chromium.finish(result, || server.logs()).await;
    let steps = audit(&server, &t, "auth.step_up").await;
    assert!(
        steps
            .iter()
            .any(|e| e["detail"]["method"] == "sso" && e["outcome"] == "success"),
        "{steps:?}"
    );
    // One reveal refused (identity check needed), then one done.
    let reveals = audit(&server, &t, "account.password_reveal").await;
    let outcomes: Vec<&str> = reveals
        .iter()
        .filter_map(|e| e["outcome"].as_str())
        .collect();
    assert_eq!(outcomes, ["success", "denied"], "{reveals:?}");
}
