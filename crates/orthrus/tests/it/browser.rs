//! Browser tests in headless Chromium through chromedriver: first-run setup,
//! sign in, add an account, reveal its password behind the identity check;
//! enrolling an authenticator that another member then sees. Passkeys are
//! in `passkeys.rs`, the live inbox page in `inbox_page.rs`; the browser
//! itself in `support/chromium.rs`.

use crate::support::chromium::{Chromium, sign_in};
use crate::support::*;
use thirtyfour::prelude::*;

#[tokio::test]
async fn setup_sign_in_add_account_and_reveal_in_chromium() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage {
        data_dir: dir.path().join("d"),
        database_url: None,
    };
    let server = Server::start(&storage, "info");
    let setup = server.setup_url.clone().unwrap();
    let chromium = Chromium::start().await;
    let b = &chromium.b;
    let result = async {
        // First-run setup.
        b.goto(&setup).await?;
        b.find(By::Name("workspace"))
            .await?
            .send_keys("Acme Marketing")
            .await?;
        b.find(By::Name("name"))
            .await?
            .send_keys("Olivia Owner")
            .await?;
        b.find(By::Name("email"))
            .await?
            .send_keys("owner@acme.test")
            .await?;
        b.find(By::Name("password"))
            .await?
            .send_keys("owner-password-1")
            .await?;
        b.find(By::Css("button[type=submit]"))
            .await?
            .click()
            .await?;
        // The workspace is ready: the page asks for the master key's
        // backup first.
        b.find(By::XPath("//h2[text()='Back up the master key now']"))
            .await?;
        b.find(By::XPath("//a[text()='Go to your accounts']"))
            .await?
            .click()
            .await?;
        b.query(By::XPath("//h1[text()='Your accounts']"))
            .first()
            .await?;
        // Sign out and in again through the sign-in page.
        b.find(By::XPath("//button[text()='Sign out']"))
            .await?
            .click()
            .await?;
        b.query(By::XPath("//h1[text()='Sign in']")).first().await?;
        b.find(By::Name("email"))
            .await?
            .send_keys("owner@acme.test")
            .await?;
        b.find(By::Name("password"))
            .await?
            .send_keys("owner-password-1")
            .await?;
        b.find(By::Css("button[type=submit]"))
            .await?
            .click()
            .await?;
        // Add an account.
        b.query(By::LinkText("Add account"))
            .first()
            .await?
            .click()
            .await?;
        b.query(By::Name("label"))
            .first()
            .await?
            .send_keys("Brand Instagram")
            .await?;
        b.find(By::Name("login_url"))
            .await?
            .send_keys("https://www.instagram.com/accounts/login/")
            .await?;
        b.find(By::Name("username"))
            .await?
            .send_keys("acme.brand")
            .await?;
        b.find(By::Name("password"))
            .await?
            .send_keys("Browser-Secret-42")
            .await?;
        b.find(By::XPath("//button[text()='Save account']"))
            .await?
            .click()
            .await?;
        b.query(By::XPath("//h1[text()='Brand Instagram']"))
            .first()
            .await?;
        let page = b.source().await?;
        assert!(
            !page.contains("Browser-Secret-42"),
            "the password is not in the page before reveal"
        );
        // Reveal: the identity check appears, then the password.
        b.find(By::Id("reveal-password")).await?.click().await?;
        b.query(By::XPath("//h3[text()='Confirm your identity']"))
            .first()
            .await?;
        b.find(By::Css(".dialog input[name=password]"))
            .await?
            .send_keys("owner-password-1")
            .await?;
        b.find(By::XPath("//button[text()='Confirm']"))
            .await?
            .click()
            .await?;
        let shown = b.query(By::Id("password-value")).first().await?;
        assert_eq!(shown.text().await?, "Browser-Secret-42");
        let png = b.screenshot_as_png().await?;
        assert!(png.len() > 1000);
        if let Ok(path) = std::env::var("ORTHRUS_SCREENSHOT") {
            std::fs::write(path, png).ok();
        }
        // The card list shows the account after going back.
        b.goto(&format!("{}/", server.url)).await?;
        b.query(By::XPath(
            "//div[@class='title' and text()='Brand Instagram']",
        ))
        .first()
        .await?;
        WebDriverResult::Ok(())
    }
    .await;
    chromium.finish(result, || server.logs()).await;
    // The reveal was audited.
    let c = http();
    let t = login(&c, &server.url, "owner@acme.test", "owner-password-1").await;
    let (_, ev) = api(
        &c,
        reqwest::Method::GET,
        &format!("{}/api/v1/audit?action=account.password_reveal", server.url),
        Some(&t),
        None,
    )
    .await;
    let outcomes: Vec<&str> = ev
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        vec!["success", "denied"],
        "the first click met the identity check"
    );
    assert!(server.stop().success());
}

/// The codes a TOTP seed gives around now (the page may roll over while we look).
fn codes_around_now(secret: &str) -> Vec<String> {
    let g = orthrus_otp::Generator::new(
        orthrus_otp::parse_secret(secret).unwrap(),
        orthrus_otp::OtpParams::default(),
    )
    .unwrap();
    let now =
        u64::try_from(orthrus_core::Clock::now(&orthrus_core::SystemClock).unix_seconds()).unwrap();
    let step = g.step(now);
    vec![
        g.code_at_step(step - 1),
        g.code_at_step(step),
        g.code_at_step(step + 1),
    ]
}

#[tokio::test]
async fn enrol_an_authenticator_verify_done_and_a_member_sees_the_code() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let (server, c, base, t) = owner_server(&sqlite_storage(dir.path())).await;
    let (_, acct) = api(&c, reqwest::Method::POST, &format!("{base}/accounts"), Some(&t), Some(serde_json::json!({"app": "instagram", "label": "Brand Instagram", "password": "ig-pw"}))).await;
    let id = acct["id"].as_str().unwrap().to_owned();
    let (_, intern) = api(&c, reqwest::Method::POST, &format!("{base}/users"), Some(&t), Some(serde_json::json!({"email": "intern@acme.test", "role": "user", "password": "intern-password-1", "name": "Ivy Intern"}))).await;
    api(
        &c,
        reqwest::Method::POST,
        &format!("{base}/accounts/{id}/members"),
        Some(&t),
        Some(serde_json::json!({"user_id": intern["id"], "role": "collaborator"})),
    )
    .await;

    let secret = "JBSWY3DPEHPK3PXP";
    let chromium = Chromium::start().await;
    let b = &chromium.b;
    let result = async {
        sign_in(b, &server.url, "owner@acme.test", "owner-password-1").await?;
        b.goto(&format!("{}/accounts/{id}", server.url)).await?;
        b.query(By::Id("mfa-start")).first().await?.click().await?;
        // Changing MFA asks for the identity check first.
        b.query(By::XPath("//h3[text()='Confirm your identity']"))
            .first()
            .await?;
        b.find(By::Css(".dialog input[name=password]"))
            .await?
            .send_keys("owner-password-1")
            .await?;
        b.find(By::XPath("//button[text()='Confirm']"))
            .await?
            .click()
            .await?;
        // Paste the key the way the app shows it.
        b.query(By::Id("mfa-secret"))
            .first()
            .await?
            .send_keys("jbsw y3dp ehpk 3pxp")
            .await?;
        b.find(By::XPath("//button[text()='Use this key']"))
            .await?
            .click()
            .await?;
        let shown = b
            .query(By::Css("#pending-code .code"))
            .first()
            .await?
            .text()
            .await?;
        assert!(
            codes_around_now(secret).contains(&shown),
            "verify step shows {shown}"
        );
        b.find(By::Id("mfa-done")).await?.click().await?;
        b.query(By::XPath(
            "//*[contains(text(), 'The authenticator is on')]",
        ))
        .first()
        .await?;
        // The page's code row follows Done without a reload.
        let row_code = b
            .query(By::Css(format!("#code-{id} .code")))
            .first()
            .await?
            .text()
            .await?;
        assert!(
            codes_around_now(secret).contains(&row_code),
            "the code row shows {row_code}"
        );
        // Removing a member asks first (app.js under the CSP), and saying
        // no removes nobody.
        b.find(By::XPath(
            "//form[contains(@action, '/members/')]/button[text()='Remove']",
        ))
        .await?
        .click()
        .await?;
        let asked = b.get_alert_text().await?;
        assert!(
            asked.contains("Remove Ivy Intern") && asked.contains("Brand Instagram"),
            "{asked}"
        );
        b.dismiss_alert().await?;
        b.refresh().await?;
        b.query(By::XPath("//strong[text()='Ivy Intern']"))
            .first()
            .await?;
        // Another member sees the same code, live.
        b.find(By::XPath("//button[text()='Sign out']"))
            .await?
            .click()
            .await?;
        sign_in(b, &server.url, "intern@acme.test", "intern-password-1").await?;
        let card_code = b
            .query(By::Css(".code-tile.compact .code"))
            .first()
            .await?
            .text()
            .await?;
        assert!(
            codes_around_now(secret).contains(&card_code),
            "card shows {card_code}"
        );
        b.goto(&format!("{}/accounts/{id}", server.url)).await?;
        let code = b
            .query(By::Css(".code-tile .code"))
            .first()
            .await?
            .text()
            .await?;
        assert!(
            codes_around_now(secret).contains(&code),
            "account page shows {code}"
        );
        let html = b.source().await?;
        assert!(
            !html.contains("Set up authenticator") && !html.contains("Replace key"),
            "collaborators cannot change MFA"
        );
        if let Ok(path) = std::env::var("ORTHRUS_SCREENSHOT_MFA") {
            std::fs::write(path, b.screenshot_as_png().await?).ok();
        }
        WebDriverResult::Ok(())
    }
    .await;
    chromium.finish(result, || server.logs()).await;
    // The intern's views are in the ledger.
    let (_, ledger) = api(
        &c,
        reqwest::Method::GET,
        &format!("{base}/accounts/{id}/totp/ledger"),
        Some(&t),
        None,
    )
    .await;
    assert!(
        ledger
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["by"] == "intern@acme.test" && l["how"] == "view"),
        "{ledger}"
    );
    assert!(server.stop().success());
}
