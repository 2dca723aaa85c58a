-- Per-workspace inbox retention (NULL: the server's default), and the index
-- the hourly purge of one workspace's old messages uses.
ALTER TABLE workspaces ADD COLUMN inbox_retention_days INTEGER;
CREATE INDEX inbox_messages_workspace_received ON inbox_messages(workspace_id, received_at);

-- The address inbox messages may be forwarded to, one per user, verified by
-- a code sent to it. While a new address is being verified, pending_email
-- holds it and email keeps the verified one.
CREATE TABLE forward_addresses (
    user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    email TEXT NOT NULL,
    pending_email TEXT,
    code_hash TEXT,
    code_expires_at INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    verified_at INTEGER
);
