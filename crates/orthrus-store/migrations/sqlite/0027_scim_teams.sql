-- SCIM provisioning and teams (issue 15, item 2). One SCIM bearer token per
-- workspace, stored as its keyed hash; a new one replaces the old.
CREATE TABLE scim_tokens (
    workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id),
    token_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- What a SCIM client said about a user beyond the users row: its userName
-- (which may differ from the email), externalId, name parts and emails as
-- sent (JSON). deleted_at: the client deleted the resource; the Orthrus user
-- stays, deactivated and without grants, and is no longer listed by SCIM.
CREATE TABLE scim_users (
    user_id TEXT PRIMARY KEY REFERENCES users(id),
    workspace_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    external_id TEXT,
    given_name TEXT,
    family_name TEXT,
    formatted_name TEXT,
    display_name TEXT,
    emails TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deleted_at INTEGER
);
CREATE INDEX scim_users_workspace ON scim_users(workspace_id);
CREATE INDEX scim_users_user_name ON scim_users(workspace_id, user_name);
CREATE INDEX scim_users_external ON scim_users(workspace_id, external_id);

-- Teams: SCIM Groups (or made by hand). A team granted a role on an account
-- gives that role to each of its members: a member's effective role is the
-- highest of their own membership and their teams' grants.
CREATE TABLE teams (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    display_name TEXT NOT NULL,
    external_id TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX teams_name ON teams(workspace_id, display_name);
CREATE INDEX teams_external ON teams(workspace_id, external_id);

CREATE TABLE team_members (
    workspace_id TEXT NOT NULL,
    team_id TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id),
    added_at INTEGER NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members(user_id);

CREATE TABLE team_grants (
    workspace_id TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    team_id TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    added_by TEXT NOT NULL,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, team_id)
);
CREATE INDEX team_grants_team ON team_grants(team_id);
