//! Automations use only the app's own messages (issue 11, finding 4):
//! mail from the app's sending domains that authenticates, texts from its
//! declared senders. Everything else stays in the inbox for people, marked
//! with why automations left it.

use crate::support::{Client, TestApp, text_of};
use orthrus_app::{AppSenders, SenderAuth};
use orthrus_core::DkimVerdict;
use reqwest::StatusCode;
use std::collections::HashMap;

/// Instagram's rules as a recipe would declare them.
fn instagram() -> AppSenders {
    AppSenders::new(["instagram.com".to_owned()], [], ["32665".to_owned()])
}

fn verdict(from: &str, dkim: &[&str], dmarc: &str) -> SenderAuth {
    SenderAuth {
        dkim: if dkim.is_empty() {
            DkimVerdict::None
        } else {
            DkimVerdict::Pass
        },
        dkim_domains: dkim.iter().map(|d| (*d).to_owned()).collect(),
        dmarc: dmarc.parse().unwrap(),
        from_domain: from.into(),
        flagged: false,
        reason: None,
    }
}

fn mail(from: &str, id: &str, code: &str, link: &str) -> Vec<u8> {
    format!(
        "From: Instagram <security@{from}>\r\nTo: brand@acme.test\r\nSubject: Confirm\r\nMessage-ID: <{id}@x>\r\n\r\nYour Instagram code is {code}.\r\nConfirm your email: {link}\r\n"
    )
    .into_bytes()
}

/// Takes `raw` into the inbox of `address`, as the SMTP server would with
/// the sender's authentication `auth`.
async fn ingest(t: &TestApp, address: &str, raw: &[u8], auth: Option<SenderAuth>) {
    t.app
        .ingest_email(&[address.to_owned()], raw, auth)
        .await
        .unwrap();
}

async fn setup(t: &TestApp) -> (Client, String, String) {
    let owner = t.owner().await;
    let (id, address) = owner.account_with_address("Brand IG", "pw").await;
    (owner, id, address)
}

#[tokio::test]
async fn a_look_alike_senders_code_and_link_are_not_used_by_automations() {
    for t in TestApp::all("lookalike_sender").await {
        let (owner, id, address) = setup(&t).await;
        let actor = t.actor(&owner).await;
        let since = t.app.now();
        let rules = instagram();
        // A look-alike domain that authenticates perfectly for itself (it
        // is no well-known domain, so nothing flags it), and the app's own
        // domain without proof: neither is the app.
        let lookalike = verdict(
            "instagram-security.com",
            &["instagram-security.com"],
            "pass",
        );
        let unproven = verdict("mail.instagram.com", &["mailer.example"], "none");
        for (n, v) in [lookalike, unproven].into_iter().enumerate() {
            ingest(
                &t,
                &address,
                &mail(
                    &v.from_domain.clone(),
                    &format!("bad-{n}"),
                    &format!("90010{n}"),
                    "https://instagram-security.com/confirm?t=1",
                ),
                Some(v),
            )
            .await;
        }
        let got = t
            .app
            .wait_for_next_message(&actor, id.parse().unwrap(), since, None, 1, Some(&rules))
            .await
            .unwrap();
        assert!(
            got.is_none(),
            "{}: an automation was given {got:?}",
            t.backend
        );
        // The app's own mail after them is used: DMARC passes, or a DKIM
        // signature of the app's domain verified.
        ingest(
            &t,
            &address,
            &mail(
                "mail.instagram.com",
                "good-1",
                "424242",
                "https://www.instagram.com/confirm?t=2",
            ),
            Some(verdict("mail.instagram.com", &["instagram.com"], "none")),
        )
        .await;
        let got = t
            .app
            .wait_for_next_message(&actor, id.parse().unwrap(), since, None, 5, Some(&rules))
            .await
            .unwrap()
            .expect("the app's own message");
        assert_eq!(got.code.as_deref(), Some("424242"), "{}", t.backend);
        assert_eq!(
            got.confirm_link.as_deref(),
            Some("https://www.instagram.com/confirm?t=2")
        );
        assert!(got.automation_refusal.is_none());
    }
}

#[tokio::test]
async fn refused_messages_stay_in_the_inbox_with_the_reason() {
    for t in TestApp::all("refused_listed").await {
        t.app
            .set_app_senders(HashMap::from([("instagram".to_owned(), instagram())]));
        let (owner, id, address) = setup(&t).await;
        let since = t.app.now().to_rfc3339();
        ingest(
            &t,
            &address,
            &mail(
                "instagram-help.net",
                "l-1",
                "900100",
                "https://instagram-help.net/c",
            ),
            Some(verdict(
                "instagram-help.net",
                &["instagram-help.net"],
                "pass",
            )),
        )
        .await;
        let (s, list) = owner.get(&format!("/inbox?account_id={id}")).await;
        assert_eq!(s, StatusCode::OK, "{list}");
        let item = &list[0];
        // The contract's fields are all there, the reason is added.
        for field in [
            "id",
            "channel",
            "sender",
            "subject",
            "received_at",
            "code",
            "confirm_link",
        ] {
            assert!(item.get(field).is_some(), "{field} missing: {item}");
        }
        assert_eq!(item["code"], "900100");
        assert_eq!(
            item["automation_refusal"]["reason"], "other_domain",
            "{item}"
        );
        let detail = item["automation_refusal"]["detail"].as_str().unwrap();
        assert!(
            detail.contains("instagram-help.net") && detail.contains("instagram.com"),
            "{detail}"
        );
        // The whole inbox (no account filter) says the same.
        let (_, all) = owner.get("/inbox").await;
        assert_eq!(all[0]["automation_refusal"]["reason"], "other_domain");
        // So do the message and the pages.
        let mid = item["id"].as_str().unwrap();
        let (_, m) = owner.get(&format!("/inbox/{mid}")).await;
        assert_eq!(m["automation_refusal"]["reason"], "other_domain", "{m}");
        let rows = text_of(owner.raw(reqwest::Method::GET, "/inbox/rows")).await;
        assert!(
            rows.contains("not used by automations") && rows.contains("instagram-help.net"),
            "{rows}"
        );
        // Waiting through the API does not hand it out either.
        let (s, _) = owner
            .get(&format!(
                "/inbox/wait?account_id={id}&since={since}&timeout=1"
            ))
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{}", t.backend);
        // The app's own message carries no reason.
        ingest(
            &t,
            &address,
            &mail(
                "mail.instagram.com",
                "g-1",
                "515151",
                "https://instagram.com/c",
            ),
            Some(verdict("mail.instagram.com", &["instagram.com"], "pass")),
        )
        .await;
        let (_, list) = owner.get(&format!("/inbox?account_id={id}")).await;
        let genuine = list
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["code"] == "515151")
            .unwrap();
        assert!(genuine.get("automation_refusal").is_none(), "{genuine}");
    }
}

#[tokio::test]
async fn texts_from_undeclared_senders_are_not_used_when_senders_are_declared() {
    for t in TestApp::all("sms_senders").await {
        t.app
            .set_app_senders(HashMap::from([("instagram".to_owned(), instagram())]));
        let (owner, id, _) = setup(&t).await;
        owner.give_phone_number(&id, "+14155550123").await;
        let actor = t.actor(&owner).await;
        let since = t.app.now();
        assert!(
            t.app
                .ingest_sms(
                    "+1 555 0100",
                    "+14155550123",
                    "Your Instagram code is 771 771.",
                    "SM-x"
                )
                .await
                .unwrap()
        );
        let rules = instagram();
        let got = t
            .app
            .wait_for_next_message(&actor, id.parse().unwrap(), since, None, 1, Some(&rules))
            .await
            .unwrap();
        assert!(got.is_none(), "{}: used {got:?}", t.backend);
        let (_, list) = owner
            .get(&format!("/inbox?account_id={id}&channel=sms"))
            .await;
        assert_eq!(list[0]["code"], "771771");
        assert_eq!(list[0]["automation_refusal"]["reason"], "other_sms_sender");
        // From the declared short code it is used; without declared
        // senders any number would do.
        t.clock.advance_secs(1);
        assert!(
            t.app
                .ingest_sms(
                    "32665",
                    "+14155550123",
                    "Your Instagram code is 662 662.",
                    "SM-y"
                )
                .await
                .unwrap()
        );
        let got = t
            .app
            .wait_for_next_message(&actor, id.parse().unwrap(), since, None, 5, Some(&rules))
            .await
            .unwrap()
            .expect("the app's text");
        assert_eq!(got.code.as_deref(), Some("662662"));
        let anyone = AppSenders::new(["instagram.com".to_owned()], [], []);
        let got = t
            .app
            .wait_for_next_message(&actor, id.parse().unwrap(), since, None, 5, Some(&anyone))
            .await
            .unwrap()
            .expect("a text");
        assert_eq!(got.code.as_deref(), Some("771771"));
    }
}
