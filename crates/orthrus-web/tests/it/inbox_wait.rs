//! Waiting for a message (`GET /api/v1/inbox/wait`), marking it used, and
//! retention: the purge after the workspace's days.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn waiting_for_a_message_marking_it_used_and_retention() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let (id, address) = owner.account_with_address("Brand IG", "pw").await;
    // Nothing arrives: 204 when the time is up.
    let (s, _) = owner
        .get(&format!("/inbox/wait?account_id={id}&timeout=1"))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    // A waiter is woken by the message.
    let waiter = {
        let owner = owner.clone();
        let id = id.clone();
        tokio::spawn(async move {
            owner
                .get(&format!("/inbox/wait?account_id={id}&timeout=20"))
                .await
        })
    };
    tokio::task::yield_now().await;
    let raw = b"From: X <info@x.com>\r\nSubject: Confirm your email\r\nMessage-ID: <w-1@x.com>\r\n\r\nYour X confirmation code is 552019.\r\n";
    assert_eq!(
        t.app
            .ingest_email(std::slice::from_ref(&address), raw, None)
            .await
            .unwrap(),
        1
    );
    let (s, item) = waiter.await.unwrap();
    assert_eq!(
        (s, item["code"].as_str()),
        (StatusCode::OK, Some("552019")),
        "{item}"
    );
    // Unknown or disabled recipients store nothing.
    assert_eq!(
        t.app
            .ingest_email(&["nobody@inbox.localhost".into()], raw, None)
            .await
            .unwrap(),
        0
    );
    let mid = item["id"].as_str().unwrap().to_owned();
    assert_eq!(
        owner
            .post(&format!("/inbox/{mid}/used"), &json!({"account_id": id}))
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    // Retention: after 31 days the purge removes it.
    t.clock.advance_secs(31 * 86400);
    assert_eq!(t.app.purge_old_messages().await.unwrap(), 1);
    assert_eq!(t.app.purge_old_messages().await.unwrap(), 0);
    // The old session has expired with the clock; sign in again to look.
    let owner = t.login("owner@acme.test", "owner-password-1").await;
    assert!(
        owner
            .get(&format!("/inbox?account_id={id}"))
            .await
            .1
            .as_array()
            .unwrap()
            .is_empty()
    );
}
