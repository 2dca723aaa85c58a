//! The sandbox's flows: the handlers behind its pages, shared by every look
//! ([`crate::views`] renders them), and the test control endpoints. One
//! module per feature; this one holds what they share: cookies, redirects,
//! the sign-in stages and the guards of the settings pages.

pub(crate) mod account;
pub(crate) mod challenge;
pub(crate) mod control;
pub(crate) mod login;
pub(crate) mod mail;
pub(crate) mod mfa;
pub(crate) mod two_factor;

use crate::views::Paths;
use crate::{Sandbox, Session, Stage, State as Db, User, random_bytes, unix_now};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, v)| *k == name && !v.is_empty() && v.len() <= 64)
        .map(|(_, v)| v.to_owned())
}

pub(crate) fn set_cookie(name: &str, value: &str) -> String {
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000")
}

/// A redirect with `status` (303 or 302, as the look's app answers).
pub(crate) fn redirect_with(status: StatusCode, to: &str, cookies: &[String]) -> Response {
    let mut r = (status, [(header::LOCATION, to.to_owned())]).into_response();
    for c in cookies {
        if let Ok(v) = c.parse() {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    r
}

impl Sandbox {
    /// The look's paths and cookie names.
    pub(crate) fn paths(&self) -> &'static Paths {
        self.views().paths()
    }

    /// Sends the browser to `to`, the way this look's app redirects.
    pub(crate) fn go(&self, to: &str) -> Response {
        self.go_with(to, &[])
    }

    pub(crate) fn go_with(&self, to: &str, cookies: &[String]) -> Response {
        redirect_with(self.paths().redirect, to, cookies)
    }
}

/// Where a browser at `stage` belongs.
pub(crate) fn stage_url(paths: &Paths, stage: &Stage) -> &'static str {
    match stage {
        Stage::Captcha { .. } => paths.captcha,
        Stage::Challenge { .. } => paths.challenge,
        Stage::TwoFactor { .. } => paths.two_factor,
        Stage::In => "/",
    }
}

const WORDS: &[&str] = &[
    "orange", "harbor", "violet", "candle", "meadow", "pepper", "silver", "tundra",
];

/// A word for a new CAPTCHA.
pub(crate) fn random_word() -> String {
    WORDS[usize::from(random_bytes(1)[0]) % WORDS.len()].to_owned()
}

/// The stage after `done` (None: just signed in with the password).
pub(crate) fn next_stage(db: &Db, user: &User, device: &str, done: Option<&Stage>) -> Stage {
    let from = match done {
        None => 0,
        Some(Stage::Captcha { .. }) => 1,
        Some(Stage::Challenge { .. }) => 2,
        Some(Stage::TwoFactor { .. } | Stage::In) => 3,
    };
    if from == 0 && db.behaviour.captcha {
        let w = db
            .behaviour
            .captcha_word
            .clone()
            .unwrap_or_else(random_word);
        return Stage::Captcha { answer: w };
    }
    if from <= 1 && db.behaviour.challenge_unknown_devices && !user.devices.contains_key(device) {
        return Stage::Challenge { code: None };
    }
    if from <= 2 && (user.totp.is_some() || user.sms_phone.is_some()) {
        return Stage::TwoFactor { sms_code: None };
    }
    Stage::In
}

/// Moves this browser's sign-in to its next stage and sends it there.
pub(crate) fn advance(sb: &Sandbox, sid: &str) -> Response {
    let paths = sb.paths();
    let mut db = sb.state();
    let Some(s) = db.sessions.get(sid).cloned() else {
        return sb.go(paths.login);
    };
    let Some(user) = db.users.get(&s.username) else {
        return sb.go(paths.login);
    };
    let next = next_stage(&db, user, &s.device, Some(&s.stage));
    let url = if next == Stage::In {
        if let Some(u) = db.users.get_mut(&s.username) {
            u.devices.entry(s.device.clone()).or_insert_with(unix_now);
        }
        paths.signed_in
    } else {
        stage_url(paths, &next)
    };
    if let Some(sess) = db.sessions.get_mut(sid) {
        sess.stage = next;
    }
    sb.go(url)
}

/// This browser's session, if it has one.
pub(crate) fn session(sb: &Sandbox, headers: &HeaderMap) -> Option<(String, Session)> {
    let sid = cookie(headers, sb.paths().session_cookie)?;
    let s = sb.state().sessions.get(&sid).cloned()?;
    Some((sid, s))
}

/// The session if it is at the stage `want` matches, else where to go.
pub(crate) fn at_stage(
    sb: &Sandbox,
    headers: &HeaderMap,
    want: fn(&Stage) -> bool,
) -> Result<(String, Session, User), Box<Response>> {
    let paths = sb.paths();
    let Some((sid, s)) = session(sb, headers) else {
        return Err(Box::new(sb.go(paths.login)));
    };
    if !want(&s.stage) {
        return Err(Box::new(sb.go(stage_url(paths, &s.stage))));
    }
    let Some(u) = sb.state().users.get(&s.username).cloned() else {
        return Err(Box::new(sb.go(paths.login)));
    };
    Ok((sid, s, u))
}

/// The signed-in session and user, on a device old enough for security
/// settings; otherwise the page to show instead.
pub(crate) fn settings_guard(
    sb: &Sandbox,
    headers: &HeaderMap,
) -> Result<(String, Session, User), Box<Response>> {
    let (sid, s, u) = at_stage(sb, headers, |s| *s == Stage::In)?;
    let min = sb.state().behaviour.min_device_age_secs;
    let first = u.devices.get(&s.device).copied().unwrap_or_else(unix_now);
    let age = unix_now().saturating_sub(first);
    if age < min {
        return Err(Box::new(sb.views().settings_locked(min - age)));
    }
    Ok((sid, s, u))
}

/// The digits of what a person typed (codes are often typed with spaces).
pub(crate) fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// A `next=` target if it is a path on this site, else `/` (never another
/// site's address).
pub(crate) fn local_path(next: Option<&str>) -> &str {
    match next {
        // Browsers drop tabs and newlines and read `\` as `/`: "/\t/x"
        // would lead to another host.
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains(|c: char| c == '\\' || c.is_control() || c.is_whitespace()) =>
        {
            n
        }
        _ => "/",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_targets_stay_on_this_site() {
        assert_eq!(
            super::local_path(Some("/accounts/edit/")),
            "/accounts/edit/"
        );
        for elsewhere in [
            None,
            Some(""),
            Some("//elsewhere.invalid/"),
            Some("/\t/elsewhere.invalid/"),
            Some("/\\elsewhere.invalid/"),
            Some("https://elsewhere.invalid/"),
        ] {
            assert_eq!(super::local_path(elsewhere), "/", "{elsewhere:?}");
        }
    }
}
