-- A password an automation is about to set in the app: kept sealed until
-- the app accepted it and a fresh sign-in with it worked, then promoted.
ALTER TABLE accounts ADD COLUMN pending_password BYTEA;
