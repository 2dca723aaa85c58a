//! Step-up: every step-up-guarded endpoint refuses without elevation, and
//! elevation by approval on another device with number matching, used once
//! and only within five minutes.

use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// What reading account `id`'s password answers `c` with.
async fn password_status(c: &Client, id: &str) -> StatusCode {
    c.get(&format!("/accounts/{id}/password")).await.0
}

/// Whether the audit holds an identity check that `matches`.
async fn step_up_audited(owner: &Client, matches: impl Fn(&Value) -> bool) -> bool {
    owner.audit("auth.step_up").await.iter().any(matches)
}

#[tokio::test]
async fn every_step_up_guarded_endpoint_refuses_without_elevation() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let bob = t.user(&owner, "bob@acme.test", "user").await;
    let (_, v) = owner.post("/accounts", &json!({"app": "x", "label": "Guarded", "password": "pw", "fields": [{"name": "PIN", "secret": true, "value": "1"}]})).await;
    let id = v["id"].as_str().unwrap().to_owned();
    let field = v["fields"][0]["id"].as_str().unwrap().to_owned();
    owner.step_up("owner-password-1").await;
    owner
        .patch(
            &format!("/accounts/{id}"),
            &json!({"version": 1, "password": "pw2"}),
        )
        .await;
    let hist = owner.get(&format!("/accounts/{id}")).await.1["password_history"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let fresh = t.login("owner@acme.test", "owner-password-1").await;
    let guarded: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/accounts/{id}/password"), None),
        (
            Method::GET,
            format!("/accounts/{id}/password?purpose=copy"),
            None,
        ),
        (Method::GET, format!("/accounts/{id}/fields/{field}"), None),
        (
            Method::GET,
            format!("/accounts/{id}/history/{hist}/password"),
            None,
        ),
        (Method::DELETE, format!("/accounts/{id}"), None),
        (
            Method::POST,
            "/me/tokens".into(),
            Some(json!({"name": "x"})),
        ),
        (
            Method::POST,
            format!("/users/{}/reset-2fa", bob.user_id),
            None,
        ),
        (Method::DELETE, "/me/2fa/totp".into(), None),
        (Method::POST, "/me/2fa/recovery-codes".into(), None),
        (Method::GET, format!("/accounts/{id}/backup-codes"), None),
        (
            Method::POST,
            format!("/accounts/{id}/backup-codes/use"),
            None,
        ),
        (
            Method::POST,
            format!("/accounts/{id}/backup-codes/0/used"),
            None,
        ),
        (
            Method::PUT,
            format!("/accounts/{id}/totp"),
            Some(json!({"secret": "JBSWY3DPEHPK3PXP"})),
        ),
        (
            Method::POST,
            "/authenticator/import?dry_run=false".into(),
            None,
        ),
        (
            Method::POST,
            "/authenticator/export".into(),
            Some(json!({"format": "otpauth"})),
        ),
    ];
    for (method, path, body) in &guarded {
        let (s, v) = fresh.send(method.clone(), path, body.as_ref()).await;
        assert_eq!(
            (s, code(&v)),
            (StatusCode::FORBIDDEN, "step_up.required"),
            "{method} {path}"
        );
    }
    // A wrong password does not elevate, and counts as a failure.
    let (s, v) = fresh
        .post("/auth/step-up", &json!({"password": "nope-nope-nope"}))
        .await;
    assert_code(s, &v, StatusCode::UNAUTHORIZED, "auth.invalid_credentials");
    let (s, _) = fresh.get(&format!("/accounts/{id}/password")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Elevation belongs to one session only.
    fresh.step_up("owner-password-1").await;
    assert_eq!(password_status(&fresh, &id).await, StatusCode::OK);
    let other = t.login("owner@acme.test", "owner-password-1").await;
    assert_eq!(password_status(&other, &id).await, StatusCode::FORBIDDEN);
    assert!(step_up_audited(&owner, |e| e["outcome"] == "failure").await);
}

#[tokio::test]
async fn step_up_by_approval_on_another_device_with_number_matching() {
    for t in TestApp::all("device").await {
        let owner = t.owner().await;
        let id = owner.account("Brand IG", "device-pw").await;
        let laptop = t.login("owner@acme.test", "owner-password-1").await;
        let phone = t.login("owner@acme.test", "owner-password-1").await;
        let other = t.user(&owner, "bob@acme.test", "owner").await;
        // The laptop asks; the phone sees three choices, not which is right.
        let (s, req) = laptop.ask_device().await;
        assert_eq!(s, StatusCode::OK, "{req}");
        let number = req["number"].as_str().unwrap().to_owned();
        let rid = req["id"].as_str().unwrap().to_owned();
        let (_, prompts) = phone.get("/me/approvals").await;
        let prompt = prompts
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == rid.as_str())
            .unwrap()
            .clone();
        let choices: Vec<String> = prompt["choices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(choices.len(), 3);
        assert!(choices.contains(&number));
        assert!(!prompt.to_string().contains("\"number\""));
        // Not on the asking device, and not for another user.
        assert!(
            laptop
                .get("/me/approvals")
                .await
                .1
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["id"] != rid.as_str())
        );
        assert_eq!(other.pick(&rid, &number).await.0, StatusCode::NOT_FOUND);
        let (s, v) = laptop.pick(&rid, &number).await;
        assert_code(s, &v, StatusCode::BAD_REQUEST, "approval.same_device");
        // A wrong pick denies (and alerts); the request is then closed.
        let wrong = choices.iter().find(|c| **c != number).unwrap();
        let (_, v) = phone.pick(&rid, wrong).await;
        assert_eq!(v["status"], "denied");
        assert_eq!(
            laptop.get(&format!("/auth/step-up/device/{rid}")).await.1["status"],
            "denied"
        );
        assert_eq!(phone.pick(&rid, &number).await.0, StatusCode::CONFLICT);
        assert_eq!(password_status(&laptop, &id).await, StatusCode::FORBIDDEN);
        assert!(
            step_up_audited(&owner, |e| e["outcome"] == "denied"
                && e["detail"]["reason"] == "wrong_number")
            .await
        );
        // The right pick elevates the laptop's session (and only it).
        let (_, req) = laptop.ask_device().await;
        let rid = req["id"].as_str().unwrap().to_owned();
        let (_, v) = phone.pick(&rid, &req["number"]).await;
        assert_eq!(v["status"], "approved");
        let (_, st) = laptop.get(&format!("/auth/step-up/device/{rid}")).await;
        assert_eq!(st["status"], "approved");
        // Reading the status elevates nothing; the laptop completes it with
        // a POST (another session of the same user cannot).
        assert_eq!(password_status(&laptop, &id).await, StatusCode::FORBIDDEN);
        let complete = format!("/auth/step-up/device/{rid}");
        assert_eq!(
            phone.post(&complete, &json!({})).await.0,
            StatusCode::NOT_FOUND
        );
        let (s, st) = laptop.post(&complete, &json!({})).await;
        assert_status(s, &st, StatusCode::OK, "used");
        assert!(st["elevated_until"].is_string(), "{st}");
        assert_eq!(
            laptop.get(&format!("/accounts/{id}/password")).await.1["password"],
            "device-pw"
        );
        assert_eq!(password_status(&phone, &id).await, StatusCode::FORBIDDEN);
        // Backup codes after a device approval, too.
        owner
            .send(
                Method::PUT,
                &format!("/accounts/{id}/backup-codes"),
                Some(&json!({"codes": ["1234 5678", "2345 6789"]})),
            )
            .await;
        let (s, v) = laptop.get(&format!("/accounts/{id}/backup-codes")).await;
        assert_eq!((s, v["total"].as_i64()), (StatusCode::OK, Some(2)));
        // Denying outright, and expiry after two minutes.
        let (_, req) = laptop.ask_device().await;
        let (_, v) = phone
            .post(
                &format!("/me/approvals/{}", req["id"].as_str().unwrap()),
                &json!({"deny": true}),
            )
            .await;
        assert_eq!(v["status"], "denied");
        let (_, req) = laptop.ask_device().await;
        let rid = req["id"].as_str().unwrap().to_owned();
        t.clock.advance_secs(121);
        assert_eq!(
            laptop.get(&format!("/auth/step-up/device/{rid}")).await.1["status"],
            "expired"
        );
        assert!(
            phone
                .get("/me/approvals")
                .await
                .1
                .as_array()
                .unwrap()
                .is_empty()
        );
        let (s, v) = phone.pick(&rid, &req["number"]).await;
        assert_code(s, &v, StatusCode::CONFLICT, "approval.closed");
    }
}

#[tokio::test]
async fn a_device_approval_elevates_once_and_only_within_five_minutes() {
    for t in TestApp::all("deviceonce").await {
        let owner = t.owner().await;
        let id = owner.account("Brand IG", "device-pw").await;
        let laptop = t.login("owner@acme.test", "owner-password-1").await;
        let phone = t.login("owner@acme.test", "owner-password-1").await;
        let password = format!("/accounts/{id}/password");
        let approved = || async {
            let (_, req) = laptop.ask_device().await;
            let rid = req["id"].as_str().unwrap().to_owned();
            let (_, v) = phone.pick(&rid, &req["number"]).await;
            assert_eq!(v["status"], "approved", "{v}");
            format!("/auth/step-up/device/{rid}")
        };
        // Used once: after the elevation lapses, it cannot elevate again.
        let path = approved().await;
        assert_eq!(laptop.post(&path, &json!({})).await.0, StatusCode::OK);
        assert_eq!(laptop.get(&password).await.0, StatusCode::OK);
        let (s, v) = laptop.post(&path, &json!({})).await;
        assert_code(s, &v, StatusCode::CONFLICT, "approval.used");
        t.clock.advance_secs(11 * 60);
        assert_eq!(laptop.get(&password).await.0, StatusCode::FORBIDDEN);
        let (s, v) = laptop.post(&path, &json!({})).await;
        assert_code(s, &v, StatusCode::CONFLICT, "approval.used");
        assert_eq!(laptop.get(&path).await.1["status"], "used");
        assert_eq!(laptop.get(&password).await.0, StatusCode::FORBIDDEN);
        // An approval left unused for more than 5 minutes has expired.
        let path = approved().await;
        t.clock.advance_secs(5 * 60 + 1);
        assert_eq!(laptop.get(&path).await.1["status"], "expired");
        let (s, v) = laptop.post(&path, &json!({})).await;
        assert_code(s, &v, StatusCode::CONFLICT, "approval.expired");
        assert_eq!(laptop.get(&password).await.0, StatusCode::FORBIDDEN);
        // Within the 5 minutes it works.
        let path = approved().await;
        t.clock.advance_secs(4 * 60);
        assert_eq!(laptop.post(&path, &json!({})).await.0, StatusCode::OK);
        assert_eq!(laptop.get(&password).await.1["password"], "device-pw");
        // Not before it is approved.
        let (_, req) = laptop.ask_device().await;
        let (s, v) = laptop
            .post(
                &format!("/auth/step-up/device/{}", req["id"].as_str().unwrap()),
                &json!({}),
            )
            .await;
        assert_code(s, &v, StatusCode::CONFLICT, "approval.pending");
    }
}

/// The identity check passed for `then`, as a plain form post: the answer.
async fn confirmed(b: &Browser, then: &str) -> (StatusCode, String) {
    let path = format!("/step-up?then={then}");
    let r = sent(b.form(&path, &[("password", "owner-password-1")])).await;
    (r.status(), r.text().await.unwrap())
}

/// A `then` the identity check cannot run: a kind it does not know is
/// refused 400, a malformed id 404, an automation kind that is none the
/// app's refusal in the section; after a wrong password the dialog still
/// says what it is for, and the other device's prompt names what it can.
#[tokio::test]
async fn step_up_then_tokens_that_run_nothing_are_answered_as_before() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let id = owner.account("Brand IG", "kept-pw").await;
    let laptop = t.browser("owner@acme.test", "owner-password-1").await;
    let phone = t.browser("owner@acme.test", "owner-password-1").await;
    for then in ["nothing".to_owned(), String::new(), format!("Reveal:{id}")] {
        assert_eq!(confirmed(&laptop, &then).await.0, StatusCode::BAD_REQUEST);
    }
    let r = sent(laptop.form("/ui/after-step-up?then=nothing", &[])).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    for then in [
        "reveal:nope".to_owned(),
        "mfa".to_owned(),
        format!("field:{id}:nope"),
        "dual-1:nope".to_owned(),
        "job-backup:nope".to_owned(),
        "automation:nope:rotate_password".to_owned(),
    ] {
        let (status, page) = confirmed(&laptop, &then).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{then}: {page}");
    }
    let (status, page) = confirmed(&laptop, &format!("automation:{id}:bogus:confirmed")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("kind must be one of"), "{page}");
    // Revealing still works with parts after those it uses.
    let (status, page) = confirmed(&laptop, &format!("reveal:{id}:extra")).await;
    assert!(
        status == StatusCode::OK && page.contains("kept-pw"),
        "{page}"
    );

    let wrong = |then: &'static str| laptop.step_up_then(then, "not-my-password");
    let dialog = wrong("nothing").await;
    assert!(
        dialog.contains("This needs a recent identity check"),
        "{dialog}"
    );
    assert!(
        dialog.contains("/ui/step-up/cancel?then=nothing"),
        "{dialog}"
    );
    let dialog = wrong("mfa:nope").await;
    assert!(
        dialog.contains("Setting up the authenticator needs"),
        "{dialog}"
    );
    assert!(dialog.contains("hx-get=\"/accounts/nope/mfa\""), "{dialog}");
    let dialog = wrong("automation:nope:enable_mfa").await;
    assert!(dialog.contains("Turning on MFA needs"), "{dialog}");

    for (then, purpose) in [
        (
            format!("field:{id}:nope"),
            "reveal a secret field of Brand IG",
        ),
        (
            "reveal:nope".to_owned(),
            "reveal the password of an account",
        ),
        ("dual-0:nope".to_owned(), "deny another person"),
    ] {
        let path = format!("/ui/step-up/device?then={then}");
        let wait = text_of(laptop.hx_post(&path)).await;
        assert!(wait.contains("device-number"), "{wait}");
        let prompt = text_of(phone.hx_get("/ui/approvals")).await;
        assert!(prompt.contains(purpose), "{then}: {prompt}");
    }
}
