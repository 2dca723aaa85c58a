//! Approvals: step-up by approval on another device, the two-person rule (its
//! switch, critical accounts, dual approvals) and users' passkeys. Part of
//! every [`crate::Store`] through the [`ApprovalStore`] supertrait. Where
//! either kind of approval stands is an [`ApprovalStatus`], what a dual
//! approval asks to do a [`DualAction`], each spelled as stored.

use crate::models::{DualApprovalRow, PasskeyRow, StepUpRequestRow};
use crate::rows::{dual_row, passkey_row, step_up_row};
use crate::sql;
use crate::{PgStore, Result, SqliteStore};
use async_trait::async_trait;
use orthrus_core::{AccountId, EventId, SessionId, Timestamp, UserId, WorkspaceId};
use sqlx::Row;
use tracing::instrument;

/// Where a request for approval stands: a step-up by approval on another
/// device (`step_up_requests.status`) or a two-person-rule request
/// (`dual_approvals.status`). Pending, then approved or denied; an approved
/// one is used once. A pending or approved step-up past its time reads as
/// expired in views; that is never stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalStatus {
    /// Waiting for the user's other device, or for a second Owner or Super
    /// Admin.
    Pending,
    /// Approved: the asking session, or the requester, may use it once.
    Approved,
    /// Denied (for a step-up, also when a wrong number was picked).
    Denied,
    /// It elevated the asking session, or the approved action was done.
    Used,
}

impl ApprovalStatus {
    /// The stored and sent spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Denied => "denied",
            Self::Used => "used",
        }
    }
}

orthrus_core::spelled_as_str!(
    ApprovalStatus,
    "approval status",
    [Pending, Approved, Denied, Used]
);

/// What a two-person-rule request asks to do (`dual_approvals.action`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DualAction {
    /// Export every authenticator seed of the workspace.
    Export,
    /// See or use the backup codes of a critical account.
    ViewBackupCodes,
    /// Untag a critical account.
    UntagCritical,
    /// Turn the two-person rule off.
    TwoPersonRuleOff,
}

impl DualAction {
    /// The stored and sent spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Export => "export",
            Self::ViewBackupCodes => "view_backup_codes",
            Self::UntagCritical => "untag_critical",
            Self::TwoPersonRuleOff => "two_person_rule_off",
        }
    }
}

orthrus_core::spelled_as_str!(
    DualAction,
    "dual approval action",
    [Export, ViewBackupCodes, UntagCritical, TwoPersonRuleOff]
);

/// Step-up by approval on another device, the two-person rule, and passkeys.
#[async_trait]
pub trait ApprovalStore: Send + Sync {
    // Step-up by approval on another device
    async fn create_step_up_request(&self, r: &StepUpRequestRow) -> Result<()>;
    async fn get_step_up_request(
        &self,
        ws: WorkspaceId,
        id: EventId,
    ) -> Result<Option<StepUpRequestRow>>;
    /// Pending, unexpired requests of a user.
    async fn pending_step_up_requests(
        &self,
        ws: WorkspaceId,
        user: UserId,
        now: Timestamp,
    ) -> Result<Vec<StepUpRequestRow>>;
    /// Decides a pending, unexpired request once; false when it was already
    /// decided or has expired.
    async fn decide_step_up_request(
        &self,
        ws: WorkspaceId,
        id: EventId,
        status: ApprovalStatus,
        by: SessionId,
        at: Timestamp,
    ) -> Result<bool>;
    /// Uses an approved request once, for the session that asked: false when
    /// it is not approved, was approved at or before `approved_after` (too
    /// long ago), or was already used.
    async fn consume_step_up_request(
        &self,
        ws: WorkspaceId,
        q: EventId,
        session: SessionId,
        approved_after: Timestamp,
    ) -> Result<bool>;

    // Two-person rule
    async fn two_person_rule(&self, ws: WorkspaceId) -> Result<bool>;
    /// NotFound when there is no workspace `ws`.
    async fn set_two_person_rule(&self, ws: WorkspaceId, on: bool) -> Result<()>;
    async fn account_critical(&self, ws: WorkspaceId, account: AccountId) -> Result<bool>;
    async fn set_account_critical(
        &self,
        ws: WorkspaceId,
        account: AccountId,
        critical: bool,
    ) -> Result<()>;
    async fn create_dual_approval(&self, r: &DualApprovalRow) -> Result<()>;
    /// The newest open request of a requester for an action and target (pending or approved, unexpired).
    async fn open_dual_approval(
        &self,
        ws: WorkspaceId,
        requester: UserId,
        action: DualAction,
        target: &str,
        now: Timestamp,
    ) -> Result<Option<DualApprovalRow>>;
    async fn get_dual_approval(
        &self,
        ws: WorkspaceId,
        id: EventId,
    ) -> Result<Option<DualApprovalRow>>;
    async fn pending_dual_approvals(
        &self,
        ws: WorkspaceId,
        now: Timestamp,
    ) -> Result<Vec<DualApprovalRow>>;
    /// Moves a request from `from` to `to` (once); false when it was not in `from` or has expired.
    async fn transition_dual_approval(
        &self,
        ws: WorkspaceId,
        id: EventId,
        from: ApprovalStatus,
        to: ApprovalStatus,
        by: Option<(UserId, &str)>,
        at: Timestamp,
    ) -> Result<bool>;

    // Passkeys
    async fn create_passkey(&self, p: &PasskeyRow) -> Result<()>;
    async fn list_passkeys(&self, ws: WorkspaceId, user: UserId) -> Result<Vec<PasskeyRow>>;
    /// Stores a user's passkey credential after a sign-in and its last use;
    /// false (and nothing changed) when `ws` and `user` have no passkey `id`.
    async fn update_passkey(
        &self,
        ws: WorkspaceId,
        user: UserId,
        id: EventId,
        credential: &str,
        used_at: Timestamp,
    ) -> Result<bool>;
    async fn delete_passkey(&self, ws: WorkspaceId, user: UserId, id: EventId) -> Result<bool>;
}

macro_rules! impl_approvals {
    ($store:ty) => {
        #[async_trait]
        impl ApprovalStore for $store {
            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %q.workspace_id)
            )]
            async fn create_step_up_request(&self, q: &StepUpRequestRow) -> Result<()> {
                let insert = r#"
                    INSERT INTO step_up_requests (id, workspace_id, user_id, session_id, number, choices,
                        status, ip, user_agent, created_at, expires_at, decided_at, decided_by_session,
                        purpose)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, NULL, $12)
                    "#;
                let keys = [
                    q.id.to_string(),
                    q.workspace_id.to_string(),
                    q.user_id.to_string(),
                    q.session_id.to_string(),
                ];
                sql::run(&self.pool, insert, keys, |query| {
                    query
                        .bind(&q.number)
                        .bind(q.choices.join(","))
                        .bind(q.status.as_str())
                        .bind(&q.ip)
                        .bind(&q.user_agent)
                        .bind(q.created_at.0)
                        .bind(q.expires_at.0)
                        .bind(&q.purpose)
                })
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, id = %q)
            )]
            async fn get_step_up_request(
                &self,
                ws: WorkspaceId,
                q: EventId,
            ) -> Result<Option<StepUpRequestRow>> {
                sql::by_id(&self.pool, "step_up_requests", "*", ws, q, step_up_row).await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, user = %user)
            )]
            async fn pending_step_up_requests(
                &self,
                ws: WorkspaceId,
                user: UserId,
                now: Timestamp,
            ) -> Result<Vec<StepUpRequestRow>> {
                let select = r#"
                    SELECT *
                    FROM step_up_requests
                    WHERE workspace_id = $1 AND user_id = $2 AND status = 'pending' AND expires_at > $3
                    ORDER BY created_at DESC
                    "#;
                let keys = [ws.to_string(), user.to_string()];
                sql::all_with(&self.pool, select, keys, |query| query.bind(now.0), step_up_row).await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, id = %q)
            )]
            async fn decide_step_up_request(
                &self,
                ws: WorkspaceId,
                q: EventId,
                status: ApprovalStatus,
                by: SessionId,
                at: Timestamp,
            ) -> Result<bool> {
                let update = r#"
                    UPDATE step_up_requests
                    SET status = $3,
                        decided_by_session = $4,
                        decided_at = $5
                    WHERE workspace_id = $1 AND id = $2 AND status = 'pending' AND expires_at > $5
                    "#;
                sql::changed_one(
                    &self.pool,
                    update,
                    [ws.to_string(), q.to_string()],
                    |query| {
                        query
                            .bind(status.as_str())
                            .bind(by.to_string())
                            .bind(at.0)
                    },
                )
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, id = %q, session = %session)
            )]
            async fn consume_step_up_request(
                &self,
                ws: WorkspaceId,
                q: EventId,
                session: SessionId,
                approved_after: Timestamp,
            ) -> Result<bool> {
                let update = r#"
                    UPDATE step_up_requests
                    SET status = 'used'
                    WHERE workspace_id = $1
                        AND id = $2
                        AND session_id = $3
                        AND status = 'approved'
                        AND decided_at > $4
                    "#;
                let keys = [ws.to_string(), q.to_string(), session.to_string()];
                sql::changed_one(&self.pool, update, keys, |query| {
                    query.bind(approved_after.0)
                })
                .await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn two_person_rule(&self, ws: WorkspaceId) -> Result<bool> {
                let select = "SELECT two_person_rule FROM workspaces WHERE id = $1";
                let on = sql::one_by(&self.pool, select, [ws.to_string()], |r| {
                    Ok(r.try_get::<bool, _>("two_person_rule")?)
                })
                .await?;
                Ok(on.unwrap_or(false))
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn set_two_person_rule(&self, ws: WorkspaceId, on: bool) -> Result<()> {
                let update = r#"
                    UPDATE workspaces
                    SET two_person_rule = $2
                    WHERE id = $1
                    "#;
                let done =
                    sql::execute(&self.pool, update, [ws.to_string()], |query| query.bind(on))
                        .await?;
                sql::one_row(done)
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %a)
            )]
            async fn account_critical(&self, ws: WorkspaceId, a: AccountId) -> Result<bool> {
                let critical = sql::by_id(&self.pool, "accounts", "critical", ws, a, |r| {
                    Ok(r.try_get::<bool, _>("critical")?)
                })
                .await?;
                Ok(critical.unwrap_or(false))
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, account = %a)
            )]
            async fn set_account_critical(
                &self,
                ws: WorkspaceId,
                a: AccountId,
                critical: bool,
            ) -> Result<()> {
                let set = "critical = $3";
                let done = sql::set_by_id(&self.pool, "accounts", set, ws, a, |query| {
                    query.bind(critical)
                })
                .await?;
                sql::one_row(done)
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %q.workspace_id)
            )]
            async fn create_dual_approval(&self, q: &DualApprovalRow) -> Result<()> {
                let insert = r#"
                    INSERT INTO dual_approvals (id, workspace_id, requester_id, requester_email, action,
                        target_id, status, created_at, expires_at, decided_by, decided_by_email, decided_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL, NULL)
                    "#;
                let keys = [
                    q.id.to_string(),
                    q.workspace_id.to_string(),
                    q.requester_id.to_string(),
                ];
                sql::run(&self.pool, insert, keys, |query| {
                    query
                        .bind(&q.requester_email)
                        .bind(q.action.as_str())
                        .bind(&q.target_id)
                        .bind(q.status.as_str())
                        .bind(q.created_at.0)
                        .bind(q.expires_at.0)
                })
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, requester = %requester)
            )]
            async fn open_dual_approval(
                &self,
                ws: WorkspaceId,
                requester: UserId,
                action: DualAction,
                target: &str,
                now: Timestamp,
            ) -> Result<Option<DualApprovalRow>> {
                let select = r#"
                    SELECT *
                    FROM dual_approvals
                    WHERE workspace_id = $1
                        AND requester_id = $2
                        AND action = $3
                        AND target_id = $4
                        AND status IN ('pending', 'approved')
                        AND expires_at > $5
                    ORDER BY created_at DESC
                    LIMIT 1
                    "#;
                let keys = [ws.to_string(), requester.to_string()];
                sql::one_with(
                    &self.pool,
                    select,
                    keys,
                    |query| query.bind(action.as_str()).bind(target).bind(now.0),
                    dual_row,
                )
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, id = %q)
            )]
            async fn get_dual_approval(
                &self,
                ws: WorkspaceId,
                q: EventId,
            ) -> Result<Option<DualApprovalRow>> {
                sql::by_id(&self.pool, "dual_approvals", "*", ws, q, dual_row).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn pending_dual_approvals(
                &self,
                ws: WorkspaceId,
                now: Timestamp,
            ) -> Result<Vec<DualApprovalRow>> {
                let select = r#"
                    SELECT *
                    FROM dual_approvals
                    WHERE workspace_id = $1 AND status = 'pending' AND expires_at > $2
                    ORDER BY created_at
                    "#;
                let keys = [ws.to_string()];
                sql::all_with(&self.pool, select, keys, |query| query.bind(now.0), dual_row).await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, id = %q)
            )]
            async fn transition_dual_approval(
                &self,
                ws: WorkspaceId,
                q: EventId,
                from: ApprovalStatus,
                to: ApprovalStatus,
                by: Option<(UserId, &str)>,
                at: Timestamp,
            ) -> Result<bool> {
                let update = r#"
                    UPDATE dual_approvals
                    SET status = $4,
                        decided_by = COALESCE($5, decided_by),
                        decided_by_email = COALESCE($6, decided_by_email),
                        decided_at = COALESCE($7, decided_at)
                    WHERE workspace_id = $1 AND id = $2 AND status = $3 AND expires_at > $8
                    "#;
                sql::changed_one(
                    &self.pool,
                    update,
                    [ws.to_string(), q.to_string()],
                    |query| {
                        query
                            .bind(from.as_str())
                            .bind(to.as_str())
                            .bind(by.map(|b| b.0.to_string()))
                            .bind(by.map(|b| b.1.to_owned()))
                            .bind(by.map(|_| at.0))
                            .bind(at.0)
                    },
                )
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %p.workspace_id)
            )]
            async fn create_passkey(&self, p: &PasskeyRow) -> Result<()> {
                let insert = r#"
                    INSERT INTO user_passkeys (id, workspace_id, user_id, name, credential, created_at,
                        last_used_at)
                    VALUES ($1, $2, $3, $4, $5, $6, NULL)
                    "#;
                let keys = [p.id.to_string(), p.workspace_id.to_string(), p.user_id.to_string()];
                sql::run(&self.pool, insert, keys, |query| {
                    query
                        .bind(&p.name)
                        .bind(&p.credential)
                        .bind(p.created_at.0)
                })
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, user = %user)
            )]
            async fn list_passkeys(
                &self,
                ws: WorkspaceId,
                user: UserId,
            ) -> Result<Vec<PasskeyRow>> {
                let select = r#"
                    SELECT id, workspace_id, user_id, name, credential, created_at, last_used_at
                    FROM user_passkeys
                    WHERE workspace_id = $1 AND user_id = $2
                    ORDER BY created_at
                    "#;
                sql::all_by(
                    &self.pool,
                    select,
                    [ws.to_string(), user.to_string()],
                    passkey_row,
                )
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, user = %user)
            )]
            async fn update_passkey(
                &self,
                ws: WorkspaceId,
                user: UserId,
                p: EventId,
                credential: &str,
                used_at: Timestamp,
            ) -> Result<bool> {
                let update = r#"
                    UPDATE user_passkeys
                    SET credential = $4,
                        last_used_at = $5
                    WHERE workspace_id = $1 AND user_id = $2 AND id = $3
                    "#;
                let keys = [ws.to_string(), user.to_string(), p.to_string()];
                sql::changed_one(&self.pool, update, keys, |query| {
                    query.bind(credential).bind(used_at.0)
                })
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, user = %user)
            )]
            async fn delete_passkey(
                &self,
                ws: WorkspaceId,
                user: UserId,
                p: EventId,
            ) -> Result<bool> {
                let delete = r#"
                    DELETE FROM user_passkeys
                    WHERE workspace_id = $1 AND user_id = $2 AND id = $3
                    "#;
                let keys = [ws.to_string(), user.to_string(), p.to_string()];
                sql::changed_one(&self.pool, delete, keys, |query| query).await
            }
        }
    };
}

impl_approvals!(SqliteStore);
impl_approvals!(PgStore);

#[cfg(test)]
mod tests {
    use super::{ApprovalStatus, DualAction};
    use crate::StoreError;
    use crate::sql::parse;

    #[test]
    fn each_word_is_spelled_once_as_stored_and_an_unknown_one_is_corrupt() {
        let spelled = |words: Vec<&'static str>| words.join(",");
        assert_eq!(
            spelled(ApprovalStatus::ALL.iter().map(|s| s.as_str()).collect()),
            "pending,approved,denied,used"
        );
        assert_eq!(
            spelled(DualAction::ALL.iter().map(|a| a.as_str()).collect()),
            "export,view_backup_codes,untag_critical,two_person_rule_off"
        );
        for a in DualAction::ALL {
            assert_eq!(a.to_string().parse(), Ok(a));
            assert_eq!(serde_json::to_value(a).unwrap(), a.as_str());
            assert_eq!(
                serde_json::from_value::<DualAction>(a.as_str().into()).unwrap(),
                a
            );
        }
        for s in ApprovalStatus::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
            assert_eq!(
                serde_json::from_value::<ApprovalStatus>(s.as_str().into()).unwrap(),
                s
            );
        }
        assert_eq!("used".parse(), Ok(ApprovalStatus::Used));
        assert_eq!(
            serde_json::to_value(ApprovalStatus::Approved).unwrap(),
            "approved"
        );
        let e = parse::<ApprovalStatus>("expired", "approval status").err();
        assert!(
            matches!(e, Some(StoreError::Corrupt(ref s)) if s == "bad approval status: \"expired\""),
            "{e:?}"
        );
        assert!("Approved".parse::<ApprovalStatus>().is_err());
        assert!("view".parse::<DualAction>().is_err());
    }
}
