//! The server-rendered UI over HTTP: first-run setup, cookie sign-in, CSRF,
//! adding an account, and reveal behind "Confirm your identity".

use crate::support::*;
use reqwest::StatusCode;

pub(crate) fn session_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            c.strip_prefix("orthrus_session=")
                .map(|rest| rest.split(';').next().unwrap_or("").to_owned())
        })
}

fn csrf_of(html: &str) -> String {
    let i = html.find("name=\"_csrf\" value=\"").expect("a CSRF field") + 20;
    html[i..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn first_run_setup_sign_in_add_account_and_reveal() {
    let t = TestApp::sqlite().await;
    let web = orthrus_web::WebState::new(
        t.app.clone(),
        orthrus_web::WebConfig {
            public_url: t.url.clone(),
            ..Default::default()
        },
    );
    // The served router has its own state; ask the app directly whether setup is needed.
    assert!(t.app.setup_needed().await.unwrap());
    let link = web.prepare_setup().await.unwrap().unwrap();
    assert!(link.starts_with(&t.url) && link.contains("/setup?token=setup_"));
    // Without the right token the setup page refuses.
    let r = t
        .http
        .get(format!("{}/setup?token=wrong", t.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("setup link is not valid"));
    // Sign-in page before setup explains what to do.
    let body = t
        .http
        .get(format!("{}/login", t.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("not set up yet"));

    // Set up through the app, then sign in through the form.
    t.app
        .bootstrap(
            "Acme",
            "owner@acme.test",
            "Olivia",
            "owner-password-1",
            "127.0.0.1",
        )
        .await
        .unwrap();
    let r = t
        .http
        .get(format!("{}/setup?token=anything", t.url))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "setup done: to the sign-in page"
    );
    let r = t
        .http
        .post(format!("{}/login", t.url))
        .form(&[("email", "owner@acme.test"), ("password", "wrong-password")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.unwrap().contains("not correct"));
    // A stale cookie from a revoked session does not lock anyone out.
    let r = t
        .http
        .post(format!("{}/login", t.url))
        .header("cookie", "orthrus_session=ors_revoked")
        .form(&[
            ("email", "owner@acme.test"),
            ("password", "owner-password-1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let set_cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"),
        "{set_cookie}"
    );
    let cookie = format!("orthrus_session={}", session_cookie(&r).unwrap());

    // Unauthenticated pages redirect to sign-in.
    let r = t.http.get(format!("{}/", t.url)).send().await.unwrap();
    assert_eq!(
        (r.status(), r.headers()["location"].to_str().unwrap()),
        (StatusCode::SEE_OTHER, "/login")
    );

    // The empty accounts page, with the strict CSP.
    let r = t
        .http
        .get(format!("{}/", t.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
    let html = r.text().await.unwrap();
    assert!(html.contains("No accounts yet"));
    let csrf = csrf_of(&html);

    // A form without the CSRF token, or from another origin, is refused.
    let form = [
        ("app", "instagram"),
        ("label", "Brand IG"),
        ("login_url", "https://www.instagram.com/"),
        ("username", "brand"),
        ("password", "ui-secret-pw"),
        ("notes", ""),
    ];
    let r = t
        .http
        .post(format!("{}/accounts/new", t.url))
        .header("cookie", &cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let mut with_csrf = form.to_vec();
    with_csrf.push(("_csrf", &csrf));
    let r = t
        .http
        .post(format!("{}/accounts/new", t.url))
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .form(&with_csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = t
        .http
        .post(format!("{}/accounts/new", t.url))
        .header("cookie", &cookie)
        .form(&with_csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let account_url = r.headers()["location"].to_str().unwrap().to_owned();
    let id = account_url.trim_start_matches("/accounts/").to_owned();

    let html = t
        .http
        .get(format!("{}/", t.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Brand IG") && html.contains("/assets/icons/instagram.svg"));
    let html = t
        .http
        .get(format!("{}{account_url}", t.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Reveal") && !html.contains("ui-secret-pw"));

    // Reveal through htmx: first the identity check, then the password.
    let reveal = |path: String| {
        t.http
            .post(format!("{}{path}", t.url))
            .header("cookie", &cookie)
            .header("hx-request", "true")
            .header("x-csrf-token", &csrf)
    };
    let dialog = reveal(format!("/accounts/{id}/reveal"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        dialog.contains("Confirm your identity") && !dialog.contains("ui-secret-pw"),
        "{dialog}"
    );
    let wrong = reveal(format!("/step-up?then=reveal:{id}"))
        .form(&[("password", "not-my-password")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(wrong.contains("not correct") && !wrong.contains("ui-secret-pw"));
    let shown = reveal(format!("/step-up?then=reveal:{id}"))
        .form(&[("password", "owner-password-1")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(shown.contains("ui-secret-pw"), "{shown}");
    let copied = reveal(format!("/accounts/{id}/copy"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(copied.contains("data-copy-now=\"ui-secret-pw\""));
    // A bad CSRF header on an htmx request is refused.
    let r = t
        .http
        .post(format!("{}/accounts/{id}/reveal", t.url))
        .header("cookie", &cookie)
        .header("x-csrf-token", "forged")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // Custom fields and the password generator in the add form.
    let generator = t
        .http
        .post(format!("{}/ui/generate-password", t.url))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let generated = generator
        .split("value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    assert_eq!(generated.chars().count(), 20, "{generator}");
    let row = t
        .http
        .get(format!("{}/ui/field-row", t.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(row.contains("name=\"field_name\""));
    let fields_form = [
        ("_csrf", csrf.as_str()),
        ("app", "tiktok"),
        ("label", "Ads"),
        ("password", generated.as_str()),
        ("field_name", "Region"),
        ("field_value", "EU-West"),
        ("field_name", "Billing PIN"),
        ("field_value", "9912"),
        ("field_secret", "on"),
        ("field_name", ""),
        ("field_value", ""),
    ];
    let r = t
        .http
        .post(format!("{}/accounts/new", t.url))
        .header("cookie", &cookie)
        .form(&fields_form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let ads = r.headers()["location"].to_str().unwrap().to_owned();
    let html = t
        .http
        .get(format!("{}{ads}", t.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Region") && html.contains("EU-West") && html.contains("Billing PIN"));
    assert!(!html.contains("9912"), "secret field values stay hidden");
    // A bad form keeps what was typed (except secrets) and says what is wrong.
    let bad = [
        ("_csrf", csrf.as_str()),
        ("app", "github"),
        ("label", ""),
        ("password", "x"),
        ("field_name", "Org"),
        ("field_value", "acme-inc"),
    ];
    let html = t
        .http
        .post(format!("{}/accounts/new", t.url))
        .header("cookie", &cookie)
        .form(&bad)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("give the account a label") && html.contains("acme-inc"),
        "{html}"
    );

    // Pages for admins and the security page render.
    for page in ["/users", "/audit", "/security", "/accounts/new"] {
        let r = t
            .http
            .get(format!("{}{page}", t.url))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{page}");
    }
    let audit = t
        .http
        .get(format!("{}/audit", t.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(audit.contains("account.password_reveal") && audit.contains("account.password_copy"));
    // Assets are embedded.
    for a in [
        "/assets/app.css",
        "/assets/app.js",
        "/assets/htmx.min.js",
        "/assets/icons/tiktok.svg",
    ] {
        assert_eq!(
            t.http
                .get(format!("{}{a}", t.url))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::OK,
            "{a}"
        );
    }
    // Sign out ends the session.
    let r = t
        .http
        .post(format!("{}/logout", t.url))
        .header("cookie", &cookie)
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = t
        .http
        .get(format!("{}/", t.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn reveal_approved_on_another_device_in_the_ui() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let id = owner.account("Brand IG", "approved-pw").await;
    let sign_in = || async {
        let r = t
            .http
            .post(format!("{}/login", t.url))
            .form(&[
                ("email", "owner@acme.test"),
                ("password", "owner-password-1"),
            ])
            .send()
            .await
            .unwrap();
        let cookie = session_cookie(&r).unwrap();
        let csrf = t.app.csrf_token(&cookie);
        (format!("orthrus_session={cookie}"), csrf)
    };
    let (laptop, laptop_csrf) = sign_in().await;
    let (phone, phone_csrf) = sign_in().await;
    let hx = |req: reqwest::RequestBuilder, cookie: &str, csrf: &str| {
        req.header("cookie", cookie)
            .header("hx-request", "true")
            .header("x-csrf-token", csrf)
    };
    let dialog = hx(
        t.http.post(format!("{}/accounts/{id}/reveal", t.url)),
        &laptop,
        &laptop_csrf,
    )
    .send()
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert!(dialog.contains("Approve on my other device"));
    let wait = hx(
        t.http
            .post(format!("{}/ui/step-up/device?then=reveal:{id}", t.url)),
        &laptop,
        &laptop_csrf,
    )
    .send()
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    let number = wait
        .split("id=\"device-number\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let poll_path = wait
        .split("hx-get=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    // Still waiting: the dialog stays.
    let r = hx(
        t.http.get(format!("{}{poll_path}", t.url)),
        &laptop,
        &laptop_csrf,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    // The phone sees the prompt and picks the number.
    let prompt = hx(
        t.http.get(format!("{}/ui/approvals", t.url)),
        &phone,
        &phone_csrf,
    )
    .send()
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert!(
        prompt.contains("Is this you?") && prompt.contains(&format!("\"number\": \"{number}\"")),
        "{prompt}"
    );
    let approvals_path = prompt
        .split("hx-post=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let done = hx(
        t.http.post(format!("{}{approvals_path}", t.url)),
        &phone,
        &phone_csrf,
    )
    .form(&[("number", number.as_str())])
    .send()
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert!(done.contains("Approved"), "{done}");
    // The laptop's next poll (a GET) only reads the status: no password, but
    // a POST to complete the approval.
    let polled = hx(
        t.http.get(format!("{}{poll_path}", t.url)),
        &laptop,
        &laptop_csrf,
    )
    .send()
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert!(!polled.contains("approved-pw"), "{polled}");
    let complete_path = polled
        .split("hx-post=\"")
        .find(|p| p.starts_with("/ui/step-up/device/"))
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    // Without the CSRF token the POST is refused and uses nothing up.
    let r = t
        .http
        .post(format!("{}{complete_path}", t.url))
        .header("cookie", &laptop)
        .header("hx-request", "true")
        .send()
        .await
        .unwrap();
    assert!(!r.text().await.unwrap().contains("approved-pw"));
    let shown = hx(
        t.http.post(format!("{}{complete_path}", t.url)),
        &laptop,
        &laptop_csrf,
    )
    .send()
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert!(shown.contains("approved-pw"), "{shown}");
    // Used once: completing it again is refused.
    let again = hx(
        t.http.post(format!("{}{complete_path}", t.url)),
        &laptop,
        &laptop_csrf,
    )
    .send()
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert!(
        again.contains("used already") && !again.contains("approved-pw"),
        "{again}"
    );
    // The laptop itself is not asked to approve its own request.
    let none = hx(
        t.http.get(format!("{}/ui/approvals", t.url)),
        &laptop,
        &laptop_csrf,
    )
    .send()
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert!(!none.contains("Is this you?"));
}

/// A signed-in page's HTML, as a browser gets it.
async fn html_of(t: &TestApp, cookie: &str, path: &str) -> String {
    t.http
        .get(format!("{}{path}", t.url))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn setup_says_the_workspace_exists_and_how_to_back_up_the_master_key() {
    let t = TestApp::sqlite().await;
    // A router of our own, which knows where the master key file is.
    let web = orthrus_web::WebState::new(
        t.app.clone(),
        orthrus_web::WebConfig {
            public_url: t.url.clone(),
            master_key_file: Some("/srv/orthrus-data/master.key".into()),
            ..Default::default()
        },
    );
    let link = web.prepare_setup().await.unwrap().unwrap();
    let token = link.split("token=").nth(1).unwrap().to_owned();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = orthrus_web::router(web);
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let r = t
        .http
        .post(format!("{url}/setup"))
        .form(&[
            ("token", token.as_str()),
            ("workspace", "Acme Marketing"),
            ("name", "Olivia"),
            ("email", "owner@acme.test"),
            ("password", "owner-password-1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/welcome");
    let cookie = format!("orthrus_session={}", session_cookie(&r).unwrap());
    let html = t
        .http
        .get(format!("{url}/welcome"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Workspace Acme Marketing is ready"), "{html}");
    assert!(html.contains("Back up the master key"), "{html}");
    assert!(
        html.contains("cat /srv/orthrus-data/master.key"),
        "the command to back it up: {html}"
    );
    // Someone who does not run the workspace is not shown it.
    let owner = t.login("owner@acme.test", "owner-password-1").await;
    t.user(&owner, "user@acme.test", "user").await;
    let (user, _) = t.browser_login("user@acme.test", "member-password-1").await;
    let r = t
        .http
        .get(format!("{url}/welcome"))
        .header("cookie", &user)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

/// An htmx request of a signed-in browser: the session cookie and the CSRF
/// token.
fn hx_req(req: reqwest::RequestBuilder, cookie: &str, csrf: &str) -> reqwest::RequestBuilder {
    req.header("cookie", cookie)
        .header("hx-request", "true")
        .header("x-csrf-token", csrf)
}

async fn text_of(req: reqwest::RequestBuilder) -> String {
    req.send().await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn guard_rails_confirmations_copy_and_own_rows() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let id = owner.account("Brand", "pw-1").await;
    let member = t.user(&owner, "mia@acme.test", "user").await;
    let (s, v) = owner
        .post(
            &format!("/accounts/{id}/members"),
            &serde_json::json!({"user_id": member.user_id, "role": "collaborator"}),
        )
        .await;
    assert!(s.is_success(), "{v}");
    let (cookie, csrf) = t.browser_login("owner@acme.test", "owner-password-1").await;

    // Removing a member asks first.
    let page = html_of(&t, &cookie, &format!("/accounts/{id}")).await;
    let remove = page
        .split("/remove\"")
        .nth(1)
        .expect("a Remove form")
        .split("</form>")
        .next()
        .unwrap();
    assert!(
        remove.contains("data-confirm=\"Remove") && remove.contains("mia@acme.test"),
        "{remove}"
    );

    // "Use a code" asks first; the code it shows has a copy button.
    let pasted = "1111 2222\n3333 4444\n5555 6666\n";
    hx_req(
        t.http.post(format!("{}/accounts/{id}/backup/save", t.url)),
        &cookie,
        &csrf,
    )
    .form(&[("codes", pasted)])
    .send()
    .await
    .unwrap();
    let section = text_of(hx_req(
        t.http.get(format!("{}/accounts/{id}/backup", t.url)),
        &cookie,
        &csrf,
    ))
    .await;
    assert!(
        section.contains("<h2 id=\"backup-title\">Backup codes</h2>"),
        "{section}"
    );
    let use_button = section
        .split("id=\"backup-use\"")
        .nth(1)
        .unwrap()
        .split('>')
        .next()
        .unwrap();
    assert!(use_button.contains("hx-confirm=\""), "{use_button}");
    text_of(
        hx_req(
            t.http
                .post(format!("{}/step-up?then=backup-view:{id}", t.url)),
            &cookie,
            &csrf,
        )
        .form(&[("password", "owner-password-1")]),
    )
    .await;
    let used = text_of(hx_req(
        t.http.post(format!("{}/accounts/{id}/backup/use", t.url)),
        &cookie,
        &csrf,
    ))
    .await;
    assert!(
        used.contains("id=\"backup-code\">1111 2222")
            && used.contains("id=\"backup-code-copy\" data-copy=\"1111 2222\""),
        "{used}"
    );

    // Unlock and Deactivate are for other people's rows, not your own.
    let users = html_of(&t, &cookie, "/users").await;
    let own_row = users
        .split("<tr")
        .find(|r| r.contains("owner@acme.test"))
        .unwrap();
    assert!(
        !own_row.contains("/unlock") && !own_row.contains("/deactivate"),
        "{own_row}"
    );
    let mia_row = users
        .split("<tr")
        .find(|r| r.contains("mia@acme.test"))
        .unwrap();
    assert!(
        mia_row.contains("/unlock") && mia_row.contains("/deactivate"),
        "{mia_row}"
    );
}

#[tokio::test]
async fn the_requester_is_not_offered_approve_on_her_own_request() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    t.user(&owner, "second@acme.test", "super-admin").await;
    t.clock.advance_secs(8 * 24 * 3600);
    owner.step_up("owner-password-1").await;
    let (s, v) = owner
        .patch("/workspace", &serde_json::json!({"two_person_rule": true}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // The owner asks for an export: a request waits for a second person.
    let (s, _) = owner
        .post(
            "/authenticator/export",
            &serde_json::json!({"format": "otpauth"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (cookie, csrf) = t.browser_login("owner@acme.test", "owner-password-1").await;
    let panel = text_of(hx_req(
        t.http.get(format!("{}/ui/dual", t.url)),
        &cookie,
        &csrf,
    ))
    .await;
    assert!(panel.contains("export every authenticator seed"), "{panel}");
    assert!(
        !panel.contains(">Approve<") && !panel.contains("approve=1"),
        "{panel}"
    );
    assert!(panel.contains("Your request"), "{panel}");
    // The server refuses it anyway.
    let (_, list) = owner.get("/dual-approvals").await;
    let rid = list[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(list[0]["mine"], true, "{list}");
    owner.step_up("owner-password-1").await;
    let (s, v) = owner
        .post(
            &format!("/dual-approvals/{rid}"),
            &serde_json::json!({"approve": true}),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::BAD_REQUEST, "approval.own_request"),
        "{v}"
    );
    // The second person is offered it.
    let (cookie2, csrf2) = t
        .browser_login("second@acme.test", "member-password-1")
        .await;
    let panel = text_of(hx_req(
        t.http.get(format!("{}/ui/dual", t.url)),
        &cookie2,
        &csrf2,
    ))
    .await;
    assert!(panel.contains(">Approve<"), "{panel}");
}

#[tokio::test]
async fn done_refreshes_the_code_row_and_the_copy_is_plain() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let id = owner.account("Brand", "pw-1").await;
    let (cookie, csrf) = t.browser_login("owner@acme.test", "owner-password-1").await;
    // The heading says what the list shows; the copy names nobody.
    let home = html_of(&t, &cookie, "/").await;
    assert!(home.contains("<h1>Your accounts</h1>"), "{home}");
    let all = html_of(&t, &cookie, "/?scope=all").await;
    assert!(all.contains("<h1>All accounts</h1>"), "{all}");
    let section = text_of(hx_req(
        t.http.get(format!("{}/accounts/{id}/mfa", t.url)),
        &cookie,
        &csrf,
    ))
    .await;
    assert!(!section.contains("Kathy"), "{section}");
    // Before the authenticator is on, the code row waits for Done…
    let row = text_of(hx_req(
        t.http.get(format!("{}/accounts/{id}/code-tile", t.url)),
        &cookie,
        &csrf,
    ))
    .await;
    assert!(
        row.contains("Not set up yet") && row.contains("hx-trigger=\"mfa-changed from:body\""),
        "{row}"
    );
    // …which announces it.
    text_of(
        hx_req(
            t.http.post(format!("{}/step-up?then=mfa:{id}", t.url)),
            &cookie,
            &csrf,
        )
        .form(&[("password", "owner-password-1")]),
    )
    .await;
    let pending = text_of(
        hx_req(
            t.http.post(format!("{}/accounts/{id}/mfa/key", t.url)),
            &cookie,
            &csrf,
        )
        .form(&[("secret", "JBSWY3DPEHPK3PXP")]),
    )
    .await;
    assert!(pending.contains("Verify your code"), "{pending}");
    let r = hx_req(
        t.http.post(format!("{}/accounts/{id}/mfa/confirm", t.url)),
        &cookie,
        &csrf,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.headers()["hx-trigger"], "mfa-changed");
    assert!(r.text().await.unwrap().contains("Authenticator on"));
    let row = text_of(hx_req(
        t.http.get(format!("{}/accounts/{id}/code-tile", t.url)),
        &cookie,
        &csrf,
    ))
    .await;
    assert!(row.contains("current code"), "{row}");
}

#[test]
fn templates_carry_no_inline_styles() {
    // The CSP (style-src 'self') drops them, so they would do nothing.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains(" style=\""),
            "{} has an inline style",
            path.display()
        );
    }
}

#[tokio::test]
async fn the_sender_badge_shows_only_when_it_matters_and_says_why() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let id = owner.account("Brand IG", "pw").await;
    let (s, m) = owner
        .post(
            &format!("/accounts/{id}/managed-email"),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let address = m["address"].as_str().unwrap().to_owned();
    let auth = |flagged: bool| orthrus_app::SenderAuth {
        dkim: if flagged { "fail" } else { "pass" }.into(),
        dkim_domains: if flagged {
            vec![]
        } else {
            vec!["mail.instagram.com".into()]
        },
        dmarc: if flagged { "fail" } else { "pass" }.into(),
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
    let (cookie, csrf) = t.browser_login("owner@acme.test", "owner-password-1").await;
    let rows = text_of(hx_req(
        t.http.get(format!("{}/inbox/rows", t.url)),
        &cookie,
        &csrf,
    ))
    .await;
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
    let rows = text_of(hx_req(
        t.http.get(format!("{}/inbox/rows", t.url)),
        &cookie,
        &csrf,
    ))
    .await;
    let bad = rows.split("<tr").find(|r| r.contains("333444")).unwrap();
    assert!(
        bad.contains("sender failed verification")
            && bad.contains("This message claims to be from instagram.com but does not pass DMARC"),
        "the reason in words, not a tooltip: {bad}"
    );
    let good = rows.split("<tr").find(|r| r.contains("111222")).unwrap();
    assert!(!good.contains("sender failed verification"), "{good}");
}

#[tokio::test]
async fn audit_sessions_and_times_read_in_words() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let id = owner.account("Brand IG", "pw-1").await;
    owner.step_up("owner-password-1").await;
    let (s, _) = owner
        .get(&format!("/accounts/{id}/password?purpose=reveal"))
        .await;
    assert_eq!(s, StatusCode::OK);
    // A browser's session, with a browser's user agent.
    let r = t
        .http
        .post(format!("{}/login", t.url))
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        )
        .form(&[
            ("email", "owner@acme.test"),
            ("password", "owner-password-1"),
        ])
        .send()
        .await
        .unwrap();
    let cookie = format!("orthrus_session={}", session_cookie(&r).unwrap());

    // The audit log: the action in words, the account by its name, the
    // person by theirs, and a readable time that keeps the exact one.
    let audit = html_of(&t, &cookie, "/audit").await;
    let row = audit
        .split("<tr class=\"audit-row\"")
        .skip(1)
        .find(|r| r.contains("account.password_reveal"))
        .expect("the reveal");
    assert!(row.contains("Revealed the password"), "{row}");
    assert!(
        row.contains(&format!("<a href=\"/accounts/{id}\">Brand IG</a>")),
        "{row}"
    );
    assert!(row.contains("Olivia Owner"), "{row}");
    assert!(
        row.contains("<time datetime=\"2026-11-01T00:00:00")
            && row.contains(">1 Nov 2026, 00:00 UTC</time>"),
        "{row}"
    );
    // Filters pick names, not pasted ids.
    let filters = audit
        .split("id=\"audit-filters\"")
        .nth(1)
        .unwrap()
        .split("</form>")
        .next()
        .unwrap();
    assert!(
        filters.contains(&format!("<option value=\"{id}\">Brand IG</option>"))
            && filters.contains(&format!(
                "<option value=\"{}\">Olivia Owner (owner@acme.test)</option>",
                owner.user_id
            ))
            && filters.contains(
                "<option value=\"account.password_reveal\">Revealed the password</option>"
            )
            && !filters.contains("<input"),
        "{filters}"
    );
    let only = html_of(
        &t,
        &cookie,
        &format!("/audit?action=&target_id={id}&actor_id={}", owner.user_id),
    )
    .await;
    assert!(
        only.contains("account.password_reveal</span>") && !only.contains("auth.login</span>"),
        "{only}"
    );
    assert!(
        only.contains(&format!(
            "<option value=\"{id}\" selected>Brand IG</option>"
        )),
        "{only}"
    );

    // Sessions: which browser on which system, not the raw string.
    let security = html_of(&t, &cookie, "/security").await;
    assert!(security.contains(">Chrome on Linux</span>"), "{security}");
    assert!(security.contains("<time datetime=\""), "{security}");
    // The account cards say when an account changed in words too.
    let cards = html_of(&t, &cookie, "/").await;
    assert!(
        cards.contains("<span class=\"meta\"><time datetime=\"2026-11-01T00:00:00")
            && cards.contains(">1 Nov 2026, 00:00 UTC</time></span>"),
        "{cards}"
    );
}

#[tokio::test]
async fn the_approval_prompt_names_the_action_and_the_account() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let id = owner.account("Brand IG", "pw-1").await;
    let (phone, phone_csrf) = t.browser_login("owner@acme.test", "owner-password-1").await;
    let (laptop, laptop_csrf) = t.browser_login("owner@acme.test", "owner-password-1").await;
    let wait = text_of(hx_req(
        t.http
            .post(format!("{}/ui/step-up/device?then=reveal:{id}", t.url)),
        &laptop,
        &laptop_csrf,
    ))
    .await;
    assert!(!wait.contains("class=\"alert\""), "{wait}");
    let prompt = text_of(hx_req(
        t.http.get(format!("{}/ui/approvals", t.url)),
        &phone,
        &phone_csrf,
    ))
    .await;
    assert!(
        prompt.contains("Is this you?")
            && prompt.contains(
                "to <strong class=\"approval-purpose\">reveal the password of Brand IG</strong>"
            ),
        "{prompt}"
    );
}
