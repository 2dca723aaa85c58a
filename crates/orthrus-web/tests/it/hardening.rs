//! Issue 11 (outside review): HOTP codes only for account Owners and
//! Managers, each handed out once; bounded authenticator imports; live
//! streams that end when the session does.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;

const HOTP_URI: &str = "otpauth://hotp/Vendor:ops?secret=JBSWY3DPEHPK3PXP&counter=7";

#[tokio::test]
async fn hotp_codes_go_to_owners_and_managers_once_each() {
    for t in TestApp::all("hotp_claims").await {
        let owner = t.owner().await;
        let collaborator = t.user(&owner, "intern@acme.test", "user").await;
        let manager = t.user(&owner, "lead@acme.test", "user").await;
        let id = owner.account("Vendor portal", "pw").await;
        for (who, role) in [(&collaborator, "collaborator"), (&manager, "manager")] {
            let (s, v) = owner
                .post(
                    &format!("/accounts/{id}/members"),
                    &json!({"user_id": who.user_id, "role": role}),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
        owner.step_up("owner-password-1").await;
        let (s, v) = owner
            .send(
                reqwest::Method::PUT,
                &format!("/accounts/{id}/totp"),
                Some(&json!({ "otpauth_uri": HOTP_URI })),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, _) = owner
            .post(&format!("/accounts/{id}/totp/confirm"), &json!({}))
            .await;
        assert_eq!(s, StatusCode::OK);

        // A Collaborator can neither collect a code nor move the counter.
        let (s, v) = collaborator.get(&format!("/accounts/{id}/totp/code")).await;
        assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "permission.denied"));
        for (path, body) in [
            ("used", json!({"step": 7})),
            ("verify", json!({"code": "123456"})),
        ] {
            let (s, v) = collaborator
                .post(&format!("/accounts/{id}/totp/{path}"), &body)
                .await;
            assert_eq!(
                (s, code(&v)),
                (StatusCode::FORBIDDEN, "permission.denied"),
                "{path}"
            );
        }
        // A Manager may.
        let (s, v) = manager.get(&format!("/accounts/{id}/totp/code")).await;
        assert_eq!((s, v["step"].as_i64()), (StatusCode::OK, Some(7)), "{v}");

        // Twenty concurrent requests: twenty different counters and codes.
        let requests = (0..20).map(|_| {
            let c = owner.clone();
            let path = format!("/accounts/{id}/totp/code");
            tokio::spawn(async move { c.get(&path).await })
        });
        let mut steps = Vec::new();
        let mut codes = std::collections::HashSet::new();
        for r in requests {
            let (s, v) = r.await.unwrap();
            assert_eq!(s, StatusCode::OK, "{v}");
            assert!(v["next_code"].is_null(), "no future code: {v}");
            steps.push(v["step"].as_i64().unwrap());
            codes.insert(v["code"].as_str().unwrap().to_owned());
        }
        steps.sort_unstable();
        assert_eq!(steps, (8..28).collect::<Vec<_>>(), "{}", t.backend);
        assert_eq!(codes.len(), 20, "{}", t.backend);
    }
}
