//! The browser extension's use cases (issue 12): which accounts fit a page,
//! filling credentials and one-time codes into it, the app settings pages
//! Collaborators are kept off, each account's extra site URLs and who
//! logged in through the extension.
//!
//! What the server promises: credentials and codes go only to extension
//! sessions, only for a page of the account's own site (`site.rs`), only
//! to people the policy lets use the account (`Action::Autofill`, which
//! includes Collaborators), and every fill or refusal is audited. It cannot
//! stop a person from reading what was filled into their own browser:
//! rotation after an autofill login and the audit trail are the answer.

use crate::AuditAction;
use crate::InvalidCode;
use crate::audit::Event;
use crate::site::{Site, default_restrictions, page_matches, pattern_covers, url_path};
use crate::{Action, Actor, App, AppError, Entity, ExtensionError, Result, SessionKind};
use orthrus_core::AuditOutcome;
use orthrus_core::AuditTarget;
use orthrus_core::{AccountId, AccountRole, EventId, SecretString, Subject};
use orthrus_store::{AccountRow, AuditFilter, IssuanceRow, OtpSlot, UsedStepRow};
use serde::{Deserialize, Serialize};

/// Extra site URLs per account, at most.
const MAX_URLS: usize = 20;
/// Longest code wait a fill may ask for, in seconds.
pub const MAX_FILL_WAIT_SECS: u64 = 60;
/// A code with fewer seconds left is not handed out while waiting is allowed.
const MIN_FRESH_SECS: i64 = 5;
/// Inbox messages older than this are not "the next" code.
const INBOX_LOOKBACK_SECS: i64 = 600;

/// An account the caller may log in with on a page.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AutofillCandidate {
    pub account_id: String,
    pub label: String,
    pub app: String,
    pub username: String,
}

/// What to fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FillStep {
    Credentials,
    Code,
}

impl FillStep {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Credentials => "credentials",
            Self::Code => "code",
        }
    }
}

/// Where a filled code came from; as a request's `source`, where the page
/// says its code comes from ("we sent a code to…" or "from your
/// authenticator app"), which only the page knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CodeSource {
    Totp,
    Inbox,
}

/// What the extension types into the page.
#[derive(Debug)]
pub enum Fill {
    Credentials {
        username: String,
        password: SecretString,
    },
    Code {
        code: String,
        source: CodeSource,
    },
}

/// Whether a page is one of an app's own security settings that the caller
/// (a Collaborator there) is kept off.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Restrictions {
    pub blocked: bool,
    pub message: Option<String>,
    /// Whom to ask instead: the account's Owners (`Name <email>`).
    pub ask: Vec<String>,
}

/// One app's restricted pages in the workspace.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AppRestriction {
    pub app: String,
    /// Path prefixes; `*` matches any run of characters.
    pub patterns: Vec<String>,
    /// True while the workspace uses the built-in list.
    pub default: bool,
}

/// A login through the extension, from the audit log.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AutofillEvent {
    pub at: String,
    pub user_email: Option<String>,
    pub origin: String,
    pub step: String,
}

fn not_found_if_forbidden(e: AppError) -> AppError {
    match e {
        AppError::Forbidden => AppError::NotFound(Entity::Account),
        e => e,
    }
}

/// Parses a JSON list of URLs as stored (an unreadable list is empty: it
/// only ever widens where filling is allowed).
fn stored_urls(json: Option<&str>) -> Vec<String> {
    json.and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or_default()
}

impl App {
    /// The account's extra site URLs (anyone who sees the account).
    pub async fn account_urls(&self, actor: &Actor, id: AccountId) -> Result<Vec<String>> {
        let (a, _) = self.account_for(actor, id).await?;
        let json = self.store().account_urls(actor.workspace_id, a.id).await?;
        Ok(stored_urls(json.as_deref()))
    }

    /// Replaces the account's extra site URLs. The extension fills the
    /// password on these pages, so this takes the right to change the
    /// credentials (like the login URL).
    pub async fn set_account_urls(
        &self,
        actor: &Actor,
        id: AccountId,
        urls: Vec<String>,
    ) -> Result<Vec<String>> {
        let a = self
            .account_allowing(actor, id, Action::EditCredentials)
            .await?;
        if urls.len() > MAX_URLS {
            return Err(AppError::invalid(
                InvalidCode::AccountTooManyUrls,
                format!("an account has at most {MAX_URLS} extra URLs"),
            ));
        }
        let mut clean: Vec<String> = Vec::new();
        for u in urls {
            let u = u.trim().to_owned();
            if u.is_empty() {
                continue;
            }
            if u.len() > 2048 || Site::parse(&u).is_none() {
                return Err(AppError::invalid(
                    InvalidCode::AccountBadUrl,
                    format!("{u:?} is not an http:// or https:// URL with a host"),
                ));
            }
            if !clean.contains(&u) {
                clean.push(u);
            }
        }
        let json = serde_json::to_string(&clean).map_err(|e| AppError::Internal(e.to_string()))?;
        self.store()
            .set_account_urls(actor.workspace_id, a.id, &json, self.now())
            .await?;
        self.audit(
            actor,
            Event::new(AuditAction::AccountUrlsUpdate)
                .target(AuditTarget::Account, a.id)
                .detail(serde_json::json!({ "urls": clean })),
        )
        .await?;
        Ok(clean)
    }

    /// The accounts the actor may autofill with, each with its site URLs.
    async fn autofill_accounts(&self, actor: &Actor) -> Result<Vec<(AccountRow, Subject)>> {
        self.check(actor, Action::ListOwnAccounts)?;
        let ws = actor.workspace_id;
        let mine = self
            .store()
            .list_accounts_for_user(ws, actor.user_id, self.now())
            .await?;
        let rows: Vec<(AccountRow, Option<AccountRole>)> =
            if self.permits(actor, Action::ReachEveryAccount) {
                let roles: std::collections::HashMap<AccountId, AccountRole> =
                    mine.iter().map(|(a, r)| (a.id, *r)).collect();
                self.store()
                    .list_accounts(ws)
                    .await?
                    .into_iter()
                    .map(|a| {
                        let r = roles.get(&a.id).copied();
                        (a, r)
                    })
                    .collect()
            } else {
                mine.into_iter().map(|(a, r)| (a, Some(r))).collect()
            };
        Ok(rows
            .into_iter()
            .map(|(a, r)| {
                let subject = Subject {
                    workspace_role: actor.role,
                    account_role: r,
                };
                (a, subject)
            })
            .filter(|(_, subject)| {
                self.check_subject(actor, *subject, Action::Autofill)
                    .is_ok()
            })
            .collect())
    }

    /// Every site URL of the workspace's accounts that have extra ones.
    async fn extra_urls(
        &self,
        actor: &Actor,
    ) -> Result<std::collections::HashMap<AccountId, Vec<String>>> {
        Ok(self
            .store()
            .workspace_account_urls(actor.workspace_id)
            .await?
            .into_iter()
            .map(|(a, json)| (a, stored_urls(Some(&json))))
            .collect())
    }

    /// Accounts the actor may log in with on the page at `url`.
    pub async fn autofill_candidates(
        &self,
        actor: &Actor,
        url: &str,
    ) -> Result<Vec<AutofillCandidate>> {
        Ok(self
            .matching_accounts(actor, url)
            .await?
            .into_iter()
            .map(|(a, _)| AutofillCandidate {
                account_id: a.id.to_string(),
                label: a.label,
                app: a.app,
                username: a.username,
            })
            .collect())
    }

    async fn matching_accounts(
        &self,
        actor: &Actor,
        url: &str,
    ) -> Result<Vec<(AccountRow, Subject)>> {
        if Site::parse(url).is_none() {
            return Err(AppError::invalid(
                InvalidCode::AutofillBadUrl,
                "url must be the page's http:// or https:// address",
            ));
        }
        let accounts = self.autofill_accounts(actor).await?;
        let extra = self.extra_urls(actor).await?;
        Ok(accounts
            .into_iter()
            .filter(|(a, _)| {
                let more = extra.get(&a.id).map(Vec::as_slice).unwrap_or_default();
                page_matches(
                    std::iter::once(a.login_url.as_str()).chain(more.iter().map(String::as_str)),
                    url,
                )
            })
            .collect())
    }

    /// Fills the page at `url` with the account's credentials or a code.
    /// Extension sessions only; the page must be one of the account's
    /// sites; audited either way.
    pub(crate) async fn autofill_uncounted(
        &self,
        actor: &Actor,
        id: &str,
        url: &str,
        step: FillStep,
        wait_secs: u64,
        source: Option<CodeSource>,
    ) -> Result<Fill> {
        if actor.session_kind != Some(SessionKind::Extension) {
            return Err(ExtensionError::ExtensionOnly.into());
        }
        let (a, subject) = self.account_for_text(actor, id).await?;
        self.check_subject(actor, subject, Action::Autofill)
            .map_err(not_found_if_forbidden)?;
        let page = Site::parse(url);
        let origin = page
            .as_ref()
            .map_or_else(|| url.chars().take(200).collect::<String>(), Site::origin);
        let more = stored_urls(
            self.store()
                .account_urls(actor.workspace_id, a.id)
                .await?
                .as_deref(),
        );
        let sites = std::iter::once(a.login_url.as_str()).chain(more.iter().map(String::as_str));
        if !page_matches(sites, url) {
            self.audit_batched(
                actor,
                Event::new(AuditAction::AccountAutofillRefused)
                    .target(AuditTarget::Account, a.id)
                    .outcome(AuditOutcome::Denied)
                    .detail(serde_json::json!({
                        "origin": origin,
                        "step": step.as_str(),
                        "reason": ExtensionError::OriginMismatch.code(),
                    })),
            )
            .await?;
            return Err(ExtensionError::OriginMismatch.into());
        }
        let wait_secs = wait_secs.min(MAX_FILL_WAIT_SECS);
        match step {
            FillStep::Credentials => {
                let password = self.open("accounts", &a.id.to_string(), "password", &a.password)?;
                self.audit_batched(
                    actor,
                    Event::new(AuditAction::AccountAutofill)
                        .target(AuditTarget::Account, a.id)
                        .detail(serde_json::json!({"origin": origin, "step": "credentials"})),
                )
                .await?;
                // Someone who may not see the password now has it in their
                // browser: the account may want it changed soon after.
                if !Self::may(subject, Action::RevealPassword)
                    && let Err(e) = self.rotate_after_autofill(actor.workspace_id, a.id).await
                {
                    tracing::warn!(account = %a.id, error = %e, "could not schedule the rotation after an autofill login");
                }
                Ok(Fill::Credentials {
                    username: a.username,
                    password,
                })
            }
            FillStep::Code => {
                let active = self
                    .store()
                    .get_otp(actor.workspace_id, a.id, OtpSlot::Active)
                    .await?;
                // The authenticator unless the page says it sent a code by
                // email or text (the app asks for that on a new device even
                // when it has an authenticator).
                let active = active.filter(|_| source != Some(CodeSource::Inbox));
                let (code, source, detail) = match active {
                    Some(row) => {
                        let (code, step_no) = self
                            .autofill_otp(actor, &a, subject, &row, wait_secs)
                            .await?;
                        (
                            code,
                            CodeSource::Totp,
                            serde_json::json!({"otp_step": step_no}),
                        )
                    }
                    None => {
                        let (code, message) = self.autofill_inbox(actor, &a, wait_secs).await?;
                        (
                            code,
                            CodeSource::Inbox,
                            serde_json::json!({"message_id": message.to_string()}),
                        )
                    }
                };
                let mut d = serde_json::json!({"origin": origin, "step": "code",
                    "source": if source == CodeSource::Totp { "totp" } else { "inbox" }});
                if let (Some(d), Some(extra)) = (d.as_object_mut(), detail.as_object()) {
                    d.extend(extra.clone());
                }
                self.audit_batched(
                    actor,
                    Event::new(AuditAction::AccountAutofill)
                        .target(AuditTarget::Account, a.id)
                        .detail(d),
                )
                .await?;
                Ok(Fill::Code { code, source })
            }
        }
    }

    /// A fresh authenticator code nobody used: claimed (marked used, so no
    /// one else gets it) and written to the ledger as `autofill`. Waits
    /// for the next step while the current one is used (or about to end),
    /// up to `wait_secs`.
    async fn autofill_otp(
        &self,
        actor: &Actor,
        a: &AccountRow,
        subject: Subject,
        row: &orthrus_store::OtpRow,
        wait_secs: u64,
    ) -> Result<(String, i64)> {
        let ws = actor.workspace_id;
        if row.kind == orthrus_core::OtpKind::Hotp {
            // A counter code stays valid until used: the same rule as
            // generating one by hand.
            self.check_subject(actor, subject, Action::AdvanceHotp)?;
            let v = self
                .otp_code(actor, a.id, crate::CodeUse::Autofill, Some(0))
                .await?;
            return Ok((v.code, v.step));
        }
        let g = self.otp_generator(row)?;
        let period_ms = i64::from(g.params.period) * 1000;
        let deadline = self
            .now()
            .millis()
            .saturating_add(i64::try_from(wait_secs).unwrap_or(0) * 1000);
        loop {
            let now = self.now().millis();
            let secs = u64::try_from(now / 1000).unwrap_or(0);
            let step = g.step(secs);
            let step_i = i64::try_from(step).unwrap_or(i64::MAX);
            let left = (step_i + 1).saturating_mul(period_ms) - now;
            let next_in_time = now + left <= deadline;
            let used = self
                .store()
                .get_used_step(ws, a.id, step_i)
                .await?
                .is_some();
            if used || (left < MIN_FRESH_SECS * 1000 && next_in_time) {
                if !next_in_time {
                    return Err(ExtensionError::CodeUsed.into());
                }
                self.pause(left).await;
                continue;
            }
            // Claim the step; a concurrent fill that won it sends us on.
            let fresh = self
                .store()
                .mark_step_used(&UsedStepRow {
                    workspace_id: ws,
                    account_id: a.id,
                    step: step_i,
                    used_by: Some(actor.user_id),
                    used_by_email: Some(actor.email.clone()),
                    how: crate::CodeUse::Autofill.into(),
                    used_at: self.now(),
                })
                .await?;
            self.otp_used(ws, a.id);
            if !fresh {
                continue;
            }
            self.record_issuance_batched(IssuanceRow {
                id: EventId::new(self.inner.clock.as_ref(), self.rng()),
                workspace_id: ws,
                account_id: a.id,
                user_id: Some(actor.user_id),
                user_email: Some(actor.email.clone()),
                how: crate::CodeUse::Autofill,
                step: step_i,
                issued_at: self.now(),
            })
            .await?;
            return Ok((g.code_at_step(step), step_i));
        }
    }

    /// The code of the oldest unused, verified message of the last ten
    /// minutes (not flagged, from the app's own senders), waiting up to
    /// `wait_secs` for one; the message is marked used.
    async fn autofill_inbox(
        &self,
        actor: &Actor,
        a: &AccountRow,
        wait_secs: u64,
    ) -> Result<(String, EventId)> {
        let started = tokio::time::Instant::now();
        let budget = std::time::Duration::from_secs(wait_secs);
        let mut since = self.now().plus_seconds(-INBOX_LOOKBACK_SECS);
        let mut after: Option<EventId> = None;
        loop {
            let left = budget.saturating_sub(started.elapsed()).as_secs();
            let Some(item) = self
                .wait_for_next_message(actor, a.id, since, after, left, None)
                .await?
            else {
                return Err(ExtensionError::NoCode.into());
            };
            let mid: EventId = item
                .id
                .parse()
                .map_err(|_| AppError::Internal("bad message id".into()))?;
            if let (Some(code), None) = (item.code.as_ref(), item.used_at.as_ref())
                && self
                    .store()
                    .mark_message_used(actor.workspace_id, mid, self.now())
                    .await?
            {
                return Ok((code.clone(), mid));
            }
            // A link-only or used message: look past it.
            since = orthrus_core::Timestamp::parse_rfc3339(&item.received_at).unwrap_or(since);
            after = Some(mid);
        }
    }

    /// Whether the page at `url` is one of an app's own security settings
    /// that the actor is kept off: only when every account matching the
    /// page is one where they may not see the password (Collaborators);
    /// Owners and Managers are never blocked.
    pub async fn autofill_restrictions(&self, actor: &Actor, url: &str) -> Result<Restrictions> {
        let matching = self.matching_accounts(actor, url).await?;
        if matching.is_empty()
            || matching
                .iter()
                .any(|(_, s)| Self::may(*s, Action::RevealPassword))
        {
            return Ok(Restrictions::default());
        }
        let overrides = self.workspace_restrictions(actor).await?;
        let path = url_path(url);
        let mut ask: Vec<String> = Vec::new();
        let mut apps: Vec<String> = Vec::new();
        for (a, _) in &matching {
            let patterns = restriction_patterns(&overrides, &a.app);
            if !patterns.iter().any(|p| pattern_covers(p, &path)) {
                continue;
            }
            apps.push(orthrus_core::app_name(&a.app).to_owned());
            for m in self
                .store()
                .list_members(actor.workspace_id, a.id, self.now())
                .await?
            {
                if m.member.role == AccountRole::Owner {
                    let who = format!("{} <{}>", m.name, m.email);
                    if !ask.contains(&who) {
                        ask.push(who);
                    }
                }
            }
        }
        if apps.is_empty() {
            return Ok(Restrictions::default());
        }
        apps.dedup();
        Ok(Restrictions {
            blocked: true,
            message: Some(format!(
                "This page changes {}'s security settings, which Collaborators do not manage: ask an Owner of the account.",
                apps.join(", ")
            )),
            ask,
        })
    }

    async fn workspace_restrictions(
        &self,
        actor: &Actor,
    ) -> Result<std::collections::HashMap<String, Vec<String>>> {
        Ok(self
            .store()
            .app_restrictions(actor.workspace_id)
            .await?
            .into_iter()
            .map(|(app, json)| (app, serde_json::from_str(&json).unwrap_or_default()))
            .collect())
    }

    /// Every well-known app's restricted pages in the workspace.
    pub async fn app_restrictions(&self, actor: &Actor) -> Result<Vec<AppRestriction>> {
        self.check(actor, Action::ManageAppRestrictions)?;
        let overrides = self.workspace_restrictions(actor).await?;
        Ok(orthrus_core::KNOWN_APPS
            .iter()
            .map(|(key, _)| AppRestriction {
                app: (*key).to_owned(),
                patterns: restriction_patterns(&overrides, key),
                default: !overrides.contains_key(*key),
            })
            .collect())
    }

    /// Replaces one app's restricted pages (None: back to the built-in list).
    pub async fn set_app_restrictions(
        &self,
        actor: &Actor,
        app: &str,
        patterns: Option<Vec<String>>,
    ) -> Result<Vec<AppRestriction>> {
        self.check(actor, Action::ManageAppRestrictions)?;
        let key = orthrus_core::app_key(app);
        if key != app.trim().to_ascii_lowercase() {
            return Err(AppError::invalid(
                InvalidCode::RestrictionsUnknownApp,
                format!("{app:?} is not a known app key (instagram, sandbox, …)"),
            ));
        }
        let clean = patterns
            .map(|ps| {
                let ps: Vec<String> = ps
                    .into_iter()
                    .map(|p| p.trim().to_owned())
                    .filter(|p| !p.is_empty())
                    .collect();
                if ps.len() > 100 || ps.iter().any(|p| !p.starts_with('/') || p.len() > 300) {
                    return Err(AppError::invalid(
                        InvalidCode::RestrictionsBadPattern,
                        "patterns are paths starting with / (at most 100, 300 characters each)",
                    ));
                }
                Ok(ps)
            })
            .transpose()?;
        let json = clean
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| AppError::Internal(e.to_string()))?;
        self.store()
            .set_app_restrictions(actor.workspace_id, key, json.as_deref(), self.now())
            .await?;
        self.audit(
            actor,
            Event::new(AuditAction::WorkspaceAppRestrictions)
                .detail(serde_json::json!({"app": key, "patterns": clean})),
        )
        .await?;
        self.app_restrictions(actor).await
    }

    /// The latest logins through the extension on an account (who, when,
    /// from which page), from the audit log: for those who manage it.
    pub async fn recent_autofills(
        &self,
        actor: &Actor,
        id: AccountId,
        limit: i64,
    ) -> Result<Vec<AutofillEvent>> {
        let a = self
            .account_allowing(actor, id, Action::EditAccountMetadata)
            .await?;
        let rows = self
            .store()
            .list_audit(
                actor.workspace_id,
                &AuditFilter {
                    action: Some(AuditAction::AccountAutofill.as_str().into()),
                    target_id: Some(a.id.to_string()),
                    limit: limit.clamp(1, 100),
                    ..AuditFilter::default()
                },
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| AutofillEvent {
                at: r.event.at.to_rfc3339(),
                user_email: r.event.actor_email,
                origin: r.event.detail["origin"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                step: r.event.detail["step"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            })
            .collect())
    }
}

/// An app's patterns: the workspace's list, else the built-in one.
fn restriction_patterns(
    overrides: &std::collections::HashMap<String, Vec<String>>,
    app: &str,
) -> Vec<String> {
    overrides.get(app).cloned().unwrap_or_else(|| {
        default_restrictions(app)
            .iter()
            .map(|p| (*p).to_owned())
            .collect()
    })
}
