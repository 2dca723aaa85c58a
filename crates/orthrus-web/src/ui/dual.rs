//! UI of the two-person rule: the approvals panel for Owners and Super
//! Admins, and tagging an account critical.

use crate::WebState;
use crate::error::WebError;
use crate::extract::{Authed, PathId, UiForm, entity};
use crate::ui::render;
use crate::ui::step_up::{Resume, step_up_dialog};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use orthrus_app::InvalidCode;
use orthrus_app::{AppError, ApprovalStatus, DualAction, DualApproval};
use serde::Deserialize;

pub(crate) fn routes() -> Router<WebState> {
    Router::new()
        .route("/ui/dual", get(panel))
        .route("/ui/dual/{id}", post(decide))
        .route("/accounts/{id}/critical", post(toggle_critical))
}

#[derive(Template)]
#[template(path = "dual_panel.html")]
struct Panel {
    items: Vec<DualApproval>,
    message: Option<String>,
}

pub(crate) async fn render_panel(
    s: &WebState,
    a: &Authed,
    message: Option<String>,
) -> Result<Response, WebError> {
    render(&Panel {
        items: s.app.list_dual_approvals(&a.actor).await?,
        message,
    })
}

async fn panel(State(s): State<WebState>, a: Authed) -> Result<Response, WebError> {
    render_panel(&s, &a, None).await
}

#[derive(Deserialize)]
struct DecideQuery {
    approve: u8,
}

/// Decides; after the identity check it resumes as [`Resume::Dual`].
pub(crate) async fn decide_and_render(
    s: &WebState,
    a: &Authed,
    id: orthrus_core::EventId,
    approve: bool,
) -> Result<Response, WebError> {
    match s.app.decide_dual_approval(&a.actor, id, approve).await {
        Ok(st) => {
            render_panel(
                s,
                a,
                Some(if st == ApprovalStatus::Approved {
                    "Approved.".into()
                } else {
                    "Denied.".into()
                }),
            )
            .await
        }
        Err(AppError::StepUpRequired) => step_up_dialog(
            a,
            &Resume::Dual {
                approval: id,
                approve,
            },
        ),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            render_panel(s, a, Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn decide(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Approval>,
    Query(q): Query<DecideQuery>,
) -> Result<Response, WebError> {
    decide_and_render(&s, &a, id, q.approve == 1).await
}

/// The identity check typed into a form next to a sensitive button.
#[derive(Deserialize)]
pub(crate) struct ConfirmForm {
    pub(crate) password: Option<String>,
    pub(crate) totp: Option<String>,
}

/// The actor, elevated first when the form carries a password (a session
/// elevated recently needs none).
pub(crate) async fn confirmed(
    s: &WebState,
    a: &Authed,
    f: &ConfirmForm,
) -> Result<orthrus_app::Actor, WebError> {
    match f.password.as_deref().filter(|p| !p.is_empty()) {
        Some(password) => {
            // A wrong password must not read as "signed out" (401 sends the
            // browser to the sign-in page): it is a form error here.
            let until = s
                .app
                .step_up(
                    &a.actor,
                    password,
                    f.totp.as_deref().filter(|t| !t.is_empty()),
                )
                .await
                .map_err(|e| match e {
                    AppError::InvalidCredentials => AppError::invalid(
                        InvalidCode::StepUpFailed,
                        "the password or code is not correct",
                    ),
                    AppError::TotpRequired => AppError::invalid(
                        InvalidCode::StepUpTotpRequired,
                        "enter the code from your authenticator app too",
                    ),
                    e => e,
                })?;
            Ok(orthrus_app::Actor {
                elevated_until: Some(until),
                ..a.actor.clone()
            })
        }
        None => Ok(a.actor.clone()),
    }
}

async fn toggle_critical(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
    UiForm(f): UiForm<ConfirmForm>,
) -> Result<Response, WebError> {
    let actor = confirmed(&s, &a, &f).await?;
    let now = s.app.account_critical(&actor, id).await?;
    match s.app.set_account_critical(&actor, id, !now).await {
        Ok(()) => Ok(axum::response::IntoResponse::into_response(
            axum::response::Redirect::to(&format!("/accounts/{id}")),
        )),
        Err(AppError::StepUpRequired) => Err(WebError(AppError::invalid(
            InvalidCode::StepUpRequired,
            "tagging or untagging a critical account needs your password: type it next to the button",
        ))),
        Err(e) => Err(e.into()),
    }
}
