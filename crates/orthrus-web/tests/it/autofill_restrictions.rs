//! Autofill restrictions: Collaborators are kept off an app's security
//! settings pages (the extension is refused there, Owners are not).

use crate::autofill::{put, team, urlencode};
use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn autofill_restrictions_keep_collaborators_off_app_security_settings() {
    for t in TestApp::all("autofill_restrict").await {
        let tm = team(&t).await;
        let (s, v) = tm
            .owner
            .post(
                "/accounts",
                &json!({"app": "sandbox", "label": "Sandbox", "login_url": "https://sandbox.example.test/accounts/login", "username": "sb", "password": "sb-pw"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let sb = v["id"].as_str().unwrap().to_owned();
        let (s, _) = tm
            .owner
            .add_member(&sb, &tm.collab.user_id, "collaborator")
            .await;
        assert_eq!(s, StatusCode::OK);
        let check = |c: &Client, page: &str| {
            let c = c.clone();
            let path = format!("/autofill/restrictions?url={}", urlencode(page));
            async move {
                let (s, v) = c.get(&path).await;
                assert_eq!(s, StatusCode::OK, "{v}");
                v
            }
        };
        let pw_change = "https://sandbox.example.test/accounts/password/change";
        let v = check(&tm.collab_ext, pw_change).await;
        assert_eq!(v["blocked"], true, "{v}");
        assert_eq!(v["ask"], json!(["Olivia Owner <owner@acme.test>"]));
        assert!(v["message"].as_str().unwrap().contains("Orthrus sandbox"));
        assert_eq!(
            check(
                &tm.collab_ext,
                "https://sandbox.example.test/accounts/login"
            )
            .await["blocked"],
            false
        );
        assert_eq!(
            check(&tm.owner, pw_change).await["blocked"],
            false,
            "Owners are never blocked"
        );
        let v = check(
            &tm.collab_ext,
            "https://www.instagram.com/accounts/password/change/",
        )
        .await;
        assert_eq!(v["blocked"], true, "{v}");
        assert_eq!(
            check(&tm.collab_ext, "https://www.instagram.com/explore/").await["blocked"],
            false
        );
        // Pages of a site the caller has no account on are not theirs to judge.
        assert_eq!(
            check(
                &tm.collab_ext,
                "https://unrelated.test/accounts/password/change"
            )
            .await["blocked"],
            false
        );
        // A Manager is never blocked either.
        let (s, _) = tm
            .owner
            .add_member(&sb, &tm.collab.user_id, "manager")
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(check(&tm.collab_ext, pw_change).await["blocked"], false);
        let (s, _) = tm
            .owner
            .add_member(&sb, &tm.collab.user_id, "collaborator")
            .await;
        assert_eq!(s, StatusCode::OK);
        // Workspace admins edit the list; Users cannot.
        let admin = t.user(&tm.owner, "it@acme.test", "admin").await;
        let (s, list) = admin.get("/workspace/app-restrictions").await;
        assert_eq!(s, StatusCode::OK, "{list}");
        let sandbox = list
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["app"] == "sandbox")
            .unwrap();
        assert_eq!(sandbox["default"], true);
        assert!(
            sandbox["patterns"]
                .as_array()
                .unwrap()
                .contains(&json!("/accounts/password/change"))
        );
        let (s, _) = put(
            &tm.collab,
            "/workspace/app-restrictions",
            &json!({"app": "sandbox", "patterns": []}),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = put(
            &admin,
            "/workspace/app-restrictions",
            &json!({"app": "sandbox", "patterns": ["/accounts/email/"]}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(check(&tm.collab_ext, pw_change).await["blocked"], false);
        assert_eq!(
            check(
                &tm.collab_ext,
                "https://sandbox.example.test/accounts/email/change"
            )
            .await["blocked"],
            true
        );
        let (s, v) = put(
            &admin,
            "/workspace/app-restrictions",
            &json!({"app": "sandbox", "patterns": ["no-slash"]}),
        )
        .await;
        assert_code(s, &v, StatusCode::BAD_REQUEST, "restrictions.bad_pattern");
        let (s, _) = put(
            &admin,
            "/workspace/app-restrictions",
            &json!({"app": "sandbox", "patterns": null}),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(
            check(&tm.collab_ext, pw_change).await["blocked"],
            true,
            "back to the defaults"
        );
    }
}
