//! Sign-in, sessions and bearer tokens (checking them), step-up, and
//! first-run setup; a member's own sessions and API tokens are `sessions.rs`.

use crate::AuditAction;
use crate::InvalidCode;
use crate::audit::Event;
use crate::{Actor, App, AppError, Entity, Result, Via, normalize_email, validate_user_password};
use orthrus_core::AuditOutcome;
use orthrus_core::AuditTarget;
use orthrus_core::{SessionId, Timestamp, UserId, WorkspaceId, WorkspaceRole};
use orthrus_crypto::constant_time_eq;
use orthrus_store::{
    CredentialKind, CredentialRow, SessionKind, SessionRow, UserRow, WorkspaceRow,
};

/// A sign-in attempt.
#[derive(Clone, Debug)]
pub struct LoginRequest {
    pub email: String,
    pub password: orthrus_core::SecretString,
    /// The user's own TOTP code, or one of their recovery codes.
    pub totp: Option<String>,
    pub ip: String,
    pub user_agent: String,
    pub kind: SessionKind,
}

/// A successful sign-in: the bearer/cookie token is shown only here.
#[derive(Debug)]
pub struct LoginOutcome {
    pub token: orthrus_core::SecretString,
    pub session_id: SessionId,
    pub expires_at: Timestamp,
    pub user_id: UserId,
    pub workspace_id: WorkspaceId,
    pub must_enroll_2fa: bool,
}

/// Where a new session is opened from, as its row and the sign-in's
/// audit event record it.
#[derive(Clone, Copy)]
pub(crate) struct SessionOrigin<'a> {
    pub ip: &'a str,
    pub user_agent: &'a str,
    pub kind: SessionKind,
}

const SESSION_PREFIX: &str = "ors";
pub(crate) const API_TOKEN_PREFIX: &str = "ort";
/// `last_seen_at` is written at most this often per session.
const TOUCH_EVERY_MS: i64 = 60_000;

impl App {
    pub(crate) fn throttle_keys(&self, email: &str, ip: &str) -> (String, String) {
        (
            format!("email:{}", self.inner.token_hasher.hash(email)),
            format!("ip:{ip}"),
        )
    }

    /// Records the master key's id in the database on first use and refuses
    /// a different key later, so a wrong key never silently starts a second,
    /// unreadable vault.
    pub async fn bind_master_key(&self) -> Result<()> {
        let mine = self.inner.envelope.key_id();
        let stored = self
            .store()
            .put_setting_if_absent("master_key_id", &mine)
            .await?;
        // During a rotation the ring seals with the new key and still
        // holds the database's (see `master_key::check_key`).
        if stored != mine && !self.inner.envelope.has_key(&stored) {
            return Err(AppError::invalid(
                InvalidCode::MasterKeyMismatch,
                format!(
                    "this database was encrypted with master key {stored}, but the key in use is {mine}: set ORTHRUS_MASTER_KEY or restore <data-dir>/master.key from your backup"
                ),
            ));
        }
        Ok(())
    }

    /// True when no user exists yet (first run).
    pub async fn setup_needed(&self) -> Result<bool> {
        Ok(self.store().count_users().await? == 0)
    }

    /// First-run setup: creates the workspace and its Owner. Refused once any
    /// user exists.
    pub async fn bootstrap(
        &self,
        workspace_name: &str,
        email: &str,
        name: &str,
        password: &str,
        ip: &str,
    ) -> Result<UserId> {
        let ws_name = workspace_name.trim();
        if ws_name.is_empty() || ws_name.chars().count() > 100 {
            return Err(AppError::invalid(
                InvalidCode::WorkspaceInvalidName,
                "give the workspace a name (up to 100 characters)",
            ));
        }
        let email = normalize_email(email)?;
        validate_user_password(password)?;
        if !self.setup_needed().await? {
            return Err(AppError::SetupComplete);
        }
        let now = self.now();
        let ws = WorkspaceRow {
            id: WorkspaceId::new(self.inner.clock.as_ref(), self.rng()),
            name: ws_name.to_owned(),
            require_2fa: false,
            step_up_minutes: 10,
            created_at: now,
        };
        let user = self
            .new_user_row(ws.id, &email, name, WorkspaceRole::Owner, password)
            .await?;
        self.store()
            .bootstrap(&ws, &user)
            .await
            .map_err(|e| match e {
                orthrus_store::StoreError::Conflict(_) => AppError::SetupComplete,
                e => e.into(),
            })?;
        self.audit_raw(
            ws.id,
            Some((user.id, &email)),
            Some(ip),
            Event::new(AuditAction::SetupComplete).target(AuditTarget::User, user.id),
        )
        .await?;
        Ok(user.id)
    }

    /// Hashes a password off the async threads.
    pub(crate) async fn hash_password(&self, password: &str) -> Result<String> {
        let hasher = self.inner.hasher.clone();
        let rng = std::sync::Arc::clone(&self.inner.rng);
        let pw = password.to_owned();
        Ok(self
            .blocking(move || hasher.hash(&pw, rng.as_ref()))
            .await??)
    }

    pub(crate) async fn new_user_row(
        &self,
        ws: WorkspaceId,
        email: &str,
        name: &str,
        role: WorkspaceRole,
        password: &str,
    ) -> Result<UserRow> {
        validate_user_password(password)?;
        let name = name.trim();
        if name.chars().count() > 100 {
            return Err(AppError::invalid(
                InvalidCode::UserInvalidName,
                "names are at most 100 characters",
            ));
        }
        let hash = self.hash_password(password).await?;
        let now = self.now();
        Ok(UserRow {
            id: UserId::new(self.inner.clock.as_ref(), self.rng()),
            workspace_id: ws,
            email: email.to_owned(),
            name: if name.is_empty() {
                email.split('@').next().unwrap_or(email).to_owned()
            } else {
                name.to_owned()
            },
            role,
            password_hash: hash,
            active: true,
            totp_secret: None,
            totp_enabled: false,
            totp_last_step: None,
            created_at: now,
            updated_at: now,
            access_expires_at: None,
        })
    }

    pub(crate) async fn verify_password(&self, password: &str, hash: &str) -> Result<bool> {
        let hasher = self.inner.hasher.clone();
        let (pw, h) = (password.to_owned(), hash.to_owned());
        self.blocking(move || hasher.verify(&pw, &h)).await
    }

    pub(crate) async fn locked(&self, key: &str) -> Result<Option<i64>> {
        let now = self.now();
        Ok(self
            .store()
            .get_throttle(key)
            .await?
            .and_then(|t| t.locked_until)
            .filter(|until| *until > now)
            .map(|until| (until.millis() - now.millis() + 999) / 1000))
    }

    /// Signs in. Every failure (unknown email, wrong password, deactivated
    /// user, wrong code) is the same `InvalidCredentials`; repeated failures
    /// lock the email and throttle the client address.
    pub async fn login(&self, req: LoginRequest) -> Result<LoginOutcome> {
        let email = req.email.trim().to_lowercase();
        self.password_sign_in_allowed(&email)?;
        let (email_key, ip_key) = self.throttle_keys(&email, &req.ip);
        for key in [&ip_key, &email_key] {
            if let Some(retry_after_secs) = self.locked(key).await? {
                return Err(AppError::Throttled { retry_after_secs });
            }
        }
        let user = self.store().find_user_by_email(&email).await?;
        let hash = user
            .as_ref()
            .map(|u| u.password_hash.clone())
            .unwrap_or_else(|| self.inner.dummy_hash.clone());
        let password_ok = self.verify_password(req.password.expose(), &hash).await?;
        let user = match user {
            Some(u) if password_ok && u.usable_at(self.now()) => u,
            other => {
                return Err(self
                    .login_failed(&email, &req, other.as_ref(), "bad_password")
                    .await);
            }
        };
        self.break_glass_holds(&user)?;
        if user.totp_enabled {
            match req.totp.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
                None => return Err(AppError::TotpRequired),
                Some(code) => {
                    if !self.check_user_second_factor(&user, code).await? {
                        return Err(self
                            .login_failed(&email, &req, Some(&user), "bad_code")
                            .await);
                    }
                }
            }
        }
        self.store().clear_throttle(&email_key).await?;
        let detail = serde_json::json!({"kind": req.kind.as_str(), "user_agent": req.user_agent});
        let from = SessionOrigin {
            ip: &req.ip,
            user_agent: &req.user_agent,
            kind: req.kind,
        };
        self.open_session(&user, from, AuditAction::AuthLogin, detail)
            .await
    }

    async fn login_failed(
        &self,
        email: &str,
        req: &LoginRequest,
        user: Option<&UserRow>,
        reason: &str,
    ) -> AppError {
        let (email_key, ip_key) = self.throttle_keys(email, &req.ip);
        let store = self.store();
        if let Err(e) = self.count_sign_in_failure(&email_key, &ip_key).await {
            return e;
        }
        // Unknown emails are recorded in the first workspace, so failures
        // against any address are visible to admins.
        let ws = match user {
            Some(u) => Some(u.workspace_id),
            None => store
                .list_workspaces()
                .await
                .ok()
                .and_then(|w| w.first().map(|w| w.id)),
        };
        if let Some(ws) = ws {
            // Only something shaped like an email is recorded: people do type
            // their password into the email field.
            let shown = if normalize_email(email).is_ok() {
                email.to_owned()
            } else {
                "(not an email address)".to_owned()
            };
            let ev = Event::new(AuditAction::AuthLogin)
                .outcome(AuditOutcome::Failure)
                .detail(serde_json::json!({"email": shown, "reason": reason}));
            if let Err(e) = self
                .audit_raw(
                    ws,
                    user.map(|u| (u.id, u.email.as_str())),
                    Some(&req.ip),
                    ev,
                )
                .await
            {
                return e;
            }
        }
        AppError::InvalidCredentials
    }

    /// Opens a session for `user`, who has just proved who they are (a
    /// password, single sign-on, a paired extension), and audits the sign-in
    /// as `action` with `detail` against the new session.
    pub(crate) async fn open_session(
        &self,
        user: &UserRow,
        from: SessionOrigin<'_>,
        action: AuditAction,
        detail: serde_json::Value,
    ) -> Result<LoginOutcome> {
        let ws = self.workspace(user.workspace_id).await?;
        let token = orthrus_crypto::new_token(SESSION_PREFIX, self.rng());
        let now = self.now();
        let ttl = match from.kind {
            SessionKind::Cookie => self.inner.config.session_hours * 3600,
            SessionKind::Bearer | SessionKind::Extension => self.inner.config.bearer_days * 86400,
        };
        let row = SessionRow {
            id: SessionId::new(self.inner.clock.as_ref(), self.rng()),
            workspace_id: user.workspace_id,
            user_id: user.id,
            token_hash: self.inner.token_hasher.hash(&token),
            kind: from.kind,
            created_at: now,
            last_seen_at: now,
            expires_at: now.plus_seconds(ttl),
            elevated_until: None,
            ip: from.ip.chars().take(64).collect(),
            user_agent: from.user_agent.chars().take(256).collect(),
            revoked_at: None,
        };
        self.store().create_session(&row).await?;
        let event = Event::new(action)
            .target(AuditTarget::Session, row.id)
            .detail(detail);
        self.audit_as_user(user, from.ip, event).await?;
        Ok(LoginOutcome {
            token: token.into(),
            session_id: row.id,
            expires_at: row.expires_at,
            user_id: user.id,
            workspace_id: user.workspace_id,
            must_enroll_2fa: ws.require_2fa && !user.totp_enabled,
        })
    }

    pub(crate) async fn workspace(&self, ws: WorkspaceId) -> Result<WorkspaceRow> {
        self.store()
            .get_workspace(ws)
            .await?
            .ok_or(AppError::Internal("workspace missing".into()))
    }

    /// Which table a bearer or cookie token is looked up in, and its hash.
    pub(crate) fn credential_key(&self, token: &str) -> (CredentialKind, String) {
        let hash = self.inner.token_hasher.hash(token.trim());
        let kind = if token.starts_with(API_TOKEN_PREFIX) {
            CredentialKind::ApiToken
        } else {
            CredentialKind::Session
        };
        (kind, hash)
    }

    /// Resolves a bearer or cookie token to an actor.
    pub async fn authenticate(&self, token: &str, ip: &str) -> Result<Actor> {
        let (kind, hash) = self.credential_key(token);
        let now = self.now();
        // One query each way: the credential with its user and workspace
        // (`HotPath`); a missing user is a missing credential.
        let found = match kind {
            CredentialKind::ApiToken => self
                .store()
                .api_token_with_user(&hash)
                .await?
                .map(|(t, u, w)| (CredentialRow::ApiToken(t), u, w)),
            CredentialKind::Session => self
                .store()
                .session_with_user(&hash)
                .await?
                .map(|(s, u, w)| (CredentialRow::Session(s), u, w)),
        };
        self.credential_actor(found, ip, now).await
    }

    /// What every authenticated request checks of the credential it found
    /// (with its user and workspace, read at `now`): revocation, expiry,
    /// the user's standing; the last use is written at most once a minute.
    /// [`App::authenticate`] and the one-statement code view
    /// ([`App::otp_code_with_token`]) both come through here.
    pub(crate) async fn credential_actor(
        &self,
        found: Option<(CredentialRow, UserRow, WorkspaceRow)>,
        ip: &str,
        now: Timestamp,
    ) -> Result<Actor> {
        let (credential, user, ws) = found.ok_or(AppError::Unauthenticated)?;
        let (ws_id, via, elevated_until, session_kind) = match credential {
            CredentialRow::ApiToken(t) => {
                if t.revoked_at.is_some() || t.expires_at.is_some_and(|e| e <= now) {
                    return Err(AppError::Unauthenticated);
                }
                if t.last_used_at
                    .is_none_or(|l| now.millis() - l.millis() > TOUCH_EVERY_MS)
                {
                    self.store().touch_api_token(t.id, now).await?;
                }
                (t.workspace_id, Via::ApiToken(t.id), None, None)
            }
            CredentialRow::Session(s) => {
                if s.revoked_at.is_some() || s.expires_at <= now {
                    return Err(AppError::Unauthenticated);
                }
                if now.millis() - s.last_seen_at.millis() > TOUCH_EVERY_MS {
                    self.store().touch_session(s.id, now).await?;
                }
                (
                    s.workspace_id,
                    Via::Session(s.id),
                    s.elevated_until,
                    Some(s.kind),
                )
            }
        };
        // A guest whose access ended is refused at once, before the sweep
        // revokes their sessions.
        if !user.usable_at(now) {
            return Err(AppError::Unauthenticated);
        }
        Ok(Actor {
            user_id: user.id,
            workspace_id: ws_id,
            email: user.email,
            name: user.name,
            role: user.role,
            via,
            elevated_until,
            must_enroll_2fa: ws.require_2fa && !user.totp_enabled,
            totp_enabled: user.totp_enabled,
            ip: ip.to_owned(),
            session_kind,
        })
    }

    /// The actor an automation job runs as: its requester, with the
    /// workspace's rules (a required 2FA enrolment stops the job). The
    /// identity check is the one taken when the job was started: it lasts
    /// `elevated_for_secs` from the start of the run (0: none).
    pub async fn job_actor(
        &self,
        job: &orthrus_store::JobRow,
        elevated_for_secs: i64,
    ) -> Result<Actor> {
        let (user, ws) = self
            .store()
            .get_user_and_workspace(job.workspace_id, job.requested_by)
            .await?
            .ok_or(AppError::NotFound(Entity::User))?;
        Ok(Actor {
            user_id: user.id,
            workspace_id: job.workspace_id,
            email: user.email,
            name: user.name,
            role: user.role,
            via: Via::Job(job.id),
            elevated_until: (elevated_for_secs > 0)
                .then(|| self.now().plus_seconds(elevated_for_secs)),
            must_enroll_2fa: ws.require_2fa && !user.totp_enabled,
            totp_enabled: user.totp_enabled,
            ip: format!("job {}", job.id),
            session_kind: None,
        })
    }

    /// An actor for local administrative commands (direct database access).
    pub async fn local_actor(&self, user: UserId, ws: WorkspaceId) -> Result<Actor> {
        let u = self
            .store()
            .get_user(ws, user)
            .await?
            .ok_or(AppError::NotFound(Entity::User))?;
        Ok(Actor {
            user_id: u.id,
            workspace_id: ws,
            email: u.email,
            name: u.name,
            role: u.role,
            via: Via::Local,
            elevated_until: None,
            must_enroll_2fa: false,
            totp_enabled: u.totp_enabled,
            ip: "local".into(),
            session_kind: None,
        })
    }

    /// Ends the current session (or revokes the API token used).
    pub async fn logout(&self, actor: &Actor) -> Result<()> {
        let now = self.now();
        match actor.via {
            Via::Session(s) => {
                self.store()
                    .revoke_session(actor.workspace_id, actor.user_id, s, now)
                    .await?;
                self.access_changed(actor.workspace_id, actor.user_id);
            }
            Via::ApiToken(t) => {
                self.store()
                    .revoke_api_token(actor.workspace_id, actor.user_id, t, now)
                    .await?;
                self.access_changed(actor.workspace_id, actor.user_id);
            }
            Via::Local | Via::Job(_) => {}
        }
        self.audit(actor, Event::new(AuditAction::AuthLogout)).await
    }

    /// Elevates the current session after re-checking the password (and the
    /// user's own TOTP when enrolled). Returns when the elevation ends.
    pub(crate) async fn step_up_uncounted(
        &self,
        actor: &Actor,
        password: &str,
        totp: Option<&str>,
    ) -> Result<Timestamp> {
        let Some(session) = actor.session_id() else {
            return Err(AppError::invalid(
                InvalidCode::StepUpUnsupported,
                "step-up elevates a signed-in session; API tokens cannot be elevated",
            ));
        };
        let (email_key, user) = self.password_recheck(actor).await?;
        let mut ok = self.verify_password(password, &user.password_hash).await?;
        if ok && user.totp_enabled {
            match totp.map(str::trim).filter(|c| !c.is_empty()) {
                None => {
                    self.audit(
                        actor,
                        Event::new(AuditAction::AuthStepUp).outcome(AuditOutcome::Failure).detail(
                            serde_json::json!({"method": "password", "reason": "totp_required"}),
                        ),
                    )
                    .await?;
                    return Err(AppError::TotpRequired);
                }
                Some(code) => ok = self.check_user_second_factor(&user, code).await?,
            }
        }
        if !ok {
            self.count_password_failure(&email_key).await?;
            self.audit(
                actor,
                Event::new(AuditAction::AuthStepUp)
                    .outcome(AuditOutcome::Failure)
                    .detail(serde_json::json!({"method": "password"})),
            )
            .await?;
            return Err(AppError::InvalidCredentials);
        }
        self.step_up_session(actor, session, "password").await
    }

    /// Elevates the session for the workspace's step-up minutes (1 to 60);
    /// answers until when.
    pub(crate) async fn elevate_session(
        &self,
        ws: WorkspaceId,
        session: SessionId,
    ) -> Result<Timestamp> {
        let ws = self.workspace(ws).await?;
        let until = self
            .now()
            .plus_seconds(ws.step_up_minutes.clamp(1, 60) * 60);
        self.store().elevate_session(session, until).await?;
        Ok(until)
    }

    /// A step-up the actor passed by `method`: the session is elevated and
    /// the step-up audited.
    pub(crate) async fn step_up_session(
        &self,
        actor: &Actor,
        session: SessionId,
        method: &str,
    ) -> Result<Timestamp> {
        let until = self.elevate_session(actor.workspace_id, session).await?;
        self.audit(
            actor,
            Event::new(AuditAction::AuthStepUp)
                .target(AuditTarget::Session, session)
                .detail(serde_json::json!({"method": method, "until": until.to_rfc3339()})),
        )
        .await?;
        Ok(until)
    }

    /// Before the actor types their password again (step-up, changing
    /// it): refused while their email is locked out; their throttle key
    /// (for counting a failure) and their user row.
    pub(crate) async fn password_recheck(&self, actor: &Actor) -> Result<(String, UserRow)> {
        let (email_key, _) = self.throttle_keys(&actor.email, &actor.ip);
        if let Some(retry_after_secs) = self.locked(&email_key).await? {
            return Err(AppError::Throttled { retry_after_secs });
        }
        let user = self
            .store()
            .get_user(actor.workspace_id, actor.user_id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        Ok((email_key, user))
    }

    /// Compares a secret in constant time (exposed for the web layer's CSRF check).
    pub fn secrets_equal(a: &str, b: &str) -> bool {
        constant_time_eq(a, b)
    }

    /// A CSRF token bound to a session token.
    pub fn csrf_token(&self, session_token: &str) -> String {
        self.inner
            .token_hasher
            .hash_parts(&[b"csrf", session_token.as_bytes()])
    }
}

impl App {
    /// Counts a failed sign-in (a wrong password, or a wrong code after the
    /// identity provider) against the email's lockout and the client
    /// address's throttle.
    pub(crate) async fn count_sign_in_failure(&self, email_key: &str, ip_key: &str) -> Result<()> {
        crate::metrics::bump(&self.inner.metrics.sign_in_failures);
        self.count_password_failure(email_key).await?;
        let cfg = &self.inner.config;
        self.store()
            .record_failure(
                ip_key,
                self.now(),
                cfg.lockout_window_secs,
                cfg.ip_threshold,
                cfg.lockout_secs,
            )
            .await?;
        Ok(())
    }

    /// Counts a wrong password against `email_key`'s lockout (the same
    /// counter sign-in uses), for checks made by a signed-in user.
    pub(crate) async fn count_password_failure(&self, email_key: &str) -> Result<()> {
        let cfg = &self.inner.config;
        let row = self
            .store()
            .record_failure(
                email_key,
                self.now(),
                cfg.lockout_window_secs,
                cfg.lockout_threshold,
                cfg.lockout_secs,
            )
            .await?;
        self.count_lockout(&row);
        Ok(())
    }
}
