-- Invitations by email (issue 14): an admin invites an address with a
-- role; the invitee opens a one-time link and sets their own name and
-- password. Only the keyed hash of the link's token is stored. A row is
-- used once (accepted_at), can be revoked, and expires.
CREATE TABLE invitations (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    email TEXT NOT NULL,
    role TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    invited_by TEXT NOT NULL,
    emailed BOOLEAN NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    accepted_at INTEGER,
    revoked_at INTEGER,
    user_id TEXT
);
CREATE INDEX invitations_workspace ON invitations(workspace_id, created_at);
