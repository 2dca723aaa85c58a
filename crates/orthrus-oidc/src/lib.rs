//! Orthrus as an OpenID Connect relying party: discovery from the issuer
//! (`/.well-known/openid-configuration`), the authorization URL (code flow,
//! PKCE S256, `state`, `nonce`, `prompt=login`/`max_age=0` for a fresh
//! authentication), the token request with the client secret, and the ID
//! token's checks: signature against the provider's JWKS (RS256, ES256),
//! `iss`, `aud`/`azp`, `exp`, `nonce`.
//!
//! It implements `orthrus_app::OidcClient`; who may sign in, and what
//! happens then, is `orthrus-app`'s business. It knows no storage and no
//! routes; time comes from the app's `Clock`.

mod error;
mod jwt;

pub use error::{OidcError, TokenError};

use orthrus_app::{AuthorizationRequest, IdClaims, OidcClient, ProviderError};
use orthrus_core::{Clock, SecretString};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::RwLock;

/// How the relying party is set up.
#[derive(Clone, Debug)]
pub struct OidcConfig {
    /// The issuer identifier (`https://login.example.com/realms/acme`).
    pub issuer: String,
    pub client_id: String,
    pub client_secret: SecretString,
    /// Scopes asked for; `openid` is always among them.
    pub scopes: Vec<String>,
    /// `<public_url>/sso/callback`.
    pub redirect_uri: String,
}

/// The parts of the discovery document Orthrus uses.
#[derive(Clone, Debug, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    #[serde(default)]
    token_endpoint_auth_methods_supported: Vec<String>,
}

/// The relying party over HTTP.
pub struct HttpOidc {
    config: OidcConfig,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    discovery: RwLock<Option<Discovery>>,
    keys: RwLock<Vec<jwt::Jwk>>,
}

#[derive(Deserialize)]
struct TokenResponse {
    id_token: Option<String>,
}

#[derive(Deserialize)]
struct OAuthError {
    error: String,
    #[serde(default)]
    error_description: String,
}

impl HttpOidc {
    pub fn new(config: OidcConfig, clock: Arc<dyn Clock>) -> Result<Self, OidcError> {
        // reqwest is built without a default TLS provider: ring, as elsewhere.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| OidcError::HttpClient(e.to_string()))?;
        Ok(Self {
            config,
            http,
            clock,
            discovery: RwLock::new(None),
            keys: RwLock::new(Vec::new()),
        })
    }

    async fn get_json<T: for<'de> Deserialize<'de>>(&self, url: &str) -> Result<T, OidcError> {
        let r = self
            .http
            .get(url)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| OidcError::Unreachable {
                url: url.to_owned(),
                reason: e.to_string(),
            })?;
        if !r.status().is_success() {
            return Err(OidcError::Status {
                url: url.to_owned(),
                status: r.status().to_string(),
            });
        }
        r.json().await.map_err(|e| OidcError::NotJson {
            url: url.to_owned(),
            reason: e.to_string(),
        })
    }

    /// The discovery document, fetched once (and again after a failure).
    async fn discovery(&self) -> Result<Discovery, OidcError> {
        if let Some(d) = self.discovery.read().await.clone() {
            return Ok(d);
        }
        let url = format!(
            "{}/.well-known/openid-configuration",
            self.config.issuer.trim_end_matches('/')
        );
        let d: Discovery = self.get_json(&url).await?;
        if d.issuer != self.config.issuer {
            return Err(OidcError::IssuerMismatch {
                found: d.issuer,
                configured: self.config.issuer.clone(),
            });
        }
        *self.discovery.write().await = Some(d.clone());
        Ok(d)
    }

    /// The provider's keys; fetched again when a token names a key we do
    /// not have (the provider rotated its keys).
    async fn key_for(&self, header: &jwt::Header) -> Result<jwt::Jwk, OidcError> {
        if let Some(k) = jwt::pick(&self.keys.read().await, header) {
            return Ok(k);
        }
        let d = self.discovery().await?;
        let set: jwt::JwkSet = self.get_json(&d.jwks_uri).await?;
        let found = jwt::pick(&set.keys, header);
        *self.keys.write().await = set.keys;
        found.ok_or_else(|| OidcError::UnknownKey(header.kid.clone()))
    }
}

#[async_trait::async_trait]
impl OidcClient for HttpOidc {
    fn issuer(&self) -> &str {
        &self.config.issuer
    }

    async fn authorization_url(&self, req: &AuthorizationRequest) -> Result<String, ProviderError> {
        let d = self.discovery().await?;
        let mut url = url::Url::parse(&d.authorization_endpoint)
            .map_err(|e| OidcError::BadAuthorizationEndpoint(e.to_string()))?;
        let mut scopes = vec!["openid".to_owned()];
        scopes.extend(
            self.config
                .scopes
                .iter()
                .filter(|s| s.as_str() != "openid")
                .cloned(),
        );
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", &self.config.client_id)
                .append_pair("redirect_uri", &self.config.redirect_uri)
                .append_pair("scope", &scopes.join(" "))
                .append_pair("state", &req.state)
                .append_pair("nonce", &req.nonce)
                .append_pair("code_challenge", &req.code_challenge)
                .append_pair("code_challenge_method", "S256");
            if req.fresh {
                q.append_pair("prompt", "login").append_pair("max_age", "0");
            }
        }
        Ok(url.into())
    }

    async fn redeem(
        &self,
        code: &str,
        verifier: &str,
        nonce: &str,
    ) -> Result<IdClaims, ProviderError> {
        Ok(self.redeem_code(code, verifier, nonce).await?)
    }
}

impl HttpOidc {
    /// [`OidcClient::redeem`]: the token request, then the ID token's checks.
    async fn redeem_code(
        &self,
        code: &str,
        verifier: &str,
        nonce: &str,
    ) -> Result<IdClaims, OidcError> {
        let d = self.discovery().await?;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.config.redirect_uri.as_str()),
            ("code_verifier", verifier),
        ];
        let post_only = !d.token_endpoint_auth_methods_supported.is_empty()
            && !d
                .token_endpoint_auth_methods_supported
                .iter()
                .any(|m| m == "client_secret_basic")
            && d.token_endpoint_auth_methods_supported
                .iter()
                .any(|m| m == "client_secret_post");
        let mut r = self.http.post(&d.token_endpoint);
        if post_only {
            form.push(("client_id", self.config.client_id.as_str()));
            form.push(("client_secret", self.config.client_secret.expose()));
        } else {
            // RFC 6749 §2.3.1: both parts form-encoded before Basic.
            let enc =
                |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            r = r.basic_auth(
                enc(&self.config.client_id),
                Some(enc(self.config.client_secret.expose())),
            );
        }
        let resp = r
            .header("accept", "application/json")
            .form(&form)
            .send()
            .await
            .map_err(|e| OidcError::TokenEndpointUnreachable(e.to_string()))?;
        let status = resp.status();
        let text = resp
            .text()
            .await
            .map_err(|e| OidcError::TokenAnswerCut(e.to_string()))?;
        if !status.is_success() {
            return Err(match serde_json::from_str::<OAuthError>(&text) {
                Ok(e) => OidcError::TokenRefused {
                    error: e.error,
                    description: e.error_description,
                },
                Err(_) => OidcError::TokenStatus(status.to_string()),
            });
        }
        let token: TokenResponse =
            serde_json::from_str(&text).map_err(|_| OidcError::TokenNotJson)?;
        let id_token = token.id_token.ok_or(OidcError::NoIdToken)?;
        let (header, signed, signature, payload) = jwt::split(&id_token)?;
        let key = self.key_for(&header).await?;
        jwt::verify(&header, &key, signed.as_bytes(), &signature)?;
        Ok(jwt::check_claims(
            payload,
            &jwt::Expected {
                issuer: &self.config.issuer,
                client_id: &self.config.client_id,
                nonce,
                now_secs: self.clock.now().millis() / 1000,
            },
        )?)
    }
}
