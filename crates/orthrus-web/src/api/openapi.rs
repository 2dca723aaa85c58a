//! The OpenAPI 3.1 document, generated from the handlers' annotations.
//! The paths come from the router itself (utoipa-axum's `routes!`, in each
//! API module's `routes()`), so a route cannot be served undocumented or
//! documented unserved; [`ApiDoc`] adds only the title, the schemas no
//! operation names and the Bearer scheme.
//!
//! The annotations say what each operation does and answers when it works,
//! and the errors peculiar to it. [`document`] then adds the errors every
//! operation of a kind can answer (a bad query or body, no sign-in, a
//! permission refused, an unknown id, an internal error), each with the one
//! error body, so an annotation cannot forget them.

use crate::WebState;
use crate::error::ErrorBody;
use axum::Json;
use serde_json::{Value, json};
use std::sync::OnceLock;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(title = "Orthrus API", description = "Share app accounts without sharing passwords or phones. Errors are `{\"error\": {\"code\", \"message\", \"request_id\"}}`."),
    // Schemas that only query parameters name are not collected on their own.
    components(schemas(ErrorBody, names::AuditFormat, names::Scope, names::Purpose, names::Channel, names::CodeUse)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub(crate) fn routes() -> OpenApiRouter<WebState> {
    OpenApiRouter::new().routes(routes!(spec))
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "health", operation_id = "openapi",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", content_type = "application/json", body = Object)))]
async fn spec() -> Json<Value> {
    static DOC: OnceLock<Value> = OnceLock::new();
    Json(DOC.get_or_init(document).clone())
}

/// Closed sets of values the API takes as strings, for the document only:
/// the handlers parse the strings and answer a bad one with its own code.
/// Each mirrors a real type (the web crate's, `orthrus-app`'s, `orthrus-core`'s
/// or `orthrus-otp`'s, which do not depend on utoipa); core's words with an
/// `ALL` are listed from it (`core_words!`), the others are written out, and
/// `mirrored_sets_are_the_sets_the_server_reads` holds every set to its type.
#[allow(dead_code)]
pub(crate) mod names {
    use utoipa::ToSchema;

    /// Who signs in.
    #[derive(ToSchema)]
    #[schema(rename_all = "lowercase")]
    pub(crate) enum ClientName {
        Extension,
        Cli,
        Api,
    }

    /// Which accounts a list shows.
    #[derive(ToSchema)]
    #[schema(rename_all = "lowercase")]
    pub(crate) enum Scope {
        Mine,
        All,
    }

    /// Why a password is read (audited as such).
    #[derive(ToSchema)]
    #[schema(rename_all = "lowercase")]
    pub(crate) enum Purpose {
        Reveal,
        Copy,
    }

    /// A set spelled by a core word type itself (its `ALL` and `as_str`),
    /// so the document cannot list other words than the server reads.
    macro_rules! core_words {
        ($name:ident, $words:ty, $doc:literal) => {
            #[doc = $doc]
            pub(crate) struct $name;

            impl utoipa::PartialSchema for $name {
                fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                    let words = <$words>::ALL.map(<$words>::as_str);
                    utoipa::openapi::ObjectBuilder::new()
                        .schema_type(utoipa::openapi::schema::Type::String)
                        .description(Some($doc))
                        .enum_values(Some(words))
                        .into()
                }
            }

            impl ToSchema for $name {}
        };
    }

    core_words!(Channel, orthrus_core::Channel, "How a message came in.");
    core_words!(
        CodeUse,
        orthrus_core::CodeUse,
        "How an authenticator code is used (recorded in the ledger)."
    );

    /// An authenticator's HMAC (any case; `SHA-256`, `HmacSHA256` are read too).
    #[derive(ToSchema)]
    #[schema(rename_all = "lowercase")]
    pub(crate) enum Algorithm {
        Sha1,
        Sha256,
        Sha512,
    }

    /// The file format of an audit export.
    #[derive(ToSchema)]
    #[schema(rename_all = "lowercase")]
    pub(crate) enum AuditFormat {
        Csv,
        Jsonl,
    }

    /// What an export of authenticator seeds is.
    #[derive(ToSchema)]
    #[schema(rename_all = "lowercase")]
    pub(crate) enum ExportFormat {
        Age,
        Otpauth,
    }
}

/// Raw bytes: a picture or a file.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub(crate) struct Binary(Vec<u8>);

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// The document as served: the annotations' paths and schemas, with the
/// errors every operation of a kind can answer, and the sets of values
/// `orthrus-app` owns.
pub(crate) fn document() -> Value {
    let mut doc = serde_json::to_value(super::routes().into_openapi()).unwrap_or_else(|e| {
        tracing::error!(error = %e, "the OpenAPI document does not serialize");
        json!({})
    });
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            if !path.starts_with("/api/") {
                continue;
            }
            for method in METHODS {
                if let Some(op) = item.get_mut(method) {
                    add_common_errors(path, op);
                }
            }
        }
    }
    // The automation kinds are `orthrus-app`'s list, not a copy of it.
    if let Some(kind) = doc.pointer_mut("/components/schemas/StartBody/properties/kind") {
        kind["enum"] = json!(orthrus_core::JobKind::ALL);
    }
    doc
}

/// Adds the errors an operation can answer by its shape alone, and gives
/// every error the one error body.
fn add_common_errors(path: &str, op: &mut Value) {
    let params = op["parameters"].as_array().cloned().unwrap_or_default();
    let has_path_params = path.contains('{');
    let has_query = params.iter().any(|p| p["in"] == "query");
    let body = &op["requestBody"]["content"];
    let has_body = body.is_object();
    let json_body = body.get("application/json").is_some();
    let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
        return;
    };
    let mut add = |status: &str, description: &str| {
        responses
            .entry(status)
            .or_insert_with(|| json!({ "description": description }));
    };
    if has_path_params || has_query || has_body {
        add(
            "400",
            "The request does not fit: `request.invalid_query`, `request.invalid_body`, `request.invalid_json`, or a check of the use case (the code says which)",
        );
    }
    if secured {
        add(
            "401",
            "`auth.required`: no Bearer token or session, or one that was revoked or expired",
        );
        add(
            "403",
            "`permission.denied`, `step_up.required` (confirm your identity first), or `auth.2fa_enrollment_required` (the workspace requires two-factor sign-in)",
        );
    }
    if has_path_params {
        add(
            "404",
            "Not found, or not visible to the caller (an id from another workspace answers the same)",
        );
    }
    if has_body {
        add("413", "`request.too_large`: the body is over the limit");
    }
    if json_body {
        add(
            "415",
            "`request.unsupported_media_type`: send the body with `Content-Type: application/json`",
        );
    }
    add(
        "500",
        "`internal`: something went wrong on the server; the message carries only the request id",
    );
    for (status, response) in responses.iter_mut() {
        let is_error = status.starts_with('4') || status.starts_with('5');
        if is_error && response.get("content").is_none() {
            response["content"] = json!({
                "application/json": { "schema": { "$ref": "#/components/schemas/ErrorBody" } }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn operations(doc: &Value) -> Vec<(String, String, Value)> {
        let mut out = Vec::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for m in METHODS {
                if let Some(op) = item.get(m) {
                    out.push((path.clone(), m.to_owned(), op.clone()));
                }
            }
        }
        out
    }

    /// Every `{name}` of a path is a required `in: path` parameter, and
    /// nothing else is: a query parameter declared `in: path` cannot be sent.
    #[test]
    fn path_parameters_are_the_path_templates() {
        let doc = document();
        for (path, method, op) in operations(&doc) {
            let names: BTreeSet<String> = path
                .split('{')
                .skip(1)
                .filter_map(|s| s.split_once('}').map(|(n, _)| n.to_owned()))
                .collect();
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let in_path: BTreeSet<String> = params
                .iter()
                .filter(|p| p["in"] == "path")
                .filter_map(|p| p["name"].as_str().map(str::to_owned))
                .collect();
            assert_eq!(in_path, names, "{method} {path}: path parameters");
            for p in &params {
                if p["in"] == "path" {
                    assert_eq!(p["required"], true, "{method} {path}: {p}");
                }
                assert!(
                    p["in"] == "path" || p["in"] == "query" || p["in"] == "header",
                    "{method} {path}: {p}"
                );
                assert!(
                    !p["schema"]["type"]
                        .as_array()
                        .is_some_and(|t| t.iter().any(|t| t == "null")),
                    "{method} {path}: a parameter cannot be null: {p}"
                );
            }
        }
    }

    #[test]
    fn every_response_has_a_description_and_errors_have_the_error_body() {
        let doc = document();
        for (path, method, op) in operations(&doc) {
            let responses = op["responses"].as_object().cloned().unwrap_or_default();
            assert!(!responses.is_empty(), "{method} {path}: no responses");
            for (status, r) in responses {
                assert!(
                    r["description"]
                        .as_str()
                        .is_some_and(|d| !d.trim().is_empty()),
                    "{method} {path} {status}: no description"
                );
                if path.starts_with("/api/") && (status.starts_with('4') || status.starts_with('5'))
                {
                    assert_eq!(
                        r["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ErrorBody",
                        "{method} {path} {status}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_reference_resolves() {
        fn walk(v: &Value, doc: &Value) {
            match v {
                Value::Object(m) => {
                    if let Some(r) = m.get("$ref").and_then(Value::as_str) {
                        assert!(
                            doc.pointer(r.trim_start_matches('#')).is_some(),
                            "{r} does not resolve"
                        );
                    }
                    m.values().for_each(|v| walk(v, doc));
                }
                Value::Array(a) => a.iter().for_each(|v| walk(v, doc)),
                _ => {}
            }
        }
        let doc = document();
        walk(&doc, &doc);
    }

    #[test]
    fn operation_ids_are_unique() {
        let doc = document();
        let mut seen = BTreeSet::new();
        for (path, method, op) in operations(&doc) {
            let id = op["operationId"].as_str().unwrap_or_default().to_owned();
            assert!(!id.is_empty(), "{method} {path}: no operationId");
            assert!(
                seen.insert(id.clone()),
                "{method} {path}: operationId {id} repeats"
            );
        }
    }

    /// A body sent as raw bytes is described as text or a JSON object, never
    /// as an array of numbers (what `Vec<u8>` turns into).
    #[test]
    fn raw_bodies_are_strings_or_objects() {
        let doc = document();
        for (path, method, op) in operations(&doc) {
            for (ct, c) in op["requestBody"]["content"]
                .as_object()
                .into_iter()
                .flatten()
            {
                let schema = match c["schema"]["$ref"].as_str() {
                    Some(r) => doc
                        .pointer(r.trim_start_matches('#'))
                        .cloned()
                        .unwrap_or_default(),
                    None => c["schema"].clone(),
                };
                let t = &schema["type"];
                assert_ne!(t, "array", "{method} {path} {ct}: {c}");
                if ct != "application/json" {
                    assert!(t == "string" || t == "object", "{method} {path} {ct}: {c}");
                }
            }
        }
        let import =
            &doc["paths"]["/api/v1/authenticator/import"]["post"]["requestBody"]["content"];
        assert_eq!(import["application/json"]["schema"]["type"], "object");
        assert_eq!(import["text/plain"]["schema"]["type"], "string");
    }

    #[test]
    fn errors_every_operation_can_answer_are_documented() {
        let doc = document();
        for (path, method, op) in operations(&doc) {
            if !path.starts_with("/api/") {
                continue;
            }
            let r = &op["responses"];
            assert!(r["500"].is_object(), "{method} {path}");
            if op["security"].as_array().is_some_and(|s| !s.is_empty()) {
                assert!(
                    r["401"].is_object() && r["403"].is_object(),
                    "{method} {path}"
                );
            }
            if path.contains('{') {
                assert!(r["404"].is_object(), "{method} {path}");
            }
            if op["requestBody"].is_object() {
                assert!(
                    r["400"].is_object() && r["413"].is_object(),
                    "{method} {path}"
                );
            }
        }
        // The query parameters the outside review found declared in the path.
        let wait = &doc["paths"]["/api/v1/inbox/wait"]["get"]["parameters"];
        for name in ["account_id", "since", "timeout"] {
            assert!(
                wait.as_array()
                    .into_iter()
                    .flatten()
                    .any(|p| p["name"] == name && p["in"] == "query"),
                "{name}"
            );
        }
    }

    /// The closed sets of values are enums with the values the server takes.
    #[test]
    fn roles_and_kinds_are_enums() {
        use orthrus_core::{AccountRole, WorkspaceRole};
        let doc = document();
        let schemas = &doc["components"]["schemas"];
        assert_eq!(
            sorted(listed(&doc, "WorkspaceRole")),
            sorted(WorkspaceRole::ALL.map(WorkspaceRole::as_str))
        );
        assert_eq!(
            sorted(listed(&doc, "AccountRole")),
            sorted(AccountRole::ALL.map(AccountRole::as_str))
        );
        assert_eq!(
            schemas["StartBody"]["properties"]["kind"]["enum"],
            json!(orthrus_core::JobKind::ALL)
        );
        assert_eq!(
            schemas["NewUserBody"]["properties"]["role"]["$ref"],
            "#/components/schemas/WorkspaceRole"
        );
        assert_eq!(
            schemas["MemberBody"]["properties"]["role"]["$ref"],
            "#/components/schemas/AccountRole"
        );
        let digits = &schemas["EnrollBody"]["properties"]["digits"];
        assert_eq!(
            (&digits["minimum"], &digits["maximum"]),
            (&json!(6), &json!(8))
        );
    }

    /// Every variant of a real enum that has no list of its own: the
    /// `match` has no wildcard, so a new variant stops this test compiling
    /// until it is named here, and then the document is asked for it.
    macro_rules! every {
        ($t:ident: $($v:ident),+ $(,)?) => {{
            let _exhaustive = |v: $t| match v {
                $($t::$v)|+ => {}
            };
            vec![$($t::$v),+]
        }};
    }

    /// The words the document lists for the set `set` of [`names`].
    fn listed(doc: &Value, set: &str) -> Vec<String> {
        let words: Vec<String> = doc["components"]["schemas"][set]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("the document has no set {set}"))
            .iter()
            .filter_map(|w| w.as_str().map(str::to_owned))
            .collect();
        assert!(!words.is_empty(), "{set} lists no words");
        words
    }

    /// The query parameter `name` of an operation.
    fn parameter<'a>(doc: &'a Value, method: &str, path: &str, name: &str) -> &'a Value {
        doc["paths"][path][method]["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["name"] == name && p["in"] == "query")
            .unwrap_or_else(|| panic!("{method} {path} has no query parameter {name}"))
    }

    /// Checks the words the document lists for `set` against the real type
    /// the handlers read them as: each word is taken by `parse` (the real
    /// parser), no two words are one value, and `every` value of the type
    /// has its word (the document lacks none).
    fn agrees<T: Copy + PartialEq + std::fmt::Debug>(
        set: &str,
        words: &[String],
        every: &[T],
        parse: impl Fn(&str) -> Option<T>,
    ) {
        let mut taken: Vec<T> = Vec::new();
        for w in words {
            let v = parse(w).unwrap_or_else(|| panic!("{set}: the server refuses {w:?}"));
            assert!(!taken.contains(&v), "{set}: {w:?} is {v:?} again");
            taken.push(v);
        }
        for v in every {
            assert!(taken.contains(v), "{set}: the document lacks {v:?}");
        }
        assert_eq!(taken.len(), every.len(), "{set}: {words:?}");
    }

    /// Sorted, to compare sets of words.
    fn sorted<S: AsRef<str>>(words: impl IntoIterator<Item = S>) -> Vec<String> {
        let mut v: Vec<String> = words.into_iter().map(|w| w.as_ref().to_owned()).collect();
        v.sort_unstable();
        v
    }

    /// The eight sets [`names`] mirrors for the document are the sets the
    /// server reads: every parameter and property that takes one names its
    /// schema; every word the served document lists for a set is taken by
    /// the parser the handler (or the use case) reads it with; and every
    /// value of the real type has its word. Where the real type spells its
    /// values (`as_str`), the listed words are those spellings, no more.
    /// Where it has no list of its values, [`every!`] names them, checked
    /// complete by the compiler. Aliases a parser also takes (`ndjson`,
    /// `SHA-256`) are not listed, as before.
    #[test]
    fn mirrored_sets_are_the_sets_the_server_reads() {
        use crate::api::accounts::{Purpose, Scope};
        use crate::api::autofill::LoginClient;
        use orthrus_app::{AuditExportFormat, CodeUse, SeedExportFormat};
        use orthrus_core::Channel;
        use orthrus_otp::Algorithm;

        let doc = document();
        let schemas = &doc["components"]["schemas"];
        let places = [
            ("ClientName", &schemas["LoginBody"]["properties"]["client"]),
            ("Scope", parameter(&doc, "get", "/api/v1/accounts", "scope")),
            (
                "Purpose",
                parameter(&doc, "get", "/api/v1/accounts/{id}/password", "purpose"),
            ),
            (
                "Channel",
                parameter(&doc, "get", "/api/v1/inbox", "channel"),
            ),
            (
                "CodeUse",
                parameter(&doc, "get", "/api/v1/accounts/{id}/totp/code", "via"),
            ),
            (
                "CodeUse",
                parameter(&doc, "post", "/api/v1/accounts/{id}/totp/code", "via"),
            ),
            ("CodeUse", &schemas["UsedBody"]["properties"]["via"]),
            (
                "Algorithm",
                &schemas["EnrollBody"]["properties"]["algorithm"],
            ),
            (
                "AuditFormat",
                parameter(&doc, "get", "/api/v1/audit/export", "format"),
            ),
            (
                "ExportFormat",
                &schemas["ExportBody"]["properties"]["format"],
            ),
        ];
        for (set, place) in places {
            let named = format!("\"#/components/schemas/{set}\"");
            assert!(place.to_string().contains(&named), "{set}: {place}");
        }

        // `client` of the sign-in, as its deserializer reads it.
        let words = listed(&doc, "ClientName");
        let every = every!(LoginClient: Extension, Cli, Api);
        agrees("ClientName", &words, &every, |w| {
            crate::api::autofill::login_client(json!(w)).ok().flatten()
        });

        // `scope` and `purpose` of account reads, by their serde.
        let words = listed(&doc, "Scope");
        let every = every!(Scope: Mine, All);
        agrees("Scope", &words, &every, |w| {
            serde_json::from_value::<Scope>(json!(w)).ok()
        });
        let words = listed(&doc, "Purpose");
        let every = every!(Purpose: Reveal, Copy);
        agrees("Purpose", &words, &every, |w| {
            serde_json::from_value::<Purpose>(json!(w)).ok()
        });

        // The inbox's `channel`, as the use case parses it.
        let words = listed(&doc, "Channel");
        agrees("Channel", &words, &Channel::ALL, |w| w.parse().ok());
        assert_eq!(sorted(Channel::ALL.map(Channel::as_str)), sorted(&words));

        // `via` of a code, as `CodeUse` parses it.
        let words = listed(&doc, "CodeUse");
        agrees("CodeUse", &words, &CodeUse::ALL, |w| w.parse().ok());
        assert_eq!(sorted(CodeUse::ALL.map(CodeUse::as_str)), sorted(&words));

        // An enrolment's `algorithm`, as the use case parses it.
        let words = listed(&doc, "Algorithm");
        let every = every!(Algorithm: Sha1, Sha256, Sha512);
        agrees("Algorithm", &words, &every, |w| w.parse().ok());
        assert_eq!(sorted(every.iter().map(Algorithm::as_str)), sorted(&words));

        // The audit export's `format`.
        let words = listed(&doc, "AuditFormat");
        let every = every!(AuditExportFormat: Csv, Jsonl);
        agrees("AuditFormat", &words, &every, |w| {
            AuditExportFormat::parse(w).ok()
        });
        assert_eq!(sorted(every.iter().map(|f| f.extension())), sorted(&words));

        // The seed export's `format`.
        let words = listed(&doc, "ExportFormat");
        let every = every!(SeedExportFormat: Otpauth, Age);
        agrees("ExportFormat", &words, &every, |w| {
            SeedExportFormat::parse(w).ok()
        });
        assert_eq!(sorted(every.iter().map(|f| f.as_str())), sorted(&words));
    }

    /// A field with its own code for a bad value names a property of its
    /// body's schema, and the document gives that property a set of values.
    #[test]
    fn field_codes_name_fields_of_their_bodies() {
        let doc = document();
        for f in crate::api::FIELD_CODES {
            let body = (f.body_name)().rsplit("::").next().unwrap_or_default();
            let schema = &doc["components"]["schemas"][body];
            let property = &schema["properties"][f.field];
            assert!(property.is_object(), "{body} has no field {}", f.field);
            let text = property.to_string();
            assert!(
                text.contains("$ref") || text.contains("enum"),
                "{body}.{} is not a set of values: {text}",
                f.field
            );
        }
    }
}
