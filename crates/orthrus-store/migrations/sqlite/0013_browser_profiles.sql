-- Each account's browser profile (cookies, local storage) between jobs,
-- sealed like any secret, so the app sees a known device from any worker.
CREATE TABLE browser_profiles (
    account_id TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    sealed BLOB NOT NULL,
    updated_at INTEGER NOT NULL
);
