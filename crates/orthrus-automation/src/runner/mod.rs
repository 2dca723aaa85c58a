//! The job runner: claims durable jobs from storage, keeps their lease
//! alive with a heartbeat, runs the account app's recipe in a browser whose
//! profile is kept per account, and records every step. A job whose worker
//! dies is claimed again once its lease runs out. Any number of runners
//! (in `orthrus serve` or on other machines against the same PostgreSQL)
//! share the queue; an account never has two jobs running at once.
//!
//! Here: the runner, its configuration and its loop (recovering abandoned
//! jobs, claiming one, running it). `run` runs one attempt of a job and
//! records its end state, `heartbeat` keeps its lease, `rotation` retries
//! a rotation's sign-in with a pending password, `host` gives the flow its
//! placeholder values and hooks, and `step_log` writes its steps.

mod heartbeat;
mod host;
mod rotation;
mod run;
mod step_log;

use crate::browser::BrowserOptions;
use crate::engine::StepLog;
use orthrus_app::App;
use orthrus_core::{JobState, Timestamp};
use orthrus_store::JobRow;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How a runner works.
#[derive(Clone, Debug)]
pub struct RunnerConfig {
    /// Names this worker in the jobs it holds.
    pub worker_id: String,
    /// A job is presumed abandoned this long after the last heartbeat.
    pub lease: Duration,
    /// How often to look for work when nothing wakes the runner.
    pub poll: Duration,
    /// Longest one attempt may take (not counting waits for a person).
    pub job_timeout: Duration,
    /// Longest a job waits for a person's answer (a CAPTCHA, allowing a
    /// backup code) before it fails.
    pub person_wait: Duration,
    /// One browser profile directory per account lives here.
    pub profiles_dir: PathBuf,
    pub browser: BrowserOptions,
    /// The recipes this server runs (built-in and the operator's).
    pub recipes: Arc<crate::Recipes>,
}

impl RunnerConfig {
    pub fn new(worker_id: String, profiles_dir: PathBuf) -> Self {
        Self {
            worker_id,
            lease: Duration::from_secs(30),
            poll: Duration::from_secs(2),
            job_timeout: Duration::from_secs(600),
            person_wait: Duration::from_secs(15 * 60),
            profiles_dir,
            browser: BrowserOptions::default(),
            recipes: Arc::new(crate::Recipes::load(None).unwrap_or_default()),
        }
    }
}

#[derive(Clone)]
pub struct Runner {
    app: App,
    cfg: RunnerConfig,
    /// When this runner last looked for abandoned jobs: a job's lease runs
    /// for `cfg.lease`, so looking more often than that finds nothing new.
    recovered_at: Arc<std::sync::Mutex<Option<tokio::time::Instant>>>,
    /// Runs one job held in advance ([`Runner::run_held_job`]): nothing is
    /// queued again, as other runners would run it with their own recipes.
    once: bool,
}

fn later(now: Timestamp, d: Duration) -> Timestamp {
    now.plus_seconds(i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 2000))
}

/// Runs file work (packing a profile: zlib over up to 64 MiB) off the
/// async threads.
async fn off_thread<T>(
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> std::io::Result<T>
where
    T: Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(e) => Err(std::io::Error::other(format!(
            "the profile work stopped: {e}"
        ))),
    }
}

/// Deferrals after which a job fails instead.
const MAX_DEFERRALS: i64 = 5;

/// Back-off before retry `attempt` (1-based): 30 s, 60 s, 120 s, … at most 30 min.
fn backoff(attempt: i64) -> Duration {
    let exp = u32::try_from(attempt.clamp(1, 7) - 1).unwrap_or(0);
    Duration::from_secs((30u64 << exp).min(1800))
}

impl Runner {
    pub fn new(app: App, cfg: RunnerConfig) -> Self {
        Self {
            app,
            cfg,
            recovered_at: Arc::default(),
            once: false,
        }
    }

    /// The worker id this runner holds jobs under.
    pub fn worker_id(&self) -> &str {
        &self.cfg.worker_id
    }

    /// How long a job's lease runs without a heartbeat.
    pub fn lease(&self) -> Duration {
        self.cfg.lease
    }

    /// Runs `job` now, once: a job this runner already holds (its worker
    /// and lease, made so by `App::start_tried_automation` for `orthrus
    /// recipe try`), with `recipe` in place of the configured recipe of
    /// its app, telling `watch` every step of the flow as well as the
    /// job's log (with a picture of the page after each step when it wants
    /// them). Everything else is a job's run: placeholders, hooks, waiting
    /// for a person, the heartbeat, the browser profile, the end state.
    /// A retry or a deferral ends it failed. `stop` cancels it. Returns
    /// the state recorded and why.
    pub async fn run_held_job(
        &self,
        job: JobRow,
        recipe: Option<crate::recipe::Recipe>,
        watch: &mut dyn StepLog,
        stop: &CancellationToken,
    ) -> (JobState, Option<String>) {
        let mut me = self.clone();
        me.once = true;
        if let Some(r) = recipe {
            let mut all = (*me.cfg.recipes).clone();
            all.0.insert(r.app.clone(), r);
            me.cfg.recipes = Arc::new(all);
        }
        me.execute(job, Some(watch), Some(stop)).await
    }

    /// Runs jobs until `stop` is cancelled (the job in hand is finished or
    /// abandoned to its lease first).
    pub async fn run(self, stop: CancellationToken) {
        loop {
            let woken = self.app.job_queued();
            match self.step().await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "automation runner: storage error"),
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = woken => {}
                // Often enough to find a stopped worker's job soon after
                // its lease runs out (see `recovery_due`).
                () = tokio::time::sleep(self.cfg.poll.min(self.cfg.lease / 3)) => {}
            }
        }
    }

    /// True (and noted) when a third of a lease has passed since the last
    /// look for abandoned jobs: a job whose worker died is found at most a
    /// third of a lease after its lease ran out.
    fn recovery_due(&self) -> bool {
        let Ok(mut last) = self.recovered_at.lock() else {
            return true;
        };
        let due = last.is_none_or(|t| t.elapsed() >= self.cfg.lease / 3);
        if due {
            *last = Some(tokio::time::Instant::now());
        }
        due
    }

    /// Recovers abandoned jobs (every third of a lease) and runs one job if
    /// there is one; true when it ran one.
    pub async fn step(&self) -> orthrus_app::Result<bool> {
        let now = self.app.now();
        if self.recovery_due() {
            // A job whose worker stopped (a node killed mid-run) runs again
            // at once, here or on any other node: its worker's death is no
            // reason to wait. It still counts as an attempt, so a job that
            // kills its worker every time ends failed after the last one.
            let n = self.app.recover_jobs(now).await?;
            if n > 0 {
                tracing::info!(jobs = n, "automation jobs recovered from a stopped worker");
            }
        }
        let Some(job) = self
            .app
            .claim_job(&self.cfg.worker_id, later(now, self.cfg.lease))
            .await?
        else {
            return Ok(false);
        };
        // A panic in one job must not take the process down with it.
        let (me, id) = (self.clone(), job.id);
        if let Err(e) = tokio::spawn(async move { me.execute(job, None, None).await }).await {
            tracing::error!(job = %id, error = %e, "an automation job crashed");
            self.app
                .set_job_state(
                    id,
                    &self.cfg.worker_id,
                    JobState::Failed,
                    Some("the automation crashed (see the server log)"),
                    None,
                )
                .await?;
        }
        Ok(true)
    }
}
