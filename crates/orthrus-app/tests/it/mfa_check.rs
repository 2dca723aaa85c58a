//! "Keep MFA on" (issue 13), without a browser: which accounts a scheduled
//! pass checks and as whom, a few at a time; what a run's report records
//! (on, off and flagged, could not check), the audit, and who may start a
//! check by hand. The browser side is tested against the sandbox in
//! `orthrus`'s tests (`mfa_check.rs`).

use crate::TestApp;
use crate::support::{audit_details, create_account, hold_authenticator, sandbox_account};
use orthrus_app::{Actor, AppError, CheckRun, JobView, MfaCheckState, StartOptions};
use orthrus_app::{ConflictCode, InvalidCode};
use orthrus_core::{AccountRole, WorkspaceRole};
use orthrus_store::JobRow;

const SEED: &str = "JBSWY3DPEHPK3PXP";
const DAY: i64 = 86_400;

async fn account(t: &TestApp, by: &Actor, label: &str) -> String {
    let new = sandbox_account(label, "http://127.0.0.1:9/accounts/login");
    create_account(&t.app, by, new).await
}

/// Orthrus holds the account's authenticator (enrolled and confirmed by `by`).
async fn authenticator(t: &TestApp, by: &Actor, id: &str) {
    hold_authenticator(&t.app, by, id, SEED).await;
}

/// The account's `check_mfa` jobs, newest first.
async fn checks(t: &TestApp, id: &str) -> Vec<JobRow> {
    let ws = t.owner.workspace_id;
    t.app
        .store()
        .list_jobs(ws, Some(id.parse().unwrap()), 50)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.kind == "check_mfa")
        .collect()
}

/// Plays a worker: claims the next job (it must be `job`), ends it in
/// `state` and reports what the run saw, as the runner does.
async fn run(t: &TestApp, job: &JobRow, run: CheckRun<'_>) -> MfaCheckState {
    let now = t.app.now();
    let claimed = t
        .app
        .claim_job("test-worker", now.plus_seconds(60))
        .await
        .unwrap()
        .expect("a job to claim");
    assert_eq!(claimed.id, job.id);
    // A scheduled check runs with its requester's rights, checked again.
    t.app.job_inputs(&claimed).await.unwrap();
    let state = if run.signed_in {
        orthrus_core::JobState::Succeeded
    } else {
        orthrus_core::JobState::Failed
    };
    assert!(
        t.app
            .set_job_state(claimed.id, "test-worker", state, run.error, None)
            .await
            .unwrap()
    );
    t.app.finish_mfa_check(&claimed, run).await.unwrap()
}

async fn audited(t: &TestApp, action: &str, id: &str) -> Vec<serde_json::Value> {
    audit_details(&t.app, &t.owner, action, id).await
}

/// Starts `kind` on `id` as `by`; with `confirmed`, the "MFA is off"
/// confirmation ticked or not.
async fn start(
    t: &TestApp,
    by: &Actor,
    id: &str,
    kind: &str,
    confirmed: Option<bool>,
) -> orthrus_app::Result<JobView> {
    let id = id.parse().unwrap();
    match confirmed {
        None => t.app.start_automation(by, id, kind).await,
        Some(c) => {
            let opts = StartOptions {
                confirmed_mfa_off: Some(c),
            };
            t.app.start_automation_with(by, id, kind, opts).await
        }
    }
}

async fn can_check(t: &TestApp, by: &Actor, id: &str) -> bool {
    t.app.can_check_mfa(by, id.parse().unwrap()).await.unwrap()
}

/// The stored row of the job `job` shows.
async fn job_row(t: &TestApp, job: &JobView) -> JobRow {
    let id = job.id.parse().unwrap();
    t.app
        .store()
        .get_job(t.owner.workspace_id, id)
        .await
        .unwrap()
        .unwrap()
}

/// What the last check of `id` found, as the Owner reads the account.
async fn mfa_seen(t: &TestApp, id: &str) -> Option<orthrus_app::MfaCheckView> {
    let account = t.app.get_account(&t.owner, id.parse().unwrap()).await;
    account.unwrap().mfa_check
}

/// Whether `e` is the refusal `Invalid` with `code`.
fn invalid<T>(e: &orthrus_app::Result<T>, code: InvalidCode) -> bool {
    matches!(e, Err(AppError::Invalid { code: c, .. }) if *c == code)
}

/// Whether `e` is the refusal `Conflict` with `code`.
fn conflict<T>(e: &orthrus_app::Result<T>, code: ConflictCode) -> bool {
    matches!(e, Err(AppError::Conflict { code: c, .. }) if *c == code)
}

#[tokio::test]
async fn scheduled_checks_record_on_off_and_could_not_check() {
    for t in TestApp::all("mfa_check").await {
        let owner = t.owner.clone();
        // Pat owns "IG" and enrolled its authenticator; the Owner set up
        // "TikTok"'s; "Vendor" has none (nothing to check it with).
        let pat = t.user("pat@acme.test", WorkspaceRole::User).await;
        let ig = account(&t, &pat, "IG").await;
        authenticator(&t, &pat, &ig).await;
        t.clock.advance_secs(1);
        let tiktok = account(&t, &owner, "TikTok").await;
        authenticator(&t, &owner, &tiktok).await;
        let vendor = account(&t, &owner, "Vendor").await;

        // Off: nothing queued. On, a few at a time: one now, none while it
        // waits, the other once there is room.
        assert_eq!(t.app.run_due_mfa_checks(0, 10).await.unwrap(), 0);
        assert_eq!(t.app.run_due_mfa_checks(7, 1).await.unwrap(), 1);
        assert_eq!(t.app.run_due_mfa_checks(7, 1).await.unwrap(), 0);
        t.clock.advance_secs(1);
        assert_eq!(t.app.run_due_mfa_checks(7, 10).await.unwrap(), 1);
        assert_eq!(t.app.run_due_mfa_checks(7, 10).await.unwrap(), 0);
        assert!(checks(&t, &vendor).await.is_empty());
        let (ig_job, tiktok_job) = (checks(&t, &ig).await, checks(&t, &tiktok).await);
        assert_eq!((ig_job.len(), tiktok_job.len()), (1, 1));
        // Each runs as the one who enrolled the key (who may check it).
        assert_eq!(ig_job[0].requested_by, pat.user_id);
        assert_eq!(tiktok_job[0].requested_by, owner.user_id);
        assert_eq!(
            audited(&t, "automation.start", &ig).await[0]["reason"],
            "mfa_check_schedule"
        );

        // A person may not queue a second one while it waits.
        let e = start(&t, &pat, &ig, "check_mfa", None).await;
        assert!(
            conflict(&e, ConflictCode::AutomationMfaCheckPending),
            "{e:?}"
        );

        // IG's app asked for the code: on. TikTok's signed in without
        // asking: off, flagged and audited.
        let asked = CheckRun {
            signed_in: true,
            asked_for_code: true,
            error: None,
        };
        assert_eq!(run(&t, &ig_job[0], asked).await, MfaCheckState::On);
        let not_asked = CheckRun {
            asked_for_code: false,
            ..asked
        };
        assert_eq!(run(&t, &tiktok_job[0], not_asked).await, MfaCheckState::Off);
        let seen = mfa_seen(&t, &ig).await;
        let seen = seen.expect("a check recorded");
        assert_eq!(seen.state, MfaCheckState::On);
        assert_eq!(seen.job_id, ig_job[0].id.to_string());
        assert_eq!(seen.checked_at, t.app.now().to_rfc3339());
        let json = serde_json::to_value(
            t.app
                .get_account(&owner, tiktok.parse().unwrap())
                .await
                .unwrap(),
        )
        .unwrap();
        assert_eq!(json["mfa_check"]["state"], "off", "{json}");
        assert!(
            serde_json::to_value(
                t.app
                    .get_account(&owner, vendor.parse().unwrap())
                    .await
                    .unwrap()
            )
            .unwrap()["mfa_check"]
                .is_null()
        );
        let flagged = t.app.accounts_with_mfa_off(&owner).await.unwrap();
        assert!(flagged.contains(&tiktok) && !flagged.contains(&ig));
        assert_eq!(
            audited(&t, "account.mfa_check", &tiktok).await[0]["result"],
            "off"
        );
        assert_eq!(
            audited(&t, "account.mfa_off_detected", &tiktok).await.len(),
            1
        );
        assert!(
            audited(&t, "account.mfa_off_detected", &ig)
                .await
                .is_empty()
        );

        // Not again within the interval; both after it.
        t.clock.advance_secs(6 * DAY);
        assert_eq!(t.app.run_due_mfa_checks(7, 10).await.unwrap(), 0);
        // Meanwhile Pat left: IG's next check runs as the workspace Owner.
        t.app
            .deactivate_user(&owner, pat.user_id.to_string().parse().unwrap())
            .await
            .unwrap();
        t.clock.advance_secs(DAY + 1);
        // The longest unchecked first (IG, then TikTok: the same time, the
        // older account first).
        assert_eq!(t.app.run_due_mfa_checks(7, 1).await.unwrap(), 1);
        let ig_again = &checks(&t, &ig).await[0];
        assert_ne!(ig_again.id, ig_job[0].id);
        assert_eq!(ig_again.requested_by, owner.user_id);

        // The app refused the sign-in before any code: could not check,
        // with the reason; not a flag. (TikTok's flag stays until a check
        // or a Turn on MFA says otherwise.)
        let refused = CheckRun {
            signed_in: false,
            asked_for_code: false,
            error: Some("log in: the app refused the sign-in"),
        };
        assert_eq!(
            run(&t, ig_again, refused).await,
            MfaCheckState::CouldNotCheck
        );
        let seen = mfa_seen(&t, &ig).await.unwrap();
        assert_eq!(seen.state, MfaCheckState::CouldNotCheck);
        assert_eq!(
            seen.reason.as_deref(),
            Some("log in: the app refused the sign-in")
        );
        let flagged = t.app.accounts_with_mfa_off(&owner).await.unwrap();
        assert!(!flagged.contains(&ig) && flagged.contains(&tiktok));
    }
}

#[tokio::test]
async fn who_may_check_and_turning_mfa_back_on() {
    for t in TestApp::all("mfa_check_start").await {
        let owner = t.owner.clone();
        let ig = account(&t, &owner, "IG").await;
        let bare = account(&t, &owner, "Vendor").await;
        authenticator(&t, &owner, &ig).await;
        // A Collaborator may log in through automation, not check MFA.
        let col = t.user("col@acme.test", WorkspaceRole::User).await;
        t.app
            .set_member(
                &owner,
                ig.parse().unwrap(),
                &col.user_id.to_string(),
                AccountRole::Collaborator,
            )
            .await
            .unwrap();
        assert!(matches!(
            start(&t, &col, &ig, "check_mfa", None).await,
            Err(AppError::Forbidden)
        ));
        assert!(!can_check(&t, &col, &ig).await);
        // Without the key there is nothing to answer the app with.
        assert!(!can_check(&t, &owner, &bare).await);
        let e = start(&t, &owner, &bare, "check_mfa", None).await;
        assert!(invalid(&e, InvalidCode::AutomationNoAuthenticator), "{e:?}");
        assert!(can_check(&t, &owner, &ig).await);
        let job = start(&t, &owner, &ig, "check_mfa", None).await.unwrap();
        assert_eq!(
            (job.kind.as_str(), job.state.as_str()),
            ("check_mfa", "queued")
        );

        // Turning MFA on: an unticked confirmation is refused, a
        // confirmation on another kind too; Orthrus holding a key refuses
        // it until a check finds the app signing in without one.
        let e = start(&t, &owner, &bare, "enable_mfa", Some(false)).await;
        assert!(
            invalid(&e, InvalidCode::AutomationMfaOffUnconfirmed),
            "{e:?}"
        );
        let e = start(&t, &owner, &bare, "login", Some(true)).await;
        assert!(
            invalid(&e, InvalidCode::AutomationUnexpectedConfirmation),
            "{e:?}"
        );
        let e = start(&t, &owner, &ig, "enable_mfa", Some(true)).await;
        assert!(conflict(&e, ConflictCode::AutomationMfaAlreadyOn), "{e:?}");
        let row = job_row(&t, &job).await;
        let off = CheckRun {
            signed_in: true,
            asked_for_code: false,
            error: None,
        };
        assert_eq!(run(&t, &row, off).await, MfaCheckState::Off);
        let started = start(&t, &owner, &ig, "enable_mfa", Some(true))
            .await
            .unwrap();
        let starts = audited(&t, "automation.start", &ig).await;
        assert_eq!(starts[0]["confirmed_mfa_off"], true, "{starts:?}");
        // Once it succeeded, the app asks for the new key: the flag goes.
        let row = job_row(&t, &started).await;
        t.app.mfa_turned_on(&row).await.unwrap();
        assert!(
            t.app
                .accounts_with_mfa_off(&owner)
                .await
                .unwrap()
                .is_empty()
        );
        let seen = mfa_seen(&t, &ig).await.unwrap();
        assert_eq!((seen.state, seen.job_id), (MfaCheckState::On, started.id));
    }
}
