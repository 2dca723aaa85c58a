//! The server-rendered UI over HTTP: first-run setup, cookie sign-in, CSRF,
//! adding an account, reveal behind "Confirm your identity", the welcome
//! page, templates without inline styles, and the audit log and sessions in
//! words. Device approval is in `ui_device.rs`, the authenticator's pages in
//! `otp_ui.rs`, confirmations in `forms.rs`.

use crate::support::nodes::{listen, serve_state};
use crate::support::*;
use reqwest::{Method, StatusCode};

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
    let r = t.get("/setup?token=wrong").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("setup link is not valid"));
    // Sign-in page before setup explains what to do.
    assert!(t.page("/login").await.contains("not set up yet"));

    // Set up through the app, then sign in through the form.
    first_run(&t.app, "Olivia").await;
    let r = t.get("/setup?token=anything").await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "setup done: to the sign-in page"
    );
    let r = sent(
        t.request(Method::POST, "/login")
            .form(&[("email", "owner@acme.test"), ("password", "wrong-password")]),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.unwrap().contains("not correct"));
    // A stale cookie from a revoked session does not lock anyone out.
    let r = sent(
        t.request(Method::POST, "/login")
            .header("cookie", "orthrus_session=ors_revoked")
            .form(&[
                ("email", "owner@acme.test"),
                ("password", "owner-password-1"),
            ]),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let set_cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"),
        "{set_cookie}"
    );
    let cookie = format!("orthrus_session={}", session_cookie(&r).unwrap());

    // Unauthenticated pages redirect to sign-in.
    let r = t.get("/").await;
    assert_eq!(
        (r.status(), location(&r).as_str()),
        (StatusCode::SEE_OTHER, "/login")
    );

    // The empty accounts page, with the strict CSP.
    let r = sent(t.request(Method::GET, "/").header("cookie", &cookie)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
    let html = r.text().await.unwrap();
    assert!(html.contains("No accounts yet"));
    let b = Browser {
        url: t.url.clone(),
        http: t.http.clone(),
        cookie,
        csrf: csrf_of(&html),
    };

    // A form without the CSRF token, or from another origin, is refused.
    let form = [
        ("app", "instagram"),
        ("label", "Brand IG"),
        ("login_url", "https://www.instagram.com/"),
        ("username", "brand"),
        ("password", "ui-secret-pw"),
        ("notes", ""),
    ];
    let add = || b.request(Method::POST, "/accounts/new");
    let r = sent(add().form(&form)).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let mut with_csrf = form.to_vec();
    with_csrf.push(("_csrf", &b.csrf));
    let r = sent(
        add()
            .header("origin", "https://evil.example")
            .form(&with_csrf),
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = sent(add().form(&with_csrf)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let account_url = location(&r);
    let id = account_url.trim_start_matches("/accounts/").to_owned();

    let html = b.html("/").await;
    assert!(html.contains("Brand IG") && html.contains("/assets/icons/instagram.svg"));
    let html = b.html(&account_url).await;
    assert!(html.contains("Reveal") && !html.contains("ui-secret-pw"));

    // Reveal through htmx: first the identity check, then the password.
    let dialog = text_of(b.hx_post(&format!("/accounts/{id}/reveal"))).await;
    assert!(
        dialog.contains("Confirm your identity") && !dialog.contains("ui-secret-pw"),
        "{dialog}"
    );
    let step_up = |password: &'static str| {
        text_of(
            b.hx_post(&format!("/step-up?then=reveal:{id}"))
                .form(&[("password", password)]),
        )
    };
    let wrong = step_up("not-my-password").await;
    assert!(wrong.contains("not correct") && !wrong.contains("ui-secret-pw"));
    let shown = step_up("owner-password-1").await;
    assert!(shown.contains("ui-secret-pw"), "{shown}");
    let copied = text_of(b.hx_post(&format!("/accounts/{id}/copy"))).await;
    assert!(copied.contains("data-copy-now=\"ui-secret-pw\""));
    // A bad CSRF header on an htmx request is refused.
    let r = sent(
        b.request(Method::POST, &format!("/accounts/{id}/reveal"))
            .header("x-csrf-token", "forged"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // Custom fields and the password generator in the add form.
    let generator = text_of(
        b.request(Method::POST, "/ui/generate-password")
            .header("x-csrf-token", &b.csrf),
    )
    .await;
    let generated = between(&generator, "value=\"", "\"")
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    assert_eq!(generated.chars().count(), 20, "{generator}");
    let row = b.html("/ui/field-row").await;
    assert!(row.contains("name=\"field_name\""));
    let fields_form = [
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
    let r = b.post("/accounts/new", &fields_form).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = b.html(&location(&r)).await;
    assert!(html.contains("Region") && html.contains("EU-West") && html.contains("Billing PIN"));
    assert!(!html.contains("9912"), "secret field values stay hidden");
    // A bad form keeps what was typed (except secrets) and says what is wrong.
    let bad = [
        ("app", "github"),
        ("label", ""),
        ("password", "x"),
        ("field_name", "Org"),
        ("field_value", "acme-inc"),
    ];
    let html = b.post_text("/accounts/new", &bad).await;
    assert!(
        html.contains("give the account a label") && html.contains("acme-inc"),
        "{html}"
    );

    // Pages for admins and the security page render.
    for page in ["/users", "/audit", "/security", "/accounts/new"] {
        assert_eq!(b.get(page).await.status(), StatusCode::OK, "{page}");
    }
    let audit = b.html("/audit").await;
    assert!(audit.contains("account.password_reveal") && audit.contains("account.password_copy"));
    // Assets are embedded.
    for a in [
        "/assets/app.css",
        "/assets/app.js",
        "/assets/htmx.min.js",
        "/assets/icons/tiktok.svg",
    ] {
        assert_eq!(t.get(a).await.status(), StatusCode::OK, "{a}");
    }
    // Sign out ends the session.
    assert_eq!(b.post("/logout", &[]).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(b.get("/").await.status(), StatusCode::SEE_OTHER);
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
    let url = serve_state(web, listen().await);
    let r = sent(t.http.post(format!("{url}/setup")).form(&[
        ("token", token.as_str()),
        ("workspace", "Acme Marketing"),
        ("name", "Olivia"),
        ("email", "owner@acme.test"),
        ("password", "owner-password-1"),
    ]))
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/welcome");
    let welcome = |cookie: String| {
        t.http
            .get(format!("{url}/welcome"))
            .header("cookie", cookie)
    };
    let html = text_of(welcome(format!(
        "orthrus_session={}",
        session_cookie(&r).unwrap()
    )))
    .await;
    assert!(html.contains("Workspace Acme Marketing is ready"), "{html}");
    assert!(html.contains("Back up the master key"), "{html}");
    assert!(
        html.contains("cat /srv/orthrus-data/master.key"),
        "the command to back it up: {html}"
    );
    // Someone who does not run the workspace is not shown it.
    let owner = t.login("owner@acme.test", "owner-password-1").await;
    t.user(&owner, "user@acme.test", "user").await;
    let user = t.browser("user@acme.test", "member-password-1").await;
    let r = sent(welcome(user.cookie)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
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
    let r = sent(
        t.request(Method::POST, "/login")
            .header(
                "user-agent",
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            )
            .form(&[
                ("email", "owner@acme.test"),
                ("password", "owner-password-1"),
            ]),
    )
    .await;
    let b = t.browser_of(&r);

    // The audit log: the action in words, the account by its name, the
    // person by theirs, and a readable time that keeps the exact one.
    let audit = b.html("/audit").await;
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
    let filters = between(&audit, "id=\"audit-filters\"", "</form>");
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
    let only = b
        .html(&format!(
            "/audit?action=&target_id={id}&actor_id={}",
            owner.user_id
        ))
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
    let security = b.html("/security").await;
    assert!(security.contains(">Chrome on Linux</span>"), "{security}");
    assert!(security.contains("<time datetime=\""), "{security}");
    // The account cards say when an account changed in words too.
    let cards = b.html("/").await;
    assert!(
        cards.contains("<span class=\"meta\"><time datetime=\"2026-11-01T00:00:00")
            && cards.contains(">1 Nov 2026, 00:00 UTC</time></span>"),
        "{cards}"
    );
}
