//! Runs one flow of a [`Recipe`] in a browser, step by step, asking the
//! [`Host`] for placeholder values when a step needs them and telling the
//! [`StepLog`] what happened. Values never reach the log: a `fill` step is
//! logged with its template (`{password}`), not what was typed.

use crate::recipe::{Action, Case, Recipe, Then, placeholders_in};
use std::collections::HashMap;
use std::time::Duration;
use thirtyfour::prelude::*;

/// Fills placeholders: credentials, the current TOTP code, a code waited
/// for in the shared inbox, …
#[async_trait::async_trait]
pub trait Host: Send + Sync {
    async fn value(&self, name: &str) -> Result<String, HostError>;
    /// Runs a hook (`call = "…"`); the default host has none.
    async fn call(&self, hook: &str, _arg: Option<&str>) -> Result<(), HostError> {
        Err(HostError::Unavailable(format!("no hook {hook:?} here")))
    }
    /// Asks a person (`ask` steps) and waits for the answer; `screenshot`
    /// is a PNG of what they must look at. The default host has nobody.
    async fn ask(&self, _prompt: &str, _screenshot: Option<Vec<u8>>) -> Result<String, HostError> {
        Err(HostError::Unavailable(
            "nobody here can answer: the step needs a person".into(),
        ))
    }
}

/// Why a step (or a value, hook or answer its [`Host`] was asked for)
/// failed. The text is what the step's log line and the job's error say.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    /// The host has no such value or hook, or nothing to give for it yet
    /// (no new password made, no managed address, nobody to ask).
    #[error("{0}")]
    Unavailable(String),
    /// The element a step needs did not show in time.
    #[error("{selector} did not show within {secs} s")]
    ElementNotFound { selector: String, secs: u64 },
    /// Something awaited did not come in time: one of a branch's
    /// elements, the page changing, a message, a person's answer.
    #[error("{0}")]
    Timeout(String),
    /// A page could not be opened.
    #[error("{0}")]
    Navigation(String),
    /// The browser (WebDriver) failed at what it was told to do.
    #[error("{0}")]
    Browser(String),
    /// The page is not what the step can work with (its fields could not
    /// be filled, no QR code could be read in it).
    #[error("{0}")]
    Page(String),
    /// The recipe asks for something it cannot have here (a placeholder
    /// written wrong, a hook without its argument or out of order).
    #[error("{0}")]
    Recipe(String),
    /// Orthrus refused or failed (the use case the host called).
    #[error("{0}")]
    App(String),
}

impl HostError {
    /// An error of the app's use cases, as its text.
    pub fn app(e: impl std::fmt::Display) -> Self {
        Self::App(e.to_string())
    }
}

/// How a step ended (the job log's vocabulary, in `orthrus-core`).
pub use orthrus_core::StepOutcome;

/// How one step ended, as its log records it.
#[derive(Clone, Copy, Debug)]
pub struct StepEnd<'a> {
    pub outcome: StepOutcome,
    /// The page's address after the step, when a page was open.
    pub url: Option<&'a str>,
    /// What happened, in words (templates such as `typed {password}`,
    /// never a value).
    pub detail: Option<&'a str>,
}

impl<'a> StepEnd<'a> {
    /// Ended with `outcome`, saying `detail`; no page.
    pub fn new(outcome: StepOutcome, detail: Option<&'a str>) -> Self {
        Self {
            outcome,
            url: None,
            detail,
        }
    }

    /// Succeeded, saying `detail`.
    pub fn ok(detail: Option<&'a str>) -> Self {
        Self::new(StepOutcome::Ok, detail)
    }

    /// Failed, for the reason `why`.
    pub fn failed(why: &'a str) -> Self {
        Self::new(StepOutcome::Failed, Some(why))
    }

    /// The same end, with the page at `url`.
    #[must_use]
    pub fn at(self, url: Option<&'a str>) -> Self {
        Self { url, ..self }
    }
}

/// Where the steps of a run are recorded (the automation log).
#[async_trait::async_trait]
pub trait StepLog: Send {
    /// A step starts; returns a handle for [`StepLog::finished`].
    async fn started(&mut self, name: &str) -> i64;
    async fn finished(&mut self, handle: i64, end: StepEnd<'_>);
    /// Whether it wants a picture of the page after every step
    /// (`orthrus recipe try`); the automation log does not.
    fn wants_page_shots(&self) -> bool {
        false
    }
    /// The page after the step `handle` (a PNG), when it wants them.
    async fn page_shot(&mut self, _handle: i64, _png: Vec<u8>) {}
}

/// Gives `log` a picture of the page after step `handle`, if it wants one.
pub(crate) async fn shoot(driver: &WebDriver, log: &mut dyn StepLog, handle: i64) {
    if log.wants_page_shots()
        && let Ok(png) = driver.screenshot_as_png().await
    {
        log.page_shot(handle, png).await;
    }
}

/// After a step: its picture (when the log wants one) and the page's
/// address as the log may keep it.
async fn step_ended(driver: &WebDriver, log: &mut dyn StepLog, handle: i64) -> Option<String> {
    shoot(driver, log, handle).await;
    driver
        .current_url()
        .await
        .ok()
        .map(|u| loggable(u.as_str()))
}

/// How a flow ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FlowEnd {
    Done,
    Failed(String),
    /// A person must act (a CAPTCHA, …); the reason says what.
    Paused(String),
    /// Try again later: the reason, and the wait the app stated if it did.
    Deferred(String, Option<u64>),
}

/// Steps one run may execute before it is judged to be going in circles.
const MAX_STEPS: usize = 300;

/// Runs `flow` of `recipe` on `driver`.
pub async fn run_flow(
    driver: &WebDriver,
    recipe: &Recipe,
    flow: &str,
    host: &dyn Host,
    log: &mut dyn StepLog,
) -> FlowEnd {
    run_nested(driver, recipe, flow, host, log, 0).await
}

/// How deep `run` steps may nest.
const MAX_DEPTH: usize = 4;

fn run_nested<'a>(
    driver: &'a WebDriver,
    recipe: &'a Recipe,
    flow: &'a str,
    host: &'a dyn Host,
    log: &'a mut dyn StepLog,
    depth: usize,
) -> std::pin::Pin<Box<dyn Future<Output = FlowEnd> + Send + 'a>> {
    Box::pin(async move {
        if depth > MAX_DEPTH {
            return FlowEnd::Failed(format!("flows nest deeper than {MAX_DEPTH} levels"));
        }
        run_steps(driver, recipe, flow, host, log, depth).await
    })
}

async fn run_steps(
    driver: &WebDriver,
    recipe: &Recipe,
    flow: &str,
    host: &dyn Host,
    log: &mut dyn StepLog,
    depth: usize,
) -> FlowEnd {
    let Some(f) = recipe.flows.get(flow) else {
        return FlowEnd::Failed(format!("the {} recipe has no {flow:?} flow", recipe.app));
    };
    let labels: HashMap<&str, usize> = f
        .steps
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.label.as_deref().map(|l| (l, i)))
        .collect();
    let mut vars: HashMap<String, String> = HashMap::new();
    let mut pc = 0;
    for _ in 0..MAX_STEPS {
        let Some(step) = f.steps.get(pc) else {
            return FlowEnd::Done;
        };
        if let Action::Run(sub) = &step.action {
            let handle = log.started(&step.name).await;
            let end = run_nested(driver, recipe, sub, host, &mut *log, depth + 1).await;
            let url = step_ended(driver, log, handle).await;
            if end == FlowEnd::Done {
                log.finished(handle, StepEnd::ok(None).at(url.as_deref()))
                    .await;
                pc += 1;
                continue;
            }
            let why = format!("{sub} did not finish");
            log.finished(handle, StepEnd::failed(&why).at(url.as_deref()))
                .await;
            return end;
        }
        let handle = log.started(&step.name).await;
        let timeout = Duration::from_secs(step.timeout_secs);
        let result = execute(driver, &step.action, timeout, host, &mut vars).await;
        let url = step_ended(driver, log, handle).await;
        let next = match result {
            Ok(Next::Continue(detail)) => {
                log.finished(handle, StepEnd::ok(detail.as_deref()).at(url.as_deref()))
                    .await;
                pc + 1
            }
            Ok(Next::Goto(label)) => {
                let detail = format!("go to {label}");
                log.finished(handle, StepEnd::ok(Some(&detail)).at(url.as_deref()))
                    .await;
                match labels.get(label.as_str()) {
                    Some(i) => *i,
                    None => return FlowEnd::Failed(format!("no step is labelled {label:?}")),
                }
            }
            Ok(Next::End(end)) => {
                let (outcome, detail) = match &end {
                    FlowEnd::Done => (StepOutcome::Ok, None),
                    FlowEnd::Failed(m) => (StepOutcome::Failed, Some(m.as_str())),
                    FlowEnd::Paused(m) | FlowEnd::Deferred(m, _) => {
                        (StepOutcome::Paused, Some(m.as_str()))
                    }
                };
                log.finished(handle, StepEnd::new(outcome, detail).at(url.as_deref()))
                    .await;
                return end;
            }
            Err(why) => {
                let why = why.to_string();
                log.finished(handle, StepEnd::failed(&why).at(url.as_deref()))
                    .await;
                return FlowEnd::Failed(format!("{}: {why}", step.name));
            }
        };
        pc = next;
    }
    FlowEnd::Failed(format!(
        "the flow ran {MAX_STEPS} steps without finishing: it is going in circles"
    ))
}

enum Next {
    /// On to the next step; a detail for the log.
    Continue(Option<String>),
    Goto(String),
    End(FlowEnd),
}

/// Fills the placeholders of `template`.
async fn resolve(
    template: &str,
    host: &dyn Host,
    vars: &HashMap<String, String>,
) -> Result<String, HostError> {
    let mut out = template.replace("{{", "\u{0}").replace("}}", "\u{1}");
    for name in placeholders_in(template).map_err(HostError::Recipe)? {
        let value = match vars.get(name) {
            Some(v) => v.clone(),
            None => host.value(name).await?,
        };
        out = out.replacen(&format!("{{{name}}}"), &value, 1);
    }
    Ok(out.replace('\u{0}', "{").replace('\u{1}', "}"))
}

/// How a selector finds elements: CSS, or one of the forms that name what
/// a person sees (docs/recipes.md, "Selectors"), which hold up when an app
/// regenerates its class names:
///
/// - `text=Suspicious Login Attempt`: the innermost element whose visible
///   text contains the words;
/// - `button=Log in`: a button, a link, an element with `role="button"` or a
///   submit input whose text, `aria-label` or `value` is exactly the words;
/// - `field=Security code`: an input, text area or select whose
///   `aria-label`, `placeholder` or `<label>` is the words.
pub fn by(selector: &str) -> By {
    match xpath_of(selector) {
        Some(x) => By::XPath(x),
        None => By::Css(selector.to_owned()),
    }
}

/// The XPath of a selector that is not CSS.
fn xpath_of(selector: &str) -> Option<String> {
    SelectorForm::of(selector).map(|(form, words)| form.xpath(words))
}

/// The selector forms that are not CSS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectorForm {
    Text,
    Button,
    Field,
}

impl SelectorForm {
    /// The form and its words, when `selector` is not CSS.
    pub fn of(selector: &str) -> Option<(Self, &str)> {
        let (prefix, words) = selector.split_once('=')?;
        let form = match prefix {
            "text" => Self::Text,
            "button" => Self::Button,
            "field" => Self::Field,
            _ => return None,
        };
        Some((form, words.trim()))
    }

    fn xpath(self, words: &str) -> String {
        let w = xpath_literal(words);
        // Whitespace as a person reads it: runs of spaces are one.
        match self {
            Self::Text => format!(
                "//body//*[not(self::script or self::style)][contains(normalize-space(.), {w})]                 [not(*[contains(normalize-space(.), {w})])]"
            ),
            Self::Button => format!(
                "//*[self::button or self::a or @role='button'                  or (self::input and (@type='submit' or @type='button'))]                 [normalize-space(.)={w} or normalize-space(@aria-label)={w} or normalize-space(@value)={w}]"
            ),
            Self::Field => format!(
                "//*[self::input or self::textarea or self::select]                 [normalize-space(@aria-label)={w} or normalize-space(@placeholder)={w}                  or @id=//label[normalize-space(.)={w}]/@for                  or ancestor::label[normalize-space(.)={w}]]"
            ),
        }
    }
}

/// `s` as an XPath 1.0 string literal (which has no escapes: a text with
/// both quote marks is built with `concat`).
fn xpath_literal(s: &str) -> String {
    if !s.contains('\'') {
        format!("'{s}'")
    } else if !s.contains('"') {
        format!("\"{s}\"")
    } else {
        let parts: Vec<String> = s.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}

async fn element(
    driver: &WebDriver,
    selector: &str,
    timeout: Duration,
) -> Result<WebElement, HostError> {
    driver
        .query(by(selector))
        .wait(timeout, Duration::from_millis(200))
        .first()
        .await
        .map_err(|_| HostError::ElementNotFound {
            selector: selector.to_owned(),
            secs: timeout.as_secs(),
        })
}

async fn execute(
    driver: &WebDriver,
    action: &Action,
    timeout: Duration,
    host: &dyn Host,
    vars: &mut HashMap<String, String>,
) -> Result<Next, HostError> {
    match action {
        Action::Open(template) => {
            let url = resolve(template, host, vars).await?;
            driver
                .goto(&url)
                .await
                .map_err(|e| HostError::Navigation(format!("could not open the page: {e}")))?;
            Ok(Next::Continue(None))
        }
        Action::Fill { selector, value } => {
            let selector = resolve(selector, host, vars).await?;
            let el = element(driver, &selector, timeout).await?;
            let text = resolve(value, host, vars).await?;
            el.clear()
                .await
                .map_err(|e| HostError::Browser(format!("could not clear {selector}: {e}")))?;
            el.send_keys(&text)
                .await
                .map_err(|e| HostError::Browser(format!("could not type into {selector}: {e}")))?;
            // The template, never the value: it may be a password or a code.
            Ok(Next::Continue(Some(format!("typed {value}"))))
        }
        Action::Click(selector) => {
            let selector = resolve(selector, host, vars).await?;
            let el = element(driver, &selector, timeout).await?;
            let page = driver.find(By::Tag("html")).await.ok();
            el.click()
                .await
                .map_err(|e| HostError::Browser(format!("could not click {selector}: {e}")))?;
            // When the click loads another page, wait until the old one is
            // gone, so the next step never reads it (a stale error message
            // would look like the answer). Clicks that stay on the page
            // give up after a moment.
            if let Some(page) = page {
                let _ = page
                    .wait_until()
                    .wait(Duration::from_secs(3), Duration::from_millis(100))
                    .stale()
                    .await;
            }
            Ok(Next::Continue(None))
        }
        Action::WaitFor(selector) | Action::Expect(selector) => {
            let selector = resolve(selector, host, vars).await?;
            element(driver, &selector, timeout).await?;
            Ok(Next::Continue(None))
        }
        Action::ReadText { selector, into } => {
            let selector = resolve(selector, host, vars).await?;
            let text = element(driver, &selector, timeout)
                .await?
                .text()
                .await
                .map_err(|e| HostError::Browser(format!("could not read {selector}: {e}")))?;
            let detail = format!("read {} characters into {{{into}}}", text.chars().count());
            vars.insert(into.clone(), text);
            Ok(Next::Continue(Some(detail)))
        }
        Action::ReadQr { selector, into } => {
            let selector = resolve(selector, host, vars).await?;
            let png = element(driver, &selector, timeout)
                .await?
                .screenshot_as_png()
                .await
                .map_err(|e| {
                    HostError::Browser(format!("could not take a picture of {selector}: {e}"))
                })?;
            let text = tokio::task::spawn_blocking(move || orthrus_otp::qr::decode_qr(&png))
                .await
                .map_err(|e| HostError::Page(format!("decoding the QR code stopped: {e}")))?
                .map_err(|e| {
                    HostError::Page(format!("no QR code could be read in {selector}: {e}"))
                })?;
            // The content is a secret (a TOTP key): only its name is logged.
            vars.insert(into.clone(), text);
            Ok(Next::Continue(Some(format!(
                "decoded a QR code into {{{into}}}"
            ))))
        }
        Action::Ask { prompt, shot, into } => {
            let prompt = resolve(prompt, host, vars).await?;
            let png = match shot {
                Some(s) => {
                    let s = resolve(s, host, vars).await?;
                    element(driver, &s, timeout)
                        .await?
                        .screenshot_as_png()
                        .await
                        .map_err(|e| {
                            HostError::Browser(format!("could not take a picture of {s}: {e}"))
                        })?
                }
                None => driver.screenshot_as_png().await.map_err(|e| {
                    HostError::Browser(format!("could not take a picture of the page: {e}"))
                })?,
            };
            let answer = host.ask(&prompt, Some(png)).await?;
            vars.insert(into.clone(), answer);
            Ok(Next::Continue(Some(format!(
                "a person answered into {{{into}}}"
            ))))
        }
        Action::Branch(cases) => branch(driver, cases, timeout, host, vars).await,
        Action::Call { hook, arg } => {
            let value = match arg {
                Some(a) => Some(resolve(a, host, vars).await?),
                None => None,
            };
            host.call(hook, value.as_deref()).await?;
            Ok(Next::Continue(arg.as_ref().map(|a| format!("with {a}"))))
        }
        Action::Run(_) => Err(HostError::Recipe("a nested flow cannot run here".into())),
        Action::Goto(label) => Ok(Next::Goto(label.clone())),
        Action::Fail(m) => Ok(Next::End(FlowEnd::Failed(m.clone()))),
        Action::Pause(m) => Ok(Next::End(FlowEnd::Paused(m.clone()))),
        Action::End => Ok(Next::End(FlowEnd::Done)),
    }
}

/// Waits until one of the cases' elements shows (the first in order wins
/// when several do) and does what it says.
async fn branch(
    driver: &WebDriver,
    cases: &[Case],
    timeout: Duration,
    host: &dyn Host,
    vars: &HashMap<String, String>,
) -> Result<Next, HostError> {
    let mut selectors = Vec::new();
    for c in cases {
        selectors.push(resolve(&c.selector, host, vars).await?);
    }
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        for (c, sel) in cases.iter().zip(&selectors) {
            let found = driver
                .find_all(by(sel))
                .await
                .map(|v| !v.is_empty())
                .unwrap_or(false);
            if found {
                return Ok(match &c.then {
                    Then::Goto(l) => Next::Goto(l.clone()),
                    Then::Fail(m) => Next::End(FlowEnd::Failed(m.clone())),
                    Then::Pause(m) => Next::End(FlowEnd::Paused(m.clone())),
                    Then::Defer(m) => {
                        let page = match driver.find(By::Tag("body")).await {
                            Ok(b) => b.text().await.unwrap_or_default(),
                            Err(_) => String::new(),
                        };
                        Next::End(FlowEnd::Deferred(m.clone(), stated_wait(&page)))
                    }
                    Then::End => Next::End(FlowEnd::Done),
                });
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(HostError::Timeout(format!(
                "the page showed none of {} within {} s",
                selectors.join(", "),
                timeout.as_secs()
            )));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The wait a page states, in seconds: "try again in 3 days", "in 72 hours".
pub fn stated_wait(text: &str) -> Option<u64> {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .collect();
    words.windows(3).find_map(|w| {
        if w[0] != "in" {
            return None;
        }
        let n: u64 = w[1].parse().ok()?;
        let unit = match w[2].trim_end_matches('s') {
            "minute" => 60,
            "hour" => 3600,
            "day" => 86_400,
            _ => return None,
        };
        Some(n.saturating_mul(unit))
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    #[test]
    fn selectors_that_name_what_a_person_sees() {
        use super::xpath_of;
        assert_eq!(xpath_of("#home"), None);
        assert_eq!(xpath_of("input[name=username]"), None);
        let x = xpath_of("button= Log in ").unwrap();
        assert!(x.contains("normalize-space(.)='Log in'"), "{x}");
        let x = xpath_of("text=You can't access").unwrap();
        assert!(x.contains("\"You can't access\""), "{x}");
        assert_eq!(super::xpath_literal("a'b\"c"), "concat('a', \"'\", 'b\"c')");
        let x = xpath_of("field=Security code").unwrap();
        assert!(x.contains("@aria-label"), "{x}");
    }

    #[test]
    fn stated_waits() {
        assert_eq!(
            super::stated_wait("Try again in 72 hours."),
            Some(72 * 3600)
        );
        assert_eq!(super::stated_wait("come back in 3 days"), Some(3 * 86_400));
        assert_eq!(super::stated_wait("in a few days"), None);
        assert_eq!(super::stated_wait(""), None);
    }
}

/// A page URL as the log keeps it: without query and fragment, which may
/// carry tokens (confirmation links, magic links).
fn loggable(url: &str) -> String {
    url.split(['?', '#']).next().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod url_tests {
    #[test]
    fn tokens_do_not_reach_the_log() {
        assert_eq!(
            super::loggable("https://a.test/confirm?token=abc#x"),
            "https://a.test/confirm"
        );
        assert_eq!(super::loggable("https://a.test/p"), "https://a.test/p");
    }
}
