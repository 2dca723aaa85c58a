-- The browser extension (issue 12).
-- Pairing by approval: an extension asks (no account yet), a signed-in
-- user approves it on the Orthrus page by picking the number the extension
-- shows; the extension then claims its session once with the secret, of
-- which only the keyed hash is stored. State is here, not in a process, so
-- several nodes sharing the database see the same request.
CREATE TABLE extension_pairings (
    id TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL,
    number INTEGER NOT NULL,
    choices TEXT NOT NULL,
    browser TEXT NOT NULL,
    ip TEXT NOT NULL,
    status TEXT NOT NULL,
    workspace_id TEXT,
    user_id TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    decided_at BIGINT
);
CREATE INDEX extension_pairings_ip ON extension_pairings(ip, created_at);
-- Further addresses of an account's site (JSON array of URLs) that the
-- extension may fill on, besides its login URL.
CREATE TABLE account_urls (
    account_id TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    urls TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- Pages of an app's own security settings (JSON array of path patterns)
-- that Collaborators are kept off; a row replaces the built-in defaults of
-- that app for the workspace.
CREATE TABLE app_restrictions (
    workspace_id TEXT NOT NULL,
    app TEXT NOT NULL,
    patterns TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, app)
);
-- Rotate the password this many hours after a Collaborator logged in
-- through the extension (NULL: do not).
ALTER TABLE rotation_schedules ADD COLUMN after_autofill_hours INTEGER;
