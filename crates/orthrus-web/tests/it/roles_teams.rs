//! The role matrix for issue 15's directory endpoints: teams and their
//! grants on accounts, the SCIM token (made and revoked) and the audit export, every workspace
//! role × every account role. Expectations come from DESIGN.md's role table
//! and the issue (account Owners grant teams; only workspace Owners, after
//! an identity check, make the SCIM token; the audit log is for Admins and
//! above), not from the policy code.

use crate::roles::{ACCOUNT_ROLES, R, W, can_view, expect, grant, person};
use crate::support::scim::token_of;
use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

/// "Account: Owner (settings, credentials, MFA, …, members)"; workspace
/// Owners and Super Admins act as one.
fn owns(w: W, r: Option<R>) -> bool {
    r == Some(R::Owner) || w >= W::SuperAdmin
}

#[tokio::test]
async fn team_scim_and_export_endpoints_every_role() {
    for t in TestApp::all("rolematrix_teams").await {
        let boss = t.owner().await;
        // A team from the directory.
        let directory = token_of(&t, &boss, "owner-password-1").await;
        let (s, team) = directory
            .post("/Groups", &json!({"displayName": "Agency"}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{team}");
        let team = team["id"].as_str().unwrap().to_owned();
        let mut n = 0;
        for w in [W::Owner, W::SuperAdmin, W::Admin, W::User] {
            for r in ACCOUNT_ROLES {
                n += 1;
                let (who, me) = person(&t, &boss, w, r).await;
                let id = boss.account(&format!("Account {n}"), "secret").await;
                grant(&boss, &id, &me, r).await;
                let visible = can_view(w, r);
                let cases: Vec<(&str, Method, String, Option<serde_json::Value>, StatusCode)> = vec![
                    (
                        "list teams",
                        Method::GET,
                        "/teams".into(),
                        None,
                        StatusCode::OK,
                    ),
                    (
                        "an account's teams",
                        Method::GET,
                        format!("/accounts/{id}/teams"),
                        None,
                        expect(visible, visible, StatusCode::OK),
                    ),
                    (
                        "grant a team",
                        Method::PUT,
                        format!("/accounts/{id}/teams/{team}"),
                        Some(json!({"role": "collaborator"})),
                        expect(owns(w, r), visible, StatusCode::OK),
                    ),
                    (
                        "revoke a team",
                        Method::DELETE,
                        format!("/accounts/{id}/teams/{team}"),
                        None,
                        // Super Admins who are not the account's Owner need
                        // an identity check first (checked below).
                        expect(owns(w, r), visible, StatusCode::NO_CONTENT),
                    ),
                    (
                        "audit export",
                        Method::GET,
                        "/audit/export?format=jsonl".into(),
                        None,
                        if w >= W::Admin {
                            StatusCode::OK
                        } else {
                            StatusCode::FORBIDDEN
                        },
                    ),
                    (
                        "SCIM token",
                        Method::POST,
                        "/workspace/scim-token".into(),
                        Some(json!({})),
                        // Owners without an identity check: refused for that.
                        StatusCode::FORBIDDEN,
                    ),
                ];
                let forced_step_up = w == W::SuperAdmin && r != Some(R::Owner);
                for (name, method, path, body, want) in cases {
                    let (s, v) = me.send(method.clone(), &path, body.as_ref()).await;
                    let want = if forced_step_up && want.is_success() && method != Method::GET {
                        StatusCode::FORBIDDEN
                    } else {
                        want
                    };
                    assert_eq!(s, want, "{who}: {name} {path}: {v}");
                    if name == "SCIM token" {
                        let wanted = if w == W::Owner {
                            "step_up.required"
                        } else {
                            "permission.denied"
                        };
                        assert_eq!(code(&v), wanted, "{who}: {v}");
                    }
                    if forced_step_up
                        && s == StatusCode::FORBIDDEN
                        && name != "SCIM token"
                        && name != "audit export"
                    {
                        assert_eq!(code(&v), "step_up.required", "{who}: {name}: {v}");
                    }
                }
                // With an identity check: only workspace Owners make the
                // token; Super Admins may then grant teams on any account.
                me.step_up("member-password-1").await;
                let (s, v) = me.post("/workspace/scim-token", &json!({})).await;
                let want = if w == W::Owner {
                    StatusCode::CREATED
                } else {
                    StatusCode::FORBIDDEN
                };
                assert_eq!(s, want, "{who}: {v}");
                // And only they revoke it.
                let (s, v) = me.delete("/workspace/scim-token").await;
                if w == W::Owner {
                    assert_eq!(s, StatusCode::NO_CONTENT, "{who}: revoke: {v}");
                } else {
                    assert_eq!(
                        (s, code(&v)),
                        (StatusCode::FORBIDDEN, "permission.denied"),
                        "{who}: revoke: {v}"
                    );
                }
                let (s, v) = me
                    .send(
                        Method::PUT,
                        &format!("/accounts/{id}/teams/{team}"),
                        Some(&json!({"role": "manager"})),
                    )
                    .await;
                assert_eq!(
                    s,
                    expect(owns(w, r), visible, StatusCode::OK),
                    "{who}: grant after step-up: {v}"
                );
            }
        }
    }
}
