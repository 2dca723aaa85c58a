//! Access requests and guests' end of access (issue 15): someone asks for a
//! role on an account for a while and an Owner decides; a guest's access to
//! the workspace ends at a date. Part of every [`crate::Store`] through the
//! [`AccessStore`] supertrait.

use crate::models::{AccessRequestRow, AccessRequestState, AccessRequestView, UserRow};
use crate::rows::{access_request_view, id};
use crate::sql::{self, sql_fmt};
use crate::{PgStore, Result, SqliteStore};
use async_trait::async_trait;
use orthrus_core::{EventId, Timestamp, UserId, WorkspaceId};
use tracing::instrument;

/// A decision on a pending access request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessDecision {
    pub state: AccessRequestState,
    pub by: UserId,
    pub at: Timestamp,
    pub note: Option<String>,
    /// For an approval: when the membership it creates ends.
    pub grant_expires_at: Option<Timestamp>,
}

#[async_trait]
pub trait AccessStore: Send + Sync {
    /// Conflict when the person already has a pending request for the account.
    async fn create_access_request(&self, r: &AccessRequestRow) -> Result<()>;
    async fn get_access_request(
        &self,
        ws: WorkspaceId,
        id: EventId,
    ) -> Result<Option<AccessRequestView>>;
    /// The workspace's requests, newest first: with `pending_only`, only the
    /// undecided ones; at most `limit`.
    async fn list_access_requests(
        &self,
        ws: WorkspaceId,
        pending_only: bool,
        limit: i64,
    ) -> Result<Vec<AccessRequestView>>;
    /// Decides a pending request; false when it was decided already (a
    /// second Owner deciding at the same time loses).
    async fn decide_access_request(
        &self,
        ws: WorkspaceId,
        id: EventId,
        d: &AccessDecision,
    ) -> Result<bool>;
    /// Sets (or clears) when a user's access to the workspace ends.
    async fn set_user_access_end(
        &self,
        ws: WorkspaceId,
        user: UserId,
        until: Option<Timestamp>,
        at: Timestamp,
    ) -> Result<bool>;
    /// Active users (of every workspace) whose access ended at or before
    /// `now`, at most `limit`.
    async fn users_past_access_end(&self, now: Timestamp, limit: i64) -> Result<Vec<UserRow>>;
}

const REQUEST_VIEW: &str = "SELECT r.id, r.workspace_id, r.account_id, r.requester_id, r.role, r.reason, r.duration_secs, r.state, r.created_at, r.decided_by, r.decided_at, r.note, r.grant_expires_at,
       a.label AS account_label, a.app AS account_app, u.email AS requester_email, u.name AS requester_name, d.email AS decided_by_email
  FROM access_requests r
  JOIN accounts a ON a.id = r.account_id
  JOIN users u ON u.id = r.requester_id
  LEFT JOIN users d ON d.id = r.decided_by";

macro_rules! impl_access {
    ($store:ty) => {
        #[async_trait]
        impl AccessStore for $store {
            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn create_access_request(&self, r: &AccessRequestRow) -> Result<()> {
                let insert = r#"
                    INSERT INTO access_requests (id, workspace_id, account_id, requester_id, role, reason,
                        duration_secs, state, created_at, decided_by, decided_at, note, grant_expires_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL, NULL, NULL)
                    "#;
                let keys = [
                    r.id.to_string(),
                    r.workspace_id.to_string(),
                    r.account_id.to_string(),
                    r.requester_id.to_string(),
                ];
                let what = "a request for this account is already waiting";
                sql::execute_unique(&self.pool, insert, keys, what, |query| {
                    query
                        .bind(r.role.as_str())
                        .bind(&r.reason)
                        .bind(r.duration_secs)
                        .bind(r.state.as_str())
                        .bind(r.created_at.0)
                })
                .await?;
                Ok(())
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, id = %id)
            )]
            async fn get_access_request(
                &self,
                ws: WorkspaceId,
                id: EventId,
            ) -> Result<Option<AccessRequestView>> {
                let select = sql_fmt!("{REQUEST_VIEW} WHERE r.workspace_id = $1 AND r.id = $2");
                let keys = [ws.to_string(), id.to_string()];
                sql::one_by(&self.pool, select, keys, access_request_view).await
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND, ws = %ws))]
            async fn list_access_requests(
                &self,
                ws: WorkspaceId,
                pending_only: bool,
                limit: i64,
            ) -> Result<Vec<AccessRequestView>> {
                let select = sql_fmt!(
                    r#"
                    {REQUEST_VIEW}
                    WHERE r.workspace_id = $1 AND ($2 = FALSE OR r.state = 'pending')
                    ORDER BY r.created_at DESC, r.id DESC
                    LIMIT $3
                    "#
                );
                sql::all_with(
                    &self.pool,
                    select,
                    [ws.to_string()],
                    |query| query.bind(pending_only).bind(limit),
                    access_request_view,
                )
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, id = %id)
            )]
            async fn decide_access_request(
                &self,
                ws: WorkspaceId,
                id: EventId,
                d: &AccessDecision,
            ) -> Result<bool> {
                let update = r#"
                    UPDATE access_requests
                    SET state = $3, decided_by = $4, decided_at = $5, note = $6, grant_expires_at = $7
                    WHERE workspace_id = $1 AND id = $2 AND state = 'pending'
                    "#;
                sql::changed_one(&self.pool, update, [ws.to_string(), id.to_string()], |query| {
                    query
                        .bind(d.state.as_str())
                        .bind(d.by.to_string())
                        .bind(d.at.0)
                        .bind(d.note.as_deref())
                        .bind(d.grant_expires_at.map(|t| t.0))
                })
                .await
            }

            #[instrument(
                level = "debug",
                skip_all,
                fields(backend = Self::BACKEND, ws = %ws, user = %user)
            )]
            async fn set_user_access_end(
                &self,
                ws: WorkspaceId,
                user: UserId,
                until: Option<Timestamp>,
                at: Timestamp,
            ) -> Result<bool> {
                let set = "access_expires_at = $3, updated_at = $4";
                let done = sql::set_by_id(&self.pool, "users", set, ws, user, |query| {
                    query.bind(until.map(|t| t.0)).bind(at.0)
                })
                .await?;
                Ok(done == 1)
            }

            #[instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
            async fn users_past_access_end(&self, now: Timestamp, limit: i64) -> Result<Vec<UserRow>> {
                let select = r#"
                    SELECT workspace_id, id
                    FROM users
                    WHERE active = TRUE AND access_expires_at IS NOT NULL AND access_expires_at <= $1
                    ORDER BY access_expires_at
                    LIMIT $2
                    "#;
                let ids = sql::all_with(
                    &self.pool,
                    select,
                    [],
                    |query| query.bind(now.0).bind(limit),
                    |r| Ok((id::<WorkspaceId, _>(r, "workspace_id")?, id::<UserId, _>(r, "id")?)),
                )
                .await?;
                let mut out = Vec::with_capacity(ids.len());
                for (ws, id) in ids {
                    if let Some(u) = crate::UserStore::get_user(self, ws, id).await? {
                        out.push(u);
                    }
                }
                Ok(out)
            }
        }
    };
}

impl_access!(SqliteStore);
impl_access!(PgStore);
