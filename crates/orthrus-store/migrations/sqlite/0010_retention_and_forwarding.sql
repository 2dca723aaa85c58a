-- Per-workspace inbox retention (NULL: the server's default).
ALTER TABLE workspaces ADD COLUMN inbox_retention_days INTEGER;

-- The address inbox messages may be forwarded to, one per user, verified by
-- a code sent to it.
CREATE TABLE forward_addresses (
    user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    email TEXT NOT NULL,
    code_hash TEXT,
    code_expires_at INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    verified_at INTEGER
);
