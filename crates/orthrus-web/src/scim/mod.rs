//! SCIM 2.0 (RFC 7643, RFC 7644) under `/scim/v2`, for a directory (Entra
//! ID, Okta, …) that provisions the workspace's people and groups. The
//! caller is the workspace's SCIM token (`Authorization: Bearer orscim_…`,
//! created by `POST /api/v1/workspace/scim-token`). Users are Orthrus users,
//! Groups are teams; the use cases are `orthrus-app`'s (`scim.rs`,
//! `teams.rs`). Bodies are `application/scim+json`; errors are SCIM Error
//! bodies, rendered by [`error_response`] from the one error road
//! (`error::finish`). Not in the OpenAPI document: a different protocol.

mod discovery;
mod patch;

use crate::WebState;
use crate::error::WebError;
use crate::extract::{ClientInfo, PathEntity, PathId, bearer, entity};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use discovery::{resource_type, resource_types, schema, schemas, service_provider_config};
use orthrus_app::{
    AppError, ScimClient, ScimFilterAttr, ScimGroup, ScimGroupInput, ScimUser, ScimUserInput,
};
use orthrus_app::{ConflictCode, InvalidCode};
use orthrus_core::{EventId, UserId};
use patch::{ScimProblem, apply_patch, parse_eq_filter, project};
use serde_json::{Value, json};
use std::collections::HashMap;

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const CONTENT_TYPE: &str = "application/scim+json";
/// The most resources one list page holds.
const MAX_COUNT: usize = 500;

pub(crate) fn routes() -> Router<WebState> {
    Router::new()
        .route(
            "/scim/v2/ServiceProviderConfig",
            get(service_provider_config),
        )
        .route("/scim/v2/ResourceTypes", get(resource_types))
        .route("/scim/v2/ResourceTypes/{name}", get(resource_type))
        .route("/scim/v2/Schemas", get(schemas))
        .route("/scim/v2/Schemas/{id}", get(schema))
        .route(
            "/scim/v2/Users",
            get(list_users).post(create_resource::<Users>),
        )
        .route("/scim/v2/Users/.search", post(search_users))
        .route("/scim/v2/Groups/.search", post(search_groups))
        .route("/scim/v2/.search", post(search_all))
        .route(
            "/scim/v2/Users/{id}",
            get(get_resource::<Users>)
                .put(replace_resource::<Users>)
                .patch(patch_resource::<Users>)
                .delete(delete_resource::<Users>),
        )
        .route(
            "/scim/v2/Groups",
            get(list_groups).post(create_resource::<Groups>),
        )
        .route(
            "/scim/v2/Groups/{id}",
            get(get_resource::<Groups>)
                .put(replace_resource::<Groups>)
                .patch(patch_resource::<Groups>)
                .delete(delete_resource::<Groups>),
        )
}

pub(crate) fn is_scim(path: &str) -> bool {
    path.starts_with("/scim/")
}

/// The SCIM `scimType` of an error, if it has one.
pub(crate) fn scim_type(e: &AppError) -> Option<&'static str> {
    let code = match e {
        AppError::Conflict {
            code: ConflictCode::ScimUniqueness,
            ..
        } => return Some("uniqueness"),
        AppError::Invalid { code, .. } => code,
        _ => return None,
    };
    Some(match code {
        InvalidCode::ScimInvalidValue => "invalidValue",
        InvalidCode::ScimInvalidFilter => "invalidFilter",
        InvalidCode::ScimInvalidPath => "invalidPath",
        InvalidCode::ScimNoTarget => "noTarget",
        // A privileged user, managed in Orthrus: their current state
        // takes no change from the directory.
        InvalidCode::ScimManagedInOrthrus => "mutability",
        InvalidCode::ScimInvalidSyntax
        | InvalidCode::RequestInvalidJson
        | InvalidCode::RequestInvalidBody => "invalidSyntax",
        _ => return None,
    })
}

/// A SCIM Error body for an error the `finish` middleware renders, with its
/// `scimType` if it has one.
pub(crate) fn error_response(
    status: StatusCode,
    scim_type: Option<&str>,
    message: &str,
) -> Response {
    let mut body = json!({
        "schemas": [ERROR_SCHEMA],
        "status": status.as_u16().to_string(),
        "detail": message,
    });
    if let Some(t) = scim_type {
        body["scimType"] = json!(t);
    }
    let mut r = scim_json(status, &body);
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"scim\""),
        );
    }
    r
}

fn scim_json(status: StatusCode, body: &Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    r
}

fn problem(p: ScimProblem) -> WebError {
    let code = match p.scim_type {
        "invalidFilter" => InvalidCode::ScimInvalidFilter,
        "invalidPath" => InvalidCode::ScimInvalidPath,
        "noTarget" => InvalidCode::ScimNoTarget,
        "invalidValue" => InvalidCode::ScimInvalidValue,
        _ => InvalidCode::ScimInvalidSyntax,
    };
    WebError(AppError::invalid(code, p.detail))
}

fn invalid(code: InvalidCode, message: impl Into<String>) -> WebError {
    WebError(AppError::invalid(code, message))
}

/// The authenticated SCIM client.
pub(crate) struct Scim(ScimClient);

impl FromRequestParts<WebState> for Scim {
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, s: &WebState) -> Result<Self, Self::Rejection> {
        let ip = ClientInfo::from_request_parts(parts, s).await?.ip;
        let token = bearer(&parts.headers).ok_or(WebError(AppError::Unauthenticated))?;
        Ok(Self(s.app.authenticate_scim(&token, &ip).await?))
    }
}

fn base(s: &WebState) -> String {
    format!("{}/scim/v2", s.config.public_url.trim_end_matches('/'))
}

fn body_json(body: &Bytes) -> Result<Value, WebError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        invalid(
            InvalidCode::ScimInvalidSyntax,
            format!("the body is not JSON: {e}"),
        )
    })?;
    if !v.is_object() {
        return Err(invalid(
            InvalidCode::ScimInvalidSyntax,
            "the body must be a JSON object",
        ));
    }
    Ok(v)
}

/// An attribute of a JSON object, by case-insensitive name.
fn attr<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .filter(|v| !v.is_null())
}

fn string_attr(v: &Value, name: &str) -> Result<Option<String>, WebError> {
    match attr(v, name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(
            InvalidCode::ScimInvalidValue,
            format!("{name} must be a string"),
        )),
    }
}

/// A boolean, also as Entra ID sends it ("True" / "False").
fn bool_attr(v: &Value, name: &str) -> Result<Option<bool>, WebError> {
    match attr(v, name) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(_) => Err(invalid(
            InvalidCode::ScimInvalidValue,
            format!("{name} must be true or false"),
        )),
    }
}

fn user_input(v: &Value) -> Result<ScimUserInput, WebError> {
    let name = attr(v, "name").cloned().unwrap_or(Value::Null);
    if !name.is_null() && !name.is_object() {
        return Err(invalid(
            InvalidCode::ScimInvalidValue,
            "name must be an object",
        ));
    }
    let emails = attr(v, "emails").cloned().unwrap_or(Value::Null);
    if !emails.is_null() && !emails.is_array() {
        return Err(invalid(
            InvalidCode::ScimInvalidValue,
            "emails must be a list",
        ));
    }
    Ok(ScimUserInput {
        user_name: string_attr(v, "userName")?
            .ok_or_else(|| invalid(InvalidCode::ScimInvalidValue, "userName is required"))?,
        external_id: string_attr(v, "externalId")?,
        given_name: string_attr(&name, "givenName")?,
        family_name: string_attr(&name, "familyName")?,
        formatted_name: string_attr(&name, "formatted")?,
        display_name: string_attr(v, "displayName")?,
        emails,
        // Missing: true for a new user, unchanged on a replace.
        active: bool_attr(v, "active")?,
    })
}

fn group_input(v: &Value) -> Result<ScimGroupInput, WebError> {
    let members = match attr(v, "members") {
        None => Vec::new(),
        Some(Value::Array(m)) => m
            .iter()
            .map(|x| match attr(x, "value") {
                Some(Value::String(s)) => Ok(s.clone()),
                _ => Err(invalid(
                    InvalidCode::ScimInvalidValue,
                    "each member needs a value (a user id)",
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(invalid(
                InvalidCode::ScimInvalidValue,
                "members must be a list",
            ));
        }
    };
    Ok(ScimGroupInput {
        display_name: string_attr(v, "displayName")?
            .ok_or_else(|| invalid(InvalidCode::ScimInvalidValue, "displayName is required"))?,
        external_id: string_attr(v, "externalId")?,
        members,
    })
}

fn meta(
    base: &str,
    kind: &str,
    id: &str,
    created: orthrus_core::Timestamp,
    modified: orthrus_core::Timestamp,
) -> Value {
    json!({
        "resourceType": kind,
        "created": created.to_rfc3339(),
        "lastModified": modified.to_rfc3339(),
        "location": format!("{base}/{kind}s/{id}"),
    })
}

fn user_json(base: &str, u: &ScimUser) -> Value {
    let mut v = json!({
        "schemas": [USER_SCHEMA],
        "id": u.id,
        "userName": u.user_name,
        "active": u.active,
        "meta": meta(base, "User", &u.id, u.created, u.last_modified),
    });
    let mut name = serde_json::Map::new();
    for (k, x) in [
        ("givenName", &u.given_name),
        ("familyName", &u.family_name),
        ("formatted", &u.formatted_name),
    ] {
        if let Some(x) = x {
            name.insert(k.into(), json!(x));
        }
    }
    if !name.is_empty() {
        v["name"] = Value::Object(name);
    }
    if let Some(x) = &u.external_id {
        v["externalId"] = json!(x);
    }
    if let Some(x) = &u.display_name {
        v["displayName"] = json!(x);
    }
    if u.emails.as_array().is_some_and(|e| !e.is_empty()) {
        v["emails"] = u.emails.clone();
    }
    v
}

fn group_json(base: &str, g: &ScimGroup) -> Value {
    let mut v = json!({
        "schemas": [GROUP_SCHEMA],
        "id": g.id,
        "displayName": g.display_name,
        "meta": meta(base, "Group", &g.id, g.created, g.last_modified),
    });
    if let Some(x) = &g.external_id {
        v["externalId"] = json!(x);
    }
    if !g.members.is_empty() {
        v["members"] = g
            .members
            .iter()
            .map(|(id, _)| json!({"value": id, "$ref": format!("{base}/Users/{id}")}))
            .collect();
    }
    v
}

/// The query of a list or a read, by case-insensitive parameter name.
struct ListQuery(HashMap<String, String>);

impl ListQuery {
    fn new(q: HashMap<String, String>) -> Self {
        Self(
            q.into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect(),
        )
    }
    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
    fn number(&self, name: &str) -> Result<Option<i64>, WebError> {
        self.get(name)
            .map(|v| {
                v.trim().parse::<i64>().map_err(|_| {
                    invalid(
                        InvalidCode::ScimInvalidValue,
                        format!("{name} must be a number"),
                    )
                })
            })
            .transpose()
    }
    fn project(&self, v: &mut Value) {
        project(v, self.get("attributes"), self.get("excludedattributes"));
    }
    /// The filter, mapped to the attributes this server compares.
    fn filter(
        &self,
        allowed: &[(&str, ScimFilterAttr)],
    ) -> Result<Option<(ScimFilterAttr, String)>, WebError> {
        let Some(f) = self.get("filter").filter(|f| !f.trim().is_empty()) else {
            return Ok(None);
        };
        let f = parse_eq_filter(f).map_err(problem)?;
        let a = allowed
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(&f.attr))
            .map(|(_, a)| *a)
            .ok_or_else(|| {
                invalid(
                    InvalidCode::ScimInvalidFilter,
                    format!("filtering on {} is not supported", f.attr),
                )
            })?;
        let value = f
            .value
            .as_str()
            .ok_or_else(|| invalid(InvalidCode::ScimInvalidFilter, "compare with a string"))?;
        Ok(Some((a, value.to_owned())))
    }
    /// One page of a list response (startIndex is 1-based).
    fn page(&self, items: Vec<Value>) -> Result<Value, WebError> {
        let start = self.number("startindex")?.unwrap_or(1).max(1) as usize;
        let count = self
            .number("count")?
            .map_or(100, |c| c.clamp(0, MAX_COUNT as i64) as usize);
        let total = items.len();
        let resources: Vec<Value> = items.into_iter().skip(start - 1).take(count).collect();
        Ok(json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": resources.len(),
            "Resources": resources,
        }))
    }
}

type ScimResult = Result<Response, WebError>;

async fn list_users(
    State(s): State<WebState>,
    Scim(c): Scim,
    Query(q): Query<HashMap<String, String>>,
) -> ScimResult {
    users_page(&s, &c, &ListQuery::new(q)).await
}

/// `POST /Users/.search` (RFC 7644 §3.4.3): the list's parameters in a
/// SearchRequest body.
async fn search_users(State(s): State<WebState>, Scim(c): Scim, body: Bytes) -> ScimResult {
    users_page(&s, &c, &search_query(&body_json(&body)?)?).await
}

async fn search_groups(State(s): State<WebState>, Scim(c): Scim, body: Bytes) -> ScimResult {
    groups_page(&s, &c, &search_query(&body_json(&body)?)?).await
}

/// A search across resource types at once is not offered (RFC 7644 §3.12:
/// 501).
async fn search_all(Scim(_): Scim) -> Response {
    error_response(
        StatusCode::NOT_IMPLEMENTED,
        None,
        "search /Users/.search or /Groups/.search",
    )
}

/// A SearchRequest body as list parameters.
fn search_query(v: &Value) -> Result<ListQuery, WebError> {
    let mut q = HashMap::new();
    for (name, key) in [
        ("attributes", "attributes"),
        ("excludedAttributes", "excludedattributes"),
    ] {
        match attr(v, name) {
            None => {}
            Some(Value::Array(a)) => {
                let names: Vec<&str> = a.iter().filter_map(Value::as_str).collect();
                q.insert(key.to_owned(), names.join(","));
            }
            Some(Value::String(x)) => {
                q.insert(key.to_owned(), x.clone());
            }
            Some(_) => {
                return Err(invalid(
                    InvalidCode::ScimInvalidValue,
                    format!("{name} must be a list"),
                ));
            }
        }
    }
    if let Some(f) = string_attr(v, "filter")? {
        q.insert("filter".into(), f);
    }
    for (name, key) in [("startIndex", "startindex"), ("count", "count")] {
        match attr(v, name) {
            None => {}
            Some(Value::Number(n)) => {
                q.insert(key.to_owned(), n.to_string());
            }
            Some(_) => {
                return Err(invalid(
                    InvalidCode::ScimInvalidValue,
                    format!("{name} must be a number"),
                ));
            }
        }
    }
    Ok(ListQuery(q))
}

async fn users_page(s: &WebState, c: &ScimClient, q: &ListQuery) -> ScimResult {
    let filter = q.filter(&[
        ("userName", ScimFilterAttr::UserName),
        ("externalId", ScimFilterAttr::ExternalId),
        ("displayName", ScimFilterAttr::DisplayName),
        ("id", ScimFilterAttr::Id),
    ])?;
    let b = base(s);
    let items = s
        .app
        .scim_list_users(c)
        .await?
        .iter()
        .filter(|u| filter.as_ref().is_none_or(|(a, v)| u.matches(*a, v)))
        .map(|u| {
            let mut v = user_json(&b, u);
            q.project(&mut v);
            v
        })
        .collect();
    Ok(scim_json(StatusCode::OK, &q.page(items)?))
}

/// A resource type's part in its endpoints (Users, Groups): its JSON both
/// ways and its use cases. The handlers below serve both types alike.
trait ScimResource {
    /// The id a path names, and the entity a malformed one is not found as.
    type Id: Copy + Send;
    type Entity: PathEntity<Id = Self::Id>;
    type Item;
    type Input;
    fn to_json(base: &str, item: &Self::Item) -> Value;
    fn from_json(v: &Value) -> Result<Self::Input, WebError>;
    fn get(
        s: &WebState,
        c: &ScimClient,
        id: Self::Id,
    ) -> impl Future<Output = orthrus_app::Result<Self::Item>> + Send;
    fn create(
        s: &WebState,
        c: &ScimClient,
        input: Self::Input,
    ) -> impl Future<Output = orthrus_app::Result<Self::Item>> + Send;
    fn replace(
        s: &WebState,
        c: &ScimClient,
        id: Self::Id,
        input: Self::Input,
    ) -> impl Future<Output = orthrus_app::Result<Self::Item>> + Send;
    fn delete(
        s: &WebState,
        c: &ScimClient,
        id: Self::Id,
    ) -> impl Future<Output = orthrus_app::Result<()>> + Send;
}

/// `/scim/v2/Users`: Orthrus users.
struct Users;

impl ScimResource for Users {
    type Id = UserId;
    type Entity = entity::User;
    type Item = ScimUser;
    type Input = ScimUserInput;
    fn to_json(base: &str, item: &ScimUser) -> Value {
        user_json(base, item)
    }
    fn from_json(v: &Value) -> Result<ScimUserInput, WebError> {
        user_input(v)
    }
    fn get(
        s: &WebState,
        c: &ScimClient,
        id: Self::Id,
    ) -> impl Future<Output = orthrus_app::Result<ScimUser>> + Send {
        s.app.scim_get_user(c, id)
    }
    fn create(
        s: &WebState,
        c: &ScimClient,
        input: ScimUserInput,
    ) -> impl Future<Output = orthrus_app::Result<ScimUser>> + Send {
        s.app.scim_create_user(c, input)
    }
    fn replace(
        s: &WebState,
        c: &ScimClient,
        id: Self::Id,
        input: ScimUserInput,
    ) -> impl Future<Output = orthrus_app::Result<ScimUser>> + Send {
        s.app.scim_replace_user(c, id, input)
    }
    fn delete(
        s: &WebState,
        c: &ScimClient,
        id: Self::Id,
    ) -> impl Future<Output = orthrus_app::Result<()>> + Send {
        s.app.scim_delete_user(c, id)
    }
}

/// `/scim/v2/Groups`: teams.
struct Groups;

impl ScimResource for Groups {
    type Id = EventId;
    type Entity = entity::Team;
    type Item = ScimGroup;
    type Input = ScimGroupInput;
    fn to_json(base: &str, item: &ScimGroup) -> Value {
        group_json(base, item)
    }
    fn from_json(v: &Value) -> Result<ScimGroupInput, WebError> {
        group_input(v)
    }
    fn get(
        s: &WebState,
        c: &ScimClient,
        id: Self::Id,
    ) -> impl Future<Output = orthrus_app::Result<ScimGroup>> + Send {
        s.app.scim_get_group(c, id)
    }
    fn create(
        s: &WebState,
        c: &ScimClient,
        input: ScimGroupInput,
    ) -> impl Future<Output = orthrus_app::Result<ScimGroup>> + Send {
        s.app.scim_create_group(c, input)
    }
    fn replace(
        s: &WebState,
        c: &ScimClient,
        id: Self::Id,
        input: ScimGroupInput,
    ) -> impl Future<Output = orthrus_app::Result<ScimGroup>> + Send {
        s.app.scim_replace_group(c, id, input)
    }
    fn delete(
        s: &WebState,
        c: &ScimClient,
        id: Self::Id,
    ) -> impl Future<Output = orthrus_app::Result<()>> + Send {
        s.app.scim_delete_group(c, id)
    }
}

async fn get_resource<R: ScimResource>(
    State(s): State<WebState>,
    Scim(c): Scim,
    PathId(id): PathId<R::Entity>,
    Query(q): Query<HashMap<String, String>>,
) -> ScimResult {
    let mut v = R::to_json(&base(&s), &R::get(&s, &c, id).await?);
    ListQuery::new(q).project(&mut v);
    Ok(scim_json(StatusCode::OK, &v))
}

fn created(v: Value) -> Response {
    let location = v["meta"]["location"].as_str().map(str::to_owned);
    let mut r = scim_json(StatusCode::CREATED, &v);
    if let Some(l) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        r.headers_mut().insert(header::LOCATION, l);
    }
    r
}

async fn create_resource<R: ScimResource>(
    State(s): State<WebState>,
    Scim(c): Scim,
    body: Bytes,
) -> ScimResult {
    let input = R::from_json(&body_json(&body)?)?;
    let item = R::create(&s, &c, input).await?;
    Ok(created(R::to_json(&base(&s), &item)))
}

async fn replace_resource<R: ScimResource>(
    State(s): State<WebState>,
    Scim(c): Scim,
    PathId(id): PathId<R::Entity>,
    body: Bytes,
) -> ScimResult {
    let input = R::from_json(&body_json(&body)?)?;
    let item = R::replace(&s, &c, id, input).await?;
    Ok(scim_json(StatusCode::OK, &R::to_json(&base(&s), &item)))
}

/// PATCH: the patch applied to the resource as it is now, the result
/// stored as a replacement (PUT).
async fn patch_resource<R: ScimResource>(
    State(s): State<WebState>,
    Scim(c): Scim,
    PathId(id): PathId<R::Entity>,
    body: Bytes,
) -> ScimResult {
    let patch = body_json(&body)?;
    let b = base(&s);
    let mut current = R::to_json(&b, &R::get(&s, &c, id).await?);
    apply_patch(&mut current, &patch).map_err(problem)?;
    let item = R::replace(&s, &c, id, R::from_json(&current)?).await?;
    Ok(scim_json(StatusCode::OK, &R::to_json(&b, &item)))
}

async fn delete_resource<R: ScimResource>(
    State(s): State<WebState>,
    Scim(c): Scim,
    PathId(id): PathId<R::Entity>,
) -> ScimResult {
    R::delete(&s, &c, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_groups(
    State(s): State<WebState>,
    Scim(c): Scim,
    Query(q): Query<HashMap<String, String>>,
) -> ScimResult {
    groups_page(&s, &c, &ListQuery::new(q)).await
}

async fn groups_page(s: &WebState, c: &ScimClient, q: &ListQuery) -> ScimResult {
    let filter = q.filter(&[
        ("displayName", ScimFilterAttr::DisplayName),
        ("externalId", ScimFilterAttr::ExternalId),
        ("id", ScimFilterAttr::Id),
    ])?;
    let b = base(s);
    let items = s
        .app
        .scim_list_groups(c)
        .await?
        .iter()
        .filter(|g| match &filter {
            None => true,
            Some((ScimFilterAttr::DisplayName, v)) => g.display_name == *v,
            Some((ScimFilterAttr::ExternalId, v)) => g.external_id.as_deref() == Some(v),
            Some((_, v)) => g.id == *v,
        })
        .map(|g| {
            let mut v = group_json(&b, g);
            q.project(&mut v);
            v
        })
        .collect();
    Ok(scim_json(StatusCode::OK, &q.page(items)?))
}
