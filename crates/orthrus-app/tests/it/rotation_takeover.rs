//! A rotation whose worker dies after making the new password (issue 16's
//! security review): the pending password is never replaced, so a rerun
//! of the job (or a later job) types the same one, and it is promoted only
//! as the password a run tried.

use crate::TestApp;
use orthrus_app::AppError;
use orthrus_core::{SecretString, Timestamp};

#[tokio::test]
async fn a_rerun_rotation_reuses_the_pending_password_and_promotes_only_it() {
    for t in TestApp::all("rotation_takeover").await {
        // The runner's actor: the requester, identity confirmed.
        let mut by = t.owner.clone();
        by.elevated_until = Some(Timestamp(crate::START + 3_600_000));
        let id = t
            .app
            .create_account(
                &by,
                orthrus_app::NewAccount {
                    app: "sandbox".into(),
                    label: "Brand".into(),
                    login_url: "http://127.0.0.1:9/accounts/login".into(),
                    username: "brand".into(),
                    password: "pw-1".into(),
                    notes: None,
                    fields: Vec::new(),
                },
            )
            .await
            .unwrap()
            .summary
            .id;
        let current = || async { t.app.reveal_password(&by, &id, false).await.unwrap() };
        assert_eq!(
            t.app.pending_rotation_password(&by, &id).await.unwrap(),
            None
        );

        // The first run makes the new password and dies (perhaps after the
        // app took it); the rerun is given the same one, not a new one.
        let first = t.app.begin_password_rotation(&by, &id).await.unwrap();
        let rerun = t.app.begin_password_rotation(&by, &id).await.unwrap();
        assert_eq!(rerun.expose(), first.expose());
        // Two runs at once (a stalled worker and its successor) too.
        let (a, b) = tokio::join!(
            t.app.begin_password_rotation(&by, &id),
            t.app.begin_password_rotation(&by, &id)
        );
        assert_eq!(a.unwrap().expose(), first.expose());
        assert_eq!(b.unwrap().expose(), first.expose());
        assert_eq!(
            t.app.pending_rotation_password(&by, &id).await.unwrap(),
            Some(first.clone())
        );
        assert_eq!(current().await.expose(), "pw-1", "still the old one");
        let pending = || async {
            t.app
                .rotation_schedule(&by, &id)
                .await
                .unwrap()
                .password_pending
        };
        assert!(pending().await, "Owners see a rotation is pending");

        // Only the password a run tried is promoted.
        let other = SecretString::new("not-the-pending-one");
        let e = t
            .app
            .promote_pending_password(&by, &id, &other, false)
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                AppError::Conflict {
                    code: "automation.pending_password_changed",
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(current().await.expose(), "pw-1");
        t.app
            .promote_pending_password(&by, &id, &first, true)
            .await
            .unwrap();
        assert_eq!(current().await.expose(), first.expose());
        assert_eq!(
            t.app.pending_rotation_password(&by, &id).await.unwrap(),
            None
        );
        assert!(!pending().await);
        // A second run promoting the same password finds it done.
        t.app
            .promote_pending_password(&by, &id, &first, false)
            .await
            .unwrap();
        let detail = t.app.get_account(&by, &id).await.unwrap();
        assert_eq!(detail.password_history.len(), 1, "pw-1 once");
        // Nothing pending: the next rotation makes a new password.
        let next = t.app.begin_password_rotation(&by, &id).await.unwrap();
        assert_ne!(next.expose(), first.expose());
        // Promoting with nothing pending and another password is refused.
        t.app
            .promote_pending_password(&by, &id, &next, false)
            .await
            .unwrap();
        let e = t
            .app
            .promote_pending_password(&by, &id, &first, false)
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::NotFound("pending password")), "{e:?}");
        assert_eq!(current().await.expose(), next.expose());

        // A run stopped between making the pending password current and
        // clearing it: the next rotation clears it and makes a new one (the
        // app would refuse its current password as the new one).
        let made = t.app.begin_password_rotation(&by, &id).await.unwrap();
        let version = t.app.get_account(&by, &id).await.unwrap().summary.version;
        t.app
            .update_account(
                &by,
                &id,
                orthrus_app::AccountPatch {
                    version,
                    password: Some(made.clone()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let fresh = t.app.begin_password_rotation(&by, &id).await.unwrap();
        assert_ne!(fresh.expose(), made.expose());
        assert_eq!(
            t.app.pending_rotation_password(&by, &id).await.unwrap(),
            Some(fresh)
        );
    }
}
