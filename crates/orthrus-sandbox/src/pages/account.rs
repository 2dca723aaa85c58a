//! Password and email changes; a new address is confirmed by a link sent
//! to it.

use super::mail::send_mail;
use super::settings_guard;
use crate::views::Problem;
use crate::{Sandbox, random_token};
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

pub(crate) async fn password_page(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    match settings_guard(&sb, &headers) {
        Ok(_) => sb.views().password(None),
        Err(r) => *r,
    }
}

#[derive(Deserialize)]
pub(crate) struct PasswordForm {
    #[serde(alias = "cppOldPassword")]
    old_password: String,
    #[serde(alias = "cppNewPassword")]
    new_password: String,
    #[serde(alias = "cppConfirmPassword")]
    confirm_password: String,
}

pub(crate) async fn password_change(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Form(f): Form<PasswordForm>,
) -> Response {
    let (_, _, u) = match settings_guard(&sb, &headers) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let views = sb.views();
    let max_len = sb.state().behaviour.max_password_len;
    let problem = if f.old_password != u.password {
        Some(Problem::OldPasswordWrong)
    } else if f.new_password != f.confirm_password {
        Some(Problem::PasswordsDiffer)
    } else if f.new_password.chars().count() < views.min_password_len() {
        Some(Problem::PasswordTooShort)
    } else if max_len.is_some_and(|m| f.new_password.chars().count() > m) {
        Some(Problem::PasswordTooLong)
    } else if f.new_password == u.password {
        Some(Problem::PasswordNotNew)
    } else {
        None
    };
    if let Some(p) = problem {
        return views.password(Some(p));
    }
    let hang = {
        let mut state = sb.state();
        if let Some(user) = state.users.get_mut(&u.username) {
            user.password = f.new_password;
        }
        state.behaviour.hang_after_password_change
    };
    if hang {
        std::future::pending::<()>().await;
    }
    views.password_changed()
}

pub(crate) async fn email_page(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    match settings_guard(&sb, &headers) {
        Ok((_, _, u)) => sb.views().email(&u.email, None),
        Err(r) => *r,
    }
}

#[derive(Deserialize)]
pub(crate) struct EmailForm {
    email: String,
}

pub(crate) async fn email_change(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Form(f): Form<EmailForm>,
) -> Response {
    let (_, _, u) = match settings_guard(&sb, &headers) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let views = sb.views();
    let new = f.email.trim().to_lowercase();
    let valid = new.split_once('@').is_some_and(|(l, d)| {
        !l.is_empty() && d.contains('.') && !new.contains(char::is_whitespace)
    });
    if !valid {
        return views.email(&u.email, Some(Problem::InvalidEmail));
    }
    let token = random_token();
    sb.state()
        .email_tokens
        .insert(token.clone(), (u.username.clone(), new.clone()));
    let public_url = sb.cfg.public_url.trim_end_matches('/');
    let link = views.confirm_link(public_url, &token);
    let mail = views.confirm_mail(&u.username, &link, public_url);
    match send_mail(&sb, &new, mail.subject, &mail.body).await {
        Ok(()) => views.email_sent(&u.email, &new),
        Err(e) => {
            tracing::warn!(error = %e, "sandbox could not send the confirmation link");
            views.email(&u.email, Some(Problem::LinkNotSent))
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct TokenQuery {
    token: String,
}

pub(crate) async fn email_confirm(
    State(sb): State<Sandbox>,
    Query(q): Query<TokenQuery>,
) -> Response {
    confirm_email(&sb, &q.token)
}

/// A confirmation link with the token in its path (Instagram's).
pub(crate) async fn email_confirm_path(
    State(sb): State<Sandbox>,
    Path(token): Path<String>,
) -> Response {
    confirm_email(&sb, &token)
}

/// Opens a confirmation link (once): the user's email becomes the new one.
pub(crate) fn confirm_email(sb: &Sandbox, token: &str) -> Response {
    let mut db = sb.state();
    let Some((username, new)) = db.email_tokens.remove(token) else {
        return sb.views().email_link_invalid();
    };
    if let Some(u) = db.users.get_mut(&username) {
        u.email = new.clone();
    }
    sb.views().email_confirmed(&new)
}
