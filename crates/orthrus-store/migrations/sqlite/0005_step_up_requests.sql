CREATE TABLE step_up_requests (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    session_id TEXT NOT NULL,
    number TEXT NOT NULL,
    choices TEXT NOT NULL,
    status TEXT NOT NULL,
    ip TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    decided_at INTEGER,
    decided_by_session TEXT
);
CREATE INDEX step_up_requests_user ON step_up_requests(user_id, status);
