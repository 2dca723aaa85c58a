-- Keys once derived from the master key (bearer-token and recovery-code hashes, the audit chain, the inbox search index), kept sealed under it so that rotating the master key re-wraps them instead of changing them.
CREATE TABLE instance_keys (
    purpose TEXT PRIMARY KEY,
    sealed BYTEA NOT NULL
);
