//! The route table of each look: the same handlers ([`crate::pages`]) under
//! the paths of the app it plays, and the test control endpoints.

use crate::pages::{account, challenge, control, login, mfa, two_factor};
use crate::{Sandbox, SandboxApp};
use axum::Router;
use axum::routing::{MethodRouter, get, post};

pub(crate) fn router(sb: Sandbox) -> Router {
    let pages = match sb.cfg.app {
        SandboxApp::Sandbox => sandbox_pages(Router::new()),
        SandboxApp::Instagram => instagram_pages(),
    };
    pages.merge(control_routes()).with_state(sb)
}

/// Serves `path` with and without its trailing slash.
fn both(r: Router<Sandbox>, path: &str, m: MethodRouter<Sandbox>) -> Router<Sandbox> {
    let bare = path.trim_end_matches('/');
    r.route(bare, m.clone()).route(&format!("{bare}/"), m)
}

/// The Instagram replica: Instagram's paths, each with and without its
/// trailing slash.
fn instagram_pages() -> Router<Sandbox> {
    let r = Router::new().route("/", get(login::home));
    [
        (
            "/accounts/login/",
            get(login::login_page_or_home).post(login::login),
        ),
        ("/accounts/logout/", post(login::logout)),
        (
            "/accounts/onetap/",
            get(login::onetap_page).post(login::onetap),
        ),
        (
            "/challenge/",
            get(challenge::challenge_page).post(challenge::challenge_post),
        ),
        ("/challenge/replay/", get(challenge::challenge_replay)),
        (
            "/challenge/captcha/",
            get(challenge::captcha_page).post(challenge::captcha_answer),
        ),
        (
            "/accounts/login/two_factor",
            get(two_factor::two_factor_page).post(two_factor::two_factor),
        ),
        (
            "/accounts/two_factor_authentication/",
            get(mfa::mfa_settings),
        ),
        (
            "/accounts/two_factor_authentication/app/",
            get(mfa::app_setup_page).post(mfa::app_setup_confirm),
        ),
        (
            crate::views::instagram::RECOVERY_CODES,
            get(mfa::recovery_codes_page).post(mfa::recovery_codes_done),
        ),
        (
            "/accounts/two_factor_authentication/sms/",
            get(mfa::sms_setup_page).post(mfa::sms_setup),
        ),
        (
            "/accounts/password/change/",
            get(account::password_page).post(account::password_change),
        ),
        (
            "/accounts/edit/",
            get(account::email_page).post(account::email_change),
        ),
        (
            "/accounts/confirm_email/{token}/",
            get(account::email_confirm_path),
        ),
        // A profile: any other one-segment path (the fixed ones win).
        ("/{username}/", get(login::profile)),
    ]
    .into_iter()
    .fold(r, |r, (path, m)| both(r, path, m))
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
            "/__sandbox/users/{username}/sign-out",
            post(control::control_sign_out),
        )
        .route(
            "/__sandbox/config",
            get(control::control_get_config).post(control::control_config),
        )
        .route("/__sandbox/captchas", get(control::control_captchas))
        .route("/__sandbox/reset", post(control::control_reset))
}
