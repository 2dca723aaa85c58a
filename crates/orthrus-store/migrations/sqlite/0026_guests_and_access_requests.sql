-- Time-boxed access, guests and access requests (issue 15, items 3 to 5).
-- A membership may end: past `expires_at` (milliseconds) it grants nothing,
-- and a sweep deletes it (and audits `account.member_expire`).
ALTER TABLE account_members ADD COLUMN expires_at INTEGER;
CREATE INDEX account_members_expires ON account_members(expires_at) WHERE expires_at IS NOT NULL;
-- A guest's access to the whole workspace ends at this time (required for
-- guests, null for everyone else); an invitation carries it until accepted.
ALTER TABLE users ADD COLUMN access_expires_at INTEGER;
ALTER TABLE invitations ADD COLUMN access_expires_at INTEGER;
-- Someone asks for a role on an account for a while; an account Owner
-- approves (which adds the membership, ending `duration_secs` later) or
-- declines. One pending request per person and account.
CREATE TABLE access_requests (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    requester_id TEXT NOT NULL REFERENCES users(id),
    role TEXT NOT NULL,
    reason TEXT NOT NULL,
    duration_secs INTEGER NOT NULL,
    state TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    decided_by TEXT,
    decided_at INTEGER,
    note TEXT,
    grant_expires_at INTEGER
);
CREATE UNIQUE INDEX access_requests_one_pending ON access_requests(account_id, requester_id) WHERE state = 'pending';
CREATE INDEX access_requests_workspace ON access_requests(workspace_id, state, created_at);
