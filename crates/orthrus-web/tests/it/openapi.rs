//! The OpenAPI document against the server: requests built the way the
//! document says reach the handlers, and what schemathesis found answering
//! outside the document stays fixed (issue 14). The document's own shape is
//! checked by the unit tests in `src/openapi.rs`; `scripts/api-check` runs
//! the validator and schemathesis.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn document(t: &TestApp) -> Value {
    let (s, doc) = t.anon().get("/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    doc
}

fn documented(doc: &Value, method: &str, path: &str, status: StatusCode) -> bool {
    doc["paths"][path][method]["responses"][status.as_str()].is_object()
}

/// Sends a raw request and returns the status, content type and body.
async fn raw(
    t: &TestApp,
    c: &Client,
    method: reqwest::Method,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, String, Value) {
    let mut r = t
        .http
        .request(method, format!("{}/api/v1{path}", t.url))
        .bearer_auth(c.token.as_deref().unwrap_or(""));
    if let Some(ct) = content_type {
        r = r.header("content-type", ct);
    }
    let r = r.body(body).send().await.unwrap();
    let status = r.status();
    let ct = header(&r, "content-type");
    let text = r.text().await.unwrap();
    (
        status,
        ct,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The query parameters were declared `in: path`, so a client built from
/// the document could not send `account_id` to `/inbox/wait` at all.
#[tokio::test]
async fn query_parameters_sent_as_documented_reach_the_handler() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let doc = document(&t).await;
    let id = owner.account("Brand Instagram", "pw").await;
    let params = doc["paths"]["/api/v1/inbox/wait"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let query: Vec<String> = params
        .iter()
        .filter(|p| p["in"] == "query")
        .map(|p| {
            let name = p["name"].as_str().unwrap();
            match name {
                "account_id" => format!("account_id={id}"),
                "timeout" => "timeout=0".to_owned(),
                other => format!("{other}=2026-11-01T00:00:00Z"),
            }
        })
        .collect();
    assert_eq!(query.len(), 3, "{params:?}");
    let (s, v) = owner.get(&format!("/inbox/wait?{}", query.join("&"))).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    assert!(documented(&doc, "get", "/api/v1/inbox/wait", s));
}

/// The import body is the export file as it is: a JSON object or text, as
/// the document now says (it said an array of integers).
#[tokio::test]
async fn import_takes_the_bodies_the_document_describes() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let doc = document(&t).await;
    let content = &doc["paths"]["/api/v1/authenticator/import"]["post"]["requestBody"]["content"];
    let text = "otpauth://totp/Brand:social%40acme.example?secret=JBSWY3DPEHPK3PXP&issuer=Brand\n";
    let aegis = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../orthrus-otp/tests/fixtures/aegis_plain.json");
    let object: Value = serde_json::from_slice(&std::fs::read(aegis).unwrap()).unwrap();
    assert!(object.is_object());
    for (ct, body) in [
        ("text/plain", text.as_bytes().to_vec()),
        ("application/json", serde_json::to_vec(&object).unwrap()),
    ] {
        assert!(content[ct].is_object(), "{ct} is documented");
        let (s, _, v) = raw(
            &t,
            &owner,
            reqwest::Method::POST,
            "/authenticator/import",
            Some(ct),
            body,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{ct}: {v}");
        assert!(
            v["entries"].as_array().is_some_and(|e| !e.is_empty()),
            "{ct}: {v}"
        );
    }
}

/// axum's own rejections (a path segment that is not a number, a body over
/// the limit) were plain text: under /api/ they are the JSON error, with a
/// documented status.
#[tokio::test]
async fn extractor_rejections_are_the_json_error() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let doc = document(&t).await;
    let id = owner.account("Brand Instagram", "pw").await;
    let (s, ct, v) = raw(
        &t,
        &owner,
        reqwest::Method::POST,
        &format!("/accounts/{id}/backup-codes/first/used"),
        None,
        Vec::new(),
    )
    .await;
    assert_eq!(
        (s, ct.as_str(), code(&v)),
        (
            StatusCode::BAD_REQUEST,
            "application/json",
            "request.invalid_path"
        ),
        "{v}"
    );
    assert_eq!(v["error"]["request_id"].as_str().map(str::len), Some(16));
    assert!(documented(
        &doc,
        "post",
        "/api/v1/accounts/{id}/backup-codes/{position}/used",
        s
    ));

    let big = vec![b'a'; 2 * 1024 * 1024];
    let (s, ct, v) = raw(
        &t,
        &t.anon(),
        reqwest::Method::POST,
        "/hooks/sms/generic",
        Some("application/json"),
        big,
    )
    .await;
    assert_eq!(
        (s, ct.as_str(), code(&v)),
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            "application/json",
            "request.too_large"
        ),
        "{v}"
    );
    assert!(documented(&doc, "post", "/api/v1/hooks/sms/generic", s));
}

/// Passkeys need a host name: a server reached by an IP address answers
/// 400 `passkey.unavailable`, which the document did not list.
#[tokio::test]
async fn passkey_registration_on_an_ip_address_is_a_documented_400() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let doc = document(&t).await;
    owner.step_up("owner-password-1").await;
    let (s, v) = owner.post("/me/passkeys/register/start", &json!({})).await;
    assert_code(s, &v, StatusCode::BAD_REQUEST, "passkey.unavailable");
    assert!(documented(
        &doc,
        "post",
        "/api/v1/me/passkeys/register/start",
        s
    ));
}

/// Every JSON body is an object in the document; serde also took an array
/// of the fields in order, so `[null, null]` cleared an account's rotation
/// settings (found by schemathesis).
#[tokio::test]
async fn a_json_body_must_be_an_object() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let id = owner.account("Brand Instagram", "pw").await;
    let (s, v) = owner
        .send(
            reqwest::Method::PUT,
            &format!("/accounts/{id}/rotation"),
            Some(&json!({"every_days": 30, "on_member_leave": true})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = owner
        .send(
            reqwest::Method::PUT,
            &format!("/accounts/{id}/rotation"),
            Some(&json!([null, null])),
        )
        .await;
    assert_code(s, &v, StatusCode::BAD_REQUEST, "request.invalid_body");
    let (_, now) = owner.get(&format!("/accounts/{id}/rotation")).await;
    assert_eq!(
        (&now["every_days"], &now["on_member_leave"]),
        (&json!(30), &json!(true)),
        "unchanged: {now}"
    );
    let (s, v) = owner
        .post(
            "/accounts",
            &json!(["instagram", "Another", "", "", "pw", null, []]),
        )
        .await;
    assert_code(s, &v, StatusCode::BAD_REQUEST, "request.invalid_body");
}
