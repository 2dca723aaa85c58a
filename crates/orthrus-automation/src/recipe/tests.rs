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
