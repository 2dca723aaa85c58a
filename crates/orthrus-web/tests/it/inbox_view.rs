//! The message view (sanitized HTML, links as text), flagged codes and
//! automations, per-workspace retention, and forwarding through a real
//! SMTP relay: the listener of `orthrus-smtp`, delivering into this same
//! app, so a forwarded message arrives in another account's inbox.

use crate::support::{TestApp, assert_code, code, text_of};
use orthrus_app::SenderAuth;
use orthrus_core::{DkimVerdict, DmarcVerdict};
use reqwest::StatusCode;
use serde_json::json;

const HTML_MAIL: &str = "From: Instagram <security@mail.instagram.com>\r\nTo: brand@acme.test\r\nSubject: Confirm your email\r\nMessage-ID: <v-1@mail.instagram.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><head><style>p{background:url(https://t.example/bg)}</style><script>alert('x')</script></head><body onload=\"steal()\"><p>Your code is <b>318 224</b></p><img src=\"https://t.example/pixel.gif\"><a href=\"https://instagram.com/confirm?t=abc\">Confirm email</a> <a href=\"https://instagram.com/unsubscribe\">Unsubscribe</a></body></html>\r\n";

#[tokio::test]
async fn the_message_view_is_sanitized_and_shows_links_as_text() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let (id, address) = owner.account_with_address("Brand IG", "pw").await;
    let verdict = SenderAuth {
        dkim: DkimVerdict::Pass,
        dkim_domains: vec!["instagram.com".into()],
        dmarc: DmarcVerdict::Pass,
        from_domain: "mail.instagram.com".into(),
        flagged: false,
        reason: None,
    };
    t.app
        .ingest_email(&[address], HTML_MAIL.as_bytes(), Some(verdict.clone()))
        .await
        .unwrap();
    let (_, list) = owner.get(&format!("/inbox?account_id={id}")).await;
    let mid = list[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(list[0]["auth"]["dmarc"], "pass");
    let (s, m) = owner.get(&format!("/inbox/{mid}")).await;
    assert_eq!(s, StatusCode::OK, "{m}");
    assert_eq!(m["code"], "318224");
    assert_eq!(m["confirm_link"], "https://instagram.com/confirm?t=abc");
    let html = m["html"].as_str().unwrap();
    assert!(html.contains("<b>318 224</b>"), "{html}");
    for bad in ["<script", "onload", "<img", "href", "https://", "<style"] {
        assert!(!html.contains(bad), "{bad} in {html}");
    }
    let links: Vec<&str> = m["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["url"].as_str().unwrap())
        .collect();
    assert!(
        links.contains(&"https://instagram.com/confirm?t=abc"),
        "{m}"
    );
    // The page renders the same, with the sender verdict.
    let page = owner
        .raw(reqwest::Method::GET, &format!("/inbox/{mid}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let body = page.text().await.unwrap();
    assert!(
        body.contains("DKIM pass") && body.contains("DMARC pass"),
        "{body}"
    );
    assert!(!body.contains("alert('x')") && !body.contains("pixel.gif"));
    assert!(body.contains("https://instagram.com/confirm?t=abc"));
    // Others cannot open it; nonsense ids are 404 too.
    let other = t.user(&owner, "other@acme.test", "user").await;
    assert_eq!(
        other.get(&format!("/inbox/{mid}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(owner.get("/inbox/not-an-id").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn flagged_codes_are_shown_but_never_given_to_automations() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let (id, address) = owner.account_with_address("Brand IG", "pw").await;
    let forged = SenderAuth {
        dkim: DkimVerdict::Pass,
        dkim_domains: vec!["attacker.example".into()],
        dmarc: DmarcVerdict::Fail,
        from_domain: "mail.instagram.com".into(),
        flagged: true,
        reason: Some("claims to be from instagram.com but does not pass DMARC".into()),
    };
    let since = t.app.now().to_rfc3339();
    t.app
        .ingest_email(
            std::slice::from_ref(&address),
            b"From: security@mail.instagram.com\r\nSubject: Code\r\nMessage-ID: <f-1@x>\r\n\r\nYour Instagram code is 900100.\r\n",
            Some(forged),
        )
        .await
        .unwrap();
    // A flood of forged mail (more than one page of the waiter's scan)
    // must not hide the genuine code behind it.
    for i in 0..220 {
        let raw = format!(
            "From: security@mail.instagram.com\r\nSubject: Code\r\nMessage-ID: <flood-{i}@x>\r\n\r\nYour Instagram code is {:06}.\r\n",
            100_000 + i
        );
        t.app
            .ingest_email(
                std::slice::from_ref(&address),
                raw.as_bytes(),
                Some(SenderAuth {
                    flagged: true,
                    dmarc: DmarcVerdict::Fail,
                    from_domain: "mail.instagram.com".into(),
                    ..SenderAuth::default()
                }),
            )
            .await
            .unwrap();
    }
    let (_, list) = owner.get(&format!("/inbox?account_id={id}&q=900100")).await;
    assert_eq!(list[0]["code"], "900100");
    assert_eq!(list[0]["auth"]["flagged"], true);
    let (s, _) = owner
        .get(&format!(
            "/inbox/wait?account_id={id}&since={since}&timeout=1"
        ))
        .await;
    assert_eq!(
        s,
        StatusCode::NO_CONTENT,
        "a flagged code reached an automation"
    );
    // A genuine message after it is returned.
    t.app
        .ingest_email(
            &[address],
            b"From: security@mail.instagram.com\r\nSubject: Code\r\nMessage-ID: <g-1@x>\r\n\r\nYour Instagram code is 424242.\r\n",
            None,
        )
        .await
        .unwrap();
    // It is there already. All 222 messages share one millisecond (the
    // test clock stands still): paging by time alone once hid it behind a
    // full page of flagged mail; the timeout only bounds opening them.
    let (s, item) = owner
        .get(&format!(
            "/inbox/wait?account_id={id}&since={since}&timeout=20"
        ))
        .await;
    assert_eq!((s, item["code"].as_str()), (StatusCode::OK, Some("424242")));
}

#[tokio::test]
async fn retention_is_set_per_workspace() {
    for t in TestApp::all("retention").await {
        let owner = t.owner().await;
        let (_, address) = owner.account_with_address("Brand IG", "pw").await;
        let (_, ws) = owner.get("/workspace").await;
        assert_eq!(ws["inbox_retention_days"], 30);
        for bad in [json!(0), json!(4000)] {
            let (s, v) = owner
                .patch("/workspace", &json!({"inbox_retention_days": bad}))
                .await;
            assert_code(
                s,
                &v,
                StatusCode::BAD_REQUEST,
                "workspace.invalid_retention",
            );
        }
        let admin = t.user(&owner, "admin@acme.test", "admin").await;
        let (s, _) = admin
            .patch("/workspace", &json!({"inbox_retention_days": 2}))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, ws) = owner
            .patch("/workspace", &json!({"inbox_retention_days": 2}))
            .await;
        assert_eq!(
            (s, ws["inbox_retention_days"].as_i64()),
            (StatusCode::OK, Some(2))
        );
        t.app
            .ingest_email(
                &[address],
                b"From: a@b.test\r\nMessage-ID: <r-1@x>\r\n\r\nCode 123456\r\n",
                None,
            )
            .await
            .unwrap();
        t.clock.advance_secs(86400);
        assert_eq!(t.app.purge_old_messages().await.unwrap(), 0, "kept one day");
        t.clock.advance_secs(86400 + 60);
        assert_eq!(
            t.app.purge_old_messages().await.unwrap(),
            1,
            "gone after two"
        );
    }
}

#[tokio::test]
async fn forwarding_needs_a_verified_address_and_goes_through_the_relay() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let (id, address) = owner.account_with_address("Brand IG", "pw").await;
    // Kathy's mailbox is another account's managed address on this server.
    let mailbox_account = owner.account("Kathy mailbox", "pw").await;
    let mailbox = owner.managed_address(&mailbox_account).await;
    let mid = t.code_mail(&owner, &id, address, "<fw-1@x>").await;

    // No relay configured: a clear 409.
    let (s, v) = owner
        .post(&format!("/inbox/{mid}/forward"), &json!({}))
        .await;
    assert_code(s, &v, StatusCode::CONFLICT, "forward.not_configured");

    let stop = t.mail_through_a_relay().await;
    let (s, v) = owner
        .post(&format!("/inbox/{mid}/forward"), &json!({}))
        .await;
    assert_code(s, &v, StatusCode::BAD_REQUEST, "forward.not_verified");
    let (s, v) = owner
        .send(
            reqwest::Method::PUT,
            "/me/forward-address",
            Some(&json!({"email": mailbox})),
        )
        .await;
    assert_eq!(
        (s, v["verified"].as_bool()),
        (StatusCode::OK, Some(false)),
        "{v}"
    );
    // The code arrives in Kathy's mailbox, pulled out like any other.
    let (_, got) = owner
        .get(&format!("/inbox?account_id={mailbox_account}"))
        .await;
    let sent_code = got[0]["code"].as_str().unwrap().to_owned();
    let (s, v) = owner
        .post("/me/forward-address/verify", &json!({"code": "000000x"}))
        .await;
    assert_code(s, &v, StatusCode::BAD_REQUEST, "forward.bad_code");
    let (s, v) = owner
        .post("/me/forward-address/verify", &json!({"code": sent_code}))
        .await;
    assert_eq!(
        (s, v["verified"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{v}"
    );

    let (s, v) = owner
        .post(&format!("/inbox/{mid}/forward"), &json!({}))
        .await;
    assert_eq!(
        (s, v["to"].as_str()),
        (StatusCode::OK, Some(mailbox.as_str())),
        "{v}"
    );
    let (_, got) = owner
        .get(&format!("/inbox?account_id={mailbox_account}"))
        .await;
    let fwd = got
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["subject"].as_str().is_some_and(|s| s.starts_with("Fwd:")))
        .unwrap_or_else(|| panic!("no forwarded message in {got}"));
    assert_eq!(fwd["code"], "777123");
    // An SMS is forwarded as text, its code readable in what arrives.
    owner.give_phone_number(&id, "+14155550123").await;
    assert!(
        t.app
            .ingest_sms(
                "32665",
                "+14155550123",
                "Your Instagram code is 551 882. Don't share it.",
                "SM1"
            )
            .await
            .unwrap()
    );
    let (_, list) = owner
        .get(&format!("/inbox?account_id={id}&channel=sms"))
        .await;
    let sms_id = list[0]["id"].as_str().unwrap().to_owned();
    let (s, _) = owner
        .post(&format!("/inbox/{sms_id}/forward"), &json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, got) = owner
        .get(&format!("/inbox?account_id={mailbox_account}&q=32665"))
        .await;
    assert_eq!(got[0]["code"], "551882", "{got}");
    assert_eq!(got[0]["subject"], "Fwd: SMS from 32665");
    // Audited.
    let (_, audit) = owner.get("/audit?action=inbox.message_forward").await;
    assert!(audit.to_string().contains(&mailbox), "{audit}");
    // Moving to another address: the verified one stays in use until the
    // new one is proven; one code a minute; five tries per code.
    let second_account = owner.account("Second mailbox", "pw").await;
    let second = owner.managed_address(&second_account).await;
    let put = |email: String| {
        let owner = owner.clone();
        async move {
            owner
                .send(
                    reqwest::Method::PUT,
                    "/me/forward-address",
                    Some(&json!({ "email": email })),
                )
                .await
        }
    };
    let (s, v) = put(second.clone()).await;
    assert_eq!(
        (s, v["email"].as_str(), v["pending_email"].as_str()),
        (
            StatusCode::OK,
            Some(mailbox.as_str()),
            Some(second.as_str())
        ),
        "{v}"
    );
    assert_eq!(put(second.clone()).await.0, StatusCode::TOO_MANY_REQUESTS);
    let (s, v) = put("someone@[10.0.0.5]".into()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (_, v) = owner
        .post(&format!("/inbox/{mid}/forward"), &json!({}))
        .await;
    assert_eq!(
        v["to"].as_str(),
        Some(mailbox.as_str()),
        "still the verified one"
    );
    let (_, got) = owner
        .get(&format!("/inbox?account_id={second_account}"))
        .await;
    let second_code = got[0]["code"].as_str().unwrap().to_owned();
    for _ in 0..5 {
        let (_, v) = owner
            .post("/me/forward-address/verify", &json!({"code": "999999"}))
            .await;
        assert_eq!(code(&v), "forward.bad_code");
    }
    let (_, v) = owner
        .post("/me/forward-address/verify", &json!({"code": second_code}))
        .await;
    assert_eq!(code(&v), "forward.too_many_attempts", "{v}");
    t.clock.advance_secs(61);
    assert_eq!(put(second.clone()).await.0, StatusCode::OK);
    let (_, got) = owner
        .get(&format!("/inbox?account_id={second_account}"))
        .await;
    let second_code = got[0]["code"].as_str().unwrap().to_owned();
    let (s, v) = owner
        .post("/me/forward-address/verify", &json!({"code": second_code}))
        .await;
    assert_eq!(
        (s, v["email"].as_str(), v["pending_email"].as_str()),
        (StatusCode::OK, Some(second.as_str()), None),
        "{v}"
    );
    // A member who cannot see the account cannot forward its messages.
    let other = t.user(&owner, "other@acme.test", "user").await;
    assert_eq!(
        other
            .post(&format!("/inbox/{mid}/forward"), &json!({}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    stop.cancel();
}

#[tokio::test]
async fn moving_the_login_page_needs_the_right_to_change_credentials() {
    // Automations type the password into the login page: a workspace Admin
    // who may edit an account's label but not see its password must not be
    // able to point that page elsewhere.
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let (_, a) = owner
        .post(
            "/accounts",
            &json!({"app": "instagram", "label": "IG", "login_url": "https://www.instagram.com/accounts/login/", "username": "brand", "password": "pw-123456789"}),
        )
        .await;
    let id = a["id"].as_str().unwrap().to_owned();
    let admin = t.user(&owner, "admin@acme.test", "admin").await;
    let (s, v) = admin
        .patch(
            &format!("/accounts/{id}"),
            &json!({"version": 1, "login_url": "https://evil.example/"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    // The same URL sent back unchanged (as an edit form does) is no change.
    let (s, v) = admin
        .patch(
            &format!("/accounts/{id}"),
            &json!({"version": 1, "label": "IG brand", "login_url": "https://www.instagram.com/accounts/login/"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = owner
        .patch(
            &format!("/accounts/{id}"),
            &json!({"version": 2, "login_url": "https://www.instagram.com/"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

/// Issue 14, item 4: a code of letters and digits is shown as it was sent,
/// in the API (list and message) and on the inbox page: `4kx9pz`, not
/// `4KX9PZ`.
#[tokio::test]
async fn a_letters_and_digits_code_is_shown_as_sent() {
    for t in TestApp::all("inbox_code_case").await {
        let owner = t.owner().await;
        let (id, address) = owner.account_with_address("Brand IG", "pw").await;
        let mail = "From: Acme <no-reply@acme.example>\r\nTo: brand@acme.test\r\nSubject: Your sign-in code\r\nMessage-ID: <case-1@acme.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nYour code is 4kx9pz\r\n";
        t.app
            .ingest_email(&[address], mail.as_bytes(), None)
            .await
            .unwrap();
        let (s, list) = owner.get(&format!("/inbox?account_id={id}")).await;
        assert_eq!(s, StatusCode::OK, "{list}");
        assert_eq!(list[0]["code"], "4kx9pz", "{}: {list}", t.backend);
        let mid = list[0]["id"].as_str().unwrap().to_owned();
        let (_, m) = owner.get(&format!("/inbox/{mid}")).await;
        assert_eq!(m["code"], "4kx9pz", "{m}");
        let rows = text_of(owner.raw(reqwest::Method::GET, "/inbox/rows")).await;
        assert!(
            rows.contains("4kx9pz") && !rows.contains("4KX9PZ"),
            "{rows}"
        );
    }
}

#[tokio::test]
async fn the_sender_badge_shows_only_when_it_matters_and_says_why() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let (_, address) = owner.account_with_address("Brand IG", "pw").await;
    let auth = |flagged: bool| SenderAuth {
        dkim: if flagged {
            DkimVerdict::Fail
        } else {
            DkimVerdict::Pass
        },
        dkim_domains: if flagged {
            vec![]
        } else {
            vec!["mail.instagram.com".into()]
        },
        dmarc: if flagged {
            DmarcVerdict::Fail
        } else {
            DmarcVerdict::Pass
        },
        from_domain: "mail.instagram.com".into(),
        flagged,
        reason: flagged.then(|| "claims to be from instagram.com but does not pass DMARC".into()),
    };
    t.app
        .ingest_email(
            std::slice::from_ref(&address),
            b"From: security@mail.instagram.com\r\nSubject: Code\r\nMessage-ID: <good-1@x>\r\n\r\nYour Instagram code is 111222.\r\n",
            Some(auth(false)),
        )
        .await
        .unwrap();
    let b = t.browser("owner@acme.test", "owner-password-1").await;
    let rows = text_of(b.hx_get("/inbox/rows")).await;
    assert!(rows.contains("111222"), "{rows}");
    assert!(
        !rows.contains("badge danger") && !rows.contains("unverified"),
        "a verified sender carries no warning: {rows}"
    );
    t.app
        .ingest_email(
            std::slice::from_ref(&address),
            b"From: security@mail.instagram.com\r\nSubject: Code\r\nMessage-ID: <bad-1@x>\r\n\r\nYour Instagram code is 333444.\r\n",
            Some(auth(true)),
        )
        .await
        .unwrap();
    let rows = text_of(b.hx_get("/inbox/rows")).await;
    let bad = rows.split("<tr").find(|r| r.contains("333444")).unwrap();
    assert!(
        bad.contains("sender failed verification")
            && bad.contains("This message claims to be from instagram.com but does not pass DMARC"),
        "the reason in words, not a tooltip: {bad}"
    );
    let good = rows.split("<tr").find(|r| r.contains("111222")).unwrap();
    assert!(!good.contains("sender failed verification"), "{good}");
}
