//! Where a run's steps go: the job's log in storage, and with `orthrus
//! recipe try` a watcher as well.

use crate::engine::{StepEnd, StepLog};
use orthrus_app::App;

/// Steps go to the job's log in storage.
pub(super) struct StoreLog {
    pub(super) app: App,
    pub(super) job: orthrus_core::EventId,
    pub(super) attempt: i64,
}

#[async_trait::async_trait]
impl StepLog for StoreLog {
    async fn started(&mut self, name: &str) -> i64 {
        match self.app.log_job_step(self.job, self.attempt, name).await {
            Ok(seq) => seq,
            Err(e) => {
                tracing::warn!(error = %e, "could not log an automation step");
                -1
            }
        }
    }

    async fn finished(&mut self, handle: i64, end: StepEnd<'_>) {
        if handle < 0 {
            return;
        }
        if let Err(e) = self
            .app
            .finish_job_step(self.job, handle, end.outcome, end.url, end.detail)
            .await
        {
            tracing::warn!(error = %e, "could not log an automation step");
        }
    }
}

/// Steps go to the job's log and to a watcher (`orthrus recipe try`),
/// each with its own handles.
pub(super) struct Tee<'a> {
    log: &'a mut dyn StepLog,
    watch: &'a mut dyn StepLog,
    /// Our handle: the log's and the watcher's.
    handles: std::collections::HashMap<i64, (i64, i64)>,
    next: i64,
}

impl<'a> Tee<'a> {
    pub(super) fn new(log: &'a mut dyn StepLog, watch: &'a mut dyn StepLog) -> Self {
        Self {
            log,
            watch,
            handles: std::collections::HashMap::new(),
            next: 0,
        }
    }
}

#[async_trait::async_trait]
impl StepLog for Tee<'_> {
    async fn started(&mut self, name: &str) -> i64 {
        let a = self.log.started(name).await;
        let b = self.watch.started(name).await;
        self.next += 1;
        self.handles.insert(self.next, (a, b));
        self.next
    }

    async fn finished(&mut self, handle: i64, end: StepEnd<'_>) {
        if let Some((a, b)) = self.handles.remove(&handle) {
            self.log.finished(a, end).await;
            self.watch.finished(b, end).await;
        }
    }

    fn wants_page_shots(&self) -> bool {
        self.log.wants_page_shots() || self.watch.wants_page_shots()
    }

    async fn page_shot(&mut self, handle: i64, png: Vec<u8>) {
        let Some(&(a, b)) = self.handles.get(&handle) else {
            return;
        };
        if self.log.wants_page_shots() {
            self.log.page_shot(a, png.clone()).await;
        }
        if self.watch.wants_page_shots() {
            self.watch.page_shot(b, png).await;
        }
    }
}
