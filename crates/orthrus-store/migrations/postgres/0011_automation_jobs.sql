-- Durable automation jobs: claimed by a worker with a lease that its
-- heartbeat extends; a job whose lease ran out belonged to a dead worker.
CREATE TABLE automation_jobs (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_after BIGINT NOT NULL,
    worker TEXT,
    lease_until BIGINT,
    cancel_requested BOOLEAN NOT NULL DEFAULT FALSE,
    error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX automation_jobs_ready ON automation_jobs(state, run_after);
CREATE INDEX automation_jobs_account ON automation_jobs(account_id, created_at);
-- One job per account at a time, whatever the number of workers.
CREATE UNIQUE INDEX automation_jobs_one_active ON automation_jobs(account_id) WHERE state IN ('running', 'waiting');

-- The steps of a job, in order, across its attempts.
CREATE TABLE automation_steps (
    job_id TEXT NOT NULL REFERENCES automation_jobs(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    name TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    ended_at BIGINT,
    outcome TEXT,
    url TEXT,
    detail TEXT,
    PRIMARY KEY (job_id, seq)
);
