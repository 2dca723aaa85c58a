//! SCIM discovery (RFC 7644 §4): what this server supports, its resource
//! types and schemas, readable without the token (it holds nothing about
//! the workspace).

use super::{GROUP_SCHEMA, ListQuery, MAX_COUNT, ScimResult, USER_SCHEMA, base, scim_json};
use crate::WebState;
use crate::error::WebError;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use orthrus_app::AppError;
use serde_json::{Value, json};
use std::collections::HashMap;

pub(super) async fn service_provider_config(State(s): State<WebState>) -> Response {
    scim_json(
        StatusCode::OK,
        &json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "patch": {"supported": true},
            "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": true, "maxResults": MAX_COUNT},
            "changePassword": {"supported": false},
            "sort": {"supported": false},
            "etag": {"supported": false},
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "The workspace's SCIM token, from POST /api/v1/workspace/scim-token",
                "primary": true,
            }],
            "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{}/ServiceProviderConfig", base(&s))},
        }),
    )
}

fn resource_type_json(b: &str, name: &str) -> Option<Value> {
    let (endpoint, schema, description) = match name {
        "User" => ("/Users", USER_SCHEMA, "An Orthrus user of the workspace"),
        "Group" => ("/Groups", GROUP_SCHEMA, "A team of the workspace"),
        _ => return None,
    };
    Some(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": name,
        "name": name,
        "endpoint": endpoint,
        "description": description,
        "schema": schema,
        "schemaExtensions": [],
        "meta": {"resourceType": "ResourceType", "location": format!("{b}/ResourceTypes/{name}")},
    }))
}

pub(super) async fn resource_types(
    State(s): State<WebState>,
    Query(q): Query<HashMap<String, String>>,
) -> ScimResult {
    let b = base(&s);
    let items = ["User", "Group"]
        .iter()
        .filter_map(|n| resource_type_json(&b, n))
        .collect();
    Ok(scim_json(StatusCode::OK, &ListQuery::new(q).page(items)?))
}

pub(super) async fn resource_type(
    State(s): State<WebState>,
    Path(name): Path<String>,
) -> ScimResult {
    let v = resource_type_json(&base(&s), &name).ok_or(WebError(AppError::NotFound(
        orthrus_app::Entity::ResourceType,
    )))?;
    Ok(scim_json(StatusCode::OK, &v))
}

fn attribute(name: &str, kind: &str, required: bool, mutability: &str, uniqueness: &str) -> Value {
    json!({
        "name": name,
        "type": kind,
        "multiValued": false,
        "description": name,
        "required": required,
        "caseExact": false,
        "mutability": mutability,
        "returned": "default",
        "uniqueness": uniqueness,
    })
}

fn complex(name: &str, multi: bool, required: bool, subs: Vec<Value>) -> Value {
    let mut a = attribute(name, "complex", required, "readWrite", "none");
    a["multiValued"] = json!(multi);
    a["subAttributes"] = Value::Array(subs);
    a
}

fn schema_json(b: &str, id: &str) -> Option<Value> {
    let rw = |n: &str| attribute(n, "string", false, "readWrite", "none");
    let (name, attributes) = match id {
        USER_SCHEMA => (
            "User",
            vec![
                attribute("userName", "string", true, "readWrite", "server"),
                complex(
                    "name",
                    false,
                    false,
                    vec![rw("formatted"), rw("familyName"), rw("givenName")],
                ),
                rw("displayName"),
                // Required here: every Orthrus user is active or not, so
                // it cannot be removed. A missing value is true on create
                // and leaves a replace's user as is.
                attribute("active", "boolean", true, "readWrite", "none"),
                // Required here: an Orthrus user needs an email address.
                complex(
                    "emails",
                    true,
                    true,
                    vec![
                        attribute("value", "string", true, "readWrite", "none"),
                        rw("type"),
                        attribute("primary", "boolean", false, "readWrite", "none"),
                    ],
                ),
            ],
        ),
        GROUP_SCHEMA => (
            "Group",
            vec![
                attribute("displayName", "string", true, "readWrite", "server"),
                complex(
                    "members",
                    true,
                    false,
                    vec![attribute("value", "string", false, "immutable", "none"), {
                        let mut r = attribute("$ref", "reference", false, "immutable", "none");
                        r["referenceTypes"] = json!(["User"]);
                        r
                    }],
                ),
            ],
        ),
        _ => return None,
    };
    Some(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": id,
        "name": name,
        "description": format!("{name} of Orthrus"),
        "attributes": attributes,
        "meta": {"resourceType": "Schema", "location": format!("{b}/Schemas/{id}")},
    }))
}

pub(super) async fn schemas(
    State(s): State<WebState>,
    Query(q): Query<HashMap<String, String>>,
) -> ScimResult {
    let b = base(&s);
    let items = [USER_SCHEMA, GROUP_SCHEMA]
        .iter()
        .filter_map(|id| schema_json(&b, id))
        .collect();
    Ok(scim_json(StatusCode::OK, &ListQuery::new(q).page(items)?))
}

pub(super) async fn schema(State(s): State<WebState>, Path(id): Path<String>) -> ScimResult {
    let v = schema_json(&base(&s), &id)
        .ok_or(WebError(AppError::NotFound(orthrus_app::Entity::Schema)))?;
    Ok(scim_json(StatusCode::OK, &v))
}
