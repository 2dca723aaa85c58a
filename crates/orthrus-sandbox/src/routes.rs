//! The route table of each look: the same handlers ([`crate::pages`]) under
//! the paths of the app it plays, and the test control endpoints.

use crate::Sandbox;
use crate::pages::{account, challenge, control, login, mfa, two_factor};
use axum::Router;
use axum::routing::{get, post};

pub(crate) fn router(sb: Sandbox) -> Router {
    sandbox_pages(Router::new())
        .merge(control_routes())
        .with_state(sb)
}

/// The sandbox's own look.
fn sandbox_pages(r: Router<Sandbox>) -> Router<Sandbox> {
    r.route("/", get(login::home))
        .route("/accounts/login", get(login::login_page).post(login::login))
        // Instagram's real address ends with a slash; both are served.
        .route(
            "/accounts/login/",
            get(login::login_page).post(login::login),
        )
        .route("/accounts/logout", post(login::logout))
        .route("/challenge", get(challenge::challenge_page))
        .route("/challenge/send", post(challenge::challenge_send))
        .route("/challenge/verify", post(challenge::challenge_verify))
        .route(
            "/challenge/captcha",
            get(challenge::captcha_page).post(challenge::captcha_answer),
        )
        .route(
            "/accounts/login/two_factor",
            get(two_factor::two_factor_page).post(two_factor::two_factor),
        )
        .route(
            "/accounts/two_factor_authentication",
            get(mfa::mfa_settings),
        )
        .route(
            "/accounts/two_factor_authentication/app",
            get(mfa::app_setup_page).post(mfa::app_setup_confirm),
        )
        .route(
            "/accounts/two_factor_authentication/sms",
            get(mfa::sms_setup_page).post(mfa::sms_setup),
        )
        .route(
            "/accounts/password/change",
            get(account::password_page).post(account::password_change),
        )
        .route(
            "/accounts/email/change",
            get(account::email_page).post(account::email_change),
        )
        .route("/accounts/email/confirm", get(account::email_confirm))
}

/// The test control endpoints, the same for every look.
fn control_routes() -> Router<Sandbox> {
    Router::new()
        .route("/__sandbox/users", post(control::control_create_user))
        .route("/__sandbox/users/{username}", get(control::control_user))
        .route(
            "/__sandbox/users/{username}/age-devices",
            post(control::control_age_devices),
        )
        .route(
            "/__sandbox/config",
            get(control::control_get_config).post(control::control_config),
        )
        .route("/__sandbox/captchas", get(control::control_captchas))
        .route("/__sandbox/reset", post(control::control_reset))
}
