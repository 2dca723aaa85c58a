//! Backup (recovery) codes of shared accounts: pasted the way apps show them,
//! parsed with a preview, stored sealed one by one, viewed or handed out one
//! at a time only after step-up, each used once. Replacing a set keeps the
//! old one as sealed history.

use crate::AuditAction;
use crate::InvalidCode;
use crate::audit::Event;
use crate::{Action, Actor, App, AppError, Entity, Result};
use orthrus_core::AuditOutcome;
use orthrus_core::AuditTarget;
use orthrus_core::EventId;
use orthrus_crypto::Aad;
use orthrus_store::{BackupCodeRow, BackupSetRow};
use serde::Serialize;

/// At or below this many unused codes the account warns.
pub const LOW_BACKUP_CODES: i64 = 2;

/// Counts shown on the account (no codes).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct BackupStatus {
    pub total: i64,
    pub unused: i64,
    /// Two or fewer unused codes left.
    pub low: bool,
    /// Earlier sets kept as history.
    pub replaced_sets: usize,
}

/// One code as shown after step-up.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct BackupCodeView {
    pub position: i64,
    pub code: String,
    pub used: bool,
    pub used_by: Option<String>,
    pub used_at: Option<String>,
}

/// The active set after step-up.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct BackupCodes {
    pub codes: Vec<BackupCodeView>,
    pub total: i64,
    pub unused: i64,
    pub low: bool,
}

/// A code handed out by "Use one".
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct UsedBackupCode {
    pub code: String,
    pub position: i64,
    pub unused_left: i64,
    pub low: bool,
}

fn aad_record(set: EventId, position: i64) -> String {
    format!("{set}:{position}")
}

/// Turns what was pasted (or a list) into codes, with a clear error.
pub fn parse_backup_input(codes: &[String]) -> Result<Vec<String>> {
    let parsed = orthrus_otp::backup_codes::parse(&codes.join("\n"));
    if parsed.is_empty() {
        return Err(AppError::invalid(
            InvalidCode::BackupCodesNoneFound,
            "no backup codes found: paste them the way the app shows them, one per line or separated by commas",
        ));
    }
    if parsed.len() > 100 {
        return Err(AppError::invalid(
            InvalidCode::BackupCodesTooMany,
            "at most 100 backup codes per account",
        ));
    }
    Ok(parsed)
}

impl App {
    /// What a paste would store (account Owner); nothing is written.
    pub async fn preview_backup_codes(
        &self,
        actor: &Actor,
        id: orthrus_core::AccountId,
        input: &[String],
    ) -> Result<Vec<String>> {
        self.account_allowing(actor, id, Action::SetBackupCodes)
            .await?;
        parse_backup_input(input)
    }

    /// Stores a new set (account Owner); the previous set becomes history.
    pub async fn set_backup_codes(
        &self,
        actor: &Actor,
        id: orthrus_core::AccountId,
        input: &[String],
    ) -> Result<BackupStatus> {
        let a = self
            .account_allowing(actor, id, Action::SetBackupCodes)
            .await?;
        let codes = parse_backup_input(input)?;
        let set_id = EventId::new(self.inner.clock.as_ref(), self.rng());
        let set = BackupSetRow {
            id: set_id,
            workspace_id: actor.workspace_id,
            account_id: a.id,
            active: true,
            created_by: actor.user_id,
            created_at: self.now(),
            replaced_at: None,
        };
        let rows = codes
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let position = i64::try_from(i).unwrap_or(0);
                Ok(BackupCodeRow {
                    set_id,
                    workspace_id: actor.workspace_id,
                    account_id: a.id,
                    position,
                    code: self.seal("backup_codes", &aad_record(set_id, position), "code", c)?,
                    used_at: None,
                    used_by: None,
                    used_by_email: None,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        self.store().replace_backup_codes(&set, &rows).await?;
        self.audit(
            actor,
            Event::new(AuditAction::AccountBackupCodesSet)
                .target(AuditTarget::Account, a.id)
                .detail(serde_json::json!({"count": rows.len()})),
        )
        .await?;
        self.backup_status(actor, id).await
    }

    /// Counts for the account page (anyone who sees the account).
    pub async fn backup_status(
        &self,
        actor: &Actor,
        id: orthrus_core::AccountId,
    ) -> Result<BackupStatus> {
        let (a, _) = self.account_for(actor, id).await?;
        let sets = self
            .store()
            .list_backup_sets(actor.workspace_id, a.id)
            .await?;
        let active = sets.iter().find(|s| s.set.active);
        let (total, unused) = active.map(|s| (s.total, s.unused)).unwrap_or((0, 0));
        Ok(BackupStatus {
            total,
            unused,
            low: total > 0 && unused <= LOW_BACKUP_CODES,
            replaced_sets: sets.iter().filter(|s| !s.set.active).count(),
        })
    }

    async fn active_codes(
        &self,
        actor: &Actor,
        id: orthrus_core::AccountId,
    ) -> Result<(orthrus_core::AccountId, BackupSetRow, Vec<BackupCodeRow>)> {
        let (a, subject) = self.account_for(actor, id).await?;
        if let Err(e) = self.check_subject(actor, subject, Action::ViewBackupCodes) {
            self.audit(
                actor,
                Event::new(AuditAction::AccountBackupCodesView)
                    .target(AuditTarget::Account, a.id)
                    .outcome(AuditOutcome::Denied)
                    .detail(serde_json::json!({"reason": e.code()})),
            )
            .await?;
            return Err(e);
        }
        if self
            .store()
            .account_critical(actor.workspace_id, a.id)
            .await?
        {
            self.require_second_person(
                actor,
                orthrus_store::DualAction::ViewBackupCodes,
                &a.id.to_string(),
            )
            .await?;
        }
        let (set, codes) = self
            .store()
            .active_backup_codes(actor.workspace_id, a.id)
            .await?
            .ok_or(AppError::NotFound(Entity::BackupCodes))?;
        Ok((a.id, set, codes))
    }

    fn open_code(&self, c: &BackupCodeRow) -> Result<String> {
        Ok(self
            .inner
            .envelope
            .open_string(
                &Aad::new("backup_codes", &aad_record(c.set_id, c.position), "code"),
                &c.code,
            )?
            .to_string())
    }

    /// Shows the active set (account Owner, step-up; audited).
    pub async fn view_backup_codes(
        &self,
        actor: &Actor,
        id: orthrus_core::AccountId,
    ) -> Result<BackupCodes> {
        let (account, _, rows) = self.active_codes(actor, id).await?;
        let codes = rows
            .iter()
            .map(|c| {
                Ok(BackupCodeView {
                    position: c.position,
                    code: self.open_code(c)?,
                    used: c.used_at.is_some(),
                    used_by: c.used_by_email.clone(),
                    used_at: c.used_at.map(|t| t.to_rfc3339()),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let total = i64::try_from(codes.len()).unwrap_or(0);
        let unused = i64::try_from(codes.iter().filter(|c| !c.used).count()).unwrap_or(0);
        self.audit(
            actor,
            Event::new(AuditAction::AccountBackupCodesView).target(AuditTarget::Account, account),
        )
        .await?;
        Ok(BackupCodes {
            codes,
            total,
            unused,
            low: unused <= LOW_BACKUP_CODES,
        })
    }

    /// Hands out one unused code and marks it used (step-up; audited).
    pub async fn use_backup_code(
        &self,
        actor: &Actor,
        id: orthrus_core::AccountId,
    ) -> Result<UsedBackupCode> {
        let (account, set, rows) = self.active_codes(actor, id).await?;
        for c in rows.iter().filter(|c| c.used_at.is_none()) {
            // Another member may take the same code at the same moment: the
            // conditional update decides, and the loser takes the next one.
            if self
                .store()
                .mark_backup_code_used(
                    actor.workspace_id,
                    set.id,
                    c.position,
                    actor.user_id,
                    &actor.email,
                    self.now(),
                )
                .await?
            {
                let unused_left =
                    i64::try_from(rows.iter().filter(|r| r.used_at.is_none()).count()).unwrap_or(1)
                        - 1;
                let code = self.open_code(c)?;
                self.audit(
                    actor,
                    Event::new(AuditAction::AccountBackupCodeUse)
                        .target(AuditTarget::Account, account)
                        .detail(
                            serde_json::json!({"position": c.position, "unused_left": unused_left}),
                        ),
                )
                .await?;
                self.warn_if_low(actor, account, unused_left).await?;
                return Ok(UsedBackupCode {
                    code,
                    position: c.position,
                    unused_left,
                    low: unused_left <= LOW_BACKUP_CODES,
                });
            }
        }
        Err(AppError::invalid(
            InvalidCode::BackupCodesExhausted,
            "every backup code was used: generate new ones in the app and add them here",
        ))
    }

    /// Marks a code used by hand (step-up; audited).
    pub async fn mark_backup_code_used(
        &self,
        actor: &Actor,
        id: orthrus_core::AccountId,
        position: i64,
    ) -> Result<BackupStatus> {
        let (account, set, rows) = self.active_codes(actor, id).await?;
        if !rows.iter().any(|c| c.position == position) {
            return Err(AppError::NotFound(Entity::BackupCode));
        }
        let newly = self
            .store()
            .mark_backup_code_used(
                actor.workspace_id,
                set.id,
                position,
                actor.user_id,
                &actor.email,
                self.now(),
            )
            .await?;
        if newly {
            let unused_left =
                i64::try_from(rows.iter().filter(|r| r.used_at.is_none()).count()).unwrap_or(1) - 1;
            self.audit(
                actor,
                Event::new(AuditAction::AccountBackupCodeMarkedUsed)
                    .target(AuditTarget::Account, account)
                    .detail(serde_json::json!({"position": position})),
            )
            .await?;
            self.warn_if_low(actor, account, unused_left).await?;
        }
        self.backup_status(actor, id).await
    }

    async fn warn_if_low(
        &self,
        actor: &Actor,
        account: orthrus_core::AccountId,
        unused_left: i64,
    ) -> Result<()> {
        if unused_left <= LOW_BACKUP_CODES {
            self.audit(
                actor,
                Event::new(AuditAction::AccountBackupCodesLow)
                    .target(AuditTarget::Account, account)
                    .outcome(AuditOutcome::Warning)
                    .detail(serde_json::json!({"unused_left": unused_left})),
            )
            .await?;
        }
        Ok(())
    }
}
