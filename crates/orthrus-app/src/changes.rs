//! This node's change hub (issue 16, item 2): live pages, `inbox wait`, the
//! job runner and the sign-in re-check of live streams wait here for what
//! they care about instead of polling. Local writes publish at once (the
//! whole story on SQLite); on PostgreSQL [`App::follow_other_nodes`] also
//! relays what every node wrote, heard through LISTEN/NOTIFY, including a
//! [`Change::Resync`] whenever the listening connection comes back.

use crate::App;
pub use orthrus_store::Change;
use tokio::sync::{broadcast, watch};

/// How many changes a slow subscriber may fall behind before it is told
/// to look again ([`Change::Resync`]) instead.
const BACKLOG: usize = 256;

/// [`App::unheard_writes_recheck`] on SQLite.
const SQLITE_RECHECK: std::time::Duration = std::time::Duration::from_secs(1);

pub(crate) struct Hub {
    tx: broadcast::Sender<Change>,
    /// False while the change feed is not listening (PostgreSQL, between
    /// starting or losing its connection and listening again): other
    /// nodes' changes may go unheard meanwhile.
    listening: watch::Sender<bool>,
}

impl Default for Hub {
    fn default() -> Self {
        Self {
            tx: broadcast::channel(BACKLOG).0,
            listening: watch::channel(true).0,
        }
    }
}

/// Every change published after it was taken ([`App::watch_changes`]).
/// Take it before looking at the data, so nothing changed in between is
/// missed.
pub struct ChangeWatch {
    rx: broadcast::Receiver<Change>,
}

impl ChangeWatch {
    /// The next change; one that fell behind hears [`Change::Resync`].
    pub async fn next(&mut self) -> Change {
        match self.rx.recv().await {
            Ok(c) => c,
            Err(broadcast::error::RecvError::Lagged(_)) => Change::Resync,
            // The hub lives as long as the app: never.
            Err(broadcast::error::RecvError::Closed) => std::future::pending().await,
        }
    }

    /// Resolves at the first change `wanted` accepts, or at a
    /// [`Change::Resync`].
    pub async fn until(&mut self, wanted: impl Fn(&Change) -> bool) {
        loop {
            let c = self.next().await;
            if c == Change::Resync || wanted(&c) {
                return;
            }
        }
    }
}

impl App {
    /// Subscribes to this node's changes (its own and, on PostgreSQL, every
    /// other node's).
    pub fn watch_changes(&self) -> ChangeWatch {
        ChangeWatch {
            rx: self.inner.changes.tx.subscribe(),
        }
    }

    /// How often a waiter looks again by itself, for writes this node is
    /// not told of: on SQLite, another process on the same file (`orthrus
    /// worker` storing a job's steps, or waiting for a code that `serve`
    /// received). None on PostgreSQL, where every node hears every write.
    pub fn unheard_writes_recheck(&self) -> Option<std::time::Duration> {
        self.store()
            .change_feed()
            .is_none()
            .then_some(SQLITE_RECHECK)
    }

    /// Whether this node hears other nodes' changes now: always true
    /// where there are none (SQLite); on PostgreSQL false while the change
    /// feed is connecting or reconnecting (a [`Change::Resync`] follows
    /// once it listens again). Waiters that must not miss a revocation look
    /// again more often meanwhile.
    pub fn hearing_other_nodes(&self) -> watch::Receiver<bool> {
        self.inner.changes.listening.subscribe()
    }

    /// Tells this node's waiters (no subscriber: nothing to do).
    pub(crate) fn publish(&self, change: Change) {
        let _ = self.inner.changes.tx.send(change);
    }

    /// Tells this node's waiters that a user's sign-ins may have ended.
    pub(crate) fn access_changed(
        &self,
        workspace: orthrus_core::WorkspaceId,
        user: orthrus_core::UserId,
    ) {
        self.publish(Change::Access { workspace, user });
    }

    /// Tells every node's waiters that a user's access may have narrowed
    /// where no trigger sees it (an account membership or a team's grant
    /// taken back): their inbox waits and live streams check it again.
    /// A failure to tell the other nodes is logged; their waiters still
    /// check before handing anything out.
    pub(crate) async fn access_narrowed(
        &self,
        workspace: orthrus_core::WorkspaceId,
        users: &[orthrus_core::UserId],
    ) {
        for &user in users {
            let change = Change::Access { workspace, user };
            self.publish(change.clone());
            if let Err(e) = self.store().announce(&change).await {
                tracing::warn!(error = %e, %user, "could not tell the other nodes that access changed");
            }
        }
    }

    /// Tells this node's waiters that a code step of an account was used.
    pub(crate) fn otp_used(
        &self,
        workspace: orthrus_core::WorkspaceId,
        account: orthrus_core::AccountId,
    ) {
        self.publish(Change::OtpUsed { workspace, account });
    }

    /// Tells this node's waiters that a job changed.
    pub(crate) fn job_changed(&self, job: orthrus_core::EventId) {
        self.publish(Change::Job { job });
    }

    /// The caller of a long wait as the store has them now (issue 16):
    /// Unauthenticated once their sign-in ended (the session or API token
    /// revoked or expired, the user deactivated or their access over, on
    /// any node); otherwise the same sign-in with their current role and
    /// the workspace's current rules. A job acts while its requester may
    /// sign in; a local command is the operator's own.
    pub(crate) async fn still_signed_in(
        &self,
        actor: &crate::Actor,
    ) -> crate::Result<crate::Actor> {
        use crate::{AppError, Via};
        let (ws, user, now) = (actor.workspace_id, actor.user_id, self.now());
        let store = self.store();
        let credential_alive = match actor.via {
            Via::Session(id) => store
                .list_sessions(ws, user, now)
                .await?
                .iter()
                .any(|s| s.id == id),
            Via::ApiToken(id) => store
                .list_api_tokens(ws, user)
                .await?
                .iter()
                .any(|t| t.id == id && t.expires_at.is_none_or(|e| e > now)),
            Via::Job(_) => true,
            Via::Local => return Ok(actor.clone()),
        };
        if !credential_alive {
            return Err(AppError::Unauthenticated);
        }
        let (u, w) = store
            .get_user_and_workspace(ws, user)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if !u.usable_at(now) {
            return Err(AppError::Unauthenticated);
        }
        Ok(crate::Actor {
            role: u.role,
            must_enroll_2fa: w.require_2fa && !u.totp_enabled,
            totp_enabled: u.totp_enabled,
            email: u.email,
            name: u.name,
            ..actor.clone()
        })
    }

    /// The task relaying other nodes' changes into this node's hub, for as
    /// long as it runs (it reconnects by itself), or `None` where there are
    /// no other nodes (SQLite).
    pub fn follow_other_nodes(&self) -> Option<impl Future<Output = ()> + Send + 'static> {
        let hub = self.clone();
        let feed = self.store().change_feed()?;
        // Not hearing the others until the feed says it listens.
        self.inner.changes.listening.send_replace(false);
        let mut feed = feed.on_listening(move |up| {
            hub.inner.changes.listening.send_replace(up);
        });
        let app = self.clone();
        Some(async move {
            loop {
                let change = feed.next().await;
                app.publish(change);
            }
        })
    }
}
