//! The team authenticator's pages: the MFA settings section by link and by
//! QR upload behind the identity check, the code row that Done refreshes,
//! "I used this code" and copy.

use crate::otp::{oathtool, qr_screenshot, team};
use crate::support::*;

#[tokio::test]
async fn mfa_settings_in_the_ui_by_link_and_by_qr_upload() {
    let t = TestApp::sqlite().await;
    let tm = team(&t).await;
    let id = tm.id.clone();
    let b = t.browser("owner@acme.test", "owner-password-1").await;
    // Without a fresh identity check, "Set up" asks for one.
    let html = text_of(b.hx_post(&format!("/accounts/{id}/mfa/start"))).await;
    assert!(html.contains("Confirm your identity"), "{html}");
    let html = b
        .step_up_then(&format!("mfa:{id}"), "owner-password-1")
        .await;
    assert!(
        html.contains("Secret key") && html.contains("otpauth:// link"),
        "{html}"
    );
    // A bad link is explained in place, beside the link.
    let html = text_of(
        b.hx_post(&format!("/accounts/{id}/mfa/uri"))
            .form(&[("uri", "otpauth://totp/x?secret=11111111")]),
    )
    .await;
    assert!(
        html.contains("id=\"uri-error\"") && html.contains("Secret key"),
        "{html}"
    );
    // By link: the verify step shows oathtool's code; Done turns it on.
    let html = text_of(b.hx_post(&format!("/accounts/{id}/mfa/uri")).form(&[(
        "uri",
        "otpauth://totp/Instagram:brand?secret=JBSWY3DPEHPK3PXP&issuer=Instagram",
    )]))
    .await;
    assert!(
        html.contains("Verify your code")
            && html.contains(&oathtool(&t, &["--totp"], "JBSWY3DPEHPK3PXP", 0)),
        "{html}"
    );
    let html = text_of(b.hx_post(&format!("/accounts/{id}/mfa/confirm"))).await;
    assert!(html.contains("Authenticator on"), "{html}");
    // By QR screenshot (multipart upload): pending until Done.
    let form = reqwest::multipart::Form::new().part(
        "qr",
        reqwest::multipart::Part::bytes(qr_screenshot(
            "otpauth://totp/Instagram:brand?secret=KRUGS4ZANFZSAYJAORSXG5A&issuer=Instagram",
        ))
        .file_name("qr.png")
        .mime_str("image/png")
        .unwrap(),
    );
    let html = text_of(b.hx_post(&format!("/accounts/{id}/mfa/qr")).multipart(form)).await;
    assert!(
        html.contains(&oathtool(&t, &["--totp"], "KRUGS4ZANFZSAYJAORSXG5A", 0)),
        "{html}"
    );
    let tile = text_of(b.hx_get(&format!("/accounts/{id}/code-tile"))).await;
    assert!(
        tile.contains(&oathtool(&t, &["--totp"], "JBSWY3DPEHPK3PXP", 0)),
        "the old key until Done: {tile}"
    );
    b.hx_post(&format!("/accounts/{id}/mfa/confirm"))
        .send()
        .await
        .unwrap();
    let tile = text_of(b.hx_get(&format!("/accounts/{id}/code-tile"))).await;
    assert!(
        tile.contains(&oathtool(&t, &["--totp"], "KRUGS4ZANFZSAYJAORSXG5A", 0))
            && tile.contains("hx-trigger=\"load delay:"),
        "{tile}"
    );
    // The tile offers "I used this code"; after it, the tile says so.
    let step = between(&tile, "code/used?step=", "\"").to_owned();
    let tile = text_of(b.hx_post(&format!("/accounts/{id}/code/used?step={step}"))).await;
    assert!(
        tile.contains("this code was used by owner@acme.test"),
        "{tile}"
    );
    let copied = text_of(b.hx_post(&format!("/accounts/{id}/code/copy"))).await;
    assert!(copied.contains("data-copy-now="));
    let (_, ledger) = tm.owner.get(&format!("/accounts/{id}/totp/ledger")).await;
    assert!(
        ledger
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["how"] == "copy")
    );
}

#[tokio::test]
async fn done_refreshes_the_code_row_and_the_copy_is_plain() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let id = owner.account("Brand", "pw-1").await;
    let b = t.browser("owner@acme.test", "owner-password-1").await;
    // The heading says what the list shows; the copy names nobody.
    let home = b.html("/").await;
    assert!(home.contains("<h1>Your accounts</h1>"), "{home}");
    let all = b.html("/?scope=all").await;
    assert!(all.contains("<h1>All accounts</h1>"), "{all}");
    let section = text_of(b.hx_get(&format!("/accounts/{id}/mfa"))).await;
    assert!(!section.contains("Kathy"), "{section}");
    // Before the authenticator is on, the code row waits for Done…
    let row = text_of(b.hx_get(&format!("/accounts/{id}/code-tile"))).await;
    assert!(
        row.contains("Not set up yet") && row.contains("hx-trigger=\"mfa-changed from:body\""),
        "{row}"
    );
    // …which announces it.
    b.step_up_then(&format!("mfa:{id}"), "owner-password-1")
        .await;
    let pending = text_of(
        b.hx_post(&format!("/accounts/{id}/mfa/key"))
            .form(&[("secret", "JBSWY3DPEHPK3PXP")]),
    )
    .await;
    assert!(pending.contains("Verify your code"), "{pending}");
    let r = b
        .hx_post(&format!("/accounts/{id}/mfa/confirm"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["hx-trigger"], "mfa-changed");
    assert!(r.text().await.unwrap().contains("Authenticator on"));
    let row = text_of(b.hx_get(&format!("/accounts/{id}/code-tile"))).await;
    assert!(row.contains("current code"), "{row}");
}
