//! What a finished job tells about its account's MFA ("keep MFA on", issue
//! 13). A `check_mfa` job runs the app's `login` flow in a fresh browser
//! profile; the runner notes whether the app asked for `{totp}` or
//! `{backup_code}` on the way, and hands that and the end state to
//! `orthrus-app`, which records the result (on, off, could not check) and
//! audits it. An `enable_mfa` job that succeeded means MFA is on again.

use orthrus_app::{App, CheckRun, JobKind};
use orthrus_core::JobState;
use orthrus_store::JobRow;

/// Placeholders that mean the app asked for a second factor.
pub(crate) fn asks_for_code(placeholder: &str) -> bool {
    matches!(placeholder, "totp" | "backup_code")
}

/// A job is about to be recorded as ended in `state`: what it says about
/// MFA.
pub(crate) async fn after_job(
    app: &App,
    job: &JobRow,
    state: JobState,
    error: Option<&str>,
    asked_for_code: bool,
) {
    let done = match (JobKind::parse(&job.kind), state) {
        (Some(JobKind::CheckMfa), JobState::Succeeded | JobState::Failed) => app
            .finish_mfa_check(
                job,
                CheckRun {
                    signed_in: state == JobState::Succeeded,
                    asked_for_code,
                    error,
                },
            )
            .await
            .map(|_| ()),
        (Some(JobKind::EnableMfa), JobState::Succeeded) => app.mfa_turned_on(job).await,
        // Retried, deferred or cancelled: nothing to say yet.
        _ => return,
    };
    if let Err(e) = done {
        tracing::warn!(job = %job.id, error = %e, "could not record the MFA check");
    }
}
