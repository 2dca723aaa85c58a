//! Backup codes over the API: paste with preview, step-up to view or use,
//! each code once, the low-codes warning, history, and who may do what.

use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

/// Tags account `id` critical as `who`: the status.
async fn tag_critical(who: &Client, id: &str) -> StatusCode {
    who.send(
        Method::PUT,
        &format!("/accounts/{id}/critical"),
        Some(&json!({"critical": true})),
    )
    .await
    .0
}

#[tokio::test]
async fn paste_view_use_once_warn_and_replace() {
    for t in TestApp::all("backup").await {
        let owner = t.owner().await;
        let manager = t.user(&owner, "kathy@acme.test", "user").await;
        let intern = t.user(&owner, "intern@acme.test", "user").await;
        let id = owner.account("Brand Instagram", "pw").await;
        owner.add_member(&id, &manager.user_id, "manager").await;
        owner.add_member(&id, &intern.user_id, "collaborator").await;
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
        assert_code(s, &v, StatusCode::BAD_REQUEST, "backup_codes.none_found");
        // Viewing and using need step-up.
        let (s, v) = owner.get(&format!("/accounts/{id}/backup-codes")).await;
        assert_code(s, &v, StatusCode::FORBIDDEN, "step_up.required");
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
        assert_code(s, &v, StatusCode::BAD_REQUEST, "backup_codes.exhausted");
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
    let b = t.browser("owner@acme.test", "owner-password-1").await;
    let html = text_of(b.hx_get(&format!("/accounts/{id}/backup"))).await;
    assert!(
        html.contains("No backup codes stored yet") && html.contains("Add codes"),
        "{html}"
    );
    let pasted = "1. 6274 1934    4. 7755 0832\n2. 3318 4479    5. 9022 1646\n3. 8134 6206\n";
    let html = text_of(
        b.hx_post(&format!("/accounts/{id}/backup/preview"))
            .form(&[("codes", pasted)]),
    )
    .await;
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
    let html = text_of(
        b.hx_post(&format!("/accounts/{id}/backup/save"))
            .form(&[("codes", pasted)]),
    )
    .await;
    assert!(
        html.contains("Saved 5 backup codes") && !html.contains("6274 1934"),
        "{html}"
    );
    // View: the identity check first, then the list.
    let html = text_of(b.hx_post(&format!("/accounts/{id}/backup/view"))).await;
    assert!(
        html.contains("Confirm your identity") && html.contains(&format!("then=backup-view:{id}")),
        "{html}"
    );
    let html = b
        .step_up_then(&format!("backup-view:{id}"), "owner-password-1")
        .await;
    assert!(
        html.contains("6274 1934") && html.contains("Mark used"),
        "{html}"
    );
    let html = text_of(b.hx_post(&format!("/accounts/{id}/backup/use"))).await;
    assert!(
        html.contains("id=\"backup-code\">6274 1934") && html.contains("4 left"),
        "{html}"
    );
    for p in 1..=2 {
        b.hx_post(&format!("/accounts/{id}/backup/{p}/used"))
            .send()
            .await
            .unwrap();
    }
    let html = text_of(b.hx_get(&format!("/accounts/{id}/backup"))).await;
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
        assert_eq!(owner.export_seeds().await.0, StatusCode::OK);
        owner.two_person_rule_on().await;
        // Now it needs a second person; the refusal names the request.
        let (s, v) = owner.export_seeds().await;
        assert_code(s, &v, StatusCode::FORBIDDEN, "approval.required");
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
        owner.export_seeds().await;
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
        let (s, v) = owner.approve(&rid).await;
        assert_code(s, &v, StatusCode::BAD_REQUEST, "approval.own_request");
        assert_eq!(admin.get("/dual-approvals").await.0, StatusCode::FORBIDDEN);
        let fresh_second = t.login("second@acme.test", "member-password-1").await;
        assert_eq!(fresh_second.approve(&rid).await.0, StatusCode::FORBIDDEN);
        let (s, v) = second.approve(&rid).await;
        assert_status(s, &v, StatusCode::OK, "approved");
        // One use.
        assert_eq!(owner.export_seeds().await.0, StatusCode::OK);
        assert_eq!(owner.export_seeds().await.0, StatusCode::FORBIDDEN);
        // Backup codes: only accounts tagged critical.
        assert_eq!(
            owner
                .get(&format!("/accounts/{plain}/backup-codes"))
                .await
                .0,
            StatusCode::OK
        );
        assert_eq!(tag_critical(&admin, &id).await, StatusCode::FORBIDDEN);
        assert_eq!(tag_critical(&owner, &id).await, StatusCode::NO_CONTENT);
        let (s, v) = owner.get(&format!("/accounts/{id}/backup-codes")).await;
        assert_code(s, &v, StatusCode::FORBIDDEN, "approval.required");
        let rid = second.request_for("view_backup_codes").await;
        // Denied: still refused, and a new request is filed.
        assert_eq!(second.decide(&rid, false).await, "denied");
        assert_eq!(
            owner.get(&format!("/accounts/{id}/backup-codes")).await.0,
            StatusCode::FORBIDDEN
        );
        let rid2 = second.request_for("view_backup_codes").await;
        assert_ne!(rid, rid2);
        assert_eq!(second.decide(&rid2, true).await, "approved");
        let (s, v) = owner.get(&format!("/accounts/{id}/backup-codes")).await;
        assert_eq!((s, v["total"].as_i64()), (StatusCode::OK, Some(3)));
        let (_, ev) = owner.get("/audit?action=dual_approval.decided").await;
        assert_eq!(ev.as_array().unwrap().len(), 3);
    }
}
