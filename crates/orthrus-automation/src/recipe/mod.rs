//! Recipes: an app's flows written as data (TOML), so that supporting a new
//! app or a changed page means editing a file, not the engine.
//!
//! ```toml
//! app = "sandbox"
//!
//! [flows.login]
//! steps = [
//!   { open = "{login_url}" },
//!   { fill = "#username", with = "{username}" },
//!   { click = "#login-submit" },
//!   { label = "after", branch = [
//!       { when = "#home", goto = "done" },
//!       { when = "#error", fail = "the app refused the password" },
//!   ] },
//!   { label = "done", expect = "#home" },
//! ]
//! ```
//!
//! Each step does one thing: `open` a URL, `fill` a field `with` a value,
//! `click`, `wait_for` an element, `expect` one (fail if it never shows),
//! `read_text` of an element `into` a variable, `read_qr` (decode the QR
//! code an element shows `into` a variable), `ask` a person (a CAPTCHA:
//! the job waits with a screenshot of `shot` until someone answers in the
//! automation log; the answer goes `into` a variable), `branch` on the first of
//! several elements that shows (then `goto` a label, `fail`, `pause` for a
//! person or `end`), `goto`, `fail`, `pause` or `end`. Values may hold
//! `{placeholders}`, filled by the host when the step runs (the password,
//! the current TOTP code, a code waited for in the shared inbox, …).
//! Selectors are CSS. Mistakes are reported with line and column.
//!
//! A recipe also says who the app's codes and links come from:
//! `sending_domains` (the app's mail domains; required when a flow reads
//! the shared inbox), optionally `link_domains` (where confirmation links
//! may point; default: the sending domains and the login URL's registrable
//! domain) and `sms_senders` (the numbers or short codes it texts from).
//! Automations use nothing else ([`orthrus_app::AppSenders`]).

use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use toml::Spanned;

mod check;
#[cfg(test)]
mod tests;

pub(crate) use check::placeholders_in;
use check::{check_selector, check_step, selectors, targets, texts};

/// A parsed, checked recipe.
#[derive(Clone, Debug)]
pub struct Recipe {
    pub app: String,
    pub flows: HashMap<String, Flow>,
    /// Whose codes and links the app's flows may use.
    pub senders: orthrus_app::AppSenders,
}

/// One flow (e.g. `login`): its steps in order.
#[derive(Clone, Debug)]
pub struct Flow {
    pub steps: Vec<Step>,
}

/// One step, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub label: Option<String>,
    /// What the automation log calls it.
    pub name: String,
    pub action: Action,
    /// Seconds to wait for elements (default 15).
    pub timeout_secs: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Open(String),
    Fill {
        selector: String,
        value: String,
    },
    Click(String),
    WaitFor(String),
    Expect(String),
    ReadText {
        selector: String,
        into: String,
    },
    /// Decodes the QR code an element shows (a screenshot of it) `into` a
    /// variable: for set-up pages that show no key.
    ReadQr {
        selector: String,
        into: String,
    },
    /// Asks a person (a CAPTCHA) and waits: the job shows `prompt` and a
    /// screenshot of `shot` (else of the page); the answer goes `into` a
    /// variable.
    Ask {
        prompt: String,
        shot: Option<String>,
        into: String,
    },
    Branch(Vec<Case>),
    Goto(String),
    Fail(String),
    Pause(String),
    End,
    /// A Rust hook of the host (`enroll_totp`, …) with an optional value.
    Call {
        hook: String,
        arg: Option<String>,
    },
    /// Another flow of the same recipe, inline (`run = "login"`).
    Run(String),
}

/// One arm of a branch: when `selector` shows, do `then`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    pub selector: String,
    pub then: Then,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Then {
    Goto(String),
    Fail(String),
    Pause(String),
    End,
    /// Try again later: after the wait the page states, else a day.
    Defer(String),
}

/// A mistake in a recipe, with where it is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct RecipeError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecipe {
    app: String,
    #[serde(default)]
    sending_domains: Vec<Spanned<String>>,
    #[serde(default)]
    link_domains: Vec<Spanned<String>>,
    #[serde(default)]
    sms_senders: Vec<Spanned<String>>,
    flows: HashMap<String, RawFlow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFlow {
    steps: Vec<Spanned<RawStep>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawStep {
    label: Option<String>,
    name: Option<String>,
    timeout: Option<u64>,
    open: Option<String>,
    fill: Option<String>,
    with: Option<String>,
    click: Option<String>,
    wait_for: Option<String>,
    expect: Option<String>,
    read_text: Option<String>,
    read_qr: Option<String>,
    ask: Option<String>,
    shot: Option<String>,
    into: Option<String>,
    branch: Option<Vec<Spanned<RawCase>>>,
    call: Option<String>,
    run: Option<String>,
    goto: Option<String>,
    fail: Option<String>,
    pause: Option<String>,
    end: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    when: String,
    goto: Option<String>,
    fail: Option<String>,
    pause: Option<String>,
    defer: Option<String>,
    end: Option<bool>,
}

/// Line and column (1-based) of a byte offset.
fn position(src: &str, offset: usize) -> (usize, usize) {
    let before = &src[..offset.min(src.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

impl Recipe {
    /// Parses and checks a recipe; `file` names it in errors.
    /// `placeholders` are the names the host can fill (plus variables set
    /// by `read_text`).
    pub fn parse(file: &str, src: &str, placeholders: &[&str]) -> Result<Self, RecipeError> {
        Self::parse_with_hooks(file, src, placeholders, &[])
    }

    /// Like [`Recipe::parse`], with the names of the host's hooks that
    /// `call` steps may use.
    pub fn parse_with_hooks(
        file: &str,
        src: &str,
        placeholders: &[&str],
        hooks: &[&str],
    ) -> Result<Self, RecipeError> {
        let err = |offset: usize, message: String| {
            let (line, column) = position(src, offset);
            RecipeError {
                file: file.to_owned(),
                line,
                column,
                message,
            }
        };
        let raw: RawRecipe = toml::from_str(src).map_err(|e| {
            let at = e.span().map_or(0, |s| s.start);
            err(at, e.message().trim().to_owned())
        })?;
        let checked = |list: Vec<Spanned<String>>,
                       check: fn(&str) -> Result<String, orthrus_app::SenderRuleError>|
         -> Result<Vec<String>, RecipeError> {
            list.into_iter()
                .map(|v| check(v.get_ref()).map_err(|m| err(v.span().start, m.to_string())))
                .collect()
        };
        let senders = orthrus_app::AppSenders {
            sending_domains: checked(raw.sending_domains, orthrus_app::check_app_domain)?,
            link_domains: checked(raw.link_domains, orthrus_app::check_app_domain)?,
            sms_senders: checked(raw.sms_senders, orthrus_app::check_sms_sender)?,
        };
        let mut flows = HashMap::new();
        let flow_names: HashSet<String> = raw.flows.keys().cloned().collect();
        for (name, raw_flow) in raw.flows {
            let mut steps = Vec::new();
            let mut labels = HashSet::new();
            let mut spans = Vec::new();
            let mut vars: HashSet<String> = placeholders.iter().map(|s| (*s).to_owned()).collect();
            for spanned in raw_flow.steps {
                let at = spanned.span().start;
                let step = check_step(spanned.into_inner(), at, &err)?;
                match &step.action {
                    Action::Call { hook, .. } if !hooks.contains(&hook.as_str()) => {
                        return Err(err(
                            at,
                            format!("unknown hook {hook:?}: use one of {}", hooks.join(", ")),
                        ));
                    }
                    Action::Run(f) if *f == name || !flow_names.contains(f) => {
                        return Err(err(
                            at,
                            format!("`run = {f:?}`: no other flow of this recipe has that name"),
                        ));
                    }
                    _ => {}
                }
                if let Some(l) = &step.label
                    && !labels.insert(l.clone())
                {
                    return Err(err(
                        at,
                        format!("label {l:?} is used twice in flow {name:?}"),
                    ));
                }
                if let Action::ReadText { into, .. }
                | Action::ReadQr { into, .. }
                | Action::Ask { into, .. } = &step.action
                {
                    vars.insert(into.clone());
                }
                spans.push(at);
                steps.push(step);
            }
            if steps.is_empty() {
                return Err(err(0, format!("flow {name:?} has no steps")));
            }
            for (step, at) in steps.iter().zip(&spans) {
                for target in targets(&step.action) {
                    if !labels.contains(target) {
                        return Err(err(
                            *at,
                            format!("no step is labelled {target:?} in flow {name:?}"),
                        ));
                    }
                }
                for sel in selectors(&step.action) {
                    check_selector(sel).map_err(|m| err(*at, m.to_string()))?;
                }
                for text in texts(&step.action) {
                    for p in placeholders_in(text).map_err(|m| err(*at, m))? {
                        if matches!(p, "inbox_code" | "inbox_link")
                            && senders.sending_domains.is_empty()
                            && senders.sms_senders.is_empty()
                        {
                            return Err(err(
                                *at,
                                format!(
                                    "{{{p}}} reads the shared inbox: declare the app's `sending_domains` \
                                     (or `sms_senders`) at the top, automations use only the app's own messages"
                                ),
                            ));
                        }
                        if !vars.contains(p) {
                            return Err(err(
                                *at,
                                format!("unknown placeholder {{{p}}}: use one of {}", {
                                    let mut v: Vec<_> = vars.iter().cloned().collect();
                                    v.sort();
                                    v.join(", ")
                                }),
                            ));
                        }
                    }
                }
            }
            flows.insert(name, Flow { steps });
        }
        Ok(Self {
            app: raw.app,
            flows,
            senders,
        })
    }
}
