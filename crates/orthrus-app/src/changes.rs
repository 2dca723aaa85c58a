//! This node's change hub (issue 16, item 2): live pages, `inbox wait`, the
//! job runner and the sign-in re-check of live streams wait here for what
//! they care about instead of polling. Local writes publish at once (the
//! whole story on SQLite); on PostgreSQL [`App::follow_other_nodes`] also
//! relays what every node wrote, heard through LISTEN/NOTIFY, including a
//! [`Change::Resync`] whenever the listening connection comes back.

use crate::App;
pub use orthrus_store::Change;
use tokio::sync::broadcast;

/// How many changes a slow subscriber may fall behind before it is told
/// to look again ([`Change::Resync`]) instead.
const BACKLOG: usize = 256;

/// [`App::unheard_writes_recheck`] on SQLite.
const SQLITE_RECHECK: std::time::Duration = std::time::Duration::from_secs(1);

pub(crate) struct Hub {
    tx: broadcast::Sender<Change>,
}

impl Default for Hub {
    fn default() -> Self {
        Self {
            tx: broadcast::channel(BACKLOG).0,
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
        self.inner
            .store
            .change_feed()
            .is_none()
            .then_some(SQLITE_RECHECK)
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

    /// The task relaying other nodes' changes into this node's hub, for as
    /// long as it runs (it reconnects by itself), or `None` where there are
    /// no other nodes (SQLite).
    pub fn follow_other_nodes(&self) -> Option<impl Future<Output = ()> + Send + 'static> {
        let mut feed = self.inner.store.change_feed()?;
        let app = self.clone();
        Some(async move {
            loop {
                let change = feed.next().await;
                app.publish(change);
            }
        })
    }
}
