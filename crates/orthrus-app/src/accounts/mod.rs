//! The vault of shared accounts: metadata, sealed credentials, custom fields,
//! password history, members, and audited reveal and copy.
//!
//! `mod.rs` holds creating, listing, reading, editing and deleting;
//! `reveal.rs` revealing a password, a field or the history (step-up and
//! audit); `members.rs` who is on an account, with which role, until when.

mod members;
mod reveal;

use crate::AuditAction;
use crate::InvalidCode;
use crate::audit::Event;
use crate::{Action, Actor, App, AppError, Entity, Result};
use orthrus_core::AuditTarget;
use orthrus_core::{AccountId, AccountRole, EventId, FieldId, SecretString, Subject};
use orthrus_crypto::Aad;
use orthrus_store::{AccountChange, AccountRow, FieldRow, MemberRow, PasswordHistoryRow};
use serde::{Deserialize, Serialize};

/// A custom field as given by a user.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewField {
    pub name: String,
    #[serde(default)]
    pub secret: bool,
    #[serde(default)]
    pub value: String,
}

/// A new shared account.
#[derive(Clone, Debug)]
pub struct NewAccount {
    pub app: String,
    pub label: String,
    pub login_url: String,
    pub username: String,
    pub password: SecretString,
    pub notes: Option<String>,
    pub fields: Vec<NewField>,
}

/// A change to an account; `None` leaves a value as it is. `version` must be
/// the version the editor read (optimistic concurrency).
#[derive(Clone, Debug, Default)]
pub struct AccountPatch {
    pub version: i64,
    pub app: Option<String>,
    pub label: Option<String>,
    pub login_url: Option<String>,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    pub notes: Option<Option<String>>,
    pub fields: Option<Vec<NewField>>,
}

/// An account in a list.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AccountSummary {
    pub id: String,
    pub app: String,
    // A Cow so that the CLI can read it back (`Deserialize`).
    #[schema(value_type = String)]
    pub app_name: std::borrow::Cow<'static, str>,
    pub label: String,
    pub login_url: String,
    pub username: String,
    /// The caller's role on the account (null when not a member).
    #[schema(value_type = Option<crate::schema::AccountRoleName>, example = "owner")]
    pub my_role: Option<AccountRole>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// A custom field as shown; secret values are never included.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldView {
    pub id: String,
    pub name: String,
    pub secret: bool,
    pub value: Option<String>,
}

/// One account member.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MemberInfo {
    pub user_id: String,
    pub email: String,
    pub name: String,
    #[schema(value_type = crate::schema::AccountRoleName, example = "collaborator")]
    pub role: AccountRole,
    pub added_at: String,
    /// When the membership ends (RFC 3339); null: it does not.
    pub expires_at: Option<String>,
}

/// One earlier password (metadata only).
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    pub id: String,
    pub changed_by: String,
    pub changed_at: String,
}

/// What the caller may do with an account (for the UI).
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AccountPermissions {
    pub reveal_password: bool,
    pub edit_metadata: bool,
    pub edit_credentials: bool,
    pub manage_members: bool,
    pub add_collaborators: bool,
    /// The member roles the caller may give or take away (the policy's
    /// answer for each role, so pages need not compare roles).
    #[schema(value_type = Vec<crate::schema::AccountRoleName>, example = json!(["collaborator"]))]
    pub manageable_roles: Vec<AccountRole>,
    pub delete: bool,
    /// See and copy the account's authenticator codes.
    pub use_totp: bool,
    /// Set up, replace or remove the account's authenticator.
    pub manage_mfa: bool,
}

/// An account with everything the caller may see.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AccountDetail {
    #[serde(flatten)]
    pub summary: AccountSummary,
    pub notes: Option<String>,
    pub fields: Vec<FieldView>,
    pub members: Vec<MemberInfo>,
    pub password_history: Vec<HistoryEntry>,
    pub permissions: AccountPermissions,
    /// The last check that the app still asks for the authenticator code
    /// ("keep MFA on"); null when never checked.
    pub mfa_check: Option<crate::MfaCheckView>,
}

/// The membership that makes the creator of a new account its Owner.
pub(crate) fn creator_as_owner(
    actor: &Actor,
    account: AccountId,
    now: orthrus_core::Timestamp,
) -> MemberRow {
    MemberRow {
        workspace_id: actor.workspace_id,
        account_id: account,
        user_id: actor.user_id,
        role: AccountRole::Owner,
        added_by: actor.user_id,
        added_at: now,
        expires_at: None,
    }
}

fn summary(a: &AccountRow, my_role: Option<AccountRole>) -> AccountSummary {
    AccountSummary {
        id: a.id.to_string(),
        app: a.app.clone(),
        app_name: orthrus_core::app_name(&a.app).into(),
        label: a.label.clone(),
        login_url: a.login_url.clone(),
        username: a.username.clone(),
        my_role,
        version: a.version,
        created_at: a.created_at.to_rfc3339(),
        updated_at: a.updated_at.to_rfc3339(),
    }
}

fn invalid(code: InvalidCode, m: &str) -> AppError {
    AppError::invalid(code, m)
}

fn check_label(s: &str) -> Result<String> {
    let s = s.trim();
    if s.is_empty() || s.chars().count() > 100 {
        return Err(invalid(
            InvalidCode::AccountInvalidLabel,
            "give the account a label of 1 to 100 characters, e.g. \"Brand Instagram\"",
        ));
    }
    Ok(s.to_owned())
}

fn check_url(s: &str) -> Result<String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(String::new());
    }
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    let host_ok = rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or("");
        !host.is_empty() && !host.contains(char::is_whitespace)
    });
    if !host_ok || s.len() > 2048 {
        return Err(invalid(
            InvalidCode::AccountInvalidLoginUrl,
            "the login URL must start with https:// or http:// and name a host",
        ));
    }
    Ok(s.to_owned())
}

fn check_username(s: &str) -> Result<String> {
    if s.chars().count() > 256 {
        return Err(invalid(
            InvalidCode::AccountInvalidUsername,
            "usernames are at most 256 characters",
        ));
    }
    Ok(s.trim().to_owned())
}

fn check_password(p: &SecretString) -> Result<()> {
    if p.is_empty() {
        return Err(invalid(
            InvalidCode::AccountInvalidPassword,
            "the password is required",
        ));
    }
    if p.expose().chars().count() > 1024 {
        return Err(invalid(
            InvalidCode::AccountInvalidPassword,
            "passwords are at most 1024 characters",
        ));
    }
    Ok(())
}

fn check_fields(fields: &[NewField]) -> Result<()> {
    if fields.len() > 50 {
        return Err(invalid(
            InvalidCode::AccountTooManyFields,
            "an account has at most 50 custom fields",
        ));
    }
    for f in fields {
        if f.name.trim().is_empty() || f.name.chars().count() > 100 {
            return Err(invalid(
                InvalidCode::AccountInvalidField,
                "custom field names are 1 to 100 characters",
            ));
        }
        if f.value.chars().count() > 10_000 {
            return Err(invalid(
                InvalidCode::AccountInvalidField,
                "custom field values are at most 10,000 characters",
            ));
        }
    }
    Ok(())
}

impl App {
    /// Seals a text for one field of one row: `table`, `record` and `field`
    /// are bound in as associated data, so it opens only there.
    pub(crate) fn seal(
        &self,
        table: &str,
        record: &str,
        field: &str,
        value: &str,
    ) -> Result<Vec<u8>> {
        self.seal_bytes(table, record, field, value.as_bytes())
    }

    /// [`App::seal`] for bytes (a seed, a picture, a packed message).
    pub(crate) fn seal_bytes(
        &self,
        table: &str,
        record: &str,
        field: &str,
        value: &[u8],
    ) -> Result<Vec<u8>> {
        let aad = Aad::new(table, record, field);
        Ok(self.inner.envelope.seal(self.rng(), &aad, value)?)
    }

    /// Opens bytes sealed by [`App::seal_bytes`] for the same field.
    pub(crate) fn open_bytes(
        &self,
        table: &str,
        record: &str,
        field: &str,
        sealed: &[u8],
    ) -> Result<zeroize::Zeroizing<Vec<u8>>> {
        let aad = Aad::new(table, record, field);
        Ok(self.inner.envelope.open(&aad, sealed)?)
    }

    pub(crate) fn open(
        &self,
        table: &str,
        record: &str,
        field: &str,
        sealed: &[u8],
    ) -> Result<SecretString> {
        Ok(SecretString::new(
            self.inner
                .envelope
                .open_string(&Aad::new(table, record, field), sealed)?
                .as_str(),
        ))
    }

    fn seal_fields(
        &self,
        ws: orthrus_core::WorkspaceId,
        account: AccountId,
        fields: &[NewField],
    ) -> Result<Vec<FieldRow>> {
        fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let id = FieldId::new(self.inner.clock.as_ref(), self.rng());
                let (value_text, value_sealed) = if f.secret {
                    (
                        None,
                        Some(self.seal("account_fields", &id.to_string(), "value", &f.value)?),
                    )
                } else {
                    (Some(f.value.clone()), None)
                };
                Ok(FieldRow {
                    id,
                    workspace_id: ws,
                    account_id: account,
                    position: i64::try_from(i).unwrap_or(0),
                    name: f.name.trim().to_owned(),
                    secret: f.secret,
                    value_text,
                    value_sealed,
                })
            })
            .collect()
    }

    /// [`App::account_for`] for an id given as text (a query's or a body's
    /// filter): text that is no account id is as unknown (404), after the
    /// same policy check.
    pub(crate) async fn account_for_text(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<(AccountRow, Subject)> {
        self.check(actor, Action::ListOwnAccounts)?;
        let id: AccountId = id
            .parse()
            .map_err(|_| AppError::NotFound(Entity::Account))?;
        self.account_for(actor, id).await
    }

    /// Loads an account and the caller's role on it; 404 when it does not
    /// exist in the caller's workspace or the caller may not even see it.
    pub(crate) async fn account_for(
        &self,
        actor: &Actor,
        id: AccountId,
    ) -> Result<(AccountRow, Subject)> {
        // The policy first: a user who must enrol in 2FA reaches nothing.
        self.check(actor, Action::ListOwnAccounts)?;
        let (a, role) = self
            .store()
            .get_account_for(actor.workspace_id, id, actor.user_id, self.now())
            .await?
            .ok_or(AppError::NotFound(Entity::Account))?;
        self.visible_account(actor, a, role)
    }

    /// The account, when the caller may do `action` on it: 404 unless they
    /// may see it, then 403 unless the policy allows `action` there.
    pub(crate) async fn account_allowing(
        &self,
        actor: &Actor,
        id: AccountId,
        action: Action,
    ) -> Result<AccountRow> {
        let (a, subject) = self.account_for(actor, id).await?;
        self.check_subject(actor, subject, action)?;
        Ok(a)
    }

    /// The account and the caller's standing on it; 404 unless they may
    /// see it.
    pub(crate) fn visible_account(
        &self,
        actor: &Actor,
        a: AccountRow,
        role: Option<AccountRole>,
    ) -> Result<(AccountRow, Subject)> {
        let subject = Subject {
            workspace_role: actor.role,
            account_role: role,
        };
        if !orthrus_core::policy::decide(subject, Action::ViewAccount).is_allowed() {
            return Err(AppError::NotFound(Entity::Account));
        }
        Ok((a, subject))
    }

    /// Refuses a login URL whose host is internal (loopback, private,
    /// link-local, …) and not allowed by `automation.allowed_private_hosts`:
    /// automations would open it in the server's browser. A name that does
    /// not resolve now is accepted (apps' DNS fails too); the automation
    /// browser checks every connection again when it runs.
    async fn check_login_url_reach(&self, url: &str) -> Result<()> {
        if url.is_empty() {
            return Ok(());
        }
        let Some((host, port)) = orthrus_core::egress::url_host_port(url) else {
            return Err(invalid(
                InvalidCode::AccountInvalidLoginUrl,
                "the login URL must start with https:// or http:// and name a host",
            ));
        };
        match self.inner.config.egress.check(&host, port).await {
            Ok(_) | Err(crate::egress::EgressRefusal::Unresolvable { .. }) => Ok(()),
            Err(e) => Err(invalid(
                InvalidCode::AccountLoginUrlForbidden,
                &format!(
                    "the login URL points into the server's own network ({e}); an operator can allow such a host with automation.allowed_private_hosts"
                ),
            )),
        }
    }

    pub(crate) fn may(subject: Subject, action: Action) -> bool {
        orthrus_core::policy::decide(subject, action).is_allowed()
    }

    /// Creates an account; the creator becomes its Owner.
    pub async fn create_account(&self, actor: &Actor, new: NewAccount) -> Result<AccountDetail> {
        self.check(actor, Action::CreateAccount)?;
        let label = check_label(&new.label)?;
        let login_url = check_url(&new.login_url)?;
        self.check_login_url_reach(&login_url).await?;
        let username = check_username(&new.username)?;
        check_password(&new.password)?;
        check_fields(&new.fields)?;
        let now = self.now();
        let id = AccountId::new(self.inner.clock.as_ref(), self.rng());
        let rid = id.to_string();
        let notes = new.notes.filter(|n| !n.trim().is_empty());
        let row = AccountRow {
            id,
            workspace_id: actor.workspace_id,
            app: orthrus_core::app_key(&new.app).to_owned(),
            label,
            login_url,
            username,
            password: self.seal("accounts", &rid, "password", new.password.expose())?,
            notes: notes
                .as_deref()
                .map(|n| self.seal("accounts", &rid, "notes", n))
                .transpose()?,
            version: 1,
            created_by: actor.user_id,
            created_at: now,
            updated_at: now,
        };
        let owner = creator_as_owner(actor, id, now);
        let fields = self.seal_fields(actor.workspace_id, id, &new.fields)?;
        self.store().create_account(&row, &owner, &fields).await?;
        self.audit(
            actor,
            Event::new(AuditAction::AccountCreate)
                .target(AuditTarget::Account, id)
                .detail(serde_json::json!({"app": row.app, "label": row.label})),
        )
        .await?;
        self.get_account(actor, id).await
    }

    /// Accounts the caller is a member of ("my accounts"), or with `all`,
    /// every account's metadata (workspace Admins and above).
    pub async fn list_accounts(&self, actor: &Actor, all: bool) -> Result<Vec<AccountSummary>> {
        self.check(
            actor,
            if all {
                Action::ListAllAccounts
            } else {
                Action::ListOwnAccounts
            },
        )?;
        let mine = self
            .store()
            .list_accounts_for_user(actor.workspace_id, actor.user_id, self.now())
            .await?;
        if !all {
            return Ok(mine.iter().map(|(a, r)| summary(a, Some(*r))).collect());
        }
        let roles: std::collections::HashMap<AccountId, AccountRole> =
            mine.iter().map(|(a, r)| (a.id, *r)).collect();
        let every = self.store().list_accounts(actor.workspace_id).await?;
        Ok(every
            .iter()
            .map(|a| summary(a, roles.get(&a.id).copied()))
            .collect())
    }

    /// One account with what the caller may see of it.
    pub async fn get_account(&self, actor: &Actor, id: AccountId) -> Result<AccountDetail> {
        let (a, subject) = self.account_for(actor, id).await?;
        let rid = a.id.to_string();
        // Notes can hold sensitive context: members and workspace Owners and
        // Super Admins read them; an Admin who is not a member does not.
        let notes_visible = Self::may(subject, Action::ReadNotes);
        let notes = match (&a.notes, notes_visible) {
            (Some(n), true) => Some(self.open("accounts", &rid, "notes", n)?.into_inner()),
            _ => None,
        };
        let fields = self
            .store()
            .list_fields(actor.workspace_id, a.id)
            .await?
            .into_iter()
            .map(|f| FieldView {
                id: f.id.to_string(),
                name: f.name,
                secret: f.secret,
                value: if f.secret { None } else { f.value_text },
            })
            .collect();
        let members = self.members(actor, a.id).await?;
        let history = self
            .store()
            .list_password_history(actor.workspace_id, a.id)
            .await?
            .into_iter()
            .map(|h| HistoryEntry {
                id: h.id.to_string(),
                changed_by: members
                    .iter()
                    .find(|m| m.user_id == h.changed_by.to_string())
                    .map(|m| m.email.clone())
                    .unwrap_or_else(|| h.changed_by.to_string()),
                changed_at: h.changed_at.to_rfc3339(),
            })
            .collect();
        let permissions = AccountPermissions {
            reveal_password: Self::may(subject, Action::RevealPassword),
            edit_metadata: Self::may(subject, Action::EditAccountMetadata),
            edit_credentials: Self::may(subject, Action::EditCredentials),
            manage_members: Self::may(
                subject,
                Action::ManageMembers {
                    role: AccountRole::Owner,
                },
            ),
            add_collaborators: Self::may(
                subject,
                Action::ManageMembers {
                    role: AccountRole::Collaborator,
                },
            ),
            manageable_roles: AccountRole::ALL
                .into_iter()
                .filter(|role| Self::may(subject, Action::ManageMembers { role: *role }))
                .collect(),
            delete: Self::may(subject, Action::DeleteAccount),
            use_totp: Self::may(subject, Action::UseTotp),
            manage_mfa: Self::may(subject, Action::ManageMfa),
        };
        let mfa_check = self.mfa_check_view(actor.workspace_id, a.id).await?;
        Ok(AccountDetail {
            summary: summary(&a, subject.account_role),
            notes,
            fields,
            members,
            password_history: history,
            permissions,
            mfa_check,
        })
    }

    async fn members(&self, actor: &Actor, account: AccountId) -> Result<Vec<MemberInfo>> {
        Ok(self
            .store()
            .list_members(actor.workspace_id, account, self.now())
            .await?
            .into_iter()
            .map(|m| MemberInfo {
                user_id: m.member.user_id.to_string(),
                email: m.email,
                name: m.name,
                role: m.member.role,
                added_at: m.member.added_at.to_rfc3339(),
                expires_at: m.member.expires_at.map(|t| t.to_rfc3339()),
            })
            .collect())
    }

    /// Applies a patch. Metadata (app, label, login URL, notes) needs
    /// `EditAccountMetadata`; credentials (username, password, fields) need
    /// `EditCredentials`. A stale `version` is a conflict and changes nothing.
    pub async fn update_account(
        &self,
        actor: &Actor,
        id: AccountId,
        patch: AccountPatch,
    ) -> Result<AccountDetail> {
        let (a, subject) = self.account_for(actor, id).await?;
        // Automations type the password into the login page: whoever can
        // move that page elsewhere could collect it, so changing it needs
        // the right to change the credentials themselves.
        let moves_login = patch
            .login_url
            .as_deref()
            .is_some_and(|u| u.trim() != a.login_url.trim());
        let touches_credentials = patch.username.is_some()
            || patch.password.is_some()
            || patch.fields.is_some()
            || moves_login;
        let touches_metadata = patch.app.is_some()
            || patch.label.is_some()
            || patch.login_url.is_some()
            || patch.notes.is_some();
        if !touches_metadata && !touches_credentials {
            return Err(AppError::invalid(
                InvalidCode::RequestEmptyChange,
                "the change is empty: send at least one field to change",
            ));
        }
        if touches_metadata {
            self.check_subject(actor, subject, Action::EditAccountMetadata)?;
        }
        if touches_credentials {
            self.check_subject(actor, subject, Action::EditCredentials)?;
        }
        if patch.notes.is_some() && !Self::may(subject, Action::ReadNotes) {
            return Err(AppError::Forbidden);
        }
        let rid = a.id.to_string();
        let now = self.now();
        let mut change = AccountChange {
            app: patch
                .app
                .as_deref()
                .map(|s| orthrus_core::app_key(s).to_owned()),
            label: patch.label.as_deref().map(check_label).transpose()?,
            login_url: patch.login_url.as_deref().map(check_url).transpose()?,
            username: patch.username.as_deref().map(check_username).transpose()?,
            ..Default::default()
        };
        if let Some(u) = &change.login_url {
            self.check_login_url_reach(u).await?;
        }
        if let Some(n) = &patch.notes {
            change.notes = Some(
                n.as_deref()
                    .filter(|n| !n.trim().is_empty())
                    .map(|n| self.seal("accounts", &rid, "notes", n))
                    .transpose()?,
            );
        }
        let mut changed_password = false;
        if let Some(p) = &patch.password {
            check_password(p)?;
            let current = self.open("accounts", &rid, "password", &a.password)?;
            if current.expose() != p.expose() {
                changed_password = true;
                let hid = EventId::new(self.inner.clock.as_ref(), self.rng());
                // The history row gets its own binding: re-seal under its id.
                change.history = Some(PasswordHistoryRow {
                    id: hid,
                    workspace_id: actor.workspace_id,
                    account_id: a.id,
                    password: self.seal(
                        "password_history",
                        &hid.to_string(),
                        "password",
                        current.expose(),
                    )?,
                    changed_by: actor.user_id,
                    changed_at: now,
                });
                change.password = Some(self.seal("accounts", &rid, "password", p.expose())?);
            }
        }
        if let Some(f) = &patch.fields {
            check_fields(f)?;
            change.fields = Some(self.seal_fields(actor.workspace_id, a.id, f)?);
        }
        self.store()
            .update_account(actor.workspace_id, a.id, patch.version, &change, now)
            .await?;
        let changed: Vec<&str> = [
            ("app", patch.app.is_some()),
            ("label", patch.label.is_some()),
            ("login_url", patch.login_url.is_some()),
            ("username", patch.username.is_some()),
            ("password", changed_password),
            ("notes", patch.notes.is_some()),
            ("fields", patch.fields.is_some()),
        ]
        .into_iter()
        .filter_map(|(n, c)| c.then_some(n))
        .collect();
        self.audit(
            actor,
            Event::new(AuditAction::AccountUpdate)
                .target(AuditTarget::Account, a.id)
                .detail(serde_json::json!({"changed": changed})),
        )
        .await?;
        self.get_account(actor, a.id).await
    }

    /// Deletes an account (account Owner, step-up).
    pub async fn delete_account(&self, actor: &Actor, id: AccountId) -> Result<()> {
        let a = self
            .account_allowing(actor, id, Action::DeleteAccount)
            .await?;
        self.store()
            .delete_account(actor.workspace_id, a.id)
            .await?;
        self.audit(
            actor,
            Event::new(AuditAction::AccountDelete)
                .target(AuditTarget::Account, a.id)
                .detail(serde_json::json!({"label": a.label})),
        )
        .await
    }
}
