//! Corpus runner: every case of a JSONL file must extract the expected code
//! and confirmation link. Prints a score per language and channel.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use orthrus_extract::{Extraction, extract_email, extract_sms};
use serde_json::Value;

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Compares codes the way the corpus README says: ignoring spaces, hyphens,
/// case and a `G-`/`FB-` prefix.
fn canon(code: &str) -> String {
    let up: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_uppercase();
    let head = code.trim_start().to_uppercase();
    if head.starts_with("G-") {
        up.strip_prefix('G').unwrap_or(&up).to_owned()
    } else if head.starts_with("FB-") {
        up.strip_prefix("FB").unwrap_or(&up).to_owned()
    } else {
        up
    }
}

struct Outcome {
    id: String,
    group: String,
    ok: bool,
    detail: String,
}

fn run_case(case: &Value) -> Outcome {
    let id = case["id"].as_str().unwrap_or("?").to_owned();
    let channel = case["channel"].as_str().unwrap_or("?");
    // The shared corpus carries no language tag.
    let lang = case["lang"].as_str().unwrap_or("mixed");
    let got: Extraction = match channel {
        "sms" => extract_sms(
            case["from"].as_str().unwrap_or(""),
            case["body"].as_str().unwrap_or(""),
        ),
        _ => extract_email(case["raw"].as_str().unwrap_or("").as_bytes()),
    };
    let expect = &case["expect"];
    let want_code = expect["code"].as_str().map(canon);
    let want_link = expect
        .get("confirm_link")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let got_code = got.code.as_deref().map(canon);
    let code_ok = want_code == got_code;
    let link_ok = want_link == got.confirm_link;
    Outcome {
        id,
        group: format!("{lang}/{channel}"),
        ok: code_ok && link_ok,
        detail: format!(
            "code want {want_code:?} got {got_code:?}; link want {want_link:?} got {:?}",
            got.confirm_link
        ),
    }
}

/// Runs a corpus file and returns (passed, total), printing per-group scores
/// and every failure.
fn run_file(path: &Path, label: &str) -> (usize, usize) {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("corpus {} missing or unreadable: {e}", path.display()));
    let mut groups: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut total = 0;
    let mut passed = 0;
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let case: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{}:{}: bad JSON: {e}", path.display(), n + 1));
        let out = run_case(&case);
        let g = groups.entry(out.group.clone()).or_default();
        g.1 += 1;
        total += 1;
        if out.ok {
            g.0 += 1;
            passed += 1;
        } else {
            failures.push(format!("  FAIL {} [{}]: {}", out.id, out.group, out.detail));
        }
    }
    println!("== {label}: {passed}/{total} passed");
    for (g, (p, t)) in &groups {
        println!(
            "   {g:<12} {p:>3}/{t:<3} {:>5.1}%",
            100.0 * *p as f64 / *t as f64
        );
    }
    for f in &failures {
        println!("{f}");
    }
    (passed, total)
}

#[test]
fn starter_corpus_passes() {
    // The project's starter set, kept in the repository (a clone has no
    // shared/ folder beside it) exactly as it was handed over.
    let path = manifest().join("tests/data/starter.jsonl");
    let (passed, total) = run_file(&path, "starter corpus");
    assert!(total >= 30, "starter corpus unexpectedly small: {total}");
    assert_eq!(passed, total, "starter corpus must pass completely");
}

#[test]
fn own_corpus_passes() {
    let (passed, total) = run_file(&manifest().join("tests/data/cases.jsonl"), "own corpus");
    assert!(
        total >= 170,
        "own corpus must have at least 170 cases, has {total}"
    );
    assert_eq!(passed, total, "own corpus must pass completely");
}

#[test]
fn holdout_generalizes() {
    let path = manifest().join("tests/data/holdout.jsonl");
    let (passed, total) = run_file(&path, "holdout");
    assert!(total >= 25, "holdout too small: {total}");
    let rate = passed as f64 / total as f64;
    assert!(
        rate >= 0.9,
        "holdout score {:.1}% is below 90%",
        rate * 100.0
    );
}
