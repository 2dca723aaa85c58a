//! An account's extension section (`/accounts/{id}/extension-ui`,
//! `app/autofill.rs`): the web addresses the extension fills the account on.

use crate::WebState;
use crate::error::WebError;
use crate::extract::{Authed, PathId, UiForm, entity};
use crate::ui::render;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use orthrus_app::{AppError, AutofillEvent};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "account_extension.html")]
struct AccountSection {
    account_id: String,
    urls: Vec<String>,
    /// May change where the extension fills (the right to change the
    /// credentials).
    can_edit: bool,
    /// Sees who logged in through the extension.
    show_logins: bool,
    logins: Vec<AutofillEvent>,
    error: Option<String>,
    saved: Option<String>,
}

async fn section_view(
    s: &WebState,
    a: &Authed,
    id: orthrus_core::AccountId,
    error: Option<String>,
    saved: Option<String>,
) -> Result<Response, WebError> {
    let detail = s.app.get_account(&a.actor, id).await?;
    let show_logins = detail.permissions.edit_metadata;
    let logins = if show_logins {
        s.app.recent_autofills(&a.actor, id, 10).await?
    } else {
        Vec::new()
    };
    render(&AccountSection {
        account_id: detail.summary.id,
        urls: s.app.account_urls(&a.actor, id).await?,
        can_edit: detail.permissions.edit_credentials,
        show_logins,
        logins,
        error,
        saved,
    })
}

/// The account page's "Browser extension" panel (loaded by htmx).
async fn account_section(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
) -> Result<Response, WebError> {
    section_view(&s, &a, id, None, None).await
}

#[derive(Deserialize)]
struct UrlsForm {
    #[serde(default)]
    urls: String,
}

async fn account_urls_submit(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
    UiForm(f): UiForm<UrlsForm>,
) -> Result<Response, WebError> {
    let urls = f.urls.lines().map(str::to_owned).collect();
    match s.app.set_account_urls(&a.actor, id, urls).await {
        Ok(_) => section_view(&s, &a, id, None, Some("Saved.".into())).await,
        Err(e @ AppError::Invalid { .. }) => {
            section_view(&s, &a, id, Some(e.to_string()), None).await
        }
        Err(e) => Err(e.into()),
    }
}

pub(crate) fn routes() -> Router<WebState> {
    Router::new().route(
        "/accounts/{id}/extension-ui",
        get(account_section).post(account_urls_submit),
    )
}
