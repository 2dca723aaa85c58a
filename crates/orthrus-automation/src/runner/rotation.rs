//! A rotation whose sign-in failed while a pending password is kept (an
//! earlier run made it and may have given it to the app): signing in with
//! it tells whether the app holds it.

use super::Runner;
use super::host::RunnerHost;
use crate::engine::{FlowEnd, StepEnd, StepLog, run_flow};

impl Runner {
    /// A rotation's sign-in failed while a pending password is kept: an
    /// earlier run (a node killed mid-rotation, a worker that lost its
    /// lease) made it and may have given it to the app. Signing in with it
    /// tells: if the app takes it, it becomes the current password (the
    /// rotation is done); else the first failure stands.
    pub(super) async fn try_pending_password(
        &self,
        driver: &thirtyfour::WebDriver,
        recipe: &crate::recipe::Recipe,
        host: &RunnerHost,
        log: &mut dyn StepLog,
        why: String,
    ) -> FlowEnd {
        let a = host.actor();
        let pending = match self.app.pending_rotation_password(&a, host.account).await {
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
        log.finished(h, StepEnd::ok(Some(&why))).await;
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
            .promote_pending_password(&a, host.account, &pending, true)
            .await
        {
            Ok(()) => {
                log.finished(h, StepEnd::ok(None)).await;
                FlowEnd::Done
            }
            Err(e) => {
                log.finished(h, StepEnd::failed(&e.to_string())).await;
                FlowEnd::Failed(e.to_string())
            }
        }
    }
}
