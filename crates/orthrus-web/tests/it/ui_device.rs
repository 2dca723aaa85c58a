//! "Approve on my other device" in the UI: the laptop waits with a number,
//! the phone is asked "Is this you?" (naming the action and the account) and
//! picks it, and the laptop completes the step-up once, with its CSRF token.

use crate::support::*;
use reqwest::StatusCode;

#[tokio::test]
async fn reveal_approved_on_another_device_in_the_ui() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let id = owner.account("Brand IG", "approved-pw").await;
    let laptop = t.browser("owner@acme.test", "owner-password-1").await;
    let phone = t.browser("owner@acme.test", "owner-password-1").await;
    let dialog = text_of(laptop.hx_post(&format!("/accounts/{id}/reveal"))).await;
    assert!(dialog.contains("Approve on my other device"));
    let wait = text_of(laptop.hx_post(&format!("/ui/step-up/device?then=reveal:{id}"))).await;
    let number = between(&wait, "id=\"device-number\">", "<").to_owned();
    let poll_path = between(&wait, "hx-get=\"", "\"").replace("&amp;", "&");
    // Still waiting: the dialog stays.
    let r = laptop.hx_get(&poll_path).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    // The phone sees the prompt and picks the number.
    let prompt = text_of(phone.hx_get("/ui/approvals")).await;
    assert!(
        prompt.contains("Is this you?") && prompt.contains(&format!("\"number\": \"{number}\"")),
        "{prompt}"
    );
    let approvals_path = between(&prompt, "hx-post=\"", "\"").to_owned();
    let done = text_of(
        phone
            .hx_post(&approvals_path)
            .form(&[("number", number.as_str())]),
    )
    .await;
    assert!(done.contains("Approved"), "{done}");
    // The laptop's next poll (a GET) only reads the status: no password, but
    // a POST to complete the approval.
    let polled = text_of(laptop.hx_get(&poll_path)).await;
    assert!(!polled.contains("approved-pw"), "{polled}");
    let complete_path = polled
        .split("hx-post=\"")
        .find(|p| p.starts_with("/ui/step-up/device/"))
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    // Without the CSRF token the POST is refused and uses nothing up.
    let r = t
        .http
        .post(format!("{}{complete_path}", t.url))
        .header("cookie", &laptop.cookie)
        .header("hx-request", "true")
        .send()
        .await
        .unwrap();
    assert!(!r.text().await.unwrap().contains("approved-pw"));
    let shown = text_of(laptop.hx_post(&complete_path)).await;
    assert!(shown.contains("approved-pw"), "{shown}");
    // Used once: completing it again is refused.
    let again = text_of(laptop.hx_post(&complete_path)).await;
    assert!(
        again.contains("used already") && !again.contains("approved-pw"),
        "{again}"
    );
    // The laptop itself is not asked to approve its own request.
    let none = text_of(laptop.hx_get("/ui/approvals")).await;
    assert!(!none.contains("Is this you?"));
}

#[tokio::test]
async fn the_approval_prompt_names_the_action_and_the_account() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let id = owner.account("Brand IG", "pw-1").await;
    let phone = t.browser("owner@acme.test", "owner-password-1").await;
    let laptop = t.browser("owner@acme.test", "owner-password-1").await;
    let wait = text_of(laptop.hx_post(&format!("/ui/step-up/device?then=reveal:{id}"))).await;
    assert!(!wait.contains("class=\"alert\""), "{wait}");
    let prompt = text_of(phone.hx_get("/ui/approvals")).await;
    assert!(
        prompt.contains("Is this you?")
            && prompt.contains(
                "to <strong class=\"approval-purpose\">reveal the password of Brand IG</strong>"
            ),
        "{prompt}"
    );
}
