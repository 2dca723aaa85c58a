//! Access requests (issue 15): the directory, asking, duplicates, who
//! decides, the outcome, the audit and the end of the access given; the
//! Owners' email through a real SMTP relay; the pages that find, ask and
//! decide, with guests kept out.

use crate::access::{HOUR_MS, at};
use crate::support::*;
use orthrus_core::Timestamp;
use reqwest::StatusCode;
use serde_json::{Value, json};

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
            owner.make_member(a, &who.user_id, role).await;
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
        assert_code(s, &v, StatusCode::CONFLICT, "access_request.duplicate");
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
        let (_, badge) = ann.page("/ui/requests/count").await;
        assert!(badge.contains(">1<"), "{badge}");
        let (_, badge) = bob.page("/ui/requests/count").await;
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
        assert_code(s, &v, StatusCode::CONFLICT, "access_request.decided");
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
        let (_, page) = bob.page("/requests").await;
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
        assert_eq!(owner.audit("access_request.create").await.len(), 2);
        let approved = owner.audit("access_request.approve").await;
        assert_eq!(approved.len(), 1);
        assert_eq!(approved[0]["actor_email"], "ann@acme.test");
        assert_eq!(approved[0]["detail"]["expires_at"], at(granted_until));
        assert_eq!(
            owner.audit("access_request.decline").await[0]["detail"]["note"],
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
    owner.make_member(&id, &ann.user_id, "owner").await;

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

    let stop = t.mail_through_a_relay().await;
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

/// A form posted as a signed-in client (bearer sessions need no CSRF token):
/// the status, where it redirects to (empty when it answers with a page)
/// and the page.
async fn form_post(
    who: &Client,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let r = sent(who.raw(reqwest::Method::POST, path).form(form)).await;
    let to = if r.status().is_redirection() {
        location(&r)
    } else {
        String::new()
    };
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
        owner.make_member(&id, &ann.user_id, "owner").await;

        // The directory shows the account and its button; the nav has it.
        let (s, page) = bob.page("/directory").await;
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
            &bob,
            &path,
            &[("role", "manager"), ("days", "3"), ("reason", "again")],
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(page.contains("request waiting"), "{page}");

        // Ann decides on her Requests page.
        let (_, page) = ann.page("/requests").await;
        assert!(
            page.contains("Waiting for you")
                && page.contains("bob@acme.test")
                && page.contains("launch week"),
            "{page}"
        );
        let (_, list) = ann.get("/access-requests").await;
        let rid = list[0]["id"].as_str().unwrap().to_owned();
        let (s, to, _) = form_post(&ann, &format!("/requests/{rid}/approve"), &[]).await;
        assert_eq!((s, to.as_str()), (StatusCode::SEE_OTHER, "/requests"));
        let (s, _, page) = form_post(
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
        let (s, v) = owner.add_member(&id, &gil.user_id, "collaborator").await;
        assert_eq!(
            (s, &v["expires_at"]),
            (StatusCode::OK, &json!(at(GUEST_END))),
            "{v}"
        );
        let (s, to, _) = form_post(
            &owner,
            &format!("/users/{}/access-end", gil.user_id),
            &[("access_expires_at", "2026-11-11T12:00")],
        )
        .await;
        assert_eq!((s, to.as_str()), (StatusCode::SEE_OTHER, "/users"));
        let moved = "2026-11-11T12:00:00.000Z";
        let users = owner.users().await;
        assert!(users.iter().any(|u| u["access_expires_at"] == moved));
        let (_, members) = owner.get(&format!("/accounts/{id}/members")).await;
        assert!(
            members
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["user_id"] == gil.user_id.as_str() && m["expires_at"] == moved),
            "{members}"
        );
        assert_eq!(owner.audit("user.access_end_change").await.len(), 1);
        // Not for someone who is no guest.
        let (s, v) = owner
            .patch(
                &format!("/users/{}", bob.user_id),
                &json!({"access_expires_at": moved}),
            )
            .await;
        assert_code(s, &v, StatusCode::BAD_REQUEST, "user.end_for_guests_only");

        // A guest has no directory, no requests link and no "Add account".
        let (s, _) = gil.page("/directory").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (_, page) = gil.page("/").await;
        assert!(
            !page.contains("href=\"/requests\"") && !page.contains("/accounts/new"),
            "{page}"
        );
        let (s, _) = gil.page("/accounts/new").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
}
