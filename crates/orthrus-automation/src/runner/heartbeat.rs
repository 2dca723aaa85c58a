//! The heartbeat of a job a runner holds: its lease is renewed every third
//! of a lease while the job runs; a cancel asked for meanwhile, or a lease
//! no longer ours (or not renewed in time), stops the run.

use super::later;
use orthrus_app::App;
use orthrus_core::EventId;
use orthrus_store::Lease;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Renews the lease of job `id`, held by `worker`, until aborted: cancels
/// `cancel` when someone asks to cancel the job, and sets `lost` too when
/// the job is no longer ours.
pub(super) fn spawn(
    app: App,
    id: EventId,
    worker: String,
    lease: Duration,
    cancel: CancellationToken,
    lost: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut renewed = tokio::time::Instant::now();
        // Each beat is bounded (a pool can keep a caller waiting
        // longer than a short lease); a failed one is tried again
        // soon, as long as that try can end before the lease does.
        let (bound, again) = (lease / 4, lease / 12);
        let mut pause = lease / 3;
        loop {
            tokio::time::sleep(pause).await;
            pause = lease / 3;
            // The lease runs from when the beat was sent.
            let sent = tokio::time::Instant::now();
            let beat = tokio::time::timeout(
                bound,
                app.heartbeat_job(id, &worker, later(app.now(), lease)),
            )
            .await
            .unwrap_or_else(|_| {
                Err(orthrus_app::AppError::Internal(
                    "the heartbeat got no answer in time".into(),
                ))
            });
            match beat {
                Ok(Lease::Held) => renewed = sent,
                Ok(Lease::CancelRequested) => {
                    renewed = sent;
                    cancel.cancel();
                }
                Ok(Lease::Lost) => {
                    lost.store(true, std::sync::atomic::Ordering::SeqCst);
                    cancel.cancel();
                    return;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "automation heartbeat failed");
                    // Past our lease another worker may take the
                    // job: stop before it ends (while a new beat could
                    // not answer in time) rather than run it twice.
                    if renewed.elapsed() + again + bound >= lease {
                        lost.store(true, std::sync::atomic::Ordering::SeqCst);
                        cancel.cancel();
                        return;
                    }
                    pause = again;
                }
            }
        }
    })
}
