//! The `[sso]` section (OpenID Connect sign-in) and its `ORTHRUS_SSO_…`
//! variables; see docs/sso.md. Off while `issuer` is empty.

use anyhow::{Context, bail};
use orthrus_core::{SecretString, WorkspaceRole};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SsoConfig {
    /// The provider's issuer URL (discovery is read from
    /// `<issuer>/.well-known/openid-configuration`); empty: SSO is off.
    pub issuer: String,
    pub client_id: String,
    /// Better given as `ORTHRUS_SSO_CLIENT_SECRET`.
    pub client_secret: SecretString,
    /// The button reads "Sign in with <provider_name>".
    pub provider_name: String,
    /// Scopes asked for (`openid` is always added).
    pub scopes: Vec<String>,
    /// Create people the provider vouches for on their first sign-in.
    pub allow_signup: bool,
    /// The role of people created at sign-in when no group maps to one.
    pub default_role: String,
    /// The ID token claim that lists the person's groups (for `role_map`).
    pub role_claim: String,
    /// Group name (as the claim says it) -> workspace role; the highest wins.
    pub role_map: BTreeMap<String, String>,
    /// Turn password sign-in off, except for `break_glass`.
    pub sso_only: bool,
    /// Emails of workspace Owners who may still sign in with their password.
    pub break_glass: Vec<String>,
    /// Users with their own Orthrus TOTP are not asked for its code after
    /// signing in through the provider (its MFA is trusted instead).
    pub trust_provider_mfa: bool,
}

impl Default for SsoConfig {
    fn default() -> Self {
        Self {
            issuer: String::new(),
            client_id: String::new(),
            client_secret: SecretString::default(),
            provider_name: String::new(),
            scopes: vec!["openid".into(), "email".into(), "profile".into()],
            allow_signup: false,
            default_role: "user".into(),
            role_claim: String::new(),
            role_map: BTreeMap::new(),
            sso_only: false,
            break_glass: Vec::new(),
            trust_provider_mfa: false,
        }
    }
}

fn list(v: &str) -> Vec<String> {
    v.split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn flag(k: &str, v: &str) -> anyhow::Result<bool> {
    Ok(match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => true,
        "0" | "false" | "no" | "off" | "" => false,
        other => bail!("{k} must be true or false, got {other:?}"),
    })
}

/// Applies the `ORTHRUS_SSO_…` variables.
pub fn apply_env(c: &mut SsoConfig, get: &impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
    if let Some(v) = get("ORTHRUS_SSO_ISSUER") {
        c.issuer = v.trim().to_owned();
    }
    if let Some(v) = get("ORTHRUS_SSO_CLIENT_ID") {
        c.client_id = v.trim().to_owned();
    }
    if let Some(v) = get("ORTHRUS_SSO_CLIENT_SECRET") {
        c.client_secret = SecretString::new(v.trim().to_owned());
    }
    if let Some(v) = get("ORTHRUS_SSO_PROVIDER_NAME") {
        c.provider_name = v.trim().to_owned();
    }
    if let Some(v) = get("ORTHRUS_SSO_SCOPES") {
        c.scopes = list(&v);
    }
    if let Some(v) = get("ORTHRUS_SSO_ALLOW_SIGNUP") {
        c.allow_signup = flag("ORTHRUS_SSO_ALLOW_SIGNUP", &v)?;
    }
    if let Some(v) = get("ORTHRUS_SSO_DEFAULT_ROLE") {
        c.default_role = v.trim().to_owned();
    }
    if let Some(v) = get("ORTHRUS_SSO_ROLE_CLAIM") {
        c.role_claim = v.trim().to_owned();
    }
    if let Some(v) = get("ORTHRUS_SSO_ROLE_MAP") {
        c.role_map = v
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.split_once('=')
                    .map(|(g, r)| (g.trim().to_owned(), r.trim().to_owned()))
                    .with_context(|| {
                        format!(
                            "ORTHRUS_SSO_ROLE_MAP: {p:?} is not group=role (e.g. it-admins=admin)"
                        )
                    })
            })
            .collect::<anyhow::Result<_>>()?;
    }
    if let Some(v) = get("ORTHRUS_SSO_ONLY") {
        c.sso_only = flag("ORTHRUS_SSO_ONLY", &v)?;
    }
    if let Some(v) = get("ORTHRUS_SSO_BREAK_GLASS") {
        c.break_glass = list(&v);
    }
    if let Some(v) = get("ORTHRUS_SSO_TRUST_PROVIDER_MFA") {
        c.trust_provider_mfa = flag("ORTHRUS_SSO_TRUST_PROVIDER_MFA", &v)?;
    }
    Ok(())
}

fn role(v: &str, what: &str) -> anyhow::Result<WorkspaceRole> {
    let r: WorkspaceRole = v.trim().parse().map_err(|_| {
        anyhow::anyhow!("{what}: {v:?} is not a role (owner, super-admin, admin or user)")
    })?;
    if r.access_must_end() {
        bail!(
            "{what}: single sign-on does not make guests (their access needs an end date, set in Orthrus); use owner, super-admin, admin or user"
        );
    }
    Ok(r)
}

impl SsoConfig {
    pub fn enabled(&self) -> bool {
        !self.issuer.is_empty()
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        if !self.enabled() {
            if self.sso_only {
                bail!("sso.sso_only needs single sign-on: set sso.issuer too");
            }
            return Ok(());
        }
        let u = url::Url::parse(&self.issuer)
            .with_context(|| format!("sso.issuer is not a URL: {:?}", self.issuer))?;
        // Plain http only on this machine (a local test provider): the
        // provider's keys and the client secret travel over this connection.
        let loopback = matches!(
            u.host(),
            Some(url::Host::Ipv4(a)) if a.is_loopback()
        ) || matches!(u.host(), Some(url::Host::Ipv6(a)) if a.is_loopback())
            || u.host_str() == Some("localhost");
        let scheme_ok = u.scheme() == "https" || (u.scheme() == "http" && loopback);
        if !scheme_ok || u.query().is_some() || u.fragment().is_some() {
            bail!(
                "sso.issuer must be an https:// URL without query or fragment (http:// only for a provider on 127.0.0.1 or localhost), got {:?}",
                self.issuer
            );
        }
        if self.client_id.trim().is_empty() {
            bail!("sso.client_id is required with sso.issuer");
        }
        if self.client_secret.expose().is_empty() {
            bail!("sso.client_secret (or ORTHRUS_SSO_CLIENT_SECRET) is required with sso.issuer");
        }
        role(&self.default_role, "sso.default_role")?;
        for (group, r) in &self.role_map {
            role(r, &format!("sso.role_map.{group}"))?;
        }
        if !self.role_map.is_empty() && self.role_claim.trim().is_empty() {
            bail!(
                "sso.role_map needs sso.role_claim (the claim that lists groups, e.g. \"groups\")"
            );
        }
        if self.sso_only && self.break_glass.is_empty() {
            tracing::warn!(
                "sso.sso_only is on and sso.break_glass is empty: if the identity provider is down, nobody can sign in"
            );
        }
        Ok(())
    }

    /// The provider's name for the button: `provider_name`, else the
    /// issuer's host.
    pub fn provider_name(&self) -> String {
        if !self.provider_name.trim().is_empty() {
            return self.provider_name.trim().to_owned();
        }
        url::Url::parse(&self.issuer)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "SSO".into())
    }

    /// What the app needs to decide who may sign in.
    pub fn settings(&self) -> anyhow::Result<orthrus_app::SsoSettings> {
        Ok(orthrus_app::SsoSettings {
            provider_name: self.provider_name(),
            allow_signup: self.allow_signup,
            default_role: role(&self.default_role, "sso.default_role")?,
            role_claim: self.role_claim.trim().to_owned(),
            role_map: self
                .role_map
                .iter()
                .map(|(g, r)| Ok((g.clone(), role(r, "sso.role_map")?)))
                .collect::<anyhow::Result<_>>()?,
            sso_only: self.sso_only,
            break_glass: self
                .break_glass
                .iter()
                .map(|e| e.trim().to_lowercase())
                .collect(),
            trust_provider_mfa: self.trust_provider_mfa,
        })
    }

    /// The relying party's settings; the redirect URI comes from the
    /// public URL.
    pub fn oidc(&self, public_url: &str) -> orthrus_oidc::OidcConfig {
        orthrus_oidc::OidcConfig {
            issuer: self.issuer.clone(),
            client_id: self.client_id.trim().to_owned(),
            client_secret: self.client_secret.clone(),
            scopes: self.scopes.clone(),
            redirect_uri: format!("{}/sso/callback", public_url.trim_end_matches('/')),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn env_variables_fill_the_section() {
        let vars = [
            ("ORTHRUS_SSO_ISSUER", "https://id.example.test/realms/acme"),
            ("ORTHRUS_SSO_CLIENT_ID", "orthrus"),
            ("ORTHRUS_SSO_CLIENT_SECRET", "s3cret"),
            ("ORTHRUS_SSO_SCOPES", "openid email groups"),
            ("ORTHRUS_SSO_ALLOW_SIGNUP", "true"),
            ("ORTHRUS_SSO_ROLE_CLAIM", "groups"),
            ("ORTHRUS_SSO_ROLE_MAP", "it-admins=admin, owners=owner"),
            ("ORTHRUS_SSO_ONLY", "yes"),
            ("ORTHRUS_SSO_BREAK_GLASS", "Boss@Acme.test"),
            ("ORTHRUS_SSO_TRUST_PROVIDER_MFA", "true"),
        ];
        let mut c = SsoConfig::default();
        apply_env(&mut c, &|k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        })
        .unwrap();
        c.validate().unwrap();
        assert_eq!(c.scopes, ["openid", "email", "groups"]);
        assert_eq!(c.provider_name(), "id.example.test");
        let s = c.settings().unwrap();
        assert!(s.allow_signup && s.sso_only && s.trust_provider_mfa);
        assert_eq!(s.break_glass, ["boss@acme.test"]);
        assert!(!SsoConfig::default().settings().unwrap().trust_provider_mfa);
        assert!(
            s.role_map
                .contains(&("owners".into(), WorkspaceRole::Owner))
        );
        assert_eq!(
            c.oidc("https://orthrus.example.test/").redirect_uri,
            "https://orthrus.example.test/sso/callback"
        );
        // The secret never shows in debug output (logs).
        assert!(!format!("{c:?}").contains("s3cret"));
    }

    #[test]
    fn mistakes_are_refused_at_start() {
        let ok = SsoConfig {
            issuer: "https://id.example.test".into(),
            client_id: "orthrus".into(),
            client_secret: SecretString::new("x"),
            ..SsoConfig::default()
        };
        ok.validate().unwrap();
        let broken = [
            SsoConfig {
                client_secret: SecretString::default(),
                ..ok.clone()
            },
            SsoConfig {
                client_id: String::new(),
                ..ok.clone()
            },
            SsoConfig {
                issuer: "id.example.test".into(),
                ..ok.clone()
            },
            SsoConfig {
                issuer: "http://id.example.test".into(),
                ..ok.clone()
            },
            SsoConfig {
                default_role: "emperor".into(),
                ..ok.clone()
            },
            SsoConfig {
                default_role: "guest".into(),
                ..ok.clone()
            },
            SsoConfig {
                role_map: [("g".to_owned(), "admin".to_owned())].into(),
                ..ok.clone()
            },
            SsoConfig {
                sso_only: true,
                issuer: String::new(),
                ..ok.clone()
            },
        ];
        for b in broken {
            assert!(b.validate().is_err(), "{b:?}");
        }
        assert!(
            apply_env(&mut SsoConfig::default(), &|k| (k
                == "ORTHRUS_SSO_ROLE_MAP")
                .then(|| "no-equals".to_owned()))
            .is_err()
        );
    }
}
