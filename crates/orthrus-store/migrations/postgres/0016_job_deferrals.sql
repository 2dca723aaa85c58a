-- A deferral (the app asks to come back later) is not a failed attempt:
-- it is counted apart, so waiting does not use up a job's retries.
ALTER TABLE automation_jobs ADD COLUMN deferrals INTEGER NOT NULL DEFAULT 0;
