//! The conformance suite's own coverage check (issue 17): every method
//! declared in a `pub trait` of the store's sources (the `Store` trait and
//! its supertraits, whatever files they live in and whatever they are
//! called) is called by some test of this suite, so it runs on both
//! backends. The traits are read from `src/` at test time, so a method
//! added without a test fails here, naming it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Methods no conformance test can call, each with the reason. Keep it
/// short: anything a store answers can be asserted on.
const NOT_CALLED: &[(&str, &str)] = &[];

/// Every `.rs` file under `dir`, recursively, in a stable order.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The code of a Rust source with comments removed and the contents of
/// string and character literals blanked, so that braces, `fn` and calls
/// in docs, comments or strings count for nothing.
fn code_only(src: &str) -> String {
    let s: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        let next = s.get(i + 1).copied();
        let prev_ident = i > 0 && is_ident(s[i - 1]);
        if c == '/' && next == Some('/') {
            while i < s.len() && s[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < s.len() {
                if s[i] == '/' && s.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if s[i] == '*' && s.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if !prev_ident && (c == 'r' || (c == 'b' && next == Some('r'))) && {
            let j = if c == 'b' { i + 2 } else { i + 1 };
            let mut k = j;
            while s.get(k) == Some(&'#') {
                k += 1;
            }
            s.get(k) == Some(&'"')
        } {
            // A raw string: r"…", r#"…"#, br"…".
            let mut j = if c == 'b' { i + 2 } else { i + 1 };
            let mut hashes = 0;
            while s[j] == '#' {
                hashes += 1;
                j += 1;
            }
            j += 1;
            loop {
                if j >= s.len() {
                    break;
                }
                if s[j] == '"' && (1..=hashes).all(|h| s.get(j + h) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < s.len() && s[i] != '"' {
                if s[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && (next == Some('\\') || s.get(i + 2) == Some(&'\'')) {
            // A character literal ('x', '\n', '\u{..}'); a lifetime has no
            // closing quote and is kept as it is.
            i += 1;
            if s.get(i) == Some(&'\\') {
                i += 1;
            }
            i += 1;
            while i < s.len() && s[i] != '\'' {
                i += 1;
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The methods declared in each `pub trait` block of `code` (comments and
/// strings already removed): (trait, method). Only `fn`s at the trait's
/// own level count, not ones inside default bodies.
fn trait_methods(code: &str) -> Vec<(String, String)> {
    let text = code;
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(pos) = text[from..].find("pub trait ") {
        let start = from + pos;
        from = start + "pub trait ".len();
        if text[..start].chars().next_back().is_some_and(is_ident) {
            continue;
        }
        let name: String = text[from..]
            .trim_start()
            .chars()
            .take_while(|c| is_ident(*c))
            .collect();
        let Some(open) = text[from..].find('{').map(|o| from + o) else {
            continue;
        };
        let mut depth = 0;
        let mut end = open;
        for (k, ch) in text[open..].char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + k;
                        break;
                    }
                }
                _ => {}
            }
        }
        let body = &text[open + 1..end];
        let mut level = 0;
        let mut word = String::new();
        let mut last_word = String::new();
        for ch in body.chars().chain(std::iter::once(' ')) {
            if is_ident(ch) {
                word.push(ch);
                continue;
            }
            if !word.is_empty() {
                if level == 0 && last_word == "fn" {
                    out.push((name.clone(), word.clone()));
                }
                last_word = std::mem::take(&mut word);
            }
            match ch {
                '{' => level += 1,
                '}' => level -= 1,
                _ => {}
            }
        }
        from = end;
    }
    out
}

#[test]
fn every_store_method_is_called_by_a_conformance_test() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut methods: BTreeMap<String, String> = BTreeMap::new();
    let mut traits = std::collections::BTreeSet::new();
    for file in rust_files(&root.join("src")) {
        let code = code_only(&std::fs::read_to_string(&file).unwrap());
        for (t, m) in trait_methods(&code) {
            traits.insert(t.clone());
            methods.entry(m).or_insert(t);
        }
    }
    // A reader that found (almost) nothing would pass vacuously.
    assert!(
        traits.len() >= 2 && methods.len() >= 100,
        "only {} methods in {traits:?}: is the trait reader broken?",
        methods.len()
    );

    let this = Path::new(file!()).file_name().unwrap();
    let mut tests = String::new();
    for file in rust_files(&root.join("tests/it")) {
        if file.file_name() != Some(this) {
            tests.push_str(&code_only(&std::fs::read_to_string(&file).unwrap()));
            tests.push('\n');
        }
    }
    let called = |m: &str| tests.contains(&format!(".{m}("));

    let allowed: BTreeMap<&str, &str> = NOT_CALLED.iter().copied().collect();
    let mut problems = Vec::new();
    for (m, t) in &methods {
        if !called(m) && !allowed.contains_key(m.as_str()) {
            problems.push(format!("{t}::{m} is called by no test in tests/it"));
        }
    }
    for (m, why) in &allowed {
        if !methods.contains_key(*m) {
            problems.push(format!(
                "NOT_CALLED lists {m} ({why}), which no trait declares"
            ));
        } else if called(m) {
            problems.push(format!(
                "NOT_CALLED lists {m} ({why}), but a test calls it now"
            ));
        }
    }
    let covered = methods.keys().filter(|m| called(m)).count();
    eprintln!(
        "store methods: {} found in {} traits ({}), {covered} called by tests, {} allowed uncalled",
        methods.len(),
        traits.len(),
        traits.iter().cloned().collect::<Vec<_>>().join(", "),
        allowed.len()
    );
    assert!(
        problems.is_empty(),
        "{} of {} store methods are not covered:\n  {}",
        problems.len(),
        methods.len(),
        problems.join("\n  ")
    );
}

#[test]
fn the_reader_skips_comments_strings_and_default_bodies() {
    let src = r##"
        /// pub trait Doc { fn not_this(); }
        pub trait Shown: Send {
            /// Says {braces} in a doc; fn ghost() too.
            async fn first(&self, s: &str) -> Result<()>;
            fn second<'a>(&'a self) -> char { let _ = '{'; let _ = "}"; fn inner() {} 'x' }
            /* fn hidden(); */
            fn third(&self) -> &'static str { r#"fn raw() { "# }
        }
        trait Private { fn private(); }
        pub trait Later { fn fourth(); }
    "##;
    let names: Vec<(String, String)> = trait_methods(&code_only(src));
    let names: Vec<(&str, &str)> = names
        .iter()
        .map(|(t, m)| (t.as_str(), m.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("Shown", "first"),
            ("Shown", "second"),
            ("Shown", "third"),
            ("Later", "fourth")
        ]
    );
    assert_eq!(code_only("a.b(\"x.c(\") // .d("), "a.b(\"\") ");
}
