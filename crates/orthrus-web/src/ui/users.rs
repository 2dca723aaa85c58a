//! Users and the workspace (`app/users.rs`): the Users page (create,
//! change role, deactivate, unlock), the workspace settings page and its
//! form, and changing one's own password (`/security/password`).

use crate::WebState;
use crate::error::WebError;
use crate::extract::{Authed, UiForm, entity, parse_id};
use crate::ui::{Flash, FormError, Page, render, see_other, with_status};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::routing::get;
use orthrus_app::InvalidCode;
use orthrus_app::{AppError, NewUser, UserInfo, WorkspaceSettings};
use orthrus_core::{Action, SecretString, WorkspaceRole};
use serde::Deserialize;

/// A form's URL opened with `GET` (a reload, a bookmark): the page the form
/// is on, rather than "method not allowed".
async fn to_users() -> Redirect {
    Redirect::to("/users")
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    page: Page,
    workspace: String,
    users: Vec<UserInfo>,
    roles: [WorkspaceRole; 5],
    /// "Add a user": what was wrong, beside its field, and what was typed.
    form: FormError,
    typed: NewUserForm,
}

async fn users_view(
    s: &WebState,
    a: &Authed,
    form: FormError,
    typed: NewUserForm,
    flash: Option<String>,
) -> Result<Response, WebError> {
    // The Users page is for those who may add users at all.
    let may_manage = Action::ManageUser {
        current: None,
        new: WorkspaceRole::User,
    };
    if !s.app.permits(&a.actor, may_manage) {
        return Err(WebError(AppError::Forbidden));
    }
    let users = s.app.list_users(&a.actor).await?;
    let settings = s.app.workspace_settings(&a.actor).await?;
    let mut page = Page::new(s, a, "Users", "users");
    page.flash = flash;
    render(&UsersPage {
        page,
        workspace: settings.name,
        users,
        roles: WorkspaceRole::ALL,
        form,
        typed,
    })
}

async fn users_page(
    State(s): State<WebState>,
    a: Authed,
    Flash(flash): Flash,
) -> Result<Response, WebError> {
    users_view(&s, &a, FormError::default(), NewUserForm::default(), flash).await
}

#[derive(Deserialize)]
struct NewUserForm {
    email: String,
    name: String,
    role: String,
    password: String,
    /// A guest's end of access (`datetime-local`, UTC); empty for others.
    #[serde(default)]
    access_expires_at: String,
}

impl Default for NewUserForm {
    fn default() -> Self {
        Self {
            email: String::new(),
            name: String::new(),
            role: "user".into(),
            password: String::new(),
            access_expires_at: String::new(),
        }
    }
}

async fn users_create(
    State(s): State<WebState>,
    a: Authed,
    UiForm(f): UiForm<NewUserForm>,
) -> Result<Response, WebError> {
    let Ok(role) = f.role.parse::<WorkspaceRole>() else {
        let form = FormError::on("role", "choose a role");
        return users_view(&s, &a, form, f, None).await;
    };
    let end = Some(f.access_expires_at.trim())
        .filter(|t| !t.is_empty())
        .map(orthrus_app::parse_end_time)
        .transpose();
    let created = match end {
        Ok(access_expires_at) => {
            s.app
                .create_user(
                    &a.actor,
                    NewUser {
                        email: f.email.clone(),
                        name: f.name.clone(),
                        role,
                        password: SecretString::new(f.password.clone()),
                        access_expires_at,
                    },
                )
                .await
        }
        Err(e) => Err(e),
    };
    match created {
        Ok(u) => Ok(see_other(&s, "/users", &format!("Added {}.", u.email))),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            let field = new_user_field(&e);
            let page = users_view(&s, &a, FormError::on(field, e), f, None).await;
            with_status(StatusCode::BAD_REQUEST, page)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct RoleForm {
    role: Option<String>,
}

/// What a button in a person's row does (`/users/{id}/{op}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum UserOp {
    Deactivate,
    Reactivate,
    /// Lift the sign-in lockout.
    Unlock,
    /// Set the workspace role chosen in the row's form.
    Role,
}

impl UserOp {
    /// The operation a path's last segment names; `None` for any other word.
    fn parse(word: &str) -> Option<Self> {
        match word {
            "deactivate" => Some(Self::Deactivate),
            "reactivate" => Some(Self::Reactivate),
            "unlock" => Some(Self::Unlock),
            "role" => Some(Self::Role),
            _ => None,
        }
    }
}

async fn users_op(
    State(s): State<WebState>,
    a: Authed,
    Path((id, op)): Path<(String, String)>,
    UiForm(f): UiForm<RoleForm>,
) -> Result<Response, WebError> {
    // An unknown word is the page's 404, before the id is read.
    let Some(op) = UserOp::parse(&op) else {
        return Err(WebError(AppError::NotFound(orthrus_app::Entity::Page)));
    };
    let done = match op {
        UserOp::Deactivate => s
            .app
            .deactivate_user(&a.actor, parse_id::<entity::User>(&id)?)
            .await
            .map(|u| format!("Deactivated {}.", u.email)),
        UserOp::Reactivate => s
            .app
            .reactivate_user(&a.actor, parse_id::<entity::User>(&id)?)
            .await
            .map(|u| format!("Reactivated {}.", u.email)),
        UserOp::Unlock => s
            .app
            .unlock_user(&a.actor, parse_id::<entity::User>(&id)?)
            .await
            .map(|_| "Sign-in lockout lifted.".to_owned()),
        UserOp::Role => match f.role.as_deref().unwrap_or("").parse::<WorkspaceRole>() {
            Ok(role) => s
                .app
                .set_user_role(&a.actor, parse_id::<entity::User>(&id)?, role)
                .await
                .map(|u| format!("{} is now {}.", u.email, role.label())),
            Err(_) => Err(AppError::invalid(
                InvalidCode::UserInvalidRole,
                "choose a role",
            )),
        },
    };
    match done {
        Ok(done) => Ok(see_other(&s, "/users", &done)),
        // A refusal (the last Owner, yourself) is said in that person's row.
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            let form = FormError::on(format!("row:{id}"), e);
            let page = users_view(&s, &a, form, NewUserForm::default(), None).await;
            with_status(StatusCode::BAD_REQUEST, page)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct SettingsForm {
    require_2fa: Option<String>,
    two_person_rule: Option<String>,
    step_up_minutes: i64,
    inbox_retention_days: Option<i64>,
    /// The identity check for changing the two-person rule.
    password: Option<String>,
    totp: Option<String>,
}

async fn workspace_settings(
    State(s): State<WebState>,
    a: Authed,
    UiForm(f): UiForm<SettingsForm>,
) -> Result<Response, WebError> {
    // A refusal shows the form as it was sent, the reason beside its field.
    let current = s.app.workspace_settings(&a.actor).await?;
    let typed = WorkspaceSettings {
        require_2fa: f.require_2fa.is_some(),
        two_person_rule: f.two_person_rule.is_some(),
        step_up_minutes: f.step_up_minutes,
        inbox_retention_days: f
            .inbox_retention_days
            .unwrap_or(current.inbox_retention_days),
        ..current
    };
    let refused = |field: &'static str, message: String| {
        let typed = typed.clone();
        let (s, a) = (s.clone(), &a);
        async move {
            let form = FormError::on(field, message);
            with_status(
                StatusCode::BAD_REQUEST,
                workspace_view(&s, a, form, Some(typed), None).await,
            )
        }
    };
    let two_person = s.app.two_person_rule(&a.actor).await?;
    if two_person != f.two_person_rule.is_some() {
        let confirm = crate::ui::dual::ConfirmForm {
            password: f.password.clone(),
            totp: f.totp.clone(),
        };
        let changed = match crate::ui::dual::confirmed(&s, &a, &confirm).await {
            Ok(actor) => {
                s.app
                    .set_two_person_rule(&actor, f.two_person_rule.is_some())
                    .await
            }
            Err(WebError(e)) => Err(e),
        };
        // A refusal (identity check, second approver, too few approvers)
        // changes nothing else and says why on the page.
        match changed {
            Ok(()) => {}
            Err(AppError::StepUpRequired) => {
                let m = "Changing the two-person rule needs your password: type it here and save again.";
                return refused("password", m.into()).await;
            }
            Err(
                e @ AppError::Invalid {
                    code:
                        InvalidCode::StepUpFailed
                        | InvalidCode::StepUpRequired
                        | InvalidCode::StepUpTotpRequired
                        | InvalidCode::StepUpUnsupported,
                    ..
                },
            ) => {
                return refused("password", e.to_string()).await;
            }
            Err(
                e @ (AppError::Invalid { .. }
                | AppError::Conflict { .. }
                | AppError::ApprovalRequired { .. }),
            ) => {
                return refused("two_person_rule", e.to_string()).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    // The checked settings first, so a refusal changes nothing else.
    let saved = match s
        .app
        .update_workspace_settings(
            &a.actor,
            None,
            Some(f.require_2fa.is_some()),
            Some(f.step_up_minutes),
        )
        .await
    {
        Ok(_) => match f.inbox_retention_days {
            Some(days) if days != s.app.inbox_retention_days(&a.actor).await? => s
                .app
                .set_inbox_retention(&a.actor, Some(days))
                .await
                .map(|_| ()),
            _ => Ok(()),
        },
        Err(e) => Err(e),
    };
    match saved {
        Ok(()) => Ok(see_other(
            &s,
            "/workspace/settings",
            "Workspace settings saved.",
        )),
        Err(e @ AppError::Invalid { code, .. }) => {
            let field = match code {
                InvalidCode::WorkspaceInvalidStepUp => "step_up_minutes",
                InvalidCode::WorkspaceInvalidRetention => "inbox_retention_days",
                InvalidCode::TwoFactorEnrollFirst => "require_2fa",
                _ => "step_up_minutes",
            };
            refused(field, e.to_string()).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    page: Page,
    error: Option<String>,
}

async fn password_page(State(s): State<WebState>, a: Authed) -> Result<Response, WebError> {
    render(&PasswordPage {
        page: Page::new(&s, &a, "Change your password", "security"),
        error: None,
    })
}

#[derive(Deserialize)]
struct PasswordForm {
    current_password: String,
    new_password: String,
    new_password_again: String,
}

async fn change_password(
    State(s): State<WebState>,
    a: Authed,
    UiForm(f): UiForm<PasswordForm>,
) -> Result<Response, WebError> {
    let page = Page::new(&s, &a, "Change your password", "security");
    let outcome = if f.new_password != f.new_password_again {
        Err(AppError::invalid(
            InvalidCode::PasswordMismatch,
            "the two new passwords are not the same",
        ))
    } else {
        s.app
            .change_own_password(&a.actor, &f.current_password, &f.new_password)
            .await
    };
    match outcome {
        Ok(ended) => {
            let done = match ended {
                0 => "Password changed.".to_owned(),
                1 => "Password changed. Your other session was signed out.".to_owned(),
                n => format!("Password changed. Your {n} other sessions were signed out."),
            };
            Ok(see_other(&s, "/security", &done))
        }
        Err(e @ (AppError::Invalid { .. } | AppError::Throttled { .. })) => {
            let shown = render(&PasswordPage {
                page,
                error: Some(e.to_string()),
            });
            with_status(StatusCode::BAD_REQUEST, shown)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "workspace_settings.html")]
struct WorkspacePage {
    page: Page,
    settings: WorkspaceSettings,
    is_owner: bool,
    /// The identity check for the two-person rule asks for a code too.
    totp: bool,
    /// What was wrong, beside its field.
    form: FormError,
}

/// The workspace settings page (admins read it, Owners change it), with a
/// message from the form; after a refusal, the form as it was sent
/// (`typed`) with the reason beside the field (`form`).
pub(crate) async fn workspace_view(
    s: &WebState,
    a: &Authed,
    form: FormError,
    typed: Option<WorkspaceSettings>,
    flash: Option<String>,
) -> Result<Response, WebError> {
    if !s.app.permits(&a.actor, Action::ViewAudit) {
        return Err(WebError(AppError::Forbidden));
    }
    let settings = match typed {
        Some(t) => t,
        None => s.app.workspace_settings(&a.actor).await?,
    };
    let mut page = Page::new(s, a, "Workspace settings", "workspace");
    page.flash = flash;
    render(&WorkspacePage {
        page,
        settings,
        is_owner: s.app.permits(&a.actor, Action::ManageWorkspaceSettings),
        totp: a.actor.totp_enabled,
        form,
    })
}

pub(crate) async fn workspace_page(
    State(s): State<WebState>,
    a: Authed,
    Flash(flash): Flash,
) -> Result<Response, WebError> {
    workspace_view(&s, &a, FormError::default(), None, flash).await
}

pub(crate) fn routes() -> Router<WebState> {
    Router::new()
        .route("/users", get(users_page).post(users_create))
        .route("/users/{id}/{op}", get(to_users).post(users_op))
        .route(
            "/workspace/settings",
            get(workspace_page).post(workspace_settings),
        )
        .route(
            "/security/password",
            get(password_page).post(change_password),
        )
}

/// The field of the new-user form a refusal is about (the email when it is
/// about no other field).
fn new_user_field(e: &AppError) -> &'static str {
    use InvalidCode as C;
    let AppError::Invalid { code, .. } = e else {
        return "email";
    };
    match code {
        C::PasswordMismatch
        | C::PasswordTooLong
        | C::PasswordTooShort
        | C::PasswordUnchanged
        | C::PasswordWrongCurrent
        | C::AccountInvalidPassword => "password",
        C::UserInvalidName
        | C::WorkspaceInvalidName
        | C::TokenInvalidName
        | C::AccountInvalidUsername => "name",
        C::UserInvalidRole | C::MemberInvalidRole | C::UserGuestRoleFixed => "role",
        C::GuestAccessEnded
        | C::GuestEndPast
        | C::GuestEndRequired
        | C::TimeInvalid
        | C::UserEndForGuestsOnly => "access_expires_at",
        _ => "email",
    }
}
