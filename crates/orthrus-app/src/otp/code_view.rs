//! Code views: the current code for a member (by an actor, or by a
//! presented token in one statement with its credential), the ledger's group
//! commit, and waiting for the next step.

use super::{CodeUse, CodeView, DEFAULT_MIN_FRESH_SECS, UsedInfo, unix};
use crate::{Action, Actor, App, AppError, Entity, Result};
use crate::{ConflictCode, InvalidCode};
use orthrus_core::{AccountId, EventId};
use orthrus_otp::Kind;
use orthrus_store::{CodeViewRead, IssuanceRow};

impl App {
    pub(crate) async fn record_issuance_batched(&self, row: IssuanceRow) -> Result<()> {
        let store = std::sync::Arc::clone(self.store());
        self.inner
            .ledger
            .commit(row, "ledger", |batch| async move {
                let rows: Vec<IssuanceRow> = batch.iter().map(|(r, _)| r.clone()).collect();
                let result = store
                    .record_issuances(&rows)
                    .await
                    .map_err(std::sync::Arc::new);
                for (_, tx) in batch {
                    let _ = tx.send(result.clone());
                }
            })
            .await
    }

    /// Waits `ms` of the app's clock (tests move a fake clock instead).
    pub(crate) async fn pause(&self, ms: i64) {
        if ms > 0 && !self.inner.clock.skip_wait(ms) {
            tokio::time::sleep(std::time::Duration::from_millis(
                u64::try_from(ms).unwrap_or(0),
            ))
            .await;
        }
    }

    /// The current code for a member. Machine uses (CLI, autofill,
    /// automation) never get a code with fewer than `min_fresh` seconds left
    /// or one already marked used: they wait for the next step. Every code
    /// handed out is recorded in the ledger. For a request that changes
    /// state (POST): an HOTP code is claimed (used up) by being shown.
    pub async fn otp_code(
        &self,
        actor: &Actor,
        id: AccountId,
        how: CodeUse,
        min_fresh: Option<i64>,
    ) -> Result<CodeView> {
        self.counted_code(actor, id, how, min_fresh, true).await
    }

    /// [`App::otp_code`] for a request that must not change state (GET, a
    /// page that refreshes itself): an HOTP account answers
    /// `otp.hotp_needs_post` instead of using up a counter, so that a link
    /// or a prefetch cannot burn codes.
    pub async fn otp_code_on_read(
        &self,
        actor: &Actor,
        id: AccountId,
        how: CodeUse,
        min_fresh: Option<i64>,
    ) -> Result<CodeView> {
        self.counted_code(actor, id, how, min_fresh, false).await
    }

    /// [`App::code_for`], counted in the code-view metrics.
    async fn counted_code(
        &self,
        actor: &Actor,
        id: AccountId,
        how: CodeUse,
        min_fresh: Option<i64>,
        may_claim: bool,
    ) -> Result<CodeView> {
        let code = self.code_for(actor, id, how, min_fresh, may_claim).await?;
        self.inner.metrics.code_views.add(how);
        Ok(code)
    }

    async fn code_for(
        &self,
        actor: &Actor,
        account: AccountId,
        how: CodeUse,
        min_fresh: Option<i64>,
        may_claim: bool,
    ) -> Result<CodeView> {
        // `account_for`, `get_otp` and the first `get_used_step` in one
        // query (`HotPath::code_view_read`), with the same checks in the
        // same order.
        self.check(actor, Action::ListOwnAccounts)?;
        let now = self.now();
        let read = self
            .store()
            .code_view_read(
                actor.workspace_id,
                account,
                actor.user_id,
                now.millis(),
                now.unix_seconds(),
            )
            .await?
            .ok_or(AppError::NotFound(Entity::Account))?;
        self.code_from_read(actor, read, how, min_fresh, may_claim)
            .await
    }

    /// A code view for a bearer or cookie token in one statement
    /// (`HotPath::code_view_for_credential`): the credential is checked as
    /// [`App::authenticate`] checks it (the same function, so the same 401s
    /// and the same once-a-minute touch), then the code as
    /// [`App::otp_code_on_read`] (`may_claim` false) or [`App::otp_code`]
    /// (`may_claim` true) gives it, with the same checks in the same order.
    pub async fn otp_code_with_token(
        &self,
        token: &str,
        ip: &str,
        id: &str,
        how: CodeUse,
        min_fresh: Option<i64>,
        may_claim: bool,
    ) -> Result<CodeView> {
        let Ok(account) = id.parse::<AccountId>() else {
            // No account to read with the credential: the two steps.
            // As the two steps answer: the policy, then 404.
            let actor = self.authenticate(token, ip).await?;
            self.check(&actor, Action::ListOwnAccounts)?;
            return Err(AppError::NotFound(Entity::Account));
        };
        let (kind, hash) = self.credential_key(token);
        let now = self.now();
        let (found, read) = match self
            .store()
            .code_view_for_credential(kind, &hash, account, now.millis(), now.unix_seconds())
            .await?
        {
            Some(v) => (Some((v.credential, v.user, v.workspace)), v.read),
            None => (None, None),
        };
        let actor = self.credential_actor(found, ip, now).await?;
        // `code_for`'s checks, the account read with the credential.
        self.check(&actor, Action::ListOwnAccounts)?;
        let read = read.ok_or(AppError::NotFound(Entity::Account))?;
        let code = self
            .code_from_read(&actor, read, how, min_fresh, may_claim)
            .await?;
        self.inner.metrics.code_views.add(how);
        Ok(code)
    }

    /// The rest of a code view, from what `HotPath::code_view_read` read.
    async fn code_from_read(
        &self,
        actor: &Actor,
        read: CodeViewRead,
        how: CodeUse,
        min_fresh: Option<i64>,
        may_claim: bool,
    ) -> Result<CodeView> {
        let (a, subject) = self.visible_account(actor, read.account, read.role)?;
        let mut used_read = read.used;
        self.check_subject(actor, subject, Action::UseTotp)?;
        let row = read.otp.ok_or(AppError::invalid(
            InvalidCode::OtpNotEnrolled,
            "this account has no authenticator in Orthrus yet: an owner sets it up under MFA settings",
        ))?;
        // An HOTP code stays valid until used: generating one hands out a
        // credential, so it takes more than the right to use the account.
        if row.kind == orthrus_core::OtpKind::Hotp {
            self.check_subject(actor, subject, Action::AdvanceHotp)?;
            if !may_claim {
                return Err(AppError::invalid(
                    InvalidCode::OtpHotpNeedsPost,
                    "showing an HOTP code uses it up: ask for one with POST (the code view's \"Show a code\")",
                ));
            }
        }
        let g = self.otp_generator(&row)?;
        let min_fresh = min_fresh
            .unwrap_or(if how.needs_fresh() {
                DEFAULT_MIN_FRESH_SECS
            } else {
                0
            })
            .clamp(0, 30);
        let ws = actor.workspace_id;
        let (code, step, remaining, next, used_row) = if g.params.kind == Kind::Hotp {
            // Each caller claims its own counter value in one statement, so
            // two concurrent requests never get the same code; no "next"
            // code is shown, as it would be a future credential.
            let claimed = self
                .store()
                .claim_otp_counter(ws, a.id, row.id)
                .await?
                .ok_or_else(|| {
                    AppError::conflict(
                        ConflictCode::OtpChanged,
                        "the authenticator was changed meanwhile; ask for the code again",
                    )
                })?;
            let c = u64::try_from(claimed).unwrap_or(0);
            let used = self.store().get_used_step(ws, a.id, claimed).await?;
            (g.code_at_step(c), claimed, 0, None, used)
        } else {
            let mut t = unix(self.now());
            let mut step = g.step(t);
            let mut remaining = i64::from(g.seconds_remaining(t));
            let as_i64 = |s: u64| i64::try_from(s).unwrap_or(i64::MAX);
            // The mark read with the account, unless the step moved on since.
            let mut used = match used_read.take() {
                Some((looked, mark)) if looked == as_i64(step) => mark,
                _ => self.store().get_used_step(ws, a.id, as_i64(step)).await?,
            };
            // Milliseconds, not rounded seconds: "at least N s left" must hold.
            let boundary_ms =
                i64::try_from((step + 1) * u64::from(g.params.period) * 1000).unwrap_or(i64::MAX);
            let left_ms = boundary_ms - self.now().millis();
            if left_ms < min_fresh * 1000 || (how.needs_fresh() && used.is_some()) {
                // Wait for the next step, to its first millisecond.
                self.pause(left_ms).await;
                t = unix(self.now());
                step = g.step(t);
                remaining = i64::from(g.seconds_remaining(t));
                used = self.store().get_used_step(ws, a.id, as_i64(step)).await?;
            }
            (
                g.code_at_step(step),
                as_i64(step),
                remaining,
                Some(g.code_at_step(step + 1)),
                used,
            )
        };
        let used = match used_row {
            Some(u) => {
                let ago = (self.now().millis() - u.used_at.millis()) / 1000;
                let who = u
                    .used_by_email
                    .clone()
                    .unwrap_or_else(|| "an automation".into());
                Some(UsedInfo {
                    message: format!(
                        "this code was used by {who} {ago} s ago — next code in {remaining} s"
                    ),
                    by: u.used_by_email,
                    how: u.how,
                    seconds_ago: ago,
                    next_in: remaining,
                })
            }
            None => None,
        };
        self.record_issuance_batched(IssuanceRow {
            id: EventId::new(self.inner.clock.as_ref(), self.rng()),
            workspace_id: actor.workspace_id,
            account_id: a.id,
            user_id: Some(actor.user_id),
            user_email: Some(actor.email.clone()),
            how,
            step,
            issued_at: self.now(),
        })
        .await?;
        Ok(CodeView {
            code,
            step,
            period: row.period,
            seconds_remaining: remaining,
            next_code: next,
            kind: row.kind,
            used,
        })
    }
}
