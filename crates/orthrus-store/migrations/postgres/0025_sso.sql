-- OpenID Connect sign-in: what is held between the redirect to the provider and its return, and the provider accounts linked to users.
CREATE TABLE sso_flows (
    id TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    nonce TEXT NOT NULL,
    verifier BYTEA,
    browser_hash TEXT NOT NULL,
    workspace_id TEXT,
    user_id TEXT,
    session_id TEXT,
    return_to TEXT NOT NULL,
    client_challenge TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sso_flows_expiry ON sso_flows(expires_at);
CREATE TABLE sso_identities (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    email TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE UNIQUE INDEX sso_identities_user ON sso_identities(user_id, issuer);
