-- A job waiting for a person (a CAPTCHA): what it asks, and the answer a
-- person gave, sealed, until the worker takes it.
ALTER TABLE automation_jobs ADD COLUMN question TEXT;
ALTER TABLE automation_jobs ADD COLUMN answer BLOB;

-- The last screenshot of a job (on failure, or with its question), sealed.
-- Kept apart from the job row so job lists never load images.
CREATE TABLE automation_screenshots (
    job_id TEXT PRIMARY KEY REFERENCES automation_jobs(id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    sealed BLOB NOT NULL,
    taken_at INTEGER NOT NULL
);
