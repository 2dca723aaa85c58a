//! Inbox floods over HTTP (issue 11, finding 5): SMS webhooks share the
//! inbox's per-number rate, and a refusal is a clear 429 that stores nothing.

use crate::support::{TestApp, code};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn an_sms_flood_past_the_numbers_rate_gets_429_and_stores_nothing() {
    for t in TestApp::all("smsflood").await {
        let owner = t.owner().await;
        let id = owner.account("Brand IG", "pw").await;
        owner
            .post("/phone-numbers", &json!({"number": "+14155550123"}))
            .await;
        let (s, _) = owner
            .post(&format!("/accounts/{id}/phone-number"), &json!({}))
            .await;
        assert_eq!(s, StatusCode::OK);
        let send = |n: usize| {
            let body = serde_json::to_vec(&json!({
                "from": "+15550001111",
                "to": "+14155550123",
                "body": format!("Your code is {:06}", 100_000 + n),
                "id": format!("flood-{n}"),
            }))
            .unwrap();
            let sig = format!(
                "sha256={}",
                orthrus_crypto::hmac_sha256_hex("test-webhook-secret", &body)
            );
            t.http
                .post(format!("{}/api/v1/hooks/sms/generic", t.url))
                .header("content-type", "application/json")
                .header("x-orthrus-signature", sig)
                .body(body)
                .send()
        };
        // The default rate: 60 messages a minute per number.
        for n in 0..60 {
            assert_eq!(send(n).await.unwrap().status(), StatusCode::NO_CONTENT);
        }
        let r = send(60).await.unwrap();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(code(&v), "inbox.rate_limited", "{v}");
        let (_, inbox) = owner
            .get(&format!("/inbox?account_id={id}&limit=500"))
            .await;
        assert_eq!(inbox.as_array().unwrap().len(), 60);
        // A minute later the number takes texts again.
        t.clock.advance_secs(61);
        assert_eq!(send(61).await.unwrap().status(), StatusCode::NO_CONTENT);
    }
}
