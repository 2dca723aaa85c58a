//! The shared inbox page: messages of the caller's accounts, newest first,
//! the code highlighted with a copy button. New messages appear live: the
//! page listens on `/inbox/events` (server-sent events) and reloads the
//! table when told; it also refreshes every 30 s in case the stream drops.

use crate::WebState;
use crate::error::WebError;
use crate::extract::{Authed, PathId, UiForm, entity};
use crate::ui::{Page, render};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use orthrus_app::{AccountSummary, Change, InboxItem, InboxQuery};
use orthrus_core::AccountId;
use serde::{Deserialize, Serialize};
use std::convert::Infallible;
use std::time::Duration;

pub(crate) fn routes() -> Router<WebState> {
    Router::new()
        .route("/inbox", get(page))
        .route("/inbox/rows", get(rows))
        .route("/inbox/events", get(events))
        .route(
            "/inbox/forwarding",
            get(forwarding_page).post(forwarding_post),
        )
        .route("/inbox/{id}", get(message_page))
        .route(
            "/inbox/{id}/forward",
            get(back_to_message).post(message_forward),
        )
        .route("/inbox/{id}/used", get(back_to_message).post(message_used))
        .route(
            "/accounts/{id}/managed-email-ui",
            get(managed_get).post(managed_create),
        )
}

#[derive(Clone, Deserialize, Serialize, Default)]
struct Filter {
    account_id: Option<String>,
    with_code: Option<String>,
    channel: Option<String>,
    q: Option<String>,
    /// Dates (YYYY-MM-DD) from the date pickers, inclusive.
    from: Option<String>,
    to: Option<String>,
    /// The page of messages older than this message id ("Older").
    before: Option<String>,
}

/// Messages per page of the inbox page.
const PAGE_ROWS: usize = 200;

impl Filter {
    /// The query string for the rows URL (unset filters left out).
    fn query_string(&self) -> String {
        serde_urlencoded::to_string(self).unwrap_or_default()
    }
}

/// A date picker value as an RFC 3339 bound (start or end of that day, UTC).
fn day_bound(v: Option<&str>, end: bool) -> Option<String> {
    let d = v.map(str::trim).filter(|d| !d.is_empty())?;
    Some(if end {
        format!("{d}T23:59:59.999Z")
    } else {
        format!("{d}T00:00:00Z")
    })
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    page: Page,
    accounts: Vec<AccountSummary>,
    account_id: String,
    with_code: bool,
    channel: String,
    q: String,
    from: String,
    to: String,
    query: String,
}

async fn page(
    State(s): State<WebState>,
    a: Authed,
    Query(f): Query<Filter>,
) -> Result<Response, WebError> {
    let accounts = s.app.list_accounts(&a.actor, false).await?;
    render(&InboxPage {
        page: Page::new(&s, &a, "Shared inbox", "inbox"),
        accounts,
        query: f.query_string(),
        account_id: f.account_id.unwrap_or_default(),
        with_code: f.with_code.is_some(),
        channel: f.channel.unwrap_or_default(),
        q: f.q.unwrap_or_default(),
        from: f.from.unwrap_or_default(),
        to: f.to.unwrap_or_default(),
    })
}

struct Row {
    account: String,
    item: InboxItem,
}

#[derive(Template)]
#[template(path = "inbox_rows.html")]
struct Rows {
    items: Vec<Row>,
    /// Filters other than the account are set.
    filtered: bool,
    /// The query string of the next (older) page, when this one is full.
    older: Option<String>,
    /// The query string of the first page, when this is a later one.
    newest: Option<String>,
}

async fn rows(
    State(s): State<WebState>,
    a: Authed,
    Query(f): Query<Filter>,
) -> Result<Response, WebError> {
    let labels = crate::ui::account_labels(&s, &a).await?;
    let filtered = [&f.with_code, &f.channel, &f.q, &f.from, &f.to]
        .iter()
        .any(|v| v.as_deref().is_some_and(|v| !v.is_empty()));
    let items = s
        .app
        .list_inbox(
            &a.actor,
            &InboxQuery {
                limit: Some(PAGE_ROWS as i64),
                has_code: f.with_code.is_some(),
                channel: f.channel.clone().filter(|x| !x.is_empty()),
                search: f.q.clone(),
                since: day_bound(f.from.as_deref(), false),
                until: day_bound(f.to.as_deref(), true),
                account_id: f.account_id.clone().filter(|x| !x.is_empty()),
                before: f.before.clone().filter(|x| !x.is_empty()),
            },
        )
        .await?;
    let older = (items.len() >= PAGE_ROWS)
        .then(|| items.last())
        .flatten()
        .map(|last| {
            Filter {
                before: Some(last.id.clone()),
                ..f.clone()
            }
            .query_string()
        });
    let newest = f.before.as_deref().is_some_and(|b| !b.is_empty()).then(|| {
        Filter {
            before: None,
            ..f.clone()
        }
        .query_string()
    });
    let items = items
        .into_iter()
        .map(|item| Row {
            account: labels.get(&item.account_id).cloned().unwrap_or_default(),
            item,
        })
        .collect();
    render(&Rows {
        items,
        filtered,
        older,
        newest,
    })
}

#[derive(Template)]
#[template(path = "managed_email.html")]
struct Managed {
    account_id: String,
    addresses: Vec<orthrus_app::ManagedEmail>,
    can_create: bool,
}

async fn managed_section(s: &WebState, a: &Authed, id: AccountId) -> Result<Response, WebError> {
    let addresses = s.app.managed_emails(&a.actor, id).await?;
    let can_create = s
        .app
        .get_account(&a.actor, id)
        .await?
        .permissions
        .manage_mfa;
    render(&Managed {
        account_id: id.to_string(),
        addresses,
        can_create,
    })
}

pub(crate) async fn managed_get(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
) -> Result<Response, WebError> {
    managed_section(&s, &a, id).await
}

pub(crate) async fn managed_create(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
) -> Result<Response, WebError> {
    s.app.create_managed_email(&a.actor, id).await?;
    managed_section(&s, &a, id).await
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    page: Page,
    m: orthrus_app::MessageDetail,
    account: String,
    /// The sanitized HTML body.
    html: Option<String>,
    can_forward: bool,
    forward_to: String,
    notice: Option<String>,
    error: Option<String>,
}

async fn message_view(
    s: &WebState,
    a: &Authed,
    id: orthrus_core::EventId,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let m = s.app.inbox_message(&a.actor, id).await?;
    let account = match m.item.account_id.parse() {
        Ok(account) => s
            .app
            .get_account(&a.actor, account)
            .await
            .map(|d| d.summary.label)
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    let forward = if s.app.forwarding_enabled() {
        s.app
            .forward_address(&a.actor)
            .await?
            .filter(|f| f.verified)
    } else {
        None
    };
    let html = crate::sanitize::email_html_blocking(m.html.clone()).await;
    render(&MessagePage {
        page: Page::new(s, a, "Message", "inbox"),
        account,
        html,
        can_forward: forward.is_some(),
        forward_to: forward.map(|f| f.email).unwrap_or_default(),
        m,
        notice,
        error,
    })
}

async fn message_page(
    State(s): State<WebState>,
    a: Authed,
    crate::ui::Flash(flash): crate::ui::Flash,
    PathId(id): PathId<entity::Message>,
) -> Result<Response, WebError> {
    message_view(&s, &a, id, flash, None).await
}

/// The message's page, for an id that is safe to put in a URL as it is
/// (the inbox's ids are UUIDs); the inbox otherwise.
fn message_url(id: &str) -> String {
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        format!("/inbox/{id}")
    } else {
        "/inbox".to_owned()
    }
}

/// A form's URL opened with GET (a reload, a shared link): its page.
async fn back_to_message(axum::extract::Path(id): axum::extract::Path<String>) -> Response {
    axum::response::Redirect::to(&message_url(&id)).into_response()
}

async fn message_forward(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Message>,
    UiForm(_): UiForm<std::collections::HashMap<String, String>>,
) -> Result<Response, WebError> {
    match s.app.forward_message(&a.actor, id).await {
        Ok(to) => Ok(crate::ui::see_other(
            &s,
            &message_url(&id.to_string()),
            &format!("Forwarded to {to}."),
        )),
        Err(
            e @ (orthrus_app::AppError::Invalid { .. } | orthrus_app::AppError::Conflict { .. }),
        ) => message_view(&s, &a, id, None, Some(e.to_string())).await,
        Err(e) => Err(e.into()),
    }
}

async fn message_used(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Message>,
    UiForm(_): UiForm<std::collections::HashMap<String, String>>,
) -> Result<Response, WebError> {
    s.app.mark_message_used(&a.actor, id, None).await?;
    Ok(crate::ui::see_other(
        &s,
        &message_url(&id.to_string()),
        "Marked used.",
    ))
}

#[derive(Template)]
#[template(path = "forwarding.html")]
struct ForwardingPage {
    page: Page,
    enabled: bool,
    address: Option<orthrus_app::ForwardAddress>,
    notice: Option<String>,
    error: Option<String>,
}

async fn forwarding_view(
    s: &WebState,
    a: &Authed,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, WebError> {
    render(&ForwardingPage {
        page: Page::new(s, a, "Forwarding address", "inbox"),
        enabled: s.app.forwarding_enabled(),
        address: s.app.forward_address(&a.actor).await?,
        notice,
        error,
    })
}

async fn forwarding_page(
    State(s): State<WebState>,
    a: Authed,
    crate::ui::Flash(flash): crate::ui::Flash,
) -> Result<Response, WebError> {
    forwarding_view(&s, &a, flash, None).await
}

#[derive(Deserialize)]
struct ForwardingForm {
    /// `send` (set the address, send a code) or `verify` ([`ForwardingOp`]).
    op: String,
    email: Option<String>,
    code: Option<String>,
}

/// What the forwarding page's form does (its `op` field).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ForwardingOp {
    /// Set the address and send it a code.
    Send,
    /// Check the code sent to the address.
    Verify,
}

impl ForwardingOp {
    /// The operation the form's `op` names; `None` for any other word.
    fn parse(word: &str) -> Option<Self> {
        match word {
            "send" => Some(Self::Send),
            "verify" => Some(Self::Verify),
            _ => None,
        }
    }
}

async fn forwarding_post(
    State(s): State<WebState>,
    a: Authed,
    UiForm(f): UiForm<ForwardingForm>,
) -> Result<Response, WebError> {
    let Some(op) = ForwardingOp::parse(&f.op) else {
        return Err(WebError(orthrus_app::AppError::NotFound(
            orthrus_app::Entity::Page,
        )));
    };
    let done = match op {
        ForwardingOp::Send => s
            .app
            .start_forward_verification(
                &a.actor,
                f.email.as_deref().filter(|e| !e.trim().is_empty()),
            )
            .await
            .map(|x| format!("We sent a code to {}. Enter it below.", x.email)),
        ForwardingOp::Verify => s
            .app
            .verify_forward_address(&a.actor, f.code.as_deref().unwrap_or(""))
            .await
            .map(|x| format!("{} is verified: you can forward messages there.", x.email)),
    };
    match done {
        Ok(n) => Ok(crate::ui::see_other(&s, "/inbox/forwarding", &n)),
        Err(
            e @ (orthrus_app::AppError::Invalid { .. } | orthrus_app::AppError::Conflict { .. }),
        ) => forwarding_view(&s, &a, None, Some(e.to_string())).await,
        Err(e) => Err(e.into()),
    }
}

/// How long one event stream lasts before the browser reconnects (and is
/// authenticated again).
const STREAM_SECS: u64 = 600;

/// Waits for a message stored or marked used in an inbox the caller sees
/// (`account`, else any), by any node (PostgreSQL relays the others'), or
/// for a resync; `None` at `end`, or once the caller no longer sees the
/// filtered `account` (a membership or team grant taken back, on any
/// node): the stream ends rather than keep telling of an inbox they lost.
/// No polling.
async fn wait_for_inbox_change(
    s: &WebState,
    actor: &orthrus_app::Actor,
    account: Option<&str>,
    changes: &mut orthrus_app::ChangeWatch,
    end: tokio::time::Instant,
) -> Option<()> {
    let ws = actor.workspace_id;
    let filter: Option<AccountId> = account.and_then(|a| a.parse().ok());
    // With a filter, every signal is for that one inbox: still theirs?
    let still_visible = async || match filter {
        Some(f) => visible(s, actor, f).await.then_some(()),
        None => Some(()),
    };
    loop {
        let left = end.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, changes.next()).await.ok()? {
            Change::Resync => return still_visible().await,
            Change::Inbox {
                workspace,
                account: acc,
            } if workspace == ws => match filter {
                Some(f) if f == acc => return still_visible().await,
                Some(_) => {}
                None if visible(s, actor, acc).await => return Some(()),
                None => {}
            },
            // The caller's access changed (on any node): end a filtered
            // stream at once if they lost that inbox.
            Change::Access { workspace, user }
                if filter.is_some() && workspace == ws && user == actor.user_id =>
            {
                still_visible().await?;
            }
            _ => {}
        }
    }
}

/// Whether the caller sees the inbox of `account`.
async fn visible(s: &WebState, actor: &orthrus_app::Actor, account: AccountId) -> bool {
    s.app
        .list_inbox(
            actor,
            &InboxQuery {
                account_id: Some(account.to_string()),
                limit: Some(1),
                ..InboxQuery::default()
            },
        )
        .await
        .is_ok()
}

/// Server-sent events: an `inbox` event at once, then one whenever a
/// message is stored or marked used in an inbox the caller sees (on any
/// node), or after a resync of the change feed.
async fn events(
    State(s): State<WebState>,
    a: crate::live::LiveAuth,
    Query(f): Query<Filter>,
) -> Result<Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>>, WebError> {
    let account = f.account_id.filter(|x| !x.is_empty());
    // Fails now (404/403) for an account the caller cannot see.
    s.app
        .list_inbox(
            &a.actor,
            &InboxQuery {
                account_id: account.clone(),
                limit: Some(1),
                ..InboxQuery::default()
            },
        )
        .await?;
    let end = tokio::time::Instant::now() + Duration::from_secs(STREAM_SECS);
    // Listening from before the first look: nothing is missed in between.
    let changes = s.app.watch_changes();
    let start = (s.clone(), a.actor.clone(), account, changes, true);
    let stream = futures_util::stream::unfold(
        start,
        move |(s, actor, account, mut changes, first)| async move {
            if !first {
                wait_for_inbox_change(&s, &actor, account.as_deref(), &mut changes, end).await?;
            }
            let event = Event::default().event("inbox").data("changed");
            Some((Ok(event), (s, actor, account, changes, false)))
        },
    );
    // Ends within seconds of sign-out, deactivation or a role change.
    let stream = a.bound(s, stream);
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_rows_url_keeps_only_the_filters_that_are_set() {
        let f = super::Filter {
            account_id: Some("a b&c".into()),
            q: Some("TikTok code".into()),
            ..super::Filter::default()
        };
        assert_eq!(f.query_string(), "account_id=a+b%26c&q=TikTok+code");
        assert_eq!(super::Filter::default().query_string(), "");
    }
}
