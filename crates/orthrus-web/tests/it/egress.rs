//! Login URLs that point into the server's own network are refused when an
//! account is created or changed (issue 11, finding 1): automations would
//! open them in the server's browser and show the page back.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn internal_login_urls_are_refused() {
    for t in TestApp::all("egress").await {
        let owner = t.owner().await;
        for url in [
            "http://127.0.0.1:8080/admin",
            "http://localhost/",
            "https://LOCALHOST.:9443/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://public.example@127.0.0.1/",
            "http://2130706433/",
        ] {
            let (s, v) = owner
                .post(
                    "/accounts",
                    &json!({"app": "x", "label": "l", "login_url": url, "password": "p"}),
                )
                .await;
            assert_eq!(
                (s, code(&v)),
                (StatusCode::BAD_REQUEST, "account.login_url_forbidden"),
                "{} {url}: {v}",
                t.backend
            );
        }
        // A public name that does not resolve here is kept: the browser
        // checks every connection again when a job runs.
        let id = owner.account("Brand", "pw").await;
        let (_, a) = owner.get(&format!("/accounts/{id}")).await;
        let (s, v) = owner
            .patch(
                &format!("/accounts/{id}"),
                &json!({"login_url": "http://127.0.0.1:2525/", "version": a["version"]}),
            )
            .await;
        assert_code(
            s,
            &v,
            StatusCode::BAD_REQUEST,
            "account.login_url_forbidden",
        );
        let (_, a) = owner.get(&format!("/accounts/{id}")).await;
        assert_ne!(
            a["login_url"], "http://127.0.0.1:2525/",
            "nothing was changed"
        );
    }
}
