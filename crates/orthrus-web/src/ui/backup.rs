//! UI of backup codes: the "Backup codes" section (counts and the low
//! warning, paste with preview, view and use behind the identity check).

use crate::WebState;
use crate::error::WebError;
use crate::extract::{Authed, PathId, PathIdAnd, UiForm, entity};
use crate::ui::step_up::Resume;
use crate::ui::{FormError, Notes, render};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use orthrus_app::{AppError, BackupCodes, BackupStatus, UsedBackupCode};
use serde::Deserialize;

pub(crate) fn routes() -> Router<WebState> {
    Router::new()
        .route("/accounts/{id}/backup", get(section))
        .route("/accounts/{id}/backup/preview", post(preview))
        .route("/accounts/{id}/backup/save", post(save))
        .route("/accounts/{id}/backup/view", post(view))
        .route("/accounts/{id}/backup/use", post(use_one))
        .route("/accounts/{id}/backup/{position}/used", post(mark_used))
}

#[derive(Template)]
#[template(path = "backup_section.html")]
struct Section {
    account_id: String,
    status: BackupStatus,
    owner: bool,
    codes: Option<BackupCodes>,
    used: Option<UsedBackupCode>,
    preview: Option<Vec<String>>,
    raw: String,
    /// What was wrong with the pasted codes is said beside them (`raw`
    /// keeps them).
    notes: Notes,
}

#[derive(Default)]
pub(crate) struct Extra {
    notes: Notes,
    codes: Option<BackupCodes>,
    used: Option<UsedBackupCode>,
    preview: Option<Vec<String>>,
    raw: String,
}

impl From<Notes> for Extra {
    fn from(notes: Notes) -> Self {
        Self {
            notes,
            ..Self::default()
        }
    }
}

pub(crate) async fn render_section(
    s: &WebState,
    a: &Authed,
    id: orthrus_core::AccountId,
    x: impl Into<Extra>,
) -> Result<Response, WebError> {
    let x = x.into();
    let status = s.app.backup_status(&a.actor, id).await?;
    let detail = s.app.get_account(&a.actor, id).await?;
    // Owners of the account (and workspace Owners / Super Admins) manage codes.
    let owner = detail.permissions.manage_mfa;
    render(&Section {
        account_id: id.to_string(),
        status,
        owner,
        codes: x.codes,
        used: x.used,
        preview: x.preview,
        raw: x.raw,
        notes: x.notes,
    })
}

/// What is done with an account's backup codes once the identity check
/// has passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CodeAction {
    /// Show them.
    View,
    /// Take the next unused one (and mark it used).
    Use,
}

/// The section with "Confirm your identity" under its heading, to `what`
/// the codes once it succeeds ([`after_step_up`]).
async fn step_up_dialog(
    s: &WebState,
    a: &Authed,
    id: orthrus_core::AccountId,
    what: CodeAction,
) -> Result<Response, WebError> {
    render_section(s, a, id, Notes::step_up(a, &Resume::Backup(id, what))?).await
}

async fn section(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
) -> Result<Response, WebError> {
    render_section(&s, &a, id, Extra::default()).await
}

#[derive(Deserialize)]
struct CodesForm {
    codes: String,
}

async fn preview(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
    UiForm(f): UiForm<CodesForm>,
) -> Result<Response, WebError> {
    let done = s
        .app
        .preview_backup_codes(&a.actor, id, std::slice::from_ref(&f.codes))
        .await
        .map(|codes| Extra {
            preview: Some(codes),
            raw: f.codes.clone(),
            ..Extra::default()
        });
    codes_answer(&s, &a, id, done, f.codes).await
}

/// The section after pasted codes were taken (`done`'s), or again with
/// what was wrong with them beside them.
async fn codes_answer(
    s: &WebState,
    a: &Authed,
    id: orthrus_core::AccountId,
    done: Result<Extra, AppError>,
    raw: String,
) -> Result<Response, WebError> {
    match done {
        Ok(x) => render_section(s, a, id, x).await,
        Err(e @ AppError::Invalid { .. }) => codes_refused(s, a, id, e, raw).await,
        Err(e) => Err(e.into()),
    }
}

/// The section again with what was wrong with the pasted codes beside them.
async fn codes_refused(
    s: &WebState,
    a: &Authed,
    id: orthrus_core::AccountId,
    e: AppError,
    raw: String,
) -> Result<Response, WebError> {
    let x = Extra {
        raw,
        ..Notes::form(FormError::on("codes", e)).into()
    };
    render_section(s, a, id, x).await
}

async fn save(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
    UiForm(f): UiForm<CodesForm>,
) -> Result<Response, WebError> {
    let done = s
        .app
        .set_backup_codes(&a.actor, id, std::slice::from_ref(&f.codes))
        .await
        .map(|st| Notes::flash(format!("Saved {} backup codes.", st.total)).into());
    codes_answer(&s, &a, id, done, f.codes).await
}

/// After the identity check (or when the session is fresh): what was asked.
pub(crate) async fn after_step_up(
    s: &WebState,
    a: &Authed,
    id: orthrus_core::AccountId,
    what: CodeAction,
) -> Result<Response, WebError> {
    let result = match what {
        CodeAction::Use => s.app.use_backup_code(&a.actor, id).await.map(|u| Extra {
            used: Some(u),
            ..Extra::default()
        }),
        CodeAction::View => s.app.view_backup_codes(&a.actor, id).await.map(|c| Extra {
            codes: Some(c),
            ..Extra::default()
        }),
    };
    match result {
        Ok(x) => render_section(s, a, id, x).await,
        Err(AppError::StepUpRequired) => step_up_dialog(s, a, id, what).await,
        Err(e @ (AppError::Invalid { .. } | AppError::ApprovalRequired { .. })) => {
            render_section(s, a, id, Notes::error(e)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn view(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
) -> Result<Response, WebError> {
    after_step_up(&s, &a, id, CodeAction::View).await
}

async fn use_one(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
) -> Result<Response, WebError> {
    after_step_up(&s, &a, id, CodeAction::Use).await
}

async fn mark_used(
    State(s): State<WebState>,
    a: Authed,
    PathIdAnd(id, position): PathIdAnd<entity::Account, i64>,
) -> Result<Response, WebError> {
    match s.app.mark_backup_code_used(&a.actor, id, position).await {
        Ok(_) => after_step_up(&s, &a, id, CodeAction::View).await,
        Err(AppError::StepUpRequired) => step_up_dialog(&s, &a, id, CodeAction::View).await,
        Err(e) => Err(e.into()),
    }
}
