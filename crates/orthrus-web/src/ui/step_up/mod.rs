//! "Confirm your identity": the dialog that asks for the password (or a
//! passkey, or approval on another device) before a sensitive action, and
//! [`guarded`], which runs that action once the check has passed. What to
//! run is a [`Resume`], carried through the dialog as its `then` token.

mod resume;

pub(crate) use resume::{Refused, Resume, Step, Written};

use crate::WebState;
use crate::error::WebError;
use crate::extract::{Authed, UiForm};
use crate::ui::render;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use orthrus_app::{AppError, InvalidCode};
use orthrus_core::JobKind;
use serde::Deserialize;

pub(crate) fn routes() -> Router<WebState> {
    Router::new()
        .route("/step-up", post(step_up))
        .route("/ui/step-up/cancel", get(step_up_cancel))
}

/// "Confirm your identity": says what it is for, and Cancel puts back what
/// was there before (see [`step_up_dialog`]).
#[derive(Template)]
#[template(path = "step_up.html")]
pub(crate) struct StepUpDialog {
    then: String,
    totp: bool,
    error: Option<String>,
    /// "Revealing a password", "Setting up the authenticator", …
    purpose: String,
    cancel_url: String,
    cancel_target: String,
}

impl StepUpDialog {
    /// The dialog for the token `then` (what runs once the check passes,
    /// as [`guarded`] reads it), said from what it names even when its ids
    /// do not parse.
    fn new(then: &str, totp: bool, error: Option<String>) -> Self {
        let w = Written::of(then);
        let step = w.step();
        let purpose = match step {
            Some(Step::Reveal) => "Revealing a password",
            Some(Step::Copy) => "Copying a password",
            Some(Step::Field) => "Revealing a secret field",
            Some(Step::Mfa) => "Setting up the authenticator",
            Some(Step::BackupView) => "Showing backup codes",
            Some(Step::BackupUse) => "Using a backup code",
            Some(Step::Approve) => "Approving a request",
            Some(Step::Deny) => "Denying a request",
            Some(Step::JobBackup) => "Letting the automation use a backup code",
            Some(Step::Automation) => match w.job() {
                Some(JobKind::EnableMfa) => "Turning on MFA",
                Some(JobKind::RotatePassword) => "Rotating the password",
                Some(JobKind::SwapEmail) => "Changing the account's email",
                _ => "Starting this automation",
            },
            None => "This",
        };
        let id = w.id;
        let (cancel_url, cancel_target) = match step {
            Some(Step::Mfa) => (format!("/accounts/{id}/mfa"), "#mfa"),
            Some(Step::BackupView | Step::BackupUse) => {
                (format!("/accounts/{id}/backup"), "#backup")
            }
            Some(Step::Approve | Step::Deny) => ("/ui/dual".into(), "closest .dialog"),
            Some(Step::Automation) => (format!("/accounts/{id}/automations-ui"), "closest .dialog"),
            _ => (
                format!("/ui/step-up/cancel?then={}", w.kind),
                "closest .dialog",
            ),
        };
        Self {
            then: then.to_owned(),
            totp,
            error,
            purpose: purpose.to_owned(),
            cancel_url,
            cancel_target: cancel_target.to_owned(),
        }
    }
}

/// The identity-check dialog as a response.
pub(crate) fn step_up_dialog(a: &Authed, then: &Resume) -> Result<Response, WebError> {
    render(&StepUpDialog::new(
        &then.to_string(),
        a.actor.totp_enabled,
        None,
    ))
}

/// The identity-check dialog's HTML, for a section that shows it under its
/// own heading.
pub(crate) fn step_up_dialog_html(a: &Authed, then: &Resume) -> Result<String, WebError> {
    StepUpDialog::new(&then.to_string(), a.actor.totp_enabled, None)
        .render()
        .map_err(|e| WebError(AppError::Internal(format!("template: {e}"))))
}

/// Cancel in a dialog that stood in for a hidden value: the value, hidden
/// again (or nothing, where the dialog stood alone). `then` is the kind.
async fn step_up_cancel(
    _a: Authed,
    Query(q): Query<StepUpQuery>,
) -> axum::response::Html<&'static str> {
    axum::response::Html(match q.then.parse::<Step>().ok() {
        Some(Step::Reveal | Step::Copy) => {
            "<span class=\"secret\" aria-label=\"hidden password\">••••••••••</span>"
        }
        Some(Step::Field) => "<span class=\"secret\">••••••</span>",
        _ => "",
    })
}

/// A response that replaces the whole section `target` (`#mfa`), whichever
/// element inside it (the dialog) asked.
fn into_section(mut r: Response, target: &'static str) -> Response {
    r.headers_mut()
        .insert("hx-retarget", axum::http::HeaderValue::from_static(target));
    r.headers_mut().insert(
        "hx-reswap",
        axum::http::HeaderValue::from_static("outerHTML"),
    );
    r
}

#[derive(Template)]
#[template(path = "secret_value.html")]
struct SecretValue {
    value: String,
    copy: bool,
}

/// Runs the token `then` once the identity check has passed; a token that
/// resumes nothing is refused ([`Refused`]).
pub(crate) async fn guarded_token(
    s: &WebState,
    a: &Authed,
    then: &str,
) -> Result<Response, WebError> {
    match Resume::parse(then) {
        Ok(then) => guarded(s, a, &then).await,
        Err(Refused::UnknownAction) => Err(WebError(AppError::invalid(
            InvalidCode::RequestInvalid,
            "unknown action",
        ))),
        Err(Refused::Malformed(e)) => Err(e.into()),
        Err(Refused::UnknownJob { account, written }) => {
            crate::ui::automation::start_kind(s, a, account, &written, None).await
        }
    }
}

/// Does what the identity check was for; asks for it (again) when the
/// session is not elevated.
pub(crate) async fn guarded(s: &WebState, a: &Authed, then: &Resume) -> Result<Response, WebError> {
    let result = match *then {
        Resume::Reveal(id) => s
            .app
            .reveal_password(&a.actor, id, false)
            .await
            .map(|v| (v, false)),
        Resume::Copy(id) => s
            .app
            .reveal_password(&a.actor, id, true)
            .await
            .map(|v| (v, true)),
        Resume::Field(id, field) => s
            .app
            .reveal_field(&a.actor, id, field)
            .await
            .map(|v| (v, false)),
        Resume::Mfa(id) => {
            return crate::ui::otp::mfa_form_after_step_up(s, a, id)
                .await
                .map(|r| into_section(r, "#mfa"));
        }
        Resume::Backup(id, what) => {
            return crate::ui::backup::after_step_up(s, a, id, what)
                .await
                .map(|r| into_section(r, "#backup"));
        }
        Resume::Dual { approval, approve } => {
            return crate::ui::dual::decide_and_render(s, a, approval, approve).await;
        }
        Resume::JobBackup(job) => {
            return crate::ui::automation::allow_backup_code(s, a, job).await;
        }
        Resume::Automation {
            account,
            kind,
            confirmed,
        } => {
            return crate::ui::automation::start_kind(
                s,
                a,
                account,
                kind.as_str(),
                Resume::confirmed_mfa_off(kind, confirmed),
            )
            .await;
        }
    };
    match result {
        Ok((value, copy)) => render(&SecretValue {
            value: value.into_inner(),
            copy,
        }),
        Err(AppError::StepUpRequired) => step_up_dialog(a, then),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct StepUpQuery {
    then: String,
}

#[derive(Deserialize)]
struct StepUpForm {
    password: String,
    totp: Option<String>,
}

async fn step_up(
    State(s): State<WebState>,
    a: Authed,
    Query(q): Query<StepUpQuery>,
    UiForm(f): UiForm<StepUpForm>,
) -> Result<Response, WebError> {
    match s
        .app
        .step_up(&a.actor, &f.password, f.totp.as_deref())
        .await
    {
        Ok(until) => {
            let a = Authed {
                actor: orthrus_app::Actor {
                    elevated_until: Some(until),
                    ..a.actor
                },
                cookie_token: a.cookie_token,
            };
            guarded_token(&s, &a, &q.then).await
        }
        // Only the password (and code) was asked for: the message says so,
        // not "the email or password".
        Err(
            e
            @ (AppError::InvalidCredentials | AppError::TotpRequired | AppError::Throttled { .. }),
        ) => {
            let message = match e {
                AppError::InvalidCredentials if a.actor.totp_enabled => {
                    "That password or code is not correct.".to_owned()
                }
                AppError::InvalidCredentials => "That password is not correct.".to_owned(),
                AppError::TotpRequired => {
                    "Enter the code from your authenticator app too.".to_owned()
                }
                e => e.to_string(),
            };
            render(&StepUpDialog::new(
                &q.then,
                a.actor.totp_enabled,
                Some(message),
            ))
        }
        Err(e) => Err(e.into()),
    }
}
