//! One run of a job a runner holds: its inputs, the browser profile
//! restored and kept, the flow (the recipe's, or the generic login) under
//! the attempt's time limit, and the end state it records (succeeded,
//! failed, deferred, queued for a retry, or cancelled).

use super::host::RunnerHost;
use super::step_log::{StoreLog, Tee};
use super::{MAX_DEFERRALS, Runner, backoff, heartbeat, later, off_thread};
use crate::browser::Browser;
use crate::engine::{FlowEnd, StepEnd, StepLog, run_flow};
use orthrus_core::{JobState, Timestamp};
use orthrus_store::JobRow;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

impl Runner {
    /// Runs a job this runner holds; the state recorded and why.
    pub(super) async fn execute(
        &self,
        job: JobRow,
        watch: Option<&mut dyn StepLog>,
        stop: Option<&CancellationToken>,
    ) -> (JobState, Option<String>) {
        let cancel = stop.map_or_else(CancellationToken::new, CancellationToken::child_token);
        let lost = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let heartbeat = heartbeat::spawn(
            self.app.clone(),
            job.id,
            self.cfg.worker_id.clone(),
            self.cfg.lease,
            cancel.clone(),
            Arc::clone(&lost),
        );
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
                log.finished(h, StepEnd::failed(&e.to_string())).await;
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
                log.finished(h, StepEnd::ok(None)).await;
                b
            }
            Err(e) => {
                log.finished(h, StepEnd::failed(&e.to_string())).await;
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
            account: job.account_id,
            cursor: std::sync::Mutex::new((job.updated_at, None)),
            actor: std::sync::Mutex::new(inputs.actor.clone()),
            inputs,
            senders,
            enrollment: std::sync::Mutex::new(None),
            new_password: tokio::sync::Mutex::new(None),
            typed_new: std::sync::atomic::AtomicBool::new(false),
            signing_in_with_new: std::sync::atomic::AtomicBool::new(false),
            typed_pending: std::sync::atomic::AtomicBool::new(false),
            asked_for_code: Arc::clone(asked_for_code),
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
            Err(std::io::Error::other("not kept"))
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
                tracing::warn!(job = %job.id, error = %e, "could not pack the browser profile");
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
