//! The JSON API end to end: health, the vault, members, audit, bad input,
//! workspace isolation and the password generator. Sign-in, sessions,
//! tokens and own 2FA are in `api_auth.rs`.

use crate::support::*;
use orthrus_core::{OsEntropy, Timestamp, UserId, WorkspaceId, WorkspaceRole};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn health_readiness_and_openapi() {
    let t = TestApp::sqlite().await;
    let r = t
        .http
        .get(format!("{}/healthz", t.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("content-security-policy").is_some());
    assert_eq!(
        t.http
            .get(format!("{}/readyz", t.url))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let (s, spec) = t.anon().get("/openapi.json").await;
    assert_eq!(s, 200);
    assert_eq!(spec["openapi"], "3.1.0");
    for path in [
        "/api/v1/auth/login",
        "/api/v1/accounts/{id}/password",
        "/api/v1/users",
        "/api/v1/audit",
        "/api/v1/accounts/{id}/members",
    ] {
        assert!(
            spec["paths"][path].is_object(),
            "{path} missing from the spec"
        );
    }
    assert!(spec["components"]["schemas"]["AccountDetail"].is_object());
}

#[tokio::test]
async fn vault_crud_concurrency_history_and_step_up() {
    for t in TestApp::all("vault").await {
        let owner = t.owner().await;
        let (s, v) = owner
            .post(
                "/accounts",
                &json!({"app": "TikTok", "label": "Ads login", "login_url": "https://ads.tiktok.com", "username": "ads@acme.test", "password": "first-password",
                        "notes": "billing contact: Kathy", "fields": [{"name": "Account PIN", "secret": true, "value": "4321"}, {"name": "Region", "value": "EU"}]}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["id"].as_str().unwrap().to_owned();
        assert_eq!(
            (
                v["app"].as_str(),
                v["my_role"].as_str(),
                v["version"].as_i64()
            ),
            (Some("tiktok"), Some("owner"), Some(1))
        );
        assert!(
            v.get("password").is_none(),
            "details never carry the password"
        );
        assert_eq!(v["notes"], "billing contact: Kathy");
        assert_eq!(
            v["fields"][0]["value"],
            serde_json::Value::Null,
            "secret field hidden"
        );
        assert_eq!(v["fields"][1]["value"], "EU");
        // ETag carries the version.
        let r = owner
            .raw(reqwest::Method::GET, &format!("/api/v1/accounts/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["etag"], "\"v1\"");
        // Edits need the version; a stale one loses nothing.
        let (s, v) = owner
            .patch(&format!("/accounts/{id}"), &json!({"label": "TikTok Ads"}))
            .await;
        assert_code(s, &v, StatusCode::PRECONDITION_REQUIRED, "version.required");
        let (s, v) = owner
            .patch(
                &format!("/accounts/{id}"),
                &json!({"version": 1, "label": "TikTok Ads", "password": "second-password"}),
            )
            .await;
        assert_eq!((s, v["version"].as_i64()), (StatusCode::OK, Some(2)), "{v}");
        let (s, v) = owner
            .patch(&format!("/accounts/{id}"), &json!({"version": 2}))
            .await;
        assert_code(s, &v, StatusCode::BAD_REQUEST, "request.empty_change");
        let (s, v) = owner
            .patch(
                &format!("/accounts/{id}"),
                &json!({"version": 1, "label": "Lost update"}),
            )
            .await;
        assert_code(s, &v, StatusCode::PRECONDITION_FAILED, "version.conflict");
        let r = owner
            .raw(reqwest::Method::PATCH, &format!("/api/v1/accounts/{id}"))
            .header("if-match", "\"v2\"")
            .json(&json!({"notes": null}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let (_, v) = owner.get(&format!("/accounts/{id}")).await;
        assert_eq!(
            (
                v["label"].as_str(),
                v["notes"].is_null(),
                v["version"].as_i64()
            ),
            (Some("TikTok Ads"), true, Some(3))
        );
        assert_eq!(v["password_history"].as_array().unwrap().len(), 1);
        assert_eq!(v["password_history"][0]["changed_by"], "owner@acme.test");
        // Reveal needs a fresh step-up, which expires.
        let (s, v) = owner.get(&format!("/accounts/{id}/password")).await;
        assert_code(s, &v, StatusCode::FORBIDDEN, "step_up.required");
        owner.step_up("owner-password-1").await;
        let (s, v) = owner.get(&format!("/accounts/{id}/password")).await;
        assert_eq!(
            (s, v["password"].as_str()),
            (StatusCode::OK, Some("second-password"))
        );
        let (_, v) = owner
            .get(&format!("/accounts/{id}/password?purpose=copy"))
            .await;
        assert_eq!(v["password"], "second-password");
        let hist = owner.get(&format!("/accounts/{id}")).await.1["password_history"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (_, v) = owner
            .get(&format!("/accounts/{id}/history/{hist}/password"))
            .await;
        assert_eq!(v["password"], "first-password");
        let field = owner.get(&format!("/accounts/{id}")).await.1["fields"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (_, v) = owner.get(&format!("/accounts/{id}/fields/{field}")).await;
        assert_eq!(v["value"], "4321");
        t.clock.advance_secs(11 * 60);
        let (s, _) = owner.get(&format!("/accounts/{id}/password")).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "step-up lasts 10 minutes");
        // Reveal and copy are separate audited actions; the refusal too.
        let (_, ev) = owner.get(&format!("/audit?target_id={id}")).await;
        let actions: Vec<(&str, &str)> = ev
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["action"].as_str().unwrap(),
                    e["outcome"].as_str().unwrap(),
                )
            })
            .collect();
        for want in [
            ("account.password_reveal", "success"),
            ("account.password_copy", "success"),
            ("account.password_reveal", "denied"),
            ("account.update", "success"),
            ("account.create", "success"),
        ] {
            assert!(actions.contains(&want), "{want:?} not in {actions:?}");
        }
        // Delete needs step-up too.
        let (s, _) = owner.delete(&format!("/accounts/{id}")).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        owner.step_up("owner-password-1").await;
        assert_eq!(
            owner.delete(&format!("/accounts/{id}")).await.0,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            owner.get(&format!("/accounts/{id}")).await.0,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn members_and_collaborators() {
    for t in TestApp::all("members").await {
        let owner = t.owner().await;
        let kathy = t.user(&owner, "kathy@acme.test", "user").await;
        let intern = t.user(&owner, "intern@acme.test", "user").await;
        let id = owner.account("Brand Instagram", "ig-secret-pw").await;
        assert_eq!(
            kathy.get(&format!("/accounts/{id}")).await.0,
            StatusCode::NOT_FOUND,
            "non-members do not see it"
        );
        let (s, v) = owner.add_member(&id, &kathy.user_id, "manager").await;
        assert_eq!(
            (s, v["role"].as_str()),
            (StatusCode::OK, Some("manager")),
            "{v}"
        );
        // The manager adds a collaborator but not another manager.
        let (s, _) = kathy.add_member(&id, &intern.user_id, "manager").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = kathy.add_member(&id, &intern.user_id, "collaborator").await;
        assert_eq!(s, StatusCode::OK);
        // "My accounts".
        let (_, mine) = intern.get("/accounts").await;
        assert_eq!(
            (mine[0]["label"].as_str(), mine[0]["my_role"].as_str()),
            (Some("Brand Instagram"), Some("collaborator"))
        );
        // Collaborators never receive the password, even after step-up.
        intern.step_up("member-password-1").await;
        let (s, v) = intern.get(&format!("/accounts/{id}/password")).await;
        assert_code(s, &v, StatusCode::FORBIDDEN, "permission.denied");
        let (_, detail) = intern.get(&format!("/accounts/{id}")).await;
        assert_eq!(detail["permissions"]["reveal_password"], false);
        assert!(!detail.to_string().contains("ig-secret-pw"));
        // The last owner cannot leave.
        let (s, v) = owner
            .delete(&format!("/accounts/{id}/members/{}", owner.user_id))
            .await;
        assert_code(s, &v, StatusCode::CONFLICT, "member.last_owner");
        assert_eq!(
            owner
                .delete(&format!("/accounts/{id}/members/{}", intern.user_id))
                .await
                .0,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            intern.get(&format!("/accounts/{id}")).await.0,
            StatusCode::NOT_FOUND
        );
        let (s, v) = owner.add_member(&id, &intern.user_id, "boss").await;
        assert_code(s, &v, StatusCode::BAD_REQUEST, "member.invalid_role");
        let (_, ev) = owner.get("/audit?action=account.member_add").await;
        assert_eq!(ev.as_array().unwrap().len(), 2);
    }
}

#[tokio::test]
async fn bad_input_gets_machine_readable_errors() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let raw = |body: &'static str, ct: &'static str| {
        let owner = &owner;
        async move {
            let r = owner
                .raw(reqwest::Method::POST, "/api/v1/accounts")
                .header("content-type", ct)
                .body(body)
                .send()
                .await
                .unwrap();
            let s = r.status();
            (s, r.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (s, v) = raw("{not json", "application/json").await;
    assert_code(s, &v, StatusCode::BAD_REQUEST, "request.invalid_json");
    let (s, v) = raw(
        r#"{"app":"x","label":"y","password":"z","colour":"red"}"#,
        "application/json",
    )
    .await;
    assert_code(s, &v, StatusCode::BAD_REQUEST, "request.invalid_body");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("colour"),
        "{v}"
    );
    let (s, v) = raw("app=x", "text/plain").await;
    assert_eq!(
        (s, code(&v)),
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "request.unsupported_media_type"
        )
    );
    let big = format!(
        r#"{{"app":"x","label":"y","password":"{}"}}"#,
        "a".repeat(2 * 1024 * 1024)
    );
    let r = owner
        .raw(reqwest::Method::POST, "/api/v1/accounts")
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(code(&r.json().await.unwrap()), "request.too_large");
    let (s, v) = owner
        .post(
            "/accounts",
            &json!({"app": "x", "label": "", "password": "p"}),
        )
        .await;
    assert_code(s, &v, StatusCode::BAD_REQUEST, "account.invalid_label");
    let (s, v) = owner
        .post(
            "/accounts",
            &json!({"app": "x", "label": "l", "login_url": "javascript:alert(1)", "password": "p"}),
        )
        .await;
    assert_code(s, &v, StatusCode::BAD_REQUEST, "account.invalid_login_url");
    let (s, v) = owner.get("/accounts/not-a-uuid").await;
    assert_code(s, &v, StatusCode::NOT_FOUND, "account.not_found");
    let (s, v) = owner.get("/accounts?scope=everything").await;
    assert_code(s, &v, StatusCode::BAD_REQUEST, "request.invalid_query");
    let (s, v) = owner
        .post(
            "/users",
            &json!({"email": "x@acme.test", "role": "root", "password": "long-enough-1"}),
        )
        .await;
    assert_code(s, &v, StatusCode::BAD_REQUEST, "user.invalid_role");
    let (s, v) = owner
        .post(
            "/users",
            &json!({"email": "owner@acme.test", "role": "user", "password": "long-enough-1"}),
        )
        .await;
    assert_code(s, &v, StatusCode::CONFLICT, "user.exists");
    let (s, v) = owner
        .post(
            "/users",
            &json!({"email": "short@acme.test", "role": "user", "password": "short"}),
        )
        .await;
    assert_code(s, &v, StatusCode::BAD_REQUEST, "password.too_short");
    let (s, v) = t.anon().get("/accounts").await;
    assert_code(s, &v, StatusCode::UNAUTHORIZED, "auth.required");
    let r = t
        .http
        .get(format!("{}/api/v1/accounts", t.url))
        .bearer_auth("ors_forged")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let (s, v) = owner.get("/no-such-endpoint").await;
    assert_code(s, &v, StatusCode::NOT_FOUND, "not_found");
    let (s, v) = owner
        .send(reqwest::Method::PUT, "/accounts", Some(&json!({})))
        .await;
    assert_code(
        s,
        &v,
        StatusCode::METHOD_NOT_ALLOWED,
        "request.method_not_allowed",
    );
}

#[tokio::test]
async fn ids_from_another_workspace_are_not_found() {
    for t in TestApp::all("tenancy").await {
        let owner = t.owner().await;
        let id = owner.account("Acme IG", "pw-acme").await;
        // A second workspace with its own owner, made directly in the store.
        let clock = t.clock.clone();
        let ws = orthrus_store::WorkspaceRow {
            id: WorkspaceId::new(&clock, &OsEntropy),
            name: "Globex".into(),
            require_2fa: false,
            step_up_minutes: 10,
            created_at: Timestamp(START),
        };
        t.app.store().create_workspace(&ws).await.unwrap();
        let hash = orthrus_crypto::PasswordHasher::new(1024, 1, 1)
            .hash("globex-password-1", &OsEntropy)
            .unwrap();
        let u = orthrus_store::UserRow {
            id: UserId::new(&clock, &OsEntropy),
            workspace_id: ws.id,
            email: "boss@globex.test".into(),
            name: "Boss".into(),
            role: WorkspaceRole::Owner,
            password_hash: hash,
            active: true,
            totp_secret: None,
            totp_enabled: false,
            totp_last_step: None,
            created_at: Timestamp(START),
            updated_at: Timestamp(START),
            access_expires_at: None,
        };
        t.app.store().create_user(&u).await.unwrap();
        let boss = t.login("boss@globex.test", "globex-password-1").await;
        boss.step_up("globex-password-1").await;
        for path in [
            format!("/accounts/{id}"),
            format!("/accounts/{id}/password"),
            format!("/accounts/{id}/members"),
        ] {
            let (s, v) = boss.get(&path).await;
            assert_eq!(
                (s, code(&v)),
                (StatusCode::NOT_FOUND, "account.not_found"),
                "{path}"
            );
        }
        assert!(
            boss.get("/accounts?scope=all")
                .await
                .1
                .as_array()
                .unwrap()
                .is_empty()
        );
        let (s, _) = boss
            .patch(
                &format!("/users/{}", owner.user_id),
                &json!({"active": false}),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert!(
            boss.get("/audit")
                .await
                .1
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["actor_email"] != "owner@acme.test")
        );
    }
}

#[tokio::test]
async fn password_generator() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let (s, v) = owner
        .post(
            "/password-generator",
            &json!({"length": 32, "symbols": false}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let pw = v["password"].as_str().unwrap();
    assert_eq!(pw.len(), 32);
    assert!(pw.chars().all(|c| c.is_ascii_alphanumeric()));
    assert!(pw.chars().any(|c| c.is_ascii_digit()) && pw.chars().any(|c| c.is_ascii_uppercase()));
    let (_, v) = owner
        .post(
            "/password-generator",
            &json!({"memorable": true, "length": 4}),
        )
        .await;
    assert_eq!(v["password"].as_str().unwrap().split('-').count(), 4);
    let (s, v) = owner
        .post(
            "/password-generator",
            &json!({"lowercase": false, "uppercase": false, "digits": false, "symbols": false}),
        )
        .await;
    assert_code(s, &v, StatusCode::BAD_REQUEST, "generator.no_classes");
    let (s, _) = owner
        .post("/password-generator", &json!({"length": 4}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}
