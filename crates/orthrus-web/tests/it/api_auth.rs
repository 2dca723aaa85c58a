//! Signing in over the JSON API: uniform, throttled failures; sessions,
//! tokens, sign-out and deactivation; one's own 2FA with replay protection
//! and recovery codes; a workspace policy requiring it.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn sign_in_failures_are_uniform_and_throttled() {
    for t in TestApp::all("signin").await {
        let owner = t.owner().await;
        let anon = t.anon();
        let (s1, unknown) = anon.sign_in("nobody@acme.test", "whatever-123").await;
        let (s2, wrong) = anon.sign_in("owner@acme.test", "wrong-password").await;
        assert_eq!(
            (s1, s2),
            (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
        );
        assert_eq!(code(&unknown), "auth.invalid_credentials");
        assert_eq!(
            unknown["error"]["message"], wrong["error"]["message"],
            "no user enumeration"
        );
        assert!(
            unknown["error"]["request_id"]
                .as_str()
                .is_some_and(|r| r.len() == 16)
        );
        // Three more wrong passwords lock the email (5 in the window).
        for _ in 0..3 {
            anon.sign_in("owner@acme.test", "wrong-password").await;
        }
        let (s, v) = anon.sign_in("owner@acme.test", "wrong-password").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
        let (s, v) = anon.sign_in("owner@acme.test", "owner-password-1").await;
        assert_eq!(
            (s, code(&v)),
            (StatusCode::TOO_MANY_REQUESTS, "auth.throttled"),
            "locked even with the right password"
        );
        // An unknown email locks the same way, so a lock reveals nothing.
        for _ in 0..5 {
            anon.sign_in("ghost@acme.test", "x-123456789").await;
        }
        let (s, _) = anon.sign_in("ghost@acme.test", "x-123456789").await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
        // An admin lifts the lock.
        let (s, _) = owner
            .post(&format!("/users/{}/unlock", owner.user_id), &json!({}))
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, _) = anon.sign_in("owner@acme.test", "owner-password-1").await;
        assert_eq!(s, StatusCode::OK, "{}", t.backend);
        // Or the lock expires.
        let (s, _) = anon.sign_in("ghost@acme.test", "x-123456789").await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
        t.clock.advance_secs(16 * 60);
        let (s, _) = anon.sign_in("ghost@acme.test", "x-123456789").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        // A password typed into the email field is not written to the log.
        anon.sign_in("Tr0ub4dor&3 pass", "x").await;
        let (_, events) = owner.get("/audit?action=auth.login").await;
        assert!(!events.to_string().contains("Tr0ub4dor"), "{events}");
        // Failures are audited.
        let (_, events) = owner.get("/audit?action=auth.login").await;
        assert!(
            events
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["outcome"] == "failure" && e["detail"]["reason"] == "bad_password")
        );
    }
}

#[tokio::test]
async fn sessions_tokens_logout_and_deactivation() {
    for t in TestApp::all("sessions").await {
        let owner = t.owner().await;
        let bob = t.user(&owner, "bob@acme.test", "user").await;
        let bob2 = t.login("bob@acme.test", "member-password-1").await;
        let (_, sessions) = bob.get("/me/sessions").await;
        assert_eq!(sessions.as_array().unwrap().len(), 2);
        assert_eq!(
            sessions
                .as_array()
                .unwrap()
                .iter()
                .filter(|s| s["current"] == true)
                .count(),
            1
        );
        // Revoke the other session.
        let other = sessions
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["current"] == false)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            bob.delete(&format!("/me/sessions/{other}")).await.0,
            StatusCode::NO_CONTENT
        );
        assert_eq!(bob2.get("/me").await.0, StatusCode::UNAUTHORIZED);
        // API tokens need step-up, then work like a session.
        let (s, v) = bob.post("/me/tokens", &json!({"name": "ci"})).await;
        assert_code(s, &v, StatusCode::FORBIDDEN, "step_up.required");
        bob.step_up("member-password-1").await;
        let (s, v) = bob
            .post("/me/tokens", &json!({"name": "ci", "expires_days": 30}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let api = Client {
            token: Some(v["token"].as_str().unwrap().to_owned()),
            ..bob.clone()
        };
        let (s, me) = api.get("/me").await;
        assert_eq!(
            (s, me["email"].as_str()),
            (StatusCode::OK, Some("bob@acme.test"))
        );
        let (_, tokens) = bob.get("/me/tokens").await;
        assert_eq!(tokens[0]["name"], "ci");
        assert!(
            tokens[0].get("token").is_none(),
            "the token itself is never listed"
        );
        // Deactivation ends sessions and tokens at once.
        let (s, v) = owner
            .patch(
                &format!("/users/{}", bob.user_id),
                &json!({"active": false}),
            )
            .await;
        assert_eq!((s, v["active"].as_bool()), (StatusCode::OK, Some(false)));
        assert_eq!(bob.get("/me").await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(api.get("/me").await.0, StatusCode::UNAUTHORIZED);
        let (s, _) = t.anon().sign_in("bob@acme.test", "member-password-1").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        // Logout ends the owner's session.
        assert_eq!(
            owner.post("/auth/logout", &json!({})).await.0,
            StatusCode::NO_CONTENT
        );
        assert_eq!(owner.get("/me").await.0, StatusCode::UNAUTHORIZED);
        // Sessions expire.
        let again = t.login("owner@acme.test", "owner-password-1").await;
        t.clock.advance_secs(31 * 86400);
        assert_eq!(again.get("/me").await.0, StatusCode::UNAUTHORIZED);
    }
}

fn totp_now(secret_b32: &str, t: &TestApp) -> String {
    let secret = orthrus_otp::parse_secret(secret_b32).unwrap();
    let g = orthrus_otp::Generator::new(secret, orthrus_otp::OtpParams::default()).unwrap();
    let now = u64::try_from(orthrus_core::Clock::now(&t.clock).unix_seconds()).unwrap();
    g.code(now)
}

#[tokio::test]
async fn own_two_factor_sign_in_with_replay_protection_and_recovery_codes() {
    for t in TestApp::all("twofactor").await {
        let owner = t.owner().await;
        let (s, en) = owner.post("/me/2fa/totp", &json!({})).await;
        assert_eq!(s, StatusCode::OK, "{en}");
        let secret = en["secret"].as_str().unwrap().to_owned();
        assert!(
            en["otpauth_uri"]
                .as_str()
                .unwrap()
                .starts_with("otpauth://totp/Orthrus:owner"),
            "{}",
            en["otpauth_uri"]
        );
        assert!(en["qr_svg"].as_str().unwrap().contains("<svg"));
        let (s, v) = owner
            .post("/me/2fa/totp/confirm", &json!({"code": "000000"}))
            .await;
        assert_code(s, &v, StatusCode::BAD_REQUEST, "2fa.bad_code");
        let (s, v) = owner
            .post(
                "/me/2fa/totp/confirm",
                &json!({"code": totp_now(&secret, &t)}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let recovery: Vec<String> = v["recovery_codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(recovery.len(), 10);
        // Sign-in now needs the code.
        let anon = t.anon();
        let creds = json!({"email": "owner@acme.test", "password": "owner-password-1"});
        let (s, v) = anon.post("/auth/login", &creds).await;
        assert_code(s, &v, StatusCode::UNAUTHORIZED, "auth.totp_required");
        // The code used to enrol cannot be replayed in the same step.
        let (s, _) = anon.post("/auth/login", &json!({"email": "owner@acme.test", "password": "owner-password-1", "totp": totp_now(&secret, &t)})).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "replayed code refused");
        t.clock.advance_secs(30);
        let code_now = totp_now(&secret, &t);
        let (s, v) = anon.post("/auth/login", &json!({"email": "owner@acme.test", "password": "owner-password-1", "totp": code_now})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, _) = anon.post("/auth/login", &json!({"email": "owner@acme.test", "password": "owner-password-1", "totp": code_now})).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "same step twice refused");
        // A recovery code works once.
        let rc = json!({"email": "owner@acme.test", "password": "owner-password-1", "totp": recovery[0].to_uppercase()});
        assert_eq!(anon.post("/auth/login", &rc).await.0, StatusCode::OK);
        assert_eq!(
            anon.post("/auth/login", &rc).await.0,
            StatusCode::UNAUTHORIZED
        );
        let (_, st) = owner.get("/me/2fa").await;
        assert_eq!(
            (st["enabled"].as_bool(), st["recovery_codes_left"].as_i64()),
            (Some(true), Some(9))
        );
        // Step-up needs the TOTP too.
        let (s, v) = owner
            .post("/auth/step-up", &json!({"password": "owner-password-1"}))
            .await;
        assert_code(s, &v, StatusCode::UNAUTHORIZED, "auth.totp_required");
        t.clock.advance_secs(30);
        let (s, _) = owner
            .post(
                "/auth/step-up",
                &json!({"password": "owner-password-1", "totp": totp_now(&secret, &t)}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
    }
}

#[tokio::test]
async fn workspace_policy_can_require_two_factor() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let bob = t.user(&owner, "bob@acme.test", "user").await;
    // The owner must have 2FA before requiring it of everyone.
    let (s, v) = owner
        .patch("/workspace", &json!({"require_2fa": true}))
        .await;
    assert_code(s, &v, StatusCode::BAD_REQUEST, "2fa.enroll_first");
    let (_, en) = owner.post("/me/2fa/totp", &json!({})).await;
    let (s, _) = owner
        .post(
            "/me/2fa/totp/confirm",
            &json!({"code": totp_now(en["secret"].as_str().unwrap(), &t)}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = owner
        .patch(
            "/workspace",
            &json!({"require_2fa": true, "step_up_minutes": 15}),
        )
        .await;
    assert_eq!(
        (s, v["require_2fa"].as_bool()),
        (StatusCode::OK, Some(true))
    );
    let (s, v) = bob.get("/accounts").await;
    assert_code(s, &v, StatusCode::FORBIDDEN, "auth.2fa_enrollment_required");
    let (_, me) = bob.get("/me").await;
    assert_eq!(me["must_enroll_2fa"], true);
    let (s, en) = bob.post("/me/2fa/totp", &json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = bob
        .post(
            "/me/2fa/totp/confirm",
            &json!({"code": totp_now(en["secret"].as_str().unwrap(), &t)}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(bob.get("/accounts").await.0, StatusCode::OK);
    let (s, v) = owner
        .patch("/workspace", &json!({"step_up_minutes": 61}))
        .await;
    assert_code(s, &v, StatusCode::BAD_REQUEST, "workspace.invalid_step_up");
}
