-- Passkey ceremonies between their start and finish (registration, step-up), held in the database so that the finish may reach any node: the webauthn-rs state, sealed; taken once; expired ones swept.
CREATE TABLE passkey_ceremonies (
    session_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    sealed BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (session_id, purpose)
);
CREATE INDEX passkey_ceremonies_expiry ON passkey_ceremonies(expires_at);
