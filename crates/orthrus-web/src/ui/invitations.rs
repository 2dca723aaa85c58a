//! Invitation pages (issue 14, `app/invitations.rs`): inviting by email
//! (`/invitations`) and the invitee's one-time page (`/invite/{token}`, no
//! sign-in).

use crate::WebState;
use crate::error::WebError;
use crate::extract::{Authed, ClientInfo, PathId, UiForm, entity};
use crate::ui::{Page, render};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use orthrus_app::{AppError, InvitationInfo, InvitationState};
use orthrus_app::{ConflictCode, Entity};
use orthrus_core::WorkspaceRole;
use serde::Deserialize;

pub(crate) fn routes() -> Router<WebState> {
    Router::new()
        .route("/invitations", get(invitations_page).post(invite))
        .route("/invitations/{id}/revoke", get(to_invitations).post(revoke))
        .route("/invite/{token}", get(invite_page).post(accept))
}

// ---- Invitations (admins) ----

/// A form's URL opened with `GET`: the page the form is on.
async fn to_invitations() -> axum::response::Redirect {
    axum::response::Redirect::to("/invitations")
}

/// A just-made invitation, for the page right after.
struct Sent {
    email: String,
    link: Option<String>,
}

#[derive(Template)]
#[template(path = "invitations.html")]
struct InvitationsPage {
    page: Page,
    workspace: String,
    days: i64,
    relay: bool,
    invitations: Vec<InvitationInfo>,
    roles: [WorkspaceRole; 5],
    sent: Option<Sent>,
    error: Option<String>,
}

async fn invitations_view(
    s: &WebState,
    a: &Authed,
    sent: Option<Sent>,
    error: Option<String>,
    flash: Option<String>,
) -> Result<Response, WebError> {
    let invitations = s.app.list_invitations(&a.actor).await?;
    let settings = s.app.workspace_settings(&a.actor).await?;
    let mut page = Page::new(s, a, "Invitations", "users");
    page.flash = flash;
    render(&InvitationsPage {
        page,
        workspace: settings.name,
        days: orthrus_app::INVITATION_DAYS,
        relay: s.app.forwarding_enabled(),
        invitations,
        roles: WorkspaceRole::ALL,
        sent,
        error,
    })
}

async fn invitations_page(
    State(s): State<WebState>,
    a: Authed,
    crate::ui::Flash(flash): crate::ui::Flash,
) -> Result<Response, WebError> {
    invitations_view(&s, &a, None, None, flash).await
}

#[derive(Deserialize)]
struct InviteForm {
    email: String,
    role: String,
    /// A guest's end of access (`datetime-local`, UTC).
    #[serde(default)]
    access_expires_at: String,
}

async fn invite(
    State(s): State<WebState>,
    a: Authed,
    UiForm(f): UiForm<InviteForm>,
) -> Result<Response, WebError> {
    let role = crate::api::parse_role(&f.role)?;
    let end = Some(f.access_expires_at.trim())
        .filter(|t| !t.is_empty())
        .map(orthrus_app::parse_end_time)
        .transpose();
    let sent = match end {
        Ok(end) => {
            s.app
                .create_invitation_until(
                    &a.actor,
                    &f.email,
                    role,
                    end,
                    &crate::api::invitations::link_base(&s),
                )
                .await
        }
        Err(e) => Err(e),
    };
    match sent {
        Ok(sent) => {
            let shown = Sent {
                email: sent.invitation.email,
                link: sent.link,
            };
            invitations_view(&s, &a, Some(shown), None, None).await
        }
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            invitations_view(&s, &a, None, Some(e.to_string()), None).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn revoke(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Invitation>,
) -> Result<Response, WebError> {
    let done = match s.app.revoke_invitation(&a.actor, id).await {
        Ok(i) => format!("Withdrew the invitation of {}.", i.email),
        Err(e @ AppError::Conflict { .. }) => {
            return invitations_view(&s, &a, None, Some(e.to_string()), None).await;
        }
        Err(e) => return Err(e.into()),
    };
    Ok(crate::ui::see_other(&s, "/invitations", &done))
}

// ---- The invitee's page (no sign-in: the token is the credential) ----

enum InviteView {
    Open {
        email: String,
        role: &'static str,
        workspace: String,
    },
    Joined {
        email: String,
        workspace: String,
    },
    Closed {
        title: &'static str,
        message: String,
    },
}

#[derive(Template)]
#[template(path = "invite.html")]
struct InvitePage {
    title: &'static str,
    token: String,
    view: InviteView,
    name: String,
    error: Option<String>,
}

fn invite_response(status: StatusCode, page: InvitePage) -> Result<Response, WebError> {
    let mut r = render(&page)?;
    *r.status_mut() = status;
    // The link is a credential: keep it out of other sites' Referer.
    r.headers_mut().insert(
        axum::http::header::REFERRER_POLICY,
        axum::http::HeaderValue::from_static("no-referrer"),
    );
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(r)
}

/// The page for a link that does not work, and its status: 404 for an
/// unknown link, 410 for one that was used, withdrawn or has expired.
fn closed(e: &AppError) -> Option<(StatusCode, &'static str)> {
    let AppError::Conflict { code, .. } = e else {
        return matches!(e, AppError::NotFound(Entity::Invitation))
            .then_some((StatusCode::NOT_FOUND, "This invitation link is not valid"));
    };
    Some(match code {
        ConflictCode::InvitationUsed => (StatusCode::GONE, "This invitation was already used"),
        ConflictCode::InvitationRevoked => (StatusCode::GONE, "This invitation was withdrawn"),
        ConflictCode::InvitationExpired => (StatusCode::GONE, "This invitation has expired"),
        _ => return None,
    })
}

fn closed_page(token: String, e: &AppError) -> Option<Result<Response, WebError>> {
    let (status, title) = closed(e)?;
    let message = if matches!(e, AppError::NotFound(Entity::Invitation)) {
        "Check that you opened the whole link from your invitation, or ask whoever invited you for a new one.".to_owned()
    } else {
        e.to_string()
    };
    Some(invite_response(
        status,
        InvitePage {
            title,
            token,
            view: InviteView::Closed { title, message },
            name: String::new(),
            error: None,
        },
    ))
}

async fn invite_page(
    State(s): State<WebState>,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let preview = match s.app.invitation_preview(&token).await {
        Ok(p) => p,
        Err(e) => return closed_page(token, &e).unwrap_or(Err(e.into())),
    };
    let refused = match preview.state {
        InvitationState::Pending => None,
        InvitationState::Accepted => Some((
            ConflictCode::InvitationUsed,
            "this invitation was already used; sign in with the password you chose",
        )),
        InvitationState::Revoked => Some((
            ConflictCode::InvitationRevoked,
            "this invitation was withdrawn; ask whoever invited you for a new one",
        )),
        InvitationState::Expired => Some((
            ConflictCode::InvitationExpired,
            "this invitation has expired; ask whoever invited you for a new one",
        )),
    };
    if let Some((code, message)) = refused {
        let e = AppError::conflict(code, message);
        return closed_page(token, &e).unwrap_or(Err(e.into()));
    }
    invite_response(
        StatusCode::OK,
        InvitePage {
            title: "Join your team",
            token,
            view: InviteView::Open {
                email: preview.email,
                role: preview.role.label(),
                workspace: preview.workspace,
            },
            name: String::new(),
            error: None,
        },
    )
}

#[derive(Deserialize)]
struct AcceptForm {
    #[serde(default)]
    name: String,
    password: String,
    password_again: String,
}

async fn accept(
    State(s): State<WebState>,
    client: ClientInfo,
    Path(token): Path<String>,
    UiForm(f): UiForm<AcceptForm>,
) -> Result<Response, WebError> {
    let preview = match s.app.invitation_preview(&token).await {
        Ok(p) => p,
        Err(e) => return closed_page(token, &e).unwrap_or(Err(e.into())),
    };
    let again = |error: String| {
        invite_response(
            StatusCode::BAD_REQUEST,
            InvitePage {
                title: "Join your team",
                token: token.clone(),
                view: InviteView::Open {
                    email: preview.email.clone(),
                    role: preview.role.label(),
                    workspace: preview.workspace.clone(),
                },
                name: f.name.clone(),
                error: Some(error),
            },
        )
    };
    if f.password != f.password_again {
        return again("the two passwords are not the same".into());
    }
    match s
        .app
        .accept_invitation(&token, &f.name, &f.password, &client.ip)
        .await
    {
        Ok(u) => invite_response(
            StatusCode::OK,
            InvitePage {
                title: "Welcome",
                token: String::new(),
                view: InviteView::Joined {
                    email: u.email,
                    workspace: preview.workspace.clone(),
                },
                name: String::new(),
                error: None,
            },
        ),
        Err(e) => match closed_page(token.clone(), &e) {
            Some(r) => r,
            None => match e {
                AppError::Invalid { .. } | AppError::Conflict { .. } => again(e.to_string()),
                e => Err(e.into()),
            },
        },
    }
}
