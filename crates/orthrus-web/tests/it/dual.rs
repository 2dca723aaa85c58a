//! The two-person rule cannot be switched off by one person (issue 11,
//! finding 3): untagging a critical account and turning the rule off need
//! step-up and a second approver, the approver must not be someone the
//! requester just created or promoted, and the rule only goes on when two
//! people can approve. Also: removing a passkey needs step-up.

use crate::support::*;
use orthrus_core::{EventId, UserId, WorkspaceId};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::sync::Arc;

const DAY: i64 = 24 * 3600;

/// An Owner with a second Owner created long enough ago to approve, and the
/// two-person rule on.
async fn two_owners_with_the_rule_on(t: &TestApp) -> (Client, Client) {
    let owner = t.owner().await;
    let second = t.user(&owner, "second@acme.test", "owner").await;
    t.clock.advance_secs(8 * DAY);
    owner.step_up("owner-password-1").await;
    second.step_up("member-password-1").await;
    owner.two_person_rule_on().await;
    (owner, second)
}

#[tokio::test]
async fn untagging_a_critical_account_needs_step_up_and_a_second_person() {
    for t in TestApp::all("dualuntag").await {
        let (owner, second) = two_owners_with_the_rule_on(&t).await;
        let id = owner.account("Critical IG", "pw").await;
        owner
            .send(
                Method::PUT,
                &format!("/accounts/{id}/backup-codes"),
                Some(&json!({"codes": ["1111 2222", "3333 4444"]})),
            )
            .await;
        let critical = |on: bool| json!({ "critical": on });
        // Tagging needs step-up, but no second person.
        let fresh = t.login("owner@acme.test", "owner-password-1").await;
        let path = format!("/accounts/{id}/critical");
        let (s, v) = fresh.send(Method::PUT, &path, Some(&critical(true))).await;
        assert_code(s, &v, StatusCode::FORBIDDEN, "step_up.required");
        let (s, v) = owner.send(Method::PUT, &path, Some(&critical(true))).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
        let backup = format!("/accounts/{id}/backup-codes");
        assert_eq!(code(&owner.get(&backup).await.1), "approval.required");
        // Untagging: step-up first, then a second person.
        let (s, v) = fresh.send(Method::PUT, &path, Some(&critical(false))).await;
        assert_code(s, &v, StatusCode::FORBIDDEN, "step_up.required");
        let (s, v) = owner.send(Method::PUT, &path, Some(&critical(false))).await;
        assert_code(s, &v, StatusCode::FORBIDDEN, "approval.required");
        let rid = second.request_for("untag_critical").await;
        assert!(v["error"]["message"].as_str().unwrap().contains(&rid));
        // Still critical until someone else approves; not the requester.
        let (s, v) = owner.approve(&rid).await;
        assert_code(s, &v, StatusCode::BAD_REQUEST, "approval.own_request");
        assert_eq!(code(&owner.get(&backup).await.1), "approval.required");
        let (s, v) = second.approve(&rid).await;
        assert_status(s, &v, StatusCode::OK, "approved");
        let (s, v) = owner.send(Method::PUT, &path, Some(&critical(false))).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
        // Untagged: its backup codes no longer wait for a second person.
        let (s, v) = owner.get(&backup).await;
        assert_eq!((s, v["total"].as_i64()), (StatusCode::OK, Some(2)), "{v}");
    }
}

#[tokio::test]
async fn turning_the_rule_off_needs_step_up_and_a_second_person() {
    for t in TestApp::all("dualoff").await {
        let (owner, second) = two_owners_with_the_rule_on(&t).await;
        let off = json!({"two_person_rule": false});
        let fresh = t.login("owner@acme.test", "owner-password-1").await;
        let (s, v) = fresh.patch("/workspace", &off).await;
        assert_code(s, &v, StatusCode::FORBIDDEN, "step_up.required");
        let (s, v) = owner.patch("/workspace", &off).await;
        assert_code(s, &v, StatusCode::FORBIDDEN, "approval.required");
        assert_eq!(owner.get("/workspace").await.1["two_person_rule"], true);
        // The refusal changed nothing else sent along.
        let (s, v) = owner
            .patch(
                "/workspace",
                &json!({"two_person_rule": false, "step_up_minutes": 20}),
            )
            .await;
        assert_code(s, &v, StatusCode::FORBIDDEN, "approval.required");
        assert_eq!(owner.get("/workspace").await.1["step_up_minutes"], 10);
        let rid = second.request_for("two_person_rule_off").await;
        let (s, v) = second.approve(&rid).await;
        assert_status(s, &v, StatusCode::OK, "approved");
        let (s, v) = owner.patch("/workspace", &off).await;
        assert_eq!(
            (s, v["two_person_rule"].as_bool()),
            (StatusCode::OK, Some(false)),
            "{v}"
        );
        // The approval was used up: turning it on and off again asks anew.
        owner
            .patch("/workspace", &json!({"two_person_rule": true}))
            .await;
        let (s, v) = owner.patch("/workspace", &off).await;
        assert_code(s, &v, StatusCode::FORBIDDEN, "approval.required");
        // Only a workspace Owner may switch it.
        let sa = t.user(&owner, "sa@acme.test", "super-admin").await;
        sa.step_up("member-password-1").await;
        let (s, v) = sa.patch("/workspace", &off).await;
        assert_code(s, &v, StatusCode::FORBIDDEN, "permission.denied");
    }
}

#[tokio::test]
async fn an_approver_the_requester_created_or_promoted_this_week_cannot_approve() {
    for t in TestApp::all("dualgrant").await {
        let owner = t.owner().await;
        let veteran = t.user(&owner, "veteran@acme.test", "owner").await;
        let promoted = t.user(&owner, "promoted@acme.test", "user").await;
        t.clock.advance_secs(7 * DAY);
        let newbie = t.user(&owner, "newbie@acme.test", "owner").await;
        let (s, v) = owner
            .patch(
                &format!("/users/{}", promoted.user_id),
                &json!({"role": "super-admin"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        // One day later: the veteran was created 8 days ago, the others
        // were created or promoted by the owner 1 day ago.
        t.clock.advance_secs(DAY);
        owner.step_up("owner-password-1").await;
        owner
            .patch("/workspace", &json!({"two_person_rule": true}))
            .await;
        let (s, v) = owner.export_seeds().await;
        assert_code(s, &v, StatusCode::FORBIDDEN, "approval.required");
        let rid = veteran.request_for("export").await;
        for approver in [&newbie, &promoted] {
            approver.step_up("member-password-1").await;
            let (s, v) = approver.approve(&rid).await;
            assert_code(s, &v, StatusCode::BAD_REQUEST, "approval.recent_grant");
        }
        assert_eq!(owner.export_seeds().await.0, StatusCode::FORBIDDEN);
        veteran.step_up("member-password-1").await;
        let (s, v) = veteran.approve(&rid).await;
        assert_status(s, &v, StatusCode::OK, "approved");
        assert_eq!(owner.export_seeds().await.0, StatusCode::OK);
        // Someone else's requests: a newcomer approves none that week,
        // whoever made them.
        veteran.step_up("member-password-1").await;
        let (s, _) = veteran.export_seeds().await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let rid = newbie.request_for("export").await;
        let (s, v) = newbie.approve(&rid).await;
        assert_code(s, &v, StatusCode::BAD_REQUEST, "approval.recent_grant");
        // Nor is a newcomer's own request approved: an Owner cannot make a
        // puppet Owner, let it ask, and approve it.
        newbie.step_up("member-password-1").await;
        let (s, _) = newbie.export_seeds().await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (_, list) = owner.get("/dual-approvals").await;
        let rid = list
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["action"] == "export" && r["requester"] == "newbie@acme.test")
            .unwrap_or_else(|| panic!("no request of the newbie in {list}"))["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (s, v) = owner.approve(&rid).await;
        assert_code(s, &v, StatusCode::BAD_REQUEST, "approval.recent_grant");
        // A week later the owner's own newbie may approve the owner too.
        t.clock.advance_secs(7 * DAY);
        owner.step_up("owner-password-1").await;
        newbie.step_up("member-password-1").await;
        owner.export_seeds().await;
        let rid = newbie.request_for("export").await;
        let (s, v) = newbie.approve(&rid).await;
        assert_status(s, &v, StatusCode::OK, "approved");
    }
}

#[tokio::test]
async fn the_rule_goes_on_only_when_two_people_can_approve() {
    for t in TestApp::all("dualtwo").await {
        let owner = t.owner().await;
        let on = json!({"two_person_rule": true});
        let (s, v) = owner.patch("/workspace", &on).await;
        assert_code(s, &v, StatusCode::FORBIDDEN, "step_up.required");
        owner.step_up("owner-password-1").await;
        let (s, v) = owner.patch("/workspace", &on).await;
        assert_code(s, &v, StatusCode::CONFLICT, "two_person.too_few_approvers");
        // An Admin cannot approve, and a deactivated Super Admin does not count.
        t.user(&owner, "it@acme.test", "admin").await;
        let gone = t.user(&owner, "gone@acme.test", "super-admin").await;
        owner
            .patch(
                &format!("/users/{}", gone.user_id),
                &json!({"active": false}),
            )
            .await;
        let (s, v) = owner.patch("/workspace", &on).await;
        assert_code(s, &v, StatusCode::CONFLICT, "two_person.too_few_approvers");
        assert_eq!(owner.get("/workspace").await.1["two_person_rule"], false);
        t.user(&owner, "second@acme.test", "super-admin").await;
        let (s, v) = owner.patch("/workspace", &on).await;
        assert_eq!(
            (s, v["two_person_rule"].as_bool()),
            (StatusCode::OK, Some(true)),
            "{v}"
        );
    }
}

/// A passkey "Work laptop" of `owner`, put straight in the store: the
/// store, the workspace, the user and the passkey's id.
async fn add_passkey(
    t: &TestApp,
    owner: &Client,
) -> (Arc<dyn orthrus_store::Store>, WorkspaceId, UserId, EventId) {
    let store = t.app.store();
    let ws = store.list_workspaces().await.unwrap()[0].id;
    let user = owner.user_id.parse().unwrap();
    let id = EventId::new(&t.clock, &orthrus_core::OsEntropy);
    store
        .create_passkey(&orthrus_store::PasskeyRow {
            id,
            workspace_id: ws,
            user_id: user,
            name: "Work laptop".into(),
            // Removal never reads the credential.
            credential: "{}".into(),
            created_at: t.app.now(),
            last_used_at: None,
        })
        .await
        .unwrap();
    (Arc::clone(store), ws, user, id)
}

/// The Owner, with a Super Admin created long enough ago to approve and the
/// two-person rule on, has asked for an export: it waits for a second person.
async fn an_export_waiting(t: &TestApp) -> Client {
    let owner = t.owner().await;
    t.user(&owner, "second@acme.test", "super-admin").await;
    // Whom the owner just created cannot approve the owner's requests.
    t.clock.advance_secs(8 * DAY);
    owner.step_up("owner-password-1").await;
    let (s, v) = owner
        .patch("/workspace", &json!({"two_person_rule": true}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _) = owner.export_seeds().await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    owner
}

#[tokio::test]
async fn removing_a_passkey_needs_step_up() {
    for t in TestApp::all("passkeydel").await {
        let owner = t.owner().await;
        let (store, ws, user, id) = add_passkey(&t, &owner).await;
        let (s, v) = owner.delete(&format!("/me/passkeys/{id}")).await;
        assert_code(s, &v, StatusCode::FORBIDDEN, "step_up.required");
        assert_eq!(store.list_passkeys(ws, user).await.unwrap().len(), 1);
        owner.step_up("owner-password-1").await;
        let (s, v) = owner.delete(&format!("/me/passkeys/{id}")).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
        assert!(store.list_passkeys(ws, user).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn the_ui_asks_for_the_password_and_for_the_second_person() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    t.user(&owner, "second@acme.test", "owner").await;
    t.user(&owner, "it@acme.test", "admin").await;
    t.clock.advance_secs(8 * DAY);
    let id = owner.account("Critical IG", "pw").await;
    let owner_ui = t.browser("owner@acme.test", "owner-password-1").await;
    let account = format!("/accounts/{id}");
    let critical = format!("/accounts/{id}/critical");
    // The button follows the policy: an Owner sees it, an Admin does not.
    let html = owner_ui.html(&account).await;
    assert!(html.contains("id=\"critical-form\""), "{html}");
    let admin = t.browser("it@acme.test", "member-password-1").await;
    let html = admin.html(&account).await;
    assert!(!html.contains("id=\"critical-form\""), "{html}");
    // A wrong password is a form error, not a sign-out.
    let r = owner_ui
        .post(&critical, &[("password", "wrong-password")])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("not correct"));
    let r = owner_ui
        .post(&critical, &[("password", "owner-password-1")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = owner_ui.html(&account).await;
    assert!(html.contains("Untag critical"), "{html}");
    // The rule goes on with the password typed under it.
    let settings = |rule: bool, password: &'static str| {
        let mut f = vec![
            ("step_up_minutes", "10"),
            ("inbox_retention_days", "30"),
            ("password", password),
        ];
        if rule {
            f.push(("two_person_rule", "on"));
        }
        f
    };
    let r = owner_ui
        .post("/workspace/settings", &settings(true, ""))
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "saved: Post/Redirect/Get"
    );
    assert_eq!(owner.get("/workspace").await.1["two_person_rule"], true);
    // Untagging now waits for a second person.
    let r = owner_ui
        .post(&critical, &[("password", "owner-password-1")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("must approve request"));
    // Turning the rule off: a fresh session is asked for its password, then
    // for a second person; the rule stays on.
    let fresh = t.browser("owner@acme.test", "owner-password-1").await;
    let html = fresh
        .post_text("/workspace/settings", &settings(false, ""))
        .await;
    assert!(html.contains("needs your password"), "{html}");
    let html = fresh
        .post_text("/workspace/settings", &settings(false, "owner-password-1"))
        .await;
    assert!(html.contains("must approve request"), "{html}");
    assert_eq!(owner.get("/workspace").await.1["two_person_rule"], true);
    // Removing a passkey asks for the password too.
    let (store, ws, user, key) = add_passkey(&t, &owner).await;
    let other = t.browser("owner@acme.test", "owner-password-1").await;
    let remove = format!("/security/passkeys/{key}/delete");
    let r = other.post(&remove, &[]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(store.list_passkeys(ws, user).await.unwrap().len(), 1);
    let r = other
        .post(&remove, &[("password", "owner-password-1")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(store.list_passkeys(ws, user).await.unwrap().is_empty());
}

#[tokio::test]
async fn second_approver_panel_in_the_ui() {
    let t = TestApp::sqlite().await;
    let owner = an_export_waiting(&t).await;
    let b = t.browser("second@acme.test", "member-password-1").await;
    let audit = text_of(b.hx_get("/audit")).await;
    assert!(audit.contains("hx-get=\"/ui/dual\""));
    let panel = text_of(b.hx_get("/ui/dual")).await;
    assert!(
        panel.contains("owner@acme.test") && panel.contains("export every authenticator seed"),
        "{panel}"
    );
    let approve = between(&panel, "hx-post=\"", "\"").replace("&amp;", "&");
    let dialog = text_of(b.hx_post(&approve)).await;
    assert!(dialog.contains("Confirm your identity"), "{dialog}");
    let then = between(&dialog, "then=", "\"").to_owned();
    let done = b.step_up_then(&then, "member-password-1").await;
    assert!(
        done.contains("Approved.") && done.contains("Nothing is waiting"),
        "{done}"
    );
    assert_eq!(owner.export_seeds().await.0, StatusCode::OK);
}

#[tokio::test]
async fn the_requester_is_not_offered_approve_on_her_own_request() {
    let t = TestApp::sqlite().await;
    // The owner asks for an export: a request waits for a second person.
    let owner = an_export_waiting(&t).await;
    let b = t.browser("owner@acme.test", "owner-password-1").await;
    let panel = text_of(b.hx_get("/ui/dual")).await;
    assert!(panel.contains("export every authenticator seed"), "{panel}");
    assert!(
        !panel.contains(">Approve<") && !panel.contains("approve=1"),
        "{panel}"
    );
    assert!(panel.contains("Your request"), "{panel}");
    // The server refuses it anyway.
    let (_, list) = owner.get("/dual-approvals").await;
    let rid = list[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(list[0]["mine"], true, "{list}");
    owner.step_up("owner-password-1").await;
    let (s, v) = owner.approve(&rid).await;
    assert_code(s, &v, StatusCode::BAD_REQUEST, "approval.own_request");
    // The second person is offered it.
    let b2 = t.browser("second@acme.test", "member-password-1").await;
    let panel = text_of(b2.hx_get("/ui/dual")).await;
    assert!(panel.contains(">Approve<"), "{panel}");
}
