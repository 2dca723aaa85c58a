CREATE TABLE phone_numbers (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    number TEXT NOT NULL UNIQUE,
    account_id TEXT REFERENCES accounts(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX phone_numbers_workspace ON phone_numbers(workspace_id);
