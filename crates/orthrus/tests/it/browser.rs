//! Browser tests in headless Chromium through chromedriver: first-run setup,
//! sign in, add an account, reveal its password behind the identity check;
//! enrolling an authenticator that another member then sees. Passkeys are
//! in `passkeys.rs`, the live inbox page in `inbox_page.rs`; the browser
//! itself in `support/chromium.rs`.

use crate::support::chromium::*;
use crate::support::*;
use thirtyfour::prelude::*;

#[tokio::test]
async fn setup_sign_in_add_account_and_reveal_in_chromium() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let storage = sqlite_storage(dir.path());
    let server = Server::start(&storage, "info");
    let setup = server.setup_url.clone().unwrap();
    let chromium = Chromium::start().await;
    let b = &chromium.b;
    let result = async {
        // First-run setup.
        b.goto(&setup).await?;
        fill(b, By::Name("workspace"), "Acme Marketing").await?;
        fill(b, By::Name("name"), "Olivia Owner").await?;
        submit_credentials(b, "owner@acme.test", "owner-password-1").await?;
        // The workspace is ready: the page asks for the master key's
        // backup first.
        wait_for(b, By::XPath("//h2[text()='Back up the master key now']")).await?;
        click(b, By::XPath("//a[text()='Go to your accounts']")).await?;
        wait_for(b, By::XPath("//h1[text()='Your accounts']")).await?;
        // Sign out and in again through the sign-in page.
        sign_out(b).await?;
        wait_for(b, By::XPath("//h1[text()='Sign in']")).await?;
        submit_credentials(b, "owner@acme.test", "owner-password-1").await?;
        // Add an account.
        wait_and_click(b, By::LinkText("Add account")).await?;
        wait_for(b, By::Name("label"))
            .await?
            .send_keys("Brand Instagram")
            .await?;
        fill(
            b,
            By::Name("login_url"),
            "https://www.instagram.com/accounts/login/",
        )
        .await?;
        fill(b, By::Name("username"), "acme.brand").await?;
        fill(b, By::Name("password"), "Browser-Secret-42").await?;
        click_button(b, "Save account").await?;
        wait_for(b, By::XPath("//h1[text()='Brand Instagram']")).await?;
        let page = b.source().await?;
        assert!(
            !page.contains("Browser-Secret-42"),
            "the password is not in the page before reveal"
        );
        // Reveal: the identity check appears, then the password.
        click(b, By::Id("reveal-password")).await?;
        confirm_identity(b, "owner-password-1").await?;
        let shown = b.query(By::Id("password-value")).first().await?;
        assert_eq!(shown.text().await?, "Browser-Secret-42");
        let png = b.screenshot_as_png().await?;
        assert!(png.len() > 1000);
        if let Ok(path) = std::env::var("ORTHRUS_SCREENSHOT") {
            std::fs::write(path, png).ok();
        }
        // The card list shows the account after going back.
        b.goto(&format!("{}/", server.url)).await?;
        wait_for(
            b,
            By::XPath("//div[@class='title' and text()='Brand Instagram']"),
        )
        .await?;
        WebDriverResult::Ok(())
    }
    .await;
    chromium.finish(result, || server.logs()).await;
    // The reveal was audited.
    let c = http();
    let t = login(&c, &server.url, "owner@acme.test", "owner-password-1").await;
    let (_, ev) = get(
        &c,
        &format!("{}/api/v1/audit?action=account.password_reveal", server.url),
        &t,
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
    codes_near_now(secret, &[-1, 0, 1])
}

#[tokio::test]
async fn enrol_an_authenticator_verify_done_and_a_member_sees_the_code() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let (server, c, base, t) = owner_server(&sqlite_storage(dir.path())).await;
    let id = add_account(&c, &base, &t, "instagram", "Brand Instagram", "ig-pw").await;
    let (_, intern) = post(&c, &format!("{base}/users"), &t, Some(serde_json::json!({"email": "intern@acme.test", "role": "user", "password": "intern-password-1", "name": "Ivy Intern"}))).await;
    post(
        &c,
        &format!("{base}/accounts/{id}/members"),
        &t,
        Some(serde_json::json!({"user_id": intern["id"], "role": "collaborator"})),
    )
    .await;

    let secret = "JBSWY3DPEHPK3PXP";
    let chromium = Chromium::start().await;
    let b = &chromium.b;
    let result = async {
        sign_in(b, &server.url, "owner@acme.test", "owner-password-1").await?;
        b.goto(&format!("{}/accounts/{id}", server.url)).await?;
        wait_and_click(b, By::Id("mfa-start")).await?;
        // Changing MFA asks for the identity check first.
        confirm_identity(b, "owner-password-1").await?;
        // Paste the key the way the app shows it.
        wait_for(b, By::Id("mfa-secret"))
            .await?
            .send_keys("jbsw y3dp ehpk 3pxp")
            .await?;
        click_button(b, "Use this key").await?;
        let shown = text_of(b, By::Css("#pending-code .code")).await?;
        assert!(
            codes_around_now(secret).contains(&shown),
            "verify step shows {shown}"
        );
        click(b, By::Id("mfa-done")).await?;
        wait_for(
            b,
            By::XPath("//*[contains(text(), 'The authenticator is on')]"),
        )
        .await?;
        // The page's code row follows Done without a reload.
        let row_code = text_of(b, By::Css(format!("#code-{id} .code"))).await?;
        assert!(
            codes_around_now(secret).contains(&row_code),
            "the code row shows {row_code}"
        );
        // Removing a member asks first (app.js under the CSP), and saying
        // no removes nobody.
        click(
            b,
            By::XPath("//form[contains(@action, '/members/')]/button[text()='Remove']"),
        )
        .await?;
        let asked = b.get_alert_text().await?;
        assert!(
            asked.contains("Remove Ivy Intern") && asked.contains("Brand Instagram"),
            "{asked}"
        );
        b.dismiss_alert().await?;
        b.refresh().await?;
        wait_for(b, By::XPath("//strong[text()='Ivy Intern']")).await?;
        // Another member sees the same code, live.
        sign_out(b).await?;
        sign_in(b, &server.url, "intern@acme.test", "intern-password-1").await?;
        let card_code = text_of(b, By::Css(".code-tile.compact .code")).await?;
        assert!(
            codes_around_now(secret).contains(&card_code),
            "card shows {card_code}"
        );
        b.goto(&format!("{}/accounts/{id}", server.url)).await?;
        let code = text_of(b, By::Css(".code-tile .code")).await?;
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
    let (_, ledger) = get(&c, &format!("{base}/accounts/{id}/totp/ledger"), &t).await;
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
