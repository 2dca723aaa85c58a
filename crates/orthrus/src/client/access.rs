//! `orthrus accounts member`: adds a member to an account, or changes their
//! role and when their access ends (issue 15, time-boxed access).

use super::{Client, print_json, understand};
use crate::safe_text::safe;
use anyhow::bail;
use orthrus_app::{MemberInfo, UserInfo};
use serde::Serialize;

/// `POST /accounts/{id}/members`.
#[derive(Serialize)]
struct MemberBody<'a> {
    user_id: &'a str,
    role: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<String>,
}

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
    let id = c.resolve(account).await?.id;
    let users: Vec<UserInfo> = understand(&c.get("/users").await?)?;
    let Some(user) = users
        .iter()
        .find(|u| u.email.eq_ignore_ascii_case(email.trim()))
    else {
        bail!("nobody in the workspace has the email {:?}", safe(email));
    };
    let body = MemberBody {
        user_id: &user.id,
        role,
        expires_at: until,
    };
    let v = c.post(&format!("/accounts/{id}/members"), &body).await?;
    let m: MemberInfo = understand(&v)?;
    if as_json {
        print_json(&v)?;
    } else {
        let end = m
            .expires_at
            .as_deref()
            .map(|t| format!(" until {}", safe(t)))
            .unwrap_or_default();
        println!(
            "{} is {} of the account{end}.",
            safe(&m.email),
            safe(m.role.as_str())
        );
    }
    Ok(())
}
