//! A rotation whose worker dies after making the new password (issue 16's
//! security review): the pending password is never replaced, so a rerun
//! of the job (or a later job) types the same one, and it is promoted only
//! as the password a run tried; one the app refused is discarded by the run
//! that typed it (and by no other).

use crate::TestApp;
use crate::support::{audit_details, create_account, sandbox_account};
use orthrus_app::AppError;
use orthrus_app::ConflictCode;
use orthrus_core::{AccountId, EventId, SecretString, Timestamp};

/// A rotation's runner on one sandbox account: the requester (the Owner),
/// identity confirmed.
struct Runner<'a> {
    t: &'a TestApp,
    by: orthrus_app::Actor,
    id: String,
}

impl<'a> Runner<'a> {
    async fn new(t: &'a TestApp) -> Self {
        let mut by = t.owner.clone();
        by.elevated_until = Some(Timestamp(crate::START + 3_600_000));
        let id = create_account(
            &t.app,
            &by,
            sandbox_account("Brand", "http://127.0.0.1:9/accounts/login"),
        )
        .await;
        Self { t, by, id }
    }

    fn account(&self) -> AccountId {
        self.id.parse().unwrap()
    }

    /// The password the run is to type.
    async fn begin(&self) -> SecretString {
        self.t
            .app
            .begin_password_rotation(&self.by, self.account())
            .await
            .unwrap()
    }

    async fn pending(&self) -> Option<SecretString> {
        self.t
            .app
            .pending_rotation_password(&self.by, self.account())
            .await
            .unwrap()
    }

    async fn current(&self) -> SecretString {
        self.t
            .app
            .reveal_password(&self.by, self.account(), false)
            .await
            .unwrap()
    }

    async fn promote(&self, tried: &SecretString, recovered: bool) -> orthrus_app::Result<()> {
        self.t
            .app
            .promote_pending_password(&self.by, self.account(), tried, recovered)
            .await
    }

    async fn discard(&self, tried: &SecretString, job: EventId) -> bool {
        self.t
            .app
            .discard_pending_password(&self.by, self.account(), tried, job)
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn a_rerun_rotation_reuses_the_pending_password_and_promotes_only_it() {
    for t in TestApp::all("rotation_takeover").await {
        // The runner's actor: the requester, identity confirmed.
        let r = Runner::new(&t).await;
        let (by, id) = (&r.by, r.account());
        assert_eq!(r.pending().await, None);

        // The first run makes the new password and dies (perhaps after the
        // app took it); the rerun is given the same one, not a new one.
        let first = r.begin().await;
        let rerun = r.begin().await;
        assert_eq!(rerun.expose(), first.expose());
        // Two runs at once (a stalled worker and its successor) too.
        let (a, b) = tokio::join!(r.begin(), r.begin());
        assert_eq!(a.expose(), first.expose());
        assert_eq!(b.expose(), first.expose());
        assert_eq!(r.pending().await, Some(first.clone()));
        assert_eq!(r.current().await.expose(), "pw-1", "still the old one");
        let pending = || async {
            t.app
                .rotation_schedule(by, id)
                .await
                .unwrap()
                .password_pending
        };
        assert!(pending().await, "Owners see a rotation is pending");

        // Only the password a run tried is promoted.
        let other = SecretString::new("not-the-pending-one");
        let e = r.promote(&other, false).await.unwrap_err();
        assert!(
            matches!(
                e,
                AppError::Conflict {
                    code: ConflictCode::AutomationPendingPasswordChanged,
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(r.current().await.expose(), "pw-1");
        r.promote(&first, true).await.unwrap();
        assert_eq!(r.current().await.expose(), first.expose());
        assert_eq!(r.pending().await, None);
        assert!(!pending().await);
        // A second run promoting the same password finds it done.
        r.promote(&first, false).await.unwrap();
        let detail = t.app.get_account(by, id).await.unwrap();
        assert_eq!(detail.password_history.len(), 1, "pw-1 once");
        // Nothing pending: the next rotation makes a new password.
        let next = r.begin().await;
        assert_ne!(next.expose(), first.expose());
        // Promoting with nothing pending and another password is refused.
        r.promote(&next, false).await.unwrap();
        let e = r.promote(&first, false).await.unwrap_err();
        assert!(
            matches!(e, AppError::NotFound(orthrus_app::Entity::PendingPassword)),
            "{e:?}"
        );
        assert_eq!(r.current().await.expose(), next.expose());

        // A run stopped between making the pending password current and
        // clearing it: the next rotation clears it and makes a new one (the
        // app would refuse its current password as the new one).
        let made = r.begin().await;
        let version = t.app.get_account(by, id).await.unwrap().summary.version;
        t.app
            .update_account(
                by,
                id,
                orthrus_app::AccountPatch {
                    version,
                    password: Some(made.clone()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let fresh = r.begin().await;
        assert_ne!(fresh.expose(), made.expose());
        assert_eq!(r.pending().await, Some(fresh));
    }
}

/// A new password the app refused (its policy, a blocklist, a length
/// limit; the second security review): the run discards it, but only while
/// it is the pending one it typed, and the next rotation makes a fresh one
/// under the account's policy instead of typing the refused one forever.
#[tokio::test]
async fn a_refused_password_is_discarded_only_as_tried_and_the_next_rotation_is_fresh() {
    for t in TestApp::all("rotation_refused").await {
        let r = Runner::new(&t).await;
        // The run's job (its id goes to the audit).
        let job: EventId = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b".parse().unwrap();
        let discarded = || audit_details(&t.app, &t.owner, "automation.password_discarded", &r.id);

        let refused = r.begin().await;
        assert_eq!(refused.expose().chars().count(), 20, "the default policy");
        // Another password than the pending one (a run that typed something
        // else) clears nothing: the app may hold the pending one.
        let other = SecretString::new("not-the-pending-one");
        assert!(!r.discard(&other, job).await);
        assert_eq!(r.pending().await, Some(refused.clone()));
        assert!(discarded().await.is_empty());

        // The run that typed it discards it: nothing pending, the old
        // password still current, audited with the job and no secret.
        assert!(r.discard(&refused, job).await);
        assert_eq!(r.pending().await, None);
        assert_eq!(r.current().await.expose(), "pw-1");
        let events = discarded().await;
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0]["job_id"], job.to_string(), "{events:?}");
        assert!(
            !events[0].to_string().contains(refused.expose()),
            "{events:?}"
        );
        // Done already: nothing more to clear, nothing more audited.
        assert!(!r.discard(&refused, job).await);
        assert_eq!(discarded().await.len(), 1);

        // The account's policy fixed to the app's rule: the next rotation
        // makes a fresh password under it.
        t.app
            .set_rotation_schedule(
                &r.by,
                r.account(),
                orthrus_app::RotationInput {
                    every_days: None,
                    window_start_hour: None,
                    window_end_hour: None,
                    on_member_leave: false,
                    password_policy: Some(orthrus_app::PasswordPolicy {
                        length: 12,
                        symbols: false,
                        ..Default::default()
                    }),
                    after_autofill_hours: None,
                },
            )
            .await
            .unwrap();
        let fresh = r.begin().await;
        assert_ne!(fresh.expose(), refused.expose());
        assert!(
            fresh.expose().chars().count() == 12
                && fresh.expose().chars().all(|c| c.is_ascii_alphanumeric()),
            "not under the fixed policy"
        );
        // A run still holding the refused password does not clear the new
        // pending one.
        assert!(!r.discard(&refused, job).await);
        assert_eq!(r.pending().await, Some(fresh.clone()));
        assert_eq!(discarded().await.len(), 1);
        // And it is still promoted as usual.
        r.promote(&fresh, false).await.unwrap();
        assert_eq!(r.pending().await, None);
    }
}
