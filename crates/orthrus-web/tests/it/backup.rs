//! Backup codes over the API: paste with preview, step-up to view or use,
//! each code once, the low-codes warning, history, and who may do what.

use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn paste_view_use_once_warn_and_replace() {
    for t in TestApp::all("backup").await {
        let owner = t.owner().await;
        let manager = t.user(&owner, "kathy@acme.test", "user").await;
        let intern = t.user(&owner, "intern@acme.test", "user").await;
        let id = owner.account("Brand Instagram", "pw").await;
        owner
            .post(
                &format!("/accounts/{id}/members"),
                &json!({"user_id": manager.user_id, "role": "manager"}),
            )
            .await;
        owner
            .post(
                &format!("/accounts/{id}/members"),
                &json!({"user_id": intern.user_id, "role": "collaborator"}),
            )
            .await;
        let pasted = "Recovery codes\nSave these codes in a safe place.\n4821 9306\n1175 2048\n6630 9914\n5522 0187\n3901 7746\n";
        // Preview writes nothing.
        let (s, v) = owner
            .post(
                &format!("/accounts/{id}/backup-codes/preview"),
                &json!({"codes": pasted}),
            )
            .await;
        assert_eq!((s, v["count"].as_u64()), (StatusCode::OK, Some(5)), "{v}");
        assert_eq!(v["codes"][0], "4821 9306");
        assert_eq!(
            owner
                .get(&format!("/accounts/{id}/backup-codes/status"))
                .await
                .1["total"],
            0
        );
        // Setting needs no step-up (nothing is revealed); it is audited.
        let (s, st) = owner
            .send(
                Method::PUT,
                &format!("/accounts/{id}/backup-codes"),
                Some(&json!({"codes": pasted})),
            )
            .await;
        assert_eq!(
            (s, st["unused"].as_i64(), st["low"].as_bool()),
            (StatusCode::OK, Some(5), Some(false)),
            "{st}"
        );
        let (s, v) = owner
            .send(
                Method::PUT,
                &format!("/accounts/{id}/backup-codes"),
                Some(&json!({"codes": "nothing to see here"})),
            )
            .await;
        assert_eq!(
            (s, code(&v)),
            (StatusCode::BAD_REQUEST, "backup_codes.none_found")
        );
        // Viewing and using need step-up.
        let (s, v) = owner.get(&format!("/accounts/{id}/backup-codes")).await;
        assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "step_up.required"));
        let (s, _) = owner
            .post(&format!("/accounts/{id}/backup-codes/use"), &json!({}))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        owner.step_up("owner-password-1").await;
        let (s, all) = owner.get(&format!("/accounts/{id}/backup-codes")).await;
        assert_eq!((s, all["total"].as_i64()), (StatusCode::OK, Some(5)));
        assert_eq!(all["codes"][4]["code"], "3901 7746");
        // Use one: each code once, in order.
        let (_, u1) = owner
            .post(&format!("/accounts/{id}/backup-codes/use"), &json!({}))
            .await;
        assert_eq!(
            (u1["code"].as_str(), u1["unused_left"].as_i64()),
            (Some("4821 9306"), Some(4))
        );
        let (_, u2) = owner
            .post(&format!("/accounts/{id}/backup-codes/use"), &json!({}))
            .await;
        assert_eq!(u2["code"], "1175 2048");
        // By hand: mark the last one used; then two left: the warning.
        let (s, st) = owner
            .post(&format!("/accounts/{id}/backup-codes/4/used"), &json!({}))
            .await;
        assert_eq!(
            (s, st["unused"].as_i64(), st["low"].as_bool()),
            (StatusCode::OK, Some(2), Some(true))
        );
        let (_, all) = owner.get(&format!("/accounts/{id}/backup-codes")).await;
        assert_eq!(all["codes"][0]["used_by"], "owner@acme.test");
        assert_eq!(
            all["codes"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["used"] == false)
                .count(),
            2
        );
        let (_, ev) = owner.get(&format!("/audit?target_id={id}")).await;
        let actions: Vec<&str> = ev
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        for want in [
            "account.backup_codes_set",
            "account.backup_codes_view",
            "account.backup_code_use",
            "account.backup_code_marked_used",
            "account.backup_codes_low",
        ] {
            assert!(actions.contains(&want), "{want} not in {actions:?}");
        }
        assert!(
            !ev.to_string().contains("4821"),
            "codes never reach the audit log"
        );
        for _ in 0..2 {
            owner
                .post(&format!("/accounts/{id}/backup-codes/use"), &json!({}))
                .await;
        }
        let (s, v) = owner
            .post(&format!("/accounts/{id}/backup-codes/use"), &json!({}))
            .await;
        assert_eq!(
            (s, code(&v)),
            (StatusCode::BAD_REQUEST, "backup_codes.exhausted")
        );
        // A new set replaces it; the old one stays as history.
        let (_, st) = owner
            .send(
                Method::PUT,
                &format!("/accounts/{id}/backup-codes"),
                Some(&json!({"codes": ["abcde-12345", "fghij-67890"]})),
            )
            .await;
        assert_eq!(
            (st["total"].as_i64(), st["replaced_sets"].as_u64()),
            (Some(2), Some(1))
        );
        // Only account Owners: a Manager and a Collaborator are refused even after step-up.
        for who in [&manager, &intern] {
            who.step_up("member-password-1").await;
            assert_eq!(
                who.get(&format!("/accounts/{id}/backup-codes")).await.0,
                StatusCode::FORBIDDEN
            );
            assert_eq!(
                who.post(&format!("/accounts/{id}/backup-codes/use"), &json!({}))
                    .await
                    .0,
                StatusCode::FORBIDDEN
            );
            assert_eq!(
                who.send(
                    Method::PUT,
                    &format!("/accounts/{id}/backup-codes"),
                    Some(&json!({"codes": ["12345678"]}))
                )
                .await
                .0,
                StatusCode::FORBIDDEN
            );
            // The count is visible to members.
            assert_eq!(
                who.get(&format!("/accounts/{id}/backup-codes/status"))
                    .await
                    .1["unused"],
                2
            );
        }
        let outsider = t.user(&owner, "other@acme.test", "user").await;
        assert_eq!(
            outsider
                .get(&format!("/accounts/{id}/backup-codes/status"))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        let (_, ev) = owner.get("/audit?action=account.backup_codes_view").await;
        assert!(
            ev.as_array()
                .unwrap()
                .iter()
                .any(|e| e["outcome"] == "denied"),
            "refusals are audited"
        );
    }
}

#[tokio::test]
async fn emergency_controls_in_the_ui() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let id = owner.account("Brand Instagram", "pw").await;
    let r = t
        .http
        .post(format!("{}/login", t.url))
        .form(&[
            ("email", "owner@acme.test"),
            ("password", "owner-password-1"),
        ])
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let csrf = t
        .app
        .csrf_token(cookie.trim_start_matches("orthrus_session="));
    let hx = |req: reqwest::RequestBuilder| {
        req.header("cookie", &cookie)
            .header("hx-request", "true")
            .header("x-csrf-token", &csrf)
    };
    let html = hx(t.http.get(format!("{}/accounts/{id}/backup", t.url)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("No backup codes stored yet") && html.contains("Add codes"),
        "{html}"
    );
    let pasted = "1. 6274 1934    4. 7755 0832\n2. 3318 4479    5. 9022 1646\n3. 8134 6206\n";
    let html = hx(t
        .http
        .post(format!("{}/accounts/{id}/backup/preview", t.url)))
    .form(&[("codes", pasted)])
    .send()
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert!(
        html.contains("5 code(s) found") && html.contains("9022 1646"),
        "{html}"
    );
    assert_eq!(
        owner
            .get(&format!("/accounts/{id}/backup-codes/status"))
            .await
            .1["total"],
        0,
        "preview writes nothing"
    );
    let html = hx(t.http.post(format!("{}/accounts/{id}/backup/save", t.url)))
        .form(&[("codes", pasted)])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Saved 5 backup codes") && !html.contains("6274 1934"),
        "{html}"
    );
    // View: the identity check first, then the list.
    let html = hx(t.http.post(format!("{}/accounts/{id}/backup/view", t.url)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Confirm your identity") && html.contains(&format!("then=backup-view:{id}")),
        "{html}"
    );
    let html = hx(t
        .http
        .post(format!("{}/step-up?then=backup-view:{id}", t.url)))
    .form(&[("password", "owner-password-1")])
    .send()
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert!(
        html.contains("6274 1934") && html.contains("Mark used"),
        "{html}"
    );
    let html = hx(t.http.post(format!("{}/accounts/{id}/backup/use", t.url)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("id=\"backup-code\">6274 1934") && html.contains("4 left"),
        "{html}"
    );
    for p in 1..=2 {
        hx(t.http
            .post(format!("{}/accounts/{id}/backup/{p}/used", t.url)))
        .send()
        .await
        .unwrap();
    }
    let html = hx(t.http.get(format!("{}/accounts/{id}/backup", t.url)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Only 2 backup code(s) left"), "{html}");
}

#[tokio::test]
async fn two_person_rule_for_exports_and_critical_backup_codes() {
    for t in TestApp::all("twoperson").await {
        let owner = t.owner().await;
        let second = t.user(&owner, "second@acme.test", "super-admin").await;
        let admin = t.user(&owner, "it@acme.test", "admin").await;
        // Whom the owner just created cannot approve the owner's requests.
        t.clock.advance_secs(8 * 24 * 3600);
        let id = owner.account("Critical IG", "pw").await;
        let plain = owner.account("Plain IG", "pw").await;
        for a in [&id, &plain] {
            owner
                .send(
                    Method::PUT,
                    &format!("/accounts/{a}/backup-codes"),
                    Some(&json!({"codes": ["1111 2222", "3333 4444", "5555 6666"]})),
                )
                .await;
        }
        owner.step_up("owner-password-1").await;
        second.step_up("member-password-1").await;
        // Off by default: the export works.
        assert_eq!(
            owner
                .post("/authenticator/export", &json!({"format": "otpauth"}))
                .await
                .0,
            StatusCode::OK
        );
        let (s, v) = owner
            .patch("/workspace", &json!({"two_person_rule": true}))
            .await;
        assert_eq!(
            (s, v["two_person_rule"].as_bool()),
            (StatusCode::OK, Some(true)),
            "{v}"
        );
        // Now it needs a second person; the refusal names the request.
        let (s, v) = owner
            .post("/authenticator/export", &json!({"format": "otpauth"}))
            .await;
        assert_eq!(
            (s, code(&v)),
            (StatusCode::FORBIDDEN, "approval.required"),
            "{v}"
        );
        let (_, pending) = second.get("/dual-approvals").await;
        let req = pending
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["action"] == "export")
            .unwrap()
            .clone();
        let rid = req["id"].as_str().unwrap().to_owned();
        assert!(v["error"]["message"].as_str().unwrap().contains(&rid));
        assert_eq!(req["requester"], "owner@acme.test");
        // Asking again does not pile up requests.
        owner
            .post("/authenticator/export", &json!({"format": "otpauth"}))
            .await;
        assert_eq!(
            second
                .get("/dual-approvals")
                .await
                .1
                .as_array()
                .unwrap()
                .len(),
            1
        );
        // Not by the requester, not by an Admin, and only with step-up.
        let (s, v) = owner
            .post(&format!("/dual-approvals/{rid}"), &json!({"approve": true}))
            .await;
        assert_eq!(
            (s, code(&v)),
            (StatusCode::BAD_REQUEST, "approval.own_request")
        );
        assert_eq!(admin.get("/dual-approvals").await.0, StatusCode::FORBIDDEN);
        let fresh_second = t.login("second@acme.test", "member-password-1").await;
        assert_eq!(
            fresh_second
                .post(&format!("/dual-approvals/{rid}"), &json!({"approve": true}))
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        let (s, v) = second
            .post(&format!("/dual-approvals/{rid}"), &json!({"approve": true}))
            .await;
        assert_eq!(
            (s, v["status"].as_str()),
            (StatusCode::OK, Some("approved"))
        );
        // One use.
        assert_eq!(
            owner
                .post("/authenticator/export", &json!({"format": "otpauth"}))
                .await
                .0,
            StatusCode::OK
        );
        assert_eq!(
            owner
                .post("/authenticator/export", &json!({"format": "otpauth"}))
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        // Backup codes: only accounts tagged critical.
        assert_eq!(
            owner
                .get(&format!("/accounts/{plain}/backup-codes"))
                .await
                .0,
            StatusCode::OK
        );
        assert_eq!(
            admin
                .send(
                    Method::PUT,
                    &format!("/accounts/{id}/critical"),
                    Some(&json!({"critical": true}))
                )
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            owner
                .send(
                    Method::PUT,
                    &format!("/accounts/{id}/critical"),
                    Some(&json!({"critical": true}))
                )
                .await
                .0,
            StatusCode::NO_CONTENT
        );
        let (s, v) = owner.get(&format!("/accounts/{id}/backup-codes")).await;
        assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "approval.required"));
        let rid = second
            .get("/dual-approvals")
            .await
            .1
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["action"] == "view_backup_codes")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        // Denied: still refused, and a new request is filed.
        assert_eq!(
            second
                .post(
                    &format!("/dual-approvals/{rid}"),
                    &json!({"approve": false})
                )
                .await
                .1["status"],
            "denied"
        );
        assert_eq!(
            owner.get(&format!("/accounts/{id}/backup-codes")).await.0,
            StatusCode::FORBIDDEN
        );
        let (_, list) = second.get("/dual-approvals").await;
        let rid2 = list
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["action"] == "view_backup_codes")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_ne!(rid, rid2);
        assert_eq!(
            second
                .post(
                    &format!("/dual-approvals/{rid2}"),
                    &json!({"approve": true})
                )
                .await
                .1["status"],
            "approved"
        );
        let (s, v) = owner.get(&format!("/accounts/{id}/backup-codes")).await;
        assert_eq!((s, v["total"].as_i64()), (StatusCode::OK, Some(3)));
        let (_, ev) = owner.get("/audit?action=dual_approval.decided").await;
        assert_eq!(ev.as_array().unwrap().len(), 3);
    }
}

#[tokio::test]
async fn second_approver_panel_in_the_ui() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    t.user(&owner, "second@acme.test", "super-admin").await;
    // Whom the owner just created cannot approve the owner's requests.
    t.clock.advance_secs(8 * 24 * 3600);
    owner.step_up("owner-password-1").await;
    let (s, v) = owner
        .patch("/workspace", &json!({"two_person_rule": true}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _) = owner
        .post("/authenticator/export", &json!({"format": "otpauth"}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let r = t
        .http
        .post(format!("{}/login", t.url))
        .form(&[
            ("email", "second@acme.test"),
            ("password", "member-password-1"),
        ])
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let csrf = t
        .app
        .csrf_token(cookie.trim_start_matches("orthrus_session="));
    let hx = |req: reqwest::RequestBuilder| {
        req.header("cookie", &cookie)
            .header("hx-request", "true")
            .header("x-csrf-token", &csrf)
    };
    let audit = hx(t.http.get(format!("{}/audit", t.url)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(audit.contains("hx-get=\"/ui/dual\""));
    let panel = hx(t.http.get(format!("{}/ui/dual", t.url)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        panel.contains("owner@acme.test") && panel.contains("export every authenticator seed"),
        "{panel}"
    );
    let approve = panel
        .split("hx-post=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let dialog = hx(t.http.post(format!("{}{approve}", t.url)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(dialog.contains("Confirm your identity"), "{dialog}");
    let then = dialog
        .split("then=")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let done = hx(t.http.post(format!("{}/step-up?then={then}", t.url)))
        .form(&[("password", "member-password-1")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        done.contains("Approved.") && done.contains("Nothing is waiting"),
        "{done}"
    );
    assert_eq!(
        owner
            .post("/authenticator/export", &json!({"format": "otpauth"}))
            .await
            .0,
        StatusCode::OK
    );
}

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
        assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, "sms.pool_empty"));
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
        assert_eq!(
            (s, code(&v)),
            (StatusCode::BAD_REQUEST, "sms.invalid_number")
        );
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
        owner
            .post(
                &format!("/accounts/{id}/members"),
                &json!({"user_id": intern.user_id, "role": "collaborator"}),
            )
            .await;
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

#[tokio::test]
async fn waiting_for_a_message_marking_it_used_and_retention() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let id = owner.account("Brand IG", "pw").await;
    let (s, m) = owner
        .post(&format!("/accounts/{id}/managed-email"), &json!({}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let address = m["address"].as_str().unwrap().to_owned();
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
