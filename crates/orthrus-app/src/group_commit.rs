//! Group commit: callers queue what they must write durably; whoever holds
//! the writer lock writes everything queued so far in one transaction and
//! tells each caller the outcome. Shared by the audit log and the code
//! issuance ledger, where one fsync per request would cap throughput.

use crate::{AppError, Result};

/// How a queued item's caller learns the outcome of its commit.
/// A store error is not Clone: every caller of the batch gets it shared.
pub(crate) type Done = tokio::sync::oneshot::Sender<
    std::result::Result<(), std::sync::Arc<orthrus_store::StoreError>>,
>;

/// Items waiting for the next group commit, and the lock its writer holds.
pub(crate) struct GroupCommit<T> {
    queue: std::sync::Mutex<Vec<(T, Done)>>,
    writer: tokio::sync::Mutex<()>,
}

impl<T> Default for GroupCommit<T> {
    fn default() -> Self {
        Self {
            queue: std::sync::Mutex::new(Vec::new()),
            writer: tokio::sync::Mutex::new(()),
        }
    }
}

impl<T: Send + 'static> GroupCommit<T> {
    /// Queues `item` and returns once it is durable (or failed). The caller
    /// that gets the writer lock runs `write` over the whole queue in its
    /// own task, awaited here: if the request is cancelled (client gone),
    /// the batch still commits and every caller in it gets its answer.
    /// `what` names the queue in internal errors.
    pub(crate) async fn commit<F, Fut>(&self, item: T, what: &str, write: F) -> Result<()>
    where
        F: FnOnce(Vec<(T, Done)>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let (tx, mut rx) = tokio::sync::oneshot::channel();
        self.queue
            .lock()
            .map_err(|_| AppError::Internal(format!("{what} queue poisoned")))?
            .push((item, tx));
        let _writer = self.writer.lock().await;
        // An earlier writer may have written ours while we waited.
        if let Ok(done) = rx.try_recv() {
            return done.map_err(|e| AppError::Internal(e.to_string()));
        }
        let batch = std::mem::take(
            &mut *self
                .queue
                .lock()
                .map_err(|_| AppError::Internal(format!("{what} queue poisoned")))?,
        );
        let _ = tokio::spawn(write(batch)).await;
        rx.await
            .map_err(|_| AppError::Internal(format!("{what} writer went away")))?
            .map_err(|e| AppError::Internal(e.to_string()))
    }
}
