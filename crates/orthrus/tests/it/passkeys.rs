//! Passkeys in headless Chromium with its virtual authenticator: one
//! registered on My security answers the identity check for a reveal and
//! for the backup codes, audited as a passkey step-up. The registration and
//! reveal steps serve the three-node test (`cluster.rs`) too.

use crate::support::chromium::*;
use crate::support::*;
use thirtyfour::prelude::*;

/// Chromium's virtual authenticator (WebDriver WebAuthn extension).
#[derive(Debug)]
struct AddVirtualAuthenticator;

impl thirtyfour::common::command::ExtensionCommand for AddVirtualAuthenticator {
    fn parameters_json(&self) -> Option<serde_json::Value> {
        Some(serde_json::json!({
            "protocol": "ctap2", "transport": "internal", "hasResidentKey": true,
            "hasUserVerification": true, "isUserVerified": true, "automaticPresenceSimulation": true
        }))
    }
    fn method(&self) -> reqwest::Method {
        reqwest::Method::POST
    }
    fn endpoint(&self) -> std::sync::Arc<str> {
        "/webauthn/authenticator".into()
    }
}

/// With Chromium's virtual authenticator: the Owner (owner@acme.test)
/// signs in, registers a passkey on My security, signs in afresh and
/// reveals account `id`'s password, the passkey answering the identity
/// check; the password shown.
pub(crate) async fn register_a_passkey_and_reveal_with_it(
    b: &WebDriver,
    public: &str,
    id: &str,
) -> WebDriverResult<String> {
    b.handle()
        .cmd(thirtyfour::common::command::Command::ExtensionCommand(
            Box::new(AddVirtualAuthenticator),
        ))
        .await?;
    sign_in(b, public, "owner@acme.test", "owner-password-1").await?;
    b.goto(&format!("{public}/security")).await?;
    let form = wait_for(b, By::Id("passkey-register")).await?;
    form.find(By::Name("name"))
        .await?
        .send_keys("Test laptop")
        .await?;
    form.find(By::Name("password"))
        .await?
        .send_keys("owner-password-1")
        .await?;
    form.find(By::Css("button[type=submit]"))
        .await?
        .click()
        .await?;
    wait_for(b, By::XPath("//td[text()='Test laptop']")).await?;
    // A fresh session: revealing asks for the identity check; the passkey answers it.
    sign_out(b).await?;
    sign_in(b, public, "owner@acme.test", "owner-password-1").await?;
    b.goto(&format!("{public}/accounts/{id}")).await?;
    wait_and_click(b, By::Id("reveal-password")).await?;
    wait_and_click(b, By::Id("step-up-passkey")).await?;
    text_of(b, By::Id("password-value")).await
}

#[tokio::test]
async fn passkey_registration_and_step_up_in_chromium() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let storage = owner_storage(dir.path());
    // Passkeys need a host name: the relying party is `localhost`.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let public = format!("http://localhost:{port}");
    let server = Server::start_with(
        &storage,
        "info",
        &["--http", &listen, "--public-url", &public],
    );
    assert_eq!(server.url, public);
    let c = http();
    let t = login(
        &c,
        &format!("http://{listen}"),
        "owner@acme.test",
        "owner-password-1",
    )
    .await;
    let base = format!("http://{listen}/api/v1");
    let id = add_account(&c, &base, &t, "github", "Acme GitHub", "Passkey-Guarded-7").await;
    let (s, _) = put(
        &c,
        &format!("http://{listen}/api/v1/accounts/{id}/backup-codes"),
        &t,
        Some(serde_json::json!({"codes": "8841 2290\n1377 4052"})),
    )
    .await;
    assert_eq!(s, 200);

    let chromium = Chromium::start().await;
    let b = &chromium.b;
    let result = async {
        let shown = register_a_passkey_and_reveal_with_it(b, &public, &id).await?;
        assert_eq!(shown, "Passkey-Guarded-7");
        // The same session, elevated by the passkey, views the backup codes.
        wait_and_click(b, By::Id("backup-view")).await?;
        wait_for(b, By::XPath("//td[text()='8841 2290']")).await?;
        WebDriverResult::Ok(())
    }
    .await;
    chromium.finish(result, || server.logs()).await;
    let (_, ev) = get(
        &c,
        &format!("http://{listen}/api/v1/audit?action=auth.step_up"),
        &t,
    )
    .await;
    assert!(
        ev.as_array()
            .unwrap()
            .iter()
            .any(|e| e["detail"]["method"] == "passkey" && e["outcome"] == "success"),
        "{ev}"
    );
    let (_, keys) = get(&c, &format!("http://{listen}/api/v1/me/passkeys"), &t).await;
    assert_eq!(keys[0]["name"], "Test laptop");
    assert!(keys[0]["last_used_at"].is_string());
    assert!(server.stop().success());
}
