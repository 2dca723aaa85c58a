//! Issue 15, items 3 to 5, on SQLite and PostgreSQL with the fake clock:
//! time-boxed memberships (refused at use one second after their end, before
//! any sweep; the sweep deletes, audits and queues the member-left
//! rotation), guests (only Collaborators, nothing workspace-wide, an end
//! date required, no sign-in after it). Access requests are in
//! `access_requests.rs`, which shares the helpers here.

use crate::support::scim::token_of;
use crate::support::*;
use orthrus_core::Timestamp;
use reqwest::StatusCode;
use serde_json::{Value, json};

pub(crate) const HOUR_MS: i64 = 3_600_000;

pub(crate) fn at(ms: i64) -> String {
    Timestamp(ms).to_rfc3339()
}

#[tokio::test]
async fn a_membership_ends_at_its_time_before_the_sweep_which_removes_audits_and_rotates() {
    for t in TestApp::all("member_expiry").await {
        let owner = t.owner().await;
        let kim = t.user(&owner, "kim@acme.test", "user").await;
        let id = owner.account("Brand IG", "brand-password-1").await;
        // The account rotates its password when a member leaves.
        let (s, v) = owner
            .send(
                reqwest::Method::PUT,
                &format!("/accounts/{id}/rotation"),
                Some(&json!({"every_days": null, "on_member_leave": true})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");

        // An end in the past is refused; a bad time is a clear 400.
        for (end, want) in [
            (at(START - 1000), "member.expiry_past"),
            ("soon".into(), "time.invalid"),
        ] {
            let (s, v) = owner
                .post(
                    &format!("/accounts/{id}/members"),
                    &json!({"user_id": kim.user_id, "role": "manager", "expires_at": end}),
                )
                .await;
            assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, want), "{v}");
        }
        let end = START + 2 * HOUR_MS;
        let (s, v) = owner
            .post(
                &format!("/accounts/{id}/members"),
                &json!({"user_id": kim.user_id, "role": "manager", "expires_at": at(end)}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["expires_at"], at(end));
        let (_, members) = owner.get(&format!("/accounts/{id}/members")).await;
        let row = members
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["user_id"] == kim.user_id.as_str())
            .unwrap()
            .clone();
        assert_eq!(row["expires_at"], at(end));
        // The account page says it in words.
        let (_, page) = owner.page(&format!("/accounts/{id}")).await;
        assert!(
            page.contains("until <time") && page.contains(">1 Nov 2026, 02:00 UTC</time>"),
            "{page}"
        );

        // One millisecond before the end: everything works.
        t.clock.set(Timestamp(end - 1));
        let (s, _) = kim.get(&format!("/accounts/{id}")).await;
        assert_eq!(s, StatusCode::OK);
        kim.step_up("member-password-1").await;
        let (s, v) = kim.get(&format!("/accounts/{id}/password")).await;
        assert_eq!(
            (s, v["password"].as_str()),
            (StatusCode::OK, Some("brand-password-1"))
        );
        assert_eq!(kim.get("/accounts").await.1.as_array().unwrap().len(), 1);

        // One second after it, before any sweep: nothing.
        t.clock.set(Timestamp(end + 1000));
        for path in [
            format!("/accounts/{id}"),
            format!("/accounts/{id}/password"),
        ] {
            let (s, v) = kim.get(&path).await;
            assert_eq!(
                (s, code(&v)),
                (StatusCode::NOT_FOUND, "account.not_found"),
                "{path}"
            );
        }
        assert!(kim.get("/accounts").await.1.as_array().unwrap().is_empty());
        let (s, v) = kim
            .post(
                &format!("/accounts/{id}/automations"),
                &json!({"kind": "login"}),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
        let (_, members) = owner.get(&format!("/accounts/{id}/members")).await;
        assert_eq!(members.as_array().unwrap().len(), 1, "{members}");
        assert!(owner.audit("account.member_expire").await.is_empty());

        // The sweep deletes it, audits it and queues the member-left rotation.
        let done = t.app.expire_access().await.unwrap();
        assert_eq!(done.memberships, 1);
        let ev = owner.audit("account.member_expire").await;
        assert_eq!(ev.len(), 1, "{ev:?}");
        assert_eq!(ev[0]["target_id"], id.as_str());
        assert_eq!(ev[0]["detail"]["user_id"], kim.user_id.as_str());
        assert_eq!(ev[0]["detail"]["role"], "manager");
        let (_, jobs) = owner.get(&format!("/jobs?account_id={id}")).await;
        let rotations: Vec<&Value> = jobs
            .as_array()
            .unwrap()
            .iter()
            .filter(|j| j["kind"] == "rotate_password" && j["state"] == "queued")
            .collect();
        assert_eq!(rotations.len(), 1, "{}: {jobs}", t.backend);
        assert!(
            owner
                .audit("automation.start")
                .await
                .iter()
                .any(|e| e["detail"]["reason"] == "member_left"),
        );
        // Nothing is left to sweep.
        assert_eq!(t.app.expire_access().await.unwrap(), Default::default());

        // An Owner with an end needs an Owner without one besides.
        let (s, v) = owner
            .post(
                &format!("/accounts/{id}/members"),
                &json!({"user_id": owner.user_id, "role": "owner", "expires_at": at(end + 10 * HOUR_MS)}),
            )
            .await;
        assert_code(s, &v, StatusCode::CONFLICT, "member.last_owner");
    }
}

#[tokio::test]
async fn guests_are_collaborators_until_their_date_and_see_nothing_else() {
    for t in TestApp::all("guests").await {
        let owner = t.owner().await;
        let id = owner.account("Brand IG", "brand-password-1").await;
        let other = owner.account("Ads portal", "ads-password-1").await;

        // A date is required, in the future, and for guests only.
        let guest =
            json!({"email": "gil@agency.test", "role": "guest", "password": "member-password-1"});
        let (s, v) = owner.post("/users", &guest).await;
        assert_code(s, &v, StatusCode::BAD_REQUEST, "guest.end_required");
        let mut past = guest.clone();
        past["access_expires_at"] = json!(at(START - 1));
        let (s, v) = owner.post("/users", &past).await;
        assert_code(s, &v, StatusCode::BAD_REQUEST, "guest.end_past");
        let (s, v) = owner
            .post("/users", &json!({"email": "u@acme.test", "role": "user", "password": "member-password-1", "access_expires_at": at(GUEST_END)}))
            .await;
        assert_code(s, &v, StatusCode::BAD_REQUEST, "user.end_for_guests_only");
        let (s, v) = owner.invite("ivy@agency.test", "guest").await;
        assert_code(s, &v, StatusCode::BAD_REQUEST, "guest.end_required");
        let (s, v) = owner
            .post("/invitations", &json!({"email": "ivy@agency.test", "role": "guest", "access_expires_at": at(GUEST_END)}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["access_expires_at"], at(GUEST_END));

        let gil = t.user(&owner, "gil@agency.test", "guest").await;
        let g = owner
            .users()
            .await
            .into_iter()
            .find(|u| u["email"] == "gil@agency.test")
            .unwrap();
        assert_eq!(
            (g["role"].as_str(), &g["access_expires_at"]),
            (Some("guest"), &json!(at(GUEST_END)))
        );
        let (_, page) = owner.page("/users").await;
        assert!(
            page.contains("Guest until <time") && page.contains(">1 Dec 2026, 00:00 UTC</time>"),
            "{page}"
        );

        // Only ever a Collaborator, and never past their own end.
        for role in ["manager", "owner"] {
            let (s, v) = owner.add_member(&id, &gil.user_id, role).await;
            assert_code(
                s,
                &v,
                StatusCode::BAD_REQUEST,
                "member.guest_collaborator_only",
            );
        }
        let (s, v) = owner
            .post(
                &format!("/accounts/{id}/members"),
                &json!({"user_id": gil.user_id, "role": "collaborator", "expires_at": at(GUEST_END + 90 * 86_400_000)}),
            )
            .await;
        assert_eq!(
            (s, &v["expires_at"]),
            (StatusCode::OK, &json!(at(GUEST_END))),
            "{v}"
        );

        // The guest sees the account given, as a Collaborator, and nothing
        // workspace-wide.
        let (_, mine) = gil.get("/accounts").await;
        assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
        assert_eq!(mine[0]["id"], id.as_str());
        gil.step_up("member-password-1").await;
        let (s, v) = gil.get(&format!("/accounts/{id}/password")).await;
        assert_code(s, &v, StatusCode::FORBIDDEN, "permission.denied");
        let (s, _) = gil.get(&format!("/accounts/{other}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        for (method, path, body) in [
            (reqwest::Method::GET, "/users".to_owned(), None),
            (reqwest::Method::GET, "/accounts?scope=all".into(), None),
            (reqwest::Method::GET, "/account-directory".into(), None),
            (reqwest::Method::GET, "/audit".into(), None),
            (
                reqwest::Method::POST,
                "/accounts".into(),
                Some(json!({"app": "x", "label": "Mine", "password": "p"})),
            ),
            (
                reqwest::Method::POST,
                format!("/accounts/{other}/access-requests"),
                Some(json!({"role": "collaborator", "reason": "please", "duration_hours": 24})),
            ),
        ] {
            let (s, v) = gil.send(method, &path, body.as_ref()).await;
            assert_eq!(
                (s, code(&v)),
                (StatusCode::FORBIDDEN, "permission.denied"),
                "{path}: {v}"
            );
        }
        // A guest's role is fixed.
        let (s, v) = owner
            .patch(&format!("/users/{}", gil.user_id), &json!({"role": "user"}))
            .await;
        assert_code(s, &v, StatusCode::BAD_REQUEST, "user.guest_role_fixed");

        // The directory puts the guest in a team that reaches the other
        // account: its end must take that grant too.
        let directory = token_of(&t, &owner, "owner-password-1").await;
        let (_, g) = directory
            .post(
                "/Groups",
                &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Agency", "members": [{"value": gil.user_id}]}),
            )
            .await;
        let team = g["id"].as_str().expect("a team").to_owned();
        let (s, v) = owner.grant_team(&other, &team, "collaborator").await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (_, mine) = gil.get("/accounts").await;
        assert_eq!(mine.as_array().unwrap().len(), 2, "{mine}");

        // At their date the guest can no longer sign in or use anything,
        // before any sweep.
        t.clock.set(Timestamp(GUEST_END));
        let (s, _) = gil.get("/me").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let (s, v) = t
            .anon()
            .sign_in("gil@agency.test", "member-password-1")
            .await;
        assert_code(s, &v, StatusCode::UNAUTHORIZED, "auth.invalid_credentials");
        // (The Owner's own API session has run out by then too.)
        let owner = t.login("owner@acme.test", "owner-password-1").await;
        // The sweep ends their membership and signs them out for good.
        let done = t.app.expire_access().await.unwrap();
        assert_eq!((done.memberships, done.guests), (1, 1));
        let ev = owner.audit("user.access_expire").await;
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0]["target_id"], gil.user_id.as_str());
        assert_eq!(owner.audit("account.member_expire").await.len(), 1);
        let users = owner.users().await;
        assert!(
            users
                .iter()
                .any(|u| u["email"] == "gil@agency.test" && u["active"] == false)
        );
        // No team membership is left for a reactivation to bring back.
        let (_, teams) = owner.get("/teams").await;
        let agency = teams
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == team.as_str())
            .expect("the Agency team");
        assert_eq!(agency["members"], json!([]), "{teams}");
    }
}
