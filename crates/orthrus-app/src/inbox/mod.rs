//! Managed email addresses and the shared inbox: every message to an
//! account's managed address is stored sealed with its code and confirmation
//! link already pulled out (`orthrus-extract`), for the members who may see
//! the account's inbox.
//!
//! `mod.rs` holds the views and reading (listing, one message); `receive.rs`
//! managed addresses and storing what arrives; `wait.rs` waiting for the
//! next message, used marks and retention; `sealed.rs` the sealed payload.

mod receive;
mod sealed;
mod wait;

pub(crate) use sealed::{Sealed, pack, unpack, unpack_fields};

use crate::InvalidCode;
use crate::{Action, Actor, App, AppError, Entity, Result};
use orthrus_core::{AccountId, Channel, DkimVerdict, DmarcVerdict, EventId, Subject};
use orthrus_store::InboxMessageRow;
use serde::{Deserialize, Serialize};

/// A managed address.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ManagedEmail {
    pub id: String,
    pub address: String,
    pub enabled: bool,
    pub created_at: String,
}

/// A message as the inbox shows it.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InboxItem {
    pub id: String,
    pub account_id: String,
    /// `email` or `sms`.
    #[schema(value_type = String)]
    pub channel: Channel,
    pub sender: String,
    pub subject: Option<String>,
    pub preview: String,
    pub received_at: String,
    pub code: Option<String>,
    pub confirm_link: Option<String>,
    /// When someone marked the code used.
    pub used_at: Option<String>,
    /// Sender authentication of an email (none for SMS and for mail stored
    /// before it was checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<SenderAuth>,
    /// Why automations leave this message to people (its sender is not
    /// shown to be the app's own, by the app's recipe); absent when they
    /// may use it or no recipe speaks for the account's app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automation_refusal: Option<crate::AutomationRefusal>,
}

impl InboxItem {
    /// A code that must not be used without a person looking at it.
    pub fn flagged(&self) -> bool {
        self.auth.as_ref().is_some_and(|a| a.flagged)
    }
}

/// One message as the message view shows it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MessageDetail {
    #[serde(flatten)]
    pub item: InboxItem,
    /// The managed address or number it was sent to.
    pub recipient: String,
    /// The To and Date headers of an email.
    pub to: Option<String>,
    pub date: Option<String>,
    /// The plain-text body (an SMS's text).
    pub text: Option<String>,
    /// The HTML body. From [`App::inbox_message`] it is as sent; the web
    /// layer replaces it with a sanitized copy before anything renders it.
    pub html: Option<String>,
    /// The links in the message, shown as text and never followed.
    pub links: Vec<MessageLink>,
}

/// A link found in a message.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MessageLink {
    pub text: String,
    pub url: String,
}

/// The sender-authentication verdict of an email (DKIM and DMARC).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SenderAuth {
    /// `pass` (a signature verified), `fail`, `neutral`, `permerror`,
    /// `temperror` or `none` (unsigned).
    #[schema(value_type = String)]
    pub dkim: DkimVerdict,
    /// Domains whose DKIM signatures verified.
    #[serde(default)]
    pub dkim_domains: Vec<String>,
    /// DMARC alignment: `pass`, `fail`, `none` (no policy), `temperror`,
    /// `permerror`.
    #[schema(value_type = String)]
    pub dmarc: DmarcVerdict,
    /// The From header's domain.
    pub from_domain: String,
    /// The sender claims a well-known app domain but fails authentication:
    /// its code is shown with a warning and never used automatically.
    pub flagged: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Filters for the inbox.
#[derive(Clone, Debug, Default)]
pub struct InboxQuery {
    pub account_id: Option<String>,
    pub limit: Option<i64>,
    /// `email` or `sms`.
    pub channel: Option<String>,
    /// Only messages with a code.
    pub has_code: bool,
    /// Words to find (each whole, any case) in the sender, subject, code or
    /// text: messages holding all of them.
    pub search: Option<String>,
    /// RFC 3339 bounds on the received time (inclusive).
    pub since: Option<String>,
    pub until: Option<String>,
    /// A message id: only messages older than that one (the next page
    /// after a page whose last message it was).
    pub before: Option<String>,
}

fn parse_bound(name: &str, v: Option<&str>) -> Result<Option<orthrus_core::Timestamp>> {
    match v.filter(|s| !s.trim().is_empty()) {
        None => Ok(None),
        Some(s) => orthrus_core::Timestamp::parse_rfc3339(s.trim())
            .map(Some)
            .ok_or_else(|| {
                AppError::invalid(
                    InvalidCode::InboxBadFilter,
                    format!("{name} must be an RFC 3339 time such as 2026-11-22T09:00:00Z"),
                )
            }),
    }
}

/// The verdict judged the From domain mail-auth read; the inbox shows the
/// one mail-parser read. If they differ, the header is ambiguous: flagged.
fn judge_from(mut a: SenderAuth, shown: Option<&str>) -> SenderAuth {
    let shown = shown.unwrap_or_default();
    if !shown.is_empty() && !a.from_domain.is_empty() && shown != a.from_domain {
        a.flagged = true;
        a.reason = Some(format!(
            "shows sender domain {shown} but was checked as {}: its From header is ambiguous",
            a.from_domain
        ));
    }
    a
}

pub(super) fn slug(label: &str) -> String {
    let mut s: String = label
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    s.truncate(24);
    let s = s.trim_end_matches('-').to_owned();
    if s.is_empty() { "account".into() } else { s }
}

impl App {
    /// One message with its bodies, for the message view. The HTML body is
    /// returned as sent: callers must sanitize it before rendering.
    pub async fn inbox_message(&self, actor: &Actor, message_id: EventId) -> Result<MessageDetail> {
        let (m, item, raw) = self.message_for(actor, message_id).await?;
        let bodies = if m.channel == Channel::Email {
            self.blocking(move || orthrus_extract::email_bodies(&raw))
                .await?
        } else {
            orthrus_extract::EmailBodies {
                text: Some(String::from_utf8_lossy(&raw).into_owned()),
                ..Default::default()
            }
        };
        Ok(MessageDetail {
            item,
            recipient: m.recipient.clone(),
            to: bodies.to,
            date: bodies.date,
            text: bodies.text,
            html: bodies.html,
            links: bodies
                .links
                .into_iter()
                .map(|(text, url)| MessageLink { text, url })
                .collect(),
        })
    }

    /// A message of the actor's workspace, by id (unknown ids are 404).
    pub(crate) async fn message_row(&self, actor: &Actor, mid: EventId) -> Result<InboxMessageRow> {
        self.store()
            .get_message(actor.workspace_id, mid)
            .await?
            .ok_or(AppError::NotFound(Entity::Message))
    }

    /// A message the actor may see in the inbox: its row, the item and the
    /// raw bytes. Unknown ids and other people's messages are both 404.
    pub(crate) async fn message_for(
        &self,
        actor: &Actor,
        mid: EventId,
    ) -> Result<(InboxMessageRow, InboxItem, Vec<u8>)> {
        let m = self.message_row(actor, mid).await?;
        // Not seeing the account and not existing look the same; other
        // errors (2FA enrolment required, storage) stay what they are.
        let hide = |e: AppError| match e {
            AppError::NotFound(_) | AppError::Forbidden => AppError::NotFound(Entity::Message),
            other => other,
        };
        let (account, subject) = self.account_for(actor, m.account_id).await.map_err(hide)?;
        self.check_subject(actor, subject, Action::ViewInbox)
            .map_err(hide)?;
        // Decrypting and inflating a whole message: off the async threads.
        let app = self.clone();
        let (m, s, raw) = self
            .blocking(move || {
                let bytes =
                    app.open_bytes("inbox_messages", &m.id.to_string(), "content", &m.sealed)?;
                unpack(&bytes).map(|(s, raw)| (m, s, raw))
            })
            .await??;
        let item = self.judged(self.item_from(&m, s), &account.app);
        Ok((m, item, raw))
    }

    /// Opens a listed message: decrypts it and inflates only its fields,
    /// not the raw message behind them. CPU work: see [`App::open_items`].
    fn open_message(&self, m: &InboxMessageRow) -> Result<InboxItem> {
        let bytes = self.open_bytes("inbox_messages", &m.id.to_string(), "content", &m.sealed)?;
        let s = unpack_fields(&bytes)?;
        Ok(self.item_from(m, s))
    }

    /// Opens rows for a listing off the async threads (issue 11): a page
    /// of large messages is seconds of decryption that would otherwise
    /// stall every other request on the same thread.
    async fn open_items(
        &self,
        rows: Vec<InboxMessageRow>,
    ) -> Result<Vec<(InboxMessageRow, InboxItem)>> {
        let app = self.clone();
        self.blocking(move || {
            rows.into_iter()
                .map(|m| app.open_message(&m).map(|item| (m, item)))
                .collect()
        })
        .await?
    }

    /// The item with why automations leave it alone, by the rules of the
    /// account's app (none registered: nothing to say).
    fn judged(&self, mut item: InboxItem, app: &str) -> InboxItem {
        item.automation_refusal = self.app_senders(app).and_then(|s| s.judge(&item));
        item
    }

    fn item_from(&self, m: &InboxMessageRow, s: Sealed) -> InboxItem {
        InboxItem {
            id: m.id.to_string(),
            account_id: m.account_id.to_string(),
            channel: m.channel,
            sender: m.sender.clone(),
            subject: s.subject,
            preview: s.preview,
            received_at: m.received_at.to_rfc3339(),
            code: s.code,
            confirm_link: s.confirm_link,
            used_at: m.used_at.map(|t| t.to_rfc3339()),
            auth: s.auth,
            automation_refusal: None,
        }
    }

    /// The shared inbox, newest first: messages of the accounts whose inbox
    /// the caller may see (members, workspace Owners and Super Admins).
    pub async fn list_inbox(&self, actor: &Actor, q: &InboxQuery) -> Result<Vec<InboxItem>> {
        // The app of each account, for the reason automations refuse a message.
        let mut apps: std::collections::HashMap<AccountId, String> = Default::default();
        let accounts: Vec<AccountId> = match q.account_id.as_deref().filter(|s| !s.is_empty()) {
            Some(id) => {
                let (a, subject) = self.account_for_text(actor, id).await?;
                self.check_subject(actor, subject, Action::ViewInbox)?;
                apps.insert(a.id, a.app.clone());
                vec![a.id]
            }
            None => {
                let all = self
                    .list_accounts(actor, self.permits(actor, Action::ReachEveryAccount))
                    .await?;
                all.into_iter()
                    .filter(|a| {
                        orthrus_core::policy::decide(
                            Subject {
                                workspace_role: actor.role,
                                account_role: a.my_role,
                            },
                            Action::ViewInbox,
                        ) == orthrus_core::Decision::Allow
                    })
                    .filter_map(|a| {
                        let id: AccountId = a.id.parse().ok()?;
                        apps.insert(id, a.app);
                        Some(id)
                    })
                    .collect()
            }
        };
        let limit = q.limit.unwrap_or(100).clamp(1, 500);
        let channel = q
            .channel
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| {
                c.parse::<Channel>().map_err(|_| {
                    AppError::invalid(InvalidCode::InboxBadFilter, "channel must be email or sms")
                })
            })
            .transpose()?;
        let since = parse_bound("since", q.since.as_deref())?;
        let until = parse_bound("until", q.until.as_deref())?;
        let ws = actor.workspace_id;
        let words = match q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Vec::new(),
            Some(text) => match self.search_hashes(ws, text)? {
                Some(w) => w,
                // Only punctuation: no message holds no words.
                None => return Ok(Vec::new()),
            },
        };
        let before = match q.before.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(id) => {
                let id: EventId = id.parse().map_err(|_| {
                    AppError::invalid(
                        InvalidCode::InboxBadFilter,
                        "before must be the id of a message",
                    )
                })?;
                // A message that is gone (purged by retention, which goes
                // oldest first) or not visible here ends the paging.
                match self
                    .store()
                    .get_message(ws, id)
                    .await?
                    .filter(|m| accounts.contains(&m.account_id))
                {
                    Some(m) => Some((m.received_at, m.id)),
                    None => return Ok(Vec::new()),
                }
            }
        };
        // Every filter is applied in SQL: paging and search reach every
        // retained message, not only the newest few hundred.
        let rows = self
            .store()
            .list_messages(
                ws,
                &orthrus_store::MessageFilter {
                    accounts,
                    channel,
                    has_code: q.has_code,
                    since,
                    until,
                    before,
                    words,
                    limit,
                },
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for (m, item) in self.open_items(rows).await? {
            out.push(match apps.get(&m.account_id) {
                Some(app) => self.judged(item, app),
                None => item,
            });
        }
        Ok(out)
    }
}
