CREATE TABLE managed_emails (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    address TEXT NOT NULL UNIQUE,
    enabled BOOLEAN NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX managed_emails_account ON managed_emails(account_id);

CREATE TABLE inbox_messages (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    sender TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
    sealed BYTEA NOT NULL,
    has_code BOOLEAN NOT NULL,
    received_at BIGINT NOT NULL,
    used_at BIGINT,
    UNIQUE (account_id, dedup_key)
);
CREATE INDEX inbox_messages_account ON inbox_messages(account_id, received_at);
