//! Account pages: the card list, adding and editing an account, members, and
//! revealing or copying the password behind "Confirm your identity".

use crate::WebState;
use crate::error::WebError;
use crate::extract::{Authed, PathId, PathIds, UiForm, entity};
use crate::ui::step_up::{Resume, guarded};
use crate::ui::{Flash, FormError, Page, render, see_other, with_status};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::routing::{get, post};
use orthrus_app::InvalidCode;
use orthrus_app::{
    AccountDetail, AccountPatch, AccountSummary, AppError, NewAccount, NewField, UserInfo,
};
use orthrus_core::{AccountRole, Action, KNOWN_APPS, SecretString};
use serde::Deserialize;

pub(crate) fn routes() -> Router<WebState> {
    Router::new()
        .route("/", get(accounts_page))
        .route("/accounts/new", get(new_page).post(new_submit))
        .route("/accounts/{id}", get(account_page))
        .route("/accounts/{id}/edit", get(to_account).post(edit_submit))
        .route("/accounts/{id}/delete", post(delete_submit))
        .route("/accounts/{id}/reveal", post(reveal))
        .route("/accounts/{id}/copy", post(copy))
        .route(
            "/accounts/{id}/fields/{field_id}/reveal",
            post(reveal_field),
        )
        .route("/accounts/{id}/members", get(to_account).post(add_member))
        .route(
            "/accounts/{id}/members/{user_id}/remove",
            post(remove_member),
        )
        .route("/ui/generate-password", post(generate_password))
        .route("/ui/field-row", get(field_row))
}

#[derive(Template)]
#[template(path = "accounts.html")]
struct AccountsPage {
    page: Page,
    accounts: Vec<AccountSummary>,
    with_code: std::collections::HashSet<String>,
    /// Accounts whose last check found the app signing in without a code.
    mfa_off: std::collections::HashSet<String>,
    show_all: bool,
    /// May add accounts (not guests).
    can_add: bool,
}

#[derive(Deserialize)]
struct ScopeQuery {
    scope: Option<String>,
}

async fn accounts_page(
    State(s): State<WebState>,
    a: Authed,
    Query(q): Query<ScopeQuery>,
) -> Result<Response, WebError> {
    let show_all = q.scope.as_deref() == Some("all");
    let accounts = match s.app.list_accounts(&a.actor, show_all).await {
        // The workspace requires 2FA the user has not set up yet: the
        // policy refuses, and the page sends them where they set it up.
        Err(AppError::TwoFactorEnrollmentRequired) => {
            return Ok(axum::response::IntoResponse::into_response(Redirect::to(
                "/security",
            )));
        }
        r => r?,
    };
    let with_code = s.app.accounts_with_otp(&a.actor).await?;
    let mfa_off = s.app.accounts_with_mfa_off(&a.actor).await?;
    render(&AccountsPage {
        page: Page::new(
            &s,
            &a,
            if show_all {
                "All accounts"
            } else {
                "Your accounts"
            },
            "accounts",
        ),
        accounts,
        with_code,
        mfa_off,
        show_all,
        can_add: s.app.permits(&a.actor, Action::CreateAccount),
    })
}

#[derive(Default, Deserialize)]
struct AccountForm {
    #[serde(default)]
    app: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    login_url: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    notes: String,
}

#[derive(Template)]
#[template(path = "account_new.html")]
struct NewPage {
    page: Page,
    fields: Vec<NewField>,
    apps: &'static [(&'static str, &'static str)],
    form: AccountForm,
    error: Option<String>,
}

async fn new_page(State(s): State<WebState>, a: Authed) -> Result<Response, WebError> {
    // Guests add no accounts (the policy says so; the page agrees).
    if !s.app.permits(&a.actor, Action::CreateAccount) {
        return Err(WebError(AppError::Forbidden));
    }
    let form = AccountForm {
        app: "instagram".into(),
        ..Default::default()
    };
    render(&NewPage {
        page: Page::new(&s, &a, "Add account", "accounts"),
        fields: Vec::new(),
        apps: KNOWN_APPS,
        form,
        error: None,
    })
}

/// Reads the new-account form. Custom fields arrive as repeated
/// `field_name`, `field_value` and (when ticked) `field_secret`, in row order.
fn parse_new_account(pairs: Vec<(String, String)>) -> (AccountForm, Vec<NewField>) {
    let mut f = AccountForm::default();
    let mut fields: Vec<NewField> = Vec::new();
    for (k, v) in pairs {
        match k.as_str() {
            "app" => f.app = v,
            "label" => f.label = v,
            "login_url" => f.login_url = v,
            "username" => f.username = v,
            "password" => f.password = v,
            "notes" => f.notes = v,
            "field_name" => fields.push(NewField {
                name: v,
                secret: false,
                value: String::new(),
            }),
            "field_value" => {
                if let Some(last) = fields.last_mut() {
                    last.value = v;
                }
            }
            "field_secret" => {
                if let Some(last) = fields.last_mut() {
                    last.secret = true;
                }
            }
            _ => {}
        }
    }
    // Rows left empty are ignored; a value without a name is an error below.
    fields.retain(|x| !(x.name.trim().is_empty() && x.value.is_empty()));
    (f, fields)
}

async fn new_submit(
    State(s): State<WebState>,
    a: Authed,
    UiForm(pairs): UiForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let (f, fields) = parse_new_account(pairs);
    let new = NewAccount {
        app: f.app.clone(),
        label: f.label.clone(),
        login_url: f.login_url.clone(),
        username: f.username.clone(),
        password: SecretString::new(f.password.clone()),
        notes: Some(f.notes.clone()),
        fields: fields.clone(),
    };
    match s.app.create_account(&a.actor, new).await {
        Ok(d) => Ok(axum::response::IntoResponse::into_response(Redirect::to(
            &format!("/accounts/{}", d.summary.id),
        ))),
        Err(e @ AppError::Invalid { .. }) => {
            let form = AccountForm {
                password: String::new(),
                ..f
            };
            render(&NewPage {
                page: Page::new(&s, &a, "Add account", "accounts"),
                fields,
                apps: KNOWN_APPS,
                form,
                error: Some(e.to_string()),
            })
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    page: Page,
    a: AccountDetail,
    candidates: Vec<UserInfo>,
    critical: bool,
    can_tag_critical: bool,
    /// The identity check next to "Tag critical" asks for a code too.
    totp: bool,
    /// "Edit account" and "Add a person": what was wrong, beside its field.
    form: FormError,
    /// The edit form's values: the account's, or what was sent.
    edit: EditValues,
}

/// What the edit form shows.
struct EditValues {
    label: String,
    login_url: String,
    username: String,
}

async fn account_view(
    s: &WebState,
    a: &Authed,
    id: orthrus_core::AccountId,
    flash: Option<String>,
    form: FormError,
    typed: Option<&EditForm>,
) -> Result<Response, WebError> {
    let detail = s.app.get_account(&a.actor, id).await?;
    let edit = EditValues {
        label: typed
            .and_then(|t| t.label.clone())
            .unwrap_or_else(|| detail.summary.label.clone()),
        login_url: typed
            .and_then(|t| t.login_url.clone())
            .unwrap_or_else(|| detail.summary.login_url.clone()),
        username: typed
            .and_then(|t| t.username.clone())
            .unwrap_or_else(|| detail.summary.username.clone()),
    };
    let candidates = if detail.permissions.add_collaborators {
        s.app
            .list_users(&a.actor)
            .await?
            .into_iter()
            .filter(|u| u.active && !detail.members.iter().any(|m| m.user_id == u.id))
            .collect()
    } else {
        Vec::new()
    };
    let mut page = Page::new(s, a, &detail.summary.label, "accounts");
    page.flash = flash;
    let critical = s.app.account_critical(&a.actor, id).await?;
    let can_tag_critical = s.app.can_tag_critical(&a.actor);
    render(&AccountPage {
        page,
        a: detail,
        candidates,
        critical,
        can_tag_critical,
        totp: a.actor.totp_enabled,
        form,
        edit,
    })
}

async fn account_page(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
    Flash(flash): Flash,
) -> Result<Response, WebError> {
    account_view(&s, &a, id, flash, FormError::default(), None).await
}

/// A form's URL opened with `GET` (a reload after an error, a bookmark): the
/// account's page.
async fn to_account(Path(id): Path<String>) -> Redirect {
    Redirect::to(&format!("/accounts/{id}"))
}

#[derive(Deserialize)]
struct EditForm {
    version: i64,
    label: Option<String>,
    login_url: Option<String>,
    username: Option<String>,
    password: Option<String>,
}

async fn edit_submit(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
    UiForm(f): UiForm<EditForm>,
) -> Result<Response, WebError> {
    let patch = AccountPatch {
        version: f.version,
        label: f.label.clone(),
        login_url: f.login_url.clone(),
        username: f.username.clone(),
        password: f
            .password
            .clone()
            .filter(|p| !p.is_empty())
            .map(SecretString::new),
        ..Default::default()
    };
    match s.app.update_account(&a.actor, id, patch).await {
        Ok(_) => Ok(see_other(&s, &format!("/accounts/{id}"), "Saved.")),
        // Said beside the field; what was typed stays (the password is
        // typed again).
        Err(
            e @ (AppError::Invalid { .. } | AppError::Conflict { .. } | AppError::VersionConflict),
        ) => {
            let field = match &e {
                AppError::Invalid { code, .. } => match code {
                    InvalidCode::AccountInvalidLabel => "label",
                    InvalidCode::AccountInvalidLoginUrl | InvalidCode::AccountLoginUrlForbidden => {
                        "login_url"
                    }
                    InvalidCode::AccountInvalidUsername => "username",
                    InvalidCode::AccountInvalidPassword => "password",
                    _ => "version",
                },
                _ => "version",
            };
            let message = if field == "version" {
                "Someone else saved this account while you were editing: check the values and save again.".to_owned()
            } else {
                e.to_string()
            };
            let form = FormError::on(field, message);
            let page = account_view(&s, &a, id, None, form, Some(&f)).await;
            with_status(StatusCode::BAD_REQUEST, page)
        }
        Err(e) => Err(e.into()),
    }
}

async fn delete_submit(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
) -> Result<Response, WebError> {
    match s.app.delete_account(&a.actor, id).await {
        Ok(()) => Ok(axum::response::IntoResponse::into_response(Redirect::to(
            "/",
        ))),
        Err(AppError::StepUpRequired) => Err(WebError(AppError::invalid(
            InvalidCode::StepUpRequired,
            "deleting an account needs a recent identity check: reveal the password once (which asks you to confirm your identity), then delete",
        ))),
        Err(e) => Err(e.into()),
    }
}

async fn reveal(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
) -> Result<Response, WebError> {
    guarded(&s, &a, &Resume::Reveal(id)).await
}

async fn copy(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
) -> Result<Response, WebError> {
    guarded(&s, &a, &Resume::Copy(id)).await
}

async fn reveal_field(
    State(s): State<WebState>,
    a: Authed,
    PathIds(id, field): PathIds<entity::Account, entity::Field>,
) -> Result<Response, WebError> {
    guarded(&s, &a, &Resume::Field(id, field)).await
}

#[derive(Deserialize)]
struct MemberForm {
    user_id: String,
    role: String,
    /// When the membership ends (`datetime-local`, UTC); empty: no end.
    #[serde(default)]
    expires_at: String,
}

async fn add_member(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
    UiForm(f): UiForm<MemberForm>,
) -> Result<Response, WebError> {
    let refused = |field: &'static str, message: String| {
        let (s, a, id) = (s.clone(), &a, id);
        async move {
            let form = FormError::on(field, message);
            with_status(
                StatusCode::BAD_REQUEST,
                account_view(&s, a, id, None, form, None).await,
            )
        }
    };
    let Ok(role) = f.role.parse::<AccountRole>() else {
        return refused("role", "choose a role".into()).await;
    };
    let until = match Some(f.expires_at.trim())
        .filter(|t| !t.is_empty())
        .map(orthrus_app::parse_end_time)
        .transpose()
    {
        Ok(u) => u,
        Err(e) => return refused("expires_at", e.to_string()).await,
    };
    match s
        .app
        .set_member_until(&a.actor, id, &f.user_id, role, until)
        .await
    {
        Ok(m) => Ok(see_other(
            &s,
            &format!("/accounts/{id}"),
            &match &m.expires_at {
                Some(end) => format!(
                    "{} is now {} until {}.",
                    m.email,
                    role.label(),
                    crate::ui::words::when(end)
                ),
                None => format!("{} is now {}.", m.email, role.label()),
            },
        )),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            let field = if let AppError::Invalid {
                code: InvalidCode::TimeInvalid | InvalidCode::MemberExpiryPast,
                ..
            } = e
            {
                "expires_at"
            } else {
                "user_id"
            };
            refused(field, e.to_string()).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn remove_member(
    State(s): State<WebState>,
    a: Authed,
    PathIds(id, user): PathIds<entity::Account, entity::Member>,
) -> Result<Response, WebError> {
    s.app.remove_member(&a.actor, id, user).await?;
    Ok(see_other(&s, &format!("/accounts/{id}"), "Member removed."))
}

#[derive(Template)]
#[template(path = "generated_password.html")]
struct GeneratedPassword {
    password: String,
}

async fn generate_password(State(s): State<WebState>, _a: Authed) -> Result<Response, WebError> {
    let password = s
        .app
        .generate_password(&orthrus_app::PasswordPolicy::default())?;
    render(&GeneratedPassword { password })
}

#[derive(Template)]
#[template(path = "field_row.html")]
struct FieldRow;

async fn field_row(_a: Authed) -> Result<Response, WebError> {
    render(&FieldRow)
}
