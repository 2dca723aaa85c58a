//! The audit log page: events in words (what was done, by whom, to which
//! account or person), filters by picking an action, an account or a
//! person, and the two-person panel for those who approve.

use crate::WebState;
use crate::error::WebError;
use crate::extract::Authed;
use crate::ui::words::{ACTIONS, action_label, words};
use crate::ui::{Page, account_labels, render};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use orthrus_app::{AuditEntry, AuditQuery};
use orthrus_core::{Action, AuditTarget};
use serde::Deserialize;
use std::collections::HashMap;

pub(crate) fn routes() -> Router<WebState> {
    Router::new().route("/audit", get(audit_page))
}

/// One event as the page shows it.
struct Row {
    e: AuditEntry,
    /// What was done, in words.
    what: String,
    /// Who did it: their name, else their email, else "system".
    who: String,
    /// What it was done to: the account's label or the person's name.
    target: String,
    /// The account's page, when the target is an account that still exists.
    target_link: Option<String>,
}

/// A choice in a filter: its value and what it shows.
struct Choice {
    value: String,
    label: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    page: Page,
    rows: Vec<Row>,
    action: String,
    target_id: String,
    actor_id: String,
    actions: Vec<Choice>,
    accounts: Vec<Choice>,
    people: Vec<Choice>,
    /// The query of the next (older) page, when there is one.
    older: Option<String>,
    /// The query of the "Download CSV" link: these filters, every page.
    export_query: String,
    /// Whether the two-person panel (requests waiting for approval) shows.
    can_approve: bool,
}

#[derive(Deserialize)]
struct AuditForm {
    action: Option<String>,
    target_id: Option<String>,
    actor_id: Option<String>,
    before: Option<i64>,
}

/// An empty field of the filter form means "any".
fn given(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn query_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn audit_page(
    State(s): State<WebState>,
    a: Authed,
    Query(q): Query<AuditForm>,
) -> Result<Response, WebError> {
    const PAGE: i64 = 50;
    let (action, target_id, actor_id) = (given(q.action), given(q.target_id), given(q.actor_id));
    let events = s
        .app
        .list_audit(
            &a.actor,
            &AuditQuery {
                action: action.clone(),
                target_id: target_id.clone(),
                actor_id: actor_id.clone(),
                before: q.before,
                limit: Some(PAGE),
                ..Default::default()
            },
        )
        .await?;
    // Names for ids: accounts the viewer can see, people of the workspace.
    let labels = account_labels(&s, &a).await?;
    let users: HashMap<String, (String, String)> = s
        .app
        .list_users(&a.actor)
        .await
        .map(|v| v.into_iter().map(|u| (u.id, (u.name, u.email))).collect())
        .unwrap_or_default();
    let person = |id: &str| {
        users.get(id).map(|(name, email)| {
            if name.trim().is_empty() {
                email.clone()
            } else {
                format!("{name} ({email})")
            }
        })
    };
    let older = (events.len() as i64 == PAGE)
        .then(|| events.last().map(|e| e.seq))
        .flatten()
        .map(|b| {
            format!(
                "before={b}&action={}&target_id={}&actor_id={}",
                query_escape(action.as_deref().unwrap_or("")),
                query_escape(target_id.as_deref().unwrap_or("")),
                query_escape(actor_id.as_deref().unwrap_or("")),
            )
        });
    let mut export_query = "format=csv".to_owned();
    for (name, v) in [
        ("action", &action),
        ("target_id", &target_id),
        ("actor_id", &actor_id),
    ] {
        if let Some(v) = v {
            export_query.push_str(&format!("&{name}={}", query_escape(v)));
        }
    }
    let rows = events
        .into_iter()
        .map(|e| {
            let who = e
                .actor_id
                .as_deref()
                .and_then(person)
                .or_else(|| e.actor_email.clone())
                .unwrap_or_else(|| "system".to_owned());
            let tid = e.target_id.clone().unwrap_or_default();
            let kind = e.target_type.as_deref();
            let (target, target_link) = match kind.map(str::parse) {
                Some(Ok(AuditTarget::Account)) => match labels.get(&tid) {
                    Some(l) => (l.clone(), Some(format!("/accounts/{tid}"))),
                    None => (
                        "an account since deleted, or not yours to see".to_owned(),
                        None,
                    ),
                },
                Some(Ok(AuditTarget::User)) => (
                    person(&tid).unwrap_or_else(|| "a person no longer listed".to_owned()),
                    None,
                ),
                // Any other kind, or one an older version stored, by its word.
                Some(_) => (kind.unwrap_or_default().replace('_', " "), None),
                None => (String::new(), None),
            };
            Row {
                what: action_label(&e.action),
                who,
                target,
                target_link,
                e,
            }
        })
        .collect();
    let mut accounts: Vec<Choice> = labels
        .into_iter()
        .map(|(value, label)| Choice { value, label })
        .collect();
    accounts.sort_by_key(|c| c.label.to_lowercase());
    let mut people: Vec<Choice> = users
        .keys()
        .map(|id| Choice {
            value: id.clone(),
            label: person(id).unwrap_or_default(),
        })
        .collect();
    people.sort_by_key(|c| c.label.to_lowercase());
    let mut actions: Vec<Choice> = ACTIONS
        .iter()
        .map(|&a| Choice {
            value: a.as_str().to_owned(),
            label: words(a).to_owned(),
        })
        .collect();
    actions.sort_by(|x, y| x.label.cmp(&y.label));
    render(&AuditPage {
        page: Page::new(&s, &a, "Audit log", "audit"),
        rows,
        action: action.unwrap_or_default(),
        target_id: target_id.unwrap_or_default(),
        actor_id: actor_id.unwrap_or_default(),
        actions,
        accounts,
        people,
        older,
        export_query,
        can_approve: s.app.permits(&a.actor, Action::ApproveDual),
    })
}
