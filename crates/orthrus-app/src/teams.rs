//! Teams (issue 15, item 2): a directory's groups, provisioned through
//! SCIM (`/scim/v2/Groups`), and the roles teams hold on accounts. A member
//! of a team granted a role on an account has that role there; their
//! effective role is the highest of their own membership and their teams'
//! grants (the store's `member_role` answers it). Account Owners grant and
//! take back a team's role (`Action::GrantTeam`).

use crate::AuditAction;
use crate::audit::Event;
use crate::scim::ScimClient;
use crate::{Action, Actor, App, AppError, Entity, Result};
use crate::{ConflictCode, InvalidCode};
use orthrus_core::AuditTarget;
use orthrus_core::{AccountId, AccountRole, EventId, Timestamp, UserId};
use orthrus_store::{StoreError, TeamGrantRow, TeamRow};
use serde::Serialize;
use std::collections::HashMap;

/// A group as SCIM shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct ScimGroup {
    pub id: String,
    pub display_name: String,
    pub external_id: Option<String>,
    /// Member user ids with their display (name, else email).
    pub members: Vec<(String, String)>,
    pub created: Timestamp,
    pub last_modified: Timestamp,
}

/// What a SCIM client sends for a group.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScimGroupInput {
    pub display_name: String,
    pub external_id: Option<String>,
    /// Member user ids.
    pub members: Vec<String>,
}

/// A person in a team.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TeamMemberInfo {
    pub user_id: String,
    pub email: String,
    pub name: String,
}

/// A team with its members.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TeamInfo {
    pub id: String,
    pub name: String,
    /// The directory's id of the group, when SCIM sent one.
    pub external_id: Option<String>,
    pub members: Vec<TeamMemberInfo>,
    /// How many accounts the team holds a role on.
    pub accounts: usize,
}

/// A team's role on an account.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TeamGrantInfo {
    pub team_id: String,
    pub team_name: String,
    #[schema(value_type = crate::schema::AccountRoleName, example = "collaborator")]
    pub role: AccountRole,
    pub members: usize,
    pub added_at: String,
}

fn group_error(message: impl Into<String>) -> AppError {
    AppError::invalid(InvalidCode::ScimInvalidValue, message)
}

/// A store conflict on a SCIM group's name: another group has it.
fn group_name_taken(e: StoreError, name: &str) -> AppError {
    match e {
        StoreError::Conflict(_) => AppError::conflict(
            ConflictCode::ScimUniqueness,
            format!("a group named {name:?} exists"),
        ),
        e => e.into(),
    }
}

impl App {
    /// The ids of a team's members.
    async fn team_member_ids(
        &self,
        ws: orthrus_core::WorkspaceId,
        team: EventId,
    ) -> Result<Vec<UserId>> {
        Ok(self
            .store()
            .team_members(ws, Some(team))
            .await?
            .into_iter()
            .map(|m| m.user_id)
            .collect())
    }

    async fn member_names(
        &self,
        ws: orthrus_core::WorkspaceId,
    ) -> Result<HashMap<UserId, (String, String)>> {
        Ok(self
            .store()
            .list_users(ws)
            .await?
            .into_iter()
            .map(|u| (u.id, (u.name, u.email)))
            .collect())
    }

    async fn groups(&self, c: &ScimClient, only: Option<EventId>) -> Result<Vec<ScimGroup>> {
        let ws = c.workspace_id;
        let names = self.member_names(ws).await?;
        let mut members: HashMap<EventId, Vec<(String, String)>> = HashMap::new();
        for m in self.store().team_members(ws, only).await? {
            let display = names
                .get(&m.user_id)
                .map(|(n, e)| {
                    if n.trim().is_empty() {
                        e.clone()
                    } else {
                        n.clone()
                    }
                })
                .unwrap_or_default();
            members
                .entry(m.team_id)
                .or_default()
                .push((m.user_id.to_string(), display));
        }
        let teams = match only {
            Some(id) => self.store().get_team(ws, id).await?.into_iter().collect(),
            None => self.store().list_teams(ws).await?,
        };
        Ok(teams
            .into_iter()
            .map(|t| ScimGroup {
                id: t.id.to_string(),
                members: members.remove(&t.id).unwrap_or_default(),
                display_name: t.display_name,
                external_id: t.external_id,
                created: t.created_at,
                last_modified: t.updated_at,
            })
            .collect())
    }

    pub async fn scim_list_groups(&self, c: &ScimClient) -> Result<Vec<ScimGroup>> {
        let mut g = self.groups(c, None).await?;
        g.sort_by_key(|g| (g.created.0, g.id.clone()));
        Ok(g)
    }

    pub async fn scim_get_group(&self, c: &ScimClient, id: EventId) -> Result<ScimGroup> {
        self.groups(c, Some(id))
            .await?
            .pop()
            .ok_or(AppError::NotFound(Entity::Team))
    }

    /// The user ids of a group's members, checked: each must be a person
    /// of the workspace that SCIM lists. Deactivated people are kept, as
    /// the directory says (the group must read back as it was written):
    /// they reach nothing while inactive, and a reactivation starts from no
    /// grant at all (`reactivate_without_grants`), team memberships
    /// included; the directory gives access again after it.
    async fn group_member_ids(&self, c: &ScimClient, members: &[String]) -> Result<Vec<UserId>> {
        let listed: HashMap<String, bool> = self
            .scim_list_users(c)
            .await?
            .into_iter()
            .map(|u| (u.id, u.active))
            .collect();
        let mut out = Vec::new();
        for m in members {
            let id: UserId = m
                .parse()
                .ok()
                .filter(|_| listed.contains_key(m))
                .ok_or_else(|| {
                    group_error(format!("member {m:?} is not a user of this workspace"))
                })?;
            if !out.contains(&id) {
                out.push(id);
            }
        }
        Ok(out)
    }

    fn check_group_input(input: &ScimGroupInput) -> Result<String> {
        let name = input.display_name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(group_error(
                "displayName is required (up to 200 characters)",
            ));
        }
        Ok(name.to_owned())
    }

    pub async fn scim_create_group(
        &self,
        c: &ScimClient,
        input: ScimGroupInput,
    ) -> Result<ScimGroup> {
        let name = Self::check_group_input(&input)?;
        let members = self.group_member_ids(c, &input.members).await?;
        let now = self.now();
        let team = TeamRow {
            id: EventId::new(self.inner.clock.as_ref(), self.rng()),
            workspace_id: c.workspace_id,
            display_name: name.clone(),
            external_id: input.external_id.clone(),
            created_at: now,
            updated_at: now,
        };
        self.store()
            .create_team(&team)
            .await
            .map_err(|e| group_name_taken(e, &name))?;
        for u in &members {
            self.store()
                .add_team_member(c.workspace_id, team.id, *u, now)
                .await?;
        }
        self.audit_scim(
            c,
            Event::new(AuditAction::ScimGroupCreate)
                .target(AuditTarget::Team, team.id)
                .detail(serde_json::json!({"name": name, "members": members.len()})),
        )
        .await?;
        self.scim_get_group(c, team.id).await
    }

    /// Replaces a group's name, external id and members (PUT, and PATCH
    /// after the patch is applied). Members who leave lose the team's
    /// grants; the member-left rotation runs on accounts they can no
    /// longer use.
    pub async fn scim_replace_group(
        &self,
        c: &ScimClient,
        tid: EventId,
        input: ScimGroupInput,
    ) -> Result<ScimGroup> {
        let ws = c.workspace_id;
        let mut team = self
            .store()
            .get_team(ws, tid)
            .await?
            .ok_or(AppError::NotFound(Entity::Team))?;
        let name = Self::check_group_input(&input)?;
        let wanted = self.group_member_ids(c, &input.members).await?;
        let now = self.now();
        team.display_name = name.clone();
        team.external_id = input.external_id.clone();
        team.updated_at = now;
        self.store()
            .update_team(&team)
            .await
            .map_err(|e| group_name_taken(e, &name))?;
        let current = self.team_member_ids(ws, tid).await?;
        let added: Vec<UserId> = wanted
            .iter()
            .filter(|u| !current.contains(u))
            .copied()
            .collect();
        let removed: Vec<UserId> = current
            .iter()
            .filter(|u| !wanted.contains(u))
            .copied()
            .collect();
        for u in &added {
            self.store().add_team_member(ws, tid, *u, now).await?;
        }
        for u in &removed {
            self.store().remove_team_member(ws, tid, *u).await?;
        }
        self.access_narrowed(ws, &removed).await;
        self.audit_scim(
            c,
            Event::new(AuditAction::ScimGroupUpdate)
                .target(AuditTarget::Team, tid)
                .detail(serde_json::json!({
                    "name": name,
                    "added": added.iter().map(|u| u.to_string()).collect::<Vec<_>>(),
                    "removed": removed.iter().map(|u| u.to_string()).collect::<Vec<_>>(),
                })),
        )
        .await?;
        if !removed.is_empty() {
            let actor = self.local_actor(c.token_created_by, ws).await?;
            self.rotate_after_team_leave(&actor, tid, &removed).await?;
        }
        self.scim_get_group(c, tid).await
    }

    pub async fn scim_delete_group(&self, c: &ScimClient, tid: EventId) -> Result<()> {
        let ws = c.workspace_id;
        let members = self.team_member_ids(ws, tid).await?;
        let grants = self.store().team_grants(ws, None).await?;
        let grants: Vec<TeamGrantRow> = grants.into_iter().filter(|g| g.team_id == tid).collect();
        if !self.store().delete_team(ws, tid).await? {
            return Err(AppError::NotFound(Entity::Team));
        }
        self.access_narrowed(ws, &members).await;
        self.audit_scim(
            c,
            Event::new(AuditAction::ScimGroupDelete)
                .target(AuditTarget::Team, tid)
                .detail(serde_json::json!({"members": members.len(), "accounts": grants.len()})),
        )
        .await?;
        let actor = self.local_actor(c.token_created_by, ws).await?;
        self.rotate_where_access_lost(&actor, &grants, &members)
            .await
    }

    /// After `users` left team `team`: the member-left rotation on each
    /// account the team is granted that they can no longer use.
    async fn rotate_after_team_leave(
        &self,
        actor: &Actor,
        team: EventId,
        users: &[UserId],
    ) -> Result<()> {
        let grants: Vec<TeamGrantRow> = self
            .store()
            .team_grants(actor.workspace_id, None)
            .await?
            .into_iter()
            .filter(|g| g.team_id == team)
            .collect();
        self.rotate_where_access_lost(actor, &grants, users).await
    }

    async fn rotate_where_access_lost(
        &self,
        actor: &Actor,
        grants: &[TeamGrantRow],
        users: &[UserId],
    ) -> Result<()> {
        let now = self.now();
        for g in grants {
            for u in users {
                let still = self
                    .store()
                    .member_role(actor.workspace_id, g.account_id, *u, now)
                    .await?
                    .is_some();
                if !still {
                    if let Err(e) = self
                        .rotate_after_leave(
                            actor,
                            *u,
                            orthrus_core::WorkspaceRole::User,
                            Some(g.account_id),
                        )
                        .await
                    {
                        tracing::warn!(account = %g.account_id, error = %e, "could not queue the rotation after a team member left");
                    }
                    // One rotation per account is enough.
                    break;
                }
            }
        }
        Ok(())
    }

    /// The workspace's teams with their members (everyone may see them,
    /// as the list of people).
    pub async fn list_teams(&self, actor: &Actor) -> Result<Vec<TeamInfo>> {
        self.check(actor, Action::ViewTeams)?;
        let ws = actor.workspace_id;
        let names = self.member_names(ws).await?;
        let mut members: HashMap<EventId, Vec<TeamMemberInfo>> = HashMap::new();
        for m in self.store().team_members(ws, None).await? {
            let (name, email) = names.get(&m.user_id).cloned().unwrap_or_default();
            members.entry(m.team_id).or_default().push(TeamMemberInfo {
                user_id: m.user_id.to_string(),
                email,
                name,
            });
        }
        let mut accounts: HashMap<EventId, usize> = HashMap::new();
        for g in self.store().team_grants(ws, None).await? {
            *accounts.entry(g.team_id).or_default() += 1;
        }
        Ok(self
            .store()
            .list_teams(ws)
            .await?
            .into_iter()
            .map(|t| {
                let mut m = members.remove(&t.id).unwrap_or_default();
                m.sort_by_key(|x| x.email.clone());
                TeamInfo {
                    id: t.id.to_string(),
                    name: t.display_name,
                    external_id: t.external_id,
                    members: m,
                    accounts: accounts.get(&t.id).copied().unwrap_or(0),
                }
            })
            .collect())
    }

    /// The teams holding a role on an account (whoever may see the account).
    pub async fn account_team_grants(
        &self,
        actor: &Actor,
        account: AccountId,
    ) -> Result<Vec<TeamGrantInfo>> {
        let (a, _) = self.account_for(actor, account).await?;
        self.grants_of(actor, a.id).await
    }

    async fn grants_of(&self, actor: &Actor, account: AccountId) -> Result<Vec<TeamGrantInfo>> {
        let ws = actor.workspace_id;
        let teams: HashMap<EventId, String> = self
            .store()
            .list_teams(ws)
            .await?
            .into_iter()
            .map(|t| (t.id, t.display_name))
            .collect();
        let mut sizes: HashMap<EventId, usize> = HashMap::new();
        for m in self.store().team_members(ws, None).await? {
            *sizes.entry(m.team_id).or_default() += 1;
        }
        Ok(self
            .store()
            .team_grants(ws, Some(account))
            .await?
            .into_iter()
            .map(|g| TeamGrantInfo {
                team_id: g.team_id.to_string(),
                team_name: teams.get(&g.team_id).cloned().unwrap_or_default(),
                role: g.role,
                members: sizes.get(&g.team_id).copied().unwrap_or(0),
                added_at: g.added_at.to_rfc3339(),
            })
            .collect())
    }

    /// Whether the actor may grant teams roles on the account (for what the
    /// page offers; the use cases check again).
    pub async fn may_grant_teams(&self, actor: &Actor, account: AccountId) -> Result<bool> {
        let (_, subject) = self.account_for(actor, account).await?;
        Ok(orthrus_core::policy::decide(subject, Action::GrantTeam).is_allowed())
    }

    /// Gives a team a role on an account, or changes it (account Owners).
    pub async fn grant_team(
        &self,
        actor: &Actor,
        account: AccountId,
        tid: EventId,
        role: AccountRole,
    ) -> Result<Vec<TeamGrantInfo>> {
        let a = self
            .account_allowing(actor, account, Action::GrantTeam)
            .await?;
        let t = self
            .store()
            .get_team(actor.workspace_id, tid)
            .await?
            .ok_or(AppError::NotFound(Entity::Team))?;
        self.store()
            .put_team_grant(&TeamGrantRow {
                workspace_id: actor.workspace_id,
                account_id: a.id,
                team_id: t.id,
                role,
                added_by: actor.user_id,
                added_at: self.now(),
            })
            .await?;
        self.audit(
            actor,
            Event::new(AuditAction::AccountTeamGrant)
                .target(AuditTarget::Account, a.id)
                .detail(serde_json::json!({"team_id": t.id.to_string(), "team": t.display_name, "role": role})),
        )
        .await?;
        self.grants_of(actor, a.id).await
    }

    /// Takes a team's role on an account back (account Owners). Members
    /// left without access trigger the member-left rotation.
    pub async fn revoke_team(&self, actor: &Actor, account: AccountId, tid: EventId) -> Result<()> {
        let a = self
            .account_allowing(actor, account, Action::GrantTeam)
            .await?;
        let grant = self
            .store()
            .team_grants(actor.workspace_id, Some(a.id))
            .await?
            .into_iter()
            .find(|g| g.team_id == tid)
            .ok_or(AppError::NotFound(Entity::Team))?;
        self.store()
            .remove_team_grant(actor.workspace_id, a.id, tid)
            .await?;
        self.audit(
            actor,
            Event::new(AuditAction::AccountTeamRevoke)
                .target(AuditTarget::Account, a.id)
                .detail(serde_json::json!({"team_id": tid.to_string(), "role": grant.role})),
        )
        .await?;
        let members: Vec<UserId> = self
            .store()
            .team_members(actor.workspace_id, Some(tid))
            .await?
            .into_iter()
            .map(|m| m.user_id)
            .collect();
        self.access_narrowed(actor.workspace_id, &members).await;
        self.rotate_where_access_lost(actor, &[grant], &members)
            .await
    }
}
