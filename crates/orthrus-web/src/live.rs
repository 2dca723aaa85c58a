//! Live streams (server-sent events) end when the caller's sign-in does
//! (issue 11): a stream is opened once but lasts minutes, so its
//! credentials are checked again whenever the caller's sign-ins may have
//! ended (a session or token revoked, the user deactivated or given another
//! role: on any node, heard through the app's change hub, issue 16) and
//! at least every [`RECHECK`] (expiry; every [`UNHEARD_RECHECK`] while
//! the change feed is down), and the stream closes once they no
//! longer sign the caller in or the caller's workspace role changed. The
//! browser then reconnects and is authenticated afresh.

use crate::WebState;
use crate::error::WebError;
use crate::extract::{SESSION_COOKIE, bearer, cookie};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use futures_util::{Stream, StreamExt};
use orthrus_app::{Actor, AppError, Change, ChangeWatch};
use std::time::Duration;

/// The longest a live stream goes without checking its credentials again
/// (a revocation is heard at once; this catches expiry).
const RECHECK: Duration = Duration::from_secs(30);

/// How often instead while changes may go unheard: another process on
/// the SQLite file, or PostgreSQL's change feed disconnected.
const UNHEARD_RECHECK: Duration = Duration::from_secs(2);

/// An authenticated caller of a live stream, with what is needed to check
/// the credentials again later.
pub(crate) struct LiveAuth {
    pub actor: Actor,
    token: String,
    ip: String,
    /// Taken before the first authentication: nothing is missed.
    changes: ChangeWatch,
}

impl FromRequestParts<WebState> for LiveAuth {
    type Rejection = WebError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &WebState,
    ) -> Result<Self, Self::Rejection> {
        let ip = crate::extract::request_ip(state, parts);
        let token = bearer(&parts.headers)
            .or_else(|| cookie(&parts.headers, SESSION_COOKIE))
            .ok_or(WebError(AppError::Unauthenticated))?;
        let changes = state.app.watch_changes();
        let actor = state.app.authenticate(&token, &ip).await?;
        Ok(Self {
            actor,
            token,
            ip,
            changes,
        })
    }
}

impl LiveAuth {
    /// `stream`, ended once these credentials no longer sign the same user
    /// in with the same workspace role: at once on a revocation,
    /// deactivation or role change (any node), within [`RECHECK`] on expiry.
    pub(crate) fn bound<S: Stream>(self, s: WebState, stream: S) -> impl Stream<Item = S::Item> {
        let Self {
            actor,
            token,
            ip,
            mut changes,
        } = self;
        let (user, role, ws) = (actor.user_id, actor.role, actor.workspace_id);
        // On SQLite another process (an admin command) may end it unheard:
        // look every 2 s there, as before issue 16.
        let recheck = s
            .app
            .unheard_writes_recheck()
            .map_or(RECHECK, |d| d.max(UNHEARD_RECHECK));
        let mut hearing = s.app.hearing_other_nodes();
        let signed_out = async move {
            loop {
                // While PostgreSQL's change feed is down, another node's
                // revocation goes unheard: look every 2 s until it is back.
                let wait = if *hearing.borrow_and_update() {
                    recheck
                } else {
                    UNHEARD_RECHECK
                };
                let mine = |c: &Change| matches!(c, Change::Access { workspace, user: u } if *workspace == ws && *u == user);
                tokio::select! {
                    _ = tokio::time::timeout(wait, changes.until(mine)) => {}
                    // The feed went down (or came back): wait anew.
                    Ok(()) = hearing.changed() => continue,
                }
                match s.app.authenticate(&token, &ip).await {
                    Ok(a) if a.user_id == user && a.role == role => {}
                    // Signed out, deactivated, another role, or the check
                    // failed: end; the browser reconnects and signs in anew.
                    _ => break,
                }
            }
        };
        stream.take_until(signed_out)
    }
}
