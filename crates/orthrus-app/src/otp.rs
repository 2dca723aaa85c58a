//! The team authenticator: Orthrus holds an account's TOTP (or HOTP, or
//! Steam Guard) seed, shows the current code to every member allowed to use
//! the account, records each code handed out, and remembers which steps were
//! used so nobody is handed a code the app will reject as reused.
//!
//! Enrolment is two-step: a new seed is *pending* until the owner confirms it
//! worked in the app; until then an older active seed keeps working.

use crate::AuditAction;
use crate::InvalidCode;
use crate::audit::Event;
use crate::{Action, Actor, App, AppError, Entity, Result};
use orthrus_core::AuditTarget;
pub use orthrus_core::CodeUse;
use orthrus_core::{AccountId, EventId, OtpKind, OtpSource, StepUse};
use orthrus_otp::{Algorithm, Generator, Kind, OtpError, OtpParams, Secret};
use orthrus_store::{AccountRow, IssuanceRow, OtpRow, OtpSlot, UsedStepRow};
use serde::{Deserialize, Serialize};

mod code_view;

/// What the owner gives Orthrus to enrol: exactly one of a secret key, an
/// `otpauth://` URI or a QR code picture.
#[derive(Clone, Debug, Default)]
pub struct EnrollInput {
    pub secret: Option<String>,
    pub otpauth_uri: Option<String>,
    pub qr_image: Option<Vec<u8>>,
    /// The secret is a Steam Guard key (5-character codes).
    pub steam: bool,
    pub issuer: Option<String>,
    pub algorithm: Option<String>,
    pub digits: Option<u8>,
    pub period: Option<u32>,
}

/// An enrolment's parameters (never the seed).
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OtpMeta {
    /// `active` or `pending`.
    #[schema(value_type = String)]
    pub state: OtpSlot,
    #[schema(value_type = String)]
    pub kind: OtpKind,
    pub issuer: Option<String>,
    pub account_name: Option<String>,
    pub algorithm: String,
    pub digits: i64,
    pub period: i64,
    /// How the seed was given: secret, uri, qr, import.
    #[schema(value_type = String)]
    pub source: OtpSource,
    pub enrolled_by: String,
    pub enrolled_at: String,
    pub confirmed_at: Option<String>,
}

/// The authenticator state of an account.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct OtpStatus {
    pub active: Option<OtpMeta>,
    pub pending: Option<OtpMeta>,
}

/// A pending enrolment with the code to type into the app ("Verify your code").
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PendingEnrollment {
    /// Always "pending" until confirmed.
    #[schema(value_type = String)]
    pub state: OtpSlot,
    /// This enrolment; send it back with "Done" so only this key is confirmed.
    pub enrollment_id: String,
    pub code: String,
    pub seconds_remaining: i64,
    pub next_code: Option<String>,
    pub meta: OtpMeta,
}

/// Someone already used the code of this step.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UsedInfo {
    pub by: Option<String>,
    #[schema(value_type = String)]
    pub how: StepUse,
    pub seconds_ago: i64,
    /// Seconds until the next code.
    pub next_in: i64,
    pub message: String,
}

/// A code handed to a member.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CodeView {
    pub code: String,
    /// The TOTP time step (or HOTP counter) of `code`.
    pub step: i64,
    pub period: i64,
    pub seconds_remaining: i64,
    pub next_code: Option<String>,
    #[schema(value_type = String)]
    pub kind: OtpKind,
    /// Set when a member or automation marked this step used.
    pub used: Option<UsedInfo>,
}

/// One entry of the issuance ledger.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct LedgerEntry {
    pub by: Option<String>,
    #[schema(value_type = String)]
    pub how: CodeUse,
    pub step: i64,
    pub at: String,
}

/// Group commit for the issuance ledger: every code view must be recorded
/// durably before the code is returned, and one fsync per view would cap
/// throughput. Callers queue their row; whoever holds the writer lock writes
/// everything queued so far in one transaction and tells each caller; the
/// write runs in a task of its own, awaited by that caller, so a cancelled
/// request still commits its batch (`group_commit.rs`).
pub(crate) type LedgerBatcher = crate::group_commit::GroupCommit<IssuanceRow>;

/// Machine uses get at least this many seconds of validity by default.
pub const DEFAULT_MIN_FRESH_SECS: i64 = 5;

/// A seed's kind as storage spells it.
pub(crate) fn stored_kind(k: Kind) -> OtpKind {
    match k {
        Kind::Totp => OtpKind::Totp,
        Kind::Hotp => OtpKind::Hotp,
        Kind::Steam => OtpKind::Steam,
    }
}

/// A stored seed's kind, for its code generator.
fn code_kind(k: OtpKind) -> Kind {
    match k {
        OtpKind::Totp => Kind::Totp,
        OtpKind::Hotp => Kind::Hotp,
        OtpKind::Steam => Kind::Steam,
    }
}

fn otp_error(e: OtpError) -> AppError {
    let code = match &e {
        OtpError::InvalidBase32 { .. } | OtpError::SecretTooShort | OtpError::MissingSecret => {
            InvalidCode::OtpInvalidSecret
        }
        OtpError::NoQrCode | OtpError::QrUnreadable(_) | OtpError::InvalidImage(_) => {
            InvalidCode::OtpInvalidQr
        }
        OtpError::InvalidUri(_) | OtpError::UnknownKind(_) => InvalidCode::OtpInvalidUri,
        OtpError::ImageTooLarge { .. } => InvalidCode::OtpImageTooLarge,
        OtpError::QrTimeout => return crate::uploads::upload_timeout(InvalidCode::OtpQrTimeout),
        _ => InvalidCode::OtpInvalidParameters,
    };
    AppError::invalid(code, e.to_string())
}

fn unix(t: orthrus_core::Timestamp) -> u64 {
    u64::try_from(t.unix_seconds()).unwrap_or(0)
}

impl App {
    pub(crate) fn otp_generator(&self, row: &OtpRow) -> Result<Generator> {
        let bytes = self.open_bytes("account_otp", &row.id.to_string(), "secret", &row.secret)?;
        let params = OtpParams {
            kind: code_kind(row.kind),
            algorithm: row
                .algorithm
                .parse()
                .map_err(|_| AppError::Internal(format!("bad otp algorithm {}", row.algorithm)))?,
            digits: u8::try_from(row.digits).unwrap_or(6),
            period: u32::try_from(row.period).unwrap_or(30),
            counter: u64::try_from(row.counter).unwrap_or(0),
            issuer: row.issuer.clone(),
            account_name: row.account_name.clone(),
        };
        Generator::new(Secret::from_bytes(bytes.to_vec()), params)
            .map_err(|e| AppError::Internal(e.to_string()))
    }

    async fn otp_meta(&self, actor: &Actor, row: &OtpRow) -> Result<OtpMeta> {
        let by = self
            .store()
            .get_user(actor.workspace_id, row.enrolled_by)
            .await?
            .map(|u| u.email)
            .unwrap_or_else(|| row.enrolled_by.to_string());
        Ok(OtpMeta {
            state: row.slot,
            kind: row.kind,
            issuer: row.issuer.clone(),
            account_name: row.account_name.clone(),
            algorithm: row.algorithm.clone(),
            digits: row.digits,
            period: row.period,
            source: row.source,
            enrolled_by: by,
            enrolled_at: row.enrolled_at.to_rfc3339(),
            confirmed_at: row.confirmed_at.map(|t| t.to_rfc3339()),
        })
    }

    /// Turns what the owner gave into a seed and parameters.
    /// A QR picture is read within `deadline`.
    fn parse_enrollment(
        input: EnrollInput,
        deadline: Option<std::time::Instant>,
    ) -> Result<(Secret, OtpParams, OtpSource)> {
        let given = [
            input.secret.is_some(),
            input.otpauth_uri.is_some(),
            input.qr_image.is_some(),
        ]
        .iter()
        .filter(|g| **g)
        .count();
        if given != 1 {
            return Err(AppError::invalid(
                InvalidCode::OtpOneSource,
                "give exactly one of: a secret key, an otpauth:// URI, or a QR code picture",
            ));
        }
        let from_uri = |uri: &str| -> Result<(Secret, OtpParams)> {
            if uri.trim_start().starts_with("otpauth-migration://") {
                return Err(AppError::invalid(
                    InvalidCode::OtpMigrationUri,
                    "this is a Google Authenticator export with several accounts: use the import instead",
                ));
            }
            orthrus_otp::parse_otpauth_uri(uri.trim()).map_err(otp_error)
        };
        let (secret, mut params, source) = if let Some(uri) = &input.otpauth_uri {
            let (s, p) = from_uri(uri)?;
            (s, p, OtpSource::Uri)
        } else if let Some(img) = &input.qr_image {
            let text = orthrus_otp::qr::decode_qr_until(img, deadline).map_err(otp_error)?;
            if !text.starts_with("otpauth") {
                return Err(AppError::invalid(
                    InvalidCode::OtpInvalidQr,
                    "the QR code does not hold an authenticator key (otpauth://)",
                ));
            }
            let (s, p) = from_uri(&text)?;
            (s, p, OtpSource::Qr)
        } else {
            let s = orthrus_otp::parse_secret(input.secret.as_deref().unwrap_or(""))
                .map_err(otp_error)?;
            (s, OtpParams::default(), OtpSource::Secret)
        };
        if source == OtpSource::Secret {
            if input.steam {
                params.kind = Kind::Steam;
                params.digits = 5;
            }
            if let Some(a) = &input.algorithm {
                params.algorithm = a.parse::<Algorithm>().map_err(otp_error)?;
            }
            if let Some(d) = input.digits {
                params.digits = d;
            }
            if let Some(p) = input.period {
                params.period = p;
            }
        }
        if let Some(i) = input.issuer.filter(|i| !i.trim().is_empty()) {
            params.issuer = Some(i.trim().to_owned());
        }
        params.validate().map_err(otp_error)?;
        Ok((secret, params, source))
    }

    /// Starts enrolment (account Owner, step-up): the seed is stored as
    /// pending and the current code is returned for the app's "verify" step.
    pub async fn enroll_otp(
        &self,
        actor: &Actor,
        id: AccountId,
        input: EnrollInput,
    ) -> Result<PendingEnrollment> {
        let a = self.account_allowing(actor, id, Action::ManageMfa).await?;
        // Decoding a QR screenshot is CPU work: off the async executor, a
        // few at once, within a deadline (see uploads.rs).
        let (secret, params, source) = if input.qr_image.is_some() {
            self.parse_upload(
                crate::BusyKind::OtpUpload,
                InvalidCode::OtpQrTimeout,
                move |deadline| Self::parse_enrollment(input, Some(deadline)),
            )
            .await??
        } else {
            Self::parse_enrollment(input, None)?
        };
        self.store_pending_otp(actor, a.id, secret, params, source)
            .await
    }

    /// Stores a parsed seed as the account's pending enrolment.
    pub(crate) async fn store_pending_otp(
        &self,
        actor: &Actor,
        account: AccountId,
        secret: Secret,
        params: OtpParams,
        source: OtpSource,
    ) -> Result<PendingEnrollment> {
        let eid = EventId::new(self.inner.clock.as_ref(), self.rng());
        let sealed =
            self.seal_bytes("account_otp", &eid.to_string(), "secret", secret.as_bytes())?;
        let row = OtpRow {
            workspace_id: actor.workspace_id,
            account_id: account,
            slot: OtpSlot::Pending,
            id: eid,
            secret: sealed,
            kind: stored_kind(params.kind),
            algorithm: params.algorithm.as_str().to_owned(),
            digits: i64::from(params.digits),
            period: i64::from(params.period),
            counter: i64::try_from(params.counter).unwrap_or(0),
            issuer: params.issuer.clone(),
            account_name: params.account_name.clone(),
            source,
            enrolled_by: actor.user_id,
            enrolled_at: self.now(),
            confirmed_at: None,
        };
        self.store().put_otp(&row).await?;
        let meta = self.otp_meta(actor, &row).await?;
        self.audit(
            actor,
            Event::new(AuditAction::AccountMfaEnrollStart).target(AuditTarget::Account, account).detail(serde_json::json!({
                "source": source, "kind": row.kind, "issuer": row.issuer, "algorithm": row.algorithm, "digits": row.digits, "period": row.period
            })),
        )
        .await?;
        let g = Generator::new(secret, params).map_err(otp_error)?;
        Ok(self.pending_enrollment(&g, &row, meta))
    }

    /// The "Verify your code" answer for a pending enrolment: its codes now
    /// and its parameters.
    fn pending_enrollment(&self, g: &Generator, row: &OtpRow, meta: OtpMeta) -> PendingEnrollment {
        let (code, remaining, next) = self.codes_now(g, row);
        PendingEnrollment {
            state: OtpSlot::Pending,
            enrollment_id: row.id.to_string(),
            code,
            seconds_remaining: remaining,
            next_code: next,
            meta,
        }
    }

    /// Current code, seconds left, next code.
    fn codes_now(&self, g: &Generator, row: &OtpRow) -> (String, i64, Option<String>) {
        if g.params.kind == Kind::Hotp {
            let c = u64::try_from(row.counter).unwrap_or(0);
            return (g.code_at_step(c), 0, Some(g.code_at_step(c + 1)));
        }
        let t = unix(self.now());
        let step = g.step(t);
        (
            g.code_at_step(step),
            i64::from(g.seconds_remaining(t)),
            Some(g.code_at_step(step + 1)),
        )
    }

    /// The pending enrolment's code again (the verify dialog refreshes it).
    pub async fn pending_otp_code(
        &self,
        actor: &Actor,
        id: AccountId,
    ) -> Result<PendingEnrollment> {
        let a = self.account_allowing(actor, id, Action::ManageMfa).await?;
        let row = self
            .store()
            .get_otp(actor.workspace_id, a.id, OtpSlot::Pending)
            .await?
            .ok_or(AppError::NotFound(Entity::PendingEnrolment))?;
        let g = self.otp_generator(&row)?;
        let meta = self.otp_meta(actor, &row).await?;
        Ok(self.pending_enrollment(&g, &row, meta))
    }

    /// "Done": the pending seed becomes the active one.
    pub async fn confirm_otp(
        &self,
        actor: &Actor,
        id: AccountId,
        enrollment_id: Option<&str>,
    ) -> Result<OtpStatus> {
        let a = self.account_allowing(actor, id, Action::ManageMfa).await?;
        let expected = enrollment_id
            .map(|e| {
                e.parse::<EventId>()
                    .map_err(|_| AppError::NotFound(Entity::PendingEnrolment))
            })
            .transpose()?;
        if !self
            .store()
            .promote_otp(actor.workspace_id, a.id, self.now(), expected)
            .await?
        {
            return Err(AppError::NotFound(Entity::PendingEnrolment));
        }
        self.audit(
            actor,
            Event::new(AuditAction::AccountMfaEnabled).target(AuditTarget::Account, a.id),
        )
        .await?;
        self.otp_status(actor, id).await
    }

    /// Drops a pending enrolment; an active seed is untouched.
    pub async fn cancel_pending_otp(&self, actor: &Actor, id: AccountId) -> Result<()> {
        self.delete_enrolment(
            actor,
            id,
            OtpSlot::Pending,
            Entity::PendingEnrolment,
            AuditAction::AccountMfaEnrollCancel,
        )
        .await
    }

    /// Removes the active seed (turn MFA off in the app first).
    pub async fn remove_otp(&self, actor: &Actor, id: AccountId) -> Result<()> {
        self.delete_enrolment(
            actor,
            id,
            OtpSlot::Active,
            Entity::Authenticator,
            AuditAction::AccountMfaRemoved,
        )
        .await
    }

    async fn delete_enrolment(
        &self,
        actor: &Actor,
        id: AccountId,
        slot: OtpSlot,
        missing: Entity,
        action: AuditAction,
    ) -> Result<()> {
        let a = self.account_allowing(actor, id, Action::ManageMfa).await?;
        if !self
            .store()
            .delete_otp(actor.workspace_id, a.id, slot)
            .await?
        {
            return Err(AppError::NotFound(missing));
        }
        self.audit(actor, Event::new(action).target(AuditTarget::Account, a.id))
            .await
    }

    /// Metadata of the active and pending enrolments (anyone who sees the account).
    pub async fn otp_status(&self, actor: &Actor, id: AccountId) -> Result<OtpStatus> {
        let (a, _) = self.account_for(actor, id).await?;
        let active = match self
            .store()
            .get_otp(actor.workspace_id, a.id, OtpSlot::Active)
            .await?
        {
            Some(r) => Some(self.otp_meta(actor, &r).await?),
            None => None,
        };
        let pending = match self
            .store()
            .get_otp(actor.workspace_id, a.id, OtpSlot::Pending)
            .await?
        {
            Some(r) => Some(self.otp_meta(actor, &r).await?),
            None => None,
        };
        Ok(OtpStatus { active, pending })
    }

    /// The account and its active authenticator, for someone about to use a
    /// code: using it needs `UseTotp`, and an HOTP one also `AdvanceHotp`
    /// (using a code moves its counter on).
    async fn active_otp_to_use(
        &self,
        actor: &Actor,
        id: AccountId,
    ) -> Result<(AccountRow, OtpRow)> {
        let (a, subject) = self.account_for(actor, id).await?;
        self.check_subject(actor, subject, Action::UseTotp)?;
        let row = self
            .store()
            .get_otp(actor.workspace_id, a.id, OtpSlot::Active)
            .await?
            .ok_or(AppError::NotFound(Entity::Authenticator))?;
        if row.kind == OtpKind::Hotp {
            self.check_subject(actor, subject, Action::AdvanceHotp)?;
        }
        Ok((a, row))
    }

    /// Records that the actor used the code of `step` (`how`: the way it
    /// was used) and tells the waiting views; true when nobody had used it.
    async fn record_used_step(
        &self,
        actor: &Actor,
        account: AccountId,
        step: i64,
        how: StepUse,
    ) -> Result<bool> {
        let fresh = self
            .store()
            .mark_step_used(&UsedStepRow {
                workspace_id: actor.workspace_id,
                account_id: account,
                step,
                used_by: Some(actor.user_id),
                used_by_email: Some(actor.email.clone()),
                how,
                used_at: self.now(),
            })
            .await?;
        self.otp_used(actor.workspace_id, account);
        Ok(fresh)
    }

    /// Marks a step used at the app, so the next requester gets told (and
    /// machines get the next code). For HOTP, moves the counter on.
    pub async fn mark_otp_used(
        &self,
        actor: &Actor,
        id: AccountId,
        step: i64,
        how: CodeUse,
    ) -> Result<bool> {
        let (a, row) = self.active_otp_to_use(actor, id).await?;
        // Only a code handed out (or the TOTP step in use and its
        // neighbours) can be marked: a member must not be able to pre-mark
        // future TOTP steps or HOTP counters.
        let allowed = if row.kind == OtpKind::Hotp {
            (0..row.counter).contains(&step)
        } else {
            let current =
                i64::try_from(self.otp_generator(&row)?.step(unix(self.now()))).unwrap_or(i64::MAX);
            (current - 1..=current + 1).contains(&step)
        };
        if !allowed {
            return Err(AppError::invalid(
                InvalidCode::OtpStepOutOfRange,
                "only the current code (or the one just before or after it) can be marked used",
            ));
        }
        let fresh = self.record_used_step(actor, a.id, step, how.into()).await?;
        // An HOTP step marked here was claimed when it was handed out: the
        // counter is already past it.
        Ok(fresh)
    }

    /// Checks a code against the active seed with `skew` steps either side;
    /// a valid code's step is marked used, so replaying it fails, also
    /// after a restart and on another node.
    pub async fn verify_otp(
        &self,
        actor: &Actor,
        id: AccountId,
        code: &str,
        skew: u8,
    ) -> Result<Option<i64>> {
        // A valid HOTP code moves the counter on.
        let (a, row) = self.active_otp_to_use(actor, id).await?;
        let g = self.otp_generator(&row)?;
        let Some(step) = g.verify(code, unix(self.now()), skew.min(1)) else {
            return Ok(None);
        };
        let step = i64::try_from(step).unwrap_or(i64::MAX);
        let fresh = self
            .record_used_step(actor, a.id, step, StepUse::Verified)
            .await?;
        if row.kind == OtpKind::Hotp && fresh {
            self.store()
                .advance_otp_counter(actor.workspace_id, a.id, step.saturating_add(1))
                .await?;
        }
        Ok(fresh.then_some(step))
    }

    /// The ledger of codes handed out (account Owners and workspace Admins).
    pub async fn otp_ledger(
        &self,
        actor: &Actor,
        id: AccountId,
        limit: i64,
    ) -> Result<Vec<LedgerEntry>> {
        let a = self
            .account_allowing(actor, id, Action::EditAccountMetadata)
            .await?;
        Ok(self
            .store()
            .list_issuance(actor.workspace_id, a.id, limit)
            .await?
            .into_iter()
            .map(|i| LedgerEntry {
                by: i.user_email,
                how: i.how,
                step: i.step,
                at: i.issued_at.to_rfc3339(),
            })
            .collect())
    }

    /// Account ids with an active authenticator (for code tiles).
    pub async fn accounts_with_otp(
        &self,
        actor: &Actor,
    ) -> Result<std::collections::HashSet<String>> {
        Ok(self
            .store()
            .list_active_otp(actor.workspace_id)
            .await?
            .into_iter()
            .map(|r| r.account_id.to_string())
            .collect())
    }
}
