CREATE TABLE backup_code_sets (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    active BOOLEAN NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    replaced_at BIGINT
);
CREATE INDEX backup_code_sets_account ON backup_code_sets(account_id);

CREATE TABLE backup_codes (
    set_id TEXT NOT NULL REFERENCES backup_code_sets(id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    position BIGINT NOT NULL,
    code BYTEA NOT NULL,
    used_at BIGINT,
    used_by TEXT,
    used_by_email TEXT,
    PRIMARY KEY (set_id, position)
);
CREATE INDEX backup_codes_account ON backup_codes(account_id);
