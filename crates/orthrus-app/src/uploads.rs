//! Parsing what users upload (QR screenshots, authenticator export files)
//! with bounded cost (issue 11, finding 2): the work runs off the async
//! executor, at most `upload_slots` at once across the server (the others
//! are answered "busy" at once, with a Retry-After), and within
//! `upload_timeout_ms`.

use std::time::{Duration, Instant};

use tokio::sync::OwnedSemaphorePermit;

use crate::{App, AppError, BusyKind, InvalidCode, Result};

/// What a busy answer tells the client to wait, in seconds.
const BUSY_RETRY_AFTER_SECS: i64 = 5;

impl App {
    /// Runs `parse` on a blocking thread under an upload slot. `parse` gets
    /// its deadline (it should check it between steps). When every slot is
    /// taken: `AppError::Busy` for `busy`; when the deadline passes
    /// first: `AppError::Invalid` with `timeout_code`. A parse that overruns
    /// keeps its slot until its thread finishes, so overruns cannot pile up.
    pub(crate) async fn parse_upload<T, F>(
        &self,
        busy: BusyKind,
        timeout_code: InvalidCode,
        parse: F,
    ) -> Result<T>
    where
        F: FnOnce(Instant) -> T + Send + 'static,
        T: Send + 'static,
    {
        let permit = self.try_hold_upload_slot().ok_or(AppError::Busy {
            what: busy,
            retry_after_secs: BUSY_RETRY_AFTER_SECS,
        })?;
        // A real elapsed-time budget, not the app's clock: tests run on a
        // fake clock that does not move by itself.
        let budget = Duration::from_millis(self.inner.config.upload_timeout_ms);
        let deadline = Instant::now() + budget;
        let task = tokio::task::spawn_blocking(move || {
            let _slot = permit;
            parse(deadline)
        });
        match tokio::time::timeout(budget, task).await {
            Ok(joined) => joined.map_err(|e| AppError::Internal(e.to_string())),
            Err(_) => Err(upload_timeout(timeout_code)),
        }
    }

    /// Takes one upload slot if one is free (held until the permit is
    /// dropped). Upload parsing uses it; tests use it to fill the slots.
    pub fn try_hold_upload_slot(&self) -> Option<OwnedSemaphorePermit> {
        std::sync::Arc::clone(&self.inner.upload_slots)
            .try_acquire_owned()
            .ok()
    }
}

/// The error for an upload that took longer than allowed.
pub(crate) fn upload_timeout(code: InvalidCode) -> AppError {
    AppError::invalid(
        code,
        "reading the upload took too long: crop a screenshot to the QR code, or split the file, and try again",
    )
}
