//! The code routes authenticate and read in one statement
//! (`App::otp_code_with_token`): every answer is the one the two steps
//! (`Authed`, then the code view) give, in the same order: 401 for a
//! missing, unknown, revoked or expired credential and for a guest whose
//! access ended, before any 400 or 404; the 2FA enrolment rule before the
//! account's 404; the once-a-minute touch of sessions and tokens.

use crate::support::*;
use orthrus_core::{AccountId, Clock, OsEntropy, UserId, WorkspaceId, WorkspaceRole};
use reqwest::StatusCode;
use serde_json::{Value, json};

const SECRET: &str = "JBSWY3DPEHPK3PXP";

async fn view(c: &Client, id: &str) -> (StatusCode, String) {
    let (s, v) = c.get(&format!("/accounts/{id}/totp/code?via=view")).await;
    (s, code(&v).to_owned())
}

/// A code view with the session cookie, as the browser asks for it.
async fn view_by_cookie(t: &TestApp, cookie: &str, id: &str) -> (StatusCode, Value) {
    let r = t
        .http
        .get(format!("{}/api/v1/accounts/{id}/totp/code?via=view", t.url))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

fn as_token(c: &Client, token: &str) -> Client {
    Client {
        token: Some(token.to_owned()),
        ..c.clone()
    }
}

/// An account of a second workspace, made in the store directly (first-run
/// setup makes only one).
async fn foreign_account(t: &TestApp) -> AccountId {
    let store = t.app.store();
    let now = t.clock.now();
    let ws = orthrus_store::WorkspaceRow {
        id: WorkspaceId::new(&t.clock, &OsEntropy),
        name: "Other".into(),
        require_2fa: false,
        step_up_minutes: 10,
        created_at: now,
    };
    store.create_workspace(&ws).await.unwrap();
    let u = orthrus_store::UserRow {
        id: UserId::new(&t.clock, &OsEntropy),
        workspace_id: ws.id,
        email: "x@other.test".into(),
        name: "X".into(),
        role: WorkspaceRole::Owner,
        password_hash: "x".into(),
        active: true,
        totp_secret: None,
        totp_enabled: false,
        totp_last_step: None,
        created_at: now,
        updated_at: now,
        access_expires_at: None,
    };
    store.create_user(&u).await.unwrap();
    let a = orthrus_store::AccountRow {
        id: AccountId::new(&t.clock, &OsEntropy),
        workspace_id: ws.id,
        app: "instagram".into(),
        label: "Theirs".into(),
        login_url: String::new(),
        username: "them".into(),
        password: vec![1, 2, 3],
        notes: None,
        version: 1,
        created_by: u.id,
        created_at: now,
        updated_at: now,
    };
    let m = orthrus_store::MemberRow {
        workspace_id: ws.id,
        account_id: a.id,
        user_id: u.id,
        role: orthrus_core::AccountRole::Owner,
        added_by: u.id,
        added_at: now,
        expires_at: None,
    };
    store.create_account(&a, &m, &[]).await.unwrap();
    a.id
}

#[tokio::test]
async fn the_one_statement_code_view_answers_as_the_two_steps() {
    for t in TestApp::all("codeauth").await {
        let owner = t.owner().await;
        let member = t.user(&owner, "intern@acme.test", "user").await;
        let outsider = t.user(&owner, "other@acme.test", "user").await;
        let admin = t.user(&owner, "it@acme.test", "admin").await;
        let guest = t.user(&owner, "guest@agency.test", "guest").await;
        let id = owner.account("Brand Instagram", "ig-password").await;
        for (who, role) in [(&member, "collaborator"), (&guest, "collaborator")] {
            owner.make_member(&id, &who.user_id, role).await;
        }
        let ok = (StatusCode::OK, String::new());
        let unauthenticated = (StatusCode::UNAUTHORIZED, "auth.required".to_owned());
        let not_found = (StatusCode::NOT_FOUND, "account.not_found".to_owned());

        // No authenticator yet: the account is read, the code is not there.
        assert_eq!(
            view(&member, &id).await,
            (StatusCode::BAD_REQUEST, "otp.not_enrolled".into())
        );
        owner.step_up("owner-password-1").await;
        owner.enrol(&id, &json!({"secret": SECRET})).await;

        // Bearer session, API token and cookie: the same code.
        let (s, by_session) = member
            .get(&format!("/accounts/{id}/totp/code?via=view"))
            .await;
        assert_eq!(s, StatusCode::OK, "{by_session}");
        member.step_up("member-password-1").await;
        let (s, tok) = member.post("/me/tokens", &json!({"name": "ci"})).await;
        assert_eq!(s, StatusCode::CREATED, "{tok}");
        let api = as_token(&member, tok["token"].as_str().unwrap());
        let (s, by_token) = api.get(&format!("/accounts/{id}/totp/code")).await;
        assert_eq!(
            (s, &by_token["code"]),
            (StatusCode::OK, &by_session["code"])
        );
        let (cookie, _) = t
            .browser_login("intern@acme.test", "member-password-1")
            .await;
        let (s, by_cookie) = view_by_cookie(&t, &cookie, &id).await;
        assert_eq!(
            (s, &by_cookie["code"]),
            (StatusCode::OK, &by_session["code"])
        );
        // HOTP is not involved: a POST gives the TOTP code too.
        let (s, claimed) = api
            .post(&format!("/accounts/{id}/totp/code?via=copy"), &json!({}))
            .await;
        assert_eq!((s, &claimed["code"]), (StatusCode::OK, &by_session["code"]));

        // Who may not: no grant, an Admin, another workspace's account, an
        // id that is none.
        assert_eq!(view(&outsider, &id).await, not_found);
        assert_eq!(
            view(&admin, &id).await,
            (StatusCode::FORBIDDEN, "permission.denied".into())
        );
        let foreign = foreign_account(&t).await.to_string();
        assert_eq!(view(&owner, &foreign).await, not_found);
        assert_eq!(view(&api, &foreign).await, not_found);
        assert_eq!(view(&member, "not-an-id").await, not_found);

        // Bad credentials are 401 before anything about the request.
        let nobody = as_token(&member, "ors_not-a-session");
        let no_token = as_token(&member, "ort_not-a-token");
        for c in [&nobody, &no_token, &t.anon()] {
            assert_eq!(view(c, &id).await, unauthenticated);
            assert_eq!(view(c, "not-an-id").await, unauthenticated);
            let (s, v) = c.get(&format!("/accounts/{id}/totp/code?via=bogus")).await;
            assert_code(s, &v, StatusCode::UNAUTHORIZED, "auth.required");
            let (s, v) = c.get(&format!("/accounts/{id}/totp/code?nope=1")).await;
            assert_code(s, &v, StatusCode::UNAUTHORIZED, "auth.required");
        }
        let (s, v) = member
            .get(&format!("/accounts/{id}/totp/code?via=bogus"))
            .await;
        assert_code(s, &v, StatusCode::BAD_REQUEST, "request.invalid_query");
        let (s, v) = member
            .get(&format!("/accounts/{id}/totp/code?nope=1"))
            .await;
        assert_code(s, &v, StatusCode::BAD_REQUEST, "request.invalid_query");
        let (s, _) = view_by_cookie(&t, "orthrus_session=ors_forged", &id).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);

        // The last use is written at most once a minute, as for any request
        // (read without authenticating: reading through the API would touch).
        let (_, me) = owner.get("/me").await;
        let ws: WorkspaceId = me["workspace_id"].as_str().unwrap().parse().unwrap();
        let guest_id: UserId = guest.user_id.parse().unwrap();
        let member_id: UserId = member.user_id.parse().unwrap();
        let store = std::sync::Arc::clone(t.app.store());
        let last_seen = || {
            let store = std::sync::Arc::clone(&store);
            let now = t.clock.now();
            async move {
                let s = store.list_sessions(ws, guest_id, now).await.unwrap();
                assert_eq!(s.len(), 1);
                s[0].last_seen_at
            }
        };
        let last_used = || {
            let store = std::sync::Arc::clone(&store);
            async move { store.list_api_tokens(ws, member_id).await.unwrap()[0].last_used_at }
        };
        assert_eq!(view(&guest, &id).await, ok);
        assert_eq!(view(&api, &id).await, ok);
        let (seen, used) = (last_seen().await, last_used().await);
        t.clock.advance_secs(59);
        assert_eq!(view(&api, &id).await, ok);
        assert_eq!(view(&guest, &id).await, ok);
        assert_eq!((last_seen().await, last_used().await), (seen, used));
        t.clock.advance_secs(2);
        assert_eq!(view(&api, &id).await, ok);
        assert_eq!(view(&guest, &id).await, ok);
        let now = t.clock.now();
        assert_eq!(
            (last_seen().await, last_used().await),
            (now, Some(now)),
            "{}",
            t.backend
        );

        // The 2FA enrolment rule comes before the account's 404.
        let (_, en) = owner.post("/me/2fa/totp", &json!({})).await;
        let secret = orthrus_otp::parse_secret(en["secret"].as_str().unwrap()).unwrap();
        let g = orthrus_otp::Generator::new(secret, orthrus_otp::OtpParams::default()).unwrap();
        let now_secs = u64::try_from(t.clock.now().unix_seconds()).unwrap();
        let (s, _) = owner
            .post("/me/2fa/totp/confirm", &json!({"code": g.code(now_secs)}))
            .await;
        assert_eq!(s, StatusCode::OK);
        let (s, v) = owner
            .patch("/workspace", &json!({"require_2fa": true}))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let enrol = (
            StatusCode::FORBIDDEN,
            "auth.2fa_enrollment_required".to_owned(),
        );
        assert_eq!(view(&api, &id).await, enrol);
        assert_eq!(view(&outsider, "not-an-id").await, enrol);
        assert_eq!(view(&outsider, &foreign).await, enrol);
        let (s, v) = owner
            .patch("/workspace", &json!({"require_2fa": false}))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(view(&api, &id).await, ok);

        // Revoked: the token, then the member's sessions by deactivation.
        let tokens = member.get("/me/tokens").await.1;
        let tid = tokens[0]["id"].as_str().unwrap();
        let (s, _) = member.delete(&format!("/me/tokens/{tid}")).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        assert_eq!(view(&api, &id).await, unauthenticated);
        assert_eq!(view(&member, &id).await, ok);
        let (s, _) = owner
            .patch(
                &format!("/users/{}", member.user_id),
                &json!({"active": false}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(view(&member, &id).await, unauthenticated);
        assert_eq!(
            view_by_cookie(&t, &cookie, &id).await.0,
            StatusCode::UNAUTHORIZED
        );

        // A guest whose access ended, at once: signed in again a day later,
        // her session outlives her access.
        t.clock.advance_secs(86_400);
        let guest = t.login("guest@agency.test", "member-password-1").await;
        t.clock
            .advance_secs((GUEST_END - t.clock.now().millis()) / 1000 - 60);
        assert_eq!(view(&guest, &id).await, ok);
        t.clock.advance_secs(61);
        assert_eq!(view(&guest, &id).await, unauthenticated);
        assert_eq!(guest.get("/me").await.0, StatusCode::UNAUTHORIZED);
        // An expired session.
        t.clock.advance_secs(30 * 86_400);
        assert_eq!(view(&owner, &id).await, unauthenticated);
    }
}
