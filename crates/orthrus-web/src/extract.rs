//! Extractors: the authenticated actor (Bearer token or session cookie), the
//! client address, JSON and query bodies with machine-readable rejections,
//! the CSRF check for cookie-authenticated writes, and typed ids from the
//! path ([`PathId`], [`PathIds`]).

use crate::WebState;
use crate::error::WebError;
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Response};
use orthrus_app::InvalidCode;
use orthrus_app::{Actor, AppError};
use serde::de::DeserializeOwned;
use std::any::TypeId;
use std::net::SocketAddr;

pub const SESSION_COOKIE: &str = "orthrus_session";

/// The client's address (the proxy's `X-Forwarded-For` when trusted).
pub fn client_ip(
    state: &WebState,
    parts_headers: &HeaderMap,
    connect: Option<&ConnectInfo<SocketAddr>>,
) -> String {
    if state.config.trust_proxy
        && let Some(f) = parts_headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
        && let Some(last) = f
            .rsplit(',')
            .next()
            .map(str::trim)
            .filter(|s| !s.is_empty())
    {
        // The rightmost entry is the one our own proxy appended; anything
        // left of it came from the client and can be forged.
        return last.to_owned();
    }
    connect
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// The value of one cookie.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
}

/// The caller's address for a request being extracted (see [`client_ip`]).
pub(crate) fn request_ip(state: &WebState, parts: &Parts) -> String {
    client_ip(
        state,
        &parts.headers,
        parts.extensions.get::<ConnectInfo<SocketAddr>>(),
    )
}

pub(crate) fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// Where the caller comes from.
#[derive(Clone, Debug)]
pub struct ClientInfo {
    pub ip: String,
    pub user_agent: String,
}

impl From<ClientInfo> for orthrus_app::SsoClient {
    fn from(c: ClientInfo) -> Self {
        Self {
            ip: c.ip,
            user_agent: c.user_agent,
        }
    }
}

impl FromRequestParts<WebState> for ClientInfo {
    type Rejection = WebError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &WebState,
    ) -> Result<Self, Self::Rejection> {
        let ip = request_ip(state, parts);
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(256)
            .collect();
        Ok(Self { ip, user_agent })
    }
}

/// The token a request presents (Bearer header, else the session cookie)
/// and where it comes from, not yet checked: a handler that authenticates
/// and reads in one statement takes this instead of [`Authed`]. Rejected
/// with 401 when there is none, as [`Authed`] is.
pub struct Presented {
    pub token: String,
    /// The session cookie's token when signed in through the browser.
    pub cookie_token: Option<String>,
    pub ip: String,
}

impl FromRequestParts<WebState> for Presented {
    type Rejection = WebError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &WebState,
    ) -> Result<Self, Self::Rejection> {
        let ip = request_ip(state, parts);
        let (token, cookie_token) = match bearer(&parts.headers) {
            Some(t) => (t, None),
            None => {
                let c = cookie(&parts.headers, SESSION_COOKIE)
                    .ok_or(WebError(AppError::Unauthenticated))?;
                (c.clone(), Some(c))
            }
        };
        Ok(Self {
            token,
            cookie_token,
            ip,
        })
    }
}

impl Presented {
    /// [`Authed`] from the presented token.
    pub async fn authenticate(self, state: &WebState) -> Result<Authed, WebError> {
        let actor = state.app.authenticate(&self.token, &self.ip).await?;
        Ok(Authed {
            actor,
            cookie_token: self.cookie_token,
        })
    }
}

/// An authenticated caller.
pub struct Authed {
    pub actor: Actor,
    /// The session cookie's token when signed in through the browser (for
    /// the CSRF token of rendered forms).
    pub cookie_token: Option<String>,
}

impl FromRequestParts<WebState> for Authed {
    type Rejection = WebError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &WebState,
    ) -> Result<Self, Self::Rejection> {
        Presented::from_request_parts(parts, state)
            .await?
            .authenticate(state)
            .await
    }
}

/// A JSON body; malformed JSON, unknown fields, wrong types, a missing
/// content type and oversized bodies get machine-readable 4xx errors. The
/// body is a JSON object, as the API's document says of every one. A field
/// listed in [`crate::api::FIELD_CODES`] answers its own code when its value
/// does not fit (an unknown `role` is `user.invalid_role`); any other
/// misfit is `request.invalid_body`.
pub struct ApiJson<T>(pub T);

/// A request-body field whose bad value answers its own code rather than
/// `request.invalid_body`: which body, the field's JSON name and the code.
pub(crate) struct FieldCode {
    body: fn() -> TypeId,
    /// The body's type name, for the test that the field is in its schema.
    #[cfg(test)]
    pub(crate) body_name: fn() -> &'static str,
    pub(crate) field: &'static str,
    pub(crate) code: InvalidCode,
}

impl FieldCode {
    /// `field` of the body `T` answers `code` when its value does not fit.
    pub(crate) const fn new<T: 'static>(field: &'static str, code: InvalidCode) -> Self {
        Self {
            body: TypeId::of::<T>,
            #[cfg(test)]
            body_name: std::any::type_name::<T>,
            field,
            code,
        }
    }

    /// Whether this is a field of the body `T`.
    pub(crate) fn is_of<T: 'static>(&self) -> bool {
        (self.body)() == TypeId::of::<T>()
    }
}

/// The refusal of a body `T` whose field at the top level has its own code
/// ([`crate::api::FIELD_CODES`]), from the path `serde_path_to_error` gives
/// to axum's data error.
fn field_refusal<T: 'static>(e: &(dyn std::error::Error + 'static)) -> Option<AppError> {
    let err = std::iter::successors(Some(e), |e| e.source())
        .find_map(|e| e.downcast_ref::<serde_path_to_error::Error<serde_json::Error>>())?;
    let path = err.path().to_string();
    let field = crate::api::FIELD_CODES
        .iter()
        .find(|f| f.is_of::<T>() && f.field == path)?;
    // The message without serde_json's "at line 1 column 20".
    let inner = err.inner();
    let text = inner.to_string();
    let position = format!(" at line {} column {}", inner.line(), inner.column());
    let message = text.strip_suffix(&position).unwrap_or(&text);
    Some(AppError::invalid(field.code, format!("{path}: {message}")))
}

/// A value read only from a JSON object: serde would also fill a struct
/// from an array of its fields in order (`[null, null]` was taken as a
/// rotation schedule with every setting cleared; found by schemathesis).
struct Object<T>(T);

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Object<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Fields<T>(std::marker::PhantomData<T>);
        impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for Fields<T> {
            type Value = T;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }
        d.deserialize_map(Fields(std::marker::PhantomData))
            .map(Object)
    }
}

impl<T: DeserializeOwned + 'static> FromRequest<WebState> for ApiJson<T> {
    type Rejection = WebError;
    async fn from_request(req: Request, state: &WebState) -> Result<Self, Self::Rejection> {
        use axum::extract::rejection::JsonRejection;
        match axum::Json::<Object<T>>::from_request(req, state).await {
            Ok(axum::Json(Object(v))) => Ok(Self(v)),
            Err(e) => {
                let refusal = match &e {
                    JsonRejection::MissingJsonContentType(_) => AppError::UnsupportedMediaType(
                        "send the body as JSON with Content-Type: application/json",
                    ),
                    JsonRejection::JsonSyntaxError(_) => AppError::invalid(
                        InvalidCode::RequestInvalidJson,
                        format!("the body is not valid JSON: {}", e.body_text()),
                    ),
                    JsonRejection::JsonDataError(data) => {
                        field_refusal::<T>(data).unwrap_or_else(|| {
                            AppError::invalid(InvalidCode::RequestInvalidBody, e.body_text())
                        })
                    }
                    _ if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                        AppError::TooLarge("the request body is too large")
                    }
                    _ => AppError::invalid(InvalidCode::RequestInvalidBody, e.body_text()),
                };
                Err(WebError(refusal))
            }
        }
    }
}

/// A query string with machine-readable rejections.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned> FromRequestParts<WebState> for ApiQuery<T> {
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, _: &WebState) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        serde_urlencoded::from_str(q).map(Self).map_err(|e| {
            WebError(AppError::invalid(
                InvalidCode::RequestInvalidQuery,
                format!("bad query string: {e}"),
            ))
        })
    }
}

/// A urlencoded form body (UI), with a readable rejection.
pub struct UiForm<T>(pub T);

impl<T: DeserializeOwned> FromRequest<WebState> for UiForm<T> {
    type Rejection = WebError;
    async fn from_request(req: Request, state: &WebState) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| WebError(AppError::TooLarge("the form is too large")))?;
        serde_urlencoded::from_bytes(&bytes).map(Self).map_err(|e| {
            WebError(AppError::invalid(
                InvalidCode::RequestInvalidForm,
                format!("the form is incomplete: {e}"),
            ))
        })
    }
}

fn same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    if headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site") {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    // Behind a reverse proxy the Host header may be the upstream address:
    // the configured public URL is what browsers use.
    let public = public_url.trim_end_matches('/');
    if !public.is_empty() && origin.trim_end_matches('/') == public {
        return true;
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or(origin);
    origin_host == host
}

/// The browser extension signs in and asks for a pairing from its own
/// origin (`chrome-extension://…`, `moz-extension://…`), with no session
/// cookie: no signed-in browser state rides along, these endpoints answer
/// in JSON only, and a web page cannot claim an extension origin.
fn extension_without_cookie(req: &Request) -> bool {
    let path = req.uri().path();
    let extension_path =
        path == "/api/v1/auth/login" || path.starts_with("/api/v1/extension/pairings");
    let extension_origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|o| {
            [
                "chrome-extension://",
                "moz-extension://",
                "safari-web-extension://",
            ]
            .iter()
            .any(|p| o.starts_with(p))
        });
    extension_path && extension_origin && cookie(req.headers(), SESSION_COOKIE).is_none()
}

/// CSRF defence for browser requests: writes must come from our own origin,
/// and writes made with the session cookie must carry the session's CSRF
/// token (header `X-CSRF-Token`, or form field `_csrf`). Bearer requests are
/// not exposed to CSRF and pass.
pub(crate) async fn check_csrf(state: &WebState, req: Request) -> (Request, Result<(), WebError>) {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || bearer(req.headers()).is_some() {
        return (req, Ok(()));
    }
    if extension_without_cookie(&req) {
        return (req, Ok(()));
    }
    let denied = || {
        WebError(AppError::invalid(
            InvalidCode::RequestCsrf,
            "this form has expired or came from another site; reload the page and try again",
        ))
    };
    if !same_origin(req.headers(), &state.config.public_url) {
        return (req, Err(denied()));
    }
    // Signing in and first-run setup carry no session yet; a stale cookie
    // from a revoked session must not lock people out of them. The origin
    // check above still applies.
    let path = req.uri().path();
    // An invitation's page likewise: the invitee has no session yet.
    if matches!(path, "/login" | "/setup" | "/api/v1/auth/login") || path.starts_with("/invite/") {
        return (req, Ok(()));
    }
    let Some(session) = cookie(req.headers(), SESSION_COOKIE) else {
        return (req, Ok(()));
    };
    let expected = state.app.csrf_token(&session);
    if let Some(h) = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        let ok = orthrus_app::App::secrets_equal(h, &expected);
        return (req, if ok { Ok(()) } else { Err(denied()) });
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return (req, Err(denied()));
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, state.config.max_body_bytes).await else {
        return (
            Request::from_parts(parts, Body::empty()),
            Err(WebError(AppError::TooLarge("the form is too large"))),
        );
    };
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
    let ok = fields
        .iter()
        .any(|(k, v)| k == "_csrf" && orthrus_app::App::secrets_equal(v, &expected));
    (
        Request::from_parts(parts, Body::from(bytes)),
        if ok { Ok(()) } else { Err(denied()) },
    )
}

/// What a path segment names: the id type it parses into and the 404 a
/// malformed one answers (the same as an id that names nothing).
pub trait PathEntity {
    type Id: std::str::FromStr + Send;
    const ENTITY: orthrus_app::Entity;
}

/// Marker types for [`PathId`] and [`PathIds`], one per kind of thing a
/// path names.
pub mod entity {
    use orthrus_app::Entity;
    use orthrus_core::ids::{AccountId, EventId, FieldId, SessionId, TokenId, UserId};

    macro_rules! path_entity {
        ($($(#[$doc:meta])* $name:ident => $id:ty, $entity:ident;)*) => {$(
            $(#[$doc])*
            pub struct $name;
            impl super::PathEntity for $name {
                type Id = $id;
                const ENTITY: Entity = Entity::$entity;
            }
        )*};
    }

    path_entity! {
        Account => AccountId, Account;
        User => UserId, User;
        /// A user as an account's member (`member.not_found`).
        Member => UserId, Member;
        Session => SessionId, Session;
        Token => TokenId, Token;
        Field => FieldId, Field;
        HistoryEntry => EventId, HistoryEntry;
        Team => EventId, Team;
        /// A two-person-rule approval.
        Approval => EventId, Approval;
        /// A device approval (step-up on another device).
        StepUpRequest => EventId, StepUpRequest;
        Message => EventId, Message;
        Invitation => EventId, Invitation;
        AccessRequest => EventId, AccessRequest;
        Passkey => EventId, Passkey;
        Job => EventId, Job;
    }
}

/// An id that does not parse: answered as one that names nothing, 404 with
/// the entity's code.
#[derive(Debug)]
pub struct MalformedId(orthrus_app::Entity);

impl From<MalformedId> for WebError {
    fn from(e: MalformedId) -> Self {
        Self(AppError::NotFound(e.0))
    }
}

/// An id written somewhere else than the path (a form field, the action a
/// step-up resumes), refused as a malformed path segment is.
pub fn parse_id<E: PathEntity>(s: &str) -> Result<E::Id, MalformedId> {
    s.parse().map_err(|_| MalformedId(E::ENTITY))
}

fn rejection(e: MalformedId) -> Response {
    WebError::from(e).into_response()
}

/// The path's segments as axum reads them into `T`; its rejection (a
/// segment missing or not a `T`) answered as axum answers it.
async fn path_segments<T: DeserializeOwned + Send>(
    parts: &mut Parts,
    state: &WebState,
) -> Result<T, Response> {
    let Path(t) = Path::<T>::from_request_parts(parts, state)
        .await
        .map_err(IntoResponse::into_response)?;
    Ok(t)
}

/// A path's one id segment, parsed: a malformed id answers what an unknown
/// one does (404 with the entity's code), through the usual error mapping.
/// Any other rejection of the path is axum's, as a `Path<String>` gives.
pub struct PathId<E: PathEntity>(pub E::Id);

impl<E: PathEntity> FromRequestParts<WebState> for PathId<E> {
    type Rejection = Response;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &WebState,
    ) -> Result<Self, Self::Rejection> {
        let s: String = path_segments(parts, state).await?;
        parse_id::<E>(&s).map(Self).map_err(rejection)
    }
}

/// A path's two id segments, parsed in order: the first malformed one
/// answers its entity's 404.
pub struct PathIds<A: PathEntity, B: PathEntity>(pub A::Id, pub B::Id);

impl<A: PathEntity, B: PathEntity> FromRequestParts<WebState> for PathIds<A, B> {
    type Rejection = Response;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &WebState,
    ) -> Result<Self, Self::Rejection> {
        let (a, b): (String, String) = path_segments(parts, state).await?;
        Ok(Self(
            parse_id::<A>(&a).map_err(rejection)?,
            parse_id::<B>(&b).map_err(rejection)?,
        ))
    }
}

/// A path's id segment followed by another value (a position, a number):
/// the path is read as today first (a second segment that does not parse is
/// axum's rejection), then the id as [`PathId`] does.
pub struct PathIdAnd<E: PathEntity, T>(pub E::Id, pub T);

impl<E: PathEntity, T: DeserializeOwned + Send> FromRequestParts<WebState> for PathIdAnd<E, T> {
    type Rejection = Response;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &WebState,
    ) -> Result<Self, Self::Rejection> {
        let (id, other): (String, T) = path_segments(parts, state).await?;
        Ok(Self(parse_id::<E>(&id).map_err(rejection)?, other))
    }
}
