//! Counters of what the product does, for the operator's metrics: plain
//! atomics that use cases bump, read by whoever exposes them (the binary's
//! Prometheus registry). Nothing here knows HTTP or the exposition format;
//! each family is a name, a help text, at most one label and its values.
//! Figures that live in the database (inbox size, the job queue) are read
//! at scrape time by [`App::ops_stats`].

use crate::otp::CodeUse;
use crate::{App, Result};
use std::sync::atomic::{AtomicU64, Ordering};

/// A label of a counter family: a closed set of values.
pub trait Label: Copy + 'static {
    const NAME: &'static str;
    const ALL: &'static [Self];
    fn label(self) -> &'static str;
}

/// One counter per value of `L`.
pub struct Tally<L: Label> {
    counts: Vec<AtomicU64>,
    _label: std::marker::PhantomData<L>,
}

impl<L: Label + PartialEq> Tally<L> {
    fn new() -> Self {
        Self {
            counts: L::ALL.iter().map(|_| AtomicU64::new(0)).collect(),
            _label: std::marker::PhantomData,
        }
    }

    pub fn add(&self, value: L) {
        if let Some(i) = L::ALL.iter().position(|v| *v == value)
            && let Some(c) = self.counts.get(i)
        {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn get(&self, value: L) -> u64 {
        L::ALL
            .iter()
            .position(|v| *v == value)
            .and_then(|i| self.counts.get(i))
            .map_or(0, |c| c.load(Ordering::Relaxed))
    }

    fn family(&self, name: &'static str, help: &'static str) -> CounterFamily {
        CounterFamily {
            name,
            help,
            label: Some(L::NAME),
            values: L::ALL.iter().map(|v| (v.label(), self.get(*v))).collect(),
        }
    }
}

macro_rules! label_enum {
    ($(#[$m:meta])* $name:ident, $key:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name { $($variant),+ }
        impl Label for $name {
            const NAME: &'static str = $key;
            const ALL: &'static [Self] = &[$(Self::$variant),+];
            fn label(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
        }
    };
}

label_enum!(
    /// What became of a message handed over by the SMTP listener.
    SmtpOutcome, "outcome" {
        Stored => "stored",
        Flagged => "flagged",
        Duplicate => "duplicate",
        Refused => "refused",
        OverQuota => "over_quota",
        RateLimited => "rate_limited",
        Failed => "failed",
    }
);

label_enum!(
    /// What became of an SMS webhook call.
    SmsOutcome, "outcome" {
        Stored => "stored",
        Ignored => "ignored",
        BadSignature => "bad_signature",
        OverQuota => "over_quota",
        Failed => "failed",
    }
);

label_enum!(
    /// Whether an attempt went through.
    Outcome, "outcome" {
        Success => "success",
        Failure => "failure",
    }
);

label_enum!(
    /// Which kind of approval someone decided.
    ApprovalKind, "kind" {
        Device => "device",
        Dual => "dual",
    }
);

impl Label for CodeUse {
    const NAME: &'static str = "how";
    const ALL: &'static [Self] = &CodeUse::ALL;
    fn label(self) -> &'static str {
        self.as_str()
    }
}

/// The product's counters.
pub struct Metrics {
    pub code_views: Tally<CodeUse>,
    pub autofills: Tally<Outcome>,
    pub smtp_sessions: AtomicU64,
    pub smtp_messages: Tally<SmtpOutcome>,
    pub sms_webhooks: Tally<SmsOutcome>,
    pub step_ups: Tally<Outcome>,
    pub approvals: Tally<ApprovalKind>,
    pub sign_in_failures: AtomicU64,
    pub lockouts: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            code_views: Tally::new(),
            autofills: Tally::new(),
            smtp_sessions: AtomicU64::new(0),
            smtp_messages: Tally::new(),
            sms_webhooks: Tally::new(),
            step_ups: Tally::new(),
            approvals: Tally::new(),
            sign_in_failures: AtomicU64::new(0),
            lockouts: AtomicU64::new(0),
        }
    }
}

/// One counter family as it is exposed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CounterFamily {
    /// Without the `_total` suffix the exposition adds.
    pub name: &'static str,
    pub help: &'static str,
    pub label: Option<&'static str>,
    /// One (label value, count) per value; one ("", count) without a label.
    pub values: Vec<(&'static str, u64)>,
}

fn single(name: &'static str, help: &'static str, c: &AtomicU64) -> CounterFamily {
    CounterFamily {
        name,
        help,
        label: None,
        values: vec![("", c.load(Ordering::Relaxed))],
    }
}

impl Metrics {
    /// Every counter family, with its current values.
    pub fn families(&self) -> Vec<CounterFamily> {
        vec![
            self.code_views.family(
                "orthrus_code_views",
                "One-time codes handed out, by how they were asked for",
            ),
            self.autofills.family(
                "orthrus_autofills",
                "Browser-extension fills, by outcome (failure: refused or not possible)",
            ),
            single(
                "orthrus_smtp_sessions",
                "SMTP connections accepted by the inbound listener",
                &self.smtp_sessions,
            ),
            self.smtp_messages.family(
                "orthrus_smtp_messages",
                "Inbound SMTP messages (refused: recipient unknown at RCPT), by outcome",
            ),
            self.sms_webhooks
                .family("orthrus_sms_webhooks", "SMS webhook calls, by outcome"),
            self.step_ups
                .family("orthrus_step_ups", "Identity checks (step-up) by outcome"),
            self.approvals.family(
                "orthrus_approvals",
                "Approvals decided (another device's request, two-person rule), by kind",
            ),
            single(
                "orthrus_sign_in_failures",
                "Failed sign-ins (wrong password or code, unknown or deactivated user)",
                &self.sign_in_failures,
            ),
            single(
                "orthrus_lockouts",
                "Times an email address was locked after repeated wrong passwords",
                &self.lockouts,
            ),
        ]
    }
}

pub(crate) fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

impl App {
    /// The product's counters.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Figures read from the database for a metrics scrape.
    pub async fn ops_stats(&self) -> Result<orthrus_store::OpsStats> {
        Ok(self.store().ops_stats(self.now()).await?)
    }

    /// Counts a connection the SMTP listener accepted.
    pub fn count_smtp_session(&self) {
        bump(&self.inner.metrics.smtp_sessions);
    }

    /// Counts what became of one SMTP message.
    pub fn count_smtp_message(&self, outcome: SmtpOutcome) {
        self.inner.metrics.smtp_messages.add(outcome);
    }
}

// The counted use cases: each runs the use case and counts its outcome.
impl App {
    /// Elevates the current session after re-checking the password (and the
    /// user's own TOTP when enrolled). Returns when the elevation ends.
    pub async fn step_up(
        &self,
        actor: &crate::Actor,
        password: &str,
        totp: Option<&str>,
    ) -> Result<orthrus_core::Timestamp> {
        let r = self.step_up_uncounted(actor, password, totp).await;
        self.inner.metrics.step_ups.add(outcome(&r));
        r
    }

    /// Fills the page at `url` with the account's credentials or a code.
    /// Extension sessions only; the page must be one of the account's
    /// sites; audited either way.
    pub async fn autofill(
        &self,
        actor: &crate::Actor,
        id: &str,
        url: &str,
        step: crate::FillStep,
        wait_secs: u64,
        source: Option<crate::CodeSource>,
    ) -> Result<crate::Fill> {
        let r = self
            .autofill_uncounted(actor, id, url, step, wait_secs, source)
            .await;
        self.inner.metrics.autofills.add(outcome(&r));
        r
    }

    /// Approves (with the number the other device shows) or denies. A wrong
    /// number denies the request. Returns the new status.
    pub async fn decide_approval(
        &self,
        actor: &crate::Actor,
        id: orthrus_core::EventId,
        number: Option<&str>,
        deny: bool,
    ) -> Result<orthrus_store::ApprovalStatus> {
        let r = self
            .decide_approval_uncounted(actor, id, number, deny)
            .await?;
        self.inner.metrics.approvals.add(ApprovalKind::Device);
        Ok(r)
    }

    /// Approves or denies someone else's request (Owner or Super Admin, step-up).
    pub async fn decide_dual_approval(
        &self,
        actor: &crate::Actor,
        id: orthrus_core::EventId,
        approve: bool,
    ) -> Result<orthrus_store::ApprovalStatus> {
        let r = self
            .decide_dual_approval_uncounted(actor, id, approve)
            .await?;
        self.inner.metrics.approvals.add(ApprovalKind::Dual);
        Ok(r)
    }

    /// Counts a lockout when this failure locked the key.
    pub(crate) fn count_lockout(&self, row: &orthrus_store::ThrottleRow) {
        if row.locked_until.is_some_and(|u| u > self.now()) {
            bump(&self.inner.metrics.lockouts);
        }
    }
}

fn outcome<T>(r: &Result<T>) -> Outcome {
    if r.is_ok() {
        Outcome::Success
    } else {
        Outcome::Failure
    }
}
