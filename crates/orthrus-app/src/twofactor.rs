//! Users' own two-factor sign-in (TOTP) with single-use recovery codes. The
//! same OTP engine (`orthrus-otp`) generates the team's account codes.

use crate::AuditAction;
use crate::audit::Event;
use crate::{Actor, App, AppError, Result};
use crate::{ConflictCode, InvalidCode};
use orthrus_core::AuditTarget;
use orthrus_otp::{Generator, OtpParams, Secret};
use orthrus_store::UserRow;
use serde::Serialize;

/// What the user needs to add Orthrus to their authenticator app.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TotpEnrollment {
    pub secret: String,
    pub otpauth_uri: String,
    /// An SVG QR code of `otpauth_uri`.
    pub qr_svg: String,
}

/// The state of a user's 2FA.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TwoFactorStatus {
    pub enabled: bool,
    pub pending: bool,
    pub required_by_workspace: bool,
    pub recovery_codes_left: i64,
}

const RECOVERY_CODES: usize = 10;
/// Accept the previous and next 30-second step as well (clock drift).
const SKEW: u8 = 1;

fn aad(user: &UserRow) -> (String, &'static str) {
    (user.id.to_string(), "totp_secret")
}

impl App {
    fn user_generator(&self, user: &UserRow) -> Result<Generator> {
        let sealed = user.totp_secret.as_deref().ok_or(AppError::invalid(
            InvalidCode::TwoFactorNotStarted,
            "start setting up two-factor authentication first",
        ))?;
        let (rec, field) = aad(user);
        let bytes = self.open_bytes("users", &rec, field, sealed)?;
        let params = OtpParams {
            issuer: Some(self.inner.config.totp_issuer.clone()),
            account_name: Some(user.email.clone()),
            ..OtpParams::default()
        };
        Generator::new(Secret::from_bytes(bytes.to_vec()), params)
            .map_err(|e| AppError::Internal(e.to_string()))
    }

    fn recovery_hash(&self, code: &str) -> String {
        let norm: String = code
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        self.inner
            .token_hasher
            .hash_parts(&[b"recovery", norm.as_bytes()])
    }

    /// Checks a TOTP code (replay-protected across restarts and nodes) or a
    /// single-use recovery code.
    pub(crate) async fn check_user_second_factor(
        &self,
        user: &UserRow,
        code: &str,
    ) -> Result<bool> {
        let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() == 6 && digits.chars().all(|c| c.is_ascii_digit()) {
            let g = self.user_generator(user)?;
            let now = u64::try_from(self.now().unix_seconds()).unwrap_or(0);
            return match g.verify(&digits, now, SKEW) {
                Some(step) => Ok(self
                    .store()
                    .claim_user_totp_step(
                        user.workspace_id,
                        user.id,
                        i64::try_from(step).unwrap_or(i64::MAX),
                    )
                    .await?),
                None => Ok(false),
            };
        }
        let used = self
            .store()
            .use_recovery_code(
                user.workspace_id,
                user.id,
                &self.recovery_hash(code),
                self.now(),
            )
            .await?;
        if used {
            let ev = Event::new(AuditAction::TwoFactorRecoveryCodeUsed)
                .target(AuditTarget::User, user.id);
            self.audit_raw(user.workspace_id, Some((user.id, &user.email)), None, ev)
                .await?;
        }
        Ok(used)
    }

    async fn me(&self, actor: &Actor) -> Result<UserRow> {
        self.store()
            .get_user(actor.workspace_id, actor.user_id)
            .await?
            .ok_or(AppError::Unauthenticated)
    }

    pub async fn two_factor_status(&self, actor: &Actor) -> Result<TwoFactorStatus> {
        let u = self.me(actor).await?;
        let ws = self.workspace(actor.workspace_id).await?;
        Ok(TwoFactorStatus {
            enabled: u.totp_enabled,
            pending: !u.totp_enabled && u.totp_secret.is_some(),
            required_by_workspace: ws.require_2fa,
            recovery_codes_left: self
                .store()
                .count_unused_recovery_codes(actor.workspace_id, actor.user_id)
                .await?,
        })
    }

    /// Starts (or restarts) enrolment: a new secret, not yet active.
    pub async fn begin_totp_enrollment(&self, actor: &Actor) -> Result<TotpEnrollment> {
        let u = self.me(actor).await?;
        if u.totp_enabled {
            return Err(AppError::conflict(
                ConflictCode::TwoFactorAlreadyEnabled,
                "two-factor authentication is already on; turn it off first to change devices",
            ));
        }
        let mut raw = [0u8; 20];
        self.rng().fill(&mut raw);
        let (rec, field) = aad(&u);
        let sealed = self.seal_bytes("users", &rec, field, &raw)?;
        self.store()
            .set_user_totp(
                actor.workspace_id,
                actor.user_id,
                Some(&sealed),
                false,
                self.now(),
            )
            .await?;
        self.enrollment_view(&u, &raw)
    }

    /// The enrolment started and not confirmed yet (the same key, so the
    /// form can ask for the code again after a wrong one), if any.
    pub async fn pending_totp_enrollment(&self, actor: &Actor) -> Result<Option<TotpEnrollment>> {
        let u = self.me(actor).await?;
        let Some(sealed) = u.totp_secret.as_deref().filter(|_| !u.totp_enabled) else {
            return Ok(None);
        };
        let (rec, field) = aad(&u);
        let raw = self.open_bytes("users", &rec, field, sealed)?;
        self.enrollment_view(&u, &raw).map(Some)
    }

    /// What the user's authenticator app is shown: the key, its link and QR.
    fn enrollment_view(&self, u: &UserRow, raw: &[u8]) -> Result<TotpEnrollment> {
        let secret = Secret::from_bytes(raw.to_vec());
        let params = OtpParams {
            issuer: Some(self.inner.config.totp_issuer.clone()),
            account_name: Some(u.email.clone()),
            ..OtpParams::default()
        };
        let uri = orthrus_otp::format_otpauth_uri(&secret, &params);
        let qr =
            qrcode::QrCode::new(uri.as_bytes()).map_err(|e| AppError::Internal(e.to_string()))?;
        let svg = qr
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build();
        Ok(TotpEnrollment {
            secret: secret.to_base32(),
            otpauth_uri: uri,
            qr_svg: svg,
        })
    }

    /// Confirms enrolment with a code from the app; returns the recovery
    /// codes, shown this once.
    pub async fn confirm_totp_enrollment(&self, actor: &Actor, code: &str) -> Result<Vec<String>> {
        let u = self.me(actor).await?;
        if u.totp_enabled {
            return Err(AppError::conflict(
                ConflictCode::TwoFactorAlreadyEnabled,
                "two-factor authentication is already on",
            ));
        }
        let g = self.user_generator(&u)?;
        let now = u64::try_from(self.now().unix_seconds()).unwrap_or(0);
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        let step = g.verify(&code, now, SKEW).ok_or(AppError::invalid(
            InvalidCode::TwoFactorBadCode,
            "that code is not right; check the time on your phone and enter the current code",
        ))?;
        self.store()
            .claim_user_totp_step(
                u.workspace_id,
                u.id,
                i64::try_from(step).unwrap_or(i64::MAX),
            )
            .await?;
        self.store()
            .set_user_totp(
                u.workspace_id,
                u.id,
                u.totp_secret.as_deref(),
                true,
                self.now(),
            )
            .await?;
        let codes = self.new_recovery_codes(&u).await?;
        self.audit(
            actor,
            Event::new(AuditAction::TwoFactorEnable).target(AuditTarget::User, u.id),
        )
        .await?;
        Ok(codes)
    }

    async fn new_recovery_codes(&self, u: &UserRow) -> Result<Vec<String>> {
        const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
        let mut codes = Vec::with_capacity(RECOVERY_CODES);
        for _ in 0..RECOVERY_CODES {
            let mut raw = [0u8; 10];
            self.rng().fill(&mut raw);
            // 31 symbols: the modulo bias is negligible for one-time codes.
            let s: String = raw
                .iter()
                .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
                .collect();
            codes.push(format!("{}-{}", &s[..5], &s[5..]));
        }
        let hashes: Vec<String> = codes.iter().map(|c| self.recovery_hash(c)).collect();
        self.store()
            .replace_recovery_codes(u.workspace_id, u.id, &hashes)
            .await?;
        Ok(codes)
    }

    /// New recovery codes (the old ones stop working); needs step-up.
    pub async fn regenerate_recovery_codes(&self, actor: &Actor) -> Result<Vec<String>> {
        self.require_step_up(actor)?;
        let u = self.me(actor).await?;
        if !u.totp_enabled {
            return Err(AppError::invalid(
                InvalidCode::TwoFactorNotEnabled,
                "turn on two-factor authentication first",
            ));
        }
        let codes = self.new_recovery_codes(&u).await?;
        self.audit(
            actor,
            Event::new(AuditAction::TwoFactorRecoveryCodesRegenerated)
                .target(AuditTarget::User, u.id),
        )
        .await?;
        Ok(codes)
    }

    /// Turns the user's own 2FA off; needs a fresh step-up. Refused when the
    /// workspace requires 2FA.
    pub async fn disable_totp(&self, actor: &Actor) -> Result<()> {
        self.require_step_up(actor)?;
        let ws = self.workspace(actor.workspace_id).await?;
        if ws.require_2fa {
            return Err(AppError::invalid(
                InvalidCode::TwoFactorRequired,
                "your workspace requires two-factor authentication",
            ));
        }
        self.clear_user_2fa(actor.workspace_id, actor.user_id)
            .await?;
        self.audit(
            actor,
            Event::new(AuditAction::TwoFactorDisable).target(AuditTarget::User, actor.user_id),
        )
        .await
    }

    /// Takes a user's own 2FA away: no authenticator and no recovery codes
    /// (turned off by themselves, or reset by an Admin for a lost phone).
    pub(crate) async fn clear_user_2fa(
        &self,
        ws: orthrus_core::WorkspaceId,
        user: orthrus_core::UserId,
    ) -> Result<()> {
        let store = self.store();
        store
            .set_user_totp(ws, user, None, false, self.now())
            .await?;
        store.replace_recovery_codes(ws, user, &[]).await?;
        Ok(())
    }
}
