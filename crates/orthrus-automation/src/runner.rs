//! The job runner: claims durable jobs from storage, keeps their lease
//! alive with a heartbeat, runs the account app's recipe in a browser whose
//! profile is kept per account, and records every step. A job whose worker
//! dies is claimed again once its lease runs out. Any number of runners
//! (in `orthrus serve` or on other machines against the same PostgreSQL)
//! share the queue; an account never has two jobs running at once.

use crate::browser::{Browser, BrowserOptions};
use crate::engine::{FlowEnd, Host, StepLog, StepOutcome, run_flow};
use orthrus_app::{App, CodeUse, JobInputs};
use orthrus_core::{JobState, Timestamp};
use orthrus_store::{JobRow, Lease};
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
    pub recipes: std::sync::Arc<crate::Recipes>,
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
            recipes: std::sync::Arc::new(crate::Recipes::load(None).unwrap_or_default()),
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
async fn off_thread<T, E>(f: impl FnOnce() -> Result<T, E> + Send + 'static) -> Result<T, String>
where
    T: Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(e) => Err(format!("the profile work stopped: {e}")),
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

    /// Runs a job this runner holds; the state recorded and why.
    async fn execute(
        &self,
        job: JobRow,
        watch: Option<&mut dyn StepLog>,
        stop: Option<&CancellationToken>,
    ) -> (JobState, Option<String>) {
        let cancel = stop.map_or_else(CancellationToken::new, CancellationToken::child_token);
        let lost = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let heartbeat = {
            let (app, cancel, lost) = (self.app.clone(), cancel.clone(), lost.clone());
            let (id, worker, lease) = (job.id, self.cfg.worker_id.clone(), self.cfg.lease);
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
        };
        // Whether the app asked for a second factor (a check's finding).
        let asked_for_code = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (state, error, run_after) = self.attempt(&job, &cancel, watch, &asked_for_code).await;
        heartbeat.abort();
        if lost.load(std::sync::atomic::Ordering::SeqCst) {
            tracing::warn!(job = %job.id, "automation job lease lost; another worker has it");
            return (
                JobState::Failed,
                Some("this worker lost the job's lease (its heartbeat failed)".into()),
            );
        }
        // What the run says about MFA is recorded first: whoever sees the
        // job ended sees its finding too.
        let asked = asked_for_code.load(std::sync::atomic::Ordering::SeqCst);
        crate::mfa_check::after_job(&self.app, &job, state, error.as_deref(), asked).await;
        if let Err(e) = self
            .app
            .set_job_state(
                job.id,
                &self.cfg.worker_id,
                state,
                error.as_deref(),
                run_after,
            )
            .await
        {
            tracing::warn!(job = %job.id, error = %e, "could not record the end of an automation job");
        }
        (state, error)
    }

    /// One attempt: `(state, error, run_after)` to record. `watch`, when
    /// given, is told the flow's steps too.
    async fn attempt(
        &self,
        job: &JobRow,
        cancel: &CancellationToken,
        watch: Option<&mut dyn StepLog>,
        asked_for_code: &Arc<std::sync::atomic::AtomicBool>,
    ) -> (JobState, Option<String>, Option<Timestamp>) {
        let kind = orthrus_app::JobKind::parse(&job.kind);
        // A check signs in from a fresh browser: a remembered device would
        // let the app skip the code. Its profile is neither loaded nor kept.
        let fresh = kind.is_some_and(orthrus_app::JobKind::fresh_profile);
        let mut log = StoreLog {
            app: self.app.clone(),
            job: job.id,
            // The run's number: attempts and deferrals (a deferral gives
            // its attempt back, but it was a run of its own).
            attempt: job.attempts + job.deferrals,
        };
        let inputs = match self.app.job_inputs(job).await {
            Ok(i) => i,
            Err(e) => {
                let h = log.started("check who may run it").await;
                log.finished(h, StepOutcome::Failed, None, Some(&e.to_string()))
                    .await;
                return (JobState::Failed, Some(e.to_string()), None);
            }
        };
        // An app without a recipe still logs in, through the generic flow
        // (the extension's page-reading code); the other automations need
        // a recipe.
        let recipe = match self.cfg.recipes.get(&inputs.app) {
            Some(r) => Some(r.clone()),
            None if kind.is_some_and(orthrus_app::JobKind::signs_in_only) => None,
            None => {
                return (
                    JobState::Failed,
                    Some(format!(
                        "there is no recipe for the app {:?} yet: only the generic login runs for it",
                        inputs.app
                    )),
                    None,
                );
            }
        };
        // Without a recipe, the app's mail is the mail of its login URL's
        // domain (DMARC or aligned DKIM for it, as for a recipe's domains).
        let senders = recipe.as_ref().map_or_else(
            || {
                let domain = orthrus_app::site::Site::parse(&inputs.login_url)
                    .and_then(|s| s.registrable)
                    .into_iter()
                    .collect::<Vec<_>>();
                orthrus_app::AppSenders::new(domain, Vec::new(), Vec::new())
            },
            |r| r.senders.clone(),
        );
        // The profile comes from the database (sealed) and goes back there
        // after the run; the working copy lives only while Chromium runs.
        let profile = self.cfg.profiles_dir.join(job.account_id.to_string());
        crate::browser::clear_stale_lock(&profile).await;
        let _ = std::fs::remove_dir_all(&profile);
        let made = {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&profile)
        };
        if let Err(e) = made {
            return (
                JobState::Failed,
                Some(format!("cannot make the browser profile: {e}")),
                None,
            );
        }
        let saved = if fresh {
            Ok(None)
        } else {
            self.app.load_browser_profile(job).await
        };
        match saved {
            Ok(Some(archive)) => {
                let dir = profile.clone();
                let unpacked = off_thread(move || crate::profile::unpack(&archive, &dir)).await;
                if let Err(e) = unpacked {
                    // A damaged profile costs a "new device", not the job.
                    tracing::warn!(job = %job.id, error = %e, "the saved browser profile could not be restored");
                }
            }
            Ok(None) => {}
            Err(e) => {
                return self.retry_or_fail(job, format!("cannot read the browser profile: {e}"));
            }
        }
        let h = log.started("start the browser").await;
        let browser = match Browser::launch(&self.cfg.browser, &profile).await {
            Ok(b) => {
                log.finished(h, StepOutcome::Ok, None, None).await;
                b
            }
            Err(e) => {
                log.finished(h, StepOutcome::Failed, None, Some(&e.to_string()))
                    .await;
                let _ = std::fs::remove_dir_all(&profile);
                return self.retry_or_fail(job, e.to_string());
            }
        };
        let Some(driver) = browser.driver() else {
            return self.retry_or_fail(job, "the browser went away".into());
        };
        let host = RunnerHost {
            app: self.app.clone(),
            job: job.clone(),
            worker: self.cfg.worker_id.clone(),
            person_wait: self.cfg.person_wait,
            asked: std::sync::atomic::AtomicU32::new(0),
            account: job.account_id.to_string(),
            cursor: std::sync::Mutex::new((job.updated_at, None)),
            actor: std::sync::Mutex::new(inputs.actor.clone()),
            inputs,
            senders,
            enrollment: std::sync::Mutex::new(None),
            new_password: tokio::sync::Mutex::new(None),
            typed_new: std::sync::atomic::AtomicBool::new(false),
            signing_in_with_new: std::sync::atomic::AtomicBool::new(false),
            typed_pending: std::sync::atomic::AtomicBool::new(false),
            asked_for_code: asked_for_code.clone(),
        };
        // The attempt's time limit, stretched by each wait for a person.
        let started = tokio::time::Instant::now();
        let timed_out = async {
            loop {
                let asked = host.asked.load(std::sync::atomic::Ordering::SeqCst);
                let limit = self.cfg.job_timeout + self.cfg.person_wait * asked;
                let gone = started.elapsed();
                if gone >= limit {
                    return;
                }
                tokio::time::sleep((limit - gone).min(Duration::from_secs(5))).await;
            }
        };
        let end = tokio::select! {
            end = async {
                let mut tee;
                let log: &mut dyn StepLog = match watch {
                    Some(w) => {
                        tee = Tee::new(&mut log, w);
                        &mut tee
                    }
                    None => &mut log,
                };
                match &recipe {
                    Some(r) => {
                        let flow = match kind {
                            Some(k) => k.flow(),
                            None => job.kind.as_str(),
                        };
                        match run_flow(driver, r, flow, &host, log).await {
                            // Failed before the new password was typed: the
                            // app may have refused the current password
                            // because an earlier run already changed it.
                            FlowEnd::Failed(why)
                                if kind == Some(orthrus_app::JobKind::RotatePassword)
                                    && !host.typed_new.load(std::sync::atomic::Ordering::SeqCst)
                                    && r.flows.contains_key("login") =>
                            {
                                self.try_pending_password(driver, r, &host, log, why).await
                            }
                            end => end,
                        }
                    }
                    None => crate::generic::login(driver, &host, log).await,
                }
            } => Some(end),
            () = cancel.cancelled() => None,
            () = timed_out => Some(FlowEnd::Failed(format!(
                "the attempt took longer than {} s (not counting waits for a person)",
                self.cfg.job_timeout.as_secs()))),
        };
        if matches!(end, Some(FlowEnd::Failed(_) | FlowEnd::Paused(_))) {
            // What the page showed when it went wrong, for the person who
            // reads the log (sealed: it may show account details).
            match driver.screenshot_as_png().await {
                Ok(png) => {
                    if let Err(e) = self.app.save_job_screenshot(job, &png).await {
                        tracing::warn!(job = %job.id, error = %e, "could not keep the failure screenshot");
                    }
                }
                Err(e) => tracing::warn!(job = %job.id, error = %e, "no failure screenshot"),
            }
        }
        browser.quit().await;
        let dir = profile.clone();
        let packed = if fresh {
            Err("not kept".to_owned())
        } else {
            off_thread(move || crate::profile::pack(&dir)).await
        };
        match packed {
            Ok(archive) => {
                if let Err(e) = self.app.save_browser_profile(job, &archive).await {
                    tracing::warn!(job = %job.id, error = %e, "could not keep the browser profile");
                }
            }
            Err(_) if fresh => {}
            Err(e) => {
                tracing::warn!(job = %job.id, error = %e, "could not pack the browser profile")
            }
        }
        let _ = std::fs::remove_dir_all(&profile);
        match end {
            Some(FlowEnd::Done) => (JobState::Succeeded, None, None),
            Some(FlowEnd::Failed(m)) => (JobState::Failed, Some(m), None),
            // A recipe's `pause`: a person must act outside Orthrus.
            Some(FlowEnd::Paused(m)) => {
                (JobState::Failed, Some(format!("needs a person: {m}")), None)
            }
            // An app that keeps deferring is not waited for forever.
            // A job run once is not taken up again by runners with other
            // recipes.
            Some(FlowEnd::Deferred(m, _)) if self.once => (
                JobState::Failed,
                Some(format!(
                    "{m} (the app asks to come back later; a try is not run again)"
                )),
                None,
            ),
            Some(FlowEnd::Deferred(m, _)) if job.deferrals + 1 >= MAX_DEFERRALS => (
                JobState::Failed,
                Some(format!(
                    "{m}; the app deferred the job {MAX_DEFERRALS} times"
                )),
                None,
            ),
            Some(FlowEnd::Deferred(m, wait)) => {
                // The page's wait, else a day (two after an earlier
                // deferral), at most two weeks (a page cannot park a job
                // forever). A deferral does not use up an attempt.
                let secs = wait
                    .unwrap_or(if job.deferrals > 0 {
                        2 * 86_400
                    } else {
                        86_400
                    })
                    .min(14 * 86_400);
                let until = later(self.app.now(), Duration::from_secs(secs));
                (
                    JobState::Deferred,
                    Some(format!("{m}; trying again at {}", until.to_rfc3339())),
                    Some(until),
                )
            }
            None => (JobState::Cancelled, Some("cancelled".into()), None),
        }
    }

    /// A rotation's sign-in failed while a pending password is kept: an
    /// earlier run (a node killed mid-rotation, a worker that lost its
    /// lease) made it and may have given it to the app. Signing in with it
    /// tells: if the app takes it, it becomes the current password (the
    /// rotation is done); else the first failure stands.
    async fn try_pending_password(
        &self,
        driver: &thirtyfour::WebDriver,
        recipe: &crate::recipe::Recipe,
        host: &RunnerHost,
        log: &mut dyn StepLog,
        why: String,
    ) -> FlowEnd {
        let a = host.actor();
        let pending = match self.app.pending_rotation_password(&a, &host.account).await {
            Ok(Some(p)) => p,
            Ok(None) => return FlowEnd::Failed(why),
            Err(e) => {
                tracing::warn!(job = %host.job.id, error = %e, "could not read the pending password");
                return FlowEnd::Failed(why);
            }
        };
        let h = log
            .started("sign in with the pending password of an unfinished rotation")
            .await;
        log.finished(h, StepOutcome::Ok, None, Some(&why)).await;
        *host.new_password.lock().await = Some(pending.clone());
        host.signing_in_with_new
            .store(true, std::sync::atomic::Ordering::SeqCst);
        host.typed_pending
            .store(false, std::sync::atomic::Ordering::SeqCst);
        if !matches!(
            run_flow(driver, recipe, "login", host, log).await,
            FlowEnd::Done
        ) {
            return FlowEnd::Failed(format!(
                "{why}; the pending password of an unfinished rotation did not sign in either"
            ));
        }
        // Only a sign-in that typed the pending password proves the app
        // holds it: a browser still signed in skips the password, and
        // promoting then would make current a password the app never took.
        if !host.typed_pending.load(std::sync::atomic::Ordering::SeqCst) {
            return FlowEnd::Failed(format!(
                "{why}; the browser was still signed in, so the pending password of an unfinished rotation was not tried and stays pending"
            ));
        }
        let h = log
            .started("make the pending password current in Orthrus (the app holds it)")
            .await;
        match self
            .app
            .promote_pending_password(&a, &host.account, &pending, true)
            .await
        {
            Ok(()) => {
                log.finished(h, StepOutcome::Ok, None, None).await;
                FlowEnd::Done
            }
            Err(e) => {
                log.finished(h, StepOutcome::Failed, None, Some(&e.to_string()))
                    .await;
                FlowEnd::Failed(e.to_string())
            }
        }
    }

    fn retry_or_fail(
        &self,
        job: &JobRow,
        why: String,
    ) -> (JobState, Option<String>, Option<Timestamp>) {
        if !self.once && job.attempts < job.max_attempts {
            (
                JobState::Queued,
                Some(format!("{why}; retrying")),
                Some(later(self.app.now(), backoff(job.attempts))),
            )
        } else {
            (JobState::Failed, Some(why), None)
        }
    }
}

struct RunnerHost {
    app: App,
    job: JobRow,
    worker: String,
    person_wait: Duration,
    /// Questions asked so far (each may stretch the attempt's time limit).
    asked: std::sync::atomic::AtomicU32,
    account: String,
    /// Inbox messages before this (time, and message of that time) are
    /// not the ones the run waits for; it moves past each message it uses.
    cursor: std::sync::Mutex<(Timestamp, Option<orthrus_core::EventId>)>,
    /// Who the run acts as; its identity check is renewed after a person
    /// answers (the wait may have been long).
    actor: std::sync::Mutex<orthrus_app::Actor>,
    inputs: JobInputs,
    /// Whose codes and links the run may use (the recipe's declaration).
    senders: orthrus_app::AppSenders,
    /// The pending enrolment `enroll_totp` made, for `confirm_totp`.
    enrollment: std::sync::Mutex<Option<String>>,
    /// The rotation's new password, once made (and stored as pending).
    new_password: tokio::sync::Mutex<Option<orthrus_core::SecretString>>,
    /// Set once `{new_password}` was handed out: the app may have it.
    typed_new: std::sync::atomic::AtomicBool,
    /// After `use_new_password`, {password} is the new one.
    signing_in_with_new: std::sync::atomic::AtomicBool,
    /// Set when {password} was handed out as the new (or pending) one: the
    /// app was really asked for it, not skipped by a browser still signed in.
    typed_pending: std::sync::atomic::AtomicBool,
    /// Set when the run asks for `{totp}` or `{backup_code}`: the app asked
    /// for a second factor (what an MFA check looks for).
    asked_for_code: Arc<std::sync::atomic::AtomicBool>,
}

impl RunnerHost {
    fn actor(&self) -> orthrus_app::Actor {
        self.actor
            .lock()
            .map(|a| a.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// A person just answered: the run acts on from here as if started now.
    fn renew_identity_check(&self) {
        let until = self.app.now().plus_seconds(orthrus_app::JOB_ELEVATION_SECS);
        if let Ok(mut a) = self.actor.lock() {
            a.elevated_until = Some(until);
        }
    }

    /// Puts the job in `waiting` with the question and waits for the
    /// answer a person gives in the automation log.
    async fn wait_for_person(
        &self,
        question: orthrus_app::Question,
        screenshot: Option<Vec<u8>>,
    ) -> Result<String, String> {
        self.asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.app
            .ask_person(&self.job, &self.worker, &question, screenshot.as_deref())
            .await
            .map_err(|e| e.to_string())?;
        let started = tokio::time::Instant::now();
        // An answer being given when the wait ends (a backup code being
        // taken) still gets a moment to arrive.
        let mut deadline = started + self.person_wait;
        let mut gave_up = false;
        loop {
            match self.app.take_answer(&self.job, &self.worker).await {
                Ok(Some(a)) => {
                    self.renew_identity_check();
                    return Ok(a.expose().to_owned());
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(job = %self.job.id, error = %e, "could not read the answer")
                }
            }
            if tokio::time::Instant::now() >= deadline {
                let stopped = gave_up
                    || self
                        .app
                        .give_up_question(&self.job, &self.worker)
                        .await
                        .unwrap_or(true);
                if stopped {
                    return Err(format!(
                        "nobody answered within {} minutes",
                        self.person_wait.as_secs().div_ceil(60)
                    ));
                }
                gave_up = true;
                deadline = tokio::time::Instant::now() + Duration::from_secs(60);
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    /// Marks the current step of the active seed used: the app just saw its
    /// code, and apps refuse a code twice.
    async fn spend_current_step(&self) -> Result<(), String> {
        let a = &self.actor();
        let status = self
            .app
            .otp_status(a, &self.account)
            .await
            .map_err(|e| e.to_string())?;
        if let Some(meta) = status.active {
            let period = meta.period.max(1);
            let step = self.app.now().millis() / 1000 / period;
            self.app
                .mark_otp_used(a, &self.account, step, CodeUse::Automation)
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Host for RunnerHost {
    async fn value(&self, name: &str) -> Result<String, String> {
        if crate::mfa_check::asks_for_code(name) {
            self.asked_for_code
                .store(true, std::sync::atomic::Ordering::SeqCst);
            // A check has its answer; it does not wait for a person to
            // allow a backup code.
            if name == "backup_code" && self.job.kind == orthrus_app::JobKind::CheckMfa.as_str() {
                return Err(
                    "the app refused the authenticator codes; a check does not use backup codes"
                        .into(),
                );
            }
        }
        let a = &self.actor();
        match name {
            "login_url" => Ok(self.inputs.login_url.clone()),
            "origin" => {
                let u = &self.inputs.login_url;
                let after_scheme = u.find("://").map_or(0, |i| i + 3);
                // The authority ends at the first '/', '?' or '#'.
                let end = u[after_scheme..]
                    .find(['/', '?', '#'])
                    .map_or(u.len(), |i| after_scheme + i);
                Ok(u[..end].to_owned())
            }
            "pending_totp" => self
                .app
                .pending_otp_code(a, &self.account)
                .await
                .map(|p| p.code)
                .map_err(|e| e.to_string()),
            "username" => Ok(self.inputs.username.clone()),
            "password"
                if self
                    .signing_in_with_new
                    .load(std::sync::atomic::Ordering::SeqCst) =>
            {
                self.typed_pending
                    .store(true, std::sync::atomic::Ordering::SeqCst);
                self.new_password
                    .lock()
                    .await
                    .as_ref()
                    .map(|p| p.expose().to_owned())
                    .ok_or_else(|| "no new password was made yet".into())
            }
            "password" => Ok(self.inputs.password.expose().to_owned()),
            "new_password" => {
                self.typed_new
                    .store(true, std::sync::atomic::Ordering::SeqCst);
                let mut slot = self.new_password.lock().await;
                if slot.is_none() {
                    *slot = Some(
                        self.app
                            .begin_password_rotation(a, &self.account)
                            .await
                            .map_err(|e| e.to_string())?,
                    );
                }
                Ok(slot
                    .as_ref()
                    .map(|p| p.expose().to_owned())
                    .unwrap_or_default())
            }
            "totp" => {
                let c = self
                    .app
                    .otp_code(a, &self.account, CodeUse::Automation, None)
                    .await
                    .map_err(|e| e.to_string())?;
                // About to be typed: nobody else may use this step's code.
                self.app
                    .mark_otp_used(a, &self.account, c.step, CodeUse::Automation)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(c.code)
            }
            "inbox_code" | "inbox_link" => {
                // The next message with what is asked for, after the last
                // one this run used; messages skipped stay in the inbox.
                let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
                loop {
                    let (since, after) = self
                        .cursor
                        .lock()
                        .map(|c| *c)
                        .unwrap_or((self.job.updated_at, None));
                    let left = deadline.saturating_duration_since(tokio::time::Instant::now());
                    let item = self
                        .app
                        .wait_for_next_message(
                            a,
                            &self.account,
                            since,
                            after,
                            left.as_secs().max(1),
                            Some(&self.senders),
                        )
                        .await
                        .map_err(|e| e.to_string())?
                        .ok_or("nothing arrived in the shared inbox within 60 s")?;
                    // Past this message (by time and id), not past its
                    // millisecond: another message of that time still counts.
                    if let (Some(t), Ok(m)) = (
                        Timestamp::parse_rfc3339(&item.received_at),
                        item.id.parse::<orthrus_core::EventId>(),
                    ) && let Ok(mut c) = self.cursor.lock()
                    {
                        *c = (t, Some(m));
                    }
                    let v = if name == "inbox_code" {
                        item.code
                    } else {
                        item.confirm_link
                    };
                    if let Some(v) = v {
                        // The app's own message may still carry a link
                        // elsewhere: the browser is signed in to the app,
                        // so it opens only the app's pages.
                        if name == "inbox_link" {
                            self.senders
                                .check_link(&v, &self.inputs.login_url)
                                .map_err(|e| e.to_string())?;
                        }
                        return Ok(v);
                    }
                    if tokio::time::Instant::now() >= deadline {
                        return Err(format!(
                            "no message with a {} arrived within 60 s",
                            &name[6..]
                        ));
                    }
                }
            }
            // Offered, not taken: an Owner allows it in the automation log
            // (with their identity check) and the code comes from there.
            "backup_code" => {
                self.wait_for_person(
                    orthrus_app::Question {
                        kind: "backup_code".into(),
                        prompt:
                            "The app refused the authenticator codes. Allow the job to sign in \
                                 with one of the account's backup codes?"
                                .into(),
                    },
                    None,
                )
                .await
            }
            "managed_email" => self
                .app
                .managed_emails(a, &self.account)
                .await
                .map_err(|e| e.to_string())?
                .into_iter()
                .find(|m| m.enabled)
                .map(|m| m.address)
                .ok_or_else(|| {
                    "the account has no enabled managed address: create one first".into()
                }),
            other => Err(format!("no value for {{{other}}}")),
        }
    }

    async fn ask(&self, prompt: &str, screenshot: Option<Vec<u8>>) -> Result<String, String> {
        self.wait_for_person(
            orthrus_app::Question {
                kind: "captcha".into(),
                prompt: prompt.to_owned(),
            },
            screenshot,
        )
        .await
    }

    async fn call(&self, hook: &str, arg: Option<&str>) -> Result<(), String> {
        let a = &self.actor();
        match hook {
            // Stored as pending before the app is told: a crash from here
            // on loses nothing, and the seed is only promoted once the app
            // accepted its first code.
            "enroll_totp" => {
                let key = arg.ok_or("enroll_totp needs the secret key")?;
                // A key read off the page, or the otpauth:// URI of a QR code.
                let uri = key.trim_start().starts_with("otpauth://");
                let p = self
                    .app
                    .enroll_otp(
                        a,
                        &self.account,
                        orthrus_app::EnrollInput {
                            secret: (!uri).then(|| key.to_owned()),
                            otpauth_uri: uri.then(|| key.trim().to_owned()),
                            qr_image: None,
                            steam: false,
                            issuer: None,
                            algorithm: None,
                            digits: None,
                            period: None,
                        },
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                if let Ok(mut e) = self.enrollment.lock() {
                    *e = Some(p.enrollment_id);
                }
                Ok(())
            }
            "confirm_totp" => {
                let id = self.enrollment.lock().ok().and_then(|e| e.clone());
                self.app
                    .confirm_otp(a, &self.account, id.as_deref())
                    .await
                    .map_err(|e| e.to_string())?;
                self.spend_current_step().await
            }
            "use_new_password" => {
                if self.new_password.lock().await.is_none() {
                    return Err("no new password was made yet".into());
                }
                self.signing_in_with_new
                    .store(true, std::sync::atomic::Ordering::SeqCst);
                Ok(())
            }
            "promote_password" => {
                let tried = self.new_password.lock().await.clone();
                let tried = tried.ok_or("no new password was made yet")?;
                self.app
                    .promote_pending_password(a, &self.account, &tried, false)
                    .await
                    .map_err(|e| e.to_string())
            }
            // The app refused the new password this run typed (its policy,
            // a blocklist): the old one still works, so the pending password
            // goes, if it is still this one. Never after the app took it.
            "discard_new_password" => {
                use std::sync::atomic::Ordering::SeqCst;
                if !self.typed_new.load(SeqCst) || self.signing_in_with_new.load(SeqCst) {
                    return Err(
                        "discard_new_password: only after the app refused the {new_password} this run typed"
                            .into(),
                    );
                }
                let tried = self.new_password.lock().await.clone();
                let tried = tried.ok_or("no new password was made yet")?;
                self.app
                    .discard_pending_password(a, &self.account, &tried, self.job.id)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
            "save_backup_codes" => {
                let text = arg.ok_or("save_backup_codes needs the codes")?;
                self.app
                    .set_backup_codes(a, &self.account, &[text.to_owned()])
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
            other => Err(format!("no hook {other:?}")),
        }
    }
}

/// Steps go to the job's log in storage.
struct StoreLog {
    app: App,
    job: orthrus_core::EventId,
    attempt: i64,
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

    async fn finished(
        &mut self,
        handle: i64,
        outcome: StepOutcome,
        url: Option<&str>,
        detail: Option<&str>,
    ) {
        if handle < 0 {
            return;
        }
        if let Err(e) = self
            .app
            .finish_job_step(self.job, handle, outcome.as_str(), url, detail)
            .await
        {
            tracing::warn!(error = %e, "could not log an automation step");
        }
    }
}

/// Steps go to the job's log and to a watcher (`orthrus recipe try`),
/// each with its own handles.
struct Tee<'a> {
    log: &'a mut dyn StepLog,
    watch: &'a mut dyn StepLog,
    /// Our handle: the log's and the watcher's.
    handles: std::collections::HashMap<i64, (i64, i64)>,
    next: i64,
}

impl<'a> Tee<'a> {
    fn new(log: &'a mut dyn StepLog, watch: &'a mut dyn StepLog) -> Self {
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

    async fn finished(
        &mut self,
        handle: i64,
        outcome: StepOutcome,
        url: Option<&str>,
        detail: Option<&str>,
    ) {
        if let Some((a, b)) = self.handles.remove(&handle) {
            self.log.finished(a, outcome, url, detail).await;
            self.watch.finished(b, outcome, url, detail).await;
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
