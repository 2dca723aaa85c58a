//! Where a failed job broke: the step, the page it was on and why, for the
//! automation log and `GET /api/v1/jobs/{id}` (`failed_step`).

use orthrus_core::JobState;
use orthrus_store::JobStepRow;
use serde::{Deserialize, Serialize};

/// The step a failed job stopped at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FailedStep {
    /// The step's number in the job's log.
    pub seq: i64,
    pub name: String,
    /// The page the browser was on (without query or fragment).
    pub url: Option<String>,
    /// Why it failed (the step's detail; else the job's error).
    pub reason: Option<String>,
}

/// The last failed step of the job's last attempt; a step that never ended
/// (the attempt ran out of time on it) counts when none failed. None
/// unless the job failed.
pub(crate) fn failed_step(
    state: JobState,
    error: Option<&str>,
    steps: &[JobStepRow],
) -> Option<FailedStep> {
    if state != JobState::Failed {
        return None;
    }
    let last_attempt = steps.iter().map(|s| s.attempt).max()?;
    let this: Vec<&JobStepRow> = steps.iter().filter(|s| s.attempt == last_attempt).collect();
    let step = this
        .iter()
        .rev()
        .find(|s| s.outcome == Some(orthrus_core::StepOutcome::Failed))
        .or_else(|| this.iter().rev().find(|s| s.outcome.is_none()))?;
    Some(FailedStep {
        seq: step.seq,
        name: step.name.clone(),
        url: step.url.clone(),
        reason: step.detail.clone().or_else(|| error.map(str::to_owned)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use orthrus_core::{Clock, EventId, FakeClock, OsEntropy, Timestamp};

    fn step(seq: i64, attempt: i64, outcome: Option<&str>, detail: Option<&str>) -> JobStepRow {
        let c = FakeClock::new(Timestamp(1_000));
        JobStepRow {
            job_id: EventId::new(&c, &OsEntropy),
            seq,
            attempt,
            name: format!("step {seq}"),
            started_at: c.now(),
            ended_at: outcome.map(|_| c.now()),
            outcome: outcome.map(|o| o.parse().unwrap()),
            url: Some(format!("https://app.test/{seq}")),
            detail: detail.map(str::to_owned),
        }
    }

    #[test]
    fn the_last_failed_step_of_the_last_attempt() {
        let steps = [
            step(1, 1, Some("ok"), None),
            step(2, 1, Some("failed"), Some("timed out")),
            // A `run` step starts before the steps inside it and fails
            // after the one that broke: the inner one is named.
            step(3, 2, Some("failed"), Some("login did not finish")),
            step(4, 2, Some("ok"), None),
            step(5, 2, Some("failed"), Some("#password never showed")),
        ];
        let f = failed_step(JobState::Failed, Some("job error"), &steps).unwrap();
        assert_eq!((f.seq, f.name.as_str()), (5, "step 5"));
        assert_eq!(f.url.as_deref(), Some("https://app.test/5"));
        assert_eq!(f.reason.as_deref(), Some("#password never showed"));
        assert_eq!(failed_step(JobState::Succeeded, None, &steps), None);
        assert_eq!(failed_step(JobState::Failed, None, &[]), None);
        // Out of time on a step that never ended: that step, the job's why.
        let stuck = [step(1, 1, Some("ok"), None), step(2, 1, None, None)];
        let f = failed_step(JobState::Failed, Some("took too long"), &stuck).unwrap();
        assert_eq!((f.seq, f.reason.as_deref()), (2, Some("took too long")));
    }
}
