//! Teams pages (issue 15): the Teams page lists the workspace's teams
//! (SCIM Groups) and their members, and for workspace Owners the SCIM
//! provisioning panel (the tenant URL, and a new token or the current
//! one's revocation behind an identity check); an account's team grants (`/accounts/{id}/teams`, also loaded
//! into the account page's Members panel) let its Owners give a team a role
//! or take it back.

use crate::WebState;
use crate::error::WebError;
use crate::extract::{Authed, PathId, PathIds, UiForm, entity, parse_id};
use crate::ui::{Flash, FormError, Page, render, see_other, with_status};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::routing::{get, post};
use orthrus_app::{AppError, TeamGrantInfo, TeamInfo};
use orthrus_core::{AccountRole, Action};
use serde::Deserialize;

pub(crate) fn routes() -> Router<WebState> {
    Router::new()
        .route("/teams", get(teams_page))
        .route("/teams/scim-token", get(to_teams).post(create_token))
        .route("/accounts/{id}/teams", get(account_teams).post(grant))
        .route("/accounts/{id}/teams/{team_id}/revoke", post(revoke))
}

#[derive(Template)]
#[template(path = "teams.html")]
struct TeamsPage {
    page: Page,
    teams: Vec<TeamInfo>,
    /// The SCIM panel shows (workspace Owners).
    scim: bool,
    tenant_url: String,
    /// The current token's prefix and when it was made, if any.
    token: Option<(String, String)>,
    /// A token just created: shown only now.
    new_token: Option<String>,
    totp: bool,
    form: FormError,
}

async fn teams_view(
    s: &WebState,
    a: &Authed,
    flash: Option<String>,
    new_token: Option<String>,
    form: FormError,
) -> Result<Response, WebError> {
    let teams = s.app.list_teams(&a.actor).await?;
    let scim = s.app.permits(&a.actor, Action::ManageScim);
    let token = if scim {
        s.app
            .scim_token_info(&a.actor)
            .await?
            .map(|t| (t.prefix, t.created_at.to_rfc3339()))
    } else {
        None
    };
    let mut page = Page::new(s, a, "Teams", "teams");
    page.flash = flash;
    render(&TeamsPage {
        page,
        teams,
        scim,
        tenant_url: format!("{}/scim/v2", s.config.public_url.trim_end_matches('/')),
        token,
        new_token,
        totp: a.actor.totp_enabled,
        form,
    })
}

async fn teams_page(
    State(s): State<WebState>,
    a: Authed,
    Flash(flash): Flash,
) -> Result<Response, WebError> {
    teams_view(&s, &a, flash, None, FormError::default()).await
}

async fn to_teams() -> Redirect {
    Redirect::to("/teams")
}

#[derive(Deserialize)]
struct TokenForm {
    password: String,
    totp: Option<String>,
    /// "revoke" to revoke the current token instead of making a new one
    /// ([`ScimTokenAction`]).
    action: Option<String>,
}

/// What the SCIM token form does once the identity check has passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ScimTokenAction {
    /// Make a new token (replacing the current one).
    Create,
    /// Revoke the current token.
    Revoke,
}

impl ScimTokenAction {
    /// The form's `action`: `revoke` revokes; any other word, or none,
    /// makes a new token.
    fn parse(word: Option<&str>) -> Self {
        match word {
            Some("revoke") => Self::Revoke,
            _ => Self::Create,
        }
    }
}

/// A new SCIM token (or the current one revoked) after the identity check
/// typed in the same form.
async fn create_token(
    State(s): State<WebState>,
    a: Authed,
    UiForm(f): UiForm<TokenForm>,
) -> Result<Response, WebError> {
    let refused = |field: &str, m: String| FormError::on(field, m);
    let until = match s
        .app
        .step_up(
            &a.actor,
            &f.password,
            f.totp.as_deref().filter(|t| !t.is_empty()),
        )
        .await
    {
        Ok(until) => until,
        Err(AppError::InvalidCredentials) => {
            let form = refused("password", "That password is not correct.".into());
            return teams_view(&s, &a, None, None, form).await;
        }
        Err(AppError::TotpRequired) => {
            let form = refused(
                "totp",
                "Enter the code from your authenticator app too.".into(),
            );
            return teams_view(&s, &a, None, None, form).await;
        }
        Err(e @ (AppError::Throttled { .. } | AppError::Invalid { .. })) => {
            return teams_view(&s, &a, None, None, refused("password", e.to_string())).await;
        }
        Err(e) => return Err(e.into()),
    };
    let actor = orthrus_app::Actor {
        elevated_until: Some(until),
        ..a.actor.clone()
    };
    match ScimTokenAction::parse(f.action.as_deref()) {
        ScimTokenAction::Revoke => {
            s.app.revoke_scim_token(&actor).await?;
            Ok(see_other(
                &s,
                "/teams",
                "The SCIM token is revoked: the directory can no longer provision anyone.",
            ))
        }
        ScimTokenAction::Create => {
            let token = s.app.create_scim_token(&actor).await?;
            teams_view(&s, &a, None, Some(token), FormError::default()).await
        }
    }
}

#[derive(Template)]
#[template(path = "account_teams.html")]
struct AccountTeamsPage {
    page: Page,
    account_id: String,
    label: String,
    grants: Vec<TeamGrantInfo>,
    /// Teams that hold no role here yet (for the grant form).
    choices: Vec<TeamInfo>,
    can_grant: bool,
    form: FormError,
}

async fn account_teams_view(
    s: &WebState,
    a: &Authed,
    id: orthrus_core::AccountId,
    flash: Option<String>,
    form: FormError,
) -> Result<Response, WebError> {
    let detail = s.app.get_account(&a.actor, id).await?;
    let grants = s.app.account_team_grants(&a.actor, id).await?;
    let can_grant = s.app.may_grant_teams(&a.actor, id).await?;
    let choices = if can_grant {
        s.app
            .list_teams(&a.actor)
            .await?
            .into_iter()
            .filter(|t| !grants.iter().any(|g| g.team_id == t.id))
            .collect()
    } else {
        Vec::new()
    };
    let mut page = Page::new(
        s,
        a,
        &format!("Teams on {}", detail.summary.label),
        "accounts",
    );
    page.flash = flash;
    render(&AccountTeamsPage {
        page,
        account_id: detail.summary.id.clone(),
        label: detail.summary.label.clone(),
        grants,
        choices,
        can_grant,
        form,
    })
}

async fn account_teams(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
    Flash(flash): Flash,
) -> Result<Response, WebError> {
    account_teams_view(&s, &a, id, flash, FormError::default()).await
}

#[derive(Deserialize)]
struct GrantForm {
    team_id: String,
    role: String,
}

async fn grant(
    State(s): State<WebState>,
    a: Authed,
    PathId(id): PathId<entity::Account>,
    UiForm(f): UiForm<GrantForm>,
) -> Result<Response, WebError> {
    let Ok(role) = f.role.parse::<AccountRole>() else {
        let form = FormError::on("role", "choose a role");
        let page = account_teams_view(&s, &a, id, None, form).await;
        return with_status(StatusCode::BAD_REQUEST, page);
    };
    // A team id that does not parse is refused as an unknown team, in the
    // form as before.
    let granted = match parse_id::<entity::Team>(&f.team_id) {
        Ok(team) => s.app.grant_team(&a.actor, id, team, role).await,
        Err(e) => Err(WebError::from(e).0),
    };
    match granted {
        Ok(grants) => {
            let name = grants
                .iter()
                .find(|g| g.team_id == f.team_id)
                .map(|g| g.team_name.clone())
                .unwrap_or_default();
            Ok(see_other(
                &s,
                &format!("/accounts/{id}"),
                &format!("Team {name} is now {}.", role.label()),
            ))
        }
        Err(AppError::NotFound(orthrus_app::Entity::Team)) => {
            let form = FormError::on("team_id", "choose a team");
            let page = account_teams_view(&s, &a, id, None, form).await;
            with_status(StatusCode::BAD_REQUEST, page)
        }
        Err(e) => Err(e.into()),
    }
}

async fn revoke(
    State(s): State<WebState>,
    a: Authed,
    PathIds(id, team): PathIds<entity::Account, entity::Team>,
) -> Result<Response, WebError> {
    s.app.revoke_team(&a.actor, id, team).await?;
    Ok(see_other(
        &s,
        &format!("/accounts/{id}"),
        "The team no longer has access.",
    ))
}
