//! SMS: the phone-number pool and assignments, the Twilio and generic
//! webhooks (signed, forged, unsigned, retried), and the messages in the
//! inbox with its filters and search, seen by members only.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn sms_through_twilio_and_the_generic_webhook_lands_in_the_inbox() {
    for t in TestApp::all("sms").await {
        let owner = t.owner().await;
        let intern = t.user(&owner, "intern@acme.test", "user").await;
        let id = owner.account("Brand IG", "pw").await;
        // The pool and an assignment.
        let (s, v) = owner
            .post(&format!("/accounts/{id}/phone-number"), &json!({}))
            .await;
        assert_code(s, &v, StatusCode::BAD_REQUEST, "sms.pool_empty");
        assert_eq!(
            intern
                .post("/phone-numbers", &json!({"number": "+14155550123"}))
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        let (s, v) = owner
            .post("/phone-numbers", &json!({"number": "0155550123"}))
            .await;
        assert_code(s, &v, StatusCode::BAD_REQUEST, "sms.invalid_number");
        assert_eq!(
            owner
                .post("/phone-numbers", &json!({"number": "+1 415 555 0123"}))
                .await
                .0,
            StatusCode::CREATED
        );
        let (s, n) = owner
            .post(&format!("/accounts/{id}/phone-number"), &json!({}))
            .await;
        assert_eq!(
            (s, n["number"].as_str()),
            (StatusCode::OK, Some("+14155550123")),
            "{n}"
        );
        // Twilio: signed, forged, unsigned.
        let url = format!("{}/api/v1/hooks/sms/twilio", t.url);
        let form = vec![
            ("MessageSid".to_owned(), "SM0123456789abcdef".to_owned()),
            ("From".to_owned(), "32665".to_owned()),
            ("To".to_owned(), "+14155550123".to_owned()),
            (
                "Body".to_owned(),
                "123456 is your Instagram code. Don't share it.".to_owned(),
            ),
        ];
        let signature = orthrus_crypto::twilio_signature("test-twilio-token", &url, &form);
        let post = |sig: Option<String>| {
            let mut r = t.http.post(&url).form(&form);
            if let Some(s) = sig {
                r = r.header("x-twilio-signature", s);
            }
            r.send()
        };
        assert_eq!(post(None).await.unwrap().status(), StatusCode::FORBIDDEN);
        assert_eq!(
            post(Some("AAAAAAAAAAAAAAAAAAAAAAAAAAA=".into()))
                .await
                .unwrap()
                .status(),
            StatusCode::FORBIDDEN
        );
        let r = post(Some(signature.clone())).await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{text}");
        assert!(text.contains("<Response>"));
        // Twilio retries: the same MessageSid is stored once.
        assert_eq!(
            post(Some(signature)).await.unwrap().status(),
            StatusCode::OK
        );
        // Generic webhook signed with HMAC-SHA256 (a second later, so the
        // newest-first order below does not depend on random id bits).
        t.clock.advance_secs(1);
        let body = serde_json::to_vec(&json!({"from": "+15550001111", "to": "+14155550123", "body": "Your TikTok code is 918273", "id": "gw-1"})).unwrap();
        let sig = format!(
            "sha256={}",
            orthrus_crypto::hmac_sha256_hex("test-webhook-secret", &body)
        );
        let g = |s: &str| {
            t.http
                .post(format!("{}/api/v1/hooks/sms/generic", t.url))
                .header("content-type", "application/json")
                .header("x-orthrus-signature", s.to_owned())
                .body(body.clone())
                .send()
        };
        assert_eq!(
            g("sha256=00").await.unwrap().status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(g(&sig).await.unwrap().status(), StatusCode::NO_CONTENT);
        // Members see them; others do not.
        owner.add_member(&id, &intern.user_id, "collaborator").await;
        let (_, inbox) = intern.get(&format!("/inbox?account_id={id}")).await;
        let items = inbox.as_array().unwrap();
        assert_eq!(items.len(), 2, "{inbox}");
        assert_eq!(
            (items[0]["code"].as_str(), items[0]["channel"].as_str()),
            (Some("918273"), Some("sms"))
        );
        assert_eq!(items[1]["code"], "123456");
        // Filters and search.
        let codes = |v: &serde_json::Value| -> Vec<String> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|m| m["code"].as_str().unwrap_or("").to_owned())
                .collect()
        };
        for (query, want) in [
            ("channel=sms", vec!["918273", "123456"]),
            ("channel=email", vec![]),
            ("q=TIKTOK", vec!["918273"]),
            ("q=32665", vec!["123456"]),
            ("q=123456&has_code=true", vec!["123456"]),
            ("since=2099-01-01T00:00:00Z", vec![]),
            ("until=2000-01-01T00:00:00Z", vec![]),
            ("since=2000-01-01T00:00:00Z&limit=1", vec!["918273"]),
        ] {
            let (s, v) = intern.get(&format!("/inbox?account_id={id}&{query}")).await;
            assert_eq!(s, StatusCode::OK, "{query}: {v}");
            assert_eq!(codes(&v), want, "{query}");
        }
        for bad in ["channel=fax", "since=yesterday"] {
            let (s, v) = intern.get(&format!("/inbox?{bad}")).await;
            assert_eq!(
                (s, v["error"]["code"].as_str()),
                (StatusCode::BAD_REQUEST, Some("inbox.bad_filter")),
                "{bad}: {v}"
            );
        }
        let other = t.user(&owner, "other@acme.test", "user").await;
        assert!(other.get("/inbox").await.1.as_array().unwrap().is_empty());
        assert_eq!(
            other.get(&format!("/inbox?account_id={id}")).await.0,
            StatusCode::NOT_FOUND
        );
    }
}
