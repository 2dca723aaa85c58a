-- Password rotation per account: every N days inside an hour window (UTC),
-- and/or whenever a member leaves. Jobs run with the rights of the person
-- who set it (set_by). next_at is claimed with a conditional update, so
-- one node queues each rotation.
CREATE TABLE rotation_schedules (
    account_id TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    every_days INTEGER,
    window_start INTEGER NOT NULL,
    window_end INTEGER NOT NULL,
    on_member_leave BOOLEAN NOT NULL,
    set_by TEXT NOT NULL,
    next_at BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX rotation_schedules_due ON rotation_schedules(next_at);
