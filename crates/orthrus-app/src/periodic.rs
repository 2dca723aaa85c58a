//! Periodic work that every node starts on its own timer but that must not
//! run on two nodes at once (issue 16): retention purges and the scheduling
//! of "2FA remains on" checks, whose cap is read before it is acted on.
//! A run first takes the task's lease in storage (one row per task, with
//! an expiry); a node that finds it held skips its turn. The lease is given
//! back when the run ends, and runs out by itself if its node stopped.
//!
//! The other shared work needs no lease: each action of the access sweep
//! and of scheduled rotations is a conditional write whose winner alone
//! audits and queues (`access.rs`, `rotation.rs`), and jobs are claimed
//! one by one (`claim_job`).

use crate::{App, Result};
use orthrus_core::EventId;
use std::future::Future;

/// Periodic work that runs on one node at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PeriodicTask {
    /// Deleting inbox messages past their workspace's retention.
    InboxPurge,
    /// Deleting old automation screenshots.
    ScreenshotPurge,
    /// Queuing the "2FA remains on" checks that are due, up to a cap.
    MfaChecks,
}

impl PeriodicTask {
    /// The task's row in `task_leases`.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::InboxPurge => "inbox_purge",
            Self::ScreenshotPurge => "screenshot_purge",
            Self::MfaChecks => "mfa_checks",
        }
    }

    /// How long a run may hold the task: past it, the run's node is taken
    /// for stopped and another may start one.
    const fn hold_secs(self) -> i64 {
        match self {
            Self::InboxPurge | Self::ScreenshotPurge => 15 * 60,
            Self::MfaChecks => 5 * 60,
        }
    }
}

impl App {
    /// Runs `work` if no other run of `task` (on this node or another)
    /// holds its lease; `None` when one does.
    pub(crate) async fn exclusively<T>(
        &self,
        task: PeriodicTask,
        work: impl Future<Output = Result<T>>,
    ) -> Result<Option<T>> {
        let store = self.store();
        let holder = EventId::new(self.inner.clock.as_ref(), self.rng()).to_string();
        let now = self.now();
        let until = now.plus_seconds(task.hold_secs());
        if !store
            .take_task_lease(task.as_str(), &holder, now, until)
            .await?
        {
            tracing::debug!(task = task.as_str(), "another node runs this task now");
            return Ok(None);
        }
        let out = work.await;
        // Given back at once: the next run (here or elsewhere) need not
        // wait for the lease to run out.
        if let Err(e) = store
            .take_task_lease(task.as_str(), &holder, now, now)
            .await
        {
            tracing::warn!(task = task.as_str(), error = %e, "could not give back a task's lease");
        }
        out.map(Some)
    }

    /// Deletes messages older than each workspace's retention period (the
    /// server default where a workspace has not set one); returns how many.
    /// Another node purging at the same time makes this call do nothing.
    pub async fn purge_old_messages(&self) -> Result<u64> {
        Ok(self
            .exclusively(PeriodicTask::InboxPurge, self.purge_expired_messages())
            .await?
            .unwrap_or(0))
    }

    /// Deletes job screenshots older than 30 days; returns how many (none
    /// when another node purges at the same time).
    pub async fn purge_old_screenshots(&self) -> Result<u64> {
        Ok(self
            .exclusively(
                PeriodicTask::ScreenshotPurge,
                self.purge_expired_screenshots(),
            )
            .await?
            .unwrap_or(0))
    }

    /// Queues the "2FA remains on" checks that are due, at most
    /// `max_in_flight` waiting or running at once across the cluster;
    /// returns how many this call queued (none when another node is
    /// queuing them at the same time).
    pub async fn run_due_mfa_checks(
        &self,
        interval_days: i64,
        max_in_flight: i64,
    ) -> Result<usize> {
        if interval_days <= 0 {
            return Ok(0);
        }
        Ok(self
            .exclusively(
                PeriodicTask::MfaChecks,
                self.queue_due_mfa_checks(interval_days, max_in_flight),
            )
            .await?
            .unwrap_or(0))
    }
}
