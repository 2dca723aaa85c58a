//! Issue 13 on the pages and the API, without a browser: "Turn on MFA" asks
//! to confirm that MFA is off (the page's form refuses an unticked box, the
//! API's field is optional); an MFA check's result on the account page,
//! its JSON and the accounts list; a failed job names the step, the page
//! and shows its screenshot.

use crate::support::*;
use orthrus_app::CheckRun;
use reqwest::StatusCode;
use serde_json::json;

/// An automation of `kind` on account `id`, accepted and claimed by a
/// worker: the API's answer and the job.
async fn started(
    t: &TestApp,
    owner: &Client,
    id: &str,
    kind: &str,
) -> (serde_json::Value, orthrus_store::JobRow) {
    let (s, v) = owner
        .post(
            &format!("/accounts/{id}/automations"),
            &json!({"kind": kind}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let now = t.app.now();
    let job = t
        .app
        .claim_job("test-worker", now.plus_seconds(60))
        .await
        .unwrap()
        .unwrap();
    (v, job)
}

/// Requests as the signed-in Owner's browser does: `hx` through htmx,
/// `plain` without JavaScript (a form post, redirects not followed).
struct Page(Browser);

impl Page {
    async fn new(t: &TestApp) -> Self {
        Self(t.browser("owner@acme.test", "owner-password-1").await)
    }

    async fn send(
        &self,
        path: &str,
        form: Option<&[(&str, &str)]>,
        htmx: bool,
    ) -> (StatusCode, String) {
        let req = match form {
            None => self.0.request(reqwest::Method::GET, path),
            Some(f) => self.0.form(path, f),
        };
        let req = if htmx {
            req.header("hx-request", "true")
        } else {
            req
        };
        let r = req.send().await.unwrap();
        (r.status(), r.text().await.unwrap())
    }

    async fn hx(&self, path: &str, form: &[(&str, &str)]) -> String {
        let (s, body) = self
            .send(path, (!form.is_empty()).then_some(form), true)
            .await;
        assert_eq!(s, StatusCode::OK, "{path}: {body}");
        body
    }

    async fn page(&self, path: &str) -> String {
        let (s, body) = self.send(path, None, false).await;
        assert_eq!(s, StatusCode::OK, "{path}: {body}");
        body
    }
}

/// The app has a recipe, as the server registers them at start.
fn with_recipe(t: &TestApp) {
    t.app.set_app_senders(std::collections::HashMap::from([(
        "instagram".to_owned(),
        orthrus_app::AppSenders::new(["instagram.com".to_owned()], Vec::new(), Vec::new()),
    )]));
}

async fn jobs(owner: &Client, id: &str) -> Vec<serde_json::Value> {
    let (s, v) = owner.get(&format!("/jobs?account_id={id}")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v.as_array().unwrap().clone()
}

#[tokio::test]
async fn turning_mfa_on_asks_to_confirm_that_it_is_off() {
    let t = TestApp::sqlite().await;
    with_recipe(&t);
    let owner = t.owner().await;
    let id = owner.account("Brand IG", "pw-1").await;
    let b = Page::new(&t).await;
    let section_path = format!("/accounts/{id}/automations-ui");

    // The button opens a form (a <details>: no script needed) with the box
    // and why it matters.
    let section = b.hx(&section_path, &[]).await;
    for needle in [
        "id=\"automation-enable-mfa\"",
        "I've verified that MFA is off for this account",
        "name=\"confirmed_mfa_off\"",
        "can lock the team out",
        &format!("action=\"/accounts/{id}/automations-ui\""),
    ] {
        assert!(section.contains(needle), "{needle}: {section}");
    }

    // Unticked: refused with the reason, nothing queued, with or without
    // JavaScript.
    let refused = b.hx(&section_path, &[("kind", "enable_mfa")]).await;
    assert!(
        refused.contains("role=\"alert\"")
            && refused.contains("verified that MFA is off for this account&#34; first"),
        "{refused}"
    );
    let (s, page) = b
        .send(&section_path, Some(&[("kind", "enable_mfa")]), false)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("lock the team out"), "{page}");
    assert!(jobs(&owner, &id).await.is_empty());

    // Ticked: the identity check, which carries the box through, then it
    // starts.
    let tick = [("kind", "enable_mfa"), ("confirmed_mfa_off", "1")];
    let dialog = b.hx(&section_path, &tick).await;
    assert!(dialog.contains("Confirm your identity"), "{dialog}");
    let then = format!("automation:{id}:enable_mfa:confirmed");
    assert!(dialog.contains(&then), "{dialog}");
    // The box cannot be dropped on the way: without it the start is refused.
    let dropped = b
        .hx(
            &format!("/step-up?then=automation:{id}:enable_mfa"),
            &[("password", "owner-password-1")],
        )
        .await;
    assert!(dropped.contains("verified that MFA is off"), "{dropped}");
    assert!(jobs(&owner, &id).await.is_empty());
    let started = b
        .hx(
            &format!("/step-up?then={then}"),
            &[("password", "owner-password-1")],
        )
        .await;
    assert!(started.contains("queued"), "{started}");
    let listed = jobs(&owner, &id).await;
    assert_eq!(listed[0]["kind"], "enable_mfa", "{listed:?}");

    // Without JavaScript, a start goes back to the account page.
    let other = owner.account("Brand IG 2", "pw-2").await;
    let (s, _) = b
        .send(
            &format!("/accounts/{other}/automations-ui"),
            Some(&[("kind", "login")]),
            false,
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(jobs(&owner, &other).await[0]["kind"], "login");

    // The API: the field is optional (the contract stays), true is taken,
    // false is refused like the unticked box, and only enable_mfa has it.
    owner.step_up("owner-password-1").await;
    let start = |acct: String, body: serde_json::Value| {
        let owner = owner.clone();
        async move {
            owner
                .post(&format!("/accounts/{acct}/automations"), &body)
                .await
        }
    };
    let (s, v) = start(
        other.clone(),
        json!({"kind": "enable_mfa", "confirmed_mfa_off": false}),
    )
    .await;
    assert_code(
        s,
        &v,
        StatusCode::BAD_REQUEST,
        "automation.mfa_off_unconfirmed",
    );
    let (s, v) = start(
        other.clone(),
        json!({"kind": "login", "confirmed_mfa_off": true}),
    )
    .await;
    assert_eq!(
        (s, code(&v)),
        (
            StatusCode::BAD_REQUEST,
            "automation.unexpected_confirmation"
        ),
        "{v}"
    );
    let third = owner.account("Brand IG 3", "pw-3").await;
    for (acct, body) in [
        (
            other,
            json!({"kind": "enable_mfa", "confirmed_mfa_off": true}),
        ),
        (third, json!({"kind": "enable_mfa"})),
    ] {
        let (s, v) = start(acct, body).await;
        assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    }
}

#[tokio::test]
async fn an_account_whose_app_signs_in_without_a_code_is_flagged() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let id = owner.account("Brand IG", "pw-1").await;
    let b = Page::new(&t).await;
    // No authenticator in Orthrus: no check to offer.
    let section_path = format!("/accounts/{id}/automations-ui");
    let section = b.hx(&section_path, &[]).await;
    assert!(!section.contains("automation-check-mfa"), "{section}");
    owner.step_up("owner-password-1").await;
    owner
        .enrol(&id, &json!({"secret": "JBSWY3DPEHPK3PXP"}))
        .await;
    let section = b.hx(&section_path, &[]).await;
    assert!(section.contains("id=\"automation-check-mfa\""), "{section}");
    let (_, v) = owner.get(&format!("/accounts/{id}")).await;
    assert!(v["mfa_check"].is_null(), "never checked: {v}");

    // Two checks, played as a worker: the app signs in without asking,
    // then (MFA back on) asks.
    for asked_for_code in [false, true] {
        let (v, job) = started(&t, &owner, &id, "check_mfa").await;
        assert_eq!(job.id.to_string(), v["job_id"].as_str().unwrap());
        t.app
            .set_job_state(
                job.id,
                "test-worker",
                orthrus_core::JobState::Succeeded,
                None,
                None,
            )
            .await
            .unwrap();
        let run = CheckRun {
            signed_in: true,
            asked_for_code,
            error: None,
        };
        t.app.finish_mfa_check(&job, run).await.unwrap();

        let (_, v) = owner.get(&format!("/accounts/{id}")).await;
        let check = &v["mfa_check"];
        assert_eq!(check["job_id"], job.id.to_string(), "{v}");
        assert_eq!(check["checked_at"], t.app.now().to_rfc3339(), "{v}");
        let page = b.page(&format!("/accounts/{id}")).await;
        let list = b.page("/").await;
        if asked_for_code {
            assert_eq!(check["state"], "on", "{v}");
            assert!(page.contains("MFA confirmed on 2026-11-01"), "{page}");
            assert!(!page.contains("mfa-off-warning"), "{page}");
            assert!(!list.contains("MFA off?"), "{list}");
        } else {
            assert_eq!(check["state"], "off", "{v}");
            assert!(
                page.contains(
                    "MFA seems OFF: the app signed in without asking for a code on 2026-11-01; turn it back on"
                ),
                "{page}"
            );
            assert!(page.contains("Turn on MFA"), "{page}");
            assert!(list.contains("MFA off?"), "{list}");
        }
    }
}

#[tokio::test]
async fn a_failed_job_names_its_step_its_page_and_shows_the_screenshot() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let id = owner.account("Brand IG", "pw-1").await;
    let b = Page::new(&t).await;
    // A worker's run that breaks at its second step, on the sign-in page,
    // and keeps a picture of it.
    let (_, job) = started(&t, &owner, &id, "login").await;
    let url = "https://www.instagram.com/accounts/login/";
    let open = t
        .app
        .log_job_step(job.id, 1, "open the sign-in page")
        .await
        .unwrap();
    t.app
        .finish_job_step(job.id, open, orthrus_core::StepOutcome::Ok, Some(url), None)
        .await
        .unwrap();
    let typed = t
        .app
        .log_job_step(job.id, 1, "type the password")
        .await
        .unwrap();
    t.app
        .finish_job_step(
            job.id,
            typed,
            orthrus_core::StepOutcome::Failed,
            Some(url),
            Some("#password did not show within 15 s"),
        )
        .await
        .unwrap();
    let png = crate::blank_png::blank_png(8, 8);
    t.app.save_job_screenshot(&job, &png).await.unwrap();
    t.app
        .set_job_state(
            job.id,
            "test-worker",
            orthrus_core::JobState::Failed,
            Some("type the password: #password did not show within 15 s"),
            None,
        )
        .await
        .unwrap();

    let (s, v) = owner.get(&format!("/jobs/{}", job.id)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        v["failed_step"],
        json!({
            "seq": typed,
            "name": "type the password",
            "url": url,
            "reason": "#password did not show within 15 s",
        }),
        "{v}"
    );
    let shot = format!("/api/v1/jobs/{}/screenshot", job.id);
    assert_eq!(v["screenshot_url"], shot.as_str());

    let page = b.page(&format!("/automations/{}", job.id)).await;
    for needle in [
        format!(
            "Step {typed} “type the password” failed on <span class=\"mono\">{url}</span>: #password did not show within 15 s"
        ),
        format!("id=\"job-failed-screenshot\" src=\"{shot}\""),
        "If the app changed its pages, repair the recipe".into(),
        "orthrus recipe try".into(),
    ] {
        assert!(page.contains(&needle), "{needle}: {page}");
    }
    // The picture comes through the authorized route, to the signed-in page.
    let (s, _) = b.send(&shot, None, false).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = t.anon().get(&format!("/jobs/{}/screenshot", job.id)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // A job that did not fail names no step.
    let (_, v) = owner
        .post(
            &format!("/accounts/{id}/automations"),
            &json!({"kind": "login"}),
        )
        .await;
    let (_, v) = owner
        .get(&format!("/jobs/{}", v["job_id"].as_str().unwrap()))
        .await;
    assert!(v["failed_step"].is_null(), "{v}");
}
