//! The browser extension's server side (issue 12): which accounts fit a page, filling
//! credentials and codes only into the account's own site, and rotation
//! after an
//! extension login. The domains here are never contacted. Extension
//! sessions and pairing are in `pairing.rs`, which shares the helpers here.

use crate::support::*;
use orthrus_app::SenderAuth;
use orthrus_core::{Clock, DkimVerdict, DmarcVerdict};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub(crate) const IG_LOGIN: &str = "https://www.instagram.com/accounts/login/";

pub(crate) async fn put(c: &Client, path: &str, body: &Value) -> (StatusCode, Value) {
    c.send(Method::PUT, path, Some(body)).await
}

/// Signs in as the browser extension does.
pub(crate) async fn extension_login(t: &TestApp, email: &str, password: &str) -> Client {
    t.login_with(
        &json!({"email": email, "password": password, "client": "extension", "browser": "Chromium 131 (test)"}),
    )
    .await
}

pub(crate) struct Team {
    pub(crate) owner: Client,
    /// A Collaborator on `id` (bearer session, like the CLI).
    pub(crate) collab: Client,
    /// The same Collaborator through the extension.
    pub(crate) collab_ext: Client,
    pub(crate) id: String,
}

pub(crate) async fn team(t: &TestApp) -> Team {
    let owner = t.owner().await;
    let collab = t.user(&owner, "intern@acme.test", "user").await;
    let id = owner.account("Brand Instagram", "ig-password").await;
    owner
        .make_member(&id, &collab.user_id, "collaborator")
        .await;
    let collab_ext = extension_login(t, "intern@acme.test", "member-password-1").await;
    Team {
        owner,
        collab,
        collab_ext,
        id,
    }
}

pub(crate) async fn fill(
    c: &Client,
    id: &str,
    url: &str,
    step: &str,
    wait: u64,
) -> (StatusCode, Value) {
    c.post(
        "/autofill",
        &json!({"account_id": id, "url": url, "step": step, "wait": wait}),
    )
    .await
}

#[tokio::test]
async fn autofill_gives_a_collaborator_the_credentials_only_through_the_extension() {
    for t in TestApp::all("autofill_creds").await {
        let tm = team(&t).await;
        let id = &tm.id;
        // The Collaborator may never see the password...
        let (s, v) = tm.collab.get(&format!("/accounts/{id}/password")).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        // ...and a plain bearer session gets nothing filled.
        let (s, v) = fill(&tm.collab, id, IG_LOGIN, "credentials", 0).await;
        assert_code(s, &v, StatusCode::FORBIDDEN, "autofill.extension_only");
        // The extension session fills the login page.
        let (s, v) = fill(&tm.collab_ext, id, IG_LOGIN, "credentials", 0).await;
        assert_eq!(s, StatusCode::OK, "{}: {v}", t.backend);
        assert_eq!(
            (v["username"].as_str(), v["password"].as_str()),
            (Some("brand"), Some("ig-password"))
        );
        // The registrable domain decides: instagram.com without www too.
        let (s, _) = fill(
            &tm.collab_ext,
            id,
            "https://instagram.com/",
            "credentials",
            0,
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        // Look-alikes are refused, and the refusal is audited with the origin.
        for page in [
            "https://instagram.com.evil.test/accounts/login/",
            "https://evilinstagram.com/accounts/login/",
            "http://www.instagram.com/accounts/login/",
        ] {
            let (s, v) = fill(&tm.collab_ext, id, page, "credentials", 0).await;
            assert_eq!(
                (s, code(&v)),
                (StatusCode::FORBIDDEN, "autofill.origin_mismatch"),
                "{page}"
            );
            assert!(v.get("password").is_none());
        }
        let refused = tm.owner.audit("account.autofill_refused").await;
        let origins: Vec<&str> = refused
            .iter()
            .map(|e| e["detail"]["origin"].as_str().unwrap())
            .collect();
        assert!(
            origins.contains(&"https://instagram.com.evil.test"),
            "{origins:?}"
        );
        assert!(
            origins.contains(&"https://evilinstagram.com"),
            "{origins:?}"
        );
        assert!(
            refused
                .iter()
                .all(|e| e["outcome"] == "denied" && e["target_id"] == *id)
        );
        // Every fill is its own audit event, never a reveal.
        let fills = tm.owner.audit("account.autofill").await;
        assert_eq!(fills.len(), 2, "{fills:?}");
        assert_eq!(fills[0]["actor_email"], "intern@acme.test");
        assert_eq!(fills[0]["detail"]["step"], "credentials");
        assert_eq!(fills[1]["detail"]["origin"], "https://www.instagram.com");
        // (Its one reveal attempt above was refused.)
        let reveals = tm.owner.audit("account.password_reveal").await;
        assert!(
            reveals.iter().all(|e| e["outcome"] == "denied"),
            "{reveals:?}"
        );
        // The account page's list of extension logins.
        let (s, recent) = tm.owner.get(&format!("/accounts/{id}/autofills")).await;
        assert_eq!(s, StatusCode::OK, "{recent}");
        assert_eq!(recent[0]["user_email"], "intern@acme.test");
        assert_eq!(recent[1]["origin"], "https://www.instagram.com");
        let (s, _) = tm.collab.get(&format!("/accounts/{id}/autofills")).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // The account page's panel shows the same, to the Owner only.
        let (cookie, csrf) = t.browser_login("owner@acme.test", "owner-password-1").await;
        let panel = |cookie: String| {
            let (http, url) = (
                t.http.clone(),
                format!("{}/accounts/{id}/extension-ui", t.url),
            );
            async move {
                http.get(url)
                    .header("cookie", cookie)
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap()
            }
        };
        let html = panel(cookie.clone()).await;
        assert!(
            html.contains("intern@acme.test") && html.contains("https://www.instagram.com"),
            "{html}"
        );
        assert!(
            html.contains("extension-urls-input"),
            "the Owner may edit the URLs"
        );
        let (collab_cookie, _) = t
            .browser_login("intern@acme.test", "member-password-1")
            .await;
        let html = panel(collab_cookie).await;
        assert!(
            !html.contains("autofill-row") && !html.contains("extension-urls-input"),
            "{html}"
        );
        // Extra URLs from the page's form.
        let r = t
            .http
            .post(format!("{}/accounts/{id}/extension-ui", t.url))
            .header("cookie", &cookie)
            .form(&[
                (
                    "urls",
                    "https://business.instagram.com/\nhttps://help.instagram.com/",
                ),
                ("_csrf", &csrf),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let (_, v) = tm.owner.get(&format!("/accounts/{id}/urls")).await;
        assert_eq!(
            v["urls"],
            json!([
                "https://business.instagram.com/",
                "https://help.instagram.com/"
            ])
        );
        // Someone who is no member of the account gets the usual 404.
        t.user(&tm.owner, "other@acme.test", "user").await;
        let other = extension_login(&t, "other@acme.test", "member-password-1").await;
        let (s, v) = fill(&other, id, IG_LOGIN, "credentials", 0).await;
        assert_code(s, &v, StatusCode::NOT_FOUND, "account.not_found");
        // The endpoints are in the OpenAPI document.
        let (_, doc) = t.anon().get("/openapi.json").await;
        for path in [
            "/api/v1/autofill",
            "/api/v1/autofill/candidates",
            "/api/v1/autofill/restrictions",
            "/api/v1/workspace/app-restrictions",
            "/api/v1/accounts/{id}/urls",
            "/api/v1/accounts/{id}/autofills",
            "/api/v1/extension/pairings",
            "/api/v1/extension/pairings/{id}/token",
        ] {
            assert!(
                doc["paths"][path].is_object(),
                "{path} missing from the OpenAPI document"
            );
        }
        // An unknown client is refused, not silently made a bearer session.
        let (s, v) = t
            .anon()
            .post(
                "/auth/login",
                &json!({"email": "intern@acme.test", "password": "member-password-1", "client": "toaster"}),
            )
            .await;
        assert_code(s, &v, StatusCode::BAD_REQUEST, "auth.bad_client");
    }
}

#[tokio::test]
async fn autofill_candidates_by_registrable_domain_and_exact_loopback_origin() {
    for t in TestApp::all("autofill_candidates").await {
        let tm = team(&t).await;
        let other = tm.owner.account("Second Instagram", "pw2").await;
        // A local app: its site is an address, so only the exact origin fits.
        let (s, v) = tm
            .owner
            .post(
                "/accounts",
                &json!({"app": "generic", "label": "Local app", "login_url": "https://app.example.test/login", "username": "ops", "password": "local-pw"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let local = v["id"].as_str().unwrap().to_owned();
        let urls = format!("/accounts/{local}/urls");
        let (s, v) = put(
            &tm.owner,
            &urls,
            &json!({"urls": ["http://127.0.0.1:8090/login", " "]}),
        )
        .await;
        assert_eq!(
            (s, v["urls"].clone()),
            (StatusCode::OK, json!(["http://127.0.0.1:8090/login"]))
        );
        let (s, v) = put(&tm.owner, &urls, &json!({"urls": ["javascript:alert(1)"]})).await;
        assert_code(s, &v, StatusCode::BAD_REQUEST, "account.bad_url");
        // Extra URLs decide where the password goes: not a Collaborator's call.
        let (s, _) = put(
            &tm.collab,
            &format!("/accounts/{}/urls", tm.id),
            &json!({"urls": ["https://evil.test/"]}),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = tm.collab.get(&format!("/accounts/{}/urls", tm.id)).await;
        assert_eq!((s, v["urls"].clone()), (StatusCode::OK, json!([])));

        let ids = |c: &Client, page: &'static str| {
            let c = c.clone();
            async move {
                let (s, v) = c
                    .get(&format!("/autofill/candidates?url={}", urlencode(page)))
                    .await;
                assert_eq!(s, StatusCode::OK, "{page}: {v}");
                let mut ids: Vec<String> = v
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["account_id"].as_str().unwrap().to_owned())
                    .collect();
                ids.sort();
                ids
            }
        };
        let mut both = vec![tm.id.clone(), other.clone()];
        both.sort();
        assert_eq!(ids(&tm.owner, "https://instagram.com/").await, both);
        assert_eq!(ids(&tm.owner, "https://www.instagram.com/x").await, both);
        assert_eq!(
            ids(&tm.collab_ext, "https://instagram.com/").await,
            vec![tm.id.clone()],
            "only the Collaborator's own account"
        );
        for page in [
            "https://instagram.com.evil.test/",
            "https://evilinstagram.com/",
        ] {
            assert!(ids(&tm.owner, page).await.is_empty(), "{page}");
        }
        assert_eq!(
            ids(&tm.owner, "http://127.0.0.1:8090/settings").await,
            vec![local.clone()]
        );
        assert!(
            ids(&tm.owner, "http://127.0.0.1:8091/login")
                .await
                .is_empty()
        );
        assert!(
            ids(&tm.owner, "https://127.0.0.1:8090/login")
                .await
                .is_empty()
        );
        assert!(
            ids(&tm.owner, "http://localhost:8090/login")
                .await
                .is_empty()
        );
        // The candidate carries what the extension shows.
        let (_, v) = tm
            .collab_ext
            .get(&format!("/autofill/candidates?url={}", urlencode(IG_LOGIN)))
            .await;
        assert_eq!(v[0]["label"], "Brand Instagram");
        assert_eq!(
            (v[0]["app"].as_str(), v[0]["username"].as_str()),
            (Some("instagram"), Some("brand"))
        );
        let (s, v) = tm.owner.get("/autofill/candidates?url=not-a-url").await;
        assert_code(s, &v, StatusCode::BAD_REQUEST, "autofill.bad_url");
        // And fills follow the same rule.
        let owner_ext = extension_login(&t, "owner@acme.test", "owner-password-1").await;
        let (s, v) = fill(
            &owner_ext,
            &local,
            "http://127.0.0.1:8090/login",
            "credentials",
            0,
        )
        .await;
        assert_eq!(
            (s, v["password"].as_str()),
            (StatusCode::OK, Some("local-pw")),
            "{v}"
        );
        let (s, v) = fill(
            &owner_ext,
            &local,
            "http://127.0.0.1:8091/login",
            "credentials",
            0,
        )
        .await;
        assert_code(s, &v, StatusCode::FORBIDDEN, "autofill.origin_mismatch");
    }
}

pub(crate) fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn autofill_totp_code_is_fresh_unused_and_in_the_ledger() {
    for t in TestApp::all("autofill_totp").await {
        let tm = team(&t).await;
        let id = &tm.id;
        tm.owner.step_up("owner-password-1").await;
        let (s, v) = put(
            &tm.owner,
            &format!("/accounts/{id}/totp"),
            &json!({"secret": "JBSWY3DPEHPK3PXP"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, v) = tm.owner.confirm_totp(id).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        // The clock starts on a step boundary: 30 s left, no wait.
        let before = t.clock.now();
        let (s, first) = fill(&tm.collab_ext, id, IG_LOGIN, "code", 0).await;
        assert_eq!(s, StatusCode::OK, "{}: {first}", t.backend);
        assert_eq!(first["source"], "totp");
        assert_eq!(
            first["code"].as_str().unwrap(),
            crate::otp::oathtool(&t, &["--totp"], "JBSWY3DPEHPK3PXP", 0)
        );
        assert_eq!(t.clock.now(), before);
        // That step is now used: without waiting, no code.
        let (s, v) = fill(&tm.collab_ext, id, IG_LOGIN, "code", 0).await;
        assert_code(s, &v, StatusCode::CONFLICT, "autofill.code_used");
        // Waiting gives the next step's code (the fake clock moves instead).
        let (s, second) = fill(&tm.collab_ext, id, IG_LOGIN, "code", 60).await;
        assert_eq!(s, StatusCode::OK, "{second}");
        assert_eq!(t.clock.now().0 - before.0, 30_000);
        assert_eq!(
            second["code"].as_str().unwrap(),
            crate::otp::oathtool(&t, &["--totp"], "JBSWY3DPEHPK3PXP", 0)
        );
        assert_ne!(first["code"], second["code"]);
        // A code a person marked used is never filled either.
        t.clock.advance_secs(30);
        let (_, view) = tm
            .owner
            .get(&format!("/accounts/{id}/totp/code?via=view"))
            .await;
        let step = view["step"].as_i64().unwrap();
        let (s, v) = tm
            .owner
            .post(&format!("/accounts/{id}/totp/used"), &json!({"step": step}))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, v) = fill(&tm.collab_ext, id, IG_LOGIN, "code", 0).await;
        assert_code(s, &v, StatusCode::CONFLICT, "autofill.code_used");
        // The ledger says who got which step, as autofill.
        let (s, ledger) = tm.owner.get(&format!("/accounts/{id}/totp/ledger")).await;
        assert_eq!(s, StatusCode::OK, "{ledger}");
        let autofills: Vec<&Value> = ledger
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["how"] == "autofill")
            .collect();
        assert_eq!(autofills.len(), 2, "{ledger}");
        assert!(autofills.iter().all(|e| e["by"] == "intern@acme.test"));
        let codes = tm.owner.audit("account.autofill").await;
        assert!(
            codes
                .iter()
                .all(|e| e["detail"]["step"] == "code" && e["detail"]["source"] == "totp")
        );
        // The origin rule holds for codes too.
        let (s, v) = fill(
            &tm.collab_ext,
            id,
            "https://instagram.com.evil.test/",
            "code",
            0,
        )
        .await;
        assert_code(s, &v, StatusCode::FORBIDDEN, "autofill.origin_mismatch");
    }
}

fn verdict(flagged: bool) -> SenderAuth {
    SenderAuth {
        dkim: DkimVerdict::Pass,
        dkim_domains: vec!["instagram.com".into()],
        dmarc: if flagged {
            DmarcVerdict::Fail
        } else {
            DmarcVerdict::Pass
        },
        from_domain: "mail.instagram.com".into(),
        flagged,
        reason: flagged.then(|| "DMARC failed".to_owned()),
    }
}

fn mail(id: &str, code: &str) -> Vec<u8> {
    format!(
        "From: Instagram <security@mail.instagram.com>\r\nTo: brand@acme.test\r\nSubject: Your code\r\nMessage-ID: <{id}@x>\r\n\r\nYour Instagram code is {code}.\r\n"
    )
    .into_bytes()
}

#[tokio::test]
async fn autofill_inbox_code_is_the_next_verified_message() {
    for t in TestApp::all("autofill_inbox").await {
        let tm = team(&t).await;
        let id = &tm.id;
        let address = tm.owner.managed_address(id).await;
        let (s, v) = fill(&tm.collab_ext, id, IG_LOGIN, "code", 0).await;
        assert_code(s, &v, StatusCode::NOT_FOUND, "autofill.no_code");
        // A forged message (flagged) is never filled.
        t.app
            .ingest_email(
                std::slice::from_ref(&address),
                &mail("forged", "111111"),
                Some(verdict(true)),
            )
            .await
            .unwrap();
        let (s, v) = fill(&tm.collab_ext, id, IG_LOGIN, "code", 0).await;
        assert_code(s, &v, StatusCode::NOT_FOUND, "autofill.no_code");
        t.clock.advance_secs(1);
        t.app
            .ingest_email(
                std::slice::from_ref(&address),
                &mail("real-1", "424242"),
                Some(verdict(false)),
            )
            .await
            .unwrap();
        let (s, v) = fill(&tm.collab_ext, id, IG_LOGIN, "code", 0).await;
        assert_eq!(s, StatusCode::OK, "{}: {v}", t.backend);
        assert_eq!(
            (v["code"].as_str(), v["source"].as_str()),
            (Some("424242"), Some("inbox"))
        );
        // It is used now: the next fill waits for the next message.
        let (s, v) = fill(&tm.collab_ext, id, IG_LOGIN, "code", 0).await;
        assert_code(s, &v, StatusCode::NOT_FOUND, "autofill.no_code");
        let (s, inbox) = tm.owner.get(&format!("/inbox?account_id={id}")).await;
        assert_eq!(s, StatusCode::OK);
        let used = inbox
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["code"] == "424242")
            .unwrap();
        assert!(used["used_at"].is_string(), "{used}");
        // A message arriving while the extension waits is filled.
        let app = t.app.clone();
        let address2 = address.clone();
        let clock = t.clock.clone();
        let later = tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            clock.advance_secs(1);
            app.ingest_email(
                std::slice::from_ref(&address2),
                &mail("real-2", "515151"),
                Some(verdict(false)),
            )
            .await
            .unwrap();
        });
        let (s, v) = fill(&tm.collab_ext, id, IG_LOGIN, "code", 5).await;
        later.await.unwrap();
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::OK, Some("515151")),
            "{v}"
        );
    }
}

#[tokio::test]
async fn a_collaborators_autofill_login_queues_a_rotation_hours_later() {
    for t in TestApp::all("autofill_rotation").await {
        let tm = team(&t).await;
        let id = &tm.id;
        let path = format!("/accounts/{id}/rotation");
        let (s, v) = put(
            &tm.owner,
            &path,
            &json!({"every_days": null, "after_autofill_hours": 0}),
        )
        .await;
        assert_code(
            s,
            &v,
            StatusCode::BAD_REQUEST,
            "rotation.after_autofill_hours",
        );
        let (s, v) = put(
            &tm.owner,
            &path,
            &json!({"every_days": null, "after_autofill_hours": 2}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(
            (v["after_autofill_hours"].as_i64(), v["next_at"].is_null()),
            (Some(2), true)
        );
        // The Owner filling (they may see the password anyway) changes nothing.
        let owner_ext = extension_login(&t, "owner@acme.test", "owner-password-1").await;
        assert_eq!(
            fill(&owner_ext, id, IG_LOGIN, "credentials", 0).await.0,
            StatusCode::OK
        );
        assert!(tm.owner.get(&path).await.1["next_at"].is_null());
        // A Collaborator's login through the extension: due in two hours.
        t.clock.advance_secs(60);
        let filled_at = t.clock.now();
        assert_eq!(
            fill(&tm.collab_ext, id, IG_LOGIN, "credentials", 0).await.0,
            StatusCode::OK
        );
        let (_, v) = tm.owner.get(&path).await;
        assert_eq!(
            v["next_at"].as_str().unwrap(),
            filled_at.plus_seconds(7200).to_rfc3339()
        );
        // A later fill does not push it back.
        t.clock.advance_secs(600);
        assert_eq!(
            fill(&tm.collab_ext, id, IG_LOGIN, "credentials", 0).await.0,
            StatusCode::OK
        );
        assert_eq!(
            tm.owner.get(&path).await.1["next_at"].as_str().unwrap(),
            filled_at.plus_seconds(7200).to_rfc3339()
        );
        assert_eq!(t.app.run_due_rotations().await.unwrap(), 0, "not due yet");
        t.clock.advance_secs(7200);
        assert_eq!(t.app.run_due_rotations().await.unwrap(), 1, "{}", t.backend);
        assert_eq!(t.app.run_due_rotations().await.unwrap(), 0, "queued once");
        let (s, jobs) = tm.owner.get(&format!("/jobs?account_id={id}")).await;
        assert_eq!(s, StatusCode::OK);
        let rotations: Vec<&Value> = jobs
            .as_array()
            .unwrap()
            .iter()
            .filter(|j| j["kind"] == "rotate_password")
            .collect();
        assert_eq!(rotations.len(), 1, "{jobs}");
        assert_eq!(rotations[0]["state"], "queued");
        // While it is pending, another Collaborator login schedules nothing more.
        assert_eq!(
            fill(&tm.collab_ext, id, IG_LOGIN, "credentials", 0).await.0,
            StatusCode::OK
        );
        assert!(tm.owner.get(&path).await.1["next_at"].is_null());
    }
}

#[tokio::test]
async fn concurrent_autofills_share_commits_and_keep_the_audit_chain_intact() {
    for t in TestApp::all("autofill_chain").await {
        let tm = team(&t).await;
        let mut tasks = Vec::new();
        for i in 0..24 {
            let (c, id) = (tm.collab_ext.clone(), tm.id.clone());
            tasks.push(tokio::spawn(async move {
                // A third of them from a look-alike page: refusals are
                // batched with the fills.
                let page = if i % 3 == 0 {
                    "https://evilinstagram.com/"
                } else {
                    IG_LOGIN
                };
                fill(&c, &id, page, "credentials", 0).await.0
            }));
        }
        let mut ok = 0;
        for task in tasks {
            match task.await.unwrap() {
                StatusCode::OK => ok += 1,
                s => assert_eq!(s, StatusCode::FORBIDDEN),
            }
        }
        assert_eq!(ok, 16);
        assert_eq!(tm.owner.audit("account.autofill").await.len(), 16);
        assert_eq!(tm.owner.audit("account.autofill_refused").await.len(), 8);
        let v = t.app.verify_audit().await.unwrap();
        assert!(v.ok(), "{}: {:?}", t.backend, v.problems);
    }
}
