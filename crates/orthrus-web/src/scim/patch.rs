//! The pure parts of SCIM 2.0 (RFC 7644) the `/scim/v2` handlers need:
//! list filters (`userName eq "…"`), attribute paths, applying a PatchOp
//! to a resource's JSON, and `attributes` / `excludedAttributes`.
//! Attribute names are case-insensitive, as RFC 7643 §2.1 says.

use serde_json::{Map, Value};

/// Why a filter, path or patch cannot be applied, with its SCIM `scimType`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ScimProblem {
    pub scim_type: &'static str,
    pub detail: String,
}

fn problem(scim_type: &'static str, detail: impl Into<String>) -> ScimProblem {
    ScimProblem {
        scim_type,
        detail: detail.into(),
    }
}

const URN_PREFIXES: [&str; 2] = [
    "urn:ietf:params:scim:schemas:core:2.0:User:",
    "urn:ietf:params:scim:schemas:core:2.0:Group:",
];

/// Strips a core schema URN from an attribute name.
fn strip_urn(s: &str) -> &str {
    for p in URN_PREFIXES {
        if s.len() >= p.len() && s[..p.len()].eq_ignore_ascii_case(p) {
            return &s[p.len()..];
        }
    }
    s
}

/// `attr eq "value"`: the attribute (lower-cased) and the value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct EqFilter {
    pub attr: String,
    pub value: Value,
}

/// Parses `attr eq value` (value a quoted string, true, false, null or a
/// number); the only filter form this server answers.
pub(crate) fn parse_eq_filter(f: &str) -> Result<EqFilter, ScimProblem> {
    let f = f.trim();
    let bad = || {
        problem(
            "invalidFilter",
            format!("unsupported filter {f:?}: use attribute eq \"value\""),
        )
    };
    let (attr, rest) = f.split_once(char::is_whitespace).ok_or_else(bad)?;
    let rest = rest.trim_start();
    let (op, value) = rest.split_once(char::is_whitespace).ok_or_else(bad)?;
    if !op.eq_ignore_ascii_case("eq") {
        return Err(bad());
    }
    let value: Value = serde_json::from_str(value.trim()).map_err(|_| bad())?;
    if value.is_array() || value.is_object() {
        return Err(bad());
    }
    let attr = strip_urn(attr);
    if attr.is_empty()
        || !attr
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '$')
    {
        return Err(bad());
    }
    Ok(EqFilter {
        attr: attr.to_ascii_lowercase(),
        value,
    })
}

/// A PATCH path: `attr`, `attr.sub`, `attr[filter]` or `attr[filter].sub`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct AttrPath {
    pub attr: String,
    pub filter: Option<EqFilter>,
    pub sub: Option<String>,
}

pub(crate) fn parse_path(p: &str) -> Result<AttrPath, ScimProblem> {
    let p = strip_urn(p.trim());
    let bad = || problem("invalidPath", format!("unsupported path {p:?}"));
    let (head, filter, tail) = match p.split_once('[') {
        Some((head, rest)) => {
            let (inner, tail) = rest.split_once(']').ok_or_else(bad)?;
            (head, Some(parse_eq_filter(inner).map_err(|_| bad())?), tail)
        }
        None => (p, None, ""),
    };
    let (attr, sub) = match (filter.is_some(), head.split_once('.')) {
        (false, Some((a, s))) => (a, Some(s.to_owned())),
        _ => (head, None),
    };
    let sub = match tail.strip_prefix('.') {
        Some(s) if !s.is_empty() => Some(s.to_owned()),
        None if tail.is_empty() => sub,
        _ => return Err(bad()),
    };
    let ok = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '$');
    if !ok(attr) || sub.as_deref().is_some_and(|s| !ok(s)) {
        return Err(bad());
    }
    Ok(AttrPath {
        attr: attr.to_owned(),
        filter,
        sub,
    })
}

/// The key of `obj` that names `name` case-insensitively, if any.
fn key_of(obj: &Map<String, Value>, name: &str) -> Option<String> {
    obj.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned()
}

/// Sets `name` in `obj`, keeping the spelling of an existing key.
fn set(obj: &mut Map<String, Value>, name: &str, v: Value) {
    let k = key_of(obj, name).unwrap_or_else(|| name.to_owned());
    obj.insert(k, v);
}

fn remove(obj: &mut Map<String, Value>, name: &str) {
    if let Some(k) = key_of(obj, name) {
        obj.remove(&k);
    }
}

fn get<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    key_of(obj, name).and_then(|k| obj.get(&k))
}

fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        // Entra ID sends booleans as "True" / "False".
        (Value::String(x), Value::Bool(y)) | (Value::Bool(y), Value::String(x)) => {
            x.eq_ignore_ascii_case(if *y { "true" } else { "false" })
        }
        _ => a == b,
    }
}

fn element_matches(e: &Value, f: &EqFilter) -> bool {
    e.as_object()
        .and_then(|o| get(o, &f.attr))
        .is_some_and(|v| values_equal(v, &f.value))
}

/// The identity of an element of a multi-valued attribute (its `value`).
fn same_element(a: &Value, b: &Value) -> bool {
    match (a.as_object(), b.as_object()) {
        (Some(x), Some(y)) => match (get(x, "value"), get(y, "value")) {
            (Some(p), Some(q)) => p == q,
            _ => a == b,
        },
        _ => a == b,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Add,
    Replace,
    Remove,
}

/// Whether a path names an attribute of a schema extension (Entra ID's
/// default mappings send the enterprise extension's `department`,
/// `employeeNumber`, `manager`): this server keeps none, and ignores them
/// rather than refusing the whole PATCH.
fn is_extension(path: &str) -> bool {
    let rest = strip_urn(path.trim());
    rest.len() >= 4 && rest[..4].eq_ignore_ascii_case("urn:")
}

/// Applies a PatchOp's `Operations` to a resource (a JSON object).
pub(crate) fn apply_patch(resource: &mut Value, body: &Value) -> Result<(), ScimProblem> {
    let schemas_ok = body["schemas"].as_array().is_some_and(|s| {
        s.iter()
            .any(|x| x.as_str() == Some("urn:ietf:params:scim:api:messages:2.0:PatchOp"))
    });
    if !schemas_ok {
        return Err(problem(
            "invalidSyntax",
            "a PATCH body is a PatchOp (schemas: urn:ietf:params:scim:api:messages:2.0:PatchOp)",
        ));
    }
    let ops = get(
        body.as_object()
            .ok_or_else(|| problem("invalidSyntax", "not an object"))?,
        "Operations",
    )
    .and_then(Value::as_array)
    .ok_or_else(|| problem("invalidSyntax", "Operations must be a list"))?;
    for o in ops {
        let o = o
            .as_object()
            .ok_or_else(|| problem("invalidSyntax", "each operation is an object"))?;
        let op = match get(o, "op")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("add") => Op::Add,
            Some("replace") => Op::Replace,
            Some("remove") => Op::Remove,
            _ => {
                return Err(problem(
                    "invalidSyntax",
                    "op must be add, replace or remove",
                ));
            }
        };
        let value = get(o, "value").cloned();
        let obj = resource
            .as_object_mut()
            .ok_or_else(|| problem("invalidSyntax", "the resource is not an object"))?;
        match get(o, "path")
            .and_then(Value::as_str)
            .filter(|p| !p.trim().is_empty())
        {
            Some(p) if is_extension(p) => {}
            Some(p) => apply_at(obj, op, &parse_path(p)?, value)?,
            None => {
                if op == Op::Remove {
                    return Err(problem("noTarget", "remove needs a path"));
                }
                let Some(Value::Object(fields)) = value else {
                    return Err(problem(
                        "invalidValue",
                        "an operation without a path takes an object value",
                    ));
                };
                for (k, v) in fields {
                    if is_extension(&k) {
                        continue;
                    }
                    let path = parse_path(&k)?;
                    // A complex value without a path merges into the attribute.
                    match (&path, v) {
                        (
                            AttrPath {
                                filter: None,
                                sub: None,
                                attr,
                            },
                            Value::Object(sub),
                        ) if get(obj, attr).is_some_and(Value::is_object) => {
                            for (sk, sv) in sub {
                                apply_at(
                                    obj,
                                    op,
                                    &AttrPath {
                                        attr: attr.clone(),
                                        filter: None,
                                        sub: Some(sk),
                                    },
                                    Some(sv),
                                )?;
                            }
                        }
                        (_, v) => apply_at(obj, op, &path, Some(v))?,
                    }
                }
            }
        }
    }
    Ok(())
}

fn apply_at(
    obj: &mut Map<String, Value>,
    op: Op,
    path: &AttrPath,
    value: Option<Value>,
) -> Result<(), ScimProblem> {
    let need_value = || {
        problem(
            "invalidValue",
            format!("{op:?} on {:?} needs a value", path.attr),
        )
    };
    match (&path.filter, &path.sub) {
        (None, None) => match op {
            Op::Remove => match (value, get(obj, &path.attr).cloned()) {
                // `remove members` with a value removes those values only.
                (Some(Value::Array(gone)), Some(Value::Array(have))) => {
                    let kept: Vec<Value> = have
                        .into_iter()
                        .filter(|e| !gone.iter().any(|g| same_element(e, g)))
                        .collect();
                    set(obj, &path.attr, Value::Array(kept));
                }
                _ => remove(obj, &path.attr),
            },
            Op::Add => {
                let v = value.ok_or_else(need_value)?;
                match (get(obj, &path.attr).cloned(), v) {
                    (Some(Value::Array(mut have)), Value::Array(new)) => {
                        for n in new {
                            if !have.iter().any(|e| same_element(e, &n)) {
                                have.push(n);
                            }
                        }
                        set(obj, &path.attr, Value::Array(have));
                    }
                    (Some(Value::Object(mut have)), Value::Object(new)) => {
                        for (k, v) in new {
                            set(&mut have, &k, v);
                        }
                        set(obj, &path.attr, Value::Object(have));
                    }
                    (_, v) => set(obj, &path.attr, v),
                }
            }
            Op::Replace => set(obj, &path.attr, value.ok_or_else(need_value)?),
        },
        (None, Some(sub)) => {
            let mut inner = match get(obj, &path.attr) {
                Some(Value::Object(o)) => o.clone(),
                Some(Value::Null) | None => Map::new(),
                Some(_) => {
                    return Err(problem(
                        "invalidPath",
                        format!("{} has no sub-attributes", path.attr),
                    ));
                }
            };
            match op {
                Op::Remove => remove(&mut inner, sub),
                _ => set(&mut inner, sub, value.ok_or_else(need_value)?),
            }
            if inner.is_empty() {
                remove(obj, &path.attr);
            } else {
                set(obj, &path.attr, Value::Object(inner));
            }
        }
        (Some(f), sub) => {
            let mut items = match get(obj, &path.attr) {
                Some(Value::Array(a)) => a.clone(),
                Some(Value::Null) | None => Vec::new(),
                Some(_) => {
                    return Err(problem(
                        "invalidPath",
                        format!("{} is not multi-valued", path.attr),
                    ));
                }
            };
            let matched = items.iter().any(|e| element_matches(e, f));
            match (op, sub) {
                (Op::Remove, None) => items.retain(|e| !element_matches(e, f)),
                (Op::Remove, Some(s)) => {
                    for e in items.iter_mut().filter(|e| element_matches(e, f)) {
                        if let Some(o) = e.as_object_mut() {
                            remove(o, s);
                        }
                    }
                }
                (_, Some(s)) => {
                    let v = value.ok_or_else(need_value)?;
                    if matched {
                        for e in items.iter_mut().filter(|e| element_matches(e, f)) {
                            if let Some(o) = e.as_object_mut() {
                                set(o, s, v.clone());
                            }
                        }
                    } else {
                        // Entra ID adds `emails[type eq "work"].value` to a
                        // user with no work email: a new element.
                        let mut o = Map::new();
                        o.insert(f.attr.clone(), f.value.clone());
                        o.insert(s.clone(), v);
                        items.push(Value::Object(o));
                    }
                }
                (_, None) => {
                    let v = value.ok_or_else(need_value)?;
                    if !matched {
                        return Err(problem(
                            "noTarget",
                            format!("no value of {} matches the filter", path.attr),
                        ));
                    }
                    for e in items.iter_mut().filter(|e| element_matches(e, f)) {
                        match (e.as_object_mut(), &v) {
                            (Some(o), Value::Object(new)) => {
                                for (k, x) in new {
                                    set(o, k, x.clone());
                                }
                            }
                            _ => *e = v.clone(),
                        }
                    }
                }
            }
            set(obj, &path.attr, Value::Array(items));
        }
    }
    Ok(())
}

/// Keeps only the attributes asked for (`attributes`), or drops the ones
/// excluded (`excludedAttributes`); `schemas` and `id` always stay.
pub(crate) fn project(resource: &mut Value, attributes: Option<&str>, excluded: Option<&str>) {
    let list = |s: &str| -> Vec<(String, Option<String>)> {
        s.split(',')
            .map(|a| strip_urn(a.trim()).to_owned())
            .filter(|a| !a.is_empty())
            .map(|a| match a.split_once('.') {
                Some((x, y)) => (x.to_owned(), Some(y.to_owned())),
                None => (a, None),
            })
            .collect()
    };
    let Some(obj) = resource.as_object_mut() else {
        return;
    };
    if let Some(attrs) = attributes.filter(|a| !a.trim().is_empty()) {
        let wanted = list(attrs);
        let keys: Vec<String> = obj.keys().cloned().collect();
        for k in keys {
            if k == "schemas" || k == "id" {
                continue;
            }
            let asked: Vec<&(String, Option<String>)> = wanted
                .iter()
                .filter(|(a, _)| a.eq_ignore_ascii_case(&k))
                .collect();
            if asked.is_empty() {
                obj.remove(&k);
            } else if asked.iter().all(|(_, s)| s.is_some()) {
                let subs: Vec<&str> = asked.iter().filter_map(|(_, s)| s.as_deref()).collect();
                let keep = |o: &mut Map<String, Value>| {
                    o.retain(|sk, _| subs.iter().any(|s| s.eq_ignore_ascii_case(sk)));
                };
                match obj.get_mut(&k) {
                    Some(Value::Object(o)) => keep(o),
                    Some(Value::Array(items)) => {
                        for i in items {
                            if let Some(o) = i.as_object_mut() {
                                keep(o);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    } else if let Some(ex) = excluded {
        for (a, sub) in list(ex) {
            if a.eq_ignore_ascii_case("schemas") || a.eq_ignore_ascii_case("id") {
                continue;
            }
            match sub {
                None => remove(obj, &a),
                Some(s) => {
                    if let Some(k) = key_of(obj, &a) {
                        match obj.get_mut(&k) {
                            Some(Value::Object(o)) => remove(o, &s),
                            Some(Value::Array(items)) => {
                                for i in items {
                                    if let Some(o) = i.as_object_mut() {
                                        remove(o, &s);
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patch(ops: Value) -> Value {
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
    }

    #[test]
    fn filters_of_the_eq_form_parse() {
        let f = parse_eq_filter(r#"userName eq "Kathy@Acme.test""#).unwrap();
        assert_eq!(f.attr, "username");
        assert_eq!(f.value, json!("Kathy@Acme.test"));
        let f =
            parse_eq_filter(r#"urn:ietf:params:scim:schemas:core:2.0:User:externalId EQ "a b""#)
                .unwrap();
        assert_eq!((f.attr.as_str(), f.value), ("externalid", json!("a b")));
        for bad in [
            "userName",
            r#"userName co "x""#,
            r#"userName eq x"#,
            r#"a[b eq "c"] eq "d""#,
            "",
        ] {
            assert_eq!(
                parse_eq_filter(bad).unwrap_err().scim_type,
                "invalidFilter",
                "{bad}"
            );
        }
    }

    #[test]
    fn paths_parse() {
        let p = parse_path(r#"members[value eq "u1"]"#).unwrap();
        assert_eq!(p.attr, "members");
        assert_eq!(p.filter.unwrap().value, json!("u1"));
        let p = parse_path(r#"emails[type eq "work"].value"#).unwrap();
        assert_eq!(p.sub.as_deref(), Some("value"));
        let p = parse_path("name.givenName").unwrap();
        assert_eq!(
            (p.attr.as_str(), p.sub.as_deref()),
            ("name", Some("givenName"))
        );
        assert!(parse_path("name..x").is_err());
        assert!(parse_path(r#"emails[type eq "work"]x"#).is_err());
    }

    #[test]
    fn entra_deprovisions_with_a_pathless_replace() {
        let mut u = json!({"userName": "k@acme.test", "active": true});
        apply_patch(
            &mut u,
            &patch(json!([{"op": "Replace", "value": {"active": false}}])),
        )
        .unwrap();
        assert_eq!(u["active"], json!(false));
        // Entra ID also sends the value as a string, with a path.
        let mut u = json!({"active": true});
        apply_patch(
            &mut u,
            &patch(json!([{"op": "replace", "path": "active", "value": "False"}])),
        )
        .unwrap();
        assert_eq!(u["active"], json!("False"));
    }

    #[test]
    fn members_are_added_and_removed() {
        let mut g = json!({"displayName": "Agency"});
        apply_patch(&mut g, &patch(json!([{"op": "add", "path": "members", "value": [{"value": "u1"}, {"value": "u2"}]}]))).unwrap();
        apply_patch(
            &mut g,
            &patch(json!([{"op": "add", "path": "members", "value": [{"value": "u2"}]}])),
        )
        .unwrap();
        assert_eq!(g["members"], json!([{"value": "u1"}, {"value": "u2"}]));
        apply_patch(
            &mut g,
            &patch(json!([{"op": "remove", "path": "members[value eq \"u1\"]"}])),
        )
        .unwrap();
        assert_eq!(g["members"], json!([{"value": "u2"}]));
        apply_patch(
            &mut g,
            &patch(json!([{"op": "remove", "path": "members", "value": [{"value": "u2"}]}])),
        )
        .unwrap();
        assert_eq!(g["members"], json!([]));
        apply_patch(
            &mut g,
            &patch(json!([{"op": "replace", "path": "displayName", "value": "Agency 2"}])),
        )
        .unwrap();
        assert_eq!(g["displayName"], json!("Agency 2"));
    }

    #[test]
    fn filtered_sub_attributes_are_set_or_created() {
        let mut u = json!({"emails": [{"type": "home", "value": "h@x.test"}]});
        apply_patch(&mut u, &patch(json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "w@x.test"}]))).unwrap();
        assert_eq!(u["emails"][1], json!({"type": "work", "value": "w@x.test"}));
        apply_patch(&mut u, &patch(json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "w2@x.test"}]))).unwrap();
        assert_eq!(u["emails"][1]["value"], json!("w2@x.test"));
        apply_patch(
            &mut u,
            &patch(json!([{"op": "add", "path": "name.givenName", "value": "Kathy"}])),
        )
        .unwrap();
        apply_patch(&mut u, &patch(json!([{"op": "replace", "value": {"name.familyName": "Smith", "NAME": {"formatted": "K S"}}}]))).unwrap();
        assert_eq!(
            u["name"],
            json!({"givenName": "Kathy", "familyName": "Smith", "formatted": "K S"})
        );
        apply_patch(&mut u, &patch(json!([{"op": "remove", "path": "name"}]))).unwrap();
        assert!(u.get("name").is_none());
    }

    #[test]
    fn extension_attributes_are_ignored() {
        let mut u = json!({"userName": "k@acme.test"});
        let ext = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        apply_patch(
            &mut u,
            &patch(json!([
                {"op": "Add", "path": format!("{ext}:department"), "value": "Sales"},
                {"op": "Replace", "value": {ext: {"employeeNumber": "7"}, "displayName": "Kathy"}},
            ])),
        )
        .unwrap();
        assert_eq!(
            u,
            json!({"userName": "k@acme.test", "displayName": "Kathy"})
        );
    }

    #[test]
    fn bad_patches_say_why() {
        let mut u = json!({});
        assert_eq!(
            apply_patch(&mut u, &json!({"Operations": []}))
                .unwrap_err()
                .scim_type,
            "invalidSyntax"
        );
        assert_eq!(
            apply_patch(&mut u, &patch(json!([{"op": "remove"}])))
                .unwrap_err()
                .scim_type,
            "noTarget"
        );
        assert_eq!(
            apply_patch(&mut u, &patch(json!([{"op": "move", "path": "a"}])))
                .unwrap_err()
                .scim_type,
            "invalidSyntax"
        );
        assert_eq!(
            apply_patch(&mut u, &patch(json!([{"op": "add", "path": "a[["}])))
                .unwrap_err()
                .scim_type,
            "invalidPath"
        );
    }

    #[test]
    fn attributes_are_projected() {
        let base = json!({"schemas": ["s"], "id": "1", "userName": "u", "name": {"givenName": "g", "familyName": "f"}, "active": true});
        let mut r = base.clone();
        project(&mut r, Some("userName,name.givenName"), None);
        assert_eq!(
            r,
            json!({"schemas": ["s"], "id": "1", "userName": "u", "name": {"givenName": "g"}})
        );
        let mut r = base.clone();
        project(&mut r, None, Some("active,name.familyName,id"));
        assert_eq!(
            r,
            json!({"schemas": ["s"], "id": "1", "userName": "u", "name": {"givenName": "g"}})
        );
    }
}
