-- Live updates across nodes (issue 16): triggers tell every listening node
-- (LISTEN orthrus_inbox, orthrus_otp_used, orthrus_job, orthrus_access)
-- what changed, by ids only. A notification is sent at commit, once per
-- distinct payload per transaction. Function bodies keep each statement on
-- one line (the migration runner splits statements at ';' + newline).
CREATE OR REPLACE FUNCTION orthrus_notify_inbox() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('orthrus_inbox', NEW.workspace_id || ':' || NEW.account_id); RETURN NULL; END $$;
CREATE TRIGGER inbox_messages_notify AFTER INSERT OR UPDATE OF used_at ON inbox_messages FOR EACH ROW EXECUTE FUNCTION orthrus_notify_inbox();
CREATE OR REPLACE FUNCTION orthrus_notify_otp_used() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('orthrus_otp_used', NEW.workspace_id || ':' || NEW.account_id); RETURN NULL; END $$;
CREATE TRIGGER otp_used_steps_notify AFTER INSERT OR UPDATE ON otp_used_steps FOR EACH ROW EXECUTE FUNCTION orthrus_notify_otp_used();
-- Jobs: not the heartbeat (lease and updated_at move every few seconds).
CREATE OR REPLACE FUNCTION orthrus_notify_job() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('orthrus_job', NEW.id); RETURN NULL; END $$;
CREATE TRIGGER automation_jobs_notify_insert AFTER INSERT ON automation_jobs FOR EACH ROW EXECUTE FUNCTION orthrus_notify_job();
CREATE TRIGGER automation_jobs_notify_update AFTER UPDATE ON automation_jobs FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.run_after IS DISTINCT FROM NEW.run_after OR OLD.cancel_requested IS DISTINCT FROM NEW.cancel_requested OR OLD.question IS DISTINCT FROM NEW.question OR OLD.answer IS DISTINCT FROM NEW.answer OR OLD.error IS DISTINCT FROM NEW.error) EXECUTE FUNCTION orthrus_notify_job();
CREATE OR REPLACE FUNCTION orthrus_notify_job_step() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('orthrus_job', NEW.job_id); RETURN NULL; END $$;
CREATE TRIGGER automation_steps_notify AFTER INSERT OR UPDATE ON automation_steps FOR EACH ROW EXECUTE FUNCTION orthrus_notify_job_step();
-- Sign-ins ending: a session or API token revoked, shortened or removed; a
-- user deactivated, given another role or another access end. Not
-- last_seen_at and other bookkeeping.
CREATE OR REPLACE FUNCTION orthrus_notify_access() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP = 'DELETE' THEN PERFORM pg_notify('orthrus_access', OLD.workspace_id || ':' || OLD.user_id); ELSE PERFORM pg_notify('orthrus_access', NEW.workspace_id || ':' || NEW.user_id); END IF; RETURN NULL; END $$;
CREATE TRIGGER sessions_notify_update AFTER UPDATE ON sessions FOR EACH ROW WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR NEW.expires_at < OLD.expires_at) EXECUTE FUNCTION orthrus_notify_access();
CREATE TRIGGER sessions_notify_delete AFTER DELETE ON sessions FOR EACH ROW EXECUTE FUNCTION orthrus_notify_access();
CREATE TRIGGER api_tokens_notify_update AFTER UPDATE ON api_tokens FOR EACH ROW WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR NEW.expires_at < OLD.expires_at) EXECUTE FUNCTION orthrus_notify_access();
CREATE TRIGGER api_tokens_notify_delete AFTER DELETE ON api_tokens FOR EACH ROW EXECUTE FUNCTION orthrus_notify_access();
CREATE OR REPLACE FUNCTION orthrus_notify_user() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('orthrus_access', NEW.workspace_id || ':' || NEW.id); RETURN NULL; END $$;
CREATE TRIGGER users_notify AFTER UPDATE ON users FOR EACH ROW WHEN (OLD.active IS DISTINCT FROM NEW.active OR OLD.role IS DISTINCT FROM NEW.role OR OLD.access_expires_at IS DISTINCT FROM NEW.access_expires_at) EXECUTE FUNCTION orthrus_notify_user();
