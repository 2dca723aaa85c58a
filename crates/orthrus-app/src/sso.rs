//! Single sign-on with OpenID Connect: the types, what the configuration
//! says, and starting a sign-in, a step-up or the CLI's sign-in: the flow
//! row that holds state, nonce and the sealed PKCE verifier in the
//! database (so the provider's answer may land on any node), and `sso_only`.
//! Finishing a flow is `sso_finish.rs`.
//!
//! The provider itself (discovery, the token request, ID token signatures)
//! is behind [`OidcClient`]; the binary wires an HTTP implementation
//! (`orthrus-oidc`), tests a stand-in. This module knows no HTTP.

use crate::InvalidCode;
use crate::auth::LoginOutcome;
use crate::{Actor, App, AppError, Result};
use base64::Engine;
use orthrus_core::{Timestamp, WorkspaceRole};
use orthrus_store::{SsoFlowKind, SsoFlowRow, UserRow};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// How long the round trip to the provider, and a CLI's one-time code, last.
pub const SSO_FLOW_SECS: i64 = 600;
/// How far the provider's clock may be behind ours when a step-up checks
/// `auth_time` against the moment it was asked for.
pub const AUTH_TIME_SKEW_SECS: i64 = 30;
/// How long a sign-in waits for the user's own TOTP code after the
/// provider vouched for them.
pub const SSO_TOTP_SECS: i64 = 300;
/// How many sign-ins one client address may start in `SSO_FLOW_SECS`
/// (each writes a flow row before anyone is known).
pub const SSO_STARTS_PER_ADDRESS: i64 = 60;

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

/// Why the provider's step failed: the implementation's own error (for
/// `orthrus-oidc`, its `OidcError`), whose words are for people and never
/// carry a secret. The use cases only show it (`sso.provider_error`).
pub type ProviderError = Box<dyn std::error::Error + Send + Sync>;

/// The provider, as the use cases need it.
#[async_trait::async_trait]
pub trait OidcClient: Send + Sync + 'static {
    /// The issuer identifier, as configured (the `iss` tokens carry).
    fn issuer(&self) -> &str;
    /// The URL to send the browser to.
    async fn authorization_url(
        &self,
        req: &AuthorizationRequest,
    ) -> std::result::Result<String, ProviderError>;
    /// Redeems the code (with the PKCE verifier) and checks the ID token
    /// against `nonce`.
    async fn redeem(
        &self,
        code: &str,
        verifier: &str,
        nonce: &str,
    ) -> std::result::Result<IdClaims, ProviderError>;
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
    /// The provider's own MFA is enough: users with Orthrus TOTP are not
    /// asked for their code after signing in through the provider.
    pub trust_provider_mfa: bool,
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
            trust_provider_mfa: false,
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
    pub(crate) client: Arc<dyn OidcClient>,
    pub(crate) settings: SsoSettings,
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
    #[error("that authentication code is wrong; enter the current one from your authenticator app")]
    InvalidTotp,
    #[error("too many sign-ins were started from this address; wait a few minutes and try again")]
    TooManyFlows,
    #[error(
        "the access your invitation offered has already ended; ask the person who invited you for a new one"
    )]
    InvitationEnded,
    #[error(
        "you were invited to Orthrus but have not joined yet: open the invitation link from your email first, then sign in with single sign-on"
    )]
    UseInvitation,
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
            Self::InvalidTotp => "sso.invalid_totp",
            Self::TooManyFlows => "sso.too_many_flows",
            Self::InvitationEnded => "sso.invitation_ended",
            Self::UseInvitation => "sso.use_invitation",
        }
    }

    /// The reason recorded in the audit log.
    pub(crate) fn reason(&self) -> &'static str {
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
    /// The user has Orthrus TOTP: keep `token` (in an HttpOnly cookie) and
    /// ask for their code (`App::sso_finish_totp`) before `expires_at`.
    TotpNeeded {
        token: String,
        expires_at: Timestamp,
    },
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
pub(crate) fn mapped_role(settings: &SsoSettings, claims: &IdClaims) -> Option<WorkspaceRole> {
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
        Arc::clone(&self.inner.clock)
    }

    /// Whether single sign-on is on, and how it is shown.
    pub fn sso_info(&self) -> Option<SsoInfo> {
        self.inner.sso.get().map(|s| SsoInfo {
            provider_name: s.settings.provider_name.clone(),
            sso_only: s.settings.sso_only,
        })
    }

    pub(crate) fn sso(&self) -> Result<&Sso> {
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

    pub(crate) fn random_b64(&self) -> String {
        let mut b = [0u8; 32];
        self.rng().fill(&mut b);
        b64(&b)
    }

    async fn start_flow(
        &self,
        kind: SsoFlowKind,
        mut row: SsoFlowRow,
        browser: bool,
        ip: Option<&str>,
    ) -> Result<SsoStart> {
        let sso = self.sso()?;
        let now = self.now();
        if let Some(ip) = ip {
            self.count_flow_start(ip).await?;
        }
        // Old flows go when new ones start: no sweeper needed.
        self.store().purge_sso_flows(now).await?;
        let state = self.random_b64();
        let verifier = self.random_b64();
        row.id = self.random_id();
        row.key_hash = self
            .inner
            .token_hasher
            .hash_parts(&[b"sso-state", state.as_bytes()]);
        row.kind = kind;
        row.nonce = self.random_b64();
        row.verifier = Some(self.seal("sso_flows", &row.id, "verifier", &verifier)?);
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
            .map_err(|e| SsoError::Provider(e.to_string()))?;
        self.store().insert_sso_flow(&row).await?;
        Ok(SsoStart {
            authorization_url: url,
            browser_token,
            expires_at: row.expires_at,
        })
    }

    /// Anyone may start a sign-in, and each start writes a row: one client
    /// address gets `SSO_STARTS_PER_ADDRESS` per `SSO_FLOW_SECS`, counted in
    /// the database's throttle table (as failed sign-ins are), so every
    /// node sees the same count.
    async fn count_flow_start(&self, ip: &str) -> Result<()> {
        let now = self.now();
        let row = self
            .store()
            .record_failure(
                &format!("sso-start:{ip}"),
                now,
                SSO_FLOW_SECS,
                // The start past the allowance locks the address.
                SSO_STARTS_PER_ADDRESS + 1,
                SSO_FLOW_SECS,
            )
            .await?;
        if row.locked_until.is_some_and(|until| until > now) {
            return Err(SsoError::TooManyFlows.into());
        }
        Ok(())
    }

    pub(crate) fn browser_hash(&self, token: &str) -> String {
        self.inner
            .token_hasher
            .hash_parts(&[b"sso-browser", token.as_bytes()])
    }

    /// A flow that holds a user the provider vouched for until a later step
    /// (their TOTP code, the CLI's code exchange), for `secs`; found again
    /// by `key_hash`.
    pub(crate) fn held_flow(
        &self,
        user: &UserRow,
        kind: SsoFlowKind,
        key_hash: String,
        secs: i64,
    ) -> SsoFlowRow {
        let now = self.now();
        SsoFlowRow {
            id: self.random_id(),
            key_hash,
            kind,
            nonce: String::new(),
            verifier: None,
            browser_hash: String::new(),
            workspace_id: Some(user.workspace_id),
            user_id: Some(user.id),
            session_id: None,
            return_to: String::new(),
            client_challenge: String::new(),
            created_at: now,
            expires_at: now.plus_seconds(secs),
        }
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

    /// Starts a browser sign-in from client address `ip`; afterwards the
    /// browser goes to `next` (a local path).
    pub async fn sso_begin_sign_in(&self, next: &str, ip: &str) -> Result<SsoStart> {
        let mut row = self.blank_flow();
        row.return_to = local_path(next);
        self.start_flow(SsoFlowKind::SignIn, row, true, Some(ip))
            .await
    }

    /// Starts a fresh authentication that elevates the actor's session.
    pub async fn sso_begin_step_up(&self, actor: &Actor, return_to: &str) -> Result<SsoStart> {
        let Some(session) = actor.session_id() else {
            return Err(AppError::invalid(
                InvalidCode::StepUpUnsupported,
                "step-up elevates a signed-in session; API tokens cannot be elevated",
            ));
        };
        let mut row = self.blank_flow();
        row.workspace_id = Some(actor.workspace_id);
        row.user_id = Some(actor.user_id);
        row.session_id = Some(session);
        row.return_to = local_path(return_to);
        self.start_flow(SsoFlowKind::StepUp, row, true, None).await
    }

    /// Starts the command line's sign-in: the one-time code goes to
    /// `redirect_uri` (a loopback address), to be exchanged with the
    /// verifier of `code_challenge`. `ip` is the client's address.
    pub async fn sso_begin_cli(
        &self,
        redirect_uri: &str,
        code_challenge: &str,
        ip: &str,
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
        self.start_flow(SsoFlowKind::Cli, row, false, Some(ip))
            .await
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
