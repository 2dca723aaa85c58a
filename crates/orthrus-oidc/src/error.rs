//! Why talking to the identity provider failed, one variant per reason.
//! The words are for people (the app shows them as "the identity provider
//! refused or failed: …") and never carry a secret.

/// A failed step of discovery, the token request or the ID token's checks.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("cannot build the HTTP client: {0}")]
    HttpClient(String),
    #[error("cannot reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("{url} answered {status}")]
    Status { url: String, status: String },
    #[error("{url} did not answer the JSON expected: {reason}")]
    NotJson { url: String, reason: String },
    #[error("the provider says its issuer is {found:?}, but sso.issuer is {configured:?}")]
    IssuerMismatch { found: String, configured: String },
    #[error("the ID token is signed with a key the provider does not publish (kid {0:?})")]
    UnknownKey(Option<String>),
    #[error("the provider's authorization endpoint is not a URL: {0}")]
    BadAuthorizationEndpoint(String),
    #[error("cannot reach the token endpoint: {0}")]
    TokenEndpointUnreachable(String),
    #[error("the token endpoint's answer was cut: {0}")]
    TokenAnswerCut(String),
    /// The token endpoint's OAuth error (`invalid_grant: …`).
    #[error("{}", oauth_words(error, description))]
    TokenRefused { error: String, description: String },
    #[error("the token endpoint answered {0}")]
    TokenStatus(String),
    #[error("the token endpoint did not answer JSON")]
    TokenNotJson,
    #[error("the provider sent no ID token (is the openid scope allowed?)")]
    NoIdToken,
    #[error("{0}")]
    Token(#[from] TokenError),
}

fn oauth_words(error: &str, description: &str) -> String {
    if description.is_empty() {
        error.to_owned()
    } else {
        format!("{error}: {description}")
    }
}

/// Why an ID token was refused (JOSE and the OpenID Connect claim checks).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the ID token is not base64url")]
    NotBase64,
    #[error("the ID token is not a signed JWT (three parts)")]
    NotThreeParts,
    #[error("the ID token's header is not JSON")]
    HeaderNotJson,
    #[error("the ID token's payload is not JSON")]
    PayloadNotJson,
    #[error("the ID token's signature does not verify")]
    BadSignature,
    #[error("the provider's RSA key lacks n or e")]
    RsaKeyIncomplete,
    #[error("the provider's RSA key is not usable: {0}")]
    RsaKeyUnusable(String),
    #[error("the provider's EC key lacks x or y")]
    EcKeyIncomplete,
    #[error("the provider's EC key is not on P-256")]
    EcKeyNotP256,
    #[error("the provider's EC key is not a P-256 point")]
    EcKeyNotAPoint,
    #[error("the ID token is signed with {0:?}; Orthrus accepts RS256 and ES256")]
    Algorithm(String),
    #[error("the ID token's payload is not an object")]
    PayloadNotObject,
    #[error("the ID token was issued by {found:?}, not {expected:?}")]
    Issuer { found: String, expected: String },
    #[error("the ID token is meant for another client (aud)")]
    Audience,
    #[error("the ID token was issued to another client (azp)")]
    AuthorizedParty,
    #[error("the ID token has expired")]
    Expired,
    #[error("the ID token has no expiry (exp)")]
    NoExpiry,
    #[error("the ID token's issue time (iat) is missing or in the future")]
    IssueTime,
    #[error("the ID token's nonce does not match this sign-in")]
    Nonce,
    #[error("the ID token has no subject (sub)")]
    NoSubject,
}
