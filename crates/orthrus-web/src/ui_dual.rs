//! UI of the two-person rule: the approvals panel for Owners and Super
//! Admins, and tagging an account critical.

use crate::WebState;
use crate::error::WebError;
use crate::extract::Authed;
use crate::ui::render;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use orthrus_app::{AppError, DualApproval};
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

#[derive(Template)]
#[template(path = "step_up.html")]
struct StepUpDialog {
    then: String,
    totp: bool,
    error: Option<String>,
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

/// Decides; `then` form for after the identity check is `dual-<0|1>:<id>`.
pub(crate) async fn decide_and_render(
    s: &WebState,
    a: &Authed,
    id: &str,
    approve: bool,
) -> Result<Response, WebError> {
    match s.app.decide_dual_approval(&a.actor, id, approve).await {
        Ok(st) => {
            render_panel(
                s,
                a,
                Some(if st == "approved" {
                    "Approved.".into()
                } else {
                    "Denied.".into()
                }),
            )
            .await
        }
        Err(AppError::StepUpRequired) => render(&StepUpDialog {
            then: format!("dual-{}:{id}", u8::from(approve)),
            totp: a.actor.totp_enabled,
            error: None,
        }),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            render_panel(s, a, Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn decide(
    State(s): State<WebState>,
    a: Authed,
    Path(id): Path<String>,
    Query(q): Query<DecideQuery>,
) -> Result<Response, WebError> {
    decide_and_render(&s, &a, &id, q.approve == 1).await
}

async fn toggle_critical(
    State(s): State<WebState>,
    a: Authed,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let now = s.app.account_critical(&a.actor, &id).await?;
    s.app.set_account_critical(&a.actor, &id, !now).await?;
    Ok(axum::response::IntoResponse::into_response(
        axum::response::Redirect::to(&format!("/accounts/{id}")),
    ))
}
