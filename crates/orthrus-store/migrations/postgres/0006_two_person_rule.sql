ALTER TABLE workspaces ADD COLUMN two_person_rule BOOLEAN NOT NULL DEFAULT FALSE;

ALTER TABLE accounts ADD COLUMN critical BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE dual_approvals (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    requester_id TEXT NOT NULL REFERENCES users(id),
    requester_email TEXT NOT NULL,
    action TEXT NOT NULL,
    target_id TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    decided_by TEXT,
    decided_by_email TEXT,
    decided_at BIGINT
);
CREATE INDEX dual_approvals_workspace ON dual_approvals(workspace_id, status);
