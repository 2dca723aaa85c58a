//! What a running flow asks its runner for: placeholder values
//! (credentials, codes, inbox messages, the rotation's new password), hooks
//! (enrolling and confirming an authenticator, promoting or discarding a
//! password, keeping backup codes) and a person's answer, each through
//! `App` with the rights of the person who started the job.

use crate::engine::{Host, HostError};
use orthrus_app::{App, CodeUse, JobInputs};
use orthrus_core::Timestamp;
use orthrus_store::JobRow;
use std::sync::Arc;
use std::time::Duration;

/// The job's run as the flow's [`Host`].
pub(super) struct RunnerHost {
    pub(super) app: App,
    pub(super) job: JobRow,
    pub(super) worker: String,
    pub(super) person_wait: Duration,
    /// Questions asked so far (each may stretch the attempt's time limit).
    pub(super) asked: std::sync::atomic::AtomicU32,
    pub(super) account: orthrus_core::AccountId,
    /// Inbox messages before this (time, and message of that time) are
    /// not the ones the run waits for; it moves past each message it uses.
    pub(super) cursor: std::sync::Mutex<(Timestamp, Option<orthrus_core::EventId>)>,
    /// Who the run acts as; its identity check is renewed after a person
    /// answers (the wait may have been long).
    pub(super) actor: std::sync::Mutex<orthrus_app::Actor>,
    pub(super) inputs: JobInputs,
    /// Whose codes and links the run may use (the recipe's declaration).
    pub(super) senders: orthrus_app::AppSenders,
    /// The pending enrolment `enroll_totp` made, for `confirm_totp`.
    pub(super) enrollment: std::sync::Mutex<Option<String>>,
    /// The rotation's new password, once made (and stored as pending).
    pub(super) new_password: tokio::sync::Mutex<Option<orthrus_core::SecretString>>,
    /// Set once `{new_password}` was handed out: the app may have it.
    pub(super) typed_new: std::sync::atomic::AtomicBool,
    /// After `use_new_password`, {password} is the new one.
    pub(super) signing_in_with_new: std::sync::atomic::AtomicBool,
    /// Set when {password} was handed out as the new (or pending) one: the
    /// app was really asked for it, not skipped by a browser still signed in.
    pub(super) typed_pending: std::sync::atomic::AtomicBool,
    /// Set when the run asks for `{totp}` or `{backup_code}`: the app asked
    /// for a second factor (what an MFA check looks for).
    pub(super) asked_for_code: Arc<std::sync::atomic::AtomicBool>,
}

impl RunnerHost {
    pub(super) fn actor(&self) -> orthrus_app::Actor {
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
    ) -> Result<String, HostError> {
        self.asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.app
            .ask_person(&self.job, &self.worker, &question, screenshot.as_deref())
            .await
            .map_err(HostError::app)?;
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
                    tracing::warn!(job = %self.job.id, error = %e, "could not read the answer");
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
                    return Err(HostError::Timeout(format!(
                        "nobody answered within {} minutes",
                        self.person_wait.as_secs().div_ceil(60)
                    )));
                }
                gave_up = true;
                deadline = tokio::time::Instant::now() + Duration::from_secs(60);
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    /// Marks the current step of the active seed used: the app just saw its
    /// code, and apps refuse a code twice.
    async fn spend_current_step(&self) -> Result<(), HostError> {
        let a = &self.actor();
        let status = self
            .app
            .otp_status(a, self.account)
            .await
            .map_err(HostError::app)?;
        if let Some(meta) = status.active {
            let period = meta.period.max(1);
            let step = self.app.now().millis() / 1000 / period;
            self.app
                .mark_otp_used(a, self.account, step, CodeUse::Automation)
                .await
                .map_err(HostError::app)?;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Host for RunnerHost {
    async fn value(&self, name: &str) -> Result<String, HostError> {
        if crate::mfa_check::asks_for_code(name) {
            self.asked_for_code
                .store(true, std::sync::atomic::Ordering::SeqCst);
            // A check has its answer; it does not wait for a person to
            // allow a backup code.
            if name == "backup_code" && self.job.kind == orthrus_app::JobKind::CheckMfa.as_str() {
                return Err(HostError::Unavailable(
                    "the app refused the authenticator codes; a check does not use backup codes"
                        .into(),
                ));
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
                .pending_otp_code(a, self.account)
                .await
                .map(|p| p.code)
                .map_err(HostError::app),
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
                    .ok_or_else(|| HostError::Unavailable("no new password was made yet".into()))
            }
            "password" => Ok(self.inputs.password.expose().to_owned()),
            "new_password" => {
                self.typed_new
                    .store(true, std::sync::atomic::Ordering::SeqCst);
                let mut slot = self.new_password.lock().await;
                if slot.is_none() {
                    *slot = Some(
                        self.app
                            .begin_password_rotation(a, self.account)
                            .await
                            .map_err(HostError::app)?,
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
                    .otp_code(a, self.account, CodeUse::Automation, None)
                    .await
                    .map_err(HostError::app)?;
                // About to be typed: nobody else may use this step's code.
                self.app
                    .mark_otp_used(a, self.account, c.step, CodeUse::Automation)
                    .await
                    .map_err(HostError::app)?;
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
                            self.account,
                            since,
                            after,
                            left.as_secs().max(1),
                            Some(&self.senders),
                        )
                        .await
                        .map_err(HostError::app)?
                        .ok_or_else(|| {
                            HostError::Timeout(
                                "nothing arrived in the shared inbox within 60 s".into(),
                            )
                        })?;
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
                                .map_err(HostError::app)?;
                        }
                        return Ok(v);
                    }
                    if tokio::time::Instant::now() >= deadline {
                        return Err(HostError::Timeout(format!(
                            "no message with a {} arrived within 60 s",
                            &name[6..]
                        )));
                    }
                }
            }
            // Offered, not taken: an Owner allows it in the automation log
            // (with their identity check) and the code comes from there.
            "backup_code" => {
                self.wait_for_person(
                    orthrus_app::Question {
                        kind: orthrus_core::QuestionKind::BackupCode,
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
                .managed_emails(a, self.account)
                .await
                .map_err(HostError::app)?
                .into_iter()
                .find(|m| m.enabled)
                .map(|m| m.address)
                .ok_or_else(|| {
                    HostError::Unavailable(
                        "the account has no enabled managed address: create one first".into(),
                    )
                }),
            other => Err(HostError::Unavailable(format!("no value for {{{other}}}"))),
        }
    }

    async fn ask(&self, prompt: &str, screenshot: Option<Vec<u8>>) -> Result<String, HostError> {
        self.wait_for_person(
            orthrus_app::Question {
                kind: orthrus_core::QuestionKind::Captcha,
                prompt: prompt.to_owned(),
            },
            screenshot,
        )
        .await
    }

    async fn call(&self, hook: &str, arg: Option<&str>) -> Result<(), HostError> {
        let a = &self.actor();
        match hook {
            // Stored as pending before the app is told: a crash from here
            // on loses nothing, and the seed is only promoted once the app
            // accepted its first code.
            "enroll_totp" => {
                let key = arg
                    .ok_or_else(|| HostError::Recipe("enroll_totp needs the secret key".into()))?;
                // A key read off the page, or the otpauth:// URI of a QR code.
                let uri = key.trim_start().starts_with("otpauth://");
                let p = self
                    .app
                    .enroll_otp(
                        a,
                        self.account,
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
                    .map_err(HostError::app)?;
                if let Ok(mut e) = self.enrollment.lock() {
                    *e = Some(p.enrollment_id);
                }
                Ok(())
            }
            "confirm_totp" => {
                let id = self.enrollment.lock().ok().and_then(|e| e.clone());
                self.app
                    .confirm_otp(a, self.account, id.as_deref())
                    .await
                    .map_err(HostError::app)?;
                self.spend_current_step().await
            }
            "use_new_password" => {
                if self.new_password.lock().await.is_none() {
                    return Err(HostError::Unavailable(
                        "no new password was made yet".into(),
                    ));
                }
                self.signing_in_with_new
                    .store(true, std::sync::atomic::Ordering::SeqCst);
                Ok(())
            }
            "promote_password" => {
                let tried = self.new_password.lock().await.clone();
                let tried = tried
                    .ok_or_else(|| HostError::Unavailable("no new password was made yet".into()))?;
                self.app
                    .promote_pending_password(a, self.account, &tried, false)
                    .await
                    .map_err(HostError::app)
            }
            // The app refused the new password this run typed (its policy,
            // a blocklist): the old one still works, so the pending password
            // goes, if it is still this one. Never after the app took it.
            "discard_new_password" => {
                use std::sync::atomic::Ordering::SeqCst;
                if !self.typed_new.load(SeqCst) || self.signing_in_with_new.load(SeqCst) {
                    return Err(HostError::Recipe(
                        "discard_new_password: only after the app refused the {new_password} this run typed"
                            .into(),
                    ));
                }
                let tried = self.new_password.lock().await.clone();
                let tried = tried
                    .ok_or_else(|| HostError::Unavailable("no new password was made yet".into()))?;
                self.app
                    .discard_pending_password(a, self.account, &tried, self.job.id)
                    .await
                    .map(|_| ())
                    .map_err(HostError::app)
            }
            "save_backup_codes" => {
                let text = arg
                    .ok_or_else(|| HostError::Recipe("save_backup_codes needs the codes".into()))?;
                self.app
                    .set_backup_codes(a, self.account, &[text.to_owned()])
                    .await
                    .map(|_| ())
                    .map_err(HostError::app)
            }
            other => Err(HostError::Unavailable(format!("no hook {other:?}"))),
        }
    }
}
