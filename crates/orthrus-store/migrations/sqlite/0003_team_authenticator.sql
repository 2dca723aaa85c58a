CREATE TABLE account_otp (
    workspace_id TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    slot TEXT NOT NULL,
    id TEXT NOT NULL UNIQUE,
    secret BLOB NOT NULL,
    kind TEXT NOT NULL,
    algorithm TEXT NOT NULL,
    digits INTEGER NOT NULL,
    period INTEGER NOT NULL,
    counter INTEGER NOT NULL,
    issuer TEXT,
    account_name TEXT,
    source TEXT NOT NULL,
    enrolled_by TEXT NOT NULL,
    enrolled_at INTEGER NOT NULL,
    confirmed_at INTEGER,
    PRIMARY KEY (account_id, slot)
);

CREATE TABLE otp_issuance (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    user_id TEXT,
    user_email TEXT,
    how TEXT NOT NULL,
    step INTEGER NOT NULL,
    issued_at INTEGER NOT NULL
);
CREATE INDEX otp_issuance_account ON otp_issuance(account_id, issued_at);

CREATE TABLE otp_used_steps (
    workspace_id TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    used_by TEXT,
    used_by_email TEXT,
    how TEXT NOT NULL,
    used_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, step)
);
