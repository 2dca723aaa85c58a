-- "Keep MFA on" (issue 13): each account's last check that the app still
-- asks for the authenticator code at sign-in. state is on, off (the app
-- signed in without asking: flagged) or could_not_check (the run failed
-- before it could tell; reason says why); job_id is the check's job.
CREATE TABLE mfa_checks (
    account_id TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    state TEXT NOT NULL,
    checked_at INTEGER NOT NULL,
    job_id TEXT NOT NULL,
    reason TEXT
);
CREATE INDEX mfa_checks_workspace ON mfa_checks(workspace_id, state);
-- At most one check waiting or running per account: two nodes queuing the
-- same scheduled check at once, or a person and the schedule, get one job.
CREATE UNIQUE INDEX automation_jobs_one_mfa_check ON automation_jobs(account_id) WHERE kind = 'check_mfa' AND state IN ('queued', 'running', 'waiting', 'deferred');
