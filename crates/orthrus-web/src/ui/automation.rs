//! Automation pages: the Automations section of an account page (start a
//! job, see its recent ones, live while one runs), the Automation Log and
//! one job's steps (live through server-sent events until the job ends),
//! where a person answers what a job asks.

use crate::WebState;
use crate::error::WebError;
use crate::extract::{Authed, PathId, UiForm, entity};
use crate::ui::step_up::{Resume, step_up_dialog};
use crate::ui::{Page, render};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use orthrus_app::{AppError, JobView};
use orthrus_core::{JobKind, JobState, StepOutcome};
use serde::Deserialize;
use std::collections::HashMap;

pub(crate) fn routes() -> Router<WebState> {
    Router::new()
        .route("/accounts/{id}/automations-ui", get(section).post(start))
        .route("/accounts/{id}/rotation-ui", post(set_rotation))
        .route("/automations", get(log_page))
        .route("/automations/{id}", get(job_page))
        .route("/automations/{id}/cancel", post(cancel))
        .route("/automations/{id}/answer", post(answer))
        .route("/automations/{id}/events", get(events))
}

/// How long one event stream lasts before the browser reconnects (and is
/// authenticated again).
const STREAM_SECS: u64 = 600;

/// Server-sent events for a job's page: `job` whenever its state or steps
/// change (the page then reloads its panel), and `end` once it finished,
/// after which the stream closes.
async fn events(
    State(s): State<WebState>,
    a: crate::live::LiveAuth,
    PathId(id): PathId<entity::Job>,
) -> Result<
    axum::response::sse::Sse<
        impl futures_util::Stream<Item = Result<axum::response::sse::Event, std::convert::Infallible>>,
    >,
    WebError,
> {
    use axum::response::sse::{Event, KeepAlive, Sse};
    // Fails now (404) for a job the caller may not see.
    s.app.automation_job(&a.actor, id).await?;
    let end = tokio::time::Instant::now() + std::time::Duration::from_secs(STREAM_SECS);
    // Listening from before the first look: nothing is missed in between.
    let changes = s.app.watch_changes();
    let job_id = Some(id);
    let start = (
        s.clone(),
        a.actor.clone(),
        id,
        None::<String>,
        false,
        changes,
    );
    let stream = futures_util::stream::unfold(
        start,
        move |(s, actor, id, last, finished, mut changes)| async move {
            if finished {
                return None;
            }
            loop {
                let job = s.app.automation_job(&actor, id).await.ok()?;
                // Not updated_at: the heartbeat moves it every few seconds.
                let key = format!(
                    "{}|{:?}|{}|{:?}",
                    job.state,
                    job.question.as_ref().map(|q| &q.prompt),
                    job.steps.len(),
                    job.steps.last().and_then(|x| x.ended_at.as_deref())
                );
                let done = !job.state.is_pending();
                if last.as_deref() != Some(key.as_str()) || done {
                    let event = Event::default()
                        .event(if done { "end" } else { "job" })
                        .data(job.state.as_str());
                    return Some((Ok(event), (s, actor, id, Some(key), done, changes)));
                }
                // Woken when this job changes on any node (PostgreSQL
                // relays the others'), or by a resync; no polling on
                // PostgreSQL (on SQLite, an `orthrus worker` process may run
                // it: look again every second).
                let left = end.saturating_duration_since(tokio::time::Instant::now());
                if left.is_zero() {
                    return None;
                }
                let left = left.min(
                    s.app
                        .unheard_writes_recheck()
                        .unwrap_or(std::time::Duration::MAX),
                );
                let this = |c: &orthrus_app::Change| matches!(c, orthrus_app::Change::Job { job } if Some(*job) == job_id);
                let _ = tokio::time::timeout(left, changes.until(this)).await;
            }
        },
    );
    // Ends within seconds of sign-out, deactivation or a role change.
    let stream = a.bound(s, stream);
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

#[derive(Template)]
#[template(path = "automation_section.html")]
struct Section {
    account_id: String,
    jobs: Vec<JobView>,
    busy: bool,
    /// The account's Owners may run every kind; others only log in.
    owner: bool,
    /// The app has a recipe: more than the generic login can run.
    has_recipe: bool,
    /// The viewer may check that MFA is still on (Orthrus holds the key).
    can_check_mfa: bool,
    /// For the forms that also work without JavaScript.
    csrf: String,
    /// The rotation settings, when the viewer may change them now.
    rotation: Option<orthrus_app::RotationSchedule>,
    unavailable: Vec<JobKind>,
    error: Option<String>,
}

async fn section_view(
    s: &WebState,
    a: &Authed,
    id: orthrus_core::AccountId,
    error: Option<String>,
) -> Result<Response, WebError> {
    let mut jobs = match s.app.automation_jobs(&a.actor, Some(&id.to_string())).await {
        Ok(j) => j,
        // Members who may not run automations see no section.
        Err(AppError::Forbidden) => return Ok(axum::response::Html("").into_response()),
        Err(e) => return Err(e.into()),
    };
    jobs.truncate(5);
    // Owners see every button and the rotation form; a Super Admin who is
    // not an Owner sees the buttons and is asked for the identity check.
    let (owner, rotation) = match s.app.rotation_schedule(&a.actor, id).await {
        Ok(r) => (true, Some(r)),
        Err(AppError::StepUpRequired) => (true, None),
        Err(AppError::Forbidden) => (false, None),
        Err(e) => return Err(e.into()),
    };
    let has_recipe = match s.app.get_account(&a.actor, id).await {
        Ok(d) => s.app.app_has_recipe(&d.summary.app),
        Err(_) => false,
    };
    let can_check_mfa = s.app.can_check_mfa(&a.actor, id).await.unwrap_or(false);
    render(&Section {
        account_id: id.to_string(),
        owner,
        has_recipe,
        can_check_mfa,
        csrf: a
            .cookie_token
            .as_deref()
            .map(|t| s.app.csrf_token(t))
            .unwrap_or_default(),
        rotation,
        busy: jobs.iter().any(|j| j.state.is_pending()),
        jobs,
        unavailable: JobKind::ALL
            .into_iter()
            .filter(|k| !orthrus_app::AVAILABLE_KINDS.contains(k))
            .collect(),
        error,
    })
}

async fn section(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
) -> Result<Response, WebError> {
    section_view(&s, &a, id, None).await
}

#[derive(Deserialize)]
struct StartForm {
    kind: String,
    /// Turn on MFA's box: "I've verified that MFA is off for this account".
    confirmed_mfa_off: Option<String>,
}

async fn start(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
    headers: axum::http::HeaderMap,
    UiForm(f): UiForm<StartForm>,
) -> Result<Response, WebError> {
    // The page's Turn on MFA form has a box that must be ticked: unticked
    // is refused (nothing is queued).
    let confirmed = (JobKind::parse(&f.kind) == Some(JobKind::EnableMfa))
        .then_some(f.confirmed_mfa_off.is_some());
    if !headers.contains_key("hx-request") {
        // A plain form post (no JavaScript): back to the account page, or
        // the error page with the reason.
        let opts = orthrus_app::StartOptions {
            confirmed_mfa_off: confirmed,
        };
        s.app
            .start_automation_with(&a.actor, id, &f.kind, opts)
            .await?;
        return Ok(Redirect::to(&format!("/accounts/{id}")).into_response());
    }
    start_kind(&s, &a, id, &f.kind, confirmed).await
}

/// Starts a job from the section; kinds that change a security setting ask
/// for the identity check first and start once it passes.
pub(crate) async fn start_kind(
    s: &WebState,
    a: &Authed,
    id: orthrus_core::AccountId,
    kind: &str,
    confirmed_mfa_off: Option<bool>,
) -> Result<Response, WebError> {
    let opts = orthrus_app::StartOptions { confirmed_mfa_off };
    match s.app.start_automation_with(&a.actor, id, kind, opts).await {
        Ok(_) => section_view(s, a, id, None).await,
        Err(AppError::StepUpRequired) => match JobKind::parse(kind) {
            Some(kind) => step_up_dialog(
                a,
                &Resume::Automation {
                    account: id,
                    kind,
                    confirmed: confirmed_mfa_off == Some(true),
                },
            ),
            // The app reads the kind before it asks for the check.
            None => Err(AppError::StepUpRequired.into()),
        },
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            section_view(s, a, id, Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct RotationForm {
    every_days: Option<String>,
    window_start_hour: Option<String>,
    window_end_hour: Option<String>,
    on_member_leave: Option<String>,
    password_length: Option<String>,
    password_symbols: Option<String>,
    /// Hours after a Collaborator's extension login (absent: kept).
    after_autofill_hours: Option<String>,
}

/// A number field of a form: empty is None; anything else must be a number.
fn number(field: Option<&str>) -> Result<Option<i64>, ()> {
    match field.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| ()),
    }
}

async fn set_rotation(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
    UiForm(f): UiForm<RotationForm>,
) -> Result<Response, WebError> {
    let (Ok(every_days), Ok(start), Ok(end), Ok(length), Ok(after_autofill)) = (
        number(f.every_days.as_deref()),
        number(f.window_start_hour.as_deref()),
        number(f.window_end_hour.as_deref()),
        number(f.password_length.as_deref()),
        number(f.after_autofill_hours.as_deref()),
    ) else {
        return section_view(
            &s,
            &a,
            id,
            Some("Every: a number of days; the window: whole hours; the length: a number".into()),
        )
        .await;
    };
    // The form sets the length and whether symbols are used; the API
    // has the whole policy.
    // Rotation after an extension login is set through the API: kept.
    let (current, after_autofill_hours) = match s.app.rotation_schedule(&a.actor, id).await {
        Ok(r) => (r.password_policy, r.after_autofill_hours),
        Err(_) => (orthrus_app::PasswordPolicy::default(), None),
    };
    // A passphrase policy (set through the API) is not on the form: kept.
    let password_policy = if current.memorable {
        current
    } else {
        orthrus_app::PasswordPolicy {
            length: length
                .and_then(|l| usize::try_from(l).ok())
                .unwrap_or(current.length),
            symbols: f.password_symbols.is_some(),
            ..current
        }
    };
    let input = orthrus_app::RotationInput {
        every_days,
        window_start_hour: start,
        window_end_hour: end,
        on_member_leave: f.on_member_leave.is_some(),
        password_policy: Some(password_policy),
        after_autofill_hours: if f.after_autofill_hours.is_some() {
            after_autofill
        } else {
            after_autofill_hours
        },
    };
    match s.app.set_rotation_schedule(&a.actor, id, input).await {
        Ok(_) => section_view(&s, &a, id, None).await,
        Err(e @ AppError::Invalid { .. }) => section_view(&s, &a, id, Some(e.to_string())).await,
        Err(e) => Err(e.into()),
    }
}

struct LogRow {
    account: String,
    job: JobView,
}

#[derive(Template)]
#[template(path = "automation_log.html")]
struct LogPage {
    page: Page,
    jobs: Vec<LogRow>,
}

async fn log_page(State(s): State<WebState>, a: Authed) -> Result<Response, WebError> {
    let names = crate::ui::account_labels(&s, &a).await?;
    let jobs = s
        .app
        .automation_jobs(&a.actor, None)
        .await?
        .into_iter()
        .map(|job| LogRow {
            account: names.get(&job.account_id).cloned().unwrap_or_default(),
            job,
        })
        .collect();
    render(&LogPage {
        page: Page::new(&s, &a, "Automation log", "automations"),
        jobs,
    })
}

#[derive(Template)]
#[template(path = "automation_job.html")]
struct JobPage {
    page: Page,
    account: String,
    live: bool,
    job: JobView,
}

async fn job_page(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Job>,
) -> Result<Response, WebError> {
    let job = s.app.automation_job(&a.actor, id).await?;
    let account = crate::ui::account_labels(&s, &a)
        .await?
        .get(&job.account_id)
        .cloned()
        .unwrap_or_default();
    render(&JobPage {
        page: Page::new(&s, &a, "Automation", "automations"),
        account,
        live: job.state.is_pending(),
        job,
    })
}

#[derive(Template)]
#[template(path = "automation_answered.html")]
struct Answered {
    error: Option<String>,
    message: &'static str,
}

#[derive(Deserialize)]
struct AnswerForm {
    answer: String,
}

/// A person answers a waiting job from its page (htmx: the question box is
/// replaced by the outcome). Allowing a backup code asks for the identity
/// check first.
async fn answer(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Job>,
    UiForm(f): UiForm<AnswerForm>,
) -> Result<Response, WebError> {
    answered(&s, &a, id, &f.answer).await
}

/// After the identity check: allow the job's backup code.
pub(crate) async fn allow_backup_code(
    s: &WebState,
    a: &Authed,
    id: orthrus_core::EventId,
) -> Result<Response, WebError> {
    answered(s, a, id, "yes").await
}

async fn answered(
    s: &WebState,
    a: &Authed,
    id: orthrus_core::EventId,
    answer: &str,
) -> Result<Response, WebError> {
    match s.app.answer_automation(&a.actor, id, answer).await {
        Ok(_) => render(&Answered {
            error: None,
            message: "Thanks: the job goes on with your answer.",
        }),
        Err(AppError::StepUpRequired) => step_up_dialog(a, &Resume::JobBackup(id)),
        Err(AppError::Forbidden) => render(&Answered {
            error: Some(
                "Only someone who may use this account's backup codes can allow one.".into(),
            ),
            message: "",
        }),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => render(&Answered {
            error: Some(e.to_string()),
            message: "",
        }),
        Err(e) => Err(e.into()),
    }
}

async fn cancel(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Job>,
    UiForm(_): UiForm<HashMap<String, String>>,
) -> Result<Response, WebError> {
    s.app.cancel_automation(&a.actor, id).await?;
    Ok(Redirect::to(&format!("/automations/{id}")).into_response())
}
