//! Finishing a single sign-on flow: the provider's answer at the callback,
//! who the provider's account is (its linked user, else the user with
//! that verified email, else a new user when sign-up is on), roles mapped
//! from the groups claim, the session, a step-up's fresh authentication,
//! the CLI's one-time code and its exchange, and the audit of each
//! outcome. Starting a flow and the types are in `sso.rs`.

use crate::AuditAction;
use crate::audit::Event;
use crate::auth::{LoginOutcome, SessionOrigin};
use crate::invitations::InvitationState;
use crate::sso::{
    AUTH_TIME_SKEW_SECS, IdClaims, ProviderAnswer, SSO_FLOW_SECS, Sso, SsoClient, SsoError,
    SsoFinish, mapped_role, pkce_challenge,
};
use crate::{App, AppError, Result};
use orthrus_core::AuditOutcome;
use orthrus_core::AuditTarget;
use orthrus_crypto::Aad;
use orthrus_store::{InvitationRow, SessionKind, SsoFlowKind, SsoFlowRow, SsoIdentityRow, UserRow};

impl App {
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
            .store()
            .take_sso_flow(&key)
            .await?
            .filter(|f| {
                matches!(
                    f.kind,
                    SsoFlowKind::SignIn | SsoFlowKind::StepUp | SsoFlowKind::Cli
                ) && f.expires_at > self.now()
            })
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
                let e = SsoError::Provider(m.to_string());
                self.sso_refused(None, &e, client, flow.kind).await?;
                return Err(e.into());
            }
        };
        match flow.kind {
            SsoFlowKind::StepUp => self.finish_step_up(sso, flow, &claims, client).await,
            SsoFlowKind::CliCode | SsoFlowKind::TotpPending => Err(SsoError::FlowExpired.into()),
            SsoFlowKind::SignIn | SsoFlowKind::Cli => {
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
                    // The user's own code, if they have one, comes with the exchange.
                    return self.hand_code_to_cli(flow, &user).await;
                }
                if App::sso_needs_totp(sso, &user) {
                    return self.hold_for_totp(&user, &flow.return_to).await;
                }
                let login = self
                    .sso_session(&user, issuer_of(sso), client, SessionKind::Cookie)
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
    /// when sign-up is on. Roles are mapped on the way. A guest whose access
    /// ended is refused like a deactivated user, before any sweep.
    async fn sso_user(&self, sso: &Sso, claims: &IdClaims, client: &SsoClient) -> Result<UserRow> {
        let store = self.store();
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
                    if !u.usable_at(self.now()) {
                        return Err(SsoError::UserDeactivated.into());
                    }
                    self.link(issuer, claims, &u, client).await?;
                    u
                }
                None if sso.settings.allow_signup => {
                    self.create_sso_user(sso, claims, &email, client).await?
                }
                None if self.pending_invitation(&email).await?.is_some() => {
                    return Err(SsoError::UseInvitation.into());
                }
                None => return Err(SsoError::UnknownUser(email).into()),
            }
        };
        if !user.usable_at(self.now()) {
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
        self.store()
            .link_sso_identity(&row)
            .await
            .map_err(already_linked)?;
        self.audit_as_user(
            user,
            &client.ip,
            Event::new(AuditAction::UserSsoLink)
                .target(AuditTarget::User, user.id)
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
        if let Some(inv) = self.pending_invitation(email).await? {
            return self
                .accept_invitation_by_sso(sso, claims, inv, client)
                .await;
        }
        let ws = self
            .store()
            .list_workspaces()
            .await?
            .into_iter()
            .next()
            .ok_or(AppError::Internal("no workspace to add the user to".into()))?;
        let role = mapped_role(&sso.settings, claims)
            .filter(|r| !r.access_must_end())
            .unwrap_or(sso.settings.default_role);
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
        self.store()
            .create_user(&user)
            .await
            // Someone else's sign-in created them a moment ago.
            .map_err(already_linked)?;
        self.audit_as_user(
            &user,
            &client.ip,
            Event::new(AuditAction::UserCreate)
                .target(AuditTarget::User, user.id)
                .detail(serde_json::json!({"email": email, "role": role, "via": "sso"})),
        )
        .await?;
        self.link(sso.client.issuer(), claims, &user, client)
            .await?;
        Ok(user)
    }

    /// A pending invitation for `email`, in any workspace.
    async fn pending_invitation(&self, email: &str) -> Result<Option<InvitationRow>> {
        let store = self.store();
        let now = self.now();
        for ws in store.list_workspaces().await? {
            if let Some(inv) = store.list_invitations(ws.id).await?.into_iter().find(|i| {
                i.email == email && InvitationState::of(i, now) == InvitationState::Pending
            }) {
                return Ok(Some(inv));
            }
        }
        Ok(None)
    }

    /// Sign-up of someone who was invited: the invitation's workspace, role
    /// and end of access (a guest stays a guest), and the invitation is
    /// used, as accepting its link would.
    async fn accept_invitation_by_sso(
        &self,
        sso: &Sso,
        claims: &IdClaims,
        inv: InvitationRow,
        client: &SsoClient,
    ) -> Result<UserRow> {
        let now = self.now();
        if inv.access_expires_at.is_some_and(|end| end <= now) {
            return Err(SsoError::InvitationEnded.into());
        }
        let password = self.random_b64();
        let name: String = claims
            .name
            .as_deref()
            .unwrap_or("")
            .chars()
            .take(100)
            .collect();
        let user = UserRow {
            access_expires_at: inv.access_expires_at,
            ..self
                .new_user_row(inv.workspace_id, &inv.email, &name, inv.role, &password)
                .await?
        };
        let accepted = self
            .store()
            .accept_invitation(inv.id, &user, now)
            .await
            .map_err(already_linked)?;
        if !accepted {
            // Used or withdrawn a moment ago.
            return Err(SsoError::FlowExpired.into());
        }
        let who = Some((user.id, inv.email.as_str()));
        self.audit_raw(
            inv.workspace_id,
            who,
            Some(&client.ip),
            Event::new(AuditAction::UserCreate)
                .target(AuditTarget::User, user.id)
                .detail(serde_json::json!({"email": inv.email, "role": inv.role, "via": "sso"})),
        )
        .await?;
        self.audit_raw(
            inv.workspace_id,
            who,
            Some(&client.ip),
            Event::new(AuditAction::InvitationAccept)
                .target(AuditTarget::Invitation, inv.id)
                .detail(serde_json::json!({"user_id": user.id.to_string(), "invited_by": inv.invited_by.to_string(), "via": "sso"})),
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
        // Guests' access carries an end date that only people set: the
        // directory neither makes nor unmakes a guest.
        if role == user.role || role.access_must_end() || user.role.access_must_end() {
            return Ok(user);
        }
        if user.role.is_owner() && !role.is_owner() {
            let others = self
                .store()
                .list_users(user.workspace_id)
                .await?
                .into_iter()
                .filter(|u| u.id != user.id && u.active && u.role.is_owner())
                .count();
            if others == 0 {
                return Ok(user);
            }
        }
        self.store()
            .set_user_role(user.workspace_id, user.id, role, self.now())
            .await?;
        self.access_changed(user.workspace_id, user.id);
        // The SCIM token they made ends with their Owner rights, as when
        // a role is changed by hand.
        self.revoke_scim_token_of(user.workspace_id, user.id, "creator_role_changed")
            .await?;
        self.audit_as_user(
            &user,
            &client.ip,
            Event::new(AuditAction::UserRoleChange)
                .target(AuditTarget::User, user.id)
                .detail(serde_json::json!({"from": user.role, "to": role, "via": "sso"})),
        )
        .await?;
        user.role = role;
        Ok(user)
    }

    pub(crate) async fn sso_session(
        &self,
        user: &UserRow,
        issuer: &str,
        client: &SsoClient,
        kind: SessionKind,
    ) -> Result<LoginOutcome> {
        let from = SessionOrigin {
            ip: &client.ip,
            user_agent: &client.user_agent,
            kind,
        };
        let detail = serde_json::json!({"kind": kind.as_str(), "issuer": issuer, "user_agent": client.user_agent});
        self.open_session(user, from, AuditAction::AuthSsoLogin, detail)
            .await
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
        let store = self.store();
        let email = claims.and_then(|c| c.email.clone());
        // Only someone the provider vouched for is named as the actor: the
        // user linked to this account, else the owner of a verified email.
        // An unverified claim is only said in the detail.
        let user = match claims {
            Some(c) => match store
                .sso_identity(issuer_of(self.sso()?), &c.subject)
                .await?
            {
                Some(link) => store.get_user(link.workspace_id, link.user_id).await?,
                None => match self.verified_email(c) {
                    Ok(verified) => store.find_user_by_email(&verified).await?,
                    Err(_) => None,
                },
            },
            None => None,
        };
        let ws = match &user {
            Some(u) => Some(u.workspace_id),
            None => store.list_workspaces().await?.first().map(|w| w.id),
        };
        let Some(ws) = ws else { return Ok(()) };
        let action = if kind == SsoFlowKind::StepUp {
            AuditAction::AuthStepUp
        } else {
            AuditAction::AuthSsoLogin
        };
        self.audit_raw(
            ws,
            user.as_ref().map(|u| (u.id, u.email.as_str())),
            Some(&client.ip),
            Event::new(action)
                .outcome(AuditOutcome::Failure)
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
            .store()
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
            self.audit_as_user(
                &user,
                &client.ip,
                Event::new(AuditAction::AuthStepUp)
                    .target(AuditTarget::Session, session)
                    .outcome(AuditOutcome::Failure)
                    .detail(serde_json::json!({"method": "sso", "reason": e.reason(), "auth_time": claims.auth_time})),
            )
            .await?;
        }
        checked?;
        let until = self.elevate_session(ws_id, session).await?;
        self.audit_as_user(
            &user,
            &client.ip,
            Event::new(AuditAction::AuthStepUp)
                .target(AuditTarget::Session, session)
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
        let store = self.store();
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
        let key_hash = self
            .inner
            .token_hasher
            .hash_parts(&[b"sso-cli-code", code.as_bytes()]);
        let row = SsoFlowRow {
            client_challenge: flow.client_challenge.clone(),
            ..self.held_flow(user, SsoFlowKind::CliCode, key_hash, SSO_FLOW_SECS)
        };
        self.store().insert_sso_flow(&row).await?;
        Ok(SsoFinish::Cli {
            redirect: with_query(&flow.return_to, &[("code", &code)]),
        })
    }

    /// The CLI exchanges its one-time code (and the verifier of the
    /// challenge it started with) for a bearer session. A user with their
    /// own TOTP gives its code too (`totp`); without it, or with a wrong
    /// one, the code stays usable until it expires.
    pub async fn sso_exchange_cli_code(
        &self,
        code: &str,
        verifier: &str,
        totp: Option<&str>,
        client: &SsoClient,
    ) -> Result<LoginOutcome> {
        let sso = self.sso()?;
        let key = self
            .inner
            .token_hasher
            .hash_parts(&[b"sso-cli-code", code.trim().as_bytes()]);
        let flow = self
            .store()
            .take_sso_flow(&key)
            .await?
            .filter(|f| f.kind == SsoFlowKind::CliCode && f.expires_at > self.now())
            .filter(|f| App::secrets_equal(&pkce_challenge(verifier), &f.client_challenge))
            .ok_or(SsoError::InvalidCode)?;
        let user = self.held_user(&flow).await.map_err(|e| match e {
            AppError::Sso(SsoError::FlowExpired) => SsoError::InvalidCode.into(),
            e => e,
        })?;
        self.sso_second_factor(sso, &flow, &user, totp, client)
            .await?;
        self.sso_session(&user, issuer_of(sso), client, SessionKind::Bearer)
            .await
    }
}

fn issuer_of(sso: &Sso) -> &str {
    sso.client.issuer()
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

/// A store conflict on linking, creating or accepting for an SSO user:
/// someone else's sign-in got there a moment ago.
fn already_linked(e: orthrus_store::StoreError) -> AppError {
    match e {
        orthrus_store::StoreError::Conflict(_) => AppError::Sso(SsoError::AlreadyLinked),
        e => e.into(),
    }
}
