//! The role matrix, continued: the authenticator, backup codes, inbox,
//! phone numbers, automation jobs, seed export, tokens and two-person
//! endpoints, every workspace role × every account role. Expectations come
//! from DESIGN.md's role table (see `roles.rs`), not from the policy code.

use crate::roles::{
    ACCOUNT_ROLES, R, W, can_edit_metadata, can_run_admin_automation, can_view, expect, grant,
    person,
};
use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

/// A case: name, method, path, body, and the status wanted (or, for the
/// workspace cases, whether it is allowed and the status when it is).
type Case = (
    &'static str,
    Method,
    String,
    Option<serde_json::Value>,
    StatusCode,
);
type WsCase = (
    &'static str,
    Method,
    &'static str,
    Option<serde_json::Value>,
    bool,
    StatusCode,
);

/// Collaborators "see TOTP codes and the account's inbox".
fn can_use(w: W, r: Option<R>) -> bool {
    r.is_some() || w >= W::SuperAdmin
}
/// Account Owners hold "credentials, MFA, backup codes, managed email and phone".
fn owns(w: W, r: Option<R>) -> bool {
    r == Some(R::Owner) || w >= W::SuperAdmin
}
/// Someone else's job: admins read "logs"; the account's Owners run its automations.
fn sees_others_job(w: W, r: Option<R>) -> bool {
    w >= W::Admin || can_run_admin_automation(w, r)
}

#[tokio::test]
async fn secrets_inbox_and_job_endpoints_every_role() {
    for t in TestApp::all("rolematrix2").await {
        let boss = t.owner().await;
        boss.step_up("owner-password-1").await;
        let mut checked = 0;
        let mut n = 0;
        for w in [W::Owner, W::SuperAdmin, W::Admin, W::User, W::Guest] {
            for r in ACCOUNT_ROLES {
                if w == W::Guest && r > Some(R::Collaborator) {
                    // Refused when added (see the first matrix).
                    continue;
                }
                n += 1;
                let (who, me) = person(&t, &boss, w, r).await;
                me.step_up("member-password-1").await;
                let id = boss.account(&format!("Account {n}"), "secret").await;
                // The account has an authenticator, backup codes and a
                // queued job that the boss started.
                boss.enrol(&id, &json!({"secret": "JBSWY3DPEHPK3PXP"}))
                    .await;
                let (s, v) = boss
                    .send(
                        Method::PUT,
                        &format!("/accounts/{id}/backup-codes"),
                        Some(&json!({"codes": "1111-2222\n3333-4444\n5555-6666"})),
                    )
                    .await;
                assert!(s.is_success(), "{v}");
                let (s, job) = boss
                    .post(
                        &format!("/accounts/{id}/automations"),
                        &json!({"kind": "login"}),
                    )
                    .await;
                assert_eq!(s, StatusCode::ACCEPTED, "{job}");
                let job = job["job_id"].as_str().unwrap().to_owned();
                grant(&boss, &id, &me, r).await;
                let visible = can_view(w, r);
                let job_status = if sees_others_job(w, r) {
                    StatusCode::OK
                } else {
                    StatusCode::NOT_FOUND
                };
                let cases: Vec<Case> = vec![
                    (
                        "authenticator code",
                        Method::GET,
                        format!("/accounts/{id}/totp/code"),
                        None,
                        expect(can_use(w, r), visible, StatusCode::OK),
                    ),
                    (
                        "authenticator ledger",
                        Method::GET,
                        format!("/accounts/{id}/totp/ledger"),
                        None,
                        expect(can_edit_metadata(w, r), visible, StatusCode::OK),
                    ),
                    (
                        "inbox of the account",
                        Method::GET,
                        format!("/inbox?account_id={id}"),
                        None,
                        expect(can_use(w, r), visible, StatusCode::OK),
                    ),
                    (
                        "view backup codes",
                        Method::GET,
                        format!("/accounts/{id}/backup-codes"),
                        None,
                        expect(owns(w, r), visible, StatusCode::OK),
                    ),
                    (
                        "someone else's job",
                        Method::GET,
                        format!("/jobs/{job}"),
                        None,
                        job_status,
                    ),
                    (
                        "replace backup codes",
                        Method::PUT,
                        format!("/accounts/{id}/backup-codes"),
                        Some(json!({"codes": "7777-8888\n9999-0000"})),
                        expect(owns(w, r), visible, StatusCode::OK),
                    ),
                    (
                        "managed email address",
                        Method::POST,
                        format!("/accounts/{id}/managed-email"),
                        None,
                        expect(owns(w, r), visible, StatusCode::CREATED),
                    ),
                    (
                        // The pool is empty: whoever may ask is told so.
                        "managed phone number",
                        Method::POST,
                        format!("/accounts/{id}/phone-number"),
                        None,
                        expect(owns(w, r), visible, StatusCode::BAD_REQUEST),
                    ),
                    (
                        "set up a new authenticator",
                        Method::PUT,
                        format!("/accounts/{id}/totp"),
                        Some(json!({"secret": "GEZDGNBVGY3TQOJQ"})),
                        expect(owns(w, r), visible, StatusCode::OK),
                    ),
                    (
                        "cancel someone else's job",
                        Method::POST,
                        format!("/jobs/{job}/cancel"),
                        None,
                        job_status,
                    ),
                    (
                        // Where the extension fills the password: like the login URL.
                        "extension's extra URLs",
                        Method::PUT,
                        format!("/accounts/{id}/urls"),
                        Some(json!({"urls": ["https://business.instagram.com/"]})),
                        expect(owns(w, r), visible, StatusCode::OK),
                    ),
                    (
                        "who logged in through the extension",
                        Method::GET,
                        format!("/accounts/{id}/autofills"),
                        None,
                        expect(can_edit_metadata(w, r), visible, StatusCode::OK),
                    ),
                ];
                for (name, method, path, body, want) in cases {
                    let (got, v) = me.send(method, &path, body.as_ref()).await;
                    assert_eq!(got, want, "{}: {who} {name}: {v}", t.backend);
                    checked += 1;
                }
                // Autofill candidates: the account is offered to whoever
                // may use it (Collaborators included), to nobody else.
                let (got, v) = me
                    .get("/autofill/candidates?url=https%3A%2F%2Finstagram.com%2F")
                    .await;
                assert_eq!(got, StatusCode::OK, "{who}: {v}");
                let offered = v.as_array().unwrap().iter().any(|c| c["account_id"] == id);
                assert_eq!(
                    offered,
                    can_use(w, r),
                    "{}: {who} autofill candidates: {v}",
                    t.backend
                );
                checked += 1;
                let ws_cases: Vec<WsCase> = vec![
                    (
                        "every job I may see",
                        Method::GET,
                        "/jobs",
                        None,
                        true,
                        StatusCode::OK,
                    ),
                    (
                        "every inbox I may see",
                        Method::GET,
                        "/inbox",
                        None,
                        true,
                        StatusCode::OK,
                    ),
                    (
                        "phone number pool",
                        Method::GET,
                        "/phone-numbers",
                        None,
                        w >= W::Admin,
                        StatusCode::OK,
                    ),
                    (
                        // The policy answers before the number is checked (and the
                        // pool stays empty for the case above).
                        "add to the phone number pool",
                        Method::POST,
                        "/phone-numbers",
                        Some(json!({"number": "not a number"})),
                        w >= W::Admin,
                        StatusCode::BAD_REQUEST,
                    ),
                    (
                        "export every seed",
                        Method::POST,
                        "/authenticator/export",
                        Some(json!({"format": "otpauth"})),
                        w >= W::SuperAdmin,
                        StatusCode::OK,
                    ),
                    (
                        "two-person requests",
                        Method::GET,
                        "/dual-approvals",
                        None,
                        w >= W::SuperAdmin,
                        StatusCode::OK,
                    ),
                    (
                        "app settings restrictions",
                        Method::GET,
                        "/workspace/app-restrictions",
                        None,
                        w >= W::Admin,
                        StatusCode::OK,
                    ),
                    (
                        "personal API token",
                        Method::POST,
                        "/me/tokens",
                        Some(json!({"name": format!("ci {n}")})),
                        true,
                        StatusCode::CREATED,
                    ),
                ];
                for (name, method, path, body, allowed, ok) in ws_cases {
                    let (got, v) = me.send(method, path, body.as_ref()).await;
                    let want = if allowed { ok } else { StatusCode::FORBIDDEN };
                    assert_eq!(got, want, "{}: {who} {name}: {v}", t.backend);
                    checked += 1;
                }
            }
        }
        // The staff roles' 16 combinations and a guest's two.
        assert_eq!(checked, 18 * (12 + 1 + 8));
    }
}
