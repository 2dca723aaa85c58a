//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use crate::WebState;
use crate::{api, api_accounts, api_autofill, api_automation, api_backup, api_otp, api_sms};
use axum::Json;
use axum::Router;
use axum::routing::get;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

#[derive(OpenApi)]
#[openapi(
    info(title = "Orthrus API", description = "Share app accounts without sharing passwords or phones. Errors are `{\"error\": {\"code\", \"message\", \"request_id\"}}`."),
    paths(
        api::healthz, api::readyz, api::login, api::logout, api::step_up, api::me, api::list_sessions, api::revoke_session,
        api::list_tokens, api::create_token, api::revoke_token, api::two_factor_status, api::begin_totp, api::confirm_totp,
        api::disable_totp, api::regenerate_codes, api::list_users, api::create_user, api::update_user, api::unlock_user,
        api::reset_user_2fa, api::workspace, api::update_workspace, api::device_request, api::device_status, api::device_complete, api::approvals, api::decide, api::dual_approvals, api::decide_dual, api::set_critical, api::passkey_register_start, api::passkey_register_finish, api::list_passkeys, api::delete_passkey, api::passkey_step_up_start, api::passkey_step_up_finish,
        api_accounts::list_accounts, api_accounts::create_account, api_accounts::get_account, api_accounts::update_account,
        api_accounts::delete_account, api_accounts::reveal_password, api_accounts::reveal_field, api_accounts::reveal_history,
        api_accounts::list_members, api_accounts::add_member, api_accounts::remove_member, api_accounts::generate_password,
        api_sms::add_number, api_sms::list_numbers, api_sms::assign_number, api_sms::twilio, api_sms::generic,
        api_accounts::list_audit, api_accounts::create_managed_email, api_accounts::list_managed_email, api_accounts::inbox, api_accounts::inbox_wait, api_accounts::inbox_used, api_accounts::inbox_message, api_accounts::inbox_forward, api_accounts::forward_address_get, api_accounts::forward_address_put, api_accounts::forward_address_verify,
        api_otp::enroll, api_otp::enroll_qr, api_otp::status, api_otp::pending, api_otp::confirm, api_otp::cancel,
        api_otp::remove, api_otp::code, api_otp::mark_used, api_otp::verify, api_otp::ledger, api_otp::import, api_otp::export,
        api_automation::start, api_automation::job, api_automation::cancel, api_automation::list, api_automation::answer, api_automation::screenshot, api_automation::rotation, api_automation::set_rotation,
        api_backup::set, api_backup::preview, api_backup::view, api_backup::status, api_backup::use_one, api_backup::mark_used,
        api_autofill::candidates, api_autofill::autofill, api_autofill::restrictions, api_autofill::app_restrictions, api_autofill::set_app_restrictions,
        api_autofill::account_urls, api_autofill::set_account_urls, api_autofill::recent_autofills, api_autofill::start_pairing, api_autofill::claim_pairing,
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub(crate) fn routes() -> Router<WebState> {
    Router::new().route("/api/v1/openapi.json", get(spec))
}

async fn spec() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
