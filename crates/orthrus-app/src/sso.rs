//! Single sign-on with OpenID Connect: starting a sign-in, a step-up or
//! the CLI's sign-in (the flow row that holds state, nonce and PKCE
//! verifier in the database, so the provider's answer may land on any
//! node), and finishing it: who the provider's account is (linked
//! identity, else a verified email), whether they may sign in, created
//! users, roles mapped from a claim, and the audit trail.
//!
//! The provider itself (discovery, the token request, ID token signatures)
//! is behind [`OidcClient`]; the binary wires an HTTP implementation
//! (`orthrus-oidc`), tests a fake one. This module knows no HTTP.

use crate::audit::Event;
use crate::auth::LoginOutcome;
use crate::{Actor, App, AppError, Result};
use base64::Engine;
use orthrus_core::{Timestamp, WorkspaceRole};
use orthrus_crypto::Aad;
use orthrus_store::{SessionKind, SsoFlowKind, SsoFlowRow, SsoIdentityRow, UserRow};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// How long the round trip to the provider, and a CLI's one-time code, last.
pub const SSO_FLOW_SECS: i64 = 600;
/// How far the provider's clock may be behind ours when a step-up checks
/// `auth_time` against the moment it was asked for.
pub const AUTH_TIME_SKEW_SECS: i64 = 30;

/// What the provider vouched for, read from an ID token whose signature,
/// issuer, audience, expiry and nonce were already checked.
#[derive(Clone, Debug, Default)]
pub struct IdClaims {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    /// When the person last authenticated at the provider (seconds since
    /// the epoch), if the token says.
    pub auth_time: Option<i64>,
    /// Every claim of the token, for the role mapping's claim.
    pub claims: serde_json::Map<String, serde_json::Value>,
}

/// What the authorization request carries.
#[derive(Clone, Debug)]
pub struct AuthorizationRequest {
    pub state: String,
    pub nonce: String,
    /// PKCE, S256.
    pub code_challenge: String,
    /// A fresh authentication: `prompt=login` and `max_age=0` (step-up).
    pub fresh: bool,
}

/// The provider, as the use cases need it. `Err` carries a message for
/// people (never a secret).
#[async_trait::async_trait]
pub trait OidcClient: Send + Sync + 'static {
    /// The issuer identifier, as configured (the `iss` tokens carry).
    fn issuer(&self) -> &str;
    /// The URL to send the browser to.
    async fn authorization_url(
        &self,
        req: &AuthorizationRequest,
    ) -> std::result::Result<String, String>;
    /// Redeems the code (with the PKCE verifier) and checks the ID token
    /// against `nonce`.
    async fn redeem(
        &self,
        code: &str,
        verifier: &str,
        nonce: &str,
    ) -> std::result::Result<IdClaims, String>;
}

/// What the configuration says about who may sign in, and how.
#[derive(Clone, Debug)]
pub struct SsoSettings {
    /// "Sign in with <provider_name>".
    pub provider_name: String,
    /// Create unknown people on their first sign-in.
    pub allow_signup: bool,
    /// Their role when no group maps to one.
    pub default_role: WorkspaceRole,
    /// The claim listing groups ("" : no mapping).
    pub role_claim: String,
    /// Group -> workspace role; the highest of a person's wins.
    pub role_map: Vec<(String, WorkspaceRole)>,
    /// Password sign-in is off, except for `break_glass`.
    pub sso_only: bool,
    /// Emails (lower case) of the Owners who may still use their password.
    pub break_glass: Vec<String>,
}

impl Default for SsoSettings {
    fn default() -> Self {
        Self {
            provider_name: "SSO".into(),
            allow_signup: false,
            default_role: WorkspaceRole::User,
            role_claim: String::new(),
            role_map: Vec::new(),
            sso_only: false,
            break_glass: Vec::new(),
        }
    }
}

/// What the sign-in page and the identity-check dialog need to know.
#[derive(Clone, Debug)]
pub struct SsoInfo {
    pub provider_name: String,
    pub sso_only: bool,
}

pub(crate) struct Sso {
    client: Arc<dyn OidcClient>,
    settings: SsoSettings,
}

/// Why single sign-on refused; each has a stable code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SsoError {
    #[error("single sign-on is not set up on this server")]
    NotConfigured,
    #[error(
        "the identity provider did not confirm this email address (email_verified is not true), so it cannot be matched to an Orthrus user; verify it at the provider and try again"
    )]
    EmailUnverified,
    #[error(
        "there is no Orthrus user for {0}, and this server does not create users at sign-in: ask an admin to add or invite you"
    )]
    UnknownUser(String),
    #[error("this Orthrus user is deactivated; ask an admin")]
    UserDeactivated,
    #[error("this Orthrus user is already linked to another account at the identity provider")]
    AlreadyLinked,
    #[error("this sign-in link has expired or was already used; start again")]
    FlowExpired,
    #[error("the identity provider refused or failed: {0}")]
    Provider(String),
    #[error(
        "the identity provider did not ask for your password again (its auth_time is older than this check); try again"
    )]
    StaleAuthentication,
    #[error("you signed in at the identity provider as someone else; use your own account")]
    WrongAccount,
    #[error(
        "password sign-in is turned off on this server: use the single sign-on button (break-glass Owners excepted)"
    )]
    PasswordDisabled,
    #[error(
        "redirect_uri must be a loopback address on this machine (http://127.0.0.1:<port>/…, http://[::1]:<port>/… or http://localhost:<port>/…)"
    )]
    InvalidRedirect,
    #[error("code_challenge must be the base64url SHA-256 of the verifier (43 characters)")]
    InvalidChallenge,
    #[error("this code is unknown, expired or already used, or the verifier does not match")]
    InvalidCode,
}

impl SsoError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotConfigured => "sso.not_configured",
            Self::EmailUnverified => "sso.email_unverified",
            Self::UnknownUser(_) => "sso.unknown_user",
            Self::UserDeactivated => "sso.user_deactivated",
            Self::AlreadyLinked => "sso.already_linked",
            Self::FlowExpired => "sso.flow_expired",
            Self::Provider(_) => "sso.provider_error",
            Self::StaleAuthentication => "sso.stale_authentication",
            Self::WrongAccount => "sso.wrong_account",
            Self::PasswordDisabled => "sso.password_disabled",
            Self::InvalidRedirect => "sso.invalid_redirect",
            Self::InvalidChallenge => "sso.invalid_challenge",
            Self::InvalidCode => "sso.invalid_code",
        }
    }

    /// The reason recorded in the audit log.
    fn reason(&self) -> &'static str {
        self.code().trim_start_matches("sso.")
    }
}

impl From<SsoError> for AppError {
    fn from(e: SsoError) -> Self {
        Self::Sso(e)
    }
}

/// A flow started: where to send the browser, and (for browser flows) the
/// value to keep in a cookie until the provider sends it back.
#[derive(Debug)]
pub struct SsoStart {
    pub authorization_url: String,
    pub browser_token: Option<String>,
    pub expires_at: Timestamp,
}

/// The provider's answer at the callback.
#[derive(Clone, Debug)]
pub enum ProviderAnswer {
    Code(String),
    /// `error` and `error_description` from the provider.
    Error(String, String),
}

/// How a finished flow goes on.
#[derive(Debug)]
pub enum SsoFinish {
    /// A browser session: set its cookie and go to `next`.
    SignedIn { login: LoginOutcome, next: String },
    /// The session is elevated until `until`; go back to `return_to`.
    SteppedUp { until: Timestamp, return_to: String },
    /// Send the browser to the CLI's loopback address (with a one-time
    /// code, or with the error).
    Cli { redirect: String },
}

/// Who is signing in, from where.
#[derive(Clone, Debug, Default)]
pub struct SsoClient {
    pub ip: String,
    pub user_agent: String,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The PKCE S256 challenge of a verifier.
pub fn pkce_challenge(verifier: &str) -> String {
    b64(&Sha256::digest(verifier.as_bytes()))
}

/// A loopback redirect URI of a native client (RFC 8252 §7.3).
fn loopback(uri: &str) -> bool {
    let Ok(u) = url::Url::parse(uri) else {
        return false;
    };
    let host_ok = match u.host() {
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    };
    host_ok
        && u.scheme() == "http"
        && u.port().is_some()
        && u.username().is_empty()
        && u.password().is_none()
        && u.fragment().is_none()
}

/// The highest role the person's groups map to.
fn mapped_role(settings: &SsoSettings, claims: &IdClaims) -> Option<WorkspaceRole> {
    if settings.role_claim.is_empty() {
        return None;
    }
    let groups: Vec<&str> = match claims.claims.get(&settings.role_claim) {
        Some(serde_json::Value::Array(a)) => a.iter().filter_map(|v| v.as_str()).collect(),
        Some(serde_json::Value::String(s)) => s.split([',', ' ']).collect(),
        _ => Vec::new(),
    };
    settings
        .role_map
        .iter()
        .filter(|(g, _)| groups.contains(&g.as_str()))
        .map(|(_, r)| *r)
        .max()
}

/// Only a local path: never another site.
fn local_path(next: &str) -> String {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control);
    if ok { next.to_owned() } else { "/".into() }
}

impl App {
    /// Turns single sign-on on (once, at start).
    pub fn set_sso(&self, client: Arc<dyn OidcClient>, settings: SsoSettings) {
        let _ = self.inner.sso.set(Sso { client, settings });
    }

    /// The app's clock, for the parts wired beside it (the OIDC client
    /// checks token expiry with it).
    pub fn clock(&self) -> Arc<dyn orthrus_core::Clock> {
        self.inner.clock.clone()
    }

    /// Whether single sign-on is on, and how it is shown.
    pub fn sso_info(&self) -> Option<SsoInfo> {
        self.inner.sso.get().map(|s| SsoInfo {
            provider_name: s.settings.provider_name.clone(),
            sso_only: s.settings.sso_only,
        })
    }

    fn sso(&self) -> Result<&Sso> {
        self.inner
            .sso
            .get()
            .ok_or(AppError::Sso(SsoError::NotConfigured))
    }

    /// With `sso_only`, a password sign-in is refused unless the email is
    /// one of the break-glass Owners' (checked before the password, so the
    /// answer says nothing about who exists).
    pub(crate) fn password_sign_in_allowed(&self, email: &str) -> Result<()> {
        match self.inner.sso.get() {
            Some(s)
                if s.settings.sso_only && !s.settings.break_glass.iter().any(|b| b == email) =>
            {
                Err(SsoError::PasswordDisabled.into())
            }
            _ => Ok(()),
        }
    }

    /// With `sso_only`, a break-glass user who signed in with their
    /// password must also be a workspace Owner.
    pub(crate) fn break_glass_holds(&self, user: &UserRow) -> Result<()> {
        match self.inner.sso.get() {
            Some(s) if s.settings.sso_only && !user.role.is_owner() => {
                Err(SsoError::PasswordDisabled.into())
            }
            _ => Ok(()),
        }
    }

    fn random_b64(&self) -> String {
        let mut b = [0u8; 32];
        self.rng().fill(&mut b);
        b64(&b)
    }

    async fn start_flow(
        &self,
        kind: SsoFlowKind,
        mut row: SsoFlowRow,
        browser: bool,
    ) -> Result<SsoStart> {
        let sso = self.sso()?;
        let now = self.now();
        // Old flows go when new ones start: no sweeper needed.
        self.inner.store.purge_sso_flows(now).await?;
        let state = self.random_b64();
        let verifier = self.random_b64();
        row.id = self.random_id();
        row.key_hash = self
            .inner
            .token_hasher
            .hash_parts(&[b"sso-state", state.as_bytes()]);
        row.kind = kind;
        row.nonce = self.random_b64();
        row.verifier = Some(self.inner.envelope.seal_str(
            self.rng(),
            &Aad::new("sso_flows", &row.id, "verifier"),
            &verifier,
        )?);
        let browser_token = browser.then(|| self.random_b64());
        row.browser_hash = browser_token
            .as_deref()
            .map(|t| self.browser_hash(t))
            .unwrap_or_default();
        row.created_at = now;
        row.expires_at = now.plus_seconds(SSO_FLOW_SECS);
        let url = sso
            .client
            .authorization_url(&AuthorizationRequest {
                state,
                nonce: row.nonce.clone(),
                code_challenge: pkce_challenge(&verifier),
                fresh: kind == SsoFlowKind::StepUp,
            })
            .await
            .map_err(SsoError::Provider)?;
        self.inner.store.insert_sso_flow(&row).await?;
        Ok(SsoStart {
            authorization_url: url,
            browser_token,
            expires_at: row.expires_at,
        })
    }

    fn browser_hash(&self, token: &str) -> String {
        self.inner
            .token_hasher
            .hash_parts(&[b"sso-browser", token.as_bytes()])
    }

    fn blank_flow(&self) -> SsoFlowRow {
        SsoFlowRow {
            id: String::new(),
            key_hash: String::new(),
            kind: SsoFlowKind::SignIn,
            nonce: String::new(),
            verifier: None,
            browser_hash: String::new(),
            workspace_id: None,
            user_id: None,
            session_id: None,
            return_to: "/".into(),
            client_challenge: String::new(),
            created_at: self.now(),
            expires_at: self.now(),
        }
    }

    /// Starts a browser sign-in; afterwards the browser goes to `next` (a
    /// local path).
    pub async fn sso_begin_sign_in(&self, next: &str) -> Result<SsoStart> {
        let mut row = self.blank_flow();
        row.return_to = local_path(next);
        self.start_flow(SsoFlowKind::SignIn, row, true).await
    }

    /// Starts a fresh authentication that elevates the actor's session.
    pub async fn sso_begin_step_up(&self, actor: &Actor, return_to: &str) -> Result<SsoStart> {
        let Some(session) = actor.session_id() else {
            return Err(AppError::invalid(
                "step_up.unsupported",
                "step-up elevates a signed-in session; API tokens cannot be elevated",
            ));
        };
        let mut row = self.blank_flow();
        row.workspace_id = Some(actor.workspace_id);
        row.user_id = Some(actor.user_id);
        row.session_id = Some(session);
        row.return_to = local_path(return_to);
        self.start_flow(SsoFlowKind::StepUp, row, true).await
    }

    /// Starts the command line's sign-in: the one-time code goes to
    /// `redirect_uri` (a loopback address), to be exchanged with the
    /// verifier of `code_challenge`.
    pub async fn sso_begin_cli(
        &self,
        redirect_uri: &str,
        code_challenge: &str,
    ) -> Result<SsoStart> {
        self.sso()?;
        if !loopback(redirect_uri) || redirect_uri.len() > 512 {
            return Err(SsoError::InvalidRedirect.into());
        }
        let challenge_ok = code_challenge.len() == 43
            && code_challenge
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !challenge_ok {
            return Err(SsoError::InvalidChallenge.into());
        }
        let mut row = self.blank_flow();
        row.return_to = redirect_uri.to_owned();
        row.client_challenge = code_challenge.to_owned();
        self.start_flow(SsoFlowKind::Cli, row, false).await
    }

    /// The provider's answer came back (`/sso/callback`). `browser_token`
    /// is the cookie set when the flow started.
    pub async fn sso_finish(
        &self,
        state: &str,
        answer: ProviderAnswer,
        browser_token: Option<&str>,
        client: &SsoClient,
    ) -> Result<SsoFinish> {
        let sso = self.sso()?;
        let key = self
            .inner
            .token_hasher
            .hash_parts(&[b"sso-state", state.as_bytes()]);
        let flow = self
            .inner
            .store
            .take_sso_flow(&key)
            .await?
            .filter(|f| f.kind != SsoFlowKind::CliCode && f.expires_at > self.now())
            .ok_or(SsoError::FlowExpired)?;
        let bound = flow.browser_hash.is_empty()
            || browser_token
                .is_some_and(|t| App::secrets_equal(&self.browser_hash(t), &flow.browser_hash));
        if !bound {
            return Err(SsoError::FlowExpired.into());
        }
        let outcome = self.finish_flow(sso, &flow, answer, client).await;
        match (flow.kind, outcome) {
            (SsoFlowKind::Cli, Err(AppError::Sso(e))) => Ok(SsoFinish::Cli {
                redirect: with_query(
                    &flow.return_to,
                    &[("error", e.code()), ("error_description", &e.to_string())],
                ),
            }),
            (_, other) => other,
        }
    }

    async fn finish_flow(
        &self,
        sso: &Sso,
        flow: &SsoFlowRow,
        answer: ProviderAnswer,
        client: &SsoClient,
    ) -> Result<SsoFinish> {
        let code = match answer {
            ProviderAnswer::Code(c) => c,
            ProviderAnswer::Error(error, description) => {
                let e = SsoError::Provider(if description.is_empty() {
                    error
                } else {
                    format!("{error}: {description}")
                });
                self.sso_refused(None, &e, client, flow.kind).await?;
                return Err(e.into());
            }
        };
        let sealed = flow.verifier.as_deref().ok_or(SsoError::FlowExpired)?;
        let verifier = self
            .inner
            .envelope
            .open_string(&Aad::new("sso_flows", &flow.id, "verifier"), sealed)?;
        let claims = match sso.client.redeem(&code, &verifier, &flow.nonce).await {
            Ok(c) => c,
            Err(m) => {
                let e = SsoError::Provider(m);
                self.sso_refused(None, &e, client, flow.kind).await?;
                return Err(e.into());
            }
        };
        match flow.kind {
            SsoFlowKind::StepUp => self.finish_step_up(sso, flow, &claims, client).await,
            SsoFlowKind::SignIn | SsoFlowKind::Cli | SsoFlowKind::CliCode => {
                let user = match self.sso_user(sso, &claims, client).await {
                    Ok(u) => u,
                    Err(AppError::Sso(e)) => {
                        self.sso_refused(Some(&claims), &e, client, flow.kind)
                            .await?;
                        return Err(e.into());
                    }
                    Err(e) => return Err(e),
                };
                if flow.kind == SsoFlowKind::Cli {
                    return self.hand_code_to_cli(flow, &user).await;
                }
                let login = self
                    .sso_session(&user, &claims, client, SessionKind::Cookie)
                    .await?;
                Ok(SsoFinish::SignedIn {
                    login,
                    next: flow.return_to.clone(),
                })
            }
        }
    }

    /// The Orthrus user behind the provider's account: the linked one, else
    /// the user with this verified email (then linked), else a new user
    /// when sign-up is on. Roles are mapped on the way.
    async fn sso_user(&self, sso: &Sso, claims: &IdClaims, client: &SsoClient) -> Result<UserRow> {
        let store = &self.inner.store;
        let issuer = sso.client.issuer();
        let user = if let Some(link) = store.sso_identity(issuer, &claims.subject).await? {
            store
                .get_user(link.workspace_id, link.user_id)
                .await?
                .ok_or(SsoError::UserDeactivated)?
        } else {
            let email = self.verified_email(claims)?;
            match store.find_user_by_email(&email).await? {
                Some(u) => {
                    if !u.active {
                        return Err(SsoError::UserDeactivated.into());
                    }
                    self.link(issuer, claims, &u, client).await?;
                    u
                }
                None if sso.settings.allow_signup => {
                    self.create_sso_user(sso, claims, &email, client).await?
                }
                None => return Err(SsoError::UnknownUser(email).into()),
            }
        };
        if !user.active {
            return Err(SsoError::UserDeactivated.into());
        }
        self.apply_mapped_role(sso, claims, user, client).await
    }

    fn verified_email(&self, claims: &IdClaims) -> Result<String> {
        if !claims.email_verified {
            return Err(SsoError::EmailUnverified.into());
        }
        let email = claims.email.as_deref().ok_or(SsoError::EmailUnverified)?;
        crate::normalize_email(email).map_err(|_| SsoError::EmailUnverified.into())
    }

    async fn link(
        &self,
        issuer: &str,
        claims: &IdClaims,
        user: &UserRow,
        client: &SsoClient,
    ) -> Result<()> {
        let row = SsoIdentityRow {
            issuer: issuer.to_owned(),
            subject: claims.subject.clone(),
            workspace_id: user.workspace_id,
            user_id: user.id,
            email: user.email.clone(),
            created_at: self.now(),
        };
        self.inner
            .store
            .link_sso_identity(&row)
            .await
            .map_err(|e| match e {
                orthrus_store::StoreError::Conflict(_) => AppError::Sso(SsoError::AlreadyLinked),
                e => e.into(),
            })?;
        self.audit_raw(
            user.workspace_id,
            Some((user.id, &user.email)),
            Some(&client.ip),
            Event::new("user.sso_link")
                .target("user", user.id)
                .detail(serde_json::json!({"issuer": issuer, "subject": claims.subject})),
        )
        .await
    }

    async fn create_sso_user(
        &self,
        sso: &Sso,
        claims: &IdClaims,
        email: &str,
        client: &SsoClient,
    ) -> Result<UserRow> {
        let ws = self
            .inner
            .store
            .list_workspaces()
            .await?
            .into_iter()
            .next()
            .ok_or(AppError::Internal("no workspace to add the user to".into()))?;
        let role = mapped_role(&sso.settings, claims).unwrap_or(sso.settings.default_role);
        // A password nobody knows: this person signs in through the provider.
        let password = self.random_b64();
        let name = claims.name.as_deref().unwrap_or("");
        let user = self
            .new_user_row(
                ws.id,
                email,
                &name.chars().take(100).collect::<String>(),
                role,
                &password,
            )
            .await?;
        self.inner
            .store
            .create_user(&user)
            .await
            .map_err(|e| match e {
                // Someone else's sign-in created them a moment ago.
                orthrus_store::StoreError::Conflict(_) => AppError::Sso(SsoError::AlreadyLinked),
                e => e.into(),
            })?;
        self.audit_raw(
            ws.id,
            Some((user.id, &user.email)),
            Some(&client.ip),
            Event::new("user.create")
                .target("user", user.id)
                .detail(serde_json::json!({"email": email, "role": role, "via": "sso"})),
        )
        .await?;
        self.link(sso.client.issuer(), claims, &user, client)
            .await?;
        Ok(user)
    }

    async fn apply_mapped_role(
        &self,
        sso: &Sso,
        claims: &IdClaims,
        mut user: UserRow,
        client: &SsoClient,
    ) -> Result<UserRow> {
        let Some(role) = mapped_role(&sso.settings, claims) else {
            return Ok(user);
        };
        if role == user.role {
            return Ok(user);
        }
        if user.role.is_owner() && !role.is_owner() {
            let others = self
                .inner
                .store
                .list_users(user.workspace_id)
                .await?
                .into_iter()
                .filter(|u| u.id != user.id && u.active && u.role.is_owner())
                .count();
            if others == 0 {
                return Ok(user);
            }
        }
        self.inner
            .store
            .set_user_role(user.workspace_id, user.id, role, self.now())
            .await?;
        self.audit_raw(
            user.workspace_id,
            Some((user.id, &user.email)),
            Some(&client.ip),
            Event::new("user.role_change")
                .target("user", user.id)
                .detail(serde_json::json!({"from": user.role, "to": role, "via": "sso"})),
        )
        .await?;
        user.role = role;
        Ok(user)
    }

    async fn sso_session(
        &self,
        user: &UserRow,
        claims: &IdClaims,
        client: &SsoClient,
        kind: SessionKind,
    ) -> Result<LoginOutcome> {
        let req = crate::LoginRequest {
            email: user.email.clone(),
            password: orthrus_core::SecretString::default(),
            totp: None,
            ip: client.ip.clone(),
            user_agent: client.user_agent.clone(),
            kind,
        };
        let (token, session_id, expires_at) = self.create_session(user, &req).await?;
        let ws = self.workspace(user.workspace_id).await?;
        self.audit_raw(
            user.workspace_id,
            Some((user.id, &user.email)),
            Some(&client.ip),
            Event::new("auth.sso_login").target("session", session_id).detail(
                serde_json::json!({"kind": kind.as_str(), "issuer": claims.issuer, "user_agent": client.user_agent}),
            ),
        )
        .await?;
        Ok(LoginOutcome {
            token,
            session_id,
            expires_at,
            user_id: user.id,
            workspace_id: user.workspace_id,
            must_enroll_2fa: ws.require_2fa && !user.totp_enabled,
        })
    }

    /// A refused SSO sign-in, in the audit log of the user's workspace (or
    /// the first one, as failed password sign-ins are).
    async fn sso_refused(
        &self,
        claims: Option<&IdClaims>,
        e: &SsoError,
        client: &SsoClient,
        kind: SsoFlowKind,
    ) -> Result<()> {
        let store = &self.inner.store;
        let email = claims.and_then(|c| c.email.clone());
        let user = match &email {
            Some(e) => store.find_user_by_email(&e.to_lowercase()).await?,
            None => None,
        };
        let ws = match &user {
            Some(u) => Some(u.workspace_id),
            None => store.list_workspaces().await?.first().map(|w| w.id),
        };
        let Some(ws) = ws else { return Ok(()) };
        let action = if kind == SsoFlowKind::StepUp {
            "auth.step_up"
        } else {
            "auth.sso_login"
        };
        self.audit_raw(
            ws,
            user.as_ref().map(|u| (u.id, u.email.as_str())),
            Some(&client.ip),
            Event::new(action)
                .outcome("failure")
                .detail(serde_json::json!({
                    "method": "sso",
                    "reason": e.reason(),
                    "email": email,
                    "email_verified": claims.map(|c| c.email_verified),
                    "subject": claims.map(|c| c.subject.clone()),
                })),
        )
        .await
    }

    async fn finish_step_up(
        &self,
        sso: &Sso,
        flow: &SsoFlowRow,
        claims: &IdClaims,
        client: &SsoClient,
    ) -> Result<SsoFinish> {
        let (Some(ws_id), Some(user_id), Some(session)) =
            (flow.workspace_id, flow.user_id, flow.session_id)
        else {
            return Err(SsoError::FlowExpired.into());
        };
        let user = self
            .inner
            .store
            .get_user(ws_id, user_id)
            .await?
            .filter(|u| u.active)
            .ok_or(AppError::Unauthenticated)?;
        let checked = self
            .step_up_identity(sso, claims, &user, client)
            .await
            .and_then(|()| {
                // A fresh authentication: after the check was asked for.
                let fresh = claims
                    .auth_time
                    .is_some_and(|t| t >= flow.created_at.millis() / 1000 - AUTH_TIME_SKEW_SECS);
                if fresh {
                    Ok(())
                } else {
                    Err(SsoError::StaleAuthentication.into())
                }
            });
        if let Err(AppError::Sso(e)) = &checked {
            self.audit_raw(
                ws_id,
                Some((user.id, &user.email)),
                Some(&client.ip),
                Event::new("auth.step_up")
                    .target("session", session)
                    .outcome("failure")
                    .detail(serde_json::json!({"method": "sso", "reason": e.reason(), "auth_time": claims.auth_time})),
            )
            .await?;
        }
        checked?;
        let ws = self.workspace(ws_id).await?;
        let until = self
            .now()
            .plus_seconds(ws.step_up_minutes.clamp(1, 60) * 60);
        self.inner.store.elevate_session(session, until).await?;
        self.audit_raw(
            ws_id,
            Some((user.id, &user.email)),
            Some(&client.ip),
            Event::new("auth.step_up")
                .target("session", session)
                .detail(serde_json::json!({"method": "sso", "until": until.to_rfc3339(), "auth_time": claims.auth_time})),
        )
        .await?;
        Ok(SsoFinish::SteppedUp {
            until,
            return_to: flow.return_to.clone(),
        })
    }

    /// The provider's account must be the user's own: their linked one, or
    /// (not linked yet) one with their verified email, linked now.
    async fn step_up_identity(
        &self,
        sso: &Sso,
        claims: &IdClaims,
        user: &UserRow,
        client: &SsoClient,
    ) -> Result<()> {
        let store = &self.inner.store;
        let issuer = sso.client.issuer();
        match store.sso_identity(issuer, &claims.subject).await? {
            Some(link) if link.user_id == user.id => Ok(()),
            Some(_) => Err(SsoError::WrongAccount.into()),
            None => {
                if store.sso_identity_of(user.id, issuer).await?.is_some() {
                    return Err(SsoError::WrongAccount.into());
                }
                if self.verified_email(claims)? != user.email {
                    return Err(SsoError::WrongAccount.into());
                }
                self.link(issuer, claims, user, client).await
            }
        }
    }

    async fn hand_code_to_cli(&self, flow: &SsoFlowRow, user: &UserRow) -> Result<SsoFinish> {
        let code = self.random_b64();
        let now = self.now();
        let row = SsoFlowRow {
            id: self.random_id(),
            key_hash: self
                .inner
                .token_hasher
                .hash_parts(&[b"sso-cli-code", code.as_bytes()]),
            kind: SsoFlowKind::CliCode,
            nonce: String::new(),
            verifier: None,
            browser_hash: String::new(),
            workspace_id: Some(user.workspace_id),
            user_id: Some(user.id),
            session_id: None,
            return_to: String::new(),
            client_challenge: flow.client_challenge.clone(),
            created_at: now,
            expires_at: now.plus_seconds(SSO_FLOW_SECS),
        };
        self.inner.store.insert_sso_flow(&row).await?;
        Ok(SsoFinish::Cli {
            redirect: with_query(&flow.return_to, &[("code", &code)]),
        })
    }

    /// The CLI exchanges its one-time code (and the verifier of the
    /// challenge it started with) for a bearer session.
    pub async fn sso_exchange_cli_code(
        &self,
        code: &str,
        verifier: &str,
        client: &SsoClient,
    ) -> Result<LoginOutcome> {
        self.sso()?;
        let key = self
            .inner
            .token_hasher
            .hash_parts(&[b"sso-cli-code", code.trim().as_bytes()]);
        let flow = self
            .inner
            .store
            .take_sso_flow(&key)
            .await?
            .filter(|f| f.kind == SsoFlowKind::CliCode && f.expires_at > self.now())
            .filter(|f| App::secrets_equal(&pkce_challenge(verifier), &f.client_challenge))
            .ok_or(SsoError::InvalidCode)?;
        let (Some(ws), Some(user_id)) = (flow.workspace_id, flow.user_id) else {
            return Err(SsoError::InvalidCode.into());
        };
        let user = self
            .inner
            .store
            .get_user(ws, user_id)
            .await?
            .ok_or(SsoError::InvalidCode)?;
        if !user.active {
            return Err(SsoError::UserDeactivated.into());
        }
        let claims = IdClaims {
            issuer: self.sso()?.client.issuer().to_owned(),
            ..IdClaims::default()
        };
        self.sso_session(&user, &claims, client, SessionKind::Bearer)
            .await
    }
}

fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    match url::Url::parse(base) {
        Ok(mut u) => {
            u.query_pairs_mut().extend_pairs(pairs);
            u.to_string()
        }
        Err(_) => base.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_redirects_are_accepted() {
        for ok in [
            "http://127.0.0.1:53123/callback",
            "http://[::1]:8000/",
            "http://localhost:9000/cb",
        ] {
            assert!(loopback(ok), "{ok}");
        }
        for bad in [
            "https://127.0.0.1:53123/",
            "http://127.0.0.1/",
            "http://example.test:8000/",
            "http://10.0.0.1:8000/",
            "http://user@127.0.0.1:8000/",
            "javascript:alert(1)",
            "http://127.0.0.1:8000/#x",
        ] {
            assert!(!loopback(bad), "{bad}");
        }
    }

    #[test]
    fn the_highest_mapped_group_wins() {
        let s = SsoSettings {
            role_claim: "groups".into(),
            role_map: vec![
                ("staff".into(), WorkspaceRole::User),
                ("it".into(), WorkspaceRole::SuperAdmin),
                ("helpdesk".into(), WorkspaceRole::Admin),
            ],
            ..SsoSettings::default()
        };
        let claims = |v: serde_json::Value| IdClaims {
            claims: serde_json::from_value(serde_json::json!({ "groups": v })).unwrap_or_default(),
            ..IdClaims::default()
        };
        assert_eq!(
            mapped_role(&s, &claims(serde_json::json!(["staff", "it", "helpdesk"]))),
            Some(WorkspaceRole::SuperAdmin)
        );
        assert_eq!(
            mapped_role(&s, &claims(serde_json::json!("helpdesk"))),
            Some(WorkspaceRole::Admin)
        );
        assert_eq!(mapped_role(&s, &claims(serde_json::json!(["other"]))), None);
        assert_eq!(mapped_role(&s, &IdClaims::default()), None);
    }

    #[test]
    fn pkce_s256_matches_rfc_7636() {
        // RFC 7636, appendix B.
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(local_path("/accounts/1"), "/accounts/1");
        for bad in ["//evil.test/", "https://evil.test/", "/\\evil.test", ""] {
            assert_eq!(local_path(bad), "/", "{bad}");
        }
    }
}
