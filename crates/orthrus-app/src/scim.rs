//! SCIM provisioning (issue 15, item 2): the workspace's SCIM token and the
//! use cases behind `/scim/v2/Users`. A directory (Entra ID, Okta, …)
//! creates, updates and deprovisions the workspace's people; the protocol
//! (JSON shapes, filters, PATCH) is `orthrus-web`'s, the decisions are here.
//!
//! The SCIM client acts with the token alone: no person is behind it, so
//! its writes are audited with the actor "scim" (a system actor of the
//! workspace). Deprovisioning (`active: false`, or DELETE) ends the user's
//! sessions and API tokens at once, queues the member-left rotation of the
//! accounts they could use, then removes every grant (their account
//! memberships and team memberships), so reactivating restores none.
//!
//! The directory manages people, not privilege: users whose workspace role
//! is above User (Owners, Super Admins, Admins) are managed in Orthrus by
//! hand. A workspace Owner is an Owner of every account and a Super Admin
//! reaches every account, so bringing one of them back would restore all
//! of that; SCIM may read them but not create, change, reactivate,
//! deactivate or delete them (`scim.managed_in_orthrus`). The SCIM client
//! has an Admin's reach over people, as the policy decides it.
//!
//! The token is revoked by hand (`DELETE /api/v1/workspace/scim-token`) or
//! when its creator is deactivated or stops being a workspace Owner; a
//! token whose creator no longer may manage SCIM is refused and removed
//! when it is next used, whichever road took their rights.

use crate::AuditAction;
use crate::audit::Event;
use crate::{Action, Actor, App, AppError, Entity, Result, normalize_email};
use crate::{ConflictCode, InvalidCode};
use orthrus_core::AuditTarget;
use orthrus_core::policy::{Subject, decide};
use orthrus_core::{Timestamp, UserId, WorkspaceId, WorkspaceRole};
use orthrus_store::{RemovedGrants, ScimTokenRow, ScimUserRow, StoreError, UserRow};

/// The prefix of SCIM tokens.
pub const SCIM_TOKEN_PREFIX: &str = "orscim";
/// The actor name SCIM writes are audited under.
pub const SCIM_ACTOR: &str = "scim";

/// An authenticated SCIM client: the workspace its token belongs to.
#[derive(Clone, Debug)]
pub struct ScimClient {
    pub workspace_id: WorkspaceId,
    /// Who created the token (rotations queued by a deprovisioning run in
    /// their name: their rights are checked when the rotation runs).
    pub token_created_by: UserId,
    pub ip: String,
}

/// A user as SCIM shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct ScimUser {
    pub id: String,
    pub user_name: String,
    pub external_id: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub formatted_name: Option<String>,
    pub display_name: Option<String>,
    /// The `emails` attribute (a JSON array).
    pub emails: serde_json::Value,
    pub active: bool,
    pub created: Timestamp,
    pub last_modified: Timestamp,
}

/// What a SCIM client sends for a user (POST, PUT, or PATCH's result).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScimUserInput {
    pub user_name: String,
    pub external_id: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub formatted_name: Option<String>,
    pub display_name: Option<String>,
    pub emails: serde_json::Value,
    /// Missing: true for a new user, unchanged for an existing one.
    pub active: Option<bool>,
}

/// The attribute a list filter compares (`attr eq "value"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScimFilterAttr {
    Id,
    UserName,
    ExternalId,
    DisplayName,
}

/// Where a SCIM token stands, for the settings page.
#[derive(Clone, Debug)]
pub struct ScimTokenInfo {
    pub prefix: String,
    pub created_at: Timestamp,
}

fn scim_error(code: InvalidCode, message: impl Into<String>) -> AppError {
    AppError::invalid(code, message)
}

fn uniqueness(message: impl Into<String>) -> AppError {
    AppError::conflict(ConflictCode::ScimUniqueness, message)
}

/// Whether the SCIM client may write to a user with this workspace role:
/// it has an Admin's reach over people (users up to the role User).
fn scim_may_manage(role: WorkspaceRole) -> bool {
    decide(
        Subject {
            workspace_role: WorkspaceRole::Admin,
            account_role: None,
        },
        Action::ManageUser {
            current: Some(role),
            new: role,
        },
    )
    .is_allowed()
}

fn managed_in_orthrus(u: &UserRow) -> AppError {
    AppError::invalid(
        InvalidCode::ScimManagedInOrthrus,
        format!(
            "{} is a workspace {}: Owners, Super Admins and Admins are managed in Orthrus, not by the directory",
            u.email,
            u.role.label()
        ),
    )
}

fn text(v: &Option<String>) -> Option<String> {
    v.as_ref()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

impl ScimUser {
    fn from_rows(u: &UserRow, s: Option<&ScimUserRow>) -> Self {
        match s {
            Some(s) => Self {
                id: u.id.to_string(),
                user_name: s.user_name.clone(),
                external_id: s.external_id.clone(),
                given_name: s.given_name.clone(),
                family_name: s.family_name.clone(),
                formatted_name: s.formatted_name.clone(),
                display_name: s.display_name.clone(),
                emails: serde_json::from_str(&s.emails).unwrap_or_else(|_| serde_json::json!([])),
                active: u.active,
                created: s.created_at,
                last_modified: Timestamp(u.updated_at.0.max(s.updated_at.0)),
            },
            None => Self {
                id: u.id.to_string(),
                user_name: u.email.clone(),
                external_id: None,
                given_name: None,
                family_name: None,
                formatted_name: None,
                display_name: Some(u.name.clone()).filter(|n| !n.trim().is_empty()),
                emails: serde_json::json!([{"value": u.email, "type": "work", "primary": true}]),
                active: u.active,
                created: u.created_at,
                last_modified: u.updated_at,
            },
        }
    }

    /// Whether the user matches `attr eq value` (userName case-insensitively,
    /// as RFC 7643 makes it).
    pub fn matches(&self, attr: ScimFilterAttr, value: &str) -> bool {
        match attr {
            ScimFilterAttr::Id => self.id == value,
            ScimFilterAttr::UserName => self.user_name.eq_ignore_ascii_case(value),
            ScimFilterAttr::ExternalId => self.external_id.as_deref() == Some(value),
            ScimFilterAttr::DisplayName => self.display_name.as_deref() == Some(value),
        }
    }
}

impl ScimUserInput {
    /// The Orthrus email: the primary email, else the first, else userName.
    fn email(&self) -> Result<String> {
        let emails = self.emails.as_array().cloned().unwrap_or_default();
        let value = |e: &serde_json::Value| e["value"].as_str().map(str::to_owned);
        let chosen = emails
            .iter()
            .find(|e| e["primary"].as_bool() == Some(true))
            .and_then(value)
            .or_else(|| emails.iter().find_map(value))
            .unwrap_or_else(|| self.user_name.clone());
        normalize_email(&chosen).map_err(|_| {
            scim_error(
                InvalidCode::ScimInvalidValue,
                "an Orthrus user needs an email address: send one in emails, or make userName an email address",
            )
        })
    }

    /// The Orthrus display name.
    fn name(&self) -> String {
        let joined = [&self.given_name, &self.family_name]
            .iter()
            .filter_map(|v| text(v))
            .collect::<Vec<_>>()
            .join(" ");
        text(&self.display_name)
            .or_else(|| text(&self.formatted_name))
            .unwrap_or(joined)
            .chars()
            .take(100)
            .collect()
    }

    fn check(&self) -> Result<()> {
        if self.user_name.trim().is_empty() {
            return Err(scim_error(
                InvalidCode::ScimInvalidValue,
                "userName is required",
            ));
        }
        if !self.emails.is_array() && !self.emails.is_null() {
            return Err(scim_error(
                InvalidCode::ScimInvalidValue,
                "emails must be a list",
            ));
        }
        Ok(())
    }

    fn row(&self, u: UserId, ws: WorkspaceId, created: Timestamp, now: Timestamp) -> ScimUserRow {
        ScimUserRow {
            user_id: u,
            workspace_id: ws,
            user_name: self.user_name.trim().to_owned(),
            external_id: self.external_id.clone(),
            given_name: self.given_name.clone(),
            family_name: self.family_name.clone(),
            formatted_name: self.formatted_name.clone(),
            display_name: self.display_name.clone(),
            emails: if self.emails.is_null() {
                "[]".to_owned()
            } else {
                self.emails.to_string()
            },
            created_at: created,
            updated_at: now,
            deleted_at: None,
        }
    }
}

impl App {
    /// Creates the workspace's SCIM token (workspace Owners, after an
    /// identity check), replacing any earlier one. Returned once; only its
    /// keyed hash is stored.
    pub async fn create_scim_token(&self, actor: &Actor) -> Result<String> {
        self.check(actor, Action::ManageScim)?;
        let token = orthrus_crypto::new_token(SCIM_TOKEN_PREFIX, self.rng());
        let had = self.store().scim_token(actor.workspace_id).await?.is_some();
        self.store()
            .replace_scim_token(&ScimTokenRow {
                workspace_id: actor.workspace_id,
                token_hash: self.inner.token_hasher.hash(&token),
                prefix: token.chars().take(SCIM_TOKEN_PREFIX.len() + 5).collect(),
                created_by: actor.user_id,
                created_at: self.now(),
            })
            .await?;
        self.audit(
            actor,
            Event::new(AuditAction::ScimTokenCreate).detail(serde_json::json!({"replaced": had})),
        )
        .await?;
        Ok(token)
    }

    /// Revokes the workspace's SCIM token (workspace Owners, after an
    /// identity check): the directory's next request is refused.
    pub async fn revoke_scim_token(&self, actor: &Actor) -> Result<()> {
        self.check(actor, Action::ManageScim)?;
        if !self.store().delete_scim_token(actor.workspace_id).await? {
            return Err(AppError::NotFound(Entity::ScimToken));
        }
        self.audit(
            actor,
            Event::new(AuditAction::ScimTokenRevoke)
                .detail(serde_json::json!({"reason": "by_hand"})),
        )
        .await
    }

    /// Revokes the workspace's SCIM token if `user` created it: they were
    /// deactivated or are no longer a workspace Owner (`reason`). Audited
    /// as the system.
    pub(crate) async fn revoke_scim_token_of(
        &self,
        ws: WorkspaceId,
        user: UserId,
        reason: &str,
    ) -> Result<()> {
        let Some(t) = self.store().scim_token(ws).await? else {
            return Ok(());
        };
        if t.created_by != user || !self.store().delete_scim_token(ws).await? {
            return Ok(());
        }
        self.audit_system(
            ws,
            "system",
            None,
            Event::new(AuditAction::ScimTokenRevoke)
                .target(AuditTarget::User, user)
                .detail(serde_json::json!({"reason": reason})),
        )
        .await
    }

    /// Whether the workspace has a SCIM token (workspace Owners).
    pub async fn scim_token_info(&self, actor: &Actor) -> Result<Option<ScimTokenInfo>> {
        if !self.permits(actor, Action::ManageScim) {
            return Err(AppError::Forbidden);
        }
        Ok(self
            .store()
            .scim_token(actor.workspace_id)
            .await?
            .map(|t| ScimTokenInfo {
                prefix: t.prefix,
                created_at: t.created_at,
            }))
    }

    /// Resolves a SCIM bearer token; `Unauthenticated` when it is unknown
    /// (or was replaced).
    pub async fn authenticate_scim(&self, token: &str, ip: &str) -> Result<ScimClient> {
        let token = token.trim();
        if !token.starts_with(SCIM_TOKEN_PREFIX) {
            return Err(AppError::Unauthenticated);
        }
        let row = self
            .store()
            .scim_token_by_hash(&self.inner.token_hasher.hash(token))
            .await?
            .ok_or(AppError::Unauthenticated)?;
        // Whatever road took the creator's rights (a role change, a
        // deactivation, single sign-on's role mapping), their token ends.
        let creator = self
            .store()
            .get_user(row.workspace_id, row.created_by)
            .await?;
        let creator_may = creator.is_some_and(|u| {
            u.active
                && decide(
                    Subject {
                        workspace_role: u.role,
                        account_role: None,
                    },
                    Action::ManageScim,
                )
                .is_allowed()
        });
        if !creator_may {
            self.revoke_scim_token_of(row.workspace_id, row.created_by, "creator_lost_rights")
                .await?;
            return Err(AppError::Unauthenticated);
        }
        Ok(ScimClient {
            workspace_id: row.workspace_id,
            token_created_by: row.created_by,
            ip: ip.to_owned(),
        })
    }

    pub(crate) async fn audit_scim(&self, c: &ScimClient, ev: Event) -> Result<()> {
        self.audit_system(c.workspace_id, SCIM_ACTOR, Some(&c.ip), ev)
            .await
    }

    /// The workspace's users as SCIM shows them (users a SCIM client
    /// deleted are left out), oldest first.
    pub async fn scim_list_users(&self, c: &ScimClient) -> Result<Vec<ScimUser>> {
        let ws = c.workspace_id;
        let scim: std::collections::HashMap<UserId, ScimUserRow> = self
            .store()
            .scim_users(ws)
            .await?
            .into_iter()
            .map(|s| (s.user_id, s))
            .collect();
        let mut users = self.store().list_users(ws).await?;
        users.sort_by_key(|u| (u.created_at.0, u.id.to_string()));
        Ok(users
            .iter()
            .filter(|u| scim.get(&u.id).is_none_or(|s| s.deleted_at.is_none()))
            .map(|u| ScimUser::from_rows(u, scim.get(&u.id)))
            .collect())
    }

    async fn scim_target(
        &self,
        c: &ScimClient,
        id: UserId,
    ) -> Result<(UserRow, Option<ScimUserRow>)> {
        let user = self
            .store()
            .get_user(c.workspace_id, id)
            .await?
            .ok_or(AppError::NotFound(Entity::User))?;
        let scim = self.store().scim_user(c.workspace_id, id).await?;
        if scim.as_ref().is_some_and(|s| s.deleted_at.is_some()) {
            return Err(AppError::NotFound(Entity::User));
        }
        Ok((user, scim))
    }

    /// The target of a write: never a privileged user.
    async fn scim_write_target(
        &self,
        c: &ScimClient,
        id: UserId,
    ) -> Result<(UserRow, Option<ScimUserRow>)> {
        let (user, scim) = self.scim_target(c, id).await?;
        if !scim_may_manage(user.role) {
            return Err(managed_in_orthrus(&user));
        }
        Ok((user, scim))
    }

    pub async fn scim_get_user(&self, c: &ScimClient, id: UserId) -> Result<ScimUser> {
        let (u, s) = self.scim_target(c, id).await?;
        Ok(ScimUser::from_rows(&u, s.as_ref()))
    }

    /// Fails with `scim.uniqueness` when another listed user has the userName.
    async fn ensure_unique_user_name(
        &self,
        c: &ScimClient,
        user_name: &str,
        except: Option<UserId>,
    ) -> Result<()> {
        let taken = self.scim_list_users(c).await?.into_iter().any(|u| {
            u.matches(ScimFilterAttr::UserName, user_name.trim())
                && except.is_none_or(|e| e.to_string() != u.id)
        });
        if taken {
            return Err(uniqueness(format!(
                "a user with the userName {:?} exists",
                user_name.trim()
            )));
        }
        Ok(())
    }

    /// Creates a user with the role User and no password (they sign in
    /// through single sign-on, or set one through a reset). An email a
    /// SCIM client deleted earlier comes back as the same person, with no
    /// grant (never a privileged one: they are managed in Orthrus).
    pub async fn scim_create_user(&self, c: &ScimClient, input: ScimUserInput) -> Result<ScimUser> {
        input.check()?;
        let ws = c.workspace_id;
        let email = input.email()?;
        self.ensure_unique_user_name(c, &input.user_name, None)
            .await?;
        let now = self.now();
        let existing = self.store().find_user_by_email(&email).await?;
        let user = match existing {
            Some(u) if u.workspace_id == ws => {
                let deleted = self
                    .store()
                    .scim_user(ws, u.id)
                    .await?
                    .is_some_and(|s| s.deleted_at.is_some());
                if !deleted {
                    return Err(uniqueness(format!("a user with the email {email} exists")));
                }
                if !scim_may_manage(u.role) {
                    return Err(managed_in_orthrus(&u));
                }
                self.store()
                    .update_user_identity(ws, u.id, &email, &input.name(), now)
                    .await?;
                if input.active.unwrap_or(true) && !u.active {
                    self.reactivate_without_grants(ws, u.id, now).await?;
                }
                self.store().get_user(ws, u.id).await?.unwrap_or(u)
            }
            Some(_) => return Err(uniqueness(format!("the email {email} is taken"))),
            None => {
                let throwaway = orthrus_crypto::new_token("x", self.rng());
                let mut row = self
                    .new_user_row(ws, &email, &input.name(), WorkspaceRole::User, &throwaway)
                    .await?;
                // No password: the person signs in through single sign-on
                // (or sets one through a reset); an empty hash matches none.
                row.password_hash = String::new();
                row.active = input.active.unwrap_or(true);
                self.store().create_user(&row).await.map_err(|e| match e {
                    StoreError::Conflict(_) => {
                        uniqueness(format!("a user with the email {email} exists"))
                    }
                    e => e.into(),
                })?;
                row
            }
        };
        let scim = input.row(user.id, ws, now, now);
        self.store().save_scim_user(&scim).await?;
        self.audit_scim(
            c,
            Event::new(AuditAction::ScimUserCreate)
                .target(AuditTarget::User, user.id)
                .detail(serde_json::json!({"email": email, "user_name": scim.user_name, "active": user.active})),
        )
        .await?;
        Ok(ScimUser::from_rows(&user, Some(&scim)))
    }

    /// Replaces a user's attributes (PUT, and PATCH after the patch is
    /// applied). `active` going false deprovisions; going true reactivates
    /// with no grant; missing, it stays. A new email ends the user's
    /// sessions, API tokens and single sign-on links: the new address is
    /// linked afresh (by a verified email), never through the old link.
    pub async fn scim_replace_user(
        &self,
        c: &ScimClient,
        id: UserId,
        input: ScimUserInput,
    ) -> Result<ScimUser> {
        input.check()?;
        let ws = c.workspace_id;
        let (user, old) = self.scim_write_target(c, id).await?;
        let email = input.email()?;
        let active = input.active.unwrap_or(user.active);
        self.ensure_unique_user_name(c, &input.user_name, Some(user.id))
            .await?;
        // Refused before anything changes: an email someone else has.
        if let Some(other) = self.store().find_user_by_email(&email).await?
            && other.id != user.id
        {
            return Err(uniqueness(format!("the email {email} is taken")));
        }
        if user.active && !active {
            self.deprovision(c, &user, AuditAction::ScimUserDeactivate)
                .await?;
        }
        let now = self.now();
        self.store()
            .update_user_identity(ws, user.id, &email, &input.name(), now)
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => uniqueness(format!("the email {email} is taken")),
                e => e.into(),
            })?;
        if email != user.email {
            self.store()
                .revoke_user_credentials(ws, user.id, now)
                .await?;
            self.access_changed(ws, user.id);
            let links = self.store().unlink_sso_identities(ws, user.id).await?;
            self.audit_scim(
                c,
                Event::new(AuditAction::ScimUserEmailChange)
                    .target(AuditTarget::User, user.id)
                    .detail(serde_json::json!({
                        "from": user.email,
                        "to": email,
                        "sessions_revoked": true,
                        "sso_links_removed": links,
                    })),
            )
            .await?;
        }
        if !user.active && active {
            self.reactivate_without_grants(ws, user.id, now).await?;
            self.audit_scim(
                c,
                Event::new(AuditAction::ScimUserReactivate).target(AuditTarget::User, user.id),
            )
            .await?;
        }
        let created = old.as_ref().map_or(user.created_at, |s| s.created_at);
        let scim = input.row(user.id, ws, created, now);
        self.store().save_scim_user(&scim).await?;
        self.audit_scim(
            c,
            Event::new(AuditAction::ScimUserUpdate)
                .target(AuditTarget::User, user.id)
                .detail(serde_json::json!({"email": email, "user_name": scim.user_name, "active": active})),
        )
        .await?;
        let user = self
            .store()
            .get_user(ws, user.id)
            .await?
            .ok_or(AppError::NotFound(Entity::User))?;
        Ok(ScimUser::from_rows(&user, Some(&scim)))
    }

    /// DELETE: deprovisions the user and hides them from SCIM. The Orthrus
    /// user stays (deactivated, with no grant) so that the audit log keeps
    /// naming them.
    pub async fn scim_delete_user(&self, c: &ScimClient, id: UserId) -> Result<()> {
        let (user, old) = self.scim_write_target(c, id).await?;
        if user.active {
            self.deprovision(c, &user, AuditAction::ScimUserDelete)
                .await?;
        } else {
            // Already inactive: make sure nothing is left to restore.
            self.store()
                .remove_user_grants(c.workspace_id, user.id)
                .await?;
            self.audit_scim(
                c,
                Event::new(AuditAction::ScimUserDelete).target(AuditTarget::User, user.id),
            )
            .await?;
        }
        let now = self.now();
        let mut row = old.unwrap_or_else(|| ScimUserRow {
            user_id: user.id,
            workspace_id: c.workspace_id,
            user_name: user.email.clone(),
            external_id: None,
            given_name: None,
            family_name: None,
            formatted_name: None,
            display_name: None,
            emails: "[]".into(),
            created_at: user.created_at,
            updated_at: now,
            deleted_at: None,
        });
        row.deleted_at = Some(now);
        row.updated_at = now;
        self.store().save_scim_user(&row).await?;
        Ok(())
    }

    /// Ends a user's access at once: deactivated, sessions and API tokens
    /// revoked, the member-left rotation queued on the accounts they could
    /// use, then every grant removed (its callers refuse privileged users:
    /// never an Owner).
    async fn deprovision(&self, c: &ScimClient, user: &UserRow, action: AuditAction) -> Result<()> {
        let ws = c.workspace_id;
        let now = self.now();
        self.store()
            .set_user_active(ws, user.id, false, now)
            .await?;
        self.access_changed(ws, user.id);
        self.store()
            .revoke_user_credentials(ws, user.id, now)
            .await?;
        self.access_changed(ws, user.id);
        let rotation_actor = self.local_actor(c.token_created_by, ws).await?;
        let removed = self.end_grants(&rotation_actor, user).await?;
        self.audit_scim(
            c,
            Event::new(action)
                .target(AuditTarget::User, user.id)
                .detail(serde_json::json!({
                    "sessions_revoked": true,
                    "accounts_left": removed.accounts.len(),
                    "teams_left": removed.teams.len(),
                })),
        )
        .await
    }

    /// Queues the member-left rotations of the accounts the user could use
    /// (asked before the grants go, so team grants count), then removes
    /// their account and team memberships. Used by SCIM deprovisioning and
    /// by deactivation by hand alike: a reactivated user has no grant.
    pub(crate) async fn end_grants(&self, actor: &Actor, user: &UserRow) -> Result<RemovedGrants> {
        if let Err(e) = self
            .rotate_after_leave(actor, user.id, user.role, None)
            .await
        {
            tracing::warn!(user = %user.id, error = %e, "could not queue rotations after access ended");
        }
        Ok(self
            .store()
            .remove_user_grants(actor.workspace_id, user.id)
            .await?)
    }
}
