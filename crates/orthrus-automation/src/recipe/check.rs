//! Checking one step of a recipe: which action it is, its selectors and
//! the `{placeholders}` in its texts.

use super::{Action, Case, RawStep, RecipeError, Step, Then};

pub(super) fn check_step(
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

pub(super) fn targets(a: &Action) -> Vec<&str> {
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
pub(super) fn selectors(a: &Action) -> Vec<&str> {
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
pub(super) enum SelectorError {
    #[error("an empty selector finds nothing")]
    Empty,
    #[error("{0:?} names no words to look for")]
    NoWords(String),
    #[error("unknown selector form `{0}=`: write CSS, or text=WORDS, button=WORDS or field=WORDS")]
    UnknownForm(String),
}

/// A selector is CSS or one of the forms that name what a person sees
/// (`text=`, `button=`, `field=`; see [`crate::engine::by`]).
pub(super) fn check_selector(sel: &str) -> Result<(), SelectorError> {
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
pub(super) fn texts(a: &Action) -> Vec<&str> {
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
