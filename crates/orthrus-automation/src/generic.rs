//! A login for apps that have no recipe (issue 13): the page-reading code
//! of the browser extension (`extension/lib/fields.js`, `otp.js`,
//! `page.js`), injected through WebDriver, finds the username, password and
//! one-time-code fields on whatever screen the app shows; the run fills
//! them screen by screen and reads the outcome: an error message, a code
//! page, or the password field gone (signed in). One module, two hosts: an
//! improvement to the extension's field finding improves this too.

use crate::engine::{FlowEnd, Host, HostError, StepEnd, StepLog};
use std::time::Duration;
use thirtyfour::prelude::*;

/// The extension's page modules, in the order a page loads them.
const PAGE_JS: &str = concat!(
    include_str!("../../../extension/lib/fields.js"),
    "\n",
    include_str!("../../../extension/lib/otp.js"),
    "\n",
    include_str!("../../../extension/lib/page.js"),
);

/// Screens one login may go through (login, password, codes…).
const MAX_SCREENS: usize = 8;
/// How long a submitted screen may take to give way to the next.
const SCREEN_TIMEOUT: Duration = Duration::from_secs(15);

/// What the current screen asks for, as the page module reads it.
#[derive(Debug, Default, serde::Deserialize)]
struct Screen {
    /// Which sign-in fields are there, if any.
    stage: Option<Stage>,
    /// A one-time-code field is there.
    code: bool,
    /// Where the page says its code comes from, when it says.
    source: Option<CodeSource>,
    /// A visible error or alert text.
    error: Option<String>,
    /// A page with no field to fill but a button that sends a code or goes
    /// on ("Send security code", "Continue"): the button's text.
    proceed: Option<String>,
    url: String,
}

/// The sign-in fields a screen shows (the page module's `stage`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
enum Stage {
    /// Username and password together.
    Full,
    /// The username alone (the first screen of a two-step sign-in).
    Username,
    /// The password alone.
    Password,
}

/// Where a screen says its code comes from (the page module's
/// `codeSource`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
enum CodeSource {
    /// An authenticator app.
    Totp,
    /// A message sent by mail or text.
    Inbox,
}

/// Injects the page modules (once per document) and reads the screen.
/// `after_login`: a code field without a name counts (the screen right
/// after a password).
const READ_SCREEN: &str = r#"
const afterLogin = arguments[0];
const P = globalThis.OrthrusPage, O = globalThis.OrthrusOtp;
const login = P.findLoginFields(document);
const code = login.stage ? null : P.findCodeFields(document, { expectCode: afterLogin });
let error = null;
for (const el of document.querySelectorAll('[role=alert], .error, .alert-error, #error, [aria-live=assertive]')) {
  const t = (el.innerText || '').trim();
  const r = el.getBoundingClientRect();
  if (t && r.width > 0 && r.height > 0) { error = t.slice(0, 300); break; }
}
let proceed = null;
const typeable = [...document.querySelectorAll('input, textarea')].filter((e) => {
  const t = (e.type || 'text').toLowerCase();
  const r = e.getBoundingClientRect();
  return !['hidden', 'submit', 'button', 'checkbox', 'radio', 'image', 'reset'].includes(t) && r.width > 0 && r.height > 0;
});
if (!login.stage && !code && typeable.length === 0) {
  const words = /\b(send|code|verify|continue|next|get|enviar|continuar|envoyer|continuer|senden|weiter|invia|continua)\b/i;
  const buttons = [...document.querySelectorAll('button, input[type=submit], [role=button]')].filter((b) => {
    const r = b.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && words.test(b.innerText || b.value || '');
  });
  if (buttons.length === 1) {
    globalThis.__orthrusProceed = buttons[0];
    proceed = (buttons[0].innerText || buttons[0].value || '').trim().slice(0, 80);
  }
}
return {
  stage: login.stage || null,
  code: !!code,
  proceed,
  source: code ? O.codeSource(document.body ? document.body.innerText : '') : null,
  error,
  url: location.href,
};
"#;

async fn inject(driver: &WebDriver) -> Result<(), HostError> {
    let script = format!("if (!globalThis.OrthrusPage) {{ {PAGE_JS} }} return true;");
    driver
        .execute(&script, Vec::new())
        .await
        .map(|_| ())
        .map_err(|e| HostError::Browser(format!("the page could not be read: {e}")))
}

async fn read_screen(driver: &WebDriver, after_login: bool) -> Result<Screen, HostError> {
    inject(driver).await?;
    let r = driver
        .execute(READ_SCREEN, vec![serde_json::json!(after_login)])
        .await
        .map_err(|e| HostError::Browser(format!("the page could not be read: {e}")))?;
    serde_json::from_value(r.json().clone())
        .map_err(|e| HostError::Browser(format!("the page could not be read: {e}")))
}

/// Marks the document, runs `fill` (which submits), and waits until the
/// screen gave way: a new document (the mark is gone) or, in a page that
/// changes without loading, a different screen.
async fn submit_and_wait(
    driver: &WebDriver,
    fill: &str,
    args: Vec<serde_json::Value>,
    before: &Screen,
) -> Result<(), HostError> {
    inject(driver).await?;
    driver
        .execute("globalThis.__orthrusScreen = true;", Vec::new())
        .await
        .map_err(|e| HostError::Browser(e.to_string()))?;
    let r = driver
        .execute(fill, args)
        .await
        .map_err(|e| HostError::Browser(format!("could not fill the page: {e}")))?;
    let ok = r.json()["ok"].as_bool() == Some(true);
    if !ok {
        return Err(HostError::Page(format!(
            "the fields could not be filled ({})",
            r.json()["reason"].as_str().unwrap_or("unknown reason")
        )));
    }
    let until = tokio::time::Instant::now() + SCREEN_TIMEOUT;
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let left_page = driver
            .execute("return globalThis.__orthrusScreen !== true;", Vec::new())
            .await
            .map(|r| r.json().as_bool() == Some(true))
            // A navigation in progress: the old document is going away.
            .unwrap_or(false);
        if left_page {
            return Ok(());
        }
        if let Ok(now) = read_screen(driver, true).await
            && (now.stage != before.stage || now.code != before.code || now.error.is_some())
        {
            return Ok(());
        }
        if tokio::time::Instant::now() >= until {
            return Err(HostError::Timeout(format!(
                "the page did not change within {} s of submitting",
                SCREEN_TIMEOUT.as_secs()
            )));
        }
    }
}

/// Logs one step around `f`.
async fn step<T>(
    log: &mut dyn StepLog,
    driver: &WebDriver,
    name: &str,
    detail: Option<&str>,
    f: impl Future<Output = Result<T, HostError>>,
) -> Result<T, HostError> {
    let h = log.started(name).await;
    let r = f.await;
    crate::engine::shoot(driver, log, h).await;
    // Page URLs are logged without query and fragment (tokens stay out).
    let url = driver.current_url().await.ok().map(|mut u| {
        u.set_query(None);
        u.set_fragment(None);
        u.to_string()
    });
    match &r {
        Ok(_) => {
            log.finished(h, StepEnd::ok(detail).at(url.as_deref()))
                .await;
        }
        Err(e) => {
            log.finished(h, StepEnd::failed(&e.to_string()).at(url.as_deref()))
                .await;
        }
    }
    r
}

/// Signs in on an app without a recipe.
pub async fn login(driver: &WebDriver, host: &dyn Host, log: &mut dyn StepLog) -> FlowEnd {
    match run(driver, host, log).await {
        Ok(end) => end,
        Err(e) => FlowEnd::Failed(e.to_string()),
    }
}

async fn run(
    driver: &WebDriver,
    host: &dyn Host,
    log: &mut dyn StepLog,
) -> Result<FlowEnd, HostError> {
    let login_url = host.value("login_url").await?;
    step(log, driver, "open the sign-in page", None, async {
        driver
            .goto(&login_url)
            .await
            .map_err(|e| HostError::Navigation(format!("could not open the sign-in page: {e}")))
    })
    .await?;
    let mut typed_password = false;
    let mut codes = 0;
    let mut proceeds = 0;
    for _ in 0..MAX_SCREENS {
        let screen = step(
            log,
            driver,
            "see what the page asks for",
            None,
            read_screen(driver, typed_password),
        )
        .await?;
        if let Some(e) = &screen.error
            && (typed_password || codes > 0)
        {
            return Ok(FlowEnd::Failed(format!("the app said: {e}")));
        }
        match (screen.stage, screen.code) {
            (Some(stage), _) => {
                if stage == Stage::Full && typed_password && codes == 0 {
                    return Ok(FlowEnd::Failed(
                        "the app showed its sign-in form again after the password".into(),
                    ));
                }
                let username = host.value("username").await?;
                let password = host.value("password").await?;
                let detail = match stage {
                    Stage::Username => "typed {username}",
                    Stage::Password => "typed {password}",
                    Stage::Full => "typed {username} and {password}",
                };
                step(log, driver, "fill in and send the sign-in form", Some(detail), submit_and_wait(
                    driver,
                    "return (function(){ const r = globalThis.OrthrusPage.fillCredentials(document, {username: arguments[0], password: arguments[1]}, {}); return {ok: r.ok, reason: r.reason || null}; }).apply(null, arguments);",
                    vec![serde_json::json!(username), serde_json::json!(password)],
                    &screen,
                ))
                .await?;
                typed_password |= stage != Stage::Username;
            }
            (_, true) => {
                codes += 1;
                if codes > 3 {
                    return Ok(FlowEnd::Failed("the app kept asking for codes".into()));
                }
                // The page says whether its code was sent (email, text) or
                // comes from an authenticator app.
                let (name, detail) = match screen.source {
                    Some(CodeSource::Inbox) => ("inbox_code", "typed {inbox_code}"),
                    Some(CodeSource::Totp) | None => ("totp", "typed {totp}"),
                };
                let code = match host.value(name).await {
                    Ok(c) => c,
                    // No authenticator in Orthrus: the code may have come
                    // by mail or text after all.
                    Err(_) if name == "totp" => host.value("inbox_code").await?,
                    Err(e) => return Err(e),
                };
                step(log, driver, "fill in and send the login code", Some(detail), submit_and_wait(
                    driver,
                    "return (function(){ const r = globalThis.OrthrusPage.fillCode(document, arguments[0], {expectCode: true}); return {ok: r.ok, reason: r.reason || null}; }).apply(null, arguments);",
                    vec![serde_json::json!(code)],
                    &screen,
                ))
                .await?;
            }
            (None, false) if screen.proceed.is_some() && proceeds < 2 => {
                proceeds += 1;
                let button = screen.proceed.clone().unwrap_or_default();
                step(log, driver, "press the page's button", Some(&button), submit_and_wait(
                    driver,
                    "const b = globalThis.__orthrusProceed; if (!b) return {ok: false, reason: 'the button went away'}; b.click(); return {ok: true};",
                    Vec::new(),
                    &screen,
                ))
                .await?;
            }
            _ => {
                if typed_password {
                    // No sign-in form and no code field after the password:
                    // the app let us in.
                    let h = log.started("signed in").await;
                    let end = StepEnd::ok(Some("the sign-in form is gone")).at(Some(&screen.url));
                    log.finished(h, end).await;
                    return Ok(FlowEnd::Done);
                }
                return Ok(FlowEnd::Failed(
                    "no sign-in form was found on the login page".into(),
                ));
            }
        }
    }
    Ok(FlowEnd::Failed(format!(
        "the sign-in did not finish within {MAX_SCREENS} screens"
    )))
}
