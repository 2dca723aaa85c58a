//! Issue 15, items 3 to 5, on SQLite and PostgreSQL with the fake clock:
//! time-boxed memberships (refused at use one second after their end, before
//! any sweep; the sweep deletes, audits and queues the member-left
//! rotation), guests (only Collaborators, nothing workspace-wide, an end
//! date required, no sign-in after it) and access requests (the directory,
//! asking, duplicates, who decides, the outcome, the audit, the end of the
//! access given, and the Owners' email through a real SMTP relay).

use crate::support::*;
use orthrus_core::Timestamp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;

const HOUR_MS: i64 = 3_600_000;

fn at(ms: i64) -> String {
    Timestamp(ms).to_rfc3339()
}

/// The audit events with this action.
async fn audited(owner: &Client, action: &str) -> Vec<Value> {
    let (s, v) = owner.get(&format!("/audit?action={action}")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v.as_array().unwrap().clone()
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
        let (_, page) = page_of(&t, &owner, &format!("/accounts/{id}")).await;
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
        assert!(audited(&owner, "account.member_expire").await.is_empty());

        // The sweep deletes it, audits it and queues the member-left rotation.
        let done = t.app.expire_access().await.unwrap();
        assert_eq!(done.memberships, 1);
        let ev = audited(&owner, "account.member_expire").await;
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
            audited(&owner, "automation.start")
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
        assert_eq!(
            (s, code(&v)),
            (StatusCode::CONFLICT, "member.last_owner"),
            "{v}"
        );
    }
}

/// A UI page as a signed-in client sees it (bearer sessions open pages too).
async fn page_of(t: &TestApp, who: &Client, path: &str) -> (StatusCode, String) {
    let r = t
        .http
        .get(format!("{}{path}", t.url))
        .bearer_auth(who.token.as_deref().unwrap())
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
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
        assert_eq!(
            (s, code(&v)),
            (StatusCode::BAD_REQUEST, "guest.end_required")
        );
        let mut past = guest.clone();
        past["access_expires_at"] = json!(at(START - 1));
        let (s, v) = owner.post("/users", &past).await;
        assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, "guest.end_past"));
        let (s, v) = owner
            .post("/users", &json!({"email": "u@acme.test", "role": "user", "password": "member-password-1", "access_expires_at": at(GUEST_END)}))
            .await;
        assert_eq!(
            (s, code(&v)),
            (StatusCode::BAD_REQUEST, "user.end_for_guests_only")
        );
        let (s, v) = owner
            .post(
                "/invitations",
                &json!({"email": "ivy@agency.test", "role": "guest"}),
            )
            .await;
        assert_eq!(
            (s, code(&v)),
            (StatusCode::BAD_REQUEST, "guest.end_required")
        );
        let (s, v) = owner
            .post("/invitations", &json!({"email": "ivy@agency.test", "role": "guest", "access_expires_at": at(GUEST_END)}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["access_expires_at"], at(GUEST_END));

        let gil = t.user(&owner, "gil@agency.test", "guest").await;
        let (_, users) = owner.get("/users").await;
        let g = users
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["email"] == "gil@agency.test")
            .unwrap()
            .clone();
        assert_eq!(
            (g["role"].as_str(), &g["access_expires_at"]),
            (Some("guest"), &json!(at(GUEST_END)))
        );
        let (_, page) = page_of(&t, &owner, "/users").await;
        assert!(
            page.contains("Guest until <time") && page.contains(">1 Dec 2026, 00:00 UTC</time>"),
            "{page}"
        );

        // Only ever a Collaborator, and never past their own end.
        for role in ["manager", "owner"] {
            let (s, v) = owner
                .post(
                    &format!("/accounts/{id}/members"),
                    &json!({"user_id": gil.user_id, "role": role}),
                )
                .await;
            assert_eq!(
                (s, code(&v)),
                (StatusCode::BAD_REQUEST, "member.guest_collaborator_only"),
                "{v}"
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
        assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "permission.denied"));
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
        assert_eq!(
            (s, code(&v)),
            (StatusCode::BAD_REQUEST, "user.guest_role_fixed")
        );

        // The directory puts the guest in a team that reaches the other
        // account: its end must take that grant too.
        owner.step_up("owner-password-1").await;
        let (s, v) = owner.post("/workspace/scim-token", &json!({})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let scim_token = v["token"].as_str().unwrap().to_owned();
        let g: Value = t
            .http
            .post(format!("{}/scim/v2/Groups", t.url))
            .bearer_auth(&scim_token)
            .json(&json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Agency", "members": [{"value": gil.user_id}]}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let team = g["id"].as_str().expect("a team").to_owned();
        let (s, v) = owner
            .send(
                reqwest::Method::PUT,
                &format!("/accounts/{other}/teams/{team}"),
                Some(&json!({"role": "collaborator"})),
            )
            .await;
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
            .post(
                "/auth/login",
                &json!({"email": "gil@agency.test", "password": "member-password-1"}),
            )
            .await;
        assert_eq!(
            (s, code(&v)),
            (StatusCode::UNAUTHORIZED, "auth.invalid_credentials")
        );
        // (The Owner's own API session has run out by then too.)
        let owner = t.login("owner@acme.test", "owner-password-1").await;
        // The sweep ends their membership and signs them out for good.
        let done = t.app.expire_access().await.unwrap();
        assert_eq!((done.memberships, done.guests), (1, 1));
        let ev = audited(&owner, "user.access_expire").await;
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0]["target_id"], gil.user_id.as_str());
        assert_eq!(audited(&owner, "account.member_expire").await.len(), 1);
        let (_, users) = owner.get("/users").await;
        assert!(
            users
                .as_array()
                .unwrap()
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

#[tokio::test]
async fn access_is_asked_approved_or_declined_and_ends_on_its_own() {
    for t in TestApp::all("access_requests").await {
        let owner = t.owner().await;
        let ann = t.user(&owner, "ann@acme.test", "user").await;
        let bob = t.user(&owner, "bob@acme.test", "user").await;
        let sam = t.user(&owner, "sam@acme.test", "super-admin").await;
        let adam = t.user(&owner, "adam@acme.test", "admin").await;
        let mia = t.user(&owner, "mia@acme.test", "user").await;
        let id = owner.account("Brand IG", "brand-password-1").await;
        let ads = owner.account("Ads portal", "ads-password-1").await;
        for (a, who, role) in [
            (&id, &ann, "owner"),
            (&ads, &ann, "owner"),
            (&id, &mia, "manager"),
        ] {
            let (s, v) = owner
                .post(
                    &format!("/accounts/{a}/members"),
                    &json!({"user_id": who.user_id, "role": role}),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }

        // Bob finds the account without seeing it: app and label only.
        let (s, dir) = bob.get("/account-directory").await;
        assert_eq!(s, StatusCode::OK, "{dir}");
        let entry = dir
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["account_id"] == id.as_str())
            .unwrap()
            .clone();
        assert_eq!(
            (entry["label"].as_str(), entry["app_name"].as_str()),
            (Some("Brand IG"), Some("Instagram"))
        );
        assert!(
            entry.get("username").is_none() && entry.get("login_url").is_none(),
            "{entry}"
        );
        assert_eq!(entry["my_role"], Value::Null);
        let (s, _) = bob.get(&format!("/accounts/{id}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND);

        // Bad input is refused clearly.
        let path = format!("/accounts/{id}/access-requests");
        for (body, want) in [
            (
                json!({"role": "manager", "reason": " ", "duration_hours": 48}),
                "access_request.invalid_reason",
            ),
            (
                json!({"role": "manager", "reason": "launch", "duration_hours": 0}),
                "access_request.invalid_duration",
            ),
            (
                json!({"role": "boss", "reason": "launch", "duration_hours": 48}),
                "member.invalid_role",
            ),
        ] {
            let (s, v) = bob.post(&path, &body).await;
            assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, want), "{v}");
        }
        let (s, req) = bob
            .post(&path, &json!({"role": "manager", "reason": "running the launch campaign", "duration_hours": 48}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{req}");
        assert_eq!(
            (req["state"].as_str(), req["role"].as_str()),
            (Some("pending"), Some("manager"))
        );
        let rid = req["id"].as_str().unwrap().to_owned();
        // A second one while it waits: refused clearly.
        let (s, v) = bob
            .post(
                &path,
                &json!({"role": "collaborator", "reason": "again", "duration_hours": 1}),
            )
            .await;
        assert_eq!(
            (s, code(&v)),
            (StatusCode::CONFLICT, "access_request.duplicate")
        );
        let (_, dir) = bob.get("/account-directory").await;
        assert!(
            dir.as_array()
                .unwrap()
                .iter()
                .any(|e| e["account_id"] == id.as_str() && e["pending_request_id"] == rid.as_str())
        );

        // Who sees it waiting, and the nav badge.
        let waiting = |c: Client| async move {
            let (_, v) = c.get("/access-requests").await;
            v.as_array()
                .unwrap()
                .iter()
                .filter(|r| r["can_decide"] == true)
                .count()
        };
        assert_eq!(waiting(ann.clone()).await, 1);
        assert_eq!(waiting(owner.clone()).await, 1);
        assert_eq!(waiting(sam.clone()).await, 1);
        for nobody in [&bob, &mia, &adam] {
            assert_eq!(waiting((*nobody).clone()).await, 0);
        }
        let (_, badge) = page_of(&t, &ann, "/ui/requests/count").await;
        assert!(badge.contains(">1<"), "{badge}");
        let (_, badge) = page_of(&t, &bob, "/ui/requests/count").await;
        assert!(badge.is_empty(), "{badge}");

        // Who may decide: not the requester, a Manager or an Admin; a Super
        // Admin after an identity check.
        let approve = format!("/access-requests/{rid}/approve");
        for (who, want) in [
            (&bob, (StatusCode::FORBIDDEN, "permission.denied")),
            (&mia, (StatusCode::NOT_FOUND, "access_request.not_found")),
            (&adam, (StatusCode::NOT_FOUND, "access_request.not_found")),
            (&sam, (StatusCode::FORBIDDEN, "step_up.required")),
        ] {
            let (s, v) = who.post(&approve, &json!({})).await;
            assert_eq!((s, code(&v)), want, "{v}");
        }
        t.clock.advance_secs(3600);
        let (s, v) = ann.post(&approve, &json!({})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let granted_until = START + HOUR_MS + 48 * HOUR_MS;
        assert_eq!(
            (v["state"].as_str(), &v["grant_expires_at"]),
            (Some("approved"), &json!(at(granted_until)))
        );
        let (s, v) = owner.post(&approve, &json!({})).await;
        assert_eq!(
            (s, code(&v)),
            (StatusCode::CONFLICT, "access_request.decided")
        );
        // Bob sees the outcome, and is a Manager now.
        let (_, mine) = bob.get("/access-requests").await;
        assert_eq!(mine[0]["state"], "approved");
        assert_eq!(mine[0]["decided_by_email"], "ann@acme.test");
        let (s, v) = bob.get(&format!("/accounts/{id}")).await;
        assert_eq!(
            (s, v["my_role"].as_str()),
            (StatusCode::OK, Some("manager")),
            "{v}"
        );
        let (_, page) = page_of(&t, &bob, "/requests").await;
        assert!(
            page.contains("Approved") && page.contains(">3 Nov 2026, 01:00 UTC</time>"),
            "{page}"
        );

        // A declined request, with a note.
        let (s, req) = bob
            .post(
                &format!("/accounts/{ads}/access-requests"),
                &json!({"role": "collaborator", "reason": "curious", "duration_hours": 24}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{req}");
        let rid2 = req["id"].as_str().unwrap();
        let (s, v) = ann
            .post(
                &format!("/access-requests/{rid2}/decline"),
                &json!({"note": "not needed for the launch"}),
            )
            .await;
        assert_eq!(
            (s, v["state"].as_str()),
            (StatusCode::OK, Some("declined")),
            "{v}"
        );
        let (_, mine) = bob.get("/access-requests").await;
        let declined = mine
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == rid2)
            .unwrap();
        assert_eq!(declined["note"], "not needed for the launch");
        let (s, _) = bob.get(&format!("/accounts/{ads}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND);

        // Every step is audited.
        assert_eq!(audited(&owner, "access_request.create").await.len(), 2);
        let approved = audited(&owner, "access_request.approve").await;
        assert_eq!(approved.len(), 1);
        assert_eq!(approved[0]["actor_email"], "ann@acme.test");
        assert_eq!(approved[0]["detail"]["expires_at"], at(granted_until));
        assert_eq!(
            audited(&owner, "access_request.decline").await[0]["detail"]["note"],
            "not needed for the launch"
        );

        // The access ends on its own.
        t.clock.set(Timestamp(granted_until + 1000));
        let (s, _) = bob.get(&format!("/accounts/{id}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn owners_are_emailed_through_the_outbound_relay() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    // Ann's address is a managed inbox address of this same server, so the
    // mail the relay carries lands where the test can read it.
    let mailbox = owner.account("Ann's mailbox", "mailbox-password-1").await;
    let address = owner.managed_address(&mailbox).await;
    let ann = t.user(&owner, &address, "user").await;
    let bob = t.user(&owner, "bob@acme.test", "user").await;
    let id = owner.account("Brand IG", "brand-password-1").await;
    let (s, v) = owner
        .post(
            &format!("/accounts/{id}/members"),
            &json!({"user_id": ann.user_id, "role": "owner"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // Without a relay nothing is sent, and the request still goes in.
    let (s, v) = bob
        .post(
            &format!("/accounts/{id}/access-requests"),
            &json!({"role": "collaborator", "reason": "first try", "duration_hours": 24}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let rid = v["id"].as_str().unwrap().to_owned();
    let (s, v) = ann
        .post(&format!("/access-requests/{rid}/decline"), &json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let relay = listener.local_addr().unwrap();
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn(orthrus_smtp::serve(
        listener,
        orthrus_smtp::SmtpConfig::default(),
        Arc::new(
            orthrus_smtp::AppDelivery::new(
                t.app.clone(),
                &orthrus_smtp::auth::AuthConfig {
                    dns_servers: vec!["127.0.0.1:9".parse().unwrap()],
                    ..Default::default()
                },
            )
            .unwrap(),
        ),
        stop.clone(),
    ));
    t.app.set_mailer(Arc::new(
        orthrus_smtp::outbound::RelayMailer::new(
            &format!("smtp://{relay}"),
            "orthrus@inbox.localhost",
        )
        .unwrap(),
    ));
    let (s, v) = bob
        .post(
            &format!("/accounts/{id}/access-requests"),
            &json!({"role": "manager", "reason": "launch week", "duration_hours": 72}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // The relay answered only once the message was stored.
    let (_, got) = owner.get(&format!("/inbox?account_id={mailbox}")).await;
    let got = got.as_array().unwrap();
    assert_eq!(got.len(), 1, "{got:?}");
    let subject = got[0]["subject"].as_str().unwrap();
    assert!(subject.contains("asks for access to Brand IG"), "{subject}");
    let (_, msg) = owner
        .get(&format!("/inbox/{}", got[0]["id"].as_str().unwrap()))
        .await;
    let text = msg.to_string();
    assert!(
        text.contains("Manager of Brand IG")
            && text.contains("3 days")
            && text.contains("launch week"),
        "{text}"
    );
    stop.cancel();
}

/// A form posted as a signed-in client (bearer sessions need no CSRF token).
async fn form_post(
    t: &TestApp,
    who: &Client,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let r = t
        .http
        .post(format!("{}{path}", t.url))
        .bearer_auth(who.token.as_deref().unwrap())
        .form(form)
        .send()
        .await
        .unwrap();
    let to = r
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (r.status(), to, r.text().await.unwrap())
}

#[tokio::test]
async fn the_pages_find_ask_decide_and_keep_guests_out() {
    for t in TestApp::all("access_pages").await {
        let owner = t.owner().await;
        let ann = t.user(&owner, "ann@acme.test", "user").await;
        let bob = t.user(&owner, "bob@acme.test", "user").await;
        let gil = t.user(&owner, "gil@agency.test", "guest").await;
        let id = owner.account("Brand IG", "brand-password-1").await;
        let (s, v) = owner
            .post(
                &format!("/accounts/{id}/members"),
                &json!({"user_id": ann.user_id, "role": "owner"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");

        // The directory shows the account and its button; the nav has it.
        let (s, page) = page_of(&t, &bob, "/directory").await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            page.contains("Brand IG")
                && page.contains("Request access")
                && !page.contains("brand-password-1"),
            "{page}"
        );
        assert!(page.contains("href=\"/requests\""));
        // A refused form says why beside the field and keeps what was typed.
        let path = format!("/directory/{id}/request");
        let (s, _, page) = form_post(
            &t,
            &bob,
            &path,
            &[
                ("role", "manager"),
                ("days", "0"),
                ("reason", "launch week"),
            ],
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(
            page.contains("days-error") && page.contains("launch week"),
            "{page}"
        );
        let (s, to, _) = form_post(
            &t,
            &bob,
            &path,
            &[
                ("role", "manager"),
                ("days", "3"),
                ("reason", "launch week"),
            ],
        )
        .await;
        assert_eq!((s, to.as_str()), (StatusCode::SEE_OTHER, "/requests"));
        let (s, _, page) = form_post(
            &t,
            &bob,
            &path,
            &[("role", "manager"), ("days", "3"), ("reason", "again")],
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(page.contains("request waiting"), "{page}");

        // Ann decides on her Requests page.
        let (_, page) = page_of(&t, &ann, "/requests").await;
        assert!(
            page.contains("Waiting for you")
                && page.contains("bob@acme.test")
                && page.contains("launch week"),
            "{page}"
        );
        let (_, list) = ann.get("/access-requests").await;
        let rid = list[0]["id"].as_str().unwrap().to_owned();
        let (s, to, _) = form_post(&t, &ann, &format!("/requests/{rid}/approve"), &[]).await;
        assert_eq!((s, to.as_str()), (StatusCode::SEE_OTHER, "/requests"));
        let (s, _, page) = form_post(
            &t,
            &ann,
            &format!("/requests/{rid}/decline"),
            &[("note", "late")],
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(page.contains("already approved or declined"), "{page}");
        let (_, v) = bob.get(&format!("/accounts/{id}")).await;
        assert_eq!(v["my_role"], "manager");

        // Moving a guest's end earlier cuts their memberships to it.
        let (s, v) = owner
            .post(
                &format!("/accounts/{id}/members"),
                &json!({"user_id": gil.user_id, "role": "collaborator"}),
            )
            .await;
        assert_eq!(
            (s, &v["expires_at"]),
            (StatusCode::OK, &json!(at(GUEST_END))),
            "{v}"
        );
        let (s, to, _) = form_post(
            &t,
            &owner,
            &format!("/users/{}/access-end", gil.user_id),
            &[("access_expires_at", "2026-11-11T12:00")],
        )
        .await;
        assert_eq!((s, to.as_str()), (StatusCode::SEE_OTHER, "/users"));
        let moved = "2026-11-11T12:00:00.000Z";
        let (_, users) = owner.get("/users").await;
        assert!(
            users
                .as_array()
                .unwrap()
                .iter()
                .any(|u| u["access_expires_at"] == moved)
        );
        let (_, members) = owner.get(&format!("/accounts/{id}/members")).await;
        assert!(
            members
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["user_id"] == gil.user_id.as_str() && m["expires_at"] == moved),
            "{members}"
        );
        assert_eq!(audited(&owner, "user.access_end_change").await.len(), 1);
        // Not for someone who is no guest.
        let (s, v) = owner
            .patch(
                &format!("/users/{}", bob.user_id),
                &json!({"access_expires_at": moved}),
            )
            .await;
        assert_eq!(
            (s, code(&v)),
            (StatusCode::BAD_REQUEST, "user.end_for_guests_only")
        );

        // A guest has no directory, no requests link and no "Add account".
        let (s, _) = page_of(&t, &gil, "/directory").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (_, page) = page_of(&t, &gil, "/").await;
        assert!(
            !page.contains("href=\"/requests\"") && !page.contains("/accounts/new"),
            "{page}"
        );
        let (s, _) = page_of(&t, &gil, "/accounts/new").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
}
