//! The role matrix: every endpoint × every workspace role × every account
//! role, against expectations written from DESIGN.md's role table (not from
//! the policy code). Step-up is in `step_up.rs`.

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

/// Every account role a cell of the matrix can hold: none, or one of three.
pub(crate) const ACCOUNT_ROLES: [Option<R>; 4] = [
    None,
    Some(R::Owner),
    Some(R::Manager),
    Some(R::Collaborator),
];

/// The person of one cell of the matrix, `{w}-{r}@acme.test` with workspace
/// role `w`: the cell's name and the person, signed in.
pub(crate) async fn person(t: &TestApp, boss: &Client, w: W, r: Option<R>) -> (String, Client) {
    let who = format!("{}-{}", w.name(), r.map(R::name).unwrap_or("none"));
    let me = t.user(boss, &format!("{who}@acme.test"), w.name()).await;
    (who, me)
}

/// Gives `me` account role `r` (if any) on account `id`.
pub(crate) async fn grant(boss: &Client, id: &str, me: &Client, r: Option<R>) {
    if let Some(r) = r {
        boss.make_member(id, &me.user_id, r.name()).await;
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
            for r in ACCOUNT_ROLES {
                n += 1;
                let (who, me) = person(&t, &boss, w, r).await;
                me.step_up("member-password-1").await;
                let spare = t.user(&boss, &format!("spare{n}@acme.test"), "user").await;
                let id = boss
                    .account(&format!("Account {n}"), &format!("secret-{n}"))
                    .await;
                if let Some(r) = r {
                    let (s, v) = boss.add_member(&id, &me.user_id, r.name()).await;
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
