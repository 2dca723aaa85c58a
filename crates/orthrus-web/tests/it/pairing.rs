//! Pairing the browser extension (issue 12): extension sessions listed with
//! their browser and revocable, pairing by number matching, signing in and
//! pairing from the extension's own origin but not from web pages, and
//! which session may approve a device step-up.

use crate::autofill::{IG_LOGIN, extension_login, fill, team};
use crate::support::*;
use orthrus_core::Clock;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn extension_sessions_are_listed_with_their_browser_and_revocable() {
    for t in TestApp::all("autofill_sessions").await {
        let tm = team(&t).await;
        let (s, sessions) = tm.collab.get("/me/sessions").await;
        assert_eq!(s, StatusCode::OK);
        let ext: Vec<&Value> = sessions
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["kind"] == "extension")
            .collect();
        assert_eq!(ext.len(), 1, "{sessions}");
        assert_eq!(ext[0]["user_agent"], "Chromium 131 (test)");
        // Expires like a bearer session (30 days by default).
        let expires =
            orthrus_core::Timestamp::parse_rfc3339(ext[0]["expires_at"].as_str().unwrap()).unwrap();
        assert_eq!(expires.0 - t.clock.now().0, 30 * 86_400_000);
        // The My security page shows it.
        let page = t
            .browser("intern@acme.test", "member-password-1")
            .await
            .html("/security")
            .await;
        assert!(page.contains("Chromium 131 (test)") && page.contains("extension"));
        // The extension session confirms identity through the approval on
        // another device (here the CLI session of the same user).
        let (s, req) = tm.collab_ext.ask_device().await;
        assert_eq!(s, StatusCode::OK, "{req}");
        let rid = req["id"].as_str().unwrap().to_owned();
        let (_, v) = tm.collab.pick(&rid, &req["number"]).await;
        assert_eq!(v["status"], "approved", "{v}");
        let (s, st) = tm
            .collab_ext
            .post(&format!("/auth/step-up/device/{rid}"), &json!({}))
            .await;
        assert_status(s, &st, StatusCode::OK, "used");
        let (_, me) = tm.collab_ext.get("/me").await;
        assert!(me["elevated_until"].is_string(), "{me}");
        // Revoked from another session: the extension is signed out.
        let sid = ext[0]["id"].as_str().unwrap();
        let (s, _) = tm.collab.delete(&format!("/me/sessions/{sid}")).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, v) = fill(&tm.collab_ext, &tm.id, IG_LOGIN, "credentials", 0).await;
        assert_code(s, &v, StatusCode::UNAUTHORIZED, "auth.required");
    }
}

async fn start_pairing(t: &TestApp, browser: &str) -> Value {
    let (s, v) = t
        .anon()
        .post("/extension/pairings", &json!({"browser": browser}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

async fn claim(t: &TestApp, p: &Value) -> (StatusCode, Value) {
    t.anon()
        .post(
            &format!("/extension/pairings/{}/token", p["id"].as_str().unwrap()),
            &json!({"secret": p["secret"]}),
        )
        .await
}

/// Where the connect page posts a pick for pairing `p`.
fn pick_path(p: &Value) -> String {
    format!("/extension/connect/{}", p["id"].as_str().unwrap())
}

/// Picks `number` on the approval page as the signed-in browser `b`, with
/// the user's password (approving takes a fresh identity check).
async fn pick(b: &Browser, p: &Value, number: i64) -> String {
    pick_with(b, p, number, "member-password-1").await
}

/// A pick on the connect page with `password`: the page it answers with.
async fn pick_with(b: &Browser, p: &Value, number: i64, password: &str) -> String {
    let r = sent(b.request(Method::POST, &pick_path(p)).form(&[
        ("number", number.to_string()),
        ("_csrf", b.csrf.clone()),
        ("password", password.to_owned()),
    ]))
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    r.text().await.unwrap()
}

#[tokio::test]
async fn extension_pairing_by_number_matching() {
    for t in TestApp::all("autofill_pairing").await {
        let tm = team(&t).await;
        let p = start_pairing(&t, "Firefox 133 (test)").await;
        let number = p["number"].as_i64().unwrap();
        assert!((10..=99).contains(&number), "{p}");
        assert_eq!(
            p["approve_url"].as_str().unwrap(),
            format!(
                "{}/extension/connect?id={}",
                t.url,
                p["id"].as_str().unwrap()
            )
        );
        assert!(p["secret"].as_str().unwrap().len() >= 43);
        // Nobody approved yet.
        let (s, v) = claim(&t, &p).await;
        assert_status(s, &v, StatusCode::ACCEPTED, "pending");
        let (s, v) = t
            .anon()
            .post(
                &format!("/extension/pairings/{}/token", p["id"].as_str().unwrap()),
                &json!({"secret": "orp_wrong"}),
            )
            .await;
        assert_code(s, &v, StatusCode::NOT_FOUND, "pairing.not_found");
        // Not signed in yet: the sign-in page brings them back to it (and
        // only to such a page).
        let connect_path = format!("/extension/connect?id={}", p["id"].as_str().unwrap());
        let r = sent(t.http.get(p["approve_url"].as_str().unwrap())).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let to = location(&r);
        assert_eq!(
            to,
            format!(
                "/login?next={}",
                connect_path.replace('?', "%3F").replace('=', "%3D")
            )
        );
        let login_page = t.page(&to).await;
        assert!(
            login_page.contains(&format!("name=\"next\" value=\"{connect_path}\"")),
            "{login_page}"
        );
        let sign_in_then = |next: &str| {
            sent(t.request(Method::POST, "/login").form(&[
                ("email", "intern@acme.test"),
                ("password", "member-password-1"),
                ("next", next),
            ]))
        };
        let r = sign_in_then(&connect_path).await;
        assert_eq!(location(&r), connect_path);
        let r = sign_in_then("https://evil.test/").await;
        assert_eq!(location(&r), "/", "no open redirect");
        // The signed-in Collaborator sees the request and three numbers.
        let b = t.browser("intern@acme.test", "member-password-1").await;
        let page = text_of(
            t.http
                .get(p["approve_url"].as_str().unwrap())
                .header("cookie", &b.cookie),
        )
        .await;
        assert!(page.contains("Connect Firefox 133 (test)?"), "{page}");
        assert_eq!(page.matches("name=\"number\"").count(), 3);
        assert!(page.contains(&format!("value=\"{number}\"")));
        // A pick without the CSRF token changes nothing.
        let r = sent(
            b.request(Method::POST, &pick_path(&p))
                .form(&[("number", number.to_string())]),
        )
        .await;
        assert_ne!(r.status(), StatusCode::OK);
        assert_eq!(claim(&t, &p).await.0, StatusCode::ACCEPTED);
        // The right number without the password, or with a wrong one, asks
        // again: a stolen session must not mint another (found by review).
        for password in ["", "not-my-password"] {
            let page = pick_with(&b, &p, number, password).await;
            assert!(!page.contains("Connected"), "{page}");
            assert!(page.contains("name=\"password\""), "{page}");
            assert_eq!(claim(&t, &p).await.0, StatusCode::ACCEPTED);
        }
        // The right number connects it, once.
        let done = pick(&b, &p, number).await;
        assert!(done.contains("Connected"), "{done}");
        let (s, v) = claim(&t, &p).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let ext = Client {
            base: t.url.clone(),
            http: t.http.clone(),
            token: Some(v["token"].as_str().unwrap().to_owned()),
            user_id: String::new(),
        };
        let (s, me) = ext.get("/me").await;
        assert_eq!(
            (s, me["email"].as_str()),
            (StatusCode::OK, Some("intern@acme.test"))
        );
        let (s, v) = fill(&ext, &tm.id, IG_LOGIN, "credentials", 0).await;
        assert_eq!(
            (s, v["password"].as_str()),
            (StatusCode::OK, Some("ig-password")),
            "an extension session"
        );
        let (s, v) = claim(&t, &p).await;
        assert_eq!(
            (s, code(&v)),
            (StatusCode::GONE, "pairing.expired"),
            "a second claim is refused"
        );
        let approved = tm.owner.audit("extension.pairing_approved").await;
        assert_eq!(approved.len(), 1);
        assert_eq!(approved[0]["actor_email"], "intern@acme.test");
        // A wrong number denies it.
        let p2 = start_pairing(&t, "Edge (test)").await;
        let n2 = p2["number"].as_i64().unwrap();
        let wrong = if n2 == 99 { 10 } else { n2 + 1 };
        let page = pick(&b, &p2, wrong).await;
        assert!(page.contains("refused"), "{page}");
        let (s, v) = claim(&t, &p2).await;
        assert_code(s, &v, StatusCode::FORBIDDEN, "pairing.denied");
        // ...for good: the right number afterwards changes nothing.
        let page = pick(&b, &p2, n2).await;
        assert!(!page.contains("Connected"), "{page}");
        assert_eq!(claim(&t, &p2).await.0, StatusCode::FORBIDDEN);
        let denied = tm.owner.audit("extension.pairing_denied").await;
        assert_eq!(
            (denied.len(), denied[0]["outcome"].as_str()),
            (1, Some("denied"))
        );
        // Five minutes without a pick: expired.
        let p3 = start_pairing(&t, "Brave (test)").await;
        t.clock.advance_secs(301);
        let (s, v) = claim(&t, &p3).await;
        assert_code(s, &v, StatusCode::GONE, "pairing.expired");
        let page = pick(&b, &p3, p3["number"].as_i64().unwrap()).await;
        assert!(page.contains("expired"), "{page}");
        assert_eq!(claim(&t, &p3).await.0, StatusCode::GONE);
        let (s, v) = t
            .anon()
            .post(
                "/extension/pairings/not-an-id/token",
                &json!({"secret": "x"}),
            )
            .await;
        assert_code(s, &v, StatusCode::NOT_FOUND, "pairing.not_found");
        // One address cannot flood the table.
        t.clock.advance_secs(601);
        for _ in 0..10 {
            start_pairing(&t, "flood").await;
        }
        let (s, v) = t
            .anon()
            .post("/extension/pairings", &json!({"browser": "flood"}))
            .await;
        assert_code(s, &v, StatusCode::TOO_MANY_REQUESTS, "pairing.throttled");
    }
}

#[tokio::test]
async fn the_extension_signs_in_and_pairs_from_its_own_origin_but_web_pages_do_not() {
    for t in TestApp::all("autofill_origin").await {
        let _tm = team(&t).await;
        let login = |origin: &'static str, cookie: Option<String>| {
            let (http, url) = (t.http.clone(), format!("{}/api/v1/auth/login", t.url));
            async move {
                let mut r = http
                    .post(url)
                    .header("origin", origin)
                    .json(&json!({"email": "intern@acme.test", "password": "member-password-1", "client": "extension"}));
                if let Some(c) = cookie {
                    r = r.header("cookie", c);
                }
                r.send().await.unwrap().status()
            }
        };
        assert_eq!(
            login("chrome-extension://abcdefghijklmnop", None).await,
            StatusCode::OK
        );
        assert_eq!(
            login("moz-extension://0b9c6d3e-1f2a", None).await,
            StatusCode::OK
        );
        assert_eq!(
            login("https://evil.test", None).await,
            StatusCode::BAD_REQUEST
        );
        // With a browser's session cookie along, the usual checks apply.
        let (cookie, _) = t
            .browser_login("intern@acme.test", "member-password-1")
            .await;
        assert_eq!(
            login("chrome-extension://abcdefghijklmnop", Some(cookie)).await,
            StatusCode::BAD_REQUEST
        );
        let pair_from = |origin: &'static str| {
            sent(
                t.request(Method::POST, "/api/v1/extension/pairings")
                    .header("origin", origin)
                    .json(&json!({"browser": "Chromium"})),
            )
        };
        let r = pair_from("chrome-extension://abcdefghijklmnop").await;
        assert_eq!(r.status(), StatusCode::OK);
        let r = pair_from("https://evil.test").await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    }
}

/// A stolen session must not mint a second one and approve its own step-up
/// with it (found by review): an extension session, or one signed in after
/// the request, cannot approve a device step-up.
#[tokio::test]
async fn only_an_earlier_non_extension_session_approves_a_device_step_up() {
    for t in TestApp::all("autofill_devicetrust").await {
        let owner = t.owner().await;
        let laptop = t.login("owner@acme.test", "owner-password-1").await;
        let (s, req) = laptop.ask_device().await;
        assert_eq!(s, StatusCode::OK, "{req}");
        let rid = req["id"].as_str().unwrap().to_owned();
        let approve = json!({"number": req["number"]});
        let ext = extension_login(&t, "owner@acme.test", "owner-password-1").await;
        let (s, v) = ext.post(&format!("/me/approvals/{rid}"), &approve).await;
        assert_code(
            s,
            &v,
            StatusCode::BAD_REQUEST,
            "approval.device_not_trusted",
        );
        t.clock.advance_secs(1);
        let later = t.login("owner@acme.test", "owner-password-1").await;
        let (s, v) = later.post(&format!("/me/approvals/{rid}"), &approve).await;
        assert_code(
            s,
            &v,
            StatusCode::BAD_REQUEST,
            "approval.device_not_trusted",
        );
        // The session the user had before the request may.
        let (s, v) = owner.post(&format!("/me/approvals/{rid}"), &approve).await;
        assert_status(s, &v, StatusCode::OK, "approved");
    }
}
