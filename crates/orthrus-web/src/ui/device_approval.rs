//! UI of step-up by approval on another device: the waiting dialog on the
//! asking device and the "Is this you?" prompt on the user's other sessions.
//! The dialog polls with GET, which only reads the status; once approved it
//! completes with a POST (CSRF-checked), which elevates the session once and
//! carries on with the action that asked.

use crate::WebState;
use crate::error::WebError;
use crate::extract::{Authed, PathId, UiForm, entity};
use crate::ui::render;
use crate::ui::step_up::{Step, Written, guarded_token};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use orthrus_app::{AppError, ApprovalPrompt, ApprovalStatus, DeviceRequestState};
use serde::Deserialize;

pub(crate) fn routes() -> Router<WebState> {
    Router::new()
        .route("/ui/step-up/device", post(start))
        .route("/ui/step-up/device/{id}", get(poll).post(complete))
        .route("/ui/approvals", get(approvals))
        .route("/ui/after-step-up", post(after_step_up))
        .route("/ui/approvals/{id}", post(decide))
}

#[derive(Template)]
#[template(path = "device_wait.html")]
struct Wait {
    id: String,
    number: String,
    then: String,
    error: Option<String>,
    /// Approved on the other device: the dialog posts to complete it.
    approved: bool,
}

#[derive(Deserialize)]
struct ThenQuery {
    then: String,
}

async fn start(
    State(s): State<WebState>,
    a: Authed,
    Query(q): Query<ThenQuery>,
) -> Result<Response, WebError> {
    let purpose = purpose_of(&s, &a, &q.then).await;
    let r = s.app.request_device_step_up_for(&a.actor, &purpose).await?;
    render(&Wait {
        id: r.id,
        number: r.number,
        then: q.then,
        error: None,
        approved: false,
    })
}

/// What the identity check is for (the `then` of the dialog), in words
/// the other device's prompt shows: the action and the account's name.
async fn purpose_of(s: &WebState, a: &Authed, then: &str) -> String {
    let then = Written::of(then);
    let Some(step) = then.step() else {
        return String::new();
    };
    let what = match step {
        Step::Reveal => "reveal the password of",
        Step::Copy => "copy the password of",
        Step::Field => "reveal a secret field of",
        Step::Mfa => "change the authenticator of",
        Step::BackupView => "view the backup codes of",
        Step::BackupUse => "take a backup code of",
        Step::Automation => "start an automation on",
        Step::Approve => return "approve another person's request (two-person rule)".into(),
        Step::Deny => return "deny another person's request (two-person rule)".into(),
        Step::JobBackup => return "let an automation use a backup code".into(),
    };
    let Some(id) = then.account() else {
        return format!("{what} an account");
    };
    match s.app.get_account(&a.actor, id).await {
        Ok(d) => format!("{what} {}", d.summary.label),
        Err(_) => format!("{what} an account"),
    }
}

/// The dialog, closed with a message (and a "Try again" button).
fn closed(id: String, then: String, message: &str) -> Result<Response, WebError> {
    render(&Wait {
        id,
        number: String::new(),
        then,
        error: Some(message.to_owned()),
        approved: false,
    })
}

async fn poll(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::StepUpRequest>,
    Query(q): Query<ThenQuery>,
) -> Result<Response, WebError> {
    let st = s.app.device_step_up_status(&a.actor, id).await?;
    match st.status {
        // Approved: the dialog completes it with a POST; a GET changes nothing.
        DeviceRequestState::Approved => render(&Wait {
            id: id.to_string(),
            number: String::new(),
            then: q.then,
            error: None,
            approved: true,
        }),
        DeviceRequestState::Denied => closed(
            id.to_string(),
            q.then,
            "Denied on your other device. If you did not deny it, change your password now.",
        ),
        DeviceRequestState::Used => closed(
            id.to_string(),
            q.then,
            "This approval was used already: ask again.",
        ),
        DeviceRequestState::Expired => closed(
            id.to_string(),
            q.then,
            "The request expired: it waits 2 minutes for approval, and an approval 5 minutes for you.",
        ),
        DeviceRequestState::Pending => {
            // Still waiting: keep the same dialog (the number does not change).
            Ok(axum::response::IntoResponse::into_response(
                axum::http::StatusCode::NO_CONTENT,
            ))
        }
    }
}

/// Completes an approved request (once): the session is elevated, then the
/// action that asked for the identity check runs.
async fn complete(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::StepUpRequest>,
    Query(q): Query<ThenQuery>,
) -> Result<Response, WebError> {
    match s.app.complete_device_step_up(&a.actor, id).await {
        Ok(_) => {
            let actor = s
                .app
                .authenticate(a.cookie_token.as_deref().unwrap_or(""), &a.actor.ip)
                .await?;
            guarded_token(
                &s,
                &Authed {
                    actor,
                    cookie_token: a.cookie_token.clone(),
                },
                &q.then,
            )
            .await
        }
        Err(e @ AppError::Conflict { .. }) => closed(id.to_string(), q.then, &e.to_string()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "approvals.html")]
struct Prompts {
    prompts: Vec<ApprovalPrompt>,
    message: Option<String>,
    ok: bool,
}

async fn approvals(State(s): State<WebState>, a: Authed) -> Result<Response, WebError> {
    render(&Prompts {
        prompts: s.app.pending_approvals(&a.actor).await?,
        message: None,
        ok: false,
    })
}

#[derive(Deserialize)]
struct DecideForm {
    number: Option<String>,
    deny: Option<String>,
}

async fn decide(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::StepUpRequest>,
    UiForm(f): UiForm<DecideForm>,
) -> Result<Response, WebError> {
    let (message, ok) = match s
        .app
        .decide_approval(&a.actor, id, f.number.as_deref(), f.deny.is_some())
        .await
    {
        Ok(ApprovalStatus::Approved) => {
            ("Approved: the other device can go ahead.".to_owned(), true)
        }
        Ok(_) => (
            "Denied. If someone else has your password, change it now.".to_owned(),
            false,
        ),
        Err(e @ (AppError::Conflict { .. } | AppError::Invalid { .. })) => (e.to_string(), false),
        Err(e) => return Err(e.into()),
    };
    render(&Prompts {
        prompts: s.app.pending_approvals(&a.actor).await?,
        message: Some(message),
        ok,
    })
}

/// After a passkey step-up in the browser: carry on with what was asked.
async fn after_step_up(
    State(s): State<WebState>,
    a: Authed,
    Query(q): Query<ThenQuery>,
) -> Result<Response, WebError> {
    guarded_token(&s, &a, &q.then).await
}
