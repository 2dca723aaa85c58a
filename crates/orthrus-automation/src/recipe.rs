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

fn check_step(
    r: RawStep,
    at: usize,
    err: &dyn Fn(usize, String) -> RecipeError,
) -> Result<Step, RecipeError> {
    let mut actions = Vec::new();
    let mut name_hint = String::new();
    if let Some(u) = r.open {
        name_hint = format!("open {u}");
        actions.push(Action::Open(u));
    }
    if let Some(h) = r.call {
        name_hint = format!("call {h}");
        actions.push(Action::Call {
            hook: h,
            arg: r.with.clone(),
        });
    }
    if let Some(f) = r.run {
        name_hint = format!("run {f}");
        actions.push(Action::Run(f));
    }
    if let Some(s) = r.fill {
        let Some(value) = r.with.clone() else {
            return Err(err(
                at,
                format!("`fill = {s:?}` needs `with`: the value to type"),
            ));
        };
        name_hint = format!("fill {s}");
        actions.push(Action::Fill { selector: s, value });
    } else if r.with.is_some() && !matches!(actions.first(), Some(Action::Call { .. })) {
        return Err(err(at, "`with` belongs to a `fill` or `call` step".into()));
    }
    if let Some(s) = r.click {
        name_hint = format!("click {s}");
        actions.push(Action::Click(s));
    }
    if let Some(s) = r.wait_for {
        name_hint = format!("wait for {s}");
        actions.push(Action::WaitFor(s));
    }
    if let Some(s) = r.expect {
        name_hint = format!("expect {s}");
        actions.push(Action::Expect(s));
    }
    if let Some(s) = r.read_text {
        let Some(into) = r.into.clone() else {
            return Err(err(
                at,
                format!("`read_text = {s:?}` needs `into`: a variable name"),
            ));
        };
        name_hint = format!("read {s}");
        actions.push(Action::ReadText { selector: s, into });
    }
    if let Some(s) = r.read_qr {
        let Some(into) = r.into.clone() else {
            return Err(err(
                at,
                format!("`read_qr = {s:?}` needs `into`: a variable name"),
            ));
        };
        name_hint = format!("read the QR code {s}");
        actions.push(Action::ReadQr { selector: s, into });
    }
    if let Some(prompt) = r.ask {
        let Some(into) = r.into.clone() else {
            return Err(err(
                at,
                "`ask` needs `into`: the variable for the person's answer".into(),
            ));
        };
        // The prompt is shown to people and audited: no values in it.
        if !placeholders_in(&prompt).map_err(|m| err(at, m))?.is_empty() {
            return Err(err(
                at,
                "an `ask` prompt is shown and audited: it cannot hold {placeholders}".into(),
            ));
        }
        name_hint = "ask a person".into();
        actions.push(Action::Ask {
            prompt,
            shot: r.shot.clone(),
            into,
        });
    } else if r.shot.is_some() {
        return Err(err(at, "`shot` belongs to an `ask` step".into()));
    }
    if r.into.is_some()
        && !matches!(
            actions.last(),
            Some(Action::ReadText { .. } | Action::ReadQr { .. } | Action::Ask { .. })
        )
    {
        return Err(err(
            at,
            "`into` belongs to a `read_text`, `read_qr` or `ask` step".into(),
        ));
    }
    if let Some(cases) = r.branch {
        if cases.is_empty() {
            return Err(err(at, "`branch` needs at least one case".into()));
        }
        let mut out = Vec::new();
        for c in cases {
            let cat = c.span().start;
            let c = c.into_inner();
            let mut thens = Vec::new();
            if let Some(g) = c.goto {
                thens.push(Then::Goto(g));
            }
            if let Some(f) = c.fail {
                thens.push(Then::Fail(f));
            }
            if let Some(p) = c.pause {
                thens.push(Then::Pause(p));
            }
            if let Some(d) = c.defer {
                thens.push(Then::Defer(d));
            }
            if c.end == Some(true) {
                thens.push(Then::End);
            }
            if thens.len() != 1 {
                return Err(err(
                    cat,
                    format!(
                        "the case for {:?} must say exactly one of goto, fail, pause, defer or end",
                        c.when
                    ),
                ));
            }
            out.push(Case {
                selector: c.when,
                then: thens.remove(0),
            });
        }
        name_hint = "see what the page shows".into();
        actions.push(Action::Branch(out));
    }
    if let Some(g) = r.goto {
        name_hint = format!("go to {g}");
        actions.push(Action::Goto(g));
    }
    if let Some(f) = r.fail {
        name_hint = "fail".into();
        actions.push(Action::Fail(f));
    }
    if let Some(p) = r.pause {
        name_hint = "wait for a person".into();
        actions.push(Action::Pause(p));
    }
    if r.end == Some(true) {
        name_hint = "end".into();
        actions.push(Action::End);
    }
    match actions.len() {
        1 => {}
        0 => {
            return Err(err(
                at,
                "a step needs one action: open, fill, click, wait_for, expect, read_text, read_qr, ask, branch, call, run, goto, fail, pause or end".into(),
            ));
        }
        _ => {
            return Err(err(
                at,
                "a step does one thing: split it into several steps".into(),
            ));
        }
    }
    let timeout_secs = r.timeout.unwrap_or(15);
    if !(1..=600).contains(&timeout_secs) {
        return Err(err(at, "timeout is in seconds, 1 to 600".into()));
    }
    Ok(Step {
        label: r.label,
        name: r.name.unwrap_or(name_hint),
        action: actions.remove(0),
        timeout_secs,
    })
}

fn targets(a: &Action) -> Vec<&str> {
    match a {
        Action::Goto(t) => vec![t.as_str()],
        Action::Branch(cases) => cases
            .iter()
            .filter_map(|c| match &c.then {
                Then::Goto(t) => Some(t.as_str()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The selectors of a step.
fn selectors(a: &Action) -> Vec<&str> {
    match a {
        Action::Fill { selector, .. }
        | Action::ReadText { selector, .. }
        | Action::ReadQr { selector, .. } => vec![selector],
        Action::Click(s) | Action::WaitFor(s) | Action::Expect(s) => vec![s],
        Action::Ask { shot, .. } => shot.iter().map(String::as_str).collect(),
        Action::Branch(cases) => cases.iter().map(|c| c.selector.as_str()).collect(),
        _ => Vec::new(),
    }
}

/// Why a step's selector is refused (the words go into the recipe's error).
#[derive(Debug, thiserror::Error)]
enum SelectorError {
    #[error("an empty selector finds nothing")]
    Empty,
    #[error("{0:?} names no words to look for")]
    NoWords(String),
    #[error("unknown selector form `{0}=`: write CSS, or text=WORDS, button=WORDS or field=WORDS")]
    UnknownForm(String),
}

/// A selector is CSS or one of the forms that name what a person sees
/// (`text=`, `button=`, `field=`; see [`crate::engine::by`]).
fn check_selector(sel: &str) -> Result<(), SelectorError> {
    if sel.trim().is_empty() {
        return Err(SelectorError::Empty);
    }
    if let Some((_, words)) = crate::engine::SelectorForm::of(sel) {
        if words.is_empty() {
            return Err(SelectorError::NoWords(sel.to_owned()));
        }
        return Ok(());
    }
    // `buton=Log in` is not CSS either: say which forms exist.
    if let Some((prefix, _)) = sel.split_once('=')
        && !prefix.is_empty()
        && prefix.chars().all(|c| c.is_ascii_alphabetic() || c == '_')
    {
        return Err(SelectorError::UnknownForm(prefix.to_owned()));
    }
    Ok(())
}

/// The texts of a step that may hold placeholders.
fn texts(a: &Action) -> Vec<&str> {
    match a {
        Action::Open(u) => vec![u],
        Action::Fill { selector, value } => vec![selector, value],
        Action::Click(s) | Action::WaitFor(s) | Action::Expect(s) => vec![s],
        Action::ReadText { selector, .. } | Action::ReadQr { selector, .. } => vec![selector],
        Action::Ask { prompt, shot, .. } => {
            let mut v = vec![prompt.as_str()];
            v.extend(shot.as_deref());
            v
        }
        Action::Branch(cases) => cases.iter().map(|c| c.selector.as_str()).collect(),
        Action::Call { arg: Some(a), .. } => vec![a],
        _ => Vec::new(),
    }
}

/// The `{names}` in a text (`{{` and `}}` are literal braces).
pub(crate) fn placeholders_in(text: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(['{', '}']) {
        let (c, after) = (rest.as_bytes()[i], &rest[i + 1..]);
        if after.starts_with(char::from(c)) {
            rest = &after[1..];
            continue;
        }
        if c == b'}' {
            return Err(format!(
                "unmatched '}}' in {text:?} (write }}}} for a brace)"
            ));
        }
        let Some(end) = after.find('}') else {
            return Err(format!("unclosed '{{' in {text:?}"));
        };
        let name = &after[..end];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("{{{name}}} is not a placeholder name"));
        }
        out.push(name);
        rest = &after[end + 1..];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: &[&str] = &["login_url", "username", "password"];

    fn parse(src: &str) -> Result<Recipe, RecipeError> {
        Recipe::parse("r.toml", src, NAMES)
    }

    #[test]
    fn a_recipe_parses_into_steps() {
        let r = parse(
            "app = \"x\"\n[flows.login]\nsteps = [\n  { open = \"{login_url}\" },\n  { fill = \"#u\", with = \"{username}\", name = \"type the username\" },\n  { label = \"b\", branch = [ { when = \"#home\", end = true }, { when = \"#e\", fail = \"no\" } ] },\n]\n",
        )
        .unwrap();
        let steps = &r.flows["login"].steps;
        assert_eq!(steps.len(), 3);
        assert_eq!(steps[1].name, "type the username");
        assert_eq!(
            steps[2].action,
            Action::Branch(vec![
                Case {
                    selector: "#home".into(),
                    then: Then::End
                },
                Case {
                    selector: "#e".into(),
                    then: Then::Fail("no".into())
                },
            ])
        );
    }

    #[test]
    fn mistakes_are_reported_with_line_and_column() {
        let cases = [
            // (source, line, column, words in the message)
            (
                "app = \"x\"\n[flows.a]\nsteps = [\n  { click = \"#a\", fill = \"#b\", with = \"v\" },\n]\n",
                4,
                3,
                "does one thing",
            ),
            (
                "app = \"x\"\n[flows.a]\nsteps = [\n  { fill = \"#b\" },\n]\n",
                4,
                3,
                "needs `with`",
            ),
            (
                "app = \"x\"\n[flows.a]\nsteps = [\n  { goto = \"nowhere\" },\n]\n",
                4,
                3,
                "no step is labelled \"nowhere\"",
            ),
            (
                "app = \"x\"\n[flows.a]\nsteps = [\n  { click = \"#a\" },\n  { open = \"{secret_sauce}\" },\n]\n",
                5,
                3,
                "unknown placeholder {secret_sauce}",
            ),
            (
                "app = \"x\"\n[flows.a]\nsteps = [\n  { clack = \"#a\" },\n]\n",
                4,
                5,
                "unknown field `clack`",
            ),
            (
                "app = \"x\"\n[flows.a]\nsteps = [\n  { branch = [ { when = \"#a\" } ] },\n]\n",
                4,
                16,
                "exactly one of goto",
            ),
            (
                "app = \"x\"\n[flows.a]\nsteps = [\n  { open = \"{login_url\" },\n]\n",
                4,
                3,
                "unclosed",
            ),
            (
                "app = \"x\"\n[flows.a]\nsteps = [\n  { label = \"a\", click = \"#a\" },\n  { label = \"a\", end = true },\n]\n",
                5,
                3,
                "used twice",
            ),
            (
                "app = \"x\"\n[flows.a]\nsteps = [\n  { click = \"#a\" \n",
                4,
                17,
                "",
            ),
            (
                "app = \"x\"\n[flows.a]\nsteps = [\n  { call = \"launch_rockets\" },\n]\n",
                4,
                3,
                "unknown hook",
            ),
            (
                "app = \"x\"\n[flows.a]\nsteps = [\n  { run = \"b\" },\n]\n",
                4,
                3,
                "no other flow",
            ),
            (
                "app = \"x\"\n[flows.a]\nsteps = [\n  { run = \"a\" },\n]\n",
                4,
                3,
                "no other flow",
            ),
            (
                "app = \"x\"\n[flows.a]\nsteps = [\n  { ask = \"say {password}\", into = \"w\" },\n]\n",
                4,
                3,
                "cannot hold {placeholders}",
            ),
            (
                "app = \"x\"\n[flows.a]\nsteps = [\n  { ask = \"read it\" },\n]\n",
                4,
                3,
                "needs `into`",
            ),
            (
                "app = \"x\"\n[flows.a]\nsteps = [\n  { click = \"#a\", shot = \"#b\" },\n]\n",
                4,
                3,
                "`shot` belongs to an `ask` step",
            ),
            (
                "app = \"x\"\n[flows.a]\nsteps = [\n  { click = \"buton=Log in\" },\n]\n",
                4,
                3,
                "unknown selector form `buton=`",
            ),
            (
                "app = \"x\"\n[flows.a]\nsteps = [\n  { branch = [ { when = \"text= \", end = true } ] },\n]\n",
                4,
                3,
                "names no words",
            ),
            (
                "app = \"x\"\n[flows.a]\nsteps = [\n  { click = \"#a\", into = \"b\" },\n]\n",
                4,
                3,
                "`into` belongs to",
            ),
        ];
        for (src, line, column, words) in cases {
            let e = parse(src).unwrap_err();
            assert_eq!((e.line, e.column), (line, column), "{e}");
            assert!(e.message.contains(words), "{e}");
            assert!(
                e.to_string()
                    .starts_with(&format!("r.toml:{line}:{column}: "))
            );
        }
    }

    #[test]
    fn placeholders_and_literal_braces() {
        assert_eq!(placeholders_in("{a}-{b_2}").unwrap(), vec!["a", "b_2"]);
        assert!(placeholders_in("{{not}} {{one}}").unwrap().is_empty());
        assert!(placeholders_in("a } b").is_err());
        assert!(placeholders_in("{a b}").is_err());
    }

    #[test]
    fn the_apps_senders_are_declared_and_checked() {
        let names = &["login_url", "inbox_code", "inbox_link"];
        let flow = "[flows.a]\nsteps = [\n  { open = \"{inbox_link}\" },\n]\n";
        let r = Recipe::parse(
            "r.toml",
            &format!(
                "app = \"x\"\nsending_domains = [\"Mail.Example.com\"]\nsms_senders = [\"+1 415 555 0123\", \"32665\"]\n{flow}"
            ),
            names,
        )
        .unwrap();
        assert_eq!(r.senders.sending_domains, vec!["mail.example.com"]);
        assert_eq!(r.senders.sms_senders, vec!["+14155550123", "32665"]);
        assert!(r.senders.link_domains.is_empty());
        let cases = [
            // Reading the inbox without saying whose messages count.
            (
                format!("app = \"x\"\n{flow}"),
                4,
                3,
                "declare the app's `sending_domains`",
            ),
            (
                format!("app = \"x\"\nsending_domains = [\"co.uk\"]\n{flow}"),
                2,
                20,
                "public suffix",
            ),
            (
                format!(
                    "app = \"x\"\nsending_domains = [\"a.com\"]\nlink_domains = [\"https://a.com/\"]\n{flow}"
                ),
                3,
                17,
                "not a domain",
            ),
            (
                format!("app = \"x\"\nsms_senders = [\"a@b\"]\n{flow}"),
                2,
                16,
                "not a sender number",
            ),
        ];
        for (src, line, column, words) in cases {
            let e = Recipe::parse("r.toml", &src, names).unwrap_err();
            assert_eq!((e.line, e.column), (line, column), "{e}");
            assert!(e.message.contains(words), "{e}");
        }
    }

    #[test]
    fn read_text_defines_a_variable_for_later_steps() {
        let r = parse(
            "app = \"x\"\n[flows.a]\nsteps = [\n  { read_text = \"#k\", into = \"key\" },\n  { fill = \"#c\", with = \"{key}\" },\n]\n",
        );
        assert!(r.is_ok(), "{r:?}");
    }
}
