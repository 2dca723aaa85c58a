//! Server-rendered pages: sign-in, first-run setup, users, audit log and the
//! user's own security page. Account pages live in `ui_accounts`.

use crate::WebState;
use crate::error::WebError;
use crate::extract::{Authed, ClientInfo, SESSION_COOKIE, UiForm};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use orthrus_app::{
    AppError, LoginRequest, NewUser, SessionInfo, SessionKind, TokenInfo, TotpEnrollment,
    TwoFactorStatus, UserInfo,
};
use orthrus_core::{Action, SecretString, WorkspaceRole};
use serde::Deserialize;

pub(crate) fn routes() -> Router<WebState> {
    Router::new()
        .route(
            "/login",
            get(crate::ui_login::login_page).post(crate::ui_login::login_submit),
        )
        .route("/logout", post(logout))
        .route("/setup", get(setup_page).post(setup_submit))
        .route("/welcome", get(welcome))
        .route("/users", get(users_page).post(users_create))
        .route("/users/{id}/{op}", get(to_users).post(users_op))
        .route(
            "/workspace/settings",
            get(crate::ui_people::workspace_page).post(workspace_settings),
        )
        .route("/security", get(security_page))
        .route("/security/2fa/{op}", get(to_security).post(security_2fa))
        .route(
            "/security/sessions/{id}/revoke",
            post(security_revoke_session),
        )
        .route(
            "/security/tokens",
            get(to_security).post(security_create_token),
        )
        .route(
            "/security/passkeys/{id}/delete",
            post(security_delete_passkey),
        )
        .route("/security/tokens/{id}/revoke", post(security_revoke_token))
}

/// A form's URL opened with `GET` (a reload, a bookmark): the page the form
/// is on, rather than "method not allowed".
async fn to_users() -> Redirect {
    Redirect::to("/users")
}

async fn to_security() -> Redirect {
    Redirect::to("/security")
}

/// What every signed-in page shows.
pub(crate) struct Page {
    pub title: String,
    pub nav: &'static str,
    pub user_name: String,
    pub user_email: String,
    pub role_label: &'static str,
    pub is_admin: bool,
    /// May find accounts and ask for access (the Requests page too).
    pub may_request: bool,
    /// May see the Teams page (everyone but Guests).
    pub may_view_teams: bool,
    pub csrf: String,
    pub flash: Option<String>,
}

impl Page {
    pub(crate) fn new(s: &WebState, a: &Authed, title: &str, nav: &'static str) -> Self {
        Self {
            title: title.to_owned(),
            nav,
            user_name: a.actor.name.clone(),
            user_email: a.actor.email.clone(),
            role_label: a.actor.role.label(),
            is_admin: s.app.permits(&a.actor, Action::ViewAudit),
            may_request: s.app.permits(&a.actor, Action::RequestAccess),
            may_view_teams: s.app.permits(&a.actor, Action::ViewTeams),
            csrf: a
                .cookie_token
                .as_deref()
                .map(|t| s.app.csrf_token(t))
                .unwrap_or_default(),
            flash: None,
        }
    }
}

/// Labels of the accounts the caller can see, by id: every account for
/// those who may list them all, else their own. Asks for the second list
/// only when the first is refused.
pub(crate) async fn account_labels(
    s: &WebState,
    a: &Authed,
) -> Result<std::collections::HashMap<String, String>, WebError> {
    let all = match s.app.list_accounts(&a.actor, true).await {
        Ok(v) => v,
        Err(_) => s.app.list_accounts(&a.actor, false).await?,
    };
    Ok(all.into_iter().map(|x| (x.id, x.label)).collect())
}

/// What went wrong in a form, said beside the field it is about
/// (`templates/fields.html`): the form comes back with everything typed
/// kept, the field marked `aria-invalid`, the message under it, and the
/// focus on it. `field` is the input's `name`.
#[derive(Clone, Debug, Default)]
pub(crate) struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub(crate) fn new(field: impl Into<String>, message: impl std::fmt::Display) -> Self {
        Self {
            field: field.into(),
            message: message.to_string(),
        }
    }
}

/// A form's error, if any: what its template asks about each field.
#[derive(Clone, Debug, Default)]
pub(crate) struct FormError(pub Option<FieldError>);

impl FormError {
    pub(crate) fn on(field: impl Into<String>, message: impl std::fmt::Display) -> Self {
        Self(Some(FieldError::new(field, message)))
    }
    /// About one row of a table (the users list): field `row:<id>`.
    pub(crate) fn row(&self, id: &str) -> Option<&str> {
        self.0
            .as_ref()
            .filter(|e| e.field.strip_prefix("row:") == Some(id))
            .map(|e| e.message.as_str())
    }
    /// The message about `field`.
    pub(crate) fn at(&self, field: &str) -> Option<&str> {
        self.0
            .as_ref()
            .filter(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
    pub(crate) fn is(&self, field: &str) -> bool {
        self.at(field).is_some()
    }
    pub(crate) fn any(&self) -> bool {
        self.0.is_some()
    }
}

/// Renders a template into a response.
pub(crate) fn render<T: Template>(t: &T) -> Result<Response, WebError> {
    t.render()
        .map(|h| Html(h).into_response())
        .map_err(|e| WebError(AppError::Internal(format!("template: {e}"))))
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    heading: &'a str,
    message: &'a str,
    request_id: &'a str,
}

pub(crate) fn error_page(status: StatusCode, message: &str, request_id: &str) -> String {
    let heading = match status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::TOO_MANY_REQUESTS => "Slow down",
        s if s.is_server_error() => "Something went wrong",
        _ => "That did not work",
    };
    ErrorPage {
        title: heading,
        heading,
        message,
        request_id,
    }
    .render()
    .unwrap_or_else(|_| message.to_owned())
}

pub(crate) fn error_fragment(message: &str, request_id: &str) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    format!(
        "<div class=\"alert\" role=\"alert\">{}<small>Request id {}</small></div>",
        esc(message),
        esc(request_id)
    )
}

pub(crate) fn session_cookie(s: &WebState, token: &str, max_age: i64) -> HeaderValue {
    let secure = if s.secure_cookies() { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .unwrap_or(HeaderValue::from_static(""))
}

/// The cookie that carries a message over a Post/Redirect/Get to the page
/// shown next ("Saved.", "Added …"); read once, then dropped.
pub(crate) const FLASH_COOKIE: &str = "orthrus_flash";

/// Post/Redirect/Get: a form that worked answers `303 See Other` to the page
/// to show (which a reload fetches again with `GET`), with `flash` for it.
pub(crate) fn see_other(s: &WebState, to: &str, flash: &str) -> Response {
    let hex: String = flash
        .bytes()
        .take(600)
        .map(|b| format!("{b:02x}"))
        .collect();
    let secure = if s.secure_cookies() { "; Secure" } else { "" };
    let cookie = HeaderValue::from_str(&format!(
        "{FLASH_COOKIE}={hex}; Path=/; HttpOnly; SameSite=Lax; Max-Age=60{secure}"
    ))
    .unwrap_or(HeaderValue::from_static(""));
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response();
    r.headers_mut().insert(header::SET_COOKIE, cookie);
    r
}

/// The message a Post/Redirect/Get left for this page (see [`see_other`]);
/// `finish` drops the cookie once a page has been shown.
pub(crate) struct Flash(pub Option<String>);

impl axum::extract::FromRequestParts<WebState> for Flash {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &WebState,
    ) -> Result<Self, Self::Rejection> {
        let text = crate::extract::cookie(&parts.headers, FLASH_COOKIE).and_then(|hex| {
            let bytes = (0..hex.len() / 2)
                .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
                .collect::<Option<Vec<u8>>>()?;
            String::from_utf8(bytes).ok().filter(|t| !t.is_empty())
        });
        Ok(Self(text))
    }
}

pub(crate) fn redirect_with_cookie(to: &str, cookie: HeaderValue) -> Response {
    let mut r = Redirect::to(to).into_response();
    r.headers_mut().insert(header::SET_COOKIE, cookie);
    r
}

async fn logout(State(s): State<WebState>, a: Authed) -> Result<Response, WebError> {
    s.app.logout(&a.actor).await?;
    Ok(redirect_with_cookie("/login", session_cookie(&s, "", 0)))
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    title: &'static str,
    error: Option<String>,
    token: String,
    workspace: String,
    name: String,
    email: String,
}

#[derive(Deserialize)]
struct SetupQuery {
    token: Option<String>,
}

async fn setup_page(
    State(s): State<WebState>,
    Query(q): Query<SetupQuery>,
) -> Result<Response, WebError> {
    if !s.app.setup_needed().await? {
        return Ok(Redirect::to("/login").into_response());
    }
    let token = q.token.unwrap_or_default();
    if !s.app.setup_token_accepted(&token).await? {
        return Err(WebError(AppError::invalid(
            "setup.bad_token",
            "this setup link is not valid: use the link `orthrus serve` printed (every node prints the same one until setup is done)",
        )));
    }
    render(&SetupPage {
        title: "Set up",
        error: None,
        token,
        workspace: String::new(),
        name: String::new(),
        email: String::new(),
    })
}

#[derive(Deserialize)]
struct SetupForm {
    token: String,
    workspace: String,
    name: String,
    email: String,
    password: String,
}

async fn setup_submit(
    State(s): State<WebState>,
    client: ClientInfo,
    UiForm(f): UiForm<SetupForm>,
) -> Result<Response, WebError> {
    if !s.app.setup_token_accepted(&f.token).await? {
        return Err(WebError(AppError::invalid(
            "setup.bad_token",
            "this setup link is not valid: use the link `orthrus serve` printed",
        )));
    }
    match s
        .app
        .bootstrap(&f.workspace, &f.email, &f.name, &f.password, &client.ip)
        .await
    {
        Ok(_) => {}
        Err(e @ AppError::Invalid { .. }) => {
            let mut r = render(&SetupPage {
                title: "Set up",
                error: Some(e.to_string()),
                token: f.token,
                workspace: f.workspace,
                name: f.name,
                email: f.email,
            })?;
            *r.status_mut() = StatusCode::BAD_REQUEST;
            return Ok(r);
        }
        Err(e) => return Err(e.into()),
    }
    // The seed goes; a user exists now, so the link is refused either way.
    if let Err(e) = s.app.setup_token_used().await {
        tracing::warn!(error = %e, "could not remove the used setup token's seed");
    }
    let out = s
        .app
        .login(LoginRequest {
            email: f.email,
            password: SecretString::new(f.password),
            totp: None,
            ip: client.ip,
            user_agent: client.user_agent,
            kind: SessionKind::Cookie,
        })
        .await?;
    // The first page says the workspace exists and asks for the one backup
    // nothing else can replace: the master key.
    Ok(redirect_with_cookie(
        "/welcome",
        session_cookie(&s, out.token.expose(), s.app.config().session_hours * 3600),
    ))
}

#[derive(Template)]
#[template(path = "welcome.html")]
struct WelcomePage {
    page: Page,
    workspace: String,
    /// The master key file, or `None` when it comes from the environment.
    key_file: Option<String>,
}

/// After first-run setup: the workspace exists; back up the master key
/// (docs/backup.md), with the command to do it.
/// Only those who run the workspace get the key's instructions.
async fn welcome(State(s): State<WebState>, a: Authed) -> Result<Response, WebError> {
    if !s.app.permits(&a.actor, Action::ManageWorkspaceSettings) {
        return Ok(Redirect::to("/").into_response());
    }
    render(&WelcomePage {
        page: Page::new(&s, &a, "Workspace ready", "accounts"),
        workspace: s.app.workspace_settings(&a.actor).await?.name,
        key_file: s.config.master_key_file.clone(),
    })
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
            let code = e.code();
            let field = if code.contains("password") {
                "password"
            } else if code.contains("name") && !code.contains("email") {
                "name"
            } else if code.contains("role") {
                "role"
            } else if code.starts_with("guest.")
                || code.starts_with("time.")
                || code.contains("end_for")
            {
                "access_expires_at"
            } else {
                "email"
            };
            let mut r = users_view(&s, &a, FormError::on(field, e), f, None).await?;
            *r.status_mut() = StatusCode::BAD_REQUEST;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct RoleForm {
    role: Option<String>,
}

async fn users_op(
    State(s): State<WebState>,
    a: Authed,
    Path((id, op)): Path<(String, String)>,
    UiForm(f): UiForm<RoleForm>,
) -> Result<Response, WebError> {
    let done = match op.as_str() {
        "deactivate" => s
            .app
            .deactivate_user(&a.actor, &id)
            .await
            .map(|u| format!("Deactivated {}.", u.email)),
        "reactivate" => s
            .app
            .reactivate_user(&a.actor, &id)
            .await
            .map(|u| format!("Reactivated {}.", u.email)),
        "unlock" => s
            .app
            .unlock_user(&a.actor, &id)
            .await
            .map(|_| "Sign-in lockout lifted.".to_owned()),
        "role" => match f.role.as_deref().unwrap_or("").parse::<WorkspaceRole>() {
            Ok(role) => s
                .app
                .set_user_role(&a.actor, &id, role)
                .await
                .map(|u| format!("{} is now {}.", u.email, role.label())),
            Err(_) => Err(AppError::invalid("user.invalid_role", "choose a role")),
        },
        _ => return Err(WebError(AppError::NotFound(orthrus_app::Entity::Page))),
    };
    match done {
        Ok(done) => Ok(see_other(&s, "/users", &done)),
        // A refusal (the last Owner, yourself) is said in that person's row.
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            let form = FormError::on(format!("row:{id}"), e);
            let mut r = users_view(&s, &a, form, NewUserForm::default(), None).await?;
            *r.status_mut() = StatusCode::BAD_REQUEST;
            Ok(r)
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
    let typed = orthrus_app::WorkspaceSettings {
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
            let mut r = crate::ui_people::workspace_view(
                &s,
                a,
                FormError::on(field, message),
                Some(typed),
                None,
            )
            .await?;
            *r.status_mut() = StatusCode::BAD_REQUEST;
            Ok::<_, WebError>(r)
        }
    };
    let two_person = s.app.two_person_rule(&a.actor).await?;
    if two_person != f.two_person_rule.is_some() {
        let confirm = crate::ui_dual::ConfirmForm {
            password: f.password.clone(),
            totp: f.totp.clone(),
        };
        let changed = match crate::ui_dual::confirmed(&s, &a, &confirm).await {
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
            Err(e @ AppError::Invalid { code, .. }) if code.starts_with("step_up.") => {
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
                "workspace.invalid_step_up" => "step_up_minutes",
                "workspace.invalid_retention" => "inbox_retention_days",
                "2fa.enroll_first" => "require_2fa",
                _ => "step_up_minutes",
            };
            refused(field, e.to_string()).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "security.html")]
struct SecurityPage {
    page: Page,
    page_must_enroll: bool,
    status: TwoFactorStatus,
    enrollment: Option<TotpEnrollment>,
    recovery_codes: Option<Vec<String>>,
    sessions: Vec<SessionInfo>,
    passkeys: Vec<orthrus_app::PasskeyInfo>,
    denials: usize,
    tokens: Vec<TokenInfo>,
    new_token: Option<String>,
    error: Option<String>,
    /// "Create token": what was wrong, beside its field, and the name typed.
    form: FormError,
    token_name: String,
}

#[derive(Default)]
struct SecurityExtras {
    enrollment: Option<TotpEnrollment>,
    recovery_codes: Option<Vec<String>>,
    new_token: Option<String>,
    error: Option<String>,
    flash: Option<String>,
    form: FormError,
    token_name: String,
}

async fn security_view(s: &WebState, a: &Authed, x: SecurityExtras) -> Result<Response, WebError> {
    let mut page = Page::new(s, a, "My security", "security");
    page.flash = x.flash;
    let status = s.app.two_factor_status(&a.actor).await?;
    render(&SecurityPage {
        page,
        page_must_enroll: a.actor.must_enroll_2fa,
        status,
        enrollment: x.enrollment,
        recovery_codes: x.recovery_codes,
        sessions: s.app.list_sessions(&a.actor).await?,
        passkeys: s.app.list_passkeys(&a.actor).await?,
        denials: s.app.recent_denials(&a.actor).await?,
        tokens: s.app.list_api_tokens(&a.actor).await?,
        new_token: x.new_token,
        error: x.error,
        form: x.form,
        token_name: x.token_name,
    })
}

async fn security_page(
    State(s): State<WebState>,
    a: Authed,
    Flash(flash): Flash,
) -> Result<Response, WebError> {
    security_view(
        &s,
        &a,
        SecurityExtras {
            flash,
            ..Default::default()
        },
    )
    .await
}

#[derive(Deserialize)]
struct CodeForm {
    code: Option<String>,
}

async fn security_2fa(
    State(s): State<WebState>,
    a: Authed,
    Path(op): Path<String>,
    UiForm(f): UiForm<CodeForm>,
) -> Result<Response, WebError> {
    match op.as_str() {
        "start" => {
            let mut en = s.app.begin_totp_enrollment(&a.actor).await?;
            en.qr_svg = strip_xml_prolog(&en.qr_svg);
            security_view(
                &s,
                &a,
                SecurityExtras {
                    enrollment: Some(en),
                    ..Default::default()
                },
            )
            .await
        }
        "confirm" => match s
            .app
            .confirm_totp_enrollment(&a.actor, f.code.as_deref().unwrap_or(""))
            .await
        {
            Ok(codes) => {
                let a = Authed {
                    actor: orthrus_app::Actor {
                        must_enroll_2fa: false,
                        totp_enabled: true,
                        ..a.actor
                    },
                    cookie_token: a.cookie_token,
                };
                security_view(
                    &s,
                    &a,
                    SecurityExtras {
                        recovery_codes: Some(codes),
                        ..Default::default()
                    },
                )
                .await
            }
            Err(e @ AppError::Invalid { .. }) => {
                // The same key again, the reason beside the code box.
                let mut enrollment = s.app.pending_totp_enrollment(&a.actor).await?;
                if let Some(en) = enrollment.as_mut() {
                    en.qr_svg = strip_xml_prolog(&en.qr_svg);
                }
                let mut r = security_view(
                    &s,
                    &a,
                    SecurityExtras {
                        enrollment,
                        form: FormError::on("code", e),
                        ..Default::default()
                    },
                )
                .await?;
                *r.status_mut() = StatusCode::BAD_REQUEST;
                Ok(r)
            }
            Err(e) => Err(e.into()),
        },
        "disable" => {
            s.app.disable_totp(&a.actor).await?;
            Ok(see_other(
                &s,
                "/security",
                "Two-factor authentication is off.",
            ))
        }
        _ => Err(WebError(AppError::NotFound(orthrus_app::Entity::Page))),
    }
}

fn strip_xml_prolog(svg: &str) -> String {
    match svg.find("<svg") {
        Some(i) => svg[i..].to_owned(),
        None => String::new(),
    }
}

async fn security_revoke_session(
    State(s): State<WebState>,
    a: Authed,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    s.app.revoke_session(&a.actor, &id).await?;
    Ok(see_other(&s, "/security", "Signed out that session."))
}

#[derive(Deserialize)]
struct TokenForm {
    name: String,
    password: String,
    totp: Option<String>,
}

async fn security_create_token(
    State(s): State<WebState>,
    a: Authed,
    UiForm(f): UiForm<TokenForm>,
) -> Result<Response, WebError> {
    // A wrong password is said beside it (not a sign-out), the name kept.
    let refused = |field: &'static str, message: String| SecurityExtras {
        form: FormError::on(field, message),
        token_name: f.name.clone(),
        ..Default::default()
    };
    let until = match s
        .app
        .step_up(&a.actor, &f.password, f.totp.as_deref())
        .await
    {
        Ok(until) => until,
        Err(AppError::InvalidCredentials) => {
            let m = if a.actor.totp_enabled {
                "That password or code is not correct."
            } else {
                "That password is not correct."
            };
            return security_view(&s, &a, refused("password", m.into())).await;
        }
        Err(AppError::TotpRequired) => {
            let m = "Enter the code from your authenticator app too.";
            return security_view(&s, &a, refused("totp", m.into())).await;
        }
        Err(e @ (AppError::Throttled { .. } | AppError::Invalid { .. })) => {
            return security_view(&s, &a, refused("password", e.to_string())).await;
        }
        Err(e) => return Err(e.into()),
    };
    let actor = orthrus_app::Actor {
        elevated_until: Some(until),
        ..a.actor.clone()
    };
    let token = match s.app.create_api_token(&actor, &f.name, None).await {
        Ok((token, _)) => token,
        Err(e @ AppError::Invalid { .. }) => {
            return security_view(&s, &a, refused("name", e.to_string())).await;
        }
        Err(e) => return Err(e.into()),
    };
    security_view(
        &s,
        &a,
        SecurityExtras {
            new_token: Some(token.into_inner()),
            ..Default::default()
        },
    )
    .await
}

async fn security_revoke_token(
    State(s): State<WebState>,
    a: Authed,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    s.app.revoke_api_token(&a.actor, &id).await?;
    Ok(see_other(&s, "/security", "Token revoked."))
}

async fn security_delete_passkey(
    State(s): State<WebState>,
    a: Authed,
    Path(id): Path<String>,
    UiForm(f): UiForm<crate::ui_dual::ConfirmForm>,
) -> Result<Response, WebError> {
    // Removing a way to confirm identity needs a fresh identity check.
    let actor = crate::ui_dual::confirmed(&s, &a, &f).await?;
    s.app.delete_passkey(&actor, &id).await?;
    Ok(see_other(&s, "/security", "Passkey removed."))
}
