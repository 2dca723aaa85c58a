//! Password rotation without anyone clicking: on a schedule (every N days,
//! inside an hour window, at most once a day) and when a member leaves.
//! The jobs are only queued here (no runner); the browser side of
//! `rotate_password` is tested against the sandbox in `orthrus`'s tests.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;

async fn rotations(owner: &Client, id: &str) -> Vec<Value> {
    let (s, v) = owner.get(&format!("/jobs?account_id={id}")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v.as_array()
        .unwrap()
        .iter()
        .filter(|j| j["kind"] == "rotate_password")
        .cloned()
        .collect()
}

async fn cancel_all(owner: &Client, id: &str) {
    for j in rotations(owner, id).await {
        if j["state"] == "queued" {
            let (s, v) = owner
                .post(
                    &format!("/jobs/{}/cancel", j["id"].as_str().unwrap()),
                    &json!({}),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
    }
}

#[tokio::test]
async fn rotation_runs_on_schedule_in_its_window_once_a_day_and_when_members_leave() {
    for env in TestApp::all("rotation").await {
        let owner = env.owner().await;
        let id = owner.account("Brand IG", "pw-1").await;
        let path = format!("/accounts/{id}/rotation");

        // Bad settings are refused and change nothing.
        for (body, err) in [
            (json!({"every_days": 0}), "rotation.every_days"),
            (json!({"every_days": 400}), "rotation.every_days"),
            (
                json!({"every_days": 7, "window_start_hour": 5, "window_end_hour": 5}),
                "rotation.window",
            ),
            (
                json!({"every_days": 7, "window_start_hour": 24}),
                "rotation.window",
            ),
            (
                json!({"every_days": 7, "window_end_hour": 0}),
                "rotation.window",
            ),
            (
                json!({"every_days": 7, "password_policy": {"length": 4}}),
                "generator.invalid_length",
            ),
            (
                json!({"every_days": 7, "password_policy": {"lowercase": false, "uppercase": false, "digits": false, "symbols": false}}),
                "generator.no_classes",
            ),
        ] {
            let (s, v) = owner.send(reqwest::Method::PUT, &path, Some(&body)).await;
            assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, err), "{body}: {v}");
        }
        let (s, v) = owner.get(&path).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert!(v["every_days"].is_null() && v["set_by"].is_null(), "{v}");

        // Members who may use the account may not set its rotation.
        let kathy = env.user(&owner, "kathy@acme.test", "user").await;
        let lee = env.user(&owner, "lee@acme.test", "user").await;
        let ids: Vec<String> = {
            let users = owner.users().await;
            ["kathy@acme.test", "lee@acme.test"]
                .iter()
                .map(|e| {
                    users.iter().find(|u| u["email"] == *e).unwrap()["id"]
                        .as_str()
                        .unwrap()
                        .to_owned()
                })
                .collect()
        };
        for uid in &ids {
            owner.make_member(&id, uid, "collaborator").await;
        }
        let (s, v) = kathy
            .send(reqwest::Method::PUT, &path, Some(&json!({"every_days": 1})))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");

        // Every 7 days between 02:00 and 04:00 UTC (the clock starts at
        // midnight).
        let (s, v) = owner
            .send(
                reqwest::Method::PUT,
                &path,
                Some(&json!({"every_days": 7, "window_start_hour": 2, "window_end_hour": 4, "on_member_leave": true})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["next_at"], "2026-11-08T00:00:00.000Z", "{v}");
        assert!(v["set_by"].is_string(), "{v}");
        assert_eq!(env.app.run_due_rotations().await.unwrap(), 0, "not due yet");
        env.clock.advance_secs(7 * DAY);
        assert_eq!(
            env.app.run_due_rotations().await.unwrap(),
            0,
            "due, but outside the window"
        );
        env.clock.advance_secs(2 * HOUR + 30 * 60);
        assert_eq!(
            env.app.run_due_rotations().await.unwrap(),
            1,
            "due, inside the window"
        );
        assert_eq!(env.app.run_due_rotations().await.unwrap(), 0, "queued once");
        let jobs = rotations(&owner, &id).await;
        assert_eq!(jobs.len(), 1, "{jobs:?}");
        assert_eq!(jobs[0]["state"], "queued");
        let (_, v) = owner.get(&path).await;
        // The next one is a period after the due time (the hour does not
        // drift); it then waits for the window again.
        assert_eq!(v["next_at"], "2026-11-15T00:00:00.000Z", "{v}");

        // At most once a day: a rotation someone started by hand counts.
        cancel_all(&owner, &id).await;
        let (s, v) = owner
            .send(
                reqwest::Method::PUT,
                &path,
                Some(&json!({"every_days": 1, "on_member_leave": true})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["window_start_hour"], 0);
        assert_eq!(v["window_end_hour"], 24);
        env.clock.advance_secs(22 * HOUR);
        let (s, v) = owner
            .post(
                &format!("/accounts/{id}/automations"),
                &json!({"kind": "rotate_password"}),
            )
            .await;
        assert_eq!(s, StatusCode::ACCEPTED, "{v}");
        env.clock.advance_secs(2 * HOUR + 60);
        assert_eq!(
            env.app.run_due_rotations().await.unwrap(),
            0,
            "one is under way"
        );
        assert_eq!(rotations(&owner, &id).await.len(), 2);
        // It fails (here: is cancelled): it does not count, and the
        // schedule looks again a day later.
        cancel_all(&owner, &id).await;
        env.clock.advance_secs(DAY);
        assert_eq!(env.app.run_due_rotations().await.unwrap(), 1);
        assert_eq!(rotations(&owner, &id).await.len(), 3);

        // A member leaves: a rotation is queued, unless one is waiting.
        let (s, v) = owner
            .delete(&format!("/accounts/{id}/members/{}", ids[0]))
            .await;
        assert!(s.is_success(), "{v}");
        assert_eq!(
            rotations(&owner, &id).await.len(),
            3,
            "one was already queued"
        );
        cancel_all(&owner, &id).await;
        let (s, v) = owner
            .patch(&format!("/users/{}", ids[1]), &json!({"active": false}))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let jobs = rotations(&owner, &id).await;
        assert_eq!(jobs.len(), 4, "{jobs:?}");
        assert_eq!(
            jobs.iter().filter(|j| j["state"] == "queued").count(),
            1,
            "{jobs:?}"
        );
        let (_, audit) = owner.get("/audit?action=automation.start").await;
        assert!(
            audit
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["detail"]["reason"] == "member_left"),
            "{audit}"
        );
        drop(lee);

        // Nothing set: the schedule is gone; leaving then queues nothing.
        cancel_all(&owner, &id).await;
        let (s, v) = owner
            .send(
                reqwest::Method::PUT,
                &path,
                Some(&json!({"every_days": null, "on_member_leave": false})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert!(v["set_by"].is_null(), "{v}");
        let (s, _) = owner
            .patch(&format!("/users/{}", ids[0]), &json!({"active": false}))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(rotations(&owner, &id).await.len(), 4);
        env.clock.advance_secs(30 * DAY);
        assert_eq!(env.app.run_due_rotations().await.unwrap(), 0);
    }
}

#[tokio::test]
async fn the_account_page_starts_every_automation_and_sets_the_rotation() {
    let t = TestApp::sqlite().await;
    // This app has a recipe (as the server registers them at start).
    t.app.set_app_senders(std::collections::HashMap::from([(
        "instagram".to_owned(),
        orthrus_app::AppSenders::new(["instagram.com".to_owned()], Vec::new(), Vec::new()),
    )]));
    let owner = t.owner().await;
    let id = owner.account("Brand IG", "pw-1").await;
    let b = t.browser("owner@acme.test", "owner-password-1").await;
    let hx = |path: String, form: Vec<(&'static str, String)>| {
        let req = if form.is_empty() {
            b.hx_get(&path)
        } else {
            b.hx_post(&path).form(&form)
        };
        async move {
            let r = req.send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            r.text().await.unwrap()
        }
    };
    let section = hx(format!("/accounts/{id}/automations-ui"), vec![]).await;
    for button in [
        "automation-login",
        "automation-enable-mfa",
        "automation-rotate-password",
        "automation-swap-email",
        "rotation-save",
    ] {
        assert!(
            section.contains(&format!("id=\"{button}\"")),
            "{button}: {section}"
        );
    }
    // An app without a recipe offers only the generic login.
    let (_, other) = owner
        .post(
            "/accounts",
            &serde_json::json!({"app": "Vendor portal", "label": "Vendor", "password": "pw"}),
        )
        .await;
    let other = other["id"].as_str().unwrap().to_owned();
    let plain = hx(format!("/accounts/{other}/automations-ui"), vec![]).await;
    assert!(plain.contains("id=\"automation-login\""), "{plain}");
    assert!(plain.contains("id=\"automation-generic\""), "{plain}");
    assert!(!plain.contains("id=\"automation-enable-mfa\""), "{plain}");
    // Turning on MFA (its box ticked, see mfa_check.rs) asks for the
    // identity check, then starts.
    let dialog = hx(
        format!("/accounts/{id}/automations-ui"),
        vec![
            ("kind", "enable_mfa".into()),
            ("confirmed_mfa_off", "1".into()),
        ],
    )
    .await;
    assert!(dialog.contains("Confirm your identity"), "{dialog}");
    assert!(
        dialog.contains(&format!("automation:{id}:enable_mfa:confirmed")),
        "{dialog}"
    );
    let started = hx(
        format!("/step-up?then=automation:{id}:enable_mfa:confirmed"),
        vec![("password", "owner-password-1".into())],
    )
    .await;
    assert!(
        started.contains("enable_mfa") && started.contains("queued"),
        "{started}"
    );
    let (_, jobs) = owner.get(&format!("/jobs?account_id={id}")).await;
    assert_eq!(jobs[0]["kind"], "enable_mfa", "{jobs}");

    // The rotation form: a bad value is explained, a good one is saved.
    let bad = hx(
        format!("/accounts/{id}/rotation-ui"),
        vec![("every_days", "weekly".into())],
    )
    .await;
    assert!(bad.contains("a number of days"), "{bad}");
    let saved = hx(
        format!("/accounts/{id}/rotation-ui"),
        vec![
            ("every_days", "30".into()),
            ("window_start_hour", "22".into()),
            ("window_end_hour", "3".into()),
            ("on_member_leave", "1".into()),
            ("password_length", "14".into()),
        ],
    )
    .await;
    assert!(saved.contains("id=\"rotation-next\""), "{saved}");
    let (_, v) = owner.get(&format!("/accounts/{id}/rotation")).await;
    assert_eq!(
        (
            v["every_days"].as_i64(),
            v["window_start_hour"].as_i64(),
            v["window_end_hour"].as_i64(),
            v["on_member_leave"].as_bool(),
            v["password_policy"]["length"].as_i64(),
            v["password_policy"]["symbols"].as_bool(),
        ),
        (
            Some(30),
            Some(22),
            Some(3),
            Some(true),
            Some(14),
            Some(false)
        ),
        "{v}"
    );
    // A PUT without a policy keeps it; turning the schedule off keeps it
    // too (the account's rule does not change with the schedule).
    let path = format!("/accounts/{id}/rotation");
    for body in [json!({"every_days": 7}), json!({"every_days": null})] {
        let (s, v) = owner.send(reqwest::Method::PUT, &path, Some(&body)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["password_policy"]["length"], 14, "{body}: {v}");
    }
}
