//! A directory's SCIM client (`/scim/v2` with the workspace's token) and
//! what the SCIM tests read from its answers.

use super::{Client, TestApp, assert_code, header};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A SCIM client with the workspace's token.
pub struct Scim {
    pub base: String,
    pub http: reqwest::Client,
    pub token: String,
}

impl Scim {
    /// A SCIM client of `env` with `token`.
    pub fn new(env: &TestApp, token: &str) -> Self {
        Self {
            base: env.url.clone(),
            http: env.http.clone(),
            token: token.to_owned(),
        }
    }

    /// The same server with another token.
    pub fn with_token(&self, token: String) -> Self {
        Self {
            base: self.base.clone(),
            http: self.http.clone(),
            token,
        }
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let mut r = self
            .http
            .request(method, format!("{}/scim/v2{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            r = r
                .header("content-type", "application/scim+json")
                .body(b.to_string());
        }
        let resp = r.send().await.unwrap();
        let status = resp.status();
        if status != StatusCode::NO_CONTENT {
            let ct = header(&resp, "content-type");
            assert_eq!(ct, "application/scim+json", "{path}");
        }
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, b: &Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, path, Some(b)).await
    }
    pub async fn patch(&self, path: &str, ops: Value) -> (StatusCode, Value) {
        let b = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops});
        self.send(reqwest::Method::PATCH, path, Some(&b)).await
    }
}

/// The owner's SCIM token (after the identity check the endpoint asks for).
pub async fn scim(env: &TestApp, owner: &Client) -> Scim {
    let (s, v) = owner.post("/workspace/scim-token", &json!({})).await;
    assert_code(s, &v, StatusCode::FORBIDDEN, "step_up.required");
    token_of(env, owner, "owner-password-1").await
}

/// The id of the one user a filtered list holds.
pub fn user_id(list: &Value) -> String {
    assert_eq!(list["totalResults"], 1, "{list}");
    list["Resources"][0]["id"].as_str().unwrap().to_owned()
}

/// Asserts a SCIM error body with `status`.
pub fn scim_error(v: &Value, status: &str) {
    assert_eq!(
        v["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"]),
        "{v}"
    );
    assert_eq!(v["status"], status, "{v}");
}

/// A SCIM token made by `c` (a workspace Owner with `password`).
pub async fn token_of(env: &TestApp, c: &Client, password: &str) -> Scim {
    c.step_up(password).await;
    let (s, v) = c.post("/workspace/scim-token", &json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    Scim::new(env, v["token"].as_str().unwrap())
}

/// The workspace of the one Owner.
pub async fn owner_ws(app: &orthrus_app::App) -> orthrus_core::WorkspaceId {
    app.store().list_workspaces().await.unwrap()[0].id
}
