//! An app without a recipe (issue 13): `orthrus serve` signs in to it with
//! the generic login, which reads the page with the browser extension's
//! code, here through the sandbox's password and authenticator steps; the
//! other automations say they need a recipe.

use crate::scene::Scene;
use crate::support::*;
use serde_json::json;

const SEED: &str = "JBSWY3DPEHPK3PXP";

#[tokio::test]
async fn an_app_without_a_recipe_logs_in_through_the_generic_flow() {
    let scene = Scene::new(None).await;
    let (c, base, t) = (scene.c.clone(), scene.base.clone(), scene.t.clone());
    let acct = create(&c, &format!("{base}/accounts"), &t, json!({"app": "Vendor portal", "label": "Vendor", "login_url": format!("{}/accounts/login/", scene.sandbox), "username": "vendor", "password": "pw-1-correct"})).await;
    let id = acct["id"].as_str().unwrap().to_owned();
    scene
        .sandbox_user(json!({"username": "vendor", "password": "pw-1-correct", "email": "vendor@inbox.test", "totp_secret": SEED}))
        .await;
    scene
        .sandbox_config(json!({"challenge_unknown_devices": false}))
        .await;
    scene.authenticator(&id, SEED).await;

    let job = scene.start(&id, "login").await;
    let end = scene.succeeds(&job).await;
    let steps = end["steps"].to_string();
    assert!(steps.contains("typed {totp}"), "{steps}");
    assert!(!steps.contains("pw-1-correct"), "{steps}");

    // Turning on MFA needs the app's own recipe.
    let job = scene.start(&id, "rotate_password").await;
    let end = scene.wait(&job).await;
    assert_eq!(end["state"], "failed", "{end}");
    assert!(
        end["error"]
            .as_str()
            .unwrap_or("")
            .contains("only the generic login"),
        "{end}"
    );
}
