-- Periodic work that must run on one node at a time (issue 16): a node runs
-- the task named here only while it holds the row's lease (holder, expires_at);
-- a lease that ran out (its node stopped) is taken by the next node.
CREATE TABLE task_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
