//! Changes other nodes should hear of at once (issue 16, item 2): a message
//! stored or marked used, a code step marked used, a job's state or steps,
//! a sign-in ended (session or API token revoked, user deactivated or their
//! role changed).
//!
//! On PostgreSQL, triggers (migration 0030) call `pg_notify` on the
//! [`CHANNELS`] with small payloads (ids only); what no trigger sees (a
//! membership taken back) is sent by [`Changes::announce`]. [`ChangeFeed`]
//! listens on one connection of its own (not the pool's) and turns them
//! back into [`Change`]s. A lost connection
//! is re-established and reported as [`Change::Resync`] once listening
//! again, so that waiters look again: nothing stored while disconnected is
//! missed. On SQLite there is one node and no feed
//! ([`Changes::change_feed`] is `None`): the application's in-process
//! notifications are the whole story.

use orthrus_core::{AccountId, EventId, UserId, WorkspaceId};
use std::time::Duration;

/// A change another node's live pages and waiters may care about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A message was stored in an account's inbox, or marked used.
    Inbox {
        workspace: WorkspaceId,
        account: AccountId,
    },
    /// A one-time-code step of an account was marked used.
    OtpUsed {
        workspace: WorkspaceId,
        account: AccountId,
    },
    /// A job was queued, changed state, asked or was answered, or logged a step.
    Job { job: EventId },
    /// A user's sign-ins may have ended: a session or API token revoked or
    /// removed, the user deactivated, their role or access end changed.
    Access {
        workspace: WorkspaceId,
        user: UserId,
    },
    /// Notifications may have been missed (the listener just connected or
    /// reconnected, or a subscriber fell behind): everyone looks again.
    Resync,
}

/// The PostgreSQL channels the triggers notify, one per kind of change.
pub const CHANNELS: [&str; 4] = [
    "orthrus_inbox",
    "orthrus_otp_used",
    "orthrus_job",
    "orthrus_access",
];

impl Change {
    /// Reads a notification (channel and payload as the triggers send
    /// them: `workspace:account`, `job`, `workspace:user`). Anything else
    /// (a future payload, a typo) is a [`Change::Resync`]: looking again
    /// is always safe.
    pub fn parse(channel: &str, payload: &str) -> Self {
        fn pair<A: std::str::FromStr, B: std::str::FromStr>(p: &str) -> Option<(A, B)> {
            let (a, b) = p.split_once(':')?;
            Some((a.parse().ok()?, b.parse().ok()?))
        }
        let parsed = match channel {
            "orthrus_inbox" => {
                pair(payload).map(|(workspace, account)| Change::Inbox { workspace, account })
            }
            "orthrus_otp_used" => {
                pair(payload).map(|(workspace, account)| Change::OtpUsed { workspace, account })
            }
            "orthrus_job" => payload.parse().ok().map(|job| Change::Job { job }),
            "orthrus_access" => {
                pair(payload).map(|(workspace, user)| Change::Access { workspace, user })
            }
            _ => None,
        };
        parsed.unwrap_or(Change::Resync)
    }
}

impl Change {
    /// The channel and payload that tell other nodes of this change, as
    /// the triggers send them ([`Change::parse`] reads them back); `None`
    /// for [`Change::Resync`], which is no one's to send.
    pub fn notification(&self) -> Option<(&'static str, String)> {
        match self {
            Change::Inbox { workspace, account } => {
                Some(("orthrus_inbox", format!("{workspace}:{account}")))
            }
            Change::OtpUsed { workspace, account } => {
                Some(("orthrus_otp_used", format!("{workspace}:{account}")))
            }
            Change::Job { job } => Some(("orthrus_job", job.to_string())),
            Change::Access { workspace, user } => {
                Some(("orthrus_access", format!("{workspace}:{user}")))
            }
            Change::Resync => None,
        }
    }
}

/// Where a store's changes made by other nodes can be heard.
#[async_trait::async_trait]
pub trait Changes {
    /// A feed of changes made through any node (PostgreSQL), or `None`
    /// where this process is the only writer (SQLite).
    fn change_feed(&self) -> Option<ChangeFeed>;

    /// Tells every node of a change no trigger reports (an account
    /// membership or a team's grant taken back): nothing on SQLite.
    async fn announce(&self, change: &Change) -> crate::Result<()>;
}

#[async_trait::async_trait]
impl Changes for crate::SqliteStore {
    fn change_feed(&self) -> Option<ChangeFeed> {
        None
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
    async fn announce(&self, _: &Change) -> crate::Result<()> {
        Ok(())
    }
}

#[async_trait::async_trait]
impl Changes for crate::PgStore {
    fn change_feed(&self) -> Option<ChangeFeed> {
        Some(ChangeFeed {
            pool: self.pool.clone(),
            options: self.listen.0.clone(),
            listener: None,
            failures: 0,
            on_listening: None,
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = Self::BACKEND))]
    async fn announce(&self, change: &Change) -> crate::Result<()> {
        if let Some((channel, payload)) = change.notification() {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(channel)
                .bind(payload)
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }
}

/// How a [`ChangeFeed`] connects (the pool's options, password included:
/// never printed).
#[derive(Clone)]
pub(crate) struct ListenOptions(pub(crate) sqlx::postgres::PgConnectOptions);

impl std::fmt::Debug for ListenOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ListenOptions(..)")
    }
}

/// Changes heard on PostgreSQL, on a connection of its own (outside the
/// store's pool, which it never takes a slot of), opened at the first
/// [`ChangeFeed::next`] and kept. Closing the store ends it.
pub struct ChangeFeed {
    /// The store's pool: only to hear that it was closed.
    pool: sqlx::PgPool,
    options: sqlx::postgres::PgConnectOptions,
    listener: Option<sqlx::postgres::PgListener>,
    /// Connection attempts failed in a row (for the back-off).
    failures: u32,
    on_listening: Option<Box<dyn Fn(bool) + Send + Sync>>,
}

impl std::fmt::Debug for ChangeFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeFeed")
            .field("listening", &self.listener.is_some())
            .finish()
    }
}

impl ChangeFeed {
    /// Calls `f(true)` whenever the feed is listening (again), `f(false)`
    /// whenever it lost its connection and changes may go unheard until
    /// it is back (live streams look again more often meanwhile).
    pub fn on_listening(mut self, f: impl Fn(bool) + Send + Sync + 'static) -> Self {
        self.on_listening = Some(Box::new(f));
        self
    }

    fn listening(&self, up: bool) {
        if let Some(f) = &self.on_listening {
            f(up);
        }
    }

    /// The next change. The first call connects and returns
    /// [`Change::Resync`] once listening; so does every reconnection
    /// (after a lost connection, retried with a back-off up to 5 s). Once
    /// the store is closed, nothing more (and the connection is closed).
    pub async fn next(&mut self) -> Change {
        if !self.pool.is_closed() {
            let mut closed = self.pool.close_event();
            if let Ok(change) = closed.do_until(self.listen()).await {
                return change;
            }
        }
        // The store was closed (the process is stopping): no more changes.
        self.listener = None;
        std::future::pending().await
    }

    async fn listen(&mut self) -> Change {
        loop {
            let Some(listener) = self.listener.as_mut() else {
                match self.connect().await {
                    Ok(l) => {
                        if self.failures > 0 {
                            tracing::info!("listening for other nodes' changes again");
                        }
                        self.listener = Some(l);
                        self.failures = 0;
                        self.listening(true);
                        return Change::Resync;
                    }
                    Err(e) => {
                        self.failures = self.failures.saturating_add(1);
                        let wait = Duration::from_millis(100 << self.failures.min(6))
                            .min(Duration::from_secs(5));
                        tracing::warn!(error = %e, retry_in_ms = wait.as_millis() as u64, "cannot listen for other nodes' changes");
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                }
            };
            match listener.try_recv().await {
                Ok(Some(n)) => return Change::parse(n.channel(), n.payload()),
                // The connection was lost and is back (eager reconnect,
                // listening again): whatever was sent meanwhile is gone.
                Ok(None) => {
                    tracing::warn!(
                        "lost the connection listening for other nodes' changes; reconnected"
                    );
                    return Change::Resync;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "lost the connection listening for other nodes' changes");
                    self.listener = None;
                    self.failures = self.failures.saturating_add(1);
                    self.listening(false);
                }
            }
        }
    }

    async fn connect(&self) -> sqlx::Result<sqlx::postgres::PgListener> {
        // A pool of one connection, the listener's alone (it reconnects
        // through it), waiting no longer for it than the back-off does.
        let own = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .min_connections(0)
            .max_lifetime(None)
            .idle_timeout(None)
            .acquire_timeout(Duration::from_secs(5))
            .connect_lazy_with(self.options.clone());
        let mut l = sqlx::postgres::PgListener::connect_with(&own).await?;
        l.listen_all(CHANNELS).await?;
        Ok(l)
    }
}

#[cfg(test)]
mod tests {
    use super::Change;

    #[test]
    fn notifications_are_read_back_and_anything_unknown_asks_for_a_resync() {
        let ws = "0190c7d2-6b1f-7000-8000-000000000001";
        let acc = "0190c7d2-6b1f-7000-8000-000000000002";
        let parsed = Change::parse("orthrus_inbox", &format!("{ws}:{acc}"));
        assert_eq!(
            parsed,
            Change::Inbox {
                workspace: ws.parse().unwrap(),
                account: acc.parse().unwrap()
            }
        );
        assert!(matches!(
            Change::parse("orthrus_otp_used", &format!("{ws}:{acc}")),
            Change::OtpUsed { .. }
        ));
        assert!(matches!(
            Change::parse("orthrus_job", acc),
            Change::Job { .. }
        ));
        assert_eq!(Change::parse("orthrus_job", "not an id"), Change::Resync);
        assert_eq!(Change::parse("orthrus_inbox", ws), Change::Resync);
        assert_eq!(Change::parse("elsewhere", ""), Change::Resync);
    }
}
