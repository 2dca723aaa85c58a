//! Signing in and out, and the home page.

use super::{at_stage, cookie, local_path, next_stage, session, set_cookie, stage_url};
use crate::views::Problem;
use crate::{Sandbox, Session, Stage, random_token, unix_now};
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use serde::Deserialize;

pub(crate) async fn home(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    match session(&sb, &headers) {
        Some((_, s)) if s.stage == Stage::In => sb.views().home(&s.username),
        Some((_, s)) => sb.go(stage_url(sb.paths(), &s.stage)),
        None => sb.go(sb.paths().login),
    }
}

pub(crate) async fn login_page(State(sb): State<Sandbox>) -> Response {
    sb.views().login(None)
}

/// The sign-in form, or home for a browser signed in already (as
/// Instagram does).
pub(crate) async fn login_page_or_home(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    match session(&sb, &headers) {
        Some((_, s)) if s.stage == Stage::In => sb.go("/"),
        _ => sb.views().login(None),
    }
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    username: String,
    password: String,
}

pub(crate) async fn login(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let paths = sb.paths();
    let device = cookie(&headers, paths.device_cookie).unwrap_or_else(random_token);
    let device_cookie = set_cookie(paths.device_cookie, &device);
    let username = f.username.trim().to_lowercase();
    let mut db = sb.state();
    let stage = match db.users.get(&username) {
        Some(u) if u.password == f.password => next_stage(&db, u, &device, None),
        found => {
            let problem = if found.is_some() {
                Problem::WrongPassword
            } else {
                Problem::UnknownUser
            };
            drop(db);
            let mut r = sb.views().login(Some(problem));
            if let Ok(v) = device_cookie.parse() {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            return r;
        }
    };
    let url = if stage == Stage::In {
        if let Some(u) = db.users.get_mut(&username) {
            u.devices.entry(device.clone()).or_insert_with(unix_now);
        }
        paths.signed_in
    } else {
        stage_url(paths, &stage)
    };
    let sid = random_token();
    db.sessions.insert(
        sid.clone(),
        Session {
            username,
            device,
            stage,
            fresh_codes: Vec::new(),
        },
    );
    drop(db);
    sb.go_with(
        url,
        &[set_cookie(paths.session_cookie, &sid), device_cookie],
    )
}

pub(crate) async fn logout(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    let paths = sb.paths();
    if let Some(sid) = cookie(&headers, paths.session_cookie) {
        sb.state().sessions.remove(&sid);
    }
    sb.go_with(
        paths.login,
        &[format!("{}=; Path=/; Max-Age=0", paths.session_cookie)],
    )
}

#[derive(Deserialize)]
pub(crate) struct NextQuery {
    next: Option<String>,
}

/// "Save your login info?", after every sign-in.
pub(crate) async fn onetap_page(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    match at_stage(&sb, &headers, |s| *s == Stage::In) {
        Ok(_) => sb.views().onetap(),
        Err(r) => *r,
    }
}

#[derive(Deserialize)]
pub(crate) struct OnetapForm {
    save: Option<String>,
}

/// "Save info" or "Not now"; either way on to `next`.
pub(crate) async fn onetap(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
    Form(f): Form<OnetapForm>,
) -> Response {
    let (_, s, _) = match at_stage(&sb, &headers, |s| *s == Stage::In) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    if f.save.is_some()
        && let Some(u) = sb.state().users.get_mut(&s.username)
    {
        // The device is remembered already once signed in: saving the
        // login info changes nothing the sandbox checks.
        u.devices.entry(s.device).or_insert_with(unix_now);
    }
    sb.go(local_path(q.next.as_deref()))
}

/// A user's profile page (anyone may look).
pub(crate) async fn profile(State(sb): State<Sandbox>, Path(username): Path<String>) -> Response {
    let found = sb
        .state()
        .users
        .get(&username.to_lowercase())
        .map(|u| u.username.clone());
    sb.views().profile(found.as_deref())
}
