//! People (issue 14): invitations by email with a one-time link, changing
//! one's own password, and the workspace settings page.

use crate::support::{TestApp, assert_code, flash_cookie, sent};
use orthrus_app::{Mailer, OutboundMail};
use reqwest::StatusCode;
use serde_json::json;
use std::sync::{Arc, Mutex};

/// An outbound relay that keeps what it was asked to send.
#[derive(Default)]
struct Outbox(Mutex<Vec<OutboundMail>>);

#[async_trait::async_trait]
impl Mailer for Outbox {
    async fn send(&self, mail: OutboundMail) -> Result<(), orthrus_app::MailError> {
        self.0.lock().unwrap().push(mail);
        Ok(())
    }
}

/// The invitee's page: status and text.
async fn open(t: &TestApp, link: &str) -> (StatusCode, String) {
    let r = t.http.get(link).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

/// Submits the invitee's form (no session, as a new browser would).
async fn accept(
    t: &TestApp,
    link: &str,
    name: &str,
    pw: &str,
    again: &str,
) -> (StatusCode, String) {
    let r = t
        .http
        .post(link)
        .header("origin", &t.url)
        .form(&[("name", name), ("password", pw), ("password_again", again)])
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

#[tokio::test]
async fn an_invitation_link_is_shown_once_without_a_relay_and_works_once() {
    for t in TestApp::all("invite_link").await {
        let owner = t.owner().await;
        let (s, v) = owner.invite("Nina@Acme.test", "admin").await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["emailed"], false);
        assert_eq!(v["email"], "nina@acme.test");
        let link = v["link"].as_str().unwrap().to_owned();
        assert!(link.starts_with(&format!("{}/invite/", t.url)), "{link}");
        let id = v["id"].as_str().unwrap().to_owned();
        // Listed as pending, never with its link.
        let (_, list) = owner.get("/invitations").await;
        assert_eq!(list[0]["id"], id.as_str());
        assert_eq!(list[0]["state"], "pending");
        assert!(!list.to_string().contains(&link));

        let (s, html) = open(&t, &link).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            html.contains("Join Acme") && html.contains("nina@acme.test"),
            "{html}"
        );
        // Passwords that differ, or too short: said on the page.
        let (s, html) = accept(&t, &link, "Nina", "nina-password-1", "nina-password-2").await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(html.contains("not the same"), "{html}");
        let (s, html) = accept(&t, &link, "Nina", "short", "short").await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(html.contains("at least 10"), "{html}");
        let (s, html) = accept(
            &t,
            &link,
            "Nina Admin",
            "nina-password-1",
            "nina-password-1",
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{html}");
        assert!(html.contains("is ready"), "{html}");

        // She signs in with the password she chose, with the invited role.
        let nina = t.login("nina@acme.test", "nina-password-1").await;
        let (_, me) = nina.get("/me").await;
        assert_eq!(me["role"], "admin", "{me}");
        assert_eq!(me["name"], "Nina Admin", "{me}");

        // The link works once.
        let (s, html) = open(&t, &link).await;
        assert_eq!(s, StatusCode::GONE);
        assert!(html.contains("already used"), "{html}");
        let (s, _) = accept(&t, &link, "X", "other-password-1", "other-password-1").await;
        assert_eq!(s, StatusCode::GONE);
        let (_, list) = owner.get("/invitations").await;
        assert_eq!(list[0]["state"], "accepted");
        // Unknown links say so.
        let (s, html) = open(&t, &format!("{}/invite/inv_nope", t.url)).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert!(html.contains("not valid"), "{html}");

        assert_eq!(owner.audit("invitation.create").await.len(), 1);
        assert_eq!(owner.audit("invitation.accept").await.len(), 1);
    }
}

#[tokio::test]
async fn invitations_can_be_withdrawn_expire_and_follow_the_policy() {
    for t in TestApp::all("invite_rules").await {
        let owner = t.owner().await;
        // Withdrawn: the link stops working; withdrawing twice is a conflict.
        let (_, v) = owner.invite("wes@acme.test", "user").await;
        let (id, link) = (v["id"].as_str().unwrap(), v["link"].as_str().unwrap());
        let (s, _) = owner.delete(&format!("/invitations/{id}")).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, v) = owner.delete(&format!("/invitations/{id}")).await;
        assert_code(s, &v, StatusCode::CONFLICT, "invitation.closed");
        let (s, html) = open(&t, link).await;
        assert_eq!(s, StatusCode::GONE);
        assert!(html.contains("withdrawn"), "{html}");
        let (s, v) = owner.delete("/invitations/nope").await;
        assert_code(s, &v, StatusCode::NOT_FOUND, "invitation.not_found");
        assert_eq!(owner.audit("invitation.revoke").await.len(), 1);

        // Expired after 7 days.
        let (_, v) = owner.invite("eve@acme.test", "user").await;
        let link = v["link"].as_str().unwrap().to_owned();
        t.clock.advance_secs(7 * 86_400 + 1);
        let (s, html) = open(&t, &link).await;
        assert_eq!(s, StatusCode::GONE);
        assert!(html.contains("expired"), "{html}");
        let (s, _) = accept(&t, &link, "Eve", "eve-password-1", "eve-password-1").await;
        assert_eq!(s, StatusCode::GONE);

        // Inviting again replaces the open invitation.
        let (_, first) = owner.invite("amy@acme.test", "user").await;
        let (s, _) = owner.invite("amy@acme.test", "admin").await;
        assert_eq!(s, StatusCode::CREATED);
        let (s, _) = open(&t, first["link"].as_str().unwrap()).await;
        assert_eq!(s, StatusCode::GONE);

        // Existing users, bad input, and roles one may not give.
        let (s, v) = owner.invite("owner@acme.test", "user").await;
        assert_code(s, &v, StatusCode::CONFLICT, "user.exists");
        let (s, v) = owner.invite("not-an-email", "user").await;
        assert_code(s, &v, StatusCode::BAD_REQUEST, "email.invalid");
        let (s, v) = owner.invite("x@acme.test", "emperor").await;
        assert_code(s, &v, StatusCode::BAD_REQUEST, "user.invalid_role");
        let admin = t.user(&owner, "adam@acme.test", "admin").await;
        let (s, v) = admin.invite("o2@acme.test", "owner").await;
        assert_code(s, &v, StatusCode::FORBIDDEN, "permission.denied");
        let (s, _) = admin.invite("u2@acme.test", "user").await;
        assert_eq!(s, StatusCode::CREATED);
        let user = t.user(&owner, "uma@acme.test", "user").await;
        let (s, v) = user.invite("u3@acme.test", "user").await;
        assert_code(s, &v, StatusCode::FORBIDDEN, "permission.denied");
        let (s, _) = user.get("/invitations").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn with_a_relay_the_link_is_emailed_and_not_shown() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let outbox = Arc::new(Outbox::default());
    t.app.set_mailer(Arc::<Outbox>::clone(&outbox));
    let (s, v) = owner.invite("mo@acme.test", "user").await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["emailed"], true);
    assert!(v["link"].is_null(), "{v}");
    let mail = outbox.0.lock().unwrap().pop().unwrap();
    assert_eq!(mail.to, "mo@acme.test");
    let link = mail
        .text
        .split_whitespace()
        .find(|w| w.contains("/invite/"))
        .unwrap()
        .to_owned();
    let (s, _) = accept(&t, &link, "Mo", "mo-password-12", "mo-password-12").await;
    assert_eq!(s, StatusCode::OK);
    t.login("mo@acme.test", "mo-password-12").await;
}

#[tokio::test]
async fn changing_ones_password_checks_the_current_one_and_ends_other_sessions() {
    for t in TestApp::all("me_password").await {
        let owner = t.owner().await;
        let other = t.login("owner@acme.test", "owner-password-1").await;
        let (s, v) = owner
            .post(
                "/me/password",
                &json!({"current_password": "wrong-password", "new_password": "new-password-123"}),
            )
            .await;
        assert_code(s, &v, StatusCode::BAD_REQUEST, "password.wrong_current");
        let (s, v) = owner
            .post(
                "/me/password",
                &json!({"current_password": "owner-password-1", "new_password": "short"}),
            )
            .await;
        assert_code(s, &v, StatusCode::BAD_REQUEST, "password.too_short");
        // Nothing changed so far: the other session still works.
        assert_eq!(other.get("/me").await.0, StatusCode::OK);
        let (s, v) = owner
            .post(
                "/me/password",
                &json!({"current_password": "owner-password-1", "new_password": "new-password-123"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["other_sessions_ended"], 1);
        assert_eq!(other.get("/me").await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(owner.get("/me").await.0, StatusCode::OK);
        let (s, _) = t
            .anon()
            .sign_in("owner@acme.test", "owner-password-1")
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        t.login("owner@acme.test", "new-password-123").await;
        let (_, ev) = owner.get("/audit?action=user.password_change").await;
        let outcomes: Vec<_> = ev
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["outcome"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(outcomes.len(), 2, "{ev}");
        assert!(
            outcomes.contains(&"success".to_owned()) && outcomes.contains(&"failure".to_owned())
        );
    }
}

#[tokio::test]
async fn the_ui_invites_changes_passwords_and_has_a_workspace_settings_page() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let b = t.browser("owner@acme.test", "owner-password-1").await;

    // Workspace settings: a page of their own, linked from the navigation,
    // no longer on the Users page.
    let (s, page) = b.load("/workspace/settings").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("Save settings"), "{page}");
    let (_, users) = b.load("/users").await;
    assert!(users.contains(r#"href="/workspace/settings""#), "{users}");
    assert!(!users.contains("Save settings"), "{users}");
    assert!(users.contains(r#"href="/invitations""#), "{users}");
    let (s, page) = b
        .submit(
            "/workspace/settings",
            &[("step_up_minutes", "99"), ("inbox_retention_days", "30")],
        )
        .await;
    // The refusal is shown on the settings page itself.
    assert!(matches!(s, StatusCode::OK | StatusCode::BAD_REQUEST), "{s}");
    assert!(
        page.contains("between 1 and 60") && page.contains("Save settings"),
        "{page}"
    );
    // A User reads no settings page.
    t.user(&owner, "uma@acme.test", "user").await;
    let uma = t.browser("uma@acme.test", "member-password-1").await;
    let (s, _) = uma.load("/workspace/settings").await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Inviting: no relay, so the page shows the link once.
    let (s, page) = b
        .submit(
            "/invitations",
            &[("email", "ivy@acme.test"), ("role", "user")],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let link_at = page.find(&format!("{}/invite/", t.url)).expect(&page);
    let link: String = page[link_at..]
        .chars()
        .take_while(|c| !matches!(c, '<' | '"' | ' '))
        .collect();
    let (_, page) = b.load("/invitations").await;
    assert!(
        page.contains("ivy@acme.test") && page.contains("Waiting"),
        "{page}"
    );
    assert!(!page.contains(&link), "the link is shown once");
    // The invitee's form works even from a browser that has someone's
    // session (the link is the credential).
    let r = t
        .http
        .post(&link)
        .header("cookie", &b.cookie)
        .header("origin", &t.url)
        .form(&[
            ("name", "Ivy"),
            ("password", "ivy-password-1"),
            ("password_again", "ivy-password-1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    t.login("ivy@acme.test", "ivy-password-1").await;

    // Changing one's password from My security.
    let (_, page) = b.load("/security").await;
    assert!(page.contains(r#"action="/security/password""#), "{page}");
    let (s, page) = b
        .submit(
            "/security/password",
            &[
                ("current_password", "not-my-password"),
                ("new_password", "owner-password-2"),
                ("new_password_again", "owner-password-2"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(page.contains("current password is not correct"), "{page}");
    let (s, page) = b
        .submit(
            "/security/password",
            &[
                ("current_password", "owner-password-1"),
                ("new_password", "owner-password-2"),
                ("new_password_again", "owner-password-2"),
            ],
        )
        .await;
    // Post/Redirect/Get: back to My security, which says what happened.
    assert_eq!(s, StatusCode::SEE_OTHER, "{page}");
    let r = sent(
        b.form(
            "/security/password",
            &[
                ("current_password", "owner-password-2"),
                ("new_password", "owner-password-3"),
                ("new_password_again", "owner-password-3"),
            ],
        )
        .header("origin", &t.url),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/security");
    let flash = flash_cookie(&r).unwrap();
    // This browser stays signed in; the API session signed in before ends.
    let (s, page) = b.with_cookie(&flash).load("/security").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("Password changed."), "{page}");
    assert_eq!(owner.get("/me").await.0, StatusCode::UNAUTHORIZED);
}
