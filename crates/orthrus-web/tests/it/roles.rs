//! The role matrix: every endpoint × every workspace role × every account
//! role, against expectations written from DESIGN.md's role table (not from
//! the policy code), plus every step-up-guarded endpoint without elevation.

use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum W {
    /// From outside the workspace (issue 15): only ever a Collaborator.
    Guest,
    User,
    Admin,
    SuperAdmin,
    Owner,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum R {
    Collaborator,
    Manager,
    Owner,
}

impl W {
    pub(crate) fn name(self) -> &'static str {
        match self {
            W::User => "user",
            W::Guest => "guest",
            W::Admin => "admin",
            W::SuperAdmin => "super-admin",
            W::Owner => "owner",
        }
    }
}

impl R {
    pub(crate) fn name(self) -> &'static str {
        match self {
            R::Collaborator => "collaborator",
            R::Manager => "manager",
            R::Owner => "owner",
        }
    }
}

/// A workspace-scoped case: name, method, path, body, allowed, status when allowed.
type WsCase = (
    &'static str,
    Method,
    String,
    Option<serde_json::Value>,
    bool,
    StatusCode,
);

/// DESIGN.md, "Roles", as expectations.
pub(crate) fn can_view(w: W, r: Option<R>) -> bool {
    r.is_some() || w >= W::Admin
}
pub(crate) fn can_edit_metadata(w: W, r: Option<R>) -> bool {
    r == Some(R::Owner) || w >= W::Admin
}
pub(crate) fn can_edit_credentials(w: W, r: Option<R>) -> bool {
    r == Some(R::Owner) || w >= W::SuperAdmin
}
pub(crate) fn can_reveal(w: W, r: Option<R>) -> bool {
    r >= Some(R::Manager) || w >= W::SuperAdmin
}
pub(crate) fn can_add_collaborator(w: W, r: Option<R>) -> bool {
    r >= Some(R::Manager) || w >= W::SuperAdmin
}
pub(crate) fn can_add_manager(w: W, r: Option<R>) -> bool {
    r == Some(R::Owner) || w >= W::SuperAdmin
}
pub(crate) fn can_delete(w: W, r: Option<R>) -> bool {
    r == Some(R::Owner) || w >= W::SuperAdmin
}
/// Collaborators "log in through autofill or automation".
pub(crate) fn can_run_login(w: W, r: Option<R>) -> bool {
    r.is_some() || w >= W::SuperAdmin
}
/// Account Owners have the account's "automations".
pub(crate) fn can_run_admin_automation(w: W, r: Option<R>) -> bool {
    r == Some(R::Owner) || w >= W::SuperAdmin
}
/// The automation log of an account: its members, and admins ("logs").
pub(crate) fn can_read_job_log(w: W, r: Option<R>) -> bool {
    r.is_some() || w >= W::Admin
}

/// The status an account endpoint must answer: allowed → `ok`; not allowed
/// but visible → 403; not even visible → 404.
pub(crate) fn expect(allowed: bool, visible: bool, ok: StatusCode) -> StatusCode {
    if allowed {
        ok
    } else if visible {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::NOT_FOUND
    }
}

#[tokio::test]
async fn every_endpoint_every_workspace_role_every_account_role() {
    for t in TestApp::all("rolematrix").await {
        let boss = t.owner().await;
        let mut n = 0;
        let mut checked = 0;
        for w in [W::Owner, W::SuperAdmin, W::Admin, W::User, W::Guest] {
            for r in [
                None,
                Some(R::Owner),
                Some(R::Manager),
                Some(R::Collaborator),
            ] {
                n += 1;
                let who = format!("{}-{}", w.name(), r.map(R::name).unwrap_or("none"));
                let me = t.user(&boss, &format!("{who}@acme.test"), w.name()).await;
                me.step_up("member-password-1").await;
                let spare = t.user(&boss, &format!("spare{n}@acme.test"), "user").await;
                let id = boss
                    .account(&format!("Account {n}"), &format!("secret-{n}"))
                    .await;
                if let Some(r) = r {
                    let (s, v) = boss
                        .post(
                            &format!("/accounts/{id}/members"),
                            &json!({"user_id": me.user_id, "role": r.name()}),
                        )
                        .await;
                    if w == W::Guest && r > R::Collaborator {
                        // A guest is only ever a Collaborator.
                        assert_eq!(
                            (s, code(&v)),
                            (StatusCode::BAD_REQUEST, "member.guest_collaborator_only"),
                            "{}: {who}",
                            t.backend
                        );
                        continue;
                    }
                    assert_eq!(s, StatusCode::OK, "{v}");
                }
                let visible = can_view(w, r);
                let version = boss.get(&format!("/accounts/{id}")).await.1["version"]
                    .as_i64()
                    .unwrap();
                let cases: Vec<(&str, Method, String, Option<serde_json::Value>, StatusCode)> = vec![
                    (
                        "view",
                        Method::GET,
                        format!("/accounts/{id}"),
                        None,
                        expect(visible, visible, StatusCode::OK),
                    ),
                    (
                        "members",
                        Method::GET,
                        format!("/accounts/{id}/members"),
                        None,
                        expect(visible, visible, StatusCode::OK),
                    ),
                    (
                        "edit label",
                        Method::PATCH,
                        format!("/accounts/{id}"),
                        Some(json!({"version": version, "label": format!("Renamed {n}")})),
                        expect(can_edit_metadata(w, r), visible, StatusCode::OK),
                    ),
                    (
                        "edit username",
                        Method::PATCH,
                        format!("/accounts/{id}"),
                        Some(
                            json!({"version": version + i64::from(can_edit_metadata(w, r)), "username": "new-user"}),
                        ),
                        expect(can_edit_credentials(w, r), visible, StatusCode::OK),
                    ),
                    (
                        "reveal",
                        Method::GET,
                        format!("/accounts/{id}/password"),
                        None,
                        expect(can_reveal(w, r), visible, StatusCode::OK),
                    ),
                    (
                        "add collaborator",
                        Method::POST,
                        format!("/accounts/{id}/members"),
                        Some(json!({"user_id": spare.user_id, "role": "collaborator"})),
                        expect(can_add_collaborator(w, r), visible, StatusCode::OK),
                    ),
                    (
                        "add manager",
                        Method::POST,
                        format!("/accounts/{id}/members"),
                        Some(json!({"user_id": spare.user_id, "role": "manager"})),
                        expect(can_add_manager(w, r), visible, StatusCode::OK),
                    ),
                    (
                        "run a login automation",
                        Method::POST,
                        format!("/accounts/{id}/automations"),
                        Some(json!({"kind": "login"})),
                        expect(can_run_login(w, r), visible, StatusCode::ACCEPTED),
                    ),
                    (
                        "rotate the password by automation",
                        Method::POST,
                        format!("/accounts/{id}/automations"),
                        Some(json!({"kind": "rotate_password"})),
                        expect(
                            can_run_admin_automation(w, r),
                            visible,
                            StatusCode::ACCEPTED,
                        ),
                    ),
                    (
                        "rotation settings",
                        Method::GET,
                        format!("/accounts/{id}/rotation"),
                        None,
                        expect(can_run_admin_automation(w, r), visible, StatusCode::OK),
                    ),
                    (
                        "set the rotation",
                        Method::PUT,
                        format!("/accounts/{id}/rotation"),
                        Some(json!({"every_days": 30, "on_member_leave": true})),
                        expect(can_run_admin_automation(w, r), visible, StatusCode::OK),
                    ),
                    (
                        "the account's automation log",
                        Method::GET,
                        format!("/jobs?account_id={id}"),
                        None,
                        expect(can_read_job_log(w, r), visible, StatusCode::OK),
                    ),
                    (
                        "ask for access",
                        Method::POST,
                        format!("/accounts/{id}/access-requests"),
                        Some(
                            json!({"role": "owner", "reason": "cover for the holidays", "duration_hours": 24}),
                        ),
                        // Workspace Users and above ask; holding the role
                        // already is a conflict.
                        if w == W::Guest {
                            StatusCode::FORBIDDEN
                        } else if r == Some(R::Owner) {
                            StatusCode::CONFLICT
                        } else {
                            StatusCode::CREATED
                        },
                    ),
                    (
                        "delete",
                        Method::DELETE,
                        format!("/accounts/{id}"),
                        None,
                        expect(can_delete(w, r), visible, StatusCode::NO_CONTENT),
                    ),
                ];
                for (name, method, path, body, want) in cases {
                    let (got, v) = me.send(method, &path, body.as_ref()).await;
                    assert_eq!(got, want, "{}: {who} {name}: {v}", t.backend);
                    if got == StatusCode::OK && name == "reveal" {
                        assert_eq!(v["password"], format!("secret-{n}"));
                    }
                    checked += 1;
                }
                // Workspace-scoped endpoints depend on the workspace role only.
                let ws_cases: Vec<WsCase> = vec![
                    (
                        "list all accounts",
                        Method::GET,
                        "/accounts?scope=all".into(),
                        None,
                        w >= W::Admin,
                        StatusCode::OK,
                    ),
                    (
                        "my accounts",
                        Method::GET,
                        "/accounts".into(),
                        None,
                        true,
                        StatusCode::OK,
                    ),
                    (
                        "create account",
                        Method::POST,
                        "/accounts".into(),
                        Some(json!({"app": "x", "label": format!("Own {n}"), "password": "p"})),
                        w > W::Guest,
                        StatusCode::CREATED,
                    ),
                    (
                        "list users",
                        Method::GET,
                        "/users".into(),
                        None,
                        w > W::Guest,
                        StatusCode::OK,
                    ),
                    (
                        "create user",
                        Method::POST,
                        "/users".into(),
                        Some(
                            json!({"email": format!("u{n}@acme.test"), "role": "user", "password": "member-password-1"}),
                        ),
                        w >= W::Admin,
                        StatusCode::CREATED,
                    ),
                    (
                        "create admin",
                        Method::POST,
                        "/users".into(),
                        Some(
                            json!({"email": format!("a{n}@acme.test"), "role": "admin", "password": "member-password-1"}),
                        ),
                        w >= W::SuperAdmin,
                        StatusCode::CREATED,
                    ),
                    (
                        "create super admin",
                        Method::POST,
                        "/users".into(),
                        Some(
                            json!({"email": format!("s{n}@acme.test"), "role": "super-admin", "password": "member-password-1"}),
                        ),
                        w >= W::SuperAdmin,
                        StatusCode::CREATED,
                    ),
                    (
                        "create owner",
                        Method::POST,
                        "/users".into(),
                        Some(
                            json!({"email": format!("o{n}@acme.test"), "role": "owner", "password": "member-password-1"}),
                        ),
                        w == W::Owner,
                        StatusCode::CREATED,
                    ),
                    (
                        "invite a user",
                        Method::POST,
                        "/invitations".into(),
                        Some(json!({"email": format!("iu{n}@acme.test"), "role": "user"})),
                        w >= W::Admin,
                        StatusCode::CREATED,
                    ),
                    (
                        "invite an admin",
                        Method::POST,
                        "/invitations".into(),
                        Some(json!({"email": format!("ia{n}@acme.test"), "role": "admin"})),
                        w >= W::SuperAdmin,
                        StatusCode::CREATED,
                    ),
                    (
                        "invite an owner",
                        Method::POST,
                        "/invitations".into(),
                        Some(json!({"email": format!("io{n}@acme.test"), "role": "owner"})),
                        w == W::Owner,
                        StatusCode::CREATED,
                    ),
                    (
                        "list invitations",
                        Method::GET,
                        "/invitations".into(),
                        None,
                        w >= W::Admin,
                        StatusCode::OK,
                    ),
                    (
                        "promote user to admin",
                        Method::PATCH,
                        format!("/users/{}", spare.user_id),
                        Some(json!({"role": "admin"})),
                        w >= W::SuperAdmin,
                        StatusCode::OK,
                    ),
                    (
                        "change the owner's role",
                        Method::PATCH,
                        format!("/users/{}", boss.user_id),
                        Some(json!({"role": "user"})),
                        false,
                        StatusCode::OK,
                    ),
                    (
                        "unlock a user",
                        Method::POST,
                        format!("/users/{}/unlock", spare.user_id),
                        None,
                        w >= W::Admin,
                        StatusCode::NO_CONTENT,
                    ),
                    (
                        "audit log",
                        Method::GET,
                        "/audit".into(),
                        None,
                        w >= W::Admin,
                        StatusCode::OK,
                    ),
                    (
                        "workspace settings",
                        Method::GET,
                        "/workspace".into(),
                        None,
                        true,
                        StatusCode::OK,
                    ),
                    (
                        "change workspace settings",
                        Method::PATCH,
                        "/workspace".into(),
                        Some(json!({"step_up_minutes": 10})),
                        w == W::Owner,
                        StatusCode::OK,
                    ),
                    (
                        "generate password",
                        Method::POST,
                        "/password-generator".into(),
                        Some(json!({})),
                        true,
                        StatusCode::OK,
                    ),
                    ("me", Method::GET, "/me".into(), None, true, StatusCode::OK),
                    (
                        "account directory",
                        Method::GET,
                        "/account-directory".into(),
                        None,
                        w > W::Guest,
                        StatusCode::OK,
                    ),
                    (
                        "my access requests",
                        Method::GET,
                        "/access-requests".into(),
                        None,
                        true,
                        StatusCode::OK,
                    ),
                    (
                        "create guest",
                        Method::POST,
                        "/users".into(),
                        Some(
                            json!({"email": format!("g{n}@agency.test"), "role": "guest", "password": "member-password-1", "access_expires_at": "2026-12-01T00:00:00Z"}),
                        ),
                        w >= W::Admin,
                        StatusCode::CREATED,
                    ),
                ];
                for (name, method, path, body, allowed, ok) in ws_cases {
                    let (got, v) = me.send(method, &path, body.as_ref()).await;
                    let want = if name == "change the owner's role" && w == W::Owner {
                        // An Owner may demote another Owner (the boss is not the last one).
                        StatusCode::OK
                    } else if allowed {
                        ok
                    } else {
                        StatusCode::FORBIDDEN
                    };
                    assert_eq!(got, want, "{}: {who} {name}: {v}", t.backend);
                    if name == "change the owner's role" && got == StatusCode::OK {
                        let (s, _) = me
                            .patch(
                                &format!("/users/{}", boss.user_id),
                                &json!({"role": "owner"}),
                            )
                            .await;
                        assert_eq!(s, StatusCode::OK);
                    }
                    checked += 1;
                }
            }
        }
        // 16 combinations of the four staff roles, and a guest without an
        // account role or as a Collaborator (the two other roles are
        // refused above).
        assert_eq!(checked, 18 * (14 + 23));
    }
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
    let guarded: Vec<(Method, String, Option<serde_json::Value>)> = vec![
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
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNAUTHORIZED, "auth.invalid_credentials")
    );
    let (s, _) = fresh.get(&format!("/accounts/{id}/password")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Elevation belongs to one session only.
    fresh.step_up("owner-password-1").await;
    assert_eq!(
        fresh.get(&format!("/accounts/{id}/password")).await.0,
        StatusCode::OK
    );
    let other = t.login("owner@acme.test", "owner-password-1").await;
    assert_eq!(
        other.get(&format!("/accounts/{id}/password")).await.0,
        StatusCode::FORBIDDEN
    );
    let (_, ev) = owner.get("/audit?action=auth.step_up").await;
    assert!(
        ev.as_array()
            .unwrap()
            .iter()
            .any(|e| e["outcome"] == "failure")
    );
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
        let (s, req) = laptop.post("/auth/step-up/device", &json!({})).await;
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
        assert_eq!(
            other
                .post(&format!("/me/approvals/{rid}"), &json!({"number": number}))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        let (s, v) = laptop
            .post(&format!("/me/approvals/{rid}"), &json!({"number": number}))
            .await;
        assert_eq!(
            (s, code(&v)),
            (StatusCode::BAD_REQUEST, "approval.same_device")
        );
        // A wrong pick denies (and alerts); the request is then closed.
        let wrong = choices.iter().find(|c| **c != number).unwrap();
        let (_, v) = phone
            .post(&format!("/me/approvals/{rid}"), &json!({"number": wrong}))
            .await;
        assert_eq!(v["status"], "denied");
        assert_eq!(
            laptop.get(&format!("/auth/step-up/device/{rid}")).await.1["status"],
            "denied"
        );
        assert_eq!(
            phone
                .post(&format!("/me/approvals/{rid}"), &json!({"number": number}))
                .await
                .0,
            StatusCode::CONFLICT
        );
        assert_eq!(
            laptop.get(&format!("/accounts/{id}/password")).await.0,
            StatusCode::FORBIDDEN
        );
        let (_, ev) = owner.get("/audit?action=auth.step_up").await;
        assert!(
            ev.as_array()
                .unwrap()
                .iter()
                .any(|e| e["outcome"] == "denied" && e["detail"]["reason"] == "wrong_number")
        );
        // The right pick elevates the laptop's session (and only it).
        let (_, req) = laptop.post("/auth/step-up/device", &json!({})).await;
        let rid = req["id"].as_str().unwrap().to_owned();
        let (_, v) = phone
            .post(
                &format!("/me/approvals/{rid}"),
                &json!({"number": req["number"]}),
            )
            .await;
        assert_eq!(v["status"], "approved");
        let (_, st) = laptop.get(&format!("/auth/step-up/device/{rid}")).await;
        assert_eq!(st["status"], "approved");
        // Reading the status elevates nothing; the laptop completes it with
        // a POST (another session of the same user cannot).
        assert_eq!(
            laptop.get(&format!("/accounts/{id}/password")).await.0,
            StatusCode::FORBIDDEN
        );
        let complete = format!("/auth/step-up/device/{rid}");
        assert_eq!(
            phone.post(&complete, &json!({})).await.0,
            StatusCode::NOT_FOUND
        );
        let (s, st) = laptop.post(&complete, &json!({})).await;
        assert_eq!(
            (s, st["status"].as_str()),
            (StatusCode::OK, Some("used")),
            "{st}"
        );
        assert!(st["elevated_until"].is_string(), "{st}");
        assert_eq!(
            laptop.get(&format!("/accounts/{id}/password")).await.1["password"],
            "device-pw"
        );
        assert_eq!(
            phone.get(&format!("/accounts/{id}/password")).await.0,
            StatusCode::FORBIDDEN
        );
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
        let (_, req) = laptop.post("/auth/step-up/device", &json!({})).await;
        let (_, v) = phone
            .post(
                &format!("/me/approvals/{}", req["id"].as_str().unwrap()),
                &json!({"deny": true}),
            )
            .await;
        assert_eq!(v["status"], "denied");
        let (_, req) = laptop.post("/auth/step-up/device", &json!({})).await;
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
        let (s, v) = phone
            .post(
                &format!("/me/approvals/{rid}"),
                &json!({"number": req["number"]}),
            )
            .await;
        assert_eq!((s, code(&v)), (StatusCode::CONFLICT, "approval.closed"));
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
            let (_, req) = laptop.post("/auth/step-up/device", &json!({})).await;
            let rid = req["id"].as_str().unwrap().to_owned();
            let (_, v) = phone
                .post(
                    &format!("/me/approvals/{rid}"),
                    &json!({"number": req["number"]}),
                )
                .await;
            assert_eq!(v["status"], "approved", "{v}");
            format!("/auth/step-up/device/{rid}")
        };
        // Used once: after the elevation lapses, it cannot elevate again.
        let path = approved().await;
        assert_eq!(laptop.post(&path, &json!({})).await.0, StatusCode::OK);
        assert_eq!(laptop.get(&password).await.0, StatusCode::OK);
        let (s, v) = laptop.post(&path, &json!({})).await;
        assert_eq!((s, code(&v)), (StatusCode::CONFLICT, "approval.used"));
        t.clock.advance_secs(11 * 60);
        assert_eq!(laptop.get(&password).await.0, StatusCode::FORBIDDEN);
        let (s, v) = laptop.post(&path, &json!({})).await;
        assert_eq!((s, code(&v)), (StatusCode::CONFLICT, "approval.used"));
        assert_eq!(laptop.get(&path).await.1["status"], "used");
        assert_eq!(laptop.get(&password).await.0, StatusCode::FORBIDDEN);
        // An approval left unused for more than 5 minutes has expired.
        let path = approved().await;
        t.clock.advance_secs(5 * 60 + 1);
        assert_eq!(laptop.get(&path).await.1["status"], "expired");
        let (s, v) = laptop.post(&path, &json!({})).await;
        assert_eq!((s, code(&v)), (StatusCode::CONFLICT, "approval.expired"));
        assert_eq!(laptop.get(&password).await.0, StatusCode::FORBIDDEN);
        // Within the 5 minutes it works.
        let path = approved().await;
        t.clock.advance_secs(4 * 60);
        assert_eq!(laptop.post(&path, &json!({})).await.0, StatusCode::OK);
        assert_eq!(laptop.get(&password).await.1["password"], "device-pw");
        // Not before it is approved.
        let (_, req) = laptop.post("/auth/step-up/device", &json!({})).await;
        let (s, v) = laptop
            .post(
                &format!("/auth/step-up/device/{}", req["id"].as_str().unwrap()),
                &json!({}),
            )
            .await;
        assert_eq!((s, code(&v)), (StatusCode::CONFLICT, "approval.pending"));
    }
}
