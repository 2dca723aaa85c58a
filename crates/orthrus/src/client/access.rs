//! `orthrus accounts member`: adds a member to an account, or changes their
//! role and when their access ends (issue 15, time-boxed access).

use super::{Client, print_json, safe};
use anyhow::bail;
use serde_json::{Value, json};

/// Adds `email` to the account with `role`, until `until` (RFC 3339 or
/// `2026-12-12T17:00`, UTC; none: no end).
pub(super) async fn member(
    c: &Client,
    account: &str,
    email: &str,
    role: &str,
    until: Option<String>,
    as_json: bool,
) -> anyhow::Result<()> {
    let id = c.resolve(account).await?["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let users = c.get("/users").await?;
    let Some(user) = users.as_array().into_iter().flatten().find(|u| {
        u["email"]
            .as_str()
            .is_some_and(|e| e.eq_ignore_ascii_case(email.trim()))
    }) else {
        bail!("nobody in the workspace has the email {:?}", safe(email));
    };
    let mut body = json!({"user_id": user["id"], "role": role});
    if let Some(t) = until {
        body["expires_at"] = Value::String(t);
    }
    let v = c.post(&format!("/accounts/{id}/members"), &body).await?;
    if as_json {
        print_json(&v)?;
    } else {
        let end = v["expires_at"]
            .as_str()
            .map(|t| format!(" until {}", safe(t)))
            .unwrap_or_default();
        println!(
            "{} is {} of the account{end}.",
            safe(v["email"].as_str().unwrap_or("")),
            safe(v["role"].as_str().unwrap_or(""))
        );
    }
    Ok(())
}
