-- Change notifications across nodes are PostgreSQL's (LISTEN/NOTIFY
-- triggers); a SQLite database has one node, which notifies itself in
-- process. Nothing to change here: the version is kept in step.
SELECT 1;
