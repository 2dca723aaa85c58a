//! The web UI at phone width (390 CSS pixels) and at desktop width (1400):
//! every main page, signed in as an Owner with some data, fits the viewport
//! without scrolling sideways, and its key controls are on screen. Also the
//! layout helpers other browser tests can use.

use crate::scene::Scene;
use crate::support::chromium::{browser_sized, chromedriver, finish, sign_in};
use crate::support::*;
use reqwest::Method;
use serde_json::{Value, json};
use thirtyfour::prelude::*;

/// How wide the page is against the viewport (the layout viewport: on a
/// phone `innerWidth` grows when the browser zooms out to fit a page that is
/// too wide, `clientWidth` does not), and the elements sticking out of it on
/// the right outside any scrolling box (a short description of each, at
/// most ten).
pub(crate) async fn overflow(b: &WebDriver) -> WebDriverResult<(i64, i64, Vec<String>)> {
    let v = b
        .execute(
            r"const w = document.documentElement.clientWidth, out = [];
            for (const el of document.body.querySelectorAll('*')) {
              const r = el.getBoundingClientRect();
              let clipped = false;
              for (let p = el.parentElement; p && !clipped; p = p.parentElement) {
                clipped = getComputedStyle(p).overflowX !== 'visible';
              }
              if (!clipped && r.width > 0 && r.right > w + 0.5 && out.length < 10) {
                out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                  (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '') +
                  ' right=' + Math.round(r.right));
              }
            }
            return [document.documentElement.scrollWidth, w, out];",
            vec![],
        )
        .await?
        .json()
        .clone();
    let sw = v[0].as_i64().unwrap_or(-1);
    let w = v[1].as_i64().unwrap_or(-1);
    let out = v[2]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Ok((sw, w, out))
}

/// Fails unless the page fits the window's width (no sideways scrolling).
pub(crate) async fn assert_fits(b: &WebDriver, page: &str) -> WebDriverResult<()> {
    let (sw, w, out) = overflow(b).await?;
    assert!(
        sw <= w,
        "{page}: the page is {sw} px wide in a {w} px window; sticking out: {out:?}"
    );
    Ok(())
}

/// The first element matching `css`: its box (left, top, width, height)
/// relative to the viewport, or `None` when there is none.
pub(crate) async fn rect(b: &WebDriver, css: &str) -> WebDriverResult<Option<[f64; 4]>> {
    let v = b
        .execute(
            "const el = document.querySelector(arguments[0]);
            if (!el) return null;
            const r = el.getBoundingClientRect();
            return [r.left, r.top, r.width, r.height];",
            vec![json!(css)],
        )
        .await?
        .json()
        .clone();
    Ok(v.as_array().map(|a| {
        let n = |i: usize| a[i].as_f64().unwrap_or(f64::NAN);
        [n(0), n(1), n(2), n(3)]
    }))
}

/// Fails unless the first element matching `css` is shown, horizontally
/// inside the viewport, and at least `min_width` px wide. Its box.
pub(crate) async fn assert_on_screen(
    b: &WebDriver,
    css: &str,
    min_width: f64,
    page: &str,
) -> WebDriverResult<[f64; 4]> {
    let w = b
        .execute("return document.documentElement.clientWidth;", vec![])
        .await?
        .json()
        .as_f64()
        .unwrap_or(0.0);
    let r = rect(b, css)
        .await?
        .unwrap_or_else(|| panic!("{page}: no element matches {css}"));
    assert!(
        r[2] >= min_width && r[3] > 0.0,
        "{page}: {css} is {}x{} px (want at least {min_width} px wide)",
        r[2],
        r[3]
    );
    assert!(
        r[0] >= -0.5 && r[0] + r[2] <= w + 0.5,
        "{page}: {css} spans x {}..{} outside the {w} px viewport",
        r[0],
        r[0] + r[2]
    );
    Ok(r)
}

/// Sends one message over SMTP to `to`, from `from` (an address).
pub(crate) async fn send_mail(smtp: &str, from: &str, to: &str, subject: &str, body: &str) {
    let mut smtp = Smtp::connect(smtp).await;
    let domain = from.rsplit('@').next().unwrap_or("example.test");
    smtp.say(
        format!("EHLO {domain}\r\nMAIL FROM:<{from}>\r\nRCPT TO:<{to}>\r\nDATA\r\n"),
        &["250", "250", "250", "354"],
    )
    .await;
    smtp.say(
        format!(
            "From: <{from}>\r\nTo: <{to}>\r\nSubject: {subject}\r\nMessage-ID: <m-{}@{domain}>\r\n\r\n{body}\r\n.\r\nQUIT\r\n",
            subject.len()
        ),
        &["250"],
    )
    .await;
}

/// A workspace with something on every page: two people, an account with
/// long names, an authenticator, a managed address and a message with a code.
/// The account's id and the message's id.
async fn furnish(s: &Scene) -> (String, String) {
    let (st, v) = post(&s.c, &format!("{}/users", s.base), &s.t, Some(json!({"email": "intern.with.a.rather.long.address@acme-marketing.test", "role": "user", "password": "intern-password-1", "name": "Ivy Intern"}))).await;
    assert_eq!(st, 201, "{v}");
    let (st, v) = post(&s.c, &format!("{}/invitations", s.base), &s.t, Some(json!({"email": "nina.newcomer.with.a.long.address@acme-marketing.test", "role": "admin"}))).await;
    assert!((200..300).contains(&st), "{v}");
    let id = s
        .account(
            "Brand Instagram for the spring campaign",
            "acme.brand.spring.campaign.account",
            "ig-pw",
        )
        .await;
    let ads = s.account("TikTok Ads", "acme.ads", "tt-pw").await;
    // A guest with an end date, a time-boxed member, and a request for
    // access waiting for the Owner (issue 15).
    let (st, v) = post(&s.c, &format!("{}/users", s.base), &s.t, Some(json!({"email": "gus.guest.from.the.agency@agency-partners.test", "role": "guest", "password": "guest-password-1", "name": "Gus Guest", "access_expires_at": "2099-12-12T17:00:00Z"}))).await;
    assert_eq!(st, 201, "{v}");
    let (st, v) = post(
        &s.c,
        &format!("{}/accounts/{id}/members", s.base),
        &s.t,
        Some(json!({"user_id": v["id"], "role": "collaborator"})),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    let ivy = login(
        &s.c,
        &s.server.url,
        "intern.with.a.rather.long.address@acme-marketing.test",
        "intern-password-1",
    )
    .await;
    let (st, v) = post(&s.c, &format!("{}/accounts/{ads}/access-requests", s.base), &ivy, Some(json!({"role": "manager", "reason": "I run the spring campaign's ads and need to change the billing details before Friday", "duration_hours": 168}))).await;
    assert_eq!(st, 201, "{v}");
    // A team from the directory (SCIM) with a role on the account.
    let call = |method: Method, url: String, token: String, body: Value| {
        let c = s.c.clone();
        async move { api(&c, method, &url, Some(&token), Some(body)).await }
    };
    step_up(&s.c, &s.base, &s.t).await;
    let (st, v) = call(
        Method::POST,
        format!("{}/workspace/scim-token", s.base),
        s.t.clone(),
        json!({}),
    )
    .await;
    assert_eq!(st, 201, "{v}");
    let scim = v["token"].as_str().unwrap().to_owned();
    let (st, v) = call(
        Method::POST,
        format!("{}/scim/v2/Groups", s.server.url),
        scim,
        json!({"displayName": "Spring campaign agency team"}),
    )
    .await;
    assert_eq!(st, 201, "{v}");
    let team = v["id"].as_str().unwrap().to_owned();
    let (st, v) = call(
        Method::PUT,
        format!("{}/accounts/{id}/teams/{team}", s.base),
        s.t.clone(),
        json!({"role": "collaborator"}),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    s.authenticator(&id, "JBSWY3DPEHPK3PXP").await;
    let address = s.managed_email(&id).await;
    send_mail(
        s.server.smtp.as_deref().unwrap(),
        "security-notifications@accounts.example-social-network.test",
        &address,
        "Your verification code for signing in on a new device",
        "Your verification code is 730194. It expires in 5 minutes.\r\nConfirm: https://accounts.example-social-network.test/confirm?token=abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz",
    )
    .await;
    let mut msg = String::new();
    for _ in 0..50 {
        let (_, inbox) = get(&s.c, &format!("{}/inbox", s.base), &s.t).await;
        if let Some(m) = inbox_first(&inbox) {
            msg = m;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!msg.is_empty(), "the message reached the inbox");
    (id, msg)
}

fn inbox_first(v: &Value) -> Option<String> {
    let items = v.as_array().or_else(|| v["items"].as_array())?;
    items.first()?["id"].as_str().map(str::to_owned)
}

/// Every main page at `width`: it fits, and its key controls are on screen.
async fn check_pages(
    b: &WebDriver,
    url: &str,
    id: &str,
    msg: &str,
    width: u32,
) -> WebDriverResult<()> {
    let pages = [
        ("/", "accounts"),
        (&*format!("/accounts/{id}"), "account"),
        ("/accounts/new", "new account"),
        ("/inbox", "inbox"),
        (&*format!("/inbox/{msg}"), "message"),
        ("/inbox/forwarding", "forwarding"),
        ("/automations", "automation log"),
        ("/users", "users"),
        ("/invitations", "invitations"),
        ("/workspace/settings", "workspace settings"),
        ("/audit", "audit log"),
        ("/extension", "browser extension"),
        ("/security", "my security and sessions"),
        ("/directory", "find an account"),
        ("/requests", "access requests"),
        ("/teams", "teams"),
    ];
    for (path, name) in pages {
        let page = format!("{name} ({path}) at {width} px");
        b.goto(&format!("{url}{path}")).await?;
        b.query(By::Css("main h1")).first().await?;
        // Let htmx load the page's parts.
        tokio::time::sleep(std::time::Duration::from_millis(700)).await;
        if let Ok(dir) = std::env::var("ORTHRUS_LAYOUT_SHOTS") {
            let file = format!("{dir}/{width}-{}.png", name.replace(' ', "-"));
            std::fs::write(file, b.screenshot_as_png().await?).ok();
        }
        let (_, w, _) = overflow(b).await?;
        // (Less a desktop's vertical scroll bar.)
        assert!(
            (i64::from(width) - 20..=i64::from(width)).contains(&w),
            "{page}: the viewport is {w} px wide"
        );
        assert_fits(b, &page).await?;
        assert_on_screen(b, ".sidebar .me button[type=submit]", 40.0, &page).await?;
        match name {
            "accounts" => {
                assert_on_screen(b, ".code-tile.compact .code", 40.0, &page).await?;
            }
            "account" => {
                assert_on_screen(b, ".code-tile .code", 60.0, &page).await?;
                assert_on_screen(b, "select[name=role]", 150.0, &page).await?;
                assert_on_screen(b, "select[name=user_id]", 150.0, &page).await?;
                // The account's teams, loaded by htmx into the page.
                let teams = b
                    .query(By::Css("#account-teams #teams-body"))
                    .first()
                    .await?;
                let text = teams.text().await?;
                assert!(
                    text.contains("Spring campaign agency team") && text.contains("Collaborator"),
                    "{page}: {text}"
                );
            }
            "inbox" => {
                b.query(By::Css(".inbox-code")).first().await?;
                assert_on_screen(b, ".inbox-code", 40.0, &page).await?;
                assert_on_screen(b, ".inbox-row [data-copy]", 30.0, &page).await?;
            }
            "access requests" => {
                assert_on_screen(b, ".request-row button.primary", 30.0, &page).await?;
                assert_on_screen(b, ".request-row button.danger", 30.0, &page).await?;
            }
            "find an account" => {
                assert_on_screen(b, ".directory-row summary", 30.0, &page).await?;
            }
            "users" => {
                assert_on_screen(b, "td select[name=role]", 120.0, &page).await?;
                assert_on_screen(b, "td form button[type=submit]", 30.0, &page).await?;
            }
            _ => {}
        }
    }
    Ok(())
}

#[tokio::test]
async fn every_page_fits_a_phone_and_a_desktop_in_chromium() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let s = Scene::new(None).await;
    let (id, msg) = furnish(&s).await;
    let (_driver, driver_url) = chromedriver();
    for (width, height) in [(390, 844), (1400, 900)] {
        let b = browser_sized(&driver_url, width, height).await;
        let result = async {
            sign_in(&b, &s.server.url, "owner@acme.test", "owner-password-1").await?;
            check_pages(&b, &s.server.url, &id, &msg, width).await
        }
        .await;
        finish(
            b,
            result,
            &format!("browser step failed at {width} px"),
            || s.server.logs(),
        )
        .await;
    }
}
