//! The shared inbox page in headless Chromium: a message sent over SMTP
//! while the page is open appears live, the filters and search find it, and
//! its view flags an unsigned sender and marks the code used.

use crate::support::chromium::*;
use crate::support::*;
use thirtyfour::prelude::*;

#[tokio::test]
async fn a_message_sent_over_smtp_appears_in_the_open_inbox_page() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let (server, c, base, t) = owner_server(&sqlite_storage(dir.path())).await;
    let id = add_account(&c, &base, &t, "tiktok", "TikTok Ads", "p").await;
    let chromium = Chromium::start().await;
    let b = &chromium.b;
    let smtp = server.smtp.clone().unwrap();
    let result = async {
        sign_in(b, &server.url, "owner@acme.test", "owner-password-1").await?;
        b.goto(&format!("{}/accounts/{id}", server.url)).await?;
        wait_and_click(b, By::Id("create-managed-email")).await?;
        let address = text_of(b, By::Id("managed-address")).await?;
        b.goto(&format!("{}/inbox", server.url)).await?;
        wait_for(b, By::XPath("//h1[text()='Shared inbox']")).await?;
        // Send a message over SMTP while the page is open.
        mail_tiktok_code(&smtp, &address).await;
        // Live over server-sent events: well before the 30 s fallback refresh.
        // (Matched by XPath, not read afterwards: the table may be swapped
        // again between finding the cell and reading it.)
        b.query(By::XPath(
            "//*[contains(@class,'inbox-code') and normalize-space()='730194']",
        ))
        .wait(
            std::time::Duration::from_secs(5),
            std::time::Duration::from_millis(100),
        )
        .first()
        .await?;
        let page = b.source().await?;
        assert!(page.contains("TikTok Ads") && page.contains("no-reply@tiktok.com"));
        // Filters: the SMS channel hides it, a search for the sender finds it.
        b.query(By::Name("channel"))
            .first()
            .await?
            .send_keys("SMS")
            .await?;
        b.query(By::XPath(
            "//form[@class='filters']//button[@type='submit']",
        ))
        .first()
        .await?
        .click()
        .await?;
        b.query(By::Id("inbox-none-match")).first().await?;
        b.goto(&format!("{}/inbox?q=TIKTOK&with_code=1", server.url))
            .await?;
        b.query(By::XPath(
            "//*[contains(@class,'inbox-code') and normalize-space()='730194']",
        ))
        .first()
        .await?;
        // The message view: unsigned mail claiming tiktok.com is flagged;
        // marking the code used shows on the page.
        // The table is swapped by htmx when it loads: retry a click that
        // lands on a replaced link.
        for attempt in 0.. {
            match b.query(By::LinkText("Open")).first().await?.click().await {
                Ok(()) => break,
                Err(e) if attempt < 5 => {
                    eprintln!("retrying the click: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
                Err(e) => return Err(e),
            }
        }
        b.query(By::Id("message-flagged")).first().await?;
        b.query(By::XPath("//*[@id='mail-body' and contains(., '730 194')]"))
            .first()
            .await?;
        b.query(By::Id("mark-used")).first().await?.click().await?;
        b.query(By::Id("message-used")).first().await?;
        WebDriverResult::Ok(())
    }
    .await;
    chromium.finish(result, || server.logs()).await;
    assert!(server.stop().success());
}
