//! Pages for access requests (issue 15, item 4): the directory of the
//! workspace's accounts with "Request access" (`/directory`), the Requests
//! page where Owners approve or decline and requesters see the outcome
//! (`/requests`), and the nav badge with the number waiting for you
//! (`/ui/requests/count`, loaded by htmx).

use crate::WebState;
use crate::error::WebError;
use crate::extract::{Authed, PathId, UiForm, entity};
use crate::ui::{Flash, FormError, Page, render, see_other, with_status};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use orthrus_app::InvalidCode;
use orthrus_app::{AccessRequestInfo, AppError, DirectoryAccount, NewAccessRequest, RequestState};
use serde::Deserialize;

pub(crate) fn routes() -> Router<WebState> {
    Router::new()
        .route("/directory", get(directory_page))
        .route(
            "/directory/{id}/request",
            get(to_directory).post(request_access),
        )
        .route("/requests", get(requests_page))
        .route("/requests/{id}/approve", get(to_requests).post(approve))
        .route("/requests/{id}/decline", get(to_requests).post(decline))
        .route("/ui/requests/count", get(count_badge))
        .route("/users/{id}/access-end", get(to_users).post(set_access_end))
}

async fn to_users() -> Redirect {
    Redirect::to("/users")
}

#[derive(Deserialize)]
struct AccessEndForm {
    access_expires_at: String,
}

/// The Users page's "Access ends" of a guest: moves their date.
async fn set_access_end(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::User>,
    UiForm(f): UiForm<AccessEndForm>,
) -> Result<Response, WebError> {
    let changed = match orthrus_app::parse_end_time(&f.access_expires_at) {
        Ok(until) => s.app.set_guest_access_end(&a.actor, id, until).await,
        Err(e) => Err(e),
    };
    match changed {
        Ok(u) => Ok(see_other(
            &s,
            "/users",
            &format!(
                "{}'s access now ends {}.",
                u.email,
                u.access_expires_at
                    .as_deref()
                    .map(crate::ui::words::when)
                    .unwrap_or_default()
            ),
        )),
        Err(e @ AppError::Invalid { .. }) => Ok(see_other(&s, "/users", &e.to_string())),
        Err(e) => Err(e.into()),
    }
}

/// A form's URL opened with `GET`: the page the form is on.
async fn to_directory() -> Redirect {
    Redirect::to("/directory")
}
async fn to_requests() -> Redirect {
    Redirect::to("/requests")
}

/// What was typed in the request form, shown again beside a refusal.
#[derive(Deserialize, Default, Clone)]
struct RequestForm {
    role: String,
    reason: String,
    /// A number of days (the form's unit); the API takes hours.
    days: String,
}

#[derive(Template)]
#[template(path = "directory.html")]
struct DirectoryPage {
    page: Page,
    accounts: Vec<DirectoryAccount>,
    /// The account whose form refused what was typed, with the refusal.
    refused: Option<String>,
    form: FormError,
    /// What the other rows' forms show: nothing wrong.
    no_error: FormError,
    typed: RequestForm,
}

impl DirectoryPage {
    /// The refusal to show in one account's form (nothing for the others).
    fn error_for(&self, account_id: &str) -> &FormError {
        if self.refused.as_deref() == Some(account_id) {
            &self.form
        } else {
            &self.no_error
        }
    }
}

async fn directory_view(
    s: &WebState,
    a: &Authed,
    refused: Option<String>,
    form: FormError,
    typed: RequestForm,
    flash: Option<String>,
) -> Result<Response, WebError> {
    let accounts = s.app.account_directory(&a.actor).await?;
    let mut page = Page::new(s, a, "Find an account", "directory");
    page.flash = flash;
    render(&DirectoryPage {
        page,
        accounts,
        refused,
        form,
        no_error: FormError::default(),
        typed,
    })
}

async fn directory_page(
    State(s): State<WebState>,
    a: Authed,
    Flash(flash): Flash,
) -> Result<Response, WebError> {
    directory_view(
        &s,
        &a,
        None,
        FormError::default(),
        RequestForm::default(),
        flash,
    )
    .await
}

async fn request_access(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
    UiForm(f): UiForm<RequestForm>,
) -> Result<Response, WebError> {
    let refuse = |field: &'static str, e: String| {
        let (s, a, id, f) = (s.clone(), &a, id, f.clone());
        async move {
            let refused = Some(id.to_string());
            let form = FormError::on(field, e);
            with_status(
                StatusCode::BAD_REQUEST,
                directory_view(&s, a, refused, form, f, None).await,
            )
        }
    };
    let Ok(role) = f.role.parse() else {
        return refuse("role", "choose a role".into()).await;
    };
    let Some(days) = f.days.trim().parse::<i64>().ok().filter(|d| *d > 0) else {
        return refuse("days", "say for how many days (1 to 365)".into()).await;
    };
    let asked = s
        .app
        .request_access(
            &a.actor,
            id,
            NewAccessRequest {
                role,
                reason: f.reason.clone(),
                duration_hours: days.saturating_mul(24),
            },
        )
        .await;
    match asked {
        Ok(r) => Ok(see_other(
            &s,
            "/requests",
            &format!(
                "Asked for access to {}. Its Owners decide; the outcome shows here.",
                r.account_label
            ),
        )),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            let field = match e {
                AppError::Invalid {
                    code: InvalidCode::AccessRequestInvalidDuration,
                    ..
                } => "days",
                AppError::Invalid {
                    code: InvalidCode::MemberInvalidRole,
                    ..
                } => "role",
                _ => "reason",
            };
            refuse(field, e.to_string()).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "requests.html")]
struct RequestsPage {
    page: Page,
    to_decide: Vec<AccessRequestInfo>,
    mine: Vec<AccessRequestInfo>,
    decided: Vec<AccessRequestInfo>,
    error: Option<(String, String)>,
}

async fn requests_view(
    s: &WebState,
    a: &Authed,
    error: Option<(String, String)>,
    flash: Option<String>,
) -> Result<Response, WebError> {
    let all = s.app.list_access_requests(&a.actor).await?;
    let (to_decide, rest): (Vec<_>, Vec<_>) = all.into_iter().partition(|r| r.can_decide);
    let (mine, decided): (Vec<_>, Vec<_>) = rest.into_iter().partition(|r| r.mine);
    let mut page = Page::new(s, a, "Access requests", "requests");
    page.flash = flash;
    render(&RequestsPage {
        page,
        to_decide,
        mine,
        decided,
        error,
    })
}

/// The Requests page again with why a decision on request `id` was
/// refused beside it.
async fn requests_refused(
    s: &WebState,
    a: &Authed,
    id: orthrus_core::ids::EventId,
    e: AppError,
    status: StatusCode,
) -> Result<Response, WebError> {
    let error = Some((id.to_string(), e.to_string()));
    with_status(status, requests_view(s, a, error, None).await)
}

async fn requests_page(
    State(s): State<WebState>,
    a: Authed,
    Flash(flash): Flash,
) -> Result<Response, WebError> {
    requests_view(&s, &a, None, flash).await
}

async fn approve(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::AccessRequest>,
) -> Result<Response, WebError> {
    match s.app.approve_access_request(&a.actor, id).await {
        Ok(r) => Ok(see_other(
            &s,
            "/requests",
            &format!(
                "{} is now {} of {}{}.",
                r.requester_email,
                r.role.label(),
                r.account_label,
                r.grant_expires_at
                    .as_deref()
                    .map(|t| format!(" until {}", crate::ui::words::when(t)))
                    .unwrap_or_default()
            ),
        )),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            requests_refused(&s, &a, id, e, StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
struct DeclineForm {
    #[serde(default)]
    note: String,
}

async fn decline(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::AccessRequest>,
    UiForm(f): UiForm<DeclineForm>,
) -> Result<Response, WebError> {
    match s
        .app
        .decline_access_request(&a.actor, id, Some(f.note))
        .await
    {
        Ok(r) => Ok(see_other(
            &s,
            "/requests",
            &format!(
                "Declined {}'s request for {}.",
                r.requester_email, r.account_label
            ),
        )),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            requests_refused(&s, &a, id, e, StatusCode::BAD_REQUEST).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The nav badge: how many requests wait for your decision (empty when
/// none).
async fn count_badge(State(s): State<WebState>, a: Authed) -> Result<Response, WebError> {
    let n = s.app.pending_decisions(&a.actor).await?;
    let body = if n == 0 {
        String::new()
    } else {
        format!(
            r#"<span class="badge danger" title="{n} waiting for your decision">{n}<span class="skip"> waiting</span></span>"#
        )
    };
    Ok(axum::response::Html(body).into_response())
}

/// For templates: a request's state in words.
pub(crate) fn state_label(s: &RequestState) -> &'static str {
    match s {
        RequestState::Pending => "Waiting",
        RequestState::Approved => "Approved",
        RequestState::Declined => "Declined",
    }
}
