//! Live streams (server-sent events) end when the caller's sign-in does
//! (issue 11): a stream is opened once but lasts minutes, so its
//! credentials are checked again every few seconds, and the stream closes
//! once they no longer sign the caller in (signed out, session or token
//! revoked or expired, user deactivated) or the caller's workspace role
//! changed. The browser then reconnects and is authenticated afresh.

use crate::WebState;
use crate::error::WebError;
use crate::extract::{SESSION_COOKIE, bearer, client_ip, cookie};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use futures_util::{Stream, StreamExt};
use orthrus_app::{Actor, AppError};
use std::net::SocketAddr;
use std::time::Duration;

/// How often a live stream's credentials are checked again.
const RECHECK: Duration = Duration::from_secs(2);

/// An authenticated caller of a live stream, with what is needed to check
/// the credentials again later.
pub(crate) struct LiveAuth {
    pub actor: Actor,
    token: String,
    ip: String,
}

impl FromRequestParts<WebState> for LiveAuth {
    type Rejection = WebError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &WebState,
    ) -> Result<Self, Self::Rejection> {
        let ip = client_ip(
            state,
            &parts.headers,
            parts.extensions.get::<ConnectInfo<SocketAddr>>(),
        );
        let token = bearer(&parts.headers)
            .or_else(|| cookie(&parts.headers, SESSION_COOKIE))
            .ok_or(WebError(AppError::Unauthenticated))?;
        let actor = state.app.authenticate(&token, &ip).await?;
        Ok(Self { actor, token, ip })
    }
}

impl LiveAuth {
    /// `stream`, ended within about [`RECHECK`] once these credentials no
    /// longer sign the same user in with the same workspace role.
    pub(crate) fn bound<S: Stream>(self, s: WebState, stream: S) -> impl Stream<Item = S::Item> {
        let Self { actor, token, ip } = self;
        let (user, role) = (actor.user_id, actor.role);
        let signed_out = async move {
            loop {
                tokio::time::sleep(RECHECK).await;
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
