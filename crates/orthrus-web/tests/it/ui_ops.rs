//! The UI handlers that act on an operation word (`/users/{id}/{op}`,
//! `/security/2fa/{op}`, the forwarding form's `op`, the SCIM token form's
//! `action`): a word they do not know answers the page's 404, as when the
//! words were matched as strings; with a malformed id too, since the id is
//! read only once the operation is known.

use crate::support::*;
use reqwest::StatusCode;

/// An id of the right form that names nothing.
const UNKNOWN: &str = "0190c3a2-7b1e-7000-8000-000000000000";

/// A form post's status and page, its request id blanked.
async fn answer(b: &Browser, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    blanked(sent(b.form(path, fields).header("origin", &b.url)).await).await
}

/// Asserts that `got` is the page's 404, the same answer as `first`.
#[track_caller]
fn assert_page_404(got: &(StatusCode, String), first: &(StatusCode, String), what: &str) {
    assert_eq!(got.0, StatusCode::NOT_FOUND, "{what}: {}", got.1);
    let message = orthrus_app::AppError::NotFound(orthrus_app::Entity::Page).to_string();
    assert!(got.1.contains(&message), "{what}: {}", got.1);
    assert_eq!(got.1, first.1, "{what}");
}

#[tokio::test]
async fn an_unknown_operation_word_is_the_pages_404_whatever_the_id() {
    for t in TestApp::all("ui_ops").await {
        let owner = t.owner().await;
        let ivy = t.user(&owner, "ivy@acme.test", "user").await;
        let b = t.browser("owner@acme.test", "owner-password-1").await;
        let first = answer(&b, &format!("/users/{}/promote", ivy.user_id), &[]).await;
        for (path, fields) in [
            (format!("/users/{}/promote", ivy.user_id), vec![]),
            (format!("/users/{UNKNOWN}/promote"), vec![]),
            ("/users/not-a-uuid/promote".to_owned(), vec![]),
            ("/users/not-a-uuid/Deactivate".to_owned(), vec![]),
            (
                "/users/not-a-uuid/".to_owned() + "unlock%20",
                vec![("role", "admin")],
            ),
            ("/security/2fa/begin".to_owned(), vec![]),
            ("/security/2fa/START".to_owned(), vec![("code", "123456")]),
            ("/inbox/forwarding".to_owned(), vec![("op", "resend")]),
            ("/inbox/forwarding".to_owned(), vec![("op", "")]),
            (
                "/inbox/forwarding".to_owned(),
                vec![("op", "Send"), ("email", "me@elsewhere.test")],
            ),
        ] {
            let got = answer(&b, &path, &fields).await;
            assert_page_404(&got, &first, &format!("{path} {fields:?}"));
        }
        // The id is still read only in the operations that use it: a
        // malformed one with a known operation is the user's 404.
        let (s, html) = answer(&b, "/users/not-a-uuid/unlock", &[]).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{html}");
        assert_ne!(html, first.1);
        // A role the form does not offer is refused before the id is read.
        let (s, html) = answer(&b, "/users/not-a-uuid/role", &[("role", "emperor")]).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{html}");
    }
}

#[tokio::test]
async fn the_scim_token_form_revokes_only_for_revoke_and_otherwise_makes_a_token() {
    let t = TestApp::sqlite().await;
    let _owner = t.owner().await;
    let b = t.browser("owner@acme.test", "owner-password-1").await;
    let pw = ("password", "owner-password-1");
    for action in [None, Some(""), Some("Revoke"), Some("create")] {
        let mut fields = vec![pw];
        fields.extend(action.map(|a| ("action", a)));
        let (s, html) = b.submit("/teams/scim-token", &fields).await;
        assert_eq!(s, StatusCode::OK, "{action:?}: {html}");
        assert!(html.contains("id=\"scim-token\">"), "{action:?}: {html}");
    }
    let r = sent(
        b.form("/teams/scim-token", &[pw, ("action", "revoke")])
            .header("origin", &b.url),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/teams");
}
