//! UI of the team authenticator: the "MFA settings" section of an account
//! (set a key, a link or a QR screenshot; "Verify your code"; Done) and the
//! live code tile members see, which swaps in the next code at each period.

use crate::WebState;
use crate::api::otp::MAX_IMAGE_BYTES;
use crate::error::WebError;
use crate::extract::{Authed, PathId, UiForm, entity};
use crate::ui::step_up::Resume;
use crate::ui::{FormError, Notes, render};
use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use orthrus_app::InvalidCode;
use orthrus_app::{AppError, CodeUse, CodeView, EnrollInput, OtpMeta, PendingEnrollment};
use serde::Deserialize;

pub(crate) fn routes() -> Router<WebState> {
    Router::new()
        .route("/accounts/{id}/mfa", get(section))
        .route("/accounts/{id}/mfa/start", post(start))
        .route("/accounts/{id}/mfa/key", post(by_key))
        .route("/accounts/{id}/mfa/uri", post(by_uri))
        .route(
            "/accounts/{id}/mfa/qr",
            post(by_qr).layer(DefaultBodyLimit::max(MAX_IMAGE_BYTES)),
        )
        .route("/accounts/{id}/mfa/confirm", post(confirm))
        .route("/accounts/{id}/mfa/cancel", post(cancel))
        .route("/accounts/{id}/mfa/remove", post(remove))
        .route("/accounts/{id}/code-tile", get(tile).post(tile_claim))
        .route("/accounts/{id}/code/copy", post(copy))
        .route("/accounts/{id}/code/used", post(used))
}

#[derive(Template)]
#[template(path = "mfa_section.html")]
struct Section {
    account_id: String,
    active: Option<OtpMeta>,
    pending: Option<PendingEnrollment>,
    show_form: bool,
    manage: bool,
    refresh_secs: i64,
    /// What was wrong with the key, the link or the picture is said beside
    /// it.
    notes: Notes,
    typed: Typed,
}

/// What was typed into the key form, given back with its error.
#[derive(Default)]
struct Typed {
    secret: String,
    uri: String,
    steam: bool,
}

#[derive(Default)]
struct Extra {
    notes: Notes,
    show_form: bool,
    typed: Typed,
}

impl From<Notes> for Extra {
    fn from(notes: Notes) -> Self {
        Self {
            notes,
            ..Self::default()
        }
    }
}

async fn render_section(
    s: &WebState,
    a: &Authed,
    id: orthrus_core::AccountId,
    x: impl Into<Extra>,
) -> Result<Response, WebError> {
    let x = x.into();
    let status = s.app.otp_status(&a.actor, id).await?;
    let manage = s
        .app
        .get_account(&a.actor, id)
        .await?
        .permissions
        .manage_mfa;
    // The pending code is shown to those who manage MFA, with step-up fresh.
    let pending = match (&status.pending, manage) {
        (Some(_), true) => match s.app.pending_otp_code(&a.actor, id).await {
            Ok(p) => Some(p),
            Err(AppError::StepUpRequired) => None,
            Err(e) => return Err(e.into()),
        },
        _ => None,
    };
    let refresh_secs = pending
        .as_ref()
        .map(|p| p.seconds_remaining.max(1))
        .unwrap_or(30);
    let show_form = x.show_form && pending.is_none();
    render(&Section {
        account_id: id.to_string(),
        active: status.active,
        pending,
        show_form,
        manage,
        refresh_secs,
        notes: x.notes,
        typed: x.typed,
    })
}

async fn section(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
) -> Result<Response, WebError> {
    render_section(&s, &a, id, Extra::default()).await
}

/// Everything that changes MFA needs a fresh identity check first: the
/// dialog shows inside the section, under its heading.
async fn step_up_dialog(
    s: &WebState,
    a: &Authed,
    id: orthrus_core::AccountId,
) -> Result<Response, WebError> {
    render_section(s, a, id, Notes::step_up(a, &Resume::Mfa(id))?).await
}

/// A refusal of an MFA change: the identity check when the session is not
/// fresh, otherwise the error as usual.
async fn refused(
    s: &WebState,
    a: &Authed,
    id: orthrus_core::AccountId,
    e: AppError,
) -> Result<Response, WebError> {
    match e {
        AppError::StepUpRequired => step_up_dialog(s, a, id).await,
        e => Err(e.into()),
    }
}

async fn start(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
) -> Result<Response, WebError> {
    if a.actor.elevated_until.is_none_or(|t| t <= s.app.now()) {
        return step_up_dialog(&s, &a, id).await;
    }
    mfa_form_after_step_up(&s, &a, id).await
}

/// After "Confirm your identity" succeeds: the form to give the key.
pub(crate) async fn mfa_form_after_step_up(
    s: &WebState,
    a: &Authed,
    id: orthrus_core::AccountId,
) -> Result<Response, WebError> {
    render_section(
        s,
        a,
        id,
        Extra {
            show_form: true,
            ..Extra::default()
        },
    )
    .await
}

async fn enroll(
    s: &WebState,
    a: &Authed,
    id: orthrus_core::AccountId,
    input: EnrollInput,
) -> Result<Response, WebError> {
    // A refusal is said beside what was given, which stays as typed.
    let field = if input.secret.is_some() {
        "secret"
    } else if input.otpauth_uri.is_some() {
        "uri"
    } else {
        "qr"
    };
    let typed = Typed {
        secret: input.secret.clone().unwrap_or_default(),
        uri: input.otpauth_uri.clone().unwrap_or_default(),
        steam: input.steam,
    };
    match s.app.enroll_otp(&a.actor, id, input).await {
        Ok(_) => render_section(s, a, id, Extra::default()).await,
        Err(e @ AppError::Invalid { .. }) => {
            form_error(s, a, id, FormError::on(field, e), typed).await
        }
        Err(e) => refused(s, a, id, e).await,
    }
}

/// The key form again, with `form`'s message beside its field.
async fn form_error(
    s: &WebState,
    a: &Authed,
    id: orthrus_core::AccountId,
    form: FormError,
    typed: Typed,
) -> Result<Response, WebError> {
    let x = Extra {
        show_form: true,
        typed,
        ..Notes::form(form).into()
    };
    let mut r = render_section(s, a, id, x).await?;
    *r.status_mut() = axum::http::StatusCode::OK;
    Ok(r)
}

#[derive(Deserialize)]
struct KeyForm {
    secret: String,
    steam: Option<String>,
}

async fn by_key(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
    UiForm(f): UiForm<KeyForm>,
) -> Result<Response, WebError> {
    enroll(
        &s,
        &a,
        id,
        EnrollInput {
            secret: Some(f.secret),
            steam: f.steam.is_some(),
            ..EnrollInput::default()
        },
    )
    .await
}

#[derive(Deserialize)]
struct UriForm {
    uri: String,
}

async fn by_uri(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
    UiForm(f): UiForm<UriForm>,
) -> Result<Response, WebError> {
    enroll(
        &s,
        &a,
        id,
        EnrollInput {
            otpauth_uri: Some(f.uri),
            ..EnrollInput::default()
        },
    )
    .await
}

async fn by_qr(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
    mut form: Multipart,
) -> Result<Response, WebError> {
    let mut image = None;
    let mut problem = None;
    loop {
        match form.next_field().await {
            Ok(Some(field)) if field.name() == Some("qr") => match field.bytes().await {
                Ok(b) => image = Some(b.to_vec()),
                Err(_) => {
                    problem = Some("the picture is too large (10 MiB at most)");
                    break;
                }
            },
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) => {
                problem = Some("the upload was cut off; try again");
                break;
            }
        }
    }
    let image = match (problem, image.filter(|i| !i.is_empty())) {
        (None, Some(image)) => image,
        (problem, _) => {
            let m = problem.unwrap_or("choose a PNG or JPEG screenshot of the QR code");
            return form_error(&s, &a, id, FormError::on("qr", m), Typed::default()).await;
        }
    };
    enroll(
        &s,
        &a,
        id,
        EnrollInput {
            qr_image: Some(image),
            ..EnrollInput::default()
        },
    )
    .await
}

#[derive(Deserialize)]
struct ConfirmForm {
    enrollment_id: Option<String>,
}

async fn confirm(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
    UiForm(f): UiForm<ConfirmForm>,
) -> Result<Response, WebError> {
    match s
        .app
        .confirm_otp(&a.actor, id, f.enrollment_id.as_deref())
        .await
    {
        Ok(_) => {
            let on = "The authenticator is on: members now see the current code.";
            let mut r = render_section(&s, &a, id, Notes::flash(on)).await?;
            // The page's "Authenticator code" row reloads itself on this.
            r.headers_mut().insert(
                "hx-trigger",
                axum::http::HeaderValue::from_static(MFA_CHANGED),
            );
            Ok(r)
        }
        Err(e) => refused(&s, &a, id, e).await,
    }
}

async fn cancel(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
) -> Result<Response, WebError> {
    match s.app.cancel_pending_otp(&a.actor, id).await {
        Ok(()) | Err(AppError::NotFound(_)) => render_section(&s, &a, id, Extra::default()).await,
        Err(e) => refused(&s, &a, id, e).await,
    }
}

async fn remove(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
) -> Result<Response, WebError> {
    match s.app.remove_otp(&a.actor, id).await {
        Ok(()) => {
            let removed = "Removed. Turn off the authenticator in the app too.";
            render_section(&s, &a, id, Notes::flash(removed)).await
        }
        Err(e) => refused(&s, &a, id, e).await,
    }
}

#[derive(Template)]
#[template(path = "code_tile.html")]
struct Tile {
    account_id: String,
    c: CodeView,
    compact: bool,
    refresh_secs: i64,
}

/// The htmx event a response sends when the account's authenticator was
/// turned on: the code row on the page reloads itself.
const MFA_CHANGED: &str = "mfa-changed";

#[derive(Deserialize)]
struct TileQuery {
    compact: Option<String>,
}

/// An HOTP account's tile before a code is asked for: showing one uses it
/// up, so it takes a click (a POST), never a page load.
#[derive(Template)]
#[template(path = "code_tile_hotp.html")]
struct HotpTile {
    account_id: String,
    compact: bool,
}

async fn render_tile(
    s: &WebState,
    a: &Authed,
    id: orthrus_core::AccountId,
    compact: bool,
    claim: bool,
) -> Result<Response, WebError> {
    let code = if claim {
        s.app.otp_code(&a.actor, id, CodeUse::View, None).await
    } else {
        s.app
            .otp_code_on_read(&a.actor, id, CodeUse::View, None)
            .await
    };
    match code {
        Err(AppError::Invalid {
            code: InvalidCode::OtpHotpNeedsPost,
            ..
        }) => render(&HotpTile {
            account_id: id.to_string(),
            compact,
        }),
        Ok(c) => {
            // HOTP codes do not roll over with time, and every render
            // claims a counter: the tile is not refreshed on a timer.
            let refresh_secs = c.seconds_remaining.max(1);
            render(&Tile {
                account_id: id.to_string(),
                c,
                compact,
                refresh_secs,
            })
        }
        Err(AppError::Invalid {
            code: InvalidCode::OtpNotEnrolled,
            ..
        }) => {
            // Waits for the authenticator to be turned on (Done), then loads
            // the code in its place.
            let query = if compact { "?compact=1" } else { "" };
            Ok(axum::response::IntoResponse::into_response(
                axum::response::Html(format!(
                    "<div id=\"code-{id}\" hx-get=\"/accounts/{id}/code-tile{query}\" hx-trigger=\"{MFA_CHANGED} from:body\" hx-swap=\"outerHTML\"><span class=\"muted\">Not set up yet: see MFA settings below.</span></div>"
                )),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

async fn tile(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
    Query(q): Query<TileQuery>,
) -> Result<Response, WebError> {
    render_tile(&s, &a, id, q.compact.is_some(), false).await
}

/// "Show a code" on an HOTP tile.
async fn tile_claim(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
    Query(q): Query<TileQuery>,
) -> Result<Response, WebError> {
    render_tile(&s, &a, id, q.compact.is_some(), true).await
}

#[derive(Template)]
#[template(path = "secret_value.html")]
struct Copied {
    value: String,
    copy: bool,
}

async fn copy(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
) -> Result<Response, WebError> {
    let c = s.app.otp_code(&a.actor, id, CodeUse::Copy, None).await?;
    render(&Copied {
        value: c.code,
        copy: true,
    })
}

#[derive(Deserialize)]
struct UsedQuery {
    step: i64,
}

async fn used(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
    Query(q): Query<UsedQuery>,
) -> Result<Response, WebError> {
    s.app
        .mark_otp_used(&a.actor, id, q.step, CodeUse::View)
        .await?;
    render_tile(&s, &a, id, false, false).await
}
