//! How the UI's forms behave (issue 14): a form that worked answers 303 to a
//! page a reload can fetch again; a form that did not shows the message
//! beside the field, with everything typed kept; "Confirm your identity"
//! says what it is for, stays inside its section and can be cancelled.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;

/// A browser signed in as someone ([`Browser`]): posts forms, follows
/// nothing by itself.
struct Forms(Browser);

/// A fresh app, its owner's API client, and the owner's account "Brand IG".
async fn with_brand_ig() -> (TestApp, Client, String) {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let id = owner.account("Brand IG", "ig-pw").await;
    (t, owner, id)
}

/// Asserts that `form` still holds each of `values` as a field's value.
#[track_caller]
fn assert_kept(form: &str, values: &[&str]) {
    for v in values {
        assert!(form.contains(&format!("value=\"{v}\"")), "{form}");
    }
}

impl Forms {
    /// The owner (`owner@acme.test`), signed in.
    async fn owner(t: &TestApp) -> Self {
        Self::new(t, "owner@acme.test", "owner-password-1").await
    }

    /// Asserts that opening `path` sends the browser on to `to`.
    async fn assert_redirect(&self, path: &str, to: &str) {
        let r = self.get(path, None).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "GET {path}");
        assert_eq!(r.headers()["location"], to);
    }

    async fn new(t: &TestApp, email: &str, password: &str) -> Self {
        Self(t.browser(email, password).await)
    }

    async fn post(&self, path: &str, fields: &[(&str, &str)], htmx: bool) -> reqwest::Response {
        let mut r = self.0.form(path, fields);
        if htmx {
            r = r.header("hx-request", "true");
        }
        r.send().await.unwrap()
    }

    /// A post's answer, as text.
    async fn text(&self, path: &str, fields: &[(&str, &str)], htmx: bool) -> String {
        self.post(path, fields, htmx).await.text().await.unwrap()
    }

    /// An htmx post's answer, as text.
    async fn htmx(&self, path: &str, fields: &[(&str, &str)]) -> String {
        self.text(path, fields, true).await
    }

    /// The identity check's htmx answer to `password`, before setting up
    /// account `id`'s authenticator.
    async fn step_up_for_mfa(&self, id: &str, password: &str) -> reqwest::Response {
        let path = format!("/step-up?then=mfa:{id}");
        self.post(&path, &[("password", password)], true).await
    }

    /// A plain post the server refuses: 400, and the page it answers with.
    async fn refused(&self, path: &str, fields: &[(&str, &str)]) -> String {
        let r = self.post(path, fields, false).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "POST {path}");
        r.text().await.unwrap()
    }

    async fn get(&self, path: &str, extra_cookie: Option<&str>) -> reqwest::Response {
        let cookie = match extra_cookie {
            Some(c) => format!("{}; {c}", self.0.cookie),
            None => self.0.cookie.clone(),
        };
        self.0
            .http
            .get(format!("{}{path}", self.0.url))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap()
    }

    /// A successful POST: 303 to a page that answers 200 and shows `flash`.
    async fn post_redirect_get(&self, path: &str, fields: &[(&str, &str)], to: &str, flash: &str) {
        let r = self.post(path, fields, false).await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "POST {path}: {}",
            r.text().await.unwrap()
        );
        assert_eq!(r.headers()["location"], to, "POST {path}");
        let message_cookie = flash_cookie(&r).expect("the message rides along in a cookie");
        let page = self.get(to, Some(&message_cookie)).await;
        assert_eq!(page.status(), StatusCode::OK, "GET {to}");
        let dropped = page
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|c| c.starts_with("orthrus_flash=;") && c.contains("Max-Age=0"));
        assert!(dropped, "the message is shown once");
        let html = page.text().await.unwrap();
        assert!(html.contains(flash), "GET {to} shows {flash:?}: {html}");
        // A reload of the form's own URL is no dead end either.
        let again = self.get(path, None).await;
        if path == to {
            assert_eq!(again.status(), StatusCode::OK, "GET {path}");
        } else {
            assert_eq!(again.status(), StatusCode::SEE_OTHER, "GET {path}");
            assert_eq!(again.headers()["location"], to, "GET {path}");
        }
    }
}

#[tokio::test]
async fn every_successful_form_post_redirects_to_a_page_that_reloads() {
    let (t, owner, id) = with_brand_ig().await;
    let (s, ivy) = owner
        .post(
            "/users",
            &json!({"email": "ivy@acme.test", "name": "Ivy", "role": "user", "password": "member-password-1"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{ivy}");
    let ivy = ivy["id"].as_str().unwrap().to_owned();
    let b = Forms::owner(&t).await;
    let account = format!("/accounts/{id}");

    b.post_redirect_get(
        &format!("{account}/members"),
        &[("user_id", &ivy), ("role", "collaborator")],
        &account,
        "ivy@acme.test is now Collaborator.",
    )
    .await;
    let version = version_of(&owner, &id).await;
    b.post_redirect_get(
        &format!("{account}/edit"),
        &[("version", &version), ("label", "Brand Instagram")],
        &account,
        "Saved.",
    )
    .await;
    b.post_redirect_get(
        "/workspace/settings",
        &[("step_up_minutes", "10"), ("inbox_retention_days", "30")],
        "/workspace/settings",
        "Workspace security",
    )
    .await;
    b.post_redirect_get(
        &format!("/users/{ivy}/role"),
        &[("role", "admin")],
        "/users",
        "ivy@acme.test is now Admin.",
    )
    .await;
    let r = b
        .post(
            "/users",
            &[
                ("email", "max@acme.test"),
                ("name", "Max"),
                ("role", "user"),
                ("password", "member-password-2"),
            ],
            false,
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/users");
    b.post_redirect_get(
        &format!("/users/{ivy}/deactivate"),
        &[],
        "/users",
        "Deactivated ivy@acme.test.",
    )
    .await;
    // The one-shot pages (a new token, recovery codes) stay at their POST;
    // opening their URL later goes to the page they belong to.
    for path in ["/security/tokens", "/security/2fa/confirm"] {
        b.assert_redirect(path, "/security").await;
    }
}

#[tokio::test]
async fn the_identity_check_says_what_it_is_for_stays_in_its_section_and_cancels() {
    let (t, owner, id) = with_brand_ig().await;
    let (s, v) = owner
        .send(
            reqwest::Method::PUT,
            &format!("/accounts/{id}/backup-codes"),
            Some(&json!({"codes": ["1111 2222", "3333 4444"]})),
        )
        .await;
    assert!(s.is_success(), "{v}");
    let b = Forms::owner(&t).await;

    // Setting up the authenticator: the dialog is inside "MFA settings".
    let html = b.htmx(&format!("/accounts/{id}/mfa/start"), &[]).await;
    assert!(
        html.contains("<h2 id=\"mfa-title\">MFA settings</h2>"),
        "{html}"
    );
    assert!(
        html.contains("Setting up the authenticator needs a recent identity check"),
        "{html}"
    );
    assert!(!html.contains("Revealing a password"), "{html}");
    assert!(
        html.contains(&format!("hx-get=\"/accounts/{id}/mfa\" hx-target=\"#mfa\"")),
        "Cancel puts the section back: {html}"
    );
    let back = b
        .get(&format!("/accounts/{id}/mfa"), None)
        .await
        .text()
        .await
        .unwrap();
    assert!(back.contains("Set up authenticator") && !back.contains("Confirm your identity"));

    // A wrong password: about the password only, and the dialog stays.
    let html = b
        .htmx(
            &format!("/step-up?then=mfa:{id}"),
            &[("password", "wrong-password")],
        )
        .await;
    assert!(html.contains("That password is not correct"), "{html}");
    assert!(!html.contains("email"), "no email was asked for: {html}");
    assert!(
        html.contains("Setting up the authenticator needs"),
        "{html}"
    );

    // The right one: the whole section comes back, with the key form.
    let r = b.step_up_for_mfa(&id, "owner-password-1").await;
    assert_eq!(r.headers()["hx-retarget"], "#mfa");
    assert_eq!(r.headers()["hx-reswap"], "outerHTML");
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"mfa-secret\""), "{html}");

    // Backup codes, in a fresh session: its own words, its own heading.
    let b = Forms::owner(&t).await;
    let html = b.htmx(&format!("/accounts/{id}/backup/view"), &[]).await;
    assert!(html.contains("<h2 id=\"backup-title\">"), "{html}");
    assert!(
        html.contains("Showing backup codes needs a recent identity check"),
        "{html}"
    );
    assert!(
        html.contains(&format!(
            "hx-get=\"/accounts/{id}/backup\" hx-target=\"#backup\""
        )),
        "{html}"
    );

    // Revealing a password: says so; Cancel hides the password again.
    let html = b.htmx(&format!("/accounts/{id}/reveal"), &[]).await;
    assert!(html.contains("Revealing a password needs"), "{html}");
    assert!(
        html.contains("hx-get=\"/ui/step-up/cancel?then=reveal\""),
        "{html}"
    );
    let html = b
        .get("/ui/step-up/cancel?then=reveal", None)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("hidden password"), "{html}");
}

/// An account's version, as its edit form sends it.
async fn version_of(owner: &Client, id: &str) -> String {
    owner.get(&format!("/accounts/{id}")).await.1["version"]
        .as_i64()
        .unwrap()
        .to_string()
}

/// The page from the form with id `id` on.
fn form_in<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("the form {id}: {html}"));
    &html[at..]
}

/// The message beside `field` (its `aria-describedby`), the field marked and
/// focused.
fn assert_field_error(html: &str, field: &str, says: &str) {
    let marked = format!("aria-invalid=\"true\" aria-describedby=\"{field}-error\" autofocus");
    assert!(html.contains(&marked), "{field} is marked: {html}");
    let slot = format!("<span class=\"field-error\" id=\"{field}-error\" role=\"alert\">");
    let at = html
        .find(&slot)
        .unwrap_or_else(|| panic!("{field}'s message: {html}"));
    assert!(html[at..].contains(says), "{field} says {says:?}: {html}");
    assert_eq!(
        html.matches("aria-invalid=\"true\"").count(),
        1,
        "one field: {html}"
    );
    assert!(!html.contains("That did not work"), "no dead end: {html}");
}

#[tokio::test]
async fn a_refused_form_says_why_beside_the_field_and_keeps_what_was_typed() {
    let (t, owner, id) = with_brand_ig().await;
    let b = Forms::owner(&t).await;
    let r = b.step_up_for_mfa(&id, "owner-password-1").await;
    assert!(r.text().await.unwrap().contains("id=\"mfa-secret\""));

    // A bad authenticator key: still in its field, the reason under it.
    let html = b
        .htmx(
            &format!("/accounts/{id}/mfa/key"),
            &[("secret", "NOT-A-KEY!!"), ("steam", "on")],
        )
        .await;
    assert!(
        html.contains("<h2 id=\"mfa-title\">MFA settings</h2>"),
        "{html}"
    );
    assert!(
        html.contains("value=\"NOT-A-KEY!!\""),
        "the key is kept: {html}"
    );
    assert!(html.contains("value=\"on\" checked"), "so is Steam: {html}");
    assert_field_error(&html, "secret", "");
    // A bad link: beside the link, not the key.
    let html = b
        .htmx(
            &format!("/accounts/{id}/mfa/uri"),
            &[("uri", "otpauth://nope")],
        )
        .await;
    assert!(html.contains("value=\"otpauth://nope\""), "{html}");
    assert_field_error(&html, "uri", "");

    // A paste with no backup codes in it: the paste stays, the reason beside it.
    let html = b
        .htmx(
            &format!("/accounts/{id}/backup/preview"),
            &[("codes", "hello there")],
        )
        .await;
    assert!(
        html.contains(">hello there</textarea>"),
        "the paste is kept: {html}"
    );
    assert!(html.contains("<details open>"), "{html}");
    assert_field_error(&html, "codes", "no backup codes found");

    // Workspace settings: in their own form, beside the field, as sent.
    let html = b
        .refused(
            "/workspace/settings",
            &[
                ("step_up_minutes", "600"),
                ("inbox_retention_days", "45"),
                ("require_2fa", "on"),
            ],
        )
        .await;
    let form = form_in(&html, "workspace-settings-form");
    assert_field_error(form, "step_up_minutes", "between 1 and 60");
    assert_kept(form, &["600", "45"]);
    assert_eq!(
        owner.get("/workspace").await.1["step_up_minutes"],
        10,
        "nothing saved"
    );

    // Add a user: a taken email, beside the email; the rest kept.
    let html = b
        .refused(
            "/users",
            &[
                ("email", "owner@acme.test"),
                ("name", "Second Olivia"),
                ("role", "admin"),
                ("password", "member-password-1"),
            ],
        )
        .await;
    let form = form_in(&html, "new-user-form");
    assert_field_error(form, "email", "already exists");
    assert_kept(form, &["owner@acme.test", "Second Olivia"]);
    assert!(form.contains("value=\"admin\" selected"), "{form}");
}

#[tokio::test]
async fn a_wrong_password_for_a_new_token_is_a_form_error_not_a_sign_out() {
    let t = TestApp::sqlite().await;
    let _owner = t.owner().await;
    let b = Forms::owner(&t).await;
    let r = b
        .post(
            "/security/tokens",
            &[("name", "CI pipeline"), ("password", "wrong-password")],
            false,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "still signed in");
    let html = r.text().await.unwrap();
    let form = form_in(&html, "token-form");
    assert_field_error(form, "password", "That password is not correct.");
    assert!(form.contains("value=\"CI pipeline\""), "{form}");
    assert!(
        b.get("/security", None).await.status().is_success(),
        "the session lives"
    );
}

#[tokio::test]
async fn account_edit_and_add_member_errors_stay_on_the_account_page() {
    let (t, owner, id) = with_brand_ig().await;
    let (_, gone) = owner
        .post(
            "/users",
            &json!({"email": "gone@acme.test", "role": "user", "password": "member-password-1"}),
        )
        .await;
    let gone = gone["id"].as_str().unwrap().to_owned();
    let (s, v) = owner
        .patch(&format!("/users/{gone}"), &json!({"active": false}))
        .await;
    assert!(s.is_success(), "{v}");
    let b = Forms::owner(&t).await;
    let version = version_of(&owner, &id).await;
    // An empty label: beside the label, the new login URL kept.
    let html = b
        .refused(
            &format!("/accounts/{id}/edit"),
            &[
                ("version", version.as_str()),
                ("label", "  "),
                ("login_url", "https://www.instagram.com/new/"),
            ],
        )
        .await;
    let form = form_in(&html, "edit-form");
    assert_field_error(form, "label", "");
    assert!(
        form.contains("value=\"https://www.instagram.com/new/\""),
        "{form}"
    );
    assert!(html.contains("<details open>"), "{html}");
    // A deactivated person: beside "Add a person".
    let html = b
        .refused(
            &format!("/accounts/{id}/members"),
            &[("user_id", gone.as_str()), ("role", "collaborator")],
        )
        .await;
    let form = &html[html.find("id=\"member-form\"").unwrap_or(0)..];
    assert_field_error(form, "user_id", "");
}

#[tokio::test]
async fn a_wrong_code_when_turning_on_two_factor_asks_again_with_the_same_key() {
    let t = TestApp::sqlite().await;
    let _owner = t.owner().await;
    let b = Forms::owner(&t).await;
    let html = b.text("/security/2fa/start", &[], false).await;
    let key_of = |html: &str| {
        let i = html.find("id=\"totp-secret\">").expect("the key") + 17;
        html[i..].split('<').next().unwrap().to_owned()
    };
    let key = key_of(&html);
    let html = b
        .refused("/security/2fa/confirm", &[("code", "000000")])
        .await;
    assert_eq!(key_of(&html), key, "the same key, not a new one");
    let form = form_in(&html, "totp-confirm-form");
    assert_field_error(form, "code", "that code is not right");
}

#[tokio::test]
async fn a_refused_change_in_the_users_table_is_said_in_that_row() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let b = Forms::owner(&t).await;
    // The only Owner cannot step down.
    let html = b
        .refused(
            &format!("/users/{}/role", owner.user_id),
            &[("role", "user")],
        )
        .await;
    assert!(
        html.contains("<h1>Users</h1>"),
        "the Users page, not a dead end: {html}"
    );
    let row = format!("row-{}", owner.user_id);
    assert_field_error(&html, &row, "Owner");
}

#[tokio::test]
async fn the_inbox_forms_redirect_to_the_message_after_they_worked() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let (id, address) = owner.account_with_address("Brand IG", "ig-pw").await;
    let mid = t.code_mail(&owner, &id, address, "<prg-1@x>").await;
    let b = Forms::owner(&t).await;
    let page = format!("/inbox/{mid}");
    // Marking the code used: 303 to the message, which says so once; a
    // reload of the form's URL goes to the message too.
    b.post_redirect_get(&format!("{page}/used"), &[], &page, "Marked used.")
        .await;
    let (_, used) = owner.get(&page).await;
    assert!(!used["used_at"].is_null(), "{used}");
    b.assert_redirect(&format!("{page}/forward"), &page).await;
    // An id that is not one goes to the inbox, never into the header as is.
    b.assert_redirect("/inbox/x%0d%0aSet-Cookie:%20a=b/used", "/inbox")
        .await;
}

#[tokio::test]
async fn guard_rails_confirmations_copy_and_own_rows() {
    let t = TestApp::sqlite().await;
    let owner = t.owner().await;
    let id = owner.account("Brand", "pw-1").await;
    let member = t.user(&owner, "mia@acme.test", "user").await;
    let (s, v) = owner.add_member(&id, &member.user_id, "collaborator").await;
    assert!(s.is_success(), "{v}");
    let b = t.browser("owner@acme.test", "owner-password-1").await;

    // Removing a member asks first.
    let page = b.html(&format!("/accounts/{id}")).await;
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
    b.hx_post(&format!("/accounts/{id}/backup/save"))
        .form(&[("codes", pasted)])
        .send()
        .await
        .unwrap();
    let section = text_of(b.hx_get(&format!("/accounts/{id}/backup"))).await;
    assert!(
        section.contains("<h2 id=\"backup-title\">Backup codes</h2>"),
        "{section}"
    );
    let use_button = between(&section, "id=\"backup-use\"", ">");
    assert!(use_button.contains("hx-confirm=\""), "{use_button}");
    b.step_up_then(&format!("backup-view:{id}"), "owner-password-1")
        .await;
    let used = text_of(b.hx_post(&format!("/accounts/{id}/backup/use"))).await;
    assert!(
        used.contains("id=\"backup-code\">1111 2222")
            && used.contains("id=\"backup-code-copy\" data-copy=\"1111 2222\""),
        "{used}"
    );

    // Unlock and Deactivate are for other people's rows, not your own.
    let users = b.html("/users").await;
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
