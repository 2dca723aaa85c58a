//! Automation jobs without a browser: who they act as, and what people
//! answer when a job waits for them (the browser side is tested against
//! the sandbox in `orthrus`'s tests).

use crate::support::*;
use orthrus_app::Question;
use reqwest::StatusCode;
use serde_json::json;

/// A queued job of `kind` on the account, and its row.
async fn queued(t: &TestApp, owner: &Client, id: &str, kind: &str) -> orthrus_store::JobRow {
    let (s, v) = owner
        .post(
            &format!("/accounts/{id}/automations"),
            &json!({ "kind": kind }),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let job_id: orthrus_core::EventId = v["job_id"].as_str().unwrap().parse().unwrap();
    let ws = t.app.store().list_workspaces().await.unwrap()[0].id;
    t.app.store().get_job(ws, job_id).await.unwrap().unwrap()
}

/// Plays a worker: claims the job and asks `kind`.
async fn ask(t: &TestApp, kind: &str) -> orthrus_store::JobRow {
    let now = t.app.now();
    let job = t
        .app
        .store()
        .claim_job("test-worker", now, now.plus_seconds(3600))
        .await
        .unwrap()
        .expect("a job to claim");
    t.app
        .ask_person(
            &job,
            "test-worker",
            &Question {
                kind: kind.parse().unwrap(),
                prompt: "Allow a backup code?".into(),
            },
            None,
        )
        .await
        .unwrap();
    job
}

/// Allowing a backup code takes exactly one, only for a job that gets it:
/// a refused identity check or a second answer takes none.
#[tokio::test]
async fn a_backup_code_is_taken_only_for_a_job_that_gets_it() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let id = owner.account("Brand IG", "pw-1").await;
    let (s, v) = owner
        .send(
            reqwest::Method::PUT,
            &format!("/accounts/{id}/backup-codes"),
            Some(&json!({"codes": "4821 9306\n1175 2048\n6630 9914\n"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    queued(&t, &owner, &id, "login").await;
    let job = ask(&t, "backup_code").await;
    let answer = |text: &'static str| {
        let (owner, path) = (owner.clone(), format!("/jobs/{}/answer", job.id));
        async move { owner.post(&path, &json!({ "answer": text })).await }
    };
    let unused = || {
        let (owner, path) = (owner.clone(), format!("/accounts/{id}/backup-codes/status"));
        async move { owner.get(&path).await.1["unused"].as_i64().unwrap() }
    };
    // No identity check yet: refused, nothing taken, still answerable.
    let (s, v) = answer("yes").await;
    assert_code(s, &v, StatusCode::FORBIDDEN, "step_up.required");
    assert_eq!(unused().await, 3);
    // The worker does not give up on a question being answered.
    owner.step_up("owner-password-1").await;
    let (s, v) = answer("yes").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(unused().await, 2);
    // A second answer takes nothing.
    let (s, v) = answer("yes").await;
    assert_code(s, &v, StatusCode::CONFLICT, "automation.not_waiting");
    assert_eq!(unused().await, 2);
    // The worker gets the code (one of the three), once.
    assert!(!t.app.give_up_question(&job, "test-worker").await.unwrap());
    let got = t
        .app
        .take_answer(&job, "test-worker")
        .await
        .unwrap()
        .unwrap();
    assert!(
        ["4821 9306", "1175 2048", "6630 9914"].contains(&got.expose()),
        "not a backup code"
    );
    assert!(
        t.app
            .take_answer(&job, "test-worker")
            .await
            .unwrap()
            .is_none()
    );
}

/// A waiting job's CAPTCHA picture is for whoever may see the job; a
/// failure screenshot (a whole page) only for the account's Owners, not
/// workspace Admins, who never see secrets.
#[tokio::test]
async fn failure_screenshots_are_for_the_accounts_owners() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let admin = t.user(&owner, "admin@acme.test", "admin").await;
    let id = owner.account("Brand IG", "pw-1").await;
    queued(&t, &owner, &id, "login").await;
    let job = ask(&t, "captcha").await;
    let png = b"\x89PNG\r\n\x1a\nnot really".to_vec();
    t.app.save_job_screenshot(&job, &png).await.unwrap();
    let shot = |c: &Client| {
        let (c, path) = (c.clone(), format!("/jobs/{}/screenshot", job.id));
        async move { c.get(&path).await.0 }
    };
    // Waiting on a CAPTCHA: both see it.
    let (_, v) = admin.get(&format!("/jobs/{}", job.id)).await;
    assert!(v["screenshot_url"].is_string(), "{v}");
    assert_eq!(shot(&admin).await, StatusCode::OK);
    // The job fails: the page screenshot is the Owners' only.
    assert!(
        t.app
            .store()
            .set_job_state(
                job.id,
                "test-worker",
                orthrus_core::JobState::Failed,
                Some("x"),
                None,
                t.app.now()
            )
            .await
            .unwrap()
    );
    let (_, v) = admin.get(&format!("/jobs/{}", job.id)).await;
    assert!(v["screenshot_url"].is_null(), "{v}");
    assert_eq!(shot(&admin).await, StatusCode::FORBIDDEN);
    let (_, v) = owner.get(&format!("/jobs/{}", job.id)).await;
    assert!(v["screenshot_url"].is_string(), "{v}");
    assert_eq!(shot(&owner).await, StatusCode::OK);
}

/// A job acts as its requester under the workspace's rules: when 2FA
/// becomes required before it runs and the requester has none, it stops;
/// the audit names the job.
#[tokio::test]
async fn a_job_runs_as_its_requester_under_the_workspace_rules() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let id = owner.account("Brand IG", "pw-1").await;
    let job = queued(&t, &owner, &id, "login").await;
    let (job_id, ws) = (job.id, job.workspace_id);
    // Before: the run may use the account; the credentials use is audited
    // as the job.
    let inputs = t.app.job_inputs(&job).await.unwrap();
    assert_eq!(inputs.username, "brand");
    assert!(matches!(inputs.actor.via, orthrus_app::Via::Job(j) if j == job_id));
    let (_, audit) = owner.get("/audit?action=automation.credentials_use").await;
    assert_eq!(audit[0]["ip"], format!("job {job_id}"), "{audit}");
    // 2FA becomes required (set in storage: the API first asks the Owner
    // to enrol, which this test does not need); the requester has not
    // enrolled, so the job does not run.
    let mut row = t.app.store().get_workspace(ws).await.unwrap().unwrap();
    row.require_2fa = true;
    t.app.store().update_workspace(&row).await.unwrap();
    match t.app.job_inputs(&job).await {
        Err(e) => assert_eq!(e.code(), "auth.2fa_enrollment_required", "{e}"),
        Ok(_) => panic!("a job ran without the 2FA the workspace requires"),
    }
}
