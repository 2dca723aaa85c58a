//! Ids in the path are typed by the extractors (`PathId`, `PathIds`,
//! `PathIdAnd`): a malformed one answers what an id that names nothing
//! answers, the entity's 404 with the same message and body, in the API and
//! in the UI, as when the use cases parsed their ids themselves.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// An id of the right form that names nothing.
const UNKNOWN: &str = "0190c3a2-7b1e-7000-8000-000000000000";

/// The error without its request id, which differs per request.
fn without_request_id(mut v: Value) -> Value {
    assert_eq!(
        v["error"]["request_id"].as_str().map(str::len),
        Some(16),
        "{v}"
    );
    v["error"]["request_id"] = Value::Null;
    v
}

/// A page's body with its request id (shown on error pages) blanked.
async fn page(b: &Browser, method: reqwest::Method, path: &str) -> (StatusCode, String) {
    let req = match method {
        reqwest::Method::GET => b.request(method, path),
        _ => b.form(path, &[]),
    };
    blanked(req.send().await.unwrap()).await
}

#[tokio::test]
async fn a_malformed_path_id_is_the_entitys_404_in_the_api() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let account = owner.account("Brand", "pw-1").await;
    // Deciding an approval asks for step-up before anything else.
    owner.step_up("owner-password-1").await;
    // One segment (PathId), for a few kinds of id.
    for (method, path, body, code_) in [
        ("GET", "/accounts/{}".to_owned(), None, "account.not_found"),
        (
            "POST",
            "/users/{}/unlock".to_owned(),
            Some(json!({})),
            "user.not_found",
        ),
        (
            "DELETE",
            "/me/sessions/{}".to_owned(),
            None,
            "session.not_found",
        ),
        (
            "DELETE",
            "/invitations/{}".to_owned(),
            None,
            "invitation.not_found",
        ),
        (
            "POST",
            "/dual-approvals/{}".to_owned(),
            Some(json!({"approve": true})),
            "approval.not_found",
        ),
        // Two segments (PathIds): the first that does not parse answers.
        (
            "DELETE",
            format!("/accounts/{account}/members/{{}}"),
            None,
            "member.not_found",
        ),
        // An id and a number (PathIdAnd).
        (
            "POST",
            "/accounts/{}/backup-codes/1/used".to_owned(),
            None,
            "account.not_found",
        ),
    ] {
        let method: reqwest::Method = method.parse().unwrap();
        let (s, unknown) = owner
            .send(method.clone(), &path.replace("{}", UNKNOWN), body.as_ref())
            .await;
        assert_eq!(
            (s, code(&unknown)),
            (StatusCode::NOT_FOUND, code_),
            "{path}"
        );
        let (s, malformed) = owner
            .send(method, &path.replace("{}", "not-a-uuid"), body.as_ref())
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}: {malformed}");
        assert_eq!(
            without_request_id(malformed),
            without_request_id(unknown),
            "{path}"
        );
    }
    // Both segments malformed: the first one's entity.
    let (s, v) = owner.delete("/accounts/nope/members/nope").await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, "account.not_found"));
    // A number segment that does not parse is axum's rejection, as before.
    let (s, v) = owner
        .post(
            &format!("/accounts/{account}/backup-codes/x/used"),
            &json!({}),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::BAD_REQUEST, "request.invalid_path")
    );
    // Without a token, 401 still comes before the id is looked at.
    let (s, v) = t.anon().get("/accounts/not-a-uuid").await;
    assert_eq!((s, code(&v)), (StatusCode::UNAUTHORIZED, "auth.required"));
}

#[tokio::test]
async fn a_malformed_path_id_is_the_entitys_404_page_in_the_ui() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let account = owner.account("Brand", "pw-1").await;
    let b = t.browser("owner@acme.test", "owner-password-1").await;
    for (method, path) in [
        (reqwest::Method::GET, "/accounts/{}".to_owned()),
        (reqwest::Method::GET, "/accounts/{}/mfa".to_owned()),
        (
            reqwest::Method::POST,
            format!("/accounts/{account}/members/{{}}/remove"),
        ),
    ] {
        let (s, unknown) = page(&b, method.clone(), &path.replace("{}", UNKNOWN)).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}: {unknown}");
        let (s, malformed) = page(&b, method, &path.replace("{}", "not-a-uuid")).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(malformed, unknown, "{path}");
    }
}
